"""Bad-input corpus: every reader x every kind of damaged file, generated in tmp_path.

Each reader has a small valid fixture in its publisher's layout (written here or by
source_helpers.py, never copied from the real data). Each case derives one damaged file
from it and checks what a user relies on: a clear error of the right class naming the
file and the column, sheet or key -- or, for encodings, thousands separators and
suppression marks, the right values (a mark gives a missing measure, never one summed
as zero) -- and that the reader wrote nothing beside its input.

Cases that do not apply to a reader are not generated: encodings for workbooks and for
a layout with no free text (KH03 beds);
thousands separators and marks where the layout has no count (CQC ratings, ODS lists,
staff-survey proportions); a renamed column for the headerless ODS list; zips for the
readers that do not take them (only RTT does). A cut at a row boundary is detected
where the layout promises a last row (A&E totals row, RTT ``C_999`` row closing each
group, FFT terminating row, FFT summary ``Total`` row) or a total (A&E workbook England
row); for the other layouts
(no totals row) the case checks that the rows that are there read unchanged and nothing
is invented.
"""

from __future__ import annotations

import copy
import csv
import io
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from source_helpers import (
    CSV_HEADER,
    RTT_HEADER,
    ae_workbook_sheets,
    extract_row,
    ip_rows,
    small_month,
    write_xlsx,
)

from workbench.data.sources import (
    ae,
    complaints_ko41a,
    cqc,
    fft,
    fft_rolling,
    fft_summary,
    inpatient_survey,
    kh03,
    ods,
    oversight_framework,
    rtt,
    sickness_absence,
    staff_survey,
    workforce,
)
from workbench.errors import IncompleteSourceWarning, SourceFormatError, SourceIncompleteError

MARKS = ["*", "-", "..", "x", "c", ":", "", "  "]
TEXT = "ST GEORGE’S – HÔPITAL"  # Windows-1252 quote, dash and accents


# --- the readers and their fixtures -------------------------------------------------------

@dataclass
class Reader:
    """A reader, its valid fixture and where in it each damage goes.

    ``rows`` is a CSV's header + rows (``kind="csv"``) or a workbook's sheets
    (``kind="xlsx"``, rows of ``sheet``). Cells are (row index in ``rows``, column index).
    """

    name: str
    filename: str
    kind: str
    rows: Callable[[], object]
    read: Callable[..., pd.DataFrame]
    key: list[str]
    sheet: str | None = None
    text_cell: tuple[int, int] | None = None      # free text for the encoding cases
    text_column: str | None = None                 # where that text appears in the output
    mark_cell: tuple[int, int] | None = None       # a count for the suppression-mark case
    mark_check: Callable[[pd.DataFrame, pd.DataFrame], None] | None = None
    thousands_cell: tuple[int, int] | None = None  # a count of 1,000 or more
    dup_row: int | None = None                     # a data row to repeat
    dup_key: str = ""                              # its key, as the message shows it
    rename: tuple[int, int] | None = None          # a header cell to rename
    renamed: str | None = None                     # the column the error must name
    cut_rows: int = 1                              # rows dropped for the row-boundary cut
    cut_detected: bool = False                     # the layout shows a row-boundary cut
    cut_column: str | None = None                  # ... and the column its error names
    other: str | None = None                       # the reader whose file is put under this name
    extra: dict = field(default_factory=dict)


def rtt_rows():
    """RAA (two commissioners, two treatment functions) and NT204, publisher's order."""
    return [RTT_HEADER,
            extract_row("RAA", {1: 99}, part="Part_1A"),
            extract_row("RAA", {0: 1500, 5: 10}, tf="C_110", tf_name="Trauma and Orthopaedic"),
            extract_row("RAA", {20: 10, 60: 10}, tf="C_130", tf_name="Ophthalmology Service"),
            extract_row("RAA", {0: 1500, 20: 10}, commissioner="06Q"),
            extract_row("RAA", {5: 10, 60: 10}, commissioner="07G"),
            extract_row("NT204", {104: 3, 3: 1}, tf="C_110"),
            extract_row("NT204", {104: 3, 3: 1})]


def check_rtt_mark(marked, clean):
    m, c = marked.set_index("provider_code"), clean.set_index("provider_code")
    for col in ("rtt_waiting_list", "rtt_within_18w", "rtt_pct_within_18w", "rtt_median_weeks"):
        assert np.isnan(m.loc["RAA", col]), col           # band 0-1 weeks is not published
    assert m.loc["RAA", "rtt_over_52w"] == c.loc["RAA", "rtt_over_52w"] == 10  # other bands
    pd.testing.assert_series_equal(m.loc["NT204"], c.loc["NT204"])


def ae_csv_rows():
    return [CSV_HEADER, *small_month()]


def check_ae_mark(marked, clean):
    """One over-4-hours count not published: that trust's 4-hour % is missing, not 100%."""
    m, c = marked.set_index("provider_code"), clean.set_index("provider_code")
    assert np.isnan(m.loc["RJ1", "ae_over_4h_type1"]) and np.isnan(m.loc["RJ1", "ae_over_4h"])
    assert np.isnan(m.loc["RJ1", "ae_pct_within_4h"])
    assert c.loc["RJ1", "ae_pct_within_4h"] == pytest.approx(90.0)
    assert m.loc["RJ1", "ae_attendances"] == c.loc["RJ1", "ae_attendances"] == 430
    pd.testing.assert_series_equal(m.loc["NT204"], c.loc["NT204"])


def check_ae_workbook_mark(marked, clean):
    m = marked.set_index("provider_code")
    assert np.isnan(m.loc["RJ1", "ae_over_4h"]) and np.isnan(m.loc["RJ1", "ae_pct_within_4h"])
    assert m.loc["RJ1", "ae_attendances"] == 1500
    pd.testing.assert_series_equal(m.loc["NT204"], clean.set_index("provider_code").loc["NT204"])


