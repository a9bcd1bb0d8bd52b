"""Hand-worked cases for funnel-plot limits and overdispersion (workbench.analysis.monitoring.funnel).

FunnelPlotR's exact Poisson limits are checked against the gamma distribution (an
independent route: chi2(q, 2k)/2 = gamma(q, k)) and against values printed by R's
``qchisq``; the count-scale flags of standardised ratios against scipy's Poisson and
negative binomial distributions and numerical integration.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from workbench.analysis.monitoring.funnel import (
    EXTREME_PHI,
    count_limits,
    count_probabilities,
    dispersion,
    funnel,
    level_key,
    mixture_gamma,
    poisson_limits,
    truncate_ranks,
    winsorise,
    z_for_level,
)
from workbench.errors import AnalysisInputError


def providers(obs, den, labels=None):
    labels = labels or [f"P{i}" for i in range(len(obs))]
    return pd.DataFrame({"org": labels, "o": [float(x) for x in obs],
                         "d": [float(x) for x in den]})


# --------------------------------------------------------------------------- exact Poisson


def test_exact_poisson_limits_match_r_qchisq_values():
    # R: qchisq(0.025, 20) / 20 = 0.4795389 ; qchisq(0.975, 22) / 20 = 1.839035
    lo, hi = poisson_limits([10.0], 95)
    assert lo[0] == pytest.approx(9.590777 / 20, abs=1e-6)
    assert hi[0] == pytest.approx(36.78071 / 20, abs=1e-6)


@pytest.mark.parametrize("e", [0.5, 3.0, 12.34, 100.0, 2500.0])
@pytest.mark.parametrize("level", [95, 99.8])
def test_exact_poisson_limits_against_gamma(e, level):
    a = 1 - level / 100
    lo, hi = poisson_limits([e], level)
    assert lo[0] == pytest.approx(stats.gamma.ppf(a / 2, e) / e, rel=1e-10)
    assert hi[0] == pytest.approx(stats.gamma.ppf(1 - a / 2, e + 1) / e, rel=1e-10)


def test_sr_table_uses_count_scale_limits_and_flags_outliers():
    df = providers([30, 52, 80, 10], [40, 50, 60, 12], list("ABCD"))
    res = funnel(df, "o", "d", label="org")
    t = res.table.set_index("label")
    for lab, e in zip("ABCD", [40, 50, 60, 12]):
        # the limits are the counts whose tail probability is a/2, divided by E
        assert stats.poisson.cdf(np.floor(t.loc[lab, "lcl_95"] * e), e) < 0.025
        assert stats.poisson.cdf(np.ceil(t.loc[lab, "lcl_95"] * e), e) > 0.025
        assert stats.poisson.sf(np.ceil(t.loc[lab, "ucl_998"] * e) - 1, e) < 0.001
        assert stats.poisson.sf(np.floor(t.loc[lab, "ucl_998"] * e) - 1, e) > 0.001
    # C: 80 events with 60 expected: P(X >= 80) = 0.0078, below 0.025 but not 0.001
    assert t.loc["C", "p_high"] == pytest.approx(stats.poisson.sf(79, 60), rel=1e-9)
    assert t.loc["C", "outlier_95"] and t.loc["C", "side_95"] == "high"
    assert not t.loc["C", "outlier_998"]
    assert t.loc["A", "p_low"] == pytest.approx(stats.poisson.cdf(30, 40), rel=1e-9)
    assert res.phi is None and res.tau2 is None and res.target == 1.0


def test_point_exactly_on_a_limit_is_not_an_outlier():
    e = 40.0
    lo, hi = count_limits([e], 95)
    df = providers([hi[0], lo[0], hi[0] * 1.001], [e, e, e])
    t = funnel(df, "o", "d").table
    assert t["outlier_95"].tolist() == [False, False, True]
    assert t["side_95"].tolist() == ["within", "within", "high"]


@pytest.mark.parametrize("method", ["SHMI", "CQC"])
@pytest.mark.parametrize("level", [95, 99.8])
def test_zero_counts_flagged_exactly_when_a_zero_is_that_unlikely(method, level):
    """P(0 | E) = exp(-E): 0.61, 0.20, 0.045, 0.00034 at E = 0.5, 1.6, 3.1, 8."""
    expected = [0.5, 1.6, 3.1, 8.0]
    big = [100.0] * 6                         # providers on target, to fill the funnel
    df = providers([0, 0, 0, 0] + big, expected + big)
    t = funnel(df, "o", "d", method=method, limits=(level,)).table.iloc[:4]
    a2 = (1 - level / 100) / 2
    p_zero = np.array([stats.poisson.pmf(0, e) for e in expected])
    key = level_key(level)
    assert t[f"outlier_{key}"].tolist() == (p_zero < a2).tolist()
    assert t["p_low"].to_numpy() == pytest.approx(p_zero, rel=1e-9)
    # at 95% only the zero with 8 expected; at 99.8% too (0.00034 < 0.001)
    assert t[f"outlier_{key}"].tolist() == [False, False, False, True]
    assert (t.loc[t[f"outlier_{key}"], f"side_{key}"] == "low").all()


def test_zero_counts_with_overdispersion_use_the_negative_binomial():
    """The synthetic default's N002 case: 0 complaints with 1.6 expected is not flagged
    once the funnel is widened; a zero is flagged only when the negative binomial says."""
    rng = np.random.default_rng(4)
    e = np.round(rng.uniform(5, 60, 40), 1)
    o = rng.poisson(e * rng.gamma(8, 1 / 8, 40)).astype(float)
    e = np.r_[e, 0.5, 1.6, 3.1, 8.0]
    o = np.r_[o, 0, 0, 0, 0]
    for method in ("SHMI", "CQC"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = funnel(providers(o, e), "o", "d", overdispersion=True, method=method)
        assert res.adjusted
        k, m = mixture_gamma(res.tau2, method)
        zeros = res.table.iloc[-4:]
        p_zero = stats.nbinom.pmf(0, k, k / (k + m * zeros["denominator"].to_numpy()))
        assert zeros["p_low"].to_numpy() == pytest.approx(p_zero, rel=1e-9)
        for lv in (95, 99.8):
            key = level_key(lv)
            assert zeros[f"outlier_{key}"].tolist() == (p_zero < (1 - lv / 100) / 2).tolist()
        assert not zeros[["outlier_95", "outlier_998"]].iloc[:3].to_numpy().any()


def test_count_probabilities_match_scipy_and_a_numerical_mixture():
    o, e = np.array([0.0, 3, 12, 40]), np.array([2.5, 7.0, 6.0, 25.0])
    lo, hi = count_probabilities(o, e)
    assert lo == pytest.approx(stats.poisson.cdf(o, e), rel=1e-10)
    assert hi == pytest.approx(stats.poisson.sf(o - 1, e), rel=1e-10)
    tau2 = 0.08
    for method in ("SHMI", "CQC"):
        k, m = mixture_gamma(tau2, method)
        lo, hi = count_probabilities(o, e, tau2=tau2, method=method)
        for i in range(len(o)):
            # Poisson given the ratio theta ~ Gamma(k, mean m), integrated numerically
            dens = stats.gamma(k, scale=m / k).pdf
            num = integrate.quad(lambda th, i=i, dens=dens: stats.poisson.cdf(o[i], e[i] * th)
                                 * dens(th), 0, np.inf, limit=200)[0]
            assert lo[i] == pytest.approx(num, rel=1e-6)
            assert hi[i] == pytest.approx(
                stats.nbinom.sf(o[i] - 1, k, k / (k + m * e[i])), rel=1e-9)


def test_mixture_gamma_matches_the_method_scale():
    """The gamma spread of true ratios has the mean and variance the method assumes on its
    own scale (log for SHMI, square root for CQC), checked by numerical integration."""
    tau2 = 0.05
    k, m = mixture_gamma(tau2, "SHMI")
    g = stats.gamma(k, scale=m / k)
    assert g.expect(np.log) == pytest.approx(0.0, abs=1e-8)
    assert g.expect(lambda t: np.log(t) ** 2) == pytest.approx(tau2, rel=1e-6)
    k, m = mixture_gamma(tau2, "CQC")
    g = stats.gamma(k, scale=m / k)
    assert g.expect(np.sqrt) == pytest.approx(1.0, rel=1e-8)
    assert g.mean() - 1 == pytest.approx(tau2, rel=1e-6)   # Var(sqrt theta) = E theta - 1
    k, m = mixture_gamma(1e-9, "CQC")
    assert k == pytest.approx(1 / (4e-9), rel=1e-6) and m == pytest.approx(1.0)
    assert mixture_gamma(0.0) == (math.inf, 1.0)


def test_count_limits_bracket_the_flags():
    for e in [0.5, 1.6, 3.1, 8.0, 55.5, 800.0]:
        for level in (95, 99.8):
            lo, hi = count_limits([e], level)
            a2 = (1 - level / 100) / 2
            counts = np.arange(0, int(hi[0]) + 30)
            flagged = (stats.poisson.cdf(counts, e) < a2) | (stats.poisson.sf(counts - 1, e) < a2)
            outside = (counts < lo[0]) | (counts > hi[0])
            assert flagged.tolist() == outside.tolist()


def test_z_scores_shmi_and_cqc():
    df = providers([30, 52], [40, 50])
    shmi = funnel(df, "o", "d", method="SHMI").table
    assert shmi["z"].tolist() == pytest.approx([math.sqrt(40) * math.log(30 / 40),
                                                math.sqrt(50) * math.log(52 / 50)])
    cqc = funnel(df, "o", "d", method="CQC").table
    assert cqc["z"].tolist() == pytest.approx([2 * math.sqrt(40) * (math.sqrt(30 / 40) - 1),
                                               2 * math.sqrt(50) * (math.sqrt(52 / 50) - 1)])


def test_levels_and_their_z_values():
    assert z_for_level(95) == 1.959964 and z_for_level(99.8) == 3.090232
    assert z_for_level(90) == pytest.approx(1.644854, abs=1e-6)
    assert level_key(99.8) == "998"
    res = funnel(providers([30, 48], [40, 50]), "o", "d", kind="PR", limits=(90,))
    assert {"lcl_90", "ucl_90", "outlier_90"} <= set(res.table.columns)


# --------------------------------------------------------------------------- trimming


def test_truncation_drops_the_outer_rank_groups():
    # n = 20: group = floor(rank * 10 / 21): ranks 1-2 -> 0, ranks 19-20 -> 9, dropped
    keep = truncate_ranks(np.arange(20.0))
    assert keep.tolist() == [False] * 2 + [True] * 16 + [False] * 2
    # n = 9: group = rank; only rank 9 reaches group 9, nothing falls in group 0
    assert truncate_ranks(np.arange(9.0)).tolist() == [True] * 8 + [False]
    # ties take the average rank: the two lowest (rank 1.5 -> group 0) both go
    z = np.array([-5.0, -5.0] + list(range(18)))
    assert truncate_ranks(z)[:2].tolist() == [False, False]


def test_winsorisation_clips_at_the_10th_and_90th_percentiles():
    z = np.arange(11.0)  # R quantile type 7: 1 and 9
    w, flag = winsorise(z)
    assert w.tolist() == [1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9]
    assert flag.tolist() == [True, True] + [False] * 7 + [True, True]
    z2 = np.array([0.0, 1.0, 2.0, 3.0, 100.0])  # type 7: 0 + 0.4 x 1 and 3 + 0.6 x 97
    w2, _ = winsorise(z2)
    assert w2 == pytest.approx([0.4, 1, 2, 3, 61.2])


def test_dispersion_hand_worked_dersimonian_laird():
    # z = 2, -2, 1, -1 -> phi = 10/4 = 2.5; w = 100, 100, 25, 25:
    # sum w = 250, sum w^2 / sum w = 21250/250 = 85 -> tau2 = (10 - 3) / 165
    phi, tau2 = dispersion(np.array([2.0, -2.0, 1.0, -1.0]), np.array([0.1, 0.1, 0.2, 0.2]))
    assert phi == 2.5 and tau2 == pytest.approx(7 / 165)
    # n phi < n - 1 -> 0
    assert dispersion(np.array([0.1, -0.1, 0.2]), np.array([0.1, 0.1, 0.1]))[1] == 0.0


def _shmi_four(z_abs, e=100.0):
    """Four providers, E = 100 each, z = +/- z_abs under the SHMI log scale."""
    r = math.exp(z_abs / math.sqrt(e))
    return providers([e * r, e / r, e * r, e / r], [e] * 4)


def test_overdispersion_shmi_adjusts_limits_when_phi_above_one():
    res = funnel(_shmi_four(2.0), "o", "d", overdispersion=True, method="SHMI")
    # n = 4: groups floor(rank * 10 / 5) = 2, 4, 6, 8 -> nothing truncated
    assert not res.table["trimmed"].any() and res.n_used_for_phi == 4
    assert res.phi == pytest.approx(4.0)
    tau2 = (4 * 4.0 - 3) / (400 - 100)
    assert res.tau2 == pytest.approx(tau2) and res.adjusted
    t = res.table
    # count-scale limits of the negative binomial with that spread: P(X >= c) = 0.025 ...
    k, m = mixture_gamma(tau2, "SHMI")
    nb = stats.nbinom(k, k / (k + 100 * m))
    assert nb.sf(math.ceil(t["ucl_95"].iloc[0] * 100) - 1) < 0.025
    assert nb.sf(math.floor(t["ucl_95"].iloc[0] * 100) - 1) > 0.025
    assert nb.cdf(math.floor(t["lcl_998"].iloc[0] * 100)) < 0.001
    # ... within 5% of FunnelPlotR's widened log-scale 95% limits at E = 100 (a large
    # tau2 of 0.043; the gamma's log is skewed where the log-normal's is not)
    sd = math.sqrt(0.01 + tau2)
    assert t["ucl_95"].iloc[0] == pytest.approx(math.exp(1.959964 * sd), rel=0.05)
    assert t["lcl_95"].iloc[0] == pytest.approx(math.exp(-1.959964 * sd), rel=0.05)
    assert t["z_adjusted"].iloc[0] == pytest.approx(2.0 / math.sqrt(1 + 100 * tau2))
    # unadjusted these are 95% outliers (|z| = 2 > 1.96); adjusted they are not
    assert not t["outlier_95"].any()
    # unadjusted limits are exact Poisson, which are skewed: at E = 100 they are
    # 0.8136 and 1.2163, so ratios e^0.2 = 1.2214 are outliers and e^-0.2 = 0.8187 are not
    plain = funnel(_shmi_four(2.0), "o", "d", method="SHMI").table
    assert plain["outlier_95"].tolist() == [True, False, True, False]


def test_tau2_reported_but_not_used_when_phi_at_most_one():
    # z = +/-0.95 -> phi = 0.9025; n phi = 3.61 >= n - 1 = 3 so tau2 > 0, but phi <= 1
    res = funnel(_shmi_four(0.95), "o", "d", overdispersion=True)
    assert res.phi == pytest.approx(0.9025)
    assert res.tau2 == pytest.approx((3.61 - 3) / 300)
    assert not res.adjusted
    plain = funnel(_shmi_four(0.95), "o", "d")
    pd.testing.assert_series_equal(res.table["ucl_95"], plain.table["ucl_95"])
    assert res.table["z_adjusted"].tolist() == pytest.approx(res.table["z"].tolist())


def test_tau2_zero_when_underdispersed():
    res = funnel(_shmi_four(0.3), "o", "d", overdispersion=True)
    assert res.phi == pytest.approx(0.09) and res.tau2 == 0.0 and not res.adjusted


def test_overdispersion_cqc_winsorises_and_squares_back():
    e = np.array([20.0, 40, 60, 80, 100, 120, 140, 160, 180, 200, 220])
    ratio = np.array([0.5, 1.6, 0.8, 1.3, 0.9, 1.1, 0.7, 1.25, 1.0, 0.85, 1.5])
    df = providers(list(e * ratio), list(e))
    res = funnel(df, "o", "d", overdispersion=True, method="CQC")
    z = 2 * np.sqrt(e) * (np.sqrt(ratio) - 1)
    lz, uz = np.quantile(z, [0.1, 0.9])
    zw = np.clip(z, lz, uz)
    phi = np.mean(zw ** 2)
    w = 4 * e
    tau2 = (11 * phi - 10) / (w.sum() - (w ** 2).sum() / w.sum())
    assert res.phi == pytest.approx(phi) and res.tau2 == pytest.approx(tau2)
    assert res.adjusted and res.table["trimmed"].sum() == 4
    # count-scale limits of the negative binomial with that spread ...
    k, m = mixture_gamma(tau2, "CQC")
    nb = stats.nbinom(k, k / (k + m * e))
    ucl = res.table["ucl_95"].to_numpy()
    assert (nb.sf(np.ceil(ucl * e) - 1) < 0.025).all()
    assert (nb.sf(np.floor(ucl * e) - 1) > 0.025).all()
    # ... close to the squared square-root-scale limits (within 2% at the 95% upper)
    sd = np.sqrt(1 / (4 * e) + tau2)
    assert ucl == pytest.approx((1 + 1.959964 * sd) ** 2, rel=0.02)


def test_shmi_zero_events_has_infinite_z_left_out_of_phi():
    df = providers([0, 52, 48, 50], [40, 50, 50, 50])
    with pytest.warns(UserWarning, match="infinite z-score"):
        res = funnel(df, "o", "d", overdispersion=True)
    assert res.table["z"].iloc[0] == -np.inf
    assert res.n_used_for_phi == 3
    assert np.isfinite(res.phi)


# --------------------------------------------------------------------------- PR and RC


def test_proportion_limits_on_the_arcsine_scale():
    df = providers([90, 160, 300], [100, 200, 400], list("ABC"))
    res = funnel(df, "o", "d", kind="PR", label="org")
    p = 550 / 700
    assert res.target == pytest.approx(p)
    t = res.table.set_index("label")
    ang = math.asin(math.sqrt(p))
    assert t.loc["A", "ucl_95"] == pytest.approx(math.sin(ang + 1.959964 / (2 * 10)) ** 2)
    assert t.loc["C", "lcl_998"] == pytest.approx(math.sin(ang - 3.090232 / (2 * 20)) ** 2)
    assert t.loc["A", "z"] == pytest.approx((math.asin(math.sqrt(0.9)) - ang) * 2 * 10)
    assert t["outlier_95"].tolist() == [True, False, False]


def test_proportion_limits_clip_instead_of_wrapping_round():
    # pooled 0.98 with 10 trials: the upper angle passes pi/2, so the limit is 1
    df = providers([98, 49, 49, 10], [100, 50, 50, 10])
    res = funnel(df, "o", "d", kind="PR")
    row = res.table.iloc[3]
    assert res.target == pytest.approx(206 / 210)
    assert row["ucl_95"] == 1.0 and row["lcl_95"] < res.target


def test_ratio_of_counts_z_and_outlier_on_z_scale():
    df = providers([10, 40, 200], [100, 200, 1000], list("ABC"))
    res = funnel(df, "o", "d", kind="RC", label="org")
    target = 250 / 1300
    assert res.target == pytest.approx(target)
    t = res.table.set_index("label")
    o, d = 10.0, 100.0
    s = math.sqrt(o / (o + .5) ** 2 + d / (d + .5) ** 2)
    z = (math.log((o + .5) / (d + .5)) - math.log(target)) / s
    assert t.loc["A", "z"] == pytest.approx(z)
    assert t.loc["A", "ucl_95"] == pytest.approx(math.exp(math.log(target) + 1.959964 * s))
    assert bool(t.loc["A", "outlier_95"]) == (abs(z) > 1.959964)


# --------------------------------------------------------------------------- curves, labels


def test_curves_narrow_with_size_and_pass_through_provider_limits():
    df = providers([30, 52, 80, 10], [40, 50, 60, 12])
    res = funnel(df, "o", "d")
    c = res.curves
    assert (np.diff(c["ucl_95"]) < 0).all() and (np.diff(c["lcl_95"]) > 0).all()
    at40 = c.loc[np.isclose(c["denominator"], 40.0)]
    assert at40["ucl_95"].item() == pytest.approx(res.table["ucl_95"].iloc[0])
    assert (c["ucl_998"] > c["ucl_95"]).all()


def test_rows_with_the_same_label_are_summed():
    df = providers([10, 20, 52], [15, 25, 50], ["A", "A", "B"])
    t = funnel(df, "o", "d", label="org").table.set_index("label")
    assert t.loc["A", "numerator"] == 30 and t.loc["A", "denominator"] == 40
    assert len(t) == 2


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("mutate, match", [
    (lambda d: d.assign(d=[40.0, 0.0, 60.0]), "zero or negative at rows \\[1\\]"),
    (lambda d: d.assign(d=[40.0, -5.0, 60.0]), "zero or negative"),
    (lambda d: d.assign(o=[30.0, np.nan, 80.0]), "missing, infinite or non-numeric"),
    (lambda d: d.assign(d=[40.0, np.nan, 60.0]), "missing, infinite or non-numeric"),
    (lambda d: d.assign(o=[30.0, -1.0, 80.0]), "negative"),
    (lambda d: d.iloc[0:0], "has no rows"),
])
def test_bad_values_give_clear_errors(mutate, match):
    df = providers([30, 52, 80], [40, 50, 60])
    with pytest.raises(AnalysisInputError, match=match):
        funnel(mutate(df), "o", "d")


def test_bad_arguments_give_clear_errors():
    df = providers([30, 52, 80], [40, 50, 60])
    with pytest.raises(AnalysisInputError, match="kind"):
        funnel(df, "o", "d", kind="XX")
    with pytest.raises(AnalysisInputError, match="method"):
        funnel(df, "o", "d", method="NHS")
    with pytest.raises(AnalysisInputError, match="limits"):
        funnel(df, "o", "d", limits=(95, 120))
    with pytest.raises(AnalysisInputError, match="not in the data"):
        funnel(df, "o", "missing")
    with pytest.raises(AnalysisInputError, match="exceeds the denominator"):
        funnel(providers([30, 60], [40, 50]), "o", "d", kind="PR")
    with pytest.raises(AnalysisInputError, match="sums to 0"):
        funnel(providers([0, 0], [40, 50]), "o", "d", kind="PR")
    with pytest.raises(AnalysisInputError, match="estimate overdispersion"), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        funnel(providers([30], [40]), "o", "d", overdispersion=True)


def test_funnel_chart_labels_outliers_only():
    import matplotlib

    matplotlib.use("Agg")
    from workbench.report.monitoring_charts import funnel_chart

    df = providers([30, 52, 95, 10], [40, 50, 60, 12], list("ABCD"))
    res = funnel(df, "o", "d", label="org")
    ax = funnel_chart(res, improvement_direction="decrease")
    assert [t.get_text() for t in ax.texts] == list(res.outliers()["label"])
    assert [t.get_text() for t in ax.texts] == ["C"]
    with pytest.raises(AnalysisInputError, match="was not computed"):
        funnel_chart(res, level=90)


# --------------------------------------------------------------------------- extreme phi


def _spread_out(n=30, size=5000.0):
    """Proportions from 0.5 to 0.9 with large denominators: phi in the hundreds."""
    p = np.linspace(0.5, 0.9, n)
    return providers(list(np.round(p * size)), [size] * n)


def test_extreme_overdispersion_flags_no_provider():
    res = funnel(_spread_out(), "o", "d", kind="PR", overdispersion=True)
    assert res.phi > EXTREME_PHI and not res.comparable
    assert res.outliers().empty and res.outliers(95).empty
    assert (res.table["side_95"] == "not_compared").all()
    assert not res.table[["outlier_95", "outlier_998"]].to_numpy().any()
    # the same data with the check switched off flag several providers
    loose = funnel(_spread_out(), "o", "d", kind="PR", overdispersion=True, max_phi=None)
    assert loose.comparable and len(loose.outliers(95)) > 0
    # phi within the usual range: comparable, as before
    usual = funnel(_shmi_four(2.0), "o", "d", overdispersion=True)
    assert usual.phi == pytest.approx(4.0) and usual.comparable
    # without overdispersion phi is not estimated, so nothing is judged
    assert funnel(_spread_out(), "o", "d", kind="PR").comparable


def test_max_phi_must_be_above_one():
    with pytest.raises(AnalysisInputError, match="max_phi.*above 1"):
        funnel(_spread_out(), "o", "d", kind="PR", overdispersion=True, max_phi=0.5)


# --------------------------------------------------------------------------- chart labels


def _crowded(n=60, seed=2):
    """Many providers of similar size, half of them far outside the limits."""
    rng = np.random.default_rng(seed)
    e = rng.uniform(400, 420, n)
    ratio = np.where(np.arange(n) % 2 == 0, rng.uniform(1.6, 1.7, n), 1.0)
    return providers(list(np.round(e * ratio)), list(e), [f"RXX{i:02d}" for i in range(n)])


def test_funnel_chart_labels_at_most_n_outliers_without_overlap():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from workbench.report.monitoring_charts import MAX_FUNNEL_LABELS, funnel_chart

    res = funnel(_crowded(), "o", "d", label="org")
    n_out = len(res.outliers())
    assert n_out > MAX_FUNNEL_LABELS
    ax = funnel_chart(res, improvement_direction="decrease")
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    labels = [t for t in ax.texts if t.get_text().startswith("RXX")]
    assert 0 < len(labels) <= MAX_FUNNEL_LABELS
    assert {t.get_text() for t in labels} <= set(res.outliers()["label"])
    from matplotlib.text import Text

    fig.tight_layout()                               # as when the figure is saved
    boxes = [Text.get_window_extent(t, renderer) for t in labels]     # the words
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    note = [t.get_text() for t in ax.texts if "not labelled" in t.get_text()]
    assert note == [f"{n_out - len(labels)} more outside the 99.8% limits, not labelled"]
    ax3 = funnel_chart(res, max_labels=3)
    assert len([t for t in ax3.texts if t.get_text().startswith("RXX")]) <= 3
    plt.close("all")


def test_funnel_chart_of_providers_not_comparable_draws_no_limits_or_labels():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from workbench.report.monitoring_charts import funnel_chart

    res = funnel(_spread_out(), "o", "d", kind="PR", overdispersion=True)
    ax = funnel_chart(res, improvement_direction="increase")
    assert [t.get_text() for t in ax.texts if "Not comparable" in t.get_text()]
    assert len(ax.lines) == 1                       # the target only
    assert not [t for t in ax.texts if t.get_text().startswith("P")]
    plt.close("all")


def test_funnel_small_multiples_one_panel_per_stratum():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from workbench.report.monitoring_charts import funnel_small_multiples

    res = {"A": funnel(_crowded(), "o", "d", label="org"),
           "B": funnel(_spread_out(), "o", "d", kind="PR", overdispersion=True)}
    fig = funnel_small_multiples(res, ncols=2, max_labels=4)
    titles = [a.get_title(loc="left") for a in fig.axes if a.get_visible()]
    assert titles == ["A", "B"]
    assert len([t for t in fig.axes[0].texts if t.get_text().startswith("RXX")]) <= 4
    with pytest.raises(AnalysisInputError, match="results"):
        funnel_small_multiples({})
    plt.close("all")
