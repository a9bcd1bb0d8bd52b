"""Where runs execute: one registry, so that local processes and (later) Dask plug in alike.

An executor takes a picklable function and a list of picklable tasks and yields
each result as soon as it is ready (in completion order). The runner never knows
which executor it drives.

>>> sorted(available_executors())
['local']
>>> with get_executor("local", workers=1) as ex:
...     sorted(ex.map_unordered(abs, [-2, 1]))
[1, 2]
"""

from __future__ import annotations

import multiprocessing
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

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@register_executor("local")
class LocalExecutor(Executor):
    """Runs on this machine: in this process when ``workers == 1``, else in a pool of
    ``workers`` fresh (spawned) worker processes, each running one task at a time.

    Every run still gets its own kernel process; the worker only drives it.
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
                                         mp_context=multiprocessing.get_context("spawn"))
        futures = [self._pool.submit(fn, t) for t in tasks]
        for fut in as_completed(futures):
            yield fut.result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
