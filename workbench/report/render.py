"""HTML for people who do not read code: a run's report and a study's index page.

:func:`render_report` turns an executed notebook into a self-contained page
(figures embedded) with no code, no parameters cells, no stderr streams or
tracebacks and no local absolute paths, headed by the study, the run's
parameters, when it ran, and a provenance line. :func:`render_index` lists the
runs of a study with their status and key findings.

>>> import nbformat
>>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Waits\\ntext")])
>>> notebook_title(nb, "fallback")
'Waits'
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jinja2
import nbformat

TEMPLATES = Path(__file__).resolve().parent / "templates"
#: Name of the nbconvert template (a folder under templates/nbconvert/).
REPORT_TEMPLATE = "workbench_report"
#: Cell tags whose cells never reach a report.
DROPPED_TAGS = frozenset({"parameters", "injected-parameters", "papermill-error-cell-tag",
                          "remove-cell", "remove_cell"})
#: Findings shown per run on the index page.
KEY_FINDINGS = 3

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_FORMULA = re.compile(r"\$[^$\n]+\$|\\\(|\\\[|\\begin\{")
_MD_MARKUP = re.compile(r"[*_`]+|\[([^\]]*)\]\([^)]*\)")


def notebook_title(nb: nbformat.NotebookNode, fallback: str) -> str:
    """Text of the first markdown heading in the notebook, else ``fallback``."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        m = _HEADING.search(cell.source)
        if m:
            return _MD_MARKUP.sub(lambda x: x.group(1) or "", m.group(1)).strip()
    return fallback


def _scrub(text: str, replacements: list[tuple[str, str]]) -> str:
    for old, new in replacements:
        text = text.replace(old, new)
    return text


def path_replacements(paths: Mapping[str | Path, str]) -> list[tuple[str, str]]:
    """(old, new) text replacements for absolute paths, longest first.

    Each path is replaced with its label, and ``path + "/"`` with ``label + "/"``
    (or with nothing when the label is ``"."``), so that
    ``/tmp/run/findings.json`` becomes ``findings.json``.

    >>> path_replacements({"/tmp/run": "."})
    [('/tmp/run/', ''), ('/tmp/run', '.')]
    """
    out: list[tuple[str, str]] = []
    for path, label in paths.items():
        p = str(path).rstrip("/")
        if len(p) < 2:
            continue
        out.append((p + "/", "" if label == "." else label + "/"))
        out.append((p, label))
    return sorted(out, key=lambda kv: len(kv[0]), reverse=True)


def prepare_for_report(nb: nbformat.NotebookNode,
                       hide_paths: Mapping[str | Path, str] | None = None) -> nbformat.NotebookNode:
    """A copy of ``nb`` fit for a report.

    Drops raw cells and cells tagged ``parameters``, ``injected-parameters``,
    papermill's error markers or ``remove-cell``; drops stderr streams and error
    outputs; drops code cells left without output; replaces each path in
    ``hide_paths`` by its label in every text output and markdown cell.
    """
    nb = copy.deepcopy(nb)
    repl = path_replacements(hide_paths or {})
    cells = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell.cell_type == "raw" or tags & DROPPED_TAGS:
            continue
        if cell.cell_type == "markdown":
            cell.source = _scrub(cell.source, repl)
            cells.append(cell)
            continue
        outputs = []
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                continue
            if out.output_type == "stream":
                if out.name == "stderr":
                    continue
                out.text = _scrub(out.text, repl)
            elif "data" in out:
                for mime, value in list(out.data.items()):
                    if isinstance(value, str) and (mime.startswith("text/")
                                                   or mime == "image/svg+xml"):
                        out.data[mime] = _scrub(value, repl)
            outputs.append(out)
        if outputs:
            cell.outputs = outputs
            cell.source = ""
            cells.append(cell)
    nb.cells = cells
    nb.metadata.pop("papermill", None)
    return nb


def render_report(nb: nbformat.NotebookNode | str | Path, header: Mapping[str, Any],
                  hide_paths: Mapping[str | Path, str] | None = None) -> str:
    """HTML of an executed notebook without code, headed by ``header``.

    ``header`` holds ``title`` (optional: defaults to the notebook's first
    heading), ``study``, ``parameters`` (dict), ``started``, ``duration``,
    ``status``, ``error`` ('' when ok), ``data_sha256``, ``notebook``,
    ``notebook_sha256``, ``workbench_version`` and ``git_commit``. Hashes and the
    commit are shortened to 12 characters.

    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('hi')")])
    >>> nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi\\n")]
    >>> html = render_report(nb, {"study": "demo"})
    >>> "print(" in html, "hi" in html
    (False, True)
    """
    from nbconvert import HTMLExporter

    if not isinstance(nb, nbformat.NotebookNode):
        nb = nbformat.read(str(nb), as_version=4)
    info = {"title": "", "study": "", "parameters": {}, "started": "", "duration": "",
            "status": "ok", "error": "", "data_sha256": "", "notebook": "",
            "notebook_sha256": "", "workbench_version": "", "git_commit": None}
    info.update(header)
    info["title"] = info["title"] or notebook_title(nb, info["notebook"] or "Report")
    for key in ("data_sha256", "notebook_sha256", "git_commit"):
        info[key] = short_hash(info[key])
    info["parameters"] = {k: display_value(v) for k, v in (info["parameters"] or {}).items()}
    report_nb = prepare_for_report(nb, hide_paths)
    info["needs_mathjax"] = any(c.cell_type == "markdown" and _FORMULA.search(c.source)
                                for c in report_nb.cells)
    exporter = HTMLExporter(template_name=REPORT_TEMPLATE,
                            extra_template_basedirs=[str(TEMPLATES / "nbconvert")])
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.embed_images = True
    resources = {"workbench": info, "metadata": {"name": info["title"]}}
    html, _ = exporter.from_notebook_node(report_nb, resources=resources)
    return html


