"""What every reader of an official file shares: provenance, checks, clear errors.

A reader is a module in :mod:`workbench.data.sources` with a ``read(path, ...)``
function returning a tidy :class:`pandas.DataFrame` in canonical names (identity
columns ``provider_code`` and ``period`` plus measure names from
:mod:`workbench.data.measures`) and the provenance of the file in
``df.attrs["provenance"]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pandas as pd

from workbench.errors import SourceFormatError
from workbench.files import sha256_file


def provenance(source: str, path: str | Path, publisher_url: str,
               periods: Iterable[pd.Timestamp] = (), **extra) -> dict:
    """The provenance record attached to every table a reader returns."""
    path = Path(path)
    ps = sorted({pd.Timestamp(p) for p in periods if pd.notna(p)})
    return {
        "source": source,
        "file": path.name,
        "sha256": sha256_file(path),
        "bytes": path.stat().st_size,
        "periods": [p.strftime("%Y-%m") for p in ps],
        "publisher_url": publisher_url,
        **extra,
    }


def check_file(path: str | Path) -> Path:
    """The path as a :class:`~pathlib.Path`, or a clear error when missing or empty."""
    path = Path(path)
    if not path.exists():
        raise SourceFormatError(path, "file not found", expected="an existing file")
    if path.stat().st_size == 0:
        raise SourceFormatError(path, "file is empty", expected="a non-empty published file")
    return path


def require_columns(df: pd.DataFrame, required: Iterable[str], path: str | Path,
                    sheet: str | None = None) -> None:
    """Raise one :class:`SourceFormatError` naming every missing column."""
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise SourceFormatError(
            path, f"missing column(s) {missing}", column=missing[0], sheet=sheet,
            expected=f"the publisher's columns {list(required)}; found {list(df.columns)[:20]}",
        )


def to_number(s: pd.Series, column: str, path: str | Path, sheet: str | None = None,
              allow: Iterable[str] = ("", "-", "*", ":", "..", "n/a", "N/A")) -> pd.Series:
    """Parse a published numeric column; publisher's blanks/suppression marks become NaN.

    Any other text is an error naming the file, the column and an example row.
    """
    if pd.api.types.is_numeric_dtype(s):
        return s.astype("float64")
    txt = s.astype("string").str.strip().str.replace(",", "", regex=False)
    txt = txt.mask(txt.isin(list(allow)))
    out = pd.to_numeric(txt, errors="coerce")
    bad = out.isna() & txt.notna()
    if bad.any():
        i = bad.idxmax()
        raise SourceFormatError(
            path, f"text {str(s.loc[i])!r} in a numeric column (row {i})", column=column,
            sheet=sheet, expected="numbers (blank or '-' for not published)",
        )
    return out.astype("float64")


def read_csv_text(path: str | Path, **kwargs) -> pd.DataFrame:
    """Read a published CSV in UTF-8 (with or without BOM), falling back to cp1252.

    Publishers' CSVs are sometimes saved from Excel in Windows-1252; both are accepted.
    """
    path = check_file(path)
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return pd.read_csv(path, encoding=enc, **kwargs)
        except UnicodeDecodeError:
            continue
        except pd.errors.EmptyDataError:
            raise SourceFormatError(path, "no data (empty or header-only file)") from None
        except pd.errors.ParserError as exc:
            raise SourceFormatError(path, f"not a well-formed CSV ({exc})") from None
    raise SourceFormatError(path, "cannot be decoded", expected="UTF-8 or Windows-1252 text")


# --- additions: zip members, truncation, month labels, header rows, sheets ------------------

_MONTHS = {m.lower(): i for i, m in enumerate(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September",
     "October", "November", "December"], start=1)}
_MONTHS.update({k[:3]: v for k, v in list(_MONTHS.items())})
_MONTHS["sept"] = 9


def data_member(path: str | Path, suffix: str = ".csv") -> str | None:
    """The name of the one data file inside a published zip, or ``None`` for a plain file.

    Publishers' zips made on a Mac carry ``__MACOSX/`` resource-fork entries and
    ``._name`` files; those are skipped. Anything else than exactly one member ending
    in ``suffix`` is an error naming the zip and its members.

    >>> import tempfile, zipfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.zip"
    >>> with zipfile.ZipFile(p, "w") as z:
    ...     z.writestr("data.csv", "a\\n1\\n"); z.writestr("__MACOSX/._data.csv", "junk")
    >>> data_member(p)
    'data.csv'
    """
    import zipfile

    path = check_file(path)
    if not zipfile.is_zipfile(path):
        if path.suffix.lower() == ".zip":
            raise SourceFormatError(path, "not a readable zip archive (truncated or corrupt?)",
                                    expected=f"a zip holding one {suffix} file")
        return None
    try:
        with zipfile.ZipFile(path) as z:
            names = [i.filename for i in z.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceFormatError(path, f"not a readable zip archive ({exc})",
                                expected=f"a zip holding one {suffix} file") from None
    data = [n for n in names if not n.startswith("__MACOSX/")
            and not Path(n).name.startswith("._") and n.lower().endswith(suffix)]
    if len(data) != 1:
        raise SourceFormatError(path, f"holds {len(data)} {suffix} file(s) {data}; members {names}",
                                expected=f"exactly one {suffix} file (besides __MACOSX/ entries)")
    return data[0]


@contextmanager
def open_binary(path: str | Path, suffix: str = ".csv") -> Iterator[IO[bytes]]:
    """Open a published data file for binary reading: the file itself, or its zip member.

    A context manager; see :func:`data_member` for how the member is chosen.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.csv"; _ = p.write_text("a\\n1\\n")
    >>> with open_binary(p) as fh:
    ...     fh.readline()
    b'a\\n'
    """
    import zipfile

    member = data_member(path, suffix)
    if member is None:
        with open(path, "rb") as fh:
            yield fh
    else:
        with zipfile.ZipFile(path) as z, z.open(member) as fh:
            yield fh


def check_not_truncated(path: str | Path, tail_bytes: int = 64 * 1024) -> None:
    """Raise when the last row of a CSV has fewer fields than its header (a cut-off download).

    A parser fills missing trailing fields with blanks, so a truncated file would
    otherwise read as if the last provider had published nothing.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.csv"; _ = p.write_text("a,b,c\\n1,2,3\\n4,5")
    >>> check_not_truncated(p)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    workbench.errors.SourceFormatError: ...x.csv: truncated file: the last row has 2 field(s) where the header has 3. Expected: a complete download of the published file.
    """
    import csv

    path = check_file(path)
    with open(path, "rb") as fh:
        head = fh.readline()
        size = path.stat().st_size
        fh.seek(max(0, size - tail_bytes))
        tail = fh.read()
    if b"\x00" in head or b"\x00" in tail:
        raise SourceFormatError(path, "holds NUL bytes: binary, or text in UTF-16",
                                expected="a CSV in UTF-8 or Windows-1252 text")
    lines = [ln for ln in tail.splitlines() if ln.strip(b" ,\t")]
    if not lines or not head.strip():
        return
    n_head = len(next(csv.reader([head.decode("latin-1").lstrip("\ufeff")])))
    n_last = len(next(csv.reader([lines[-1].decode("latin-1")])))
    if n_last < n_head:
        raise SourceFormatError(
            path, f"truncated file: the last row has {n_last} field(s) where the header has "
                  f"{n_head}", expected="a complete download of the published file")


def parse_month(value, path: str | Path, column: str | None = None,
                sheet: str | None = None) -> pd.Timestamp:
    """The month start named by a publisher's period label.

    Understands ``MSitAE-APRIL-2025``, ``RTT-April-2026``, ``June 2025``, ``Sept-2017``,
    ``2016-04-01`` and datetimes; anything else is an error naming the file and column.

    >>> parse_month("MSitAE-APRIL-2025", "f.csv")
    Timestamp('2025-04-01 00:00:00')
    >>> parse_month("RTT-April-2026", "f.csv")
    Timestamp('2026-04-01 00:00:00')
    >>> parse_month("June 2025", "f.xlsx")
    Timestamp('2025-06-01 00:00:00')
    """
    import re

    if value is not None and not isinstance(value, str) and pd.notna(value) \
            and hasattr(value, "year") and hasattr(value, "month"):
        return pd.Timestamp(year=value.year, month=value.month, day=1)
    text = "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value).strip()
    m = re.search(r"([A-Za-z]+)[\s\-_/]+(\d{4})\s*$", text)
    if m and m.group(1).lower() in _MONTHS:
        return pd.Timestamp(year=int(m.group(2)), month=_MONTHS[m.group(1).lower()], day=1)
    m = re.fullmatch(r"(\d{4})-(\d{1,2})(?:-\d{1,2})?(?:[ T].*)?", text)
    if m and 1 <= int(m.group(2)) <= 12:
        return pd.Timestamp(year=int(m.group(1)), month=int(m.group(2)), day=1)
    raise SourceFormatError(path, f"period {text!r} is not a month", column=column, sheet=sheet,
                            expected="a month label such as 'RTT-April-2026', "
                                     "'MSitAE-APRIL-2025', 'June 2025' or '2016-04-01'")


def read_sheet(path: str | Path, sheet: str) -> pd.DataFrame:
    """One worksheet of a published workbook as raw cells (no header row taken).

    A missing sheet is an error naming the sheets the workbook has; a file that is
    not a readable workbook (truncated, or a CSV renamed ``.xlsx``) is an error too.
    """
    import zipfile

    path = check_file(path)
    damaged: tuple[type[BaseException], ...] = (ValueError, OSError, KeyError, zipfile.BadZipFile)
    try:
        import xlrd

        damaged += (xlrd.XLRDError,)
    except ImportError:
        pass
    try:
        book = pd.ExcelFile(path)
    except damaged as exc:
        raise SourceFormatError(path, f"not a readable workbook ({type(exc).__name__}: {exc})",
                                sheet=sheet, expected="an .xlsx/.xls workbook") from None
    with book:
        if sheet not in book.sheet_names:
            raise SourceFormatError(path, "sheet not found", sheet=sheet,
                                    expected=f"a sheet named {sheet!r}; the workbook has "
                                             f"{book.sheet_names}")
        return pd.read_excel(book, sheet_name=sheet, header=None)


def find_header_row(raw: pd.DataFrame, labels: Iterable[str], path: str | Path,
                    sheet: str | None = None, max_rows: int = 60) -> int:
    """Position of the first row holding every one of ``labels`` (compared stripped).

    Published workbooks put titles and notes above the table, and the number of
    those rows changes between months, so the header is found, not assumed.

    >>> raw = pd.DataFrame([["Title", None], [None, None], ["Code", "Name"], ["RJ1", "Guy's"]])
    >>> find_header_row(raw, ["Code", "Name"], "f.xlsx")
    2
    """
    labels = [str(x).strip() for x in labels]
    for i in range(min(max_rows, len(raw))):
        cells = {str(v).strip() for v in raw.iloc[i].tolist() if pd.notna(v)}
        if all(lab in cells for lab in labels):
            return i
    raise SourceFormatError(path, f"no header row with {labels} in the first {max_rows} rows",
                            sheet=sheet, column=labels[0],
                            expected="the publisher's table with these column labels")
