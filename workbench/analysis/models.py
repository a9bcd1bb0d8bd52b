"""Model specifications -> statsmodels fits -> Finding records, in one place.

A model is a plain value (:class:`ModelSpec`) that can be written into a manifest
and read back. :func:`fit` checks the spec, prepares the panel (subset, lags, sector
dummies, drop rows with missing values), hands it to the fitter of its kind
(:mod:`workbench.analysis.fitters`, one statsmodels fit per kind) and returns a
:class:`Fit`; :func:`findings` turns the fit into tidy
:class:`~workbench.analysis.findings.Finding` records with stable ids, worded by
:mod:`workbench.analysis.wording`.

Models (``kind``)
    ``ols``       linear model, provider-clustered standard errors (t with G-1 df)
    ``binomial``  binomial GLM for counts (``outcome`` positive out of ``trials``): logit
                  link (odds ratios) by default, identity link (percentage-point
                  differences) with ``link="identity"``; provider-clustered standard errors
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

import difflib
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from workbench.analysis import fitters
from workbench.analysis.findings import Finding, FindingId, Findings
from workbench.analysis.wording import DUMMY as _DUMMY
from workbench.analysis.wording import LAG as _LAG
from workbench.analysis.wording import sentence, unit
from workbench.data import measures as M
from workbench.errors import AnalysisColumnError, AnalysisInputError

Kind = Literal["ols", "binomial", "poisson", "negbin", "mixed", "fe", "ordinal"]

#: Every model kind :func:`fit` knows (one fitter each in :mod:`workbench.analysis.fitters`).
KINDS: tuple[str, ...] = fitters.registry.kinds()

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
        raise AnalysisInputError("select_subset", "subset", f"is {subset!r}, an unknown subset",
                                 expected=f"one of {list(SUBSETS)}")
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
        raise AnalysisInputError("add_lag", "k", f"is {k!r}",
                                 expected="a positive number of months (1 or more)")
    if column not in data.columns:
        raise AnalysisColumnError("add_lag", "column", f"{column!r} is not a column of the panel",
                                  expected="a column of the panel to lag")
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
        raise AnalysisColumnError("fit", "exposures/adjust", f"name column {name!r}, which is "
                                  "neither in the panel nor derivable",
                                  expected="a panel column, <measure>_lag<k>, sector_<level> "
                                           "or ownership_<level>")
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
        raise _missing_columns(spec, missing, list(map(str, df.columns)))
    df = df.dropna(subset=[c for c in needed if c != "period"]).copy()
    if spec.kind == "ordinal":
        df[spec.outcome] = pd.Categorical(df[spec.outcome], categories=list(M.CQC_LEVELS),
                                          ordered=True)
    df["month"] = df["period"].dt.strftime("%Y-%m")
    return df


def _missing_columns(spec: ModelSpec, missing: list[str], columns: list[str]):
    """The error for columns a spec names that the panel lacks: which spec fields name
    them, and the closest panel column to each."""
    roles = [role for role, cols in (("outcome", [spec.outcome]), ("exposures", spec.exposures),
                                      ("adjust", spec.adjust), ("cluster", [spec.cluster]),
                                      ("trials", [spec.trials]), ("exposure", [spec.exposure]),
                                      ("data", ["period"]))
             if any(c in missing for c in cols)]
    hints = []
    for c in missing:
        close = difflib.get_close_matches(str(c), columns, n=1)
        if close:
            hints.append(f"{c!r} is closest to {close[0]!r}")
    return AnalysisColumnError("fit", "/".join(roles), f"names {missing}, not in the panel "
                               f"(model {spec.formula()!r})",
                               expected="columns of the panel" + "".join(f"; {h}"
                                                                         for h in hints))


def _constant_columns(df: pd.DataFrame, cols) -> list[str]:
    return [c for c in cols if df[c].nunique(dropna=True) < 2]


def fit(spec: ModelSpec, data: pd.DataFrame) -> Fit:
    """Fit ``spec`` on ``data`` (a panel) and return a :class:`Fit`.

    Checks the spec, prepares the rows (:func:`prepare`), then hands them to the fitter
    of ``spec.kind`` (:data:`workbench.analysis.fitters.registry`). Raises an
    :class:`~workbench.errors.AnalysisInputError` (a ``ValueError``) naming the model and
    the argument at fault for an unknown kind, a spec the kind cannot fit, too few
    providers left, or an exposure that does not vary in the subset; missing columns
    raise an :class:`~workbench.errors.AnalysisColumnError` (also a ``KeyError``).

    >>> from workbench.data.synth import generate
    >>> fit(ModelSpec("fft_pct_positive", ("rtt_median_weeks",), kind="tobit"),
    ...     generate(seed=3, n_providers=30, n_months=3).panel)
    Traceback (most recent call last):
    ...
    workbench.errors.AnalysisInputError: fit(): kind of model 'fft_pct_positive ~ rtt_median_weeks + C(month)' is 'tobit', an unknown kind. Expected: one of ['ols', 'binomial', 'poisson', 'negbin', 'mixed', 'fe', 'ordinal'] (the kinds with a registered fitter).
    """
    fitter = fitters.registry.get(spec.kind, model=spec.formula())
    if spec.random_slopes and spec.kind != "mixed":
        raise AnalysisInputError("fit", "random_slopes", f"{list(spec.random_slopes)} of model "
                                 f"{spec.formula()!r} ({spec.kind}) need kind='mixed'",
                                 expected="no random slopes, or kind='mixed'")
    stray = [r for r in spec.random_slopes if r not in (*spec.exposures, *spec.adjust)]
    if stray:
        raise AnalysisInputError("fit", "random_slopes", f"of model {spec.formula()!r} (mixed): "
                                 f"random slopes {stray} are not in the model",
                                 expected=f"exposures or controls of the model: "
                                          f"{[*spec.exposures, *spec.adjust]}")
    fitter.check(spec)
    df = prepare(spec, data)
    notes: list[str] = []
    df = fitter.rows(spec, df)
    n_clusters = df[spec.cluster].nunique()
    if n_clusters < 5:
        raise AnalysisInputError("fit", "subset", f"{spec.subset!r} of model "
                                 f"{spec.formula()!r} leaves only {n_clusters} provider(s) "
                                 "with complete data",
                                 expected="at least 5 providers (another subset, or fewer "
                                          "columns with missing values)")
    flat = _constant_columns(df, [*spec.exposures, *spec.adjust])
    if flat:
        raise AnalysisInputError("fit", "exposures/adjust", f"{flat} of model "
                                 f"{spec.formula()!r} do not vary on subset {spec.subset!r}",
                                 expected="columns that vary in the subset (drop them from "
                                          "the model)")
    if n_clusters < 30 and not fitter.provider_level:
        notes.append(f"only {n_clusters} providers: clustered intervals may be too narrow")
    groups = df[spec.cluster].astype("category").cat.codes.to_numpy()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res, df = fitter.fit(spec, df, groups, notes)
    for w in caught:
        msg = str(w.message)
        if any(s in msg.lower() for s in ("converge", "singular", "separation", "boundary")):
            notes.append(msg.splitlines()[0][:160])
    return Fit(spec=spec, result=res, data=df, n=len(df), clusters=int(n_clusters),
               warnings=sorted(set(notes)))


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
                    p_value=float(row["p_value"]), n=result.n, unit=unit(spec, term),
                    model=spec.kind, formula=spec.label(), sector=spec.subset,
                    clusters=result.clusters, warning="; ".join(result.warnings))
        f.sentence = sentence(f, term, spec.outcome, prefix)
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
