"""Model specifications -> statsmodels fits -> Finding records, in one place.

A model is a plain value (:class:`ModelSpec`) that can be written into a manifest
and read back. :func:`fit` checks the spec, prepares the panel (subset, lags, sector
dummies, drop rows with missing values), hands it to the fitter of its kind
(:mod:`workbench.analysis.models.fitters`, one statsmodels fit per kind) and returns a
:class:`Fit`; :meth:`Fit.findings` turns the fit into tidy
:class:`~workbench.analysis.findings.record.Finding` records with stable ids, worded by
:mod:`workbench.analysis.findings.wording`.

Models (``kind``); each fit states its inference (``Fit.inference``, and the finding's
``model`` after the kind: t with its degrees of freedom, or z)
    ``ols``       linear model, provider-clustered standard errors (t with G-1 df);
                  ``weights=`` makes it weighted least squares. A sector or ownership
                  contrast (a ``sector_<level>`` / ``ownership_<level>`` exposure) with
                  fewer than :data:`FEW_CLUSTERS_SIDE` providers on one side or fewer than
                  :data:`FEW_CLUSTERS_TOTAL` in all gets a wild cluster bootstrap interval
                  and p-value instead (:class:`~workbench.analysis.models.bootstrap.WildClusterBootstrap`,
                  WCR with Webb weights, seeded by ``seed``), and its warning says so
    ``binomial``  binomial GLM for counts (``outcome`` positive out of ``trials``): logit
                  link (odds ratios) by default, identity link (percentage-point
                  differences) with ``link="identity"``; Williams overdispersion weights;
                  provider-clustered standard errors (t with G-1 df)
    ``poisson``   Poisson GLM with log(``exposure``) offset; rate ratios; provider-clustered
                  standard errors (robust to overdispersion; t with G-1 df)
    ``mixed``     linear mixed model with a random intercept per provider (REML, z); with
                  ``random_slopes`` also a random slope per provider for those columns;
                  with ``within_between=True`` each exposure is split into its provider
                  mean and the deviation from it (Mundlak), ids ending ``#within`` and
                  ``#between`` (after any ``suffix``)
    ``fe``        within-provider (fixed-effects) linear model: provider effects absorbed
                  by demeaning, month effects as dummies, provider-clustered standard errors
                  (t with G-1 df); time-invariant controls are absorbed and dropped, a
                  time-invariant exposure is an error
    ``negbin``    negative binomial (NB2, dispersion estimated) with log(``exposure``)
                  offset; rate ratios; provider-clustered standard errors (t with G-1 df)
    ``ordinal``   proportional-odds logit (statsmodels ``OrderedModel``, z) on one row per
                  provider: the last rating, and provider means of the exposures over the
                  ``rating_window`` months up to that rating's date; Brant test of
                  proportional odds in ``Fit.checks``; log-odds of a better rating

Findings other than raw (``naive``) differences carry an E-value for unmeasured
confounding in ``Finding.sensitivity`` (:mod:`workbench.analysis.findings.sensitivity`).

Example
-------
>>> from workbench.data.synth import generate
>>> panel = generate(seed=3, n_providers=60, n_months=12).panel
>>> spec = ModelSpec(outcome="rtt_median_weeks", exposures=("nurse_fte_per_10_beds",),
...                  adjust=CASE_MIX + ("sector_independent",), subset="acute")
>>> [f.id for f in fit(spec, panel).findings("Does staffing shorten waits?")]
['effect:nurse_fte_per_10_beds->rtt_median_weeks@acute']
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbench.analysis.findings import formatting
from workbench.analysis.findings.record import Finding, FindingId, Findings
from workbench.analysis.findings.wording import DUMMY as _DUMMY
from workbench.analysis.findings.wording import LAG as _LAG
from workbench.analysis.findings.wording import plain_label, sentence, unit
from workbench.analysis.models import fitters
from workbench.analysis.models.spec import (  # noqa: F401  (re-exported: the spec is part of a fit)
    CASE_MIX,
    KIND_OPTIONS,
    SUBSETS,
    Kind,
    ModelSpec,
    add_lag,
    derive,
    exposure_label,
    missing_columns,
    prepare,
    select_subset,
)
from workbench.data import measures as M
from workbench.errors import AnalysisInputError, NotEstimableError

#: Every model kind :func:`fit` knows (one fitter each in :mod:`workbench.analysis.models.fitters`).
KINDS: tuple[str, ...] = fitters.registry.kinds()

#: A sector/ownership contrast with fewer providers than this on either side uses the
#: wild cluster bootstrap (cluster-robust t intervals over-reject with few treated
#: clusters: MacKinnon & Webb 2017).
FEW_CLUSTERS_SIDE = 20
#: ... or with fewer providers than this in all.
FEW_CLUSTERS_TOTAL = 40


def _df_resid(result: Any) -> float | None:
    """A fitted model's residual degrees of freedom (for an output checker), if it has them."""
    try:
        dof = float(getattr(result, "df_resid", None))
    except (TypeError, ValueError):
        return None
    return dof if np.isfinite(dof) else None


