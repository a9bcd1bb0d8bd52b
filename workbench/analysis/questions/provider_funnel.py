"""Funnel views of the panel: one measure across providers in one month, in words and
as findings.

These functions sit between the panel and :mod:`workbench.analysis.monitoring.funnel`: they say how
a measure is drawn (:func:`funnel_measure`: numerator, denominator, kind), pick the rows
of one month (:func:`funnel_view`), call the method, put the result into plain words
(:func:`funnel_outliers`, :func:`describe_funnel`) and turn it into
:class:`~workbench.analysis.findings.record.Finding` records (:meth:`FunnelView.findings`).
Notebook 05 calls them; SPC charts are in :mod:`workbench.analysis.questions.spc_monitoring`.

Finding mapping
---------------
:meth:`FunnelView.findings` gives

* ``funnel:<measure>@<YYYY-MM>``: the centre line (pooled value, or 1 for standardised
  ratios) with ``n`` providers, and in the sentence how many lie outside the limits and
  the overdispersion ``phi``;
* ``funnel:<measure>@<provider_code>#<YYYY-MM>`` for each provider outside the widest
  limits (99.8% by default; those outside only the 95% limits are listed in the report
  but not written as findings): ``estimate`` its value, ``ci_low``/``ci_high`` the limits at the widest level
  (99.8% by default) at its own denominator (**control limits**, not a confidence
  interval), ``p_value`` two-sided from its (overdispersion-adjusted) z-score, ``n`` its
  denominator.

Example
-------
>>> from workbench.data.synth import generate
>>> view = funnel_view(generate(seed=3, n_providers=40, n_months=3).panel)
>>> [f.id for f in view.findings()][:1]
['funnel:fft_pct_positive@2023-06']
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from workbench.analysis.findings import formatting
from workbench.analysis.findings import kinds as K
from workbench.analysis.findings.record import Finding, FindingId, Findings
from workbench.analysis.monitoring.funnel import EXTREME_PHI, FunnelResult, funnel, level_key
from workbench.data import measures as M
from workbench.errors import AnalysisInputError


@dataclass(frozen=True)
class FunnelMeasure:
    """How a measure is drawn on a funnel plot: numerator and denominator counts."""

    measure: str
    numerator: str
    denominator: str
    kind: str                    # "PR", "SR" or "RC"
    direction: str               # "increase" or "decrease" (of the plotted value)
    label: str
    multiplier: float = 1.0      # 100 for percentages
    unit: str = ""
    derived_numerator: tuple[str, str] | None = None  # (a, b): numerator = a - b
    #: what to compare within when providers are not comparable as a whole (in words)
    like_with_like: str = ""

    @property
    def x_label(self) -> str:
        """Label of the funnel's horizontal axis (the denominator, or expected events)."""
        if self.kind == "SR":
            return f"Expected {M.label(self.numerator).lower()}"
        return M.label(self.denominator)


#: Where to compare like with like for RTT measures: waits differ by specialty.
_RTT_STRATUM = ("treatment function (specialty): waits differ far more between specialties "
                "than between providers of one specialty. The provider x month panel has "
                "no treatment-function column; RTT waits by treatment function are in the "
                "specialty_waits table a build writes beside the panel (notebook 10 compares "
                "within treatment function)")
#: Fewest providers a stratum needs for its own funnel.
MIN_STRATUM_PROVIDERS = 3

#: Measures with a ready-made funnel. Other count measures use ``"numerator/denominator"``.
FUNNEL_MEASURES: dict[str, FunnelMeasure] = {
    "fft_pct_positive": FunnelMeasure("fft_pct_positive", "fft_positive", "fft_responses",
                                      "PR", "increase", "FFT positive responses (%)", 100, "%"),
    "complaints_per_1000": FunnelMeasure(
        "complaints_per_1000", "complaints", "episodes", "SR", "decrease",
        "Complaints: observed / expected", 1, "ratio (observed / expected)"),
    "ae_pct_within_4h": FunnelMeasure(
        "ae_pct_within_4h", "ae_within_4h", "ae_attendances", "PR", "increase",
        "A&E seen within 4 hours (%)", 100, "%", ("ae_attendances", "ae_over_4h")),
    "rtt_pct_within_18w": FunnelMeasure(
        "rtt_pct_within_18w", "rtt_within_18w", "rtt_waiting_list", "PR", "increase",
        "RTT waiting within 18 weeks (% of the waiting list)", 100, "%",
        like_with_like=_RTT_STRATUM),
    "rtt_over_52w": FunnelMeasure("rtt_over_52w", "rtt_over_52w", "rtt_waiting_list", "PR",
                                  "decrease", "RTT waiting over 52 weeks (% of the list)",
                                  100, "%", like_with_like=_RTT_STRATUM),
}
FUNNEL_MEASURES["complaints"] = FUNNEL_MEASURES["complaints_per_1000"]


