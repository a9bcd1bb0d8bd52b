"""The panel's join: each file's measures keyed by provider x month, joined side by side.

Measures of different publications for the same provider-month sit side by side.
Two files that give the same provider-month and measure different values (beyond 1e-9
relative) stop the build with :class:`~workbench.errors.ConflictingValuesError` naming both
files and both values, unless ``precedence=`` (``--prefer`` on the command line; a
``precedence:`` list in a study's ``data.build``) names one of the two publications (its kind,
e.g. ``ae_workbook``, or its file name): the first named wins and each resolution is recorded
in the provenance and the warnings. Equal values are fine. A file that breaks its reader's
expectations stops the build with that reader's :class:`~workbench.errors.SourceFormatError`;
nothing is written. A file that is incomplete (totals missing or disagreeing, rows cut short)
stops it with :class:`~workbench.errors.SourceIncompleteError` unless
``allow_incomplete=True``, when the reader warns
(:class:`~workbench.errors.IncompleteSourceWarning`) and the build goes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from workbench.data import measures as M
from workbench.errors import ConflictingValuesError, SourceFormatError

#: Extra (unregistered) columns carried into the panel when a source gives them.
EXTRA_COLUMNS = ("cqc_safe", "cqc_effective", "cqc_well_led")


def _month(values) -> pd.Series:
    return pd.to_datetime(values).dt.to_period("M").dt.to_timestamp().astype("datetime64[ns]")


def panel_rows(kind: str, df: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Measures keyed by provider x month, and per-provider hints (name, setting, region)."""
    df = df.copy()
    if kind.startswith("cqc"):
        df = df[df["provider_code"].notna() & df["registered"].astype(bool)]
        df = df.sort_values("cqc_report_date", na_position="first").drop_duplicates(
            ["provider_code", "period"], keep="last")
    keys = df[["provider_code", "period"]]
    if keys.isna().any().any():
        raise SourceFormatError(path, "rows without provider code or period after reading",
                                column="provider_code", expected="a code and month on every row")
    df["provider_code"] = df["provider_code"].astype(str).str.strip().str.upper()
    df["period"] = _month(df["period"])
    dup = df.duplicated(["provider_code", "period"], keep=False)
    if dup.any():
        raise SourceFormatError(path, f"provider {df.loc[dup, 'provider_code'].iloc[0]!r} "
                                "appears more than once in a month after reading",
                                column="provider_code", expected="one row per provider-month")
    measures = [c for c in M.MEASURES if c in df.columns] + [c for c in EXTRA_COLUMNS
                                                             if c in df.columns]
    rows = df[["provider_code", "period", *measures]].copy()
    for m in measures:
        if m in M.MEASURES and M.MEASURES[m].kind != "ordinal":
            rows[m] = rows[m].astype("float64")
    h = pd.DataFrame({"provider_code": df["provider_code"]})
    h["provider_name"] = df.get("provider_name", pd.NA)
    h["region"] = df.get("region", pd.NA)
    hints = h.drop_duplicates("provider_code")
    return rows, hints


@dataclass(frozen=True)
class Table:
    """One file's measures keyed by provider x month, with the publication it came from."""

    kind: str
    file: str
    rows: pd.DataFrame


def _rank(precedence: list[str], table: Table) -> int | None:
    """Position of a table's file name or publication kind in ``precedence`` (None: not named)."""
    for i, p in enumerate(precedence):
        if p in (table.file, table.kind):
            return i
    return None


def _show(value) -> object:
    return value.item() if hasattr(value, "item") else value


def combine(tables: list[Table], precedence: list[str] | None = None
             ) -> tuple[pd.DataFrame, list[dict]]:
    """Outer-join measure tables on provider x month.

    Measures of different files sit side by side; a cell given by two files must agree
    (within 1e-9, or the same rating). A disagreement raises
    :class:`~workbench.errors.ConflictingValuesError` naming both files and both values,
    unless ``precedence`` names one of the two (its file name or publication kind): the
    one named first wins and the resolution is recorded.
    """
    key = ["provider_code", "period"]
    precedence = list(precedence or [])
    panel: pd.DataFrame | None = None
    owner: dict[str, pd.Series] = {}   # column -> which table gave each cell (index aligned)
    by_index: list[Table] = []
    resolved: list[dict] = []
    for t_no, tab in enumerate(tables):
        t = tab.rows.set_index(key)
        by_index.append(tab)
        if panel is None:
            panel = t.copy()
            for c in t.columns:
                owner[c] = pd.Series(t_no, index=t.index).where(t[c].notna())
            continue
        idx = panel.index.union(t.index)
        panel = panel.reindex(idx)
        owner = {c: o.reindex(idx) for c, o in owner.items()}
        tt = t.reindex(idx)
        for c in t.columns:
            b = tt[c]
            if c not in panel.columns:
                panel[c] = b
                owner[c] = pd.Series(t_no, index=idx).where(b.notna())
                continue
            a = panel[c]
            both = a.notna() & b.notna()
            ordinal = isinstance(a.dtype, pd.CategoricalDtype) or isinstance(
                b.dtype, pd.CategoricalDtype) or a.dtype == object or b.dtype == object
            if ordinal:
                a_o, b_o = a.astype(object), b.astype(object)
                differ = both & (a_o != b_o)
            else:
                differ = both & ((a - b).abs() > 1e-9 * (1 + a.abs()))
            take_new = a.isna() & b.notna()
            if differ.any():
                for prev_no in sorted({int(v) for v in owner[c][differ].dropna()}):
                    prev = by_index[prev_no]
                    cells = differ & (owner[c] == prev_no)
                    r_prev, r_new = _rank(precedence, prev), _rank(precedence, tab)
                    first = cells.idxmax()
                    if r_prev is None and r_new is None or r_prev == r_new:
                        raise ConflictingValuesError(
                            first[0], f"{first[1]:%Y-%m}", c, (prev.file, tab.file),
                            (_show(a[first]), _show(b[first])), n_cells=int(cells.sum()),
                            sources=(prev.kind, tab.kind))
                    new_wins = r_prev is None or (r_new is not None and r_new < r_prev)
                    if new_wins:
                        take_new = take_new | cells
                    resolved.append({"measure": c, "cells": int(cells.sum()),
                                     "kept": tab.file if new_wins else prev.file,
                                     "over": prev.file if new_wins else tab.file,
                                     "example": f"{first[0]} {first[1]:%Y-%m}: "
                                                f"{_show(a[first])} vs {_show(b[first])}"})
            if ordinal:
                panel[c] = a.astype(object).where(~take_new, b.astype(object))
            else:
                panel[c] = a.where(~take_new, b)
            owner[c] = owner[c].where(~take_new, t_no)
    assert panel is not None
    return panel.reset_index(), resolved

