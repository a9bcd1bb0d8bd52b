"""HCHS workforce by organisation: nurse and all-staff FTE per trust and month."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from workbench.data.sources import workforce
from workbench.errors import SourceFormatError

REAL = (Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
        / "nhs_workforce_hchs_by_org"
        / "hchs-staff-by-staff-group-nationality-and-organisation-september-2017-and-june-2018_ah2324.xlsx")

ROWS = [
    ("2017-SEP", "RJ1", "Guy's and St Thomas' NHS FT", "Nurses & health visitors", "British", 100.5),
    ("2017-SEP", "RJ1", "Guy's and St Thomas' NHS FT", "Nurses & health visitors", "Irish", 20.0),
    ("2017-SEP", "RJ1", "Guy's and St Thomas' NHS FT", "HCHS doctors", "British", 50.25),
    ("2017-SEP", "RJ1", "Guy's and St Thomas' NHS FT", "Midwives", "British", 7.0),
    ("2018-JUN", "RJ1", "Guy's and St Thomas' NHS FT", "Nurses & health visitors", "British", 110.0),
    ("2018-JUN", "00J", "NHS North Durham CCG", "Central functions", "Unknown", 1.7),
]


def write_workforce(path: Path, rows=ROWS, sheet="Data", columns=None) -> Path:
    cols = columns or workforce.COLUMNS
    with pd.ExcelWriter(path) as w:
        pd.DataFrame([["Notes"]]).to_excel(w, sheet_name="Notes", index=False, header=False)
        pd.DataFrame(list(rows), columns=cols).to_excel(w, sheet_name=sheet, index=False)
    return path


def test_sums_over_nationality_and_staff_groups(tmp_path):
    df = workforce.read(write_workforce(tmp_path / "hchs.xlsx"))
    assert df.columns.tolist() == ["provider_code", "provider_name", "period", "nurse_fte",
                                   "staff_fte"]
    rj1 = df[df["provider_code"] == "RJ1"].set_index("period")
    assert rj1.loc["2017-09-01", "nurse_fte"] == pytest.approx(120.5)  # midwives excluded
    assert rj1.loc["2017-09-01", "staff_fte"] == pytest.approx(177.75)
    assert rj1.loc["2018-06-01", "nurse_fte"] == pytest.approx(110.0)
    ccg = df[df["provider_code"] == "00J"].iloc[0]
    assert ccg["nurse_fte"] == 0 and ccg["staff_fte"] == pytest.approx(1.7)
    prov = df.attrs["provenance"]
    assert prov["periods"] == ["2017-09", "2018-06"] and prov["source"] == "workforce"


def test_real_workbook_reproduces_the_publishers_sums():
    if not REAL.exists():
        pytest.skip(f"real workforce workbook {REAL.name} not present in ../shared/data/real")
    df = workforce.read(REAL)
    raw = pd.read_excel(REAL, sheet_name="Data")
    assert df["period"].dt.strftime("%Y-%m").unique().tolist() == ["2017-09", "2018-06"]
    assert not df.duplicated(["provider_code", "period"]).any()
    nurses = raw[raw["Staff group"] == "Nurses & health visitors"]
    for month, period in (("2017-SEP", "2017-09-01"), ("2018-JUN", "2018-06-01")):
        got = df[df["period"] == period]
        assert got["nurse_fte"].sum() == pytest.approx(
            nurses.loc[nurses["Month"] == month, "FTE"].sum())
        assert got["staff_fte"].sum() == pytest.approx(raw.loc[raw["Month"] == month, "FTE"].sum())
    rj1 = df[(df["provider_code"] == "RJ1") & (df["period"] == "2017-09-01")].iloc[0]
    assert rj1["nurse_fte"] == pytest.approx(4018.83959, abs=1e-3)
    assert df["provider_code"].nunique() == 438


def test_empty_file(tmp_path):
    p = tmp_path / "hchs.xlsx"
    p.write_bytes(b"")
    with pytest.raises(SourceFormatError, match="empty"):
        workforce.read(p)


def test_truncated_workbook(tmp_path):
    good = write_workforce(tmp_path / "good.xlsx").read_bytes()
    p = tmp_path / "hchs.xlsx"
    p.write_bytes(good[: len(good) // 2])
    with pytest.raises(SourceFormatError, match="hchs.xlsx.*not a readable Excel workbook"):
        workforce.read(p)


def test_wrong_sheet(tmp_path):
    p = write_workforce(tmp_path / "hchs.xlsx", sheet="Table 1")
    with pytest.raises(SourceFormatError, match="sheet 'Data'") as err:
        workforce.read(p)
    assert err.value.sheet == "Data" and "Table 1" in str(err.value)


def test_renamed_column(tmp_path):
    cols = [c if c != "FTE" else "FTE (rounded)" for c in workforce.COLUMNS]
    with pytest.raises(SourceFormatError, match="missing column") as err:
        workforce.read(write_workforce(tmp_path / "hchs.xlsx", columns=cols))
    assert err.value.column == "FTE" and err.value.sheet == "Data"


def test_missing_column(tmp_path):
    rows = [r[:4] + r[5:] for r in ROWS]
    cols = [c for c in workforce.COLUMNS if c != "Nationality"]
    with pytest.raises(SourceFormatError, match="Nationality"):
        workforce.read(write_workforce(tmp_path / "hchs.xlsx", rows=rows, columns=cols))


def test_text_in_numeric_column(tmp_path):
    rows = list(ROWS)
    rows[2] = rows[2][:5] + ("fifty",)
    with pytest.raises(SourceFormatError, match="'fifty'") as err:
        workforce.read(write_workforce(tmp_path / "hchs.xlsx", rows=rows))
    assert err.value.column == "FTE"


def test_bad_month_label(tmp_path):
    rows = [("Sometime",) + ROWS[0][1:]] + list(ROWS[1:])
    with pytest.raises(SourceFormatError, match="not a month") as err:
        workforce.read(write_workforce(tmp_path / "hchs.xlsx", rows=rows))
    assert err.value.column == "Month"


def test_cp1252_csv_renamed_as_workbook(tmp_path):
    p = tmp_path / "hchs.xlsx"
    p.write_bytes(",".join(workforce.COLUMNS).encode("cp1252") + b"\n2017-SEP,RJ1,Guy\x92s,N,B,1\n")
    with pytest.raises(SourceFormatError, match="not a readable Excel workbook"):
        workforce.read(p)


def test_header_only_sheet(tmp_path):
    with pytest.raises(SourceFormatError, match="no data rows"):
        workforce.read(write_workforce(tmp_path / "hchs.xlsx", rows=[]))
