"""`workbench run` against a plain loop of `papermill` calls on the same 8 runs.

The workload is ``benchmarks/notebooks/representative.ipynb`` (load the panel, fit
two models, draw two figures) over ``subset`` x ``time_effects`` = 4 x 2 runs, all
reading one synthetic panel file (240 providers x 36 months) made beforehand.

Three timings, each a separate command line run from this script (one process tree):

1. a plain loop: ``papermill NOTEBOOK OUT -p ...`` once per run, one after another;
2. ``workbench run STUDY --out OUT`` from a cold start (empty output folder: no cache,
   a new launcher, new workers), with its defaults (workers = cores);
3. the same command again on the unchanged study (every run from cache).

It prints the wall times, the ratios to the papermill loop (targets: <= 0.35 and
<= 0.05), the notebook's own compute time (the sum of its cells' execution times in
the workbench runs, where imports are already loaded) and the overhead per run above
it. Other processes on the machine slow every timing; the load average is printed.

    .venv/bin/python benchmarks/batch_vs_papermill.py [--keep DIR]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "benchmarks" / "notebooks" / "representative.ipynb"
SUBSETS = ["acute", "nhs", "independent", "all"]
TIME_EFFECTS = [True, False]
BIN = Path(sys.executable).parent


def _timed(cmd: list[str], **kw) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, **kw)
    elapsed = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"command failed ({done.returncode}): {' '.join(cmd)}\n"
                         f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return elapsed


def papermill_loop(work: Path, panel: Path) -> float:
    """Wall time of one papermill command line call per run, in sequence."""
    t0 = time.perf_counter()
    for subset, te in itertools.product(SUBSETS, TIME_EFFECTS):
        out = work / "papermill" / f"{subset}-{te}"
        out.mkdir(parents=True)
        _timed([str(BIN / "papermill"), str(NOTEBOOK), str(out / "notebook.ipynb"),
                "-k", "workbench", "--cwd", str(NOTEBOOK.parent), "--no-progress-bar",
                "-p", "panel_path", str(panel), "-p", "output_dir", str(out),
                "-p", "subset", subset, "-p", "time_effects", str(te)])
    return time.perf_counter() - t0


def write_study(work: Path, panel: Path) -> Path:
    study = work / "bench.yaml"
    study.write_text(
        "name: bench\ntitle: Batch benchmark\n"
        f"data:\n  panel: {panel}\n"
        f"runs:\n  - notebook: {NOTEBOOK}\n"
        f"    parameters:\n      subset: {json.dumps(SUBSETS)}\n"
        f"      time_effects: {json.dumps(TIME_EFFECTS)}\n", encoding="utf-8")
    return study


def compute_times(out: Path) -> tuple[list[float], list[float]]:
    """Per run: the sum of cell execution times, and the run's duration in its manifest."""
    compute, durations = [], []
    for manifest_path in sorted(out.glob("*/manifest.json")):
        manifest = json.loads(manifest_path.read_text())
        nb = nbformat.read(manifest_path.parent / "notebook.ipynb", as_version=4)
        compute.append(sum((c.metadata.get("papermill") or {}).get("duration") or 0.0
                           for c in nb.cells))
        durations.append(manifest["duration_s"])
    return compute, durations


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="wb-bench-"))
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    from workbench.data.synth import generate

    panel_file, _ = generate(seed=20240401, n_providers=240, n_months=36).write(work / "data")
    panel = Path(panel_file)
    study = write_study(work, panel)
    n_runs = len(SUBSETS) * len(TIME_EFFECTS)
    cores = len(os.sched_getaffinity(0))
    print(f"{n_runs} runs of {NOTEBOOK.relative_to(ROOT)}; {cores} cores; "
          f"load average before: {os.getloadavg()[0]:.2f}")

    t_pm = papermill_loop(work, panel)
    print(f"papermill loop:              {t_pm:7.1f} s  ({t_pm / n_runs:.2f} s per run)")
    load = os.getloadavg()[0]
    run_cmd = [str(BIN / "workbench"), "run", str(study), "--out", str(work / "out"),
               "--no-progress"]
    t_wb = _timed(run_cmd)
    print(f"workbench run (cold):        {t_wb:7.1f} s  ratio {t_wb / t_pm:.3f} (target <= 0.35)")
    t_again = _timed(run_cmd)
    print(f"workbench run (unchanged):   {t_again:7.1f} s  ratio {t_again / t_pm:.3f} "
          "(target <= 0.05)")

    compute, durations = compute_times(work / "out" / "bench")
    mean_compute = sum(compute) / len(compute)
    mean_duration = sum(durations) / len(durations)
    batch_fixed = t_wb - sum(durations) / cores
    print(f"notebook compute per run (cells, imports preloaded): {mean_compute:.2f} s")
    print(f"workbench per run: {mean_duration:.2f} s in its worker, i.e. "
          f"{mean_duration - mean_compute:.2f} s above the notebook's compute (kernel fork "
          "and start, parameters, report rendering, manifest)")
    print(f"workbench once per batch (launcher, workers, data, index; not overlapped): "
          f"~{max(batch_fixed, 0):.1f} s")
    print(f"papermill per run above the notebook's compute: {t_pm / n_runs - mean_compute:.2f} s")
    print(f"load average during the workbench runs: {load:.2f} (other processes share the "
          "cores; every figure above includes their effect)")
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
