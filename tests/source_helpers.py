"""Checks and small valid fixtures (in the publishers' layouts) shared by the reader tests.

The fixtures are written from the publishers' layouts (the RTT header is checked against
the real extract's header in tests/test_sources_rtt.py); tests/test_bad_input_corpus.py
derives its damaged files from them.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
from openpyxl import Workbook

from workbench.data.sources import ae, fft
from workbench.errors import SourceFormatError


def assert_names(err: SourceFormatError, path: Path, *, column: str | None = None,
                 sheet: str | None = None) -> None:
    """The error names the file, what was expected, and the column or sheet when given."""
    msg = str(err)
    assert path.name in msg and "Expected" in msg
    if column:
        assert err.column == column and column in msg
    if sheet:
        assert err.sheet == sheet and sheet in msg


# === A&E: the monthly CSV and the provider workbook ===================================

CSV_HEADER = ["Period", "Org Code", "Parent Org", "Org name", *ae.CSV_COLUMNS]
ATTENDANCE_COLS = [c for c in CSV_HEADER if c.startswith("A&E attendances")]
OVER_4H_COLS = [c for c in CSV_HEADER if c.startswith("Attendances over 4hrs")]


# --- fixture helpers: the monthly CSV layout ---------------------------------------------

def csv_row(code: str, values: list[int], *, name: str | None = None,
            period: str = "MSitAE-JUNE-2025", parent: str = "NHS ENGLAND LONDON") -> list[str]:
    return [period, code, parent, name or f"PROVIDER {code}", *map(str, values)]


def small_month(total_label: str = "TOTAL", total_off: int = 0) -> list[list[str]]:
    """Two providers and a totals row (``total_off`` is added to its first count)."""
    # attendances type 1, 2, other, booked type 1, 2, other; the same over 4 hours;
    # DTA 4-12 h, 12 h+; emergency admissions via type 1, 2, other; other emergency
    a = [100, 20, 300, 4, 0, 6, 30, 2, 10, 1, 0, 0, 13, 14, 15, 16, 17, 18]
    b = [10 * v for v in a]
    total = [x + y for x, y in zip(a, b)]
    total[0] += total_off
    return [csv_row("RJ1", a), csv_row("nt204 ", b, parent="NHS ENGLAND SOUTH EAST "),
            [total_label, total_label, "TOTAL", "TOTAL", *map(str, total)]]


def write_csv(path: Path, rows: list[list[str]], *, header: list[str] = CSV_HEADER,
              encoding: str = "utf-8") -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


# --- fixture helpers: the provider workbook ----------------------------------------------

WB_GROUPS = ([None] * 4 + ["A&E attendances", None, None, None,
             "A&E attendances less than 4 hours from arrival to admission, transfer or discharge",
             None, None, None,
             ("A&E attendances greater than 4 hours from arrival to admission, transfer or "
              "discharge"), None, None, None, "Percentage of attendances within 4 hours", None,
             None, None, "Emergency Admissions"] + [None] * 7)
TYPES_WB = ["Type 1 Departments - Major A&E", "Type 2 Departments - Single Specialty",
            "Type 3 Departments - Other A&E/Minor Injury Unit"]
WB_HEADER = [None, "Code", "Region", "Name", *TYPES_WB, "Total attendances", *TYPES_WB,
             "Total Attendances < 4 hours", *TYPES_WB, "Total Attendances > 4 hours",
             "Percentage in 4 hours or less (all)", "Percentage in 4 hours or less (type 1)",
             "Percentage in 4 hours or less (type 2)", "Percentage in 4 hours or less (type 3)",
             "Emergency Admissions via Type 1 A&E", "Emergency Admissions via Type 2 A&E",
             "Emergency Admissions via Type 3 and 4 A&E", "Total Emergency Admissions via A&E",
             "Other Emergency admissions (i.e not via A&E)", "Total Emergency Admissions",
             "Number of patients spending >4 hours from decision to admit to admission",
             "Number of patients spending >12 hours from decision to admit to admission"]


def wb_row(code, region, name, att, over, em, other_em, dta4, dta12):
    under = [a - o for a, o in zip(att, over)]
    pct = [1 - sum(over) / sum(att)] + [(1 - o / a) if a else "-" for a, o in zip(att, over)]
    return [None, code, region, name, *att, sum(att), *under, sum(under), *over, sum(over),
            *pct, *em, sum(em), other_em, sum(em) + other_em, dta4, dta12]


def ae_workbook_sheets(*, title_rows: int = 2, england_off: int = 0,
                       sheet: str = "Provider Level Data", rename: dict | None = None,
                       cell: tuple | None = None) -> dict[str, list[list]]:
    """The rows of each sheet of a small A&E provider workbook (England row, two providers)."""
    a = wb_row("RJ1", "NHS England London ", "Guy's And St Thomas'", [1000, 0, 500],
               [300, 0, 20], [250, 0, 0], 90, 40, 7)
    b = wb_row("NT204", "NHS England South East ", "Some Treatment Centre", [0, 0, 800],
               [0, 0, 8], [0, 0, 3], 0, 0, 0)
    eng = [None, "-", "-", "England"] + [
        (x + y if isinstance(x, int) and isinstance(y, int) else x)
        for x, y in zip(a[4:], b[4:])]
    eng[4] += england_off
    header = [rename.get(h, h) if rename else h for h in WB_HEADER]
    rows = [[None, "Title:", "A&E Attendances & Emergency Admissions"]]
    rows += [[] for _ in range(title_rows)]
    rows += [[None, "Period:", "June 2025"], [None, "Source:", "SDCS data collection - MSitAE"],
             [], [None, "Provider Level Data"], WB_GROUPS, header, eng, [], a, b]
    if cell:
        r, c, v = cell
        rows[len(rows) - 3 + r][c - 1] = v
    return {sheet: rows, "System Level Data": [[None, "Code", "System"]]}


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    """A workbook with one sheet per entry, rows written as given (first sheet active)."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(list(row))
    wb.save(path)
    return path


