"""Simulation study: does each estimator recover the truth, in worlds built to break it?

For each of ``--replicates`` seeds (1..R) and each scenario of the generator
(:mod:`workbench.data.scenarios`: ``calibrated``, ``confounded``, ``nonlinear``,
``serial``, ``mediator_confounded``, ``heterogeneous``, ``few_independent``, ``null``)
every estimator of the workbench is run on a fresh panel and compared with that
scenario's truth: bias, root mean squared error and the share of 95% intervals that
contain the truth (coverage), by estimator x scenario x estimand. Results are written as
tables and a figure into ``docs/validation.md`` and ``docs/validation_coverage.png``.

Two panels per replicate and scenario
    the scenario's panel with the calibrated case-mix selection (``selection=1``), for
    the staffing, waits and satisfaction estimators; and the same scenario with a third
    of the selection (``selection=0.3``), for the sector contrasts, so that
    propensity-score weighting has the overlap it needs. On the ``calibrated`` scenario
    the sector contrasts are also run on the first panel (design ``calibrated``), where
    IPW is shown to fail for want of overlap.

Each row says whether the estimator is *meant* to identify the estimand in that scenario
(:func:`meant`: its assumptions hold there); coverage between 0.92 and 0.98 is required
only of those rows, and the rows not meant show how badly an estimator fails when its
assumptions do not hold.

Size: the generator's default, 240 providers x 36 months, as in the main study.
``--providers``/``--months`` change it.

Usage::

    nice .venv/bin/python benchmarks/validation.py --replicates 50     # about 25 minutes
    .venv/bin/python benchmarks/validation.py --replicates 4 --out /tmp/val
"""

from __future__ import annotations

import os

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse
import multiprocessing as mp
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

COVERAGE_BAND = (0.92, 0.98)
SELECTION_OVERLAP = 0.3
STAFF = "nurse_fte_per_10_beds"
WAIT = "rtt_median_weeks"
FFT = "fft_pct_positive"
SCENARIOS = ("calibrated", "confounded", "nonlinear", "serial", "mediator_confounded",
             "heterogeneous", "few_independent", "null")

#: Estimators that compare providers with each other (pooled over providers).
POOLED = ("ols", "mixed", "poisson", "ordinal", "mediation (across providers)",
          "moderated mediation")
#: Estimators of the sector contrast.
SECTOR = ("naive difference", "regression adjustment", "IPW")


@dataclass(frozen=True)
class Settings:
    """What one simulation run uses (written into the docs)."""

    replicates: int = 50
    n_providers: int = 240     # the generator's default size
    n_months: int = 36
    n_boot: int = 299
    workers: int = 2
    first_seed: int = 1
    scenarios: tuple[str, ...] = SCENARIOS


def meant(estimator: str, scenario: str, estimand: str, design: str = "") -> bool:
    """Whether ``estimator``'s assumptions hold for ``estimand`` in ``scenario``.

    Within-provider estimators (``fe``, ``poisson fe``, ``mediation (within provider)``)
    assume only that nothing changing inside a provider over time confounds: true in every
    scenario. Pooled estimators also assume no unmeasured provider difference that goes
    with the exposure and outcome (false in ``confounded``; in ``mediator_confounded`` for
    everything that uses the wait -> FFT path; in ``nonlinear``, where linear case-mix
    adjustment leaves confounding) and, for the random-intercept model, exchangeable
    errors and a common slope (false in ``serial`` and ``heterogeneous``).

    >>> meant("fe", "confounded", "effect:x->y@acute")
    True
    >>> meant("ols", "confounded", "effect:x->y@acute")
    False
    """
    kind = estimand.split(":", 1)[0]
    # estimands whose pooled estimate conditions on waits in a model of FFT (or multiplies
    # the wait -> FFT path): an unmeasured cause of waits and FFT biases them
    body = estimand.split(":", 1)[-1].split("@", 1)[0]
    uses_fft_path = kind in ("direct", "indirect", "moderation") or (
        kind == "effect" and body in (f"{WAIT}->{FFT}", f"{STAFF}->{FFT}"))
    if estimator == "naive difference":
        return False
    if estimator in SECTOR:
        if scenario in ("nonlinear", "few_independent"):
            return False       # linear adjustment misspecified / six treated clusters
        if estimator == "IPW":
            return design.endswith("overlap") and scenario != "heterogeneous"
        return True
    if estimator not in POOLED:
        return True
    if scenario == "confounded":
        return False
    if scenario == "nonlinear":
        return estimator == "ordinal"
    if scenario == "mediator_confounded" and uses_fft_path:
        return False
    return not (estimator == "mixed" and scenario in ("serial", "heterogeneous"))