@dataclass
class Fit:
    """A fitted model with what a reader needs to trust it."""

    spec: ModelSpec
    result: Any
    data: pd.DataFrame
    n: int
    clusters: int
    warnings: list[str] = field(default_factory=list)
    inference: str = ""
    boot: dict[str, Any] = field(default_factory=dict)
    checks: dict[str, Any] = field(default_factory=dict)

    def coef_table(self) -> pd.DataFrame:
        """Tidy table: term, estimate, ci_low, ci_high, p_value (on the model's scale);
        terms with a wild cluster bootstrap (:attr:`boot`) take its interval and p-value.
        """
        res = self.result
        params = pd.Series(res.params)
        ci = pd.DataFrame(res.conf_int())
        ci.columns = ["ci_low", "ci_high"]
        out = pd.DataFrame({"term": params.index, "estimate": params.values,
                            "ci_low": ci["ci_low"].values, "ci_high": ci["ci_high"].values,
                            "p_value": pd.Series(res.pvalues).values})
        for term, wb in self.boot.items():
            lo, hi = self.interval(term)
            out.loc[out["term"] == term, ["ci_low", "ci_high", "p_value"]] = [
                lo, hi, max(wb.p_value(0.0), 1.0 / wb.n_boot)]
        return out

    def interval(self, term: str, level: float = 0.95) -> tuple[float, float]:
        """The ``level`` interval of ``term`` on the model's scale, made as the fit's
        inference says (wild cluster bootstrap for the terms in :attr:`boot`).
        """
        if term in self.boot:
            cache = self.boot[term].__dict__.setdefault("_intervals", {})
            if level not in cache:
                cache[level] = self.boot[term].interval(level)
            return cache[level]
        ci = pd.DataFrame(self.result.conf_int(alpha=1 - level))
        return float(ci.loc[term].iloc[0]), float(ci.loc[term].iloc[1])

    def findings(self, question: str | None = None, *, terms: tuple[str, ...] | None = None,
                 prefix: str | None = None, suffix: str | None = None) -> Findings:
        """The fit as findings, one per exposure (or per ``terms``), shown in a notebook as
        a table with 95% intervals.

        ``question`` is what the findings answer (default: how the outcome goes with the
        exposures, in words). Ids are ``<prefix>:<exposure>-><outcome>@<subset><#suffix>``
        (``prefix`` and ``suffix`` default to the spec's). Poisson and negative binomial
        estimates are rate ratios and logit binomial ones odds ratios (exponentiated, with
        exponentiated interval ends). ``model`` is the kind and its inference; every
        finding except raw (``naive``) differences carries its E-value in ``sensitivity``.

        >>> from workbench.data.synth import generate
        >>> res = fit(ModelSpec("rtt_median_weeks", ("nurse_fte_per_10_beds",), subset="acute"),
        ...           generate(seed=3, n_providers=40, n_months=6).panel)
        >>> res.findings()[0].question
        'How does RTT median wait go with nurse FTE per 10 occupied beds?'
        """
        from workbench.analysis.findings.sensitivity import finding_evalue

        spec = self.spec
        table = self.coef_table().set_index("term")
        prefix = prefix or spec.prefix
        suffix = spec.suffix if suffix is None else suffix
        question = question or _default_question(spec)
        out = []
        for term in terms or spec.terms():
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
            base, part = (term.rsplit("__", 1) if spec.within_between and "__" in term
                          else (term, ""))
            variant = "_".join(v for v in (suffix or "", part) if v)
            fid = FindingId(prefix, spec.outcome, exposure_label(base), spec.subset,
                            variant=variant)
            own = [w for w in self.warnings if not w.startswith(tuple(
                f"{exposure_label(t)}: interval" for t in self.boot if t != term))]
            f = Finding(id=str(fid), question=question, estimate=est, ci_low=lo, ci_high=hi,
                        p_value=float(row["p_value"]), n=self.n, unit=unit(spec, base),
                        model=f"{spec.kind}; {self.inference}", formula=spec.label(),
                        sector=spec.subset, clusters=self.clusters, warning="; ".join(own),
                        estimate_kind="estimate", df_resid=_df_resid(self.result))
            f.sentence = sentence(f, base, spec.outcome, prefix)
            if prefix != "naive" and suffix != "naive":
                f.sensitivity = finding_evalue(f, self, term)
            out.append(f)
        return Findings(out)  # a list that shows itself as a table in a notebook

    def _repr_html_(self) -> str:
        """The fit in a notebook: model, formula, n, providers, warnings and a coefficient
        table with 95% intervals (month effects left out; exposures in bold).
        """
        import html

        t = self.coef_table()
        t = t[~t["term"].astype(str).str.startswith("C(month)")].reset_index(drop=True)
        t.insert(2, "95% interval", [formatting.interval(lo, hi)
                                     for lo, hi in zip(t["ci_low"], t["ci_high"])])
        t["p_value"] = [formatting.p_value(p) for p in t["p_value"]]
        exposures = set(self.spec.exposures)
        styler = (t.style.format({"estimate": formatting.number}, na_rep="")
                  .hide(axis="index").hide(subset=["ci_low", "ci_high"], axis="columns")
                  .apply(lambda row: ["font-weight: bold" if row["term"] in exposures else ""
                                      for _ in row], axis=1))
        warnings = "".join(f"<li>{html.escape(w)}</li>" for w in self.warnings)
        return (f"<p><b>{html.escape(self.spec.kind)}</b> "
                f"<code>{html.escape(self.spec.label())}</code><br>"
                f"{html.escape(SUBSETS.get(self.spec.subset, self.spec.subset))}; "
                f"n = {formatting.count(self.n)} provider-months, "
                f"{formatting.count(self.clusters)} providers</p>"
                + (f"<ul style='color:#D5281B'>{warnings}</ul>" if warnings else "")
                + styler.to_html())


