"""What every reader of an official file shares: provenance, checks, clear errors.

A reader is a module in :mod:`workbench.data.sources` with a ``read(path, ...)``
function returning a tidy :class:`pandas.DataFrame` in canonical names (identity
columns ``provider_code`` and ``period`` plus measure names from
:mod:`workbench.data.measures`) and the provenance of the file in
``df.attrs["provenance"]``. A reader of an official file that lives outside this package
(:func:`workbench.data.rtt_flows.from_extract`) uses the same checks.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pandas as pd

from workbench.errors import IncompleteSourceWarning, SourceFormatError, SourceIncompleteError
from workbench.files import sha256_file

#: Publishers' marks for a value that is not published (suppressed, not applicable, not
#: collected); they read as missing (NaN). Blank and whitespace-only cells too.
MISSING_MARKS: tuple[str, ...] = ("", "-", "*", "..", "x", "X", "c", "C", ":", "n/a", "N/A")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

# --- reading limits: junk fails early, in bounded memory ------------------------------------

#: Largest data file a reader accepts, in bytes once unpacked (a plain file's size, a zip
#: member's declared size, the bytes streamed from a compressed file). Override with the
#: environment variable ``WORKBENCH_MAX_UNPACKED_BYTES`` or by setting this constant.
MAX_UNPACKED_BYTES: int = 512 << 20
#: Largest ratio of unpacked to packed size of a zip member (a "zip bomb" packs a gigabyte
#: of zeros into a megabyte, about 1000:1; published CSVs and workbooks pack 5-30:1).
#: Override with ``WORKBENCH_MAX_COMPRESSION_RATIO``.
MAX_COMPRESSION_RATIO: float = 200.0
#: Longest line of a text file, in bytes (the widest published row is a few kilobytes).
#: Override with ``WORKBENCH_MAX_LINE_BYTES``.
MAX_LINE_BYTES: int = 1 << 20
_LIMIT_ENV = {"MAX_UNPACKED_BYTES": "WORKBENCH_MAX_UNPACKED_BYTES",
              "MAX_COMPRESSION_RATIO": "WORKBENCH_MAX_COMPRESSION_RATIO",
              "MAX_LINE_BYTES": "WORKBENCH_MAX_LINE_BYTES"}


def reading_limit(name: str) -> float:
    """The reading limit ``name`` in force: its environment variable, else the module constant.

    ``name`` is ``"MAX_UNPACKED_BYTES"``, ``"MAX_COMPRESSION_RATIO"`` or ``"MAX_LINE_BYTES"``
    (see :data:`MAX_UNPACKED_BYTES`); the variable is ``WORKBENCH_`` + ``name``.

    >>> reading_limit("MAX_COMPRESSION_RATIO") > 1
    True
    """
    import os

    if name not in _LIMIT_ENV:
        raise SourceFormatError("<limits>", f"no reading limit {name!r}",
                                expected=f"one of {sorted(_LIMIT_ENV)}")
    text = os.environ.get(_LIMIT_ENV[name], "").strip()
    if not text:
        return globals()[name]
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise SourceFormatError(f"${_LIMIT_ENV[name]}", f"value {text!r} is not a positive number",
                                expected=f"a positive number (default {globals()[name]})")
    return value


def _too_big(path, what: str, size: float, limit_name: str, unit: str = "bytes"):
    limit = reading_limit(limit_name)
    shown = f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.0f}:1"
    cap = f"{limit:,.0f} {unit}" if unit == "bytes" else f"{limit:,.0f}:1"
    return SourceFormatError(
        path, f"{what} is {shown}, over the reading limit of {cap} ({limit_name})",
        expected=f"a published file within the limit; if this file is genuine, raise the limit "
                 f"with the environment variable {_LIMIT_ENV[limit_name]} "
                 "(see docs/data_sources.md, 'Reading limits')")


def check_member(path: str | Path, info) -> None:
    """Refuse a zip member whose declared unpacked size or compression ratio is over the limits.

    ``info`` is the member's :class:`zipfile.ZipInfo`. The zip module stops reading a
    member at its declared size (a member that holds more fails its checksum), so the
    declared size bounds what is read.

    >>> import zipfile
    >>> info = zipfile.ZipInfo("x.csv"); info.file_size, info.compress_size = 10 << 30, 10 << 20
    >>> check_member("x.zip", info)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    workbench.errors.SourceFormatError: x.zip: member 'x.csv': its unpacked size is 10,737,418,240 bytes, over the reading limit ...
    """
    if info.file_size > reading_limit("MAX_UNPACKED_BYTES"):
        raise _too_big(path, f"member {info.filename!r}: its unpacked size", info.file_size,
                       "MAX_UNPACKED_BYTES")
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > (1 << 20) and ratio > reading_limit("MAX_COMPRESSION_RATIO"):
        raise _too_big(path, f"member {info.filename!r}: its compression ratio", ratio,
                       "MAX_COMPRESSION_RATIO", unit="ratio")


def check_archive(path: str | Path) -> None:
    """Check every member of a zip (or a zip-based workbook such as .xlsx) with :func:`check_member`.

    A file that is not a zip is left alone.
    """
    import zipfile

    if not zipfile.is_zipfile(path):
        return
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError):
        return  # the reader reports an unreadable archive in its own words
    for info in infos:
        check_member(path, info)
    total = sum(i.file_size for i in infos)
    if total > reading_limit("MAX_UNPACKED_BYTES"):
        raise _too_big(path, "the archive's unpacked size", total, "MAX_UNPACKED_BYTES")


class BoundedReader(io.RawIOBase):
    r"""A binary stream that refuses lines longer than ``MAX_LINE_BYTES`` and more bytes than
    ``MAX_UNPACKED_BYTES`` while it is read, so that junk fails before it fills memory.

    >>> r = BoundedReader(io.BytesIO(b"a,b\n" + b"x" * 50), "f.csv", max_line=10)
    >>> r.readline()
    b'a,b\n'
    >>> r.read(100)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    workbench.errors.SourceFormatError: f.csv: line 2 is longer than 10 bytes (MAX_LINE_BYTES)...
    """

    def __init__(self, raw: IO[bytes], path: str | Path, *, max_line: float | None = None,
                 max_bytes: float | None = None):
        self._raw, self._path = raw, path
        self._max_line = int(max_line or reading_limit("MAX_LINE_BYTES"))
        self._max_bytes = int(max_bytes or reading_limit("MAX_UNPACKED_BYTES"))
        self._run = 0  # bytes since the last line end
        self._lines = 1
        self._total = 0

    def readable(self) -> bool:
        """Always True: the stream is read, never written."""
        return True

    def _long_line(self):
        return SourceFormatError(
            self._path, f"line {self._lines} is longer than {self._max_line:,} bytes "
            "(MAX_LINE_BYTES): not a text table, or a file without line ends",
            expected="a CSV with one row per line; if this file is genuine, raise the limit with "
                     "the environment variable WORKBENCH_MAX_LINE_BYTES (see "
                     "docs/data_sources.md, 'Reading limits')")

    def _seen(self, data: bytes) -> bytes:
        import numpy as np

        self._total += len(data)
        if self._total > self._max_bytes:
            raise _too_big(self._path, "the unpacked data", self._total, "MAX_UNPACKED_BYTES")
        if not data:
            return data
        ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
        if len(ends) == 0:
            self._run += len(data)
            if self._run > self._max_line:
                raise self._long_line()
            return data
        first = self._run + int(ends[0])
        longest = int(np.diff(ends).max()) - 1 if len(ends) > 1 else 0
        if first > self._max_line:
            raise self._long_line()
        if longest > self._max_line:
            self._lines += int(np.argmax(np.diff(ends) - 1 > self._max_line)) + 1
            raise self._long_line()
        self._lines += len(ends)
        self._run = len(data) - int(ends[-1]) - 1
        if self._run > self._max_line:
            raise self._long_line()
        return data

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all that is left when ``size`` is -1), checked as they pass."""
        if size is None or size < 0:
            chunks = []
            while chunk := self.read(1 << 20):
                chunks.append(chunk)
            return b"".join(chunks)
        return self._seen(self._raw.read(size))

    def readinto(self, b) -> int:
        """Read into the buffer ``b`` (as :meth:`read`); the number of bytes read."""
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def readline(self, size: int = -1) -> bytes:
        """The next line, read no further than the line limit allows (then refused)."""
        cap = self._max_line - self._run + 2
        line = self._raw.readline(cap if size is None or size < 0 else min(size, cap))
        return self._seen(line)


