"""Run one notebook with papermill in a fresh kernel and publish its run folder atomically.


:func:`execute_run` takes a :class:`RunTask` (a plain, picklable value: the run,
where its outputs go, the panel and the facts for the manifest) and returns a
:class:`RunResult`. Everything is written into a hidden folder
``outputs/<study>/.<run_id>.partial`` and renamed to ``outputs/<study>/<run_id>``
only when complete, so a run folder that exists is always whole (the hidden folder's
name carries the runner's process, ``.<run_id>.partial-<pid>-<hex>``, so two runners
never write into one)::

    <run_id>/notebook.ipynb   the executed notebook (with the injected parameters)
             report.html      the notebook without code, for readers
             findings.json    written by the notebook through workbench.session
             figures/         PNG figures written by the notebook
             manifest.json    parameters, hashes, versions, git commit, timings, status, error,
                              and the size and sha256 of every other file (the cache checks them)
             run.log          papermill's log, the cells' output streams, kernel output, traceback

A notebook that raises does not raise here: the run is kept with status
``failed`` and its error (exception name, message, the failing cell's source).

>>> task = RunTask(run=..., out_dir=Path("outputs/default"),
...                panel_path=Path("outputs/default/data/panel.parquet"),
...                data={"kind": "synthetic", "sha256": "..."})       # doctest: +SKIP
>>> execute_run(task).status                                          # doctest: +SKIP
'ok'
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.batch import provenance
from workbench.batch.cache import output_hashes, output_listing
from workbench.batch.params import check_json_parameters
from workbench.batch.study import Run
from workbench.kernelspec import KERNEL_NAME

#: Parameters the runner sets in a run whose notebook declares them; studies never set them.
INJECTED_PARAMETERS = ("panel_path", "output_dir")
NOTEBOOK_FILE = "notebook.ipynb"
REPORT_FILE = "report.html"
FINDINGS_FILE = "findings.json"
MANIFEST_FILE = "manifest.json"
LOG_FILE = "run.log"
FIGURES_DIR = "figures"
PARTIAL_SUFFIX = ".partial"


@dataclass(frozen=True)
class RunTask:
    """Everything needed to execute one run, as a plain value (it pickles).

    ``data`` is the manifest's record of the study data (``kind``, ``options``,
    ``path`` relative to ``out_dir``, ``sha256``); ``git`` holds ``commit`` and
    ``dirty`` of the repository holding the notebook.
    """

    run: Run
    out_dir: Path
    panel_path: Path
    data: dict = field(hash=False)
    study_title: str = ""
    git: dict = field(default_factory=dict, hash=False)
    kernel_name: str = KERNEL_NAME
    start_timeout: int = 120
    #: :class:`~workbench.batch.launcher.LauncherClient` forking preloaded kernels, or None.
    launcher: Any = field(default=None, hash=False)
    #: Wall-clock limit of the whole run in seconds (the run's own ``timeout`` wins).
    timeout: float | None = None
    #: Extra attempts for infrastructure failures (a kernel that died or a launcher gone).
    retries: int = 0
    #: :func:`~workbench.batch.cache.run_cache_key` of the run, written into its manifest.
    cache_key: str | None = None
    #: Parameter names the study marks private (hidden in the report).
    private: tuple[str, ...] = ()
    #: The study's ``disclosure:`` block (small-number suppression in the report).
    disclosure: dict = field(default_factory=dict, hash=False)
    #: Which of :data:`INJECTED_PARAMETERS` the notebook declares (and the runner sets).
    #: Without ``output_dir`` the kernel's working directory is the run folder, so the
    #: files the notebook writes are the run's outputs.
    injected: tuple[str, ...] = INJECTED_PARAMETERS
    #: Names the hidden folder the run is written into (``partial_dir``): the runner
    #: sets one per batch (its pid and a random part); '' means this process's pid.
    partial_tag: str = ""
    #: Why the run executes although its folder held a finished run with the same key
    #: (an output file changed since), written into its log and manifest; '' otherwise.
    rerun_reason: str = ""

    @property
    def wall_timeout(self) -> float | None:
        """The run's wall-clock limit: the study's per-run ``timeout``, else the batch's."""
        own = getattr(self.run, "timeout", None)
        return own if own is not None else self.timeout

    @property
    def final_dir(self) -> Path:
        """Where the run folder appears once complete."""
        return self.out_dir / self.run.run_id

    @property
    def partial_dir(self) -> Path:
        """The hidden folder the run is written into first, named for its writer."""
        tag = self.partial_tag or str(os.getpid())
        return self.out_dir / f".{self.run.run_id}{PARTIAL_SUFFIX}-{tag}"

    @property
    def seed(self) -> Any:
        """The run's seed: a ``seed`` parameter if the study sets one, else the data's seed."""
        if "seed" in self.run.parameters:
            return self.run.parameters["seed"]
        return (self.data.get("options") or {}).get("seed") if self.data.get("kind") == \
            "synthetic" else None


