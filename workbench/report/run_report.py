"""A run's report: HTML of an executed notebook for people who do not read code.

:func:`render_report` turns an executed notebook into a self-contained page (figures
embedded) with no code, no parameters cells, no stderr streams or tracebacks and no
local absolute paths, headed by the study, the run's parameters, when it ran, the
data it read, its findings as sentences, and a provenance line. Everything shown
passes through :mod:`workbench.report.disclosure` (small counts of people hidden,
others rounded, in tables, sentences, Markdown and printed text; what changed is
logged in the run's ``disclosure.json``), parameters a study marks ``private`` are
shown as ``[private]`` (:mod:`workbench.report.masking`), and the finished page is
rebuilt by the one sanitiser (:func:`workbench.report.sanitise.sanitise_page`), so
nothing in it can run code whatever the data held. The header pieces (:func:`data_banner`,
:func:`headline_findings`, :func:`display_value`, :func:`short_hash`) also head the
study's index page (:mod:`workbench.report.study_index`).

>>> data_banner({"synthetic": False, "source": "NHS open data"})["source"]
'NHS open data'
"""

from __future__ import annotations

import copy
import json
import math
import re
import threading
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat

from workbench.analysis.findings import formatting
from workbench.finding_id import FindingId
from workbench.report.alt_text import describe_figures
from workbench.report.disclosure import (
    PHRASE_MIME,
    DisclosureLog,
    DisclosureRule,
    disclose_finding,
    disclose_phrase,
    disclose_text,
    rule_from_study,
    suppress_html,
)
from workbench.report.glossary import GLOSSARY_PAGE
from workbench.report.masking import (
    path_replacements,
    private_label,
    private_replacements,
    scrub,
)
from workbench.report.notebook_text import (
    escape_markdown,
    notebook_parameter_values,
    notebook_question,
    notebook_title,
)
from workbench.report.output_checks import write_checks
from workbench.report.sanitise import sanitise_page

TEMPLATES = Path(__file__).resolve().parent / "templates"
#: Name of the nbconvert template (a folder under templates/nbconvert/).
REPORT_TEMPLATE = "workbench_report"
#: Cell tags whose cells never reach a report.
DROPPED_TAGS = frozenset({"parameters", "injected-parameters", "papermill-error-cell-tag",
                          "remove-cell", "remove_cell"})
#: Finding sentences shown in a report's header: the question's answer in two to four
#: sentences (headline findings only); the rest are counted ("n more findings below").
HEADER_FINDINGS = 4
#: Cell tag of a notebook cell that belongs in the report's technical appendix: robustness
#: checks, diagnostics, model details and analyst-only tables (see :func:`prepare_for_report`).
APPENDIX_TAG = "appendix"
#: Cell metadata key the report sets on the first cell of the technical appendix (the
#: template opens the appendix's section there); no other cell metadata is kept.
APPENDIX_MARK = "wb_appendix"
#: Heading of the technical appendix, and the sentence under it.
APPENDIX_TITLE = "Technical appendix"
APPENDIX_NOTE = ("For analysts and reviewers: the robustness checks, diagnostics, model "
                 "details and detailed tables behind the findings above. A reader of the "
                 "findings does not need this section.")
#: The glossary page, at the top of a study's output folder and of its ``public/`` copy
#: (:mod:`workbench.report.glossary`); a report links it from its run folder.
GLOSSARY_HREF = f"../{GLOSSARY_PAGE}"
#: Notebook metadata a report keeps (everything else, e.g. papermill's parameters, goes).
KEPT_METADATA = ("kernelspec", "language_info")
#: The run's disclosure log, written beside ``report.html`` (see :func:`write_report`).
DISCLOSURE_FILE = "disclosure.json"
#: Lines of a report that say when the run happened (all else is the same for the
#: same inputs: see :func:`without_run_times`).
RUN_TIME_LINE = re.compile(r"^.*<dt>Run</dt>.*$", re.MULTILINE)


