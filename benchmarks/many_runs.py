"""Studies of many runs: reading, checking and naming them is linear in the number of runs.

Part 1 (always): for grid studies of 10, 100, 1,000 and 10,000 runs of a trivial notebook,
the time of ``load_study`` (parse, expand the grid, assign run ids) and ``check_study``
(every run against the notebook's parameters cell), per run, and the ratio of the time
per run at 10,000 runs to that at 1,000 (about 1 when linear; a quadratic step makes it
about 10). Then ``workbench run STUDY --dry-run`` of the 10,000-run study as a command
(target: under 10 s), and how long a 1,000,000-run grid takes to be refused (it is never
expanded).

Part 2 (``--execute``): ``workbench run`` of a trivial-notebook study of increasing size
(default 10, 100 and 1,000 runs; ``--execute-up-to 10000`` adds 10,000, which takes about
20 minutes on two cores), each in a fresh output folder. The time per run added between
two sizes, ``(T(n) - T(m)) / (n - m)``, leaves the fixed cost (launcher, workers, data)
out; it is printed for each size with its ratio to the first one (flat means about 1).

    .venv/bin/python benchmarks/many_runs.py
    .venv/bin/python benchmarks/many_runs.py --execute                      # up to 1,000 runs
    .venv/bin/python benchmarks/many_runs.py --execute --execute-up-to 10000

Other processes on the machine slow every timing; the load average is printed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from workbench.batch.plan import check_study
from workbench.batch.study import load_study
from workbench.errors import StudyError

BIN = Path(sys.executable).parent
SIZES = (10, 100, 1_000, 10_000)


def write_notebook(path: Path) -> Path:
    """A trivial notebook: two integer parameters and one cell that adds them."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "workbench", "display_name": "Python (workbench)",
                                 "language": "python"}
    cell = nbformat.v4.new_code_cell("a = 0  # row of the grid\nb = 0  # column of the grid\n")
    cell.metadata["tags"] = ["parameters"]
    nb.cells += [nbformat.v4.new_markdown_cell("# Trivial"), cell,
                 nbformat.v4.new_code_cell("print(a + b)")]
    nbformat.write(nb, path)
    return path


def write_study(folder: Path, n: int, name: str | None = None) -> Path:
    """A study of ``n`` runs: a grid of ``a`` (n / 10 values, or n) by ``b`` (10 or 1)."""
    cols = 10 if n >= 10 and n % 10 == 0 else 1
    rows = n // cols
    path = folder / f"{name or f'runs{n}'}.yaml"
    path.write_text(f"name: {name or f'runs{n}'}\nruns:\n  - notebook: trivial.ipynb\n"
                    f"    parameters: {{a: {list(range(rows))}, b: {list(range(cols))}}}\n",
                    encoding="utf-8")
    return path


def time_load_check(folder: Path) -> None:
    print("load_study + check_study (parse, expand, run ids, parameter checks)")
    print(f"{'runs':>8} {'load s':>9} {'check s':>9} {'total s':>9} {'us/run':>9}")
    per_run = {}
    check_study(load_study(write_study(folder, 2, name="warmup")))  # first-use imports
    for n in SIZES:
        path = write_study(folder, n)
        t0 = time.perf_counter()
        study = load_study(path, max_runs=max(SIZES))
        t1 = time.perf_counter()
        check_study(study)
        t2 = time.perf_counter()
        assert len(study.runs) == n and len({r.run_id for r in study.runs}) == n
        per_run[n] = (t2 - t0) / n
        print(f"{n:>8,} {t1 - t0:>9.3f} {t2 - t1:>9.3f} {t2 - t0:>9.3f} {per_run[n] * 1e6:>9.1f}")
    print(f"time per run at 10,000 / at 1,000: {per_run[10_000] / per_run[1_000]:.2f} "
          "(about 1 when linear)\n")


def time_dry_run(folder: Path) -> None:
    path = write_study(folder, 10_000)
    t0 = time.perf_counter()
    done = subprocess.run([str(BIN / "workbench"), "run", str(path), "--dry-run"],
                          capture_output=True, text=True, check=False, cwd=folder)
    elapsed = time.perf_counter() - t0
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr
    print(f"workbench run <10,000-run study> --dry-run: {elapsed:.2f} s (target < 10 s); "
          f"exit {done.returncode}: {last}")
    big = folder / "million.yaml"
    big.write_text("name: million\nruns:\n  - notebook: trivial.ipynb\n"
                   f"    parameters: {{a: {list(range(1000))}, b: {list(range(1000))}}}\n",
                   encoding="utf-8")
    t0 = time.perf_counter()
    try:
        load_study(big)
    except StudyError as exc:
        print(f"1,000,000-run grid refused in {time.perf_counter() - t0:.3f} s: "
              f"{str(exc).split(': ', 2)[-1][:90]}...\n")
    else:
        raise SystemExit("the 1,000,000-run grid was accepted")


def time_execute(folder: Path, up_to: int) -> None:
    sizes = [n for n in SIZES if n <= up_to]
    print("workbench run of a trivial study (fresh output folder each time; "
          f"{os.cpu_count()} cores)")
    print(f"{'runs':>8} {'wall s':>9} {'s per run added':>16}")
    walls, per_run = {}, {}
    previous = None
    for n in sizes:
        path = write_study(folder, n, name=f"exec{n}")
        out = folder / f"out{n}"
        t0 = time.perf_counter()
        done = subprocess.run([str(BIN / "workbench"), "run", str(path), "--out", str(out),
                               "--no-progress", "--max-runs", str(max(n, 1))],
                              capture_output=True, text=True, check=False, cwd=folder)
        walls[n] = time.perf_counter() - t0
        if done.returncode != 0:
            raise SystemExit(f"workbench run failed ({done.returncode}):\n"
                             f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
        if previous is not None:
            per_run[n] = (walls[n] - walls[previous]) / (n - previous)
        shown = f"{per_run[n]:>16.3f}" if n in per_run else f"{'':>16}"
        print(f"{n:>8,} {walls[n]:>9.1f} {shown}")
        previous = n
    if len(per_run) > 1:
        first = min(per_run)
        print(f"time per run added, against that from {sizes[0]:,} to {first:,} runs:",
              ", ".join(f"to {n:,}: {per_run[n] / per_run[first]:.2f}" for n in per_run),
              "(flat means about 1)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--execute", action="store_true",
                        help="also run trivial studies of increasing size")
    parser.add_argument("--execute-up-to", type=int, default=1_000, metavar="N",
                        help="largest study to execute (default 1000; 10000 takes long)")
    parser.add_argument("--keep", type=Path, default=None, metavar="DIR",
                        help="work in DIR and keep it (default: a temporary folder)")
    args = parser.parse_args(argv)
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
    with tempfile.TemporaryDirectory(prefix="wb-many-runs-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        write_notebook(folder / "trivial.ipynb")
        time_load_check(folder)
        time_dry_run(folder)
        if args.execute:
            time_execute(folder, args.execute_up_to)
    return 0


if __name__ == "__main__":
    sys.exit(main())
