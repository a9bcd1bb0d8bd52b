"""Reading a notebook's parameters cell and checking run parameters against it (no kernels)."""

from __future__ import annotations

import nbformat
import pytest
from batch_helpers import write_notebook

from workbench.batch.params import (
    check_json_parameters,
    closest_name,
    json_value_problem,
    parse_parameters_source,
    read_parameters,
    validate_parameters,
    value_matches,
)
from workbench.errors import NotebookError, ParameterError


@pytest.fixture
def notebook(tmp_path):
    return write_notebook(tmp_path / "nb.ipynb")


def test_reads_names_types_defaults_and_help(notebook):
    declared = read_parameters(notebook)
    assert list(declared) == ["panel_path", "output_dir", "scale", "subset", "fail", "n_boot",
                              "columns"]
    got = {n: (p.type_name, p.default, p.help) for n, p in declared.items()}
    assert got["scale"] == ("float", 1.0, "multiplies the mean")
    assert got["subset"] == ("str", "acute", 'which providers: "acute", "nhs", "independent"')
    assert got["fail"] == ("bool", False, "raise on purpose")
    assert got["columns"] == ("list", ["y"], "columns to summarise")


def test_parse_handles_none_annotations_multiline_and_expressions():
    src = ("a = None  # anything\n"
           "b: float = 1  # annotated\n"
           "c = {\n  'k': 1,\n}  # a dict over lines\n"
           "import math\n"
           "d = math.pi\n"
           "x, y = 1, 2\n")
    ps = parse_parameters_source(src)
    assert (ps["a"].type_name, ps["a"].help) == ("any", "anything")
    assert ps["b"].type_name == "float"
    assert (ps["c"].type_name, ps["c"].default, ps["c"].help) == ("dict", {"k": 1},
                                                                  "a dict over lines")
    assert (ps["d"].type_name, ps["d"].default) == ("any", "math.pi")
    assert "x" not in ps and "y" not in ps


@pytest.mark.parametrize("value,type_name,ok", [
    (1, "float", True), (1.5, "int", False), (True, "int", False), (True, "float", False),
    (1, "bool", False), ("1", "int", False), ([1], "list", True), ({}, "dict", True),
    (None, "str", False), (None, "any", True), (3, "str", False),
])
def test_value_matches(value, type_name, ok):
    assert value_matches(value, type_name) is ok


def test_valid_parameters_pass(notebook):
    validate_parameters(notebook, {"scale": 2, "subset": "nhs", "fail": True,
                                   "columns": ["y", "z"]})


def test_unknown_name_names_notebook_parameter_declared_and_closest(notebook):
    with pytest.raises(ParameterError) as info:
        validate_parameters(notebook, {"subsett": "nhs"})
    err = info.value
    assert err.notebook == str(notebook) and err.parameter == "subsett"
    assert err.suggestion == "subset"
    msg = str(err)
    assert str(notebook) in msg and "'subsett'" in msg and "Did you mean 'subset'?" in msg
    assert "scale (float)" in msg and "n_boot (int)" in msg


def test_wrong_type_is_rejected_with_the_declared_type(notebook):
    with pytest.raises(ParameterError, match=r"'n_boot' has a value of type float .*declares int"):
        validate_parameters(notebook, {"n_boot": 2.5})
    with pytest.raises(ParameterError, match=r"'fail' has a value of type str"):
        validate_parameters(notebook, {"fail": "yes"})


def test_reserved_names_cannot_be_set_by_a_study(notebook):
    with pytest.raises(ParameterError, match="set by the runner"):
        validate_parameters(notebook, {"output_dir": "/tmp/x"}, reserved=("output_dir",))


def test_missing_notebook_and_missing_parameters_cell(tmp_path):
    with pytest.raises(NotebookError, match="notebook file not found"):
        read_parameters(tmp_path / "nope.ipynb")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("a = 1")])
    nbformat.write(nb, tmp_path / "untagged.ipynb")
    with pytest.raises(NotebookError, match="no cell tagged 'parameters'"):
        read_parameters(tmp_path / "untagged.ipynb")
    (tmp_path / "broken.ipynb").write_text("{not json", encoding="utf-8")
    with pytest.raises(NotebookError, match="not a readable"):
        read_parameters(tmp_path / "broken.ipynb")


def test_syntax_error_in_parameters_cell(tmp_path):
    path = write_notebook(tmp_path / "bad.ipynb", parameters_source="a = (1,\n")
    with pytest.raises(NotebookError, match="not valid Python"):
        read_parameters(path)


def test_closest_name_returns_none_when_nothing_is_close():
    assert closest_name("zzz", {"subset": 1}) is None


class _Text(str):
    """A str subclass: papermill would write it with its own formatting."""


@pytest.mark.parametrize("value,path,words", [
    (b"x", "p", "is bytes"),
    (float("nan"), "p", "JSON cannot hold"),
    (float("-inf"), "p", "JSON cannot hold"),
    (("a", "b"), "p", "write a list instead"),
    ({"a"}, "p", "write a list instead"),
    (__import__("datetime").date(2024, 4, 1), "p", "give it as text, e.g. '2024-04-01'"),
    ({"w": [1, {2: "x"}]}, "p.w[1]", "keys must be text"),
    ({"w": [1, 2, b"x"]}, "p.w[2]", "is bytes"),
    (_Text("nhs"), "p", "is _Text"),
    (__import__("numpy").float64(1.5), "p", "is float64"),
], ids=["bytes", "nan", "inf", "tuple", "set", "date", "int_key", "nested_bytes", "str_subclass",
        "numpy_float"])
def test_json_value_problem_finds_the_first_non_json_part(value, path, words):
    found = json_value_problem(value, "p")
    assert found is not None and found[0] == path and words in found[1]


def test_json_values_pass_and_a_value_that_contains_itself_does_not():
    assert json_value_problem({"a": [None, True, 1, 2.5, "x", {"b": []}]}, "p") is None
    loop: list = []
    loop.append(loop)
    found = json_value_problem(loop, "p")
    assert found is not None and found[0] == "p[0]" and "contains itself" in found[1]


def test_validate_refuses_non_json_values_even_where_any_value_is_declared(tmp_path):
    path = write_notebook(tmp_path / "nb.ipynb", parameters_source="extra = None  # anything\n"
                                                                   'subset = "acute"\n')
    validate_parameters(path, {"extra": {"weights": [1, 2]}})
    with pytest.raises(ParameterError) as info:
        validate_parameters(path, {"extra": {"weights": [1, 2, b"x"]}})
    assert info.value.parameter == "extra.weights[2]" and info.value.notebook == str(path)
    assert "is bytes (b'x'), not a JSON value" in str(info.value)
    assert "extra (any), subset (str)" in str(info.value)
    with pytest.raises(ParameterError, match="'subset' is bytes"):
        validate_parameters(path, {"subset": b"nhs"})


@pytest.mark.parametrize("name", ["x = 1; y", "class", "1st", 3])
def test_check_json_parameters_refuses_names_that_are_not_identifiers(name):
    with pytest.raises(ParameterError, match="not a usable parameter name"):
        check_json_parameters("nb.ipynb", {name: 1})