def write_workbook(path: Path, **kwargs) -> Path:
    """The small A&E provider workbook of :func:`ae_workbook_sheets`, saved at ``path``."""
    return write_xlsx(path, ae_workbook_sheets(**kwargs))


# === RTT: the full CSV extract =========================================================

BANDS = [f"Gt {k:02d} To {k + 1:02d} Weeks SUM 1" for k in range(104)] + ["Gt 104 Weeks SUM 1"]
RTT_HEADER = [
    "Period", "Provider Parent Org Code", "Provider Parent Name", "Provider Org Code",
    "Provider Org Name", "Commissioner Parent Org Code", "Commissioner Parent Name",
    "Commissioner Org Code", "Commissioner Org Name", "RTT Part Type", "RTT Part Description",
    "Treatment Function Code", "Treatment Function Name", *BANDS, "Total",
    "Patients with unknown clock start date", "Total All",
]


# --- fixture helpers: a small extract in the published layout ----------------------------

def extract_row(provider: str, counts: dict[int, int], *, part: str = "Part_2",
                tf: str = "C_999", tf_name: str = "Total", commissioner: str = "06Q",
                period: str = "RTT-April-2026", name: str | None = None) -> list[str]:
    """One row of the extract; ``counts`` maps band index (0 = 0-1 weeks, 104 = 104+)."""
    bands = [str(counts.get(k, 0)) for k in range(len(BANDS))]
    total = sum(counts.values())
    described = {"Part_2": "Incomplete Pathways", "Part_1A": "Completed Pathways For Admitted "
                 "Patients"}.get(part, part)
    tot = "" if part.startswith("Part_2") else str(total)
    return [period, "QXX", "NHS SOMEWHERE ICB", provider, name or f"PROVIDER {provider}",
            "QXX", "NHS SOMEWHERE ICB", commissioner, f"NHS ICB - {commissioner}", part,
            described, tf, tf_name, *bands, tot, "", str(total)]


