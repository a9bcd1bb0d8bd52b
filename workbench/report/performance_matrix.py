r"""The integrated performance report's page parts: the summary matrix with the Making Data
Count icons, the icons' legend, and every measure's SPC chart on one figure.

The report is built by
:func:`workbench.analysis.questions.integrated_performance_report.performance_report`;
these functions show it:

* :func:`performance_matrix`: the summary matrix, one row per measure (measure and which
  way is better, latest month, latest value, target, variation icon, assurance icon, the
  reading in words), as a typed phrase whose text is a Markdown table: every number is a
  typed value (:mod:`workbench.analysis.findings.kinds`), so the report shows it under the
  study's disclosure rule (a rate on small counts hidden, a count of people rounded), as
  notebook 04's sentences do;
* :func:`icon_legend`: what each icon means, in words;
* :func:`performance_charts`: one SPC chart per charted measure
  (:func:`~workbench.report.monitoring_charts.spc_chart`, its badges included).

The icons are drawn here (:func:`icon_png`): a ring in the Making Data Count colour
(blue improvement, orange concern, grey common cause or hit and miss, purple neither
better nor worse) around a letter (H high, L low, P pass, F fail, ? hit and miss, ~ common
cause) and, for a high or low point, an arrow: the same badges as the charts'
(:data:`~workbench.report.monitoring_charts.VARIATION_BADGES`,
:data:`~workbench.report.monitoring_charts.ASSURANCE_BADGES`), never NHS England's image
files. Letter and arrow carry the meaning without the colour, and every icon has its
description as alternative text (:data:`VARIATION_ICONS`, :data:`ASSURANCE_ICONS`).

>>> from workbench.analysis.questions.integrated_performance_report import performance_report
>>> from workbench.data.synth import generate
>>> r = performance_report(generate(seed=3, n_providers=40, n_months=14).panel,
...                        [{"measure": "rtt_median_weeks", "target": 18}], ["R001"])
>>> table = performance_matrix(r)
>>> table.text().splitlines()[0]
'| Measure | Latest month | Latest value | Target | Variation | Assurance | Reading |'
>>> 'alt="Variation icon: common cause' in table.text()
True
"""

from __future__ import annotations

import base64
import io
import math
from functools import cache

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Polygon

from workbench.analysis.findings import kinds as K
from workbench.errors import AnalysisInputError
from workbench.report.monitoring_charts import (
    ASSURANCE_BADGES,
    POINT_COLOURS,
    POINT_LABELS,
    TARGET_COLOUR,
    VARIATION_BADGES,
    spc_chart,
)
from workbench.report.notebook_text import escape_markdown
from workbench.report.theme import themed

#: Each variation icon: (name, what it looks like, what it means), in words.
VARIATION_ICONS: dict[str, tuple[str, str, str]] = {
    "common_cause": ("common cause", "grey ring around a wave (~)",
                     ("common cause variation: the latest month is within the usual ups and "
                     "downs; no sign of change")),
    "improvement_high": ("improvement, high", "blue ring around H, arrow up",
                         "special cause variation of an improving nature, from higher values"),
    "improvement_low": ("improvement, low", "blue ring around L, arrow down",
                        "special cause variation of an improving nature, from lower values"),
    "concern_high": ("concern, high", "orange ring around H, arrow up",
                     "special cause variation of a concerning nature, from higher values"),
    "concern_low": ("concern, low", "orange ring around L, arrow down",
                    "special cause variation of a concerning nature, from lower values"),
    "neutral_high": ("unusually high", "purple ring around H, arrow up",
                     ("special cause variation from higher values, for a measure where "
                     "neither direction is better")),
    "neutral_low": ("unusually low", "purple ring around L, arrow down",
                    ("special cause variation from lower values, for a measure where neither "
                    "direction is better")),
}
#: Each assurance icon: (name, what it looks like, what it means), in words.
ASSURANCE_ICONS: dict[str, tuple[str, str, str]] = {
    "consistent_pass": ("consistently met", "blue ring around P",
                        ("the process limits lie wholly on the good side of the target: it "
                        "will be met every month unless the process changes")),
    "consistent_fail": ("consistently missed", "orange ring around F",
                        ("the process limits lie wholly on the bad side of the target: it "
                        "will be missed every month unless the process changes")),
    "inconsistent": ("hit and miss", "grey ring around a question mark",
                     ("the target lies between the process limits: some months will meet it "
                     "and some will miss it, by chance alone")),
}
#: Size of an icon on the page (CSS pixels); the image is drawn at twice that.
ICON_PX = 26

#: Columns of the matrix, and how each is aligned.
COLUMNS = ("Measure", "Latest month", "Latest value", "Target", "Variation", "Assurance",
           "Reading")
