"""Notebook 13 (integrated performance report): many measures of one provider or a group,
each on its SPC chart, summed up in one matrix the Making Data Count way.

NHS boards read performance through NHS England's *Making Data Count* approach: for each
measure an SPC chart, and one summary row with the latest value, the target, a
**variation** icon (what the latest month shows) and an **assurance** icon (whether the
target will be met). :func:`performance_report` builds that for one provider (or a group
of providers added together) and a list of measures, each with its direction of
improvement and its target:

* each measure is charted by :func:`~workbench.analysis.questions.spc_monitoring.spc_view`:
  a Laney p' or u' chart where the measure is a proportion or rate whose counts the data
  hold (:data:`~workbench.analysis.questions.spc_monitoring.RATE_COUNTS`), an XmR chart
  otherwise (its limits cut at the measure's possible range);
* the **variation** is that of the latest point
  (:func:`~workbench.analysis.monitoring.spc.variation_of`): common cause, or special
  cause of improvement or concern (or neither, for a measure with no better direction)
  from a higher or lower value, whichever rule flagged it;
* the **assurance** compares the target with the process limits of the latest point
  (:func:`~workbench.analysis.monitoring.spc.assurance_of`, as NHSRplotthedots does):
  limits wholly on the good side of the target: it will consistently be met; wholly on
  the bad side: it will consistently be missed; a target between the limits (or on one):
  hit and miss. No target, or no better direction: no assurance;
* a measure the data cannot chart (not held, no month in the range, a single month)
  stays in the matrix with the reason.

For a group, each month's counts are added across the providers (a p'/u' chart of the
pooled rate), count measures are added, and other measures are the plain mean of the
providers' values; only months in which every provider of the group has a value are kept
(a month missing one provider would move the line for no reason in the process).

Finding mapping
---------------
One finding per charted measure (:meth:`PerformanceReport.findings`):

* ``id`` ``performance:<measure>@<unit>#<YYYY-MM>`` (the unit is the provider's code, or
  the group's, and the month that of the latest value);
* ``estimate`` the latest value, ``ci_low``/``ci_high`` the process limits of that point
  (where about 99.7% of points fall while nothing changes: **not** a confidence
  interval), ``n`` months in the current group of points, ``model`` ``xmr``, ``p'`` or
  ``u'``;
* ``sentence`` the latest value, the target and the variation and assurance in words;
  typed for the disclosure rule as notebook 04's findings are (a rate on its month's
  counts, a count of people, or a value shown as it is).

Example
-------
>>> from workbench.data.synth import generate
>>> panel = generate(seed=3, n_providers=40, n_months=14).panel
>>> r = performance_report(panel, [{"measure": "rtt_median_weeks", "target": 18},
...                                "fft_pct_positive"], providers=["R001"])
>>> list(r.matrix().columns)
['Measure', 'Latest month', 'Latest value', 'Target', 'Variation', 'Assurance', 'Reading']
>>> [f.id for f in r.findings()]
['performance:rtt_median_weeks@R001#2024-05', 'performance:fft_pct_positive@R001#2024-05']
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from workbench.analysis.findings import formatting
from workbench.analysis.findings import kinds as K
from workbench.analysis.findings.record import Finding, FindingId, Findings
from workbench.analysis.monitoring.spc import ASSURANCES, VARIATIONS
from workbench.analysis.questions.spc_monitoring import (
    DEFAULT_MIN_POINTS,
    SPCView,
    chart_kind,
    default_providers,
    rate_counts,
    screen_views,
    spc_phrase,
    spc_view,
)
from workbench.data import measures as M
from workbench.errors import AnalysisInputError

FUNCTION = "performance_report"
#: Keys a measure of the ``measures`` list may give (all but ``measure`` optional).
MEASURE_KEYS = ("measure", "direction", "target", "chart", "rebase")
#: Words a user may give for a direction, and the SPC direction each means.
DIRECTION_WORDS = {"increase": "increase", "higher": "increase", "up": "increase",
                   "decrease": "decrease", "lower": "decrease", "down": "decrease",
                   "neutral": "neutral", "neither": "neutral", "": ""}
#: The finding kind of this notebook's findings.
FINDING_KIND = "performance"

#: The variation of the latest point in a few words (the matrix's Variation column).
VARIATION_SHORT = {
    "common_cause": "Common cause",
    "improvement_high": "Improvement (high)",
    "improvement_low": "Improvement (low)",
    "concern_high": "Concern (high)",
    "concern_low": "Concern (low)",
    "neutral_high": "Unusually high",
    "neutral_low": "Unusually low",
}
#: The variation in a reading's words.
VARIATION_READING = {
    "common_cause": "Common cause variation: no sign of change",
    "improvement_high": "Special cause improvement (higher values)",
    "improvement_low": "Special cause improvement (lower values)",
    "concern_high": "Special cause concern (higher values)",
    "concern_low": "Special cause concern (lower values)",
    "neutral_high": "Special cause variation (higher values; neither better nor worse)",
    "neutral_low": "Special cause variation (lower values; neither better nor worse)",
}
#: The assurance in a few words (the matrix's Assurance column).
ASSURANCE_SHORT = {
    "consistent_pass": "Consistently met",
    "consistent_fail": "Consistently missed",
    "inconsistent": "Hit and miss",
}
#: The assurance in a reading's words.
ASSURANCE_READING = {
    "consistent_pass": "the target will consistently be met",
    "consistent_fail": "the target will consistently be missed",
    "inconsistent": "hit and miss: the target will sometimes be met and sometimes missed",
}
assert set(VARIATION_SHORT) == set(VARIATIONS) and set(ASSURANCE_SHORT) == set(ASSURANCES)


@dataclass(frozen=True)
class MeasureSpec:
    """One measure of the report: its name, direction of improvement (``increase``,
    ``decrease`` or ``neutral``), target (None: no target), chart (``auto`` or ``xmr``)
    and rebase dates.
    """

    measure: str
    direction: str
    target: float | None = None
    chart: str = "auto"
    rebase: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The measure's label from the registry (or the user's declaration)."""
        return M.get(self.measure).label

    @property
    def better(self) -> str:
        """Which way is better, in words.

        >>> MeasureSpec("rtt_median_weeks", "decrease").better
        'lower is better'
        """
        return {"increase": "higher is better", "decrease": "lower is better",
                "neutral": "neither way is better"}[self.direction]


