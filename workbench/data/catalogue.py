"""What a study's data hold: the panel and every table beside it, listed in one catalogue.

Whatever makes a panel writes ``<stem>.catalogue.json`` beside it (``panel.catalogue.json``
in a study's ``data/`` folder):

* a build of the published files (``workbench data build``, a study's ``data: build``;
  :func:`workbench.data.panel.build`) lists the panel, its coverage table and every table
  of :data:`SIDE_TABLES` it wrote, and for each table it could not make, why (no source
  file of that kind among the files it read);
* ``workbench run``'s data step lists the synthetic panel and its ``truth.json``, or the
  panel file a study names, each with the reason the other tables are not held.

For each name of :data:`TABLES` the catalogue holds either the file (relative to the
catalogue's folder), its sha256, its rows and what one row is, or the reason the data do
not hold it. Reading goes through the catalogue: :meth:`Catalogue.read` checks the file's
sha256 against the one recorded and returns the table as a DataFrame, or a :class:`NotHeld`
value carrying the reason, which a question module turns into a stated limitation. A
notebook asks its session (:meth:`workbench.session.Session.data`), never a path.

Example
-------
>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> pd.DataFrame({"provider_code": ["R1"]}).to_parquet(folder / "panel.parquet")
>>> pd.DataFrame({"comment_id": ["c1", "c2"]}).to_parquet(folder / "panel.comments.parquet")
>>> entries = [file_entry("panel", folder / "panel.parquet"),
...            file_entry("comments", folder / "panel.comments.parquet")]
>>> _ = write_catalogue(folder / "panel.parquet", entries, made_by="an example",
...                     not_made=missing_from_build("a test folder"))
>>> cat = Catalogue.beside(folder / "panel.parquet")
>>> len(cat.read("comments"))
2
>>> cat.read("staff_survey_years").reason[:45]
'no NHS Staff Survey 2021-24 results by trust '
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from workbench.errors import WorkbenchError
from workbench.files import atomic_write_text, sha256_file

#: Ends the catalogue's file name beside a panel ``<stem>.parquet``.
CATALOGUE_SUFFIX = ".catalogue.json"
#: Version of the catalogue's layout (the ``catalogue`` key of the file).
FORMAT = 1


@dataclass(frozen=True)
class TableKind:
    """What one row of a table is, and what makes the table (for the reason it is absent)."""

    row: str
    made_from: str


#: Every table a study's data can hold, in the order the catalogue lists them.
TABLES: dict[str, TableKind] = {
    "panel": TableKind("one provider x month: identity columns and the registry's measures",
                       "the synthetic generator, a panel file or a build of published files"),
    "truth": TableKind("one finding id and the true value it estimates (synthetic data)",
                       "the synthetic generator (published data have no known truth)"),
    "coverage": TableKind("one provider x month: which constructs and measures it has", ""),
    "staff_survey_years": TableKind(
        "one organisation x NHS Staff Survey year (2021-24 results)",
        "NHS Staff Survey 2021-24 results by trust (a CSV with the columns 'ODS code', "
        "'Year' and 'Benchmarking group')"),
    "inpatient_survey": TableKind(
        "one NHS trust x scored item of the Adult Inpatient Survey (survey year; score 0-10 "
        "with its expected range at 90, 95 and 99.8% and band)",
        "the Adult Inpatient Survey trust benchmark workbook (Adult-Inpatient-Survey-<year>.ods)"),
    "inpatient_respondents": TableKind(
        "one NHS trust x respondent characteristic of the Adult Inpatient Survey (the trust's "
        "respondents and response rate, the % of respondents in the category)",
        "the Adult Inpatient Survey trust benchmark workbook (Adult-Inpatient-Survey-<year>.ods)"),
    "sickness_absence": TableKind(
        "one NHS organisation x month: FTE days lost to sickness, FTE days available, the "
        "published rate %",
        "NHS sickness absence rates by organisation (monthly CSVs with ORG_CODE, "
        "FTE_DAYS_LOST and FTE_DAYS_AVAILABLE)"),
    "complaints": TableKind(
        "one NHS organisation x financial year: written complaints (KO41a) brought forward, "
        "new, resolved, upheld, and subjects (waiting times, staffing numbers, ...)",
        "written complaints in the NHS, KO41a (the publication's zip or its organisation-level "
        "CSV)"),
    "beds": TableKind(
        "one organisation x bed sector x quarter (KH03 overnight beds): beds available and "
        "occupied (averages of daily counts), days in the period, occupied bed days",
        "KH03 bed availability and occupancy (KH03-Available-/KH03-Occupied-Overnight-only "
        "CSVs)"),
    "fft_national": TableKind(
        "one FFT setting x submitters (all, NHS, independent) x month, national: "
        "organisations submitting, responses, % positive and % negative",
        "national FFT figures (the monthly summary workbook or the monthly rolling totals)"),
    "comments": TableKind("one patient comment (labelled FFT free text)",
                          "labelled patient comments (FFT free text with its themes)"),
    "comment_themes": TableKind("one comment x theme that applies",
                                "labelled patient comments (FFT free text with its themes)"),
    "specialty_waits": TableKind(
        "one provider x treatment function x RTT pathway kind, the latest month of each "
        "kind (pathways, within 18 weeks, over 52 weeks, weeks waited)",
        "RTT provider workbooks (NonAdmitted-/Admitted-/Incomplete-Provider-*.xlsx) or "
        "RTT full extracts"),
    "rtt_flows": TableKind(
        "one provider x treatment function x month: new clock starts, completed admitted and "
        "non-admitted pathways, the waiting list and its weeks waited, per week and the "
        "implied other removals (workbench.data.rtt_flows)",
        "RTT full extracts (parts 1A, 1B, 2 and 3 by treatment function)"),
}
#: The tables a build of published files writes beside the panel when their sources are
#: present: name -> what one row is.
SIDE_TABLES: dict[str, str] = {name: TABLES[name].row for name in
                               ("staff_survey_years", "inpatient_survey",
                                "inpatient_respondents", "sickness_absence", "complaints",
                                "beds", "fft_national", "comments", "comment_themes",
                                "specialty_waits", "rtt_flows")}


class CatalogueError(WorkbenchError, ValueError):
    """A table cannot be read through the catalogue: an unknown name, a file missing or
    changed since the catalogue recorded it, or a catalogue of another panel.

    Attributes: ``path`` (the catalogue or table file), ``name`` (the table asked for),
    ``problem`` and ``expected``.

    >>> str(CatalogueError("data/panel.catalogue.json", "coments", "is not a table name",
    ...                    expected="one of ['panel', 'comments']"))
    "data/panel.catalogue.json: table 'coments' is not a table name. Expected: one of ['panel', 'comments']."
    """

    def __init__(self, path, name: str, problem: str, *, expected: str):
        """Keep the facts and write the message (see the class)."""
        self.path = str(path)
        self.name = name
        self.problem = problem
        self.expected = expected
        super().__init__(f"{self.path}: table {name!r} {problem}. Expected: {expected}.")


@dataclass(frozen=True)
class NotHeld:
    """In place of a table the study's data do not hold: its ``name`` and the ``reason``.

    What :meth:`Catalogue.read` (and a notebook's ``s.data(name)``) returns instead of a
    DataFrame. It is false in a test (``if table:``), and prints as one sentence that a
    notebook shows as the limitation of its question.

    >>> gone = NotHeld("comments", "the synthetic default makes a panel only")
    >>> bool(gone), str(gone)
    (False, "The study's data hold no comments table: the synthetic default makes a panel only.")
    """

    name: str
    reason: str

    def __bool__(self) -> bool:
        """False: no table is held."""
        return False

    def __str__(self) -> str:
        """The one sentence a notebook shows."""
        return f"The study's data hold no {self.name} table: {self.reason.rstrip('.')}."

    @property
    def sentence(self) -> str:
        """The one sentence a notebook shows (as ``str``)."""
        return str(self)


def first_not_held(*tables: pd.DataFrame | NotHeld) -> NotHeld | None:
    """The first of ``tables`` that is :class:`NotHeld`, or None when all are held.

    >>> first_not_held(pd.DataFrame(), NotHeld("comments", "none")).name
    'comments'
    >>> first_not_held(pd.DataFrame()) is None
    True
    """
    return next((t for t in tables if isinstance(t, NotHeld)), None)


@dataclass(frozen=True)
class Entry:
    """One table in a catalogue: its file (relative to the catalogue), sha256 and rows, or
    the ``reason`` the data do not hold it; ``row`` says what one row is and ``detail``
    what the table was made from (months, source files).
    """

    name: str
    row: str
    file: str = ""
    sha256: str = ""
    rows: int | None = None
    detail: str = ""
    reason: str = ""
    #: Held in the session's memory, not in a file (a synthetic panel made on the fly).
    memory: bool = False

    @property
    def held(self) -> bool:
        """True when the data hold this table (a file is recorded, or it is in memory)."""
        return bool(self.file) or self.memory

    def to_dict(self) -> dict:
        """The entry as the catalogue file writes it (empty fields left out)."""
        rec = {"file": self.file, "sha256": self.sha256, "rows": self.rows,
               "row": self.row, "detail": self.detail, "reason": self.reason}
        return {k: v for k, v in rec.items() if v not in ("", None)}


def catalogue_path(panel_path: str | Path) -> Path:
    """Where the catalogue of the panel file ``panel_path`` is: ``<stem>.catalogue.json``.

    >>> catalogue_path("outputs/default/data/panel.parquet").as_posix()
    'outputs/default/data/panel.catalogue.json'
    """
    panel_path = Path(panel_path)
    return panel_path.with_name(panel_path.name.removesuffix(".parquet") + CATALOGUE_SUFFIX)


def file_entry(name: str, path: str | Path, *, folder: str | Path | None = None,
               rows: int | None = None, detail: str = "") -> Entry:
    """The catalogue entry of the file at ``path``: its name relative to ``folder``
    (default: the file's own folder), sha256 and rows (counted from the file when not
    given: a parquet file's rows, a ``truth.json``'s true values).

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"a": [1, 2, 3]}).to_parquet(folder / "panel.parquet")
    >>> e = file_entry("panel", folder / "panel.parquet")
    >>> e.file, e.rows, e.held
    ('panel.parquet', 3, True)
    """
    _kind(name)
    path = Path(path)
    base = Path(folder) if folder is not None else path.parent
    if rows is None:
        rows = _count_rows(path)
    return Entry(name=name, row=TABLES[name].row, file=path.relative_to(base).as_posix(),
                 sha256=sha256_file(path), rows=int(rows), detail=detail)


def _count_rows(path: Path) -> int:
    if path.suffix == ".json":
        return len(json.loads(path.read_text(encoding="utf-8")).get("truth", {}))
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(path).metadata.num_rows)


def _read_file(path: Path) -> pd.DataFrame:
    """A catalogued file as a DataFrame: parquet, the coverage CSV or ``truth.json``."""
    if path.suffix == ".json":
        doc = json.loads(path.read_text(encoding="utf-8"))
        return pd.DataFrame(sorted(doc.get("truth", {}).items()), columns=["id", "truth"])
    if path.suffix == ".csv":
        table = pd.read_csv(path)
        if "period" in table.columns:
            table["period"] = pd.to_datetime(table["period"])
        return table
    return pd.read_parquet(path)


def _kind(name: str) -> TableKind:
    if name not in TABLES:
        raise CatalogueError("<catalogue>", name, "is not a table name",
                             expected=f"one of {list(TABLES)}")
    return TABLES[name]


def missing_from_build(folder: str | Path) -> dict[str, str]:
    """Why a build from ``folder`` holds none of the :data:`SIDE_TABLES` (each reason
    for a table it could not make: no source of that kind among the files it read), and
    no truth.

    >>> missing_from_build("../shared/data/real")["comments"]
    'no labelled patient comments (FFT free text with its themes) among the files read from ../shared/data/real'
    """
    return {"truth": "published data have no known truth (only the synthetic generator "
                     "knows the effects it builds in)",
            **{name: f"no {TABLES[name].made_from} among the files read from {folder}"
               for name in SIDE_TABLES}}


def missing_without_build(made_by: str) -> dict[str, str]:
    """Why data not built from published files (``made_by``: the synthetic generator, a
    panel file) hold none of the coverage table and :data:`SIDE_TABLES`.

    >>> missing_without_build("the synthetic default")["comments"][:78]
    'the synthetic default has a provider x month panel only; the comments table is'
    """
    def holding(name: str) -> str:
        source = TABLES[name].made_from
        return f" holding {source}" if source else ""

    return {name: (f"{made_by} has a provider x month panel only; the {name} table is made "
                   f"by a build of the published files{holding(name)}: a study's `data: "
                   "build`, or `workbench data build`")
            for name in ("coverage", *SIDE_TABLES)}


def write_catalogue(panel_path: str | Path, entries: Iterable[Entry], *, made_by: str,
                    not_made: Mapping[str, str] | None = None) -> Path:
    """Write the catalogue beside ``panel_path`` (:func:`catalogue_path`): the ``entries``
    held and, for every other name of :data:`TABLES`, the reason in ``not_made`` (or that
    ``made_by`` does not make it). Returns the catalogue's path.

    The entries' files are relative to the panel's folder (:func:`file_entry` with that
    folder), so the folder can move as a whole.
    """
    cat = Catalogue.of(entries, made_by=made_by, not_made=not_made)
    return atomic_write_text(catalogue_path(panel_path), cat.to_json())


@dataclass
class Catalogue:
    """The tables a study's data hold (:class:`Entry` by name, in :data:`TABLES` order),
    what made them (``made_by``) and the folder their files are in (None: no files).
    """

    entries: dict[str, Entry]
    made_by: str
    folder: Path | None = None
    path: Path | None = None
    _read: dict[str, str] = field(default_factory=dict, repr=False)
    #: Tables held in memory (a synthetic default made on the fly), name -> table.
    frames: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, entries: Iterable[Entry], *, made_by: str,
           not_made: Mapping[str, str] | None = None, folder: Path | None = None,
           path: Path | None = None) -> Catalogue:
        """A catalogue of ``entries``; every other name of :data:`TABLES` is not held,
        with its reason from ``not_made`` (default: ``made_by`` does not make it).

        >>> Catalogue.of([], made_by="nothing").entry("truth").reason
        'nothing does not make it'
        """
        given = {e.name: e for e in entries}
        not_made = dict(not_made or {})
        out = {}
        for name, kind in TABLES.items():
            out[name] = given.get(name) or Entry(
                name=name, row=kind.row,
                reason=not_made.get(name) or f"{made_by} does not make it")
        return cls(out, made_by=made_by, folder=folder, path=path)

    @classmethod
    def load(cls, path: str | Path) -> Catalogue:
        """The catalogue in the file ``path`` (files relative to its folder)."""
        path = Path(path)
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            tables = doc["tables"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CatalogueError(path, "*", f"cannot be read as a catalogue ({exc})",
                                 expected="the catalogue a build or data step wrote (build "
                                          "the data again)") from exc
        entries = [Entry(name=name, row=rec.get("row", TABLES.get(name, TableKind("", "")).row),
                         file=rec.get("file", ""), sha256=rec.get("sha256", ""),
                         rows=rec.get("rows"), detail=rec.get("detail", ""),
                         reason=rec.get("reason", ""))
                   for name, rec in tables.items() if name in TABLES]
        held = [e for e in entries if e.held]
        not_made = {e.name: e.reason for e in entries if not e.held}
        return cls.of(held, made_by=doc.get("made_by", str(path)), not_made=not_made,
                      folder=path.parent, path=path)

    @classmethod
    def beside(cls, panel_path: str | Path) -> Catalogue:
        """The catalogue of the panel file ``panel_path``; without one, a catalogue of the
        panel alone saying why the other tables cannot be read.

        >>> Catalogue.beside("no/such/panel.parquet").read("comments").reason[:40]
        'there is no catalogue beside no/such/pan'
        """
        path = catalogue_path(panel_path)
        if path.is_file():
            return cls.load(path)
        reason = (f"there is no catalogue beside {panel_path} (the panel was not made by "
                  "`workbench data build` or a study's data step, or was made before they "
                  "wrote one): build the data again to read the tables beside a panel")
        return cls.of([], made_by=f"the panel file {panel_path}",
                      not_made={name: reason for name in TABLES if name != "panel"},
                      folder=Path(panel_path).parent)

    @classmethod
    def synthetic(cls, made_by: str = "the synthetic default", *, rows: int | None = None,
                  truths: int | None = None,
                  tables: Mapping[str, pd.DataFrame] | None = None) -> Catalogue:
        """The catalogue of a synthetic panel made in memory (no files): the panel (``rows``)
        and its truth (``truths`` true values) are held by the session, and ``tables``
        (name -> DataFrame, e.g. the generator's ``rtt_flows``) by the catalogue; every
        other table is not held, with the reason.

        >>> Catalogue.synthetic().read("comments").reason[:48]
        'the synthetic default has a provider x month pan'

        """
        memory = [Entry(name, TABLES[name].row, rows=n, detail="made in memory", memory=True)
                  for name, n in (("panel", rows), ("truth", truths))]
        frames = dict(tables or {})
        for name in frames:
            _kind(name)  # an unknown name is an error
        memory += [Entry(name, TABLES[name].row, rows=len(t), detail="made in memory",
                         memory=True) for name, t in frames.items()]
        cat = cls.of(memory, made_by=made_by, not_made=missing_without_build(made_by))
        cat.frames = frames
        return cat

    def entry(self, name: str) -> Entry:
        """The entry of ``name``; an unknown name raises :class:`CatalogueError`."""
        if name not in self.entries:
            raise CatalogueError(self.path or "<catalogue>", name, "is not a table name",
                                 expected=f"one of {list(self.entries)}")
        return self.entries[name]

    def held(self, name: str) -> bool:
        """True when the data hold the table ``name``."""
        return self.entry(name).held

    def check_panel(self, sha256: str) -> None:
        """Raise :class:`CatalogueError` when the catalogue records another panel than the
        one with ``sha256`` (its tables were made with that other panel).
        """
        panel = self.entries.get("panel")
        if panel is not None and panel.sha256 and sha256 and panel.sha256 != sha256:
            raise CatalogueError(self.path or "<catalogue>", "panel",
                                 f"is recorded with sha256 {panel.sha256[:12]}, and the panel "
                                 f"read has sha256 {sha256[:12]}: the tables beside it were "
                                 "made with another panel",
                                 expected="the panel and its tables from one build (build "
                                          "the data again)")

    def read(self, name: str) -> pd.DataFrame | NotHeld:
        """The table ``name`` as a DataFrame, its file's sha256 checked against the one
        recorded, or :class:`NotHeld` with the reason the data do not hold it.

        A file missing or changed since the catalogue was written raises
        :class:`CatalogueError` naming it.
        """
        e = self.entry(name)
        if not e.held:
            return NotHeld(name, e.reason)
        if e.memory and name in self.frames:
            return self.frames[name].copy()
        if e.memory or self.folder is None:
            raise CatalogueError(self.path or "<catalogue>", name, "is held in memory, not "
                                 "in a file", expected="the session's own copy "
                                                       "(Session.data)")
        path = self.folder / e.file
        if not path.is_file():
            raise CatalogueError(path, name, "is listed in the catalogue, and its file is "
                                 "not there", expected="the files the catalogue lists (build "
                                                       "the data again)")
        digest = sha256_file(path)
        if e.sha256 and digest != e.sha256:
            raise CatalogueError(path, name, f"has changed since the catalogue recorded it "
                                 f"(sha256 {e.sha256[:12]}, now {digest[:12]})",
                                 expected="the file as the build wrote it (build the data "
                                          "again)")
        self._read[name] = digest
        return _read_file(path)

    @property
    def tables_read(self) -> dict[str, str]:
        """The tables read so far, name -> sha256 of the file read."""
        return dict(self._read)

    def frame(self) -> pd.DataFrame:
        """One row per table: ``table``, ``held``, ``rows``, ``row`` (what a row is) and
        ``detail`` (what it was made from, or why it is not held).

        >>> Catalogue.synthetic().frame().query("held")["table"].tolist()
        ['panel', 'truth']
        """
        return pd.DataFrame([{"table": e.name, "held": e.held, "rows": e.rows,
                              "row": e.row, "detail": e.detail if e.held else e.reason}
                             for e in self.entries.values()],
                            columns=["table", "held", "rows", "row", "detail"])

    def __str__(self) -> str:
        """What made the data, then one line per table: rows held, or why not."""
        lines = [f"Data made by {self.made_by}:"]
        for e in self.entries.values():
            rows = f"{e.rows:,} rows" if e.rows is not None else "held"
            lines.append(f"  {e.name}: {rows} ({e.row})" if e.held
                         else f"  {e.name}: not held ({e.reason})")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return (f"<p><b>Data made by</b> {_escape(self.made_by)}</p>"
                + self.frame().to_html(index=False, border=0, na_rep=""))

    def to_json(self) -> str:
        """The catalogue as its file holds it."""
        doc = {"catalogue": FORMAT, "made_by": self.made_by,
               "tables": {name: e.to_dict() for name, e in self.entries.items()}}
        return json.dumps(doc, indent=2) + "\n"


def _escape(text: str) -> str:
    import html

    return html.escape(text)
