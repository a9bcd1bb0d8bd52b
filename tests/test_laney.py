"""p' and u' charts (Laney 2002), run charts, seasonal adjustment and screening."""

import math

import numpy as np
import pandas as pd
import pytest

from workbench.analysis.monitoring.laney import (
    false_alarm_rate,
    laney_p,
    laney_u,
    run_chart,
    runs_limits,
    screen,
    seasonal_adjust,
)
from workbench.errors import AnalysisInputError

MONTHS = pd.date_range("2024-01-01", periods=5, freq="MS")


def test_p_prime_limits_match_hand_worked_example():
    df = pd.DataFrame({"d": MONTHS, "x": [40, 90, 38, 85, 45], "n": [50, 100, 50, 100, 50]})
    r = laney_p(df, "x", "n", "d")
    # p_bar = 298 / 350
    p = 298 / 350
    sig = [math.sqrt(p * (1 - p) / n) for n in (50, 100, 50, 100, 50)]
    z = [(x / n - p) / s for x, n, s in zip((40, 90, 38, 85, 45), (50, 100, 50, 100, 50), sig)]
    # sigma_z = mean |z_i - z_(i-1)| / 1.128
    sigma_z = np.mean([abs(z[i] - z[i - 1]) for i in range(1, 5)]) / 1.128
    upl = [100 * min(p + 3 * s * sigma_z, 1) for s in sig]
    lpl = [100 * max(p - 3 * s * sigma_z, 0) for s in sig]
    t = r.table
    assert t["mean"].iloc[0] == pytest.approx(100 * p)
    assert t["sigma_z"].iloc[0] == pytest.approx(sigma_z)
    assert t["upl"].tolist() == pytest.approx(upl)
    assert t["lpl"].tolist() == pytest.approx(lpl)
    assert t["z"].tolist() == pytest.approx(z)
    # the classic p chart has sigma_z = 1
    classic = laney_p(df, "x", "n", "d", laney=False).table
    assert classic["upl"].iloc[1] == pytest.approx(100 * (p + 3 * sig[1]))


def test_u_prime_limits_match_hand_worked_example():
    c, e = [12, 30, 9, 25, 14], [4000, 8000, 3000, 9000, 5000]
    df = pd.DataFrame({"d": MONTHS, "c": c, "e": e})
    r = laney_u(df, "c", "e", "d", per=1000)
    u = sum(c) / sum(e)                                   # 90 / 29000
    sig = [math.sqrt(u / n) for n in e]                   # sqrt(u_bar / n_i)
    z = [(ci / ni - u) / s for ci, ni, s in zip(c, e, sig)]
    sigma_z = np.mean(np.abs(np.diff(z))) / 1.128
    t = r.table
    assert t["mean"].iloc[0] == pytest.approx(1000 * u)
    assert t["upl"].tolist() == pytest.approx([1000 * (u + 3 * s * sigma_z) for s in sig])
    assert t["lpl"].tolist() == pytest.approx([1000 * max(u - 3 * s * sigma_z, 0) for s in sig])


def test_p_prime_widens_limits_for_overdispersed_data_and_flags_a_real_change():
    rng = np.random.default_rng(3)
    d = pd.date_range("2022-01-01", periods=30, freq="MS")
    n = rng.integers(2000, 6000, 30)
    p = np.clip(0.9 + rng.normal(0, 0.01, 30), 0, 1)      # between-month variation
    df = pd.DataFrame({"d": d, "n": n, "x": rng.binomial(n, p)})
    classic = laney_p(df, "x", "n", "d", laney=False)
    prime = laney_p(df, "x", "n", "d")
    assert prime.table["sigma_z"].iloc[0] > 1.5
    assert (prime.table["point_type"] != "common_cause").sum() < (
        classic.table["point_type"] != "common_cause").sum()
    df.loc[29, "x"] = int(0.8 * df.loc[29, "n"])
    assert laney_p(df, "x", "n", "d").table["point_type"].iloc[-1] == "special_cause_concern"


def _seasonal_series(seed: int, months: int = 36):
    rng = np.random.default_rng(seed)
    d = pd.date_range("2021-01-01", periods=months, freq="MS")
    winter = np.where(np.isin(d.month, [12, 1, 2]), 1.0, np.where(np.isin(d.month, [11, 3]), 0.5, 0))
    n = rng.poisson(800, months)
    x = rng.binomial(n, 0.90 - 0.05 * winter + rng.normal(0, 0.004, months))
    return pd.DataFrame({"d": d, "x": x, "n": n})


