"""What a study leaves besides its run folders: ``findings.csv`` and ``index.html``.

:func:`write_findings_csv` gathers every run's ``findings.json`` into one tidy table
with Benjamini-Hochberg adjusted p-values, streaming: a first pass over the runs keeps
only the p-values of headline findings, a second writes the runs' rows as it reads
them, :data:`FINDINGS_PER_BATCH` findings at a time, so memory does not grow with the
number of runs. Two files are written:

* ``findings.csv``, linked from the index, for stakeholders: counts of people through
  the study's disclosure rule (``n``, sentences, warnings, and estimates in a unit of
  people; :func:`~workbench.report.disclosure.disclose_finding`);
* ``analyst/findings.csv``, the raw numbers for analysts: no stakeholder page links it.

:func:`write_index` renders the study's index pages
(:func:`~workbench.report.study_index.render_index_pages`: ``index.html`` and, for
studies of many runs, ``index-2.html``, ...). Both write what the disclosure rule
changed to the study's ``disclosure.json``; all files are written atomically and show
the values of the study's private parameters as ``[private]``. Both CSV files go
through :func:`workbench.files.open_csv`: a text cell that a spreadsheet would run as a
formula (``=``, ``+``, ``-``, ``@``, tab, carriage return first) starts with ``'``.

>>> import tempfile
>>> read_run_findings(Path(tempfile.mkdtemp()))
[]
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path

from workbench.batch import provenance
from workbench.batch.execute import FINDINGS_FILE, REPORT_FILE
from workbench.batch.study_result import StudyResult
from workbench.files import atomic_write_text, open_csv

FINDINGS_CSV = "findings.csv"
#: The raw findings table for analysts (no stakeholder page links it).
ANALYST_FINDINGS_CSV = Path("analyst") / "findings.csv"
#: What the disclosure rule changed on the index pages and in ``findings.csv``.
STUDY_DISCLOSURE_FILE = "disclosure.json"
#: ``findings.csv`` is written this many findings at a time (memory stays bounded).
FINDINGS_PER_BATCH = 5000


def read_run_findings(folder: Path) -> list[dict]:
    """The finding records of a run folder ([] when it has no findings.json)."""
    path = folder / FINDINGS_FILE
    if not path.exists():
        return []
    return json.loads(path.read_text(encoding="utf-8"))


def _findings_by_run(outcome: StudyResult) -> Iterator[tuple[str, list[dict]]]:
    """(run id, finding records) of each run, read one run at a time."""
    for r in outcome.results:
        yield r.run_id, read_run_findings(r.folder)


def _rule(outcome: StudyResult):
    from workbench.report.disclosure import rule_from_study

    return rule_from_study(outcome.study.disclosure or None, "disclosure")


def write_findings_csv(outcome: StudyResult) -> Path:
    """Write ``outputs/<study>/findings.csv`` for stakeholders and
    ``analyst/findings.csv`` with the raw numbers (both atomic, streamed run by run):
    the rows of :func:`~workbench.report.study_index.runs_findings_rows` with
    Benjamini-Hochberg adjusted p-values (:func:`~workbench.report.study_index.adjusted_p_values`,
    the first pass), the values of the study's private parameters shown as
    ``[private]``. What the disclosure rule changed goes to the study's
    ``disclosure.json`` (section ``findings.csv``). Returns the path of ``findings.csv``.
    """
    from workbench.analysis.findings.record import FIELDS
    from workbench.report.disclosure import DisclosureLog, disclose_finding
    from workbench.report.masking import mask_private
    from workbench.report.study_index import adjusted_p_values, runs_findings_rows

    rule = _rule(outcome)
    log = DisclosureLog()
    q = adjusted_p_values(_findings_by_run(outcome))
    columns = ["run_id", *FIELDS, "robustness", "p_adjusted"]
    public = outcome.out_dir / FINDINGS_CSV
    with open_csv(public, columns) as w_public, \
            open_csv(outcome.out_dir / ANALYST_FINDINGS_CSV, columns) as w_raw:
        writers = [w_public, w_raw]  # text cells made safe: data, never formulas

        def write(batch: list[tuple[str, list[dict], list[dict]]]) -> None:
            for w, which in zip(writers, (1, 2)):
                rows = runs_findings_rows(((b[0], b[which]) for b in batch), q)
                rows = mask_private(rows, outcome.study.private, runs={
                    r.run_id: getattr(r, "parameters", {}) for r in outcome.results}
                ).reindex(columns=columns)
                w.writerows(rows.astype(object).where(rows.notna(), "").itertuples(
                    index=False, name=None))

        batch: list[tuple[str, list[dict], list[dict]]] = []
        in_batch = 0
        for run_id, records in _findings_by_run(outcome):
            if not records:
                continue
            shown = [disclose_finding(f, rule, log=log, where="findings.csv",
                                      location=f"{run_id} {f.get('id', '')}")
                     for f in records]
            batch.append((run_id, shown, records))
            in_batch += len(records)
            if in_batch >= FINDINGS_PER_BATCH:
                write(batch)
                batch, in_batch = [], 0
        if batch:
            write(batch)
    _write_study_log(outcome, "findings.csv", log, rule)
    return public


def _write_study_log(outcome: StudyResult, section: str, log, rule) -> None:
    """Put ``log`` as ``section`` of the study's ``disclosure.json``."""
    path = outcome.out_dir / STUDY_DISCLOSURE_FILE
    try:
        record = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except ValueError:
        record = {}
    from workbench.report.masking import runs_replacements, scrub

    record[section] = json.loads(scrub(log.to_json(rule), runs_replacements(
        outcome.results, outcome.study.private)))  # no private value in the log
    atomic_write_text(path, json.dumps(record, indent=1, ensure_ascii=False,
                                       sort_keys=True) + "\n")


