"""Batch runs at scale: isolation, timeouts, dead kernels, SIGKILL and resume, cache, Dask.

These execute real notebooks through the preloaded launcher (a few seconds each);
the SIGKILL/resume and Dask tests are marked slow.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from batch_helpers import write_notebook, write_panel, write_study

from workbench.batch import cache as cache_mod
from workbench.batch import data_step as data_step_mod
from workbench.batch import runner as runner_mod
from workbench.batch.launcher import Launcher
from workbench.batch.runner import run_study

#: Each run checks that nothing from an earlier run is visible, then leaves traces.
ISOLATION_CODE = '''\
import json, os, sys
from pathlib import Path
from workbench import Finding, write_findings
seen = {
    "global": "LEAK_VARIABLE" in globals(),
    "module_attr": hasattr(json, "LEAK_ATTR"),
    "module": "leaky_module_6d1" in sys.modules,
    "env": "WB_LEAK" in os.environ,
    "cwd": os.getcwd() != NOTEBOOK_DIR,
}
LEAK_VARIABLE = 1
json.LEAK_ATTR = 1
sys.modules["leaky_module_6d1"] = json
os.environ["WB_LEAK"] = "1"
os.chdir("/")
write_findings([Finding(id=f"check:leaks@{subset}", question="Anything leaked?",
                        estimate=float(sum(map(bool, seen.values()))), n=os.getpid(),
                        parameters={"seen": seen})], Path(output_dir) / "findings.json")
'''

SLEEP_OR_DIE_CODE = '''\
import os, time
from pathlib import Path
if subset == "hang":
    if os.environ.get("HANG_MARKER"):  # tells a test the kernel is now inside the sleep
        Path(os.environ["HANG_MARKER"]).write_text("x")
    time.sleep(600)
if subset == "die":
    os.kill(os.getpid(), 9)
if subset == "die-once":
    marker = Path(output_dir).parent / "died-once.marker"
    if not marker.exists():
        marker.write_text("x")
        os.kill(os.getpid(), 9)
if subset == "slow":
    time.sleep(2)
if fail:
    raise ValueError("analysis error on purpose")
Path(output_dir, "findings.json").write_text("[]\\n")
'''


@pytest.fixture(scope="module")
def launcher():
    with Launcher.start() as running:
        yield running


def _study(folder: Path, code: str, runs_yaml: str, params: str | None = None) -> Path:
    source = params or ('panel_path = ""\noutput_dir = ""\nsubset = "acute"\nfail = False\n')
    if "NOTEBOOK_DIR" in code:
        source += f'NOTEBOOK_DIR = "{(folder / "nb").resolve()}"\n'
    write_notebook(folder / "nb" / "t.ipynb", parameters_source=source, code=code)
    return write_study(folder, runs_yaml)


def _execute(study, out, launcher, **kw):
    """run_study sharing the module's launcher (saves starting one per test)."""
    from workbench.batch import runner

    original = runner.Launcher.spawn
    runner.Launcher.spawn = classmethod(lambda cls, *a, **k: _Shared(launcher))
    try:
        return run_study(study, out=out, progress=False, **kw)
    finally:
        runner.Launcher.spawn = original


class _Shared:
    """A launcher handle whose close() leaves the shared launcher running."""

    def __init__(self, launcher):
        self._launcher = launcher

    def client(self):
        return self._launcher.client()

    def wait_ready(self, timeout=180):
        return self

    def close(self):
        pass


def test_no_state_leaks_between_runs_and_each_run_is_a_new_process(tmp_path, launcher):
    study = _study(tmp_path, ISOLATION_CODE,
                   "  - notebook: nb/t.ipynb\n    parameters: {subset: [a, b, c]}\n")
    result = _execute(study, tmp_path / "out", launcher, workers=1)
    assert [r.status for r in result.results] == ["ok"] * 3, result.summary()
    pids = set()
    for r in result.results:
        (finding,) = json.loads((r.folder / "findings.json").read_text())
        assert finding["parameters"]["seen"] == {"global": False, "module_attr": False,
                                                 "module": False, "env": False, "cwd": False}
        pids.add(finding["n"])
    assert len(pids) == 3 and os.getpid() not in pids
    assert "WB_LEAK" not in os.environ and not hasattr(json, "LEAK_ATTR")


ENVIRONMENT_CODE = '''\
import os
from pathlib import Path
Path(output_dir, "findings.json").write_text("[]\\n")
Path(output_dir, "seen.txt").write_text(os.environ.get("WB_BATCH_VALUE", "unset"))
'''