def check_lines(path: str | Path, suffix: str = ".csv") -> None:
    r"""Stream a text file (plain, zipped or gzipped) once, refusing over-long lines or size.

    Memory stays within a few megabytes whatever the file holds.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.csv"; _ = p.write_text("a,b\n1,2\n")
    >>> check_lines(p)
    """
    import gzip

    path = Path(path)
    if path.name.lower().endswith(".gz"):
        with gzip.open(path, "rb") as raw:
            fh = BoundedReader(raw, path)
            while fh.read(1 << 20):
                pass
        return
    with open_binary(path, suffix) as fh:
        while fh.read(1 << 20):
            pass


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
    if path.stat().st_size > reading_limit("MAX_UNPACKED_BYTES"):
        raise _too_big(path, "its size", path.stat().st_size, "MAX_UNPACKED_BYTES")
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
              allow: Iterable[str] = MISSING_MARKS) -> pd.Series:
    """Parse a published numeric column; blanks and suppression marks become NaN.

    The marks are :data:`MISSING_MARKS` (``*``, ``-``, ``..``, ``x``, ``c``, ``:``,
    blank). Thousands separators (``"1,234"``, ``"12,345.5"``) are read as numbers; a
    comma anywhere else (``"1,2"``) is an error. Any other text is an error naming the
    file, the column and an example row.

    >>> to_number(pd.Series(["1,234", "*", " ", "7", "c"]), "n", "f.csv").tolist()
    [1234.0, nan, nan, 7.0, nan]
    """
    if pd.api.types.is_numeric_dtype(s):
        return s.astype("float64")
    txt = s.astype("string").str.strip()
    txt = txt.mask(txt.isin(list(allow)))
    sep = txt.str.fullmatch(_THOUSANDS.pattern).fillna(False).astype(bool)
    if sep.any():
        txt = txt.where(~sep, txt.str.replace(",", "", regex=False))
    out = pd.to_numeric(txt, errors="coerce")
    bad = out.isna() & txt.notna()
    if bad.any():
        i = bad.idxmax()
        raise SourceFormatError(
            path, f"text {str(s.loc[i])!r} in a numeric column (row {i})", column=column,
            sheet=sheet, expected="numbers (blank or '-' for not published)",
        )
    return out.astype("float64")