def _row(estimator: str, design: str, estimand: str, truth: float, f, ok: bool) -> dict:
    return {"estimator": estimator, "design": design, "estimand": estimand, "truth": truth,
            "estimate": f.estimate, "ci_low": f.ci_low, "ci_high": f.ci_high, "meant": ok,
            "warning": bool(f.warning)}


def one_replicate(seed: int, settings: Settings) -> list[dict]:
    """Run every estimator on every scenario's panels for seed ``seed``; one row per estimate."""
    warnings.simplefilter("ignore")
    rows = [r for scenario in settings.scenarios
            for r in _scenario_rows(seed, scenario, settings)]
    for r in rows:
        r["replicate"] = seed
    return rows


@contextmanager
def _lean_generator():
    """While it lasts, :func:`workbench.data.synth.generate` skips what the estimators here
    never read: the RTT flows (drawn from a stream of their own, so the panel is the same)
    and the pandera check of its own output (the panel gets the checked panel's dtypes
    from :func:`workbench.data.schema.canonical_dtypes`; the generator's tests check its
    panels). :func:`make_data` is tested to give the same panel and truth as ``generate``.
    """
    from workbench.data import schema, synth

    saved = synth.validate_panel, synth.generate_flows
    synth.validate_panel = lambda df, source="": schema.canonical_dtypes(df)
    synth.generate_flows = lambda panel, seed: None
    try:
        yield
    finally:
        synth.validate_panel, synth.generate_flows = saved


def make_data(seed: int, scenario: str, settings: Settings, selection: float = 1.0):
    """The synthetic data of one replicate and scenario (panel and truth; no flows).

    >>> sd = make_data(1, "calibrated", Settings(n_providers=20, n_months=3))
    >>> sd.panel.shape[0], sd.flows is None
    (60, True)
    """
    from workbench.data.synth import generate

    with _lean_generator():
        return generate(seed=seed, n_providers=settings.n_providers,
                        n_months=settings.n_months, scenario=scenario, selection=selection)


