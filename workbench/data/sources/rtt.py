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

from workbench.data.sources._common import (
    check_file,
    data_member,
    open_binary,
    parse_month,
    provenance,
    require_columns,
)
from workbench.errors import SourceFormatError

SOURCE = "rtt"
PUBLISHER_URL = "https://www.england.nhs.uk/statistics/statistical-work-areas/rtt-waiting-times/"

PERIOD = "Period"
PROVIDER_CODE = "Provider Org Code"
PROVIDER_NAME = "Provider Org Name"
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


def _header(path: Path) -> tuple[list[str], str]:
    """Column names of the extract and the text encoding its bytes are in."""
    with open_binary(path) as fh:
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


def _prefiltered(path: Path, needles: tuple[bytes, ...]) -> bytes:
    """The header and every line holding all ``needles``, plus the file's last line.

    A byte-level screen before parsing: a row whose part is ``Part_2`` (and, for the
    all-specialty table, whose function is ``C_999``) necessarily contains those bytes,
    so no wanted row is lost, while most of the extract never reaches the CSV parser.
    The exact test on the parsed columns follows. The last line is always kept so that
    a download cut off mid-row is still caught.
    """
    kept: list[bytes] = []
    with open_binary(path) as fh:
        kept.append(fh.readline().rstrip(b"\r\n"))
        rest = b""
        while block := fh.read(_BLOCK):
            buf = rest + block
            cut = buf.rfind(b"\n") + 1
            kept.extend(_lines_with(buf[:cut], needles))
            rest = buf[cut:]
    if rest.strip():
        kept.append(rest)
    kept.append(b"")
    return b"\n".join(kept)


def _read_incomplete(path: Path, header: list[str], columns: list[str], numeric: list[str],
                     encoding: str, by: str) -> pa.Table:
    """Parse the incomplete-pathway rows of the wanted breakdown (needed columns only)."""
    types = {c: (pa.float64() if c in numeric else pa.string()) for c in columns}
    needles = ((ALL_SPECIALTIES.encode(),) if by == "provider" else ()) + (INCOMPLETE.encode(),)
    data = _prefiltered(path, needles)
    try:
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(block_size=_BLOCK, encoding=encoding),
            convert_options=pacsv.ConvertOptions(
                include_columns=columns, column_types=types,
                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except pa.ArrowInvalid as exc:
        if "invalid UTF8" in str(exc) and encoding == "utf-8":
            # non-UTF-8 text beyond the sampled start: a Windows-1252 file
            return _read_incomplete(path, header, columns, numeric, "cp1252", by)
        raise _arrow_error(path, header, str(exc)) from None
    part = pc.utf8_trim_whitespace(table.column(PART))
    tf = pc.utf8_trim_whitespace(table.column(TF_CODE))
    wanted_tf = pc.equal(tf, ALL_SPECIALTIES) if by == "provider" else \
        pc.not_equal(tf, ALL_SPECIALTIES)
    return table.filter(pc.and_(pc.equal(part, INCOMPLETE), wanted_tf))


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


def _as_numpy(col: pa.ChunkedArray) -> np.ndarray:
    return col.fill_null(0).to_numpy()


def read(path: str | Path, *, by: str = "provider") -> pd.DataFrame:
    """Read one RTT full extract (CSV, or the published zip) into waiting-list measures.

    Parameters
    ----------
    path
        The extract, e.g. ``20260430-RTT-April-2026-full-extract.csv.zip`` or the CSV
        inside it. A zip must hold exactly one CSV besides any ``__MACOSX/`` entries.
    by
        ``"provider"`` (all specialties, ``C_999``): one row per provider x month;
        ``"treatment_function"``: one row per provider x month x treatment function,
        with ``treatment_function_code`` and ``treatment_function_name``.

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
        Naming the file, the column and what was expected, for an empty, truncated or
        undecodable file, a missing or renamed column, or text in a count column.

    Example
    -------
    >>> df = read("20260430-RTT-April-2026-full-extract.csv.zip")  # doctest: +SKIP
    >>> df.loc[df.provider_code == "RJ1", ["rtt_waiting_list", "rtt_median_weeks"]]  # doctest: +SKIP
    """
    if by not in BY:
        raise ValueError(f"by={by!r} is not a breakdown of the RTT extract; expected one of {BY}")
    path = check_file(path)
    member = data_member(path, ".csv")
    header, encoding = _header(path)
    bands, lower = weekly_bands(header, path)
    ids = [PERIOD, PROVIDER_CODE, PROVIDER_NAME, PART, TF_CODE, TF_NAME]
    require_columns(pd.DataFrame(columns=header), ids, path)
    optional = [c for c in (UNKNOWN_START, TOTAL_ALL) if c in header]
    columns = ids + bands + optional
    table = _read_incomplete(path, header, columns, bands + optional, encoding, by)
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
    counts = np.column_stack([_as_numpy(table.column(c)) for c in bands])
    if (counts < 0).any():
        j = int(np.argwhere(counts < 0)[0][1])
        raise SourceFormatError(path, "negative count", column=bands[j],
                                expected="counts of pathways, 0 or more")
    extra = {c: _as_numpy(table.column(c)) for c in optional}

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
    if TOTAL_ALL in extra:
        published = np.bincount(group, weights=extra[TOTAL_ALL], minlength=n_groups)
        off = np.abs(published - out["rtt_waiting_list"].to_numpy()) > 0.5
        if off.any():
            warnings.warn(
                f"{path}: for {int(off.sum())} of {n_groups} rows the column {TOTAL_ALL!r} "
                f"differs from the sum of the weekly bands plus unknown clock starts "
                f"(e.g. provider {out.loc[off, 'provider_code'].iloc[0]}); the band sum is used",
                stacklevel=2)

    labels = out["period_label"].unique()
    months = {lab: parse_month(lab, path, column=PERIOD) for lab in labels}
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


def _check_unique(df: pd.DataFrame, ident: list[str], path) -> None:
    key = [c for c in ident if c not in ("provider_name", "treatment_function_name")]
    dup = df.duplicated(key, keep=False)
    if dup.any():
        ex = df.loc[dup, key].iloc[0].to_dict()
        raise SourceFormatError(path, f"{int(dup.sum())} rows share a key, e.g. {ex}",
                                column=key[-1], expected=f"one row per {' x '.join(key)}")


def _read_one(args: tuple[str, str]) -> pd.DataFrame:
    path, by = args
    return read(path, by=by)


def read_many(paths: Iterable[str | Path], *, by: str = "provider",
              processes: int | None = None) -> pd.DataFrame:
    """Read several monthly extracts (in parallel processes) into one table.

    ``processes`` defaults to the number of CPUs (at most one per file); ``1`` reads
    in this process. Two files giving the same provider and month are an error.
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
        raise ValueError("read_many needs at least one RTT extract path")
    n = min(processes or os.cpu_count() or 1, len(paths))
    jobs = [(p, by) for p in paths]
    if n <= 1:
        tables = [_read_one(j) for j in jobs]
    else:
        with ProcessPoolExecutor(max_workers=n, mp_context=get_context("spawn")) as pool:
            tables = list(pool.map(_read_one, jobs))
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
