"""KO41b primary-care complaints returns: who made a return (GP, dental practice, ICB)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from workbench.data.sources import complaints_ko41b as k
from workbench.errors import SourceFormatError, SourceIncompleteError

REAL = (Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
        / "complaints_ko41a_2024_25" / "ko41a_2024_25.zip")
NAME = "Data on Written Complaints in the NHS 2024-25 Primary Care KO41b - Practice Level.csv"
HEAD = k.COLUMNS + ["1.3 Total Brought Forward", "1.4 Total New"]


def row(code="C82038", kind="GP", contract="N/A", name="LATHAM HOUSE MEDICAL PRACTICE"):
    return ["2024-25", kind, "Y60", "Midlands", "QK1", "NHS LLR ICB", "04V", "LLR ICB - 04V",
            code, name, contract, "0", "12"]


def text(rows, head=HEAD) -> str:
    return "".join(",".join(f'"{c}"' if "," in c else c for c in r) + "\r\n"
                   for r in [head, *rows])


ROWS = [row(), row("Y02973", name="KINGS PARK SURGERY"),
        row("V00063", "Dental", "1302140001", "CROFTON PARK DENTAL PRACTICE, 18 BROCKLEY GROVE"),
        row("V00063", "Dental", "1302140002", "CROFTON PARK DENTAL PRACTICE, 18 BROCKLEY GROVE"),
        row("QK1", "ICB", "", "NHS LLR ICB")]


def test_reads_the_practice_table_from_the_zip(tmp_path):
    z = tmp_path / "ko41a_2024_25.zip"
    with zipfile.ZipFile(z, "w") as f:
        f.writestr("Secondary Care KO41a - Org Level.csv", "Year\r\n2024-25\r\n")
        f.writestr(NAME, text(ROWS).encode("cp1252"))
    df = k.read(z)
    assert df.columns.tolist() == k.OUT_COLUMNS
    assert df["return_type"].tolist() == ["GP", "GP", "Dental", "Dental", "ICB"]
    # one row per return and contract; N/A and blank contracts are missing
    assert df["contract_number"].isna().tolist() == [True, True, False, False, True]
    assert df.loc[0, ["provider_code", "sub_icb_code", "icb_code", "financial_year"]].tolist() \
        == ["C82038", "04V", "QK1", "2024-25"]
    prov = df.attrs["provenance"]
    assert prov["returns"] == {"GP": 2, "Dental": 2, "ICB": 1} and prov["member"].endswith(NAME)


def test_plain_csv_and_its_checks(tmp_path):
    p = tmp_path / NAME
    p.write_text(text([row("c82038 ")]))
    assert k.read(p)["provider_code"].tolist() == ["C82038"]
    p.write_text(text([row(), row()]))
    with pytest.raises(SourceFormatError, match=r"duplicate rows 2, 3 .*Organisation Code='C82038'"):
        k.read(p)
    p.write_text(text([row(kind="Pharmacy")]))
    with pytest.raises(SourceFormatError, match=r"column 'Return'.*'Pharmacy' on line 2"):
        k.read(p)
    p.write_text(text([row(code="")]))
    with pytest.raises(SourceFormatError, match=r"blank organisation code on line 2"):
        k.read(p)
    p.write_text(text([row()], head=[h.replace("Return", "Type") for h in HEAD]))
    with pytest.raises(SourceFormatError, match=r"missing column\(s\) \['Return'\]"):
        k.read(p)
    p.write_text(text(ROWS)[:-9])  # the last row cut mid-row
    with pytest.raises(SourceIncompleteError):
        k.read(p)
    with pytest.warns(UserWarning):
        assert len(k.read(p, allow_incomplete=True)) == len(ROWS) - 1


def test_zip_without_the_table_and_finding_it(tmp_path):
    z = tmp_path / "k.zip"
    with zipfile.ZipFile(z, "w") as f:
        f.writestr("Secondary Care KO41a - Org Level.csv", "Year\r\n2024-25\r\n")
    assert k.member(z) is None
    with pytest.raises(SourceFormatError, match="no 'KO41b - Practice Level' CSV"):
        k.read(z)
    two = tmp_path / "two.zip"
    with zipfile.ZipFile(two, "w") as f:
        f.writestr(NAME, text(ROWS))
        f.writestr("copy/" + NAME, text(ROWS))
    with pytest.raises(SourceFormatError, match="holds 2 KO41b practice-level tables"):
        k.member(two)
    bad = tmp_path / "cut.zip"
    bad.write_bytes(z.read_bytes()[:40])
    with pytest.raises(SourceFormatError, match="not a readable zip"):
        k.member(bad)
    with pytest.raises(SourceFormatError, match="not a readable zip"):
        k.read(bad)
    (tmp_path / NAME).write_text(text(ROWS))
    assert k.sibling(tmp_path / "Data Secondary Care KO41a - Org Level.csv") == tmp_path / NAME


@pytest.mark.skipif(not REAL.exists(), reason=f"the KO41a/KO41b publication is not present "
                                              f"at {REAL} (../shared/data/real)")
def test_real_returns():
    df = k.read(REAL)
    assert df["return_type"].value_counts().to_dict() == {"Dental": 6909, "GP": 5806, "ICB": 42}
    gp = df[df["return_type"] == "GP"]
    assert gp["provider_code"].is_unique and gp["contract_number"].isna().all()
    assert {"C82038", "Y02973", "L83087"} <= set(gp["provider_code"])


def test_year_of_another_name_or_in_the_future_refused(tmp_path):
    """The name says 2024-25: rows of 2023-24 are refused; a year that has not begun too."""
    p = tmp_path / NAME
    p.write_text(text([row(), ["2023-24", *row("Y02973")[1:]]]))
    with pytest.raises(SourceFormatError, match="financial year 2023-24 is outside the years "
                                                r"in the file's name \(2024-25\)") as e:
        k.read(p)
    assert e.value.column == "Year"
    future = tmp_path / "KO41b - Practice Level.csv"
    future.write_text(text([["2035-36", *row()[1:]]]))
    with pytest.raises(SourceFormatError, match="financial year 2035-36 is in the future"):
        k.read(future)
    bad = tmp_path / "b" / NAME
    bad.parent.mkdir()
    bad.write_text(text([["2024", *row()[1:]]]))
    with pytest.raises(SourceFormatError, match="value '2024' on line 2") as e:
        k.read(bad)
    assert e.value.column == "Year"


def test_a_year_that_is_not_one_financial_year_is_refused_like_ko41a(tmp_path):
    # only the last two digits were checked: '2024-2125' passed
    p = tmp_path / NAME
    p.write_text(text([["2024-2125", *row()[1:]]]))
    with pytest.raises(SourceFormatError, match="value '2024-2125' on line 2") as e:
        k.read(p)
    assert e.value.column == "Year"