def nhsr_rows():
    return [["period", "org_code", "type", "attendances", "breaches", "admissions"],
            ["2017-03-01", "RF4", "1", "21289.0", "2879.0", "5060.0"],
            ["2017-03-01", "RF4", "2", "813.0", "22.0", "0.0"],
            ["2017-03-01", "NLO12", "other", "1000.0", "0.0", "0.0"],
            ["2017-04-01", "RF4", "1", "20000.0", "2000.0", "5000.0"]]


def check_nhsr_mark(marked, clean):
    m = marked.set_index(["provider_code", "period"])
    c = clean.set_index(["provider_code", "period"])
    mar = ("RF4", pd.Timestamp("2017-03-01"))
    assert np.isnan(m.loc[mar, "ae_over_4h"]) and np.isnan(m.loc[mar, "ae_pct_within_4h"])
    assert m.loc[mar, "ae_attendances"] == 21289 + 813
    pd.testing.assert_frame_equal(m.drop(index=[mar]), c.drop(index=[mar]))


WF_HEADER = ["Month", "Organisation code", "Organisation name", "Staff group", "Nationality",
             "FTE"]


def workforce_sheets():
    rows = [WF_HEADER,
            ["2017-SEP", "RJ1", TEXT, "Nurses & health visitors", "British", 1234.5],
            ["2017-SEP", "RJ1", TEXT, "Nurses & health visitors", "Irish", 2.5],
            ["2017-SEP", "RJ1", TEXT, "Managers", "British", 4.0],
            ["2017-SEP", "RXL", "BLACKPOOL", "Nurses & health visitors", "British", 50.0],
            ["2017-SEP", "RXL", "BLACKPOOL", "Managers", "British", 5.0]]
    return {"Notes": [["HCHS staff by staff group"]], "Data": rows}


def check_workforce_mark(marked, clean):
    m, c = marked.set_index("provider_code"), clean.set_index("provider_code")
    assert np.isnan(m.loc["RJ1", "nurse_fte"]) and np.isnan(m.loc["RJ1", "staff_fte"])
    assert c.loc["RJ1", "nurse_fte"] == 1237.0
    pd.testing.assert_series_equal(m.loc["RXL"], c.loc["RXL"])


def survey_rows():
    return [["Code", "Year.index", "Engagement", "RecommendCare", "WorkStress", "Name"],
            ["", "2015", "NA", "NA", "NA", ""],
            ["RJ1", "2017", "0.71", "0.8", "0.35", TEXT],
            ["RJ1", "2018", "0.72", "0.77", "0.36", TEXT],
            ["RXL", "2017", "0.65", "0.7", "0.4", "BLACKPOOL"]]


def check_survey_mark(marked, clean):
    m = marked.set_index(["provider_code", "year"])
    c = clean.set_index(["provider_code", "year"])
    assert np.isnan(m.loc[("RJ1", 2017), "staff_engagement"])
    assert m.loc[("RJ1", 2017), "staff_recommend_care_pct"] == pytest.approx(80.0)
    pd.testing.assert_frame_equal(m.drop(index=[("RJ1", 2017)]), c.drop(index=[("RJ1", 2017)]))


def benchmark_sheets():
    return {"Themes": [["NHS Staff Survey 2023"], ["Organisation code", "Staff Engagement"],
                       ["RJ1", 7.1], ["RXL", 6.8], ["R0A", 6.9]]}


def check_benchmark_mark(marked, clean):
    m = marked.set_index("provider_code")
    assert np.isnan(m.loc["RJ1", "staff_engagement"]) and m.loc["RXL", "staff_engagement"] == 6.8


API_HEADER = ["locationId", "providerId", "type", "name", "odsCode", "careHome",
              "registrationStatus", "currentRatings"]


def api_rating(r):
    return str({"overall": {"rating": r, "reportDate": "2019-01-02",
                            "keyQuestionRatings": [{"name": "Caring", "rating": "Outstanding"}]}})


def api_rows():
    return [API_HEADER,
            ["1-101", "1-9", "Social Care Org", TEXT, "VM44K", "Y", "Registered",
             api_rating("Good")],
            ["1-102", "1-9", "Social Care Org", "ROSE HOUSE", "VM45K", "Y", "Registered",
             api_rating("Requires improvement")],
            ["1-103", "RH8", "NHS Healthcare Organisation", "ROYAL DEVON", "RH801", "N",
             "Registered", api_rating("Outstanding")]]


def check_api_mark(marked, clean):
    m, c = marked.set_index("location_id"), clean.set_index("location_id")
    assert pd.isna(m.loc["1-101", "cqc_overall"]) and c.loc["1-101", "cqc_overall"] == "Good"
    assert m.loc["1-101", "cqc_caring"] == "Outstanding"
    pd.testing.assert_frame_equal(m.drop(index=["1-101"]), c.drop(index=["1-101"]))


RATINGS_HEADER = ["Location ID", "Location Name", "Location Type", "Care Home?",
                  "Service / Population Group", "Domain", "Latest Rating", "Publication Date"]


def ratings_rows():
    return [["Latest ratings", "", "", "", "", "", "", ""], RATINGS_HEADER,
            ["1-1", TEXT, "Social Care Org", "Y", "Overall", "Overall", "Good", "01/02/2024"],
            ["1-1", TEXT, "Social Care Org", "Y", "Overall", "Caring", "Outstanding",
             "01/02/2024"],
            ["1-2", "ROSE HOUSE", "Social Care Org", "Y", "Overall", "Overall", "Inadequate",
             "03/04/2023"]]


def check_ratings_mark(marked, clean):
    m, c = marked.set_index("location_id"), clean.set_index("location_id")
    assert pd.isna(m.loc["1-1", "cqc_overall"]) and m.loc["1-1", "cqc_caring"] == "Outstanding"
    pd.testing.assert_series_equal(m.loc["1-2"], c.loc["1-2"])


def fft_sheets():
    return {"Notes": [["Notes"]], "Trusts": ip_rows()}


def check_fft_mark(marked, clean):
    m, c = marked.set_index("provider_code"), clean.set_index("provider_code")
    assert np.isnan(m.loc["RJ1", "fft_positive"]) and c.loc["RJ1", "fft_positive"] == 950
    assert m.loc["RJ1", "fft_responses"] == 1000
    pd.testing.assert_series_equal(m.loc["RXL"], c.loc["RXL"])