def prepare_for_report(nb: nbformat.NotebookNode,
                       hide_paths: Mapping[str | Path, str] | None = None,
                       rule: DisclosureRule | None = None,
                       hide_values: list[tuple[str, str]] | None = None,
                       log: DisclosureLog | None = None) -> nbformat.NotebookNode:
    """A copy of ``nb`` fit for a report.

    Drops raw cells and cells tagged ``parameters``, ``injected-parameters``,
    papermill's error markers or ``remove-cell``; drops stderr streams and error
    outputs; drops code cells left without output; replaces each path in
    ``hide_paths`` by its label, and each ``(old, new)`` of ``hide_values`` (private
    parameter values), in every text output and markdown cell; shows counts of
    people by the disclosure ``rule`` (default the NHS convention) in every HTML
    table and text (:func:`~workbench.report.disclosure.suppress_html`) and in
    markdown cells, Markdown outputs, printed and plain text
    (:func:`~workbench.report.disclosure.disclose_text`), recording each change in
    ``log``; keeps only :data:`KEPT_METADATA` of the notebook's metadata and no
    cell metadata. Cells tagged ``appendix`` (:data:`APPENDIX_TAG`) move to the end,
    in their order; the first of them is marked (:data:`APPENDIX_MARK`) for the
    template, which puts them in the section "Technical appendix".

    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x")])
    >>> nb.cells[0].outputs = [nbformat.v4.new_output("display_data",
    ...     data={"text/markdown": "Only 3 patients replied."})]
    >>> prepare_for_report(nb).cells[0].outputs[0].data["text/markdown"]
    'Only * patients replied.'
    """
    nb = copy.deepcopy(nb)
    rule = rule or DisclosureRule()
    repl = path_replacements(hide_paths or {}) + list(hide_values or [])
    cells, appendix = [], []
    for i, cell in enumerate(nb.cells):
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell.cell_type == "raw" or tags & DROPPED_TAGS:
            continue
        kept = appendix if APPENDIX_TAG in tags else cells
        cell.metadata = nbformat.NotebookNode()
        where = f"cell {i}"
        if cell.cell_type == "markdown":
            cell.source = disclose_text(scrub(cell.source, repl), rule, log=log,
                                        where="markdown cell", location=where)
            kept.append(cell)
            continue
        outputs = []
        for j, out in enumerate(cell.get("outputs", [])):
            place = f"{where} output {j}"
            if out.output_type == "error":
                continue
            if out.output_type == "stream":
                if out.name == "stderr":
                    continue
                out.text = disclose_text(scrub(out.text, repl), rule, log=log, where="text",
                                         location=place)
            elif "data" in out:
                typed = _typed_or_richest(out, rule, log, place, repl)
                for mime, value in ([] if typed else list(out.data.items())):
                    if isinstance(value, str) and (mime.startswith("text/")
                                                   or mime == "image/svg+xml"):
                        out.data[mime] = scrub(value, repl)
                    if mime == "text/html" and isinstance(value, str):
                        out.data[mime] = suppress_html(out.data[mime], rule, log=log,
                                                       location=place)
                    elif mime in ("text/markdown", "text/plain", "text/latex") \
                            and isinstance(value, str):
                        out.data[mime] = disclose_text(
                            out.data[mime], rule, log=log, location=place,
                            where="markdown" if mime == "text/markdown" else "text")
                    if mime.startswith("application/") and "json" in mime:
                        del out.data[mime]  # widget state and the like: not for readers
                out.metadata = nbformat.NotebookNode()
            outputs.append(out)
        if outputs:
            cell.outputs = outputs
            cell.source = ""
            kept.append(cell)
    if appendix:
        appendix[0].metadata[APPENDIX_MARK] = True
    nb.cells = cells + appendix
    nb.metadata = nbformat.NotebookNode({k: nb.metadata[k] for k in KEPT_METADATA
                                         if k in nb.metadata})
    return nb


#: Output types a report shows in preference to plain text (nbconvert's order): an
#: output that has one of them keeps no ``text/plain`` (never shown, never checked).
RICH_MIMES = ("text/html", "text/markdown", "image/png", "image/jpeg", "image/svg+xml",
              "text/latex")