@dataclass
class FunnelView:
    """A funnel plot of one measure in one month, with names and notes."""

    spec: FunnelMeasure
    period: pd.Timestamp
    result: FunnelResult
    names: dict[str, str]
    sectors: dict[str, str]
    notes: list[str] = field(default_factory=list)
    #: the column the strata come from ("" when providers are compared all together)
    stratum: str = ""
    #: one view per stratum (value -> view), when compared within strata
    strata: dict[str, FunnelView] = field(default_factory=dict)
    #: the stratum value of a view that is one stratum of another ("" otherwise)
    group: str = ""
    #: what one unit and several are called in sentences (a declared table: ward, wards)
    unit: str = "provider"
    units: str = "providers"

    @property
    def comparable(self) -> bool:
        """Whether the providers of :attr:`result` could be compared on one funnel."""
        return self.result.comparable

    def findings(self, question: str | None = None) -> Findings:
        """The centre line and one finding per outlier at the widest level (see the module
        docstring); ``question`` replaces the question of each (which providers stand out,
        does this one).

        >>> from workbench.data.synth import generate
        >>> v = funnel_view(generate(seed=3, n_providers=40, n_months=3).panel)
        >>> v.findings()[0].id
        'funnel:fft_pct_positive@2023-06'
        """
        res, spec = self.result, self.spec
        ym = f"{self.period:%Y-%m}"
        out = [Finding(
            id=str(FindingId("funnel", spec.measure, subset=ym)),
            question=question or f"Which {self.units} stand out on {spec.label} in "
                                 f"{self.period:%B %Y}?",
            estimate=float(res.target * spec.multiplier), n=len(res.table), unit=spec.unit,
            model="funnel", formula=_formula(spec, res) + (
                f"; compared within {self.stratum}" if self.stratum else ""),
            sector="all", sentence=describe_funnel(self), **_centre_kinds(self))]
        if self.strata:
            for sub in self.strata.values():
                out.extend(sub._findings(question))
            return Findings(out)
        out.extend(self._findings(question))
        return Findings(out)

    def _findings(self, question: str | None) -> list[Finding]:
        """The outliers' findings (for one stratum, first the stratum's centre line)."""
        res, spec = self.result, self.spec
        ym = f"{self.period:%Y-%m}"
        formula = _formula(spec, res)
        out = []
        stratum = self.group
        if stratum:
            out.append(Finding(
                id=str(FindingId("funnel", spec.measure, subset=_id_part(stratum), period=ym)),
                question=question or f"Which {self.units} stand out on {spec.label} among "
                                     f"{self.stratum} {stratum} in {self.period:%B %Y}?",
                estimate=float(res.target * spec.multiplier), n=len(res.table),
                unit=spec.unit, model="funnel", formula=formula + f"; {self.stratum} "
                                                                  f"{stratum} only",
                sector="all", sentence=describe_funnel(self), **_centre_kinds(self)))
        top = level_key(max(res.levels))
        t = res.table.set_index(res.table["label"].astype(str))
        outliers = funnel_outliers(self)
        for _, o in outliers[outliers["level"] == max(res.levels)].iterrows():
            r = t.loc[o["provider_code"]]
            out.append(Finding(
                id=str(FindingId("funnel", spec.measure, subset=o["provider_code"], period=ym)),
                question=question or f"Does {o['provider_name']} stand out on {spec.label}?",
                estimate=float(o["value"]), ci_low=float(r[f"lcl_{top}"] * spec.multiplier),
                ci_high=float(r[f"ucl_{top}"] * spec.multiplier),
                p_value=_p_value(r), n=round(float(r["denominator"])), unit=spec.unit,
                model="funnel", formula=formula, sector=o["sector"], sentence=o["summary"],
                estimate_kind=K.RATE, numerator=float(r["numerator"]),
                denominator=float(r["denominator"]), denominator_kind=_base(spec),
                n_kind=K.ESTIMATE if spec.kind == "SR" else K.PEOPLE,
                wording=o["phrase"].to_dict()))
        return out