def _scenario_rows(seed: int, scenario: str, settings: Settings) -> list[dict]:
    from workbench.analysis.effects import mediation, weighting
    from workbench.analysis.models import fit as md
    from workbench.analysis.models.spec import derive, select_subset
    from workbench.analysis.questions import staffing_waits_satisfaction as q02
    from workbench.errors import AnalysisInputError

    nb = settings.n_boot
    adj = md.CASE_MIX + ("sector_independent",)
    direct = (WAIT, STAFF, "staff_engagement_lag1")
    rows: list[dict] = []

    def add(estimator, finds, truth, key=None, design=scenario):
        for f in finds:
            k = key or f.id.split("#", 1)[0]
            rows.append({"scenario": scenario, **_row(
                estimator, design, k, truth[k], f, meant(estimator, scenario, k, design))})

    sd = make_data(seed, scenario, settings)
    # every estimator below answers for acute providers: their rows, with the derived
    # columns the models name made once (fit derives only what the panel lacks)
    p, truth = derive(select_subset(sd.panel, "acute"), [adj[-1], direct[-1]]), sd.truth
    for kind in ("ols", "fe", "mixed"):
        a = () if kind == "fe" else adj
        add(kind, md.fit(md.ModelSpec(WAIT, (STAFF,), a, kind=kind), p).findings("q"), truth)
        add(kind, md.fit(md.ModelSpec(FFT, direct, a, kind=kind), p).findings("q"), truth)
        if kind != "mixed":
            add(kind, md.fit(md.ModelSpec(FFT, (STAFF,), a, kind=kind,
                                          prefix="total"), p).findings("q"), truth)
    add("poisson", md.fit(md.ModelSpec(
        "complaints", (WAIT, STAFF), adj, kind="poisson", exposure="episodes",
        prefix="rate_ratio"), p).findings("q"), truth)
    add("poisson fe", md.fit(md.ModelSpec(
        "complaints", (WAIT, STAFF), ("provider_code",), kind="poisson",
        exposure="episodes", prefix="rate_ratio"), p).findings("q"), truth)
    add("ordinal", md.fit(md.ModelSpec(
        "cqc_overall", ("sector_independent", STAFF, "staff_engagement"), kind="ordinal",
        prefix="ordinal"), p).findings("q"), truth)
    for f in q02.staffing_pathways(p, subset="acute", n_boot=nb, seed=seed):
        within = f.key.variant.startswith("fe")
        add("mediation (within provider)" if within else "mediation (across providers)",
            [f], truth)
    try:   # refuses a bootstrap over too few clusters (six independent hospitals)
        add("moderated mediation",
            [f for f in mediation.moderated_mediation(p, n_boot=nb, seed=seed)
             if f.id.startswith(("indirect:", "moderation:"))], truth)
    except AnalysisInputError:
        pass
    ovl = make_data(seed + 1_000_000, scenario, settings, selection=SELECTION_OVERLAP)
    designs = [(f"{scenario}, overlap", select_subset(ovl.panel, "acute"), ovl.truth)]
    if scenario == "calibrated":
        designs.insert(0, ("calibrated", p, truth))
    for design, panel, true in designs:
        for outcome in (WAIT, FFT):
            key = f"adjusted:sector[independent]->{outcome}@acute"
            naive, adjusted = md.sector_difference(panel, outcome)
            add("naive difference", [naive], true, key=key, design=design)
            add("regression adjustment", [adjusted], true, key=key, design=design)
            try:
                [ipw] = weighting.ipw_difference(panel, outcome, n_boot=nb,
                                                 seed=seed).findings()
            except AnalysisInputError:
                continue
            add("IPW", [ipw], true, key=key, design=design)
    return rows


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Bias, RMSE and coverage per estimator, scenario, design and estimand.

    >>> r = pd.DataFrame({"estimator": "ols", "scenario": "s", "design": "d", "estimand": "e",
    ...                   "meant": True, "truth": 1.0, "estimate": [0.9, 1.1],
    ...                   "ci_low": [0.5, 1.05], "ci_high": [1.5, 1.2], "warning": False})
    >>> summarise(r)[["bias", "coverage"]].round(3).values.tolist()
    [[0.0, 0.5]]
    """
    if "scenario" not in results:
        results = results.assign(scenario=results["design"])
    df = results.assign(err=results["estimate"] - results["truth"],
                        covered=(results["ci_low"] <= results["truth"])
                        & (results["truth"] <= results["ci_high"]),
                        width=results["ci_high"] - results["ci_low"])
    g = df.groupby(["estimator", "scenario", "design", "estimand", "meant"], sort=False)
    out = g.agg(replicates=("err", "size"), truth=("truth", "mean"),
                mean_estimate=("estimate", "mean"), bias=("err", "mean"),
                rmse=("err", lambda e: float(np.sqrt(np.mean(e ** 2)))),
                coverage=("covered", "mean"), mean_ci_width=("width", "mean"),
                share_warned=("warning", "mean")).reset_index()
    lo, hi = COVERAGE_BAND
    out["coverage_ok"] = np.where(out["meant"], out["coverage"].between(lo, hi), np.nan)
    return out


def _short(estimand: str) -> str:
    return (estimand.replace("nurse_fte_per_10_beds", "staffing")
            .replace("rtt_median_weeks", "wait").replace("fft_pct_positive", "FFT")
            .replace("staff_engagement[lag1]", "engagement").replace("@acute", "")
            .replace("sector[independent]", "independent"))


def coverage_pivot(table: pd.DataFrame) -> pd.DataFrame:
    """Coverage as estimator | estimand (rows) x scenario (columns); ``*`` marks a cell
    whose estimator is not meant to identify the estimand there."""
    t = table[~table["design"].eq("calibrated") | ~table["estimator"].isin(SECTOR)]
    t = t.assign(row=t["estimator"] + " | " + t["estimand"].map(_short),
                 cell=[f"{c:.2f}{'' if m else '*'}" for c, m in zip(t["coverage"], t["meant"])])
    order = list(dict.fromkeys(t["row"]))
    cols = [c for c in SCENARIOS if c in set(t["scenario"])]
    return t.pivot(index="row", columns="scenario", values="cell").reindex(order)[cols]


def coverage_figure(table: pd.DataFrame, path: Path) -> Path:
    """Coverage of every estimator and estimand by scenario; hollow: not meant to identify."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from workbench.report.theme import GREY, INDEPENDENT_ORANGE, NHS_BLUE, theme_context

    t = table[~table["design"].eq("calibrated") | ~table["estimator"].isin(SECTOR)]
    t = t.assign(row=t["estimator"] + " | " + t["estimand"].map(_short))
    rows = list(dict.fromkeys(t["row"]))
    floor = _floor(int(t["replicates"].max()))
    cols = [c for c in SCENARIOS if c in set(t["scenario"])]
    with theme_context():
        fig, ax = plt.subplots(figsize=(10, 0.25 * len(rows) + 2))
        y = {r: i for i, r in enumerate(rows[::-1])}
        x = {c: j for j, c in enumerate(cols)}
        for r in t.itertuples():
            ok = r.coverage >= floor
            colour = NHS_BLUE if ok else INDEPENDENT_ORANGE
            ax.scatter(x[r.scenario], y[r.row], s=20 + 80 * r.coverage, marker="o",
                       facecolors=colour if r.meant else "none", edgecolors=colour)
        ax.set_yticks(list(y.values()), list(y.keys()), fontsize=6)
        ax.set_xticks(list(x.values()), cols, rotation=30, ha="right", fontsize=8)
        ax.grid(color=GREY, alpha=0.2)
        ax.set_title("95% interval coverage by scenario (size: coverage)\nblue: at least "
                     f"{floor:.2f} (what correct intervals fall below with probability 0.5%); "
                     "orange: below; filled: meant to identify, hollow: not", fontsize=9)
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _floor(replicates: int) -> float:
    """Coverage that correct 95% intervals fall below with probability 0.5% (binomial)."""
    from scipy.stats import binom

    return float(binom.ppf(0.005, replicates, 0.95) / replicates)