def _typed_or_richest(out: nbformat.NotebookNode, rule: DisclosureRule,
                      log: DisclosureLog | None, place: str,
                      repl: list[tuple[str, str]]) -> bool:
    """An output's data as a report shows it (True when it was typed). Typed sentences
    (:data:`~workbench.analysis.findings.kinds.PHRASE_MIME`) become Markdown built from
    their typed values under the rule (text values scrubbed of private values and
    escaped), replacing the analyst's text; an output with a richer form drops its plain
    text.
    """
    data = out.data
    typed = data.get(PHRASE_MIME)
    if isinstance(typed, Mapping) and isinstance(typed.get("phrases"), list):
        lines = [disclose_phrase(ph, rule, log=log, where="sentence", location=place,
                                 escape=lambda t: escape_markdown(scrub(t, repl)))
                 if "template" in ph else
                 escape_markdown(disclose_text(scrub(str(ph.get("text", "")), repl), rule,
                                               log=log, where="markdown", location=place))
                 for ph in typed["phrases"] if isinstance(ph, Mapping)]
        text = "\n".join(("- " + t) if typed.get("bullets") else t for t in lines)
        out.data = nbformat.NotebookNode({"text/markdown": text})
        return True
    data.pop(PHRASE_MIME, None)
    if any(m in data for m in RICH_MIMES):
        data.pop("text/plain", None)
    return False


def render_report(nb: nbformat.NotebookNode | str | Path, header: Mapping[str, Any],
                  hide_paths: Mapping[str | Path, str] | None = None,
                  log: DisclosureLog | None = None) -> str:
    r"""HTML of an executed notebook without code, headed by ``header``, sanitised.

    ``header`` holds ``title`` (optional: defaults to the notebook's first
    heading), ``question`` (optional: defaults to :func:`notebook_question`),
    ``study``, ``parameters`` (dict), ``private`` (names of parameters whose values
    are shown as ``[private]`` and scrubbed from the text), ``disclosure`` (a
    study's ``disclosure:`` block or a :class:`DisclosureRule`), ``data`` (the
    session's data record: ``synthetic``, ``source``, ``period``, ``providers``),
    ``findings`` (finding records; their sentences head the report), ``started``,
    ``duration``, ``status``, ``error`` ('' when ok), ``data_sha256``,
    ``notebook``, ``notebook_sha256``, ``workbench_version``, ``git_commit`` and
    ``glossary`` (the link to the study's glossary page, :data:`GLOSSARY_HREF` by
    default; '' for none). Hashes and the commit are shortened to 12 characters.

    The header holds the question and its answer: at most :data:`HEADER_FINDINGS`
    headline findings as sentences, then how many more findings the report holds; cells
    tagged ``appendix`` follow the rest of the report in a section "Technical appendix"
    (:func:`prepare_for_report`), which the header points to. What the disclosure rule
    hid or rounded is recorded in ``log``. The page holds no script: it is rebuilt
    by :func:`~workbench.report.sanitise.sanitise_page`. A figure without alternative
    text gets the page's words about it (:func:`~workbench.report.alt_text.describe_figures`).

    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('hi')")])
    >>> nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi\n")]
    >>> html = render_report(nb, {"study": "demo"})
    >>> "print(" in html, "hi" in html
    (False, True)
    """
    if not isinstance(nb, nbformat.NotebookNode):
        nb = nbformat.read(str(nb), as_version=4)
    info = {"title": "", "question": "", "study": "", "parameters": {}, "private": [],
            "disclosure": None, "data": {}, "findings": [], "started": "", "duration": "",
            "status": "ok", "error": "", "data_sha256": "", "notebook": "",
            "notebook_sha256": "", "workbench_version": "", "git_commit": None,
            "glossary": GLOSSARY_HREF}
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
    info["parameters"] = {k: private_label(v) if k in private else display_value(v)
                          for k, v in raw_params.items()}
    info["data"] = data_banner(info["data"] or {})
    repl = path_replacements(hide_paths or {}) + hide_values
    info["sentences"] = [scrub(str(disclose_finding(
        f, rule, log=log, where="header", location=f"report header {f.get('id', '')}"
    )["sentence"]).strip(), repl) for f in headline_findings(info["findings"])[:HEADER_FINDINGS]]
    info["n_more_findings"] = max(0, len(headline_findings(info["findings"]))
                                  - len(info["sentences"]))
    info["interval_note"], info["interval_term"] = interval_note(
        headline_findings(info["findings"])[:HEADER_FINDINGS])
    info["error"] = scrub(str(info["error"] or ""), repl)
    info["disclosure_note"] = rule.describe()
    report_nb = prepare_for_report(nb, hide_paths, rule=rule, hide_values=hide_values,
                                   log=log)
    info["appendix"] = {"title": APPENDIX_TITLE, "note": APPENDIX_NOTE} if any(
        c.metadata.get(APPENDIX_MARK) for c in report_nb.cells) else None
    resources = {"workbench": info, "metadata": {"name": info["title"]}}
    with _report_exporter() as exporter:
        html, _ = exporter.from_notebook_node(report_nb, resources=resources)
    return sanitise_page(describe_figures(scrub(html, repl)))


