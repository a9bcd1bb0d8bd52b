"""Bed availability and occupancy, KH03 (NHS England): overnight beds by organisation and sector.

The published CSVs ``KH03-Available-Overnight-only.csv`` and ``KH03-Occupied-Overnight-only.csv``
have one row per organisation x bed sector x snapshot: ``Organisation_Code, Sector``
(``General & Acute``, ``Maternity``, ``Mental Illness``, ``Learning Disabilities``),
``Number_Of_Beds`` (the average of the daily counts over the period) and
``Effective_Snapshot_Date`` (dd/mm/yyyy, the period's last day). Which count a file holds
(available or occupied) is in its name only.

Until 2009-10 KH03 was annual (one 31 March snapshot per financial year, the year's average);
from June 2010 it is quarterly. The reader tells them apart from the file itself: a
financial year whose only snapshot is 31 March is annual.

:func:`read` returns one row per organisation x sector x snapshot: ``provider_code``,
``sector`` (the publisher's spelling; the case variant ``Mental illness`` of some early rows
is read as ``Mental Illness``), ``snapshot_date``, ``period`` (first day of the quarter, or of
the financial year for annual rows), ``frequency`` (``quarterly`` / ``annual``), ``days`` (days
in the period) and ``beds_available`` or ``beds_occupied``. :func:`combine` puts the two files
side by side with ``occupancy_pct`` and ``occupied_bed_days`` (occupied beds x days: the
exposure for rates per 1,000 occupied bed days).

Reported, not guessed
---------------------
* the UTF-8 byte-order mark is read and recorded (provenance ``byte_order_mark``);
* rows with every field empty (the published files end with a row of commas) are left out
  and counted (``blank_rows``);
* an empty ``Number_Of_Beds`` on a row with a code (blank, or ``NULL`` as the database
  behind the files writes an empty value: 305 rows of 31 March 2001 in each file) is missing,
  not 0, with a warning naming the lines (``empty_beds``);
* codes a spreadsheet turned into numbers (``5.00E+02``: a code such as ``5E2`` or ``5E02``
  read as 500 and written back in scientific notation) cannot be restored: their rows are
  left out of the table with a warning giving each value, its rows and lines
  (``mangled_codes``). They still count in the England check below.

Checks
------
The columns present; the sector one of the four (any other text is an error naming the line);
the date a quarter end, not after today; beds a number, 0 or more (thousands separators
read; beds are averages of daily counts, so fractions are allowed); one row per
organisation, sector and date (a second is an error naming both lines); a last row cut
mid-row raises :class:`~workbench.errors.SourceIncompleteError`. Where the file has an England
row (``Organisation_Code`` ``England``, ``ENG`` or ``E92000001``), each sector's England
figure for a date must equal the sum of its organisations (within 0.5 bed, the rounding of a
published total): a mismatch raises :class:`~workbench.errors.SourceIncompleteError` naming
the date, the sector and both numbers (``allow_incomplete=True`` warns). The England rows are
not in the table; the published CSVs have none (provenance ``england_row``).

Example
-------
>>> from workbench.data.sources import kh03
>>> beds = kh03.combine(kh03.read("KH03-Available-Overnight-only.csv"),
...                     kh03.read("KH03-Occupied-Overnight-only.csv"))  # doctest: +SKIP
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.data.sources.common import (
    check_duplicates,
    check_file,
    check_not_truncated,
    check_periods,
    incomplete,
    provenance,
    read_csv_text,
    require_columns,
    to_number,
)
from workbench.errors import ArgumentError, SourceFormatError

SOURCE = "kh03"
PUBLISHER_URL = ("https://www.england.nhs.uk/statistics/statistical-work-areas/"
                 "bed-availability-and-occupancy/")
CODE, SECTOR, BEDS, DATE = ("Organisation_Code", "Sector", "Number_Of_Beds",
                            "Effective_Snapshot_Date")
SECTORS = ("General & Acute", "Maternity", "Mental Illness", "Learning Disabilities")
MEASURES = ("available", "occupied")
ENGLAND_CODES = ("ENGLAND", "ENG", "E92000001")
#: a code written back by a spreadsheet in scientific notation
MANGLED = re.compile(r"^[+-]?\d+(\.\d+)?[Ee][+-]?\d+$")
_CODE = re.compile(r"^[A-Z0-9]{2,10}$")
ENGLAND_TOLERANCE = 0.5
#: what an empty number of beds looks like (``NULL``: a database's empty value, written out)
EMPTY = ("", "NULL")
KEY_COLUMNS = ["provider_code", "sector", "snapshot_date", "period", "frequency", "days"]


def measure_of(path: str | Path) -> str:
    """``available`` or ``occupied``, from the file's name (the content does not say).

    >>> measure_of("KH03-Occupied-Overnight-only.csv")
    'occupied'
    """
    name = Path(path).name.lower()
    hits = [m for m in MEASURES if m in name]
    if len(hits) != 1:
        raise SourceFormatError(path, "the file name does not say whether the beds are "
                                "available or occupied", column=BEDS,
                                expected="'Available' or 'Occupied' in the name (as published), "
                                         "or measure='available'/'occupied'")
    return hits[0]


def _lines_of(mask: pd.Series, lines: pd.Series, n: int = 10) -> str:
    shown = ", ".join(str(int(x)) for x in lines[mask].tolist()[:n])
    return shown + (" ..." if int(mask.sum()) > n else "")


def read(path: str | Path, *, measure: str | None = None,
         allow_incomplete: bool = False) -> pd.DataFrame:
    r"""One row per organisation x sector x snapshot from one KH03 CSV (module docstring).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "KH03-Available-Overnight-only.csv"
    >>> _ = p.write_bytes("\ufeffOrganisation_Code,Sector,Number_Of_Beds,Effective_Snapshot_Date\r\n"
    ...     "RJ1,General & Acute,\"1,200.5\",30/06/2024\r\n,,,\r\n".encode())
    >>> r = read(p).iloc[0]
    >>> r["provider_code"], float(r["beds_available"]), str(r["period"].date()), r["frequency"]
    ('RJ1', 1200.5, '2024-04-01', 'quarterly')
    """
    path = check_file(path)
    if measure is None:
        measure = measure_of(path)
    elif measure not in MEASURES:
        raise ArgumentError("kh03.read", "measure", measure, expected="'available' or 'occupied'")
    with open(path, "rb") as fh:
        bom = fh.read(3) == b"\xef\xbb\xbf"
    cut = check_not_truncated(path, allow_incomplete=allow_incomplete)
    raw = read_csv_text(path, dtype=str, keep_default_na=False, cut_last=cut)
    raw.columns = [str(c).strip() for c in raw.columns]
    require_columns(raw, [CODE, SECTOR, BEDS, DATE], path)
    lines = pd.Series(raw.index + 2, index=raw.index)
    txt = {c: raw[c].astype("string").str.strip() for c in (CODE, SECTOR, BEDS, DATE)}
    blank = pd.concat([t == "" for t in txt.values()], axis=1).all(axis=1)
    blank_lines = lines[blank].tolist()
    keep = ~blank
    if not keep.any():
        raise SourceFormatError(path, "has no data rows", column=CODE,
                                expected="one row per organisation, sector and date")
    raw, lines = raw[keep], lines[keep]
    txt = {c: t[keep] for c, t in txt.items()}
    code = txt[CODE].str.upper()
    if (code == "").any():
        i = (code == "").idxmax()
        raise SourceFormatError(path, f"blank organisation code on line {int(lines[i])}",
                                column=CODE, expected="an ODS organisation code on every row")
    mangled = code.str.fullmatch(MANGLED.pattern).fillna(False).astype(bool)
    england = code.isin(ENGLAND_CODES)
    odd = ~mangled & ~england & ~code.str.fullmatch(_CODE.pattern).fillna(False).astype(bool)
    if odd.any():
        i = odd.idxmax()
        raise SourceFormatError(path, f"code {raw.at[i, CODE]!r} on line {int(lines[i])}",
                                column=CODE, expected="an ODS organisation code (letters and "
                                                      "digits)")
    sector_key = txt[SECTOR].str.casefold()
    canon = {s.casefold(): s for s in SECTORS}
    sector = sector_key.map(canon)
    if sector.isna().any():
        i = sector.isna().idxmax()
        raise SourceFormatError(path, f"sector {raw.at[i, SECTOR]!r} on line {int(lines[i])}",
                                column=SECTOR, expected=f"one of {list(SECTORS)}")
    respelt = {str(v): int(n) for v, n in txt[SECTOR][txt[SECTOR] != sector]
               .value_counts().items()}
    date = pd.to_datetime(txt[DATE], format="%d/%m/%Y", errors="coerce")
    quarter_end = date.notna() & (date + pd.offsets.QuarterEnd(0) == date)
    if not quarter_end.all():
        i = (~quarter_end).idxmax()
        raise SourceFormatError(path, f"value {raw.at[i, DATE]!r} on line {int(lines[i])}",
                                column=DATE, expected="a quarter's last day as dd/mm/yyyy "
                                                      "(31/03, 30/06, 30/09 or 31/12)")
    # a quarter's average is known once the quarter has ended: a later date was not counted
    check_periods(date.unique(), path, column=DATE, named=False)
    empty = txt[BEDS].isin(EMPTY)
    beds = to_number(raw[BEDS].mask(empty, ""), BEDS, path)
    neg = beds.notna() & (beds < 0)
    if neg.any():
        i = neg.idxmax()
        raise SourceFormatError(path, f"negative value {raw.at[i, BEDS]!r} on line "
                                f"{int(lines[i])}", column=BEDS, expected="0 or more beds")
    df = pd.DataFrame({"provider_code": code, "sector": sector,
                       "snapshot_date": date.astype("datetime64[ns]"), "beds": beds})
    check_duplicates(df, ["provider_code", "sector", "snapshot_date"], path, rows=lines,
                     column=CODE, names={"provider_code": CODE, "sector": SECTOR,
                                         "snapshot_date": DATE}, what="line")
    value = f"beds_{measure}"
    england_check = _check_england(df, england, path, allow_incomplete)
    if empty.any():
        what = ", ".join(f"{n} {v or 'blank'}" for v, n in
                         txt[BEDS][empty].value_counts().items())
        warnings.warn(f"{path} (column {BEDS!r}): {int(empty.sum())} row(s) with an empty "
                      f"number of beds ({what}), read as missing (not 0): lines "
                      f"{_lines_of(empty, lines)}", stacklevel=2)
    mangled_info = {}
    if mangled.any():
        for v in sorted(raw.loc[mangled, CODE].str.strip().unique()):
            m = mangled & (raw[CODE].str.strip() == v)
            mangled_info[v] = {"rows": int(m.sum()), "lines": lines[m].tolist()[:50]}
        warnings.warn(f"{path} (column {CODE!r}): {int(mangled.sum())} row(s) with "
                      f"{len(mangled_info)} code(s) turned into numbers by a spreadsheet "
                      f"({', '.join(mangled_info)}); the original codes cannot be told, so "
                      f"these rows are left out: lines {_lines_of(mangled, lines)}",
                      stacklevel=2)
    out = df[~mangled & ~england].copy()
    freq = _frequency(df.loc[~england, "snapshot_date"])
    out["frequency"] = out["snapshot_date"].map(freq)
    annual = out["frequency"] == "annual"
    start = out["snapshot_date"].dt.to_period("Q").dt.start_time
    fy_start = pd.to_datetime((out["snapshot_date"].dt.year - 1).astype(str) + "-04-01")
    out["period"] = start.where(~annual, fy_start).astype("datetime64[ns]")
    out["days"] = ((out["snapshot_date"] - out["period"]).dt.days + 1).astype("int64")
    out = out.rename(columns={"beds": value})
    out = out[KEY_COLUMNS + [value]].sort_values(
        ["snapshot_date", "sector", "provider_code"]).reset_index(drop=True)
    out["provider_code"] = out["provider_code"].astype(str)
    out["sector"] = out["sector"].astype(str)
    out.attrs["provenance"] = provenance(
        SOURCE, path, PUBLISHER_URL, (), measure=measure, rows=len(out),
        snapshots=[f"{d:%Y-%m-%d}" for d in sorted(out["snapshot_date"].unique())[:1]]
        + [f"{d:%Y-%m-%d}" for d in sorted(out["snapshot_date"].unique())[-1:]],
        annual_snapshots=sorted(f"{d:%Y-%m-%d}" for d, f in freq.items() if f == "annual"),
        organisations=int(out["provider_code"].nunique()),
        byte_order_mark=bom, blank_rows={"rows": len(blank_lines), "lines": blank_lines[:50]},
        empty_beds={"rows": int(empty.sum()), "lines": lines[empty].tolist()[:50]},
        mangled_codes=mangled_info, sector_spellings=respelt, england_row=england_check,
        england_sums={f"{d:%Y-%m-%d}": round(float(v), 3) for d, v in
                      df[~england & (df["sector"] == "General & Acute")]
                      .groupby("snapshot_date")["beds"].sum().tail(8).items()},
        period_rule="quarterly from June 2010 (period = quarter start); annual before "
                    "(period = financial year start); not spread over months")
    return out


def _frequency(dates: pd.Series) -> dict:
    """``annual`` for a financial year whose only snapshot is 31 March, else ``quarterly``."""
    u = pd.Series(sorted(dates.dropna().unique()))
    fy = u.dt.year.where(u.dt.month > 3, u.dt.year - 1)
    n = fy.map(fy.value_counts())
    return {d: ("annual" if (k == 1 and d.month == 3) else "quarterly")
            for d, k in zip(u, n)}


def _check_england(df: pd.DataFrame, england: pd.Series, path: Path,
                   allow_incomplete: bool):
    if not england.any():
        return False
    sums = df[~england].groupby(["snapshot_date", "sector"])["beds"].sum(min_count=1)
    eng = df[england].set_index(["snapshot_date", "sector"])["beds"]
    got = sums.reindex(eng.index)
    off = eng.notna() & ((got.isna()) | ((eng - got).abs() > ENGLAND_TOLERANCE + 1e-9 * eng))
    checked = int(eng.notna().sum())
    if off.any():
        (d, s) = off[off].index[0]
        incomplete(path, f"England {s} beds for {d:%d/%m/%Y} are {eng[(d, s)]:,.2f} but its "
                   f"organisations sum to {got[(d, s)]:,.2f}"
                   + (f" ({int(off.sum())} date-sector pairs differ)" if off.sum() > 1 else ""),
                   allow_incomplete=allow_incomplete, column=BEDS,
                   expected="each England figure equal to the sum of its organisations",
                   stacklevel=4)
    return {"checked": checked, "mismatches": int(off.sum())}


def combine(*tables: pd.DataFrame) -> pd.DataFrame:
    """Available and occupied beds side by side, with occupancy and occupied bed days.

    One row per organisation x sector x snapshot in either table: ``beds_available``,
    ``beds_occupied``, ``occupancy_pct`` (100 x occupied / available; missing when no beds
    are available) and ``occupied_bed_days`` (occupied beds x days in the period).

    >>> a = pd.DataFrame({"provider_code": ["RJ1"], "sector": ["General & Acute"],
    ...     "snapshot_date": [pd.Timestamp("2024-06-30")], "period": [pd.Timestamp("2024-04-01")],
    ...     "frequency": ["quarterly"], "days": [91], "beds_available": [100.0]})
    >>> o = a.drop(columns="beds_available").assign(beds_occupied=[90.0])
    >>> r = combine(a, o).iloc[0]
    >>> float(r["occupancy_pct"]), float(r["occupied_bed_days"])
    (90.0, 8190.0)
    """
    out = None
    for t in tables:
        value = [c for c in ("beds_available", "beds_occupied") if c in t.columns]
        if len(value) != 1:
            raise ArgumentError("kh03.combine", "tables", list(t.columns),
                                problem="holds neither or both bed counts",
                                expected="tables read by kh03.read (one count each)")
        t = t[KEY_COLUMNS + value]
        if out is None:
            out = t
        elif value[0] in out.columns:
            raise ArgumentError("kh03.combine", "tables", value[0], problem="given twice",
                                expected="one available and one occupied table")
        else:
            out = out.merge(t, on=KEY_COLUMNS, how="outer")
    if out is None:
        raise ArgumentError("kh03.combine", "tables", (), expected="one or two KH03 tables")
    for c in ("beds_available", "beds_occupied"):
        if c not in out.columns:
            out[c] = np.nan
    out["occupancy_pct"] = 100 * out["beds_occupied"] / out["beds_available"].where(
        out["beds_available"] > 0)
    out["occupied_bed_days"] = out["beds_occupied"] * out["days"]
    return out.sort_values(["snapshot_date", "sector", "provider_code"]).reset_index(drop=True)
