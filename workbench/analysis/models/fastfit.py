"""Linear models and canonical-link GLMs from cross-products, for panels of any size.

statsmodels' OLS and GLM solve by a singular value decomposition of the whole design
(rows x columns) and build the design with patsy, which for a national panel (about
900,000 provider-months, 60 month dummies) costs minutes and gigabytes per model. The
fitters of :mod:`workbench.analysis.models.fitters` use this module instead for ``ols``,
``fe``, logit ``binomial`` and ``poisson``: the same estimators and the same
provider-clustered (CRV1) inference, computed from X'WX (columns x columns) with one
step of iterative refinement against the rows, so the numbers agree with statsmodels
to rounding noise (tests/test_scale_equivalence.py checks 1e-8 relative).

* :func:`design` builds the design a formula ``y ~ a + b + C(month)`` names (intercept,
  treatment-coded month dummies, the numeric columns; patsy's column names and order)
  as one float array.
* :func:`ols` is (weighted) least squares with the CRV1 covariance
  ``G/(G-1) (n-1)/(n-k) (X'X)^-1 (sum_g s_g s_g') (X'X)^-1`` (statsmodels'
  ``cov_type="cluster"``) and t(G-1) intervals.
* :func:`within` demeans a design by provider (the within transformation) with
  ``numpy.bincount``, month dummies included.
* :func:`glm` is iteratively reweighted least squares for the Binomial (logit) and
  Poisson (log) families with variance weights and an offset; ``absorb=`` absorbs a
  factor (provider fixed effects) inside each IRLS step by weighted demeaning, which is
  the dummy-variable GLM's estimate of the other coefficients (Frisch-Waugh-Lovell in
  the weighted step). When the absorbed factor is the cluster, its score sums to zero
  in every cluster, so the clustered covariance of the other coefficients is the
  sandwich of the absorbed Hessian; ``k`` in the small-sample factor still counts one
  parameter per absorbed level, as the dummy-variable fit does.

The results (:class:`Result`) answer what the workbench asks of a statsmodels result:
``params``, ``bse``, ``pvalues``, ``conf_int()``, ``cov_params()``, ``resid``,
``fittedvalues`` and ``model.exog`` / ``model.endog`` / ``model.exog_names``.

>>> rng = np.random.default_rng(0)
>>> df = pd.DataFrame({"g": np.repeat(np.arange(40), 5), "x": rng.normal(size=200),
...                    "month": np.tile(["2024-01", "2024-02", "2024-03", "2024-04",
...                                      "2024-05"], 40)})
>>> df["y"] = 2 * df["x"] + rng.normal(size=40)[df["g"]] + rng.normal(size=200)
>>> X, names = design(df, ["x"], month="month")
>>> names[:2], names[-1]
(['Intercept', 'C(month)[T.2024-02]'], 'x')
>>> codes = df["g"].to_numpy()
>>> r = ols(df["y"].to_numpy(), X, names, codes)
>>> round(float(r.params["x"]), 2), r.df_resid_inference
(2.15, 39)
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
from scipy import stats

from workbench.errors import AnalysisInputError


def design(df: pd.DataFrame, numeric: list[str], *, month: str | None = None,
           intercept: bool = True) -> tuple[np.ndarray, list[str]]:
    """The design matrix of ``~ numeric + C(month)`` with patsy's names and order
    (``Intercept``, ``C(month)[T.<level>]`` for every sorted level but the first, then
    the numeric columns).
    """
    n = len(df)
    names: list[str] = ["Intercept"] if intercept else []
    levels: list[str] = []
    codes = None
    if month is not None:
        cat = pd.Categorical(df[month].astype(str))
        levels = [str(v) for v in cat.categories]
        codes = cat.codes.astype(np.int64)
        names += [f"C({month})[T.{v}]" for v in levels[1:]]
    names += list(numeric)
    X = np.zeros((n, len(names)))
    j = 0
    if intercept:
        X[:, 0] = 1.0
        j = 1
    if codes is not None:
        rows = np.flatnonzero(codes > 0)
        X[rows, j + codes[rows] - 1] = 1.0
        j += len(levels) - 1
    for c in numeric:
        X[:, j] = df[c].to_numpy(dtype=float)
        j += 1
    return X, names


def group_codes(values) -> tuple[np.ndarray, int]:
    """Integer codes 0..G-1 of ``values`` (in sorted order of the values) and G."""
    codes, uniq = pd.factorize(pd.Series(values), sort=True)
    return codes.astype(np.int64), len(uniq)


def group_sums(A: np.ndarray, codes: np.ndarray, G: int) -> np.ndarray:
    """Column sums of ``A`` (rows x k, or rows) within each group: (G, k) or (G,)."""
    if A.ndim == 1:
        return np.bincount(codes, A, minlength=G)
    return np.column_stack([np.bincount(codes, A[:, j], minlength=G)
                            for j in range(A.shape[1])]) if A.shape[1] else np.zeros((G, 0))


def within(A: np.ndarray, codes: np.ndarray, G: int,
           weights: np.ndarray | None = None) -> np.ndarray:
    """``A`` minus its (weighted) mean within each group (the within transformation)."""
    w = np.ones(len(codes)) if weights is None else weights
    tot = np.bincount(codes, w, minlength=G)
    tot = np.where(tot > 0, tot, 1.0)
    if A.ndim == 1:
        return A - (np.bincount(codes, A * w, minlength=G) / tot)[codes]
    out = np.empty_like(A)
    for j in range(A.shape[1]):
        out[:, j] = A[:, j] - (np.bincount(codes, A[:, j] * w, minlength=G) / tot)[codes]
    return out


def _sym_inverse(A: np.ndarray) -> np.ndarray:
    """Inverse of a symmetric positive (semi)definite matrix, equilibrated by its diagonal
    (a pseudo-inverse when it is singular).
    """
    d = np.sqrt(np.clip(np.diag(A), 1e-300, None))
    As = A / np.outer(d, d)
    try:
        L = np.linalg.cholesky(As)
        Li = np.linalg.solve(L, np.eye(len(A)))
        inv = Li.T @ Li
    except np.linalg.LinAlgError:
        inv = np.linalg.pinv(As, rcond=1e-13, hermitian=True)
    return inv / np.outer(d, d)


class Result:
    """A fitted linear model or GLM with provider-clustered inference (see the module)."""

    def __init__(self, names, params, cov, df_inference, *, exog, endog, fitted, resid,
                 row_labels=None, var_weights=None, resid_response=None, extra=None):
        self.params = pd.Series(params, index=names)
        self._cov = np.asarray(cov)
        self.bse = pd.Series(np.sqrt(np.clip(np.diag(self._cov), 0, None)), index=names)
        self.df_resid_inference = int(df_inference)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.tvalues = self.params / self.bse
        self.pvalues = pd.Series(2 * stats.t.sf(np.abs(self.tvalues.to_numpy()),
                                                self.df_resid_inference), index=names)
        self.fittedvalues = fitted
        self.resid = resid
        if resid_response is not None:
            self.resid_response = resid_response
        self.nobs = len(endog)
        self.converged = True
        self.use_t = True
        self.model = SimpleNamespace(exog=exog, endog=endog, exog_names=list(names),
                                     data=SimpleNamespace(row_labels=row_labels))
        if var_weights is not None:
            self.model.var_weights = var_weights
        self.info = dict(extra or {})

    def cov_params(self) -> pd.DataFrame:
        """The clustered covariance of the coefficients."""
        return pd.DataFrame(self._cov, index=self.params.index, columns=self.params.index)

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """t(G-1) intervals at level ``1 - alpha`` (columns 0 and 1, as statsmodels)."""
        q = stats.t.ppf(1 - alpha / 2, self.df_resid_inference)
        p, b = self.params.to_numpy(), self.bse.to_numpy()
        return pd.DataFrame({0: p - q * b, 1: p + q * b}, index=self.params.index)


def _cluster_cov(bread: np.ndarray, scores_g: np.ndarray, n: int, k: int, G: int):
    meat = scores_g.T @ scores_g
    return bread @ meat @ bread * (G / (G - 1.0) * (n - 1.0) / float(n - k))


def ols(y: np.ndarray, X: np.ndarray, names: list[str], codes: np.ndarray, *,
        weights: np.ndarray | None = None, row_labels=None, k_extra: int = 0) -> Result:
    """(Weighted) least squares of ``y`` on ``X``, CRV1 covariance clustered by ``codes``
    (as statsmodels' ``OLS/WLS(...).fit(cov_type="cluster", use_t=True)``).

    ``k_extra``: parameters absorbed before the fit that the small-sample factor counts.
    """
    codes, G = group_codes(codes)
    n, k = X.shape
    if weights is not None:
        sw = np.sqrt(np.asarray(weights, dtype=float))
        Xw, yw = X * sw[:, None], y * sw
    else:
        Xw, yw = X, y
    inv = _sym_inverse(Xw.T @ Xw)
    beta = inv @ (Xw.T @ yw)
    for _ in range(2):  # iterative refinement against the rows
        beta = beta + inv @ (Xw.T @ (yw - Xw @ beta))
    fitted_w = Xw @ beta
    e_w = yw - fitted_w
    scores = group_sums(Xw * e_w[:, None], codes, G)
    cov = _cluster_cov(inv, scores, n, k + k_extra, G)
    fitted = X @ beta
    return Result(names, beta, cov, G - 1, exog=X, endog=y, fitted=fitted, resid=y - fitted,
                  row_labels=row_labels)


def glm(y: np.ndarray, X: np.ndarray, names: list[str], codes: np.ndarray, *, family: str,
        var_weights: np.ndarray | None = None, offset: np.ndarray | None = None,
        absorb: np.ndarray | None = None, row_labels=None, tol: float = 1e-13,
        max_iter: int = 200) -> Result:
    """IRLS for ``family`` ``"binomial"`` (logit link; ``y`` a proportion, ``var_weights``
    the trials) or ``"poisson"`` (log link, ``offset`` log exposure), CRV1 clustered by
    ``codes`` (as statsmodels' ``GLM(...).fit(cov_type="cluster", use_t=True)``).

    ``absorb``: codes of a factor whose levels each get their own intercept (fixed
    effects), absorbed by weighted demeaning; it must be nested in the clusters. The
    factor's parameters are not returned but count in ``k`` (as dummy columns would).
    """
    ccodes, G = group_codes(codes)
    n, k = X.shape
    w0 = np.ones(n) if var_weights is None else np.asarray(var_weights, dtype=float)
    off = np.zeros(n) if offset is None else np.asarray(offset, dtype=float)
    if family == "binomial":
        mu = (w0 * y + 0.5) / (w0 + 1.0)
        eta = np.log(mu / (1 - mu))
    elif family == "poisson":
        mu = (y + y.mean()) / 2.0
        eta = np.log(mu)
    else:
        raise AnalysisInputError("glm", "family", f"{family!r} is not a family glm() fits",
                                 expected="'binomial' or 'poisson'")
    acodes, A = group_codes(absorb) if absorb is not None else (None, 0)
    beta = np.zeros(k)
    dev_old = np.inf
    for it in range(max_iter):
        var = mu * (1 - mu) if family == "binomial" else mu
        W = w0 * var
        z = eta - off + (y - mu) / np.where(var > 0, var, 1e-300)
        if acodes is not None:
            Xt, zt = within(X, acodes, A, W), within(z, acodes, A, W)
        else:
            Xt, zt = X, z
        sw = np.sqrt(W)
        Xs = Xt * sw[:, None]
        inv = _sym_inverse(Xs.T @ Xs)  # X'WX as a symmetric product (BLAS syrk)
        beta_new = inv @ (Xs.T @ (zt * sw))
        beta_new = beta_new + inv @ (Xs.T @ ((zt - Xt @ beta_new) * sw))
        lin = X @ beta_new
        if acodes is not None:
            tot = np.bincount(acodes, W, minlength=A)
            alpha = np.bincount(acodes, W * (z - lin), minlength=A) / np.where(tot > 0, tot, 1)
            lin = lin + alpha[acodes]
        eta = lin + off
        if family == "binomial":
            eta = np.clip(eta, -700, 700)
            mu = 1.0 / (1.0 + np.exp(-eta))
            mu = np.clip(mu, 1e-300, 1 - 1e-16)
            dev = -2 * np.sum(w0 * (y * np.log(mu) + (1 - y) * np.log1p(-mu)))
        else:
            mu = np.exp(np.clip(eta, -700, 700))
            dev = 2 * np.sum(mu - y * eta)
        step = np.max(np.abs(beta_new - beta) / (np.abs(beta_new) + 1e-8)) if k else 0.0
        beta = beta_new
        if step < tol or abs(dev - dev_old) <= tol * (abs(dev) + 1e-8):
            break
        dev_old = dev
    var = mu * (1 - mu) if family == "binomial" else mu
    W = w0 * var
    Xs = (within(X, acodes, A, W) if acodes is not None else X) * np.sqrt(W)[:, None]
    bread = _sym_inverse(Xs.T @ Xs)
    scores = group_sums(X * (w0 * (y - mu))[:, None], ccodes, G)
    k_full = k + (A if acodes is not None else 0)
    cov = _cluster_cov(bread, scores, n, k_full, G)
    return Result(names, beta, cov, G - 1, exog=X, endog=y, fitted=mu, resid=y - mu,
                  resid_response=y - mu, row_labels=row_labels, var_weights=w0,
                  extra={"iterations": it + 1})


class MixedResult(Result):
    """A random-intercept REML fit (:func:`mixed_intercept`): normal (z) inference, as
    statsmodels' ``MixedLMResults``; ``params`` ends with ``Group Var``, the provider
    variance relative to the residual variance (``scale``), as statsmodels reports it.
    """

    def __init__(self, names, params, cov, *, scale, n_fe, **kw):
        super().__init__(names, params, cov, 0, **kw)
        self.use_t = False
        self.scale = float(scale)
        self.df_resid = int(self.nobs - n_fe)
        self.cov_re = pd.DataFrame([[float(params[-1]) * self.scale]], index=["Group"],
                                   columns=["Group"])
        self.pvalues = pd.Series(2 * stats.norm.sf(np.abs(self.tvalues.to_numpy())),
                                 index=self.params.index)

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Normal (z) intervals at level ``1 - alpha`` (columns 0 and 1, as statsmodels)."""
        q = stats.norm.ppf(1 - alpha / 2)
        p, b = self.params.to_numpy(), self.bse.to_numpy()
        return pd.DataFrame({0: p - q * b, 1: p + q * b}, index=self.params.index)


def mixed_intercept(y: np.ndarray, X: np.ndarray, names: list[str], codes: np.ndarray, *,
                    row_labels=None) -> MixedResult:
    """The linear mixed model with a random intercept per group of ``codes``, by REML, from
    group sums (as statsmodels' ``MixedLM(y, X, groups).fit(reml=True)``).

    With ``V_g = s2 (I + g J)`` the profile REML log-likelihood is a function of the
    variance ratio ``g`` alone, computed from ``X'X``, ``X'y``, ``y'y`` and the group
    sums of ``X`` and ``y`` (Sherman-Morrison per group); it is maximised over
    ``log g`` (and ``g = 0``). Standard errors invert statsmodels' Hessian of the
    profile log-likelihood in (coefficients, ``g``) written out for one random
    intercept, so the estimates and intervals agree with statsmodels' to its
    optimiser's tolerance (tests/test_fastfit_mixed.py). Warns as statsmodels does
    when the provider variance is near zero (the boundary).

    >>> rng = np.random.default_rng(1)
    >>> g = np.repeat(np.arange(30), 8)
    >>> x = rng.normal(size=240)
    >>> y = 1 + 0.5 * x + rng.normal(size=30)[g] + rng.normal(size=240)
    >>> r = mixed_intercept(y, np.column_stack([np.ones(240), x]), ["Intercept", "x"], g)
    >>> round(float(r.params["x"]), 2), list(r.params.index)
    (0.44, ['Intercept', 'x', 'Group Var'])
    """
    import warnings

    from scipy.optimize import minimize_scalar

    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    codes, G = group_codes(codes)
    N, k = X.shape
    fac = N - k
    ng = np.bincount(codes, minlength=G).astype(float)
    S = group_sums(X, codes, G)                       # G x k group sums of X
    ys = np.bincount(codes, y, minlength=G)           # group sums of y
    Sxx, Sxy, Syy = X.T @ X, X.T @ y, float(y @ y)

    def parts(gam):
        w = gam / (1.0 + ng * gam)
        xwx = Sxx - (S * w[:, None]).T @ S
        xwy = Sxy - S.T @ (w * ys)
        beta = np.linalg.solve(xwx, xwy)
        qf = Syy - float(w @ ys ** 2) - float(beta @ xwy)
        return beta, xwx, qf

    def negll(gam):
        _, xwx, qf = parts(gam)
        if qf <= 0:
            return np.inf
        return 0.5 * (np.sum(np.log1p(ng * gam)) + fac * np.log(qf)
                      + np.linalg.slogdet(xwx)[1])

    opt = minimize_scalar(lambda t: negll(np.exp(t)), bounds=(-25.0, 12.0), method="bounded",
                          options={"xatol": 1e-10, "maxiter": 500})
    gam = float(np.exp(opt.x)) if negll(np.exp(opt.x)) <= negll(0.0) else 0.0
    beta, xwx, qf = parts(gam)
    scale = qf / fac
    # statsmodels' Hessian (MixedLM.hessian) for one random intercept, per-group sums
    c = 1.0 / (1.0 + ng * gam)
    R = ys - S @ beta                                 # group sums of the GLS residuals
    hess_fe = -fac * xwx / qf
    hess_fere = -fac * (S.T @ (c ** 2 * R)) / qf
    D = float(np.sum(2 * ng * c ** 3 * R ** 2))
    B = float(np.sum(c ** 2 * R ** 2))
    hess_re = float(np.sum(ng ** 2 * c ** 2) / 2) - 0.5 * fac * (D / qf - B ** 2 / qf ** 2)
    xtax = (S * (c ** 2)[:, None]).T @ S
    F = (S * (2 * ng * c ** 3)[:, None]).T @ S
    QL = np.linalg.solve(xwx, xtax)
    hess_re += 0.5 * (float(np.sum(QL.T * QL)) - float(np.trace(np.linalg.solve(xwx, F))))
    hess = np.zeros((k + 1, k + 1))
    hess[:k, :k] = hess_fe
    hess[:k, k] = hess[k, :k] = hess_fere
    hess[k, k] = hess_re
    cov = np.linalg.inv(-hess)
    if gam * scale < 0.01:
        warnings.warn("The MLE may be on the boundary of the parameter space.", stacklevel=2)
    fitted = X @ beta + (gam * c * R)[codes]          # with the predicted provider effects
    return MixedResult(list(names) + ["Group Var"], np.append(beta, gam), cov, scale=scale,
                       n_fe=k, exog=X, endog=y, fitted=fitted, resid=y - fitted,
                       row_labels=row_labels)
