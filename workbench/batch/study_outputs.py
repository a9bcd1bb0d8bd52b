"""What a study leaves besides its run folders: ``findings.csv``, ``index.html`` and the
terminal's table of failed runs.

:func:`write_findings_csv` gathers every run's ``findings.json`` into one tidy table
with Benjamini-Hochberg adjusted p-values; :func:`write_index` renders the study's
index page (:func:`~workbench.report.study_index.render_index`); both are written
atomically and show the values of the study's private parameters as ``[private]``.

>>> import tempfile
>>> read_run_findings(Path(tempfile.mkdtemp()))
[]
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.batch import provenance
from workbench.batch.execute import FINDINGS_FILE, REPORT_FILE, RunResult
from workbench.files import atomic_write_text

if TYPE_CHECKING:
    from workbench.batch.runner import StudyResult

INDEX_FILE = "index.html"
FINDINGS_CSV = "findings.csv"


def failure_table(failed: list[RunResult], width: int = 60) -> str:
    """A plain-text table of failed runs: notebook, parameters, error (each cut to ``width``).

    >>> r = RunResult("nb--a-1", 0, "failed", Path("x"), "NB", {"a": 1},
    ...               error={"ename": "ValueError", "evalue": "boom"}, notebook="nb.ipynb")
    >>> print(failure_table([r]))
    notebook  parameters  error
    nb.ipynb  a=1         ValueError: boom
    """
    def cut(text: str) -> str:
        return text if len(text) <= width else text[: width - 1] + "…"

    rows = [("notebook", "parameters", "error")]
    for r in failed:
        params = ", ".join(f"{k}={v}" for k, v in r.parameters.items()) or "(defaults)"
        rows.append((r.notebook or r.run_id, cut(params), cut(r.error_line)))
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    return "\n".join(f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c}".rstrip() for a, b, c in rows)


def read_run_findings(folder: Path) -> list[dict]:
    """The finding records of a run folder ([] when it has no findings.json)."""
    path = folder / FINDINGS_FILE
    if not path.exists():
        return []
    return json.loads(path.read_text(encoding="utf-8"))


def write_findings_csv(outcome: StudyResult) -> Path:
    """Write ``outputs/<study>/findings.csv`` (atomic): the study's tidy findings frame
    (:func:`~workbench.report.study_index.study_findings_frame`, with Benjamini-Hochberg
    adjusted p-values), the values of the study's private parameters shown as
    ``[private]``."""
    from workbench.report.masking import mask_private
    from workbench.report.study_index import study_findings_frame

    table = study_findings_frame({"run_id": r.run_id, "findings": read_run_findings(r.folder)}
                                 for r in outcome.results)
    table = mask_private(table, outcome.study.private)
    text = table.to_csv(index=False, lineterminator="\n")
    return atomic_write_text(outcome.out_dir / FINDINGS_CSV, text)


def write_index(outcome: StudyResult, git_commit: str | None = None) -> Path:
    """Write ``outputs/<study>/index.html`` listing every run (atomic)."""
    from workbench.report.notebook_text import notebook_parameter_values
    from workbench.report.run_report import report_context
    from workbench.report.study_index import render_index

    runs = []
    for r in outcome.results:
        has_report = (r.folder / REPORT_FILE).exists()
        runs.append({"run_id": r.run_id, "title": r.title, "parameters": r.parameters,
                     "status": r.status, "duration_s": r.duration_s, "error": r.error_line,
                     "cached": r.cached,
                     "private_values": notebook_parameter_values(r.folder / "notebook.ipynb",
                                                                 outcome.study.private),
                     "report_href": f"{r.run_id}/{REPORT_FILE}" if has_report else "",
                     "findings": read_run_findings(r.folder)})
    data_record = next((report_context(r.folder)["data"] for r in outcome.results
                        if "data" in report_context(r.folder)), {})
    study_info: Mapping = {"name": outcome.study.name, "title": outcome.study.title,
                           "data_sha256": outcome.data.get("sha256"),
                           "workbench_version": provenance.workbench_version(),
                           "git_commit": git_commit, "private": outcome.study.private,
                           "disclosure": outcome.study.disclosure,
                           "data": data_record or {
                               "synthetic": outcome.data.get("kind") == "synthetic"}}
    return atomic_write_text(outcome.index_path, render_index(study_info, runs))
