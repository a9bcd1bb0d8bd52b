"""Notebook 12 (how big should our waiting list be?): lists, targets, plans and staffing.

:func:`answer` takes the ``rtt_flows`` table beside the panel (``s.data("rtt_flows")``:
new clock starts, completions and the list by provider, treatment function and month;
:mod:`workbench.data.rtt_flows`) and the panel, and answers for one provider, a region, a
sector or England, and a set of treatment functions (all by default):

* the list against its target size for a share ``percentile`` within ``target_wait`` weeks
  (``factor_for(percentile)``: 92% within 18 weeks by default), the capacity that brings it
  there in ``time_to_target`` weeks (relief) and keeps it there (target), load and pressure,
  with demand, completions and the implied other removals
  (:func:`workbench.analysis.queues.flows.flow_stats`), for the lists together and each
  treatment function;
* the relief plan simulated week by week, against carrying on as now
  (:func:`workbench.analysis.queues.flows.relief_plan`);
* every provider's lists in those treatment functions ranked by pressure, with intervals,
  and where the chosen area's lists stand;
* what a change in nurse staffing is worth in list size and weeks to target: notebook 02's
  within-provider estimate (``effect:nurse_fte_per_10_beds->rtt_median_weeks@<subset>#fe``,
  computed on the panel with notebook 02's own function) carried through
  (:func:`workbench.analysis.queues.staffing.staffing_worth`);
* a verdict for a board in plain words (:meth:`WaitingListAnswer.verdict`).

When the data do not hold the table (a panel file alone, a build without an RTT extract)
the answer says why (``reason``) and has no findings, so the notebook runs through.

>>> from workbench.data.synth import generate
>>> sd = generate(seed=3, n_providers=40, n_months=6)
>>> a = answer(sd.flows, sd.panel, provider="R001", specialties=["C_110", "C_130"],
...            n_sims=200, truth=sd.truth)
>>> a.label, [f.key.outcome for f in a.findings()][:3]
('R001/C_110+C_130', ['queue_size', 'waiting_list_pressure', 'target_queue_size'])
>>> gone = answer(NotHeld("rtt_flows", "a panel file only"), sd.panel)
>>> gone.findings(), gone.limits()
(Findings([]), ["The study's data hold no rtt_flows table: a panel file only."])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from workbench.analysis.findings import formatting
from workbench.analysis.findings.record import Findings, truth_for, with_question
from workbench.analysis.models import fit as md
from workbench.analysis.questions.staffing_waits_satisfaction import staffing_waits_satisfaction
from workbench.analysis.queues import calculators as calc
from workbench.analysis.queues.flows import (
    SEED,
    FlowStats,
    ReliefPlan,
    flow_stats,
    list_label,
    relief_plan,
)
from workbench.analysis.queues.staffing import ASSUMPTIONS, StaffingWorth, staffing_worth
from workbench.data import rtt_flows
from workbench.data.catalogue import NotHeld
from workbench.errors import AnalysisInputError, WorkbenchError

#: Quantities reported for each treatment function when several are chosen.
SPECIALTY_QUANTITIES = ("queue_size", "target_queue_size", "relief_capacity",
                        "waiting_list_pressure")
#: Lists with fewer patients waiting are left out of the ranking (tiny lists top any
#: ranking by pressure by chance).
MIN_RANKED = 100
#: The staffing exposure and outcome of notebook 02's estimate.
STAFFING, WAITS = "nurse_fte_per_10_beds", "rtt_median_weeks"
#: Columns of the table by treatment function the notebook shows, and which are counts.
SPECIALTY_COLUMNS = ["specialty_code", "specialty_name", "queue_size", "target_queue_size",
                     "size_to_target", "pct_within_18w", "mean_wait", "demand", "removals",
                     "relief_capacity", "relief_capacity_low", "relief_capacity_high",
                     "waiting_list_pressure"]
#: Columns of the ranking the notebook shows.
RANKING_COLUMNS = ["rank", "area_code", "area_name", "specialty_name", "queue_size",
                   "target_queue_size", "mean_wait", "waiting_list_pressure", "removals",
                   "relief_capacity", "relief_capacity_low", "relief_capacity_high"]
#: Columns of the tables of lists that are counts of patients (the list, and the patients
#: referred and removed a week): shown in a report through the disclosure rule as counts
#: of people (``Session.show(..., counts=...)``), never left to the text rule; those of
#: the table by treatment function and of the ranking.
PATIENT_COUNTS = ["queue_size", "demand", "removals"]
SPECIALTY_COUNTS = [c for c in PATIENT_COUNTS if c in SPECIALTY_COLUMNS]
RANKING_COUNTS = [c for c in PATIENT_COUNTS if c in ("queue_size",)]
#: The columns of :meth:`WaitingListAnswer.specialty_table` a board reads, in words.
SPECIALTY_WORDS = {"specialty_name": "Treatment function", "queue_size": "Patients waiting",
                   "target_queue_size": "Target list size",
                   "pct_within_18w": "% within 18 weeks", "mean_wait": "Mean wait (weeks)",
                   "demand": "Referrals a week", "removals": "Removals a week",
                   "waiting_list_pressure": "Pressure"}
#: The columns of :meth:`WaitingListAnswer.ranking_table` a board reads, in words.
RANKING_WORDS = {"rank": "Rank", "area_name": "Provider",
                 "specialty_name": "Treatment function", "queue_size": "Patients waiting",
                 "target_queue_size": "Target list size", "mean_wait": "Mean wait (weeks)",
                 "waiting_list_pressure": "Pressure",
                 "relief_capacity": "Removals a week to reach the target"}


def _num(x: float) -> str:
    if formatting.is_missing(x):
        return ""
    return formatting.count(round(float(x))) if abs(float(x)) >= 1000 else formatting.number(x)


@dataclass
class WaitingListAnswer:
    """The answer of :func:`answer` for one area and set of treatment functions.

    ``total`` (:class:`~workbench.analysis.queues.flows.FlowStats`, one row: the lists
    together), ``by_specialty`` (a row per treatment function), ``plan``
    (:class:`~workbench.analysis.queues.flows.ReliefPlan`), ``ranking`` (every provider's
    list in the treatment functions, ranked by pressure), ``staffing``
    (:class:`~workbench.analysis.queues.staffing.StaffingWorth`, or None with
    ``staffing_reason``); ``reason`` says why there is nothing when the data hold no flows.
    """

    reason: str = ""
    label: str = ""
    area_words: str = ""
    level: str = ""
    period: str = ""
    target_wait: float = 18.0
    percentile: float = 0.92
    time_to_target: float = 26.0
    staffing_change: float = 1.0
    named_specialties: tuple[str, ...] = ()
    total: FlowStats | None = None
    by_specialty: FlowStats | None = None
    plan: ReliefPlan | None = None
    ranking: pd.DataFrame | None = None
    staffing: StaffingWorth | None = None
    staffing_reason: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def row(self) -> pd.Series | None:
        """The lists together: the one row of ``total.table``."""
        return None if self.total is None else self.total.table.iloc[0]

    def findings(self, question: str | None = None) -> Findings:
        """The lists together (every quantity), each named treatment function (when more
        than one: :data:`SPECIALTY_QUANTITIES`), the relief plan and the staffing
        translation; ``question`` replaces each finding's own.
        """
        if self.total is None:
            return Findings([])
        out = list(self.total.findings())
        if self.by_specialty is not None and len(self.named_specialties) > 1:
            out += list(self.by_specialty.findings(quantities=SPECIALTY_QUANTITIES))
        if self.plan is not None:
            out += list(self.plan.findings())
        if self.staffing is not None:
            out += list(self.staffing.findings())
        return with_question(out, question)

    def truths(self) -> dict[str, float]:
        """The true value of each finding that has one (synthetic data), for
        ``Session.add_truth``.
        """
        ids = {f.id for f in self.findings()}
        known: dict[str, float] = {}
        for part in (self.total, self.by_specialty, self.plan, self.staffing):
            if part is not None:
                known.update(part.truths())
        return {k: v for k, v in known.items() if k in ids}

    truth_source = ("the synthetic generator's true rates of referral, completion and "
                    "other removal and its true effect of staffing on waits")

    def limits(self) -> list[str]:
        """What these data and formulas can and cannot show, as sentences."""
        if self.reason:
            return [self.reason]
        return list(self.notes)

    def specialty_table(self) -> pd.DataFrame:
        """One row per treatment function (:data:`SPECIALTY_COLUMNS`), largest list first,
        rounded for reading (:func:`readable`).
        """
        if self.by_specialty is None:
            return pd.DataFrame(columns=SPECIALTY_COLUMNS)
        t = self.by_specialty.table
        return readable(t[SPECIALTY_COLUMNS].sort_values("queue_size", ascending=False,
                                                         kind="stable").reset_index(drop=True))

    def ranking_table(self, top: int = 15) -> pd.DataFrame:
        """The ``top`` lists under most pressure (:data:`RANKING_COLUMNS`), rounded for
        reading (:func:`readable`).
        """
        if self.ranking is None:
            return pd.DataFrame(columns=RANKING_COLUMNS)
        return readable(self.ranking[RANKING_COLUMNS].head(top).reset_index(drop=True))

    def position(self) -> str:
        """Where the chosen provider's lists stand in the ranking, in words ('' for an
        area that is not a provider).
        """
        if self.ranking is None or self.level != "provider":
            return ""
        code = self.label.split("/")[0]
        mine = self.ranking[self.ranking["area_code"] == code]
        total = len(self.ranking)
        if mine.empty:
            return (f"None of {code}'s lists has {MIN_RANKED} or more patients waiting, so "
                    f"none is among the {total:,} lists ranked.")
        parts = [f"{r.specialty_name} {r.rank:,}" for r in mine.itertuples()]
        return (f"Of the {total:,} providers' lists of {MIN_RANKED} or more patients in these "
                f"treatment functions, ranked by pressure (1 = the most), {code}'s rank: "
                + "; ".join(parts) + ".")

    def verdict(self) -> str:
        """The answer for a board, in plain words (Markdown)."""
        if self.total is None:
            return f"**No verdict.** {self.reason}"
        r = self.row
        pct = formatting.quantity(r["pct_within_18w"], "%")
        share = calc.percent_within(calc.factor_for(self.percentile))
        ttt = _num(self.time_to_target)
        lines = []
        patients = "patient" if r["queue_size"] == 1 else "patients"
        size_words = (f"The waiting list of {self.area_words} ({_num(r['queue_size'])} {patients} "
                      f"at the end of {pd.Timestamp(r['period']):%B %Y})")
        if not r["target_queue_size"] > 0:
            head = (f"{size_words} had no new clock starts that month, so no target size "
                    "follows from demand (Little's law)")
        elif r["queue_size"] > r["target_queue_size"]:
            head = (f"{size_words} is {formatting.number(r['size_to_target'])} times the "
                    f"{_num(r['target_queue_size'])} that would see {share} of patients within "
                    f"{_num(self.target_wait)} weeks")
        else:
            head = (f"{size_words} is within the {_num(r['target_queue_size'])} that would "
                    f"see {share} of patients within {_num(self.target_wait)} weeks")
        pressure = r["waiting_list_pressure"]
        lines.append(f"**Verdict.** {head}. {pct} have waited 18 weeks or less; the pressure "
                     f"(2 x mean wait / target) is {formatting.number(pressure)}: "
                     + ("the standard will be missed unless capacity rises."
                        if pressure > 1 else "the list can meet the standard."))
        if not r["target_queue_size"] > 0:
            lines.append("- **Capacity:** without demand no target size, relief or target "
                         "capacity follows; look at the provider's other treatment functions "
                         "or months.")
            return "\n".join(lines)
        extra = r["extra_removals"]
        if extra > 0:
            rise = (f" ({formatting.percent(extra / r['removals'])})" if r["removals"] > 0
                    else "")
            lines.append(
                f"- **What it takes:** about {_num(r['relief_capacity'])} removals a week for "
                f"{ttt} weeks (95% interval {_num(r['relief_capacity_low'])} to "
                f"{_num(r['relief_capacity_high'])}), {_num(extra)}{rise} more than the "
                f"{_num(r['removals'])} now. If "
                f"other removals go on as now, that is {_num(r['relief_completions'])} "
                f"completed pathways a week against {_num(r['completions'])}. After that, "
                f"about {_num(r['target_capacity'])} a week hold the list at its target.")
        else:
            lines.append(f"- **Capacity:** the list needs no relief capacity; about "
                         f"{_num(r['target_capacity'])} removals a week keep its mean wait at "
                         f"{formatting.number(self.target_wait / calc.factor_for(self.percentile))} weeks.")
        if self.plan is not None:
            p = self.plan
            now = p.frame[p.frame["scenario"] == "as now"]
            tail = ""
            if len(now):
                last = now.iloc[-1]
                tail = (f" Carrying on as now, it would hold about {_num(last['median'])} "
                        f"(95% of simulations {_num(last['low'])} to {_num(last['high'])}).")
            lines.append(
                f"- **The plan over time:** at {_num(p.capacity)} a week the list is simulated "
                f"to hold {_num(p.end_median)} after {p.weeks} weeks (95% of simulations "
                f"{_num(p.end_low)} to {_num(p.end_high)}); it reaches the target in "
                f"{formatting.percent(p.on_target)} of simulations, so plan for more than the "
                f"average to be confident.{tail}")
        if self.staffing is not None:
            w = self.staffing
            per = _num(w.change)
            lines.append(
                f"- **Staffing:** {per} more nurse (FTE) per 10 occupied beds is worth about "
                f"{_num(-w.list_change)} fewer patients on the list (95% interval "
                f"{_num(-w.list_change_high)} to {_num(-w.list_change_low)})"
                + (f" and reaching the target {formatting.number(w.weeks_saved)} weeks sooner "
                   f"under the plan" if w.queue_size > w.target_queue_size else "")
                + ": if the average association holds here, extra staff add removals and "
                "demand stays as it is.")
        else:
            lines.append(f"- **Staffing:** not translated: {self.staffing_reason}")
        share_other = (f" ({formatting.percent(r['other_removals'] / r['removals'])} of "
                       "removals ended without a recorded treatment)" if r["removals"] > 0
                       else "")
        lines.append(
            f"- **Read with care:** completions understate removals{share_other}; the "
            "formulas assume a steady list and exponential waits treated in turn"
            + ("; with one month the list's change is not known" if r["steady_assumed"] else "")
            + ".")
        return "\n".join(lines)


def readable(table: pd.DataFrame) -> pd.DataFrame:
    """A table of lists rounded for reading: patients as whole numbers, ratios to 2
    decimals, weeks, shares and weekly counts to 1.

    >>> t = readable(pd.DataFrame({"queue_size": [1234.4], "mean_wait": [15.796],
    ...                            "waiting_list_pressure": [1.7551]}))
    >>> int(t["queue_size"][0]), float(t["mean_wait"][0]), float(t["waiting_list_pressure"][0])
    (1234, 15.8, 1.76)
    """
    out = table.copy()
    for col in out.columns:
        if not pd.api.types.is_float_dtype(out[col]):
            continue
        if col in ("queue_size", "target_queue_size"):
            out[col] = out[col].round(0).astype("Int64")
        elif col in ("size_to_target", "waiting_list_pressure", "queue_load"):
            out[col] = out[col].round(2)
        else:
            out[col] = out[col].round(1)
    return out


def _area(flows: pd.DataFrame, provider: str) -> tuple[str, str]:
    """The level and code of ``provider``: England, a provider code, a sector or a region."""
    text = str(provider).strip()
    if text.lower() in ("", "england"):
        return "england", "England"
    codes = set(flows["provider_code"].astype(str))
    if text.upper() in codes:
        return "provider", text.upper()
    if "sector" in flows.columns and text in set(flows["sector"].dropna().astype(str)):
        return "sector", text
    if "region" in flows.columns and text in set(flows["region"].dropna().astype(str)):
        return "region", text
    examples = sorted(codes)[:5]
    raise AnalysisInputError("answer", "provider", f"is {provider!r}, which the rtt_flows "
                             "table does not hold", expected="'England', a provider code such "
                             f"as {examples}, a sector or a region")


def _staffing(panel: pd.DataFrame, subset: str) -> tuple[Any, str]:
    """Notebook 02's within-provider estimate of staffing on waits, or why there is none."""
    missing = [c for c in (STAFFING, WAITS) if c not in panel.columns]
    if missing:
        words = {STAFFING: "nurse staffing per 10 occupied beds", WAITS: "RTT median waits"}
        return None, (f"the panel has no {' and no '.join(words[c] for c in missing)} "
                      f"({', '.join(missing)}), so notebook 02's staffing -> waits estimate "
                      "cannot be made from these data")
    rows = md.select_subset(panel, subset)
    both = rows[rows[STAFFING].notna() & rows[WAITS].notna()]
    months = both.groupby("provider_code")["period"].nunique()
    if (months >= 2).sum() < 2:
        return None, ("the data hold no providers with two or more months of both nurse "
                      "staffing and RTT waits, so notebook 02's within-provider estimate "
                      "cannot be made")
    fid = f"effect:{STAFFING}->{WAITS}@{subset}#fe"
    try:
        found = staffing_waits_satisfaction(panel, subset=subset, mixed=False)
    except WorkbenchError as exc:
        return None, f"notebook 02's estimate could not be made ({exc})"
    hit = [f for f in found if f.id == fid]
    if not hit or hit[0].ci_low is None:
        return None, f"notebook 02 gave no estimate {fid} with an interval"
    return hit[0], ""


