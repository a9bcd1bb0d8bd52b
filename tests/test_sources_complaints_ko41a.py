"""Written complaints (KO41a): organisation and site tables, their checks, the real 2024-25 zip."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest

from workbench.data.sources import complaints_ko41a as k
from workbench.errors import SourceFormatError, SourceIncompleteError

REAL = (Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
        / "complaints_ko41a_2024_25" / "ko41a_2024_25.zip")
STEM = "Data on Written Complaints in the NHS 2024-25 Secondary Care KO41a"
ORG_HEAD = list(k.IDS) + list(k.COUNTS.values())
SITE_HEAD = list(k.IDS)[:2] + list(k.SITE_IDS) + list(k.IDS)[2:] + list(k.COUNTS.values())


def counts(new=100, upheld=20, partly=30, not_upheld=40, bf=10, waiting=5, staffing=2,
           comms=9, values=8, subjects=None):
    resolved = upheld + partly + not_upheld
    cf = bf + new - resolved
    return {"Complaints_Total_Brought_Forward": bf, "Complaints_Total_New": new,
            "Complaints_Total_Resolved": resolved, "Complaints_Number_Upheld": upheld,
            "Complaints_Number_Partially_Upheld": partly,
            "Complaints_Number_Not_Upheld": not_upheld, "Complaints_Total_Carried_Forward": cf,
            "Subject_Area_Waiting_Times": waiting, "Subject_Area_Staffing_Numbers": staffing,
            "Subject_Area_Communications": comms, "Subject_Area_Values_And_Behaviours": values,
            "Subject_Area_Sub_Total": new + 10 if subjects is None else subjects}


def org_row(code="RJ1", **kw):
    ids = {"Organisation_Code": code, "Organisation_Name": f"Trust {code}",
           "Organisation_Type": "Acute", "NHS_England_Region_Code": "Y56",
           "NHS_England_Region_Name": "London", "ICS_Code": "QKK",
           "ICS_Name": "South East London", "Year": "2024-25"}
    return {**ids, **counts(**kw)}


def site_row(code, site, name=None, **kw):
    return {**org_row(code, **kw), "Site_Code": site, "Site_Name": name or f"SITE {site}"}


def halves(code="RJ1"):
    """Two sites whose counts add up to org_row(code)'s."""
    return [site_row(code, f"{code}01", new=60, upheld=12, partly=18, not_upheld=24, bf=6,
                     waiting=3, staffing=1, comms=5, values=4, subjects=66),
            site_row(code, f"{code}02", new=40, upheld=8, partly=12, not_upheld=16, bf=4,
                     waiting=2, staffing=1, comms=4, values=4, subjects=44)]


def text(head, rows):
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=head, lineterminator="\r\n")
    w.writeheader()
    for r in rows:
        w.writerow({h: r.get(h, "") for h in head})
    return buf.getvalue()


def write_zip(path, orgs, sites=None):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(f"{STEM} - Org Level.csv", text(ORG_HEAD, orgs))
        if sites is not None:
            z.writestr(f"{STEM} - Site Level.csv",
                       text(SITE_HEAD, sites).encode("cp1252"))
        z.writestr("Data on Written Complaints in the NHS 2024-25 Primary Care KO41b - "
                   "Practice Level.csv", "Year\r\n2024-25\r\n")
    return path


def test_reads_zip_with_site_check(tmp_path):
    sites = halves("RJ1") + [site_row("RXL", "RXL01", new=7, upheld=1, partly=1, not_upheld=1,
                                      bf=0, waiting=0, staffing=0)]
    sites[0]["Site_Name"] = "ST GEORGE’S – HÔPITAL"       # a Windows-1252 site name
    p = write_zip(tmp_path / "ko41a_2024_25.zip",
                  [org_row("RJ1"), org_row("rxl", new=7, upheld=1, partly=1, not_upheld=1,
                                           bf=0, waiting=0, staffing=0)], sites)
    df = k.read(p).set_index("provider_code")
    assert list(df.index) == ["RJ1", "RXL"]
    rj1 = df.loc["RJ1"]
    assert rj1["complaints_new"] == 100 and rj1["complaints_upheld"] == 20
    assert rj1["complaints_waiting_times"] == 5 and rj1["complaints_staffing_numbers"] == 2
    assert rj1["sites"] == 2 and bool(rj1["subjects_recorded"])
    assert str(rj1["period_start"].date()) == "2024-04-01"
    assert str(rj1["period_end"].date()) == "2025-03-31"
    check = df.attrs["provenance"]["site_check"]
    assert check["organisations_checked"] == 2 and check["mismatches"] == 0
    s = k.read_sites(p)
    assert len(s) == 3 and "ST GEORGE’S – HÔPITAL" in s["site_name"].tolist()


def test_site_mismatch_names_the_organisation(tmp_path):
    sites = halves("RJ1")
    sites[1]["Subject_Area_Waiting_Times"] = 4               # sites now sum to 7, not 5
    p = write_zip(tmp_path / "ko41a.zip", [org_row("RJ1")], sites)
    with pytest.raises(SourceIncompleteError, match="organisation 'RJ1'.*Subject_Area_Waiting"
                                                    "_Times is 5.*sites sum to 7") as e:
        k.read(p)
    assert e.value.column == "Subject_Area_Waiting_Times" and "ko41a.zip" in str(e.value)
    with pytest.warns(UserWarning, match="organisation 'RJ1'"):
        df = k.read(p, allow_incomplete=True)
    assert df["complaints_waiting_times"].tolist() == [5]    # the organisation's, as published