def ods_rows():
    def row(code, name, grouping, opened):
        return [code, name, grouping, "QKK", "", "", "", "", "", "SE1 9RT", opened, "", ""]
    return [row("RJ1", TEXT, "Y56", "19930401"), row("RXL", "BLACKPOOL", "Y62", "20020101"),
            row("RJ101", "ST THOMAS' HOSPITAL", "Y56", "19930401")]


KO41A_HEAD = list(complaints_ko41a.IDS) + list(complaints_ko41a.COUNTS.values())


def ko41a_rows():
    def org(code, name, new, bf, up, part, not_up, waiting):
        resolved = up + part + not_up
        return [code, name, "Acute", "Y56", "London", "QKK", "South East London", "2024-25",
                bf, new, resolved, up, part, not_up, bf + new - resolved, waiting, 0, 9, 8,
                new + 5]
    return [KO41A_HEAD, org("RJ1", TEXT, 1556, 1569, 292, 879, 506, 88),
            org("RXL", "BLACKPOOL", 300, 20, 100, 100, 90, 12),
            org("NQV", "BROMLEY HEALTHCARE", 55, 4, 10, 13, 22, 1)]


def check_ko41a_mark(marked, clean):
    m, c = marked.set_index("provider_code"), clean.set_index("provider_code")
    assert np.isnan(m.loc["RJ1", "complaints_waiting_times"])
    assert c.loc["RJ1", "complaints_waiting_times"] == 88
    assert m.loc["RJ1", "complaints_new"] == 1556
    pd.testing.assert_frame_equal(m.drop(index=["RJ1"]), c.drop(index=["RJ1"]))


SICKNESS_HEAD = ["DATE", "NHSE_REGION_CODE", "NHSE_REGION_NAME", "ICS_CODE", "ICS_NAME",
                 "ORG_CODE", "ORG_NAME", "ORG_TYPE", "FTE_DAYS_LOST", "FTE_DAYS_AVAILABLE",
                 "SICKNESS_ABSENCE_RATE_PERCENT"]


def sickness_rows():
    def org(code, name, lost, available, rate):
        return ["30/04/2024", "Y56", "London", "QKK", "South East London", code, name, "Acute",
                lost, available, rate]
    return [SICKNESS_HEAD, org("RJ1", TEXT, "5000.5", "100000", "5.0"),
            org("RXL", "BLACKPOOL", "300", "10000", "3.0"),
            org("TAD", "BRADFORD DISTRICT CARE", "6299.71309", "90370.96012", "6.97")]


def check_sickness_mark(marked, clean):
    m, c = marked.set_index("provider_code"), clean.set_index("provider_code")
    assert np.isnan(m.loc["RJ1", "fte_days_lost"]) and c.loc["RJ1", "fte_days_lost"] == 5000.5
    assert m.loc["RJ1", "sickness_absence_pct"] == 5.0            # the published rate stays
    pd.testing.assert_frame_equal(m.drop(index=["RJ1"]), c.drop(index=["RJ1"]))


def kh03_rows():
    return [["Organisation_Code", "Sector", "Number_Of_Beds", "Effective_Snapshot_Date"],
            ["RJ1", "General & Acute", "1000.5", "30/06/2024"],
            ["RXL", "General & Acute", "500", "30/06/2024"],
            ["RJ1", "Maternity", "40", "30/06/2024"]]


def check_kh03_mark(marked, clean):
    key = ["provider_code", "sector"]
    m, c = marked.set_index(key), clean.set_index(key)
    assert np.isnan(m.loc[("RJ1", "General & Acute"), "beds_available"])
    assert c.loc[("RJ1", "General & Acute"), "beds_available"] == 1000.5
    pd.testing.assert_frame_equal(m.drop(index=[("RJ1", "General & Acute")]),
                                  c.drop(index=[("RJ1", "General & Acute")]))


NOF_HEAD = [*oversight_framework.IDS, *oversight_framework.METRIC_TEXT,
            *oversight_framework.METRIC_NUMBERS]


def nof_rows():
    def row(code, name, mid, value):
        return ["Q1 2025/26", "London", "Mental health and community trust", "Community", code,
                name, "Finance and productivity", "Finance", mid, "A metric", "Jun-25", "%",
                value, "5.1", "4.5", "5.6", "3.0"]
    return [NOF_HEAD, row("RYX", TEXT, "OF0082", "2500.5"), row("RYX", TEXT, "OF0084", "6.9"),
            row("RX2", "SUSSEX PARTNERSHIP", "OF0082", "5.3")]


def check_nof_mark(marked, clean):
    key = ["provider_code", "metric_id"]
    m, c = marked.set_index(key), clean.set_index(key)
    assert np.isnan(m.loc[("RYX", "OF0082"), "value"]) and c.loc[("RYX", "OF0082"), "value"] > 0
    pd.testing.assert_frame_equal(m.drop(index=[("RYX", "OF0082")]),
                                  c.drop(index=[("RYX", "OF0082")]))


def fft_summary_sheets():
    import datetime as dt
    apr, mar = dt.datetime(2026, 4, 1), dt.datetime(2026, 3, 1)
    return {"Notes": [[None, "Friends and Family Test - April 2026"]], "Headline figures": [
        [None, "Friends and Family Test - April 2026"], [],
        [None, "FFT", "Number of organisations submitting", "Total responses to date",
         "Responses", None, "Percentage Positive", None, "Percentage Negative", None],
        [None, None, apr, apr, apr, mar, apr, mar, apr, mar],
        [None, "A&E", 125, 18676279, 123206, 119187, 0.802, 0.795, 0.128, 0.132],
        [None, "Inpatient", 153, 27424707, 179844, 195845, 0.950, 0.949, 0.024, 0.024],
        [None, "Total", "N/A", 46100986, 303050, 315032, "N/A", "N/A", "N/A", "N/A"]]}


def check_fft_summary_mark(marked, clean):
    key = ["setting", "period"]
    m, c = marked.set_index(key), clean.set_index(key)
    at = ("Inpatient", pd.Timestamp("2026-04-01"))
    assert np.isnan(m.loc[at, "organisations_submitting"])
    assert c.loc[at, "organisations_submitting"] == 153 and m.loc[at, "responses"] == 179844
    pd.testing.assert_frame_equal(m.drop(index=[at]), c.drop(index=[at]))