@pytest.mark.parametrize("another_thread", [False, True], ids=["forked", "fork-server"])
def test_each_batch_gives_its_runs_the_environment_of_that_moment(tmp_path, launcher,
                                                                   monkeypatch, another_thread):
    # A runner with no other thread forks its workers; one with threads (a Jupyter kernel)
    # forks them from a server that outlives one batch, whose environment is that of the
    # first batch: each task brings the runner's current one.
    from tqdm._monitor import TMonitor

    from workbench.batch.executors.local import worker_context

    for thread in threading.enumerate():  # an earlier test's progress bar left its monitor
        if isinstance(thread, TMonitor):
            thread.exit()
    others = [t.name for t in threading.enumerate() if t is not threading.main_thread()]
    if others and not another_thread:
        pytest.skip(f"an earlier test left threads running: {others}")
    done = threading.Event()
    if another_thread:
        threading.Thread(target=done.wait, daemon=True).start()
    try:
        method = "forkserver" if another_thread else "fork"
        assert worker_context().get_start_method() == method
        study = _study(tmp_path, ENVIRONMENT_CODE,
                       "  - notebook: nb/t.ipynb\n    parameters: {subset: [a, b]}\n")
        for value in ("first", "second"):
            monkeypatch.setenv("WB_BATCH_VALUE", value)
            result = _execute(study, tmp_path / f"out-{value}", launcher, workers=2)
            assert [r.status for r in result.results] == ["ok", "ok"], result.summary()
            assert [(r.folder / "seen.txt").read_text() for r in result.results] == [value] * 2
    finally:
        done.set()


def test_a_hanging_run_times_out_and_the_batch_goes_on(tmp_path, launcher):
    study = _study(tmp_path, SLEEP_OR_DIE_CODE,
                   "  - notebook: nb/t.ipynb\n    parameters: {subset: [hang, ok]}\n"
                   "    timeout: 4\n")
    t0 = time.monotonic()
    result = _execute(study, tmp_path / "out", launcher, workers=2, retries=2)
    assert time.monotonic() - t0 < 60
    hang, ok = result.results
    assert ok.status == "ok"
    assert hang.status == "failed" and hang.error["ename"] == "RunTimeout"
    assert hang.error["kind"] == "timeout" and "4 s" in hang.error["evalue"]
    assert hang.attempts == 1  # a timeout is not an infrastructure failure: no retry
    manifest = json.loads((hang.folder / "manifest.json").read_text())
    assert manifest["status"] == "failed" and manifest["timeout_s"] == 4
    assert "RunTimeout" in result.summary() and "notebook  parameters" in result.summary()


def test_a_killed_kernel_fails_the_run_with_its_reason_and_is_retried(tmp_path, launcher):
    study = _study(tmp_path, SLEEP_OR_DIE_CODE,
                   "  - notebook: nb/t.ipynb\n    parameters: {subset: [die, die-once]}\n"
                   "  - notebook: nb/t.ipynb\n    parameters: {subset: err, fail: true}\n")
    result = _execute(study, tmp_path / "out", launcher, workers=2, retries=1)
    die, die_once, err = result.results
    assert die.status == "failed" and die.error["kind"] == "infrastructure"
    assert die.error["ename"] == "DeadKernelError" and "SIGKILL" in die.error["evalue"]
    assert die.attempts == 2
    assert die_once.status == "ok" and die_once.attempts == 2
    assert "retrying" in (die_once.folder / "run.log").read_text()
    assert err.status == "failed" and err.error["kind"] == "analysis" and err.attempts == 1
    assert result.exit_code == 1


def test_cache_key_changes_with_each_input():
    base = {"notebook_sha256": "n" * 64, "parameters": {"subset": "nhs"}, "data_sha256": "d" * 64,
                "environment": "env", "kernel_name": "workbench"}
    key = cache_mod.run_cache_key(**base)
    assert key == cache_mod.run_cache_key(**dict(base, parameters={"subset": "nhs"}))
    for name, other in [("notebook_sha256", "m" * 64), ("parameters", {"subset": "acute"}),
                        ("data_sha256", "e" * 64), ("environment", "env2"),
                        ("kernel_name", "python3")]:
        assert cache_mod.run_cache_key(**dict(base, **{name: other})) != key, name


def test_notebook_content_hash_ignores_outputs_but_not_code(tmp_path):
    import nbformat

    path = write_notebook(tmp_path / "a.ipynb")
    before = cache_mod.notebook_content_sha256(path)
    nb = nbformat.read(path, as_version=4)
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="x")]
    nb.cells[2].execution_count = 3
    nbformat.write(nb, path)
    assert cache_mod.notebook_content_sha256(path) == before
    nb.cells[2].source += "\nprint(1)"
    nbformat.write(nb, path)
    assert cache_mod.notebook_content_sha256(path) != before


