"""Where a built panel's files go and how they are written together.

Outputs (written only after the panel validates)
------------------------------------------------
``out`` is a folder (the panel ``panel.parquet``, coverage ``panel.coverage.csv`` and
provenance ``panel.provenance.json`` inside it) or a panel file ending in ``.parquet``
(``<stem>.coverage.csv`` and ``<stem>.provenance.json`` beside it), with the side tables
(:data:`SIDE_TABLES`: ``<stem>.staff_survey_years.parquet``, ``<stem>.comments.parquet``,
``<stem>.comment_themes.parquet``, ``<stem>.specialty_waits.parquet``) when their sources
are present, and the catalogue ``<stem>.catalogue.json``
(:mod:`workbench.data.catalogue`: every table written with its sha256 and rows, and why
each side table not written is absent), through which a session reads them. The
coverage table has one row per provider-month with a true/false column per construct and
the measures present; the provenance lists every input file with its reader, status,
sha256, periods, warnings and publisher URL, and the panel's sha256.

The files are replaced together (:func:`write_outputs`): they are written
into a fresh hidden folder ``.<stem>.build-<pid>-<hex>/`` beside the destination, and the
names readers open (``<stem>.parquet``, ``<stem>.coverage.csv``, ``<stem>.provenance.json``)
are fixed relative symlinks through ``.<stem>.current``, a symlink to one build folder. One
``os.replace`` of that link switches all three at once, so a build killed at any moment
leaves the old set or the new set, never a mix. Readers open the panel by its path as before
(``workbench.load``, the study runner); the coverage and provenance beside it are always of
the same build. Build folders and links left by killed builds are removed by the next build
(only those matching that naming whose process has ended); other files in the folder are left
alone. A full disk or read-only destination is an :class:`~workbench.errors.OutputWriteError`
naming the path, with the old outputs intact.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from workbench.data import catalogue
from workbench.errors import OutputWriteError
from workbench.files import atomic_file_set, sha256_file, write_csv

DEFAULT_OUT = Path("data/processed/panel.parquet")
#: Stem of the three outputs when ``out`` is a folder.
FOLDER_STEM = "panel"


def output_paths(out: str | Path) -> tuple[Path, Path, Path]:
    """The panel, coverage and provenance paths that ``out`` names.

    A folder (existing, or any path not ending in ``.parquet``) holds ``panel.parquet``,
    ``panel.coverage.csv`` and ``panel.provenance.json``; a panel file ``X.parquet`` has
    ``X.coverage.csv`` and ``X.provenance.json`` beside it.

    >>> [p.as_posix() for p in output_paths("data/processed/panel.parquet")]
    ['data/processed/panel.parquet', 'data/processed/panel.coverage.csv', 'data/processed/panel.provenance.json']
    >>> output_paths("outputs/real")[0].as_posix()
    'outputs/real/panel.parquet'
    """
    out = Path(out)
    if out.is_dir():
        panel = out / f"{FOLDER_STEM}.parquet"
    elif out.suffix.lower() == ".parquet":
        panel = out
    elif out.exists() or out.is_symlink():
        raise OutputWriteError(out, "is a file, not a folder or a .parquet panel file; give "
                                    "a folder or a panel file path ending in .parquet")
    else:
        panel = out / f"{FOLDER_STEM}.parquet"
    stem = panel.name[: -len(".parquet")]
    return (panel, panel.with_name(stem + ".coverage.csv"),
            panel.with_name(stem + ".provenance.json"))


#: Tables written beside the panel when their sources are present: name -> what a row is.
SIDE_TABLES = catalogue.SIDE_TABLES


def side_table_path(panel_path: str | Path, name: str) -> Path:
    """Where the side table ``name`` (:data:`SIDE_TABLES`) of a panel file is written.

    >>> side_table_path("data/processed/panel.parquet", "staff_survey_years").as_posix()
    'data/processed/panel.staff_survey_years.parquet'
    """
    panel_path = Path(panel_path)
    return panel_path.with_name(panel_path.name[: -len(".parquet")] + f".{name}.parquet")


def write_outputs(out: Path, cov_path: Path, prov_path: Path, panel: pd.DataFrame,
                  coverage: pd.DataFrame, provenance: dict,
                  side_tables: dict[str, pd.DataFrame], side_paths: dict[str, Path], *,
                  made_by: str = "a build of published files",
                  not_made: dict[str, str] | None = None,
                  details: dict[str, str] | None = None) -> None:
    """Write the panel, its coverage, side tables, provenance (with the panel's sha256,
    added to ``provenance``) and catalogue so that they replace the old set together.

    The catalogue (:func:`workbench.data.catalogue.write_catalogue`) lists the panel, the
    coverage table and each side table with its sha256, rows and ``details`` (what it was
    made from); each side table not written is listed with its reason from ``not_made``.
    """
    cat_path = catalogue.catalogue_path(out)
    file_names = ([out.name, cov_path.name, prov_path.name, cat_path.name]
                  + [p.name for p in side_paths.values()])
    details = details or {}
    with atomic_file_set(out.parent, file_names, tag=out.name[: -len(".parquet")]) as tmp:
        panel.to_parquet(tmp / out.name, index=False)
        write_csv(coverage, tmp / cov_path.name)  # text cells never formulas
        for name, tab in side_tables.items():
            tab.to_parquet(tmp / side_paths[name].name, index=False)
        provenance["panel_sha256"] = sha256_file(tmp / out.name)
        (tmp / prov_path.name).write_text(json.dumps(provenance, indent=2, default=str),
                                          encoding="utf-8")
        entries = [catalogue.file_entry("panel", tmp / out.name, rows=len(panel),
                                        detail=details.get("panel", "")),
                   catalogue.Entry("coverage", catalogue.TABLES["coverage"].row,
                                   file=cov_path.name, sha256=sha256_file(tmp / cov_path.name),
                                   rows=len(coverage), detail="from the panel (CSV)")]
        entries += [catalogue.file_entry(name, tmp / side_paths[name].name, rows=len(tab),
                                         detail=details.get(name, ""))
                    for name, tab in side_tables.items()]
        catalogue.write_catalogue(tmp / out.name, entries, made_by=made_by,
                                  not_made=not_made)