def _base(spec: FunnelMeasure) -> str:
    """What a funnel's denominator is: expected events (a model value) for standardised
    ratios, a count of people otherwise.
    """
    return K.ESTIMATE if spec.kind == "SR" else K.PEOPLE


def _centre_kinds(view: FunnelView) -> dict:
    """What the numbers of a centre-line finding are: ``n`` providers; the pooled value
    a rate on all providers' counts (1 for standardised ratios, a model value); the
    sentence as a typed phrase.
    """
    res, spec = view.result, view.spec
    out = {"n_kind": K.PROVIDERS, "wording": funnel_phrase(view).to_dict()}
    if spec.kind == "SR":
        return {**out, "estimate_kind": K.ESTIMATE}
    return {**out, "estimate_kind": K.RATE, "numerator": float(res.table["numerator"].sum()),
            "denominator": float(res.table["denominator"].sum()),
            "denominator_kind": K.PEOPLE}


def _formula(spec: FunnelMeasure, res: FunnelResult) -> str:
    method = (f"{spec.kind}, {res.method}, count scale" if spec.kind == "SR" else spec.kind) + (
        f", overdispersion phi={formatting.number(res.phi)}" if res.phi is not None else "")
    return f"{spec.numerator} / {spec.denominator} ({method})"


def _p_value(row: pd.Series) -> float:
    """Two-sided p-value of one provider: count scale for standardised ratios, else z."""
    if pd.notna(row.get("p_low")):
        return float(min(1.0, 2 * min(row["p_low"], row["p_high"])))
    z = float(row["z_adjusted"])
    return float(2 * stats.norm.sf(abs(z))) if np.isfinite(z) else 0.0


def _id_part(value: str) -> str:
    """A stratum value fit for a finding id (no ``@``, ``#`` or ``:``)."""
    return re.sub(r"[@#:]", "_", str(value)) or "none"


def funnel_measure(measure: str, panel: pd.DataFrame | None = None) -> FunnelMeasure:
    """The :class:`FunnelMeasure` for ``measure``: a ready-made one, or
    ``"numerator/denominator"`` of two count measures (a proportion when the numerator
    never exceeds the denominator in ``panel``, else a ratio of counts).

    >>> funnel_measure("fft_pct_positive").kind
    'PR'
    >>> funnel_measure("ae_12h_waits/emergency_admissions").denominator
    'emergency_admissions'

    A percentage or rate a table of the user's own declares with its numerator and
    denominator (:mod:`workbench.data.declared`) has its funnel too: a proportion, or
    for a rate observed against expected counts.
    """
    declared = M.in_use().get(measure)
    if declared is not None and declared.numerator and declared.denominator:
        num, den = declared.numerator, declared.denominator
        better = "increase" if declared.higher_is_better else "decrease"
        if declared.kind == "percent":
            return FunnelMeasure(measure, num, den, "PR", better, declared.label, 100, "%")
        return FunnelMeasure(measure, num, den, "SR", better,
                             f"{M.label(num)}: observed / expected", 1,
                             "ratio (observed / expected)")
    if measure in FUNNEL_MEASURES:
        return FUNNEL_MEASURES[measure]
    if "/" not in measure:
        raise AnalysisInputError(
            "funnel_measure", "measure", f"is {measure!r}",
            expected=f"one of {sorted(FUNNEL_MEASURES)} or two count measures as "
                     "'numerator/denominator' (e.g. 'ae_over_4h/ae_attendances')")
    num, den = (x.strip() for x in measure.split("/", 1))
    for part, name in (("numerator", num), ("denominator", den)):
        m = M.MEASURES.get(name)
        if m is None or m.kind != "count":
            counts = [k for k, v in M.MEASURES.items() if v.kind == "count"]
            raise AnalysisInputError("funnel_measure", "measure",
                                     f"has {part} {name!r}, which is not a count measure",
                                     expected=f"count measures among {counts}")
    kind = "PR"
    if panel is not None and {num, den} <= set(panel.columns):
        both = panel[[num, den]].dropna()
        kind = "PR" if bool((both[num] <= both[den]).all()) else "RC"
    nm = M.get(num)
    direction = {True: "increase", False: "decrease"}.get(nm.higher_is_better, "decrease")
    return FunnelMeasure(measure, num, den, kind, direction,
                         f"{M.label(num)} per {M.label(den).lower()}" + (" (%)" if kind == "PR"
                                                                          else ""),
                         100 if kind == "PR" else 1, "%" if kind == "PR" else "ratio")


