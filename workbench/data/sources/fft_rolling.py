"""Friends and Family Test (FFT) monthly rolling totals, national, NHS and independent sector.

The FFT pipeline's ``Monthly Rolling Totals.xlsx`` (NHS England FFT team; the copy here is
``Monthly_Rolling_Totals.xlsx``) has one sheet per setting (``IP`` inpatient, ``OP``,
``AE``, ``Mat``, ``Amb``, ``Com``, ``MH``, ``GP``, ``Dental``, ``PostCovid``); a sheet with
data has a header row ``FFT Period, Total submitters, Number of NHS submitters, Number of
Independent submitters, Total responses to date, Total NHS responses to date, Total
independent responses to date, Monthly total responses, Monthly NHS responses, Monthly
independent responses, Monthly total percentage positive, Monthly NHS percentage positive,
Monthly independent percentage positive, Monthly total percentage negative, Monthly NHS
percentage negative, Monthly independent percentage negative`` and one row per month
(``Jan-24``). Percentages are proportions (0-1), published to two decimals (whole per cent).

It is the one FFT file here that separates NHS and independent-sector submitters; national
figures only, no provider rows. Sheets of other names are not read; a workbook with none of
the setting sheets is an error naming the sheets it has.

:func:`read` returns one row per setting x submitters (``all``, ``nhs``, ``independent``)
x month, in the columns of :mod:`workbench.data.sources.fft_summary` (``setting, submitters,
period, organisations_submitting, responses_to_date, responses, pct_positive,
pct_negative``; percentages 0-100) and ``pct_rounding_pp`` (half the published precision, in
percentage points: 0.5 for whole per cent) and ``consistent`` (False for the months whose
percentages fail the check below).

Checks
------
* the header present (a renamed column is an error naming it); months ``Mon-YY`` or dates,
  none in the future; formula cells with their computed values;
  counts whole numbers, 0 or more; percentages 0-1; one row per month (a second is an error
  naming both rows);
* NHS plus independent equal the total for submitters, responses to date and monthly
  responses, and each to-date total grows from one month to the next by that month's
  responses; otherwise :class:`~workbench.errors.SourceIncompleteError` naming the month,
  the column and the numbers (``allow_incomplete=True`` warns);
* a row that follows a gap in the months and whose to-date totals grew by its own month's
  responses only (so the missing months added nothing) is not a month of the series (the
  copy here ends with such a row, ``Aug-25``: 40 responses, all NHS): it is left out with a
  warning naming it;
* the total's % positive (and % negative) must be a mix of the NHS and independent
  figures weighted by their responses, within the published rounding; a month where it
  cannot be (in the copy here January to March 2024: total 98% positive while NHS and
  independent are both 94%) is kept with ``consistent`` False and a warning naming it:
  its three percentages cannot all be right, so no comparison should rest on them.

Example
-------
>>> from workbench.data.sources import fft_rolling
>>> t = fft_rolling.read("Monthly_Rolling_Totals.xlsx")  # doctest: +SKIP
>>> t[t.consistent & (t.submitters != "all")].pivot(index="period", columns="submitters",
...     values="pct_positive")  # doctest: +SKIP
"""

from __future__ import annotations

import warnings
import zipfile
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.data.sources.common import (
    check_duplicates,
    check_file,
    check_formulas_cached,
    check_periods,
    check_whole_numbers,
    incomplete,
    provenance,
    to_number,
)
from workbench.errors import SourceFormatError

SOURCE = "fft_rolling"
PUBLISHER_URL = "https://www.england.nhs.uk/fft/friends-and-family-test-data/"
PERIOD = "FFT Period"
#: sheet name -> setting (the settings' names of the FFT summary where they match)
SETTINGS = {"IP": "Inpatient", "OP": "Outpatient", "AE": "A&E", "Mat": "Maternity",
            "Amb": "Ambulance", "Com": "Community", "MH": "Mental health", "GP": "GP",
            "Dental": "Dental", "PostCovid": "Post-COVID"}
