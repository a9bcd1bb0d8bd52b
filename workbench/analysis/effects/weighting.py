"""NHS vs independent providers: naive, regression-adjusted and propensity-weighted.

Independent hospitals treat healthier, less complex, less deprived patients, so the
raw difference between sectors mixes what the sector does with whom it treats. The
estimates, all "independent minus NHS" for acute providers:

``naive``     linear model of the outcome on the sector indicator and month; the
              difference a patient sees, not the effect of the sector.
``adjusted``  the **headline**: the doubly robust effect on the independent hospitals
              (``method="dr"``, estimand ATT, the estimand of the synthetic truth).
              NHS trusts are weighted by balancing propensity odds (a logistic model in
              each case-mix measure, its square and the pairwise products, fitted so the
              weighted NHS means of those terms equal the independent hospitals':
              entropy balancing, :func:`balancing_odds`), and an outcome model of NHS
              trusts with restricted cubic splines of each measure
              (:func:`spline_terms`, four knots) corrects what the weights leave:
              estimate = mean over independent hospitals of (y - m0(x)) minus the
              weighted mean over NHS trusts of (y - m0(x)). It is consistent if either
              the weights or the outcome model is right, and assumes no straight line.
              Checked three ways, each of which can fail: balance as cobalt checks it
              (:func:`balance_checks`: SMDs of means, squares and products under 0.1, KS
              statistics under 0.1 or chance at the effective sizes), overlap
              (independent hospitals with propensity above 0.95, Kish effective numbers
              :func:`effective_sizes`) and a specification check of linear adjustment
              (:func:`specification_check`, a robust F test of spline and sector
              interaction terms). A warning keeps it a ``robustness`` finding. When no
              weighting of the NHS trusts reaches the independent hospitals' case mix
              (the balancing solver stops short of balance, at a point rounding
              decides), the weights are not used: the estimate is the outcome model's
              alone (regression imputation, equal weights), and the finding says so.
``adjusted#linear``  the case-mix measures as linear controls (regression adjustment,
              :func:`workbench.analysis.models.fit`): provider-clustered t intervals
              (wild cluster bootstrap with few providers in a sector).
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
role**: a weighted estimate whose weights pass every check of :func:`balance_checks`
(|SMD| under :data:`BALANCE_LIMIT` for the measures, their squares and pairwise products;
KS under its limit) is a ``robustness`` finding beside the doubly robust headline;
otherwise it is a ``diagnostic`` whose warning says it failed balance and is not to be
read as an answer. Overlap weights balance the covariate means exactly with a logistic
propensity, so only the squares, products and distributions can fail them
(for ``aipw`` the balance of its inverse-probability weights is judged: without it the
estimate rests on the outcome model's extrapolation). Overlap warnings (propensity
scores near 0 or 1, few effective providers) are added as before.

Example
-------
>>> from workbench.data.synth import generate
>>> panel = generate(seed=3, n_providers=120, n_months=12, selection=0.4).panel
>>> fs, bal = compare_sectors(panel, outcomes=("fft_pct_positive",), n_boot=200)
>>> [f.key.kind + (f"#{f.key.variant}" if f.key.variant else "") for f in fs]
['naive', 'adjusted', 'adjusted#linear', 'ipw', 'overlap', 'aipw']
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

#: Distributional balance: every weighted Kolmogorov-Smirnov statistic under this (or
#: under the gap chance leaves at the effective sizes, :data:`KS_CHANCE`, if larger).
KS_LIMIT = 0.1
#: The two-sample Kolmogorov-Smirnov 5% critical value is KS_CHANCE x sqrt(1/n1 + 1/n0).
KS_CHANCE = 1.358
#: The KS limit is never more lenient than this, however few the effective providers.
KS_MAX_LIMIT = 0.5
#: Knots per case-mix measure of the flexible models of the doubly robust contrast, and
#: where they sit (quantiles; Harrell's defaults for four knots).
KNOTS = 4
KNOT_QUANTILES: tuple[float, ...] = (0.05, 0.35, 0.65, 0.95)
#: Ridge penalty of the balancing propensity model (keeps it finite when the sectors do
#: not overlap).
PS_RIDGE = 1e-3
#: Balancing weights count as balancing when every weighted mean of the propensity
#: model's (standardised) columns is within this of the independent hospitals' mean.
BALANCED = 0.05
#: Independent hospitals whose propensity is above 1 - :data:`OVERLAP_BOUNDS` [0], as a
#: share, beyond which the doubly robust contrast warns of poor overlap (they have no
#: comparable NHS trust, so their comparison rests on the outcome model's extrapolation).
ATT_OVERLAP_SHARE = 0.1
#: The doubly robust contrast warns when a sector's effective number of providers (Kish)
#: is below this share of its providers: the weighted comparison rests on a few of them.
FEW_EFFECTIVE = 0.1

#: The weighting methods, their default estimand and the words a finding uses for it.
METHODS: dict[str, str] = {"dr": "ATT", "ipw": "ATE", "overlap": "ATO", "aipw": "ATE"}
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


def _logit_fit(X: np.ndarray, t: np.ndarray, max_iter: int = 50,
               ridge: float = 0.0) -> tuple[np.ndarray, bool]:
    """Logistic regression by Newton-Raphson; returns (coefficients, converged).

    ``ridge`` adds a penalty ``ridge * |beta|^2 / 2`` on every coefficient but the first
    (the intercept), which keeps a flexible model finite when case mix all but separates
    the sectors. One draw of :func:`_logit_fit_draws`.
    """
    beta, converged = _logit_fit_draws(np.asarray(X, dtype=float)[None], t,
                                       max_iter=max_iter, ridge=ridge)
    return beta[0], bool(converged[0])


def _logit_fit_draws(X: np.ndarray, t: np.ndarray, max_iter: int = 50,
                     ridge: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Logistic regressions by Newton-Raphson for many designs at once (``X``: draws x
    providers x columns, ``t`` the same in every draw, as a within-sector resample keeps
    it). Each draw stops on its own: converged when a step is under 1e-8 (and no linear
    predictor reaches the +/-30 clip), not when its information matrix is singular or the
    steps run out. Returns the coefficients (draws x columns) and whether each converged.

    >>> X = np.column_stack([np.ones(6), [0.0, 1, 2, 0, 1, 3]]); t = np.array([1, 0, 1, 0, 0, 1.0])
    >>> beta, ok = _logit_fit_draws(np.stack([X, X[::-1]]), t)
    >>> ok.tolist(), bool(np.allclose(beta[0], _logit_fit(X, t)[0]))
    ([True, True], True)
    """
    X = np.asarray(X, dtype=float)
    t = np.asarray(t, dtype=float)
    d, k = X.shape[0], X.shape[2]
    pen = ridge * np.eye(k)
    pen[0, 0] = 0.0
    beta = np.zeros((d, k))
    active = np.ones(d, bool)
    converged = np.zeros(d, bool)
    for _ in range(max_iter):
        rows = np.flatnonzero(active)
        if not rows.size:
            break
        Xa = X[rows]
        p = 1.0 / (1.0 + np.exp(-np.clip(np.einsum("dnk,dk->dn", Xa, beta[rows]), -30, 30)))
        grad = np.einsum("dnk,dn->dk", Xa, t - p) - beta[rows] @ pen
        hess = (np.swapaxes(Xa * (p * (1 - p))[:, :, None], 1, 2) @ Xa + pen
                + 1e-10 * np.eye(k))
        step = np.zeros((len(rows), k))
        try:
            step[:] = np.linalg.solve(hess, grad[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            for j in range(len(rows)):
                try:
                    step[j] = np.linalg.solve(hess[j], grad[j])
                except np.linalg.LinAlgError:
                    active[rows[j]] = False
        moving = active[rows]
        beta[rows[moving]] += step[moving]
        done = rows[moving & (np.abs(step).max(1) < 1e-8)]
        active[done] = False
        converged[done] = np.all(np.abs(np.einsum("dnk,dk->dn", X[done], beta[done])) < 30, 1)
    return beta, converged


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
    return _ps_draws(np.asarray(X, dtype=float)[None], t)[0]


def _ps_draws(X: np.ndarray, t: np.ndarray, max_iter: int = 50) -> np.ndarray:
    """:func:`_ps` for many bootstrap draws at once: ``X`` holds one design per draw
    (draws x providers x columns), ``t`` the sector of each row (the same in every draw);
    the logistic models are fitted together (:func:`_logit_fit_draws`), each draw
    stopping where it would alone. Returns the propensity scores (draws x providers).

    >>> X = np.column_stack([np.ones(6), [0.0, 1, 2, 0, 1, 3]]); t = np.array([1, 0, 1, 0, 0, 1.0])
    >>> np.allclose(_ps_draws(np.stack([X, X]), t)[1], _ps(X, t))
    True
    """
    X = np.asarray(X, dtype=float)
    beta, _ = _logit_fit_draws(X, t, max_iter=max_iter)
    eta = np.clip(np.einsum("dnk,dk->dn", X, beta), -30, 30)
    return np.clip(1.0 / (1.0 + np.exp(-eta)), 1e-12, 1 - 1e-12)


def _ipw_estimate(X: np.ndarray, t: np.ndarray, y: np.ndarray, estimand: str = "ATE",
                  ps: np.ndarray | None = None) -> float:
    w = arm_weights(_ps(X, t) if ps is None else ps, t, estimand)
    w1, w0 = w * t, w * (1 - t)
    return float(np.sum(w1 * y) / np.sum(w1) - np.sum(w0 * y) / np.sum(w0))


def _aipw_estimate(X: np.ndarray, t: np.ndarray, y: np.ndarray,
                   ps: np.ndarray | None = None) -> float:
    """Augmented IPW (ATE): outcome regressions on X in each arm plus weighted residuals."""
    p = _ps(X, t) if ps is None else ps
    mu = []
    for g in (1, 0):
        m = t == g
        coef = np.linalg.lstsq(X[m], y[m], rcond=None)[0]
        mu.append(X @ coef)
    mu1, mu0 = mu
    return float(np.mean(mu1 - mu0 + t * (y - mu1) / p - (1 - t) * (y - mu0) / (1 - p)))


def _estimate(method: str, estimand: str, X, t, y, ps=None) -> float:
    return (_aipw_estimate(X, t, y, ps) if method == "aipw"
            else _ipw_estimate(X, t, y, estimand, ps))


# ---- the doubly robust contrast with flexible case-mix models ------------------------------

def spline_terms(x: np.ndarray, knots) -> np.ndarray:
    """The nonlinear columns of a restricted (natural) cubic spline of ``x`` at ``knots``
    (Harrell's parameterisation: ``len(knots) - 2`` columns, each cubic between the knots
    and linear beyond the outer ones, scaled by the squared knot range); with ``x``
    itself they span every cubic spline that is linear in both tails.

    >>> x = np.linspace(0, 1, 5)
    >>> spline_terms(x, (0.1, 0.5, 0.9)).round(4).ravel().tolist()
    [0.0, 0.0053, 0.1, 0.3803, 0.75]
    """
    k = np.asarray(knots, dtype=float)
    last, second = k[-1], k[-2]
    scale = (last - k[0]) ** 2 or 1.0
    cols = [(np.maximum(x - k[j], 0) ** 3
             - np.maximum(x - second, 0) ** 3 * (last - k[j]) / (last - second)
             + np.maximum(x - last, 0) ** 3 * (second - k[j]) / (last - second)) / scale
            for j in range(len(k) - 2)]
    return np.column_stack(cols) if cols else np.empty((len(x), 0))


def flexible_knots(n_smaller: int) -> int:
    """Knots per covariate of the flexible case-mix models for a smaller sector of
    ``n_smaller`` providers: :data:`KNOTS` (four, at :data:`KNOT_QUANTILES`) from 20
    providers, three from 10 (at the 10th, 50th and 90th percentiles), none (linear)
    below, where a spline would fit the few providers rather than case mix.

    >>> flexible_knots(48), flexible_knots(12), flexible_knots(6)
    (4, 3, 0)
    """
    return KNOTS if n_smaller >= 20 else (3 if n_smaller >= 10 else 0)


def case_mix_design(values: np.ndarray, knots: int, *, reference: np.ndarray | None = None,
                    interactions: bool = False,
                    squares: bool = False) -> tuple[np.ndarray, list[str]]:
    """The design matrix of a flexible case-mix model: an intercept, each covariate
    (standardised) and its restricted cubic spline terms (:func:`spline_terms`, ``knots``
    knots at quantiles of ``reference``, the rows the model is fitted on; all rows by
    default), with ``squares`` each covariate's square and with ``interactions`` the
    pairwise products. Returns the matrix and the column names (``x1``, ``x1'1``,
    ``x1^2``, ``x1:x2`` ...). A covariate with fewer distinct values than knots enters
    without splines.

    >>> X, names = case_mix_design(np.arange(40.0).reshape(20, 2), 3, interactions=True)
    >>> X.shape, names
    ((20, 6), ['1', 'x1', "x1'1", 'x2', "x2'1", 'x1:x2'])
    """
    v = np.asarray(values, dtype=float)
    ref = v if reference is None else np.asarray(reference, dtype=float)
    mu, sd = v.mean(0), v.std(0)
    sd[sd == 0] = 1.0
    z, zr = (v - mu) / sd, (ref - mu) / sd
    quantiles = KNOT_QUANTILES if knots == KNOTS else (0.1, 0.5, 0.9)[:knots]
    cols, names = [np.ones((len(v), 1))], ["1"]
    for j in range(v.shape[1]):
        cols.append(z[:, [j]])
        names.append(f"x{j + 1}")
        if knots >= 3 and len(np.unique(zr[:, j])) > knots:
            kn = np.quantile(zr[:, j], quantiles)
            if np.all(np.diff(kn) > 0):
                extra = spline_terms(z[:, j], kn)
                cols.append(extra)
                names += [f"x{j + 1}'{i + 1}" for i in range(extra.shape[1])]
    if squares:
        for j in range(v.shape[1]):
            cols.append(z[:, [j]] ** 2)
            names.append(f"x{j + 1}^2")
    if interactions:
        for a in range(v.shape[1]):
            for b in range(a + 1, v.shape[1]):
                cols.append((z[:, a] * z[:, b])[:, None])
                names.append(f"x{a + 1}:x{b + 1}")
    return np.column_stack(cols), names


def balancing_odds(B: np.ndarray, t: np.ndarray, *, max_iter: int = 30,
                   ridge: float | None = None) -> tuple[np.ndarray, bool]:
    """Propensity odds of a logistic model in the columns of ``B`` fitted to balance them
    (entropy balancing for the effect on the treated; Hainmueller 2012, equivalently the
    just-identified covariate balancing propensity score, Imai & Ratkovic 2014): NHS
    weights proportional to exp(B lambda) whose weighted means of every column of ``B``
    equal the treated's means, up to the small ridge penalty (``ridge`` on lambda,
    :data:`PS_RIDGE`) that keeps the weights finite. Returns each provider's odds (scaled
    so the NHS odds sum to the number treated) and whether balance was reached (every
    standardised mean within :data:`BALANCED`): when the treated's means lie outside
    anything the NHS providers can be weighted to (no overlap), it is not.

    >>> B = np.array([[0.0], [1.0], [0.0], [1.0], [2.0]]); t = np.array([1, 1, 0, 0, 0.0])
    >>> odds, ok = balancing_odds(B, t)
    >>> ok, round(float(np.average(B[2:, 0], weights=odds[2:])), 2)
    (True, 0.5)
    """
    ridge = PS_RIDGE if ridge is None else ridge
    B = np.asarray(B, dtype=float)
    t = np.asarray(t, dtype=float)
    sd = B.std(0)
    keep = sd > 0
    if not keep.any():
        return np.full(len(t), t.sum() / max((1 - t).sum(), 1)), True
    Z = (B[:, keep] - B[:, keep].mean(0)) / sd[keep]
    odds, gap = _balance_standardised(Z[None], t, max_iter=max_iter, ridge=ridge)
    return odds[0], bool(gap[0] < BALANCED)


def _balance_standardised(Z: np.ndarray, t: np.ndarray, *, max_iter: int,
                          ridge: float) -> tuple[np.ndarray, np.ndarray]:
    """The Newton solver of :func:`balancing_odds` on the dual, for standardised designs
    of many draws at once (draws x providers x columns, every column varying): each draw
    starts at lambda = 0 and stops on its own (gradient under 1e-9, a singular Hessian, a
    backtracking line search that finds no decrease, or ``max_iter`` steps). Returns the
    odds (draws x providers) and each draw's largest standardised imbalance (``gap``,
    from the start of its last step).
    """
    c = t == 0
    Zc, target = Z[:, c], Z[:, ~c].mean(1)
    n, k = Zc.shape[0], Z.shape[2]
    lam = np.zeros((n, k))
    eye = np.eye(k)

    def dual(lam, rows=slice(None)):
        eta = np.einsum("dnk,dk->dn", Zc[rows], lam)
        top = eta.max(1)
        return (top + np.log(np.exp(eta - top[:, None]).sum(1))
                - np.einsum("dk,dk->d", target[rows], lam)
                + ridge * np.einsum("dk,dk->d", lam, lam) / 2)

    active = np.ones(n, bool)
    gap = np.full(n, np.inf)
    for _ in range(max_iter):
        eta = np.einsum("dnk,dk->dn", Zc, lam)
        e = np.exp(eta - eta.max(1, keepdims=True))
        p = e / e.sum(1, keepdims=True)
        m = np.einsum("dn,dnk->dk", p, Zc)
        gap[active] = np.abs(m - target).max(1)[active]
        g = m - target + ridge * lam
        active &= np.abs(g).max(1) >= 1e-9
        if not active.any():
            break
        H = (np.swapaxes(Zc * p[:, :, None], 1, 2) @ Zc - m[:, :, None] * m[:, None, :]
             + (ridge + 1e-10) * eye)
        step = np.zeros_like(lam)
        try:
            step[active] = np.linalg.solve(H[active], g[active][:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            for d in np.flatnonzero(active):
                try:
                    step[d] = np.linalg.solve(H[d], g[d])
                except np.linalg.LinAlgError:
                    active[d] = False
        f0, slope = dual(lam), np.einsum("dk,dk->d", g, step)
        a = np.ones(n)
        short = np.flatnonzero(active & (dual(lam - step) > f0 - 1e-4 * slope))
        while short.size:
            a[short] /= 2
            short = short[a[short] > 1e-3]
            tried = dual(lam[short] - a[short, None] * step[short], short)
            short = short[tried > f0[short] - 1e-4 * a[short] * slope[short]]
        active &= a > 1e-3
        lam[active] -= a[active, None] * step[active]
    eta = np.einsum("dnk,dk->dn", Z, lam)
    top = eta[:, c].max(1, keepdims=True)
    odds = (t.sum() * np.exp(np.clip(eta - top, -700, 50))
            / np.exp(eta[:, c] - top).sum(1, keepdims=True))
    return odds, gap


def _balancing_odds_draws(B: np.ndarray, t: np.ndarray, *, max_iter: int = 30,
                          ridge: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`balancing_odds` for many bootstrap draws at once: ``B`` holds one design per
    draw (draws x providers x columns), ``t`` the sector of each row (the same in every
    draw, as a within-sector resample keeps it). Both solve with
    :func:`_balance_standardised`, so each draw takes the steps it would take on its own;
    a draw with a constant column goes through :func:`balancing_odds` itself. Returns the odds (draws x providers)
    and whether each draw reached balance, as :func:`balancing_odds` says it.

    >>> B = np.array([[[0.0], [1.0], [0.0], [1.0], [2.0]]] * 3); t = np.array([1, 1, 0, 0, 0.0])
    >>> odds, ok = _balancing_odds_draws(B, t)
    >>> np.allclose(odds, balancing_odds(B[0], t)[0]), ok.tolist()
    (True, [True, True, True])
    """
    ridge = PS_RIDGE if ridge is None else ridge
    B = np.asarray(B, dtype=float)
    t = np.asarray(t, dtype=float)
    odds = np.empty(B.shape[:2])
    balanced = np.zeros(B.shape[0], bool)
    sd = B.std(1)
    whole = (sd > 0).all(1)
    for d in np.flatnonzero(~whole):
        odds[d], balanced[d] = balancing_odds(B[d], t, max_iter=max_iter, ridge=ridge)
    if whole.any():
        Z = (B[whole] - B[whole].mean(1, keepdims=True)) / sd[whole][:, None, :]
        odds[whole], gap = _balance_standardised(Z, t, max_iter=max_iter, ridge=ridge)
        balanced[whole] = gap < BALANCED
    return odds, balanced


def _dr_att(Xo: np.ndarray, t: np.ndarray, y: np.ndarray, odds: np.ndarray) -> float:
    """Doubly robust effect on the treated: the treated's mean residual from the NHS
    outcome model (design ``Xo``) minus the ``odds``-weighted mean residual of the NHS
    providers (with equal odds, the second term is zero: regression imputation).
    """
    c = t == 0
    coef = np.linalg.lstsq(Xo[c], y[c], rcond=None)[0]
    r = y - Xo @ coef
    w = odds[c]
    return float(r[~c].mean() - np.sum(w * r[c]) / np.sum(w))


def dr_designs(table: pd.DataFrame, covariates: tuple[str, ...], *,
               treated: str = "treated") -> tuple[np.ndarray, np.ndarray, int]:
    """The outcome and propensity designs of the doubly robust contrast and the knots used:
    the outcome model (fitted on NHS providers) takes restricted cubic splines of every
    case-mix measure, knots at the NHS providers' quantiles (:func:`case_mix_design`,
    :func:`flexible_knots`); the propensity model each measure, its square and the
    pairwise products (a full quadratic; linear when a sector has fewer than 10
    providers).

    >>> from workbench.data.synth import generate
    >>> t = provider_table(generate(seed=1, n_providers=120, n_months=3).panel)
    >>> Xo, Xp, k = dr_designs(t, md.CASE_MIX)
    >>> Xo.shape[1], Xp.shape[1], k
    (10, 10, 4)
    """
    t = table[treated].to_numpy(float)
    v = table[list(covariates)].to_numpy(float)
    knots = flexible_knots(int(min(t.sum(), (1 - t).sum())))
    Xo, _ = case_mix_design(v, knots, reference=v[t == 0])
    Xp, _ = case_mix_design(v, 0, interactions=knots > 0, squares=knots > 0)
    return Xo, Xp, knots


def effective_sample_size(weights) -> float:
    """Kish's effective sample size, (sum w)^2 / sum w^2: how many equally weighted
    providers the weighted group is worth.

    >>> effective_sample_size([1, 1, 1, 1]), effective_sample_size([4, 1, 1, 1])
    (4.0, 2.5789473684210527)
    """
    w = np.asarray(weights, dtype=float)
    return float(w.sum() ** 2 / np.sum(w ** 2)) if np.sum(w ** 2) > 0 else 0.0


def _weighted_ks(x1, w1, x0, w0) -> float:
    grid = np.unique(np.concatenate([x1, x0]))
    f1 = np.array([w1[x1 <= g].sum() for g in grid]) / w1.sum()
    f0 = np.array([w0[x0 <= g].sum() for g in grid]) / w0.sum()
    return float(np.max(np.abs(f1 - f0)))


def balance_checks(table: pd.DataFrame, covariates: tuple[str, ...] = md.CASE_MIX, *,
                   treated: str = "treated", weight: str = "weight",
                   smd_limit: float = BALANCE_LIMIT, ks_limit: float = KS_LIMIT) -> pd.DataFrame:
    """Balance as cobalt checks it, before and after weighting: one row per check with
    ``term`` (in words), ``kind`` (``mean``, ``square``, ``interaction`` or
    ``distribution``), ``statistic`` (``SMD`` or ``KS``), ``unweighted``, ``weighted``,
    ``limit`` and ``ok``.

    * the standardised mean differences (treated minus untreated, over the pooled
      unweighted SD) of each covariate, of its square and of each pairwise product (the
      covariates centred on the pooled mean first), each under ``smd_limit`` (|SMD| < 0.1);
    * the Kolmogorov-Smirnov statistic of each covariate (the largest gap between the
      groups' weighted cumulative distributions), under ``ks_limit`` (0.1) or, when the
      groups are small, under the gap chance alone leaves at the effective sizes (the
      two-sample test's 5% critical value, 1.36 x sqrt(1/n1 + 1/n0) with Kish's
      effective n, :func:`effective_sample_size`), whichever is larger, but never above
      :data:`KS_MAX_LIMIT` (0.5: a few effective providers cannot pass by being few).

    Weights fitted to balance means (a logistic propensity with overlap weights balances
    them exactly) can fail the squares, the products or the distributions: the check can
    fail.

    >>> t = pd.DataFrame({"treated": [1, 1, 0, 0], "x": [1.0, 2.0, 0.0, 1.0],
    ...                   "weight": [1.0, 1.0, 1.0, 1.0]})
    >>> balance_checks(t, ("x",))[["kind", "statistic", "weighted", "ok"]].values.tolist()
    [['mean', 'SMD', 1.414213562373095, False], ['square', 'SMD', 0.0, True], ['distribution', 'KS', 0.5, False]]
    """
    missing = [c for c in (treated, weight, *covariates) if c not in table.columns]
    if missing:
        raise AnalysisInputError("balance_checks", f"columns {missing}", "are not in the table",
                                 expected="a provider table with treated and weight columns")
    t = table[treated].to_numpy(float) == 1
    w = table[weight].to_numpy(float)
    v = table[list(covariates)].to_numpy(float)
    v = v - v.mean(0)
    terms: list[tuple[str, str, np.ndarray]] = []
    for j, c in enumerate(covariates):
        terms.append((M.label(c) if c in M.MEASURES else c, "mean", v[:, j]))
    for j, c in enumerate(covariates):
        terms.append((f"{M.label(c) if c in M.MEASURES else c}, squared", "square",
                      v[:, j] ** 2))
    for a in range(len(covariates)):
        for b in range(a + 1, len(covariates)):
            la, lb = (M.label(x) if x in M.MEASURES else x for x in (covariates[a],
                                                                      covariates[b]))
            terms.append((f"{la} x {lb}", "interaction", v[:, a] * v[:, b]))
    rows = []
    for name, kind, x in terms:
        sd = np.sqrt((x[t].var(ddof=1) + x[~t].var(ddof=1)) / 2) or 1.0
        before = (x[t].mean() - x[~t].mean()) / sd
        after = (np.average(x[t], weights=w[t]) - np.average(x[~t], weights=w[~t])) / sd
        rows.append({"term": name, "kind": kind, "statistic": "SMD", "unweighted": float(before),
                     "weighted": float(after), "limit": smd_limit,
                     "ok": bool(abs(after) < smd_limit)})
    n1, n0 = effective_sample_size(w[t]), effective_sample_size(w[~t])
    ks_bound = min(max(ks_limit, KS_CHANCE * np.sqrt(1 / max(n1, 1e-9) + 1 / max(n0, 1e-9))),
                   KS_MAX_LIMIT)
    for j, c in enumerate(covariates):
        x = v[:, j]
        before = _weighted_ks(x[t], np.ones(t.sum()), x[~t], np.ones((~t).sum()))
        after = _weighted_ks(x[t], w[t], x[~t], w[~t])
        rows.append({"term": M.label(c) if c in M.MEASURES else c, "kind": "distribution",
                     "statistic": "KS", "unweighted": before, "weighted": after,
                     "limit": float(ks_bound), "ok": bool(after < ks_bound)})
    return pd.DataFrame(rows)


def checks_failed(checks: pd.DataFrame) -> list[str]:
    """The checks of :func:`balance_checks` that failed, each as ``term (SMD +0.23)``.

    >>> checks_failed(pd.DataFrame({"term": ["age", "age, squared"], "statistic": ["SMD"] * 2,
    ...                             "weighted": [0.02, 0.31], "ok": [True, False]}))
    ['age, squared (SMD +0.31)']
    """
    bad = checks[~checks["ok"].astype(bool)]
    return [f"{r.term} ({r.statistic} {formatting.fixed(r.weighted, sign=r.statistic == 'SMD')})"
            for r in bad.itertuples()]


def effective_sizes(table: pd.DataFrame, *, treated: str = "treated",
                    weight: str = "weight") -> pd.DataFrame:
    """Per sector: providers, their effective number under the weights (Kish,
    :func:`effective_sample_size`) and its share of the providers.

    >>> t = pd.DataFrame({"treated": [1, 1, 0, 0, 0], "weight": [1.0, 1, 3, 1, 1]})
    >>> effective_sizes(t)["effective"].round(2).tolist()
    [2.0, 2.27]
    """
    t = table[treated].to_numpy(float) == 1
    w = table[weight].to_numpy(float)
    rows = []
    for g, name in ((True, "independent"), (False, "NHS")):
        ess = effective_sample_size(w[t == g])
        rows.append({"sector": name, "providers": int((t == g).sum()), "effective": ess,
                     "share": ess / max(int((t == g).sum()), 1)})
    return pd.DataFrame(rows)


def overlap_case_mix(table: pd.DataFrame, covariates: tuple[str, ...] = md.CASE_MIX, *,
                     treated: str = "treated") -> pd.DataFrame:
    """Who the comparison is about: per covariate, its mean over all acute providers, NHS
    trusts, independent hospitals, the NHS trusts as weighted to resemble the independent
    hospitals (``weight``, the effect-on-the-treated weights), and the **overlap
    population** (every provider weighted by ps x (1 - ps): those whose case mix could
    belong to either sector). Needs ``ps`` and ``weight`` (:func:`weighted_difference`'s
    table).

    >>> t = pd.DataFrame({"treated": [1, 1, 0, 0], "ps": [0.5, 0.9, 0.5, 0.1],
    ...                   "weight": [1.0, 1.0, 1.0, 1.0], "x": [1.0, 3.0, 0.0, 2.0]})
    >>> overlap_case_mix(t, ("x",)).iloc[0, 1:].round(2).tolist()
    [1.5, 1.0, 2.0, 1.0, 1.03]
    """
    t = table[treated].to_numpy(float) == 1
    ps = table["ps"].to_numpy(float)
    w = table["weight"].to_numpy(float)
    o = ps * (1 - ps)
    rows = []
    for c in covariates:
        x = table[c].to_numpy(float)
        rows.append({"covariate": M.label(c) if c in M.MEASURES else c,
                     "all acute providers": float(x.mean()),
                     "NHS trusts": float(x[~t].mean()),
                     "independent hospitals": float(x[t].mean()),
                     "NHS weighted like independent": float(np.average(x[~t], weights=w[~t])),
                     "overlap population": float(np.average(x, weights=o))
                     if o.sum() > 0 else float("nan")})
    return pd.DataFrame(rows)


def specification_check(table: pd.DataFrame, outcome: str,
                        covariates: tuple[str, ...] = md.CASE_MIX, *,
                        treated: str = "treated") -> dict:
    """Does linear case-mix adjustment fit? A Wald test (heteroskedasticity-robust, HC1,
    one row per provider) of the linear model of the outcome (sector plus each case-mix
    measure, what the linear regression adjustment fits) against the flexible one (each
    measure's restricted cubic spline, :func:`case_mix_design`, and every term's
    interaction with sector). A small p-value says linear adjustment is misspecified:
    case mix acts nonlinearly or differently in the two sectors.

    Returns ``statistic`` (F), ``df`` (extra terms), ``df_resid``, ``p_value``,
    ``rejects`` (p < 0.05) and ``text``.

    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=200); tr = (rng.uniform(size=200) < 0.4).astype(float)
    >>> t = pd.DataFrame({"treated": tr, "x": x, "y": x + 2 * x ** 2 + rng.normal(size=200)})
    >>> specification_check(t, "y", ("x",))["rejects"]
    True
    """
    from scipy import stats

    t = table[treated].to_numpy(float)
    y = table[outcome].to_numpy(float)
    v = table[list(covariates)].to_numpy(float)
    knots = flexible_knots(int(min(t.sum(), (1 - t).sum())))
    X, names = case_mix_design(v, max(knots, 3))
    linear = [i for i, n in enumerate(names) if n == "1" or "'" not in n]
    X = np.column_stack([X[:, linear], t[:, None], X[:, [i for i in range(X.shape[1])
                                                          if i not in linear]],
                         t[:, None] * X[:, 1:]])
    n, k = X.shape
    q = k - len(linear) - 1
    rank = np.linalg.matrix_rank(X)
    if q <= 0 or n - rank < 5:
        return {"statistic": float("nan"), "df": q, "df_resid": n - rank,
                "p_value": float("nan"), "rejects": False,
                "text": "specification check not possible (too few providers for the flexible "
                        "model)"}
    xtx_inv = np.linalg.pinv(X.T @ X)
    beta = xtx_inv @ X.T @ y
    e = y - X @ beta
    cov = xtx_inv @ (X.T * e ** 2) @ X @ xtx_inv * n / (n - rank)
    idx = np.arange(len(linear) + 1, k)
    b, V = beta[idx], cov[np.ix_(idx, idx)]
    df = int(np.linalg.matrix_rank(V))
    stat = float(b @ np.linalg.pinv(V) @ b / max(df, 1))
    p = float(stats.f.sf(stat, max(df, 1), n - rank))
    rejects = p < 0.05
    text = (f"specification check (F test, robust to unequal variances, of {df} spline and "
            f"sector-interaction terms added to linear case-mix adjustment across {n} "
            f"providers): F = {formatting.fixed(stat)}, {formatting.p_equals(p)}: "
            + ("linear case-mix adjustment is misspecified here (case mix acts nonlinearly or "
               "differently in the two sectors)" if rejects else
               "no evidence that linear case-mix adjustment is misspecified"))
    return {"statistic": stat, "df": df, "df_resid": n - rank, "p_value": p,
            "rejects": bool(rejects), "text": text}


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
    differences before and after weighting (:func:`balance`); ``failed`` the balance
    checks that failed (:func:`balance_checks`: term and statistic -> weighted value);
    ``warnings`` what a reader
    should know (failed balance, overlap, trimming). For the doubly robust contrast
    (``method="dr"``) also ``checks`` (:func:`balance_checks`), ``sizes``
    (:func:`effective_sizes`), ``specification`` (:func:`specification_check`) and
    ``knots`` (per case-mix measure; 0: linear). :meth:`findings` gives the finding.
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
    checks: pd.DataFrame | None = None
    sizes: pd.DataFrame | None = None
    specification: dict = field(default_factory=dict)
    knots: int = 0

    def findings(self, question: str | None = None) -> Findings:
        """The weighted difference as one finding (id
        ``<method>:sector[independent]-><outcome>@acute``, variants ``#att`` and
        ``#trim<a>``); its role follows balance, and its question, unit and sentence name
        the estimand. ``question`` by default: the one asked, or whether the sectors differ
        on the outcome.
        """
        if self.method == "dr":
            return self._dr_findings(question)
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

    def _dr_findings(self, question: str | None = None) -> Findings:
        """The doubly robust contrast as the case-mix-adjusted finding (id
        ``adjusted:sector[independent]-><outcome>@acute``): a ``headline`` unless a warning
        (poor overlap, a failed balance check) keeps it a ``robustness`` finding.
        """
        outcome, est, lo, hi = self.outcome, self.estimate, self.ci_low, self.ci_high
        om = M.MEASURES.get(outcome)
        unit = ("percentage points" if om is not None and om.unit == "%" else
                (om.unit if om else ""))
        q = (question or self.question
             or f"Do independent hospitals differ from NHS trusts on {M.label(outcome)}?")
        flex = (f"restricted cubic splines ({self.knots} knots) of each case-mix measure"
                if self.knots else "linear case mix (too few providers in a sector for "
                                   "splines)")
        f = Finding(id=str(FindingId("adjusted", outcome, "sector[independent]", "acute")),
                    question=f"{q} (adjusted for case mix, doubly robust: the difference "
                             "at the independent hospitals' own case mix)",
                    estimate=est, ci_low=lo, ci_high=hi, p_value=self.p_value,
                    n=len(self.table), unit=f"{unit} independent vs NHS".strip(),
                    model=f"doubly robust (augmented odds weighting) effect on the treated: "
                          f"outcome model of NHS trusts and logistic propensity, both on "
                          f"{flex}; {self.n_boot} provider bootstrap within sector, "
                          "percentile interval",
                    formula=f"{outcome} ~ s({') + s('.join(self.covariates)}) among NHS ; "
                            f"sector_independent ~ s({') + s('.join(self.covariates)})",
                    sector="acute", clusters=len(self.table), warning="; ".join(self.warnings),
                    role="robustness" if self.warnings else "headline")
        sizes = self.sizes if self.sizes is not None else pd.DataFrame()
        f.parameters = {"n_boot": self.n_boot, "seed": self.seed, "estimand": "ATT",
                        "method": "dr", "knots": self.knots,
                        "specification_p": self.specification.get("p_value"),
                        "balance_failed": checks_failed(self.checks)
                        if self.checks is not None else [],
                        "effective_providers": {r.sector: round(float(r.effective), 1)
                                                for r in sizes.itertuples()}}
        sd_y = self.sd_outcome
        if sd_y > 0:
            f.sensitivity = evalue_smd(est / sd_y, lo / sd_y, hi / sd_y)
            f.sensitivity["contrast"] = "the indicator (1 vs 0); SD of provider means"
        label = wording.plain_label(outcome)
        up, down = wording.directions(outcome)
        spec = self.specification.get("text", "")
        f.sentence = (f"Compared with NHS trusts weighted and modelled to the case mix of the "
                      f"independent hospitals (doubly robust), {label} "
                      f"{'were' if label.endswith('s') else 'was'} "
                      f"{wording.change(est, lo, hi, unit, up=up, down=down)} at independent "
                      "hospitals than at NHS trusts."
                      + (f" {spec[:1].upper()}{spec[1:]}." if spec else ""))
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
    >>> f.id, f.role, "ATO" in f.unit, f.warning.startswith("failed balance")
    ('overlap:sector[independent]->rtt_median_weeks@acute', 'diagnostic', True, True)
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
    if method == "dr":
        if trim is not None:
            raise AnalysisInputError(fn, "trim", f"is {trim!r} with method 'dr'",
                                     expected="no trimming (the doubly robust contrast keeps "
                                              "every provider and says when overlap is poor)")
        return _dr_difference(provider_table(panel, outcome, covariates=covariates), outcome,
                              tuple(covariates), n_boot=n_boot, seed=seed, question=question)
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
    # resample providers within sector, so each replicate has both sectors; the draws'
    # propensity models fitted together
    rows = np.stack([np.concatenate([rng.choice(idx1, len(idx1)), rng.choice(idx0, len(idx0))])
                     for _ in range(n_boot)])
    ps = _ps_draws(X[rows], t[rows[0]])
    draws = np.array([_estimate(method, estimand, X[i], t[i], y[i], p)
                      for i, p in zip(rows, ps)])
    lo, hi = np.quantile(draws, [0.025, 0.975])
    p = max(min(1.0, 2 * min(np.mean(draws <= 0), np.mean(draws >= 0))), 1.0 / n_boot)
    bal = balance(table, covariates)
    checks = balance_checks(table, covariates)
    bad = checks[~checks["ok"].astype(bool)]
    failed = {f"{r.term} ({r.statistic})": float(r.weighted) for r in bad.itertuples()}
    notes += overlap_warnings(table)
    if failed:
        notes.insert(0, f"failed balance: after weighting {len(failed)} of {len(checks)} "
                     f"checks fail (|SMD| under {formatting.number(BALANCE_LIMIT)} for the "
                     "case-mix measures, their squares and products; KS under its limit), e.g. "
                     + ", ".join(checks_failed(checks)[:3]) + "; a diagnostic, not to be read "
                     "as an answer (read the doubly robust case-mix-adjusted difference)")
    return WeightedDifference(outcome=outcome, method=method, estimand=estimand,
                              estimate=float(est), ci_low=float(lo), ci_high=float(hi),
                              p_value=float(p), table=table, balance=bal,
                              covariates=tuple(covariates), n_boot=n_boot, seed=seed, trim=trim,
                              sd_outcome=float(np.std(y, ddof=1)), failed=failed,
                              warnings=notes, question=question, checks=checks)


def _with_dr_weights(table: pd.DataFrame, Xp: np.ndarray, t: np.ndarray,
                     odds: np.ndarray | None = None) -> pd.DataFrame:
    """``table`` with ``ps`` (the logistic propensity on the design ``Xp``, lightly
    ridge-penalised: it describes overlap) and ``weight`` (1 for independent hospitals,
    the balancing odds for NHS trusts, scaled to their number; ``odds`` when already
    solved).
    """
    beta, _ = _logit_fit(_standardise(Xp), t, max_iter=100, ridge=1e-3)
    ps = 1.0 / (1.0 + np.exp(-np.clip(_standardise(Xp) @ beta, -30, 30)))
    if odds is None:
        odds, _ = balancing_odds(Xp[:, 1:], t)
    w = np.where(t == 1, 1.0, odds)
    w[t == 0] *= (t == 0).sum() / w[t == 0].sum()
    return table.assign(ps=ps, weight=w)


def dr_weights(table: pd.DataFrame, covariates: tuple[str, ...] = md.CASE_MIX, *,
               treated: str = "treated") -> pd.DataFrame:
    """A provider table (:func:`provider_table`) with the doubly robust contrast's ``ps``
    (logistic propensity on the quadratic case-mix design of :func:`dr_designs`) and
    ``weight`` (1 for independent hospitals; NHS trusts weighted by balancing odds,
    :func:`balancing_odds`, to the independent hospitals' means, squares and products of
    case mix), for :func:`balance_checks`, :func:`effective_sizes` and
    :func:`overlap_case_mix`.

    >>> from workbench.data.synth import generate
    >>> t = dr_weights(provider_table(generate(seed=3, n_providers=120, n_months=3,
    ...                                        selection=0.3).panel))
    >>> float(t.loc[t.treated == 0, "weight"].sum()) == float((t.treated == 0).sum())
    True
    """
    _, Xp, _ = dr_designs(table, covariates, treated=treated)
    return _with_dr_weights(table, Xp, table[treated].to_numpy(float))


def _dr_difference(table: pd.DataFrame, outcome: str, covariates: tuple[str, ...], *,
                   n_boot: int, seed: int, question: str) -> WeightedDifference:
    Xo, Xp, knots = dr_designs(table, covariates)
    t = table["treated"].to_numpy(float)
    y = table[outcome].to_numpy(float)
    odds, balanced = balancing_odds(Xp[:, 1:], t)
    table = _with_dr_weights(table, Xp, t, odds)
    ps = table["ps"].to_numpy(float)
    rng = np.random.default_rng(seed)
    idx1, idx0 = np.flatnonzero(t == 1), np.flatnonzero(t == 0)
    # resample providers within sector; the balancing weights of every draw solved together
    rows = np.stack([np.concatenate([rng.choice(idx1, len(idx1)), rng.choice(idx0, len(idx0))])
                     for _ in range(n_boot)])
    if balanced:
        # each draw follows the estimator's own rule: its weights when they balance it,
        # else equal weights (the outcome model alone), as the full sample would
        draw_odds, draw_balanced = _balancing_odds_draws(Xp[:, 1:][rows], t[rows[0]])
        draw_odds[~draw_balanced] = 1.0
    else:
        # No weighting reaches the independent hospitals' case mix: the solver stops at its
        # step limit at a point rounding decides, so those weights would make the estimate
        # and its draws arbitrary. The NHS outcome model alone answers (equal weights).
        odds, draw_odds = np.ones(len(t)), np.ones(rows.shape)
    est = _dr_att(Xo, t, y, odds)
    draws = np.array([_dr_att(Xo[i], t[i], y[i], w) for i, w in zip(rows, draw_odds)])
    draws = draws[np.isfinite(draws)]
    if not np.isfinite(est) or len(draws) < n_boot // 2:
        raise AnalysisInputError("weighted_difference", f"outcome {outcome!r}",
                                 f"gives a doubly robust estimate in {len(draws)} of {n_boot} "
                                 "bootstrap draws", expected="case mix that the weights and "
                                 "the outcome model can use (a model-based estimate)")
    lo, hi = np.quantile(draws, [0.025, 0.975])
    p = max(min(1.0, 2 * min(np.mean(draws <= 0), np.mean(draws >= 0))), 1.0 / len(draws))
    checks = balance_checks(table, covariates)
    failed = checks_failed(checks)
    sizes = effective_sizes(table)
    spec = specification_check(table, outcome, covariates)
    notes = []
    beyond = float(np.mean(ps[t == 1] > 1 - OVERLAP_BOUNDS[0]))
    if beyond > ATT_OVERLAP_SHARE:
        notes.append(f"poor overlap: {formatting.percent(beyond)} of independent hospitals have "
                     "a case mix that all but decides the sector (no comparable NHS trust), so "
                     "their comparison rests on the outcome model's extrapolation")
    for r in sizes.itertuples() if balanced else ():
        if r.share < FEW_EFFECTIVE:
            notes.append(f"effective number of {r.sector} providers "
                         f"{formatting.fixed(r.effective, 0)} of {r.providers}")
    if not balanced:
        notes.append("balance check failed: no weighting of the NHS trusts reaches the "
                     "independent hospitals' case mix (means, squares and products), so the "
                     "estimate is the NHS outcome model's prediction for the independent "
                     "hospitals (regression imputation, unweighted) and rests on that model's "
                     "extrapolation")
    elif failed:
        notes.append(f"balance check failed after weighting: {len(failed)} of {len(checks)} "
                     f"checks (|SMD| under {formatting.number(BALANCE_LIMIT)} for means, squares "
                     "and products, KS under its limit), e.g. " + ", ".join(failed[:3])
                     + "; the estimate leans on the outcome model")
    if not knots:
        notes.append("too few providers in a sector for spline case-mix models: case mix "
                     "enters linearly")
    return WeightedDifference(outcome=outcome, method="dr", estimand="ATT", estimate=float(est),
                              ci_low=float(lo), ci_high=float(hi), p_value=float(p),
                              table=table, balance=balance(table, covariates),
                              covariates=covariates, n_boot=n_boot, seed=seed,
                              sd_outcome=float(np.std(y, ddof=1)), warnings=notes,
                              question=question, checks=checks, sizes=sizes,
                              specification=spec, knots=knots)


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
    """Naive, case-mix-adjusted and weighted differences (independent minus NHS).

    Returns the findings (per outcome: naive, adjusted (the doubly robust contrast,
    ``method="dr"``), linear regression adjustment (``adjusted:...#linear``), then one per
    weighting method) and the balance table (:func:`balance`) of the ATE propensity
    weights, for :func:`workbench.report.diagnostics.balance_plot`.

    >>> from workbench.data.synth import generate
    >>> fs, bal = compare_sectors(generate(seed=3, n_providers=120, n_months=6,
    ...                                    selection=0.4).panel, n_boot=200, methods=("ipw",))
    >>> len(fs), len(bal)
    (8, 6)
    """
    out = Findings()
    table = None
    for o in outcomes:
        q = f"Do independent hospitals differ from NHS trusts on {M.label(o)}?"
        out += md.fit(md.ModelSpec(o, ("sector_independent",), subset="acute",
                                   prefix="naive"), panel).findings(q)
        out += weighted_difference(panel, o, method="dr", covariates=covariates,
                                   n_boot=n_boot, seed=seed, question=q).findings()
        out += md.fit(md.ModelSpec(o, ("sector_independent",), adjust=covariates,
                                   subset="acute", prefix="adjusted", suffix="linear"),
                      panel).findings(q + " (linear case-mix adjustment)")
        for m in methods:
            res = weighted_difference(panel, o, method=m, trim=trim, covariates=covariates,
                                      n_boot=n_boot, seed=seed)
            out += res.findings()
            if m == "ipw" or table is None:
                table = res.table
    if table is None:
        raise AnalysisInputError("compare_sectors", "outcomes or methods", "is empty",
                                 expected="at least one outcome and one weighting method")
    return out, balance(table, covariates)
