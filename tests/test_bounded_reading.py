"""Readers refuse junk in bounded memory and refuse files that lie, with clear errors.

Limits (see docs/data_sources.md, "Reading limits"): a zip member's declared unpacked size
and compression ratio are checked before it is read, text is streamed with a bounded line
length; A&E periods must agree with the file's name and have begun; counts are whole
numbers; an .xlsx whose formulas carry no computed values is named as such.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from source_helpers import small_month, write_csv, write_workbook

from workbench.data.sources import ae, common, rtt
from workbench.errors import SourceFormatError

RTT_NAME = "20260430-RTT-April-2026-full-extract.csv.zip"


def zip_bomb(path: Path, size: int, *, member: str = "20260430-RTT-April-2026-full-extract.csv",
             chunk: bytes = b"0" * (1 << 20)) -> Path:
    """A zip holding ``size`` bytes of one repeated chunk (no line end), written in chunks."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z, \
            z.open(member, "w", force_zip64=True) as fh:
        left = size
        while left > 0:
            fh.write(chunk[:left])
            left -= len(chunk)
    return path


PROBE = r"""
import json, resource, sys
from workbench.data.sources import rtt
try:
    rtt.read(sys.argv[1])
    out = {"error": None}
except Exception as exc:
    out = {"error": type(exc).__name__, "message": str(exc)}
# VmHWM is this process image's own peak (ru_maxrss would carry the parent's over exec)
hwm = [ln for ln in open("/proc/self/status") if ln.startswith("VmHWM:")]
out["peak_kib"] = (int(hwm[0].split()[1]) if hwm
                   else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
print(json.dumps(out))
"""


def probe(path: Path, **env: str) -> dict:
    """Read ``path`` with rtt.read in a fresh process; the error and the peak resident memory."""
    run = subprocess.run([sys.executable, "-c", PROBE, str(path)], check=False, capture_output=True,
                         text=True, timeout=600, env={**os.environ, **env},
                         cwd=Path(__file__).resolve().parents[1])
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_zip_bomb_refused_by_compression_ratio(tmp_path):
    p = zip_bomb(tmp_path / RTT_NAME, 200 << 20)
    assert p.stat().st_size < 2 << 20
    with pytest.raises(SourceFormatError) as e:
        rtt.read(p)
    msg = str(e.value)
    assert RTT_NAME in msg and "compression ratio" in msg and "MAX_COMPRESSION_RATIO" in msg
    assert "WORKBENCH_MAX_COMPRESSION_RATIO" in msg


def test_zip_member_over_size_limit_refused(tmp_path, monkeypatch):
    p = zip_bomb(tmp_path / RTT_NAME, 3 << 20, chunk=b"a,b\n" * (1 << 18))
    monkeypatch.setenv("WORKBENCH_MAX_UNPACKED_BYTES", str(1 << 20))
    with pytest.raises(SourceFormatError, match="unpacked size is 3,145,728 bytes.*"
                                                 "MAX_UNPACKED_BYTES") as e:
        rtt.read(p)
    assert RTT_NAME in str(e.value)


def test_line_without_end_refused_in_bounded_memory(tmp_path):
    """With the ratio and size checks lifted, the line limit alone stops the junk early."""
    p = zip_bomb(tmp_path / RTT_NAME, 200 << 20)
    out = probe(p, WORKBENCH_MAX_COMPRESSION_RATIO="1e9", WORKBENCH_MAX_UNPACKED_BYTES="1e12")
    assert out["error"] == "SourceFormatError"
    assert RTT_NAME in out["message"] and "line 1 is longer than 1,048,576 bytes" in out["message"]
    assert out["peak_kib"] < 600 * 1024  # today's code reads the whole 200 MB line, several times


@pytest.mark.slow
def test_gibibyte_zip_bomb_under_two_gib(tmp_path):
    """The reported case: 1 GiB without a line end, named as the RTT extract, default limits."""
    p = zip_bomb(tmp_path / RTT_NAME, 1 << 30)
    out = probe(p)
    assert out["error"] == "SourceFormatError" and RTT_NAME in out["message"]
    assert out["peak_kib"] < 2 * 1024 * 1024
    out = probe(p, WORKBENCH_MAX_COMPRESSION_RATIO="1e9", WORKBENCH_MAX_UNPACKED_BYTES="1e12")
    assert out["error"] == "SourceFormatError" and "longer than" in out["message"]
    assert out["peak_kib"] < 2 * 1024 * 1024


