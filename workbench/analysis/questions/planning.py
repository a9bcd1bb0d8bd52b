"""Will we be able to tell? Planning the evaluation of a change before it is made.

:func:`plan_evaluation` answers the question a team asks before changing something at a
few providers: if the change moves the measure by ``effect``, how likely is the
evaluation of notebook 08 (:func:`workbench.analysis.questions.did_it_work.evaluate_change`)
to show it, how small a change could it show, and do its intervals mean what they say?
It answers by simulation on the panel's own variability, real or synthetic, so that the
answer allows for how noisy, seasonal and unlike each other these providers' series are.

One simulation
    1. A window of ``months_before + months_after`` consecutive months is drawn at random
       from the panel's months, and ``n_changed`` providers at random from those of the
       ``comparison`` group with the measure's counts in every month (the others of that
       group are the providers that did not change). The providers' own series are used
       as they are: the simulations resample which providers and which months, never
       invent a series.
    2. A change of size ``effect`` (in the measure's unit: percentage points for FFT and
       A&E, complaints per 1,000 episodes for complaints) is inserted into the changed
       providers' counts from the change month on, as
       :func:`~workbench.analysis.questions.did_it_work.insert_known_change` inserts one:
       each month's count is redrawn so that its expected share (or rate) given the
       observed counts moves by ``effect`` (binomial thinning or topping up of the
       responses, Poisson complaints added or thinned; a share stays within 0-100%).
       The truth of the simulation is the expected change the insertion made (exactly
       ``effect`` unless a share hit 0% or 100%).
    3. The change is evaluated by the chosen method with cheap inference (no bootstrap):

       * ``did``: the Sun-Abraham ATT of one cohort against the providers that did not
         change (:func:`~workbench.analysis.evaluation.did.staggered_did`'s estimator:
         with one change month and balanced data it is the mean over the changed
         providers of (mean after the change - the month before it) minus the same for
         the others, which the tests check against ``staggered_did``). Its interval is
         Welch's t on those per-provider changes: the HC2 (CR2) cluster-robust variance
         with Satterthwaite (Bell-McCaffrey) degrees of freedom, which stays honest with
         few changed providers, where the CRV1 interval with ``G - 1`` degrees of
         freedom is too narrow. ``evaluate_change`` itself uses the wild cluster
         bootstrap (and randomisation inference with few changed providers): valid in
         the same way, too slow to repeat hundreds of times.
       * ``its``: :func:`~workbench.analysis.evaluation.its.interrupted_time_series` on
         the changed providers' pooled monthly counts (segmented GLM with month-of-year
         dummies, HAC/HC2 sandwich intervals, analytic), judged on its effect
         ``horizon`` months after the change month (percentage points; a rate ratio for
         complaints).

       A simulation *detects* the change when its 95% interval excludes no change, and
       *covers* when the interval holds the simulation's truth.

What comes back (:class:`EvaluationPlan`)
    ``.power``: the share of simulations that detected the change (with ``effect = 0``,
    the false-alarm rate, which should be near 5%). ``.coverage``: the share whose 95%
    interval held the inserted effect (near 0.95 when the intervals are honest).
    ``.mde``: the minimum detectable effect, the smallest change (in the direction of
    ``effect``, or of improvement when ``effect`` is 0) detected in 80% of simulations
    at the 5% level. It is found from the same simulations by shifting each one's
    estimate and interval by the difference between a candidate change and its truth
    (a change of the measure moves the estimate by its size and leaves its spread as it
    is, to first order; for the complaints ITS the shift is on the rate-ratio scale,
    at each simulation's own rate), then solving power(change) = 0.8 by bisection; NaN
    when no change up to 100 percentage points (or 100 times the rate) reaches 80%.
    ``.curve`` is power against the size of the change, on the same footing. Monte
    Carlo error: a power of 0.8 from 200 simulations is within about 0.06 of the truth
    95% of the time (``.power_mcse``).

Example
-------
>>> from workbench.data.synth import generate
>>> panel = generate(seed=3, n_providers=80, n_months=30).panel
>>> plan = plan_evaluation(panel, "fft_pct_positive", n_changed=6, effect=3.0,
...                        months_before=12, months_after=12, method="did", n_sim=50, seed=1)
>>> plan.n_sim, plan.power > 0.8, 0.0 < plan.mde < 3.0
(50, True, True)
>>> plan.sentence.startswith("With 6 providers changing")
True
"""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from workbench.analysis.evaluation.its import interrupted_time_series
from workbench.analysis.findings import formatting
from workbench.analysis.models.fit import SUBSETS, select_subset
from workbench.analysis.questions.did_it_work import EVALUATION_MEASURES
from workbench.data import measures as M
from workbench.errors import AnalysisInputError

