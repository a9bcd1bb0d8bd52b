"""The annual, quarterly, monthly and national tables a build keeps beside the panel.

The publications of :data:`workbench.data.panel_files.NOT_JOINED` are read and checked by the
build but not joined into the provider x month panel: their rows are not provider-months
(a financial year of complaints, a quarter of beds, a survey year, national totals), or they
are monthly but of organisations the panel does not hold as such. Each keeps its own period
and frequency in a table of :data:`workbench.data.catalogue.TABLES`, written beside the panel
and read through the catalogue (``s.data(name)`` in a notebook). Nothing annual is spread
over months: an analysis that joins tables of different frequencies aligns their periods
itself and says which (:mod:`workbench.analysis.effects.cross_section`).

=========================  ==================================================  ============
table                      from (reader)                                       one row per
=========================  ==================================================  ============
``complaints``             KO41a organisation level (``complaints_ko41a``)     organisation x financial year
``sickness_absence``       monthly CSVs (``sickness_absence``)                 organisation x month
``inpatient_survey``       benchmark workbook scores (``inpatient_survey``)    trust x item
``inpatient_respondents``  the workbook's respondents sheet                    trust x characteristic
``beds``                   KH03 available and occupied (``kh03.combine``)      organisation x sector x quarter
``fft_national``           FFT summary and rolling totals                      setting x submitters x month
=========================  ==================================================  ============

:func:`pieces` turns one reader's result into rows of these tables; :func:`assemble` joins the
pieces of every file of a build into the tables, checking that no organisation and period
comes from two files.

>>> import pandas as pd
>>> t = pd.DataFrame({"provider_code": ["RJ1"], "period": [pd.Timestamp("2024-04-01")],
...                   "fte_days_lost": [10.0], "fte_days_available": [100.0]})
>>> parts = pieces("sickness_absence", t)
>>> list(assemble({"sickness_absence": [parts["sickness_absence"]]}, "f"))
['sickness_absence']
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from workbench.errors import SourceFormatError

#: Publication kind -> the tables beside the panel its rows go to.
TABLES_OF: dict[str, tuple[str, ...]] = {
    "complaints_ko41a": ("complaints",),
    "sickness_absence": ("sickness_absence",),
    "inpatient_survey": ("inpatient_survey", "inpatient_respondents"),
    "kh03": ("beds",),
    "fft_summary": ("fft_national",),
    "fft_rolling": ("fft_national",),
}
#: Key of each table: no two files may give the same key.
KEYS: dict[str, tuple[str, ...]] = {
    "complaints": ("provider_code", "financial_year"),
    "sickness_absence": ("provider_code", "period"),
    "inpatient_survey": ("provider_code", "survey_year", "item"),
    "inpatient_respondents": ("provider_code", "survey_year", "variable"),
    "beds": ("provider_code", "sector", "snapshot_date"),
    "fft_national": ("setting", "submitters", "period"),
}


def pieces(kind: str, result, file_name: str = "") -> dict[str, pd.DataFrame]:
    """The rows ``result`` (what the reader of ``kind`` returned for the file
    ``file_name``) gives each table beside the panel; ``{}`` for a kind kept nowhere.

    >>> import pandas as pd
    >>> sorted(pieces("fft_summary", pd.DataFrame({"setting": ["A&E"]}), "x.xlsx")["fft_national"])
    ['consistent', 'pct_rounding_pp', 'setting', 'source_file']
    """
    if kind not in TABLES_OF:
        return {}
    if kind == "inpatient_survey":
        year = result.provenance.get("survey_year")
        chars = result.respondents.merge(result.characteristics, on="provider_code", how="left")
        chars.insert(1, "survey_year", year)
        return {"inpatient_survey": _plain(result.scores),
                "inpatient_respondents": _plain(chars)}
    table = _plain(result)
    if kind in ("fft_summary", "fft_rolling"):
        table["source_file"] = file_name
        if "consistent" not in table.columns:  # the summary's totals are checked by its reader
            table["consistent"] = True
        if "pct_rounding_pp" not in table.columns:
            table["pct_rounding_pp"] = float("nan")
        table["consistent"] = table["consistent"].astype(bool)
    if kind == "kh03":
        table["source_file"] = file_name
    return {TABLES_OF[kind][0]: table}


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out.attrs = {}
    return out


def assemble(parts: Mapping[str, list[pd.DataFrame]], folder: str | Path
             ) -> dict[str, pd.DataFrame]:
    """The tables beside the panel from every file's :func:`pieces` (table -> list of
    pieces; empty lists are left out). KH03's available and occupied files become one
    ``beds`` table side by side (:func:`workbench.data.sources.kh03.combine`). The same key
    (:data:`KEYS`) from two files raises :class:`~workbench.errors.SourceFormatError`
    naming the table, the key and ``folder``.
    """
    out: dict[str, pd.DataFrame] = {}
    for name, tables in parts.items():
        tables = [t for t in tables if t is not None and len(t)]
        if not tables:
            continue
        if name == "beds":
            table = _beds(tables, folder)
        else:
            table = pd.concat(tables, ignore_index=True)
        key = [k for k in KEYS.get(name, ()) if k in table.columns]
        if key:
            dup = table.duplicated(key, keep=False)
            if dup.any():
                first = table.loc[dup, key].iloc[0].tolist()
                raise SourceFormatError(folder, f"two files give the {name} table's row "
                                        f"{dict(zip(key, map(str, first)))}",
                                        column=key[0],
                                        expected=f"each {' x '.join(key)} in one file")
            table = table.sort_values(key, kind="stable").reset_index(drop=True)
        out[name] = table
    return out


def _beds(tables: list[pd.DataFrame], folder) -> pd.DataFrame:
    from workbench.data.sources import kh03

    by_count: dict[str, list[pd.DataFrame]] = {}
    for t in tables:
        count = "beds_available" if "beds_available" in t.columns else "beds_occupied"
        by_count.setdefault(count, []).append(t.drop(columns=["source_file"], errors="ignore"))
    joined = [pd.concat(ts, ignore_index=True) for ts in by_count.values()]
    for count, t in zip(by_count, joined):
        dup = t.duplicated(["provider_code", "sector", "snapshot_date"], keep=False)
        if dup.any():
            code, sector, date = t.loc[dup, ["provider_code", "sector", "snapshot_date"]].iloc[0]
            raise SourceFormatError(folder, f"two KH03 files give {count} for {code!r}, "
                                    f"{sector}, {pd.Timestamp(date):%d/%m/%Y}",
                                    column="Organisation_Code",
                                    expected="each organisation, sector and date in one file")
    files = sorted({f for t in tables for f in t.get("source_file", pd.Series(dtype=object))})
    out = kh03.combine(*joined)
    out["source_files"] = "; ".join(files)
    return out


#: The construct each table beside the panel measures, what it holds and its period column.
CONSTRUCT_OF: dict[str, tuple[str, str, str]] = {
    "inpatient_survey": ("satisfaction", "inpatient survey scores", "survey_year"),
    "complaints": ("satisfaction", "written complaints", "financial_year"),
    "fft_national": ("satisfaction", "FFT national totals", "period"),
    "staff_survey_years": ("staffing", "NHS Staff Survey results", "year"),
    "sickness_absence": ("staffing", "sickness absence", "period"),
    "beds": ("context", "KH03 beds", "period"),
}


def coverage(tables: Mapping[str, pd.DataFrame],
             sectors: pd.Series | None = None) -> pd.DataFrame:
    """Which constructs the tables beside the panel hold, for how many organisations: one
    row per table of :data:`CONSTRUCT_OF` held, with its ``construct``, ``periods`` (first
    to last), ``organisations`` and, where ``sectors`` (provider code -> sector, the
    registers' decision) is given, ``nhs`` (organisations the registers settle as NHS).

    >>> t = {"complaints": pd.DataFrame({"provider_code": ["A", "B"],
    ...                                  "financial_year": ["2024-25"] * 2})}
    >>> r = coverage(t, pd.Series({"A": "nhs"})).iloc[0]
    >>> r["construct"], int(r["organisations"]), int(r["nhs"])
    ('satisfaction', 2, 1)
    """
    rows = []
    for name, (construct, what, period) in CONSTRUCT_OF.items():
        t = tables.get(name)
        if t is None or not isinstance(t, pd.DataFrame) or t.empty:
            continue
        national = "provider_code" not in t.columns
        codes = [] if national else t["provider_code"].dropna().astype(str).unique()
        p = t[period].dropna() if period in t.columns else pd.Series(dtype=object)
        fmt = (lambda v: f"{pd.Timestamp(v):%Y-%m}") if period == "period" else str
        first, last = (fmt(p.min()), fmt(p.max())) if len(p) else ("", "")
        rows.append({"construct": construct, "table": name, "holds": what,
                     "periods": first if first == last else f"{first} to {last}",
                     "organisations": None if national else len(codes),
                     "nhs": (int((pd.Series(codes).map(sectors) == "nhs").sum())
                             if sectors is not None and not national else None)})
    return pd.DataFrame(rows, columns=["construct", "table", "holds", "periods",
                                       "organisations", "nhs"])


def coverage_text(tables: Mapping[str, pd.DataFrame], sectors: pd.Series | None = None) -> str:
    """:func:`coverage` as lines for the terminal ('' when no such table is held)."""
    cov = coverage(tables, sectors)
    if cov.empty:
        return ""
    lines = ["Constructs beside the panel (organisations; NHS as the registers settle them):"]
    for r in cov.to_dict("records"):
        if r["organisations"] is None or pd.isna(r["organisations"]):
            who = "national totals"
        else:
            who = f"{int(r['organisations'])} organisations" + (
                f", {int(r['nhs'])} NHS" if r["nhs"] is not None and pd.notna(r["nhs"]) else "")
        lines.append(f"  {r['construct']}: {r['holds']} ({r['table']}), {r['periods']}: {who}")
    return "\n".join(lines)
