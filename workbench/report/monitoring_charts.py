"""Charts for monitoring providers over time and against each other: SPC charts and
funnel plots (the service-improvement analyses).

* :func:`spc_chart` draws one facet of an :class:`~workbench.analysis.monitoring.spc.SPCResult`
  on one Axes: the series, the mean, the process limits, special-cause points coloured
  the Making Data Count way (orange concern, blue improvement, grey common cause,
  purple neutral), the target, and the variation and assurance icons as small badges.
* :func:`spc_small_multiples` draws every facet (e.g. many providers) as a grid and
  returns the Figure.
* :func:`funnel_chart` draws a :class:`~workbench.analysis.monitoring.funnel.FunnelResult`,
  labelling only outliers, at most a dozen, never overlapping; :func:`funnel_small_multiples`
  draws one funnel per stratum.

Functions draw in the one theme of :mod:`workbench.report.theme` without changing the
user's matplotlib settings, return the matplotlib Axes or Figure and never call
``plt.show()``. Figures of the panel itself (relationships, sector comparisons, trends)
are in :mod:`workbench.report.panel_figures`.

Example
-------
>>> import pandas as pd
>>> from workbench.analysis.monitoring.spc import spc
>>> df = pd.DataFrame({"m": pd.date_range("2023-01-01", periods=14, freq="MS"),
...                    "y": [5, 6, 5, 7, 6, 5, 6, 7, 5, 6, 5, 6, 9, 12]})
>>> ax = spc_chart(spc(df, "y", "m"), title="Example")
>>> ax.get_title(loc="left")
'Example'
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle
from matplotlib.text import Text

from workbench.errors import AnalysisInputError
from workbench.report.figure_disclosure import (
    kinds_gid,
    note_on,
    safe_funnel,
    safe_spc,
    spc_kind,
)
from workbench.report.theme import COMMON, CONCERN, IMPROVEMENT, NHS_DARK_BLUE, themed

#: Making Data Count colour for neutral special causes (purple).
NEUTRAL = "#490092"
TARGET_COLOUR = "#DA291C"

POINT_COLOURS = {
    "common_cause": COMMON,
    "special_cause_improvement": IMPROVEMENT,
    "special_cause_concern": CONCERN,
    "special_cause_neutral_high": NEUTRAL,
    "special_cause_neutral_low": NEUTRAL,
}
POINT_LABELS = {
    "common_cause": "Common cause",
    "special_cause_improvement": "Special cause: improvement",
    "special_cause_concern": "Special cause: concern",
    "special_cause_neutral_high": "Special cause: neutral (high)",
    "special_cause_neutral_low": "Special cause: neutral (low)",
}
#: Variation badge: (colour, letter, arrow); arrow +1 up, -1 down, 0 none.
VARIATION_BADGES = {
    "common_cause": (COMMON, "~", 0),
    "improvement_high": (IMPROVEMENT, "H", 1),
    "improvement_low": (IMPROVEMENT, "L", -1),
    "concern_high": (CONCERN, "H", 1),
    "concern_low": (CONCERN, "L", -1),
    "neutral_high": (NEUTRAL, "H", 1),
    "neutral_low": (NEUTRAL, "L", -1),
}
ASSURANCE_BADGES = {
    "consistent_pass": (IMPROVEMENT, "P"),
    "consistent_fail": (CONCERN, "F"),
    "inconsistent": (COMMON, "?"),
}
VARIATION_WORDS = {
    "common_cause": "common-cause variation only",
    "improvement_high": "improving (high)",
    "improvement_low": "improving (low)",
    "concern_high": "concern (high)",
    "concern_low": "concern (low)",
    "neutral_high": "unusually high",
    "neutral_low": "unusually low",
}
ASSURANCE_WORDS = {
    "consistent_pass": "will consistently meet the target",
    "consistent_fail": "will consistently miss the target",
    "inconsistent": "may meet or miss the target",
}


def _one_facet(result, facet) -> tuple[object, pd.DataFrame, pd.Series]:
    facets = result.facets
    if facet is None:
        if len(facets) != 1:
            raise AnalysisInputError(
                "spc_chart", "facet", f"is not given but the result has {len(facets)} facets",
                expected=f"one of {facets[:8]}, or spc_small_multiples() for all of them",
            )
        facet = facets[0]
    if facet not in facets:
        raise AnalysisInputError("spc_chart", "facet", f"{facet!r} is not in the result",
                                 expected=f"one of {facets[:8]}")
    table = result.table[result.table["facet"] == facet]
    summary = result.summary[result.summary["facet"] == facet].iloc[0]
    return facet, table, summary


def _badge(ax: Axes, x0: float, colour: str, letter: str, arrow: int = 0,
           size: float = 0.1) -> Axes:
    """A round icon just above the top-right corner of ``ax`` (axes fraction coordinates).

    A letter in a ring of the icon's colour; a small triangle above (rising) or below
    (falling) the letter for the high/low variation icons.
    """
    bx = ax.inset_axes([x0, 1.01, size, size * 1.6], zorder=5)
    bx.set_xlim(-1.1, 1.1)
    bx.set_ylim(-1.1, 1.1)
    bx.set_aspect("equal", adjustable="box", anchor="SE")
    bx.axis("off")
    bx.add_patch(Circle((0, 0), 1.0, facecolor="white", edgecolor=colour, linewidth=2.0,
                        clip_on=False))
    bx.text(0, -0.25 * arrow, letter, ha="center", va="center", color=colour,
            fontsize=8, fontweight="bold")
    if arrow:
        bx.plot([0], [0.55 * arrow], marker="^" if arrow > 0 else "v", color=colour,
                markersize=5, clip_on=False)
    return bx


@themed
def spc_chart(result, facet=None, *, ax: Axes | None = None, title: str | None = None,
              ylabel: str | None = None, icons: bool = True, legend: bool = True,
              show_near: bool = False, kind: str | None = None) -> Axes:
    """Draw one facet of an SPC result on one Axes (Making Data Count style).

    Parameters
    ----------
    result : SPCResult
        From :func:`workbench.analysis.spc.spc`.
    facet : optional
        Which facet to draw; required when the result has more than one.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when absent.
    title, ylabel : str, optional
        Axis title (defaults to the facet) and y-axis label.
    icons : bool
        Draw the variation and (with a target) assurance badges, top right.
    legend : bool
        Show which colour means what.
    show_near : bool
        Also draw the two-thirds ("near") lines.
    kind : str, optional
        What the values are (``"people"``, ``"rate"``): drawn under the disclosure rule
        (:func:`~workbench.report.figure_disclosure.safe_spc`); a p'/u' result is a rate
        without being told.

    A limit cut at the possible range (``limits_cut`` in the summary, e.g. an XmR upper
    limit past 100%) is drawn at the range's end and the chart says so.

    Returns
    -------
    matplotlib.axes.Axes

    Example
    -------
    >>> import pandas as pd
    >>> from workbench.analysis.monitoring.spc import spc
    >>> df = pd.DataFrame({"m": pd.date_range("2023-01-01", periods=12, freq="MS"),
    ...                    "y": [5, 6, 5, 7, 6, 5, 6, 7, 5, 6, 5, 6]})
    >>> ax = spc_chart(spc(df, "y", "m", target=8), ylabel="Weeks")
    >>> ax.get_ylabel()
    'Weeks'
    """
    kind = spc_kind(result, kind)
    result, notes = safe_spc(result, kind)
    facet, t, s = _one_facet(result, facet)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.2))
    if str(notes.get(facet, "")).startswith("Not drawn"):
        ax.set_title(str(facet) if title is None else title, loc="left")
        ax.set_xticks([])
        ax.set_yticks([])
        note_on(ax, notes[facet], y=0.6)
        return ax
    dates = t["date"]
    gid = kinds_gid(kind or "estimate", "periods", "values")
    ax.plot(dates, t["value"], color=COMMON, linewidth=1.4, zorder=2, gid=gid)
    for pt, colour in POINT_COLOURS.items():
        sel = t["point_type"] == pt
        if sel.any():
            ax.scatter(dates[sel], t.loc[sel, "value"], s=26 if pt == "common_cause" else 38,
                       color=colour, zorder=3, edgecolor="white", linewidth=0.5, gid=gid)
    for _, g in t.groupby("rebase_group", sort=True):
        trial = bool(g["trial_limits"].iloc[0])
        style = ":" if trial else "--"
        ax.plot(g["date"], g["mean"], color="#231F20", linewidth=1.1, zorder=1)
        ax.plot(g["date"], g["upl"], color="#425563", linestyle=style, linewidth=1.0, zorder=1)
        ax.plot(g["date"], g["lpl"], color="#425563", linestyle=style, linewidth=1.0, zorder=1)
        if show_near:
            for col in ("near_upl", "near_lpl"):
                ax.plot(g["date"], g[col], color="#AEB7BD", linestyle=":", linewidth=0.8)
    if pd.notna(s["target"]):
        ax.axhline(s["target"], color=TARGET_COLOUR, linestyle="--", linewidth=1.0, zorder=1)
    ax.set_title(str(facet) if title is None else title, loc="left")
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    ax.margins(x=0.02)
    if legend:
        handles = [
            Line2D([], [], color=POINT_COLOURS[pt], marker="o", linestyle="", label=POINT_LABELS[pt])
            for pt in POINT_COLOURS if (t["point_type"] == pt).any()
        ]
        handles.append(Line2D([], [], color="#231F20", label="Mean"))
        handles.append(Line2D([], [], color="#425563", linestyle="--", label="Process limits"))
        if t["trial_limits"].any():
            handles.append(Line2D([], [], color="#425563", linestyle=":", label="Trial limits"))
        if pd.notna(s["target"]):
            handles.append(Line2D([], [], color=TARGET_COLOUR, linestyle="--", label="Target"))
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0, -0.12), ncol=3,
                  frameon=False, fontsize="small")
    if bool(s.get("limits_cut", False)):
        # a limit beyond the possible range (e.g. past 100%) is drawn at its end
        ax.text(0.01, 0.01, "Limits cut at the possible range", transform=ax.transAxes,
                fontsize="x-small", color="#425563", va="bottom", ha="left")
    if icons:
        _icons(ax, s)
    note_on(ax, notes.get(facet, ""))
    return ax


def _icons(ax: Axes, s: pd.Series, size: float = 0.08) -> None:
    colour, letter, arrow = VARIATION_BADGES[s["variation"]]
    _badge(ax, 1 - 2.1 * size if pd.notna(s["assurance"]) else 1 - size, colour, letter,
           arrow, size)
    if pd.notna(s["assurance"]):
        colour, letter = ASSURANCE_BADGES[s["assurance"]]
        _badge(ax, 1 - size, colour, letter, 0, size)


@themed
def spc_small_multiples(result, *, facets=None, ncols: int = 3, ylabel: str | None = None,
                        icons: bool = True, panel_size: tuple[float, float] = (4.0, 2.6),
                        sharey: bool = False, titles: dict | None = None,
                        kind: str | None = None) -> Figure:
    """Draw every facet of an SPC result (e.g. one panel per provider); return the Figure.

    Parameters
    ----------
    result : SPCResult
    facets : list, optional
        Which facets, in which order (default: all, in the result's order).
    ncols : int
        Panels per row.
    ylabel : str, optional
        Shared y-axis label.
    icons : bool
        Draw the variation and assurance badges in each panel.
    panel_size : (width, height)
        Size of each panel in inches.
    sharey : bool
        One y scale for all panels.
    titles : dict, optional
        ``{facet: title}``, e.g. provider names.
    kind : str, optional
        What the values are, for the disclosure rule (see :func:`spc_chart`).

    Example
    -------
    >>> import pandas as pd
    >>> from workbench.analysis.monitoring.spc import spc
    >>> m = pd.date_range("2023-01-01", periods=12, freq="MS")
    >>> df = pd.concat([pd.DataFrame({"m": m, "y": range(12), "org": o}) for o in "AB"])
    >>> fig = spc_small_multiples(spc(df, "y", "m", facet="org"), ncols=2)
    >>> len([a for a in fig.axes if a.get_title(loc="left")])
    2
    """
    facets = result.facets if facets is None else list(facets)
    if not facets:
        raise AnalysisInputError("spc_small_multiples", "facets", "is empty",
                                 expected="at least one facet")
    ncols = max(1, min(ncols, len(facets)))
    nrows = math.ceil(len(facets) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel_size[0] * ncols, panel_size[1] * nrows),
                             sharey=sharey, squeeze=False, constrained_layout=True)
    flat = axes.ravel()
    for ax, f in zip(flat, facets):
        title = (titles or {}).get(f, str(f))
        spc_chart(result, f, ax=ax, title=title, icons=icons, legend=False, kind=kind)
        ax.tick_params(axis="x", labelsize="x-small", rotation=30)
        ax.tick_params(axis="y", labelsize="small")
        ax.title.set_fontsize("small")
    for ax in flat[len(facets):]:
        ax.set_visible(False)
    if ylabel:
        fig.supylabel(ylabel)
    present = set(result.table.loc[result.table["facet"].isin(facets), "point_type"])
    if "special_cause_neutral_low" in present:
        present = (present - {"special_cause_neutral_low"}) | {"special_cause_neutral_high"}
    handles = [Line2D([], [], color=c, marker="o", linestyle="",
                      label=POINT_LABELS[p].replace(" (high)", ""))
               for p, c in POINT_COLOURS.items() if p in present]
    fig.legend(handles=handles, loc="outside lower center", ncol=4, frameon=False,
               fontsize="small")
    return fig


#: Most outliers a funnel chart labels (the most extreme first); the rest are counted.
MAX_FUNNEL_LABELS = 12


@themed
def funnel_chart(result, *, ax: Axes | None = None, title: str | None = None,
                 xlabel: str | None = None, ylabel: str | None = None,
                 label_outliers: bool = True, improvement_direction: str | None = None,
                 level: float | None = None, multiplier: float = 1.0,
                 max_labels: int = MAX_FUNNEL_LABELS, rule=None) -> Axes:
    """Draw a funnel plot from a :class:`~workbench.analysis.monitoring.funnel.FunnelResult`.

    Parameters
    ----------
    result : FunnelResult
    ax : matplotlib Axes, optional
    title, xlabel, ylabel : str, optional
    label_outliers : bool
        Write the labels of providers outside the limits at ``level``: only outliers,
        at most ``max_labels`` of them (the furthest outside first), never overlapping
        one another (a label that finds no free place nearby is left out); the chart
        says how many outliers are not labelled.
    improvement_direction : {"increase", "decrease"}, optional
        Colour high outliers blue (improvement) or orange (concern) accordingly;
        without it outliers are dark blue.
    level : float, optional
        The limit level that defines outliers (default: the widest).
    multiplier : float
        Scale ratios and limits, e.g. 100 for percentages.
    max_labels : int
        Most outlier labels to write.

    When the result is not ``comparable`` (overdispersion far beyond the usual range),
    no limits are drawn, every provider is grey and the chart says why.

    Providers are drawn under the disclosure ``rule`` (default the NHS convention,
    :func:`~workbench.report.figure_disclosure.safe_funnel`): one whose rate rests on a
    count of 1 to 7 (numerator, denominator or complement) is not drawn, and the chart
    says how many; a denominator that counts people is plotted rounded.

    Returns
    -------
    matplotlib.axes.Axes

    Example
    -------
    >>> import pandas as pd
    >>> from workbench.analysis.monitoring.funnel import funnel
    >>> df = pd.DataFrame({"p": list("ABCD"), "o": [30, 52, 90, 10], "e": [40, 50, 60, 12]})
    >>> ax = funnel_chart(funnel(df, "o", "e", label="p"), improvement_direction="decrease")
    >>> [t.get_text() for t in ax.texts]
    ['C']
    """
    from workbench.analysis.monitoring.funnel import level_key

    level = max(result.levels) if level is None else level
    key = level_key(level)
    if f"outlier_{key}" not in result.table.columns:
        raise AnalysisInputError("funnel_chart", "level", f"{level!r} was not computed",
                                 expected=f"one of {list(result.levels)}")
    result, hidden_note = safe_funnel(result, rule)
    own = ax is None
    if own:
        _, ax = plt.subplots(figsize=(7.5, 4.8))
    comparable = getattr(result, "comparable", True)
    c = result.curves
    styles = ["--", "-", "-.", ":"]
    if comparable:
        for i, lv in enumerate(sorted(result.levels)):
            k = level_key(lv)
            lab = f"{lv:g}% limits" + (" (overdispersed)" if result.adjusted else "")
            ax.plot(c["denominator"], c[f"ucl_{k}"] * multiplier, color="#425563",
                    linestyle=styles[i % 4], linewidth=1.0, label=lab)
            ax.plot(c["denominator"], c[f"lcl_{k}"] * multiplier, color="#425563",
                    linestyle=styles[i % 4], linewidth=1.0)
    ax.axhline(result.target * multiplier, color="#231F20", linewidth=1.0, label="Target")
    t = result.table
    side = t[f"side_{key}"]
    high_colour = {"increase": IMPROVEMENT, "decrease": CONCERN}.get(improvement_direction,
                                                                     NHS_DARK_BLUE)
    low_colour = {"increase": CONCERN, "decrease": IMPROVEMENT}.get(improvement_direction,
                                                                    NHS_DARK_BLUE)
    colours = np.where(side == "high", high_colour, np.where(side == "low", low_colour, COMMON))
    ax.scatter(t["denominator"], t["ratio"] * multiplier, c=list(colours), s=30, zorder=3,
               edgecolor="white", linewidth=0.5,
               gid=kinds_gid("rate", "estimate" if result.kind == "SR" else "people",
                             "providers"))
    note_on(ax, hidden_note)
    default_x = {"SR": "Expected", "PR": "Denominator (n)", "RC": "Denominator"}[result.kind]
    default_y = {"SR": "Standardised ratio", "PR": "Proportion", "RC": "Ratio"}[result.kind]
    ax.set_xlabel(xlabel or default_x)
    ax.set_ylabel(ylabel or default_y)
    if title:
        ax.set_title(title, loc="left")
    ax.legend(frameon=False, fontsize="small", loc="best")
    if not comparable:
        ax.text(0.01, 0.02, f"Not comparable as they stand (overdispersion phi = "
                            f"{result.phi:.0f}): no provider is flagged",
                transform=ax.transAxes, fontsize="small", color=NHS_DARK_BLUE, va="bottom")
    elif label_outliers:
        if own:
            ax.figure.tight_layout()   # place labels where the saved figure will have them
        _label_outliers(ax, result, level, multiplier, max_labels)
    return ax


def _label_outliers(ax: Axes, result, level: float, multiplier: float, most: int) -> None:
    """Label the outliers at ``level`` (furthest outside first) and count the rest."""
    from workbench.analysis.monitoring.funnel import level_key

    t = result.table
    out = t[t[f"outlier_{level_key(level)}"]]
    order = np.argsort(-np.abs(out["z_adjusted"].to_numpy()), kind="stable")
    placed = _label_points(ax, out.iloc[order], multiplier, max(0, int(most)))
    left = len(out) - placed
    if left:
        ax.text(0.01, 0.02, f"{left} more outside the {level:g}% limits, not labelled",
                transform=ax.transAxes, fontsize="x-small", color="#425563", va="bottom")


#: Offsets (points) tried in turn for a label, nearest first: beside the point (right, then
#: left), then stepping up and down and further out.
_LABEL_OFFSETS = sorted(((dx, dy) for dx in (4, -4, 24, -24, 48, -48)
                         for dy in (4, -10, 14, -20, 24, -30, 34, -40, 44, -50)),
                        key=lambda o: (abs(o[0]) + abs(o[1] - 4), o[0] < 0))


def _label_points(ax: Axes, rows: pd.DataFrame, multiplier: float, most: int) -> int:
    """Label up to ``most`` points greedily, no two labels overlapping; return how many."""
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    legend = ax.get_legend()
    boxes = [legend.get_window_extent(renderer)] if legend is not None else []
    n = 0
    for row in rows.itertuples(index=False):
        if n >= most:
            break
        xy = (row.denominator, row.ratio * multiplier)
        for dx, dy in _LABEL_OFFSETS:
            # a label moved away from its point gets a thin leader line
            leader = ({"arrowstyle": "-", "color": "#AEB7BD", "linewidth": 0.6,
                       "shrinkA": 0, "shrinkB": 2} if (abs(dx), dy) != (4, 4) else None)
            text = ax.annotate(str(row.label), xy, xytext=(dx, dy), textcoords="offset points",
                               fontsize="x-small", ha="left" if dx > 0 else "right",
                               va="center", arrowprops=leader)
            text.update_positions(renderer)
            box = Text.get_window_extent(text, renderer).expanded(1.05, 1.1)  # the words only
            inside = (box.x0 >= frame.x0 and box.x1 <= frame.x1 and box.y0 >= frame.y0
                      and box.y1 <= frame.y1)
            if inside and not any(box.overlaps(b) for b in boxes):
                boxes.append(box)
                n += 1
                break
            text.remove()
    return n


@themed
def funnel_small_multiples(results, *, ncols: int = 3, panel_size: tuple[float, float] =
                           (4.0, 3.0), improvement_direction: str | None = None,
                           multiplier: float = 1.0, ylabel: str | None = None,
                           xlabel: str | None = None, max_labels: int = 5) -> Figure:
    """Draw one funnel per stratum (``{stratum: FunnelResult}``) as a grid; return the Figure.

    Each panel is :func:`funnel_chart` of one stratum, titled with the stratum, with at
    most ``max_labels`` outlier labels.

    Example
    -------
    >>> import pandas as pd
    >>> from workbench.analysis.monitoring.funnel import funnel
    >>> df = pd.DataFrame({"p": list("ABCD"), "o": [30, 52, 90, 10], "e": [40, 50, 60, 12]})
    >>> fig = funnel_small_multiples({"one": funnel(df, "o", "e", label="p"),
    ...                               "two": funnel(df, "o", "e", label="p")})
    >>> [a.get_title(loc="left") for a in fig.axes if a.get_visible()]
    ['one', 'two']
    """
    if not results:
        raise AnalysisInputError("funnel_small_multiples", "results", "is empty",
                                 expected="at least one funnel result")
    ncols = max(1, min(ncols, len(results)))
    nrows = math.ceil(len(results) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel_size[0] * ncols, panel_size[1] * nrows),
                             squeeze=False, constrained_layout=True)
    flat = axes.ravel()
    for ax, (name, res) in zip(flat, results.items()):
        funnel_chart(res, ax=ax, title=str(name), improvement_direction=improvement_direction,
                     multiplier=multiplier, label_outliers=False, xlabel=" ", ylabel=" ")
        ax.title.set_fontsize("small")
        ax.tick_params(labelsize="x-small")
        legend = ax.get_legend()
        if legend is not None:
            legend.remove()
    for ax in flat[len(results):]:
        ax.set_visible(False)
    if xlabel:
        fig.supxlabel(xlabel)
    if ylabel:
        fig.supylabel(ylabel)
    fig.get_layout_engine().execute(fig)   # labels are placed in the final layout
    for ax, res in zip(flat, results.values()):
        if getattr(res, "comparable", True):
            _label_outliers(ax, res, max(res.levels), multiplier, max_labels)
    return fig
