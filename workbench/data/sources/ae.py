"""A&E attendances and emergency admissions by provider (NHS England, monthly).

Two publications of the same statistics (the monthly SitRep ``MSitAE``) are read into
one tidy layout, one row per provider x month:

* the monthly CSV (``Monthly-AE-<Month>-<Year>.csv``): a row per organisation with
  attendances and over-4-hours counts by department type, booked appointments in
  separate columns, waits from decision to admit, emergency admissions; and a totals
  row spelled ``TOTAL``, ``Total`` or ``Total `` depending on the month;
* the published workbook (``<Month>-<Year>-AE-by-provider-*.xlsx``), sheet
  ``Provider Level Data``: the same counts with booked appointments already included
  in each type, under title rows whose number varies; the England row sits above the
  providers. Booked appointments are read from the ``Booked Appointments Data`` sheet
  when the workbook has it.

:func:`read_nhsr` reads the NHSRdatasets ``ae_attendances`` table (2016-04 to 2019-03,
one row per organisation x month x department type) into the same names.

Canonical columns (counts are float64; missing means not published):

==================================  ===========================================================
``ae_attendances``                  all attendances, all types, booked appointments included
``ae_over_4h``                      attendances over 4 hours from arrival to admission,
                                    transfer or discharge (booked included)
``ae_pct_within_4h``                100 x (1 - over 4 hours / attendances)
``ae_12h_waits``                    patients waiting 12 hours or more from decision to admit
``ae_dta_4_to_12h``                 patients waiting 4 to 12 hours from decision to admit
``emergency_admissions``            emergency admissions via A&E (all department types)
``emergency_admissions_not_via_ae`` other emergency admissions (not via A&E)
``ae_attendances_type1|type2|other``  attendances by department type (booked included);
                                    ``other`` is types 3 and 4 (UTCs, minor injury units)
``ae_over_4h_type1|type2|other``    over 4 hours by department type (booked included)
``ae_attendances_booked_<type>``    of which booked appointments
``ae_over_4h_booked_<type>``        of which booked appointments over 4 hours
``emergency_admissions_<type>``     emergency admissions via A&E by department type
==================================  ===========================================================

Suppression marks (``*``, ``-``, ``..``, ``x``, ``c``, ``:``, blank) read as missing, and
a measure built from a missing part is missing: ``ae_attendances`` of a provider with one
suppressed type is missing (not the sum of the other types), and so is its
``ae_pct_within_4h``. Thousands separators (``"1,234"``) are read as numbers.

The totals row (or England row) is dropped and checked against the sum of the
providers, column by column; a missing totals row, or a total that differs from the
providers' sum, raises :class:`~workbench.errors.SourceIncompleteError` (rows lost, or
a file cut at a row boundary), or with ``allow_incomplete=True`` warns
:class:`~workbench.errors.IncompleteSourceWarning` and returns the rows read. Where
some providers' value in a column is suppressed the column cannot be checked exactly:
the sum of the published values must then not exceed the total, and the column is
listed in ``provenance["totals_unchecked"]`` with the number of missing values. The
published totals are kept in ``df.attrs["provenance"]["published_totals"]``. Two rows
for one provider and month are an error naming their rows.

Example
-------
>>> from workbench.data.sources import ae
>>> df = ae.read("Monthly-AE-June-2025-1-1.csv")  # doctest: +SKIP
>>> df[["provider_code", "ae_attendances", "ae_pct_within_4h"]].head()  # doctest: +SKIP
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.data.measures import REGIONS
from workbench.data.sources.common import (
    check_duplicates,
    check_file,
    check_not_truncated,
    check_periods,
    check_whole_numbers,
    excel_engine,
    find_header_row,
    incomplete,
    parse_month,
    provenance,
    read_csv_text,
    read_sheet,
    require_columns,
    to_number,
)
from workbench.errors import ArgumentError, SourceFormatError

SOURCE = "ae_monthly"
SOURCE_NHSR = "ae_attendances_nhsr"
PUBLISHER_URL = ("https://www.england.nhs.uk/statistics/statistical-work-areas/"
                 "ae-waiting-times-and-activity/")
NHSR_URL = "https://github.com/nhs-r-community/NHSRdatasets"
PROVIDER_SHEET = "Provider Level Data"
BOOKED_SHEET = "Booked Appointments Data"

TYPES = ("type1", "type2", "other")

#: Monthly CSV column -> internal name. ``att_*``/``o4_*`` exclude booked appointments.
CSV_COLUMNS: dict[str, str] = {
    "A&E attendances Type 1": "att_type1",
    "A&E attendances Type 2": "att_type2",
    "A&E attendances Other A&E Department": "att_other",
    "A&E attendances Booked Appointments Type 1": "ae_attendances_booked_type1",
    "A&E attendances Booked Appointments Type 2": "ae_attendances_booked_type2",
    "A&E attendances Booked Appointments Other Department": "ae_attendances_booked_other",
    "Attendances over 4hrs Type 1": "o4_type1",
    "Attendances over 4hrs Type 2": "o4_type2",
    "Attendances over 4hrs Other Department": "o4_other",
    "Attendances over 4hrs Booked Appointments Type 1": "ae_over_4h_booked_type1",
    "Attendances over 4hrs Booked Appointments Type 2": "ae_over_4h_booked_type2",
    "Attendances over 4hrs Booked Appointments Other Department": "ae_over_4h_booked_other",
    "Patients who have waited 4-12 hs from DTA to admission": "ae_dta_4_to_12h",
    "Patients who have waited 12+ hrs from DTA to admission": "ae_12h_waits",
    "Emergency admissions via A&E - Type 1": "emergency_admissions_type1",
    "Emergency admissions via A&E - Type 2": "emergency_admissions_type2",
    "Emergency admissions via A&E - Other A&E department": "emergency_admissions_other",
    "Other emergency admissions": "emergency_admissions_not_via_ae",
}
CSV_IDENTITY = {"Period": "period_label", "Org Code": "provider_code",
                "Parent Org": "parent_org", "Org name": "provider_name"}

OUTPUT_COLUMNS: list[str] = [
    "provider_code", "provider_name", "region", "period",
    "ae_attendances", "ae_over_4h", "ae_pct_within_4h", "ae_12h_waits", "emergency_admissions",
    *[f"ae_attendances_{t}" for t in TYPES],
    *[f"ae_over_4h_{t}" for t in TYPES],
    *[f"ae_attendances_booked_{t}" for t in TYPES],
    *[f"ae_over_4h_booked_{t}" for t in TYPES],
    "ae_dta_4_to_12h",
    *[f"emergency_admissions_{t}" for t in TYPES],
    "emergency_admissions_not_via_ae",
]

_REGION_BY_NAME = {r.lower(): r for r in REGIONS}


def _norm(label) -> str:
    return re.sub(r"\s+", " ", str(label)).strip().lower()


def _region(parent: pd.Series) -> pd.Series:
    """'NHS ENGLAND SOUTH EAST ' -> 'South East'; anything else -> missing."""
    key = parent.astype("string").str.lower().str.replace(r"\s+", " ", regex=True).str.strip()
    key = key.str.replace(r"^nhs england ", "", regex=True)
    return key.map(_REGION_BY_NAME).astype("string")


def _is_total(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip().str.upper().isin(["TOTAL", "ENGLAND"]).fillna(False)


def _finish(df: pd.DataFrame, path: Path, sheet: str | None = None) -> pd.DataFrame:
    """Totals, percentage, types, column order and checks shared by both layouts.

    A total over department types is missing when any type is missing (suppressed):
    summing the others would count the suppressed type as zero.
    """
    for t in TYPES:
        for col in (f"ae_attendances_{t}", f"ae_over_4h_{t}", f"ae_attendances_booked_{t}",
                    f"ae_over_4h_booked_{t}", f"emergency_admissions_{t}"):
            if col not in df:
                df[col] = np.nan
    df["ae_attendances"] = df[[f"ae_attendances_{t}" for t in TYPES]].sum(axis=1, skipna=False)
    df["ae_over_4h"] = df[[f"ae_over_4h_{t}" for t in TYPES]].sum(axis=1, skipna=False)
    df["emergency_admissions"] = df[[f"emergency_admissions_{t}" for t in TYPES]].sum(
        axis=1, skipna=False)
    att = df["ae_attendances"]
    df["ae_pct_within_4h"] = (100.0 * (1.0 - df["ae_over_4h"] / att)).where(att > 0)
    over = (df["ae_over_4h"] > att).fillna(False)
    if over.any():
        warnings.warn(f"{path}: {int(over.sum())} provider(s) report more attendances over "
                      f"4 hours than attendances (e.g. {df.loc[over, 'provider_code'].iloc[0]}); "
                      "their ae_pct_within_4h is negative", stacklevel=3)
    for col in OUTPUT_COLUMNS:
        if col not in df:
            df[col] = np.nan
    counts = [c for c in OUTPUT_COLUMNS if c not in ("provider_code", "provider_name", "region",
                                                     "period", "ae_pct_within_4h")]
    neg = (df[counts] < 0).any()
    if neg.any():
        raise SourceFormatError(path, "negative count", column=neg.idxmax(), sheet=sheet,
                                expected="counts of 0 or more")
    df["provider_code"] = df["provider_code"].astype("string").str.strip().str.upper()
    df["provider_name"] = df["provider_name"].astype("string").str.strip()
    df["period"] = df["period"].astype("datetime64[ns]")
    blank = df["provider_code"].isna() | (df["provider_code"] == "")
    if blank.any():
        raise SourceFormatError(path, f"blank provider code in row {int(blank.to_numpy().argmax())}",
                                sheet=sheet, column="Org Code" if sheet is None else "Code",
                                expected="an ODS code on every provider row")
    code_col = "Org Code" if sheet is None else "Code"
    check_duplicates(df, ["provider_code", "period"], path,
                     rows=df.get("_row"), sheet=sheet,
                     names={"provider_code": code_col, "period": "Period"}, column=code_col)
    out = df[OUTPUT_COLUMNS].sort_values(["period", "provider_code"]).reset_index(drop=True)
    for c in OUTPUT_COLUMNS[4:]:
        out[c] = out[c].astype("float64")
    return out


def _check_totals(providers: pd.DataFrame, totals: pd.DataFrame, columns: list[str],
                  path: Path, where: str, *, allow_incomplete: bool,
                  labels: dict[str, str], sheet: str | None = None) -> tuple[dict, dict]:
    """Compare the published totals row with the sum of the providers, column by column.

    Returns (published totals, columns not checked exactly: {column: n missing}). A
    missing totals row or a difference raises :class:`SourceIncompleteError` (or warns,
    with ``allow_incomplete``). A column where some providers are suppressed is checked
    as a bound: the published values must not add up to more than the total.
    """
    code_col = "Code" if sheet else "Org Code"
    if totals.empty:
        incomplete(path, f"no {where}: the publisher's layout has one, so the file is cut "
                         "short or the row was removed", allow_incomplete=allow_incomplete,
                   column=code_col, sheet=sheet,
                   expected=f"the {where} with the England totals", stacklevel=4)
        return {}, {}
    if len(totals) > 1:
        raise SourceFormatError(path, f"{len(totals)} rows labelled as the {where}",
                                column=code_col, sheet=sheet, expected=f"one {where}")
    published = totals[columns].iloc[0]
    summed = providers[columns].sum()
    n_missing = providers[columns].isna().sum()
    exact = n_missing == 0
    off = ((published - summed).abs() > 0.5) & exact & published.notna()
    over = (summed > published + 0.5) & ~exact & published.notna()
    bad = off | over
    if bad.any():
        diffs = "; ".join(
            f"{labels.get(c, c)}: total {published[c]:,.0f} vs providers {summed[c]:,.0f}"
            + (f" ({int(n_missing[c])} provider value(s) not published)" if n_missing[c] else "")
            for c in published.index[bad])
        first = labels.get(published.index[bad][0], published.index[bad][0])
        incomplete(path, f"the {where} differs from the sum of the providers ({diffs}): "
                         "provider rows are missing or altered",
                   allow_incomplete=allow_incomplete, column=first, sheet=sheet,
                   expected=f"providers that add up to the {where}", stacklevel=4)
    unchecked = {labels.get(c, c): int(n) for c, n in n_missing.items() if n}
    return ({c: float(published[c]) for c in columns if pd.notna(published[c])}, unchecked)


def read(path: str | Path, *, sheet: str = PROVIDER_SHEET, period=None,
         allow_incomplete: bool = False) -> pd.DataFrame:
    """Read one month of A&E attendances by provider: the monthly CSV or the workbook.

    Parameters
    ----------
    path
        ``Monthly-AE-<Month>-<Year>.csv`` or the ``...AE-by-provider...xlsx`` workbook
        (chosen by the file suffix).
    sheet
        The workbook's provider sheet (ignored for a CSV).
    period
        The month, when a workbook's ``Period:`` cell is missing (e.g. ``"2025-06"``).
    allow_incomplete
        Read a file whose totals row is missing or disagrees with its providers, or
        whose last row is cut, warning :class:`~workbench.errors.IncompleteSourceWarning`
        instead of raising :class:`~workbench.errors.SourceIncompleteError`.

    Returns
    -------
    pandas.DataFrame
        One row per provider x month in the names of :data:`OUTPUT_COLUMNS`, with
        ``df.attrs["provenance"]`` (sha256, month, publisher URL, published totals).

    Example
    -------
    >>> df = read("Monthly-AE-June-2025-1-1.csv")  # doctest: +SKIP
    >>> round(100 * (1 - df.ae_over_4h.sum() / df.ae_attendances.sum()), 1)  # doctest: +SKIP
    75.5
    """
    path = check_file(path)
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        return _read_workbook(path, sheet, period, allow_incomplete)
    return _read_csv(path, allow_incomplete)


_CSV_LABELS = {new: old for old, new in CSV_COLUMNS.items()}


def _read_csv(path: Path, allow_incomplete: bool = False) -> pd.DataFrame:
    cut = check_not_truncated(path, allow_incomplete=allow_incomplete)
    raw = read_csv_text(path, dtype=str, cut_last=cut)
    raw.columns = [str(c).strip() for c in raw.columns]
    by_norm = {_norm(c): c for c in raw.columns}
    wanted = {**CSV_IDENTITY, **CSV_COLUMNS}
    raw = raw.rename(columns={by_norm[_norm(c)]: c for c in wanted if _norm(c) in by_norm})
    require_columns(raw, list(wanted), path)
    total = _is_total(raw["Period"]) | _is_total(raw["Org Code"])
    data = pd.DataFrame({new: raw[old] for old, new in CSV_IDENTITY.items()})
    data["_row"] = raw.index + 2  # the line in the file (line 1 is the header)
    for old, new in CSV_COLUMNS.items():
        data[new] = to_number(raw[old], old, path)
    check_whole_numbers(data, list(CSV_COLUMNS.values()), path, rows=data["_row"],
                        labels=_CSV_LABELS)
    totals, data = data[total.to_numpy()], data[~total.to_numpy()].copy()
    if data.empty:
        raise SourceFormatError(path, "no provider rows", column="Org Code",
                                expected="one row per provider above the totals row")
    key = pd.DataFrame({"code": data["provider_code"].astype("string").str.strip().str.upper(),
                        "period": data["period_label"].astype("string").str.strip()})
    check_duplicates(key, ["code", "period"], path, rows=data["_row"], column="Org Code",
                     names={"code": "Org Code", "period": "Period"})
    published, unchecked = _check_totals(data, totals, list(CSV_COLUMNS.values()), path,
                                         "totals row", allow_incomplete=allow_incomplete,
                                         labels=_CSV_LABELS)
    labels = data["period_label"].astype("string").str.strip()
    months = {lab: parse_month(lab, path, column="Period") for lab in labels.unique()}
    check_periods(months.values(), path, column="Period")
    data["period"] = labels.map(months)
    for t in TYPES:
        data[f"ae_attendances_{t}"] = data[f"att_{t}"] + data[f"ae_attendances_booked_{t}"]
        data[f"ae_over_4h_{t}"] = data[f"o4_{t}"] + data[f"ae_over_4h_booked_{t}"]
    data["region"] = _region(data["parent_org"])
    out = _finish(data, path)
    out.attrs["provenance"] = provenance(
        SOURCE, path, PUBLISHER_URL, months.values(), layout="monthly CSV",
        providers=int(out["provider_code"].nunique()), published_totals=published,
        totals_unchecked=unchecked)
    return out


def _workbook_column(group: str, sub: str, booked_sheet: bool) -> str | None:
    """Internal name of a workbook column from its group header and its own header."""
    g, s = _norm(group), _norm(sub)
    kind = {"type 1": "type1", "type 2": "type2", "type 3": "other"}
    t = next((v for k, v in kind.items() if s.startswith(k)), None)
    if booked_sheet:
        if t and g.startswith("a&e booked appointment") and "attendances" in g:
            if "greater than 4 hours" in g:
                return f"ae_over_4h_booked_{t}"
            if "less than" not in g and "performance" not in g:
                return f"ae_attendances_booked_{t}"
        return None
    if t and g == "a&e attendances":
        return f"ae_attendances_{t}"
    if t and "greater than 4 hours" in g:
        return f"ae_over_4h_{t}"
    if "decision to admit" in s:
        if ">12 hours" in s or "12+" in s:
            return "ae_12h_waits"
        if ">4 hours" in s:
            return "dta_over_4h"
    if s.startswith("emergency admissions via type 1"):
        return "emergency_admissions_type1"
    if s.startswith("emergency admissions via type 2"):
        return "emergency_admissions_type2"
    if s.startswith("emergency admissions via type 3"):
        return "emergency_admissions_other"
    if s.startswith("other emergency admissions"):
        return "emergency_admissions_not_via_ae"
    return None


_WORKBOOK_REQUIRED = (
    [f"ae_attendances_{t}" for t in TYPES] + [f"ae_over_4h_{t}" for t in TYPES]
    + ["ae_12h_waits", "dta_over_4h", "emergency_admissions_not_via_ae"]
    + [f"emergency_admissions_{t}" for t in TYPES])
_WORKBOOK_LABELS = {
    **{f"ae_attendances_{t}": f"A&E attendances / {lab}" for t, lab in
       zip(TYPES, ["Type 1 Departments", "Type 2 Departments", "Type 3 Departments"])},
    **{f"ae_over_4h_{t}": f"A&E attendances greater than 4 hours / {lab}" for t, lab in
       zip(TYPES, ["Type 1 Departments", "Type 2 Departments", "Type 3 Departments"])},
    "ae_12h_waits": "Number of patients spending >12 hours from decision to admit to admission",
    "dta_over_4h": "Number of patients spending >4 hours from decision to admit to admission",
    "emergency_admissions_type1": "Emergency Admissions via Type 1 A&E",
    "emergency_admissions_type2": "Emergency Admissions via Type 2 A&E",
    "emergency_admissions_other": "Emergency Admissions via Type 3 and 4 A&E",
    "emergency_admissions_not_via_ae": "Other Emergency admissions (i.e not via A&E)",
}


def _sheet_table(path: Path, sheet: str, booked: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(raw cells, table with Code/Region/Name and internal numeric names) of one sheet."""
    raw = read_sheet(path, sheet)
    h = find_header_row(raw, ["Code", "Name"], path, sheet=sheet)
    sub = raw.iloc[h]
    group = raw.iloc[h - 1].ffill() if h > 0 else pd.Series([""] * raw.shape[1])
    names: dict[int, str] = {}
    for j in range(raw.shape[1]):
        label = str(sub.iloc[j]).strip() if pd.notna(sub.iloc[j]) else ""
        if label in ("Code", "Region", "Name"):
            names[j] = label
            continue
        g = str(group.iloc[j]) if pd.notna(group.iloc[j]) else ""
        name = _workbook_column(g, label, booked)
        if name and name not in names.values():
            names[j] = name
    body = raw.iloc[h + 1:, list(names)].copy()
    body.columns = list(names.values())
    return raw.iloc[:h], body


