"""Time and peak memory of notebooks 01, 02 and 03 as the panel grows to national size.

England has about 15,000 CQC-registered care homes and hospitals; five years of monthly
data is a panel of about 900,000 provider-months. Each notebook is executed whole
(papermill, the project's ``workbench`` kernel: panel generation, validation, every
analysis, figures and ``findings.json``) on a synthetic panel of each size, one run at a
time. The resident memory of the whole process tree (papermill and its kernel) is
sampled every 0.2 s with psutil; the table gives rows, wall time, peak memory and, from
the second size on, the growth exponent of time log(t2/t1) / log(n2/n1) against the
previous size (1 is linear). Targets at 15,000 x 60: at most 4 GiB and 10 minutes per
notebook, time growing no faster than about n^1.2.

BLAS runs one thread per kernel (``OPENBLAS_NUM_THREADS=1`` and friends, as
``workbench run`` runs one kernel per core): on a shared two-core machine a threaded
BLAS spends most of its time waiting for the other thread.

    nice .venv/bin/python benchmarks/scale.py                       # 1,000 / 4,000 / 15,000 x 60
    nice .venv/bin/python benchmarks/scale.py --sizes 240x36 1000x60 --notebooks 02
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
NOTEBOOKS = {"01": "01_data_quality", "02": "02_staffing_waits_satisfaction",
             "03": "03_nhs_vs_private"}
DEFAULT_SIZES = ("1000x60", "4000x60", "15000x60")


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


def run_notebook(key: str, providers: int, months: int, work: Path) -> dict:
    """Execute one notebook on a providers x months synthetic panel; wall time and the
    peak resident memory of the process tree."""
    name = NOTEBOOKS[key]
    out = work / f"{name}-{providers}x{months}"
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
               MKL_NUM_THREADS="1", MPLBACKEND="Agg")
    cmd = [str(BIN / "papermill"), str(ROOT / "notebooks" / f"{name}.ipynb"),
           str(out / "notebook.ipynb"), "-k", "workbench", "--cwd", str(ROOT / "notebooks"),
           "-p", "n_providers", str(providers), "-p", "n_months", str(months),
           "-p", "output_dir", str(out), "--execution-timeout", "3600"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                            cwd=ROOT)
    ps = psutil.Process(proc.pid)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _tree_rss(ps))
            done.wait(0.2)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    log, _ = proc.communicate()
    done.set()
    th.join()
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        tail = log.decode(errors="replace")[-3000:]
        raise SystemExit(f"{name} at {providers} x {months} failed:\n{tail}")
    return {"notebook": key, "providers": providers, "months": months,
            "rows": providers * months, "seconds": elapsed, "peak_gib": peak[0] / 2 ** 30,
            "findings": out / "findings.json"}


def exponents(rows: list[dict]) -> list[dict]:
    """Add ``exponent``: log(t2/t1) / log(n2/n1) against the previous size of the same
    notebook (empty for the first size)."""
    last: dict[str, dict] = {}
    for r in rows:
        prev = last.get(r["notebook"])
        r["exponent"] = (math.log(r["seconds"] / prev["seconds"])
                         / math.log(r["rows"] / prev["rows"])) if prev else None
        last[r["notebook"]] = r
    return rows


def table(rows: list[dict]) -> str:
    """The results as a Markdown table."""
    lines = ["| notebook | panel | rows | time (s) | peak memory (GiB) | time exponent |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        e = "" if r["exponent"] is None else f"{r['exponent']:.2f}"
        lines.append(f"| {r['notebook']} | {r['providers']:,} x {r['months']} | "
                     f"{r['rows']:,} | {r['seconds']:.0f} | {r['peak_gib']:.2f} | {e} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", default=list(DEFAULT_SIZES),
                    help="panel sizes as PROVIDERSxMONTHS, smallest first")
    ap.add_argument("--notebooks", nargs="+", default=list(NOTEBOOKS), choices=list(NOTEBOOKS))
    ap.add_argument("--keep", type=Path, help="folder to keep the executed notebooks in")
    args = ap.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="workbench-scale-"))
    rows = []
    for size in args.sizes:
        providers, months = (int(v) for v in size.lower().split("x"))
        for key in args.notebooks:
            r = run_notebook(key, providers, months, work)
            print(f"{NOTEBOOKS[key]:32s} {providers:>6,} x {months:<3} {r['rows']:>9,} rows "
                  f"{r['seconds']:7.1f} s {r['peak_gib']:6.2f} GiB", flush=True)
            rows.append(r)
    print()
    print(table(exponents(sorted(rows, key=lambda r: (r["notebook"], r["rows"])))))
    print(f"\nload average {os.getloadavg()[0]:.1f}; executed notebooks in {work}")


if __name__ == "__main__":
    main()
