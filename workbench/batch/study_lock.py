"""One runner at a time in a study's output folder.

Two ``workbench run`` commands writing one study folder at once would write the same run
folders and index, each overwriting what the other wrote. :class:`StudyLock` makes the
second one stop before it writes anything: the runner holds an exclusive ``flock`` on
``<out>/<study>/.workbench-run.lock`` for the whole batch (the kernel releases it when
the process ends, even by SIGKILL), and the file holds the holder's process id, host,
start time and a fingerprint of the process (its start time since boot), so the one
refused can be told who holds it.

The file is removed when the batch ends (while the lock is held; a runner that locked a
file no longer at that path tries again). When the lock is free but the file still
names a process (one killed before it could remove it):

* on this host, a process that no longer runs (or a new process that reuses its id:
  the fingerprint differs) leaves a stale lock, which is taken over with a note;
* on this host, a process that still runs (the file system did not honour ``flock``)
  holds it: the study is refused;
* on another host, this machine cannot tell: the study is refused, naming the file to
  delete once that process is known to have ended.

>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> with StudyLock(folder) as lock:
...     holder = read_holder(folder / LOCK_FILE)
...     holder["pid"] == os.getpid(), lock.note
(True, '')
>>> (folder / LOCK_FILE).exists()
False
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from contextlib import suppress
from pathlib import Path
from typing import Self

from workbench.batch.provenance import utc_now
from workbench.errors import StudyError
from workbench.files import output_errors, pid_alive

#: The lock file in a study's output folder (hidden: no run folder can be called so).
LOCK_FILE = ".workbench-run.lock"
#: How long a runner waits for a lock whose holder has not yet written its name.
_UNNAMED_WAIT_S = 2.0


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def process_fingerprint(pid: int) -> str | None:
    """What tells process ``pid`` apart from a later one given the same id: the boot and
    its start time since boot (Linux ``/proc``); None when it does not run or cannot
    be read.

    >>> process_fingerprint(os.getpid()) == process_fingerprint(os.getpid()) is not None
    True
    """
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rpartition(")")[2].split()
    return f"{_boot_id()}:{fields[19]}" if len(fields) > 19 else None


def read_holder(path: Path) -> dict:
    """The holder a lock file names (``pid``, ``host``, ``started``, ``fingerprint``,
    ``command``), or {} when it is empty, unreadable or missing.
    """
    try:
        record = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) and "pid" in record else {}


def describe_holder(holder: dict) -> str:
    """``process 123 on host h, started 2026-01-01T10:00:00Z``.

    >>> describe_holder({"pid": 123, "host": "h", "started": "2026-01-01T10:00:00Z"})
    'process 123 on host h, started 2026-01-01T10:00:00Z'
    """
    return (f"process {holder.get('pid', '?')} on host {holder.get('host', '?')}, "
            f"started {holder.get('started', 'at an unknown time')}")


class StudyLock:
    """The exclusive right to write one study's output folder (see the module docstring).

    :meth:`acquire` raises :class:`~workbench.errors.StudyError` naming the holder's
    process, host and start time when another runner holds it; after taking over a
    stale lock, :attr:`note` says whose it was. Use it as a context manager.
    """

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.path = self.folder / LOCK_FILE
        self.note = ""
        self._fd: int | None = None

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def _refuse(self, holder: dict, why: str = "") -> StudyError:
        who = describe_holder(holder) if holder else "another process (it has not yet " \
            "written its name)"
        return StudyError(
            f"{self.folder}: another workbench run is writing this study's outputs: {who}"
            f"{why} (lock file {self.path}). Wait for it to finish, or write this run "
            "elsewhere with --out; if that process is no longer running, delete the lock file")

    def _open_locked(self) -> int:
        """A descriptor of the lock file at :attr:`path` holding its ``flock``, or raise."""
        deadline = time.monotonic() + _UNNAMED_WAIT_S
        while True:
            with output_errors(self.path, within=[self.folder]):
                self.folder.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                holder = read_holder(self.path)
                if holder or time.monotonic() > deadline:
                    raise self._refuse(holder) from None
                time.sleep(0.05)  # the holder is writing its name
                continue
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                return fd
            os.close(fd)  # its holder removed that file on release: lock the one there now

    def acquire(self) -> None:
        """Take the lock, or raise :class:`~workbench.errors.StudyError` naming its holder."""
        fd = self._open_locked()
        try:
            self._check_previous(read_holder(self.path))
            record = {"pid": os.getpid(), "host": socket.gethostname(), "started": utc_now(),
                      "fingerprint": process_fingerprint(os.getpid()),
                      "command": "workbench run"}
            with output_errors(self.path, within=[self.folder]):
                os.ftruncate(fd, 0)
                os.pwrite(fd, (json.dumps(record, sort_keys=True) + "\n").encode("utf-8"), 0)
                os.fsync(fd)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def _check_previous(self, holder: dict) -> None:
        """The lock is free; refuse when the file still names a process that may run."""
        if not holder or holder.get("pid") == os.getpid() and \
                holder.get("fingerprint") == process_fingerprint(os.getpid()):
            return
        if holder.get("host") != socket.gethostname():
            raise self._refuse(holder, f"; this machine ({socket.gethostname()}) cannot tell "
                                       "whether a process on another host still runs")
        pid = holder.get("pid")
        if isinstance(pid, int) and pid_alive(pid):
            recorded, now = holder.get("fingerprint"), process_fingerprint(pid)
            if recorded is None or now is None or recorded == now:
                raise self._refuse(holder, ", still running")
        self.note = (f"took over the lock of {describe_holder(holder)}, which ended without "
                     "releasing it; its unfinished run folders were removed")

    def release(self) -> None:
        """Remove the lock file and release the lock."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            self.path.unlink(missing_ok=True)
        except OSError:
            with suppress(OSError):
                os.ftruncate(fd, 0)  # cannot remove it: leave it naming nobody
        finally:
            os.close(fd)
