"""SPC views of the panel: one measure charted per provider, in words and as findings.

These functions sit between the panel and :mod:`workbench.analysis.monitoring.spc`: they pick the
rows a chart needs (:func:`spc_view`), call the method, put the result into plain words
for readers who do not read charts (:func:`describe_spc`, :func:`spc_summary`) and turn
it into :class:`~workbench.analysis.findings.record.Finding` records
(:meth:`SPCView.findings`).
Notebook 04 and :func:`workbench.interactive.spc_chart` call them; funnel plots are in
:mod:`workbench.analysis.questions.provider_funnel`.

Which chart
-----------
A proportion or rate with a denominator in the panel (:data:`RATE_COUNTS`: FFT %
positive from positive responses of all responses, A&E % within 4 hours, RTT % within 18
weeks of the waiting list, complaints per 1,000 episodes) is charted by default as a
Laney p' or u' chart (:func:`~workbench.analysis.monitoring.laney.laney_p`), whose limits
allow for each month's denominator and stay inside the possible range. Any other
measure, or ``chart="xmr"``, gets an XmR chart, whose limits are cut at the measure's
possible range (0 to 100% for a percentage: :func:`possible_range`) with a note.

Finding mapping
---------------
One finding per provider (:meth:`SPCView.findings`):

* ``id`` ``spc:<measure>@<provider_code>``;
* ``estimate`` the mean of the provider's last group of points (after the last rebase;
  for p'/u' the pooled proportion or rate), ``ci_low``/``ci_high`` the process limits of
  its latest point (the range in which about 99.7% of points fall while the process is
  stable: **not** a confidence interval; for p'/u' they depend on that month's
  denominator);
* ``n`` points in that group, ``p_value`` none, ``model`` ``xmr``, ``p'`` or ``u'``,
  ``unit`` the measure's;
* ``sentence`` the plain-words summary (variation and assurance; values written by
  :func:`~workbench.analysis.findings.formatting.quantity`), ``warning`` says when the
  limits are trial limits (fewer than 12 points).

Screening
---------
With several providers charted, some break a Making Data Count rule by chance, the more
so as monthly figures carry over from one month to the next.
:func:`screen_view` screens every provider's chart for a change beyond chance (one
unusual month, a sustained shift or a gradual drift) on a model of the chart with its
seasonal pattern and its month-to-month persistence
(:func:`workbench.analysis.monitoring.laney.screen`), with the false discovery rate
controlled across the providers; :func:`screen_finding` makes one finding of it
(``spc_screen:<measure>``: the estimate is the number of providers with a change beyond
chance, ``n`` the provider-months screened, the sentence in plain words, the model in
``model``) and :func:`screen_table` one row per provider.

Example
-------
>>> from workbench.data.synth import generate
>>> panel = generate(seed=3, n_providers=40, n_months=14).panel
>>> view = spc_view(panel, "rtt_median_weeks", providers=["R001"])
>>> [f.id for f in view.findings()]
['spc:rtt_median_weeks@R001']
"""

from __future__ import annotations

import difflib
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from workbench.analysis.findings import formatting
from workbench.analysis.findings import kinds as K
from workbench.analysis.findings.record import Finding, FindingId, Findings
from workbench.analysis.monitoring.laney import (
    ScreeningResult,
    laney_p,
    laney_u,
    screen,
    screening_sentence,
)
from workbench.analysis.monitoring.spc import (
    DIRECTIONS,
    NO_FACET,
    TRIAL_LIMIT_POINTS,
    SPCResult,
    TrialLimitsWarning,
    spc,
)
from workbench.data import measures as M
from workbench.errors import AnalysisInputError

#: How many providers an SPC view shows when none are named.
DEFAULT_N_PROVIDERS = 6
#: Fewest points a provider needs to be picked by default (full, not trial, limits).
DEFAULT_MIN_POINTS = 12
#: The charts :func:`spc_view` draws: ``auto`` (p'/u' where the measure has counts),
#: ``xmr`` and ``laney`` (p'/u', an error without counts).
CHARTS = ("auto", "xmr", "laney")


