"""Friends and Family Test (FFT) national headline figures by setting (NHS England, monthly).

The monthly summary workbook (e.g. ``ftt-summary-apr-26.xlsx``, the publisher's own
spelling) has a ``Notes`` sheet and a ``Headline figures`` sheet: a title block, then a
two-row header -- ``FFT``, ``Number of organisations submitting``, ``Total responses to date``,
``Responses``, ``Percentage Positive``, ``Percentage Negative`` over a row of months (the
current month, and the previous month for responses and percentages) -- then one row per
setting (``A&E``, ``Inpatient``, ``Maternity (Antenatal)`` ... ``GP``, ``Dental``) and a
``Total`` row. Percentages are stored as proportions (0-1); ``N/A`` is not published.

:func:`read` returns one row per setting x submitters x month: ``setting`` (as published,
spaces collapsed; the ``Total`` row is ``All settings``), ``submitters`` (``all``, or ``nhs``
/ ``independent`` where the file gives separate rows for NHS and independent-sector
submitters under a setting: rows labelled ``NHS`` and ``IS`` / ``Independent Sector``),
``period`` (month start), ``organisations_submitting``, ``responses_to_date`` (current month
only, missing for the previous month), ``responses``, ``pct_positive`` and ``pct_negative``
(0-100).

The April 2026 file has no NHS / independent split: every row is ``submitters="all"``
(provenance ``submitter_split``). The split is published in the monthly FFT rolling totals
(inpatient) and the per-setting data workbooks' summary, not here. National figures only:
no provider rows.

Checks: the sheet and header present (a renamed column is an error naming it); formula cells
with their computed values; the month row under the header, its current month the one the
file's name (``apr-26``) and title give, and no month in the future; percentages 0-1 as published; counts whole numbers, 0 or more; one row per
setting and submitters (a second is an error naming both rows); the ``Total`` row's responses
equal the sum of the settings' for each month, and an NHS plus independent split equals its
setting's total, else :class:`~workbench.errors.SourceIncompleteError` naming the month and both
numbers; a missing ``Total`` row (the table cut short) raises it too. ``allow_incomplete=True``
warns instead.

Example
-------
>>> from workbench.data.sources import fft_summary
>>> t = fft_summary.read("ftt-summary-apr-26.xlsx")  # doctest: +SKIP
>>> t[t.period == "2026-04-01"].set_index("setting")["pct_positive"]  # doctest: +SKIP
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.data.sources.common import (
    check_duplicates,
    check_file,
    check_formulas_cached,
    check_periods,
    check_whole_numbers,
    find_header_row,
    incomplete,
    parse_month,
    provenance,
    to_number,
)
from workbench.errors import SourceFormatError

SOURCE = "fft_summary"
PUBLISHER_URL = "https://www.england.nhs.uk/fft/friends-and-family-test-data/"
SHEET = "Headline figures"
LABEL = "FFT"
#: published group heading -> output column
GROUPS = {"Number of organisations submitting": "organisations_submitting",
          "Total responses to date": "responses_to_date", "Responses": "responses",
          "Percentage Positive": "pct_positive", "Percentage Negative": "pct_negative"}
TOTAL = "Total"
ALL_SETTINGS = "All settings"
SUBMITTERS = {"nhs": "nhs", "is": "independent", "independent sector": "independent",
              "independent sector providers": "independent", "independent": "independent"}
OUT_COLUMNS = ["setting", "submitters", "period", *GROUPS.values()]


def _rows(path: Path) -> list[list]:
    from python_calamine import CalamineError, CalamineWorkbook

    damaged = (CalamineError, ValueError, OSError, KeyError, zipfile.BadZipFile, EOFError)
    try:
        book = CalamineWorkbook.from_path(str(path))
        names = list(book.sheet_names)
    except damaged as exc:
        raise SourceFormatError(path, f"not a readable workbook ({type(exc).__name__}: {exc})",
                                sheet=SHEET, expected="the published .xlsx workbook") from None
    if SHEET not in names:
        raise SourceFormatError(path, "sheet not found", sheet=SHEET,
                                expected=f"a sheet named {SHEET!r}; the workbook has {names}")
    check_formulas_cached(path, [SHEET])
    return book.get_sheet_by_name(SHEET).to_python(skip_empty_area=False)


def _title_month(top: pd.DataFrame, path: Path) -> pd.Timestamp | None:
    """The month a title above the table names ("Friends and Family Test - April 2026")."""
    for v in top.to_numpy().ravel():
        if isinstance(v, str) and re.search(r"Friends and Family Test\s*-", v):
            try:
                return parse_month(v.split("-", 1)[1], path, sheet=SHEET)
            except SourceFormatError:
                return None
    return None


def _label(value) -> str:
    return re.sub(r"\s+", " ", str(value)).strip() if value is not None else ""


def read(path: str | Path, *, allow_incomplete: bool = False) -> pd.DataFrame:
    """One row per setting x submitters x month of the headline figures (module docstring).

    >>> import tempfile, pathlib, datetime as dt
    >>> from openpyxl import Workbook
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "ftt-summary-apr-26.xlsx"
    >>> wb = Workbook(); ws = wb.active; ws.title = "Headline figures"
    >>> ws.append([None, "FFT", "Number of organisations submitting", "Total responses to date",
    ...            "Responses", None, "Percentage Positive", None, "Percentage Negative", None])
    >>> apr, mar = dt.datetime(2026, 4, 1), dt.datetime(2026, 3, 1)
    >>> ws.append([None, None, apr, apr, apr, mar, apr, mar, apr, mar])
    >>> ws.append([None, "Inpatient", 153, 27424707, 179844, 195845, 0.95, 0.949, 0.024, 0.024])
    >>> ws.append([None, "Total", "N/A", 27424707, 179844, 195845, "N/A", "N/A", "N/A", "N/A"])
    >>> wb.save(p)
    >>> t = read(p)
    >>> t.loc[(t.setting == "Inpatient") & (t.period == "2026-04-01"), "pct_positive"].item()
    95.0
    """
    path = check_file(path)
    rows = _rows(path)
    width = max((len(r) for r in rows), default=0)
    raw = pd.DataFrame([list(r) + [""] * (width - len(r)) for r in rows], dtype=object)
    raw = raw.replace({"": np.nan})
    if raw.empty:
        raise SourceFormatError(path, "the sheet is empty", sheet=SHEET, column=LABEL,
                                expected="the headline figures table")
    hr = find_header_row(raw, [LABEL, "Responses", "Percentage Positive"], path, sheet=SHEET)
    head = [_label(v) if pd.notna(v) else "" for v in raw.iloc[hr].tolist()]
    missing = [g for g in GROUPS if g not in head]
    if missing:
        raise SourceFormatError(path, f"missing column(s) {missing}", sheet=SHEET,
                                column=missing[0], expected=f"the publisher's headings "
                                                            f"{[LABEL, *GROUPS]}; found "
                                                            f"{[h for h in head if h]}")
    label_col = head.index(LABEL)
    months = raw.iloc[hr + 1] if hr + 1 < len(raw) else pd.Series(dtype=object)
    # each group spans its heading's column and the blank-headed columns after it
    columns: list[tuple[str, int, pd.Timestamp]] = []
    group = None
    for j, h in enumerate(head):
        if h in GROUPS:
            group = h
        elif h:
            group = None
        if group is None or j >= len(months) or pd.isna(months.iloc[j]):
            continue
        columns.append((GROUPS[group], j, parse_month(months.iloc[j], path, column=group,
                                                      sheet=SHEET)))
    # the current month is the one the file's name (``apr-26``) and title give; the previous
    # month stands beside it; none may lie in the future
    latest = max((m for _, _, m in columns), default=None)
    if latest is not None:
        check_periods([latest], path, sheet=SHEET, column="Responses")
        title = _title_month(raw.iloc[:hr], path)
        if title is not None and title != latest:
            raise SourceFormatError(path, f"the title names {title:%B %Y} but the latest month "
                                    f"under the header is {latest:%B %Y}", sheet=SHEET,
                                    column="Responses",
                                    expected="the month of the title as the current month")
        check_periods([m for _, _, m in columns], path, sheet=SHEET, column="Responses",
                      named=False)
    have = {g for g, _, _ in columns}
    lacking = [g for g, c in GROUPS.items() if c not in have]
    if lacking:
        raise SourceFormatError(path, f"no month under {lacking} in the row below the header "
                                f"(row {hr + 2})", sheet=SHEET, column=lacking[0],
                                expected="the month of each figure in the row under the header")
    body = raw.iloc[hr + 2:]
    body = body[body.iloc[:, label_col].notna()]
    records, setting, n_settings, seen_total = [], None, 0, False
    for i, r in body.iterrows():
        text = _label(r.iloc[label_col])
        key = text.casefold()
        if key in SUBMITTERS:
            name, who = (setting or ALL_SETTINGS), SUBMITTERS[key]
        elif text == TOTAL:
            name, who, seen_total = ALL_SETTINGS, "all", True
        else:
            setting, name, who = text, text, "all"
            n_settings += 1
        records.append((int(i) + 1, name, who, r))
    if not records:
        raise SourceFormatError(path, "has no setting rows under the header", sheet=SHEET,
                                column=LABEL, expected="one row per FFT setting")
    out_rows = []
    for row_no, name, who, r in records:
        for col, j, month in columns:
            out_rows.append({"row": row_no, "setting": name, "submitters": who, "period": month,
                             col: r.iloc[j]})
    long = pd.DataFrame(out_rows)
    key = ["row", "setting", "submitters", "period"]
    vals = long.groupby(key, sort=False).first().reset_index()
    for col in GROUPS.values():
        if col not in vals.columns:
            vals[col] = np.nan
        v = to_number(vals[col].astype(object), col, path, sheet=SHEET)
        heading = next(h for h, c in GROUPS.items() if c == col)
        if col.startswith("pct_"):
            off = v.notna() & ~v.between(0, 1)
            if off.any():
                k = off.idxmax()
                raise SourceFormatError(path, f"{v[k]:g} in row {int(vals.at[k, 'row'])} "
                                        f"({vals.at[k, 'setting']})", sheet=SHEET,
                                        column=heading, expected="a proportion 0-1 as published")
            v = v * 100
        else:
            check_whole_numbers(pd.DataFrame({heading: v}), [heading], path, rows=vals["row"],
                                sheet=SHEET)
            off = v.notna() & (v < 0)
            if off.any():
                k = off.idxmax()
                raise SourceFormatError(path, f"{v[k]:g} in row {int(vals.at[k, 'row'])} "
                                        f"({vals.at[k, 'setting']})", sheet=SHEET,
                                        column=heading, expected="a count, 0 or more")
        vals[col] = v
    per_row = vals.drop_duplicates("row")
    check_duplicates(per_row, ["setting", "submitters"], path, rows=per_row["row"],
                     sheet=SHEET, column=LABEL, names={"setting": LABEL})
    split = bool((vals["submitters"] != "all").any())
    _check_totals(vals, path, n_settings, seen_total, allow_incomplete)
    out = vals[OUT_COLUMNS].copy()
    out["period"] = pd.to_datetime(out["period"]).astype("datetime64[ns]")
    out = out.sort_values(["period", "setting", "submitters"], kind="stable")
    out = out.reset_index(drop=True)
    out.attrs["provenance"] = provenance(
        SOURCE, path, PUBLISHER_URL, out["period"], sheet=SHEET,
        settings=[s for s in dict.fromkeys(vals["setting"]) if s != ALL_SETTINGS],
        submitter_split=split,
        level="national only: no provider rows",
        note=None if split else "this file gives no NHS / independent-sector split")
    return out


def _check_totals(vals: pd.DataFrame, path: Path, n_settings: int, seen_total: bool,
                  allow_incomplete: bool) -> None:
    if n_settings and not seen_total:
        incomplete(path, f"no {TOTAL!r} row after the {n_settings} setting rows (the table "
                   "ends early)", allow_incomplete=allow_incomplete, column=LABEL, sheet=SHEET,
                   expected=f"the publisher's {TOTAL!r} row closing the table", stacklevel=4)
    alls = vals[vals["submitters"] == "all"]
    settings = alls[alls["setting"] != ALL_SETTINGS]
    total = alls[alls["setting"] == ALL_SETTINGS].set_index("period")["responses"]
    sums = settings.groupby("period")["responses"].sum(min_count=1)
    for month, t in total.items():
        s = sums.get(month)
        if pd.notna(t) and pd.notna(s) and t != s:
            incomplete(path, f"{TOTAL} responses for {month:%B %Y} are {t:,.0f} but the "
                       f"settings sum to {s:,.0f}", allow_incomplete=allow_incomplete,
                       column="Responses", sheet=SHEET,
                       expected="the Total row equal to the sum of the settings", stacklevel=4)
    parts = vals[vals["submitters"] != "all"].groupby(["setting", "period"])["responses"]
    whole = alls.set_index(["setting", "period"])["responses"]
    for (name, month), s in parts.sum(min_count=1).items():
        n = parts.size()[(name, month)]
        t = whole.get((name, month))
        if n == 2 and pd.notna(t) and pd.notna(s) and t != s:
            incomplete(path, f"{name}: NHS and independent-sector responses for {month:%B %Y} "
                       f"sum to {s:,.0f} but the setting's total is {t:,.0f}",
                       allow_incomplete=allow_incomplete, column="Responses", sheet=SHEET,
                       expected="the split equal to its setting's total", stacklevel=4)
