"""A run's record of the disclosure checks it applied, for an output checker.

A Trusted Research Environment releases outputs only after an output checker has seen
what was checked. Each run writes ``results.json`` beside its report
(:func:`write_checks`), in the layout of the ACRO package's ``results.json`` (the
statistical disclosure control tool of the SACRO project, whose viewer output checkers
use): a ``version``, and ``results``, one entry per output, each with ``uid``,
``status`` (``pass``, ``review`` or ``fail``), ``type`` (``table``, ``regression`` or
``custom``), ``properties`` (``method``, and ``dof`` for a regression), ``files`` (each
``name`` with its ``sdc``: a ``summary`` of the checks - ``suppressed``, ``threshold``
(cells hidden as a count of 1 to 7, or with one), ``p-ratio``, ``nk-rule``,
``negative``, ``missing``, ``all-values-are-same`` - and the ``cells`` each check
concerns), ``outcome``, ``command``, ``summary``, ``timestamp``, ``comments`` and
``exception``.

What is recorded:

* every **finding** (a ``regression`` when it has residual degrees of freedom: ``fail``
  below :data:`DOF_THRESHOLD`, else a ``table``): which of its numbers the rule hid or
  rounded, and why;
* every **table** of the report the rule changed, and every passage of **text**
  (``custom``): the cells and values hidden (by location, never the original values);
* every **figure** (``custom``, for review): what kinds of numbers it plots and what
  it left out;
* under ``workbench``: the rule (threshold, rounding, symbol), the degrees-of-freedom
  threshold, and why dominance (the n-k and p% rules) does not apply: the workbench
  publishes counts of people and rates on them, not magnitude tables (sums of values
  such as costs or incomes) where one contributor could dominate a cell.

The record holds no original value of anything hidden (the run's ``disclosure.json``
does, for the analyst).

>>> rec = checks_record([{"id": "effect:a->b@nhs", "estimate": 0.3, "n": 240,
...                       "df_resid": 236.0, "model": "ols"}], [])
>>> out = rec["results"]["output_0"]
>>> out["type"], out["status"], out["properties"]["dof"], out["summary"]
('regression', 'pass', 236.0, 'pass; dof=236 >= 10')
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from workbench.report.disclosure import (
    TEXT_RULE,
    DisclosureLog,
    DisclosureRule,
    disclose_finding,
    rule_to_dict,
)

#: Fewest residual degrees of freedom a regression needs to pass (ACRO's default).
DOF_THRESHOLD = 10
#: The run's record of the checks, beside its report (ACRO's file name).
CHECKS_FILE = "results.json"
#: Why dominance rules are not applied.
DOMINANCE = ("not applied: the workbench publishes counts of people and rates built on "
             "them, not magnitude tables (sums of values such as costs or incomes) in which "
             "one contributor could dominate a cell")
_CHECKS = ("negative", "missing", "threshold", "p-ratio", "nk-rule", "all-values-are-same")


def _sdc(hidden: list, rounded: int = 0) -> dict[str, Any]:
    summary = {"suppressed": bool(hidden), **{k: 0 for k in _CHECKS}}
    summary["threshold"] = len(hidden)
    summary["rounded"] = rounded
    cells = {k: [] for k in _CHECKS}
    cells["threshold"] = hidden
    return {"summary": summary, "cells": cells}


def _what(entry: Mapping[str, Any]) -> str:
    """What a log entry changed, without the words around a number the text rule read
    (they hold the original).
    """
    return str(entry.get("where" if entry.get("kind") == TEXT_RULE else "what", ""))


def _status(sdc: Mapping[str, Any]) -> tuple[str, str]:
    n = sdc["summary"]["threshold"]
    if not n:
        return "pass", "pass"
    return "review", f"review; threshold: {n} cells suppressed; "


def _output(uid: str, status: str, kind: str, properties: dict, files: list[dict],
            command: str, summary: str, timestamp: str, comments: list[str]) -> dict:
    return {"uid": uid, "status": status, "type": kind, "properties": properties,
            "files": files, "outcome": {}, "command": command, "summary": summary,
            "timestamp": timestamp, "comments": comments, "exception": ""}


def _finding_output(uid: str, record: Mapping[str, Any], rule: DisclosureRule, report: str,
                    timestamp: str) -> dict:
    log = DisclosureLog()
    disclose_finding(record, rule, log=log, where="finding", location=str(record.get("id")))
    hidden = [[str(record.get("id", "")), _what(e)] for e in log.entries
              if e["shown"].startswith(rule.symbol)]
    rounded = sum(1 for e in log.entries if not e["shown"].startswith(rule.symbol))
    sdc = _sdc(hidden, rounded)
    status, summary = _status(sdc)
    comments = sorted({f"{_what(e)}: {e.get('reason', '')}" for e in log.entries})
    props = {"method": str(record.get("model") or ""), "finding": str(record.get("id", "")),
             "n_kind": record.get("n_kind") or "people",
             "estimate_kind": record.get("estimate_kind") or ""}
    kind = "table"
    dof = record.get("df_resid")
    if isinstance(dof, (int, float)):
        kind = "regression"
        props["dof"] = float(dof)
        if dof < DOF_THRESHOLD:
            status = "fail"
            summary = f"fail; dof={dof:g} < {DOF_THRESHOLD}"
        elif status == "pass":
            summary = f"pass; dof={dof:g} >= {DOF_THRESHOLD}"
    return _output(uid, status, kind, props, [{"name": report, "sdc": sdc}],
                   f"finding {record.get('id', '')}", summary, timestamp, comments)


def checks_record(findings: Iterable[Mapping[str, Any]], entries: Iterable[Mapping[str, Any]],
                  rule: DisclosureRule | None = None, *, report: str = "report.html",
                  figures: Mapping[str, Mapping[str, Any]] | None = None,
                  timestamp: str = "", version: str = "") -> dict[str, Any]:
    """The record of a run's checks in ACRO's ``results.json`` layout (see the module
    docstring): its ``findings`` (records as in ``findings.json``), the ``entries`` of its
    report's :class:`~workbench.report.disclosure.DisclosureLog` (tables and text) and
    its ``figures`` (file name -> the data behind it,
    :func:`~workbench.report.figure_disclosure.figure_data`).

    >>> rec = checks_record([], [{"where": "table", "location": "cell 3 output 0",
    ...                           "original": "4", "shown": "*", "what": "column n, row 2"}])
    >>> out = rec["results"]["output_0"]
    >>> out["type"], out["status"], out["files"][0]["sdc"]["cells"]["threshold"]
    ('table', 'review', [['cell 3 output 0', 'column n, row 2']])
    >>> "original" in json.dumps(rec)
    False
    """
    from workbench.report.figure_disclosure import recorded_kinds

    rule = rule or DisclosureRule()
    results: dict[str, Any] = {}

    def add(item: dict) -> None:
        uid = f"output_{len(results)}"
        item["uid"] = uid
        results[uid] = item

    for record in findings:
        add(_finding_output("", record, rule, report, timestamp))
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for e in entries:
        kind = "table" if e.get("where") == "table" else "custom"
        groups.setdefault((kind, str(e.get("location", ""))), []).append(e)
    for (kind, location), group in groups.items():
        hidden = [[location, _what(e)] for e in group
                  if str(e.get("shown", "")).startswith(rule.symbol)]
        rounded = len(group) - len(hidden)
        sdc = _sdc(hidden, rounded)
        status, summary = _status(sdc)
        reasons = sorted({str(e.get("reason", "")) for e in group if e.get("reason")})
        add(_output("", status, kind, {"method": "disclosure rule",
                                       "where": sorted({str(e.get("where")) for e in group})},
                    [{"name": report, "sdc": sdc}], f"{kind} at {location}", summary,
                    timestamp, reasons))
    for name, data in sorted((figures or {}).items()):
        texts = [t for ax in data.get("axes", []) for t in ax.get("texts", [])]
        add(_output("", "review", "custom",
                    {"method": "figure", "kinds": sorted(recorded_kinds(data))},
                    [{"name": name, "sdc": _sdc([])}], f"figure {name}",
                    "review; a figure: check what it plots", timestamp,
                    [t for t in texts if "not drawn" in t.lower() or "not published" in t]))
    return {"version": f"workbench {version} (the layout of ACRO's results.json)".strip(),
            "results": results,
            "workbench": {"rule": rule_to_dict(rule), "threshold": rule.suppress_up_to,
                          "rounding": rule.round_to, "dof_threshold": DOF_THRESHOLD,
                          "dominance": DOMINANCE}}


def write_checks(folder: str | Path, findings: Iterable[Mapping[str, Any]],
                 log: DisclosureLog, rule: DisclosureRule | None = None, *,
                 report: str = "report.html", timestamp: str = "",
                 version: str = "") -> Path:
    """Write a run's :data:`CHECKS_FILE` (:func:`checks_record`, with the figures found in
    ``folder/figures``); return its path.

    >>> import tempfile
    >>> p = write_checks(tempfile.mkdtemp(), [], DisclosureLog())
    >>> json.loads(p.read_text())["workbench"]["dof_threshold"]
    10
    """
    folder = Path(folder)
    figures = {}
    for path in sorted((folder / "figures").glob("*.json")):
        try:
            figures[f"figures/{path.stem}.png"] = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
    record = checks_record(findings, log.entries, rule, report=report, figures=figures,
                           timestamp=timestamp, version=version)
    out = folder / CHECKS_FILE
    out.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return out
