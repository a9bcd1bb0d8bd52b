"""Themes of FFT comments by satisfaction (workbench.analysis.text.themes)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.analysis.text import themes as ct

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
V6 = REAL / "patient_feedback_text" / "v6framework_230831.csv"


def test_wilson_and_newcombe_match_published_values():
    # Newcombe (1998) table II example: 56/70 vs 48/80 -> 0.0524 to 0.3339
    _, lo, hi = ct.newcombe(56, 70, 48, 80)
    assert (round(lo, 4), round(hi, 4)) == (0.0524, 0.3339)
    lo, hi = ct.wilson(0, 10)
    assert float(lo) == 0.0 and round(float(hi), 4) == 0.2775


def test_respondent_counts_once_and_mentions_any_comment():
    c = pd.DataFrame({"comment_id": ["a", "b", "c", "d"], "trust": "T",
                      "respondent_id": ["r1", "r1", "r2", "r3"], "service": "S",
                      "fft_score": [5.0, 5.0, 1.0, 7.0], "text": ["x", "y", "z", "w"]})
    t = pd.DataFrame({"comment_id": ["b", "c", "d"],
                      "theme_group": ["staff_numbers", "staff_numbers", "staff_numbers"]})
    r = ct.respondents(c, t).set_index("respondent")
    assert list(r.index) == ["T:r1", "T:r2"]             # score 7 (other) is left out
    assert r.loc["T:r1", "comments"] == 2 and r.loc["T:r1", "staff_numbers"] == 1
    assert r.loc["T:r1", "group"] == "dissatisfied" and r.loc["T:r2", "group"] == "satisfied"


def test_shares_and_difference_findings():
    c, t = ct.example_data()
    r = ct.respondents(c, t)
    s = ct.shares(r).set_index(["group", "theme_group"])
    row = s.loc[("dissatisfied", "staff_numbers")]
    assert row["respondents"] == 100 and row["ci_low"] < row["share_pct"] < row["ci_high"]
    f = {x.id: x for x in ct.difference_findings(r)}
    gap = f["theme_gap:dissatisfied_vs_satisfied->staff_numbers@all"]
    expected = (row["share_pct"] - s.loc[("satisfied", "staff_numbers"), "share_pct"])
    assert gap.estimate == pytest.approx(expected) and gap.ci_low > 0
    assert gap.role == "headline" and f["theme_gap:dissatisfied_vs_satisfied->staff_numbers@T1"
                                         ].role == "robustness"
    att = f["theme_gap:dissatisfied_vs_satisfied->staff_attitude@all"]
    assert att.ci_low < 0 < att.ci_high                  # built with no difference
    assert "more often" in gap.sentence or "less often" in gap.sentence


def test_small_group_is_a_diagnostic():
    c, t = ct.example_data()
    keep = c[(c["fft_score"] < 4) | (np.arange(len(c)) < 10)]
    f = ct.difference_findings(ct.respondents(keep, t))
    assert {x.role for x in f if x.id.endswith("@all")} == {"diagnostic"}


def test_ordinal_model_recovers_direction():
    c, t = ct.example_data()
    f = {x.id: x for x in ct.ordinal_findings(ct.respondents(c, t))}
    staff = f["ordinal:staff_numbers->fft_score@all"]
    assert staff.estimate > 1 and staff.ci_low > 1 and staff.unit.startswith("odds ratio")
    assert "proportional-odds" in staff.sentence


def test_quotations_only_pass_the_check():
    c, t = ct.example_data()
    c.loc[0, "text"] = "Ring me on 07700 900123"
    c.loc[1, "person_identifiable"] = True
    q = ct.quotations(c, t, per_theme=50)
    assert q.columns.tolist() == ["theme_group", "group", "text"]
    assert "Ring me on 07700 900123" not in q["text"].tolist()
    assert (q.groupby("theme_group").size() <= 50).all()


@pytest.mark.skipif(not V6.is_file(), reason=f"published comments file not at {V6}")
def test_real_comments_by_respondent():
    from workbench.data.sources import patient_comments

    data = patient_comments.read(V6)
    r = ct.respondents(data.comments, data.themes)
    scored = data.comments[data.comments["fft_score"].between(1, 5)
                           & data.comments["text"].notna()]
    assert len(r) == scored.groupby(["trust", "respondent_id"]).ngroups
    assert set(r["trust"]) == {"NEAS", "NHFT"}
    d = ct.differences(r).set_index("theme_group")
    assert d.loc["timeliness_of_care", "ci_low"] > 0   # dissatisfied write about delays more


def test_question_module_answers_or_says_why_not():
    from workbench.analysis.questions import what_patients_write as q09
    from workbench.data.catalogue import NotHeld

    c, t = ct.example_data()
    a = q09.answer(c, t)
    assert a.reason == "" and len(a.respondents) == 400
    assert [q09.theme_label(f) for f in a.gaps()] == [ct.GROUP_WORDS[g] for g in ct.GROUPS]
    assert {f.id for f in a.findings()} == {f.id for f in ct.difference_findings(a.respondents)
                                           + ct.ordinal_findings(a.respondents)}
    assert a.limits() == ct.limits(c, a.respondents)
    gone = q09.answer(c, NotHeld("comment_themes", "the build read no comments file"))
    assert gone.findings() == [] and gone.gaps() == [] and gone.quotations().empty
    assert gone.shares(by=("trust",)).empty and gone.respondents.empty
    assert gone.limits() == [("The study's data hold no comment_themes table: the build "
                              "read no comments file.")]
    assert gone.quotation_checks()["comments"].sum() == 0
