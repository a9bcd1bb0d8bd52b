"""Disclosure control for everything shown to stakeholders, by what each number is.

A count of people small enough to identify someone must not leave the analyst's desk,
nor be worked out from what does. The rule acts on the **kind** of each number
(:mod:`workbench.analysis.findings.kinds`), never on the words near it:

* a **count of people** (``people``: patients, responses, complaints, comments,
  attendances, ...): 0 is shown as ``0``, 1 to 7 as ``*``, others rounded to the
  nearest 5 (NHS hospital statistics' rule);
* a **rate or share** built on counts of people (``rate``, with its numerator and
  denominator): hidden when its numerator or its denominator is hidden, or, for a
  share of people, its complement (denominator minus numerator: the 1 negative
  response of 197); otherwise shown to a fixed, small number of decimals (one for a
  percentage), so that it cannot be solved back to the exact counts;
* a value that **follows** another (an interval, a p-value or a control limit of a
  hidden estimate; the numerator of a hidden share) is hidden with it;
* **exempt**: model estimates, counts of periods (months) and of providers, national
  totals: shown as they are.

The rule is a plain value (:class:`DisclosureRule`), configurable per study with a
``disclosure:`` block (:func:`rule_from_study`)::

    disclosure:
      suppress_up_to: 7     # counts 1..7 become the symbol (0 disables suppression)
      round_to: 5           # other counts rounded to a multiple of this (1 disables rounding)
      symbol: "*"
      count_columns: [patients_seen]   # extra column names holding counts of people

Where the kinds come from
-------------------------
* **Findings**: ``n_kind``, ``estimate_kind``, ``numerator``, ``denominator``,
  ``denominator_kind`` of the record (:func:`finding_values`); the sentence is built
  from the record's ``wording``, a typed phrase (:func:`disclose_phrase`). Records
  without kinds keep the defaults: ``n`` a count of people, the estimate a model
  estimate unless its unit is a count of people.
* **Sentences in reports**: typed phrases a notebook displays
  (:data:`~workbench.analysis.findings.kinds.PHRASE_MIME`).
* **Tables**: typed tables (:class:`~workbench.analysis.findings.kinds.Table`, or
  ``Session.show``) say the kind of each column and which columns are parts of a total;
  when one part is hidden a second is hidden too (secondary suppression), so that no
  hidden cell can be worked out by subtraction. Columns no table types are read by name:
  registry count measures, the usual count names (``n``, ``count``, ``patients``...)
  and registry rates on their base counts (:data:`RATE_BASES`).
* **Prose a notebook writes by hand** (its own Markdown, printed text, an untyped
  finding sentence) has no kinds: a text rule (:func:`disclose_text`) reads a number
  directly followed by a noun of people (``4 patients``, ``n = 6``) as a count. It is a
  safety net for what the workbench did not write; the workbench's own sentences never
  pass through it.

Every change is recorded in a :class:`DisclosureLog` (where, what, kind, why, original
value, shown value), written beside each report and each study index as
``disclosure.json`` for an output checker.

Example
-------
>>> rule = DisclosureRule()
>>> [rule.count_text(v) for v in (0, 3, 7, 8, 12, 1234)]
['0', '*', '*', '10', '10', '1235']
>>> from workbench.analysis.findings import kinds as K
>>> p = K.phrase("{rate} ({pos} of {n} responses)", rate=K.rate(99.49238579, 196, 197),
...              pos=K.count(196, "responses", follows="rate"), n=K.count(197, "responses"))
>>> disclose_phrase(p, rule)
'* (* of 195 responses)'
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

from workbench.analysis.findings import formatting
from workbench.analysis.findings.kinds import (
    ESTIMATE,
    EXEMPT,
    KINDS,
    PEOPLE,
    PERIODS,
    PHRASE_MIME,
    RATE,
    TABLE_ATTR,
    KindError,
    Phrase,
    Value,
    write,
)
from workbench.data import measures as M
from workbench.errors import StudyError

__all__ = [
    "COUNT_NAMES", "DISCLOSURE_KEYS", "EXEMPT_NOUNS", "EXEMPT_UNITS",
    "PEOPLE_NOUNS", "PHRASE_MIME", "RATE_BASES", "TABLE_ATTR", "DisclosureLog",
    "DisclosureRule", "Shown", "disclose_finding", "disclose_phrase", "disclose_text",
    "finding_values", "is_people_unit", "people_nouns", "public_entry", "registry_counts",
    "rule_from_study", "rule_to_dict", "show_values", "suppress_frame", "suppress_html",
]

#: Column names that hold counts of people (or of their episodes) besides registry counts.
COUNT_NAMES: frozenset[str] = frozenset({
    "n", "count", "counts", "patients", "people", "persons", "residents", "responses",
    "respondents", "admissions", "attendances", "episodes", "deaths", "cases", "referrals",
    "complaints", "n_patients", "n_responses",
})

#: Units of registry count measures that are not counts of people.
EXEMPT_UNITS: frozenset[str] = frozenset({"beds"})
#: Nouns of counts the text rule leaves alone: providers, capacity, staff FTE, time.
EXEMPT_NOUNS: frozenset[str] = frozenset({
    "provider", "providers", "trust", "trusts", "home", "homes", "hospital", "hospitals",
    "site", "sites", "bed", "beds", "fte", "month", "months", "week", "weeks", "day",
    "days", "year", "years", "hour", "hours", "minute", "minutes", "point", "points",
    "percentage", "per", "times", "wait", "waits",
})
#: Nouns that are counts of people besides the registry's units (singular and plural).
#: A wait is a length of time, not a person: "+0.24 through RTT median wait" is an estimate.
_PEOPLE_WORDS = ("patient", "person", "people", "resident", "response", "respondent",
                 "complaint", "comment", "attendance", "admission", "referral", "episode",
                 "death", "case", "pathway", "user", "carer", "visit", "appointment",
                 "discharge", "birth", "incident", "mention", "answer")


def people_nouns() -> frozenset[str]:
    """Nouns that name counts of people: the units of the registry's count measures
    (bar :data:`EXEMPT_UNITS`) and the usual nouns, singular and plural.

    >>> {"complaints", "pathways", "responses", "comments", "patient"} <= people_nouns()
    True
    >>> "beds" in people_nouns() or "providers" in people_nouns() or "wait" in people_nouns()
    False
    """
    units = {m.unit.lower() for m in M.MEASURES.values()
             if m.kind == "count" and m.unit not in EXEMPT_UNITS}
    words = set(_PEOPLE_WORDS) | {w + "s" for w in _PEOPLE_WORDS if w != "people"}
    words |= units | {u.rstrip("s") for u in units}
    return frozenset(w for w in words if w and w not in EXEMPT_NOUNS)


#: Every noun of a count of people (see :func:`people_nouns`).
PEOPLE_NOUNS: frozenset[str] = people_nouns()

#: Rates and percentages of the registry and the counts they are built on: (numerator,
#: denominator), or for A&E the complement (over 4 hours) and the denominator.
RATE_BASES: dict[str, tuple[str, ...]] = {
    "fft_pct_positive": ("fft_positive", "fft_responses"),
    "rtt_pct_within_18w": ("rtt_within_18w", "rtt_waiting_list"),
    "ae_pct_within_4h": ("ae_over_4h", "ae_attendances"),
    "complaints_per_1000": ("complaints", "episodes"),
}

#: Keys of a study's ``disclosure:`` block.
DISCLOSURE_KEYS = ("suppress_up_to", "round_to", "symbol", "count_columns", "rate_columns")

_NUMBER = re.compile(r"^\s*(-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)\s*$")


def registry_counts() -> frozenset[str]:
    """Names of the measures of kind ``count`` in the registry.

    >>> "fft_responses" in registry_counts(), "fft_pct_positive" in registry_counts()
    (True, False)
    """
    return frozenset(m.name for m in M.MEASURES.values() if m.kind == "count")


@dataclass(frozen=True)
class DisclosureRule:
    """How counts of people are shown: ``1..suppress_up_to`` as ``symbol``, others
    rounded to ``round_to``. ``count_columns`` and ``rate_columns`` (rate -> its base
    counts) add to the columns read by name in untyped tables.

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

    def rounded(self, x: float) -> float:
        """A count rounded to the nearest ``round_to`` (halves up).

        >>> DisclosureRule().rounded(12.5), DisclosureRule(round_to=1).rounded(12.4)
        (15, 12)
        """
        step = max(1, self.round_to)
        return step * math.floor(x / step + 0.5)

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
        x = self.rounded(x) if self.round_to > 1 else x
        return f"{int(x)}" if float(x).is_integer() else f"{x:g}"

    def counts(self, extra: Iterable[str] = ()) -> frozenset[str]:
        """Every column name read as a count of people under this rule."""
        return COUNT_NAMES | registry_counts() | self.count_columns | frozenset(extra)

    def rates(self, extra: Mapping[str, Iterable[str]] | None = None) -> dict[str, tuple]:
        """Rate column -> the count columns it is built on."""
        out = {**RATE_BASES, **{k: tuple(v) for k, v in self.rate_columns.items()}}
        out.update({k: tuple(v) for k, v in (extra or {}).items()})
        return out

    def describe(self) -> str:
        """The rule in one plain sentence, for the foot of a page.

        >>> DisclosureRule().describe()
        'Counts of 1 to 7 are shown as *, other counts are rounded to the nearest 5'
        """
        text = (f"Counts of 1 to {self.suppress_up_to} are shown as {self.symbol}"
                if self.suppress_up_to else "")
        if self.round_to > 1:
            text += ((", other counts" if text else "Counts")
                     + f" are rounded to the nearest {self.round_to}")
        return text


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


