"""Model specifications -> statsmodels fits -> Finding records, in one place.

A model is a plain value (:class:`ModelSpec`) that can be written into a manifest
and read back. :func:`fit` prepares the panel (subset, lags, sector dummies, drop
rows with missing values), fits it with statsmodels and returns a :class:`Fit`;
:func:`findings` turns the fit into tidy :class:`~workbench.analysis.findings.Finding`
records with stable ids.

Models (``kind``)
    ``ols``       linear model, provider-clustered standard errors (t with G-1 df)
    ``binomial``  binomial GLM for counts (``outcome`` positive out of ``trials``) with an
                  identity link, so coefficients are percentage-point differences;
                  provider-clustered standard errors
    ``poisson``   Poisson GLM with log(``exposure``) offset; rate ratios; provider-clustered
                  standard errors (robust to overdispersion)
    ``mixed``     linear mixed model with a random intercept per provider (REML); with
                  ``random_slopes`` also a random slope per provider for those columns
    ``fe``        within-provider (fixed-effects) linear model: provider effects absorbed
                  by demeaning, month effects as dummies, provider-clustered standard errors
                  (t with G-1 df); time-invariant controls are absorbed and dropped, a
                  time-invariant exposure is an error
    ``negbin``    negative binomial (NB2, dispersion estimated) with log(``exposure``)
                  offset; rate ratios; provider-clustered standard errors
    ``ordinal``   proportional-odds logit (statsmodels ``OrderedModel``) on one row per
                  provider (provider means of the exposures); log-odds of a better rating

Example
-------
>>> from workbench.data.synth import generate
>>> panel = generate(seed=3, n_providers=60, n_months=12).panel
>>> spec = ModelSpec(outcome="rtt_median_weeks", exposures=("nurse_fte_per_10_beds",),
...                  adjust=CASE_MIX + ("sector_independent",), subset="acute")
>>> [f.id for f in findings(fit(spec, panel), question="Does staffing shorten waits?")]
['effect:nurse_fte_per_10_beds->rtt_median_weeks@acute']
"""

from __future__ import annotations

import re
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf

from workbench.analysis.findings import Finding, FindingId, Findings
from workbench.data import measures as M
from workbench.errors import AnalysisInputError

Kind = Literal["ols", "binomial", "poisson", "negbin", "mixed", "fe", "ordinal"]

#: Every model kind :func:`fit` knows.
KINDS: tuple[str, ...] = ("ols", "binomial", "poisson", "negbin", "mixed", "fe", "ordinal")

#: Case-mix adjustment set used throughout (context measures of the registry).
CASE_MIX: tuple[str, ...] = ("case_mix_index", "pct_aged_75_plus", "deprivation_imd")

#: Provider subsets a notebook can ask for.
SUBSETS: dict[str, str] = {
    "acute": "all acute providers (NHS trusts and independent hospitals)",
    "nhs": "NHS acute trusts",
    "independent": "independent (private) acute hospitals",
    "care_home": "care homes (all ownership types)",
    "all": "every provider",
}

_LAG = re.compile(r"^(?P<base>.+)_lag(?P<k>\d+)$")
_DUMMY = re.compile(r"^(?P<var>sector|ownership)_(?P<level>[a-z_]+)$")


