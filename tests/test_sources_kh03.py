"""KH03 beds: what the published CSVs carry (BOM, NULL, mangled codes) is reported, not guessed."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.data.sources import kh03
from workbench.errors import ArgumentError, SourceFormatError, SourceIncompleteError

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real" / "kh03_beds_overnight"
HEAD = "Organisation_Code,Sector,Number_Of_Beds,Effective_Snapshot_Date"


def write(folder: Path, lines: list[str], name="KH03-Available-Overnight-only.csv",
          bom=True) -> Path:
    text = "\r\n".join([HEAD, *lines]) + "\r\n"
    data = text.encode("utf-8")
    path = folder / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


QUARTER = ["RJ1,General & Acute,1000.5,30/06/2024", "RXL,General & Acute,500,30/06/2024",
           "RJ1,Maternity,40,30/06/2024", "RXL,Maternity,0,30/06/2024"]


def test_reads_bom_blank_row_and_thousands(tmp_path):
    lines = QUARTER[:1] + ['RXL,General & Acute,"1,200.25",30/06/2024'] + QUARTER[2:] + [",,,"]
    df = kh03.read(write(tmp_path, lines))
    assert list(df.columns) == [*kh03.KEY_COLUMNS, "beds_available"]
    g = df[df.sector == "General & Acute"].set_index("provider_code")
    assert g.loc["RXL", "beds_available"] == 1200.25
    assert (df["period"] == pd.Timestamp("2024-04-01")).all() and (df["days"] == 91).all()
    prov = df.attrs["provenance"]
    assert prov["byte_order_mark"] is True and prov["blank_rows"] == {"rows": 1, "lines": [6]}
    assert prov["england_row"] is False and prov["measure"] == "available"
    assert kh03.read(write(tmp_path, QUARTER, bom=False)).attrs["provenance"][
        "byte_order_mark"] is False


def test_empty_and_null_beds_are_missing_with_a_warning(tmp_path):
    lines = QUARTER[:2] + ["RJ1,Maternity,NULL,30/06/2024", "RXL,Maternity,,30/06/2024"]
    with pytest.warns(UserWarning, match=r"2 row\(s\) with an empty number of beds \(1 NULL, "
                                         r"1 blank\).*lines 4, 5"):
        df = kh03.read(write(tmp_path, lines))
    mat = df[df.sector == "Maternity"]
    assert mat["beds_available"].isna().all() and len(mat) == 2
    assert df.attrs["provenance"]["empty_beds"] == {"rows": 2, "lines": [4, 5]}


def test_mangled_codes_are_reported_and_left_out(tmp_path):
    lines = QUARTER + ["5.00E+02,Maternity,3,30/06/2024", "5.00E+02,Mental Illness,9,30/06/2024"]
    with pytest.warns(UserWarning, match=r"2 row\(s\) with 1 code\(s\) turned into numbers by a "
                                         r"spreadsheet \(5.00E\+02\).*lines 6, 7"):
        df = kh03.read(write(tmp_path, lines))
    assert "5.00E+02" not in set(df["provider_code"]) and len(df) == 4
    assert df.attrs["provenance"]["mangled_codes"] == {"5.00E+02": {"rows": 2,
                                                                    "lines": [6, 7]}}


def test_england_total_must_equal_its_organisations(tmp_path):
    ok = QUARTER + ["England,General & Acute,1500.5,30/06/2024", "ENG,Maternity,40,30/06/2024"]
    df = kh03.read(write(tmp_path, ok))
    assert set(df["provider_code"]) == {"RJ1", "RXL"}                 # England not a row
    assert df.attrs["provenance"]["england_row"] == {"checked": 2, "mismatches": 0}
    bad = QUARTER + ["England,General & Acute,1600.5,30/06/2024"]
    p = write(tmp_path, bad, name="KH03-Occupied-Overnight-only.csv")
    with pytest.raises(SourceIncompleteError, match="England General & Acute beds for "
                                                    "30/06/2024 are 1,600.50 but its "
                                                    "organisations sum to 1,500.50") as e:
        kh03.read(p)
    assert e.value.column == "Number_Of_Beds"
    with pytest.warns(UserWarning, match="England General & Acute"):
        assert len(kh03.read(p, allow_incomplete=True)) == 4
    # a mangled code is still an organisation of England's total
    mangled = QUARTER + ["5.00E+03,Maternity,10,30/06/2024", "England,Maternity,50,30/06/2024"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert kh03.read(write(tmp_path, mangled)).attrs["provenance"]["england_row"][
            "mismatches"] == 0


def test_layout_errors_are_named(tmp_path):
    cases = [("RJ1,General and Acute,3,30/06/2024", "Sector", "'General and Acute' on line 2"),
             ("RJ1,Maternity,3,15/06/2024", "Effective_Snapshot_Date", "'15/06/2024' on line 2"),
             ("RJ1,Maternity,-3,30/06/2024", "Number_Of_Beds", "negative value '-3' on line 2"),
             ("R J1,Maternity,3,30/06/2024", "Organisation_Code", "code 'R J1' on line 2"),
             ("RJ1,Maternity,many,30/06/2024", "Number_Of_Beds", "text 'many'")]
    for i, (line, column, message) in enumerate(cases):
        with pytest.raises(SourceFormatError, match=message) as e:
            kh03.read(write(tmp_path, [line], name=f"kh03-available-{i}.csv"))
        assert e.value.column == column
    with pytest.raises(SourceFormatError, match="duplicate lines 2, 3 .*Organisation_Code="
                                                "'RJ1'.*Sector='Maternity'"):
        kh03.read(write(tmp_path, [QUARTER[2], QUARTER[2]]))
    with pytest.raises(SourceFormatError, match="available or occupied"):
        kh03.read(write(tmp_path, QUARTER, name="beds.csv"))
    assert "beds_occupied" in kh03.read(write(tmp_path, QUARTER, name="beds.csv"),
                                        measure="occupied").columns
    with pytest.raises(ArgumentError):
        kh03.read(write(tmp_path, QUARTER, name="beds.csv"), measure="free")


def test_sector_case_variant_and_annual_rows(tmp_path):
    lines = ["RJ1,Mental illness,30,31/03/2009", "RJ1,Mental Illness,28,31/03/2010",
             "RJ1,Mental Illness,27,30/06/2010", "RJ1,Mental Illness,26,30/09/2010"]
    df = kh03.read(write(tmp_path, lines)).set_index("snapshot_date")
    assert (df["sector"] == "Mental Illness").all()
    assert df.attrs["provenance"]["sector_spellings"] == {"Mental illness": 1}
    assert df.loc["2009-03-31", "frequency"] == "annual"
    assert str(df.loc["2009-03-31", "period"].date()) == "2008-04-01"
    assert df.loc["2009-03-31", "days"] == 365
    assert df.loc["2010-06-30", "frequency"] == "quarterly"
    assert df.loc["2010-09-30", "days"] == 92


def test_combine_gives_occupancy_and_bed_days(tmp_path):
    a = kh03.read(write(tmp_path, QUARTER))
    o = kh03.read(write(tmp_path, ["RJ1,General & Acute,900.45,30/06/2024",
                                   "RJ1,Maternity,20,30/06/2024"],
                        name="KH03-Occupied-Overnight-only.csv"))
    c = kh03.combine(a, o).set_index(["provider_code", "sector"])
    r = c.loc[("RJ1", "General & Acute")]
    assert r["occupancy_pct"] == pytest.approx(90.0) and r["occupied_bed_days"] == pytest.approx(
        900.45 * 91)
    assert np.isnan(c.loc[("RXL", "General & Acute"), "beds_occupied"])
    assert np.isnan(c.loc[("RXL", "Maternity"), "occupancy_pct"])     # 0 beds available
    with pytest.raises(ArgumentError):
        kh03.combine(a, a)


@pytest.fixture(scope="module")
def real():
    files = {m: REAL / f"KH03-{m.title()}-Overnight-only.csv" for m in kh03.MEASURES}
    if not all(p.exists() for p in files.values()):
        pytest.skip("real KH03 files not present (../shared/data/real/kh03_beds_overnight)")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tables = {m: kh03.read(p) for m, p in files.items()}
    return tables, [str(w.message) for w in caught]


def test_real_england_general_and_acute_equals_its_organisations(real):
    tables, _ = real
    for m, t in tables.items():
        check = t.attrs["provenance"]["england_row"]
        if check is False:
            pytest.skip(f"the published KH03 {m} CSV has no England row to check against "
                        "(the check itself is tested on synthetic files above)")
        assert check["mismatches"] == 0 and check["checked"] > 0


def test_real_quirks_reported_not_guessed(real):
    tables, messages = real
    for m, t in tables.items():
        prov = t.attrs["provenance"]
        assert prov["byte_order_mark"] is True
        assert set(prov["mangled_codes"]) == {"5.00E+02", "5.00E+03", "5.00E+04"}
        assert not t["provider_code"].str.contains("E+", regex=False).any()
        assert prov["empty_beds"]["rows"] == 305                     # NULL, 31 March 2001
        assert prov["sector_spellings"] == {"Mental illness": 321}
        assert len(t) == 56500 and t[f"beds_{m}"].isna().sum() == 305
    assert sum("turned into numbers" in x for x in messages) == 2
    assert tables["available"].attrs["provenance"]["blank_rows"]["rows"] == 1


def test_real_quarters_and_bed_days(real):
    tables, _ = real
    beds = kh03.combine(tables["available"], tables["occupied"])
    ga = beds[(beds["sector"] == "General & Acute")
              & (beds["snapshot_date"] == pd.Timestamp("2024-06-30"))]
    assert 90_000 < ga["beds_available"].sum() < 120_000     # England's G&A beds, order of size
    assert ga["occupied_bed_days"].sum() == pytest.approx(91 * ga["beds_occupied"].sum())
    q = beds[beds["frequency"] == "quarterly"]
    assert q["snapshot_date"].min() == pd.Timestamp("2010-06-30")
    assert q["snapshot_date"].max() == pd.Timestamp("2024-06-30")
    assert (beds.loc[beds["frequency"] == "annual", "snapshot_date"].dt.month == 3).all()
