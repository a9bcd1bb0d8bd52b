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


def discover(folder: str | Path) -> tuple[list[tuple[Recogniser, Path]], list[dict]]:
    r"""The recognised files under ``folder`` and a record of every other file.

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


def reader_for(rec: Recogniser) -> Callable | None:
    """The reading function of ``rec`` (None when its module is not there)."""
    try:
        module = importlib.import_module(rec.module)
    except ModuleNotFoundError as exc:
        if exc.name != rec.module:
            raise
        return None
    return getattr(module, rec.function, None)