def answer(flows: pd.DataFrame | NotHeld, panel: pd.DataFrame, *, provider: str = "England",
           specialties: Sequence[str] = (), target_wait: float = 18,
           percentile: float = 0.92, time_to_target: float = 26,
           staffing_change: float = 1.0, staffing_subset: str = "acute",
           n_sims: int = 1000, seed: int = SEED,
           truth: Mapping[str, float] | None = None) -> WaitingListAnswer:
    """How big should the list be, what capacity it needs, and what staffing is worth
    (module docstring). ``provider`` is ``England``, a provider code, a sector or a
    region; ``specialties`` treatment function codes (empty: all); ``truth`` the
    session's true values (synthetic data), for the staffing translation's truths.
    """
    if isinstance(flows, NotHeld):
        return WaitingListAnswer(reason=str(flows))
    if not isinstance(flows, pd.DataFrame):
        raise AnalysisInputError("answer", "flows", f"is a {type(flows).__name__}",
                                 expected="the rtt_flows table (s.data('rtt_flows'))")
    if flows.empty:
        return WaitingListAnswer(reason="The study's rtt_flows table has no rows.")
    factor = calc.factor_for(percentile)
    level, code = _area(flows, provider)
    named = tuple(str(s).strip() for s in specialties)
    areas = None if level == "england" else [code]
    together = rtt_flows.aggregate(flows, level, specialties=named or None, by_specialty=False,
                                   areas=areas)
    each = rtt_flows.aggregate(flows, level, specialties=named or None, areas=areas)
    settings = {"target_wait": target_wait, "factor": factor, "time_to_target": time_to_target,
                "n_sims": n_sims, "seed": seed}
    total = flow_stats(together, **settings)
    by_specialty = flow_stats(each, **settings)
    r = total.table.iloc[0]
    label = list_label(r["area_code"], r["specialty_code"])
    period = f"{pd.Timestamp(r['period']):%Y-%m}"
    words = ("England" if level == "england" else
             f"{r['area_name']} ({r['area_code']})" if level == "provider" and
             r["area_name"] != r["area_code"] else str(r["area_code"]))
    if named:
        words += (f" for {r['specialty_name']}" if len(named) == 1
                  else f" for {len(named)} treatment functions")
    start = (pd.Timestamp(r["period"]) + pd.offsets.MonthBegin(1))
    plan = relief_plan(demand=r["demand"], queue_size=r["queue_size"],
                       target=r["target_queue_size"],
                       capacity=max(float(r["relief_capacity"]), 0.0),
                       weeks=round(float(time_to_target)),
                       current=max(float(r["removals"]), 0.0),
                       demand_count=r["new_clock_starts"], count_days=int(r["days"]),
                       n_sims=n_sims, seed=seed, start=start, label=label, period=period)
    ranked_lists = flow_stats(rtt_flows.aggregate(flows, "provider",
                                                  specialties=named or None), **settings)
    ranking = ranked_lists.ranked(min_size=MIN_RANKED)

    effect, why = _staffing(panel, staffing_subset)
    worth = None
    if effect is not None:
        t = truth_for(effect, truth) if truth else None
        worth = staffing_worth(
            effect, change=staffing_change, demand=float(r["demand"]),
            queue_size=float(r["queue_size"]), target_queue_size=float(r["target_queue_size"]),
            time_to_target=time_to_target, label=label, period=period, seed=seed,
            true_effect=t, true_demand=r.get("demand_truth"),
            true_target=r.get("target_queue_size_truth"))

    share = (f"Here {formatting.percent(r['other_removals'] / r['removals'])} of removals "
             "did, implied" if r["removals"] > 0 else "They are implied")
    notes = [
        (f"Completions understate removals: pathways also end without a recorded treatment "
         f"(validated off the list, treated elsewhere, declined, died). {share} as new clock "
         "starts minus completions minus the list's change."),
    ]
    if r["steady_assumed"]:
        notes.append(f"These data hold one month for this list ({pd.Timestamp(r['period']):%B %Y}):"
                     " the list's change over the month is not known, so other removals and the "
                     "load assume a steady list.")
    notes.append("The formulas assume a steady state, waits roughly exponential and patients "
                 "treated in turn within each urgency; clinical prioritisation and treating "
                 "long waiters first make them conservative (docs/waiting_lists.md).")
    if level != "provider" or len(named) != 1:
        notes.append("The lists together are many queues: list sizes, demand and relief "
                     "capacity add up, the target capacity is the sum of each list's, and the "
                     "mean wait and pressure are those of all their patients; capacity cannot "
                     "move freely between lists.")
    notes.append("Intervals show the Poisson variation of one month's counts of new clock "
                 "starts, completions and other removals; they leave out seasonal and longer "
                 "changes in demand. The list and its waits are a count of everyone waiting.")
    if worth is not None:
        notes.append("The staffing translation: " + " ".join(ASSUMPTIONS))
    else:
        notes.append(f"Staffing is not translated into weeks: {why}.")
    return WaitingListAnswer(
        label=label, area_words=words, level=level, period=period,
        target_wait=float(target_wait), percentile=float(percentile),
        time_to_target=float(time_to_target), staffing_change=float(staffing_change),
        named_specialties=named, total=total, by_specialty=by_specialty, plan=plan,
        ranking=ranking, staffing=worth, staffing_reason=why, notes=notes)
