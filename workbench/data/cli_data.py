"""The ``workbench data`` subcommands: ``fetch`` official files and ``build`` the panel.

::

    workbench data fetch ae --period 2025-06 [--dest data/raw] [--max-bytes 2G] [--refresh]
    workbench data build [--from data/raw] [--out data/processed/panel.parquet | FOLDER]
                         [--name NAME] [--allow-incomplete] [--prefer SOURCE ...]
    workbench data example-wards [--out data/raw/wards.csv] [--seed N]
    workbench data check wards.csv --declaration wards.yaml

The main command (:mod:`workbench.cli`) calls :func:`add_parser`; each subcommand's function
takes the parsed arguments, prints what it did and returns the exit status.

>>> import argparse
>>> parser = argparse.ArgumentParser(prog="workbench")
>>> sub = parser.add_subparsers(dest="command")
>>> _ = add_parser(sub)
>>> args = parser.parse_args(["data", "fetch", "ae", "--period", "2025-06"])
>>> args.source, args.period, args.func.__name__
('ae', '2025-06', 'cmd_fetch')

Building the parser imports no pandas (the panel's modules load when ``build`` runs), so
``workbench run`` starts without it; the default output is the panel builder's:

>>> from workbench.data.panel_outputs import DEFAULT_OUT as BUILD_DEFAULT
>>> DEFAULT_OUT == BUILD_DEFAULT
True
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from workbench.data.fetch import CATALOGUE, DEFAULT_MAX_BYTES

#: ``workbench data build``'s default ``--out``: :data:`workbench.data.panel_outputs.DEFAULT_OUT`
#: (not imported from there: that module imports pandas).
DEFAULT_OUT = Path("data/processed/panel.parquet")


def _month(text: str) -> str:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text.strip()):
        raise argparse.ArgumentTypeError(f"expected a month as YYYY-MM, got {text!r}")
    return text.strip()


def _size(text: str) -> int:
    """A byte count: a whole number, optionally with K, M or G (powers of 1024)."""
    m = re.fullmatch(r"\s*(\d+)\s*([KMG]?)(?:i?B)?\s*", text, flags=re.IGNORECASE)
    value = int(m.group(1)) * 1024 ** "_KMG".index(m.group(2).upper() or "_") if m else 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a size in bytes >= 1 such as 500M or 2G, "
                                         f"got {text!r}")
    return value


def cmd_fetch(args: argparse.Namespace) -> int:
    """Download one publication; print where it went."""
    from workbench.data.fetch import fetch, sidecar

    path = fetch(args.source, args.period, dest=args.dest, retries=args.retries,
                 force=args.force, refresh=args.refresh, max_bytes=args.max_bytes)
    record = sidecar(path)
    print(f"{args.source}: {path}" + (f" (sha256 recorded in {record.name})"
                                      if record.exists() else ""))
    return 0


def progress_line(line: str) -> None:
    """Print one line of a build's progress to stderr (the summary goes to stdout)."""
    import sys

    print(line, file=sys.stderr, flush=True)


