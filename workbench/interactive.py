"""Working in JupyterLab: findings as tidy tables, and controls that re-run an analysis.

* :class:`Findings` is a list of :class:`~workbench.analysis.findings.Finding`
  that shows itself in a notebook as one table: question, estimate, 95% interval,
  p-value, n and unit (and, on synthetic data, the true value and whether the
  interval covers it). :func:`findings_table` gives the same table as a pandas
  ``Styler`` to keep styling.
* :func:`in_batch` tells a notebook whether it runs in a batch (``workbench run``,
  papermill) or in front of a person; :func:`controls` shows ipywidgets drop-downs
  that re-run a function for another choice, only in front of a person.

>>> from workbench.analysis.findings import Finding
>>> fs = Findings([Finding(id="effect:x->y@acute", question="Does x move y?", estimate=1.2,
...                        ci_low=0.5, ci_high=1.9, p_value=0.001, n=100, unit="pp")])
>>> frame = fs.frame()
>>> frame.loc[0, "95% interval"]
'0.5 to 1.9'
>>> "<table" in fs._repr_html_()
True
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from workbench.analysis.findings import Finding

#: Environment variable that marks a batch run (any non-empty value but "0").
BATCH_ENV = "WORKBENCH_BATCH"


def _number(v: Any, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, int):
        return f"{v:,}"
    if v != 0 and abs(v) < 10 ** -digits:
        return f"{v:.{digits}g}"
    return f"{round(v, digits):,g}"


def _p_value(p: Any) -> str:
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def findings_frame(findings: Iterable[Finding], truth: Mapping[str, float] | None = None,
                   ) -> pd.DataFrame:
    """Findings as a readable table, one row per finding.

    Columns: ``finding`` (the id), ``question``, ``estimate``, ``95% interval``
    (as text, "low to high"), ``p``, ``n``, ``unit``, plus ``ci_low``/``ci_high``
    as numbers; with ``truth`` (``{id: true value}``, as the synthetic generator
    writes) also ``truth`` and ``covers truth`` when any finding has a true value.

    >>> from workbench.analysis.findings import Finding
    >>> f = Finding(id="a", question="q", estimate=0.25, ci_low=0.1, ci_high=0.4, n=50)
    >>> findings_frame([f], truth={"a": 0.3})[["estimate", "95% interval", "covers truth"]]
       estimate 95% interval  covers truth
    0      0.25   0.1 to 0.4          True
    """
    from workbench.data.synth import truth_for

    findings = list(findings)
    if truth and all(truth_for(f.id, truth) is None for f in findings):
        truth = None  # none of these estimands has a known true value
    rows = []
    for f in findings:
        row = {"finding": f.id, "question": f.question, "estimate": f.estimate,
               "95% interval": (f"{_number(f.ci_low)} to {_number(f.ci_high)}"
                                if f.ci_low is not None and f.ci_high is not None else ""),
               "p": _p_value(f.p_value), "n": f.n, "unit": f.unit,
               "ci_low": f.ci_low, "ci_high": f.ci_high}
        if truth:
            t = truth_for(f.id, truth)
            row["truth"] = t
            row["covers truth"] = None if t is None else f.covers(t)
        if f.warning:
            row["warning"] = f.warning
        rows.append(row)
    columns = ["finding", "question", "estimate", "95% interval", "p", "n", "unit",
               "ci_low", "ci_high"] + (["truth", "covers truth"] if truth else [])
    frame = pd.DataFrame(rows, columns=columns + (["warning"] if any("warning" in r
                                                                      for r in rows) else []))
    return frame.astype({"estimate": "float64", "ci_low": "float64", "ci_high": "float64"})


def findings_table(findings: Iterable[Finding], truth: Mapping[str, float] | None = None):
    """The findings as a styled table (a pandas ``Styler``) for a notebook.

    Estimates whose 95% interval excludes zero are bold; on synthetic data an
    interval that misses the true value is marked. The numeric ``ci_low`` and
    ``ci_high`` columns are hidden (the text interval shows them).

    >>> from workbench.analysis.findings import Finding
    >>> styler = findings_table([Finding(id="a", question="q", estimate=1.0,
    ...                                  ci_low=0.2, ci_high=1.8)])
    >>> "0.2 to 1.8" in styler.to_html()
    True
    """
    frame = findings_frame(findings, truth)

    def emphasis(row: pd.Series) -> list[str]:
        lo, hi = row["ci_low"], row["ci_high"]
        clear = pd.notna(lo) and pd.notna(hi) and (lo > 0 or hi < 0)
        out = ["font-weight: bold" if clear and c in ("estimate", "95% interval") else ""
               for c in row.index]
        if "covers truth" in row.index and row["covers truth"] is False:
            out[list(row.index).index("covers truth")] = "color: #D5281B; font-weight: bold"
        return out

    styler = (frame.style.apply(emphasis, axis=1)
              .format({"estimate": _number, "truth": lambda v: _number(v) if v is not None
                       and pd.notna(v) else "",
                       "n": lambda v: "" if v is None or pd.isna(v) else f"{int(v):,}"},
                      na_rep="")
              .hide(axis="index")
              .hide(subset=["ci_low", "ci_high"], axis="columns")
              .set_table_styles([
                  {"selector": "th", "props": "text-align: left; background: #f0f4f5;"},
                  {"selector": "td", "props": "text-align: left; padding: 2px 8px;"},
              ]))
    return styler


class Findings(list):
    """A list of findings that shows itself in a notebook as one tidy table.

    It is a plain ``list`` otherwise (indexing, ``len``, ``for``), so code that
    takes a list of findings takes it too. ``truth`` (``{id: value}``) adds the
    true values on synthetic data.

    >>> from workbench.analysis.findings import Finding
    >>> fs = Findings([Finding(id="a", question="q", estimate=1.0)])
    >>> len(fs), fs[0].id
    (1, 'a')
    """

    def __init__(self, findings: Iterable[Finding] = (), truth: Mapping[str, float] | None = None):
        super().__init__(findings)
        self.truth = dict(truth) if truth else None

    def frame(self) -> pd.DataFrame:
        """The table as a DataFrame (see :func:`findings_frame`)."""
        return findings_frame(self, self.truth)

    def table(self):
        """The table as a pandas ``Styler`` (see :func:`findings_table`)."""
        return findings_table(self, self.truth)

    def _repr_html_(self) -> str:
        if not self:
            return "<p><i>No findings.</i></p>"
        return self.table().to_html()

    def __repr__(self) -> str:
        if not self:
            return "Findings([])"
        frame = self.frame().drop(columns=["question", "ci_low", "ci_high"])
        return frame.to_string(index=False, formatters={"estimate": _number})


def in_batch(output_dir: str | os.PathLike | None = None) -> bool:
    """True when the notebook runs in a batch rather than in front of a person.

    A batch run is marked by the ``WORKBENCH_BATCH`` environment variable, or by
    an ``output_dir`` parameter: ``workbench run`` always sets it to the run
    folder, while a notebook opened in JupyterLab leaves it empty.

    >>> in_batch(""), in_batch("outputs/default/run")
    (False, True)
    """
    flag = os.environ.get(BATCH_ENV, "")
    if flag and flag != "0":
        return True
    return bool(output_dir)


def controls(function: Callable[..., Any], options: Mapping[str, Sequence[Any]], *,
             output_dir: str | os.PathLike | None = None, title: str = "", **fixed: Any):
    """Drop-downs that re-run ``function(**choices, **fixed)`` whenever a choice changes.

    ``options`` maps each keyword of ``function`` to the values offered (plain
    values, or ``(label, value)`` pairs); the first value of each is chosen first, and the function runs once at the start. What
    the function displays, or returns, appears below the controls; ``title`` is a
    line of text above them. ``fixed`` keywords are passed on every call.

    In a batch run (see :func:`in_batch`) nothing is shown, nothing runs and
    ``None`` is returned: the controls never change what a report holds.

    >>> controls(print, {"sep": [", "]}, output_dir="outputs/run") is None
    True
    """
    if in_batch(output_dir):
        return None
    import ipywidgets as widgets
    from IPython.display import display

    from workbench.errors import WorkbenchError

    pickers = {}
    for name, values in options.items():
        values = list(values)
        if not values:
            raise ValueError(f"controls: no values offered for {name!r}")
        first = values[0][1] if isinstance(values[0], tuple) else values[0]
        pickers[name] = widgets.Dropdown(options=values, value=first, description=name,
                                         style={"description_width": "initial"})
    out = widgets.Output()

    def rerun(_change=None) -> None:
        out.clear_output(wait=True)
        with out:
            try:
                result = function(**{n: w.value for n, w in pickers.items()}, **fixed)
            except WorkbenchError as exc:  # a choice the analysis cannot use: say why
                display(widgets.HTML(f"<p style='color:#D5281B'>{html.escape(str(exc))}</p>"))
                return
            if result is not None:
                display(result)

    for w in pickers.values():
        w.observe(rerun, names="value")
    header = [widgets.HTML(f"<b>{html.escape(title)}</b>")] if title else []
    box = widgets.VBox([*header, widgets.HBox(list(pickers.values())), out])
    rerun()
    display(box)
    return box



def association(data: pd.DataFrame, exposure: str, outcome: str, *, subset: str = "acute",
                truth: Mapping[str, float] | None = None, plot: bool = True) -> Findings:
    """How ``outcome`` moves with ``exposure`` in one provider subset: a figure and a finding.

    Draws the raw picture (provider averages, a fitted line per sector) and fits
    ``outcome`` on ``exposure`` alone, adjusting for case mix and month (and
    sector when both sectors are in the subset), 95% intervals clustered by
    provider. Finding ids start ``association:``. Meant for :func:`controls`, to look at another measure
    or set of providers than a notebook's own cell did.

    >>> from workbench.data.synth import generate
    >>> panel = generate(seed=1, n_providers=60, n_months=6).panel
    >>> found = association(panel, "nurse_fte_per_10_beds", "rtt_median_weeks", plot=False)
    >>> found[0].id
    'association:nurse_fte_per_10_beds->rtt_median_weeks@acute'
    """
    from workbench.analysis import models as md
    from workbench.errors import AnalysisInputError

    for role, column in (("exposure", exposure), ("outcome", outcome)):
        if column not in data.columns:
            raise AnalysisInputError("association", role, f"column {column!r} is not in the "
                                     "panel", expected="a measure column of the panel")
    if exposure == outcome:
        raise AnalysisInputError("association", "exposure", f"{exposure!r} is also the outcome",
                                 expected="an exposure other than the outcome")
    if subset not in md.SUBSETS:
        raise AnalysisInputError("association", "subset", f"unknown subset {subset!r}",
                                 expected=f"one of {sorted(md.SUBSETS)}")
    adjust = md.CASE_MIX + (("sector_independent",) if subset == "acute" else ())
    spec = md.ModelSpec(outcome, (exposure,), tuple(a for a in adjust if a != exposure),
                        subset=subset)
    if plot:
        import matplotlib.pyplot as plt

        from workbench.report import plots

        ax = plots.relationship(md.select_subset(data, subset), exposure, outcome)
        ax.figure.tight_layout()
        plt.show()
    from workbench.data.measures import label

    question = f"How does {label(outcome)} move with {label(exposure)}?"
    # one exposure: the association, not the direct effect a notebook's fuller model
    # estimates, so its id never borrows that estimand's true value
    found = md.findings(md.fit(spec, data), question, prefix="association")
    return Findings(found, truth=truth)


def spc_chart(data: pd.DataFrame, measure: str, provider: str, *, direction: str = "",
              target: float | None = None) -> Findings:
    """One provider's SPC chart of one measure, and the finding for its latest month.

    Draws the chart (process limits, special causes, Making Data Count badges)
    and returns the provider's finding as a :class:`Findings` table. Meant for
    :func:`controls` in the SPC notebook, to look at another measure or provider.

    >>> from workbench.data.synth import generate
    >>> panel = generate(seed=3, n_providers=40, n_months=14).panel
    >>> spc_chart(panel, "rtt_median_weeks", "R002")[0].id
    'spc:rtt_median_weeks@R002'
    """
    import matplotlib.pyplot as plt

    from workbench.analysis import improvement
    from workbench.data import measures
    from workbench.report import charts

    view = improvement.spc_view(data, measure, [provider], direction=direction, target=target)
    fig = charts.spc_small_multiples(view.result, ncols=1, ylabel=measures.label(measure),
                                     panel_size=(9.0, 3.6),
                                     titles={c: f"{n} ({c})" for c, n in view.names.items()})
    plt.show()
    plt.close(fig)
    return Findings(improvement.spc_findings(view))
