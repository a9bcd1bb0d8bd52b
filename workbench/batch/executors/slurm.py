"""``--executor slurm``: runs on Dask workers submitted as Slurm jobs (dask-jobqueue).

The submitting process (the login node) holds the Dask scheduler and the client;
``workers`` Slurm jobs each start one Dask worker of ``cores`` threads (so up to
``cores`` runs at once per job), with ``cores`` CPUs and ``memory`` booked for
``walltime``. Outputs are written straight into the output folder by the node that
ran the notebook, so that folder must be on a filesystem every node sees at the same
path (see :func:`check_shared_folder`), and so must the project and its Python.

Kernels on the nodes: each worker starts its own preloaded kernel launcher once, when
it joins (:class:`~workbench.batch.executors.slurm_worker.KernelLauncherPlugin`, a Dask
``WorkerPlugin``), and forks every
kernel of its runs from it, inside the Slurm job's allocation. The runner's launcher on
the submitting machine is never used (its socket is not on the node, and kernels forked
there would run outside the job).

Security: the scheduler, workers and client talk TLS with credentials made for this
batch (``Security.temporary()``); the workers' copy of the certificate and key is
written into a private (0700) folder inside the output folder, which the nodes can
read, and removed when the batch ends. The scheduler listens only on this host's
address towards the Slurm controller (or ``interface``), and no HTTP server is left
listening on the scheduler or the workers.

>>> parse_walltime("1-02:03:04"), parse_walltime("90")
(93784, 5400)
>>> SlurmExecutor(cores=0)  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
SlurmError: --slurm-cores must be a whole number >= 1, got 0
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path

from workbench.batch.executors.base import Executor
from workbench.batch.executors.dask_security import stop_http_server
from workbench.errors import (
    ClusterSecurityError,
    SharedFilesystemError,
    SlurmError,
    SlurmUnavailableError,
)

#: Filesystem types (as in /proc/mounts) that several machines mount at once.
SHARED_FILESYSTEMS = frozenset({
    "nfs", "nfs4", "lustre", "gpfs", "beegfs", "ceph", "fuse.ceph", "fuse.cephfs", "cifs",
    "smb3", "smbfs", "glusterfs", "fuse.glusterfs", "panfs", "wekafs", "afs", "ocfs2",
    "gfs2", "orangefs", "pvfs2", "fuse.sshfs", "fuse.juicefs", "fuse.gcsfuse", "virtiofs",
})
#: Job states (squeue %T) of a job that has ended.
ENDED_STATES = frozenset({"COMPLETED", "FAILED", "TIMEOUT", "CANCELLED", "NODE_FAIL",
                          "OUT_OF_MEMORY", "PREEMPTED", "BOOT_FAIL", "DEADLINE",
                          "SPECIAL_EXIT", "REVOKED"})
#: Defaults of the job options (``--slurm-walltime`` etc.).
DEFAULT_WALLTIME = "01:00:00"
DEFAULT_MEMORY = "4GB"
DEFAULT_CORES = 1
#: Slurm jobs of a batch when ``--workers`` is not given on the command line.
DEFAULT_JOBS = 4
#: Seconds between messages while no Slurm job has started its worker.
WAIT_REPORT_S = 60.0
INSTALL_HINT = "pip install 'workbench[slurm]' (or: pip install 'dask-jobqueue>=0.8')"


def parse_walltime(text: str) -> int:
    """Seconds in a Slurm time limit (``MM``, ``MM:SS``, ``HH:MM:SS``, ``D-HH``,
    ``D-HH:MM``, ``D-HH:MM:SS``); :class:`~workbench.errors.SlurmError` otherwise.

    >>> parse_walltime("00:30:00")
    1800
    """
    m = re.fullmatch(r"(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?", str(text).strip())
    if not m or (m.group(1) is None and m.group(4) is not None and m.group(3) is None):
        raise SlurmError(f"--slurm-walltime must be a Slurm time limit such as 01:00:00, "
                         f"30 (minutes) or 2-00:00:00 (days-hours:minutes:seconds), "
                         f"got {text!r}")
    days, a, b, c = (int(g) if g is not None else None for g in m.groups())
    if days is not None:  # D-HH[:MM[:SS]]
        seconds = days * 86400 + a * 3600 + (b or 0) * 60 + (c or 0)
    elif c is not None:   # HH:MM:SS
        seconds = a * 3600 + b * 60 + c
    elif b is not None:   # MM:SS
        seconds = a * 60 + b
    else:                 # MM
        seconds = a * 60
    if seconds <= 0:
        raise SlurmError(f"--slurm-walltime must be longer than zero, got {text!r}")
    return seconds


def _parse_memory(text: str) -> int:
    """Bytes in a memory size such as ``4GB`` or ``512MiB`` (named after --slurm-memory)."""
    from dask.utils import parse_bytes

    try:
        value = parse_bytes(str(text))
    except (ValueError, TypeError):
        value = None
    if not value or value < 2**20:
        raise SlurmError(f"--slurm-memory must be a memory size of at least 1 MiB such as "
                         f"4GB or 512MiB, got {text!r}")
    return int(value)


def _run(argv: list[str], what: str, timeout: float = 60) -> str:
    """The output of a Slurm command; :class:`SlurmUnavailableError` when it fails."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SlurmUnavailableError(f"{what}: {' '.join(argv)} failed: {exc}") from exc
    if done.returncode != 0:
        raise SlurmUnavailableError(f"{what}: {' '.join(argv)} exited with status "
                                    f"{done.returncode}: {(done.stderr or done.stdout).strip()}")
    return done.stdout


