"""NHS vs independent providers: naive, regression-adjusted and propensity-weighted.

Independent hospitals treat healthier, less complex, less deprived patients, so the
raw difference between sectors mixes what the sector does with whom it treats. The
estimates, all "independent minus NHS" for acute providers:

``naive``     linear model of the outcome on the sector indicator and month; the
              difference a patient sees, not the effect of the sector.
``adjusted``  the same with the case-mix measures as linear controls (regression
              adjustment); provider-clustered t intervals (wild cluster bootstrap with
              few providers in a sector, :func:`workbench.analysis.models.fit`).
``ipw``       inverse probability weighting: a logistic propensity score of being
              independent given the provider's case mix (one row per provider), weights
              normalised within sector (Hajek), the month-centred provider mean outcome
              compared between weighted sectors. Estimand: the **ATE** (average effect
              over all acute providers); ``estimand="ATT"`` weights NHS trusts by
              ps / (1 - ps) for the effect among independent hospitals (id ``#att``).
``overlap``   overlap weights (Li, Morgan & Zaslavsky 2018): 1 - ps for independent,
              ps for NHS providers. Estimand: the **ATO**, the average effect in the
              overlap population (providers that could plausibly be in either sector),
              which exists however little the sectors overlap; with a logistic
              propensity the weighted covariate means balance exactly.
``aipw``      augmented IPW (doubly robust; Robins, Rotnitzky & Zhao 1994; Glynn &
              Quinn 2010): linear outcome models of case mix in each sector plus the
              IPW-weighted residuals. Estimand: the **ATE**; consistent if either the
              propensity or the outcome model is right.

``trim=a`` (any weighted method) first drops providers with propensity scores outside
[a, 1 - a] and re-estimates the score on those left (Crump et al. 2009); the estimand is
then the effect over the providers kept (id variant ``#trim<a>``). Every interval is a
percentile interval from a bootstrap over providers, resampled within sector, that
re-estimates the propensity (and outcome) models each time.

:func:`balance` gives standardised mean differences of the covariates before and after
weighting (the pooled unweighted standard deviation as denominator, as cobalt does);
:func:`workbench.report.diagnostics.balance_plot` draws them. **Balance decides the
role**: a weighted estimate whose weights leave every |SMD| under :data:`BALANCE_LIMIT`
is a ``robustness`` finding beside the regression-adjusted headline; otherwise it is a
``diagnostic`` whose warning says it failed balance and is not to be read as an answer
(for ``aipw`` the balance of its inverse-probability weights is judged: without it the
estimate rests on the outcome model's extrapolation). Overlap warnings (propensity
scores near 0 or 1, few effective providers) are added as before.

Example
-------
>>> from workbench.data.synth import generate
>>> panel = generate(seed=3, n_providers=120, n_months=12, selection=0.4).panel
>>> fs, bal = compare_sectors(panel, outcomes=("fft_pct_positive",), n_boot=200)
>>> [f.id.split(":")[0] for f in fs]
['naive', 'adjusted', 'ipw', 'overlap', 'aipw']
>>> sorted(bal["stage"].unique())
['unweighted', 'weighted']
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workbench.analysis.findings import formatting, wording
from workbench.analysis.findings.record import Finding, FindingId, Findings
from workbench.analysis.findings.sensitivity import evalue_smd
from workbench.analysis.models import fit as md
from workbench.data import measures as M
from workbench.errors import AnalysisInputError

#: Propensity scores outside this range count as poor overlap.
OVERLAP_BOUNDS: tuple[float, float] = (0.05, 0.95)

#: Weighted estimates need every |standardised mean difference| under this after
#: weighting to be reported as an answer (``robustness``); otherwise ``diagnostic``.
BALANCE_LIMIT = 0.1

#: The weighting methods, their default estimand and the words a finding uses for it.
METHODS: dict[str, str] = {"ipw": "ATE", "overlap": "ATO", "aipw": "ATE"}
#: Each estimand in the words of a finding's sentence.
ESTIMAND_WORDS: dict[str, str] = {
    "ATE": "averaged over all acute providers",
    "ATT": "averaged over the independent hospitals",
    "ATO": "averaged over providers whose case mix could belong to either sector",
}
ESTIMANDS: dict[str, str] = {
    "ATE": "ATE: the average effect over all acute providers",
    "ATT": "ATT: the average effect among independent hospitals",
    "ATO": "ATO: the average effect in the overlap population (providers whose case mix "
           "could belong to either sector, weighted by ps x (1 - ps))",
}


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


def arm_weights(ps: np.ndarray, t: np.ndarray, estimand: str = "ATE") -> np.ndarray:
    """Weights for ``estimand`` (ATE, ATT or ATO), scaled within each arm to sum to its size.

    ATE: 1/ps treated, 1/(1-ps) untreated; ATT: 1 treated, ps/(1-ps) untreated; ATO
    (overlap weights): 1-ps treated, ps untreated.

    >>> arm_weights(np.array([0.5, 0.25, 0.5, 0.75]), np.array([1, 1, 0, 0]), "ATO").tolist()
    [0.8, 1.2, 0.8, 1.2]
    """
    ps = np.clip(np.asarray(ps, dtype=float), 1e-12, 1 - 1e-12)
    t = np.asarray(t, dtype=float)
    if estimand == "ATE":
        w = np.where(t == 1, 1 / ps, 1 / (1 - ps))
    elif estimand == "ATT":
        w = np.where(t == 1, 1.0, ps / (1 - ps))
    elif estimand == "ATO":
        w = np.where(t == 1, 1 - ps, ps)
    else:
        raise AnalysisInputError("arm_weights", "estimand", f"is {estimand!r}",
                                 expected=f"one of {list(ESTIMANDS)}")
    for g in (0, 1):
        m = t == g
        if m.any():
            w[m] = w[m] * m.sum() / w[m].sum()
    return w


def propensity_scores(table: pd.DataFrame, covariates: tuple[str, ...] = md.CASE_MIX, *,
                      treated: str = "treated", estimand: str = "ATE") -> pd.DataFrame:
    """Add ``ps`` (logistic propensity score) and ``weight`` to a provider table.

    Weights are those of ``estimand`` (:func:`arm_weights`; ATE by default: 1/ps for
    treated and 1/(1-ps) for untreated providers), each sector's weights then scaled to
    sum to its number of providers (stabilised).

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
    out = table.assign(ps=p, weight=arm_weights(p, t, estimand))
    out.attrs["converged"] = converged
    out.attrs["estimand"] = estimand
    return out


