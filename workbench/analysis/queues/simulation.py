"""Simulated waiting lists: referrals at random, removals into a schedule of slots.

* :func:`wl_schedule`: give each open patient, first come first served, the first slot
  after their referral day (NHSRwaitinglist's ``wl_schedule``);
* :func:`wl_simulator`: referrals over a period (a Poisson number, on days drawn
  uniformly) and removals into evenly spaced slots at the weekly capacity
  (NHSRwaitinglist's ``wl_simulator`` with its ``sim_schedule``), optionally with
  withdrawals and on top of an existing list. Seeded with NumPy's ``default_rng``: the
  same seed gives the same list.

Decisions where the package differs (``docs/waiting_lists.md``): the open patients are
put in referral order before slots are given (the package takes the table's order, so an
unsorted table wastes slots); slots are taken in date order; a withdrawn patient leaves
the list on their withdrawal day and is offered no slot from that day on (the package
records withdrawals but still schedules the patient); the simulated period includes its
last day, and demand is spread over all its days.

>>> wl = wl_simulator("2024-01-01", "2024-03-31", demand=10, capacity=11, seed=1)
>>> list(wl.columns), len(wl) == len(wl_simulator("2024-01-01", "2024-03-31", 10, 11, seed=1))
(['referral', 'removal'], True)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from workbench.analysis.queues import calculators as calc
from workbench.analysis.queues.waiting_list import date_as_day, dates_as_days
from workbench.errors import AnalysisColumnError, AnalysisInputError, AnalysisTypeError

__all__ = ["schedule_slots", "wl_schedule", "wl_simulator"]


def schedule_slots(start_date: Any, days: int, capacity: float) -> pd.DatetimeIndex:
    """Evenly spaced slots for ``capacity`` removals a week over ``days`` days.

    Slot ``k`` falls on day ``ceil(7k / capacity)`` after ``start_date``, for every ``k``
    that keeps it within the ``days`` days (NHSRwaitinglist's ``sim_schedule``).

    >>> [str(d.date()) for d in schedule_slots("2024-01-01", 3, 14)]
    ['2024-01-01', '2024-01-02', '2024-01-02', '2024-01-03', '2024-01-03']
    """
    args = calc.NumericArguments("schedule_slots")
    args.add("capacity", capacity, expected="a capacity >= 0 patients per week")
    args.add("days", days, strict=True, expected="a number of days >= 1")
    if args.any_vector:
        raise AnalysisTypeError("schedule_slots", "capacity", "is a vector",
                                expected="one capacity per schedule")
    start = date_as_day("schedule_slots", "start_date", start_date)
    days, daily = int(days), float(capacity) / 7
    if daily == 0:
        return pd.DatetimeIndex([])
    last = math.floor((days - 1) * daily + 1e-9)
    offsets = np.ceil(np.round(np.arange(last + 1) / daily, 9)).astype("int64")
    return pd.DatetimeIndex((start + offsets).astype("datetime64[D]")).as_unit("ns")


def _slot_days(schedule: Any) -> np.ndarray:
    """The schedule as sorted whole days, or an error if it is not dates."""
    if isinstance(schedule, (str, bytes)) or not hasattr(schedule, "__len__"):
        raise AnalysisTypeError("wl_schedule", "schedule", f"is a {type(schedule).__name__}",
                                expected="a list, array, Series or DatetimeIndex of dates")
    values = pd.Series(list(schedule) if not isinstance(schedule, pd.Series) else schedule)
    if len(values) and not (pd.api.types.is_datetime64_any_dtype(values)
                            or values.map(lambda v: isinstance(v, (pd.Timestamp, np.datetime64))
                                          or hasattr(v, "isoformat")).all()):
        raise AnalysisTypeError("wl_schedule", "schedule", f"holds values that are not dates "
                                f"(e.g. {values.iloc[0]!r})",
                                expected="dates (datetime64, date or Timestamp values)")
    values.name = "schedule"
    return np.sort(dates_as_days("wl_schedule", "schedule", values, missing_ok=False))


def wl_schedule(data: pd.DataFrame, schedule: Any, *, referral: str = "referral",
                removal: str = "removal", withdrawal: str | None = None,
                unscheduled: bool = False):
    """Give the open patients of a list the slots of a schedule, first come first served.

    Patients without a removal date are taken in referral order; each slot, in date order,
    goes to the first of them referred *before* the slot's day (a slot no patient can take
    is left unused). With ``withdrawal`` (a column of withdrawal dates), a patient who
    withdraws on or before a slot's day is passed over, and leaves the list on their
    withdrawal day if no earlier slot was theirs.

    Returns the table with the removal dates filled in, sorted by referral (the index is
    kept); with ``unscheduled=True``, also a table of the slots, ``schedule`` and
    ``scheduled`` (whether a patient took it), as NHSRwaitinglist returns.

    >>> import pandas as pd
    >>> wl = pd.DataFrame({"referral": pd.to_datetime(["2024-01-01", "2024-01-04", "2024-01-10", "2024-01-16"]),
    ...                    "removal": pd.to_datetime(["2024-01-08", None, None, None])})
    >>> slots = pd.to_datetime(["2024-01-03", "2024-01-05", "2024-01-18"])
    >>> done, used = wl_schedule(wl, slots, unscheduled=True)
    >>> done["removal"].dt.strftime("%m-%d").fillna("-").tolist(), used["scheduled"].tolist()
    (['01-08', '01-05', '01-18', '-'], [False, True, True])
    """
    if not isinstance(data, pd.DataFrame):
        raise AnalysisTypeError("wl_schedule", "data", f"is a {type(data).__name__}",
                                expected="a pandas DataFrame with a row per patient")
    for param, col in (("referral", referral), ("removal", removal), ("withdrawal", withdrawal)):
        if col is not None and col not in data.columns:
            raise AnalysisColumnError("wl_schedule", param, f"names column {col!r}, which is "
                                      "not in the data",
                                      expected=f"one of {list(map(str, data.columns))}")
    if len(data) == 0:
        raise AnalysisInputError("wl_schedule", "data", "has no rows",
                                 expected="a row per patient on the list")
    slots = _slot_days(schedule)
    ref = dates_as_days("wl_schedule", "referral", data[referral], missing_ok=False)
    rem = dates_as_days("wl_schedule", "removal", data[removal], missing_ok=True)
    wd = (dates_as_days("wl_schedule", "withdrawal", data[withdrawal], missing_ok=True)
          if withdrawal is not None else np.full(len(data), np.nan))
    wd = np.where(np.isnan(wd), np.inf, wd)
    waiting = np.flatnonzero(np.isnan(rem))
    waiting = waiting[np.argsort(ref[waiting], kind="stable")]
    given = np.full(len(data), np.nan)
    used = np.zeros(len(slots), dtype=bool)
    i, n = 0, len(waiting)
    for j, slot in enumerate(slots):
        while i < n and wd[waiting[i]] <= slot:
            i += 1
        if i < n and slot > ref[waiting[i]]:
            given[waiting[i]] = slot
            used[j] = True
            i += 1
    withdrawn = np.isnan(rem) & np.isnan(given) & np.isfinite(wd)
    given[withdrawn] = wd[withdrawn]
    out = data.copy()
    filled = np.where(np.isnan(rem), given, rem)
    out[removal] = _as_dates(filled)
    out = out.iloc[np.argsort(ref, kind="stable")]
    if not unscheduled:
        return out
    return out, pd.DataFrame({"schedule": _as_dates(slots.astype("float64")),
                              "scheduled": used})


def _as_dates(days: np.ndarray) -> pd.Series:
    """Whole days (NaN missing) as datetime64[ns] values (NaT missing)."""
    stamps = np.full(len(days), np.datetime64("NaT"), dtype="datetime64[D]")
    known = ~np.isnan(days)
    stamps[known] = days[known].astype("int64").astype("datetime64[D]")
    return pd.Series(stamps.astype("datetime64[ns]")).to_numpy()


def wl_simulator(start_date: Any, end_date: Any = None, demand: float = 10,
                 capacity: float = 11, waiting_list: pd.DataFrame | None = None,
                 withdrawal_prob: float | None = None, *, seed: Any = None,
                 referral: str = "referral", removal: str = "removal") -> pd.DataFrame:
    """A simulated list: referrals and scheduled removals from ``start_date`` to ``end_date``.

    The number of referrals is Poisson with mean ``demand x days / 7`` (``days`` counts
    both ends of the period), each on a day drawn uniformly from the period. Capacity is
    a schedule of evenly spaced slots, ``capacity`` a week (:func:`schedule_slots`),
    filled first come first served by :func:`wl_schedule`. With ``withdrawal_prob``, each
    patient withdraws after a geometric number of days (at least 1; probability
    ``withdrawal_prob`` each day), recorded in a ``withdrawal`` column when it falls in
    the period and the patient was not treated before it (they leave the list that day).
    With ``waiting_list`` (a table with the same columns), its open patients are scheduled
    first. ``seed`` (an int or a ``numpy.random.Generator``) makes the list reproducible;
    ``end_date`` defaults to 31 days after ``start_date`` as in NHSRwaitinglist.

    Returns a table sorted by referral: ``referral``, ``removal`` (missing while
    waiting) and, with withdrawals, ``withdrawal``.

    >>> a = wl_simulator("2024-01-01", "2024-06-30", demand=100, capacity=110, seed=7)
    >>> a.equals(wl_simulator("2024-01-01", "2024-06-30", demand=100, capacity=110, seed=7))
    True
    """
    args = calc.NumericArguments("wl_simulator")
    args.add("demand", demand, expected="a demand >= 0 patients per week")
    args.add("capacity", capacity, expected="a capacity >= 0 patients per week")
    if withdrawal_prob is not None:
        p = args.add("withdrawal_prob", withdrawal_prob, strict=True,
                     expected="a daily probability of withdrawing in (0, 1]")
        if p > 1:
            raise AnalysisInputError("wl_simulator", "withdrawal_prob", f"is {float(p):g}",
                                     expected="a daily probability of withdrawing in (0, 1]")
    if args.any_vector:
        raise AnalysisTypeError("wl_simulator", "demand, capacity, withdrawal_prob",
                                "include a vector", expected="one number each")
    start = date_as_day("wl_simulator", "start_date", start_date)
    end = start + 31 if end_date is None else date_as_day("wl_simulator", "end_date", end_date)
    if end < start:
        raise AnalysisInputError("wl_simulator", "end_date", f"is {end_date!r}, before "
                                 f"start_date {start_date!r}",
                                 expected="an end date on or after the start")
    if not (seed is None or isinstance(seed, (np.random.Generator, int, np.integer))
            ) or isinstance(seed, bool):
        raise AnalysisTypeError("wl_simulator", "seed", f"is a {type(seed).__name__}",
                                expected="an int, a numpy.random.Generator or None")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    days = end - start + 1
    count = int(rng.poisson(float(demand) * days / 7))
    ref = np.sort(start + rng.integers(0, days, size=count))
    sim = pd.DataFrame({referral: _as_dates(ref.astype("float64")),
                        removal: _as_dates(np.full(count, np.nan))})
    withdrawal = None
    if withdrawal_prob is not None:
        withdrawal = "withdrawal"
        wd = (ref + rng.geometric(float(withdrawal_prob), size=count)).astype("float64")
        wd[wd > end] = np.nan
        sim[withdrawal] = _as_dates(wd)
    if waiting_list is not None:
        sim = _join(waiting_list, sim, referral, removal, withdrawal)
    if len(sim) == 0 or float(capacity) == 0:
        return sim.reset_index(drop=True)
    slots = schedule_slots(_iso_day(start), days, capacity)
    out = wl_schedule(sim, slots, referral=referral, removal=removal,
                      withdrawal=withdrawal).reset_index(drop=True)
    if withdrawal:
        # a withdrawal date is kept only for the patients who left by withdrawing
        out[withdrawal] = out[withdrawal].where(out[withdrawal] == out[removal])
    return out


def _iso_day(day: int) -> str:
    return str(np.datetime64(int(day), "D"))


def _join(existing: Any, sim: pd.DataFrame, referral: str, removal: str,
          withdrawal: str | None) -> pd.DataFrame:
    """An existing list and the simulated referrals in one table, sorted by referral."""
    if not isinstance(existing, pd.DataFrame):
        raise AnalysisTypeError("wl_simulator", "waiting_list", f"is a "
                                f"{type(existing).__name__}",
                                expected=f"a DataFrame with columns {referral!r} and {removal!r}")
    missing = [c for c in (referral, removal) if c not in existing.columns]
    if missing:
        raise AnalysisColumnError("wl_simulator", "waiting_list", f"has no column(s) {missing}",
                                  expected=f"columns {referral!r} and {removal!r}")
    cols = [referral, removal] + ([withdrawal] if withdrawal else [])
    old = pd.DataFrame({referral: _as_dates(dates_as_days("wl_simulator", "referral",
                                                          existing[referral], missing_ok=False)
                                            .astype("float64")),
                        removal: _as_dates(dates_as_days("wl_simulator", "removal",
                                                         existing[removal], missing_ok=True))})
    if withdrawal:
        old[withdrawal] = (_as_dates(dates_as_days("wl_simulator", "withdrawal",
                                                   existing[withdrawal], missing_ok=True))
                           if withdrawal in existing.columns else pd.NaT)
    both = pd.concat([old[cols], sim[cols]], ignore_index=True)
    return both.iloc[np.argsort(both[referral].to_numpy(), kind="stable")].reset_index(drop=True)
