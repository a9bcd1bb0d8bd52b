"""NHS vs independent providers: naive, regression-adjusted and propensity-weighted.

Independent hospitals treat healthier, less complex, less deprived patients, so the
raw difference between sectors mixes what the sector does with whom it treats. Three
estimates are given side by side, all "independent minus NHS" for acute providers:

``naive``     linear model of the outcome on the sector indicator and month; the
              difference a patient sees, not the effect of the sector.
``adjusted``  the same with the case-mix measures as linear controls (regression
              adjustment); provider-clustered t intervals.
``ipw``       inverse probability weighting: a logistic propensity score of being
              independent given the provider's case mix (one row per provider), ATE
              weights normalised within sector (Hajek), the month-adjusted provider mean
              outcome compared between weighted sectors; percentile interval from a
              bootstrap over providers that re-estimates the propensity score each time.

:func:`balance` gives standardised mean differences of the covariates before and after
weighting (the pooled unweighted standard deviation as denominator, as cobalt does
for the ATE); :func:`workbench.report.diagnostics.balance_plot` draws them. The IPW
finding warns when overlap is poor (propensity scores near 0 or 1, few effective
providers) because then the weights, not the data, decide the answer.

Example
-------
>>> from workbench.data.synth import generate
>>> panel = generate(seed=3, n_providers=120, n_months=12, selection=0.4).panel
>>> fs, bal = compare_sectors(panel, outcomes=("fft_pct_positive",), n_boot=200)
>>> [f.id.split(":")[0] for f in fs]
['naive', 'adjusted', 'ipw']
>>> sorted(bal["stage"].unique())
['unweighted', 'weighted']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.analysis import models as md
from workbench.analysis.findings import Finding, FindingId
from workbench.data import measures as M
from workbench.errors import AnalysisInputError

#: Propensity scores outside this range count as poor overlap.
OVERLAP_BOUNDS: tuple[float, float] = (0.05, 0.95)


def _logit_fit(X: np.ndarray, t: np.ndarray, max_iter: int = 50) -> tuple[np.ndarray, bool]:
    """Logistic regression by Newton-Raphson; returns (coefficients, converged)."""
    beta = np.zeros(X.shape[1])
    for _ in range(max_iter):
        eta = np.clip(X @ beta, -30, 30)
        p = 1.0 / (1.0 + np.exp(-eta))
        w = p * (1 - p)
        grad = X.T @ (t - p)
        hess = (X * w[:, None]).T @ X
        try:
            step = np.linalg.solve(hess + 1e-10 * np.eye(len(beta)), grad)
        except np.linalg.LinAlgError:
            return beta, False
        beta = beta + step
        if np.max(np.abs(step)) < 1e-8:
            return beta, bool(np.all(np.abs(X @ beta) < 30))
    return beta, False


def provider_table(panel: pd.DataFrame, outcome: str | None = None, *,
                   covariates: tuple[str, ...] = md.CASE_MIX, treatment: str = "sector",
                   treated: str = "independent", unit: str = "provider_code",
                   subset: str = "acute") -> pd.DataFrame:
    """One row per provider: ``treated`` (0/1), covariate means and the outcome.

    The outcome is the provider's mean of its month-centred values (each month's mean
    over all providers in the subset removed), so months drop out as in a model
    with month effects.

    >>> from workbench.data.synth import generate
    >>> t = provider_table(generate(seed=1, n_providers=40, n_months=3).panel, "fft_pct_positive")
    >>> list(t.columns)
    ['provider_code', 'treated', 'case_mix_index', 'pct_aged_75_plus', 'deprivation_imd', 'fft_pct_positive']
    """
    fn = "provider_table"
    need = [unit, treatment, "period", *covariates] + ([outcome] if outcome else [])
    missing = [c for c in need if c not in panel.columns]
    if missing:
        raise AnalysisInputError(fn, f"columns {missing}", "are not in the panel")
    df = md.select_subset(panel, subset)
    df = df.dropna(subset=[c for c in need if c != "period"])
    if outcome:
        df = df.assign(**{outcome: df[outcome] - df.groupby("period")[outcome].transform("mean")})
    agg = df.groupby(unit, observed=True).agg(
        treated=(treatment, lambda s: float((s == treated).mean())),
        **{c: (c, "mean") for c in covariates},
        **({outcome: (outcome, "mean")} if outcome else {}))
    mixed = agg.index[(agg["treated"] > 0) & (agg["treated"] < 1)]
    if len(mixed):
        raise AnalysisInputError(fn, f"treatment {treatment!r}",
                                 f"changes over time for providers {list(mixed[:5])}",
                                 expected="one sector per provider")
    n1, n0 = int(agg["treated"].sum()), int((1 - agg["treated"]).sum())
    if min(n1, n0) < 5:
        raise AnalysisInputError(fn, f"treatment {treatment!r}",
                                 f"has {n1} {treated!r} and {n0} other providers with complete "
                                 "data", expected="at least 5 of each")
    return agg.reset_index()


def propensity_scores(table: pd.DataFrame, covariates: tuple[str, ...] = md.CASE_MIX, *,
                      treated: str = "treated") -> pd.DataFrame:
    """Add ``ps`` (logistic propensity score) and ``weight`` (ATE weights) to a provider table.

    Weights are 1/ps for treated and 1/(1-ps) for untreated providers, each sector's
    weights then scaled to sum to its number of providers (stabilised).

    >>> from workbench.data.synth import generate
    >>> t = provider_table(generate(seed=1, n_providers=60, n_months=3, selection=0.3).panel)
    >>> ps = propensity_scores(t)
    >>> bool(ps["ps"].between(0, 1).all())
    True
    """
    X = np.column_stack([np.ones(len(table)), table[list(covariates)].to_numpy(float)])
    t = table[treated].to_numpy(float)
    beta, converged = _logit_fit(_standardise(X), t)
    p = 1.0 / (1.0 + np.exp(-np.clip(_standardise(X) @ beta, -30, 30)))
    w = np.where(t == 1, 1 / np.maximum(p, 1e-12), 1 / np.maximum(1 - p, 1e-12))
    for g in (0, 1):
        m = t == g
        w[m] = w[m] * m.sum() / w[m].sum()
    out = table.assign(ps=p, weight=w)
    out.attrs["converged"] = converged
    return out


def _standardise(X: np.ndarray) -> np.ndarray:
    sd = X[:, 1:].std(axis=0)
    sd[sd == 0] = 1
    return np.column_stack([X[:, 0], (X[:, 1:] - X[:, 1:].mean(0)) / sd])


def _ipw_estimate(X: np.ndarray, t: np.ndarray, y: np.ndarray) -> float:
    beta, _ = _logit_fit(X, t)
    p = 1.0 / (1.0 + np.exp(-np.clip(X @ beta, -30, 30)))
    p = np.clip(p, 1e-12, 1 - 1e-12)
    w1, w0 = t / p, (1 - t) / (1 - p)
    return float(np.sum(w1 * y) / np.sum(w1) - np.sum(w0 * y) / np.sum(w0))


def balance(table: pd.DataFrame, covariates: tuple[str, ...] = md.CASE_MIX, *,
            treated: str = "treated", weight: str = "weight") -> pd.DataFrame:
    """Standardised mean differences (treated minus untreated) before and after weighting.

    Tidy: one row per covariate and ``stage`` (``unweighted`` / ``weighted``) with
    ``smd``. The denominator is the pooled unweighted SD, sqrt((s1^2 + s0^2) / 2), in
    both stages. |SMD| < 0.1 is the usual threshold for adequate balance.

    >>> import pandas as pd
    >>> t = pd.DataFrame({"treated": [1, 1, 0, 0], "x": [1.0, 2.0, 0.0, 1.0],
    ...                   "weight": [1.0, 1.0, 1.0, 1.0]})
    >>> balance(t, ("x",))["smd"].round(3).tolist()
    [1.414, 1.414]
    """
    missing = [c for c in (treated, weight, *covariates) if c not in table.columns]
    if missing:
        raise AnalysisInputError("balance", f"columns {missing}", "are not in the table",
                                 expected="a table from propensity_scores()")
    t = table[treated].to_numpy(float) == 1
    w = table[weight].to_numpy(float)
    rows = []
    for c in covariates:
        x = table[c].to_numpy(float)
        sd = np.sqrt((x[t].var(ddof=1) + x[~t].var(ddof=1)) / 2) or 1.0
        before = (x[t].mean() - x[~t].mean()) / sd
        after = (np.average(x[t], weights=w[t]) - np.average(x[~t], weights=w[~t])) / sd
        rows += [{"covariate": c, "stage": "unweighted", "smd": float(before)},
                 {"covariate": c, "stage": "weighted", "smd": float(after)}]
    return pd.DataFrame(rows)


def overlap_warnings(table: pd.DataFrame, *, treated: str = "treated") -> list[str]:
    """Plain warnings about propensity-score overlap (empty when overlap is fine)."""
    notes = []
    lo, hi = OVERLAP_BOUNDS
    ps = table["ps"].to_numpy(float)
    outside = float(np.mean((ps < lo) | (ps > hi)))
    if outside > 0.1:
        notes.append(f"poor overlap: {outside:.0%} of providers have propensity scores outside "
                     f"[{lo}, {hi}]; the weighted comparison leans on a few providers")
    if not table.attrs.get("converged", True):
        notes.append("propensity model did not converge (near-separation of sectors by case "
                     "mix): the sectors barely overlap and IPW is not identified")
    t = table[treated].to_numpy(float) == 1
    w = table["weight"].to_numpy(float)
    for g, name in ((True, "treated"), (False, "untreated")):
        ww = w[t == g]
        ess = ww.sum() ** 2 / np.sum(ww ** 2)
        if ess < 0.3 * len(ww):
            notes.append(f"effective number of {name} providers {ess:.0f} of {len(ww)}")
    return notes


def ipw_difference(panel: pd.DataFrame, outcome: str, *,
                   covariates: tuple[str, ...] = md.CASE_MIX, n_boot: int = 1000,
                   seed: int = 0, question: str = "") -> tuple[Finding, pd.DataFrame]:
    """Independent minus NHS on ``outcome`` by inverse probability weighting.

    Returns the finding (id ``ipw:sector[independent]-><outcome>@acute``) and the
    provider table with ``ps`` and ``weight``.

    >>> from workbench.data.synth import generate
    >>> p = generate(seed=3, n_providers=120, n_months=6, selection=0.4).panel
    >>> f, t = ipw_difference(p, "rtt_median_weeks", n_boot=200)
    >>> f.id
    'ipw:sector[independent]->rtt_median_weeks@acute'
    """
    if n_boot < 100:
        raise AnalysisInputError("ipw_difference", "n_boot", f"is {n_boot}",
                                 expected="at least 100 bootstrap replicates")
    table = propensity_scores(provider_table(panel, outcome, covariates=covariates), covariates)
    X = _standardise(np.column_stack([np.ones(len(table)),
                                      table[list(covariates)].to_numpy(float)]))
    t = table["treated"].to_numpy(float)
    y = table[outcome].to_numpy(float)
    est = _ipw_estimate(X, t, y)
    rng = np.random.default_rng(seed)
    idx1, idx0 = np.flatnonzero(t == 1), np.flatnonzero(t == 0)
    draws = np.empty(n_boot)
    for b in range(n_boot):
        # resample providers within sector, so each replicate has both sectors
        i = np.concatenate([rng.choice(idx1, len(idx1)), rng.choice(idx0, len(idx0))])
        draws[b] = _ipw_estimate(X[i], t[i], y[i])
    lo, hi = np.quantile(draws, [0.025, 0.975])
    p = max(min(1.0, 2 * min(np.mean(draws <= 0), np.mean(draws >= 0))), 1.0 / n_boot)
    notes = overlap_warnings(table)
    om = M.MEASURES.get(outcome)
    unit = ("percentage points" if om is not None and om.unit == "%" else
            (om.unit if om else "")) + " independent vs NHS"
    q = question or f"Do independent hospitals differ from NHS trusts on {M.label(outcome)}?"
    f = Finding(id=str(FindingId("ipw", outcome, "sector[independent]", "acute")),
                question=q + " (inverse probability weighting on case mix)",
                estimate=est, ci_low=float(lo), ci_high=float(hi), p_value=float(p),
                n=len(table), unit=unit.strip(),
                model=f"IPW (logistic propensity, ATE weights, {n_boot} provider bootstrap)",
                formula=f"sector_independent ~ {' + '.join(covariates)} ; "
                        f"weighted difference of month-centred provider means of {outcome}",
                sector="acute", clusters=len(table), warning="; ".join(notes),
                parameters={"n_boot": n_boot, "seed": seed})
    d = "higher" if est >= 0 else "lower"
    f.sentence = (f"Weighted to the same case mix, {M.label(outcome)} was {abs(est):.2f} "
                  f"{d} at independent hospitals than NHS trusts (95% CI {lo:.2f} to {hi:.2f}).")
    return f, table


def compare_sectors(panel: pd.DataFrame,
                    outcomes: tuple[str, ...] = ("rtt_median_weeks", "fft_pct_positive"),
                    *, covariates: tuple[str, ...] = md.CASE_MIX, n_boot: int = 1000,
                    seed: int = 0) -> tuple[list[Finding], pd.DataFrame]:
    """Naive, regression-adjusted and IPW differences (independent minus NHS), per outcome.

    Returns the findings (three per outcome, in that order) and the balance table
    (:func:`balance`) of the propensity weights, for
    :func:`workbench.report.diagnostics.balance_plot`.

    >>> from workbench.data.synth import generate
    >>> fs, bal = compare_sectors(generate(seed=3, n_providers=120, n_months=6,
    ...                                    selection=0.4).panel, n_boot=200)
    >>> len(fs), len(bal)
    (6, 6)
    """
    out: list[Finding] = []
    table = None
    for o in outcomes:
        out += md.sector_difference(panel, o, adjust=covariates)
        f, table = ipw_difference(panel, o, covariates=covariates, n_boot=n_boot, seed=seed)
        out.append(f)
    if table is None:
        raise AnalysisInputError("compare_sectors", "outcomes", "is empty",
                                 expected="at least one outcome column")
    return out, balance(table, covariates)
