"""Where a panel's data came from, in words a report can print without claiming more
than the files show.

A panel is one of four things (:func:`panel_origin`):

* **synthetic**: made by the workbench's generator (no real provider);
* **publications**: built by ``workbench data build`` from published files, whose
  provenance (``<stem>.provenance.json`` beside the panel, written by
  :func:`workbench.data.panel.build`) lists every input read; the publications are
  named (:data:`PUBLICATIONS`, by the kind of file each reader reads);
* **own table**: a table of the user's own, read through its declaration; named by its
  file;
* **unknown**: a panel file with neither (or with a provenance of another panel): said to
  be of unknown origin, never called NHS data.

>>> panel_origin(None, synthetic=True).kind
'synthetic'
>>> panel_origin("no/such/mine.parquet", synthetic=False).words
'a panel file (mine.parquet) of unknown origin'
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import urlparse

#: The publication each kind of input file belongs to (kinds of
#: :data:`workbench.data.panel_files.RECOGNISERS`), with its publisher.
PUBLICATIONS: dict[str, str] = {
    "ae": "A&E attendances and emergency admissions (NHS England)",
    "ae_workbook": "A&E attendances and emergency admissions (NHS England)",
    "ae_nhsr": "A&E attendances and emergency admissions (NHS England, via the NHS-R "
               "Community's NHSRdatasets)",
    "rtt": "Referral to treatment waiting times (NHS England)",
    "rtt_provider_workbook": "Referral to treatment waiting times (NHS England)",
    "workforce": "NHS workforce statistics (NHS Digital)",
    "staff_survey": "NHS Staff Survey (NHS England)",
    "staff_survey_trust": "NHS Staff Survey (NHS England)",
    "patient_comments": "Friends and Family Test comments (The Strategy Unit's labelled "
                        "patient feedback)",
    "cqc_locations": "CQC care directory (Care Quality Commission)",
    "cqc_api": "CQC ratings (Care Quality Commission)",
    "cqc_ratings": "CQC ratings (Care Quality Commission)",
    "fft": "Friends and Family Test (NHS England)",
    "fft_summary": "Friends and Family Test (NHS England)",
    "fft_rolling": "Friends and Family Test (NHS England)",
    "complaints_ko41a": "Data on written complaints in the NHS, KO41a (NHS Digital)",
    "complaints_ko41a_sites": "Data on written complaints in the NHS, KO41a (NHS Digital)",
    "complaints_ko41b": "Data on written complaints in the NHS, KO41b (NHS Digital)",
    "sickness_absence": "NHS sickness absence rates (NHS Digital)",
    "inpatient_survey": "Adult Inpatient Survey (Care Quality Commission)",
    "kh03": "Bed availability and occupancy, KH03 (NHS England)",
    "oversight_framework": "NHS Oversight Framework (NHS England)",
    "ods_etr": "Organisation Data Service lists of NHS organisations (NHS Digital)",
    "ods_etrust": "Organisation Data Service lists of NHS organisations (NHS Digital)",
}
#: Suffix of a built panel's provenance file (``panel.parquet`` ->
#: ``panel.provenance.json``).
PROVENANCE_SUFFIX = ".provenance.json"

KINDS = ("synthetic", "publications", "own table", "unknown")


@dataclass(frozen=True)
class DataOrigin:
    """Where a panel came from: its ``kind`` (one of :data:`KINDS`), the ``words`` a report
    prints, the ``publications`` a build read (named) and the user's ``file`` (its name).
    """

    kind: str
    words: str
    publications: tuple[str, ...] = ()
    file: str = ""


def provenance_path(panel_path: str | Path) -> Path:
    """The provenance file a build writes beside the panel file ``panel_path``.

    >>> provenance_path("data/panel.parquet").as_posix()
    'data/panel.provenance.json'
    """
    p = Path(panel_path)
    return p.with_name(p.name.removesuffix(".parquet") + PROVENANCE_SUFFIX)


def read_provenance(panel_path: str | Path, sha256: str = "") -> dict[str, Any] | None:
    """The provenance beside a panel file, or None when there is none, it cannot be read,
    or it records another panel (its ``panel_sha256`` differs from ``sha256``, when given).

    >>> read_provenance("no/such/panel.parquet") is None
    True
    """
    path = provenance_path(panel_path)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict):
        return None
    if sha256 and record.get("panel_sha256") not in (None, sha256):
        return None
    return record


def publications_read(provenance: Mapping[str, Any]) -> list[str]:
    """The publications a build read (inputs with status ``read``), named, each once, in
    alphabetical order. An input of a kind :data:`PUBLICATIONS` does not know is named by
    its reader's source and the publisher's web site.

    >>> publications_read({"inputs": [
    ...     {"kind": "rtt", "status": "read"}, {"kind": "ae", "status": "read"},
    ...     {"kind": "ae_workbook", "status": "read"}, {"kind": "fft", "status": "not used"},
    ...     {"kind": "new_one", "status": "read", "provenance": {
    ...         "source": "new_one", "publisher_url": "https://example.org/x"}}]})
    ['A&E attendances and emergency admissions (NHS England)', 'Referral to treatment waiting times (NHS England)', 'new_one (example.org)']
    """
    names = set()
    for record in provenance.get("inputs") or []:
        if not isinstance(record, Mapping) or record.get("status") != "read":
            continue
        kind = str(record.get("kind") or "")
        if kind in PUBLICATIONS:
            names.add(PUBLICATIONS[kind])
            continue
        prov = record.get("provenance") if isinstance(record.get("provenance"), Mapping) else {}
        host = urlparse(str(prov.get("publisher_url") or "")).netloc
        what = str(prov.get("source") or kind or PurePath(str(record.get("path", ""))).name)
        names.add(f"{what} ({host})" if host else what)
    return sorted(names)


def panel_origin(panel_path: str | Path | None, *, synthetic: bool,
                 declaration: Any = None, made_by: str = "", sha256: str = "") -> DataOrigin:
    """Where the panel at ``panel_path`` (None: made in memory) came from.

    ``synthetic`` says the panel is the generator's (a session knows it from its truth
    file or its providers' names); ``declaration`` is the declaration of a table of the
    user's own, read beside the panel; ``made_by`` is what the data's catalogue says made
    the panel (``the table data/raw/wards.csv, read through its declaration ...``, ``the
    panel file mine.parquet``), which names the user's file; ``sha256`` is the panel
    file's, checked against its provenance.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "panel.provenance.json").write_text(json.dumps(
    ...     {"panel_sha256": "abc", "inputs": [{"kind": "ae", "status": "read"}]}))
    >>> panel_origin(folder / "panel.parquet", synthetic=False, sha256="abc").words
    'published data: A&E attendances and emergency admissions (NHS England)'
    >>> panel_origin(folder / "panel.parquet", synthetic=False, sha256="other").kind
    'unknown'
    >>> panel_origin(folder / "copy.parquet", synthetic=False,
    ...              made_by="the panel file /x/wards_2024.parquet").words
    'a panel file (wards_2024.parquet) of unknown origin'
    """
    if declaration is not None:
        file = _named_file(made_by, "the table ") or \
            PurePath(str(getattr(declaration, "source", "") or "")).name or "a table"
        return DataOrigin("own table", f"your own table ({file})", file=file)
    if synthetic:
        return DataOrigin("synthetic", "synthetic panel from workbench.data.synth "
                                       "(no real providers)")
    provenance = read_provenance(panel_path, sha256) if panel_path else None
    names = tuple(publications_read(provenance)) if provenance else ()
    if names:
        return DataOrigin("publications", "published data: " + "; ".join(names),
                          publications=names)
    file = _named_file(made_by, "the panel file ") or \
        (PurePath(str(panel_path)).name if panel_path else "")
    return DataOrigin("unknown", f"a panel file ({file or 'not named'}) of unknown origin",
                      file=file)


def _named_file(made_by: str, prefix: str) -> str:
    """The name of the file a catalogue's ``made_by`` names after ``prefix`` ('' when it
    does not start so).
    """
    if not made_by.startswith(prefix):
        return ""
    rest = made_by[len(prefix):]
    rest = re.split(r",\s+read through", rest, maxsplit=1)[0].strip()
    return PurePath(rest.replace("\\", "/")).name
