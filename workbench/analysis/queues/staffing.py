"""What a change in staffing is worth in list size and weeks to target.

The staffing question (notebook 02) estimates, within provider, how a provider's RTT median
wait moves with its nurse staffing: ``beta`` weeks of median wait per extra nurse FTE per
10 occupied beds, with its 95% interval. :func:`staffing_worth` carries that estimate into
a waiting list's terms, under stated assumptions:

1. **an average association**: ``beta`` is the average within-provider association over the
   panel's providers and months, taken to hold for the chosen provider (or every provider,
   for England) and for each of its specialties;
2. **capacity follows staffing**: the change in waits comes from patients leaving the list
   faster (more removals), not from fewer referrals or more validation;
3. **demand unchanged**: Little's law at the same demand turns the change in the mean wait
   into a change in the list, ``list change = demand x mean wait change``;
4. **waits roughly exponential**: the mean wait moves with the median as ``mean = median /
   ln 2``, so ``mean wait change = beta x change / ln 2``.

Then, for a list of ``queue_size`` patients with target ``target_queue_size`` and a relief
plan that clears the gap in ``time_to_target`` weeks (removals ``demand + gap /
time_to_target`` a week): the staffing change shrinks the list by ``-list change`` patients,
so the plan's gap, and the weeks to reach the target at the plan's capacity, fall in
proportion: ``weeks to target = time_to_target x (gap + list change) / gap`` (0 once the
list is at or under its target), and the relief capacity needed falls by ``-list change /
time_to_target`` a week.

The uncertainty of ``beta`` is carried through by simulation from its sampling
distribution (t with the clusters - 1 degrees of freedom the estimate was made with, its
standard error from the 95% interval): every quantity is the estimate at ``beta`` with the
2.5th and 97.5th percentiles of ``n_sims`` draws.

>>> w = staffing_worth(-0.4, ci_low=-0.45, ci_high=-0.35, df=124, demand=100, queue_size=5000,
...                    target_queue_size=1000, time_to_target=26, label="R001", period="2026-04")
>>> round(w.list_change, 1), round(w.weeks_to_target, 2)
(-57.7, 25.62)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from workbench.analysis.findings import formatting, wording
from workbench.analysis.findings.record import Finding, Findings, with_question
from workbench.analysis.queues import calculators as calc
from workbench.errors import AnalysisInputError
from workbench.finding_id import FindingId

__all__ = ["ASSUMPTIONS", "StaffingWorth", "staffing_worth"]

#: The assumptions of the translation, as a reader is told them.
ASSUMPTIONS = (
    ("The estimate is an average association within providers over the panel's months, "
     "taken to hold for this provider and each of its specialties."),
    ("Capacity follows staffing: the change in waits comes from patients leaving the list "
     "faster, not from fewer referrals or more validation."),
    ("Demand is unchanged, so by Little's law the list changes by demand x the change in the "
     "mean wait."),
    ("Waits are roughly exponential, so the mean wait moves with the median as mean = "
     "median / ln 2."),
)
MODEL = ("staffing -> waits estimate carried into the list by Little's law (demand "
         "unchanged), simulated from the estimate's sampling distribution")


@dataclass
class StaffingWorth:
    """What a staffing change of ``change`` is worth for one list (:func:`staffing_worth`).

    Each quantity is the value at the estimate with its 95% interval (``_low``, ``_high``):
    ``mean_wait_change`` (weeks), ``list_change`` (patients), ``relief_change`` (removals
    a week the relief plan needs, more or fewer), ``weeks_to_target`` (weeks the plan then
    takes; the plan's own ``time_to_target`` without the change) and ``weeks_saved``.
    """

    label: str
    period: str
    exposure: str
    exposure_words: str
    change: float
    effect: float
    effect_low: float
    effect_high: float
    df: float
    demand: float
    queue_size: float
    target_queue_size: float
    time_to_target: float
    mean_wait_change: float
    mean_wait_change_low: float
    mean_wait_change_high: float
    list_change: float
    list_change_low: float
    list_change_high: float
    relief_change: float
    relief_change_low: float
    relief_change_high: float
    weeks_to_target: float
    weeks_to_target_low: float
    weeks_to_target_high: float
    n_sims: int
    seed: int
    source_id: str = ""
    truth: dict[str, float] = field(default_factory=dict)
    truth_source: str = "the synthetic generator's true effect of staffing on waits and its " \
                        "true demand"

    @property
    def weeks_saved(self) -> float:
        """Weeks sooner the plan reaches the target with the change (negative: later)."""
        return self.time_to_target - self.weeks_to_target

    def findings(self, question: str | None = None) -> Findings:
        """Four findings, ``worth:<exposure>->{mean_wait,queue_size,relief_capacity,
        weeks_to_target}@<label>#<period>``, each per ``change`` of the exposure.

        >>> w = staffing_worth(-0.4, ci_low=-0.45, ci_high=-0.35, df=124, demand=100,
        ...                    queue_size=5000, target_queue_size=1000, label="R001")
        >>> [f.key.outcome for f in w.findings()]
        ['mean_wait', 'queue_size', 'relief_capacity', 'weeks_to_target']
        """
        num = _num
        words = self.exposure_words if abs(self.change) != 1 else \
            re.sub(r"^(\w+)s\b", r"\1", self.exposure_words)  # 1 more nurse (FTE) ...
        per = (f"{num(self.change)} more {words}" if self.change > 0
               else f"{num(-self.change)} fewer {words}")
        params = {"change": self.change, "effect": self.effect, "effect_low": self.effect_low,
                  "effect_high": self.effect_high, "df": self.df, "demand": self.demand,
                  "queue_size": self.queue_size, "target_queue_size": self.target_queue_size,
                  "time_to_target": self.time_to_target, "n_sims": self.n_sims,
                  "seed": self.seed, "effect_id": self.source_id}
        note = ("from the average within-provider association of staffing with the median "
                "wait; assumes capacity follows staffing and demand is unchanged")

        def make(outcome: str, q: str, unit: str, formula: str, sentence: str,
                 question_text: str) -> Finding:
            return Finding(
                id=str(FindingId("worth", outcome, exposure=self.exposure, subset=self.label,
                                 period=self.period)),
                question=question_text, estimate=float(getattr(self, q)),
                ci_low=float(getattr(self, f"{q}_low")), ci_high=float(getattr(self, f"{q}_high")),
                unit=unit, model=MODEL, formula=formula, parameters=dict(params),
                sentence=sentence, warning=note, role="headline")

        gap = self.queue_size - self.target_queue_size
        out = [
            make("mean_wait", "mean_wait_change", f"weeks per {num(self.change)} "
                 f"{words}",
                 f"effect x change / ln 2 = {num(self.effect)} x {num(self.change)} / 0.693",
                 f"With {per}, patients' mean wait would be "
                 f"{_change(self.mean_wait_change, self.mean_wait_change_low, self.mean_wait_change_high, 'weeks', up='longer', down='shorter')}.",
                 "What is a change in staffing worth in weeks of waiting?"),
            make("queue_size", "list_change", f"patients per {num(self.change)} "
                 f"{words}",
                 f"demand x mean wait change = {num(self.demand)} x "
                 f"{formatting.signed(self.mean_wait_change)}",
                 f"With {per}, the list would hold "
                 f"{_change(self.list_change, self.list_change_low, self.list_change_high, 'patients', up='more', down='fewer')} "
                 f"at today's demand of {num(self.demand)} a week.",
                 "What is a change in staffing worth in list size?"),
            make("relief_capacity", "relief_change", "patients per week",
                 f"list change / time_to_target = {_signed(self.list_change)} / "
                 f"{num(self.time_to_target)}",
                 f"With {per}, the relief plan would need "
                 f"{_change(self.relief_change, self.relief_change_low, self.relief_change_high, 'removals a week', up='more', down='fewer')} "
                 f"to reach the target in {num(self.time_to_target)} weeks.",
                 "How much relief capacity is a change in staffing worth?"),
            make("weeks_to_target", "weeks_to_target", "weeks",
                 f"time_to_target x (gap + list change) / gap = {num(self.time_to_target)} x "
                 f"({num(gap)} {_signed(self.list_change)}) / {num(gap)}",
                 (f"With {per}, the relief plan would reach the target in "
                  "{} weeks (95% interval {}) instead of {}.".format(
                      *formatting.estimate_interval(self.weeks_to_target, self.weeks_to_target_low,
                                                    self.weeks_to_target_high),
                      num(self.time_to_target))
                  if gap > 0 else
                  f"The list is at or under its target already; with {per} it would stay "
                  "there."),
                 "How many weeks to target is a change in staffing worth?"),
        ]
        return with_question(out, question)

    def truths(self) -> dict[str, float]:
        """The true value of each finding (synthetic data with a known effect and demand)."""
        return dict(self.truth)

    def limits(self) -> list[str]:
        """The assumptions, as sentences."""
        return list(ASSUMPTIONS)


def _num(x: float) -> str:
    if formatting.is_missing(x):
        return ""
    return formatting.count(round(float(x))) if abs(float(x)) >= 1000 else formatting.number(x)


def _signed(x: float) -> str:
    text = _num(x)
    return text if not text or text.startswith("-") else "+" + text


def _change(x: float, lo: float, hi: float, unit: str, *, up: str, down: str) -> str:
    """A change in words with its simulated 95% interval in the same direction."""
    return wording.change(x, lo, hi, unit, up=up, down=down, interval_name="95% interval",
                          unit_first=unit == "weeks")  # 381 fewer patients, 0.6 weeks shorter


def _translate(beta: np.ndarray, change: float, demand: float, gap: float,
               ttt: float) -> dict[str, np.ndarray]:
    mean_wait = beta * change / math.log(2)
    list_change = demand * mean_wait
    if gap > 0:
        weeks = ttt * np.maximum(gap + list_change, 0.0) / gap
    else:
        weeks = np.zeros_like(list_change)
    return {"mean_wait_change": mean_wait, "list_change": list_change,
            "relief_change": list_change / ttt, "weeks_to_target": weeks}


def staffing_worth(effect: float | Finding, *, ci_low: float | None = None,
                   ci_high: float | None = None, df: float | None = None, change: float = 1.0,
                   demand: float, queue_size: float, target_queue_size: float,
                   time_to_target: float = 26, label: str = "list", period: str = "",
                   exposure: str = "nurse_fte_per_10_beds",
                   exposure_words: str = "nurses (FTE) per 10 occupied beds",
                   n_sims: int = 10000, seed: int = 20260430,
                   true_effect: float | None = None, true_demand: float | None = None,
                   true_target: float | None = None) -> StaffingWorth:
    """Translate a staffing -> median wait estimate into a list's size and weeks to target.

    ``effect`` is the estimate (weeks of median wait per unit of staffing) or its
    :class:`~workbench.analysis.findings.record.Finding` (``ci_low``, ``ci_high`` and ``df``
    taken from it: clusters - 1); ``change`` the staffing change (units of the exposure);
    ``demand`` (patients a week), ``queue_size``, ``target_queue_size`` and
    ``time_to_target`` the list and its relief plan. With ``true_effect`` and
    ``true_demand`` (and ``true_target``) the result knows the truths of its findings.
    See the module docstring for the assumptions.
    """
    fn = "staffing_worth"
    source_id = ""
    if isinstance(effect, Finding):
        source_id = effect.id
        ci_low = effect.ci_low if ci_low is None else ci_low
        ci_high = effect.ci_high if ci_high is None else ci_high
        if df is None and effect.clusters:
            df = float(effect.clusters - 1)
        effect = effect.estimate
    args = calc.NumericArguments(fn)
    args.add("effect", effect, minimum=-math.inf, expected="weeks of median wait per unit")
    for name, value in (("ci_low", ci_low), ("ci_high", ci_high)):
        if value is None:
            raise AnalysisInputError(fn, name, "is missing", expected="the 95% interval of "
                                     "the effect (or a Finding that has one)")
        args.add(name, value, minimum=-math.inf, expected="an end of the 95% interval")
    args.add("change", change, minimum=-math.inf, expected="a change in staffing")
    args.add("demand", demand, expected="demand >= 0 patients per week")
    args.add("queue_size", queue_size, expected="a list size >= 0")
    args.add("target_queue_size", target_queue_size, expected="a target list size >= 0")
    args.add("time_to_target", time_to_target, strict=True, expected="weeks > 0")
    if args.any_vector:
        raise AnalysisInputError(fn, "effect, demand, queue_size", "include a vector",
                                 expected="one estimate and one list")
    if not ci_low <= effect <= ci_high:
        raise AnalysisInputError(fn, "ci_low, ci_high", f"are {ci_low!r} and {ci_high!r}, "
                                 f"which do not hold the effect {effect!r}",
                                 expected="an interval around the estimate")
    df = math.inf if df is None else float(df)
    crit = float(stats.norm.ppf(0.975) if math.isinf(df) else stats.t.ppf(0.975, df))
    se = (float(ci_high) - float(ci_low)) / (2 * crit)
    rng = np.random.default_rng(int(seed))
    noise = rng.standard_normal(n_sims) if math.isinf(df) else rng.standard_t(df, n_sims)
    beta = float(effect) + se * noise
    gap = float(queue_size) - float(target_queue_size)
    ttt = float(time_to_target)
    point = _translate(np.array([float(effect)]), float(change), float(demand), gap, ttt)
    draws = _translate(beta, float(change), float(demand), gap, ttt)
    values: dict[str, float] = {}
    for q, v in point.items():
        values[q] = float(v[0])
        values[f"{q}_low"], values[f"{q}_high"] = (float(x) for x in
                                                   np.percentile(draws[q], [2.5, 97.5]))
    truth: dict[str, float] = {}
    if true_effect is not None and true_demand is not None:
        t_target = float(target_queue_size if true_target is None else true_target)
        t = _translate(np.array([float(true_effect)]), float(change), float(true_demand),
                       float(queue_size) - t_target, ttt)
        for outcome, q in (("mean_wait", "mean_wait_change"), ("queue_size", "list_change"),
                           ("relief_capacity", "relief_change"),
                           ("weeks_to_target", "weeks_to_target")):
            truth[str(FindingId("worth", outcome, exposure=exposure, subset=label,
                                period=period))] = float(t[q][0])
    return StaffingWorth(
        label=label, period=period, exposure=exposure, exposure_words=exposure_words,
        change=float(change), effect=float(effect), effect_low=float(ci_low),
        effect_high=float(ci_high), df=df, demand=float(demand), queue_size=float(queue_size),
        target_queue_size=float(target_queue_size), time_to_target=ttt, n_sims=int(n_sims),
        seed=int(seed), source_id=source_id, truth=truth, **values)
