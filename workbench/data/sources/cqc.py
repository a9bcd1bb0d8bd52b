"""CQC ratings: public-API location records and the national "latest ratings" file.

Two publications are read into the same tidy table, one row per rated location (or provider):

* :func:`read_api` -- CSV dumps of CQC public API v1 ``/locations/{id}`` records (columns
  ``locationId, providerId, organisationType, type, name, ..., odsCode, currentRatings, ...``).
  ``currentRatings`` is a Python-dict string; its ``overall`` entry holds the overall rating
  and ``keyQuestionRatings`` the five key questions (Safe, Effective, Caring, Responsive,
  Well-led). Per-core-service ratings are not read.
* :func:`read_latest_ratings` -- the "care directory with ratings" workbook
  (``DD_Month_YYYY_Latest_ratings.ods``; also an .xlsx/.csv saved from it), sheets
  ``Locations`` and ``Providers``, long format (one row per location x service/population
  group x domain). The header row is found by its ``Service / Population Group`` cell; the
  domain column is ``Domain`` (current) or ``Key Question`` (older files). The rating of a
  location or provider is its row with ``Service / Population Group`` = ``Overall``.

Output columns
--------------
``provider_code`` (ODS code where the record gives one, else missing), ``location_id``,
``cqc_provider_id``, ``provider_name``, ``period`` (the snapshot month), ``sector``,
``ownership``, ``setting``, ``region``, ``registered``, ``cqc_report_date`` and the ratings
``cqc_overall, cqc_caring, cqc_responsive, cqc_safe, cqc_effective, cqc_well_led`` as ordered
categoricals ``Inadequate < Requires improvement < Good < Outstanding``. "No published
rating", "Inspected but not rated", "Insufficient evidence to rate", "Not applicable", "Not
rated" and "No action" are missing, as are the suppression marks ``-``, ``*``, ``..``,
``x``, ``c``, ``:`` and blank; any other text is an error.

Sector, ownership and setting
-----------------------------
* ``sector``: CQC type ``NHS Healthcare Organisation`` -> ``nhs``; ``Primary Medical
  Services`` (GP practices) -> ``nhs`` (the ODS rule for GP practices, see
  :mod:`workbench.data.sources.ods`); every other type (``Independent Healthcare Org``,
  ``Social Care Org``, ``Independent Ambulance``, ``Primary Dental Care``) -> ``independent``.
  CQC types do not separate council-run care homes from independent ones, so no record is
  given ``local_authority``.
* ``ownership``: ``nhs`` for NHS sector; otherwise missing (the API record and the ratings
  file carry no for-profit / not-for-profit flag; the directory's ``Provider Ownership Type``
  is Organisation / Individual / Partnership, which is not the same thing).
* ``setting``: a care home (``careHome`` / ``Care Home?`` = ``Y``) -> ``care_home``;
  otherwise from the primary inspection category: ``Acute ...`` -> ``acute``, ``Mental
  health ...`` -> ``mental_health``, ``Community health ...`` -> ``community``, ``GP ...`` /
  ``Primary medical ...`` -> ``gp``, ``Residential social care`` -> ``care_home``; else ``other``.

Snapshot month (``period``): from the file name (``2021-04`` or ``01_September_2026``) or
the ``period=`` argument.

Checks: a location listed twice in the API dump (same ``locationId``), or a latest-ratings
row repeated (same location or provider, service/population group, domain and
publication date) is an error naming the rows. Neither layout has a totals row, so a file
cut at a row boundary cannot be told from a shorter one; a CSV whose last row is cut
mid-row raises :class:`~workbench.errors.SourceIncompleteError`, or with
``allow_incomplete=True`` warns and leaves the row out.

Example
-------
>>> from workbench.data.sources import cqc
>>> df = cqc.read("cqc_care_homes_southwest_2021-04.csv")  # doctest: +SKIP
>>> df["cqc_overall"].cat.categories.tolist()  # doctest: +SKIP
['Inadequate', 'Requires improvement', 'Good', 'Outstanding']
"""

