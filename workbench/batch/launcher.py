"""A kernel launcher: import the heavy modules once, then fork one fresh kernel process per run.


Starting a Python kernel the ordinary way costs a new interpreter plus the imports a
notebook needs (pandas, numpy, statsmodels, seaborn, matplotlib, workbench): about
3 s of CPU on a small machine, paid by every run. The launcher pays it once. It is
a small server process (``python -m workbench.batch.launcher SOCKET``) that imports
:data:`PRELOAD`, then listens on a Unix socket. For each request it ``fork()``s; the
child becomes an IPython kernel (``ipykernel``) with the connection file, working
directory, environment and output streams of that request. This is the pattern of
:mod:`multiprocessing`'s forkserver with preloaded modules.

Each run is still a new process: whatever a notebook changes (variables, imported
modules, monkeypatches, ``os.chdir``, environment) lives in the child's copy of
memory and dies with it; the launcher itself never runs notebook code.

Protocol (one request per connection, one JSON line each way):

``{"op": "fork", "argv": [...], "cwd": ..., "env": {...}}`` with the kernel's
stdout and stderr file descriptors passed alongside (``SCM_RIGHTS``)
-> ``{"pid": 1234}``; ``{"op": "poll", "pid": 1234}`` -> ``{"returncode": null | int}``;
``{"op": "ping"}`` -> ``{"pid": <launcher pid>, "preloaded": [...]}``.

The launcher ends when its standard input closes (the process that started it has
ended, even by SIGKILL), killing the kernels it forked. Kernels die with it
(``PR_SET_PDEATHSIG`` on Linux, and ipykernel's parent poller).

>>> with Launcher.start(preload=("json",)) as launcher:     # doctest: +SKIP
...     launcher.client().ping()["preloaded"]
['json']
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import importlib
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from workbench.errors import WorkbenchError

#: Modules imported once by the launcher, so kernels start with them loaded: the
#: analysis stack, then what every ipykernel kernel imports while it starts (its
#: debugger, IPython's magics, history and debugger) and what notebooks import on
#: first use (pyarrow's dataset reader, the Agg renderer and the image plugins Pillow
#: loads to save a PNG). Not pandera: a batch kernel reads the panel the data step
#: validated and never imports it (a notebook that validates a panel itself does).
PRELOAD = ("numpy", "pandas", "scipy.stats", "statsmodels.api", "statsmodels.formula.api",
           "matplotlib", "matplotlib.pyplot", "seaborn", "pyarrow.parquet",
           "workbench", "workbench.session", "workbench.analysis.models.fit",
           "workbench.report.panel_figures", "workbench.report.notebook_text",
           "workbench.analysis.findings.sensitivity", "ipykernel.kernelapp", "ipykernel.ipkernel",
           "IPython.core.interactiveshell", "ipykernel.debugger", "IPython.core.magics",
           "IPython.core.magics.execution", "IPython.core.magics.pylab",
           "IPython.core.magics.ast_mod", "IPython.core.pylabtools", "IPython.core.oinspect",
           "IPython.core.magic_arguments", "IPython.core.logger", "IPython.core.debugger",
           "IPython.core.completerlib", "IPython.extensions.storemagic", "sqlite3",
           "tornado.gen", "tornado.locks", "tornado.queues", "tornado.platform.asyncio",
           "pandas.core.arrays.arrow.extension_types",
           "pyarrow.dataset", "pandas.io.formats.string", "pandas.core.methods.to_dict",
           "matplotlib.backends.backend_agg", "PIL.PngImagePlugin", "PIL.BmpImagePlugin",
           "PIL.GifImagePlugin", "PIL.JpegImagePlugin", "PIL.PpmImagePlugin")
#: Backend ipykernel would set; it must be set before matplotlib is imported.
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
READY = "workbench-launcher-ready"
_PR_SET_PDEATHSIG = 1


class LauncherError(WorkbenchError, RuntimeError):
    """The kernel launcher could not be started or reached (an infrastructure failure)."""


# ---------------------------------------------------------------------------------------
# client side


@dataclass(frozen=True)
class LauncherClient:
    """Talks to a running launcher through its Unix socket (a plain, picklable value)."""

    address: str
    #: Seconds to wait for the socket to appear (the launcher may still be starting).
    start_wait: float = 120.0

    def _request(self, message: dict, fds: list[int] | None = None, timeout: float = 30) -> dict:
        deadline = time.monotonic() + self.start_wait
        while not os.path.exists(self.address) and time.monotonic() < deadline:
            time.sleep(0.05)  # the launcher is still importing its modules
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(timeout)
                s.connect(self.address)
                data = json.dumps(message).encode("utf-8") + b"\n"
                if fds:
                    socket.send_fds(s, [data], fds)
                else:
                    s.sendall(data)
                reply = b""
                while not reply.endswith(b"\n"):
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    reply += chunk
        except OSError as exc:
            raise LauncherError(f"kernel launcher at {self.address} did not answer "
                                f"{message.get('op')!r}: {exc}") from exc
        if not reply:
            raise LauncherError(f"kernel launcher at {self.address} closed the connection "
                                f"without answering {message.get('op')!r}")
        answer = json.loads(reply)
        if "error" in answer:
            raise LauncherError(f"kernel launcher at {self.address}: {answer['error']}")
        return answer

    def ping(self) -> dict:
        """The launcher's pid and the modules it preloaded."""
        return self._request({"op": "ping"})

    def alive(self) -> bool:
        """True when the launcher answers (without waiting for one still starting)."""
        if not os.path.exists(self.address):
            return False
        try:
            self.ping()
        except LauncherError:
            return False
        return True

    def fork(self, argv: list[str], cwd: str | None, env: dict[str, str],
             stdout: int | None = None, stderr: int | None = None) -> int:
        """Fork a kernel running ``ipykernel`` with ``argv``; return its pid."""
        fds = [1 if stdout is None else stdout, 2 if stderr is None else stderr]
        return int(self._request({"op": "fork", "argv": list(argv), "cwd": cwd,
                                  "env": dict(env)}, fds=fds)["pid"])

    def poll(self, pid: int) -> int | None:
        """The kernel's exit code (negative: killed by that signal), or None while it runs."""
        return self._request({"op": "poll", "pid": pid})["returncode"]