#: output column -> the publisher's column for (all, nhs, independent)
COLUMNS = {
    "organisations_submitting": ("Total submitters", "Number of NHS submitters",
                                 "Number of Independent submitters"),
    "responses_to_date": ("Total responses to date", "Total NHS responses to date",
                          "Total independent responses to date"),
    "responses": ("Monthly total responses", "Monthly NHS responses",
                  "Monthly independent responses"),
    "pct_positive": ("Monthly total percentage positive", "Monthly NHS percentage positive",
                     "Monthly independent percentage positive"),
    "pct_negative": ("Monthly total percentage negative", "Monthly NHS percentage negative",
                     "Monthly independent percentage negative"),
}
WHO = ("all", "nhs", "independent")
OUT_COLUMNS = ["setting", "submitters", "period", "organisations_submitting",
               "responses_to_date", "responses", "pct_positive", "pct_negative",
               "pct_rounding_pp", "consistent"]


def _sheets(path: Path) -> dict[str, list[list]]:
    from python_calamine import CalamineError, CalamineWorkbook

    damaged = (CalamineError, ValueError, OSError, KeyError, zipfile.BadZipFile, EOFError)
    try:
        book = CalamineWorkbook.from_path(str(path))
        check_formulas_cached(path, [n for n in book.sheet_names if n in SETTINGS])
        return {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False)
                for name in book.sheet_names}
    except damaged as exc:
        raise SourceFormatError(path, f"not a readable workbook ({type(exc).__name__}: {exc})",
                                sheet=next(iter(SETTINGS)),
                                expected="the FFT monthly rolling totals .xlsx") from None


def _month(value, path: Path, sheet: str, row: int) -> pd.Timestamp:
    if isinstance(value, datetime):
        return pd.Timestamp(year=value.year, month=value.month, day=1)
    text = str(value).strip() if value is not None else ""
    for fmt in ("%b-%y", "%b-%Y", "%B %Y", "%Y-%m-%d"):
        try:
            d = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return pd.Timestamp(year=d.year, month=d.month, day=1)
    raise SourceFormatError(path, f"period {text!r} in row {row} is not a month", sheet=sheet,
                            column=PERIOD, expected="a month such as 'Jan-24'")


def _decimals(values: pd.Series) -> int:
    """Decimal places of published proportions (2 = whole per cent), at most 4."""
    v = values.dropna().to_numpy(float)
    for d in range(5):
        if np.allclose(v, np.round(v, d), atol=1e-9):
            return d
    return 4


def _sheet_table(rows: list[list], path: Path, sheet: str) -> pd.DataFrame | None:
    rows = [r for r in rows if any(c not in (None, "") for c in r)]
    if not rows:
        return None
    head = [str(c).strip() if c is not None else "" for c in rows[0]]
    need = [PERIOD, *(c for cols in COLUMNS.values() for c in cols)]
    missing = [c for c in need if c not in head]
    if missing:
        raise SourceFormatError(path, f"missing column(s) {missing}", sheet=sheet,
                                column=missing[0],
                                expected=f"the publisher's columns {need}; found {head}")
    body = pd.DataFrame([list(r) + [None] * (len(head) - len(r)) for r in rows[1:]],
                        columns=head, dtype=object)
    body["row"] = np.arange(2, len(body) + 2)
    body = body[body[PERIOD].notna() & (body[PERIOD].astype(str).str.strip() != "")]
    body["period"] = [_month(v, path, sheet, r) for v, r in zip(body[PERIOD], body["row"])]
    check_duplicates(body, ["period"], path, rows=body["row"], sheet=sheet, column=PERIOD,
                     names={"period": PERIOD})
    check_periods(body["period"], path, sheet=sheet, column=PERIOD, named=False)
    for out, cols in COLUMNS.items():
        for c in cols:
            v = to_number(body[c].astype(object), c, path, sheet=sheet)
            if out.startswith("pct_"):
                off = v.notna() & ~v.between(0, 1)
                what = "a proportion 0-1 as published"
            else:
                check_whole_numbers(pd.DataFrame({c: v}), [c], path, rows=body["row"],
                                    sheet=sheet)
                off = v.notna() & (v < 0)
                what = "a count, 0 or more"
            if off.any():
                k = off.idxmax()
                raise SourceFormatError(path, f"{v[k]:g} in row {int(body.at[k, 'row'])}",
                                        sheet=sheet, column=c, expected=what)
            body[c] = v
    return body.sort_values("period").reset_index(drop=True)


