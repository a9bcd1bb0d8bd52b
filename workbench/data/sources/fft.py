"""Friends and Family Test (FFT): provider-level monthly workbooks (NHS England).

The published files (``FFT-inpatient-data-June-2025.xlsm``,
``friends-and-family-test-ae-data-june-2025.xlsm``, ...) follow the FFT pipeline templates
(``reference/layouts.md`` section 1). The provider sheet is

* ``Trusts`` (inpatient, A&E), ``Orgs`` (outpatient), ``Trusts Q1`` ... ``Trusts Q4``
  (maternity touchpoints) with the code column ``Trust Code``;
* ``PTS Org`` (ambulance patient transport) with the code column ``Org Code``.

Each has a **two-row header**: row N holds the identifier and total columns (``ICB Code``,
``Trust Code``, ``Trust Name``, ``Total Responses``, ``Total Eligible``, ``Percentage
Positive``, ``Percentage Negative``) and a merged group label ``Breakdown of Responses``;
row N+1 holds the six answer labels ``Very Good, Good, Neither Good nor Poor, Poor, Very Poor,
Don't Know``. Title and filter cells sit above the header (their number differs by
collection), so the header is found by its ``Trust Code`` / ``Org Code`` and ``Total
Responses`` cells. Below it come the England rows, a ``Selection (excluding suppressed
data)`` row, the providers, and a terminating row of ``-``.

Canonical output, one row per provider
--------------------------------------
``provider_code`` (trust/organisation ODS code), ``provider_name``, ``period``,
``fft_responses`` (``Total Responses``), ``fft_positive`` (``Very Good`` + ``Good``; missing
when the answer breakdown is suppressed), ``fft_pct_positive`` (the publisher's
``Percentage Positive`` x 100; stored as a 0-1 decimal in the files), plus ``fft_collection``.

Suppression: ``*`` (fewer than 5 responses, and secondary suppression), ``-`` (percentage not
calculable), ``NA``, ``..``, ``x``, ``c``, ``:`` and blank become missing, and a measure built
from a missing part is missing (``fft_positive`` when ``Very Good`` or ``Good`` is).
England, Selection and terminating rows are dropped, as is the independent-sector
aggregate ``IS1`` (not a provider). The month comes from the file name or ``period=``;
a ``period=`` other than the month the name gives, or a month that has not begun, is an
error. Responses are whole numbers (a fraction is an error naming the row and column).

Completeness: the layout promises an England row above the providers and a terminating
row of ``-`` below them. A sheet without either (a table cut short), or whose providers
(without the ``IS1`` aggregate) report more responses than the England row, raises
:class:`~workbench.errors.SourceIncompleteError`; with ``allow_incomplete=True`` it warns
:class:`~workbench.errors.IncompleteSourceWarning` and returns the providers read. The
England row counts responses of suppressed providers too, so the providers' sum may be
lower than it; it must not be higher. A provider listed twice is an error naming both
rows.

Example
-------
>>> from workbench.data.sources import fft
>>> df = fft.read("FFT-inpatient-data-June-2025.xlsm")  # doctest: +SKIP
>>> df.columns.tolist()  # doctest: +SKIP
['provider_code', 'provider_name', 'period', 'fft_responses', 'fft_positive', 'fft_pct_positive', 'fft_collection']
"""

from __future__ import annotations

import re
import warnings
import zipfile
from pathlib import Path

import pandas as pd

from workbench.data.sources.common import (
    check_duplicates,
    check_file,
    check_periods,
    check_whole_numbers,
    excel_engine,
    find_header_row,
    incomplete,
    parse_month,
    provenance,
    read_sheet,
    require_columns,
    to_number,
)
from workbench.errors import SourceFormatError

PUBLISHER_URL = "https://www.england.nhs.uk/fft/friends-and-family-test-data/"
LIKERT = ["Very Good", "Good", "Neither Good nor Poor", "Poor", "Very Poor", "Don't Know"]
MISSING_MARKS = ("", "-", "*", "NA", "N/A", "n/a", ":", "..", "x", "X", "c", "C")
OUT_COLUMNS = ["provider_code", "provider_name", "period", "fft_responses", "fft_positive",
               "fft_pct_positive", "fft_collection"]

#: collection -> (provider sheets in order of preference, code column, name column,
#:                denominator of Percentage Positive for the consistency check)
COLLECTIONS = {
    "inpatient": (["Trusts"], "Trust Code", "Trust Name", "likert"),
    "ae": (["Trusts"], "Trust Code", "Trust Name", "total"),
    "outpatient": (["Orgs"], "Trust Code", "Trust Name", "total"),
    "maternity": (["Trusts Q2", "Trusts Q1", "Trusts Q3", "Trusts Q4"], "Trust Code",
                  "Trust Name", "likert"),
    "ambulance": (["PTS Org"], "Org Code", "Organisation Name", "likert"),
}
_NAME_HINTS = [("inpatient", r"inpatient|[-_]ip[-_]"), ("ae", r"[-_]a-?(and-)?e[-_]|[-_]ae[-_]"),
               ("outpatient", r"outpatient|[-_]op[-_]"), ("maternity", r"maternity|[-_]mat[-_]"),
               ("ambulance", r"ambulance|[-_]amb[-_]|[-_]pts[-_]")]