class Launcher:
    """A running launcher process owned by this process; use :meth:`start`."""

    def __init__(self, process: subprocess.Popen, address: str, folder: Path):
        self.process = process
        self.address = address
        self._folder = folder
        self._ready = False

    @classmethod
    def start(cls, preload: tuple[str, ...] = PRELOAD, timeout: float = 180) -> Launcher:
        """Start a launcher and wait until it has imported ``preload`` and listens.

        Raises :class:`LauncherError` (with the launcher's output) when it fails.
        """
        return cls.spawn(preload).wait_ready(timeout)

    @classmethod
    def spawn(cls, preload: tuple[str, ...] = PRELOAD) -> Launcher:
        """Start a launcher without waiting for it (it imports ``preload`` meanwhile)."""
        folder = Path(tempfile.mkdtemp(prefix="wb-launcher-"))
        address = str(folder / "launcher.sock")
        process = subprocess.Popen(
            [sys.executable, "-m", "workbench.batch.launcher", address, *preload],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True)  # Ctrl-C in the terminal reaches the runner only
        return cls(process, address, folder)

    def wait_ready(self, timeout: float = 180) -> Launcher:
        """Wait until the launcher listens; raise :class:`LauncherError` if it does not."""
        if self._ready:
            return self
        process, launcher = self.process, self
        deadline = time.monotonic() + timeout
        lines = []
        sel = selectors.DefaultSelector()
        sel.register(process.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not sel.select(timeout=max(0.0, deadline - time.monotonic())):
                break
            line = process.stdout.readline().decode("utf-8", "replace")
            if not line:
                break
            if line.strip() == READY:
                sel.close()
                self._ready = True
                return launcher
            lines.append(line)
        sel.close()
        ended = process.poll() is not None
        launcher.close()
        why = "ended before it was ready" if ended else f"was not ready within {timeout:.0f} s"
        raise LauncherError(f"the kernel launcher {why}; its output:\n{''.join(lines[-30:])}")

    def client(self) -> LauncherClient:
        """A picklable client for this launcher."""
        return LauncherClient(self.address)

    def close(self, timeout: float = 10) -> None:
        """Stop the launcher; it kills the kernels it forked."""
        if self.process.poll() is None and not os.path.exists(self.address):
            self.process.kill()  # still importing (it listens only once it has): no kernels
        if self.process.poll() is None:
            try:
                self.process.stdin.close()
            except OSError:
                pass  # already closed: the launcher sees end of input either way
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdout, self.process.stdin):
            if stream and not stream.closed:
                stream.close()
        Path(self.address).unlink(missing_ok=True)
        try:
            self._folder.rmdir()
        except OSError:
            pass  # something else put a file there; leave it

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class ForkedProcess:
    """A :class:`subprocess.Popen`-like handle on a kernel forked by the launcher.

    jupyter_client's provisioner calls ``poll``, ``wait``, ``send_signal``, ``kill``
    and ``terminate``; signals go straight to the kernel's process group (each
    kernel leads its own session).
    """

    stdin = stdout = stderr = None

    def __init__(self, client: LauncherClient, pid: int):
        self.client = client
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        """The kernel's exit code, asking the launcher (``-SIGKILL`` when the launcher is
        gone), or None while it runs.
        """
        if self.returncode is None:
            try:
                self.returncode = self.client.poll(self.pid)
            except LauncherError:
                self.returncode = -signal.SIGKILL  # the launcher is gone; so are its kernels
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """The kernel's exit code once it ends, polling every 50 ms; after ``timeout``
        seconds :class:`subprocess.TimeoutExpired`, as ``Popen.wait`` raises.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            time.sleep(0.05)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        """Send ``signum`` to the kernel's process group while it runs."""
        if self.poll() is None:
            try:
                os.killpg(self.pid, signum)
            except ProcessLookupError:
                pass  # ended between poll and kill: nothing left to signal

    def kill(self) -> None:
        """Send SIGKILL to the kernel's process group."""
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        """Send SIGTERM to the kernel's process group."""
        self.send_signal(signal.SIGTERM)


