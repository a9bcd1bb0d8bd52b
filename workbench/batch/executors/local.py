"""``--executor local``: runs in worker processes on this machine, forked with their modules loaded.

Every run still gets its own kernel process; a worker only drives it (papermill, the
report). Workers are forked from a process that has imported what they use and rendered
one small report (:func:`prepare_worker_parent`), so that this work is done once per
batch instead of once per worker (docs/batch.md, "Where the time goes"):

* on Linux, a runner with no other thread (the command line, as a batch starts) prepares
  itself and forks the workers;
* a runner with threads (a Jupyter kernel) must not fork itself: multiprocessing's fork
  server does it, and it is prepared by importing :mod:`workbench.batch.executors.forkserver`
  (a fork server only imports modules);
* elsewhere workers are spawned, and each imports what it uses.

>>> with LocalExecutor(workers=1) as ex:
...     sorted(ex.map_unordered(abs, [-2, 1]))
[1, 2]
"""

from __future__ import annotations

import importlib
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

from workbench.batch.executors.base import Executor
from workbench.batch.lean_imports import leave_out_rfc3987_syntax
from workbench.errors import WorkbenchError

#: What a local worker imports to drive a run and render its report, imported once per
#: batch where workers are forked from (not by each worker in a new interpreter: about
#: 1 s of CPU per worker).
WORKER_PRELOAD = ("workbench.batch.execute", "workbench.batch.engine", "workbench.batch.kernels",
                  "workbench.report.run_report", "papermill", "nbclient",
                  "nbconvert.exporters.html")
#: The module the fork server imports (it calls :func:`prepare_worker_parent`).
FORKSERVER_PRELOAD = "workbench.batch.executors.forkserver"


def prepare_worker_parent() -> None:
    """Prepare this process to have local workers forked from it: leave
    ``rfc3987_syntax`` out (:mod:`workbench.batch.lean_imports`), import
    :data:`WORKER_PRELOAD`, then render one small report
    (:func:`~workbench.batch.warm_worker.warm`), so that every worker starts with them
    (copy-on-write). Called by :func:`worker_context` before it forks, and by the fork
    server; a second call costs nothing.

    >>> prepare_worker_parent()  # doctest: +SKIP
    """
    leave_out_rfc3987_syntax()
    for name in WORKER_PRELOAD:
        importlib.import_module(name)
    from workbench.batch.warm_worker import warm

    warm()


def worker_context() -> multiprocessing.context.BaseContext:
    """The start method of local workers, prepared where they are forked from
    (:func:`prepare_worker_parent`).

    The first that applies:

    * ``fork`` of this process, on Linux, when it runs no other thread (as the command
      line does when a batch starts): this process is prepared first;
    * else ``forkserver`` where the platform has it (a process with threads, such as a
      Jupyter kernel, must not fork itself): the server imports
      :data:`FORKSERVER_PRELOAD`, which prepares it;
    * else ``spawn`` (each worker imports what it uses).

    >>> worker_context().get_start_method() in ("fork", "forkserver", "spawn")  # doctest: +SKIP
    True
    """
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        prepare_worker_parent()
        return multiprocessing.get_context("fork")
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([FORKSERVER_PRELOAD])  # read when the server starts
    return context


class LocalExecutor(Executor):
    """Runs on this machine: in this process when ``workers == 1``, else in a pool of
    ``workers`` worker processes, each running one task at a time.

    Every run still gets its own kernel process; the worker only drives it. Workers are
    forked with their modules loaded (from this process or a fork server, see
    :func:`worker_context`) and are given this process's environment with each task,
    so a variable set before a batch reaches its runs even when the server is older.
    They ignore Ctrl-C (the runner stops them) and end when the runner ends, even by
    SIGKILL. :meth:`start` forks them before the caller starts any thread.

    >>> LocalExecutor(workers=0)  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    WorkbenchError: workers must be a whole number >= 1, got 0
    """

    name = "local"

    def __init__(self, workers: int = 1):
        if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
            raise WorkbenchError(f"workers must be a whole number >= 1, got {workers!r}")
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._starting: threading.Thread | None = None
        self._context: multiprocessing.context.BaseContext | None = None

    def _ensure_pool(self, size: int) -> ProcessPoolExecutor:
        if self._pool is None:
            self._context = worker_context()
            self._pool = ProcessPoolExecutor(max_workers=size, mp_context=self._context,
                                             initializer=_worker_init)
        return self._pool

    def start(self, n_tasks: int) -> None:
        """Start ``min(workers, n_tasks)`` worker processes now (nothing when that is one or
        the pool is running): forked at once, or from the fork server by a thread while
        the caller goes on.
        """
        size = min(self.workers, n_tasks)
        if size <= 1 or self._pool is not None:
            return
        pool = self._ensure_pool(size)
        if self._context.get_start_method() == "fork":
            for _ in range(size):
                pool.submit(os.getpid)  # forks every worker now, before any thread starts
            return
        # A worker starts when a task is submitted, and submitting waits for the fork
        # server to import its modules: submit no-op tasks from a thread meanwhile.
        self._starting = threading.Thread(
            target=lambda: [pool.submit(os.getpid) for _ in range(size)],
            name="start-workers", daemon=True)
        self._starting.start()

    def map_unordered(self, fn, tasks):
        """Yield ``fn(task)`` for every task as it completes: in this process, in order,
        with one worker or one task; else in the pool, each task with this process's
        environment.
        """
        tasks = list(tasks)
        if self._pool is None and (self.workers == 1 or len(tasks) <= 1):
            for task in tasks:
                yield fn(task)
            return
        pool = self._ensure_pool(min(self.workers, len(tasks)))
        if self._starting is not None:
            self._starting.join()
        environment = dict(os.environ)
        futures = [pool.submit(_in_environment, environment, fn, t) for t in tasks]
        for fut in as_completed(futures):
            yield fut.result()

    def close(self) -> None:
        """Shut the pool down, cancelling tasks not yet started and waiting for the rest."""
        if self._starting is not None:
            self._starting.join()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def abort(self) -> None:
        """Cancel the queued tasks and kill every worker process at once (Ctrl-C)."""
        if self._starting is not None:
            self._starting.join()
        if self._pool is not None:
            processes = list((self._pool._processes or {}).values())  # no public handle
            self._pool.shutdown(wait=False, cancel_futures=True)
            for p in processes:
                p.kill()
            for p in processes:
                p.join(timeout=10)
            self._pool = None


def _in_environment(environment: dict[str, str], fn: Callable[[Any], Any], task: Any) -> Any:
    """In a worker: ``fn(task)`` with the runner's environment variables."""
    if os.environ != environment:
        os.environ.clear()
        os.environ.update(environment)
    return fn(task)


def _worker_init() -> None:
    """In each worker: leave Ctrl-C to the runner; end when the runner has ended."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is None:  # pragma: no cover - only ever run as a pool's initializer
        return

    def watch() -> None:
        # the sentinel becomes readable when the runner has gone (even by SIGKILL)
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)  # no one will read our results

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
