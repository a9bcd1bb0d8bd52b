"""Content-addressed skip of unchanged runs.

A run's **cache key** is the sha256 of everything that decides its outputs:

- the notebook's content (each cell's type, source and tags, and the kernel it asks
  for; saved outputs and execution counts do not count);
- the parameters the study sets (canonical JSON);
- the input data's sha256;
- the workbench package: its version and the sha256 of its source files (an editable
  install changes code without changing the version);
- the locked environment: the name and version of every installed distribution,
  the Python version and the platform;
- the kernel name.

:func:`cached_result` says whether the run folder already holds a complete, successful
run with the same key: ``manifest.json`` with status ``ok`` and that ``cache_key``,
and every file the manifest lists under ``outputs`` present with its recorded size.
Failed runs are never reused.

>>> k1 = run_cache_key("0" * 64, {"subset": "nhs"}, "a" * 64, "env", "workbench")
>>> k2 = run_cache_key("0" * 64, {"subset": "acute"}, "a" * 64, "env", "workbench")
>>> len(k1), k1 == k2
(64, False)
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import platform
import sys
from functools import cache
from pathlib import Path
from typing import Any

import nbformat

import workbench

#: Files of the workbench package that count as its source.
SOURCE_SUFFIXES = (".py", ".j2", ".json", ".css", ".tpl")


def _sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: equal values give equal text.

    >>> canonical_json({"b": 1, "a": [1, 2]})
    '{"a":[1,2],"b":1}'
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      default=str)


def notebook_content_sha256(path: str | Path) -> str:
    """sha256 of what a notebook runs and shows: cells' type, source and tags, and kernel.

    Outputs, execution counts and other metadata are left out, so saving a notebook
    with outputs in JupyterLab does not invalidate its runs.
    """
    nb = nbformat.read(str(path), as_version=4)
    cells = [{"type": c.cell_type, "source": c.source,
              "tags": sorted(c.get("metadata", {}).get("tags", []))} for c in nb.cells]
    kernel = (nb.metadata.get("kernelspec") or {}).get("name")
    return _sha256_text(canonical_json({"cells": cells, "kernel": kernel}))


@cache
def package_source_sha256() -> str:
    """sha256 over the workbench package's source files (relative path and bytes)."""
    root = Path(workbench.__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.suffix in SOURCE_SUFFIXES
                       and "__pycache__" not in p.parts and p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@cache
def environment_sha256() -> str:
    """sha256 of the locked environment: every installed distribution and version
    (like ``pip freeze``), the workbench source, Python and the platform."""
    dists = sorted({f"{(d.metadata['Name'] or '').lower()}=={d.version}"
                    for d in importlib.metadata.distributions()})
    return _sha256_text(canonical_json({
        "distributions": dists, "workbench_source": package_source_sha256(),
        "python": sys.version, "platform": platform.platform(), "executable": sys.executable}))


def run_cache_key(notebook_sha256: str, parameters: dict, data_sha256: str | None,
                  environment: str, kernel_name: str) -> str:
    """The cache key of one run (see the module docstring)."""
    return _sha256_text(canonical_json({
        "notebook": notebook_sha256, "parameters": parameters, "data": data_sha256,
        "environment": environment, "kernel": kernel_name,
        "workbench": getattr(workbench, "__version__", None)}))


def output_listing(folder: Path) -> dict[str, int]:
    """Every file under ``folder`` (POSIX relative path -> size), without the manifest."""
    return {p.relative_to(folder).as_posix(): p.stat().st_size
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "manifest.json"}


def cached_result(folder: Path, key: str) -> dict | None:
    """The manifest of a complete, successful run in ``folder`` with ``key``, else None."""
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        return None
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # unreadable: not a run this cache can vouch for; it is made again
    if manifest.get("status") != "ok" or manifest.get("cache_key") != key:
        return None
    outputs = manifest.get("outputs")
    if not isinstance(outputs, dict) or not outputs:
        return None
    for rel, size in outputs.items():
        path = folder / rel
        if not path.is_file() or path.stat().st_size != size:
            return None
    return manifest