from __future__ import annotations

import ast
import re
import zipfile
from pathlib import Path

import pandas as pd

from workbench.data.measures import CQC_LEVELS
from workbench.data.sources.common import (
    check_archive,
    check_duplicates,
    check_file,
    check_formulas_cached,
    check_not_truncated,
    excel_engine,
    provenance,
    read_csv_text,
    require_columns,
)
from workbench.errors import ArgumentError, SourceFormatError

API_URL = "https://api.service.cqc.org.uk/public/v1/locations"
RATINGS_URL = "https://www.cqc.org.uk/about-us/transparency/using-cqc-data"

KEY_QUESTIONS = {"Safe": "cqc_safe", "Effective": "cqc_effective", "Caring": "cqc_caring",
                 "Responsive": "cqc_responsive", "Well-led": "cqc_well_led"}
RATING_COLUMNS = ["cqc_overall", "cqc_caring", "cqc_responsive", "cqc_safe", "cqc_effective",
                  "cqc_well_led"]
OUT_COLUMNS = ["provider_code", "location_id", "cqc_provider_id", "provider_name", "period",
               "sector", "ownership", "setting", "region", "registered", "cqc_report_date",
               *RATING_COLUMNS]
NOT_RATED = {"", "no published rating", "inspected but not rated",
             "insufficient evidence to rate", "not applicable", "not rated", "no action",
             "nan", "none", "-", "*", "..", "x", "c", ":", "n/a"}
_LEVELS = {lv.lower(): lv for lv in CQC_LEVELS}
NHS_TYPES = {"nhs healthcare organisation", "primary medical services"}
ODS_CODE = re.compile(r"^[A-Z0-9]{3,6}$")
API_REQUIRED = ["locationId", "providerId", "type", "name", "currentRatings"]
MONTHS = "January February March April May June July August September October November December"


def rating(value, path: Path, column: str, row, sheet: str | None = None):
    """One published rating as a :data:`CQC_LEVELS` label, or ``None`` when not rated.

    >>> rating("Requires Improvement", "f.csv", "Latest Rating", 0)
    'Requires improvement'
    >>> rating("No published rating", "f.csv", "Latest Rating", 0) is None
    True
    """
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return None
    key = str(value).strip().lower()
    if key in _LEVELS:
        return _LEVELS[key]
    if key in NOT_RATED:
        return None
    raise SourceFormatError(path, f"unknown rating {value!r} (row {row})", column=column,
                            sheet=sheet, expected=f"one of {list(CQC_LEVELS)} or a not-rated "
                                                  f"label such as 'No published rating'")


def _categorical(values) -> pd.Categorical:
    return pd.Categorical(values, categories=list(CQC_LEVELS), ordered=True)


def sector_from_type(cqc_type: pd.Series) -> pd.Series:
    """``nhs`` / ``independent`` from a CQC type (``type``, ``Location Type``, ...).

    >>> sector_from_type(pd.Series(["NHS Healthcare Organisation", "Social Care Org"])).tolist()
    ['nhs', 'independent']
    """
    t = cqc_type.astype("string").str.strip().str.lower()
    out = pd.Series("independent", index=cqc_type.index, dtype="string")
    out[t.isin(NHS_TYPES).fillna(False).astype(bool)] = "nhs"
    out[t.isna() | (t == "")] = pd.NA
    return out


def setting_from(care_home: pd.Series, category: pd.Series) -> pd.Series:
    """Panel setting from a care-home flag and a primary inspection category.

    >>> setting_from(pd.Series(["N", "Y"]), pd.Series(["Acute hospital - NHS non-specialist",
    ...                                                 "Residential social care"])).tolist()
    ['acute', 'care_home']
    """
    cat = category.astype("string").str.strip().str.lower().fillna("")
    rules = [("acute", "acute"), ("mental health", "mental_health"),
             ("community health", "community"), ("gp", "gp"), ("primary medical", "gp"),
             ("residential social care", "care_home")]
    out = pd.Series("other", index=category.index, dtype="string")
    for prefix, setting in reversed(rules):
        out[cat.str.startswith(prefix)] = setting
    is_home = care_home.astype("string").str.strip().str.upper().eq("Y").fillna(False)
    out[is_home.astype(bool)] = "care_home"
    return out


