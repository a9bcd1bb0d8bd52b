"""The fork server's preload: importing this module prepares the process local workers fork from.

A runner with threads (a Jupyter kernel calling ``run_study``) must not fork itself, so
its local workers are forked by multiprocessing's fork server
(:func:`~workbench.batch.executors.local.worker_context`). The fork server can only be
told which modules to import before it forks (``set_forkserver_preload``); it calls
nothing. So this module is that server's entry point, as a ``__main__`` module is a
script's: importing it runs
:func:`~workbench.batch.executors.local.prepare_worker_parent`. It is the one module of
the workbench whose import does work, and no module imports it
(``tests/test_import_graph.py`` checks both).

>>> from workbench.batch.executors.local import FORKSERVER_PRELOAD
>>> FORKSERVER_PRELOAD == __name__
True
"""

from __future__ import annotations

from workbench.batch.executors.local import prepare_worker_parent

prepare_worker_parent()