def _standardise(X: np.ndarray) -> np.ndarray:
    sd = X[:, 1:].std(axis=0)
    sd[sd == 0] = 1
    return np.column_stack([X[:, 0], (X[:, 1:] - X[:, 1:].mean(0)) / sd])


def _ps(X: np.ndarray, t: np.ndarray) -> np.ndarray:
    beta, _ = _logit_fit(X, t)
    return np.clip(1.0 / (1.0 + np.exp(-np.clip(X @ beta, -30, 30))), 1e-12, 1 - 1e-12)


def _ipw_estimate(X: np.ndarray, t: np.ndarray, y: np.ndarray, estimand: str = "ATE") -> float:
    w = arm_weights(_ps(X, t), t, estimand)
    w1, w0 = w * t, w * (1 - t)
    return float(np.sum(w1 * y) / np.sum(w1) - np.sum(w0 * y) / np.sum(w0))


def _aipw_estimate(X: np.ndarray, t: np.ndarray, y: np.ndarray) -> float:
    """Augmented IPW (ATE): outcome regressions on X in each arm plus weighted residuals."""
    p = _ps(X, t)
    mu = []
    for g in (1, 0):
        m = t == g
        coef = np.linalg.lstsq(X[m], y[m], rcond=None)[0]
        mu.append(X @ coef)
    mu1, mu0 = mu
    return float(np.mean(mu1 - mu0 + t * (y - mu1) / p - (1 - t) * (y - mu0) / (1 - p)))


