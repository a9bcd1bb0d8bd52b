"""Small-number suppression: the rule, tables, HTML, study blocks and rendered reports."""

from __future__ import annotations

import re

import nbformat
import pandas as pd
import pytest
from report_helpers import table_cells, visible_text

from workbench.analysis.questions.data_quality import data_quality
from workbench.batch.study import load_study
from workbench.data.synth import generate
from workbench.errors import StudyError
from workbench.report.disclosure import (
    DisclosureRule,
    rule_from_study,
    suppress_frame,
    suppress_html,
)
from workbench.report.run_report import render_report
from workbench.report.study_index import render_index


@pytest.mark.parametrize("value, shown", [(0, "0"), (1, "*"), (7, "*"), (7.0, "*"), (8, "10"),
                                          (12, "10"), (13, "15"), (1234, "1235"),
                                          ("1,234", "1235"), (None, ""), ("n/a", "n/a")])
def test_nhs_convention(value, shown):
    assert DisclosureRule().count_text(value) == shown


def test_configurable_rule():
    rule = rule_from_study({"suppress_up_to": 10, "round_to": 10, "symbol": "c"})
    assert [rule.count_text(v) for v in (9, 10, 11, 14, 16)] == ["c", "c", "10", "10", "20"]
    off = rule_from_study({"suppress_up_to": 0, "round_to": 1})
    assert off.count_text(3) == "3"


@pytest.mark.parametrize("block, message", [
    ({"round": 5}, "unknown key 'disclosure.round'"),
    ({"suppress_up_to": -1}, "disclosure.suppress_up_to"),
    ({"round_to": 0}, "disclosure.round_to"),
    ({"count_columns": "beds"}, "disclosure.count_columns"),
    ({"rate_columns": {"r": "n"}}, "disclosure.rate_columns"),
    ([7], "key 'disclosure'"),
])
def test_bad_disclosure_block_names_the_key(block, message):
    with pytest.raises(StudyError, match=message):
        rule_from_study(block, "s.yaml")


def test_study_file_private_and_disclosure(tmp_path):
    nb = tmp_path / "nb.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), nb)
    base = "name: s\ndata: {synthetic: {seed: 1}}\nruns: [nb.ipynb]\n"
    (tmp_path / "ok.yaml").write_text(base + "private: [trust]\ndisclosure: {round_to: 10}\n")
    study = load_study(tmp_path / "ok.yaml")
    assert study.private == ("trust",) and study.disclosure == {"round_to": 10}
    (tmp_path / "bad.yaml").write_text(base + "private: trust\n")
    with pytest.raises(StudyError, match="key 'private'"):
        load_study(tmp_path / "bad.yaml")
    (tmp_path / "bad2.yaml").write_text(base + "disclosure: {round_to: x}\n")
    with pytest.raises(StudyError, match="bad2.yaml: key 'disclosure.round_to'"):
        load_study(tmp_path / "bad2.yaml")


def test_rates_on_suppressed_counts_are_suppressed():
    df = pd.DataFrame({"complaints": [2, 30], "episodes": [900, 5],
                       "complaints_per_1000": [2.2, 6000.0], "other_pct": [1.0, 2.0]})
    out = suppress_frame(df)
    assert out["complaints"].tolist() == ["*", "30"]
    assert out["episodes"].tolist() == ["900", "*"]
    assert out["complaints_per_1000"].tolist() == ["*", "*"]
    assert out["other_pct"].tolist() == ["1", "2"]  # not built on these counts


def test_generic_n_column_hides_percentages_in_its_row():
    df = pd.DataFrame({"group": ["a", "b"], "n": [4, 50], "pct_good": [75.0, 60.0]})
    assert suppress_frame(df)[["n", "pct_good"]].values.tolist() == [["*", "*"], ["50", "60"]]


def test_rows_of_count_measures_in_measure_tables():
    panel = generate(seed=1, n_providers=40, n_months=6).panel
    ranges = data_quality(panel)["ranges"].round(2)
    html = suppress_html(ranges.to_html(index=False))
    rows = {r["measure"]: r for r in table_cells(html)}
    for measure in ("complaints", "fft_responses", "beds"):
        for col in ("min", "median", "max"):
            assert rows[measure][col] not in {str(i) for i in range(1, 8)}
    assert rows["fft_pct_positive"]["max"] == str(ranges.set_index("measure").loc[
        "fft_pct_positive", "max"])


def test_html_outside_tables_and_multiindex_headers():
    df = pd.DataFrame({"fft_responses": [3, 50]}, index=pd.Index(["x", "y"], name="ward"))
    html = "<p>3 wards</p>" + df.to_html()
    out = suppress_html(html)
    assert out.startswith("<p>3 wards</p>")
    cells = table_cells(out)
    assert [c.get("fft_responses") for c in cells if c.get("fft_responses")] == ["*", "50"]


def _nb_with_table(html: str, params: str = 'trust = "RX1 Example"') -> nbformat.NotebookNode:
    p = nbformat.v4.new_code_cell(params)
    p.metadata["tags"] = ["parameters"]
    c = nbformat.v4.new_code_cell("s.show(df)")
    c.outputs = [nbformat.v4.new_output("display_data", data={"text/html": html,
                                                              "text/plain": "table"}),
                 nbformat.v4.new_output("stream", name="stdout", text="made for RX1 Example\n")]
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# T"), p, c],
                                    metadata={"papermill": {"parameters": {"trust": "RX1 Example"}}})


def test_render_report_suppresses_and_hides_private_values():
    table = pd.DataFrame({"fft_responses": [4, 52], "fft_positive": [3, 47]}).to_html()
    nb = _nb_with_table(table)
    html = render_report(nb, {"study": "s", "parameters": {"trust": "RX1 Example", "k": 3},
                              "private": ["trust"], "disclosure": {"round_to": 10}})
    text = visible_text(html)
    assert "RX1 Example" not in html and "trust = [private " in text and "k = 3" in text
    assert re.search(r"made for \[private [0-9a-f]{8}\]", text)
    cells = [c for c in table_cells(html) if "fft_responses" in c]
    assert [c["fft_responses"] for c in cells] == ["*", "50"]
    assert [c["fft_positive"] for c in cells] == ["*", "50"]
    assert "papermill" not in html
    assert nb.cells[2].outputs[0].data["text/html"] == table  # the notebook is left as it was


def test_render_index_suppresses_n_and_hides_private_parameters():
    runs = [{"run_id": "r1", "title": "R", "parameters": {"trust": "RX1 Example"},
             "status": "ok", "duration_s": 2.0, "error": "", "report_href": "r1/report.html",
             "findings": [{"id": "effect:a->b@acute", "question": "Q", "estimate": 1.0, "ci_low": 0.5,
                           "ci_high": 1.5, "p_value": 0.03, "n": 6,
                           "sentence": "About RX1 Example."}]}]
    html = render_index({"name": "s", "private": ["trust"]}, runs)
    assert "RX1 Example" not in html and re.search(r"trust = \[private [0-9a-f]{8}\]", html)
    row = next(r for r in table_cells(html) if "p (BH)" in r)
    assert row["n"] == "*" and row["p"] == "0.03" and row["p (BH)"] == "0.03"
    assert 'data-sort="6' not in html
