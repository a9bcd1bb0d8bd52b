"""Scenarios of the generator: each builds, validates, is deterministic, writes its truth,
and shows on one seed the failure it is designed to show."""

import io
import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from workbench.analysis.findings.record import truth_for
from workbench.analysis.models import fit as md
from workbench.analysis.questions import common as qcommon
from workbench.analysis.questions import staffing_waits_satisfaction as q02
from workbench.batch.data_step import materialise_data
from workbench.batch.study import DataSpec, load_study
from workbench.data import scenarios as S
from workbench.data.schema import validate_panel
from workbench.data.synth import generate, read_truth
from workbench.errors import GeneratorError, StudyError

ROOT = Path(__file__).resolve().parents[1]
STAFF, WAIT, FFT = "nurse_fte_per_10_beds", "rtt_median_weeks", "fft_pct_positive"
#: sha256 of the default study's panel (seed 20240430, 240 providers, 36 months) as made
#: before scenarios existed: the calibrated scenario must keep it.
DEFAULT_PANEL_SHA256 = "a08748fc7f81bc52836e72ca8ada052081e68d3d5c1ce18780d6124c0f8e2fa4"


def _bytes(df) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


@pytest.fixture(scope="module")
def panels():
    return {name: generate(seed=424242, scenario=name) for name in S.names()}


def _fit(panel, outcome, exposures, kind, subset="acute"):
    adj = () if kind == "fe" else qcommon.adjust_for(subset)
    prefix = "total" if exposures == (STAFF,) and outcome == FFT else "effect"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = md.fit(md.ModelSpec(outcome, exposures, adj, kind=kind,
                                    subset=subset, prefix=prefix), panel).findings("q")
    return {f.key.exposure: f for f in found}


@pytest.mark.parametrize("name", S.names())
def test_scenario_builds_validates_is_deterministic_and_writes_truth(name, tmp_path):
    a = generate(seed=5, n_providers=60, n_months=8, scenario=name)
    b = generate(seed=5, n_providers=60, n_months=8, scenario=name)
    assert _bytes(a.panel) == _bytes(b.panel)
    assert not a.panel.equals(generate(seed=6, n_providers=60, n_months=8, scenario=name).panel)
    validate_panel(a.panel, source=name)
    calibrated = generate(seed=5, n_providers=60, n_months=8)
    # every scenario keys the same estimands, but those it says have no true value
    assert set(a.truth) == set(calibrated.truth) - set(S.NO_TRUTH.get(name, ()))
    _, truth_path = a.write(tmp_path)
    doc = json.loads(truth_path.read_text())
    assert read_truth(truth_path) == a.truth
    assert doc["estimands"]["scenario"].startswith(f"{name}: ")
    assert {"effect", "indirect", "total", "adjusted"} <= set(doc["estimands"])
    assert doc["settings"].get("scenario", "calibrated") == name
    if name != "calibrated":   # the scenario changes the data, not only the label
        assert not a.panel.equals(calibrated.panel)


def test_unknown_scenario_is_named_with_the_choices():
    with pytest.raises(GeneratorError, match=r"scenario='confunded'.*one of \['calibrated'"):
        generate(seed=1, n_providers=30, n_months=3, scenario="confunded")


def test_study_file_chooses_a_scenario_and_rejects_an_unknown_one(tmp_path):
    nb = ROOT / "notebooks" / "01_data_quality.ipynb"
    good = tmp_path / "good.yaml"
    good.write_text("name: s\ndata: {synthetic: {seed: 3, n_providers: 30, n_months: 3, "
                    f"scenario: 'null'}}}}\nruns:\n  - notebook: {nb}\n")
    spec = load_study(good).data
    assert spec.options["scenario"] == "null"
    record = materialise_data(spec, tmp_path / "data")
    truth = read_truth(tmp_path / "data" / "truth.json")
    assert truth["effect:nurse_fte_per_10_beds->rtt_median_weeks@acute"] == 0.0
    assert record["options"]["scenario"] == "null"
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text().replace("scenario: 'null'", "scenario: serial_ar1"))
    with pytest.raises(StudyError, match=r"data\.synthetic\.scenario.*'serial_ar1'.*"
                                         r"'mediator_confounded'"):
        load_study(bad)
    bare = tmp_path / "bare.yaml"
    bare.write_text(good.read_text().replace("scenario: 'null'", "scenario: null"))
    with pytest.raises(StudyError, match=r"scenario.*in quotes"):
        load_study(bare)


def test_default_study_panel_is_unchanged(tmp_path):
    spec = load_study(ROOT / "studies" / "default.yaml").data
    assert "scenario" not in spec.options
    record = materialise_data(spec, tmp_path / "data")
    assert record["sha256"] == DEFAULT_PANEL_SHA256
    explicit = materialise_data(DataSpec("synthetic", {**spec.options, "scenario": "calibrated"}),
                                tmp_path / "data2")
    assert explicit["sha256"] == DEFAULT_PANEL_SHA256
    settings = json.loads((tmp_path / "data" / "truth.json").read_text())["settings"]
    assert "scenario" not in settings   # the calibrated settings are those written before


