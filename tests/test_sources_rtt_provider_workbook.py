"""RTT provider workbooks: title block, both sheets, bands, totals and the C_999 check."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from source_helpers import write_xlsx

from workbench.data.sources import rtt_provider_workbook as wb
from workbench.errors import IncompleteSourceWarning, SourceFormatError, SourceIncompleteError

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real" / "rtt_provider_workbook"
REAL_FILES = sorted(REAL.glob("*Provider*.xlsx")) if REAL.exists() else []

BANDS = [f">{k}-{k + 1}" for k in range(104)] + ["104 plus"]
TAIL = ["Patients with unknown clock start date", "Total number of completed pathways (all)",
        "Total number of completed pathways (with a known clock start)",
        "Average (median) waiting time (in weeks)", "95th percentile waiting time (in weeks)",
        "Total 52 plus weeks", "Total 78 plus weeks", "Total 65 plus weeks"]
HEADER = [None, "Region Code", "Provider Code", "Provider Name", "Treatment Function Code",
          "Treatment Function", *BANDS, *TAIL]


def title(summary="completed non-admitted pathways", period="September 2025"):
    return [[None, "Title:", "Referral to Treatment (RTT) Waiting Times"],
            [None, "Summary:", f"Monthly Referral to Treatment (RTT) waiting times for {summary}."],
            [], [None, "Period:", period], [None, "Basis:", "Provider"], [],
            [None, "Provider Level Data"]]


def row(code, name, tf, counts: dict[int, float], unknown=0.0, median=2.5, p95="-"):
    bands = [float(counts.get(k, 0.0)) for k in range(105)]
    known = sum(bands)
    over = [sum(bands[52:]), sum(bands[78:]), sum(bands[65:])]
    return [None, "Y62", code, name, tf, "Service", *bands, unknown, known + unknown, known,
            median, p95, *over]


def provider(code, name, parts: list[dict[int, float]]):
    rows = [row(code, name, f"C_{100 + i}", c) for i, c in enumerate(parts)]
    total: dict[int, float] = {}
    for c in parts:
        for k, v in c.items():
            total[k] = total.get(k, 0.0) + v
    return rows + [row(code, name, "C_999", total, median=3.0)]


def sheets(**kw):
    nhs = provider("TAD", "BRADFORD DISTRICT CARE NHS FOUNDATION TRUST",
                   [{0: 5, 3: 10, 20: 4}, {1: 6, 60: 1}])
    ind = provider("R1G7E", "SPAMEDICA KENDAL", [{0: 30, 2: 16}, {}])
    return {"Provider": title(**kw) + [HEADER] + nhs,
            "IS Provider": title(**kw) + [HEADER] + ind,
            "Notes": [["notes"]]}


@pytest.fixture
def book(tmp_path):
    return write_xlsx(tmp_path / "NonAdmitted-Provider-Sep25-XLSX-4M-1.xlsx", sheets())


def test_reads_both_sheets_tagged_with_their_sheet(book):
    df = wb.read(book)
    assert df.groupby("sheet")["provider_code"].unique().map(list).to_dict() == {
        "IS Provider": ["R1G7E"], "Provider": ["TAD"]}
    assert set(df["pathway"]) == {"completed_non_admitted"}
    assert set(df["period"]) == {pd.Timestamp("2025-09-01")}
    tad = df[(df.provider_code == "TAD") & (df.treatment_function_code == "C_999")].iloc[0]
    assert tad["total_all"] == 26 and tad["within_18w"] == 21 and tad["over_52w"] == 1
    assert tad["pct_within_18w"] == pytest.approx(100 * 21 / 26)
    assert tad["median_weeks"] == 3.0 and np.isnan(tad["p95_weeks"])  # '-' is missing
    assert df.attrs["provenance"]["providers_by_sheet"] == {"Provider": 1, "IS Provider": 1}


def test_long_bands_and_panel_measures(book):
    df = wb.read(book)
    long = wb.bands_long(df)
    assert len(long) == len(df) * 105
    tad = long[(long.provider_code == "TAD") & (long.treatment_function_code == "C_999")]
    assert tad["pathways"].sum() == 26 and tad["weeks_to"].isna().sum() == 1
    pm = wb.provider_measures(df).set_index("provider_code")
    assert pm.loc["R1G7E", "sheet"] == "IS Provider"
    assert pm.loc["TAD", "rtt_nonadmitted_completed"] == 26
    assert pm.loc["TAD", "rtt_nonadmitted_median_weeks"] == 3.0


@pytest.mark.parametrize("summary, kind", [("completed admitted pathways", "completed_admitted"),
                                           ("incomplete pathways", "incomplete")])
def test_pathway_kind_from_title_block(tmp_path, summary, kind):
    p = write_xlsx(tmp_path / "x.xlsx", sheets(summary=summary))
    df = wb.read(p)
    assert set(df["pathway"]) == {kind}
    if kind == "incomplete":
        assert "rtt_median_weeks" in wb.provider_measures(df).columns


def test_wrong_or_missing_sheet_is_named(tmp_path):
    s = sheets()
    s["Independent"] = s.pop("IS Provider")
    p = write_xlsx(tmp_path / "x.xlsx", s)
    with pytest.raises(SourceFormatError, match="sheet 'IS Provider'.*has.*Independent") as e:
        wb.read(p)
    assert str(p) in str(e.value)


def test_renamed_column_is_named(tmp_path):
    s = sheets()
    s["Provider"][7] = [c if c != "Average (median) waiting time (in weeks)" else "Median"
                        for c in s["Provider"][7]]
    with pytest.raises(SourceFormatError, match="sheet 'Provider'.*Average \\(median\\)"):
        wb.read(write_xlsx(tmp_path / "x.xlsx", s))


def test_no_title_period(tmp_path):
    s = sheets()
    s["IS Provider"][3] = []
    with pytest.raises(SourceFormatError, match="IS Provider.*Period:"):
        wb.read(write_xlsx(tmp_path / "x.xlsx", s))


def test_duplicate_rows_name_sheet_rows_and_key(tmp_path):
    s = sheets()
    s["Provider"].insert(9, list(s["Provider"][8]))
    with pytest.raises(SourceFormatError, match=r"duplicate rows \(Provider row 9, Provider "
                                                r"row 10\).*'TAD'.*C_100"):
        wb.read(write_xlsx(tmp_path / "x.xlsx", s))


def test_provider_on_both_sheets_is_a_duplicate(tmp_path):
    s = sheets()
    s["IS Provider"][8][2] = "TAD"
    with pytest.raises(SourceFormatError, match="IS Provider row 9.*'TAD'"):
        wb.read(write_xlsx(tmp_path / "x.xlsx", s))


def test_marks_are_missing_and_text_is_an_error(tmp_path):
    s = sheets()
    s["Provider"][8][6] = "*"   # band >0-1 of TAD C_100 suppressed
    df = wb.read(write_xlsx(tmp_path / "x.xlsx", s))
    c100 = df[(df.provider_code == "TAD") & (df.treatment_function_code == "C_100")].iloc[0]
    assert np.isnan(c100["band_000_001"]) and np.isnan(c100["within_18w"])
    s["Provider"][8][6] = "lots"
    with pytest.raises(SourceFormatError, match="'Provider'.*'>0-1'.*'lots'"):
        wb.read(write_xlsx(tmp_path / "y.xlsx", s))


def test_c999_not_the_sum_of_functions(tmp_path):
    s = sheets()
    s["Provider"][10][7] += 5  # C_999 band >1-2 five more than its functions
    s["Provider"][10][6 + 105 + 1] += 5  # keep its own totals consistent
    s["Provider"][10][6 + 105 + 2] += 5
    p = write_xlsx(tmp_path / "x.xlsx", s)
    with pytest.raises(SourceIncompleteError, match="'TAD'.*'>1-2'.*C_999 11 vs functions 6"):
        wb.read(p)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        df = wb.read(p, allow_incomplete=True)
    assert any(issubclass(x.category, IncompleteSourceWarning) for x in w)
    assert len(df) == 6


def test_total_not_its_bands(tmp_path):
    s = sheets()
    s["IS Provider"][8][6 + 105 + 1] = 999.0
    with pytest.raises(SourceIncompleteError, match="IS Provider.*\\(all\\)"):
        wb.read(write_xlsx(tmp_path / "x.xlsx", s))


def test_cut_at_a_row_boundary_loses_c999(tmp_path):
    s = sheets()
    s["IS Provider"] = s["IS Provider"][:-1]
    with pytest.raises(SourceIncompleteError, match="no C_999.*'R1G7E'"):
        wb.read(write_xlsx(tmp_path / "x.xlsx", s))


def test_not_a_workbook(tmp_path):
    p = tmp_path / "x.xlsx"
    p.write_text("Region Code,Provider Code\n")
    with pytest.raises(SourceFormatError, match="not a readable workbook"):
        wb.read(p)


@pytest.mark.skipif(not REAL_FILES, reason="real RTT provider workbooks not present "
                                           "(../shared/data/real/rtt_provider_workbook)")
@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.name)
def test_real_workbook_c999_equals_sum_of_functions(path):
    df = wb.read(path)  # raises SourceIncompleteError if any C_999 row disagrees
    counts = [c for c in df.columns if c.startswith("band_")] + ["total_all", "total_known"]
    tot = df[df.treatment_function_code == "C_999"].set_index(["sheet", "provider_code"])
    parts = df[df.treatment_function_code != "C_999"].groupby(["sheet", "provider_code"])[
        counts].sum()
    assert (tot[counts] - parts.loc[tot.index]).abs().to_numpy().max() < 0.5
    assert df.attrs["provenance"]["providers_by_sheet"] == {"Provider": 150, "IS Provider": 328}
    kendal = tot.loc[("IS Provider", "R1G7E")]
    assert kendal["total_all"] > 0 and 0 <= kendal["median_weeks"] < 104
    assert ("Provider", "TAD") in tot.index


# --- files that lie ----------------------------------------------------------------------

def test_period_in_the_future_refused(tmp_path):
    p = write_xlsx(tmp_path / "NonAdmitted-Provider-Sep35-XLSX-1.xlsx",
                   sheets(period="September 2035"))
    with pytest.raises(SourceFormatError, match="period 2035-09 is in the future") as e:
        wb.read(p)
    assert p.name in str(e.value) and e.value.column == "Period:"


def test_period_disagreeing_with_the_file_name_refused(tmp_path):
    """The name says August 2025 (``Aug25``), the title block September 2025."""
    p = write_xlsx(tmp_path / "NonAdmitted-Provider-Aug25-XLSX-1.xlsx", sheets())
    with pytest.raises(SourceFormatError, match=r"period 2025-09 does not match the month in "
                                                r"the file's name \(2025-08\)") as e:
        wb.read(p)
    assert e.value.sheet == "Provider"


def test_fractional_count_of_pathways_refused(tmp_path):
    s = sheets()
    s["IS Provider"][-1][8] = 16.5          # band >2-3 of the C_999 row
    p = write_xlsx(tmp_path / "NonAdmitted-Provider-Sep25-XLSX-1.xlsx", s)
    with pytest.raises(SourceFormatError, match=r"count 16.5 in row \d+ is not a whole "
                                                "number") as e:
        wb.read(p)
    assert e.value.sheet == "IS Provider" and e.value.column == ">2-3"


def test_formula_without_a_computed_value_is_named(tmp_path):
    """openpyxl writes a formula without its value; the reader says so, not that totals
    disagree.
    """
    s = sheets()
    s["Provider"][-1][6] = "=5+0"
    p = write_xlsx(tmp_path / "NonAdmitted-Provider-Sep25-XLSX-1.xlsx", s)
    with pytest.raises(SourceFormatError, match="formula cell.* without a computed value") as e:
        wb.read(p)
    assert e.value.sheet == "Provider" and "Excel or LibreOffice" in str(e.value)
    assert "add up" not in str(e.value) and "Total number" not in str(e.value)
