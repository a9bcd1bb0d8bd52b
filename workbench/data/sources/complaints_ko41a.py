"""Written complaints to NHS organisations (KO41a): "Data on Written Complaints in the NHS".

The annual publication (NHS England; 2024-25 for April 2024 to March 2025) is a zip of CSV
tables and a metadata workbook. This reader takes the secondary-care (KO41a) tables:

* ``... Secondary Care KO41a - Org Level.csv``: one row per NHS organisation for the year;
* ``... Secondary Care KO41a - Site Level.csv``: one row per organisation x site (the same
  count columns, plus ``Site_Code`` and ``Site_Name``; saved in Windows-1252/latin-1).

The primary-care KO41b members (GP and dental practices, sub-ICB locations) are not read.
Independent-sector hospitals do not make KO41a returns.

:func:`read` returns one row per organisation:

================================  ==========================================================
``provider_code``                 ``Organisation_Code`` (ODS code, upper case)
``provider_name``                 ``Organisation_Name``
``organisation_type``             ``Organisation_Type`` as published (``Acute``, ``Mental
                                  Health``, ``Community Provider Trust``, ``Ambulance``,
                                  ``Integrated Care Board``, ``Others``)
``region_code``, ``region``       ``NHS_England_Region_Code`` / ``_Name``
``ics_code``, ``ics_name``        ``ICS_Code`` / ``ICS_Name``
``financial_year``                ``Year`` as published (``2024-25``)
``period_start``, ``period_end``  the financial year's first and last day
``complaints_brought_forward``    ``Complaints_Total_Brought_Forward`` (unresolved at the start)
``complaints_new``                ``Complaints_Total_New`` (received in the year)
``complaints_resolved``           ``Complaints_Total_Resolved``
``complaints_upheld``             ``Complaints_Number_Upheld`` (of those resolved)
``complaints_partially_upheld``   ``Complaints_Number_Partially_Upheld``
``complaints_not_upheld``         ``Complaints_Number_Not_Upheld``
``complaints_carried_forward``    ``Complaints_Total_Carried_Forward``
``complaints_waiting_times``      ``Subject_Area_Waiting_Times``: new complaints recorded under
                                  the subject "waiting times", upheld or not
``complaints_staffing_numbers``   ``Subject_Area_Staffing_Numbers``: subject "staffing numbers"
``complaints_communications``     ``Subject_Area_Communications``
``complaints_values_behaviours``  ``Subject_Area_Values_And_Behaviours``
``complaints_subjects_total``     ``Subject_Area_Sub_Total``: the subject counts summed
``subjects_recorded``             ``complaints_subjects_total > 0``: the organisation recorded
                                  subjects at all (some record none while reporting new
                                  complaints; their subject zeros say nothing)
``sites``                         number of site rows (missing when no site table was read)
================================  ==========================================================

Subjects are counted per subject recorded, not per complaint: ``complaints_subjects_total``
differs from ``complaints_new`` for most organisations (higher where a complaint is recorded
under several subjects, 0 where none are recorded). A share of complaints about waiting is
``complaints_waiting_times / complaints_subjects_total`` (organisations with
``subjects_recorded``), and the upheld share is ``complaints_upheld /
complaints_resolved``; the upheld outcome is published for all complaints together, not by
subject. The published ``Subject_Area_Total`` is not used (for many organisations it is the
subject counts plus their sub-total, i.e. twice the sub-total).

Checks
------
* the publisher's columns present (a renamed column is an error naming it);
* counts are whole numbers, 0 or more; suppression marks read as missing;
* the financial year is the one the file's name gives (``2024-25``, when the name gives one)
  and has begun;
* one row per organisation (per organisation x site code x site name in the site table; one
  trust publishes several site names under one site code); a second row is an error naming
  both lines;
* within a row: resolved = upheld + partially upheld + not upheld, and brought forward + new
  - resolved = carried forward; a row that breaks either raises
  :class:`~workbench.errors.SourceIncompleteError` naming the organisation and the line;
* where the publication gives both tables (the zip, or the two CSVs side by side with the
  publisher's names), every organisation's totals equal the sum of its sites' for each count
  column above; a mismatch raises :class:`~workbench.errors.SourceIncompleteError` naming the
  organisation, the column and both values, and so does an organisation found in one table
  only. ``allow_incomplete=True`` turns these into warnings.

Period: one financial year; the table is annual and is not spread over months.

Example
-------
>>> from workbench.data.sources import complaints_ko41a
>>> df = complaints_ko41a.read("ko41a_2024_25.zip")  # doctest: +SKIP
>>> df.set_index("provider_code").loc["RJ1", "complaints_new"]  # doctest: +SKIP
1556.0
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pandas as pd

from workbench.data.sources.common import (
    check_duplicates,
    check_file,
    check_not_truncated,
    financial_years,
    incomplete,
    provenance,
    read_csv_text,
    read_zip_csv,
    require_columns,
    to_number,
)
from workbench.errors import SourceFormatError

SOURCE = "complaints_ko41a"
PUBLISHER_URL = ("https://digital.nhs.uk/data-and-information/publications/statistical/"
                 "data-on-written-complaints-in-the-nhs")

IDS = {"Organisation_Code": "provider_code", "Organisation_Name": "provider_name",
       "Organisation_Type": "organisation_type", "NHS_England_Region_Code": "region_code",
       "NHS_England_Region_Name": "region", "ICS_Code": "ics_code", "ICS_Name": "ics_name",
       "Year": "financial_year"}
SITE_IDS = {"Site_Code": "site_code", "Site_Name": "site_name"}
#: output column <- published column (counts)
COUNTS = {
    "complaints_brought_forward": "Complaints_Total_Brought_Forward",
    "complaints_new": "Complaints_Total_New",
    "complaints_resolved": "Complaints_Total_Resolved",
    "complaints_upheld": "Complaints_Number_Upheld",
    "complaints_partially_upheld": "Complaints_Number_Partially_Upheld",
    "complaints_not_upheld": "Complaints_Number_Not_Upheld",
    "complaints_carried_forward": "Complaints_Total_Carried_Forward",
    "complaints_waiting_times": "Subject_Area_Waiting_Times",
    "complaints_staffing_numbers": "Subject_Area_Staffing_Numbers",
    "complaints_communications": "Subject_Area_Communications",
    "complaints_values_behaviours": "Subject_Area_Values_And_Behaviours",
    "complaints_subjects_total": "Subject_Area_Sub_Total",
}
ORG_MEMBER = re.compile(r"KO41a\s*-\s*Org(anisation)?\s*Level.*\.csv$", re.IGNORECASE)
SITE_MEMBER = re.compile(r"KO41a\s*-\s*Site\s*Level.*\.csv$", re.IGNORECASE)
OUT_COLUMNS = (["provider_code", "provider_name", "organisation_type", "region_code", "region",
                "ics_code", "ics_name", "financial_year", "period_start", "period_end"]
               + list(COUNTS) + ["subjects_recorded", "sites"])


# --- the files of the publication ----------------------------------------------------------

def _members(path: Path) -> dict[str, str]:
    """The zip's KO41a organisation and site members by kind (``org``, ``site``)."""
    try:
        with zipfile.ZipFile(path) as z:
            names = [i.filename for i in z.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceFormatError(path, f"not a readable zip archive ({exc})",
                                expected="the publication's zip of CSV tables") from None
    out: dict[str, str] = {}
    for kind, rx in (("org", ORG_MEMBER), ("site", SITE_MEMBER)):
        hits = [n for n in names if rx.search(Path(n).name) and not n.startswith("__MACOSX/")
                and ".." not in re.split(r"[/\\]", n)]
        if len(hits) > 1:
            raise SourceFormatError(path, f"holds {len(hits)} KO41a {kind}-level tables {hits}",
                                    expected="one organisation-level and one site-level table")
        if hits:
            out[kind] = hits[0]
    if "org" not in out:
        raise SourceFormatError(path, f"no 'KO41a - Org Level' CSV among its members {names}",
                                expected="the publication's zip holding '... Secondary Care "
                                         "KO41a - Org Level.csv'")
    return out


def _read_member(path: Path, member: str) -> pd.DataFrame:
    return read_zip_csv(path, member)


def _read_plain(path: Path, allow_incomplete: bool) -> pd.DataFrame:
    cut = check_not_truncated(path, allow_incomplete=allow_incomplete)
    return read_csv_text(path, dtype=str, keep_default_na=False, cut_last=cut)


def _sibling(path: Path, kind: str) -> Path | None:
    """The other table of a pair of plain CSVs with the publisher's names, if present."""
    a, b = ("Org Level", "Site Level") if kind == "site" else ("Site Level", "Org Level")
    if a not in path.name:
        return None
    other = path.with_name(path.name.replace(a, b))
    return other if other.is_file() else None


def _tables(path: Path, allow_incomplete: bool, want_sites: bool
            ) -> tuple[pd.DataFrame | None, str, pd.DataFrame | None, str]:
    """(organisation table, its label, site table, its label); the site table when present."""
    import zipfile as zf

    if zf.is_zipfile(path):
        members = _members(path)
        org = _read_member(path, members["org"])
        site = _read_member(path, members["site"]) if "site" in members else None
        return (org, f"{path}!{members['org']}", site,
                f"{path}!{members.get('site', '')}")
    if path.suffix.lower() == ".zip":
        raise SourceFormatError(path, "not a readable zip archive (truncated or corrupt?)",
                                expected="the publication's zip of CSV tables")
    raw = _read_plain(path, allow_incomplete)
    raw.columns = [str(c).strip() for c in raw.columns]
    if "Site_Code" in raw.columns:
        other = _sibling(path, "org")
        org = _read_plain(other, allow_incomplete) if other else None
        return org, str(other or ""), raw, str(path)
    other = _sibling(path, "site") if want_sites else None
    site = _read_plain(other, allow_incomplete) if other else None
    return raw, str(path), site, str(other or "")


# --- parsing one table ---------------------------------------------------------------------

def _parse(raw: pd.DataFrame, label: str, *, sites: bool, allow_incomplete: bool) -> pd.DataFrame:
    raw.columns = [str(c).strip() for c in raw.columns]
    ids = {**IDS, **(SITE_IDS if sites else {})}
    require_columns(raw, list(ids) + list(COUNTS.values()), label)
    blank = raw.apply(lambda c: c.astype(str).str.strip() == "").all(axis=1)
    raw = raw[~blank]
    if raw.empty:
        raise SourceFormatError(label, "has no data rows", column="Organisation_Code",
                                expected="one row per organisation"
                                         + (" and site" if sites else ""))
    lines = pd.Series(raw.index + 2, index=raw.index)
    out = pd.DataFrame(index=raw.index)
    for col, canon in ids.items():
        txt = raw[col].astype("string").str.strip()
        out[canon] = txt.mask(txt == "")
    code = out["provider_code"]
    if code.isna().any():
        i = code.isna().idxmax()
        raise SourceFormatError(label, f"blank organisation code on line {int(lines[i])}",
                                column="Organisation_Code",
                                expected="an ODS organisation code on every row")
    out["provider_code"] = code.str.upper()
    for canon, col in COUNTS.items():
        v = to_number(raw[col], col, label)
        bad = v.notna() & ((v < 0) | (v % 1 != 0))
        if bad.any():
            i = bad.idxmax()
            raise SourceFormatError(label, f"value {raw.at[i, col]!r} on line {int(lines[i])} "
                                    f"(organisation {out.at[i, 'provider_code']!r})", column=col,
                                    expected="a count of complaints: a whole number, 0 or more")
        out[canon] = v
    key = ["provider_code"] + (["site_code", "site_name"] if sites else [])
    names = {"provider_code": "Organisation_Code", "site_code": "Site_Code",
             "site_name": "Site_Name"}
    check_duplicates(out.fillna({"site_code": "", "site_name": ""}) if sites else out, key,
                     label, rows=lines, column="Organisation_Code", names=names, what="line")
    _check_row_sums(out, lines, label, allow_incomplete)
    out.attrs["lines"] = lines
    return out


def _check_row_sums(out: pd.DataFrame, lines: pd.Series, label: str,
                    allow_incomplete: bool) -> None:
    parts = out[["complaints_upheld", "complaints_partially_upheld",
                 "complaints_not_upheld"]].sum(axis=1, min_count=3)
    rules = [
        ("Complaints_Total_Resolved", out["complaints_resolved"], parts,
         "resolved = upheld + partially upheld + not upheld"),
        ("Complaints_Total_Carried_Forward", out["complaints_carried_forward"],
         out["complaints_brought_forward"] + out["complaints_new"] - out["complaints_resolved"],
         "carried forward = brought forward + new - resolved"),
    ]
    for col, got, want, rule in rules:
        off = got.notna() & want.notna() & (got != want)
        if off.any():
            i = off.idxmax()
            incomplete(label, f"organisation {out.at[i, 'provider_code']!r} on line "
                       f"{int(lines[i])} gives {got[i]:g} where {rule} gives {want[i]:g}"
                       + (f" ({int(off.sum())} rows break this rule)" if off.sum() > 1 else ""),
                       allow_incomplete=allow_incomplete, column=col,
                       expected=f"{rule} on every row", stacklevel=5)


def _check_sites(org: pd.DataFrame, site: pd.DataFrame, label: str,
                 allow_incomplete: bool) -> dict:
    """Each organisation's totals equal the sum of its sites' (every count column)."""
    cols = list(COUNTS)
    sums = site.groupby("provider_code")[cols].sum(min_count=1)
    o = org.set_index("provider_code")[cols]
    only_org = sorted(set(o.index) - set(sums.index))
    only_site = sorted(set(sums.index) - set(o.index))
    for codes, where in ((only_org, "the organisation table but has no site rows"),
                         (only_site, "the site table but not in the organisation table")):
        if codes:
            incomplete(label, f"organisation {codes[0]!r} is in {where}"
                       + (f" ({len(codes)} organisations: {codes[:10]})" if len(codes) > 1 else ""),
                       allow_incomplete=allow_incomplete, column="Organisation_Code",
                       expected="the same organisations in the organisation and site tables",
                       stacklevel=4)
    both = o.index.intersection(sums.index)
    mismatches = []
    for c in cols:
        a, b = o.loc[both, c], sums.loc[both, c]
        off = (a.notna() & b.notna() & (a != b)) | (a.isna() != b.isna())
        for code in off[off].index:
            mismatches.append((code, COUNTS[c], a[code], b[code]))
    if mismatches:
        code, col, a, b = mismatches[0]
        orgs = sorted({m[0] for m in mismatches})
        incomplete(label, f"organisation {code!r}: {col} is {a:g} in the organisation table but "
                   f"its sites sum to {b:g}"
                   + (f" ({len(mismatches)} mismatches in {len(orgs)} organisations: "
                      f"{orgs[:10]})" if len(mismatches) > 1 else ""),
                   allow_incomplete=allow_incomplete, column=col,
                   expected="each organisation's totals equal to the sum of its sites",
                   stacklevel=4)
    return {"organisations_checked": len(both),
            "columns_checked": [COUNTS[c] for c in cols],
            "mismatches": len(mismatches), "organisations_without_sites": only_org,
            "site_organisations_not_in_org_table": only_site}


# --- public --------------------------------------------------------------------------------

def read(path: str | Path, *, allow_incomplete: bool = False) -> pd.DataFrame:
    r"""One row per organisation with its written complaints for the year (module docstring).

    ``path`` is the publication's zip, or its ``KO41a - Org Level`` CSV (the ``Site Level``
    CSV beside it, under the publisher's name, is then read for the site check).

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> head = list(IDS) + list(COUNTS.values())
    >>> row = ["RJ1", "Guy's", "Acute", "Y56", "London", "QKK", "SE London", "2024-25",
    ...        "10", "100", "90", "20", "30", "40", "20", "5", "2", "9", "8", "110"]
    >>> p = d / "KO41a - Org Level.csv"; _ = p.write_text(",".join(head) + "\n" + ",".join(row) + "\n")
    >>> r = read(p).iloc[0]
    >>> r["provider_code"], int(r["complaints_new"]), int(r["complaints_waiting_times"])
    ('RJ1', 100, 5)
    """
    path = check_file(path)
    org_raw, org_label, site_raw, site_label = _tables(path, allow_incomplete, want_sites=True)
    if org_raw is None:
        raise SourceFormatError(path, "is the site-level table; read it with read_sites(), or "
                                "give the organisation-level table", column="Site_Code",
                                expected="the 'KO41a - Org Level' CSV or the publication's zip")
    org = _parse(org_raw, org_label, sites=False, allow_incomplete=allow_incomplete)
    lines = org.attrs.pop("lines")
    org["period_start"], org["period_end"] = financial_years(org["financial_year"], org_label,
                                                              lines)
    check = None
    if site_raw is not None:
        site = _parse(site_raw, site_label, sites=True, allow_incomplete=allow_incomplete)
        site.attrs.pop("lines", None)
        check = _check_sites(org, site, f"{org_label} and {Path(site_label).name}",
                             allow_incomplete)
        n_sites = site.groupby("provider_code").size()
        org["sites"] = org["provider_code"].map(n_sites).astype("float64")
    else:
        org["sites"] = float("nan")
    org["subjects_recorded"] = org["complaints_subjects_total"] > 0
    out = org[OUT_COLUMNS].sort_values("provider_code").reset_index(drop=True)
    for c in ("provider_name", "organisation_type", "region_code", "region", "ics_code",
              "ics_name", "financial_year"):
        out[c] = out[c].astype(object).where(out[c].notna(), None)
    out["provider_code"] = out["provider_code"].astype(str)
    out.attrs["provenance"] = provenance(
        SOURCE, path, PUBLISHER_URL, (), rows=len(out),
        financial_years=sorted(out["financial_year"].dropna().unique().tolist()),
        tables={"organisations": org_label, "sites": site_label or None},
        organisations_by_type={str(k): int(v) for k, v in
                               out["organisation_type"].value_counts().items()},
        without_subjects=int((~out["subjects_recorded"] & (out["complaints_new"] > 0)).sum()),
        site_check=check or "no site-level table: organisation totals not checked against sites",
        period_rule="annual: one financial year per row, not spread over months")
    return out


def read_sites(path: str | Path, *, allow_incomplete: bool = False) -> pd.DataFrame:
    """One row per organisation x site (``Site Level`` table): identity columns, ``site_code``,
    ``site_name`` and the counts of :func:`read`.

    ``path`` is the zip or the ``Site Level`` CSV. When the organisation table is there too
    (the zip, or the ``Org Level`` CSV beside it) the site sums are checked against it.
    """
    path = check_file(path)
    org_raw, org_label, site_raw, site_label = _tables(path, allow_incomplete, want_sites=True)
    if site_raw is None:
        raise SourceFormatError(path, "holds no site-level table", column="Site_Code",
                                expected="the 'KO41a - Site Level' CSV or the publication's zip")
    site = _parse(site_raw, site_label, sites=True, allow_incomplete=allow_incomplete)
    lines = site.attrs.pop("lines")
    site["period_start"], site["period_end"] = financial_years(site["financial_year"],
                                                                site_label, lines)
    check = None
    if org_raw is not None:
        org = _parse(org_raw, org_label, sites=False, allow_incomplete=allow_incomplete)
        org.attrs.pop("lines", None)
        check = _check_sites(org, site, f"{Path(org_label).name} and {site_label}",
                             allow_incomplete)
    cols = (["provider_code", "provider_name", "site_code", "site_name", "organisation_type",
             "region_code", "region", "ics_code", "ics_name", "financial_year", "period_start",
             "period_end"] + list(COUNTS))
    out = site[cols].sort_values(["provider_code", "site_code"], kind="stable")
    out = out.reset_index(drop=True)
    for c in cols[1:10]:
        out[c] = out[c].astype(object).where(out[c].notna(), None)
    out.attrs["provenance"] = provenance(
        SOURCE, path, PUBLISHER_URL, (), rows=len(out), table=site_label,
        organisations=int(out["provider_code"].nunique()),
        site_check=check or "no organisation-level table beside it: not checked")
    return out
