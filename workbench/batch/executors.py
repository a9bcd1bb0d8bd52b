"""Where runs execute: one registry, so that local processes and Dask plug in alike.

An executor takes a picklable function and a list of picklable tasks and yields
each result as soon as it is ready (in completion order). The runner never knows
which executor it drives.

>>> sorted(available_executors())
['dask', 'local', 'slurm']
>>> with get_executor("local", workers=1) as ex:
...     sorted(ex.map_unordered(abs, [-2, 1]))
[1, 2]

The Dask executor is closed by default: its local cluster talks TLS with temporary
credentials on 127.0.0.1 only and serves no dashboard, and a remote scheduler must be a
``tls://`` address with the user's certificates (see :func:`scheduler_security`).
The Slurm executor (Dask workers as Slurm jobs) is in :mod:`workbench.batch.slurm_executor`
and registers itself here as ``slurm``.

Why one module: it is the executor registry with the two executors the runner always has
(local processes and Dask), whose security settings (TLS, the closed HTTP server) belong
with :class:`DaskExecutor`; Slurm already lives in :mod:`workbench.batch.slurm_executor`.
"""

from __future__ import annotations

import importlib
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Self

from workbench.errors import ClusterSecurityError, WorkbenchError

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

    def start(self, n_tasks: int) -> None:
        """Start getting workers ready for up to ``n_tasks`` tasks, without waiting for them,
        so that they start while the caller prepares the tasks (nothing by default)."""

    def close(self) -> None:
        """Release workers (nothing to do by default)."""

    def abort(self) -> None:
        """Stop at once (Ctrl-C): drop queued tasks and end the workers; default: close."""
        self.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


#: What a local worker imports to drive a run and render its report, imported once per
#: batch (not by each worker in a new interpreter: about 1 s of CPU per worker); the
#: last one renders a small report (see :mod:`workbench.batch.warm_worker`).
WORKER_PRELOAD = ("workbench.batch.execute", "workbench.batch.engine", "workbench.batch.kernels",
                  "workbench.report.run_report", "papermill", "nbclient",
                  "nbconvert.exporters.html", "workbench.batch.warm_worker")


def worker_context() -> multiprocessing.context.BaseContext:
    """The start method of local workers, with :data:`WORKER_PRELOAD` loaded where they
    are forked from:

    * ``fork`` of this process, on Linux, when it runs no other thread (as the command
      line does when a batch starts): the modules are imported here first;
    * else ``forkserver`` where the platform has it (a process with threads, such as a
      Jupyter kernel, must not fork itself): a server process imports them;
    * else ``spawn`` (each worker imports what it uses).
    """
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        for name in WORKER_PRELOAD:
            importlib.import_module(name)
        return multiprocessing.get_context("fork")
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(WORKER_PRELOAD))  # read when the server starts
    return context


@register_executor("local")
class LocalExecutor(Executor):
    """Runs on this machine: in this process when ``workers == 1``, else in a pool of
    ``workers`` worker processes, each running one task at a time.

    Every run still gets its own kernel process; the worker only drives it. Workers are
    forked with their modules loaded (from this process or a fork server, see
    :func:`worker_context`) and are given this process's environment with each task,
    so a variable set before a batch reaches its runs even when the server is older.
    They ignore Ctrl-C (the runner stops them) and end when the runner ends, even by
    SIGKILL. :meth:`start` forks them before the caller starts any thread.
    """

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
        if self._starting is not None:
            self._starting.join()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def abort(self) -> None:
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


#: Address schemes whose connections distributed encrypts and authenticates.
SECURE_SCHEMES = ("tls", "wss")
#: Dask config keys a remote scheduler's certificates are read from when not given.
TLS_CONFIG_KEYS = {"tls_ca_file": "distributed.comm.tls.ca-file",
                   "tls_client_cert": "distributed.comm.tls.client.cert",
                   "tls_client_key": "distributed.comm.tls.client.key"}
#: Where ``dashboard=True`` serves the local cluster's dashboard (localhost only).
LOCAL_DASHBOARD_ADDRESS = "127.0.0.1:8787"


class InsecureClusterWarning(UserWarning):
    """A Dask scheduler is used without TLS because ``insecure=True`` was asked for."""


def _scheme(address: str) -> str:
    """The scheme of a Dask address; Dask's default (``tcp``) when it has none."""
    if "://" in address:
        return address.split("://", 1)[0].lower()
    import dask

    return str(dask.config.get("distributed.comm.default-scheme", "tcp")).lower()


def insecure_scheduler_message(scheduler: str) -> str:
    """What a user is told when a scheduler is used without TLS (``--insecure``).

    >>> insecure_scheduler_message("tcp://10.0.0.5:8786").split(":")[0]
    'the Dask scheduler at tcp'
    """
    return (f"the Dask scheduler at {scheduler} is used without TLS (--insecure): anyone who "
            "can reach it can run code as the users of its workers, and can read the "
            "study's tasks and results on the network")


def _tls_setting(name: str, given: str | os.PathLike | None) -> str | None:
    """``given``, else the value of the Dask config key for ``name`` (None when unset)."""
    if given is not None:
        return os.fspath(given)
    import dask

    value = dask.config.get(TLS_CONFIG_KEYS[name], None)
    return os.fspath(value) if value else None