def _constant_columns(df: pd.DataFrame, cols) -> list[str]:
    return [c for c in cols if df[c].nunique(dropna=True) < 2]


def _singular(df: pd.DataFrame, exposures, adjust=(), by: str | None = None) -> bool:
    """True when the exposures' coefficients are not identified: after removing each
    column's mean (each ``by`` group's mean for a within-provider model), the numeric
    ``exposures`` are collinear with each other or with ``adjust`` (a singular design).
    Adjustment columns that are collinear among themselves (or absorbed by ``by``) do not
    count: they leave the exposures identified; nor does an exposure that does not vary at
    all (the fitters name it).

    >>> d = pd.DataFrame({"g": [1, 1, 2, 2], "a": [1.0, 2.0, 3.0, 5.0], "b": [2.0, 4, 6, 10]})
    >>> _singular(d, ["a", "b"]), _singular(d, ["a"]), _singular(d, ["a"], ["g"], "g")
    (True, False, False)
    >>> e = d.assign(e=[0, 1, 0, 2.0])   # e moves with a within each g, not across them
    >>> _singular(e, ["a", "e"], by="g"), _singular(e, ["a", "e"])
    (True, False)
    """
    def centred(cols) -> np.ndarray:
        cols = [c for c in dict.fromkeys(cols) if c in df.columns
                and pd.api.types.is_numeric_dtype(df[c])]
        X = df[cols].astype(float)
        X = (X - X.groupby(df[by]).transform("mean") if by else X - X.mean()).to_numpy()
        size = np.abs(df[cols].to_numpy(float)).max(axis=0) if cols else np.ones(0)
        scale = np.sqrt((X ** 2).sum(axis=0))
        keep = scale > 1e-9 * np.maximum(size, 1.0) * np.sqrt(len(X))
        return X[:, keep] / scale[keep]   # a column that does not vary: the fitter's to say

    E, A = centred(exposures), centred(adjust)
    if E.shape[1] == 0:
        return False
    rank = (lambda M: int(np.linalg.matrix_rank(M, tol=1e-9)) if M.shape[1] else 0)
    return rank(np.hstack([E, A])) < rank(A) + E.shape[1]


