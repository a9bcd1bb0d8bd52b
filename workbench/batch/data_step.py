"""The data step of a study: make the study's panel once, into ``outputs/<study>/data/``.

:func:`materialise_data` writes the panel every run reads (``data/panel.parquet``,
and ``data/truth.json`` for synthetic data) from the study's ``data:`` block: the
synthetic generator, a panel file (validated, then copied) or a build from official
files, with the catalogue of what the data hold beside it (``data/panel.catalogue.json``,
:mod:`workbench.data.catalogue`: a build lists the tables it wrote beside the panel; the
generator lists the panel and its truth, a panel file the panel, each with the reason the
other tables are not held), through which each run's session reads those tables.
:func:`materialise_data_cached` skips the work when the folder already holds
the data made from the same source (:func:`data_source_key`).

A build is kept, sealed, in the panels folder under the key of what it is made from
(:mod:`workbench.data.named_panels`), so a second study built from the same files copies
it instead of building again; a build prints its progress on stderr. A named panel
(``data: {panel: NAME}``, :func:`workbench.batch.study.named_panel_spec`) is copied whole (panel, side tables,
catalogue) once every file's sha256 matches its seal. The returned record
(kind, options, paths, sha256) goes into every run's manifest.

>>> import tempfile
>>> from workbench.batch.study import DataSpec
>>> folder = Path(tempfile.mkdtemp()) / "data"
>>> record = materialise_data(DataSpec("synthetic", {"seed": 1, "n_providers": 20, "n_months": 3}),
...                           folder)
>>> record["path"], record["truth_path"], len(record["sha256"])
('data/panel.parquet', 'data/truth.json', 64)
>>> tables = json.loads((folder / "panel.catalogue.json").read_text())["tables"]
>>> {"panel", "truth", "rtt_flows", "comments"} <= set(tables)
True
>>> from workbench.session import VALIDATED_FILE as SESSION_READS
>>> VALIDATED_FILE == SESSION_READS
True
>>> from workbench.data.catalogue import catalogue_path
>>> catalogue_path(PANEL_FILE).name == CATALOGUE_FILE
True
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import shutil
from pathlib import Path

from workbench.batch import provenance
from workbench.batch.cache import SourceTree, canonical_json, environment_sha256, package_root
from workbench.batch.study import DataSpec
from workbench.errors import StudyError
from workbench.files import atomic_write_text

DATA_DIR = "data"
PANEL_FILE = "panel.parquet"
TRUTH_FILE = "truth.json"
#: Beside the panel: what the data were made from, so an unchanged source is not remade.
DATA_SOURCE_FILE = "source.json"
#: Beside the panel: its sha256 once validated here (the generator, ``data.panel`` and the
#: build all validate the panel), so each run's session does not validate it again
#: (:data:`workbench.session.VALIDATED_FILE`).
VALIDATED_FILE = "panel.validated"
#: Beside the panel: what the data hold (:func:`workbench.data.catalogue.catalogue_path`).
CATALOGUE_FILE = "panel.catalogue.json"
#: Beside a synthetic panel: the generator's RTT flows (the ``rtt_flows`` table).
FLOWS_FILE = "panel.rtt_flows.parquet"


def materialise_data(spec: DataSpec, data_dir: Path, study_path: Path | str = "<study>") -> dict:
    """Write the study's panel (and ``truth.json`` for synthetic data) into ``data_dir``.

    Returns the manifest's data record: ``kind``, ``options``, ``path`` and
    ``truth_path`` (relative to the study's output folder), ``sha256`` of the panel.
    The files are written into a hidden folder and moved into place when complete.
    """
    tmp = data_dir.parent / f".{data_dir.name}.partial"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    try:
        truth = _write_data(spec, tmp, study_path)
        if not (tmp / CATALOGUE_FILE).is_file():
            _write_catalogue(spec, tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)  # the error itself propagates
        raise
    if data_dir.exists():
        shutil.rmtree(data_dir)
    os.replace(tmp, data_dir)
    options = {k: (str(v) if isinstance(v, Path) else v) for k, v in spec.options.items()}
    return {"kind": spec.kind, "options": options, "path": f"{DATA_DIR}/{PANEL_FILE}",
            "truth_path": f"{DATA_DIR}/{TRUTH_FILE}" if truth else None,
            "sha256": provenance.sha256_file(data_dir / PANEL_FILE)}


def _write_data(spec: DataSpec, tmp: Path, study_path: Path | str) -> bool:
    """Write the panel (and truth) into ``tmp``; True when a truth file was written."""
    import pandas as pd  # here, so that checking a study (--dry-run) does not load it

    truth = False
    if spec.kind == "synthetic":
        from workbench.data.synth import generate

        accepted = inspect.signature(generate).parameters
        for key in spec.options:
            if key not in accepted:
                raise StudyError(f"{study_path}: unknown key 'data.synthetic.{key}'; the "
                                 f"generator accepts {list(accepted)}")
        try:
            synthetic = generate(**spec.options)
        except (TypeError, ValueError) as exc:  # the generator's own check of its options
            raise StudyError(f"{study_path}: key 'data.synthetic': {exc}") from exc
        panel_file, truth_file = synthetic.write(tmp)
        _rename_into(Path(panel_file), tmp / PANEL_FILE)
        _rename_into(Path(truth_file), tmp / TRUTH_FILE)
        truth = True
    elif spec.kind == "panel" and spec.options.get("name"):  # a named panel, sealed
        _verified(spec, study_path)
        _copy_sealed(Path(spec.options["path"]).parent, tmp)
    elif spec.kind == "panel":
        from workbench.data.schema import validate_panel

        source = Path(spec.options["path"])
        try:
            panel = pd.read_parquet(source)
        except Exception as exc:  # noqa: BLE001 - pyarrow raises many kinds on a damaged file
            raise StudyError(f"{study_path}: key 'data.panel': {source} cannot be read as a "
                             f"parquet panel ({type(exc).__name__}: {exc}); give a panel file "
                             "written whole, or a table of your own as data: {table: FILE, "
                             "declaration: FILE} (docs/your_own_data.md)") from None
        validate_panel(panel, source=str(source))
        shutil.copyfile(source, tmp / PANEL_FILE)
    elif spec.kind == "build" and _shared_build(spec, tmp, study_path):
        pass  # copied from the build kept for every study made from the same files
    elif spec.kind == "build":
        try:
            from workbench.data.panel import build
        except ModuleNotFoundError as exc:
            if exc.name not in ("workbench.data.panel",):
                raise
            raise StudyError(f"{study_path}: key 'data.build' needs workbench.data.panel.build, "
                             "which is not installed in this checkout") from exc

        options = {k: v for k, v in spec.options.items() if k != "from"}
        if "out" in inspect.signature(build).parameters:
            options["out"] = tmp / PANEL_FILE  # coverage and provenance files land beside it
        built = build(spec.options["from"], **options)
        if isinstance(built, pd.DataFrame):
            built.to_parquet(tmp / PANEL_FILE, index=False)
        else:
            made = getattr(built, "panel_path", built)
            if not isinstance(made, (str, os.PathLike)):
                raise StudyError(f"{study_path}: data.build: workbench.data.panel.build returned "
                                 f"{type(built).__name__}; expected a result with panel_path, "
                                 "a DataFrame or a parquet path")
            if Path(made).resolve() != (tmp / PANEL_FILE).resolve():
                shutil.copyfile(made, tmp / PANEL_FILE)
    elif spec.kind == "table":
        from workbench.data.declared import read_declaration, read_table

        decl = read_declaration(spec.options["declaration"],
                                source=str(spec.options.get("declared_in", "")))
        table = read_table(spec.options["table"], decl)
        table.panel.to_parquet(tmp / PANEL_FILE, index=False)
        decl.write_beside(tmp / PANEL_FILE)  # the session reads the panel through it
        if spec.options.get("truth"):
            shutil.copyfile(spec.options["truth"], tmp / TRUTH_FILE)
            truth = True
    else:  # DataSpec is only built by study.py, which checks the kind
        raise StudyError(f"{study_path}: key 'data': unknown kind {spec.kind!r}")
    return truth


def data_source_key(spec: DataSpec, study_path: Path | str = "<study>") -> str:
    """sha256 of what the study's data are made from.

    Synthetic data: the generator's options, the environment and the workbench code
    that generates them (``workbench.data.synth`` and the modules it imports). A panel
    file: its sha256; a named panel: the sha256 of every file, checked against its seal
    (a changed file is a :class:`~workbench.errors.StudyError`). A build: its options, the
    name, size and modification time of every file in the source folder (symlinked
    folders followed), the environment and the code of ``workbench.data``.
    """
    options = {k: str(v) if isinstance(v, Path) else v for k, v in spec.options.items()}
    record: dict = {"kind": spec.kind, "options": options}
    if spec.kind == "panel" and spec.options.get("name"):  # every file, checked on each use
        record["sealed_sha256"] = _verified(spec, study_path).get("sha256")
    elif spec.kind == "panel":
        record["file_sha256"] = provenance.sha256_file(spec.options["path"])
    elif spec.kind == "table":
        record["file_sha256"] = provenance.sha256_file(spec.options["table"])
        if spec.options.get("truth"):
            record["truth_sha256"] = provenance.sha256_file(spec.options["truth"])
        record["code"] = SourceTree.load(package_root()).fingerprint(["workbench.data.declared"])
    else:
        record["environment"] = environment_sha256()
        tree = SourceTree.load(package_root())
        makers = ["workbench.data.synth"] if spec.kind == "synthetic" else \
            [m for m in tree.graph if m.startswith("workbench.data.")]
        record["code"] = tree.fingerprint(makers)
    if spec.kind == "build":
        root = Path(spec.options["from"])
        from workbench.data.panel_files import walk_files  # symlinked folders too

        record["files"] = [(p.relative_to(root).as_posix(), p.stat().st_size, p.stat().st_mtime_ns)
                           for p in walk_files(root) if p.is_file()]
    return hashlib.sha256(canonical_json(record).encode("utf-8")).hexdigest()


def materialise_data_cached(spec: DataSpec, data_dir: Path,
                            study_path: Path | str = "<study>") -> dict:
    """:func:`materialise_data`, skipped when ``data_dir`` already holds the data made
    from the same source (:func:`data_source_key`) with an unchanged sha256. Either way
    :data:`VALIDATED_FILE` beside the panel then holds its sha256 (``materialise_data``
    validated it when it was made).

    >>> import tempfile
    >>> from workbench.batch.study import DataSpec
    >>> folder = Path(tempfile.mkdtemp()) / "data"
    >>> spec = DataSpec("synthetic", {"seed": 1, "n_providers": 20, "n_months": 3})
    >>> record = materialise_data_cached(spec, folder)
    >>> (folder / VALIDATED_FILE).read_text().strip() == record["sha256"]
    True
    >>> materialise_data_cached(spec, folder) == record
    True
    """
    key = data_source_key(spec, study_path)
    record_path = data_dir / DATA_SOURCE_FILE
    if record_path.is_file() and (data_dir / PANEL_FILE).is_file():
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            record = {}  # unreadable: the data are made again
        if record.get("key") == key and record.get("data", {}).get("sha256") == \
                provenance.sha256_file(data_dir / PANEL_FILE):
            _mark_validated(data_dir, record["data"]["sha256"])
            if not (data_dir / CATALOGUE_FILE).is_file():  # made before catalogues
                _write_catalogue(spec, data_dir)
            return record["data"]
    data = materialise_data(spec, data_dir, study_path)
    atomic_write_text(record_path, json.dumps({"key": key, "data": data}, indent=2,
                                              sort_keys=True) + "\n")
    _mark_validated(data_dir, data["sha256"])
    return data


def _write_catalogue(spec: DataSpec, folder: Path) -> Path:
    """Write the catalogue of the panel (and truth) in ``folder`` made from ``spec``: the
    generator's or a panel file's, which hold no tables beside the panel (a build writes
    its own; one that did not is listed as such).
    """
    from workbench.data import catalogue

    options = ", ".join(f"{k}={v}" for k, v in spec.options.items() if k != "from")
    entries = [catalogue.file_entry("panel", folder / PANEL_FILE)]
    if spec.kind == "synthetic":
        made_by = f"the synthetic generator ({options or 'its defaults'})"
        if (folder / TRUTH_FILE).is_file():
            entries.append(catalogue.file_entry("truth", folder / TRUTH_FILE))
        if (folder / FLOWS_FILE).is_file():  # the generator's RTT flows
            entries.append(catalogue.file_entry("rtt_flows", folder / FLOWS_FILE))
        not_made = catalogue.missing_without_build(made_by)
    elif spec.kind == "panel":
        made_by = f"the panel file {spec.options['path']}"
        not_made = {"truth": f"{made_by} comes without a truth.json",
                    **catalogue.missing_without_build(made_by)}
    elif spec.kind == "table":
        made_by = (f"the table {spec.options['table']}, read through its declaration "
                   f"({spec.options.get('declared_in') or 'in the study'})")
        not_made = catalogue.missing_without_build(made_by)
        if (folder / TRUTH_FILE).is_file():
            entries.append(catalogue.file_entry("truth", folder / TRUTH_FILE))
        else:
            not_made["truth"] = f"{made_by} comes without a truth.json"
    else:
        made_by = f"a build of the published files in {spec.options.get('from')}"
        not_made = {name: "the build wrote no catalogue of the tables beside the panel"
                    for name in catalogue.TABLES}
    return catalogue.write_catalogue(folder / PANEL_FILE, entries, made_by=made_by,
                                     not_made=not_made)


def _verified(spec: DataSpec, study_path: Path | str) -> dict:
    """The seal of the named panel of ``spec`` once every file's sha256 is checked."""
    from workbench.data import named_panels
    from workbench.errors import NamedPanelError

    try:
        return named_panels.verify(Path(spec.options["path"]).parent)
    except NamedPanelError as exc:
        raise StudyError(f"{study_path}: key 'data.panel': {exc}") from None


def _copy_sealed(folder: Path, dest: Path) -> None:
    """Copy every file of a sealed panel folder (panel, side tables, catalogue, provenance,
    the seal) into ``dest``.
    """
    from workbench.data.named_panels import SEAL_FILE, files_of

    for name in [*files_of(folder), SEAL_FILE]:
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(folder / name, target)  # a link's content, not the link


def _progress(line: str) -> None:
    import sys

    print(f"data: {line}", file=sys.stderr, flush=True)


def _shared_build(spec: DataSpec, tmp: Path, study_path: Path | str) -> bool:
    """Copy into ``tmp`` the build kept for ``spec``'s source (its key:
    :func:`data_source_key`) in the panels folder's ``.builds/``, building and sealing it
    first when there is none (progress on stderr). False when the panels folder cannot be
    written: the caller then builds into ``tmp`` as before.
    """
    from workbench.data import named_panels
    from workbench.data.panel import build
    from workbench.data.panel_files import unread_text
    from workbench.errors import NamedPanelError

    key = data_source_key(spec)
    shared = named_panels.panels_root() / named_panels.BUILDS_DIR / key[:16]
    if (shared / named_panels.SEAL_FILE).is_file():
        try:
            if named_panels.verify(shared).get("key") == key:
                _progress(f"the panel built from {spec.options['from']} is reused from "
                          f"{shared} (every file's sha256 checked)")
                _copy_sealed(shared, tmp)
                return True
        except (NamedPanelError, OSError) as exc:
            _progress(f"built again: {exc}")
    partial = shared.parent / f".{shared.name}.partial-{os.getpid()}"
    try:
        if partial.exists():
            shutil.rmtree(partial)
        partial.mkdir(parents=True)
    except OSError:
        return False
    try:
        options = {k: v for k, v in spec.options.items() if k != "from"}
        _progress(f"building the panel from {spec.options['from']} (kept in {shared} for "
                  "every study made from the same files)")
        built = build(spec.options["from"], out=partial / PANEL_FILE, progress=_progress,
                      **options)
        unread = unread_text(built.inputs, spec.options["from"])
        if unread:
            _progress(unread)
        named_panels.seal(partial, f"build-{key[:16]}", key=key,
                          made_by=f"a build of the published files in {spec.options['from']}")
        if _sealed_with(shared, key):  # another study's build of the same files, meanwhile
            shutil.rmtree(partial)
        else:
            if shared.exists():
                shutil.rmtree(shared)
            os.replace(partial, shared)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    _copy_sealed(shared, tmp)
    _prune_builds(shared.parent, keep=shared)
    return True


def _sealed_with(folder: Path, key: str) -> bool:
    """Whether ``folder`` holds a build sealed under ``key`` whose files all check."""
    from workbench.data import named_panels
    from workbench.errors import NamedPanelError

    try:
        return named_panels.verify(folder).get("key") == key
    except (NamedPanelError, OSError):
        return False


#: Builds kept in the panels folder's ``.builds/`` (the newest; older ones are removed).
KEEP_BUILDS = 4


def _prune_builds(folder: Path, keep: Path) -> None:
    """Remove from ``folder`` the kept builds past the newest :data:`KEEP_BUILDS` (never
    ``keep``) and the partial folders of builds whose process has ended.
    """
    from workbench.files import pid_alive

    builds = []
    for path in folder.iterdir():
        name = path.name
        if name.startswith(".") and ".partial-" in name:
            pid = name.rsplit("-", 1)[-1]
            if pid.isdigit() and not pid_alive(int(pid)):
                shutil.rmtree(path, ignore_errors=True)
        elif path.is_dir() and path != keep:
            builds.append((path.stat().st_mtime, path))
    for _, path in sorted(builds, reverse=True)[KEEP_BUILDS - 1:]:
        shutil.rmtree(path, ignore_errors=True)


def _mark_validated(data_dir: Path, sha256: str) -> None:
    marker = data_dir / VALIDATED_FILE
    try:
        if marker.read_text(encoding="utf-8").strip() == sha256:
            return
    except OSError:
        pass
    atomic_write_text(marker, sha256 + "\n")


def _rename_into(src: Path, dst: Path) -> None:
    if src.resolve() != dst.resolve():
        os.replace(src, dst)
