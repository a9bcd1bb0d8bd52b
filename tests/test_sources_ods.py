"""ODS trust lists: reading the headerless files, regions, and the sector rule."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from workbench.data.sources import ods
from workbench.errors import SourceFormatError

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real" / "ods_reference"


def etr_line(code, name, grouping="Y56", close=""):
    fields = [code, name, grouping, "QKK", "1 ROAD", "", "", "LONDON", "", "SE1 9RT",
              "19930401", close] + [""] * 15
    return ",".join(f'"{f}"' for f in fields) + "\n"


def write_etr(path: Path, rows=(("RJ1", "GUY'S AND ST THOMAS' NHS FOUNDATION TRUST"),
                                ("RXL", "BLACKPOOL TEACHING HOSPITALS NHS FOUNDATION TRUST", "Y62"))):
    path.write_text("".join(etr_line(*r) for r in rows), encoding="utf-8")
    return path


def real(name):
    p = REAL / name
    if not p.exists():
        pytest.skip(f"real ODS file {p} not present (../shared/data/real is not mounted)")
    return p


def test_real_etr_has_every_trust_with_region():
    df = ods.read(real("etr.csv"))
    assert len(df) == 274
    assert df["code"].is_unique and not df["is_site"].any()
    assert df.loc[df["code"] == "RJ1", "region"].item() == "London"
    assert df["region"].notna().sum() >= 270  # all but Welsh/unassigned groupings
    assert df.attrs["provenance"]["sha256"] and df.attrs["provenance"]["n_trusts"] == 274


def test_real_etrust_maps_sites_to_trusts():
    df = ods.read(real("etrust_2018.csv.gz"))
    assert len(df) == 29955
    site = df.set_index("code").loc["R0A02"]
    assert bool(site["is_site"]) and site["trust_code"] == "R0A"
    assert (~df["is_site"]).sum() == 235


def test_sector_rule_on_codes_seen_in_published_files():
    trusts = ods.trusts_table(ods.read(real("etr.csv")))
    codes = ["RJ1", "RXL01", "R1H", "C82038", "NQT5F", "NT215", "AJN", "VM44K", "00J", "QKK"]
    assert ods.sector_of(codes, trusts).tolist() == [
        "nhs", "nhs", "nhs", "nhs", "independent", "independent", "independent",
        "independent", "nhs", "nhs"]


def test_sector_rule_list_beats_shape_and_gp_option():
    # a new-style 5-character trust code is NHS only because it is listed
    assert ods.sector_of(["G6V2S"], ["G6V2S"]).tolist() == ["nhs"]
    assert ods.sector_of(["G6V2S"], []).tolist() == ["independent"]
    assert ods.sector_of(["C82038"], [], gp_sector="independent").tolist() == ["independent"]
    # shape rule: a closed trust absent from the list is still NHS
    assert ods.sector_of(["RQ6"], None).tolist() == ["nhs"]
    with pytest.raises(ValueError, match="gp_sector"):
        ods.sector_of(["RJ1"], [], gp_sector="private")


def test_is_gp_practice():
    assert ods.is_gp_practice(["A81001", "RJ1", "NT215", None]).tolist() == [True, False, False,
                                                                            False]


def test_trusts_table_current_list_wins(tmp_path):
    new = ods.read(write_etr(tmp_path / "etr.csv", [("RJ1", "NEW NAME")]))
    old = ods.read(write_etr(tmp_path / "etrust.csv", [("RJ1", "OLD NAME", "Y54"),
                                                       ("RQ6", "CLOSED TRUST", "Y54")]))
    t = ods.trusts_table(new, old).set_index("trust_code")
    assert t.loc["RJ1", "name"] == "NEW NAME" and t.loc["RJ1", "region"] == "London"
    assert t.loc["RQ6", "name"] == "CLOSED TRUST" and pd.isna(t.loc["RQ6", "region"])


def test_cp1252_names_are_decoded(tmp_path):
    p = tmp_path / "etr.csv"
    p.write_bytes(etr_line("RJ1", "ST THOMAS\u2019 HOSPITAL").encode("cp1252"))
    assert ods.read(p)["name"].item() == "ST THOMAS\u2019 HOSPITAL"


@pytest.mark.parametrize("content, match", [
    (b"", "empty"),
    (b'"RJ1","GUY\'S","Y56"\n', "field 12"),
    (b'"Organisation Code","Name","a","b","c","d","e","f","g","h","i","j"\n', "header row"),
    (etr_line("rj 1!", "BAD").encode(), "organisation code"),
    (etr_line("RJ1", "X", close="2020-03-01").encode(), "close_date"),
])
def test_bad_input_is_one_clear_error(tmp_path, content, match):
    p = tmp_path / "etr.csv"
    p.write_bytes(content)
    with pytest.raises(SourceFormatError, match=match) as err:
        ods.read(p)
    assert "etr.csv" in str(err.value)


def test_truncated_files(tmp_path):
    p = tmp_path / "etr.csv"
    text = "".join(etr_line(f"R{i:02d}", "TRUST") for i in range(10, 20))
    p.write_text(text[:-60])
    with pytest.raises(SourceFormatError, match="truncated"):
        ods.read(p)
    g = tmp_path / "etrust.csv.gz"
    g.write_bytes(gzip.compress(text.encode())[:-30])
    with pytest.raises(SourceFormatError, match="etrust.csv.gz"):
        ods.read(g)


# --- organisations by name, closed trusts -----------------------------------------------------

def test_codes_by_name_exact_after_normalising_only(tmp_path):
    etr = ods.read(write_etr(tmp_path / "etr.csv", rows=(
        ("RJ1", "GUY'S AND ST THOMAS' NHS FOUNDATION TRUST"),
        ("RA3", "WESTON AREA HEALTH NHS TRUST", "Y58", "20200331"),
        ("RX1", "TWIN NHS TRUST"), ("RX2", "TWIN NHS TRUST"))))
    got = ods.codes_by_name(["Guy's & St Thomas' NHS Foundation Trust",
                             "Weston Area Health NHS Trust", "Guy's and St Thomas'",
                             "Twin NHS Trust", ""], etr).set_index("name")
    assert got["code"].tolist()[:2] == ["RJ1", "RA3"]
    assert got.loc["Weston Area Health NHS Trust", "close_date"] == pd.Timestamp("2020-03-31")
    assert got.loc["Weston Area Health NHS Trust", "list"] == "etr.csv"
    part = got.loc["Guy's and St Thomas'"]  # a part of a name is never a match
    assert pd.isna(part["code"]) and part["reason"].startswith("no organisation")
    twin = got.loc["Twin NHS Trust"]
    assert pd.isna(twin["code"]) and twin["candidates"] == "RX1;RX2"
    assert twin["reason"].startswith("2 organisations")
    assert pd.isna(got.loc["", "code"])


def test_codes_by_name_first_list_wins_and_sites_are_not_matched():
    cur = pd.DataFrame({"code": ["RJ1"], "name": ["NEW NAME NHS TRUST"], "is_site": [False]})
    old = pd.DataFrame({"code": ["RJ1", "RJ101"], "name": ["NEW NAME NHS TRUST", "A HOSPITAL"],
                        "is_site": [False, True]})
    got = ods.codes_by_name(["New Name NHS Trust", "A Hospital"], cur, old)
    assert got["code"].tolist()[0] == "RJ1" and got["list"].tolist()[0] == "table 1"
    assert pd.isna(got["code"].iloc[1])


def test_real_lists_find_the_comment_trusts_by_name():
    etr, etrust = ods.read(real("etr.csv")), ods.read(real("etrust_2018.csv.gz"))
    got = ods.codes_by_name(["North East Ambulance Service NHS Foundation Trust",
                             "Northamptonshire Healthcare NHS Foundation Trust"], etr, etrust)
    assert got["code"].tolist() == ["RX6", "RP1"] and set(got["list"]) == {"etr.csv"}
    closed = etr[etr["close_date"].notna()]
    assert len(closed) == 72 and "RA3" in set(closed["code"])  # closed trusts stay listed
