"""The doubly robust sector contrast: flexible case-mix models, balance that can fail,
overlap said in the finding, a specification check of linear adjustment, and recovery of
the truth (also where linear adjustment is misspecified)."""

import numpy as np
import pandas as pd
import pytest

from workbench.analysis.effects import weighting as W
from workbench.analysis.questions import nhs_vs_private as q03
from workbench.data.synth import generate

OUTCOMES = ("rtt_median_weeks", "fft_pct_positive")


@pytest.fixture(scope="module")
def default():
    return generate()


@pytest.fixture(scope="module")
def nonlinear_overlap():
    return generate(seed=11, scenario="nonlinear", selection=0.3)


def _square_selected(n=400, seed=0):
    """Providers whose sector depends on the square of x (and linearly on z)."""
    rng = np.random.default_rng(seed)
    x, z = rng.normal(size=n), rng.normal(size=n)
    treated = (rng.uniform(size=n) < 1 / (1 + np.exp(-(-1.0 + 1.2 * x ** 2 + 0.3 * z))))
    return pd.DataFrame({"treated": treated.astype(float), "x": x, "z": z})


def test_leaving_the_square_out_of_the_propensity_fails_the_squares_check():
    t = _square_selected()
    # a linear logistic propensity with overlap weights balances the means exactly ...
    linear = W.propensity_scores(t, ("x", "z"), estimand="ATO")
    checks = W.balance_checks(linear, ("x", "z")).set_index(["kind", "term"])
    assert checks.loc["mean", "weighted"].abs().max() < 1e-6
    # ... and still fails the square it left out
    assert not checks.loc[("square", "x, squared"), "ok"]
    assert abs(checks.loc[("square", "x, squared"), "weighted"]) > 0.3
    assert any("x, squared" in c for c in W.checks_failed(W.balance_checks(linear, ("x", "z"))))
    # the doubly robust contrast's weights (means, squares and products balanced) pass it
    flexible = W.dr_weights(t, ("x", "z"))
    fchecks = W.balance_checks(flexible, ("x", "z")).set_index(["kind", "term"])
    assert fchecks.loc[("square", "x, squared"), "ok"]
    assert fchecks.loc["mean", "weighted"].abs().max() < W.BALANCE_LIMIT


def test_distribution_check_fails_when_only_means_match():
    # same means, different spreads: the means balance but the distributions do not
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.normal(0, 1, 300), rng.normal(0, 3, 300)])
    t = pd.DataFrame({"treated": [1.0] * 300 + [0.0] * 300, "x": x - np.r_[
        np.full(300, x[:300].mean()), np.full(300, x[300:].mean())], "weight": 1.0})
    c = W.balance_checks(t, ("x",)).set_index("kind")
    assert c.loc["mean", "ok"] and not c.loc["distribution", "ok"]
    assert c.loc["distribution", "limit"] == pytest.approx(
        max(W.KS_LIMIT, W.KS_CHANCE * np.sqrt(2 / 300)))
    # a handful of effective providers cannot pass by being few
    few = t.assign(weight=np.r_[np.ones(300), 1e-6 * np.ones(299), 1.0])
    assert W.balance_checks(few, ("x",)).set_index("kind").loc["distribution", "limit"] == \
        W.KS_MAX_LIMIT


def test_spline_terms_are_linear_beyond_the_outer_knots():
    knots = (0.1, 0.4, 0.6, 0.9)
    x = np.array([1.0, 2.0, 3.0, -1.0, -2.0])
    s = W.spline_terms(x, knots)
    assert s.shape == (5, 2)
    np.testing.assert_allclose(s[1] - s[0], s[2] - s[1])   # straight above the last knot
    np.testing.assert_allclose(s[3:], 0.0)                  # and zero below the first
    # by hand: (x - t1)^3 - (x - t3)^3 (t4 - t1)/(t4 - t3) + (x - t4)^3 (t3 - t1)/(t4 - t3)
    by_hand = (0.9 ** 3 - 0.4 ** 3 * 0.8 / 0.3 + 0.1 ** 3 * 0.5 / 0.3) / 0.8 ** 2
    assert s[0, 0] == pytest.approx(by_hand)


def test_balancing_odds_balance_or_say_they_cannot():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(300, 2))
    t = (rng.uniform(size=300) < 1 / (1 + np.exp(-x[:, 0]))).astype(float)
    odds, ok = W.balancing_odds(x, t)
    assert ok
    np.testing.assert_allclose(np.average(x[t == 0], axis=0, weights=odds[t == 0]),
                               x[t == 1].mean(0), atol=0.02)
    # treated far outside the untreated: no weights can balance them
    apart = np.r_[x[:150, 0] + 10, x[150:, 0]][:, None]
    _, ok = W.balancing_odds(apart, np.r_[np.ones(150), np.zeros(150)])
    assert not ok