# ---- typed values ----------------------------------------------------------------------

@dataclass(frozen=True)
class Shown:
    """A value as a stakeholder sees it: its ``text``, whether it is ``hidden``, and why
    it differs from the raw value (``reason``, '' when it does not).
    """

    text: str
    hidden: bool = False
    reason: str = ""


def _small(rule: DisclosureRule, x: float | None) -> bool:
    return x is not None and 0 < round(x, 9) <= rule.suppress_up_to


def _people_text(v: Value, x: float) -> str:
    if v.style == "quantity":
        return write(x, "quantity", v.unit, 0)
    if v.style == "count":
        return f"{int(x):,}" if float(x).is_integer() else f"{x:,g}"
    return f"{int(x)}" if float(x).is_integer() else f"{x:g}"


def _rate_text(v: Value) -> str:
    if v.style == "quantity":
        return write(v.value, "quantity", v.unit, v.digits)
    text = formatting.fixed(v.value, v.digits, sign=v.style == "signed").replace(",", "")
    return text + "%" if v.unit == "%" else text


def _hidden_text(v: Value, rule: DisclosureRule) -> str:
    """The symbol, with the unit a quantity is written with ("* complaints")."""
    if v.style == "quantity" and v.unit and v.unit != "%":
        return f"{rule.symbol} {v.unit}"
    return rule.symbol