def _read_workbook(path: Path, sheet: str, period, allow_incomplete: bool = False
                   ) -> pd.DataFrame:
    top, body = _sheet_table(path, sheet, booked=False)
    missing = [c for c in _WORKBOOK_REQUIRED if c not in body.columns]
    if missing or "Region" not in body.columns:
        label = _WORKBOOK_LABELS.get(missing[0], missing[0]) if missing else "Region"
        raise SourceFormatError(path, "column not found under the header row", sheet=sheet,
                                column=label, expected="the publisher's provider-level columns "
                                f"{[_WORKBOOK_LABELS[c] for c in _WORKBOOK_REQUIRED]}")
    numeric = [c for c in body.columns if c not in ("Code", "Region", "Name")]
    body["_row"] = body.index + 1  # the worksheet row (raw cells start at row 1)
    body = body[body["Code"].notna() & (body["Code"].astype("string").str.strip() != "")]
    body = body[body[numeric].notna().any(axis=1)]  # drops notes and blank spacer rows
    for c in numeric:
        body[c] = to_number(body[c], _WORKBOOK_LABELS.get(c, c), path, sheet=sheet)
    check_whole_numbers(body, numeric, path, rows=body["_row"], labels=_WORKBOOK_LABELS,
                        sheet=sheet)
    is_total = (_is_total(body["Name"]) | _is_total(body["Code"])
                | (body["Code"].astype("string").str.strip() == "-")).to_numpy()
    totals, data = body[is_total], body[~is_total].copy()
    if data.empty:
        raise SourceFormatError(path, "no provider rows below the header", sheet=sheet,
                                column="Code", expected="one row per provider")
    key = pd.DataFrame({"code": data["Code"].astype("string").str.strip().str.upper()})
    check_duplicates(key, ["code"], path, rows=data["_row"], sheet=sheet, column="Code",
                     names={"code": "Code"})
    published, unchecked = _check_totals(data, totals, numeric, path, "England row",
                                         allow_incomplete=allow_incomplete,
                                         labels=_WORKBOOK_LABELS, sheet=sheet)

    if period is None:
        period = _period_cell(top, path, sheet)
    month = parse_month(period, path, sheet=sheet, column="Period:")
    check_periods([month], path, sheet=sheet, column="Period:")
    data = data.rename(columns={"Code": "provider_code", "Name": "provider_name"})
    data["period"] = month
    data["region"] = _region(data["Region"])
    data["ae_dta_4_to_12h"] = data["dta_over_4h"] - data["ae_12h_waits"]

    booked_note = "not in workbook"
    with pd.ExcelFile(path, engine=excel_engine(path)) as book:
        has_booked = BOOKED_SHEET in book.sheet_names
    if has_booked:
        _, bk = _sheet_table(path, BOOKED_SHEET, booked=True)
        cols = [c for c in bk.columns if c.startswith(("ae_attendances_booked_",
                                                       "ae_over_4h_booked_"))]
        if cols:
            bk = bk[bk["Code"].notna() & bk[cols].notna().any(axis=1)]
            bk = bk[~(_is_total(bk["Name"]) | (bk["Code"].astype("string").str.strip() == "-"))
                    .to_numpy()]
            for c in cols:
                bk[c] = to_number(bk[c], c, path, sheet=BOOKED_SHEET)
            bk["provider_code"] = bk["Code"].astype("string").str.strip().str.upper()
            bk["_row"] = bk.index + 1
            check_duplicates(bk, ["provider_code"], path, rows=bk["_row"], sheet=BOOKED_SHEET,
                             names={"provider_code": "Code"})
            data["provider_code"] = data["provider_code"].astype("string").str.strip().str.upper()
            data = data.merge(bk[["provider_code", *cols]].drop_duplicates("provider_code"),
                              on="provider_code", how="left")
            booked_note = BOOKED_SHEET
    out = _finish(data, path, sheet=sheet)
    out.attrs["provenance"] = provenance(
        SOURCE, path, PUBLISHER_URL, [month], layout="workbook", sheet=sheet,
        booked_appointments=booked_note, providers=int(out["provider_code"].nunique()),
        published_totals=published, totals_unchecked=unchecked)
    return out


