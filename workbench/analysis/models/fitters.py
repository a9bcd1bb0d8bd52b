"""One fitter per model kind, kept in a registry by name: all a kind knows about itself.

:func:`workbench.analysis.models.fit.fit` looks the fitter of ``spec.kind`` up in
:data:`registry` and asks it, never the kind's name, what to do. A fitter is a small
class (:class:`Fitter`) with what its kind knows:

``options``
    the spec fields only some kinds use (:data:`~workbench.analysis.models.spec.KIND_OPTIONS`:
    ``weights``, ``trials``, ``exposure``, ``link``, ``random_slopes``, ``within_between``,
    ``rating_date``, ``rating_window``, a bootstrap ``inference``) that this kind uses;
    ``fit()`` rejects a spec that sets any other, naming the kinds that use it;
``check(spec)``
    reject a spec the kind cannot fit (e.g. a binomial model without ``trials``) before
    any data are touched;
``rows(spec, df)``
    the rows the kind fits, from the prepared provider-months (one row per provider
    for ``ordinal``; the provider mean and deviation columns of a within/between split);
``fit(spec, df, groups, notes)``
    the statsmodels call; returns the result and the rows actually fitted, and appends
    to ``notes`` what a reader should know (overdispersion, convergence, separation);
``inference_of(result, clusters)`` and ``checks(result)``
    how its intervals are made (:attr:`Fitter.inference`: t with G-1 degrees of freedom
    and provider-clustered (CRV1) standard errors for ``ols``, ``fe``, ``binomial``,
    ``poisson`` and ``negbin``; normal (z) intervals from the model-based standard errors
    for ``mixed`` (REML) and ``ordinal`` (maximum likelihood, one row per provider), whose
    likelihoods already model the provider structure), and the checks of its assumptions
    (the Brant test of ``ordinal``);
``bootstrap(spec, rows, terms)``
    the wild cluster bootstrap of some terms, for kinds that have one (``ols``:
    :class:`~workbench.analysis.models.bootstrap.WildClusterBootstrap`), used by
    ``fit()`` for sector and ownership contrasts with few providers on one side;
``month_effects`` and ``label(spec)``
    how the kind's formula reads (no month effects in the provider-level ``ordinal``
    model; what the formula leaves out: provider fixed effects, random effects).

Another kind is added with ``registry.register("name", MyFitter())``.

>>> registry.kinds()
('ols', 'binomial', 'poisson', 'negbin', 'mixed', 'fe', 'ordinal')
>>> registry.kinds_with("exposure")
('poisson', 'negbin')
>>> registry.get("tobit")
Traceback (most recent call last):
...
workbench.errors.AnalysisInputError: fit(): kind is 'tobit', an unknown kind. Expected: one of ['ols', 'binomial', 'poisson', 'negbin', 'mixed', 'fe', 'ordinal'] (the kinds with a registered fitter).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf

from workbench.analysis.findings import formatting
from workbench.analysis.models import fastfit
from workbench.analysis.models.bootstrap import WildClusterBootstrap
from workbench.data import measures as M
from workbench.errors import AnalysisInputError

# A fitter's ``spec`` is a :class:`workbench.analysis.models.spec.ModelSpec`; this module
# does not import it (the spec asks the registry how its kind's formula reads).


class Fitter:
    """Base of the fitters: no options, no extra checks, the prepared rows as they are,
    month effects in the formula and no bootstrap.
    """

    #: True when the kind fits one row per provider (provider counts are then n, and
    #: the "few providers" note about clustered intervals does not apply).
    provider_level: bool = False
    #: How intervals are made; ``{G1}`` is replaced by the number of clusters minus one.
    inference: str = "t({G1}), provider-clustered (CRV1) standard errors"
    #: The spec fields of :data:`~workbench.analysis.models.spec.KIND_OPTIONS` this kind uses.
    options: frozenset[str] = frozenset()
    #: False when the kind fits no month effects (its formula then leaves out ``C(month)``).
    month_effects: bool = True

    def check(self, spec) -> None:
        """Raise an :class:`~workbench.errors.AnalysisInputError` for a spec this kind
        cannot fit.
        """

    def rows(self, spec, df: pd.DataFrame) -> pd.DataFrame:
        """The rows this kind fits, from the prepared provider-months."""
        return df

    def fit(self, spec, df: pd.DataFrame, groups: np.ndarray,
            notes: list[str]) -> tuple[Any, pd.DataFrame]:
        """Fit ``spec`` on ``df`` (``groups``: cluster codes of its rows)."""
        raise NotImplementedError(f"{type(self).__name__} does not define fit()")

    def label(self, spec) -> str:
        """What the kind's formula leaves out, as written after it in findings."""
        return ""

    def inference_of(self, result, clusters: int) -> str:
        """How the intervals of ``result`` are made (:attr:`inference` with its degrees
        of freedom).
        """
        return self.inference.replace("{G1}", str(int(clusters) - 1))

    def checks(self, result) -> dict[str, Any]:
        """Checks of the kind's assumptions on ``result`` (``Fit.checks``)."""
        return {}

    def bootstrap(self, spec, rows: pd.DataFrame,
                  terms: list[str]) -> dict[str, WildClusterBootstrap]:
        """Wild cluster bootstraps of ``terms`` fitted on ``rows``; only kinds with the
        ``inference`` option have them (none here).
        """
        return {}


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

    def find(self, kind: str) -> Fitter | None:
        """The fitter of ``kind``, or None when no fitter is registered for it."""
        return self._fitters.get(kind)

    def kinds_with(self, option: str) -> tuple[str, ...]:
        """The kinds whose fitter uses the spec option ``option`` (:attr:`Fitter.options`)."""
        return tuple(k for k, f in self._fitters.items() if option in f.options)

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


