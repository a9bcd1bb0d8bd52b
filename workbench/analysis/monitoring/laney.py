"""The right SPC chart for proportions and rates: Laney p' and u' charts, run charts, screening.

An XmR chart (:func:`workbench.analysis.spc.spc`) treats every point alike. A proportion
(FFT % positive, A&E % within 4 hours) or a rate (complaints per 1,000 episodes) from a
provider whose denominator changes month to month is not alike: a month with few
responses varies more. This module gives the charts for that case, beside the XmR.

p' chart (Laney 2002), for ``x_i`` successes out of ``n_i`` trials::

    p_bar    = sum(x) / sum(n)                      (the centre line)
    sigma_i  = sqrt(p_bar (1 - p_bar) / n_i)        (binomial sd of point i)
    z_i      = (p_i - p_bar) / sigma_i
    sigma_z  = mean(|z_i - z_(i-1)|) / 1.128        (between-month variation beyond binomial)
    limits   = p_bar +/- 3 sigma_i sigma_z

u' chart, for ``c_i`` events over exposure ``n_i``: the same with ``u_bar = sum(c)/sum(n)``
and ``sigma_i = sqrt(u_bar / n_i)``. With ``laney=False`` ``sigma_z`` is 1: the classic
p and u charts, whose limits are too narrow when providers vary more than binomially
(overdispersion), which is the usual case with large denominators.

Special-cause rules are those of Making Data Count (as in :mod:`~workbench.analysis.monitoring.spc`),
applied to the standardised value ``z'_i = (p_i - p_bar) / (sigma_i sigma_z)``: a point
outside the limits (``|z'| > 3``); a trend of 7 points rising or falling (on the values);
two of three points beyond two thirds of the way to a limit, on one side; a shift of 7
points on one side of the centre. The result is an :class:`~workbench.analysis.monitoring.spc.SPCResult`
whose ``table`` has the columns of :func:`~workbench.analysis.spc.spc` plus ``numerator,
denominator, sigma_i, z, z_prime, sigma_z, seasonal_effect``.

Run charts (:func:`run_chart`) use the NHS run-chart rules (NHS Improvement, "Making
Data Count"; Perla, Provost & Murray 2011, *BMJ Qual Saf* 20:46-51): a **shift** is 6 or
more consecutive points on one side of the median (points on the median neither count nor
break it); a **trend** is 5 or more consecutive points each rising (or each falling: equal
neighbours count as one point); **too few or too many runs** compares the number of runs
(sequences on one side of the median) with the 5% limits of the Swed & Eisenhart (1943)
distribution of the number of runs, which :func:`runs_limits` computes exactly for the
numbers of points above and below the median (the table Perla et al. reproduce is this
distribution tabulated for equal halves).

Seasonal adjustment (``seasonal_baseline=``, and :func:`seasonal_adjust` for an XmR
chart): month-of-year effects are estimated from the baseline period only (each
calendar month's mean minus the baseline mean; pooled ``sum(x)/sum(n)`` for proportions
and rates) and subtracted from every point, so that winter alone is not a signal and a
change after the baseline is not absorbed into the seasonal effects.

Screening (:func:`screen`): with many charts at once some signal by chance. The
expected number of charts with a false signal is the sum over charts of the per-chart
false-alarm rate of the rules at that chart's length and the charts' month-to-month
persistence, estimated by simulating in-control series (AR(1) normal points charted with
limits from their own moving range, as the charts do) with a fixed seed. Each chart's
p-value for a change beyond chance comes from
:func:`~workbench.analysis.monitoring.screening.screen_series`: a model of the chart with
its season and AR(1) errors, screened for a single unusual month, a sustained shift
(standardised CUSUM) and a gradual drift, calibrated by a parametric bootstrap and
combined by min-p; the p-values are adjusted across charts by Benjamini-Hochberg.

Example
-------
>>> import pandas as pd
>>> df = pd.DataFrame({"month": pd.date_range("2024-01-01", periods=12, freq="MS"),
...                    "pos": [90, 180, 95, 170, 88, 182, 92, 176, 91, 178, 93, 300],
...                    "resp": [100, 200, 100, 200, 100, 200, 100, 200, 100, 200, 100, 400]})
>>> res = laney_p(df, "pos", "resp", "month")
>>> round(float(res.table["mean"].iloc[0]), 2)   # 1735 / 2000 x 100
86.75
>>> res.table["point_type"].iloc[-1]
'special_cause_concern'
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbench.analysis.findings import formatting
from workbench.analysis.monitoring import screening as SCR
from workbench.analysis.monitoring.spc import (
    DIRECTIONS,
    NEAR_FRACTION,
    NO_FACET,
    RUN_LENGTH,
    SPCResult,
    assurance_of,
    plain_rebase,
    rebase_groups,
    variation_of,
)
from workbench.errors import AnalysisInputError

#: d2 constant for moving ranges of two: E|X_t - X_(t-1)| = 1.128 sigma.
D2 = 1.128
#: NHS run-chart rules: a shift is this many points or more on one side of the median...
RUN_CHART_SHIFT = 6
#: ... and a trend this many points or more rising or falling.
RUN_CHART_TREND = 5
#: Two-sided level of the too-few / too-many runs test (Swed & Eisenhart table, 5%).
RUNS_ALPHA = 0.05
#: Seed of the in-control simulation behind :func:`false_alarm_rate`.
SIMULATION_SEED = 20020101

__all__ = [
    "RunChartResult",
    "ScreeningResult",
    "false_alarm_rate",
    "laney_p",
    "laney_u",
    "run_chart",
    "runs_limits",
    "screen",
    "screening_sentence",
    "seasonal_adjust",
]


# =========================================================================== inputs


def _frame(fn: str, data, date: str, facet: str | None, columns: dict[str, str]) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise AnalysisInputError(fn, "data", f"is a {type(data).__name__}",
                                 expected="a pandas DataFrame")
    for param, col in {**columns, "date": date, "facet": facet}.items():
        if col is not None and col not in data.columns:
            raise AnalysisInputError(fn, param, f"names column {col!r}, which is not in the data",
                                     expected=f"one of {list(map(str, data.columns))}")
    if len(data) < 2:
        raise AnalysisInputError(fn, "data", f"has {len(data)} row(s)", expected="at least 2 points")
    out = pd.DataFrame(index=data.index)
    for param, col in columns.items():
        v = pd.to_numeric(data[col], errors="coerce").astype("float64")
        bad = v.isna() | ~np.isfinite(v)
        if bad.any():
            raise AnalysisInputError(fn, param, f"column {col!r} has {int(bad.sum())} missing or "
                                     f"non-numeric value(s) at rows {list(data.index[bad][:10])}",
                                     expected="a number for every point (drop those rows first)")
        out[param] = v
    try:
        out["date"] = pd.to_datetime(data[date])
    except (ValueError, TypeError) as exc:
        raise AnalysisInputError(fn, "date", f"column {date!r} cannot be read as dates ({exc})",
                                 expected="dates or ISO date strings") from None
    if out["date"].isna().any():
        raise AnalysisInputError(fn, "date", f"column {date!r} has missing dates",
                                 expected="a date for every point")
    out["facet"] = data[facet].to_numpy() if facet is not None else NO_FACET
    dup = out.duplicated(["facet", "date"])
    if dup.any():
        raise AnalysisInputError(fn, "date", f"column {date!r} repeats a date"
                                 + (f" within a {facet!r}" if facet else ""),
                                 expected="one point per date; aggregate first")
    order = {f: i for i, f in enumerate(pd.unique(out["facet"]))}
    out["_order"] = out["facet"].map(order)
    return out.sort_values(["_order", "date"], kind="stable").reset_index(drop=True)


def _baseline_mask(fn: str, dates: pd.Series, seasonal_baseline) -> np.ndarray:
    if seasonal_baseline is True:
        return np.ones(len(dates), dtype=bool)
    try:
        end = pd.Timestamp(seasonal_baseline)
    except (ValueError, TypeError):
        raise AnalysisInputError(fn, "seasonal_baseline", f"is {seasonal_baseline!r}",
                                 expected="True (all points) or the last date of the baseline "
                                 "period") from None
    return (dates <= end).to_numpy()


def _month_effects(fn: str, months: np.ndarray, num: np.ndarray, den: np.ndarray | None,
                   where: str) -> dict[int, float]:
    """Calendar-month effect = month's (pooled) mean minus the baseline's (pooled) mean."""
    counts = pd.Series(months).value_counts()
    short = sorted(set(range(1, 13)) - {m for m, c in counts.items() if c >= 2})
    if short:
        raise AnalysisInputError(
            fn, "seasonal_baseline", f"leaves calendar month(s) {short} with fewer than two "
            f"baseline points{where}", expected="a baseline of at least two full years, so "
            "each month's effect is not just that one month's noise")
    if den is None:
        overall = float(np.mean(num))
        return {int(m): float(np.mean(num[months == m])) - overall for m in range(1, 13)}
    overall = float(num.sum() / den.sum())
    return {int(m): float(num[months == m].sum() / den[months == m].sum()) - overall
            for m in range(1, 13)}


def seasonal_adjust(data: pd.DataFrame, value: str, date: str, *, baseline_end=True,
                    facet: str | None = None, out: str | None = None) -> pd.DataFrame:
    """A copy of ``data`` with month-of-year effects of the baseline removed from ``value``.

    Each facet's effect of calendar month ``m`` is the mean of its baseline points in
    month ``m`` minus the mean of all its baseline points; it is subtracted from every
    point (baseline and after) and the result written to ``out`` (default
    ``<value>_seasonally_adjusted``), ready for :func:`~workbench.analysis.spc.spc`.
    The baseline is every point up to ``baseline_end`` (``True``: all points) and must
    hold each calendar month at least twice.

    >>> import numpy as np, pandas as pd
    >>> d = pd.date_range("2022-01-01", periods=36, freq="MS")
    >>> df = pd.DataFrame({"d": d, "y": 50 + 5 * (d.month == 1)})
    >>> seasonal_adjust(df, "y", "d")["y_seasonally_adjusted"].round(6).unique().tolist()
    [50.416667]
    """
    fn = "seasonal_adjust"
    f = _frame(fn, data, date, facet, {"value": value})
    out = out or f"{value}_seasonally_adjusted"
    adjusted = np.empty(len(f))
    for _, g in f.groupby("_order", sort=False):
        base = _baseline_mask(fn, g["date"], baseline_end)
        months = g["date"].dt.month.to_numpy()
        eff = _month_effects(fn, months[base], g["value"].to_numpy()[base], None,
                             "" if facet is None else f" for {facet} {g['facet'].iloc[0]!r}")
        adjusted[g.index] = g["value"].to_numpy() - np.array([eff[m] for m in months])
    # map back to the caller's row order
    result = data.copy()
    order = f.index.to_numpy()
    keyed = pd.Series(adjusted[order], index=pd.MultiIndex.from_arrays(
        [f["facet"].to_numpy(), f["date"].to_numpy()]))
    fac = data[facet].to_numpy() if facet is not None else np.full(len(data), NO_FACET)
    result[out] = keyed.reindex(pd.MultiIndex.from_arrays(
        [fac, pd.to_datetime(data[date]).to_numpy()])).to_numpy()
    return result


# =========================================================================== rules


def _same_side_runs(side: np.ndarray, length: int) -> np.ndarray:
    """Points in a run of >= ``length`` consecutive points on one non-zero side."""
    flag = np.zeros(len(side), dtype=bool)
    start = 0
    for i in range(1, len(side) + 1):
        if i == len(side) or side[i] != side[start]:
            if side[start] != 0 and i - start >= length:
                flag[start:i] = True
            start = i
    return flag


def _trend(y: np.ndarray, points: int) -> np.ndarray:
    """+1/-1 for points in a run of >= ``points`` strictly rising/falling points, else 0."""
    out = np.zeros(len(y), dtype=int)
    steps = np.sign(np.diff(y))
    for end in range(points - 1, len(y)):
        w = steps[end - (points - 1):end]
        if np.all(w == 1):
            out[end - (points - 1):end + 1] = 1
        elif np.all(w == -1):
            out[end - (points - 1):end + 1] = -1
    return out


def _mdc_rules(zp: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Making Data Count rules on standardised values ``zp`` (limits at +/-3).

    Returns (rule name or None, signed side of the signal, outside-limit flag), with the
    precedence outside limits > trend > two in three > shift, as in ``spc``.
    """
    n = len(zp)
    side = np.sign(zp).astype(int)
    outside = np.abs(zp) > 3
    near = np.abs(zp) > 3 * NEAR_FRACTION
    two3 = np.zeros(n, dtype=bool)
    for s in range(n - 2):
        w = side[s:s + 3]
        if w[0] != 0 and np.all(w == w[0]) and near[s:s + 3].sum() >= 2:
            two3[s:s + 3] |= near[s:s + 3]
    trend = _trend(y, RUN_LENGTH)
    shift = _same_side_runs(side, RUN_LENGTH)
    rule = np.full(n, None, dtype=object)
    sgn = np.zeros(n, dtype=int)
    for mask, name, s in ((shift, "shift", side), (two3, "two_in_three", side),
                          (trend != 0, "trend", trend), (outside, "outside_limits", side)):
        rule[mask] = name
        sgn[mask] = s[mask]
    return rule, sgn, outside


