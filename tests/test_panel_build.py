"""panel.build(): discover files, read, join on provider x month, validate, write atomically."""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from test_sources_cqc import api_rows, ratings
from test_sources_fft import ip_rows, write_fft
from test_sources_ods import write_etr
from test_sources_staff_survey import write_survey
from test_sources_workforce import write_workforce

from workbench.data import panel as P
from workbench.data import panel_files as PF
from workbench.data import panel_join as PJ
from workbench.data.cli_data import add_parser, cmd_build
from workbench.errors import ConflictingValuesError, SourceFormatError

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"

WF_ROWS = [
    ("2017-SEP", "RJ1", "Guy's", "Nurses & health visitors", "British", 4000.0),
    ("2017-SEP", "RJ1", "Guy's", "HCHS doctors", "British", 2000.0),
    ("2017-SEP", "RXL", "Blackpool", "Nurses & health visitors", "British", 1500.0),
    ("2018-JUN", "RJ1", "Guy's", "Nurses & health visitors", "British", 4200.0),
]
SURVEY = ['"",2015,NA,NA,NA,NA,NA,NA,NA,NA,NA,0.69,NA',
          '"RJ1",2017,0.71,0.8,0.8,0.75,0.6,3000,0.45,1.0,0.98,0.7,0.35',
          '"RXL",2017,0.68,0.8,0.8,0.70,0.6,3000,0.45,1.0,0.98,0.7,0.38']
FFT = [("QKK", "RJ1", "GUY'S", 1000, 4000, 0.95, 0.02, [700, 250, 20, 10, 10, 10]),
       ("QE1", "NT2", "NUFFIELD HEALTH", 200, 400, 0.9, 0.05, [120, 60, 10, 5, 5, 0])]


def make_folder(root: Path) -> Path:
    (root / "ods").mkdir(parents=True)
    (root / "wf").mkdir()
    write_etr(root / "ods" / "etr.csv")
    write_workforce(root / "wf" / ("hchs-staff-by-staff-group-nationality-and-organisation-"
                                   "september-2017-and-june-2018.xlsx"), rows=WF_ROWS)
    write_survey(root / "data.NHS.2015_2019.csv", SURVEY)
    cqc = api_rows()
    cqc.loc[2, "odsCode"] = "RJ1"
    cqc.loc[2, "currentRatings"] = ratings("Outstanding", Caring="Outstanding",
                                          Responsive="Good")
    cqc.to_csv(root / "cqc_locations_2017-09.csv", index=False)
    write_fft(root / "FFT-inpatient-data-September-2017.xlsx", rows=ip_rows(FFT))
    (root / "DERIVED_copy.csv").write_text("a,b\n1,2\n")
    (root / "notes.txt").write_text("hello")
    return root


@pytest.fixture
def folder(tmp_path):
    return make_folder(tmp_path / "raw")


def test_build_joins_sources_on_provider_and_month(folder, tmp_path):
    out = tmp_path / "processed" / "panel.parquet"
    res = P.build(folder, out=out)
    p = res.panel.set_index(["provider_code", "period"])
    rj1 = p.loc[("RJ1", pd.Timestamp("2017-09-01"))]
    assert rj1["nurse_fte"] == 4000 and rj1["staff_fte"] == 6000
    assert rj1["staff_engagement"] == pytest.approx(7.1)
    assert rj1["fft_pct_positive"] == pytest.approx(95.0) and rj1["fft_positive"] == 950
    assert rj1["cqc_overall"] == "Outstanding" and rj1["cqc_caring"] == "Outstanding"
    assert rj1["provider_name"] == "GUY'S AND ST THOMAS' NHS FOUNDATION TRUST"  # from ODS
    assert (rj1["sector"], rj1["ownership"], rj1["region"]) == ("nhs", "nhs", "London")
    assert rj1["setting"] == "acute"  # the CQC record's inspection category
    assert p.loc[("RJ1", pd.Timestamp("2018-06-01")), "nurse_fte"] == 4200
    nt2 = p.loc[("NT2", pd.Timestamp("2017-09-01"))]  # in no register: unknown, not guessed
    assert nt2["sector"] == "unknown" and nt2["setting"] == "unknown"
    assert pd.isna(nt2["ownership"]) and "NT2" in res.provenance["sector_unknown"]
    assert "NT2" in res.summary()
    assert pd.isna(nt2["nurse_fte"])
    home = p.loc[("VM44K", pd.Timestamp("2017-09-01"))]
    assert home["setting"] == "care_home" and home["cqc_overall"] == "Good"
    assert ("VL7CG", pd.Timestamp("2017-09-01")) not in p.index  # deregistered location
    assert res.panel["cqc_overall"].cat.ordered
    # outputs on disk
    back = pd.read_parquet(out)
    assert len(back) == len(res.panel) and set(back.columns) == set(res.panel.columns)
    cov = pd.read_csv(res.coverage_path)
    row = cov[(cov["provider_code"] == "RJ1") & (cov["period"] == "2017-09-01")].iloc[0]
    assert bool(row["staffing"]) and bool(row["satisfaction"]) and not bool(row["waiting"])
    assert "nurse_fte" in row["measures"] and "cqc_overall" in row["measures"]
    prov = json.loads(res.provenance_path.read_text())
    status = {Path(i["path"]).name: i["status"] for i in prov["inputs"]}
    assert status["etr.csv"] == "read" and status["FFT-inpatient-data-September-2017.xlsx"] == "read"
    assert status["DERIVED_copy.csv"] == "not used" and status["notes.txt"] == "not recognised"
    read = [i for i in prov["inputs"] if i["status"] == "read"]
    assert all(len(i["provenance"]["sha256"]) == 64 for i in read)
    assert prov["providers_by_sector"] == {"independent": 2, "nhs": 2, "unknown": 1}
    hidden = sorted(p.name for p in out.parent.iterdir() if p.name.startswith("."))
    assert hidden[0] == ".panel.build-" + hidden[0].split("-", 1)[1] and len(hidden) == 2
    assert hidden[1] == ".panel.current"  # one build folder and the link to it, no .part