# ---------------------------------------------------------------------------------------
# server side (runs in the launcher process)


@functools.cache
def _libc() -> ctypes.CDLL:
    """The C library, looked up once (``find_library`` runs ``ldconfig``): the launcher
    does it before forking, so kernels do not each start a process for it.
    """
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _set_parent_death_signal(signum: int) -> None:
    """Ask Linux to send ``signum`` to this process when its parent ends (no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    _libc().prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0)


def _become_kernel(request: dict, fds: list[int], listener: socket.socket,
                   conn: socket.socket) -> None:
    """In the forked child: detach, take the request's streams, cwd and env, run ipykernel."""
    listener.close()
    conn.close()
    os.setsid()
    _set_parent_death_signal(signal.SIGKILL)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(fds[0], 1)
    os.dup2(fds[1], 2)
    for fd in (devnull, *fds):
        if fd > 2:
            os.close(fd)
    if request.get("cwd"):
        os.chdir(request["cwd"])
    env = dict(request.get("env") or {})
    env.setdefault("MPLBACKEND", INLINE_BACKEND)
    if "debugpy" in sys.modules:  # preloaded: do what importing it in the kernel does
        env.setdefault("PYDEVD_USE_FRAME_EVAL", "NO")
    env["JPY_PARENT_PID"] = str(os.getppid())
    os.environ.clear()
    os.environ.update(env)
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()  # a fresh process would draw new entropy; so does each kernel
    sys.argv = [sys.executable, "-m", "ipykernel_launcher", *request["argv"]]
    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    app.initialize(list(request["argv"]))
    app.start()