def measure_specs(measures: Sequence[str | Mapping[str, Any]]) -> list[MeasureSpec]:
    """The ``measures`` parameter read: each entry a measure's name (its own direction,
    no target) or a mapping with ``measure`` and any of ``direction`` (``increase`` /
    ``higher``, ``decrease`` / ``lower``, ``neutral``; empty: the measure's own),
    ``target`` (a number on the measure's scale), ``chart`` (``auto``: p'/u' where the
    counts are held, else XmR; ``xmr``) and ``rebase`` (month starts beginning new limits).

    >>> [(s.measure, s.direction, s.target) for s in measure_specs(
    ...     ["fft_pct_positive", {"measure": "rtt_median_weeks", "direction": "lower",
    ...                           "target": 18}])]
    [('fft_pct_positive', 'increase', None), ('rtt_median_weeks', 'decrease', 18.0)]
    >>> measure_specs([{"measure": "rtt_median_weeks", "goal": 18}])
    Traceback (most recent call last):
    ...
    workbench.errors.AnalysisInputError: performance_report(): measures entry 1 has key(s) ['goal']. Expected: keys among ['measure', 'direction', 'target', 'chart', 'rebase'].
    """
    if isinstance(measures, (str, Mapping)) or not isinstance(measures, Sequence):
        measures = [measures]
    if not measures:
        raise AnalysisInputError(FUNCTION, "measures", "is empty",
                                 expected="a list of measures, each a name or "
                                          "{measure, direction, target}")
    out: list[MeasureSpec] = []
    for i, entry in enumerate(measures, start=1):
        where = f"entry {i}"
        if isinstance(entry, str):
            entry = {"measure": entry}
        if not isinstance(entry, Mapping):
            raise AnalysisInputError(FUNCTION, "measures", f"{where} is {entry!r}",
                                     expected="a measure's name or a mapping "
                                              "{measure, direction, target}")
        extra = [k for k in entry if k not in MEASURE_KEYS]
        if extra:
            raise AnalysisInputError(FUNCTION, "measures", f"{where} has key(s) {extra}",
                                     expected=f"keys among {list(MEASURE_KEYS)}")
        name = entry.get("measure")
        if not isinstance(name, str) or not name:
            raise AnalysisInputError(FUNCTION, "measures", f"{where} has no 'measure' name",
                                     expected="{'measure': <name>, ...}")
        m = M.get(name)  # an unknown name raises UnknownMeasureError with the closest
        word = entry.get("direction") or ""
        if not isinstance(word, str) or word.lower() not in DIRECTION_WORDS:
            raise AnalysisInputError(FUNCTION, "measures", f"{where} ({name}) has direction "
                                     f"{word!r}", expected="'increase' (or 'higher'), "
                                     "'decrease' (or 'lower'), 'neutral' or empty (the "
                                     "measure's own)")
        direction = DIRECTION_WORDS[word.lower()] or m.direction
        target = entry.get("target")
        if target is not None:
            if isinstance(target, bool) or not isinstance(target, (int, float)) \
                    or not math.isfinite(float(target)):
                raise AnalysisInputError(FUNCTION, "measures", f"{where} ({name}) has target "
                                         f"{target!r}", expected="a number on the measure's "
                                         f"scale ({m.unit}), or none")
            target = float(target)
        chart = entry.get("chart") or "auto"
        if chart not in ("auto", "xmr"):
            raise AnalysisInputError(FUNCTION, "measures", f"{where} ({name}) has chart "
                                     f"{chart!r}", expected="'auto' (p'/u' where the counts "
                                     "are held, else XmR) or 'xmr'")
        rebase = entry.get("rebase") or ()
        if isinstance(rebase, str):
            rebase = (rebase,)
        out.append(MeasureSpec(name, direction, target, chart, tuple(map(str, rebase))))
    seen = [s.measure for s in out]
    twice = sorted({n for n in seen if seen.count(n) > 1})
    if twice:
        raise AnalysisInputError(FUNCTION, "measures", f"names {twice} more than once",
                                 expected="each measure once")
    return out