def fft_rolling_sheets():
    head = [fft_rolling.PERIOD, *(c for cols in fft_rolling.COLUMNS.values() for c in cols)]
    return {"IP": [head,
                   ["Mar-24", 153, 134, 19, 22595740, 21080750, 1514990, 194513, 180433, 14080,
                    0.95, 0.94, 0.98, 0.03, 0.03, 0.01],
                   ["Apr-24", 152, 133, 19, 22793381, 21264686, 1528695, 197641, 183936, 13705,
                    0.95, 0.94, 0.98, 0.03, 0.03, 0.01]],
            "OP": []}


def check_fft_rolling_mark(marked, clean):
    key = ["submitters", "period"]
    m, c = marked.set_index(key), clean.set_index(key)
    at = ("independent", pd.Timestamp("2024-04-01"))
    assert np.isnan(m.loc[at, "responses"]) and c.loc[at, "responses"] == 13705
    pd.testing.assert_frame_equal(m.drop(index=[at]).drop(columns="consistent"),
                                  c.drop(index=[at]).drop(columns="consistent"))


_IP_PREFIX = ["ll90", "ul90", "ll95", "ul95", "ll99", "ul99"]


def inpatient_sheets():
    head = ["TrustCode", "trustname", "n_tpat"]
    for it in ("Q2", "S01"):
        head += [f"mean{it}", *[f"{p}{it}" for p in _IP_PREFIX], f"band{it}", f"{it}_Zfinal"]
    lims = [6.2, 7.8, 6.0, 8.0, 5.5, 8.5]
    return {"Key": [["Sheet", "Variable name", "Description and comments"]],
            "Trust_Respondents": [["TrustCode", "trustname", "Q2_tres", "n_tpat", "tr_rate"],
                                  ["RJ1", TEXT, 141, 1400, 33.9], ["RXL", "B", 99, 350, 40.0]],
            "Trust_Scores": [head,
                             ["RJ1", TEXT, 1400, 8.1, *lims, 6, 1.2, 7.0, *lims, 4, 0.1],
                             ["RXL", "BLACKPOOL", 350, 6.1, *lims, 3, -1.1, 5.4, *lims, 1, -3],
                             ["R0A", "MANCHESTER", 400, 7.0, *lims, 4, 0.0, 7.9, *lims, 5, 1.0]]}


def check_inpatient_mark(marked, clean):
    m, c = marked.set_index(["provider_code", "item"]), clean.set_index(["provider_code", "item"])
    assert m.loc[("RJ1", "Q2"), ["respondents"]].isna().all()
    assert c.loc[("RJ1", "Q2"), "respondents"] == 1400
    assert m.loc[("RJ1", "Q2"), "score"] == 8.1
    pd.testing.assert_frame_equal(m.drop(index=["RJ1"], level=0), c.drop(index=["RJ1"], level=0))


# header-cell positions
_RTT_TF = RTT_HEADER.index("Treatment Function Code")
_RTT_BAND0 = RTT_HEADER.index("Gt 00 To 01 Weeks SUM 1")
_AE_O4 = CSV_HEADER.index("Attendances over 4hrs Type 1")
_AE_T1 = CSV_HEADER.index("A&E attendances Type 1")
_WB = ae_workbook_sheets()["Provider Level Data"]
_WB_HEAD = next(i for i, r in enumerate(_WB) if "Code" in r and "Name" in r)
_WB_12H = "Number of patients spending >12 hours from decision to admit to admission"
_FFT = ip_rows()
_FFT_HEAD = next(i for i, r in enumerate(_FFT) if "Trust Code" in r)
_FFT_RJ1 = next(i for i, r in enumerate(_FFT) if len(r) > 1 and r[1] == "RJ1")

