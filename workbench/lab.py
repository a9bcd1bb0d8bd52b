"""``workbench lab``: JupyterLab from the project's environment, on ``notebooks/``.

JupyterLab is started with this environment's Python (``sys.executable -m
jupyterlab``), its root folder at the project (so notebooks, ``data/`` and
``outputs/`` are all reachable from the file browser) and its first page showing
``notebooks/``. The ``workbench`` kernelspec is installed first when missing, so
the notebooks' declared kernel, **Python (workbench)**, is there on first use.

>>> argv = lab_argv(Path("/proj"), port=8890, open_browser=False)
>>> argv[1:3]
['-m', 'jupyterlab']
>>> "--ServerApp.root_dir=/proj" in argv, "--LabApp.default_url=/lab/tree/notebooks" in argv
(True, True)
>>> "--port=8890" in argv, "--no-browser" in argv
(True, True)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from workbench.errors import NotebookError

#: The project folder JupyterLab shows first.
NOTEBOOKS_DIR = "notebooks"


def find_project(start: Path | None = None) -> Path:
    """The project folder (holding ``pyproject.toml`` and ``notebooks/``) at or above ``start``.

    Falls back to the source tree this package was installed from (an editable
    install), so ``workbench lab`` works from any folder of the checkout and
    from outside it. Raises :class:`~workbench.errors.NotebookError` when neither
    holds a ``notebooks/`` folder.

    >>> (find_project() / NOTEBOOKS_DIR).is_dir()       # doctest: +SKIP
    True
    """
    here = (start or Path.cwd()).resolve()
    source_tree = Path(__file__).resolve().parents[1]
    for candidate in (*[p for p in (here, *here.parents)], source_tree):
        if (candidate / "pyproject.toml").is_file() and (candidate / NOTEBOOKS_DIR).is_dir():
            return candidate
    raise NotebookError(here / NOTEBOOKS_DIR,
                        "no notebooks/ folder beside a pyproject.toml here or above; run "
                        "`workbench lab` inside the workbench checkout")


def lab_argv(root: Path, *, port: int | None = None, open_browser: bool = True,
             extra: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The command line that starts JupyterLab on ``root`` with ``notebooks/`` open.

    ``extra`` arguments are passed on to JupyterLab unchanged (e.g.
    ``["--IdentityProvider.token=secret"]``). Run as root (containers, CI)
    ``--allow-root`` is added, as JupyterLab refuses to start otherwise.
    """
    argv = [sys.executable, "-m", "jupyterlab",
            f"--ServerApp.root_dir={root}",
            f"--LabApp.default_url=/lab/tree/{NOTEBOOKS_DIR}"]
    if port is not None:
        argv.append(f"--port={port}")
    if not open_browser:
        argv.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")
    return argv + list(extra)


def start_lab(*, port: int | None = None, open_browser: bool = True,
              extra: list[str] | tuple[str, ...] = (), root: Path | None = None,
              replace_process: bool = True) -> int:
    """Install the ``workbench`` kernelspec if needed, then run JupyterLab until it stops.

    On POSIX the current process becomes JupyterLab (``os.execv``), so Ctrl-C
    reaches the server directly; elsewhere, or with ``replace_process=False``,
    JupyterLab runs as a child and its exit status is returned.

    >>> start_lab(port=8890, open_browser=False)          # doctest: +SKIP
    """
    from workbench.kernelspec import ensure_kernelspec

    project = find_project(root)
    spec = ensure_kernelspec()
    argv = lab_argv(project, port=port, open_browser=open_browser, extra=extra)
    print(f"workbench: JupyterLab on {project} (notebooks in {project / NOTEBOOKS_DIR}); "
          f"kernel {spec.display_name!r} -> {spec.argv[0]}", flush=True)
    if replace_process and os.name == "posix":
        os.chdir(project)
        os.execv(argv[0], argv)
    try:
        return subprocess.call(argv, cwd=project)
    except KeyboardInterrupt:
        return 130
