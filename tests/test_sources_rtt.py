"""RTT full-extract reader: publisher's figures from the real extract, and bad input.

Real-data tests read ../shared/data/real/rtt_full_extract (skipped when absent). Bad
input is built in tmp_path in the extract's own layout (header written out below and
checked against the real header when the real file is present).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from source_helpers import BANDS, assert_names, extract_row, small_rows, write_extract
from source_helpers import RTT_HEADER as HEADER

from workbench.data.sources import rtt
from workbench.errors import SourceFormatError

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
EXTRACT = REAL / "rtt_full_extract" / "20260430-RTT-April-2026-full-extract.csv.zip"
ETR = REAL / "ods_reference" / "etr.csv"

# --- behaviour on the small layout -------------------------------------------------------


def test_provider_measures_from_bands(tmp_path):
    df = rtt.read(write_extract(tmp_path / "x.csv", small_rows()))
    assert df["provider_code"].tolist() == ["NT204", "RAA"]
    raa = df.set_index("provider_code").loc["RAA"]
    assert raa["rtt_waiting_list"] == 40
    assert raa["rtt_within_18w"] == 20      # bands 0 and 5
    assert raa["rtt_over_52w"] == 10        # band 60
    assert raa["rtt_pct_within_18w"] == pytest.approx(50.0)
    # 40 pathways, half = 20 reached exactly at the end of band 5 (5-6 weeks)
    assert raa["rtt_median_weeks"] == pytest.approx(6.0)
    nt = df.set_index("provider_code").loc["NT204"]
    assert nt["rtt_median_weeks"] == 104.0   # median in the open band: reported as 104
    assert df["period"].unique().tolist() == [pd.Timestamp("2026-04-01")]
    assert str(df["period"].dtype) == "datetime64[ns]"
    prov = df.attrs["provenance"]
    assert prov["periods"] == ["2026-04"] and len(prov["sha256"]) == 64
    assert prov["publisher_url"].startswith("https://www.england.nhs.uk/")


def test_by_treatment_function(tmp_path):
    df = rtt.read(write_extract(tmp_path / "x.csv", small_rows()), by="treatment_function")
    assert df[["provider_code", "treatment_function_code"]].values.tolist() == [
        ["NT204", "C_110"], ["RAA", "C_110"], ["RAA", "C_130"]]
    assert "C_999" not in df["treatment_function_code"].tolist()
    row = df[(df.provider_code == "RAA") & (df.treatment_function_code == "C_130")].iloc[0]
    assert row["treatment_function_name"] == "Ophthalmology Service"
    assert row["rtt_over_52w"] == 10 and row["rtt_within_18w"] == 0


def test_median_interpolates_within_band():
    lower = np.arange(105)
    counts = np.zeros((2, 105))
    counts[0, 10] = 4                    # all in 10-11 weeks: median half-way, 10.5
    counts[1, [0, 1, 2, 3]] = [1, 1, 1, 1]  # half = 2 at the end of band 1
    assert rtt.median_weeks(counts, lower).tolist() == pytest.approx([10.5, 2.0])


def test_bands_must_be_weekly_and_contiguous():
    with pytest.raises(SourceFormatError, match="Gt 07 To 08 Weeks SUM 1"):
        rtt.weekly_bands([b for b in BANDS if not b.startswith("Gt 07 ")], "f.csv")


def test_zip_with_macosx_entry(tmp_path):
    csv_path = write_extract(tmp_path / "e.csv", small_rows())
    z = tmp_path / "e.csv.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(csv_path, "e.csv")
        zf.writestr("__MACOSX/._e.csv", b"\x00\x05\x16\x07 resource fork")
    a, b = rtt.read(z), rtt.read(csv_path)
    pd.testing.assert_frame_equal(a, b)
    assert a.attrs["provenance"]["member"] == "e.csv"


def test_read_many_pools_files_and_rejects_a_repeated_month(tmp_path):
    may = [extract_row("RAA", {2: 5}, period="RTT-May-2026")]
    a = write_extract(tmp_path / "apr.csv", small_rows())
    b = write_extract(tmp_path / "may.csv", may)
    df = rtt.read_many([a, b], processes=2)
    assert sorted(df["period"].dt.strftime("%Y-%m").unique()) == ["2026-04", "2026-05"]
    assert [p["file"] for p in df.attrs["provenance"]] == ["apr.csv", "may.csv"]
    with pytest.raises(SourceFormatError, match="more than one file"):
        rtt.read_many([a, a], processes=1)


def test_cp1252_file_is_decoded(tmp_path):
    rows = small_rows()
    rows[4][4] = rows[5][4] = "HÔPITAL SAINT-ÉTIENNE"
    df = rtt.read(write_extract(tmp_path / "x.csv", rows, encoding="cp1252"))
    assert df.set_index("provider_code").loc["RAA", "provider_name"] == "HÔPITAL SAINT-ÉTIENNE"


# --- bad input: one SourceFormatError naming file, column and expectation ----------------

def test_empty_file(tmp_path):
    p = tmp_path / "empty.csv"
    p.write_bytes(b"")
    with pytest.raises(SourceFormatError) as e:
        rtt.read(p)
    assert_names(e.value, p)


def test_header_only(tmp_path):
    p = write_extract(tmp_path / "header.csv", [])
    with pytest.raises(SourceFormatError, match="no all-specialty") as e:
        rtt.read(p)
    assert_names(e.value, p, column="RTT Part Type")


def test_truncated_csv(tmp_path):
    p = write_extract(tmp_path / "cut.csv", small_rows())
    data = p.read_bytes()
    p.write_bytes(data[: len(data) - 300])
    with pytest.raises(SourceFormatError, match="truncated") as e:
        rtt.read(p)
    assert_names(e.value, p)


def test_truncated_zip(tmp_path):
    csv_path = write_extract(tmp_path / "e.csv", small_rows() * 50)
    z = tmp_path / "e.csv.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(csv_path, "e.csv")
    z.write_bytes(z.read_bytes()[:2000])
    with pytest.raises(SourceFormatError, match="zip") as e:
        rtt.read(z)
    assert_names(e.value, z)


@pytest.mark.parametrize("column", ["Provider Org Code", "RTT Part Type", "Period"])
def test_renamed_column(tmp_path, column):
    header = [c if c != column else column.upper() + " X" for c in HEADER]
    p = write_extract(tmp_path / "renamed.csv", small_rows(), header=header)
    with pytest.raises(SourceFormatError) as e:
        rtt.read(p)
    assert_names(e.value, p, column=column)


def test_missing_band_column(tmp_path):
    drop = HEADER.index("Gt 17 To 18 Weeks SUM 1")
    rows = [r[:drop] + r[drop + 1:] for r in small_rows()]
    p = write_extract(tmp_path / "missing.csv", rows, header=HEADER[:drop] + HEADER[drop + 1:])
    with pytest.raises(SourceFormatError) as e:
        rtt.read(p)
    assert_names(e.value, p, column="Gt 17 To 18 Weeks SUM 1")


def test_text_in_numeric_column(tmp_path):
    rows = small_rows()
    rows[5][HEADER.index("Gt 20 To 21 Weeks SUM 1")] = "12 (est)"
    p = write_extract(tmp_path / "text.csv", rows)
    with pytest.raises(SourceFormatError, match="12 \\(est\\)") as e:
        rtt.read(p)
    assert_names(e.value, p, column="Gt 20 To 21 Weeks SUM 1")


def test_bad_period_label(tmp_path):
    rows = [extract_row("RAA", {1: 1}, period="April")]
    p = write_extract(tmp_path / "period.csv", rows)
    with pytest.raises(SourceFormatError) as e:
        rtt.read(p)
    assert_names(e.value, p, column="Period")


def test_zip_with_two_csvs(tmp_path):
    z = tmp_path / "two.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("a.csv", "x\n")
        zf.writestr("b.csv", "x\n")
    with pytest.raises(SourceFormatError, match="exactly one .csv") as e:
        rtt.read(z)
    assert_names(e.value, z)


def test_unknown_breakdown(tmp_path):
    with pytest.raises(ValueError, match="treatment_function"):
        rtt.read(write_extract(tmp_path / "x.csv", small_rows()), by="commissioner")


# --- the real April 2026 extract --------------------------------------------------------

@pytest.fixture(scope="module")
def real_extract() -> Path:
    if not EXTRACT.exists():
        pytest.skip(f"real RTT extract not found at {EXTRACT} (../shared/data/real is staged "
                    "beside the repository only on the project machines)")
    return EXTRACT


@pytest.fixture(scope="module")
def real_incomplete(real_extract) -> pd.DataFrame:
    """Incomplete-pathway rows read plainly with pandas, for an independent check."""
    with zipfile.ZipFile(real_extract) as z:
        name = next(n for n in z.namelist() if n.endswith(".csv") and "__MACOSX" not in n)
        with z.open(name) as fh:
            raw = pd.read_csv(fh, usecols=["Provider Org Code", "RTT Part Type",
                                           "Treatment Function Code", *BANDS, "Total All"])
    return raw[raw["RTT Part Type"] == "Part_2"].fillna({b: 0 for b in BANDS})


def test_real_header_matches_fixture_layout(real_extract):
    with zipfile.ZipFile(real_extract) as z:
        name = next(n for n in z.namelist() if n.endswith(".csv") and "__MACOSX" not in n)
        header = z.open(name).readline().decode("utf-8-sig").strip().split(",")
    assert header == HEADER


def test_real_england_totals_match_band_sums(real_extract, real_incomplete):
    df = rtt.read(real_extract)
    c999 = real_incomplete[real_incomplete["Treatment Function Code"] == "C_999"]
    bands = c999[BANDS].to_numpy()
    england_list = bands.sum()
    within = bands[:, :18].sum()
    assert england_list == pytest.approx(c999["Total All"].sum())
    assert df["rtt_waiting_list"].sum() == pytest.approx(england_list)
    assert df["rtt_within_18w"].sum() == pytest.approx(within)
    assert df["rtt_over_52w"].sum() == pytest.approx(bands[:, 52:].sum())
    pct = 100 * df["rtt_within_18w"].sum() / df["rtt_waiting_list"].sum()
    assert pct == pytest.approx(100 * within / england_list)
    assert 40 < pct < 90  # the national figure has been 55-75% in recent years
    assert df["provider_code"].is_unique
    assert df.attrs["provenance"]["periods"] == ["2026-04"]
    print(f"\nRTT April 2026 England: {england_list:,.0f} incomplete pathways, "
          f"{pct:.1f}% within 18 weeks, {df['rtt_over_52w'].sum():,.0f} over 52 weeks")


def test_real_median_agrees_with_18_week_share(real_extract):
    df = rtt.read(real_extract)
    has = df["rtt_waiting_list"] > 0
    assert df.loc[has, "rtt_median_weeks"].between(0, 104).all()
    # at least half within 18 weeks exactly when the median is 18 weeks or less
    d = df[has & ((df["rtt_pct_within_18w"] - 50).abs() > 1e-9)]
    assert ((d["rtt_pct_within_18w"] > 50) == (d["rtt_median_weeks"] <= 18)).all()


def test_real_treatment_functions_add_up_to_all_specialties(real_extract):
    total = rtt.read(real_extract).set_index("provider_code")
    tf = rtt.read(real_extract, by="treatment_function")
    summed = tf.groupby("provider_code")[["rtt_waiting_list", "rtt_within_18w",
                                          "rtt_over_52w"]].sum()
    pd.testing.assert_frame_equal(summed, total.loc[summed.index, summed.columns],
                                  check_names=False)
    assert not tf.duplicated(["provider_code", "period", "treatment_function_code"]).any()


def test_real_provider_counts_by_sector(real_extract, record_property):
    df = rtt.read(real_extract)
    if ETR.exists():
        trusts = set(pd.read_csv(ETR, header=None, usecols=[0], dtype=str)[0].str.strip())
        sector = np.where(df["provider_code"].isin(trusts), "nhs", "independent")
    else:
        sector = np.full(len(df), "unknown (etr.csv absent)")
    counts = pd.Series(sector).value_counts()
    record_property("rtt_providers_by_sector", counts.to_dict())
    print(f"\nRTT April 2026 providers: {len(df)}; by sector (ODS etr rule): "
          f"{counts.to_dict()}")
    assert len(df) == df.attrs["provenance"]["providers"] > 400
    if ETR.exists():
        assert counts.get("nhs", 0) > 100 and counts.get("independent", 0) > 100
