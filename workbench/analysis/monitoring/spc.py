"""Statistical process control: XmR charts with the NHS "Making Data Count" rules.

:func:`spc` reproduces the calculations of the R package NHSRplotthedots (and, with
``screen_outliers=False``, of the NHS England "Making Data Count" Excel tool):

* the centre line is the mean of each group of points; the moving range is
  ``MR_t = |y_t - y_(t-1)|``; the process limits are ``mean +/- 2.66 x mean(MR)``;
* "near" a limit means beyond two thirds of the way from the mean to it
  (``mean +/- (2/3) x 2.66 x mean(MR)``) but not beyond the limit itself;
* by default, moving ranges ``>= 3.267 x mean(MR)`` are dropped once and ``mean(MR)``
  recomputed (outlier screening);
* four rules mark special-cause variation, applied with this precedence when a point
  meets several: a point outside the limits; a trend of 7 points (6 strictly rising or
  falling steps, which may cross the mean); two of three consecutive points near or
  beyond the same limit, all three on the same side of the mean (only the near-or-beyond
  points are marked); a shift of 7 consecutive points on the same side of the mean (a
  point exactly on the mean breaks it);
* each point gets a ``point_type`` and each facet a ``variation`` (from its last point)
  and, given a ``target``, an ``assurance`` (from the last group's limits).

Every difference from NHSRplotthedots is listed in ``docs/spc_funnel.md``. The input
checks, limits, rules and summaries are the steps of one calculation, checked together
against NHSRplotthedots.

Example
-------
>>> import pandas as pd
>>> df = pd.DataFrame({"month": pd.date_range("2023-01-01", periods=14, freq="MS"),
...                    "waits": [10, 11, 10, 12, 11, 10, 11, 12, 10, 11, 12, 11, 10, 20]})
>>> res = spc(df, "waits", "month", improvement_direction="decrease")
>>> res.table["point_type"].iloc[-1]
'special_cause_concern'
>>> res.summary.loc[0, "variation"]
'concern_high'
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import AnalysisInputError

#: Multiple of the mean moving range that gives the process limits (3 sigma for XmR).
LIMIT_MULTIPLIER = 2.66
#: Fraction of the way from the mean to a limit beyond which a point is "near" it.
NEAR_FRACTION = 2 / 3
#: Moving ranges at or above this multiple of the mean moving range are screened out.
SCREEN_MULTIPLIER = 3.267
#: Length of a shift (run on one side of the mean) and of a trend.
RUN_LENGTH = 7
#: Groups with fewer points than this have trial limits.
TRIAL_LIMIT_POINTS = 12

DIRECTIONS = ("increase", "decrease", "neutral")
RULES = ("outside_limits", "trend", "two_in_three", "shift")
POINT_TYPES = (
    "common_cause",
    "special_cause_improvement",
    "special_cause_concern",
    "special_cause_neutral_high",
    "special_cause_neutral_low",
)
VARIATIONS = (
    "common_cause",
    "improvement_high",
    "improvement_low",
    "concern_high",
    "concern_low",
    "neutral_high",
    "neutral_low",
)
ASSURANCES = ("consistent_pass", "consistent_fail", "inconsistent")

#: Facet label used when no facet column is given.
NO_FACET = "all"


class TrialLimitsWarning(UserWarning):
    """Some groups have fewer than 12 points, so their limits are trial limits."""


@dataclass
class SPCResult:
    """The result of :func:`spc`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per point: ``date, value, facet, rebase_group, mean, lpl, upl,
        near_lpl, near_upl, relative_to_mean, point_type, rule`` and, after those,
        ``outside_limits``, ``near_or_beyond`` (beyond the 2/3 line, including outside),
        ``trial_limits`` and ``target``.
    summary : pandas.DataFrame
        One row per facet: the last group's ``mean, lpl, upl``, ``variation``,
        ``assurance``, counts of special-cause points and ``limits_cut`` (a limit of the
        last point was cut at the possible range: ``bounds`` of :func:`spc`; always
        ``False`` without bounds).
    options : dict
        The arguments the result was computed with (for a manifest).
    """

    table: pd.DataFrame
    summary: pd.DataFrame
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def facets(self) -> list:
        """Facet labels in the order they appear in :attr:`table`."""
        return list(pd.unique(self.table["facet"]))

    def _repr_html_(self) -> str:  # pragma: no cover - presentation
        return self.summary.to_html(index=False)


def spc(
    data: pd.DataFrame,
    value: str,
    date: str,
    *,
    facet: str | None = None,
    improvement_direction: str = "increase",
    target: float | Mapping[Any, float] | None = None,
    rebase: Iterable | Mapping[Any, Iterable] | None = None,
    fix_after_n_points: int | None = None,
    screen_outliers: bool = True,
    bounds: tuple[float | None, float | None] | None = None,
) -> SPCResult:
    """XmR chart calculations with the Making Data Count rules, per facet.

    Parameters
    ----------
    data : DataFrame
        Tidy data, one row per point (per facet).
    value, date : str
        Column names of the measured value (numeric, no missing values) and of the
        date of each point (dates or strings pandas can parse; no missing dates, no
        date twice within a facet).
    facet : str, optional
        Column whose values each get their own chart (e.g. ``"provider_code"``).
    improvement_direction : {"increase", "decrease", "neutral"}
        Which way is better. A :class:`~workbench.data.measures.Measure`'s
        ``direction`` can be passed as is.
    target : float or dict, optional
        One target for every facet, or ``{facet: target}``. Needed for ``assurance``.
    rebase : list of dates or dict, optional
        Dates that start a new group with its own mean and limits; one list for every
        facet, or ``{facet: [dates]}``. Each date must be a date present in the data.
    fix_after_n_points : int, optional
        Compute each group's mean and limits from its first ``n`` points only, and
        extend them to the rest of the group.
    screen_outliers : bool, default True
        Drop moving ranges ``>= 3.267 x mean(MR)`` once before computing the limits.
        ``False`` reproduces the Making Data Count Excel tool.
    bounds : (low, high), optional
        The possible range of the value (e.g. ``(0, 100)`` for a percentage; either end
        ``None`` for no bound). Limits and near lines beyond it are cut at the bound
        (the rules do not change: no value can lie beyond the possible range), and the
        summary's ``limits_cut`` says when a limit of the last point was cut.

    Returns
    -------
    SPCResult
        ``.table`` (one row per point) and ``.summary`` (one row per facet).

    Warns
    -----
    TrialLimitsWarning
        When a group (facet x rebase group) has fewer than 12 points.

    Example
    -------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"d": pd.date_range("2024-01-01", periods=12, freq="MS"),
    ...                    "y": [5, 6, 5, 6, 5, 6, 5, 6, 5, 6, 5, 6]})
    >>> r = spc(df, "y", "d")
    >>> round(float(r.summary.loc[0, "upl"]), 2), r.summary.loc[0, "variation"]
    (8.16, 'common_cause')
    """
    if improvement_direction not in DIRECTIONS:
        raise AnalysisInputError(
            "spc", "improvement_direction", f"is {improvement_direction!r}",
            expected="one of 'increase', 'decrease', 'neutral'",
        )
    if fix_after_n_points is not None and (
            isinstance(fix_after_n_points, bool)
            or not isinstance(fix_after_n_points, (int, np.integer)) or fix_after_n_points < 2):
        raise AnalysisInputError(
            "spc", "fix_after_n_points", f"is {fix_after_n_points!r}",
            expected="an integer of at least 2 (limits need two points)",
        )
    low, high = _bounds(bounds)
    frame = _tidy_input(data, value, date, facet)
    frame["rebase_group"] = rebase_groups(frame, rebase, facet)
    targets = _targets_by_facet(frame, target, facet)
    frame["target"] = frame["facet"].map(targets).astype("float64")

    parts = []
    for _, grp in frame.groupby(["_facet_order", "rebase_group"], sort=True):
        parts.append(_one_group(grp, fix_after_n_points, screen_outliers, improvement_direction))
    table = pd.concat(parts, ignore_index=True)

    short = table.loc[table["trial_limits"]].groupby(["facet", "rebase_group"], sort=False).size()
    if len(short):
        where = "; ".join(f"facet {f!r} group {g} ({n} points)" for (f, g), n in short.items())
        warnings.warn(
            f"Some groups have fewer than {TRIAL_LIMIT_POINTS} points, so their limits are "
            f"trial limits that will move as points are added: {where}.",
            TrialLimitsWarning, stacklevel=2,
        )

    columns = ["date", "value", "facet", "rebase_group", "mean", "lpl", "upl", "near_lpl",
               "near_upl", "relative_to_mean", "point_type", "rule", "outside_limits",
               "near_or_beyond", "trial_limits", "target"]
    table = table[columns]
    cut = np.zeros(len(table), dtype=bool)
    for col in ("lpl", "upl", "near_lpl", "near_upl"):
        clipped = table[col].clip(lower=low, upper=high)
        if col in ("lpl", "upl"):
            cut |= (clipped != table[col]).to_numpy()
        table[col] = clipped
    summary = _summarise(table, improvement_direction)
    last_cut = pd.Series(cut, index=table.index).groupby(table["facet"], sort=False).last()
    summary["limits_cut"] = summary["facet"].map(last_cut).astype(bool)
    options = {
        "value": value, "date": date, "facet": facet,
        "improvement_direction": improvement_direction,
        "target": dict(target) if isinstance(target, Mapping) else target,
        "rebase": plain_rebase(rebase),
        "fix_after_n_points": fix_after_n_points, "screen_outliers": bool(screen_outliers),
        "bounds": None if bounds is None else [low, high],
    }
    return SPCResult(table=table, summary=summary, options=options)


def _bounds(bounds) -> tuple[float | None, float | None]:
    """``(low, high)`` of the possible range, checked (either may be ``None``)."""
    if bounds is None:
        return None, None
    try:
        low, high = bounds
        low = None if low is None else float(low)
        high = None if high is None else float(high)
    except (TypeError, ValueError):
        raise AnalysisInputError("spc", "bounds", f"is {bounds!r}",
                                 expected="(low, high), e.g. (0, 100); None for no bound") from None
    if low is not None and high is not None and not low < high:
        raise AnalysisInputError("spc", "bounds", f"is {bounds!r}",
                                 expected="low below high")
    return low, high


# --------------------------------------------------------------------------- input checks


def _tidy_input(data: pd.DataFrame, value: str, date: str, facet: str | None) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise AnalysisInputError("spc", "data", f"is a {type(data).__name__}",
                                 expected="a pandas DataFrame")
    for param, col in (("value", value), ("date", date), ("facet", facet)):
        if col is not None and col not in data.columns:
            raise AnalysisInputError(
                "spc", param, f"names column {col!r}, which is not in the data",
                expected=f"one of {list(map(str, data.columns))}",
            )
    if len(data) == 0:
        raise AnalysisInputError("spc", "data", "has no rows", expected="at least 2 points")

    y = pd.to_numeric(data[value], errors="coerce").astype("float64")
    bad_type = y.isna() & data[value].notna()
    if bad_type.any():
        rows = list(data.index[bad_type][:10])
        raise AnalysisInputError("spc", "value", f"column {value!r} has non-numeric values "
                                 f"at rows {rows}", expected="numbers")
    missing = y.isna() | ~np.isfinite(y)
    if missing.any():
        rows = list(data.index[missing][:10])
        raise AnalysisInputError(
            "spc", "value",
            f"column {value!r} has {int(missing.sum())} missing or infinite value(s) at rows "
            f"{rows}", expected="a value for every point: drop or fill those rows first "
            "(a gap changes the moving ranges, so spc() will not guess)",
        )
    try:
        x = pd.to_datetime(data[date])
    except (ValueError, TypeError) as exc:
        raise AnalysisInputError("spc", "date", f"column {date!r} cannot be read as dates "
                                 f"({exc})", expected="dates or ISO date strings") from None
    if x.isna().any():
        rows = list(data.index[x.isna()][:10])
        raise AnalysisInputError("spc", "date", f"column {date!r} has {int(x.isna().sum())} "
                                 f"missing date(s) at rows {rows}", expected="a date for every point")

    frame = pd.DataFrame({
        "date": x.to_numpy(),
        "value": y.to_numpy(),
        "facet": data[facet].to_numpy() if facet is not None else NO_FACET,
    })
    if facet is not None and frame["facet"].isna().any():
        rows = list(data.index[frame["facet"].isna().to_numpy()][:10])
        raise AnalysisInputError("spc", "facet", f"column {facet!r} is missing at rows {rows}",
                                 expected="a facet label for every point")
    dup = frame.duplicated(["facet", "date"], keep=False)
    if dup.any():
        ex = frame.loc[dup, ["facet", "date"]].drop_duplicates().head(5)
        pairs = ", ".join(f"{f!r} {d:%Y-%m-%d}" for f, d in ex.itertuples(index=False))
        where = "within a facet" if facet is not None else ""
        raise AnalysisInputError(
            "spc", "date", f"column {date!r} repeats dates {where} ({pairs})".replace("  ", " "),
            expected="one point per date" + (f" per {facet!r}" if facet else "")
            + "; aggregate first",
        )
    # keep facets in order of first appearance; points in date order
    order = {f: i for i, f in enumerate(pd.unique(frame["facet"]))}
    frame["_facet_order"] = frame["facet"].map(order)
    frame = frame.sort_values(["_facet_order", "date"], kind="stable").reset_index(drop=True)
    return frame


def _as_dates(values: Iterable, what: str, function: str = "spc") -> pd.DatetimeIndex:
    if isinstance(values, (str, pd.Timestamp)) or not isinstance(values, Iterable):
        values = [values]
    try:
        out = pd.DatetimeIndex(pd.to_datetime(list(values)))
    except (ValueError, TypeError) as exc:
        raise AnalysisInputError(function, "rebase", f"{what} cannot be read as dates ({exc})",
                                 expected="a list of dates") from None
    if out.isna().any():
        raise AnalysisInputError(function, "rebase", f"{what} contains a missing date",
                                 expected="a list of dates")
    return out


def rebase_groups(frame: pd.DataFrame, rebase, facet: str | None, *,
                  function: str = "spc") -> np.ndarray:
    """The rebase group of each point: 0 before a facet's first rebase date, then 1, 2...

    ``frame`` holds the points in date order within each facet, with columns ``date``,
    ``facet`` and ``_facet_order`` (the facet's position). ``rebase`` is None (one group),
    a list of dates (for every facet) or ``{facet: dates}`` (``facet`` names the facet
    column then). Every date must be the date of a point of its facet; a bad date, or a
    dict without a facet column, is an :class:`~workbench.errors.AnalysisInputError` of
    ``function`` (the chart the user called: ``spc``, ``laney_p``, ...).

    >>> frame = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=4, freq="MS"),
    ...                       "facet": "all", "_facet_order": 0})
    >>> rebase_groups(frame, ["2024-03-01"], None).tolist()
    [0, 0, 1, 1]
    >>> rebase_groups(frame, ["2024-03-15"], None, function="laney_p")
    Traceback (most recent call last):
    ...
    workbench.errors.AnalysisInputError: laney_p(): rebase date(s) ['2024-03-15'] match no point. Expected: dates that are in the date column.
    """
    starts = np.zeros(len(frame), dtype=bool)
    if rebase is None:
        return np.zeros(len(frame), dtype=int)
    facets = set(frame["facet"])
    if isinstance(rebase, Mapping):
        if facet is None:
            raise AnalysisInputError(function, "rebase", "is a dict of facets but no facet "
                                     "column was given", expected="a list of dates, or give facet=")
        for key, dates in rebase.items():
            if key not in facets:
                raise AnalysisInputError(function, "rebase", f"names facet {key!r}, which is "
                                         f"not in column {facet!r}",
                                         expected=f"facets among {sorted(map(str, facets))[:10]}")
            want = _as_dates(dates, f"the dates for facet {key!r}", function)
            mine = frame["facet"] == key
            absent = want.difference(pd.DatetimeIndex(frame.loc[mine, "date"]))
            if len(absent):
                raise AnalysisInputError(
                    function, "rebase", f"date(s) {[f'{d:%Y-%m-%d}' for d in absent]} for "
                    f"facet {key!r} match no point", expected="dates that are in the date column",
                )
            starts |= (mine & frame["date"].isin(want)).to_numpy()
    else:
        want = _as_dates(rebase, "the rebase dates", function)
        absent = want.difference(pd.DatetimeIndex(frame["date"]))
        if len(absent):
            raise AnalysisInputError(
                function, "rebase", f"date(s) {[f'{d:%Y-%m-%d}' for d in absent]} match no "
                "point", expected="dates that are in the date column",
            )
        starts = frame["date"].isin(want).to_numpy()
    return pd.Series(starts.astype(int)).groupby(frame["_facet_order"]).cumsum().to_numpy()


def _targets_by_facet(frame: pd.DataFrame, target, facet: str | None) -> dict:
    facets = list(pd.unique(frame["facet"]))
    if target is None:
        return {f: np.nan for f in facets}
    if isinstance(target, Mapping):
        unknown = [k for k in target if k not in set(facets)]
        if unknown:
            raise AnalysisInputError("spc", "target", f"names facet(s) {unknown} not in the data",
                                     expected=f"facets among {list(map(str, facets))[:10]}")
        vals = {f: target.get(f, np.nan) for f in facets}
    else:
        vals = {f: target for f in facets}
    for f, t in vals.items():
        try:
            vals[f] = float(t) if t is not None else np.nan
        except (TypeError, ValueError):
            raise AnalysisInputError("spc", "target", f"is {t!r} for facet {f!r}",
                                     expected="a number") from None
    return vals


def plain_rebase(rebase, *, function: str = "spc"):
    """``rebase`` as written into a chart's options: ISO dates, in a list or a
    ``{facet: [dates]}`` dict (None stays None).

    >>> plain_rebase([pd.Timestamp("2024-03-01")])
    ['2024-03-01']
    >>> plain_rebase({"A": "2024-03-01"})
    {'A': ['2024-03-01']}
    """
    if rebase is None:
        return None
    if isinstance(rebase, Mapping):
        return {str(k): [str(pd.Timestamp(d).date()) for d in _as_dates(v, "rebase", function)]
                for k, v in rebase.items()}
    return [str(pd.Timestamp(d).date()) for d in _as_dates(rebase, "rebase", function)]


# --------------------------------------------------------------------------- calculations


def process_limits(y: np.ndarray, *, fix_after_n_points: int | None = None,
                   screen_outliers: bool = True) -> tuple[float, float]:
    """Mean and mean moving range of one group, as used for its limits.

    ``limits = mean +/- 2.66 x mean_mr``. With ``screen_outliers``, moving ranges
    ``>= 3.267 x mean(MR)`` are dropped once before ``mean_mr`` is recomputed.

    >>> process_limits(np.array([1.0, 3.0, 2.0, 4.0]))
    (2.5, 1.6666666666666667)
    """
    y = np.asarray(y, dtype="float64")
    if fix_after_n_points is not None:
        y = y[:fix_after_n_points]
    if len(y) < 2:
        raise AnalysisInputError("spc", "data", f"a group has {len(y)} point(s)",
                                 expected="at least 2 points per group to form a moving range")
    mean = float(np.mean(y))
    mr = np.abs(np.diff(y))
    amr = float(np.mean(mr))
    if screen_outliers and amr > 0:
        # With amr == 0 every moving range is 0 and none is an outlier: keep them all
        # (the strict "<" of the reference tool would screen out every one and give NaN).
        amr = float(np.mean(mr[mr < SCREEN_MULTIPLIER * amr]))
    return mean, amr


def _runs_same_side(rtm: np.ndarray) -> np.ndarray:
    """Points in a run of >= 7 consecutive points on the same (non-zero) side of the mean."""
    flag = np.zeros(len(rtm), dtype=bool)
    start = 0
    for i in range(1, len(rtm) + 1):
        if i == len(rtm) or rtm[i] != rtm[start]:
            if rtm[start] != 0 and i - start >= RUN_LENGTH:
                flag[start:i] = True
            start = i
    return flag


def _trends(y: np.ndarray) -> np.ndarray:
    """Direction (+1/-1) of the 7-point trend each point belongs to, 0 if none.

    A point shared by a rising and a falling trend (a peak or trough) takes the direction
    of the later trend, as NHSRplotthedots does.
    """
    out = np.zeros(len(y), dtype=int)
    steps = np.sign(np.diff(y))
    for end in range(RUN_LENGTH - 1, len(y)):
        window = steps[end - (RUN_LENGTH - 1):end]
        if np.all(window == 1):
            out[end - (RUN_LENGTH - 1):end + 1] = 1
        elif np.all(window == -1):
            out[end - (RUN_LENGTH - 1):end + 1] = -1
    return out


def _two_in_three(near_or_beyond: np.ndarray, rtm: np.ndarray) -> np.ndarray:
    """Near-or-beyond points in a window of 3 with >= 2 of them, all 3 on one side."""
    flag = np.zeros(len(rtm), dtype=bool)
    for s in range(len(rtm) - 2):
        side = rtm[s:s + 3]
        if side[0] != 0 and np.all(side == side[0]) and near_or_beyond[s:s + 3].sum() >= 2:
            flag[s:s + 3] |= near_or_beyond[s:s + 3]
    return flag


def _one_group(grp: pd.DataFrame, fix_after_n_points, screen_outliers, direction) -> pd.DataFrame:
    g = grp.copy()
    y = g["value"].to_numpy()
    mean, amr = process_limits(y, fix_after_n_points=fix_after_n_points,
                               screen_outliers=screen_outliers)
    half = LIMIT_MULTIPLIER * amr
    near = NEAR_FRACTION * LIMIT_MULTIPLIER * amr
    g["mean"], g["lpl"], g["upl"] = mean, mean - half, mean + half
    g["near_lpl"], g["near_upl"] = mean - near, mean + near
    rtm = np.sign(y - mean).astype(int)
    outside = (y > mean + half) | (y < mean - half)
    near_or_beyond = (y > mean + near) | (y < mean - near)
    trend = _trends(y)
    two3 = _two_in_three(near_or_beyond, rtm)
    shift = _runs_same_side(rtm)

    # precedence: outside limits > trend > two in three > shift
    rule = np.full(len(y), None, dtype=object)
    side = np.zeros(len(y), dtype=int)
    for mask, name, sgn in ((shift, "shift", rtm), (two3, "two_in_three", rtm),
                            (trend != 0, "trend", trend), (outside, "outside_limits", rtm)):
        rule[mask] = name
        side[mask] = sgn[mask]
    g["relative_to_mean"] = rtm
    g["rule"] = pd.array(rule, dtype="string")
    g["point_type"] = _point_types(side, direction)
    g["outside_limits"] = outside
    g["near_or_beyond"] = near_or_beyond
    g["trial_limits"] = len(g) < TRIAL_LIMIT_POINTS
    return g


def _point_types(side: np.ndarray, direction: str) -> np.ndarray:
    out = np.full(len(side), "common_cause", dtype=object)
    if direction == "neutral":
        out[side > 0] = "special_cause_neutral_high"
        out[side < 0] = "special_cause_neutral_low"
    else:
        good = 1 if direction == "increase" else -1
        out[side == good] = "special_cause_improvement"
        out[side == -good] = "special_cause_concern"
    return out


def variation_of(point_type: str, improvement_direction: str) -> str:
    """The Making Data Count variation icon for the last point's ``point_type``.

    >>> variation_of("special_cause_concern", "increase")
    'concern_low'
    >>> variation_of("special_cause_improvement", "decrease")
    'improvement_low'
    """
    up = improvement_direction == "increase"
    return {
        "common_cause": "common_cause",
        "special_cause_neutral_high": "neutral_high",
        "special_cause_neutral_low": "neutral_low",
        "special_cause_improvement": "improvement_high" if up else "improvement_low",
        "special_cause_concern": "concern_low" if up else "concern_high",
    }[point_type]


def assurance_of(target: float, lpl: float, upl: float, improvement_direction: str) -> str | None:
    """Making Data Count assurance of a target against process limits.

    ``None`` when there is no target or the direction is neutral. A target exactly on
    a limit gives ``inconsistent``.

    >>> assurance_of(90, 70, 85, "increase")
    'consistent_fail'
    >>> assurance_of(60, 70, 85, "increase")
    'consistent_pass'
    >>> assurance_of(80, 70, 85, "decrease")
    'inconsistent'
    """
    if target is None or pd.isna(target) or improvement_direction == "neutral":
        return None
    up = improvement_direction == "increase"
    if target > upl:
        return "consistent_fail" if up else "consistent_pass"
    if target < lpl:
        return "consistent_pass" if up else "consistent_fail"
    return "inconsistent"


def _summarise(table: pd.DataFrame, direction: str) -> pd.DataFrame:
    rows = []
    for f, t in table.groupby("facet", sort=False):
        last = t.iloc[-1]
        last_group = t[t["rebase_group"] == last["rebase_group"]]
        rows.append({
            "facet": f,
            "n_points": len(t),
            "first_date": t["date"].iloc[0],
            "last_date": last["date"],
            "last_value": last["value"],
            "rebase_group": int(last["rebase_group"]),
            "n_in_group": len(last_group),
            "mean": last["mean"],
            "lpl": last["lpl"],
            "upl": last["upl"],
            "trial_limits": bool(last["trial_limits"]),
            "point_type": last["point_type"],
            "variation": variation_of(last["point_type"], direction),
            "target": last["target"],
            "assurance": assurance_of(last["target"], last["lpl"], last["upl"], direction),
            "n_improvement": int((t["point_type"] == "special_cause_improvement").sum()),
            "n_concern": int((t["point_type"] == "special_cause_concern").sum()),
            "n_neutral": int(t["point_type"].str.startswith("special_cause_neutral").sum()),
        })
    out = pd.DataFrame(rows)
    out["assurance"] = out["assurance"].astype("string")
    return out
