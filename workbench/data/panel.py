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
* ``sector``: :func:`workbench.data.sources.ods.sector_of` (NHS trust list, then code
  shapes; GP practices ``nhs``). ``ownership``: ``nhs`` for the NHS sector, otherwise missing
  (no source here publishes for-profit / not-for-profit status by ODS code).
* ``setting`` (:func:`settings`): a CQC record's setting when it has one; GP-practice codes
  ``gp``; commissioners ``other``; trust names with ``AMBULANCE`` -> ``other``, ``MENTAL
  HEALTH`` / ``PARTNERSHIP`` / ``PSYCHIATRIC`` -> ``mental_health``, ``COMMUNITY`` (without
  ``HOSPITAL``) -> ``community``; a provider with type 1 A&E attendances or RTT pathways ->
  ``acute``; else ``other``. Name rules are a heuristic: ODS does not publish trust type.
* ``region``: ODS national grouping of the trust (2020 NHS England regions), else the region a
  source gives (A&E parent organisation, CQC record).

Joining: measures of different publications for the same provider-month sit side by side.
When two files give the same measure for the same provider-month (the A&E CSV and workbook of
the same month), the first file read wins, and the number of cells whose values differ is
recorded in the provenance. A file that breaks its reader's expectations stops the build with
that reader's :class:`~workbench.errors.SourceFormatError`; nothing is written. A file that is
incomplete (totals missing or disagreeing, rows cut short) stops it with
:class:`~workbench.errors.SourceIncompleteError` unless ``allow_incomplete=True``, when the
reader warns (:class:`~workbench.errors.IncompleteSourceWarning`) and the build goes on.

Warnings: every warning a reader gives is caught around its call and kept twice: as text in
the input's provenance record and in :attr:`BuildResult.warnings` (file, provider, column
where known, message), which :meth:`BuildResult.warnings_text` prints grouped by file.

Outputs (written only after the panel validates)
------------------------------------------------
``out`` is a folder (the panel ``panel.parquet``, coverage ``panel.coverage.csv`` and
provenance ``panel.provenance.json`` inside it) or a panel file ending in ``.parquet``
(``<stem>.coverage.csv`` and ``<stem>.provenance.json`` beside it). The coverage table has
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
import inspect
import json
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from workbench.data import measures as M
from workbench.data.schema import validate_panel
from workbench.data.sources import ods as ods_reader
from workbench.errors import OutputWriteError, SourceFormatError
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


def _call_reader(reader: Callable, path: Path, allow_incomplete: bool) -> pd.DataFrame:
    """``reader(path, allow_incomplete=...)``; a reader that does not take the option yet
    is called without it (it then has no completeness check to relax)."""
    try:
        params = inspect.signature(reader).parameters
    except (TypeError, ValueError):
        params = {}
    takes = "allow_incomplete" in params or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    if takes:
        return reader(path, allow_incomplete=allow_incomplete)
    return reader(path)


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
    h["setting"] = df.get("setting", pd.NA)
    h["region"] = df.get("region", pd.NA)
    if kind == "rtt":
        h["acute_signal"] = df.get("rtt_waiting_list", 0) > 0
    elif kind.startswith("ae"):
        col = "ae_attendances_type1" if "ae_attendances_type1" in df else None
        h["acute_signal"] = (df[col] > 0) if col else False
    else:
        h["acute_signal"] = False
    hints = h.drop_duplicates("provider_code")
    return rows, hints


