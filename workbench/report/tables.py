"""Tables and sentences for a notebook: the findings table with emphasis and marks, and
the findings' sentences as typed phrases.

The table's content comes from :func:`workbench.analysis.findings.record.readable_frame`
(one number format everywhere); this module only adds styling. :func:`sentences` shows
the analyst the raw sentences and gives a report the typed phrases they were made from,
so that a stakeholder's page builds them under the disclosure rule
(:mod:`workbench.report.disclosure`).

>>> from workbench.analysis.findings.record import Finding
>>> styler = findings_table([Finding(id="a:x->y@nhs", question="q", estimate=1.0,
...                                  ci_low=0.2, ci_high=1.8)])
>>> "to 1.8" in styler.to_html()
True
"""

from __future__ import annotations

import html
import json
import math
import re
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from workbench.analysis.findings import formatting
from workbench.analysis.findings.kinds import TABLE_ATTR, KindError, Phrase, Phrases, Table
from workbench.analysis.findings.record import Finding, findings_frame, readable_frame
from workbench.data import measures as M
from workbench.errors import AnalysisColumnError, AnalysisTypeError, ArgumentError
from workbench.finding_id import FindingId
from workbench.report.disclosure import COUNT_NAMES, registry_counts
from workbench.report.notebook_text import escape_markdown

#: Colour of a missed true value (NHS red).
MISSED = "color: #D5281B; font-weight: bold"


def findings_table(findings: Iterable[Finding], truth: Mapping[str, float] | None = None):
    """The findings as a styled table (a pandas ``Styler``) for a notebook.

    Estimates whose 95% interval excludes zero are bold; on synthetic data an
    interval that misses the true value is marked. The numeric ``ci_low`` and
    ``ci_high`` columns are hidden (the text interval shows them).

    >>> from workbench.analysis.findings.record import Finding
    >>> html = findings_table([Finding(id="a:x->y@nhs", question="q", estimate=1.0,
    ...                                ci_low=0.2, ci_high=1.8)], truth={"a:x->y@nhs": 3}).to_html()
    >>> "font-weight: bold" in html and "#D5281B" in html
    True
    """
    frame = readable_frame(findings, dict(truth) if truth else None)

    def emphasis(row: pd.Series) -> list[str]:
        lo, hi = row["ci_low"], row["ci_high"]
        clear = pd.notna(lo) and pd.notna(hi) and (lo > 0 or hi < 0)
        out = ["font-weight: bold" if clear and c in ("estimate", "95% interval") else ""
               for c in row.index]
        if "covers truth" in row.index and row["covers truth"] is False:
            out[list(row.index).index("covers truth")] = MISSED
        return out

    return (frame.style.apply(emphasis, axis=1)
            .format({"estimate": formatting.number, "truth": formatting.number,
                     "n": formatting.count}, na_rep="")
            .hide(axis="index")
            .hide(subset=["ci_low", "ci_high"], axis="columns")
            .set_table_styles([
                {"selector": "th", "props": "text-align: left; background: #f0f4f5;"},
                {"selector": "td", "props": "text-align: left; padding: 2px 8px;"},
            ]))


