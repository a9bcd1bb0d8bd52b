"""Simulation study: does each estimator recover the truth, in worlds built to break it?

For each of ``--replicates`` seeds (1..R) and each scenario of the generator
(:mod:`workbench.data.scenarios`: ``calibrated``, ``confounded``, ``nonlinear``,
``serial``, ``mediator_confounded``, ``heterogeneous``, ``few_independent``, ``null``)
every estimator of the workbench is run on a fresh panel and compared with that
scenario's truth: bias, root mean squared error and the share of 95% intervals that
contain the truth (coverage), by estimator x scenario x estimand. Results are written as
tables and a figure into ``docs/validation.md`` and ``docs/validation_coverage.png``.

The estimators are the product's own calls (``models.fit`` with the notebooks' kinds,
notebook 02's ``staffing_pathways``, ``mediation.moderated_mediation``, notebook 03's
``sector_contrast`` and ``weighting.ipw_difference``), never copies of them. Each row
carries the role the headline rule (:mod:`workbench.analysis.findings.roles`) gives
the finding as a notebook reports it: headline rows are expected to cover at 0.95.

Two panels per replicate and scenario
    the scenario's panel with the calibrated case-mix selection (``selection=1``), for
    the staffing, waits and satisfaction estimators; and the same scenario with a third
    of the selection (``selection=0.3``, seed + 1,000,000), for the sector contrasts, so
    that weighting has the overlap it needs. On the ``calibrated`` scenario the sector
    contrasts are also run on the first panel (design ``calibrated``), where the sectors
    barely overlap.

Each row says whether the estimator is *meant* to identify the estimand in that scenario
(:func:`meant`: its assumptions hold there); the rows not meant show how badly an
estimator fails when its assumptions do not hold.

Size: the generator's default, 240 providers x 36 months, as in the main study.
``--providers``/``--months`` change it.

Speed: 200 replicates of every scenario take about 20 minutes of CPU (about 10 minutes on
2 idle cores; the timing line of ``docs/validation.md`` gives the run's own). The sector
contrasts' provider bootstrap solves every draw's balancing weights and propensity model
together (``benchmarks/bootstrap_draws.py``), random-intercept models are fitted from
group sums (:func:`workbench.analysis.models.fastfit.mixed_intercept`), panels are made
without the RTT flows and the re-check of the generator's own output
(:func:`make_data`), and the acute rows and derived columns are made once per panel. A
progress bar (stderr, when it is a terminal) counts the replicates.

As a study: ``studies/validation.yaml`` runs ``benchmarks/notebooks/validation_chunk``
(one scenario, a range of seeds, one row per estimate into the run folder) as a grid
on any executor (local, Dask, Slurm); ``--from-study outputs/validation`` then reads the
chunks from the study's outputs (:func:`read_study`) into the same tables.

Usage::

    nice .venv/bin/python benchmarks/validation.py --replicates 200    # docs/validation.md
    .venv/bin/python benchmarks/validation.py --replicates 4 --out /tmp/val
    .venv/bin/workbench run studies/validation.yaml
    .venv/bin/python benchmarks/validation.py --from-study outputs/validation
"""

from __future__ import annotations

import os

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse
import multiprocessing as mp
import sys
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

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
#: Scenarios where inverse probability weighting (notebook 03's robustness check, not its
#: headline) is run: with and without overlap in the calibrated world, and under nonlinear
#: case mix (its propensity model is linear). Elsewhere it would cost a fifth of the
#: study's time to repeat what the doubly robust rows show.
IPW_SCENARIOS = ("calibrated", "nonlinear")
#: Estimators of the sector contrast.
SECTOR = ("naive difference", "doubly robust", "linear adjustment", "IPW")


@dataclass(frozen=True)
class Settings:
    """What one simulation run uses (written into the docs)."""

    replicates: int = 200
    n_providers: int = 240     # the generator's default size
    n_months: int = 36
    #: bootstrap draws per bootstrapped interval: 199 makes the 2.5% and 97.5% points
    #: whole order statistics (0.025 x 200 = 5); the notebooks use 499 or more, so the
    #: intervals checked here are if anything noisier than theirs
    n_boot: int = 199
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
    if estimator == "doubly robust":   # spline case-mix models: nonlinear case mix too
        return scenario != "few_independent"   # a bootstrap over six treated providers
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


