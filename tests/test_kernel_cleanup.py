"""Kernel socket folders (``<tmp>/wbk-<pid>-*``) never outlive their run, and stale ones
left by a killed runner are swept at the next start."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from batch_helpers import write_notebook, write_study

from workbench.batch import kernels
from workbench.batch.runner import run_study

CODE = '''\
import os, time
from pathlib import Path
if subset == "hang":
    time.sleep(600)
if subset == "die":
    os.kill(os.getpid(), 9)
Path(output_dir, "findings.json").write_text("[]\\n")
'''


def _mine() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob(f"wbk-{os.getpid()}-*")}


def test_socket_folders_are_removed_after_a_normal_end_a_kill_and_a_timeout(tmp_path,
                                                                            monkeypatch):
    made: list[Path] = []
    real = kernels.socket_folder

    def recorded():
        folder = real()
        made.append(folder)
        return folder

    monkeypatch.setattr(kernels, "socket_folder", recorded)
    before = _mine()
    write_notebook(tmp_path / "nb" / "t.ipynb", code=CODE, parameters_source=(
        'panel_path = ""\noutput_dir = ""\nsubset = "ok"\n'))
    study = write_study(tmp_path, "  - notebook: nb/t.ipynb\n"
                                  "    parameters: {subset: [ok, die, hang]}\n"
                                  "    timeout: 6\n")
    t0 = time.monotonic()
    result = run_study(study, out=tmp_path / "out", progress=False, workers=1,
                       preload=False)
    assert time.monotonic() - t0 < 120
    ok, die, hang = result.results
    assert ok.status == "ok", result.summary()
    assert die.status == "failed" and die.error["kind"] == "infrastructure"
    assert hang.status == "failed" and hang.error["kind"] == "timeout"
    assert len(made) >= 3  # one folder per kernel started
    assert [p for p in made if p.exists()] == []
    assert _mine() - before == set()


def test_stale_folders_of_ended_processes_are_swept_at_the_next_start(tmp_path):
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    dead_pid = int(ended.stdout)
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    root = Path(tempfile.gettempdir())
    stale = root / f"wbk-{dead_pid}-t{os.urandom(3).hex()}"
    kept = root / f"wbk-{live.pid}-t{os.urandom(3).hex()}"
    other = root / f"wbk-t{os.urandom(3).hex()}"  # no pid in the name: not ours to judge
    try:
        for folder in (stale, kept, other):
            folder.mkdir()
            (folder / "k-1").write_text("")
        kernels.kernel_manager_class(launcher=None)  # what each run does at its start
        assert not stale.exists()
        assert kept.is_dir() and other.is_dir()
        live.kill()
        live.wait()
        kernels.kernel_manager_class(launcher=None)
        assert not kept.exists() and other.is_dir()
    finally:
        live.kill()
        live.wait()
        for folder in (stale, kept, other):
            if folder.exists():
                for f in folder.iterdir():
                    f.unlink()
                folder.rmdir()
