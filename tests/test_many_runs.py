"""Big studies: the run limit (counted before any grid is expanded), --max-runs, and
--dry-run (checks and lists the runs, runs and writes nothing). No kernels start.

Speed is measured in benchmarks/many_runs.py, not here.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from workbench import cli
from workbench.batch import runner as runner_mod
from workbench.batch import study as study_mod
from workbench.batch.study import MAX_RUNS, load_study
from workbench.errors import StudyError


def _notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("a = 0  # first\nb = 0  # second\n")
    cell.metadata["tags"] = ["parameters"]
    nb.cells += [cell, nbformat.v4.new_code_cell("print(a + b)")]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def _grid_study(folder: Path, n_a: int, n_b: int, data: str = "") -> Path:
    _notebook(folder / "nb.ipynb")
    path = folder / "grid.yaml"
    path.write_text(f"name: grid\n{data}runs:\n  - notebook: nb.ipynb\n"
                    f"    parameters: {{a: {list(range(n_a))}, b: {list(range(n_b))}}}\n",
                    encoding="utf-8")
    return path


def _files(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns
            for p in folder.rglob("*") if p.is_file()}


def test_a_million_run_grid_is_refused_without_expanding_it(tmp_path, monkeypatch):
    path = _grid_study(tmp_path, 1000, 1000)
    calls = []

    def expand(*args, **kwargs):
        calls.append(args)
        raise AssertionError("the grid was expanded")

    monkeypatch.setattr(study_mod, "expand_grid", expand)
    monkeypatch.setattr(study_mod, "make_run_id", expand)
    with pytest.raises(StudyError) as info:
        load_study(path)
    assert calls == []
    message = str(info.value)
    assert str(path) in message and "1,000,000 runs" in message and f"{MAX_RUNS:,}" in message
    assert "runs[0] (notebook nb.ipynb)" in message and "a (1000) x b (1000)" in message
    assert "--max-runs 1000000" in message


def test_the_limit_counts_every_entry_and_max_runs_raises_it(tmp_path):
    _notebook(tmp_path / "nb.ipynb")
    path = tmp_path / "two.yaml"
    path.write_text("name: two\nruns:\n"
                    "  - notebook: nb.ipynb\n    parameters: {a: [1, 2, 3], b: [1, 2]}\n"
                    "  - notebook: nb.ipynb\n    parameters: {a: [7, 8, 9, 10], b: 5}\n",
                    encoding="utf-8")
    with pytest.raises(StudyError, match=r"makes 10 runs, more than the limit of 9.*"
                                         r"largest entry, runs\[0\]"):
        load_study(path, max_runs=9)
    assert len(load_study(path, max_runs=10).runs) == 10
    with pytest.raises(StudyError, match="more than the limit of 9"):  # a Study built in Python
        runner_mod.run_study(load_study(path), out=tmp_path / "out", max_runs=9)
    assert not (tmp_path / "out").exists()


def test_cli_max_runs_raises_the_default_limit(tmp_path, capsys, monkeypatch):
    path = _grid_study(tmp_path, MAX_RUNS + 1, 1)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", str(path), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert f"makes {MAX_RUNS + 1:,} runs" in err and f"--max-runs {MAX_RUNS + 1}" in err
    assert cli.main(["run", str(path), "--dry-run", "--max-runs", str(MAX_RUNS + 1)]) == 0
    out = capsys.readouterr().out
    assert f"{MAX_RUNS + 1:,} runs checked" in out and f"nb--a-{MAX_RUNS}--b-0" in out

    seen = {}

    def fake_run_study(study, **kw):
        seen.update(kw)
        raise KeyboardInterrupt

    monkeypatch.setattr(runner_mod, "run_study", fake_run_study)
    assert cli.main(["run", str(path), "--max-runs", "20000"]) == 130
    assert seen["max_runs"] == 20000


def test_dry_run_lists_the_runs_and_writes_nothing(tmp_path, capsys, monkeypatch):
    path = _grid_study(tmp_path, 2, 2, data="data: {synthetic: {seed: 5}}\n")
    for name in ("execute_run", "materialise_data_cached", "write_index", "write_findings_csv"):
        monkeypatch.setattr(runner_mod, name, lambda *a, **k: pytest.fail("it ran"))
    monkeypatch.chdir(tmp_path)
    before = _files(tmp_path)
    assert cli.main(["run", str(path), "--dry-run", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert _files(tmp_path) == before and not (tmp_path / "out").exists()
    lines = out.splitlines()
    assert lines[0] == 'grid: 4 runs of 1 notebook; data: synthetic {"seed":5}'
    assert lines[1].split() == ["run", "id", "notebook", "parameters"]
    assert [line.split()[:2] for line in lines[2:6]] == [
        ["nb--a-0--b-0", "nb.ipynb"], ["nb--a-0--b-1", "nb.ipynb"],
        ["nb--a-1--b-0", "nb.ipynb"], ["nb--a-1--b-1", "nb.ipynb"]]
    assert lines[3].endswith("a=0, b=1")
    assert lines[-1] == "4 runs checked; nothing was run or written (dry run)"


def test_dry_run_of_a_big_study_shows_the_first_and_last_runs_and_the_total(tmp_path, capsys):
    path = _grid_study(tmp_path, 10, 10)
    assert cli.main(["run", str(path), "--dry-run"]) == 0
    lines = capsys.readouterr().out.splitlines()
    ids = [line.split()[0] for line in lines[2:-1] if not line.startswith("...")]
    assert ids == [f"nb--a-0--b-{b}" for b in range(10)] + [f"nb--a-9--b-{b}"
                                                             for b in range(5, 10)]
    assert "... 85 more runs ..." in lines and lines[0].startswith("grid: 100 runs")


def test_dry_run_stops_on_a_bad_parameter(tmp_path, capsys):
    _notebook(tmp_path / "nb.ipynb")
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\nruns:\n  - notebook: nb.ipynb\n    parameters: {c: [1, 2]}\n",
                    encoding="utf-8")
    assert cli.main(["run", str(path), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "nb.ipynb" in err and "'c' is not declared" in err and "a (int), b (int)" in err


def test_ids_stay_unique_and_duplicates_are_found_in_a_big_grid(tmp_path):
    _notebook(tmp_path / "nb.ipynb")
    path = tmp_path / "ids.yaml"
    values = [f"v{i}" for i in range(3000)] + ["x/y", "x y"]
    path.write_text(f"name: ids\nruns:\n  - notebook: nb.ipynb\n    parameters: {{a: {values}}}\n",
                    encoding="utf-8")
    study = load_study(path)
    ids = [r.run_id for r in study.runs]
    assert len(set(ids)) == len(ids) == 3002
    assert ids[:2] == ["nb--a-v0", "nb--a-v1"] and ids[-1].startswith("nb--a-x_y-")
    assert [r.position for r in study.runs] == list(range(3002))

    path.write_text("name: ids\nruns:\n  - notebook: nb.ipynb\n    parameters: {a: [1, 2]}\n"
                    "  - notebook: nb.ipynb\n    parameters: {a: [3, 2]}\n", encoding="utf-8")
    with pytest.raises(StudyError, match=r"runs\[1\]'.*listed twice \(also in 'runs\[0\]'\)"):
        load_study(path)


def test_a_value_that_is_no_json_value_stops_the_study_naming_run_and_parameter(tmp_path):
    _notebook(tmp_path / "nb.ipynb")
    raw = {"name": "j", "runs": [{"notebook": "nb.ipynb",
                                  "parameters": {"a": [1, 2], "b": [1, b"x"]}}]}
    with pytest.raises(StudyError, match=r"j.yaml: runs\[0\] \(notebook nb.ipynb\), "
                                         r"parameter 'b' is bytes"):
        study_mod.parse_study(raw, tmp_path / "j.yaml", tmp_path)
