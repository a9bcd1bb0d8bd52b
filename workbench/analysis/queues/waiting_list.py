"""A waiting list from its patients' dates: size by day, demand, capacity and verdicts.

Tidy input, as seaborn takes it: a DataFrame with one row per patient (pathway) and the
names of two columns, the date the patient joined the list (``referral``) and the date
they left it (``removal``, missing while they wait). Dates are whole days.

* :func:`wl_queue_size`: the list size at the end of each day;
* :func:`wl_referral_stats`: demand per week and the coefficient of variation of the
  time between referrals;
* :func:`wl_removal_stats`: capacity per week (removals while the list is not empty) and
  the coefficient of variation of the time between removals;
* :func:`wl_stats`: all of it for one list, with the calculators of
  :mod:`workbench.analysis.queues.calculators`: load, target list size, target and relief
  capacity, mean wait and pressure, and the verdicts (load too big, list too big).

They follow NHSRwaitinglist's ``wl_*`` functions, with these decisions (each explained in
``docs/waiting_lists.md``): one window ``[start_date, end_date]`` for every statistic
(by default from the first referral to the last date in the table); demand counts the
referrals in the window (the package adds the window's ends as two more arrivals);
removals outside the window are left out (the package counts them all); a removal's gap
is measured from the previous removal or from the last day *before* it on which the list
was empty (the package lets a removal that empties the list measure from its own day, a
gap of 0); the mean wait is in weeks, as the target is (the package reports days and
divides them by a target in weeks); and a patient who left before the window opened is
not on the list in it.

>>> import pandas as pd
>>> wl = pd.DataFrame({"referral": pd.to_datetime(["2024-01-01", "2024-01-04", "2024-01-10", "2024-01-16"]),
...                    "removal": pd.to_datetime(["2024-01-08", None, None, None])})
>>> wl_queue_size(wl)["queue_size"].tolist()
[1, 1, 1, 2, 2, 2, 2, 1, 1, 2, 2, 2, 2, 2, 2, 3]
>>> stats = wl_stats(wl, target_wait=4)
>>> stats.queue_size, stats.referrals.demand_weekly, round(stats.mean_wait, 3)
(3, 1.75, 0.857)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from workbench.analysis.findings import formatting
from workbench.analysis.findings.record import Finding, Findings, with_question
from workbench.analysis.queues import calculators as calc
from workbench.errors import AnalysisColumnError, AnalysisInputError, AnalysisTypeError
from workbench.finding_id import FindingId

__all__ = [
    "ReferralStats",
    "RemovalStats",
    "WaitingListStats",
    "date_as_day",
    "dates_as_days",
    "wl_queue_size",
    "wl_referral_stats",
    "wl_removal_stats",
    "wl_stats",
]

#: A list more than this many times its target size needs relief capacity (NHSRwaitinglist).
TOO_BIG = 2.0
#: What every finding of this module names as its model.
MODEL = "queueing theory (NHSRwaitinglist; Fong et al. 2022)"


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class _Dates:
    """A waiting list as whole days since 1970-01-01: ``referral`` (int64) and
    ``removal`` (float64, NaN while waiting), with the window ``[start, end]``.
    """

    referral: np.ndarray
    removal: np.ndarray
    start: int
    end: int

    @property
    def days(self) -> int:
        """Days in the window, both ends included."""
        return self.end - self.start + 1

    def stamp(self, day: int) -> pd.Timestamp:
        return pd.Timestamp(np.datetime64(int(day), "D"))


def _prepare(function: str, data: Any, referral: str, removal: str | None,
             start_date: Any, end_date: Any) -> _Dates:
    """Check the table and the window; the dates as days."""
    if not isinstance(data, pd.DataFrame):
        raise AnalysisTypeError(function, "data", f"is a {type(data).__name__}",
                                expected="a pandas DataFrame with a row per patient")
    for param, col in (("referral", referral), ("removal", removal)):
        if col is not None and col not in data.columns:
            raise AnalysisColumnError(function, param, f"names column {col!r}, which is not "
                                      "in the data",
                                      expected=f"one of {list(map(str, data.columns))}")
    if len(data) == 0:
        raise AnalysisInputError(function, "data", "has no rows",
                                 expected="a row per patient on the list")
    ref = dates_as_days(function, "referral", data[referral], missing_ok=False)
    rem = (dates_as_days(function, "removal", data[removal], missing_ok=True)
           if removal is not None else np.full(len(data), np.nan))
    before = ~np.isnan(rem) & (rem < ref)
    if before.any():
        rows = list(data.index[before][:10])
        raise AnalysisInputError(function, "removal", f"column {removal!r} is before the "
                                 f"referral date at rows {rows}",
                                 expected="removal dates on or after referral dates")
    latest = int(max(ref.max(), np.nanmax(rem) if (~np.isnan(rem)).any() else ref.max()))
    start = (int(ref.min()) if start_date is None
             else date_as_day(function, "start_date", start_date))
    end = latest if end_date is None else date_as_day(function, "end_date", end_date)
    if end < start:
        raise AnalysisInputError(function, "end_date", f"is {_iso(end)}, before start_date "
                                 f"{_iso(start)}", expected="an end date on or after the start")
    return _Dates(ref, rem, start, end)


def dates_as_days(function: str, param: str, column: pd.Series, *,
                  missing_ok: bool) -> np.ndarray:
    """A date column as whole days since 1970-01-01: floats, NaN where missing.

    ``column`` holds dates (datetime64, or ISO text); ``function`` and ``param`` name the
    caller and its argument in the error raised for a value that is not a date, or a missing
    one unless ``missing_ok`` (then the days are whole numbers, ``int64``).

    >>> dates_as_days("f", "referral", pd.Series(["1970-01-02", None]), missing_ok=True).tolist()
    [1.0, nan]
    >>> dates_as_days("f", "referral", pd.Series(["2024-01-31"]), missing_ok=False).tolist()
    [19753]
    """
    try:
        parsed = pd.to_datetime(column, errors="coerce")
    except (TypeError, ValueError):
        parsed = pd.Series(pd.NaT, index=column.index)
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    unreadable = parsed.isna() & column.notna()
    if unreadable.any():
        rows = list(column.index[unreadable][:10])
        raise AnalysisInputError(function, param, f"column {column.name!r} has values that are "
                                 f"not dates at rows {rows} (e.g. {column[unreadable].iloc[0]!r})",
                                 expected="dates (datetime64 or ISO text such as '2024-01-31')")
    if not missing_ok and parsed.isna().any():
        rows = list(column.index[parsed.isna()][:10])
        raise AnalysisInputError(function, param, f"column {column.name!r} is missing at rows "
                                 f"{rows}", expected="a referral date for every patient")
    days = parsed.dt.floor("D").to_numpy(dtype="datetime64[D]").astype("int64").astype("float64")
    days[parsed.isna().to_numpy()] = np.nan
    return days if missing_ok else days.astype("int64")


def date_as_day(function: str, param: str, value: Any) -> int:
    """A date (the start or end of a window) as whole days since 1970-01-01.

    A number, None or text that is not a date is an error naming ``function`` and ``param``.

    >>> date_as_day("f", "start", "1970-01-11"), date_as_day("f", "end", pd.Timestamp("2024-01-31"))
    (10, 19753)
    """
    if value is None or isinstance(value, (bool, int, float)):
        raise AnalysisTypeError(function, param, f"is a {type(value).__name__} ({value!r})",
                                expected="a date ('2024-03-31', a datetime or a Timestamp)")
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise AnalysisInputError(function, param, f"is {value!r}, which is not a date",
                                 expected="a date ('2024-03-31', a datetime or a "
                                          "Timestamp)") from None
    if pd.isna(stamp):
        raise AnalysisInputError(function, param, "is missing", expected="a date")
    return int(np.datetime64(stamp.tz_localize(None) if stamp.tz else stamp, "D")
               .astype("int64"))


def _iso(day: int) -> str:
    return str(np.datetime64(int(day), "D"))


def _check_label(function: str, label: Any) -> str:
    if not isinstance(label, str) or not label or any(c in label for c in "@#:"):
        raise AnalysisInputError(function, "label", f"is {label!r}",
                                 expected="a non-empty name for the list without '@', '#' "
                                          "or ':' (it becomes the findings' subset)")
    return label


def _cv(gaps: np.ndarray) -> float:
    """Coefficient of variation of gaps (R's ``sd``, n - 1); NaN for fewer than two or a
    zero mean.
    """
    if len(gaps) < 2 or gaps.mean() == 0:
        return math.nan
    return float(gaps.std(ddof=1) / gaps.mean())


def _sizes(d: _Dates) -> np.ndarray:
    """The list size at the end of every day of the window."""
    days = np.arange(d.start, d.end + 1)
    joined = np.searchsorted(np.sort(d.referral), days, side="right")
    removed = np.searchsorted(np.sort(d.removal[~np.isnan(d.removal)]), days, side="right")
    return (joined - removed).astype("int64")


# --------------------------------------------------------------------------- size by day


def wl_queue_size(data: pd.DataFrame, *, referral: str = "referral", removal: str = "removal",
                  start_date: Any = None, end_date: Any = None) -> pd.DataFrame:
    """The list size at the end of each day from ``start_date`` to ``end_date``.

    A patient is on the list from their referral day until the day before their removal
    (a patient referred and removed on the same day is never counted). Patients referred
    before the window who are still waiting are on the list from its first day; those
    removed before it are not (NHSRwaitinglist counts them as never leaving). The window
    runs by default from the first referral to the last date in the table (the package
    stops at the last referral).

    Returns a DataFrame with columns ``date`` and ``queue_size``, a row per day.

    >>> import pandas as pd
    >>> wl = pd.DataFrame({"referral": ["2024-01-01", "2024-01-04", "2024-01-10"],
    ...                    "removal": [None, None, None]})
    >>> wl_queue_size(wl)["queue_size"].tolist()
    [1, 1, 1, 2, 2, 2, 2, 2, 2, 3]
    """
    d = _prepare("wl_queue_size", data, referral, removal, start_date, end_date)
    dates = pd.to_datetime(np.arange(d.start, d.end + 1).astype("datetime64[D]"))
    return pd.DataFrame({"date": dates, "queue_size": _sizes(d)})


# --------------------------------------------------------------------------- results


def _finding(kind_outcome: str, label: str, end: int, *, question: str, estimate: float,
             unit: str, formula: str, sentence: str, n: int, parameters: dict[str, Any],
             warning: str = "") -> Finding:
    fid = FindingId("queue", kind_outcome, subset=label, period=_iso(end))
    return Finding(id=str(fid), question=question, estimate=float(estimate), n=int(n),
                   unit=unit, model=MODEL, formula=formula, parameters=dict(parameters),
                   sentence=sentence, warning=warning)


def _patients(n: int) -> str:
    return f"{formatting.count(n)} patient{'' if n == 1 else 's'}"


def _weeks(x: float) -> str:
    text = formatting.number(x)
    return f"{text} week{'' if text == '1' else 's'}"


@dataclass
class ReferralStats:
    """Demand on a list over a window (:func:`wl_referral_stats`).

    Attributes: ``start``, ``end`` (the window, both days included), ``days`` (its length),
    ``referrals`` (how many joined in it), ``demand_daily`` and ``demand_weekly``
    (referrals per day and per week), ``cv`` (coefficient of variation of the days between
    consecutive referrals; NaN with fewer than three referrals), ``label``.
    """

    start: pd.Timestamp
    end: pd.Timestamp
    days: int
    referrals: int
    demand_daily: float
    demand_weekly: float
    cv: float
    label: str = "all"

    def frame(self) -> pd.DataFrame:
        """One row with NHSRwaitinglist's column names (``demand_count`` is the number of
        referrals, not the package's number of gaps).
        """
        return pd.DataFrame({"demand_weekly": [self.demand_weekly],
                             "demand_daily": [self.demand_daily],
                             "demand_cov": [self.cv], "demand_count": [self.referrals]})

    def findings(self, question: str | None = None) -> Findings:
        """Demand per week as a finding (``queue:demand@<label>#<end>``).

        >>> import pandas as pd
        >>> wl = pd.DataFrame({"referral": ["2024-01-01", "2024-01-08"], "removal": [None, None]})
        >>> wl_referral_stats(wl).findings()[0].id
        'queue:demand@all#2024-01-08'
        """
        end = date_as_day("findings", "end", self.end)
        f = _finding(
            "demand", self.label, end, question="How many patients join the list each week?",
            estimate=self.demand_weekly, unit="patients per week",
            formula=f"7 x {self.referrals} referrals / {self.days} days",
            sentence=(f"{_patients(self.referrals)} joined the list in the "
                      f"{formatting.count(self.days)} days from {self.start.date()} to "
                      f"{self.end.date()}: {formatting.number(self.demand_weekly)} a week."),
            n=self.referrals, parameters={"start_date": str(self.start.date()),
                                          "end_date": str(self.end.date())})
        return with_question([f], question)


@dataclass
class RemovalStats:
    """Capacity of a list over a window (:func:`wl_removal_stats`).

    Attributes: ``start``, ``end``, ``removals`` (how many left in the window),
    ``busy_days`` (the days the removals took: the sum of their gaps),
    ``capacity_daily`` and ``capacity_weekly`` (removals per busy day and per week),
    ``cv`` (coefficient of variation of the gaps; NaN with fewer than two removals),
    ``idle_days`` (days in the window at whose end the list was empty), ``label``.

    Dates are whole days: on a list that is often empty, the gaps run from the end of an
    empty day and overstate the time a removal took, so capacity falls towards the
    throughput (a lower bound of what the service could remove).
    """

    start: pd.Timestamp
    end: pd.Timestamp
    removals: int
    busy_days: int
    capacity_daily: float
    capacity_weekly: float
    cv: float
    idle_days: int = 0
    label: str = "all"

    def frame(self) -> pd.DataFrame:
        """One row with NHSRwaitinglist's column names."""
        return pd.DataFrame({"capacity_weekly": [self.capacity_weekly],
                             "capacity_daily": [self.capacity_daily],
                             "capacity_cov": [self.cv], "removal_count": [self.removals]})

    def findings(self, question: str | None = None) -> Findings:
        """Capacity per week as a finding (``queue:capacity@<label>#<end>``).

        >>> import pandas as pd
        >>> wl = pd.DataFrame({"referral": ["2024-01-01", "2024-01-02"],
        ...                    "removal": ["2024-01-03", "2024-01-05"]})
        >>> f = wl_removal_stats(wl).findings()[0]
        >>> f.id, f.estimate
        ('queue:capacity@all#2024-01-05', 3.5)
        """
        end = date_as_day("findings", "end", self.end)
        f = _finding(
            "capacity", self.label, end,
            question="How many patients leave the list each week while it is not empty?",
            estimate=self.capacity_weekly, unit="patients per week",
            formula=f"7 x {self.removals} removals / {self.busy_days} busy days",
            sentence=(f"{_patients(self.removals)} left the list from "
                      f"{self.start.date()} to {self.end.date()}, "
                      f"{formatting.number(self.capacity_weekly)} a week while it was not "
                      "empty."),
            n=self.removals, parameters={"start_date": str(self.start.date()),
                                         "end_date": str(self.end.date())},
            warning=self._warning())
        return with_question([f], question)

    def _warning(self) -> str:
        if not self.removals:
            return "no removals in the window: capacity unknown"
        if self.idle_days:
            days = (self.end - self.start).days + 1
            return (f"the list was empty at the end of {formatting.count(self.idle_days)} of "
                    f"{formatting.count(days)} days: capacity from removal dates is then "
                    "close to the throughput, a lower bound of what the service could remove")
        return ""


@dataclass
class WaitingListStats:
    """Everything :func:`wl_stats` knows about one list, with its verdicts.

    Attributes
    ----------
    referrals, removals : ReferralStats, RemovalStats
        Demand and capacity over the window.
    queue_size : int
        Patients waiting at the end of the window.
    target_queue_size : float
        ``demand x target_wait / factor`` (Little's law; meaningful only when
        ``load < 1``).
    queue_too_big : bool
        ``queue_size > 2 x target_queue_size``: relief capacity is needed.
    load, load_too_big : float, bool
        ``demand / capacity`` and whether it is 1 or more (the list grows).
    mean_wait, mean_wait_days : float
        The mean time waited so far by the patients waiting at the end, in weeks and in
        days (0 when nobody waits).
    target_capacity : float
        The capacity that holds the mean wait at ``target_wait / factor`` given the
        variability of referrals and removals (NaN when either is unknown).
    relief_capacity : float
        The capacity that brings the list to its target size in ``time_to_target`` weeks
        (below demand when the list is under its target).
    pressure : float
        ``2 x mean_wait / target_wait`` (> 1: likely to miss the target).
    target_wait, factor, time_to_target, label, n_patients
        The settings, and the rows of the table.
    """

    referrals: ReferralStats
    removals: RemovalStats
    queue_size: int
    target_queue_size: float
    queue_too_big: bool
    load: float
    load_too_big: bool
    mean_wait: float
    mean_wait_days: float
    target_capacity: float
    relief_capacity: float
    pressure: float
    target_wait: float
    factor: float
    time_to_target: float
    label: str = "all"
    n_patients: int = 0

    @property
    def start(self) -> pd.Timestamp:
        """The first day of the window over which demand and capacity are counted."""
        return self.referrals.start

    @property
    def end(self) -> pd.Timestamp:
        """The last day of that window (included): the day ``queue_size`` is counted at."""
        return self.referrals.end

    @property
    def needs(self) -> str:
        """Which capacity applies: ``"relief"`` (list over twice its target) or
        ``"target"`` (NHSRwaitinglist reports only that one).
        """
        return "relief" if self.queue_too_big else "target"

    def frame(self) -> pd.DataFrame:
        """One row: NHSRwaitinglist's columns (``mean_wait`` in weeks, ``count_demand``
        the number of referrals), then ``mean_wait_days`` and ``needs``. Both capacities
        are given; the package leaves the one that does not apply missing.
        """
        return pd.DataFrame({
            "mean_demand": [self.referrals.demand_weekly],
            "mean_capacity": [self.removals.capacity_weekly],
            "load": [self.load], "load_too_big": [self.load_too_big],
            "count_demand": [self.referrals.referrals], "queue_size": [self.queue_size],
            "target_queue_size": [self.target_queue_size],
            "queue_too_big": [self.queue_too_big], "mean_wait": [self.mean_wait],
            "cv_arrival": [self.referrals.cv], "cv_removal": [self.removals.cv],
            "target_capacity": [self.target_capacity],
            "relief_capacity": [self.relief_capacity], "pressure": [self.pressure],
            "mean_wait_days": [self.mean_wait_days], "needs": [self.needs]})

    def _repr_html_(self) -> str:  # pragma: no cover - presentation
        return self.frame().to_html(index=False, na_rep="")

    def findings(self, question: str | None = None) -> Findings:
        """The list as findings: demand, capacity and list size, then the target list
        size, relief capacity, target capacity, load and pressure, each with a sentence.

        Ids are ``queue:<quantity>@<label>#<end date>``; ``question`` replaces every
        finding's own question.

        >>> import pandas as pd
        >>> wl = pd.DataFrame({"referral": ["2024-01-01", "2024-01-04", "2024-01-10", "2024-01-16"],
        ...                    "removal": ["2024-01-08", None, None, None]})
        >>> [f.key.outcome for f in wl_stats(wl, 4).findings()]  # doctest: +NORMALIZE_WHITESPACE
        ['demand', 'capacity', 'queue_size', 'target_queue_size', 'relief_capacity',
         'target_capacity', 'queue_load', 'waiting_list_pressure']
        """
        end = date_as_day("findings", "end", self.end)
        d, q, t = self.referrals.demand_weekly, self.queue_size, self.target_queue_size
        tw, fac, ttt = self.target_wait, self.factor, self.time_to_target
        num = formatting.number
        pct = calc.percent_within(fac)
        params = {"target_wait": tw, "factor": fac, "time_to_target": ttt,
                  "start_date": str(self.start.date()), "end_date": str(self.end.date())}
        unstable = (f"demand is at or above capacity (load {num(self.load)}): the list has no "
                    "steady size until capacity exceeds demand, and Little's law assumes one"
                    if self.load_too_big else "")
        n = self.n_patients
        out = list(self.referrals.findings()) + list(self.removals.findings())
        for f in out:
            f.parameters.update(params)
        ratio = q / t if t else math.nan
        out.append(_finding(
            "queue_size", self.label, end, question="How many patients are waiting?",
            estimate=q, unit="patients", formula="patients referred and not yet removed",
            sentence=(f"{_patients(q)} {'was' if q == 1 else 'were'} waiting on "
                      f"{self.end.date()}."),
            n=n, parameters=params))
        over = ("over twice the target: relief capacity is needed" if self.queue_too_big
                else "not over twice the target")
        out.append(_finding(
            "target_queue_size", self.label, end,
            question=f"How big should the list be to see {pct} within {num(tw)} weeks?",
            estimate=t, unit="patients",
            formula=f"demand x target_wait / factor = {num(d)} x {num(tw)} / {num(fac)}",
            sentence=(f"To see {pct} of patients within {num(tw)} weeks the list should hold "
                      f"about {num(t)} patients ({num(d)} referrals a week x {num(tw)} weeks "
                      f"/ {num(fac)}); it holds {formatting.count(q)}, {num(ratio)} times "
                      f"the target, {over}."),
            n=n, parameters=params, warning=unstable))
        out.append(_finding(
            "relief_capacity", self.label, end,
            question=f"What capacity brings the list to its target size in {num(ttt)} weeks?",
            estimate=self.relief_capacity, unit="patients per week",
            formula=(f"demand + (queue_size - target_queue_size) / time_to_target = {num(d)} "
                     f"+ ({q} - {num(t)}) / {num(ttt)}"),
            sentence=(f"Bringing the list to {num(t)} patients in {num(ttt)} weeks takes "
                      f"{num(self.relief_capacity)} removals a week, against demand of "
                      f"{num(d)} and capacity of {num(self.removals.capacity_weekly)}."),
            n=n, parameters=params, warning=unstable))
        cvs = (self.referrals.cv, self.removals.cv)
        unknown_cv = ("the variability of referrals or removals could not be estimated "
                      "(fewer than three referrals or two removals)"
                      if any(math.isnan(c) for c in cvs) else "")
        out.append(_finding(
            "target_capacity", self.label, end,
            question=f"What capacity keeps the mean wait at {_weeks(tw / fac)}?",
            estimate=self.target_capacity, unit="patients per week",
            formula=(f"demand + ((cv_demand^2 + cv_capacity^2) / 2) x (factor / target_wait)"
                     f" = {num(d)} + (({num(cvs[0])}^2 + {num(cvs[1])}^2) / 2) x "
                     f"({num(fac)} / {num(tw)})"),
            sentence=(f"Keeping the mean wait at {_weeks(tw / fac)} ({pct} within "
                      f"{_weeks(tw)}) takes {num(self.target_capacity)} removals a week once "
                      "the list is at its target size." if not unknown_cv else
                      f"The capacity that keeps the mean wait at {_weeks(tw / fac)} cannot be "
                      "estimated: the variability of referrals or removals is unknown."),
            n=n, parameters=params, warning=unknown_cv))
        grows = ("at or above 1: the list grows without limit" if self.load_too_big
                 else "below 1: capacity exceeds demand")
        out.append(_finding(
            "queue_load", self.label, end, question="Does demand exceed capacity?",
            estimate=self.load, unit="ratio (demand / capacity)",
            formula=f"demand / capacity = {num(d)} / {num(self.removals.capacity_weekly)}",
            sentence=f"The load, demand over capacity, is {num(self.load)}, {grows}.",
            n=n, parameters=params))
        verdict = ("over 1: the list is likely to miss its target" if self.pressure > 1
                   else "at most 1: the list can meet its target")
        out.append(_finding(
            "waiting_list_pressure", self.label, end,
            question=f"Is the list under pressure to meet {num(tw)} weeks?",
            estimate=self.pressure, unit="ratio (2 x mean wait / target)",
            formula=f"2 x mean_wait / target_wait = 2 x {num(self.mean_wait)} / {num(tw)}",
            sentence=(f"Patients waiting on {self.end.date()} had waited "
                      f"{_weeks(self.mean_wait)} on average; the pressure, 2 x mean wait "
                      f"/ target, is {num(self.pressure)}, {verdict}."),
            n=n, parameters=params))
        return with_question(out, question)


# --------------------------------------------------------------------------- statistics


def _referral_stats(d: _Dates, label: str) -> ReferralStats:
    inside = np.sort(d.referral[(d.referral >= d.start) & (d.referral <= d.end)])
    n = len(inside)
    daily = n / d.days
    return ReferralStats(start=d.stamp(d.start), end=d.stamp(d.end), days=d.days,
                         referrals=n, demand_daily=daily, demand_weekly=7 * daily,
                         cv=_cv(np.diff(inside).astype("float64")), label=label)


def _removal_stats(d: _Dates, label: str) -> RemovalStats:
    rem = d.removal[~np.isnan(d.removal)]
    inside = np.sort(rem[(rem >= d.start) & (rem <= d.end)]).astype("int64")
    sizes = _sizes(d)
    idle = np.arange(d.start, d.end + 1)[sizes == 0]
    previous = np.concatenate([[d.start], inside[:-1]]) if len(inside) else inside
    k = np.searchsorted(idle, inside, side="left") - 1
    last_idle = np.where(k >= 0, idle[np.clip(k, 0, None)] if len(idle) else d.start, d.start)
    gaps = (inside - np.maximum(previous, last_idle)).astype("float64")
    busy = int(gaps.sum())
    daily = len(inside) / busy if busy > 0 else math.nan
    return RemovalStats(start=d.stamp(d.start), end=d.stamp(d.end), removals=len(inside),
                        busy_days=busy, capacity_daily=daily, capacity_weekly=7 * daily,
                        cv=_cv(gaps), idle_days=len(idle), label=label)


def wl_referral_stats(data: pd.DataFrame, *, referral: str = "referral",
                      start_date: Any = None, end_date: Any = None,
                      label: str = "all") -> ReferralStats:
    """Demand over the window: referrals per day and per week, and their variability.

    Demand is the number of referrals in ``[start_date, end_date]`` over its days (both
    ends included). The coefficient of variation is that of the days between consecutive
    referrals (sorted): the ``cv_demand`` of :func:`~workbench.analysis.queues.calculators.
    target_capacity`. NHSRwaitinglist adds the window's first and last days as two more
    arrivals, so its ``demand_count`` is one more than the referrals and its demand and
    CV are raised; see ``docs/waiting_lists.md``. Dates are whole days, so when several
    patients join on one day most gaps are 0 and the CV overstates variability. The table
    may hold referrals only, so the default window ends at the last referral; pass
    ``end_date`` to match :func:`wl_stats`, whose window ends at the last date of either
    kind.

    >>> import pandas as pd
    >>> wl = pd.DataFrame({"referral": ["2024-01-01", "2024-01-04", "2024-01-10", "2024-01-16"]})
    >>> s = wl_referral_stats(wl)
    >>> s.referrals, s.days, s.demand_weekly, round(s.cv, 4)
    (4, 16, 1.75, 0.3464)
    """
    d = _prepare("wl_referral_stats", data, referral, None, start_date, end_date)
    return _referral_stats(d, _check_label("wl_referral_stats", label))


def wl_removal_stats(data: pd.DataFrame, *, referral: str = "referral",
                     removal: str = "removal", start_date: Any = None, end_date: Any = None,
                     label: str = "all") -> RemovalStats:
    """Capacity over the window: removals per week while the list is not empty.

    Each removal in ``[start_date, end_date]`` takes the days since the later of the
    previous removal (the window's first day for the first) and the last day *before* it
    on which the list was empty: an empty list is idle, not slow. Capacity is removals
    over the sum of those gaps; its coefficient of variation is that of the gaps (the
    ``cv_capacity`` of :func:`~workbench.analysis.queues.calculators.target_capacity`).
    NHSRwaitinglist counts removals outside the window too and gives a removal that
    empties the list a gap of 0; see ``docs/waiting_lists.md``.

    >>> import pandas as pd
    >>> wl = pd.DataFrame({"referral": ["2024-01-01", "2024-01-02", "2024-01-10"],
    ...                    "removal": ["2024-01-03", "2024-01-05", "2024-01-12"]})
    >>> s = wl_removal_stats(wl)
    >>> s.removals, s.busy_days, s.capacity_weekly, round(s.cv, 4)
    (3, 7, 3.0, 0.2474)
    """
    d = _prepare("wl_removal_stats", data, referral, removal, start_date, end_date)
    return _removal_stats(d, _check_label("wl_removal_stats", label))


def wl_stats(data: pd.DataFrame, target_wait: float = 18, *, referral: str = "referral",
             removal: str = "removal", start_date: Any = None, end_date: Any = None,
             factor: float = calc.DEFAULT_FACTOR, time_to_target: float = 26,
             label: str = "all") -> WaitingListStats:
    """Everything about one list: demand, capacity, size, target size, capacities, load,
    mean wait and pressure, with the verdicts (:class:`WaitingListStats`).

    ``target_wait`` is in weeks (default 18, the referral-to-treatment standard;
    NHSRwaitinglist defaults to 4). ``factor`` sets the share within the target (the
    package's 4 is 98.2%; ``factor_for(0.92)`` is the 92% standard). Demand and capacity
    are per week (:func:`wl_referral_stats`, :func:`wl_removal_stats`); the mean wait is
    the mean time waited so far by the patients waiting at ``end_date``, in weeks, so the
    pressure divides weeks by weeks (the package divides days by weeks, 7 times too high).

    The list is too big when it holds over twice its target size; then the relief capacity
    over ``time_to_target`` weeks applies, otherwise the target capacity. Both are given.

    >>> import pandas as pd
    >>> wl = pd.DataFrame({"referral": ["2024-01-01", "2024-01-04", "2024-01-10", "2024-01-16"],
    ...                    "removal": ["2024-01-08", None, None, None]})
    >>> s = wl_stats(wl, target_wait=4)
    >>> s.load, s.target_queue_size, s.queue_too_big, round(s.pressure, 4)
    (1.75, 1.75, False, 0.4286)
    """
    label = _check_label("wl_stats", label)
    settings = calc.NumericArguments("wl_stats")
    settings.add("target_wait", target_wait, strict=True, expected="a target wait > 0 weeks")
    settings.add("factor", factor, strict=True,
                 expected="a factor > 0 (4 for 98% within the target; factor_for(0.92) for 92%)")
    settings.add("time_to_target", time_to_target, strict=True,
                 expected="a time to target > 0 weeks")
    if settings.any_vector:
        raise AnalysisTypeError("wl_stats", "target_wait, factor, time_to_target",
                                "include a vector", expected="one number each (one list)")
    d = _prepare("wl_stats", data, referral, removal, start_date, end_date)
    refs, rems = _referral_stats(d, label), _removal_stats(d, label)
    demand, capacity = refs.demand_weekly, rems.capacity_weekly
    size = int(_sizes(d)[-1])
    waiting = (d.referral <= d.end) & (np.isnan(d.removal) | (d.removal > d.end))
    ages = (d.end - d.referral[waiting]).astype("float64")
    mean_days = float(ages.mean()) if len(ages) else 0.0
    mean_weeks = mean_days / 7
    target = calc.target_queue_size(demand, target_wait, factor)
    load = calc.queue_load(demand, capacity) if capacity > 0 else math.nan
    cv_d, cv_c = refs.cv, rems.cv
    tcap = (calc.target_capacity(demand, target_wait, factor, cv_d, cv_c)
            if not (math.isnan(cv_d) or math.isnan(cv_c)) else math.nan)
    relief = calc.relief_capacity(demand, size, target, time_to_target)
    pressure = calc.waiting_list_pressure(mean_weeks, target_wait)
    return WaitingListStats(
        referrals=refs, removals=rems, queue_size=size, target_queue_size=target,
        queue_too_big=bool(size > TOO_BIG * target), load=load,
        # no removal at all: nobody leaves, so the list can only grow
        load_too_big=bool(load >= 1) if not math.isnan(load) else rems.removals == 0,
        mean_wait=mean_weeks, mean_wait_days=mean_days, target_capacity=tcap,
        relief_capacity=relief, pressure=pressure, target_wait=float(target_wait),
        factor=float(factor), time_to_target=float(time_to_target), label=label,
        n_patients=len(d.referral))
