"""CQC website search export: registered locations (hospitals, clinics) and their providers.

The CQC's "find and compare services" search can be exported as a CSV, one row per
registered location, with ``Name, Address 1, Address 2, Town/City, County, Postcode, Phone
number, CQC Provider ID (for office use only), CQC Location ID (for office use only),
Website, Local authority, Region, Report publication date, URL, Also known as,
Specialisms/services, Service types, Provider name``. There are no ratings.

A row of :func:`read` is one location: ``location_id, location_name, provider_id,
provider_name, provider_group, ownership, postcode, local_authority, region`` (the CQC's
region names, e.g. ``East``, ``Yorkshire & Humberside``), ``service_types`` and
``specialisms`` (the published lists without repeats, joined by ``"; "``),
``report_date`` and ``period`` (the export month, from the file name, e.g.
``..._2024-05.csv``, or ``period=``; missing when neither gives it).

Ownership from the register's own naming of providers
-----------------------------------------------------
The CQC registers each provider under its legal name, and NHS bodies' legal names say what
they are: ``... NHS Trust``, ``... NHS Foundation Trust`` (also written ``NHS FT``) and the
special health authorities whose names begin ``NHS`` (e.g. ``NHS Blood and Transplant``).
``ownership`` is ``nhs`` for those and ``independent`` for every other provider (companies,
charities, partnerships: ``SpaMedica Ltd``, ``Nuffield Health``, ``British Pregnancy
Advisory Service``). This reads the register's statement of who the provider is; it is not
a guess from a location's name or code. ``provider_group`` is the provider's name without
legal-form words (``Limited``, ``Ltd``, ``PLC``, ``LLP``, ``CIC``, ``UK``, ``Operations``,
``Holdings``), so ``Ramsay Health Care UK Operations Limited`` is ``Ramsay Health Care``;
an NHS provider's group is its own name.

Checks: every column above present (a renamed column is an error naming it); a blank
location or provider id is an error naming the line; a location listed twice is an error
naming both lines; a report date that is not a date is an error. The export has no totals,
so a file cut at a row boundary cannot be told from a shorter one; a last row cut mid-row
raises :class:`~workbench.errors.SourceIncompleteError` (``allow_incomplete=True`` warns
and leaves it out).

Example
-------
>>> from workbench.data.sources import cqc_locations
>>> df = cqc_locations.read("cqc_search_export_hospitals_clinics_2024-05.csv")  # doctest: +SKIP
>>> df.groupby("ownership").size()  # doctest: +SKIP
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from workbench.data.sources.common import (
    check_duplicates,
    check_file,
    check_not_truncated,
    provenance,
    read_csv_text,
    require_columns,
)
from workbench.errors import SourceFormatError

SOURCE = "cqc_locations"
PUBLISHER_URL = "https://www.cqc.org.uk/search/all"
PROVIDER_ID = "CQC Provider ID (for office use only)"
LOCATION_ID = "CQC Location ID (for office use only)"
COLUMNS = {"Name": "location_name", LOCATION_ID: "location_id", PROVIDER_ID: "provider_id",
           "Provider name": "provider_name", "Postcode": "postcode",
           "Local authority": "local_authority", "Region": "region",
           "Report publication date": "report_date", "Service types": "service_types",
           "Specialisms/services": "specialisms"}
OUT_COLUMNS = ["location_id", "location_name", "provider_id", "provider_name", "provider_group",
               "ownership", "postcode", "local_authority", "region", "service_types",
               "specialisms", "report_date", "period"]
NHS_NAME = re.compile(r"\bNHS\s+(?:Foundation\s+)?Trust\b|\bNHS\s+FT\b|^NHS\b", re.IGNORECASE)
_LEGAL = re.compile(r"\b(Limited|Ltd\.?|PLC|LLP|CIC|LLC|UK|Operations|Holdings)\b|\(UK\)",
                    re.IGNORECASE)
_MONTH = re.compile(r"(20\d{2})-(0[1-9]|1[0-2])")


def ownership_of(provider_name: pd.Series) -> pd.Series:
    """``nhs`` / ``independent`` from the register's provider names (module docstring).

    >>> ownership_of(pd.Series(["Royal Berkshire NHS Foundation Trust", "SpaMedica Ltd",
    ...                         "NHS Blood and Transplant", "Nuffield Health"])).tolist()
    ['nhs', 'independent', 'nhs', 'independent']
    """
    name = provider_name.astype("string").str.strip()
    nhs = name.str.contains(NHS_NAME, regex=True).fillna(False).astype(bool)
    return pd.Series(["nhs" if v else "independent" for v in nhs], index=provider_name.index,
                     dtype=object)


def provider_group(provider_name: pd.Series, ownership: pd.Series) -> pd.Series:
    """The provider's name without legal-form words; an NHS provider's own name.

    >>> provider_group(pd.Series(["Ramsay Health Care UK Operations Limited",
    ...                           "Leeds Teaching Hospitals NHS Trust"]),
    ...                pd.Series(["independent", "nhs"])).tolist()
    ['Ramsay Health Care', 'Leeds Teaching Hospitals NHS Trust']
    """
    name = provider_name.astype("string").str.strip()
    bare = name.str.replace(_LEGAL, "", regex=True).str.replace(r"\s+", " ", regex=True)
    bare = bare.str.strip(" ,.-")
    out = bare.where(ownership != "nhs", name)
    return out.where(out.fillna("") != "", name).astype(object)


def _unique_list(s: pd.Series) -> pd.Series:
    def one(v):
        items = [x.strip() for x in str(v).split(",") if x.strip()] if isinstance(v, str) else []
        return "; ".join(dict.fromkeys(items)) or None
    return s.map(one).astype(object)


def read(path: str | Path, *, period: str | None = None,
         allow_incomplete: bool = False) -> pd.DataFrame:
    r"""Read a CQC search export into one row per location with ownership and group.

    See the module docstring for the columns, the ownership rule and the checks.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "cqc_search_export_2024-05.csv"
    >>> cols = ",".join(COLUMNS)
    >>> _ = p.write_text(cols + "\n" + "SpaMedica Kendal,1-123,1-99,SpaMedica Ltd,LA9 7RG,"
    ...     "Westmorland,North West,2024-03-01T00:00:00Z,Clinic,Eye care\n")
    >>> read(p)[["location_id", "ownership", "provider_group"]].iloc[0].tolist()
    ['1-123', 'independent', 'SpaMedica']
    """
    path = check_file(path)
    cut = check_not_truncated(path, allow_incomplete=allow_incomplete)
    raw = read_csv_text(path, dtype=str, keep_default_na=False, cut_last=cut)
    raw.columns = [str(c).strip() for c in raw.columns]
    require_columns(raw, list(COLUMNS), path)
    if raw.empty:
        raise SourceFormatError(path, "has no data rows", column=LOCATION_ID,
                                expected="one row per registered location")
    lines = pd.Series(raw.index + 2, index=raw.index)
    out = pd.DataFrame(index=raw.index)
    for col, canon in COLUMNS.items():
        txt = raw[col].astype("string").str.strip()
        out[canon] = txt.mask(txt == "")
    for col in (LOCATION_ID, PROVIDER_ID, "Provider name"):
        blank = out[COLUMNS[col]].isna()
        if blank.any():
            i = blank.idxmax()
            raise SourceFormatError(path, f"blank cell on line {int(lines[i])}", column=col,
                                    expected="a value on every row")
    check_duplicates(out, ["location_id"], path, rows=lines, column=LOCATION_ID,
                     names={"location_id": LOCATION_ID}, what="line")
    dates = pd.to_datetime(out["report_date"], errors="coerce", utc=True)
    bad = dates.isna() & out["report_date"].notna()
    if bad.any():
        i = bad.idxmax()
        raise SourceFormatError(path, f"value {raw.at[i, 'Report publication date']!r} on line "
                                f"{int(lines[i])}", column="Report publication date",
                                expected="a date such as 2024-03-01T00:00:00Z, or blank")
    out["report_date"] = dates.dt.tz_localize(None).astype("datetime64[ns]")
    out["ownership"] = ownership_of(out["provider_name"])
    out["provider_group"] = provider_group(out["provider_name"], out["ownership"])
    out["service_types"] = _unique_list(out["service_types"])
    out["specialisms"] = _unique_list(out["specialisms"])
    m = _MONTH.search(period or path.name)
    out["period"] = pd.Timestamp(f"{m.group(1)}-{m.group(2)}-01") if m else pd.NaT
    out["period"] = out["period"].astype("datetime64[ns]")
    out = out[OUT_COLUMNS].reset_index(drop=True)
    for c in OUT_COLUMNS:
        if out[c].dtype == "string" or str(out[c].dtype) in ("str", "string"):
            out[c] = out[c].astype(object).where(out[c].notna(), None)
    out.attrs["provenance"] = provenance(
        SOURCE, path, PUBLISHER_URL, out["period"].dropna().unique(), rows=len(out),
        locations_by_ownership={k: int(v) for k, v in out["ownership"].value_counts().items()},
        ownership_rule="provider's registered name: NHS Trust / NHS Foundation Trust / NHS FT "
                       "/ a name beginning NHS -> nhs; else independent")
    return out