@dataclass
class MeasureResult:
    """One measure of the report (a row of the matrix): its chart (``view``, None when
    it could not be charted, with ``reason``), the latest month and value, the
    variation and assurance codes ('' when there are none) and the reading in words.
    """

    spec: MeasureSpec
    view: SPCView | None
    reason: str
    latest_month: pd.Timestamp | None
    latest: K.Value | None
    variation: str = ""
    assurance: str = ""
    reading: str = ""
    #: months charted (in the current group of points)
    n_points: int = 0
    trial_limits: bool = False

    @property
    def charted(self) -> bool:
        """True when the measure has its SPC chart."""
        return self.view is not None

    @property
    def chart_kind(self) -> str:
        """What the chart's plotted values are, for the disclosure rule of the figure
        (:func:`~workbench.analysis.questions.spc_monitoring.chart_kind`; '' when not
        charted).

        >>> from workbench.data.synth import generate
        >>> p = generate(seed=3, n_providers=40, n_months=14).panel
        >>> [r.chart_kind for r in performance_report(p, ["complaints", "fft_pct_positive"],
        ...                                           ["R001"]).measures]
        ['people', 'rate']
        """
        return chart_kind(self.view) if self.view is not None else ""

    @property
    def target_value(self) -> K.Value | None:
        """The target as a typed value (shown as it is), None without one."""
        t = self.spec.target
        return None if t is None else K.estimate(t, M.get(self.spec.measure).unit,
                                                 style="quantity")


