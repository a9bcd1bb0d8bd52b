"""What every reader of an official file shares: provenance, checks, clear errors.

A reader is a module in :mod:`workbench.data.sources` with a ``read(path, ...)``
function returning a tidy :class:`pandas.DataFrame` in canonical names (identity
columns ``provider_code`` and ``period`` plus measure names from
:mod:`workbench.data.measures`) and the provenance of the file in
``df.attrs["provenance"]``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterable

import pandas as pd

from workbench.errors import SourceFormatError


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.txt"; _ = p.write_bytes(b"abc")
    >>> sha256_file(p)[:12]
    'ba7816bf8f01'
    """
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


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
