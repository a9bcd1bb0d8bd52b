"""Waiting-list calculators: how big a list should be, and how much capacity it needs.

The formulas of the R package NHSRwaitinglist (the NHS-R Community's implementation of
Fong et al. 2022, "Understanding waiting list pressures"), with its argument names and
defaults:

* :func:`queue_load`: ``demand / capacity`` (>= 1: the list grows without limit);
* :func:`target_mean_wait`: ``target_wait / factor``;
* :func:`target_queue_size`: ``demand x target_wait / factor`` (Little's law; valid only
  when capacity exceeds demand);
* :func:`relief_capacity`: ``demand + (queue_size - target_queue_size) / time_to_target``,
  the capacity that brings the list to its target size in ``time_to_target``;
* :func:`target_capacity`: ``demand + ((cv_demand^2 + cv_capacity^2) / 2) x (factor /
  target_wait)`` (Kingman's heavy-traffic approximation), the capacity that keeps the
  mean wait at ``target_wait / factor``;
* :func:`waiting_list_pressure`: ``2 x mean_wait / target_wait`` (> 1: under pressure);
* :func:`factor_for`: ``-ln(1 - p)``, the factor that sees a share ``p`` of patients
  within the target when waits are exponential (2.526 for the 92% standard; the
  package's default ``factor = 4`` means 98.2%).

Units are the user's, used consistently: the workbench writes demand and capacity per
week and waits in weeks. Every function takes numbers, NumPy arrays, lists or pandas
Series (a Series in gives a Series out with the same index); missing values (NaN) give
missing results. Negative demand, a zero capacity or target it divides by, and values of
the wrong type raise :class:`~workbench.errors.AnalysisInputError` (or its ``TypeError``
form) naming the function, the argument, the value and what was expected.

Where the workbench differs from the package (the variability inflation of
:func:`relief_capacity`), and why, is in ``docs/waiting_lists.md``.

>>> round(target_queue_size(30, 52), 1), round(relief_capacity(30, 1200, 390, 26), 2)
(390.0, 61.15)
>>> round(factor_for(0.92), 3), round(target_queue_size(100, 18, factor_for(0.92)), 2)
(2.526, 712.67)
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import AnalysisInputError, AnalysisTypeError

__all__ = [
    "DEFAULT_FACTOR",
    "NumericArguments",
    "factor_for",
    "percent_within",
    "queue_load",
    "relief_capacity",
    "share_within",
    "target_capacity",
    "target_mean_wait",
    "target_queue_size",
    "waiting_list_pressure",
]

#: NHSRwaitinglist's default: the mean wait is a quarter of the target (98.2% within it).
DEFAULT_FACTOR = 4.0


# --------------------------------------------------------------------------- inputs


class NumericArguments:
    """The numeric arguments of one call, checked and made into arrays of one shape.

    Remembers the index of the first pandas Series given (every Series given must share
    it), so that :meth:`out` gives a Series back with that index, an array for arrays
    and lists, and a float when every argument was a number. Errors name ``function``,
    the argument, the value and what was expected. Every calculator here, and the queue
    functions built on them, check their arguments with it.

    >>> args = NumericArguments("halve")
    >>> x = args.add("x", pd.Series([2, 5], index=["a", "b"]))
    >>> args.out(x / 2, "half").to_dict(), NumericArguments("halve").out(3.0, "half")
    ({'a': 1.0, 'b': 2.5}, 3.0)
    >>> NumericArguments("halve").add("x", -1)
    Traceback (most recent call last):
    ...
    workbench.errors.AnalysisInputError: halve(): x is -1. Expected: a number >= 0.
    """

    def __init__(self, function: str):
        self.function = function
        self.index: pd.Index | None = None
        self.index_from = ""
        self.any_vector = False
        self.values: dict[str, np.ndarray] = {}

    def add(self, name: str, value: Any, *, minimum: float = 0.0,
            strict: bool = False, expected: str = "") -> np.ndarray:
        """Check ``value`` (numbers >= ``minimum``, or > it when ``strict``) and keep it."""
        array = self.numeric(name, value)
        finite = np.isfinite(array) | np.isnan(array)
        bad = ~finite | ((array <= minimum) if strict else (array < minimum))
        if bad.any():
            first = int(np.flatnonzero(bad.ravel())[0])
            shown = array.ravel()[first]
            where = f" at position {first}" if array.ndim else ""
            sign = ">" if strict else ">="
            raise AnalysisInputError(
                self.function, name, f"is {_show(shown)}{where}",
                expected=expected or f"a number {sign} {_show(minimum)}")
        self.values[name] = array
        return array

    def numeric(self, name: str, value: Any) -> np.ndarray:
        """``value`` as a float array, or an error naming its type.

        Unlike :meth:`add`, the range is not checked and the value is not kept (a Series
        still sets the index of :meth:`out`).
        """
        if isinstance(value, pd.Series):
            if self.index is None:
                self.index, self.index_from = value.index, name
            elif not value.index.equals(self.index):
                raise AnalysisInputError(
                    self.function, name, f"is a Series whose index differs from that of "
                    f"{self.index_from}",
                    expected="Series with the same index (align them first, e.g. with "
                             "DataFrame columns)")
            self.any_vector = True
            raw = value.to_numpy()
        elif isinstance(value, (np.ndarray, list, tuple)):
            self.any_vector = True
            raw = np.asarray(value, dtype=object if isinstance(value, (list, tuple)) else None)
        elif isinstance(value, Real) and not isinstance(value, (bool, np.bool_)):
            return np.asarray(float(value))
        else:
            raise AnalysisTypeError(self.function, name, f"is a {type(value).__name__} "
                                    f"({_short(value)})", expected=_NUMBERS)
        if raw.dtype.kind in "iuf":
            return raw.astype("float64")
        flat = raw.ravel()
        if raw.dtype.kind == "b" or any(isinstance(v, (bool, np.bool_, str, bytes))
                                       or not (v is None or isinstance(v, Real))
                                       for v in flat):
            kinds = sorted({type(v).__name__ for v in flat if not isinstance(v, Real)
                            or isinstance(v, (bool, np.bool_))})
            raise AnalysisTypeError(self.function, name, f"holds values of type "
                                    f"{', '.join(kinds) or raw.dtype.name}", expected=_NUMBERS)
        return np.array([np.nan if v is None else float(v) for v in flat],
                        dtype="float64").reshape(raw.shape)

    def broadcast(self) -> None:
        """Make every argument the same shape, or say which lengths disagree."""
        try:
            shaped = np.broadcast_arrays(*self.values.values())
        except ValueError:
            lengths = ", ".join(f"{k} {v.shape[0] if v.ndim else 'scalar'}"
                                for k, v in self.values.items())
            raise AnalysisInputError(self.function, "arguments", f"have lengths that do "
                                     f"not match ({lengths})",
                                     expected="numbers, or vectors of one length") from None
        self.values = dict(zip(self.values, shaped))

    def out(self, result: np.ndarray, name: str) -> Any:
        """``result`` in the form the arguments came in."""
        if self.index is not None:
            return pd.Series(np.asarray(result, dtype="float64"), index=self.index, name=name)
        if not self.any_vector and np.ndim(result) == 0:
            return float(result)
        return np.asarray(result, dtype="float64")


_NUMBERS = "a number, or a NumPy array, list or pandas Series of numbers"


def _show(x: float) -> str:
    return f"{x:g}" if isinstance(x, float) else repr(x)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# --------------------------------------------------------------------------- calculators


def queue_load(demand, capacity):
    """The load on a list: ``demand / capacity`` (arrivals per patient removed).

    A load of 1 or more means the list grows without limit; below 1 it is the share of
    time the list is not empty. ``demand`` and ``capacity`` in the same unit (patients
    per week).

    >>> round(queue_load(30, 27), 4)
    1.1111
    >>> queue_load([35, 30, 52], [27, 25, 42]).round(4).tolist()
    [1.2963, 1.2, 1.2381]
    """
    args = NumericArguments("queue_load")
    args.add("demand", demand, expected="demand >= 0 patients per week")
    args.add("capacity", capacity, strict=True,
             expected="capacity > 0 patients per week (the load divides by it)")
    args.broadcast()
    v = args.values
    return args.out(v["demand"] / v["capacity"], "queue_load")


def target_mean_wait(target_wait, factor=DEFAULT_FACTOR):
    """The mean wait that meets ``target_wait``: ``target_wait / factor``.

    With exponential waits, a mean of ``target_wait / factor`` sees a share
    ``1 - exp(-factor)`` within the target: 98.2% for the package's default ``factor =
    4``; use :func:`factor_for` for a standard (``factor_for(0.92)`` for 92%).

    >>> target_mean_wait(52), round(target_mean_wait(18, factor_for(0.92)), 3)
    (13.0, 7.127)
    """
    args = NumericArguments("target_mean_wait")
    args.add("target_wait", target_wait, strict=True, expected="a target wait > 0 (weeks)")
    args.add("factor", factor, strict=True,
             expected="a factor > 0 (4 for 98% within the target; factor_for(0.92) for 92%)")
    args.broadcast()
    v = args.values
    return args.out(v["target_wait"] / v["factor"], "target_mean_wait")


def target_queue_size(demand, target_wait, factor=DEFAULT_FACTOR):
    """The list size that meets ``target_wait``: ``demand x target_wait / factor``.

    Little's law (list size = arrival rate x mean wait) at the target mean wait of
    :func:`target_mean_wait`. **Valid only when capacity exceeds demand**: a list whose
    load is 1 or more has no steady size, and no size meets the target for long.

    >>> target_queue_size(30, 52), target_queue_size(30, 50, 6)
    (390.0, 250.0)
    """
    args = NumericArguments("target_queue_size")
    args.add("demand", demand, expected="demand >= 0 patients per week")
    args.add("target_wait", target_wait, strict=True, expected="a target wait > 0 (weeks)")
    args.add("factor", factor, strict=True,
             expected="a factor > 0 (4 for 98% within the target; factor_for(0.92) for 92%)")
    args.broadcast()
    v = args.values
    return args.out(v["demand"] * v["target_wait"] / v["factor"], "target_queue_size")


def relief_capacity(demand, queue_size, target_queue_size, time_to_target=26,
                    num_referrals=0, cv_demand=0):
    """The capacity that brings the list to ``target_queue_size`` in ``time_to_target``.

    ``demand + (queue_size - target_queue_size) / time_to_target``: demand, plus the
    excess cleared evenly over the period (below demand when the list is under its
    target: the capacity that lets it grow to the target). NHSRwaitinglist asks for
    relief capacity when the list is over twice its target size.

    Given ``num_referrals`` (> 0: how many referrals the demand was counted from) and
    ``cv_demand`` (the coefficient of variation of the time between referrals), demand is
    first raised to its upper two-standard-error bound, ``demand / (1 - 2 cv_demand /
    sqrt(num_referrals))``. This differs from NHSRwaitinglist, whose ratio is ``2 x demand
    x cv_demand / sqrt(num_referrals)`` (it changes with the unit of time) and whose
    inflation switches off silently when the ratio reaches 1; here a ratio of 1 or more
    (too few referrals to bound the demand) is an error. See ``docs/waiting_lists.md``.

    >>> round(relief_capacity(30, 1200, 390, 26), 2)
    61.15
    >>> relief_capacity([30, 33, 35], [1200, 800, 250], [390, 200, 100], [26, 30, 15]).round(2).tolist()
    [61.15, 53.0, 45.0]
    >>> round(relief_capacity(30, 1200, 390, 26, num_referrals=780, cv_demand=1), 2)
    63.47
    """
    args = NumericArguments("relief_capacity")
    args.add("demand", demand, expected="demand >= 0 patients per week")
    args.add("queue_size", queue_size, expected="a list size >= 0 patients")
    args.add("target_queue_size", target_queue_size, expected="a target list size >= 0")
    args.add("time_to_target", time_to_target, strict=True,
             expected="a time to target > 0 (weeks, in the unit of demand)")
    args.add("num_referrals", num_referrals,
             expected="a number of referrals >= 0 (0: demand taken as known)")
    args.add("cv_demand", cv_demand, expected="a coefficient of variation >= 0")
    args.broadcast()
    v = args.values
    d = _inflated_demand(v["demand"], v["num_referrals"], v["cv_demand"])
    return args.out(d + (v["queue_size"] - v["target_queue_size"]) / v["time_to_target"],
                    "relief_capacity")


def _inflated_demand(demand: np.ndarray, n: np.ndarray, cv: np.ndarray) -> np.ndarray:
    """Demand at its upper two-standard-error bound when it was counted from ``n``
    referrals (``n > 0``); as given otherwise.
    """
    counted = n > 0
    if not counted.any():
        return demand
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(counted, 2 * cv / np.sqrt(np.where(counted, n, 1.0)), 0.0)
    unbounded = counted & (ratio >= 1)
    if unbounded.any():
        i = int(np.flatnonzero(unbounded.ravel())[0])
        nv, cvv = n.ravel()[i], cv.ravel()[i]
        where = f" at position {i}" if n.ndim else ""
        raise AnalysisInputError(
            "relief_capacity", "num_referrals",
            f"is {_show(nv)}{where}, too few for cv_demand {_show(cvv)}: the upper bound "
            f"of demand, demand / (1 - 2 x {_show(cvv)} / sqrt({_show(nv)})), is unbounded",
            expected=f"more than (2 x cv_demand)^2 = {_show((2 * cvv) ** 2)} referrals, or "
                     "num_referrals=0 to take demand as known")
    return demand / (1 - ratio)


def target_capacity(demand, target_wait, factor=DEFAULT_FACTOR, cv_demand=1, cv_capacity=1):
    """The capacity that keeps the mean wait at ``target_wait / factor``.

    ``demand + ((cv_demand^2 + cv_capacity^2) / 2) x (factor / target_wait)``: Kingman's
    heavy-traffic approximation of the mean wait, ``((cv_a^2 + cv_s^2) / 2) / (capacity -
    demand)``, solved for capacity. ``cv_demand`` and ``cv_capacity`` are the coefficients
    of variation of the times between referrals and between removals; 1 and 1 (the
    default: random referrals and removals) make it exact for the M/M/1 queue.

    >>> round(target_capacity(30, 52), 4), round(target_capacity(30, 52, 3, 1.1, 1.2), 6)
    (30.0769, 30.076442)
    """
    args = NumericArguments("target_capacity")
    args.add("demand", demand, expected="demand >= 0 patients per week")
    args.add("target_wait", target_wait, strict=True, expected="a target wait > 0 (weeks)")
    args.add("factor", factor, strict=True,
             expected="a factor > 0 (4 for 98% within the target; factor_for(0.92) for 92%)")
    args.add("cv_demand", cv_demand, expected="a coefficient of variation >= 0")
    args.add("cv_capacity", cv_capacity, expected="a coefficient of variation >= 0")
    args.broadcast()
    v = args.values
    extra = ((v["cv_demand"] ** 2 + v["cv_capacity"] ** 2) / 2) * (v["factor"] / v["target_wait"])
    return args.out(v["demand"] + extra, "target_capacity")


def waiting_list_pressure(mean_wait, target_wait):
    """The pressure on a list: ``2 x mean_wait / target_wait`` (> 1: likely to miss it).

    ``mean_wait`` and ``target_wait`` in the same unit (weeks). Lists of different sizes
    and targets can be compared by their pressure.

    >>> round(waiting_list_pressure(63, 52), 4), waiting_list_pressure(24, 4)
    (2.4231, 12.0)
    """
    args = NumericArguments("waiting_list_pressure")
    args.add("mean_wait", mean_wait, expected="a mean wait >= 0 (weeks, the unit of target_wait)")
    args.add("target_wait", target_wait, strict=True, expected="a target wait > 0 (weeks)")
    args.broadcast()
    v = args.values
    return args.out(2 * v["mean_wait"] / v["target_wait"], "waiting_list_pressure")


def factor_for(percentile):
    """The factor that sees a share ``percentile`` within the target: ``-ln(1 - p)``.

    With exponential waits of mean ``target / factor``, the share waiting less than the
    target is ``1 - exp(-factor)``. The 18-week standard's 92% gives 2.526, so the mean
    wait must be at most 18 / 2.526 = 7.1 weeks; NHSRwaitinglist's default 4 gives 98.2%.

    >>> round(factor_for(0.92), 6), round(factor_for(0.95), 4)
    (2.525729, 2.9957)
    >>> factor_for(92)
    Traceback (most recent call last):
    ...
    workbench.errors.AnalysisInputError: factor_for(): percentile is 92. Expected: a share strictly between 0 and 1 (0.92 for 92%).
    """
    args = NumericArguments("factor_for")
    p = args.numeric("percentile", percentile)
    bad = ~np.isnan(p) & ~((p > 0) & (p < 1))
    if bad.any():
        i = int(np.flatnonzero(bad.ravel())[0])
        where = f" at position {i}" if p.ndim else ""
        raise AnalysisInputError("factor_for", "percentile", f"is {_show(p.ravel()[i])}{where}",
                                 expected="a share strictly between 0 and 1 (0.92 for 92%)")
    return args.out(-np.log1p(-p), "factor")


def share_within(factor):
    """The share of patients within the target at a given factor: ``1 - exp(-factor)``
    (the inverse of :func:`factor_for`).

    >>> round(share_within(4), 4), round(share_within(factor_for(0.92)), 2)
    (0.9817, 0.92)
    """
    args = NumericArguments("share_within")
    f = args.add("factor", factor, strict=True, expected="a factor > 0")
    return args.out(-np.expm1(-f), "share_within")


def percent_within(factor: float) -> str:
    """``factor`` as the share of patients within the target, for sentences.

    One decimal unless the share is whole (the inverse of :func:`factor_for`, as text).

    >>> percent_within(4), percent_within(factor_for(0.92)), percent_within(factor_for(0.5))
    ('98.2%', '92%', '50%')
    """
    share = 100 * (1 - math.exp(-float(factor)))
    return f"{share:.1f}%" if round(share, 1) != round(share) else f"{share:.0f}%"
