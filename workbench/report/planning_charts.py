"""Charts for "will we be able to tell?": power against the size of a planned change.

:func:`power_curve_chart` draws, for each method of a planned evaluation
(:func:`workbench.analysis.questions.planning.plan_evaluation`), how often a change of
each size would be shown, with the 80% line that defines the smallest detectable change
and the planned change marked. It takes tidy data (``ChangePlans.curves()`` or an
``EvaluationPlan.curve`` with a ``method`` column). It draws in the workbench's theme,
returns the Axes and never calls ``plt.show()``.

Example
-------
>>> import pandas as pd
>>> curve = pd.DataFrame({"effect": [0, 1, 2, 3], "power": [0.05, 0.4, 0.85, 0.99],
...                       "method": "against providers that did not change"})
>>> ax = power_curve_chart(curve, planned=1.5, unit="percentage points")
>>> ax.get_ylabel()
'Share of simulations showing the change'
"""

from __future__ import annotations

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

#: Colours of the methods' curves, in order.
CURVE_COLOURS = (NHS_BLUE, INDEPENDENT_ORANGE, NHS_DARK_BLUE)


@themed
def power_curve_chart(data: pd.DataFrame, *, effect: str = "effect", power: str = "power",
                      method: str | None = "method", planned: float | None = None,
                      unit: str = "", target: float = 0.8, title: str | None = None,
                      ax: Axes | None = None) -> Axes:
    """Power against the size of the change, one line per method.

    Parameters
    ----------
    data : DataFrame
        One row per size of change (and method).
    effect, power, method : str
        Columns: the size of the change, the share of simulations showing it, and the
        method (None: one line).
    planned : float, optional
        The planned change, marked with a vertical line.
    unit : str
        Unit of the change, for the x-axis label.
    target : float
        Power that defines the smallest detectable change (a horizontal line).
    title : str, optional
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    fn = "power_curve_chart"
    if not isinstance(data, pd.DataFrame):
        raise AnalysisInputError(fn, "data", f"is a {type(data).__name__}",
                                 expected="a pandas DataFrame")
    for param, col in (("effect", effect), ("power", power), ("method", method)):
        if col is not None and col not in data.columns:
            raise AnalysisInputError(fn, param, f"names column {col!r}, which is not in the "
                                     "data", expected=f"one of {list(map(str, data.columns))}")
    ax = new_axes(ax, figsize=(7.5, 4.2))
    groups = data.groupby(method, sort=False) if method else [("", data)]
    for i, (name, part) in enumerate(groups):
        part = part.sort_values(effect)
        ax.plot(part[effect].abs(), part[power], marker="o", markersize=3.5, linewidth=1.6,
                color=CURVE_COLOURS[i % len(CURVE_COLOURS)], label=str(name) or None)
    ax.axhline(target, color=GREY, linestyle="--", linewidth=1)
    ax.annotate(f"{100 * target:.0f}% (smallest detectable change)", xy=(0, target),
                xycoords=("axes fraction", "data"), xytext=(3, 3), textcoords="offset points",
                fontsize="small", color=GREY)
    if planned is not None:
        ax.axvline(abs(planned), color="#DA291C", linestyle=":", linewidth=1.3)
        ax.annotate("planned change", xy=(abs(planned), 0.02), xycoords=("data", "axes fraction"),
                    xytext=(3, 0), textcoords="offset points", fontsize="small",
                    color="#DA291C")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(f"Size of the change ({unit})" if unit else "Size of the change")
    ax.set_ylabel("Share of simulations showing the change")
    if title is not None:
        ax.set_title(title, loc="left")
    if method:
        ax.legend(loc="lower right", frameon=False, fontsize="small")
    return ax


__all__ = ["power_curve_chart"]