def test_bootstrap_draws_balance_as_each_draw_would_on_its_own():
    """The DR bootstrap solves every draw's balancing weights together: with overlap each
    draw gets the weights the one-draw solver gives it (a draw whose column happens to be
    constant included); with none, every draw's weights fail balance, as they do alone (the
    solver then stops at its step limit, where rounding decides the exact point)."""
    rng = np.random.default_rng(5)
    t = np.r_[np.ones(25), np.zeros(55)]
    for shift in (0.3, 3.0):
        x = rng.normal(size=(80, 3))
        x[:25] += shift
        B = np.stack([np.r_[x[:25][rng.integers(0, 25, 25)], x[25:][rng.integers(0, 55, 55)]]
                      for _ in range(12)])
        B[3, :, 1] = 1.0
        together, ok = W._balancing_odds_draws(B, t)
        for d in range(len(B)):
            solo, balanced = W.balancing_odds(B[d], t)
            assert balanced == (shift < 1) == ok[d]
            if balanced:
                np.testing.assert_allclose(together[d], solo, rtol=1e-6, atol=1e-12)
            else:
                sd = B[d].std(0) + (B[d].std(0) == 0)
                gap = (np.average(B[d][t == 0], axis=0, weights=together[d][t == 0])
                       - B[d][t == 1].mean(0)) / sd
                assert np.abs(gap).max() > W.BALANCED


def test_effective_sample_size_by_hand():
    assert W.effective_sample_size([1, 1, 1, 1]) == pytest.approx(4.0)
    assert W.effective_sample_size([3, 1]) == pytest.approx(16 / 10)
    sizes = W.effective_sizes(pd.DataFrame({"treated": [1, 0, 0, 0],
                                            "weight": [1.0, 2.0, 1.0, 1.0]}))
    assert sizes.set_index("sector").loc["NHS", "effective"] == pytest.approx(16 / 6)


def test_specification_check_rejects_curvature_and_passes_a_straight_line():
    rng = np.random.default_rng(3)
    x = rng.normal(size=300)
    t = (rng.uniform(size=300) < 0.4).astype(float)
    curved = pd.DataFrame({"treated": t, "x": x, "y": x + x ** 2 + rng.normal(size=300)})
    straight = curved.assign(y=x + 0.5 * t + rng.normal(size=300))
    assert W.specification_check(curved, "y", ("x",))["rejects"]
    res = W.specification_check(straight, "y", ("x",))
    assert not res["rejects"] and res["p_value"] > 0.05
    assert "F test" in res["text"]


def test_default_seed_recovers_truth_and_poor_overlap_keeps_it_out_of_the_headline(default):
    for o in OUTCOMES:
        res = W.weighted_difference(default.panel, o, method="dr", n_boot=199)
        [f] = res.findings()
        truth = default.truth[f.id]
        se = (f.ci_high - f.ci_low) / 3.92
        # within 3 standard errors: a miss this large happens 3 times in 1,000
        assert abs(f.estimate - truth) < 3 * se, (o, f.estimate, truth, se)
        assert f.id == f"adjusted:sector[independent]->{o}@acute"
        # the sectors barely overlap on the default panel: said, and not a headline
        assert "poor overlap" in f.warning and f.role == "robustness"
        assert f.parameters["estimand"] == "ATT" and "doubly robust" in f.model
        assert "own case mix" in f.question and "ATT" not in f.question + f.unit
        assert "Specification check" in f.sentence


def test_nonlinear_case_mix_linear_adjustment_is_flagged(nonlinear_overlap):
    sd = nonlinear_overlap
    fs = {f.id: f for f in q03.nhs_vs_independent(sd.panel, outcomes=OUTCOMES, n_boot=199)
          if "sector[independent]" in f.id}
    fft = "adjusted:sector[independent]->fft_pct_positive@acute"
    assert fs[fft].covers(sd.truth[fft])
    linear = fs[fft + "#linear"]
    assert linear.role == "robustness"
    assert "misspecified" in linear.warning and "doubly robust" in linear.warning


def test_few_independent_hospitals_never_stop_the_run():
    sd = generate(seed=5, scenario="few_independent")
    fs = q03.nhs_vs_independent(sd.panel, outcomes=OUTCOMES, n_boot=199)
    adjusted = [f for f in fs if f.id.startswith("adjusted:") and "#" not in f.id]
    assert len(adjusted) == 2
    for f in adjusted:
        assert f.role != "headline" and f.warning
        assert np.isfinite([f.estimate, f.ci_low, f.ci_high]).all()


def test_no_doubly_robust_contrast_leaves_linear_adjustment_with_the_reason(default):
    panel = default.panel
    ind = panel.loc[panel["sector"] == "independent", "provider_code"].unique()[:4]
    thin = panel[(panel["sector"] != "independent") | panel["provider_code"].isin(ind)]
    fs = q03.sector_contrast(thin, "rtt_median_weeks", q03.case_mix_available(thin), n_boot=100)
    ids = [f.id for f in fs]
    assert ids == ["naive:sector[independent]->rtt_median_weeks@acute",
                   "adjusted:sector[independent]->rtt_median_weeks@acute"]
    assert "doubly robust contrast could not be estimated" in fs[1].warning