def test_failure_writes_nothing_and_keeps_previous_panel(folder, tmp_path):
    out = tmp_path / "processed" / "panel.parquet"
    P.build(folder, out=out)

    def state():
        return {p.relative_to(out.parent).as_posix(): p.read_bytes()
                for p in sorted(out.parent.rglob("*")) if p.is_file()}

    before = state()
    bad = list(FFT)
    bad[0] = bad[0][:3] + ("lots",) + bad[0][4:]
    write_fft(folder / "FFT-inpatient-data-October-2017.xlsx", rows=ip_rows(bad))
    with pytest.raises(SourceFormatError, match="October-2017.*Total Responses"):
        P.build(folder, out=out)
    assert state() == before
    fresh = tmp_path / "other" / "panel.parquet"
    with pytest.raises(SourceFormatError):
        P.build(folder, out=fresh)
    assert not fresh.parent.exists()  # nothing at all, not even the folder


def test_source_without_its_reader_is_skipped(folder, tmp_path, monkeypatch):
    recs = tuple(replace(r, module="workbench.data.sources.not_written_yet")
                 if r.kind == "fft" else r for r in PF.RECOGNISERS)
    monkeypatch.setattr(PF, "RECOGNISERS", recs)
    res = P.build(folder, out=tmp_path / "panel.parquet")
    skipped = [i for i in res.inputs if i["status"] == "skipped"]
    assert [Path(i["path"]).name for i in skipped] == ["FFT-inpatient-data-September-2017.xlsx"]
    assert "not available" in skipped[0]["reason"]
    assert "fft_pct_positive" not in res.panel.columns


def _tables(a_values, b_values):
    key = {"provider_code": ["RJ1", "RXL"], "period": pd.to_datetime(["2025-06-01"] * 2)}
    a = pd.DataFrame({**key, "ae_attendances": a_values})
    b = pd.DataFrame({**key, "ae_attendances": b_values, "ae_over_4h": [1.0, 2.0]})
    return [PJ.Table("ae", "Monthly-AE-June-2025.csv", a),
            PJ.Table("ae_workbook", "June-2025-AE-by-provider.xlsx", b)]


def test_combine_fills_gaps_and_accepts_equal_values():
    out, resolved = PJ.combine(_tables([100.0, None], [100.0 + 1e-12, 50.0]))
    assert out["ae_attendances"].tolist() == [100.0, 50.0]
    assert out["ae_over_4h"].tolist() == [1.0, 2.0]
    assert resolved == []


def test_combine_conflict_names_both_files_and_values():
    with pytest.raises(ConflictingValuesError) as err:
        PJ.combine(_tables([100.0, None], [90.0, 50.0]))
    msg = str(err.value)
    assert "Monthly-AE-June-2025.csv" in msg and "June-2025-AE-by-provider.xlsx" in msg
    assert "'RJ1'" in msg and "2025-06" in msg and "ae_attendances" in msg
    assert "100.0" in msg and "90.0" in msg and "--prefer" in msg
    assert err.value.files == ("Monthly-AE-June-2025.csv", "June-2025-AE-by-provider.xlsx")


@pytest.mark.parametrize("prefer, kept", [(["ae_workbook"], 90.0), (["ae"], 100.0),
                                          (["June-2025-AE-by-provider.xlsx", "ae"], 90.0)])