def _period(panel: pd.DataFrame, cols: list[str], period: str) -> pd.Timestamp:
    have = panel.dropna(subset=cols)
    if have.empty:
        raise AnalysisInputError("funnel_view", "measure", f"needs columns {cols}, which have no "
                                 "complete provider-month in the panel",
                                 expected="a measure the panel holds")
    if not period or period == "last":
        per = have.groupby("period")["provider_code"].nunique()
        enough = per[per >= 3]
        return (enough.index.max() if len(enough) else per.index.max())
    if not re.fullmatch(r"\d{4}-\d{2}", str(period)):
        raise AnalysisInputError("funnel_view", "period", f"is {period!r}",
                                 expected="'YYYY-MM', 'last' or empty (the latest month)")
    ts = pd.Timestamp(f"{period}-01")
    if not (have["period"] == ts).any():
        months = sorted(have["period"].dt.strftime("%Y-%m").unique())
        raise AnalysisInputError("funnel_view", "period", f"{period} has no provider with "
                                 f"{cols}", expected=f"a month among {months[:3]} ... "
                                                     f"{months[-3:]}")
    return ts


def funnel_view(panel: pd.DataFrame, measure: str = "fft_pct_positive", period: str = "", *,
                method: str = "SHMI", overdispersion: bool = True,
                limits: Sequence[float] = (95, 99.8), setting: str = "",
                stratum: str = "", max_phi: float | None = EXTREME_PHI,
                unit: str = "provider", units: str = "providers") -> FunnelView:
    """Funnel plot of one measure across providers in one month.

    ``period`` is ``"YYYY-MM"``, or empty / ``"last"`` for the latest month in which at
    least 3 providers have the measure. ``setting`` (e.g. ``"acute"``) keeps providers of
    one setting only; empty keeps all. Providers with a zero denominator are left out
    (with a note). Standardised ratios (complaints) use as expected count the provider's
    denominator times the pooled rate of the month: a crude standardisation that allows
    for size only, not case mix.

    ``stratum`` names a column of the panel that groups like providers (e.g.
    ``"setting"``, ``"region"``, or a specialty column of a user's panel): each stratum
    with at least :data:`MIN_STRATUM_PROVIDERS` providers then gets its own funnel
    (:attr:`FunnelView.strata`; expected counts from the stratum's own rate). With
    ``overdispersion``, a ``phi`` above ``max_phi`` means the providers are not
    comparable as they stand: none is flagged (see :func:`describe_funnel`). ``unit`` and
    ``units`` are what one unit and several are called in its sentences
    (``Session.unit``, ``Session.unit_plural``: ``ward``, ``wards`` for a table of wards).

    >>> from workbench.data.synth import generate
    >>> v = funnel_view(generate(seed=3, n_providers=40, n_months=3).panel)
    >>> v.spec.kind, f"{v.period:%Y-%m}"
    ('PR', '2023-06')
    """
    spec = funnel_measure(measure, panel)
    need = list(spec.derived_numerator or ()) if spec.derived_numerator else [spec.numerator]
    need = list(dict.fromkeys(need + [spec.denominator]))
    missing = [c for c in need if c not in panel.columns]
    if missing:
        raise AnalysisInputError("funnel_view", "measure", f"{measure!r} needs columns "
                                 f"{missing}, which are not in the panel",
                                 expected="a measure the panel holds")
    if stratum and stratum not in panel.columns:
        raise AnalysisInputError("funnel_view", "stratum", f"names column {stratum!r}, which "
                                 "is not in the panel",
                                 expected=f"empty or a column such as {_stratum_columns(panel)}")
    if setting:
        if "setting" not in panel.columns:  # a table of the user's own (wards, sites)
            raise AnalysisInputError("funnel_view", "setting", f"is {setting!r}, but the panel "
                                     "has no setting column", expected="setting='' (every unit)")
        have = sorted(panel["setting"].dropna().astype(str).unique())
        if setting not in have:
            raise AnalysisInputError("funnel_view", "setting", f"is {setting!r}",
                                     expected=f"empty or one of {have}")
        panel = panel[panel["setting"] == setting]
    ts = _period(panel, need, period)
    rows = panel[(panel["period"] == ts)].dropna(subset=need).copy()
    if spec.derived_numerator:
        a, b = spec.derived_numerator
        rows[spec.numerator] = rows[a] - rows[b]
    notes = []
    zero = rows[spec.denominator] <= 0
    if zero.any():
        notes.append(f"{int(zero.sum())} provider(s) with no {M.label(spec.denominator).lower()} "
                     f"in {ts:%B %Y} were left out: {sorted(rows.loc[zero, 'provider_code'])[:10]}.")
        rows = rows[~zero]
    ident = panel.drop_duplicates("provider_code").set_index("provider_code")
    ident = ident.assign(**{c: "" for c in ("sector", "setting") if c not in ident})  # wards
    options = {"method": method, "overdispersion": overdispersion, "limits": limits,
               "max_phi": max_phi, "unit": unit, "units": units}
    view = _one_view(rows, spec, ts, ident, notes, **options)
    if not stratum:
        if not view.comparable:
            view.notes.append(_not_comparable_note(view))
        return view
    view.stratum = stratum
    key = rows[stratum].astype("string").fillna("not recorded")
    small = []
    for value in sorted(key.unique()):
        part = rows[(key == value).to_numpy()]
        if part["provider_code"].nunique() < MIN_STRATUM_PROVIDERS:
            small.append(f"{value} ({part['provider_code'].nunique()})")
            continue
        sub = _one_view(part, spec, ts, ident, [], **options)
        sub.stratum, sub.group = stratum, str(value)
        view.strata[str(value)] = sub
    if small:
        view.notes.append(f"Strata of {stratum} with fewer than {MIN_STRATUM_PROVIDERS} "
                          f"{units} are not compared: {', '.join(small)}.")
    if not view.strata:
        raise AnalysisInputError("funnel_view", "stratum", f"{stratum!r} leaves no group of "
                                 f"{MIN_STRATUM_PROVIDERS} or more providers in {ts:%B %Y}",
                                 expected="a column that groups several providers together")
    return view