def period_from_name(path: Path, period=None) -> pd.Timestamp:
    """Snapshot month from ``period`` or from the file name (``2021-04``, ``01_September_2026``).

    >>> period_from_name(Path("cqc_hospitals_southwest_2021-04.csv")).strftime("%Y-%m")
    '2021-04'
    >>> period_from_name(Path("01_September_2026_Latest_ratings.ods")).strftime("%Y-%m")
    '2026-09'
    """
    if period is not None:
        try:
            return pd.Timestamp(str(period)).to_period("M").to_timestamp()
        except ValueError:
            raise SourceFormatError(path, f"period={period!r} is not a month",
                                    expected="'YYYY-MM'") from None
    name = path.name
    m = re.search(r"(20\d\d)[-_](0[1-9]|1[0-2])(?!\d)", name)
    if m:
        return pd.Timestamp(int(m.group(1)), int(m.group(2)), 1)
    m = re.search(rf"({'|'.join(MONTHS.split())})[_ -]?(20\d\d)", name, flags=re.IGNORECASE)
    if m:
        month = MONTHS.lower().split().index(m.group(1).lower()) + 1
        return pd.Timestamp(int(m.group(2)), month, 1)
    raise SourceFormatError(path, "the snapshot month is not in the file name",
                            expected="a name with YYYY-MM or DD_Month_YYYY, or period='YYYY-MM'")


def _literal(text, path: Path, column: str, row):
    if text is None or (isinstance(text, float) and pd.isna(text)) or text is pd.NA:
        return None
    s = str(text).strip()
    if not s:
        return None
    try:
        value = ast.literal_eval(s)
    except (ValueError, SyntaxError):
        raise SourceFormatError(path, f"row {row} is not a readable record ({s[:60]!r}...)",
                                column=column,
                                expected="the API's JSON/Python-dict text") from None
    return value


def _primary_category(value, path: Path, row) -> str | None:
    cats = _literal(value, path, "inspectionCategories", row) or []
    if isinstance(cats, dict):
        cats = [cats]
    primary = [c for c in cats if isinstance(c, dict) and str(c.get("primary")).lower() == "true"]
    pick = primary or [c for c in cats if isinstance(c, dict)]
    return pick[0].get("name") if pick else None


def _finish(out: pd.DataFrame, path: Path, source_url: str, **extra) -> pd.DataFrame:
    for c in RATING_COLUMNS:
        out[c] = _categorical(out[c])
    out["ownership"] = out["sector"].where(out["sector"] == "nhs").astype("string")
    out = out[OUT_COLUMNS].reset_index(drop=True)
    counts = {c: {k: int(v) for k, v in out[c].value_counts().items()} for c in
              ("cqc_overall",)}
    out.attrs["provenance"] = provenance(
        "cqc", path, source_url, out["period"], n_locations=len(out),
        n_with_ods_code=int(out["provider_code"].notna().sum()),
        overall_ratings=counts["cqc_overall"],
        sectors={k: int(v) for k, v in out["sector"].value_counts().items()}, **extra)
    return out


