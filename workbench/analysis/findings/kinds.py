"""What a number is: the kinds the disclosure rule acts on, typed values, sentences and
tables built from them.

Whether a number may be shown to a stakeholder depends on what it is, not on the words
near it. Every number the workbench writes for a reader can say what it is:

=============  ==========================================================================
kind           what it is, and what the disclosure rule does with it
=============  ==========================================================================
``people``     a count of people or of their contacts with services (patients,
               responses, complaints, comments, attendances, ...), with its ``unit``:
               1 to 7 hidden, others rounded to 5 (NHS hospital statistics' rule)
``rate``       a rate or share built on counts of people, with its ``numerator`` and
               ``denominator``: hidden when the numerator, the denominator or (for a
               share of people) the complement is hidden; otherwise shown to a fixed,
               small number of decimals
``estimate``   a model estimate (a difference, a ratio, a mean, a limit, a p-value,
               expected events): shown
``periods``    a count of months, weeks, days: shown
``providers``  a count of providers, sites, beds, charts: shown
``national``   a national total: shown
=============  ==========================================================================

A :class:`Value` is one number with its kind. A :class:`Phrase` is a sentence as a
template with typed values (``"{name}: {rate} ({positive} of {responses} responses)"``):
its :meth:`~Phrase.text` is the analyst's sentence with every raw number; the report
layer (:mod:`workbench.report.disclosure`) builds the stakeholder's sentence from the same
values under the study's rule, so no pattern over prose decides what is a count. A
:class:`Table` is a frame with the kind of each column, shown in a notebook with its raw
numbers and in a report through the rule. Analysis builds these; it never applies the
rule (it does not know the study's).

>>> p = phrase("{name}: {rate} ({pos} of {n} responses)", name="Ward A",
...            rate=rate(99.49238579, 196, 197), pos=count(196, "responses", follows="rate"),
...            n=count(197, "responses"))
>>> p.text()
'Ward A: 99.5% (196 of 197 responses)'
>>> Phrase.from_dict(p.to_dict()) == p
True
"""

from __future__ import annotations

import json
import math
import string
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from workbench.analysis.findings import formatting
from workbench.data import measures as M
from workbench.errors import WorkbenchError

__all__ = [
    "ESTIMATE", "EXEMPT", "KINDS", "NATIONAL", "PEOPLE", "PERIODS", "PHRASE_MIME",
    "PROVIDERS", "RATE", "RATE_COUNTS", "STYLES", "TABLE_ATTR", "KindError", "Phrase",
    "Phrases", "Table", "Value", "count", "counts_of", "estimate", "join", "measure_kind",
    "national", "periods",
    "phrase", "phrases_output", "providers", "rate", "rate_counts",
]

PEOPLE = "people"
RATE = "rate"
ESTIMATE = "estimate"
PERIODS = "periods"
PROVIDERS = "providers"
NATIONAL = "national"

#: Every kind of number, with what it is (see the module docstring for the rule on each).
KINDS: dict[str, str] = {
    PEOPLE: "a count of people or of their contacts with services",
    RATE: "a rate or share built on counts of people",
    ESTIMATE: "a model estimate (difference, ratio, mean, limit, p-value, expected events)",
    PERIODS: "a count of months, weeks or days",
    PROVIDERS: "a count of providers, sites, beds or charts",
    NATIONAL: "a national total",
}
#: Kinds the rule shows as they are.
EXEMPT = frozenset({ESTIMATE, PERIODS, PROVIDERS, NATIONAL})

#: How a value is written (raw, for the analyst; the stakeholder's text keeps the style):
#: ``count`` 12,345; ``number`` 3 significant digits (with ``%`` when that is the unit);
#: ``signed`` +0.24; ``quantity`` a value in its unit at ``digits`` decimals (98.4%,
#: 13.0 weeks, 1.0 complaints); ``fixed`` at ``digits`` decimals.
STYLES = ("count", "number", "signed", "quantity", "fixed")

#: Registry rates and the counts of people they are built on: (numerator, denominator),
#: a numerator written ``a-b`` being the difference of two count measures.
RATE_COUNTS: dict[str, tuple[str, str]] = {
    "fft_pct_positive": ("fft_positive", "fft_responses"),
    "rtt_pct_within_18w": ("rtt_within_18w", "rtt_waiting_list"),
    "ae_pct_within_4h": ("ae_attendances-ae_over_4h", "ae_attendances"),
    "complaints_per_1000": ("complaints", "episodes"),
}