@dataclass
class PerformanceReport:
    """The integrated performance report of one unit (a provider, or a group added
    together): a :class:`MeasureResult` per measure, in the order asked.
    """

    unit_code: str
    unit_name: str
    providers: list[str]
    sector: str
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    measures: list[MeasureResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def group(self) -> bool:
        """True when the unit is a group of providers added together."""
        return len(self.providers) > 1

    @property
    def charted(self) -> list[MeasureResult]:
        """The measures that have an SPC chart."""
        return [r for r in self.measures if r.charted]

    @property
    def period_words(self) -> str:
        """The months the report covers, in words ("April 2024 to June 2025")."""
        if self.start is None or self.end is None:
            return "no months"
        return f"{self.start:%B %Y} to {self.end:%B %Y}"

    def matrix(self) -> pd.DataFrame:
        """The summary matrix in words, one row per measure: ``Measure`` (with which way
        is better), ``Latest month``, ``Latest value`` and ``Target`` (each in its unit,
        written by :func:`~workbench.analysis.findings.formatting.quantity`), ``Variation``,
        ``Assurance`` and the one-line ``Reading``. The raw numbers, for an analyst; the
        report shows :func:`workbench.performance_matrix` (icons, and the numbers through
        the disclosure rule).

        >>> from workbench.data.synth import generate
        >>> p = generate(seed=3, n_providers=40, n_months=14).panel
        >>> performance_report(p, [{"measure": "fft_pct_positive", "target": 90}],
        ...                    providers=["R001"]).matrix().iloc[0]["Target"]
        '90.0%'
        """
        rows = []
        for r in self.measures:
            unit = M.get(r.spec.measure).unit
            rows.append({
                "Measure": f"{r.spec.label}; {r.spec.better}",
                "Latest month": "" if r.latest_month is None else f"{r.latest_month:%B %Y}",
                "Latest value": "" if r.latest is None else r.latest.text(),
                "Target": formatting.quantity(r.spec.target, unit),
                "Variation": VARIATION_SHORT.get(r.variation, "Not charted"),
                "Assurance": assurance_words(r),
                "Reading": r.reading,
            })
        return pd.DataFrame(rows, columns=["Measure", "Latest month", "Latest value", "Target",
                                           "Variation", "Assurance", "Reading"])

    def findings(self, question: str | None = None) -> Findings:
        """One finding per charted measure (see the module docstring); ``question``
        replaces each measure's question.

        >>> from workbench.data.synth import generate
        >>> p = generate(seed=3, n_providers=40, n_months=14).panel
        >>> f = performance_report(p, [{"measure": "rtt_median_weeks", "target": 18}],
        ...                        providers=["R002"]).findings()[0]
        >>> f.ci_low < f.estimate < f.ci_high, f.key.subset, f.n_kind
        (True, 'R002', 'periods')
        """
        out = []
        for r in self.charted:
            s = r.view.result.summary.iloc[0]
            m = M.get(r.spec.measure)
            wording = self.sentence(r)
            last = r.view.result.table.iloc[-1]
            kind = {}
            if r.latest.kind == K.RATE:
                kind = {"estimate_kind": K.RATE, "numerator": float(last["numerator"]),
                        "denominator": float(last["denominator"]),
                        "denominator_kind": K.PEOPLE}
            elif r.latest.kind == K.PEOPLE:
                kind = {"estimate_kind": K.PEOPLE}
            else:
                kind = {"estimate_kind": K.ESTIMATE}
            out.append(Finding(
                id=str(FindingId(FINDING_KIND, r.spec.measure, subset=self.unit_code,
                                 period=f"{r.latest_month:%Y-%m}")),
                question=question or f"How is {_plain_label(m.label)} at {self.unit_name} "
                                     "doing, and will it meet its target?",
                estimate=float(s["last_value"]), ci_low=float(s["lpl"]),
                ci_high=float(s["upl"]), n=int(s["n_in_group"]), unit=m.unit,
                model=r.view.chart,
                formula=(f"Making Data Count: {r.view.chart_words}; variation of the latest "
                         f"point, assurance of the target against its process limits "
                         f"({r.spec.better})"),
                sector=self.sector,
                warning=("trial limits (fewer than 12 points)" if r.trial_limits else ""),
                sentence=wording.text(), n_kind=K.PERIODS, wording=wording.to_dict(), **kind))
        return Findings(out)

    def sentence(self, r: MeasureResult) -> K.Phrase:
        """One measure's finding sentence as a typed phrase: the latest value and month,
        the target and the reading.

        >>> from workbench.data.synth import generate
        >>> p = generate(seed=3, n_providers=40, n_months=14).panel
        >>> rep = performance_report(p, [{"measure": "rtt_median_weeks", "target": 18}],
        ...                          providers=["R001"])
        >>> rep.sentence(rep.measures[0]).text().split(":")[0]
        'RTT median wait at Synthetic NHS Trust 001, May 2024'
        """
        m = M.get(r.spec.measure)
        values: dict[str, K.Value | str] = {"who": self.unit_name,
                                             "month": f"{r.latest_month:%B %Y}"}
        template = f"{_brace(_plain_label(m.label))} at {{who}}, {{month}}: "
        if r.latest is not None:
            values["latest"] = r.latest
            template += "{latest}"
        if r.target_value is not None:
            values["target"] = r.target_value
            template += " (target {target})"
        template += ". " + _brace(r.reading)
        return K.Phrase(template, values)

    def answer(self) -> K.Phrase:
        """The report's answer in two or three sentences: how many measures show special
        cause improvement or concern, how many will meet or miss their targets, and
        which measures are of concern.

        >>> from workbench.data.synth import generate
        >>> p = generate(seed=3, n_providers=40, n_months=14).panel
        >>> performance_report(p, ["rtt_median_weeks"], providers=["R001"]).answer().text()[:46]
        'For Synthetic NHS Trust 001, 1 measure charted'
        """
        charted = self.charted
        values: dict[str, K.Value | str] = {"who": self.unit_name,
                                             "n": K.providers(len(charted), "measures")}
        noun = "measure" if len(charted) == 1 else "measures"
        text = f"For {{who}}, {{n}} {noun} charted ({_brace(self.period_words)})"
        if not charted:
            return K.Phrase(text + ": none of the measures asked for could be charted.", values)
        groups = [("improvement", "special cause improvement"),
                  ("concern", "special cause concern"),
                  ("neutral", "special cause variation with neither way better"),
                  ("common", "common cause variation only")]
        parts = []
        for key, words in groups:
            k = sum(r.variation.startswith(key) for r in charted)
            if k:
                values[f"v_{key}"] = K.providers(k, "measures")
                parts.append(f"{{v_{key}}} {'shows' if k == 1 else 'show'} {words}")
        text += ": " + _series(parts) + "."
        sure = [("consistent_pass", "will consistently meet the target"),
                ("consistent_fail", "will consistently miss it"),
                ("inconsistent", "will sometimes meet and sometimes miss it (hit and miss)")]
        parts = []
        for key, words in sure:
            k = sum(r.assurance == key for r in charted)
            if k:
                values[f"a_{key}"] = K.providers(k, "measures")
                parts.append(f"{{a_{key}}} {words}")
        if parts:
            text += " Of the measures with a target, " + _series(parts) + "."
        concern = [_plain_label(r.spec.label) for r in charted
                   if r.variation.startswith("concern") or r.assurance == "consistent_fail"]
        if concern:
            text += " Needing attention: " + _brace(_series(concern)) + "."
        left = len(self.measures) - len(charted)
        if left:
            values["left"] = K.providers(left, "measures")
            text += " Not charted (see the notes at the end): {left}."
        return K.Phrase(text, values)

    def limits(self) -> list[str]:
        """What the report can and cannot show, in sentences (for its last section)."""
        out = [("A special cause says that something changed, not why; a chart of common "
                "cause variation says the process is stable, not that it is good."),
               ("Assurance assumes the process goes on as it is: a target met by chance in "
                "a hit-and-miss process will be missed in other months.")]
        if self.group:
            out.append(f"The group adds up {len(self.providers)} providers "
                       f"({', '.join(self.providers)}): counts are added, other measures "
                       "are the plain mean of the providers' values; months missing a "
                       "provider are left out.")
        for r in self.measures:
            if not r.charted:
                out.append(f"{r.spec.label}: not charted: {r.reason}.")
                continue
            out += [f"{r.spec.label}: {n}" for n in r.view.notes
                    if "trial limits" not in n]   # trial limits are in the reading
        if len(self.charted) > 1:   # chance signals across the measures, allowing for time
            out.append(screen_views({r.spec.label: r.view for r in self.charted}).sentence)
        return out + self.notes


def performance_report(panel: pd.DataFrame, measures: Sequence[str | Mapping[str, Any]],
                       providers: Sequence[str] | str = (), *, start: str = "",
                       end: str = "", group_name: str = "") -> PerformanceReport:
    """The integrated performance report of one provider, or a group of providers added
    together, for ``measures`` (see :func:`measure_specs`).

    ``providers`` empty takes the first NHS acute trust with 12 or more months of the
    first measure (:func:`~workbench.analysis.questions.spc_monitoring.default_providers`);
    several codes make a group, named ``group_name`` (default: the codes). ``start`` and
    ``end`` (``YYYY-MM``, empty: the data's first and last month) limit the months.

    >>> from workbench.data.synth import generate
    >>> panel = generate(seed=3, n_providers=40, n_months=14).panel
    >>> r = performance_report(panel, ["complaints_per_1000"], ["R001", "R002"],
    ...                        start="2023-06")
    >>> r.unit_code, r.measures[0].view.chart, r.start.strftime("%Y-%m")
    ('R001+R002', "u'", '2023-06')
    """
    specs = measure_specs(measures)
    if isinstance(providers, str):
        providers = [providers] if providers else []
    codes = [str(c) for c in providers]
    lo, hi = _month(start, "start"), _month(end, "end")
    if lo is not None and hi is not None and lo > hi:
        raise AnalysisInputError(FUNCTION, "start", f"is {start!r}, after end {end!r}",
                                 expected="a first month no later than the last")
    rows = panel
    if lo is not None:
        rows = rows[rows["period"] >= lo]
    if hi is not None:
        rows = rows[rows["period"] <= hi]
    if not codes:
        first = next((s.measure for s in specs if s.measure in panel.columns
                      and panel[s.measure].notna().any()), None)
        codes = default_providers(rows, first, n=1) if first is not None and \
            rows[first].notna().any() else []
        if not codes:
            raise AnalysisInputError(FUNCTION, "providers", "is empty and no provider has "
                                     f"{DEFAULT_MIN_POINTS} or more months of the first "
                                     "measure in the chosen months",
                                     expected="the code of the provider to report on")
    known = set(panel["provider_code"].astype(str))
    unknown = [c for c in codes if c not in known]
    if unknown:
        import difflib
        close = {c: difflib.get_close_matches(c, known, n=1) for c in unknown}
        hint = "; ".join(f"{c!r} (closest: {v[0]!r})" for c, v in close.items() if v)
        raise AnalysisInputError(FUNCTION, "providers", f"names {unknown}, not in the data"
                                 + (f": {hint}" if hint else ""),
                                 expected="provider codes from column 'provider_code'")
    ident = panel.drop_duplicates("provider_code").set_index("provider_code")
    sectors = {str(ident.at[c, "sector"]) if "sector" in ident else "all" for c in codes}
    sector = sectors.pop() if len(sectors) == 1 else "all"
    if len(codes) == 1:
        unit_code, unit_name = codes[0], str(ident.at[codes[0], "provider_name"])
    else:
        unit_code = _slug(group_name) if group_name else (
            "+".join(codes) if len(codes) <= 5 else f"{codes[0]}+{len(codes) - 1}_more")
        unit_name = group_name or (f"the group of {len(codes)} providers "
                                   f"({', '.join(codes[:5])}{', ...' if len(codes) > 5 else ''})")
    mine = rows[rows["provider_code"].isin(codes)]
    report = PerformanceReport(unit_code, unit_name, codes, sector, None, None)
    months: list[pd.Timestamp] = []
    for spec in specs:
        data, note = _unit_rows(mine, spec, codes, unit_code, unit_name, sector)
        if note:
            report.notes.append(note)
        result = _one_measure(spec, data, panel, codes, unit_code, lo, hi)
        report.measures.append(result)
        if result.charted:
            months += list(result.view.result.table["date"])
    if months:
        report.start, report.end = min(months), max(months)
    return report


# --------------------------------------------------------------------------- helpers


def _month(text: str, name: str) -> pd.Timestamp | None:
    """A ``YYYY-MM`` parameter as its month start; None when empty."""
    if text is None or str(text).strip() == "":
        return None
    if not re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", str(text).strip()):
        raise AnalysisInputError(FUNCTION, name, f"is {text!r}",
                                 expected="a month as 'YYYY-MM' (e.g. '2024-04'), or empty")
    try:
        return pd.Period(str(text).strip()[:7], freq="M").to_timestamp()
    except ValueError:
        raise AnalysisInputError(FUNCTION, name, f"is {text!r}",
                                 expected="a month as 'YYYY-MM' (e.g. '2024-04'), or empty"
                                 ) from None


def _slug(text: str) -> str:
    """A group's name as a code (letters, digits, ``_ . + -``)."""
    return re.sub(r"[^A-Za-z0-9_.+-]+", "_", str(text)).strip("_") or "group"


def _brace(text: str) -> str:
    """Text as part of a phrase's template (braces doubled)."""
    return str(text).replace("{", "{{").replace("}", "}}")


def _plain_label(label: str) -> str:
    """A measure's label without its unit in brackets ("RTT median wait")."""
    return re.sub(r"\s*\([^)]*\)\s*$", "", label)


def _series(parts: list[str]) -> str:
    """``a, b and c``."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _unit_rows(rows: pd.DataFrame, spec: MeasureSpec, codes: list[str], unit_code: str,
               unit_name: str, sector: str) -> tuple[pd.DataFrame, str]:
    """The rows one measure is charted from: the provider's own, or the group's added
    together (months when every provider has a value), and a note of months left out.
    """
    measure = spec.measure
    counts = rate_counts(measure) if spec.chart == "auto" else None
    cols = [measure] if measure in rows.columns else []
    if counts is not None and all(c in rows.columns for c in counts.columns):
        cols = list(dict.fromkeys(cols + counts.columns))
    else:
        counts = None
    base = ["provider_code", "provider_name", "period"]
    if len(codes) == 1 or not cols:
        return rows[base + [c for c in ("sector", "setting") if c in rows] + cols], ""
    need = counts.columns if counts is not None else [measure]
    have = rows.dropna(subset=need)
    full = have.groupby("period")["provider_code"].nunique()
    keep = full.index[full == len(codes)]
    dropped = int((full < len(codes)).sum())
    have = have[have["period"].isin(keep)]
    if counts is not None:
        agg = have.groupby("period")[list(dict.fromkeys(counts.columns))].sum()
        num = agg[counts.numerator] - (agg[counts.minus] if counts.minus else 0)
        agg[measure] = num / agg[counts.denominator] * counts.scale
    elif M.get(measure).kind == "count":
        agg = have.groupby("period")[[measure]].sum()
    else:
        agg = have.groupby("period")[[measure]].mean()
    agg = agg.reset_index().assign(provider_code=unit_code, provider_name=unit_name,
                                   sector=sector, setting="")
    note = (f"{M.get(measure).label}: {dropped} month(s) left out because not every "
            "provider of the group had a value." if dropped else "")
    return agg, note


def _one_measure(spec: MeasureSpec, data: pd.DataFrame, panel: pd.DataFrame,
                 codes: list[str], unit_code: str, lo, hi) -> MeasureResult:
    """Chart one measure of the unit, or say why it cannot be."""
    measure = spec.measure
    held = data[data[measure].notna()] if measure in data.columns else data.iloc[0:0]
    n = held["period"].nunique()
    if n < 2:
        anywhere = panel[panel["provider_code"].isin(codes)]
        anywhere = anywhere[anywhere[measure].notna()] if measure in anywhere else anywhere[:0]
        if measure not in panel.columns or not panel[measure].notna().any():
            reason = "the data hold no values of it"
        elif anywhere.empty:
            reason = "the data hold no values of it for this provider" + (
                "" if len(codes) == 1 else " group")
        elif n == 0:
            span = sorted(anywhere["period"].unique())
            held_words = (f"{pd.Timestamp(span[0]):%B %Y}" if len(span) == 1 else
                          f"{len(span)} months, {pd.Timestamp(span[0]):%B %Y} to "
                          f"{pd.Timestamp(span[-1]):%B %Y}")
            reason = f"no month of it in the chosen months (the data hold {held_words})"
        else:
            reason = (f"only one month of it ({pd.Timestamp(held['period'].iloc[0]):%B %Y}); "
                      "an SPC chart needs at least 2 months, and 12 or more for firm limits")
        latest_month, latest = None, None
        if n == 1:
            row = held.iloc[-1]
            latest_month, latest = pd.Timestamp(row["period"]), _typed(measure, row)
        return MeasureResult(spec, None, reason, latest_month, latest,
                             reading=f"Not charted: {reason}.")
    view = spc_view(data, measure, [unit_code], direction=spec.direction, target=spec.target,
                    rebase=list(spec.rebase), chart=spec.chart)
    s = view.result.summary.iloc[0]
    latest = spc_phrase(view, unit_code).values["last_value"]
    variation = str(s["variation"])
    assurance = "" if pd.isna(s["assurance"]) else str(s["assurance"])
    reading = VARIATION_READING[variation]
    if assurance:
        reading += "; " + ASSURANCE_READING[assurance]
    elif spec.target is not None and spec.direction == "neutral":
        reading += "; no assurance (a target needs a better direction)"
    reading += "."
    n_group = int(s["n_in_group"])
    if bool(s["trial_limits"]):
        reading += (f" Trial limits: only {n_group} months in the current period; they "
                    "will move as months are added.")
    if bool(s.get("limits_cut", False)):
        reading += " Limits cut at the possible range."
    return MeasureResult(spec, view, "", pd.Timestamp(s["last_date"]), latest, variation,
                         assurance, reading, n_group, bool(s["trial_limits"]))


def _typed(measure: str, row: pd.Series) -> K.Value:
    """A single month's value of ``measure`` with its kind (for a measure not charted)."""
    m = M.get(measure)
    kind = K.measure_kind(measure)
    value = float(row[measure])
    counts = K.rate_counts(row.to_frame().T, measure)
    if kind == K.RATE and counts is not None and pd.notna(counts[0].iloc[0]) \
            and pd.notna(counts[1].iloc[0]):
        return K.rate(value, float(counts[0].iloc[0]), float(counts[1].iloc[0]), unit=m.unit)
    if kind == K.PEOPLE:
        return K.count(value, m.unit, style="quantity", digits=0)
    return K.estimate(value, m.unit, style="quantity")   # a share without its counts too


def assurance_words(r: MeasureResult) -> str:
    """A measure's assurance in a few words: the icon's, or why there is none.

    >>> assurance_words(MeasureResult(MeasureSpec("rtt_median_weeks", "decrease", 18.0),
    ...                               None, "no data", None, None))
    'Not charted'
    """
    if not r.charted:
        return "Not charted"
    if r.assurance:
        return ASSURANCE_SHORT[r.assurance]
    return "No target" if r.spec.target is None else "No assurance"


__all__ = [
    "ASSURANCE_READING",
    "ASSURANCE_SHORT",
    "FINDING_KIND",
    "MEASURE_KEYS",
    "VARIATION_READING",
    "VARIATION_SHORT",
    "MeasureResult",
    "MeasureSpec",
    "PerformanceReport",
    "assurance_words",
    "measure_specs",
    "performance_report",
]