def incomplete(path: str | Path, problem: str, *, allow_incomplete: bool,
               column: str | None = None, sheet: str | None = None,
               expected: str | None = None, stacklevel: int = 3) -> None:
    """Raise :class:`SourceIncompleteError`, or warn with the same message when allowed.

    With ``allow_incomplete=True`` the message goes out as an
    :class:`~workbench.errors.IncompleteSourceWarning` and the reader carries on with
    what it read.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     incomplete("f.csv", "no totals row", allow_incomplete=True, column="Org Code")
    >>> str(w[0].message)
    "f.csv (column 'Org Code'): no totals row."
    """
    err = SourceIncompleteError(path, problem, column=column, sheet=sheet, expected=expected)
    if not allow_incomplete:
        raise err
    warnings.warn(IncompleteSourceWarning(str(err)), stacklevel=stacklevel)


def check_duplicates(df: pd.DataFrame, key: Sequence[str], path: str | Path, *,
                     rows: pd.Series | Sequence[int] | None = None,
                     names: dict[str, str] | None = None, column: str | None = None,
                     sheet: str | None = None, what: str = "row") -> None:
    """Raise :class:`SourceFormatError` when two rows share a key, naming rows and key.

    ``rows`` are the rows' numbers in the file (as a user would find them: the line of
    a CSV, the row of a worksheet), aligned with ``df``; ``names`` maps key columns to
    the publisher's column names used in the message.

    >>> df = pd.DataFrame({"provider_code": ["RJ1", "RJ1"], "period": ["2025-06"] * 2})
    >>> check_duplicates(df, ["provider_code", "period"], "f.csv", rows=[2, 3])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    workbench.errors.SourceFormatError: f.csv (column 'provider_code'): duplicate rows 2, 3 with the same key provider_code='RJ1', period='2025-06'. Expected: one row per provider_code x period.
    """
    key = list(key)
    dup = df.duplicated(key, keep=False).to_numpy()
    if not dup.any():
        return
    names = names or {}
    numbers = pd.Series(list(rows) if rows is not None else range(len(df)), index=df.index)
    first = df.loc[dup, key].iloc[0]
    same = (df[key] == first).all(axis=1).to_numpy() & dup
    at = ", ".join(str(int(n)) for n in numbers[same].tolist()[:10])
    n_more = int(dup.sum()) - int(same.sum())
    more = f" (and {n_more} more duplicated {what}s)" if n_more else ""
    shown = ", ".join(f"{names.get(k, k)}={_show(first[k])!r}" for k in key)
    raise SourceFormatError(
        path, f"duplicate {what}s {at} with the same key {shown}{more}",
        column=column or names.get(key[0], key[0]), sheet=sheet,
        expected=f"one {what} per {' x '.join(names.get(k, k) for k in key)}")


def _show(value):
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m")
    return str(value)


def csv_encoding(path: str | Path, head: bytes | None = None) -> str | None:
    """``"utf-16"`` for a file opening with a UTF-16 byte-order mark, else ``None``.

    UTF-16 without a byte-order mark (or other binary content: NUL bytes) is an error
    naming the file and the encoding.
    """
    if head is None:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    if head.startswith(_UTF16_BOMS):
        return "utf-16"
    if b"\x00" in head:
        raise SourceFormatError(path, "holds NUL bytes: binary, or UTF-16 text without a "
                                "byte-order mark", expected="a CSV in UTF-8, Windows-1252 or "
                                "UTF-16 with a byte-order mark")
    return None


