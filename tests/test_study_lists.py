"""A list given where the notebook declares a list is one value; grids expand only where it
declares one value; a list the notebook's default leaves open is refused showing both
spellings (``!literal`` and ``!grid``). No kernels: only the study is read and checked.
"""

from __future__ import annotations

import pytest
from batch_helpers import write_notebook, write_panel

from workbench.batch.plan import check_study, plan_study
from workbench.batch.study import load_study
from workbench.errors import StudyError

PARAMS = ('panel_path = ""\n'
          'providers = []        # provider codes\n'
          'subset = "acute"      # which providers\n'
          'target = None         # a target, or None\n'
          'period = ""           # a month; empty: the latest\n'
          'columns = ["y"]       # columns to summarise\n')


@pytest.fixture
def folder(tmp_path):
    write_notebook(tmp_path / "nb.ipynb", parameters_source=PARAMS)
    write_panel(tmp_path / "panel.parquet")
    return tmp_path


def study(folder, parameters: str):
    path = folder / "s.yaml"
    path.write_text("name: demo\ndata: {panel: panel.parquet}\nruns:\n  - notebook: nb.ipynb\n"
                    f"    parameters:\n{parameters}", encoding="utf-8")
    return path


def test_a_list_for_a_list_parameter_is_one_value(folder):
    s = load_study(study(folder, "      providers: [RA1, RB2]\n"))
    assert [r.parameters for r in s.runs] == [{"providers": ["RA1", "RB2"]}]
    assert s.runs[0].run_id == "nb--providers-RA1+RB2"
    check_study(s)  # the type fits: a list where a list is declared
    plan = plan_study(s)
    assert "1 run of 1 notebook" in plan and 'providers=["RA1","RB2"]' in plan


def test_grids_expand_where_the_notebook_declares_one_value(folder):
    s = load_study(study(folder, "      providers: [W01, W02]\n      subset: [nhs, independent]\n"))
    assert [r.parameters for r in s.runs] == [
        {"providers": ["W01", "W02"], "subset": "nhs"},
        {"providers": ["W01", "W02"], "subset": "independent"}]


def test_a_list_of_lists_for_a_list_parameter_is_a_grid_of_lists(folder):
    s = load_study(study(folder, "      columns: [[y], [y, z]]\n"))
    assert [r.parameters["columns"] for r in s.runs] == [["y"], ["y", "z"]]
    s = load_study(study(folder, "      columns: [!literal [y], !literal [y, z]]\n"))
    assert [r.parameters["columns"] for r in s.runs] == [["y"], ["y", "z"]]


def test_an_empty_list_for_a_list_parameter_is_the_empty_list(folder):
    s = load_study(study(folder, "      providers: []\n"))
    assert [r.parameters for r in s.runs] == [{"providers": []}]


@pytest.mark.parametrize("name,default", [("target", "None"), ("period", "''")])
def test_a_list_where_the_default_says_neither_is_refused_with_both_spellings(folder, name,
                                                                              default):
    path = study(folder, f"      {name}: [2024-01, 2024-02]\n".replace("2024", "'2024")
                 .replace("-01", "-01'").replace("-02", "-02'"))
    with pytest.raises(StudyError) as info:
        load_study(path)
    text = str(info.value)
    assert str(path) in text and "nb.ipynb" in text and f"parameters.{name}' (line 6)" in text
    assert f"default for {name!r} is {default}" in text
    assert f"`{name}: !literal [2024-01, 2024-02]`" in text
    assert f"`{name}: !grid [2024-01, 2024-02]`" in text


def test_grid_and_literal_settle_what_the_default_leaves_open(folder):
    s = load_study(study(folder, "      target: !grid [90, 95]\n"))
    assert [r.parameters for r in s.runs] == [{"target": 90}, {"target": 95}]
    s = load_study(study(folder, "      target: !literal [90, 95]\n"))
    assert [r.parameters for r in s.runs] == [{"target": [90, 95]}]


def test_a_list_mixing_lists_and_values_for_a_list_parameter_is_refused(folder):
    with pytest.raises(StudyError, match=r"mixes lists with single values.*"
                                         r"`columns: !literal \[\[y\], z\]`.*"
                                         r"`columns: !grid \[\[y\], \[z\]\]`"):
        load_study(study(folder, "      columns: [[y], z]\n"))


def test_grid_marks_a_whole_value_only(folder):
    with pytest.raises(StudyError, match=r"parameters.columns'.*!grid marks a parameter's "
                                         "whole value"):
        load_study(study(folder, "      columns: [y, !grid [a, b]]\n"))


def test_a_list_counts_as_one_run_against_the_limit(folder):
    codes = ", ".join(f"W{i:03d}" for i in range(50))
    s = load_study(study(folder, f"      providers: [{codes}]\n      subset: [a, b]\n"),
                   max_runs=2)
    assert len(s.runs) == 2
