"""Waiting lists from published monthly counts: demand, removals, targets, plans.

The RTT publication gives counts, not patients' dates. :func:`flow_stats` takes lists as
:func:`workbench.data.rtt_flows.aggregate` shapes them (one row per list and month: new
clock starts, completed pathways, the list, its weeks waited) and applies the calculators
of :mod:`workbench.analysis.queues.calculators` to each list's latest month:

* demand = new clock starts per week; completions = completed admitted and non-admitted
  pathways per week; **other removals** = demand - completions - the list's weekly change
  (pathways that end without a recorded treatment: validation, treated elsewhere,
  declined; completions understate removals by them). With one month the list's change
  is unknown and a steady list is assumed (said in every finding that depends on it);
* removals = completions + other removals, the list's capacity in NHSRwaitinglist's sense;
* target list size ``target_queue_size(demand, target_wait, factor)`` (factor
  ``factor_for(0.92)`` by default: 92% within the target); relief capacity
  ``relief_capacity(demand, list, target, time_to_target)``; target capacity
  ``target_capacity(demand, target_wait, factor, cv_demand, cv_capacity)`` for each of the
  ``lists`` summed (each provider x function list is its own queue and needs its own
  margin); load ``queue_load(demand, removals)``; pressure
  ``waiting_list_pressure(mean wait, target_wait)`` with the mean wait from the bands.

Intervals: each month's counts are one draw of Poisson processes with unknown rates.
``n_sims`` draws of new clock starts, completions and other removals (Poisson, around the
counts seen) give 95% intervals for every quantity built on them; the list and its waits
are a census of the patients waiting, taken as known.

:func:`relief_plan` simulates the list week by week at a capacity (NHSRwaitinglist's
simulator at the level of counts: the same Poisson referrals and evenly spaced slots,
:func:`workbench.analysis.queues.simulation.schedule_slots`, a slot going to a patient
referred before its day), for a band of list sizes over time.

The findings say what their numbers are in their sentences' own words: every count of
people is followed by its noun (``patients``, ``pathways``), so a stakeholder report's
text rule (:func:`workbench.report.disclosure.disclose_text`) rounds or hides it.

>>> from workbench.data.rtt_flows import aggregate, example_table
>>> fs = flow_stats(aggregate(example_table(), "england", by_specialty=False), n_sims=200)
>>> row = fs.table.iloc[0]
>>> round(float(row["demand"]), 2), round(float(row["target_queue_size"]), 1), int(row["queue_size"])
(9.33, 66.5, 150)
>>> [f.id for f in fs.findings()][:2]
['queue:queue_size@England#2026-04', 'queue:waiting_list_pressure@England#2026-04']
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbench.analysis.findings import formatting
from workbench.analysis.findings.record import Finding, Findings, with_question
from workbench.analysis.queues import calculators as calc
from workbench.errors import AnalysisInputError
from workbench.finding_id import FindingId

__all__ = ["FlowStats", "ReliefPlan", "flow_stats", "list_label", "relief_plan",
           "simulate_sizes", "slots_per_day"]

#: What the findings of this module name as their model.
MODEL = "queueing theory (NHSRwaitinglist; Fong et al. 2022) on RTT monthly counts"
#: Quantities with a 95% interval from the Poisson simulation of the month's flows.
SIMULATED = ("demand", "completions", "other_removals", "removals", "target_queue_size",
             "relief_capacity", "target_capacity", "queue_load")
#: Every quantity a list has a finding for, in the order they are reported: the list's
#: size and pressure and the size it should be first (the answer a report opens with),
#: then the flows and capacities they come from.
QUANTITIES = ("queue_size", "waiting_list_pressure", "target_queue_size", "relief_capacity",
              "pct_within_18w", "mean_wait", "demand", "completions", "other_removals",
              "target_capacity", "queue_load")
#: Columns a table of lists must have (:func:`workbench.data.rtt_flows.aggregate`).
NEEDED = ("area_code", "area_name", "specialty_code", "specialty_name", "period", "lists",
          "days", "new_clock_starts", "completed", "waiting_list", "waiting_known",
          "within_18w", "weeks_sum", "list_change")
#: The default seed of the simulations.
SEED = 20260430


def list_label(area_code: str, specialty_code: str) -> str:
    """The subset of a list's finding ids: the area, then ``/`` and the treatment
    function(s) unless the list is every function (``all``).

    >>> list_label("England", "all"), list_label("RJ1", "C_110+C_130")
    ('England', 'RJ1/C_110+C_130')
    """
    return str(area_code) if specialty_code == "all" else f"{area_code}/{specialty_code}"


def _check(fn: str, lists: Any) -> pd.DataFrame:
    if not isinstance(lists, pd.DataFrame):
        raise AnalysisInputError(fn, "lists", f"is a {type(lists).__name__}",
                                 expected="lists from workbench.data.rtt_flows.aggregate "
                                          "(a DataFrame)")
    missing = [c for c in NEEDED if c not in lists.columns]
    if missing:
        raise AnalysisInputError(fn, "lists", f"has no column(s) {missing}",
                                 expected="lists from workbench.data.rtt_flows.aggregate")
    if lists.empty:
        raise AnalysisInputError(fn, "lists", "has no rows", expected="at least one list")
    return lists


def _quantiles(draws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The 2.5th and 97.5th percentiles of each column (NaN where every draw is)."""
    lo, hi = np.full(draws.shape[1], np.nan), np.full(draws.shape[1], np.nan)
    whole = np.isfinite(draws).all(axis=0)
    if whole.any():
        lo[whole], hi[whole] = np.percentile(draws[:, whole], [2.5, 97.5], axis=0)
    some = ~whole & np.isfinite(draws).any(axis=0)
    if some.any():
        part = np.where(np.isfinite(draws[:, some]), draws[:, some], np.nan)
        lo[some], hi[some] = np.nanpercentile(part, [2.5, 97.5], axis=0)
    return lo, hi