#: Methods a plan can simulate.
METHODS = ("its", "did")
#: Power the minimum detectable effect is defined at, and the test's level.
TARGET_POWER = 0.80
ALPHA = 0.05
#: Runs at least this long (ITS fits, DiD simulations) show a progress bar by default.
PROGRESS_ITS = 300
PROGRESS_DID = 20_000
#: Fewest months an interrupted time series with month-of-year terms can be fitted to.
ITS_MIN_MONTHS = 17

__all__ = ["METHODS", "ChangePlans", "EvaluationPlan", "did_one_cohort", "months_around",
           "plan_evaluation", "plan_like"]


@dataclass
class EvaluationPlan:
    """The simulated operating characteristics of a planned evaluation.

    ``power``, ``mde`` and ``coverage`` are described in the module docstring;
    ``simulations`` holds one row per simulation (window start, estimate, interval,
    truth, detected, covered) on the estimate's scale, ``curve`` power against the size
    of the change, ``unit`` the unit of ``effect`` and ``mde``, ``inference`` how each
    simulation's interval was made.
    """

    measure: str
    method: str
    n_changed: int
    effect: float
    months_before: int
    months_after: int
    n_sim: int
    seed: int
    power: float
    mde: float
    coverage: float
    unit: str
    inference: str
    comparison: str = "nhs"
    horizon: int = 6
    n_eligible: int = 0
    curve: pd.DataFrame = field(default_factory=pd.DataFrame)
    simulations: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)
    #: what one unit and several are called in sentences (a declared table: ward, wards)
    unit_name: str = "provider"
    units: str = "providers"

    @property
    def power_mcse(self) -> float:
        """Monte Carlo standard error of ``power``: sqrt(p (1 - p) / n_sim)."""
        return math.sqrt(max(self.power * (1 - self.power), 0.0) / max(self.n_sim, 1))

    @property
    def coverage_mcse(self) -> float:
        """Monte Carlo standard error of ``coverage``."""
        n = int(self.simulations["covered"].notna().sum()) if len(self.simulations) else 0
        c = self.coverage
        return math.sqrt(max(c * (1 - c), 0.0) / n) if n and np.isfinite(c) else float("nan")

    @property
    def method_words(self) -> str:
        """The method in words."""
        return (f"the comparison with {self.units} that did not change "
                "(difference-in-differences)" if self.method == "did" else
                f"the changed {self.units}' own before-and-after series (interrupted time "
                "series)")

    @property
    def power_interval(self) -> tuple[float, float]:
        """Wilson 95% interval of ``power`` over the simulations (its Monte Carlo error)."""
        return _wilson(self.power, self.n_sim)

    @property
    def coverage_interval(self) -> tuple[float, float]:
        """Wilson 95% interval of ``coverage`` over the simulations that could be estimated."""
        return _wilson(self.coverage, self.identified)

    @property
    def identified(self) -> int:
        """Simulations whose model could be estimated (all of them for ``did``)."""
        return int(self.simulations["identified"].sum()) if len(self.simulations) else 0

    @property
    def sentence(self) -> str:
        """The plan in plain words, for a board: power, smallest detectable change,
        coverage and how many simulations they rest on.
        """
        unit = self.unit
        who = self.unit_name if self.n_changed == 1 else self.units
        setting = (f"With {self.n_changed} {who} changing, {self.months_before} months of "
                   f"data before the change and {self.months_after} after")
        if self.identified == 0:
            return (f"{setting}, {self.method_words} cannot be estimated: its trend, step "
                    "and month-of-year terms cannot be told apart in these "
                    f"{self.months_before + self.months_after} months. Plan another number "
                    f"of months, or the comparison with {self.units} that did not change.")
        size = (f"a change of {formatting.number(self.effect)} {unit}" if self.effect else
                "a change where there is none")
        lo, hi = self.power_interval
        head = (f"{setting}, {self.method_words} would show {size} in "
                f"{100 * self.power:.0f}% of simulations")
        if self.effect == 0:
            head += (" (the false-alarm rate: more often than the 5% it should be, so a "
                     "change it shows here may be chance)." if lo > ALPHA else
                     " (the false-alarm rate, which should be near 5%).")
        else:
            head += "."
        if np.isfinite(self.mde):
            word = "rise" if self.mde > 0 else "fall"
            mde = (f" The smallest change it would show 80% of the time is a {word} of about "
                   f"{formatting.number(abs(self.mde))} {unit}.")
        else:
            mde = (" No change of a plausible size would be shown 80% of the time: more "
                   "providers or more months are needed.")
        cov = ("" if not np.isfinite(self.coverage) else
               f" Its 95% intervals held the true change in {100 * self.coverage:.0f}% of the "
               "simulations" + (": they are too narrow, so treat a result near the edge "
                                "with caution." if self.coverage_interval[1] < 1 - ALPHA else
                                " (they mean what they say)."))
        return (head + mde + cov + f" Based on {self.n_sim} simulations on the panel's own "
                f"{self.units}: allowing for chance, the power is between {100 * lo:.0f}% and "
                f"{100 * hi:.0f}%.")

    def table(self) -> pd.DataFrame:
        """Power, minimum detectable effect and coverage as a small table for readers
        (``what``, ``value``, ``meaning``).
        """
        unit = self.unit
        rows = [
            ("Power", f"{100 * self.power:.0f}%",
             (f"how often a change of {formatting.number(self.effect)} {unit} is shown "
              f"(95% interval excludes no change); {self.n_sim} simulations")),
            ("Smallest change shown 80% of the time",
             f"{formatting.number(self.mde)} {unit}" if np.isfinite(self.mde) else "none",
             "the minimum detectable effect at the 5% level"),
            ("Coverage of the 95% interval",
             f"{100 * self.coverage:.0f}%" if np.isfinite(self.coverage) else "n/a",
             "how often the interval holds the true change (0.95 when honest)"),
        ]
        return pd.DataFrame(rows, columns=["what", "value", "meaning"])


