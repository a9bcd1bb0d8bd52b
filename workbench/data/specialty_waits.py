"""RTT waits by provider and treatment function: the ``specialty_waits`` table beside the panel.

The like-for-like comparison of NHS and independent-sector waits
(:mod:`workbench.analysis.effects.like_for_like`) needs each provider's pathways by
treatment function, which the provider x month panel does not keep. A build of the
published files (:func:`workbench.data.panel.build`) therefore writes them beside the
panel as one table (:data:`TABLE_COLUMNS`), one row per provider x treatment function x
pathway kind:

* ``completed_non_admitted`` (and the waiting list when no extract is read) from an RTT
  provider workbook (:mod:`workbench.data.sources.rtt_provider_workbook`: NHS ``Provider``
  and ``IS Provider`` sheets, weekly bands; :func:`from_workbook`);
* ``waiting_list`` (incomplete pathways) from the RTT full extract read by treatment
  function (:mod:`workbench.data.sources.rtt`; :func:`from_extract`).

Each pathway kind comes from the file with its latest month (several monthly files of one
kind: the latest is used), its month in ``period`` (``YYYY-MM``) and the file in
``source_file``. The all-functions rows (``C_999``) are left out; the "Other" groups
(``X02`` ... ``X06``) are kept as treatment functions.

Columns: ``pathways`` (pathways with a known clock start), ``within_18w``, ``over_52w`` and
``weeks_sum`` (the pathways times their band midpoints, the open band counted at its
start; missing without bands, as in the extract).

>>> t = collect([(example_workbook(), "NonAdmitted-Provider-Sep25.xlsx")], [])
>>> t[["pathway", "period", "provider_code", "pathways"]].to_dict("records")
[{'pathway': 'completed_non_admitted', 'period': '2025-09', 'provider_code': 'NT1', 'pathways': 4.0}]
>>> {k: v.attrs["period"] for k, v in by_pathway(t).items()}
{'completed_non_admitted': '2025-09'}
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

#: Columns of one pathway kind's specialty waits (one row per provider x treatment function).
COLUMNS = ["provider_code", "provider_name", "specialty_code", "specialty_name", "pathways",
           "within_18w", "over_52w", "weeks_sum"]
#: Columns of the ``specialty_waits`` table beside the panel.
TABLE_COLUMNS = ["pathway", "period", "source_file", *COLUMNS]
#: Pathway kinds, in the order the table lists them.
PATHWAY_KINDS = ("completed_non_admitted", "waiting_list")
#: The provider workbook's pathway kinds kept, and their names in the table.
_WORKBOOK_KINDS = {"completed_non_admitted": "completed_non_admitted",
                   "incomplete": "waiting_list"}


def _band_midpoints(columns: list[str]) -> dict[str, float]:
    """Band column -> weeks counted for the mean (midpoint; the open band at its start)."""
    out = {}
    for c in columns:
        m = re.fullmatch(r"band_(\d+)_(\d+|plus)", c)
        if m:
            lo = int(m.group(1))
            out[c] = float(lo) if m.group(2) == "plus" else (lo + int(m.group(2))) / 2
    return out


def from_workbook(df: pd.DataFrame) -> pd.DataFrame:
    """Specialty waits (:data:`COLUMNS`) from an RTT provider workbook
    (:func:`workbench.data.sources.rtt_provider_workbook.read`), ``C_999`` rows left out.

    ``pathways`` is the workbook's total with a known clock start, ``within_18w`` and
    ``over_52w`` as published, ``weeks_sum`` the pathways times their band midpoints.

    >>> from_workbook(example_workbook())[["pathways", "weeks_sum"]].iloc[0].tolist()
    [4.0, 3.0]
    """
    d = df[df["treatment_function_code"] != "C_999"]
    mids = _band_midpoints(list(d.columns))
    weeks = sum(d[c].fillna(0.0) * w for c, w in mids.items()) if mids else np.nan
    return pd.DataFrame({
        "provider_code": d["provider_code"].astype(str), "provider_name": d["provider_name"],
        "specialty_code": d["treatment_function_code"].astype(str),
        "specialty_name": d["treatment_function_name"],
        "pathways": d["total_known"].astype(float), "within_18w": d["within_18w"].astype(float),
        "over_52w": d["over_52w"].astype(float), "weeks_sum": weeks,
    }, columns=COLUMNS).reset_index(drop=True)


def from_extract(df: pd.DataFrame) -> pd.DataFrame:
    """Specialty waits from the RTT full extract read by treatment function
    (:func:`workbench.data.sources.rtt.read` with ``by="treatment_function"``).

    ``pathways`` (known clock start) is recovered as ``within_18w / (% within 18 weeks)``;
    where that share is 0 or missing it is the waiting list (which also counts unknown
    clock starts; in the April 2026 extract the two agree wherever both are defined).
    The extract's reader gives no bands, so ``weeks_sum`` is missing (no mean).

    >>> ex = pd.DataFrame({"provider_code": ["RJ1"], "provider_name": ["X"],
    ...     "treatment_function_code": ["C_100"], "treatment_function_name": ["General"],
    ...     "rtt_waiting_list": [10.0], "rtt_within_18w": [6.0], "rtt_over_52w": [1.0],
    ...     "rtt_pct_within_18w": [60.0]})
    >>> from_extract(ex)["pathways"].tolist()
    [10.0]
    """
    d = df[df["treatment_function_code"] != "C_999"]
    pct = d["rtt_pct_within_18w"].astype(float)
    known = (d["rtt_within_18w"] * 100.0 / pct).where(pct > 0, d["rtt_waiting_list"])
    return pd.DataFrame({
        "provider_code": d["provider_code"].astype(str), "provider_name": d["provider_name"],
        "specialty_code": d["treatment_function_code"].astype(str),
        "specialty_name": d["treatment_function_name"], "pathways": known.astype(float),
        "within_18w": d["rtt_within_18w"].astype(float),
        "over_52w": d["rtt_over_52w"].astype(float), "weeks_sum": np.nan,
    }, columns=COLUMNS).reset_index(drop=True)


def collect(workbooks: Iterable[tuple[pd.DataFrame, str | Path]],
            extracts: Iterable[tuple[pd.DataFrame, str | Path]]) -> pd.DataFrame | None:
    """The ``specialty_waits`` table (:data:`TABLE_COLUMNS`) from the provider workbooks
    and the extracts (by treatment function) a build read, each with its file; None when
    neither gives a pathway kind of :data:`PATHWAY_KINDS`.

    Per pathway kind the file with the latest month is used (the first such file on a
    tie); the waiting list comes from an extract when one was read, else from an
    ``Incomplete-Provider`` workbook.
    """
    chosen: dict[tuple[str, str], tuple[str, str, pd.DataFrame]] = {}

    def offer(source: str, pathway: str, period: str, file: str, table: pd.DataFrame):
        key = (source, pathway)
        if key not in chosen or period > chosen[key][0]:
            chosen[key] = (period, file, table)

    for raw, path in workbooks:
        for kind, g in raw.groupby("pathway"):
            if kind in _WORKBOOK_KINDS:
                offer("workbook", _WORKBOOK_KINDS[kind], f"{g['period'].max():%Y-%m}",
                      Path(path).name, from_workbook(g))
    for raw, path in extracts:
        offer("extract", "waiting_list", f"{raw['period'].max():%Y-%m}", Path(path).name,
              from_extract(raw))
    parts = []
    for pathway in PATHWAY_KINDS:
        hit = chosen.get(("extract", pathway)) or chosen.get(("workbook", pathway))
        if hit is not None:
            period, file, table = hit
            parts.append(table.assign(pathway=pathway, period=period, source_file=file))
    if not parts:
        return None
    return pd.concat(parts, ignore_index=True)[TABLE_COLUMNS]


def by_pathway(table: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The ``specialty_waits`` table split by pathway kind: ``{pathway: table}`` with
    :data:`COLUMNS` (and any other columns but ``pathway``, ``period``, ``source_file``),
    each with ``period`` and ``file`` in its ``attrs``.

    >>> t = collect([(example_workbook(), "wb.xlsx")], [])
    >>> by_pathway(t)["completed_non_admitted"].attrs
    {'period': '2025-09', 'file': 'wb.xlsx'}
    """
    out = {}
    for pathway in PATHWAY_KINDS:
        part = table[table["pathway"] == pathway]
        if part.empty:
            continue
        t = part.drop(columns=["pathway", "period", "source_file"]).reset_index(drop=True)
        t.attrs = {"period": str(part["period"].iloc[0]), "file": str(part["source_file"].iloc[0])}
        out[pathway] = t
    return out


def example_workbook() -> pd.DataFrame:
    """A one-row provider workbook as its reader returns it (for examples and tests).

    >>> example_workbook()["pathway"].tolist()
    ['completed_non_admitted']
    """
    return pd.DataFrame({"sheet": ["IS Provider"], "pathway": ["completed_non_admitted"],
                         "period": [pd.Timestamp("2025-09-01")], "provider_code": ["NT1"],
                         "provider_name": ["X"], "treatment_function_code": ["C_130"],
                         "treatment_function_name": ["Ophthalmology Service"],
                         "band_000_001": [2.0], "band_001_plus": [2.0], "total_known": [4.0],
                         "within_18w": [4.0], "over_52w": [0.0]})