def flow_stats(lists: pd.DataFrame, *, target_wait: float = 18,
               factor: float | None = None, time_to_target: float = 26,
               cv_demand: float = 1.0, cv_capacity: float = 1.0, period: Any = None,
               n_sims: int = 1000, seed: int = SEED) -> FlowStats:
    """The calculators on each list's month (``period``, default each list's latest).

    ``factor`` defaults to ``factor_for(0.92)`` (the 92% standard; NHSRwaitinglist's 4
    would mean 98%). ``cv_demand`` and ``cv_capacity`` (1: random referrals and removals)
    go into the target capacity. Returns :class:`FlowStats`, one row per list in
    ``.table`` with the 95% intervals of :data:`SIMULATED` quantities (``<q>_low``,
    ``<q>_high``) from ``n_sims`` Poisson draws seeded with ``seed``.
    """
    fn = "flow_stats"
    lists = _check(fn, lists)
    factor = calc.factor_for(0.92) if factor is None else factor
    args = calc.NumericArguments(fn)
    args.add("target_wait", target_wait, strict=True, expected="a target wait > 0 weeks")
    args.add("factor", factor, strict=True, expected="a factor > 0 (factor_for(0.92) for 92%)")
    args.add("time_to_target", time_to_target, strict=True, expected="weeks > 0")
    args.add("cv_demand", cv_demand, expected="a coefficient of variation >= 0")
    args.add("cv_capacity", cv_capacity, expected="a coefficient of variation >= 0")
    if args.any_vector:
        raise AnalysisInputError(fn, "target_wait, factor, time_to_target", "include a vector",
                                 expected="one number each")
    if not isinstance(n_sims, (int, np.integer)) or isinstance(n_sims, bool) or n_sims < 20:
        raise AnalysisInputError(fn, "n_sims", f"is {n_sims!r}",
                                 expected="a whole number of simulations, at least 20")
    d = lists.copy()
    d["period"] = pd.to_datetime(d["period"])
    if period is None:
        latest = d.groupby(["area_code", "specialty_code"])["period"].transform("max")
        d = d[d["period"] == latest]
    else:
        when = pd.Timestamp(period).to_period("M").to_timestamp()
        d = d[d["period"] == when]
        if d.empty:
            raise AnalysisInputError(fn, "period", f"is {period!r}, a month the lists do "
                                     "not have", expected=f"one of "
                                     f"{sorted({f'{p:%Y-%m}' for p in lists['period']})}")
    d = d.sort_values(["area_code", "specialty_code"], kind="stable").reset_index(drop=True)
    tw, fac, ttt = float(target_wait), float(factor), float(time_to_target)
    slack = ((float(cv_demand) ** 2 + float(cv_capacity) ** 2) / 2) * (fac / tw)
    week = 7.0 / d["days"].to_numpy(dtype=float)
    starts = d["new_clock_starts"].to_numpy(dtype=float)
    done = d["completed"].to_numpy(dtype=float)
    change = d["list_change"].to_numpy(dtype=float)
    steady = np.isnan(change)
    other_count = starts - done - np.where(steady, 0.0, change)
    size = d["waiting_list"].to_numpy(dtype=float)
    n_lists = np.maximum(d["lists"].to_numpy(dtype=float), 1.0)

    def compute(s: np.ndarray, c: np.ndarray, o: np.ndarray) -> dict[str, np.ndarray]:
        demand, comp, oth = s * week, c * week, o * week
        removals = comp + oth
        target = calc.target_queue_size(demand, tw, fac)
        with np.errstate(divide="ignore", invalid="ignore"):
            load = np.where(removals > 0, demand / np.where(removals > 0, removals, 1.0),
                            np.nan)
        return {"demand": demand, "completions": comp, "other_removals": oth,
                "removals": removals, "target_queue_size": target,
                "relief_capacity": calc.relief_capacity(demand, size, target, ttt),
                "target_capacity": calc.target_capacity(demand, tw, fac, cv_demand,
                                                        cv_capacity) + (n_lists - 1) * slack,
                "queue_load": load}

    point = compute(starts, done, other_count)
    rng = np.random.default_rng(int(seed))
    shape = (int(n_sims), len(d))
    s_draw = rng.poisson(np.broadcast_to(np.maximum(starts, 0), shape)).astype(float)
    c_draw = rng.poisson(np.broadcast_to(np.maximum(done, 0), shape)).astype(float)
    o_draw = np.where(other_count >= 0,
                      rng.poisson(np.broadcast_to(np.maximum(other_count, 0), shape)),
                      other_count).astype(float)
    draws = compute(s_draw, c_draw, o_draw)

    out = d[["area_code", "area_name", "specialty_code", "specialty_name", "period",
             "lists"]].copy()
    if "level" in d.columns:
        out.insert(0, "level", d["level"].to_numpy())
    out["days"] = d["days"].to_numpy()
    out["new_clock_starts"], out["completed"] = starts, done
    for q in SIMULATED:
        out[q] = point[q]
        out[f"{q}_low"], out[f"{q}_high"] = _quantiles(draws[q])
    out["steady_assumed"] = steady
    out["list_change_weekly"] = change * week
    out["queue_size"] = size
    known = d["waiting_known"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["pct_within_18w"] = np.where(known > 0, 100 * d["within_18w"].to_numpy(float)
                                         / np.where(known > 0, known, 1), np.nan)
        out["mean_wait"] = np.where(known > 0, d["weeks_sum"].to_numpy(float)
                                    / np.where(known > 0, known, 1), np.nan)
        out["size_to_target"] = size / out["target_queue_size"].where(
            out["target_queue_size"] > 0)
        out["load_on_completions"] = np.where(done > 0, point["demand"]
                                              / np.where(done > 0, point["completions"], 1),
                                              np.nan)
    out["queue_too_big"] = size > 2 * out["target_queue_size"]
    out["extra_removals"] = out["relief_capacity"] - out["removals"]
    out["relief_completions"] = out["relief_capacity"] - out["other_removals"]
    pressure = calc.waiting_list_pressure(out["mean_wait"].fillna(0.0), tw)
    out["waiting_list_pressure"] = pressure.where(out["mean_wait"].notna())
    out = _truth_columns(out, d, tw, fac, ttt, slack)
    return FlowStats(table=out, target_wait=tw, factor=fac, time_to_target=ttt,
                     cv_demand=float(cv_demand), cv_capacity=float(cv_capacity),
                     n_sims=int(n_sims), seed=int(seed))


def _truth_columns(out: pd.DataFrame, d: pd.DataFrame, tw: float, fac: float, ttt: float,
                   slack: float) -> pd.DataFrame:
    """The true value of each rate-based quantity, for synthetic lists (``<q>_truth``);
    the list and its waits are counted, not estimated, so they have none (the true mean
    wait is ``true_mean_wait_weeks`` of the table of lists).
    """
    if "true_demand_weekly" not in d.columns:
        return out
    lam = d["true_demand_weekly"].to_numpy(float)
    mu = d["true_completions_weekly"].to_numpy(float)
    oth = d["true_other_removals_weekly"].to_numpy(float)
    target = lam * tw / fac
    with np.errstate(divide="ignore", invalid="ignore"):
        truths = {
            "demand": lam, "completions": mu, "other_removals": oth, "removals": mu + oth,
            "target_queue_size": target,
            "relief_capacity": lam + (out["queue_size"].to_numpy(float) - target) / ttt,
            "target_capacity": lam + np.maximum(out["lists"].to_numpy(float), 1) * slack,
            "queue_load": lam / (mu + oth)}
    for q, v in truths.items():
        out[f"{q}_truth"] = v
    return out


@dataclass
class FlowStats:
    """The calculators on lists of published counts (:func:`flow_stats`).

    ``table`` has one row per list: its identity (``area_code``, ``area_name``,
    ``specialty_code``, ``specialty_name``, ``period``, ``lists``), ``demand``,
    ``completions``, ``other_removals``, ``removals`` (patients per week), ``queue_size``,
    ``target_queue_size``, ``relief_capacity``, ``target_capacity`` and ``queue_load``
    with their 95% intervals (``_low``, ``_high``), ``pct_within_18w`` and ``mean_wait``
    (from the bands), ``waiting_list_pressure``, ``size_to_target``, ``queue_too_big``,
    ``extra_removals`` (relief capacity minus removals now), ``relief_completions``
    (the completions a week the relief capacity means if other removals go on as now),
    ``load_on_completions`` (demand over completions alone), ``steady_assumed`` and, for
    synthetic lists, ``<quantity>_truth``.
    """

    table: pd.DataFrame
    target_wait: float
    factor: float
    time_to_target: float
    cv_demand: float = 1.0
    cv_capacity: float = 1.0
    n_sims: int = 1000
    seed: int = SEED
    truth_source: str = "the synthetic generator's true rates (workbench.data.synth_flows)"

    def _repr_html_(self) -> str:  # pragma: no cover - presentation
        return self.table.to_html(index=False, na_rep="")

    def ranked(self, by: str = "waiting_list_pressure", *, min_size: float = 0,
               ascending: bool = False) -> pd.DataFrame:
        """The lists ranked by a column (default the pressure, which compares lists of
        different sizes), those with fewer than ``min_size`` patients waiting left out;
        ``rank`` 1 is the first.

        >>> from workbench.data.rtt_flows import aggregate, example_table
        >>> t = flow_stats(aggregate(example_table(), "provider"), n_sims=50).ranked()
        >>> t[["rank", "area_code"]].values.tolist()
        [[1, 'RAA'], [2, 'NT1']]
        """
        if by not in self.table.columns:
            raise AnalysisInputError("FlowStats.ranked", "by", f"is {by!r}",
                                     expected=f"a column of the table, e.g. {list(QUANTITIES)}")
        t = self.table[self.table["queue_size"] >= min_size]
        t = t.sort_values([by, "area_code", "specialty_code"],
                          ascending=[ascending, True, True], kind="stable", na_position="last")
        t = t.reset_index(drop=True)
        t.insert(0, "rank", np.arange(1, len(t) + 1))
        return t

    def row(self, label: str) -> pd.Series:
        """The row of the list whose finding subset is ``label`` (:func:`list_label`)."""
        labels = [list_label(a, s) for a, s in zip(self.table["area_code"],
                                                    self.table["specialty_code"])]
        if label not in labels:
            raise AnalysisInputError("FlowStats.row", "label", f"is {label!r}",
                                     expected=f"one of {labels[:8]}")
        return self.table.iloc[labels.index(label)]

    def findings(self, question: str | None = None, *,
                 quantities: tuple[str, ...] | list[str] | None = None) -> Findings:
        """Findings for every list, ``queue:<quantity>@<list>#<YYYY-MM>`` for each of
        ``quantities`` (default :data:`QUANTITIES`), each with a sentence; ``question``
        replaces each finding's own.

        >>> from workbench.data.rtt_flows import aggregate, example_table
        >>> fs = flow_stats(aggregate(example_table(), "england", by_specialty=False), n_sims=50)
        >>> f = fs.findings(quantities=["relief_capacity"])[0]
        >>> f.id, round(f.estimate, 2)
        ('queue:relief_capacity@England#2026-04', 12.54)
        """
        wanted = list(QUANTITIES if quantities is None else quantities)
        unknown = [q for q in wanted if q not in QUANTITIES]
        if unknown:
            raise AnalysisInputError("FlowStats.findings", "quantities", f"names {unknown}",
                                     expected=f"some of {list(QUANTITIES)}")
        out: list[Finding] = []
        for _, row in self.table.iterrows():
            made = _list_findings(row, self)
            out += [made[q] for q in wanted if q in made]
        return with_question(out, question)

    def truths(self) -> dict[str, float]:
        """The true value of each finding (synthetic lists; ``{}`` for published data)."""
        found = {}
        for _, row in self.table.iterrows():
            for q in QUANTITIES:
                col = f"{q}_truth"
                if col in row.index and pd.notna(row[col]):
                    found[str(_fid(q, row))] = float(row[col])
        return found


def _fid(quantity: str, row: pd.Series) -> FindingId:
    return FindingId("queue", quantity, subset=list_label(row["area_code"],
                                                          row["specialty_code"]),
                     period=f"{pd.Timestamp(row['period']):%Y-%m}")


def _words_of(row: pd.Series) -> str:
    """The list in words: ``England``, ``RJ1 (NAME), Trauma and Orthopaedic Service``."""
    area = str(row["area_name"])
    if str(row["area_code"]) not in (area, "England"):
        area = f"{row['area_code']} ({area})"
    if row["specialty_code"] == "all":
        return area if row["lists"] <= 1 or area == "England" else f"{area}, all specialties"
    codes = str(row["specialty_code"]).split("+")
    if len(codes) > 1:
        return f"{area}, {len(codes)} treatment functions ({', '.join(codes)})"
    return f"{area}, {row['specialty_name']}"


def _num(x: float) -> str:
    """A number for a sentence: 3 significant digits, whole and with thousands separators
    from 1,000 up.

    >>> _num(412914.6), _num(7.127), _num(float("nan"))
    ('412,915', '7.13', '')
    """
    if formatting.is_missing(x):
        return ""
    return formatting.count(round(float(x))) if abs(float(x)) >= 1000 else formatting.number(x)


def _ci(row: pd.Series, q: str) -> str:
    lo, hi = row[f"{q}_low"], row[f"{q}_high"]
    if formatting.is_missing(lo) or formatting.is_missing(hi):
        return ""
    return f"{_num(lo)} to {_num(hi)}"


def _list_findings(row: pd.Series, fs: FlowStats) -> dict[str, Finding]:
    """Every quantity of one list as a finding (see :meth:`FlowStats.findings`)."""
    tw, fac, ttt = fs.target_wait, fs.factor, fs.time_to_target
    month = f"{pd.Timestamp(row['period']):%B %Y}"
    who = _words_of(row)
    pct = calc.percent_within(fac)
    params = {"target_wait": tw, "factor": fac, "time_to_target": ttt,
              "cv_demand": fs.cv_demand, "cv_capacity": fs.cv_capacity,
              "n_sims": fs.n_sims, "seed": fs.seed, "period": f"{pd.Timestamp(row['period']):%Y-%m}",
              "lists": int(row["lists"])}
    n = int(row["queue_size"]) if pd.notna(row["queue_size"]) else None
    steady = bool(row["steady_assumed"])
    steady_note = ("with one month the list's change is not known: a steady list is assumed, "
                   "so other removals are new clock starts minus completions" if steady else "")
    days = int(row["days"])
    count = formatting.count
    d, size, target = row["demand"], row["queue_size"], row["target_queue_size"]
    removals = row["removals"]
    out: dict[str, Finding] = {}

    def add(q: str, *, question: str, unit: str, formula: str, sentence: str,
            warning: str = "", simulated: bool = True) -> None:
        est = row[q] if q in row.index else math.nan
        lo = row.get(f"{q}_low") if simulated else None
        hi = row.get(f"{q}_high") if simulated else None
        f = Finding(id=str(_fid(q, row)), question=question, estimate=float(est),
                    ci_low=None if lo is None or pd.isna(lo) else float(lo),
                    ci_high=None if hi is None or pd.isna(hi) else float(hi), n=n, unit=unit,
                    model=MODEL, formula=formula, parameters=dict(params), sentence=sentence,
                    warning=warning)
        out[q] = f

    interval_note = " (95% interval {}, from Poisson variation of the month's counts)"
    add("demand", question="How many patients join the list each week?",
        unit="patients per week",
        formula=f"new clock starts (RTT Part 3) x 7 / {days} days = "
                f"{count(row['new_clock_starts'])} x 7 / {days}",
        sentence=(f"{who}: {_num(d)} new clock starts a week in {month}"
                  + interval_note.format(_ci(row, 'demand')) + "."))
    add("completions", question="How many pathways are completed each week?",
        unit="patients per week",
        formula=f"completed admitted + non-admitted pathways (RTT Parts 1A, 1B) x 7 / {days} "
                f"= {count(row['completed'])} x 7 / {days}",
        sentence=(f"{who}: {_num(row['completions'])} pathways a week were completed by "
                  f"treatment (admitted or not) in {month}"
                  + interval_note.format(_ci(row, 'completions'))
                  + ". Completions understate removals: pathways also end without treatment."))
    other_sentence = (
        f"{who}: about {_num(row['other_removals'])} pathways a week left the list without a "
        f"recorded treatment (validated off, treated elsewhere, declined): new clock starts "
        f"minus completions" + (" (a steady list assumed)" if steady else
                                f" minus the list's change ({_num(row['list_change_weekly'])} "
                                "a week)")
        + f"; removals are then {_num(removals)} a week"
        + (f", {formatting.percent(row['other_removals'] / removals)} of them without treatment."
           if removals > 0 else "."))
    add("other_removals", question="How many pathways end without a recorded treatment?",
        unit="patients per week",
        formula="new clock starts - completed pathways - list change (per week)"
                + (", list change taken as 0" if steady else ""),
        sentence=other_sentence,
        warning="; ".join(w for w in (steady_note, (
            "negative: completions exceed new clock starts less the list's change, which no "
            "removal explains (a list that shrank by more than assumed, or pathways counted "
            "across months)" if row["other_removals"] < 0 else "")) if w))
    add("queue_size", question="How many patients are waiting?", unit="patients",
        formula="incomplete pathways at the month's end (RTT Part 2)",
        sentence=(f"{who}: {count(size)} patient{'' if size == 1 else 's'} "
                  f"{'was' if size == 1 else 'were'} waiting at the end of {month}, "
                  f"{formatting.quantity(row['pct_within_18w'], '%')} of them for 18 weeks or "
                  "less."), simulated=False)
    add("pct_within_18w", question="What share of the list has waited 18 weeks or less?",
        unit="%", formula="pathways in the weekly bands up to 18 weeks / pathways with a "
                          "known clock start x 100",
        sentence=(f"{who}: {formatting.quantity(row['pct_within_18w'], '%')} of the patients "
                  f"waiting at the end of {month} had waited 18 weeks or less (the standard is "
                  "92%)."), simulated=False)
    add("mean_wait", question="How long have the patients on the list waited, on average?",
        unit="weeks", formula="sum of each pathway's band midpoint (104+ at 104) / pathways "
                              "with a known clock start",
        sentence=(f"{who}: the patients waiting at the end of {month} had waited "
                  f"{_num(row['mean_wait'])} weeks on average (from the weekly bands: an "
                  "estimate)."), simulated=False)
    ratio = row["size_to_target"]
    over = ("over twice its target: relief capacity is needed" if row["queue_too_big"]
            else "not over twice its target")
    unstable = ("demand exceeds removals: the list has no steady size until removals exceed "
                "demand, which Little's law assumes" if row["queue_load"] >= 1 and not steady
                else "")
    add("target_queue_size",
        question=f"How big should the list be to see {pct} within {_num(tw)} weeks?",
        unit="patients",
        formula=f"demand x target_wait / factor = {_num(d)} x {_num(tw)} / {_num(fac)}",
        sentence=(f"{who}: to see {pct} of patients within {_num(tw)} weeks the list should "
                  f"hold about {_num(target)} patients ({_ci(row, 'target_queue_size')}), "
                  f"{_num(tw / fac)} weeks of demand; it holds {count(size)} patients, "
                  f"{_num(ratio)} times the target, {over}." if target > 0 else
                  f"{who}: with no new clock starts in {month} the target list size is 0 "
                  f"(Little's law at no demand); the list holds {count(size)} patients."),
        warning=unstable)
    extra = row["extra_removals"]
    more = (f"{_num(extra)} more a week than the {_num(removals)} removals now"
            if extra > 0 else f"{_num(-extra)} fewer a week than the {_num(removals)} removals "
                              "now (the list may grow to its target)")
    add("relief_capacity",
        question=f"What capacity brings the list to its target size in {_num(ttt)} weeks?",
        unit="patients per week",
        formula=(f"demand + (queue_size - target_queue_size) / time_to_target = {_num(d)} + "
                 f"({count(size)} - {_num(target)}) / {_num(ttt)}"),
        sentence=(f"{who}: bringing the list to {_num(target)} patients in {_num(ttt)} weeks "
                  f"takes {_num(row['relief_capacity'])} removals a week "
                  f"({_ci(row, 'relief_capacity')}), {more}. If other removals go on at "
                  f"{_num(row['other_removals'])} a week, that is "
                  f"{_num(row['relief_completions'])} completed pathways a week against "
                  f"{_num(row['completions'])} now."), warning=steady_note)
    margin = "each of the lists" if row["lists"] > 1 else "the list"
    add("target_capacity",
        question=f"What capacity keeps the mean wait at {_num(tw / fac)} weeks?",
        unit="patients per week",
        formula=(f"demand + lists x ((cv_demand^2 + cv_capacity^2) / 2) x (factor / "
                 f"target_wait) = {_num(d)} + {int(row['lists'])} x (({_num(fs.cv_demand)}^2 + "
                 f"{_num(fs.cv_capacity)}^2) / 2) x ({_num(fac)} / {_num(tw)})"),
        sentence=(f"{who}: once at its target size, about {_num(row['target_capacity'])} "
                  f"removals a week ({_ci(row, 'target_capacity')}) keep the mean wait at "
                  f"{_num(tw / fac)} weeks ({pct} within {_num(tw)} weeks), a margin over "
                  f"demand for {margin}."))
    load_sentence = (
        f"{who}: demand over removals cannot be computed: no pathway left the list in "
        f"{month}." if pd.isna(row["queue_load"]) else
        f"{who}: demand over removals is {_num(row['queue_load'])} "
        f"({_ci(row, 'queue_load')})" + (
            ", 1 by construction because a steady list is assumed; demand over completions "
            f"alone is {_num(row['load_on_completions'])}" if steady else
            (": at or above 1, the list grows" if row["queue_load"] >= 1
             else ": below 1, the list shrinks")) + ".")
    add("queue_load", question="Does demand exceed the list's removals?",
        unit="ratio (demand / removals)",
        formula=f"demand / (completions + other removals) = {_num(d)} / {_num(removals)}",
        sentence=load_sentence, warning=steady_note)
    pressure = row["waiting_list_pressure"]
    verdict = ("over 1: the list is likely to miss its target" if pressure > 1
               else "at most 1: the list can meet its target")
    add("waiting_list_pressure", question=f"Is the list under pressure to meet {_num(tw)} weeks?",
        unit="ratio (2 x mean wait / target)",
        formula=f"2 x mean_wait / target_wait = 2 x {_num(row['mean_wait'])} / {_num(tw)}",
        sentence=(f"{who}: patients waiting had waited {_num(row['mean_wait'])} weeks on "
                  f"average; the pressure, 2 x mean wait / target, is {_num(pressure)}, "
                  f"{verdict}."), simulated=False)
    return out


# --------------------------------------------------------------------------- simulation


def slots_per_day(capacity: float, days: int) -> np.ndarray:
    """How many slots :func:`~workbench.analysis.queues.simulation.schedule_slots` puts on
    each of ``days`` days at ``capacity`` a week (slot ``k`` on day ``ceil(7k /
    capacity)``), without listing the slots.

    >>> slots_per_day(14, 3).tolist()
    [1, 2, 2]
    """
    daily = float(capacity) / 7
    if daily <= 0:
        return np.zeros(int(days), dtype=np.int64)
    j = np.arange(int(days), dtype=float)
    upto = np.floor(j * daily + 1e-9).astype(np.int64) + 1  # slots on days 0..j
    return np.diff(np.concatenate([[0], upto]))


def simulate_sizes(queue_size: float, demand: np.ndarray | float, capacity: float, days: int,
                   rng: np.random.Generator, n_sims: int = 1, *,
                   whole_weeks: bool = False) -> np.ndarray:
    """The list size at the end of each day (column 0: the start), one row per simulation.

    The counts of NHSRwaitinglist's simulator (:func:`~workbench.analysis.queues.simulation.
    wl_simulator` with ``waiting_list`` the patients already waiting): each day's referrals
    are Poisson with mean ``demand / 7`` (``demand`` per simulation, or one for all), and
    each of the day's slots (:func:`slots_per_day`) removes a patient referred before that
    day, if one is waiting. The list size follows the same distribution as the simulator's,
    without a row per patient.

    The simulator's schedule puts one slot on the first day and then one every ``7 /
    capacity`` days, so ``days`` days hold ``capacity x (days - 1) / 7 + 1`` slots, a day's
    capacity short. ``whole_weeks=True`` moves every slot a day earlier and drops the first:
    exactly ``capacity x days / 7`` slots, as a plan of ``capacity`` a week means.

    >>> rng = np.random.default_rng(1)
    >>> simulate_sizes(100, 0, 70, 7, rng)[0].tolist()
    [100.0, 99.0, 89.0, 79.0, 69.0, 59.0, 49.0, 39.0]
    >>> simulate_sizes(100, 0, 70, 7, rng, whole_weeks=True)[0, -1]
    np.float64(30.0)
    """
    lam = np.broadcast_to(np.asarray(demand, dtype=float) / 7.0, (n_sims,))
    slots = (slots_per_day(capacity, int(days) + 1)[1:] if whole_weeks
             else slots_per_day(capacity, days))
    sizes = np.empty((n_sims, int(days) + 1))
    size = np.full(n_sims, float(queue_size))
    sizes[:, 0] = size
    for k in range(int(days)):
        size = size - np.minimum(slots[k], size) + rng.poisson(lam)
        sizes[:, k + 1] = size
    return sizes


@dataclass
class ReliefPlan:
    """A list simulated week by week at the relief capacity and as now (:func:`relief_plan`).

    ``frame`` has one row per scenario (``relief plan``, ``as now``) and week (0 = the
    start): ``date``, ``median``, ``low`` and ``high`` (the 2.5th and 97.5th percentiles of
    the simulated list sizes), and ``target``. ``on_target`` is the share of relief-plan
    simulations at or under the target at the end.
    """

    frame: pd.DataFrame
    label: str
    period: str
    queue_size: float
    target: float
    capacity: float
    current: float
    weeks: int
    n_sims: int
    seed: int
    on_target: float
    end_low: float
    end_median: float
    end_high: float
    truth: dict[str, float] = field(default_factory=dict)
    truth_source: str = "the synthetic generator's true demand (workbench.data.synth_flows)"

    def findings(self, question: str | None = None) -> Findings:
        """Two findings: the list size at the plan's end (median, with the simulations'
        95% band) and the share of simulations at or under the target then.

        >>> p = relief_plan(demand=50, queue_size=3000, target=400, capacity=150, weeks=26,
        ...                 current=50, n_sims=200, label="X", period="2026-04")
        >>> [f.id for f in p.findings()]
        ['queue:plan_queue_size@X#2026-04', 'queue:plan_on_target@X#2026-04']
        """
        num = _num
        params = {"capacity": self.capacity, "weeks": self.weeks, "n_sims": self.n_sims,
                  "seed": self.seed, "target": self.target}
        size = Finding(
            id=str(FindingId("queue", "plan_queue_size", subset=self.label,
                             period=self.period)),
            question=f"How big will the list be after {self.weeks} weeks of the relief plan?",
            estimate=self.end_median, ci_low=self.end_low, ci_high=self.end_high,
            n=int(self.queue_size), unit="patients", model="count-level simulation of "
            "NHSRwaitinglist's simulator (Poisson referrals, evenly spaced slots)",
            formula=(f"{self.n_sims} simulations: list {formatting.count(self.queue_size)}, "
                     f"{num(self.capacity)} removals a week for {self.weeks} weeks"),
            parameters=params,
            sentence=(f"At {num(self.capacity)} removals a week the list is simulated to hold "
                      f"{num(self.end_median)} patients after {self.weeks} weeks (95% of "
                      f"simulations between {num(self.end_low)} and {num(self.end_high)}), "
                      f"against a target of {num(self.target)}."))
        share = Finding(
            id=str(FindingId("queue", "plan_on_target", subset=self.label,
                             period=self.period)),
            question=f"How likely is the relief plan to reach the target in {self.weeks} weeks?",
            estimate=100 * self.on_target, unit="% of simulations",
            model=size.model, formula=size.formula, parameters=params,
            sentence=(f"In {formatting.percent(self.on_target)} of the simulations the list "
                      f"is at or under its target after {self.weeks} weeks: a capacity that "
                      "reaches the target on average misses it about half the time."))
        out = [size, share]
        return with_question(out, question)

    def truths(self) -> dict[str, float]:
        """True values the plan's findings estimate (none: a plan is a projection)."""
        return dict(self.truth)


def relief_plan(*, demand: float, queue_size: float, target: float, capacity: float,
                weeks: int = 26, current: float | None = None, demand_count: float | None = None,
                count_days: int = 30, n_sims: int = 1000, seed: int = SEED,
                start: Any = None, label: str = "list", period: str = "") -> ReliefPlan:
    """Simulate the list for ``weeks`` at ``capacity`` removals a week (the relief plan)
    and at ``current`` (as now), ``n_sims`` times each (:func:`simulate_sizes` with whole
    weeks: ``capacity`` x ``weeks`` removals in all).

    With ``demand_count`` (the month's new clock starts over ``count_days`` days), each
    simulation first draws its demand rate (Poisson around the count), so the band holds
    both the uncertainty of demand and the chance of the weeks. ``start`` (a date) dates
    the weeks.

    >>> p = relief_plan(demand=50, queue_size=3000, target=400, capacity=150, weeks=26,
    ...                 current=50, n_sims=200, start="2026-05-01")
    >>> p.frame["scenario"].unique().tolist(), int(p.frame["week"].max())
    (['relief plan', 'as now'], 26)
    """
    fn = "relief_plan"
    args = calc.NumericArguments(fn)
    args.add("demand", demand, expected="demand >= 0 patients per week")
    args.add("queue_size", queue_size, expected="a list size >= 0")
    args.add("target", target, expected="a target list size >= 0")
    args.add("capacity", capacity, expected="a capacity >= 0 patients per week")
    args.add("weeks", weeks, strict=True, expected="weeks > 0")
    if args.any_vector:
        raise AnalysisInputError(fn, "demand, queue_size, capacity", "include a vector",
                                 expected="one list: one number each")
    if not isinstance(n_sims, (int, np.integer)) or isinstance(n_sims, bool) or n_sims < 20:
        raise AnalysisInputError(fn, "n_sims", f"is {n_sims!r}",
                                 expected="a whole number of simulations, at least 20")
    rng = np.random.default_rng(int(seed))
    days = round(7 * float(weeks))
    if demand_count is not None and demand_count > 0:
        rates = rng.poisson(float(demand_count), n_sims) * 7.0 / float(count_days)
    else:
        rates = np.full(n_sims, float(demand))
    start_day = pd.Timestamp(start) if start is not None else None
    frames = []
    plans = (("relief plan", float(capacity)),) + (
        (("as now", float(current)),) if current is not None else ())
    ends = None
    for scenario, cap in plans:
        sizes = simulate_sizes(queue_size, rates, cap, days, rng, n_sims, whole_weeks=True)
        weekly = sizes[:, ::7]
        lo, med, hi = np.percentile(weekly, [2.5, 50, 97.5], axis=0)
        wk = np.arange(weekly.shape[1])
        frames.append(pd.DataFrame({
            "scenario": scenario, "week": wk,
            "date": (start_day + pd.to_timedelta(7 * wk, unit="D")) if start_day is not None
            else pd.NaT, "median": med, "low": lo, "high": hi, "target": float(target),
            "capacity": cap}))
        if ends is None:
            ends = sizes[:, -1]
    frame = pd.concat(frames, ignore_index=True)
    lo, med, hi = np.percentile(ends, [2.5, 50, 97.5])
    return ReliefPlan(frame=frame, label=label, period=period, queue_size=float(queue_size),
                      target=float(target), capacity=float(capacity),
                      current=float(current) if current is not None else math.nan,
                      weeks=int(weeks), n_sims=int(n_sims), seed=int(seed),
                      on_target=float(np.mean(ends <= float(target))), end_low=float(lo),
                      end_median=float(med), end_high=float(hi))
