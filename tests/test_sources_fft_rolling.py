"""FFT monthly rolling totals: NHS and independent-sector submitters, checked month by month."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from source_helpers import write_xlsx

from workbench.data.sources import fft_rolling as fr
from workbench.errors import SourceFormatError, SourceIncompleteError

REAL = (Path(__file__).resolve().parents[2] / "shared" / "data" / "real" / "fft_national_rolling"
        / "Monthly_Rolling_Totals.xlsx")
HEAD = [fr.PERIOD, *(c for cols in fr.COLUMNS.values() for c in cols)]


def month(label, subs, to_date, monthly, pos, neg):
    """One row: (total, NHS, IS) submitters, to-date and monthly responses, % pos, % neg."""
    return [label, *subs, *to_date, *monthly, *pos, *neg]


def rolling_rows():
    return [HEAD,
            month("Mar-24", (153, 134, 19), (1000, 900, 100), (100, 90, 10),
                  (0.95, 0.94, 0.98), (0.03, 0.03, 0.01)),
            month("Apr-24", (152, 133, 19), (1200, 1080, 120), (200, 180, 20),
                  (0.95, 0.94, 0.98), (0.03, 0.03, 0.01))]


def write(tmp_path, rows=None, extra=None):
    sheets = {"IP": rows or rolling_rows(), "OP": []}
    sheets.update(extra or {})
    return write_xlsx(tmp_path / "Monthly_Rolling_Totals.xlsx", sheets)


def read_quiet(path, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t = fr.read(path, **kw)
    return t, [str(w.message) for w in caught]


def test_reads_nhs_and_independent_by_month(tmp_path):
    t, msgs = read_quiet(write(tmp_path))
    assert msgs == []
    apr = t[t.period == "2024-04-01"].set_index("submitters")
    assert list(apr.index) == ["all", "nhs", "independent"]
    assert apr.loc["independent", "pct_positive"] == pytest.approx(98.0)
    assert apr.loc["nhs", "responses"] == 180 and apr.loc["independent", "responses"] == 20
    assert (t["setting"] == "Inpatient").all() and t["consistent"].all()
    assert (t["pct_rounding_pp"] == 0.5).all()          # proportions published to 2 decimals
    prov = t.attrs["provenance"]
    assert prov["submitter_split"] is True and prov["empty_sheets"] == ["OP"]


def test_parts_must_add_to_the_total(tmp_path):
    rows = rolling_rows()
    rows[2][9] = 25                                  # independent monthly responses
    with pytest.raises(SourceIncompleteError) as e:
        fr.read(write(tmp_path, rows))
    assert "Apr-24" in str(e.value) and e.value.column == "Monthly total responses"
    t, msgs = read_quiet(write(tmp_path, rows), allow_incomplete=True)
    assert any("Apr-24" in m for m in msgs) and len(t) == 6


def test_to_date_grows_by_the_months_responses(tmp_path):
    rows = rolling_rows()
    rows[2][4:6] = [1300, 1180]                      # to date grew by 300, the month had 200
    with pytest.raises(SourceIncompleteError, match="grew by 300"):
        fr.read(write(tmp_path, rows))


def test_a_row_after_a_gap_that_adds_only_itself_is_left_out(tmp_path):
    rows = rolling_rows() + [month("Aug-25", (150, 150, 0), (1240, 1120, 120), (40, 40, 0),
                                   (1.0, 1.0, 0.0), (0.0, 0.0, 0.0))]
    t, msgs = read_quiet(write(tmp_path, rows))
    assert t["period"].max().strftime("%Y-%m") == "2024-04"
    assert any("Aug-25" in m and "left out" in m for m in msgs)
    assert t.attrs["provenance"]["rows_left_out"] == ["IP Aug-25"]


def test_a_total_that_cannot_be_a_mix_of_its_parts_is_flagged(tmp_path):
    rows = rolling_rows()
    rows[1][10:13] = [0.98, 0.94, 0.94]              # total 98% while both parts are 94%
    t, msgs = read_quiet(write(tmp_path, rows))
    assert not t.loc[t.period == "2024-03-01", "consistent"].any()
    assert t.loc[t.period == "2024-04-01", "consistent"].all()
    assert any("Mar-24" in m and "consistent=False" in m for m in msgs)


def test_no_setting_sheet_names_the_sheets_it_has(tmp_path):
    p = write_xlsx(tmp_path / "Monthly_Rolling_Totals.xlsx", {"Sheet1": rolling_rows()})
    with pytest.raises(SourceFormatError) as e:
        fr.read(p)
    assert e.value.sheet == "IP" and "Sheet1" in str(e.value)


@pytest.mark.skipif(not REAL.is_file(), reason=f"published FFT rolling totals not at {REAL}")
def test_real_file_april_2024_is_the_one_consistent_split():
    t, _ = read_quiet(REAL)
    ok = t[t["consistent"]]
    assert sorted({f"{p:%Y-%m}" for p in ok["period"]}) == ["2024-04"]
    apr = ok.set_index("submitters")
    assert apr.loc["independent", "pct_positive"] == pytest.approx(98.0)
    assert apr.loc["nhs", "pct_positive"] == pytest.approx(94.0)
    assert apr.loc["independent", "organisations_submitting"] == 19
    assert "2025-08" not in {f"{p:%Y-%m}" for p in t["period"]}      # the test row
    assert t.attrs["provenance"]["inconsistent_months"] == ["IP Jan-24", "IP Feb-24",
                                                            "IP Mar-24"]
