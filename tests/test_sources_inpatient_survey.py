"""Adult Inpatient Survey benchmark workbook: scores kept with their expected ranges and bands."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from source_helpers import write_xlsx

from workbench.data.sources import inpatient_survey as ip
from workbench.errors import SourceFormatError

REAL = (Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
        / "adult_inpatient_survey_2022_trust" / "Adult-Inpatient-Survey-2022.ods")
ITEMS = ["Q2", "Q5_1", "S01"]
PREFIXES = ["ll90", "ul90", "ll95", "ul95", "ll99", "ul99"]


def item_cells(score, band, centre=7.0):
    """mean, the six limits (90, 95, 99.8% around ``centre``), band, z."""
    lims = {"ll90": centre - 0.8, "ul90": centre + 0.8, "ll95": centre - 1.0,
            "ul95": centre + 1.0, "ll99": centre - 1.5, "ul99": centre + 1.5}
    return [score, *[lims[p] for p in PREFIXES], band, 0.5]


def score_header(items=ITEMS):
    head = ["TrustCode", "trustname", "n_tpat"]
    for it in items:
        head += [f"mean{it}", *[f"{p}{it}" for p in PREFIXES], f"band{it}", f"{it}_Zfinal"]
    return head


def survey_sheets(rows=None, items=ITEMS):
    rows = rows if rows is not None else [
        ["RJ1", "Guy's", 400, *item_cells(8.1, 6), *item_cells(7.2, 4), *item_cells(5.4, 1)],
        ["RXL", "Blackpool", 350, *item_cells(6.1, 3), *item_cells("", 0), *item_cells(7.9, 5)],
    ]
    return {
        "Guidance": [["NHS Adult Inpatient Survey 2022"]],
        "Key": [["Sheet", "Variable name", "Description and comments"],
                ["Trust_Respondents", "TrustCode", "Trust code"],
                ["", "age1_tpc", "Percentage aged 16 - 35 (per trust)"],
                ["", "age4_tpc", "Percentage aged 66+ (per trust)"],
                ["", "sexatbirth2_tpc", "Percentage female (per trust)"]],
        "Trust_Respondents": [["TrustCode", "trustname", "Q2_tres", "Q5_1_tres", "n_tpat",
                               "tr_rate", "age1_tpc", "age4_tpc", "sexatbirth2_tpc"],
                              ["RJ1", "Guy's", 141, 360, 400, 33.9, 20.5, 45.1, 52.0],
                              ["RXL", "Blackpool", 120, 25, 350, 41.1, 15.0, 55.3, 50.2]],
        "Trust_Scores": [score_header(items), *rows],
        "Historical_Comparisonsto2021": [
            ["SurveyYear", "TrustCode", "trustname", "n_tpat_H", "Q2_mean_H", "Q2_Base_unw",
             "Q2_sig"], [2021, "RJ1", "Guy's", 401, 7.1, 122, 1], [2021, "RXL", "B", 300, 6.9,
                                                                  100, 0]],
    }


def write(tmp_path, sheets=None, name="Adult-Inpatient-Survey-2022.xlsx"):
    return write_xlsx(tmp_path / name, sheets or survey_sheets())


def test_scores_keep_their_expected_range_and_band(tmp_path):
    s = ip.read(write(tmp_path)).set_index(["provider_code", "item"])
    r = s.loc[("RJ1", "Q2")]
    assert (r["score"], r["expected_low_95"], r["expected_high_95"]) == (8.1, 6.0, 8.0)
    assert (r["expected_low_90"], r["expected_high_998"]) == (6.2, 8.5)
    assert r["band"] == 6 and r["band_label"] == "Better than expected"
    assert r["respondents"] == 400 and r["item_respondents"] == 141
    assert r["survey_year"] == 2022 and r["item_kind"] == "question"
    assert s.loc[("RJ1", "S01"), "band_label"] == "Much worse than expected"
    assert s.loc[("RJ1", "S01"), "item_kind"] == "section"
    assert np.isnan(s.loc[("RJ1", "S01"), "item_respondents"])
    gone = s.loc[("RXL", "Q5_1")]                       # fewer than 30 respondents
    assert np.isnan(gone["score"]) and np.isnan(gone["band"]) and gone["band_label"] is None


def test_other_tables(tmp_path):
    a = ip.read_all(write(tmp_path))
    assert a.respondents.set_index("provider_code").loc["RXL", "response_rate_pct"] == 41.1
    c = a.characteristics.set_index(["provider_code", "variable"])
    assert c.loc[("RJ1", "age4_tpc"), "category"] == "aged 66+"
    assert c.loc[("RJ1", "age4_tpc"), "characteristic"] == "age"
    assert c.loc[("RXL", "sexatbirth2_tpc"), "pct"] == 50.2
    h = a.history.set_index(["provider_code", "item"])
    assert h.loc[("RJ1", "Q2"), "score_then"] == 7.1 and h.loc[("RJ1", "Q2"), "change"] == 1
    assert a.provenance["overall_experience_item"] is None


def test_band_must_match_where_the_score_falls(tmp_path):
    sheets = survey_sheets()
    sheets["Trust_Scores"][1][3 + 7] = 4              # Q2 band: 8.1 is above the 90% range
    with pytest.raises(SourceFormatError, match="trust 'RJ1' in row 2: band 4 for a score of "
                                                "8.1 .expected band 6") as e:
        ip.read(write(tmp_path, sheets))
    assert e.value.column == "bandQ2" and e.value.sheet == "Trust_Scores"


def test_score_on_a_limit_may_take_either_band(tmp_path):
    sheets = survey_sheets()
    sheets["Trust_Scores"][1][3] = 7.8                 # Q2 score = ul90 exactly
    for band in (4, 5):
        sheets["Trust_Scores"][1][3 + 7] = band
        assert ip.read(write(tmp_path, sheets, name=f"Adult-Inpatient-Survey-2022-{band}.xlsx"))[
            "band"].iloc[0] == band


def test_ranges_and_bands_are_checked(tmp_path):
    sheets = survey_sheets()
    sheets["Trust_Scores"][1][3 + 5] = 6.1             # ll99 above ll95
    with pytest.raises(SourceFormatError, match="below ll99Q2|nested") as e:
        ip.read(write(tmp_path, sheets, name="a-2022.xlsx"))
    assert e.value.column in ("ll95Q2", "ll90Q2")
    sheets = survey_sheets()
    sheets["Trust_Scores"][2][3 + 9 + 7] = 4           # RXL Q5_1: a band without a score
    with pytest.raises(SourceFormatError, match="band 4 with no score"):
        ip.read(write(tmp_path, sheets, name="b-2022.xlsx"))
    sheets = survey_sheets()
    sheets["Trust_Scores"][1][3 + 1] = ""              # RJ1 Q2: a score without its range
    with pytest.raises(SourceFormatError, match="without its expected range"):
        ip.read(write(tmp_path, sheets, name="c-2022.xlsx"))
    sheets = survey_sheets()
    sheets["Trust_Scores"][1][3] = 11.0
    with pytest.raises(SourceFormatError, match="outside 0-10") as e:
        ip.read(write(tmp_path, sheets, name="d-2022.xlsx"))
    assert e.value.column == "meanQ2"


def test_layout_errors_name_sheet_and_column(tmp_path):
    sheets = survey_sheets()
    sheets["Trust_Scores"][0][4] = "lower90Q2"
    with pytest.raises(SourceFormatError, match="item Q2 lacks column") as e:
        ip.read(write(tmp_path, sheets, name="a-2022.xlsx"))
    assert e.value.column == "ll90Q2"
    sheets = survey_sheets()
    sheets["Trust_Scores"].append(list(sheets["Trust_Scores"][1]))
    with pytest.raises(SourceFormatError, match="duplicate rows 2, 4 .*TrustCode='RJ1'"):
        ip.read(write(tmp_path, sheets, name="b-2022.xlsx"))
    sheets = survey_sheets()
    sheets["Scores"] = sheets.pop("Trust_Scores")
    with pytest.raises(SourceFormatError, match="Trust_Scores.*the workbook has") as e:
        ip.read(write(tmp_path, sheets, name="c-2022.xlsx"))
    assert e.value.sheet == "Trust_Scores"
    with pytest.raises(SourceFormatError, match="no survey year"):
        ip.read(write(tmp_path, name="inpatient-survey.xlsx"))
    assert len(ip.read(write(tmp_path, name="inpatient-survey.xlsx"), survey_year=2021)) == 6


def test_single_question_sections_from_the_file(tmp_path):
    items = ["Q2", "Q45", "S09"]
    rows = [["RJ1", "A", 400, *item_cells(8.1, 6), *item_cells(7.0, 4), *item_cells(7.0, 4)],
            ["RXL", "B", 350, *item_cells(6.1, 3), *item_cells(7.5, 4), *item_cells(7.5, 4)]]
    sheets = survey_sheets(rows, items)
    a = ip.read_all(write(tmp_path, sheets))
    assert a.provenance["single_question_sections"] == {"S09": "Q45"}


@pytest.fixture(scope="module")
def real():
    if not REAL.exists():
        pytest.skip("real Adult Inpatient Survey 2022 workbook not present "
                    "(../shared/data/real/adult_inpatient_survey_2022_trust)")
    return ip.read_all(REAL)


def test_real_every_trust_has_a_score_and_its_expected_range(real):
    s = real.scores
    assert s["provider_code"].nunique() == 133 and s["survey_year"].eq(2022).all()
    assert set(s["item"]) >= {f"S{i:02d}" for i in range(1, 12)}
    limits = list(ip.LIMITS)
    scored = s.dropna(subset=["score"])
    # every score has its six limits and a band 1-7, and every trust has scores
    assert scored[limits].notna().all().all() and scored["band"].between(1, 7).all()
    per_trust = scored.groupby("provider_code").size()
    assert len(per_trust) == 133 and per_trust.min() >= 50
    assert ((scored["score"] >= scored["expected_low_998"] - 1e-9) | (scored["band"] == 1)).all()
    # sections: all trusts scored except the publisher's suppressed cells (fewer than 30)
    sec = s[s["item_kind"] == "section"].pivot(index="provider_code", columns="item",
                                               values="score")
    assert sec.drop(columns="S02").notna().all().all() and sec["S02"].isna().sum() == 7
    assert s["score"].isna().sum() == real.provenance["scores_suppressed"] == 14


def test_real_wording_and_overall_item_not_guessed(real):
    assert real.provenance["overall_experience_item"] is None
    assert real.provenance["single_question_sections"] == {"S08": "Q47", "S09": "Q45",
                                                           "S10": "Q46", "S11": "Q51"}
    assert len(real.respondents) == 133 and real.respondents["respondents"].min() > 0
    ages = real.characteristics[real.characteristics["characteristic"] == "age"]
    assert sorted(ages["category"].unique()) == ["aged 16 - 35", "aged 36 - 50",
                                                 "aged 51 - 65", "aged 66+"]
    total = ages.groupby("provider_code")["pct"].sum()
    assert total.between(99, 101).all()
    assert set(real.history["comparison_year"].dropna()) == {2020, 2021}
