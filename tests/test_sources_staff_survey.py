"""NHS Staff Survey by trust: tidied files, the 0-10 conversions, and official tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from workbench.data.sources import staff_survey
from workbench.errors import SourceFormatError

REAL = (Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
        / "nhs_staff_survey_trust_ebmgt")
HEADER = ('"Code","Year.index","Engagement","FreedomSpeak","Openness","RecommendCare",'
          '"RecommendWork","Responses","rr","SHMI.before","SHMI.index",'
          '"Survey.clinical.proportion","WorkStress"\n')


def write_survey(path: Path, rows: list[str], header: str = HEADER, encoding="utf-8") -> Path:
    path.write_bytes((header + "".join(r + "\n" for r in rows)).encode(encoding))
    return path


ROWS = ['"",2015,NA,NA,NA,NA,NA,NA,NA,NA,NA,0.69,NA',
        '"RJ1",2017,0.71,0.8,0.8,0.75,0.6,3000,0.45,1.0,0.98,0.7,0.35',
        '"RJ1",2018,0.72,0.8,0.8,0.77,0.6,3100,0.46,0.98,0.97,0.7,0.36',
        '"R0A",2017,NA,NA,NA,NA,NA,6978,NA,NA,0.97,NA,NA']


def real(name):
    p = REAL / name
    if not p.exists():
        pytest.skip(f"real staff-survey file {p} not present (../shared/data/real)")
    return p


def test_tidied_file_converted_and_dated(tmp_path):
    df = staff_survey.read(write_survey(tmp_path / "data.NHS.2015_2019.csv", ROWS))
    assert df.columns.tolist() == staff_survey.OUT_COLUMNS
    assert df["provider_code"].tolist() == ["RJ1", "RJ1"]  # blank code and SHMI-only row gone
    row = df.iloc[0]
    assert row["staff_engagement"] == pytest.approx(7.1)
    assert row["staff_recommend_care_pct"] == pytest.approx(75.0)
    assert row["staff_work_stress_pct"] == pytest.approx(35.0)
    assert row["period"] == pd.Timestamp("2017-09-01")
    assert df.attrs["provenance"]["engagement_scale"] == "proportion_x10"
    assert staff_survey.read(tmp_path / "data.NHS.2015_2019.csv", month=11)["period"].iloc[0] \
        == pd.Timestamp("2017-11-01")


def test_real_2015_2019_file():
    df = staff_survey.read(real("data.NHS.2015_2019.csv"))
    raw = pd.read_csv(REAL / "data.NHS.2015_2019.csv")
    assert len(df) == 634 and df["provider_code"].str.len().ge(3).all()
    per_year = df.dropna(subset=["staff_engagement"]).groupby("year").size()
    assert per_year.to_dict() == {2015: 120, 2016: 122, 2017: 127, 2018: 132, 2019: 133}
    merged = df.merge(raw, left_on=["provider_code", "year"], right_on=["Code", "Year.index"])
    assert (merged["staff_engagement"] - 10 * merged["Engagement"]).abs().max() < 1e-12
    assert (merged["staff_work_stress_pct"] - 100 * merged["WorkStress"]).abs().max() < 1e-12
    assert df["staff_engagement"].between(0, 10).all()


def test_real_2012_2019_file_uses_official_conversion():
    df = staff_survey.read(real("data.NHS.2012_2019.csv"))
    raw = pd.read_csv(REAL / "data.NHS.2012_2019.csv")
    merged = df.merge(raw, left_on=["provider_code", "year"], right_on=["Code", "Year.Index"])
    expect = (merged["Engagement.Index"] - 1) * 2.5
    assert (merged["staff_engagement"] - expect).abs().max() < 1e-12
    assert df.attrs["provenance"]["engagement_scale"] == "mean_1_5_to_0_10"
    assert sorted(df["year"].unique()) == list(range(2012, 2020))


def test_official_table_header_found(tmp_path):
    p = tmp_path / "nss.xlsx"
    rows = [["NHS Staff Survey 2023 results", None, None], [None, None, None],
            ["Organisation name", "Organisation code", "Staff Engagement"],
            ["Guy's", "RJ1", 7.05], ["Blackpool", "RXL", 6.8], ["Average", None, 6.9]]
    with pd.ExcelWriter(p) as w:
        pd.DataFrame([["About"]]).to_excel(w, sheet_name="Notes", index=False, header=False)
        pd.DataFrame(rows).to_excel(w, sheet_name="Themes", index=False, header=False)
    df = staff_survey.read_benchmark(p, year=2023)
    assert df["provider_code"].tolist() == ["RJ1", "RXL"]
    assert df["staff_engagement"].tolist() == [7.05, 6.8]
    assert df["period"].iloc[0] == pd.Timestamp("2023-09-01")
    assert df.attrs["provenance"]["sheet"] == "Themes"
    with pytest.raises(SourceFormatError, match="sheet 'Scores'"):
        staff_survey.read_benchmark(p, year=2023, sheet="Scores")
    with pytest.raises(SourceFormatError, match="Staff Engagement"):
        staff_survey.read_benchmark(p, year=2023, sheet="Notes")


def test_official_table_out_of_scale(tmp_path):
    p = tmp_path / "nss.xlsx"
    pd.DataFrame([["Code", "Staff Engagement"], ["RJ1", 71.0]]).to_excel(
        p, index=False, header=False)
    with pytest.raises(SourceFormatError, match="out of range") as err:
        staff_survey.read_benchmark(p, year=2023)
    assert err.value.column == "Staff Engagement"


def test_empty_file(tmp_path):
    p = tmp_path / "data.NHS.2015_2019.csv"
    p.write_bytes(b"")
    with pytest.raises(SourceFormatError, match="empty"):
        staff_survey.read(p)


def test_truncated_file(tmp_path):
    p = write_survey(tmp_path / "data.NHS.2015_2019.csv", ROWS[:2] + ['"RJ1",2018,0.72,0.8'])
    with pytest.raises(SourceFormatError, match="truncated"):
        staff_survey.read(p)


def test_renamed_column(tmp_path):
    p = write_survey(tmp_path / "s.csv", ROWS, header=HEADER.replace("WorkStress", "Stress"))
    with pytest.raises(SourceFormatError, match="missing column") as err:
        staff_survey.read(p)
    assert err.value.column == "WorkStress"


def test_missing_engagement_column(tmp_path):
    p = write_survey(tmp_path / "s.csv", ['"RJ1",2017,0.75'], header='"Code","Year.index","X"\n')
    with pytest.raises(SourceFormatError, match="Engagement"):
        staff_survey.read(p)


def test_text_in_numeric_column(tmp_path):
    rows = [ROWS[1].replace("0.71", "high")]
    with pytest.raises(SourceFormatError, match="'high'") as err:
        staff_survey.read(write_survey(tmp_path / "s.csv", rows))
    assert err.value.column == "Engagement"


def test_proportion_out_of_range(tmp_path):
    rows = [ROWS[1].replace("0.71", "7.1")]
    with pytest.raises(SourceFormatError, match="out of range"):
        staff_survey.read(write_survey(tmp_path / "s.csv", rows))


def test_bad_year_and_duplicates(tmp_path):
    with pytest.raises(SourceFormatError, match="Year.index"):
        staff_survey.read(write_survey(tmp_path / "a.csv", [ROWS[1].replace("2017", "17.5")]))
    with pytest.raises(SourceFormatError, match="duplicate rows 2, 3 .*Code='RJ1'"):
        staff_survey.read(write_survey(tmp_path / "b.csv", [ROWS[1], ROWS[1]]),
                          allow_incomplete=True)


def test_cp1252_file_is_read(tmp_path):
    header = HEADER.replace('"WorkStress"', '"WorkStress","Name"')
    rows = [ROWS[1] + ',"St Thomas\u2019"']
    df = staff_survey.read(write_survey(tmp_path / "s.csv", rows, header, encoding="cp1252"))
    assert df["staff_engagement"].iloc[0] == pytest.approx(7.1)


def test_workbook_passed_to_read(tmp_path):
    p = tmp_path / "nss.xlsx"
    pd.DataFrame([[1]]).to_excel(p)
    with pytest.raises(SourceFormatError, match="read_benchmark"):
        staff_survey.read(p)
