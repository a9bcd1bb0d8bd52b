"""A&E readers: monthly CSV, provider workbook, NHSRdatasets ae_attendances.

Real-data tests read ../shared/data/real (skipped when absent): every month's England
attendances and over-4-hours equal the file's own totals row, read independently here.
Bad input is built in tmp_path in the publisher's layouts.
"""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from source_helpers import (
    ATTENDANCE_COLS,
    CSV_HEADER,
    OVER_4H_COLS,
    assert_names,
    small_month,
    write_csv,
    write_workbook,
)

from workbench.data.sources import ae
from workbench.errors import IncompleteSourceWarning, SourceFormatError, SourceIncompleteError

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
AE_DIR = REAL / "ae_monthly_provider"
WORKBOOK = AE_DIR / "June-2025-AE-by-provider-3euC4-1.xlsx"
JUNE_2025_CSV = AE_DIR / "Monthly-AE-June-2025-1-1.csv"
NHSR = REAL / "ae_attendances_nhsr" / "ae_attendances.csv"
ETR = REAL / "ods_reference" / "etr.csv"


def skip_without(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"real file not found: {path} (../shared/data/real is staged beside the "
                    "repository only on the project machines)")


# --- behaviour on the small layouts ------------------------------------------------------

@pytest.mark.parametrize("label", ["TOTAL", "Total", "Total "])
def test_csv_totals_row_dropped_in_every_spelling(tmp_path, label):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = ae.read(write_csv(tmp_path / "m.csv", small_month(label)))
    assert df["provider_code"].tolist() == ["NT204", "RJ1"]
    rj1 = df.set_index("provider_code").loc["RJ1"]
    # type 1 = non-booked (100) + booked (4); over 4h type 1 = 30 + 1
    assert rj1["ae_attendances_type1"] == 104 and rj1["ae_over_4h_type1"] == 31
    assert rj1["ae_attendances"] == 430 and rj1["ae_over_4h"] == 43
    assert rj1["ae_pct_within_4h"] == pytest.approx(90.0)
    assert rj1["ae_dta_4_to_12h"] == 13 and rj1["ae_12h_waits"] == 14
    assert rj1["emergency_admissions"] == 15 + 16 + 17
    assert rj1["emergency_admissions_not_via_ae"] == 18
    assert rj1["region"] == "London"
    assert df.set_index("provider_code").loc["NT204", "region"] == "South East"
    assert df["period"].unique().tolist() == [pd.Timestamp("2025-06-01")]
    assert df.attrs["provenance"]["published_totals"]["att_type1"] == 1100


def test_csv_totals_mismatch_raises_or_warns_when_allowed(tmp_path):
    p = write_csv(tmp_path / "m.csv", small_month(total_off=5))
    with pytest.raises(SourceIncompleteError, match="differs from the sum of the providers") as e:
        ae.read(p)
    assert_names(e.value, p, column="A&E attendances Type 1")
    assert "total 1,105 vs providers 1,100" in str(e.value)
    with pytest.warns(IncompleteSourceWarning, match="differs from the sum") as w:
        df = ae.read(p, allow_incomplete=True)
    assert str(w[0].message) == str(e.value)
    assert len(df) == 2


def test_csv_trailing_empty_columns_ignored(tmp_path):
    rows = [r + ["", "", ""] for r in small_month()]
    df = ae.read(write_csv(tmp_path / "m.csv", rows, header=CSV_HEADER + ["", "", "a"]))
    assert len(df) == 2


def test_workbook_header_found_whatever_the_title_rows(tmp_path):
    a = ae.read(write_workbook(tmp_path / "a.xlsx", title_rows=1))
    b = ae.read(write_workbook(tmp_path / "b.xlsx", title_rows=6))
    pd.testing.assert_frame_equal(a, b)
    rj1 = a.set_index("provider_code").loc["RJ1"]
    assert rj1["ae_attendances"] == 1500 and rj1["ae_over_4h"] == 320
    assert rj1["ae_12h_waits"] == 7 and rj1["ae_dta_4_to_12h"] == 33
    assert rj1["emergency_admissions"] == 250 and rj1["emergency_admissions_not_via_ae"] == 90
    assert np.isnan(rj1["ae_attendances_booked_type1"])  # no booked sheet in this workbook
    assert a.attrs["provenance"]["booked_appointments"] == "not in workbook"
    assert a["period"].unique().tolist() == [pd.Timestamp("2025-06-01")]


