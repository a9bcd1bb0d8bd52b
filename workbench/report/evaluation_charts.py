"""Charts for "did the change work?": the interrupted time series and the event study.

* :func:`its_chart` draws one series around a change: the observed months, the fitted
  line, the counterfactual (what the pre-change trend and seasonal pattern predict
  without the change) with its 95% band, and the change month marked. It takes the
  tidy ``frame`` of :class:`~workbench.analysis.evaluation.its.ITSResult` or any frame
  with the same kind of columns.
* :func:`event_study_chart` draws estimates by month relative to the change with their
  95% intervals, a zero line and the change at month 0: the pre-trend check of a
  difference-in-differences (the ``event_study`` of
  :class:`~workbench.analysis.evaluation.did.DiDResult`).

A p' or u' chart (:func:`workbench.analysis.monitoring.laney.laney_p`, ``laney_u``) is an
:class:`~workbench.analysis.monitoring.spc.SPCResult`: draw it with
:func:`workbench.report.monitoring_charts.spc_chart`.

Functions draw in the one theme of :mod:`workbench.report.theme` without changing the
user's matplotlib settings, return the Axes and never call ``plt.show()``.

Example
-------
>>> import pandas as pd
>>> es = pd.DataFrame({"rel": [-3, -2, -1, 0, 1, 2], "estimate": [0.1, -0.1, 0, 0.8, 1.1, 1.5],
...                    "ci_low": [-0.4, -0.6, None, 0.2, 0.5, 0.8],
...                    "ci_high": [0.6, 0.4, None, 1.4, 1.7, 2.2]})
>>> ax = event_study_chart(es, title="Event study")
>>> ax.get_title(loc="left"), ax.get_xlabel()
('Event study', 'Months relative to the change (0 = the month of the change)')
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from workbench.errors import AnalysisInputError
from workbench.report.theme import (
    GREY,
    INDEPENDENT_ORANGE,
    NHS_BLUE,
    NHS_DARK_BLUE,
    new_axes,
    themed,
)

#: Colour of the counterfactual line and band.
COUNTERFACTUAL = GREY
#: Colour of the change-date marker.
CHANGE_COLOUR = "#DA291C"


def _need(fn: str, data, columns: dict[str, str | None]) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise AnalysisInputError(fn, "data", f"is a {type(data).__name__}",
                                 expected="a pandas DataFrame")
    for param, col in columns.items():
        if col is not None and col not in data.columns:
            raise AnalysisInputError(fn, param, f"names column {col!r}, which is not in the data",
                                     expected=f"one of {list(map(str, data.columns))}")
    if data.empty:
        raise AnalysisInputError(fn, "data", "has no rows", expected="at least one row")
    return data


@themed
def its_chart(frame: pd.DataFrame, *, date: str = "date", observed: str = "observed",
              fitted: str = "fitted", counterfactual: str = "counterfactual",
              low: str | None = "cf_low", high: str | None = "cf_high", intervention=None,
              months_since: str | None = "months_since_change", ylabel: str | None = None,
              title: str | None = None, ax: Axes | None = None) -> Axes:
    """Interrupted time series: observed, fitted, counterfactual with its band, the change.

    Parameters
    ----------
    frame : DataFrame
        One row per month, e.g. ``ITSResult.frame``.
    date, observed, fitted, counterfactual, low, high : str
        Columns: the month, the observed value, the model's fitted value, the
        counterfactual and its 95% band (``low``/``high``; ``None`` for no band).
    intervention : date, optional
        The change month; default the first row where ``months_since`` is 0.
    ylabel, title : str, optional
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    >>> import numpy as np, pandas as pd
    >>> d = pd.date_range("2023-01-01", periods=24, freq="MS")
    >>> k = np.arange(24) - 12
    >>> f = pd.DataFrame({"date": d, "months_since_change": k, "observed": 80 + 3 * (k >= 0),
    ...                   "fitted": 80 + 3.0 * (k >= 0), "counterfactual": 80.0,
    ...                   "cf_low": 79.0, "cf_high": 81.0})
    >>> its_chart(f, ylabel="FFT % positive").get_ylabel()
    'FFT % positive'
    """
    fn = "its_chart"
    d = _need(fn, frame, {"date": date, "observed": observed, "fitted": fitted,
                          "counterfactual": counterfactual, "low": low, "high": high})
    d = d.assign(**{date: pd.to_datetime(d[date])}).sort_values(date)
    if intervention is None:
        if months_since is None or months_since not in d.columns or not (d[months_since] == 0).any():
            raise AnalysisInputError(fn, "intervention", "is not given and the frame has no "
                                     f"month with {months_since!r} = 0",
                                     expected="the change month, or an ITSResult frame")
        t0 = pd.Timestamp(d.loc[d[months_since] == 0, date].iloc[0])
    else:
        try:
            t0 = pd.Timestamp(intervention)
        except (ValueError, TypeError):
            raise AnalysisInputError(fn, "intervention", f"is {intervention!r}",
                                     expected="a date") from None
    ax = new_axes(ax, figsize=(8, 4.4))
    after = d[date] >= t0
    if low is not None and high is not None:
        band = d[after]
        ax.fill_between(band[date], band[low], band[high], color=COUNTERFACTUAL, alpha=0.22,
                        linewidth=0, label="Without the change: 95% band")
    ax.plot(d.loc[after, date], d.loc[after, counterfactual], color=COUNTERFACTUAL,
            linestyle="--", linewidth=1.4, label="Without the change (earlier trend and season)")
    ax.plot(d[date], d[fitted], color=NHS_DARK_BLUE, linewidth=1.6, label="Model")
    obs = d[d[observed].notna()]
    ax.scatter(obs[date], obs[observed], s=22, color=NHS_BLUE, zorder=3, edgecolor="white",
               linewidth=0.5, label="Observed")
    ax.axvline(t0, color=CHANGE_COLOUR, linestyle=":", linewidth=1.3)
    ax.annotate(f"change: {t0:%b %Y}", xy=(t0, 1.0), xycoords=("data", "axes fraction"),
                xytext=(3, -3), textcoords="offset points", va="top", ha="left",
                fontsize="small", color=CHANGE_COLOUR)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    ax.set_xlabel("")
    if title is not None:
        ax.set_title(title, loc="left")
    ax.margins(x=0.02)
    ax.legend(loc="upper left", bbox_to_anchor=(0, -0.1), ncol=2, frameon=False,
              fontsize="small")
    return ax


@themed
def event_study_chart(data: pd.DataFrame, *, rel: str = "rel", estimate: str = "estimate",
                      low: str = "ci_low", high: str = "ci_high", truth: str | None = None,
                      ylabel: str | None = None, title: str | None = None,
                      ax: Axes | None = None) -> Axes:
    """Estimates by month relative to the change, with 95% intervals (the pre-trend check).

    Months before the change are grey, months from the change on (0 = the change month)
    blue; a row without an interval (the reference month, -1 in a Sun-Abraham event
    study) is drawn hollow. Pass ``truth`` (a column) to mark the true values of a
    synthetic panel.

    Parameters
    ----------
    data : DataFrame
        One row per relative month, e.g. ``DiDResult.event_study``.
    rel, estimate, low, high : str
        Columns: the month relative to the change, the estimate and its 95% interval.
    truth : str, optional
        Column of true values.
    ylabel, title : str, optional
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    fn = "event_study_chart"
    d = _need(fn, data, {"rel": rel, "estimate": estimate, "low": low, "high": high,
                         "truth": truth}).sort_values(rel)
    ax = new_axes(ax, figsize=(8, 4.2))
    x = d[rel].to_numpy(dtype=float)
    est = d[estimate].to_numpy(dtype=float)
    lo, hi = d[low].to_numpy(dtype=float), d[high].to_numpy(dtype=float)
    has_ci = np.isfinite(lo) & np.isfinite(hi)
    for mask, colour, label in ((x < 0, GREY, "Before the change"),
                                (x >= 0, NHS_BLUE, "From the change on")):
        sel = mask & has_ci
        if sel.any():
            ax.errorbar(x[sel], est[sel], yerr=[est[sel] - lo[sel], hi[sel] - est[sel]], fmt="o",
                        color=colour, ecolor=colour, markersize=4.5, capsize=2, linewidth=1.1,
                        label=f"{label} (95% CI)")
    ref = ~has_ci
    if ref.any():
        ax.scatter(x[ref], est[ref], s=30, facecolor="white", edgecolor=GREY, zorder=3,
                   label="Reference month")
    if truth is not None and d[truth].notna().any():
        ax.scatter(x, d[truth], marker="D", s=18, color=INDEPENDENT_ORANGE, zorder=4,
                   label="True value (synthetic)")
    ax.axhline(0, color="#231F20", linewidth=0.9)
    ax.axvline(-0.5, color=CHANGE_COLOUR, linestyle=":", linewidth=1.3)
    ax.annotate("change", xy=(-0.5, 1.0), xycoords=("data", "axes fraction"), xytext=(3, -3),
                textcoords="offset points", va="top", ha="left", fontsize="small",
                color=CHANGE_COLOUR)
    ax.set_xlabel("Months relative to the change (0 = the month of the change)")
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    if title is not None:
        ax.set_title(title, loc="left")
    ax.legend(loc="upper left", bbox_to_anchor=(0, -0.16), ncol=2, frameon=False,
              fontsize="small")
    return ax


__all__ = ["event_study_chart", "its_chart"]