def _show_own(v: Value, rule: DisclosureRule) -> Shown:
    """What the rule does with ``v`` alone (``follows`` is applied by :func:`show_values`)."""
    if v.missing:
        return Shown("")
    raw = v.text()
    if v.kind == PEOPLE:
        if _small(rule, v.value):
            return Shown(_hidden_text(v, rule), True,
                         f"a count of people from 1 to {rule.suppress_up_to}")
        x = rule.rounded(v.value) if rule.round_to > 1 else v.value
        text = _people_text(v, x)
        return Shown(text, False, f"rounded to the nearest {rule.round_to}"
                     if text != raw else "")
    if v.kind == RATE:
        num, den = v.numerator, v.denominator
        if _small(rule, num):
            return Shown(rule.symbol, True, "its numerator is a hidden count")
        if v.base == PEOPLE and _small(rule, den):
            return Shown(rule.symbol, True, "its denominator is a hidden count")
        if v.base == PEOPLE and num is not None and den is not None \
                and _small(rule, den - num):
            return Shown(rule.symbol, True,
                         "its complement (denominator minus numerator) is a hidden count")
        text = _rate_text(v)
        return Shown(text, False, f"to {v.digits} decimal(s)" if text != raw else "")
    return Shown(raw)


def show_values(values: Mapping[str, Value | str], rule: DisclosureRule | None = None
                ) -> dict[str, Shown]:
    """Every value as a stakeholder sees it, by its kind; a value that ``follows``
    a hidden one is hidden too. Text values are shown as they are.

    >>> from workbench.analysis.findings import kinds as K
    >>> out = show_values({"mean": K.rate(0.25, 6, 24, unit="", base="periods"),
    ...                    "upper": K.estimate(1.9, follows="mean"), "months": K.periods(24)})
    >>> [(k, s.text) for k, s in out.items()]
    [('mean', '*'), ('upper', '*'), ('months', '24')]
    """
    rule = rule or DisclosureRule()
    out = {k: Shown(v) if isinstance(v, str) else _show_own(v, rule)
           for k, v in values.items()}
    changed = True
    while changed:
        changed = False
        for k, v in values.items():
            if isinstance(v, Value) and v.follows and not out[k].hidden \
                    and out.get(v.follows, Shown("")).hidden and not v.missing:
                out[k] = Shown(_hidden_text(v, rule), True, f"hidden with {v.follows}")
                changed = True
    return out


def _log_shown(log: DisclosureLog | None, where: str, location: str,
               values: Mapping[str, Value | str], shown: Mapping[str, Shown]) -> None:
    if log is None:
        return
    for k, v in values.items():
        if isinstance(v, Value) and shown[k].reason:
            log.add(where, location, v.text(), shown[k].text, k, reason=shown[k].reason,
                    kind=v.kind + (f" ({v.unit})" if v.unit else ""))


def disclose_phrase(phrase: Phrase | Mapping[str, Any], rule: DisclosureRule | None = None,
                    *, log: DisclosureLog | None = None, where: str = "sentence",
                    location: str = "", escape=None) -> str:
    """A typed sentence as a stakeholder reads it: each value shown by its kind
    (:func:`show_values`); text values pass through ``escape`` when given (e.g. a
    Markdown escaper). Changes are recorded in ``log``.

    >>> from workbench.analysis.findings import kinds as K
    >>> p = K.phrase("{who}: latest {x}; {m} months; changed by {e} through RTT median wait",
    ...              who="R1", x=K.count(1.0, "complaints", style="quantity"),
    ...              m=K.periods(24), e=K.estimate(0.24, style="signed"))
    >>> disclose_phrase(p)
    'R1: latest * complaints; 24 months; changed by +0.24 through RTT median wait'
    """
    if not isinstance(phrase, Phrase):
        phrase = Phrase.from_dict(phrase)
    shown = show_values(phrase.values, rule)
    _log_shown(log, where, location, phrase.values, shown)
    texts = {}
    for k, v in phrase.values.items():
        text = shown[k].text
        if isinstance(v, str) and escape is not None:
            text = escape(text)
        texts[k] = text
    return phrase.render(texts)


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


# ---- tables ----------------------------------------------------------------------------

def _cell_value(spec: Mapping[str, Any], raw: pd.DataFrame, i: int, x: Any) -> Value:
    """The typed value of one cell of a column typed by ``spec`` (row position ``i``)."""
    def ref(key: str) -> float | None:
        r = spec.get(key)
        if r is None:
            return None
        if isinstance(r, str):
            return _as_number(raw[r].iloc[i]) if r in raw.columns else None
        return _as_number(r[i]) if i < len(r) else None

    kind = spec.get("kind", ESTIMATE)
    if kind not in KINDS:
        raise KindError(f"table column kind {kind!r} is not one of {list(KINDS)}")
    return Value(_as_number(x), kind, str(spec.get("unit", "")), "number",
                 int(spec.get("digits", 1)), ref("numerator"), ref("denominator"),
                 spec.get("base", PEOPLE))