def test_organisation_without_sites(tmp_path):
    p = write_zip(tmp_path / "ko41a.zip", [org_row("RJ1"), org_row("RXL")], halves("RJ1"))
    with pytest.raises(SourceIncompleteError, match="'RXL' is in the organisation table but "
                                                    "has no site rows"):
        k.read(p)


def test_plain_csvs_side_by_side_are_checked(tmp_path):
    (tmp_path / f"{STEM} - Org Level.csv").write_text(text(ORG_HEAD, [org_row("RJ1")]))
    sites = halves("RJ1")
    sites[0]["Complaints_Total_New"] = 61
    sites[0]["Complaints_Total_Carried_Forward"] = 13
    (tmp_path / f"{STEM} - Site Level.csv").write_text(text(SITE_HEAD, sites))
    with pytest.raises(SourceIncompleteError, match="Complaints_Total_New is 100.*sum to 101"):
        k.read(tmp_path / f"{STEM} - Org Level.csv")
    with pytest.raises(SourceIncompleteError, match="'RJ1'"):
        k.read_sites(tmp_path / f"{STEM} - Site Level.csv")
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "ko41a_org.csv").write_text(text(ORG_HEAD, [org_row("RJ1")]))
    df = k.read(alone / "ko41a_org.csv")
    assert df["sites"].isna().all()
    assert "not checked" in df.attrs["provenance"]["site_check"]


def test_row_rules_name_organisation_and_line(tmp_path):
    bad = org_row("RXL")
    bad["Complaints_Number_Upheld"] = 25                     # 25 + 30 + 40 != 90 resolved
    p = tmp_path / "ko41a_org.csv"
    p.write_text(text(ORG_HEAD, [org_row("RJ1"), bad]))
    with pytest.raises(SourceIncompleteError, match="'RXL' on line 3.*upheld") as e:
        k.read(p)
    assert e.value.column == "Complaints_Total_Resolved"
    bad = org_row("RXL")
    bad["Complaints_Total_Carried_Forward"] = 99
    p.write_text(text(ORG_HEAD, [bad]))
    with pytest.raises(SourceIncompleteError, match="carried forward = brought forward"):
        k.read(p)


def test_bad_counts_and_duplicates(tmp_path):
    p = tmp_path / "ko41a_org.csv"
    row = org_row("RJ1")
    row["Subject_Area_Staffing_Numbers"] = "2.5"
    p.write_text(text(ORG_HEAD, [row]))
    with pytest.raises(SourceFormatError, match="'2.5' on line 2") as e:
        k.read(p)
    assert e.value.column == "Subject_Area_Staffing_Numbers"
    p.write_text(text(ORG_HEAD, [org_row("RJ1"), org_row("RJ1")]))
    with pytest.raises(SourceFormatError, match="duplicate lines 2, 3.*Organisation_Code='RJ1'"):
        k.read(p)
    row = org_row("RJ1")
    row["Subject_Area_Waiting_Times"] = "*"                  # not published: missing, not 0
    p.write_text(text(ORG_HEAD, [row]))
    assert k.read(p)["complaints_waiting_times"].isna().all()


def test_one_site_code_with_two_names_is_two_sites(tmp_path):
    a, b = halves("RWF")
    b["Site_Code"] = a["Site_Code"]                          # RWFHQ: several names, one code
    p = write_zip(tmp_path / "ko41a.zip", [org_row("RWF")], [a, b])
    assert k.read(p)["sites"].tolist() == [2]
    p = write_zip(tmp_path / "dup.zip", [org_row("RWF")], [a, dict(a)])
    with pytest.raises(SourceFormatError, match="duplicate lines 2, 3"):
        k.read(p)


def test_no_subjects_recorded_is_flagged(tmp_path):
    row = org_row("RJ1")
    for c in k.COUNTS.values():
        if c.startswith("Subject_Area"):
            row[c] = 0
    p = tmp_path / "ko41a_org.csv"
    p.write_text(text(ORG_HEAD, [row]))
    df = k.read(p)
    assert not df["subjects_recorded"].iloc[0] and df.attrs["provenance"]["without_subjects"] == 1


def test_zip_without_the_organisation_table(tmp_path):
    p = tmp_path / "ko41a.zip"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("notes.txt", "nothing")
    with pytest.raises(SourceFormatError, match="no 'KO41a - Org Level' CSV"):
        k.read(p)


@pytest.mark.skipif(not REAL.exists(), reason="real KO41a 2024-25 zip not present "
                                              "(../shared/data/real/complaints_ko41a_2024_25)")
def test_real_organisation_totals_equal_their_sites():
    org = k.read(REAL)
    assert len(org) == 279 and org["provider_code"].is_unique
    check = org.attrs["provenance"]["site_check"]
    assert check["organisations_checked"] == 279 and check["mismatches"] == 0
    # the same, recomputed here from the site table
    sites = k.read_sites(REAL)
    summed = sites.groupby("provider_code")[list(k.COUNTS)].sum()
    mine = org.set_index("provider_code")[list(k.COUNTS)]
    assert (summed.loc[mine.index] == mine).all().all()
    assert org["sites"].sum() == len(sites) == 2869
    rj1 = org.set_index("provider_code").loc["RJ1"]
    assert (rj1["complaints_new"], rj1["complaints_waiting_times"]) == (1556, 88)
    acute = org[org["organisation_type"] == "Acute"]
    assert len(acute) == 134 and (acute["complaints_waiting_times"] > 0).sum() > 100
    assert (org["complaints_staffing_numbers"] > 0).sum() > 20