def _point_types(sgn: np.ndarray, direction: str) -> np.ndarray:
    out = np.full(len(sgn), "common_cause", dtype=object)
    if direction == "neutral":
        out[sgn > 0], out[sgn < 0] = "special_cause_neutral_high", "special_cause_neutral_low"
    else:
        good = 1 if direction == "increase" else -1
        out[sgn == good], out[sgn == -good] = "special_cause_improvement", "special_cause_concern"
    return out


# =========================================================================== p' and u'


def _laney(fn: str, data, num_col: str, den_col: str, date: str, *, facet, direction, scale,
           kind: str, laney: bool, seasonal_baseline, target, rebase=None) -> SPCResult:
    if direction not in DIRECTIONS:
        raise AnalysisInputError(fn, "improvement_direction", f"is {direction!r}",
                                 expected="one of 'increase', 'decrease', 'neutral'")
    num_name = "successes" if kind == "p" else "events"
    den_name = "trials" if kind == "p" else "exposure"
    f = _frame(fn, data, date, facet, {num_name: num_col, den_name: den_col})
    x, n = f[num_name].to_numpy(), f[den_name].to_numpy()
    if (n <= 0).any():
        raise AnalysisInputError(fn, den_name, f"column {den_col!r} has {int((n <= 0).sum())} "
                                 "value(s) of zero or less", expected="positive denominators")
    if (x < 0).any() or (kind == "p" and (x > n).any()):
        raise AnalysisInputError(fn, num_name, f"column {num_col!r} has values below 0"
                                 + (f" or above {den_col!r}" if kind == "p" else ""),
                                 expected="0 <= successes <= trials" if kind == "p"
                                 else "counts of at least 0")
    f["_rebase"] = rebase_groups(f.assign(_facet_order=f["_order"]), rebase, facet,
                                 function=fn)
    parts = []
    for _, whole in f.groupby("_order", sort=False):
        whole = whole.copy()
        months = whole["date"].dt.month.to_numpy()
        season = np.zeros(len(whole))
        if seasonal_baseline is not None and seasonal_baseline is not False:
            base = _baseline_mask(fn, whole["date"], seasonal_baseline)
            eff = _month_effects(fn, months[base], whole[num_name].to_numpy()[base],
                                 whole[den_name].to_numpy()[base],
                                 "" if facet is None else f" for {facet} {whole['facet'].iloc[0]!r}")
            season = np.array([eff[m] for m in months])
        whole["_season"] = season
        for group_no, g in whole.groupby("_rebase", sort=True):
            parts.append(_laney_segment(fn, g.copy(), num_name, den_name, kind=kind,
                                        laney=laney, scale=scale, direction=direction,
                                        group=int(group_no)))
    table = pd.concat(parts, ignore_index=True)
    table["target"] = float(target) if target is not None else np.nan
    cut = table.groupby("facet", sort=False)["_cut"].last()
    columns = ["date", "value", "facet", "rebase_group", "mean", "lpl", "upl", "near_lpl",
               "near_upl", "relative_to_mean", "point_type", "rule", "outside_limits",
               "near_or_beyond", "trial_limits", "target", "numerator", "denominator",
               "sigma_i", "z", "z_prime", "sigma_z", "seasonal_effect"]
    table = table[columns]
    rows = []
    for fac, t in table.groupby("facet", sort=False):
        last = t.iloc[-1]
        rows.append({
            "facet": fac, "n_points": len(t), "first_date": t["date"].iloc[0],
            "last_date": last["date"], "last_value": last["value"],
            "rebase_group": int(last["rebase_group"]),
            "n_in_group": int((t["rebase_group"] == last["rebase_group"]).sum()), "mean": last["mean"], "lpl": last["lpl"], "upl": last["upl"],
            "trial_limits": bool(last["trial_limits"]), "point_type": last["point_type"],
            "variation": variation_of(last["point_type"], direction), "target": last["target"],
            "assurance": assurance_of(last["target"], last["lpl"], last["upl"], direction),
            "n_improvement": int((t["point_type"] == "special_cause_improvement").sum()),
            "n_concern": int((t["point_type"] == "special_cause_concern").sum()),
            "n_neutral": int(t["point_type"].str.startswith("special_cause_neutral").sum()),
            "sigma_z": float(last["sigma_z"]),
            "max_abs_z_prime": float(np.abs(t["z_prime"]).max()),
            "limits_cut": bool(cut[fac]),
        })
    summary = pd.DataFrame(rows)
    summary["assurance"] = summary["assurance"].astype("string")
    options = {"chart": f"{kind}'" if laney else kind, "numerator": num_col,
               "denominator": den_col, "date": date, "facet": facet,
               "improvement_direction": direction, "scale": scale, "laney": bool(laney),
               "seasonal_baseline": None if seasonal_baseline in (None, False) else
               (True if seasonal_baseline is True else str(pd.Timestamp(seasonal_baseline).date())),
               "screen_outliers": False, "rebase": plain_rebase(rebase, function=fn)}
    return SPCResult(table=table, summary=summary, options=options)