@dataclass(frozen=True)
class ModelSpec:
    """What to fit. A plain, serialisable value.

    ``exposures`` are reported as findings; ``adjust`` are controls. Column names
    may use two derived forms: ``<measure>_lag<k>`` (the provider's value k months
    earlier) and ``sector_<level>`` / ``ownership_<level>`` (0/1 indicators).
    """

    outcome: str
    exposures: tuple[str, ...]
    adjust: tuple[str, ...] = ()
    kind: Kind = "ols"
    subset: str = "acute"
    time_effects: bool = True
    cluster: str = "provider_code"
    trials: str | None = None
    exposure: str | None = None
    prefix: str = "effect"
    suffix: str = ""
    random_slopes: tuple[str, ...] = ()
    link: str = "logit"

    def formula(self) -> str:
        """The patsy formula of the fixed part (provider effects of ``fe`` are absorbed)."""
        rhs = list(self.exposures) + [a for a in self.adjust if a not in self.exposures]
        if self.time_effects and self.kind != "ordinal":
            rhs.append("C(month)")
        return f"{self.outcome} ~ {' + '.join(rhs) if rhs else '1'}"

    def label(self) -> str:
        """The formula as written into findings, with what the formula leaves out.

        >>> ModelSpec("y", ("x",), kind="fe").label()
        'y ~ x + C(month) + provider fixed effects'
        """
        text = self.formula()
        if self.kind == "fe":
            text += " + provider fixed effects"
        if self.kind == "mixed":
            text += f" + (1{''.join(' + ' + r for r in self.random_slopes)} | {self.cluster})"
        return text

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Fit:
    """A fitted model with what a reader needs to trust it."""

    spec: ModelSpec
    result: Any
    data: pd.DataFrame
    n: int
    clusters: int
    warnings: list[str] = field(default_factory=list)

    def coef_table(self) -> pd.DataFrame:
        """Tidy table: term, estimate, ci_low, ci_high, p_value (on the model's scale)."""
        res = self.result
        params = pd.Series(res.params)
        ci = pd.DataFrame(res.conf_int())
        ci.columns = ["ci_low", "ci_high"]
        return pd.DataFrame({"term": params.index, "estimate": params.values,
                             "ci_low": ci["ci_low"].values, "ci_high": ci["ci_high"].values,
                             "p_value": pd.Series(res.pvalues).values})

    def _repr_html_(self) -> str:
        """The fit in a notebook: model, formula, n, providers, warnings and a coefficient
        table with 95% intervals (month effects left out; exposures in bold)."""
        import html

        t = self.coef_table()
        t = t[~t["term"].astype(str).str.startswith("C(month)")].reset_index(drop=True)
        t.insert(2, "95% interval", [f"{lo:.3g} to {hi:.3g}"
                                     for lo, hi in zip(t["ci_low"], t["ci_high"])])
        t["p_value"] = ["<0.001" if p < 0.001 else f"{p:.3f}" for p in t["p_value"]]
        exposures = set(self.spec.exposures)
        styler = (t.style.format({"estimate": "{:.3g}"}, na_rep="")
                  .hide(axis="index").hide(subset=["ci_low", "ci_high"], axis="columns")
                  .apply(lambda row: ["font-weight: bold" if row["term"] in exposures else ""
                                      for _ in row], axis=1))
        warnings = "".join(f"<li>{html.escape(w)}</li>" for w in self.warnings)
        return (f"<p><b>{html.escape(self.spec.kind)}</b> "
                f"<code>{html.escape(self.spec.label())}</code><br>"
                f"{html.escape(SUBSETS.get(self.spec.subset, self.spec.subset))}; "
                f"n = {self.n:,} provider-months, {self.clusters:,} providers</p>"
                + (f"<ul style='color:#D5281B'>{warnings}</ul>" if warnings else "")
                + styler.to_html())


def select_subset(data: pd.DataFrame, subset: str) -> pd.DataFrame:
    """Rows of one provider subset (see :data:`SUBSETS`).

    >>> import pandas as pd
    >>> df = pd.DataFrame({"setting": ["acute", "care_home"], "sector": ["nhs", "independent"]})
    >>> len(select_subset(df, "care_home"))
    1
    """
    if subset not in SUBSETS:
        raise ValueError(f"Unknown subset {subset!r}; expected one of {list(SUBSETS)}")
    if subset == "all":
        return data
    if subset == "care_home":
        return data[data["setting"] == "care_home"]
    acute = data[data["setting"] == "acute"]
    return acute if subset == "acute" else acute[acute["sector"] == subset]


def add_lag(data: pd.DataFrame, column: str, k: int = 1) -> pd.DataFrame:
    """Add ``<column>_lag<k>``: each provider's value k calendar months earlier.

    Gaps in a provider's months give missing lags rather than the wrong month.

    >>> import pandas as pd
    >>> df = pd.DataFrame({"provider_code": ["A"] * 3, "x": [1.0, 2.0, 3.0],
    ...                    "period": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-04-01"])})
    >>> add_lag(df, "x")["x_lag1"].tolist()
    [nan, 1.0, nan]
    """
    if k < 1:
        raise ValueError(f"lag k must be a positive number of months, got {k}")
    if column not in data.columns:
        raise KeyError(f"Cannot lag {column!r}: not a column of the panel")
    src = data[["provider_code", "period", column]].copy()
    src["period"] = src["period"] + pd.DateOffset(months=k)
    src = src.rename(columns={column: f"{column}_lag{k}"})
    out = data.drop(columns=[f"{column}_lag{k}"], errors="ignore")
    return out.merge(src, on=["provider_code", "period"], how="left", validate="many_to_one")


