"""A table of the user's own (wards, sites, services) with a declaration of what it holds:
read from CSV, Excel or parquet and checked with messages naming the file, row, column and
rule; its measures extend the registry for the session that uses them, and reach sentences
and disclosure control; a study reads it through its data step."""

from __future__ import annotations

import contextvars
import json
from pathlib import Path

import pandas as pd
import pytest

import workbench
from workbench.analysis.findings import wording
from workbench.analysis.findings.record import Finding
from workbench.batch.data_step import materialise_data
from workbench.batch.study import load_study
from workbench.data import measures as M
from workbench.data.declared import read_declaration, read_table
from workbench.data.example_wards import DECLARATION, declaration_yaml, generate_wards
from workbench.errors import (
    DeclarationError,
    PanelValidationError,
    SourceFormatError,
    StudyError,
    TableValidationError,
    WorkbenchError,
)
from workbench.report.disclosure import rule_from_study, suppress_frame
from workbench.session import start

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def example():
    return generate_wards(seed=7)


@pytest.fixture()
def wards(tmp_path, example):
    """The example table written as CSV with its declaration beside it."""
    table, decl, _ = example.write(tmp_path / "wards.csv")
    return table, decl


@pytest.fixture(autouse=True)
def _no_measures_left_in_use():
    token = M.use({})
    yield
    M.stop_using(token)


