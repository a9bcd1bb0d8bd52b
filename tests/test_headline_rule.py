"""Headlines by a rule set before any result, and runs that finish on thin data.

The rule (:mod:`workbench.analysis.findings.roles`) reads a finding's id, model, clusters
and warning only: shuffling estimates, intervals and p-values between findings leaves every
role as it was. On the default panel the four findings once moved out of the headlines after
their results were seen take what the rule says. With six independent hospitals (scenario
``few_independent``) notebook 02's question on them returns diagnostics naming the reason
(and parts with no estimate) instead of stopping, and the default study's notebooks all
finish ``ok`` on that scenario.
"""

from __future__ import annotations

import json
import math
import random
import re
from dataclasses import replace
from pathlib import Path

import pytest

from workbench.analysis.findings import roles as R
from workbench.analysis.findings.record import Finding
from workbench.analysis.questions import nhs_vs_private as q03
from workbench.analysis.questions import staffing_waits_satisfaction as q02
from workbench.batch.runner import run_study
from workbench.data import scenarios as S
from workbench.data.synth import generate

ROOT = Path(__file__).resolve().parents[1]
STAFF, WAIT, FFT = "nurse_fte_per_10_beds", "rtt_median_weeks", "fft_pct_positive"


@pytest.fixture(scope="module")
def default_panel():
    return generate()


@pytest.fixture(scope="module")
def few():
    return generate(seed=11, n_months=12, scenario="few_independent")


def _shuffled(found: list[Finding], seed: int) -> list[Finding]:
    """Copies of ``found`` with estimates, intervals and p-values dealt out at random
    (and the roles cleared, so the rule sets them afresh).
    """
    rng = random.Random(seed)
    numbers = [(f.estimate, f.ci_low, f.ci_high, f.p_value) for f in found]
    rng.shuffle(numbers)
    out = []
    for f, (est, lo, hi, p) in zip(found, numbers):
        if rng.random() < 0.5:   # and some made "significant", some not
            lo, hi, p = est - 1e-6, est + 1e-6, 1e-12
        out.append(replace(f, estimate=est, ci_low=lo, ci_high=hi, p_value=p, role=""))
    return out


def test_roles_do_not_depend_on_estimates_intervals_or_p_values():
    panel = generate(seed=5, n_providers=120, n_months=12).panel
    for subset in ("acute", "nhs"):
        found = list(q02.staffing_waits_satisfaction(panel, subset=subset, mixed=False))
        rule = q02.chain(panel, subset).rule()
        before = {f.id: f.role for f in found}
        assert "headline" in before.values() and "robustness" in before.values()
        for seed in range(3):
            after = {f.id: f.role for f in R.assign_roles(_shuffled(found, seed), **rule)}
            assert after == before
    found = list(q03.nhs_vs_independent(panel))
    before = {f.id: f.role for f in found}
    after = {f.id: f.role for f in R.assign_roles(_shuffled(found, 0), **q03.SECTOR_RULE)}
    assert after == before and "robustness" in before.values()


def test_the_rule_by_design_clusters_outcome_and_exposure():
    def role(fid, clusters=80, model="", warning=""):
        return R.role_for({"id": fid, "clusters": clusters, "model": model, "warning": warning},
                          exposures=(STAFF, WAIT, "sector", "att"))

    assert role(f"effect:{STAFF}->{WAIT}@nhs#fe") == "headline"
    assert role(f"effect:{STAFF}->{WAIT}@nhs#fe", clusters=19) == "diagnostic"
    assert role(f"effect:{STAFF}->{WAIT}@nhs#fe", warning="ordinal model did not converge") \
        == "diagnostic"
    assert role(f"effect:{STAFF}->{WAIT}@nhs") == "robustness"           # across providers
    assert role(f"effect:{STAFF}->{WAIT}@nhs#mixed") == "robustness"
    assert role(f"effect:{STAFF}->cqc_overall@nhs#fe") == "robustness"   # secondary outcome
    assert role(f"effect:staff_engagement[lag1]->{FFT}@nhs#fe") == "robustness"
    assert role(f"direct:{STAFF}->{FFT}@nhs#fe_bootstrap") == "robustness"
    assert role(f"indirect:{STAFF}->{WAIT}->{FFT}@nhs#fe") == "headline"
    assert role(f"did:att->{FFT}@treated") == "headline"                 # comparison group
    assert role(f"did:att->{FFT}@treated#twfe") == "robustness"
    assert role(f"adjusted:sector[independent]->{WAIT}@acute") == "headline"
    assert role(f"naive:sector[independent]->{WAIT}@acute") == "robustness"
    assert role(f"ipw:sector[independent]->{WAIT}@acute") == "robustness"
    assert role(f"adjusted:sector[independent]->{STAFF}@acute") == "robustness"
    assert role(f"adjusted:sector[independent]->{WAIT}@acute#linear") == "robustness"
    assert role(f"adjusted:sector[independent]->{WAIT}@acute",
                warning="poor overlap: 88% of independent hospitals ...") == "robustness"
    gone = R.not_estimated(f"effect:{STAFF}->{WAIT}@nhs#fe", "q", "no overlap")
    assert R.role_for(gone, exposures=(STAFF,)) == "diagnostic" and math.isnan(gone.estimate)