def test_workbook_england_mismatch_raises_or_warns_when_allowed(tmp_path):
    p = write_workbook(tmp_path / "w.xlsx", england_off=3)
    with pytest.raises(SourceIncompleteError, match="England row differs") as e:
        ae.read(p)
    assert_names(e.value, p, sheet="Provider Level Data",
                 column="A&E attendances / Type 1 Departments")
    with pytest.warns(IncompleteSourceWarning, match="England row differs"):
        assert len(ae.read(p, allow_incomplete=True)) == 2


# --- bad input ----------------------------------------------------------------------------

def test_csv_empty(tmp_path):
    p = tmp_path / "empty.csv"
    p.write_bytes(b"")
    with pytest.raises(SourceFormatError) as e:
        ae.read(p)
    assert_names(e.value, p)


def test_csv_header_only(tmp_path):
    p = write_csv(tmp_path / "h.csv", [])
    with pytest.raises(SourceFormatError, match="no provider rows") as e:
        ae.read(p)
    assert_names(e.value, p, column="Org Code")


def test_csv_truncated(tmp_path):
    p = write_csv(tmp_path / "cut.csv", small_month())
    p.write_bytes(p.read_bytes()[:-30])
    with pytest.raises(SourceFormatError, match="truncated") as e:
        ae.read(p)
    assert_names(e.value, p)


@pytest.mark.parametrize("column", ["Org Code", "Attendances over 4hrs Type 1",
                                    "Patients who have waited 12+ hrs from DTA to admission"])
def test_csv_renamed_column(tmp_path, column):
    header = [c if c != column else column + " (new)" for c in CSV_HEADER]
    p = write_csv(tmp_path / "renamed.csv", small_month(), header=header)
    with pytest.raises(SourceFormatError) as e:
        ae.read(p)
    assert_names(e.value, p, column=column)


def test_csv_missing_column(tmp_path):
    i = CSV_HEADER.index("Other emergency admissions")
    rows = [r[:i] + r[i + 1:] for r in small_month()]
    p = write_csv(tmp_path / "missing.csv", rows, header=CSV_HEADER[:i] + CSV_HEADER[i + 1:])
    with pytest.raises(SourceFormatError) as e:
        ae.read(p)
    assert_names(e.value, p, column="Other emergency admissions")


def test_csv_text_in_numeric_column(tmp_path):
    rows = small_month()
    rows[1][CSV_HEADER.index("A&E attendances Type 2")] = "n.k."
    p = write_csv(tmp_path / "text.csv", rows)
    with pytest.raises(SourceFormatError, match="n.k.") as e:
        ae.read(p)
    assert_names(e.value, p, column="A&E attendances Type 2")


def test_csv_cp1252_is_decoded(tmp_path):
    rows = small_month()
    rows[0][3] = "ST GEORGE’S – TOOTING"  # Windows-1252 quote and dash
    df = ae.read(write_csv(tmp_path / "w.csv", rows, encoding="cp1252"))
    assert df.set_index("provider_code").loc["RJ1", "provider_name"] == "ST GEORGE’S – TOOTING"


def test_csv_utf16_is_decoded(tmp_path):
    rows = small_month()
    rows[0][3] = "ST GEORGE’S – TOOTING"
    df = ae.read(write_csv(tmp_path / "u.csv", rows, encoding="utf-16"))
    assert df.set_index("provider_code").loc["RJ1", "provider_name"] == "ST GEORGE’S – TOOTING"
    assert df.set_index("provider_code").loc["RJ1", "ae_attendances"] == 430


def test_csv_utf16_without_bom_is_refused(tmp_path):
    p = write_csv(tmp_path / "utf16.csv", small_month(), encoding="utf-16-le")
    with pytest.raises(SourceFormatError, match="UTF-16") as e:
        ae.read(p)
    assert_names(e.value, p)


def test_csv_bad_period(tmp_path):
    rows = small_month()
    rows[0][0] = "MSitAE-JUNO-2025"
    p = write_csv(tmp_path / "p.csv", rows)
    with pytest.raises(SourceFormatError) as e:
        ae.read(p)
    assert_names(e.value, p, column="Period")


def test_csv_duplicate_provider(tmp_path):
    rows = small_month()
    rows[1][1] = "RJ1"
    p = write_csv(tmp_path / "d.csv", rows)
    with pytest.raises(SourceFormatError, match="duplicate rows 2, 3 with the same key") as e:
        ae.read(p, allow_incomplete=True)
    assert_names(e.value, p, column="Org Code")
    assert "Org Code='RJ1'" in str(e.value) and "Period='MSitAE-JUNE-2025'" in str(e.value)


def test_workbook_wrong_sheet(tmp_path):
    p = write_workbook(tmp_path / "w.xlsx", sheet="Provider Data")
    with pytest.raises(SourceFormatError, match="sheet not found") as e:
        ae.read(p)
    assert_names(e.value, p, sheet="Provider Level Data")
    assert "Provider Data" in str(e.value)      # the sheets the workbook has


