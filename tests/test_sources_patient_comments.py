"""Labelled patient comments: both layouts, scores, themes and theme groups, checks."""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import pandas as pd
import pytest

from workbench.data.sources import ods
from workbench.data.sources import patient_comments as pc
from workbench.errors import SourceFormatError

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real" / "patient_feedback_text"
THEMES = ["Number & deployment of staff", "Staff manner & personal attributes",
          "Timeliness of care", "Appointment arrangements", "Parking"]
V6 = pc.V6_IDS + THEMES


def v6_row(cid, score="1", text="Lovely staff", date="30/09/2021", sentiment="1",
           themes=("", "1", "", "", "")):
    return [cid, "NEAS", cid[:-5], date, "PTS  - Patient Transport", "", score, "FFT Why?",
            text, "", sentiment, *themes]


def write(path, header, rows):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def test_v6_comments_scores_and_themes(tmp_path):
    rows = [v6_row("A 1 - Q1"), v6_row("A 2 - Q1", score="6", text="Did not answer",
                                        themes=("", "", "", "", "")),
            v6_row("A 3 - Q1", score="5", text="Waited hours, not enough crews",
                   sentiment="5", themes=("1", "", "1", "", "1")),
            v6_row("A 4 - Q1", score="", text="  ")]
    c = pc.read(write(tmp_path / "v6framework_1.csv", V6, rows))
    com = c.comments.set_index("comment_id")
    assert com.loc["A 1 - Q1", "fft_score"] == 1 and com.loc["A 1 - Q1", "trust"] == "NEAS"
    assert str(com.loc["A 1 - Q1", "date"].date()) == "2021-09-30"
    assert com["fft_score"].isna().tolist() == [False, True, False, True]  # 6 and blank
    assert com["text"].isna().tolist() == [False, True, False, True]  # placeholder, blank
    th = c.themes
    assert th[th.comment_id == "A 3 - Q1"]["theme_group"].tolist() == [
        "staff_numbers", "timeliness_of_care", None]
    assert th[th.comment_id == "A 1 - Q1"]["theme_group"].tolist() == ["staff_attitude"]
    assert c.provenance["with_text_and_score"] == 2


def test_phase1_layout(tmp_path):
    rows = [["sl", "Staff", "Staffing levels", "Short staffed", "-3", "Trust B", "Q1", "0"],
            ["ef", "Environment", "Food", "Cold food", "NA", "Trust B", "Q1", "1"]]
    c = pc.read(write(tmp_path / "phase_1__text_data.csv", pc.PHASE1, rows))
    assert c.layout == "phase_1" and c.comments["date"].isna().all()
    assert c.comments["criticality"].tolist()[0] == -3
    assert c.themes["theme_group"].tolist() == ["staff_numbers", None]


def test_renamed_column_and_unknown_layout(tmp_path):
    header = [h if h != "FFT categorical answer" else "FFT score" for h in V6]
    with pytest.raises(SourceFormatError, match="FFT categorical answer"):
        pc.read(write(tmp_path / "a.csv", header, [v6_row("A 1 - Q1")]))
    with pytest.raises(SourceFormatError, match="unrecognised layout|missing column"):
        pc.read(write(tmp_path / "b.csv", ["x", "y"], [["1", "2"]]))


def test_duplicate_comment_ids(tmp_path):
    with pytest.raises(SourceFormatError, match="duplicate lines 2, 3.*Comment ID='A 1 - Q1'"):
        pc.read(write(tmp_path / "a.csv", V6, [v6_row("A 1 - Q1"), v6_row("A 1 - Q1")]))


def test_bad_score_and_theme_cell(tmp_path):
    with pytest.raises(SourceFormatError, match="'FFT categorical answer'.*'9'.*line 2"):
        pc.read(write(tmp_path / "a.csv", V6, [v6_row("A 1 - Q1", score="9")]))
    with pytest.raises(SourceFormatError, match="'Parking'.*'yes'"):
        pc.read(write(tmp_path / "b.csv", V6, [v6_row("A 1 - Q1",
                                                      themes=("", "", "", "", "yes"))]))


def test_month_first_dates_left_missing_with_warning(tmp_path):
    rows = [v6_row("A 1 - Q1"), v6_row("A 2 - Q1", date="10/17/2021")]
    with pytest.warns(UserWarning, match="1 date.*'10/17/2021'.*line 3"):
        c = pc.read(write(tmp_path / "a.csv", V6, rows))
    assert c.comments["date"].isna().tolist() == [False, True]


