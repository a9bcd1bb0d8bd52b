"""A narrower cache: editing a workbench module invalidates only the runs whose notebook
imports it (directly or through other workbench modules); docstrings and comments count
for nothing. The source tree is a copy of workbench/ in tmp_path, edited by the tests.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from workbench.batch import runner as runner_mod
from workbench.batch.cache import (
    RUNNER_MODULES,
    SourceTree,
    code_sha256,
    import_graph,
    local_imports,
    module_fingerprints,
    notebook_imports,
    package_root,
)
from workbench.batch.launcher import Launcher
from workbench.batch.runner import run_study

#: Two modules outside each other's closure and outside the runner's own.
SPC, SYNTH = "workbench.analysis.monitoring.spc", "workbench.data.synth"


@pytest.fixture
def source(tmp_path) -> Path:
    """A copy of the workbench package to edit."""
    copy = tmp_path / "src" / "workbench"
    shutil.copytree(package_root(), copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def module_path(root: Path, module: str) -> Path:
    return root.joinpath(*module.split(".")[1:]).with_suffix(".py")


def edit(root: Path, module: str, old: str, new: str) -> None:
    path = module_path(root, module)
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def add_code(root: Path, module: str) -> None:
    path = module_path(root, module)
    path.write_text(path.read_text(encoding="utf-8") + "\n_EDITED = 1\n", encoding="utf-8")


def add_docs(root: Path, module: str) -> None:
    """A longer module docstring, a new comment and blank lines: no change of code."""
    path = module_path(root, module)
    text = path.read_text(encoding="utf-8")
    start = text.index('"""') + 3
    path.write_text(text[:start] + "Edited docs. " + text[start:]
                    + "\n\n# a comment added at the end\n", encoding="utf-8")


def write_notebook(path: Path, code: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "workbench", "display_name": "Python (workbench)",
                                 "language": "python"}
    nb.cells.append(nbformat.v4.new_code_cell(code))
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def test_the_chosen_modules_are_independent():
    tree = SourceTree.load(package_root())
    runner = tree.closure(RUNNER_MODULES)
    assert SPC not in runner and SYNTH not in runner
    assert SPC not in tree.closure([SYNTH]) and SYNTH not in tree.closure([SPC])
    assert {SPC, SYNTH} <= tree.closure(["workbench.api"])


def test_fingerprints_ignore_docstrings_and_comments_but_not_code(source):
    before = module_fingerprints(source)
    add_docs(source, SPC)
    edit(source, SPC, "import ", "# another comment\nimport ")
    assert module_fingerprints(source) == before
    add_code(source, SPC)
    after = module_fingerprints(source)
    assert [m for m in after if after[m] != before[m]] == [SPC]


def test_a_template_counts_towards_its_package(source):
    before = module_fingerprints(source)
    template = source / "report" / "templates" / "index.html.j2"
    template.write_text(template.read_text() + "\n")
    after = module_fingerprints(source)
    assert [m for m in after if after[m] != before[m]] == ["workbench.report"]


def test_the_import_graph_follows_relative_and_function_level_imports(source):
    (source / "demo").mkdir()
    (source / "demo" / "__init__.py").write_text("from . import first\n")
    (source / "demo" / "first.py").write_text(
        "from .second import thing\n\ndef later():\n    from workbench.data import measures\n")
    (source / "demo" / "second.py").write_text("import workbench\nthing = workbench.__version__\n")
    graph = import_graph(source)
    assert graph["workbench.demo"] == {"workbench.demo", "workbench.demo.first"}
    assert graph["workbench.demo.first"] == {"workbench.demo.second", "workbench.data",
                                             "workbench.data.measures"}
    assert graph["workbench.demo.second"] == {"workbench"}  # a dunder: not workbench.api


def test_which_modules_a_notebook_imports(tmp_path):
    known = frozenset(SourceTree.load(package_root()).graph)
    cases = {
        "from workbench.analysis.monitoring.spc import spc\n": {"workbench.analysis.monitoring.spc"},
        "import workbench.data.synth as synth\n": {"workbench.data.synth"},
        "from workbench.analysis.monitoring import spc\n": {
            "workbench.analysis.monitoring", "workbench.analysis.monitoring.spc"},
        "import workbench\npanel = workbench.load()\n": {"workbench", "workbench.api"},
        "import workbench as wb\nwb.data.synth.generate\n": {
            "workbench", "workbench.api", "workbench.data", "workbench.data.synth"},
        "from workbench import load\n": {"workbench", "workbench.api"},
        "%matplotlib inline\n!ls\nimport pandas as pd\n": set(),
    }
    for i, (code, expected) in enumerate(cases.items()):
        path = write_notebook(tmp_path / f"n{i}.ipynb", code)
        assert notebook_imports(path, known=known) == expected, code
    broken = write_notebook(tmp_path / "broken.ipynb", "def f(:\n")
    assert notebook_imports(broken, known=known) is None


