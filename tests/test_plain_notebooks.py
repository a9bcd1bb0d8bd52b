"""Any notebook in a batch: notebooks that know nothing of the workbench (no panel_path,
no output_dir, no parameters cell), studies without `data:`, and `data: synthetic`.

The run tests execute real notebooks through one preloaded launcher (a few seconds each).
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from batch_helpers import write_panel

from workbench.batch import runner as runner_mod
from workbench.batch.launcher import Launcher
from workbench.batch.plan import check_study
from workbench.batch.runner import run_study
from workbench.batch.study import load_study
from workbench.errors import ParameterError, StudyError

#: A notebook as a researcher writes it: pandas, a file written beside it, no workbench.
PLAIN_CODE = '''\
import os
import pandas as pd
table = pd.DataFrame({"x": range(rows), "y": [v * 2 for v in range(rows)]})
table.to_csv("result.csv", index=False)
os.makedirs("tables", exist_ok=True)
table.describe().to_csv(os.path.join("tables", "summary.csv"))
print("wrote", len(table), "rows into", os.getcwd())
'''

NO_PARAMETERS_CODE = '''\
from pathlib import Path
Path("note.txt").write_text("written without parameters\\n")
'''

#: Declares panel_path only: reads the study's panel and writes beside itself.
PANEL_ONLY_CODE = '''\
import pandas as pd
panel = pd.read_parquet(panel_path)
with open("rows.txt", "w") as f:
    f.write(str(len(panel)))
'''


def notebook(path: Path, code: str, parameters: str | None = None) -> Path:
    """A notebook with a heading, an optional tagged parameters cell and one code cell."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "workbench", "display_name": "Python (workbench)",
                                 "language": "python"}
    nb.cells.append(nbformat.v4.new_markdown_cell("# A plain notebook"))
    if parameters is not None:
        cell = nbformat.v4.new_code_cell(parameters)
        cell.metadata["tags"] = ["parameters"]
        nb.cells.append(cell)
    nb.cells.append(nbformat.v4.new_code_cell(code))
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def study_file(folder: Path, text: str, name: str = "plain.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def launcher():
    with Launcher.start() as running:
        yield running


class _Shared:
    """A handle on the module's launcher whose close() leaves it running."""

    def __init__(self, launcher):
        self._launcher = launcher

    def client(self):
        return self._launcher.client()

    def close(self):
        pass


@pytest.fixture
def run(launcher, monkeypatch):
    monkeypatch.setattr(runner_mod.Launcher, "spawn",
                        classmethod(lambda cls, *a, **k: _Shared(launcher)))
    return lambda study, out, **kw: run_study(study, out=out, progress=False, workers=2, **kw)


def test_plain_notebooks_run_in_a_study_without_data(tmp_path, run):
    notebook(tmp_path / "nb" / "plain.ipynb", PLAIN_CODE, parameters="rows = 3\n")
    notebook(tmp_path / "nb" / "bare.ipynb", NO_PARAMETERS_CODE)
    study = study_file(tmp_path, "name: plain\nruns:\n"
                                 "  - notebook: nb/plain.ipynb\n    parameters: {rows: [2, 5]}\n"
                                 "  - nb/bare.ipynb\n")
    out = tmp_path / "out"
    result = run(study, out)
    assert [r.status for r in result.results] == ["ok"] * 3, result.summary()
    assert [r.run_id for r in result.results] == ["plain--rows-2", "plain--rows-5", "bare"]

    five = out / "plain" / "plain--rows-5"
    table = (five / "result.csv").read_text().splitlines()
    assert table[0] == "x,y" and len(table) == 6 and table[-1] == "4,8"
    assert (five / "tables" / "summary.csv").is_file()
    assert (out / "plain" / "bare" / "note.txt").read_text() == "written without parameters\n"
    assert not (tmp_path / "nb" / "result.csv").exists()  # not beside the notebook
    assert not (out / "plain" / "data").exists()           # no data step

    manifest = json.loads((five / "manifest.json").read_text())
    assert manifest["status"] == "ok" and manifest["parameters"] == {"rows": 5}
    assert manifest["injected_parameters"] == [] and manifest["data"]["kind"] is None
    assert {"result.csv", "tables/summary.csv", "report.html",
            "notebook.ipynb"} <= set(manifest["outputs"])
    assert not (five / "findings.json").exists()
    executed = nbformat.read(five / "notebook.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells if c.cell_type == "code"
                      for o in c.get("outputs", []))
    assert "wrote 5 rows into" in printed and ".plain--rows-5.partial" in printed
    assert (five / "report.html").is_file() and (out / "plain" / "bare" / "report.html").is_file()

    index = (out / "plain" / "index.html").read_text()
    for run_id in ("plain--rows-2", "plain--rows-5", "bare"):
        assert f"{run_id}/report.html" in index
    assert [r.cached for r in run(study, out).results] == [True, True, True]


def test_a_notebook_declaring_panel_path_only_gets_the_panel_and_its_run_folder(tmp_path, run):
    write_panel(tmp_path / "panel.parquet")
    notebook(tmp_path / "nb" / "reads.ipynb", PANEL_ONLY_CODE, parameters='panel_path = ""\n')
    study = study_file(tmp_path, "name: reads\ndata: {panel: panel.parquet}\n"
                                 "runs: [nb/reads.ipynb]\n")
    (result,) = run(study, tmp_path / "out").results
    assert result.ok, result.error
    assert (result.folder / "rows.txt").read_text() == "3"
    assert json.loads((result.folder / "manifest.json").read_text())[
        "injected_parameters"] == ["panel_path"]


def test_panel_path_without_data_names_the_notebook_and_the_study(tmp_path, monkeypatch):
    monkeypatch.setattr(runner_mod, "execute_run", lambda task: pytest.fail("executed"))
    nb = notebook(tmp_path / "nb" / "reads.ipynb", PANEL_ONLY_CODE, parameters='panel_path = ""\n')
    study = study_file(tmp_path, "name: reads\nruns: [nb/reads.ipynb]\n")
    with pytest.raises(StudyError) as info:
        run_study(study, out=tmp_path / "out", progress=False)
    message = str(info.value)
    assert str(study.resolve()) in message and str(nb.resolve()) in message
    assert "declares 'panel_path'" in message and "no 'data:'" in message
    assert "data: synthetic" in message
    assert not (tmp_path / "out").exists()


def test_parameters_for_a_notebook_without_a_parameters_cell_are_refused(tmp_path):
    notebook(tmp_path / "nb" / "bare.ipynb", NO_PARAMETERS_CODE)
    study = load_study(study_file(tmp_path, "name: b\nruns:\n  - notebook: nb/bare.ipynb\n"
                                            "    parameters: {rows: 3}\n"))
    with pytest.raises(ParameterError, match=r"bare.ipynb: parameter 'rows' is set by the study "
                                             r"\(run bare--rows-3\).*declares no parameters"):
        check_study(study)


def test_the_runner_still_owns_panel_path_and_output_dir(tmp_path):
    notebook(tmp_path / "nb" / "plain.ipynb", PLAIN_CODE, parameters="rows = 3\n")
    study = load_study(study_file(tmp_path, "name: p\nruns:\n  - notebook: nb/plain.ipynb\n"
                                            "    parameters: {output_dir: x}\n"))
    with pytest.raises(ParameterError, match="'output_dir' is not declared"):
        check_study(study)


def test_data_synthetic_is_short_for_the_default_synthetic_panel(tmp_path):
    notebook(tmp_path / "nb" / "bare.ipynb", NO_PARAMETERS_CODE)
    short = load_study(study_file(tmp_path, "name: s\ndata: synthetic\nruns: [nb/bare.ipynb]\n"))
    long = load_study(study_file(tmp_path, "name: s\ndata: {synthetic: {}}\n"
                                           "runs: [nb/bare.ipynb]\n", name="long.yaml"))
    assert short.data == long.data and (short.data.kind, short.data.options) == ("synthetic", {})
    assert load_study(study_file(tmp_path, "name: s\nruns: [nb/bare.ipynb]\n",
                                 name="none.yaml")).data is None
