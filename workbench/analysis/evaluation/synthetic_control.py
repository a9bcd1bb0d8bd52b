"""Did the change work at one to three providers? Synthetic difference-in-differences.

With one, two or three changed providers a regression against every unchanged provider
leans on parallel trends that the few changed ones may not share, and its intervals
cannot be trusted (there is nothing to cluster on). Synthetic difference-in-differences
(Arkhangelsky, Athey, Hirshberg, Imbens & Wager 2021) builds the comparison instead:

* **unit weights** ``omega``: a weighted mix of the unchanged providers (weights on the
  simplex, plus a free intercept) whose months before the change follow the changed
  providers' average, with a ridge penalty ``zeta^2 T_pre ||omega||^2``,
  ``zeta = (N_changed T_post)^(1/4) sigma`` (``sigma`` the standard deviation of the
  unchanged providers' month-to-month changes before the change), which spreads the
  weight over several providers;
* **time weights** ``lambda``: a mix of the months before the change (simplex, free
  intercept) that best predicts each unchanged provider's average after it;
* the estimate: ``[mean of the changed after - lambda-weighted mean of the changed
  before] - sum_i omega_i [mean of i after - lambda-weighted mean of i before]``, the
  average effect over the changed providers' months from the change on.

Changes on different dates are estimated cohort by cohort (each against the providers
that never changed) and averaged with weights the number of changed provider-months,
the same average effect on the treated (ATT) as
:func:`workbench.analysis.evaluation.did.staggered_did`.

Inference: placebo-in-space. Each placebo gives the change (the same number of
providers on the same dates) to unchanged providers instead, every one of them in turn
when there are few enough ways (one changed provider: each unchanged one), else
``n_placebo`` random draws, and re-estimates among the unchanged providers only. The
p-value is the rank of ``|estimate|`` among the placebos' ``|estimate|``
(``(1 + #{|placebo| >= |estimate|}) / (1 + placebos)``); the 95% interval is the
estimate plus or minus the placebos' 95th percentile of ``|estimate|``, so that it
excludes zero exactly when p < 0.05 (ties aside). This assumes that without the
change the changed providers' estimate would behave like an unchanged provider's
(Abadie, Diamond & Hainmueller 2010; Arkhangelsky et al.'s placebo variance); with
fewer than 19 placebos no 5% test is possible and the finding says so.

Finding id: ``synth:att-><outcome>@<subset>`` (the same estimand as the Sun-Abraham ATT
``did:att-><outcome>@<subset>``: the synthetic truths give both), model
``synthetic_did``.

Example
-------
>>> from workbench.data.synth import generate
>>> from workbench.data.interventions import insert_interventions
>>> sd = generate(seed=4, n_providers=120, n_months=30)
>>> nhs = [p for p in sd.panel["provider_code"].unique() if p.startswith("R")]
>>> iv = insert_interventions(sd, "fft_pct_positive", providers=nhs[:1],
...                           start="2024-06-01", level=0.8, seed=1)
>>> res = synthetic_did(iv.panel[iv.panel["provider_code"].isin(nhs)], "fft_pct_positive",
...                     iv.adoption_dates())
>>> f = res.findings()[0]
>>> f.id, f.model, bool(f.ci_low > 0)
('synth:att->fft_pct_positive@treated', 'synthetic_did', True)
>>> "placebo" in f.warning
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import nnls

from workbench.analysis.evaluation.did import prepare_changes
from workbench.analysis.findings import formatting, wording
from workbench.analysis.findings.record import Finding, Findings, with_question
from workbench.data import measures as M
from workbench.errors import AnalysisInputError
from workbench.finding_id import FindingId

#: Most changed providers synthetic DiD is meant for (more: staggered DiD).
MAX_CHANGED = 3
#: Fewest placebos for a test at the 5% level.
MIN_PLACEBOS = 19

__all__ = ["MAX_CHANGED", "SyntheticResult", "sdid_estimate", "synthetic_did"]


def _simplex_ls(A: np.ndarray, b: np.ndarray, ridge: float) -> np.ndarray:
    """``argmin ||A w + w0 - b||^2 + ridge ||w||^2`` over ``w`` on the simplex (free ``w0``).

    The intercept is removed by centring the rows; the sum-to-one constraint is a heavily
    weighted extra row of a non-negative least squares problem, then imposed exactly.
    """
    Ac = A - A.mean(axis=0)
    bc = b - b.mean()
    k = A.shape[1]
    big = 1e3 * max(float(np.abs(Ac).max()), float(np.abs(bc).max()), 1.0) * math.sqrt(len(b))
    M_ = np.vstack([Ac, math.sqrt(max(ridge, 0.0)) * np.eye(k), big * np.ones((1, k))])
    rhs = np.concatenate([bc, np.zeros(k), [big]])
    w, _ = nnls(M_, rhs, maxiter=50 * k)
    s = w.sum()
    return w / s if s > 0 else np.full(k, 1.0 / k)


def sdid_estimate(Y: np.ndarray, treated: np.ndarray, n_pre: int) -> tuple[float, dict]:
    """Synthetic DiD estimate for one block of changed units (Arkhangelsky et al. 2021).

    ``Y``: units x months; ``treated``: boolean per unit (the changed ones, all changing
    after month ``n_pre - 1``). Returns the estimate and ``omega`` (weights of the
    unchanged units), ``lambda`` (weights of the months before), ``omega0`` (intercept)
    and ``zeta``.

    >>> rng = np.random.default_rng(0)
    >>> Y = rng.normal(size=(30, 20)) + np.linspace(0, 1, 20)
    >>> tr = np.zeros(30, bool); tr[0] = True
    >>> Y[0, 12:] += 3.0
    >>> est, w = sdid_estimate(Y, tr, 12)
    >>> bool(2.0 < est < 4.0), round(float(w["omega"].sum()), 6)
    (True, 1.0)
    """
    Yc, Yt = Y[~treated], Y[treated].mean(axis=0)
    n_co, T = Yc.shape
    n_post = T - n_pre
    diffs = np.diff(Yc[:, :n_pre], axis=1)
    sigma = float(diffs.std(ddof=1)) if diffs.size > 1 else 0.0
    zeta = (int(treated.sum()) * n_post) ** 0.25 * sigma
    omega = _simplex_ls(Yc[:, :n_pre].T, Yt[:n_pre], zeta ** 2 * n_pre)
    post_means = Yc[:, n_pre:].mean(axis=1)
    lam = _simplex_ls(Yc[:, :n_pre], post_means, (1e-6 * sigma) ** 2 * n_co)
    est = ((Yt[n_pre:].mean() - lam @ Yt[:n_pre])
           - omega @ (post_means - Yc[:, :n_pre] @ lam))
    omega0 = float((Yt[:n_pre] - omega @ Yc[:, :n_pre]).mean())
    return float(est), {"omega": omega, "lambda": lam, "omega0": omega0, "zeta": zeta}


def _estimate(Y: np.ndarray, units: np.ndarray, groups: list[tuple[int, np.ndarray]]
              ) -> tuple[float, list[dict]]:
    """The ATT over cohorts: ``groups`` are (change column, changed rows of ``Y``) and
    ``units`` the rows that never changed (the comparison).
    """
    T = Y.shape[1]
    parts, tot, est = [], 0.0, 0.0
    for g, rows in groups:
        sub = Y[np.concatenate([rows, units])]
        tr = np.zeros(len(sub), bool)
        tr[:len(rows)] = True
        e, w = sdid_estimate(sub, tr, g)
        n = len(rows) * (T - g)
        parts.append({"change": g, "rows": rows, "estimate": e, "weight": n, **w})
        est += n * e
        tot += n
    return est / tot, parts


@dataclass
class SyntheticResult:
    """A synthetic difference-in-differences fit (see the module docstring).

    Attributes
    ----------
    estimate : float
        The ATT.
    placebos : ndarray
        The placebo-in-space estimates.
    weights : DataFrame
        ``cohort, provider_code, weight``: each unchanged provider's weight in each
        cohort's synthetic comparison (zero weights left out).
    gaps : DataFrame
        ``rel, estimate, ci_low, ci_high``: month by month relative to the change, the
        changed providers' mean minus their synthetic comparison (intercept included);
        no interval month by month (the placebo inference is of the average), so
        :func:`workbench.report.evaluation_charts.event_study_chart` draws points only.
    options : dict
    """

    estimate: float
    placebos: np.ndarray
    weights: pd.DataFrame
    gaps: pd.DataFrame
    options: dict[str, Any] = field(default_factory=dict)
    records: list[Finding] = field(default_factory=list, repr=False)

    def findings(self, question: str | None = None) -> Findings:
        """The ATT (``synth:att-><outcome>@<subset>``); ``question`` replaces its question."""
        return Findings(with_question(list(self.records), question))


def _placebo_sets(n_controls: int, sizes: list[int], n_placebo: int, seed: int
                  ) -> list[list[np.ndarray]]:
    total, left = 1, n_controls
    for m in sizes:
        total *= math.comb(left, m)
        left -= m
    if total <= n_placebo:
        out: list[list[np.ndarray]] = [[]]
        for m in sizes:
            out = [a + [np.array(c)] for a in out for c in combinations(
                [i for i in range(n_controls) if not any(i in x for x in a)], m)]
        return out
    rng = np.random.default_rng(int(seed))
    out = []
    for _ in range(int(n_placebo)):
        perm = rng.permutation(n_controls)
        parts, start = [], 0
        for m in sizes:
            parts.append(perm[start:start + m])
            start += m
        out.append(parts)
    return out


def synthetic_did(data: pd.DataFrame, outcome: str, adoption, *, unit: str = "provider_code",
                  time: str = "period", subset: str = "treated", n_placebo: int = 999,
                  seed: int = 0, question: str = "", units: str = "providers"
                  ) -> SyntheticResult:
    """Synthetic difference-in-differences of a change at a few providers, with
    placebo-in-space inference.

    Parameters
    ----------
    data : DataFrame
        Tidy panel, one row per provider and month: the changed providers and the
        unchanged providers to build the comparison from (and no others).
    outcome : str
        Column of the outcome.
    adoption : str or dict
        Column of each provider's change month, or ``{provider: change date}``.
    unit, time : str
        Provider and month columns.
    subset : str
        Name of the changed group in the finding id.
    n_placebo, seed : int
        Most placebo assignments (every distinct one when there are no more) and the
        seed of their draws.
    question, units : str
        The finding's question (default: one about the change); what the units are
        called in sentences.

    Returns
    -------
    SyntheticResult
    """
    fn = "synthetic_did"
    if isinstance(n_placebo, bool) or not isinstance(n_placebo, (int, np.integer)) \
            or n_placebo < 1:
        raise AnalysisInputError(fn, "n_placebo", f"is {n_placebo!r}",
                                 expected="a positive number of placebos (e.g. 999)")
    df, notes = prepare_changes(data, outcome, adoption, unit, time,
                                function="synthetic_did")
    first = int(df["_t"].min())
    T = int(df["_t"].max()) - first + 1
    wide = df.pivot(index=unit, columns="_t", values=outcome).reindex(
        columns=range(first, first + T))
    g_unit = df.groupby(unit)["_g"].first().reindex(wide.index)
    changed = g_unit.index[g_unit >= 0]
    if len(changed) < 1:
        raise AnalysisInputError(fn, "adoption", "marks no provider as changed",
                                 expected="one to three changed providers")
    if wide.loc[changed].isna().any().any():
        gaps_at = list(wide.loc[changed].index[wide.loc[changed].isna().any(axis=1)])
        raise AnalysisInputError(fn, "data", f"lacks months of {outcome} at changed "
                                 f"provider(s) {gaps_at[:5]}",
                                 expected="every month for the changed providers")
    controls = [p for p in wide.index[g_unit < 0] if not wide.loc[p].isna().any()]
    dropped = int((g_unit < 0).sum()) - len(controls)
    if dropped:
        notes.append(f"{dropped} unchanged {units} without every month of {outcome} were "
                     "left out of the comparison")
    if len(controls) < 2:
        raise AnalysisInputError(fn, "data", f"has {len(controls)} unchanged provider(s) "
                                 "with every month", expected="at least 2 to build a "
                                 "synthetic comparison from")
    gcol = {p: int(g_unit[p]) - first for p in changed}
    if min(gcol.values()) < 2 or max(gcol.values()) > T - 1:
        raise AnalysisInputError(fn, "adoption", "puts a change within two months of the "
                                 "start of the data or after its end",
                                 expected="at least two months before each change")
    Y = np.vstack([wide.loc[list(changed)].to_numpy(float), wide.loc[controls].to_numpy(float)])
    n_ch = len(changed)
    ctrl_rows = np.arange(n_ch, n_ch + len(controls))
    by_g: dict[int, list[int]] = {}
    for j, p in enumerate(changed):
        by_g.setdefault(gcol[p], []).append(j)
    groups = [(g, np.array(rows)) for g, rows in sorted(by_g.items())]
    est, parts = _estimate(Y, ctrl_rows, groups)
    # placebo-in-space: the same cohorts given to unchanged providers
    Yc = Y[n_ch:]
    sizes = [len(rows) for _, rows in groups]
    sets = _placebo_sets(len(controls), sizes, int(n_placebo), seed)
    placebos = np.empty(len(sets))
    for b, parts_b in enumerate(sets):
        used = np.concatenate(parts_b)
        rest = np.setdiff1d(np.arange(len(controls)), used)
        placebos[b] = _estimate(Yc, rest, [(g, rows) for (g, _), rows
                                           in zip(groups, parts_b)])[0]
    B = len(placebos)
    absb = np.abs(placebos)
    p = float((1 + np.sum(absb >= abs(est) - 1e-12 * max(abs(est), 1.0))) / (B + 1))
    warn = list(notes)
    if B >= MIN_PLACEBOS:
        q = float(np.sort(absb)[min(math.ceil(0.95 * (B + 1)) - 1, B - 1)])
        how = "the placebos' 95th percentile of the absolute estimate"
    else:
        q = 1.959964 * float(placebos.std(ddof=1)) if B > 1 else float("inf")
        how = "1.96 times the placebos' standard deviation (too few for a percentile)"
        warn.append(f"only {B} placebo(s): no test at the 5% level is possible, and the "
                    "interval is only a rough guide")
    lo, hi = est - q, est + q
    every = math.comb(len(controls), sizes[0]) if len(sizes) == 1 else None
    warn.insert(0, f"interval and p-value from {B} placebo-in-space estimates"
                + (" (every unchanged provider in turn)" if every == B and sizes == [1] else "")
                + f" of synthetic difference-in-differences (a weighted mix of the "
                f"{len(controls)} unchanged {units}): the change was given to unchanged "
                f"{units} instead, because only {n_ch} "
                f"{units if n_ch > 1 else units.rstrip('s')} changed")
    # weights and month-by-month gaps (changed mean minus synthetic, both cohorts aligned)
    wrows, gap_rows = [], []
    for part in parts:
        for code, w in zip(controls, part["omega"]):
            if w > 1e-6:
                wrows.append({"cohort": f"{_month(part['change'] + first):%Y-%m}",
                              unit: code, "weight": float(w)})
        synth = part["omega0"] + part["omega"] @ Yc
        gap = Y[part["rows"]].mean(axis=0) - synth
        for t in range(T):
            gap_rows.append({"rel": t - part["change"], "gap": gap[t],
                             "n": len(part["rows"])})
    gaps = (pd.DataFrame(gap_rows).groupby("rel")
            .apply(lambda g: np.average(g["gap"], weights=g["n"]), include_groups=False)
            .rename("estimate").reset_index())
    gaps["ci_low"] = np.nan
    gaps["ci_high"] = np.nan
    lab = M.MEASURES[outcome].label if outcome in M.MEASURES else outcome.replace("_", " ")
    unit_label = M.MEASURES[outcome].unit if outcome in M.MEASURES else ""
    unit_label = "percentage points" if unit_label == "%" else unit_label
    n_post = int(sum(part["weight"] for part in parts))
    params = {"estimator": "synthetic_did", "n_treated": n_ch, "n_control": len(controls),
              "inference": "placebo-in-space", "n_placebo": B, "seed": int(seed),
              "cohorts": [f"{_month(g + first):%Y-%m}" for g, _ in groups],
              "cohort_estimates": [float(part["estimate"]) for part in parts],
              "zeta": [float(part["zeta"]) for part in parts], "interval": how}
    who = (f"the {n_ch} {units} that changed" if n_ch > 1
           else f"the {units.rstrip('s')} that changed")
    f = Finding(
        id=str(FindingId("synth", outcome, exposure="att", subset=subset)),
        question=question or f"Did {lab} change at {who}, against a synthetic comparison "
                             f"built from {units} that did not?",
        estimate=est, ci_low=float(lo), ci_high=float(hi), p_value=p, n=n_post,
        unit=unit_label, model="synthetic_did", clusters=n_ch + len(controls),
        formula=f"synthetic difference-in-differences of {outcome}: unit and time weights "
                "(Arkhangelsky et al. 2021), placebo-in-space inference",
        parameters=params, warning="; ".join(warn), role="headline",
        sentence=f"After the change, {lab} at {who} was "
                 f"{wording.change(est, lo, hi, unit_label)} than a weighted mix of "
                 f"{len(controls)} {units} that did not change would suggest, averaged over "
                 f"every month after the change (placebo p = {formatting.p_value(p)}).")
    return SyntheticResult(estimate=est, placebos=placebos, weights=pd.DataFrame(wrows),
                           gaps=gaps, options={"outcome": outcome, "unit": unit, **params},
                           records=[f])


def _month(code: int) -> pd.Timestamp:
    return pd.Timestamp(year=int(code) // 12, month=int(code) % 12 + 1, day=1)
