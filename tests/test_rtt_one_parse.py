"""One parse of the RTT full extract feeds the provider panel, the waits by treatment function
and the RTT flows, with the same results as reading the file for each; CSV readers stream each
file once, the reading limits checked as pandas reads."""

from __future__ import annotations

import gzip
import warnings
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from source_helpers import extract_row, write_extract
from test_panel_build import make_folder
from test_rtt_flows import flows_rows

from workbench.data import panel as P
from workbench.data import rtt_flows as F
from workbench.data.sources import common, rtt
from workbench.errors import ArgumentError, IncompleteSourceWarning, SourceFormatError

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
EXTRACT = REAL / "rtt_full_extract" / "20260430-RTT-April-2026-full-extract.csv.zip"
NAME = "20260430-RTT-April-2026-full-extract.csv"


def three_ways(source) -> list[pd.DataFrame]:
    return [rtt.read(source), rtt.read(source, by="treatment_function"),
            F.from_extract(source)]


def assert_same(from_path: list[pd.DataFrame], from_parse: list[pd.DataFrame]) -> None:
    for a, b in zip(from_path, from_parse, strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
        assert a.attrs == b.attrs


@pytest.fixture
def extract(tmp_path):
    return write_extract(tmp_path / NAME, flows_rows())


def test_one_parse_gives_what_each_reader_gives_from_the_file(extract):
    parsed = rtt.parse(extract)
    assert_same(three_ways(extract), three_ways(parsed))
    assert parsed.path == extract and parsed.table.num_rows == len(flows_rows())


def test_one_parse_of_a_zipped_extract(extract, tmp_path):
    z = tmp_path / f"{NAME}.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as f:
        f.write(extract, NAME)
    parsed = rtt.parse(z)
    assert parsed.member == NAME
    assert_same(three_ways(z), three_ways(parsed))


def test_a_cut_file_warns_once_and_gives_the_same_rows(tmp_path):
    rows = flows_rows()
    path = write_extract(tmp_path / NAME, rows)
    path.write_bytes(path.read_bytes() + b"RTT-April-2026,QXX,NHS SOMEWHERE ICB,RAA,PROV")
    with pytest.warns(IncompleteSourceWarning):
        from_path = [rtt.read(path, allow_incomplete=True),
                     rtt.read(path, by="treatment_function", allow_incomplete=True),
                     F.from_extract(path, allow_incomplete=True)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parsed = rtt.parse(path, allow_incomplete=True)
    assert [str(w.message) for w in caught if issubclass(w.category, IncompleteSourceWarning)]
    with warnings.catch_warnings(record=True) as later:
        warnings.simplefilter("always")
        from_parse = [rtt.read(parsed, allow_incomplete=True),
                      rtt.read(parsed, by="treatment_function", allow_incomplete=True),
                      F.from_extract(parsed, allow_incomplete=True)]
    assert not [w for w in later if "truncated" in str(w.message)]  # the end was checked once
    assert_same(from_path, from_parse)


def test_an_extract_parsed_for_fewer_rows_is_refused(extract):
    narrow = rtt.parse(extract, rows=(b"C_999", b"Part_2"))
    assert rtt.read(narrow).equals(rtt.read(extract))
    with pytest.raises(ArgumentError, match="parsed for fewer rows") as e:
        F.from_extract(narrow)
    assert "rtt.parse(path" in str(e.value)
    with pytest.raises(ArgumentError, match="parsed for fewer rows"):
        rtt.read(narrow, by="treatment_function")
    assert rtt.parse(extract, rows=(b"Part_2",)).holds((b"C_999", b"Part_2"))


def test_the_flows_still_need_total_all(tmp_path):
    from source_helpers import RTT_HEADER

    header = [c for c in RTT_HEADER if c != "Total All"]
    rows = [r[:-1] for r in [extract_row("RAA", {0: 3})]]
    path = write_extract(tmp_path / NAME, rows, header=header)
    assert len(rtt.read(rtt.parse(path))) == 1
    with pytest.raises(SourceFormatError, match="Total All"):
        F.from_extract(rtt.parse(path))


def test_a_build_parses_the_extract_once(tmp_path, monkeypatch, extract):
    folder = make_folder(tmp_path / "raw")
    (folder / "rtt").mkdir()
    (folder / "rtt" / NAME).write_bytes(extract.read_bytes())
    calls = []
    parse_rows = rtt.parse_rows

    def counted(path, *args, **kwargs):
        calls.append(Path(path).name)
        return parse_rows(path, *args, **kwargs)

    monkeypatch.setattr(rtt, "parse_rows", counted)
    res = P.build(folder, out=tmp_path / "out" / "panel.parquet")
    assert calls == [NAME]
    flows = res.tables["rtt_flows"]
    expected = F.from_extract(extract)
    assert flows["waiting_list"].sum() == expected["waiting_list"].sum()
    assert res.panel.set_index("provider_code").loc["RAA", "rtt_waiting_list"] == 29.0


@pytest.mark.skipif(not EXTRACT.exists(), reason=f"the published extract is not at {EXTRACT}")
def test_real_extract_one_parse_is_identical():
    assert_same(three_ways(EXTRACT), three_ways(rtt.parse(EXTRACT)))


# --- CSV readers: one pass, limits checked as pandas reads ------------------------------------

def no_second_pass(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the file was streamed once more before it was read")

    monkeypatch.setattr(common, "check_lines", refuse)


@pytest.mark.parametrize("kind", ["csv", "gz", "zip", "cp1252", "utf16"])
def test_read_csv_text_reads_each_file_once(tmp_path, monkeypatch, kind):
    no_second_pass(monkeypatch)
    text = "code,name\nR1,Caf\u00e9\nR2,Bar\n"
    p = tmp_path / "t.csv"
    if kind == "gz":
        p = tmp_path / "t.csv.gz"
        p.write_bytes(gzip.compress(text.encode()))
    elif kind == "zip":
        p = tmp_path / "t.zip"
        with zipfile.ZipFile(p, "w") as z:
            z.writestr("t.csv", text)
            z.writestr("__MACOSX/._t.csv", b"\x00\x05")
    else:
        p.write_bytes(text.encode({"csv": "utf-8", "cp1252": "cp1252", "utf16": "utf-16"}[kind]))
    df = common.read_csv_text(p, dtype=str)
    assert df.to_dict("records") == [{"code": "R1", "name": "Caf\u00e9"},
                                     {"code": "R2", "name": "Bar"}]
    if kind not in ("gz", "zip"):
        assert common.read_csv_text(p, dtype=str, cut_last=True)["code"].tolist() == ["R1"]


@pytest.mark.parametrize("kind", ["csv", "gz", "zip"])
def test_read_csv_text_refuses_a_long_line_as_it_reads(tmp_path, monkeypatch, kind):
    no_second_pass(monkeypatch)
    monkeypatch.setenv("WORKBENCH_MAX_LINE_BYTES", "1000")
    data = b"Period,Org Code\n" + b"x" * 5000 + b"\n"
    p = tmp_path / {"csv": "t.csv", "gz": "t.csv.gz", "zip": "t.zip"}[kind]
    if kind == "gz":
        p.write_bytes(gzip.compress(data))
    elif kind == "zip":
        with zipfile.ZipFile(p, "w") as z:
            z.writestr("t.csv", data)
    else:
        p.write_bytes(data)
    with pytest.raises(SourceFormatError, match="line 2 is longer than 1,000 bytes"):
        common.read_csv_text(p, dtype=str)


def test_read_csv_text_refuses_more_than_the_size_limit(tmp_path, monkeypatch):
    no_second_pass(monkeypatch)
    p = tmp_path / "t.csv.gz"
    p.write_bytes(gzip.compress(b"a,b\n" + b"1,2\n" * 100_000))
    monkeypatch.setenv("WORKBENCH_MAX_UNPACKED_BYTES", "1000")
    with pytest.raises(SourceFormatError, match="MAX_UNPACKED_BYTES"):
        common.read_csv_text(p, dtype=str)
