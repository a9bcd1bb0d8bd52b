"""Working in JupyterLab: findings as tidy tables, and controls that re-run an analysis.

* :class:`~workbench.analysis.findings.record.Findings` (a list of findings) shows itself in
  a notebook as one table: question, estimate, 95% interval, p-value, n and unit
  (and, on synthetic data, the true value and whether the interval covers it);
  :func:`workbench.start` styles that table in a notebook (:func:`use_styled_findings`),
  and :func:`findings_table` gives it as a pandas ``Styler``.
* :func:`in_batch` tells a notebook whether it runs in a batch (``workbench run``,
  papermill) or in front of a person; :func:`controls` shows ipywidgets drop-downs
  that re-run a function for another choice, only in front of a person.

>>> from workbench.analysis.findings.record import Finding, Findings
>>> fs = Findings([Finding(id="effect:x->y@acute", question="Does x move y?", estimate=1.2,
...                        ci_low=0.5, ci_high=1.9, p_value=0.001, n=100, unit="pp")])
>>> fs.readable().loc[0, "95% interval"]
'0.5 to 1.9'
>>> "0.5 to 1.9" in findings_table(fs).to_html()
True
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from workbench.analysis.findings.record import Finding, Findings
from workbench.analysis.models import fit as md
from workbench.analysis.questions import spc_monitoring
from workbench.data import measures
from workbench.errors import AnalysisInputError, WorkbenchError
from workbench.report import monitoring_charts, panel_figures, tables

#: Environment variable that marks a batch run (any non-empty value but "0").
BATCH_ENV = "WORKBENCH_BATCH"
#: Keywords of :func:`controls` whose values name measures of the data.
MEASURE_OPTIONS = ("measure", "exposure", "outcome")


def measure_choices(values: Sequence[Any], data: pd.DataFrame | None = None) -> list[Any]:
    """The measures a control offers: ``values`` (plain names or ``(label, name)`` pairs)
    that ``data`` holds, then the measures the data's declaration puts in use
    (:func:`workbench.data.measures.in_use`: a table of the user's own) that the data hold
    and ``values`` do not name; when there are such, every choice is a ``(label, name)``
    pair (a drop-down takes one form or the other). Without ``data``, ``values`` as given.

    >>> import pandas as pd
    >>> from workbench.data.measures import Measure, extended
    >>> wards = pd.DataFrame({"chppd": [7.5], "fft_pct_positive": [90.0]})
    >>> with extended([Measure("chppd", "staffing", "hours", True, 0, 40,
    ...                        "Care hours per patient day")]):
    ...     measure_choices(["rtt_median_weeks", "fft_pct_positive"], wards)
    [('FFT positive responses (%)', 'fft_pct_positive'), ('Care hours per patient day', 'chppd')]
    """
    values = list(values)
    if data is None:
        return values
    held = set(map(str, data.columns))
    names = [v[1] if isinstance(v, tuple) else v for v in values]
    kept = [v for v, n in zip(values, names) if n in held]
    declared = [(m.label, name) for name, m in measures.in_use().items()
                if name in held and name not in names]
    if not declared:
        return kept
    # a drop-down takes plain values or (label, value) pairs, not both
    return [v if isinstance(v, tuple) else (measures.label(v), v) for v in kept] + declared


def findings_table(findings: Iterable[Finding], truth: Mapping[str, float] | None = None):
    """The findings as a styled table (a pandas ``Styler``); see
    :func:`workbench.report.tables.findings_table`.
    """
    return tables.findings_table(findings, truth)


def _styled_html(findings: Findings) -> str:
    if not findings:
        return "<p><i>No findings.</i></p>"
    return tables.findings_table(findings, findings.truth).to_html()


def use_styled_findings() -> bool:
    """Show :class:`~workbench.analysis.findings.record.Findings` as the styled table in IPython.

    Called by :func:`workbench.session.start` in a running IPython kernel (a notebook):
    estimates whose interval excludes zero are bold and missed true values marked.
    Returns False outside IPython.

    >>> use_styled_findings()
    False
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return False
    shell = get_ipython()
    if shell is None:
        return False
    shell.display_formatter.formatters["text/html"].for_type(Findings, _styled_html)
    return True


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

    With the data as a fixed keyword (``data=s.panel``), the keywords that name measures
    (:data:`MEASURE_OPTIONS`: ``measure``, ``exposure``, ``outcome``) offer the measures
    listed that the data hold and, after them, every measure the data's declaration
    puts in use (a table of your own: its labels shown), see :func:`measure_choices`.

    In a batch run (see :func:`in_batch`) nothing is shown, nothing runs and
    ``None`` is returned: the controls never change what a report holds.

    >>> controls(print, {"sep": [", "]}, output_dir="outputs/run") is None
    True
    """
    if in_batch(output_dir):
        return None
    import ipywidgets as widgets
    from IPython.display import display

    pickers = {}
    data = fixed.get("data")
    for name, values in options.items():
        values = list(values)
        if name in MEASURE_OPTIONS and isinstance(data, pd.DataFrame):
            values = measure_choices(values, data)
        if not values:
            raise AnalysisInputError("controls", "options", f"no values offered for {name!r}",
                                     expected="at least one value per control")
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
    ``outcome`` on ``exposure`` alone, adjusting for case mix (the measures of it the
    panel holds) and month (and, in the ``acute`` subset, sector when both sectors are
    in it), 95% intervals clustered by provider. A table of wards, sites or services
    (no settings) is taken whole (``subset="all"``). A subset the panel cannot support (no rows, fewer than 5 providers with
    complete data) raises an :class:`~workbench.errors.AnalysisInputError` naming it,
    before anything is drawn. Finding ids start ``association:``. Meant for :func:`controls`, to look at another measure
    or set of providers than a notebook's own cell did.

    >>> from workbench.data.synth import generate
    >>> panel = generate(seed=1, n_providers=60, n_months=6).panel
    >>> found = association(panel, "nurse_fte_per_10_beds", "rtt_median_weeks", plot=False)
    >>> found[0].id
    'association:nurse_fte_per_10_beds->rtt_median_weeks@acute'
    """
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
    if subset != "all" and "setting" not in data.columns:
        raise AnalysisInputError("association", "subset", f"{subset!r} needs providers with "
                                 "settings, and the panel has none (a table of wards, sites "
                                 "or services)", expected="subset='all'")
    rows = md.select_subset(data, subset)
    if rows.empty:
        held = [k for k in md.SUBSETS if not md.select_subset(data, k).empty]
        raise AnalysisInputError("association", "subset", f"{subset!r} "
                                 f"({md.SUBSETS[subset]}) has no rows in this panel",
                                 expected=f"a subset with providers in the panel: {held}")
    both_sectors = "sector" in rows.columns and rows["sector"].nunique() > 1
    case_mix = tuple(c for c in md.CASE_MIX if c in rows.columns and rows[c].notna().any())
    adjust = case_mix + (("sector_independent",) if subset == "acute" and both_sectors
                         else ())
    spec = md.ModelSpec(outcome, (exposure,), tuple(a for a in adjust if a != exposure),
                        subset=subset)
    # fit before drawing: a subset too thin for the model stops here with its message
    fitted = md.fit(spec, data)
    if plot:
        import matplotlib.pyplot as plt

        hue = "sector" if "sector" in rows.columns else "units"
        ax = panel_figures.relationship(rows.assign(units="all"), exposure, outcome, hue=hue)
        ax.figure.tight_layout()
        plt.show()
    question = (f"How does {measures.label(outcome)} move with "
                f"{measures.label(exposure)}?")
    # one exposure: the association, not the direct effect a notebook's fuller model
    # estimates, so its id never borrows that estimand's true value
    found = fitted.findings(question, prefix="association")
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

    view = spc_monitoring.spc_view(data, measure, [provider], direction=direction, target=target)
    fig = monitoring_charts.spc_small_multiples(view.result, ncols=1,
                                                ylabel=measures.label(measure),
                                                panel_size=(9.0, 3.6),
                                                titles={c: f"{n} ({c})" for c, n in view.names.items()})
    plt.show()
    plt.close(fig)
    return view.findings()