def _check_parts(t: pd.DataFrame, path: Path, sheet: str, allow_incomplete: bool) -> None:
    for out in ("organisations_submitting", "responses_to_date", "responses"):
        total, nhs, ind = COLUMNS[out]
        s = t[nhs] + t[ind]
        bad = t[total].notna() & s.notna() & (t[total] != s)
        for _, r in t[bad].iterrows():
            incomplete(path, f"{r[PERIOD]}: {nhs} ({r[nhs]:,.0f}) plus {ind} ({r[ind]:,.0f}) "
                       f"is not {total} ({r[total]:,.0f})", allow_incomplete=allow_incomplete,
                       sheet=sheet, column=total, expected="the NHS and independent parts "
                                                           "adding to the total", stacklevel=5)


def _gap_rows(t: pd.DataFrame) -> pd.Series:
    """Rows after a gap in the months whose to-date totals grew by their own month only."""
    out = pd.Series(False, index=t.index)
    for i in range(1, len(t)):
        prev, cur = t.iloc[i - 1], t.iloc[i]
        gap = (cur["period"].year - prev["period"].year) * 12 + cur["period"].month \
            - prev["period"].month
        if gap <= 1:
            continue
        own = all(cur[to] - prev[to] == cur[m] for to, m in
                  zip(COLUMNS["responses_to_date"], COLUMNS["responses"]))
        out.iloc[i] = bool(own)
    return out


def _check_growth(t: pd.DataFrame, path: Path, sheet: str, allow_incomplete: bool) -> None:
    for i in range(1, len(t)):
        prev, cur = t.iloc[i - 1], t.iloc[i]
        gap = (cur["period"].year - prev["period"].year) * 12 + cur["period"].month \
            - prev["period"].month
        if gap != 1:
            continue
        for to, m in zip(COLUMNS["responses_to_date"], COLUMNS["responses"]):
            if pd.notna(cur[to]) and pd.notna(prev[to]) and pd.notna(cur[m]) \
                    and cur[to] - prev[to] != cur[m]:
                incomplete(path, f"{cur[PERIOD]}: {to} grew by {cur[to] - prev[to]:,.0f} from "
                           f"{prev[PERIOD]}, but {m} is {cur[m]:,.0f}",
                           allow_incomplete=allow_incomplete, sheet=sheet, column=to,
                           expected="each to-date total growing by the month's responses",
                           stacklevel=5)


def _consistent(t: pd.DataFrame, half: float) -> pd.Series:
    """True where each total % lies within what the NHS and independent % allow, weighted
    by their responses, given rounding of ``half`` (proportion) on each published figure.
    """
    ok = pd.Series(True, index=t.index)
    _, wn, wi = COLUMNS["responses"]
    for out in ("pct_positive", "pct_negative"):
        total, nhs, ind = COLUMNS[out]
        w = t[wn] + t[wi]
        lo = (t[wn] * (t[nhs] - half) + t[wi] * (t[ind] - half)) / w
        hi = (t[wn] * (t[nhs] + half) + t[wi] * (t[ind] + half)) / w
        fine = (t[total] >= lo - half - 1e-9) & (t[total] <= hi + half + 1e-9)
        ok &= fine | t[[total, nhs, ind, wn, wi]].isna().any(axis=1) | (w <= 0)
    return ok