def jobqueue_installed() -> bool:
    """True when the ``dask-jobqueue`` package can be imported (without importing it)."""
    try:
        return importlib.util.find_spec("dask_jobqueue") is not None
    except (ImportError, ValueError):
        return False


def check_slurm_available() -> None:
    """Raise :class:`~workbench.errors.SlurmUnavailableError` unless dask-jobqueue is
    installed and Slurm's ``sbatch``, ``squeue`` and ``scancel`` are on PATH.

    >>> check_slurm_available()  # doctest: +SKIP
    """
    if not jobqueue_installed():
        raise SlurmUnavailableError(f"--executor slurm needs the 'dask-jobqueue' package, "
                                    f"which is not installed: {INSTALL_HINT}")
    missing = [cmd for cmd in ("sbatch", "squeue", "scancel") if shutil.which(cmd) is None]
    if missing:
        raise SlurmUnavailableError(
            f"--executor slurm submits jobs with Slurm's commands, but {', '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not on PATH; run workbench on a machine "
            "that can submit Slurm jobs (a cluster's login node), or load Slurm first "
            "(e.g. module load slurm)")


def filesystem_of(path: str | os.PathLike) -> tuple[str, str] | None:
    """``(mount point, filesystem type)`` holding ``path`` (or its nearest existing
    parent), from /proc/self/mounts; None where the mount table cannot be read.

    >>> filesystem_of("/")[0]  # doctest: +SKIP
    '/'
    """
    target = Path(path).absolute()
    while not target.exists() and target != target.parent:
        target = target.parent
    target = target.resolve()
    try:
        lines = Path("/proc/self/mounts").read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    best: tuple[str, str] | None = None
    for line in lines:
        fields = line.split()
        if len(fields) < 3:
            continue
        mount = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[1])
        inside = target == Path(mount) or Path(mount) in target.parents
        if inside and (best is None or len(mount) >= len(best[0])):
            best = (mount, fields[2])
    return best


def _this_host_names() -> set[str]:
    names = {socket.gethostname(), socket.gethostname().split(".")[0], socket.getfqdn()}
    return {n.lower() for n in names if n}


def partition_nodes(partition: str | None) -> list[str]:
    """Names of the nodes of ``partition`` (every partition when None), from ``sinfo``.

    >>> partition_nodes("debug")  # doctest: +SKIP
    ['node001', 'node002']
    """
    argv = ["sinfo", "--noheader", "--Node", "--format=%N"]
    if partition:
        argv.append(f"--partition={partition}")
    out = _run(argv, "could not list the Slurm nodes (is the Slurm controller reachable?)")
    nodes = sorted({line.strip() for line in out.splitlines() if line.strip()})
    if not nodes:
        where = f"partition {partition!r}" if partition else "this Slurm cluster"
        raise SlurmError(f"--slurm-partition: {where} has no nodes (sinfo lists none); "
                         "the partitions are listed by sinfo --summarize")
    return nodes


