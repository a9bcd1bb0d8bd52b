"""Built panels kept under a name (or under their source's key) and reused by several studies.

A build of the published files takes about a minute on the real download folder. Built once
with a name, ``workbench data build --from ../shared/data/real --name real2026`` writes the
panel, its coverage, provenance, catalogue and side tables into
``data/processed/panels/real2026/`` and seals them: :data:`SEAL_FILE` records the sha256 of
every file. A study then says ``data: {panel: real2026}``; its data step checks every sha256
(:func:`verify`) and copies the folder, and a file changed since the build is refused with
a message naming it and how to build again.

A study's ``data: {build: {from: FOLDER}}`` keeps its build the same way, under the key of
what it was made from (the files' names, sizes and times, the options and the code:
:func:`workbench.batch.data_step.data_source_key`), in ``data/processed/panels/.builds/``:
a second study built from the same folder reuses it instead of building again.

The folder of named panels is ``data/processed/panels`` under the current directory, or
the folder the environment variable ``WORKBENCH_PANELS`` names.

>>> import tempfile
>>> root = Path(tempfile.mkdtemp())
>>> folder = root / "demo"; folder.mkdir()
>>> _ = (folder / "panel.parquet").write_bytes(b"PAR1 not really")
>>> seal(folder, "demo", made_by="an example")["files"]
['panel.parquet']
>>> verify(folder)["name"]
'demo'
>>> _ = (folder / "panel.parquet").write_bytes(b"PAR1 changed")
>>> verify(folder)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
workbench.errors.NamedPanelError: .../demo: the named panel 'demo' has changed since it was built: panel.parquet (sha256 ... now ...). ...
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

from workbench.errors import NamedPanelError
from workbench.files import atomic_write_text, sha256_file

#: Where named panels live, under the current directory (``WORKBENCH_PANELS`` overrides).
PANELS_DIR = Path("data/processed/panels")
#: Environment variable naming another folder of named panels.
PANELS_ENV = "WORKBENCH_PANELS"
#: Sub-folder of the panels folder for builds kept by their source's key.
BUILDS_DIR = ".builds"
#: In a named panel's folder: the name, what made it and the sha256 of every file.
SEAL_FILE = "panel.seal.json"
#: The panel file in a named panel's folder.
PANEL_FILE = "panel.parquet"
#: What a panel's name may be (it names a folder).
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def panels_root() -> Path:
    """The folder of named panels: ``$WORKBENCH_PANELS``, else ``data/processed/panels``.

    >>> panels_root().as_posix().endswith("panels")
    True
    """
    env = os.environ.get(PANELS_ENV)
    return Path(env).expanduser() if env else Path.cwd() / PANELS_DIR


def check_name(name: str) -> str:
    """``name`` when it can name a panel's folder, else :class:`NamedPanelError`.

    >>> check_name("real2026")
    'real2026'
    """
    if not isinstance(name, str) or not NAME_RE.match(name) or name.endswith(".parquet"):
        raise NamedPanelError(f"{name!r} cannot name a panel: expected letters, digits, '_', "
                              "'-' or '.' (up to 100), not ending in .parquet, e.g. real2026")
    return name


def looks_like_name(value: str) -> bool:
    """True when a study's ``data: {panel: VALUE}`` reads as a name, not a file's path.

    >>> looks_like_name("real2026"), looks_like_name("data/panel.parquet")
    (True, False)
    """
    return bool(NAME_RE.match(value)) and not value.endswith(".parquet")


def folder_of(name: str, root: Path | None = None) -> Path:
    """Where the panel named ``name`` is (or would be) kept."""
    return (panels_root() if root is None else Path(root)) / check_name(name)


def search(name: str, study_path: Path | None = None, cwd: Path | None = None) -> list[Path]:
    """The folders looked in for the panel ``name``, first match wins: the panels folder
    (:func:`panels_root`), then ``data/processed/panels`` beside the study file and in its
    parent folder (studies usually sit in ``studies/`` of the project).
    """
    roots = [panels_root()]
    if cwd is not None:
        roots.append(Path(cwd) / PANELS_DIR)
    if study_path is not None:
        roots += [Path(study_path).parent / PANELS_DIR, Path(study_path).parent.parent / PANELS_DIR]
    out: list[Path] = []
    for root in roots:
        folder = root.resolve() / name
        if folder not in out:
            out.append(folder)
    return out


def find(name: str, study_path: Path | None = None, cwd: Path | None = None) -> Path | None:
    """The folder of the sealed panel ``name`` (see :func:`search`), or None."""
    for folder in search(name, study_path, cwd):
        if (folder / SEAL_FILE).is_file():
            return folder
    return None


def files_of(folder: str | Path) -> list[str]:
    """The files of a panel's folder, relative to it: what a build wrote there (links into
    its hidden current generation followed), without the seal and hidden names.
    """
    folder = Path(folder)
    names = (p.relative_to(folder) for p in folder.rglob("*")
             if p.is_file() and p.name != SEAL_FILE)
    return sorted(rel.as_posix() for rel in names
                  if not any(part.startswith(".") for part in rel.parts))


def seal(folder: str | Path, name: str, *, made_by: str, key: str | None = None) -> dict:
    """Record the sha256 of every file in ``folder`` (:data:`SEAL_FILE`); return the record."""
    folder = Path(folder)
    files = files_of(folder)
    record = {"name": name, "made_by": made_by, "key": key,
              "sealed_at": datetime.now(UTC).isoformat(timespec="seconds"),
              "files": files, "sha256": {f: sha256_file(folder / f) for f in files}}
    atomic_write_text(folder / SEAL_FILE, json.dumps(record, indent=2, sort_keys=True) + "\n")
    return record


def unseal(folder: str | Path) -> None:
    """Remove the seal, so a folder being built again is never taken as complete."""
    try:
        (Path(folder) / SEAL_FILE).unlink()
    except FileNotFoundError:
        pass


def verify(folder: str | Path) -> dict:
    """The seal of ``folder`` once every file's sha256 is checked against it.

    Raises :class:`~workbench.errors.NamedPanelError` naming the folder, the panel and each
    file changed, missing or added since the build, and how to build it again.
    """
    folder = Path(folder)
    try:
        record = json.loads((folder / SEAL_FILE).read_text(encoding="utf-8"))
        expected = dict(record["sha256"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise NamedPanelError(f"{folder}: not a built panel (its {SEAL_FILE} cannot be read: "
                              f"{exc}); build it with workbench data build --from FOLDER "
                              f"--name {folder.name}") from None
    name = record.get("name", folder.name)
    problems = []
    for file, sha in expected.items():
        path = folder / file
        if not path.is_file():
            problems.append(f"{file} (missing)")
            continue
        now = sha256_file(path)
        if now != sha:
            problems.append(f"{file} (sha256 {sha[:12]} when built, now {now[:12]})")
    problems += [f"{file} (added since)" for file in files_of(folder) if file not in expected]
    if problems:
        raise NamedPanelError(
            f"{folder}: the named panel {name!r} has changed since it was built: "
            f"{'; '.join(problems)}. A study reads a named panel only as it was built: build "
            f"it again (workbench data build --from FOLDER --name {name}), or restore the "
            "files")
    return record