def test_csv_line_limit_applies_to_pandas_readers(tmp_path, monkeypatch):
    p = tmp_path / "Monthly-AE-June-2025.csv"
    p.write_bytes(b"Period,Org Code\n" + b"x" * 5000)
    monkeypatch.setenv("WORKBENCH_MAX_LINE_BYTES", "1000")
    with pytest.raises(SourceFormatError, match="line 2 is longer than 1,000 bytes") as e:
        common.read_csv_text(p, dtype=str)
    assert p.name in str(e.value) and "WORKBENCH_MAX_LINE_BYTES" in str(e.value)


def test_plain_file_over_size_limit(tmp_path, monkeypatch):
    p = write_csv(tmp_path / "Monthly-AE-June-2025.csv", small_month())
    monkeypatch.setattr(common, "MAX_UNPACKED_BYTES", 100)
    with pytest.raises(SourceFormatError, match="over the reading limit of 100 bytes"):
        ae.read(p)


def test_bad_override_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_MAX_LINE_BYTES", "lots")
    with pytest.raises(SourceFormatError, match="WORKBENCH_MAX_LINE_BYTES.*'lots'"):
        common.reading_limit("MAX_LINE_BYTES")


def test_valid_files_still_read(tmp_path):
    assert len(ae.read(write_csv(tmp_path / "Monthly-AE-June-2025.csv", small_month()))) == 2
    assert len(ae.read(write_workbook(tmp_path / "June-2025-AE-by-provider.xlsx"))) == 2


# --- files that lie --------------------------------------------------------------------------

def future_month() -> list[list[str]]:
    rows = small_month()
    for r in rows[:2]:
        r[0] = "MSitAE-APRIL-2035"
    return rows


def test_future_period_refused(tmp_path):
    p = write_csv(tmp_path / "Monthly-AE-April-2035.csv", future_month())
    with pytest.raises(SourceFormatError, match="period 2035-04 is in the future") as e:
        ae.read(p)
    assert p.name in str(e.value) and e.value.column == "Period"


def test_period_disagreeing_with_file_name_refused(tmp_path):
    p = write_csv(tmp_path / "Monthly-AE-June-2025.csv", future_month())
    with pytest.raises(SourceFormatError, match="period 2035-04 does not match the month in the "
                                                r"file's name \(2025-06\)") as e:
        ae.read(p)
    assert p.name in str(e.value)


def test_workbook_future_period_refused(tmp_path):
    p = write_workbook(tmp_path / "AE-by-provider.xlsx")
    with pytest.raises(SourceFormatError, match="period 2035-06 is in the future") as e:
        ae.read(p, period="June 2035")
    assert p.name in str(e.value) and e.value.sheet == "Provider Level Data"


def test_fractional_count_refused(tmp_path):
    rows = small_month()
    rows[1][4] = "9,921.5"
    p = write_csv(tmp_path / "Monthly-AE-June-2025.csv", rows)
    with pytest.raises(SourceFormatError, match="count 9,921.5 in row 3 is not a whole number") as e:
        ae.read(p)
    assert p.name in str(e.value) and e.value.column == "A&E attendances Type 1"


def test_fractional_count_in_workbook_refused(tmp_path):
    p = write_workbook(tmp_path / "June-2025-AE-by-provider.xlsx", cell=(2, 7, 800.5))
    with pytest.raises(SourceFormatError, match=r"count 800.5 in row \d+ is not a whole number") as e:
        ae.read(p)
    assert e.value.sheet == "Provider Level Data" and "Type 3" in e.value.column


def test_formulas_without_cached_values_are_named(tmp_path):
    p = write_workbook(tmp_path / "June-2025-AE-by-provider.xlsx", cell=(2, 7, "=400+400"))
    with pytest.raises(SourceFormatError, match="formula cell.* without a computed value") as e:
        ae.read(p)
    msg = str(e.value)
    assert p.name in msg and "Excel or LibreOffice" in msg and "England row" not in msg
