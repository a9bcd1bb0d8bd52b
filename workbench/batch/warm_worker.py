"""Imported by the fork server that local workers are forked from: warms what every
worker would otherwise build on its first run.

A worker's first report costs about 0.35 s of CPU more than the next ones: nbconvert
loads and compiles the report templates, the HTML parser's CSS selectors and the
disclosure rule's regular expressions are compiled, and nbformat builds its schema
validator. Each of these is kept for the life of a process. Rendering one small report
here, before the server forks, gives every worker them ready (copy-on-write), so the
work is done once per batch instead of once per worker.

Warming is an optimisation only: if it fails, workers build these themselves.

>>> import workbench.batch.warm_worker as w
>>> w.WARMED in (True, False)
True
"""

from __future__ import annotations


def _warm() -> bool:
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
    return True


try:
    WARMED = _warm()
except Exception:  # noqa: BLE001 - an optimisation: each worker builds what it needs itself
    WARMED = False
