"""CQC locations search export: one row per location, ownership and provider group."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from workbench.data.sources import cqc_locations as cl
from workbench.errors import SourceFormatError

REAL = (Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
        / "cqc_locations_search_export" / "cqc_search_export_hospitals_clinics_2024-05.csv")
HEADER = ["Name", "Address 1", "Address 2", "Town/City", "County", "Postcode", "Phone number",
          cl.PROVIDER_ID, cl.LOCATION_ID, "Website", "Local authority", "Region",
          "Report publication date", "URL", "Also known as", "Specialisms/services",
          "Service types", "Provider name"]


def loc(name, pid, lid, provider, date="2024-03-01T00:00:00Z", types="Clinic,Clinic"):
    return [name, "1 Road", "", "Town", "", "LA9 7RG", "0", pid, lid, "", "Westmorland",
            "North West", date, "", "", "Eye care", types, provider]


def write(path, rows, header=HEADER):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def test_locations_ownership_group(tmp_path):
    rows = [loc("SpaMedica Kendal", "1-101727990", "1-11022467445", "SpaMedica Ltd"),
            loc("Royal Berkshire Hospital", "RHW", "RHW01", "Royal Berkshire NHS Foundation Trust"),
            loc("Blood donor centre", "T1", "T1A", "NHS Blood and Transplant", date="")]
    df = cl.read(write(tmp_path / "cqc_search_export_2024-05.csv", rows)).set_index(
        "location_id")
    assert df["ownership"].to_dict() == {"1-11022467445": "independent", "RHW01": "nhs",
                                         "T1A": "nhs"}
    assert df.loc["1-11022467445", "provider_group"] == "SpaMedica"
    assert df.loc["1-11022467445", "service_types"] == "Clinic"  # repeats removed
    assert str(df.loc["RHW01", "period"].date()) == "2024-05-01"
    assert df.loc["T1A", "report_date"] is None or str(df.loc["T1A", "report_date"]) == "NaT"


def test_renamed_column_and_blank_id(tmp_path):
    header = [h if h != "Provider name" else "Provider" for h in HEADER]
    with pytest.raises(SourceFormatError, match="'Provider name'"):
        cl.read(write(tmp_path / "a.csv", [loc("A", "1-1", "1-2", "X Ltd")], header=header))
    with pytest.raises(SourceFormatError, match="CQC Location ID.*line 2"):
        cl.read(write(tmp_path / "b.csv", [loc("A", "1-1", "", "X Ltd")]))


def test_duplicate_location(tmp_path):
    rows = [loc("A", "1-1", "1-2", "X Ltd"), loc("A", "1-1", "1-2", "X Ltd")]
    with pytest.raises(SourceFormatError, match="duplicate lines 2, 3.*'1-2'"):
        cl.read(write(tmp_path / "a.csv", rows))


def test_bad_date(tmp_path):
    with pytest.raises(SourceFormatError, match="Report publication date.*'soon'"):
        cl.read(write(tmp_path / "a.csv", [loc("A", "1-1", "1-2", "X Ltd", date="soon")]))


@pytest.mark.skipif(not REAL.exists(), reason="real CQC locations export not present "
                                              "(../shared/data/real/cqc_locations_search_export)")
def test_real_export():
    df = cl.read(REAL)
    assert len(df) == 2420 and df["location_id"].is_unique
    assert (df["ownership"] == "nhs").sum() == 873
    spa = df[df["provider_name"] == "SpaMedica Ltd"]
    assert len(spa) == 51 and set(spa["ownership"]) == {"independent"}
    assert set(spa["provider_group"]) == {"SpaMedica"}
