"""NHS vs independent: naive, regression adjustment, IPW, balance, overlap warnings."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from workbench.analysis.effects import weighting
from workbench.data.synth import generate
from workbench.errors import AnalysisInputError


@pytest.fixture(scope="module")
def overlap():
    return generate(seed=31, n_providers=240, n_months=12, selection=0.3)


@pytest.fixture(scope="module")
def calibrated():
    return generate(seed=31, n_providers=240, n_months=12)


def test_three_estimates_side_by_side(overlap):
    fs, bal = weighting.compare_sectors(overlap.panel, n_boot=300)
    kinds = ["naive", "adjusted", "adjusted#linear", "ipw", "overlap", "aipw"]
    assert [f.key.kind + (f"#{f.key.variant}" if f.key.variant else "")
            for f in fs] == kinds * 2
    for f in fs:
        assert f.n and f.clusters and f.ci_low < f.estimate < f.ci_high
    for f in fs[1:6] + fs[7:12]:
        assert f.covers(overlap.truth[str(f.key.estimand)]), (f.id, f.estimate, f.ci_low,
                                                               f.ci_high)
    assert set(bal.columns) == {"covariate", "stage", "smd"}


def test_weighting_improves_balance(overlap):
    t = weighting.propensity_scores(weighting.provider_table(overlap.panel))
    bal = weighting.balance(t).pivot(index="covariate", columns="stage", values="smd")
    assert bal["unweighted"].abs().max() > 0.5
    assert (bal["weighted"].abs() < bal["unweighted"].abs()).all()
    assert bal["weighted"].abs().max() < 0.25


def test_propensity_matches_statsmodels_logit(overlap):
    t = weighting.propensity_scores(weighting.provider_table(overlap.panel))
    X = sm.add_constant(t[["case_mix_index", "pct_aged_75_plus", "deprivation_imd"]])
    ref = sm.Logit(t["treated"], X).fit(disp=0).predict(X)
    np.testing.assert_allclose(t["ps"], ref, rtol=1e-6)
    # stabilised weights sum to each sector's provider count
    for g in (0, 1):
        m = t["treated"] == g
        assert t.loc[m, "weight"].sum() == pytest.approx(m.sum())


def test_ipw_by_hand_on_a_tiny_table():
    # equal propensity within sector -> IPW is the plain difference of means
    t = pd.DataFrame({"treated": [1, 1, 0, 0, 0, 0], "x": [1, 1, 1, 1, 1, 1],
                      "y": [3.0, 5.0, 1.0, 2.0, 3.0, 2.0]})
    X = np.column_stack([np.ones(6)])
    assert weighting._ipw_estimate(X, t["treated"].to_numpy(float), t["y"].to_numpy(float)) == \
        pytest.approx(4.0 - 2.0)


def test_smd_by_hand():
    t = pd.DataFrame({"treated": [1, 1, 0, 0], "x": [2.0, 4.0, 0.0, 2.0],
                      "weight": [1.0, 3.0, 1.0, 1.0]})
    b = weighting.balance(t, ("x",)).set_index("stage")["smd"]
    sd = np.sqrt((2.0 + 2.0) / 2)
    assert b["unweighted"] == pytest.approx((3 - 1) / sd)
    assert b["weighted"] == pytest.approx((3.5 - 1) / sd)


def test_naive_difference_is_confounded_adjusted_not(calibrated):
    fs, _ = weighting.compare_sectors(calibrated.panel, outcomes=("fft_pct_positive",), n_boot=200,
                                   methods=("ipw",))
    naive, adjusted, linear, ipw = fs
    truth = calibrated.truth["adjusted:sector[independent]->fft_pct_positive@acute"]
    assert not naive.covers(truth) and naive.estimate > truth + 0.5
    assert adjusted.covers(truth) and linear.covers(truth)
    assert "poor overlap" in ipw.warning and "poor overlap" in adjusted.warning


def test_provider_table_rejects_bad_input(overlap):
    with pytest.raises(AnalysisInputError, match="not in the panel"):
        weighting.provider_table(overlap.panel, "no_such_outcome")
    nhs_only = overlap.panel[overlap.panel.sector != "independent"]
    with pytest.raises(AnalysisInputError, match="at least 5 of each"):
        weighting.provider_table(nhs_only, "fft_pct_positive")
    switch = overlap.panel.copy()
    code = switch.loc[switch.sector == "nhs", "provider_code"].iloc[0]
    first = switch.index[switch.provider_code == code][0]
    switch.loc[first, "sector"] = "independent"
    with pytest.raises(AnalysisInputError, match="changes over time"):
        weighting.provider_table(switch, "fft_pct_positive")


def test_balance_rejects_table_without_weights(overlap):
    t = weighting.provider_table(overlap.panel)
    with pytest.raises(AnalysisInputError, match="weight"):
        weighting.balance(t)


def test_balance_plot(overlap):
    from workbench.report.diagnostics import balance_plot

    t = weighting.propensity_scores(weighting.provider_table(overlap.panel))
    ax = balance_plot(weighting.balance(t))
    assert len(ax.get_yticklabels()) == 3
    with pytest.raises(AnalysisInputError, match="hue='group'"):
        balance_plot(weighting.balance(t), hue="group")


def test_estimands_are_named_and_weights_match_their_formulas():
    ps = np.array([0.2, 0.6, 0.3, 0.9])
    t = np.array([1, 1, 0, 0])
    att = weighting.arm_weights(ps, t, "ATT")
    assert att[:2].tolist() == [1.0, 1.0]
    np.testing.assert_allclose(att[2:] / att[2:].sum(), np.array([0.3 / 0.7, 9.0])
                               / (0.3 / 0.7 + 9.0))
    with pytest.raises(AnalysisInputError, match="estimand"):
        weighting.arm_weights(ps, t, "ATX")


def test_overlap_weights_balance_exactly_and_are_reported(calibrated):
    res = weighting.weighted_difference(calibrated.panel, "rtt_median_weeks", method="overlap",
                                        n_boot=200)
    [f] = res.findings()
    bal = weighting.balance(res.table)
    assert bal.equals(res.balance)
    assert bal.loc[bal.stage == "weighted", "smd"].abs().max() < 1e-6
    # the means balance by construction; the squares, products and distributions need not,
    # and here they do not: the estimate is a diagnostic, not an answer
    checks = res.checks.set_index("kind")
    assert checks.loc["mean", "ok"].all() and not checks["ok"].all()
    assert f.role == "diagnostic" and "failed balance" in f.warning
    assert "ATO" in f.unit and "overlap population" in f.question
    assert f.covers(calibrated.truth[f.id])


def test_failed_balance_makes_a_diagnostic(calibrated):
    res = weighting.weighted_difference(calibrated.panel, "rtt_median_weeks", method="ipw",
                                        n_boot=200)
    [f] = res.findings()
    assert f.role == "diagnostic" and res.failed
    assert "failed balance" in f.warning and "not to be read as an answer" in f.warning
    assert f.sentence.startswith("Not to be read as an answer")
    assert "ATE" in f.unit


def test_aipw_recovers_truth_with_overlap_and_is_doubly_robust(overlap):
    res = weighting.weighted_difference(overlap.panel, "fft_pct_positive", method="aipw",
                                        n_boot=200)
    [f] = res.findings()
    assert f.covers(overlap.truth[f.id])
    failed = weighting.checks_failed(weighting.balance_checks(res.table))
    assert bool(res.failed) == bool(failed)
    assert f.role == ("diagnostic" if failed else "robustness")
    # a constant propensity (no covariates in it) leaves AIPW to the outcome model
    rng = np.random.default_rng(0)
    x = rng.normal(size=400)
    treat = (rng.uniform(size=400) < 1 / (1 + np.exp(-2 * x))).astype(float)
    y = 1.0 * treat + 3.0 * x + rng.normal(size=400) * 0.1
    X = np.column_stack([np.ones(400), x])
    assert weighting._aipw_estimate(X, treat, y) == pytest.approx(1.0, abs=0.05)


def test_trimming_changes_the_estimand_and_needs_providers(overlap, calibrated):
    res = weighting.weighted_difference(overlap.panel, "rtt_median_weeks", trim=0.05,
                                        n_boot=200)
    [f] = res.findings()
    assert f.id.endswith("#trim0.05") and "trimmed" in f.warning
    assert res.table["ps"].between(0, 1).all()
    with pytest.raises(AnalysisInputError, match="trim"):
        weighting.weighted_difference(calibrated.panel, "rtt_median_weeks", trim=0.45,
                                   n_boot=200)
    with pytest.raises(AnalysisInputError, match="method"):
        weighting.weighted_difference(overlap.panel, "rtt_median_weeks", method="match")


def test_default_seed_no_reported_weighted_interval_misses_truth():
    from workbench.analysis.questions import nhs_vs_private as q03
    from workbench.data.synth import generate as gen

    sd = gen()
    found, bal = q03.sector_weighting(sd.panel, n_boot=300)
    ipw = [f for f in found if f.id.startswith("ipw:")]
    assert ipw and all(f.role == "diagnostic" for f in ipw)
    for f in found:
        if f.role != "diagnostic":
            assert f.covers(sd.truth[f.id]), (f.id, f.ci_low, f.ci_high)
    assert set(bal["weights"]) == {"IPW (ATE)", "overlap (ATO)"}
