"""Service-improvement views of the panel: SPC per provider and funnel plots per month.

These functions sit between the panel and :mod:`workbench.analysis.spc` /
:mod:`workbench.analysis.funnel`: they pick the rows a chart needs, call the method,
put the result into plain words for readers who do not read charts, and turn it into
:class:`~workbench.analysis.findings.Finding` records. Notebooks 04 and 05 call them.

Finding mapping
---------------
SPC (:func:`spc_findings`), one finding per provider:

* ``id`` ``spc:<measure>@<provider_code>``;
* ``estimate`` the mean of the provider's last group of points (after the last rebase),
  ``ci_low``/``ci_high`` that group's lower and upper process limits (the range in which
  about 99.7% of points fall while the process is stable: **not** a confidence interval);
* ``n`` points in that group, ``p_value`` none, ``model`` ``xmr``, ``unit`` the measure's;
* ``sentence`` the plain-words summary (variation and assurance), ``warning`` says when the
  limits are trial limits (fewer than 12 points).

Funnel (:func:`funnel_findings`):

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
>>> panel = generate(seed=3, n_providers=40, n_months=14).panel
>>> view = spc_view(panel, "rtt_median_weeks", providers=["R001"])
>>> [f.id for f in spc_findings(view)]
['spc:rtt_median_weeks@R001']
"""

from __future__ import annotations

import difflib
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from workbench.analysis.findings import Finding, FindingId
from workbench.analysis.funnel import FunnelResult, funnel, level_key
from workbench.analysis.spc import DIRECTIONS, SPCResult, TrialLimitsWarning, spc
from workbench.data import measures as M
from workbench.errors import AnalysisInputError

#: How many providers an SPC view shows when none are named.
DEFAULT_N_PROVIDERS = 6
#: Fewest points a provider needs to be picked by default (full, not trial, limits).
DEFAULT_MIN_POINTS = 12


# =========================================================================== SPC


@dataclass
class SPCView:
    """One measure charted for some providers: the SPC result and what was left out."""

    measure: str
    direction: str
    result: SPCResult
    names: dict[str, str]
    sectors: dict[str, str]
    notes: list[str] = field(default_factory=list)

    @property
    def providers(self) -> list[str]:
        return self.result.facets


def default_providers(panel: pd.DataFrame, measure: str, n: int = DEFAULT_N_PROVIDERS,
                      min_points: int = DEFAULT_MIN_POINTS) -> list[str]:
    """The first ``n`` providers (by code) with at least ``min_points`` months of
    ``measure``: NHS acute trusts first, then other NHS providers (e.g. GP practices
    running urgent care), then independent providers.

    >>> from workbench.data.synth import generate
    >>> default_providers(generate(seed=1, n_providers=30, n_months=12).panel,
    ...                   "rtt_median_weeks", n=2)
    ['R001', 'R002']
    """
    _check_measure(panel, measure, "default_providers")
    counts = (panel.loc[panel[measure].notna()].groupby("provider_code")["period"].nunique())
    counts = counts[counts >= min_points]
    ident = panel.drop_duplicates("provider_code").set_index("provider_code")
    rank = {c: (0 if ident.at[c, "sector"] == "nhs" and ident.at[c, "setting"] == "acute"
                else 1 if ident.at[c, "sector"] == "nhs" else 2, c) for c in counts.index}
    return sorted(rank, key=rank.get)[:n]