def sentences(findings: Iterable[Finding | Mapping | Phrase | str], *, bullets: bool = True,
              empty: str = "") -> Phrases:
    """The findings' sentences for a notebook, as a bullet list: each typed phrase (the
    finding's ``wording``, or a :class:`~workbench.analysis.findings.kinds.Phrase` given
    as it is) or, for a finding without one, its sentence (or question) as plain text. The notebook shows the raw text, escaped for Markdown; a report builds
    each typed phrase under the study's disclosure rule and reads plain text with its
    text rule. ``empty`` is shown when there is no finding.

    >>> from workbench.analysis.findings import kinds as K
    >>> p = K.phrase("{who}: latest {x}.", who="R1", x=K.count(3, "complaints", style="quantity"))
    >>> out = sentences([Finding(id="spc:c@R1", question="q", estimate=3.0,
    ...                          sentence=p.text(), wording=p.to_dict())])._repr_mimebundle_()
    >>> out["text/markdown"], out[K.PHRASE_MIME]["phrases"][0]["template"]
    ('- R1: latest 3.0 complaints.', '{who}: latest {x}.')
    """
    items: list[Phrase | str] = []
    for f in findings:
        if isinstance(f, (Phrase, str)):
            items.append(f)
            continue
        record = f.to_dict() if isinstance(f, Finding) else dict(f)
        wording = record.get("wording")
        if wording:
            try:
                items.append(Phrase.from_dict(wording))
                continue
            except KindError:
                pass
        items.append(str(record.get("sentence") or record.get("question") or ""))
    return Phrases(items, bullets=bullets, markdown=escape_markdown, empty=empty)


# ---- tables for stakeholders -----------------------------------------------------------

#: The most columns a table shown to stakeholders has: wider tables do not fit a page
#: (a report read at 1280 px, a board pack on A4).
MAX_COLUMNS = 8

#: How a finding's role reads in a table (:data:`~workbench.analysis.findings.record.ROLES`).
ROLE_WORDS = {"headline": "the answer", "robustness": "a robustness check",
              "diagnostic": "a diagnostic, not an answer"}

#: Finding kinds whose interval is a process or funnel limit, not a confidence interval.
LIMIT_WORDS = {"spc": "Process limits", "performance": "Process limits",
               "funnel": "Funnel limits"}


def estimate_and_interval(estimate: Any, low: Any = None, high: Any = None) -> tuple[str, str]:
    """An estimate and its interval as text at the same decimals
    (:func:`workbench.analysis.findings.formatting.estimate_interval`); '' for what is
    missing.

    >>> estimate_and_interval(1.93, 0.915, 4.09)
    ('1.93', '0.92 to 4.09')
    >>> estimate_and_interval(-0.011, -0.0263, 0.00426)
    ('-0.0110', '-0.0263 to 0.0043')
    >>> estimate_and_interval(12.0), estimate_and_interval(None, 1, 2)
    (('12', ''), ('', ''))
    """
    if formatting.is_missing(estimate):
        return "", ""
    if formatting.is_missing(low) or formatting.is_missing(high):
        return formatting.number(estimate), ""
    return formatting.estimate_interval(estimate, low, high)


def p_text(p: Any) -> str:
    """A p-value in a table: :func:`~workbench.analysis.findings.formatting.p_value`,
    with ``< 0.001`` spaced as a reader writes it.

    >>> p_text(0.0412), p_text(1e-52), p_text(None)
    ('0.041', '< 0.001', '')
    """
    text = formatting.p_value(p)
    return "< 0.001" if text.replace(" ", "") == "<0.001" else text


def words(name: Any) -> str:
    """A column name in words: a measure's label from the registry, else the name with
    spaces for underscores and a capital first letter.

    >>> words("rtt_median_weeks"), words("provider_code"), words("n"), words("ae_within_4h")
    ('RTT median wait (weeks)', 'Provider code', 'N', 'A&E within 4h')
    """
    text = str(name)
    m = M.MEASURES.get(text)
    if m is not None:
        return m.label
    text = value_words(text).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


#: Values written in words where a table shows a code (``nhs`` -> ``NHS``).
VALUE_WORDS = {"nhs": "NHS", "ae": "A&E", "rtt": "RTT", "fft": "FFT", "cqc": "CQC"}
_SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")