def _wilson(p: float, n: int) -> tuple[float, float]:
    """Wilson 95% interval of a share ``p`` of ``n`` simulations.

    >>> [round(float(x), 3) for x in _wilson(0.05, 400)]
    [0.033, 0.076]
    """
    if not n or not np.isfinite(p):
        return float("nan"), float("nan")
    z = stats.norm.ppf(1 - ALPHA / 2)
    mid = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, mid - half), min(1.0, mid + half)


# ---- inputs -------------------------------------------------------------------------------

def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _matrices(panel: pd.DataFrame, measure: str, comparison: str, fn: str
              ) -> tuple[np.ndarray, np.ndarray, list[str], pd.DatetimeIndex]:
    """Counts (successes or complaints) and trials (or episodes) as provider x month
    arrays, for the providers of ``comparison`` with both in every month of the panel.
    """
    spec = EVALUATION_MEASURES[measure]
    data = panel.copy()
    if measure == "ae_pct_within_4h" and {"ae_attendances", "ae_over_4h"} <= set(data.columns):
        data["_ae_within_4h"] = data["ae_attendances"] - data["ae_over_4h"]
    num, den = spec["numerator"], spec["denominator"]
    for col in (num, den, "provider_code", "period"):
        if col not in data.columns:
            raise AnalysisInputError(fn, "panel", f"has no column {col!r}",
                                     expected=f"a provider x month panel with the counts of "
                                              f"{measure}")
    if comparison != "all" and not {"sector", "setting"} <= set(data.columns):
        raise AnalysisInputError(fn, "comparison", f"is {comparison!r}, a group by sector and "
                                 "setting, which the panel does not hold",
                                 expected="comparison='all'")
    data = select_subset(data, comparison)
    data = data.assign(period=pd.to_datetime(panel.loc[data.index, "period"])
                       .dt.to_period("M").dt.to_timestamp())
    months = pd.DatetimeIndex(sorted(pd.to_datetime(panel["period"]).dt.to_period("M")
                                     .dt.to_timestamp().unique()))
    x = data.pivot_table(index="provider_code", columns="period", values=num, aggfunc="sum",
                         dropna=False).reindex(columns=months)
    n = data.pivot_table(index="provider_code", columns="period", values=den, aggfunc="sum",
                         dropna=False).reindex(columns=months)
    ok = (x.notna() & n.notna() & (n > 0)).all(axis=1)
    codes = sorted(ok.index[ok])
    return (x.loc[codes].to_numpy(float), n.loc[codes].to_numpy(float), codes, months)