def test_workbook_sheet_without_the_table(tmp_path):
    p = write_workbook(tmp_path / "w.xlsx")
    with pytest.raises(SourceFormatError, match="no header row") as e:
        ae.read(p, sheet="System Level Data")
    assert_names(e.value, p, sheet="System Level Data", column="Code")


def test_workbook_renamed_column(tmp_path):
    label = "Number of patients spending >12 hours from decision to admit to admission"
    p = write_workbook(tmp_path / "w.xlsx", rename={label: "Long waits"})
    with pytest.raises(SourceFormatError) as e:
        ae.read(p)
    assert_names(e.value, p, sheet="Provider Level Data", column=label)


def test_workbook_text_in_numeric_cell(tmp_path):
    p = write_workbook(tmp_path / "w.xlsx", cell=(1, 5, "see note"))
    with pytest.raises(SourceFormatError, match="see note") as e:
        ae.read(p)
    assert_names(e.value, p, sheet="Provider Level Data",
                 column="A&E attendances / Type 1 Departments")


def test_workbook_truncated(tmp_path):
    p = write_workbook(tmp_path / "w.xlsx")
    p.write_bytes(p.read_bytes()[:3000])
    with pytest.raises(SourceFormatError, match="not a readable workbook") as e:
        ae.read(p)
    assert_names(e.value, p, sheet="Provider Level Data")


def test_workbook_empty(tmp_path):
    p = tmp_path / "w.xlsx"
    p.write_bytes(b"")
    with pytest.raises(SourceFormatError, match="empty") as e:
        ae.read(p)
    assert_names(e.value, p)


# --- NHSRdatasets ae_attendances ---------------------------------------------------------

NHSR_HEADER = ["period", "org_code", "type", "attendances", "breaches", "admissions"]


def nhsr_rows() -> list[list[str]]:
    return [["2017-03-01", "RF4", "1", "21289.0", "2879.0", "5060.0"],
            ["2017-03-01", "RF4", "2", "813.0", "22.0", "0.0"],
            ["2017-03-01", "RF4", "other", "2850.0", "6.0", "0.0"],
            ["2017-03-01", "NLO12", "other", "1000.0", "0.0", "0.0"],
            ["2017-04-01", "RF4", "1", "20000.0", "2000.0", "5000.0"]]


def test_nhsr_by_provider_and_by_type(tmp_path):
    p = write_csv(tmp_path / "ae_attendances.csv", nhsr_rows(), header=NHSR_HEADER)
    df = ae.read_nhsr(p)
    assert len(df) == 3
    rf4 = df[(df.provider_code == "RF4") & (df.period == "2017-03-01")].iloc[0]
    assert rf4["ae_attendances"] == 21289 + 813 + 2850
    assert rf4["ae_over_4h"] == 2879 + 22 + 6
    assert rf4["ae_over_4h_type2"] == 22 and rf4["emergency_admissions"] == 5060
    apr = df[(df.provider_code == "RF4") & (df.period == "2017-04-01")].iloc[0]
    assert apr["ae_attendances_other"] == 0  # no row for the type counts 0
    long = ae.read_nhsr(p, by="type")
    assert len(long) == 5 and set(long["ae_type"]) == {"type1", "type2", "other"}


@pytest.mark.parametrize("problem", ["empty", "truncated", "renamed", "text", "type", "date",
                                     "cp1252"])
def test_nhsr_bad_input(tmp_path, problem):
    rows, header = nhsr_rows(), list(NHSR_HEADER)
    column = None
    if problem == "renamed":
        header[3], column = "attendance", "attendances"
    elif problem == "text":
        rows[2][4], column = "unknown", "breaches"
    elif problem == "type":
        rows[2][2], column = "3", "type"
    elif problem == "date":
        rows[0][0], column = "March 2017", "period"
    p = write_csv(tmp_path / "ae_attendances.csv", rows, header=header)
    if problem == "empty":
        p.write_bytes(b"")
    elif problem == "truncated":
        p.write_bytes(p.read_bytes()[:-12])
    elif problem == "cp1252":
        rows[3][1] = "NLÖ12"
        p = write_csv(p, rows, header=header, encoding="cp1252")
        assert "NLÖ12" in ae.read_nhsr(p)["provider_code"].tolist()
        return
    with pytest.raises(SourceFormatError) as e:
        ae.read_nhsr(p)
    assert_names(e.value, p, column=column)


# --- the real files ----------------------------------------------------------------------

def real_monthly_csvs() -> list[Path]:
    return sorted(AE_DIR.glob("Monthly-AE-*.csv")) if AE_DIR.exists() else []


