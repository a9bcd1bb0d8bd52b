"""Benchmark: reading the newer publications with their readers against plain pandas.

For each publication of ``../shared/data/real`` read beside the panel, in a fresh child
process each:

* ``reader``: the workbench reader a build calls (its checks included: totals that must
  agree, suppression marks, reading limits, periods);
* ``pandas``: the obvious plain-pandas read of the same files (``pd.read_csv`` of every
  column, or ``pd.read_excel`` of the sheets the reader uses with pandas' default engine:
  openpyxl for .xlsx; odf for .ods, or python-calamine where odfpy is not installed), no
  checks.

=====================  ==========================================================  =========
publication            files                                                       reader
=====================  ==========================================================  =========
KO41a complaints       ko41a_2024_25.zip (organisation and site CSVs)              complaints_ko41a.read
KO41b complaints       the same zip (practice and sub-ICB CSVs)                     complaints_ko41b.read
sickness absence       12 monthly CSVs                                              sickness_absence.read_many
inpatient survey       Adult-Inpatient-Survey-2022.ods (scores, respondents, ...)   inpatient_survey.read_all
KH03 beds              available and occupied CSVs                                  kh03.read (each)
FFT summary            ftt-summary-apr-26.xlsx                                       fft_summary.read
FFT rolling totals     Monthly_Rolling_Totals.xlsx                                  fft_rolling.read
Oversight Framework    metrics and league-table CSVs                                oversight_framework.read
=====================  ==========================================================  =========

Wall time is timed around the child; CPU time is the child's user + system time with its
start and imports left out (the imports are made before the clock starts); peak memory is
the child's largest resident set (sampled every 20 ms, and ``getrusage``), shown beside
the floor of a child that only imports (``imports``). The ratio reader / pandas is
printed for each.

Targets (2 cores), those of the ingest benchmark (``benchmarks/ingest_rtt.py``: a year of
RTT extracts in at most 20 s and 1.5 GiB): all the new publications together read in at
most 20 s of CPU, each reader within 1.5 GiB peak and within 2 s of CPU (or 3x plain
pandas' CPU time where pandas itself needs more than 2/3 s). The readers do more than
pandas (the checks), so on these small files the ratio is large while the time is small:
it is printed, and the absolute targets are what a build's time rests on.

Usage::

    .venv/bin/python benchmarks/ingest_new_publications.py
    .venv/bin/python benchmarks/ingest_new_publications.py --only kh03 --strict
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
import zipfile
from pathlib import Path

from child_process import run_child

REPO = Path(__file__).resolve().parents[1]
REAL = REPO.parent / "shared" / "data" / "real"
TARGET_TOTAL_CPU = 20.0
TARGET_BYTES = 1.5 * 2**30
TARGET_RATIO = 3.0
TARGET_SMALL = 2.0

#: publication -> (folder, file patterns)
FILES = {
    "ko41a": ("complaints_ko41a_2024_25", ["ko41a_*.zip"]),
    "ko41b": ("complaints_ko41a_2024_25", ["ko41a_*.zip"]),
    "sickness_absence": ("nhs_sickness_absence_monthly", ["nhs_sickness_absence_20*.csv"]),
    "inpatient_survey": ("adult_inpatient_survey_2022_trust", ["*.ods"]),
    "kh03": ("kh03_beds_overnight", ["KH03-*.csv"]),
    "fft_summary": ("fft_national_summary", ["*summary*.xlsx"]),
    "fft_rolling": ("fft_national_rolling", ["Monthly_Rolling_Totals.xlsx"]),
    "oversight_framework": ("nhs_oversight_framework_mh_community", ["nof-*.csv"]),
}


def files_of(name: str, root: Path) -> list[Path]:
    folder, patterns = FILES[name]
    return sorted(p for pat in patterns for p in (root / folder).glob(pat))


# --- the two ways of reading (inside a child) -----------------------------------------------

def _rows(obj) -> int:
    import pandas as pd

    if isinstance(obj, pd.DataFrame):
        return len(obj)
    if isinstance(obj, dict):
        return sum(_rows(v) for v in obj.values())
    if isinstance(obj, list | tuple):
        return sum(_rows(v) for v in obj)
    frames = [v for v in vars(obj).values() if isinstance(v, pd.DataFrame)] \
        if hasattr(obj, "__dict__") else []
    return sum(len(f) for f in frames)


def read_with_reader(name: str, paths: list[str]) -> int:
    from workbench.data.sources import (
        complaints_ko41a,
        complaints_ko41b,
        fft_rolling,
        fft_summary,
        inpatient_survey,
        kh03,
        oversight_framework,
        sickness_absence,
    )

    if name == "ko41a":
        return _rows(complaints_ko41a.read(paths[0]))
    if name == "ko41b":
        return _rows(complaints_ko41b.read(paths[0]))
    if name == "sickness_absence":
        return _rows(sickness_absence.read_many(paths))
    if name == "inpatient_survey":
        return _rows(inpatient_survey.read_all(paths[0]))
    if name == "kh03":
        return sum(_rows(kh03.read(p)) for p in paths)
    if name == "fft_summary":
        return _rows(fft_summary.read(paths[0]))
    if name == "fft_rolling":
        return _rows(fft_rolling.read(paths[0]))
    if name == "oversight_framework":
        return sum(_rows(oversight_framework.read(p)) for p in paths)
    raise SystemExit(f"unknown publication {name!r}")


def _zip_members(path: str, label: str) -> list:
    import pandas as pd

    out = []
    with zipfile.ZipFile(path) as z:
        for member in z.namelist():
            if label in member and member.endswith(".csv"):
                out.append(pd.read_csv(z.open(member), encoding="latin-1"))
    return out


def read_with_pandas(name: str, paths: list[str]) -> int:
    import pandas as pd

    if name == "ko41a":
        return _rows(_zip_members(paths[0], "KO41a"))
    if name == "ko41b":
        return _rows(_zip_members(paths[0], "KO41b"))
    if name in ("sickness_absence", "kh03", "oversight_framework"):
        return _rows([pd.read_csv(p) for p in paths])
    if name == "inpatient_survey":
        from workbench.data.sources import inpatient_survey as s

        sheets = [s.SCORES, s.RESPONDENTS, s.KEY, *s.HISTORY]
        try:
            book = pd.ExcelFile(paths[0])
        except ImportError:  # odfpy, pandas' default for .ods, is not installed
            book = pd.ExcelFile(paths[0], engine="calamine")
        return _rows(pd.read_excel(book, sheet_name=[x for x in sheets
                                                     if x in book.sheet_names]))
    if name == "fft_summary":
        return _rows(pd.read_excel(paths[0], sheet_name=None))
    if name == "fft_rolling":
        return _rows(pd.read_excel(paths[0], sheet_name="IP"))
    raise SystemExit(f"unknown publication {name!r}")


def child_main(variant: str, name: str, paths: list[str]) -> None:
    sys.path.insert(0, str(REPO))
    import numpy  # noqa: F401  (imports are not timed as reading)
    import pandas  # noqa: F401
    import pyarrow  # noqa: F401

    import workbench.data.sources.common  # noqa: F401

    t0, c0 = time.perf_counter(), time.process_time()
    rows = 0
    if variant == "reader":
        rows = read_with_reader(name, paths)
    elif variant == "pandas":
        rows = read_with_pandas(name, paths)
    out = {"rows": rows, "inner_seconds": time.perf_counter() - t0,
           "cpu_seconds": time.process_time() - c0}
    hwm = []
    if Path("/proc/self/status").exists():
        with open("/proc/self/status") as fh:
            hwm = [ln for ln in fh if ln.startswith("VmHWM:")]
    out["self_max_rss"] = (int(hwm[0].split()[1]) * 1024 if hwm
                           else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    print(json.dumps(out))


# --- the parent ---------------------------------------------------------------------------------

def measure(variant: str, name: str, paths: list[Path]) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", variant, "--name", name,
           *map(str, paths)]
    result, wall, peak = run_child(cmd, f"{variant} {name}", cwd=REPO)
    result["wall_seconds"] = wall
    result["peak_rss"] = max(peak, result["self_max_rss"])
    return result


def gib(n: float) -> str:
    return f"{n / 2**30:.2f} GiB"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", help=argparse.SUPPRESS)
    ap.add_argument("--child", choices=["reader", "pandas", "imports"], help=argparse.SUPPRESS)
    ap.add_argument("--name", help=argparse.SUPPRESS)
    ap.add_argument("--root", type=Path, default=REAL, help="the folder of published files")
    ap.add_argument("--only", action="append", choices=sorted(FILES),
                    help="measure this publication only (repeat for several)")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)

    if args.child:
        child_main(args.child, args.name or "", args.files)
        return 0
    names = args.only or list(FILES)
    missing = [n for n in names if not files_of(n, args.root)]
    if missing:
        print(f"files not found under {args.root} for: {', '.join(missing)}", file=sys.stderr)
        return 2
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPU(s)")
    floor = measure("imports", "none", [])
    results = {}
    for name in names:
        paths = files_of(name, args.root)
        size = sum(p.stat().st_size for p in paths) / 2**20
        results[name] = {"files": len(paths), "mib": size,
                         "reader": measure("reader", name, paths),
                         "pandas": measure("pandas", name, paths)}
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    print(f"a child that only imports: {gib(floor['peak_rss'])} resident\n")
    head = (f"{'publication':<20}{'files':>6}{'MiB':>6}{'rows':>9}{'reader cpu':>12}"
            f"{'pandas cpu':>12}{'ratio':>7}{'reader wall':>13}{'reader peak':>13}"
            f"{'pandas peak':>13}{'ratio':>7}")
    print(head)
    ok = True
    total_cpu = 0.0
    for name, r in results.items():
        a, b = r["reader"], r["pandas"]
        total_cpu += a["cpu_seconds"]
        ratio = a["cpu_seconds"] / max(b["cpu_seconds"], 1e-3)
        mem = a["peak_rss"] / max(b["peak_rss"], 1)
        r["cpu_ratio"], r["peak_ratio"] = ratio, mem
        fine = (ratio <= TARGET_RATIO or a["cpu_seconds"] <= TARGET_SMALL) \
            and a["peak_rss"] <= TARGET_BYTES
        ok &= fine
        print(f"{name:<20}{r['files']:>6}{r['mib']:>6.1f}{a['rows']:>9}"
              f"{a['cpu_seconds']:>11.2f}s{b['cpu_seconds']:>11.2f}s{ratio:>6.1f}x"
              f"{a['wall_seconds']:>12.1f}s{gib(a['peak_rss']):>13}{gib(b['peak_rss']):>13}"
              f"{mem:>6.1f}x{'' if fine else '  MISSED'}")
    meets = total_cpu <= TARGET_TOTAL_CPU
    ok &= meets
    print(f"\nall readers together: {total_cpu:.1f} s CPU (target <= {TARGET_TOTAL_CPU:.0f} s): "
          f"{'met' if meets else 'MISSED'}; each reader <= {TARGET_RATIO:.0f}x pandas' CPU or "
          f"<= {TARGET_SMALL:.0f} s, and <= {gib(TARGET_BYTES)} peak: "
          f"{'met' if ok else 'MISSED'}")
    print("ratio: reader / pandas (CPU, peak memory). The readers check what pandas does not: "
          "totals that must agree, suppression marks, spreadsheet-mangled codes, periods, the "
          "reading limits; workbooks are read with python-calamine, pandas with its default "
          "engine (openpyxl for .xlsx; odf for .ods, or python-calamine where odfpy is not installed).")
    if args.json:
        args.json.write_text(json.dumps({"imports": floor, **results}, indent=2))
    return 0 if ok or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())