def test_combine_precedence_decides_and_is_recorded(prefer, kept):
    out, resolved = PJ.combine(_tables([100.0, None], [90.0, 50.0]), prefer)
    assert out["ae_attendances"].tolist() == [kept, 50.0]
    assert resolved[0]["measure"] == "ae_attendances" and resolved[0]["cells"] == 1


def test_only_one_staff_survey_file_is_used(folder, tmp_path):
    header = '"Code","Year.Index","Engagement.Index","RecommendCare.Index.dichot","WorkStress.Index"\n'
    write_survey(folder / "data.NHS.2012_2019.csv", ['"RJ1",2014,3.9,0.7,0.37'], header=header)
    res = P.build(folder, out=tmp_path / "panel.parquet")
    unused = {Path(i["path"]).name: i for i in res.inputs if i["status"] == "not used"}
    assert "engagement scales" in unused["data.NHS.2012_2019.csv"]["reason"]
    assert (res.panel["period"] == pd.Timestamp("2014-09-01")).sum() == 0


def test_empty_folder_and_missing_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceFormatError, match="no source file"):
        P.build(tmp_path / "empty", out=tmp_path / "panel.parquet")
    with pytest.raises(SourceFormatError, match="not a folder"):
        P.build(tmp_path / "nope", out=tmp_path / "panel.parquet")
    assert not (tmp_path / "panel.parquet").exists()


def test_cli_build(folder, tmp_path, capsys):
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    out = tmp_path / "p.parquet"
    args = parser.parse_args(["data", "build", "--from", str(folder), "--out", str(out)])
    assert cmd_build(args) == 0
    text = capsys.readouterr().out
    assert "Providers by sector: independent 2, nhs 2, unknown 1" in text and out.exists()
    assert "Sector not settled by any register (1): NT2" in text


def _link_real(tmp_path, names):
    files = [REAL / n for n in names]
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        pytest.skip(f"real files not present (../shared/data/real): {missing}")
    d = tmp_path / "real"
    d.mkdir()
    for f in files:
        os.symlink(f, d / f.name)
    return d


def test_real_staffing_and_ae_panel(tmp_path):
    """Workforce, staff survey, NHSR A&E and ODS lists: the 2016-2018 staffing panel."""
    d = _link_real(tmp_path, [
        ("nhs_workforce_hchs_by_org/hchs-staff-by-staff-group-nationality-and-organisation-"
         "september-2017-and-june-2018_ah2324.xlsx"),
        "nhs_staff_survey_trust_ebmgt/data.NHS.2015_2019.csv",
        "ae_attendances_nhsr/ae_attendances.csv",
        "ods_reference/etr.csv", "ods_reference/etrust_2018.csv.gz",
        "nhs_staff_survey_trust_2021_24/data_trusts_well-being_organisational_results.csv"])
    res = P.build(d, out=tmp_path / "panel.parquet")
    p = res.panel
    sep17 = p[p["period"] == "2017-09-01"]
    both = sep17.dropna(subset=["nurse_fte", "staff_engagement", "ae_pct_within_4h"])
    assert len(both) >= 100  # NHS acute trusts with staffing, engagement and A&E
    assert (both["sector"] == "nhs").all()
    # setting from the survey's benchmarking group; trusts merged before 2021 are unknown
    assert (both["setting"] == "acute").mean() > 0.8
    assert not both["setting"].isin(["mental_health", "ambulance"]).any()
    assert p.loc[p["nurse_fte"].notna(), "sector"].isin(["nhs", "unknown"]).all()
    assert set(p["sector"]) <= {"nhs", "independent", "unknown"}
    assert set(res.provenance["sector_unknown"]) == set(
        p.loc[p["sector"] == "unknown", "provider_code"])
    assert p["period"].min() == pd.Timestamp("2015-09-01")
    assert res.provenance["providers_by_sector"]["nhs"] > 200


@pytest.mark.slow
def test_real_full_build(tmp_path):
    if not REAL.exists():
        pytest.skip("../shared/data/real not present")
    res = P.build(REAL, out=tmp_path / "panel.parquet")
    p = res.panel
    assert {"rtt_median_weeks", "ae_pct_within_4h", "nurse_fte", "staff_engagement",
            "cqc_overall"} <= set(p.columns)
    rtt = p.dropna(subset=["rtt_waiting_list"])
    assert {"nhs", "independent"} <= set(rtt["sector"])
    assert res.provenance["precedence_applied"] == []
    wb = p.dropna(subset=["rtt_nonadmitted_median_weeks"])
    assert set(wb["sector"]) == {"nhs", "independent"}
    assert set(wb["period"]) == {pd.Timestamp("2025-09-01")}