def _stratum_columns(panel: pd.DataFrame) -> list[str]:
    """Columns of the panel that could group providers (not measures, not the period)."""
    return [c for c in panel.columns if c not in M.MEASURES
            and c not in ("provider_code", "provider_name", "period")][:8]


def _one_view(rows: pd.DataFrame, spec: FunnelMeasure, ts: pd.Timestamp, ident: pd.DataFrame,
              notes: list[str], *, method, overdispersion, limits, max_phi,
              unit: str = "provider", units: str = "providers") -> FunnelView:
    """The funnel of one group of provider rows of month ``ts``."""
    num, den = spec.numerator, spec.denominator
    if spec.kind == "SR":
        rate = rows[num].sum() / rows[den].sum()
        rows = rows.assign(_expected=rows[den] * rate)
        den = "_expected"
        notes = [*notes, (f"Expected {M.label(spec.numerator).lower()} = "
                          f"{M.label(spec.denominator).lower()} x the pooled rate of the month "
                          f"({formatting.fixed(rate * 1000)} per 1,000): the ratio allows for "
                          "size, not case mix.")]
    res = funnel(rows, num, den, kind=spec.kind, method=method, overdispersion=overdispersion,
                 label="provider_code", limits=limits, max_phi=max_phi)
    codes = res.table["label"].astype(str)
    return FunnelView(spec=spec, period=ts, result=res,
                      names={c: str(ident.at[c, "provider_name"]) for c in codes},
                      sectors={c: str(ident.at[c, "sector"]) for c in codes}, notes=notes,
                      unit=unit, units=units)