def _rhs(spec) -> list[str]:
    """The columns of the formula's right-hand side other than ``C(month)``."""
    return spec.terms() + [a for a in spec.adjust if a not in spec.exposures]


def _numeric(df: pd.DataFrame, cols: list[str]) -> bool:
    """True when every column is numeric (not bool: patsy codes bools as categories)."""
    return all(pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
               for c in cols)


def _design(spec, df: pd.DataFrame, cols: list[str], intercept: bool = True):
    return fastfit.design(df, cols, month="month" if spec.time_effects else None,
                          intercept=intercept)


class OLSFitter(Fitter):
    """Linear model, provider-clustered standard errors (t with G-1 df).

    Fitted from cross-products (:func:`workbench.analysis.models.fastfit.ols`: statsmodels'
    ``OLS``/``WLS`` clustered fit, without the rows x columns decomposition); a formula
    with a non-numeric column goes to statsmodels itself. ``weights`` make it weighted
    least squares; :meth:`bootstrap` is the wild cluster bootstrap of its terms.
    """

    options = frozenset({"weights", "inference"})

    def fit(self, spec, df, groups, notes):
        """The provider-clustered least-squares fit, on the rows with positive ``weights``
        when weighted: from cross-products when every column is numeric, else statsmodels'
        ``OLS``/``WLS``.
        """
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

    def bootstrap(self, spec, rows, terms):
        """A :class:`~workbench.analysis.models.bootstrap.WildClusterBootstrap` (WCR, Webb
        weights, ``spec.n_boot`` draws, ``spec.seed``) of each term, on the fitted rows
        (weighted by ``spec.weights`` when given).
        """
        import patsy

        y, X = patsy.dmatrices(spec.formula(), rows, return_type="dataframe")
        kept = rows.loc[X.index]
        w = kept[spec.weights].to_numpy(float) if spec.weights else None
        columns = list(X.columns)
        return {term: WildClusterBootstrap(
            X.to_numpy(), y.iloc[:, 0].to_numpy(), kept[spec.cluster].to_numpy(),
            columns.index(term), n_boot=spec.n_boot, seed=spec.seed, weights=w)
            for term in terms}


class BinomialFitter(Fitter):
    """Binomial GLM of ``outcome`` positives out of ``trials``, Williams-reweighted for
    extra-binomial variation; logit (odds ratios) or identity link; clustered.
    """

    options = frozenset({"trials", "link"})

    def check(self, spec):
        """Reject a binomial spec without ``trials`` or with a link other than logit or
        identity.
        """
        if not spec.trials:
            raise AnalysisInputError("fit", "trials", f"is missing for binomial model "
                                     f"{spec.formula()!r}",
                                     expected="the count column of trials (e.g. 'fft_responses')")
        if spec.link not in ("logit", "identity"):
            raise AnalysisInputError("fit", "link", f"is {spec.link!r} for binomial model "
                                     f"{spec.formula()!r}", expected="'logit' or 'identity'")

    def fit(self, spec, df, groups, notes):
        """The share ``outcome / trials`` fitted on the rows with trials, reweighted by
        Williams' phi (:func:`williams_phi`) and clustered; notes the overdispersion, fitted
        shares outside (0, 1) under the identity link and provider-months with few trials.
        """
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
            notes.append(f"extra-binomial variation: Williams phi = {formatting.number(phi, 2)}")
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
    options = frozenset({"exposure"})

    def check(self, spec):
        if not spec.exposure:
            raise AnalysisInputError("fit", "exposure", f"is missing: model {spec.formula()!r} "
                                     f"({self.name}) needs `exposure` for its log offset",
                                     expected="a count column such as 'episodes'")