def _seasonal_rates(seeds):
    raw = adj = adj_screened = 0
    for s in seeds:
        df = _seasonal_series(s)
        raw += (laney_p(df, "x", "n", "d").table["point_type"] != "common_cause").any()
        a = laney_p(df, "x", "n", "d", seasonal_baseline=True)
        adj += (a.table["point_type"] != "common_cause").any()
        adj_screened += bool(screen(a, n_sim=200).table["survives_fdr"].any())
    n = len(seeds)
    return raw / n, adj / n, 1 - adj_screened / n


def _check_seasonal(seeds):
    n = len(seeds)
    raw, adj, clean = _seasonal_rates(seeds)
    chance = false_alarm_rate(36)
    # unadjusted, winter alone is a signal nearly always
    assert raw > 0.85
    # adjusted, the share of charts with any Making Data Count signal is the rules' own
    # chance rate for 36 points (about 27%), not more: winter adds nothing
    assert adj <= chance + 3 * math.sqrt(chance * (1 - chance) / n)
    # with the chart-level false-alarm control of screen() (5%), at least 95% of seeds show
    # no special cause, up to two binomial standard errors of simulation noise
    assert clean >= 0.95 - 2 * math.sqrt(0.05 * 0.95 / n)


def test_seasonal_only_series_is_not_a_signal_once_adjusted():
    _check_seasonal(range(60))


@pytest.mark.slow
def test_seasonal_only_series_is_not_a_signal_once_adjusted_many_seeds():
    _check_seasonal(range(1000, 1400))


def test_seasonal_adjustment_uses_only_the_baseline():
    d = pd.date_range("2021-01-01", periods=48, freq="MS")
    y = 10 + 2.0 * (d.month == 1) + 5.0 * (d >= "2024-01-01")
    out = seasonal_adjust(pd.DataFrame({"d": d, "y": y}), "y", "d", baseline_end="2023-12-01")
    adj = out["y_seasonally_adjusted"]
    assert adj[d < "2024-01-01"].nunique() == 1                 # January effect removed
    assert adj[d >= "2024-01-01"].mean() - adj[d < "2024-01-01"].mean() == pytest.approx(5.0)
    with pytest.raises(AnalysisInputError, match="seasonal_baseline"):
        seasonal_adjust(pd.DataFrame({"d": d, "y": y}), "y", "d", baseline_end="2021-12-01")


def test_runs_limits_follow_swed_eisenhart():
    # Swed & Eisenhart (1943), as tabulated for run charts by Perla, Provost & Murray (2011):
    # 10 useful points: 3 to 9 runs; 20 points: 7 to 15 (exact 5% two-sided limits here)
    assert runs_limits(5, 5) == (3, 9)
    assert runs_limits(10, 10) == (7, 15)
    lo, hi = runs_limits(15, 15)
    assert lo < 16 < hi


def test_run_chart_rules():
    d = pd.date_range("2024-01-01", periods=16, freq="MS")
    shift = pd.DataFrame({"d": d, "y": [5, 3, 6, 4, 5, 3, 6, 4, 8, 9, 8, 9, 8, 9, 8, 9]})
    s = run_chart(shift, "y", "d", baseline_points=8).summary.iloc[0]
    assert s["any_shift"] and s["signal"]
    trend = pd.DataFrame({"d": d, "y": [5, 3, 6, 4, 5, 3, 1, 2, 3, 4, 5, 3, 6, 4, 5, 3]})
    t = run_chart(trend, "y", "d").table
    assert t["trend"].tolist()[6:11] == [True] * 5 and not t["trend"].iloc[0]
    alternating = pd.DataFrame({"d": d, "y": [1, 9] * 8})
    s = run_chart(alternating, "y", "d").summary.iloc[0]
    assert s["n_runs"] == 16 and s["many_runs"]