def suppress_frame(data: pd.DataFrame, rule: DisclosureRule | None = None, *,
                   counts: Iterable[str] = (), rates: Mapping[str, Iterable[str]] | None = None,
                   row_key: str | None = "measure",
                   kinds: Mapping[str, Mapping[str, Any]] | None = None,
                   sums: Iterable[Mapping[str, Any]] = ()) -> pd.DataFrame:
    """A copy of ``data`` as text, with counts of people hidden and rounded and the rates
    built on them hidden or shown to fixed decimals.

    ``kinds`` types columns (column -> :class:`~workbench.analysis.findings.kinds.Value`
    fields: ``kind``, ``unit``, ``digits``; for a rate the ``numerator`` and ``denominator``
    columns or per-row numbers and the ``base``; ``follows``: a column whose hidden cell
    hides this one in its row); each cell is shown by its kind. ``sums`` lists
    ``{"total": column, "parts": [columns]}``: where the rule hides exactly one cell of
    such a relation in a row, the smallest other non-zero part (else the total) is hidden
    too, so that the hidden cell cannot be worked out by subtraction.

    Columns not typed are read by name: count columns (:meth:`DisclosureRule.counts` plus
    ``counts``) through :meth:`DisclosureRule.count_text`; a rate column
    (:meth:`DisclosureRule.rates` plus ``rates``) is hidden in each row where one of its
    base count columns is hidden or, for a percentage of the registry whose two bases
    are in the table, where its complement is, or where a count column named ``n`` or
    ``count`` is hidden. When a column ``row_key`` names measures, the numeric cells of
    rows whose measure is a count are counts too. Other cells are left as they are.

    >>> df = pd.DataFrame({"measure": ["complaints", "fft_pct_positive"], "median": [3, 91.2]})
    >>> suppress_frame(df)["median"].tolist()
    ['*', '91.2']
    >>> t = pd.DataFrame({"total": [12, 40], "a": [3, 20], "b": [9, 20]})
    >>> suppress_frame(t, DisclosureRule(round_to=1), kinds={c: {"kind": "people"} for c in t},
    ...                sums=[{"total": "total", "parts": ["a", "b"]}]).values.tolist()
    [['12', '*', '*'], ['40', '20', '20']]
    """
    return _disclose_frame(data, rule, counts=counts, rates=rates, row_key=row_key,
                           kinds=kinds, sums=sums)[0]