def read_csv_text(path: str | Path, *, cut_last: bool = False, **kwargs) -> pd.DataFrame:
    r"""Read a published CSV in UTF-8 (with or without BOM), falling back to cp1252.

    Publishers' CSVs are sometimes saved from Excel in Windows-1252; both are accepted,
    and so is UTF-16 with a byte-order mark (Excel's "Unicode text"). ``cut_last``
    leaves out the file's last line (a row cut short, see :func:`check_not_truncated`).

    The file is read once: pandas parses the stream that checks the reading limits
    (:class:`BoundedReader`: line length, unpacked size) as it passes, so junk fails
    in bounded memory without a separate pass over the file. A file that is not UTF-8
    is streamed a second time, as Windows-1252.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> _ = p.write_bytes("code,name\nR1,Caf\xe9\n".encode("cp1252"))
    >>> read_csv_text(p, dtype=str).to_dict("records")
    [{'code': 'R1', 'name': 'Café'}]
    """
    import gzip

    path = check_file(path)
    if kwargs.get("compression") is not None:  # the caller's own decompression: check first
        check_lines(path)
    compressed = kwargs.get("compression") is not None or path.name.endswith((".gz", ".zip"))
    encodings: tuple[str, ...] = ("utf-8-sig", "cp1252")
    data: bytes | None = None
    utf16 = not compressed and csv_encoding(path) == "utf-16"
    if utf16:
        encodings = ("utf-16",)
    if cut_last and not compressed:
        with open_binary(path) as fh:
            data = fh.read()
        if utf16:
            data, encodings = data.decode("utf-16").encode("utf-8"), ("utf-8",)
        body = data.rstrip(b"\r\n")
        data = body[: body.rfind(b"\n") + 1]

    @contextmanager
    def stream() -> Iterator[IO[bytes] | Path]:
        if data is not None:
            yield io.BytesIO(data)
        elif kwargs.get("compression") is not None:
            yield path
        elif path.name.lower().endswith(".gz"):
            with gzip.open(path, "rb") as raw:
                yield BoundedReader(raw, path)
        else:
            with open_binary(path) as fh:  # a plain file, or the one CSV of a zip
                yield fh

    for enc in encodings:
        try:
            with stream() as source:
                return pd.read_csv(source, encoding=enc, **kwargs)
        except UnicodeError:
            continue
        except pd.errors.EmptyDataError:
            raise SourceFormatError(path, "no data (empty or header-only file)",
                                    expected="the publisher's header and rows") from None
        except pd.errors.ParserError as exc:
            if "EOF" in str(exc):
                raise SourceIncompleteError(path, f"the file ends inside a quoted field ({exc})",
                                            expected="a complete download of the published "
                                                     "file") from None
            raise SourceFormatError(path, f"not a well-formed CSV ({exc})",
                                    expected="the publisher's CSV layout") from None
    raise SourceFormatError(path, f"cannot be decoded as {' or '.join(encodings)}",
                            expected="UTF-8, Windows-1252 or UTF-16 (with BOM) text")


# --- additions: zip members, truncation, month labels, header rows, sheets ------------------

_MONTHS = {m.lower(): i for i, m in enumerate(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September",
     "October", "November", "December"], start=1)}
_MONTHS.update({k[:3]: v for k, v in list(_MONTHS.items())})
_MONTHS["sept"] = 9


def read_zip_csv(path: str | Path, member: str) -> pd.DataFrame:
    r"""The CSV ``member`` of the zip ``path`` as text columns, within the reading limits.

    The member is checked before it is unpacked (:func:`check_member`), then read as
    UTF-8 (with or without a byte-order mark) or, failing that, Windows-1252. An empty or
    malformed table is an error naming the zip and the member.

    >>> import tempfile, zipfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.zip"
    >>> with zipfile.ZipFile(p, "w") as z:
    ...     z.writestr("t.csv", "code,n\nR1,3\n")
    >>> read_zip_csv(p, "t.csv").to_dict("records")
    [{'code': 'R1', 'n': '3'}]
    """
    import zipfile

    with zipfile.ZipFile(path) as z:
        check_member(path, z.getinfo(member))
        data = z.read(member)
    label = f"{path}!{member}"
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding=enc)
        except UnicodeError:
            continue
        except pd.errors.EmptyDataError:
            raise SourceFormatError(label, "no data (empty or header-only table)",
                                    expected="the publisher's header and rows") from None
        except pd.errors.ParserError as exc:
            raise SourceFormatError(label, f"not a well-formed CSV ({exc})",
                                    expected="the publisher's CSV layout") from None
    raise SourceFormatError(label, "cannot be decoded as UTF-8 or Windows-1252",
                            expected="UTF-8 or Windows-1252 text")