def write_extract(path: Path, rows: list[list[str]], *, header: list[str] = RTT_HEADER,
                  encoding: str = "utf-8") -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def small_rows() -> list[list[str]]:
    """Two providers, two commissioners, two treatment functions, other parts mixed in.

    In the publisher's order: each provider x commissioner x part group lists its
    treatment functions and closes with its ``C_999`` row.
    """
    return [
        extract_row("RAA", {1: 99}, part="Part_1A", tf="C_110"),
        extract_row("RAA", {1: 99}, part="Part_1A"),
        extract_row("RAA", {0: 10, 5: 10}, tf="C_110", tf_name="Trauma and Orthopaedic Service"),
        extract_row("RAA", {20: 10, 60: 10}, tf="C_130", tf_name="Ophthalmology Service"),
        extract_row("RAA", {0: 10, 20: 10}, commissioner="06Q"),
        extract_row("RAA", {5: 10, 60: 10}, commissioner="07G"),
        extract_row("NT204", {104: 3, 3: 1}, tf="C_110"),
        extract_row("NT204", {104: 3, 3: 1}, name="SOME INDEPENDENT HOSPITAL"),
    ]


# === FFT: the provider workbook ========================================================

LIKERT = fft.LIKERT
IP_TOP = ["ICB Code", "Trust Code", "Trust Name", "Total Responses", "Total Eligible",
          "Percentage Positive", "Percentage Negative", "Breakdown of Responses", None, None,
          None, None, None, "Mode SMS", "Mode Electronic Discharge", "Mode Electronic Home",
          "Mode Paper Discharge", "Mode Paper Home", "Mode Telephone", "Mode Online",
          "Mode Other"]
IP_SUB = [None] * 7 + LIKERT + [None] * 8

# provider rows: code, name, responses, eligible, pct pos, pct neg, six answers
FFT_PROVIDERS = [
    ("QKK", "RJ1", "GUY'S AND ST THOMAS' NHS FOUNDATION TRUST", 1000, 4000, 0.95, 0.02,
     [700, 250, 20, 10, 10, 10]),
    ("QE1", "RXL", "BLACKPOOL TEACHING HOSPITALS NHS FOUNDATION TRUST", 200, 900, 0.9, 0.05,
     [120, 60, 10, 5, 5, 0]),
    ("QE1", "NT2", "NUFFIELD HEALTH", 3, 50, "*", "*", ["*"] * 6),        # suppressed
    ("QE1", "NVC", "RAMSAY HEALTH CARE UK", 40, 60, 0.85, 0.05, ["*"] * 6),  # secondary
    ("", "IS1", "INDEPENDENT SECTOR FFT_PROVIDERS", 43, 110, 0.86, 0.05, [30, 7, 3, 1, 1, 1]),
]


def ip_rows(providers=FFT_PROVIDERS, top=IP_TOP):
    ui = [["Friends and Family Test - Inpatient"], [], ["Show data for:"], [],
          ["Sort data by:"], [], ["Filter by:", "ICB:", "Trust:"], [],
          [None] * 13 + ["Mode of Collection"]]
    rows = ui + [top, IP_SUB,
                 ["England (including Independent Sector Providers)", None, None, 1243],
                 ["England (excluding Independent Sector Providers)", None, None, 1200],
                 ["Selection (excluding suppressed data)", None, None, 1200]]
    for icb, code, name, resp, elig, pos, neg, lik in providers:
        rows.append([icb, code, name, resp, elig, pos, neg, *lik] + [1] * 8)
    rows.append(["-"] * len(top))
    return rows


def write_fft(path: Path, rows=None, sheet="Trusts", extra_sheets=("Notes", "Summary", "ICB"),
              header_at=None) -> Path:
    rows = ip_rows() if rows is None else rows
    width = max(len(r) for r in rows)
    rows = [list(r) + [None] * (width - len(r)) for r in rows]
    with pd.ExcelWriter(path) as w:
        for s in extra_sheets:
            pd.DataFrame([[s]]).to_excel(w, sheet_name=s, index=False, header=False)
        pd.DataFrame(rows).to_excel(w, sheet_name=sheet, index=False, header=False)
    return path


def fft_ae_rows():
    top = IP_TOP[:13] + ["Mode SMS", "Mode Electronic Discharge", "Mode Paper Discharge",
                         "Mode Paper Home", "Mode Telephone", "Mode Online", "Mode Other"]
    rows = [["Show data for:"], ["ICB:"], top, [None] * 7 + LIKERT + [None] * 7,
            ["England", None, None, 500], ["Selection (excluding suppressed data)"],
            ["QKK", "RJ1", "GUY'S", 500, 2000, 0.8, 0.1, 300, 100, 40, 30, 20, 10] + [1] * 7,
            ["-"] * 20]
    return rows


