"""Figures under the disclosure rule, and the data behind each saved figure.

A chart that would plot counts of people plots them under the rule of
:mod:`workbench.report.disclosure`, or says why it does not:

* an SPC chart of a **count of people** (complaints a month at one provider) plots its
  values rounded to the nearest 5; a provider with a month of 1 to 7 is not drawn at
  all (its panel says why), since neither a rounded value nor a gap would hide it from
  a reader who knows the rest (:func:`safe_spc`);
* an SPC chart of a **rate on counts** (a p' or u' chart, FFT % positive) leaves out
  each month whose rate the rule hides (a numerator, denominator or complement of 1 to
  7) and says how many;
* a **funnel plot** leaves out each provider whose rate the rule hides, and plots each
  denominator that is a count of people rounded to the nearest 5 (:func:`safe_funnel`);
  the chart says how many are not drawn.

The chart functions of :mod:`workbench.report.monitoring_charts` call these; their
analyst and their stakeholder see the same safe figure (the raw numbers stay in the
notebook's tables and findings).

:func:`figure_data` reads back what a saved figure plots (every line's and every set of
points' coordinates, the texts on it), which the session writes beside the figure
(``figures/<name>.json``), so that an output checker, or a test, can check the data
behind each figure without reading pixels.

>>> import pandas as pd
>>> from workbench.analysis.monitoring.spc import spc
>>> df = pd.DataFrame({"m": pd.date_range("2023-01-01", periods=12, freq="MS"),
...                    "y": [20, 22, 19, 23, 21, 20, 22, 24, 21, 20, 23, 22]})
>>> safe, notes = safe_spc(spc(df, "y", "m"), "people")
>>> sorted(set(safe.table["value"])), notes
([20.0, 25.0], {})
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from workbench.analysis.findings.kinds import PEOPLE, RATE, Value
from workbench.report.disclosure import DisclosureRule, show_values

#: ``gid`` prefix of the artists a chart draws under the rule: ``wb:<kind of y>:<kind of x>``.
GID = "wb"


def _small(rule: DisclosureRule, x: Any) -> bool:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return False
    return not math.isnan(x) and 0 < round(x, 9) <= rule.suppress_up_to


def _rate_hidden(rule: DisclosureRule, num: Any, den: Any, base: str = PEOPLE) -> bool:
    """Whether the rule hides a rate on these counts."""
    value = Value(1.0, RATE, numerator=num, denominator=den, base=base)
    return show_values({"v": value}, rule)["v"].hidden


def spc_kind(result, kind: str | None = None) -> str:
    """The kind of an SPC result's values: ``kind`` when given, else a rate when its table
    holds each point's ``numerator`` and ``denominator`` (a p' or u' chart), else ``""``
    (not known: drawn as it is).

    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> spc_kind(SimpleNamespace(table=pd.DataFrame(columns=["value", "numerator", "denominator"])))
    'rate'
    """
    if kind:
        return kind
    return RATE if {"numerator", "denominator"} <= set(result.table.columns) else ""


def safe_spc(result, kind: str | None = None, rule: DisclosureRule | None = None
             ) -> tuple[Any, dict[Any, str]]:
    """A copy of an SPC result fit to draw under the rule, and a note per facet that is
    not drawn (or drawn with months left out).

    ``kind`` is what the values are (:func:`spc_kind`): ``people`` (values rounded; a facet
    with a value of 1 to 7 has every value, mean and limit left out), ``rate`` (a month
    whose rate is hidden is left out), anything else (drawn as it is).

    >>> import pandas as pd
    >>> from workbench.analysis.monitoring.spc import spc
    >>> df = pd.DataFrame({"m": pd.date_range("2023-01-01", periods=12, freq="MS"),
    ...                    "y": [0, 2, 1, 0, 3, 1, 0, 0, 2, 1, 4, 1]})
    >>> safe, notes = safe_spc(spc(df, "y", "m"), "people")
    >>> bool(safe.table["value"].isna().all()), list(notes.values())[0][:9]
    (True, 'Not drawn')
    """
    rule = rule or DisclosureRule()
    kind = spc_kind(result, kind)
    table = result.table.copy()
    notes: dict[Any, str] = {}
    if kind == PEOPLE:
        for facet, rows in table.groupby("facet", sort=False):
            idx = rows.index
            if rows["value"].map(lambda x: _small(rule, x)).any():
                table.loc[idx, [c for c in ("value", "mean", "lpl", "upl", "near_lpl",
                                            "near_upl") if c in table]] = np.nan
                notes[facet] = (f"Not drawn: some months have 1 to {rule.suppress_up_to}, "
                                "which are not published")
            elif rule.round_to > 1:
                table.loc[idx, "value"] = rows["value"].map(
                    lambda x: x if pd.isna(x) else float(rule.rounded(x)))
    elif kind == RATE and {"numerator", "denominator"} <= set(table.columns):
        hide = [_rate_hidden(rule, n, d) for n, d in zip(table["numerator"],
                                                          table["denominator"])]
        hide = pd.Series(hide, index=table.index)
        table.loc[hide, "value"] = np.nan
        for facet, n in hide.groupby(table["facet"], sort=False).sum().items():
            if n:
                notes[facet] = (f"{int(n)} month(s) not drawn: their counts include 1 to "
                                f"{rule.suppress_up_to}, which are not published")
        table = table.drop(columns=["numerator", "denominator"])
    return dataclasses.replace(result, table=table), notes


def safe_funnel(result, rule: DisclosureRule | None = None) -> tuple[Any, str]:
    """A copy of a funnel result fit to draw under the rule, and a note ('' when nothing
    was left out): a provider whose rate the rule hides is left out; a denominator that is
    a count of people (not expected events) is rounded.

    >>> import pandas as pd
    >>> from workbench.analysis.monitoring.funnel import funnel
    >>> df = pd.DataFrame({"p": list("ABCD"), "o": [196, 52, 90, 30],
    ...                    "n": [197, 60, 101, 40]})
    >>> safe, note = safe_funnel(funnel(df, "o", "n", kind="PR", label="p"))
    >>> safe.table["label"].tolist(), safe.table["denominator"].tolist(), note[:1]
    (['B', 'C', 'D'], [60.0, 100.0, 40.0], '1')
    """
    rule = rule or DisclosureRule()
    t = result.table
    base = "estimate" if result.kind == "SR" else PEOPLE
    hide = pd.Series([_rate_hidden(rule, n, d, base) for n, d in zip(t["numerator"],
                                                                      t["denominator"])],
                     index=t.index, dtype=bool)
    t = t.loc[~hide].copy()
    if base == PEOPLE and rule.round_to > 1:
        t["denominator"] = t["denominator"].map(lambda x: float(rule.rounded(x)))
    t = t.drop(columns=["numerator"])
    note = (f"{int(hide.sum())} provider(s) not drawn: their counts include 1 to "
            f"{rule.suppress_up_to}, which are not published" if hide.any() else "")
    return dataclasses.replace(result, table=t.reset_index(drop=True)), note


# ---- the data behind a figure ----------------------------------------------------------

def _plain(values) -> list:
    out = []
    for v in np.asarray(values, dtype=object).ravel().tolist():
        if isinstance(v, (pd.Timestamp, np.datetime64)):
            out.append(str(pd.Timestamp(v).date()))
            continue
        try:
            x = float(v)
        except (TypeError, ValueError):
            out.append(str(v))
            continue
        out.append(None if math.isnan(x) else round(x, 10))
    return out


def figure_data(fig) -> dict[str, Any]:
    """What a figure plots, as JSON-able data: per axes its title and labels, every
    line (``x``, ``y``), every set of points (``x``, ``y``), every bar (``x``, ``height``),
    every text, the tick labels (as last drawn) and the legend's entries; each with the
    artist's ``gid`` when a chart set one (:data:`GID`: what its values are).

    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([1, 2], [3, 4], gid="wb:people:periods")
    >>> figure_data(fig)["axes"][0]["lines"][0]
    {'gid': 'wb:people:periods', 'x': [1.0, 2.0], 'y': [3.0, 4.0]}
    >>> plt.close(fig)
    """
    import matplotlib.dates as mdates
    from matplotlib.collections import PathCollection
    from matplotlib.patches import Rectangle

    axes = []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        lines = []
        for line in ax.get_lines():
            x, y = line.get_xdata(), line.get_ydata()
            if len(np.atleast_1d(x)) == 0:
                continue
            x = _plain(mdates.date2num(x) if len(x) and isinstance(
                np.atleast_1d(x)[0], (pd.Timestamp, np.datetime64)) else x)
            lines.append({"gid": line.get_gid() or "", "x": x, "y": _plain(y)})
        points = []
        for coll in ax.collections:
            if isinstance(coll, PathCollection) and len(coll.get_offsets()):
                off = np.asarray(coll.get_offsets(), dtype=float)
                points.append({"gid": coll.get_gid() or "", "x": _plain(off[:, 0]),
                               "y": _plain(off[:, 1])})
        bars = [{"gid": p.get_gid() or "", "x": _plain([p.get_x()])[0],
                 "height": _plain([p.get_height()])[0]}
                for p in ax.patches if isinstance(p, Rectangle) and p.get_width() > 0
                and p.get_gid() != "legend"]
        texts = [t.get_text() for t in ax.texts if t.get_text()]
        legend = ax.get_legend()
        axes.append({"title": ax.get_title(loc="left") or ax.get_title(),
                     "xlabel": ax.get_xlabel(), "ylabel": ax.get_ylabel(), "lines": lines,
                     "points": points, "bars": bars, "texts": texts,
                     "xticklabels": [t.get_text() for t in ax.get_xticklabels() if t.get_text()],
                     "yticklabels": [t.get_text() for t in ax.get_yticklabels() if t.get_text()],
                     "legend": [t.get_text() for t in legend.get_texts()] if legend else []})
    texts = [t.get_text() for t in fig.texts if t.get_text()]
    return {"axes": axes, "texts": texts}


def mask_figure_text(fig, replacements: list[tuple[str, str]]) -> int:
    """Apply ``replacements`` (:func:`workbench.report.masking.scrub`) to every text of a
    figure: titles, axis labels, tick labels (fixed where a formatter would write them
    again when drawn), legends, annotations and texts; the number of texts changed.

    The session calls it with the private parameters' values before a figure is saved
    (:meth:`workbench.session.Session.savefig`), so that a private value drawn into a
    title, a category or a legend stays out of the PNG, its inline copy and
    ``figures/<name>.json``.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.bar(["RX1 Example", "R2"], [3, 4]); _ = ax.set_title("Waits at RX1 Example")
    >>> mask_figure_text(fig, [("RX1 Example", "[private]")])
    2
    >>> ax.get_title(), [t.get_text() for t in ax.get_xticklabels()]
    ('Waits at [private]', ['[private]', 'R2'])
    >>> plt.close(fig)
    """
    from matplotlib.text import Text

    from workbench.report.masking import scrub

    if not replacements:
        return 0
    changed = 0
    fig.canvas.draw()  # tick labels exist once drawn; formatters write them then
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            labels = [t.get_text() for t in axis.get_ticklabels()]
            masked = [scrub(t, replacements) for t in labels]
            if masked != labels:
                axis.set_ticks(axis.get_ticklocs())
                axis.set_ticklabels(masked)
                changed += sum(a != b for a, b in zip(labels, masked))
    ticks = {id(t) for ax in fig.axes for axis in (ax.xaxis, ax.yaxis)
             for t in axis.get_ticklabels()}
    for text in fig.findobj(Text):
        if id(text) in ticks:
            continue
        old = text.get_text()
        new = scrub(old, replacements) if isinstance(old, str) else old
        if new != old:
            text.set_text(new)
            changed += 1
    return changed


def note_on(ax, text: str, *, y: float = 0.98) -> None:
    """Write a disclosure note in the top-left corner of ``ax`` (small, grey)."""
    if text:
        ax.text(0.01, y, text, transform=ax.transAxes, fontsize="x-small", color="#425563",
                va="top", ha="left", wrap=True)


def kinds_gid(y_kind: str, x_kind: str = "", name: str = "") -> str:
    """The ``gid`` of an artist drawn under the rule.

    >>> kinds_gid("rate", "people", "providers")
    'wb:rate:people:providers'
    """
    return ":".join([GID, y_kind or "", x_kind or "", name])


def recorded_kinds(data: Mapping[str, Any]) -> set[str]:
    """The kinds a recorded figure (:func:`figure_data`) says it plots.

    >>> recorded_kinds({"axes": [{"lines": [{"gid": "wb:people:periods:values"}],
    ...                           "points": [], "bars": []}]})
    {'people'}
    """
    out = set()
    for ax in data.get("axes", []):
        for group in ("lines", "points", "bars"):
            for item in ax.get(group, []):
                gid = str(item.get("gid") or "")
                if gid.startswith(GID + ":"):
                    out.add(gid.split(":")[1])
    return out