#: Units of registry count measures that are not counts of people.
NOT_PEOPLE_UNITS = frozenset({"beds"})


def counts_of(measure: str) -> tuple[str, str] | None:
    """The (numerator, denominator) counts a rate is built on: those of
    :data:`RATE_COUNTS`, or those a table of the user's own declares for its measure
    (``numerator`` and ``denominator``); None for a measure without counts.

    >>> counts_of("fft_pct_positive"), counts_of("rtt_median_weeks")
    (('fft_positive', 'fft_responses'), None)
    """
    if measure in RATE_COUNTS:
        return RATE_COUNTS[measure]
    m = M.in_use().get(measure)
    return (m.numerator, m.denominator) if m is not None and m.numerator and m.denominator \
        else None


def measure_kind(measure: str) -> str:
    """The kind of a measure's values: a count measure counts people (bar beds, or as a
    declared measure says with ``people``), a rate on counts (:func:`counts_of`) is a rate,
    anything else (weeks, scores, FTE, shares without their counts) is shown as it is.

    >>> measure_kind("complaints"), measure_kind("fft_pct_positive"), measure_kind("beds")
    ('people', 'rate', 'estimate')
    """
    m = M.MEASURES.get(measure)
    if m is not None and m.kind == "count":
        people = m.people if m.people is not None else m.unit not in NOT_PEOPLE_UNITS
        if people:
            return PEOPLE
    return RATE if counts_of(measure) is not None else ESTIMATE


def rate_counts(frame: pd.DataFrame, measure: str) -> tuple[pd.Series, pd.Series] | None:
    """The numerator and denominator counts of a rate in each row of ``frame``, or None
    when the measure has none (:func:`counts_of`) or the frame lacks them.

    >>> df = pd.DataFrame({"ae_attendances": [100], "ae_over_4h": [3]})
    >>> [s.tolist() for s in rate_counts(df, "ae_pct_within_4h")]
    [[97], [100]]
    """
    pair = counts_of(measure)
    if pair is None:
        return None
    num, den = pair
    parts = num.split("-")
    if not set(parts + [den]) <= set(frame.columns):
        return None
    top = frame[parts[0]]
    for p in parts[1:]:
        top = top - frame[p]
    return top, frame[den]


#: MIME type of typed sentences in a notebook's output (a report builds their text).
PHRASE_MIME = "application/vnd.workbench.phrases+json"
#: Attribute of the HTML wrapper around a typed table (the kinds of its columns).
TABLE_ATTR = "data-wb-disclosure"


class KindError(WorkbenchError, ValueError):
    """A typed value, sentence or table was built with an unknown kind, style or name."""


def _plain(x: Any) -> float | None:
    """A JSON-able number or None (NaN is None)."""
    if x is None or isinstance(x, bool):
        return None
    if hasattr(x, "item"):
        x = x.item()
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) or math.isinf(x) else x


@dataclass(frozen=True)
class Value:
    """One number and what it is.

    ``kind`` is one of :data:`KINDS`; ``unit`` names what is counted (``complaints``) or
    the unit of a quantity (``%``, ``weeks``); ``style`` and ``digits`` say how it is
    written (:data:`STYLES`). A ``rate`` has the counts it is built on: ``numerator``
    and ``denominator``, and ``base`` says what the denominator is: ``people`` for a
    share of people (its complement, denominator minus numerator, is a count of people
    too), ``periods`` for a mean per month, ``estimate`` for expected events.
    ``follows`` names another value of the same sentence, table row or finding whose
    hiding hides this one (an interval around a hidden estimate, the numerator of a
    hidden share).

    >>> Value(3.0, PEOPLE, "complaints", "quantity").text()
    '3.0 complaints'
    >>> Value(1.0, "persons")
    Traceback (most recent call last):
    ...
    workbench.analysis.findings.kinds.KindError: Value: kind 'persons' is not one of ['people', 'rate', 'estimate', 'periods', 'providers', 'national']
    """

    value: float | None
    kind: str = ESTIMATE
    unit: str = ""
    style: str = "number"
    digits: int = 1
    numerator: float | None = None
    denominator: float | None = None
    base: str = PEOPLE
    follows: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise KindError(f"Value: kind {self.kind!r} is not one of {list(KINDS)}")
        if self.style not in STYLES:
            raise KindError(f"Value: style {self.style!r} is not one of {list(STYLES)}")
        if self.base not in (PEOPLE, PERIODS, ESTIMATE):
            raise KindError(f"Value: base {self.base!r} is not one of "
                            f"{[PEOPLE, PERIODS, ESTIMATE]}")
        for name in ("value", "numerator", "denominator"):
            object.__setattr__(self, name, _plain(getattr(self, name)))

    @property
    def missing(self) -> bool:
        """True when there is no number."""
        return self.value is None

    def text(self) -> str:
        """The value as the analyst reads it (raw), in its style.

        >>> Value(12345.0, PEOPLE, style="count").text(), Value(0.2412, style="signed").text()
        ('12,345', '+0.241')
        """
        return write(self.value, self.style, self.unit, self.digits)

    def to_dict(self) -> dict[str, Any]:
        """The value as JSON-able fields (defaults left out).

        >>> Value(2.0, PERIODS, "months").to_dict()
        {'value': 2.0, 'kind': 'periods', 'unit': 'months'}
        """
        defaults = Value(None)
        return {k: v for k, v in asdict(self).items()
                if k == "value" or v != getattr(defaults, k)}

    @classmethod
    def from_dict(cls, record: Mapping[str, Any]) -> Value:
        """A value from :meth:`to_dict` (unknown keys are an error).

        >>> Value.from_dict({"value": 2, "kind": "people"}).kind
        'people'
        """
        known = set(cls.__dataclass_fields__)
        extra = sorted(set(record) - known)
        if extra:
            raise KindError(f"Value: unknown field(s) {extra}; known: {sorted(known)}")
        return cls(**dict(record))


