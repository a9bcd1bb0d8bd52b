"""NHS Staff Survey results by trust: engagement, would-recommend-care, work stress.

Two forms are read.

1. **The tidied trust-by-year files** of the ``ebmgt/NHS-wellbeing`` repository, computed by
   its authors from the published question results (not the official layout):

   * ``data.NHS.2015_2019.csv`` -- columns ``Code, Year.index, Engagement, RecommendCare,
     WorkStress, ...`` where the survey measures are **proportions of positive answers (0-1)**.
     The first row has an empty ``Code`` and is dropped.
   * ``data.NHS.2012_2019.csv`` -- columns ``Code, Year.Index, Engagement.Index,
     RecommendCare.Index.dichot, WorkStress.Index, ...``; ``*.Index`` are **mean answers on the
     1-5 scale**, ``*.dichot`` and ``WorkStress.Index`` are proportions (0-1).

2. **An official results table** (:func:`read_benchmark`) holding a ``Staff Engagement`` theme
   score already on the 0-10 scale beside an organisation-code column. The spreadsheet layout
   of the official benchmark files is not established (see ``reference/layouts.md`` section 3);
   the reader finds the header row by its ``Staff Engagement`` cell and the code column by
   its name, and says so when it cannot.

Scales (``staff_engagement`` is always 0-10, higher is better)
--------------------------------------------------------------
* 1-5 mean (2012_2019 ``Engagement.Index``): ``(mean - 1) * 2.5``. The publisher scores each
  answer 0, 2.5, 5, 7.5, 10 and averages them, so this is the official 0-10 conversion.
* proportion positive (2015_2019 ``Engagement``): ``10 * proportion``. This is the share of
  positive answers on a 0-10 scale, *not* the official theme score: comparable between trusts
  and years of the same file, not with official scores. ``attrs["provenance"]["engagement_scale"]``
  records which conversion was used.
* ``staff_recommend_care_pct`` and ``staff_work_stress_pct`` are proportions x 100.

Period
------
The survey is named by the year of its fieldwork, which runs from late September to early
December. Each trust-year is dated at the fieldwork month, **September of the survey year**
(``period = YYYY-09-01``; change with ``month=``), so the 2017 survey sits beside the
September 2017 workforce census.

Example
-------
>>> from workbench.data.sources import staff_survey
>>> df = staff_survey.read("data.NHS.2015_2019.csv")  # doctest: +SKIP
>>> df.columns.tolist()  # doctest: +SKIP
['provider_code', 'year', 'period', 'staff_engagement', 'staff_recommend_care_pct', 'staff_work_stress_pct']
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
    check_not_truncated,
    check_years,
    excel_engine,
    provenance,
    read_csv_text,
    require_columns,
    to_number,
)
from workbench.errors import ArgumentError, SourceFormatError

PUBLISHER_URL = "https://www.nhsstaffsurveys.com/results/"
FIELDWORK_MONTH = 9
OUT_COLUMNS = ["provider_code", "year", "period", "staff_engagement",
               "staff_recommend_care_pct", "staff_work_stress_pct"]

#: layout name -> (year column, {canonical: (source column, conversion)})
LAYOUTS = {
    "ebmgt_2015_2019": ("Year.index", {
        "staff_engagement": ("Engagement", "proportion_x10"),
        "staff_recommend_care_pct": ("RecommendCare", "proportion_x100"),
        "staff_work_stress_pct": ("WorkStress", "proportion_x100"),
    }),
    "ebmgt_2012_2019": ("Year.Index", {
        "staff_engagement": ("Engagement.Index", "mean_1_5_to_0_10"),
        "staff_recommend_care_pct": ("RecommendCare.Index.dichot", "proportion_x100"),
        "staff_work_stress_pct": ("WorkStress.Index", "proportion_x100"),
    }),
}

CONVERSIONS = {
    "proportion_x10": (lambda s: s * 10.0, (0.0, 1.0)),
    "proportion_x100": (lambda s: s * 100.0, (0.0, 1.0)),
    "mean_1_5_to_0_10": (lambda s: (s - 1.0) * 2.5, (1.0, 5.0)),
    "score_0_10": (lambda s: s, (0.0, 10.0)),
}

CODE_HEADERS = ("organisation code", "org code", "trust code", "organisation id", "code")


def _period(year: pd.Series, month: int) -> pd.Series:
    return pd.to_datetime({"year": year.astype(int), "month": month, "day": 1})


def _convert(values: pd.Series, how: str, column: str, path: Path,
             sheet: str | None = None) -> pd.Series:
    func, (lo, hi) = CONVERSIONS[how]
    bad = values.notna() & ((values < lo) | (values > hi))
    if bad.any():
        i = bad.idxmax()
        raise SourceFormatError(path, f"value {values.loc[i]} (row {i}) out of range",
                                column=column, sheet=sheet,
                                expected=f"values between {lo} and {hi} ({how})")
    return func(values)


def detect_layout(columns) -> str | None:
    """Which tidied layout a header belongs to, or ``None``.

    >>> detect_layout(["Code", "Year.index", "Engagement", "RecommendCare", "WorkStress"])
    'ebmgt_2015_2019'
    """
    cols = set(columns)
    for name, (year_col, measures) in LAYOUTS.items():
        if year_col in cols and measures["staff_engagement"][0] in cols:
            return name
    return None


def read(path: str | Path, month: int = FIELDWORK_MONTH, *,
         allow_incomplete: bool = False) -> pd.DataFrame:
    r"""Read a tidied trust x year staff-survey file into canonical measures.

    Returns ``provider_code, year, period, staff_engagement (0-10),
    staff_recommend_care_pct, staff_work_stress_pct``; trust-years without any survey
    measure (SHMI-only rows) are dropped. Excel files go to :func:`read_benchmark`.

    Blank, ``NA`` and suppression marks (``*``, ``-``, ``..``, ``x``, ``c``, ``:``) are
    missing; each measure comes from one column, so nothing is summed. Two rows for one
    trust and year are an error naming both lines; a survey year outside those the file's
    name covers (``2015_2019``) or in the future is an error. The tidied files have no totals row,
    so a file cut at a row boundary cannot be told from a shorter one; a last row cut
    mid-row raises :class:`~workbench.errors.SourceIncompleteError`, or with
    ``allow_incomplete=True`` warns and is left out.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "data.NHS.2015_2019.csv"
    >>> _ = p.write_text('"Code","Year.index","Engagement","RecommendCare","WorkStress"\n'
    ...                  '"",2015,NA,NA,NA\n"RJ1",2017,0.71,0.8,0.35\n')
    >>> row = read(p).iloc[0]
    >>> row["provider_code"], str(row["period"].date()), round(float(row["staff_engagement"]), 2)
    ('RJ1', '2017-09-01', 7.1)
    """
    path = check_file(path)
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods"):
        raise SourceFormatError(path, "is a workbook", expected="a tidied CSV; read official "
                                "workbooks with staff_survey.read_benchmark(path, year=...)")
    if not 1 <= month <= 12:
        raise ArgumentError("read", "month", month, expected="a month number, 1-12")
    cut = check_not_truncated(path, allow_incomplete=allow_incomplete)
    raw = read_csv_text(path, dtype={"Code": str}, keep_default_na=True, cut_last=cut)
    raw.columns = [str(c).strip() for c in raw.columns]
    layout = detect_layout(raw.columns)
    if layout is None:
        want = {k: [v[0]] + [m[0] for m in v[1].values()] for k, v in LAYOUTS.items()}
        require_columns(raw, ["Code"] + want["ebmgt_2015_2019"], path)
        raise SourceFormatError(path, "unrecognised layout",
                                expected=f"the columns of one of {want}")
    year_col, measures = LAYOUTS[layout]
    require_columns(raw, ["Code", year_col] + [c for c, _ in measures.values()], path)
    raw = raw[raw["Code"].notna() & (raw["Code"].astype("string").str.strip() != "")]
    if raw.empty:
        raise SourceFormatError(path, "has no data rows", column="Code",
                                expected="one row per trust and survey year")
    year = to_number(raw[year_col], year_col, path)
    if year.isna().any() or ((year % 1) != 0).any() or not year.between(2000, 2100).all():
        i = (year.isna() | (year % 1 != 0) | ~year.between(2000, 2100)).idxmax()
        raise SourceFormatError(path, f"value {raw[year_col].loc[i]!r} (row {i})",
                                column=year_col, expected="a survey year such as 2017")
    check_years(year.astype(int), path, column=year_col, what="survey year")
    out = pd.DataFrame({"provider_code": raw["Code"].astype("string").str.strip().str.upper(),
                        "year": year.astype(int), "_row": raw.index + 2})
    out["period"] = _period(out["year"], month)
    for canon, (col, how) in measures.items():
        out[canon] = _convert(to_number(raw[col], col, path), how, col, path)
    out = out.dropna(subset=OUT_COLUMNS[3:], how="all")
    check_duplicates(out, ["provider_code", "year"], path, rows=out["_row"], column="Code",
                     names={"provider_code": "Code", "year": year_col})
    out = out[OUT_COLUMNS].sort_values(["provider_code", "year"]).reset_index(drop=True)
    out["provider_code"] = out["provider_code"].astype(str)
    out.attrs["provenance"] = provenance(
        "staff_survey", path, PUBLISHER_URL, out["period"], layout=layout,
        engagement_scale=measures["staff_engagement"][1],
        period_rule=f"survey year -> month {month} of that year (fieldwork)",
        derived_by="ebmgt/NHS-wellbeing (from the published question results)",
        trusts_per_year={int(y): int(n) for y, n in
                         out.dropna(subset=["staff_engagement"]).groupby("year").size().items()},
    )
    return out


def _find_header(frame: pd.DataFrame) -> tuple[int, int, int] | None:
    """(header row, code column, engagement column) positions, or None."""
    for r in range(min(len(frame), 60)):
        cells = [str(v).strip().lower() if pd.notna(v) else "" for v in frame.iloc[r]]
        if "staff engagement" not in cells:
            continue
        eng = cells.index("staff engagement")
        code = next((cells.index(h) for h in CODE_HEADERS if h in cells), None)
        if code is not None:
            return r, code, eng
    return None


def read_benchmark(path: str | Path, year: int, sheet: str | None = None,
                   month: int = FIELDWORK_MONTH, *, allow_incomplete: bool = False
                   ) -> pd.DataFrame:
    """Read an official-style results table: organisation code + ``Staff Engagement`` (0-10).

    The header row is the first row (of ``sheet``, or of any sheet) holding a
    ``Staff Engagement`` cell and an organisation-code cell (``Organisation code``,
    ``Org code``, ``Trust code`` or ``Code``). Scores are on the publisher's 0-10 scale and
    are not converted; ``staff_recommend_care_pct`` and ``staff_work_stress_pct`` are not in
    the theme tables and are left missing. Suppression marks are missing; an organisation
    listed twice is an error naming both worksheet rows; a ``year`` other than the one the
    file's name gives (``nss_2023.xlsx``), or in the future, is an error, and so are formula
    cells without a computed value. The table has no totals row to
    check, so ``allow_incomplete`` has nothing to relax.

    >>> import pandas as pd, tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "nss_2023.xlsx"
    >>> pd.DataFrame([["NHS Staff Survey 2023", None], ["Organisation code", "Staff Engagement"],
    ...               ["RJ1", 7.1]]).to_excel(p, index=False, header=False, sheet_name="Themes")
    >>> float(read_benchmark(p, year=2023)["staff_engagement"].iloc[0])
    7.1
    """
    path = check_file(path)
    check_years([year], path, column="year", sheet=sheet, what="survey year")
    check_archive(path)  # unpacked sizes within the reading limits before opening
    try:
        book = pd.ExcelFile(path, engine=excel_engine(path))
    except (zipfile.BadZipFile, ValueError, OSError, KeyError, EOFError) as exc:
        raise SourceFormatError(path, f"is not a readable workbook ({exc})", sheet=sheet,
                                expected="an .xlsx/.xlsm results workbook") from None
    with book:
        if sheet is not None and sheet not in book.sheet_names:
            raise SourceFormatError(path, f"no sheet {sheet!r}; sheets are {book.sheet_names}",
                                    sheet=sheet, expected="the results sheet")
        found = None
        for name in ([sheet] if sheet else book.sheet_names):
            check_formulas_cached(path, [name])
            frame = pd.read_excel(book, sheet_name=name, header=None, dtype=object)
            hit = _find_header(frame)
            if hit:
                found = (name, frame, hit)
                break
    if found is None:
        raise SourceFormatError(path, "no header row with 'Staff Engagement' and an "
                                "organisation-code column", sheet=sheet,
                                column="Staff Engagement",
                                expected=f"a header with 'Staff Engagement' and one of "
                                         f"{list(CODE_HEADERS)}")
    name, frame, (hr, ci, ei) = found
    body = frame.iloc[hr + 1:]
    code = body.iloc[:, ci].astype("string").str.strip().str.upper()
    keep = code.str.fullmatch(r"[A-Z0-9]{3,6}").fillna(False).astype(bool)
    body, code = body[keep], code[keep]
    if body.empty:
        raise SourceFormatError(path, "no organisation rows under the header", sheet=name,
                                column=str(frame.iloc[hr, ci]), expected="ODS codes")
    eng_col = str(frame.iloc[hr, ei])
    eng = _convert(to_number(body.iloc[:, ei], eng_col, path, sheet=name), "score_0_10",
                   eng_col, path, sheet=name)
    out = pd.DataFrame({"provider_code": code.astype(str).to_numpy(), "year": int(year),
                        "staff_engagement": eng.to_numpy()})
    check_duplicates(out, ["provider_code"], path, rows=(body.index + 1).tolist(), sheet=name,
                     names={"provider_code": str(frame.iloc[hr, ci])})
    out["period"] = _period(out["year"], month)
    out["staff_recommend_care_pct"] = float("nan")
    out["staff_work_stress_pct"] = float("nan")
    out = out[OUT_COLUMNS].reset_index(drop=True)
    out.attrs["provenance"] = provenance(
        "staff_survey", path, PUBLISHER_URL, out["period"], layout="benchmark_theme_table",
        sheet=name, header_row=hr + 1, engagement_scale="score_0_10",
        period_rule=f"survey year -> month {month} of that year (fieldwork)",
        layout_confidence="inferred: sheet and header positions of the official spreadsheets "
                          "are not established")
    return out