def test_default_study_findings_keep_their_ids_and_put_within_provider_first():
    sd = generate()
    for subset in ("acute", "nhs", "independent"):
        found = q02.staffing_waits_satisfaction(sd.panel, subset=subset)
        ids = [f.id for f in found]
        roles = [f.role for f in found]
        # the ids of the estimators reported before keep their text (and so their truths)
        for fid in (f"effect:{STAFF}->{WAIT}@{subset}", f"effect:{WAIT}->{FFT}@{subset}",
                    f"total:{STAFF}->{FFT}@{subset}", f"effect:{WAIT}->{FFT}@{subset}#mixed",
                    f"rate_ratio:{WAIT}->complaints@{subset}"):
            assert fid in ids and found[ids.index(fid)].role == "robustness"
        headline = [f for f in found if f.role == "headline"]
        # six within-provider effects, and for NHS trusts A&E within 4 hours (a primary
        # outcome under the headline rule, findings.roles)
        assert all(f.key.variant == "fe" for f in headline)
        assert len(headline) == (7 if subset == "nhs" else 6)
        assert roles == sorted(roles, key=lambda r: r != "headline")   # headline first


def test_confounded_pooled_ols_is_far_from_the_within_truth_fixed_effects_close(panels):
    sd = panels["confounded"]
    for outcome, prefix in ((FFT, "total"), (WAIT, "effect")):
        truth = sd.truth[f"{prefix}:{STAFF}->{outcome}@acute"]
        ols, fe = (_fit(sd.panel, outcome, (STAFF,), kind)[STAFF] for kind in ("ols", "fe"))
        assert abs(ols.estimate - truth) > 0.25 and not ols.covers(truth), (outcome, ols)
        assert abs(fe.estimate - truth) < 0.15 and fe.covers(truth), (outcome, fe)
        calibrated = _fit(panels["calibrated"].panel, outcome, (STAFF,), "ols")[STAFF]
        assert calibrated.covers(truth)   # same seed, no quality term: pooled OLS is fine


def test_nonlinear_case_mix_biases_linear_adjustment_not_within_provider(panels):
    sd = panels["nonlinear"]
    truth = sd.truth[f"effect:{STAFF}->{WAIT}@acute"]
    ols = _fit(sd.panel, WAIT, (STAFF,), "ols")[STAFF]
    fe = _fit(sd.panel, WAIT, (STAFF,), "fe")[STAFF]
    assert not ols.covers(truth) and ols.estimate > truth + 0.15
    assert fe.covers(truth)
    # the sector contrast varies with case mix: the truth is that of the independent
    # hospitals' own case mix, and differs from the calibrated constant
    assert sd.truth["adjusted:sector[independent]->rtt_median_weeks@acute"] != \
        panels["calibrated"].truth["adjusted:sector[independent]->rtt_median_weeks@acute"]


def test_mediator_confounded_biases_the_pooled_wait_effect(panels):
    sd = panels["mediator_confounded"]
    truth = sd.truth[f"effect:{WAIT}->{FFT}@acute"]
    ols = _fit(sd.panel, FFT, (WAIT, STAFF, "staff_engagement_lag1"), "ols")[WAIT]
    fe = _fit(sd.panel, FFT, (WAIT, STAFF, "staff_engagement_lag1"), "fe")[WAIT]
    assert ols.estimate < truth - 0.1 and not ols.covers(truth)
    assert fe.covers(truth)


def test_serial_errors_are_autocorrelated_within_provider(panels):
    def lag1_autocorrelation(panel):
        acute = panel[panel["setting"] == "acute"].sort_values(["provider_code", "period"])
        dev = acute[FFT] - acute.groupby("provider_code")[FFT].transform("mean")
        dev = dev - dev.groupby(acute["period"]).transform("mean")
        prev = dev.groupby(acute["provider_code"]).shift(1)
        return float(np.corrcoef(dev[prev.notna()], prev[prev.notna()])[0, 1])

    assert lag1_autocorrelation(panels["serial"].panel) > 0.3
    assert abs(lag1_autocorrelation(panels["calibrated"].panel)) < 0.1


def test_heterogeneous_effects_differ_by_sector(panels):
    sd = panels["heterogeneous"]
    fe = {}
    for subset in ("nhs", "independent"):
        assert sd.truth[f"effect:{STAFF}->{WAIT}@{subset}"] == S.HETERO_WAIT[subset]
        fe[subset] = _fit(sd.panel, WAIT, (STAFF,), "fe", subset=subset)[STAFF].estimate
    gap = S.HETERO_WAIT["independent"] - S.HETERO_WAIT["nhs"]
    assert abs((fe["independent"] - fe["nhs"]) - gap) < 0.2   # the sectors' effects differ
    acute = sd.truth[f"effect:{STAFF}->{WAIT}@acute"]
    assert S.HETERO_WAIT["independent"] < acute < S.HETERO_WAIT["nhs"]


def test_few_independent_has_six_independent_hospitals(panels):
    p = panels["few_independent"].panel
    acute = p[p["setting"] == "acute"].drop_duplicates("provider_code")
    assert (acute["sector"] == "independent").sum() == S.FEW_INDEPENDENT
    assert p["provider_code"].nunique() == panels["calibrated"].panel["provider_code"].nunique()


def test_null_has_no_staffing_or_sector_effects_and_headlines_cover_zero(panels):
    sd = panels["null"]
    for k, v in sd.truth.items():
        if STAFF in k.split("@")[0] or "sector[" in k or "ownership[" in k:
            assert v in (0.0, 1.0), (k, v)   # zero effects; rate ratios of one
    found = q02.staffing_waits_satisfaction(sd.panel, subset="acute", mixed=False)
    staffing_headlines = [f for f in found if f.role == "headline" and STAFF in f.id]
    assert staffing_headlines
    assert all(f.covers(truth_for(f, sd.truth)) for f in staffing_headlines)