def _laney_segment(fn: str, g: pd.DataFrame, num_name: str, den_name: str, *, kind: str,
                   laney: bool, scale: float, direction: str, group: int) -> pd.DataFrame:
    """Centre, ``sigma_z``, limits and rules of one run of points (a facet, or one of its
    rebase groups).
    """
    if len(g) < 2:
        raise AnalysisInputError(fn, "rebase", f"leaves a group of {len(g)} point starting "
                                 f"{g['date'].iloc[0]:%Y-%m-%d}",
                                 expected="at least 2 points between rebase dates")
    xi, ni = g[num_name].to_numpy(), g[den_name].to_numpy()
    season = g["_season"].to_numpy()
    rate = xi / ni - season
    centre = float((rate * ni).sum() / ni.sum())
    if kind == "p" and not 0 < centre < 1:
        raise AnalysisInputError(fn, num_name, f"gives a centre line of {centre:g}",
                                 expected="some successes and some failures")
    if kind == "u" and centre <= 0:
        raise AnalysisInputError(fn, num_name, "has no events", expected="some events")
    sigma_i = np.sqrt(centre * (1 - centre) / ni) if kind == "p" else np.sqrt(centre / ni)
    z = (rate - centre) / sigma_i
    sigma_z = float(np.mean(np.abs(np.diff(z))) / D2) if laney else 1.0
    if sigma_z == 0:
        sigma_z = 1e-12
    zp = z / sigma_z
    rule, sgn, outside = _mdc_rules(zp, rate)
    half = 3 * sigma_i * sigma_z
    g["value"] = rate * scale
    g["mean"] = centre * scale
    g["lpl"] = (centre - half) * scale
    g["upl"] = (centre + half) * scale
    # limits stay inside the possible range: 0 and (for proportions) 100%
    g["_cut"] = (g["lpl"] < 0) | ((g["upl"] > scale) if kind == "p" else False)
    g["lpl"] = g["lpl"].clip(lower=0.0)
    if kind == "p":
        g["upl"] = g["upl"].clip(upper=scale)
    g["near_lpl"] = ((centre - NEAR_FRACTION * half) * scale).clip(min=0.0)
    g["near_upl"] = (centre + NEAR_FRACTION * half) * scale
    if kind == "p":
        g["near_upl"] = g["near_upl"].clip(upper=scale)
    g["relative_to_mean"] = np.sign(zp).astype(int)
    g["point_type"] = _point_types(sgn, direction)
    g["rule"] = pd.array(rule, dtype="string")
    g["outside_limits"] = outside
    g["near_or_beyond"] = np.abs(zp) > 3 * NEAR_FRACTION
    g["trial_limits"] = len(g) < 12
    g["numerator"], g["denominator"] = xi, ni
    g["sigma_i"], g["z"], g["z_prime"], g["sigma_z"] = sigma_i * scale, z, zp, sigma_z
    g["seasonal_effect"] = season * scale
    g["rebase_group"] = group
    return g


