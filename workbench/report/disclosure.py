"""Small-number suppression for everything shown to stakeholders.

A count of people that is small enough to identify someone must not leave the
analyst's desk. The default rule is the NHS hospital statistics (HES) convention:

* a count of 0 is shown as ``0``;
* a count from 1 to 7 is shown as ``*``;
* every other count is rounded to the nearest 5;
* a rate or percentage built on a suppressed count is suppressed too.

The rule is a plain value (:class:`DisclosureRule`), configurable per study with a
``disclosure:`` block (:func:`rule_from_study`)::

    disclosure:
      suppress_up_to: 7     # counts 1..7 become the symbol (0 disables suppression)
      round_to: 5           # other counts rounded to a multiple of this (1 disables rounding)
      symbol: "*"
      count_columns: [patients_seen]   # extra column names holding counts of people

Which columns are counts: every measure of kind ``count`` in
:mod:`workbench.data.measures`, the usual names of counts (``n``, ``count``,
``patients``, ...), and columns a notebook names with ``Session.show(df, counts=...)``.
Which columns are rates built on counts: :data:`RATE_BASES` (for example FFT %
positive is built on FFT positive responses out of FFT responses), plus those
named with ``Session.show(df, rates=...)``.

Tables reach a report as HTML; :func:`suppress_html` rewrites every table in an
HTML fragment. The analyst's executed notebook keeps the raw numbers.

Counts of people and what is exempt
-----------------------------------
As in NHS England's rule, the control is for **counts of people** (or of their
contacts with services): patients, responses, respondents, complaints, comments,
pathways, attendances, admissions, episodes, referrals, residents, deaths and the
like (:data:`PEOPLE_NOUNS`: the units of the registry's count measures, bar those in
:data:`EXEMPT_UNITS`, plus the usual nouns). **Exempt**: model estimates
(differences, ratios, intervals and p-values of a model, e.g. "3.2 admissions
higher"), counts of providers, beds, staff FTE, months and weeks
(:data:`EXEMPT_NOUNS`), and national totals ("... in England", "nationally").

Text: sentences and Markdown
----------------------------
Finding sentences, Markdown and printed text are read by a text rule
(:func:`disclose_text`): a number directly followed by a count noun, with at most
three qualifying words between (``1.0 complaints``, ``1,234 FFT positive responses``,
``30 of 41 responses``, ``only 5 respondents``), or ``n = 5``, is a count; a number
after ``per`` (``per 1,000 episodes``) is a denominator, not a count. A rate written
just before a count in brackets (``71.4% (5 of 7 responses)``) is hidden with it. The
workbench's wording code (SPC, funnel and model sentences) writes every count of
people that way, so the rule finds them; a sentence keeps its raw numbers in
``findings.json`` (the analyst's) and the stakeholder version is made when a page or
the linked ``findings.csv`` is written (:func:`disclose_finding`).

Every change is recorded in a :class:`DisclosureLog` (where, what, original value,
shown value), written beside each report and each study index as ``disclosure.json``
for an output checker.

Example
-------
>>> rule = DisclosureRule()
>>> [rule.count_text(v) for v in (0, 3, 7, 8, 12, 1234)]
['0', '*', '*', '10', '10', '1235']
>>> import pandas as pd
>>> df = pd.DataFrame({"fft_responses": [5, 40], "fft_pct_positive": [80.0, 92.5]})
>>> suppress_frame(df, rule).to_dict("list")
{'fft_responses': ['*', '40'], 'fft_pct_positive': ['*', '92.5']}
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from workbench.data import measures as M
from workbench.errors import StudyError

#: Column names that hold counts of people (or of their episodes) besides registry counts.
COUNT_NAMES: frozenset[str] = frozenset({
    "n", "count", "counts", "patients", "people", "persons", "residents", "responses",
    "respondents", "admissions", "attendances", "episodes", "deaths", "cases", "referrals",
    "complaints", "n_patients", "n_responses",
})

#: Units of registry count measures that are not counts of people.
EXEMPT_UNITS: frozenset[str] = frozenset({"beds"})
#: Nouns of counts the rule leaves alone: providers, capacity, staff FTE, time.
EXEMPT_NOUNS: frozenset[str] = frozenset({
    "provider", "providers", "trust", "trusts", "home", "homes", "hospital", "hospitals",
    "site", "sites", "bed", "beds", "fte", "month", "months", "week", "weeks", "day",
    "days", "year", "years", "hour", "hours", "minute", "minutes", "point", "points",
    "percentage", "per", "times",
})
#: Nouns that are counts of people besides the registry's units (singular and plural).
_PEOPLE_WORDS = ("patient", "person", "people", "resident", "response", "respondent",
                 "complaint", "comment", "attendance", "admission", "referral", "episode",
                 "death", "case", "pathway", "user", "carer", "visit", "appointment",
                 "discharge", "birth", "incident", "mention", "answer", "wait")


def people_nouns() -> frozenset[str]:
    """Nouns that name counts of people: the units of the registry's count measures
    (bar :data:`EXEMPT_UNITS`) and the usual nouns, singular and plural.

    >>> {"complaints", "pathways", "responses", "comments", "patient"} <= people_nouns()
    True
    >>> "beds" in people_nouns() or "providers" in people_nouns()
    False
    """
    units = {m.unit.lower() for m in M.MEASURES.values()
             if m.kind == "count" and m.unit not in EXEMPT_UNITS}
    words = set(_PEOPLE_WORDS) | {w + "s" for w in _PEOPLE_WORDS if w != "people"}
    words |= units | {u.rstrip("s") for u in units}
    return frozenset(w for w in words if w and w not in EXEMPT_NOUNS)


#: Every noun of a count of people (see :func:`people_nouns`).
PEOPLE_NOUNS: frozenset[str] = people_nouns()

#: Rates and percentages of the registry and the counts they are built on.
RATE_BASES: dict[str, tuple[str, ...]] = {
    "fft_pct_positive": ("fft_positive", "fft_responses"),
    "rtt_pct_within_18w": ("rtt_within_18w", "rtt_waiting_list"),
    "ae_pct_within_4h": ("ae_over_4h", "ae_attendances"),
    "complaints_per_1000": ("complaints", "episodes"),
}

#: Keys of a study's ``disclosure:`` block.
DISCLOSURE_KEYS = ("suppress_up_to", "round_to", "symbol", "count_columns", "rate_columns")

#: Attribute of the HTML wrapper ``Session.show`` writes around a table.
TABLE_ATTR = "data-wb-disclosure"

_NUMBER = re.compile(r"^\s*(-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)\s*$")


def registry_counts() -> frozenset[str]:
    """Names of the measures of kind ``count`` in the registry.

    >>> "fft_responses" in registry_counts(), "fft_pct_positive" in registry_counts()
    (True, False)
    """
    return frozenset(m.name for m in M.MEASURES.values() if m.kind == "count")


@dataclass(frozen=True)
class DisclosureRule:
    """How counts are shown: ``1..suppress_up_to`` as ``symbol``, others rounded to
    ``round_to``. ``count_columns`` and ``rate_columns`` (rate -> its base counts) add
    to the defaults.

    >>> DisclosureRule(suppress_up_to=5, round_to=1).count_text(6)
    '6'
    """

    suppress_up_to: int = 7
    round_to: int = 5
    symbol: str = "*"
    count_columns: frozenset[str] = field(default_factory=frozenset)
    rate_columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def is_suppressed(self, value: Any) -> bool:
        """True when ``value`` is a count from 1 to ``suppress_up_to``."""
        x = _as_number(value)
        return x is not None and 0 < x <= self.suppress_up_to

    def count_text(self, value: Any) -> str:
        """A count as a stakeholder may see it.

        >>> DisclosureRule().count_text(None), DisclosureRule().count_text(2.0)
        ('', '*')
        """
        x = _as_number(value)
        if x is None:
            return "" if value is None or (isinstance(value, float) and math.isnan(value)) \
                else str(value)
        if self.is_suppressed(x):
            return self.symbol
        if self.round_to > 1:
            x = self.round_to * math.floor(x / self.round_to + 0.5)
        return f"{int(x)}" if float(x).is_integer() else f"{x:g}"

    def counts(self, extra: Iterable[str] = ()) -> frozenset[str]:
        """Every column name treated as a count under this rule."""
        return COUNT_NAMES | registry_counts() | self.count_columns | frozenset(extra)

    def rates(self, extra: Mapping[str, Iterable[str]] | None = None) -> dict[str, tuple]:
        """Rate column -> the count columns it is built on."""
        out = {**RATE_BASES, **{k: tuple(v) for k, v in self.rate_columns.items()}}
        out.update({k: tuple(v) for k, v in (extra or {}).items()})
        return out


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return None if isinstance(value, float) and math.isnan(value) else float(value)
    if hasattr(value, "item"):
        try:
            return _as_number(value.item())
        except (ValueError, TypeError):
            return None
    if isinstance(value, str):
        m = _NUMBER.match(value)
        if m:
            return float(m.group(1).replace(",", ""))
    return None


def rule_from_study(block: Any, source: str = "<study>") -> DisclosureRule:
    """The rule a study's ``disclosure:`` block asks for (defaults when ``None``).

    >>> rule_from_study({"suppress_up_to": 10}).suppress_up_to
    10
    >>> rule_from_study({"round": 5})
    Traceback (most recent call last):
    ...
    workbench.errors.StudyError: <study>: unknown key 'disclosure.round'; allowed: ['suppress_up_to', 'round_to', 'symbol', 'count_columns', 'rate_columns']
    """
    if block is None:
        return DisclosureRule()
    if not isinstance(block, Mapping):
        raise StudyError(f"{source}: key 'disclosure': expected a mapping such as "
                         "{suppress_up_to: 7, round_to: 5}, got " + type(block).__name__)
    for key in block:
        if key not in DISCLOSURE_KEYS:
            raise StudyError(f"{source}: unknown key 'disclosure.{key}'; allowed: "
                             f"{list(DISCLOSURE_KEYS)}")
    rule = DisclosureRule()
    for key in ("suppress_up_to", "round_to"):
        if key in block:
            v = block[key]
            low = 0 if key == "suppress_up_to" else 1
            if isinstance(v, bool) or not isinstance(v, int) or v < low:
                raise StudyError(f"{source}: key 'disclosure.{key}': expected a whole number "
                                 f">= {low}, got {v!r}")
            rule = replace(rule, **{key: v})
    if "symbol" in block:
        if not isinstance(block["symbol"], str) or not block["symbol"]:
            raise StudyError(f"{source}: key 'disclosure.symbol': expected non-empty text, "
                             f"got {block['symbol']!r}")
        rule = replace(rule, symbol=block["symbol"])
    if "count_columns" in block:
        cols = block["count_columns"]
        if not isinstance(cols, list) or not all(isinstance(c, str) for c in cols):
            raise StudyError(f"{source}: key 'disclosure.count_columns': expected a list of "
                             f"column names, got {cols!r}")
        rule = replace(rule, count_columns=frozenset(cols))
    if "rate_columns" in block:
        rates = block["rate_columns"]
        if not isinstance(rates, Mapping) or not all(
                isinstance(v, list) and all(isinstance(c, str) for c in v)
                for v in rates.values()):
            raise StudyError(f"{source}: key 'disclosure.rate_columns': expected a mapping "
                             "rate column -> [count columns it is built on], got "
                             f"{rates!r}")
        rule = replace(rule, rate_columns={k: tuple(v) for k, v in rates.items()})
    return rule


def rule_to_dict(rule: DisclosureRule) -> dict:
    """The rule as plain JSON-able values (for manifests and run tasks).

    >>> rule_to_dict(DisclosureRule())["suppress_up_to"]
    7
    """
    return {"suppress_up_to": rule.suppress_up_to, "round_to": rule.round_to,
            "symbol": rule.symbol, "count_columns": sorted(rule.count_columns),
            "rate_columns": {k: list(v) for k, v in sorted(rule.rate_columns.items())}}


def suppress_frame(data: pd.DataFrame, rule: DisclosureRule | None = None, *,
                   counts: Iterable[str] = (), rates: Mapping[str, Iterable[str]] | None = None,
                   row_key: str | None = "measure") -> pd.DataFrame:
    """A copy of ``data`` as text, with counts suppressed and rounded.

    Count columns (:meth:`DisclosureRule.counts` plus ``counts``) are shown with
    :meth:`DisclosureRule.count_text`. A rate column is suppressed in each row where
    one of its base count columns is suppressed, or where it has a count column
    named ``n``/``count`` that is. When a column ``row_key`` names measures, the
    numeric cells of rows whose measure is a count are treated as counts too.
    Other cells are left as they are (as text).

    >>> df = pd.DataFrame({"measure": ["complaints", "fft_pct_positive"], "median": [3, 91.2]})
    >>> suppress_frame(df)["median"].tolist()
    ['*', '91.2']
    """
    rule = rule or DisclosureRule()
    count_cols = rule.counts(counts)
    rate_map = rule.rates(rates)
    out = data.astype(object).copy()
    raw = data
    suppressed = pd.DataFrame(False, index=data.index, columns=data.columns)
    for col in data.columns:
        if str(col) in count_cols:
            suppressed[col] = raw[col].map(rule.is_suppressed).astype(bool)
            out[col] = raw[col].map(rule.count_text)
    if row_key and row_key in data.columns:
        count_rows = raw[row_key].astype(str).isin(registry_counts() | rule.count_columns)
        for col in data.columns:
            if col == row_key or str(col) in count_cols:
                continue
            numeric = raw[col].map(lambda v: _as_number(v) is not None)
            cells = count_rows & numeric
            if cells.any():
                suppressed.loc[cells, col] = raw.loc[cells, col].map(rule.is_suppressed)
                out.loc[cells, col] = raw.loc[cells, col].map(rule.count_text)
    generic = [c for c in data.columns if str(c) in ("n", "count")]
    for col in data.columns:
        name = str(col)
        bases = [b for b in rate_map.get(name, ()) if b in data.columns]
        if name in count_cols or not (bases or (generic and _looks_like_rate(name))):
            continue
        hide = suppressed[bases + generic].any(axis=1) if (bases or generic) else None
        if hide is not None and hide.any():
            out.loc[hide, col] = rule.symbol
    return out.map(lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v))
                   else (v if isinstance(v, str) else _plain(v)))


def _looks_like_rate(name: str) -> bool:
    m = M.MEASURES.get(name)
    if m is not None:
        return m.kind in ("percent", "rate")
    low = name.lower()
    return any(w in low for w in ("pct", "percent", "%", "rate", "per_1000", "share",
                                  "proportion"))


def _plain(v: Any) -> str:
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return str(v)


# ---- HTML -----------------------------------------------------------------------------

def suppress_html(html: str, rule: DisclosureRule | None = None, *,
                  log: DisclosureLog | None = None, location: str = "") -> str:
    """Every ``<table>`` of an HTML fragment with counts suppressed, and the text
    outside tables through :func:`disclose_text`.

    Column names come from the table's last header row (a pandas index name row
    is skipped); a wrapper carrying :data:`TABLE_ATTR` (written by
    ``Session.show``) adds the count and rate columns it lists. Changes are
    recorded in ``log`` under ``location``.

    >>> t = pd.DataFrame({"complaints": [3, 12]}).to_html(index=False)
    >>> out = suppress_html(t)
    >>> ">3<" in out, ">*<" in out, ">10<" in out
    (False, True, True)
    >>> suppress_html("<p>Only 4 patients replied.</p>")
    '<p>Only * patients replied.</p>'
    """
    rule = rule or DisclosureRule()
    if "<table" not in html and not _TEXT_COUNT.search(html):
        return html
    from bs4 import BeautifulSoup, NavigableString

    soup = BeautifulSoup(html, "html.parser")
    for table in soup.find_all("table"):
        extra_counts: list[str] = []
        extra_rates: dict[str, list[str]] = {}
        wrapper = table.find_parent(attrs={TABLE_ATTR: True})
        if wrapper is not None:
            spec = json.loads(wrapper[TABLE_ATTR])
            extra_counts = list(spec.get("counts", []))
            extra_rates = dict(spec.get("rates", {}))
        _suppress_table(table, rule, extra_counts, extra_rates, log, location)
    for text in list(soup.find_all(string=True)):
        if type(text) is not NavigableString or text.find_parent(
                ["table", "style", "script"]) is not None:
            continue
        new = disclose_text(str(text), rule, log=log, where="html text", location=location)
        if new != str(text):
            text.replace_with(new)
    return str(soup)


def _cell_text(cell) -> str:
    return cell.get_text(strip=True)


def _suppress_table(table, rule: DisclosureRule, counts: list[str],
                    rates: dict[str, list[str]], log: DisclosureLog | None = None,
                    location: str = "") -> None:
    head = table.find("thead")
    body_rows = [tr for tr in table.find_all("tr") if not (head and tr.find_parent("thead"))]
    header_rows = head.find_all("tr") if head else []
    if not header_rows and body_rows and body_rows[0].find("th") and not body_rows[0].find("td"):
        header_rows, body_rows = [body_rows[0]], body_rows[1:]
    if not header_rows:
        return
    rows: list[list[str]] = []
    for tr in header_rows:
        row: list[str] = []
        for cell in tr.find_all(["th", "td"]):
            row += [_cell_text(cell)] * int(cell.get("colspan", 1))
        rows.append(row)
    # each column is named by its last non-empty heading (pandas writes the index name
    # on a row of its own, below the column names)
    span = max(len(r) for r in rows)
    names = [""] * span
    for row in rows:
        row = [""] * (span - len(row)) + row
        names = [new or old for old, new in zip(names, row)]
    cells_by_row = [tr.find_all(["th", "td"]) for tr in body_rows]
    width = max([len(names)] + [len(r) for r in cells_by_row]) if cells_by_row else 0
    names = [""] * (width - len(names)) + names
    if not cells_by_row:
        return
    frame = pd.DataFrame([[_cell_text(c) for c in r] + [""] * (width - len(r))
                          for r in cells_by_row], columns=range(width))
    labelled = frame.copy()
    seen: dict[str, int] = {}
    unique = []
    for i, n in enumerate(names):
        n = n or f"__col{i}"
        seen[n] = seen.get(n, 0) + 1
        unique.append(n if seen[n] == 1 else f"{n}__{seen[n]}")
    labelled.columns = unique
    row_key = "measure" if "measure" in labelled.columns else None
    if row_key is None and width and not names[0]:
        # an unnamed index column holding measure names (e.g. describe().T)
        first = labelled.columns[0]
        if labelled[first].isin(registry_counts()).any():
            labelled = labelled.rename(columns={first: "measure"})
            row_key = "measure"
    shown = suppress_frame(labelled, rule, counts=counts, rates=rates, row_key=row_key)
    for i, tr_cells in enumerate(cells_by_row):
        for j, cell in enumerate(tr_cells):
            if j >= shown.shape[1]:
                continue
            new, old = shown.iat[i, j], labelled.iat[i, j]
            if new != old:
                cell.string = new
                if log is not None:
                    log.add("table", location, old, new,
                            f"column {unique[j]}, row {i + 1}")


# ---- text: sentences, Markdown, printed output --------------------------------------

@dataclass
class DisclosureLog:
    """What the disclosure rule hid or rounded, and where: one entry per change, with
    ``where`` (``table``, ``sentence``, ``markdown``, ``text``, ``csv``, ...),
    ``location`` (the cell, finding or column), the ``original`` and ``shown`` values
    and ``what`` (the column, or the words around the number).

    >>> log = DisclosureLog()
    >>> disclose_text("the latest value (3.0 complaints)", log=log, where="sentence")
    'the latest value (* complaints)'
    >>> log.entries[0]["original"], log.entries[0]["shown"]
    ('3.0', '*')
    """

    entries: list[dict[str, str]] = field(default_factory=list)

    def add(self, where: str, location: str, original: Any, shown: str, what: str = "") -> None:
        """Record one change."""
        self.entries.append({"where": where, "location": location, "original": str(original),
                             "shown": shown, "what": what})

    def to_json(self, rule: DisclosureRule | None = None) -> str:
        """The log as JSON text, with the rule it applied (for ``disclosure.json``).

        >>> json.loads(DisclosureLog().to_json())["rule"]["round_to"]
        5
        """
        summary: dict[str, int] = {}
        for e in self.entries:
            key = f"{e['where']}: {'hidden' if e['shown'] == (rule or DisclosureRule()).symbol else 'rounded'}"
            summary[key] = summary.get(key, 0) + 1
        return json.dumps({"rule": rule_to_dict(rule or DisclosureRule()),
                           "summary": dict(sorted(summary.items())),
                           "changes": self.entries}, indent=1, ensure_ascii=False) + "\n"


#: A number as written in text: ``7``, ``1.0``, ``1,234``.
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
#: Words that end a qualifier run between a number and its noun.
_STOP = ("of|per|in|to|and|or|the|a|an|at|for|with|by|from|on|than|vs|is|are|was|were|"
         "percentage|points?|percent|times|" + "|".join(sorted(EXEMPT_NOUNS)))


def _noun_pattern() -> str:
    return "|".join(sorted((re.escape(n) for n in PEOPLE_NOUNS), key=len, reverse=True))


_TEXT_COUNT = re.compile(
    rf"(?:(?P<rate>{_NUM})(?P<pct>%)?\s*\((?=\s*(?:{_NUM})\s))?"
    rf"(?<![\w.,/-])(?<!per )(?P<a>{_NUM})"
    rf"(?:\s+(?:of|out of|/)\s+(?P<b>{_NUM}))?"
    rf"(?P<mid>(?:\s+(?!(?:{_STOP})\b)[A-Za-z&][\w&;'-]*){{0,3}}?)"
    rf"\s+(?P<noun>{_noun_pattern()})\b"
    r"(?!\s+(?:higher|lower|more|fewer|less)\b)(?!\s+(?:in|across)\s+England\b)"
    r"(?!\s+nationally\b)",
    re.IGNORECASE)
_N_EQUALS = re.compile(rf"\b(?P<lead>n\s*=\s*)(?P<a>{_NUM})(?![\d.,]*\d)")


def _shown(rule: DisclosureRule, text: str) -> str:
    out = rule.count_text(text.replace(",", ""))
    if "," in text and out.isdigit() and len(out) > 3:
        out = f"{int(out):,}"
    return out


def disclose_text(text: str, rule: DisclosureRule | None = None, *,
                  log: DisclosureLog | None = None, where: str = "text",
                  location: str = "") -> str:
    """``text`` with every count of people in it shown by the ``rule``.

    See the module docstring for what the rule reads as a count. Each change is
    recorded in ``log``.

    >>> disclose_text("the latest value (1.0 complaints) is within 0.0 complaints to 29.0 complaints")
    'the latest value (* complaints) is within 0 complaints to 30 complaints'
    >>> disclose_text("71.4% (5 of 7 responses), 12.3 per 1,000 episodes, 3.2 admissions higher")
    '* (* of * responses), 12.3 per 1,000 episodes, 3.2 admissions higher'
    >>> disclose_text("1,234 comments without a score; 40 providers; n = 6")
    '1,235 comments without a score; 40 providers; n = *'
    """
    if not text:
        return text
    rule = rule or DisclosureRule()

    def count(m: re.Match) -> str:
        out = m.group(0)
        pieces = []
        hidden = False
        for key in ("a", "b"):
            raw = m.group(key)
            if raw is None:
                continue
            shown = _shown(rule, raw)
            hidden = hidden or shown == rule.symbol
            pieces.append((m.start(key) - m.start(0), m.end(key) - m.start(0), raw, shown))
        if hidden and m.group("rate") is not None:
            end = m.end("pct") if m.group("pct") else m.end("rate")
            pieces.insert(0, (m.start("rate") - m.start(0), end - m.start(0),
                              m.group("rate") + (m.group("pct") or ""), rule.symbol))
        for start, end, raw, shown in reversed(pieces):
            if shown != raw:
                out = out[:start] + shown + out[end:]
                if log is not None:
                    log.add(where, location, raw, shown, " ".join(m.group(0).split()))
        return out

    def equals(m: re.Match) -> str:
        shown = _shown(rule, m.group("a"))
        if shown != m.group("a") and log is not None:
            log.add(where, location, m.group("a"), shown, m.group(0))
        return m.group("lead") + shown

    return _N_EQUALS.sub(equals, _TEXT_COUNT.sub(count, text))


#: Text fields of a finding record the rule reads.
FINDING_TEXT = ("sentence", "question", "warning")


def is_people_unit(unit: Any) -> bool:
    """True when a finding's ``unit`` is a count of people (its estimate and interval
    are then counts too, e.g. an SPC chart of complaints).

    >>> is_people_unit("complaints"), is_people_unit("rate ratio per weeks"), is_people_unit("%")
    (True, False, False)
    """
    return str(unit or "").strip().lower() in PEOPLE_NOUNS


def disclose_finding(record: Mapping[str, Any], rule: DisclosureRule | None = None, *,
                     log: DisclosureLog | None = None, where: str = "finding",
                     location: str = "") -> dict[str, Any]:
    """A copy of a finding record as a stakeholder may see it: ``n`` through the
    rule (as text), the text fields (:data:`FINDING_TEXT`) through
    :func:`disclose_text`, and, when the unit is a count of people
    (:func:`is_people_unit`), the estimate and interval too.

    >>> r = disclose_finding({"id": "spc:complaints@R1", "n": 12, "unit": "complaints",
    ...     "estimate": 2.5, "ci_low": 0.0, "ci_high": 7.1,
    ...     "sentence": "R1: latest 1.0 complaints."})
    >>> r["n"], r["estimate"], r["ci_low"], r["sentence"]
    ('10', '*', '0', 'R1: latest * complaints.')
    """
    rule = rule or DisclosureRule()
    out = dict(record)
    loc = location or str(record.get("id", ""))
    if "n" in out and out["n"] is not None and not (isinstance(out["n"], float)
                                                      and math.isnan(out["n"])):
        shown = rule.count_text(out["n"])
        if shown != _plain(out["n"]) and log is not None:
            log.add(where, loc, _plain(out["n"]), shown, "n")
        out["n"] = shown
    for key in FINDING_TEXT:
        if isinstance(out.get(key), str):
            out[key] = disclose_text(out[key], rule, log=log, where=f"{where} {key}",
                                     location=loc)
    if is_people_unit(out.get("unit")):
        for key in ("estimate", "ci_low", "ci_high"):
            v = out.get(key)
            if _as_number(v) is None:
                continue
            shown = rule.count_text(v)
            if shown != _plain(v) and log is not None:
                log.add(where, loc, _plain(v), shown, key)
            out[key] = shown
    return out