def value_words(v: Any) -> str:
    """A text value of a table as a reader sees it: a code in snake case in words
    (``common_cause`` -> ``common cause``), a few acronyms in capitals, '' if missing.

    >>> [value_words(v) for v in ("common_cause", "nhs", "R001", "Synthetic Trust", None)]
    ['common cause', 'NHS', 'R001', 'Synthetic Trust', '']
    """
    try:
        if v is None or bool(pd.isna(v)):
            return ""
    except (TypeError, ValueError):
        pass
    text = str(v)
    if text in VALUE_WORDS:
        return VALUE_WORDS[text]
    if _SNAKE.match(text):
        return " ".join(VALUE_WORDS.get(w, w) for w in text.split("_"))
    return text


class TableOutput:
    """A table for a notebook and its report: the HTML (:attr:`data`, wrapped with the
    kinds the report's disclosure rule reads) and the frame of text it shows
    (:attr:`frame`).

    Shown once: :meth:`workbench.session.Session.show` displays it, and the object it
    returns shows nothing more when it ends a cell. ``display(table)`` of one not yet
    shown shows it.

    >>> t = TableOutput("<div><table></table></div>", pd.DataFrame())
    >>> t._repr_html_()
    '<div><table></table></div>'
    """

    def __init__(self, data: str, frame: pd.DataFrame):
        self.data = data
        self.frame = frame
        self.shown = False

    def _repr_html_(self) -> str:
        return self.data

    def _ipython_display_(self) -> None:
        if self.shown:
            return
        from IPython.display import HTML, display

        self.shown = True
        display(HTML(self.data))

    def __repr__(self) -> str:
        return self.frame.to_string(index=False)


def _attr(spec: Mapping[str, Any]) -> str:
    return html.escape(json.dumps(spec, sort_keys=True), quote=True)


#: Class of the cells of a column of numbers (kept on one line, aligned right).
NUMBER_CLASS = "wb-num"