@dataclass(frozen=True)
class RunResult:
    """What happened to one run (a plain value; details are in its manifest)."""

    run_id: str
    position: int
    status: str
    folder: Path
    title: str
    parameters: dict = field(hash=False)
    duration_s: float = 0.0
    error: dict | None = field(default=None, hash=False)
    cached: bool = False
    attempts: int = 1
    notebook: str = ""

    @property
    def ok(self) -> bool:
        """True when the run succeeded, run now or reused (status ``ok``, not ``failed``)."""
        return self.status == "ok"

    @property
    def error_line(self) -> str:
        """The error in one line, e.g. ``ValueError: subset 'x' is unknown`` ('' when ok)."""
        return error_line(self.error)


def error_line(error: dict | None) -> str:
    r"""One line for an error record: ``ename: first line of evalue``.

    >>> error_line({"ename": "KeyError", "evalue": "'x'\nmore"})
    "KeyError: 'x'"
    """
    if not error:
        return ""
    first = (str(error.get("evalue") or "").strip().splitlines() or [""])[0]
    return f"{error.get('ename', 'Error')}: {first}".rstrip(": ")


def _error_from_exception(exc: BaseException) -> dict:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return {"ename": exc.ename, "evalue": str(exc.evalue), "cell_index": exc.cell_index,
                "cell_source": exc.source}
    return {"ename": type(exc).__name__, "evalue": str(exc), "cell_index": None,
            "cell_source": None}


def _traceback_text(exc: BaseException) -> str:
    from papermill.exceptions import PapermillExecutionError, strip_color

    if isinstance(exc, PapermillExecutionError):
        return strip_color("\n".join(exc.traceback))
    return "".join(traceback.format_exception(exc))


def _hidden_paths(task: RunTask) -> dict[str, str]:
    """Absolute paths a report must not show, and what to show instead."""
    paths = {
        str(task.partial_dir.resolve()): ".",
        str(task.final_dir.resolve()): ".",
        str(task.out_dir.resolve()): "..",
        str(task.run.notebook.parent): task.run.notebook.parent.name,
        str(Path.cwd()): ".",
        str(Path.home()): "~",
        sys.prefix: "[python environment]",
    }
    return {k: v for k, v in paths.items() if len(k) > 1}


#: Error kinds in a manifest's ``error.kind``; only ``infrastructure`` is retried.
ERROR_KINDS = ("analysis", "timeout", "infrastructure", "report")


def classify_error(exc: BaseException, timed_out: bool) -> str:
    """``timeout`` when the watchdog stopped the run, ``infrastructure`` when the kernel
    died or could not be reached (retried with ``--retries``), else ``analysis``.

    >>> classify_error(ValueError("x"), timed_out=False)
    'analysis'
    """
    if timed_out:
        return "timeout"
    from nbclient.exceptions import DeadKernelError

    from workbench.batch.launcher import LauncherError

    if isinstance(exc, (DeadKernelError, LauncherError)):
        return "infrastructure"
    if isinstance(exc, RuntimeError) and "kernel" in str(exc).lower() and (
            "died" in str(exc).lower() or "didn't respond" in str(exc).lower()):
        return "infrastructure"  # nbclient's start-up failures
    return "analysis"


def _kernel_exit(started: list) -> str:
    """How the last kernel ended, e.g. ``exit code -9 (SIGKILL)`` ('' when unknown)."""
    import signal as _signal

    for km in reversed(started):
        process = getattr(getattr(km, "provisioner", None), "process", None)
        code = process.poll() if process is not None else None
        if code is None:
            continue
        if code < 0:
            try:
                return f"exit code {code} ({_signal.Signals(-code).name})"
            except ValueError:
                return f"exit code {code}"
        return f"exit code {code}"
    return ""