def published_totals_row(path: Path) -> dict[str, float]:
    """The file's own totals row, read without the reader."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    total = [r for r in rows if r["Period"].strip().upper() == "TOTAL"]
    assert len(total) == 1, f"{path.name}: expected one totals row"
    t = total[0]
    return {"attendances": sum(float(t[c]) for c in ATTENDANCE_COLS),
            "over_4h": sum(float(t[c]) for c in OVER_4H_COLS),
            "providers": len(rows) - 1}


@pytest.mark.parametrize("path", real_monthly_csvs() or [AE_DIR / "Monthly-AE-*.csv"],
                         ids=lambda p: p.name)
def test_real_month_equals_its_totals_row(path):
    skip_without(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # a totals mismatch would warn: fail here
        df = ae.read(path)
    published = published_totals_row(path)
    assert df["ae_attendances"].sum() == published["attendances"]
    assert df["ae_over_4h"].sum() == published["over_4h"]
    assert len(df) == published["providers"]
    assert df["provider_code"].is_unique and df["region"].notna().all()
    assert df["period"].nunique() == 1
    assert df["ae_pct_within_4h"].dropna().between(0, 100).all()
    print(f"\n{path.name}: {df['period'].iloc[0]:%Y-%m} England {published['attendances']:,.0f} "
          f"attendances, {published['over_4h']:,.0f} over 4 h, {len(df)} providers")


def test_real_workbook_matches_england_row_and_the_csv():
    skip_without(WORKBOOK)
    skip_without(JUNE_2025_CSV)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        wb = ae.read(WORKBOOK)
    england = wb.attrs["provenance"]["published_totals"]
    assert wb["ae_attendances_type1"].sum() == england["ae_attendances_type1"]
    assert wb["ae_over_4h"].sum() == sum(england[f"ae_over_4h_{t}"] for t in ae.TYPES)
    assert wb.attrs["provenance"]["booked_appointments"] == "Booked Appointments Data"
    monthly = ae.read(JUNE_2025_CSV)
    assert sorted(wb["provider_code"]) == sorted(monthly["provider_code"])
    cols = ae.OUTPUT_COLUMNS[4:]
    a = wb.set_index("provider_code").loc[monthly["provider_code"], cols]
    b = monthly.set_index("provider_code")[cols]
    pd.testing.assert_frame_equal(a, b)


def test_real_provider_counts_by_sector(record_property):
    files = real_monthly_csvs()
    if not files:
        pytest.skip(f"real A&E monthly CSVs not found in {AE_DIR}")
    df = pd.concat([ae.read(p) for p in files], ignore_index=True)
    assert not df.duplicated(["provider_code", "period"]).any()
    assert df["period"].nunique() == len(files) == 13
    if ETR.exists():
        trusts = set(pd.read_csv(ETR, header=None, usecols=[0], dtype=str)[0].str.strip())
        df["sector"] = np.where(df["provider_code"].isin(trusts), "nhs", "independent")
    else:
        df["sector"] = "unknown (etr.csv absent)"
    counts = df.groupby("sector")["provider_code"].nunique().to_dict()
    record_property("ae_providers_by_sector", counts)
    print(f"\nA&E {df['period'].min():%Y-%m}..{df['period'].max():%Y-%m}: "
          f"{df['provider_code'].nunique()} providers; by sector (ODS etr rule): {counts}")
    if ETR.exists():
        assert counts["nhs"] > 100 and counts["independent"] > 10


def test_real_nhsr_ae_attendances():
    skip_without(NHSR)
    raw = pd.read_csv(NHSR)
    df = ae.read_nhsr(NHSR)
    assert df["ae_attendances"].sum() == raw["attendances"].sum()
    assert df["ae_over_4h"].sum() == raw["breaches"].sum()
    assert df["emergency_admissions"].sum() == raw["admissions"].sum()
    assert df["provider_code"].nunique() == 274
    assert (df["period"].min(), df["period"].max()) == (pd.Timestamp("2016-04-01"),
                                                       pd.Timestamp("2019-03-01"))
    assert not df.duplicated(["provider_code", "period"]).any()
    assert len(ae.read_nhsr(NHSR, by="type")) == len(raw) == 12765


def test_more_over_4h_than_attendances_warns(tmp_path):
    rows = small_month()
    rows[0][CSV_HEADER.index("Attendances over 4hrs Type 1")] = "5000"
    rows[2] = [*rows[2][:4], *[str(int(x) + (4970 if i == 6 else 0))
                               for i, x in enumerate(rows[2][4:])]]
    with pytest.warns(UserWarning, match="more attendances over 4 hours"):
        ae.read(write_csv(tmp_path / "m.csv", rows))
