"""Where runs execute: one registry, so that local processes and Dask plug in alike.

An executor takes a picklable function and a list of picklable tasks and yields
each result as soon as it is ready (in completion order). The runner never knows
which executor it drives.

>>> sorted(available_executors())
['dask', 'local']
>>> with get_executor("local", workers=1) as ex:
...     sorted(ex.map_unordered(abs, [-2, 1]))
[1, 2]
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Self

from workbench.errors import WorkbenchError

_EXECUTORS: dict[str, type[Executor]] = {}


def register_executor(name: str):
    """Class decorator adding an executor to the registry under ``name``.

    >>> @register_executor("inline-demo")
    ... class Inline(Executor):
    ...     def map_unordered(self, fn, tasks):
    ...         return map(fn, tasks)
    >>> "inline-demo" in available_executors()
    True
    >>> _ = _EXECUTORS.pop("inline-demo")
    """
    def add(cls: type[Executor]) -> type[Executor]:
        _EXECUTORS[name] = cls
        cls.name = name
        return cls
    return add


def available_executors() -> list[str]:
    """Names of the registered executors."""
    return list(_EXECUTORS)


def get_executor(name: str = "local", **options: Any) -> Executor:
    """An executor instance by name; options go to its constructor (e.g. ``workers``)."""
    try:
        cls = _EXECUTORS[name]
    except KeyError:
        raise WorkbenchError(f"unknown executor {name!r}; available: {available_executors()}") \
            from None
    return cls(**options)


class Executor:
    """Base class: run ``fn`` over tasks, yield results as they complete."""

    name = "base"

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        raise NotImplementedError

    def close(self) -> None:
        """Release workers (nothing to do by default)."""

    def abort(self) -> None:
        """Stop at once (Ctrl-C): drop queued tasks and end the workers; default: close."""
        self.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@register_executor("local")
class LocalExecutor(Executor):
    """Runs on this machine: in this process when ``workers == 1``, else in a pool of
    ``workers`` fresh (spawned) worker processes, each running one task at a time.

    Every run still gets its own kernel process; the worker only drives it. Workers
    ignore Ctrl-C (the runner stops them) and end when the runner ends, even by SIGKILL.
    """

    def __init__(self, workers: int = 1):
        if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
            raise WorkbenchError(f"workers must be a whole number >= 1, got {workers!r}")
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def map_unordered(self, fn, tasks):
        tasks = list(tasks)
        if self.workers == 1 or len(tasks) <= 1:
            for task in tasks:
                yield fn(task)
            return
        self._pool = ProcessPoolExecutor(max_workers=min(self.workers, len(tasks)),
                                         mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_worker_init, initargs=(os.getpid(),))
        futures = [self._pool.submit(fn, t) for t in tasks]
        for fut in as_completed(futures):
            yield fut.result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def abort(self) -> None:
        if self._pool is not None:
            processes = list((self._pool._processes or {}).values())  # no public handle
            self._pool.shutdown(wait=False, cancel_futures=True)
            for p in processes:
                p.kill()
            for p in processes:
                p.join(timeout=10)
            self._pool = None


def _worker_init(parent_pid: int) -> None:
    """In each worker: leave Ctrl-C to the runner; end when the runner has ended."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(1)  # the runner is gone (even by SIGKILL): no one will read our results

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _run_on_dask_worker(fn: Callable[[Any], Any], task: Any) -> Any:
    """Run one task in a Dask worker: with this machine's launcher if it is reachable,
    else with kernels started the ordinary way; outputs go straight to ``task.out_dir``,
    which must be visible from the worker (the submitting machine's disk for a
    LocalCluster, or a shared ``--out``)."""
    from dataclasses import replace

    out_dir = getattr(task, "out_dir", None)
    if out_dir is not None and not out_dir.is_dir():
        raise WorkbenchError(f"the output folder {out_dir} is not visible from the Dask worker "
                             "on this machine; pass a folder shared by every worker with --out")
    launcher = getattr(task, "launcher", None)
    if launcher is not None and not launcher.alive():
        task = replace(task, launcher=None)  # another machine: the socket is not here
    return fn(task)


@register_executor("dask")
class DaskExecutor(Executor):
    """Runs on a Dask distributed cluster: the scheduler at ``scheduler``, or a
    ``LocalCluster`` of ``workers`` single-threaded worker processes when None.

    Dask worker processes are daemonic, and Python's multiprocessing refuses to start
    children from them; kernels are not multiprocessing children (they are forked
    by the kernel launcher, or started with ``subprocess.Popen``), so they start
    from Dask workers as they do anywhere.
    """

    def __init__(self, workers: int = 1, scheduler: str | None = None):
        if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
            raise WorkbenchError(f"workers must be a whole number >= 1, got {workers!r}")
        self.workers = workers
        self.scheduler = scheduler
        self._cluster = None
        self._client = None
        self._futures: list = []

    def _connect(self):
        try:
            from distributed import Client, LocalCluster
        except ModuleNotFoundError as exc:
            raise WorkbenchError("--executor dask needs the 'distributed' package "
                                 "(pip install 'dask[distributed]')") from exc
        if self.scheduler:
            try:
                self._client = Client(self.scheduler, timeout="30s")
            except OSError as exc:
                raise WorkbenchError(f"could not reach the Dask scheduler at "
                                     f"{self.scheduler!r}: {exc}") from exc
        else:
            self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                         processes=True, dashboard_address=None,
                                         silence_logs=40)
            self._client = Client(self._cluster)
        return self._client

    def map_unordered(self, fn, tasks):
        from distributed import as_completed as dask_completed

        tasks = list(tasks)
        if not tasks:
            return
        client = self._client or self._connect()
        self._futures = [client.submit(_run_on_dask_worker, fn, t, pure=False, retries=0)
                         for t in tasks]
        for fut in dask_completed(self._futures):
            yield fut.result()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def abort(self) -> None:
        if self._client is not None and self._futures:
            self._client.cancel(self._futures, force=True)
        self.close()