_ALIGN = ("---", "---", "---:", "---:", "---", "---", "---")


@cache
def icon_png(kind: str, code: str, px: int = 2 * ICON_PX) -> bytes:
    r"""The PNG image of one icon, ``px`` pixels square: ``kind`` ``"variation"`` (a code
    of :data:`VARIATION_ICONS`) or ``"assurance"`` (of :data:`ASSURANCE_ICONS`). The
    same icon gives the same bytes.

    >>> png = icon_png("variation", "improvement_high")
    >>> png[:8] == b"\x89PNG\r\n\x1a\n", png == icon_png("variation", "improvement_high")
    (True, True)
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    colour, letter, arrow = _badge(kind, code)
    dpi = 100
    fig = Figure(figsize=(px / dpi, px / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(-1.1, 1.1)
    ax.set_ylim(-1.1, 1.1)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.add_patch(Circle((0, 0), 0.9, facecolor="white", edgecolor=colour,
                        linewidth=px / 14))
    ax.text(0, -0.28 * arrow, letter, ha="center", va="center", color=colour,
            fontsize=px * (0.36 if arrow else 0.5), fontweight="bold")
    if arrow:
        tip = 0.72 * arrow
        ax.add_patch(Polygon([(-0.28, tip - 0.32 * arrow), (0.28, tip - 0.32 * arrow),
                              (0, tip)], closed=True, facecolor=colour, edgecolor="none"))
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=dpi, transparent=True, metadata={"Software": None})
    return out.getvalue()


def _badge(kind: str, code: str) -> tuple[str, str, int]:
    """(colour, letter, arrow) of an icon."""
    if kind not in ("variation", "assurance"):
        raise AnalysisInputError("icon_png", "kind", f"is {kind!r}",
                                 expected="'variation' or 'assurance'")
    known = VARIATION_BADGES if kind == "variation" else ASSURANCE_BADGES
    if code not in known:
        raise AnalysisInputError("icon_png", "code", f"is {code!r}",
                                 expected=f"a {kind} code among {list(known)}")
    return known[code] if kind == "variation" else (*known[code], 0)


def icon_alt(kind: str, code: str) -> str:
    """An icon described in words, for its alternative text.

    >>> icon_alt("assurance", "inconsistent")
    'Assurance icon: hit and miss (grey ring around a question mark)'
    """
    table = VARIATION_ICONS if kind == "variation" else ASSURANCE_ICONS
    name, looks, _ = table[code]
    return f"{kind.capitalize()} icon: {name} ({looks})"


def icon_html(kind: str, code: str, px: int = ICON_PX) -> str:
    """An icon as an ``<img>`` with its description as alternative text (a PNG in a
    ``data:`` address, which the report's sanitiser keeps).

    >>> icon_html("variation", "concern_low")[:40]
    '<img src="data:image/png;base64,iVBORw0K'
    """
    data = base64.b64encode(icon_png(kind, code, 2 * px)).decode("ascii")
    return (f'<img src="data:image/png;base64,{data}" alt="{icon_alt(kind, code)}" '
            f'title="{icon_alt(kind, code)}" width="{px}" height="{px}">')


def _cell(text: object) -> str:
    """Text from data or the registry as a table cell of a phrase's template."""
    return escape_markdown(text).replace("\n", " ").replace("{", "{{").replace("}", "}}")


def performance_matrix(report) -> K.Phrase:
    """The summary matrix of an integrated performance report (see the module
    docstring), as a typed phrase whose text is a Markdown table.

    ``report`` is a
    :class:`~workbench.analysis.questions.integrated_performance_report.PerformanceReport`.
    A measure that could not be charted keeps its row, with the reason as its reading.

    >>> from workbench.analysis.questions.integrated_performance_report import (
    ...     performance_report)
    >>> from workbench.data.synth import generate
    >>> r = performance_report(generate(seed=3, n_providers=40, n_months=14).panel,
    ...                        ["complaints"], ["R001"])
    >>> p = performance_matrix(r)
    >>> p.values["v0"].kind, p.values["v0"].unit
    ('people', 'complaints')
    """
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "|".join(_ALIGN) + "|"]
    values: dict[str, K.Value | str] = {}
    for i, r in enumerate(report.measures):
        latest = "Not held"
        if r.latest is not None:
            values[f"v{i}"] = r.latest
            latest = f"{{v{i}}}"
        target = "No target"
        if r.target_value is not None:
            values[f"t{i}"] = r.target_value
            target = f"{{t{i}}}"
        variation = "Not charted"
        if r.variation:
            variation = (f"{icon_html('variation', r.variation)} "
                         f"{_cell(VARIATION_ICONS[r.variation][0].capitalize())}")
        if r.assurance:
            assurance = (f"{icon_html('assurance', r.assurance)} "
                         f"{_cell(ASSURANCE_ICONS[r.assurance][0].capitalize())}")
        elif not r.charted:
            assurance = "Not charted"
        else:
            assurance = "No target" if r.spec.target is None else "No assurance"
        month = "" if r.latest_month is None else f"{r.latest_month:%B %Y}"
        lines.append("| " + " | ".join([
            f"{_cell(r.spec.label)}<br>{_cell(r.spec.better)}", month, latest, target,
            variation, assurance, _cell(r.reading)]) + " |")
    return K.Phrase("\n".join(lines), values)


