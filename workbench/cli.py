"""The ``workbench`` command.

::

    workbench run studies/default.yaml [--out outputs] [--workers N] [--timeout SECONDS]
                  [--retries N] [--force] [--dry-run] [--max-runs N]
                  [--executor local|dask [--dashboard]
                  [--scheduler tls://HOST:PORT --tls-ca-file CA --tls-cert CERT
                  --tls-key KEY] [--insecure]]
                  [--executor slurm [--slurm-partition P] [--slurm-account A]
                  [--slurm-walltime T] [--slurm-memory M] [--slurm-cores N]
                  [--slurm-interface IFACE] [--slurm-assume-shared]]
    workbench params notebooks/02_staffing_waits_satisfaction.ipynb
    workbench lab [--port N] [--no-browser] [-- JUPYTER_ARGS...]
    workbench export outputs/default --pdf [--docx] [--out FILE] [--runs ID ...]
    workbench data ...        (when workbench.data.cli_data is installed)

Each subcommand is added by a small ``add_*_parser(subparsers)`` function that
sets ``func`` on its parser, so other modules can add theirs the same way
(``workbench.data.cli_data.add_parser``).
Errors the workbench raises on purpose are printed as one message (exit
status 2); a study with failed runs exits with status 1.

>>> main(["params", "no/such.ipynb"])       # doctest: +SKIP
workbench: no/such.ipynb: notebook file not found
2
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
import warnings
from pathlib import Path

from workbench.errors import WorkbenchError

#: Modules that may add subcommands through ``add_parser(subparsers)``, when present.
PLUGIN_MODULES = ("workbench.data.cli_data",)


DASK_OPTIONS = {"scheduler": "--scheduler", "tls_ca_file": "--tls-ca-file",
                "tls_cert": "--tls-cert", "tls_key": "--tls-key", "insecure": "--insecure",
                "dashboard": "--dashboard"}


def _dask_options(args: argparse.Namespace) -> dict:
    """The Dask executor's keywords from ``workbench run``'s options, checked (an open
    cluster refused, ``--insecure`` warned about) before any data are made.
    """
    given = {k: getattr(args, k) for k in DASK_OPTIONS if getattr(args, k) not in (None, False)}
    if args.executor != "dask":
        if given:
            raise WorkbenchError(f"{', '.join(DASK_OPTIONS[k] for k in given)} only apply to "
                                 f"--executor dask (got --executor {args.executor})")
        return {}
    from workbench.batch.executors.dask_cluster import DaskExecutor
    from workbench.batch.executors.dask_security import InsecureClusterWarning

    options = {k: v for k, v in given.items() if k != "scheduler"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", InsecureClusterWarning)
        DaskExecutor(scheduler=args.scheduler, **options)  # raises ClusterSecurityError
    for w in caught:
        if issubclass(w.category, InsecureClusterWarning):
            print(f"workbench: WARNING: {w.message}", file=sys.stderr)
    return options


SLURM_OPTIONS = {"slurm_partition": "--slurm-partition", "slurm_account": "--slurm-account",
                 "slurm_walltime": "--slurm-walltime", "slurm_memory": "--slurm-memory",
                 "slurm_cores": "--slurm-cores", "slurm_interface": "--slurm-interface",
                 "slurm_assume_shared": "--slurm-assume-shared"}


def _slurm_options(args: argparse.Namespace) -> dict:
    """The Slurm executor's keywords from ``workbench run``'s options, checked (dask-jobqueue
    and sbatch present, the output folder shared with the nodes) before any data are made.
    """
    given = {k: getattr(args, k) for k in SLURM_OPTIONS if getattr(args, k) not in (None, False)}
    if args.executor != "slurm":
        if given:
            raise WorkbenchError(f"{', '.join(SLURM_OPTIONS[k] for k in given)} only apply "
                                 f"to --executor slurm (got --executor {args.executor})")
        return {}
    from workbench.batch.executors.slurm import SlurmExecutor

    options = {k.removeprefix("slurm_"): v for k, v in given.items()}
    options["preload"] = not args.no_preload  # each Slurm worker starts its own launcher
    SlurmExecutor(workers=args.workers or 1, shared_dir=args.out, **options)  # raises
    return options


def _cmd_run(args: argparse.Namespace) -> int:
    from workbench.batch.lean_imports import leave_out_rfc3987_syntax

    leave_out_rfc3987_syntax()  # before anything imports jsonschema: about 2.5 s saved
    launcher = None
    if not args.dry_run and not args.no_preload and args.executor != "slurm" and \
            Path(args.study).is_file():
        from workbench.batch.launcher import Launcher

        # the kernel launcher imports its modules while this process imports the runner
        # and checks the study; the runner closes it if every run comes from cache
        launcher = Launcher.spawn()
    try:
        return _run_study_command(args, launcher)
    finally:
        if launcher is not None:
            launcher.close()  # already closed by the runner, unless it failed first


def _run_study_command(args: argparse.Namespace, launcher) -> int:
    from workbench.batch.plan import plan_study
    from workbench.batch.runner import run_study
    from workbench.batch.study import MAX_RUNS

    max_runs = args.max_runs or MAX_RUNS
    if args.dry_run:
        print(plan_study(args.study, max_runs=max_runs, out=args.out))
        return 0
    executor_options = {**_dask_options(args), **_slurm_options(args)}
    workers, preload = args.workers, not args.no_preload
    if args.executor == "slurm":
        from workbench.batch.executors.slurm import DEFAULT_JOBS

        workers = workers or DEFAULT_JOBS  # Slurm jobs, not this machine's cores
        preload = False  # no kernel runs here: each Slurm worker has its own launcher
    try:
        with warnings.catch_warnings():
            if args.insecure:  # already printed once, above
                from workbench.batch.executors.dask_security import InsecureClusterWarning

                warnings.simplefilter("ignore", InsecureClusterWarning)
            result = run_study(args.study, out=args.out, workers=workers,
                               executor=args.executor, progress=not args.no_progress,
                               timeout=args.timeout, retries=args.retries, force=args.force,
                               scheduler=args.scheduler, preload=preload,
                               executor_options=executor_options or None, max_runs=max_runs,
                               launcher=launcher)
    except KeyboardInterrupt:
        print("workbench: interrupted; kernels stopped, unfinished runs removed (completed "
              "runs are kept and reused by the next run)", file=sys.stderr)
        return 130
    print(result.summary())
    return result.exit_code


def _cmd_params(args: argparse.Namespace) -> int:
    from workbench.batch.lean_imports import leave_out_rfc3987_syntax

    leave_out_rfc3987_syntax()  # before nbformat imports jsonschema
    from workbench.batch.params import describe_parameters, read_parameters

    declared = read_parameters(args.notebook)
    print(f"Parameters of {args.notebook}:")
    print(describe_parameters(declared))
    return 0


def _cmd_lab(args: argparse.Namespace) -> int:
    from workbench.lab import start_lab

    extra = list(args.jupyter_args)
    if extra[:1] == ["--"]:
        extra = extra[1:]
    return start_lab(port=args.port, open_browser=not args.no_browser, extra=extra)


def _cmd_export(args: argparse.Namespace) -> int:
    from workbench.report.export import FORMATS, export_pack

    formats = [f for f in FORMATS if getattr(args, f)]
    if not formats and args.out is not None and args.out.suffix.lower().lstrip(".") in FORMATS:
        formats = [args.out.suffix.lower().lstrip(".")]
    if not formats:
        raise WorkbenchError("export: say which document to write: --pdf, --docx or both "
                             "(or --out FILE ending .pdf or .docx)")
    if args.out is not None and len(formats) > 1:
        raise WorkbenchError(f"--out {args.out} names one file; expected one of --pdf and "
                             "--docx with it (or no --out: each is written beside index.html)")
    for fmt in formats:
        path = export_pack(args.study_output, fmt, out=args.out, runs=args.runs,
                           progress=not args.no_progress)
        print(f"Board pack ({fmt.upper()}): {path}")
    return 0


def _number(kind: type, minimum: float, what: str, inclusive: bool = True):
    """An argparse type: a number of ``kind`` at least (or above) ``minimum``."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if value < minimum or (not inclusive and value == minimum):
            sign = ">=" if inclusive else ">"
            raise argparse.ArgumentTypeError(f"expected {what} {sign} {minimum}, got {text}")
        return value
    return parse


