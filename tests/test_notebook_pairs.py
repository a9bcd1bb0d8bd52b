"""Every notebook in notebooks/ is a jupytext pair: NAME.ipynb and NAME.py (percent format).

The .ipynb is what JupyterLab opens and papermill runs; the .py is what is reviewed,
diffed and linted. ``jupytext.toml`` pairs them, and JupyterLab (with jupytext's contents
manager) saves both on every save. See docs/jupyterlab.md, "Editing notebooks: the .ipynb
and its .py".

For each notebook this checks that the script exists and holds the same cells (type,
source, tags) as the notebook, that the notebook is committed clean (no outputs, no
execution counts), that exactly one cell is tagged ``parameters`` and it is the first
code cell, and that the kernel is ``workbench``. After editing a .py outside JupyterLab,
``jupytext --sync notebooks/NAME.py`` brings the .ipynb up to date.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
from jupytext.compare import NotebookDifference, compare, compare_notebooks
from jupytext.config import find_jupytext_configuration_file, load_jupytext_configuration_file
from jupytext.paired_paths import paired_paths

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SCRIPT_FORMAT = "py:percent"
KERNEL = "workbench"
PARAMETERS_TAG = "parameters"


def notebook_names(folder: Path) -> list[str]:
    """Names of the notebooks in ``folder``: every .ipynb and every .py (a lone script too)."""
    return sorted({p.stem for p in folder.glob("*.ipynb")} | {p.stem for p in folder.glob("*.py")})


def _essentials(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """What the two files of a pair must agree on: each cell's type, source and tags,
    and the kernel. (Outputs, ids and other metadata live in the .ipynb only.)"""
    cells = []
    for cell in nb.cells:
        tags = list(cell.get("metadata", {}).get("tags", []))
        cells.append({"cell_type": cell.cell_type, "source": cell.source,
                      "metadata": {"tags": tags} if tags else {}})
    kernel = (nb.metadata.get("kernelspec") or {}).get("name")
    return nbformat.from_dict({"cells": cells, "metadata": {"kernelspec": {"name": kernel}},
                               "nbformat": 4, "nbformat_minor": 5})


def _as_text(nb: nbformat.NotebookNode) -> str:
    """The essentials as text for a readable diff: the kernel, then each cell's marker
    (type and tags, as in a percent script) and source."""
    lines = [f"kernel: {nb.metadata['kernelspec']['name']}"]
    for cell in nb.cells:
        tags = cell.metadata.get("tags")
        lines.append("# %%" + (" [markdown]" if cell.cell_type == "markdown" else "")
                     + (" [raw]" if cell.cell_type == "raw" else "")
                     + (f" tags={json.dumps(tags)}" if tags else ""))
        lines += cell.source.split("\n")
    return "\n".join(lines) + "\n"


def _cell_numbers(numbers: list[int]) -> str:
    return ", ".join(f"#{n}" for n in numbers)


def _structure_problems(nb: nbformat.NotebookNode, shown: str) -> list[str]:
    """Parameters cell and kernel of one file of a pair (cells numbered from 1)."""
    problems = []
    tagged = [i for i, c in enumerate(nb.cells, 1)
              if PARAMETERS_TAG in c.get("metadata", {}).get("tags", [])]
    code = [i for i, c in enumerate(nb.cells, 1) if c.cell_type == "code"]
    if len(tagged) != 1:
        problems.append(f"{shown}: {len(tagged)} cells tagged '{PARAMETERS_TAG}'"
                        + (f" ({_cell_numbers(tagged)})" if tagged else "")
                        + ", expected exactly one (the first code cell)")
    elif tagged[0] != (code[0] if code else None):
        problems.append(f"{shown}: the cell tagged '{PARAMETERS_TAG}' is cell #{tagged[0]}, "
                        f"but the first code cell is cell #{code[0]}; the parameters cell "
                        f"must be the first code cell")
    kernel = (nb.metadata.get("kernelspec") or {}).get("name")
    if kernel != KERNEL:
        problems.append(f"{shown}: kernelspec is {kernel!r}, expected {KERNEL!r} "
                        f"(Kernel > Change Kernel... > Python (workbench), then save)")
    return problems


def pair_problems(folder: Path, name: str) -> list[str]:
    """What is wrong with notebook ``name`` in ``folder`` and its script, in words;
    empty when the pair is in order. Each message names the file it is about."""
    ipynb, script = folder / f"{name}.ipynb", folder / f"{name}.py"
    shown_nb, shown_py = f"{folder.name}/{ipynb.name}", f"{folder.name}/{script.name}"
    if not ipynb.is_file():
        return [(f"{shown_py} has no paired notebook {shown_nb} (papermill runs the .ipynb): "
                 f"create it with `jupytext --sync {shown_py}`")]
    problems = []
    try:
        nb = nbformat.read(ipynb, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # noqa: BLE001 - any unreadable notebook is reported, not raised
        return [f"{shown_nb}: not a valid notebook ({exc})"]

    with_outputs = [i for i, c in enumerate(nb.cells, 1) if c.cell_type == "code" and c.outputs]
    counted = [i for i, c in enumerate(nb.cells, 1)
               if c.cell_type == "code" and c.execution_count is not None]
    if with_outputs or counted:
        found = ([f"outputs in cells {_cell_numbers(with_outputs)}"] if with_outputs else []) + (
            [f"execution counts in cells {_cell_numbers(counted)}"] if counted else [])
        problems.append(f"{shown_nb} is saved with {' and '.join(found)}: commit notebooks "
                        f"without them (Edit > Clear Outputs of All Cells, then save)")
    problems += _structure_problems(nb, shown_nb)

    if not script.is_file():
        problems.append(f"{shown_nb} has no paired script {shown_py}: create it with "
                        f"`jupytext --sync {shown_nb}` (jupytext.toml pairs it with a "
                        f"percent-format .py)")
        return problems
    text = script.read_text(encoding="utf-8")
    from_script = jupytext.reads(text, fmt=SCRIPT_FORMAT)
    problems += _structure_problems(from_script, shown_py)
    if "jupytext_version" in text:
        problems.append(f"{shown_py}: its header records the jupytext version (it changes with "
                        f"every upgrade): the script was written without the project's "
                        f"jupytext.toml; run `jupytext --sync {shown_nb}` inside the checkout")

    expected, actual = _essentials(nb), _essentials(from_script)
    try:
        compare_notebooks(actual, expected, fmt=SCRIPT_FORMAT, allow_expected_differences=False,
                          raise_on_first_difference=False)
        summary = None
    except NotebookDifference as exc:
        summary = str(exc)                      # e.g. "Cells 4,9 differ (2/17) | ..."
    diff = compare(_as_text(actual), _as_text(expected), shown_py, shown_nb, return_diff=True)
    if summary or diff:
        problems.append(
            f"{shown_py} and {shown_nb} hold different cells: {summary or 'see the diff'}. Was "
            f"one file edited without the other being saved or synced? After editing the .py "
            f"run `jupytext --sync {shown_py}` (it keeps the cells of whichever file was "
            f"modified last).\n{diff}")
    return problems


# --- the committed notebooks ---------------------------------------------------------------

def test_there_are_notebooks_to_check():
    names = notebook_names(NOTEBOOKS)
    assert names, f"no notebooks found in {NOTEBOOKS}"
    assert {p.stem for p in NOTEBOOKS.glob("*.ipynb")} <= set(names)


def test_jupytext_config_pairs_notebooks_with_percent_scripts():
    config_file = find_jupytext_configuration_file(str(NOTEBOOKS))
    assert config_file and Path(config_file) == ROOT / "jupytext.toml", config_file
    config = load_jupytext_configuration_file(config_file)
    example = str(NOTEBOOKS / "example.ipynb")
    pairs = paired_paths(example, "ipynb", config.default_formats(example))
    assert [(Path(p).name, fmt) for p, fmt in pairs] == [
        ("example.ipynb", {"extension": ".ipynb"}),
        ("example.py", {"extension": ".py", "format_name": "percent"})]
    # The .py header holds the kernelspec and nothing that changes between jupytext versions.
    assert config.notebook_metadata_filter == "kernelspec,-all"
    assert config.cell_metadata_filter == "tags,-all"


@pytest.mark.parametrize("name", notebook_names(NOTEBOOKS))
def test_notebook_and_script_agree(name):
    problems = pair_problems(NOTEBOOKS, name)
    assert not problems, "\n".join(problems)


def test_notebook_scripts_pass_ruff():
    """``ruff check notebooks/`` lints the scripts and, cell by cell, the notebooks too."""
    if importlib.util.find_spec("ruff") is None:
        pytest.skip("ruff is not installed (it comes with the dev extras: pip install -e '.[dev]')")
    run = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "notebooks/"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, f"ruff check notebooks/ failed:\n{run.stdout}{run.stderr}"


# --- the check itself: a missing script or drift cannot pass unnoticed ----------------------

EXAMPLE = "04_spc_monitoring"


@pytest.fixture
def pair(tmp_path):
    """A copy of one committed pair (and jupytext.toml) in a temporary checkout."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    for suffix in (".ipynb", ".py"):
        shutil.copy(NOTEBOOKS / f"{EXAMPLE}{suffix}", folder)
    shutil.copy(ROOT / "jupytext.toml", tmp_path)
    return folder


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _edit_ipynb(path: Path, change) -> None:
    nb = nbformat.read(path, as_version=4)
    change(nb)
    nbformat.write(nb, path)


