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
    linear = rows.loc[("linear adjustment", "calibrated", fft)]
    assert naive["bias"] > 0.8 and naive["coverage"] < 0.3
    # the calibrated world is linear in case mix: linear adjustment removes the selection
    assert abs(linear["bias"]) < 0.3 * naive["bias"]
    # notebook 03's doubly robust headline covers where the sectors overlap
    dr = rows.loc[("doubly robust", "calibrated, overlap", fft)]
    assert dr["meant"] and dr["coverage"] >= floor
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


def test_lean_panels_are_the_generators_panels():
    from workbench.data.synth import generate

    v = _validation()
    settings = v.Settings(n_providers=30, n_months=6)
    for scenario, selection in (("calibrated", 1.0), ("nonlinear", 0.3)):
        lean = v.make_data(4, scenario, settings, selection=selection)
        full = generate(seed=4, n_providers=30, n_months=6, scenario=scenario,
                        selection=selection)
        assert lean.panel.equals(full.panel) and lean.truth == full.truth
        assert list(lean.panel.dtypes) == list(full.panel.dtypes)
    # the generator is itself again afterwards
    assert generate(seed=4, n_providers=30, n_months=6).flows is not None


def test_roles_follow_the_headline_rule():
    from workbench.analysis.findings.record import Finding

    v = _validation()
    f = Finding(id="effect:nurse_fte_per_10_beds->fft_pct_positive@acute", question="q",
                estimate=0.4, model="fe", clusters=100)
    assert v.role("fe", f) == "headline"
    assert v.role("mixed", f) == v.role("ols", f) == "robustness"
    engaged = Finding(id="effect:staff_engagement[lag1]->fft_pct_positive@acute",
                      question="q", estimate=1.5, model="fe", clusters=100)
    assert v.role("fe", engaged) == "robustness"      # not a primary exposure
    few = Finding(id=f.id, question="q", estimate=0.4, model="fe", clusters=6)
    assert v.role("fe", few) == "diagnostic"


TINY_STUDY = """\
name: validation
runs:
  - notebook: {notebook}
    parameters:
      scenario: [calibrated, confounded]
      first_seed: [1, 2]
      replicates: 1
      n_providers: 60
      n_months: 12
      n_boot: 100
"""


def test_the_validation_runs_as_a_study_and_its_outputs_make_the_tables(tmp_path):
    """A tiny study (2 scenarios x 2 seeds, one seed a run) on the local executor: each
    run writes its rows into its run folder, and the summary reads them through the
    study's outputs into the same rows the script computes, and the docs."""
    import pandas as pd

    from workbench.batch.runner import run_study

    v = _validation()
    study = tmp_path / "validation.yaml"
    study.write_text(TINY_STUDY.format(
        notebook=ROOT / "benchmarks" / "notebooks" / "validation_chunk.ipynb"))
    result = run_study(study, out=tmp_path / "out", workers=2, progress=False)
    assert result.exit_code == 0, result.summary()
    folder = tmp_path / "out" / "validation"
    run = v.read_study(folder)
    assert run.chunks == 4 and run.settings.replicates == 2
    assert run.settings.scenarios == ("calibrated", "confounded")
    assert (run.settings.n_providers, run.settings.n_months, run.settings.n_boot) == (60, 12, 100)
    assert run.cpu_s > 0 and run.wall_s > 0
    # the study's rows are the script's rows (the same estimators on the same panels)
    settings = v.Settings(n_providers=60, n_months=12, n_boot=100, workers=1)
    here = v.run_chunk("confounded", 2, 1, settings)
    there = run.results[(run.results["scenario"] == "confounded")
                        & (run.results["replicate"] == 2)].reset_index(drop=True)
    assert list(there["estimand"]) == list(here["estimand"])
    cols = ["estimate", "ci_low", "ci_high", "truth"]
    pd.testing.assert_frame_equal(there[cols], here[cols], rtol=1e-9, check_dtype=False)
    assert list(there["role"]) == list(here["role"])
    # the tables and the page from the study's outputs
    table = v.summarise(run.results)
    assert set(table["replicates"]) == {2}
    fig = v.coverage_figure(table, tmp_path / "docs" / "validation_coverage.png")
    md = v.write_markdown(table, run.settings, run.wall_s, tmp_path / "docs" / "validation.md",
                          fig, cpu_s=run.cpu_s, how="the study `validation`")
    text = md.read_text()
    assert "seeds 1..2 (2 replicates) x 2 scenarios" in text
    assert "| fe | effect:staffing->wait | headline |" in text
    # a chunk whose rows changed after its run is refused, naming the run
    chunk = next(folder.glob("*/validation_rows.csv"))
    chunk.write_text(chunk.read_text() + "\n")    # one byte more than the run wrote
    with pytest.raises(ValueError, match=chunk.parent.name):
        v.read_study(folder)
