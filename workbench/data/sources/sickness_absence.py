"""NHS Sickness Absence Rates by organisation, monthly (NHS England, from ESR).

The publisher's monthly CSV ("NHS Sickness Absence rates CSV, <Month> <Year>") has one row
per NHS organisation for one month, all staff groups together:
``DATE`` (dd/mm/yyyy, the month's last day), ``NHSE_REGION_CODE, NHSE_REGION_NAME, ICS_CODE,
ICS_NAME, ORG_CODE, ORG_NAME, ORG_TYPE, FTE_DAYS_LOST, FTE_DAYS_AVAILABLE,
SICKNESS_ABSENCE_RATE_PERCENT``.

:func:`read` returns one row per organisation x month: ``provider_code`` (``ORG_CODE``),
``provider_name``, ``organisation_type`` (``ORG_TYPE`` as published: ``Acute``, ``Mental
Health``, ``Community Provider Trust``, ``Ambulance``, ``Integrated Care Board``,
``Commissioning Support Unit``, ``Others``), ``region_code``, ``region``, ``ics_code``,
``ics_name``, ``period`` (month start), ``fte_days_lost``, ``fte_days_available`` (full-time
equivalent days) and ``sickness_absence_pct`` (the published rate, %).

Rates over several organisations or months
------------------------------------------
A rate pooled over organisations or months is the sum of days lost over the sum of days
available (:func:`pooled_rate`), never a mean of the monthly or organisational rates: a mean
of rates gives a small organisation the weight of a large one.

Checks: the columns present; days 0 or more and days lost not above days available; the
published rate equal to ``100 x lost / available`` to its two decimals (a rate that is not
is an error naming the line, both values and the rule); a date that is not dd/mm/yyyy is an
error naming the line, and so is a month other than the one the file's name gives
(``nhs_sickness_absence_2024-04.csv``, ``... April 2024``) or a date after today; days are
full-time equivalents, so fractions are allowed; one row per organisation and month (a second is an error naming both
lines); suppression marks and blanks read as missing (and the rate check is then skipped);
a last row cut mid-row raises :class:`~workbench.errors.SourceIncompleteError`
(``allow_incomplete=True`` warns and leaves it out). The file has no totals row, so a file
cut at a row boundary cannot be told from a shorter one.

Coverage: NHS organisations only (trusts, ICBs, CSUs and other NHS bodies); no independent
sector.

Example
-------
>>> from workbench.data.sources import sickness_absence
>>> df = sickness_absence.read_many(sorted(Path("nhs_sickness_absence_monthly").glob("*.csv")))  # doctest: +SKIP
>>> sickness_absence.pooled_rate(df, by="provider_code").loc["RJ1"]  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from workbench.data.sources.common import (
    check_duplicates,
    check_file,
    check_not_truncated,
    check_periods,
    provenance,
    read_csv_text,
    require_columns,
    to_number,
)
from workbench.errors import ArgumentError, SourceFormatError

SOURCE = "sickness_absence"
PUBLISHER_URL = ("https://digital.nhs.uk/data-and-information/publications/statistical/"
                 "nhs-sickness-absence-rates")
IDS = {"ORG_CODE": "provider_code", "ORG_NAME": "provider_name", "ORG_TYPE": "organisation_type",
       "NHSE_REGION_CODE": "region_code", "NHSE_REGION_NAME": "region", "ICS_CODE": "ics_code",
       "ICS_NAME": "ics_name"}
LOST, AVAILABLE, RATE, DATE = ("FTE_DAYS_LOST", "FTE_DAYS_AVAILABLE",
                               "SICKNESS_ABSENCE_RATE_PERCENT", "DATE")
OUT_COLUMNS = ["provider_code", "provider_name", "organisation_type", "region_code", "region",
               "ics_code", "ics_name", "period", "fte_days_lost", "fte_days_available",
               "sickness_absence_pct"]
#: the published rate is rounded to 2 decimals
RATE_TOLERANCE = 0.0051


def read(path: str | Path, *, allow_incomplete: bool = False) -> pd.DataFrame:
    r"""One row per organisation x month from one published monthly CSV (module docstring).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "absence.csv"
    >>> _ = p.write_text("DATE,NHSE_REGION_CODE,NHSE_REGION_NAME,ICS_CODE,ICS_NAME,ORG_CODE,"
    ...     "ORG_NAME,ORG_TYPE,FTE_DAYS_LOST,FTE_DAYS_AVAILABLE,SICKNESS_ABSENCE_RATE_PERCENT\n"
    ...     "30/04/2024,Y56,London,QKK,South East London,RJ1,Guy's,Acute,5000,100000,5\n")
    >>> r = read(p).iloc[0]
    >>> r["provider_code"], str(r["period"].date()), float(r["sickness_absence_pct"])
    ('RJ1', '2024-04-01', 5.0)
    """
    path = check_file(path)
    cut = check_not_truncated(path, allow_incomplete=allow_incomplete)
    raw = read_csv_text(path, dtype=str, keep_default_na=False, cut_last=cut)
    raw.columns = [str(c).strip() for c in raw.columns]
    require_columns(raw, [DATE, *IDS, LOST, AVAILABLE, RATE], path)
    blank = raw.apply(lambda c: c.astype(str).str.strip() == "").all(axis=1)
    raw = raw[~blank]
    if raw.empty:
        raise SourceFormatError(path, "has no data rows", column="ORG_CODE",
                                expected="one row per organisation and month")
    lines = pd.Series(raw.index + 2, index=raw.index)
    out = pd.DataFrame(index=raw.index)
    for col, canon in IDS.items():
        txt = raw[col].astype("string").str.strip()
        out[canon] = txt.mask(txt == "")
    if out["provider_code"].isna().any():
        i = out["provider_code"].isna().idxmax()
        raise SourceFormatError(path, f"blank organisation code on line {int(lines[i])}",
                                column="ORG_CODE", expected="an ODS code on every row")
    out["provider_code"] = out["provider_code"].str.upper()
    date = pd.to_datetime(raw[DATE].astype("string").str.strip(), format="%d/%m/%Y",
                          errors="coerce")
    if date.isna().any():
        i = date.isna().idxmax()
        raise SourceFormatError(path, f"value {raw.at[i, DATE]!r} on line {int(lines[i])} is "
                                "not a date", column=DATE,
                                expected="the month's last day as dd/mm/yyyy, e.g. 30/04/2024")
    out["period"] = date.dt.to_period("M").dt.to_timestamp().astype("datetime64[ns]")
    # the month of the name (``..._2024-04.csv``, ``... April 2024``), and one that has ended
    check_periods(out["period"].unique(), path, column=DATE, numeric_name=True)
    check_periods(date.unique(), path, column=DATE, named=False)
    lost = to_number(raw[LOST], LOST, path)
    avail = to_number(raw[AVAILABLE], AVAILABLE, path)
    rate = to_number(raw[RATE], RATE, path)
    for col, v in ((LOST, lost), (AVAILABLE, avail), (RATE, rate)):
        neg = v.notna() & (v < 0)
        if neg.any():
            i = neg.idxmax()
            raise SourceFormatError(path, f"negative value {raw.at[i, col]!r} on line "
                                    f"{int(lines[i])}", column=col, expected="0 or more")
    over = lost.notna() & avail.notna() & (lost > avail)
    if over.any():
        i = over.idxmax()
        raise SourceFormatError(path, f"line {int(lines[i])} (organisation "
                                f"{out.at[i, 'provider_code']!r}) has {lost[i]:g} days lost of "
                                f"{avail[i]:g} available", column=LOST,
                                expected="days lost not above days available")
    both = lost.notna() & avail.notna() & rate.notna() & (avail > 0)
    calc = 100 * lost / avail.where(avail > 0)
    off = both & ((calc - rate).abs() > RATE_TOLERANCE)
    if off.any():
        i = off.idxmax()
        raise SourceFormatError(path, f"line {int(lines[i])} (organisation "
                                f"{out.at[i, 'provider_code']!r}) publishes a rate of "
                                f"{rate[i]:g}% where 100 x {LOST} / {AVAILABLE} is "
                                f"{calc[i]:.4f}%" + (f" ({int(off.sum())} lines differ)"
                                                     if off.sum() > 1 else ""),
                                column=RATE, expected="the rate equal to 100 x days lost / "
                                "days available, to its two published decimals")
    out["fte_days_lost"], out["fte_days_available"], out["sickness_absence_pct"] = (
        lost, avail, rate)
    check_duplicates(out, ["provider_code", "period"], path, rows=lines, column="ORG_CODE",
                     names={"provider_code": "ORG_CODE", "period": "DATE"}, what="line")
    out = out[OUT_COLUMNS].sort_values(["period", "provider_code"]).reset_index(drop=True)
    for c in OUT_COLUMNS[1:7]:
        out[c] = out[c].astype(object).where(out[c].notna(), None)
    out["provider_code"] = out["provider_code"].astype(str)
    out.attrs["provenance"] = provenance(
        SOURCE, path, PUBLISHER_URL, out["period"], rows=len(out),
        organisations=int(out["provider_code"].nunique()),
        england_rate_pct=pooled_rate(out) if out["fte_days_available"].sum() > 0 else None,
        rate_rule="pooled rate = 100 x sum(FTE days lost) / sum(FTE days available)")
    return out


def read_many(paths: Iterable[str | Path], *, allow_incomplete: bool = False) -> pd.DataFrame:
    """Several monthly files as one table; the same organisation and month twice is an error.

    The provenance lists each file's record under ``files``.
    """
    tables = [read(p, allow_incomplete=allow_incomplete) for p in paths]
    if not tables:
        raise SourceFormatError("<no files>", "no files given",
                                expected="one or more monthly sickness absence CSVs")
    out = pd.concat(tables, ignore_index=True)
    dup = out.duplicated(["provider_code", "period"], keep=False)
    if dup.any():
        code, month = out.loc[dup, ["provider_code", "period"]].iloc[0]
        files = [t.attrs["provenance"]["file"] for t in tables
                 if ((t["provider_code"] == code) & (t["period"] == month)).any()]
        raise SourceFormatError(", ".join(files), f"organisation {code!r} appears in more than "
                                f"one file for {month:%Y-%m}", column="ORG_CODE",
                                expected="each organisation and month in one file")
    out = out.sort_values(["period", "provider_code"]).reset_index(drop=True)
    out.attrs["provenance"] = {"source": SOURCE, "files": [t.attrs["provenance"] for t in tables],
                               "periods": sorted({f"{p:%Y-%m}" for p in out["period"]})}
    return out


def pooled_rate(df: pd.DataFrame, by: str | list[str] | None = None, *,
                lost: str = "fte_days_lost", available: str = "fte_days_available"):
    """Sickness absence (%) pooled over rows: 100 x sum(days lost) / sum(days available).

    Never a mean of rates. Rows missing either count are left out of both sums. With ``by``
    (a column or columns), a table per group: ``fte_days_lost``, ``fte_days_available``,
    ``rows`` and ``sickness_absence_pct``; without, one number (NaN when nothing is
    available).

    >>> t = pd.DataFrame({"provider_code": ["A", "A", "B"],
    ...                   "fte_days_lost": [10.0, 30.0, 5.0],
    ...                   "fte_days_available": [100.0, 1000.0, 100.0]})
    >>> round(pooled_rate(t), 4)          # 45 / 1200, not the mean of 10%, 3% and 5%
    3.75
    >>> pooled_rate(t, by="provider_code")["sickness_absence_pct"].round(4).tolist()
    [3.6364, 5.0]
    """
    names = {"lost": lost, "available": available, "by": by}
    for arg, cols in names.items():
        cols = [cols] if isinstance(cols, str) else list(cols or [])
        absent = [c for c in cols if c not in df.columns]
        if absent:
            raise ArgumentError("pooled_rate", arg, absent[0], problem="is not a column of "
                                "the table", expected=f"one of {list(df.columns)[:20]}")
    keep = df[lost].notna() & df[available].notna()
    d = df.loc[keep]
    if by is None:
        den = float(d[available].sum())
        return 100.0 * float(d[lost].sum()) / den if den > 0 else float("nan")
    g = d.groupby(by, sort=True)
    out = pd.DataFrame({"fte_days_lost": g[lost].sum(), "fte_days_available": g[available].sum(),
                        "rows": g.size()})
    out["sickness_absence_pct"] = 100.0 * out["fte_days_lost"] / out[
        "fte_days_available"].where(out["fte_days_available"] > 0)
    return out
