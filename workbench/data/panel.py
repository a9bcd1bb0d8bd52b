"""Join whichever official files are present into the provider x month panel.

:func:`build` walks a folder tree (``data/raw`` after :func:`workbench.data.fetch.fetch`, or
a staging folder such as ``../shared/data/real``), recognises each publication by its file
name (:data:`RECOGNISERS`; CQC API dumps and staff-survey tables by their header), reads it
with its reader, and joins the tables on ``provider_code`` x ``period``. Files it knows but
does not use (national totals, derived copies, local-authority tables) are listed with the
reason; unknown files are listed as not recognised.

Identity columns
----------------
* ``provider_name``: the ODS trust list (current ``etr`` first, then the 2018 trusts-and-sites
  list), else the first name a source gives, else the code.
* ``sector`` and ``setting``: from registers only (:mod:`workbench.data.registers`): the ODS
  trust lists, the NHS Staff Survey benchmarking groups, the RTT workbooks' ``Provider`` /
  ``IS Provider`` sheets and the CQC registers. What no register settles is ``unknown``
  (listed by :meth:`BuildResult.summary` and in the provenance); never NHS by default, and
  never from a name or the shape of a code. ``ownership``: ``nhs`` for the NHS sector,
  otherwise missing (no source here publishes for-profit / not-for-profit status by code).
* ``region``: ODS national grouping of the trust (2020 NHS England regions), else the region a
  source gives (A&E parent organisation, CQC record).

Joining: measures of different publications for the same provider-month sit side by side.
Two files that give the same provider-month and measure different values (beyond 1e-9
relative) stop the build with :class:`~workbench.errors.ConflictingValuesError` naming both
files and both values, unless ``precedence=`` (``--prefer`` on the command line; a
``precedence:`` list in a study's ``data.build``) names one of the two publications (its kind,
e.g. ``ae_workbook``, or its file name): the first named wins and each resolution is recorded
in the provenance and the warnings. Equal values are fine. A file that breaks its reader's
expectations stops the build with that reader's :class:`~workbench.errors.SourceFormatError`;
nothing is written. A file that is incomplete (totals missing or disagreeing, rows cut short)
stops it with :class:`~workbench.errors.SourceIncompleteError` unless
``allow_incomplete=True``, when the reader warns
(:class:`~workbench.errors.IncompleteSourceWarning`) and the build goes on.

Not provider-month data: the staff survey 2021-24 results (one row per organisation x survey
year; fieldwork spans September to December, so no one month is honest) and the labelled
patient comments are written beside the panel (:data:`SIDE_TABLES`), not joined into it.
The RTT provider workbooks' all-treatment-function (``C_999``) rows join the panel in their
month (median as published, % within 18 weeks from the bands), named by pathway kind.

Warnings: every warning a reader gives is caught around its call and kept twice: as text in
the input's provenance record and in :attr:`BuildResult.warnings` (file, provider, column
where known, message), which :meth:`BuildResult.warnings_text` prints grouped by file.

Outputs (written only after the panel validates)
------------------------------------------------
``out`` is a folder (the panel ``panel.parquet``, coverage ``panel.coverage.csv`` and
provenance ``panel.provenance.json`` inside it) or a panel file ending in ``.parquet``
(``<stem>.coverage.csv`` and ``<stem>.provenance.json`` beside it), with the side tables
``<stem>.staff_survey_years.parquet``, ``<stem>.comments.parquet`` and
``<stem>.comment_themes.parquet`` when their sources are present. The coverage table has
one row per provider-month with a true/false column per construct and the measures present;
the provenance lists every input file with its reader, status, sha256, periods, warnings and
publisher URL, and the panel's sha256.

The three are replaced together (:func:`workbench.files.atomic_file_set`): they are written
into a fresh hidden folder ``.<stem>.build-<pid>-<hex>/`` beside the destination, and the
names readers open (``<stem>.parquet``, ``<stem>.coverage.csv``, ``<stem>.provenance.json``)
are fixed relative symlinks through ``.<stem>.current``, a symlink to one build folder. One
``os.replace`` of that link switches all three at once, so a build killed at any moment
leaves the old set or the new set, never a mix. Readers open the panel by its path as before
(``workbench.load``, the study runner); the coverage and provenance beside it are always of
the same build. Build folders and links left by killed builds are removed by the next build
(only those matching that naming whose process has ended); other files in the folder are left
alone. A full disk or read-only destination is an :class:`~workbench.errors.OutputWriteError`
naming the path, with the old outputs intact.

Example
-------
>>> from workbench.data.panel import build
>>> result = build("../shared/data/real", out="data/processed/panel.parquet")  # doctest: +SKIP
>>> result.summary()  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import json
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from workbench.data import measures as M
from workbench.data import registers
from workbench.data.schema import validate_panel
from workbench.data.sources import ods as ods_reader
from workbench.errors import ConflictingValuesError, OutputWriteError, SourceFormatError
from workbench.files import atomic_file_set, sha256_file

#: Extra (unregistered) columns carried into the panel when a source gives them.
EXTRA_COLUMNS = ("cqc_safe", "cqc_effective", "cqc_well_led")
DEFAULT_OUT = Path("data/processed/panel.parquet")
#: Stem of the three outputs when ``out`` is a folder.
FOLDER_STEM = "panel"


@dataclass(frozen=True)
class Recogniser:
    """How one kind of file is recognised and read."""

    kind: str
    pattern: str          # regular expression on the file name (case-insensitive)
    module: str           # reader module
    function: str = "read"
    header: tuple[str, ...] = ()  # CSV header cells that must all be present, if any


RECOGNISERS: tuple[Recogniser, ...] = (
    Recogniser("ods_etr", r"^etr\.csv$", "workbench.data.sources.ods"),
    Recogniser("ods_etrust", r"^etrust.*\.csv(\.gz)?$", "workbench.data.sources.ods"),
    Recogniser("rtt", r"(rtt.*full-extract.*\.csv(\.zip)?|^full-csv-data-file.*\.zip)$",
               "workbench.data.sources.rtt"),
    Recogniser("ae", r"^monthly-ae-.*\.csv$", "workbench.data.sources.ae"),
    Recogniser("ae_workbook", r"ae-by-provider.*\.xlsx$", "workbench.data.sources.ae"),
    Recogniser("ae_nhsr", r"^ae_attendances\.csv$", "workbench.data.sources.ae", "read_nhsr"),
    Recogniser("workforce", r"staff-by-staff-group-nationality-and-organisation.*\.xlsx$",
               "workbench.data.sources.workforce"),
    Recogniser("rtt_provider_workbook", r"^(NonAdmitted|Admitted|Incomplete)-Provider-.*\.xls[xm]$",
               "workbench.data.sources.rtt_provider_workbook"),
    Recogniser("staff_survey_trust", r"\.csv$", "workbench.data.sources.staff_survey_trust",
               header=("ODS code", "Year", "Benchmarking group")),
    Recogniser("patient_comments", r"\.csv$", "workbench.data.sources.patient_comments",
               header=("Comment ID", "FFT answer")),
    Recogniser("patient_comments", r"\.csv$", "workbench.data.sources.patient_comments",
               header=("feedback", "subcategory", "row_index")),
    Recogniser("cqc_locations", r"\.csv$", "workbench.data.sources.cqc_locations",
               header=("CQC Location ID (for office use only)", "Provider name")),
    Recogniser("staff_survey", r"\.csv$", "workbench.data.sources.staff_survey",
               header=("Code",)),
    Recogniser("cqc_api", r"\.csv$", "workbench.data.sources.cqc", "read_api",
               header=("locationId", "providerId", "currentRatings")),
    Recogniser("cqc_ratings", r"latest_ratings\.(ods|xlsx|csv)$", "workbench.data.sources.cqc",
               "read_latest_ratings"),
    Recogniser("fft", r"^(fft|friends-and-family-test)-.*data-.*\.xls[xm]$",
               "workbench.data.sources.fft"),
)

#: Files known but not read into the panel, and why.
KNOWN_UNUSED: tuple[tuple[str, str], ...] = (
    (r"^DERIVED_", "a derived copy, not a published file (the originals are read instead)"),
    (r"\.rda$", "R data file; its CSV conversion is read instead"),
    (r"monthly_rolling_totals", "FFT national rolling totals: national only, no provider rows"),
    (r"^EU_and_UK_nationals", "EU and UK nationals headcount only (no FTE totals)"),
    (r"^HCHS_staff_with_an_EU", "EU and UK nationality counts only (no totals)"),
    (r"^england_.*\.csv\.gz$", "a third-party tidied trust panel, not a publisher's layout"),
    (r"^(social_care_satisfaction|care_homes_rating)\.csv$",
     "local-authority level (GSS codes), no provider code"),
    (r"^cqc_gp_practice_overall\.csv$", ("derived from the CQC ratings file (overall only, "
                                         "latest year per practice, not a monthly record)")),
    (r"^(MANIFEST|README).*\.md$", "documentation"),
    (r"\.fetch\.json$", "download record"),
)


@dataclass
class BuildResult:
    """What :func:`build` made: the panel, its coverage, the provenance and where they are."""

    panel: pd.DataFrame
    coverage: pd.DataFrame
    provenance: dict
    panel_path: Path
    coverage_path: Path
    provenance_path: Path
    inputs: list[dict] = field(default_factory=list)
    #: Every warning of the build: ``file``, ``kind`` (the warning's class), ``provider``
    #: and ``column`` (None when the warning does not say), ``message``.
    warnings: list[dict] = field(default_factory=list)
    #: Tables kept beside the panel (:data:`SIDE_TABLES`) and where they were written.
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    table_paths: dict[str, Path] = field(default_factory=dict)
    #: Sector and setting of every provider and the registers that settled them
    #: (:func:`workbench.data.registers.decide`).
    registers: pd.DataFrame | None = None
    #: The providers no register settles, as lines for the terminal ('' when none).
    unsettled: str = ""

    def warnings_text(self) -> str:
        """The build's warnings grouped by file ('' when there are none).

        >>> r = BuildResult(pd.DataFrame(), pd.DataFrame(), {}, Path("p.parquet"),
        ...     Path("c.csv"), Path("j.json"), warnings=[{"file": "a.csv", "provider": "RJ1",
        ...     "column": "Total", "kind": "IncompleteSourceWarning", "message": "a.csv: short"}])
        >>> print(r.warnings_text())
        Warnings (1):
          a.csv
            - IncompleteSourceWarning (provider RJ1, column 'Total'): a.csv: short
        """
        return warnings_text(self.warnings)

    def summary(self) -> str:
        """A few lines for the terminal: size, sectors, constructs by period and inputs."""
        p = self.panel
        lines = [(f"Panel {self.panel_path}: {len(p)} provider-months, "
                  f"{p['provider_code'].nunique()} providers, "
                  f"{p['period'].min():%Y-%m} to {p['period'].max():%Y-%m}")]
        sec = p.drop_duplicates("provider_code")["sector"].value_counts()
        lines.append("Providers by sector: " + ", ".join(f"{k} {v}" for k, v in sec.items()))
        lines.append("Provider counts by construct and sector (any month):")
        lines.append(coverage_summary(self.coverage).to_string())
        used = [i for i in self.inputs if i["status"] == "read"]
        lines.append(f"Inputs read: {len(used)}; not used: {len(self.inputs) - len(used)} "
                     f"(see {self.provenance_path.name})")
        lines.append(f"Coverage table: {self.coverage_path}")
        for name, path in self.table_paths.items():
            lines.append(f"Beside the panel: {name} ({len(self.tables[name])} rows) {path}")
        if self.unsettled:
            lines.append(self.unsettled)
        if self.warnings:
            lines.append(f"Warnings: {len(self.warnings)} (listed below and in "
                         f"{self.provenance_path.name})")
        return "\n".join(lines)


def warnings_text(records: list[dict]) -> str:
    """Warning records (see :attr:`BuildResult.warnings`) as lines grouped by file.

    >>> print(warnings_text([{"file": "b.csv", "message": "odd", "kind": "UserWarning"}]))
    Warnings (1):
      b.csv
        - UserWarning: odd
    """
    if not records:
        return ""
    lines = [f"Warnings ({len(records)}):"]
    by_file: dict[str, list[dict]] = {}
    for rec in records:
        by_file.setdefault(str(rec.get("file") or "(build)"), []).append(rec)
    for file, recs in by_file.items():
        lines.append(f"  {file}")
        for rec in recs:
            where = [f"provider {rec['provider']}" if rec.get("provider") else "",
                     f"column {rec['column']!r}" if rec.get("column") else ""]
            at = ", ".join(w for w in where if w)
            lines.append(f"    - {rec.get('kind', 'warning')}{f' ({at})' if at else ''}: "
                         f"{rec['message']}")
    return "\n".join(lines)


_COLUMN_RX = re.compile(r"""column (['"])(.+?)\1""")
_PROVIDER_RX = re.compile(r"\bprovider (?:code )?['\"]?([A-Z0-9]{3,10})\b")


def _warning_record(path: Path, w: warnings.WarningMessage) -> dict:
    """One caught warning as a record: file, kind, provider, column (where known), message."""
    msg = w.message
    text = str(msg)
    column = getattr(msg, "column", None)
    provider = getattr(msg, "provider", None)
    if column is None and (m := _COLUMN_RX.search(text)):
        column = m.group(2)
    if provider is None and (m := _PROVIDER_RX.search(text)):
        provider = m.group(1)
    return {"file": str(path), "kind": w.category.__name__, "provider": provider,
            "column": column, "message": text}


def output_paths(out: str | Path) -> tuple[Path, Path, Path]:
    """The panel, coverage and provenance paths that ``out`` names.

    A folder (existing, or any path not ending in ``.parquet``) holds ``panel.parquet``,
    ``panel.coverage.csv`` and ``panel.provenance.json``; a panel file ``X.parquet`` has
    ``X.coverage.csv`` and ``X.provenance.json`` beside it.

    >>> [p.as_posix() for p in output_paths("data/processed/panel.parquet")]
    ['data/processed/panel.parquet', 'data/processed/panel.coverage.csv', 'data/processed/panel.provenance.json']
    >>> output_paths("outputs/real")[0].as_posix()
    'outputs/real/panel.parquet'
    """
    out = Path(out)
    if out.is_dir():
        panel = out / f"{FOLDER_STEM}.parquet"
    elif out.suffix.lower() == ".parquet":
        panel = out
    elif out.exists() or out.is_symlink():
        raise OutputWriteError(out, "is a file, not a folder or a .parquet panel file; give "
                                    "a folder or a panel file path ending in .parquet")
    else:
        panel = out / f"{FOLDER_STEM}.parquet"
    stem = panel.name[: -len(".parquet")]
    return (panel, panel.with_name(stem + ".coverage.csv"),
            panel.with_name(stem + ".provenance.json"))


def _sniff_header(path: Path) -> list[str]:
    with open(path, "rb") as fh:
        first = fh.readline(1 << 16)
    text = first.decode("utf-8-sig", errors="replace")
    return [c.strip().strip('"') for c in text.rstrip("\r\n").split(",")]


def discover(folder: str | Path) -> tuple[list[tuple[Recogniser, Path]], list[dict]]:
    """The recognised files under ``folder`` and a record of every other file.

    Returns ``(found, others)``: ``found`` pairs each recognised file with its
    :class:`Recogniser`; ``others`` holds ``{"path", "status", "reason"}`` for files known but
    unused and files not recognised.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); _ = (d / "etr.csv").write_text('"RJ1","X"\\n')
    >>> [r.kind for r, _ in discover(d)[0]]
    ['ods_etr']
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise SourceFormatError(folder, "is not a folder", expected="a folder of official files")
    found, others = [], []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue
        unused = next((why for rx, why in KNOWN_UNUSED
                       if re.search(rx, path.name, flags=re.IGNORECASE)), None)
        if unused:
            others.append({"path": str(path), "status": "not used", "reason": unused})
            continue
        hit = None
        for rec in RECOGNISERS:
            if not re.search(rec.pattern, path.name, flags=re.IGNORECASE):
                continue
            if rec.header:
                cells = _sniff_header(path)
                if not all(h in cells for h in rec.header):
                    continue
                if rec.kind == "staff_survey" and not any(
                        c in cells for c in ("Year.index", "Year.Index")):
                    continue
            hit = rec
            break
        if hit:
            found.append((hit, path))
        else:
            others.append({"path": str(path), "status": "not recognised",
                           "reason": "no reader for this file name/header"})
    return found, others


def _reader(rec: Recogniser) -> Callable | None:
    try:
        module = importlib.import_module(rec.module)
    except ModuleNotFoundError as exc:
        if exc.name != rec.module:
            raise
        return None
    return getattr(module, rec.function, None)


def _month(values) -> pd.Series:
    return pd.to_datetime(values).dt.to_period("M").dt.to_timestamp().astype("datetime64[ns]")


def _panel_rows(kind: str, df: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Measures keyed by provider x month, and per-provider hints (name, setting, region)."""
    df = df.copy()
    if kind.startswith("cqc"):
        df = df[df["provider_code"].notna() & df["registered"].astype(bool)]
        df = df.sort_values("cqc_report_date", na_position="first").drop_duplicates(
            ["provider_code", "period"], keep="last")
    keys = df[["provider_code", "period"]]
    if keys.isna().any().any():
        raise SourceFormatError(path, "rows without provider code or period after reading",
                                column="provider_code", expected="a code and month on every row")
    df["provider_code"] = df["provider_code"].astype(str).str.strip().str.upper()
    df["period"] = _month(df["period"])
    dup = df.duplicated(["provider_code", "period"], keep=False)
    if dup.any():
        raise SourceFormatError(path, f"provider {df.loc[dup, 'provider_code'].iloc[0]!r} "
                                "appears more than once in a month after reading",
                                column="provider_code", expected="one row per provider-month")
    measures = [c for c in M.MEASURES if c in df.columns] + [c for c in EXTRA_COLUMNS
                                                             if c in df.columns]
    rows = df[["provider_code", "period", *measures]].copy()
    for m in measures:
        if m in M.MEASURES and M.MEASURES[m].kind != "ordinal":
            rows[m] = rows[m].astype("float64")
    h = pd.DataFrame({"provider_code": df["provider_code"]})
    h["provider_name"] = df.get("provider_name", pd.NA)
    h["region"] = df.get("region", pd.NA)
    hints = h.drop_duplicates("provider_code")
    return rows, hints


@dataclass(frozen=True)
class _Table:
    """One file's measures keyed by provider x month, with the publication it came from."""

    kind: str
    file: str
    rows: pd.DataFrame


def _rank(precedence: list[str], table: _Table) -> int | None:
    """Position of a table's file name or publication kind in ``precedence`` (None: not named)."""
    for i, p in enumerate(precedence):
        if p in (table.file, table.kind):
            return i
    return None


def _show(value) -> object:
    return value.item() if hasattr(value, "item") else value


def _combine(tables: list[_Table], precedence: list[str] | None = None
             ) -> tuple[pd.DataFrame, list[dict]]:
    """Outer-join measure tables on provider x month.

    Measures of different files sit side by side; a cell given by two files must agree
    (within 1e-9, or the same rating). A disagreement raises
    :class:`~workbench.errors.ConflictingValuesError` naming both files and both values,
    unless ``precedence`` names one of the two (its file name or publication kind): the
    one named first wins and the resolution is recorded.
    """
    key = ["provider_code", "period"]
    precedence = list(precedence or [])
    panel: pd.DataFrame | None = None
    owner: dict[str, pd.Series] = {}   # column -> which table gave each cell (index aligned)
    by_index: list[_Table] = []
    resolved: list[dict] = []
    for t_no, tab in enumerate(tables):
        t = tab.rows.set_index(key)
        by_index.append(tab)
        if panel is None:
            panel = t.copy()
            for c in t.columns:
                owner[c] = pd.Series(t_no, index=t.index).where(t[c].notna())
            continue
        idx = panel.index.union(t.index)
        panel = panel.reindex(idx)
        owner = {c: o.reindex(idx) for c, o in owner.items()}
        tt = t.reindex(idx)
        for c in t.columns:
            b = tt[c]
            if c not in panel.columns:
                panel[c] = b
                owner[c] = pd.Series(t_no, index=idx).where(b.notna())
                continue
            a = panel[c]
            both = a.notna() & b.notna()
            ordinal = isinstance(a.dtype, pd.CategoricalDtype) or isinstance(
                b.dtype, pd.CategoricalDtype) or a.dtype == object or b.dtype == object
            if ordinal:
                a_o, b_o = a.astype(object), b.astype(object)
                differ = both & (a_o != b_o)
            else:
                differ = both & ((a - b).abs() > 1e-9 * (1 + a.abs()))
            take_new = a.isna() & b.notna()
            if differ.any():
                for prev_no in sorted({int(v) for v in owner[c][differ].dropna()}):
                    prev = by_index[prev_no]
                    cells = differ & (owner[c] == prev_no)
                    r_prev, r_new = _rank(precedence, prev), _rank(precedence, tab)
                    first = cells.idxmax()
                    if r_prev is None and r_new is None or r_prev == r_new:
                        raise ConflictingValuesError(
                            first[0], f"{first[1]:%Y-%m}", c, (prev.file, tab.file),
                            (_show(a[first]), _show(b[first])), n_cells=int(cells.sum()),
                            sources=(prev.kind, tab.kind))
                    new_wins = r_prev is None or (r_new is not None and r_new < r_prev)
                    if new_wins:
                        take_new = take_new | cells
                    resolved.append({"measure": c, "cells": int(cells.sum()),
                                     "kept": tab.file if new_wins else prev.file,
                                     "over": prev.file if new_wins else tab.file,
                                     "example": f"{first[0]} {first[1]:%Y-%m}: "
                                                f"{_show(a[first])} vs {_show(b[first])}"})
            if ordinal:
                panel[c] = a.astype(object).where(~take_new, b.astype(object))
            else:
                panel[c] = a.where(~take_new, b)
            owner[c] = owner[c].where(~take_new, t_no)
    assert panel is not None
    return panel.reset_index(), resolved


def coverage_table(panel: pd.DataFrame) -> pd.DataFrame:
    """One row per provider-month: which constructs (and how many measures) it has.

    >>> import pandas as pd
    >>> p = pd.DataFrame({"provider_code": ["RJ1"], "provider_name": ["X"], "sector": ["nhs"],
    ...     "setting": ["acute"], "period": [pd.Timestamp("2017-09-01")], "nurse_fte": [1.0]})
    >>> coverage_table(p)[["staffing", "waiting"]].iloc[0].tolist()
    [True, False]
    """
    ident = [c for c in ("provider_code", "provider_name", "sector", "setting", "period")
             if c in panel.columns]
    out = panel[ident].copy()
    for construct in M.CONSTRUCTS:
        cols = [m.name for m in M.by_construct(construct) if m.name in panel.columns]
        out[construct] = panel[cols].notna().any(axis=1) if cols else False
    cols = [c for c in M.MEASURES if c in panel.columns]
    notna = panel[cols].notna()
    out["measures"] = [";".join(c for c, v in zip(cols, row) if v) for row in notna.to_numpy()]
    return out.reset_index(drop=True)


def coverage_summary(coverage: pd.DataFrame) -> pd.DataFrame:
    """Number of providers with each construct, by sector (any month) and overall months.

    >>> import pandas as pd
    >>> cov = pd.DataFrame({"provider_code": ["A", "A"], "sector": ["nhs", "nhs"],
    ...     "period": pd.to_datetime(["2017-09-01", "2018-06-01"]), "staffing": [True, True],
    ...     "waiting": [False, True], "satisfaction": [False, False], "context": [False, False]})
    >>> coverage_summary(cov).loc["nhs", "staffing"]
    np.int64(1)
    """
    cons = [c for c in M.CONSTRUCTS if c in coverage.columns]
    per_provider = coverage.groupby(["sector", "provider_code"])[cons].any()
    counts = per_provider.groupby("sector").sum().astype("int64")
    months = coverage.groupby("sector")["period"].agg(
        lambda s: f"{s.min():%Y-%m}..{s.max():%Y-%m}")
    counts["providers"] = per_provider.groupby("sector").size()
    counts["months"] = months
    return counts


#: Tables written beside the panel when their sources are present: name -> what a row is.
SIDE_TABLES = {
    "staff_survey_years": "one organisation x NHS Staff Survey year (2021-24 results)",
    "comments": "one patient comment (labelled FFT free text)",
    "comment_themes": "one comment x theme that applies",
}


def side_table_path(panel_path: str | Path, name: str) -> Path:
    """Where the side table ``name`` (:data:`SIDE_TABLES`) of a panel file is written.

    >>> side_table_path("data/processed/panel.parquet", "staff_survey_years").as_posix()
    'data/processed/panel.staff_survey_years.parquet'
    """
    panel_path = Path(panel_path)
    return panel_path.with_name(panel_path.name[: -len(".parquet")] + f".{name}.parquet")


def build(from_folder: str | Path, out: str | Path = DEFAULT_OUT, *,
          gp_sector: str = "nhs", allow_incomplete: bool = False,
          precedence: list[str] | tuple[str, ...] | str | None = None) -> BuildResult:
    """Read every recognised file under ``from_folder``, join and validate, write the panel.

    ``out`` is a folder or a panel file ending in ``.parquet`` (:func:`output_paths`).
    Returns a :class:`BuildResult` (panel, coverage table, provenance, paths, warnings,
    side tables). Nothing is written unless every recognised file reads and the joined
    panel validates; the outputs then replace the old ones together (module docstring). An
    incomplete file raises :class:`~workbench.errors.SourceIncompleteError` unless
    ``allow_incomplete`` is true, when it is read with a warning.

    Two files that give the same provider, month and measure different values raise
    :class:`~workbench.errors.ConflictingValuesError` naming both files and values, unless
    ``precedence`` (publication kinds such as ``"ae_workbook"`` or file names, first wins)
    names one of them. Sector and setting come from registers
    (:mod:`workbench.data.registers`); ``gp_sector`` is the sector of providers the CQC
    records as GP practices.

    >>> build("no/such/folder")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    workbench.errors.SourceFormatError: no/such/folder: is not a folder. Expected: a folder of official files.
    """
    folder = Path(from_folder)
    if isinstance(precedence, str):
        precedence = [precedence]
    precedence = [str(p) for p in (precedence or [])]
    kinds = {r.kind for r in RECOGNISERS}
    unknown = [p for p in precedence if p not in kinds and not re.search(r"\.\w+$", p)]
    if unknown:
        raise ValueError(f"precedence={unknown!r}: not a publication kind or file name; "
                         f"expected kinds from {sorted(kinds)} or file names")
    out, cov_path, prov_path = output_paths(out)
    found, others = discover(folder)
    inputs: list[dict] = list(others)

    # the staff survey: one tidied file only (their engagement scales differ)
    survey = [(r, p) for r, p in found if r.kind == "staff_survey"]
    if len(survey) > 1:
        keep = min(survey, key=lambda rp: (0 if "2015_2019" in rp[1].name else 1, rp[1].name))
        for r, p in survey:
            if p != keep[1]:
                inputs.append({"path": str(p), "kind": r.kind, "status": "not used",
                               "reason": f"staff survey already read from {keep[1].name} "
                                         "(files use different engagement scales)"})
        found = [(r, p) for r, p in found if r.kind != "staff_survey" or p == keep[1]]

    ods_tables, tables, hints, evidence = [], [], [], []
    side: dict[str, list[pd.DataFrame]] = {name: [] for name in SIDE_TABLES}
    caught_all: list[dict] = []
    for rec, path in found:
        reader = _reader(rec)
        if reader is None:
            inputs.append({"path": str(path), "kind": rec.kind, "status": "skipped",
                           "reason": f"reader {rec.module}.{rec.function} is not available"})
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            df = reader(path, allow_incomplete=allow_incomplete)
        caught_all.extend(_warning_record(path, w) for w in caught)
        prov = getattr(df, "provenance", None) if not isinstance(df, pd.DataFrame) \
            else df.attrs.get("provenance", {})
        record = {"path": str(path), "kind": rec.kind, "status": "read",
                  "reader": f"{rec.module}.{rec.function}",
                  "provenance": _jsonable(prov or {}),
                  "warnings": [str(w.message) for w in caught]}
        if rec.kind == "patient_comments":
            side["comments"].append(df.comments)
            side["comment_themes"].append(df.themes)
            record["rows"] = len(df.comments)
            record["use"] = "beside the panel: comments and comment_themes"
            inputs.append(record)
            continue
        evidence.append(registers.evidence(rec.kind, df, path.name))
        if rec.kind.startswith("ods"):
            ods_tables.append((rec.kind, df))
            record["rows"] = len(df)
        elif rec.kind == "staff_survey_trust":
            side["staff_survey_years"].append(df)
            record["rows"] = len(df)
            record["use"] = "beside the panel: staff_survey_years; register (benchmarking group)"
        elif rec.kind == "cqc_locations":
            record["rows"] = len(df)
            record["use"] = "register only (ownership of CQC providers and locations)"
        else:
            if rec.kind == "rtt_provider_workbook":
                from workbench.data.sources.rtt_provider_workbook import provider_measures

                df = provider_measures(df)
            rows, h = _panel_rows(rec.kind, df, path)
            record["rows"] = len(rows)
            tables.append(_Table(rec.kind, path.name, rows))
            hints.append(h)
        inputs.append(record)
    if not tables:
        raise SourceFormatError(folder, "no source file with provider measures was found",
                                expected="official files such as Monthly-AE-*.csv, the RTT "
                                         "full extract, the HCHS workforce workbook")

    panel, resolved = _combine(tables, precedence)
    by_name = {Path(r["path"]).name: r["path"] for r in inputs if r.get("status") == "read"}
    for res in resolved:
        caught_all.append({"file": by_name.get(res["kept"], res["kept"]),
                           "kind": "PrecedenceApplied", "provider": None,
                           "column": res["measure"],
                           "message": f"{res['cells']} cell(s) of {res['measure']!r} differ from "
                                      f"{res['over']}; {res['kept']} takes precedence (e.g. "
                                      f"{res['example']})"})
    ods_sorted = [t for k, t in sorted(ods_tables, key=lambda kt: kt[0] != "ods_etr")]
    trusts = ods_reader.trusts_table(*ods_sorted) if ods_sorted else None
    hint = pd.concat(hints, ignore_index=True)
    first = hint.groupby("provider_code").agg(
        provider_name=("provider_name", "first"),
        region=("region", lambda s: next((v for v in s if isinstance(v, str)
                                          and v in M.REGIONS), pd.NA)))
    codes = panel["provider_code"]
    f = first.reindex(codes)
    names = f["provider_name"].astype(object)
    region = f["region"].astype(object)
    if trusts is not None and len(trusts):
        t = trusts.set_index("trust_code")
        names = codes.map(t["name"]).astype(object).where(codes.map(t["name"]).notna(),
                                                          names.to_numpy())
        tr = codes.map(t["region"])
        region = tr.astype(object).where(tr.notna(), region.to_numpy())
    panel["provider_name"] = pd.Series(names.to_numpy(), index=panel.index).where(
        pd.notna(names.to_numpy()), codes).astype(str)
    ev = pd.concat([e for e in evidence if len(e)], ignore_index=True) if any(
        len(e) for e in evidence) else pd.DataFrame(columns=registers.EVIDENCE_COLUMNS)
    decided = registers.decide(codes.unique(), ev, gp_sector=gp_sector)
    panel["sector"] = codes.map(decided["sector"]).to_numpy()
    panel["ownership"] = panel["sector"].where(panel["sector"] == "nhs")
    panel["setting"] = codes.map(decided["setting"]).to_numpy()
    panel["region"] = pd.Series(region.to_numpy(), index=panel.index).where(
        pd.notna(region.to_numpy()), None)
    ident = list(M.IDENTITY_COLUMNS)
    measures = [c for c in M.MEASURES if c in panel.columns]
    extras = [c for c in panel.columns if c not in ident and c not in measures]
    panel = panel[ident + measures + extras].sort_values(["provider_code", "period"])
    panel = validate_panel(panel.reset_index(drop=True), source=f"build from {folder}")
    for c in EXTRA_COLUMNS:
        if c in panel.columns:
            panel[c] = pd.Categorical(panel[c].astype(object), categories=list(M.CQC_LEVELS),
                                      ordered=True)
    side_tables = {name: pd.concat(parts, ignore_index=True) for name, parts in side.items()
                   if parts}
    if "staff_survey_years" in side_tables:
        ss = side_tables["staff_survey_years"]
        dup = ss.duplicated(["provider_code", "year"], keep=False)
        if dup.any():
            ex = ss.loc[dup, ["provider_code", "year"]].iloc[0].tolist()
            raise SourceFormatError(folder, f"two staff survey files give organisation {ex[0]!r} "
                                    f"for {ex[1]}", column="ODS code",
                                    expected="each organisation and year in one file")
    side_paths = {name: side_table_path(out, name) for name in side_tables}

    coverage = coverage_table(panel)
    names_by_code = panel.drop_duplicates("provider_code").set_index("provider_code")[
        "provider_name"]
    unsettled = decided[(decided["sector"] == "unknown") | (decided["setting"] == "unknown")]
    provenance = {
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "from": str(folder),
        "panel": str(out),
        "allow_incomplete": bool(allow_incomplete),
        "precedence": precedence,
        "rows": len(panel),
        "providers": int(panel["provider_code"].nunique()),
        "periods": sorted({f"{p:%Y-%m}" for p in panel["period"]}),
        "providers_by_sector": {k: int(v) for k, v in panel.drop_duplicates("provider_code")[
            "sector"].value_counts().items()},
        "providers_by_setting": {k: int(v) for k, v in panel.drop_duplicates("provider_code")[
            "setting"].value_counts().items()},
        "precedence_applied": resolved,
        "sector_unknown": decided.index[decided["sector"] == "unknown"].tolist(),
        "setting_unknown": decided.index[decided["setting"] == "unknown"].tolist(),
        "register_conflicts": decided["conflict"].dropna().to_dict(),
        "side_tables": {name: {"path": str(side_paths[name]), "rows": len(t),
                               "row": SIDE_TABLES[name]} for name, t in side_tables.items()},
        "rules": {
            "sector": "workbench.data.registers.decide: ODS trust lists, staff survey "
                      "benchmarking groups, RTT workbook sheets, CQC registers; unknown where "
                      f"none settles it; GP practices {gp_sector}",
            "ownership": "nhs for the NHS sector; otherwise not published by ODS code",
            "setting": "workbench.data.registers.decide (staff survey, CQC record, RTT "
                       "workbook sheet), else unknown",
            "ods_lists": [k for k, _ in ods_tables],
        },
        "inputs": inputs,
        "warnings": caught_all,
    }
    file_names = [out.name, cov_path.name, prov_path.name] + [p.name for p in side_paths.values()]
    with atomic_file_set(out.parent, file_names, tag=out.name[: -len(".parquet")]) as tmp:
        panel.to_parquet(tmp / out.name, index=False)
        coverage.to_csv(tmp / cov_path.name, index=False)
        for name, tab in side_tables.items():
            tab.to_parquet(tmp / side_paths[name].name, index=False)
        provenance["panel_sha256"] = sha256_file(tmp / out.name)
        (tmp / prov_path.name).write_text(json.dumps(provenance, indent=2, default=str),
                                          encoding="utf-8")
    return BuildResult(panel=panel, coverage=coverage, provenance=provenance, panel_path=out,
                       coverage_path=cov_path, provenance_path=prov_path, inputs=inputs,
                       warnings=caught_all, tables=side_tables, table_paths=side_paths,
                       registers=decided,
                       unsettled=registers.unsettled_text(unsettled, names_by_code))


def _jsonable(obj):
    """Provenance dicts as plain JSON values (timestamps and numpy numbers as text/floats)."""
    return json.loads(json.dumps(obj, default=str))
