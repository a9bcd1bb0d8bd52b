"""Run a benchmark's child process and watch it: wall time, and the peak resident memory
of the child and its own children sampled every 20 ms (psutil, when installed).

The child prints its result as JSON on its last line of output. Shared by the ingest
benchmarks (``ingest_rtt.py``, ``ingest_new_publications.py``).
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path


def tree_rss(pid: int) -> int:
    """Resident memory of a process and all its children, in bytes (0 once it has ended)."""
    import psutil

    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


def run_child(cmd: list[str], label: str, cwd: Path | None = None) -> tuple[dict, float, int]:
    """Run ``cmd``; return its JSON result, its wall time in seconds and the largest memory
    of its process tree seen while it ran (0 without psutil). A child that fails ends the
    benchmark with its error, named by ``label``.
    """
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=cwd)
    peak = [0]
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss(proc.pid))
            done.wait(0.02)

    watcher = None
    try:
        import psutil  # noqa: F401

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
    except ImportError:
        pass
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    done.set()
    if watcher:
        watcher.join()
    if proc.returncode != 0:
        raise SystemExit(f"{label} failed (exit {proc.returncode}):\n{err[-3000:]}")
    return json.loads(out.strip().splitlines()[-1]), wall, peak[0]