def test_checks_for_the_notebook(default):
    c = q03.sector_contrast_checks(default.panel)
    assert set(c["balance"]["kind"]) == {"mean", "square", "interaction", "distribution"}
    assert {"term", "statistic", "unweighted", "weighted", "limit", "ok"} <= set(c["balance"])
    assert list(c["sizes"]["sector"]) == ["independent", "NHS"]
    assert (c["sizes"]["effective"] <= c["sizes"]["providers"] + 1e-9).all()
    mix = c["case_mix"].set_index("covariate")
    # the overlap population lies between the sectors' case mix
    cmi = mix.loc["Case-mix complexity index"]
    assert cmi["independent hospitals"] < cmi["overlap population"] < cmi["NHS trusts"]
    assert len(c["specification"]) == 2 and set(c["specification"]["linear adjustment"]) <= {
        "misspecified", "no evidence against"}


@pytest.mark.slow
@pytest.mark.parametrize("selection", [1.0, 0.3])
def test_nonlinear_doubly_robust_contrasts_cover_on_fresh_seeds(selection):
    """Headline-eligible or not, the doubly robust contrasts cover their truths in at
    least 90% of fresh panels of the nonlinear scenario (20 seeds x 2 outcomes)."""
    hits = []
    for seed in range(9100, 9120):
        sd = generate(seed=seed, scenario="nonlinear", selection=selection)
        for o in OUTCOMES:
            [f] = W.weighted_difference(sd.panel, o, method="dr", n_boot=199,
                                        seed=seed).findings()
            hits.append(f.covers(sd.truth[f.id]))
    assert np.mean(hits) >= 0.90, np.mean(hits)


def test_contrast_without_balance_is_the_outcome_model_alone_and_says_so(default):
    """On the default panel no weighting of NHS trusts reaches the independent hospitals'
    case mix: the contrast must not use the solver's arbitrary stopping point; it is the
    NHS outcome model's prediction for the independent hospitals, said in the finding,
    which then cannot be a headline."""
    r = W.weighted_difference(default.panel, "rtt_median_weeks", method="dr", n_boot=199)
    table = W.provider_table(default.panel, "rtt_median_weeks", covariates=W.md.CASE_MIX)
    Xo, Xp, _ = W.dr_designs(table, W.md.CASE_MIX)
    t = table["treated"].to_numpy(float)
    y = table["rtt_median_weeks"].to_numpy(float)
    assert not W.balancing_odds(Xp[:, 1:], t)[1]
    coef = np.linalg.lstsq(Xo[t == 0], y[t == 0], rcond=None)[0]
    assert r.estimate == pytest.approx(float(np.mean((y - Xo @ coef)[t == 1])), abs=1e-9)
    assert any("regression imputation" in w for w in r.warnings)
    # same data, same seed: the same interval
    again = W.weighted_difference(default.panel, "rtt_median_weeks", method="dr", n_boot=199)
    assert (again.ci_low, again.ci_high) == (r.ci_low, r.ci_high)
    assert r.findings()[0].role != "headline"


def test_a_bootstrap_draw_follows_the_estimators_rule(monkeypatch, nonlinear_overlap):
    """A draw whose weights do not balance it is answered as the full sample would be:
    by the outcome model alone (equal weights), never by the solver's stopping point."""
    panel = nonlinear_overlap.panel
    table = W.provider_table(panel, "fft_pct_positive", covariates=W.md.CASE_MIX)
    _, Xp, _ = W.dr_designs(table, W.md.CASE_MIX)
    assert W.balancing_odds(Xp[:, 1:], table["treated"].to_numpy(float))[1]
    real = W._balancing_odds_draws

    def unbalanced(B, t, **kw):   # odds of no use, flagged as failing balance
        odds, _ = real(B, t, **kw)
        return odds * np.arange(1, odds.shape[1] + 1), np.zeros(len(odds), bool)

    monkeypatch.setattr(W, "_balancing_odds_draws", unbalanced)
    flagged = W.weighted_difference(panel, "fft_pct_positive", method="dr", n_boot=199, seed=3)
    monkeypatch.setattr(W, "_balancing_odds_draws",
                        lambda B, t, **kw: (np.ones(B.shape[:2]), np.ones(len(B), bool)))
    equal = W.weighted_difference(panel, "fft_pct_positive", method="dr", n_boot=199, seed=3)
    assert (flagged.ci_low, flagged.ci_high) == (equal.ci_low, equal.ci_high)
    assert flagged.estimate == equal.estimate   # the full sample balances: its weights