def _combine(tables: list[tuple[str, pd.DataFrame]]) -> tuple[pd.DataFrame, dict[str, int]]:
    """Outer-join measure tables on provider x month; the first value of a cell wins."""
    key = ["provider_code", "period"]
    panel: pd.DataFrame | None = None
    conflicts: dict[str, int] = {}
    for name, t in tables:
        t = t.set_index(key)
        if panel is None:
            panel = t
            continue
        common = [c for c in t.columns if c in panel.columns]
        new = [c for c in t.columns if c not in panel.columns]
        idx = panel.index.union(t.index)
        panel = panel.reindex(idx)
        tt = t.reindex(idx)
        n = 0
        for c in common:
            a, b = panel[c], tt[c]
            both = a.notna() & b.notna()
            if isinstance(a.dtype, pd.CategoricalDtype) or isinstance(b.dtype,
                                                                      pd.CategoricalDtype):
                differ = both & (a.astype(object) != b.astype(object))
                panel[c] = a.astype(object).where(a.notna(), b.astype(object))
            else:
                differ = both & ((a - b).abs() > 1e-9)
                panel[c] = a.where(a.notna(), b)
            n += int(differ.sum())
        for c in new:
            panel[c] = tt[c]
        if n:
            conflicts[name] = n
    assert panel is not None
    return panel.reset_index(), conflicts


_NAME_RULES = [
    (r"\bAMBULANCE\b", "other"),
    (r"MENTAL HEALTH|PARTNERSHIP|PSYCHIATRIC|TAVISTOCK", "mental_health"),
    (r"\bCCG\b|CLINICAL COMMISSIONING", "other"),
]


def settings(codes: pd.Series, names: pd.Series, cqc_setting: pd.Series,
             acute_signal: pd.Series) -> pd.Series:
    """The panel ``setting`` of each provider (rule in the module docstring).

    >>> import pandas as pd
    >>> settings(pd.Series(["RX9", "C82038", "RJ1", "VM44K"]),
    ...          pd.Series(["EAST MIDLANDS AMBULANCE SERVICE NHS TRUST", "PRACTICE",
    ...                     "GUY'S AND ST THOMAS'", "HOME"]),
    ...          pd.Series([None, None, None, "care_home"]),
    ...          pd.Series([False, False, True, False])).tolist()
    ['other', 'gp', 'acute', 'care_home']
    """
    out = []
    for code, name, cqc_set, acute in zip(codes, names, cqc_setting, acute_signal):
        name = "" if name is None or name is pd.NA or (isinstance(name, float)) else str(name)
        upper = name.upper()
        if isinstance(cqc_set, str) and cqc_set in M.SETTINGS and cqc_set != "other":
            out.append(cqc_set)
        elif ods_reader.GP_PRACTICE.match(code):
            out.append("gp")
        elif ods_reader.COMMISSIONER.match(code):
            out.append("other")
        else:
            rule = next((s for rx, s in _NAME_RULES if re.search(rx, upper)), None)
            if rule:
                out.append(rule)
            elif "COMMUNITY" in upper and "HOSPITAL" not in upper:
                out.append("community")
            elif bool(acute):
                out.append("acute")
            else:
                out.append("other")
    return pd.Series(out, index=codes.index, dtype=object)


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