CODE = re.compile(r"^[A-Z0-9]{3,6}$")


def collection_of(path: str | Path) -> str | None:
    """The FFT collection a file name refers to, or ``None``.

    >>> collection_of("friends-and-family-test-inpatient-data-june-2025.xlsm")
    'inpatient'
    >>> collection_of("FFT-ae-data-June-2025.xlsm")
    'ae'
    """
    name = "-" + Path(path).name.lower() + "-"
    for coll, pattern in _NAME_HINTS:
        if re.search(pattern, name):
            return coll
    return None


def period_of(path: str | Path) -> pd.Timestamp:
    """The month a file name refers to (``...-June-2025.xlsm``).

    >>> period_of("FFT-inpatient-data-June-2025.xlsm").strftime("%Y-%m")
    '2025-06'
    """
    stem = re.sub(r"\.(xlsm|xlsx|xls)$", "", Path(path).name, flags=re.IGNORECASE)
    m = re.search(r"([A-Za-z]+)[-_ ]+(\d{4})", stem)
    return parse_month(f"{m.group(1)} {m.group(2)}" if m else stem, path)


def _columns(raw: pd.DataFrame, hr: int) -> list[str]:
    top = raw.iloc[hr].tolist()
    below = raw.iloc[hr + 1].tolist() if hr + 1 < len(raw) else [None] * len(top)
    names = []
    for t, b in zip(top, below):
        t = str(t).strip() if pd.notna(t) else ""
        b = str(b).strip() if pd.notna(b) else ""
        names.append(b if b and (not t or t in ("Breakdown of Responses", "Mode of Collection",
                                                "Response Mode")) else t)
    return names


def _check_complete(body: pd.DataFrame, code: pd.Series, path: Path, sheet: str,
                    code_col: str, allow_incomplete: bool) -> None:
    """The England row and the terminating ``-`` row are there; providers <= England."""
    text = body.apply(lambda col: col.astype("string").str.strip().str.lower())
    england = text.apply(lambda col: col.str.startswith("england").fillna(False)).any(axis=1)
    is_code = code.str.fullmatch(CODE.pattern).fillna(False).astype(bool)
    last = is_code[is_code].index.max() if is_code.any() else None
    after = body.index > last if last is not None else body.index >= body.index.min()
    ends = ((code == "-") & after).any()
    if not england.any():
        incomplete(path, "no England row above the providers", allow_incomplete=allow_incomplete,
                   sheet=sheet, column=code_col, stacklevel=4,
                   expected="the publisher's England totals row(s) under the header")
    if not ends:
        incomplete(path, "no terminating '-' row after the providers: the table is cut short",
                   allow_incomplete=allow_incomplete, sheet=sheet, column=code_col,
                   stacklevel=4, expected="the publisher's terminating row of '-'")
    if england.any() and is_code.any():
        eng = to_number(body.loc[england, "Total Responses"], "Total Responses", path,
                        sheet=sheet, allow=MISSING_MARKS).max()
        providers = is_code & (code != "IS1")  # IS1 aggregates the independent providers
        summed = to_number(body.loc[providers, "Total Responses"], "Total Responses", path,
                           sheet=sheet, allow=MISSING_MARKS).sum()
        if pd.notna(eng) and summed > eng + 0.5:
            incomplete(path, f"the providers report {summed:,.0f} responses, more than the "
                             f"England row's {eng:,.0f}", allow_incomplete=allow_incomplete,
                       sheet=sheet, column="Total Responses", stacklevel=4,
                       expected="providers that add up to at most the England total")