def _wrap(frame: pd.DataFrame, spec: Mapping[str, Any], raw: list[str] | None = None,
          numbers: Iterable[str] = ()) -> str:
    """The table's HTML in its disclosure wrapper (class ``wb-table``); each header cell
    carries the data's name of its column (``data-column``) for an output checker, and
    the cells of the columns ``numbers`` the class :data:`NUMBER_CLASS`.
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(frame.to_html(index=False, na_rep="", border=0, escape=True),
                         "html.parser")
    numeric = [str(c) in set(map(str, numbers)) for c in frame.columns]
    for i, th in enumerate(soup.select("thead th")):
        if raw and i < len(raw):
            th["data-column"] = raw[i]
        if i < len(numeric) and numeric[i]:
            th["class"] = NUMBER_CLASS
    for tr in soup.select("tbody tr"):
        for i, td in enumerate(tr.find_all("td")):
            if i < len(numeric) and numeric[i]:
                td["class"] = NUMBER_CLASS
    return f'<div class="wb-table" {TABLE_ATTR}="{_attr(spec)}">{soup}</div>'


#: What the report reads of each finding to show its numbers by their kinds
#: (:func:`workbench.report.disclosure.finding_values`).
_KIND_FIELDS = ("estimate", "ci_low", "ci_high", "p_value", "n", "unit", "n_kind",
                "estimate_kind", "numerator", "denominator", "denominator_kind")

_N_NOUNS = {"periods": "months", "providers": "providers"}


def _number_of(x: Any) -> float | None:
    return None if formatting.is_missing(x) or isinstance(x, str) else float(x)


def board_frame(findings: Iterable[Finding | Mapping],
                truth: Mapping[str, float] | None = None) -> tuple[pd.DataFrame, list[dict]]:
    """The findings as a table for stakeholders, and the numbers behind each row.

    Columns (at most :data:`MAX_COLUMNS`, empty ones left out): ``Question``,
    ``Estimate`` and its interval (``95% interval``, or ``Process limits`` /
    ``Funnel limits`` for the findings whose interval is a limit) with the same
    decimals (:func:`estimate_and_interval`), ``p-value`` (:func:`p_text`), ``Unit``,
    ``Based on`` (``n``, with ``months`` or ``providers`` when it counts those),
    ``Read as`` (the role, when any finding is not a headline) and, with true values
    (synthetic data), ``True value`` saying whether the interval covers it. No ids,
    hashes or formulas.

    >>> f = Finding(id="a:x->y@nhs", question="Does x move y?", estimate=0.4321,
    ...             ci_low=0.3101, ci_high=0.5512, p_value=1e-52, n=1200)
    >>> frame, rows = board_frame([f], truth={"a:x->y@nhs": 0.5})
    >>> frame.iloc[0].to_dict()
    {'Question': 'Does x move y?', 'Estimate': '0.432', '95% interval': '0.310 to 0.551', 'p-value': '< 0.001', 'Based on': '1,200', 'True value': '0.500 (inside the interval)'}
    >>> board_frame([Finding(id="a:x->y@nhs", question="q", estimate=0.25, ci_low=0.1,
    ...                      ci_high=0.4)])[0].iloc[0].tolist()
    ['q', '0.25', '0.10 to 0.40']
    >>> rows[0]["n"], rows[0]["p_value"]
    (1200, 1e-52)
    """
    tidy = findings_frame(list(findings), dict(truth) if truth else None)
    records = tidy.to_dict("records")
    kinds = {FindingId.parse(str(r["id"])).kind for r in records}
    limits = {LIMIT_WORDS.get(k, "95% interval") for k in kinds}
    interval_name = limits.pop() if len(limits) == 1 else "Interval or limits"
    rows, numbers = [], []
    for r in records:
        est, iv = estimate_and_interval(r.get("estimate"), r.get("ci_low"), r.get("ci_high"))
        n = _number_of(r.get("n"))
        noun = _N_NOUNS.get(str(r.get("n_kind") or ""), "")
        row = {"Question": str(r.get("question") or ""), "Estimate": est,
               interval_name: iv, "p-value": p_text(r.get("p_value")),
               "Unit": str(r.get("unit") or ""),
               "Based on": "" if n is None else
               (f"{formatting.count(n)} {noun}".strip() if float(n).is_integer()
                else formatting.number(n)),
               "Read as": ROLE_WORDS.get(str(r.get("role") or ""), "")}
        t = r.get("truth")
        if "truth" in tidy.columns and not formatting.is_missing(t):
            d = formatting.places(r.get("estimate"), r.get("ci_low"), r.get("ci_high"))
            where = ("" if r.get("covers_truth") is None or not iv else
                     " (inside the interval)" if r.get("covers_truth") else
                     " (outside the interval)")
            shared = formatting.aligned([r.get("estimate"), r.get("ci_low"), r.get("ci_high"), t],
                                        d)[-1]  # the decimals the estimate is written with
            row["True value"] = (shared if iv else formatting.number(t)) + where
        elif "truth" in tidy.columns:
            row["True value"] = ""
        rows.append(row)
        numbers.append({k: _json_value(r.get(k)) for k in _KIND_FIELDS})
    frame = pd.DataFrame(rows)
    if len(frame):
        keep = [c for c in frame.columns if frame[c].astype(str).str.len().gt(0).any()]
        if set(frame.get("Read as", pd.Series(dtype=str))) <= {ROLE_WORDS["headline"], ""}:
            keep = [c for c in keep if c != "Read as"]
        frame = frame[keep]
    return frame, numbers


def _json_value(v: Any) -> Any:
    if isinstance(v, str) or v is None:
        return v
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def board_findings_table(findings: Iterable[Finding | Mapping],
                         truth: Mapping[str, float] | None = None) -> TableOutput:
    """The findings as a table a board can read (:func:`board_frame`), wrapped so that a
    report shows each row's numbers by their kinds under the disclosure rule
    (:func:`workbench.report.disclosure.suppress_html`): a count of people rounded or
    hidden, and the interval, p-value and coverage of a hidden estimate hidden with it.

    >>> t = board_findings_table([Finding(id="spc:complaints@R1", question="q",
    ...                                   estimate=3.0, ci_low=0.0, ci_high=7.1, n=12)])
    >>> list(t.frame.columns), TABLE_ATTR in t.data
    (['Question', 'Estimate', 'Process limits', 'Based on'], True)
    """
    frame, numbers = board_frame(findings, truth)
    fields = {"Estimate": "estimate", "p-value": "p_value", "Based on": "n",
              "True value": "truth"}
    fields.update({c: "interval" for c in frame.columns
                   if c in ("95% interval", "Interval or limits", *LIMIT_WORDS.values())})
    fields["Question"] = "text"
    spec = {"findings": numbers, "fields": {c: f for c, f in fields.items()
                                             if c in frame.columns}}
    numbers = [c for c in frame.columns if fields.get(c) in ("estimate", "interval", "p_value",
                                                             "n")]
    return TableOutput(_wrap(frame, spec, numbers=numbers), frame)


#: Column names read as p-values (written by :func:`p_text`).
P_NAMES = frozenset({"p", "p_value", "pvalue", "p-value", "p_adjusted", "p (bh)"})


def _column_text(col: pd.Series, digits: int | None, plain_integers: bool = False,
                 p_values: bool = False) -> pd.Series:
    """One column as the text a reader sees: numbers through
    :mod:`~workbench.analysis.findings.formatting` (never in e-notation), p-values by
    :func:`p_text`, dates as dates, yes/no for booleans, '' for missing values.
    """
    if pd.api.types.is_bool_dtype(col):
        return col.map(lambda v: "" if formatting.is_missing(v) else ("yes" if v else "no"))
    if pd.api.types.is_datetime64_any_dtype(col):
        values = col.dropna()
        monthly = len(values) and (values.dt.day == 1).all() and (
            values.dt.normalize() == values).all()
        fmt = "%B %Y" if monthly else "%Y-%m-%d"
        return col.map(lambda v: "" if pd.isna(v) else v.strftime(fmt))
    if not pd.api.types.is_numeric_dtype(col):
        return col.map(value_words)
    values = pd.to_numeric(col, errors="coerce").astype("float64")
    if p_values:
        return values.map(p_text)
    finite = values[values.notna() & values.map(math.isfinite)]
    if len(finite) and (finite == finite.round()).all():
        return values.map(lambda v: "" if formatting.is_missing(v) else
                          (str(int(v)) if plain_integers else formatting.count(v)))
    if digits is None:
        return values.map(formatting.number)
    rounded = finite.round(digits)
    decimals = max((len(f"{v:.{digits}f}".rstrip("0").split(".")[1]) for v in rounded),
                   default=0)
    return values.map(lambda v: "" if formatting.is_missing(v)
                      else formatting.fixed(v, decimals))


def _typed_spec(table: Table, shown: Iterable[str]) -> tuple[dict, list]:
    """The kinds and sums of a typed table for the columns shown: a rate's numerator or
    denominator in a column not shown travels as its per-row numbers.
    """
    shown = set(map(str, shown))
    frame = table.frame
    kinds: dict[str, dict] = {}
    for name, spec in table.spec()["kinds"].items():
        if name not in shown:
            continue
        spec = dict(spec)
        for key in ("numerator", "denominator"):
            ref = spec.get(key)
            if isinstance(ref, str) and ref not in shown:
                spec[key] = [_json_value(_number_of(x)) for x in frame[ref]]
        lead = spec.get("follows")
        if lead and lead not in shown:
            raise ArgumentError("Session.show", "columns", sorted(shown),
                                problem=f"leave out {lead!r}, which {name!r} is hidden with",
                                expected=f"{lead!r} shown too, or {name!r} left out")
        kinds[name] = spec
    sums = [r for r in table.spec()["sums"]
            if sum(c in shown for c in [r.get("total"), *r.get("parts", [])]) >= 2]
    return kinds, sums


def _measure_rows(col: pd.Series) -> bool:
    """True when a column names measures: some rows a measure of the registry, the
    others empty or a name in snake case.
    """
    if pd.api.types.is_numeric_dtype(col):
        return False
    values = col.dropna().astype(str)
    values = values[values.str.len() > 0]
    known = values.isin(list(M.MEASURES))
    return bool(known.any()) and bool((known | values.str.match(_SNAKE.pattern)).all())


def _interval_text(frame: pd.DataFrame, low: str, high: str,
                   digits: int | None = None) -> pd.Series:
    """Two columns, the ends of intervals, as one column of ``low to high`` text, both
    ends of a row at the same decimals (:func:`~workbench.analysis.findings.formatting.places`,
    at most ``digits``).
    """
    def one(lo: Any, hi: Any) -> str:
        lo, hi = _number_of(lo), _number_of(hi)
        if lo is None or hi is None:
            return ""
        d = formatting.places(None, lo, hi)
        a, b = formatting.aligned([lo, hi], d if digits is None else min(d, digits))
        return f"{a} to {b}"
    return pd.Series([one(a, b) for a, b in zip(frame[low], frame[high])], index=frame.index)


def readable_table(data: pd.DataFrame | Table,
                   columns: Mapping[str, str] | Iterable[str] | None = None, *,
                   counts: Iterable[str] = (), rates: Mapping[str, Iterable[str]] | None = None,
                   index: bool = False, digits: int | None = 3) -> TableOutput:
    """Any DataFrame (or typed :class:`~workbench.analysis.findings.kinds.Table`) as a
    table for a report: the columns chosen, ordered and named.

    ``columns`` maps a column to its name in words (``{"provider_name": "Provider"}``),
    or lists the columns to keep under their names in words (:func:`words`); None keeps
    every column, named in words. A pair of columns as a key, ``{("ci_low", "ci_high"):
    "95% interval"}``, shows them as one column of intervals (``0.31 to 0.55``).
    ``index=True`` keeps the index as the first column(s).
    Numbers are written through :mod:`~workbench.analysis.findings.formatting`: whole
    numbers in full (counts of people without separators, as the disclosure rule writes
    them), p-values (a column named ``p``, ``p_value``...) by :func:`p_text`, others to
    at most ``digits`` decimals (None: three significant digits), never in e-notation;
    dates of month starts as months; a column of measure names as their labels.

    The report's disclosure rule reads every column under the data's name (each header
    cell carries it as ``data-column``): counts of people by name or as ``counts`` names
    them, rates on their counts (``rates``; the data's names or the names shown), a
    typed table's columns by their kinds (a rate built on a column not shown carries its
    numbers; a column hidden with another needs that one shown).

    >>> df = pd.DataFrame({"provider_name": ["A", "B"], "p": [1e-52, 0.5], "fft_responses": [4, 1234]})
    >>> t = readable_table(df, {"provider_name": "Provider", "p": "p", "fft_responses": "Responses"})
    >>> t.frame.to_dict("list")
    {'Provider': ['A', 'B'], 'p': ['< 0.001', '0.5'], 'Responses': ['4', '1234']}
    >>> readable_table(pd.DataFrame({"x": [0.12345, 2.5, 1e9]})).frame["X"].tolist()
    ['0.123', '2.500', '1,000,000,000.000']
    >>> ci = pd.DataFrame({"measure": ["complaints"], "lo": [0.915], "hi": [4.09]})
    >>> readable_table(ci, {"measure": "Measure", ("lo", "hi"): "95% interval"}).frame.iloc[0].tolist()
    ['Written complaints', '0.92 to 4.09']
    """
    fn = "Session.show"
    typed = data if isinstance(data, Table) else None
    if typed is not None:
        data = typed.frame
    if not isinstance(data, pd.DataFrame):
        raise AnalysisTypeError(fn, "data", f"is a {type(data).__name__}",
                                expected="a pandas DataFrame or a typed Table")
    frame = data.reset_index() if index else data
    if columns is None:
        names = {c: words(c) for c in frame.columns}
    elif isinstance(columns, Mapping):  # a name that is itself a code is put in words
        names = {c: words(v) if _SNAKE.match(str(v)) else str(v) for c, v in columns.items()}
    elif isinstance(columns, str):
        raise AnalysisTypeError(fn, "columns", "is a single name",
                                expected="a mapping {column: name in words} or a list of "
                                         "columns")
    else:
        names = {c: words(c) for c in columns}
    pairs = {c: c for c in names if isinstance(c, tuple)}
    bad = [c for c in pairs if len(c) != 2]
    if bad:
        raise ArgumentError(fn, "columns", bad, problem="name intervals that are not pairs",
                            expected="(low column, high column) for an interval")
    typed_cols = set(typed.columns) if typed is not None else set()
    if any(e in typed_cols for c in pairs for e in c):
        raise ArgumentError(fn, "columns", [c for c in pairs if set(c) & typed_cols],
                            problem="join columns the table types",
                            expected="typed columns shown each in a column of its own (the "
                                     "disclosure rule reads them one number at a time)")
    missing = [c for c in names if c not in frame.columns
               and not (c in pairs and all(e in frame.columns for e in c))]
    if missing:
        raise AnalysisColumnError(fn, "columns", f"name {missing}, which are not in the table",
                                  expected=f"columns of the table: "
                                           f"{list(map(str, frame.columns))}")
    if len(set(names.values())) < len(names):
        raise ArgumentError(fn, "columns", dict(names), problem="gives two columns one name",
                            expected="a different name for each column shown")
    raw_of = {shown: (" to ".join(map(str, raw)) if raw in pairs else str(raw))
              for raw, shown in names.items()}
    as_raw = {**{str(r): str(r) for r in names}, **raw_of}
    unknown = [c for c in [*counts, *(rates or {})] if c not in as_raw]
    if unknown:
        raise AnalysisColumnError(fn, "counts/rates", f"name columns {unknown}, which are not "
                                  "in the table shown",
                                  expected=f"columns shown: {list(map(str, names))}")
    count_cols = {as_raw[c] for c in counts}
    rate_cols = {as_raw[k]: [as_raw.get(b, b) for b in v] for k, v in (rates or {}).items()}
    people = count_cols | COUNT_NAMES | registry_counts()
    spec: dict[str, Any] = {"counts": sorted(count_cols), "rates": rate_cols, "names": raw_of}
    if typed is not None:
        spec["kinds"], spec["sums"] = _typed_spec(typed, map(str, names))
        people |= {c for c, k in spec["kinds"].items() if k.get("kind") == "people"}
    texts = {}
    for c in names:
        if c in pairs:
            texts[names[c]] = _interval_text(frame, *c, digits=digits)
        elif _measure_rows(frame[c]):
            if "row_measures" not in spec:
                spec["row_measures"] = ["" if formatting.is_missing(v) else str(v)
                                        for v in frame[c]]
            texts[names[c]] = frame[c].map(lambda v: M.label(str(v)) if str(v) in M.MEASURES
                                           else value_words(v))
        else:
            texts[names[c]] = _column_text(frame[c], digits, str(c) in people,
                                           str(c).lower() in P_NAMES)
    shown = pd.DataFrame(texts, columns=list(names.values()))
    if shown.shape[1] > MAX_COLUMNS:
        warnings.warn(f"Session.show: {shown.shape[1]} columns is more than a page holds "
                      f"({MAX_COLUMNS}); choose the columns a reader needs (columns=...)",
                      stacklevel=3)
    numbers = [names[c] for c in names if c in pairs
               or pd.api.types.is_numeric_dtype(frame[c]) and not _measure_rows(frame[c])]
    return TableOutput(_wrap(shown, spec, [str(c) for c in names], numbers), shown)
