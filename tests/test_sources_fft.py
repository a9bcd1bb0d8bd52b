"""FFT provider workbooks in the official layout (fixtures written from layouts.md)."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from source_helpers import FFT_PROVIDERS as PROVIDERS
from source_helpers import IP_TOP, ip_rows, write_fft
from source_helpers import fft_ae_rows as ae_rows

from workbench.data.sources import fft
from workbench.errors import SourceFormatError


def test_inpatient_trusts_sheet(tmp_path):
    p = write_fft(tmp_path / "FFT-inpatient-data-June-2025.xlsm.xlsx")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = fft.read(p, collection="inpatient")
    assert df.columns.tolist() == fft.OUT_COLUMNS
    assert df["provider_code"].tolist() == ["RJ1", "RXL", "NT2", "NVC"]  # IS1, England gone
    rj1 = df.iloc[0]
    assert rj1["fft_responses"] == 1000 and rj1["fft_positive"] == 950
    assert rj1["fft_pct_positive"] == pytest.approx(95.0)
    assert rj1["period"] == pd.Timestamp("2025-06-01") and rj1["fft_collection"] == "inpatient"
    nt2, nvc = df.iloc[2], df.iloc[3]
    assert nt2["fft_responses"] == 3 and pd.isna(nt2["fft_positive"]) \
        and pd.isna(nt2["fft_pct_positive"])
    assert pd.isna(nvc["fft_positive"]) and nvc["fft_pct_positive"] == pytest.approx(85.0)
    prov = df.attrs["provenance"]
    assert prov["header_row"] == 10 and prov["sheet"] == "Trusts" and prov["periods"] == ["2025-06"]


def test_ae_layout_and_name_rules(tmp_path):
    p = write_fft(tmp_path / "friends-and-family-test-ae-data-june-2025.xlsx", rows=ae_rows())
    df = fft.read(p)
    assert df["fft_collection"].iloc[0] == "ae"
    assert df["fft_positive"].iloc[0] == 400 and df["fft_pct_positive"].iloc[0] == pytest.approx(80)
    assert fft.collection_of("FFT-outpatient-data-May-2024.xlsm") == "outpatient"
    assert fft.period_of("friends-and-family-test-inpatient-data-june-2025.xlsm") \
        == pd.Timestamp("2025-06-01")


def test_percentage_inconsistent_with_answers_warns(tmp_path):
    rows = ip_rows([("QKK", "RJ1", "GUY'S", 100, 400, 0.5, 0.02, [70, 25, 2, 1, 1, 1])])
    with pytest.warns(UserWarning, match="Percentage Positive"):
        fft.read(write_fft(tmp_path / "FFT-inpatient-data-June-2025.xlsx", rows=rows))


def test_period_argument_overrides_name(tmp_path):
    p = write_fft(tmp_path / "inpatient-fft.xlsx")
    assert fft.read(p, period="2024-01")["period"].iloc[0] == pd.Timestamp("2024-01-01")


def test_empty_file(tmp_path):
    p = tmp_path / "FFT-inpatient-data-June-2025.xlsm"
    p.write_bytes(b"")
    with pytest.raises(SourceFormatError, match="empty"):
        fft.read(p)


def test_truncated_workbook(tmp_path):
    data = write_fft(tmp_path / "whole.xlsx").read_bytes()
    p = tmp_path / "FFT-inpatient-data-June-2025.xlsx"
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceFormatError, match="not a readable workbook"):
        fft.read(p)


def test_wrong_sheet(tmp_path):
    p = write_fft(tmp_path / "FFT-inpatient-data-June-2025.xlsx", sheet="Trust")
    with pytest.raises(SourceFormatError, match="sheet not found") as err:
        fft.read(p)
    assert err.value.sheet == "Trusts" and "Trust" in str(err.value)


def test_renamed_column(tmp_path):
    top = [c if c != "Percentage Positive" else "% Positive" for c in IP_TOP]
    p = write_fft(tmp_path / "FFT-inpatient-data-June-2025.xlsx", rows=ip_rows(top=top))
    with pytest.raises(SourceFormatError, match="missing column") as err:
        fft.read(p)
    assert err.value.column == "Percentage Positive" and err.value.sheet == "Trusts"


def test_missing_code_header(tmp_path):
    top = [c if c != "Trust Code" else "Provider" for c in IP_TOP]
    p = write_fft(tmp_path / "FFT-inpatient-data-June-2025.xlsx", rows=ip_rows(top=top))
    with pytest.raises(SourceFormatError, match="no header row") as err:
        fft.read(p)
    assert err.value.column == "Trust Code"


def test_text_in_numeric_column(tmp_path):
    provs = list(PROVIDERS)
    provs[1] = provs[1][:3] + ("two hundred",) + provs[1][4:]
    p = write_fft(tmp_path / "FFT-inpatient-data-June-2025.xlsx", rows=ip_rows(provs))
    with pytest.raises(SourceFormatError, match="'two hundred'") as err:
        fft.read(p)
    assert err.value.column == "Total Responses"


def test_text_in_code_column(tmp_path):
    provs = [("QKK", "Total for region", "X", 1, 1, 1, 0, [1, 0, 0, 0, 0, 0])]
    p = write_fft(tmp_path / "FFT-inpatient-data-June-2025.xlsx", rows=ip_rows(provs))
    with pytest.raises(SourceFormatError, match="Total for region") as err:
        fft.read(p)
    assert err.value.column == "Trust Code"


def test_cp1252_text_saved_as_workbook(tmp_path):
    p = tmp_path / "FFT-inpatient-data-June-2025.xlsm"
    p.write_bytes("Trust Code,Trust Name\nRJ1,GUY\u2019S\n".encode("cp1252"))
    with pytest.raises(SourceFormatError, match="not a readable workbook"):
        fft.read(p)


def test_unknown_collection(tmp_path):
    p = write_fft(tmp_path / "some-data-June-2025.xlsx")
    with pytest.raises(SourceFormatError, match="collection"):
        fft.read(p)