def test_screen_counts_chance_signals_and_keeps_real_ones():
    rng = np.random.default_rng(8)
    d = pd.date_range("2023-01-01", periods=24, freq="MS")
    df = pd.DataFrame({"p": np.repeat([f"P{i:02d}" for i in range(40)], 24),
                       "d": np.tile(d, 40), "n": 1000})
    df["x"] = rng.binomial(1000, 0.85, len(df))
    df.loc[(df["p"] == "P07") & (df["d"] >= "2024-06-01"), "x"] = 700
    res = screen(laney_p(df, "x", "n", "d", facet="p"), n_sim=400)
    # 40 charts of one measure share one month-to-month persistence; the rules' chance
    # rate is that of 24 points at that persistence
    phi = round(res.autocorrelation, 1)
    assert res.expected_false_signals == pytest.approx(
        40 * false_alarm_rate(24, n_sim=400, autocorrelation=phi))
    assert res.table.loc[res.table["survives_fdr"], "facet"].tolist() == ["P07"]
    p07 = res.flagged.iloc[0]
    assert p07["screen"] == "sustained shift" and p07["direction"] == -1
    assert p07["month"] == pd.Timestamp("2024-06-01")
    assert p07["size"] == pytest.approx(-15, abs=1.5)      # 85% -> 70%, in points
    assert res.observed_signals >= 1 and "by chance alone" in res.sentence
    assert "P07: a sustained shift down from June 2024" in res.sentence
    assert "AR(1)" not in res.sentence and "AR(1)" in res.model


def test_bad_input_names_the_argument():
    df = pd.DataFrame({"d": MONTHS, "x": [1, 2, 3, 4, 5], "n": [10, 10, 0, 10, 10]})
    with pytest.raises(AnalysisInputError, match="trials"):
        laney_p(df, "x", "n", "d")
    with pytest.raises(AnalysisInputError, match="successes"):
        laney_p(df.assign(n=3), "x", "n", "d")
    with pytest.raises(AnalysisInputError, match="'nope'"):
        laney_u(df, "nope", "n", "d")


def test_rebase_at_a_change_gives_each_period_its_own_centre_and_limits():
    rng = np.random.default_rng(8)
    d = pd.date_range("2023-01-01", periods=30, freq="MS")
    n = rng.integers(800, 1200, 30)
    p = np.where(d >= "2024-07-01", 0.93, 0.88) + rng.normal(0, 0.005, 30)
    df = pd.DataFrame({"d": d, "n": n, "x": rng.binomial(n, p)})
    one = laney_p(df, "x", "n", "d")
    two = laney_p(df, "x", "n", "d", rebase=["2024-07-01"])
    t = two.table
    assert t["rebase_group"].tolist() == [0] * 18 + [1] * 12
    before, after = t[t["rebase_group"] == 0], t[t["rebase_group"] == 1]
    x, nn = df["x"].to_numpy(), df["n"].to_numpy()
    assert before["mean"].iloc[0] == pytest.approx(100 * x[:18].sum() / nn[:18].sum())
    assert after["mean"].iloc[0] == pytest.approx(100 * x[18:].sum() / nn[18:].sum())
    # one centre over both periods flags the shift; after rebasing each period is stable
    assert (one.table["point_type"] != "common_cause").sum() > 5
    assert (t["point_type"] != "common_cause").sum() <= 2
    assert two.summary["rebase_group"].iloc[0] == 1 and two.summary["n_in_group"].iloc[0] == 12
    # the error names the chart the user called, not the helper it shares with spc()
    with pytest.raises(AnalysisInputError, match=r"^laney_p\(\): rebase date\(s\) "):
        laney_p(df, "x", "n", "d", rebase=["2024-07-15"])


def test_p_prime_limits_and_near_lines_stay_within_0_and_100_percent():
    # a pooled 97% with 30 responses a month: p + 3 sd passes 100%, p - 3 sd stays above 0
    df = pd.DataFrame({"d": pd.date_range("2024-01-01", periods=12, freq="MS"),
                       "x": [29, 30, 28, 29, 30, 29, 27, 30, 29, 28, 30, 29], "n": 30})
    r = laney_p(df, "x", "n", "d")
    t = r.table
    assert (t["upl"] == 100.0).all() and (t["near_upl"] <= 100.0).all()
    assert (t["lpl"] >= 0).all() and (t["near_lpl"] >= 0).all()
    assert bool(r.summary.loc[0, "limits_cut"])
    # a rate's lower limit stops at 0
    u = laney_u(pd.DataFrame({"d": MONTHS, "c": [0, 3, 1, 0, 2], "e": 1000.0}), "c", "e", "d")
    assert (u.table["lpl"] >= 0).all() and (u.table["near_lpl"] >= 0).all()
    assert bool(u.summary.loc[0, "limits_cut"])