def write(x: float | None, style: str, unit: str = "", digits: int = 1) -> str:
    """``x`` written in ``style`` (see :data:`STYLES`); '' when missing.

    >>> write(98.43, "quantity", "%"), write(1.0, "quantity", "complaints", 0)
    ('98.4%', '1 complaints')
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if style == "count":
        return formatting.count(x)
    if style in ("number", "signed"):
        text = formatting.number(x) if style == "number" else formatting.signed(x)
        return text + "%" if unit == "%" else text
    if style == "fixed":
        return formatting.fixed(x, digits)
    text = f"{x:,.{digits}f}" if abs(x) < 1000 else f"{x:,.0f}"
    if unit == "%":
        return text + "%"
    return f"{text} {unit}" if unit else text


def count(n: Any, unit: str = "", *, style: str = "count", digits: int = 1,
          follows: str = "") -> Value:
    """A count of people (``unit``: what is counted, e.g. ``"responses"``).

    >>> count(1234, "responses").text()
    '1,234'
    """
    return Value(n, PEOPLE, unit, style, digits, follows=follows)


def rate(value: Any, numerator: Any, denominator: Any, *, unit: str = "%",
         base: str = PEOPLE, digits: int = 1, style: str = "quantity",
         follows: str = "") -> Value:
    """A rate or share built on counts of people: ``value`` (e.g. 99.49, a percentage),
    its ``numerator`` and ``denominator`` (see :class:`Value` for ``base``).

    >>> rate(99.49238579, 196, 197).text()
    '99.5%'
    """
    return Value(value, RATE, unit, style, digits, numerator, denominator, base, follows)


def estimate(x: Any, unit: str = "", *, style: str = "number", digits: int = 1,
             follows: str = "") -> Value:
    """A model estimate (or another value the rule shows as it is).

    >>> estimate(0.2412, style="signed").text()
    '+0.241'
    """
    return Value(x, ESTIMATE, unit, style, digits, follows=follows)


def periods(n: Any, unit: str = "months") -> Value:
    """A count of periods (months by default).

    >>> periods(24).text()
    '24'
    """
    return Value(n, PERIODS, unit, "count")


def providers(n: Any, unit: str = "providers") -> Value:
    """A count of providers (or sites, beds, charts).

    >>> providers(40).to_dict()["kind"]
    'providers'
    """
    return Value(n, PROVIDERS, unit, "count")


def national(x: Any, unit: str = "", *, style: str = "count") -> Value:
    """A national total.

    >>> national(1234567).text()
    '1,234,567'
    """
    return Value(x, NATIONAL, unit, style)


def _fields(template: str) -> list[str]:
    try:
        return [name for _, name, spec, conv in string.Formatter().parse(template)
                if name is not None]
    except ValueError as e:
        raise KindError(f"Phrase: template {template!r} is not a valid template: {e}") from e


@dataclass(frozen=True)
class Phrase:
    """A sentence as a ``template`` (``{name}`` placeholders, ``{{`` for a brace) and the
    typed ``values`` it is built from: a :class:`Value` each, or text (a provider's
    name, which is never read as a number). A value the template does not write may
    still be given for another to follow (the mean that hides the limits around it).

    >>> p = phrase("{who}: latest {latest}.", who="R1", latest=count(3, "complaints",
    ...            style="quantity"))
    >>> p.text(), str(p)
    ('R1: latest 3.0 complaints.', 'R1: latest 3.0 complaints.')
    """

    template: str
    values: Mapping[str, Value | str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = _fields(self.template)
        for name in names:
            if not name.isidentifier():
                raise KindError(f"Phrase: placeholder {{{name}}} is not a plain name")
        missing = sorted(set(names) - set(self.values))
        if missing:
            raise KindError(f"Phrase: template {self.template!r} has placeholders "
                            f"{sorted(set(names))}; values missing: {missing}")
        for name, v in self.values.items():
            if not isinstance(v, (Value, str)):
                raise KindError(f"Phrase: value {name!r} is a {type(v).__name__}; expected "
                                "a Value or text")
            if isinstance(v, Value) and v.follows and v.follows not in self.values:
                raise KindError(f"Phrase: value {name!r} follows {v.follows!r}, which is not "
                                f"a value of the phrase ({sorted(self.values)})")
        object.__setattr__(self, "values", dict(self.values))

    def render(self, texts: Mapping[str, str]) -> str:
        """The template filled with ``texts`` (one text per value name).

        >>> phrase("{a} of {b}", a=count(3), b=count(7)).render({"a": "*", "b": "*"})
        '* of *'
        """
        return self.template.format_map({k: texts[k] for k in self.values})

    def text(self) -> str:
        """The sentence with every raw number (the analyst's)."""
        return self.render({k: v if isinstance(v, str) else v.text()
                            for k, v in self.values.items()})

    __str__ = text

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: ``{"template": ..., "values": {name: value fields or text}}``."""
        return {"template": self.template,
                "values": {k: v if isinstance(v, str) else v.to_dict()
                           for k, v in sorted(self.values.items())}}

    @classmethod
    def from_dict(cls, record: Mapping[str, Any]) -> Phrase:
        """A phrase from :meth:`to_dict`."""
        if not isinstance(record, Mapping) or "template" not in record:
            raise KindError(f"Phrase: expected {{'template': ..., 'values': ...}}, got "
                            f"{record!r:.80}")
        return cls(str(record["template"]),
                   {k: v if isinstance(v, str) else Value.from_dict(v)
                    for k, v in (record.get("values") or {}).items()})

    def _repr_markdown_(self) -> str:
        return self.text()

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        """In a notebook: the analyst's text, and the typed phrase for the report."""
        return {"text/plain": self.text(), "text/markdown": self.text(),
                PHRASE_MIME: {"phrases": [self.to_dict()], "bullets": False}}


def phrase(template: str, **values: Value | str) -> Phrase:
    """A :class:`Phrase` from a template and its values by name.

    >>> phrase("{n} months", n=periods(24)).text()
    '24 months'
    """
    return Phrase(template, values)


def _escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def join(parts: Iterable[Phrase | str], sep: str = " ") -> Phrase:
    """One phrase of several (text parts are literal), placeholders renamed so that
    they stay apart; ``follows`` keeps pointing at the renamed value.

    >>> p = join([phrase("{a} patients.", a=count(3)), "Then", phrase("{a} more.", a=count(9))])
    >>> p.text(), sorted(p.values)
    ('3 patients. Then 9 more.', ['p0_a', 'p2_a'])
    """
    templates, values = [], {}
    for i, part in enumerate(parts):
        if isinstance(part, str):
            templates.append(_escape(part))
            continue
        rename = {k: f"p{i}_{k}" for k in part.values}
        templates.append(part.template.format_map({k: "{" + v + "}" for k, v in rename.items()}))
        for k, v in part.values.items():
            if isinstance(v, Value) and v.follows:
                v = Value(**{**asdict(v), "follows": rename[v.follows]})
            values[rename[k]] = v
    return Phrase(sep.join(templates), values)


def phrases_output(phrases: Iterable[Phrase | str], *, bullets: bool = True,
                   markdown=None) -> dict[str, Any]:
    r"""A notebook display bundle of several phrases (a bullet list by default): the
    analyst's Markdown (each text through ``markdown``, e.g. an escaper, when given) and
    the phrases for the report (:data:`PHRASE_MIME`): typed phrases as
    :meth:`Phrase.to_dict`, plain text (which has no kinds) as ``{"text": ...}``.

    >>> out = phrases_output([phrase("{n} patients", n=count(3)), "None."])
    >>> out["text/markdown"], out[PHRASE_MIME]["phrases"][1]
    ('- 3 patients\n- None.', {'text': 'None.'})
    """
    items = list(phrases)
    texts = [p.text() if isinstance(p, Phrase) else str(p) for p in items]
    texts = [markdown(t) if markdown else t for t in texts]
    md = "\n".join(("- " + t) if bullets else t for t in texts)
    return {"text/plain": md, "text/markdown": md,
            PHRASE_MIME: {"phrases": [p.to_dict() if isinstance(p, Phrase) else {"text": str(p)}
                                      for p in items], "bullets": bullets}}


class Phrases(list):
    """Typed sentences shown together in a notebook (a bullet list by default): the
    analyst reads the raw text (each through ``markdown``, e.g. an escaper, when given),
    the report builds the stakeholder's text from the typed phrases. ``empty`` is shown
    when there is none.

    >>> out = Phrases([phrase("{n} patients", n=count(3))])._repr_mimebundle_()
    >>> out["text/markdown"], out[PHRASE_MIME]["bullets"]
    ('- 3 patients', True)
    """

    def __init__(self, phrases: Iterable[Phrase | str] = (), *, bullets: bool = True,
                 markdown=None, empty: str = ""):
        super().__init__(phrases)
        self.bullets, self.markdown, self.empty = bullets, markdown, empty

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        items = list(self) or ([self.empty] if self.empty else [])
        bullets = self.bullets and bool(list(self))
        return phrases_output(items, bullets=bullets, markdown=self.markdown)


@dataclass
class Table:
    """A table and the kind of each of its columns, for a notebook and a report.

    ``columns`` maps a column to its :class:`Value` fields without ``value``: its
    ``kind`` and ``unit``; for a rate, ``numerator`` and ``denominator`` name the columns
    (or give one number per row) it is built on; ``follows`` names a column whose hidden
    cells hide this column's cell in the same row. A column not named keeps the
    report's rule by name (counts and rates of the measure registry). ``sums`` lists
    ``{"total": column, "parts": [columns]}`` relations (the total is the sum of the
    parts in each row): when the rule hides one part, a second is hidden, so that the
    hidden one cannot be worked out by subtraction. The notebook shows the raw numbers
    (rounded to ``digits``); the report shows them through the rule.

    >>> t = Table(pd.DataFrame({"ward": ["A"], "responses": [4]}),
    ...           {"responses": {"kind": "people", "unit": "responses"}})
    >>> 'data-wb-disclosure' in t._repr_html_() and ">4<" in t._repr_html_()
    True
    """

    frame: pd.DataFrame
    columns: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    sums: list[Mapping[str, Any]] = field(default_factory=list)
    digits: int | None = 3
    index: bool = False

    def __post_init__(self) -> None:
        cols = set(map(str, self.frame.columns))
        for name, spec in self.columns.items():
            if name not in cols:
                raise KindError(f"Table: column {name!r} is not in the table "
                                f"({sorted(cols)})")
            spec = dict(spec)
            for key in ("numerator", "denominator"):
                ref = spec.get(key)
                if isinstance(ref, str) and ref not in cols:
                    raise KindError(f"Table: column {name!r} has {key} {ref!r}, not a "
                                    f"column of the table")
            Value(None, **{k: v for k, v in spec.items()
                           if k not in ("numerator", "denominator", "follows")})
        for rel in self.sums:
            for col in [rel.get("total"), *rel.get("parts", [])]:
                if col not in cols:
                    raise KindError(f"Table: sums name {col!r}, not a column of the table")

    def spec(self) -> dict[str, Any]:
        """The kinds as the report reads them: per-row numbers are written out."""
        columns = {}
        for name, spec in self.columns.items():
            spec = dict(spec)
            for key in ("numerator", "denominator"):
                ref = spec.get(key)
                if ref is not None and not isinstance(ref, str):
                    spec[key] = [_plain(x) for x in ref]
            columns[name] = spec
        return {"kinds": columns, "sums": [dict(r) for r in self.sums]}

    def _repr_html_(self) -> str:
        frame = self.frame
        if self.digits is not None:  # a rate is written by the rule at its own decimals
            frame = frame.round({c: self.digits for c in frame.columns
                                 if self.columns.get(str(c), {}).get("kind") != RATE})
        spec = json.dumps(self.spec(), sort_keys=True).replace("'", "&#39;")
        return (f"<div {TABLE_ATTR}='{spec}'>"
                f"{frame.to_html(index=self.index, na_rep='', border=0)}</div>")