def laney_p(data: pd.DataFrame, successes: str, trials: str, date: str, *,
            facet: str | None = None, improvement_direction: str = "increase",
            scale: float = 100.0, laney: bool = True, seasonal_baseline=None,
            target: float | None = None, rebase=None) -> SPCResult:
    """The p' chart (Laney 2002) of ``successes / trials`` per point, per facet.

    Parameters
    ----------
    data : DataFrame
        Tidy data, one row per point (per facet).
    successes, trials : str
        Columns of counts (``0 <= successes <= trials``, trials > 0), e.g.
        ``"fft_positive"`` and ``"fft_responses"``.
    date : str
        Column of the point's date (month).
    facet : str, optional
        Column whose values each get their own chart (e.g. ``"provider_code"``).
    improvement_direction : {"increase", "decrease", "neutral"}
    scale : float
        Multiplier for the charted values and limits (100: percentages).
    laney : bool
        ``True`` (default): limits widened by ``sigma_z`` (p'); ``False``: the classic p chart.
    seasonal_baseline : True or date, optional
        Remove month-of-year effects estimated from the baseline (all points with
        ``True``, or points up to this date) before charting.
    target : float, optional
        A target on the charted scale, for ``assurance``.
    rebase : list of dates or {facet: dates}, optional
        Dates (of points) from which the centre, ``sigma_z`` and limits are computed
        afresh, e.g. the month a change took effect (as in
        :func:`~workbench.analysis.spc.spc`); rules apply within each group.

    Returns
    -------
    SPCResult
        ``.table`` per point (the columns of ``spc`` plus ``numerator, denominator,
        sigma_i, z, z_prime, sigma_z, seasonal_effect``) and ``.summary`` per facet.

    >>> import pandas as pd
    >>> df = pd.DataFrame({"d": pd.date_range("2024-01-01", periods=4, freq="MS"),
    ...                    "x": [45, 100, 40, 110], "n": [50, 125, 50, 125]})
    >>> r = laney_p(df, "x", "n", "d", laney=False)
    >>> round(float(r.table["upl"].iloc[0]), 2)   # (295/350 + 3 sqrt(.8429 x .1571 / 50)) x 100
    99.73
    """
    return _laney("laney_p", data, successes, trials, date, facet=facet,
                  direction=improvement_direction, scale=scale, kind="p", laney=laney,
                  seasonal_baseline=seasonal_baseline, target=target, rebase=rebase)