@dataclass(frozen=True)
class RateCounts:
    """The counts behind a proportion or rate: ``(numerator - minus) / denominator x scale``."""

    numerator: str
    denominator: str
    chart: str           # "p" (a proportion: numerator <= denominator) or "u" (a rate)
    scale: float         # 100 for a percentage, 1000 for a rate per 1,000
    minus: str = ""      # a count subtracted from the numerator (attendances - over 4 hours)

    @property
    def columns(self) -> list[str]:
        """The panel columns the counts need."""
        return [c for c in (self.numerator, self.minus, self.denominator) if c]


#: Measures of the registry that are a proportion or rate of two counts in the panel.
RATE_COUNTS: dict[str, RateCounts] = {
    "fft_pct_positive": RateCounts("fft_positive", "fft_responses", "p", 100.0),
    "ae_pct_within_4h": RateCounts("ae_attendances", "ae_attendances", "p", 100.0,
                                   minus="ae_over_4h"),
    "rtt_pct_within_18w": RateCounts("rtt_within_18w", "rtt_waiting_list", "p", 100.0),
    "complaints_per_1000": RateCounts("complaints", "episodes", "u", 1000.0),
}


def rate_counts(measure: str) -> RateCounts | None:
    """The counts behind ``measure``: those of :data:`RATE_COUNTS`, or the numerator and
    denominator a table of the user's own declares for a percent (a p' chart) or a rate
    (a u' chart); None for a measure without counts.

    >>> rate_counts("fft_pct_positive").chart, rate_counts("rtt_median_weeks") is None
    ('p', True)
    """
    declared = M.in_use().get(measure)
    if declared is not None and declared.numerator and declared.denominator:
        return RateCounts(declared.numerator, declared.denominator,
                          "p" if declared.kind == "percent" else "u", declared.per or 1.0)
    return RATE_COUNTS.get(measure)


@dataclass
class SPCView:
    """One measure charted for some providers: the SPC result and what was left out."""

    measure: str
    direction: str
    result: SPCResult
    names: dict[str, str]
    sectors: dict[str, str]
    notes: list[str] = field(default_factory=list)
    #: the chart drawn: ``"xmr"``, ``"p'"`` or ``"u'"``
    chart: str = "xmr"
    #: what one charted unit is called in notes (a declared table: ``ward``)
    unit: str = "provider"

    @property
    def chart_words(self) -> str:
        """What the chart is, in a few words for a report header.

        >>> from workbench.data.synth import generate
        >>> spc_view(generate(seed=3, n_providers=40, n_months=14).panel, "fft_pct_positive",
        ...          ["R001"]).chart_words
        "p' chart (Laney): limits allow for each month's number of responses"
        """
        if self.chart == "xmr":
            return "XmR chart (individual values and moving ranges)"
        den = rate_counts(self.measure).denominator
        return (f"{self.chart} chart (Laney): limits allow for each month's number of "
                f"{M.get(den).unit}")

    @property
    def providers(self) -> list[str]:
        """The charted providers' codes, in chart order."""
        return self.result.facets

    def findings(self, question: str | None = None) -> Findings:
        """One finding per provider (see the module docstring for the mapping); ``question``
        replaces each provider's question (is the measure changing, will it meet its target).

        >>> from workbench.data.synth import generate
        >>> v = spc_view(generate(seed=3, n_providers=40, n_months=14).panel,
        ...              "rtt_median_weeks", ["R002"])
        >>> f = v.findings()[0]
        >>> f.ci_low < f.estimate < f.ci_high
        True
        """
        m = M.get(self.measure)
        out = []
        for _, s in self.result.summary.iterrows():
            code = str(s["facet"])
            t = self.result.table
            start = t.loc[(t["facet"] == s["facet"]) & (t["rebase_group"] == s["rebase_group"]),
                          "date"].min()
            kind = "proportion" if self.chart == "p'" else "rate"
            how = ("mean +/- 2.66 x mean moving range" if self.chart == "xmr" else
                   f"pooled {kind} +/- 3 x its sd at the month's "
                   f"{rate_counts(self.measure).denominator} x sigma_z "
                   f"{formatting.number(s['sigma_z'])}")
            out.append(Finding(
                id=str(FindingId("spc", self.measure, subset=code)),
                question=question or f"Is {m.label} at {self.names[code]} changing, and will "
                                     "it meet its target?",
                estimate=float(s["mean"]), ci_low=float(s["lpl"]), ci_high=float(s["upl"]),
                n=int(s["n_in_group"]), unit=m.unit, model=self.chart,
                formula=f"{how} ({self.direction} is better; "
                        f"points from {start:%Y-%m} to {s['last_date']:%Y-%m})",
                sector=self.sectors[code],
                warning="trial limits (fewer than 12 points)" if s["trial_limits"] else "",
                sentence=f"{self.names[code]} ({code}): {describe_spc(self, s['facet'])}",
                **spc_kinds(self, s["facet"])))
        return Findings(out)


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
    ident = ident.assign(**{c: "" for c in ("sector", "setting") if c not in ident})  # wards
    rank = {c: (0 if ident.at[c, "sector"] == "nhs" and ident.at[c, "setting"] == "acute"
                else 1 if ident.at[c, "sector"] == "nhs" else 2, c) for c in counts.index}
    return sorted(rank, key=rank.get)[:n]