def _csv(tmp_path, text: str, name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


SMALL = {"unit": {"column": "ward", "name": "ward"}, "period": "month",
         "measures": {"fill": {"label": "Fill rate (%)", "kind": "percent", "range": [0, 200],
                               "better": "higher", "construct": "staffing"},
                      "falls": {"label": "Falls", "unit": "falls", "kind": "count",
                                "people": True, "better": "lower", "construct": "context"}}}


# ---- reading ------------------------------------------------------------------------------

def test_a_csv_with_its_declaration_loads_as_a_panel_keeping_every_declared_column(wards):
    table, decl = wards
    panel = workbench.load(table, declaration=decl)
    assert panel["provider_code"].nunique() == 20 and panel["period"].nunique() == 24
    declared = set(DECLARATION["measures"]) | {"directorate", "site"}
    assert declared <= set(panel.columns)
    # the computed measures are the declared ratio of their counts
    row = panel.iloc[5]
    assert row["fft_pct_positive"] == pytest.approx(100 * row["fft_positive"] / row["fft_responses"])
    # ward codes are not ODS codes, and need not be
    assert panel["provider_code"].iloc[0] == "W01"


def test_load_summary_lists_the_declared_measures_and_groups(wards, capsys):
    table, decl = wards
    workbench.load(table, declaration=decl, summary=True)
    shown = capsys.readouterr().out
    assert shown.startswith("20 wards x 24 months")
    for name in DECLARATION["measures"]:
        assert name in shown
    assert "Medicine / North site" in shown


def test_csv_excel_and_parquet_give_the_same_panel(tmp_path, example):
    decl = read_declaration(DECLARATION)
    panels = []
    for suffix in (".csv", ".xlsx", ".parquet"):
        path, _, _ = example.write(tmp_path / f"wards{suffix}")
        panels.append(read_table(path, decl).panel)
    pd.testing.assert_frame_equal(panels[0], panels[1])
    pd.testing.assert_frame_equal(panels[0], panels[2])


def test_a_csv_where_a_panel_file_is_expected_says_what_to_do(wards, tmp_path):
    table, _ = wards
    with pytest.raises(SourceFormatError) as info:
        workbench.load(table)
    message = str(info.value)
    assert "CSV" in message and "declaration" in message and "magic" not in message
    renamed = tmp_path / "wards.parquet"
    renamed.write_bytes(table.read_bytes())
    with pytest.raises(SourceFormatError, match="is a CSV file, not a panel"):
        workbench.load(renamed)


def test_a_study_naming_a_csv_as_its_panel_is_told_to_declare_it(wards, tmp_path):
    table, _ = wards
    study = tmp_path / "s.yaml"
    study.write_text(f"name: s\ndata: {{panel: {table}}}\nruns:\n  - notebook: nb.ipynb\n")
    with pytest.raises(StudyError, match=r"CSV file, not a panel.*data: \{table: .*declaration"):
        load_study(study)


def test_a_panel_missing_its_identity_columns_names_them_without_empty_row_lists(tmp_path):
    frame = pd.DataFrame({"ward": ["A"] * 3, "period": pd.date_range("2024-01-01", periods=3,
                                                                      freq="MS")})
    with pytest.raises(PanelValidationError) as info:
        workbench.data.schema.validate_panel(frame, source="wards.parquet")
    message = str(info.value)
    assert "[rows " not in message and "(the whole column)" in message
    assert "docs/your_own_data.md" in message


def test_a_panel_with_periods_as_text_reports_the_type_not_an_attribute_error():
    from workbench.data.synth import generate

    panel = generate(seed=1, n_providers=20, n_months=2).panel
    panel["period"] = panel["period"].dt.strftime("%Y-%m")
    with pytest.raises(PanelValidationError) as info:
        workbench.data.schema.validate_panel(panel)
    assert "AttributeError" not in str(info.value) and "'period'" in str(info.value)


def test_every_broken_rule_names_the_file_the_rows_the_column_and_the_rule(tmp_path):
    path = _csv(tmp_path, "ward,month,fill,falls\n"
                          "A1,2024-01,96,0\n"
                          "A1,2024-02,950,1\n"       # row 3: out of range
                          "A1,2024-02,97,2\n"        # row 4: duplicate ward-month
                          "A1,2024-05,lots,1.5\n"    # row 5: gap, not a number, not whole
                          ",2024-06,90,0\n"          # row 6: no code
                          "B2,June,91,0\n")          # row 7: not a month
    with pytest.raises(TableValidationError) as info:
        read_table(path, SMALL)
    message, failures = str(info.value), info.value.failures
    assert str(path) in message
    found = {(r.column, r.rule.split(" (")[0]): list(r.rows) for r in failures.itertuples()}
    assert found[("fill", "between 0 and 200")] == [3]
    assert found[("fill", "a number")] == [5]
    assert found[("falls", "a whole number")] == [5]
    assert found[("ward, month", "one row per ward and month")] == [3, 4]
    assert found[("ward", "a ward code in every row")] == [6]
    assert found[("month", "a month such as 2024-01, Jan 2024 or 01/01/2024")] == [7]
    assert [r for (c, rule), r in found.items() if c == "month" and "missing" in rule] == [[5]]
    assert isinstance(info.value, WorkbenchError) and isinstance(info.value, ValueError)


def test_gaps_can_be_allowed_and_numerators_may_not_pass_their_denominators(tmp_path):
    decl = {"unit": "site", "period": {"column": "month", "gaps": "allowed"},
            "measures": {"resp": {"label": "Responses", "unit": "responses", "kind": "count",
                                  "people": True, "construct": "satisfaction"},
                         "pos": {"label": "Positive", "unit": "responses", "kind": "count",
                                 "people": True, "construct": "satisfaction"},
                         "pct": {"label": "Positive (%)", "kind": "percent",
                                 "construct": "satisfaction", "numerator": "pos",
                                 "denominator": "resp"}}}
    ok = _csv(tmp_path, "site,month,resp,pos\nS1,2024-01,10,9\nS1,2024-03,8,8\n")
    assert read_table(ok, decl).panel["pct"].tolist() == [90.0, 100.0]
    bad = _csv(tmp_path, "site,month,resp,pos\nS1,2024-01,10,12\n", "bad.csv")
    with pytest.raises(TableValidationError, match=r"'pos': rule 'at most resp .* \[rows 2\]"):
        read_table(bad, decl)


@pytest.mark.parametrize("change, key, words", [
    (lambda d: d["measures"]["fill"].update(kind="share"), "measures.fill.kind",
     "not a kind of measure"),
    (lambda d: d["measures"]["falls"].pop("people"), "measures.falls.people",
     "missing on a count"),
    (lambda d: d["measures"]["fill"].update(constrcut="staffing"), "measures.fill.constrcut",
     "did you mean 'construct'"),
    (lambda d: d.pop("period"), "period", "is missing"),
])
def test_a_declaration_error_names_the_key(change, key, words):
    decl = json.loads(json.dumps(SMALL))
    change(decl)
    with pytest.raises(DeclarationError) as info:
        read_declaration(decl, source="wards.yaml")
    assert info.value.key == key and words in str(info.value)
    assert str(info.value).startswith("wards.yaml: ")


def test_a_declared_column_the_file_lacks_gets_a_did_you_mean(tmp_path):
    path = _csv(tmp_path, "ward,month,fill_rate,falls\nA1,2024-01,96,0\n")
    with pytest.raises(DeclarationError, match=r"'fill'.*did you mean 'fill_rate'"):
        read_table(path, SMALL)


# ---- measures of the user's own ---------------------------------------------------------

def test_declared_measures_reach_sentences_and_leave_with_their_scope():
    decl = read_declaration(DECLARATION)
    f = Finding(id="effect:nurse_fill_rate_pct->fft_pct_positive@all", question="q",
                estimate=0.31, ci_low=0.2, ci_high=0.4, unit="percentage points")
    with M.extended(decl.registry()):
        text = wording.describe(f, "nurse_fill_rate_pct", "fft_pct_positive")
        assert M.get("care_hours_ppd").label == "Care hours per patient day"
        assert M.get("occupied_bed_days").people is False  # the declaration wins
    assert "for each extra percentage point of Registered nurse fill rate" in text
    assert "unit of nurse_fill_rate_pct" not in text
    assert "nurse_fill_rate_pct" not in M.MEASURES
    assert M.get("occupied_bed_days").people is None  # the registry's own again


def test_declared_measures_do_not_leak_into_another_context(wards):
    table, decl = wards

    def other_study():
        return "nurse_fill_rate_pct" in M.MEASURES

    workbench.load(table, declaration=decl)
    assert "nurse_fill_rate_pct" in M.MEASURES
    assert contextvars.Context().run(other_study) is False
    workbench.load(seed=1, n_providers=20, n_months=2)  # another panel: its measures only
    assert "nurse_fill_rate_pct" not in M.MEASURES


def test_a_study_flags_the_declared_counts_of_people_for_disclosure(wards, tmp_path):
    table, decl = wards
    study = tmp_path / "s.yaml"
    study.write_text(f"name: s\ndata: {{table: {table}, declaration: {decl}}}\n"
                     "disclosure: {count_columns: [beds_free]}\nruns:\n  - notebook: nb.ipynb\n")
    (tmp_path / "nb.ipynb").write_text(json.dumps(
        {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    s = load_study(study)
    block = s.disclosure
    assert block["count_columns"] == ["beds_free", "fft_responses", "fft_positive", "complaints"]
    assert block["rate_columns"]["complaints_per_1000_obd"] == ["complaints",
                                                                "occupied_bed_days"]
    rule = rule_from_study(block)
    shown = suppress_frame(pd.DataFrame({"complaints": [3, 12], "occupied_bed_days": [700, 4],
                                         "complaints_per_1000_obd": [4.3, 17.1]}), rule)
    assert shown["complaints"].tolist() == ["*", "10"]
    assert shown["complaints_per_1000_obd"].tolist()[0] == "*"


def test_an_inline_declaration_error_names_the_study_key_and_line(tmp_path, wards):
    table, _ = wards
    study = tmp_path / "s.yaml"
    study.write_text(f"name: s\ndata:\n  table: {table}\n  declaration:\n    unit: ward_code\n"
                     "    period: month\n    measures:\n      x: {label: X, kind: odd, "
                     "construct: context}\nruns:\n  - notebook: nb.ipynb\n")
    with pytest.raises(StudyError, match=r"key 'data.declaration.measures.x.kind' \(line 8\)"):
        load_study(study)


# ---- the data step and the session --------------------------------------------------------

def test_a_study_table_is_made_once_and_read_by_the_session_with_its_measures(wards, tmp_path):
    table, decl = wards
    study = tmp_path / "s.yaml"
    study.write_text(f"name: s\ndata: {{table: {table}, declaration: {decl}, truth: "
                     f"{table.with_name('wards.truth.json')}}}\nruns:\n  - notebook: nb.ipynb\n")
    (tmp_path / "nb.ipynb").write_text(json.dumps(
        {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    spec = load_study(study).data
    record = materialise_data(spec, tmp_path / "out" / "data")
    folder = tmp_path / "out" / "data"
    assert record["kind"] == "table" and record["truth_path"] == "data/truth.json"
    assert (folder / "panel.declaration.json").is_file()
    s = start("demo", panel_path=str(folder / "panel.parquet"), output_dir=str(tmp_path / "r"))
    assert s.declaration is not None and s.declaration.unit_plural == "wards"
    assert M.get("nurse_fill_rate_pct").label == "Registered nurse fill rate (%)"
    assert s.data_label.startswith("Ward staffing and patient experience (synthetic example) "
                                   "(SYNTHETIC example")
    assert "20 wards" in s.data_label
    assert s.truth["did:att->fft_pct_positive@treated"] == 6.0
    assert s.data_record()["source"].startswith("SYNTHETIC example")


def test_the_example_study_declares_what_the_generator_writes():
    import yaml

    study = load_study(REPO / "studies" / "wards_example.yaml", cwd=REPO) \
        if (REPO / "data" / "raw" / "wards.csv").is_file() else None
    text = (REPO / "studies" / "wards_example.yaml").read_text()
    raw = yaml.safe_load(text[text.index("data:"):text.index("runs:")])
    assert raw["data"]["declaration"] == DECLARATION
    if study is not None:
        assert study.data.options["declaration"] == read_declaration(DECLARATION).to_dict()
    assert yaml.safe_load(declaration_yaml(DECLARATION)) == DECLARATION


def test_data_quality_groups_by_what_the_panel_holds(wards):
    from workbench.analysis.questions.data_quality import data_quality
    from workbench.data.synth import generate

    no_ownership = generate(seed=1, n_providers=30, n_months=2).panel.drop(columns="ownership")
    tables = data_quality(no_ownership)  # ownership is optional in the schema
    assert list(tables["providers"].columns) == ["setting", "sector", "providers"]
    table, decl = wards
    tables = data_quality(workbench.load(table, declaration=decl))
    assert list(tables["providers"].columns) == ["directorate", "site", "providers"]
    assert tables["providers"]["providers"].sum() == 20
    assert "nurse_fill_rate_pct" in set(tables["ranges"]["measure"])
    assert list(tables["completeness"].columns)[:2] == ["measure", "Medicine"]


def test_a_study_output_folder_loads_with_its_declaration(wards, tmp_path):
    table, decl = wards
    spec = load_study(_study_file(tmp_path, f"{{table: {table}, declaration: {decl}}}")).data
    materialise_data(spec, tmp_path / "out" / "data")
    token = M.use({})
    try:
        panel = workbench.load(tmp_path / "out")
        assert M.get("care_hours_ppd").unit == "hours per patient day"
        assert panel["provider_code"].nunique() == 20
    finally:
        M.stop_using(token)


def _study_file(folder: Path, data: str) -> Path:
    (folder / "nb.ipynb").write_text(json.dumps(
        {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    path = folder / "s.yaml"
    path.write_text(f"name: s\ndata: {data}\nruns:\n  - notebook: nb.ipynb\n")
    return path


def test_a_damaged_panel_file_is_a_message_not_a_parquet_traceback(tmp_path):
    from workbench.batch.study import DataSpec

    broken = tmp_path / "panel.parquet"
    broken.write_bytes(b"PAR1" + b"\x00" * 64)  # parquet's magic bytes, then nothing usable
    with pytest.raises(StudyError, match=r"cannot be read as a parquet panel"):
        materialise_data(DataSpec("panel", {"path": broken}), tmp_path / "out" / "data")
    with pytest.raises(SourceFormatError, match=r"cannot be read as a parquet panel"):
        workbench.load(broken)
