"""The SPC screen that respects time (workbench.analysis.monitoring.screening and
laney.screen): mechanics on a handful of series, the model against statsmodels, and (slow)
its calibration by simulation."""

from __future__ import annotations

import importlib
import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.analysis.monitoring.laney import screen
from workbench.analysis.monitoring.screening import (
    MIN_POINTS,
    design,
    fit_in_control,
    screen_series,
    simulate_ar1,
)
from workbench.analysis.monitoring.spc import TrialLimitsWarning, spc
from workbench.errors import AnalysisInputError

MONTHS = pd.date_range("2022-01-01", periods=36, freq="MS")


def _family(seed: int, n_charts: int = 8, phi: float = 0.0) -> dict:
    rng = np.random.default_rng(seed)
    y = simulate_ar1(rng, n_charts, len(MONTHS), phi)
    return {f"C{i}": (MONTHS, y[i]) for i in range(n_charts)}


def test_a_large_sustained_shift_is_flagged_and_dated():
    fam = _family(11)
    d, y = fam["C3"]
    fam["C3"] = (d, y + 3.0 * (d >= "2024-05-01"))              # 3 sd for the last 8 months
    t = screen_series(fam, n_sim=500).set_index("facet")
    assert t.index[t["p_value"] < 0.01].tolist() == ["C3"]
    c3 = t.loc["C3"]
    assert c3["screen"] == "sustained shift" and c3["direction"] == 1
    assert abs((c3["month"] - pd.Timestamp("2024-05-01")).days) <= 31
    assert c3["size"] == pytest.approx(3.0, abs=0.8)


def test_clean_white_noise_is_not_flagged():
    t = screen_series(_family(5, n_charts=10), n_sim=500)
    assert (t["p_value"] > 0.01).all()
    # one chart on its own (its own persistence) is not flagged either
    one = screen_series({"A": _family(6, 1)["C0"]}, n_sim=500)
    assert one["p_value"].iloc[0] > 0.05


def test_a_single_unusual_month_is_found_beyond_the_simulated_range():
    fam = _family(12)
    d, y = fam["C1"]
    y = y.copy()
    y[20] += 9.0
    fam["C1"] = (d, y)
    t = screen_series(fam, n_sim=300).set_index("facet")
    assert t.loc["C1", "screen"] == "single month"
    assert t.loc["C1", "month"] == d[20]
    # far beyond every simulated series: the tail gives a p-value below 1 / (n_sim + 1)
    assert t.loc["C1", "p_value"] < 1 / 301


def test_persistence_matches_statsmodels_glsar():
    import statsmodels.api as sm

    rng = np.random.default_rng(3)
    d = pd.date_range("2010-01-01", periods=240, freq="MS")
    y = simulate_ar1(rng, 1, 240, 0.5)[0] + np.cos(2 * np.pi * d.month.to_numpy() / 12)
    x = design(d)
    mine = fit_in_control(y[None, :], x)
    model = sm.GLSAR(y, x, rho=1)
    model.iterative_fit(maxiter=10)
    assert float(mine.phi[0]) == pytest.approx(float(model.rho[0]), abs=0.03)
    assert float(mine.e.std()) == pytest.approx(1.0, abs=0.05)


def test_month_to_month_correlation_does_not_raise_false_signals():
    # the screen of before (independent months) flagged about 16-20% of in-control charts
    # at the 5% level with correlation 0.3; the shared-persistence screen stays near 5%
    hits = total = 0
    for seed in range(6):
        t = screen_series(_family(100 + seed, n_charts=10, phi=0.3), n_sim=400)
        hits += int((t["p_value"] < 0.05).sum())
        total += len(t)
    rate = hits / total
    assert rate <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / total)


def test_short_charts_are_left_out_with_a_note_not_an_error():
    d = pd.date_range("2024-01-01", periods=MIN_POINTS - 1, freq="MS")
    t = screen_series({"A": (d, np.arange(len(d), dtype=float)), **_family(2, 2)}, n_sim=200)
    assert t["screened"].tolist() == [False, True, True]
    assert math.isnan(t["p_value"].iloc[0])


def test_screen_of_an_xmr_chart_with_a_rebase_and_its_sentence():
    rng = np.random.default_rng(9)
    frames = []
    for i in range(6):
        y = 20 + rng.normal(0, 1, 36)
        if i == 0:
            y[24:] -= 4                                     # a real drop, not rebased
        frames.append(pd.DataFrame({"p": f"P{i}", "d": MONTHS, "y": y}))
    df = pd.concat(frames, ignore_index=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TrialLimitsWarning)
        res = spc(df, "y", "d", facet="p", rebase={"P5": ["2023-06-01"]})
    s = screen(res, n_sim=400)
    assert s.flagged["facet"].tolist() == ["P0"]
    assert s.flagged["size"].iloc[0] == pytest.approx(-4, abs=1.2)
    assert "P0: a sustained shift down from January 2024" in s.sentence
    assert "AR(1)" not in s.sentence and "AR(1)" in s.model
    assert s.autocorrelation is not None                    # six charts share one


def test_bad_arguments_name_themselves():
    with pytest.raises(AnalysisInputError, match="autocorrelation"):
        screen_series(_family(1, 2), autocorrelation="ar1")
    with pytest.raises(AnalysisInputError, match="n_sim"):
        screen_series(_family(1, 2), n_sim=10)
    d, y = _family(1, 1)["C0"]
    y = y.copy()
    y[3] = np.nan
    with pytest.raises(AnalysisInputError, match="'A'"):
        screen_series({"A": (d, y)})


def _calibration_module():
    bench = str(Path(__file__).resolve().parents[1] / "benchmarks")
    if bench not in sys.path:
        sys.path.insert(0, bench)
    return importlib.import_module("spc_screen_calibration")


@pytest.mark.slow
def test_calibration_by_simulation():
    """In control (correlation 0 and 0.3, with season) the per-chart false-signal rate is
    near 5% and a family of 20 charts is flagged at most about 5% of the time; a shift of
    2 sd for 12 months is detected on its chart most of the time, and with independent
    months in most families after the false discovery control across 20 charts."""
    cal = _calibration_module()
    families = 40
    table = cal.calibration(families=families, n_sim=1000, shifts=((2.0, 12),))
    for _, r in table.iterrows():
        if r["shift_sd"] == 0:
            # 20 charts per family share one estimated persistence: allow for it with a
            # tolerance of 3 binomial se of families rather than of charts
            assert abs(r["chart p<5%"] - 0.05) <= 3 * math.sqrt(0.05 * 0.95 / (families * 5))
            assert r["family flags"] <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / families)
        else:
            assert r["chart p<5%"] >= 0.7
            if r["phi"] == 0:
                assert r["family flags"] >= 0.6
    # the screen of before: far above 5% with correlation 0.3
    before = table[(table["phi"] == 0.3) & (table["shift_sd"] == 0)]["old chart p<5%"]
    assert before.iloc[0] > 0.10
