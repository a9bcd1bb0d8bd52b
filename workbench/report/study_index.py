"""A study's index page: what the study found, every run with its status, and every
finding of the study in one table.

The page opens with the study's summary (:func:`study_summary`): each notebook's answer
in at most :data:`ANSWER_SENTENCES` short sentences and its verdicts (claims judged
supported, meaningful; supported, size uncertain; ...) in one line each, with a link
to the report that gives the reasoning. Which sentences are the answer is a rule fixed
here, before any result is
seen (:func:`answer_findings`): the run's headline findings with a sentence, in the
order the run's findings file lists them, never chosen by their values. Then
:func:`render_index` lists the runs of a study with their status, duration, number of
findings and a link to each report, then a sortable, filterable table of every finding
(:func:`study_findings`) with Benjamini-Hochberg adjusted p-values
(:func:`study_findings_frame`, the same frame as the study's ``findings.csv``). Counts
pass through the study's disclosure rule and private parameter values are shown as
``[private]``. Every page passes the one sanitiser
(:func:`~workbench.report.sanitise.sanitise_page`); its only script is the fixed sorting
and filtering code of ``templates/index.js`` (:func:`index_script`), pinned by its hash.
A study of many runs is split into pages of :data:`RUNS_PER_PAGE` runs (``index.html``,
``index-2.html``, ...; the first page holds the summary and lists every failed run), and
the findings table shows the first :data:`FINDINGS_SHOWN` findings, every one being in
``findings.csv``. The page links the study's glossary (:data:`GLOSSARY_PAGE`, beside it).

>>> format_duration(65)
'1 min 5 s'
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

import jinja2

from workbench.analysis.findings import formatting
from workbench.analysis.findings.roles import design_of
from workbench.finding_id import FindingIdError
from workbench.report.disclosure import (
    DisclosureLog,
    DisclosureRule,
    disclose_finding,
    disclose_text,
    rule_from_study,
)
from workbench.report.glossary import GLOSSARY_PAGE
from workbench.report.masking import private_label, private_replacements, scrub
from workbench.report.run_report import (
    TEMPLATES,
    data_banner,
    display_value,
    finding_role,
    headline_findings,
    interval_kind,
    short_hash,
)
from workbench.report.sanitise import sanitise_page

if TYPE_CHECKING:
    import pandas as pd

#: Sentences of a run's answer on the study summary (whole findings are shown: see
#: :func:`answer_findings`).
ANSWER_SENTENCES = 3
#: Runs of one notebook on the study summary (the first, in the study's order; every run
#: is in the runs table below it).
SUMMARY_RUNS = 12
#: The kind of finding id that records a claim's verdict (``verdict:<claim>@<subset>``).
VERDICT_KIND = "verdict"
#: Characters of the data's sha256 and the git commit in the index's provenance line.
HASH_CHARS = 8
#: Runs per index page (``index.html``, then ``index-2.html``, ...).
RUNS_PER_PAGE = 200
#: Rows of the index's table of every finding (the rest are in ``findings.csv``).
FINDINGS_SHOWN = 1000
#: The index's own script (sorting and filtering), a package file never built from data.
INDEX_SCRIPT = TEMPLATES / "index.js"


@lru_cache(maxsize=1)
def index_script() -> str:
    """The index page's script: sorts and filters the findings table. Pinned by its
    hash in the page's Content-Security-Policy.

    >>> 'getElementById("findings")' in index_script()
    True
    """
    return INDEX_SCRIPT.read_text(encoding="utf-8")


def page_name(number: int) -> str:
    """File name of index page ``number`` (1 is ``index.html``).

    >>> page_name(1), page_name(3)
    ('index.html', 'index-3.html')
    """
    return "index.html" if number == 1 else f"index-{number}.html"


def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                              autoescape=jinja2.select_autoescape(["html", "j2"]),
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def answer_findings(findings: Iterable[Mapping[str, Any]],
                    n_sentences: int = ANSWER_SENTENCES) -> list[Mapping[str, Any]]:
    """The findings whose sentences are a run's answer on the study summary.

    The rule, fixed before any result is seen: the run's headline findings that have a
    sentence (:func:`~workbench.report.run_report.headline_findings`, the same ones that
    head its report; robustness checks, diagnostics and verdicts left out), in the order
    the notebook added them (the records' ``order``, which the notebook's code fixes),
    taken whole while their sentences number at most ``n_sentences`` (the first
    is always taken: a finding's sentence is not cut). Estimates, intervals and p-values
    play no part, so a result cannot be chosen for looking good.

    >>> [f["id"] for f in answer_findings([
    ...     {"id": "e:a->b@nhs", "sentence": "Waits fell. By a week."},
    ...     {"id": "e:a->b@nhs#fe", "sentence": "Same, fixed effects."},
    ...     {"id": "e:a->c@nhs", "sentence": "Staffing rose."},
    ...     {"id": "e:a->d@nhs", "sentence": "Complaints fell."}])]
    ['e:a->b@nhs', 'e:a->c@nhs']
    """
    out: list[Mapping[str, Any]] = []
    used = 0
    for f in headline_findings(findings):
        if _kind(f) == VERDICT_KIND:
            continue
        count = sentence_count(str(f.get("sentence") or ""))
        if out and used + count > n_sentences:
            break
        out.append(f)
        used += count
    return out


def verdict_findings(findings: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The findings that record a claim's verdict (id kind :data:`VERDICT_KIND`), in the
    order the run lists them: every one, whatever its verdict (``cannot answer`` too).

    >>> [f["id"] for f in verdict_findings([{"id": "verdict:waits@acute"},
    ...                                     {"id": "e:a->b@nhs"}])]
    ['verdict:waits@acute']
    """
    return [f for f in findings if _kind(f) == VERDICT_KIND]


def summary_records(findings: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The finding records of a run that the index shows: its answer
    (:func:`answer_findings`) and its verdicts (:func:`verdict_findings`), in the run's
    order (without either, the finding that says why: :func:`held_back_finding`). What
    :func:`~workbench.batch.study_outputs.write_index` keeps of each run, so that memory
    stays small however many findings a run has.

    >>> [f["id"] for f in summary_records([{"id": "e:a->b@nhs#fe", "sentence": "S."},
    ...     {"id": "verdict:waits@acute", "sentence": "V."}, {"id": "e:a->c@nhs"}])]
    ['verdict:waits@acute']
    """
    findings = list(findings)
    chosen = {id(f) for f in answer_findings(findings) + verdict_findings(findings)}
    if not chosen and (held := held_back_finding(findings)) is not None:
        chosen = {id(held)}   # why there is no answer (:func:`held_back`)
    return [f for f in findings if id(f) in chosen]


def _kind(f: Mapping[str, Any]) -> str:
    """The kind of a finding record's id ('' when it is not an id)."""
    return str(f.get("id", "")).split(":", 1)[0]


_SENTENCE_END = re.compile(r"(?<=[.!?])[\"\u201d)]*\s+(?=[\"\u201c(]?[A-Z0-9])")
#: Words ending in a full stop that do not end a sentence.
_ABBREVIATIONS = ("e.g.", "i.e.", "vs.", "St.", "Dr.", "No.", "approx.", "etc.", "cf.")


def sentence_count(text: str) -> int:
    """How many sentences ``text`` holds (a full stop, question or exclamation mark
    followed by a capital or a digit; decimals and usual abbreviations do not count).

    >>> sentence_count("Waits were 1.5 weeks shorter (95% CI 0.5 to 2.5). 23 providers "
    ...                "lie outside, e.g. St. Mary's.")
    2
    >>> sentence_count(""), sentence_count("No full stop")
    (0, 1)
    """
    text = text.strip()
    if not text:
        return 0
    ends = [m for m in _SENTENCE_END.finditer(text)
            if not text[:m.start()].endswith(_ABBREVIATIONS)]
    return len(ends) + 1


def answer_lines(findings: Iterable[Mapping[str, Any]],
                 repl: list[tuple[str, str]] | None = None,
                 rule: DisclosureRule | None = None, log: DisclosureLog | None = None,
                 location: str = "") -> list[str]:
    """The sentences of a run's answer (:func:`answer_findings`) as the summary shows
    them: counts of people through the disclosure ``rule`` (changes recorded in ``log``),
    private values scrubbed (``repl``).

    >>> answer_lines([{"id": "spc:complaints@R1", "sentence": "R1: latest 2.0 complaints."}])
    ['R1: latest * complaints.']
    """
    rule = rule or DisclosureRule()
    out = []
    for f in answer_findings(findings):
        shown = disclose_finding(f, rule, log=log, where="index summary",
                                 location=f"{location} {f.get('id', '')}".strip())
        out.append(scrub(str(shown.get("sentence") or "").strip(), repl or []))
    return out


def verdict_lines(findings: Iterable[Mapping[str, Any]],
                  repl: list[tuple[str, str]] | None = None,
                  rule: DisclosureRule | None = None, log: DisclosureLog | None = None,
                  location: str = "") -> list[dict[str, str]]:
    """A run's verdicts as the summary shows them, one line each: the claim (the
    finding's question, a count of people in it through the disclosure ``rule``) and its
    verdict (its ``parameters["verdict"]``, else the words after ``Verdict:`` in its
    sentence); private values scrubbed (``repl``).

    >>> verdict_lines([{"id": "verdict:waits@acute", "question": "Private waits are shorter.",
    ...                 "sentence": "Private waits are shorter. Verdict: inconclusive. ..."}])
    [{'claim': 'Private waits are shorter.', 'verdict': 'inconclusive'}]
    """
    out = []
    for f in verdict_findings(findings):
        verdict = str((f.get("parameters") or {}).get("verdict") or "")
        if not verdict:
            m = re.search(r"Verdict:\s*([^.;]+)", str(f.get("sentence") or ""))
            verdict = m.group(1).strip() if m else "see the report"
        claim = disclose_text(str(f.get("question") or f.get("id", "")), rule, log=log,
                              where="index summary",
                              location=f"{location} {f.get('id', '')}".strip())
        out.append({"claim": scrub(claim, repl or []), "verdict": scrub(verdict, repl or [])})
    return out


def run_notebook(run: Mapping[str, Any]) -> str:
    """Which notebook a run ran: its ``notebook`` (a path: the file's stem), else its run
    id up to the first ``--`` (run ids start with the notebook's name).

    >>> run_notebook({"run_id": "02_waits--subset-nhs"}), run_notebook(
    ...     {"run_id": "x", "notebook": "../notebooks/02_waits.ipynb"})
    ('02_waits', '02_waits')
    """
    notebook = str(run.get("notebook") or "")
    if notebook:
        return PurePath(notebook.replace("\\", "/")).stem
    return str(run["run_id"]).split("--", 1)[0]


def held_back_finding(findings: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The finding whose warning says why a run has no headline: the first whose design
    could answer the question (:func:`workbench.analysis.findings.roles.design_of`) but
    which the headline rule held back with a warning; None when the run has a headline
    or no such finding.

    >>> held_back_finding([{"id": "naive:sector[independent]->y@acute",
    ...                     "role": "robustness", "warning": "not adjusted"}]) is None
    True
    """
    findings = list(findings)
    if any(f.get("role") == "headline" for f in findings):
        return None
    for f in findings:
        try:
            identified = design_of(f).identified
        except FindingIdError:
            continue
        if identified and str(f.get("warning") or "").strip():
            return f
    return None


def held_back(findings: Iterable[Mapping[str, Any]]) -> str:
    """Why a run has no answer on the study summary: the first reason (the first clause
    of the warning) of :func:`held_back_finding`; "" when there is none.

    >>> held_back([{"id": "adjusted:sector[independent]->y@acute", "role": "robustness",
    ...             "warning": "poor overlap: few comparable trusts; balance failed"}])
    'No finding met the headline rule: poor overlap: few comparable trusts. The report shows the estimates as checks, not answers.'
    """
    f = held_back_finding(findings)
    if f is None:
        return ""
    first = str(f.get("warning")).strip().split(";")[0].strip().rstrip(".")
    return (f"No finding met the headline rule: {first}. The report shows the estimates as "
            "checks, not answers.")


def study_summary(runs: Iterable[Mapping[str, Any]], private: Iterable[str] = (),
                  rule: DisclosureRule | None = None, log: DisclosureLog | None = None,
                  per_notebook: int = SUMMARY_RUNS) -> list[dict[str, Any]]:
    """What the study found, for the top of its index: one entry per notebook, in the
    order the study first runs it, with its title and its runs (the first
    ``per_notebook``), each with its parameters in words (when the notebook ran more than
    once, or was given any), its answer (:func:`answer_lines`), its verdicts
    (:func:`verdict_lines`), the link to its report and the number of its findings not in
    the summary. A run that failed says so with its error line.

    >>> [(g["title"], [r["answer"] for r in g["runs"]]) for g in study_summary([
    ...     {"run_id": "nb--k-1", "title": "Waits", "parameters": {"k": 1}, "status": "ok",
    ...      "findings": [{"id": "e:a->b@nhs", "sentence": "Waits fell."}]},
    ...     {"run_id": "nb--k-2", "title": "Waits", "parameters": {"k": 2}, "status": "ok",
    ...      "findings": []}])]
    [('Waits', [['Waits fell.'], []])]
    """
    private = [str(n) for n in private]
    groups: dict[str, dict[str, Any]] = {}
    for run in runs:
        notebook = run_notebook(run)
        group = groups.setdefault(notebook, {"notebook": notebook, "runs": [], "n_runs": 0,
                                             "title": run.get("title") or notebook})
        group["n_runs"] += 1
        if len(group["runs"]) >= per_notebook:
            continue
        params = dict(run.get("parameters") or {})
        repl = private_replacements({**(run.get("private_values") or {}), **params}, private)
        findings = list(run.get("findings") or [])
        ok = run.get("status", "failed") == "ok"
        answer = answer_lines(findings, repl, rule, log, run["run_id"]) if ok else []
        verdicts = verdict_lines(findings, repl, rule, log, run["run_id"]) if ok else []
        shown = len(answer_findings(findings)) + len(verdict_findings(findings))
        group["runs"].append({
            "run_id": run["run_id"], "report_href": run.get("report_href") or "",
            "parameters": ", ".join(f"{k} = {v}" for k, v in
                                    parameter_words(params, private).items()),
            "ok": ok, "answer": answer, "verdicts": verdicts,
            "error": "" if ok else disclose_text(scrub(run.get("error") or "", repl), rule,
                                                 log=log, where="index summary",
                                                 location=run["run_id"]),
            "held_back": "" if not ok or answer or verdicts else disclose_text(
                scrub(held_back(findings), repl), rule, log=log, where="index summary",
                location=run["run_id"]),
            "more": max(0, run.get("n_findings", len(findings)) - shown)})
    out = list(groups.values())
    for group in out:
        group["more_runs"] = group["n_runs"] - len(group["runs"])
        for run in group["runs"]:
            if group["n_runs"] > 1 and not run["parameters"]:
                run["parameters"] = "the notebook's defaults"
    return out


def _number(v: Any) -> str:
    """A disclosed value (text) as it is, a number through the one formatter."""
    return v if isinstance(v, str) else formatting.number(v)


def _interval(f: Mapping[str, Any]) -> str:
    lo, hi = f.get("ci_low"), f.get("ci_high")
    if isinstance(lo, str) or isinstance(hi, str):
        return f"{_number(lo)} to {_number(hi)}" if lo not in (None, "") else ""
    return formatting.interval(lo, hi)


def parameter_words(parameters: Mapping[str, Any], private: Iterable[str] = ()
                    ) -> dict[str, str]:
    """A run's parameters as a reader sees them: each value through
    :func:`~workbench.report.run_report.display_value` (a list as a short comma list,
    long values shortened), a private one as ``[private ...]``.

    >>> parameter_words({"subset": "acute", "providers": ["R001", "N001"]})
    {'subset': 'acute', 'providers': 'R001, N001'}
    """
    private = [str(n) for n in private]
    return {str(k): private_label(v) if k in private else display_value(v)
            for k, v in parameters.items()}


def run_row(run: Mapping[str, Any], private: Iterable[str] = (),
            rule: DisclosureRule | None = None, log: DisclosureLog | None = None,
            number: int = 0) -> dict:
    """One run as the index's runs table shows it (see :func:`render_index` for the keys
    of ``run``; ``n_findings`` may give the run's number of findings when ``findings``
    holds only some of them); ``number`` is its place in the study (1 for the first).

    >>> row = run_row({"run_id": "nb", "status": "ok", "duration_s": 2.0, "findings": [{}]})
    >>> row["duration"], row["n_findings"]
    ('2.0 s', 1)
    """
    private = list(private)
    params = dict(run.get("parameters") or {})
    repl = private_replacements({**(run.get("private_values") or {}), **params}, private)
    return {
        "number": number,
        "run_id": run["run_id"], "title": run.get("title") or run["run_id"],
        "parameters": parameter_words(params, private),
        "status": run.get("status", "failed"),
        "duration": format_duration(run.get("duration_s")),
        "duration_s": run.get("duration_s") or 0,
        "error": disclose_text(scrub(run.get("error") or "", repl), rule, log=log,
                               where="index error", location=run["run_id"]),
        "report_href": run.get("report_href") or "",
        "cached": bool(run.get("cached")),
        "n_findings": run.get("n_findings", len(run.get("findings") or [])),
    }


def render_index(study: Mapping[str, Any], runs: Iterable[Mapping[str, Any]], *,
                 log: DisclosureLog | None = None) -> str:
    """The study's index page (one page: see :func:`render_index_pages` for many runs).

    ``study`` holds ``name``, ``title``, ``data_sha256``, ``workbench_version``,
    ``git_commit`` and optionally ``data`` (a session's data record, for the
    synthetic banner and period), ``private`` (parameter names shown as
    ``[private]``), ``disclosure`` (the study's ``disclosure:`` block) and
    ``glossary`` (the link to the glossary page, :data:`GLOSSARY_PAGE` by default; ''
    for none). Each run holds ``run_id``, ``title``, ``parameters``, ``status`` (``ok``
    | ``failed``), ``duration_s``, ``error`` (one line, '' when ok), ``report_href``
    (relative link or ''), ``findings`` (records as in findings.json, or only those
    :func:`summary_records` keeps, with ``n_findings`` giving their number), ``cached``
    (True when the run's outputs were reused from an earlier identical run rather
    than executed again) and optionally ``notebook`` (the notebook's path: runs of one
    notebook are summarised together, see :func:`run_notebook`) and
    ``private_values`` (values of private parameters the run used without the study
    setting them, e.g. notebook defaults; see
    :func:`~workbench.report.notebook_text.notebook_parameter_values`), which are
    scrubbed from the page.

    The page opens with what the study found (:func:`study_summary`): each notebook's
    answer and verdicts, linked to the reports. Then the runs, and below them every finding of the study in one table that sorts (click a
    column heading) and filters (type in the box) in the page, with its
    Benjamini-Hochberg adjusted p-value (:func:`study_findings`) beside the raw one.
    The page is sanitised; what the disclosure rule changed is recorded in ``log``.

    >>> html = render_index({"name": "s", "title": "S"}, [{"run_id": "nb", "title": "NB",
    ...     "parameters": {}, "status": "failed", "duration_s": 1.5,
    ...     "error": "ValueError: boom", "report_href": "", "findings": []}])
    >>> "ValueError: boom" in html
    True
    """
    runs = list(runs)
    return render_index_pages(study, runs, per_page=max(1, len(runs)), log=log)[0][1]


def render_index_pages(study: Mapping[str, Any], runs: Iterable[Mapping[str, Any]], *,
                       per_page: int = RUNS_PER_PAGE,
                       findings_table: list[dict[str, str]] | None = None,
                       n_findings: int | None = None,
                       log: DisclosureLog | None = None) -> list[tuple[str, str]]:
    """The index as ``(file name, page)`` pairs: ``per_page`` runs a page, the first
    page also listing every failed run and the table of findings.

    ``runs`` are as for :func:`render_index` (their ``findings`` may be only the key
    findings, with ``n_findings`` giving the count); ``findings_table`` gives the
    rows of the findings table (default :func:`study_findings` of ``runs``, capped
    at :data:`FINDINGS_SHOWN`) and ``n_findings`` the study's number of findings.

    >>> pages = render_index_pages({"name": "s"}, [{"run_id": f"r{i}", "status": "ok",
    ...     "findings": []} for i in range(5)], per_page=2)
    >>> [name for name, _ in pages]
    ['index.html', 'index-2.html', 'index-3.html']
    >>> 'href="index-2.html"' in pages[0][1]
    True
    """
    runs = list(runs)
    rule = study.get("disclosure")
    rule = rule if isinstance(rule, DisclosureRule) else rule_from_study(rule, "disclosure")
    private = [str(n) for n in study.get("private") or []]
    study_info = {"name": study.get("name", ""),
                  "title": study.get("title") or study.get("name"),
                  "data_sha256_short": short_hash(study.get("data_sha256"), HASH_CHARS),
                  "workbench_version": study.get("workbench_version", ""),
                  "git_commit": short_hash(study.get("git_commit"), HASH_CHARS),
                  "data": data_banner(study.get("data") or {}),
                  "glossary": study.get("glossary", GLOSSARY_PAGE) or ""}
    summary = {"n_runs": len(runs), "n_ok": sum(r.get("status") == "ok" for r in runs),
               "n_failed": sum(r.get("status", "failed") != "ok" for r in runs),
               "n_cached": sum(bool(r.get("cached")) for r in runs)}
    if findings_table is None:
        findings_table = study_findings(runs, rule=rule, private=private, log=log)
        n_findings = len(findings_table)
        findings_table = findings_table[:FINDINGS_SHOWN]
    n_findings = len(findings_table) if n_findings is None else n_findings
    per_page = max(1, per_page)
    n_pages = max(1, math.ceil(len(runs) / per_page))
    links = [{"number": k, "href": page_name(k)} for k in range(1, n_pages + 1)]
    failed = [run_row(r, private, rule, log, number=i) for i, r in enumerate(runs, 1)
              if r.get("status", "failed") != "ok"][:per_page] if n_pages > 1 else []
    found = study_summary(runs, private, rule, log)
    template = _environment().get_template("index.html.j2")
    out = []
    for k in range(1, n_pages + 1):
        chunk = runs[(k - 1) * per_page: k * per_page]
        rows = [run_row(r, private, rule, log, number=(k - 1) * per_page + i)
                for i, r in enumerate(chunk, 1)]
        pager = {"page": k, "pages": links, "first": (k - 1) * per_page + 1,
                 "last": (k - 1) * per_page + len(chunk)}
        table = findings_table if k == 1 else []
        page = template.render(study=study_info, runs=rows, summary=summary, findings=table,
                               n_findings=n_findings, failed=failed, pager=pager,
                               found=found if k == 1 else [],
                               answer_sentences=ANSWER_SENTENCES,
                               n_tests=sum(1 for f in table if f["p_adjusted"]))
        script = index_script() if table else None
        out.append((page_name(k), sanitise_page(page, script=script)))
    return out


def adjusted_p_values(runs: Iterable[tuple[str, Iterable[Mapping[str, Any]]]]
                      ) -> dict[tuple[str, int], float]:
    """Benjamini-Hochberg adjusted p-values of the study's family, by (run id, position
    of the finding in the run): the first of two passes over the runs' findings (only
    the p-values are kept, so memory stays small however many runs there are).

    The family is every headline finding with a p-value; robustness checks (variants
    of an estimand already in the family) and diagnostics get no adjusted value.

    >>> adjusted_p_values([("r", [{"id": "e:a->b@nhs", "p_value": 0.01},
    ...                           {"id": "e:a->b@nhs#fe", "p_value": 0.02},
    ...                           {"id": "e:a->c@nhs", "p_value": 0.04}])])
    {('r', 0): 0.02, ('r', 2): 0.04}
    """
    import pandas as pd

    from workbench.analysis.findings.multiple import adjust_p

    keys: list[tuple[str, int]] = []
    values: list[float] = []
    for run_id, records in runs:
        for i, f in enumerate(records):
            p = f.get("p_value")
            if finding_role(f) != "headline" or p is None:
                continue
            try:
                p = float(p)
            except (TypeError, ValueError):
                continue
            if math.isnan(p):
                continue
            keys.append((run_id, i))
            values.append(p)
    if not keys:
        return {}
    adjusted = adjust_p(pd.DataFrame({"p_value": values}))["p_adjusted"].tolist()
    return {k: round(float(q), 12) for k, q in zip(keys, adjusted)}


def study_findings_frame(runs: Iterable[Mapping[str, Any]],
                         p_adjusted: Mapping[tuple[str, int], float] | None = None
                         ) -> pd.DataFrame:
    """Every finding of the runs as one tidy frame, ``run_id`` first, with
    Benjamini-Hochberg adjusted p-values (``p_adjusted``, from
    :func:`adjusted_p_values` unless given).

    The frame is :func:`~workbench.analysis.findings.record.findings_frame` of each run's
    findings; the family adjusted together is every headline finding with a p-value;
    robustness checks (variants of an estimand already in the family) and diagnostics
    keep their raw p-value only and get no ``p_adjusted``. The study's
    ``findings.csv`` holds these rows (written a batch of runs at a time,
    :func:`runs_findings_rows`).

    >>> frame = study_findings_frame([{"run_id": "r", "findings": [
    ...     {"id": "e:a->b@nhs", "question": "q", "estimate": 1.0, "p_value": 0.01},
    ...     {"id": "e:a->b@nhs#fe", "question": "q", "estimate": 1.1, "p_value": 0.02},
    ...     {"id": "funnel:m@X1#2026-03", "question": "q", "estimate": 3.0, "p_value": 0.04}]}])
    >>> frame[["id", "p_adjusted"]].to_dict("list")
    {'id': ['e:a->b@nhs', 'e:a->b@nhs#fe', 'funnel:m@X1#2026-03'], 'p_adjusted': [0.02, nan, 0.04]}
    """
    runs = list(runs)
    if p_adjusted is None:
        p_adjusted = adjusted_p_values((r["run_id"], r.get("findings") or []) for r in runs)
    return runs_findings_rows(((r["run_id"], r.get("findings") or []) for r in runs),
                              p_adjusted)


#: Finding fields that hold whole numbers (``int | None`` in the contract).
COUNT_FIELDS = ("n", "clusters")


def findings_rows(run_id: str, records: list[Mapping[str, Any]],
                  p_adjusted: Mapping[tuple[str, int], float]) -> pd.DataFrame:
    """One run's findings as rows of the study's findings table (``run_id`` first,
    ``p_adjusted`` last); :func:`runs_findings_rows` of that one run.

    >>> findings_rows("r", [{"id": "e:a->b@nhs", "question": "q", "p_value": 0.01}],
    ...               {("r", 0): 0.03})[["run_id", "p_value", "p_adjusted"]].to_dict("records")
    [{'run_id': 'r', 'p_value': 0.01, 'p_adjusted': 0.03}]
    """
    return runs_findings_rows([(run_id, records)], p_adjusted)


def runs_findings_rows(runs: Iterable[tuple[str, Iterable[Mapping[str, Any]]]],
                       p_adjusted: Mapping[tuple[str, int], float]) -> pd.DataFrame:
    """The findings of several runs, given as (run id, records), as rows of the study's
    findings table in one frame (``run_id`` first, ``p_adjusted`` last): the second pass
    of writing ``findings.csv``, a batch of runs at a time (one frame per batch costs
    far less than one per run). The :data:`COUNT_FIELDS` are whole numbers (nullable
    integers), whichever runs share the batch.

    >>> rows = runs_findings_rows([("r1", [{"id": "e:a->b@nhs", "p_value": 0.01}]),
    ...                            ("r2", [{"id": "e:a->b@nhs", "p_value": 0.2}])],
    ...                           {("r1", 0): 0.02, ("r2", 0): 0.2})
    >>> rows[["run_id", "p_adjusted"]].to_dict("list")
    {'run_id': ['r1', 'r2'], 'p_adjusted': [0.02, 0.2]}
    """
    import pandas as pd

    from workbench.analysis.findings.record import findings_frame

    run_ids: list[str] = []
    records: list[dict] = []
    adjusted: list[float] = []
    for run_id, run_records in runs:
        for i, record in enumerate(run_records):
            run_ids.append(run_id)
            records.append(dict(record))
            # a p-value the disclosure rule hid (its symbol, text) hides its adjusted value too
            hidden = isinstance(record.get("p_value"), str)
            adjusted.append(record["p_value"].strip() if hidden
                            else p_adjusted.get((run_id, i), math.nan))
    df = findings_frame(records, flat=True)
    df.insert(0, "run_id", pd.Series(run_ids, dtype=object))
    symbol = [isinstance(a, str) for a in adjusted]  # hidden: the rule's symbol, not blank
    df["p_value"] = pd.to_numeric(df["p_value"], errors="coerce")
    if any(symbol):
        df["p_value"] = pd.Series([a if s else v for v, a, s in
                                   zip(df["p_value"], adjusted, symbol)], index=df.index,
                                  dtype=object)
    for col in COUNT_FIELDS:  # whole numbers stay whole where another run has none
        values = pd.to_numeric(df[col], errors="coerce")
        if values.notna().sum() == df[col].notna().sum() and \
                (values.dropna() % 1 == 0).all():
            df[col] = values.astype("Int64")
    df["p_adjusted"] = pd.Series(adjusted, dtype=object if any(symbol) else "float64")
    return df


def study_findings(runs: Iterable[Mapping[str, Any]], rule: DisclosureRule | None = None,
                   private: Iterable[str] = (), log: DisclosureLog | None = None,
                   p_adjusted: Mapping[tuple[str, int], float] | None = None,
                   limit: int | None = None) -> list[dict[str, str]]:
    """Every finding of the runs (the first ``limit``) as display rows, with
    Benjamini-Hochberg p-values.

    The family is every finding with a p-value except robustness checks of the same
    estimand (variants such as ``...#mixed``), which keep their raw p-value only
    (see :func:`adjusted_p_values`). ``n``, counts of people in the sentences and
    warnings, and estimates in a unit of people pass through the disclosure ``rule``
    (:func:`~workbench.report.disclosure.disclose_finding`).

    >>> rows = study_findings([{"run_id": "r", "findings": [
    ...     {"id": "e:a->b@nhs", "estimate": 1.0, "p_value": 0.01, "n": 5},
    ...     {"id": "e:a->c@nhs", "estimate": 2.0, "p_value": 0.04, "n": 120}]}])
    >>> [(r["p_value"], r["p_adjusted"], r["n"]) for r in rows]
    [('0.01', '0.02', '*'), ('0.04', '0.04', '120')]
    """
    rule = rule or DisclosureRule()
    private = list(private)
    runs = list(runs)
    if p_adjusted is None:
        p_adjusted = adjusted_p_values((r["run_id"], r.get("findings") or []) for r in runs)
    out = []
    for run in runs:
        repl = private_replacements({**(run.get("private_values") or {}),
                                     **(run.get("parameters") or {})}, private)
        words = ", ".join(f"{k} = {v}" for k, v in
                          parameter_words(run.get("parameters") or {}, private).items())
        for i, f in enumerate(run.get("findings") or []):
            if limit is not None and len(out) >= limit:
                return out
            q = p_adjusted.get((run["run_id"], i))
            shown = disclose_finding(f, rule, log=log, where="index findings table",
                                     location=f"{run['run_id']} {f.get('id', '')}")
            out.append({
                "run_id": run["run_id"], "report_href": run.get("report_href") or "",
                "run": str(run.get("title") or run["run_id"]), "run_parameters": words,
                "id": scrub(str(f.get("id", "")), repl),
                "finding": scrub(str(shown.get("sentence") or shown.get("question")
                                     or f.get("id", "")), repl),
                "estimate": _number(shown.get("estimate")),
                "interval": _interval(shown) + (" (control limits)" if _interval(shown)
                                                and interval_kind(f) == "limits" else ""),
                "unit": str(f.get("unit") or ""), "model": str(f.get("model") or ""),
                "p_value": _p_text(shown.get("p_value"), rule),
                "p_adjusted": _p_text(q, rule, hidden=_is_hidden(shown.get("p_value"), rule)),
                "n": "" if shown.get("n") is None else str(shown.get("n")),
                "sort": {"estimate": _sort_key(_disclosed(rule, shown.get("estimate"))),
                         "p_value": _sort_key(_disclosed(rule, shown.get("p_value"))),
                         "p_adjusted": _sort_key(None if _is_hidden(shown.get("p_value"), rule)
                                                 else q),
                         "n": _sort_key(_disclosed(rule, shown.get("n")))},
                "warning": scrub(str(shown.get("warning") or ""), repl),
            })
    return out


def _is_hidden(value: Any, rule: DisclosureRule) -> bool:
    """Whether a disclosed value is the rule's symbol."""
    return isinstance(value, str) and value.strip() == rule.symbol


def _p_text(value: Any, rule: DisclosureRule, hidden: bool = False) -> str:
    """A p-value as the index shows it: the rule's symbol when it is hidden (with the
    estimate it belongs to), else :func:`~workbench.analysis.findings.formatting.p_value`.
    """
    if hidden or _is_hidden(value, rule):
        return rule.symbol
    return formatting.p_value(value)


def _sort_key(x: Any) -> str:
    """A number as text for the page's sorting script ('' sorts last)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return repr(float(x))


def _disclosed(rule: DisclosureRule, value: Any) -> float | None:
    """A shown value as a sort key: a hidden count sorts as 0, text as nothing."""
    if value is None or not isinstance(value, str):
        return value
    try:
        return float(value.replace(",", ""))
    except ValueError:
        return 0.0 if value == rule.symbol else None


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
