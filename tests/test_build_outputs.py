"""`workbench data build` outputs: a folder or a .parquet path, replaced whole or not at all,
clear errors for a full disk or unwritable folder, incomplete files and printed warnings."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import types
import warnings
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from test_panel_build import FFT, make_folder
from test_sources_fft import ip_rows, write_fft

from workbench.cli import main
from workbench.data import panel as P
from workbench.data import panel_files as PF
from workbench.errors import IncompleteSourceWarning, SourceIncompleteError
from workbench.files import sha256_file

NAMES = ("panel.parquet", "panel.coverage.csv", "panel.provenance.json")


@pytest.fixture
def raw(tmp_path):
    return make_folder(tmp_path / "raw")


def _set(folder: Path, stem: str = "panel") -> dict:
    names = [f"{stem}.parquet", f"{stem}.coverage.csv", f"{stem}.provenance.json"]
    return {n: sha256_file(folder / n) if (folder / n).is_file() else None for n in names}


def _cli(capsys, *args) -> tuple[int, str, str]:
    code = main(["data", "build", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_out_may_be_an_existing_folder_with_other_files(raw, tmp_path, capsys):
    dest = tmp_path / "processed"
    dest.mkdir()
    (dest / "notes.md").write_text("mine")
    code, out, err = _cli(capsys, "--from", raw, "--out", dest)
    progress = ("reading ", "joining ")  # the build's progress lines, on stderr
    assert (code, [line for line in err.splitlines() if not line.startswith(progress)]) == (0, [])
    assert all(v is not None for v in _set(dest).values())
    assert len(pd.read_parquet(dest / "panel.parquet")) == len(
        pd.read_csv(dest / "panel.coverage.csv"))
    prov = json.loads((dest / "panel.provenance.json").read_text())
    assert prov["panel_sha256"] == sha256_file(dest / "panel.parquet")
    assert f"Wrote {dest / 'panel.parquet'}" in out
    # built again into the same folder: replaced, the user's file kept, nothing left over
    assert _cli(capsys, "--from", raw, "--out", dest)[0] == 0
    assert (dest / "notes.md").read_text() == "mine"
    assert not [p for p in dest.rglob("*.part")]
    assert len([p for p in dest.iterdir() if p.name.startswith(".panel.build-")]) == 1


def test_out_may_be_a_parquet_path_with_its_files_beside_it(raw, tmp_path, capsys):
    out = tmp_path / "p" / "real_2017.parquet"
    assert _cli(capsys, "--from", raw, "--out", out)[0] == 0
    assert all(v is not None for v in _set(out.parent, "real_2017").values())
    assert sorted(p.name for p in out.parent.iterdir() if not p.name.startswith(".")) == [
        "real_2017.catalogue.json", "real_2017.coverage.csv", "real_2017.parquet",
        "real_2017.provenance.json"]


def test_out_that_is_a_plain_file_is_refused_naming_it(raw, tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    code, out, err = _cli(capsys, "--from", raw, "--out", tmp_path / "notes.txt")
    assert code == 2 and "notes.txt: is a file, not a folder" in err and "Wrote" not in out
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_an_old_layout_of_plain_files_is_replaced_whole(raw, tmp_path):
    dest = tmp_path / "d"
    dest.mkdir()
    for n in NAMES:
        (dest / n).write_text("from an older build")
    res = P.build(raw, out=dest)
    assert all((dest / n).read_bytes() != b"from an older build" for n in NAMES)
    assert res.provenance["panel_sha256"] == sha256_file(dest / "panel.parquet")
    assert pd.read_parquet(dest / "panel.parquet")["provider_code"].nunique() == 5
    assert [p.name for p in dest.iterdir() if p.name.startswith(".panel.build-")] == [
        os.readlink(dest / ".panel.current")]  # the old files' folder is gone


def _build_killed_at(raw: Path, dest: Path, step: str) -> int:
    env = dict(os.environ, WORKBENCH_TEST_KILL_AT=step)
    return subprocess.run([sys.executable, "-m", "workbench.cli", "data", "build", "--from",
                           str(raw), "--out", str(dest)], env=env, capture_output=True,
                          timeout=120, check=False).returncode


@pytest.mark.parametrize("step", ["written", "linked", "switched"])
def test_a_build_killed_at_each_step_leaves_the_old_set_or_the_new(raw, tmp_path, step):
    dest = tmp_path / "d"
    P.build(raw, out=dest)
    old = _set(dest)
    write_fft(raw / "FFT-inpatient-data-October-2017.xlsx", rows=ip_rows(FFT))  # new month
    assert _build_killed_at(raw, dest, step) == -signal.SIGKILL
    now = _set(dest)
    if step == "switched":
        assert now != old and all(now.values())
        assert json.loads((dest / "panel.provenance.json").read_text())["panel_sha256"] == \
            now["panel.parquet"]
        assert "2017-10" in json.loads((dest / "panel.provenance.json").read_text())["periods"]
    else:
        assert now == old
    res = P.build(raw, out=dest)  # the next build sweeps what the killed one left
    assert [p.name for p in dest.iterdir() if p.name.startswith(".panel.build-")] == [
        os.readlink(dest / ".panel.current")]
    assert res.provenance["panel_sha256"] == sha256_file(dest / "panel.parquet")


# --- full disk, read-only destination ---------------------------------------------------

def test_a_full_disk_fails_clearly_and_keeps_the_old_outputs(raw, tmp_path, capsys,
                                                              monkeypatch):
    dest = tmp_path / "d"
    assert _cli(capsys, "--from", raw, "--out", dest)[0] == 0
    old = _set(dest)

    def full(self, path, *a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    code, out, err = _cli(capsys, "--from", raw, "--out", dest)
    assert code != 0
    assert f"{dest}: no space left on the device" in err and "Traceback" not in err + out
    assert "Wrote" not in out
    assert _set(dest) == old
    assert len([p for p in dest.iterdir() if p.name.startswith(".panel.build-")]) == 1


def test_a_read_only_destination_fails_clearly(raw, tmp_path, capsys, monkeypatch):
    dest = tmp_path / "ro"
    real_mkdir = Path.mkdir

    def refuse(self, *a, **k):  # root ignores chmod, so the refusal is made here
        if self.name.startswith(".panel.build-"):
            raise OSError(errno.EROFS, "Read-only file system", str(self))
        return real_mkdir(self, *a, **k)

    monkeypatch.setattr(Path, "mkdir", refuse)
    code, out, err = _cli(capsys, "--from", raw, "--out", dest)
    assert code != 0 and f"{dest}: the file system is read-only" in err
    assert "Wrote" not in out and not (dest / "panel.parquet").exists()


# --- incomplete files and warnings ---------------------------------------------------------

def _fft_reader_that_checks_totals(monkeypatch, seen: list):
    """The real FFT reader behind a completeness check that finds the totals row missing."""
    from workbench.data.sources import fft

    def read(path, *, allow_incomplete=False):
        seen.append(allow_incomplete)
        if not allow_incomplete:
            raise SourceIncompleteError(path, "the England totals row is missing",
                                        column="Total Responses",
                                        expected="a totals row after the providers")
        warnings.warn(IncompleteSourceWarning(f"{path}: the England totals row (column "
                                              "'Total Responses') is missing; read without "
                                              "the totals check"), stacklevel=2)
        return fft.read(path)

    module = types.ModuleType("fft_with_totals_check")
    module.read = read
    monkeypatch.setitem(sys.modules, module.__name__, module)
    recs = tuple(replace(r, module=module.__name__) if r.kind == "fft" else r
                 for r in PF.RECOGNISERS)
    monkeypatch.setattr(PF, "RECOGNISERS", recs)


def test_an_incomplete_file_fails_the_build_unless_allowed(raw, tmp_path, capsys, monkeypatch):
    seen: list = []
    _fft_reader_that_checks_totals(monkeypatch, seen)
    dest = tmp_path / "d"
    code, out, err = _cli(capsys, "--from", raw, "--out", dest)
    assert code == 2 and seen == [False]
    assert "FFT-inpatient-data-September-2017.xlsx" in err and "totals row is missing" in err
    assert "--allow-incomplete" in err and "Wrote" not in out
    assert not dest.exists()

    code, out, err = _cli(capsys, "--from", raw, "--out", dest, "--allow-incomplete")
    assert code == 0 and seen == [False, True]
    warned = out[out.index("Warnings ("):]
    assert "FFT-inpatient-data-September-2017.xlsx" in warned
    assert "IncompleteSourceWarning (column 'Total Responses')" in warned
    assert "is missing; read without the totals check" in warned
    prov = json.loads((dest / "panel.provenance.json").read_text())
    assert prov["allow_incomplete"] is True
    assert [w["kind"] for w in prov["warnings"]] == ["IncompleteSourceWarning"]


def test_reader_warnings_are_printed_grouped_by_file(raw, tmp_path, capsys):
    bad = [FFT[0][:5] + (0.80,) + FFT[0][6:], FFT[1]]  # % positive disagrees with the counts
    write_fft(raw / "FFT-inpatient-data-October-2017.xlsx", rows=ip_rows(bad))
    code, out, _ = _cli(capsys, "--from", raw, "--out", tmp_path / "d")
    assert code == 0
    text = out[out.index("Warnings ("):]
    lines = text.splitlines()
    head = [i for i, line in enumerate(lines) if line.strip().endswith("October-2017.xlsx")]
    assert len(head) == 1, text
    assert "Percentage Positive" in lines[head[0] + 1] and lines[head[0] + 1].startswith("    - ")
    prov = json.loads((tmp_path / "d" / "panel.provenance.json").read_text())
    assert any("Percentage Positive" in w["message"] for w in prov["warnings"])
    oct_input = next(i for i in prov["inputs"] if i["path"].endswith("October-2017.xlsx"))
    assert any("Percentage Positive" in w for w in oct_input["warnings"])
