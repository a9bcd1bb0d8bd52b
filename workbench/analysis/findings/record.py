"""The Finding record: one estimate, with its interval and everything that produced it.

A finding is a tidy record. Its ``id`` is the text of a
:class:`~workbench.finding_id.FindingId` (for example
``effect:rtt_median_weeks->fft_pct_positive@acute``), so that the same estimate can be
matched across runs, seeds and the synthetic generator's ``truth.json``.

This module also holds the two ways findings are shown as a table, so that a notebook,
the session, the study's ``findings.csv`` and its index all start from the same frame:

* :func:`findings_frame`: the tidy frame, one row per finding, every field of the
  record plus ``robustness`` (from the id) and, when the true values are known,
  ``truth`` and ``covers_truth``;
* :func:`readable_frame`: the same findings for a reader, numbers written by
  :mod:`workbench.analysis.findings.formatting` (question, estimate, 95% interval, p, n, unit).

and the text of a run's two files of findings, made here and written by the notebook
side (:mod:`workbench.report.findings_file`), so that analysis never touches a file:

* :func:`findings_to_json` / :func:`findings_from_json`: ``findings.json``, sorted by id
  at fixed precision; a finding whose true value is known also records ``truth`` and
  ``covers_truth``;
* :func:`truth_to_json`: the run's ``truth.json``, the true value of every finding id
  the run can check and where it came from (:func:`run_truth`).

:class:`Findings` is a list of findings that shows itself in a notebook as that table.

Example
-------
>>> f = Finding(id="effect:x->y@acute", question="Does x move y?", estimate=1.0,
...             ci_low=0.5, ci_high=1.5, p_value=0.01, n=100, unit="pp per unit",
...             model="ols", formula="y ~ x")
>>> f.covers(1.2)
True
>>> findings_frame([f], truth={"effect:x->y@acute": 1.2})[["id", "truth", "covers_truth"]]
                  id  truth  covers_truth
0  effect:x->y@acute    1.2          True
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from workbench.analysis.findings import formatting
from workbench.errors import AnalysisInputError, WorkbenchError
from workbench.finding_id import FindingId, FindingIdError, estimand_key

__all__ = [
    "DuplicateFindingError",
    "Finding",
    "FindingId",
    "FindingIdError",
    "Findings",
    "FindingsSource",
    "findings_frame",
    "findings_from_json",
    "findings_of",
    "findings_to_json",
    "readable_frame",
    "run_truth",
    "truth_for",
    "truth_key",
    "truth_to_json",
    "with_question",
]

#: Rounding applied when findings are written, so that byte-identical files result
#: from identical inputs even across BLAS thread counts.
SIGNIFICANT_DIGITS = 10


#: What a reader should make of a finding:
#: ``headline``: an estimate the workbench stands behind (it survives the scenarios in
#: docs/validation.md that a researcher cannot rule out); shown first, in the
#: multiple-testing family;
#: ``robustness``: another estimator of the same question, shown beside the headline;
#: ``diagnostic``: shown so a reader can see why it is not trusted (failed balance, too
#: few clusters, ...), never presented as an answer.
ROLES = ("headline", "robustness", "diagnostic")


class FindingRoleError(WorkbenchError, ValueError):
    """A finding was given a role outside :data:`ROLES`."""


@dataclass
class Finding:
    """One estimated quantity. See DESIGN.md for the contract of each field."""

    id: str
    question: str
    estimate: float
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    n: int | None = None
    unit: str = ""
    model: str = ""
    formula: str = ""
    sector: str = "all"
    data_sha256: str = ""
    notebook: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)
    clusters: int | None = None
    warning: str = ""
    sentence: str = ""
    role: str = ""
    #: sensitivity to unmeasured confounding (e.g. ``{"method": "E-value", "evalue": 1.8,
    #: ...}``, see :mod:`workbench.analysis.findings.sensitivity`); empty when none was computed
    sensitivity: dict[str, Any] = field(default_factory=dict)
    #: what the numbers are, for the disclosure rule (kinds of
    #: :mod:`workbench.analysis.findings.kinds`): ``n_kind`` of ``n`` (empty: a count of
    #: people), ``estimate_kind`` of the estimate (empty: a model estimate, or a count of
    #: people when the unit is one); a ``rate`` estimate gives the ``numerator`` and
    #: ``denominator`` it is built on and what the denominator is (``denominator_kind``:
    #: ``people``, ``periods`` or ``estimate``); ``wording`` is the sentence as a typed
    #: phrase (:meth:`~workbench.analysis.findings.kinds.Phrase.to_dict`), from which a
    #: stakeholder's sentence is built; ``df_resid`` is a regression's residual degrees of
    #: freedom (for an output checker)
    n_kind: str = ""
    estimate_kind: str = ""
    numerator: float | None = None
    denominator: float | None = None
    denominator_kind: str = ""
    wording: dict[str, Any] = field(default_factory=dict)
    df_resid: float | None = None

    def __post_init__(self) -> None:
        # a finding's role: what a reader should make of it (see ROLES); by default a
        # variant of an estimand already reported is a robustness check
        if not self.role:
            self.role = "robustness" if FindingId.parse(self.id).robustness else "headline"
        if self.role not in ROLES:
            raise FindingRoleError(f"finding {self.id!r}: role {self.role!r} is not one of "
                                   f"{list(ROLES)}")

    def covers(self, value: float) -> bool:
        """True when ``value`` lies inside the closed interval [ci_low, ci_high]."""
        if self.ci_low is None or self.ci_high is None:
            return False
        return self.ci_low <= value <= self.ci_high

    @property
    def key(self) -> FindingId:
        """The id as a :class:`~workbench.finding_id.FindingId` (kind, exposure, outcome, ...).

        >>> Finding(id="effect:x->y@nhs#fe", question="q", estimate=1.0).key.variant
        'fe'
        """
        return FindingId.parse(self.id)

    def to_dict(self) -> dict[str, Any]:
        """The record as plain JSON values at fixed precision (:data:`SIGNIFICANT_DIGITS`).

        >>> Finding(id="a:x->y@nhs", question="q", estimate=1 / 3).to_dict()["estimate"]
        0.3333333333
        """
        return {k: _clean(v) for k, v in asdict(self).items()
                if not (k in KIND_FIELDS and v in (None, "", {}))}

    def _repr_html_(self) -> str:
        """One-row table in a notebook: question, estimate, 95% interval, p, n, unit."""
        return Findings([self])._repr_html_()


def _clean(v: Any) -> Any:
    """Plain JSON-able values with a fixed number of significant digits."""
    if isinstance(v, dict):
        return {str(k): _clean(x) for k, x in sorted(v.items())}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        try:
            v = v.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return None
        return float(f"{v:.{SIGNIFICANT_DIGITS}g}")
    if isinstance(v, (pd.Timestamp,)):
        return v.isoformat()
    return v


FIELDS = [f.name for f in fields(Finding)]
#: Fields saying what a finding's numbers are (for the disclosure rule); left out of
#: :meth:`Finding.to_dict` when empty, so records without them read as before.
KIND_FIELDS = ("n_kind", "estimate_kind", "numerator", "denominator", "denominator_kind",
               "wording", "df_resid")


class DuplicateFindingError(WorkbenchError, ValueError):
    """Two findings of one run share an id, so one would overwrite the other."""


def _record(f: Finding | dict) -> dict[str, Any]:
    return f.to_dict() if isinstance(f, Finding) else {k: _clean(v) for k, v in f.items()}


def _finding_id(finding: Finding | Mapping | str | FindingId) -> str:
    if isinstance(finding, Finding):
        return finding.id
    if isinstance(finding, Mapping):
        return str(finding.get("id", ""))
    return str(finding)


def truth_key(finding: Finding | dict | str | FindingId,
              truth: Mapping[str, float] | None) -> str | None:
    """The key of ``truth`` that gives a finding's true value, or None: the finding's own
    id when ``truth`` has it, else the id of the estimand it estimates (its variant
    dropped), the key the synthetic generator's ``truth.json`` uses.

    >>> truth_key("effect:a->b@acute#mixed", {"effect:a->b@acute": 2.0})
    'effect:a->b@acute'
    >>> truth_key("did:att->y@treated#naive", {"did:att->y@treated#naive": 0.0,
    ...                                        "did:att->y@treated": 1.0})
    'did:att->y@treated#naive'
    """
    if not truth:
        return None
    fid = _finding_id(finding)
    if fid in truth:
        return fid
    key = estimand_key(fid)
    return key if key in truth else None


def truth_for(finding: Finding | dict | str | FindingId,
              truth: Mapping[str, float] | None) -> float | None:
    """The true value of what a finding estimates (see :func:`truth_key`), or None.

    >>> truth_for("effect:a->b@acute#mixed", {"effect:a->b@acute": 2.0})
    2.0
    >>> truth_for(Finding(id="spc:a@R1", question="q", estimate=1.0), {"x:y": 1.0}) is None
    True
    """
    key = truth_key(finding, truth)
    value = None if key is None else truth[key]
    return None if value is None else float(value)


def findings_frame(findings: Iterable[Finding | dict], truth: dict[str, float] | None = None,
                   *, flat: bool = False) -> pd.DataFrame:
    """Findings as one tidy frame: a row per finding, every field, in contract order.

    Columns: the :class:`Finding` fields (``role`` filled in for records written before
    findings had roles), then ``robustness`` (True for a variant of an estimand already
    reported, from the id), then, when ``truth`` gives a true value
    for any of the findings, ``truth`` and ``covers_truth``. Records may be
    :class:`Finding` objects or dicts as read from ``findings.json`` (extra keys are
    kept, after the contract columns). ``flat=True`` writes dict and list values
    (``parameters``) as sorted JSON text, for CSV files.

    >>> fs = [Finding(id="a:x->y@nhs", question="q", estimate=1.0, ci_low=0.0, ci_high=2.0),
    ...       {"id": "a:x->y@nhs#fe", "question": "q", "estimate": 3.0}]
    >>> findings_frame(fs, truth={"a:x->y@nhs": 1.5})[["robustness", "truth", "covers_truth"]]
       robustness  truth  covers_truth
    0       False    1.5          True
    1        True    1.5         False
    """
    rows = [_record(f) for f in findings]
    df = pd.DataFrame(rows, columns=FIELDS if not rows else None)
    for c in FIELDS:
        if c not in df.columns:
            df[c] = None
    df = df[FIELDS + [c for c in df.columns if c not in FIELDS]]
    df["robustness"] = [FindingId.parse(i).robustness for i in df["id"]]
    df["role"] = [r if isinstance(r, str) and r else ("robustness" if rb else "headline")
                  for r, rb in zip(df["role"], df["robustness"])]
    values = [truth_for(str(i), truth) for i in df["id"]]
    if any(v is not None for v in values):
        df["truth"] = values
        df["covers_truth"] = [
            None if t is None else bool(pd.notna(lo) and pd.notna(hi) and lo <= t <= hi)
            for t, lo, hi in zip(values, df["ci_low"], df["ci_high"])]
    if flat:
        for col in df.columns:
            if df[col].map(lambda v: isinstance(v, (dict, list))).any():
                df[col] = df[col].map(lambda v: json.dumps(v, sort_keys=True)
                                      if isinstance(v, (dict, list)) else v)
    return df


#: The columns of :func:`readable_frame`, in order.
READABLE_COLUMNS = ["finding", "question", "estimate", "95% interval", "p", "n", "unit",
                    "ci_low", "ci_high"]


def readable_frame(findings: Iterable[Finding | dict],
                   truth: dict[str, float] | None = None) -> pd.DataFrame:
    """The findings for a reader: a row each, intervals and p-values as text.

    Columns: ``finding`` (the id), ``question``, ``estimate``, ``95% interval`` ("low to
    high"), ``p``, ``n``, ``unit``, ``ci_low``/``ci_high`` as numbers; with true values
    (synthetic data) ``truth`` and ``covers truth``; ``warning`` when any has one.
    Built from :func:`findings_frame`; numbers written by
    :mod:`workbench.analysis.findings.formatting`.

    >>> f = Finding(id="a:x->y@nhs", question="q", estimate=0.25, ci_low=0.1, ci_high=0.4,
    ...             p_value=0.0123, n=50)
    >>> readable_frame([f], truth={"a:x->y@nhs": 0.3})[["95% interval", "p", "covers truth"]]
      95% interval      p  covers truth
    0   0.1 to 0.4  0.012          True
    """
    tidy = findings_frame(findings, truth)
    out = pd.DataFrame({
        "finding": tidy["id"], "question": tidy["question"],
        "estimate": pd.to_numeric(tidy["estimate"], errors="coerce").astype("float64"),
        "95% interval": [formatting.interval(lo, hi)
                         for lo, hi in zip(tidy["ci_low"], tidy["ci_high"])],
        "p": [formatting.p_value(p) for p in tidy["p_value"]],
        "n": tidy["n"], "unit": tidy["unit"],
        "ci_low": pd.to_numeric(tidy["ci_low"], errors="coerce").astype("float64"),
        "ci_high": pd.to_numeric(tidy["ci_high"], errors="coerce").astype("float64")},
        columns=READABLE_COLUMNS)
    if "truth" in tidy.columns:
        out["truth"] = tidy["truth"]
        out["covers truth"] = tidy["covers_truth"]
    if tidy["warning"].fillna("").astype(str).str.len().gt(0).any():
        out["warning"] = tidy["warning"].fillna("")
    return out


class Findings(list):
    """A list of findings that shows itself in a notebook as one readable table.

    It is a plain ``list`` otherwise (indexing, ``len``, ``for``, ``+``), so code that
    takes a list of findings takes it too. ``truth`` (``{id: value}``) adds the true
    values on synthetic data. In JupyterLab the table is styled by
    :mod:`workbench.interactive` (bold clear estimates, missed truths marked).

    >>> fs = Findings([Finding(id="a:x->y@nhs", question="q", estimate=1.0)])
    >>> len(fs), fs[0].id, "<table" in fs._repr_html_()
    (1, 'a:x->y@nhs', True)
    """

    def __init__(self, findings: Iterable[Finding] = (), truth: dict[str, float] | None = None):
        super().__init__(findings)
        self.truth = dict(truth) if truth else None

    def __add__(self, other):
        return Findings(list(self) + list(other), truth=self.truth or getattr(other, "truth",
                                                                              None))

    def frame(self) -> pd.DataFrame:
        """The findings as a tidy frame (see :func:`findings_frame`)."""
        return findings_frame(self, self.truth)

    def readable(self) -> pd.DataFrame:
        """The findings as a reader's table (see :func:`readable_frame`)."""
        return readable_frame(self, self.truth)

    def _repr_html_(self) -> str:
        if not self:
            return "<p><i>No findings.</i></p>"
        return self.readable().drop(columns=["ci_low", "ci_high"]).to_html(
            index=False, na_rep="", border=0)

    def __repr__(self) -> str:
        if not self:
            return "Findings([])"
        frame = self.readable().drop(columns=["question", "ci_low", "ci_high"])
        return frame.to_string(index=False, formatters={"estimate": formatting.number})


@runtime_checkable
class FindingsSource(Protocol):
    """What every analysis result offers: ``result.findings(question=None)`` -> :class:`Findings`.

    ``question`` replaces the question the findings answer; ``None`` keeps the result's own
    (the one it was asked, or the one its method words). Some results take keyword
    options after it (a fit's ``terms``, a DiD's ``events``).
    """

    def findings(self, question: str | None = None) -> Findings:  # pragma: no cover
        """The result's findings."""
        ...


def findings_of(result: FindingsSource, question: str | None = None, **options: Any) -> Findings:
    """The findings of any analysis result: ``result.findings(question=question, **options)``.

    The one way from a result to findings (``workbench.findings`` in a notebook): a model
    fit, a mediation, an SPC or funnel view, an interrupted time series, a DiD, an
    evaluation or a claim all answer the same call.

    >>> class Mean:
    ...     def findings(self, question=None):
    ...         return Findings([Finding(id="mean:y@all", question=question or "Mean of y?",
    ...                                  estimate=2.0)])
    >>> findings_of(Mean())[0].question, findings_of(Mean(), "What is y?")[0].question
    ('Mean of y?', 'What is y?')
    """
    method = getattr(result, "findings", None)
    if not callable(method):
        raise AnalysisInputError("findings", "result", f"is a {type(result).__name__}, which "
                                 "has no findings() method",
                                 expected="an analysis result (a fit, a mediation, an SPC or "
                                          "funnel view, an ITS, a DiD, an evaluation, a claim)")
    return method(question=question, **options)


def with_question(findings: Iterable[Finding], question: str | None) -> Findings:
    """The findings as they are (``question`` None), or copies answering ``question``.

    >>> f = Finding(id="a:x->y@nhs", question="q", estimate=1.0)
    >>> with_question([f], "Does x move y?")[0].question, f.question
    ('Does x move y?', 'q')
    """
    from dataclasses import replace

    return Findings(list(findings) if question is None else
                    [replace(f, question=question) for f in findings])


def _covers(record: Mapping[str, Any], value: float) -> bool:
    """Whether the record's written interval holds the (written) true value."""
    lo, hi = record.get("ci_low"), record.get("ci_high")
    return lo is not None and hi is not None and lo <= value <= hi


def findings_to_json(findings: Iterable[Finding],
                     truth: Mapping[str, float] | None = None) -> str:
    """The text of ``findings.json``: the records sorted by id, numbers at fixed
    precision (:data:`SIGNIFICANT_DIGITS`), so the same inputs give the same bytes. Each
    record's ``order`` is its place in the order the notebook added the findings.

    With ``truth`` (finding id or estimand id -> true value, :func:`truth_key`), each
    finding whose true value is known also records ``truth`` and ``covers_truth``
    (whether its written 95% interval holds the written true value; False without an
    interval); the other findings keep exactly their fields. Two findings with one id
    raise :class:`DuplicateFindingError`.

    >>> f = Finding(id="effect:x->y@nhs", question="q", estimate=1/3, ci_low=0.1, ci_high=0.5)
    >>> '"estimate": 0.3333333333' in findings_to_json([f])
    True
    >>> rec = json.loads(findings_to_json([f], truth={"effect:x->y@nhs": 0.25}))[0]
    >>> rec["truth"], rec["covers_truth"]
    (0.25, True)
    >>> findings_to_json([f], truth={"effect:z->y@nhs": 1.0}) == findings_to_json([f])
    True
    """
    # each record keeps its place in the notebook's order (``order``, from 0), so that a
    # report and the study summary can put the notebook's first answers first
    records = sorted(({**f.to_dict(), "order": i} for i, f in enumerate(findings)),
                     key=lambda r: r["id"])
    ids = [r["id"] for r in records]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise DuplicateFindingError(f"Duplicate finding ids would overwrite each other: {dupes}")
    for record in records:
        value = _clean(truth_for(record["id"], truth))
        if value is not None:
            record["truth"] = value
            record["covers_truth"] = _covers(record, value)
    return json.dumps(records, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def findings_from_json(text: str) -> list[Finding]:
    """The findings of a ``findings.json`` text (:func:`findings_to_json`); keys that
    are not fields of :class:`Finding` (``truth``, ``covers_truth``) are left out.

    >>> f = Finding(id="effect:x->y@nhs", question="q", estimate=1/3)
    >>> findings_from_json(findings_to_json([f], truth={"effect:x->y@nhs": 0.3}))[0].estimate
    0.3333333333
    """
    known = set(FIELDS)
    return [Finding(**{k: v for k, v in r.items() if k in known}) for r in json.loads(text)]


def run_truth(findings: Iterable[Finding | Mapping], truth: Mapping[str, float] | None,
              sources: Mapping[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """What a run can check: ``{finding id: {"truth": value, "source": where from}}`` for
    every finding whose true value ``truth`` knows (:func:`truth_key`), sorted by id.

    ``sources`` maps a key of ``truth`` to where that value came from (the panel's
    ``truth.json``, a change the notebook inserted, ...); a key it does not name says
    ``"unrecorded"``.

    >>> fs = [Finding(id="effect:a->b@nhs#fe", question="q", estimate=1.0),
    ...       Finding(id="spc:a@R1", question="q", estimate=2.0)]
    >>> run_truth(fs, {"effect:a->b@nhs": 0.5}, {"effect:a->b@nhs": "the panel"})
    {'effect:a->b@nhs#fe': {'source': 'the panel', 'truth': 0.5}}
    """
    sources = sources or {}
    out: dict[str, dict[str, Any]] = {}
    for f in findings:
        key = truth_key(f, truth)
        value = None if key is None else truth_for(key, truth)
        if value is not None:
            out[_finding_id(f)] = {"source": str(sources.get(key) or "unrecorded"),
                                   "truth": _clean(value)}
    return dict(sorted(out.items()))


def truth_to_json(findings: Iterable[Finding | Mapping], truth: Mapping[str, float] | None,
                  sources: Mapping[str, str] | None = None) -> str | None:
    """The text of a run's ``truth.json``, or None when no finding's true value is known.

    Two maps over the same finding ids (those of :func:`run_truth`), sorted, at the
    precision of ``findings.json``: ``truth`` (id -> true value, so
    :func:`workbench.data.synth.read_truth` reads it) and ``source`` (id -> where the
    value came from).

    >>> f = Finding(id="did:att->y@treated", question="q", estimate=1.0)
    >>> print(truth_to_json([f], {"did:att->y@treated": 2 / 3}, {"did:att->y@treated": "inserted"}),
    ...       end="")
    {
      "source": {
        "did:att->y@treated": "inserted"
      },
      "truth": {
        "did:att->y@treated": 0.6666666667
      }
    }
    >>> truth_to_json([f], {}) is None
    True
    """
    checked = run_truth(findings, truth, sources)
    if not checked:
        return None
    doc = {"source": {k: v["source"] for k, v in checked.items()},
           "truth": {k: v["truth"] for k, v in checked.items()}}
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
