"""``--executor dask``: runs on a Dask distributed cluster, local and closed or remote over TLS.

The local cluster is closed: its scheduler and workers talk TLS with temporary
credentials on 127.0.0.1 only and serve no dashboard unless asked; a remote scheduler
must be a ``tls://`` address with the user's certificates
(:func:`~workbench.batch.executors.dask_security.scheduler_security`). Each worker of
the local cluster leaves ``rfc3987_syntax`` out of its imports before its first run
(:func:`~workbench.batch.lean_imports.leave_out_rfc3987_syntax`); a remote cluster's
workers, which may serve others, are left as they are.

>>> DaskExecutor(workers=2).workers
2
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable
from typing import Any

from workbench.batch.executors.base import Executor
from workbench.batch.executors.dask_security import (
    InsecureClusterWarning,
    insecure_scheduler_message,
    scheduler_security,
    stop_http_server,
)
from workbench.batch.lean_imports import leave_out_rfc3987_syntax
from workbench.errors import ClusterSecurityError, WorkbenchError

#: Where ``dashboard=True`` serves the local cluster's dashboard (localhost only).
LOCAL_DASHBOARD_ADDRESS = "127.0.0.1:8787"


def _run_on_dask_worker(fn: Callable[[Any], Any], task: Any) -> Any:
    """Run one task in a Dask worker: with this machine's launcher if it is reachable,
    else with kernels started the ordinary way; outputs go straight to ``task.out_dir``,
    which must be visible from the worker (the submitting machine's disk for a
    LocalCluster, or a shared ``--out``).
    """
    from dataclasses import replace

    out_dir = getattr(task, "out_dir", None)
    if out_dir is not None and not out_dir.is_dir():
        raise WorkbenchError(f"the output folder {out_dir} is not visible from the Dask worker "
                             "on this machine; pass a folder shared by every worker with --out")
    launcher = getattr(task, "launcher", None)
    if launcher is not None and not launcher.alive():
        task = replace(task, launcher=None)  # another machine: the socket is not here
    return fn(task)


class DaskExecutor(Executor):
    """Runs on a Dask distributed cluster: the scheduler at ``scheduler``, or a
    ``LocalCluster`` of ``workers`` single-threaded worker processes when None.

    The local cluster is closed: every connection (client, scheduler, nanny, worker) is
    TLS with credentials made for this cluster alone (``Security.temporary()``, kept in
    memory), everything listens on 127.0.0.1, and no HTTP server is left listening unless
    ``dashboard`` (then the dashboard is at http://127.0.0.1:8787/status, or another port
    when that one is taken; it is plain HTTP, readable by every user of this machine).

    A remote ``scheduler`` must be ``tls://`` with the CA certificate ``tls_ca_file`` and
    this user's ``tls_cert`` and ``tls_key`` (or the Dask config's
    ``distributed.comm.tls.*``); a ``tcp://`` one is refused unless ``insecure``, which
    warns (:class:`InsecureClusterWarning`). See :func:`scheduler_security`.

    Dask worker processes are daemonic, and Python's multiprocessing refuses to start
    children from them; kernels are not multiprocessing children (they are forked
    by the kernel launcher, or started with ``subprocess.Popen``), so they start
    from Dask workers as they do anywhere.

    >>> with DaskExecutor(workers=1) as ex:  # doctest: +SKIP
    ...     sorted(ex.map_unordered(abs, [-2, 1]))
    [1, 2]
    >>> DaskExecutor(scheduler="tcp://10.0.0.5:8786")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ClusterSecurityError: refusing the Dask scheduler at tcp://10.0.0.5:8786: ...
    """

    name = "dask"

    def __init__(self, workers: int = 1, scheduler: str | None = None, *,
                 tls_ca_file: str | os.PathLike | None = None,
                 tls_cert: str | os.PathLike | None = None,
                 tls_key: str | os.PathLike | None = None,
                 insecure: bool = False, dashboard: bool = False):
        if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
            raise WorkbenchError(f"workers must be a whole number >= 1, got {workers!r}")
        self.workers = workers
        self.scheduler = scheduler
        self.dashboard = bool(dashboard)
        self._security = None
        if scheduler is None:
            given = [opt for opt, v in (("--tls-ca-file", tls_ca_file), ("--tls-cert", tls_cert),
                                        ("--tls-key", tls_key), ("--insecure", insecure or None))
                     if v is not None]
            if given:
                raise ClusterSecurityError(
                    f"{', '.join(given)} only apply to a remote scheduler (--scheduler "
                    "tls://HOST:PORT); the local Dask cluster always uses TLS with "
                    "credentials of its own")
        else:
            if self.dashboard:
                raise ClusterSecurityError(
                    "--dashboard applies to the local Dask cluster; a remote scheduler's "
                    "dashboard is chosen when it is started (dask scheduler "
                    "--dashboard-address ...)")
            self._security = scheduler_security(scheduler, tls_ca_file=tls_ca_file,
                                                tls_cert=tls_cert, tls_key=tls_key,
                                                insecure=insecure)
            if self._security is None:
                warnings.warn(insecure_scheduler_message(scheduler), InsecureClusterWarning,
                              stacklevel=2)
        self._cluster = None
        self._client = None
        self._futures: list = []

    @property
    def cluster(self):
        """The running ``LocalCluster`` (None for a remote scheduler or before the first
        :meth:`map_unordered` or :meth:`connect`).
        """
        return self._cluster

    @property
    def client(self):
        """The connected ``distributed.Client`` (None until :meth:`connect`)."""
        return self._client

    @property
    def security(self):
        """The ``distributed.Security`` the client connects with (None: no TLS, --insecure;
        for the local cluster, set once it has started).
        """
        return self._security

    def connect(self):
        """Start the local cluster or reach the remote scheduler; return the client.

        Called by :meth:`map_unordered` when needed; call it first to inspect
        :attr:`cluster` before any task runs.
        """
        if self._client is not None:
            return self._client
        try:
            from distributed import Client, LocalCluster
            from distributed.security import Security
        except ModuleNotFoundError as exc:
            raise WorkbenchError("--executor dask needs the 'distributed' package "
                                 "(pip install 'dask[distributed]')") from exc
        if self.scheduler:
            try:
                self._client = Client(self.scheduler, security=self._security, timeout="30s")
            except (OSError, TypeError, ValueError) as exc:
                hint = (" (check that --tls-ca-file is the CA that signed the scheduler's "
                        "certificate, and that the scheduler trusts --tls-cert)"
                        if self._security is not None else "")
                raise WorkbenchError(f"could not reach the Dask scheduler at "
                                     f"{self.scheduler!r}: {exc}{hint}") from exc
            return self._client
        try:
            security = Security.temporary()
        except ImportError as exc:
            raise ClusterSecurityError("the local Dask cluster's TLS credentials need the "
                                       "'cryptography' package (pip install "
                                       "'cryptography>=42')") from exc
        options = {"n_workers": self.workers, "threads_per_worker": 1, "processes": True,
                   "host": "127.0.0.1", "protocol": "tls://", "security": security,
                   "silence_logs": 40, "worker_dashboard_address": None}
        http: dict[str, list] = {}
        if self.dashboard:
            options["dashboard_address"] = LOCAL_DASHBOARD_ADDRESS
        else:
            # The scheduler and every worker always start an HTTP server (info pages,
            # metrics): start them with no pages on a free localhost port, then stop them.
            options["dashboard_address"] = None
            options["scheduler_kwargs"] = {"dashboard_address": "127.0.0.1:0"}
            http = {"distributed.scheduler.http.routes": [],
                    "distributed.worker.http.routes": []}
        import dask

        with dask.config.set(http):
            cluster = LocalCluster(**options)
        try:
            client = Client(cluster, security=security)
            if not cluster.scheduler_address.startswith("tls://"):
                raise ClusterSecurityError(f"the local Dask cluster listens on "
                                           f"{cluster.scheduler_address}, not tls://")
            open_workers = [a for a in cluster.scheduler.workers if not a.startswith("tls://")]
            if open_workers:
                raise ClusterSecurityError(f"Dask workers listen without TLS: {open_workers}")
            if self.dashboard:
                print(f"workbench: Dask dashboard at {cluster.dashboard_link}",
                      file=sys.stderr)
            else:
                client.run_on_scheduler(stop_http_server)
                client.run(stop_http_server)
            client.run(leave_out_rfc3987_syntax)  # before a task imports jsonschema
        except BaseException:
            cluster.close()
            raise
        self._cluster, self._client, self._security = cluster, client, security
        return client

    def map_unordered(self, fn, tasks):
        """Yield ``fn(task)`` for every task as its Dask future completes, connecting to
        the cluster first; a task is tried once (no retries).
        """
        from distributed import as_completed as dask_completed

        tasks = list(tasks)
        if not tasks:
            return
        client = self.connect()
        self._futures = [client.submit(_run_on_dask_worker, fn, t, pure=False, retries=0)
                         for t in tasks]
        for fut in dask_completed(self._futures):
            yield fut.result()

    def close(self) -> None:
        """Close the client, and the local cluster if this executor started one (a remote
        cluster is left running).
        """
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def abort(self) -> None:
        """Cancel every submitted task (running ones too), then :meth:`close`."""
        if self._client is not None and self._futures:
            self._client.cancel(self._futures, force=True)
        self.close()

