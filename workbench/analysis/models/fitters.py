"""One fitter per model kind, kept in a registry by name.

:func:`workbench.analysis.models.fit` checks a :class:`~workbench.analysis.models.fit.ModelSpec`,
prepares the panel rows, looks the fitter of ``spec.kind`` up in :data:`registry` and
calls it. A fitter is a small class with three steps:

``check(spec)``
    reject a spec the kind cannot fit (e.g. a binomial model without ``trials``) before
    any data are touched;
``rows(spec, df)``
    the rows the kind fits (one row per provider for ``ordinal``; the prepared
    provider-months otherwise);
``fit(spec, df, groups, notes)``
    the statsmodels call; returns the result and the rows actually fitted, and appends
    to ``notes`` what a reader should know (overdispersion, convergence, separation).

Every fitter also says how its intervals are made (:attr:`Fitter.inference`): t with
G-1 degrees of freedom and provider-clustered (CRV1) standard errors for ``ols``, ``fe``,
``binomial``, ``poisson`` and ``negbin``; normal (z) intervals from the model-based
standard errors for ``mixed`` (REML) and ``ordinal`` (maximum likelihood, one row per
provider), whose likelihoods already model the provider structure.

Few clusters: :class:`WildClusterBootstrap` is the wild cluster restricted bootstrap
(WCR, Webb six-point weights; Cameron, Gelbach & Miller 2008; MacKinnon & Webb 2017)
for one coefficient of a linear model, inverted for its interval (the set of values
the bootstrap test does not reject). :func:`workbench.analysis.models.fit` uses it for
sector and ownership contrasts with few providers on one side.

The module stays whole (just over 400 lines) so that every kind's statsmodels call,
and the inference each states, is read in one place.

Another kind is added with ``registry.register("name", MyFitter())``.

>>> registry.kinds()
('ols', 'binomial', 'poisson', 'negbin', 'mixed', 'fe', 'ordinal')
>>> registry.get("tobit")
Traceback (most recent call last):
...
workbench.errors.AnalysisInputError: fit(): kind is 'tobit', an unknown kind. Expected: one of ['ols', 'binomial', 'poisson', 'negbin', 'mixed', 'fe', 'ordinal'] (the kinds with a registered fitter).

Why one module: it is the registry of fitters: every model kind is a small class on the same
:class:`Fitter` steps and private design helpers (``_design``, ``_rhs``, ``_groups``), and
:func:`workbench.analysis.models.fit` looks them up in one place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf

from workbench.analysis.models import fastfit
from workbench.data import measures as M
from workbench.errors import AnalysisInputError

if TYPE_CHECKING:  # pragma: no cover - types only
    from workbench.analysis.models.spec import ModelSpec


class Fitter:
    """Base of the fitters: no extra checks, the prepared rows as they are."""

    #: True when the kind fits one row per provider (provider counts are then n, and
    #: the "few providers" note about clustered intervals does not apply).
    provider_level: bool = False
    #: How intervals are made; ``{G1}`` is replaced by the number of clusters minus one.
    inference: str = "t({G1}), provider-clustered (CRV1) standard errors"

    def check(self, spec: ModelSpec) -> None:
        """Raise an :class:`~workbench.errors.AnalysisInputError` for a spec this kind
        cannot fit."""

    def rows(self, spec: ModelSpec, df: pd.DataFrame) -> pd.DataFrame:
        """The rows this kind fits, from the prepared provider-months."""
        return df

    def fit(self, spec: ModelSpec, df: pd.DataFrame, groups: np.ndarray,
            notes: list[str]) -> tuple[Any, pd.DataFrame]:
        """Fit ``spec`` on ``df`` (``groups``: cluster codes of its rows)."""
        raise NotImplementedError(f"{type(self).__name__} does not define fit()")


class FitterRegistry:
    """Fitters by model kind, in the order they were registered."""

    def __init__(self) -> None:
        self._fitters: dict[str, Fitter] = {}

    def register(self, kind: str, fitter: Fitter) -> None:
        """Register ``fitter`` for ``kind`` (replacing any fitter of that name)."""
        self._fitters[kind] = fitter

    def kinds(self) -> tuple[str, ...]:
        """Every registered kind, in registration order."""
        return tuple(self._fitters)

    def __contains__(self, kind: object) -> bool:
        return kind in self._fitters

    def get(self, kind: str, model: str = "") -> Fitter:
        """The fitter of ``kind``; an error naming the known kinds when there is none.

        ``model`` (a formula) is named in the error when given.
        """
        fitter = self._fitters.get(kind)
        if fitter is None:
            of = f"of model {model!r} " if model else ""
            raise AnalysisInputError("fit", "kind", f"{of}is {kind!r}, an unknown kind",
                                     expected=f"one of {list(self._fitters)} (the kinds with "
                                              "a registered fitter)")
        return fitter


def _groups(df: pd.DataFrame, cluster: str) -> np.ndarray:
    return df[cluster].astype("category").cat.codes.to_numpy()


def _rhs(spec: ModelSpec) -> list[str]:
    """The columns of the formula's right-hand side other than ``C(month)``."""
    return spec.terms() + [a for a in spec.adjust if a not in spec.exposures]