READERS = [
    Reader("rtt", "RTT-April-2026-full-extract.csv", "csv", rtt_rows, rtt.read,
           ["provider_code", "period"], text_cell=(4, 4), text_column="provider_name",
           mark_cell=(4, _RTT_BAND0), mark_check=check_rtt_mark, thousands_cell=(4, _RTT_BAND0),
           dup_row=4, dup_key="'RAA'", rename=(0, RTT_HEADER.index("Provider Org Code")),
           renamed="Provider Org Code", cut_detected=True, cut_column="Treatment Function Code",
           other="ae_csv", extra={"text_rows": [1, 2, 3, 4, 5]}),
    Reader("ae_csv", "Monthly-AE-June-2025.csv", "csv", ae_csv_rows, ae.read,
           ["provider_code", "period"], text_cell=(1, 3), text_column="provider_name",
           mark_cell=(1, _AE_O4), mark_check=check_ae_mark, thousands_cell=(2, _AE_T1),
           dup_row=1, dup_key="'RJ1'", rename=(0, _AE_O4),
           renamed="Attendances over 4hrs Type 1", cut_rows=2, cut_detected=True,
           cut_column="Org Code",
           other="rtt"),
    Reader("ae_workbook", "June-2025-AE-by-provider.xlsx", "xlsx", ae_workbook_sheets, ae.read,
           ["provider_code", "period"], sheet="Provider Level Data",
           mark_cell=(len(_WB) - 2, 12), mark_check=check_ae_workbook_mark,
           thousands_cell=(len(_WB) - 2, 4), dup_row=len(_WB) - 2, dup_key="'RJ1'",
           rename=(_WB_HEAD, _WB[_WB_HEAD].index(_WB_12H)), renamed=_WB_12H,
           cut_detected=True, cut_column="A&E attendances / Type 3 Departments", other="workforce"),
    Reader("ae_nhsr", "ae_attendances.csv", "csv", nhsr_rows, ae.read_nhsr,
           ["provider_code", "period"], text_cell=(3, 1), text_column="provider_code",
           mark_cell=(1, 4), mark_check=check_nhsr_mark, thousands_cell=(1, 3), dup_row=1,
           dup_key="'RF4'", rename=(0, 4), renamed="breaches", other="staff_survey"),
    Reader("workforce", "hchs-staff-by-staff-group-nationality-and-organisation-2017.xlsx",
           "xlsx", workforce_sheets, workforce.read, ["provider_code", "period"], sheet="Data",
           mark_cell=(1, 5), mark_check=check_workforce_mark, thousands_cell=(1, 5), dup_row=2,
           dup_key="'RJ1'", rename=(0, 5), renamed="FTE", cut_rows=2, other="fft"),
    Reader("staff_survey", "data.NHS.2015_2019.csv", "csv", survey_rows, staff_survey.read,
           ["provider_code", "year"], text_cell=(2, 5), mark_cell=(2, 2),
           mark_check=check_survey_mark, dup_row=2, dup_key="'RJ1'", rename=(0, 2),
           renamed="Engagement", other="ae_nhsr"),
    Reader("staff_survey_benchmark", "nss_2023.xlsx", "xlsx", benchmark_sheets,
           lambda p, **kw: staff_survey.read_benchmark(p, year=2023, sheet="Themes", **kw),
           ["provider_code"], sheet="Themes", mark_cell=(2, 1), mark_check=check_benchmark_mark,
           dup_row=2, dup_key="'RJ1'", rename=(1, 1), renamed="Staff Engagement",
           other="workforce"),
    Reader("cqc_api", "cqc_care_homes_southwest_2021-04.csv", "csv", api_rows, cqc.read,
           ["location_id"], text_cell=(1, 3), text_column="provider_name", mark_cell=(1, 7),
           mark_check=check_api_mark, dup_row=1, dup_key="'1-101'", rename=(0, 7),
           renamed="currentRatings", other="staff_survey",
           extra={"mark": lambda m: api_rating(m)}),
    Reader("cqc_ratings", "01_September_2026_Latest_ratings.csv", "csv", ratings_rows, cqc.read,
           ["location_id"], text_cell=(2, 1), text_column="provider_name", mark_cell=(2, 6),
           mark_check=check_ratings_mark, dup_row=2, dup_key="'1-1'", rename=(1, 6),
           renamed="Latest Rating", other="cqc_api", extra={"text_rows": [2, 3]}),
    Reader("fft", "FFT-inpatient-data-June-2025.xlsx", "xlsx", fft_sheets, fft.read,
           ["provider_code"], sheet="Trusts", mark_cell=(_FFT_RJ1, 7),
           mark_check=check_fft_mark, thousands_cell=(_FFT_RJ1, 3), dup_row=_FFT_RJ1,
           dup_key="'RJ1'", rename=(_FFT_HEAD, 5), renamed="Percentage Positive", cut_rows=3,
           cut_detected=True, cut_column="Trust Code", other="ae_workbook"),
    Reader("ods", "etr.csv", "csv", ods_rows, ods.read, ["code"], text_cell=(0, 1),
           text_column="name", dup_row=1, dup_key="'RXL'", other="ae_csv"),
    Reader("complaints_ko41a", "Data on Written Complaints in the NHS 2024-25 Secondary Care "
           "KO41a - Org Level.csv", "csv", ko41a_rows, complaints_ko41a.read, ["provider_code"],
           text_cell=(1, 1), text_column="provider_name",
           mark_cell=(1, KO41A_HEAD.index("Subject_Area_Waiting_Times")),
           mark_check=check_ko41a_mark,
           thousands_cell=(1, KO41A_HEAD.index("Complaints_Total_New")), dup_row=1,
           dup_key="'RJ1'", rename=(0, KO41A_HEAD.index("Complaints_Total_New")),
           renamed="Complaints_Total_New", other="sickness_absence"),
    Reader("sickness_absence", "nhs_sickness_absence_2024-04.csv", "csv", sickness_rows,
           sickness_absence.read, ["provider_code", "period"], text_cell=(1, 6),
           text_column="provider_name", mark_cell=(1, 8), mark_check=check_sickness_mark,
           thousands_cell=(1, 9), dup_row=1, dup_key="'RJ1'", rename=(0, 8),
           renamed="FTE_DAYS_LOST", other="kh03"),
    Reader("kh03", "KH03-Available-Overnight-only.csv", "csv", kh03_rows, kh03.read,
           ["provider_code", "sector", "snapshot_date"], mark_cell=(1, 2),
           mark_check=check_kh03_mark, thousands_cell=(1, 2), dup_row=1, dup_key="'RJ1'",
           rename=(0, 2), renamed="Number_Of_Beds", other="complaints_ko41a"),
    Reader("oversight_framework", "nof-mh-community-trust-data-q4-2025-26.csv", "csv",
           nof_rows, oversight_framework.read, ["quarter", "provider_code", "metric_id"],
           text_cell=(1, 5), text_column="trust_name", mark_cell=(1, 12),
           mark_check=check_nof_mark, thousands_cell=(1, 12), dup_row=1, dup_key="'RYX'",
           rename=(0, NOF_HEAD.index("Metric_ID")), renamed="Metric_ID", other="sickness_absence",
           extra={"text_rows": [1, 2]}),
    Reader("fft_summary", "ftt-summary-apr-26.xlsx", "xlsx", fft_summary_sheets,
           fft_summary.read, ["setting", "submitters", "period"], sheet="Headline figures",
           mark_cell=(5, 2), mark_check=check_fft_summary_mark, thousands_cell=(5, 3),
           dup_row=5, dup_key="'Inpatient'", rename=(2, 8), renamed="Percentage Negative",
           cut_detected=True, cut_column="FFT", other="inpatient_survey"),
    Reader("fft_rolling", "Monthly_Rolling_Totals.xlsx", "xlsx", fft_rolling_sheets,
           fft_rolling.read, ["setting", "submitters", "period"], sheet="IP",
           mark_cell=(2, 9), mark_check=check_fft_rolling_mark, thousands_cell=(2, 4),
           dup_row=2, dup_key="'2024-04'", rename=(0, 9),
           renamed="Monthly independent responses", other="fft_summary"),
    Reader("inpatient_survey", "Adult-Inpatient-Survey-2022.xlsx", "xlsx", inpatient_sheets,
           inpatient_survey.read, ["provider_code", "item"], sheet="Trust_Scores",
           mark_cell=(1, 2), mark_check=check_inpatient_mark, thousands_cell=(1, 2), dup_row=1,
           dup_key="'RJ1'", rename=(0, 4), renamed="ll90Q2", other="fft_summary"),
]
BY_NAME = {r.name: r for r in READERS}


