"""Cross-sections of trusts: measures of different frequencies aligned on one period, said in
the findings; rates pooled as ratios of sums; complaints modelled as counts with exposure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.analysis.effects import cross_section as X
from workbench.data.catalogue import NotHeld
from workbench.errors import AnalysisInputError


@pytest.fixture(scope="module")
def data():
    return X.example_tables(60, seed=3)


def test_each_measure_keeps_its_period_and_says_it(data):
    panel, tables = data
    cs = X.cross_section(panel, tables, "2024-25")
    assert cs.table["provider_code"].is_unique                  # one row per trust
    freq = {a.measure: a.frequency for a in cs.aligned}
    assert freq["complaints"] == "annual" and freq["sickness_absence_pct"] == "monthly"
    assert freq["staff_enough_staff_pct"] == "annual" and freq["beds"] == "quarterly"
    text = cs.periods_text()
    for words in ("financial year 2024-25", "NHS Staff Survey 2024", "April 2024 to March 2025",
                  "July 2023 to June 2024", "KH03 ends June 2024"):
        assert words in text, words


def test_survey_year_2022_aligns_the_surveys_and_says_what_is_missing(data):
    panel, tables = data
    cs = X.cross_section(panel, tables, "2022")
    assert cs.held("inpatient_experience_score", 20) and cs.held("staff_burnout_pct", 20)
    assert not cs.held("ae_pct_within_4h")                      # A&E only for 2024-25 here
    assert "September to December 2022" in cs.missing["ae_pct_within_4h"]
    assert "2024" in cs.missing["ae_pct_within_4h"]              # the years it does hold
    assert "2024-25" in cs.missing["complaints_per_1000_bed_days"]


def test_monthly_rates_are_ratios_of_sums_not_means_of_rates():
    months = pd.date_range("2024-04-01", "2024-05-01", freq="MS")
    sick = pd.DataFrame({"provider_code": ["A", "A"], "period": months,
                         "fte_days_lost": [10.0, 90.0], "fte_days_available": [100.0, 900.0]})
    assert X.pooled_sickness(sick, months)["sickness_absence_pct"].item() == pytest.approx(10.0)
    panel = pd.DataFrame({"provider_code": ["A", "A"], "period": months,
                          "ae_over_4h": [50.0, 100.0], "ae_attendances": [100.0, 1000.0]})
    got = X.pooled_months(panel, months, count="ae_over_4h", total="ae_attendances",
                          name="ae_pct_within_4h", complement=True)
    assert got["ae_pct_within_4h"].item() == pytest.approx(100 - 100 * 150 / 1100)
    # too few of the window's months: left out, not spread
    few = X.pooled_months(panel.iloc[:1], pd.date_range("2024-04-01", "2025-03-01", freq="MS"),
                          count="ae_over_4h", total="ae_attendances", name="x")
    assert few.empty


def test_pooled_rates_over_trusts(data):
    panel, tables = data
    t = X.cross_section(panel, tables, "2024-25").table
    pooled = X.pooled_rates(t).set_index("rate")
    ok = t.dropna(subset=["complaints", "occupied_bed_days"])
    assert pooled.loc["complaints_per_1000_bed_days", "value"] == pytest.approx(
        1000 * ok["complaints"].sum() / ok["occupied_bed_days"].sum())
    assert pooled.loc["complaints_per_1000_bed_days", "value"] != pytest.approx(
        ok["complaints_per_1000_bed_days"].mean())


def test_complaints_are_modelled_as_counts_with_their_exposure(data):
    panel, tables = data
    cs = X.cross_section(panel, tables, "2024-25")
    f = X.fit(cs, "complaints", ("staff_enough_staff_pct",), ("log_beds",))
    assert f.spec.kind == "negbin" and f.spec.exposure == "occupied_bed_days"
    [found] = X.section_findings(f, cs)
    assert found.unit.startswith("rate ratio")
    assert found.ci_low < np.exp(-0.02) < found.ci_high          # the made-up effect
    assert found.sentence.startswith("Written complaints per occupied bed day")
    assert "not the effect of a change within a trust" in found.sentence
    assert "Periods aligned for financial year 2024-25" in found.sentence
    assert found.parameters["design"] == "cross-sectional, between trusts"
    share = X.fit(cs, "complaints_waiting", ("ae_pct_within_4h",))
    assert share.spec.kind == "poisson" and share.spec.exposure == "complaint_subjects"


def test_bed_days_average_over_the_quarters_times_the_window_days():
    beds = pd.DataFrame({"provider_code": "A", "sector": ["General & Acute", "Maternity"] * 2,
                         "period": pd.to_datetime(["2024-04-01"] * 2 + ["2024-07-01"] * 2),
                         "frequency": "quarterly", "days": [91, 91, 92, 92],
                         "beds_available": [100.0, 10.0, 100.0, 10.0],
                         "beds_occupied": [90.0, 5.0, 80.0, 5.0]})
    w = X.Window("x", pd.Timestamp("2024-04-01"), pd.Timestamp("2024-09-01"), "x")
    t, period, note = X.bed_days(beds, w)
    occ = (95 * 91 + 85 * 92) / (91 + 92)
    assert t["occupied_bed_days"].item() == pytest.approx(occ * 183)
    assert period == "April 2024 to September 2024" and note == ""


def test_tables_not_held_give_reasons_not_errors(data):
    panel, _ = data
    gone = {n: NotHeld(n, "the synthetic default makes a panel only")
            for n in ("staff_survey_years", "complaints", "beds")}
    cs = X.cross_section(panel, gone, "2024-25")
    assert not cs.held("staff_enough_staff_pct")
    assert "synthetic default" in cs.missing["staff_enough_staff_pct"]
    with pytest.raises(AnalysisInputError, match="which"):
        X.cross_section(panel, gone, "2023")


def test_the_experience_score_is_the_mean_of_the_multi_question_sections():
    rows = [{"provider_code": "A", "survey_year": 2022, "item": s, "score": 8.0}
            for s in X.EXPERIENCE_SECTIONS]
    rows += [{"provider_code": "A", "survey_year": 2022, "item": "S08", "score": 1.0},
             {"provider_code": "B", "survey_year": 2022, "item": "S01", "score": 9.0}]
    got = X.inpatient_experience(pd.DataFrame(rows), 2022).set_index("provider_code")
    assert got.loc["A", "inpatient_experience_score"] == 8.0     # S08 not averaged in
    assert "B" not in got.index                                 # one section is not enough
