"""NHS England RTT provider workbooks: waits by provider and treatment function, one month.

NHS England publishes, each month, three provider-basis workbooks in one layout:
completed non-admitted pathways (``NonAdmitted-Provider-<Mon><YY>-XLSX-*.xlsx``), completed
admitted pathways (``Admitted-Provider-...``) and incomplete pathways (the waiting list,
``Incomplete-Provider-...``). Each has

* a title block (``Title:``, ``Summary:``, ``Period:``, ``Basis:``, ``Published:`` ...):
  the period (``September 2025``) and the pathway kind (the ``Summary:`` line, e.g.
  "... waiting times for completed non-admitted pathways") are read from it;
* a sheet ``Provider`` (NHS trusts) and a sheet ``IS Provider`` (independent-sector
  provider sites), both with the header ``Region Code, Provider Code, Provider Name,
  Treatment Function Code, Treatment Function``, weekly bands ``>0-1`` ... ``>103-104`` and
  ``104 plus``, ``Patients with unknown clock start date``, ``Total number of ... pathways
  (all)``, ``Total number of ... pathways (with a known clock start)``, ``Average (median)
  waiting time (in weeks)``, ``95th percentile waiting time (in weeks)``, ``Total 52 plus
  weeks``, ``Total 78 plus weeks``, ``Total 65 plus weeks``. The header row is found by
  its labels (the title block's length is not assumed).

A row of :func:`read` is one sheet x provider x treatment function (``C_999`` = all
treatment functions, ``X02`` ... ``X06`` the "other" groups). The table is **wide**: the
weekly bands are columns ``band_000_001`` ... ``band_103_104`` and ``band_104_plus``, so
the checks across a row are plain sums; :func:`bands_long` gives the tidy long form
(one row per provider x treatment function x band, with the band's lower and upper week).

Columns: ``sheet`` (``Provider`` / ``IS Provider``, as published), ``period``,
``pathway`` (``completed_non_admitted`` / ``completed_admitted`` / ``incomplete``),
``region_code, provider_code, provider_name, treatment_function_code,
treatment_function_name``, the bands, ``unknown_clock_start, total_all, total_known,
median_weeks, p95_weeks, over_52w, over_65w, over_78w`` (as published) and
``within_18w`` (bands up to 18 weeks) and ``pct_within_18w`` (100 x within 18 weeks /
total with a known clock start), which the workbook does not publish.

Checks (a :class:`~workbench.errors.SourceFormatError` names the file, sheet and column):
both sheets present; formula cells with their computed values (a workbook saved by a
program that does not calculate formulas is named as such); the title block's period and
pathway kind found and the same on both sheets, the period agreeing with the month in the
file's name (``Sep25``) and not in the future; every column of the layout present, the
bands contiguous; counts of pathways whole numbers; numbers or the
suppression marks (``-`` where a median is not defined, ``*``, ``..``, ``x``, ``c``,
``:``, blank), which read as missing; a provider and treatment function listed twice (on
one sheet or across both) is an error naming the worksheet rows. The totals are checked
and a disagreement raises :class:`~workbench.errors.SourceIncompleteError`
(``allow_incomplete=True`` warns and keeps the rows): each row's ``(all)`` total equals
its bands plus unknown clock starts and ``(with a known clock start)`` its bands; each
provider has a ``C_999`` row and it equals the sum of its treatment functions in every
band and total (a workbook cut at a row boundary loses the last provider's ``C_999`` row,
which closes each provider's block). Cells with a suppression mark are left out of the
sums and the check is made on the rest as a bound.

Example
-------
>>> from workbench.data.sources import rtt_provider_workbook as wb
>>> df = wb.read("NonAdmitted-Provider-Sep25-XLSX-4M-87700.xlsx")  # doctest: +SKIP
>>> df.loc[df.treatment_function_code == "C_999", ["sheet", "provider_code", "median_weeks"]]  # doctest: +SKIP
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.data.sources.common import (
    check_archive,
    check_file,
    check_formulas_cached,
    check_periods,
    check_whole_numbers,
    incomplete,
    parse_month,
    provenance,
    to_number,
)
from workbench.errors import SourceFormatError

SOURCE = "rtt_provider_workbook"
PUBLISHER_URL = ("https://www.england.nhs.uk/statistics/statistical-work-areas/"
                 "rtt-waiting-times/")
SHEETS = {"Provider": "nhs_sheet", "IS Provider": "independent_sheet"}
ALL_FUNCTIONS = "C_999"

IDS = {"Region Code": "region_code", "Provider Code": "provider_code",
       "Provider Name": "provider_name", "Treatment Function Code": "treatment_function_code",
       "Treatment Function": "treatment_function_name"}
UNKNOWN = "Patients with unknown clock start date"
MEDIAN = "Average (median) waiting time (in weeks)"
P95 = "95th percentile waiting time (in weeks)"
OVER = {"Total 52 plus weeks": ("over_52w", 52), "Total 65 plus weeks": ("over_65w", 65),
        "Total 78 plus weeks": ("over_78w", 78)}
_TOTAL_ALL = re.compile(r"^Total number of .*pathways \(all\)$", re.IGNORECASE)
_TOTAL_KNOWN = re.compile(r"^Total number of .*pathways \(with a known clock start\)$",
                          re.IGNORECASE)
_BAND = re.compile(r"^>\s*(\d+)\s*-\s*(\d+)$")
_OPEN = re.compile(r"^>?\s*(\d+)\s*(?:plus|\+)$", re.IGNORECASE)
#: pathway kind <- words of the title block's ``Summary:`` line
KINDS = (("completed non-admitted", "completed_non_admitted"),
         ("completed admitted", "completed_admitted"),
         ("incomplete", "incomplete"))


def _sheets(path: Path) -> tuple[dict[str, list[list]], list[str], str]:
    """The two data sheets as lists of rows (row 0 = worksheet row 1), all sheet names and
    the engine used: python-calamine when installed (fast), else openpyxl read-only.
    """
    check_archive(path)  # unpacked sizes within the reading limits before opening
    check_formulas_cached(path, SHEETS)  # a formula without its value would read as blank
    try:
        from python_calamine import CalamineError, CalamineWorkbook, ZipError
    except ImportError:  # pragma: no cover - the project pins python-calamine
        CalamineWorkbook = None
    damaged = (ValueError, OSError, KeyError, zipfile.BadZipFile, EOFError)
    if CalamineWorkbook is not None:
        try:
            book = CalamineWorkbook.from_path(str(path))
            names = list(book.sheet_names)
            _require_sheets(path, names)
            return ({s: book.get_sheet_by_name(s).to_python(skip_empty_area=False)
                     for s in SHEETS}, names, "python-calamine")
        except SourceFormatError:
            raise
        except (CalamineError, ZipError, *damaged) as exc:
            raise SourceFormatError(path, f"not a readable workbook ({type(exc).__name__}: "
                                    f"{exc})", expected="the published .xlsx workbook") from None
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except damaged as exc:
        raise SourceFormatError(path, f"not a readable workbook ({type(exc).__name__}: {exc})",
                                expected="the published .xlsx workbook") from None
    try:
        names = list(book.sheetnames)
        _require_sheets(path, names)
        out = {s: [["" if v is None else v for v in r]
                   for r in book[s].iter_rows(values_only=True)] for s in SHEETS}
    finally:
        book.close()
    return out, names, "openpyxl"


def _require_sheets(path: Path, names: list[str]) -> None:
    for s in SHEETS:
        if s not in names:
            raise SourceFormatError(path, "sheet not found", sheet=s,
                                    expected=f"the sheets {list(SHEETS)} of an RTT provider "
                                             f"workbook; the workbook has {names}")


def _title(rows: list[list], path: Path, sheet: str) -> tuple[pd.Timestamp, str, int]:
    """Period, pathway kind and the header row's position, from a sheet's top rows."""
    block: dict[str, str] = {}
    header = None
    for i, row in enumerate(rows[:60]):
        cells = [str(v).strip() for v in row if v is not None and str(v).strip() != ""]
        if not cells:
            continue
        if cells[0].endswith(":") and len(cells) > 1:
            block.setdefault(cells[0][:-1].lower(), cells[1])
        if "Provider Code" in cells and "Treatment Function Code" in cells:
            header = i
            break
    if "referral to treatment" not in block.get("title", "").lower():
        raise SourceFormatError(path, "no title block 'Title: Referral to Treatment (RTT) "
                                "Waiting Times'", sheet=sheet, column="Title:",
                                expected="the publisher's title block above the table")
    if "period" not in block:
        raise SourceFormatError(path, "no 'Period:' line in the title block", sheet=sheet,
                                column="Period:", expected="e.g. 'Period: September 2025'")
    period = parse_month(block["period"], path, column="Period:", sheet=sheet)
    check_periods([period], path, column="Period:", sheet=sheet)
    summary = block.get("summary", "").lower()
    kind = next((k for words, k in KINDS if words in summary), None)
    if kind is None:
        raise SourceFormatError(path, f"the 'Summary:' line {block.get('summary', '')!r} names "
                                "no pathway kind", sheet=sheet, column="Summary:",
                                expected="'... completed non-admitted pathways', '... completed "
                                         "admitted pathways' or '... incomplete pathways'")
    if header is None:
        raise SourceFormatError(path, "no header row with 'Provider Code' and 'Treatment "
                                "Function Code' in the first 60 rows", sheet=sheet,
                                column="Provider Code", expected="the publisher's table header")
    return period, kind, header


def _layout(header: list[str], path: Path, sheet: str) -> dict:
    """Positions of every column of the layout in a header row."""
    pos = {h: j for j, h in enumerate(header) if h}
    need = list(IDS) + [UNKNOWN, MEDIAN, P95, *OVER]
    missing = [c for c in need if c not in pos]
    total_all = next((h for h in header if _TOTAL_ALL.match(h)), None)
    total_known = next((h for h in header if _TOTAL_KNOWN.match(h)), None)
    if total_all is None:
        missing.append("Total number of ... pathways (all)")
    if total_known is None:
        missing.append("Total number of ... pathways (with a known clock start)")
    if missing:
        raise SourceFormatError(path, f"missing column(s) {missing}", sheet=sheet,
                                column=missing[0], expected="the RTT provider workbook's "
                                f"columns; found {[h for h in header if h][:12]} ...")
    bands, lower = [], []
    for h in header:
        m = _BAND.match(h)
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            if b != a + 1:
                raise SourceFormatError(path, f"band {h!r} is not one week wide", sheet=sheet,
                                        column=h, expected="weekly bands '>k-k+1'")
            bands.append(h)
            lower.append(a)
    opened = [h for h in header if _OPEN.match(h)]
    if not bands or len(opened) != 1:
        raise SourceFormatError(path, "weekly band columns not found", sheet=sheet,
                                column=">0-1", expected="columns '>0-1' ... '>103-104' and one "
                                                        "open band such as '104 plus'")
    top = int(_OPEN.match(opened[0]).group(1))
    if lower != list(range(top)):
        gap = sorted(set(range(top)) - set(lower))
        raise SourceFormatError(path, f"weekly bands are not contiguous from 0 to {top} weeks",
                                sheet=sheet, column=f">{gap[0]}-{gap[0] + 1}" if gap else bands[0],
                                expected="one column per week, in order")
    return {"pos": pos, "bands": bands + opened, "lower": np.array(lower + [top]),
            "total_all": total_all, "total_known": total_known}


def band_names(lower: np.ndarray) -> list[str]:
    """Output names of the weekly bands from their lower bounds (the last band is open).

    >>> band_names(np.array([0, 1, 2]))
    ['band_000_001', 'band_001_002', 'band_002_plus']
    """
    out = [f"band_{a:03d}_{a + 1:03d}" for a in lower[:-1]]
    return out + [f"band_{lower[-1]:03d}_plus"]


def _read_sheet(rows: list[list], path: Path, sheet: str) -> tuple[pd.DataFrame, dict, tuple]:
    period, kind, h = _title(rows, path, sheet)
    header = [str(v).strip() if v is not None else "" for v in rows[h]]
    lay = _layout(header, path, sheet)
    width = len(header)
    body = [list(r) + [""] * (width - len(r)) for r in rows[h + 1:]]
    raw = pd.DataFrame(body, columns=range(width), dtype=object)
    raw.index = np.arange(h + 2, h + 2 + len(raw))  # worksheet row numbers
    pos = lay["pos"]
    code = raw[pos["Provider Code"]].astype("string").str.strip()
    tf = raw[pos["Treatment Function Code"]].astype("string").str.strip()
    blank = (code.fillna("") == "") & (tf.fillna("") == "")
    raw, code, tf = raw[~blank], code[~blank], tf[~blank]
    if raw.empty:
        raise SourceFormatError(path, "no provider rows under the header", sheet=sheet,
                                column="Provider Code", expected="one row per provider x "
                                                                 "treatment function")
    for name, s in (("Provider Code", code), ("Treatment Function Code", tf)):
        bad = s.isna() | (s == "")
        if bad.any():
            raise SourceFormatError(path, f"blank cell in worksheet row {int(bad.idxmax())}",
                                    sheet=sheet, column=name, expected="a code on every row")
    out = pd.DataFrame(index=raw.index)
    out["sheet"] = sheet
    out["period"] = period
    out["pathway"] = kind
    for label, canon in IDS.items():
        out[canon] = raw[pos[label]].astype("string").str.strip()
    out["provider_code"] = out["provider_code"].str.upper()
    names = band_names(lay["lower"])
    num = {}
    for label, canon in zip(lay["bands"], names):
        num[canon] = to_number(raw[pos[label]], label, path, sheet=sheet)
    num["unknown_clock_start"] = to_number(raw[pos[UNKNOWN]], UNKNOWN, path, sheet=sheet)
    num["total_all"] = to_number(raw[pos[lay["total_all"]]], lay["total_all"], path, sheet=sheet)
    num["total_known"] = to_number(raw[pos[lay["total_known"]]], lay["total_known"], path,
                                   sheet=sheet)
    num["median_weeks"] = to_number(raw[pos[MEDIAN]], MEDIAN, path, sheet=sheet)
    num["p95_weeks"] = to_number(raw[pos[P95]], P95, path, sheet=sheet)
    for label, (canon, _) in OVER.items():
        num[canon] = to_number(raw[pos[label]], label, path, sheet=sheet)
    out = pd.concat([out, pd.DataFrame(num, index=raw.index)], axis=1)
    counts = out[names + ["unknown_clock_start", "total_all", "total_known",
                          *[c for c, _ in OVER.values()]]]
    labels = {**dict(zip(names, lay["bands"])), "unknown_clock_start": UNKNOWN,
              "total_all": lay["total_all"], "total_known": lay["total_known"],
              **{c: label for label, (c, _) in OVER.items()}}
    check_whole_numbers(counts, list(counts.columns), path, rows=counts.index, labels=labels,
                        sheet=sheet)
    if (counts < 0).any().any():
        col = counts.columns[(counts < 0).any()][0]
        raise SourceFormatError(path, f"negative count in worksheet row "
                                f"{int((counts[col] < 0).idxmax())}", sheet=sheet, column=col,
                                expected="counts of pathways, 0 or more")
    lower = lay["lower"]
    within = out[[n for n, a in zip(names, lower) if a < 18]]
    out["within_18w"] = within.sum(axis=1, min_count=within.shape[1])
    with np.errstate(invalid="ignore", divide="ignore"):
        out["pct_within_18w"] = (100.0 * out["within_18w"] / out["total_known"]).where(
            out["total_known"] > 0)
    return out, {"names": names, "lower": lower, "labels": dict(zip(names, lay["bands"])),
                 "total_all": lay["total_all"], "total_known": lay["total_known"]}, (period, kind)


def _off(expected: pd.Series, parts: pd.DataFrame, published: pd.Series) -> pd.Series:
    """Rows where a published total disagrees with its parts (a bound when parts are marked)."""
    has_gap = parts.isna().any(axis=1)
    with np.errstate(invalid="ignore"):
        off = np.where(has_gap, expected > published + 0.5, (expected - published).abs() > 0.5)
    return pd.Series(off, index=published.index) & published.notna()


def _check_totals(df: pd.DataFrame, lay: dict, path: Path, sheet: str,
                  allow_incomplete: bool) -> None:
    names = lay["names"]
    bands = df[names]
    band_sum = bands.sum(axis=1)
    checks = [
        (lay["total_known"], band_sum, bands, df["total_known"], "its weekly bands"),
        (lay["total_all"], band_sum + df["unknown_clock_start"].fillna(0),
         pd.concat([bands, df["unknown_clock_start"]], axis=1), df["total_all"],
         f"its weekly bands plus {UNKNOWN!r}"),
    ]
    for label, (canon, weeks) in OVER.items():
        cols = [n for n, a in zip(names, lay["lower"]) if a >= weeks]
        checks.append((label, df[cols].sum(axis=1), df[cols], df[canon],
                       f"its bands from {weeks} weeks"))
    for label, expected, parts, published, what in checks:
        off = _off(expected, parts, published)
        if off.any():
            r = int(off.idxmax())
            incomplete(path, f"{int(off.sum())} row(s) where {label!r} is not {what} (e.g. "
                             f"worksheet row {r}, provider {df.at[r, 'provider_code']!r}, "
                             f"{df.at[r, 'treatment_function_code']}: {published[r]:,.0f} vs "
                             f"{expected[r]:,.0f})", allow_incomplete=allow_incomplete,
                       column=label, sheet=sheet, expected=f"{label} = {what}", stacklevel=5)


def _check_all_functions(df: pd.DataFrame, lay: dict, path: Path, sheet: str,
                         allow_incomplete: bool) -> None:
    """Each provider has a C_999 row equal to the sum of its treatment functions."""
    is_total = df["treatment_function_code"] == ALL_FUNCTIONS
    have = set(df.loc[is_total, "provider_code"])
    lacking = [c for c in dict.fromkeys(df["provider_code"]) if c not in have]
    if lacking:
        last = df.index[df["provider_code"] == lacking[0]][-1]
        incomplete(path, f"{len(lacking)} provider(s) have no {ALL_FUNCTIONS} (total) row, e.g. "
                         f"{lacking[0]!r} (last row: worksheet row {int(last)}); a workbook cut "
                         f"short loses the {ALL_FUNCTIONS} row closing the last provider",
                   allow_incomplete=allow_incomplete, column="Treatment Function Code",
                   sheet=sheet, expected=f"a {ALL_FUNCTIONS} row for every provider",
                   stacklevel=5)
    cols = lay["names"] + ["unknown_clock_start", "total_all", "total_known",
                           *[c for c, _ in OVER.values()]]
    parts = df.loc[~is_total].groupby("provider_code")[cols]
    summed = parts.sum()
    gaps = parts.apply(lambda g: g.isna().any())
    totals = df.loc[is_total].set_index("provider_code")[cols]
    common = totals.index.intersection(summed.index)
    t, s, g = totals.loc[common], summed.loc[common], gaps.loc[common]
    with np.errstate(invalid="ignore"):
        off = ((t - s).abs() > 0.5) & ~g & t.notna()
        off |= (s > t + 0.5) & g & t.notna()
    if off.to_numpy().any():
        prov = off.index[off.any(axis=1)][0]
        col = off.columns[off.loc[prov]][0]
        label = lay["labels"].get(col, col)
        n = int(off.any(axis=1).sum())
        incomplete(path, f"the treatment functions of {n} provider(s) do not add up to their "
                         f"{ALL_FUNCTIONS} row (e.g. provider {prov!r}, column {label!r}: "
                         f"{ALL_FUNCTIONS} {t.at[prov, col]:,.0f} vs functions "
                         f"{s.at[prov, col]:,.0f})", allow_incomplete=allow_incomplete,
                   column=label, sheet=sheet,
                   expected=f"{ALL_FUNCTIONS} = the sum of the provider's treatment functions",
                   stacklevel=5)


def read(path: str | Path, *, allow_incomplete: bool = False) -> pd.DataFrame:
    """Read an RTT provider workbook (both sheets) into one row per sheet x provider x function.

    See the module docstring for the columns, the checks and ``allow_incomplete``.
    ``df.attrs["provenance"]`` records the file's sha256, the period, the pathway kind, the
    engine and the providers per sheet.

    >>> df = read("NonAdmitted-Provider-Sep25-XLSX-4M-87700.xlsx")  # doctest: +SKIP
    >>> df.attrs["provenance"]["pathway"]  # doctest: +SKIP
    'completed_non_admitted'
    """
    path = check_file(path)
    sheets, names, engine = _sheets(path)
    tables, seen = [], {}
    lay = None
    for sheet in SHEETS:
        df, lay, pk = _read_sheet(sheets[sheet], path, sheet)
        seen[sheet] = pk
        tables.append((sheet, df, lay))
    (p0, k0), (p1, k1) = seen.values()
    if (p0, k0) != (p1, k1):
        raise SourceFormatError(path, f"the sheets disagree: 'Provider' is {k0} {p0:%B %Y}, "
                                f"'IS Provider' is {k1} {p1:%B %Y}", sheet="IS Provider",
                                column="Period:", expected="one period and pathway kind")
    if tables[0][2]["names"] != tables[1][2]["names"]:
        raise SourceFormatError(path, "the sheets have different weekly bands",
                                sheet="IS Provider", column=">0-1",
                                expected="the same layout on both sheets")
    both = pd.concat([t for _, t, _ in tables])
    rows = both.index.to_series().astype(int).map(str).radd(both["sheet"] + " row ")
    _check_unique(both, rows, path)
    for sheet, df, lay_s in tables:
        _check_totals(df, lay_s, path, sheet, allow_incomplete)
        _check_all_functions(df, lay_s, path, sheet, allow_incomplete)
    out = both.reset_index(drop=True)
    out["period"] = out["period"].astype("datetime64[ns]")
    for c in ("sheet", "pathway", "region_code", "provider_code", "provider_name",
              "treatment_function_code", "treatment_function_name"):
        out[c] = out[c].astype(object)
    out.attrs["provenance"] = provenance(
        SOURCE, path, PUBLISHER_URL, [p0], pathway=k0, engine=engine, sheets=names,
        providers_by_sheet={s: int(t["provider_code"].nunique()) for s, t, _ in tables},
        rows=len(out))
    return out


def _check_unique(both: pd.DataFrame, rows: pd.Series, path: Path) -> None:
    """One row per provider x treatment function across both sheets (rows named as
    ``<sheet> row <n>``).
    """
    key = ["provider_code", "treatment_function_code"]
    dup = both.duplicated(key, keep=False).to_numpy()
    if not dup.any():
        return
    first = both.loc[dup, key].iloc[0]
    same = (both[key] == first).all(axis=1).to_numpy()
    at = ", ".join(rows[same].tolist()[:10])
    sheets = both.loc[same, "sheet"].unique().tolist()
    raise SourceFormatError(path, f"duplicate rows ({at}) with the same key Provider Code="
                            f"{first['provider_code']!r}, Treatment Function Code="
                            f"{first['treatment_function_code']!r}",
                            sheet=sheets[0] if len(sheets) == 1 else None,
                            column="Provider Code", expected="one row per provider x treatment "
                            "function across the sheets 'Provider' and 'IS Provider'")


def bands_long(df: pd.DataFrame) -> pd.DataFrame:
    """The weekly bands of :func:`read` as a tidy long table.

    One row per sheet x provider x treatment function x band: ``sheet, period, pathway,
    provider_code, treatment_function_code, band, weeks_from, weeks_to`` (missing for the
    open band) and ``pathways``.

    >>> df = pd.DataFrame({"sheet": ["Provider"], "period": [pd.Timestamp("2025-09-01")],
    ...     "pathway": ["incomplete"], "provider_code": ["RJ1"], "treatment_function_code":
    ...     ["C_999"], "band_000_001": [3.0], "band_001_plus": [1.0]})
    >>> print(bands_long(df)[["weeks_from", "weeks_to", "pathways"]].to_string(index=False))
     weeks_from  weeks_to  pathways
              0       1.0       3.0
              1       NaN       1.0
    """
    ids = ["sheet", "period", "pathway", "provider_code", "treatment_function_code"]
    bands = [c for c in df.columns if c.startswith("band_")]
    long = df[ids + bands].melt(id_vars=ids, var_name="band", value_name="pathways")
    parts = long["band"].str.extract(r"^band_(\d+)_(\d+|plus)$")
    long["weeks_from"] = parts[0].astype(int)
    long["weeks_to"] = pd.to_numeric(parts[1].where(parts[1] != "plus"), errors="coerce")
    order = {b: i for i, b in enumerate(bands)}
    long = long.sort_values(ids[:1] + ids[3:] + ["band"], key=lambda s: s.map(order)
                            if s.name == "band" else s, kind="stable")
    return long[ids + ["band", "weeks_from", "weeks_to", "pathways"]].reset_index(drop=True)


#: panel measure names of the all-functions (C_999) row, by pathway kind
PANEL_MEASURES = {
    "incomplete": {"median_weeks": "rtt_median_weeks", "pct_within_18w": "rtt_pct_within_18w",
                   "total_all": "rtt_waiting_list", "within_18w": "rtt_within_18w",
                   "over_52w": "rtt_over_52w"},
    "completed_non_admitted": {"median_weeks": "rtt_nonadmitted_median_weeks",
                               "pct_within_18w": "rtt_nonadmitted_pct_within_18w",
                               "total_all": "rtt_nonadmitted_completed"},
    "completed_admitted": {"median_weeks": "rtt_admitted_median_weeks",
                           "pct_within_18w": "rtt_admitted_pct_within_18w",
                           "total_all": "rtt_admitted_completed"},
}


def provider_measures(df: pd.DataFrame) -> pd.DataFrame:
    """Panel rows (provider x month) from the ``C_999`` rows of :func:`read`.

    The median is the workbook's own; % within 18 weeks is derived from the bands. The
    measures are named by the pathway kind (:data:`PANEL_MEASURES`): an incomplete-pathways
    workbook gives the waiting-list measures (``rtt_median_weeks`` ...), a completed
    non-admitted one ``rtt_nonadmitted_*``. ``sheet`` is kept (it says the sector).

    >>> df = pd.DataFrame({"sheet": ["IS Provider"], "period": [pd.Timestamp("2025-09-01")],
    ...     "pathway": ["completed_non_admitted"], "provider_code": ["R1G7E"],
    ...     "provider_name": ["SPAMEDICA KENDAL"], "region_code": ["Y62"],
    ...     "treatment_function_code": ["C_999"], "median_weeks": [3.5],
    ...     "pct_within_18w": [99.0], "total_all": [54.0]})
    >>> provider_measures(df).columns.tolist()
    ['provider_code', 'provider_name', 'period', 'sheet', 'rtt_nonadmitted_median_weeks', 'rtt_nonadmitted_pct_within_18w', 'rtt_nonadmitted_completed']
    """
    tot = df[df["treatment_function_code"] == ALL_FUNCTIONS]
    parts = []
    for kind, g in tot.groupby("pathway", sort=False):
        names = PANEL_MEASURES[kind]
        part = g[["provider_code", "provider_name", "period", "sheet", *names]].rename(
            columns=names)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["provider_code", "provider_name", "period", "sheet"])
    out.attrs = dict(df.attrs)
    return out
