"""Sector and setting from registers, never from names or code shapes; conflicting joins;
commissioners, closed trusts, KO41b returns and what stays unknown (and why)."""

from __future__ import annotations

import argparse
import io
import json
import os
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from source_helpers import csv_row, small_month, write_csv
from test_sources_ods import write_etr
from test_sources_workforce import write_workforce

from workbench.data import panel as P
from workbench.data import registers as R
from workbench.data.cli_data import add_parser, cmd_build
from workbench.data.sources import complaints_ko41b
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
        ["nhs", "commissioner"]]
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


# --- commissioners, closed trusts, KO41b returns, what stays unknown -----------------------

WF = pd.DataFrame({"provider_code": ["RJ1", "00J", "15N", "TAD"],
                   "provider_name": ["Guy's and St Thomas' NHS Foundation Trust",
                                     "NHS North Durham CCG",
                                     "NHS Devon Clinical Commissioning Group",
                                     "Bradford District Care NHS Foundation Trust"]})


def test_workforce_file_is_nhs_and_its_ccgs_are_commissioners():
    d = R.decide(["RJ1", "00J", "15N", "TAD", "NT4"], R.evidence("workforce", WF, "hchs.xlsx"))
    assert d["sector"].tolist() == ["nhs", "nhs", "nhs", "nhs", "unknown"]
    # a trust gets no setting from the workforce file; a body named as a CCG is a commissioner
    assert d["setting"].tolist() == ["unknown", "commissioner", "commissioner", "unknown",
                                     "unknown"]
    assert "workforce (hchs.xlsx)" in d.loc["00J", "sector_from"]
    assert d.loc["00J", "setting_from"] == "workforce (hchs.xlsx)"
    # a name that merely contains the letters is not a CCG
    odd = pd.DataFrame({"provider_code": ["X1"], "provider_name": ["CCG Estates Ltd"]})
    assert R.evidence("workforce", odd, "w.xlsx")["setting"].isna().all()


def test_staff_survey_setting_comes_before_the_workforce_file():
    t = pd.DataFrame({"provider_code": ["TAD", "00J"], "year": [2024, 2021],
                      "benchmarking_group": [MH, "CCGs"]})
    e = pd.concat([R.evidence("workforce", WF, "hchs.xlsx"),
                   R.evidence("staff_survey_trust", t, "s.csv")])
    d = R.decide(["TAD", "00J"], e)
    assert d.loc["TAD", ["sector", "setting"]].tolist() == ["nhs", "mental_health"]
    assert d.loc["00J", "setting_from"] == "staff_survey_trust (s.csv)"
    assert "hchs.xlsx" in d.loc["00J", "sector_from"] and "s.csv" in d.loc["00J", "sector_from"]


def test_closed_trust_stays_nhs_and_its_close_date_is_recorded():
    etr = pd.DataFrame({"code": ["RA3", "RJ1"], "is_site": [False, False],
                        "close_date": pd.to_datetime(["2020-03-31", None])})
    e = R.evidence("ods_etr", etr, "etr.csv")
    assert e["detail"].tolist() == ["listed in the ODS NHS trust list (closed 2020-03-31)",
                                    "listed in the ODS NHS trust list"]
    assert R.decide(["RA3"], e).loc["RA3", "sector"] == "nhs"


KO41B = pd.DataFrame({"provider_code": ["C82038", "QKK", "V00063", "V00063"],
                      "provider_name": ["LATHAM HOUSE", "NHS SEL ICB", "DENTAL", "DENTAL"],
                      "return_type": ["GP", "ICB", "Dental", "Dental"],
                      "contract_number": [None, None, "1", "2"], "sub_icb_code": ["04V"] * 4,
                      "icb_code": ["QK1"] * 4, "financial_year": ["2024-25"] * 4})


def test_ko41b_returns_settle_gp_practices_and_icbs_not_dentists():
    e = R.evidence("complaints_ko41b", KO41B, "ko41a.zip (KO41b practice level)")
    assert sorted(e["code"]) == ["C82038", "QKK"]  # a dental return settles nothing
    d = R.decide(["C82038", "QKK", "V00063"], e)
    assert d.loc["C82038", ["sector", "setting"]].tolist() == ["nhs", "gp"]
    assert d.loc["QKK", ["sector", "setting"]].tolist() == ["nhs", "commissioner"]
    assert d.loc["V00063", "sector"] == "unknown"
    assert "GP practice -> gp_sector=nhs" in d.loc["C82038", "sector_from"]
    assert "KO41b 2024-25 return 'GP'" in e.set_index("code").loc["C82038", "detail"]
    ind = R.decide(["C82038"], e, gp_sector="independent")
    assert ind.loc["C82038", "sector"] == "independent"