_positive_int = _number(int, 1, "a whole number")
_seconds = _number(float, 0, "a number of seconds", inclusive=False)
_whole = _number(int, 0, "a whole number")


def add_run_parser(subparsers) -> argparse.ArgumentParser:
    """``workbench run STUDY [--out DIR] [--workers N]``."""
    p = subparsers.add_parser(
        "run", help="run every notebook of a study file and write outputs/<study>/",
        description="Check every run's parameters, make the study's data, execute each "
                    "notebook in a fresh kernel, and write reports, manifests, index.html and "
                    "findings.csv under OUT/<study>/. Exit status 1 when any run failed.")
    p.add_argument("study", type=Path, help="study file (YAML), e.g. studies/default.yaml")
    p.add_argument("--out", type=Path, default=Path("outputs"),
                   help="folder for outputs (default: outputs/)")
    p.add_argument("--workers", type=_positive_int, default=None,
                   help="runs executed at the same time (default: the number of cores); "
                        "for --executor slurm, the number of Slurm jobs (default: 4)")
    p.add_argument("--executor", default="local",
                   help="where runs execute: local, dask or slurm (default: local)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="Dask scheduler address for --executor dask, tls://HOST:PORT "
                        "(default: a local cluster of --workers processes, TLS on 127.0.0.1)")
    p.add_argument("--tls-ca-file", default=None, metavar="FILE",
                   help="CA certificate (PEM) that signed the remote scheduler's certificate "
                        "(default: the Dask config's distributed.comm.tls.ca-file)")
    p.add_argument("--tls-cert", default=None, metavar="FILE",
                   help="this user's certificate (PEM) for the remote scheduler (default: "
                        "distributed.comm.tls.client.cert)")
    p.add_argument("--tls-key", default=None, metavar="FILE",
                   help="the key (PEM) of --tls-cert, unless inside that file (default: "
                        "distributed.comm.tls.client.key)")
    p.add_argument("--insecure", action="store_true",
                   help="allow a tcp:// scheduler without TLS: anyone who can reach it can "
                        "run code as its workers' users")
    p.add_argument("--dashboard", action="store_true",
                   help="serve the local Dask cluster's dashboard on 127.0.0.1:8787 (plain "
                        "HTTP, readable by every user of this machine; default: none)")
    slurm = p.add_argument_group(
        "Slurm", "for --executor slurm: Dask workers as Slurm jobs (dask-jobqueue); --out, "
                 "the project and its Python must be on a filesystem every node sees "
                 "(docs/batch.md, Slurm)")
    slurm.add_argument("--slurm-partition", "--slurm-queue", dest="slurm_partition",
                       default=None, metavar="PARTITION",
                       help="partition of the worker jobs, sbatch -p (default: the "
                            "cluster's default partition)")
    slurm.add_argument("--slurm-account", default=None, metavar="ACCOUNT",
                       help="account charged for the jobs, sbatch -A (default: yours)")
    slurm.add_argument("--slurm-walltime", default=None, metavar="TIME",
                       help="time limit of each job, sbatch -t, e.g. 01:00:00 or 2-00:00:00 "
                            "(default: 01:00:00); it must cover the job's share of the runs")
    slurm.add_argument("--slurm-memory", default=None, metavar="SIZE",
                       help="memory of each job, sbatch --mem, e.g. 8GB (default: 4GB)")
    slurm.add_argument("--slurm-cores", type=_positive_int, default=None, metavar="N",
                       help="CPUs of each job, sbatch --cpus-per-task; each job runs up to N "
                            "runs at once (default: 1)")
    slurm.add_argument("--slurm-interface", default=None, metavar="IFACE",
                       help="network interface (e.g. ib0, eth1) the scheduler here and the "
                            "workers listen on (default: the scheduler listens on this "
                            "machine's address towards the Slurm controller)")
    slurm.add_argument("--slurm-assume-shared", action="store_true",
                       help="accept --out although its filesystem type is not a known "
                            "shared one (the nodes must see it at the same path)")
    p.add_argument("--timeout", type=_seconds, default=None, metavar="SECONDS",
                   help="wall-clock limit of each run (a run's own 'timeout' in the study "
                        "wins; default: none)")
    p.add_argument("--retries", type=_whole, default=0, metavar="N",
                   help="re-attempt a run up to N times when its kernel died (never for "
                        "errors in the analysis; default: 0)")
    p.add_argument("--force", action="store_true",
                   help="run every notebook again, even when an identical run is cached")
    p.add_argument("--no-preload", action="store_true",
                   help="start each kernel as a new Python instead of forking it from the "
                        "preloaded launcher (slower; for debugging)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.add_argument("--dry-run", action="store_true",
                   help="check the study and list its runs (run id, notebook, parameters; "
                        "the first and last few of a big study, and the total; a note for "
                        "each run renamed because its id is a name the study uses for its "
                        "own files) and the output folder, without running or writing "
                        "anything")
    p.add_argument("--max-runs", type=_positive_int, default=None, metavar="N",
                   help="refuse a study of more than N runs, counted before its grids are "
                        "expanded (default: 10000)")
    p.set_defaults(func=_cmd_run)
    return p


