"""FFT national headline figures: settings by month, the Total row checked, NHS/IS split if given."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from source_helpers import write_xlsx

from workbench.data.sources import fft_summary as fs
from workbench.errors import SourceFormatError, SourceIncompleteError

REAL = (Path(__file__).resolve().parents[2] / "shared" / "data" / "real" / "fft_national_summary"
        / "ftt-summary-apr-26.xlsx")
APR, MAR = dt.datetime(2026, 4, 1), dt.datetime(2026, 3, 1)
HEADER = [None, "FFT", "Number of organisations submitting", "Total responses to date",
          "Responses", None, "Percentage Positive", None, "Percentage Negative", None]
MONTHS = [None, None, APR, APR, APR, MAR, APR, MAR, APR, MAR]


def setting(name, orgs, to_date, apr, mar, pos=0.9, neg=0.05):
    return [None, name, orgs, to_date, apr, mar, pos, pos, neg, neg]


def headline_rows(extra=(), total=True, total_apr=None):
    rows = [[None, "Friends and Family Test - April 2026"], [None, "Headline Figures"], [],
            HEADER, MONTHS,
            setting("A&E", 125, 18676279, 123206, 119187, 0.802, 0.128),
            setting("Inpatient", 153, 27424707, 1179844, 195845, 0.95, 0.024),
            setting("Maternity  (Postnatal Ward)", 110, 1285312, 5232, 5066), *extra]
    if total:
        apr = total_apr or sum(r[4] for r in rows[5:] if r[1] not in ("NHS", "IS"))
        mar = sum(r[5] for r in rows[5:] if r[1] not in ("NHS", "IS"))
        rows.append([None, "Total", "N/A", 47386298, apr, mar, "N/A", "N/A", "N/A", "N/A"])
    return rows


def write(tmp_path, rows=None, name="ftt-summary-apr-26.xlsx"):
    return write_xlsx(tmp_path / name, {"Notes": [[None, "Friends and Family Test"]],
                                        "Headline figures": rows or headline_rows()})


def test_reads_settings_by_month(tmp_path):
    t = fs.read(write(tmp_path))
    apr = t[t.period == "2026-04-01"].set_index("setting")
    assert apr.loc["Inpatient", "pct_positive"] == pytest.approx(95.0)
    assert apr.loc["Inpatient", "responses"] == 1179844
    assert apr.loc["Inpatient", "organisations_submitting"] == 153
    assert "Maternity (Postnatal Ward)" in apr.index                 # spaces collapsed
    assert apr.loc[fs.ALL_SETTINGS, "responses"] == 1179844 + 123206 + 5232
    assert pd.isna(apr.loc[fs.ALL_SETTINGS, "pct_positive"])          # N/A
    mar = t[t.period == "2026-03-01"].set_index("setting")
    assert pd.isna(mar.loc["A&E", "organisations_submitting"])       # current month only
    assert mar.loc["A&E", "responses"] == 119187
    assert (t["submitters"] == "all").all()
    assert t.attrs["provenance"]["submitter_split"] is False


def test_total_must_equal_the_settings(tmp_path):
    p = write(tmp_path, headline_rows(total_apr=999))
    with pytest.raises(SourceIncompleteError, match="Total responses for April 2026 are 999 "
                                                    "but the settings sum to 1,308,282") as e:
        fs.read(p)
    assert e.value.sheet == "Headline figures" and e.value.column == "Responses"
    with pytest.warns(UserWarning, match="April 2026"):
        assert len(fs.read(p, allow_incomplete=True)) == 8
    with pytest.raises(SourceIncompleteError, match="no 'Total' row after the 3 setting rows"):
        fs.read(write(tmp_path, headline_rows(total=False), name="cut.xlsx"))


def test_nhs_and_independent_rows_split_their_setting(tmp_path):
    split = [[None, "NHS", 150, 27000000, 1170000, 190000, 0.95, 0.95, 0.02, 0.02],
             [None, "IS", 3, 424707, 9844, 5845, 0.97, 0.97, 0.01, 0.01]]
    rows = headline_rows()
    rows[7:7] = split                                      # under Inpatient
    t = fs.read(write(tmp_path, rows))
    ip = t[(t.setting == "Inpatient") & (t.period == "2026-04-01")].set_index("submitters")
    assert ip.loc["independent", "pct_positive"] == pytest.approx(97.0)
    assert ip.loc["nhs", "responses"] + ip.loc["independent", "responses"] == ip.loc[
        "all", "responses"]
    assert t.attrs["provenance"]["submitter_split"] is True
    rows[8][4] = 10000                                     # IS no longer adds up
    with pytest.raises(SourceIncompleteError, match="Inpatient: NHS and independent-sector"):
        fs.read(write(tmp_path, rows, name="bad.xlsx"))


def test_layout_errors(tmp_path):
    rows = headline_rows()
    rows[6][6] = 95                                        # a percentage, not a proportion
    with pytest.raises(SourceFormatError, match="95 in row 7 .Inpatient.") as e:
        fs.read(write(tmp_path, rows, name="a.xlsx"))
    assert e.value.column == "Percentage Positive"
    rows = headline_rows()
    rows[3] = [h if h != "Percentage Negative" else "Negative %" for h in HEADER]
    with pytest.raises(SourceFormatError, match="Percentage Negative"):
        fs.read(write(tmp_path, rows, name="b.xlsx"))
    rows = headline_rows()
    rows.insert(7, list(rows[6]))
    with pytest.raises(SourceFormatError, match="duplicate rows 7, 8 .*FFT='Inpatient'"):
        fs.read(write(tmp_path, rows, name="c.xlsx"))
    p = write_xlsx(tmp_path / "d.xlsx", {"Summary": headline_rows()})
    with pytest.raises(SourceFormatError, match="Headline figures.*the workbook has "
                                                r"\['Summary'\]"):
        fs.read(p)


@pytest.mark.skipif(not REAL.exists(), reason="real FFT summary not present "
                                              "(../shared/data/real/fft_national_summary)")
def test_real_headline_figures():
    t = fs.read(REAL)
    apr = t[t.period == "2026-04-01"].set_index("setting")
    assert len(apr) == 13 and set(t["period"].dt.strftime("%Y-%m")) == {"2026-03", "2026-04"}
    assert apr.loc["Inpatient", "pct_positive"] == pytest.approx(94.97, abs=0.01)
    assert apr.loc["A&E", "organisations_submitting"] == 125
    assert apr.loc[fs.ALL_SETTINGS, "responses"] == apr.drop(fs.ALL_SETTINGS)["responses"].sum()
    assert t.attrs["provenance"]["submitter_split"] is False       # this file has no split
    assert t["pct_positive"].dropna().between(70, 100).all()
