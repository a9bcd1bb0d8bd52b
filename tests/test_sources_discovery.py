"""Every published file of the staged folders has a reader; the later A&E months read as A&E."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from workbench.data import panel_files
from workbench.data.sources import ae

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
NEW = {"complaints_ko41a_2024_25": {"complaints_ko41a"},
       "nhs_sickness_absence_monthly": {"sickness_absence"},
       "adult_inpatient_survey_2022_trust": {"inpatient_survey"},
       "kh03_beds_overnight": {"kh03"},
       "ae_monthly_provider_more": {"ae"},
       "fft_national_summary": {"fft_summary"},
       "nhs_oversight_framework_mh_community": {"oversight_framework"}}


def test_every_kind_not_joined_has_a_reader():
    kinds = {r.kind: r for r in panel_files.RECOGNISERS}
    for kind in panel_files.NOT_JOINED:
        assert panel_files.reader_for(kinds[kind]) is not None, kind


def test_recognised_by_name_and_header(tmp_path):
    files = {"ko41a_2024_25.zip": b"PK", "Adult-Inpatient-Survey-2022.ods": b"x",
             "ftt-summary-apr-26.xlsx": b"x",
             "NHS Sickness Absence rates CSV, April 2024.csv":
                 b"DATE,ORG_CODE,FTE_DAYS_LOST,FTE_DAYS_AVAILABLE\r\n",
             "KH03-Occupied-Overnight-only.csv":
                 b"\xef\xbb\xbfOrganisation_Code,Sector,Number_Of_Beds,Effective_Snapshot_Date\r\n",
             "nof-league.csv": b"Quarter,Trust_code,Average_score\r\n",
             "SOURCE_download_manifest.csv": b"Dataset\r\n"}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    found, others = panel_files.discover(tmp_path)
    kinds = {p.name: r.kind for r, p in found}
    assert kinds == {"ko41a_2024_25.zip": "complaints_ko41a",
                     "Adult-Inpatient-Survey-2022.ods": "inpatient_survey",
                     "ftt-summary-apr-26.xlsx": "fft_summary",
                     "NHS Sickness Absence rates CSV, April 2024.csv": "sickness_absence",
                     "KH03-Occupied-Overnight-only.csv": "kh03",
                     "nof-league.csv": "oversight_framework"}
    assert [o["status"] for o in others] == ["not used"]          # the download record


@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/data/real not present")
def test_real_new_publications_all_have_readers():
    found, others = panel_files.discover(REAL)
    for folder, kinds in NEW.items():
        if not (REAL / folder).is_dir():
            continue
        mine = {r.kind for r, p in found if p.parent.name == folder}
        assert mine == kinds, folder
        lacking = [Path(o["path"]).name for o in others if Path(o["path"]).parent.name == folder
                   and o["status"] == "not recognised"]
        assert lacking == [], folder


@pytest.mark.skipif(not (REAL / "ae_monthly_provider_more").is_dir(),
                    reason="../shared/data/real/ae_monthly_provider_more not present")
def test_real_more_ae_months_read_by_the_ae_reader():
    months = {}
    for p in sorted((REAL / "ae_monthly_provider_more").glob("*.csv")):
        df = ae.read(p)
        assert df["provider_code"].is_unique and len(df) > 150
        months[p.name] = f"{df['period'].iloc[0]:%Y-%m}"
        assert (df["period"] == df["period"].iloc[0]).all()
        assert isinstance(df["period"].iloc[0], pd.Timestamp)
    assert months == {"Monthly-AE-April-2024-revised.csv": "2024-04",
                      "Monthly-AE-May-2024.csv": "2024-05",
                      "Monthly-AE-May-2026-CSV-F4flrg.csv": "2026-05"}