def check_shared_folder(folder: str | os.PathLike, partition: str | None = None,
                        assume_shared: bool = False) -> str:
    """Check that the Slurm nodes can see ``folder``; return why it is accepted.

    Accepted when its filesystem is one several machines mount
    (:data:`SHARED_FILESYSTEMS`: NFS, Lustre, GPFS, BeeGFS, CephFS, ...), when every node
    of ``partition`` is this machine (a one-machine Slurm), or when ``assume_shared``.
    Otherwise :class:`~workbench.errors.SharedFilesystemError`, naming the folder, its
    filesystem and the nodes.

    >>> check_shared_folder("/anything", assume_shared=True)
    'assumed shared (--slurm-assume-shared)'
    """
    if assume_shared:
        return "assumed shared (--slurm-assume-shared)"
    found = filesystem_of(folder)
    if found is not None and found[1].lower() in SHARED_FILESYSTEMS:
        return f"on {found[1]} (mounted at {found[0]})"
    nodes = partition_nodes(partition)
    here = _this_host_names()
    if all(n.lower() in here or n.lower().split(".")[0] in here for n in nodes):
        return f"every node of the partition ({', '.join(nodes)}) is this machine"
    kind = f"a local {found[1]} filesystem (mounted at {found[0]})" if found else \
        "a filesystem whose type could not be read"
    shown = ", ".join(nodes[:5]) + (f" and {len(nodes) - 5} more" if len(nodes) > 5 else "")
    raise SharedFilesystemError(
        f"--out {folder}: the output folder is on {kind} of {socket.gethostname()}, which "
        f"the Slurm nodes ({shown}) do not see; the runs write their outputs there from the "
        "nodes. Pass --out a folder on a shared filesystem that every node mounts at the same "
        "path (NFS, Lustre, GPFS, BeeGFS, CephFS: usually your home, project or scratch "
        "folder; see docs/batch.md, Slurm). If it is shared although its type is not one "
        "of these, add --slurm-assume-shared")


def address_towards_controller() -> str:
    """The IP address of this machine on the route to the Slurm controller: the address the
    scheduler listens on by default, since the nodes reach the controller's network.

    >>> address_towards_controller()  # doctest: +SKIP
    '10.1.0.5'
    """
    out = _run(["scontrol", "show", "config"], "could not read the Slurm configuration")
    m = re.search(r"^SlurmctldHost\[0\]\s*=\s*([^\s(]+)(?:\(([^)]+)\))?", out, re.MULTILINE)
    port = re.search(r"^SlurmctldPort\s*=\s*(\d+)", out, re.MULTILINE)
    if not m:
        raise SlurmUnavailableError("could not find SlurmctldHost in `scontrol show config`; "
                                    "pass --slurm-interface (the network interface the nodes "
                                    "reach this machine on, e.g. ib0 or eth0)")
    host = m.group(2) or m.group(1)
    try:
        controller = socket.getaddrinfo(host, None, socket.AF_INET)[0][4][0]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect((controller, int(port.group(1)) if port else 6817))  # sends nothing
            return s.getsockname()[0]
    except OSError as exc:
        raise SlurmUnavailableError(
            f"could not find this machine's address towards the Slurm controller {host}: "
            f"{exc}; pass --slurm-interface (the network interface the nodes reach this "
            "machine on, e.g. ib0 or eth0)") from exc