def fit(spec: ModelSpec, data: pd.DataFrame) -> Fit:
    """Fit ``spec`` on ``data`` (a panel) and return a :class:`Fit`.

    Looks up the fitter of ``spec.kind`` (:data:`workbench.analysis.models.fitters.registry`)
    and leaves everything that differs between kinds to it: which spec options the kind
    uses (a spec that sets another, e.g. ``weights`` for a mixed model, is an error
    naming the kinds that use it), its own checks, its rows (after :func:`prepare`), the
    fit, how its intervals are made and the checks of its assumptions. A kind with a wild
    cluster bootstrap gets it for sector/ownership contrasts with few providers (see
    the module). Raises an :class:`~workbench.errors.AnalysisInputError` (a
    ``ValueError``) naming the model and the argument at fault for an unknown kind, a
    spec the kind cannot fit, too few providers left, or an exposure that does not vary
    in the subset; missing columns raise an
    :class:`~workbench.errors.AnalysisColumnError` (also a ``KeyError``).

    >>> from workbench.data.synth import generate
    >>> panel = generate(seed=3, n_providers=30, n_months=3).panel
    >>> fit(ModelSpec("fft_pct_positive", ("rtt_median_weeks",), kind="tobit"), panel)
    Traceback (most recent call last):
    ...
    workbench.errors.AnalysisInputError: fit(): kind of model 'fft_pct_positive ~ rtt_median_weeks + C(month)' is 'tobit', an unknown kind. Expected: one of ['ols', 'binomial', 'poisson', 'negbin', 'mixed', 'fe', 'ordinal'] (the kinds with a registered fitter).
    >>> fit(ModelSpec("fft_pct_positive", ("rtt_median_weeks",), kind="mixed", weights="beds"),
    ...     panel)
    Traceback (most recent call last):
    ...
    workbench.errors.AnalysisInputError: fit(): weights is 'beds' for model 'fft_pct_positive ~ rtt_median_weeks + C(month)' (mixed), a kind that does not use it. Expected: kind='ols' (the kinds that use weights), or weights left at None.
    """
    registry = fitters.registry
    fitter = registry.get(spec.kind, model=spec.formula())
    if spec.inference not in ("auto", "cluster", "wild"):
        raise AnalysisInputError("fit", "inference", f"is {spec.inference!r}",
                                 expected="'auto', 'cluster' or 'wild'")
    for name, value in spec.kind_options().items():
        if name not in fitter.options:
            users = registry.kinds_with(name)
            unused = f"{name} left at {KIND_OPTIONS[name][0]!r}"
            raise AnalysisInputError(
                "fit", name, f"is {value!r} for model {spec.formula()!r} ({spec.kind}), a "
                "kind that does not use it",
                expected=(f"kind={' or '.join(map(repr, users))} (the kinds that use {name}), "
                          f"or {unused}" if users else unused))
    fitter.check(spec)
    df = fitter.rows(spec, prepare(spec, data))
    notes: list[str] = []
    n_clusters = df[spec.cluster].nunique()
    if n_clusters < 5:
        raise NotEstimableError("fit", "subset", f"{spec.subset!r} of model "
                                 f"{spec.formula()!r} leaves only {n_clusters} provider(s) "
                                 "with complete data",
                                 expected="at least 5 providers (another subset, or fewer "
                                          "columns with missing values)")
    flat = _constant_columns(df, [*spec.exposures, *spec.adjust])
    if flat:
        raise NotEstimableError("fit", "exposures/adjust", f"{flat} of model "
                                 f"{spec.formula()!r} do not vary on subset {spec.subset!r}",
                                 expected="columns that vary in the subset (drop them from "
                                          "the model)")
    within = spec.cluster if spec.kind == "fe" or spec.cluster in spec.adjust else None
    if _singular(df, spec.exposures, spec.adjust, within):
        raise NotEstimableError("fit", "exposures/adjust", f"of model {spec.formula()!r} are "
                                f"collinear on subset {spec.subset!r}"
                                + (" within providers" if within else "")
                                + " (a singular design: no coefficient is identified)",
                                expected="columns that vary apart from each other (drop one)")
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
    out = Fit(spec=spec, result=res, data=df, n=len(df), clusters=int(n_clusters),
              warnings=sorted(set(notes)), inference=fitter.inference_of(res, n_clusters),
              checks=fitter.checks(res))
    _few_cluster_bootstrap(out, fitter)
    return out