def _not_comparable_note(view: FunnelView) -> str:
    """Why no provider is flagged, for the notes."""
    return (f"No {view.unit} is flagged: the {view.units} differ far more than one funnel can "
            f"allow for (phi = {formatting.fixed(view.result.phi)}, above "
            f"{formatting.number(view.result.max_phi)}).")


def _compare_within(view: FunnelView) -> str:
    """What to compare within when the providers are not comparable on one funnel."""
    where = view.spec.like_with_like or (
        f"a group of similar {view.units}: name a column of the panel that groups them "
        "(setting, region, or a specialty column of your own panel) as the stratum, or use a "
        "measure adjusted for case mix")
    return f"Compare them within {where}."


def funnel_outliers(view: FunnelView) -> pd.DataFrame:
    """Providers outside the 95% limits, with plain words, widest level first.

    Columns: ``provider_code, provider_name, sector, value, numerator, denominator, lower,
    upper`` (limits at the widest level), ``level`` (the widest level it is outside),
    ``side``, ``z``, ``summary`` and ``phrase`` (the summary as a typed phrase:
    :func:`outlier_phrases`); compared within strata, also ``stratum`` (each provider
    against its own stratum's limits). Empty when the providers are not comparable.

    >>> from workbench.data.synth import generate
    >>> v = funnel_view(generate(seed=3, n_providers=40, n_months=3).panel, overdispersion=False)
    >>> list(funnel_outliers(v).columns)[:3]
    ['provider_code', 'provider_name', 'sector']
    """
    if view.strata:
        parts = [funnel_outliers(sub).assign(stratum=value)
                 for value, sub in view.strata.items()]
        out = pd.concat(parts, ignore_index=True)
        return out.sort_values(["level", "z"], ascending=[False, True], kind="stable",
                               ignore_index=True)
    res, spec = view.result, view.spec
    t = res.table
    levels = sorted(res.levels, reverse=True)
    top = level_key(levels[0])
    rows = []
    for _, r in t.iterrows():
        hit = [lv for lv in levels if bool(r[f"outlier_{level_key(lv)}"])]
        if not hit:
            continue
        side = r[f"side_{level_key(hit[0])}"]
        good = (side == "high") == (spec.direction == "increase")
        code = str(r["label"])
        val = r["ratio"] * spec.multiplier
        unit = "%" if spec.unit == "%" else ""
        lo, hi = r[f"lcl_{top}"] * spec.multiplier, r[f"ucl_{top}"] * spec.multiplier
        where = "above the upper" if side == "high" else "below the lower"
        # the sentence is a typed phrase: the value a rate on its counts, the counts of
        # people as counts, expected events a model value; a stakeholder's page builds
        # its text under the disclosure rule (workbench.report.disclosure)
        value = K.rate(val, r["numerator"], r["denominator"], unit=unit, base=_base(spec),
                       digits=1 if unit else 2, style="number")
        num = K.count(r["numerator"], _unit(spec.numerator), follows="value")
        if spec.kind == "SR":
            size = "{num} " + _unit(spec.numerator) + " observed, {exp} expected"
            counts = {"num": num, "exp": K.estimate(r["denominator"], style="fixed")}
        else:
            size = ("{num} of {den} " + _unit(spec.denominator) if spec.kind == "PR" else
                    "{num} " + _unit(spec.numerator) + " / {den} " + _unit(spec.denominator))
            counts = {"num": num, "den": K.count(r["denominator"], _unit(spec.denominator))}
        among = f" of {view.stratum} {view.group}" if view.group else ""
        text = K.phrase("{name} ({code}): {value} (" + size + "), " + where
                        + " {level}% limit{among}: unusually "
                        + ("high" if side == "high" else "low") + " ("
                        + ("better" if good else "worse") + " than the others by more than "
                        "chance alone would explain).", name=view.names.get(code, code),
                        code=code, value=value, level=K.estimate(hit[0]), among=among,
                        **counts)
        rows.append({
            "provider_code": code, "provider_name": view.names.get(code, code),
            "sector": view.sectors.get(code, ""), "value": val,
            "numerator": r["numerator"], "denominator": r["denominator"], "lower": lo,
            "upper": hi, "level": hit[0], "side": side, "z": r["z_adjusted"],
            "summary": text.text(), "phrase": text,
        })
    cols = ["provider_code", "provider_name", "sector", "value", "numerator", "denominator",
            "lower", "upper", "level", "side", "z", "summary", "phrase"]
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["level", "z"], ascending=[False, True], kind="stable",
                           ignore_index=True)