#: Report exporters not in use, each with the template files' state it was made for.
_EXPORTERS: list = []
_EXPORTERS_LOCK = threading.Lock()


def _template_stamp() -> tuple:
    return tuple((p.as_posix(), p.stat().st_mtime_ns, p.stat().st_size)
                 for p in sorted((TEMPLATES / "nbconvert").rglob("*")) if p.is_file())


@contextmanager
def _report_exporter():
    """An nbconvert exporter of the report template for one rendering. Exporters are
    kept for the next report (loading and compiling the templates costs more than
    rendering one), one per thread rendering at the same time, and made again when a
    file of the template has changed.
    """
    stamp = _template_stamp()
    with _EXPORTERS_LOCK:
        while _EXPORTERS and _EXPORTERS[-1][0] != stamp:
            _EXPORTERS.pop()
        exporter = _EXPORTERS.pop()[1] if _EXPORTERS else None
    if exporter is None:
        from nbconvert import HTMLExporter

        exporter = HTMLExporter(template_name=REPORT_TEMPLATE,
                                extra_template_basedirs=[str(TEMPLATES / "nbconvert")])
        exporter.exclude_input = True
        exporter.exclude_input_prompt = True
        exporter.exclude_output_prompt = True
        exporter.embed_images = True
    yield exporter
    with _EXPORTERS_LOCK:
        _EXPORTERS.append((stamp, exporter))


def write_report(nb: nbformat.NotebookNode | str | Path, header: Mapping[str, Any],
                 folder: str | Path, hide_paths: Mapping[str | Path, str] | None = None,
                 name: str = "report.html") -> Path:
    """Render the report (:func:`render_report`) into ``folder/name``, its disclosure log
    into ``folder/disclosure.json`` (with the original values, for the analyst) and the
    record of the checks applied into ``folder/results.json`` (for an output checker,
    :func:`~workbench.report.output_checks.write_checks`), private parameter values
    scrubbed from both; return the report's path.

    >>> import tempfile
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("4 patients")])
    >>> folder = Path(tempfile.mkdtemp())
    >>> write_report(nb, {"study": "demo"}, folder).name
    'report.html'
    >>> json.loads((folder / DISCLOSURE_FILE).read_text())["changes"][0]["where"]
    'markdown cell'
    """
    folder = Path(folder)
    log = DisclosureLog()
    html = render_report(nb, header, hide_paths, log=log)
    rule = header.get("disclosure")
    rule = rule if isinstance(rule, DisclosureRule) else rule_from_study(rule, "disclosure")
    private = [str(n) for n in header.get("private") or []]
    repl = private_replacements({**(notebook_parameter_values(nb, private) if private else {}),
                                 **dict(header.get("parameters") or {})}, private)
    (folder / DISCLOSURE_FILE).write_text(scrub(log.to_json(rule), repl), encoding="utf-8")
    checks = write_checks(folder, header.get("findings") or [], log, rule, report=name,
                          timestamp=str(header.get("started") or ""),
                          version=str(header.get("workbench_version") or ""))
    checks.write_text(scrub(checks.read_text(encoding="utf-8"), repl), encoding="utf-8")
    path = folder / name
    path.write_text(html, encoding="utf-8")
    return path


def without_run_times(html: str) -> str:
    r"""A report without the lines that say when it ran (:data:`RUN_TIME_LINE`): what
    must be byte-identical for the same inputs.

    >>> without_run_times("<dt>Study</dt><dd>s</dd>\n<dt>Run</dt><dd>2026-01-01 (1.0 s)</dd>\nend")
    '<dt>Study</dt><dd>s</dd>\n\nend'
    """
    return RUN_TIME_LINE.sub("", html)