def _estimate(method: str, estimand: str, X, t, y) -> float:
    return _aipw_estimate(X, t, y) if method == "aipw" else _ipw_estimate(X, t, y, estimand)


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
        notes.append(f"poor overlap: for {formatting.percent(outside)} of providers the case mix "
                     f"all but decides the sector (a chance below {formatting.percent(lo)} or "
                     f"above {formatting.percent(hi)} of being independent); the weighted "
                     "comparison leans on a few providers")
    if not table.attrs.get("converged", True):
        notes.append("propensity model did not converge (near-separation of sectors by case "
                     "mix): the sectors barely overlap and IPW is not identified")
    t = table[treated].to_numpy(float) == 1
    w = table["weight"].to_numpy(float)
    for g, name in ((True, "treated"), (False, "untreated")):
        ww = w[t == g]
        ess = ww.sum() ** 2 / np.sum(ww ** 2)
        if ess < 0.3 * len(ww):
            notes.append(f"effective number of {name} providers {formatting.fixed(ess, 0)} of "
                         f"{len(ww)}")
    return notes


def balance_failures(bal: pd.DataFrame, limit: float = BALANCE_LIMIT) -> dict[str, float]:
    """Covariates whose weighted |SMD| is ``limit`` or more (empty: balanced).

    >>> import pandas as pd
    >>> balance_failures(pd.DataFrame({"covariate": ["a", "b"], "stage": ["weighted"] * 2,
    ...                                "smd": [0.05, -0.4]}))
    {'b': -0.4}
    """
    w = bal[bal["stage"] == "weighted"]
    return {str(c): float(v) for c, v in zip(w["covariate"], w["smd"]) if abs(v) >= limit}


@dataclass
class WeightedDifference:
    """Independent minus NHS on one outcome by one weighting method (see the module).

    ``estimate``, ``ci_low``, ``ci_high`` (bootstrap percentile interval) and ``p_value``;
    ``table`` the providers with ``ps`` and ``weight``; ``balance`` the standardised mean
    differences before and after weighting (:func:`balance`); ``failed`` the covariates
    whose weighted |SMD| is :data:`BALANCE_LIMIT` or more; ``warnings`` what a reader
    should know (failed balance, overlap, trimming). :meth:`findings` gives the finding.
    """

    outcome: str
    method: str
    estimand: str
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    table: pd.DataFrame
    balance: pd.DataFrame
    covariates: tuple[str, ...]
    n_boot: int
    seed: int
    trim: float | None = None
    sd_outcome: float = float("nan")
    failed: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    question: str = ""

    def findings(self, question: str | None = None) -> Findings:
        """The weighted difference as one finding (id
        ``<method>:sector[independent]-><outcome>@acute``, variants ``#att`` and
        ``#trim<a>``); its role follows balance, and its question, unit and sentence name
        the estimand. ``question`` by default: the one asked, or whether the sectors differ
        on the outcome.
        """
        method, estimand, outcome = self.method, self.estimand, self.outcome
        est, lo, hi = self.estimate, self.ci_low, self.ci_high
        om = M.MEASURES.get(outcome)
        unit = ("percentage points" if om is not None and om.unit == "%" else
                (om.unit if om else "")) + f" independent vs NHS ({estimand})"
        words = {"ipw": "inverse probability weighting", "overlap": "overlap weighting",
                 "aipw": "augmented inverse probability weighting (doubly robust)"}[method]
        q = (question or self.question
             or f"Do independent hospitals differ from NHS trusts on {M.label(outcome)}?")
        variant = "_".join(v for v in ("att" if estimand == "ATT" else "",
                                       f"trim{self.trim:g}" if self.trim is not None else "")
                           if v)
        model = {"ipw": f"IPW (logistic propensity, {estimand} weights",
                 "overlap": "overlap weights (logistic propensity, ATO",
                 "aipw": "AIPW (logistic propensity, linear outcome model per sector, ATE"}[method]
        f = Finding(id=str(FindingId(method, outcome, "sector[independent]", "acute",
                                     variant=variant)),
                    question=f"{q} ({words} on case mix; estimand {ESTIMANDS[estimand]})",
                    estimate=est, ci_low=lo, ci_high=hi, p_value=self.p_value,
                    n=len(self.table), unit=unit.strip(),
                    model=f"{model}, {self.n_boot} provider bootstrap, percentile interval)",
                    formula=f"sector_independent ~ {' + '.join(self.covariates)} ; "
                            f"weighted difference of month-centred provider means of {outcome}",
                    sector="acute", clusters=len(self.table), warning="; ".join(self.warnings),
                    role="diagnostic" if self.failed else "robustness")
        f.parameters = {"n_boot": self.n_boot, "seed": self.seed, "estimand": estimand,
                        "trim": self.trim, "method": method}
        sd_y = self.sd_outcome
        if sd_y > 0:
            f.sensitivity = evalue_smd(est / sd_y, lo / sd_y, hi / sd_y)
            f.sensitivity["contrast"] = "the indicator (1 vs 0); SD of provider means"
        lead = ("Not to be read as an answer (weights failed balance): " if self.failed else "")
        label = wording.plain_label(outcome)
        f.sentence = (f"{lead}Weighted to the same case mix ({words}, {ESTIMAND_WORDS[estimand]}), "
                      f"{label} {'were' if label.endswith('s') else 'was'} "
                      f"{wording.change(est, lo, hi, unit.split(' independent vs ')[0], up=wording.directions(outcome)[0], down=wording.directions(outcome)[1])} at "
                      "independent hospitals than at NHS trusts.")
        return Findings([f])


