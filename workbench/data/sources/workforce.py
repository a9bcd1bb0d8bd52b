"""NHS Hospital & Community Health Services (HCHS) workforce by organisation (NHS Digital).

Reads the supplementary-information workbook "HCHS staff by staff group, nationality and
organisation" (e.g. September 2017 and June 2018): sheet ``Data``, one row per
organisation x staff group x nationality x month, columns
``Month, Organisation code, Organisation name, Staff group, Nationality, FTE``.

Per organisation and month the reader returns

* ``nurse_fte`` -- staff group ``Nurses & health visitors`` summed over nationality
  (midwives and nursing support staff are separate staff groups and are not included);
* ``staff_fte`` -- every staff group summed over nationality (all HCHS staff).

Organisations are NHS trusts and CCGs; independent-sector staffing is not published in NHS
workforce statistics. The publisher rounds figures to prevent disclosure, so sums over
nationality can differ from the publisher's own organisation totals by a few FTE.

An FTE cell that is blank or a suppression mark (``*``, ``-``, ``..``, ``x``, ``c``,
``:``) is missing, and so is every sum that includes it: ``nurse_fte`` is missing when a
nurse row of the organisation is, ``staff_fte`` when any of its rows is (a sum without
the row would be too low). Thousands separators (``"1,234.5"``) are read as numbers (FTE
is fractional: no whole-number check). Months must be those the file's name gives
(``...-september-2017-and-june-2018...``, when it gives any) and not in the future; formula
cells without a computed value are an error saying so. Two
rows for the same month, organisation, staff group and nationality are an error naming
both rows. The ``Data`` sheet has no totals row, so a sheet cut at a row boundary cannot
be told from a shorter one; ``allow_incomplete`` is accepted for a uniform reader
signature and has nothing to relax here.

Example
-------
>>> from workbench.data.sources import workforce
>>> df = workforce.read("hchs-staff-by-staff-group-nationality-and-organisation-"
...                     "september-2017-and-june-2018_ah2324.xlsx")  # doctest: +SKIP
>>> df.columns.tolist()  # doctest: +SKIP
['provider_code', 'provider_name', 'period', 'nurse_fte', 'staff_fte']
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd

from workbench.data.sources.common import (
    check_archive,
    check_duplicates,
    check_file,
    check_formulas_cached,
    check_periods,
    excel_engine,
    provenance,
    require_columns,
    to_number,
)
from workbench.errors import SourceFormatError

PUBLISHER_URL = ("https://digital.nhs.uk/data-and-information/publications/statistical/"
                 "nhs-workforce-statistics")
SHEET = "Data"
COLUMNS = ["Month", "Organisation code", "Organisation name", "Staff group", "Nationality",
           "FTE"]
NURSE_GROUP = "Nurses & health visitors"


def _open_sheet(path: Path, sheet: str) -> pd.DataFrame:
    check_archive(path)  # unpacked sizes within the reading limits before opening
    try:
        book = pd.ExcelFile(path, engine=excel_engine(path))
    except (zipfile.BadZipFile, ValueError, OSError, KeyError, EOFError) as exc:
        raise SourceFormatError(path, f"is not a readable Excel workbook ({exc})", sheet=sheet,
                                expected="the publisher's .xlsx workbook") from None
    with book:
        if sheet not in book.sheet_names:
            raise SourceFormatError(path, f"no sheet {sheet!r}; sheets are {book.sheet_names}",
                                    sheet=sheet, expected=f"a sheet named {sheet!r}")
        check_formulas_cached(path, [sheet])
        try:
            return pd.read_excel(book, sheet_name=sheet, dtype={"Month": str, "Organisation code": str,
                                            "Organisation name": str, "Staff group": str,
                                            "Nationality": str})
        except (zipfile.BadZipFile, ValueError, OSError, KeyError) as exc:
            raise SourceFormatError(path, f"sheet cannot be read ({exc})", sheet=sheet,
                                    expected="the publisher's table") from None


def parse_hchs_month(values: pd.Series, path: Path) -> pd.Series:
    """Month labels such as ``2017-SEP`` (or dates) as month-start timestamps.

    >>> import pandas as pd
    >>> parse_hchs_month(pd.Series(["2017-SEP", "2018-JUN"]), "f.xlsx").dt.strftime("%Y-%m").tolist()
    ['2017-09', '2018-06']
    """
    txt = values.astype("string").str.strip().str.title()
    out = pd.to_datetime(txt, format="%Y-%b", errors="coerce")
    rest = out.isna() & txt.notna()
    if rest.any():
        out[rest] = pd.to_datetime(txt[rest], errors="coerce", dayfirst=True)
    bad = out.isna()
    if bad.any():
        i = bad.idxmax()
        raise SourceFormatError(path, f"value {values.loc[i]!r} (row {i}) is not a month",
                                column="Month", sheet=SHEET,
                                expected="months like '2017-SEP'")
    return out.dt.to_period("M").dt.to_timestamp()


def read(path: str | Path, sheet: str = SHEET, *, allow_incomplete: bool = False
         ) -> pd.DataFrame:
    """Nurse and all-staff FTE per organisation and month from the HCHS workbook.

    Returns ``provider_code, provider_name, period, nurse_fte, staff_fte`` with one row
    per organisation and month; ``nurse_fte`` is 0 for an organisation that employs no
    nurses (e.g. most CCGs). Bad input raises one
    :class:`~workbench.errors.SourceFormatError` naming the file, sheet and column.

    >>> import pandas as pd, tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "hchs.xlsx"
    >>> pd.DataFrame({"Month": ["2017-SEP"] * 3, "Organisation code": ["RJ1"] * 3,
    ...     "Organisation name": ["Guy's"] * 3,
    ...     "Staff group": ["Nurses & health visitors", "Nurses & health visitors", "Managers"],
    ...     "Nationality": ["British", "Irish", "British"], "FTE": [10.0, 2.5, 4.0]},
    ... ).to_excel(p, sheet_name="Data", index=False)
    >>> out = read(p)
    >>> out.loc[0, "provider_code"], float(out.loc[0, "nurse_fte"]), float(out.loc[0, "staff_fte"])
    ('RJ1', 12.5, 16.5)
    """
    path = check_file(path)
    raw = _open_sheet(path, sheet)
    if raw.empty:
        raise SourceFormatError(path, "has no data rows", sheet=sheet,
                                expected=f"rows under the header {COLUMNS}")
    raw.columns = [str(c).strip() for c in raw.columns]
    require_columns(raw, COLUMNS, path, sheet=sheet)
    raw = raw.dropna(how="all", subset=COLUMNS)
    df = pd.DataFrame({
        "provider_code": raw["Organisation code"].astype("string").str.strip().str.upper(),
        "provider_name": raw["Organisation name"].astype("string").str.strip(),
        "period": parse_hchs_month(raw["Month"], path),
        "staff_group": raw["Staff group"].astype("string").str.strip(),
        "nationality": raw["Nationality"].astype("string").str.strip(),
        "fte": to_number(raw["FTE"], "FTE", path, sheet=sheet),
    })
    check_periods(df["period"].unique(), path, column="Month", sheet=sheet)
    missing_code = df["provider_code"].isna() | (df["provider_code"] == "")
    if missing_code.any():
        i = missing_code.idxmax()
        raise SourceFormatError(path, f"blank organisation code (row {i})",
                                column="Organisation code", sheet=sheet,
                                expected="an ODS code on every row")
    if (df["fte"] < 0).any():
        i = (df["fte"] < 0).idxmax()
        raise SourceFormatError(path, f"negative FTE {df['fte'].loc[i]} (row {i})",
                                column="FTE", sheet=sheet, expected="FTE >= 0")
    if not (df["staff_group"] == NURSE_GROUP).any():
        raise SourceFormatError(path, f"no rows of staff group {NURSE_GROUP!r}",
                                column="Staff group", sheet=sheet,
                                expected=f"the publisher's staff groups incl. {NURSE_GROUP!r}")
    check_duplicates(df, ["period", "provider_code", "staff_group", "nationality"], path,
                     rows=raw.index + 2, sheet=sheet,
                     names={"period": "Month", "provider_code": "Organisation code",
                            "staff_group": "Staff group", "nationality": "Nationality"},
                     column="Organisation code")
    keys = ["provider_code", "period"]
    df["nurse"] = df["fte"].where(df["staff_group"] == NURSE_GROUP, 0.0)
    df["nurse_missing"] = df["nurse"].isna()
    df["fte_missing"] = df["fte"].isna()
    out = (df.groupby(keys, sort=True)
             .agg(provider_name=("provider_name", "first"), nurse_fte=("nurse", "sum"),
                  staff_fte=("fte", "sum"), nurse_missing=("nurse_missing", "any"),
                  fte_missing=("fte_missing", "any"))
             .reset_index())
    # a sum over rows of which one is not published is not known
    out["nurse_fte"] = out["nurse_fte"].mask(out["nurse_missing"])
    out["staff_fte"] = out["staff_fte"].mask(out["fte_missing"])
    out = out[["provider_code", "provider_name", "period", "nurse_fte", "staff_fte"]]
    out["provider_code"] = out["provider_code"].astype(str)
    out.attrs["provenance"] = provenance(
        "workforce", path, PUBLISHER_URL, out["period"], sheet=sheet,
        n_providers=int(out["provider_code"].nunique()),
        nurse_group=NURSE_GROUP,
        england_nurse_fte={p.strftime("%Y-%m"): round(float(v), 1) for p, v in
                           out.groupby("period")["nurse_fte"].sum(min_count=1).items()},
        organisations_with_missing_fte=int(out["staff_fte"].isna().sum()),
    )
    return out