def ko41b_text(rows) -> str:
    buf = io.StringIO()
    buf.write(",".join(complaints_ko41b.COLUMNS) + ",1.4 Total New\r\n")
    for r in rows:
        buf.write(",".join(r) + "\r\n")
    return buf.getvalue()


GP_ROW = ["2024-25", "GP", "Y60", "Midlands", "QK1", "LLR ICB", "04V", "LLR - 04V", "C82038",
          "LATHAM HOUSE MEDICAL PRACTICE", "N/A", "12"]


def test_path_evidence_reads_ko41b_from_the_zip_or_beside_the_csv(tmp_path):
    z = tmp_path / "ko41a_2024_25.zip"
    with zipfile.ZipFile(z, "w") as f:
        f.writestr("Secondary Care KO41a - Org Level.csv", "Year\r\n2024-25\r\n")
        f.writestr("Data 2024-25 Primary Care KO41b - Practice Level.csv", ko41b_text([GP_ROW]))
    e = R.path_evidence("complaints_ko41a", z)
    assert e[["code", "setting"]].values.tolist() == [["C82038", "gp"]]
    assert e["file"].iloc[0] == "ko41a_2024_25.zip (KO41b practice level)"
    # no KO41b member, another kind, a plain KO41a CSV with the KO41b CSV beside it
    bare = tmp_path / "bare.zip"
    with zipfile.ZipFile(bare, "w") as f:
        f.writestr("Secondary Care KO41a - Org Level.csv", "Year\r\n2024-25\r\n")
    assert R.path_evidence("complaints_ko41a", bare).empty
    assert R.path_evidence("kh03", z).empty
    d = tmp_path / "plain"
    d.mkdir()
    org = d / "Data 2024-25 Secondary Care KO41a - Org Level.csv"
    org.write_text("Year\n2024-25\n")
    assert R.path_evidence("complaints_ko41a", org).empty
    (d / "Data 2024-25 Primary Care KO41b - Practice Level.csv").write_text(ko41b_text([GP_ROW]))
    assert R.path_evidence("complaints_ko41a", org)["code"].tolist() == ["C82038"]


def test_why_unknown_names_the_files_and_the_disagreement():
    e = ev([["XX1", "nhs", None, "ods_etr", "etr.csv", ""],
            ["XX1", "independent", None, "rtt_provider_workbook", "wb.xlsx", ""]])
    d = R.decide(["NT4", "XX1", "RJ1"], pd.concat([e, R.evidence("workforce", WF, "w.xlsx")]))
    why = R.why_unknown(d, {"Monthly-AE-June-2025.csv": ["NT4", "RJ1"], "rtt.zip": ["NT4"]},
                        pd.Series({"NT4": "A WALK-IN CENTRE", "XX1": "XX1"}))
    assert [w["code"] for w in why] == ["NT4", "XX1"]
    nt4, xx1 = why
    assert nt4["name"] == "A WALK-IN CENTRE" and "name" not in xx1
    assert nt4["files"] == ["Monthly-AE-June-2025.csv", "rtt.zip"]
    assert nt4["why"].startswith("no register the build read lists it; the 2 file(s)")
    assert xx1["why"].startswith("registers disagree:") and "wb.xlsx" in xx1["why"]