def laney_u(data: pd.DataFrame, events: str, exposure: str, date: str, *,
            facet: str | None = None, improvement_direction: str = "decrease",
            per: float = 1000.0, laney: bool = True, seasonal_baseline=None,
            target: float | None = None, rebase=None) -> SPCResult:
    """The u' chart (Laney 2002) of the rate ``events / exposure`` (times ``per``), per facet.

    ``events`` are counts (e.g. ``"complaints"``) and ``exposure`` their denominator
    (e.g. ``"episodes"``); values and limits are per ``per`` units of exposure (per
    1,000 episodes by default). Other arguments and the result as in :func:`laney_p`.

    >>> import pandas as pd
    >>> df = pd.DataFrame({"d": pd.date_range("2024-01-01", periods=4, freq="MS"),
    ...                    "c": [4, 12, 5, 9], "e": [1000, 2000, 1000, 2000]})
    >>> r = laney_u(df, "c", "e", "d", laney=False)
    >>> round(float(r.table["upl"].iloc[1]), 3)   # 5 + 3 sqrt(0.005 / 2000) x 1000
    9.743
    """
    return _laney("laney_u", data, events, exposure, date, facet=facet,
                  direction=improvement_direction, scale=per, kind="u", laney=laney,
                  seasonal_baseline=seasonal_baseline, target=target, rebase=rebase)


# =========================================================================== run charts


def runs_limits(n_above: int, n_below: int, alpha: float = RUNS_ALPHA) -> tuple[int, int]:
    """Fewest and most runs expected by chance (Swed & Eisenhart 1943), two-sided ``alpha``.

    The number of runs ``R`` in a random order of ``n_above`` points above and
    ``n_below`` below the median has the exact distribution
    ``P(R = 2k) = 2 C(a-1, k-1) C(b-1, k-1) / C(a+b, a)`` and
    ``P(R = 2k+1) = [C(a-1, k) C(b-1, k-1) + C(a-1, k-1) C(b-1, k)] / C(a+b, a)``.
    The lower limit is the smallest ``r`` with ``P(R <= r) > alpha/2`` and the upper the
    largest ``r`` with ``P(R >= r) > alpha/2``: fewer runs than the lower limit, or more
    than the upper, is a signal.

    >>> runs_limits(5, 5)
    (3, 9)
    >>> runs_limits(10, 10)
    (7, 15)
    """
    a, b = int(n_above), int(n_below)
    if a < 1 or b < 1:
        return (1, a + b)

    def c(n: int, k: int) -> int:
        return math.comb(n, k) if n >= 0 and 0 <= k <= n else 0

    total = math.comb(a + b, a)
    pmf = np.zeros(a + b + 1)
    for r in range(2, a + b + 1):
        k = r // 2
        if r % 2 == 0:
            pmf[r] = 2 * c(a - 1, k - 1) * c(b - 1, k - 1) / total
        else:
            pmf[r] = (c(a - 1, k) * c(b - 1, k - 1) + c(a - 1, k - 1) * c(b - 1, k)) / total
    cdf = np.cumsum(pmf)
    lower = int(min(r for r in range(a + b + 1) if cdf[r] > alpha / 2))
    upper = int(max(r for r in range(1, a + b + 1) if 1 - cdf[r - 1] > alpha / 2))
    return lower, upper


@dataclass
class RunChartResult:
    """Run chart per facet: ``table`` per point, ``summary`` per facet, ``options``."""

    table: pd.DataFrame
    summary: pd.DataFrame
    options: dict[str, Any] = field(default_factory=dict)