def spc_view(panel: pd.DataFrame, measure: str, providers: Sequence[str] = (), *,
             direction: str = "", target: float | None = None,
             rebase: Sequence[str] = (), n_default: int = DEFAULT_N_PROVIDERS) -> SPCView:
    """SPC of one measure for some providers (one chart per provider).

    ``providers`` empty picks :func:`default_providers`. ``direction`` empty takes the
    measure's improvement direction from the registry. Months where a provider has no
    value are left out (and counted in ``notes``); a provider with fewer than 2 months
    is left out with a note. Trial-limit warnings are turned into notes as well.

    >>> from workbench.data.synth import generate
    >>> panel = generate(seed=3, n_providers=40, n_months=14).panel
    >>> v = spc_view(panel, "fft_pct_positive", ["R001", "R002"], target=90)
    >>> v.direction, v.providers
    ('increase', ['R001', 'R002'])
    """
    _check_measure(panel, measure, "spc_view")
    direction = direction or M.get(measure).direction
    if direction not in DIRECTIONS:
        raise AnalysisInputError("spc_view", "direction", f"is {direction!r}",
                                 expected="'increase', 'decrease', 'neutral' or empty "
                                          "(the measure's own direction)")
    codes = list(providers) or default_providers(panel, measure, n=n_default)
    if not codes:
        raise AnalysisInputError(
            "spc_view", "providers", f"is empty and no provider has {DEFAULT_MIN_POINTS} or "
            f"more months of {measure!r}", expected="provider codes to chart")
    known = set(panel["provider_code"].astype(str))
    unknown = [c for c in codes if c not in known]
    if unknown:
        close = {c: difflib.get_close_matches(c, known, n=1) for c in unknown}
        hint = "; ".join(f"{c!r} (closest: {v[0]!r})" for c, v in close.items() if v)
        raise AnalysisInputError("spc_view", "providers",
                                 f"names {unknown}, not in the panel" + (f": {hint}" if hint
                                                                        else ""),
                                 expected="provider codes from column 'provider_code'")
    rows = panel[panel["provider_code"].isin(codes)]
    notes = []
    gaps = rows[measure].isna()
    if gaps.any():
        per = rows.loc[gaps].groupby("provider_code").size()
        notes.append(f"{int(gaps.sum())} provider-month(s) without a value were left out ("
                     + ", ".join(f"{c}: {n}" for c, n in per.items()) + ").")
    data = rows.loc[~gaps, ["provider_code", "period", measure]]
    n_points = data.groupby("provider_code").size().reindex(codes, fill_value=0)
    thin = n_points[n_points < 2]
    if len(thin):
        notes.append("Left out, fewer than 2 months of data: "
                     + ", ".join(f"{c} ({n})" for c, n in thin.items()) + ".")
    keep = [c for c in codes if c not in set(thin.index)]
    if not keep:
        raise AnalysisInputError("spc_view", "providers", f"{codes} have fewer than 2 months "
                                 f"of {measure!r} each", expected="providers with data")
    data = data[data["provider_code"].isin(keep)]
    data = data.assign(_order=data["provider_code"].map({c: i for i, c in enumerate(keep)}))
    data = data.sort_values(["_order", "period"])
    reb = [d for d in rebase if str(d).strip()]
    if reb:
        dates = pd.to_datetime(list(reb))
        # each rebase date applies to the providers that have a point on that date
        per = {c: [d for d in dates if (data.loc[data["provider_code"] == c, "period"] == d).any()]
               for c in keep}
        absent = [f"{d:%Y-%m-%d}" for d in dates if not (data["period"] == d).any()]
        if absent:
            raise AnalysisInputError("spc_view", "rebase", f"date(s) {absent} match no month "
                                     f"of {measure!r} for {keep}",
                                     expected="month-start dates (YYYY-MM-01) in the data")
        reb_arg = {c: v for c, v in per.items() if v} or None
    else:
        reb_arg = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", TrialLimitsWarning)
        res = spc(data, measure, "period", facet="provider_code",
                  improvement_direction=direction, target=target, rebase=reb_arg)
    for w in caught:
        if issubclass(w.category, TrialLimitsWarning):
            notes.append(str(w.message))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    ident = panel.drop_duplicates("provider_code").set_index("provider_code")
    return SPCView(measure=measure, direction=direction, result=res,
                   names={c: str(ident.at[c, "provider_name"]) for c in keep},
                   sectors={c: str(ident.at[c, "sector"]) for c in keep}, notes=notes)


def _last_run(t: pd.DataFrame) -> tuple[int, int, str | None]:
    """The special-cause episode ending the series: its length (points of the last
    point's type), the length of the last point's rule within it, and that rule.
    ``(0, 0, None)`` when the last point is common cause."""
    last = t.iloc[-1]
    if last["point_type"] == "common_cause":
        return 0, 0, None
    rule = None if pd.isna(last["rule"]) else str(last["rule"])
    n_episode = n_rule = 0
    same_rule = True
    for pt, r in zip(reversed(t["point_type"].tolist()), reversed(t["rule"].tolist())):
        if pt != last["point_type"]:
            break
        n_episode += 1
        same_rule = same_rule and (None if pd.isna(r) else str(r)) == rule
        n_rule += same_rule
    return n_episode, n_rule, rule


def _fmt(x: float, unit: str) -> str:
    if unit == "%":
        return f"{x:.1f}%"
    return f"{x:,.1f} {unit}" if abs(x) < 1000 else f"{x:,.0f} {unit}"


