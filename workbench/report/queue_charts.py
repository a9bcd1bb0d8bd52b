"""Charts of waiting lists as queues: the relief plan over time, lists against targets.

* :func:`relief_plan_chart` draws the simulated list size week by week (the median and the
  95% band of the simulations) under the relief plan and as now, with the target list
  size: the frame of :class:`~workbench.analysis.queues.flows.ReliefPlan`.
* :func:`list_target_chart` draws lists (one row each, e.g. a provider's specialties) as
  bars of their size with a mark at their target size: the table of
  :class:`~workbench.analysis.queues.flows.FlowStats`.

Drawn inside the workbench theme (:func:`workbench.report.theme.themed`); they return the
Axes and never call ``plt.show()``.

>>> from workbench.analysis.queues.flows import relief_plan
>>> p = relief_plan(demand=50, queue_size=3000, target=400, capacity=150, current=50,
...                 n_sims=100, start="2026-05-01")
>>> relief_plan_chart(p.frame).get_ylabel()
'Patients waiting'
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

#: Colour of each scenario of a relief plan.
SCENARIO_COLOURS = {"relief plan": NHS_BLUE, "as now": GREY}
#: Colour of the target line and marks.
TARGET_COLOUR = INDEPENDENT_ORANGE


def _need(fn: str, data, columns: list[str]) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise AnalysisInputError(fn, "frame", f"is a {type(data).__name__}",
                                 expected="a pandas DataFrame")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise AnalysisInputError(fn, "frame", f"has no column(s) {missing}",
                                 expected=f"columns {columns}")
    if data.empty:
        raise AnalysisInputError(fn, "frame", "has no rows", expected="at least one row")
    return data


def _thousands(ax: Axes, axis: str = "y") -> None:
    from matplotlib.ticker import FuncFormatter

    fmt = FuncFormatter(lambda v, _: f"{v:,.0f}")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


@themed
def relief_plan_chart(frame: pd.DataFrame, *, title: str | None = None,
                      ax: Axes | None = None) -> Axes:
    """The list size over the weeks of a relief plan (and as now): median and 95% band of
    the simulations, with the target list size dashed.

    ``frame`` has ``scenario``, ``week``, ``median``, ``low``, ``high`` and ``target``
    (and ``date``: the weeks are dated when it is given), as
    :attr:`~workbench.analysis.queues.flows.ReliefPlan.frame`.

    >>> from workbench.analysis.queues.flows import relief_plan
    >>> p = relief_plan(demand=50, queue_size=3000, target=400, capacity=150, n_sims=50)
    >>> relief_plan_chart(p.frame, title="Plan").get_title(loc="left")
    'Plan'
    """
    d = _need("relief_plan_chart", frame, ["scenario", "week", "median", "low", "high",
                                           "target"])
    dated = "date" in d.columns and d["date"].notna().all()
    x = "date" if dated else "week"
    ax = new_axes(ax, figsize=(8, 4.4))
    for scenario, part in d.groupby("scenario", sort=False):
        colour = SCENARIO_COLOURS.get(str(scenario), NHS_DARK_BLUE)
        cap = part["capacity"].iloc[0] if "capacity" in part.columns else np.nan
        words = f"{scenario}, {cap:,.0f} a week" if np.isfinite(cap) else str(scenario)
        ax.plot(part[x], part["median"], color=colour, linewidth=1.8, label=f"{words}: median")
        ax.fill_between(part[x], part["low"], part["high"], color=colour, alpha=0.2,
                        linewidth=0, label=f"{words}: 95% of simulations")
    target = float(d["target"].iloc[0])
    ax.axhline(target, color=TARGET_COLOUR, linestyle="--", linewidth=1.4,
               label=f"target list size ({target:,.0f})")
    ax.set_ylabel("Patients waiting")
    ax.set_xlabel("" if dated else "Weeks from now")
    ax.set_ylim(bottom=0)
    _thousands(ax)
    if title is not None:
        ax.set_title(title, loc="left")
    ax.legend(loc="upper left", bbox_to_anchor=(0, -0.12), ncol=1, frameon=False,
              fontsize="small")
    return ax


@themed
def list_target_chart(table: pd.DataFrame, *, label: str = "specialty_name",
                      size: str = "queue_size", target: str = "target_queue_size",
                      title: str | None = None, ax: Axes | None = None) -> Axes:
    """Each list as a bar of its size with a mark at its target size, largest at the top.

    ``table`` has one row per list (``FlowStats.table``): the ``label``, ``size`` and
    ``target`` columns.

    >>> t = pd.DataFrame({"specialty_name": ["Eyes", "Bones"], "queue_size": [900, 1500],
    ...                   "target_queue_size": [400, 500]})
    >>> [t.get_text() for t in list_target_chart(t).get_yticklabels()]
    ['Eyes', 'Bones']
    """
    d = _need("list_target_chart", table, [label, size, target])
    d = d.sort_values(size).reset_index(drop=True)
    ax = new_axes(ax, figsize=(9.5, max(2.8, 0.38 * len(d) + 1.4)))
    yy = np.arange(len(d))
    ax.barh(yy, d[size], color=NHS_BLUE, alpha=0.85, label="patients waiting")
    ax.scatter(d[target], yy, marker="|", s=260, linewidths=2.5, color=TARGET_COLOUR,
               zorder=3, label="target list size")
    ax.set_yticks(yy)
    ax.set_yticklabels(d[label].astype(str))
    ax.set_xlabel("Patients")
    _thousands(ax, "x")
    if title is not None:
        ax.set_title(title, loc="left")
    ax.legend(frameon=False, loc="center left", bbox_to_anchor=(1.01, 0.5),
              fontsize="small")  # beside the axes: the bars fill the plot
    return ax
