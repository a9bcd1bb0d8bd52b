"""Where runs execute: executors by name, each imported only when a batch first asks for it.

An executor takes a picklable function and a list of picklable tasks and yields each
result as soon as it is ready (in completion order); the runner never knows which
executor it drives (:class:`~workbench.batch.executors.base.Executor`).

The registry is a table from a name to ``"module:Class"``, as papermill's engines are:
nothing is imported until :func:`executor_class` (or :func:`get_executor`) resolves a name,
so ``--executor local`` never imports Dask, and a module never registers itself by being
imported. The built-in executors:

* ``local``: processes on this machine (:mod:`workbench.batch.executors.local`);
* ``dask``: a Dask cluster, local and closed or remote over TLS
  (:mod:`workbench.batch.executors.dask_cluster`);
* ``slurm``: Dask workers submitted as Slurm jobs (:mod:`workbench.batch.executors.slurm`).

Another executor is added with :func:`register_executor` (a name and a ``"module:Class"``
or a class), or by an installed package through the entry-point group
:data:`ENTRY_POINT_GROUP` (``[project.entry-points."workbench.executors"]
name = "package.module:Class"``), read the first time a name is not in the table.

>>> available_executors()[:3]
['local', 'dask', 'slurm']
>>> with get_executor("local", workers=1) as ex:
...     sorted(ex.map_unordered(abs, [-2, 1]))
[1, 2]
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import Any

from workbench.batch.executors.base import Executor
from workbench.errors import WorkbenchError

#: The entry-point group an installed package registers executors in.
ENTRY_POINT_GROUP = "workbench.executors"

#: Name -> ``"module:Class"`` (or the class once resolved, or one registered as a class).
_REGISTRY: dict[str, str | type[Executor]] = {
    "local": "workbench.batch.executors.local:LocalExecutor",
    "dask": "workbench.batch.executors.dask_cluster:DaskExecutor",
    "slurm": "workbench.batch.executors.slurm:SlurmExecutor",
}
_entry_points_read = False


def register_executor(name: str, target: str | type[Executor]) -> None:
    """Add the executor ``target`` (a ``"module:Class"`` imported when first used, or a
    class) under ``name``, replacing any executor of that name.

    >>> register_executor("inline-demo", "workbench.batch.executors.local:LocalExecutor")
    >>> executor_class("inline-demo").__name__
    'LocalExecutor'
    >>> unregister_executor("inline-demo")
    """
    if not isinstance(name, str) or not name.strip():
        raise WorkbenchError(f"an executor's name must be non-empty text, got {name!r}")
    if isinstance(target, str):
        if target.count(":") != 1 or not all(target.split(":")):
            raise WorkbenchError(f"executor {name!r}: the target must be 'module:Class', "
                                 f"got {target!r}")
    elif not (isinstance(target, type) and issubclass(target, Executor)):
        raise WorkbenchError(f"executor {name!r}: the target must be 'module:Class' or a "
                             f"subclass of Executor, got {target!r}")
    _REGISTRY[name] = target


def unregister_executor(name: str) -> None:
    """Remove the executor ``name`` (nothing when there is none).

    >>> unregister_executor("never-registered")
    """
    _REGISTRY.pop(name, None)


def _read_entry_points() -> None:
    """Add the executors of installed packages (:data:`ENTRY_POINT_GROUP`), once; names
    already in the table keep their executor.
    """
    global _entry_points_read
    if _entry_points_read:
        return
    _entry_points_read = True
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        _REGISTRY.setdefault(ep.name, ep.value)


def available_executors() -> list[str]:
    """Names of the executors: the built-in ones first, then those registered or installed.

    >>> "dask" in available_executors()
    True
    """
    _read_entry_points()
    return list(_REGISTRY)


def executor_class(name: str) -> type[Executor]:
    """The class of the executor ``name``, imported now if it was not yet;
    :class:`~workbench.errors.WorkbenchError` naming the available ones when there is none
    (or when its module cannot be imported).

    >>> executor_class("local").name
    'local'
    >>> executor_class("nowhere")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    WorkbenchError: unknown executor 'nowhere'; available: ['local', 'dask', 'slurm']
    """
    if not isinstance(name, str) or name not in _REGISTRY:
        _read_entry_points()
    target = _REGISTRY.get(name) if isinstance(name, str) else None
    if target is None:
        raise WorkbenchError(f"unknown executor {name!r}; available: {available_executors()}")
    if isinstance(target, str):
        module_name, _, class_name = target.partition(":")
        try:
            cls = getattr(importlib.import_module(module_name), class_name)
        except (ImportError, AttributeError) as exc:
            raise WorkbenchError(f"executor {name!r}: cannot import {target!r} (expected "
                                 f"'module:Class'): {exc}") from exc
        if not (isinstance(cls, type) and issubclass(cls, Executor)):
            raise WorkbenchError(f"executor {name!r}: {target!r} is {cls!r}, expected a "
                                 "subclass of workbench.batch.executors.Executor")
        _REGISTRY[name] = target = cls
    return target


def get_executor(name: str = "local", **options: Any) -> Executor:
    """An executor instance by name; options go to its constructor (e.g. ``workers``).

    >>> get_executor("local", workers=2).workers
    2
    """
    return executor_class(name)(**options)


__all__ = ["ENTRY_POINT_GROUP", "Executor", "available_executors",
           "executor_class", "get_executor", "register_executor", "unregister_executor"]