def _period_cell(top: pd.DataFrame, path: Path, sheet: str):
    for i in range(len(top)):
        row = [v for v in top.iloc[i].tolist() if pd.notna(v)]
        for k, v in enumerate(row[:-1]):
            if _norm(v) == "period:":
                return row[k + 1]
    raise SourceFormatError(path, "no 'Period:' cell above the table", sheet=sheet,
                            column="Period:", expected="the publisher's title block, or "
                            "pass period='YYYY-MM'")


# --- NHSRdatasets ae_attendances ---------------------------------------------------------

NHSR_COLUMNS = ["period", "org_code", "type", "attendances", "breaches", "admissions"]
_NHSR_TYPES = {"1": "type1", "2": "type2", "other": "other"}


def read_nhsr(path: str | Path, *, by: str = "provider",
              allow_incomplete: bool = False) -> pd.DataFrame:
    """Read NHSRdatasets ``ae_attendances`` (CSV form): A&E by organisation, 2016-04 to 2019-03.

    The table has one row per ``org_code`` x ``period`` x ``type`` (``1``, ``2``,
    ``other``) with ``attendances``, ``breaches`` (over 4 hours) and ``admissions``
    (emergency admissions via A&E). It carries no names and no booked-appointment or
    decision-to-admit counts: ``provider_name`` is missing (take names from ODS).

    Parameters
    ----------
    by
        ``"provider"``: one row per provider x month with the by-type columns of
        :func:`read` (a type without a row counts 0; a type whose count is blank or a
        suppression mark is missing, and so are the provider's totals over types);
        ``"type"``: one row per provider x month x ``ae_type`` (``type1``, ``type2``,
        ``other``).
    allow_incomplete
        Read a file whose last row is cut, warning instead of raising. The table has no
        totals row, so a file cut at a row boundary cannot be told from a shorter one.

    Example
    -------
    >>> df = read_nhsr("ae_attendances.csv")  # doctest: +SKIP
    >>> df.period.min(), df.period.max()  # doctest: +SKIP
    (Timestamp('2016-04-01 00:00:00'), Timestamp('2019-03-01 00:00:00'))
    """
    if by not in ("provider", "type"):
        raise ArgumentError("read_nhsr", "by", by, expected="'provider' or 'type'")
    path = check_file(path)
    cut = check_not_truncated(path, allow_incomplete=allow_incomplete)
    raw = read_csv_text(path, dtype=str, cut_last=cut)
    raw.columns = [str(c).strip() for c in raw.columns]
    require_columns(raw, NHSR_COLUMNS, path)
    if raw.empty:
        raise SourceFormatError(path, "no data rows", expected="rows of ae_attendances")
    df = pd.DataFrame({
        "provider_code": raw["org_code"].astype("string").str.strip().str.upper(),
        "ae_type": raw["type"].astype("string").str.strip().str.lower().map(_NHSR_TYPES),
        "ae_attendances": to_number(raw["attendances"], "attendances", path),
        "ae_over_4h": to_number(raw["breaches"], "breaches", path),
        "emergency_admissions": to_number(raw["admissions"], "admissions", path),
    })
    bad_type = df["ae_type"].isna()
    if bad_type.any():
        i = int(bad_type.to_numpy().argmax())
        raise SourceFormatError(path, f"department type {raw['type'].iloc[i]!r} (row {i})",
                                column="type", expected="one of '1', '2', 'other'")
    when = pd.to_datetime(raw["period"].astype("string").str.strip(), format="%Y-%m-%d",
                          errors="coerce")
    if when.isna().any():
        i = int(when.isna().to_numpy().argmax())
        raise SourceFormatError(path, f"date {raw['period'].iloc[i]!r} (row {i})",
                                column="period", expected="dates as YYYY-MM-DD")
    df["period"] = when.dt.to_period("M").dt.to_timestamp().astype("datetime64[ns]")
    check_periods(df["period"].unique(), path, column="period")
    check_whole_numbers(df, ["ae_attendances", "ae_over_4h", "emergency_admissions"], path,
                        rows=raw.index + 2, labels={"ae_attendances": "attendances",
                                                    "ae_over_4h": "breaches",
                                                    "emergency_admissions": "admissions"})
    counts = ["ae_attendances", "ae_over_4h", "emergency_admissions"]
    for c, orig in zip(counts, ["attendances", "breaches", "admissions"]):
        if (df[c] < 0).any():
            raise SourceFormatError(path, "negative count", column=orig,
                                    expected="counts of 0 or more (blank when not published)")
    key = ["provider_code", "period", "ae_type"]
    check_duplicates(df, key, path, rows=raw.index + 2, column="org_code",
                     names={"provider_code": "org_code", "ae_type": "type"})
    df["provider_name"] = pd.Series(pd.NA, index=df.index, dtype="string")
    months = df["period"].unique()
    if by == "type":
        att = df["ae_attendances"]
        df["ae_pct_within_4h"] = (100.0 * (1.0 - df["ae_over_4h"] / att)).where(att > 0)
        out = df[["provider_code", "provider_name", "period", "ae_type", "ae_attendances",
                  "ae_over_4h", "ae_pct_within_4h", "emergency_admissions"]]
        out = out.sort_values(key).reset_index(drop=True)
    else:
        # a type without a row counts 0; a row whose count is not published stays missing
        wide = (df.fillna({c: -1.0 for c in counts}).set_index(key)[counts]
                  .unstack("ae_type", fill_value=0.0).replace(-1.0, np.nan))
        flat = pd.DataFrame(index=wide.index)
        prefix = {"ae_attendances": "ae_attendances", "ae_over_4h": "ae_over_4h",
                  "emergency_admissions": "emergency_admissions"}
        for m, p in prefix.items():
            for t in TYPES:
                flat[f"{p}_{t}"] = wide[(m, t)] if (m, t) in wide.columns else 0.0
        flat = flat.reset_index()
        flat["provider_name"] = pd.Series(pd.NA, index=flat.index, dtype="string")
        flat["region"] = pd.Series(pd.NA, index=flat.index, dtype="string")
        out = _finish(flat, path)
        file_totals = {k: float(df[k].sum()) for k in counts}
        out = out.drop(columns=[c for c in out.columns if "booked" in c or "dta" in c
                                or c in ("ae_12h_waits", "emergency_admissions_not_via_ae")])
        out.attrs["provenance"] = provenance(
            SOURCE_NHSR, path, NHSR_URL, months, by=by, original_publisher=PUBLISHER_URL,
            providers=int(out["provider_code"].nunique()), file_totals=file_totals)
        return out
    out.attrs["provenance"] = provenance(
        SOURCE_NHSR, path, NHSR_URL, months, by=by, original_publisher=PUBLISHER_URL,
        providers=int(out["provider_code"].nunique()))
    return out
