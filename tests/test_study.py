"""Study files: grids, the !literal escape, stable run ids, clear errors (no kernels)."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import yaml
from batch_helpers import write_notebook, write_panel

from workbench.batch.study import (
    MAX_RUN_ID,
    Literal,
    _StudyLoader,
    expand_grid,
    load_study,
    make_run_id,
    parse_study,
)
from workbench.errors import StudyError


@pytest.fixture
def folder(tmp_path):
    write_notebook(tmp_path / "notebooks" / "02_waits.ipynb")
    write_panel(tmp_path / "panel.parquet")
    return tmp_path


def study_file(folder: Path, text: str, name: str = "s.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_grid_expands_lists_and_literal_keeps_a_list(folder):
    path = study_file(folder, """
name: demo
title: Demo study
data: {synthetic: {seed: 3, n_providers: 20, n_months: 4}}
runs:
  - notebook: notebooks/02_waits.ipynb
    parameters:
      subset: [acute, nhs, independent]
      scale: [1, 2.5]
      columns: !literal [y, z]
  - notebooks/02_waits.ipynb
""")
    study = load_study(path)
    assert (study.name, study.title, study.data.kind, study.data.seed) == ("demo", "Demo study",
                                                                          "synthetic", 3)
    assert len(study.runs) == 7
    first = study.runs[0]
    assert first.parameters == {"subset": "acute", "scale": 1, "columns": ["y", "z"]}
    assert first.notebook == (folder / "notebooks" / "02_waits.ipynb").resolve()
    assert [r.parameters["subset"] for r in study.runs[:6]] == [
        "acute", "acute", "nhs", "nhs", "independent", "independent"]
    assert study.runs[6].parameters == {} and study.runs[6].run_id == "02_waits"
    assert first.run_id == "02_waits--columns-y+z--scale-1--subset-acute"
    assert study.runs[1].run_id == "02_waits--columns-y+z--scale-2.5--subset-acute"
    assert [r.position for r in study.runs] == list(range(7))
    assert len({r.run_id for r in study.runs}) == 7
    assert pickle.loads(pickle.dumps(study.runs[0])) == study.runs[0]


def test_run_ids_are_stable_and_independent_of_key_order():
    a = make_run_id("nb.ipynb", {"subset": "nhs", "lag": 2})
    b = make_run_id("x/nb.ipynb", {"lag": 2, "subset": "nhs"})
    assert a == b == "nb--lag-2--subset-nhs"
    assert make_run_id("nb.ipynb", {"label": "A&E / 4h"}) == "nb--label-A_E_4h"


def test_long_run_ids_are_cut_with_a_hash_suffix():
    p1 = {"measures": ["rtt_median_weeks", "fft_pct_positive", "nurse_fte_per_10_beds"] * 2}
    p2 = {"measures": p1["measures"] + ["complaints"]}
    a, b = make_run_id("02_staffing.ipynb", p1), make_run_id("02_staffing.ipynb", p2)
    assert len(a) <= MAX_RUN_ID and len(b) <= MAX_RUN_ID
    assert a.startswith("02_staffing--measures-rtt_median_weeks")
    assert a != b and a == make_run_id("02_staffing.ipynb", dict(p1))


def test_values_that_read_the_same_get_distinct_ids(folder):
    path = study_file(folder, """
name: demo
data: {panel: panel.parquet}
runs:
  - notebook: notebooks/02_waits.ipynb
    parameters: {subset: ["a/b", "a b"]}
""")
    ids = [r.run_id for r in load_study(path).runs]
    assert len(set(ids)) == 2 and all(i.startswith("02_waits--subset-a_b-") for i in ids)


def test_a_run_listed_twice_is_an_error(folder):
    path = study_file(folder, """
name: demo
data: {panel: panel.parquet}
runs:
  - {notebook: notebooks/02_waits.ipynb, parameters: {subset: nhs}}
  - {notebook: notebooks/02_waits.ipynb, parameters: {subset: [acute, nhs]}}
""")
    with pytest.raises(StudyError, match=r"runs\[1\].*listed twice.*runs\[0\]"):
        load_study(path)


def test_paths_resolve_beside_the_study_then_in_the_cwd(folder, monkeypatch):
    (folder / "studies").mkdir()
    path = study_file(folder / "studies", """