def read(path: str | Path, *, allow_incomplete: bool = False) -> pd.DataFrame:
    """One row per setting x submitters x month of the rolling totals (module docstring).

    >>> import tempfile, pathlib
    >>> from openpyxl import Workbook
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "Monthly_Rolling_Totals.xlsx"
    >>> wb = Workbook(); ws = wb.active; ws.title = "IP"
    >>> ws.append([PERIOD, *(c for cols in COLUMNS.values() for c in cols)])
    >>> ws.append(["Mar-24", 153, 134, 19, 1000, 900, 100, 100, 90, 10,
    ...            0.95, 0.94, 0.98, 0.03, 0.03, 0.01])
    >>> ws.append(["Apr-24", 152, 133, 19, 1200, 1080, 120, 200, 180, 20,
    ...            0.95, 0.94, 0.98, 0.03, 0.03, 0.01])
    >>> wb.save(p)
    >>> t = read(p)
    >>> t[t.period == "2024-04-01"].set_index("submitters")["pct_positive"].to_dict()
    {'all': 95.0, 'nhs': 94.0, 'independent': 98.0}
    """
    path = check_file(path)
    sheets = _sheets(path)
    known = {k: v for k, v in sheets.items() if k in SETTINGS}
    if not known:
        raise SourceFormatError(path, f"sheet not found: the workbook has {list(sheets)}",
                                sheet=next(iter(SETTINGS)),
                                expected=f"one sheet per setting, named {list(SETTINGS)}")
    sheets = known
    tables, empty, dropped, inconsistent = [], [], [], []
    decimals = 0
    for sheet, rows in sheets.items():
        t = _sheet_table(rows, path, sheet)
        if t is None or t.empty:
            empty.append(sheet)
            continue
        gap = _gap_rows(t)
        for _, r in t[gap].iterrows():
            dropped.append(f"{sheet} {r[PERIOD]}")
            warnings.warn(f"{path.name} (sheet {sheet!r}): row {int(r['row'])} ({r[PERIOD]}) "
                          "follows a gap in the months and its to-date totals grew by its own "
                          f"month's responses only ({r[COLUMNS['responses'][0]]:,.0f}): not a "
                          "month of the series; left out", stacklevel=2)
        t = t[~gap].reset_index(drop=True)
        _check_parts(t, path, sheet, allow_incomplete)
        _check_growth(t, path, sheet, allow_incomplete)
        pct_cols = [c for k in ("pct_positive", "pct_negative") for c in COLUMNS[k]]
        dec = _decimals(pd.concat([t[c] for c in pct_cols]))
        decimals = max(decimals, dec)
        half = 0.5 * 10 ** -dec
        t["consistent"] = _consistent(t, half)
        for _, r in t[~t["consistent"]].iterrows():
            inconsistent.append(f"{sheet} {r[PERIOD]}")
        if (~t["consistent"]).any():
            months = ", ".join(str(v) for v in t.loc[~t["consistent"], PERIOD])
            warnings.warn(f"{path.name} (sheet {sheet!r}): in {months} the total's % positive "
                          "or % negative cannot be a mix of the NHS and independent figures "
                          "weighted by their responses (e.g. total "
                          f"{t.loc[~t['consistent'], COLUMNS['pct_positive'][0]].iloc[0]:.0%} "
                          "positive, NHS "
                          f"{t.loc[~t['consistent'], COLUMNS['pct_positive'][1]].iloc[0]:.0%}, "
                          "independent "
                          f"{t.loc[~t['consistent'], COLUMNS['pct_positive'][2]].iloc[0]:.0%}): "
                          "those months are kept with consistent=False and should not be "
                          "compared", stacklevel=2)
        for j, who in enumerate(WHO):
            part = pd.DataFrame({"setting": SETTINGS.get(sheet, sheet), "submitters": who,
                                 "period": t["period"],
                                 **{out: t[cols[j]] for out, cols in COLUMNS.items()}})
            for c in ("pct_positive", "pct_negative"):
                part[c] = part[c] * 100
            part["pct_rounding_pp"] = 100 * half
            part["consistent"] = t["consistent"].to_numpy()
            tables.append(part)
    if not tables:
        raise SourceFormatError(path, f"no setting sheet holds data (the workbook has "
                                f"{list(_sheets(path))})", sheet=next(iter(SETTINGS)),
                                expected=f"at least one setting sheet of {list(SETTINGS)} "
                                         "with its months")
    out = pd.concat(tables, ignore_index=True)[OUT_COLUMNS]
    out["period"] = pd.to_datetime(out["period"]).astype("datetime64[ns]")
    order = out["submitters"].map({w: i for i, w in enumerate(WHO)})
    out = out.assign(_o=order).sort_values(["setting", "period", "_o"], kind="stable")
    out = out.drop(columns="_o")
    out = out.reset_index(drop=True)
    out.attrs["provenance"] = provenance(
        SOURCE, path, PUBLISHER_URL, out["period"],
        settings=sorted(out["setting"].unique().tolist()), empty_sheets=empty,
        submitter_split=True, level="national only: no provider rows",
        percent_decimals=decimals, rows_left_out=dropped, inconsistent_months=inconsistent)
    return out