def cmd_build(args: argparse.Namespace) -> int:
    """Build the panel from a folder of official files; print its progress (stderr), its
    coverage, every file not read grouped by publication, every warning (grouped by file)
    and where the outputs went. With ``--name NAME`` the outputs go to
    ``data/processed/panels/NAME/``, sealed with the sha256 of every file, for studies to
    use as ``data: {panel: NAME}`` (:mod:`workbench.data.named_panels`). An incomplete
    file fails the build (exit status 2) unless ``--allow-incomplete`` is given.
    """
    import sys

    from workbench.data import named_panels
    from workbench.data.panel import build
    from workbench.errors import ConflictingValuesError, NamedPanelError, SourceIncompleteError

    name = getattr(args, "name", None)
    out = args.out
    if name:
        try:
            folder = named_panels.folder_of(name)
        except NamedPanelError as exc:
            print(f"workbench: --name: {exc}", file=sys.stderr)
            return 2
        if out != DEFAULT_OUT:
            print("workbench: give either --name or --out: a named panel is written to "
                  f"{folder}", file=sys.stderr)
            return 2
        folder.mkdir(parents=True, exist_ok=True)
        named_panels.unseal(folder)  # a build stopped half-way is never taken as complete
        out = folder / named_panels.PANEL_FILE
    try:
        result = build(args.from_folder, out=out, gp_sector=args.gp_sector,
                       allow_incomplete=args.allow_incomplete, precedence=args.prefer,
                       progress=progress_line)
    except SourceIncompleteError as exc:
        print(f"workbench: {exc}\nNothing was written. To build from the incomplete file "
              "anyway (with a warning), add --allow-incomplete.", file=sys.stderr)
        return 2
    except ConflictingValuesError as exc:
        print(f"workbench: {exc}\nNothing was written.", file=sys.stderr)
        return 2
    print(result.summary())
    if result.warnings:
        print(result.warnings_text())
    print(f"Wrote {result.panel_path}, {result.coverage_path.name} and "
          f"{result.provenance_path.name}")
    if name:
        record = named_panels.seal(out.parent, name,
                                   made_by=f"a build of the published files in "
                                           f"{Path(args.from_folder).resolve()}")
        print(f"Named panel {name!r}: {len(record['files'])} files sealed with their sha256 "
              f"in {out.parent / named_panels.SEAL_FILE}; a study uses it as "
              f"data: {{panel: {name}}}")
    return 0


