"""Simulation study: does each estimator recover the truth the generator was built with?

For each of ``--replicates`` synthetic panels (seeds 1..R) every estimator of the
workbench is run and compared with the generator's truth: bias, root mean squared error
and the share of 95% intervals that contain the truth (coverage). Results are written
as a table and a figure into ``docs/validation.md`` and ``docs/validation_coverage.png``.

Two panels per replicate
    ``calibrated``  the generator's defaults (``selection=1``): independent hospitals
                    treat much healthier patients, so much so that the sectors barely
                    overlap in case mix (propensity scores near 0 or 1).
    ``overlap``     the same structural model with a third of the selection
                    (``selection=0.3``), so that propensity-score weighting has the overlap
                    it needs; the naive comparison is still confounded.

Each row says whether the estimator is *meant* to identify the estimand under that
design; coverage between 0.92 and 0.98 is required only for those rows. The naive
sector difference is compared with the causal (case-mix adjusted) truth, to show its
bias; IPW on the calibrated panel is shown to fail for want of overlap.

Size: the generator's default, 240 providers x 36 months, as in the main study; 200
replicates take about 6 minutes on two cores. ``--providers``/``--months`` change it.

Usage::

    .venv/bin/python benchmarks/validation.py                 # 200 replicates, 2 workers
    .venv/bin/python benchmarks/validation.py --replicates 20 --out /tmp/val
"""

from __future__ import annotations

import os

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse
import multiprocessing as mp
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

COVERAGE_BAND = (0.92, 0.98)
SELECTION_OVERLAP = 0.3
STAFF = "nurse_fte_per_10_beds"
WAIT = "rtt_median_weeks"
FFT = "fft_pct_positive"


@dataclass(frozen=True)
class Settings:
    """What one simulation run uses (written into the docs)."""

    replicates: int = 200
    n_providers: int = 240     # the generator's default size
    n_months: int = 36
    n_boot: int = 499
    workers: int = 2
    first_seed: int = 1


def _row(estimator: str, design: str, estimand: str, truth: float, f, meant: bool) -> dict:
    return {"estimator": estimator, "design": design, "estimand": estimand, "truth": truth,
            "estimate": f.estimate, "ci_low": f.ci_low, "ci_high": f.ci_high, "meant": meant,
            "warning": bool(f.warning)}


def one_replicate(seed: int, settings: Settings) -> list[dict]:
    """Run every estimator on the two panels of replicate ``seed``; one row per estimate."""
    from workbench.analysis import causal, mediation
    from workbench.analysis import models as md
    from workbench.data.synth import generate

    n, t, nb = settings.n_providers, settings.n_months, settings.n_boot
    cal = generate(seed=seed, n_providers=n, n_months=t)
    ovl = generate(seed=seed + 1_000_000, n_providers=n, n_months=t, selection=SELECTION_OVERLAP)
    truth = cal.truth
    rows: list[dict] = []
    adj = md.CASE_MIX + ("sector_independent",)
    direct = (WAIT, STAFF, "staff_engagement_lag1")

    def add(estimator, design, finds, meant=True, key=None):
        for f in finds:
            k = key or f.id.split("#", 1)[0]
            rows.append(_row(estimator, design, k, truth[k], f, meant))

    p = cal.panel
    for kind in ("ols", "fe", "mixed"):
        add(kind, "calibrated", md.findings(md.fit(md.ModelSpec(WAIT, (STAFF,), adj, kind=kind),
                                                   p), "q"))
        add(kind, "calibrated", md.findings(md.fit(md.ModelSpec(FFT, direct, adj, kind=kind),
                                                   p), "q"))
    for kind in ("poisson", "negbin"):
        add(kind, "calibrated", md.findings(md.fit(md.ModelSpec(
            "complaints", (WAIT, STAFF), adj, kind=kind, exposure="episodes",
            prefix="rate_ratio"), p), "q"))
    add("ordinal", "calibrated", md.findings(md.fit(md.ModelSpec(
        "cqc_overall", ("sector_independent", STAFF, "staff_engagement"), kind="ordinal",
        prefix="ordinal"), p), "q"))
    add("mediation (cluster bootstrap)", "calibrated",
        mediation.mediate_panel(p, n_boot=nb, seed=seed).findings())
    add("moderated mediation", "calibrated",
        [f for f in mediation.moderated_mediation(p, n_boot=nb, seed=seed)
         if f.id.startswith(("indirect:", "moderation:"))])
    for design, panel in (("calibrated", cal.panel), ("overlap", ovl.panel)):
        for outcome in (WAIT, FFT):
            key = f"adjusted:sector[independent]->{outcome}@acute"
            naive, adjusted = md.sector_difference(panel, outcome)
            add("naive difference", design, [naive], meant=False, key=key)
            add("regression adjustment", design, [adjusted], key=key)
            ipw, _ = causal.ipw_difference(panel, outcome, n_boot=nb, seed=seed)
            add("IPW", design, [ipw], meant=design == "overlap", key=key)
    for r in rows:
        r["replicate"] = seed
    return rows


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Bias, RMSE and coverage per estimator, design and estimand.

    >>> r = pd.DataFrame({"estimator": "ols", "design": "d", "estimand": "e", "meant": True,
    ...                   "truth": 1.0, "estimate": [0.9, 1.1], "ci_low": [0.5, 1.05],
    ...                   "ci_high": [1.5, 1.2], "warning": False})
    >>> summarise(r)[["bias", "coverage"]].round(3).values.tolist()
    [[0.0, 0.5]]
    """
    df = results.assign(err=results["estimate"] - results["truth"],
                        covered=(results["ci_low"] <= results["truth"])
                        & (results["truth"] <= results["ci_high"]),
                        width=results["ci_high"] - results["ci_low"])
    g = df.groupby(["estimator", "design", "estimand", "meant"], sort=False)
    out = g.agg(replicates=("err", "size"), truth=("truth", "first"),
                mean_estimate=("estimate", "mean"), bias=("err", "mean"),
                rmse=("err", lambda e: float(np.sqrt(np.mean(e ** 2)))),
                coverage=("covered", "mean"), mean_ci_width=("width", "mean"),
                share_warned=("warning", "mean")).reset_index()
    lo, hi = COVERAGE_BAND
    out["coverage_ok"] = np.where(out["meant"], out["coverage"].between(lo, hi), np.nan)
    return out


def coverage_figure(table: pd.DataFrame, path: Path) -> Path:
    """Coverage of every estimator and estimand, the 0.92-0.98 band shaded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from workbench.report.theme import GREY, INDEPENDENT_ORANGE, NHS_BLUE, theme_context

    t = table.assign(label=table["estimator"] + " | " + table["design"] + " | "
                     + table["estimand"].str.replace("nurse_fte_per_10_beds", "staffing")
                     .str.replace("rtt_median_weeks", "wait")
                     .str.replace("fft_pct_positive", "FFT"))
    with theme_context():
        fig, ax = plt.subplots(figsize=(9, 0.28 * len(t) + 1.5))
        y = np.arange(len(t))[::-1]
        ax.axvspan(*COVERAGE_BAND, color=NHS_BLUE, alpha=0.12, label="0.92-0.98")
        ax.axvline(0.95, color=GREY, linewidth=0.8)
        colours = np.where(t["meant"], NHS_BLUE, INDEPENDENT_ORANGE)
        ax.scatter(t["coverage"], y, c=colours, s=25, zorder=3)
        ax.set_yticks(y, t["label"], fontsize=7)
        ax.set_xlim(-0.02, 1.02)
        ax.set_xlabel("Share of 95% intervals containing the truth")
        ax.set_title("95% interval coverage\nblue: meant to identify the estimand; orange: not",
                     fontsize=10)
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _fmt(x, d=3):
    return "" if pd.isna(x) else f"{x:.{d}f}"