def test_the_four_findings_demoted_after_their_results_take_the_rules_roles(default_panel):
    panel = default_panel.panel
    role = {}
    for subset in ("acute", "nhs", "independent"):
        for f in (q02.staffing_waits_satisfaction(panel, subset=subset, mixed=False)
                  + q02.staffing_pathways(panel, subset=subset, n_boot=199)):
            role[f.id] = f.role
    assert role[f"indirect:{STAFF}->{WAIT}->{FFT}@acute#fe"] == "headline"
    assert role[f"indirect:{STAFF}->{WAIT}->{FFT}@nhs#fe"] == "headline"
    assert role[f"effect:{STAFF}->ae_pct_within_4h@nhs#fe"] == "headline"
    # engagement is held in the satisfaction model, not an exposure the question names
    assert role[f"effect:staff_engagement[lag1]->{FFT}@independent#fe"] == "robustness"


def test_six_independent_hospitals_give_diagnostics_not_a_failed_run(few):
    panel = few.panel
    found = q02.staffing_waits_satisfaction(panel, subset="independent")
    assert found and all(f.role == "diagnostic" for f in found)
    assert all("only 6 providers" in f.warning for f in found)
    assert "rests on 6 providers" in q02.no_headline(found)
    paths = q02.staffing_pathways(panel, subset="independent", n_boot=199)
    assert {f.key.kind for f in paths} == {"indirect", "direct", "total"} and len(paths) == 6
    for f in paths:
        assert f.role == "diagnostic" and math.isnan(f.estimate) and f.ci_low is None
        assert "only 6 providers" in f.warning and "not estimated" in f.sentence
    # the subsets with enough providers keep their headlines
    acute = q02.staffing_waits_satisfaction(panel, subset="acute", mixed=False)
    assert sum(f.role == "headline" for f in acute) == 6 and q02.no_headline(acute) == ""


def test_a_model_too_thin_to_fit_is_a_not_estimated_diagnostic(few):
    panel = few.panel
    independent = panel.loc[panel["sector"] == "independent", "provider_code"].unique()
    thin = panel[~panel["provider_code"].isin(independent[3:])]   # three hospitals left
    found = q02.staffing_waits_satisfaction(thin, subset="independent", mixed=False)
    assert found and all(f.role == "diagnostic" and math.isnan(f.estimate) for f in found)
    assert all("leaves only 3 provider(s)" in f.warning for f in found)


def _study(folder: Path, runs: str) -> Path:
    default = (ROOT / "studies" / "default.yaml").read_text()
    data = re.search(r"^data:\n(  .*\n)+", default, flags=re.MULTILINE).group(0)
    data = data.replace("n_months: 36}", "n_months: 36, scenario: few_independent}")
    assert "few_independent" in data
    path = folder / "few_independent.yaml"
    path.write_text("name: few_independent\n" + data + runs)
    return path


def test_notebooks_02_and_03_finish_on_six_independent_hospitals(tmp_path):
    nb = ROOT / "notebooks"
    study = _study(tmp_path, "runs:\n"
                   f"  - notebook: {nb / '02_staffing_waits_satisfaction.ipynb'}\n"
                   "    parameters: {subset: independent}\n"
                   f"  - notebook: {nb / '03_nhs_vs_private.ipynb'}\n")
    result = run_study(study, out=tmp_path / "out", workers=2, progress=False)
    assert result.exit_code == 0, result.summary()
    run = tmp_path / "out" / "few_independent" / "02_staffing_waits_satisfaction--subset-independent"
    assert json.loads((run / "manifest.json").read_text())["status"] == "ok"
    findings = json.loads((run / "findings.json").read_text())
    assert findings and {f["role"] for f in findings} == {"diagnostic"}
    assert "No headline finding" in (run / "report.html").read_text()
    assert S.FEW_INDEPENDENT == 6


@pytest.mark.slow
def test_every_run_of_the_default_study_finishes_on_six_independent_hospitals(tmp_path):
    default = (ROOT / "studies" / "default.yaml").read_text()
    runs = default[default.index("runs:"):].replace("../notebooks/", f"{ROOT / 'notebooks'}/")
    result = run_study(_study(tmp_path, runs), out=tmp_path / "out", workers=2, progress=False)
    assert result.exit_code == 0, result.summary()
    manifests = list((tmp_path / "out" / "few_independent").glob("*/manifest.json"))
    assert len(manifests) >= 13
    assert all(json.loads(m.read_text())["status"] == "ok" for m in manifests)


def test_a_singular_design_is_not_estimable_rather_than_a_number():
    from workbench.analysis.models import fit as md
    from workbench.errors import NotEstimableError

    panel = generate(seed=3, n_providers=40, n_months=6).panel
    panel = panel.assign(wait_days=panel[WAIT] * 7)      # the same measure in other units
    for kind in ("fe", "ols"):
        with pytest.raises(NotEstimableError, match="singular design"):
            md.fit(md.ModelSpec(FFT, (WAIT, "wait_days"), kind=kind), panel)