def describe_spc(view: SPCView, provider: str) -> str:
    """One provider's SPC result in plain words (variation, then assurance).

    >>> import pandas as pd
    >>> from workbench.data.synth import generate
    >>> p = generate(seed=3, n_providers=40, n_months=14).panel
    >>> p.loc[p["provider_code"] == "R001", "rtt_median_weeks"] += [0] * 7 + [6] * 7
    >>> describe_spc(spc_view(p, "rtt_median_weeks", ["R001"]), "R001").split(":")[0]
    'Special cause of concern'
    """
    res = view.result
    t = res.table[res.table["facet"] == provider]
    s = res.summary.set_index("facet").loc[provider]
    m = M.get(view.measure)
    what = re.sub(r"\s*\([^)]*\)\s*$", "", m.label)
    n, n_rule, rule = _last_run(t)
    var = s["variation"]
    high = var.endswith("_high")
    if var == "common_cause":
        text = (f"Common cause variation: no sign of change in {what}; the latest value "
                f"({_fmt(s['last_value'], m.unit)}) is within the expected range "
                f"{_fmt(s['lpl'], m.unit)} to {_fmt(s['upl'], m.unit)}.")
    else:
        kind = {"improvement": "Special cause of improvement", "concern":
                "Special cause of concern", "neutral": "Special cause (neutral)"}[var.split("_")[0]]
        def months(k):
            return f"{k} month{'s' if k != 1 else ''}"
        how = {
            "outside_limits": f"{'above the upper' if high else 'below the lower'} process limit"
                              + (f" for the last {months(n_rule)}" if n_rule > 1
                                 else " in the latest month")
                              + (f", unusual for {months(n)} in all" if n > n_rule else ""),
            "trend": f"{'rising' if high else 'falling'} for {months(n_rule)}",
            "shift": f"{'above' if high else 'below'} its average for {months(n)}",
            "two_in_three": f"two of the last three months close to the "
                            f"{'upper' if high else 'lower'} limit",
        }.get(rule or "", "unusual in the latest month")
        text = (f"{kind}: {what} {how} (latest {_fmt(s['last_value'], m.unit)}; "
                f"average {_fmt(s['mean'], m.unit)}).")
    a = s["assurance"]
    if not pd.isna(a):
        tgt = _fmt(s["target"], m.unit)
        text += {"consistent_pass": f" It will consistently meet the target of {tgt} "
                                    "unless something changes.",
                 "consistent_fail": f" It will consistently miss the target of {tgt} "
                                    "unless something changes.",
                 "inconsistent": f" It will sometimes meet and sometimes miss the target of "
                                 f"{tgt} (the target lies within its limits)."}[a]
    if s["trial_limits"]:
        text += f" (Trial limits: only {int(s['n_in_group'])} months in the current group.)"
    return text


def spc_summary(view: SPCView) -> pd.DataFrame:
    """One row per provider: name, variation, assurance, latest value, mean, limits and
    the plain-words summary, for a report table.

    >>> from workbench.data.synth import generate
    >>> v = spc_view(generate(seed=3, n_providers=40, n_months=14).panel,
    ...              "rtt_median_weeks", ["R001"])
    >>> list(spc_summary(v).columns)[:3]
    ['provider_code', 'provider_name', 'variation']
    """
    s = view.result.summary
    out = pd.DataFrame({
        "provider_code": s["facet"].astype(str),
        "provider_name": s["facet"].map(view.names),
        "variation": s["variation"], "assurance": s["assurance"],
        "last_month": s["last_date"].dt.strftime("%Y-%m"), "latest": s["last_value"],
        "mean": s["mean"], "lower_limit": s["lpl"], "upper_limit": s["upl"],
    })
    out["summary"] = [describe_spc(view, f) for f in s["facet"]]
    return out


def spc_findings(view: SPCView) -> list[Finding]:
    """One finding per provider (see the module docstring for the mapping).

    >>> from workbench.data.synth import generate
    >>> v = spc_view(generate(seed=3, n_providers=40, n_months=14).panel,
    ...              "rtt_median_weeks", ["R002"])
    >>> f = spc_findings(v)[0]
    >>> f.ci_low < f.estimate < f.ci_high
    True
    """
    m = M.get(view.measure)
    out = []
    for _, s in view.result.summary.iterrows():
        code = str(s["facet"])
        t = view.result.table
        start = t.loc[(t["facet"] == s["facet"]) & (t["rebase_group"] == s["rebase_group"]),
                      "date"].min()
        out.append(Finding(
            id=str(FindingId("spc", view.measure, subset=code)),
            question=f"Is {m.label} at {view.names[code]} changing, and will it meet its "
                     "target?",
            estimate=float(s["mean"]), ci_low=float(s["lpl"]), ci_high=float(s["upl"]),
            n=int(s["n_in_group"]), unit=m.unit, model="xmr",
            formula=f"mean +/- 2.66 x mean moving range ({view.direction} is better; "
                    f"points from {start:%Y-%m} to {s['last_date']:%Y-%m})",
            sector=view.sectors[code],
            warning="trial limits (fewer than 12 points)" if s["trial_limits"] else "",
            sentence=f"{view.names[code]} ({code}): {describe_spc(view, s['facet'])}"))
    return out