@pytest.mark.skipif(not (REAL / "v6framework_230831.csv").exists(),
                    reason="real comment files not present (../shared/data/real/"
                           "patient_feedback_text)")
def test_real_comments_count_every_row_with_text_and_score():
    path = REAL / "v6framework_230831.csv"
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    want = sum(1 for r in rows if r["FFT answer"].strip().lower() not in ("", "did not answer")
               and r["FFT categorical answer"].strip() in {"1", "2", "3", "4", "5"})
    with pytest.warns(UserWarning, match="not DD/MM/YYYY"):
        c = pc.read(path)
    assert len(c.comments) == len(rows) == 7908
    got = c.comments.dropna(subset=["text", "fft_score"])
    assert len(got) == want and c.provenance["with_text_and_score"] == want
    assert set(c.comments["trust"]) == {"NEAS", "NHFT"}
    ones = sum(v == "1" for r in rows for k, v in r.items() if k in c.provenance["themes"])
    assert len(c.themes) == ones
    assert set(c.themes["theme_group"].dropna()) == set(pc.THEME_GROUPS)
    with pytest.warns(UserWarning, match="criticality"):
        p1 = pc.read(REAL / "phase_1__text_data.csv")
    assert len(p1.comments) == 10334 and p1.comments["text"].notna().all()


# --- the comments' trusts and their ODS codes ------------------------------------------------

def _etr():
    return pd.DataFrame({"code": ["RX6", "RP1", "RX1", "RX2"], "is_site": [False] * 4,
                         "name": ["NORTH EAST AMBULANCE SERVICE NHS FOUNDATION TRUST",
                                  "NORTHAMPTONSHIRE HEALTHCARE NHS FOUNDATION TRUST",
                                  "TWIN NHS TRUST", "TWIN NHS TRUST"],
                         "close_date": [None] * 4})


def test_trust_codes_expand_abbreviations_and_report_the_unmatched(tmp_path):
    v6 = pc.read(write(tmp_path / "v6framework_x.csv", V6,
                       [v6_row("1000100001"), v6_row("1000100002")])).comments
    v6.loc[1, "trust"] = "NHFT"
    extra = pd.DataFrame({"source": ["phase_1", "other", "other"],
                          "trust": ["Trust B", "Twin NHS Trust", "Nowhere NHS Trust"]})
    codes = pc.trust_codes(pd.concat([v6, extra], ignore_index=True), _etr())
    got = codes.set_index("trust")
    assert got.loc["NEAS", "provider_code"] == "RX6" and got.loc["NHFT", "provider_code"] == "RP1"
    assert got.loc["NEAS", "trust_name"] == pc.TRUST_NAMES["NEAS"]
    assert got.loc["NEAS", "comments"] == 1 and got.loc["NEAS", "reason"] is None
    assert got.loc["Trust B", "provider_code"] is None
    assert got.loc["Trust B", "reason"].startswith("anonymised by the publisher")
    assert got.loc["Twin NHS Trust", "reason"].startswith("2 organisations")
    assert got.loc["Nowhere NHS Trust", "reason"].startswith("no organisation")
    with_codes = pc.with_trust_codes(v6, codes)
    assert with_codes["provider_code"].tolist() == ["RX6", "RP1"]
    assert "provider_code" not in v6.columns  # the input is not changed


@pytest.mark.skipif(not (REAL / "v6framework_230831.csv").exists(),
                    reason="real comment files not present (../shared/data/real/"
                           "patient_feedback_text)")
def test_real_comment_trusts_map_to_ods_codes():
    lists = REAL.parent / "ods_reference"
    if not (lists / "etr.csv").exists():
        pytest.skip(f"real ODS lists not present ({lists})")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        comments = pd.concat([pc.read(REAL / "v6framework_230831.csv").comments,
                              pc.read(REAL / "phase_1__text_data.csv").comments])
    codes = pc.trust_codes(comments, ods.read(lists / "etr.csv"),
                           ods.read(lists / "etrust_2018.csv.gz")).set_index("trust")
    assert codes.loc["NEAS", "provider_code"] == "RX6"      # 5,096 comments
    assert codes.loc["NHFT", "provider_code"] == "RP1"      # 2,812
    unmatched = codes[codes["provider_code"].isna()]
    assert sorted(unmatched.index) == ["Trust A", "Trust B", "Trust C"]
    assert unmatched["comments"].sum() == 10334