def _disclose_frame(data: pd.DataFrame, rule: DisclosureRule | None = None, *,
                    counts: Iterable[str] = (),
                    rates: Mapping[str, Iterable[str]] | None = None,
                    row_key: str | None = "measure",
                    kinds: Mapping[str, Mapping[str, Any]] | None = None,
                    sums: Iterable[Mapping[str, Any]] = ()
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`suppress_frame`, and the reason of each changed cell ('' where none)."""
    rule = rule or DisclosureRule()
    kinds = {str(k): dict(v) for k, v in (kinds or {}).items() if str(k) in map(str, data.columns)}
    count_cols = rule.counts(counts) - set(kinds)
    rate_map = {k: v for k, v in rule.rates(rates).items() if k not in kinds}
    raw = data.reset_index(drop=True)
    raw.columns = [str(c) for c in raw.columns]
    out = raw.astype(object).copy()
    reasons = pd.DataFrame("", index=raw.index, columns=raw.columns, dtype=object)
    hidden = pd.DataFrame(False, index=raw.index, columns=raw.columns)

    def mark(col: str, i: int, text: str, reason: str, is_hidden: bool) -> None:
        out.at[i, col] = text
        reasons.at[i, col] = reason
        hidden.at[i, col] = is_hidden

    # typed columns: each cell by its kind
    for col, spec in kinds.items():
        for i, x in enumerate(raw[col]):
            v = _cell_value(spec, raw, i, x)
            if v.missing or v.kind in EXEMPT:
                continue
            s = _show_own(v, rule)
            if s.text not in (_plain(x), str(x)):
                mark(col, i, s.text, s.reason or (
                    f"to {v.digits} decimal(s)" if v.kind == RATE
                    else f"rounded to the nearest {rule.round_to}"), s.hidden)

    def mark_count(col, i, x) -> None:  # an untyped cell read as a count of people
        if _as_number(x) is None:
            return
        text = rule.count_text(x)
        if text != _plain(x):
            mark(col, i, text, f"a count of people from 1 to {rule.suppress_up_to}"
                 if text == rule.symbol else f"rounded to the nearest {rule.round_to}",
                 text == rule.symbol)

    # untyped count columns, and count rows of measure tables, by name
    for col in raw.columns:
        if col in count_cols:
            for i, x in enumerate(raw[col]):
                mark_count(col, i, x)
    if row_key and row_key in raw.columns:
        count_rows = raw[row_key].astype(str).isin(registry_counts() | rule.count_columns)
        for col in raw.columns:
            if col == row_key or col in count_cols or col in kinds:
                continue
            for i in raw.index[count_rows]:
                mark_count(col, i, raw.at[i, col])
    # untyped rates: hidden with their base counts (and complement of a registry share)
    generic = [c for c in raw.columns if c in ("n", "count") and c not in kinds]
    for col in raw.columns:
        if col in count_cols or col in kinds:
            continue
        bases = [b for b in rate_map.get(col, ()) if b in raw.columns]
        if not (bases or (generic and _looks_like_rate(col))):
            continue
        hide = hidden[bases + generic].any(axis=1)
        m = M.MEASURES.get(col)
        if m is not None and m.kind == "percent" and len(bases) == 2:
            part, whole = (_num_series(raw[b]) for b in bases)
            hide |= (whole - part).map(lambda d: _small(rule, d)).astype(bool)
        for i in raw.index[hide]:
            if _as_number(raw.at[i, col]) is not None:
                mark(col, i, rule.symbol, "a rate built on a hidden count", True)
    # follows: hidden with another cell of the row
    changed = True
    while changed:
        changed = False
        for col, spec in kinds.items():
            lead = spec.get("follows")
            if not lead or lead not in raw.columns:
                continue
            for i in raw.index[hidden[lead] & ~hidden[col]]:
                if _as_number(raw.at[i, col]) is not None:
                    mark(col, i, rule.symbol, f"hidden with {lead}", True)
                    changed = True
    _secondary(raw, out, reasons, hidden, list(sums), rule)
    shown = out.map(lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v))
                    else (v if isinstance(v, str) else _plain(v)))
    shown.index, reasons.index = data.index, data.index
    shown.columns, reasons.columns = data.columns, data.columns
    return shown, reasons


def _num_series(s: pd.Series) -> pd.Series:
    return s.map(lambda v: _as_number(v) if _as_number(v) is not None else math.nan)


def _secondary(raw: pd.DataFrame, out: pd.DataFrame, reasons: pd.DataFrame,
               hidden: pd.DataFrame, sums: list[Mapping[str, Any]],
               rule: DisclosureRule) -> None:
    """Secondary suppression: no sum relation of a row has exactly one hidden cell."""
    changed = True
    while changed:
        changed = False
        for rel in sums:
            total, parts = str(rel["total"]), [str(p) for p in rel.get("parts", [])]
            cells = [c for c in [total, *parts] if c in raw.columns]
            for i in raw.index:
                n_hidden = int(sum(bool(hidden.at[i, c]) for c in cells))
                if n_hidden != 1:
                    continue
                shown_parts = [(abs(_as_number(raw.at[i, c]) or 0.0), c) for c in parts
                               if c in raw.columns and not hidden.at[i, c]
                               and (_as_number(raw.at[i, c]) or 0) != 0]
                pick = min(shown_parts)[1] if shown_parts else total
                if pick not in raw.columns or hidden.at[i, pick]:
                    continue
                out.at[i, pick] = rule.symbol
                reasons.at[i, pick] = ("hidden so that a hidden cell of the same total cannot "
                                       "be worked out by subtraction")
                hidden.at[i, pick] = True
                changed = True


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
    """Every ``<table>`` of an HTML fragment through the rule, and the text outside
    tables through :func:`disclose_text`.

    Column names come from the table's last header row (a pandas index name row is
    skipped). A wrapper carrying :data:`TABLE_ATTR` (a typed
    :class:`~workbench.analysis.findings.kinds.Table`, or ``Session.show``) gives the
    kinds of its columns and its sums, or count and rate columns by name; the attribute
    is removed once read. Changes are recorded in ``log`` under ``location``.

    >>> t = pd.DataFrame({"complaints": [3, 12]}).to_html(index=False)
    >>> out = suppress_html(t)
    >>> ">3<" in out, ">*<" in out, ">10<" in out
    (False, True, True)
    >>> suppress_html("<p>Only 4 patients replied.</p>")
    '<p>Only * patients replied.</p>'
    """
    rule = rule or DisclosureRule()
    if "<table" not in html and not _TEXT_COUNT.search(html) and not _N_EQUALS.search(html):
        return html
    from bs4 import BeautifulSoup, NavigableString

    soup = BeautifulSoup(html, "html.parser")
    for table in soup.find_all("table"):
        spec: dict[str, Any] = {}
        wrapper = table.find_parent(attrs={TABLE_ATTR: True})
        if wrapper is not None:
            try:
                spec = json.loads(wrapper[TABLE_ATTR])
            except ValueError:
                spec = {}
        if isinstance(spec.get("findings"), list):  # a findings table: each row by its kinds
            _disclose_findings_table(table, spec, rule, log, location)
            continue
        _suppress_table(table, rule, list(spec.get("counts", [])),
                        dict(spec.get("rates", {})), log, location,
                        kinds=spec.get("kinds"), sums=spec.get("sums", []),
                        raw_names=spec.get("names"), row_measures=spec.get("row_measures"))
    for wrapper in soup.find_all(attrs={TABLE_ATTR: True}):
        del wrapper[TABLE_ATTR]  # raw per-row numbers may travel in it: never published
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


def _disclose_findings_table(table, spec: Mapping[str, Any], rule: DisclosureRule,
                             log: DisclosureLog | None = None, location: str = "") -> None:
    """A table of findings (:func:`workbench.report.tables.board_findings_table`): each
    row's numbers shown by the kinds of its finding (``spec["findings"]``, the records'
    numbers in row order; :func:`finding_values`), in the columns ``spec["fields"]``
    names (column -> ``estimate``, ``interval``, ``p_value``, ``n``, ``truth`` or
    ``text``). A cell is rewritten only where the rule changes its number; the interval,
    p-value and true value of a hidden estimate are hidden with it; text goes through
    :func:`disclose_text`.
    """
    head = table.find("thead")
    names = [_cell_text(c) for c in (head.find_all("th") if head else [])]
    field_of = {str(k): str(v) for k, v in dict(spec.get("fields", {})).items()}
    records = list(spec.get("findings", []))
    rows = [tr for tr in table.find_all("tr") if not (head and tr.find_parent("thead"))]
    for i, tr in enumerate(rows):
        record = records[i] if i < len(records) and isinstance(records[i], Mapping) else {}
        values = finding_values(record)
        shown = show_values(values, rule)
        place = f"{location} row {i + 1}".strip()
        _log_shown(log, "findings table", place, values, shown)
        hidden = "estimate" in shown and shown["estimate"].hidden
        changed = {k: v.text for k, v in shown.items()
                   if v.hidden or v.text != values[k].text()}
        for j, cell in enumerate(tr.find_all(["th", "td"])):
            field_name = field_of.get(names[j] if j < len(names) else "", "")
            old = _cell_text(cell)
            new = None
            if field_name == "text":
                text = disclose_text(old, rule, log=log, where="findings table", location=place)
                new = text if text != old else None
            elif field_name in ("estimate", "p_value", "n"):
                new = changed.get(field_name)
            elif field_name == "interval" and old:
                if hidden:
                    new = rule.symbol
                elif {"ci_low", "ci_high"} & set(changed) and {"ci_low", "ci_high"} <= set(shown):
                    new = f"{shown['ci_low'].text} to {shown['ci_high'].text}"
            elif field_name == "truth" and old and hidden:
                new = rule.symbol  # whether a hidden estimate's interval covers it tells of it
            if new is not None and new != old:
                cell.string = new


def _suppress_table(table, rule: DisclosureRule, counts: list[str],
                    rates: dict[str, list[str]], log: DisclosureLog | None = None,
                    location: str = "", *, kinds: Mapping[str, Any] | None = None,
                    sums: Iterable[Mapping[str, Any]] = (),
                    raw_names: Mapping[str, str] | None = None,
                    row_measures: list[str] | None = None) -> None:
    """One HTML table through the rule; ``raw_names`` maps a column's shown name to the
    data's name, under which the rule reads it (``Session.show`` names columns in words);
    ``row_measures`` gives the measure of each row where the table shows their labels.
    """
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
    names = [str((raw_names or {}).get(n, n)) for n in names]
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
    if isinstance(row_measures, list) and len(row_measures) == len(labelled):
        labelled["__row_measure"], row_key = [str(m) for m in row_measures], "__row_measure"
    shown, reasons = _disclose_frame(labelled, rule, counts=counts, rates=rates,
                                     row_key=row_key, kinds=kinds, sums=sums)
    shown = shown.drop(columns="__row_measure", errors="ignore")
    labelled = labelled.drop(columns="__row_measure", errors="ignore")
    kind_of = {str(k): str(v.get("kind", "")) for k, v in (kinds or {}).items()}
    for i, tr_cells in enumerate(cells_by_row):
        for j, cell in enumerate(tr_cells):
            if j >= shown.shape[1]:
                continue
            new, old = shown.iat[i, j], labelled.iat[i, j]
            if new != old:
                cell.string = new
                if log is not None:
                    log.add("table", location, old, new, f"column {unique[j]}, row {i + 1}",
                            reason=str(reasons.iat[i, j]),
                            kind=kind_of.get(unique[j], "by column name"))


# ---- the log ---------------------------------------------------------------------------

@dataclass
class DisclosureLog:
    """What the disclosure rule hid or rounded, and where: one entry per change, with
    ``where`` (``table``, ``sentence``, ``markdown``, ``text``, ``findings.csv``, ...),
    ``location`` (the cell, finding or column), ``what`` (the value's name, the column,
    or the words around the number), ``kind`` (what the number is), ``reason`` (why it
    was changed), the ``original`` and the ``shown`` values.

    >>> log = DisclosureLog()
    >>> disclose_text("the latest value (3.0 complaints)", log=log, where="sentence")
    'the latest value (* complaints)'
    >>> log.entries[0]["original"], log.entries[0]["shown"]
    ('3.0', '*')
    """

    entries: list[dict[str, str]] = field(default_factory=list)

    def add(self, where: str, location: str, original: Any, shown: str, what: str = "", *,
            reason: str = "", kind: str = "") -> None:
        """Record one change."""
        entry = {"where": where, "location": location, "original": str(original),
                 "shown": shown, "what": what}
        if reason:
            entry["reason"] = reason
        if kind:
            entry["kind"] = kind
        self.entries.append(entry)

    def summary(self, rule: DisclosureRule | None = None) -> dict[str, int]:
        """Changes counted by where and whether hidden or rounded.

        >>> log = DisclosureLog()
        >>> log.add("table", "cell 1", "3", "*")
        >>> log.add("sentence", "f1", "3 complaints", "* complaints")
        >>> log.summary()
        {'sentence: hidden': 1, 'table: hidden': 1}
        """
        symbol = (rule or DisclosureRule()).symbol
        out: dict[str, int] = {}
        for e in self.entries:
            hidden = str(e["shown"]).startswith(symbol)  # "*" or a hidden quantity, "* complaints"
            key = f"{e['where']}: {'hidden' if hidden else 'rounded'}"
            out[key] = out.get(key, 0) + 1
        return dict(sorted(out.items()))

    def to_json(self, rule: DisclosureRule | None = None) -> str:
        """The log as JSON text, with the rule it applied (for ``disclosure.json``; the
        publishable copy leaves the originals out: :func:`public_entry`).

        >>> json.loads(DisclosureLog().to_json())["rule"]["round_to"]
        5
        """
        return json.dumps({"rule": rule_to_dict(rule or DisclosureRule()),
                           "summary": self.summary(rule),
                           "changes": self.entries},
                          indent=1, ensure_ascii=False) + "\n"


# ---- text: prose a notebook writes by hand (a safety net) ------------------------------

#: The ``kind`` of log entries made by the text rule.
TEXT_RULE = "count of people (text rule)"

#: A number as written in text: ``7``, ``1.0``, ``1,234``.
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
#: Words that end a qualifier run between a number and its noun.
_STOP = ("of|per|in|to|and|or|the|a|an|at|for|with|by|from|on|than|vs|is|are|was|were|"
         "percentage|points?|percent|times|" + "|".join(sorted(EXEMPT_NOUNS)))


def public_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A log entry without its original value (and, for a number the text rule changed,
    without the words around it, which hold it): what may be published.

    >>> public_entry({"where": "sentence", "original": "3", "shown": "*", "what": "n",
    ...               "kind": "people"})
    {'where': 'sentence', 'shown': '*', 'what': 'n', 'kind': 'people'}
    """
    out = {k: v for k, v in entry.items() if k != "original"}
    if out.get("kind") == TEXT_RULE:
        out.pop("what", None)
    return out


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
    """``text`` (prose without kinds: a notebook's own Markdown or printed text) with
    every count of people the text rule finds in it shown by the ``rule``.

    A number directly followed by a noun of people (:data:`PEOPLE_NOUNS`), with at most
    three qualifying words between (``1.0 complaints``, ``1,234 FFT positive
    responses``, ``30 of 41 responses``, ``only 5 respondents``), or ``n = 5``, is a
    count; a number after ``per`` (``per 1,000 episodes``) is a denominator, not a
    count; a difference (``3.2 admissions higher``) and a national total (``... in
    England``) are left alone. A rate written just before a count in brackets
    (``71.4% (5 of 7 responses)``) is hidden with it. Each change is recorded in ``log``.

    >>> disclose_text("the latest value (1.0 complaints) is within 0.0 complaints to 29.0 complaints")
    'the latest value (* complaints) is within 0 complaints to 30 complaints'
    >>> disclose_text("71.4% (5 of 7 responses), 12.3 per 1,000 episodes, 3.2 admissions higher")
    '* (* of * responses), 12.3 per 1,000 episodes, 3.2 admissions higher'
    >>> disclose_text("1,234 comments without a score; 40 providers; n = 6; +0.24 through 3 waits")
    '1,235 comments without a score; 40 providers; n = *; +0.24 through 3 waits'
    """
    if not text:
        return text
    rule = rule or DisclosureRule()

    def add(raw: str, shown: str, words: str) -> None:
        if log is not None:
            log.add(where, location, raw, shown, words, kind=TEXT_RULE,
                    reason=f"a count of people from 1 to {rule.suppress_up_to}"
                    if shown == rule.symbol else f"rounded to the nearest {rule.round_to}")

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
                add(raw, shown, " ".join(m.group(0).split()))
        return out

    def equals(m: re.Match) -> str:
        shown = _shown(rule, m.group("a"))
        if shown != m.group("a"):
            add(m.group("a"), shown, m.group(0))
        return m.group("lead") + shown

    return _N_EQUALS.sub(equals, _TEXT_COUNT.sub(count, text))


