"""CQC ratings: API location records (flattened) and the latest-ratings file layout."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from workbench.data.measures import CQC_LEVELS
from workbench.data.sources import cqc
from workbench.errors import SourceFormatError

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real" / "cqc_api_southwest_2021"


def ratings(overall="Good", **kq):
    kqs = ", ".join(f"{{'name': '{k}', 'rating': '{v}', 'reportDate': '2019-01-02'}}"
                    for k, v in kq.items())
    return (f"{{'overall': {{'rating': '{overall}', 'reportDate': '2019-01-02', "
            f"'keyQuestionRatings': [{kqs}]}}, 'reportDate': '2019-01-02'}}")


def api_rows():
    full = dict(Safe="Requires improvement", Effective="Good", Caring="Outstanding",
                Responsive="Good", **{"Well-led": "Inadequate"})
    return pd.DataFrame({
        "locationId": ["1-1", "1-2", "1-3", "1-4"],
        "providerId": ["1-10", "1-20", "RXL", "1-40"],
        "organisationType": ["Location"] * 4,
        "type": ["Social Care Org", "Independent Healthcare Org", "NHS Healthcare Organisation",
                 "Social Care Org"],
        "name": ["Sea View", "Nuffield Exeter", "Victoria Hospital", "Old Home"],
        "registrationStatus": ["Registered", "Registered", "Registered", "Deregistered"],
        "careHome": ["Y", "N", "N", "Y"],
        "region": ["South West"] * 4,
        "inspectionCategories": [
            "[{'code': 'S1', 'primary': 'true', 'name': 'Residential social care'}]",
            "[{'code': 'H3', 'primary': 'true', 'name': 'Acute hospital - Independent non-specialist'}]",
            "[{'code': 'H1', 'primary': 'true', 'name': 'Acute hospital - NHS non-specialist'}]",
            ""],
        "odsCode": ["VM44K", "NT215", "", "VL7CG"],
        "currentRatings": [ratings("Good", **full), ratings("No published rating",
                                                             Caring="No published rating"),
                           "", ratings("Requires Improvement")],
    })


def write_api(path: Path, df: pd.DataFrame | None = None, encoding="utf-8") -> Path:
    (api_rows() if df is None else df).to_csv(path, index=False, encoding=encoding)
    return path


def test_flattens_overall_and_key_questions(tmp_path):
    df = cqc.read_api(write_api(tmp_path / "cqc_locations_2021-04.csv"))
    assert df.columns.tolist() == cqc.OUT_COLUMNS
    home = df.iloc[0]
    assert home["provider_code"] == "VM44K" and home["setting"] == "care_home"
    assert [home[c] for c in ("cqc_overall", "cqc_safe", "cqc_effective", "cqc_caring",
                              "cqc_responsive", "cqc_well_led")] == [
        "Good", "Requires improvement", "Good", "Outstanding", "Good", "Inadequate"]
    assert df["cqc_overall"].cat.ordered
    assert df["cqc_overall"].cat.categories.tolist() == list(CQC_LEVELS)
    assert df["cqc_overall"].cat.codes.tolist()[::3] == [2, 1]  # Good above Requires improvement
    assert (df["cqc_overall"].iloc[[0]] > "Requires improvement").all()
    assert pd.isna(df.loc[1, "cqc_overall"]) and pd.isna(df.loc[1, "cqc_caring"])
    assert df["sector"].tolist() == ["independent", "independent", "nhs", "independent"]
    assert df["ownership"].tolist()[2] == "nhs" and pd.isna(df["ownership"].iloc[0])
    assert df["setting"].tolist() == ["care_home", "acute", "acute", "care_home"]
    assert pd.isna(df.loc[2, "provider_code"])  # no ODS code given
    assert df["registered"].tolist() == [True, True, True, False]
    assert (df["period"] == pd.Timestamp("2021-04-01")).all()
    assert df.loc[0, "cqc_report_date"] == pd.Timestamp("2019-01-02")


def test_real_care_homes_and_hospitals():
    homes, hosp = REAL / "cqc_care_homes_southwest_2021-04.csv", REAL / "cqc_hospitals_southwest_2021-04.csv"
    if not homes.exists() or not hosp.exists():
        pytest.skip(f"real CQC API files not present in {REAL}")
    h = cqc.read(homes)
    raw = pd.read_csv(homes)
    social = h[raw["type"].to_numpy() == "Social Care Org"]
    assert social["cqc_overall"].value_counts().to_dict() == {
        "Good": 560, "Requires improvement": 83, "Outstanding": 56, "Inadequate": 12}
    assert len(h) == 728 and h["provider_code"].notna().all() and (h["setting"] == "care_home").all()
    assert h.attrs["provenance"]["n_with_ods_code"] == 728
    k = cqc.read(hosp)
    assert k["sector"].value_counts().to_dict() == {"nhs": 159, "independent": 14}
    assert set(k["provider_code"].dropna()) >= {"NT215", "NVC08"}
    assert (~k["registered"]).sum() == 97


def test_period_from_name_or_argument(tmp_path):
    p = write_api(tmp_path / "locations.csv")
    with pytest.raises(SourceFormatError, match="snapshot month"):
        cqc.read_api(p)
    assert cqc.read_api(p, period="2024-03")["period"].iloc[0] == pd.Timestamp("2024-03-01")


def test_unknown_rating_is_an_error(tmp_path):
    df = api_rows()
    df.loc[0, "currentRatings"] = ratings("Excellent")
    with pytest.raises(SourceFormatError, match="unknown rating 'Excellent'") as err:
        cqc.read_api(write_api(tmp_path / "cqc_2021-04.csv", df))
    assert err.value.column == "currentRatings.overall"


def test_unreadable_ratings_record(tmp_path):
    df = api_rows()
    df.loc[1, "currentRatings"] = "{'overall': {'rating': 'Good'"
    with pytest.raises(SourceFormatError, match="row 1") as err:
        cqc.read_api(write_api(tmp_path / "cqc_2021-04.csv", df))
    assert err.value.column == "currentRatings"


def test_missing_or_renamed_column(tmp_path):
    df = api_rows().rename(columns={"currentRatings": "current_ratings"})
    with pytest.raises(SourceFormatError, match="missing column") as err:
        cqc.read_api(write_api(tmp_path / "cqc_2021-04.csv", df))
    assert err.value.column == "currentRatings"


def test_empty_and_truncated(tmp_path):
    p = tmp_path / "cqc_2021-04.csv"
    p.write_bytes(b"")
    with pytest.raises(SourceFormatError, match="empty"):
        cqc.read_api(p)
    text = write_api(tmp_path / "whole_2021-04.csv").read_text()
    p.write_text(text[: text.rfind("Old Home") + 3])
    with pytest.raises(SourceFormatError, match="truncated|well-formed"):
        cqc.read_api(p)


def test_cp1252_file(tmp_path):
    df = api_rows()
    df.loc[0, "name"] = "Caf\u00e9 House"
    got = cqc.read_api(write_api(tmp_path / "cqc_2021-04.csv", df, encoding="cp1252"))
    assert got.loc[0, "provider_name"] == "Caf\u00e9 House"


# ---------------------------------------------------------------- latest ratings layout
LOC_HEADER = ["Location ID", "Location ODS Code", "Location Name", "Care Home?", "Location Type",
              "Location Primary Inspection Category", "Location Region",
              "Service / Population Group", "Domain", "Latest Rating", "Publication Date",
              "Provider ID", "Provider Name"]
PROV_HEADER = ["Provider ID", "Provider Name", "Provider Type",
               "Provider Primary Inspection Category", "Provider Region",
               "Service / Population Group", "Key Question", "Latest Rating", "Publication Date"]


def write_latest(path: Path, domain="Domain", loc_sheet="Locations") -> Path:
    home = ["1-1", "VM44K", "Sea View", "Y", "Social Care Org", "Residential social care",
            "South West"]
    hosp = ["1-9", "RXL01", "Victoria Hospital", "N", "NHS Healthcare Organisation",
            "Acute hospital - NHS non-specialist", "North West"]
    loc = [["Latest ratings, 01 September 2026"] + [None] * 12,
           [c if c != "Domain" else domain for c in LOC_HEADER],
           home + ["Overall", "Overall", "Good", "01/02/2024", "1-10", "Sea Ltd"],
           home + ["Overall", "Caring", "Outstanding", "01/02/2024", "1-10", "Sea Ltd"],
           home + ["Overall", "Safe", "Requires improvement", "01/02/2019", "1-10", "Sea Ltd"],
           home + ["Overall", "Safe", "Good", "05/06/2024", "1-10", "Sea Ltd"],
           home + ["Older people", "Overall", "Inadequate", "01/02/2024", "1-10", "Sea Ltd"],
           hosp + ["Overall", "Overall", "Not Rated", "01/02/2024", "RXL", "Blackpool"],
           hosp + ["Overall", "Responsive", "Requires Improvement", "01/02/2024", "RXL",
                   "Blackpool"]]
    prov = [[None] * 9, PROV_HEADER,
            ["RXL", "Blackpool Teaching Hospitals", "NHS Healthcare Organisation",
             "Acute hospital - NHS non-specialist", "North West", "Overall", "Overall",
             "Requires improvement", "03/04/2023"],
            ["1-10", "Sea Ltd", "Social Care Org", "Residential social care", "South West",
             "Overall", "Overall", "Good", "03/04/2023"]]
    with pd.ExcelWriter(path) as w:
        pd.DataFrame(loc).to_excel(w, sheet_name=loc_sheet, index=False, header=False)
        pd.DataFrame(prov).to_excel(w, sheet_name="Providers", index=False, header=False)
    return path


def test_latest_ratings_locations(tmp_path):
    df = cqc.read(write_latest(tmp_path / "01_September_2026_Latest_ratings.xlsx"))
    df = df.set_index("location_id")
    home = df.loc["1-1"]
    assert home["cqc_overall"] == "Good" and home["cqc_caring"] == "Outstanding"
    assert home["cqc_safe"] == "Good"  # the later publication wins
    assert home["setting"] == "care_home" and home["provider_code"] == "VM44K"
    assert home["period"] == pd.Timestamp("2026-09-01")
    hosp = df.loc["1-9"]
    assert pd.isna(hosp["cqc_overall"]) and hosp["cqc_responsive"] == "Requires improvement"
    assert hosp["sector"] == "nhs" and hosp["setting"] == "acute" and hosp["ownership"] == "nhs"
    assert hosp["cqc_provider_id"] == "RXL"


def test_latest_ratings_providers_sheet_older_key_question(tmp_path):
    p = write_latest(tmp_path / "01_September_2026_Latest_ratings.xlsx")
    df = cqc.read_latest_ratings(p, sheet="Providers")
    assert df["provider_code"].tolist()[0] == "RXL" and pd.isna(df["provider_code"].iloc[1])
    assert df["cqc_overall"].tolist() == ["Requires improvement", "Good"]
    assert df.attrs["provenance"]["domain_column"] == "Key Question"


def test_latest_ratings_wrong_sheet_and_missing_header(tmp_path):
    p = write_latest(tmp_path / "01_September_2026_Latest_ratings.xlsx", loc_sheet="Locs")
    with pytest.raises(SourceFormatError, match="sheet 'Locations'"):
        cqc.read_latest_ratings(p)
    q = tmp_path / "01_September_2026_Latest_ratings.csv"
    pd.DataFrame([["Location ID", "Latest Rating"], ["1-1", "Good"]]).to_csv(
        q, index=False, header=False)
    with pytest.raises(SourceFormatError, match="no header row") as err:
        cqc.read_latest_ratings(q)
    assert err.value.column == "Service / Population Group"


def test_latest_ratings_bad_values(tmp_path):
    rows = [LOC_HEADER,
            ["1-1", "VM44K", "A", "Y", "Social Care Org", "", "", "Overall", "Overall",
             "Good", "not a date", "1-10", "P"]]
    q = tmp_path / "01_September_2026_Latest_ratings.csv"
    pd.DataFrame(rows).to_csv(q, index=False, header=False)
    with pytest.raises(SourceFormatError, match="not a date") as err:
        cqc.read_latest_ratings(q)
    assert err.value.column == "Publication Date"


def test_ods_file_without_odfpy_is_a_clear_error(tmp_path):
    pytest.importorskip("openpyxl")
    try:
        import odf  # noqa: F401
        pytest.skip("odfpy is installed: .ods files are readable")
    except ImportError:
        pass
    p = tmp_path / "01_September_2026_Latest_ratings.ods"
    p.write_bytes(b"PK\x03\x04 not really an ods")
    with pytest.raises(SourceFormatError, match="odfpy|readable"):
        cqc.read_latest_ratings(p)


def test_ratings_workbook_with_formulas_without_values_is_named(tmp_path):
    """An .xlsx saved by a program that does not calculate (openpyxl): the reader says so
    rather than reading blank ratings.
    """
    from source_helpers import write_xlsx

    head = ["Location ID", "Location Name", "Location Type", "Care Home?",
            "Service / Population Group", "Domain", "Latest Rating", "Publication Date"]
    rows = [["Latest ratings"], head,
            ["1-1", "ROSE HOUSE", "Social Care Org", "Y", "Overall", "Overall", "Good",
             "01/02/2024"],
            ["1-2", "OAK HOUSE", "Social Care Org", "Y", "Overall", "Overall",
             '=IF(1>0,"Good","Inadequate")', "03/04/2023"]]
    p = write_xlsx(tmp_path / "01_September_2026_Latest_ratings.xlsx",
                   {"Locations": rows, "Providers": [head]})
    with pytest.raises(SourceFormatError, match="formula cell.* without a computed value") as e:
        cqc.read_latest_ratings(p)
    assert e.value.sheet == "Locations" and "G4" in str(e.value)
