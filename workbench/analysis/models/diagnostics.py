"""Model diagnostics as tidy tables: residuals, and each provider's influence on an estimate.

:func:`residual_frame` and :func:`influence_frame` take a fitted model
(:class:`workbench.analysis.models.fit.Fit`) and return one row per provider-month or per
provider, for the figure functions of :mod:`workbench.report.diagnostics` (which take
tidy data and column names, as seaborn does). The influence of a provider is found by
refitting the model without it (leave-one-provider-out).

Example
-------
>>> from workbench.data.synth import generate
>>> from workbench.analysis.models import fit as md
>>> panel = generate(seed=3, n_providers=60, n_months=6).panel
>>> f = md.fit(md.ModelSpec("fft_pct_positive", ("rtt_median_weeks",), md.CASE_MIX), panel)
>>> r = residual_frame(f)
>>> len(r) == f.n, list(r.columns)
(True, ['provider_code', 'sector', 'period', 'fitted', 'residual', 'std_residual'])
>>> influence_frame(f, "rtt_median_weeks").columns.tolist()
['provider_code', 'estimate_without', 'dfbeta', 'dfbeta_se', 'sector']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.errors import AnalysisInputError


def residual_frame(fit) -> pd.DataFrame:
    """Tidy residuals of a fitted model: provider, sector, period, fitted, residual.

    Residuals are on the model's response scale (``resid_response`` for GLMs, the
    within-provider residuals for ``fe``). Ordinal models have no residual of this kind
    and raise an error naming the model.
    """
    kind = fit.spec.kind
    if kind == "ordinal":
        raise AnalysisInputError("residual_frame", "fit",
                                 f"is an ordinal model ({fit.spec.label()})",
                                 expected="a linear, GLM, mixed or fixed-effects model")
    res = fit.result
    resid = getattr(res, "resid_response", None)
    if resid is None:
        resid = res.resid
    fitted = np.asarray(res.fittedvalues, dtype=float)
    resid = np.asarray(resid, dtype=float)
    rows = fit.data.loc[res.model.data.row_labels] if hasattr(res.model.data, "row_labels") \
        and res.model.data.row_labels is not None else fit.data
    if len(rows) != len(resid):
        rows = fit.data.iloc[:len(resid)]
    cols = [c for c in ("provider_code", "sector", "period") if c in rows.columns]
    out = rows[cols].reset_index(drop=True).assign(fitted=fitted, residual=resid)
    out["std_residual"] = out["residual"] / (out["residual"].std(ddof=1) or 1.0)
    return out


def influence_frame(fit, term: str) -> pd.DataFrame:
    """How much each provider moves the estimate of ``term``: leave-one-provider-out.

    Exact refits without each provider for linear, within (``fe``) and binomial models
    (the binomial model is refitted by weighted least squares at its final weights, a
    one-step approximation). Returns ``provider_code``, ``estimate_without``, ``dfbeta``
    (estimate without the provider minus the full estimate) and ``dfbeta_se`` (dfbeta
    in units of the full-sample standard error).
    """
    kind = fit.spec.kind
    if kind not in ("ols", "fe", "binomial"):
        raise AnalysisInputError("influence_frame", "fit", f"is a {kind} model "
                                 f"({fit.spec.label()})",
                                 expected="an 'ols', 'fe' or 'binomial' model")
    res = fit.result
    names = list(res.model.exog_names)
    if term not in names:
        raise AnalysisInputError("influence_frame", "term", f"{term!r} is not in the model",
                                 expected=f"one of {[n for n in names if 'C(month)' not in n]}")
    j = names.index(term)
    X = np.asarray(res.model.exog, dtype=float)
    y = np.asarray(res.model.endog, dtype=float)
    w = getattr(res.model, "var_weights", None)
    w = np.ones(len(y)) if w is None else np.asarray(w, dtype=float)
    if kind == "binomial":
        mu = np.clip(np.asarray(res.fittedvalues), 1e-6, 1 - 1e-6)
        w = w / (mu * (1 - mu))
    providers = fit.data[fit.spec.cluster].to_numpy()
    if len(providers) != len(y):
        raise AnalysisInputError("influence_frame", "fit", "rows of the fit and its data differ")
    sw = np.sqrt(w)
    Xw, yw = X * sw[:, None], y * sw
    codes, uniq = pd.factorize(providers)
    g = len(uniq)
    k = X.shape[1]
    xtx = np.zeros((g, k, k))
    xty = np.zeros((g, k))
    order = np.argsort(codes, kind="stable")  # one provider's rows at a time: no rows x k x k
    bounds = np.searchsorted(codes[order], np.arange(g + 1))
    for i in range(g):
        r = order[bounds[i]:bounds[i + 1]]
        xtx[i], xty[i] = Xw[r].T @ Xw[r], Xw[r].T @ yw[r]
    full = np.linalg.lstsq(xtx.sum(0), xty.sum(0), rcond=None)[0][j]
    try:  # every leave-one-out system at once; one by one (least squares) if one is singular
        est = np.linalg.solve(xtx.sum(0)[None] - xtx, (xty.sum(0)[None] - xty)[..., None])[:, j, 0]
    except np.linalg.LinAlgError:
        est = np.array([np.linalg.lstsq(xtx.sum(0) - xtx[i], xty.sum(0) - xty[i],
                                        rcond=None)[0][j] for i in range(g)])
    se = float(np.asarray(res.bse)[j])
    sector = fit.data.groupby(fit.spec.cluster, observed=True)["sector"].first() \
        if "sector" in fit.data.columns else None
    out = pd.DataFrame({"provider_code": uniq, "estimate_without": est, "dfbeta": est - full})
    out["dfbeta_se"] = out["dfbeta"] / se if se > 0 else np.nan
    if sector is not None:
        out["sector"] = out["provider_code"].map(sector)
    return out.sort_values("dfbeta_se", key=np.abs, ascending=False).reset_index(drop=True)