# --- writing and reading ------------------------------------------------------------------

def fresh(reader: Reader):
    """A copy of the reader's fixture, safe to damage (shared header lists stay intact)."""
    return copy.deepcopy(reader.rows())


def csv_bytes(rows, encoding="utf-8") -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue().encode(encoding)


def write(reader: Reader, folder: Path, rows=None, *, encoding="utf-8",
          name: str | None = None) -> Path:
    """The fixture (or ``rows``, the fixture changed) written in the reader's format."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or reader.filename)
    rows = fresh(reader) if rows is None else rows
    if reader.kind == "csv":
        path.write_bytes(csv_bytes(rows, encoding))
    else:
        write_xlsx(path, rows)
    return path


def table(reader: Reader, rows):
    """The list of rows that damage is done to (a CSV's, or the reader's sheet)."""
    return rows if reader.kind == "csv" else rows[reader.sheet]


def listing(folder: Path) -> list[tuple[str, int]]:
    return sorted((str(p.relative_to(folder)), p.stat().st_size)
                  for p in folder.rglob("*") if p.is_file())


def read(reader: Reader, path: Path, **kwargs) -> pd.DataFrame:
    """Read ``path``; the reader must leave its folder as it was (it writes nothing)."""
    before = listing(path.parent)
    try:
        return reader.read(path, **kwargs)
    finally:
        assert listing(path.parent) == before, "the reader wrote into the input folder"


def raises(reader: Reader, path: Path, error=SourceFormatError, **kwargs):
    with pytest.raises(error) as e:
        read(reader, path, **kwargs)
    msg = str(e.value)
    assert path.name in msg and "Expected" in msg, msg
    return e.value


def names_place(err: SourceFormatError) -> None:
    """The error names the column or the sheet at fault."""
    msg = str(err)
    assert (err.column and err.column in msg) or (err.sheet and err.sheet in msg), msg


def incomplete_both_ways(reader: Reader, path: Path, column: str | None):
    """Raises SourceIncompleteError; allowed, warns the same message and returns a table."""
    err = raises(reader, path, SourceIncompleteError)
    if column:
        assert err.column == column and column in str(err), str(err)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = read(reader, path, allow_incomplete=True)
    messages = [str(w.message) for w in caught if issubclass(w.category, IncompleteSourceWarning)]
    assert str(err) in messages, messages
    return df


def clean(reader: Reader, tmp_path: Path) -> pd.DataFrame:
    return read(reader, write(reader, tmp_path / "clean"))


def keys(df: pd.DataFrame, reader: Reader) -> list[tuple]:
    return sorted(map(tuple, df[reader.key].astype(str).to_numpy().tolist()))


def applicable(case: str) -> list:
    out = []
    for r in READERS:
        ok = {
            "empty": True, "truncated_rows": True, "truncated_midrow": True,
            "renamed_column": r.rename is not None,
            "wrong_sheet": r.kind == "xlsx",
            "cp1252": r.kind == "csv" and r.text_cell is not None,
            "utf16": r.kind == "csv" and r.text_cell is not None,
            "suppression_marks": r.mark_cell is not None,
            "thousands_separators": r.thousands_cell is not None,
            "duplicate_rows": r.dup_row is not None,
            "wrong_publication": r.other is not None,
            "zip_traversal": r.name == "rtt",
        }[case]
        if ok:
            out.append(pytest.param(r, id=r.name))
    return out


# --- the cases ----------------------------------------------------------------------------

@pytest.mark.parametrize("reader", applicable("empty"))
def test_empty(reader, tmp_path):
    p = tmp_path / reader.filename
    p.write_bytes(b"")
    err = raises(reader, p)
    assert "empty" in str(err)


@pytest.mark.parametrize("reader", applicable("truncated_rows"))
def test_truncated_at_a_row_boundary(reader, tmp_path):
    full = clean(reader, tmp_path)
    rows = fresh(reader)
    t = table(reader, rows)
    del t[len(t) - reader.cut_rows:]
    p = write(reader, tmp_path / "in", rows)
    if reader.cut_detected:
        df = incomplete_both_ways(reader, p, reader.cut_column)
        assert 0 < len(df) < len(full)
        assert set(keys(df, reader)) < set(keys(full, reader))
    else:
        # no totals row in this layout: the rows that are there read unchanged
        df = read(reader, p)
        assert 0 < len(df) <= len(full)
        merged = df.merge(full, on=reader.key, suffixes=("", "_full"))
        assert len(merged) == len(df)
        for c in df.columns:
            if c not in reader.key and pd.api.types.is_float_dtype(df[c]):
                np.testing.assert_allclose(merged[c], merged[f"{c}_full"])


@pytest.mark.parametrize("reader", applicable("truncated_midrow"))
def test_truncated_mid_row(reader, tmp_path):
    p = write(reader, tmp_path / "in")
    data = p.read_bytes()
    if reader.kind == "xlsx":
        p.write_bytes(data[: len(data) // 2])
        names_place(raises(reader, p))
        return
    last = data.rstrip(b"\n").rsplit(b"\n", 1)[-1]
    p.write_bytes(data.rstrip(b"\n")[: -(len(last) // 2)])     # half the last row is lost
    err_df = incomplete_both_ways(reader, p, None)
    assert "truncated" in str(raises(reader, p, SourceIncompleteError))
    # allowed: the cut row is left out, the others read as in the file without it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IncompleteSourceWarning)
        ref = read(reader, write(reader, tmp_path / "ref", fresh(reader)[:-1]),
                   allow_incomplete=True)
    pd.testing.assert_frame_equal(err_df.reset_index(drop=True), ref.reset_index(drop=True))


@pytest.mark.parametrize("reader", applicable("renamed_column"))
def test_renamed_column(reader, tmp_path):
    rows = fresh(reader)
    r, c = reader.rename
    table(reader, rows)[r][c] = "Renamed by the publisher"
    p = write(reader, tmp_path / "in", rows)
    err = raises(reader, p)
    assert err.column == reader.renamed and reader.renamed in str(err)


@pytest.mark.parametrize("reader", applicable("wrong_sheet"))
def test_wrong_sheet(reader, tmp_path):
    sheets = fresh(reader)
    sheets = {("Sheet1" if k == reader.sheet else k): v for k, v in sheets.items()}
    p = write(reader, tmp_path / "in", sheets)
    err = raises(reader, p)
    assert err.sheet == reader.sheet and reader.sheet in str(err)
    assert "Sheet1" in str(err)             # the sheets the workbook has


def _encoded(reader: Reader, tmp_path: Path, encoding: str):
    rows = fresh(reader)
    r, c = reader.text_cell
    for i in reader.extra.get("text_rows", [r]):
        rows[i][c] = TEXT
    if reader.name == "ae_nhsr":
        rows[r][c] = "NLÖ12"
    ref = read(reader, write(reader, tmp_path / "utf8", rows))
    got = read(reader, write(reader, tmp_path / encoding, rows, encoding=encoding))
    pd.testing.assert_frame_equal(got, ref)
    if reader.text_column:
        want = "NLÖ12" if reader.name == "ae_nhsr" else TEXT
        assert want in got[reader.text_column].tolist()


@pytest.mark.parametrize("reader", applicable("cp1252"))
def test_cp1252_is_decoded(reader, tmp_path):
    _encoded(reader, tmp_path, "cp1252")


@pytest.mark.parametrize("reader", applicable("utf16"))
def test_utf16_is_decoded(reader, tmp_path):
    _encoded(reader, tmp_path, "utf-16")


@pytest.mark.parametrize("reader", applicable("suppression_marks"))
def test_suppression_marks_are_missing(reader, tmp_path):
    base = clean(reader, tmp_path)
    r, c = reader.mark_cell
    marks = MARKS if reader.name != "rtt" else [m for m in MARKS if m.strip()]
    for i, mark in enumerate(marks):
        rows = fresh(reader)
        table(reader, rows)[r][c] = reader.extra["mark"](mark) if "mark" in reader.extra else mark
        got = read(reader, write(reader, tmp_path / f"m{i}", rows))
        reader.mark_check(got, base)
    if reader.name == "rtt":
        # blank band cells are the extract's sparse zeros (its Total All says so)
        rows = fresh(reader)
        rows[r][c + 1] = ""              # band 1-2 weeks, 0 in the fixture
        pd.testing.assert_frame_equal(read(reader, write(reader, tmp_path / "b", rows)), base)


@pytest.mark.parametrize("reader", applicable("thousands_separators"))
def test_thousands_separators(reader, tmp_path):
    base = clean(reader, tmp_path)
    rows = fresh(reader)
    r, c = reader.thousands_cell
    value = float(table(reader, rows)[r][c])
    assert value >= 1000
    table(reader, rows)[r][c] = f"{value:,.1f}" if value % 1 else f"{value:,.0f}"
    assert "," in table(reader, rows)[r][c]
    pd.testing.assert_frame_equal(read(reader, write(reader, tmp_path / "in", rows)), base)


@pytest.mark.parametrize("reader", applicable("duplicate_rows"))
def test_duplicate_rows(reader, tmp_path):
    rows = fresh(reader)
    t = table(reader, rows)
    t.insert(reader.dup_row + 1, copy.deepcopy(t[reader.dup_row]))
    p = write(reader, tmp_path / "in", rows)
    for allow in (False, True):     # a duplicate is wrong, not incomplete: never allowed
        err = raises(reader, p, allow_incomplete=allow)
        assert not isinstance(err, SourceIncompleteError)
        msg = str(err)
        assert "duplicate" in msg and reader.dup_key in msg, msg
        line = reader.dup_row + 1     # rows[0] is line 1 of a CSV, row 1 of a sheet
        assert f"{line}, {line + 1}" in msg, msg       # the rows, as numbered in the file
        names_place(err)


@pytest.mark.parametrize("reader", applicable("wrong_publication"))
def test_wrong_publication_under_a_known_name(reader, tmp_path):
    other = BY_NAME[reader.other]
    p = write(other, tmp_path / "in", name=reader.filename)
    err = raises(reader, p)
    assert not isinstance(err, SourceIncompleteError)
    names_place(err)


@pytest.mark.parametrize("reader", applicable("zip_traversal"))
def test_zip_with_a_member_outside_the_archive(reader, tmp_path):
    z = tmp_path / (reader.filename + ".zip")
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("../" + reader.filename, csv_bytes(fresh(reader)))
    err = raises(reader, z)
    assert f"'../{reader.filename}'" in str(err)
    assert listing(tmp_path) == [(z.name, z.stat().st_size)]   # nothing was extracted


# --- files that lie: periods, fractional counts, formulas without values ------------------
#
# Each reader's fixture is changed so that it states a period it cannot hold (one that has
# not begun, or one other than the file's name gives), a fractional count of people or
# events, or (workbooks) a formula whose value was never computed. The error names the file
# and the column or sheet; a count that may be fractional (FTE, average beds, days) is not
# in these cases.

KO41A_NAME = BY_NAME["complaints_ko41a"].filename


def _replace(rows, col: int, old, new, start: int = 1):
    """Every cell of column ``col`` (from row ``start``) equal to ``old`` set to ``new``."""
    for r in rows[start:]:
        if len(r) > col and r[col] == old:
            r[col] = new
    return rows


def _fft_summary_future(sheets):
    import datetime as dt
    rows = sheets["Headline figures"]
    rows[3] = [None if v is None else dt.datetime(2035, v.month, 1) for v in rows[3]]
    return "ftt-summary-apr-35.xlsx"


#: reader -> (damage to the fixture giving a period in the future -> the file name to use,
#:            the column the error names)
FUTURE_CASES = {
    "rtt": (lambda rows: (_replace(rows, 0, "RTT-April-2026", "RTT-April-2035"),
                          "RTT-April-2035-full-extract.csv")[1], "Period"),
    "ae_csv": (lambda rows: (_replace(rows, 0, "MSitAE-JUNE-2025", "MSitAE-JUNE-2035"),
                             "Monthly-AE-June-2035.csv")[1], "Period"),
    "ae_nhsr": (lambda rows: (_replace(rows, 0, "2017-04-01", "2035-04-01"), None)[1], "period"),
    "workforce": (lambda s: (_replace(s["Data"], 0, "2017-SEP", "2035-SEP"), None)[1], "Month"),
    "staff_survey": (lambda rows: (_replace(rows, 1, "2018", "2035"), "data.NHS.csv")[1],
                     "Year.index"),
    "fft": (lambda s: "FFT-inpatient-data-June-2035.xlsx", "period"),
    "complaints_ko41a": (lambda rows: (_replace(rows, 7, "2024-25", "2035-36"),
                                       KO41A_NAME.replace("2024-25", "2035-36"))[1], "Year"),
    "sickness_absence": (lambda rows: (_replace(rows, 0, "30/04/2024", "30/04/2035"),
                                       "nhs_sickness_absence_2035-04.csv")[1], "DATE"),
    "kh03": (lambda rows: (_replace(rows, 3, "30/06/2024", "30/06/2035"), None)[1],
             "Effective_Snapshot_Date"),
    "oversight_framework": (lambda rows: (_replace(rows, 0, "Q1 2025/26", "Q1 2035/36"),
                                          "nof-mh-community-trust-data-q1-2035-36.csv")[1],
                            "Quarter"),
    "fft_summary": (_fft_summary_future, "Responses"),
    "fft_rolling": (lambda s: (_replace(s["IP"], 0, "Apr-24", "Apr-35"), None)[1],
                    "FFT Period"),
    "inpatient_survey": (lambda s: "Adult-Inpatient-Survey-2035.xlsx", "survey_year"),
}

#: reader -> (a file name whose period is not the fixture's, the column the error names)
MISNAMED_CASES = {
    "rtt": ("RTT-May-2026-full-extract.csv", "Period"),
    "ae_csv": ("Monthly-AE-May-2025.csv", "Period"),
    "workforce": ("hchs-staff-by-staff-group-nationality-and-organisation-june-2018.xlsx",
                  "Month"),
    "staff_survey": ("data.NHS.2018_2019.csv", "Year.index"),
    "staff_survey_benchmark": ("nss_2022.xlsx", "year"),
    "complaints_ko41a": (KO41A_NAME.replace("2024-25", "2023-24"), "Year"),
    "sickness_absence": ("nhs_sickness_absence_2024-05.csv", "DATE"),
    "oversight_framework": ("nof-mh-community-trust-data-q4-2024-25.csv", "Quarter"),
    "fft_summary": ("ftt-summary-may-26.xlsx", "Responses"),
}

#: reader -> (a cell holding a count of people or events, the column the error names)
FRACTION_CASES = {
    "rtt": ((4, _RTT_BAND0), "Gt 00 To 01 Weeks SUM 1"),
    "ae_csv": ((2, _AE_T1), "A&E attendances Type 1"),
    "ae_nhsr": ((1, 3), "attendances"),
    "fft": ((_FFT_RJ1, 3), "Total Responses"),
    "complaints_ko41a": ((1, KO41A_HEAD.index("Complaints_Total_New")), "Complaints_Total_New"),
    "fft_summary": ((5, 3), "Total responses to date"),
    "fft_rolling": ((2, 4), "Total responses to date"),
    "inpatient_survey": ((1, 2), "n_tpat"),
}


def _lie_params(cases: dict) -> list:
    return [pytest.param(BY_NAME[name], id=name) for name in cases]


@pytest.mark.parametrize("reader", _lie_params(FUTURE_CASES))
def test_period_in_the_future_refused(reader, tmp_path):
    damage, column = FUTURE_CASES[reader.name]
    rows = fresh(reader)
    name = damage(table(reader, rows) if reader.kind == "csv" else rows)
    p = write(reader, tmp_path / "in", rows, name=name)
    err = raises(reader, p)
    msg = str(err)
    assert "is in the future" in msg and "2035" in msg, msg
    assert err.column == column, msg


@pytest.mark.parametrize("reader", _lie_params(MISNAMED_CASES))
def test_period_disagreeing_with_the_file_name_refused(reader, tmp_path):
    name, column = MISNAMED_CASES[reader.name]
    clean(reader, tmp_path)                        # the fixture itself reads
    p = write(reader, tmp_path / "in", name=name)
    err = raises(reader, p)
    msg = str(err)
    assert "file's name" in msg, msg
    assert err.column == column, msg


@pytest.mark.parametrize("reader", _lie_params(FRACTION_CASES))
def test_fractional_count_refused(reader, tmp_path):
    (r, c), column = FRACTION_CASES[reader.name]
    rows = fresh(reader)
    cell = table(reader, rows)[r][c]
    value = float(str(cell).replace(",", ""))
    table(reader, rows)[r][c] = str(value + 0.5) if reader.kind == "csv" else value + 0.5
    err = raises(reader, write(reader, tmp_path / "in", rows))
    msg = str(err)
    assert "whole number" in msg and f"{int(value)}.5" in msg.replace(",", ""), msg
    assert err.column == column, msg


@pytest.mark.parametrize("reader", [pytest.param(r, id=r.name) for r in READERS
                                    if r.kind == "xlsx" and r.mark_cell is not None])
def test_formula_without_a_computed_value_is_named(reader, tmp_path):
    """A workbook saved by a program that does not calculate (openpyxl here): the reader
    says so, rather than reading a blank, a missing value or totals that do not add up.
    """
    rows = fresh(reader)
    r, c = reader.mark_cell
    table(reader, rows)[r][c] = "=1+1"
    err = raises(reader, write(reader, tmp_path / "in", rows))
    msg = str(err)
    assert "formula cell" in msg and "without a computed value" in msg, msg
    assert err.sheet == reader.sheet and "Excel or LibreOffice" in msg, msg