def _run_trend(y: np.ndarray) -> np.ndarray:
    """Points in >= 5 consecutive rising (or falling) points; equal neighbours count once."""
    flag = np.zeros(len(y), dtype=bool)
    keep = np.r_[True, np.diff(y) != 0]          # drop repeats
    idx = np.flatnonzero(keep)
    steps = np.sign(np.diff(y[idx]))
    start = 0
    for i in range(1, len(steps) + 1):
        if i == len(steps) or steps[i] != steps[start]:
            if len(steps) and steps[start] != 0 and (i - start + 1) >= RUN_CHART_TREND:
                flag[idx[start]:idx[i] + 1] = True
            start = i
    return flag


def run_chart(data: pd.DataFrame, value: str, date: str, *, facet: str | None = None,
              seasonal_baseline=None, baseline_points: int | None = None) -> RunChartResult:
    """Run chart with the NHS run-chart rules (shift 6+, trend 5+, too few/many runs).

    The centre is the median of the first ``baseline_points`` points (all by default).
    ``table`` per point: ``date, facet, value, median, side`` (+1 above, -1 below, 0 on
    the median), ``shift`` and ``trend`` flags; ``summary`` per facet: ``n_useful``
    (points not on the median), ``n_runs``, ``runs_lower``/``runs_upper`` (from
    :func:`runs_limits`), ``longest_run``, ``few_runs``, ``many_runs``, ``any_shift``,
    ``any_trend`` and ``signal`` (any of them). With ``seasonal_baseline`` the values are
    first seasonally adjusted (:func:`seasonal_adjust`).

    >>> import pandas as pd
    >>> df = pd.DataFrame({"d": pd.date_range("2024-01-01", periods=12, freq="MS"),
    ...                    "y": [3, 5, 4, 6, 3, 5, 9, 9, 8, 10, 9, 11]})
    >>> s = run_chart(df, "y", "d", baseline_points=6).summary
    >>> bool(s.loc[0, "any_shift"]), int(s.loc[0, "n_runs"])
    (True, 6)
    """
    fn = "run_chart"
    if seasonal_baseline is not None and seasonal_baseline is not False:
        data = seasonal_adjust(data, value, date, baseline_end=seasonal_baseline, facet=facet,
                               out="_adjusted")
        value = "_adjusted"
    if baseline_points is not None and (not isinstance(baseline_points, (int, np.integer))
                                        or isinstance(baseline_points, bool)
                                        or baseline_points < 2):
        raise AnalysisInputError(fn, "baseline_points", f"is {baseline_points!r}",
                                 expected="an integer of at least 2")
    f = _frame(fn, data, date, facet, {"value": value})
    parts, rows = [], []
    for _, g in f.groupby("_order", sort=False):
        g = g.copy()
        y = g["value"].to_numpy()
        med = float(np.median(y[:baseline_points] if baseline_points else y))
        side = np.sign(y - med).astype(int)
        useful = side[side != 0]
        shift = np.zeros(len(y), dtype=bool)
        shift[side != 0] = _same_side_runs(useful, RUN_CHART_SHIFT)
        trend = _run_trend(y)
        n_runs = int(1 + np.sum(useful[1:] != useful[:-1])) if len(useful) else 0
        longest = 0
        if len(useful):
            cur = 1
            for i in range(1, len(useful)):
                cur = cur + 1 if useful[i] == useful[i - 1] else 1
                longest = max(longest, cur)
            longest = max(longest, 1)
        lo, hi = runs_limits(int((useful > 0).sum()), int((useful < 0).sum()))
        g["median"], g["side"], g["shift"], g["trend"] = med, side, shift, trend
        parts.append(g)
        few, many = n_runs < lo, n_runs > hi
        rows.append({"facet": g["facet"].iloc[0], "n_points": len(g), "median": med,
                     "n_useful": len(useful), "n_runs": n_runs, "runs_lower": lo,
                     "runs_upper": hi, "longest_run": longest, "few_runs": bool(few),
                     "many_runs": bool(many), "any_shift": bool(shift.any()),
                     "any_trend": bool(trend.any()),
                     "signal": bool(few or many or shift.any() or trend.any())})
    table = pd.concat(parts, ignore_index=True)[["date", "facet", "value", "median", "side",
                                                 "shift", "trend"]]
    return RunChartResult(table=table, summary=pd.DataFrame(rows),
                          options={"value": value, "date": date, "facet": facet,
                                   "baseline_points": baseline_points,
                                   "seasonal_baseline": seasonal_baseline is not None})


# =========================================================================== screening


def _any_signal(n_points: int, n_sim: int, rng: np.random.Generator,
                autocorrelation: float = 0.0) -> np.ndarray:
    """Whether each of ``n_sim`` in-control series of ``n_points`` gives any MDC signal
    (independent standard normal points, or AR(1) with that autocorrelation).
    """
    if autocorrelation:
        y = SCR.simulate_ar1(rng, n_sim, n_points, autocorrelation)
    else:
        y = rng.standard_normal((n_sim, n_points))
    out = np.zeros(n_sim, dtype=bool)
    for s in range(n_sim):
        v = y[s]
        sd = np.mean(np.abs(np.diff(v))) / D2
        zp = (v - v.mean()) / sd
        rule, _, _ = _mdc_rules(zp, v)
        out[s] = any(r is not None for r in rule)
    return out