def _fmt(x, d=3):
    return "" if pd.isna(x) else f"{x:.{d}f}"


def write_markdown(table: pd.DataFrame, settings: Settings, elapsed: float, path: Path,
                   figure: Path, guidance: str = "") -> Path:
    """Write the validation report (coverage pivot, guidance, full table, figure) to ``path``."""
    from workbench.files import atomic_write_text

    meant_rows = table[table["meant"]]
    # under-coverage a correct 95% interval shows with probability below 0.5% over this
    # many replicates (with 200 replicates: below 0.915; with 20: below 0.80)
    floor = _floor(settings.replicates)
    failing = meant_rows[meant_rows["coverage"] < floor]
    pivot = coverage_pivot(table)
    mcse = (0.95 * 0.05 / settings.replicates) ** 0.5
    lines = [
        "# Validation: do the estimators recover the truth, and where do they fail?",
        "",
        ("Generated by `benchmarks/validation.py` (do not edit by hand). "
        f"{settings.replicates} seeds ({settings.first_seed}.."
        f"{settings.first_seed + settings.replicates - 1}) x {len(settings.scenarios)} "
        f"scenarios, {settings.n_providers} providers x {settings.n_months} months each, "
        f"{settings.n_boot} bootstrap replicates per interval, {settings.workers} worker "
        f"processes, {elapsed / 60:.1f} minutes."),
        "",
        ("Scenarios (`workbench/data/scenarios.py`): `calibrated` is the generator's default; "
        "each other scenario breaks one assumption of the models: unmeasured provider quality "
        "correlated with staffing and outcomes (`confounded`), convex case mix interacting "
        "with sector (`nonlinear`), AR(1) errors within provider (`serial`), an unmeasured "
        "provider-level cause of waits and satisfaction (`mediator_confounded`), effects "
        "differing by sector and provider (`heterogeneous`), six independent hospitals "
        "(`few_independent`), and no staffing or sector effects at all (`null`). Truths are "
        "the scenario's estimands (within-provider effects averaged over providers; sector "
        "contrasts given case mix for the independent hospitals); see the `estimands` block "
        "of each `truth.json`. Sector contrasts are estimated on a panel of the same "
        f"scenario with selection={SELECTION_OVERLAP} of the default case-mix gap "
        "(design `<scenario>, overlap`); on `calibrated` also with the full gap (design "
        "`calibrated`), where the sectors barely overlap."),
        "",
        (f"With {settings.replicates} replicates the Monte Carlo standard error of a coverage "
        f"of 0.95 is {mcse:.3f}. A row whose estimator is *meant* to identify the estimand "
        f"there fails when its coverage is below {floor:.3f}: what correct 95% intervals fall "
        f"below with probability 0.5%. (With 200 replicates the band "
        f"[{COVERAGE_BAND[0]}, {COVERAGE_BAND[1]}] applies; `summarise` reports it.)"),
        "",
        (f"**Rows meant to identify their estimand: {len(meant_rows)}; below {floor:.3f}: "
        f"{len(failing)}. Mean coverage of the meant rows: "
        f"{meant_rows['coverage'].mean():.3f}; of the rows not meant: "
        f"{table.loc[~table['meant'], 'coverage'].mean():.3f}.**"),
        "",
    ]
    if len(failing):
        lines += [f"Meant rows below {floor:.3f}: " + "; ".join(
            f"{r.estimator} / {r.design} / `{r.estimand}` ({r.coverage:.3f})"
            for r in failing.itertuples()) + ".", ""]
    if guidance:
        lines += [guidance.strip(), ""]
    lines += ["## Coverage by estimator and scenario", "",
              ("Share of 95% intervals containing the truth. `*`: the estimator is not meant "
               "to identify the estimand in that scenario (its assumptions do not hold there)."),
              "",
              "| estimator | estimand | " + " | ".join(pivot.columns) + " |",
              "|---|---|" + "---|" * len(pivot.columns)]
    for row, vals in pivot.iterrows():
        lines.append(f"| {row} | " + " | ".join("" if pd.isna(v) else v for v in vals) + " |")
    lines += ["", f"![coverage]({figure.name})", "", "## Bias, RMSE and coverage", "",
              ("| estimator | scenario | design | estimand | meant | truth | mean estimate | "
               "bias | RMSE | coverage | mean CI width | share warned |"),
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in table.itertuples():
        lines.append(f"| {r.estimator} | {r.scenario} | {r.design} | `{r.estimand}` | "
                     f"{'yes' if r.meant else 'no'} | {_fmt(r.truth)} | {_fmt(r.mean_estimate)} | "
                     f"{_fmt(r.bias)} | {_fmt(r.rmse)} | {_fmt(r.coverage)} | "
                     f"{_fmt(r.mean_ci_width)} | {_fmt(r.share_warned, 2)} |")
    lines += ["", ("Truth: the mean over replicates (the nonlinear scenario's sector contrast "
              "depends on the independent hospitals drawn). Share warned: the share of "
              "replicates whose finding carried a warning (e.g. poor overlap, few clusters, "
              "thin rating categories)."), ""]
    return atomic_write_text(path, "\n".join(lines))


def _job(args):
    seed, settings = args
    return one_replicate(seed, settings)


def run(settings: Settings) -> tuple[pd.DataFrame, float]:
    """Run all replicates (over ``settings.workers`` processes); return results and seconds."""
    start = time.perf_counter()
    jobs = [(s, settings) for s in range(settings.first_seed,
                                         settings.first_seed + settings.replicates)]
    if settings.workers > 1:
        with mp.get_context("spawn").Pool(settings.workers) as pool:
            parts = pool.map(_job, jobs, chunksize=1)
    else:
        parts = [_job(j) for j in jobs]
    results = pd.DataFrame([r for part in parts for r in part])
    return results, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replicates", type=int, default=Settings.replicates)
    ap.add_argument("--providers", type=int, default=Settings.n_providers)
    ap.add_argument("--months", type=int, default=Settings.n_months)
    ap.add_argument("--n-boot", type=int, default=Settings.n_boot)
    ap.add_argument("--workers", type=int, default=Settings.workers)
    ap.add_argument("--scenarios", default=",".join(SCENARIOS),
                    help="comma-separated scenario names (default: all)")
    ap.add_argument("--guidance", type=Path, default=None,
                    help="a markdown file of advice, placed under the headline numbers")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "docs")
    a = ap.parse_args(argv)
    settings = Settings(replicates=a.replicates, n_providers=a.providers, n_months=a.months,
                        n_boot=a.n_boot, workers=a.workers,
                        scenarios=tuple(x for x in a.scenarios.split(",") if x))
    results, elapsed = run(settings)
    table = summarise(results)
    a.out.mkdir(parents=True, exist_ok=True)
    fig = coverage_figure(table, a.out / "validation_coverage.png")
    guidance = a.guidance.read_text(encoding="utf-8") if a.guidance else ""
    md_path = write_markdown(table, settings, elapsed, a.out / "validation.md", fig, guidance)
    results.to_csv(a.out / "validation_results.csv.gz", index=False) if a.out.name != "docs" \
        else None
    print(coverage_pivot(table).to_string())
    print(f"wrote {md_path} and {fig} ({elapsed / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