def _derive(data: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    out = data
    for name in names:
        if name in out.columns:
            continue
        m = _LAG.match(name)
        if m and m["base"] in out.columns:
            out = add_lag(out, m["base"], int(m["k"]))
            continue
        d = _DUMMY.match(name)
        if d and d["var"] in out.columns:
            out = out.assign(**{name: (out[d["var"]] == d["level"]).astype(float)})
            continue
        raise KeyError(f"Column {name!r} is neither in the panel nor derivable "
                       "(use <measure>_lag<k>, sector_<level> or ownership_<level>)")
    return out


def exposure_label(column: str) -> str:
    """The exposure as written in finding ids.

    >>> exposure_label("staff_engagement_lag1"), exposure_label("sector_independent")
    ('staff_engagement[lag1]', 'sector[independent]')
    """
    m = _LAG.match(column)
    if m:
        return f"{m['base']}[lag{m['k']}]"
    d = _DUMMY.match(column)
    if d:
        return f"{d['var']}[{d['level']}]"
    return column


def prepare(spec: ModelSpec, data: pd.DataFrame) -> pd.DataFrame:
    """The analysis rows for ``spec``: subset, derived columns, complete cases."""
    df = _derive(data, [c for c in (*spec.exposures, *spec.adjust) if c not in data.columns])
    df = select_subset(df, spec.subset)
    needed = [spec.outcome, *spec.exposures, *spec.adjust, spec.cluster, "period"]
    needed += [c for c in (spec.trials, spec.exposure) if c]
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise KeyError(f"Model {spec.formula()!r}: columns {missing} are not in the panel")
    df = df.dropna(subset=[c for c in needed if c != "period"]).copy()
    if spec.kind == "ordinal":
        df[spec.outcome] = pd.Categorical(df[spec.outcome], categories=list(M.CQC_LEVELS),
                                          ordered=True)
    df["month"] = df["period"].dt.strftime("%Y-%m")
    return df


def _constant_columns(df: pd.DataFrame, cols) -> list[str]:
    return [c for c in cols if df[c].nunique(dropna=True) < 2]


def fit(spec: ModelSpec, data: pd.DataFrame) -> Fit:
    """Fit ``spec`` on ``data`` (a panel) and return a :class:`Fit`.

    Raises a ``ValueError`` naming the model when too few providers remain or an
    exposure does not vary in the subset.
    """
    if spec.kind not in KINDS:
        raise ValueError(f"Model {spec.formula()!r}: unknown kind {spec.kind!r}; expected one "
                         f"of {list(KINDS)}")
    if spec.random_slopes and spec.kind != "mixed":
        raise ValueError(f"Model {spec.formula()!r} ({spec.kind}): random_slopes "
                         f"{list(spec.random_slopes)} need kind='mixed'")
    stray = [r for r in spec.random_slopes if r not in (*spec.exposures, *spec.adjust)]
    if stray:
        raise ValueError(f"Model {spec.formula()!r} (mixed): random slopes {stray} must also be "
                         "exposures or controls of the model")
    df = prepare(spec, data)
    notes: list[str] = []
    if spec.kind == "ordinal":
        df = _provider_level(spec, df)
    n_clusters = df[spec.cluster].nunique()
    if n_clusters < 5:
        raise ValueError(f"Model {spec.formula()!r} on subset {spec.subset!r}: only "
                         f"{n_clusters} provider(s) with complete data; need at least 5")
    flat = _constant_columns(df, [*spec.exposures, *spec.adjust])
    if flat:
        raise ValueError(f"Model {spec.formula()!r} on subset {spec.subset!r}: "
                         f"{flat} do not vary; drop them from the model")
    if n_clusters < 30 and spec.kind != "ordinal":
        notes.append(f"only {n_clusters} providers: clustered intervals may be too narrow")
    groups = df[spec.cluster].astype("category").cat.codes.to_numpy()
    formula = spec.formula()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if spec.kind == "ols":
            res = smf.ols(formula, df).fit(cov_type="cluster", cov_kwds={"groups": groups},
                                           use_t=True)
        elif spec.kind == "binomial":
            if not spec.trials:
                raise ValueError("binomial models need `trials` (e.g. 'fft_responses')")
            df = df[df[spec.trials] > 0].copy()
            df["_prop"] = df[spec.outcome] / df[spec.trials]
            groups = df[spec.cluster].astype("category").cat.codes.to_numpy()
            if spec.link not in ("logit", "identity"):
                raise ValueError(f"binomial link must be 'logit' or 'identity', not {spec.link!r}")
            fam = sm.families.Binomial(link=sm.families.links.Identity()
                                       if spec.link == "identity" else sm.families.links.Logit())
            f_prop = formula.replace(spec.outcome, "_prop", 1)
            trials = df[spec.trials].to_numpy(dtype=float)
            first = smf.glm(f_prop, df, family=fam, var_weights=trials).fit()
            phi = _williams_phi(first, df["_prop"].to_numpy(), trials)
            res = smf.glm(f_prop, df, family=fam,
                          var_weights=trials / (1.0 + (trials - 1.0) * phi)).fit(
                cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
            notes.append(f"extra-binomial variation: Williams phi = {phi:.2g}") if phi > 0.01 \
                else None
            fitted = np.asarray(res.fittedvalues)
            if spec.link == "identity" and np.any((fitted <= 0) | (fitted >= 1)):
                notes.append(f"{int(np.sum((fitted <= 0) | (fitted >= 1)))} fitted proportions "
                             "outside (0, 1): the identity link is strained (separation)")
            thin_cells = int(np.sum(trials < 5))
            if thin_cells:
                notes.append(f"{thin_cells} provider-months with fewer than 5 trials "
                             f"({spec.trials})")
        elif spec.kind == "poisson":
            if not spec.exposure:
                raise ValueError("poisson models need `exposure` (e.g. 'episodes')")
            df = df[df[spec.exposure] > 0].copy()
            groups = df[spec.cluster].astype("category").cat.codes.to_numpy()
            res = smf.glm(formula, df, family=sm.families.Poisson(),
                          exposure=df[spec.exposure]).fit(
                cov_type="cluster", cov_kwds={"groups": groups})
        elif spec.kind == "negbin":
            if not spec.exposure:
                raise ValueError(f"Model {formula!r} (negbin) needs `exposure` (e.g. 'episodes')")
            df = df[df[spec.exposure] > 0].copy()
            groups = df[spec.cluster].astype("category").cat.codes.to_numpy()
            res = smf.negativebinomial(formula, df, exposure=df[spec.exposure],
                                       loglike_method="nb2").fit(
                cov_type="cluster", cov_kwds={"groups": groups}, disp=False, maxiter=300)
            if not res.mle_retvals.get("converged", True):
                notes.append("negative binomial model did not converge")
            alpha = float(res.params.get("alpha", np.nan))
            if alpha < 1e-4:
                notes.append(f"negative binomial dispersion alpha = {alpha:.2g}: the counts "
                             "look Poisson; the Poisson model is simpler")
        elif spec.kind == "mixed":
            re_formula = ("~ 1 + " + " + ".join(spec.random_slopes)) if spec.random_slopes \
                else None
            res = smf.mixedlm(formula, df, groups=df[spec.cluster],
                              re_formula=re_formula).fit(reml=True)
            if not res.converged:
                notes.append("mixed model did not converge")
            if spec.random_slopes:
                cov = np.asarray(res.cov_re)
                if np.any(np.diag(cov) < 1e-8):
                    notes.append("a random-effect variance is estimated at zero (boundary): "
                                 "the random slope may not be needed")
        elif spec.kind == "fe":
            res, dropped = _fit_within(spec, df, groups)
            if dropped:
                notes.append(f"absorbed by provider fixed effects (time-invariant): {dropped}")
        elif spec.kind == "ordinal":
            from statsmodels.miscmodels.ordinal_model import OrderedModel

            exog = df[list(spec.exposures) + [a for a in spec.adjust if a not in spec.exposures]]
            endog = df[spec.outcome].cat.remove_unused_categories()
            empty = sorted(set(M.CQC_LEVELS) - set(endog.cat.categories))
            if empty:
                notes.append(f"no provider rated {empty}: those categories are left out")
            if len(endog.cat.categories) < 2:
                raise ValueError(f"Model {spec.formula()!r} on subset {spec.subset!r}: every "
                                 "provider has the same rating; nothing to compare")
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
    for w in caught:
        msg = str(w.message)
        if any(s in msg.lower() for s in ("converge", "singular", "separation", "boundary")):
            notes.append(msg.splitlines()[0][:160])
    return Fit(spec=spec, result=res, data=df, n=len(df), clusters=int(n_clusters),
               warnings=sorted(set(notes)))


def _fit_within(spec: ModelSpec, df: pd.DataFrame, groups: np.ndarray):
    """OLS on provider-demeaned data (the within estimator), clustered by provider.

    Demeaning every column, month dummies included, by provider is exactly the
    regression with a dummy per provider (Frisch-Waugh-Lovell), without estimating
    the provider dummies. Degrees of freedom count only the non-absorbed columns,
    since the fixed effects are nested within the clusters (as Stata's ``xtreg, fe``).
    """
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
        raise ValueError(f"Model {spec.label()!r} (fe) on subset {spec.subset!r}: exposures "
                         f"{flat_exposures} do not change within providers, so provider fixed "
                         "effects absorb them; use kind='ols' or 'mixed' for them")
    Xd = Xd.drop(columns=flat)
    res = sm.OLS(yd, Xd).fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    return res, [c for c in flat if not c.startswith("C(month)")]


def _williams_phi(first, prop: np.ndarray, trials: np.ndarray) -> float:
    """Williams' (1982) extra-binomial dispersion phi, by the method of moments.

    Var(y/n) = p(1-p)/n * (1 + (n-1) phi). Solved so that the Pearson statistic of
    the reweighted model equals its residual degrees of freedom; 0 when the data
    show no overdispersion.
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


def _provider_level(spec: ModelSpec, df: pd.DataFrame) -> pd.DataFrame:
    """One row per provider: last rating, mean of each numeric exposure/control."""
    num = [c for c in (*spec.exposures, *spec.adjust) if c != spec.outcome]
    agg = df.groupby(spec.cluster, observed=True).agg(
        **{c: (c, "mean") for c in num}, **{spec.outcome: (spec.outcome, "last")})
    agg = agg.reset_index()
    agg[spec.outcome] = pd.Categorical(agg[spec.outcome], categories=list(M.CQC_LEVELS),
                                       ordered=True)
    return agg


# ---- findings ---------------------------------------------------------------------

def _unit(spec: ModelSpec, exposure: str) -> str:
    out = M.MEASURES.get(spec.outcome)
    exp_base = _LAG.match(exposure)["base"] if _LAG.match(exposure) else exposure
    ex = M.MEASURES.get(exp_base)
    per = f"per {ex.unit}" if ex else "independent vs reference"
    if _DUMMY.match(exposure):
        d = _DUMMY.match(exposure)
        per = f"{d['level'].replace('_', ' ')} vs reference"
    if spec.kind in ("poisson", "negbin"):
        return f"rate ratio {per}"
    if spec.kind == "binomial" and spec.link == "logit":
        return f"odds ratio {per}"
    if spec.kind == "ordinal":
        return f"log-odds of a better rating {per}"
    out_unit = "percentage points" if out and out.unit == "%" else (out.unit if out else "")
    return f"{out_unit} {per}".strip()


def _plain_label(name: str) -> str:
    return re.sub(r"\s*\([^)]*\)\s*$", "", M.label(name))


_REFERENCE = {"sector": "NHS trusts", "ownership": "not-for-profit homes"}


def describe(f: Finding, exposure: str, outcome: str) -> str:
    """A plain-words sentence for a finding, with its 95% interval.

    >>> f = Finding(id="effect:rtt_median_weeks->fft_pct_positive@acute", question="q",
    ...             estimate=-0.52, ci_low=-0.61, ci_high=-0.43, unit="pp", model="ols")
    >>> describe(f, "rtt_median_weeks", "fft_pct_positive")
    'FFT positive responses were 0.52 percentage points lower (95% CI 0.43 to 0.61) for each extra week of RTT median wait.'
    """
    out = _plain_label(outcome)
    d, lag = _DUMMY.match(exposure), _LAG.match(exposure)
    if d:
        what = (f"for {d['level'].replace('_', ' ')} providers than for "
                f"{_REFERENCE.get(d['var'], 'the reference group')}")
    else:
        base = lag["base"] if lag else exposure
        m = M.MEASURES.get(base)
        k = int(lag["k"]) if lag else 0
        when = "" if not lag else (" one month earlier" if k == 1 else f" {k} months earlier")
        what = f"for each extra {m.per_unit if m else 'unit of ' + base}{when}"
    has_ci = f.ci_low is not None and f.ci_high is not None
    if f.unit.startswith("rate ratio"):
        ci = f" (95% CI {f.ci_low:.3g} to {f.ci_high:.3g})" if has_ci else ""
        return f"{out} were multiplied by {f.estimate:.3g}{ci} {what}." if out.endswith("s") \
            else f"{out} was multiplied by {f.estimate:.3g}{ci} {what}."
    if f.unit.startswith("odds ratio"):
        ci = f" (95% CI {f.ci_low:.3g} to {f.ci_high:.3g})" if has_ci else ""
        return (f"The odds that a response was positive ({out}) were multiplied by {f.estimate:.3g}"
                f"{ci} {what}.")
    if f.unit.startswith("log-odds"):
        ci = f" (95% CI {f.ci_low:.2f} to {f.ci_high:.2f})" if has_ci else ""
        word = "better" if f.estimate >= 0 else "worse"
        return (f"The log-odds of a better {out} differed by {f.estimate:+.2f}{ci} {what} "
                f"({word} ratings more likely).")
    om = M.MEASURES.get(outcome)
    unit_words = "percentage points" if om is not None and om.unit == "%" else (
        om.unit if om else "units")
    direction = "higher" if f.estimate >= 0 else "lower"
    ci = ""
    if has_ci:
        if np.sign(f.ci_low) == np.sign(f.ci_high):
            lo, hi = sorted((abs(f.ci_low), abs(f.ci_high)))
            ci = f" (95% CI {lo:.2f} to {hi:.2f})"
        else:
            ci = f" (95% CI {f.ci_low:.2f} to {f.ci_high:.2f}: no clear difference)"
    verb = "were" if out.endswith("s") else "was"
    return f"{out} {verb} {abs(f.estimate):.2f} {unit_words} {direction}{ci} {what}."


_LEAD = {
    "naive": "Raw difference (no adjustment): ",
    "adjusted": "Comparing like with like (adjusted for case mix): ",
    "total": "Total effect, including the path through waits: ",
}


def findings(result: Fit, question: str, *, terms: tuple[str, ...] | None = None,
             prefix: str | None = None, suffix: str | None = None) -> list[Finding]:
    """Turn a :class:`Fit` into findings, one per exposure (or per ``terms``).

    The list returned is a :class:`~workbench.analysis.findings.Findings`, shown in a
    notebook as a table with 95% intervals.

    Ids are ``<prefix>:<exposure>-><outcome>@<subset><#suffix>``. Poisson estimates
    are reported as rate ratios (exponentiated, with exponentiated interval ends).
    """
    spec = result.spec
    table = result.coef_table().set_index("term")
    prefix = prefix or spec.prefix
    suffix = spec.suffix if suffix is None else suffix
    out = []
    for term in terms or spec.exposures:
        if term not in table.index:
            raise AnalysisInputError("findings", "terms", f"term {term!r} is not in the "
                                     f"fitted model {spec.formula()!r}",
                                     expected=f"one of {list(table.index)}")
        row = table.loc[term]
        est, lo, hi = float(row["estimate"]), float(row["ci_low"]), float(row["ci_high"])
        scale = 100.0 if spec.kind == "binomial" and spec.link == "identity" else 1.0
        est, lo, hi = est * scale, lo * scale, hi * scale
        if spec.kind in ("poisson", "negbin") or (spec.kind == "binomial"
                                                  and spec.link == "logit"):
            est, lo, hi = float(np.exp(est)), float(np.exp(lo)), float(np.exp(hi))
        fid = FindingId(prefix, spec.outcome, exposure_label(term), spec.subset,
                        variant=suffix or "")
        f = Finding(id=str(fid), question=question, estimate=est, ci_low=lo, ci_high=hi,
                    p_value=float(row["p_value"]), n=result.n, unit=_unit(spec, term),
                    model=spec.kind, formula=spec.label(), sector=spec.subset,
                    clusters=result.clusters, warning="; ".join(result.warnings))
        f.sentence = _LEAD.get(prefix, "") + describe(f, term, spec.outcome)
        out.append(f)
    return Findings(out)  # a list that shows itself as a table in a notebook


def sector_difference(data: pd.DataFrame, outcome: str, *, adjust: tuple[str, ...] = CASE_MIX,
                      question: str = "") -> Findings:
    """Independent minus NHS acute providers on ``outcome``: naive and case-mix adjusted.

    Both are linear models with month effects and provider-clustered intervals; the
    adjusted one adds the case-mix measures in ``adjust``. They answer different
    questions: the naive one describes the difference a patient sees; the adjusted
    one estimates what being independent does for comparable patients.
    """
    q = question or f"Do independent hospitals differ from NHS trusts on {M.label(outcome)}?"
    naive = fit(ModelSpec(outcome=outcome, exposures=("sector_independent",), subset="acute",
                          prefix="naive"), data)
    adj = fit(ModelSpec(outcome=outcome, exposures=("sector_independent",), adjust=adjust,
                        subset="acute", prefix="adjusted"), data)
    return findings(naive, q) + findings(adj, q + " (adjusted for case mix)")
