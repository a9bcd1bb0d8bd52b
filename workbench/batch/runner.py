"""Run a whole study: check every run, make the data once, execute, then index the results.

The order is fixed so that mistakes cost nothing:

1. read the study file (:func:`~workbench.batch.study.load_study`), refusing a study
   of more than ``max_runs`` runs before its grids are expanded;
2. check every run's parameters against its notebook's parameters cell
   (:func:`~workbench.batch.plan.check_study`), so a typo stops the study before any
   kernel starts;
3. materialise the data once into ``outputs/<study>/data/`` and hash it
   (:mod:`workbench.batch.data_step`), unless the study has no ``data:``;
4. execute the runs through an executor (``local`` or ``dask``), each in a fresh
   kernel, with a progress bar; a failed run never stops the others;
5. write ``outputs/<study>/findings.csv`` and ``outputs/<study>/index.html``
   (:mod:`workbench.batch.study_outputs`).

From step 3 on the runner holds the study folder's lock
(:class:`~workbench.batch.study_lock.StudyLock`): a second runner of the same study
into the same ``--out`` is refused, naming the holder's process and start time. A
folder that cannot be written (read-only, full, not this user's) stops the study with
an :class:`~workbench.errors.OutputWriteError` naming the path and what to do.

>>> result = run_study("studies/default.yaml", out="outputs")    # doctest: +SKIP
>>> result.exit_code, result.index_path                           # doctest: +SKIP
(0, PosixPath('outputs/default/index.html'))

:func:`~workbench.batch.plan.plan_study` does steps 1 and 2 only and describes the
runs (``workbench run --dry-run``).

A notebook need not know the workbench: the runner sets ``panel_path`` and
``output_dir`` only in notebooks that declare them. One that declares no
``output_dir`` runs with its run folder as the working directory, so the files it
writes are the run's outputs.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from tqdm.auto import tqdm

from workbench.batch import provenance
from workbench.batch.cache import (
    SourceTree,
    canonical_json,
    check_cached,
    code_sha256,
    environment_sha256,
    notebook_content_sha256,
    package_root,
    run_cache_key,
)
from workbench.batch.data_step import DATA_DIR, PANEL_FILE, materialise_data_cached
from workbench.batch.execute import (
    MANIFEST_FILE,
    PARTIAL_SUFFIX,
    RunResult,
    RunTask,
    execute_run,
)
from workbench.batch.executors import Executor, get_executor
from workbench.batch.launcher import Launcher
from workbench.batch.needs import check_provider_values
from workbench.batch.params import Parameter
from workbench.batch.plan import (
    check_output_folder,
    check_study,
    injected_parameters,
    plan_study,
    refuse_too_many,
)
from workbench.batch.study import MAX_RUNS, Study, load_study
from workbench.batch.study_lock import StudyLock
from workbench.batch.study_outputs import write_findings_csv, write_index
from workbench.batch.study_result import StudyResult
from workbench.errors import OutputWriteError, StudyError
from workbench.files import output_errors
from workbench.report.publish import write_public

__all__ = ["NO_DATA", "StudyResult", "check_study", "default_workers", "plan_study",
           "run_study"]

#: The data record of a study without ``data:`` (in each manifest's ``data``).
NO_DATA = {"kind": None, "sha256": None}


def default_workers() -> int:
    """The number of cores this process may use (the default of ``--workers``)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _likely_to_execute(study: Study, out_dir: Path, force: bool) -> bool:
    """A cheap guess made before the data exist: True when some run will execute (not
    come from the cache).
    """
    if force:
        return True
    for run in study.runs:
        manifest = out_dir / run.run_id / "manifest.json"
        if not manifest.is_file():
            return True
        try:
            if json.loads(manifest.read_text(encoding="utf-8")).get("status") != "ok":
                return True
        except (OSError, ValueError):
            return True
    return False