def data_banner(record: Mapping[str, Any]) -> dict[str, Any]:
    """The data lines of a report or index header, from a session's data record.

    >>> data_banner({"synthetic": True, "period": "April 2023 to June 2023", "providers": 40})["banner"]
    'SYNTHETIC DATA: made by the workbench to test its methods; no real provider, patient or member of staff is described.'
    """
    synthetic = bool(record.get("synthetic"))
    return {"synthetic": synthetic, "source": str(record.get("source") or ""),
            "period": str(record.get("period") or ""),
            "providers": record.get("providers"),
            "units": str(record.get("units") or "providers"),
            "banner": ("SYNTHETIC DATA: made by the workbench to test its methods; no real "
                       "provider, patient or member of staff is described.") if synthetic
            else ""}


def headline_findings(findings: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Findings worth a sentence in a header: headline findings with one (robustness
    checks and diagnostics left out; see :data:`workbench.analysis.findings.record.ROLES`),
    in the order the notebook added them (the records' ``order``; records without one
    keep the order given).

    >>> [f["id"] for f in headline_findings([{"id": "e:a->b@nhs", "sentence": "Waits fell."},
    ...                                      {"id": "e:a->b@nhs#mixed", "sentence": "Same."},
    ...                                      {"id": "e:a->c@nhs", "sentence": ""}])]
    ['e:a->b@nhs']
    >>> [f["id"] for f in headline_findings([{"id": "e:a->b@nhs", "sentence": "B.", "order": 1},
    ...                                      {"id": "e:a->c@nhs", "sentence": "C.", "order": 0}])]
    ['e:a->c@nhs', 'e:a->b@nhs']
    """
    shown = [f for f in findings
             if (f.get("sentence") or "").strip() and finding_role(f) == "headline"]
    return sorted(shown, key=lambda f: f.get("order", math.inf))


def finding_role(f: Mapping[str, Any]) -> str:
    """A finding record's role; records written before roles existed get the default.

    >>> finding_role({"id": "e:a->b@nhs#mixed"}), finding_role({"id": "e:a->b@nhs"})
    ('robustness', 'headline')
    """
    return str(f.get("role") or ("robustness" if FindingId.parse(str(f.get("id", ""))).robustness
                                 else "headline"))


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


#: Kinds of finding whose interval is a chart's limits (control limits of an SPC chart,
#: a performance report's chart, a funnel plot), not a confidence interval.
LIMIT_KINDS = frozenset({"spc", "performance", "funnel"})
#: Kinds of finding whose sentence states its own interval and its level (a claim's
#: verdict rests on a Bonferroni-adjusted interval).
STATED_KINDS = frozenset({"verdict"})


def interval_kind(f: Mapping[str, Any]) -> str:
    """What a finding's interval is: ``confidence`` (a confidence interval), ``limits``
    (a chart's limits: :data:`LIMIT_KINDS`), ``stated`` (its sentence says which:
    :data:`STATED_KINDS`), or '' (no interval).

    >>> [interval_kind(f) for f in ({"id": "effect:a->b@nhs", "ci_low": 1, "ci_high": 2},
    ...     {"id": "spc:y@R1", "ci_low": 1, "ci_high": 2}, {"id": "funnel:y@2024-01"},
    ...     {"id": "verdict:waits@acute", "ci_low": 1, "ci_high": 2})]
    ['confidence', 'limits', '', 'stated']
    """
    kind = str(f.get("id", "")).split(":", 1)[0]
    if kind in STATED_KINDS:
        return "stated"
    if f.get("ci_low") is None and f.get("ci_high") is None:
        return ""
    return "limits" if kind in LIMIT_KINDS else "confidence"


#: What the answer's brackets hold when they are confidence intervals, and what to expect
#: of them: calibrated 95% intervals miss about one time in twenty.
CONFIDENCE_NOTE = ("95% confidence intervals in brackets; expect about one in twenty to miss "
                   "the true value by chance")


def interval_note(findings: Iterable[Mapping[str, Any]]) -> tuple[str, str]:
    """What the header says the answer's brackets and ranges hold, and the glossary
    entry that explains it, from the findings it shows: 95% confidence intervals when
    any has one, with the reminder that about one in twenty misses its true value by
    chance (headlines are chosen by a rule, not by their results, so no answer is
    exempt); a chart's control limits when those are all there is; nothing when no
    finding shown has an interval, or each sentence states its own.

    >>> interval_note([{"id": "effect:a->b@nhs", "ci_low": 1, "ci_high": 2}])[0]
    '95% confidence intervals in brackets; expect about one in twenty to miss the true value by chance'
    >>> interval_note([{"id": "effect:a->b@nhs", "ci_low": 1, "ci_high": 2}])[1]
    'confidence-interval'
    >>> interval_note([{"id": "performance:y@R1#2024-01", "ci_low": 1, "ci_high": 2}])
    ("readings judged against each chart's control limits", 'control-limits')
    >>> interval_note([{"id": "funnel:y@2024-01"}])
    ('', '')
    """
    kinds = {interval_kind(f) for f in findings}
    if "confidence" in kinds:
        return CONFIDENCE_NOTE, "confidence-interval"
    if "limits" in kinds:
        return "readings judged against each chart's control limits", "control-limits"
    return "", ""


#: Characters of a parameter's value in a header or on the index; a longer value is
#: shortened (:func:`display_value`).
VALUE_CHARACTERS = 100


def display_value(value: Any, limit: int | None = VALUE_CHARACTERS) -> str:
    """A parameter value as a reader sees it: text bare, numbers through the one
    formatter, a list as a short comma list (``R001, N001``), a mapping as ``name: value``
    pairs, a list of mappings one item after another (``; ``), each as its first value
    with the others in brackets (when that is too long: the first values, and what else
    each gives); a value longer than
    ``limit`` characters is shortened to the items that fit and how many there are in
    all (text to its first ``limit`` characters and ``...``).

    >>> display_value("acute"), display_value(["nhs", 2]), display_value(""), display_value([])
    ('acute', 'nhs, 2', '""', 'none')
    >>> display_value({"subset": "nhs", "lag": 1})
    'subset: nhs, lag: 1'
    >>> display_value([{"measure": "rtt_median_weeks", "target": 18},
    ...                {"measure": "fft_pct_positive", "target": 90}])
    'rtt_median_weeks (target: 18); fft_pct_positive (target: 90)'
    >>> display_value([{"measure": "rtt_median_weeks", "direction": "decrease", "target": 18},
    ...                {"measure": "fft_pct_positive", "direction": "increase", "target": 90},
    ...                {"measure": "ae_pct_within_4h", "direction": "increase", "target": 78}])
    'rtt_median_weeks, fft_pct_positive, ae_pct_within_4h (each with direction, target)'
    """
    if isinstance(value, str):
        text = value if value else '""'
        return text if limit is None or len(text) <= limit else text[:limit].rstrip() + "..."
    if isinstance(value, Mapping):
        parts = [f"{k}: {display_value(v, None)}" for k, v in value.items()]
        return _shortened(parts, ", ", limit) if parts else "none"
    if isinstance(value, (list, tuple)):
        parts = [_item(v) for v in value]
        nested = any(isinstance(v, (Mapping, list, tuple)) for v in value)
        text = "; ".join(parts) if nested else ", ".join(parts)
        if nested and limit is not None and len(text) > limit and \
                all(isinstance(v, Mapping) and v for v in value):
            # mappings that do not fit: their first values, and what else each gives
            keys = list(dict.fromkeys(k for v in value for k in list(v)[1:]))
            with_ = f" (each with {', '.join(map(str, keys))})" if keys else ""
            short = _shortened([display_value(next(iter(v.values())), None) for v in value],
                               ", ", limit)
            return short + with_
        return _shortened(parts, "; " if nested else ", ", limit) if parts else "none"
    return repr(value) if not isinstance(value, (int, float)) or isinstance(value, bool) \
        else formatting.number(value)


def _item(value: Any) -> str:
    """An item of a list parameter: a mapping as its first value with the others in
    brackets (``rtt_median_weeks (target: 18)``), anything else by :func:`display_value`.
    """
    if isinstance(value, Mapping) and value:
        first, *rest = value.items()
        more = ", ".join(f"{k}: {display_value(v, None)}" for k, v in rest)
        return display_value(first[1], None) + (f" ({more})" if more else "")
    return display_value(value, None)


def _shortened(parts: list[str], sep: str, limit: int | None) -> str:
    """``parts`` joined by ``sep``; when longer than ``limit``, the first parts that fit
    (at least one) and how many there are in all.
    """
    text = sep.join(parts)
    if limit is None or len(text) <= limit:
        return text
    kept = [parts[0]]
    for part in parts[1:]:
        if len(sep.join([*kept, part])) > limit:
            break
        kept.append(part)
    return f"{sep.join(kept)}{sep}... ({len(parts)} in all)"