def add_params_parser(subparsers) -> argparse.ArgumentParser:
    """``workbench params NOTEBOOK``."""
    p = subparsers.add_parser(
        "params", help="list the parameters a notebook declares",
        description="Print each parameter of the notebook's parameters cell: name, type, "
                    "default and help text (the comment after it).")
    p.add_argument("notebook", type=Path, help="a .ipynb file")
    p.set_defaults(func=_cmd_params)
    return p


def add_lab_parser(subparsers) -> argparse.ArgumentParser:
    """``workbench lab [--port N] [--no-browser] [-- JUPYTER_ARGS...]``."""
    p = subparsers.add_parser(
        "lab", help="start JupyterLab on notebooks/ with the workbench kernel",
        description="Install the 'workbench' Jupyter kernel when missing, then start "
                    "JupyterLab from this environment with the project as its root folder and "
                    "notebooks/ open. Stop it with Ctrl-C. Arguments after `--` are passed "
                    "on to JupyterLab (e.g. `workbench lab -- --ServerApp.ip=0.0.0.0`).")
    p.add_argument("--port", type=_positive_int, default=None,
                   help="port to listen on (default: JupyterLab's, 8888 or the next free one)")
    p.add_argument("--no-browser", action="store_true",
                   help="do not open a web browser; print the URL to open instead")
    p.add_argument("jupyter_args", nargs=argparse.REMAINDER,
                   help="after --: further arguments for JupyterLab")
    p.set_defaults(func=_cmd_lab)
    return p