class PoissonFitter(_CountFitter):
    """Poisson GLM with log(``exposure``) offset; rate ratios; provider-clustered errors
    (robust to overdispersion), t intervals with G-1 degrees of freedom like ``ols``.
    """

    name = "poisson"

    def fit(self, spec, df, groups, notes):
        """The clustered Poisson fit on the rows with positive ``exposure``: IRLS from
        cross-products when every column is numeric (provider effects in the formula
        absorbed), else statsmodels' ``GLM``.
        """
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
    provider-clustered errors, t intervals with G-1 degrees of freedom.
    """

    name = "negbin"

    def fit(self, spec, df, groups, notes):
        """The clustered NB2 fit of statsmodels on the rows with positive ``exposure``;
        notes when it does not converge and when the dispersion is so small that the counts
        look Poisson.
        """
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
            notes.append(f"negative binomial dispersion alpha = {formatting.number(alpha, 2)}: "
                         "the counts "
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
    options = frozenset({"random_slopes", "within_between"})

    def check(self, spec):
        """Reject ``random_slopes`` that are neither exposures nor controls of the model."""
        stray = [r for r in spec.random_slopes if r not in (*spec.exposures, *spec.adjust)]
        if stray:
            raise AnalysisInputError("fit", "random_slopes", f"of model {spec.formula()!r} "
                                     f"(mixed): random slopes {stray} are not in the model",
                                     expected=f"exposures or controls of the model: "
                                              f"{[*spec.exposures, *spec.adjust]}")

    def label(self, spec):
        """The random effects, written as lme4 does: ``" + (1 + slope | provider_code)"``."""
        return f" + (1{''.join(' + ' + r for r in spec.random_slopes)} | {spec.cluster})"

    def rows(self, spec, df):
        """The prepared rows, with each exposure's ``__between`` and ``__within`` columns
        when ``spec.within_between`` asks for the split.
        """
        if not spec.within_between:
            return df
        df = df.copy()
        for x in spec.exposures:
            mean = df.groupby(spec.cluster, observed=True)[x].transform("mean")
            df[f"{x}__between"] = mean
            df[f"{x}__within"] = df[x] - mean
        return df

    def fit(self, spec, df, groups, notes):
        """The REML fit of statsmodels' ``MixedLM``, grouped by provider (a random
        intercept alone on numeric columns: :func:`~workbench.analysis.models.fastfit.
        mixed_intercept`, the same fit from group sums); notes when it does not converge
        and when a random slope's variance is estimated at zero.
        """
        cols = _rhs(spec)
        if not spec.random_slopes and _numeric(df, cols):
            # a random intercept only: REML from group sums, statsmodels' estimates and
            # standard errors to its optimiser's tolerance (fastfit.mixed_intercept)
            X, names = _design(spec, df, cols)
            return fastfit.mixed_intercept(df[spec.outcome].to_numpy(float), X, names,
                                           df[spec.cluster].to_numpy(),
                                           row_labels=df.index), df
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

    def label(self, spec):
        """``" + provider fixed effects"``: the provider dummies the formula leaves out."""
        return " + provider fixed effects"

    def fit(self, spec, df, groups, notes):
        """The within fit from cross-products when every column is numeric (else
        :meth:`fit_formula`): columns that do not change within providers are dropped and
        noted, and an exposure among them is an error.
        """
        cols = _rhs(spec)
        if not _numeric(df, cols):
            return self.fit_formula(spec, df, groups, notes)
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

    def fit_formula(self, spec, df, groups, notes):
        """The within fit through patsy and statsmodels: :meth:`fit` for formulas with a
        non-numeric column, and the reference its cross-product path is checked against.
        """
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
        self._note_dropped(flat, notes)
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
    options = frozenset({"rating_date", "rating_window"})
    month_effects = False

    def rows(self, spec, df):
        """One row per provider: its last rating (ordered Inadequate to Outstanding) and
        the means of the exposures and controls over the rating window, with ``_months``
        the number of months the window holds.
        """
        num = [c for c in (*spec.exposures, *spec.adjust) if c != spec.outcome]
        df = df.assign(**{spec.outcome: pd.Categorical(
            df[spec.outcome], categories=list(M.CQC_LEVELS), ordered=True)})
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
        """The logit ``OrderedModel`` of statsmodels on the provider rows, with the Brant
        test kept on the result; notes empty and thin rating categories, non-convergence,
        possible separation and a rejected proportional-odds assumption.
        """
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
            notes.append("proportional odds rejected (Brant test chi2 = "
                         f"{formatting.fixed(brant['chi2'], 1)}, df = {brant['df']}, "
                         f"{formatting.p_equals(brant['p_value'])}): the effect differs "
                         "between rating thresholds; read it as an average over them")
        return res, df

    def inference_of(self, result, clusters):
        """The model-based z inference, followed by the Brant test's result (or why it was
        not computed).
        """
        b = result.brant
        return super().inference_of(result, clusters) + (
            "; Brant test of proportional odds: " + (
                f"chi2 = {formatting.fixed(b['chi2'])}, df = {b['df']}, "
                f"{formatting.p_equals(b['p_value'])}"
                if b["p_value"] is not None else f"not computed ({b['reason']})"))

    def checks(self, result):
        """``{"proportional_odds": ...}``: the Brant test (:func:`brant_test`) of the fit."""
        return {"proportional_odds": result.brant}


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


#: The fitters :func:`workbench.analysis.models.fit` knows, by kind.
registry = FitterRegistry()
registry.register("ols", OLSFitter())
registry.register("binomial", BinomialFitter())
registry.register("poisson", PoissonFitter())
registry.register("negbin", NegBinFitter())
registry.register("mixed", MixedFitter())
registry.register("fe", WithinFitter())
registry.register("ordinal", OrdinalFitter())
