"""Sector and setting from registers, never from names or code shapes; conflicting joins."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pandas as pd
import pytest
from source_helpers import csv_row, small_month, write_csv

from workbench.data import panel as P
from workbench.data import registers as R
from workbench.data.cli_data import add_parser, cmd_build
from workbench.errors import ConflictingValuesError

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
MH = ("Mental Health & Learning Disability and Mental Health, Learning Disability & "
      "Community Trusts")


def ev(rows):
    return pd.DataFrame(rows, columns=R.EVIDENCE_COLUMNS)


def test_ods_lists_settle_listed_codes_only():
    etrust = pd.DataFrame({"code": ["R1G", "RP101"], "is_site": [False, True]})
    e = R.evidence("ods_etrust", etrust, "etrust.csv")
    d = R.decide(["R1G", "RP101", "R1G7E", "RP1"], e)
    # a site is NHS only when listed; a code starting with a trust's code is not
    assert d["sector"].tolist() == ["nhs", "nhs", "unknown", "unknown"]
    assert d.loc["R1G", "setting"] == "unknown"  # ODS publishes no trust type


def test_staff_survey_groups_give_sector_and_setting_latest_year():
    t = pd.DataFrame({"provider_code": ["TAD", "TAD", "RX6", "NXP", "00L"],
                      "year": [2021, 2024, 2024, 2024, 2021],
                      "benchmarking_group": ["Community Trusts", MH, "Ambulance Trusts",
                                             "Community Surgical Services", "CCGs"]})
    d = R.decide(["TAD", "RX6", "NXP", "00L"], R.evidence("staff_survey_trust", t, "s.csv"))
    assert d[["sector", "setting"]].values.tolist() == [
        ["nhs", "mental_health"], ["nhs", "ambulance"], ["independent", "community"],
        ["nhs", "other"]]
    assert "s.csv" in d.loc["TAD", "setting_from"]


def test_rtt_sheets_and_disagreeing_registers():
    wb = pd.DataFrame({"provider_code": ["R1G7E", "TAD", "XX1"],
                       "sheet": ["IS Provider", "Provider", "IS Provider"]})
    e = pd.concat([R.evidence("rtt_provider_workbook", wb, "wb.xlsx"),
                   ev([["XX1", "nhs", None, "ods_etr", "etr.csv", ""]])])
    d = R.decide(["R1G7E", "TAD", "XX1"], e)
    assert d.loc["R1G7E", ["sector", "setting"]].tolist() == ["independent", "acute"]
    assert d.loc["TAD", ["sector", "setting"]].tolist() == ["nhs", "unknown"]
    assert d.loc["XX1", "sector"] == "unknown"
    assert "etr.csv" in d.loc["XX1", "conflict"] and "wb.xlsx" in d.loc["XX1", "conflict"]
    assert "Registers disagree on XX1" in R.unsettled_text(d)


def test_gp_practice_takes_gp_sector():
    e = ev([["C82038", "nhs", "gp", "cqc_api", "cqc.csv", ""]])
    assert R.decide(["C82038"], e, gp_sector="independent").loc["C82038", "sector"] == \
        "independent"
    with pytest.raises(ValueError, match="gp_sector"):
        R.decide(["C82038"], e, gp_sector="private")


def _two_ae_months(folder: Path, off: int) -> Path:
    folder.mkdir()
    write_csv(folder / "Monthly-AE-June-2025.csv", small_month())
    rows = small_month()
    rows[0] = csv_row("RJ1", [100 + off] + [20, 300, 4, 0, 6, 30, 2, 10, 1, 0, 0, 13, 14, 15,
                                              16, 17, 18])
    rows[2][4] = str(int(rows[2][4]) + off)
    write_csv(folder / "Monthly-AE-June-2025-revised.csv", rows)
    return folder


def test_conflicting_duplicate_across_files_stops_the_build(tmp_path):
    folder = _two_ae_months(tmp_path / "raw", off=7)
    out = tmp_path / "out" / "panel.parquet"
    with pytest.raises(ConflictingValuesError) as err:
        P.build(folder, out=out)
    msg = str(err.value)
    assert "Monthly-AE-June-2025.csv" in msg and "Monthly-AE-June-2025-revised.csv" in msg
    assert "'RJ1'" in msg and "2025-06" in msg
    assert not out.exists()
    res = P.build(folder, out=out, precedence=["Monthly-AE-June-2025-revised.csv"])
    rj1 = res.panel.set_index("provider_code").loc["RJ1"]
    assert rj1["ae_attendances"] == 437  # the revised file: 7 more type 1 attendances
    assert res.provenance["precedence_applied"][0]["kept"] == "Monthly-AE-June-2025-revised.csv"


def test_equal_duplicates_are_fine_and_cli_prefer(tmp_path, capsys):
    same = _two_ae_months(tmp_path / "same", off=0)
    assert P.build(same, out=tmp_path / "a.parquet").provenance["precedence_applied"] == []
    folder = _two_ae_months(tmp_path / "raw", off=3)
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["data", "build", "--from", str(folder), "--out",
                              str(tmp_path / "b.parquet")])
    assert cmd_build(args) == 2
    err = capsys.readouterr().err
    assert "Monthly-AE-June-2025-revised.csv" in err and "Nothing was written" in err
    args = parser.parse_args(["data", "build", "--from", str(folder), "--out",
                              str(tmp_path / "b.parquet"), "--prefer",
                              "Monthly-AE-June-2025.csv"])
    assert cmd_build(args) == 0
    with pytest.raises(ValueError, match="precedence"):
        P.build(folder, out=tmp_path / "c.parquet", precedence=["no_such_source"])


def _link(tmp_path, names):
    files = [REAL / n for n in names]
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        pytest.skip(f"real files not present (../shared/data/real): {missing}")
    d = tmp_path / "real"
    d.mkdir()
    for f in files:
        os.symlink(f, d / f.name)
    return d


def test_real_spamedica_independent_and_tad_nhs_not_acute(tmp_path):
    d = _link(tmp_path, [
        "rtt_provider_workbook/NonAdmitted-Provider-Sep25-XLSX-4M-87700.xlsx",
        "nhs_staff_survey_trust_2021_24/data_trusts_well-being_organisational_results.csv",
        "ods_reference/etr.csv", "ods_reference/etrust_2018.csv.gz",
        "cqc_locations_search_export/cqc_search_export_hospitals_clinics_2024-05.csv"])
    res = P.build(d, out=tmp_path / "panel.parquet")
    p = res.panel.drop_duplicates("provider_code").set_index("provider_code")
    spa = p[p["provider_name"].str.upper().str.startswith("SPAMEDICA")]
    assert len(spa) > 40 and (spa["sector"] == "independent").all()
    assert p.loc["R1G7E", "sector"] == "independent"
    assert p.loc["TAD", "sector"] == "nhs" and p.loc["TAD", "setting"] == "mental_health"
    assert p.loc["TAD", "setting"] != "acute"
    sep = res.panel[res.panel["period"] == "2025-09-01"]
    assert set(sep["sector"]) >= {"nhs", "independent"}
    assert sep["rtt_nonadmitted_median_weeks"].notna().sum() > 400
    assert res.tables["staff_survey_years"].groupby("year").size().tolist() == [
        280, 264, 268, 263]
    assert res.table_paths["staff_survey_years"].exists()