def possible_range(measure: str) -> tuple[float | None, float | None]:
    """The range a measure's values can take, where its limits are cut: 0 to 100 for a
    percentage, the scale's ends for a score, 0 below for a measure that cannot be negative.

    >>> possible_range("fft_pct_positive"), possible_range("rtt_median_weeks")
    ((0.0, 100.0), (0.0, None))
    >>> possible_range("staff_engagement")
    (0.0, 10.0)
    """
    m = M.get(measure)
    if m.kind == "percent":
        return 0.0, 100.0
    if m.unit.startswith("score") and m.low is not None and m.high is not None:
        return float(m.low), float(m.high)
    return (0.0 if m.low == 0 else None), None


def spc_view(panel: pd.DataFrame, measure: str, providers: Sequence[str] = (), *,
             direction: str = "", target: float | None = None,
             rebase: Sequence[str] = (), n_default: int = DEFAULT_N_PROVIDERS,
             chart: str = "auto", unit: str = "provider") -> SPCView:
    """SPC of one measure for some providers (one chart per provider).

    ``providers`` empty picks :func:`default_providers`. ``direction`` empty takes the
    measure's improvement direction from the registry. ``chart`` ``"auto"`` draws a
    Laney p' or u' chart when the measure is a proportion or rate whose counts the panel
    holds (:data:`RATE_COUNTS`), an XmR chart otherwise; ``"xmr"`` always an XmR chart
    (limits cut at :func:`possible_range`, with a note); ``"laney"`` always p'/u'.
    Months where a provider has no value (or, for p'/u', no counts) are left out (and
    counted in ``notes``); a provider with fewer than 2 months is left out with a note.
    Trial limits (fewer than 12 months) are noted as well. ``unit`` is what one unit is
    called in the notes (``Session.unit``: ``ward`` for a table of wards).

    >>> from workbench.data.synth import generate
    >>> panel = generate(seed=3, n_providers=40, n_months=14).panel
    >>> v = spc_view(panel, "fft_pct_positive", ["R001", "R002"], target=90)
    >>> v.direction, v.providers, v.chart
    ('increase', ['R001', 'R002'], "p'")
    >>> spc_view(panel, "fft_pct_positive", ["R001"], chart="xmr").chart
    'xmr'
    """
    _check_measure(panel, measure, "spc_view")
    direction = direction or M.get(measure).direction
    if direction not in DIRECTIONS:
        raise AnalysisInputError("spc_view", "direction", f"is {direction!r}",
                                 expected="'increase', 'decrease', 'neutral' or empty "
                                          "(the measure's own direction)")
    if chart not in CHARTS:
        raise AnalysisInputError("spc_view", "chart", f"is {chart!r}",
                                 expected="'auto' (p'/u' for a proportion or rate with its "
                                          "counts, else XmR), 'xmr' or 'laney'")
    counts = rate_counts(measure)
    has_counts = counts is not None and all(
        c in panel.columns and panel[c].notna().any() for c in counts.columns)
    if chart == "laney" and not has_counts:
        held = [k for k, v in RATE_COUNTS.items()
                if all(c in panel.columns and panel[c].notna().any() for c in v.columns)]
        raise AnalysisInputError("spc_view", "chart", f"is 'laney' but {measure!r} has no "
                                 "numerator and denominator counts in the panel",
                                 expected=f"'auto' or 'xmr', or a measure among {held}")
    laney = has_counts and chart in ("auto", "laney")
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
    if laney:
        gaps = rows[counts.columns].isna().any(axis=1) | (rows[counts.denominator] <= 0)
        what = "counts (of which the percentage or rate is made)"
    else:
        gaps = rows[measure].isna()
        what = "a value"
    if gaps.any():
        per = rows.loc[gaps].groupby("provider_code").size()
        notes.append(f"{int(gaps.sum())} {unit}-month(s) without {what} were left out ("
                     + ", ".join(f"{c}: {n}" for c, n in per.items()) + ").")
    data = rows.loc[~gaps, ["provider_code", "period", measure,
                            *(counts.columns if laney else [])]]
    data = data.loc[:, ~data.columns.duplicated()]
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
    if laney:
        res = _laney_chart(data, measure, counts, direction, target, reb_arg)
        short = res.table.loc[res.table["trial_limits"]].groupby(
            ["facet", "rebase_group"], sort=False).size()
        if len(short):
            notes.append(f"Some groups have fewer than {TRIAL_LIMIT_POINTS} points, so their "
                         "limits are trial limits that will move as points are added: "
                         + "; ".join(f"facet {f!r} group {g} ({n} points)"
                                     for (f, g), n in short.items()) + ".")
    else:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", TrialLimitsWarning)
            res = spc(data, measure, "period", facet="provider_code",
                      improvement_direction=direction, target=target, rebase=reb_arg,
                      bounds=possible_range(measure))
        for w in caught:
            if issubclass(w.category, TrialLimitsWarning):
                notes.append(str(w.message))
            else:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        cut = res.summary.loc[res.summary["limits_cut"], "facet"].astype(str).tolist()
        if cut:
            notes.append(f"XmR limits beyond the possible range ({_range_words(measure)}) "
                         f"are drawn at its end: {', '.join(cut)}.")
    ident = panel.drop_duplicates("provider_code").set_index("provider_code")
    ident = ident.assign(**{c: "" for c in ("sector", "setting") if c not in ident})  # wards
    return SPCView(measure=measure, direction=direction, result=res,
                   names={c: str(ident.at[c, "provider_name"]) for c in keep},
                   sectors={c: str(ident.at[c, "sector"]) for c in keep}, notes=notes,
                   chart="xmr" if not laney else f"{counts.chart}'", unit=unit)