def _cached_run_result(task: RunTask, manifest: dict) -> RunResult:
    """The result of a run reused from cache; its manifest records the reuse."""
    manifest = {**manifest, "from_cache": True, "cache_checked": provenance.utc_now()}
    provenance.write_manifest(task.final_dir / MANIFEST_FILE, manifest)
    run = task.run
    return RunResult(run_id=run.run_id, position=run.position, status="ok",
                     folder=task.final_dir, title=manifest.get("title") or run.notebook.stem,
                     parameters=run.parameters, duration_s=manifest.get("duration_s") or 0.0,
                     error=None, cached=True, attempts=0, notebook=run.notebook.name)


_PARTIAL_NAME = re.compile(rf"^\.(.+){re.escape(PARTIAL_SUFFIX)}(-[0-9]+-[0-9a-f]+)?$")


def _remove_partials(out_dir: Path, study: Study) -> None:
    """Remove the hidden partial folders of the study's runs (``.<run_id>.partial-<tag>``):
    the runner holds the study's lock, so they are its own or left by a batch that ended.
    """
    ids = {run.run_id for run in study.runs}
    try:
        entries = [e for e in os.scandir(out_dir) if e.name.startswith(".")]
    except FileNotFoundError:
        return
    for entry in entries:
        m = _PARTIAL_NAME.match(entry.name)
        if m and m.group(1) in ids:
            shutil.rmtree(entry.path, ignore_errors=True)


#: What to do about an output folder that cannot be written, by the problem's start.
_ADVICE = {"no space": "make room on that disk, or write the study elsewhere with --out DIR",
           "the disk quota": "make room within your quota, or write the study elsewhere with "
                             "--out DIR",
           "the file is too large": "write the study to another file system with --out DIR"}
_ADVICE_WRITABLE = "choose a folder you can write to with --out DIR (default: outputs/ here)"


@contextmanager
def _output_folder_errors(out_dir: Path) -> Iterator[None]:
    """Turn an ``OSError`` writing under ``out_dir`` (read-only, full, not this user's) into
    an :class:`~workbench.errors.OutputWriteError` naming the path and what to do.
    """
    try:
        with output_errors(out_dir, within=[out_dir]):
            yield
    except OutputWriteError as exc:
        if "--out" in exc.problem:
            raise
        advice = next((a for start, a in _ADVICE.items() if exc.problem.startswith(start)),
                      _ADVICE_WRITABLE)
        raise OutputWriteError(exc.path, f"{exc.problem}. The study stopped: {advice}") \
            from exc


