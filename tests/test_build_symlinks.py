"""The real-data build reads a folder of symlinks as it reads the folder itself, never loops
on a link back up the tree, and prints every file it could not read, grouped by publication.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest
from test_panel_build import make_folder

from workbench.data import panel as P
from workbench.data.cli_data import add_parser, cmd_build
from workbench.data.panel_files import discover, unread_text, walk_files

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"


def linked(source: Path, links: Path) -> Path:
    """A folder holding one symlink to each entry (sub-folder or file) of ``source``."""
    links.mkdir(parents=True)
    for entry in sorted(source.iterdir()):
        os.symlink(entry, links / entry.name)
    return links


def relative(found, root: Path) -> list[tuple[str, str]]:
    return sorted((rec.kind, path.relative_to(root).as_posix()) for rec, path in found)


def others(records, root: Path) -> list[tuple[str, str]]:
    return sorted((Path(r["path"]).relative_to(root).as_posix(), r["status"]) for r in records)


def test_a_folder_of_symlinks_is_discovered_as_the_folder_itself(tmp_path):
    raw = make_folder(tmp_path / "raw")
    links = linked(raw, tmp_path / "links")
    found, rest = discover(raw)
    found_l, rest_l = discover(links)
    assert relative(found_l, links) == relative(found, raw)
    assert others(rest_l, links) == others(rest, raw)
    assert {"ods_etr", "workforce"} <= {rec.kind for rec, _ in found_l}  # in linked sub-folders


def test_a_build_from_symlinks_reads_the_same_files(tmp_path):
    raw = make_folder(tmp_path / "raw")
    links = linked(raw, tmp_path / "links")
    a = P.build(raw, out=tmp_path / "a" / "panel.parquet")
    b = P.build(links, out=tmp_path / "b" / "panel.parquet")

    def read(res, root):
        return sorted(Path(i["path"]).relative_to(root).as_posix()
                      for i in res.inputs if i["status"] == "read")

    assert read(b, links) == read(a, raw) and len(read(a, raw)) >= 5
    assert b.panel.equals(a.panel)


def test_links_back_up_the_tree_and_twice_to_one_folder_are_followed_once(tmp_path):
    raw = make_folder(tmp_path / "raw")
    (raw / "wf" / "up").symlink_to(raw)          # a loop
    (raw / "again").symlink_to(raw / "ods")      # the same folder under a second name
    (raw / "gone.csv").symlink_to(tmp_path / "nowhere.csv")
    files = walk_files(raw)
    names = [p.relative_to(raw).as_posix() for p in files]
    assert names.count("ods/etr.csv") + names.count("again/etr.csv") == 1
    assert not any(n.startswith("wf/up/") for n in names)
    _, rest = discover(raw)
    gone = [r for r in rest if r["path"].endswith("gone.csv")]
    assert gone and gone[0]["status"] == "not readable" and "target is missing" in gone[0]["reason"]


def test_the_files_not_read_are_printed_grouped_by_publication(tmp_path, capsys):
    raw = make_folder(tmp_path / "raw")
    (raw / "wf" / "README.md").write_text("about")
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["data", "build", "--from", str(raw), "--out",
                              str(tmp_path / "p.parquet")])
    assert cmd_build(args) == 0
    out, err = capsys.readouterr()
    assert "Files not read (3), by publication:" in out
    assert "  wf (1)\n    - README.md: not used: documentation" in out
    assert "  (top folder) (2)" in out and "notes.txt: not recognised" in out
    assert "DERIVED_copy.csv: not used: a derived copy" in out
    assert "reading 1/" in err and "joining" in err  # progress, on stderr


def test_unread_text_is_empty_when_everything_was_read():
    assert unread_text([{"path": "/d/a.csv", "status": "read"}], "/d") == ""


def test_the_real_download_folder_through_symlinks(tmp_path):
    if not REAL.is_dir():
        pytest.skip("../shared/data/real not present")
    links = linked(REAL, tmp_path / "links")
    found, rest = discover(REAL)
    found_l, rest_l = discover(links)
    assert relative(found_l, links) == relative(found, REAL) and len(found) > 20
    assert others(rest_l, links) == others(rest, REAL)
