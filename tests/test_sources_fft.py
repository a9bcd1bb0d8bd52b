"""FFT provider workbooks in the official layout (fixtures written from layouts.md)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

from workbench.data.sources import fft
from workbench.errors import SourceFormatError

LIKERT = fft.LIKERT
IP_TOP = ["ICB Code", "Trust Code", "Trust Name", "Total Responses", "Total Eligible",
          "Percentage Positive", "Percentage Negative", "Breakdown of Responses", None, None,
          None, None, None, "Mode SMS", "Mode Electronic Discharge", "Mode Electronic Home",
          "Mode Paper Discharge", "Mode Paper Home", "Mode Telephone", "Mode Online",
          "Mode Other"]
IP_SUB = [None] * 7 + LIKERT + [None] * 8

# provider rows: code, name, responses, eligible, pct pos, pct neg, six answers
PROVIDERS = [
    ("QKK", "RJ1", "GUY'S AND ST THOMAS' NHS FOUNDATION TRUST", 1000, 4000, 0.95, 0.02,
     [700, 250, 20, 10, 10, 10]),
    ("QE1", "RXL", "BLACKPOOL TEACHING HOSPITALS NHS FOUNDATION TRUST", 200, 900, 0.9, 0.05,
     [120, 60, 10, 5, 5, 0]),
    ("QE1", "NT2", "NUFFIELD HEALTH", 3, 50, "*", "*", ["*"] * 6),        # suppressed
    ("QE1", "NVC", "RAMSAY HEALTH CARE UK", 40, 60, 0.85, 0.05, ["*"] * 6),  # secondary
    ("", "IS1", "INDEPENDENT SECTOR PROVIDERS", 43, 110, 0.86, 0.05, [30, 7, 3, 1, 1, 1]),
]


def ip_rows(providers=PROVIDERS, top=IP_TOP):
    ui = [["Friends and Family Test - Inpatient"], [], ["Show data for:"], [],
          ["Sort data by:"], [], ["Filter by:", "ICB:", "Trust:"], [],
          [None] * 13 + ["Mode of Collection"]]
    rows = ui + [top, IP_SUB,
                 ["England (including Independent Sector Providers)", None, None, 1243],
                 ["England (excluding Independent Sector Providers)", None, None, 1200],
                 ["Selection (excluding suppressed data)", None, None, 1200]]
    for icb, code, name, resp, elig, pos, neg, lik in providers:
        rows.append([icb, code, name, resp, elig, pos, neg, *lik] + [1] * 8)
    rows.append(["-"] * len(top))
    return rows


def write_fft(path: Path, rows=None, sheet="Trusts", extra_sheets=("Notes", "Summary", "ICB"),
              header_at=None) -> Path:
    rows = ip_rows() if rows is None else rows
    width = max(len(r) for r in rows)
    rows = [list(r) + [None] * (width - len(r)) for r in rows]
    with pd.ExcelWriter(path) as w:
        for s in extra_sheets:
            pd.DataFrame([[s]]).to_excel(w, sheet_name=s, index=False, header=False)
        pd.DataFrame(rows).to_excel(w, sheet_name=sheet, index=False, header=False)
    return path


def ae_rows():
    top = IP_TOP[:13] + ["Mode SMS", "Mode Electronic Discharge", "Mode Paper Discharge",
                         "Mode Paper Home", "Mode Telephone", "Mode Online", "Mode Other"]
    rows = [["Show data for:"], ["ICB:"], top, [None] * 7 + LIKERT + [None] * 7,
            ["England", None, None, 500], ["Selection (excluding suppressed data)"],
            ["QKK", "RJ1", "GUY'S", 500, 2000, 0.8, 0.1, 300, 100, 40, 30, 20, 10] + [1] * 7,
            ["-"] * 20]
    return rows


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