name: demo
data: {panel: panel.parquet}
runs: [{notebook: notebooks/02_waits.ipynb}]
""")
    monkeypatch.chdir(folder)
    study = load_study(path)
    assert study.data.options["path"] == (folder / "panel.parquet").resolve()
    assert study.runs[0].notebook == (folder / "notebooks" / "02_waits.ipynb").resolve()


@pytest.mark.parametrize("text,pattern", [
    ("name: d\ndata: {panel: panel.parquet}\nrun: []\n", r"unknown key 'run'.*Did you mean 'runs'"),
    ("name: d\ndata: {panel: panel.parquet}\nruns: []\n", r"key 'runs' \(line 3\): expected a non-empty"),
    ("name: d\ndata: {panel: panel.parquet}\nruns: [{notebook: nope.ipynb}]\n",
     r"key 'runs\[0\].notebook' \(line 3\): 'nope.ipynb' not found"),
    ("name: d\ndata: {panel: missing.parquet}\nruns: [notebooks/02_waits.ipynb]\n",
     r"key 'data.panel' \(line 2\): 'missing.parquet' not found"),
    ("name: d\ndata: {synthetic: {}, panel: panel.parquet}\nruns: [notebooks/02_waits.ipynb]\n",
     r"key 'data' \(line 2\): expected exactly one of"),
    ("name: d\ndata: synth\nruns: [notebooks/02_waits.ipynb]\n",
     r"key 'data' \(line 2\): expected exactly one of.*data: synthetic"),
    ("name: d/e\ndata: {panel: panel.parquet}\nruns: [notebooks/02_waits.ipynb]\n",
     r"key 'name'.*folder name"),
    ("name: d\ndata: {panel: panel.parquet}\n"
     + "runs: [{notebook: notebooks/02_waits.ipynb, params: {a: 1}}]\n",
     r"unknown key 'runs\[0\].params'.*Did you mean 'parameters'"),
    ("name: d\ndata: {panel: panel.parquet}\n"
     + "runs: [{notebook: notebooks/02_waits.ipynb, parameters: {subset: []}}]\n",
     r"runs\[0\].parameters.subset' \(line 3\): an empty list.*!literal \[\]"),
    ("name: d\ndata: {panel: panel.parquet}\nruns: [{notebook: [1]}]\n",
     r"runs\[0\].notebook' \(line 3\): expected the path"),
    ("name: [d\n", r"not valid YAML"),
])
def test_errors_name_the_file_and_the_key(folder, text, pattern):
    path = study_file(folder, text)
    with pytest.raises(StudyError, match=pattern) as info:
        load_study(path)
    assert str(path) in str(info.value)


def test_missing_study_file(tmp_path):
    with pytest.raises(StudyError, match="study file not found"):
        load_study(tmp_path / "none.yaml")


def test_expand_grid_literal_inside_a_grid_of_lists():
    got = expand_grid({"cols": [Literal(["a", "b"]), Literal(["c"])], "k": {"x": [1, 2]}})
    assert got == [{"cols": ["a", "b"], "k": {"x": [1, 2]}}, {"cols": ["c"], "k": {"x": [1, 2]}}]


RUN_HEAD = "name: d\ndata: {panel: panel.parquet}\nruns:\n  - notebook: notebooks/02_waits.ipynb\n"


def test_quoted_dates_stay_text_and_anchors_and_merge_keys_work(folder):
    path = study_file(folder, RUN_HEAD + """\
    parameters:
      subset: '2024-04-01'
      columns: !literal [{<<: &base {a: 1, b: 2}, b: 3}, *base]
""")
    (run,) = load_study(path).runs
    assert run.parameters == {"subset": "2024-04-01", "columns": [{"a": 1, "b": 3},
                                                                  {"a": 1, "b": 2}]}


def test_a_date_is_refused_with_the_line_and_how_to_quote_it(folder):
    path = study_file(folder, RUN_HEAD + "    parameters:\n      subset: 2024-04-01\n")
    with pytest.raises(StudyError) as info:
        load_study(path)
    assert str(info.value) == (
        f"{path}: runs[0] (notebook notebooks/02_waits.ipynb), parameter 'subset' (line 6): "
        "a date or time is not allowed: study values are JSON values; quote it: '2024-04-01'")


def test_the_loader_refuses_non_json_tags_however_it_is_called():
    for text in ("!!binary aGk=", "a: !!set {x}", "!!python/object/apply:os.system [id]",
                 "[1, .inf]", "a: 1\na: 2\n", "!!timestamp 2024-04-01"):
        with pytest.raises(StudyError, match=r"\(line \d+\)"):
            yaml.load(text, Loader=_StudyLoader)
    assert yaml.load("a: [1, 2.5, x, null, true]", Loader=_StudyLoader) == {
        "a": [1, 2.5, "x", None, True]}


def test_aliases_that_multiply_a_small_file_are_refused(folder):
    lines = ["a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for prev, name in zip("abcdef", "bcdefg"):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    path = study_file(folder, "\n".join(lines) + "\n")
    with pytest.raises(StudyError, match="expands to more than"):
        load_study(path)


def test_parse_study_refuses_non_json_values_built_in_python(folder):
    raw = {"name": "d", "data": {"panel": "panel.parquet"},
           "runs": [{"notebook": "notebooks/02_waits.ipynb",
                     "parameters": {"options": {"weights": [1, 2, b"x"]}}}]}
    with pytest.raises(StudyError) as info:
        parse_study(raw, folder / "s.yaml", folder)
    assert str(info.value).startswith(
        f"{folder / 's.yaml'}: runs[0] (notebook notebooks/02_waits.ipynb), parameter "
        "'options.weights[2]' is bytes (b'x'), not a JSON value")


@pytest.mark.parametrize("options,pattern", [
    ("{seed: '7'}", r"data.synthetic.seed' \(line 2\): expected a whole number.*remove the quotes"),
    ("{seed: 1.5}", r"data.synthetic.seed' \(line 2\): expected a whole number"),
    ("{n_providers: true}", r"data.synthetic.n_providers' \(line 2\): expected a whole number"),
    ("{start: 2021}", r"data.synthetic.start' \(line 2\): expected text"),
])
def test_synthetic_options_of_the_wrong_type_are_refused_when_read(folder, options, pattern):
    path = study_file(folder, f"name: d\ndata: {{synthetic: {options}}}\n"
                              "runs: [notebooks/02_waits.ipynb]\n")
    with pytest.raises(StudyError, match=pattern):
        load_study(path)