def false_alarm_rate(n_points: int, n_sim: int = 2000, seed: int = SIMULATION_SEED,
                     autocorrelation: float = 0.0) -> float:
    """Share of in-control charts of ``n_points`` with at least one special-cause signal.

    In-control series are standard normal points, independent or (``autocorrelation``)
    AR(1) with that month-to-month correlation; each is charted with its own mean and
    limits ``mean +/- 3 x mean(MR)/1.128`` (as the p', u' and, without screening, XmR
    charts do) and the four Making Data Count rules applied. Fixed seed: the same
    arguments give the same rate. Correlated months signal more often: runs on one side
    of the mean are longer, and the moving range underestimates the spread.

    >>> 0.0 < false_alarm_rate(24, n_sim=400) < false_alarm_rate(24, 400, autocorrelation=0.5)
    True
    """
    if not isinstance(n_points, (int, np.integer)) or n_points < 3:
        raise AnalysisInputError("false_alarm_rate", "n_points", f"is {n_points!r}",
                                 expected="an integer of at least 3")
    phi = float(autocorrelation)
    if not -0.95 <= phi <= 0.95:
        raise AnalysisInputError("false_alarm_rate", "autocorrelation", f"is {phi!r}",
                                 expected="a number between -0.95 and 0.95")
    return _false_alarm_rate(int(n_points), int(n_sim), int(seed), phi)


@functools.lru_cache(maxsize=256)
def _false_alarm_rate(n_points: int, n_sim: int, seed: int, phi: float) -> float:
    key = [seed, n_points] + ([round(phi * 100) + 100] if phi else [])
    rng = np.random.default_rng(key)
    return float(_any_signal(n_points, n_sim, rng, phi).mean())


@dataclass
class ScreeningResult:
    """Many charts screened at once.

    ``table`` per chart: ``facet, n_points, signal`` (any special-cause point on the
    Making Data Count rules), ``max_abs_z`` (largest standardised distance from the
    centre), ``false_alarm_rate`` (of the rules, at the chart's length and persistence),
    then the screen of
    :func:`~workbench.analysis.monitoring.screening.screen_series`: ``screened``,
    ``seasonal``, ``autocorrelation``, ``p_single``, ``p_shift``, ``p_drift``,
    ``p_value`` (combined), ``screen`` (which screen), ``month``, ``direction``, ``size``
    (in the chart's units), then ``p_adjusted`` (Benjamini-Hochberg across the screened
    charts) and ``survives_fdr`` (``p_adjusted < fdr``).
    ``expected_false_signals`` is the number of charts expected to signal on the rules by
    chance alone if every process were in control; ``observed_signals`` how many did;
    ``sentence`` says it in plain words and ``model`` (for an analyst) what the screen
    is; ``autocorrelation`` the persistence shared by the charts (None when each chart
    has its own).
    """

    table: pd.DataFrame
    expected_false_signals: float
    observed_signals: int
    fdr: float
    sentence: str = ""
    model: str = ""
    autocorrelation: float | None = None

    @property
    def flagged(self) -> pd.DataFrame:
        """The charts that survive the screen (a change beyond chance)."""
        return self.table[self.table["survives_fdr"]]


def _screen_values(t: pd.DataFrame) -> np.ndarray:
    """The series a chart is screened on: ``z`` of a p'/u' chart (the month's distance
    from the centre in its own binomial or Poisson sd, so months of different
    denominators are alike), the value of an XmR chart.
    """
    counts = "z" in t.columns and t["z"].notna().all()
    return (t["z"] if counts else t["value"]).to_numpy(dtype=float)


def _units_per_screen_unit(t: pd.DataFrame) -> float:
    """Chart units per unit of the screened series (a p'/u' chart's mean ``sigma_i``)."""
    return float(t["sigma_i"].mean()) if "z" in t.columns and t["z"].notna().all() else 1.0


