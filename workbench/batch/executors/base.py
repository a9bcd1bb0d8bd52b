"""What every executor is: run a function over tasks and yield the results as they complete.

>>> class Inline(Executor):
...     name = "inline"
...     def map_unordered(self, fn, tasks):
...         return map(fn, tasks)
>>> with Inline() as ex:
...     list(ex.map_unordered(abs, [-2, 1]))
[2, 1]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Self


class Executor:
    """Base class: run ``fn`` over tasks, yield results as they complete.

    A subclass sets :attr:`name` (the name it is registered under, see
    :func:`~workbench.batch.executors.register_executor`) and implements
    :meth:`map_unordered`; :meth:`start`, :meth:`close` and :meth:`abort` do nothing
    unless it has workers to prepare or release.
    """

    name = "base"

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        """Yield ``fn(task)`` for every task, in the order they complete."""
        raise NotImplementedError

    def start(self, n_tasks: int) -> None:
        """Start getting workers ready for up to ``n_tasks`` tasks, without waiting for them,
        so that they start while the caller prepares the tasks (nothing by default).
        """

    def close(self) -> None:
        """Release workers (nothing to do by default)."""

    def abort(self) -> None:
        """Stop at once (Ctrl-C): drop queued tasks and end the workers; default: close."""
        self.close()

    def __enter__(self) -> Self:
        """The executor itself; it is closed when the ``with`` block ends."""
        return self

    def __exit__(self, *exc) -> None:
        """Close the executor."""
        self.close()