def _execute_once(task: RunTask, tmp: Path, parameters: dict, log, launcher) -> dict | None:
    """One attempt at executing the notebook into ``tmp``; the error record or None."""
    import papermill

    from workbench.batch.engine import register_engine
    from workbench.batch.kernels import kernel_manager_class, kill_kernel, remove_socket_folders
    from workbench.report.masking import private_env

    engine_name = register_engine()  # papermill learns of the engine here, not on import
    run = task.run
    started: list = []
    manager_class = kernel_manager_class(launcher, log, started,
                                         env=private_env(task.private))  # names, not values
    timed_out = threading.Event()
    limit = task.wall_timeout

    def stop_for_timeout() -> None:
        timed_out.set()
        log.write(f"\nTIMEOUT: the run exceeded {limit} s; stopping its kernel\n")
        log.flush()
        for km in started:
            kill_kernel(km)

    watchdog = threading.Timer(limit, stop_for_timeout) if limit else None
    if watchdog is not None:
        watchdog.daemon = True
        watchdog.start()
    try:
        papermill.execute_notebook(
            str(run.notebook.resolve()), str((tmp / NOTEBOOK_FILE).resolve()),
            parameters=parameters,
            kernel_name=task.kernel_name,
            cwd=str(run.notebook.parent if "output_dir" in task.injected else tmp.resolve()),
            progress_bar=False, log_output=True, start_timeout=task.start_timeout,
            kernel_manager_class=manager_class, engine_name=engine_name,
            shutdown_kernel="immediate",
        )
    except Exception as exc:  # noqa: BLE001 - recorded: the run is kept as failed
        kind = classify_error(exc, timed_out.is_set())
        error = _error_from_exception(exc)
        error["kind"] = kind
        if kind == "timeout":
            error.update(ename="RunTimeout",
                         evalue=f"the run did not finish within its wall-clock limit of "
                                f"{limit:g} s; its kernel was stopped")
        elif kind == "infrastructure":
            how = _kernel_exit(started)
            error["evalue"] = (f"{error['evalue']} (the kernel process ended: {how})" if how
                               else error["evalue"])
        log.write(f"\nFAILED ({kind}): {error_line(error)}\n{_traceback_text(exc)}\n")
        return error
    finally:
        if watchdog is not None:
            watchdog.cancel()
        for km in started:  # a kernel left running by an error: never outlive the run
            if km.has_kernel:
                kill_kernel(km)
        remove_socket_folders(manager_class)  # also after a kill or a timeout
    return None


def _clear_attempt(tmp: Path) -> None:
    """Remove what a failed attempt wrote into ``tmp`` (the log stays)."""
    for p in tmp.iterdir():
        if p.name == LOG_FILE:
            continue
        if p.is_dir():
            shutil.rmtree(p)
        else:
            p.unlink()
    (tmp / FIGURES_DIR).mkdir()


