"""Which publication each file of a folder is, and the reader that reads it.

:func:`discover` walks a folder tree and recognises each publication by its file name
(:data:`RECOGNISERS`; CQC API dumps and staff-survey tables by their header). Files it knows
but does not use (:data:`KNOWN_UNUSED`: national totals, derived copies, local-authority
tables) are listed with the reason; unknown files are listed as not recognised.
:func:`workbench.data.panel.build` reads what it finds; the publications of
:data:`NOT_JOINED` are read and checked but not joined into the panel.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from workbench.errors import SourceFormatError


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
    Recogniser("complaints_ko41a", r"(ko41a.*\.zip|KO41a - Org Level.*\.csv)$",
               "workbench.data.sources.complaints_ko41a"),
    Recogniser("complaints_ko41a_sites", r"KO41a - Site Level.*\.csv$",
               "workbench.data.sources.complaints_ko41a", "read_sites"),
    Recogniser("sickness_absence", r"\.csv$", "workbench.data.sources.sickness_absence",
               header=("ORG_CODE", "FTE_DAYS_LOST", "FTE_DAYS_AVAILABLE")),
    Recogniser("inpatient_survey", r"inpatient.?survey.*\.(ods|xlsx)$",
               "workbench.data.sources.inpatient_survey"),
    Recogniser("kh03", r"kh03.*(available|occupied).*\.csv$", "workbench.data.sources.kh03",
               header=("Organisation_Code", "Sector", "Number_Of_Beds")),
    Recogniser("fft_summary", r"^(ftt|fft)-summary-.*\.xlsx$",
               "workbench.data.sources.fft_summary"),
    Recogniser("fft_rolling", r"^monthly[_ ]rolling[_ ]totals\.xlsx$",
               "workbench.data.sources.fft_rolling"),
    Recogniser("oversight_framework", r"\.csv$", "workbench.data.sources.oversight_framework",
               header=("Trust_code", "Metric_ID")),
    Recogniser("oversight_framework", r"\.csv$", "workbench.data.sources.oversight_framework",
               header=("Trust_code", "Average_score")),
)

#: Publications read (their readers run, checks and warnings recorded) but not joined into
#: the panel: kind -> what the reader returns (annual, quarterly or national tables, or
#: monthly ones not yet catalogued beside the panel).
NOT_JOINED: dict[str, str] = {
    "complaints_ko41a": "read, not joined: one organisation x financial year (written "
                        "complaints, KO41a)",
    "complaints_ko41a_sites": "read, not joined: one organisation x site x financial year",
    "sickness_absence": "read, not joined: one organisation x month (FTE days lost and "
                        "available)",
    "inpatient_survey": "read, not joined: one trust x survey item (score, expected range, "
                        "band)",
    "kh03": "read, not joined: one organisation x bed sector x quarter (annual before 2010)",
    "fft_summary": "read, not joined: national, one setting x month",
    "fft_rolling": "read, not joined: national, one setting x submitters (NHS, independent) "
                   "x month",
    "oversight_framework": "read, not joined: one trust x metric x quarter, or the league "
                           "table",
}

#: Files known but not read into the panel, and why.
KNOWN_UNUSED: tuple[tuple[str, str], ...] = (
    (r"^DERIVED_", "a derived copy, not a published file (the originals are read instead)"),
    (r"\.rda$", "R data file; its CSV conversion is read instead"),
    (r"^EU_and_UK_nationals", "EU and UK nationals headcount only (no FTE totals)"),
    (r"^HCHS_staff_with_an_EU", "EU and UK nationality counts only (no totals)"),
    (r"^england_.*\.csv\.gz$", "a third-party tidied trust panel, not a publisher's layout"),
    (r"^(social_care_satisfaction|care_homes_rating)\.csv$",
     "local-authority level (GSS codes), no provider code"),
    (r"^cqc_gp_practice_overall\.csv$", ("derived from the CQC ratings file (overall only, "
                                         "latest year per practice, not a monthly record)")),
    (r"^(MANIFEST|README).*\.md$", "documentation"),
    (r"\.fetch\.json$", "download record"),
    (r"^SOURCE_download_manifest\.csv$", "download record (names, sizes, sha256, URLs)"),
    (r"KO41b", ("written complaints in primary care (KO41b): GP and dental practices; no "
                "provider measures (its GP and ICB returns are a register read with KO41a)")),
    (r"Written Complaints.*Meta data\.xlsx$", "the complaints publication's metadata"),
)


def _sniff_header(path: Path) -> list[str]:
    with open(path, "rb") as fh:
        first = fh.readline(1 << 16)
    text = first.decode("utf-8-sig", errors="replace")
    return [c.strip().strip('"') for c in text.rstrip("\r\n").split(",")]


def walk_files(folder: str | Path) -> list[Path]:
    r"""Every file under ``folder``, sorted, following symlinked folders and files as the
    folder itself would be read; hidden names (``.git``, ``.cache``) are left out.

    A symlinked folder is entered once however many links lead to it, and a link back to a
    folder already being walked (a loop) is not followed. A link whose target is missing
    is listed (the build then says it cannot be read).

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); (d / "pub").mkdir()
    >>> _ = (d / "pub" / "a.csv").write_text("x")
    >>> links = pathlib.Path(tempfile.mkdtemp()); (links / "pub").symlink_to(d / "pub")
    >>> (d / "pub" / "loop").symlink_to(links)
    >>> [p.relative_to(links).as_posix() for p in walk_files(links)]
    ['pub/a.csv']
    """
    root = Path(folder)
    found: list[Path] = []
    seen: set[tuple[int, int]] = set()

    def visit(directory: Path, logical: Path) -> None:
        try:
            st = os.stat(directory)
        except OSError:
            return
        if (st.st_dev, st.st_ino) in seen:  # a loop, or a folder linked twice
            return
        seen.add((st.st_dev, st.st_ino))
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = logical / entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=True)
            except OSError:
                is_dir = False
            if is_dir:
                visit(Path(entry.path), path)
            elif entry.is_file(follow_symlinks=True) or entry.is_symlink():
                found.append(path)

    visit(root, root)
    return sorted(found)


def unread_text(records: list[dict], folder: str | Path | None = None) -> str:
    r"""Every file a build did not read (``status`` other than ``read``) and why, grouped
    by publication (the first folder under ``folder``, where each publication's files
    sit), as lines for the terminal ('' when every file was read).

    >>> print(unread_text([
    ...     {"path": "/d/rtt/a.csv", "status": "read"},
    ...     {"path": "/d/rtt/README.md", "status": "not used", "reason": "documentation"},
    ...     {"path": "/d/cqc/x.txt", "status": "not recognised", "reason": "no reader"}], "/d"))
    Files not read (2), by publication:
      cqc (1)
        - x.txt: not recognised: no reader
      rtt (1)
        - README.md: not used: documentation
    """
    unread = [r for r in records if r.get("status") != "read"]
    if not unread:
        return ""
    groups: dict[str, list[tuple[str, dict]]] = {}
    for rec in unread:
        path = Path(rec["path"])
        try:
            parts = path.relative_to(folder).parts if folder is not None else path.parts[-2:]
        except ValueError:
            parts = path.parts[-2:]
        group = parts[0] if len(parts) > 1 else "(top folder)"
        groups.setdefault(group, []).append(("/".join(parts[1:]) or path.name, rec))
    lines = [f"Files not read ({len(unread)}), by publication:"]
    for group in sorted(groups):
        lines.append(f"  {group} ({len(groups[group])})")
        for name, rec in sorted(groups[group], key=lambda nr: nr[0]):
            reason = rec.get("reason") or ""
            lines.append(f"    - {name}: {rec['status']}" + (f": {reason}" if reason else ""))
    return "\n".join(lines)


def discover(folder: str | Path) -> tuple[list[tuple[Recogniser, Path]], list[dict]]:
    r"""The recognised files under ``folder`` (symlinked folders followed:
    :func:`walk_files`) and a record of every other file.

    Returns ``(found, others)``: ``found`` pairs each recognised file with its
    :class:`Recogniser`; ``others`` holds ``{"path", "status", "reason"}`` for files known but
    unused and files not recognised.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); _ = (d / "etr.csv").write_text('"RJ1","X"\n')
    >>> [r.kind for r, _ in discover(d)[0]]
    ['ods_etr']
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise SourceFormatError(folder, "is not a folder", expected="a folder of official files")
    found, others = [], []
    for path in walk_files(folder):
        if not path.is_file():
            others.append({"path": str(path), "status": "not readable",
                           "reason": "a symbolic link whose target is missing"})
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


def reader_for(rec: Recogniser) -> Callable | None:
    """The reading function of ``rec`` (None when its module is not there)."""
    try:
        module = importlib.import_module(rec.module)
    except ModuleNotFoundError as exc:
        if exc.name != rec.module:
            raise
        return None
    return getattr(module, rec.function, None)
