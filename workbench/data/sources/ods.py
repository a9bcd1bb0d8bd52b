"""ODS (Organisation Data Service) trust lists: names, regions and the NHS / independent sector.

The ODS publishes headerless CSVs. Two are read here:

* ``etr.csv`` -- the current list of NHS trusts (one row per trust, 3-character codes;
  trusts opened since 2024 may carry 5-character codes such as ``G6V2S``);
* ``etrust.csv`` (``etrust_2018.csv.gz`` in the staging folder) -- NHS trusts *and their
  sites* (``R0A02`` -> trust ``R0A``), used for closed or merged trusts and site codes.

Both share the ODS standard column order: code, name, national grouping, high-level health
geography, address lines 1-5, postcode, open date, close date, ... (27 fields).

Closed organisations stay on the lists with their ``close_date``; a closed trust is still an
NHS trust (:mod:`workbench.data.registers` records the date in its evidence). These files
have no successor field: a closed code is not remapped to its successor here.
:func:`codes_by_name` finds an organisation by its exact listed name (for files that name
trusts rather than code them).

The sector rule (:func:`sector_of`)
-----------------------------------
1. A code in the NHS trust list is ``nhs``; so is a site code (5 characters) whose first three
   characters are a listed trust, and a code listed in the trusts-and-sites file.
2. A code shaped like an NHS trust code that is not in the list given (``R`` or ``T`` followed
   by two letters/digits, e.g. a trust closed before the list was drawn) is ``nhs``.
3. A GP practice code (one letter, five digits, e.g. ``C82038``) is ``nhs`` by default: GP
   practices are independent contractors, but they hold NHS GMS/PMS/APMS contracts and NHS
   England counts them as NHS primary care, not as independent-sector providers. Pass
   ``gp_sector="independent"`` to treat them the other way.
4. A commissioner code (CCG ``00J``/``15N``-style: two digits and a letter; ICB/region ``Q``
   + two characters) is ``nhs``; these appear in NHS workforce statistics.
5. Everything else is ``independent``: independent-sector healthcare providers (``N`` codes
   such as ``NT2``, ``NT215``, ``NVC08``, ``NQT5F``), non-NHS organisations (``A`` codes such
   as ``AJN``) and care-home location codes (``V`` codes such as ``VM44K``).

Example
-------
>>> import pandas as pd
>>> trusts = pd.DataFrame({"trust_code": ["RJ1"]})
>>> sector_of(["RJ1", "RJ101", "C82038", "NT215", "AJN", "00J"], trusts).tolist()
['nhs', 'nhs', 'nhs', 'independent', 'independent', 'nhs']
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from workbench.data.sources.common import (
    check_duplicates,
    check_file,
    check_not_truncated,
    provenance,
    read_csv_text,
)
from workbench.errors import ArgumentError, SourceFormatError, SourceIncompleteError

PUBLISHER_URL = "https://digital.nhs.uk/services/organisation-data-service/data-search-and-export/csv-downloads/other-nhs-organisations"

#: The ODS standard headerless columns used here (1-based field numbers 1-4, 10-12).
ODS_FIELDS = {0: "code", 1: "name", 2: "national_grouping", 3: "health_geography",
              9: "postcode", 10: "open_date", 11: "close_date"}

#: NHS England region of an ODS national grouping code (2020 regions; the older
#: Y54/Y55/Y57 groupings span several of today's regions and map to no region).
NATIONAL_GROUPING_REGION = {
    "Y56": "London",
    "Y58": "South West",
    "Y59": "South East",
    "Y60": "Midlands",
    "Y61": "East of England",
    "Y62": "North West",
    "Y63": "North East and Yorkshire",
}

GP_PRACTICE = re.compile(r"^[A-Z]\d{5}$")
TRUST_SHAPED = re.compile(r"^[RT][A-Z0-9]{2}$")
COMMISSIONER = re.compile(r"^(\d{2}[A-Z]|Q[A-Z0-9]{2})$")
CODE = re.compile(r"^[A-Z0-9]{3,6}$")


def read(path: str | Path, *, allow_incomplete: bool = False) -> pd.DataFrame:
    r"""Read a headerless ODS trust file (``etr.csv`` or ``etrust.csv[.gz]``).

    Returns one row per organisation with ``code, name, trust_code, is_site,
    national_grouping, region, postcode, open_date, close_date``; ``trust_code`` is the
    code itself for a trust and its first three characters for a site (5-character codes
    whose first three characters are a trust in the same file).

    A code listed twice is an error naming both lines. The lists have no totals row, so
    a file cut at a row boundary cannot be told from a shorter list; a last row cut
    mid-row (or a gzip stream cut short) raises
    :class:`~workbench.errors.SourceIncompleteError`; with ``allow_incomplete=True`` a cut
    last row of a plain CSV is warned about and left out.

    >>> from pathlib import Path; import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "etr.csv"
    >>> _ = p.write_text('"RJ1","GUY\'S AND ST THOMAS\' NHS FOUNDATION TRUST","Y56","QKK",'
    ...                  '"","","","","","SE1 9RT","19930401","",""\n')
    >>> read(p)[["code", "region"]].iloc[0].tolist()
    ['RJ1', 'London']
    """
    path = check_file(path)
    compression = "gzip" if path.name.endswith(".gz") else None
    cut = False
    if compression is None:
        cut = check_not_truncated(path, allow_incomplete=allow_incomplete)
    try:
        raw = read_csv_text(path, header=None, dtype=str, keep_default_na=False,
                            compression=compression, cut_last=cut)
    except EOFError as exc:  # a truncated gzip stream
        raise SourceIncompleteError(path, f"the gzip stream ends early ({exc})",
                                    expected="a complete download (optionally gzip)") from None
    except OSError as exc:
        raise SourceFormatError(path, f"cannot be read ({exc})",
                                expected="a headerless ODS CSV (optionally gzip)") from None
    if raw.shape[1] < 12:
        raise SourceFormatError(
            path, f"has {raw.shape[1]} column(s)", column="field 12 (close date)",
            expected="the headerless ODS layout of at least 12 fields "
                     "(code, name, national grouping, ..., postcode, open date, close date)")
    df = raw.iloc[:, list(ODS_FIELDS)].copy()
    df.columns = list(ODS_FIELDS.values())
    for c in df.columns:
        df[c] = df[c].astype("string").str.strip()
    if df["code"].str.fullmatch(r"(?i)organisation code|code").iloc[0]:
        raise SourceFormatError(path, "has a header row", column="field 1",
                                expected="the headerless ODS layout (first row is data)")
    bad = ~df["code"].str.fullmatch(CODE.pattern)
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise SourceFormatError(path, f"value {df['code'].iloc[i]!r} in row {i + 1}",
                                column="field 1 (organisation code)",
                                expected="ODS codes of 3-6 capital letters/digits")
    for c in ("open_date", "close_date"):
        txt = df[c].mask(df[c] == "")
        parsed = pd.to_datetime(txt, format="%Y%m%d", errors="coerce")
        badd = parsed.isna() & txt.notna()
        if badd.any():
            i = int(badd.to_numpy().nonzero()[0][0])
            raise SourceFormatError(path, f"value {txt.iloc[i]!r} in row {i + 1}",
                                    column=f"field {11 if c == 'open_date' else 12} ({c})",
                                    expected="a date YYYYMMDD or blank")
        df[c] = parsed
    check_duplicates(df, ["code"], path, rows=df.index + 1, column="field 1 (organisation code)",
                     names={"code": "field 1 (organisation code)"})
    codes = set(df["code"])
    three = df["code"].str.len() == 3
    df["is_site"] = (df["code"].str.len() == 5) & df["code"].str[:3].isin(
        set(df.loc[three, "code"]))
    df["trust_code"] = df["code"].where(~df["is_site"], df["code"].str[:3])
    df["region"] = df["national_grouping"].map(NATIONAL_GROUPING_REGION).astype("string")
    df = df[["code", "name", "trust_code", "is_site", "national_grouping", "region",
             "postcode", "open_date", "close_date"]].reset_index(drop=True)
    df.attrs["provenance"] = provenance("ods", path, PUBLISHER_URL, n_codes=len(codes),
                                        n_trusts=int((~df["is_site"]).sum()))
    return df


def trusts_table(*tables: pd.DataFrame) -> pd.DataFrame:
    """One row per NHS trust (not site) from one or more :func:`read` tables, first wins.

    Columns ``trust_code, name, region, open_date, close_date``. Pass the current list
    first (``etr``) and older lists after it, so current names and regions win.

    >>> import pandas as pd
    >>> a = pd.DataFrame({"code": ["RJ1"], "name": ["NEW"], "trust_code": ["RJ1"],
    ...     "is_site": [False], "region": ["London"], "open_date": [pd.NaT], "close_date": [pd.NaT]})
    >>> trusts_table(a)["name"].tolist()
    ['NEW']
    """
    parts = [t.loc[~t["is_site"], ["code", "name", "region", "open_date", "close_date"]]
             for t in tables if len(t)]
    if not parts:
        return pd.DataFrame(columns=["trust_code", "name", "region", "open_date", "close_date"])
    out = pd.concat(parts, ignore_index=True).rename(columns={"code": "trust_code"})
    # keep the first non-missing region per trust (older lists use groupings without one)
    region = out.dropna(subset=["region"]).drop_duplicates("trust_code").set_index(
        "trust_code")["region"]
    out = out.drop_duplicates("trust_code").reset_index(drop=True)
    out["region"] = out["trust_code"].map(region).astype("string")
    return out


def normalise_name(name) -> str:
    """An organisation name as compared across lists: upper case, ``&`` as ``AND``,
    apostrophes dropped, other punctuation as a space, single spaces.

    >>> normalise_name("Guy's and St Thomas'  NHS Foundation Trust")
    'GUYS AND ST THOMAS NHS FOUNDATION TRUST'
    """
    if name is None or name is pd.NA or (isinstance(name, float) and pd.isna(name)):
        return ""
    t = str(name).upper().replace("&", " AND ")
    t = re.sub(r"['\u2019`]", "", t)
    t = re.sub(r"[^A-Z0-9]+", " ", t)
    return " ".join(t.split())


def codes_by_name(names: Iterable[str], *tables: pd.DataFrame) -> pd.DataFrame:
    """The ODS organisation whose listed name is each of ``names`` (compared with
    :func:`normalise_name`), from one or more :func:`read` tables, first table first.

    Returns one row per name: ``name``, ``code`` (missing unless exactly one organisation
    of the lists has that name; sites are not matched), ``candidates`` (every code with the
    name, ``;``-separated), ``listed_name``, ``list`` (the file of the first table that
    lists it), ``close_date`` and ``reason`` (why there is no code: no organisation of that
    name, or several). A name is never matched in part or by likeness.

    >>> import pandas as pd
    >>> t = pd.DataFrame({"code": ["RX6"], "is_site": [False], "close_date": [pd.NaT],
    ...     "name": ["NORTH EAST AMBULANCE SERVICE NHS FOUNDATION TRUST"]})
    >>> codes_by_name(["North East Ambulance Service NHS Foundation Trust", "NEAS"],
    ...               t)["code"].tolist()
    ['RX6', <NA>]
    """
    rows = []
    parts = []
    for i, t in enumerate(tables):
        if t is None or len(t) == 0:
            continue
        org = t[~t["is_site"].astype(bool)] if "is_site" in t else t
        file = (t.attrs.get("provenance") or {}).get("file", f"table {i + 1}")
        parts.append(pd.DataFrame({"key": [normalise_name(n) for n in org["name"]],
                                   "code": org["code"].astype(str).to_numpy(),
                                   "listed_name": org["name"].astype(str).to_numpy(),
                                   "list": file,
                                   "close_date": org.get("close_date", pd.NaT)}))
    lookup = (pd.concat(parts, ignore_index=True) if parts else
              pd.DataFrame(columns=["key", "code", "listed_name", "list", "close_date"]))
    first = lookup.drop_duplicates("code")
    for name in names:
        key = normalise_name(name)
        hits = first[first["key"] == key] if key else first.iloc[0:0]
        rec = {"name": name, "code": pd.NA, "candidates": ";".join(hits["code"]),
               "listed_name": pd.NA, "list": pd.NA, "close_date": pd.NaT, "reason": None}
        if len(hits) == 1:
            h = hits.iloc[0]
            rec.update(code=h["code"], listed_name=h["listed_name"], list=h["list"],
                       close_date=h["close_date"])
        elif len(hits) > 1:
            rec["reason"] = f"{len(hits)} organisations of the ODS lists have this name"
        else:
            rec["reason"] = "no organisation of the ODS lists has this name"
        rows.append(rec)
    out = pd.DataFrame(rows, columns=["name", "code", "candidates", "listed_name", "list",
                                      "close_date", "reason"])
    out["code"] = out["code"].astype("string")
    return out


def sector_of(codes: Iterable[str], trusts: pd.DataFrame | Iterable[str] | None = None,
              gp_sector: str = "nhs") -> pd.Series:
    """``nhs`` or ``independent`` for each ODS code (rule in the module docstring).

    ``trusts`` is a table with a ``trust_code`` column (from :func:`trusts_table` or
    :func:`read`; a ``code`` column of a :func:`read` table is used too), or an iterable of
    trust codes, or ``None`` to use the code-shape rules alone.

    >>> sector_of(["RXL", "NVC08", "A81001"], ["RXL"], gp_sector="independent").tolist()
    ['nhs', 'independent', 'independent']
    """
    if gp_sector not in ("nhs", "independent"):
        raise ArgumentError("sector_of", "gp_sector", gp_sector, expected="'nhs' or 'independent'")
    listed: set[str] = set()
    if isinstance(trusts, pd.DataFrame):
        for col in ("trust_code", "code"):
            if col in trusts.columns:
                listed |= set(trusts[col].dropna().astype(str))
    elif trusts is not None:
        listed = {str(t) for t in trusts}
    s = pd.Series(list(codes), dtype="string").str.strip().str.upper()

    def one(code) -> str:
        if code is pd.NA or code is None:
            return "independent"
        if code in listed or (len(code) == 5 and code[:3] in listed):
            return "nhs"
        if TRUST_SHAPED.match(code) or (len(code) == 5 and TRUST_SHAPED.match(code[:3])
                                        and code[3:].isdigit()):
            return "nhs"
        if GP_PRACTICE.match(code):
            return gp_sector
        if COMMISSIONER.match(code):
            return "nhs"
        return "independent"

    return pd.Series([one(c) for c in s], index=s.index, dtype="string", name="sector")


def is_gp_practice(codes: Iterable[str]) -> pd.Series:
    """True where a code has the GP-practice shape (one letter, five digits).

    >>> is_gp_practice(["C82038", "RJ1"]).tolist()
    [True, False]
    """
    s = pd.Series(list(codes), dtype="string").str.strip().str.upper()
    return s.str.fullmatch(GP_PRACTICE.pattern).fillna(False).astype(bool)
