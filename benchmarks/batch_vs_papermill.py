"""`workbench run` against a plain loop of `papermill` calls on the same 8 runs.

The workload is ``benchmarks/notebooks/representative.ipynb`` (load the panel, fit
two models, draw two figures) over ``subset`` x ``time_effects`` = 4 x 2 runs, all
reading one synthetic panel file (240 providers x 36 months) made beforehand.

Each round times three command lines run from this script, back to back:

1. a plain loop: ``papermill NOTEBOOK OUT -p ...`` once per run, one after another
   (a fresh Python and kernel per run);
2. ``workbench run STUDY --out OUT`` **cold**, with its defaults (workers = cores);
3. the same command again on the unchanged study (every run from cache).

"Cold" means what a first-time user has: a new, empty output folder (no run cache, no
data made before), a new kernel launcher and new worker processes, nothing kept from
an earlier ``workbench run`` (its caches live in one process or in the output folder).
Installed packages come with their bytecode compiled, and the operating system's file
cache is warm for both sides: before the first round one untimed papermill run and one
untimed one-run ``workbench run`` (into a folder of its own) read the same files.

With ``--rounds N`` the rounds alternate which side goes first (papermill first in
odd rounds), so that a change of load between the two sides does not favour either.
Each line prints the 1-minute load average before it; other processes on the machine
slow every timing. It prints the ratios to the papermill loop (targets: <= 0.15 cold
and <= 0.05 unchanged), the notebook's own compute time (the sum of its cells'
execution times in the workbench runs, where imports are already loaded) and the
overhead per run above it.

    .venv/bin/python benchmarks/batch_vs_papermill.py [--rounds N] [--keep DIR]
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


def papermill_loop(folder: Path, panel: Path) -> float:
    """Wall time of one papermill command line call per run, in sequence."""
    t0 = time.perf_counter()
    for subset, te in itertools.product(SUBSETS, TIME_EFFECTS):
        out = folder / f"{subset}-{te}"
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


COLD_TARGET = 0.15
RERUN_TARGET = 0.05


def load() -> float:
    return os.getloadavg()[0]


def workbench_side(study: Path, out: Path) -> tuple[float, float, float, float]:
    """Cold and unchanged wall times of ``workbench run`` into the new folder ``out``,
    with the load average before each."""
    run_cmd = [str(BIN / "workbench"), "run", str(study), "--out", str(out), "--no-progress"]
    load_cold = load()
    t_cold = _timed(run_cmd)
    load_again = load()
    t_again = _timed(run_cmd)
    return t_cold, load_cold, t_again, load_again


def warm_file_cache(work: Path, panel: Path) -> None:
    """One untimed papermill run and one untimed one-run ``workbench run``, each in a
    folder of its own: the files both sides read are then in the OS file cache."""
    out = work / "warm" / "papermill"
    out.mkdir(parents=True)
    _timed([str(BIN / "papermill"), str(NOTEBOOK), str(out / "notebook.ipynb"),
            "-k", "workbench", "--cwd", str(NOTEBOOK.parent), "--no-progress-bar",
            "-p", "panel_path", str(panel), "-p", "output_dir", str(out)])
    study = work / "warm" / "warm.yaml"
    study.write_text(f"name: warm\ndata:\n  panel: {panel}\nruns:\n  - notebook: {NOTEBOOK}\n",
                     encoding="utf-8")
    _timed([str(BIN / "workbench"), "run", str(study), "--out", str(work / "warm" / "out"),
            "--no-progress"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--rounds", type=int, default=1,
                        help="rounds of both sides, alternating which goes first (default 1)")
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
          f"load average before: {load():.2f}")
    warm_file_cache(work, panel)

    ratios = []
    for round_ in range(1, args.rounds + 1):
        out = work / f"out-{round_}"
        pm_dir = work / f"papermill-{round_}"
        if round_ % 2:
            load_pm = load()
            t_pm = papermill_loop(pm_dir, panel)
            t_wb, load_wb, t_again, load_again = workbench_side(study, out)
        else:
            t_wb, load_wb, t_again, load_again = workbench_side(study, out)
            load_pm = load()
            t_pm = papermill_loop(pm_dir, panel)
        ratios.append((t_wb / t_pm, t_again / t_pm))
        first = "papermill first" if round_ % 2 else "workbench first"
        print(f"round {round_} ({first}):")
        print(f"  papermill loop:              {t_pm:7.1f} s  ({t_pm / n_runs:.2f} s per run; "
              f"load {load_pm:.2f})")
        print(f"  workbench run (cold):        {t_wb:7.1f} s  ratio {t_wb / t_pm:.3f} "
              f"(target <= {COLD_TARGET}; load {load_wb:.2f})")
        print(f"  workbench run (unchanged):   {t_again:7.1f} s  ratio {t_again / t_pm:.3f} "
              f"(target <= {RERUN_TARGET}; load {load_again:.2f})")

        compute, durations = compute_times(out / "bench")
        mean_compute = sum(compute) / len(compute)
        mean_duration = sum(durations) / len(durations)
        batch_fixed = t_wb - sum(durations) / cores
        print(f"  notebook compute per run (cells, imports preloaded): {mean_compute:.2f} s")
        print(f"  workbench per run: {mean_duration:.2f} s in its worker, i.e. "
              f"{mean_duration - mean_compute:.2f} s above the notebook's compute (kernel "
              "fork and start, parameters, report rendering, manifest)")
        print(f"  workbench once per batch (launcher, workers, data, index; not overlapped): "
              f"~{max(batch_fixed, 0):.1f} s")
        print(f"  papermill per run above the notebook's compute: "
              f"{t_pm / n_runs - mean_compute:.2f} s")
    if len(ratios) > 1:
        cold = sorted(r[0] for r in ratios)
        again = sorted(r[1] for r in ratios)
        print(f"ratios over {len(ratios)} rounds: cold {', '.join(f'{r:.3f}' for r in cold)}; "
              f"unchanged {', '.join(f'{r:.3f}' for r in again)}")
    print("(load: the 1-minute load average before each line; other processes share the "
          "cores, and every figure above includes their effect)")
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