def test_code_hashes_change_only_for_dependent_notebooks(tmp_path, source):
    notebooks = {
        "spc": write_notebook(tmp_path / "spc.ipynb", "from workbench.analysis.monitoring.spc import spc\n"),
        "synth": write_notebook(tmp_path / "synth.ipynb", "from workbench.data import synth\n"),
        "plain": write_notebook(tmp_path / "plain.ipynb", "import pandas\n"),
        "api": write_notebook(tmp_path / "api.ipynb", "import workbench\n"),
        "broken": write_notebook(tmp_path / "broken.ipynb", "def f(:\n"),
    }

    def hashes():
        return {name: code_sha256(path, source) for name, path in notebooks.items()}

    first = hashes()
    add_docs(source, SPC)
    assert hashes() == first
    add_code(source, SPC)
    second = hashes()
    assert {n for n in first if first[n] != second[n]} == {"spc", "api", "broken"}
    add_code(source, "workbench.batch.provenance")  # the runner's code: every run
    third = hashes()
    assert all(third[n] != second[n] for n in notebooks)


def test_a_helper_script_beside_the_notebook_counts(tmp_path, source):
    """A study's own script, imported from the folder above the notebook (as the
    validation study's chunks import benchmarks/validation.py), is part of what a run
    computes: editing it changes the key of the runs that import it, and only theirs."""
    (tmp_path / "nbs").mkdir()
    helper = tmp_path / "helper.py"
    helper.write_text("def rows():\n    return 1\n", encoding="utf-8")
    uses = write_notebook(tmp_path / "nbs" / "uses.ipynb",
                          "import sys\nsys.path.insert(0, '..')\nimport helper\n")
    plain = write_notebook(tmp_path / "nbs" / "plain.ipynb", "import pandas\n")
    before = code_sha256(uses, source), code_sha256(plain, source)
    helper.write_text("def rows():\n    return 2\n", encoding="utf-8")
    after = code_sha256(uses, source), code_sha256(plain, source)
    assert after[0] != before[0] and after[1] == before[1]
    chunk = package_root().parent / "benchmarks" / "notebooks" / "validation_chunk.ipynb"
    assert [p.name for p in local_imports(chunk)] == ["validation.py"]


@pytest.fixture(scope="module")
def launcher():
    with Launcher.start() as running:
        yield running


class _Shared:
    def __init__(self, launcher):
        self._launcher = launcher

    def client(self):
        return self._launcher.client()

    def close(self):
        pass


def test_editing_a_module_reruns_only_the_runs_that_import_it(tmp_path, source, launcher,
                                                              monkeypatch):
    monkeypatch.setattr(runner_mod.Launcher, "spawn",
                        classmethod(lambda cls, *a, **k: _Shared(launcher)))
    monkeypatch.setattr(runner_mod, "package_root", lambda: source)
    write_notebook(tmp_path / "nb" / "uses_spc.ipynb",
                   "from workbench.analysis.monitoring.spc import spc\nprint(spc.__name__)\n")
    write_notebook(tmp_path / "nb" / "uses_synth.ipynb",
                   "from workbench.data.synth import generate\nprint(generate.__name__)\n")
    write_notebook(tmp_path / "nb" / "plain.ipynb", "print(1 + 1)\n")
    study = tmp_path / "scope.yaml"
    study.write_text("name: scope\nruns: [nb/uses_spc.ipynb, nb/uses_synth.ipynb, "
                     "nb/plain.ipynb]\n", encoding="utf-8")
    out = tmp_path / "out"

    def executed() -> list[str]:
        result = run_study(study, out=out, progress=False, workers=2)
        assert result.exit_code == 0, result.summary()
        return [r.run_id for r in result.results if not r.cached]

    assert executed() == ["uses_spc", "uses_synth", "plain"]
    assert executed() == []
    add_docs(source, SPC)
    add_docs(source, SYNTH)
    assert executed() == []
    add_code(source, SPC)
    assert executed() == ["uses_spc"]
    add_code(source, SYNTH)
    assert executed() == ["uses_synth"]
