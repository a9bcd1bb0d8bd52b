"""What runs inside the Slurm jobs of ``--executor slurm``: each Dask worker's own kernel
launcher, and the task wrapper that hands it to the runs.

Kept apart from :mod:`workbench.batch.executors.slurm` because it imports ``distributed``
at once (a worker plugin must subclass its ``WorkerPlugin``), which the command line
should not pay for unless a Slurm batch starts.

Design: the runner's launcher lives on the submitting machine and its Unix socket is
not on the nodes; kernels forked there would also run outside the Slurm job. So each
worker starts one launcher of its own when it joins the cluster (:meth:`setup`, called
by Dask for every worker, also for workers that join later), while it waits for its
first run; every run on that worker forks its kernel from it, inside the job's
allocation. The launcher ends with the worker (:meth:`teardown`, or its standard input
closing when the worker process dies), killing its kernels.

>>> plugin = KernelLauncherPlugin()
>>> plugin.launcher is None and plugin.client() is None  # started on the worker, not here
True
"""

from __future__ import annotations

import os
import socket
import sys
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from distributed import get_worker
from distributed.diagnostics.plugin import WorkerPlugin

from workbench.batch.executors.dask_security import stop_http_server
from workbench.batch.lean_imports import leave_out_rfc3987_syntax
from workbench.errors import SharedFilesystemError

#: Name the plugin is registered under on every worker.
PLUGIN_NAME = "workbench-kernel-launcher"


class KernelLauncherPlugin(WorkerPlugin):
    """A Dask worker plugin holding the worker's own preloaded kernel launcher.

    ``preload`` are the modules the launcher imports (default:
    :data:`workbench.batch.launcher.PRELOAD`); ``launch`` False starts no launcher (kernels
    then start the ordinary way). Setting up also stops the worker's HTTP server (metrics
    and info pages, without authentication) and leaves ``rfc3987_syntax`` out of the
    worker's imports (:mod:`workbench.batch.lean_imports`), before its first run.
    """

    name = PLUGIN_NAME

    def __init__(self, preload: tuple[str, ...] | None = None, launch: bool = True):
        self.preload = tuple(preload) if preload else None
        self.launch = bool(launch)
        self.launcher = None
        self._lock = threading.Lock()

    def setup(self, worker=None) -> None:
        """Prepare the worker when the plugin is registered: leave ``rfc3987_syntax`` out,
        stop its HTTP server and start the launcher, which imports its modules meanwhile.
        """
        from workbench.batch.launcher import PRELOAD, Launcher

        leave_out_rfc3987_syntax()
        if worker is not None and getattr(worker, "http_server", None) is not None:
            stop_http_server(dask_worker=worker)
        if self.launch:
            self.launcher = Launcher.spawn(self.preload or PRELOAD)  # imports meanwhile

    def teardown(self, worker=None) -> None:
        """Close the launcher when the worker ends, killing the kernels it forked."""
        if self.launcher is not None:
            self.launcher.close()  # kills the kernels it forked
            self.launcher = None

    def client(self):
        """A client of the launcher once it listens, or None when it failed to start (its
        output then goes to the worker's stderr, the Slurm job's log) or has ended.
        """
        from workbench.batch.launcher import LauncherError

        with self._lock:  # a worker of several threads asks from each of them
            if self.launcher is None:
                return None
            try:
                self.launcher.wait_ready()
            except LauncherError as exc:
                print(f"workbench: {exc}\nworkbench: kernels on this worker start the "
                      "ordinary way", file=sys.stderr, flush=True)
                self.launcher = None
                return None
            if self.launcher.process.poll() is not None:
                return None
            return self.launcher.client()

    def __getstate__(self) -> dict:  # sent to the workers before any launcher exists
        return {"preload": self.preload, "launch": self.launch}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state.get("preload"), state.get("launch", True))


def run_on_slurm_worker(fn, task: Any, preload: bool = True) -> Any:
    """Run one task on a Dask worker inside a Slurm job: its kernel is forked from this
    worker's launcher (``preload``), else started the ordinary way; outputs go straight
    to ``task.out_dir``, which must be visible on the node.

    >>> run_on_slurm_worker(abs, -3)  # doctest: +SKIP
    3
    """
    out_dir = getattr(task, "out_dir", None)
    if out_dir is not None and not Path(out_dir).is_dir():
        raise SharedFilesystemError(
            f"the output folder {Path(out_dir).absolute()} is not visible on the Slurm node "
            f"{socket.gethostname()} (job {os.environ.get('SLURM_JOB_ID', '?')}); pass --out "
            "a folder on a filesystem every node mounts at the same path (docs/batch.md, Slurm)")
    if hasattr(task, "launcher"):
        launcher = None
        if preload:
            plugin = get_worker().plugins.get(PLUGIN_NAME)
            launcher = plugin.client() if plugin is not None else None
        task = replace(task, launcher=launcher)
    return fn(task)