# ---- one simulation: insert the change ------------------------------------------------

def _insert(x: np.ndarray, n: np.ndarray, effect: float, family: str,
            rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Counts with the change inserted, and each cell's expected change given the old
    counts (percentage points, or per 1,000 of exposure).
    """
    if effect == 0:
        return x, np.zeros_like(x)
    if family == "binomial":
        p_old = x / n
        p_new = np.clip(p_old + effect / 100.0, 0.0, 1.0)
        up = p_new > p_old
        add = np.where(up, (p_new - p_old) / np.maximum(1 - p_old, 1e-12), 0.0)
        keep = np.where(~up, p_new / np.maximum(p_old, 1e-12), 1.0)
        added = rng.binomial((n - x).astype(np.int64), np.clip(add, 0, 1))
        kept = rng.binomial(x.astype(np.int64), np.clip(keep, 0, 1))
        new = np.where(up, x + added, kept).astype(float)
        return new, 100.0 * (p_new - p_old)
    wanted = effect * n / 1000.0            # expected extra (or fewer) complaints
    if effect > 0:
        return x + rng.poisson(wanted), 1000.0 * wanted / n
    keep = np.where(x > 0, np.clip(1 + wanted / np.maximum(x, 1e-12), 0, 1), 1.0)
    new = rng.binomial(x.astype(np.int64), keep).astype(float)
    return new, 1000.0 * (x * keep - x) / n


# ---- one simulation: evaluate it --------------------------------------------------------

def did_one_cohort(y: np.ndarray, treated: np.ndarray, before: int
                   ) -> tuple[float, float, float]:
    """The Sun-Abraham ATT of one cohort changing at column ``before`` of the provider x
    month outcome array ``y`` (balanced), with its Welch standard error and degrees of
    freedom (HC2 with Satterthwaite degrees of freedom on each provider's change).

    >>> y = np.array([[1., 1., 3., 3.], [2., 2., 4., 4.], [1., 1., 1., 1.], [2., 2., 2., 3.]])
    >>> att, se, df = did_one_cohort(y, np.array([True, True, False, False]), before=2)
    >>> att
    1.75
    """
    d = y[:, before:].mean(axis=1) - y[:, before - 1]
    dt, dc = d[treated], d[~treated]
    att = float(dt.mean() - dc.mean())
    vt = dt.var(ddof=1) / len(dt)
    vc = dc.var(ddof=1) / len(dc)
    se = math.sqrt(vt + vc)
    den = (vt ** 2 / (len(dt) - 1) if vt > 0 else 0.0) + (vc ** 2 / (len(dc) - 1) if vc > 0
                                                           else 0.0)
    df = (vt + vc) ** 2 / den if den > 0 else float(len(d) - 2)
    return att, se, df


def _its_one(x: np.ndarray, n: np.ndarray, months: pd.DatetimeIndex, t0: pd.Timestamp,
             spec: dict, horizon: int) -> tuple[float, float, float, bool]:
    """The pooled series' ITS effect at ``horizon``: estimate, interval, identified."""
    frame = pd.DataFrame({"period": months, "x": x, "n": n})
    kw = {"trials": "n"} if spec["family"] == "binomial" else {"exposure": "n"}
    with warnings.catch_warnings():  # a rank-deficient window is reported, not warned about
        warnings.simplefilter("ignore")
        try:
            res = interrupted_time_series(frame, "x", "period", t0, family=spec["family"],
                                          measure=spec["its_measure"], subset="treated",
                                          horizon=horizon, **kw)
        except np.linalg.LinAlgError:   # a singular design the fit cannot invert
            return float("nan"), float("nan"), float("nan"), False
    f = next(f for f in res.findings() if f.key.exposure == f"effect_h{horizon}")
    return (float(f.estimate), float(f.ci_low), float(f.ci_high), f.role != "diagnostic")


# ---- power from the simulations -----------------------------------------------------

def _shifted_power(sims: pd.DataFrame, change: float, log_scale: bool) -> float:
    """Power at a change of ``change`` (measure's unit), moving each simulation's estimate
    and interval by the difference between the truth at ``change`` and its own truth.
    """
    ok = sims["identified"].to_numpy(bool)
    if not ok.any():
        return float("nan")
    s = sims[ok]
    if log_scale:   # complaints ITS: ratio scale, at each simulation's own rate
        rate = s["base_rate"].to_numpy(float)
        ratio = 1 + change / rate
        if np.any(ratio <= 0):
            return float("nan")
        shift = np.log(ratio) - np.log(s["truth"].to_numpy(float))
        lo = np.log(s["ci_low"].to_numpy(float)) + shift
        hi = np.log(s["ci_high"].to_numpy(float)) + shift
        null = 0.0
    else:
        shift = change - s["truth"].to_numpy(float)
        lo, hi, null = s["ci_low"].to_numpy(float) + shift, s["ci_high"].to_numpy(float) + shift, 0.0
    return float(np.mean((lo > null) | (hi < null)) * ok.mean())


def _mde(sims: pd.DataFrame, direction: float, log_scale: bool, cap: float) -> float:
    """Smallest change in ``direction`` with shifted power at least :data:`TARGET_POWER`
    (bisection between 0 and ``cap``; NaN when ``cap`` does not reach it).
    """
    def power(c: float) -> float:
        p = _shifted_power(sims, direction * c, log_scale)
        return p if np.isfinite(p) else 0.0

    if power(cap) < TARGET_POWER:
        return float("nan")
    lo, hi = 0.0, cap
    for _ in range(60):
        mid = (lo + hi) / 2
        if power(mid) >= TARGET_POWER:
            hi = mid
        else:
            lo = mid
        if hi - lo < 1e-6 * max(1.0, hi):
            break
    return float(direction * hi)


# ---- the plan ---------------------------------------------------------------------------

def plan_evaluation(panel: pd.DataFrame, measure: str, n_changed: int, effect: float,
                    months_before: int, months_after: int, method: str = "did", *,
                    n_sim: int = 200, seed: int = 0, comparison: str = "nhs",
                    horizon: int | None = None, progress: bool | None = None,
                    unit: str = "provider", units: str = "providers") -> EvaluationPlan:
    """Simulate a planned evaluation of a change on the panel's own variability.

    Parameters
    ----------
    panel : DataFrame
        The provider x month panel (real or synthetic).
    measure : str
        One of :data:`~workbench.analysis.questions.did_it_work.EVALUATION_MEASURES`
        (``fft_pct_positive``, ``ae_pct_within_4h``, ``complaints_per_1000``).
    n_changed : int
        How many providers will make the change.
    effect : float
        The change to plan for, in the measure's unit (percentage points; complaints per
        1,000 episodes); 0 gives the false-alarm rate.
    months_before, months_after : int
        Months of data there will be before the change month and from it on.
    method : {"did", "its"}
        Against providers that did not change (difference-in-differences), or the
        changed providers' own series (interrupted time series).
    n_sim, seed : int
        Simulations and the seed of their random choices (same arguments, same plan).
    comparison : str
        The group the changed and unchanged providers come from (a subset of
        :data:`~workbench.analysis.models.fit.SUBSETS`; default NHS acute trusts).
    horizon : int, optional
        ITS: months after the change month at which its effect is judged (default 6,
        or the last month when ``months_after`` is shorter).
    progress : bool, optional
        Show a progress bar (tqdm); default for long runs only.
    unit, units : str
        What one unit and several are called in sentences (``Session.unit``,
        ``Session.unit_plural``: ``ward``, ``wards`` for a table of wards).

    Returns
    -------
    EvaluationPlan
        ``.power``, ``.mde``, ``.coverage``, ``.n_sim``, ``.sentence`` (module docstring).
    """
    fn = "plan_evaluation"
    if not isinstance(panel, pd.DataFrame):
        raise AnalysisInputError(fn, "panel", f"is a {type(panel).__name__}",
                                 expected="a provider x month panel (DataFrame)")
    if measure not in EVALUATION_MEASURES:
        raise AnalysisInputError(fn, "measure", f"is {measure!r}, a measure a change cannot "
                                 "be evaluated on", expected=f"one of {sorted(EVALUATION_MEASURES)}")
    if method not in METHODS:
        raise AnalysisInputError(fn, "method", f"is {method!r}", expected="'did' or 'its'")
    if comparison not in SUBSETS:
        raise AnalysisInputError(fn, "comparison", f"is {comparison!r}",
                                 expected=f"one of {list(SUBSETS)}")
    for name, v, least in (("n_changed", n_changed, 1), ("months_before", months_before, 1),
                           ("months_after", months_after, 1), ("n_sim", n_sim, 10)):
        if not _is_int(v) or v < least:
            raise AnalysisInputError(fn, name, f"is {v!r}",
                                     expected=f"a whole number, {least} or more")
    if not _is_int(seed):
        raise AnalysisInputError(fn, "seed", f"is {seed!r}", expected="an integer")
    if isinstance(effect, bool) or not isinstance(effect, (int, float, np.number)) \
            or not math.isfinite(float(effect)):
        raise AnalysisInputError(fn, "effect", f"is {effect!r}",
                                 expected="a finite number in the measure's unit")
    effect = float(effect)
    spec = EVALUATION_MEASURES[measure]
    family = spec["family"]
    if family == "binomial" and abs(effect) >= 100:
        raise AnalysisInputError(fn, "effect", f"is {effect!r} percentage points",
                                 expected="a change between -100 and 100 percentage points")
    x_all, n_all, codes, months = _matrices(panel, measure, comparison, fn)
    n_months = len(months)
    window = months_before + months_after
    if window > n_months:
        which = "months_before" if months_before >= n_months else "months_after"
        raise AnalysisInputError(fn, which, f"is {locals()[which]}: months_before + "
                                 f"months_after = {window}, beyond the panel's {n_months} "
                                 "months", expected=f"at most {n_months} months in all")
    need = n_changed + (2 if method == "did" else 0)
    if n_changed > len(codes) or need > len(codes):
        raise AnalysisInputError(fn, "n_changed", f"is {n_changed}, but the panel has "
                                 f"{len(codes)} providers of {SUBSETS[comparison]} with "
                                 f"{measure} in every month",
                                 expected=f"at most {len(codes) - (need - n_changed)}"
                                          + (" (the comparison needs 2 providers that did not "
                                             "change)" if method == "did" else ""))
    if method == "did" and n_changed < 2:
        raise AnalysisInputError(fn, "n_changed", "is 1: a comparison-group estimate needs "
                                 "at least 2 changed providers to judge its spread",
                                 expected="2 or more for method='did' (or method='its')")
    if horizon is None:
        horizon = min(6, months_after - 1)
    if not _is_int(horizon) or not 0 <= horizon < months_after:
        raise AnalysisInputError(fn, "horizon", f"is {horizon!r}",
                                 expected=f"a whole number from 0 to months_after - 1 = "
                                          f"{months_after - 1}")
    if method == "its" and (months_before < 3 or months_after < 2):
        which = "months_before" if months_before < 3 else "months_after"
        raise AnalysisInputError(fn, which, f"is {locals()[which]}, too few for an "
                                 "interrupted time series",
                                 expected="at least 3 months before and 2 after (8 or more "
                                          "each for a headline)")
    if method == "its" and months_before <= 12 and months_after <= 12:
        # every month of the year seen twice is then seen once before the change and once
        # after it, so the trend and the step cannot be told apart
        raise AnalysisInputError(fn, "months_before", f"is {months_before} and months_after "
                                 f"{months_after}: an interrupted time series with "
                                 "month-of-year terms cannot separate the trend from the "
                                 "change unless one side has more than 12 months",
                                 expected="months_before or months_after of 13 or more (or "
                                          "method='did')")
    if method == "its" and window < ITS_MIN_MONTHS:
        raise AnalysisInputError(fn, "months_after", f"is {months_after}: with months_before "
                                 f"= {months_before} that gives {window} months, too few for "
                                 "the time series model (intercept, trend, level, slope and 11 "
                                 "month-of-year terms)",
                                 expected=f"at least {ITS_MIN_MONTHS} months in all")

    rng = np.random.default_rng([int(seed), 0x9A11])
    starts = n_months - window + 1
    log_scale = method == "its" and family == "poisson"
    rows = []
    show = progress if progress is not None else (
        n_sim >= (PROGRESS_ITS if method == "its" else PROGRESS_DID))
    loop = range(n_sim)
    if show:
        from tqdm import tqdm

        loop = tqdm(loop, desc=f"plan_evaluation ({method})", file=sys.stderr, leave=False)
    scale = 100.0 if family == "binomial" else 1000.0
    for _ in loop:
        start = int(rng.integers(starts))
        cols = slice(start, start + window)
        chosen = rng.choice(len(codes), size=n_changed, replace=False)
        treated = np.zeros(len(codes), bool)
        treated[chosen] = True
        x, n = x_all[:, cols].copy(), n_all[:, cols]
        post = np.zeros(x.shape, bool)
        post[treated, months_before:] = True
        new, delta = _insert(x[post], n[post], effect, family, rng)
        x[post] = new
        expected = np.zeros(x.shape)
        expected[post] = delta
        row = {"start": months[start], "change_month": months[start + months_before]}
        if method == "did":
            y = scale * x / n
            att, se, df = did_one_cohort(y, treated, months_before)
            crit = stats.t.ppf(1 - ALPHA / 2, df)
            truth = float(expected[post].mean())
            row.update(estimate=att, ci_low=att - crit * se, ci_high=att + crit * se,
                       truth=truth, identified=True, base_rate=np.nan)
        else:
            xs, ns = x[treated].sum(axis=0), n[treated].sum(axis=0)
            h = months_before + horizon
            extra = (expected[treated, h] * n[treated, h]).sum() / scale  # expected added
            base = x_all[treated, start + h].sum()
            if family == "binomial":
                truth = scale * extra / ns[h]
            else:
                truth = (base + extra) / base if base > 0 else float("nan")
            est, lo, hi, ident = _its_one(xs, ns, months[cols], months[start + months_before],
                                          spec, horizon)
            row.update(estimate=est, ci_low=lo, ci_high=hi, truth=truth, identified=ident,
                       base_rate=scale * base / ns[h] if ns[h] > 0 else np.nan)
        rows.append(row)
    sims = pd.DataFrame(rows)
    null = 1.0 if log_scale else 0.0
    ident = sims["identified"].to_numpy(bool)
    sims["detected"] = ident & ((sims["ci_low"] > null) | (sims["ci_high"] < null))
    cov = (sims["ci_low"] <= sims["truth"]) & (sims["truth"] <= sims["ci_high"])
    sims["covered"] = cov.where(ident & sims["truth"].notna())
    power = float(sims["detected"].mean())
    coverage = float(sims["covered"].dropna().astype(float).mean()) if sims["covered"].notna().any() \
        else float("nan")
    better_high = M.get(measure).higher_is_better
    direction = math.copysign(1.0, effect) if effect else (1.0 if better_high else -1.0)
    if log_scale and direction < 0:
        cap = 0.999 * float(np.nanmin(sims["base_rate"]))
    else:
        cap = 100.0 if family == "binomial" else 100.0 * float(np.nanmax(
            sims["base_rate"] if log_scale else [1.0]))
    mde = _mde(sims, direction, log_scale, cap)
    top = abs(mde) * 2 if np.isfinite(mde) else max(abs(effect) * 2, 1.0)
    grid = np.linspace(0.0, top, 21) * direction
    curve = pd.DataFrame({"effect": grid,
                          "power": [_shifted_power(sims, c, log_scale) for c in grid]})
    notes = []
    if (~ident).any():
        notes.append(f"in {int((~ident).sum())} of {n_sim} simulations the time series "
                     "model could not be identified; they count as not detecting the change")
    if family == "binomial" and effect and bool(
            (sims["truth"] - effect).abs().max() > 0.01 * abs(effect)):
        notes.append("some months' shares would have passed 0% or 100%: the inserted change "
                     "was smaller there, and each simulation's truth says so")
    unit = spec["unit"]
    if method == "did":
        inference = ("Sun-Abraham ATT of one cohort; Welch t on each provider's change "
                     "(HC2 with Satterthwaite degrees of freedom); no bootstrap")
    else:
        inference = (f"interrupted time series of the changed providers' pooled counts "
                     f"({family} GLM, month-of-year dummies, the larger of HAC and HC2 "
                     f"variances), effect {horizon} months after the change month"
                     + ("; the effect is a rate ratio, the MDE and curve are in complaints "
                        "per 1,000 episodes at each simulation's own rate" if log_scale else ""))
    return EvaluationPlan(measure=measure, method=method, n_changed=int(n_changed),
                          effect=effect, months_before=int(months_before),
                          months_after=int(months_after), n_sim=int(n_sim), seed=int(seed),
                          power=power, mde=mde, coverage=coverage, unit=unit,
                          inference=inference, comparison=comparison, horizon=int(horizon),
                          n_eligible=len(codes), curve=curve, simulations=sims, notes=notes,
                          unit_name=unit, units=units)


# ---- a plan for a change like the one evaluated (notebook 08) ---------------------------

@dataclass
class ChangePlans:
    """Plans of a change like one evaluated: one :class:`EvaluationPlan` per method that
    could be simulated (``plans``, by method), and why any other could not (``notes``).
    """

    plans: dict[str, EvaluationPlan]
    notes: list[str] = field(default_factory=list)

    def frame(self) -> pd.DataFrame:
        """One row per method: ``method`` (in words), ``power``, ``mde``, ``coverage``
        (shares, and the change in the measure's unit), ``n_sim``.
        """
        rows = [{"method": _method_words(p), "power": p.power, "mde": p.mde,
                 "coverage": p.coverage, "n_sim": p.n_sim} for p in self.plans.values()]
        return pd.DataFrame(rows, columns=["method", "power", "mde", "coverage", "n_sim"])

    def curves(self) -> pd.DataFrame:
        """Power against the size of the change, every method's (``method``, ``effect``,
        ``power``), for :func:`workbench.report.planning_charts.power_curve_chart`.
        """
        parts = [p.curve.assign(method=_method_words(p)) for p in self.plans.values()]
        return (pd.concat(parts, ignore_index=True) if parts else
                pd.DataFrame(columns=["effect", "power", "method"]))

    @property
    def sentences(self) -> list[str]:
        """Each plan's sentence, then the notes."""
        return [p.sentence for p in self.plans.values()] + list(self.notes)


def _method_words(plan: EvaluationPlan) -> str:
    return (f"against {plan.units} that did not change" if plan.method == "did" else
            f"the changed {plan.units}' own series")


def months_around(panel: pd.DataFrame, when) -> tuple[int, int]:
    """Months of the panel before the month of ``when``, and from it on.

    >>> import pandas as pd
    >>> p = pd.DataFrame({"period": pd.date_range("2024-01-01", periods=12, freq="MS")})
    >>> months_around(p, "2024-05-15")
    (4, 8)
    """
    t0 = pd.Timestamp(when).to_period("M").to_timestamp()
    months = pd.to_datetime(panel["period"]).dt.to_period("M").dt.to_timestamp().unique()
    return int((months < t0).sum()), int((months >= t0).sum())


def plan_like(panel: pd.DataFrame, measure: str, adoption, effect: float, *,
              comparison: str = "nhs", horizon: int = 6, n_sim: int = 200, seed: int = 0,
              progress: bool | None = None, unit: str = "provider",
              units: str = "providers") -> ChangePlans:
    """Plan a change like one evaluated: as many providers as in ``adoption`` (``{provider:
    change month}``, e.g. ``Evaluation.adoption``), as many months before and after the
    (earliest) change month as ``panel`` holds, the change ``effect`` in the measure's
    unit, both methods of :func:`~workbench.analysis.questions.did_it_work.evaluate_change`
    (the interrupted time series only when it can be fitted: more than 12 months on one
    side of the change, 17 in all). ``horizon`` is the ITS's (cut to the months after);
    ``unit`` and ``units`` name the units in sentences.

    >>> from workbench.data.synth import generate
    >>> panel = generate(seed=3, n_providers=80, n_months=30).panel
    >>> plans = plan_like(panel, "fft_pct_positive", {"R001": "2024-10", "R002": "2024-10"},
    ...                   2.0, n_sim=20, seed=1)
    >>> sorted(plans.plans), plans.plans["did"].months_before
    (['did', 'its'], 18)
    """
    fn = "plan_like"
    if not isinstance(adoption, Mapping) or not adoption:
        raise AnalysisInputError(fn, "adoption", f"is {adoption!r}",
                                 expected="{provider: change month} of the providers that "
                                          "changed")
    when = min(pd.Timestamp(d) for d in adoption.values())
    before, after = months_around(panel, when)
    n_changed = len(adoption)
    plans, notes = {}, []
    for method in ("did", "its"):
        h = min(int(horizon), after - 1) if method == "its" else None
        if method == "its" and not (max(before, after) > 12 and before + after >= ITS_MIN_MONTHS
                                    and before >= 3 and after >= 2):
            notes.append(f"The changed {units}' own series cannot be planned with "
                         f"{before} months before the change and {after} after: an "
                         "interrupted time series needs more than 12 months on one side.")
            continue
        try:
            plans[method] = plan_evaluation(panel, measure, n_changed, effect, before, after,
                                            method, n_sim=n_sim, seed=seed,
                                            comparison=comparison, horizon=h,
                                            progress=progress, unit=unit, units=units)
        except AnalysisInputError as exc:
            notes.append(f"No plan for {'the comparison' if method == 'did' else 'the series'}:"
                         f" {exc.parameter} {exc.problem}.")
    return ChangePlans(plans=plans, notes=notes)
