"""What produced a run: package versions, file hashes, git commit, timings.

Everything here is a plain JSON value so that ``manifest.json`` can be read back
by any tool.

>>> v = package_versions(["workbench", "no-such-package-xyz"])
>>> sorted(v), v["no-such-package-xyz"] is None
(['no-such-package-xyz', 'workbench'], True)
>>> import tempfile; git_commit(tempfile.mkdtemp()) is None
True
"""

from __future__ import annotations

import importlib.metadata
import json
import platform
import subprocess
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from workbench.files import atomic_write_text, sha256_file

#: Packages whose versions every manifest records.
RECORDED_PACKAGES = ("workbench", "pandas", "numpy", "scipy", "statsmodels", "matplotlib",
                     "seaborn", "pyarrow", "pandera", "papermill", "nbclient", "nbconvert",
                     "ipykernel", "jupyter_client")

__all__ = [
    "RECORDED_PACKAGES",
    "git_commit",
    "git_dirty",
    "package_versions",
    "python_description",
    "read_manifest",
    "sha256_file",
    "utc_now",
    "workbench_version",
    "write_manifest",
]


def package_versions(names: Iterable[str] = RECORDED_PACKAGES) -> dict[str, str | None]:
    """Installed version of each package (None when it is not installed), looked up
    once per process (each lookup reads the installed distributions' metadata; a batch
    process writes many manifests).
    """
    return dict(_package_versions(tuple(names)))


@cache
def _package_versions(names: tuple[str, ...]) -> tuple[tuple[str, str | None], ...]:
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return tuple(out.items())


def workbench_version() -> str:
    """The installed workbench version, e.g. ``'0.1.0'`` (``'unknown'`` when not installed)."""
    return package_versions(["workbench"])["workbench"] or "unknown"


def _git(folder: str | Path, *args: str) -> str | None:
    """Output of a git command run in ``folder``; None when git or the repository is absent."""
    try:
        done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True,
                              text=True, timeout=20, check=False)
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return None  # no git on this machine: provenance records null, as documented
    if done.returncode != 0:
        return None
    return done.stdout.strip()


def git_commit(folder: str | Path) -> str | None:
    """The full commit hash checked out at ``folder``, or None outside a git repository."""
    return _git(folder, "rev-parse", "HEAD") or None


def git_dirty(folder: str | Path, paths: Iterable[str | Path] = ()) -> bool | None:
    """True when tracked files (or only ``paths``, if given) differ from the commit.

    None outside a git repository.
    """
    args = ["status", "--porcelain", "--untracked-files=no"]
    paths = [str(p) for p in paths]
    if paths:
        args += ["--", *paths]
    out = _git(folder, *args)
    return None if out is None else bool(out)


def utc_now() -> str:
    """The current time as an ISO 8601 UTC string with seconds, e.g. ``2026-04-01T09:30:00Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def python_description() -> str:
    """Python implementation and version, e.g. ``'CPython 3.11.9'``."""
    return f"{platform.python_implementation()} {platform.python_version()}"


def write_manifest(path: str | Path, manifest: dict[str, Any]) -> Path:
    """Write a manifest as indented JSON with sorted keys (atomic)."""
    text = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    return atomic_write_text(path, text + "\n")


def read_manifest(path: str | Path) -> dict[str, Any]:
    """Read a ``manifest.json`` written by :func:`write_manifest`."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def platform_description() -> dict[str, str]:
    """Operating system and machine, for the manifest."""
    return {"system": platform.system(), "release": platform.release(),
            "machine": platform.machine(), "executable": sys.executable}