def read_api(path: str | Path, period=None, *, allow_incomplete: bool = False) -> pd.DataFrame:
    """Flatten CQC public-API location records (CSV) into one row per location.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "cqc_homes_2021-04.csv"
    >>> r = ("{'overall': {'rating': 'Good', 'reportDate': '2019-01-02', 'keyQuestionRatings': "
    ...      "[{'name': 'Caring', 'rating': 'Outstanding'}]}}")
    >>> pd.DataFrame({"locationId": ["1-1"], "providerId": ["1-2"], "type": ["Social Care Org"],
    ...     "name": ["Home"], "odsCode": ["VM44K"], "careHome": ["Y"],
    ...     "currentRatings": [r]}).to_csv(p, index=False)
    >>> df = read_api(p)
    >>> df.loc[0, ["cqc_overall", "cqc_caring", "setting"]].tolist()
    ['Good', 'Outstanding', 'care_home']
    """
    path = check_file(path)
    cut = check_not_truncated(path, allow_incomplete=allow_incomplete)
    raw = read_csv_text(path, dtype=str, keep_default_na=False, cut_last=cut)
    raw.columns = [str(c).strip() for c in raw.columns]
    require_columns(raw, API_REQUIRED, path)
    if raw.empty:
        raise SourceFormatError(path, "has no location rows", expected="one row per location")
    ids = pd.DataFrame({"locationId": raw["locationId"].astype("string").str.strip()})
    check_duplicates(ids, ["locationId"], path, rows=raw.index + 2, what="row")
    snap = period_from_name(path, period)
    recs = []
    for i, row in raw.iterrows():
        cur = _literal(row["currentRatings"], path, "currentRatings", i) or {}
        if not isinstance(cur, dict):
            raise SourceFormatError(path, f"row {i} holds {type(cur).__name__}",
                                    column="currentRatings", expected="a dict of ratings")
        overall = cur.get("overall") or {}
        rec = {"cqc_overall": rating(overall.get("rating"), path, "currentRatings.overall", i),
               "cqc_report_date": overall.get("reportDate") or cur.get("reportDate")}
        for c in KEY_QUESTIONS.values():
            rec[c] = None
        for kq in overall.get("keyQuestionRatings") or []:
            col = KEY_QUESTIONS.get(str(kq.get("name", "")).strip())
            if col:
                rec[col] = rating(kq.get("rating"), path, f"currentRatings.{kq.get('name')}", i)
        rec["category"] = (_primary_category(row["inspectionCategories"], path, i)
                           if "inspectionCategories" in raw.columns else None)
        recs.append(rec)
    flat = pd.DataFrame(recs, index=raw.index)

    def col(name):
        return raw[name] if name in raw.columns else pd.Series("", index=raw.index)

    ods = col("odsCode").astype("string").str.strip().str.upper()
    out = pd.DataFrame({
        "provider_code": ods.where(ods.str.fullmatch(ODS_CODE.pattern).fillna(False)),
        "location_id": raw["locationId"].astype("string"),
        "cqc_provider_id": raw["providerId"].astype("string"),
        "provider_name": raw["name"].astype("string").str.strip(),
        "period": snap,
        "sector": sector_from_type(raw["type"]),
        "setting": setting_from(col("careHome"), flat["category"].astype("string")),
        "region": col("region").astype("string").replace("", pd.NA),
        "registered": col("registrationStatus").astype("string").str.strip().str.lower()
                      .ne("deregistered").astype(bool),
        "cqc_report_date": pd.to_datetime(flat["cqc_report_date"], errors="coerce"),
    })
    for c in RATING_COLUMNS:
        out[c] = flat[c]
    return _finish(out, path, API_URL, layout="cqc_api_v1_locations",
                   n_deregistered=int((~out["registered"]).sum()))


# --------------------------------------------------------------------------- latest ratings
LATEST_LOCATION = {"id": "Location ID", "name": "Location Name", "type": "Location Type",
                   "category": "Location Primary Inspection Category",
                   "care_home": "Care Home?", "region": "Location Region",
                   "ods": "Location ODS Code"}
LATEST_PROVIDER = {"id": "Provider ID", "name": "Provider Name", "type": "Provider Type",
                   "category": "Provider Primary Inspection Category",
                   "care_home": None, "region": "Provider Region", "ods": None}
GROUP = "Service / Population Group"


