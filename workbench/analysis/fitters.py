"""One fitter per model kind, kept in a registry by name.

:func:`workbench.analysis.models.fit` checks a :class:`~workbench.analysis.models.ModelSpec`,
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

Another kind is added with ``registry.register("name", MyFitter())``.

>>> registry.kinds()
('ols', 'binomial', 'poisson', 'negbin', 'mixed', 'fe', 'ordinal')
>>> registry.get("tobit")
Traceback (most recent call last):
...
workbench.errors.AnalysisInputError: fit(): kind is 'tobit', an unknown kind. Expected: one of ['ols', 'binomial', 'poisson', 'negbin', 'mixed', 'fe', 'ordinal'] (the kinds with a registered fitter).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf

from workbench.data import measures as M
from workbench.errors import AnalysisInputError

if TYPE_CHECKING:  # pragma: no cover - types only
    from workbench.analysis.models import ModelSpec


class Fitter:
    """Base of the fitters: no extra checks, the prepared rows as they are."""

    #: True when the kind fits one row per provider (provider counts are then n, and
    #: the "few providers" note about clustered intervals does not apply).
    provider_level: bool = False

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


class OLSFitter(Fitter):
    """Linear model, provider-clustered standard errors (t with G-1 df)."""

    def fit(self, spec, df, groups, notes):
        res = smf.ols(spec.formula(), df).fit(cov_type="cluster", cov_kwds={"groups": groups},
                                              use_t=True)
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
    """Poisson GLM with log(``exposure``) offset; rate ratios; clustered (robust to
    overdispersion)."""

    name = "poisson"

    def fit(self, spec, df, groups, notes):
        df = df[df[spec.exposure] > 0].copy()
        groups = _groups(df, spec.cluster)
        res = smf.glm(spec.formula(), df, family=sm.families.Poisson(),
                      exposure=df[spec.exposure]).fit(
            cov_type="cluster", cov_kwds={"groups": groups})
        return res, df


class NegBinFitter(_CountFitter):
    """Negative binomial (NB2, dispersion estimated) with log(``exposure``) offset."""

    name = "negbin"

    def fit(self, spec, df, groups, notes):
        df = df[df[spec.exposure] > 0].copy()
        groups = _groups(df, spec.cluster)
        res = smf.negativebinomial(spec.formula(), df, exposure=df[spec.exposure],
                                   loglike_method="nb2").fit(
            cov_type="cluster", cov_kwds={"groups": groups}, disp=False, maxiter=300)
        if not res.mle_retvals.get("converged", True):
            notes.append("negative binomial model did not converge")
        alpha = float(res.params.get("alpha", np.nan))
        if alpha < 1e-4:
            notes.append(f"negative binomial dispersion alpha = {alpha:.2g}: the counts "
                         "look Poisson; the Poisson model is simpler")
        return res, df


class MixedFitter(Fitter):
    """Linear mixed model, random intercept (and ``random_slopes``) per provider, REML."""

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
        import patsy

        y, X = patsy.dmatrices(spec.formula(), df, return_type="dataframe")
        key = df.loc[X.index, spec.cluster].to_numpy()
        yd = y.iloc[:, 0] - y.iloc[:, 0].groupby(key).transform("mean")
        Xd = X - X.groupby(key).transform("mean")
        Xd = Xd.drop(columns=[c for c in ("Intercept",) if c in Xd.columns])
        scale = X.abs().max().replace(0, 1)
        flat = [c for c in Xd.columns if float(Xd[c].abs().max()) <= 1e-9 * float(scale[c])]
        flat_exposures = [c for c in flat if c in spec.exposures]
        if flat_exposures:
            raise AnalysisInputError(
                "fit", "exposures", f"of model {spec.label()!r} (fe) on subset "
                f"{spec.subset!r}: {flat_exposures} do not change within providers, so "
                "provider fixed effects absorb them", expected="kind='ols' or 'mixed' for them")
        Xd = Xd.drop(columns=flat)
        res = sm.OLS(yd, Xd).fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
        dropped = [c for c in flat if not c.startswith("C(month)")]
        if dropped:
            notes.append(f"absorbed by provider fixed effects (time-invariant): {dropped}")
        return res, df


class OrdinalFitter(Fitter):
    """Proportional-odds logit (``OrderedModel``) on one row per provider: the last
    rating and the provider means of the exposures and controls."""

    provider_level = True

    def rows(self, spec, df):
        num = [c for c in (*spec.exposures, *spec.adjust) if c != spec.outcome]
        agg = df.groupby(spec.cluster, observed=True).agg(
            **{c: (c, "mean") for c in num}, **{spec.outcome: (spec.outcome, "last")})
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
        return res, df


#: The fitters :func:`workbench.analysis.models.fit` knows, by kind.
registry = FitterRegistry()
registry.register("ols", OLSFitter())
registry.register("binomial", BinomialFitter())
registry.register("poisson", PoissonFitter())
registry.register("negbin", NegBinFitter())
registry.register("mixed", MixedFitter())
registry.register("fe", WithinFitter())
registry.register("ordinal", OrdinalFitter())