def read(path: str | Path, period=None, collection: str | None = None,
         sheet: str | None = None, *, allow_incomplete: bool = False) -> pd.DataFrame:
    """Provider-level FFT counts and % positive from one published monthly workbook.

    ``collection`` (``inpatient``, ``ae``, ``outpatient``, ``maternity``, ``ambulance``) and
    ``period`` default to what the file name says; ``sheet`` to the collection's provider
    sheet. Bad input raises one :class:`~workbench.errors.SourceFormatError` naming the
    file, sheet and column.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "FFT-inpatient-data-June-2025.xlsx"
    >>> head = ["ICB Code", "Trust Code", "Trust Name", "Total Responses", "Total Eligible",
    ...         "Percentage Positive", "Percentage Negative", "Breakdown of Responses"]
    >>> rows = [["Show data for:"], head, [None] * 7 + LIKERT,
    ...         ["England (including Independent Sector Providers)", None, None, 120],
    ...         ["QKK", "RJ1", "GUY'S", 100, 400, 0.9, 0.05, 60, 30, 5, 3, 2, 0], ["-"] * 13]
    >>> with pd.ExcelWriter(p) as w:
    ...     pd.DataFrame(rows).to_excel(w, sheet_name="Trusts", index=False, header=False)
    >>> out = read(p)
    >>> out.loc[0, "provider_code"], float(out.loc[0, "fft_positive"]), float(out.loc[0, "fft_pct_positive"])
    ('RJ1', 90.0, 90.0)
    """
    path = check_file(path)
    coll = collection or collection_of(path)
    if coll not in COLLECTIONS:
        raise SourceFormatError(path, f"FFT collection {coll!r} not known",
                                expected=f"a file name naming one of {list(COLLECTIONS)} or "
                                         "collection=...")
    sheets, code_col, name_col, denom = COLLECTIONS[coll]
    when = (pd.Timestamp(str(period)).to_period("M").to_timestamp() if period is not None
            else period_of(path))
    if sheet is None:
        try:
            with pd.ExcelFile(path, engine=excel_engine(path)) as book:
                names = book.sheet_names
        except (ValueError, OSError, KeyError, zipfile.BadZipFile) as exc:
            raise SourceFormatError(path, f"not a readable workbook ({type(exc).__name__}: "
                                    f"{exc})", sheet=sheets[0],
                                    expected="the published FFT .xlsm/.xlsx") from None
        sheet = next((s for s in sheets if s in names), sheets[0])
    check_periods([when], path, sheet=sheet, column="period")
    raw = read_sheet(path, sheet)
    if raw.dropna(how="all").empty:
        raise SourceFormatError(path, "sheet is empty", sheet=sheet,
                                expected=f"the FFT provider table with {code_col!r}")
    hr = find_header_row(raw, [code_col, "Total Responses"], path, sheet=sheet)
    cols = _columns(raw, hr)
    body = raw.iloc[hr + 2:].copy()
    body.columns = cols
    required = [code_col, name_col, "Total Responses", "Percentage Positive", *LIKERT]
    require_columns(body, required, path, sheet=sheet)
    code = body[code_col].astype("string").str.strip().str.upper()
    listed = code.str.fullmatch(CODE.pattern).fillna(False).astype(bool).to_numpy()
    check_duplicates(pd.DataFrame({"code": code[listed]}), ["code"], path,
                     rows=body.index[listed] + 1, sheet=sheet, names={"code": code_col})
    _check_complete(body, code, path, sheet, code_col, allow_incomplete)
    blank = code.isna() | code.isin(["", "-"])
    odd = ~blank & ~code.str.fullmatch(CODE.pattern).fillna(False)
    if odd.any():
        i = odd.idxmax()
        raise SourceFormatError(path, f"value {body.loc[i, code_col]!r} (row {i + 1})",
                                column=code_col, sheet=sheet, expected="an ODS code")
    body = body[~blank & (code != "IS1")]
    if body.empty:
        raise SourceFormatError(path, "no provider rows under the header", sheet=sheet,
                                column=code_col, expected="one row per provider")

    def num(c):
        return to_number(body[c], c, path, sheet=sheet, allow=MISSING_MARKS)

    likert = {c: num(c) for c in LIKERT}
    responses = num("Total Responses")
    check_whole_numbers(pd.DataFrame({**likert, "Total Responses": responses}),
                        [*LIKERT, "Total Responses"], path, rows=body.index + 1, sheet=sheet)
    pct = num("Percentage Positive")
    if not (pct > 1.0 + 1e-9).any():  # published as 0-1 decimals (an older copy may hold %)
        pct = pct * 100.0
    positive = likert["Very Good"] + likert["Good"]
    out = pd.DataFrame({
        "provider_code": code[body.index].astype(str),
        "provider_name": body[name_col].astype("string").str.strip(),
        "period": when,
        "fft_responses": responses,
        "fft_positive": positive,
        "fft_pct_positive": pct,
        "fft_collection": coll,
    })
    if (out[["fft_responses", "fft_positive"]] < 0).any().any() or (pct > 100).any():
        col = "Percentage Positive" if (pct > 100).any() else "Total Responses"
        raise SourceFormatError(path, "values out of range", column=col, sheet=sheet,
                                expected="counts >= 0 and percentages 0-1")
    base = (sum(likert.values()) if denom == "likert" else responses)
    check = (100.0 * positive / base.where(base > 0)) - pct
    n_off = int((check.abs() > 0.5).sum())
    if n_off:
        warnings.warn(f"{path.name} ({sheet}): {n_off} provider(s) whose 'Percentage Positive' "
                      "differs from (Very Good + Good) / responses by more than 0.5 points",
                      stacklevel=2)
    check_duplicates(out, ["provider_code"], path, rows=body.index + 1, sheet=sheet,
                     names={"provider_code": code_col})
    out = out[OUT_COLUMNS].reset_index(drop=True)
    out.attrs["provenance"] = provenance(
        "fft", path, PUBLISHER_URL, [when], collection=coll, sheet=sheet, header_row=hr + 1,
        n_providers=len(out), england_responses=float(out["fft_responses"].sum()),
        pct_positive_mismatches=n_off)
    return out