def write_markdown(table: pd.DataFrame, settings: Settings, elapsed: float, path: Path,
                   figure: Path) -> Path:
    """Write the validation report (table + figure link) to ``path``."""
    from workbench.files import atomic_write_text

    meant = table[table["meant"]]
    failing = meant[~meant["coverage_ok"].astype(bool)]
    lines = [
        "# Validation: do the estimators recover the truth?",
        "",
        ("Generated by `benchmarks/validation.py` (do not edit by hand). "
        f"{settings.replicates} synthetic panels (seeds {settings.first_seed}.."
        f"{settings.first_seed + settings.replicates - 1}), {settings.n_providers} providers x "
        f"{settings.n_months} months each, {settings.n_boot} bootstrap replicates per interval, "
        f"{settings.workers} worker processes, {elapsed / 60:.1f} minutes."),
        "",
        ("Designs: `calibrated` is the generator's default (strong case-mix selection into the "
        "independent sector, so strong that the sectors barely overlap); `overlap` is the same "
        f"model with selection={SELECTION_OVERLAP} of the default gap. Naive differences are "
        "compared with the causal (case-mix adjusted) truth, which they are not meant to "
        "identify; neither is IPW without overlap."),
        "",
        (f"Coverage is required to lie in [{COVERAGE_BAND[0]}, {COVERAGE_BAND[1]}] for every row "
        "marked *meant*. With 200 replicates the Monte Carlo standard error of a coverage of "
        "0.95 is 0.015."),
        "",
        (f"**Rows meant to identify their estimand: {len(meant)}; coverage inside the band: "
        f"{int(meant['coverage_ok'].astype(bool).sum())}.**"),
        "",
    ]
    if len(failing):
        lines += ["Outside the band: " + "; ".join(
            f"{r.estimator} / {r.design} / `{r.estimand}` ({r.coverage:.3f})"
            for r in failing.itertuples()) + ".", ""]
    lines += [f"![coverage]({figure.name})", "",
              ("| estimator | design | estimand | meant | truth | mean estimate | bias | RMSE | "
              "coverage | mean CI width | share warned |"),
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in table.itertuples():
        lines.append(f"| {r.estimator} | {r.design} | `{r.estimand}` | "
                     f"{'yes' if r.meant else 'no'} | {_fmt(r.truth)} | {_fmt(r.mean_estimate)} | "
                     f"{_fmt(r.bias)} | {_fmt(r.rmse)} | {_fmt(r.coverage)} | "
                     f"{_fmt(r.mean_ci_width)} | {_fmt(r.share_warned, 2)} |")
    lines += ["", ("Share warned: the share of replicates whose finding carried a warning "
              "(e.g. poor overlap, non-convergence of a random slope, thin rating categories)."),
              ""]
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
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "docs")
    a = ap.parse_args(argv)
    settings = Settings(replicates=a.replicates, n_providers=a.providers, n_months=a.months,
                        n_boot=a.n_boot, workers=a.workers)
    results, elapsed = run(settings)
    table = summarise(results)
    a.out.mkdir(parents=True, exist_ok=True)
    fig = coverage_figure(table, a.out / "validation_coverage.png")
    md_path = write_markdown(table, settings, elapsed, a.out / "validation.md", fig)
    results.to_csv(a.out / "validation_results.csv.gz", index=False) if a.out.name != "docs" \
        else None
    print(f"wrote {md_path} and {fig} ({elapsed / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