#: The id variant each model estimator's findings carry in the notebooks (notebook 02's
#: ``#fe`` within-provider fits, ``#mixed`` random-intercept checks); the other estimators'
#: findings come with their notebook ids already.
NOTEBOOK_VARIANT = {"fe": "fe", "poisson fe": "fe", "mixed": "mixed"}
#: The questions' primary exposures (notebook 02: staffing and waits; 03: the sector).
PRIMARY_EXPOSURES = (STAFF, WAIT, "sector")


def role(estimator: str, f) -> str:
    """The role the headline rule (:func:`workbench.analysis.findings.roles.role_for`) gives
    the finding ``f`` of ``estimator`` as a notebook reports it: ``headline``,
    ``robustness`` or ``diagnostic`` (from its id, model, clusters and warning only).

    >>> from workbench.analysis.findings.record import Finding
    >>> f = Finding(id="effect:nurse_fte_per_10_beds->rtt_median_weeks@acute", question="q",
    ...             estimate=-0.4, model="fe", clusters=120)
    >>> role("fe", f), role("ols", f), role("mixed", f)
    ('headline', 'robustness', 'robustness')
    """
    from workbench.analysis.findings.roles import role_for
    from workbench.finding_id import FindingId

    fid = f.id
    if estimator in NOTEBOOK_VARIANT:
        key = FindingId.parse(f.id)
        fid = str(FindingId(key.kind, key.outcome, key.exposure, key.subset,
                            variant=NOTEBOOK_VARIANT[estimator]))
    return role_for({"id": fid, "model": f.model, "clusters": f.clusters,
                     "warning": f.warning}, exposures=PRIMARY_EXPOSURES)


def sector_estimator(f) -> str:
    """The estimator of a sector-contrast finding of notebook 03
    (:func:`workbench.analysis.questions.nhs_vs_private.sector_contrast`), from its id: the
    naive difference, the doubly robust contrast (the plain ``adjusted:`` id) or linear
    adjustment (``#linear``, or the plain id when the doubly robust one could not be
    estimated, as its warning says).

    >>> from workbench.analysis.findings.record import Finding
    >>> sector_estimator(Finding(id="adjusted:sector[independent]->y@acute#linear",
    ...                          question="q", estimate=1.0))
    'linear adjustment'
    """
    from workbench.finding_id import FindingId

    key = FindingId.parse(f.id)
    if key.kind == "naive":
        return "naive difference"
    if key.variant == "linear" or "doubly robust contrast could not be estimated" in (
            f.warning or ""):
        return "linear adjustment"
    return "doubly robust"


def _row(estimator: str, design: str, estimand: str, truth: float, f, ok: bool) -> dict:
    return {"estimator": estimator, "design": design, "estimand": estimand, "truth": truth,
            "estimate": f.estimate, "ci_low": f.ci_low, "ci_high": f.ci_high, "meant": ok,
            "role": role(estimator, f), "warning": bool(f.warning)}


def one_replicate(seed: int, settings: Settings) -> list[dict]:
    """Run every estimator on every scenario's panels for seed ``seed``; one row per estimate."""
    warnings.simplefilter("ignore")
    rows = [r for scenario in settings.scenarios
            for r in scenario_rows(seed, scenario, settings)]
    for r in rows:
        r["replicate"] = seed
    return rows


def run_chunk(scenario: str, first_seed: int, replicates: int,
              settings: Settings = Settings()) -> pd.DataFrame:
    """The rows of seeds ``first_seed .. first_seed + replicates - 1`` of one scenario, in
    this process: one run of the validation study (``studies/validation.yaml``).

    >>> r = run_chunk("null", 1, 1, Settings(n_providers=60, n_months=12, n_boot=100))
    >>> sorted(set(r["scenario"])), int(r["replicate"].max())
    (['null'], 1)
    """
    warnings.simplefilter("ignore")
    rows = []
    for seed in range(first_seed, first_seed + replicates):
        for r in scenario_rows(seed, scenario, settings):
            r["replicate"] = seed
            rows.append(r)
    return pd.DataFrame(rows)


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