def test_a_copied_pair_passes(pair):
    assert pair_problems(pair, EXAMPLE) == []


def test_notebook_without_script_is_reported(pair):
    (pair / f"{EXAMPLE}.py").unlink()
    (problem,) = pair_problems(pair, EXAMPLE)
    assert f"notebooks/{EXAMPLE}.ipynb has no paired script notebooks/{EXAMPLE}.py" in problem


def test_script_without_notebook_is_reported(pair):
    (pair / f"{EXAMPLE}.ipynb").unlink()
    assert EXAMPLE in notebook_names(pair)
    (problem,) = pair_problems(pair, EXAMPLE)
    assert f"notebooks/{EXAMPLE}.py has no paired notebook" in problem


def test_script_edited_without_sync_is_reported_then_sync_fixes_it(pair):
    """The renaming workflow: edit an import in the .py; until `jupytext --sync` the
    pair differs, and the message names the notebook and shows the changed line."""
    script, ipynb = pair / f"{EXAMPLE}.py", pair / f"{EXAMPLE}.ipynb"
    _edit(script, "from workbench.analysis.questions import spc_monitoring\n",
          "from workbench.analysis.questions import spc_monitoring as q04\n")
    (problem,) = pair_problems(pair, EXAMPLE)
    assert problem.startswith(f"notebooks/{EXAMPLE}.py and notebooks/{EXAMPLE}.ipynb hold "
                              f"different cells")
    assert "+from workbench.analysis.questions import spc_monitoring as q04" in problem
    assert "-from workbench.analysis.questions import spc_monitoring" in problem

    later = ipynb.stat().st_mtime + 10          # the .py is the newer file, as after an edit
    os.utime(script, (later, later))
    run = subprocess.run([sys.executable, "-m", "jupytext", "--sync", str(script)],
                         cwd=pair.parent, capture_output=True, text=True, timeout=120,
                         check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert pair_problems(pair, EXAMPLE) == []
    synced = nbformat.read(ipynb, as_version=4)
    assert any("spc_monitoring as q04" in c.source for c in synced.cells)
    original = nbformat.read(NOTEBOOKS / f"{EXAMPLE}.ipynb", as_version=4)
    assert [c.id for c in synced.cells] == [c.id for c in original.cells]
    assert synced.metadata == original.metadata


def test_notebook_edited_without_script_is_reported(pair):
    def add_cell(nb):
        nb.cells.append(nbformat.v4.new_markdown_cell("A note added to the .ipynb only."))
    _edit_ipynb(pair / f"{EXAMPLE}.ipynb", add_cell)
    (problem,) = pair_problems(pair, EXAMPLE)
    assert "hold different cells" in problem and "A note added to the .ipynb only." in problem


def test_missing_parameters_tag_in_the_script_is_reported(pair):
    _edit(pair / f"{EXAMPLE}.py", '# %% tags=["parameters"]\n', "# %%\n")
    problems = pair_problems(pair, EXAMPLE)
    assert f"notebooks/{EXAMPLE}.py: 0 cells tagged 'parameters', expected exactly one" \
           f" (the first code cell)" in problems
    assert any("hold different cells" in p and "Cell metadata 'tags' differ" in p
               and '-# %% tags=["parameters"]' in p for p in problems)


def test_outputs_execution_counts_parameters_and_kernel_of_the_notebook_are_checked(pair):
    def spoil(nb):
        code = [c for c in nb.cells if c.cell_type == "code"]
        code[1].execution_count = 2
        code[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi\n")]
        code[0].metadata["tags"] = []
        code[2].metadata["tags"] = [PARAMETERS_TAG]
        nb.metadata["kernelspec"]["name"] = "python3"
    _edit_ipynb(pair / f"{EXAMPLE}.ipynb", spoil)
    problems = "\n".join(pair_problems(pair, EXAMPLE))
    shown = f"notebooks/{EXAMPLE}.ipynb"
    assert f"{shown} is saved with outputs in cells #3 and execution counts in cells #3" in problems
    assert (f"{shown}: the cell tagged 'parameters' is cell #4, but the first code cell is "
            f"cell #2") in problems
    assert f"{shown}: kernelspec is 'python3', expected 'workbench'" in problems
    assert "hold different cells" in problems


def test_script_header_with_jupytext_version_is_reported(pair):
    nb = jupytext.read(pair / f"{EXAMPLE}.ipynb")
    nb.metadata.pop("jupytext")                 # as written without the project's settings
    jupytext.write(nb, pair / f"{EXAMPLE}.py", fmt=SCRIPT_FORMAT)
    (problem,) = pair_problems(pair, EXAMPLE)
    assert f"notebooks/{EXAMPLE}.py: its header records the jupytext version" in problem