def run_study(study: str | Path | Study, out: str | Path = "outputs", workers: int | None = None,
              executor: str = "local", progress: bool = True,
              kernel_name: str = "workbench", timeout: float | None = None, retries: int = 0,
              force: bool = False, scheduler: str | None = None,
              preload: bool = True, executor_options: dict | None = None,
              max_runs: int = MAX_RUNS, launcher: Launcher | None = None) -> StudyResult:
    """Check, execute and index every run of a study; see the module docstring.

    ``workers`` (default: the number of cores) runs execute at once, each in a fresh
    kernel forked from a launcher that has the heavy modules imported (``preload``;
    False starts every kernel as a new Python). Runs whose outputs are complete and
    whose cache key is unchanged are reused unless ``force``. ``timeout`` is each
    run's wall-clock limit in seconds (a run's own ``timeout`` in the study wins);
    ``retries`` re-attempts runs whose kernel died. ``executor="dask"`` runs on the
    Dask cluster at ``scheduler`` (a LocalCluster when None); ``executor_options`` are
    further keywords for the executor (e.g. Dask's ``tls_ca_file`` or ``dashboard``).
    A study of more than ``max_runs`` runs is refused before anything is made.
    ``launcher`` is a :class:`~workbench.batch.launcher.Launcher` the caller spawned
    earlier (the command line does, before importing this module, so that it imports
    its modules meanwhile); the batch uses it, and closes it in any case.

    Returns a :class:`StudyResult` whose ``exit_code`` is non-zero when any run
    failed. Raises (before any kernel starts) :class:`~workbench.errors.StudyError`,
    :class:`~workbench.errors.ParameterError` or :class:`~workbench.errors.NotebookError`.
    On Ctrl-C the kernels are stopped, unfinished run folders removed, and
    ``KeyboardInterrupt`` propagates.
    """
    ex = None
    try:
        workers = default_workers() if workers is None else workers
        if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
            raise StudyError(f"retries must be a whole number >= 0, got {retries!r}")
        if timeout is not None and (isinstance(timeout, bool) or timeout <= 0):
            raise StudyError(f"timeout must be a number of seconds > 0, got {timeout!r}")
        study = study if isinstance(study, Study) else load_study(study, max_runs=max_runs)
        refuse_too_many(study, max_runs)
        declared = check_study(study)
        check_output_folder(study, out)
        out_dir = Path(out) / study.name
        with _output_folder_errors(out_dir):
            out_dir.mkdir(parents=True, exist_ok=True)
            lock = StudyLock(out_dir)
            lock.acquire()  # before anything is written: one runner per study folder
            try:
                options = {"workers": workers, **(executor_options or {})}
                if scheduler is not None:
                    options["scheduler"] = scheduler
                ex = get_executor(executor, **options)
                likely = _likely_to_execute(study, out_dir, force)
                if likely:  # the workers and the launcher get ready while the data are made
                    ex.start(len(study.runs))
                if likely and preload:
                    launcher = launcher or Launcher.spawn()
                elif launcher is not None:
                    launcher.close()  # not needed: every run is likely to come from cache
                    launcher = None
                result = _run(study, out_dir, ex, progress, kernel_name, timeout, retries,
                              force, preload, launcher, declared)
            finally:
                lock.release()
            if lock.note:
                result.notes.insert(0, lock.note)
            return result
    finally:
        if ex is not None:
            ex.close()
        if launcher is not None:
            launcher.close()


def _run(study: Study, out_dir: Path, ex: Executor, progress: bool,
         kernel_name: str, timeout: float | None, retries: int, force: bool,
         preload: bool, launcher: Launcher | None,
         declared: dict[Path, dict[str, Parameter]] | None = None) -> StudyResult:
    """The body of :func:`run_study` once the study is checked and the launcher spawned;
    ``ex`` is the executor (the caller closes it).
    """
    from workbench.kernelspec import ensure_kernelspec

    declared = check_study(study) if declared is None else declared
    data = NO_DATA if study.data is None else \
        materialise_data_cached(study.data, out_dir / DATA_DIR, study.path)
    if study.data is not None:  # provider codes against the panel, before any kernel starts
        check_provider_values(study, out_dir / DATA_DIR / PANEL_FILE, declared)
    if kernel_name == "workbench":
        ensure_kernelspec(kernel_name)
    environment = environment_sha256()
    if study.private or study.disclosure:  # they shape the report: a change re-renders it
        environment = hashlib.sha256(canonical_json(
            {"environment": environment, "private": list(study.private),
             "disclosure": study.disclosure}).encode("utf-8")).hexdigest()
    _remove_partials(out_dir, study)  # left by an interrupted batch: never complete
    partial_tag = f"{os.getpid()}-{secrets.token_hex(3)}"  # this batch's partial folders
    notes: list[str] = []
    commits, dirty = _git_facts(study)
    git_by_folder: dict[Path, dict] = {}
    nb_sha: dict[Path, str] = {}
    code: dict[Path, str] = {}
    source = SourceTree.load(package_root()).root
    tasks, hits = [], []
    for run in study.runs:
        folder = run.notebook.parent
        if folder not in git_by_folder:
            git_by_folder[folder] = {"commit": commits[folder].result()}
        if run.notebook not in nb_sha:
            nb_sha[run.notebook] = notebook_content_sha256(run.notebook)
            code[run.notebook] = code_sha256(run.notebook, source)
        key = run_cache_key(nb_sha[run.notebook], run.parameters, data["sha256"], environment,
                            kernel_name, code=code[run.notebook])
        task = RunTask(run=run, out_dir=out_dir, panel_path=out_dir / DATA_DIR / PANEL_FILE,
                       data=data, study_title=study.title, git={}, kernel_name=kernel_name,
                       timeout=timeout, retries=retries, cache_key=key,
                       private=study.private, disclosure=study.disclosure,
                       injected=injected_parameters(declared[run.notebook]),
                       partial_tag=partial_tag)
        check = None if force else check_cached(task.final_dir, key)
        if check is not None and check.reusable:
            hits.append(_cached_run_result(task, check.manifest))
            continue
        if check is not None and check.changed:  # a finished run whose files changed since
            notes.append(f"{run.run_id}: executed again, not reused from cache: {check.reason}")
            task = replace(task, rerun_reason=check.reason)
        git = {**git_by_folder[folder], "dirty": dirty[run.notebook].result()}
        tasks.append(replace(task, git=git))
    if tasks and preload and launcher is None:  # the guess was wrong: some runs execute
        launcher = Launcher.spawn()
        try:
            return _execute(study, out_dir, ex, progress, launcher, tasks, hits, data,
                            git_by_folder, notes)
        finally:
            launcher.close()
    return _execute(study, out_dir, ex, progress, launcher, tasks, hits, data, git_by_folder,
                    notes)