def scheduler_security(scheduler: str, *, tls_ca_file: str | os.PathLike | None = None,
                       tls_cert: str | os.PathLike | None = None,
                       tls_key: str | os.PathLike | None = None, insecure: bool = False):
    """The ``distributed.Security`` for connecting to the remote scheduler at ``scheduler``,
    or :class:`~workbench.errors.ClusterSecurityError` when it would leave the cluster open.

    A ``tls://`` (or ``wss://``) address needs the CA certificate that signed the
    scheduler's certificate and this user's certificate and key. Each comes from its
    argument, else from the Dask config (``distributed.comm.tls.ca-file``,
    ``distributed.comm.tls.client.cert``, ``distributed.comm.tls.client.key``; the key may
    be inside the certificate file). A ``tcp://`` address, or one without a scheme, is
    refused unless ``insecure`` (then None is returned: no TLS). Nothing connects here.

    >>> try:
    ...     scheduler_security("tcp://10.0.0.5:8786")
    ... except ClusterSecurityError as exc:
    ...     print(str(exc).split(":")[0])
    refusing the Dask scheduler at tcp
    >>> scheduler_security("tcp://10.0.0.5:8786", insecure=True) is None
    True
    """
    if not isinstance(scheduler, str) or not scheduler.strip():
        raise ClusterSecurityError(f"the Dask scheduler address must be text such as "
                                   f"tls://host:8786, got {scheduler!r}")
    import distributed  # noqa: F401  (loads distributed's defaults into the Dask config)

    scheme = _scheme(scheduler)
    given = {"tls_ca_file": tls_ca_file, "tls_client_cert": tls_cert,
             "tls_client_key": tls_key}
    if scheme not in SECURE_SCHEMES:
        if any(v is not None for v in given.values()):
            raise ClusterSecurityError(
                f"TLS certificates were given but the Dask scheduler address {scheduler!r} "
                f"is {scheme}://, which does not use them; write it as tls://"
                f"{scheduler.split('://', 1)[-1]}")
        if insecure:
            return None
        raise ClusterSecurityError(
            f"refusing the Dask scheduler at {scheduler}: {scheme}:// connections are neither "
            "encrypted nor authenticated, so anyone who can reach the scheduler can run code "
            "as the users of its workers. Start the scheduler with TLS (dask scheduler "
            "--tls-ca-file ca.pem --tls-cert scheduler.pem --tls-key scheduler-key.pem) and "
            "connect with --scheduler tls://HOST:8786 --tls-ca-file ca.pem --tls-cert "
            "client.pem --tls-key client-key.pem (see docs/batch.md, Dask); --insecure "
            "connects without TLS, at that risk")
    settings = {name: _tls_setting(name, value) for name, value in given.items()}
    missing = [opt for opt, name in (("--tls-ca-file", "tls_ca_file"),
                                     ("--tls-cert", "tls_client_cert"))
               if not settings[name]]
    if missing:
        raise ClusterSecurityError(
            f"the Dask scheduler at {scheduler} uses TLS, but no {' or '.join(missing)} was "
            "given (nor distributed.comm.tls.ca-file / distributed.comm.tls.client.cert in "
            "the Dask config): the connection needs the CA certificate that signed the "
            "scheduler's certificate and this user's certificate and key, e.g. "
            "--tls-ca-file ca.pem --tls-cert client.pem --tls-key client-key.pem")
    for name, path in settings.items():
        if path is not None and not os.path.isfile(path):
            option = {"tls_ca_file": "--tls-ca-file", "tls_client_cert": "--tls-cert",
                      "tls_client_key": "--tls-key"}[name]
            raise ClusterSecurityError(f"{option} {path}: no such file (the "
                                       f"{TLS_CONFIG_KEYS[name]} setting)")
    from distributed.security import Security

    return Security(require_encryption=True,
                    **{k: v for k, v in settings.items() if v is not None})


def _stop_http_server(dask_worker=None, dask_scheduler=None) -> None:
    """On a Dask worker or scheduler: stop listening for HTTP (metrics, info pages)."""
    server = dask_worker if dask_worker is not None else dask_scheduler
    server.http_server.stop()
    server.services.pop("dashboard", None)


@register_executor("dask")
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
        :meth:`map_unordered` or :meth:`connect`)."""
        return self._cluster

    @property
    def client(self):
        """The connected ``distributed.Client`` (None until :meth:`connect`)."""
        return self._client

    @property
    def security(self):
        """The ``distributed.Security`` the client connects with (None: no TLS, --insecure;
        for the local cluster, set once it has started)."""
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
                client.run_on_scheduler(_stop_http_server)
                client.run(_stop_http_server)
        except BaseException:
            cluster.close()
            raise
        self._cluster, self._client, self._security = cluster, client, security
        return client

    def map_unordered(self, fn, tasks):
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


# The Slurm executor registers itself (it imports dask-jobqueue only when a batch starts).
from workbench.batch import slurm_executor as _slurm_executor  # noqa: F401