def _laney_chart(data: pd.DataFrame, measure: str, counts: RateCounts, direction: str,
                 target: float | None, rebase) -> SPCResult:
    """The p' or u' chart of a measure's counts, one facet per provider."""
    num = data[counts.numerator] - (data[counts.minus] if counts.minus else 0)
    frame = data.assign(_num=num, _den=data[counts.denominator])
    chart = laney_p if counts.chart == "p" else laney_u
    scale = {"scale": counts.scale} if counts.chart == "p" else {"per": counts.scale}
    return chart(frame, "_num", "_den", "period", facet="provider_code",
                 improvement_direction=direction, target=target, rebase=rebase, **scale)


def _range_words(measure: str) -> str:
    """The possible range of a measure in words ("0.0% to 100.0%", "at least 0.0 weeks")."""
    low, high = possible_range(measure)
    unit = M.get(measure).unit
    if low is not None and high is not None:
        return f"{formatting.quantity(low, unit)} to {formatting.quantity(high, unit)}"
    if low is not None:
        return f"at least {formatting.quantity(low, unit)}"
    return f"at most {formatting.quantity(high, unit)}"


def _last_run(t: pd.DataFrame) -> tuple[int, int, str | None]:
    """The special-cause episode ending the series: its length (points of the last
    point's type), the length of the last point's rule within it, and that rule.
    ``(0, 0, None)`` when the last point is common cause.
    """
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