def _numeric(df: pd.DataFrame, cols: list[str]) -> bool:
    """True when every column is numeric (not bool: patsy codes bools as categories)."""
    return all(pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
               for c in cols)


def _design(spec: ModelSpec, df: pd.DataFrame, cols: list[str], intercept: bool = True):
    return fastfit.design(df, cols, month="month" if spec.time_effects else None,
                          intercept=intercept)


class OLSFitter(Fitter):
    """Linear model, provider-clustered standard errors (t with G-1 df).

    Fitted from cross-products (:func:`workbench.analysis.models.fastfit.ols`: statsmodels'
    ``OLS``/``WLS`` clustered fit, without the rows x columns decomposition); a formula
    with a non-numeric column goes to statsmodels itself.
    """

    def fit(self, spec, df, groups, notes):
        if spec.weights:
            df = df[df[spec.weights] > 0].copy()
            groups = _groups(df, spec.cluster)
        cols = _rhs(spec)
        if _numeric(df, cols):
            X, names = _design(spec, df, cols)
            w = df[spec.weights].to_numpy(float) if spec.weights else None
            res = fastfit.ols(df[spec.outcome].to_numpy(float), X, names,
                              df[spec.cluster].to_numpy(), weights=w, row_labels=df.index)
            return res, df
        if spec.weights:
            model = smf.wls(spec.formula(), df, weights=df[spec.weights])
        else:
            model = smf.ols(spec.formula(), df)
        res = model.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
        return res, df


