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
- is waited for without idling: the manager returns from ``start_kernel`` once the
  kernel's sockets are bound (clients then connect at once), its client
  (:class:`RunKernelClient`) stops reading start-up messages at the kernel's first
  ``idle``, and a killed kernel's end is noticed within 10 ms;
- writes its stdout/stderr into the run's log;
- is recorded in ``started`` so a watchdog can kill it when the run's wall-clock
  time is up.

>>> cls = kernel_manager_class(launcher=None)          # doctest: +SKIP
>>> papermill.execute_notebook(..., kernel_manager_class=cls)   # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from queue import Empty
from typing import Any

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import Any as AnyTrait
from traitlets import DottedObjectName, Type

from workbench.batch.launcher import ForkedProcess, LauncherClient, LauncherError
from workbench.errors import KernelStartError
from workbench.files import pid_alive

#: Seconds between checks while a kernel starts or ends.
_POLL_S = 0.01


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
        """Have the launcher fork an ipykernel of this Python for ``cmd`` (with its working
        folder, environment and output files), or start ``cmd`` with ``Popen`` when there
        is no launcher or ``cmd`` is another kernel; return the connection info.
        """
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

    async def wait(self) -> int | None:
        """Wait for the kernel to end, asking the launcher every 10 ms (a forked kernel
        ends within milliseconds of its kill; Popen kernels are polled as usual).
        """
        if isinstance(self.process, ForkedProcess):
            while self.process.poll() is None:
                await asyncio.sleep(_POLL_S)
        return await super().wait()


def _is_idle_after(msg: dict, msg_id: str) -> bool:
    return msg.get("msg_type") == "status" and \
        msg.get("content", {}).get("execution_state") == "idle" and \
        msg.get("parent_header", {}).get("msg_id") == msg_id


class RunKernelClient(AsyncKernelClient):
    """jupyter_client's asyncio kernel client, waiting for a new kernel without idling.

    :meth:`wait_for_ready` is jupyter_client's (``kernel_info`` requests until one is
    answered while IOPub is connected), except for its last step: the messages the
    kernel published while starting are read up to the ``idle`` status of the answered
    request, instead of until IOPub has been quiet for 0.2 s, which every run would
    spend waiting.
    """

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        abs_timeout = time.time() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                msg = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                pass
            else:
                if msg["msg_type"] == "kernel_info_reply":
                    try:  # IOPub is connected once a message arrives on it
                        first = await self.iopub_channel.get_msg(timeout=0.2)
                    except Empty:
                        pass
                    else:
                        self._handle_kernel_info_reply(msg)
                        break
            if not await self._async_is_alive():
                raise KernelStartError("died before replying to kernel_info", timeout=timeout)
            if time.time() > abs_timeout:
                raise KernelStartError(f"didn't respond in {timeout:.0f} seconds",
                                       timeout=timeout)
        answered = msg["parent_header"].get("msg_id")
        seen_idle = _is_idle_after(first, answered)
        while True:  # the start-up messages: up to that request's idle, then what is queued
            try:
                msg = await self.iopub_channel.get_msg(timeout=0 if seen_idle else 0.2)
            except Empty:
                break
            seen_idle = seen_idle or _is_idle_after(msg, answered)


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
        if pid > 0 and pid_alive(pid):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def remove_socket_folders(manager_class: type) -> None:
    """Remove the socket folder of every kernel manager ``manager_class`` made (call it
    once the kernels are stopped: after a normal end, a kill or a timeout).
    """
    folders = getattr(manager_class, "socket_folders", [])
    while folders:
        shutil.rmtree(folders.pop(), ignore_errors=True)


def kernel_manager_class(launcher: LauncherClient | None = None, stream=None,
                         started: list | None = None,
                         env: dict[str, str] | None = None) -> type[AsyncKernelManager]:
    """An ``AsyncKernelManager`` class for one run (see the module docstring).

    ``stream`` (an open file) receives the kernel's stdout and stderr; each started
    manager is appended to ``started``; ``env`` is added to the kernel's environment.
    Socket folders left by ended processes are swept first; the class records the folders
    it makes in ``socket_folders`` for :func:`remove_socket_folders`.
    """
    sweep_socket_folders()
    folders: list[Path] = []

    class RunKernelManager(AsyncKernelManager):
        socket_folders = folders
        client_class = DottedObjectName("workbench.batch.kernels.RunKernelClient")
        client_factory = Type(RunKernelClient, klass=RunKernelClient)

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
            if env:
                kw["env"] = {**(kw.get("env") or os.environ), **env}
            await super().start_kernel(**kw)
            await self._sockets_bound()

        async def _sockets_bound(self, limit: float = 60.0) -> None:
            """Return once the kernel has bound its ipc sockets (their files exist), it
            has ended, or ``limit`` seconds have passed. Clients then connect at once:
            ZeroMQ retries a connection to a socket not yet bound only every 100 ms,
            and a kernel_info reply that comes before IOPub is connected costs
            jupyter_client's wait for the kernel another round.
            """
            ports = [self.shell_port, self.iopub_port, self.stdin_port, self.control_port,
                     self.hb_port]
            paths = [Path(f"{self.ip}-{port}") for port in ports]
            deadline = time.monotonic() + limit
            while not all(p.exists() for p in paths) and time.monotonic() < deadline:
                if not await self.is_alive():
                    return  # ended while starting: nbclient reports it
                await asyncio.sleep(_POLL_S)

        async def _async_wait(self, pollinterval: float = 0.1) -> None:
            await super()._async_wait(pollinterval=min(pollinterval, _POLL_S))

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
