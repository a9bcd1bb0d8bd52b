"""NHS Oversight Framework (mental health and community trusts): metrics and league table."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from workbench.data.sources import oversight_framework as nof
from workbench.errors import SourceFormatError, SourceIncompleteError

REAL = (Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
        / "nhs_oversight_framework_mh_community")
METRICS_HEAD = [*nof.IDS, *nof.METRIC_TEXT, *nof.METRIC_NUMBERS]
LEAGUE_HEAD = [*nof.IDS, *nof.LEAGUE]


def metric(code="RYX", quarter="Q1 2025/26", mid="OF0082", value="4.9", rank="12.0",
           reporting="Jun-25"):
    return [quarter, "London", "Mental health and community trust", "Community", code,
            f"Trust {code}", "People and workforce", "Retention and culture", mid,
            "Sickness absence rate", reporting, "%", value, "5.1", "4.5", "5.6", rank]


def league(code="RYX", score="1.79", rng="1.29 to 2.35", rank="4.0", rank_rng="1 to 34",
           deficit="No"):
    return ["Q4 2025/26", "London", "Mental health and community trust", "Community", code,
            f"Trust {code}", score, rng, "1.0", deficit, rank, rank_rng]


def write(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(header)
        w.writerows(rows)
    return path


def test_metrics_one_row_per_quarter_trust_metric(tmp_path):
    p = write(tmp_path / "nof-trust-data.csv", METRICS_HEAD,
              [metric(), metric(quarter="Q4 2025/26", value="5.3", reporting="Q3 2025/26"),
               metric("RX2", rank="")])
    df = nof.read(p)
    ryx = df[df.provider_code == "RYX"].set_index("quarter")
    assert ryx.loc["Q1 2025/26", "value"] == 4.9
    assert str(ryx.loc["Q4 2025/26", "period"].date()) == "2026-01-01"
    assert ryx.loc["Q4 2025/26", "reporting_date"] == "Q3 2025/26"      # kept as published
    assert pd.isna(df.set_index("provider_code").loc["RX2", "rank"])
    assert df.attrs["provenance"]["metrics"] == {"OF0082": "Sickness absence rate (%)"}


def test_metric_errors_are_named(tmp_path):
    with pytest.raises(SourceFormatError, match="duplicate lines 2, 3.*Trust_code='RYX'.*"
                                                "Metric_ID='OF0082'"):
        nof.read(write(tmp_path / "a.csv", METRICS_HEAD, [metric(), metric()]))
    with pytest.raises(SourceFormatError, match="quarter 'Q5 2025/26' on line 2") as e:
        nof.read(write(tmp_path / "b.csv", METRICS_HEAD, [metric(quarter="Q5 2025/26")]))
    assert e.value.column == "Quarter"
    with pytest.raises(SourceFormatError, match="rank '0' on line 2"):
        nof.read(write(tmp_path / "c.csv", METRICS_HEAD, [metric(rank="0")]))
    with pytest.raises(SourceFormatError, match="text 'n/k'"):
        nof.read(write(tmp_path / "d.csv", METRICS_HEAD, [metric(value="n/k")]))
    p = write(tmp_path / "e.csv", METRICS_HEAD, [metric(), metric("RX2")])
    p.write_text(p.read_text(encoding="utf-8-sig").rstrip("\r\n")[:-20])
    with pytest.raises(SourceIncompleteError, match="truncated"):
        nof.read(p)


def test_league_table(tmp_path):
    p = write(tmp_path / "nof-league-table.csv", LEAGUE_HEAD,
              [league(), league("RX2", "3.22", "2.66 to 3.71", "60.0", "46 to 61", "Yes")])
    df = nof.read(p).set_index("provider_code")
    assert (df.loc["RYX", "average_score_low"], df.loc["RYX", "average_score_high"]) == (1.29,
                                                                                        2.35)
    assert (df.loc["RX2", "rank_low"], df.loc["RX2", "rank_high"]) == (46, 61)
    assert df.loc["RX2", "financial_deficit"] and not df.loc["RYX", "financial_deficit"]
    with pytest.raises(SourceFormatError, match="line 2: 4 outside '5 to 34'"):
        nof.read(write(tmp_path / "a.csv", LEAGUE_HEAD, [league(rank_rng="5 to 34")]))
    with pytest.raises(SourceFormatError, match="'1.29 - 2.35' on line 2"):
        nof.read(write(tmp_path / "b.csv", LEAGUE_HEAD, [league(rng="1.29 - 2.35")]))
    with pytest.raises(SourceFormatError, match="'Maybe'") as e:
        nof.read(write(tmp_path / "c.csv", LEAGUE_HEAD, [league(deficit="Maybe")]))
    assert e.value.column == "Trust_in_financial_deficit"


def test_quarter_start():
    assert [str(nof.quarter_start(f"Q{q} 2025/26").date()) for q in (1, 2, 3, 4)] == [
        "2025-04-01", "2025-07-01", "2025-10-01", "2026-01-01"]
    with pytest.raises(SourceFormatError):
        nof.quarter_start("Q1 2025/27")


@pytest.mark.skipif(not (REAL / "nof-mh-community-trust-data-q4-2025-26.csv").exists(),
                    reason="real NHS Oversight Framework files not present "
                           "(../shared/data/real/nhs_oversight_framework_mh_community)")
def test_real_metrics_and_league_table():
    m = nof.read(REAL / "nof-mh-community-trust-data-q4-2025-26.csv")
    assert len(m) == 8771 and m["provider_code"].nunique() == 61
    assert sorted(m["quarter"].unique()) == ["Q1 2025/26", "Q2 2025/26", "Q3 2025/26",
                                             "Q4 2025/26"]
    sick = m[(m.metric_id == "OF0082") & (m.quarter == "Q4 2025/26")]
    assert sick["units"].eq("%").all() and sick["value"].between(0, 15).all()
    assert len(sick) >= 55
    league_table = nof.read(REAL / "nof-mh-community-league-table-q4-2025-26.csv")
    ranks = league_table["rank"]
    assert len(league_table) == 61 and (ranks.min(), ranks.max()) == (1, 61)   # ties share
    assert ((league_table["rank_low"] <= ranks) & (ranks <= league_table["rank_high"])).all()
    assert set(league_table["provider_code"]) <= set(m["provider_code"])
