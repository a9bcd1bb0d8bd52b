"""Benchmark: 12 months of RTT provider summaries from 12 full extracts.

Builds 12 monthly extracts in a temporary folder from the real April 2026 extract
(the ``Period`` label rewritten to each month, May 2025 ... April 2026; zipped like the
published file unless ``--format csv``), then measures, each in a fresh child process:

* ``reader``: :func:`workbench.data.sources.rtt.read_many` (lines screened at the
  byte level, then pyarrow parsing of the needed columns with explicit types, a
  process pool over files), and ``reader-1``, the same in a single process;
* ``baseline``: plain ``pd.read_csv`` of every column of every file, then filter and
  group-by (the obvious pandas way).

Wall time is timed around the child. Peak memory is the largest sum of resident set
sizes of the child and all its descendants, sampled every 20 ms (with psutil), and the
largest single process's max RSS from ``getrusage``. Both variants must give the same
England totals. Targets (2 cores): reader at most 20 s wall and 1.5 GiB peak.

Usage::

    .venv/bin/python benchmarks/ingest_rtt.py                 # both variants
    .venv/bin/python benchmarks/ingest_rtt.py --format csv --processes 2 --strict
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = (REPO.parent / "shared" / "data" / "real" / "rtt_full_extract"
                  / "20260430-RTT-April-2026-full-extract.csv.zip")
SOURCE_LABEL = b"RTT-April-2026"
TARGET_SECONDS = 20.0
TARGET_BYTES = 1.5 * 2**30
MONTHS = ["May-2025", "June-2025", "July-2025", "August-2025", "September-2025",
          "October-2025", "November-2025", "December-2025", "January-2026", "February-2026",
          "March-2026", "April-2026"]


def make_extracts(source: Path, folder: Path, fmt: str, months: list[str]) -> list[Path]:
    """Write one extract per month: the source with its Period label changed."""
    sys.path.insert(0, str(REPO))
    from workbench.data.sources.common import data_member, open_binary

    member = data_member(source, ".csv")
    with open_binary(source) as fh:
        data = fh.read()
    if data.count(SOURCE_LABEL) < 1000:
        raise SystemExit(f"{source}: expected the period label {SOURCE_LABEL!r} on every row")
    paths = []
    for label in months:
        text = data.replace(b"\n" + SOURCE_LABEL + b",", f"\nRTT-{label},".encode())
        stem = f"RTT-{label}-full-extract.csv"
        if fmt == "zip":
            p = folder / f"{stem}.zip"
            with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
                z.writestr(stem, text)
                z.writestr(f"__MACOSX/._{member or stem}", b"\x00\x05\x16\x07")
        else:
            p = folder / stem
            p.write_bytes(text)
        paths.append(p)
    return paths


# --- the two variants (run inside a child process) ---------------------------------------

def run_reader(paths: list[str], processes: int) -> dict:
    from workbench.data.sources import rtt

    df = rtt.read_many(paths, by="provider", processes=processes)
    return summary(df)


def run_baseline(paths: list[str]) -> dict:
    import numpy as np
    import pandas as pd

    from workbench.data.sources import rtt
    from workbench.data.sources.common import parse_month

    out = []
    for p in paths:
        with zipfile.ZipFile(p) if p.endswith(".zip") else open(p, "rb") as src:
            if isinstance(src, zipfile.ZipFile):
                name = next(n for n in src.namelist() if not n.startswith("__MACOSX/"))
                raw = pd.read_csv(src.open(name))
            else:
                raw = pd.read_csv(src)
        bands = [c for c in raw.columns if c.startswith("Gt ")]
        part2 = raw[(raw["RTT Part Type"] == "Part_2")
                    & (raw["Treatment Function Code"] == "C_999")]
        g = part2.groupby(["Period", "Provider Org Code"])[bands].sum()
        counts = g.to_numpy()
        res = pd.DataFrame({
            "period": [parse_month(x, p) for x in g.index.get_level_values(0)],
            "provider_code": g.index.get_level_values(1),
            "rtt_waiting_list": counts.sum(axis=1),
            "rtt_within_18w": counts[:, :18].sum(axis=1),
            "rtt_over_52w": counts[:, 52:].sum(axis=1),
            "rtt_median_weeks": rtt.median_weeks(counts, np.arange(counts.shape[1])),
        })
        out.append(res)
    return summary(pd.concat(out, ignore_index=True))


def summary(df) -> dict:
    return {
        "rows": len(df),
        "months": int(df["period"].nunique()),
        "waiting_list": float(df["rtt_waiting_list"].sum()),
        "within_18w": float(df["rtt_within_18w"].sum()),
        "over_52w": float(df["rtt_over_52w"].sum()),
        "median_of_medians": float(df["rtt_median_weeks"].median()),
    }


def child_main(variant: str, paths: list[str], processes: int) -> None:
    sys.path.insert(0, str(REPO))
    t0 = time.perf_counter()
    result = run_reader(paths, processes) if variant == "reader" else run_baseline(paths)
    result["inner_seconds"] = time.perf_counter() - t0
    kib = 1 if sys.platform != "darwin" else 1 / 1024
    result["self_max_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 * kib
    result["children_max_rss"] = (resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
                                  * 1024 * kib)
    print(json.dumps(result))


# --- the parent: time and watch each child -----------------------------------------------

def tree_rss(pid: int) -> int:
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


def measure(variant: str, paths: list[Path], processes: int) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", variant,
           "--processes", str(processes), *map(str, paths)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
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
        raise SystemExit(f"{variant} failed (exit {proc.returncode}):\n{err}")
    result = json.loads(out.strip().splitlines()[-1])
    result["wall_seconds"] = wall
    result["peak_process_rss"] = max(result["self_max_rss"], result["children_max_rss"])
    # sampling can miss a short spike: never report less than the largest single process
    result["peak_tree_rss"] = max(peak[0], result["peak_process_rss"])
    return result


def gib(n: float) -> str:
    return f"{n / 2**30:.2f} GiB"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", help=argparse.SUPPRESS)
    ap.add_argument("--child", choices=["reader", "baseline"], help=argparse.SUPPRESS)
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE,
                    help="the real RTT full extract (zip or CSV)")
    ap.add_argument("--format", choices=["zip", "csv"], default="zip",
                    help="write the 12 extracts zipped (as published) or as plain CSV")
    ap.add_argument("--processes", type=int, default=os.cpu_count() or 2,
                    help="reader processes (default: CPUs)")
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)

    if args.child:
        child_main(args.child, args.files, args.processes)
        return 0
    if not args.source.exists():
        print(f"RTT extract not found: {args.source}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="rtt-bench-") as tmp:
        t0 = time.perf_counter()
        paths = make_extracts(args.source, Path(tmp), args.format, MONTHS)
        print(f"made {len(paths)} {args.format} extracts in {time.perf_counter() - t0:.1f} s "
              f"({sum(p.stat().st_size for p in paths) / 2**20:.0f} MiB) on "
              f"{os.cpu_count()} CPU(s)")
        results = {"reader": measure("reader", paths, args.processes)}
        if args.processes > 1:
            results["reader-1"] = measure("reader", paths, 1)
        if not args.skip_baseline:
            results["baseline"] = measure("baseline", paths, 1)

    print(f"\nreader: {args.processes} process(es); reader-1: one process; baseline: "
          "pd.read_csv of all columns, one file after another")
    print(f"\n{'variant':<10}{'wall':>10}{'peak (tree)':>14}{'peak (1 proc)':>15}"
          f"{'rows':>8}{'waiting list':>16}")
    for name, r in results.items():
        print(f"{name:<10}{r['wall_seconds']:>9.1f}s{gib(r['peak_tree_rss']):>14}"
              f"{gib(r['peak_process_rss']):>15}{r['rows']:>8}{r['waiting_list']:>16,.0f}")
    ok = True
    if "baseline" in results:
        a, b = results["reader"], results["baseline"]
        same = all(abs(a[k] - b[k]) < 1e-6 * max(1.0, abs(b[k]))
                   for k in ("rows", "waiting_list", "within_18w", "over_52w",
                             "median_of_medians"))
        same &= all(abs(r[k] - b[k]) < 1e-6 * max(1.0, abs(b[k]))
                    for r in results.values() for k in ("rows", "waiting_list"))
        print(f"\nreader vs baseline: {b['wall_seconds'] / a['wall_seconds']:.1f}x faster, "
              f"{b['peak_tree_rss'] / a['peak_tree_rss']:.1f}x less peak memory; "
              f"same results: {same}")
        ok &= same
    r = results["reader"]
    meets = r["wall_seconds"] <= TARGET_SECONDS and r["peak_tree_rss"] <= TARGET_BYTES
    print(f"target (<= {TARGET_SECONDS:.0f} s, <= {gib(TARGET_BYTES)}): "
          f"{'met' if meets else 'MISSED'} "
          f"({r['wall_seconds']:.1f} s, {gib(r['peak_tree_rss'])})")
    ok &= meets
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0 if ok or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())