def outlier_phrases(view: FunnelView) -> list[K.Phrase]:
    """The sentences of :func:`funnel_outliers` as typed phrases, in the same order.

    >>> from workbench.data.synth import generate
    >>> v = funnel_view(generate(seed=3, n_providers=40, n_months=3).panel, overdispersion=False)
    >>> [p.text() for p in outlier_phrases(v)] == funnel_outliers(v)["summary"].tolist()
    True
    """
    return list(funnel_outliers(view)["phrase"])


def outlier_table(view: FunnelView, digits: int = 3) -> K.Table:
    """:func:`funnel_outliers` without the sentences, as a typed table for a report
    (:class:`~workbench.analysis.findings.kinds.Table`): the value a rate on the
    provider's counts (observed events over expected ones for standardised ratios), the
    numerator a count of people hidden with the value, the denominator a count of people
    (expected events for standardised ratios, a model value), and the limits and z-score
    hidden with the value (they would give it back).

    >>> from workbench.data.synth import generate
    >>> v = funnel_view(generate(seed=3, n_providers=40, n_months=3).panel, overdispersion=False)
    >>> t = outlier_table(v)
    >>> t.columns["value"]["kind"], t.columns["numerator"]["follows"]
    ('rate', 'value')
    """
    frame = funnel_outliers(view).drop(columns=["summary", "phrase"])
    spec = view.spec
    base = _base(spec)
    pct = spec.unit == "%"
    columns = {
        "value": {"kind": K.RATE, "numerator": "numerator", "denominator": "denominator",
                  "base": base, "digits": 1 if pct else 2},
        "numerator": {"kind": K.PEOPLE, "unit": _unit(spec.numerator), "follows": "value"},
        "denominator": ({"kind": K.ESTIMATE} if base == K.ESTIMATE else
                        {"kind": K.PEOPLE, "unit": _unit(spec.denominator)}),
        "lower": {"kind": K.ESTIMATE, "follows": "value"},
        "upper": {"kind": K.ESTIMATE, "follows": "value"},
        "z": {"kind": K.ESTIMATE, "follows": "value"},
    }
    return K.Table(frame, columns, digits=digits)


def _unit(measure: str) -> str:
    """The unit of a count measure in words ("responses", "pathways")."""
    m = M.MEASURES.get(measure)
    return m.unit if m is not None else "events"


def describe_funnel(view: FunnelView) -> str:
    """The funnel in a few plain sentences: centre line, spread, outliers (the text of
    :func:`funnel_phrase`).

    When the providers differ far more than chance would make them (``phi`` above the
    result's ``max_phi``), it says they are not comparable as they stand, that none is
    flagged, and what to compare within; compared within strata, it gives each stratum's
    outliers together.

    >>> from workbench.data.synth import generate
    >>> v = funnel_view(generate(seed=3, n_providers=40, n_months=3).panel)
    >>> describe_funnel(v).startswith("In June 2023")
    True
    """
    return funnel_phrase(view).text()