def screen(result: SPCResult, *, fdr: float = 0.05, n_sim: int = 2000,
           seed: int = SIMULATION_SEED, autocorrelation: str = "auto",
           season: bool | None = None) -> ScreeningResult:
    """Screen every facet of a chart result; say how many signals chance alone would give
    and which charts show a change beyond chance.

    ``result`` is an :class:`~workbench.analysis.monitoring.spc.SPCResult` from :func:`laney_p`,
    :func:`laney_u` or :func:`~workbench.analysis.spc.spc` (many facets, e.g. one per
    provider). Each chart (``z`` of a p'/u' chart, the values of an XmR chart, with its
    rebase groups) is screened by
    :func:`~workbench.analysis.monitoring.screening.screen_series` for a single unusual
    month, a sustained shift and a gradual drift, on a model with the chart's seasonal
    pattern and its month-to-month persistence (``autocorrelation``: ``auto`` shares one
    persistence across 5 or more charts, ``each``, ``shared``, or ``none`` for independent
    months; ``season`` None: seasonal terms for charts of 24 months or more). The charts'
    p-values are adjusted by Benjamini-Hochberg (valid under independence or positive
    dependence of the charts). Expected false signals = sum over charts of
    :func:`false_alarm_rate` at that chart's length and persistence.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"p": np.repeat([f"P{i}" for i in range(20)], 24),
    ...                    "d": np.tile(pd.date_range("2023-01-01", periods=24, freq="MS"), 20),
    ...                    "n": 400})
    >>> df["x"] = rng.binomial(400, 0.8, len(df))
    >>> df.loc[df.index[-1], "x"] = 200          # one real special cause
    >>> s = screen(laney_p(df, "x", "n", "d", facet="p"), n_sim=300)
    >>> s.flagged["facet"].tolist(), s.flagged["screen"].tolist()
    (['P19'], ['single month'])
    """
    if not isinstance(result, SPCResult):
        raise AnalysisInputError("screen", "result", f"is a {type(result).__name__}",
                                 expected="an SPCResult from laney_p, laney_u or spc")
    if not 0 < fdr < 1:
        raise AnalysisInputError("screen", "fdr", f"is {fdr!r}", expected="a number in (0, 1)")
    from statsmodels.stats.multitest import multipletests

    t = result.table
    half = (t["upl"] - t["mean"]).to_numpy()
    zp = np.where(half > 0, 3 * (t["value"] - t["mean"]).to_numpy() / np.where(half > 0, half, 1),
                  0.0)
    if "z_prime" in t.columns:      # p'/u' charts (XmR charts among them have none)
        zp = np.where(t["z_prime"].notna(), t["z_prime"], zp)
    t = t.assign(_zp=zp)
    groups = dict(tuple(t.groupby("facet", sort=False)))
    series = {fac: (g["date"], _screen_values(g), g["rebase_group"].to_numpy())
              for fac, g in groups.items()}
    scr = SCR.screen_series(series, autocorrelation=autocorrelation, season=season,
                            n_sim=n_sim, seed=seed)
    shared = scr["autocorrelation"].dropna()
    one = (len(shared) > 0 and autocorrelation != "each"
           and (autocorrelation != "auto" or len(shared) >= SCR.SHARED_MIN_CHARTS))
    rates: dict[tuple[int, float], float] = {}
    rows = []
    for (fac, g), (_, s) in zip(groups.items(), scr.iterrows()):
        n = len(g)
        phi = 0.0 if pd.isna(s["autocorrelation"]) else round(float(s["autocorrelation"]), 1)
        if (n, phi) not in rates:
            rates[(n, phi)] = (false_alarm_rate(n, n_sim=n_sim, seed=seed, autocorrelation=phi)
                               if n >= 3 else 0.0)
        rows.append({"facet": fac, "n_points": n,
                     "signal": bool((g["point_type"] != "common_cause").any()),
                     "max_abs_z": float(np.abs(g["_zp"]).max()),
                     "false_alarm_rate": rates[(n, phi)],
                     **{k: s[k] for k in ("screened", "seasonal", "autocorrelation",
                                          "p_single", "p_shift", "p_drift", "p_value",
                                          "screen", "month", "direction")},
                     "size": float(s["size"]) * _units_per_screen_unit(g)})
    table = pd.DataFrame(rows)
    table["p_adjusted"] = np.nan
    ok = table["p_value"].notna().to_numpy()
    if ok.any():
        table.loc[ok, "p_adjusted"] = multipletests(table.loc[ok, "p_value"],
                                                    method="fdr_bh")[1]
    table["survives_fdr"] = (table["p_adjusted"] < fdr).fillna(False).astype(bool)
    expected = float(table["false_alarm_rate"].sum())
    observed = int(table["signal"].sum())
    res = ScreeningResult(table=table, expected_false_signals=expected,
                          observed_signals=observed, fdr=fdr,
                          model=SCR.MODEL_TEXT + ("; persistence shared by the charts"
                                                  if one else "; persistence of each chart"),
                          autocorrelation=float(shared.iloc[0]) if one else None)
    res.sentence = screening_sentence(res)
    return res


def screening_sentence(res: ScreeningResult, chart: str = "chart",
                       names: dict | None = None) -> str:
    """What a screen found, in a board's words (no model names): how many charts show a
    special cause, how many would by chance alone, and which show a change beyond chance
    once the seasonal pattern and the carry-over from month to month are allowed for.
    ``chart`` is what one chart is called; ``names`` ``{facet: name}`` names the charts
    that show a change (their facet labels otherwise).

    >>> t = pd.DataFrame({"facet": ["A", "B"], "signal": [True, False], "screened": True,
    ...                   "survives_fdr": [False, False]})
    >>> screening_sentence(ScreeningResult(t, 0.4, 1, 0.05))[:60]
    '1 of 2 charts shows a special cause on the Making Data Count'
    """
    t = res.table
    n = len(t)
    plural = f"{chart}s" if n != 1 else chart
    verb = "shows" if res.observed_signals == 1 else "show"
    text = (f"{res.observed_signals} of {n} {plural} {verb} a special cause on the Making "
            f"Data Count rules; about {formatting.fixed(res.expected_false_signals, 1)} "
            f"would by chance alone if every process were stable.")
    screened = int(t["screened"].sum())
    kept = int(t["survives_fdr"].sum())
    if not screened:
        return text + (f" None has the {SCR.MIN_POINTS} months needed to screen it for a "
                       "change beyond chance.")
    text += (f" {SCR.PLAIN_TEXT[0].upper()}{SCR.PLAIN_TEXT[1:]}, {kept} of {screened} "
             f"{chart}{'s' if screened != 1 else ''} "
             f"{'shows' if kept == 1 else 'show'} a change beyond chance, with the false "
             f"discovery rate controlled at {formatting.percent(res.fdr)}")
    if kept:
        parts = []
        for _, r in res.flagged.iterrows():
            when = (f" from {r['month']:%B %Y}" if r["screen"] != "single month"
                    else f" in {r['month']:%B %Y}")
            what = {"single month": "an unusual month", "sustained shift": "a sustained shift",
                    "gradual drift": "a gradual drift"}[r["screen"]]
            way = {1: "up", -1: "down"}.get(int(r["direction"]), "")
            name = (names or {}).get(r["facet"], r["facet"])
            parts.append(f"{name}: {what} {way}{when}".replace("  ", " "))
        text += ": " + "; ".join(parts)
    text += "."
    short = n - screened
    if short:
        text += (f" {short} {chart}{'s' if short != 1 else ''} with fewer than "
                 f"{SCR.MIN_POINTS} months {'were' if short != 1 else 'was'} not screened.")
    return text