def describe_spc(view: SPCView, provider: str) -> str:
    """One provider's SPC result in plain words (variation, then assurance): the text of
    :func:`spc_phrase`.

    >>> import pandas as pd
    >>> from workbench.data.synth import generate
    >>> p = generate(seed=3, n_providers=40, n_months=14).panel
    >>> p.loc[p["provider_code"] == "R001", "rtt_median_weeks"] += [0] * 7 + [6] * 7
    >>> describe_spc(spc_view(p, "rtt_median_weeks", ["R001"]), "R001").split(":")[0]
    'Special cause of concern'
    """
    return spc_phrase(view, provider).text()


def spc_phrase(view: SPCView, provider: str) -> K.Phrase:
    """:func:`describe_spc` as a typed phrase (:mod:`workbench.analysis.findings.kinds`):
    the values of a count measure are counts of people and its average a rate over the
    months (the limits follow it); a p'/u' chart's values are rates on their month's
    counts; months are periods; other values are shown as they are.

    >>> from workbench.data.synth import generate
    >>> v = spc_view(generate(seed=3, n_providers=40, n_months=14).panel, "complaints",
    ...              ["R001"], chart="xmr")
    >>> p = spc_phrase(v, "R001")
    >>> p.values["last_value"].kind, p.values["mean"].kind, p.values["upl"].follows
    ('people', 'rate', 'mean')
    """
    res = view.result
    t = res.table[res.table["facet"] == provider]
    s = res.summary.set_index("facet").loc[provider]
    m = M.get(view.measure)
    what = re.sub(r"\s*\([^)]*\)\s*$", "", m.label)
    values: dict[str, K.Value | str] = _spc_values(view, t, s)

    def value(column: str) -> str:
        return "{" + column + "}"

    n, n_rule, rule = _last_run(t)
    var = s["variation"]
    high = var.endswith("_high")
    if var == "common_cause":
        cut = (f" (limits cut at the possible range, {_range_words(view.measure)})"
               if bool(s.get("limits_cut", False)) else "")
        text = (f"Common cause variation: no sign of change in {what}; the latest value "
                f"({value('last_value')}) is within the expected range {value('lpl')} to "
                f"{value('upl')}{cut}.")
    else:
        kind = {"improvement": "Special cause of improvement", "concern":
                "Special cause of concern", "neutral": "Special cause (neutral)"}[var.split("_")[0]]

        def months(k):
            values[f"months_{k}"] = K.periods(k)
            return f"{{months_{k}}} month{'s' if k != 1 else ''}"
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
        text = (f"{kind}: {what} {how} (latest {value('last_value')}; "
                f"average {value('mean')}).")
    a = s["assurance"]
    if not pd.isna(a):
        tgt = value("target")
        text += {"consistent_pass": f" It will consistently meet the target of {tgt} "
                                    "unless something changes.",
                 "consistent_fail": f" It will consistently miss the target of {tgt} "
                                    "unless something changes.",
                 "inconsistent": f" It will sometimes meet and sometimes miss the target of "
                                 f"{tgt} (the target lies within its limits)."}[a]
    if s["trial_limits"]:
        values["n_in_group"] = K.periods(int(s["n_in_group"]))
        text += " (Trial limits: only {n_in_group} months in the current group.)"
    return K.Phrase(text, values)


