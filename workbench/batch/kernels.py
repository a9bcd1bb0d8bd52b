"""Kernel managers for batch runs: kernels forked by the launcher, talking over private sockets.

:func:`kernel_manager_class` returns a jupyter_client ``AsyncKernelManager`` subclass
that papermill uses for one run. Its kernel:

- is forked by the :mod:`~workbench.batch.launcher` (heavy modules already imported)
  through :class:`ForkProvisioner`, a jupyter_client kernel provisioner; when no
  launcher is given, or the kernelspec does not start this Python's ipykernel, the
  ordinary ``Popen`` launch is used;
- talks over ZeroMQ ``ipc`` sockets in a fresh private folder, never TCP ports, so
  runs on one machine cannot collide on ports;
- writes its stdout/stderr into the run's log;
- is recorded in ``started`` so a watchdog can kill it when the run's wall-clock
  time is up.

>>> cls = kernel_manager_class(launcher=None)          # doctest: +SKIP
>>> papermill.execute_notebook(..., kernel_manager_class=cls)   # doctest: +SKIP
"""

from __future__ import annotations

import os
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


def kernel_manager_class(launcher: LauncherClient | None = None, stream=None,
                         started: list | None = None) -> type[AsyncKernelManager]:
    """An ``AsyncKernelManager`` class for one run (see the module docstring).

    ``stream`` (an open file) receives the kernel's stdout and stderr; each started
    manager is appended to ``started``.
    """

    class RunKernelManager(AsyncKernelManager):
        def __init__(self, **kw):
            super().__init__(**kw)
            self._ipc_dir = tempfile.mkdtemp(prefix="wbk-")  # short: socket paths <= 107 bytes
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
           "kill_kernel"]