def cmd_example_wards(args: argparse.Namespace) -> int:
    """Write the synthetic example ward table, its declaration and its truth; print where."""
    from workbench.data.example_wards import generate_wards

    paths = generate_wards(seed=args.seed).write(args.out)
    print(f"Wrote {paths[0]} (synthetic example: 20 wards x 24 months), its declaration "
          f"{paths[1].name} and the true effects built in, {paths[2].name}.\n"
          f"Check it: workbench data check {paths[0]} --declaration {paths[1]}\n"
          "Run the notebooks on it: workbench run studies/wards_example.yaml")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Read a table of the user's own through its declaration; print what it holds, or
    every broken rule (exit status 2).
    """
    import sys

    from workbench.data.declared import read_table
    from workbench.errors import WorkbenchError

    try:
        table = read_table(args.table, args.declaration)
    except WorkbenchError as exc:
        print(f"workbench: {exc}", file=sys.stderr)
        return 2
    print(table)
    return 0


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add ``data`` with its ``fetch``, ``build``, ``example-wards`` and ``check``
    subcommands to ``subparsers``.
    """
    data = subparsers.add_parser(
        "data", help="fetch official NHS files and build the real-data panel",
        description="Download official publications into data/raw/<source>/ and join "
                    "whichever are present into the provider x month panel.")
    sub = data.add_subparsers(dest="data_command",
                              metavar="{fetch,build,example-wards,check}")
    data.set_defaults(func=lambda args: (data.print_help(), 2)[1])

    f = sub.add_parser(
        "fetch", help="download one publication for one month",
        description="Download SOURCE for a month into DEST/SOURCE/ with retries, recording "
                    "its sha256 beside it. Only https from the publisher's hosts; a download "
                    "whose sha256 differs from the recorded one is refused (--refresh accepts "
                    "it); set WORKBENCH_CA_FILE to a PEM file of certificates to trust "
                    "instead of the system's. Offline or blocked, the message gives the URL to "
                    "download by hand and the folder to save it in. Sources: "
                    + "; ".join(f"{k} ({e.description})" for k, e in CATALOGUE.items()))
    f.add_argument("source", choices=list(CATALOGUE), help="publication to download")
    f.add_argument("--period", type=_month, default=None,
                   help="month YYYY-MM (not needed for ods)")
    f.add_argument("--dest", type=Path, default=Path("data/raw"),
                   help="folder for downloads (default: data/raw)")
    f.add_argument("--retries", type=int, default=3, help="retries on transient failures")
    f.add_argument("--force", action="store_true",
                   help="download again even if present (it must still match the recorded "
                        "sha256)")
    f.add_argument("--refresh", action="store_true",
                   help="download again and accept a new sha256 (the publisher republished "
                        "the file under the same name)")
    f.add_argument("--max-bytes", type=_size, default=DEFAULT_MAX_BYTES, metavar="SIZE",
                   help="refuse larger downloads, e.g. 500M or 4G (default: 2G)")
    f.set_defaults(func=cmd_fetch)

    b = sub.add_parser(
        "build", help="join the official files present into the panel",
        description="Find every official file under FOLDER, read each with its reader, join "
                    "them on provider code and month, validate, and write the panel (parquet), "
                    "its coverage table (CSV) and the provenance of every input (JSON).")
    b.add_argument("--from", dest="from_folder", type=Path, default=Path("data/raw"),
                   help="folder of official files (default: data/raw)")
    b.add_argument("--out", type=Path, default=DEFAULT_OUT,
                   help="a folder (panel.parquet, panel.coverage.csv and panel.provenance.json "
                        "inside it) or a panel file ending in .parquet (NAME.coverage.csv and "
                        f"NAME.provenance.json beside it); default: {DEFAULT_OUT}")
    b.add_argument("--name", default=None, metavar="NAME",
                   help="keep the build as a named panel in data/processed/panels/NAME/ "
                        "(or $WORKBENCH_PANELS/NAME/), sealed with the sha256 of every "
                        "file, for several studies to use as data: {panel: NAME}")
    b.add_argument("--allow-incomplete", action="store_true",
                   help="read files whose totals are missing or disagree, or whose rows stop "
                        "short, with a warning instead of failing the build")
    b.add_argument("--prefer", action="append", default=[], metavar="SOURCE",
                   help="when two files give the same provider, month and measure different "
                        "values, keep the one from SOURCE (a publication kind such as "
                        "ae_workbook, or a file name); repeat for an order of precedence. "
                        "Without it such a conflict stops the build")
    b.add_argument("--gp-sector", choices=["nhs", "independent"], default="nhs",
                   help="sector given to providers the CQC records as GP practices "
                        "(default: nhs)")
    b.set_defaults(func=cmd_build)

    e = sub.add_parser(
        "example-wards", help="write a synthetic example of a trust's own ward data",
        description="Write a synthetic table of 20 wards x 24 months (registered nurse fill "
                    "rate, care hours per patient day, FFT responses and positive responses, "
                    "complaints, occupied bed days) with effects known in advance, its "
                    "declaration (NAME.yaml) and those effects (NAME.truth.json) beside it. "
                    "See docs/your_own_data.md.")
    e.add_argument("--out", type=Path, default=Path("data/raw/wards.csv"),
                   help="the table to write: .csv, .xlsx or .parquet (default: "
                        "data/raw/wards.csv)")
    e.add_argument("--seed", type=int, default=173,
                   help="seed (same seed, same table; default: 173, the example's own)")
    e.set_defaults(func=cmd_example_wards)

    c = sub.add_parser(
        "check", help="read a table of your own through its declaration and say what it holds",
        description="Read TABLE (CSV, Excel or parquet) through its declaration (YAML: the "
                    "unit, the period, the groups and each measure), apply the checks a study "
                    "applies (types, ranges, whole counts, one row per unit and period, gaps) "
                    "and print what it holds, or every problem with its rows, column and rule.")
    c.add_argument("table", type=Path, help="the table: CSV, Excel (.xlsx) or parquet")
    c.add_argument("--declaration", type=Path, required=True,
                   help="the YAML file saying what the table's columns hold")
    c.set_defaults(func=cmd_check)
    return data
