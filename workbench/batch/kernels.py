"""Kernel managers for batch runs: kernels forked by the launcher, talking over private sockets.

:func:`kernel_manager_class` returns a jupyter_client ``AsyncKernelManager`` subclass
that papermill uses for one run. Its kernel:

- is forked by the :mod:`~workbench.batch.launcher` (heavy modules already imported)
  through :class:`ForkProvisioner`, a jupyter_client kernel provisioner; when no
  launcher is given, or the kernelspec does not start this Python's ipykernel, the
  ordinary ``Popen`` launch is used;
- talks over ZeroMQ ``ipc`` sockets in a fresh private folder, never TCP ports, so
  runs on one machine cannot collide on ports. The folder is
  ``<tmp>/wbk-<pid>-<random>`` (short: socket paths are limited to 107 bytes), where
  ``<pid>`` is the process driving the kernel. It is removed when the run ends, however
  it ends (:func:`remove_socket_folders`, called by the executor after the kernel is
  stopped, also after a kill or a timeout), and folders whose process has ended (a
  runner killed with SIGKILL) are swept when the next kernel manager class is made
  (:func:`sweep_socket_folders`);
- writes its stdout/stderr into the run's log;
- is recorded in ``started`` so a watchdog can kill it when the run's wall-clock
  time is up.

>>> cls = kernel_manager_class(launcher=None)          # doctest: +SKIP
>>> papermill.execute_notebook(..., kernel_manager_class=cls)   # doctest: +SKIP
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import Any as AnyTrait

from workbench.batch.launcher import ForkedProcess, LauncherClient, LauncherError


def kernel_arguments(cmd: list[str]) -> list[str] | None:
    """The ipykernel arguments of ``cmd`` when it starts this Python's ipykernel (what the
    launcher can fork instead), else None. Interpreter flags before ``-m`` (such as
    ``-Xfrozen_modules=off``, which ipykernel's own kernelspec adds) are dropped: they
    only matter when a new interpreter starts.

    >>> kernel_arguments([sys.executable, "-Xfrozen_modules=off", "-m", "ipykernel_launcher",
    ...                   "-f", "k.json"])
    ['-f', 'k.json']
    >>> kernel_arguments(["/usr/bin/R", "--slave"]) is None
    True
    """
    if "-m" not in cmd:
        return None
    i = cmd.index("-m")
    if i + 1 >= len(cmd) or cmd[i + 1] != "ipykernel_launcher":
        return None
    if not all(flag.startswith("-") for flag in cmd[1:i]):
        return None
    try:
        if Path(cmd[0]).resolve() != Path(sys.executable).resolve():
            return None
    except OSError:
        return None
    return list(cmd[i + 2:])


class ForkProvisioner(LocalProvisioner):
    """A kernel provisioner that asks the launcher to fork the kernel instead of ``Popen``.

    Everything else (connection file, environment, shutdown, signals through the
    process group) is :class:`~jupyter_client.provisioning.LocalProvisioner`'s.
    """

    launcher = AnyTrait(None, allow_none=True)  # a LauncherClient, or None for Popen

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        args = kernel_arguments(cmd) if self.launcher is not None else None
        if args is None:
            return await super().launch_kernel(cmd, **kwargs)
        out, err = kwargs.get("stdout"), kwargs.get("stderr")
        # Popen would inherit this process's working directory (papermill sets it to the
        # notebook's folder); a forked kernel gets it explicitly
        cwd = str(kwargs.get("cwd") or Path.cwd())
        pid = self.launcher.fork(args, cwd, kwargs.get("env") or dict(os.environ),
                                 stdout=out.fileno() if out is not None else None,
                                 stderr=err.fileno() if err is not None else None)
        self.process = ForkedProcess(self.launcher, pid)
        self.pid = self.pgid = pid  # each forked kernel leads its own session
        self.cwd = cwd
        return self.connection_info


#: Name prefix of kernel socket folders in the temporary folder (``wbk-<pid>-<random>``).
SOCKET_PREFIX = "wbk-"
_SOCKET_RX = re.compile(rf"^{SOCKET_PREFIX}(\d+)-")


def socket_folder() -> Path:
    """A fresh private folder for one kernel's sockets, named after this process.

    >>> folder = socket_folder(); folder.name.startswith(f"wbk-{os.getpid()}-")
    True
    >>> folder.rmdir()
    """
    return Path(tempfile.mkdtemp(prefix=f"{SOCKET_PREFIX}{os.getpid()}-"))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def sweep_socket_folders(root: str | Path | None = None) -> list[Path]:
    """Remove kernel socket folders left behind in ``root`` (default: the temporary
    folder) by processes that have ended; return them.

    Only folders named ``wbk-<pid>-...`` (not links), owned by this user, whose
    process ``<pid>`` no longer exists are removed.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp()); (d / "wbk-999999999-x").mkdir()
    >>> [p.name for p in sweep_socket_folders(d)]
    ['wbk-999999999-x']
    """
    root = Path(root or tempfile.gettempdir())
    removed = []
    try:
        entries = list(root.iterdir())
    except OSError:
        return removed
    for entry in entries:
        m = _SOCKET_RX.match(entry.name)
        if not m or entry.is_symlink() or not entry.is_dir():
            continue
        try:
            if entry.stat().st_uid != os.getuid():
                continue
        except OSError:
            continue
        pid = int(m.group(1))
        if pid > 0 and _pid_alive(pid):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def remove_socket_folders(manager_class: type) -> None:
    """Remove the socket folder of every kernel manager ``manager_class`` made (call it
    once the kernels are stopped: after a normal end, a kill or a timeout)."""
    folders = getattr(manager_class, "socket_folders", [])
    while folders:
        shutil.rmtree(folders.pop(), ignore_errors=True)


def kernel_manager_class(launcher: LauncherClient | None = None, stream=None,
                         started: list | None = None) -> type[AsyncKernelManager]:
    """An ``AsyncKernelManager`` class for one run (see the module docstring).

    ``stream`` (an open file) receives the kernel's stdout and stderr; each started
    manager is appended to ``started``. Socket folders left by ended processes are swept
    first; the class records the folders it makes in ``socket_folders`` for
    :func:`remove_socket_folders`.
    """
    sweep_socket_folders()
    folders: list[Path] = []

    class RunKernelManager(AsyncKernelManager):
        socket_folders = folders

        def __init__(self, **kw):
            super().__init__(**kw)
            self._ipc_dir = str(socket_folder())
            folders.append(Path(self._ipc_dir))
            self.transport = "ipc"
            self.ip = str(Path(self._ipc_dir) / "k")

        async def _async_pre_start_kernel(self, **kw):
            if self.provisioner is None:
                self.kernel_id = self.kernel_id or kw.pop("kernel_id", None) or os.urandom(8).hex()
                self.provisioner = ForkProvisioner(kernel_id=self.kernel_id,
                                                   kernel_spec=self.kernel_spec, parent=self,
                                                   launcher=launcher)
            return await super()._async_pre_start_kernel(**kw)

        async def start_kernel(self, **kw):
            if stream is not None:
                kw.setdefault("stdout", stream)
                kw.setdefault("stderr", stream)
            if started is not None:
                started.append(self)
            return await super().start_kernel(**kw)

        async def _async_cleanup_resources(self, restart: bool = False) -> None:
            await super()._async_cleanup_resources(restart=restart)
            if not restart:
                shutil.rmtree(self._ipc_dir, ignore_errors=True)

    return RunKernelManager


def kill_kernel(manager: AsyncKernelManager) -> bool:
    """SIGKILL the kernel process group of ``manager`` (from any thread); True if signalled."""
    provisioner = getattr(manager, "provisioner", None)
    pid = getattr(provisioner, "pgid", None) or getattr(provisioner, "pid", None)
    if not pid:
        return False
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return False
    return True


__all__ = ["ForkProvisioner", "LauncherError", "kernel_arguments", "kernel_manager_class",
           "kill_kernel", "remove_socket_folders", "socket_folder", "sweep_socket_folders"]
