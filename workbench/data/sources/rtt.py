"""Consultant-led Referral to Treatment (RTT) waiting times: the monthly full CSV extract.

NHS England publishes, each month, one CSV (usually zipped) with a row per provider x
commissioner x RTT part x treatment function, and the number of pathways in weekly
bands of time waited: ``Gt 00 To 01 Weeks SUM 1`` ... ``Gt 103 To 104 Weeks SUM 1`` and
the open band ``Gt 104 Weeks SUM 1``, then ``Total``, ``Patients with unknown clock
start date`` and ``Total All``.

:func:`read` keeps the incomplete pathways (``RTT Part Type`` = ``Part_2``, the
waiting list), sums them over commissioners, and returns one row per provider x month
(``by="provider"``, from the all-specialty rows ``C_999``) or per provider x month x
treatment function (``by="treatment_function"``):

=========================  ===========================================================
``rtt_waiting_list``       incomplete pathways: all weekly bands plus unknown clock starts
``rtt_within_18w``         pathways waiting 18 weeks or less (bands 0-1 ... 17-18)
``rtt_over_52w``           pathways waiting more than 52 weeks (bands 52-53 ... 104+)
``rtt_pct_within_18w``     100 x within 18 weeks / pathways with a known clock start
``rtt_median_weeks``       median weeks waited, interpolated within the weekly bands
=========================  ===========================================================

Median method (as NHS England's own statistics): with ``N`` pathways of known clock
start in bands ``[k, k+1)`` weeks, find the band ``k`` in which the cumulative count
first reaches ``N/2`` and interpolate linearly inside it,
``median = k + (N/2 - C(k)) / n(k)``, where ``C(k)`` is the count below the band and
``n(k)`` the count in it (pathways are taken as spread evenly across each week). When
the median falls in the open band (more than 104 weeks) it is reported as the band's
lower bound, 104: the true median is at least that. With no pathways it is missing.

The reader is built for the size of the extract (about 180,000 rows x 121 columns,
80 MB unzipped): it streams the file in blocks, screens lines at the byte level so that
only candidate incomplete-pathway rows reach the parser, parses them with pyarrow
reading only the needed columns with explicit types, and sums the 105 band columns as
one numeric matrix. Rows outside the incomplete pathways are not parsed, so a damaged
value there is not reported. :func:`read_many` reads several monthly extracts in a
process pool.

Missing values and checks
-------------------------
A blank band cell is a zero in this publication (the extract is sparse: ``Total All``
equals the band sum with blanks as zero on every row of the real extracts, and the reader
checks that on every row it uses). A suppression mark (``*``, ``-``, ``..``, ``x``,
``c``, ``:``) is missing, and so is every measure built from it: a provider whose band
0-1 weeks is marked has a missing waiting list, % within 18 weeks and median, while its
count over 52 weeks (other bands) is still given. Thousands separators (``"1,234"``) are
read as numbers. A row whose ``Total All`` is not its bands plus unknown clock starts,
a file whose last row is cut, or a file that stops inside a provider's group (the
publisher closes every provider x commissioner x part group with its ``C_999`` row, so
the last row of a whole file is a ``C_999`` row) raise
:class:`~workbench.errors.SourceIncompleteError`; with ``allow_incomplete=True`` they
warn :class:`~workbench.errors.IncompleteSourceWarning` and the rows read are used. With
``by="treatment_function"`` the treatment functions must also add up to each provider's
``C_999`` waiting list. Two rows with the same provider, commissioner, part, treatment
function and period are an error naming their lines.

Example
-------
>>> from workbench.data.sources import rtt
>>> df = rtt.read("20260430-RTT-April-2026-full-extract.csv.zip")  # doctest: +SKIP
>>> df.columns.tolist()  # doctest: +SKIP
['provider_code', 'provider_name', 'period', 'rtt_waiting_list', 'rtt_within_18w',
 'rtt_over_52w', 'rtt_pct_within_18w', 'rtt_median_weeks']
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from workbench.data.sources.common import (
    MISSING_MARKS,
    check_file,
    check_periods,
    data_member,
    incomplete,
    open_utf8,
    parse_month,
    provenance,
    require_columns,
    to_number,
)
from workbench.errors import ArgumentError, IncompleteSourceWarning, SourceFormatError

SOURCE = "rtt"
PUBLISHER_URL = "https://www.england.nhs.uk/statistics/statistical-work-areas/rtt-waiting-times/"

PERIOD = "Period"
PROVIDER_CODE = "Provider Org Code"
PROVIDER_NAME = "Provider Org Name"
COMMISSIONER_CODE = "Commissioner Org Code"
PART = "RTT Part Type"
TF_CODE = "Treatment Function Code"
TF_NAME = "Treatment Function Name"
UNKNOWN_START = "Patients with unknown clock start date"
TOTAL_ALL = "Total All"

INCOMPLETE = "Part_2"
ALL_SPECIALTIES = "C_999"
BY = ("provider", "treatment_function")

MEASURE_COLUMNS = ["rtt_waiting_list", "rtt_within_18w", "rtt_over_52w",
                   "rtt_pct_within_18w", "rtt_median_weeks"]

_BAND = re.compile(r"^Gt (\d+) To (\d+) Weeks SUM 1$")
_OPEN_BAND = re.compile(r"^Gt (\d+) Weeks SUM 1$")
_COLUMN_NO = re.compile(r"CSV column #(\d+)")
_BLOCK = 8 << 20


def weekly_bands(columns: Sequence[str], path: str | Path = "<columns>") -> tuple[list[str], np.ndarray]:
    """The weekly band columns of an extract header and the lower bound (weeks) of each.

    Bands must run one week wide from 0 without gaps and end with an open band
    (``Gt 104 Weeks SUM 1`` in current extracts) at 52 weeks or later.

    >>> cols = [f"Gt {k:02d} To {k + 1:02d} Weeks SUM 1" for k in range(52)] + ["Gt 52 Weeks SUM 1"]
    >>> names, lower = weekly_bands(cols)
    >>> len(names), lower[:3].tolist(), lower[-1].item()
    (53, [0, 1, 2], 52)
    """
    names, lower = [], []
    for c in columns:
        m = _BAND.match(c)
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            if b != a + 1:
                raise SourceFormatError(path, f"band {c!r} is not one week wide", column=c,
                                        expected="weekly bands 'Gt k To k+1 Weeks SUM 1'")
            names.append(c)
            lower.append(a)
    opened = [c for c in columns if _OPEN_BAND.match(c)]
    if not names or len(opened) != 1:
        raise SourceFormatError(
            path, "weekly band columns not found", column="Gt 00 To 01 Weeks SUM 1",
            expected="columns 'Gt 00 To 01 Weeks SUM 1' ... and one open band "
                     "'Gt 104 Weeks SUM 1'")
    top = int(_OPEN_BAND.match(opened[0]).group(1))
    if sorted(lower) != list(range(top)) or lower != sorted(lower):
        missing = sorted(set(range(top)) - set(lower))
        col = f"Gt {missing[0]:02d} To {missing[0] + 1:02d} Weeks SUM 1" if missing else names[0]
        raise SourceFormatError(path, f"weekly bands are not contiguous from 0 to {top} weeks",
                                column=col, expected="one column per week, in order")
    if top < 52:
        raise SourceFormatError(path, f"open band starts at {top} weeks", column=opened[0],
                                expected="bands up to at least 52 weeks")
    return names + opened, np.array(lower + [top], dtype=np.int64)


def median_weeks(counts: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """Median weeks waited per row of a (rows x bands) count matrix, interpolated in bands.

    ``lower`` is each band's lower bound in weeks; every band but the last is one week
    wide, the last is open (a median there is reported as its lower bound).

    >>> lower = np.array([0, 1, 2, 3])
    >>> median_weeks(np.array([[10., 10., 0., 0.], [0., 0., 0., 0.], [0., 1., 0., 5.]]), lower).tolist()
    [1.0, nan, 3.0]
    >>> median_weeks(np.array([[4., 0., 0., 0.]]), lower).tolist()  # all in week 0-1: half-way
    [0.5]
    """
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum(axis=1)
    half = total / 2.0
    cum = np.cumsum(counts, axis=1)
    with np.errstate(invalid="ignore"):
        k = np.argmax(cum >= half[:, None], axis=1)
    rows = np.arange(counts.shape[0])
    below = cum[rows, k] - counts[rows, k]
    in_band = counts[rows, k]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(in_band > 0, (half - below) / in_band, 0.0)
    out = lower[k].astype(np.float64) + np.clip(frac, 0.0, 1.0)
    is_open = k == counts.shape[1] - 1
    out = np.where(is_open, lower[-1].astype(np.float64), out)
    return np.where(total > 0, out, np.nan)


def read_header(path: str | Path) -> tuple[list[str], str]:
    r"""Column names of the extract and the text encoding its bytes are in.

    The encoding is ``"utf-8"`` unless the first megabyte is not UTF-8 (then
    ``"cp1252"``, Windows-1252); a byte-order mark is dropped. A file without a header
    row raises
    :class:`~workbench.errors.SourceFormatError`.

    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "x.csv"
    >>> _ = f.write_bytes("Period,Provider Org Name\nRTT-April-2026,Caf\xe9 Trust\n".encode("cp1252"))
    >>> read_header(f)
    (['Period', 'Provider Org Name'], 'cp1252')
    """
    with open_utf8(path) as fh:
        raw = fh.readline()
        sample = raw + fh.read(1 << 20)
    if not raw.strip():
        raise SourceFormatError(path, "no header row", expected="the RTT full-extract CSV")
    try:
        sample.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError as exc:
        # a cut inside a multi-byte character at the end of the sample is not an error
        encoding = "utf-8" if exc.start >= len(sample) - 3 else "cp1252"
    text = raw.decode(encoding, errors="strict").lstrip("\ufeff")
    return next(csv.reader(io.StringIO(text))), encoding


def _lines_with(buf: bytes, needles: tuple[bytes, ...]) -> list[bytes]:
    """The lines of ``buf`` (complete lines only) that contain every one of ``needles``."""
    first, others = needles[0], needles[1:]
    out: list[bytes] = []
    find, rfind = buf.find, buf.rfind
    i = find(first)
    while i >= 0:
        start = rfind(b"\n", 0, i) + 1
        stop = find(b"\n", i)
        if stop < 0:
            stop = len(buf)
        line = buf[start:stop]
        if all(n in line for n in others):
            out.append(line)
        i = find(first, stop)
    return out


def _prefiltered(path: Path, needles: tuple[bytes, ...]) -> tuple[bytes, list[bytes]]:
    """The header and every line holding all ``needles``; and the file's last two lines.

    A byte-level screen before parsing: a row whose part is ``Part_2`` (and, for the
    all-specialty table, whose function is ``C_999``) necessarily contains those bytes,
    so no wanted row is lost, while most of the extract never reaches the CSV parser.
    The exact test on the parsed columns follows. A last line without a line end is
    always kept, and the last two non-blank lines are returned, so that a download cut
    off mid-row or at a row boundary is still caught (see :func:`_check_end`).
    """
    kept: list[bytes] = []
    tail: list[bytes] = []
    with open_utf8(path) as fh:
        kept.append(fh.readline().rstrip(b"\r\n"))
        rest = b""
        while block := fh.read(_BLOCK):
            buf = rest + block
            cut = buf.rfind(b"\n") + 1
            kept.extend(_lines_with(buf[:cut], needles))
            last = [ln for ln in buf[max(0, cut - (1 << 16)):cut].split(b"\n")[1:]
                    if ln.strip(b" ,\t\r")]
            tail = (tail + last)[-2:]
            rest = buf[cut:]
    if rest.strip(b" ,\t\r\n"):
        kept.append(rest)
        tail = (tail + [rest])[-2:]
    kept.append(b"")
    return b"\n".join(kept), [t.rstrip(b"\r") for t in tail]


def _fields(line: bytes, encoding: str) -> list[str]:
    return next(csv.reader([line.decode(encoding, errors="replace")]), [])


def _check_end(path: Path, header: list[str], tail: list[bytes], encoding: str,
               allow_incomplete: bool) -> bool:
    """Check the file's end: the last row is whole and closes a group with ``C_999``.

    Returns True when the last row is cut (allowed): the caller then leaves it out.
    """
    if not tail:
        return False
    cut = False
    last = _fields(tail[-1], encoding)
    if len(last) < len(header):
        incomplete(path, f"truncated file: the last row has {len(last)} field(s) where the "
                         f"header has {len(header)}", allow_incomplete=allow_incomplete,
                   expected="a complete download of the published file", stacklevel=5)
        cut = True
        if len(tail) < 2:
            return cut
        last = _fields(tail[-2], encoding)
    tf = header.index(TF_CODE)
    if len(last) == len(header) and last[tf].strip() != ALL_SPECIALTIES:
        who = dict(zip(header, last))
        incomplete(path, f"the file stops inside a group: its last row is treatment function "
                         f"{last[tf].strip()!r} of provider {who.get(PROVIDER_CODE, '?')!r} "
                         f"({who.get(PART, '?')}, commissioner "
                         f"{who.get(COMMISSIONER_CODE, '?')!r}), not the {ALL_SPECIALTIES!r} "
                         "row that closes each group", allow_incomplete=allow_incomplete,
                   column=TF_CODE, expected="a complete download: the publisher ends every "
                   f"provider x commissioner x part group with its {ALL_SPECIALTIES} row",
                   stacklevel=5)
    return cut


def _parse(data: bytes, columns: list[str], types: dict, encoding: str) -> pa.Table:
    return pacsv.read_csv(
        pa.py_buffer(data),
        read_options=pacsv.ReadOptions(block_size=_BLOCK, encoding=encoding),
        convert_options=pacsv.ConvertOptions(
            include_columns=columns, column_types=types,
            strings_can_be_null=False, quoted_strings_can_be_null=False),
    )


def _as_counts(table: pa.Table, numeric: list[str], path: Path) -> pa.Table:
    """Numeric columns read as text (marks, thousands separators) turned into float64.

    Blank is 0 (the extract's sparse zeros); a suppression mark is missing (NaN).
    """
    for c in numeric:
        txt = table.column(c).to_pandas().astype("string").str.strip()
        blank = txt.isna() | (txt == "")
        values = to_number(txt.mask(blank, "0"), c, path, allow=MISSING_MARKS[1:])
        table = table.set_column(table.schema.get_field_index(c), c,
                                 pa.array(values.to_numpy(), type=pa.float64()))
    return table


def parse_rows(path: str | Path, header: list[str], columns: list[str], numeric: list[str],
               encoding: str, needles: tuple[bytes, ...], *,
               allow_incomplete: bool = False) -> pa.Table:
    r"""The extract's rows holding every one of ``needles``, parsed (``columns`` only).

    The parsing steps of :func:`read`, shared with the RTT flows
    (:func:`workbench.data.rtt_flows.from_extract`). ``header`` and ``encoding`` are
    :func:`read_header`'s. A byte-level screen keeps the lines that contain all
    ``needles`` (a superset: callers then test the parsed columns exactly). The file's
    end is checked: a cut last row, or a file that stops inside a provider's group,
    raises :class:`~workbench.errors.SourceIncompleteError` (a warning with
    ``allow_incomplete``, the cut row left out). pyarrow parses ``columns``, those in
    ``numeric`` as float64: a blank cell is null (:func:`count_array` makes it 0), a
    suppression mark NaN, ``"1,234"`` a number. A file that is not UTF-8 beyond its first
    megabyte is read again as Windows-1252; text in a count column or a malformed row
    raises :class:`~workbench.errors.SourceFormatError` naming the column.

    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "x.csv"
    >>> _ = f.write_text("Period,RTT Part Type,Treatment Function Code,Total All\n"
    ...                  "RTT-April-2026,Part_2,C_999,\"1,205\"\n"
    ...                  "RTT-April-2026,Part_3,C_999,7\n")
    >>> header, encoding = read_header(f)
    >>> t = parse_rows(f, header, header, [TOTAL_ALL], encoding, (b"Part_2",))
    >>> t.column(PART).to_pylist(), t.column(TOTAL_ALL).to_pylist()
    (['Part_2'], [1205.0])
    """
    path = Path(path)
    types = {c: (pa.float64() if c in numeric else pa.string()) for c in columns}
    data, tail = _prefiltered(path, needles)
    if _check_end(path, header, tail, encoding, allow_incomplete):
        body = data.rstrip(b"\n")
        if body.endswith(tail[-1]) and body.count(b"\n"):
            data = body[: len(body) - len(tail[-1])]
    try:
        try:
            table = _parse(data, columns, types, encoding)
        except pa.ArrowInvalid as exc:
            if "conversion error to double" not in str(exc):
                raise
            # a suppression mark or a thousands separator in a count: parse those as text
            text_types = {c: pa.string() for c in columns}
            table = _as_counts(_parse(data, columns, text_types, encoding), numeric, path)
    except pa.ArrowInvalid as exc:
        if "invalid UTF8" in str(exc) and encoding == "utf-8":
            # non-UTF-8 text beyond the sampled start: a Windows-1252 file
            return parse_rows(path, header, columns, numeric, "cp1252", needles,
                              allow_incomplete=allow_incomplete)
        raise _arrow_error(path, header, str(exc)) from None
    return table


#: The rows each breakdown of :func:`read` needs, as the byte strings that screen them.
_ROWS = {"provider": (ALL_SPECIALTIES.encode(), INCOMPLETE.encode()),
         "treatment_function": (INCOMPLETE.encode(),)}
#: The rows of every RTT part (the flows of :mod:`workbench.data.rtt_flows` read them all).
ALL_PARTS = (b"Part_",)


class Extract:
    """One parse of an RTT full extract, for :func:`read` and the RTT flows to share.

    Made by :func:`parse`: the file (``path``, its zip ``member``), its ``header`` and
    ``encoding``, the weekly ``bands`` with their ``lower`` bounds, the ``optional`` count
    columns it publishes (unknown clock starts, ``Total All``), and ``table``: the parsed
    rows holding every byte string of ``rows`` (all columns a reader uses; counts as
    float64). The end of the file was checked when it was parsed (``allow_incomplete``
    as given to :func:`parse`).
    """

    __slots__ = ("allow_incomplete", "bands", "encoding", "header", "lower", "member",
                 "optional", "path", "rows", "table")

    def __init__(self, path: Path, member: str | None, header: list[str], encoding: str,
                 bands: list[str], lower: np.ndarray, optional: list[str], table: pa.Table,
                 rows: tuple[bytes, ...], allow_incomplete: bool):
        self.path, self.member, self.header, self.encoding = path, member, header, encoding
        self.bands, self.lower, self.optional, self.table = bands, lower, optional, table
        self.rows, self.allow_incomplete = rows, allow_incomplete

    def __repr__(self) -> str:
        return (f"Extract({self.path.name!r}, rows={[r.decode() for r in self.rows]}, "
                f"{self.table.num_rows} rows parsed)")

    def holds(self, rows: Sequence[bytes]) -> bool:
        """Whether every row holding all of ``rows`` is in :attr:`table`.

        >>> ex = Extract(Path("x.csv"), None, [], "utf-8", [], np.array([]), [], pa.table({}),
        ...              ALL_PARTS, False)
        >>> ex.holds((b"C_999", b"Part_2")), ex.holds((b"C_999",))
        (True, False)
        """
        return all(any(mine in theirs for theirs in rows) for mine in self.rows)

    def rows_for(self, caller: str, rows: Sequence[bytes]) -> pa.Table:
        """:attr:`table`, checked to hold every row ``caller`` needs (those holding ``rows``).

        An extract parsed for fewer rows raises :class:`~workbench.errors.ArgumentError`
        naming ``caller`` and how to parse it.

        >>> ex = Extract(Path("x.csv"), None, [], "utf-8", [], np.array([]), [],
        ...              pa.table({PART: ["Part_2"]}), (b"C_999", b"Part_2"), False)
        >>> ex.rows_for("read", _ROWS["provider"]).num_rows
        1
        >>> ex.rows_for("from_extract", ALL_PARTS)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        workbench.errors.ArgumentError: ...parsed for fewer rows than it needs...
        """
        if not self.holds(rows):
            raise ArgumentError(caller, "path", repr(self),
                                problem="was parsed for fewer rows than it needs",
                                expected=f"rtt.parse(path, rows={tuple(rows)!r}) or "
                                         "rtt.parse(path) (every part)")
        return self.table


def parse(path: str | Path, *, rows: Sequence[bytes] = ALL_PARTS,
          allow_incomplete: bool = False) -> Extract:
    """Parse an RTT full extract once: the rows holding every byte string of ``rows``.

    The default (every RTT part) serves :func:`read` by provider and by treatment function
    and :func:`workbench.data.rtt_flows.from_extract` from one pass over the file: give
    the :class:`Extract` to each in place of the path (a build reads the extract so; the
    results are the same as from the path). The steps are :func:`read_header`,
    :func:`weekly_bands` and :func:`parse_rows` (the byte-level screen, the end of the
    file checked, pyarrow parsing of the identity, band, unknown-start and ``Total All``
    columns). A missing identity column raises
    :class:`~workbench.errors.SourceFormatError`; a cut last row or a file that stops
    inside a group raises :class:`~workbench.errors.SourceIncompleteError` (a warning,
    the cut row left out, with ``allow_incomplete``).

    >>> ex = parse("20260430-RTT-April-2026-full-extract.csv.zip")  # doctest: +SKIP
    >>> read(ex).equals(read("20260430-RTT-April-2026-full-extract.csv.zip"))  # doctest: +SKIP
    True
    """
    path = check_file(path)
    member = data_member(path, ".csv")
    header, encoding = read_header(path)
    bands, lower = weekly_bands(header, path)
    ids = [PERIOD, PROVIDER_CODE, PROVIDER_NAME, COMMISSIONER_CODE, PART, TF_CODE, TF_NAME]
    require_columns(pd.DataFrame(columns=header), ids, path)
    optional = [c for c in (UNKNOWN_START, TOTAL_ALL) if c in header]
    rows = tuple(rows)
    table = parse_rows(path, header, ids + bands + optional, bands + optional, encoding, rows,
                       allow_incomplete=allow_incomplete)
    return Extract(path, member, header, encoding, bands, lower, optional, table, rows,
                   allow_incomplete)


def _read_incomplete(extract: Extract, by: str) -> pa.Table:
    """The incomplete-pathway rows of the wanted breakdown, from one parse of the extract."""
    table = extract.rows_for("read", _ROWS[by])
    part = pc.utf8_trim_whitespace(table.column(PART))
    tf = pc.utf8_trim_whitespace(table.column(TF_CODE))
    if by == "provider":
        return table.filter(pc.and_(pc.equal(part, INCOMPLETE), pc.equal(tf, ALL_SPECIALTIES)))
    return table.filter(pc.equal(part, INCOMPLETE))


def _arrow_error(path: Path, header: list[str], message: str) -> SourceFormatError:
    m = _COLUMN_NO.search(message)
    column = header[int(m.group(1))] if m and int(m.group(1)) < len(header) else None
    value = re.search(r"invalid value '([^']*)'", message)
    if "conversion error to double" in message and column:
        shown = value.group(1) if value else "?"
        return SourceFormatError(path, f"text {shown!r} in a numeric column", column=column,
                                 expected="counts of pathways (numbers or blank)")
    if "Expected" in message and "columns" in message:
        return SourceFormatError(path, f"truncated or malformed row ({message})",
                                 expected=f"{len(header)} fields on every row, as in the header")
    return SourceFormatError(path, f"cannot be parsed as the RTT extract ({message})",
                             column=column, expected="the published RTT full-extract CSV")


def count_array(col: pa.ChunkedArray) -> np.ndarray:
    """A parsed count column as float64: null (a blank cell) is the extract's sparse 0.

    A suppression mark, already NaN (see :func:`parse_rows`), stays missing.

    >>> count_array(pa.chunked_array([[3.0, None, float("nan")]])).tolist()
    [3.0, 0.0, nan]
    """
    return col.fill_null(0).to_numpy().astype(np.float64, copy=False)


def _line_numbers(path: Path, values: list[str]) -> list[int]:
    """Line numbers (1 = header) of the lines holding every one of ``values`` as a field."""
    wanted = [v.encode() for v in values]
    out = []
    with open_utf8(path) as fh:
        for n, line in enumerate(fh, start=1):
            if all(w in line for w in wanted):
                fields = {f.strip() for f in _fields(line.rstrip(b"\r\n"), "latin-1")}
                if all(v in fields for v in values):
                    out.append(n)
    return out


def check_rows_unique(path: str | Path, table: pa.Table) -> None:
    """Raise for two rows with the same period, provider, commissioner, part and function.

    The :class:`~workbench.errors.SourceFormatError` names the key and the rows' line
    numbers in the file at ``path``.

    >>> t = pa.table({PERIOD: ["RTT-April-2026"] * 2, PROVIDER_CODE: ["RJ1"] * 2,
    ...               COMMISSIONER_CODE: ["15E", "QKK"], PART: ["Part_2"] * 2,
    ...               TF_CODE: ["C_999"] * 2})
    >>> check_rows_unique("x.csv", t)  # two commissioners: two keys
    """
    key = [PERIOD, PROVIDER_CODE, COMMISSIONER_CODE, PART, TF_CODE]
    frame = pd.DataFrame({k: table.column(k).to_pandas().str.strip() for k in key})
    dup = frame.duplicated(keep=False)
    if dup.any():
        first = frame[dup].iloc[0]
        lines = _line_numbers(path, first.tolist())
        shown = ", ".join(f"{k}={v!r}" for k, v in first.items())
        raise SourceFormatError(
            path, f"duplicate rows (lines {', '.join(map(str, lines[:10]))}) with the same key "
                  f"{shown}", column=PROVIDER_CODE, expected=f"one row per {' x '.join(key)}")


def read(path: str | Path | Extract, *, by: str = "provider",
         allow_incomplete: bool = False) -> pd.DataFrame:
    """Read one RTT full extract (CSV, or the published zip) into waiting-list measures.

    Parameters
    ----------
    path
        The extract, e.g. ``20260430-RTT-April-2026-full-extract.csv.zip`` or the CSV
        inside it. A zip must hold exactly one CSV besides any ``__MACOSX/`` entries.
        Or the extract already parsed (:func:`parse`; the same result, without reading
        the file again): a build reads it once for both breakdowns and the RTT flows.
    by
        ``"provider"`` (all specialties, ``C_999``): one row per provider x month;
        ``"treatment_function"``: one row per provider x month x treatment function,
        with ``treatment_function_code`` and ``treatment_function_name``.
    allow_incomplete
        Read a file whose ``Total All`` disagrees with its bands, whose last row is
        cut, or which stops inside a group, warning
        :class:`~workbench.errors.IncompleteSourceWarning` instead of raising
        :class:`~workbench.errors.SourceIncompleteError`.

    Returns
    -------
    pandas.DataFrame
        ``provider_code, provider_name, period`` [``, treatment_function_code,
        treatment_function_name``] and ``rtt_waiting_list, rtt_within_18w, rtt_over_52w,
        rtt_pct_within_18w, rtt_median_weeks``; ``df.attrs["provenance"]`` records the
        file's sha256, the months and the publisher's URL.

    Raises
    ------
    SourceFormatError
        Naming the file, the column and what was expected, for an empty or undecodable
        file, a missing or renamed column, text in a count column, or duplicate rows.
    SourceIncompleteError
        For a truncated file or totals that disagree (see the module docstring).

    Example
    -------
    >>> df = read("20260430-RTT-April-2026-full-extract.csv.zip")  # doctest: +SKIP
    >>> df.loc[df.provider_code == "RJ1", ["rtt_waiting_list", "rtt_median_weeks"]]  # doctest: +SKIP
    """
    if by not in BY:
        raise ArgumentError("read", "by", by, problem="is not a breakdown of the RTT extract",
                            expected=f"one of {BY}")
    extract = path if isinstance(path, Extract) else parse(
        path, rows=_ROWS[by], allow_incomplete=allow_incomplete)
    path, member = extract.path, extract.member
    bands, lower, optional = extract.bands, extract.lower, extract.optional
    table = _read_incomplete(extract, by)
    check_rows_unique(path, table)
    tf_check = None
    if by == "treatment_function":
        is_total = pc.equal(pc.utf8_trim_whitespace(table.column(TF_CODE)), ALL_SPECIALTIES)
        tf_check = table.filter(is_total)
        table = table.filter(pc.invert(is_total))
    if table.num_rows == 0:
        want = "all-specialty (C_999)" if by == "provider" else "treatment-function"
        raise SourceFormatError(path, f"no {want} incomplete-pathway rows", column=PART,
                                expected=f"rows with {PART} = {INCOMPLETE!r}")

    keys = {
        "period_label": table.column(PERIOD).to_pandas().str.strip(),
        "provider_code": table.column(PROVIDER_CODE).to_pandas().str.strip().str.upper(),
    }
    if by == "treatment_function":
        keys["treatment_function_code"] = table.column(TF_CODE).to_pandas().str.strip()
    key_frame = pd.DataFrame(keys)
    if (key_frame["provider_code"] == "").any():
        i = int((key_frame["provider_code"] == "").to_numpy().argmax())
        raise SourceFormatError(path, f"blank provider code (incomplete-pathway row {i})",
                                column=PROVIDER_CODE, expected="an ODS code on every row")
    counts = np.column_stack([count_array(table.column(c)) for c in bands])
    if (counts < 0).any():
        j = int(np.argwhere(counts < 0)[0][1])
        raise SourceFormatError(path, "negative count", column=bands[j],
                                expected="counts of pathways, 0 or more")
    extra = {c: count_array(table.column(c)) for c in optional}
    check_whole_counts(path, table, bands + optional,
                       np.column_stack([counts, *extra.values()]) if extra else counts)
    if TOTAL_ALL in extra:
        check_total_all(path, table, counts, extra, allow_incomplete)

    group = key_frame.groupby(list(keys), sort=True, observed=True).ngroup().to_numpy()
    n_groups = int(group.max()) + 1
    summed = np.zeros((n_groups, counts.shape[1]))
    np.add.at(summed, group, counts)
    first = pd.Series(np.arange(len(group))).groupby(group).first().to_numpy()
    out = key_frame.iloc[first].reset_index(drop=True)
    out["provider_name"] = table.column(PROVIDER_NAME).take(pa.array(first)).to_pandas().str.strip()
    if by == "treatment_function":
        out["treatment_function_name"] = (
            table.column(TF_NAME).take(pa.array(first)).to_pandas().str.strip())

    known = summed.sum(axis=1)
    unknown = np.bincount(group, weights=extra[UNKNOWN_START], minlength=n_groups) \
        if UNKNOWN_START in extra else np.zeros(n_groups)
    out["rtt_waiting_list"] = known + unknown
    out["rtt_within_18w"] = summed[:, lower < 18].sum(axis=1)
    out["rtt_over_52w"] = summed[:, lower >= 52].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["rtt_pct_within_18w"] = np.where(known > 0, 100.0 * out["rtt_within_18w"] / known,
                                             np.nan)
    out["rtt_median_weeks"] = median_weeks(summed, lower)
    if tf_check is not None and tf_check.num_rows:
        _check_functions_add_up(path, out, tf_check, bands, optional, allow_incomplete)

    labels = out["period_label"].unique()
    months = {lab: parse_month(lab, path, column=PERIOD) for lab in labels}
    check_periods(months.values(), path, column=PERIOD)
    out["period"] = out["period_label"].map(months).astype("datetime64[ns]")
    ident = ["provider_code", "provider_name", "period"]
    if by == "treatment_function":
        ident += ["treatment_function_code", "treatment_function_name"]
    out = out[ident + MEASURE_COLUMNS].sort_values(ident[:1] + ident[2:]).reset_index(drop=True)
    _check_unique(out, ident, path)
    out.attrs["provenance"] = provenance(
        SOURCE, path, PUBLISHER_URL, months.values(), member=member, by=by,
        part=INCOMPLETE, providers=int(out["provider_code"].nunique()), rows=len(out))
    return out


def check_whole_counts(path: str | Path, table: pa.Table, columns: list[str],
                       values: np.ndarray) -> None:
    """Refuse a fractional count of pathways, naming the column, the key and the line.

    ``values`` holds the parsed ``columns`` of ``table`` side by side (rows x columns);
    missing values pass.

    >>> t = pa.table({PERIOD: ["RTT-April-2026"], PROVIDER_CODE: ["RJ1"],
    ...               COMMISSIONER_CODE: ["QKK"], PART: ["Part_2"], TF_CODE: ["C_999"]})
    >>> check_whole_counts("nowhere.csv", t, ["Total All"], np.array([[12.5]]))
    Traceback (most recent call last):
    ...
    workbench.errors.SourceFormatError: nowhere.csv (column 'Total All'): count 12.5 (provider 'RJ1', commissioner 'QKK', C_999) is not a whole number. Expected: whole numbers of pathways.
    """
    with np.errstate(invalid="ignore"):
        frac = np.isfinite(values) & (values != np.round(values))
    if not frac.any():
        return
    i, j = (int(k) for k in np.argwhere(frac)[0])
    key = [table.column(k)[i].as_py().strip() for k in (PERIOD, PROVIDER_CODE, COMMISSIONER_CODE,
                                                         PART, TF_CODE)]
    lines = _line_numbers(Path(path), key) if Path(path).exists() else []
    where = f" on line {lines[0]}" if lines else ""
    raise SourceFormatError(
        path, f"count {values[i, j]:,.10g} (provider {key[1]!r}, commissioner {key[2]!r}, "
        f"{key[4]}){where} is not a whole number", column=columns[j],
        expected="whole numbers of pathways")


def check_total_all(path: str | Path, table: pa.Table, counts: np.ndarray, extra: dict,
                    allow_incomplete: bool) -> None:
    """Check that every row's ``Total All`` equals its bands plus unknown clock starts.

    ``counts`` holds the rows' weekly bands (rows x bands, NaN where suppressed) and
    ``extra`` the columns :data:`TOTAL_ALL` and, if published, :data:`UNKNOWN_START`, one
    value per row of ``table`` (which names the provider, function and commissioner of an
    offending row). A row with a suppressed band is checked as a bound (the published bands
    must not exceed ``Total All``). A disagreement raises
    :class:`~workbench.errors.SourceIncompleteError`, or warns
    :class:`~workbench.errors.IncompleteSourceWarning` with ``allow_incomplete``.

    >>> t = pa.table({PROVIDER_CODE: ["RJ1"], TF_CODE: ["C_999"], COMMISSIONER_CODE: ["15E"]})
    >>> check_total_all("x.csv", t, np.array([[2.0, 3.0]]), {TOTAL_ALL: np.array([5.0])},
    ...                 allow_incomplete=False)  # 2 + 3 = 5: no error
    """
    parts = np.column_stack([counts, extra.get(UNKNOWN_START, np.zeros(len(counts)))])
    known = np.nansum(parts, axis=1)
    has_missing = np.isnan(parts).any(axis=1)
    published = extra[TOTAL_ALL]
    with np.errstate(invalid="ignore"):
        off = np.where(has_missing, known > published + 0.5, np.abs(known - published) > 0.5)
    off &= ~np.isnan(published)
    if off.any():
        i = int(np.argmax(off))
        code = table.column(PROVIDER_CODE)[i].as_py().strip()
        incomplete(path, f"for {int(off.sum())} row(s) the column {TOTAL_ALL!r} is not the sum "
                         f"of the weekly bands plus unknown clock starts (e.g. provider "
                         f"{code!r}, {table.column(TF_CODE)[i].as_py().strip()}, commissioner "
                         f"{table.column(COMMISSIONER_CODE)[i].as_py().strip()!r}: "
                         f"{TOTAL_ALL} {published[i]:,.0f} vs bands {known[i]:,.0f}); the band "
                         "sum is used", allow_incomplete=allow_incomplete, column=TOTAL_ALL,
                   expected=f"{TOTAL_ALL} = the weekly bands + {UNKNOWN_START!r} on every row",
                   stacklevel=4)


def _check_functions_add_up(path: Path, out: pd.DataFrame, totals: pa.Table, bands: list[str],
                            optional: list[str], allow_incomplete: bool) -> None:
    """With ``by="treatment_function"``: each provider's functions add up to its C_999 row."""
    parts = [c for c in bands + optional if c != TOTAL_ALL]
    values = np.column_stack([count_array(totals.column(c)) for c in parts]).sum(axis=1)
    c999 = pd.DataFrame({
        "period_label": totals.column(PERIOD).to_pandas().str.strip(),
        "provider_code": totals.column(PROVIDER_CODE).to_pandas().str.strip().str.upper(),
        "c999": values}).groupby(["period_label", "provider_code"])["c999"].sum()
    tfs = out.groupby(["period_label", "provider_code"])["rtt_waiting_list"].sum(min_count=1)
    both = pd.concat([c999, tfs], axis=1, join="outer")
    off = ((both["c999"] - both["rtt_waiting_list"]).abs() > 0.5) \
        | (both["c999"].isna() & both["rtt_waiting_list"].notna())
    if off.any():
        (_, code), row = next(iter(both[off].iterrows()))
        incomplete(path, f"the treatment functions of {int(off.sum())} provider(s) do not add "
                         f"up to their {ALL_SPECIALTIES} row (e.g. provider {code!r}: "
                         f"{ALL_SPECIALTIES} {row['c999']:,.0f} vs functions "
                         f"{row['rtt_waiting_list']:,.0f})", allow_incomplete=allow_incomplete,
                   column=TF_CODE, expected=f"functions that add up to {ALL_SPECIALTIES}",
                   stacklevel=4)


def _check_unique(df: pd.DataFrame, ident: list[str], path) -> None:
    key = [c for c in ident if c not in ("provider_name", "treatment_function_name")]
    dup = df.duplicated(key, keep=False)
    if dup.any():
        ex = df.loc[dup, key].iloc[0].to_dict()
        raise SourceFormatError(path, f"{int(dup.sum())} rows share a key, e.g. {ex}",
                                column=key[-1], expected=f"one row per {' x '.join(key)}")


def _read_one(args: tuple[str, str, bool]) -> tuple[pd.DataFrame, list[str]]:
    path, by, allow = args
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", IncompleteSourceWarning)
        df = read(path, by=by, allow_incomplete=allow)
    return df, [str(w.message) for w in caught if issubclass(w.category, IncompleteSourceWarning)]


def read_many(paths: Iterable[str | Path], *, by: str = "provider",
              processes: int | None = None, allow_incomplete: bool = False) -> pd.DataFrame:
    """Read several monthly extracts (in parallel processes) into one table.

    ``processes`` defaults to the number of CPUs (at most one per file); ``1`` reads
    in this process. Two files giving the same provider and month are an error.
    ``allow_incomplete`` is passed to :func:`read`; the warnings of every file are
    re-issued here, in the order of ``paths``.
    ``df.attrs["provenance"]`` is the list of each file's provenance record.

    Example
    -------
    >>> from pathlib import Path
    >>> df = read_many(sorted(Path("data/raw/rtt").glob("*full-extract*.zip")))  # doctest: +SKIP
    >>> df.groupby("period")["rtt_waiting_list"].sum()  # doctest: +SKIP
    """
    import os
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    paths = [str(check_file(p)) for p in paths]
    if not paths:
        raise ArgumentError("read_many", "paths", paths, problem="is empty",
                            expected="at least one RTT extract path")
    n = min(processes or os.cpu_count() or 1, len(paths))
    jobs = [(p, by, allow_incomplete) for p in paths]
    if n <= 1:
        results = [_read_one(j) for j in jobs]
    else:
        with ProcessPoolExecutor(max_workers=n, mp_context=get_context("spawn")) as pool:
            results = list(pool.map(_read_one, jobs))
    tables = [t for t, _ in results]
    for _, messages in results:
        for m in messages:
            warnings.warn(IncompleteSourceWarning(m), stacklevel=2)
    out = pd.concat(tables, ignore_index=True)
    ident = ["provider_code", "period"] + (["treatment_function_code"]
                                            if by == "treatment_function" else [])
    dup = out.duplicated(ident, keep=False)
    if dup.any():
        ex = out.loc[dup, ident].iloc[0].to_dict()
        files = [t.attrs["provenance"]["file"] for t in tables
                 if ((t["provider_code"] == ex["provider_code"])
                     & (t["period"] == ex["period"])).any()]
        raise SourceFormatError(", ".join(files), f"the same provider and month, e.g. {ex}, "
                                "comes from more than one file", column="Period",
                                expected="one extract per month")
    out.attrs["provenance"] = [t.attrs["provenance"] for t in tables]
    return out