def test_cache_hit_miss_force_and_incomplete_outputs(tmp_path, launcher, monkeypatch):
    write_notebook(tmp_path / "nb" / "tiny.ipynb")
    study = write_study(tmp_path, "  - notebook: nb/tiny.ipynb\n"
                                  "    parameters: {subset: [acute, nhs]}\n")
    out = tmp_path / "out"
    first = _execute(study, out, launcher)
    assert [r.cached for r in first.results] == [False, False]
    again = _execute(study, out, launcher)
    assert [r.cached for r in again.results] == [True, True]
    folder = again.results[0].folder
    assert json.loads((folder / "manifest.json").read_text())["from_cache"] is True
    index = (out / "tiny" / "index.html").read_text()
    assert index.count("cached\">from cache") == 2 and "2 reused from cache" in index
    assert "2 from cache" in again.summary()

    (folder / "figures" / "y.png").unlink()  # incomplete outputs: made again
    third = _execute(study, out, launcher)
    assert [r.cached for r in third.results] == [False, True]

    write_panel(tmp_path / "panel.parquet")  # same bytes: still cached
    assert all(r.cached for r in _execute(study, out, launcher).results)
    forced = _execute(study, out, launcher, force=True)
    assert [r.cached for r in forced.results] == [False, False]

    for module in (runner_mod, data_step_mod):  # the runs' cache key and the data's
        monkeypatch.setattr(module, "environment_sha256", lambda: "another environment")
    assert not any(r.cached for r in _execute(study, out, launcher).results)


def test_cache_misses_when_the_data_or_notebook_change(tmp_path, launcher):
    import pandas as pd

    write_notebook(tmp_path / "nb" / "tiny.ipynb")
    study = write_study(tmp_path, "  - notebook: nb/tiny.ipynb\n")
    out = tmp_path / "out"
    _execute(study, out, launcher)
    panel = pd.read_parquet(tmp_path / "panel.parquet")
    panel.loc[0, "y"] = 10.0
    panel.to_parquet(tmp_path / "panel.parquet", index=False)
    assert not _execute(study, out, launcher).results[0].cached
    assert _execute(study, out, launcher).results[0].cached
    from batch_helpers import ANALYSIS_SOURCE

    write_notebook(tmp_path / "nb" / "tiny.ipynb", code=ANALYSIS_SOURCE + "\nprint('v2')\n")
    assert not _execute(study, out, launcher).results[0].cached


def test_cli_run_flags(tmp_path, monkeypatch):
    from workbench import cli

    seen = {}

    def fake_run_study(study, **kw):
        seen.update(kw)
        raise KeyboardInterrupt

    monkeypatch.setattr(runner_mod, "run_study", fake_run_study)
    code = cli.main(["run", "s.yaml", "--timeout", "30", "--retries", "2", "--force",
                     "--executor", "dask", "--scheduler", "tcp://h:8786", "--insecure"])
    assert code == 130
    assert seen["timeout"] == 30 and seen["retries"] == 2 and seen["force"] is True
    assert seen["executor"] == "dask" and seen["scheduler"] == "tcp://h:8786"
    assert seen["executor_options"] == {"insecure": True}
    assert seen["workers"] is None and seen["preload"] is True