class SlurmExecutor(Executor):
    """Runs on ``workers`` Slurm jobs, each a Dask worker with ``cores`` threads, through
    dask-jobqueue's ``SLURMCluster`` (see the module docstring).

    ``partition`` (``sbatch -p``), ``account`` (``-A``), ``walltime`` (``-t``, a Slurm
    time limit), ``memory`` (``--mem``, e.g. ``"4GB"``), ``cores`` (``--cpus-per-task``
    and the worker's threads); ``interface`` binds the scheduler and the workers to that
    network interface (default: the scheduler listens on this machine's address towards
    the Slurm controller); ``scheduler_options`` go to the Dask scheduler (e.g.
    ``{"host": "10.1.0.5"}``); ``job_extra`` are more ``#SBATCH`` lines (e.g.
    ``["--qos=short"]``). ``shared_dir`` (the output folder) is checked at once, and the
    study's folder again before the jobs are submitted (:func:`check_shared_folder`);
    ``preload`` False starts every kernel on the nodes as a new Python. No more jobs are
    submitted than the runs need.

    Raises :class:`~workbench.errors.SlurmUnavailableError` when dask-jobqueue or
    ``sbatch`` is missing, :class:`~workbench.errors.SlurmError` for a wrong option.

    >>> with SlurmExecutor(workers=2, partition="short") as ex:  # doctest: +SKIP
    ...     sorted(ex.map_unordered(abs, [-2, 1]))
    [1, 2]
    """

    name = "slurm"

    def __init__(self, workers: int = 1, *, partition: str | None = None,
                 account: str | None = None, walltime: str = DEFAULT_WALLTIME,
                 memory: str = DEFAULT_MEMORY, cores: int = DEFAULT_CORES,
                 interface: str | None = None, scheduler_options: dict | None = None,
                 job_extra: Iterable[str] = (), shared_dir: str | os.PathLike | None = None,
                 assume_shared: bool = False, preload: bool = True):
        for option, value in (("--workers", workers), ("--slurm-cores", cores)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise SlurmError(f"{option} must be a whole number >= 1, got {value!r}")
        for option, value in (("--slurm-partition", partition), ("--slurm-account", account),
                              ("--slurm-interface", interface)):
            if value is not None and (not isinstance(value, str) or not value.strip()
                                      or any(c.isspace() for c in value)):
                raise SlurmError(f"{option} must be a name without spaces, got {value!r}")
        parse_walltime(walltime)
        self.memory_bytes = _parse_memory(memory)
        self.workers, self.cores = workers, cores
        self.partition, self.account, self.walltime = partition, account, str(walltime)
        self.memory, self.interface = str(memory), interface
        self.scheduler_options = dict(scheduler_options or {})
        self.job_extra = [str(x) for x in job_extra]
        self.assume_shared, self.preload = bool(assume_shared), bool(preload)
        check_slurm_available()
        if shared_dir is not None:
            check_shared_folder(shared_dir, partition, self.assume_shared)
        self._cluster = None
        self._client = None
        self._security = None
        self._tls_dir: Path | None = None
        self._log_dir: Path | None = None
        self._futures: list = []
        self._failure: SlurmError | None = None
        self._stop = threading.Event()

    @property
    def cluster(self):
        """The running ``SLURMCluster`` (None before :meth:`connect`)."""
        return self._cluster

    @property
    def client(self):
        """The connected ``distributed.Client`` (None before :meth:`connect`)."""
        return self._client

    def job_ids(self) -> list[str]:
        """The Slurm job ids submitted so far."""
        if self._cluster is None:
            return []
        return [str(job.job_id) for job in list(self._cluster.workers.values())
                if getattr(job, "job_id", None)]

    def connect(self, folder: str | os.PathLike, n_jobs: int | None = None):
        """Start the scheduler here and submit the worker jobs; return the client.

        ``folder`` is the study's output folder (checked, and home of the jobs' logs in
        ``.slurm-logs/`` and of the workers' TLS files while the batch runs).
        """
        if self._client is not None:
            return self._client
        folder = Path(folder)
        check_shared_folder(folder, self.partition, self.assume_shared)
        import dask
        from dask_jobqueue import SLURMCluster
        from distributed import Client
        from distributed.security import Security

        try:
            security = Security.temporary()
        except ImportError as exc:
            raise ClusterSecurityError("the Slurm cluster's TLS credentials need the "
                                       "'cryptography' package (pip install "
                                       "'cryptography>=42')") from exc
        scheduler_options = {"dashboard_address": "127.0.0.1:0", "dashboard": False,
                             **self.scheduler_options}
        if self.interface is None and "host" not in scheduler_options \
                and "interface" not in scheduler_options:
            scheduler_options["host"] = address_towards_controller()
        folder.mkdir(parents=True, exist_ok=True)
        self._tls_dir = Path(tempfile.mkdtemp(prefix=".slurm-tls-", dir=folder))  # 0700
        log_dir = self._log_dir = folder / ".slurm-logs"
        options = {
            "queue": self.partition, "account": self.account, "walltime": self.walltime,
            "cores": self.cores, "processes": 1, "memory": self.memory,
            "job_name": f"workbench-{folder.name}"[:60], "python": sys.executable,
            "interface": self.interface, "scheduler_options": scheduler_options,
            "security": security, "shared_temp_directory": str(self._tls_dir),
            "log_directory": str(log_dir), "silence_logs": "error", "death_timeout": 120,
            # the worker's HTTP server (metrics, info pages): no pages, localhost only,
            # stopped by the plugin once the worker has joined
            "worker_extra_args": ["--dashboard-address", "127.0.0.1:0", "--no-dashboard"],
            "job_script_prologue": ["export DASK_DISTRIBUTED__WORKER__HTTP__ROUTES='[]'",
                                 f"cd {_shell_quote(os.getcwd())}"],
            "job_extra_directives": self.job_extra}
        try:
            with dask.config.set({"distributed.scheduler.http.routes": []}):
                cluster = SLURMCluster(**options)
        except BaseException:
            self._remove_tls_dir()
            raise
        try:
            if not cluster.scheduler_address.startswith("tls://"):
                raise ClusterSecurityError(f"the Slurm cluster's scheduler listens on "
                                           f"{cluster.scheduler_address}, not tls://")
            _test_job_script(cluster.job_script(), self)
            client = Client(cluster, security=security)
            client.run_on_scheduler(stop_http_server)
            from workbench.batch.executors.slurm_worker import PLUGIN_NAME, KernelLauncherPlugin

            client.register_plugin(KernelLauncherPlugin(launch=self.preload), name=PLUGIN_NAME)
            cluster.scale(jobs=n_jobs or self.workers)
        except BaseException:
            cluster.close()
            self._remove_tls_dir(cluster)
            raise
        self._cluster, self._client, self._security = cluster, client, security
        print(f"workbench: Dask scheduler at {cluster.scheduler_address} (TLS); submitting "
              f"{n_jobs or self.workers} Slurm job(s), logs in {log_dir}", file=sys.stderr)
        threading.Thread(target=self._watch_jobs, name="slurm-watch", daemon=True).start()
        return client

    def _watch_jobs(self) -> None:
        """While no Dask worker is connected: say what the jobs wait for (when it changes),
        and fail the batch when every job has ended (e.g. its worker could not reach the
        scheduler, or the walltime ran out) while runs remain.
        """
        last = None
        while not self._stop.wait(5.0 if last is None else WAIT_REPORT_S):
            cluster = self._cluster
            if cluster is None:
                return
            if cluster.scheduler.workers:
                last = ""
                continue
            ids = self.job_ids()
            if not ids:
                continue
            try:
                out = _run(["squeue", "--noheader", f"--jobs={','.join(ids)}",
                            "--format=%i %T %r"], "squeue", timeout=30)
            except SlurmError:
                out = ""  # squeue refuses ids it no longer knows: they have all ended
            states = {s[0]: s[1:] for s in (line.split(None, 2) for line in out.splitlines())
                      if s}
            alive = {j: s for j, s in states.items() if s and s[0] not in ENDED_STATES}
            if alive:
                text = "; ".join(f"job {j} {s[0].lower()}"
                                 + (f" ({s[1]})" if len(s) > 1 and s[1] != "None" else "")
                                 for j, s in sorted(alive.items()))
                if text != last:
                    print(f"workbench: no Dask worker connected yet: {text} (squeue -u "
                          "$USER; see docs/batch.md, Slurm)", file=sys.stderr)
                    last = text
                continue
            if cluster.scheduler.workers:
                continue
            ended = ", ".join(f"{j} ({states[j][0].lower()})" if states.get(j) else j
                              for j in ids)
            self._failure = SlurmError(
                f"every Slurm job of this batch has ended with runs left and no Dask worker "
                f"connected: {ended}. Their logs are in {self._log_dir}. A worker that could "
                f"not reach the scheduler at {cluster.scheduler_address} needs "
                "--slurm-interface (the network interface the nodes reach this machine on); "
                "a job that ran out of time needs a longer --slurm-walltime")
            if self._client is not None and self._futures:
                self._client.cancel(self._futures, force=True)
            return

    def map_unordered(self, fn, tasks):
        """Yield ``fn(task)`` for every task as it completes on a Slurm job's Dask worker.

        The first call submits the jobs, no more than the tasks need at ``cores`` a job and
        at most ``workers``, with the tasks' output folder (the current folder when they
        have several) as the home of the jobs' logs. When every job has ended with runs
        left, the error saying why is raised.
        """
        from distributed import as_completed as dask_completed

        tasks = list(tasks)
        if not tasks:
            return
        folders = {Path(t.out_dir) for t in tasks if getattr(t, "out_dir", None) is not None}
        folder = next(iter(folders)) if len(folders) == 1 else Path.cwd()
        n_jobs = min(self.workers, math.ceil(len(tasks) / self.cores))
        client = self.connect(folder, n_jobs)
        from workbench.batch.executors.slurm_worker import run_on_slurm_worker

        self._futures = [client.submit(run_on_slurm_worker, fn, t, self.preload, pure=False,
                                       retries=0) for t in tasks]
        for fut in dask_completed(self._futures):
            if fut.cancelled() and self._failure is not None:
                raise self._failure
            yield fut.result()

    def _remove_tls_dir(self, cluster=None) -> None:
        """Remove the workers' copy of the TLS credentials (dask-jobqueue keeps them open as
        temporary files on the cluster, ``_job_<key>``: closed first, which deletes them).
        """
        for key in ("ca_file", "cert", "key"):
            handle = getattr(cluster, f"_job_{key}", None)
            if handle is not None:
                handle.close()
        if self._tls_dir is not None:
            shutil.rmtree(self._tls_dir, ignore_errors=True)
            self._tls_dir = None

    def close(self) -> None:
        """Stop watching the jobs, close the client and cancel every job (``scancel``),
        and remove the workers' copy of the TLS credentials.
        """
        self._stop.set()
        if self._client is not None:
            self._client.close()
            self._client = None
        cluster, self._cluster = self._cluster, None
        if cluster is not None:
            cluster.close()  # scancel of every job
        self._remove_tls_dir(cluster)

    def abort(self) -> None:
        """Cancel every submitted task (running ones too), then :meth:`close`."""
        if self._client is not None and self._futures:
            self._client.cancel(self._futures, force=True)
        self.close()


def _shell_quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


def _test_job_script(script: str, ex: SlurmExecutor) -> None:
    """``sbatch --test-only`` the worker job script: a wrong partition, account, time or
    memory is refused now, naming the option, instead of leaving a job that never runs.
    """
    with tempfile.NamedTemporaryFile("w", suffix=".sh", prefix="workbench-slurm-") as f:
        f.write(script)
        f.flush()
        try:
            done = subprocess.run(["sbatch", "--test-only", f.name], capture_output=True,
                                  text=True, timeout=60, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SlurmUnavailableError(f"sbatch --test-only failed: {exc}") from exc
    if done.returncode == 0:
        return
    said = (done.stderr or done.stdout).strip()
    low = said.lower()
    option = ("--slurm-partition" if "partition" in low else
              "--slurm-account" if "account" in low or "association" in low else
              "--slurm-walltime" if "time limit" in low else
              "--slurm-memory" if "memory" in low else
              "--slurm-cores" if "cpu" in low or "processor" in low else "the Slurm options")
    given = {"--slurm-partition": ex.partition, "--slurm-account": ex.account,
             "--slurm-walltime": ex.walltime, "--slurm-memory": ex.memory,
             "--slurm-cores": ex.cores}.get(option)
    shown = f" {given}" if given is not None else ""
    raise SlurmError(f"Slurm refuses the worker job: {said} (check {option}{shown}; "
                     "sinfo --summarize lists the partitions and their time limits)")


__all__ = [
    "SlurmExecutor",
    "check_shared_folder",
    "check_slurm_available",
    "parse_walltime",
]
