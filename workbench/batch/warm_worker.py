"""Warm the process local workers are forked from: build what every worker would otherwise
build on its first run.

A worker's first report costs about 0.35 s of CPU more than the next ones: nbconvert
loads and compiles the report templates, the HTML parser's CSS selectors and the
disclosure rule's regular expressions are compiled, and nbformat builds its schema
validator. Each of these is kept for the life of a process. :func:`warm` renders one
small report before the workers are forked (called by
:func:`~workbench.batch.executors.local.prepare_worker_parent`), giving every worker them
ready (copy-on-write), so the work is done once per batch instead of once per worker.

Warming is an optimisation only: if it fails, workers build these themselves.
"""

from __future__ import annotations

import functools


def _render_small_report() -> None:
    """Validate and render a two-cell notebook with a table, as a run's report is."""
    import nbformat

    from workbench.report.run_report import render_report

    table = "<table><thead><tr><th>providers</th></tr></thead><tbody><tr><td>12</td></tr>" \
            "</tbody></table>"
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="12 patients\n"),
                    nbformat.v4.new_output("display_data", data={"text/html": table,
                                                                 "text/plain": "table"})]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Warm-up\n\n3 patients"),
                                         cell])
    nbformat.validate(nbformat.reads(nbformat.writes(nb), as_version=4))
    render_report(nb, {"study": "warm-up", "findings": [], "disclosure": {}})


@functools.cache
def warm() -> bool:
    """Render one small report in this process, once (later calls return the first
    answer); True when it was rendered, False when rendering failed (workers then build
    what they need themselves).

    >>> warm() in (True, False)
    True
    """
    try:
        _render_small_report()
    except Exception:  # noqa: BLE001 - an optimisation: each worker builds what it needs itself
        return False
    return True
