"""The study's publishable folder: what stakeholders may see, and nothing else.

A study's output folder is the analyst's: each run folder keeps the executed notebook,
``findings.json``, ``data.json``, its manifest and log and a disclosure log with the
original of every hidden value, beside the report. :func:`write_public` copies what may
be published into one folder, ``outputs/<study>/public/`` (:data:`PUBLIC_DIR`), so that
publishing that folder cannot publish a raw number:

* the index pages (``index.html``, ``index-2.html``, ...), ``findings.csv`` and the
  glossary the reports link (``glossary.html``);
* per run: ``report.html``, its figures (``figures/*.png``) with the data behind each
  (``figures/*.json``), ``results.json`` (the record of the checks applied) and
  ``disclosure.json`` **without the originals** (what was hidden or rounded, where, what
  kind of number and why);
* the study's ``disclosure.json`` without the originals.

Nothing else is copied: only these names (:data:`PUBLIC_FILES`, :data:`RUN_FILES`) are
taken, so a file a later version writes beside the report stays out until it is named
here. The folder is written beside, then swapped in, so a reader never sees half of it
(one runner writes a study's folder at a time: the study's lock).

>>> import tempfile
>>> out = Path(tempfile.mkdtemp())
>>> (out / "index.html").write_text("<p>index</p>")
12
>>> (out / "r1").mkdir()
>>> (out / "r1" / "report.html").write_text("<p>r</p>")
8
>>> (out / "r1" / "notebook.ipynb").write_text("{}")
2
>>> sorted(str(p.relative_to(out / PUBLIC_DIR)) for p in write_public(out, ["r1"]).rglob("*"))
['index.html', 'r1', 'r1/report.html']
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from workbench.report.disclosure import public_entry

#: The publishable folder, in the study's output folder.
PUBLIC_DIR = "public"
#: Study files copied as they are (patterns).
PUBLIC_FILES = ("index.html", "index-*.html", "findings.csv", "glossary.html")
#: Run files copied as they are (patterns, relative to the run folder).
RUN_FILES = ("report.html", "results.json", "figures/*.png", "figures/*.json")
#: Disclosure logs, copied without the original values.
LOG_FILE = "disclosure.json"


def public_log(record: Any) -> Any:
    """A disclosure log (a run's, or a study's with sections) without the originals: each
    change keeps where, what kind, why and the value shown; the words around a number the
    text rule changed (which hold it) are left out too.

    >>> public_log({"rule": {}, "changes": [{"where": "table", "original": "3", "shown": "*",
    ...                                       "what": "column n, row 1"}]})
    {'rule': {}, 'changes': [{'where': 'table', 'shown': '*', 'what': 'column n, row 1'}]}
    """
    if isinstance(record, dict):
        out = {}
        for key, value in record.items():
            if key == "changes" and isinstance(value, list):
                out[key] = [public_entry(c) for c in value if isinstance(c, dict)]
            else:
                out[key] = public_log(value) if isinstance(value, dict) else value
        return out
    return record


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)


def _write_log(src: Path, dst: Path) -> None:
    try:
        record = json.loads(src.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(json.dumps(public_log(record), indent=1, ensure_ascii=False) + "\n",
                   encoding="utf-8")


def write_public(out_dir: str | Path, run_ids: Iterable[str]) -> Path:
    """Write the study's publishable folder (see the module docstring) from its output
    folder ``out_dir`` and the ids of its runs; return the folder's path.
    """
    out_dir = Path(out_dir)
    final = out_dir / PUBLIC_DIR
    for stale in out_dir.glob(f".{PUBLIC_DIR}.*"):  # left by an interrupted run (the
        shutil.rmtree(stale, ignore_errors=True)    # study's lock admits one runner)
    tmp = out_dir / f".{PUBLIC_DIR}.partial-{os.getpid()}"
    tmp.mkdir(parents=True)
    for pattern in PUBLIC_FILES:
        for src in sorted(out_dir.glob(pattern)):
            if src.is_file():
                _copy(src, tmp / src.name)
    if (out_dir / LOG_FILE).is_file():
        _write_log(out_dir / LOG_FILE, tmp / LOG_FILE)
    for run_id in run_ids:
        run = out_dir / run_id
        if not (run / "report.html").is_file():
            continue
        for pattern in RUN_FILES:
            for src in sorted(run.glob(pattern)):
                if src.is_file():
                    _copy(src, tmp / run_id / src.relative_to(run))
        if (run / LOG_FILE).is_file():
            _write_log(run / LOG_FILE, tmp / run_id / LOG_FILE)
    old = out_dir / f".{PUBLIC_DIR}.old-{os.getpid()}"
    if final.exists():
        final.rename(old)
    tmp.rename(final)
    if old.exists():
        shutil.rmtree(old)
    return final