def _read_table(path: Path, sheet: str, allow_incomplete: bool = False) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        cut = check_not_truncated(path, allow_incomplete=allow_incomplete)
        return read_csv_text(path, header=None, dtype=str, keep_default_na=False, cut_last=cut)
    engine = "odf" if suffix == ".ods" else excel_engine(path)
    check_archive(path)  # unpacked sizes within the reading limits before opening
    try:
        book = pd.ExcelFile(path, engine=engine)
    except ImportError:
        raise SourceFormatError(path, "reading .ods files needs the 'odfpy' package",
                                expected="odfpy installed, or the file saved as .xlsx") from None
    except (zipfile.BadZipFile, ValueError, OSError, KeyError, EOFError) as exc:
        raise SourceFormatError(path, f"is not a readable workbook ({exc})",
                                expected="the CQC latest-ratings .ods/.xlsx") from None
    with book:
        if sheet not in book.sheet_names:
            raise SourceFormatError(path, f"no sheet {sheet!r}; sheets are {book.sheet_names}",
                                    sheet=sheet, expected="sheets 'Locations' and 'Providers'")
        check_formulas_cached(path, [sheet])  # .xlsx: a formula without its value reads blank
        return pd.read_excel(book, sheet_name=sheet, header=None, dtype=str, keep_default_na=False)


