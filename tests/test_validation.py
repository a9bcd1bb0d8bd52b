"""The simulation study, small: estimators meant to identify an estimand cover it; pooled
OLS under unmeasured provider quality and the naive NHS-vs-independent difference do not."""

import importlib
import sys
from pathlib import Path

import pytest
from scipy.stats import binom

ROOT = Path(__file__).resolve().parents[1]


def _validation():
    # importable by name, so that spawned worker processes can unpickle its functions
    bench = str(ROOT / "benchmarks")
    if bench not in sys.path:
        sys.path.insert(0, bench)
    return importlib.import_module("validation")


@pytest.mark.slow
def test_small_simulation_study(tmp_path):
    v = _validation()
    settings = v.Settings(replicates=12, n_providers=120, n_months=18, n_boot=199, workers=2,
                          scenarios=("calibrated", "confounded"))
    results, elapsed = v.run(settings)
    table = v.summarise(results)
    meant = table[table["meant"]]
    # 12 replicates: a single estimand's coverage is noisy (SE ~0.06), the average is not.
    # The floor is what exact 95% intervals fall below, for any of the estimands, with
    # probability 0.1% (binomial quantile, Bonferroni over the estimands).
    assert meant["coverage"].mean() > 0.90
    n = settings.replicates
    floor = binom.ppf(0.001 / len(meant), n, 0.95) / n
    assert meant["coverage"].min() >= floor, meant.sort_values("coverage").head()
    rows = table.set_index(["estimator", "design", "estimand"])
    total = "total:nurse_fte_per_10_beds->fft_pct_positive@acute"
    # unmeasured quality: pooled OLS is biased and does not cover; fixed effects do
    assert rows.loc[("ols", "confounded", total), "bias"] > 0.2
    assert rows.loc[("ols", "confounded", total), "coverage"] < 0.5
    assert rows.loc[("fe", "confounded", total), "coverage"] >= floor
    assert not rows.loc[("ols", "confounded", total), "meant"]
    fft = "adjusted:sector[independent]->fft_pct_positive@acute"
    naive = rows.loc[("naive difference", "calibrated", fft)]
    adjusted = rows.loc[("regression adjustment", "calibrated", fft)]
    assert naive["bias"] > 0.8 and naive["coverage"] < 0.3
    assert abs(adjusted["bias"]) < 0.3 * naive["bias"]
    fig = v.coverage_figure(table, tmp_path / "cov.png")
    md = v.write_markdown(table, settings, elapsed, tmp_path / "validation.md", fig)
    text = md.read_text()
    assert fig.stat().st_size > 1000 and "| naive difference |" in text
    assert "| fe | effect:staffing->wait |" in text and "confounded" in text


def test_meant_follows_the_scenario_assumptions():
    v = _validation()
    within = "effect:nurse_fte_per_10_beds->rtt_median_weeks@acute"
    assert all(v.meant("fe", s, within) for s in v.SCENARIOS)
    assert not v.meant("ols", "confounded", within) and v.meant("ols", "serial", within)
    assert not v.meant("mixed", "serial", within)
    assert not v.meant("naive difference", "null", "adjusted:sector[independent]->x@acute")


def test_summarise_by_hand():
    import pandas as pd

    v = _validation()
    r = pd.DataFrame({"estimator": "ols", "scenario": "s", "design": "d", "estimand": "e",
                      "meant": True,
                      "truth": 2.0, "estimate": [1.0, 3.0, 2.5], "ci_low": [0.0, 2.5, 1.0],
                      "ci_high": [2.0, 4.0, 3.0], "warning": [False, True, False]})
    t = v.summarise(r).iloc[0]
    assert t["bias"] == pytest.approx(0.5 / 3)
    assert t["rmse"] == pytest.approx(((1 + 1 + 0.25) / 3) ** 0.5)
    assert t["coverage"] == pytest.approx(2 / 3)
    assert t["share_warned"] == pytest.approx(1 / 3)
    assert t["coverage_ok"] == 0.0
