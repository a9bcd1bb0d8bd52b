"""The simulation study, small: estimators meant to identify an estimand cover it; the
naive NHS-vs-independent difference does not."""

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
    settings = v.Settings(replicates=24, n_providers=120, n_months=18, n_boot=299, workers=2)
    results, elapsed = v.run(settings)
    table = v.summarise(results)
    meant = table[table["meant"]]
    # 24 replicates: a single estimand's coverage is noisy (SE ~0.045), the average is not.
    # The floor is what exact 95% intervals fall below, for any of the estimands, with
    # probability 0.1% (binomial quantile, Bonferroni over the estimands).
    assert meant["coverage"].mean() > 0.90
    n = settings.replicates
    floor = binom.ppf(0.001 / len(meant), n, 0.95) / n
    assert meant["coverage"].min() >= floor, meant.sort_values("coverage").head()
    # |bias| of the estimators meant to identify small relative to the truth's scale
    assert (meant["bias"].abs() < 0.35 * meant["rmse"].clip(lower=1e-9) + 0.05).all()
    naive = table[(table["estimator"] == "naive difference")
                  & (table["design"] == "calibrated")].set_index("estimand")
    adjusted = table[(table["estimator"] == "regression adjustment")
                     & (table["design"] == "calibrated")].set_index("estimand")
    fft = "adjusted:sector[independent]->fft_pct_positive@acute"
    assert naive.loc[fft, "bias"] > 0.8 and naive.loc[fft, "coverage"] < 0.3
    assert abs(adjusted.loc[fft, "bias"]) < 0.3 * naive.loc[fft, "bias"]
    fig = v.coverage_figure(table, tmp_path / "cov.png")
    md = v.write_markdown(table, settings, elapsed, tmp_path / "validation.md", fig)
    assert fig.stat().st_size > 1000 and "| naive difference |" in md.read_text()


def test_summarise_by_hand():
    import pandas as pd

    v = _validation()
    r = pd.DataFrame({"estimator": "ols", "design": "d", "estimand": "e", "meant": True,
                      "truth": 2.0, "estimate": [1.0, 3.0, 2.5], "ci_low": [0.0, 2.5, 1.0],
                      "ci_high": [2.0, 4.0, 3.0], "warning": [False, True, False]})
    t = v.summarise(r).iloc[0]
    assert t["bias"] == pytest.approx(0.5 / 3)
    assert t["rmse"] == pytest.approx(((1 + 1 + 0.25) / 3) ** 0.5)
    assert t["coverage"] == pytest.approx(2 / 3)
    assert t["share_warned"] == pytest.approx(1 / 3)
    assert t["coverage_ok"] == 0.0