def _spc_values(view: SPCView, t: pd.DataFrame, s: pd.Series) -> dict[str, K.Value]:
    """The typed values of one provider's SPC summary ``s`` (its points ``t``): latest
    value, average, limits and target, by the kind of the measure and of the chart.
    """
    m = M.get(view.measure)
    kind = K.measure_kind(view.measure)
    group = t[t["rebase_group"] == s["rebase_group"]] if "rebase_group" in t else t
    last = t.iloc[-1]
    counts = {"numerator", "denominator"} <= set(t.columns)
    if counts:   # p'/u': a rate on each month's counts, the average on the group's
        latest = K.rate(s["last_value"], last["numerator"], last["denominator"], unit=m.unit,
                        style="quantity")
        mean = K.rate(s["mean"], group["numerator"].sum(), group["denominator"].sum(),
                      unit=m.unit, style="quantity")
    elif kind == K.PEOPLE:   # counts of people: the average is a rate over the months
        latest = K.count(s["last_value"], m.unit, style="quantity")
        mean = K.rate(s["mean"], group["value"].sum(), len(group), unit=m.unit,
                      base=K.PERIODS, style="quantity")
    else:
        latest = K.estimate(s["last_value"], m.unit, style="quantity")
        mean = K.estimate(s["mean"], m.unit, style="quantity")
    follow = "mean" if kind == K.PEOPLE and not counts else ""
    return {"last_value": latest, "mean": mean,
            "lpl": K.estimate(s["lpl"], m.unit, style="quantity", follows=follow),
            "upl": K.estimate(s["upl"], m.unit, style="quantity", follows=follow),
            "target": K.estimate(s["target"], m.unit, style="quantity")}


def spc_kinds(view: SPCView, provider: str) -> dict:
    """What the numbers of a provider's SPC finding are (the fields of
    :class:`~workbench.analysis.findings.record.Finding` that say so): ``n`` months; the
    estimate a rate over the months for a count measure, a rate on the group's counts
    for p'/u', else a model value; the sentence as a typed phrase.

    >>> from workbench.data.synth import generate
    >>> v = spc_view(generate(seed=3, n_providers=40, n_months=14).panel, "complaints",
    ...              ["R001"], chart="xmr")
    >>> k = spc_kinds(v, "R001")
    >>> k["n_kind"], k["estimate_kind"], k["denominator_kind"]
    ('periods', 'rate', 'periods')
    """
    res = view.result
    t = res.table[res.table["facet"] == provider]
    s = res.summary.set_index("facet").loc[provider]
    mean = _spc_values(view, t, s)["mean"]
    head = K.phrase("{name} ({code}): ", name=view.names.get(provider, str(provider)),
                    code=str(provider))
    out = {"n_kind": K.PERIODS,
           "wording": K.join([head, spc_phrase(view, provider)], sep="").to_dict()}
    if mean.kind != K.RATE:
        return {**out, "estimate_kind": K.ESTIMATE}
    return {**out, "estimate_kind": K.RATE, "numerator": mean.numerator,
            "denominator": mean.denominator, "denominator_kind": mean.base}


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


def chart_kind(view: SPCView) -> str:
    """What an SPC view's plotted values are, for the disclosure rule of its chart: rates
    on counts for a p'/u' chart, counts of people for a count measure, else ``""`` (drawn
    as they are).

    >>> from workbench.data.synth import generate
    >>> p = generate(seed=3, n_providers=40, n_months=14).panel
    >>> chart_kind(spc_view(p, "complaints", ["R001"], chart="xmr")), chart_kind(
    ...     spc_view(p, "rtt_median_weeks", ["R001"]))
    ('people', '')
    """
    if view.chart != "xmr":
        return K.RATE
    return K.PEOPLE if K.measure_kind(view.measure) == K.PEOPLE else ""