# ---- findings --------------------------------------------------------------------------


def is_people_unit(unit: Any) -> bool:
    """True when a finding's ``unit`` is a count of people (an untyped finding's estimate
    and interval are then counts too, e.g. an SPC chart of complaints).

    >>> is_people_unit("complaints"), is_people_unit("rate ratio per weeks"), is_people_unit("%")
    (True, False, False)
    """
    return str(unit or "").strip().lower() in PEOPLE_NOUNS


def _rate_digits(unit: str) -> int:
    """Decimals a rate is shown to: two for a ratio (observed / expected), one for
    anything else (a percentage, a rate per 1,000, an average count a month).
    """
    return 2 if "ratio" in unit or "observed / expected" in unit else 1


def _kind(value: Any, default: str) -> str:
    return value if isinstance(value, str) and value in KINDS else default


def finding_values(record: Mapping[str, Any]) -> dict[str, Value]:
    """The numbers of a finding record with their kinds: ``n`` (``n_kind``, default a
    count of people), ``estimate`` (``estimate_kind``: default a model estimate, or a
    count of people when the unit is one; a rate with the record's ``numerator``,
    ``denominator`` and ``denominator_kind``), ``ci_low``/``ci_high`` and ``p_value``
    (following the estimate), and the ``numerator`` (following the estimate) and
    ``denominator`` when given.

    >>> v = finding_values({"id": "spc:a@R1", "n": 24, "n_kind": "periods", "estimate": 0.8,
    ...                     "estimate_kind": "rate", "numerator": 19, "denominator": 24,
    ...                     "denominator_kind": "periods", "unit": "complaints", "ci_low": 0.0})
    >>> v["n"].kind, v["estimate"].kind, v["estimate"].base, v["ci_low"].follows
    ('periods', 'rate', 'periods', 'estimate')
    """
    unit = str(record.get("unit") or "")
    out: dict[str, Value] = {}
    n = _as_number(record.get("n"))
    if n is not None:
        out["n"] = Value(n, _kind(record.get("n_kind"), PEOPLE), style="number")
    ek = _kind(record.get("estimate_kind"), PEOPLE if is_people_unit(unit) else ESTIMATE)
    den_kind = _kind(record.get("denominator_kind"), PEOPLE)
    est = _as_number(record.get("estimate"))
    if ek == RATE:
        out["estimate"] = Value(est, RATE, "", "fixed", _rate_digits(unit),
                                _as_number(record.get("numerator")),
                                _as_number(record.get("denominator")),
                                den_kind if den_kind in (PEOPLE, PERIODS) else ESTIMATE)
    else:
        out["estimate"] = Value(est, ek, unit, "number")
    for key in ("ci_low", "ci_high"):
        x = _as_number(record.get(key))
        if x is not None:
            out[key] = Value(x, PEOPLE if ek == PEOPLE else ESTIMATE, unit, "number",
                             follows="estimate")
    p = _as_number(record.get("p_value"))
    if p is not None:
        out["p_value"] = Value(p, ESTIMATE, follows="estimate")
    num = _as_number(record.get("numerator"))
    if num is not None:
        out["numerator"] = Value(num, PEOPLE, style="number", follows="estimate")
    den = _as_number(record.get("denominator"))
    if den is not None:
        out["denominator"] = Value(den, den_kind if den_kind in KINDS else PEOPLE,
                                   style="number")
    return out