def icon_legend() -> K.Phrase:
    """What each icon means, in words: the variation icons (of the latest month) and the
    assurance icons (of the target), each with its look described.

    >>> print(icon_legend().text().splitlines()[0])
    **Variation** (what the latest month shows):
    """
    lines = ["**Variation** (what the latest month shows):", ""]
    for code, (name, looks, means) in VARIATION_ICONS.items():
        lines.append(f"- {icon_html('variation', code, 20)} **{name.capitalize()}** "
                     f"({looks}): {means}.")
    lines += ["", "**Assurance** (will the target be met?):", ""]
    for code, (name, looks, means) in ASSURANCE_ICONS.items():
        lines.append(f"- {icon_html('assurance', code, 20)} **{name.capitalize()}** "
                     f"({looks}): {means}.")
    lines += ["", ("No assurance icon: the measure has no target, or neither direction is "
                  "better.")]
    return K.Phrase("\n".join(lines).replace("{", "{{").replace("}", "}}"), {})


@themed
def performance_charts(report, *, ncols: int = 2,
                       panel_size: tuple[float, float] = (5.4, 3.2)) -> Figure:
    r"""Every charted measure's SPC chart of an integrated performance report, one panel
    each (:func:`~workbench.report.monitoring_charts.spc_chart` with its badges, under
    the disclosure rule of what it plots), titled with the measure and its chart; return
    the Figure. With no charted measure the figure says so.

    >>> from workbench.analysis.questions.integrated_performance_report import (
    ...     performance_report)
    >>> from workbench.data.synth import generate
    >>> r = performance_report(generate(seed=3, n_providers=40, n_months=14).panel,
    ...                        ["rtt_median_weeks", "fft_pct_positive"], ["R001"])
    >>> fig = performance_charts(r)
    >>> [a.get_title(loc="left") for a in fig.axes if a.get_title(loc="left")]
    ['RTT median wait (weeks)\nXmR chart', "FFT positive responses (%)\np' chart"]
    """
    charted = list(report.charted)
    if not charted:
        fig, ax = plt.subplots(figsize=panel_size)
        ax.axis("off")
        ax.text(0.5, 0.5, "No measure could be charted (see the notes)", ha="center",
                va="center")
        return fig
    ncols = max(1, min(ncols, len(charted)))
    nrows = math.ceil(len(charted) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel_size[0] * ncols,
                                                    panel_size[1] * nrows),
                             squeeze=False, constrained_layout=True)
    flat = axes.ravel()
    present: set[str] = set()
    targets = False
    for ax, r in zip(flat, charted):
        view = r.view
        chart = "XmR chart" if view.chart == "xmr" else f"{view.chart} chart"
        spc_chart(view.result, view.providers[0], ax=ax, title=f"{r.spec.label}\n{chart}",
                  icons=True, legend=False, kind=r.chart_kind or None)
        ax.tick_params(axis="x", labelsize="x-small", rotation=30)
        ax.tick_params(axis="y", labelsize="small")
        ax.title.set_fontsize("small")
        present |= set(view.result.table["point_type"])
        targets = targets or r.spec.target is not None
    for ax in flat[len(charted):]:
        ax.set_visible(False)
    if "special_cause_neutral_low" in present:
        present = (present - {"special_cause_neutral_low"}) | {"special_cause_neutral_high"}
    handles = [Line2D([], [], color=c, marker="o", linestyle="",
                      label=POINT_LABELS[p].replace(" (high)", ""))
               for p, c in POINT_COLOURS.items() if p in present]
    handles.append(Line2D([], [], color="#425563", linestyle="--", label="Process limits"))
    if targets:
        handles.append(Line2D([], [], color=TARGET_COLOUR, linestyle="--", label="Target"))
    fig.legend(handles=handles, loc="outside lower center", ncol=3, frameon=False,
               fontsize="small")
    return fig


__all__ = ["ASSURANCE_ICONS", "ICON_PX", "VARIATION_ICONS", "icon_alt", "icon_html",
           "icon_legend", "icon_png", "performance_charts", "performance_matrix"]