def spc_table(view: SPCView, digits: int = 2) -> K.Table:
    """:func:`spc_summary` without the sentences, as a typed table for a report
    (:class:`~workbench.analysis.findings.kinds.Table`): for a count measure the latest
    value is a count of people and the average a rate over the months of its group
    (``total`` and ``months`` beside it), with the limits following it; for a p'/u' chart
    the latest value and average are rates on their counts; other values are shown as
    they are.

    >>> from workbench.data.synth import generate
    >>> v = spc_view(generate(seed=3, n_providers=40, n_months=14).panel, "complaints",
    ...              ["R001"], chart="xmr")
    >>> t = spc_table(v)
    >>> t.columns["latest"]["kind"], t.columns["mean"]["kind"], t.columns["upper_limit"]["follows"]
    ('people', 'rate', 'mean')
    """
    frame = spc_summary(view).drop(columns="summary")
    res = view.result
    per = [_spc_values(view, res.table[res.table["facet"] == f],
                       res.summary.set_index("facet").loc[f]) for f in res.summary["facet"]]
    columns: dict[str, dict] = {}
    latest = per[0]["last_value"] if per else None
    if latest is not None and latest.kind == K.PEOPLE:
        frame.insert(frame.columns.get_loc("mean"), "total",
                     [v["mean"].numerator for v in per])
        frame.insert(frame.columns.get_loc("mean"), "months",
                     [int(v["mean"].denominator) for v in per])
        columns["latest"] = {"kind": K.PEOPLE, "unit": latest.unit}
        columns["total"] = {"kind": K.PEOPLE, "unit": latest.unit}
        columns["months"] = {"kind": K.PERIODS}
        columns["mean"] = {"kind": K.RATE, "numerator": "total", "denominator": "months",
                           "base": K.PERIODS}
        columns["lower_limit"] = {"kind": K.ESTIMATE, "follows": "mean"}
        columns["upper_limit"] = {"kind": K.ESTIMATE, "follows": "mean"}
    elif latest is not None and latest.kind == K.RATE:
        columns["latest"] = {"kind": K.RATE, "numerator": [v["last_value"].numerator for v in per],
                             "denominator": [v["last_value"].denominator for v in per]}
        columns["mean"] = {"kind": K.RATE, "numerator": [v["mean"].numerator for v in per],
                           "denominator": [v["mean"].denominator for v in per]}
    return K.Table(frame, columns, digits=digits)


def _check_measure(panel: pd.DataFrame, measure: str, function: str) -> None:
    M.get(measure)  # unknown names raise UnknownMeasureError with the closest name
    if measure not in panel.columns or panel[measure].notna().sum() == 0:
        have = [c for c in panel.columns if c in M.MEASURES and panel[c].notna().any()]
        raise AnalysisInputError(function, "measure", f"{measure!r} has no values in the panel",
                                 expected=f"a measure the panel holds: {have}")


#: The screen's false discovery rate across the providers of a view.
SCREEN_FDR = 0.05
#: What each screen found, in a reader's words.
SCREEN_WORDS = {"single month": "an unusual month", "sustained shift": "a sustained shift",
                "gradual drift": "a gradual drift"}


def screen_view(view: SPCView, *, fdr: float = SCREEN_FDR, n_sim: int = 2000) -> ScreeningResult:
    """Screen every provider's chart of a view for a change beyond chance.

    Each chart is screened for one unusual month, a sustained shift and a gradual drift
    on a model with its seasonal pattern (from 24 months) and month-to-month
    persistence (shared by the providers from 5 charts), and the false discovery rate
    is controlled at ``fdr`` across the providers
    (:func:`workbench.analysis.monitoring.laney.screen`). The result's ``sentence``
    names the providers with a change by name and code.

    >>> from workbench.data.synth import generate
    >>> p = generate(seed=3, n_providers=40, n_months=24).panel
    >>> codes = ["R001", "R002", "R003", "R004", "R005", "R006"]
    >>> p.loc[(p["provider_code"] == "R003") & (p["period"] >= "2024-07-01"),
    ...       "rtt_median_weeks"] += 15
    >>> s = screen_view(spc_view(p, "rtt_median_weeks", codes), n_sim=300)
    >>> s.flagged["facet"].tolist(), s.flagged["screen"].tolist()
    (['R003'], ['sustained shift'])
    """
    res = screen(view.result, fdr=fdr, n_sim=n_sim)
    names = {c: f"{n} ({c})" for c, n in view.names.items()}
    res.sentence = screening_sentence(res, chart=view.unit, names=names)
    return res


