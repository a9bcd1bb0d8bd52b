"""The publishable folder: outputs/<study>/public/ holds what stakeholders may see (the
index, findings.csv, reports, figures, the checks record, disclosure logs without the
originals) and nothing with raw numbers; its links stay inside it (~10 s)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from report_helpers import OK_ID, SECRET, write_study

from workbench.batch.runner import run_study
from workbench.batch.study import reserved_problem
from workbench.report.publish import PUBLIC_DIR

RAW = {"notebook.ipynb", "findings.json", "data.json", "manifest.json", "run.log",
       "truth.json", "panel.parquet"}


@pytest.fixture(scope="module")
def public(tmp_path_factory):
    folder = tmp_path_factory.mktemp("public")
    result = run_study(write_study(folder), out=folder / "out", progress=False)
    assert [r.status for r in result.results] == ["ok", "failed"]
    return folder / "out" / "stakeholder" / PUBLIC_DIR


def test_public_folder_holds_the_pages_and_nothing_raw(public):
    names = {p.relative_to(public).as_posix() for p in public.rglob("*") if p.is_file()}
    assert {"index.html", "findings.csv", "disclosure.json", f"{OK_ID}/report.html",
            f"{OK_ID}/results.json", f"{OK_ID}/disclosure.json",
            f"{OK_ID}/figures/line.png", f"{OK_ID}/figures/line.json"} <= names
    assert not {Path(n).name for n in names} & RAW
    assert not any(n.startswith(("analyst/", "data/")) for n in names)
    for path in public.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".csv", ".json"):
            assert SECRET not in path.read_text(encoding="utf-8"), path


def test_public_disclosure_logs_say_what_was_hidden_without_the_originals(public):
    run_log = json.loads((public / OK_ID / "disclosure.json").read_text(encoding="utf-8"))
    study_log = json.loads((public / "disclosure.json").read_text(encoding="utf-8"))
    changes = run_log["changes"] + [c for s in study_log.values() for c in s["changes"]]
    assert changes and all("original" not in c for c in changes)
    assert any(c["shown"] == "*" and c.get("reason") for c in changes)
    raw_log = json.loads((public.parent / OK_ID / "disclosure.json").read_text())
    assert all("original" in c for c in raw_log["changes"])   # the analyst's keeps them


def test_every_link_of_a_public_page_stays_inside_the_folder(public):
    for page in public.rglob("*.html"):
        for a in BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").find_all("a"):
            href = a.get("href", "")
            if not href or href.startswith(("http://", "https://", "#", "mailto:")):
                continue
            target = (page.parent / href.split("#")[0]).resolve()
            assert target.is_relative_to(public.resolve()) and target.exists(), (page, href)


def test_a_run_cannot_be_named_like_the_public_folder():
    assert reserved_problem("public") and reserved_problem("Public")