def test_build_labels_ccgs_commissioners_and_explains_unknowns(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    write_etr(raw / "etr.csv")
    write_workforce(raw / ("hchs-staff-by-staff-group-nationality-and-organisation-"
                           "september-2017-and-june-2018.xlsx"), rows=[
        ("2017-SEP", "RJ1", "Guy's", "Nurses & health visitors", "British", 4000.0),
        ("2017-SEP", "00J", "NHS North Durham CCG", "Central functions", "British", 12.0)])
    write_csv(raw / "Monthly-AE-June-2025.csv", small_month())
    res = P.build(raw, out=tmp_path / "out" / "panel.parquet")
    p = res.panel.drop_duplicates("provider_code").set_index("provider_code")
    assert p.loc["00J", ["sector", "setting", "ownership"]].tolist() == [
        "nhs", "commissioner", "nhs"]
    assert p.loc["NT204", "sector"] == "unknown"
    prov = json.loads(res.provenance_path.read_text())
    assert prov["sector_unknown"] == ["NT204"]
    why = prov["sector_unknown_why"][0]
    assert why["code"] == "NT204" and why["files"] == ["Monthly-AE-June-2025.csv"]
    assert prov["providers_by_setting"]["commissioner"] == 1
    assert "workforce" in res.registers.loc["00J", "sector_from"]


@pytest.fixture(scope="module")
def real_build(tmp_path_factory):
    """The full build of ../shared/data/real (about 40 s), once for the tests below."""
    if not REAL.is_dir():
        pytest.skip(f"published NHS files not present at {REAL} (../shared/data/real)")
    res = P.build(REAL, out=tmp_path_factory.mktemp("real") / "panel.parquet")
    return res, res.registers


@pytest.mark.slow
def test_real_build_settles_commissioners_and_gp_practices(real_build):
    """Every CCG of the workforce file is an NHS commissioner, the A&E files' GP practices
    are settled by their KO41b returns, and every provider left unknown is listed with why."""
    res, d = real_build
    ccg = d[d["setting"] == "commissioner"]
    assert len(ccg) >= 200 and (ccg["sector"] == "nhs").all()
    assert {"00D", "00J", "03J"} <= set(ccg.index)
    for code in ("C82038", "L83087", "Y02973"):
        assert d.loc[code, ["sector", "setting"]].tolist() == ["nhs", "gp"]
        assert "complaints_ko41b" in d.loc[code, "setting_from"]
    assert d.loc["RA3", "sector"] == "nhs"  # Weston Area Health, closed 2020: still NHS
    unknown = d.index[d["sector"] == "unknown"]
    assert len(unknown) <= 170  # 366 before the workforce file and KO41b returns were read
    why = {w["code"]: w for w in res.provenance["sector_unknown_why"]}
    assert set(why) == set(unknown) and all(w["files"] and w["why"] for w in why.values())
    # every settled sector names the register that settled it
    settled = d[d["sector"] != "unknown"]
    assert settled["sector_from"].notna().all() and (settled["sector_from"] != "").all()
    trusts = {t["trust"]: t for t in res.provenance["comment_trusts"]}
    assert trusts["NEAS"]["provider_code"] == "RX6" and trusts["NHFT"]["provider_code"] == "RP1"
    assert trusts["Trust A"]["provider_code"] is None


def site_evidence() -> pd.DataFrame:
    """NLX (a social enterprise in the staff survey), its site NLX24 in the KO41a site list,
    a site S1 listed under organisations of both sectors, and a site S2 its own register
    settles."""
    rows = [("NLX", "independent", "community", "staff_survey_trust", "nss.csv", ""),
            ("RJ1", "nhs", None, "ods_etr", "etr.csv", ""),
            ("NLX24", None, None, R.SITE_REGISTER, "ko41a.zip (KO41a site level)", "site of NLX"),
            ("S1", None, None, R.SITE_REGISTER, "ko41a.zip (KO41a site level)", "site of NLX"),
            ("S1", None, None, R.SITE_REGISTER, "ko41a.zip (KO41a site level)", "site of RJ1"),
            ("S2", None, None, R.SITE_REGISTER, "ko41a.zip (KO41a site level)", "site of RJ1"),
            ("S2", "independent", "acute", "rtt_provider_workbook", "wb.xlsx", ""),
            ("S3", None, None, R.SITE_REGISTER, "ko41a.zip (KO41a site level)", "site of ZZZ")]
    return pd.DataFrame(rows, columns=R.EVIDENCE_COLUMNS)


def test_a_site_takes_the_sector_of_the_organisation_that_runs_it():
    d = R.decide(["NLX24", "S1", "S2", "S3"], site_evidence())
    assert d.loc["NLX24", "sector"] == "independent"
    assert "site of NLX" in d.loc["NLX24", "sector_from"]
    assert "staff_survey_trust" in d.loc["NLX24", "sector_from"]
    assert d.loc["NLX24", "setting"] == "unknown"  # a sector, never a setting
    assert d.loc["S1", "sector"] == "unknown"  # organisations of two sectors
    assert d.loc["S2", "sector"] == "independent" and "site of" not in d.loc["S2", "sector_from"]
    assert d.loc["S3", "sector"] == "unknown"  # its organisation is settled by no register


def test_site_links_come_from_the_ko41a_zip(tmp_path):
    from test_sources_complaints_ko41a import halves, org_row, write_zip

    path = write_zip(tmp_path / "ko41a_2024_25.zip", [org_row("RJ1")], halves("RJ1"))
    links = R.site_links(path)
    assert links[["code", "detail"]].values.tolist() == [["RJ101", "site of RJ1"],
                                                         ["RJ102", "site of RJ1"]]
    assert set(links["register"]) == {R.SITE_REGISTER} and links["sector"].isna().all()
    (tmp_path / "orgs_only").mkdir()
    no_sites = write_zip(tmp_path / "orgs_only" / "ko41a_2024_25.zip", [org_row("RJ1")])
    assert R.site_links(no_sites).empty


def test_unknown_codes_are_described_by_shape_and_place_never_settled():
    why = [{"code": "A1S9E", "files": ["20260430-RTT-April-2026-full-extract.csv.zip"]},
           {"code": "NNF16", "files": ["Monthly-AE-May-2025.csv", "ae_attendances.csv"]},
           {"code": "Y02470", "files": ["ae_attendances.csv"]},
           {"code": "RF1", "files": ["data.NHS.2015_2019.csv"]}]
    t = R.unknown_split(why)
    assert t["providers"].sum() == 4
    assert t["seen_in"].tolist() == ["RTT full extract", "monthly A&E files",
                                     "NHSRdatasets A&E only (2016-2019)",
                                     "staff survey 2015-2019 only"]
    assert "ephpsite" in R.code_shape("A1S9E") and "epraccur" in R.code_shape("Y02470")
    d = R.decide(["A1S9E"], pd.DataFrame(columns=R.EVIDENCE_COLUMNS))
    assert d.loc["A1S9E", "sector"] == "unknown"


#: The providers no register in the staging folder settles, by where they appear and what
#: their codes' shapes suggest (registers.unknown_split); docs/data_sources.md lists them.
REAL_UNKNOWN_SPLIT = {
    ("RTT full extract", "independent-sector site"): 46,
    ("RTT full extract", "non-NHS organisation"): 2,
    ("RTT full extract", "site of a non-NHS organisation"): 11,
    ("monthly A&E files", "GP-led or urgent-care service"): 8,
    ("monthly A&E files", "independent-sector site"): 4,
    ("monthly A&E files", "non-NHS organisation"): 4,
    ("monthly A&E files", "site of a non-NHS organisation"): 29,
    ("NHSRdatasets A&E only (2016-2019)", "GP practice"): 2,
    ("NHSRdatasets A&E only (2016-2019)", "GP-led or urgent-care service"): 27,
    ("NHSRdatasets A&E only (2016-2019)", "non-NHS organisation"): 1,
    ("NHSRdatasets A&E only (2016-2019)", "site of a non-NHS organisation"): 32,
    ("staff survey 2015-2019 only", "NHS-trust-shaped code not in the ODS trust lists"): 1,
}


@pytest.mark.slow
def test_real_build_unknown_sectors_split_as_documented(real_build):
    """The blocked part, exactly: 167 codes that only the ODS lists of independent-sector
    providers and sites (ephp, ephpsite) and of GP practices and other prescribing settings
    (epraccur) would settle. The KO41a site list settles NLX24 (a site of Sirona, a social
    enterprise); the CQC GP-practice ratings file would name three more as practices but is a
    derived copy the build does not read; the sickness absence files' organisation type is no
    sector (CICs are 'Community Provider Trust' there too)."""
    res, d = real_build
    assert d.loc["NLX24", "sector"] == "independent"
    assert "site of NLX" in d.loc["NLX24", "sector_from"]
    t = R.unknown_split(res.provenance["sector_unknown_why"])
    got = {(r.seen_in, r.shape.split(" (")[0].split(",")[0]): r.providers
           for r in t.itertuples()}
    assert got == REAL_UNKNOWN_SPLIT
    assert sum(got.values()) == (d["sector"] == "unknown").sum() == 167


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason=(
    "the staging folder holds no register of independent-sector providers and sites or of "
    "GP-led services (ODS ephp/ephpsite, epraccur): 167 stay unknown. By where they appear: "
    "59 only in the April 2026 RTT extract (46 new-style independent-sector site codes such "
    "as Optegra and ACES sites, 2 non-NHS organisations, 11 sites of non-NHS organisations), "
    "45 in the 2024-26 monthly A&E files (29 sites of non-NHS organisations such as City "
    "Health Care Partnership's NNF16, 8 Y-code urgent-care and walk-in services, 4 non-NHS "
    "organisations, 4 new-style site codes), 62 only in the NHSRdatasets A&E extract of "
    "2016-2019, which names no one (32 sites of non-NHS organisations, 27 Y-code services, "
    "2 GP practices, 1 non-NHS organisation), and RF1 of the derived 2015-2019 staff survey "
    "(all values missing, not in the ODS trust lists). ephp/ephpsite would list 129 of them, "
    "epraccur 37; this passes, and must then lose its xfail, once such lists are staged and "
    "read"))
def test_real_build_fewer_than_100_unknown_sectors(real_build):
    _, d = real_build
    assert (d["sector"] == "unknown").sum() < 100