def _recv_request(conn: socket.socket) -> tuple[dict, list[int]]:
    data, fds, _, _ = socket.recv_fds(conn, 65536, 4)
    while data and not data.endswith(b"\n"):
        more = conn.recv(65536)
        if not more:
            break
        data += more
    return json.loads(data), list(fds)


def serve(address: str, preload: tuple[str, ...]) -> None:
    """The launcher's main loop (see the module docstring)."""
    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    # the launcher's own environment (kernels get their request's): without this,
    # preloading ipykernel's debugger prints a warning about frozen modules
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    import gc

    gc.disable()  # importing makes objects by the million: collect once, at the end
    try:
        for name in preload:
            importlib.import_module(name)
    finally:
        gc.enable()
    if "matplotlib_inline.backend_inline" in sys.modules:  # pragma: no cover - guard
        raise LauncherError("the inline matplotlib backend was activated while preloading; "
                            "it must be activated inside each kernel")
    if sys.platform.startswith("linux"):
        _libc()
    gc.collect()
    gc.freeze()  # keep preloaded objects out of the collector: fewer copied pages per fork
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(address)
    listener.listen(64)
    os.chmod(address, 0o600)
    children: dict[int, int | None] = {}

    def reap() -> None:
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            children[pid] = os.waitstatus_to_exitcode(status)

    sys.stdout.write(READY + "\n")
    sys.stdout.flush()
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)  # nobody reads the pipe after READY; keep it from filling up
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ, "listener")
    sel.register(sys.stdin, selectors.EVENT_READ, "stdin")
    try:
        while True:
            events = sel.select(timeout=0.5)
            reap()
            for key, _ in events:
                if key.data == "stdin":
                    if not os.read(sys.stdin.fileno(), 4096):
                        return  # the owner has gone: stop, killing the kernels (finally)
                    continue
                conn, _ = listener.accept()
                with conn:
                    fds: list[int] = []
                    try:
                        request, fds = _recv_request(conn)
                        reply = _answer(request, fds, listener, conn, children, preload)
                    except Exception as exc:  # noqa: BLE001 - sent back to the client
                        reply = {"error": f"{type(exc).__name__}: {exc}"}
                    finally:
                        for fd in fds:
                            os.close(fd)
                    conn.sendall(json.dumps(reply).encode("utf-8") + b"\n")
    finally:
        for pid, code in children.items():
            if code is None:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass  # already gone
        Path(address).unlink(missing_ok=True)


def _answer(request: dict, fds: list[int], listener: socket.socket, conn: socket.socket,
            children: dict[int, int | None], preload: tuple[str, ...]) -> dict[str, Any]:
    op = request.get("op")
    if op == "ping":
        return {"pid": os.getpid(), "preloaded": list(preload)}
    if op == "poll":
        pid = int(request["pid"])
        if pid not in children:
            return {"error": f"pid {pid} was not started by this launcher"}
        if children[pid] is None:
            try:
                done, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done, status = 0, 0
            if done:
                children[pid] = os.waitstatus_to_exitcode(status)
        return {"returncode": children[pid]}
    if op == "fork":
        if len(fds) != 2:
            return {"error": f"fork needs stdout and stderr descriptors, got {len(fds)}"}
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                _become_kernel(request, fds, listener, conn)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            except BaseException:  # noqa: BLE001 - the kernel's own output shows it
                traceback.print_exc()
                code = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        children[pid] = None
        return {"pid": pid}
    return {"error": f"unknown op {op!r}"}


def main(argv: list[str] | None = None) -> None:
    """``python -m workbench.batch.launcher SOCKET [MODULE ...]``."""
    args = sys.argv[1:] if argv is None else argv
    if not args:
        raise SystemExit("usage: python -m workbench.batch.launcher SOCKET [MODULE ...]")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the runner decides when to stop
    serve(args[0], tuple(args[1:]))


if __name__ == "__main__":
    main()