def weighted_difference(panel: pd.DataFrame, outcome: str, *, method: str = "ipw",
                        estimand: str | None = None, trim: float | None = None,
                        covariates: tuple[str, ...] = md.CASE_MIX, n_boot: int = 1000,
                        seed: int = 0, question: str = "") -> WeightedDifference:
    """Independent minus NHS on ``outcome`` by a weighting method (see the module).

    ``method`` is ``"ipw"``, ``"overlap"`` or ``"aipw"``; ``estimand`` is ATE or ATT
    for ``ipw`` (ATO for ``overlap`` and ATE for ``aipw`` are fixed); ``trim`` drops
    providers with propensity scores outside [trim, 1 - trim] first. Returns a
    :class:`WeightedDifference`: the estimate with its interval, the provider table
    with ``ps`` and ``weight``, the balance, and :meth:`~WeightedDifference.findings`.

    >>> from workbench.data.synth import generate
    >>> p = generate(seed=3, n_providers=120, n_months=6, selection=0.4).panel
    >>> [f] = weighted_difference(p, "rtt_median_weeks", method="overlap", n_boot=200).findings()
    >>> f.id, f.role, "ATO" in f.unit
    ('overlap:sector[independent]->rtt_median_weeks@acute', 'robustness', True)
    """
    fn = "weighted_difference"
    if method not in METHODS:
        raise AnalysisInputError(fn, "method", f"is {method!r}", expected=f"one of {list(METHODS)}")
    estimand = estimand or METHODS[method]
    allowed = ("ATE", "ATT") if method == "ipw" else (METHODS[method],)
    if estimand not in allowed:
        raise AnalysisInputError(fn, "estimand", f"is {estimand!r} for method {method!r}",
                                 expected=f"one of {list(allowed)}")
    if trim is not None and not 0 < float(trim) < 0.5:
        raise AnalysisInputError(fn, "trim", f"is {trim!r}",
                                 expected="a propensity bound between 0 and 0.5 (e.g. 0.05)")
    if n_boot < 100:
        raise AnalysisInputError(fn, "n_boot", f"is {n_boot}",
                                 expected="at least 100 bootstrap replicates")
    table = propensity_scores(provider_table(panel, outcome, covariates=covariates), covariates,
                              estimand=estimand if method != "aipw" else "ATE")
    notes = []
    if trim is not None:
        keep = table["ps"].between(float(trim), 1 - float(trim))
        kept = table.loc[keep, "treated"]
        if min(int(kept.sum()), int((1 - kept).sum())) < 5:
            raise AnalysisInputError(fn, "trim", f"{trim} keeps {int(kept.sum())} independent "
                                     f"and {int((1 - kept).sum())} NHS providers",
                                     expected="a bound that keeps at least 5 of each "
                                              "(the sectors barely overlap)")
        notes.append(f"trimmed to propensity scores in [{formatting.number(trim)}, "
                     f"{formatting.number(1 - trim)}]: "
                     f"{int((~keep).sum())} of {len(table)} providers dropped, so the "
                     "estimand is the effect over the providers kept")
        table = propensity_scores(table.loc[keep, [c for c in table.columns
                                                   if c not in ("ps", "weight")]]
                                  .reset_index(drop=True), covariates,
                                  estimand=estimand if method != "aipw" else "ATE")
    X = _standardise(np.column_stack([np.ones(len(table)),
                                      table[list(covariates)].to_numpy(float)]))
    t = table["treated"].to_numpy(float)
    y = table[outcome].to_numpy(float)
    est = _estimate(method, estimand, X, t, y)
    rng = np.random.default_rng(seed)
    idx1, idx0 = np.flatnonzero(t == 1), np.flatnonzero(t == 0)
    draws = np.empty(n_boot)
    for b in range(n_boot):
        # resample providers within sector, so each replicate has both sectors
        i = np.concatenate([rng.choice(idx1, len(idx1)), rng.choice(idx0, len(idx0))])
        draws[b] = _estimate(method, estimand, X[i], t[i], y[i])
    lo, hi = np.quantile(draws, [0.025, 0.975])
    p = max(min(1.0, 2 * min(np.mean(draws <= 0), np.mean(draws >= 0))), 1.0 / n_boot)
    bal = balance(table, covariates)
    failed = balance_failures(bal)
    notes += overlap_warnings(table)
    if failed:
        notes.insert(0, "failed balance: after weighting the standardised mean differences "
                     "of " + ", ".join(f"{c} ({formatting.fixed(v, sign=True)})"
                                       for c, v in failed.items())
                     + f" are not under {BALANCE_LIMIT}; a diagnostic, not to be read as an "
                     "answer (read the regression-adjusted difference)")
    return WeightedDifference(outcome=outcome, method=method, estimand=estimand,
                              estimate=float(est), ci_low=float(lo), ci_high=float(hi),
                              p_value=float(p), table=table, balance=bal,
                              covariates=tuple(covariates), n_boot=n_boot, seed=seed, trim=trim,
                              sd_outcome=float(np.std(y, ddof=1)), failed=failed,
                              warnings=notes, question=question)