def add_export_parser(subparsers) -> argparse.ArgumentParser:
    """``workbench export STUDY_OUTPUT --pdf|--docx [--out FILE] [--runs ID ...]``."""
    p = subparsers.add_parser(
        "export", help="a board pack: the study's summary and its reports as one PDF or Word "
                       "document",
        description="Turn a study's published pages (index.html, then each chosen run's "
                    "report.html) into one document with page numbers, headings and a "
                    "description for every figure. Only the sanitised pages are read, so "
                    "the pack shows what they show, under the same disclosure control. "
                    "Written to STUDY_OUTPUT/board_pack.pdf (or .docx) unless --out names "
                    "a file.")
    p.add_argument("study_output", type=Path, metavar="STUDY_OUTPUT",
                   help="a study's output folder, e.g. outputs/default (or its public/ folder)")
    p.add_argument("--pdf", action="store_true", help="write a PDF (WeasyPrint)")
    p.add_argument("--docx", action="store_true", help="write a Word document (python-docx)")
    p.add_argument("--out", type=Path, default=None, metavar="FILE",
                   help="the document to write (default: board_pack.pdf or board_pack.docx "
                        "in the study's output folder)")
    p.add_argument("--runs", nargs="+", default=None, metavar="ID",
                   help="the runs whose reports go in, in this order (default: every run that "
                        "finished ok, in the index's order); each must have finished ok")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=_cmd_export)
    return p


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every available subcommand."""
    parser = argparse.ArgumentParser(
        prog="workbench",
        description="Reproducible research workbench: staffing, waiting times and patient "
                    "satisfaction in NHS and independent providers.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_run_parser(subparsers)
    add_params_parser(subparsers)
    add_lab_parser(subparsers)
    add_export_parser(subparsers)
    for name in PLUGIN_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise  # the module exists but something it imports is missing: show it
            continue  # that subcommand is not installed in this checkout
        module.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``workbench`` command; return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except WorkbenchError as exc:
        print(f"workbench: {exc}", file=sys.stderr)
        return 2


def command() -> None:
    """The ``workbench`` program: :func:`main`, then exit without the garbage collector's
    passes over every object the batch imported (about 0.2 s). Exit handlers still run;
    objects left in reference cycles are not collected, as the process ends anyway (the
    command has closed every file it wrote). Tests call :func:`main` instead.
    """
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    command()