def write_index(outcome: StudyResult, git_commit: str | None = None) -> Path:
    """Write ``outputs/<study>/index.html`` (and ``index-2.html``, ... for a study of
    more than :data:`~workbench.report.study_index.RUNS_PER_PAGE` runs) listing every
    run, and the glossary the reports link (``glossary.html``,
    :mod:`workbench.report.glossary`) (atomic); return the path of ``index.html``.

    Runs are read one at a time: each keeps only the findings the summary shows, and the table of
    findings only its first :data:`~workbench.report.study_index.FINDINGS_SHOWN` rows,
    so memory stays bounded for a study of many runs.
    """
    from workbench.report.disclosure import DisclosureLog
    from workbench.report.glossary import write_glossary
    from workbench.report.notebook_text import notebook_parameter_values
    from workbench.report.run_report import report_context
    from workbench.report.study_index import (
        FINDINGS_SHOWN,
        adjusted_p_values,
        page_name,
        render_index_pages,
        study_findings,
        summary_records,
    )

    rule = _rule(outcome)
    log = DisclosureLog()
    q = adjusted_p_values(_findings_by_run(outcome))
    runs, table, n_findings = [], [], 0
    for r in outcome.results:
        has_report = (r.folder / REPORT_FILE).exists()
        findings = read_run_findings(r.folder)
        run = {"run_id": r.run_id, "title": r.title, "parameters": r.parameters,
               "status": r.status, "duration_s": r.duration_s, "error": r.error_line,
               "cached": r.cached, "notebook": r.notebook,
               "private_values": notebook_parameter_values(r.folder / "notebook.ipynb",
                                                           outcome.study.private),
               "report_href": f"{r.run_id}/{REPORT_FILE}" if has_report else "",
               "findings": findings}
        if len(table) < FINDINGS_SHOWN:
            table += study_findings([run], rule=rule, private=outcome.study.private, log=log,
                                    p_adjusted=q, limit=FINDINGS_SHOWN - len(table))
        n_findings += len(findings)
        run["n_findings"] = len(findings)
        run["findings"] = summary_records(findings)
        runs.append(run)
    data_record = next((ctx["data"] for ctx in (report_context(r.folder)
                                                for r in outcome.results) if "data" in ctx), {})
    study_info: Mapping = {"name": outcome.study.name, "title": outcome.study.title,
                           "data_sha256": outcome.data.get("sha256"),
                           "workbench_version": provenance.workbench_version(),
                           "git_commit": git_commit, "private": outcome.study.private,
                           "disclosure": outcome.study.disclosure or None,
                           "data": data_record or {
                               "synthetic": outcome.data.get("kind") == "synthetic"}}
    pages = render_index_pages(study_info, runs, findings_table=table, n_findings=n_findings,
                               log=log)
    names = {name for name, _ in pages}
    for old in outcome.out_dir.glob("index-*.html"):  # pages of an earlier, longer study
        if old.name not in names:
            old.unlink()
    for name, page in pages:
        atomic_write_text(outcome.out_dir / name, page)
    _write_study_log(outcome, "index", log, rule)
    write_glossary(outcome.out_dir, study=outcome.study.title or outcome.study.name)  # reports link it
    return outcome.out_dir / page_name(1)