def ipw_difference(panel: pd.DataFrame, outcome: str, *,
                   covariates: tuple[str, ...] = md.CASE_MIX, n_boot: int = 1000,
                   seed: int = 0, question: str = "", estimand: str = "ATE",
                   trim: float | None = None) -> WeightedDifference:
    """Independent minus NHS on ``outcome`` by inverse probability weighting (ATE or ATT):
    :func:`weighted_difference` with ``method="ipw"``.

    >>> from workbench.data.synth import generate
    >>> p = generate(seed=3, n_providers=120, n_months=6, selection=0.4).panel
    >>> ipw_difference(p, "rtt_median_weeks", n_boot=200).findings()[0].id
    'ipw:sector[independent]->rtt_median_weeks@acute'
    """
    return weighted_difference(panel, outcome, method="ipw", estimand=estimand, trim=trim,
                               covariates=covariates, n_boot=n_boot, seed=seed,
                               question=question)


def compare_sectors(panel: pd.DataFrame,
                    outcomes: tuple[str, ...] = ("rtt_median_weeks", "fft_pct_positive"),
                    *, covariates: tuple[str, ...] = md.CASE_MIX, n_boot: int = 1000,
                    seed: int = 0, methods: tuple[str, ...] = ("ipw", "overlap", "aipw"),
                    trim: float | None = None) -> tuple[Findings, pd.DataFrame]:
    """Naive, regression-adjusted and weighted differences (independent minus NHS).

    Returns the findings (per outcome: naive, adjusted, then one per weighting method)
    and the balance table (:func:`balance`) of the ATE propensity weights, for
    :func:`workbench.report.diagnostics.balance_plot`.

    >>> from workbench.data.synth import generate
    >>> fs, bal = compare_sectors(generate(seed=3, n_providers=120, n_months=6,
    ...                                    selection=0.4).panel, n_boot=200, methods=("ipw",))
    >>> len(fs), len(bal)
    (6, 6)
    """
    out = Findings()
    table = None
    for o in outcomes:
        out += md.sector_difference(panel, o, adjust=covariates)
        for m in methods:
            res = weighted_difference(panel, o, method=m, trim=trim, covariates=covariates,
                                      n_boot=n_boot, seed=seed)
            out += res.findings()
            if m == "ipw" or table is None:
                table = res.table if m == "ipw" or table is None else table
    if table is None:
        raise AnalysisInputError("compare_sectors", "outcomes", "is empty",
                                 expected="at least one outcome column")
    return out, balance(table, covariates)