# =========================================================================== funnel


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

    @property
    def x_label(self) -> str:
        """Label of the funnel's horizontal axis (the denominator, or expected events)."""
        if self.kind == "SR":
            return f"Expected {M.label(self.numerator).lower()}"
        return M.label(self.denominator)


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
        "RTT waiting within 18 weeks (% of the waiting list)", 100, "%"),
    "rtt_over_52w": FunnelMeasure("rtt_over_52w", "rtt_over_52w", "rtt_waiting_list", "PR",
                                  "decrease", "RTT waiting over 52 weeks (% of the list)",
                                  100, "%"),
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


def funnel_measure(measure: str, panel: pd.DataFrame | None = None) -> FunnelMeasure:
    """The :class:`FunnelMeasure` for ``measure``: a ready-made one, or
    ``"numerator/denominator"`` of two count measures (a proportion when the numerator
    never exceeds the denominator in ``panel``, else a ratio of counts).

    >>> funnel_measure("fft_pct_positive").kind
    'PR'
    >>> funnel_measure("ae_12h_waits/emergency_admissions").denominator
    'emergency_admissions'
    """
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
                limits: Sequence[float] = (95, 99.8), setting: str = "") -> FunnelView:
    """Funnel plot of one measure across providers in one month.

    ``period`` is ``"YYYY-MM"``, or empty / ``"last"`` for the latest month in which at
    least 3 providers have the measure. ``setting`` (e.g. ``"acute"``) keeps providers of
    one setting only; empty keeps all. Providers with a zero denominator are left out
    (with a note). Standardised ratios (complaints) use as expected count the provider's
    denominator times the pooled rate of the month: a crude standardisation that allows
    for size only, not case mix.

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
    if setting:
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
    num, den = spec.numerator, spec.denominator
    if spec.kind == "SR":
        rate = rows[num].sum() / rows[den].sum()
        rows["_expected"] = rows[den] * rate
        den = "_expected"
        notes.append(f"Expected {M.label(spec.numerator).lower()} = "
                     f"{M.label(spec.denominator).lower()} x the pooled rate of the month "
                     f"({rate * 1000:.2f} per 1,000): the ratio allows for size, not case mix.")
    res = funnel(rows, num, den, kind=spec.kind, method=method, overdispersion=overdispersion,
                 label="provider_code", limits=limits)
    ident = panel.drop_duplicates("provider_code").set_index("provider_code")
    codes = res.table["label"].astype(str)
    return FunnelView(spec=spec, period=ts, result=res,
                      names={c: str(ident.at[c, "provider_name"]) for c in codes},
                      sectors={c: str(ident.at[c, "sector"]) for c in codes}, notes=notes)


def funnel_outliers(view: FunnelView) -> pd.DataFrame:
    """Providers outside the 95% limits, with plain words, widest level first.

    Columns: ``provider_code, provider_name, sector, value, denominator, lower, upper``
    (limits at the widest level), ``level`` (the widest level it is outside),
    ``side`` and ``summary``.

    >>> from workbench.data.synth import generate
    >>> v = funnel_view(generate(seed=3, n_providers=40, n_months=3).panel, overdispersion=False)
    >>> list(funnel_outliers(v).columns)[:3]
    ['provider_code', 'provider_name', 'sector']
    """
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
        size = (f"{int(r['numerator']):,} of {int(r['denominator']):,}" if spec.kind == "PR"
                else f"{int(r['numerator']):,} observed, {r['denominator']:,.1f} expected"
                if spec.kind == "SR" else f"{int(r['numerator']):,} / {int(r['denominator']):,}")
        rows.append({
            "provider_code": code, "provider_name": view.names.get(code, code),
            "sector": view.sectors.get(code, ""), "value": val,
            "denominator": r["denominator"], "lower": lo, "upper": hi,
            "level": hit[0], "side": side, "z": r["z_adjusted"],
            "summary": (f"{view.names.get(code, code)} ({code}): {val:.3g}{unit} ({size}), "
                        f"{where} {hit[0]:g}% limit: unusually "
                        f"{'high' if side == 'high' else 'low'} "
                        f"({'better' if good else 'worse'} than the others by more than "
                        f"chance alone would explain)."),
        })
    cols = ["provider_code", "provider_name", "sector", "value", "denominator", "lower",
            "upper", "level", "side", "z", "summary"]
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["level", "z"], ascending=[False, True], kind="stable",
                           ignore_index=True)


def describe_funnel(view: FunnelView) -> str:
    """The funnel in a few plain sentences: centre line, spread, outliers.

    >>> from workbench.data.synth import generate
    >>> v = funnel_view(generate(seed=3, n_providers=40, n_months=3).panel)
    >>> describe_funnel(v).startswith("In June 2023")
    True
    """
    res, spec = view.result, view.spec
    n = len(res.table)
    centre = res.target * spec.multiplier
    c = f"{centre:.3g}{'%' if spec.unit == '%' else ''}"
    text = (f"In {view.period:%B %Y}, {n} providers reported {spec.label}; the centre "
            f"line is {c}" + (" (every provider's expected value)." if spec.kind == "SR"
                              else " (all providers pooled)."))
    if res.phi is not None:
        if res.adjusted:
            text += (f" Providers vary more than chance alone would give (overdispersion "
                     f"phi = {res.phi:.2f}), so the limits were widened to allow for the usual "
                     f"spread between providers.")
        else:
            text += (f" Providers vary no more than chance would give (phi = {res.phi:.2f}); "
                     "the limits are not widened.")
    out = funnel_outliers(view)
    top = max(res.levels)
    n_top = int((out["level"] == top).sum())
    text += (f" {len(out)} provider(s) lie outside the {min(res.levels):g}% limits, "
             f"{n_top} of them outside the {top:g}% limits.")
    return text


def funnel_findings(view: FunnelView) -> list[Finding]:
    """The centre line and one finding per outlier at the widest level (see the module
    docstring).

    >>> from workbench.data.synth import generate
    >>> v = funnel_view(generate(seed=3, n_providers=40, n_months=3).panel)
    >>> funnel_findings(v)[0].id
    'funnel:fft_pct_positive@2023-06'
    """
    res, spec = view.result, view.spec
    ym = f"{view.period:%Y-%m}"
    method = (f"{spec.kind}, {res.method}" if spec.kind == "SR" else spec.kind) + (
        f", overdispersion phi={res.phi:.3g}" if res.phi is not None else "")
    formula = f"{spec.numerator} / {spec.denominator} ({method})"
    out = [Finding(
        id=str(FindingId("funnel", spec.measure, subset=ym)),
        question=f"Which providers stand out on {spec.label} in {view.period:%B %Y}?",
        estimate=float(res.target * spec.multiplier), n=len(res.table), unit=spec.unit,
        model="funnel", formula=formula, sector="all", sentence=describe_funnel(view))]
    top = level_key(max(res.levels))
    t = res.table.set_index(res.table["label"].astype(str))
    outliers = funnel_outliers(view)
    for _, o in outliers[outliers["level"] == max(res.levels)].iterrows():
        r = t.loc[o["provider_code"]]
        z = float(r["z_adjusted"])
        out.append(Finding(
            id=str(FindingId("funnel", spec.measure, subset=o["provider_code"], period=ym)),
            question=f"Does {o['provider_name']} stand out on {spec.label}?",
            estimate=float(o["value"]), ci_low=float(r[f"lcl_{top}"] * spec.multiplier),
            ci_high=float(r[f"ucl_{top}"] * spec.multiplier),
            p_value=float(2 * stats.norm.sf(abs(z))) if np.isfinite(z) else 0.0,
            n=round(float(r["denominator"])), unit=spec.unit, model="funnel",
            formula=formula, sector=o["sector"], sentence=o["summary"]))
    return out


def _check_measure(panel: pd.DataFrame, measure: str, function: str) -> None:
    M.get(measure)  # unknown names raise UnknownMeasureError with the closest name
    if measure not in panel.columns or panel[measure].notna().sum() == 0:
        have = [c for c in panel.columns if c in M.MEASURES and panel[c].notna().any()]
        raise AnalysisInputError(function, "measure", f"{measure!r} has no values in the panel",
                                 expected=f"a measure the panel holds: {have}")