def _execute(study: Study, out_dir: Path, ex: Executor, progress: bool,
             launcher: Launcher | None, tasks: list[RunTask], hits: list[RunResult],
             data: dict, git_by_folder: dict[Path, dict],
             notes: list[str] | None = None) -> StudyResult:
    """Execute ``tasks`` (with the cached ``hits``), then write ``findings.csv`` and the index."""
    results: list[RunResult] = list(hits)
    bar = tqdm(total=len(study.runs), desc=study.name, unit="run", disable=not progress,
               dynamic_ncols=True)
    _show_counts(bar, results)
    try:
        with bar:
            bar.update(len(hits))
            if tasks:
                client = launcher.client() if launcher is not None else None  # kernels wait
                # for its socket, so workers start while the launcher imports its modules
                tasks = [replace(t, launcher=client) for t in tasks]
                try:
                    for result in ex.map_unordered(execute_run, tasks):
                        results.append(result)
                        _show_counts(bar, results)
                        bar.update(1)
                except BaseException:
                    ex.abort()
                    raise
    except KeyboardInterrupt:
        if launcher is not None:
            launcher.close()  # kills every kernel it forked
        _remove_partials(out_dir, study)
        raise
    results.sort(key=lambda r: r.position)
    outcome = StudyResult(study=study, out_dir=out_dir, results=results, data=data,
                          notes=list(notes or []))
    write_findings_csv(outcome)
    write_index(outcome, git_commit=next(iter(git_by_folder.values()), {}).get("commit"))
    write_public(out_dir, [r.run_id for r in results])  # what may be published, alone
    return outcome


def _git_facts(study: Study) -> tuple[dict[Path, Future], dict[Path, Future]]:
    """The commit of each notebook folder and whether each notebook differs from it, asked
    of git in background threads (one call per folder and per notebook, not per run)
    while the data and the cache keys are made.
    """
    pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="git")
    notebooks = {run.notebook for run in study.runs}
    commits = {folder: pool.submit(provenance.git_commit, folder)
               for folder in {nb.parent for nb in notebooks}}
    dirty = {nb: pool.submit(provenance.git_dirty, nb.parent, [nb.name]) for nb in notebooks}
    pool.shutdown(wait=False)
    return commits, dirty


def _show_counts(bar, results: list[RunResult]) -> None:
    n_failed = sum(not r.ok for r in results)
    n_cached = sum(r.cached for r in results)
    bar.set_postfix_str(f"done {len(results)}, failed {n_failed}, cached {n_cached}",
                        refresh=False)
