"""NHS sickness absence by organisation and month: checks, and rates pooled as ratios of sums."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.data.sources import sickness_absence as sa
from workbench.errors import ArgumentError, SourceFormatError, SourceIncompleteError

REAL = (Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
        / "nhs_sickness_absence_monthly")
HEAD = ["DATE", "NHSE_REGION_CODE", "NHSE_REGION_NAME", "ICS_CODE", "ICS_NAME", "ORG_CODE",
        "ORG_NAME", "ORG_TYPE", "FTE_DAYS_LOST", "FTE_DAYS_AVAILABLE",
        "SICKNESS_ABSENCE_RATE_PERCENT"]


def line(code="RJ1", lost="5000.5", available="100000", rate="5", date="30/04/2024",
         name=None):
    return [date, "Y56", "London", "QKK", "South East London", code, name or f"Trust {code}",
            "Acute", lost, available, rate]


def write(path, rows, header=HEAD):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(header)
        w.writerows(rows)
    return path


def test_reads_one_row_per_organisation_month(tmp_path):
    p = write(tmp_path / "nhs_sickness_absence_2024-04.csv",
              [line(), line("rxl", "300", "10000", "3")])
    df = sa.read(p).set_index("provider_code")
    assert list(df.index) == ["RJ1", "RXL"]
    assert df.loc["RJ1", "fte_days_lost"] == 5000.5
    assert df.loc["RXL", "sickness_absence_pct"] == 3.0
    assert (df["period"] == pd.Timestamp("2024-04-01")).all()
    assert df.attrs["provenance"]["periods"] == ["2024-04"]


def test_published_rate_must_equal_days_lost_over_available(tmp_path):
    p = write(tmp_path / "a.csv", [line(), line("RXL", "300", "10000", "3.2")])
    with pytest.raises(SourceFormatError, match=r"line 3.*'RXL'.*3\.2%.*3\.0000%") as e:
        sa.read(p)
    assert e.value.column == "SICKNESS_ABSENCE_RATE_PERCENT"
    ok = write(tmp_path / "b.csv", [line("RXL", "301.5", "10000", "3.02")])    # 3.015 rounds
    assert sa.read(ok)["sickness_absence_pct"].tolist() == [3.02]


def test_bad_rows_are_named(tmp_path):
    with pytest.raises(SourceFormatError, match="100 days lost of 50 available") as e:
        sa.read(write(tmp_path / "a.csv", [line(lost="100", available="50", rate="200")]))
    assert e.value.column == "FTE_DAYS_LOST"
    with pytest.raises(SourceFormatError, match="'2024-04-30' on line 2"):
        sa.read(write(tmp_path / "b.csv", [line(date="2024-04-30")]))
    with pytest.raises(SourceFormatError, match="duplicate lines 2, 3.*ORG_CODE='RJ1'"):
        sa.read(write(tmp_path / "c.csv", [line(), line()]))
    header = [h if h != "FTE_DAYS_AVAILABLE" else "FTE DAYS AVAILABLE" for h in HEAD]
    with pytest.raises(SourceFormatError, match="FTE_DAYS_AVAILABLE"):
        sa.read(write(tmp_path / "d.csv", [line()], header=header))


def test_marks_are_missing_and_cut_rows_reported(tmp_path):
    df = sa.read(write(tmp_path / "a.csv", [line(lost="*"), line("RXL", "300", "10000", "3")]))
    assert np.isnan(df.set_index("provider_code").loc["RJ1", "fte_days_lost"])
    p = write(tmp_path / "b.csv", [line(), line("RXL", "300", "10000", "3")])
    p.write_text(p.read_text().rstrip("\r\n")[:-12])
    with pytest.raises(SourceIncompleteError, match="truncated"):
        sa.read(p)
    with pytest.warns(UserWarning, match="truncated"):
        assert sa.read(p, allow_incomplete=True)["provider_code"].tolist() == ["RJ1"]


def test_read_many_rejects_a_month_given_twice(tmp_path):
    a = write(tmp_path / "nhs_sickness_absence_2024-04.csv", [line()])
    b = write(tmp_path / "copy.csv", [line()])
    c = write(tmp_path / "nhs_sickness_absence_2024-05.csv", [line(date="31/05/2024")])
    assert len(sa.read_many([a, c])) == 2
    with pytest.raises(SourceFormatError, match="'RJ1' appears in more than one file for "
                                                "2024-04") as e:
        sa.read_many([a, b])
    assert "copy.csv" in str(e.value)


def test_pooled_rate_is_a_ratio_of_sums():
    t = pd.DataFrame({"provider_code": ["A", "A", "B", "B"],
                      "fte_days_lost": [10.0, 30.0, 5.0, np.nan],
                      "fte_days_available": [100.0, 1000.0, 100.0, 500.0]})
    assert sa.pooled_rate(t) == pytest.approx(100 * 45 / 1200)     # the NaN row left out
    assert sa.pooled_rate(t) != pytest.approx(t["fte_days_lost"].div(
        t["fte_days_available"]).mean() * 100)
    g = sa.pooled_rate(t, by="provider_code")
    assert g.loc["A", "sickness_absence_pct"] == pytest.approx(100 * 40 / 1100)
    assert g.loc["B", "rows"] == 1
    with pytest.raises(ArgumentError, match="'ORG'"):
        sa.pooled_rate(t, by="ORG")


@pytest.fixture(scope="module")
def real_months():
    files = sorted(REAL.glob("nhs_sickness_absence_*.csv")) if REAL.is_dir() else []
    if len(files) != 12:
        pytest.skip("real sickness absence files not present "
                    "(../shared/data/real/nhs_sickness_absence_monthly, 12 monthly CSVs)")
    return files


def test_real_pooled_rate_equals_days_lost_over_days_available(real_months):
    df = sa.read_many(real_months)
    assert df["period"].nunique() == 12 and df["period"].min() == pd.Timestamp("2024-04-01")
    # sums taken straight from the published files, not through the reader
    lost = available = 0.0
    rates = []
    for f in real_months:
        with open(f, newline="", encoding="utf-8-sig") as fh:
            for r in csv.DictReader(fh):
                lost += float(r["FTE_DAYS_LOST"])
                available += float(r["FTE_DAYS_AVAILABLE"])
                rates.append(float(r["SICKNESS_ABSENCE_RATE_PERCENT"]))
    assert len(df) == len(rates) == 3394
    assert sa.pooled_rate(df) == pytest.approx(100 * lost / available, rel=1e-12)
    assert abs(sa.pooled_rate(df) - np.mean(rates)) > 0.2       # a mean of rates is not it
    # per organisation over the year, and per month over organisations
    by_org = sa.pooled_rate(df, by="provider_code")
    rj1 = df[df["provider_code"] == "RJ1"]
    assert by_org.loc["RJ1", "sickness_absence_pct"] == pytest.approx(
        100 * rj1["fte_days_lost"].sum() / rj1["fte_days_available"].sum())
    assert by_org.loc["RJ1", "rows"] == 12
    by_month = sa.pooled_rate(df, by="period")["sickness_absence_pct"]
    assert by_month.between(4, 6.5).all()
