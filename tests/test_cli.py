"""The `workbench` command: params, run (one real kernel), errors, plug-in subcommands."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path

import pytest
from batch_helpers import write_notebook, write_study

from workbench import cli
from workbench.batch import runner as runner_mod


def test_params_prints_name_type_default_help(tmp_path, capsys):
    nb = write_notebook(tmp_path / "tiny.ipynb")
    assert cli.main(["params", str(nb)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].split() == ["name", "type", "default", "help"]
    rows = {line.split()[0]: line for line in out[2:]}
    assert rows["subset"].split()[:3] == ["subset", "str", "'acute'"]
    assert rows["subset"].endswith('which providers: "acute", "nhs", "independent"')
    assert rows["n_boot"].split() == ["n_boot", "int", "10", "resamples"]
    assert rows["columns"].split()[:3] == ["columns", "list", "['y']"]


def test_params_of_a_missing_notebook_is_one_clear_error(tmp_path, capsys):
    assert cli.main(["params", str(tmp_path / "none.ipynb")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("workbench: ") and "none.ipynb: notebook file not found" in err
    assert "Traceback" not in err


def test_run_with_a_mistyped_parameter_exits_2_before_any_kernel(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(runner_mod, "execute_run", lambda task: pytest.fail("executed"))
    write_notebook(tmp_path / "nb" / "tiny.ipynb")
    study = write_study(tmp_path, "  - notebook: nb/tiny.ipynb\n    parameters: {subst: nhs}\n")
    assert cli.main(["run", str(study), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "parameter 'subst' is not declared" in err and "Did you mean 'subset'?" in err


def test_run_executes_a_study_and_exits_0(tmp_path, capsys):
    write_notebook(tmp_path / "nb" / "tiny.ipynb")
    study = write_study(tmp_path, "  - notebook: nb/tiny.ipynb\n    parameters: {subset: nhs}\n")
    code = cli.main(["run", str(study), "--out", str(tmp_path / "out"), "--no-progress"])
    captured = capsys.readouterr()
    assert code == 0, captured.out + captured.err
    assert "tiny: 1 run(s), 1 ok, 0 failed" in captured.out
    run_dir = tmp_path / "out" / "tiny" / "tiny--subset-nhs"
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "ok"
    assert (tmp_path / "out" / "tiny" / "index.html").exists()


@pytest.mark.parametrize("argv", [["run", "s.yaml", "--workers", "0"],
                                  ["run", "s.yaml", "--workers", "two"]])
def test_workers_must_be_a_positive_whole_number(argv, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    assert "--workers" in capsys.readouterr().err


def test_plugin_subcommands_are_added_when_their_module_exists(monkeypatch, capsys):
    called = {}

    def add_parser(subparsers):
        p = subparsers.add_parser("data", help="data commands")
        p.set_defaults(func=lambda args: called.setdefault("data", True) and 0)

    fake = types.ModuleType("workbench.data.cli_data")
    fake.add_parser = add_parser
    monkeypatch.setitem(sys.modules, "workbench.data.cli_data", fake)
    assert cli.main(["data"]) == 0 and called == {"data": True}


def test_console_script_help():
    exe = Path(sys.executable).with_name("workbench")
    if not exe.exists():
        pytest.skip(f"console script not installed beside {sys.executable}")
    done = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0
    assert "run" in done.stdout and "params" in done.stdout


def test_progress_bar_counts_done_failed_and_cached(tmp_path, capsys):
    write_notebook(tmp_path / "nb" / "tiny.ipynb")
    study = write_study(tmp_path, "  - notebook: nb/tiny.ipynb\n    parameters: {subset: nhs}\n")
    out = str(tmp_path / "out")
    assert cli.main(["run", str(study), "--out", out, "--workers", "1"]) == 0
    first = capsys.readouterr().err
    assert "1/1" in first and "done 1, failed 0, cached 0" in first
    assert cli.main(["run", str(study), "--out", out, "--workers", "1"]) == 0
    assert "done 1, failed 0, cached 1" in capsys.readouterr().err
