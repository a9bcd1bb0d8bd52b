"""HTML for people who do not read code: a run's report and a study's index page.

:func:`render_report` turns an executed notebook into a self-contained page
(figures embedded) with no code, no parameters cells, no stderr streams or
tracebacks and no local absolute paths, headed by the study, the run's
parameters, when it ran, and a provenance line. :func:`render_index` lists the
runs of a study with their status, key findings and a sortable table of every
finding with Benjamini-Hochberg adjusted p-values. Everything shown passes through
:mod:`workbench.report.disclosure` (small counts suppressed) and parameters a study
marks ``private`` are shown as ``[private]``.

>>> import nbformat
>>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Waits\\ntext")])
>>> notebook_title(nb, "fallback")
'Waits'
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import nbformat

from workbench.analysis import formatting
from workbench.finding_id import FindingId
from workbench.report.disclosure import DisclosureRule, rule_from_study, suppress_html

if TYPE_CHECKING:
    import pandas as pd

TEMPLATES = Path(__file__).resolve().parent / "templates"
#: Name of the nbconvert template (a folder under templates/nbconvert/).
REPORT_TEMPLATE = "workbench_report"
#: Cell tags whose cells never reach a report.
DROPPED_TAGS = frozenset({"parameters", "injected-parameters", "papermill-error-cell-tag",
                          "remove-cell", "remove_cell"})
#: Findings shown per run on the index page.
KEY_FINDINGS = 3
#: Finding sentences shown in a report's header.
HEADER_FINDINGS = 8
#: How a private parameter's value is shown.
PRIVATE = "[private]"
#: Notebook metadata a report keeps (everything else, e.g. papermill's parameters, goes).
KEPT_METADATA = ("kernelspec", "language_info")

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_QUESTION = re.compile(r"\*\*(?:The question|The claims?|Question)\.?\*\*\.?\s*(.+?)(?:\n\s*\n|$)",
                       re.DOTALL | re.IGNORECASE)
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


def notebook_question(nb: nbformat.NotebookNode) -> str:
    """The question a notebook answers, in plain words.

    The paragraph after a bold ``**The question.**`` (or ``**The claim.**``) in a
    markdown cell, else the first paragraph after the notebook's title; '' if none.

    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
    ...     "# T\\n\\n**The question.** Do *longer* waits lower satisfaction?\\n\\nMore.")])
    >>> notebook_question(nb)
    'Do longer waits lower satisfaction?'
    """
    first = ""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        m = _QUESTION.search(cell.source)
        if m:
            return _plain_markdown(m.group(1))
        if not first:
            paragraphs = [p.strip() for p in re.split(r"\n\s*\n", cell.source)]
            body = [p for p in paragraphs if p and not _HEADING.match(p)]
            first = _plain_markdown(body[0]) if body else ""
    return first


def _plain_markdown(text: str) -> str:
    return " ".join(_MD_MARKUP.sub(lambda x: x.group(1) or "", text).split())


def notebook_parameter_values(nb: nbformat.NotebookNode | str | Path,
                              names: Iterable[str]) -> dict[str, Any]:
    """Values of ``names`` set in a notebook's parameters and injected-parameters cells
    (literals only; the injected value wins). {} when the notebook is missing.

    >>> cell = nbformat.v4.new_code_cell('trust = "RX1"  # a provider\\nk = 2')
    >>> cell.metadata["tags"] = ["parameters"]
    >>> notebook_parameter_values(nbformat.v4.new_notebook(cells=[cell]), ["trust"])
    {'trust': 'RX1'}
    """
    import ast

    if not isinstance(nb, nbformat.NotebookNode):
        if not Path(nb).is_file():
            return {}
        nb = nbformat.read(str(nb), as_version=4)
    wanted, out = set(names), {}
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell.cell_type != "code" or not tags & {"parameters", "injected-parameters"}:
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in tree.body:
            target = getattr(node, "targets", [getattr(node, "target", None)])[0] \
                if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
            if isinstance(target, ast.Name) and target.id in wanted and node.value is not None:
                try:
                    out[target.id] = ast.literal_eval(node.value)
                except ValueError:
                    continue
    return out


def private_replacements(parameters: Mapping[str, Any],
                         private: Iterable[str]) -> list[tuple[str, str]]:
    """(old, new) replacements hiding the values of private parameters in report text.

    Text values and numbers written with at least 4 characters are replaced (shorter
    ones would match unrelated text).

    >>> private_replacements({"trust": "RX1 Example", "k": 2}, ["trust", "k"])
    [('RX1 Example', '[private]')]
    """
    out = []
    for name in private:
        value = parameters.get(name)
        texts = value if isinstance(value, (list, tuple)) else [value]
        for v in texts:
            if v is None or isinstance(v, bool):
                continue
            text = str(v)
            if len(text) >= 4:
                out.append((text, PRIVATE))
    return sorted(set(out), key=lambda kv: len(kv[0]), reverse=True)


def mask_private(findings: pd.DataFrame, private: Iterable[str]) -> pd.DataFrame:
    """A copy of a findings table with private parameter values shown as ``[private]``
    in its ``parameters`` column (dicts or JSON text) and scrubbed from its text.

    >>> import pandas as pd
    >>> t = pd.DataFrame({"id": ["a"], "parameters": ['{"trust": "RX1 Example"}']})
    >>> mask_private(t, ["trust"])["parameters"].tolist()
    ['{"trust": "[private]"}']
    """
    private = list(private)
    if not private or "parameters" not in findings.columns:
        return findings.copy()
    out = findings.copy()
    masked, repl = [], []
    for value in out["parameters"]:
        params = json.loads(value) if isinstance(value, str) and value.startswith("{") \
            else value
        if isinstance(params, dict):
            repl += private_replacements(params, private)
            params = {k: PRIVATE if k in private else v for k, v in params.items()}
            value = json.dumps(params, sort_keys=True) if isinstance(value, str) else params
        masked.append(value)
    out["parameters"] = masked
    repl = sorted(set(repl), key=lambda kv: len(kv[0]), reverse=True)
    for col in out.columns:
        if col != "parameters" and out[col].map(lambda v: isinstance(v, str)).any():
            out[col] = out[col].map(lambda v: _scrub(v, repl) if isinstance(v, str) else v)
    return out


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
                       hide_paths: Mapping[str | Path, str] | None = None,
                       rule: DisclosureRule | None = None,
                       hide_values: list[tuple[str, str]] | None = None) -> nbformat.NotebookNode:
    """A copy of ``nb`` fit for a report.

    Drops raw cells and cells tagged ``parameters``, ``injected-parameters``,
    papermill's error markers or ``remove-cell``; drops stderr streams and error
    outputs; drops code cells left without output; replaces each path in
    ``hide_paths`` by its label, and each ``(old, new)`` of ``hide_values`` (private
    parameter values), in every text output and markdown cell; suppresses small
    counts in every HTML table output (``rule``, default the NHS convention); keeps
    only :data:`KEPT_METADATA` of the notebook's metadata and no cell metadata.
    """
    nb = copy.deepcopy(nb)
    rule = rule or DisclosureRule()
    repl = path_replacements(hide_paths or {}) + list(hide_values or [])
    cells = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell.cell_type == "raw" or tags & DROPPED_TAGS:
            continue
        cell.metadata = nbformat.NotebookNode()
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
                    if mime == "text/html" and isinstance(value, str):
                        out.data[mime] = suppress_html(out.data[mime], rule)
                    if mime.startswith("application/") and "json" in mime:
                        del out.data[mime]  # widget state and the like: not for readers
                out.metadata = nbformat.NotebookNode()
            outputs.append(out)
        if outputs:
            cell.outputs = outputs
            cell.source = ""
            cells.append(cell)
    nb.cells = cells
    nb.metadata = nbformat.NotebookNode({k: nb.metadata[k] for k in KEPT_METADATA
                                         if k in nb.metadata})
    return nb


def render_report(nb: nbformat.NotebookNode | str | Path, header: Mapping[str, Any],
                  hide_paths: Mapping[str | Path, str] | None = None) -> str:
    """HTML of an executed notebook without code, headed by ``header``.

    ``header`` holds ``title`` (optional: defaults to the notebook's first
    heading), ``question`` (optional: defaults to :func:`notebook_question`),
    ``study``, ``parameters`` (dict), ``private`` (names of parameters whose values
    are shown as ``[private]`` and scrubbed from the text), ``disclosure`` (a
    study's ``disclosure:`` block or a :class:`DisclosureRule`), ``data`` (the
    session's data record: ``synthetic``, ``source``, ``period``, ``providers``),
    ``findings`` (finding records; their sentences head the report), ``started``,
    ``duration``, ``status``, ``error`` ('' when ok), ``data_sha256``,
    ``notebook``, ``notebook_sha256``, ``workbench_version`` and ``git_commit``.
    Hashes and the commit are shortened to 12 characters.

    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('hi')")])
    >>> nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi\\n")]
    >>> html = render_report(nb, {"study": "demo"})
    >>> "print(" in html, "hi" in html
    (False, True)
    """
    from nbconvert import HTMLExporter

    if not isinstance(nb, nbformat.NotebookNode):
        nb = nbformat.read(str(nb), as_version=4)
    info = {"title": "", "question": "", "study": "", "parameters": {}, "private": [],
            "disclosure": None, "data": {}, "findings": [], "started": "", "duration": "",
            "status": "ok", "error": "", "data_sha256": "", "notebook": "",
            "notebook_sha256": "", "workbench_version": "", "git_commit": None}
    info.update(header)
    info["title"] = info["title"] or notebook_title(nb, info["notebook"] or "Report")
    info["question"] = info["question"] or notebook_question(nb)
    for key in ("data_sha256", "notebook_sha256", "git_commit"):
        info[key] = short_hash(info[key])
    rule = info["disclosure"] if isinstance(info["disclosure"], DisclosureRule) \
        else rule_from_study(info["disclosure"], "disclosure")
    raw_params = dict(info["parameters"] or {})
    private = [str(n) for n in info["private"] or []]
    hide_values = private_replacements({**notebook_parameter_values(nb, private), **raw_params},
                                       private)
    info["parameters"] = {k: PRIVATE if k in private else display_value(v)
                          for k, v in raw_params.items()}
    info["data"] = data_banner(info["data"] or {})
    repl = path_replacements(hide_paths or {}) + hide_values
    info["sentences"] = [_scrub(t, repl) for t in finding_sentences(info["findings"])]
    info["n_more_findings"] = max(0, len(headline_findings(info["findings"]))
                                  - len(info["sentences"]))
    info["error"] = _scrub(str(info["error"] or ""), repl)
    info["disclosure_note"] = (f"Counts of 1 to {rule.suppress_up_to} are shown as "
                               f"{rule.symbol}" if rule.suppress_up_to else "")
    if rule.round_to > 1:
        info["disclosure_note"] += ((", other counts" if info["disclosure_note"] else "Counts")
                                    + f" are rounded to the nearest {rule.round_to}")
    report_nb = prepare_for_report(nb, hide_paths, rule=rule, hide_values=hide_values)
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
    return _scrub(html, repl)


def data_banner(record: Mapping[str, Any]) -> dict[str, Any]:
    """The data lines of a report or index header, from a session's data record.

    >>> data_banner({"synthetic": True, "period": "April 2023 to June 2023", "providers": 40})["banner"]
    'SYNTHETIC DATA: made by the workbench to test its methods; no real provider, patient or member of staff is described.'
    """
    synthetic = bool(record.get("synthetic"))
    return {"synthetic": synthetic, "source": str(record.get("source") or ""),
            "period": str(record.get("period") or ""),
            "providers": record.get("providers"),
            "banner": ("SYNTHETIC DATA: made by the workbench to test its methods; no real "
                       "provider, patient or member of staff is described.") if synthetic
            else ""}


def headline_findings(findings: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Findings worth a sentence in a header: those with one, robustness checks
    (variants of an estimand, see :class:`~workbench.finding_id.FindingId`) left out."""
    return [f for f in findings if (f.get("sentence") or "").strip()
            and not FindingId.parse(str(f.get("id", ""))).robustness]


def finding_sentences(findings: Iterable[Mapping[str, Any]], n: int = HEADER_FINDINGS) -> list[str]:
    """Up to ``n`` plain sentences (with intervals) of the findings, in file order.

    >>> finding_sentences([{"id": "e:a->b@nhs", "sentence": "Waits were 1.0 weeks shorter."},
    ...                    {"id": "e:a->b@nhs#mixed", "sentence": "Same, mixed model."}])
    ['Waits were 1.0 weeks shorter.']
    """
    return [str(f["sentence"]).strip() for f in headline_findings(findings)[:n]]


def report_context(folder: str | Path) -> dict[str, Any]:
    """What a run folder tells the report header beyond the manifest: the session's
    data record (``data.json``) and the findings (``findings.json``), when present.

    >>> report_context("/nonexistent")
    {}
    """
    folder = Path(folder)
    out: dict[str, Any] = {}
    for key, name in (("data", "data.json"), ("findings", "findings.json")):
        path = folder / name
        if path.is_file():
            out[key] = json.loads(path.read_text(encoding="utf-8"))
    return out


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
        else formatting.number(value)


def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                              autoescape=jinja2.select_autoescape(["html", "j2"]),
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def key_findings(findings: Iterable[Mapping[str, Any]], n: int = KEY_FINDINGS,
                 repl: list[tuple[str, str]] | None = None) -> list[dict]:
    """The first ``n`` findings formatted for the index page.

    Findings with a plain sentence (robustness checks left out) come first and are
    shown as that sentence; others as label, estimate, interval and unit.

    >>> key_findings([{"id": "e:a->b@nhs", "sentence": "Waits were 1 week shorter (95% CI 0.5 to 1.5).",
    ...                "estimate": -1.0}])[0]["sentence"]
    'Waits were 1 week shorter (95% CI 0.5 to 1.5).'
    """
    findings = list(findings)
    heads = headline_findings(findings)
    rest = [f for f in findings if f not in heads]
    out = []
    for f in (heads + rest)[:n]:
        interval = formatting.interval(f.get("ci_low"), f.get("ci_high"))
        sentence = str(f.get("sentence") or "").strip() if f in heads else ""
        out.append({"label": f.get("question") or f.get("id", ""),
                    "sentence": _scrub(sentence, repl or []),
                    "estimate": formatting.number(f.get("estimate")), "interval": interval,
                    "unit": f.get("unit") or ""})
    return out


def render_index(study: Mapping[str, Any], runs: Iterable[Mapping[str, Any]]) -> str:
    """The study's index page.

    ``study`` holds ``name``, ``title``, ``data_sha256``, ``workbench_version``,
    ``git_commit`` and optionally ``data`` (a session's data record, for the
    synthetic banner and period), ``private`` (parameter names shown as
    ``[private]``) and ``disclosure`` (the study's ``disclosure:`` block). Each run
    holds ``run_id``, ``title``, ``parameters``, ``status`` (``ok`` | ``failed``),
    ``duration_s``, ``error`` (one line, '' when ok), ``report_href`` (relative
    link or ''), ``findings`` (records as in findings.json), ``cached`` (True
    when the run's outputs were reused from an earlier identical run rather than
    executed again) and optionally ``private_values`` (values of private parameters
    the run used without the study setting them, e.g. notebook defaults; see
    :func:`notebook_parameter_values`), which are scrubbed from the page.

    Below the runs, every finding of the study in one table that sorts (click a
    column heading) and filters (type in the box) in the page, with its
    Benjamini-Hochberg adjusted p-value (:func:`study_findings`) beside the raw one.

    >>> html = render_index({"name": "s", "title": "S"}, [{"run_id": "nb", "title": "NB",
    ...     "parameters": {}, "status": "failed", "duration_s": 1.5,
    ...     "error": "ValueError: boom", "report_href": "", "findings": []}])
    >>> "ValueError: boom" in html
    True
    """
    runs = list(runs)
    rule = study.get("disclosure")
    rule = rule if isinstance(rule, DisclosureRule) else rule_from_study(rule, "disclosure")
    private = [str(n) for n in study.get("private") or []]
    study_info = {"name": study.get("name", ""), "title": study.get("title") or study.get("name"),
                  "data_sha256_short": short_hash(study.get("data_sha256")),
                  "workbench_version": study.get("workbench_version", ""),
                  "git_commit": short_hash(study.get("git_commit")),
                  "data": data_banner(study.get("data") or {})}
    rows = []
    for run in runs:
        findings = list(run.get("findings") or [])
        params = dict(run.get("parameters") or {})
        repl = private_replacements({**(run.get("private_values") or {}), **params}, private)
        rows.append({
            "run_id": run["run_id"], "title": run.get("title") or run["run_id"],
            "parameters": {k: PRIVATE if k in private else display_value(v)
                           for k, v in params.items()},
            "status": run.get("status", "failed"),
            "duration": format_duration(run.get("duration_s")),
            "duration_s": run.get("duration_s") or 0,
            "error": _scrub(run.get("error") or "", repl),
            "report_href": run.get("report_href") or "",
            "cached": bool(run.get("cached")),
            "findings": key_findings(findings, repl=repl),
            "more_findings": max(0, len(findings) - KEY_FINDINGS),
        })
    summary = {"n_runs": len(rows), "n_ok": sum(r["status"] == "ok" for r in rows),
               "n_failed": sum(r["status"] != "ok" for r in rows),
               "n_cached": sum(r["cached"] for r in rows)}
    table = study_findings(runs, rule=rule, private=private)
    template = _environment().get_template("index.html.j2")
    return template.render(study=study_info, runs=rows, summary=summary, findings=table,
                           n_tests=sum(1 for f in table if f["p_adjusted"]))


def study_findings_frame(runs: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Every finding of the runs as one tidy frame, ``run_id`` first, with
    Benjamini-Hochberg adjusted p-values (``p_adjusted``).

    The frame is :func:`~workbench.analysis.findings.findings_frame` of each run's
    findings; the family adjusted together is every finding with a p-value except
    robustness checks (variants of an estimand already in the family), which keep
    their raw p-value only and get no ``p_adjusted``. The study's ``findings.csv`` and
    its index page both use this frame.

    >>> frame = study_findings_frame([{"run_id": "r", "findings": [
    ...     {"id": "e:a->b@nhs", "question": "q", "estimate": 1.0, "p_value": 0.01},
    ...     {"id": "e:a->b@nhs#fe", "question": "q", "estimate": 1.1, "p_value": 0.02},
    ...     {"id": "funnel:m@X1#2026-03", "question": "q", "estimate": 3.0, "p_value": 0.04}]}])
    >>> frame[["id", "p_adjusted"]].to_dict("list")
    {'id': ['e:a->b@nhs', 'e:a->b@nhs#fe', 'funnel:m@X1#2026-03'], 'p_adjusted': [0.02, nan, 0.04]}
    """
    import pandas as pd

    from workbench.analysis.findings import findings_frame
    from workbench.analysis.multiple import adjust_p

    frames = []
    for run in runs:
        records = list(run.get("findings") or [])
        if records:
            df = findings_frame(records, flat=True)
            df.insert(0, "run_id", run["run_id"])
            frames.append(df)
    if not frames:
        empty = findings_frame([], flat=True)
        empty.insert(0, "run_id", pd.Series(dtype=object))
        empty["p_adjusted"] = pd.Series(dtype="float64")
        return empty
    table = pd.concat(frames, ignore_index=True)
    table["p_value"] = pd.to_numeric(table["p_value"], errors="coerce")
    return adjust_p(table, exclude="robustness")


def study_findings(runs: Iterable[Mapping[str, Any]], rule: DisclosureRule | None = None,
                   private: Iterable[str] = ()) -> list[dict[str, str]]:
    """Every finding of the runs as display rows, with Benjamini-Hochberg p-values.

    The family is every finding with a p-value except robustness checks of the same
    estimand (variants such as ``...#mixed``), which keep their raw p-value only
    (see :func:`study_findings_frame`). ``n`` passes through the disclosure ``rule``.

    >>> rows = study_findings([{"run_id": "r", "findings": [
    ...     {"id": "e:a->b@nhs", "estimate": 1.0, "p_value": 0.01, "n": 5},
    ...     {"id": "e:a->c@nhs", "estimate": 2.0, "p_value": 0.04, "n": 120}]}])
    >>> [(r["p_value"], r["p_adjusted"], r["n"]) for r in rows]
    [('0.01', '0.02', '*'), ('0.04', '0.04', '120')]
    """
    rule = rule or DisclosureRule()
    private = list(private)
    records = []
    for run in runs:
        for f in run.get("findings") or []:
            records.append((run, f))
    if not records:
        return []
    adjusted = study_findings_frame(runs)["p_adjusted"].tolist()
    out = []
    for (run, f), q in zip(records, adjusted):
        repl = private_replacements({**(run.get("private_values") or {}),
                                     **(run.get("parameters") or {})}, private)
        lo, hi = f.get("ci_low"), f.get("ci_high")
        out.append({
            "run_id": run["run_id"], "report_href": run.get("report_href") or "",
            "id": str(f.get("id", "")),
            "finding": _scrub(str(f.get("sentence") or f.get("question") or f.get("id", "")),
                              repl),
            "estimate": formatting.number(f.get("estimate")),
            "interval": formatting.interval(lo, hi),
            "unit": str(f.get("unit") or ""), "model": str(f.get("model") or ""),
            "p_value": formatting.p_value(f.get("p_value")),
            "p_adjusted": formatting.p_value(q),
            "n": rule.count_text(f.get("n")),
            "sort": {"estimate": _sort_key(f.get("estimate")), "p_value": _sort_key(f.get("p_value")),
                     "p_adjusted": _sort_key(q),
                     "n": _sort_key(_disclosed_number(rule, f.get("n")))},
            "warning": _scrub(str(f.get("warning") or ""), repl),
        })
    return out


def _sort_key(x: Any) -> str:
    """A number as text for the page's sorting script ('' sorts last)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return repr(float(x))


def _disclosed_number(rule: DisclosureRule, n: Any) -> float | None:
    text = rule.count_text(n)
    try:
        return float(text)
    except ValueError:
        return 0.0 if text == rule.symbol else None


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
