"""Staff Survey organisational results 2021-24: one row per ODS code x year, checks."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from workbench.data.sources import staff_survey_trust as st
from workbench.errors import SourceFormatError, SourceIncompleteError

REAL = (Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
        / "nhs_staff_survey_trust_2021_24" / "data_trusts_well-being_organisational_results.csv")
COLS = list(st.IDS) + ["Respondents"] + [c for r in st.RATES.values() for c in (r, st.BASES[r])]
MH = ("Mental Health & Learning Disability and Mental Health, Learning Disability & "
      "Community Trusts")


def line(code="TAD", year="2024", group=MH, rate="31.5", respondents="1500"):
    return [code, year, "Bradford District Care NHS FT", group, "-", "Occupation Group",
            respondents] + [rate, "1400"] * 6


def write(path, rows, header=COLS):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def test_reads_measures_and_group(tmp_path):
    p = write(tmp_path / "r.csv", [line(), line(code="RX6", year="2023",
                                                group="Ambulance Trusts", rate="40")])
    df = st.read(p).set_index(["provider_code", "year"])
    tad = df.loc[("TAD", 2024)]
    assert tad["benchmarking_group"] == MH and tad["respondents"] == 1500
    assert tad["staff_enough_staff_pct"] == 31.5 and tad["staff_enough_staff_base"] == 1400
    assert df.loc[("RX6", 2023), "staff_burnout_pct"] == 40
    assert tad["region"] is None  # "-" is not published


def test_marks_are_missing(tmp_path):
    df = st.read(write(tmp_path / "r.csv", [line(rate="*")]))
    assert df[list(st.RATES)].isna().all().all()


def test_renamed_column_named(tmp_path):
    header = [c if c != "Enough_staff_rate" else "Enough staff %" for c in COLS]
    with pytest.raises(SourceFormatError, match="Enough_staff_rate") as e:
        st.read(write(tmp_path / "r.csv", [line()], header=header))
    assert "r.csv" in str(e.value)


def test_duplicate_lines_named(tmp_path):
    with pytest.raises(SourceFormatError, match="duplicate lines 2, 3.*ODS code='TAD'.*"
                                                "Year='2024'"):
        st.read(write(tmp_path / "r.csv", [line(), line()]))


def test_rate_out_of_range_and_bad_year(tmp_path):
    with pytest.raises(SourceFormatError, match="'Enough_staff_rate'.*'130'.*line 2"):
        st.read(write(tmp_path / "a.csv", [line(rate="130")]))
    with pytest.raises(SourceFormatError, match="'Year'.*'2024/25'"):
        st.read(write(tmp_path / "b.csv", [line(year="2024/25")]))


def test_cut_last_row(tmp_path):
    p = write(tmp_path / "r.csv", [line(), line(code="RX6")])
    p.write_text(p.read_text().rstrip("\r\n").rsplit(",", 5)[0])
    with pytest.raises(SourceIncompleteError, match="truncated"):
        st.read(p)
    with pytest.warns(UserWarning, match="truncated"):
        assert st.read(p, allow_incomplete=True)["provider_code"].tolist() == ["TAD"]


@pytest.mark.skipif(not REAL.exists(), reason="real staff survey 2021-24 file not present "
                                              "(../shared/data/real/nhs_staff_survey_trust_2021_24)")
def test_real_every_year_has_its_organisations():
    with open(REAL, newline="", encoding="utf-8-sig") as fh:
        published = Counter(int(r["Year"]) for r in csv.DictReader(fh))
    df = st.read(REAL)
    assert df.groupby("year").size().to_dict() == published == {
        2021: 280, 2022: 264, 2023: 268, 2024: 263}
    tad = df[df.provider_code == "TAD"]
    assert len(tad) == 4 and tad["benchmarking_group"].str.startswith("Mental Health").all()
    assert df["staff_enough_staff_pct"].between(0, 100).all()


def test_fractional_count_and_future_year_refused(tmp_path):
    with pytest.raises(SourceFormatError, match=r"count 1,500.5 in row 2 is not a whole "
                                                "number") as e:
        st.read(write(tmp_path / "r.csv", [line(respondents="1500.5")]))
    assert e.value.column == "Respondents"
    with pytest.raises(SourceFormatError, match="survey year 2035 is in the future") as e:
        st.read(write(tmp_path / "f.csv", [line(), line(code="RX6", year="2035")]))
    assert e.value.column == "Year"
