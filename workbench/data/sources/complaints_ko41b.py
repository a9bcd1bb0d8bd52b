r"""Who made a primary-care complaints return (KO41b): GP practices, dental practices and ICBs.

The annual publication "Data on Written Complaints in the NHS" (NHS England; 2024-25 for April
2024 to March 2025) is a zip of CSV tables. Beside the secondary-care KO41a tables
(:mod:`workbench.data.sources.complaints_ko41a`) it holds the primary-care KO41b tables;
``... Primary Care KO41b - Practice Level.csv`` has one row per organisation that made a
return: ``Year, Return`` (``GP``, ``Dental`` or ``ICB``: the kind of return), ``NHS England
region code, NHS England region name, ICS Code, ICS Name, Sub ICB Code, Sub ICB Name,
Organisation Code, Organisation Name, Contract Number`` and the complaint counts.

The build reads this table as a **register** only: the publisher's ``Return`` says which
organisations are GP practices (a ``GP`` return) and which are ICBs (an ``ICB`` return); see
:mod:`workbench.data.registers`. The complaint counts of primary care are not read.

:func:`read` returns one row per organisation, return and contract (a dental practice makes
one return per NHS dental contract): ``provider_code`` (``Organisation Code``, upper case),
``provider_name``, ``return_type`` (``GP``, ``Dental``, ``ICB``), ``contract_number``
(missing where published as ``N/A`` or blank, as for GP and ICB returns), ``sub_icb_code``,
``icb_code`` and ``financial_year`` (``Year`` as published).

Checks: the columns present (a renamed column is an error naming it); a blank organisation
code, a ``Return`` other than the three, or a ``Year`` that is not a financial year
(``2024-25``) is an error naming the line; a year other than the one the file's name gives,
or one that has not begun, is an error; the same organisation,
return and contract twice is an error naming both lines. A zip without a KO41b
practice-level member is an error naming its members; a last row cut mid-row raises
:class:`~workbench.errors.SourceIncompleteError` (``allow_incomplete=True`` warns and
leaves it out). The table has no totals row, so a file cut at a row boundary cannot be
told from a shorter one.

Example
-------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "KO41b - Practice Level.csv"
>>> _ = p.write_text(",".join(COLUMNS) + "\n2024-25,GP,Y60,Midlands,QK1,LLR,04V,LLR - 04V,"
...                  "C82038,LATHAM HOUSE MEDICAL PRACTICE,N/A\n")
>>> read(p)[["provider_code", "return_type"]].values.tolist()
[['C82038', 'GP']]
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pandas as pd

from workbench.data.sources.common import (
    check_duplicates,
    check_file,
    check_not_truncated,
    financial_years,
    provenance,
    read_csv_text,
    read_zip_csv,
    require_columns,
)
from workbench.errors import SourceFormatError

SOURCE = "complaints_ko41b"
PUBLISHER_URL = ("https://digital.nhs.uk/data-and-information/publications/statistical/"
                 "data-on-written-complaints-in-the-nhs")
#: the practice-level table's identifying columns (the counts that follow are not read)
COLUMNS = ["Year", "Return", "NHS England region code", "NHS England region name", "ICS Code",
           "ICS Name", "Sub ICB Code", "Sub ICB Name", "Organisation Code", "Organisation Name",
           "Contract Number"]
RETURNS = ("GP", "Dental", "ICB")
MEMBER = re.compile(r"KO41b\s*-\s*Practice\s*Level.*\.csv$", re.IGNORECASE)
OUT_COLUMNS = ["provider_code", "provider_name", "return_type", "contract_number",
               "sub_icb_code", "icb_code", "financial_year"]


def member(path: str | Path) -> str | None:
    """The KO41b practice-level member of the publication's zip, or ``None`` when it has none.

    A zip that cannot be opened is an error naming it; two such members are an error.

    >>> member("no-such.zip") is None
    Traceback (most recent call last):
    ...
    workbench.errors.SourceFormatError: no-such.zip: not a readable zip archive ([Errno 2] No such file or directory: 'no-such.zip'). Expected: the publication's zip of CSV tables.
    """
    try:
        with zipfile.ZipFile(path) as z:
            names = [i.filename for i in z.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceFormatError(path, f"not a readable zip archive ({exc})",
                                expected="the publication's zip of CSV tables") from None
    hits = [n for n in names if MEMBER.search(Path(n).name) and not n.startswith("__MACOSX/")
            and ".." not in re.split(r"[/\\]", n)]
    if len(hits) > 1:
        raise SourceFormatError(path, f"holds {len(hits)} KO41b practice-level tables {hits}",
                                expected="one 'KO41b - Practice Level' CSV")
    return hits[0] if hits else None


def sibling(path: str | Path) -> Path | None:
    """The KO41b practice-level CSV saved beside a KO41a CSV of the same publication, if any.

    >>> sibling("nowhere/Data 2024-25 Secondary Care KO41a - Org Level.csv") is None
    True
    """
    path = Path(path)
    if not path.parent.is_dir():
        return None
    hits = sorted(p for p in path.parent.iterdir() if p.is_file() and MEMBER.search(p.name))
    return hits[0] if len(hits) == 1 else None


def _raw(path: Path, allow_incomplete: bool) -> tuple[pd.DataFrame, str]:
    if zipfile.is_zipfile(path):
        name = member(path)
        if name is None:
            with zipfile.ZipFile(path) as z:
                names = [i.filename for i in z.infolist() if not i.is_dir()]
            raise SourceFormatError(path, f"no 'KO41b - Practice Level' CSV among its members "
                                    f"{names}", expected="the publication's zip holding '... "
                                    "Primary Care KO41b - Practice Level.csv'")
        return read_zip_csv(path, name), f"{path}!{name}"
    if path.suffix.lower() == ".zip":
        raise SourceFormatError(path, "not a readable zip archive (truncated or corrupt?)",
                                expected="the publication's zip of CSV tables")
    cut = check_not_truncated(path, allow_incomplete=allow_incomplete)
    return read_csv_text(path, dtype=str, keep_default_na=False, cut_last=cut), str(path)


def read(path: str | Path, *, allow_incomplete: bool = False) -> pd.DataFrame:
    r"""One row per organisation, KO41b return and contract (module docstring).

    ``path`` is the publication's zip or its ``KO41b - Practice Level`` CSV.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "KO41b - Practice Level.csv"
    >>> _ = p.write_text(",".join(COLUMNS) + "\n2024-25,Surgery,Y60,M,QK1,L,04V,L,C82038,X,\n")
    >>> read(p)
    Traceback (most recent call last):
    ...
    workbench.errors.SourceFormatError: ...KO41b - Practice Level.csv (column 'Return'): value 'Surgery' on line 2. Expected: one of GP, Dental, ICB.
    """
    path = check_file(path)
    raw, label = _raw(path, allow_incomplete)
    raw.columns = [str(c).strip() for c in raw.columns]
    require_columns(raw, COLUMNS, label)
    txt = {c: raw[c].astype("string").str.strip() for c in COLUMNS}
    lines = pd.Series(raw.index + 2, index=raw.index)
    code = txt["Organisation Code"].str.upper()
    blank = code.eq("") | code.isna()
    if blank.any():
        i = blank.to_numpy().nonzero()[0][0]
        raise SourceFormatError(label, f"blank organisation code on line {lines.iloc[i]}",
                                column="Organisation Code", expected="an ODS code on every row")
    kind = txt["Return"]
    bad = ~kind.isin(RETURNS)
    if bad.any():
        i = bad.to_numpy().nonzero()[0][0]
        raise SourceFormatError(label, f"value {kind.iloc[i]!r} on line {lines.iloc[i]}",
                                column="Return", expected=f"one of {', '.join(RETURNS)}")
    financial_years(raw["Year"], label, lines)  # one such year, named by the file, begun
    contract = txt["Contract Number"]
    out = pd.DataFrame({"provider_code": code, "provider_name": txt["Organisation Name"],
                        "return_type": kind,
                        "contract_number": contract.mask(contract.isin(["", "N/A"])),
                        "sub_icb_code": txt["Sub ICB Code"].mask(
                            txt["Sub ICB Code"] == ""),
                        "icb_code": txt["ICS Code"].mask(txt["ICS Code"] == ""),
                        "financial_year": txt["Year"]}, columns=OUT_COLUMNS)
    check_duplicates(out.fillna({"contract_number": ""}),
                     ["provider_code", "return_type", "contract_number"], label, rows=lines,
                     column="Organisation Code",
                     names={"provider_code": "Organisation Code", "return_type": "Return",
                            "contract_number": "Contract Number"})
    out = out.reset_index(drop=True)
    out.attrs["provenance"] = provenance(
        SOURCE, path, PUBLISHER_URL, member=label,
        returns={k: int(v) for k, v in out["return_type"].value_counts().items()})
    return out
