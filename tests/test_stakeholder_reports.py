"""What stakeholders receive: reports and the index, searched as HTML text.

One small study (tiny notebooks on a 40-provider synthetic panel, one run failing on
purpose, a private parameter) is executed once for the module (~10 s).
"""

from __future__ import annotations

import csv
import json
import re

import nbformat
import pytest
from report_helpers import FAILED_ID, OK_ID, SECRET, table_cells, visible_text, write_study

from workbench.batch.runner import run_study
from workbench.report.disclosure import COUNT_NAMES, registry_counts

SMALL = {str(i) for i in range(1, 8)}


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stakeholder")
    path = write_study(folder)
    result = run_study(path, out=folder / "out", progress=False)
    return folder, folder / "out" / "stakeholder", result


def _pages(out):
    return {"index": (out / "index.html").read_text(encoding="utf-8"),
            OK_ID: (out / OK_ID / "report.html").read_text(encoding="utf-8"),
            FAILED_ID: (out / FAILED_ID / "report.html").read_text(encoding="utf-8")}


def test_the_study_ran_one_ok_one_failed(study):
    _, _, result = study
    assert [r.status for r in result.results] == ["ok", "failed"]


def test_no_code_parameters_traceback_or_local_path_in_any_page(study):
    folder, out, _ = study
    for name, html in _pages(out).items():
        for banned in ("session.start", "import pandas", "injected-parameters",
                       "Traceback", "panel_path", "output_dir", str(folder), "/tmp/",
                       str(folder.home()) + "/", 'class="highlight', "<script src=",
                       '"papermill"'):
            assert banned not in html, (name, banned)
        assert not re.search(r'class="[^"]*(jp-InputArea-editor|input_area|jp-CodeMirrorEditor)\b',
                             html), name


def test_private_parameter_never_reaches_html_but_stays_in_the_notebook(study):
    _, out, _ = study
    for name, html in _pages(out).items():
        assert SECRET not in html, name
    report = visible_text(_pages(out)[OK_ID])
    assert "Parameters the notebook's defaults" in report
    assert re.search(r"Analysed for \[private [0-9a-f]{8}\]", report)
    assert "[private " in visible_text(_pages(out)[FAILED_ID])  # the error line is scrubbed
    analyst = (out / OK_ID / "notebook.ipynb").read_text(encoding="utf-8")
    assert SECRET in analyst
    assert SECRET not in (out / "findings.csv").read_text(encoding="utf-8")


def test_counts_suppressed_and_rounded_in_html_raw_in_notebook(study):
    _, out, _ = study
    rows = table_cells(_pages(out)[OK_ID])
    ward = {r["ward"]: r for r in rows if "ward" in r}
    assert ward["A"]["fft_responses"] == "*" and ward["B"]["fft_responses"] == "*"
    assert ward["C"]["fft_responses"] == "1235" and ward["C"]["fft_positive"] == "1100"
    assert ward["A"]["fft_pct_positive"] == "*" and ward["B"]["fft_pct_positive"] == "*"
    assert ward["C"]["fft_pct_positive"] == "89.2"
    site = {r["site"]: r for r in rows if "site" in r}
    assert site["x"]["patients_seen"] == "*" and site["x"]["share_seen_pct"] == "*"
    assert site["y"]["patients_seen"] == "40" and site["y"]["share_seen_pct"] == "87.2"
    nb = nbformat.read(out / OK_ID / "notebook.ipynb", as_version=4)
    outputs = json.dumps([c.get("outputs", []) for c in nb.cells])
    assert "1234" in outputs and ">3<" in outputs and ">6<" in outputs


def test_no_count_of_people_between_1_and_7_in_any_table(study):
    _, out, _ = study
    counts = COUNT_NAMES | registry_counts() | {"patients_seen"}
    for name, html in _pages(out).items():
        for row in table_cells(html):
            for col, value in row.items():
                if col in counts:
                    assert value not in SMALL, (name, col, value)


def test_report_header_in_plain_words(study):
    _, out, _ = study
    text = visible_text(_pages(out)[OK_ID])
    assert "SYNTHETIC DATA" in text
    assert "The question: How many patients answered, by ward?" in text
    assert "April 2023 to September 2023" in text and "40 providers" in text
    assert "The mean was 4.50 units (95% CI 3.50 to 5.50)." in text
    assert re.search(r"Provenance: data sha256 [0-9a-f]{12} · notebook tiny_counts.ipynb "
                     r"sha256 [0-9a-f]{12}", text)
    assert "Counts of 1 to 7 are shown as *" in text
    assert "data:image/png;base64," in _pages(out)[OK_ID]


def test_index_lists_runs_findings_bh_and_errors(study):
    _, out, _ = study
    html = _pages(out)["index"]
    text = visible_text(html)
    assert f'href="{OK_ID}/report.html"' in html and 'href="findings.csv" download' in html
    assert re.search(r"ValueError: failed on purpose for \[private [0-9a-f]{8}\]", text)
    assert "SYNTHETIC DATA" in text
    assert '<table id="findings">' in html and "p (BH)" in text
    rows = [r for r in table_cells(html) if "p (BH)" in r]
    sentences = {"The mean was 4.50 units (95% CI 3.50 to 5.50).": "mean:y@acute",
                 "y was 0.40 units lower (95% CI -0.90 to 0.10) per x.": "slope:x->y@acute"}
    by_id = {sentences[r["Finding"]]: r for r in rows}  # the table shows no ids
    assert by_id["mean:y@acute"]["p"] == "0.01" and by_id["mean:y@acute"]["p (BH)"] == "0.02"
    assert by_id["slope:x->y@acute"]["p (BH)"] == "0.2"
    assert by_id["mean:y@acute"]["n"] == "*" and by_id["slope:x->y@acute"]["n"] == "240"
    with open(out / "findings.csv", newline="", encoding="utf-8") as fh:
        records = list(csv.DictReader(fh))
    assert {r["id"]: float(r["p_adjusted"]) for r in records} == {
        "mean:y@acute": 0.02, "slope:x->y@acute": 0.2}