def read_latest_ratings(path: str | Path, sheet: str = "Locations", period=None, *,
                        allow_incomplete: bool = False) -> pd.DataFrame:
    """Read the CQC "latest ratings" file (``Locations`` or ``Providers`` sheet).

    Keeps the rows whose ``Service / Population Group`` is ``Overall`` and turns the domains
    into columns; when a location has several ratings for one domain the latest
    ``Publication Date`` wins. On the ``Providers`` sheet an NHS trust's ``Provider ID`` is its
    ODS code and becomes ``provider_code``.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "01_September_2026_Latest_ratings.csv"
    >>> rows = [["Latest ratings", "", "", "", "", "", "", ""],
    ...  ["Location ID", "Location Name", "Location Type", "Care Home?",
    ...   "Service / Population Group", "Domain", "Latest Rating", "Publication Date"],
    ...  ["1-1", "Home", "Social Care Org", "Y", "Overall", "Overall", "Good", "01/02/2024"],
    ...  ["1-1", "Home", "Social Care Org", "Y", "Overall", "Caring", "Outstanding", "01/02/2024"]]
    >>> pd.DataFrame(rows).to_csv(p, index=False, header=False)
    >>> df = read_latest_ratings(p)
    >>> df.loc[0, "cqc_overall"], df.loc[0, "cqc_caring"], str(df.loc[0, "period"].date())
    ('Good', 'Outstanding', '2026-09-01')
    """
    path = check_file(path)
    if sheet not in ("Locations", "Providers"):
        raise ArgumentError("read_latest_ratings", "sheet", sheet,
                            expected="'Locations' or 'Providers'")
    names = LATEST_LOCATION if sheet == "Locations" else LATEST_PROVIDER
    snap = period_from_name(path, period)
    frame = _read_table(path, sheet, allow_incomplete)
    where = sheet if path.suffix.lower() != ".csv" else None
    header = None
    for r in range(min(len(frame), 30)):
        if GROUP in {str(v).strip() for v in frame.iloc[r]}:
            header = r
            break
    if header is None:
        raise SourceFormatError(path, "no header row", column=GROUP, sheet=where,
                                expected=f"a header row holding {GROUP!r} in the first 30 rows")
    df = frame.iloc[header + 1:].copy()
    df.columns = [str(c).strip() for c in frame.iloc[header]]
    domain = "Domain" if "Domain" in df.columns else "Key Question"
    required = [names["id"], names["name"], GROUP, domain, "Latest Rating", "Publication Date"]
    require_columns(df, required, path, sheet=where)
    key = [names["id"], GROUP, domain, "Publication Date"]
    check_duplicates(df[key].apply(lambda s: s.astype("string").str.strip()), key, path,
                     rows=df.index + 1, sheet=where, column=names["id"])
    df = df[df[GROUP].astype("string").str.strip().str.lower() == "overall"]
    if df.empty:
        raise SourceFormatError(path, "no rows with 'Overall' service/population group",
                                column=GROUP, sheet=where, expected="'Overall' rows")
    df["_rating"] = [rating(v, path, "Latest Rating", i, where)
                     for i, v in df["Latest Rating"].items()]
    pub = df["Publication Date"].astype("string").str.strip().replace("", pd.NA)
    df["_date"] = pd.to_datetime(pub, dayfirst=True, errors="coerce")
    bad = df["_date"].isna() & pub.notna()
    if bad.any():
        i = bad.idxmax()
        raise SourceFormatError(path, f"value {pub.loc[i]!r} (row {i}) is not a date",
                                column="Publication Date", sheet=where, expected="dd/mm/yyyy")
    dom_map = {"overall": "cqc_overall", **{k.lower(): v for k, v in KEY_QUESTIONS.items()}}
    df["_domain"] = df[domain].astype("string").str.strip().str.lower().map(dom_map)
    unknown = df["_domain"].isna()
    if unknown.any():
        i = unknown.idxmax()
        raise SourceFormatError(path, f"unknown domain {df.loc[i, domain]!r} (row {i})",
                                column=domain, sheet=where,
                                expected="Overall, Safe, Effective, Caring, Responsive, Well-led")
    df = df.sort_values("_date", kind="stable").drop_duplicates([names["id"], "_domain"],
                                                                 keep="last")
    wide = df.pivot(index=names["id"], columns="_domain", values="_rating")
    for c in RATING_COLUMNS:
        if c not in wide.columns:
            wide[c] = None
    first = df.drop_duplicates(names["id"]).set_index(names["id"])
    date = df[df["_domain"] == "cqc_overall"].set_index(names["id"])["_date"]

    def field(key):
        col = names[key]
        if col and col in first.columns:
            return first[col].astype("string").str.strip().replace("", pd.NA)
        return pd.Series(pd.NA, index=first.index, dtype="string")

    ids = pd.Series(first.index, index=first.index, dtype="string")
    if sheet == "Locations":
        ods = field("ods").str.upper()
        code = ods.where(ods.str.fullmatch(ODS_CODE.pattern).fillna(False))
        loc_id = ids
        prov_id = (first["Provider ID"].astype("string") if "Provider ID" in first.columns
                   else pd.Series(pd.NA, index=first.index, dtype="string"))
    else:
        code = ids.where(ids.str.fullmatch(ODS_CODE.pattern).fillna(False))
        loc_id, prov_id = pd.Series(pd.NA, index=first.index, dtype="string"), ids
    out = pd.DataFrame({
        "provider_code": code, "location_id": loc_id,
        "cqc_provider_id": pd.Series(prov_id, index=first.index).astype("string"),
        "provider_name": field("name"), "period": snap,
        "sector": sector_from_type(field("type")),
        "setting": setting_from(field("care_home").fillna(""), field("category")),
        "region": field("region"), "registered": True,
        "cqc_report_date": date.reindex(first.index),
    })
    for c in RATING_COLUMNS:
        out[c] = wide[c].reindex(first.index)
    return _finish(out.reset_index(drop=True), path, RATINGS_URL,
                   layout=f"cqc_latest_ratings/{sheet}", domain_column=domain,
                   header_row=header + 1)


def read(path: str | Path, period=None, *, allow_incomplete: bool = False) -> pd.DataFrame:
    """Read either CQC form, chosen by the file: API records or the latest-ratings file.

    >>> read("01_September_2026_Latest_ratings.ods")  # doctest: +SKIP
    """
    path = check_file(path)
    if re.search(r"latest[_ ]ratings", path.name, flags=re.IGNORECASE):
        return read_latest_ratings(path, period=period, allow_incomplete=allow_incomplete)
    return read_api(path, period=period, allow_incomplete=allow_incomplete)
