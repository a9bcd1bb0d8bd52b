"""A run's files of findings: ``findings.json`` and ``truth.json``, written and read.

Analysis makes the text of both files (:func:`~workbench.analysis.findings.record.findings_to_json`,
:func:`~workbench.analysis.findings.record.truth_to_json`) and never touches a file; this
module writes that text atomically (:func:`workbench.files.atomic_write_text`: a reader
never sees half a file, a full disk is an :class:`~workbench.errors.OutputWriteError`)
and reads it back. The session writes both when a notebook finishes
(:meth:`workbench.session.Session.finish`); a notebook or a script may call them too
(``workbench.write_findings``, ``workbench.read_findings``).

* ``findings.json``: the findings sorted by id at fixed precision; with true values
  (synthetic data, or a change a notebook inserted) each finding that has one also
  records ``truth`` and ``covers_truth``;
* ``truth.json``: the true value of every finding id the run can check, and where each
  came from (``truth`` and ``source``, both keyed by finding id); written only when a
  finding's true value is known.

>>> import tempfile
>>> from workbench.analysis.findings.record import Finding
>>> folder = Path(tempfile.mkdtemp())
>>> f = Finding(id="did:att->y@treated", question="q", estimate=1.0, ci_low=0.5, ci_high=1.5)
>>> truth = {"did:att->y@treated": 1.2}
>>> write_findings([f], folder / FINDINGS_FILE, truth=truth).name
'findings.json'
>>> write_truth([f], truth, folder / TRUTH_FILE, sources={"did:att->y@treated": "inserted"}).name
'truth.json'
>>> read_truth(folder / TRUTH_FILE), read_findings(folder / FINDINGS_FILE)[0].estimate
({'did:att->y@treated': 1.2}, 1.0)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from workbench.analysis.findings.record import (
    Finding,
    findings_from_json,
    findings_to_json,
    truth_to_json,
)
from workbench.files import atomic_write_text

__all__ = ["FINDINGS_FILE", "TRUTH_FILE", "read_finding_records", "read_findings",
           "read_truth", "read_truth_sources", "write_findings", "write_truth"]

#: A run's findings, in its output folder.
FINDINGS_FILE = "findings.json"
#: A run's true values (only when some are known), in its output folder.
TRUTH_FILE = "truth.json"


def write_findings(findings: Iterable[Finding], path: str | Path = FINDINGS_FILE, *,
                   truth: Mapping[str, float] | None = None) -> Path:
    """Write findings as JSON (sorted by id, fixed precision: same inputs, same bytes),
    each with ``truth`` and ``covers_truth`` where ``truth`` knows its true value
    (:func:`~workbench.analysis.findings.record.findings_to_json`); atomic.

    >>> import tempfile
    >>> p = write_findings([Finding(id="effect:x->y@nhs", question="q", estimate=1/3)],
    ...                    Path(tempfile.mkdtemp()) / "findings.json")
    >>> read_findings(p)[0].estimate
    0.3333333333
    """
    return atomic_write_text(path, findings_to_json(findings, truth))


def read_findings(path: str | Path) -> list[Finding]:
    """The findings of a ``findings.json`` written by :func:`write_findings` (without
    their ``truth`` and ``covers_truth``, which are not fields of a finding; see
    :func:`read_finding_records`).

    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "findings.json"
    >>> _ = p.write_text('[{"id": "mean:y@all", "question": "q", "estimate": 2.0}]')
    >>> read_findings(p)[0].key.outcome
    'y'
    """
    return findings_from_json(Path(path).read_text(encoding="utf-8"))


def read_finding_records(path: str | Path) -> list[dict[str, Any]]:
    """The records of a ``findings.json`` as written, every key kept (``truth`` and
    ``covers_truth`` too); ``[]`` when there is no such file.

    >>> read_finding_records("/nonexistent/findings.json")
    []
    """
    path = Path(path)
    if not path.is_file():
        return []
    return json.loads(path.read_text(encoding="utf-8"))


def write_truth(findings: Iterable[Finding], truth: Mapping[str, float] | None,
                path: str | Path = TRUTH_FILE, *,
                sources: Mapping[str, str] | None = None) -> Path | None:
    """Write a run's ``truth.json``: the true value of every finding in ``findings``
    whose value ``truth`` knows, and where it came from (``sources``: key of ``truth``
    -> description; see :func:`~workbench.analysis.findings.record.truth_to_json`).

    Returns the path, or None when no finding's true value is known; then a
    ``truth.json`` left at ``path`` by an earlier run is removed, so the folder never
    shows truths its findings do not have.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> f = Finding(id="effect:x->y@nhs", question="q", estimate=1.0)
    >>> write_truth([f], {"effect:x->y@nhs": 0.5}, folder / "truth.json").name
    'truth.json'
    >>> write_truth([f], None, folder / "truth.json") is None, (folder / "truth.json").exists()
    (True, False)
    """
    text = truth_to_json(findings, truth, sources)
    if text is None:
        Path(path).unlink(missing_ok=True)
        return None
    return atomic_write_text(path, text)


def _truth_doc(path: str | Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def read_truth(path: str | Path) -> dict[str, float]:
    """A run's ``truth.json`` (:func:`write_truth`) as ``{finding id: true value}``.

    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "truth.json"
    >>> _ = p.write_text('{"source": {"a:y@all": "panel"}, "truth": {"a:y@all": 1}}')
    >>> read_truth(p)
    {'a:y@all': 1.0}
    """
    return {k: float(v) for k, v in _truth_doc(path)["truth"].items()}


def read_truth_sources(path: str | Path) -> dict[str, str]:
    """Where each true value of a run's ``truth.json`` came from (finding id -> text).

    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "truth.json"
    >>> _ = p.write_text('{"source": {"a:y@all": "panel"}, "truth": {"a:y@all": 1}}')
    >>> read_truth_sources(p)
    {'a:y@all': 'panel'}
    """
    return {k: str(v) for k, v in _truth_doc(path).get("source", {}).items()}
