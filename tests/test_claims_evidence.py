"""Effect claims on within-provider evidence: a provider-level confounder cannot make the
register support a claim, the register keeps its power where the effects are real, and
E-values are on the scale of the estimate judged."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.analysis.claims import assessment, basis, register, rules
from workbench.analysis.findings import sensitivity as sn
from workbench.analysis.models import bootstrap as B
from workbench.analysis.models import fit as md
from workbench.data.synth import Effects, generate

STAFFING = ("staffing_waits_satisfaction",)
NO_STAFFING = Effects(staffing_on_wait=0.0, staffing_on_fft=0.0)


def _staffing(seed: int, scenario: str, effects: Effects | None = None):
    panel = generate(seed=seed, scenario=scenario, effects=effects or Effects()).panel
    [r] = assessment.assess_claims(panel, keys=STAFFING)
    return r


@pytest.fixture(scope="module")
def confounded_null():
    return _staffing(0, "confounded", NO_STAFFING)


def test_a_provider_level_confounder_does_not_make_staffing_supported(confounded_null):
    r = confounded_null
    assert not rules.supported(r.verdict) and not rules.contradicted(r.verdict), r.reason
    # the pooled model is fooled by provider quality; the between-within test sees it
    assert r.basis == "within"
    assert all(t["gap"] and t["p_value"] < 0.01 for t in r.finding.parameters["mundlak"])
    assert r.finding.parameters["basis"] == "within-provider"
    pooled_fft = r.adjusted[1]
    assert pooled_fft.ci_low > 0  # what the register judged on before: a false effect
    # the verdict says which evidence it rests on and why
    s = r.finding.sentence
    assert "Judged on the within-provider estimates" in s and "Mundlak" in s
    assert [f.id for f in r.within] == [
        "effect:nurse_fte_per_10_beds->rtt_median_weeks@acute#fe",
        "total:nurse_fte_per_10_beds->fft_pct_positive@acute#fe"]
    table = register.register_table([r])
    assert set(table["judged on"]) == {"within provider (fixed effects)"}
    assert (table["within provider"] != "").all()


@pytest.mark.parametrize("seed", [1, 2])
def test_no_staffing_effect_in_the_confounded_scenario_gives_no_verdict(seed):
    r = _staffing(seed, "confounded", NO_STAFFING)
    assert not rules.supported(r.verdict) and not rules.contradicted(r.verdict), r.reason


@pytest.mark.parametrize("seed", [0, 1])
def test_real_staffing_effects_are_supported(seed):
    r = _staffing(seed, "calibrated")
    assert rules.supported(r.verdict), r.reason


@pytest.mark.slow
def test_over_twenty_seeds_confounding_gives_at_most_one_verdict_and_effects_most():
    false = [_staffing(s, "confounded", NO_STAFFING).verdict for s in range(20)]
    n_false = sum(rules.supported(v) or rules.contradicted(v) for v in false)
    assert n_false <= 1, false
    true = [_staffing(s, "calibrated").verdict for s in range(20)]
    assert sum(map(rules.supported, true)) >= 15, true


def test_pooled_evidence_is_used_only_when_the_between_within_test_finds_no_gap():
    panel = generate(seed=3, n_providers=120, n_months=24).panel
    spec = md.ModelSpec("fft_pct_positive", ("staff_engagement_lag1",),
                        md.CASE_MIX + ("nurse_fte_per_10_beds", "sector_independent"))
    t = basis.mundlak_test(spec, panel)
    assert t.q == 1 and t.df > 0 and 0 <= t.p_value <= 1
    assert t.gap == (t.p_value < basis.MUNDLAK_ALPHA)
    b = basis.Basis("pooled", [t])
    assert b.parameters()["basis"] == "pooled" and "no gap" in b.sentence()
    # a test that cannot be made counts as a gap: within
    broken = basis.mundlak_test(md.ModelSpec("fft_pct_positive", ("no_such_column",)), panel)
    assert broken.error and broken.gap
    nope = md.ModelSpec("fft_pct_positive", ("no_such_column",))
    assert basis.choose_basis(panel, [spec, nope]).kind == "within"


def test_sector_claims_say_they_have_no_within_provider_estimate():
    panel = generate(seed=5, n_providers=160, n_months=18).panel
    [r] = assessment.assess_claims(panel, keys=("private_higher_satisfaction",))
    assert "no within-provider estimate" in r.finding.sentence
    assert r.finding.parameters["basis"] == "between providers"
    assert register.register_table([r])["judged on"].tolist() == [
        "adjusted for case mix (between providers)"]


def test_within_provider_evalues_use_within_provider_sds():
    panel = generate(seed=7, n_providers=120, n_months=24).panel
    fe = md.fit(md.ModelSpec("rtt_median_weeks", ("nurse_fte_per_10_beds",), kind="fe"),
                panel)
    f = fe.findings("q")[0]
    rows = fe.data
    dev = rows[["rtt_median_weeks", "nurse_fte_per_10_beds"]] - rows.groupby(
        "provider_code")[["rtt_median_weeks", "nurse_fte_per_10_beds"]].transform("mean")
    d = f.estimate * dev["nurse_fte_per_10_beds"].std() / dev["rtt_median_weeks"].std()
    assert f.sensitivity["evalue"] == pytest.approx(sn.evalue_smd(d)["evalue"], rel=1e-9)
    assert f.sensitivity["within"] is True and "within-provider SD" in \
        f.sensitivity["contrast"]
    # not the total SD a pooled estimate is standardised by
    assert f.sensitivity["sd_outcome"] == pytest.approx(dev["rtt_median_weeks"].std())
    assert f.sensitivity["sd_outcome"] < 0.9 * rows["rtt_median_weeks"].std()
    words = sn.evalue_sentence(f.sensitivity, "staffing", "waits")
    assert "changes within providers over time" in words


def test_verdict_bootstraps_use_9999_draws_from_per_draw_sums():
    panel = generate(seed=2, n_providers=60, n_months=6).panel
    [r] = assessment.assess_claims(panel, keys=("private_more_staff",))
    assert "9999 draws" in r.naive[0].warning
    # the per-draw sums give the statistics computed draw by draw
    rng = np.random.default_rng(4)
    g = np.repeat(np.arange(20), 12)
    X = np.column_stack([np.ones(240), (g < 5).astype(float), rng.normal(size=240)])
    y = X @ [1.0, 0.5, 0.2] + rng.normal(size=20)[g] + rng.normal(size=240)
    wb = B.WildClusterBootstrap(X, y, g, 1, n_boot=B.VERDICT_DRAWS, seed=1)
    for r_ in (0.0, 0.5, wb.estimate + 3 * wb.se):
        direct = wb._t(wb.s0 - r_ * wb.s1, wb.H0 - r_ * wb.H1)
        assert wb.statistics(r_)[0] == pytest.approx(direct, rel=1e-7, abs=1e-9)
    assert wb.bootstrap_t_interval(0.95) == pytest.approx(
        (wb.estimate - np.quantile(wb._t(wb.su, wb.Hu), 0.975) * wb.se,
         wb.estimate - np.quantile(wb._t(wb.su, wb.Hu), 0.025) * wb.se), rel=1e-7)