class BinomialFitter(Fitter):
    """Binomial GLM of ``outcome`` positives out of ``trials``, Williams-reweighted for
    extra-binomial variation; logit (odds ratios) or identity link; clustered."""

    def check(self, spec):
        if not spec.trials:
            raise AnalysisInputError("fit", "trials", f"is missing for binomial model "
                                     f"{spec.formula()!r}",
                                     expected="the count column of trials (e.g. 'fft_responses')")
        if spec.link not in ("logit", "identity"):
            raise AnalysisInputError("fit", "link", f"is {spec.link!r} for binomial model "
                                     f"{spec.formula()!r}", expected="'logit' or 'identity'")

    def fit(self, spec, df, groups, notes):
        df = df[df[spec.trials] > 0].copy()
        df["_prop"] = df[spec.outcome] / df[spec.trials]
        groups = _groups(df, spec.cluster)
        fam = sm.families.Binomial(link=sm.families.links.Identity()
                                   if spec.link == "identity" else sm.families.links.Logit())
        f_prop = spec.formula().replace(spec.outcome, "_prop", 1)
        trials = df[spec.trials].to_numpy(dtype=float)
        cols = _rhs(spec)
        if spec.link == "logit" and _numeric(df, cols):
            # IRLS from cross-products (workbench.analysis.models.fastfit.glm): statsmodels'
            # clustered GLM fit without the rows x columns decomposition
            X, names = _design(spec, df, cols)
            prop, cl = df["_prop"].to_numpy(float), df[spec.cluster].to_numpy()
            first = fastfit.glm(prop, X, names, cl, family="binomial", var_weights=trials)
            phi = williams_phi(first, prop, trials)
            res = fastfit.glm(prop, X, names, cl, family="binomial",
                              var_weights=trials / (1.0 + (trials - 1.0) * phi),
                              row_labels=df.index)
        else:
            first = smf.glm(f_prop, df, family=fam, var_weights=trials).fit()
            phi = williams_phi(first, df["_prop"].to_numpy(), trials)
            res = smf.glm(f_prop, df, family=fam,
                          var_weights=trials / (1.0 + (trials - 1.0) * phi)).fit(
                cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
        if phi > 0.01:
            notes.append(f"extra-binomial variation: Williams phi = {phi:.2g}")
        fitted = np.asarray(res.fittedvalues)
        if spec.link == "identity" and np.any((fitted <= 0) | (fitted >= 1)):
            notes.append(f"{int(np.sum((fitted <= 0) | (fitted >= 1)))} fitted proportions "
                         "outside (0, 1): the identity link is strained (separation)")
        thin_cells = int(np.sum(trials < 5))
        if thin_cells:
            notes.append(f"{thin_cells} provider-months with fewer than 5 trials "
                         f"({spec.trials})")
        return res, df


def williams_phi(first, prop: np.ndarray, trials: np.ndarray) -> float:
    """Williams' (1982) extra-binomial dispersion phi, by the method of moments.

    Var(y/n) = p(1-p)/n * (1 + (n-1) phi). Solved so that the Pearson statistic of
    the reweighted model equals its residual degrees of freedom; 0 when the data
    show no overdispersion (``first`` is the binomial fit with weights ``trials``).

    >>> from types import SimpleNamespace
    >>> flat = SimpleNamespace(fittedvalues=np.full(4, 0.5), params=[0.0])
    >>> williams_phi(flat, np.array([0.5, 0.5, 0.5, 0.5]), np.full(4, 10.0))
    0.0
    """
    mu = np.clip(np.asarray(first.fittedvalues), 1e-6, 1 - 1e-6)
    base = mu * (1 - mu) / trials
    resid2 = (prop - mu) ** 2
    dof = max(len(prop) - len(first.params), 1)

    def pearson(phi: float) -> float:
        return float(np.sum(resid2 / (base * (1 + (trials - 1) * phi)))) - dof

    if pearson(0.0) <= 0:
        return 0.0
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if pearson(mid) > 0 else (lo, mid)
    return (lo + hi) / 2


class _CountFitter(Fitter):
    """Shared check of the count models: an ``exposure`` for the log offset."""

    name = ""

    def check(self, spec):
        if not spec.exposure:
            raise AnalysisInputError("fit", "exposure", f"is missing: model {spec.formula()!r} "
                                     f"({self.name}) needs `exposure` for its log offset",
                                     expected="a count column such as 'episodes'")


class PoissonFitter(_CountFitter):
    """Poisson GLM with log(``exposure``) offset; rate ratios; provider-clustered errors
    (robust to overdispersion), t intervals with G-1 degrees of freedom like ``ols``."""

    name = "poisson"

    def fit(self, spec, df, groups, notes):
        df = df[df[spec.exposure] > 0].copy()
        groups = _groups(df, spec.cluster)
        cols = _rhs(spec)
        absorbed = spec.cluster in cols  # provider effects as a factor of the model
        rest = [c for c in cols if c != spec.cluster]
        if _numeric(df, rest):
            # IRLS from cross-products; provider effects (a factor nested in the clusters)
            # absorbed in each step: the dummy-variable GLM's estimates and clustered
            # intervals of the other terms (workbench.analysis.models.fastfit.glm)
            X, names = _design(spec, df, rest, intercept=not absorbed)
            res = fastfit.glm(df[spec.outcome].to_numpy(float), X, names,
                              df[spec.cluster].to_numpy(), family="poisson",
                              offset=np.log(df[spec.exposure].to_numpy(float)),
                              absorb=df[spec.cluster].to_numpy() if absorbed else None,
                              row_labels=df.index)
            return res, df
        res = smf.glm(spec.formula(), df, family=sm.families.Poisson(),
                      exposure=df[spec.exposure]).fit(
            cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
        return res, df


class NegBinFitter(_CountFitter):
    """Negative binomial (NB2, dispersion estimated) with log(``exposure``) offset;
    provider-clustered errors, t intervals with G-1 degrees of freedom."""

    name = "negbin"

    def fit(self, spec, df, groups, notes):
        df = df[df[spec.exposure] > 0].copy()
        groups = _groups(df, spec.cluster)
        res = smf.negativebinomial(spec.formula(), df, exposure=df[spec.exposure],
                                   loglike_method="nb2").fit(
            cov_type="cluster", cov_kwds={"groups": groups}, use_t=True, disp=False,
            maxiter=300)
        if not res.mle_retvals.get("converged", True):
            notes.append("negative binomial model did not converge")
        alpha = float(res.params.get("alpha", np.nan))
        if alpha < 1e-4:
            notes.append(f"negative binomial dispersion alpha = {alpha:.2g}: the counts "
                         "look Poisson; the Poisson model is simpler")
        return res, df


class MixedFitter(Fitter):
    """Linear mixed model, random intercept (and ``random_slopes``) per provider, REML.

    With ``spec.within_between`` each exposure x enters as its provider mean
    (``x__between``) and the deviation from it (``x__within``): the within/between
    ("hybrid", Mundlak 1978; Allison 2009) split, whose within coefficient equals the
    fixed-effects estimate and whose between coefficient is the difference between
    providers' average levels.
    """

    inference = "z (normal), model-based REML standard errors"

    def rows(self, spec, df):
        if not spec.within_between:
            return df
        df = df.copy()
        for x in spec.exposures:
            mean = df.groupby(spec.cluster, observed=True)[x].transform("mean")
            df[f"{x}__between"] = mean
            df[f"{x}__within"] = df[x] - mean
        return df

    def fit(self, spec, df, groups, notes):
        re_formula = ("~ 1 + " + " + ".join(spec.random_slopes)) if spec.random_slopes \
            else None
        res = smf.mixedlm(spec.formula(), df, groups=df[spec.cluster],
                          re_formula=re_formula).fit(reml=True)
        if not res.converged:
            notes.append("mixed model did not converge")
        if spec.random_slopes:
            cov = np.asarray(res.cov_re)
            if np.any(np.diag(cov) < 1e-8):
                notes.append("a random-effect variance is estimated at zero (boundary): "
                             "the random slope may not be needed")
        return res, df


class WithinFitter(Fitter):
    """OLS on provider-demeaned data (the within estimator), clustered by provider.

    Demeaning every column, month dummies included, by provider is exactly the
    regression with a dummy per provider (Frisch-Waugh-Lovell), without estimating
    the provider dummies. Degrees of freedom count only the non-absorbed columns,
    since the fixed effects are nested within the clusters (as Stata's ``xtreg, fe``).
    """

    def fit(self, spec, df, groups, notes):
        cols = _rhs(spec)
        if not _numeric(df, cols):
            return self._fit_patsy(spec, df, groups, notes)
        X, names = _design(spec, df, cols, intercept=False)
        codes, G = fastfit.group_codes(df[spec.cluster].to_numpy())
        y = df[spec.outcome].to_numpy(float)
        yd, Xd = fastfit.within(y, codes, G), fastfit.within(X, codes, G)
        scale = np.abs(X).max(axis=0) if len(X) else np.ones(len(names))
        scale = np.where(scale == 0, 1.0, scale)
        spread = np.abs(Xd).max(axis=0) if len(X) else np.zeros(len(names))
        flat = [c for c, s, sc in zip(names, spread, scale) if s <= 1e-9 * sc]
        self._check_flat(spec, flat)
        keep = [j for j, c in enumerate(names) if c not in flat]
        Xd = Xd[:, keep]
        res = fastfit.ols(yd, Xd, [names[j] for j in keep], df[spec.cluster].to_numpy(),
                          row_labels=df.index)
        self._note_dropped(flat, notes)
        return res, df

    @staticmethod
    def _check_flat(spec, flat):
        flat_exposures = [c for c in flat if c in spec.exposures]
        if flat_exposures:
            raise AnalysisInputError(
                "fit", "exposures", f"of model {spec.label()!r} (fe) on subset "
                f"{spec.subset!r}: {flat_exposures} do not change within providers, so "
                "provider fixed effects absorb them", expected="kind='ols' or 'mixed' for them")

    @staticmethod
    def _note_dropped(flat, notes):
        dropped = [c for c in flat if not c.startswith("C(month)")]
        if dropped:
            notes.append(f"absorbed by provider fixed effects (time-invariant): {dropped}")

    def _fit_patsy(self, spec, df, groups, notes):
        """The within fit through patsy and statsmodels (formulas with categories)."""
        import patsy

        y, X = patsy.dmatrices(spec.formula(), df, return_type="dataframe")
        key = df.loc[X.index, spec.cluster].to_numpy()
        yd = y.iloc[:, 0] - y.iloc[:, 0].groupby(key).transform("mean")
        Xd = X - X.groupby(key).transform("mean")
        Xd = Xd.drop(columns=[c for c in ("Intercept",) if c in Xd.columns])
        scale = X.abs().max().replace(0, 1)
        flat = [c for c in Xd.columns if float(Xd[c].abs().max()) <= 1e-9 * float(scale[c])]
        self._check_flat(spec, flat)
        Xd = Xd.drop(columns=flat)
        res = sm.OLS(yd, Xd).fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
        dropped = [c for c in flat if not c.startswith("C(month)")]
        if dropped:
            notes.append(f"absorbed by provider fixed effects (time-invariant): {dropped}")
        return res, df


class OrdinalFitter(Fitter):
    """Proportional-odds logit (``OrderedModel``) on one row per provider: the last
    rating and the provider means of the exposures and controls over the
    ``spec.rating_window`` months up to the date of that rating (never after it: an
    exposure measured after the inspection cannot explain its rating).

    The rating date is the column ``spec.rating_date`` when given (the date the rating
    was published); otherwise the first month of the provider's final run of the same
    rating (the rating was in force from then, so it was issued then or earlier; in a
    panel whose ratings never change, the panel's first month). Proportional odds is
    checked by the Brant (1990) test (:func:`brant_test`), written into the fit's notes
    when it rejects at 5% and into ``Fit.checks`` always.
    """

    provider_level = True
    inference = "z (normal), model-based maximum-likelihood standard errors"

    def rows(self, spec, df):
        num = [c for c in (*spec.exposures, *spec.adjust) if c != spec.outcome]
        df = df.sort_values([spec.cluster, "period"])
        if spec.rating_date:
            when = pd.to_datetime(df.groupby(spec.cluster, observed=True)[spec.rating_date]
                                  .transform("last"))
        else:
            code = df[spec.outcome].astype(str)
            change = code.ne(code.groupby(df[spec.cluster], observed=True).shift())
            run = change.astype(int).groupby(df[spec.cluster], observed=True).cumsum()
            last_run = run.groupby(df[spec.cluster], observed=True).transform("max")
            when = df["period"].where(run == last_run).groupby(
                df[spec.cluster], observed=True).transform("min")
        start = when - pd.DateOffset(months=max(int(spec.rating_window), 1) - 1)
        window = df[(df["period"] <= when) & (df["period"] >= start)]
        last = df.groupby(spec.cluster, observed=True)[spec.outcome].last()
        agg = window.groupby(spec.cluster, observed=True).agg(
            **{c: (c, "mean") for c in num}, _months=("period", "nunique"))
        agg[spec.outcome] = last.reindex(agg.index)
        agg = agg.reset_index()
        agg[spec.outcome] = pd.Categorical(agg[spec.outcome], categories=list(M.CQC_LEVELS),
                                           ordered=True)
        return agg

    def fit(self, spec, df, groups, notes):
        from statsmodels.miscmodels.ordinal_model import OrderedModel

        exog = df[list(spec.exposures) + [a for a in spec.adjust if a not in spec.exposures]]
        endog = df[spec.outcome].cat.remove_unused_categories()
        empty = sorted(set(M.CQC_LEVELS) - set(endog.cat.categories))
        if empty:
            notes.append(f"no provider rated {empty}: those categories are left out")
        if len(endog.cat.categories) < 2:
            raise AnalysisInputError(
                "fit", "outcome", f"{spec.outcome!r} of model {spec.formula()!r} on subset "
                f"{spec.subset!r} is the same rating for every provider; nothing to compare",
                expected="at least two different ratings")
        res = OrderedModel(endog, exog.astype(float), distr="logit").fit(
            method="bfgs", disp=False, maxiter=2000)
        if not res.mle_retvals.get("converged", True):
            notes.append("ordinal model did not converge")
        counts = df[spec.outcome].value_counts()
        thin = [str(k) for k, v in counts.items() if 0 < v < 5]
        if thin:
            notes.append(f"thin rating categories (<5 providers): {thin}")
        bse = np.asarray(res.bse, dtype=float)[:exog.shape[1]]
        if not np.all(np.isfinite(bse)) or np.any(np.abs(
                np.asarray(res.params)[:exog.shape[1]]) * exog.astype(float).std().to_numpy()
                > 15):
            notes.append("possible separation: a coefficient or its standard error is "
                         "extreme (some exposure nearly determines the rating)")
        brant = brant_test(exog.astype(float), endog)
        res.brant = brant
        if brant.get("p_value") is not None and brant["p_value"] < 0.05:
            notes.append(f"proportional odds rejected (Brant test chi2 = {brant['chi2']:.1f}, "
                         f"df = {brant['df']}, p = {brant['p_value']:.3f}): the effect differs "
                         "between rating thresholds; read it as an average over them")
        return res, df


def brant_test(exog: pd.DataFrame, endog: pd.Series) -> dict[str, Any]:
    """Brant's (1990) Wald test of proportional odds.

    One binary logit per threshold (rating above category j, j = 1..J-1) is fitted; the
    test asks whether their slopes are equal, using the joint covariance of the J-1
    fits (Brant's formula: cov(b_j, b_l) = (X'W_jj X)^-1 X'W_jl X (X'W_ll X)^-1 with
    w_jl = p_l (1 - p_j), j <= l). Returns ``chi2``, ``df`` = k (J - 2) and ``p_value``;
    ``p_value`` is None (and ``reason`` says why) with fewer than three categories or
    when a threshold's logit cannot be fitted (separation).

    >>> rng = np.random.default_rng(0)
    >>> x = pd.DataFrame({"x": rng.normal(size=400)})
    >>> y = pd.Series(pd.cut(x["x"] + rng.logistic(size=400), [-9, -1, 1, 9]).cat.codes)
    >>> r = brant_test(x, y)
    >>> r["df"], bool(r["p_value"] > 0.01)
    (1, True)
    """
    from scipy import stats
    from statsmodels.tools.sm_exceptions import PerfectSeparationError

    codes = pd.Series(endog).astype("category").cat.codes.to_numpy() if not \
        pd.api.types.is_integer_dtype(endog) else np.asarray(endog)
    levels = np.unique(codes)
    X = np.column_stack([np.ones(len(codes)), np.asarray(exog, dtype=float)])
    k = X.shape[1] - 1
    if len(levels) < 3:
        return {"chi2": None, "df": 0, "p_value": None,
                "reason": "fewer than three rating categories"}
    betas, probs = [], []
    for cut in levels[:-1]:
        z = (codes > cut).astype(float)
        try:
            fit = sm.Logit(z, X).fit(disp=0, maxiter=200)
        except (np.linalg.LinAlgError, ValueError, PerfectSeparationError) as exc:
            return {"chi2": None, "df": k * (len(levels) - 2), "p_value": None,
                    "reason": f"threshold logit failed ({type(exc).__name__})"}
        betas.append(np.asarray(fit.params))
        probs.append(np.asarray(fit.predict(X)))
    m = len(betas)
    inv = [np.linalg.pinv((X * (p * (1 - p))[:, None]).T @ X) for p in probs]
    V = np.zeros((m * k, m * k))
    for j in range(m):
        for ll in range(j, m):
            w = probs[ll] * (1 - probs[j])
            block = (inv[j] @ ((X * w[:, None]).T @ X) @ inv[ll])[1:, 1:]
            V[j * k:(j + 1) * k, ll * k:(ll + 1) * k] = block
            V[ll * k:(ll + 1) * k, j * k:(j + 1) * k] = block.T
    b = np.concatenate([bb[1:] for bb in betas])
    D = np.zeros(((m - 1) * k, m * k))
    for j in range(1, m):
        D[(j - 1) * k:j * k, :k] = np.eye(k)
        D[(j - 1) * k:j * k, j * k:(j + 1) * k] = -np.eye(k)
    d = D @ b
    chi2 = float(d @ np.linalg.pinv(D @ V @ D.T) @ d)
    df = (m - 1) * k
    return {"chi2": chi2, "df": df, "p_value": float(stats.chi2.sf(chi2, df)), "reason": ""}


#: Webb's six-point weights (mean 0, variance 1), for wild bootstraps with few clusters.
WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


#: Relative tolerance within which a bootstrap |t*| counts as a tie with the observed |t|.
TIE_RTOL = 1e-9


def exceedance(t_boot: np.ndarray, t_obs: float) -> float:
    """Share of bootstrap statistics at least as extreme as the observed one (two-sided).

    Ties up to a relative ``TIE_RTOL`` count as at least as extreme, so that the share
    does not depend on the last bit of floating point.

    >>> float(exceedance(np.array([1.0, -2.0, 0.5, 2.0 + 1e-13]), 2.0))
    0.5
    """
    ref = abs(t_obs)
    return float(np.mean(np.abs(t_boot) >= ref - TIE_RTOL * max(ref, 1.0)))


class WildClusterBootstrap:
    """Wild cluster restricted (WCR) bootstrap of coefficient ``j`` in ``y = X b + e``.

    For a hypothesised value r the null b_j = r is imposed (residuals of the regression
    of y - r x_j on the other columns), those residuals are multiplied cluster by
    cluster by Webb weights, and the CRV1 t statistic of each bootstrap sample is
    compared with the observed one: :meth:`p_value`. The restricted residuals are linear
    in r, so every r reuses one set of per-cluster products and the same ``n_boot``
    weight draws (``seed``): :meth:`interval` inverts the test by bisection, giving
    the values of b_j not rejected at level 1 - ``level``. Rows may carry ``weights``
    (weighted least squares: both sides multiplied by their square root).

    >>> rng = np.random.default_rng(1)
    >>> g = np.repeat(np.arange(30), 10); x = (g < 6).astype(float)
    >>> y = 0.5 * x + rng.normal(size=30)[g] + rng.normal(size=300)
    >>> wb = WildClusterBootstrap(np.column_stack([np.ones(300), x]), y, g, 1, n_boot=499)
    >>> lo, hi = wb.interval(0.95)
    >>> bool(lo < wb.estimate < hi), bool(wb.p_value(wb.estimate) > 0.9)
    (True, True)
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, groups: np.ndarray, j: int, *,
                 n_boot: int = 999, seed: int = 0, weights: np.ndarray | None = None):
        X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
        if weights is not None:
            sw = np.sqrt(np.asarray(weights, dtype=float))
            X, y = X * sw[:, None], y * sw
        codes = pd.Series(groups).astype("category").cat.codes.to_numpy()
        G, (n, k) = int(codes.max()) + 1, X.shape
        if G < 3:
            raise AnalysisInputError("WildClusterBootstrap", "groups", f"has {G} cluster(s)",
                                     expected="at least 3 clusters")
        inv = np.linalg.pinv(X.T @ X)
        beta = inv @ (X.T @ y)
        a = (inv @ X.T)[j]
        Xr = np.delete(X, j, axis=1)
        proj = np.linalg.pinv(Xr.T @ Xr) @ Xr.T
        u0, u1 = y - Xr @ (proj @ y), X[:, j] - Xr @ (proj @ X[:, j])
        self.s0 = np.bincount(codes, a * u0, minlength=G)
        self.s1 = np.bincount(codes, a * u1, minlength=G)
        Ag, q0, q1 = np.zeros((G, k)), np.zeros((G, k)), np.zeros((G, k))
        np.add.at(Ag, codes, X * a[:, None])
        np.add.at(q0, codes, X * u0[:, None])
        np.add.at(q1, codes, X * u1[:, None])
        C = Ag @ inv
        self.H0, self.H1 = C @ q0.T, C @ q1.T
        self.ssc = G / (G - 1) * (n - 1) / max(n - k, 1)
        score = np.bincount(codes, a * (y - X @ beta), minlength=G)
        self.estimate = float(beta[j])
        self.se = float(np.sqrt(self.ssc * np.sum(score ** 2)))
        self.v = np.random.default_rng(seed).choice(WEBB, size=(G, int(n_boot)))
        self.clusters, self.n_boot, self.seed = G, int(n_boot), seed

    def statistics(self, r: float = 0.0) -> tuple[np.ndarray, float]:
        """The bootstrap t statistics of b_j = r (one per weight draw) and the observed one."""
        s = self.s0 - r * self.s1
        d = self.v * s[:, None] - (self.H0 - r * self.H1) @ self.v
        den = np.sqrt(self.ssc * np.sum(d ** 2, axis=0))
        t_boot = (s @ self.v) / np.where(den > 0, den, np.inf)
        t_obs = (self.estimate - r) / self.se if self.se > 0 else np.inf
        return t_boot, float(t_obs)

    def p_value(self, r: float = 0.0) -> float:
        """Bootstrap p-value of b_j = r (two-sided, symmetric).

        A draw whose |t*| equals |t| up to rounding (relative ``TIE_RTOL``) counts as at
        least as extreme, so an exact tie (the all-ones draw of a full enumeration
        reproduces t) is counted the same way whatever the machine's floating point.
        """
        t_boot, t_obs = self.statistics(r)
        return exceedance(t_boot, t_obs)

    def interval(self, level: float = 0.95, *, limit: float = 100.0) -> tuple[float, float]:
        """The values of b_j the bootstrap test does not reject at ``1 - level``.

        Searched up to ``limit`` standard errors from the estimate; an end that reaches
        the limit is returned there and :attr:`unbounded` records it.
        """
        alpha = 1 - level
        self.unbounded = False
        ends = []
        for sign in (-1.0, 1.0):
            inner, step = 0.0, 1.0
            outer = None
            while step <= limit:
                if self.p_value(self.estimate + sign * step * self.se) < alpha:
                    outer = step
                    break
                inner, step = step, step * 2
            if outer is None:
                self.unbounded = True
                ends.append(self.estimate + sign * limit * self.se)
                continue
            for _ in range(40):
                mid = (inner + outer) / 2
                if self.p_value(self.estimate + sign * mid * self.se) < alpha:
                    outer = mid
                else:
                    inner = mid
                if outer - inner < 1e-4:
                    break
            ends.append(self.estimate + sign * (inner + outer) / 2 * self.se)
        return float(ends[0]), float(ends[1])


#: The fitters :func:`workbench.analysis.models.fit` knows, by kind.
registry = FitterRegistry()
registry.register("ols", OLSFitter())
registry.register("binomial", BinomialFitter())
registry.register("poisson", PoissonFitter())
registry.register("negbin", NegBinFitter())
registry.register("mixed", MixedFitter())
registry.register("fe", WithinFitter())
registry.register("ordinal", OrdinalFitter())