def contrast_sides(fit_: Fit, term: str) -> tuple[int, int] | None:
    """Providers with the indicator ``term`` at 1 and at 0 in the fitted rows (None for a
    term that is not a sector/ownership indicator).
    """
    if not _DUMMY.match(term) or term not in fit_.data.columns:
        return None
    by = fit_.data.groupby(fit_.spec.cluster, observed=True)[term].max()
    return int((by == 1).sum()), int((by == 0).sum())


def _few_cluster_bootstrap(fit_: Fit, fitter: fitters.Fitter) -> None:
    """Give the fit's contrasts with few clusters a wild cluster bootstrap (see module),
    or every exposure with ``inference="wild"``, when its kind has one (the fitter's
    ``inference`` option and :meth:`~workbench.analysis.models.fitters.Fitter.bootstrap`).
    """
    spec = fit_.spec
    if spec.inference == "cluster" or "inference" not in fitter.options:
        return
    chosen = {}
    for term in spec.exposures:
        sides = contrast_sides(fit_, term)
        few = sides is not None and (min(sides) < FEW_CLUSTERS_SIDE
                                     or sum(sides) < FEW_CLUSTERS_TOTAL)
        if few or spec.inference == "wild":
            chosen[term] = sides
    if not chosen:
        return
    fit_.boot.update(fitter.bootstrap(spec, fit_.data, list(chosen)))
    for term, sides in chosen.items():
        why = (f"{sides[0]} providers with {exposure_label(term)} and {sides[1]} without "
               f"(fewer than {FEW_CLUSTERS_SIDE} on a side or {FEW_CLUSTERS_TOTAL} in all), so "
               "cluster-robust t intervals would be too narrow" if sides else "it was asked for")
        fit_.warnings.append(f"{exposure_label(term)}: interval and p-value from a wild "
                             f"cluster bootstrap (WCR, Webb weights, {spec.n_boot} draws, "
                             f"seed {spec.seed}) because {why}")
    fit_.inference += (f"; wild cluster bootstrap (WCR, Webb weights, {spec.n_boot} draws) "
                       f"for {[exposure_label(t) for t in chosen]}")


def sector_difference(data: pd.DataFrame, outcome: str, *, adjust: tuple[str, ...] = CASE_MIX,
                      question: str = "") -> Findings:
    """Independent minus NHS acute providers on ``outcome``: naive and case-mix adjusted.

    Both are linear models with month effects and provider-clustered intervals (a wild
    cluster bootstrap when a sector has fewer than :data:`FEW_CLUSTERS_SIDE` providers,
    or both together fewer than :data:`FEW_CLUSTERS_TOTAL`; the finding's warning says
    so); the adjusted one adds the case-mix measures in ``adjust``. They answer different
    questions: the naive one describes the difference a patient sees; the adjusted
    one estimates what being independent does for comparable patients (with its
    E-value in ``sensitivity``).

    >>> from workbench.data.synth import generate
    >>> few = generate(seed=3, n_providers=60, n_months=6).panel
    >>> naive, adjusted = sector_difference(few, "rtt_median_weeks")
    >>> "wild cluster bootstrap" in adjusted.warning, adjusted.sensitivity["evalue"] > 1
    (True, True)
    """
    q = question or f"Do independent hospitals differ from NHS trusts on {M.label(outcome)}?"
    naive = fit(ModelSpec(outcome=outcome, exposures=("sector_independent",), subset="acute",
                          prefix="naive"), data)
    adj = fit(ModelSpec(outcome=outcome, exposures=("sector_independent",), adjust=adjust,
                        subset="acute", prefix="adjusted"), data)
    return naive.findings(q) + adj.findings(q + " (adjusted for case mix)")


def _default_question(spec: ModelSpec) -> str:
    """How the outcome goes with the exposures, in words (a fit's question by default)."""
    def words(name: str) -> str:
        lag, dummy = _LAG.match(name), _DUMMY.match(name)
        if lag:
            k = int(lag["k"])
            return f"{words(lag['base'])} {k} month{'s' if k != 1 else ''} earlier"
        if dummy:
            return f"being {dummy['level'].replace('_', ' ')}"
        label = plain_label(name) if name in M.MEASURES else name.replace("_", " ")
        return label[:1].lower() + label[1:] if label[1:2].islower() else label

    exposures = [words(e) for e in spec.exposures]
    joined = (", ".join(exposures[:-1]) + " and " + exposures[-1] if len(exposures) > 1
              else exposures[0])
    outcome = plain_label(spec.outcome)
    return f"How {'do' if outcome.endswith('s') else 'does'} {outcome} go with {joined}?"