def funnel_phrase(view: FunnelView) -> K.Phrase:
    """:func:`describe_funnel` as a typed phrase: providers counted as providers, the
    centre line a rate on every provider's counts (a model value for standardised
    ratios), phi a model value.

    >>> from workbench.data.synth import generate
    >>> p = funnel_phrase(funnel_view(generate(seed=3, n_providers=40, n_months=3).panel))
    >>> p.values["p0_n"].kind, p.values["p0_centre"].kind
    ('providers', 'rate')
    """
    res, spec = view.result, view.spec
    if view.strata:
        return _strata_phrase(view)
    pct = "%" if spec.unit == "%" else ""
    t = res.table
    centre = (K.estimate(res.target * spec.multiplier) if spec.kind == "SR" else
              K.rate(res.target * spec.multiplier, t["numerator"].sum(), t["denominator"].sum(),
                     unit=pct, digits=1 if pct else 2, style="number"))
    among = f", among {view.stratum} {view.group}" if view.group else ""
    unit, units, units_cap = view.unit, view.units, view.units.capitalize()
    parts: list[K.Phrase | str] = [K.phrase(
        "In {period}{among}, {n} " + units + " reported {label}; the centre line is {centre}"
        + (f" (every {unit}'s expected value)." if spec.kind == "SR"
           else f" (all {units} pooled)."),
        period=f"{view.period:%B %Y}", among=among, n=K.providers(len(t)), label=spec.label,
        centre=centre)]
    phi = K.estimate(res.phi, style="fixed", digits=2)
    if res.phi is not None and not res.comparable:
        parts.append(K.phrase(
            units_cap + " differ far more than chance would make them (overdispersion phi = "
            "{phi}, above {most}: chance explains less than a tenth of the spread), so they "
            f"are not comparable as they stand and no {unit} is flagged. {{within}}",
            phi=phi, most=K.estimate(res.max_phi), within=_compare_within(view)))
        return K.join(parts)
    if res.phi is not None:
        if res.adjusted:
            parts.append(K.phrase(
                units_cap + " vary more than chance alone would give (overdispersion phi = "
                "{phi}), so the limits were widened to allow for the usual spread between "
                + units + ".", phi=phi))
        else:
            parts.append(K.phrase(units_cap + " vary no more than chance would give (phi = "
                                  "{phi}); the limits are not widened.", phi=phi))
    parts.append(_outside_phrase(view, ""))
    return K.join(parts)


def _outside_phrase(view: FunnelView, of_group: str) -> K.Phrase:
    """How many providers lie outside the limits (of their group)."""
    res = view.result
    out = funnel_outliers(view)
    top = max(res.levels)
    one = len(out) == 1  # providers are counted as they are: the word can follow the number
    return K.phrase("{k} " + (view.unit + " lies" if one else view.units + " lie")
                    + " outside the {low}% limits" + of_group
                    + ", {k_top} of them outside the {top}% limits.",
                    k=K.providers(len(out)), low=K.estimate(min(res.levels)),
                    k_top=K.providers(int((out["level"] == top).sum())), top=K.estimate(top))


def _strata_phrase(view: FunnelView) -> K.Phrase:
    res, spec = view.result, view.spec
    n = sum(len(sub.result.table) for sub in view.strata.values())
    parts: list[K.Phrase | str] = [K.phrase(
        "In {period}, {n} " + view.units + " reported {label}, compared within {stratum}: "
        "{g} "
        + ("group" if len(view.strata) == 1 else "groups")
        + ", each with its own centre line and limits.", period=f"{view.period:%B %Y}",
        n=K.providers(n), label=spec.label, stratum=view.stratum,
        g=K.providers(len(view.strata), "groups"))]
    if res.phi is not None and not res.comparable:
        parts.append(K.phrase("All together they would not be comparable (phi = {phi}).",
                              phi=K.estimate(res.phi, style="fixed", digits=2)))
    apart = [v for v, sub in view.strata.items() if not sub.comparable]
    if apart:
        parts.append(K.phrase("In {g} " + ("group" if len(apart) == 1 else "groups")
                              + " ({which}) the " + view.units + " still differ "
                              "too much "
                              "to compare, and none of them is flagged.",
                              g=K.providers(len(apart), "groups"), which=", ".join(apart[:5])))
    parts.append(_outside_phrase(view, " of their group"))
    return K.join(parts)