def build(from_folder: str | Path, out: str | Path = DEFAULT_OUT, *,
          gp_sector: str = "nhs", allow_incomplete: bool = False) -> BuildResult:
    """Read every recognised file under ``from_folder``, join and validate, write the panel.

    ``out`` is a folder or a panel file ending in ``.parquet`` (:func:`output_paths`).
    Returns a :class:`BuildResult` (panel, coverage table, provenance, paths, warnings).
    Nothing is written unless every recognised file reads and the joined panel validates;
    the three outputs then replace the old ones together (module docstring). An
    incomplete file raises :class:`~workbench.errors.SourceIncompleteError` unless
    ``allow_incomplete`` is true, when it is read with a warning.

    >>> build("no/such/folder")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    workbench.errors.SourceFormatError: no/such/folder: is not a folder. Expected: a folder of official files.
    """
    folder = Path(from_folder)
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

    ods_tables, tables, hints = [], [], []
    caught_all: list[dict] = []
    for rec, path in found:
        reader = _reader(rec)
        if reader is None:
            inputs.append({"path": str(path), "kind": rec.kind, "status": "skipped",
                           "reason": f"reader {rec.module}.{rec.function} is not available"})
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            df = _call_reader(reader, path, allow_incomplete)
        caught_all.extend(_warning_record(path, w) for w in caught)
        record = {"path": str(path), "kind": rec.kind, "status": "read",
                  "reader": f"{rec.module}.{rec.function}",
                  "provenance": _jsonable(df.attrs.get("provenance", {})),
                  "warnings": [str(w.message) for w in caught]}
        if rec.kind.startswith("ods"):
            ods_tables.append((rec.kind, df))
            record["rows"] = len(df)
        else:
            rows, h = _panel_rows(rec.kind, df, path)
            record["rows"] = len(rows)
            tables.append((path.name, rows))
            hints.append(h)
        inputs.append(record)
    if not tables:
        raise SourceFormatError(folder, "no source file with provider measures was found",
                                expected="official files such as Monthly-AE-*.csv, the RTT "
                                         "full extract, the HCHS workforce workbook")

    panel, conflicts = _combine(tables)
    by_name = {Path(r["path"]).name: r["path"] for r in inputs if r.get("status") == "read"}
    for name, n in conflicts.items():
        caught_all.append({"file": by_name.get(name, name), "kind": "ConflictingCells",
                           "provider": None, "column": None,
                           "message": f"{n} cell(s) differ from a file read earlier for the "
                                      "same provider-month; the earlier value is kept"})
    ods_sorted = [t for k, t in sorted(ods_tables, key=lambda kt: kt[0] != "ods_etr")]
    trusts = ods_reader.trusts_table(*ods_sorted) if ods_sorted else None
    hint = pd.concat(hints, ignore_index=True)
    first = hint.groupby("provider_code").agg(
        provider_name=("provider_name", "first"), setting=("setting", "first"),
        region=("region", lambda s: next((v for v in s if isinstance(v, str)
                                          and v in M.REGIONS), pd.NA)),
        acute_signal=("acute_signal", "any"))
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
    panel["sector"] = ods_reader.sector_of(codes, trusts, gp_sector=gp_sector).to_numpy()
    panel["ownership"] = panel["sector"].where(panel["sector"] == "nhs")
    panel["setting"] = settings(codes, panel["provider_name"],
                                pd.Series(f["setting"].to_numpy(), index=panel.index),
                                pd.Series(f["acute_signal"].fillna(False).to_numpy(),
                                          index=panel.index)).to_numpy()
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

    coverage = coverage_table(panel)
    provenance = {
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "from": str(folder),
        "panel": str(out),
        "allow_incomplete": bool(allow_incomplete),
        "rows": len(panel),
        "providers": int(panel["provider_code"].nunique()),
        "periods": sorted({f"{p:%Y-%m}" for p in panel["period"]}),
        "providers_by_sector": {k: int(v) for k, v in panel.drop_duplicates("provider_code")[
            "sector"].value_counts().items()},
        "conflicting_cells_first_file_wins": conflicts,
        "rules": {
            "sector": "workbench.data.sources.ods.sector_of (NHS trust list, code shapes; "
                      f"GP practices {gp_sector})",
            "ownership": "nhs for the NHS sector; otherwise not published by ODS code",
            "setting": "workbench.data.panel.settings",
            "ods_lists": [k for k, _ in ods_tables],
        },
        "inputs": inputs,
        "warnings": caught_all,
    }
    names = [out.name, cov_path.name, prov_path.name]
    with atomic_file_set(out.parent, names, tag=out.name[: -len(".parquet")]) as tmp:
        panel.to_parquet(tmp / out.name, index=False)
        coverage.to_csv(tmp / cov_path.name, index=False)
        provenance["panel_sha256"] = sha256_file(tmp / out.name)
        (tmp / prov_path.name).write_text(json.dumps(provenance, indent=2, default=str),
                                          encoding="utf-8")
    return BuildResult(panel=panel, coverage=coverage, provenance=provenance, panel_path=out,
                       coverage_path=cov_path, provenance_path=prov_path, inputs=inputs,
                       warnings=caught_all)


def _jsonable(obj):
    """Provenance dicts as plain JSON values (timestamps and numpy numbers as text/floats)."""
    return json.loads(json.dumps(obj, default=str))
