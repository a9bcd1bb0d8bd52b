"""A built panel kept under a name (``workbench data build --name``) and used by several
studies (``data: {panel: NAME}``), its files' sha256 checked on every use; a study's
``data: {build: ...}`` reuses the build another study made from the same files.
"""

from __future__ import annotations

import argparse
import json

import pytest
from batch_helpers import write_notebook
from test_panel_build import make_folder

from workbench.batch.data_step import CATALOGUE_FILE, PANEL_FILE, materialise_data_cached
from workbench.batch.study import load_study
from workbench.data import named_panels
from workbench.data.cli_data import add_parser, cmd_build
from workbench.errors import StudyError


@pytest.fixture
def panels(tmp_path, monkeypatch):
    monkeypatch.setenv(named_panels.PANELS_ENV, str(tmp_path / "panels"))
    return tmp_path / "panels"


def build_named(raw, name, capsys=None) -> int:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    return cmd_build(parser.parse_args(["data", "build", "--from", str(raw), "--name", name]))


def study(tmp_path, data: str, name: str = "s"):
    write_notebook(tmp_path / "nb.ipynb")
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"name: {name}\ndata: {data}\nruns: [nb.ipynb]\n", encoding="utf-8")
    return load_study(path)


def test_a_named_build_is_sealed_and_used_by_a_study(tmp_path, panels, capsys):
    raw = make_folder(tmp_path / "raw")
    assert build_named(raw, "real2026") == 0
    out = capsys.readouterr().out
    folder = panels / "real2026"
    assert "Named panel 'real2026'" in out and "data: {panel: real2026}" in out
    seal = json.loads((folder / named_panels.SEAL_FILE).read_text())
    assert {PANEL_FILE, CATALOGUE_FILE, "panel.provenance.json"} <= set(seal["files"])
    s = study(tmp_path, "{panel: real2026}")
    assert s.data.kind == "panel" and s.data.options["name"] == "real2026"
    record = materialise_data_cached(s.data, tmp_path / "out" / "data", s.path)
    data = tmp_path / "out" / "data"
    assert record["sha256"] == seal["sha256"][PANEL_FILE]
    assert (data / CATALOGUE_FILE).read_bytes() == (folder / CATALOGUE_FILE).read_bytes()
    other = study(tmp_path, "{panel: real2026}", name="t")  # a second study, same panel
    assert materialise_data_cached(other.data, tmp_path / "out2" / "data",
                                   other.path)["sha256"] == record["sha256"]


def test_a_named_panel_changed_since_its_build_is_refused(tmp_path, panels):
    raw = make_folder(tmp_path / "raw")
    assert build_named(raw, "real2026") == 0
    s = study(tmp_path, "{panel: real2026}")
    materialise_data_cached(s.data, tmp_path / "out" / "data", s.path)
    coverage = panels / "real2026" / "panel.coverage.csv"
    coverage.write_text(coverage.read_text() + "\n")
    with pytest.raises(StudyError, match=r"s.yaml: key 'data.panel': .*named panel 'real2026' "
                                         r"has changed since it was built: panel.coverage.csv "
                                         r"\(sha256 .*--name real2026"):
        materialise_data_cached(s.data, tmp_path / "out" / "data", s.path)  # even cached


def test_a_name_that_is_no_file_and_no_built_panel(tmp_path, panels):
    with pytest.raises(StudyError, match=r"key 'data.panel' \(line 2\): 'real2099' is neither "
                                         r"a panel file nor a named panel.*workbench data "
                                         r"build --from FOLDER --name real2099"):
        study(tmp_path, "{panel: real2099}")


def test_a_bad_name_is_refused_by_the_build(tmp_path, panels, capsys):
    assert build_named(tmp_path, "../up") == 2
    assert "cannot name a panel" in capsys.readouterr().err


def test_a_second_study_built_from_the_same_files_reuses_the_build(tmp_path, panels,
                                                                    monkeypatch, capsys):
    raw = make_folder(tmp_path / "raw")
    first = study(tmp_path, f"{{build: {{from: {raw}}}}}", name="a")
    one = materialise_data_cached(first.data, tmp_path / "out" / "a" / "data", first.path)
    err = capsys.readouterr().err
    assert "data: building the panel from" in err and "data: reading 1/" in err
    assert "Files not read (2), by publication:" in err and "notes.txt: not recognised" in err

    def no_build(*args, **kwargs):
        raise AssertionError("built again")

    monkeypatch.setattr("workbench.data.panel.build", no_build)
    second = study(tmp_path, f"{{build: {{from: {raw}}}}}", name="b")
    two = materialise_data_cached(second.data, tmp_path / "out" / "b" / "data", second.path)
    assert two["sha256"] == one["sha256"]
    assert "is reused from" in capsys.readouterr().err
    catalogue = tmp_path / "out" / "b" / "data" / CATALOGUE_FILE
    assert json.loads(catalogue.read_text())["tables"]["panel"]


def test_old_builds_and_the_partial_folders_of_ended_builds_are_removed(tmp_path):
    import os

    from workbench.batch import data_step

    builds = tmp_path / ".builds"
    for i in range(6):
        (builds / f"key{i}").mkdir(parents=True)
        os.utime(builds / f"key{i}", (1_000_000 + i, 1_000_000 + i))
    (builds / ".key9.partial-999999999").mkdir()        # no such process
    (builds / f".key8.partial-{os.getpid()}").mkdir()   # a build still running
    data_step._prune_builds(builds, keep=builds / "key0")
    left = sorted(p.name for p in builds.iterdir())
    assert left == [f".key8.partial-{os.getpid()}", "key0", "key3", "key4", "key5"]