def execute_run(task: RunTask) -> RunResult:
    """Execute ``task.run`` in a fresh kernel and publish its run folder; never raises for
    an error inside the notebook (the run is then kept with status ``failed``).

    A kernel that dies is retried up to ``task.retries`` more times (without the
    launcher when the launcher is what failed); an error in the analysis or a run
    over its wall-clock limit is not. A parameter that is not a JSON value raises
    :class:`~workbench.errors.ParameterError` before anything is written.
    """
    run, tmp, final = task.run, task.partial_dir, task.final_dir
    # Papermill writes the values into the notebook as Python source: only JSON values
    # (checked again here for runs built in Python), before anything is written.
    check_json_parameters(f"{run.notebook} (study {run.study}, run {run.run_id})",
                          run.parameters)
    if tmp.exists():
        shutil.rmtree(tmp)  # left by an interrupted earlier attempt: never complete
    (tmp / FIGURES_DIR).mkdir(parents=True)
    notebook_sha = provenance.sha256_file(run.notebook)
    injected = {"panel_path": str(task.panel_path.resolve()), "output_dir": str(tmp.resolve())}
    parameters = {**run.parameters, **{k: injected[k] for k in task.injected}}
    started, t0 = provenance.utc_now(), time.perf_counter()
    error: dict | None = None
    attempts = 0
    launcher = task.launcher

    with open(tmp / LOG_FILE, "a", encoding="utf-8") as log:
        log.write(f"run {run.run_id} of study {run.study}\nnotebook {run.notebook}\n"
                  f"parameters {parameters}\nstarted {started}\n\n")
        if task.rerun_reason:
            log.write(f"executed again, not reused from cache: {task.rerun_reason}\n\n")
        log.flush()
        handler = logging.StreamHandler(log)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        pm_logger = logging.getLogger("papermill")
        saved = pm_logger.level, pm_logger.propagate
        pm_logger.addHandler(handler)
        pm_logger.setLevel(logging.INFO)
        pm_logger.propagate = False
        try:
            while True:
                attempts += 1
                error = _execute_once(task, tmp, parameters, log, launcher)
                if error is not None and error["ename"] == "LauncherError" and \
                        launcher is not None:
                    log.write("\nthe kernel launcher is unavailable; starting the kernel the "
                              "ordinary way\n")
                    launcher = None
                    _clear_attempt(tmp)
                    continue
                if error is None or error["kind"] != "infrastructure" or \
                        attempts > task.retries:
                    break
                log.write(f"\nretrying (attempt {attempts + 1} of {task.retries + 1}) after an "
                          "infrastructure failure\n")
                if error["ename"] == "LauncherError":
                    launcher = None  # start the next kernel the ordinary way
                _clear_attempt(tmp)
        finally:
            pm_logger.removeHandler(handler)
            pm_logger.setLevel(saved[0])
            pm_logger.propagate = saved[1]

        if error is None and "output_dir" in task.injected and not (tmp / FINDINGS_FILE).exists():
            log.write(f"\nnote: the notebook wrote no {FINDINGS_FILE}; an empty list is "
                      "written so that the run folder is complete\n")
            (tmp / FINDINGS_FILE).write_text("[]\n", encoding="utf-8")
        ended, duration = provenance.utc_now(), round(time.perf_counter() - t0, 3)
        status = "ok" if error is None else "failed"
        header = {"study": task.study_title or run.study, "parameters": run.parameters,
                  "started": started, "duration": f"{duration:.1f} s", "status": status,
                  "error": error_line(error), "data_sha256": task.data.get("sha256"),
                  "notebook": run.notebook.name, "notebook_sha256": notebook_sha,
                  "workbench_version": provenance.workbench_version(),
                  "git_commit": task.git.get("commit"), "private": list(task.private),
                  "disclosure": task.disclosure}
        title, truncated = run.notebook.stem, []
        try:
            title, truncated = _write_report(tmp, header, task)
            log.writelines(f"\nnote: the output of cell {cut['cell']} passed the limit of "
                           f"{cut['limit_characters']:,} characters; "
                           f"{cut['dropped_characters']:,} characters of text and "
                           f"{cut['dropped_outputs']:,} outputs were not kept\n"
                           for cut in truncated)
        except Exception as exc:  # noqa: BLE001 - recorded: a run without report is failed
            log.write(f"\nREPORT FAILED:\n{''.join(traceback.format_exception(exc))}\n")
            if error is None:
                error = {"ename": type(exc).__name__,
                         "evalue": f"while rendering {REPORT_FILE}: {exc}",
                         "cell_index": None, "cell_source": None, "kind": "report"}
                status = "failed"
        log.write(f"\nended {ended} after {duration} s: {status}\n")

    manifest = {
        "study": run.study, "run_id": run.run_id, "title": title,
        "notebook": str(run.notebook.name), "notebook_path": str(run.notebook),
        "notebook_sha256": notebook_sha, "parameters": run.parameters,
        "injected_parameters": sorted(task.injected), "seed": task.seed,
        "data": task.data, "data_sha256": task.data.get("sha256"),
        "kernel": task.kernel_name, "versions": provenance.package_versions(),
        "python": provenance.python_description(), "platform": provenance.platform_description(),
        "git_commit": task.git.get("commit"), "git_dirty": task.git.get("dirty"),
        "started": started, "ended": ended, "duration_s": duration,
        "status": status, "error": error, "attempts": attempts,
        "timeout_s": task.wall_timeout, "cache_key": task.cache_key, "from_cache": False,
        "outputs": output_listing(tmp), "output_sha256": output_hashes(tmp),
        "rerun_reason": task.rerun_reason or None, "truncated_outputs": truncated,
    }
    provenance.write_manifest(tmp / MANIFEST_FILE, manifest)
    publish(tmp, final)
    return RunResult(run_id=run.run_id, position=run.position, status=status, folder=final,
                     title=title, parameters=run.parameters, duration_s=duration, error=error,
                     attempts=attempts, notebook=run.notebook.name)


def _write_report(tmp: Path, header: dict, task: RunTask) -> tuple[str, list[dict]]:
    """Render ``report.html`` from the executed notebook; return the report's title and
    the cells whose output passed the cap (:data:`~workbench.batch.engine.MAX_CELL_OUTPUT`:
    ``cell`` and what was dropped).
    """
    import nbformat

    from workbench.batch.engine import TRUNCATED_KEY
    from workbench.report.notebook_text import notebook_title
    from workbench.report.run_report import report_context, write_report

    executed = tmp / NOTEBOOK_FILE
    nb = nbformat.read(executed, as_version=4) if executed.exists() \
        else nbformat.read(task.run.notebook, as_version=4)
    title = notebook_title(nb, task.run.notebook.stem)
    write_report(nb, {**header, "title": title, **report_context(tmp)}, tmp,
                 hide_paths=_hidden_paths(task), name=REPORT_FILE)  # and disclosure.json
    truncated = [{"cell": i, **cell.metadata[TRUNCATED_KEY]} for i, cell in enumerate(nb.cells)
                 if TRUNCATED_KEY in cell.get("metadata", {})]
    return title, truncated


def publish(tmp: Path, final: Path) -> Path:
    """Rename the complete folder ``tmp`` to ``final``, replacing an older ``final``.

    The older folder is first renamed aside (hidden) and removed after the new one
    is in place, so ``final`` is never a mixture of two runs.
    """
    old = None
    if final.exists():
        old = final.parent / f".{final.name}.old-{os.getpid()}"
        if old.exists():
            shutil.rmtree(old)
        os.replace(final, old)
    os.replace(tmp, final)
    if old is not None:
        shutil.rmtree(old)
    return final