def screen_finding(view: SPCView, screening: ScreeningResult) -> Finding:
    """The screen of a view as one finding (see the module docstring): its sentence says
    what the screen is in plain words; the model (AR(1) errors, harmonics, the tests)
    is in ``model`` for an analyst.

    >>> from workbench.data.synth import generate
    >>> v = spc_view(generate(seed=3, n_providers=40, n_months=14).panel,
    ...              "rtt_median_weeks", ["R001", "R002"])
    >>> f = screen_finding(v, screen_view(v, n_sim=200))
    >>> f.id, f.estimate_kind, "AR(1)" in f.sentence, "AR(1)" in f.model
    ('spc_screen:rtt_median_weeks', 'providers', False, True)
    """
    m = M.get(view.measure)
    t = screening.table
    return Finding(
        id=str(FindingId("spc_screen", view.measure)),
        question=f"Which {view.unit}s' {m.label} changed beyond what chance would give?",
        estimate=float(t["survives_fdr"].sum()),
        n=int(t.loc[t["screened"], "n_points"].sum()),
        unit=f"{view.unit}s", model=screening.model,
        formula=(f"p-value per {view.unit} (one unusual month, a sustained shift or a gradual "
                 f"drift, combined), Benjamini-Hochberg at {formatting.percent(screening.fdr)} "
                 f"across {len(t)} {view.unit}s"),
        sector="all", sentence=screening.sentence, n_kind=K.PERIODS,
        estimate_kind=K.PROVIDERS)


def screen_table(view: SPCView, screening: ScreeningResult) -> pd.DataFrame:
    """One row per provider: name, whether its chart shows a special cause on the rules,
    whether it shows a change beyond chance on the screen, what change and from when,
    and the screen's p-value before and after the control of the false discovery rate.

    >>> from workbench.data.synth import generate
    >>> v = spc_view(generate(seed=3, n_providers=40, n_months=14).panel,
    ...              "rtt_median_weeks", ["R001", "R002"])
    >>> list(screen_table(v, screen_view(v, n_sim=200)).columns)[:4]
    ['provider_code', 'provider_name', 'special_cause', 'beyond_chance']
    """
    t = screening.table
    change = []
    for _, r in t.iterrows():
        if not r["screened"]:
            change.append("not screened (fewer than 10 months)")
            continue
        way = {1: "up", -1: "down"}.get(int(r["direction"]), "")
        when = (f"in {r['month']:%b %Y}" if r["screen"] == "single month"
                else f"from {r['month']:%b %Y}")
        change.append(f"{SCREEN_WORDS[r['screen']]} {way} {when}".replace("  ", " "))
    return pd.DataFrame({
        "provider_code": t["facet"].astype(str),
        "provider_name": t["facet"].map(view.names),
        "special_cause": t["signal"].map({True: "yes", False: "no"}),
        "beyond_chance": t["survives_fdr"].map({True: "yes", False: "no"}),
        "most_likely_change": change,
        "p_value": t["p_value"], "p_adjusted": t["p_adjusted"],
    })


def screen_views(views: Mapping[str, SPCView], *, fdr: float = SCREEN_FDR,
                 n_sim: int = 2000) -> ScreeningResult:
    """Screen the charts of several views of one unit (one chart each: the measures of an
    integrated performance report) for a change beyond chance, each measure with its own
    season and persistence, the false discovery rate controlled across the measures;
    ``views`` maps a measure's label to its view. The sentence calls each chart a measure
    and names it by its label.

    >>> from workbench.data.synth import generate
    >>> p = generate(seed=3, n_providers=40, n_months=24).panel
    >>> vs = {m: spc_view(p, m, ["R001"]) for m in ("rtt_median_weeks", "fft_pct_positive")}
    >>> screen_views(vs, n_sim=200).sentence.split(";")[0]
    '2 of 2 measures show a special cause on the Making Data Count rules'
    """
    tables = []
    for label, v in views.items():
        t = v.result.table
        if t["facet"].nunique() != 1:
            raise AnalysisInputError("screen_views", "views", f"{label!r} has "
                                     f"{t['facet'].nunique()} charts",
                                     expected="one chart per view (one unit)")
        tables.append(t.assign(facet=label))
    table = pd.concat(tables, ignore_index=True)
    res = screen(SPCResult(table=table, summary=pd.DataFrame({"facet": list(views) or
                                                              [NO_FACET]})),
                 fdr=fdr, n_sim=n_sim, autocorrelation="each")
    res.sentence = screening_sentence(res, chart="measure")
    return res