def _session_processes(sid: int) -> list[int]:
    """Live processes (not zombies) whose session id is ``sid``."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[3]) == sid:
            out.append(int(entry.name))
    return out


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find leftover kernels")
def test_ctrl_c_mid_run_stops_cleanly(tmp_path):
    """A real SIGINT while a notebook runs: exit status 130, no folder claiming success,
    no partial folder left, and no kernel or launcher process left behind."""
    study = _study(tmp_path, SLEEP_OR_DIE_CODE,
                   "  - notebook: nb/t.ipynb\n    parameters: {subset: [hang, ok]}\n")
    out = tmp_path / "out"
    # as from a terminal: Python's Ctrl-C handler in place even when this test runs in a
    # background job (whose children start with SIGINT ignored, and Python then leaves it so)
    argv = ["workbench", "run", str(study), "--out", str(out), "--workers", "1",
            "--no-progress"]
    script = ("import runpy, signal, sys; "
              "signal.signal(signal.SIGINT, signal.default_int_handler); "
              f"sys.argv = {argv!r}; runpy.run_module('workbench.cli', run_name='__main__')")
    cmd = [sys.executable, "-c", script]
    sleeping = tmp_path / "kernel-sleeping.marker"
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True,
                            env={**os.environ, "HANG_MARKER": str(sleeping)})
    study_out = out / "tiny"
    deadline = time.monotonic() + 120
    # a fixed pause after the run's folder appeared was not always enough for the kernel
    # to start on a loaded machine: wait until the notebook says it is inside the sleep
    while time.monotonic() < deadline and not sleeping.exists():
        time.sleep(0.1)
    assert list(study_out.glob(".*partial*")), "the hanging run never started"
    assert sleeping.exists(), "the hanging run's kernel never reached its sleep"
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    try:
        code = proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("workbench run did not stop within 60 s of Ctrl-C; its stderr:\n"
                    + proc.stderr.read().decode()[-3000:])
    assert code == 130, proc.stderr.read().decode()[-2000:]
    for folder in study_out.iterdir():
        if folder.name == "data":
            continue
        assert not folder.name.endswith(".partial") and not folder.name.startswith("."), folder
        assert json.loads((folder / "manifest.json").read_text())["status"] == "ok"
    assert not (study_out / "t--subset-hang").exists()
    deadline = time.monotonic() + 15
    while _session_processes(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = _session_processes(proc.pid)
    if left:
        os.killpg(proc.pid, signal.SIGKILL)
    assert not left, f"processes left running after Ctrl-C: {left}"


@pytest.mark.slow
def test_a_batch_killed_with_sigkill_resumes_with_only_what_is_missing(tmp_path):
    study = _study(tmp_path, SLEEP_OR_DIE_CODE,
                   "  - notebook: nb/t.ipynb\n    parameters: {subset: [slow, slow2, slow3]}\n")
    text = (tmp_path / "nb" / "t.ipynb").read_text().replace('subset == \\"slow\\"',
                                                              'subset.startswith(\\"slow\\")')
    (tmp_path / "nb" / "t.ipynb").write_text(text)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "workbench.cli", "run", str(study), "--out", str(out),
           "--workers", "1", "--no-progress"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    study_out = out / "tiny"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (study_out / "t--subset-slow").exists():
        time.sleep(0.1)
    assert (study_out / "t--subset-slow").exists(), "the first run never finished"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    time.sleep(2)
    for folder in study_out.iterdir():
        if folder.name.startswith(".") or folder.name == "data":
            continue
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["status"] == "ok"  # a visible run folder is complete
    done_before = {p.name for p in study_out.iterdir() if not p.name.startswith(".")}
    assert "t--subset-slow3" not in done_before
    result = run_study(study, out=out, progress=False, workers=1)
    assert [r.status for r in result.results] == ["ok"] * 3
    assert result.results[0].cached and not result.results[2].cached
    assert not [p for p in study_out.iterdir() if p.name.endswith(".partial")]


@pytest.mark.slow
def test_dask_local_cluster_gives_the_same_findings_as_the_local_executor(tmp_path):
    write_notebook(tmp_path / "nb" / "tiny.ipynb")
    study = write_study(tmp_path, "  - notebook: nb/tiny.ipynb\n"
                                  "    parameters: {subset: [acute, nhs, independent]}\n"
                                  "  - notebook: nb/tiny.ipynb\n"
                                  "    parameters: {subset: boom, fail: true}\n")
    local = run_study(study, out=tmp_path / "local", progress=False, workers=2)
    dask = run_study(study, out=tmp_path / "dask", progress=False, workers=2, executor="dask")
    assert [r.status for r in dask.results] == [r.status for r in local.results] \
        == ["ok", "ok", "ok", "failed"]
    assert (tmp_path / "dask" / "tiny" / "findings.csv").read_text() == \
        (tmp_path / "local" / "tiny" / "findings.csv").read_text()
    for r in local.results[:3]:
        assert (tmp_path / "dask" / "tiny" / r.run_id / "findings.json").read_bytes() == \
            (r.folder / "findings.json").read_bytes()


def test_a_launcher_closed_while_it_still_imports_stops_at_once(tmp_path, monkeypatch):
    # the command line spawns the launcher before it knows whether any run will execute;
    # when every run comes from cache it is closed mid-import and must not be waited for
    (tmp_path / "slow_preload_3b7.py").write_text("import time\ntime.sleep(120)\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        p for p in (str(tmp_path), os.environ.get("PYTHONPATH")) if p))
    launcher = Launcher.spawn(preload=("slow_preload_3b7",))
    time.sleep(0.5)
    t0 = time.monotonic()
    launcher.close()
    assert time.monotonic() - t0 < 60  # far below the 120 s the import would take
    assert launcher.process.returncode == -signal.SIGKILL
    assert not Path(launcher.address).exists()
