"""Bad study files, one case each: refused before any kernel starts, nothing written.

Each case is a study file a user (or an attacker) could write. The test asserts the
error class, that the message names the study file, the key or parameter and the
line, and that neither the checking API nor ``workbench run`` leaves an output
folder behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from batch_helpers import write_notebook, write_panel

from workbench import cli
from workbench.batch.execute import RunTask, execute_run
from workbench.batch.plan import check_study
from workbench.batch.runner import run_study
from workbench.batch.study import DataSpec, Run, Study, load_study
from workbench.errors import ParameterError, StudyError

HEAD = "name: bad\ndata: {panel: panel.parquet}\n"
RUN = "runs:\n  - notebook: nb.ipynb\n    parameters:\n"
#: A file the `!!python/object/apply` case would create if the YAML were executed.
MARKER = "PWNED_marker"


@dataclass(frozen=True)
class Case:
    text: str
    error: type
    fragments: tuple[str, ...]  # each must appear in the message (besides the file name)
    names_file: bool = True


CASES = {
    "yaml_syntax_error": Case(
        HEAD + "runs: [nb.ipynb\n", StudyError,
        ("not valid YAML", "line 4, column 1", "expected ',' or ']'")),
    "unknown_top_level_key": Case(
        HEAD + "runz: [nb.ipynb]\n", StudyError,
        ("unknown key 'runz' (line 3)", "Did you mean 'runs'?")),
    "unknown_run_key": Case(
        HEAD + "runs:\n  - notebook: nb.ipynb\n    params: {subset: nhs}\n", StudyError,
        ("unknown key 'runs[0].params' (line 5)", "Did you mean 'parameters'?")),
    "runs_not_a_list": Case(
        HEAD + "runs: nb.ipynb\n", StudyError,
        ("key 'runs' (line 3)", "expected a non-empty list")),
    "parameters_not_a_mapping": Case(
        HEAD + RUN + "      - subset\n", StudyError,
        ("key 'runs[0].parameters' (line 5)", "expected a mapping", "got list")),
    "seed_as_text": Case(
        "name: bad\ndata:\n  synthetic: {seed: '20240401', n_providers: 20}\nruns: [nb.ipynb]\n",
        StudyError,
        ("key 'data.synthetic.seed' (line 3)", "expected a whole number", "remove the quotes")),
    "timeout_as_text": Case(
        HEAD + "runs:\n  - notebook: nb.ipynb\n    timeout: soon\n", StudyError,
        ("key 'runs[0].timeout' (line 5)", "expected a number of seconds")),
    "parameter_of_the_wrong_type": Case(
        HEAD + RUN + "      n_boot: '10'\n", ParameterError,
        ("nb.ipynb", "parameter 'n_boot'", "type str", "declares int"),
        names_file=False),  # checked against the notebook, which names the notebook
    "binary": Case(
        HEAD + RUN + "      subset: !!binary ImV4ZWMoMSki\n", StudyError,
        ("runs[0] (notebook nb.ipynb), parameter 'subset' (line 6)", "!!binary",
         "not allowed")),
    "binary_nested": Case(
        HEAD + RUN + "      columns: !literal [y, {weights: [1, 2, !!binary aGk=]}]\n",
        StudyError,
        ("parameter 'columns[1].weights[2]' (line 6)", "!!binary")),
    "date": Case(
        HEAD + RUN + "      subset: 2024-04-01\n", StudyError,
        ("parameter 'subset' (line 6)", "a date or time", "quote it: '2024-04-01'")),
    "datetime_elsewhere": Case(
        HEAD + "description: 2024-04-01 09:30:00\nruns: [nb.ipynb]\n", StudyError,
        ("key 'description' (line 3)", "quote it: '2024-04-01 09:30:00'")),
    "set": Case(
        HEAD + RUN + "      columns: !!set {y, z}\n", StudyError,
        ("parameter 'columns' (line 6)", "!!set", "write a list")),
    "omap": Case(
        HEAD + RUN + "      columns: !!omap [{a: 1}]\n", StudyError,
        ("parameter 'columns' (line 6)", "!!omap")),
    "python_object_apply": Case(
        HEAD + RUN + f"      subset: !!python/object/apply:os.system ['touch {MARKER}']\n",
        StudyError,
        ("parameter 'subset' (line 6)", "!!python/object/apply:os.system", "not allowed")),
    "python_tuple": Case(
        HEAD + RUN + "      columns: !!python/tuple [y, z]\n", StudyError,
        ("parameter 'columns' (line 6)", "!!python/tuple")),
    "unknown_tag": Case(
        HEAD + RUN + "      subset: !shell 'rm -rf /'\n", StudyError,
        ("parameter 'subset' (line 6)", "the tag !shell is not allowed")),
    "nan": Case(
        HEAD + RUN + "      scale: .nan\n", StudyError,
        ("parameter 'scale' (line 6)", "JSON numbers are finite")),
    "inf": Case(
        HEAD + RUN + "      scale: [1.0, -.inf]\n", StudyError,
        ("parameter 'scale[1]' (line 6)", "JSON numbers are finite")),
    "non_text_key_in_a_parameter": Case(
        HEAD + RUN + "      columns: !literal [{1: y}]\n", StudyError,
        ("parameter 'columns[0].1' (line 6)", "keys must be text", "quote it")),
    "value_that_contains_itself": Case(
        HEAD + RUN + "      columns: &loop [*loop]\n", StudyError,
        ("parameter 'columns[0]' (line 6)", "contains itself")),
    "duplicate_top_level_key": Case(
        HEAD + "runs: [nb.ipynb]\nname: other\n", StudyError,
        ("key 'name' (line 4)", "given twice, on lines 1 and 4")),
    "duplicate_parameter": Case(
        HEAD + RUN + "      subset: nhs\n      scale: 2\n      subset: acute\n", StudyError,
        ("runs[0] (notebook nb.ipynb), parameter 'subset' (line 8)",
         "given twice, on lines 6 and 8")),
    "duplicate_key_inside_a_parameter_value": Case(
        HEAD + RUN + "      columns: !literal [{a: 1, b: 2, a: 3}]\n", StudyError,
        ("parameter 'columns[0].a' (line 6)", "given twice")),
    "empty_file": Case(
        "", StudyError, ("the study file is empty", "(at least 'runs')")),
    "only_comments": Case(
        "# a study\n\n", StudyError, ("the study file is empty",)),
}


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A folder with a notebook and a panel; the cwd, so a marker file would land here."""
    write_notebook(tmp_path / "nb.ipynb")
    write_panel(tmp_path / "panel.parquet")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_bad_study_is_refused_before_anything_runs(project, case, capsys):
    study_path = project / "bad.yaml"
    study_path.write_text(case.text, encoding="utf-8")
    out = project / "out"

    with pytest.raises(case.error) as info:
        check_study(load_study(study_path))
    message = str(info.value)
    if case.names_file:
        assert message.startswith((f"{study_path}: ", f"{study_path}, "))
    for fragment in case.fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"

    assert cli.main(["run", str(study_path), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"workbench: {message}"
    assert not out.exists()
    assert not (project / MARKER).exists()


def test_the_same_study_without_its_fault_is_accepted(project):
    """The corpus's base is a good study: each case fails for its own fault only."""
    study_path = project / "good.yaml"
    study_path.write_text(HEAD + RUN + "      subset: '2024-04-01'\n      scale: [1.0, 2]\n"
                          "      columns: !literal [y, {weights: [1, 2]}]\n", encoding="utf-8")
    study = load_study(study_path)
    check_study(study)
    assert [r.parameters for r in study.runs] == [
        {"subset": "2024-04-01", "scale": 1.0, "columns": ["y", {"weights": [1, 2]}]},
        {"subset": "2024-04-01", "scale": 2, "columns": ["y", {"weights": [1, 2]}]}]


#: Bytes that papermill would write into the notebook's source unescaped.
INJECTION = b'"; import pathlib; pathlib.Path("' + MARKER.encode() + b'").touch(); "'


def _hand_built_study(project: Path, value) -> Study:
    notebook = (project / "nb.ipynb").resolve()
    run = Run(study="hand", notebook=notebook, parameters={"subset": value}, run_id="nb--x")
    return Study(name="hand", title="Hand-built", path=project / "hand.yaml",
                 data=DataSpec("panel", {"path": project / "panel.parquet"}), runs=(run,))


@pytest.fixture
def no_kernels(monkeypatch):
    """Record any attempt to execute a notebook (there must be none)."""
    import papermill

    calls: list = []
    monkeypatch.setattr(papermill, "execute_notebook", lambda *a, **k: calls.append(a))
    return calls


@pytest.mark.parametrize("value,path", [
    (INJECTION, "subset"),
    ({"weights": [1, 2, INJECTION]}, "subset.weights[2]"),
    (("nhs", "acute"), "subset"),
    (float("nan"), "subset"),
], ids=["bytes", "nested_bytes", "tuple", "nan"])
def test_a_hand_built_study_with_a_non_json_value_is_refused(project, no_kernels, value, path):
    out = project / "out"
    with pytest.raises(ParameterError) as info:
        run_study(_hand_built_study(project, value), out=out, workers=1, progress=False,
                  preload=False)
    assert info.value.parameter == path
    message = str(info.value)
    assert "nb.ipynb" in message and ("not a JSON value" in message
                                      or "JSON cannot hold" in message)
    assert not out.exists() and no_kernels == []
    assert not (project / MARKER).exists()


def test_execute_run_refuses_a_bytes_value_before_writing_or_starting_a_kernel(
        project, no_kernels):
    study = _hand_built_study(project, INJECTION)
    out = project / "out"
    task = RunTask(run=study.runs[0], out_dir=out, panel_path=project / "panel.parquet",
                   data={"kind": "panel", "sha256": "0" * 64})
    with pytest.raises(ParameterError, match=r"study hand, run nb--x\): parameter 'subset' "
                                             r"is bytes"):
        execute_run(task)
    assert not out.exists() and no_kernels == []
    assert not (project / MARKER).exists()


def test_execute_run_refuses_a_parameter_name_that_is_not_an_identifier(project, no_kernels):
    notebook = (project / "nb.ipynb").resolve()
    run = Run(study="hand", notebook=notebook, run_id="nb--x",
              parameters={f"x = 1; open('{MARKER}', 'w'); y": 1})
    out = project / "out"
    task = RunTask(run=run, out_dir=out, panel_path=project / "panel.parquet",
                   data={"kind": "panel", "sha256": "0" * 64})
    with pytest.raises(ParameterError, match="not a usable parameter name"):
        execute_run(task)
    assert not out.exists() and no_kernels == []
