r"""A table of the user's own (CSV, Excel or parquet) read through a declaration of what it holds.

An analyst's own data (wards, units, sites, services...) come as an export from their
systems, with measures the registry does not know. A small **declaration** (YAML, a file
beside the table or a block of the study) says which column is the unit and what one unit
is called, which is the period and its frequency, which columns group units, and what each
measure is::

    title: Ward staffing and patient experience
    unit: {column: ward_code, name: ward, label_column: ward_name}
    period: {column: month, frequency: month}
    groups: [directorate, site]
    measures:
      rn_fill_rate_pct:
        label: Registered nurse fill rate (%)
        unit: "%"
        kind: percent
        better: higher
        range: [0, 200]
        construct: staffing
      complaints:
        label: Complaints
        unit: complaints
        kind: count
        people: true
        better: lower
        construct: satisfaction

:func:`read_declaration` checks the declaration (every problem names the key);
:func:`read_table` reads the table (the format is told by its first bytes, not its name),
checks it the way the publishers' readers are checked (types, ranges, whole counts,
duplicate unit and period, gaps in the periods, numerators above their denominators) and
returns the panel the notebooks read: one row per unit x period, the unit's code in
``provider_code`` and its label in ``provider_name`` (the columns every analysis keys on),
``period`` at the start of its period, the group columns, and one column per measure.
Every problem is reported at once as a :class:`~workbench.errors.TableValidationError`
naming the file, the rows (as the file numbers them: a spreadsheet's row numbers, the
header being row 1), the column and the rule. The declared measures extend the measure
registry where the data are used (:meth:`Declaration.registry`,
:func:`workbench.data.measures.extended`), so labels, units and directions reach
sentences, tables and figures; counts of people are declared as such
(:meth:`Declaration.people_counts`) for disclosure control.

Example
-------
>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> _ = (folder / "wards.csv").write_text(
...     "ward,month,fill\nA1,2024-01,96.5\nA1,2024-02,101\nB2,2024-01,88\nB2,2024-02,91\n")
>>> d = read_declaration({"unit": {"column": "ward", "name": "ward"}, "period": "month",
...     "measures": {"fill": {"label": "Fill rate (%)", "kind": "percent", "range": [0, 200],
...                           "better": "higher", "construct": "staffing"}}})
>>> table = read_table(folder / "wards.csv", d)
>>> table.panel.columns.tolist()
['provider_code', 'provider_name', 'period', 'fill']
>>> print(table)
wards.csv: 2 wards x 2 months (Jan 2024 to Feb 2024), 4 rows; 1 measure: fill
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.data import measures as M
from workbench.errors import DeclarationError, SourceFormatError, TableValidationError

#: Top-level keys of a declaration.
DECLARATION_KEYS = ("title", "description", "source", "unit", "period", "groups", "measures",
                    "sheet")
#: Keys of ``unit:``.
UNIT_KEYS = ("column", "name", "plural", "label_column")
#: Keys of ``period:``.
PERIOD_KEYS = ("column", "frequency", "format", "gaps")
#: Keys of one measure.
MEASURE_KEYS = ("column", "label", "unit", "kind", "better", "range", "construct",
                "numerator", "denominator", "per", "people", "description", "increment")
#: Kinds a declared measure can be.
KINDS = ("continuous", "percent", "count", "rate")
#: ``better:`` values and what they mean for the registry's ``higher_is_better``.
BETTER = {"higher": True, "lower": False, "neither": None}
#: Frequencies of the period and the pandas period each stands for.
FREQUENCIES = {"month": "M", "quarter": "Q", "year": "Y", "week": "W-SUN", "day": "D"}
#: ``gaps:`` values: a unit missing a period between its first and last is an error
#: (``error``, the default) or allowed (``allowed``).
GAPS = ("error", "allowed")
#: Text read as a missing value in a measure column (besides an empty cell).
MISSING_TEXT = frozenset({"na", "n/a", "nan", "null", "none", "-", "--", "..", "*", "#n/a",
                          "not available"})
#: Most rows of a broken rule a message lists.
MAX_ROWS_SHOWN = 10
#: Beside a panel made from a declared table: its declaration, as JSON.
DECLARATION_SUFFIX = ".declaration.json"
#: Panel columns that no declared name may take.
RESERVED = ("provider_code", "provider_name", "period")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _plural(word: str) -> str:
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


@dataclass(frozen=True)
class Declaration:
    """What a user's table holds (see the module's docstring for the YAML).

    ``measures`` are registry :class:`~workbench.data.measures.Measure` values (with
    ``declared_in`` naming the declaration); ``columns`` maps each measure to its column
    in the file when the two differ.
    """

    source: str
    unit_column: str
    unit_name: str
    unit_plural: str
    period_column: str
    frequency: str = "month"
    measures: tuple[M.Measure, ...] = ()
    groups: tuple[str, ...] = ()
    label_column: str = ""
    period_format: str = ""
    gaps: str = "error"
    title: str = ""
    description: str = ""
    origin: str = ""
    sheet: str = ""
    columns: dict[str, str] = field(default_factory=dict, hash=False)

    def registry(self) -> dict[str, M.Measure]:
        """The declared measures by name, for :func:`workbench.data.measures.extended`.

        >>> sorted(example_declaration().registry())[:2]
        ['care_hours_ppd', 'complaints']
        """
        return {m.name: m for m in self.measures}

    def people_counts(self) -> list[str]:
        """The measures declared as counts of people (``people: true``), for disclosure.

        >>> example_declaration().people_counts()
        ['fft_responses', 'fft_positive', 'complaints']
        """
        return [m.name for m in self.measures if m.kind == "count" and m.people]

    def rate_bases(self) -> dict[str, tuple[str, str]]:
        """Rates and percentages declared with their numerator and denominator.

        >>> example_declaration().rate_bases()["fft_pct_positive"]
        ('fft_positive', 'fft_responses')
        """
        return {m.name: (m.numerator, m.denominator) for m in self.measures
                if m.numerator and m.denominator}

    def column_of(self, name: str) -> str:
        """The file's column holding the measure ``name``."""
        return self.columns.get(name, name)

    @property
    def period_word(self) -> str:
        """The period in words (``month``)."""
        return self.frequency

    def to_dict(self) -> dict[str, Any]:
        """The declaration as plain values, as :func:`read_declaration` reads them.

        >>> d = example_declaration()
        >>> read_declaration(d.to_dict(), source=d.source) == d
        True
        """
        measures = {}
        for m in self.measures:
            spec: dict[str, Any] = {"label": m.label, "unit": m.unit, "kind": m.kind,
                                    "construct": m.construct,
                                    "better": {True: "higher", False: "lower",
                                               None: "neither"}[m.higher_is_better]}
            if m.name in self.columns:
                spec["column"] = self.columns[m.name]
            if m.low is not None or m.high is not None:
                spec["range"] = [m.low, m.high]
            for key in ("numerator", "denominator", "description", "increment"):
                if getattr(m, key):
                    spec[key] = getattr(m, key)
            if m.per is not None:
                spec["per"] = m.per
            if m.people is not None:
                spec["people"] = m.people
            measures[m.name] = spec
        unit: dict[str, Any] = {"column": self.unit_column, "name": self.unit_name,
                                "plural": self.unit_plural}
        if self.label_column:
            unit["label_column"] = self.label_column
        period: dict[str, Any] = {"column": self.period_column, "frequency": self.frequency}
        if self.period_format:
            period["format"] = self.period_format
        if self.gaps != "error":
            period["gaps"] = self.gaps
        out: dict[str, Any] = {}
        for key, value in (("title", self.title), ("description", self.description),
                           ("source", self.origin), ("sheet", self.sheet)):
            if value:
                out[key] = value
        out.update({"unit": unit, "period": period})
        if self.groups:
            out["groups"] = list(self.groups)
        out["measures"] = measures
        return out

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON text, with where it was declared."""
        return json.dumps({"declared_in": self.source, **self.to_dict()}, indent=2,
                          sort_keys=False, ensure_ascii=False) + "\n"

    def write_beside(self, panel_path: str | Path) -> Path:
        """Write the declaration beside a panel file (``<stem>.declaration.json``), where
        a session reading that panel finds it (:func:`beside`).
        """
        from workbench.files import atomic_write_text

        path = declaration_path(panel_path)
        atomic_write_text(path, self.to_json())
        return path


def declaration_path(panel_path: str | Path) -> Path:
    """Where the declaration of a panel made from a declared table is kept.

    >>> declaration_path("data/panel.parquet").as_posix()
    'data/panel.declaration.json'
    """
    p = Path(panel_path)
    return p.with_name(p.stem + DECLARATION_SUFFIX)


def beside(panel_path: str | Path) -> Declaration | None:
    """The declaration kept beside a panel file, or None for a panel of the registry's
    measures (the synthetic default, a build of published files).

    >>> beside("no/such/panel.parquet") is None
    True
    """
    path = declaration_path(panel_path)
    if not path.is_file():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DeclarationError(path, "", f"cannot be read as JSON ({exc})",
                               expected="the file the data step wrote; make the data again"
                               ) from None
    source = str(raw.pop("declared_in", path))
    return read_declaration(raw, source=source)


# ---- reading a declaration --------------------------------------------------------------

def read_declaration(declaration: str | Path | Mapping[str, Any] | Declaration, *,
                     source: str = "") -> Declaration:
    """A :class:`Declaration` from a YAML file, or a mapping (a study's ``declaration:``
    block). Every problem raises :class:`~workbench.errors.DeclarationError` naming the
    file (``source``) and the key.

    >>> read_declaration({"unit": "ward", "period": "month", "measures": {
    ...     "fill": {"label": "Fill", "unit": "%", "kind": "share"}}})
    Traceback (most recent call last):
    ...
    workbench.errors.DeclarationError: <declaration>: key 'measures.fill.kind' is 'share', not a kind of measure. Expected: one of continuous, percent, count, rate.
    """
    if isinstance(declaration, Declaration):
        return declaration
    if isinstance(declaration, (str, Path)):
        path = Path(declaration)
        source = source or str(path)
        if not path.is_file():
            raise DeclarationError(source, "", "not found",
                                   expected="a YAML file saying what the table holds (see "
                                            "docs/your_own_data.md)")
        import yaml

        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise DeclarationError(source, "", f"cannot be read as UTF-8 text ({exc})") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            raise DeclarationError(source, "", f"is not valid YAML{at} "
                                   f"({getattr(exc, 'problem', None) or exc})") from None
    else:
        raw = declaration
        source = source or "<declaration>"
    return _parse(raw, source)


def _fail(source: str, key: str, problem: str, expected: str = "") -> DeclarationError:
    return DeclarationError(source, key, problem, expected=expected)


def _keys(raw: Mapping, allowed: tuple[str, ...], source: str, prefix: str) -> None:
    import difflib

    for k in raw:
        if k not in allowed:
            close = difflib.get_close_matches(str(k), allowed, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise _fail(source, f"{prefix}{k}", f"is not a key of the declaration{hint}",
                        f"one of {', '.join(allowed)}")


def _text(raw: Any, source: str, key: str, *, required: bool = True) -> str:
    if raw is None or raw == "":
        if required:
            raise _fail(source, key, "is missing", "text")
        return ""
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise _fail(source, key, f"is {raw!r} ({type(raw).__name__})", "text")
    return str(raw)


def _parse(raw: Any, source: str) -> Declaration:
    if not isinstance(raw, Mapping):
        raise _fail(source, "", f"holds {type(raw).__name__}, not a mapping",
                    "keys unit, period and measures (see docs/your_own_data.md)")
    _keys(raw, DECLARATION_KEYS, source, "")
    for key in ("unit", "period", "measures"):
        if key not in raw:
            raise _fail(source, key, "is missing",
                        {"unit": "the column that names the unit, and what a unit is: "
                                 "unit: {column: ward_code, name: ward}",
                         "period": "the column of the period and its frequency: "
                                   "period: {column: month, frequency: month}",
                         "measures": "a mapping of measure name to its label, unit, kind, "
                                     "direction (better), range and construct"}[key])
    unit = raw["unit"]
    if isinstance(unit, str):
        unit = {"column": unit, "name": unit}
    if not isinstance(unit, Mapping):
        raise _fail(source, "unit", f"is {unit!r}",
                    "the unit's column, or {column: ward_code, name: ward}")
    _keys(unit, UNIT_KEYS, source, "unit.")
    unit_column = _text(unit.get("column"), source, "unit.column")
    unit_name = _text(unit.get("name"), source, "unit.name", required=False) or "unit"
    unit_plural = _text(unit.get("plural"), source, "unit.plural", required=False) \
        or _plural(unit_name)
    label_column = _text(unit.get("label_column"), source, "unit.label_column", required=False)

    period = raw["period"]
    if isinstance(period, str):
        period = {"column": period, "frequency": "month"}
    if not isinstance(period, Mapping):
        raise _fail(source, "period", f"is {period!r}",
                    "the period's column, or {column: month, frequency: month}")
    _keys(period, PERIOD_KEYS, source, "period.")
    period_column = _text(period.get("column"), source, "period.column")
    frequency = _text(period.get("frequency"), source, "period.frequency",
                      required=False) or "month"
    if frequency not in FREQUENCIES:
        raise _fail(source, "period.frequency", f"is {frequency!r}",
                    f"one of {', '.join(FREQUENCIES)}")
    gaps = _text(period.get("gaps"), source, "period.gaps", required=False) or "error"
    if gaps not in GAPS:
        raise _fail(source, "period.gaps", f"is {gaps!r}", f"one of {', '.join(GAPS)}")
    period_format = _text(period.get("format"), source, "period.format", required=False)

    groups = raw.get("groups") or []
    if isinstance(groups, str):
        groups = [groups]
    if not isinstance(groups, list) or not all(isinstance(g, str) and g for g in groups):
        raise _fail(source, "groups", f"is {groups!r}",
                    "a list of column names, e.g. [directorate, site]")

    measures_raw = raw["measures"]
    if not isinstance(measures_raw, Mapping) or not measures_raw:
        raise _fail(source, "measures", f"is {measures_raw!r}",
                    "a mapping of measure name to what it is, with at least one measure")
    measures, columns = [], {}
    for name, spec in measures_raw.items():
        m, column = _measure(str(name), spec, source)
        measures.append(m)
        if column != m.name:
            columns[m.name] = column
    names = {m.name for m in measures}
    for m in measures:
        for role in ("numerator", "denominator"):
            base = getattr(m, role)
            if base and base not in names:
                raise _fail(source, f"measures.{m.name}.{role}",
                            f"names {base!r}, which is not a declared measure",
                            f"one of {', '.join(sorted(names - {m.name}))}")
            if base:
                kind = next(x.kind for x in measures if x.name == base)
                if kind != "count":
                    raise _fail(source, f"measures.{m.name}.{role}",
                                f"names {base!r}, a measure of kind {kind}",
                                "a measure of kind count")
    used: dict[str, str] = {}
    for key, col in [("unit.column", unit_column), ("period.column", period_column),
                     *([("unit.label_column", label_column)] if label_column else []),
                     *((f"groups[{i}]", g) for i, g in enumerate(groups))]:
        if col in used:
            raise _fail(source, key, f"names the column {col!r} again (also {used[col]})",
                        "each column declared once")
        used[col] = key
    for m in measures:
        col = columns.get(m.name, m.name)
        if col in used:
            raise _fail(source, f"measures.{m.name}", f"is read from the column {col!r}, "
                        f"which is also {used[col]}", "each column declared once")
        if m.name in RESERVED or m.name in groups:
            raise _fail(source, f"measures.{m.name}", "is a name the panel uses for the "
                        "unit, its label, the period or a group", "another name")
        used[col] = f"measures.{m.name}"
    for i, g in enumerate(groups):
        if g in RESERVED or not _NAME.match(g):
            raise _fail(source, f"groups[{i}]", f"{g!r} cannot name a group column",
                        "a name of letters, digits and '_' that is not provider_code, "
                        "provider_name or period")
    return Declaration(
        source=source, unit_column=unit_column, unit_name=unit_name, unit_plural=unit_plural,
        period_column=period_column, frequency=frequency, measures=tuple(measures),
        groups=tuple(groups), label_column=label_column, period_format=period_format,
        gaps=gaps, title=_text(raw.get("title"), source, "title", required=False),
        description=_text(raw.get("description"), source, "description", required=False),
        origin=_text(raw.get("source"), source, "source", required=False),
        sheet=_text(raw.get("sheet"), source, "sheet", required=False), columns=columns)


#: Default valid range by kind (a percentage above 100, like a fill rate, needs its own).
_DEFAULT_RANGE = {"percent": (0.0, 100.0), "count": (0.0, None), "rate": (0.0, None),
                  "continuous": (None, None)}


def _number(raw: Any, source: str, key: str) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw):
        raise _fail(source, key, f"is {raw!r}", "a finite number, or null for no bound")
    return float(raw)


def _measure(name: str, spec: Any, source: str) -> tuple[M.Measure, str]:
    key = f"measures.{name}"
    if not _NAME.match(name):
        raise _fail(source, key, "is not a usable measure name",
                    "letters, digits and '_', not starting with a digit (e.g. fill_rate_pct;"
                    " give the file's own column with column: 'Fill rate %')")
    if not isinstance(spec, Mapping):
        raise _fail(source, key, f"is {spec!r}", "a mapping with label, unit, kind, better, "
                    "range and construct")
    _keys(spec, MEASURE_KEYS, source, key + ".")
    kind = _text(spec.get("kind"), source, f"{key}.kind", required=False) or "continuous"
    if kind not in KINDS:
        raise _fail(source, f"{key}.kind", f"is {kind!r}, not a kind of measure",
                    f"one of {', '.join(KINDS)}")
    label = _text(spec.get("label"), source, f"{key}.label")
    unit = _text(spec.get("unit"), source, f"{key}.unit", required=kind != "percent") or "%"
    construct = _text(spec.get("construct"), source, f"{key}.construct")
    if construct not in M.CONSTRUCTS:
        raise _fail(source, f"{key}.construct", f"is {construct!r}",
                    f"one of {', '.join(M.CONSTRUCTS)} (what the notebooks group measures by)")
    better = spec.get("better", "neither")
    if better is None:
        better = "neither"
    if better not in BETTER:
        raise _fail(source, f"{key}.better", f"is {better!r}",
                    "higher, lower or neither (which way is an improvement)")
    low, high = _DEFAULT_RANGE[kind]
    if "range" in spec:
        rng = spec["range"]
        if not isinstance(rng, list) or len(rng) != 2:
            raise _fail(source, f"{key}.range", f"is {rng!r}",
                        "[low, high], the valid values inclusive (null for no bound)")
        low, high = (_number(rng[0], source, f"{key}.range[0]"),
                     _number(rng[1], source, f"{key}.range[1]"))
        if low is not None and high is not None and low > high:
            raise _fail(source, f"{key}.range", f"is [{low:g}, {high:g}]: low above high",
                        "[low, high] with low <= high")
    numerator = _text(spec.get("numerator"), source, f"{key}.numerator", required=False)
    denominator = _text(spec.get("denominator"), source, f"{key}.denominator",
                        required=False)
    if bool(numerator) != bool(denominator):
        raise _fail(source, key, "gives a numerator or a denominator without the other",
                    "both (numerator: fft_positive, denominator: fft_responses) or neither")
    if kind == "rate" and not numerator:
        raise _fail(source, key, "is a rate without its numerator and denominator",
                    "numerator: and denominator: (two count measures), and per: (e.g. 1000)")
    if numerator and kind not in ("rate", "percent"):
        raise _fail(source, key, f"has a numerator and denominator but is of kind {kind}",
                    "kind rate or percent")
    per = _number(spec.get("per"), source, f"{key}.per")
    if numerator and per is None:
        per = 100.0 if kind == "percent" else 1.0
    people = spec.get("people")
    if people is not None and not isinstance(people, bool):
        raise _fail(source, f"{key}.people", f"is {people!r}",
                    "true (a count of people: patients, responses, complaints) or false")
    if people and kind != "count":
        raise _fail(source, f"{key}.people", f"is true for a measure of kind {kind}",
                    "people: true only on counts (a rate on counts of people names them as "
                    "its numerator and denominator)")
    if kind == "count" and people is None:
        raise _fail(source, f"{key}.people", "is missing on a count",
                    "people: true for a count of people (patients, responses, complaints: "
                    "shown through disclosure control) or people: false (bed days, beds, "
                    "staff hours)")
    column = _text(spec.get("column"), source, f"{key}.column", required=False) or name
    measure = M.Measure(
        name=name, construct=construct, unit=unit, higher_is_better=BETTER[better],
        low=low, high=high, label=label, kind=kind,
        description=_text(spec.get("description"), source, f"{key}.description",
                          required=False),
        increment=_text(spec.get("increment"), source, f"{key}.increment", required=False),
        numerator=numerator, denominator=denominator, per=per, people=people,
        declared_in=source)
    return measure, column


# ---- reading the table --------------------------------------------------------------------

@dataclass
class DeclaredTable:
    """A table read through its declaration: the ``panel`` the notebooks read, the
    ``declaration``, the ``path`` and format read, the file's columns not declared
    (kept out of the panel and listed, never dropped silently) and the measures computed
    from their numerator and denominator.
    """

    panel: pd.DataFrame
    declaration: Declaration
    path: Path
    file_format: str
    undeclared: list[str] = field(default_factory=list)
    computed: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return describe(self.panel, self.declaration, name=self.path.name,
                        undeclared=self.undeclared, computed=self.computed)


def sniff(path: Path) -> str:
    r"""The format of a file from its first bytes: ``parquet``, ``xlsx``, ``xls``, ``ods``
    or ``csv`` (text); whatever its name says.

    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "wards.parquet"
    >>> _ = p.write_text("ward,month\n")
    >>> sniff(p)
    'csv'
    """
    with open(path, "rb") as fh:
        head = fh.read(2048)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if head.startswith(b"PK\x03\x04"):
        return "ods" if b"opendocument" in head else "xlsx"
    return "csv"


def _check_path(path: str | Path) -> Path:
    p = Path(path)
    if not p.exists():
        raise SourceFormatError(p, "not found", expected="the path of a CSV, Excel or parquet "
                                                        "file")
    if p.is_dir():
        raise SourceFormatError(p, "is a folder", expected="the path of a CSV, Excel or parquet "
                                                          "file")
    return p


def _read_raw(path: Path, sheet: str) -> tuple[pd.DataFrame, str, int]:
    """The file as text cells (``object`` columns), its format, and the file's row number
    of the first data row (the DataFrame's index is counted from it).
    """
    fmt = sniff(path)
    if fmt == "parquet":
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # noqa: BLE001 - pyarrow raises many kinds
            raise SourceFormatError(path, f"not a readable parquet file ({type(exc).__name__}: "
                                    f"{exc})", expected="a parquet file written whole, or the "
                                    "table as CSV or Excel") from None
        frame.index = range(1, len(frame) + 1)
        return frame, fmt, 1
    if fmt in ("xlsx", "xls", "ods"):
        return _read_workbook(path, sheet)
    raw_bytes = path.read_bytes()
    text = ""
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = raw_bytes.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if "\x00" in text[:2048]:
        raise SourceFormatError(path, "is a binary file that is not parquet or Excel",
                                expected="a CSV, Excel (.xlsx) or parquet file")
    import io

    first_line = text.split("\n", 1)[0]
    sep = "," if "," in first_line or not (";" in first_line or "\t" in first_line) else \
        (";" if ";" in first_line else "\t")
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                            skip_blank_lines=False, sep=sep)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SourceFormatError(path, f"cannot be read as CSV ({exc})",
                                expected="a header row, then one row per unit and period, "
                                         "cells separated by commas") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.index = range(2, len(frame) + 2)  # the header is row 1
    return frame[~_blank_rows(frame)], "csv", 2


def _blank_rows(frame: pd.DataFrame) -> pd.Series:
    """Rows with no value in any cell (a blank line, an empty spreadsheet row)."""
    empty = pd.Series(True, index=frame.index)
    for col in frame.columns:
        cells = frame[col]
        empty &= cells.isna() | (cells.astype("string").str.strip().fillna("") == "")
    return empty


def _read_workbook(path: Path, sheet: str) -> tuple[pd.DataFrame, str, int]:
    from python_calamine import CalamineError, CalamineWorkbook

    damaged = (CalamineError, ValueError, OSError, KeyError, EOFError)
    try:
        book = CalamineWorkbook.from_path(str(path))
        names = list(book.sheet_names)
        if sheet and sheet not in names:
            raise SourceFormatError(path, f"has no sheet {sheet!r}", sheet=sheet,
                                    expected=f"one of its sheets: {names}")
        if not sheet and len(names) > 1:
            sheet = names[0]
        rows = book.get_sheet_by_name(sheet or names[0]).to_python(skip_empty_area=False)
    except damaged as exc:
        raise SourceFormatError(path, f"not a readable workbook ({type(exc).__name__}: {exc})",
                                expected="an .xlsx workbook saved whole, or the table as CSV"
                                ) from None
    first = next((i for i, r in enumerate(rows) if any(c not in (None, "") for c in r)), None)
    if first is None:
        raise SourceFormatError(path, "holds no rows", sheet=sheet or None,
                                expected="a header row, then one row per unit and period")
    head = [str(c).strip() if c is not None else "" for c in rows[first]]
    width = len(head)
    body = [list(r[:width]) + [None] * (width - len(r)) for r in rows[first + 1:]]
    frame = pd.DataFrame(body, columns=head, dtype=object)
    frame.index = range(first + 2, first + 2 + len(frame))  # spreadsheet rows: 1-based
    blank = _blank_rows(frame)
    frame = frame.loc[:, [c for c in frame.columns if c != ""]]
    return frame[~blank], "xlsx", first + 2


def _missing_columns(frame: pd.DataFrame, decl: Declaration, path: Path) -> list[str]:
    import difflib

    wanted = [("unit.column", decl.unit_column), ("period.column", decl.period_column)]
    if decl.label_column:
        wanted.append(("unit.label_column", decl.label_column))
    wanted += [(f"groups[{i}]", g) for i, g in enumerate(decl.groups)]
    computable = {m.name for m in decl.measures if m.numerator}
    wanted += [(f"measures.{m.name}" + (".column" if m.name in decl.columns else ""),
                decl.column_of(m.name)) for m in decl.measures if m.name not in computable]
    have = [str(c) for c in frame.columns]
    for key, col in wanted:
        if col not in frame.columns:
            close = ([h for h in have if h.lower().startswith(col.lower())]
                     or difflib.get_close_matches(col, have, n=1))
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise DeclarationError(decl.source, key, f"names the column {col!r}, which "
                                   f"{path.name} does not have{hint}",
                                   expected=f"a column of the file: {have}")
    used = {c for _, c in wanted} | {decl.column_of(m.name) for m in decl.measures}
    return [c for c in have if c not in used]


class _Failures:
    """Broken rules collected while reading, one entry per (column, rule)."""

    def __init__(self) -> None:
        self.found: dict[tuple[str, str], dict] = {}

    def add(self, column: str, rule: str, rows, values) -> None:
        rows, values = list(rows), list(values)
        if not rows:
            return
        entry = self.found.setdefault((column, rule), {"rows": [], "values": []})
        entry["rows"].extend(int(r) for r in rows)
        entry["values"].extend(str(v) for v in values)

    def frame(self) -> pd.DataFrame:
        out = []
        for (column, rule), e in self.found.items():
            out.append({"column": column, "rule": rule, "rows": e["rows"][:MAX_ROWS_SHOWN],
                        "n_rows": len(e["rows"]), "values": e["values"][:3]})
        return pd.DataFrame(out, columns=["column", "rule", "rows", "n_rows", "values"])

    def raise_any(self, source: str, rows: str = "") -> None:
        if self.found:
            raise TableValidationError(source, self.frame(), rows)


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and (value.strip() == ""
                                       or value.strip().lower() in MISSING_TEXT)


def _blanks(raw: pd.Series) -> pd.Series:
    """Which cells of a column are missing values (empty, or text of :data:`MISSING_TEXT`).

    >>> _blanks(pd.Series(["", " NA", "3", None, float("nan")], dtype=object)).tolist()
    [True, True, False, True, True]
    """
    text = raw.astype("string").str.strip().str.lower()
    return (raw.isna() | text.isna() | (text == "") | text.isin(MISSING_TEXT)).astype(bool)


def _numbers(raw: pd.Series, kind: str) -> pd.Series:
    """A column as numbers (float64; NaN where a cell is blank or not a number): thousands
    separators and spaces removed, and a trailing % in a percent column.

    >>> _numbers(pd.Series(["1,234", "95%", "x", 7, True], dtype=object), "percent").tolist()
    [1234.0, 95.0, nan, 7.0, nan]
    """
    is_bool = raw.map(lambda v: isinstance(v, bool))
    text = raw.astype("string").str.replace(r"[,\s\u00a0]", "", regex=True)
    if kind == "percent":
        text = text.str.replace(r"%$", "", regex=True)
    values = pd.to_numeric(text, errors="coerce").astype("float64")
    values[is_bool | ~np.isfinite(values.fillna(0.0))] = np.nan
    return values


_FREQ_WORDS = {"month": "a month such as 2024-01, Jan 2024 or 01/01/2024",
               "quarter": "a quarter such as 2024Q1, 2024-Q1, Q1 2024 or a date in it",
               "year": "a year such as 2024, or a date in it",
               "week": "a date in the week such as 2024-01-01",
               "day": "a date such as 2024-01-01 or 01/01/2024"}


def _parse_period(value: Any, decl: Declaration) -> pd.Timestamp | None:
    """The start of the period ``value`` falls in, or None when it is not a date."""
    freq = FREQUENCIES[decl.frequency]
    if isinstance(value, pd.Timestamp) or hasattr(value, "year") and hasattr(value, "month"):
        stamp = pd.Timestamp(value)
    else:
        text = str(value).strip()
        stamp = None
        if decl.period_format:
            try:
                stamp = pd.to_datetime(text, format=decl.period_format)
            except (ValueError, TypeError):
                return None
        elif decl.frequency == "year" and re.fullmatch(r"\d{4}", text):
            stamp = pd.Timestamp(year=int(text), month=1, day=1)
        elif decl.frequency == "quarter" and re.fullmatch(r"\d{4}-?Q[1-4]", text, re.IGNORECASE):
            stamp = pd.Period(text.replace("-", "").upper(), freq="Q").start_time
        elif decl.frequency == "quarter" and re.fullmatch(r"Q[1-4][\s\-]*\d{4}", text,
                                                          re.IGNORECASE):
            stamp = pd.Period(f"{text[-4:]}Q{text[1]}", freq="Q").start_time
        elif re.fullmatch(r"\d{4}-\d{1,2}", text):
            y, mo = text.split("-")
            if not 1 <= int(mo) <= 12:
                return None
            stamp = pd.Timestamp(year=int(y), month=int(mo), day=1)
        elif re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}([ T].*)?", text):
            stamp = pd.to_datetime(text, errors="coerce", format="ISO8601")
        elif re.fullmatch(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}", text):
            stamp = pd.to_datetime(text, errors="coerce", dayfirst=True)
        elif re.fullmatch(r"[A-Za-z]{3,9}[\s\-_/]+\d{2,4}", text):
            for fmt in ("%b %Y", "%B %Y", "%b-%y", "%b-%Y", "%B-%Y", "%b %y"):
                try:
                    stamp = pd.to_datetime(text.replace("_", " ").replace("/", " "),
                                           format=fmt)
                    break
                except (ValueError, TypeError):
                    continue
        if stamp is None or pd.isna(stamp):
            return None
    return pd.Period(stamp, freq=freq).start_time.as_unit("ns")


def read_table(path: str | Path, declaration: str | Path | Mapping[str, Any] | Declaration,
               ) -> DeclaredTable:
    r"""Read the table at ``path`` through its ``declaration`` (a YAML file, a mapping or a
    :class:`Declaration`); return the :class:`DeclaredTable` with its panel.

    The format is told by the file's first bytes (:func:`sniff`): parquet, Excel (read
    with python-calamine, the declaration's ``sheet`` or the first sheet) or CSV (UTF-8,
    or Windows-1252 as Excel saves it). A column the declaration names that the file does
    not have raises :class:`~workbench.errors.DeclarationError` with the file's columns;
    broken rules raise one :class:`~workbench.errors.TableValidationError` (see
    :func:`check_panel`), after values that are not numbers, periods that are not dates and
    units without a code.

    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "w.csv"
    >>> _ = p.write_text("ward,month,fill\nA1,2024-01,96\nA1,2024-01,x\n")
    >>> read_table(p, {"unit": "ward", "period": "month", "measures": {"fill": {
    ...     "label": "Fill rate (%)", "kind": "percent", "construct": "staffing"}}})
    Traceback (most recent call last):
    ...
    workbench.errors.TableValidationError: Table ...w.csv broke its declaration (2 problem(s); rows numbered as a spreadsheet shows them, the header being row 1):
      - column 'fill': rule 'a number' broken in 1 row(s) [rows 3]; e.g. values ['x']
      - column 'ward, month': rule 'one row per ward and month' broken in 2 row(s) [rows 2, 3]; e.g. values ['A1 2024-01', 'A1 2024-01']
    """
    decl = read_declaration(declaration)
    path = _check_path(path)
    frame, fmt, _ = _read_raw(path, decl.sheet)
    undeclared = _missing_columns(frame, decl, path)
    failures = _Failures()
    panel = pd.DataFrame(index=frame.index)

    codes = frame[decl.unit_column]
    no_code = _blanks(codes)
    failures.add(decl.unit_column, f"a {decl.unit_name} code in every row",
                 frame.index[no_code], ["<empty>"] * int(no_code.sum()))
    panel["provider_code"] = _texts(codes, no_code, code=True)
    if decl.label_column:
        labels = frame[decl.label_column]
        labels = _texts(labels, _blanks(labels))
        panel["provider_name"] = labels.where(labels.notna(), panel["provider_code"])
    else:
        panel["provider_name"] = panel["provider_code"]

    raw_period = frame[decl.period_column]
    seen = {v: (None if _blank(v) else _parse_period(v, decl))  # each distinct value once
            for v in pd.unique(raw_period.to_numpy(dtype=object))}
    periods = raw_period.map(lambda v: seen.get(v) if v in seen else None)
    bad = periods.isna()
    failures.add(decl.period_column, _FREQ_WORDS[decl.frequency], frame.index[bad],
                 [("<empty>" if _blank(v) else v) for v in raw_period[bad]])
    panel["period"] = pd.to_datetime(periods.where(~bad, None)).astype("datetime64[ns]")

    for g in decl.groups:
        panel[g] = _texts(frame[g], _blanks(frame[g]))

    computed = []
    for m in decl.measures:
        col = decl.column_of(m.name)
        if col not in frame.columns:
            computed.append(m.name)
            continue
        raw = frame[col]
        blank = _blanks(raw)
        values = _numbers(raw, m.kind)
        not_number = values.isna() & ~blank
        failures.add(col, "a number", frame.index[not_number], raw[not_number])
        panel[m.name] = values.astype("float64")
    for name in computed:
        m = next(x for x in decl.measures if x.name == name)
        num, den = panel[m.numerator], panel[m.denominator]
        panel[name] = (num / den.where(den > 0)) * (m.per or 1.0)
    panel = _check(panel, decl, failures, column_names=True)
    failures.raise_any(str(path), "rows counted from 1" if fmt == "parquet" else
                       "rows numbered as a spreadsheet shows them, the header being row 1")
    panel = panel.sort_values(["provider_code", "period"], kind="stable").reset_index(drop=True)
    return DeclaredTable(panel=panel, declaration=decl, path=path, file_format=fmt,
                         undeclared=undeclared, computed=computed)


def _texts(raw: pd.Series, blank: pd.Series, *, code: bool = False) -> pd.Series:
    """A column as stripped text (``object``, None where blank); with ``code``, whole
    numbers a spreadsheet stored as 101.0 read 101.

    >>> _texts(pd.Series([" A ", 101.0, ""], dtype=object), pd.Series([False, False, True]),
    ...        code=True).tolist()
    ['A', '101', None]
    """
    if code and raw.dtype == object:
        raw = raw.map(_code_text)
    text = raw.astype("string").str.strip().astype(object)
    return text.where(~blank.to_numpy(), None)


def _code_text(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value


def panel_columns(decl: Declaration) -> list[str]:
    """The panel's columns for ``decl``, in order.

    >>> panel_columns(example_declaration())[:5]
    ['provider_code', 'provider_name', 'period', 'directorate', 'site']
    """
    return [*RESERVED, *decl.groups, *(m.name for m in decl.measures)]


def check_panel(panel: pd.DataFrame, declaration: Declaration | Mapping | str | Path, *,
                source: str = "<DataFrame>", row_numbers: bool = False,
                column_names: bool = False) -> pd.DataFrame:
    """Check a panel made from a declared table against its declaration and return it with
    its columns in order and their types: the panel's columns present, every measure a
    number in its valid range, counts whole, one row per unit and period, no gap in a
    unit's periods (unless ``gaps: allowed``), no numerator above its denominator.

    ``row_numbers``: the panel's index holds the file's row numbers (else rows are counted
    from 1); ``column_names``: messages name the file's columns rather than the measures.
    Raises :class:`~workbench.errors.TableValidationError` listing every broken rule.

    >>> d = read_declaration({"unit": "ward", "period": "month", "measures": {"beds_used":
    ...     {"label": "Occupied bed days", "unit": "bed days", "kind": "count",
    ...      "people": False, "construct": "context", "range": [0, 1000]}}})
    >>> p = pd.DataFrame({"provider_code": ["A", "A", "A"], "provider_name": ["A"] * 3,
    ...     "period": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-04-01"]),
    ...     "beds_used": [700, 1200.5, 650]})
    >>> check_panel(p, d)
    Traceback (most recent call last):
    ...
    workbench.errors.TableValidationError: Table <DataFrame> broke its declaration (3 problem(s)):
      - column 'beds_used': rule 'between 0 and 1000 (the declared range)' broken in 1 row(s) [rows 2]; e.g. values ['1200.5']
      - column 'beds_used': rule 'a whole number (a count)' broken in 1 row(s) [rows 2]; e.g. values ['1200.5']
      - column 'period': rule 'no month missing between the first and last of a ward (declare period: {gaps: allowed} to allow)' broken in 1 row(s) [rows 3]; e.g. values ['A: 2024-03']
    """
    decl = read_declaration(declaration)
    failures = _Failures()
    df = panel.copy()
    if not row_numbers:
        df.index = range(1, len(df) + 1)
    missing = [c for c in panel_columns(decl) if c not in df.columns]
    if missing:
        raise TableValidationError(source, pd.DataFrame(
            [{"column": c, "rule": "a column of the declared panel", "rows": [],
              "n_rows": len(df), "values": ["<missing>"]} for c in missing]))
    df = _check(df, decl, failures, column_names=column_names)
    failures.raise_any(source)
    return df


def _check(df: pd.DataFrame, decl: Declaration, failures: _Failures, *,
           column_names: bool = False) -> pd.DataFrame:
    """The rules of :func:`check_panel` on ``df`` (changed in place: measures as
    float64), each broken one added to ``failures``; ``df`` in the panel's column order.
    """
    name_of = (lambda n: decl.column_of(n)) if column_names else (lambda n: n)
    unit_col = decl.unit_column if column_names else "provider_code"
    period_col = decl.period_column if column_names else "period"
    for m in decl.measures:
        col = df[m.name]
        if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            numbers = pd.to_numeric(col, errors="coerce")
            bad = numbers.isna() & col.notna()
            failures.add(name_of(m.name), "a number", df.index[bad], col[bad])
            col = numbers
        col = col.astype("float64")
        df[m.name] = col
        low, high = m.low, m.high
        if low is not None or high is not None:
            out = pd.Series(False, index=df.index)
            if low is not None:
                out |= col < low
            if high is not None:
                out |= col > high
            rule = _range_words(m)
            failures.add(name_of(m.name), rule, df.index[out], col[out].map(_show))
        if m.kind == "count":
            frac = col.notna() & ((col - col.round()).abs() > 1e-9)
            failures.add(name_of(m.name), "a whole number (a count)", df.index[frac],
                         col[frac].map(_show))
        if m.numerator:
            num, den = df[m.numerator].astype("float64"), df[m.denominator].astype("float64")
            over = num > den
            failures.add(name_of(m.numerator),
                         f"at most {name_of(m.denominator)} (the numerator of {m.name})",
                         df.index[over], [f"{_show(a)} > {_show(b)}"
                                          for a, b in zip(num[over], den[over])])
    key = df[["provider_code", "period"]]
    dup = key.duplicated(keep=False) & key.notna().all(axis=1)
    if dup.any():
        failures.add(f"{unit_col}, {period_col}",
                     f"one row per {decl.unit_name} and {decl.frequency}", df.index[dup],
                     [f"{c} {_period_text(p, decl)}" for c, p in
                      zip(df.loc[dup, "provider_code"], df.loc[dup, "period"])])
    if decl.gaps == "error" and len(df):
        freq = FREQUENCIES[decl.frequency]
        gap_rows, gap_values = [], []
        keyed = df.dropna(subset=["provider_code", "period"])
        keyed = keyed[~keyed.duplicated(["provider_code", "period"])]
        keyed = keyed.sort_values(["provider_code", "period"], kind="stable")
        ordinal = pd.Series(pd.PeriodIndex(keyed["period"], freq=freq).asi8, index=keyed.index)
        same = keyed["provider_code"].eq(keyed["provider_code"].shift())
        step = ordinal - ordinal.shift()
        for row in keyed.index[same & (step > 1)]:  # one entry per gap: the row after it
            lost = int(step[row]) - 1
            after = pd.Period(keyed.at[row, "period"], freq=freq)
            first, last = after - lost, after - 1
            span = _period_text(first.start_time, decl) + (
                "" if lost == 1 else f" to {_period_text(last.start_time, decl)}")
            gap_rows.append(row)
            gap_values.append(f"{keyed.at[row, 'provider_code']}: {span}")
        failures.add(period_col, f"no {decl.frequency} missing between the first and last "
                     f"of a {decl.unit_name} (declare period: {{gaps: allowed}} to allow)",
                     gap_rows, gap_values)
    for g in decl.groups:
        df[g] = df[g].astype(object).where(df[g].notna(), None)
    for c in ("provider_code", "provider_name"):
        df[c] = df[c].astype(object).where(df[c].notna(), None)
    df["period"] = pd.to_datetime(df["period"]).astype("datetime64[ns]")
    return df[panel_columns(decl)]


def _range_words(m: M.Measure) -> str:
    if m.low is not None and m.high is not None:
        return f"between {m.low:g} and {m.high:g} (the declared range)"
    if m.low is not None:
        return f"at least {m.low:g}" + (" (declare range: [low, high] for others)"
                                         if m.declared_in else "")
    return f"at most {m.high:g}"


def _show(x: Any) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _period_text(stamp: Any, decl: Declaration) -> str:
    stamp = pd.Timestamp(stamp)
    if decl.frequency == "month":
        return f"{stamp:%Y-%m}"
    if decl.frequency == "quarter":
        return f"{stamp.year}Q{stamp.quarter}"
    if decl.frequency == "year":
        return f"{stamp.year}"
    return f"{stamp:%Y-%m-%d}"


def describe(panel: pd.DataFrame, decl: Declaration, *, name: str = "",
             undeclared: list[str] = (), computed: list[str] = ()) -> str:
    """One line on what a declared panel holds (and what of the file it left out).

    >>> d = example_declaration()
    >>> p = pd.DataFrame({"provider_code": ["A", "B"], "period": pd.to_datetime(
    ...     ["2024-01-01", "2024-01-01"])})
    >>> describe(p, d, name="wards.csv").split(";")[0]
    'wards.csv: 2 wards x 1 month (Jan 2024 to Jan 2024), 2 rows'
    """
    n_units = int(panel["provider_code"].nunique())
    n_periods = int(panel["period"].nunique())
    first, last = panel["period"].min(), panel["period"].max()
    span = (f" ({_period_label(first, decl)} to {_period_label(last, decl)})"
            if n_periods else "")
    units = decl.unit_name if n_units == 1 else decl.unit_plural
    periods = decl.frequency + ("" if n_periods == 1 else "s")
    names = [m.name for m in decl.measures]
    text = (f"{name + ': ' if name else ''}{n_units} {units} x {n_periods} {periods}{span}, "
            f"{len(panel)} rows; {len(names)} measure{'' if len(names) == 1 else 's'}: "
            f"{', '.join(names)}")
    if decl.groups:
        text += f"; grouped by {', '.join(decl.groups)}"
    if computed:
        text += f"; computed from their numerator and denominator: {', '.join(computed)}"
    if undeclared:
        text += (f"; columns of the file not declared, so not read: {', '.join(undeclared)}")
    return text


def _period_label(stamp: Any, decl: Declaration) -> str:
    stamp = pd.Timestamp(stamp)
    if decl.frequency == "month":
        return f"{stamp:%b %Y}"
    return _period_text(stamp, decl)


def example_declaration() -> Declaration:
    """The declaration of the example ward table (:mod:`workbench.data.example_wards`)."""
    from workbench.data.example_wards import DECLARATION

    return read_declaration(DECLARATION, source="workbench.data.example_wards")