def data_member(path: str | Path, suffix: str = ".csv") -> str | None:
    r"""The name of the one data file inside a published zip, or ``None`` for a plain file.

    Publishers' zips made on a Mac carry ``__MACOSX/`` resource-fork entries and
    ``._name`` files; those are skipped. Anything else than exactly one member ending
    in ``suffix`` is an error naming the zip and its members.

    >>> import tempfile, zipfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.zip"
    >>> with zipfile.ZipFile(p, "w") as z:
    ...     z.writestr("data.csv", "a\n1\n"); z.writestr("__MACOSX/._data.csv", "junk")
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
            infos = {i.filename: i for i in z.infolist() if not i.is_dir()}
            names = list(infos)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceFormatError(path, f"not a readable zip archive ({exc})",
                                expected=f"a zip holding one {suffix} file") from None
    unsafe = [n for n in names if n.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", n)
              or ".." in re.split(r"[/\\]", n)]
    if unsafe:
        raise SourceFormatError(path, f"member {unsafe[0]!r} has a path outside the archive",
                                expected="a published zip whose members have plain relative "
                                         "names (no '../' or absolute paths)")
    data = [n for n in names if not n.startswith("__MACOSX/")
            and not Path(n).name.startswith("._") and n.lower().endswith(suffix)]
    if len(data) != 1:
        raise SourceFormatError(path, f"holds {len(data)} {suffix} file(s) {data}; members {names}",
                                expected=f"exactly one {suffix} file (besides __MACOSX/ entries)")
    check_member(path, infos[data[0]])
    return data[0]


@contextmanager
def open_binary(path: str | Path, suffix: str = ".csv") -> Iterator[IO[bytes]]:
    r"""Open a published data file for binary reading: the file itself, or its zip member.

    A context manager; see :func:`data_member` for how the member is chosen.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.csv"; _ = p.write_text("a\n1\n")
    >>> with open_binary(p) as fh:
    ...     fh.readline()
    b'a\n'
    """
    import zipfile

    member = data_member(path, suffix)
    if member is None:
        with open(path, "rb") as fh:
            yield BoundedReader(fh, path)
    else:
        with zipfile.ZipFile(path) as z, z.open(member) as fh:
            yield BoundedReader(fh, path)


@contextmanager
def open_utf8(path: str | Path, suffix: str = ".csv") -> Iterator[IO[bytes]]:
    r"""Like :func:`open_binary`, but a UTF-16 file (with BOM) is given as UTF-8 bytes.

    UTF-8 and Windows-1252 files are passed through unchanged (byte-level screens
    work on them directly); a UTF-16 file is decoded whole and re-encoded.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.csv"; _ = p.write_text("a\n1\n", encoding="utf-16")
    >>> with open_utf8(p) as fh:
    ...     fh.read()
    b'a\n1\n'
    """
    with open_binary(path, suffix) as fh:
        head = fh.read(4096)
        if csv_encoding(path, head) == "utf-16":
            try:
                text = (head + fh.read()).decode("utf-16")
            except UnicodeDecodeError as exc:
                raise SourceFormatError(path, f"cannot be decoded as UTF-16 ({exc.reason} at "
                                        f"byte {exc.start})",
                                        expected="complete UTF-16 text") from None
            yield io.BytesIO(text.encode("utf-8"))
            return
    with open_binary(path, suffix) as fh:
        yield fh


def check_not_truncated(path: str | Path, tail_bytes: int = 64 * 1024, *,
                        allow_incomplete: bool = False) -> bool:
    r"""Raise when the last row of a CSV has fewer fields than its header (a cut-off download).

    A parser fills missing trailing fields with blanks, so a truncated file would
    otherwise read as if the last provider had published nothing. With
    ``allow_incomplete=True`` the problem is warned about instead and ``True`` is
    returned: the caller then drops the cut row. ``False`` means the last row is whole.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.csv"; _ = p.write_text("a,b,c\n1,2,3\n4,5")
    >>> check_not_truncated(p)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    workbench.errors.SourceIncompleteError: ...x.csv: truncated file: the last row (line 3) has 2 field(s) where the header has 3. Expected: a complete download of the published file.
    """
    import csv

    path = check_file(path)
    with open(path, "rb") as fh:
        head_block = fh.read(4096)
        size = path.stat().st_size
        fh.seek(max(0, size - tail_bytes))
        tail = fh.read()
    if csv_encoding(path, head_block) == "utf-16":
        text = path.read_bytes().decode("utf-16", errors="replace").lstrip("\ufeff")
        head_text = text.split("\n", 1)[0]
        tail_text, n_lines = text, text.count("\n")
        offset_lines = 0
    else:
        head_text = head_block.split(b"\n", 1)[0].decode("latin-1").lstrip("\ufeff")
        if b"\x00" in tail:
            raise SourceFormatError(path, "holds NUL bytes: binary, or text in UTF-16",
                                    expected="a CSV in UTF-8, Windows-1252 or UTF-16 text")
        tail_text = tail.decode("latin-1")
        n_lines = None  # counted only to name the line of a cut row (a pass over the file)
        offset_lines = 0
    lines = [ln for ln in tail_text.splitlines() if ln.strip(" ,\t\r")]
    if not lines or not head_text.strip():
        return False
    n_head = len(next(csv.reader([head_text])))
    n_last = len(next(csv.reader([lines[-1]])))
    try:
        next(csv.reader([lines[-1]], strict=True))
        open_quote = False
    except csv.Error as exc:  # the file ends inside a quoted field
        open_quote = "unexpected end of data" in str(exc)
    if n_last < n_head or open_quote:
        if n_lines is None:
            with open(path, "rb") as fh:
                n_lines = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
        line_no = n_lines + (0 if tail_text.endswith("\n") else 1) + offset_lines
        what = ("ends inside a quoted field" if open_quote and n_last >= n_head
                else f"has {n_last} field(s) where the header has {n_head}")
        incomplete(path, f"truncated file: the last row (line {line_no}) {what}",
                   allow_incomplete=allow_incomplete,
                   expected="a complete download of the published file")
        return True
    return False


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


_NAMED_MONTH = r"(?i)(?<![A-Za-z])([A-Za-z]{3,9})[-_ ]?((?:19|20)\d\d)(?!\d)"
_NAMED_MONTH_YY = r"(?i)(?<![A-Za-z])([A-Za-z]{3,9})[-_ ]?(\d\d)(?!\d)"
_NAMED_MONTH_NUMERIC = r"(?<!\d)((?:19|20)\d\d)[-_](0[1-9]|1[0-2])(?![\d])"


def months_in_name(path: str | Path, *, numeric: bool = False) -> list[pd.Timestamp]:
    """The months a published file's name announces, in order (``[]`` when it names none).

    A month name with a four-digit year (``Monthly-AE-June-2025.csv``); failing that, with
    a two-digit year as some publishers write it (``NonAdmitted-Provider-Sep25.xlsx``,
    ``ftt-summary-apr-26.xlsx``); with ``numeric=True`` also ``YYYY-MM``
    (``nhs_sickness_absence_2024-04.csv``).

    >>> months_in_name("hchs-staff-september-2017-and-june-2018.xlsx")
    [Timestamp('2017-09-01 00:00:00'), Timestamp('2018-06-01 00:00:00')]
    >>> months_in_name("NonAdmitted-Provider-Sep25-XLSX-4M-87700.xlsx")
    [Timestamp('2025-09-01 00:00:00')]
    >>> months_in_name("nhs_sickness_absence_2024-04.csv", numeric=True)
    [Timestamp('2024-04-01 00:00:00')]
    """
    name = Path(path).name
    found = {(int(y), _MONTHS[m.lower()]) for m, y in re.findall(_NAMED_MONTH, name)
             if m.lower() in _MONTHS}
    if not found:
        found = {(2000 + int(y), _MONTHS[m.lower()]) for m, y in re.findall(_NAMED_MONTH_YY, name)
                 if m.lower() in _MONTHS}
    if not found and numeric:
        found = {(int(y), int(m)) for y, m in re.findall(_NAMED_MONTH_NUMERIC, name)}
    return [pd.Timestamp(year=y, month=m, day=1) for y, m in sorted(found)]


def month_in_name(path: str | Path) -> pd.Timestamp | None:
    """The month a published file's name announces (``Monthly-AE-June-2025.csv``), or ``None``.

    ``None`` too when the name announces several months (see :func:`months_in_name`).

    >>> month_in_name("Monthly-AE-June-2025-1-1.csv"), month_in_name("ae.csv")
    (Timestamp('2025-06-01 00:00:00'), None)
    >>> month_in_name("20260430-RTT-April-2026-full-extract.csv.zip")
    Timestamp('2026-04-01 00:00:00')
    """
    months = months_in_name(path)
    return months[0] if len(months) == 1 else None


def _today(today: pd.Timestamp | None) -> pd.Timestamp:
    return pd.Timestamp.now().normalize() if today is None else pd.Timestamp(today)


def check_periods(months: Iterable[pd.Timestamp], path: str | Path, *, column: str | None = None,
                  sheet: str | None = None, today: pd.Timestamp | None = None,
                  named: bool = True, numeric_name: bool = False) -> None:
    """Refuse periods that disagree with the month(s) in the file's name, or have not begun.

    A file named for a month holds that month only (a name announcing several months,
    ``...-september-2017-and-june-2018.xlsx``, holds those months only); a month that has
    not begun yet (after ``today``, default now) cannot have been counted. ``named=False``
    skips the comparison with the name (a file that also holds earlier months);
    ``numeric_name`` reads ``YYYY-MM`` in the name too (:func:`months_in_name`).
    ``months`` may be dates within the period (a quarter's last day): a date after
    ``today`` is refused the same way.

    >>> check_periods([pd.Timestamp("2035-04-01")], "Monthly-AE-April-2035.csv",
    ...               column="Period", today=pd.Timestamp("2026-12-07"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    workbench.errors.SourceFormatError: Monthly-AE-April-2035.csv (column 'Period'): period 2035-04 is in the future (today is 2026-12-07)...
    """
    months = sorted({pd.Timestamp(m) for m in months if pd.notna(m)})
    if not months:
        return
    names = months_in_name(path, numeric=numeric_name) if named else []
    if names:
        other = [m for m in months if m.to_period("M").to_timestamp() not in names]
        if other:
            shown = ", ".join(f"{n:%Y-%m}" for n in names)
            raise SourceFormatError(
                path, f"period {other[0]:%Y-%m} does not match the month in the file's name "
                f"({shown})", column=column, sheet=sheet,
                expected="rows of the month the file is named for (a mislabelled or edited file?)")
    now = _today(today)
    future = [m for m in months if m > now]
    if future:
        raise SourceFormatError(
            path, f"period {future[-1]:%Y-%m} is in the future (today is {now:%Y-%m-%d})",
            column=column, sheet=sheet,
            expected="months that have begun: a publication counts what has happened")


def years_in_name(path: str | Path, *, financial: bool = False) -> tuple[int, int] | None:
    """The years a published file's name covers, as (first, last), or ``None``.

    Calendar years: every four-digit year in the name (``data.NHS.2015_2019.csv`` covers
    2015 to 2019, ``nss_2023.xlsx`` 2023). Financial years (``financial=True``): a year and
    the next written ``2024-25`` or ``2024_25``, given by the year it starts in.

    >>> years_in_name("data.NHS.2015_2019.csv"), years_in_name("ko41a_2024_25.zip", financial=True)
    ((2015, 2019), (2024, 2024))
    """
    name = Path(path).name
    if financial:
        found = [int(a) for a, b in re.findall(r"(?<!\d)((?:19|20)\d\d)[-_/ ]?(\d\d)(?!\d)", name)
                 if int(b) == (int(a) + 1) % 100]
    else:
        found = [int(y) for y in re.findall(r"(?<!\d)((?:19|20)\d\d)(?!\d)", name)]
    return (min(found), max(found)) if found else None


def check_years(years: Iterable[int], path: str | Path, *, column: str | None = None,
                sheet: str | None = None, today: pd.Timestamp | None = None,
                financial: bool = False, named: bool = True, what: str = "year") -> None:
    """Refuse years outside those the file's name covers, or that have not begun.

    ``years`` are calendar years, or with ``financial=True`` financial years given by the
    year they start in (1 April). The name's years come from :func:`years_in_name`.

    >>> check_years([2017, 2031], "data.NHS.2015_2019.csv", column="Year.index",
    ...             today=pd.Timestamp("2026-12-07"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    workbench.errors.SourceFormatError: data.NHS.2015_2019.csv (column 'Year.index'): year 2031 is outside the years in the file's name (2015 to 2019)...
    """
    years = sorted({int(y) for y in years if pd.notna(y)})
    if not years:
        return
    label = (lambda y: f"{y}-{(y + 1) % 100:02d}") if financial else str
    span = years_in_name(path, financial=financial) if named else None
    if span is not None:
        other = [y for y in years if not span[0] <= y <= span[1]]
        if other:
            shown = label(span[0]) if span[0] == span[1] else f"{label(span[0])} to {label(span[1])}"
            raise SourceFormatError(
                path, f"{what} {label(other[0])} is outside the years in the file's name ({shown})",
                column=column, sheet=sheet,
                expected="rows of the years the file is named for (a mislabelled or edited file?)")
    now = _today(today)
    start = (lambda y: pd.Timestamp(year=y, month=4, day=1)) if financial else \
        (lambda y: pd.Timestamp(year=y, month=1, day=1))
    future = [y for y in years if start(y) > now]
    if future:
        raise SourceFormatError(
            path, f"{what} {label(future[-1])} is in the future (today is {now:%Y-%m-%d})",
            column=column, sheet=sheet,
            expected="years that have begun: a publication counts what has happened")


def financial_years(values: pd.Series, path: str | Path, lines: pd.Series
                    ) -> tuple[pd.Series, pd.Series]:
    """The first and last day of each financial year written as ``2024-25`` (or
    ``2024/2025``) in a ``Year`` column; a value that is not one such year names its
    line (``lines``, indexed like ``values``), and years must agree with the file's name
    and have begun (:func:`check_years`).

    >>> first, last = financial_years(pd.Series(["2024-25"]), "x.csv", pd.Series([2]))
    >>> f"{first[0]:%Y-%m-%d} to {last[0]:%Y-%m-%d}"
    '2024-04-01 to 2025-03-31'
    >>> financial_years(pd.Series(["2024-2125"]), "x.csv", pd.Series([2]))
    Traceback (most recent call last):
    ...
    workbench.errors.SourceFormatError: x.csv (column 'Year'): value '2024-2125' on line 2. Expected: a financial year such as '2024-25'.
    """
    txt = values.astype("string")
    m = txt.str.extract(r"^\s*(\d{4})\s*[-/]\s*(\d{2}|\d{4})\s*$")
    start = pd.to_numeric(m[0], errors="coerce")
    end = pd.to_numeric(m[1], errors="coerce")
    end = end.where(end >= 100, (start // 100) * 100 + end)
    bad = start.isna() | (end != start + 1)
    if bad.any():
        i = bad.idxmax()
        raise SourceFormatError(path, f"value {values[i]!r} on line {int(lines[i])}",
                                column="Year", expected="a financial year such as '2024-25'")
    check_years(start.astype(int), path, column="Year", financial=True,
                what="financial year")
    first = pd.to_datetime(start.astype(int).astype(str) + "-04-01")
    last = pd.to_datetime((start.astype(int) + 1).astype(str) + "-03-31")
    return first.astype("datetime64[ns]"), last.astype("datetime64[ns]")


def check_whole_numbers(df: pd.DataFrame, columns: Iterable[str], path: str | Path, *,
                        rows: pd.Series | Sequence[int] | None = None,
                        labels: dict[str, str] | None = None,
                        sheet: str | None = None) -> None:
    """Refuse a fractional value in a column of counts, naming the file, row and column.

    ``rows`` are the rows' numbers in the file; ``labels`` maps columns to the publisher's
    names used in the message. Missing values pass.

    >>> df = pd.DataFrame({"n": [3.0, 9921.5]})
    >>> check_whole_numbers(df, ["n"], "f.csv", rows=[2, 3], labels={"n": "Attendances"})
    Traceback (most recent call last):
    ...
    workbench.errors.SourceFormatError: f.csv (column 'Attendances'): count 9,921.5 in row 3 is not a whole number. Expected: whole numbers of people or events.
    """
    import numpy as np

    labels = labels or {}
    numbers = list(rows) if rows is not None else list(range(len(df)))
    for c in columns:
        if c not in df:
            continue
        v = pd.to_numeric(df[c], errors="coerce").to_numpy(dtype="float64")
        frac = np.isfinite(v) & (v != np.round(v))
        if frac.any():
            i = int(frac.argmax())
            raise SourceFormatError(
                path, f"count {v[i]:,.10g} in row {numbers[i]} is not a whole number",
                column=labels.get(c, c), sheet=sheet,
                expected="whole numbers of people or events")


def excel_engine(path: str | Path) -> str | None:
    """The pandas Excel engine the readers use for a workbook: ``openpyxl`` for .xlsx/.xlsm.

    Named explicitly so that installing python-calamine (used by the RTT provider-workbook
    reader) changes no other reader's engine, values or warnings.

    >>> excel_engine("a.xlsx"), excel_engine("b.ods")
    ('openpyxl', None)
    """
    return "openpyxl" if Path(path).suffix.lower() in (".xlsx", ".xlsm") else None


def read_sheet(path: str | Path, sheet: str) -> pd.DataFrame:
    """One worksheet of a published workbook as raw cells (no header row taken).

    A missing sheet is an error naming the sheets the workbook has; a file that is
    not a readable workbook (truncated, or a CSV renamed ``.xlsx``) is an error too.
    """
    import zipfile

    path = check_file(path)
    check_archive(path)
    damaged: tuple[type[BaseException], ...] = (ValueError, OSError, KeyError, zipfile.BadZipFile)
    try:
        import xlrd

        damaged += (xlrd.XLRDError,)
    except ImportError:
        pass
    try:
        book = pd.ExcelFile(path, engine=excel_engine(path))
    except damaged as exc:
        raise SourceFormatError(path, f"not a readable workbook ({type(exc).__name__}: {exc})",
                                sheet=sheet, expected="an .xlsx/.xls workbook") from None
    with book:
        if sheet not in book.sheet_names:
            raise SourceFormatError(path, "sheet not found", sheet=sheet,
                                    expected=f"a sheet named {sheet!r}; the workbook has "
                                             f"{book.sheet_names}")
        check_formulas_cached(path, [sheet])
        return pd.read_excel(book, sheet_name=sheet, header=None)


def check_formulas_cached(path: str | Path, sheets: Iterable[str]) -> None:
    """Refuse a workbook whose formula cells on ``sheets`` carry no computed value.

    Every reader of a workbook calls this before it takes the cells' values (pandas,
    openpyxl and python-calamine all read such a cell as blank, which a reader would
    otherwise report as a missing value or a total that does not add up). Sheets the
    workbook does not have, and formats other than .xlsx/.xlsm, pass.

    >>> import tempfile, pathlib, openpyxl
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.xlsx"; wb = openpyxl.Workbook()
    >>> wb.active.title = "S"; wb.active["A1"] = 1; wb.active["A2"] = "=A1*2"; wb.save(p)
    >>> check_formulas_cached(p, ["S"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    workbench.errors.SourceFormatError: ...x.xlsx (sheet 'S'): 1 formula cell(s) without a computed value (e.g. A2)...
    """
    for sheet in sheets:
        uncached = uncached_formulas(path, sheet)
        if uncached:
            raise SourceFormatError(
                path, f"{len(uncached)} formula cell(s) without a computed value (e.g. "
                f"{', '.join(uncached[:5])}): the workbook was written by a program that does "
                "not calculate formulas", sheet=sheet,
                expected="a workbook whose formulas have been calculated: open it in Excel or "
                         "LibreOffice and save it, then read it again")


def uncached_formulas(path: str | Path, sheet: str) -> list[str]:
    """References of the formula cells of an .xlsx sheet that carry no computed (cached) value.

    Excel and LibreOffice store each formula's last result beside it; a workbook written by
    a library (openpyxl, a script) stores the formula alone, and a reader then sees a blank.
    Other formats, and sheets without formulas, give ``[]``.

    >>> import tempfile, pathlib, openpyxl
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.xlsx"; wb = openpyxl.Workbook()
    >>> wb.active.title = "S"; wb.active["A1"] = 1; wb.active["A2"] = "=A1*2"; wb.save(p)
    >>> uncached_formulas(p, "S")
    ['A2']
    """
    import posixpath
    import zipfile
    from xml.etree import ElementTree

    if Path(path).suffix.lower() not in (".xlsx", ".xlsm"):
        return []
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    try:
        with zipfile.ZipFile(path) as z:
            book = ElementTree.fromstring(z.read("xl/workbook.xml"))
            rid = next((s.get(rel) for s in book.iter(f"{main}sheet") if s.get("name") == sheet),
                       None)
            rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
            target = next((r.get("Target") for r in rels if r.get("Id") == rid), None)
            if target is None:
                return []
            member = (target.lstrip("/") if target.startswith("/")
                      else posixpath.normpath(posixpath.join("xl", target)))
            xml = z.read(member)
    except (KeyError, zipfile.BadZipFile, OSError, ElementTree.ParseError):
        return []
    if b"<f" not in xml:
        return []
    out = []
    for m in re.finditer(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", xml, flags=re.DOTALL):
        attrs, body = m.group(1), m.group(2) or b""
        if b"<f" not in body or re.search(rb'\bt="(str|inlineStr)"', attrs):
            continue
        if not re.search(rb"<v>[^<]+</v>", body):
            ref = re.search(rb'\br="([A-Z]+[0-9]+)"', attrs)
            out.append(ref.group(1).decode() if ref else "?")
    return out


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