def scenario_rows(seed: int, scenario: str, settings: Settings) -> list[dict]:
    """Every estimator on the panels of one scenario and seed: one row per estimate."""
    from workbench.analysis.effects import mediation, weighting
    from workbench.analysis.models import fit as md
    from workbench.analysis.models.spec import derive, select_subset
    from workbench.analysis.questions import nhs_vs_private as q03
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
            # notebook 03's contrasts: naive, doubly robust (the headline) and linear
            for f in q03.sector_contrast(panel, outcome, md.CASE_MIX, n_boot=nb, seed=seed):
                add(sector_estimator(f), [f], true, key=key, design=design)
            if scenario not in IPW_SCENARIOS:
                continue
            try:
                [ipw] = weighting.ipw_difference(panel, outcome, n_boot=nb,
                                                 seed=seed).findings()
            except AnalysisInputError:
                continue
            # IPW estimates the contrast over every acute provider (ATE): its own truth
            # where the scenario gives one (nonlinear: the contrast varies with case mix)
            own = ipw.id.split("#", 1)[0]
            add("IPW", [ipw], true, key=own if own in true else key, design=design)
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
    if "role" not in results:
        results = results.assign(role="")
    estimated = np.isfinite(results[["estimate", "ci_low", "ci_high"]].astype(float)).all(axis=1)
    covered = ((results["ci_low"] <= results["truth"]) & (results["truth"] <= results["ci_high"]))
    df = results.assign(err=results["estimate"] - results["truth"],
                        covered=covered.astype(float).where(estimated),
                        width=results["ci_high"] - results["ci_low"],
                        not_estimated=~estimated)
    g = df.groupby(["estimator", "scenario", "design", "estimand", "meant"], sort=False)
    out = g.agg(replicates=("err", "size"), not_estimated=("not_estimated", "sum"),
                role=("role", lambda r: r.mode().iat[0] if len(r.mode()) else ""),
                share_headline=("role", lambda r: float((r == "headline").mean())),
                truth=("truth", "mean"), mean_estimate=("estimate", "mean"),
                bias=("err", "mean"),
                rmse=("err", lambda e: float(np.sqrt(np.mean(e.dropna() ** 2)))),
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
    """Coverage as estimator | estimand (rows) x scenario (columns), with each row's role
    under the headline rule (``headline``, ``robustness``, ``diagnostic``; the roles it
    takes across scenarios); ``*`` marks a cell whose estimator is not meant to identify
    the estimand there, ``(h)`` a cell that is a headline where its row's role is not.
    """
    t = table[~table["design"].eq("calibrated") | ~table["estimator"].isin(SECTOR)]
    if "role" not in t:
        t = t.assign(role="")
    t = t.assign(row=t["estimator"] + " | " + t["estimand"].map(_short))
    roles = t.groupby("row", sort=False)["role"].agg(
        lambda r: "/".join(dict.fromkeys(x for x in r if x)))
    main = t.groupby("row", sort=False)["role"].agg(lambda r: r.mode().iat[0])
    t = t.assign(cell=[("" if pd.isna(c) else f"{c:.2f}") + ("" if m else "*")
                       + (" (h)" if ro == "headline" and main[r] != "headline" else "")
                       for c, m, ro, r in zip(t["coverage"], t["meant"], t["role"], t["row"])])
    order = list(dict.fromkeys(t["row"]))
    cols = [c for c in SCENARIOS if c in set(t["scenario"])]
    out = t.pivot(index="row", columns="scenario", values="cell").reindex(order)[cols]
    out.insert(0, "role", roles.reindex(order))
    return out


def headline_by_scenario(table: pd.DataFrame) -> pd.DataFrame:
    """Per scenario: the headline rows, their mean and lowest coverage, and how many fall
    below :func:`_floor` for the replicates run (the rows a report stands behind).

    >>> t = pd.DataFrame({"scenario": ["a", "a", "b"], "role": "headline",
    ...                   "estimator": "fe", "estimand": ["x", "y", "x"], "design": "a",
    ...                   "coverage": [0.95, 0.85, 0.9], "replicates": 20})
    >>> headline_by_scenario(t)[["scenario", "rows", "mean", "below_floor"]].values.tolist()
    [['a', 2, 0.9, 0], ['b', 1, 0.9, 0]]
    """
    h = table[table["role"].eq("headline")] if "role" in table else table.iloc[:0]
    out = []
    for sc in [c for c in SCENARIOS if c in set(h["scenario"])] + sorted(
            set(h["scenario"]) - set(SCENARIOS)):
        g = h[h["scenario"] == sc]
        floor = _floor(int(g["replicates"].max()))
        low = g.loc[g["coverage"].idxmin()]
        out.append({"scenario": sc, "rows": len(g), "mean": round(float(g["coverage"].mean()), 3),
                    "lowest": float(low["coverage"]),
                    "lowest_row": f"{low['estimator']} / {_short(low['estimand'])}",
                    "below_floor": int((g["coverage"] < floor).sum())})
    return pd.DataFrame(out, columns=["scenario", "rows", "mean", "lowest", "lowest_row",
                                      "below_floor"])


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
        fig, ax = plt.subplots(figsize=(11, 0.25 * len(rows) + 2.5))
        y = {r: i for i, r in enumerate(rows[::-1])}
        x = {c: j for j, c in enumerate(cols)}
        for r in t.itertuples():
            ok = r.coverage >= floor
            colour = NHS_BLUE if ok else INDEPENDENT_ORANGE
            head = getattr(r, "role", "") == "headline"
            ax.scatter(x[r.scenario], y[r.row], s=20 + 80 * r.coverage,
                       marker="s" if head else "o",
                       facecolors=colour if r.meant else "none", edgecolors=colour)
        ax.set_yticks(list(y.values()), list(y.keys()), fontsize=6)
        ax.set_xticks(list(x.values()), cols, rotation=30, ha="right", fontsize=8)
        ax.grid(color=GREY, alpha=0.2)
        ax.set_xlim(-0.5, len(cols) - 0.5)
        ax.set_ylim(-0.8, len(rows) - 0.2)
        ax.set_title("95% interval coverage by scenario (marker size: coverage)\n"
                     f"blue: at least {floor:.2f} (correct intervals fall below it with "
                     "probability 0.5%); orange: below\nfilled: meant to identify the truth "
                     "there, hollow: not; square: a headline", fontsize=8)
        fig.tight_layout(rect=(0.02, 0, 1, 1))
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
                   figure: Path, guidance: str = "", *, cpu_s: float | None = None,
                   load: str = "", how: str = "") -> Path:
    """Write the validation report (how it was run, headline coverage by scenario, the
    coverage pivot, guidance, the full table, the figure) to ``path``.

    ``elapsed`` and ``cpu_s`` are the run's wall and CPU seconds, ``load`` the machine's
    load while it ran, ``how`` the command or study that made it.
    """
    from workbench.files import atomic_write_text

    meant_rows = table[table["meant"]]
    # under-coverage a correct 95% interval shows with probability below 0.5% over this
    # many replicates (with 200 replicates: below 0.915; with 20: below 0.80)
    floor = _floor(settings.replicates)
    failing = meant_rows[meant_rows["coverage"] < floor]
    heads = table[table["role"].eq("headline")] if "role" in table else table.iloc[:0]
    pivot = coverage_pivot(table)
    mcse = (0.95 * 0.05 / settings.replicates) ** 0.5
    last = settings.first_seed + settings.replicates - 1
    how = how or (f"`benchmarks/validation.py --replicates {settings.replicates}` with "
                  f"{settings.workers} worker processes")
    timing = f"{elapsed / 60:.1f} minutes of wall time"
    if cpu_s is not None:
        timing += f", {cpu_s / 60:.1f} minutes of CPU time"
    if load:
        timing += f" ({load})"
    lines = [
        "# Validation: do the estimators recover the truth, and where do they fail?",
        "",
        (f"Generated by {how} (do not edit by hand): seeds {settings.first_seed}.."
         f"{last} ({settings.replicates} replicates) x {len(settings.scenarios)} scenarios "
         f"({', '.join(f'`{c}`' for c in settings.scenarios)}), panels of "
         f"{settings.n_providers} providers x {settings.n_months} months, "
         f"{settings.n_boot} bootstrap replicates per bootstrapped interval; {timing}. "
         f"Seed s of scenario c makes the panel `generate(seed=s, scenario=c)` and, for the "
         f"sector contrasts, `generate(seed=s + 1000000, scenario=c, "
         f"selection={SELECTION_OVERLAP})`."),
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
        "## How to read the rows",
        "",
        ("* **role**: what the headline rule (`workbench/analysis/findings/roles.py`, "
         "decided from a finding's id, design, clusters and warnings before any result is "
         "seen) makes of the estimator's finding as a notebook reports it. **headline** rows "
         "are what reports stand behind: their 95% intervals are expected to cover their "
         "truth at 0.95 in every scenario. **robustness** rows are other estimators of the "
         "same or related quantities, shown beside the headlines; **diagnostic** rows rest "
         "on too few clusters or a failed fit."),
        ("* **meant** (`*` in the coverage table when not): whether the estimator's "
         "assumptions hold in that scenario, so that it is meant to recover the truth there "
         "(`meant()` in the script). Rows not meant show how an estimator fails when its "
         "assumptions break; they are expected to miss."),
        (f"* With {settings.replicates} replicates the Monte Carlo standard error of a "
         f"coverage of 0.95 is {mcse:.3f}. A headline or meant row fails when its coverage "
         f"is below {floor:.3f}: what correct 95% intervals fall below with probability "
         f"0.5% (binomial). With 200 replicates `summarise` also reports the band "
         f"[{COVERAGE_BAND[0]}, {COVERAGE_BAND[1]}] (`coverage_ok`)."),
        "",
    ]
    if len(heads):
        by = headline_by_scenario(table)
        lines += [
            (f"**Headline rows: {len(heads)}; mean coverage {heads['coverage'].mean():.3f}; "
             f"below {floor:.3f}: {int((heads['coverage'] < floor).sum())}; lowest "
             f"{heads['coverage'].min():.3f}.**"), "",
            "| scenario | headline rows | mean coverage | lowest (row) | below the floor |",
            "|---|---|---|---|---|"]
        lines += [f"| {r.scenario} | {r.rows} | {r.mean:.3f} | {r.lowest:.3f} "
                  f"({r.lowest_row}) | {r.below_floor} |" for r in by.itertuples()]
        lines += [""]
    lines += [
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
    lines += ["## Running it", "",
              ("`nice .venv/bin/python benchmarks/validation.py --replicates 200` (about "
               "20 minutes of CPU, so about 10 minutes on 2 idle cores; `--workers`, "
               "`--scenarios`, `--first-seed`, `--time-limit`, `--out` to write "
               "elsewhere). On a cluster the same rows come from the study "
               "`studies/validation.yaml` (8 scenarios x 10 chunks of 20 seeds, one run of "
               "`benchmarks/notebooks/validation_chunk.ipynb` each): `workbench run "
               "studies/validation.yaml --executor slurm` (or `dask`), then `benchmarks/"
               "validation.py --from-study outputs/validation` reads every run's "
               "`validation_rows.csv` through its manifest into this page. The batch cache "
               "counts this script as part of each chunk's code: after editing it the study "
               "runs every chunk again."), ""]
    lines += ["## Coverage by estimator and scenario", "",
              ("Share of 95% intervals containing the truth. role: the row's role under the "
               "headline rule; `*`: the estimator is not meant to identify the estimand in "
               "that scenario (its assumptions do not hold there)."),
              "",
              "| estimator | estimand | role | " + " | ".join(pivot.columns[1:]) + " |",
              "|---|---|---|" + "---|" * (len(pivot.columns) - 1)]
    for row, vals in pivot.iterrows():
        est, estimand = row.split(" | ", 1)
        lines.append(f"| {est} | {estimand} | " + " | ".join(
            "" if pd.isna(v) else v for v in vals) + " |")
    lines += ["", f"![coverage]({figure.name})", "", "## Bias, RMSE and coverage", "",
              ("| estimator | scenario | design | estimand | role (share headline) | meant | "
               "truth | mean estimate | bias | RMSE | coverage | mean CI width | "
               "share warned |"),
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in table.itertuples():
        lines.append(f"| {r.estimator} | {r.scenario} | {r.design} | `{r.estimand}` | "
                     f"{getattr(r, 'role', '')} ({_fmt(getattr(r, 'share_headline', 0), 2)}) | "
                     f"{'yes' if r.meant else 'no'} | {_fmt(r.truth)} | {_fmt(r.mean_estimate)} | "
                     f"{_fmt(r.bias)} | {_fmt(r.rmse)} | {_fmt(r.coverage)} | "
                     f"{_fmt(r.mean_ci_width)} | {_fmt(r.share_warned, 2)} |")
    lines += ["", ("Truth: the mean over replicates (the nonlinear scenario's sector contrast "
              "depends on the independent hospitals drawn). Share warned: the share of "
              "replicates whose finding carried a warning (e.g. poor overlap, few clusters, "
              "thin rating categories). Role: the headline rule's role in most replicates; "
              "share headline: in how many it was a headline (a warning of a failed check, "
              "such as poor overlap, keeps a finding out of the headlines in that "
              "replicate)."), ""]
    return atomic_write_text(path, "\n".join(lines))


# ---- the validation as a study (studies/validation.yaml) ---------------------------------

#: What one run of the study's chunk notebook writes into its run folder.
ROWS_FILE = "validation_rows.csv"
CHUNK_FILE = "validation_chunk.json"
CHUNK_NOTEBOOK = "validation_chunk.ipynb"


def source_sha256() -> str:
    """The sha256 of this script: every chunk of a study records it, and the summary
    refuses chunks made by different versions (the batch cache counts this file too, as one
    the chunk notebook imports, so an edit runs the chunks again).
    """
    import hashlib

    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def write_chunk(rows: pd.DataFrame, folder, settings: Settings, scenario: str,
                first_seed: int, replicates: int, cpu_s: float, wall_s: float) -> Path:
    """Write a chunk's rows (:data:`ROWS_FILE`) and what made them (:data:`CHUNK_FILE`:
    settings, seeds, CPU and wall seconds, this script's sha256) into ``folder``.
    """
    import json

    from workbench.files import atomic_write_text

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / ROWS_FILE, rows.to_csv(index=False))
    info = {"scenario": scenario, "first_seed": first_seed, "replicates": replicates,
            "n_providers": settings.n_providers, "n_months": settings.n_months,
            "n_boot": settings.n_boot, "cpu_s": round(cpu_s, 3), "wall_s": round(wall_s, 3),
            "validation_sha256": source_sha256()}
    atomic_write_text(folder / CHUNK_FILE, json.dumps(info, indent=1, sort_keys=True))
    return folder / ROWS_FILE


def read_rows(path) -> pd.DataFrame:
    """Rows written by :func:`write_chunk` (or ``--out``'s results file), read back as
    written: the scenario ``null`` stays the text ``null`` (pandas would read it as
    missing); an empty cell is a missing number.

    >>> import io
    >>> read_rows(io.StringIO("scenario,estimate\\nnull,\\ncalibrated,1.5\\n")).values.tolist()
    [['null', nan], ['calibrated', 1.5]]
    """
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


@dataclass
class StudyRun:
    """What :func:`read_study` found: the rows of every chunk, the settings they share and
    the study's timing (wall seconds from the first run's start to the last one's end;
    CPU seconds summed over the chunks)."""

    results: pd.DataFrame
    settings: Settings
    wall_s: float
    cpu_s: float
    chunks: int
    study: str


def read_study(folder) -> StudyRun:
    """The chunks of a validation study's output folder (``workbench run
    studies/validation.yaml`` writes ``outputs/validation/``), read through the study's
    outputs: each run folder's ``manifest.json`` must say ``ok`` and record the sha256 of
    its :data:`ROWS_FILE`, the chunks must share settings and this script's version, and
    every scenario must have the same seeds, each once. Anything else is a
    ``ValueError`` naming the run and what is wrong.
    """
    import hashlib
    import json

    folder = Path(folder)
    parts, infos, starts, ends = [], [], [], []
    problems = []
    for manifest in sorted(folder.glob("*/manifest.json")):
        m = json.loads(manifest.read_text(encoding="utf-8"))
        if m.get("notebook") != CHUNK_NOTEBOOK:
            continue
        run = manifest.parent
        if m.get("status") != "ok":
            problems.append(f"{run.name}: status {m.get('status')!r} ({m.get('error')})")
            continue
        rows = run / ROWS_FILE
        want = (m.get("output_sha256") or {}).get(ROWS_FILE)
        got = hashlib.sha256(rows.read_bytes()).hexdigest() if rows.exists() else None
        if want is None or got != want:
            problems.append(f"{run.name}: {ROWS_FILE} is missing or not the file the run "
                            "wrote (sha256 differs from its manifest)")
            continue
        infos.append(json.loads((run / CHUNK_FILE).read_text(encoding="utf-8")))
        parts.append(read_rows(rows))
        starts.append(pd.Timestamp(m["started"]))
        ends.append(pd.Timestamp(m["ended"]))
    if problems:
        raise ValueError(f"{folder}: chunks that cannot be used: " + "; ".join(problems))
    if not parts:
        raise ValueError(f"{folder}: no run of {CHUNK_NOTEBOOK} (run `workbench run "
                         "studies/validation.yaml` first)")
    keys = ("n_providers", "n_months", "n_boot", "validation_sha256")
    shared = {k: {i[k] for i in infos} for k in keys}
    mixed = {k: v for k, v in shared.items() if len(v) > 1}
    if mixed:
        raise ValueError(f"{folder}: chunks made with different settings or versions of "
                         f"benchmarks/validation.py: {mixed} (run the study again with --force)")
    made_by = next(iter(shared["validation_sha256"]))
    if made_by != source_sha256():
        raise ValueError(f"{folder}: the chunks were made by another version of "
                         "benchmarks/validation.py than this one: run the study again "
                         "(`workbench run studies/validation.yaml`)")
    results = pd.concat(parts, ignore_index=True)
    seeds = results.groupby("scenario")["replicate"].agg(lambda r: tuple(sorted(set(r))))
    if seeds.nunique() > 1:
        raise ValueError(f"{folder}: scenarios have different seeds: {seeds.to_dict()}")
    per = [(i["scenario"], s) for i in infos
           for s in range(i["first_seed"], i["first_seed"] + i["replicates"])]
    if len(per) != len(set(per)):
        raise ValueError(f"{folder}: a scenario's seed is in more than one chunk")
    first = seeds.iloc[0]
    settings = Settings(replicates=len(first), n_providers=infos[0]["n_providers"],
                        n_months=infos[0]["n_months"], n_boot=infos[0]["n_boot"], workers=0,
                        first_seed=int(first[0]),
                        scenarios=tuple(c for c in SCENARIOS if c in set(seeds.index)))
    return StudyRun(results=results, settings=settings,
                    wall_s=(max(ends) - min(starts)).total_seconds(),
                    cpu_s=float(sum(i["cpu_s"] for i in infos)), chunks=len(parts),
                    study=folder.name)


def _job(args):
    seed, settings = args
    return one_replicate(seed, settings)


def run(settings: Settings, timing: dict | None = None,
        time_limit: float | None = None) -> tuple[pd.DataFrame, float]:
    """Run all replicates (over ``settings.workers`` processes); return results and wall
    seconds. ``timing``, when given, receives ``cpu_s`` (this process and its workers),
    the load averages at the start and end (``load_start``, ``load_end``) and
    ``replicates`` (those finished). With ``time_limit`` (seconds) the run stops once it
    has passed and keeps the replicates finished by then, always seeds ``first_seed ..
    first_seed + k - 1`` (results are taken in seed order).
    """
    import resource

    def cpu() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    start, cpu0, load0 = time.perf_counter(), cpu(), os.getloadavg()
    jobs = [(s, settings) for s in range(settings.first_seed,
                                         settings.first_seed + settings.replicates)]
    parts = []
    bar = tqdm(total=len(jobs), desc="replicates", unit="replicate", disable=None,
               file=sys.stderr)
    if settings.workers > 1:
        pool = mp.get_context("spawn").Pool(settings.workers)
        stopped = False
        try:
            results = pool.imap(_job, jobs, chunksize=1)
            for _ in jobs:
                left = None if time_limit is None else time_limit - (time.perf_counter() - start)
                try:
                    parts.append(results.next(timeout=None if left is None else max(left, 0)))
                    bar.update()
                except mp.TimeoutError:
                    stopped = True
                    break
        finally:
            pool.terminate() if stopped else pool.close()
            pool.join()   # the workers are waited for, so their CPU time is counted
    else:
        for j in jobs:
            if time_limit is not None and time.perf_counter() - start > time_limit:
                break
            parts.append(_job(j))
            bar.update()
    bar.close()
    results = pd.DataFrame([r for part in parts for r in part])
    if timing is not None:
        timing.update(cpu_s=cpu() - cpu0, load_start=load0, load_end=os.getloadavg(),
                      replicates=len(parts))
    return results, time.perf_counter() - start


def _load_words(timing: dict) -> str:
    a, b = timing["load_start"], timing["load_end"]
    return (f"load average {a[0]:.1f} at the start and {b[0]:.1f} at the end, over the last "
            f"15 minutes {b[2]:.1f}, on {os.cpu_count()} cores shared with other work")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replicates", type=int, default=Settings.replicates)
    ap.add_argument("--providers", type=int, default=Settings.n_providers)
    ap.add_argument("--months", type=int, default=Settings.n_months)
    ap.add_argument("--n-boot", type=int, default=Settings.n_boot)
    ap.add_argument("--workers", type=int, default=Settings.workers)
    ap.add_argument("--first-seed", type=int, default=Settings.first_seed)
    ap.add_argument("--scenarios", default=",".join(SCENARIOS),
                    help="comma-separated scenario names (default: all)")
    ap.add_argument("--from-study", type=Path, default=None, metavar="FOLDER",
                    help="read the rows of a validation study's runs (workbench run "
                         "studies/validation.yaml writes outputs/validation) instead of "
                         "running the replicates here")
    ap.add_argument("--time-limit", type=float, default=None, metavar="MINUTES",
                    help="stop after this many minutes and report the replicates finished "
                         "(seeds first-seed onwards, in order)")
    ap.add_argument("--guidance", type=Path, default=None,
                    help="a markdown file of advice, placed under the headline numbers")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "docs")
    a = ap.parse_args(argv)
    if a.from_study is not None:
        study = read_study(a.from_study)
        results, settings, elapsed = study.results, study.settings, study.wall_s
        extra = {"cpu_s": study.cpu_s,
                 "how": (f"the study `{study.study}` (`studies/validation.yaml`, "
                         f"{study.chunks} runs of `benchmarks/notebooks/{CHUNK_NOTEBOOK}`) "
                         f"read by `benchmarks/validation.py --from-study`")}
    else:
        settings = Settings(replicates=a.replicates, n_providers=a.providers,
                            n_months=a.months, n_boot=a.n_boot, workers=a.workers,
                            first_seed=a.first_seed,
                            scenarios=tuple(x for x in a.scenarios.split(",") if x))
        timing: dict = {}
        results, elapsed = run(settings, timing, time_limit=a.time_limit and a.time_limit * 60)
        extra = {"cpu_s": timing["cpu_s"], "load": _load_words(timing)}
        if not timing["replicates"]:
            print(f"no replicate finished within the time limit ({a.time_limit:g} min); "
                  "nothing written")
            return 1
        if timing["replicates"] < settings.replicates:
            extra["how"] = (f"`benchmarks/validation.py --replicates {settings.replicates} "
                            f"--time-limit {a.time_limit:g}` with {settings.workers} worker "
                            f"processes, stopped at its time limit after "
                            f"{timing['replicates']} of {settings.replicates} replicates")
            settings = replace(settings, replicates=timing["replicates"])
    table = summarise(results)
    a.out.mkdir(parents=True, exist_ok=True)
    fig = coverage_figure(table, a.out / "validation_coverage.png")
    guidance = a.guidance.read_text(encoding="utf-8") if a.guidance else ""
    md_path = write_markdown(table, settings, elapsed, a.out / "validation.md", fig, guidance,
                             **extra)
    if a.out.name != "docs":
        results.to_csv(a.out / "validation_results.csv.gz", index=False)
    with pd.option_context("display.width", 250, "display.max_columns", 20):
        print(coverage_pivot(table).to_string())
    print(f"wrote {md_path} and {fig} ({elapsed / 60:.1f} min wall, "
          f"{extra['cpu_s'] / 60:.1f} min CPU)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