def is_typed(record: Mapping[str, Any]) -> bool:
    """True when a finding says what its numbers are (``estimate_kind``, ``n_kind`` or
    ``wording``): its sentence is then never read by the text rule.

    >>> is_typed({"n_kind": "periods"}), is_typed({"sentence": "4 patients"})
    (True, False)
    """
    return any(record.get(k) for k in ("estimate_kind", "n_kind", "wording"))


def disclose_finding(record: Mapping[str, Any], rule: DisclosureRule | None = None, *,
                     log: DisclosureLog | None = None, where: str = "finding",
                     location: str = "") -> dict[str, Any]:
    """A copy of a finding record as a stakeholder may see it.

    Its numbers are shown by their kinds (:func:`finding_values`): ``n`` as text; a count
    of people or a rate (and anything hidden) as text; model estimates, months and
    provider counts as the numbers they are. The interval, p-value and numerator of a
    hidden estimate are hidden with it. The sentence is built from the record's typed
    ``wording`` (:func:`disclose_phrase`); a typed finding without wording has no count
    of people in its sentence; an untyped one goes through the text rule
    (:func:`disclose_text`), as do the question and the warning. ``wording`` (raw
    values) and ``df_resid`` (the exact number of observations less the parameters)
    are left out.

    >>> r = disclose_finding({"id": "spc:complaints@R1", "n": 12, "unit": "complaints",
    ...     "estimate": 2.5, "ci_low": 0.0, "ci_high": 7.1,
    ...     "sentence": "R1: latest 1.0 complaints."})
    >>> r["n"], r["estimate"], r["ci_low"], r["sentence"]
    ('10', '*', '*', 'R1: latest * complaints.')
    >>> r = disclose_finding({"id": "funnel:fft_pct_positive@N020#2026-03", "n": 197,
    ...     "estimate": 99.49238579, "estimate_kind": "rate", "numerator": 196,
    ...     "denominator": 197, "unit": "%", "p_value": 0.0001, "ci_low": 80.1, "ci_high": 99.0})
    >>> r["estimate"], r["ci_low"], r["p_value"], r["numerator"], r["denominator"], r["n"]
    ('*', '*', '*', '*', '195', '195')
    """
    rule = rule or DisclosureRule()
    out = dict(record)
    loc = location or str(record.get("id", ""))
    values = finding_values(record)
    shown = show_values(values, rule)
    _log_shown(log, where, loc, values, shown)
    for key, v in values.items():
        s = shown[key]
        if key == "n" or s.hidden or v.kind in (PEOPLE, RATE) or (
                key == "denominator" and v.kind == PEOPLE):
            out[key] = s.text
    wording = record.get("wording")
    if isinstance(out.get("sentence"), str):
        if wording:
            try:
                out["sentence"] = disclose_phrase(wording, rule, log=log,
                                                  where=f"{where} sentence", location=loc)
            except KindError:
                out["sentence"] = disclose_text(out["sentence"], rule, log=log,
                                                where=f"{where} sentence", location=loc)
        elif not is_typed(record):
            out["sentence"] = disclose_text(out["sentence"], rule, log=log,
                                            where=f"{where} sentence", location=loc)
    for key in ("question", "warning"):
        if isinstance(out.get(key), str):
            out[key] = disclose_text(out[key], rule, log=log, where=f"{where} {key}",
                                     location=loc)
    if "wording" in out:
        out["wording"] = ""
    if "df_resid" in out:
        out["df_resid"] = None
    return out
