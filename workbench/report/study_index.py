"""A study's index page: every run with its status and key findings, and every finding
of the study in one table.

:func:`render_index` lists the runs of a study with their status, duration, key
findings (:func:`key_findings`) and a link to each report, then a sortable, filterable
table of every finding (:func:`study_findings`) with Benjamini-Hochberg adjusted
p-values (:func:`study_findings_frame`, the same frame as the study's
``findings.csv``). Counts pass through the study's disclosure rule and private
parameter values are shown as ``[private]``.

>>> format_duration(65)
'1 min 5 s'
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import jinja2

from workbench.analysis import formatting
from workbench.report.disclosure import DisclosureRule, rule_from_study
from workbench.report.masking import PRIVATE, private_replacements, scrub
from workbench.report.run_report import (
    TEMPLATES,
    data_banner,
    display_value,
    headline_findings,
    short_hash,
)

if TYPE_CHECKING:
    import pandas as pd

#: Findings shown per run on the index page.
KEY_FINDINGS = 3


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
                    "sentence": scrub(sentence, repl or []),
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
    :func:`~workbench.report.notebook_text.notebook_parameter_values`), which are
    scrubbed from the page.

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
            "error": scrub(run.get("error") or "", repl),
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
    findings; the family adjusted together is every headline finding with a p-value;
    robustness checks (variants of an estimand already in the family) and diagnostics
    keep their raw p-value only and get no ``p_adjusted``. The study's ``findings.csv`` and
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
    table["_outside_family"] = table["role"] != "headline"
    return adjust_p(table, exclude="_outside_family").drop(columns="_outside_family")

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
            "finding": scrub(str(f.get("sentence") or f.get("question") or f.get("id", "")),
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
            "warning": scrub(str(f.get("warning") or ""), repl),
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