def short_hash(value: str | None, n: int = 12) -> str:
    """First ``n`` characters of a hash, or ``'none'``.

    >>> short_hash("0123456789abcdef"), short_hash(None)
    ('0123456789ab', 'none')
    """
    return value[:n] if value else "none"


def display_value(value: Any) -> str:
    """A parameter value as a reader sees it: text bare, lists comma-separated."""
    if isinstance(value, str):
        return value if value else '""'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(display_value(v) for v in value) + "]"
    return repr(value) if not isinstance(value, (int, float)) or isinstance(value, bool) \
        else format_number(value)


def format_number(x: Any, digits: int = 3) -> str:
    """A number with ``digits`` significant digits (integers in full), '' for missing.

    >>> format_number(0.123456), format_number(1234567), format_number(None), format_number(12.0)
    ('0.123', '1234567', '', '12')
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if isinstance(x, int) and not isinstance(x, bool):
        return str(x)
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.{digits}g}" if isinstance(x, (int, float)) else str(x)


def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                              autoescape=jinja2.select_autoescape(["html", "j2"]),
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def key_findings(findings: Iterable[Mapping[str, Any]], n: int = KEY_FINDINGS) -> list[dict]:
    """The first ``n`` findings (in file order) formatted for the index page."""
    out = []
    for f in list(findings)[:n]:
        lo, hi = f.get("ci_low"), f.get("ci_high")
        interval = f"{format_number(lo)} to {format_number(hi)}" if lo is not None \
            and hi is not None else ""
        out.append({"label": f.get("question") or f.get("id", ""),
                    "estimate": format_number(f.get("estimate")), "interval": interval,
                    "unit": f.get("unit") or ""})
    return out


def render_index(study: Mapping[str, Any], runs: Iterable[Mapping[str, Any]]) -> str:
    """The study's index page.

    ``study`` holds ``name``, ``title``, ``data_sha256``, ``workbench_version`` and
    ``git_commit``. Each run holds ``run_id``, ``title``, ``parameters``,
    ``status`` (``ok`` | ``failed``), ``duration_s``, ``error`` (one line, '' when
    ok), ``report_href`` (relative link or ''), ``findings`` (records as in
    findings.json) and ``cached`` (True when the run's outputs were reused from an
    earlier identical run rather than executed again).

    >>> html = render_index({"name": "s", "title": "S"}, [{"run_id": "nb", "title": "NB",
    ...     "parameters": {}, "status": "failed", "duration_s": 1.5,
    ...     "error": "ValueError: boom", "report_href": "", "findings": []}])
    >>> "ValueError: boom" in html
    True
    """
    runs = list(runs)
    study_info = {"name": study.get("name", ""), "title": study.get("title") or study.get("name"),
                  "data_sha256_short": short_hash(study.get("data_sha256")),
                  "workbench_version": study.get("workbench_version", ""),
                  "git_commit": short_hash(study.get("git_commit"))}
    rows = []
    for run in runs:
        findings = list(run.get("findings") or [])
        rows.append({
            "run_id": run["run_id"], "title": run.get("title") or run["run_id"],
            "parameters": {k: display_value(v) for k, v in (run.get("parameters") or {}).items()},
            "status": run.get("status", "failed"),
            "duration": format_duration(run.get("duration_s")),
            "error": run.get("error") or "", "report_href": run.get("report_href") or "",
            "cached": bool(run.get("cached")),
            "findings": key_findings(findings),
            "more_findings": max(0, len(findings) - KEY_FINDINGS),
        })
    summary = {"n_runs": len(rows), "n_ok": sum(r["status"] == "ok" for r in rows),
               "n_failed": sum(r["status"] != "ok" for r in rows),
               "n_cached": sum(r["cached"] for r in rows)}
    template = _environment().get_template("index.html.j2")
    return template.render(study=study_info, runs=rows, summary=summary)


def format_duration(seconds: float | None) -> str:
    """Seconds as ``4.2 s`` or ``3 min 5 s``.

    >>> format_duration(4.23), format_duration(185), format_duration(None)
    ('4.2 s', '3 min 5 s', '')
    """
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs} s"
