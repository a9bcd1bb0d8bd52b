"""Staff survey 2021-24 against A&E and RTT waits (workbench.analysis.questions.real_data_staffing_ae)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.analysis.questions import real_data_staffing_ae as se
from workbench.errors import AnalysisInputError

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
SURVEY = (REAL / "nhs_staff_survey_trust_2021_24"
          / "data_trusts_well-being_organisational_results.csv")


def test_windows_of_a_survey_year():
    assert [f"{m:%Y-%m}" for m in se.window(2024)] == ["2025-01", "2025-12"]
    assert [f"{m:%Y-%m}" for m in se.window(2024, "financial_year")] == ["2024-04", "2025-03"]
    with pytest.raises(AnalysisInputError, match="mapping"):
        se.window(2024, "calendar")


def test_outcome_is_attendance_weighted_over_the_window():
    s = pd.DataFrame([{"provider_code": "R1", "year": 2023, **{e: 40.0 for e in se.EXPOSURES}}])
    months = pd.date_range("2023-10-01", periods=6, freq="MS")  # 3 before, 3 in the window
    p = pd.DataFrame({"provider_code": "R1", "sector": "nhs", "period": months,
                      "ae_attendances": [5000.0, 5000, 5000, 4000, 8000, 2000],
                      "ae_pct_within_4h": [10.0, 10, 10, 50, 80, 99]})
    t = se.outcome_table(s, p, min_months=2)  # window 2024; the 2,000-attendance month is out
    assert t.loc[0, "ae_months"] == 2
    assert t.loc[0, "ae_pct_within_4h"] == pytest.approx((4000 * 50 + 8000 * 80) / 12000)
    assert np.isnan(se.outcome_table(s, p).loc[0, "ae_pct_within_4h"])  # 3 months needed


def test_within_and_cross_sectional_estimates_and_roles():
    s, p = se.example_data(n_trusts=40)
    t = se.outcome_table(s, p)
    f = {x.id: x for x in se.associations(t, exposures=("staff_burnout_pct",),
                                         outcomes=("ae_pct_within_4h",))}
    within = f["staff_within:staff_burnout_pct->ae_pct_within_4h@nhs"]
    cross = f["staff_cross:staff_burnout_pct->ae_pct_within_4h@nhs"]
    # built: -0.1 per point of burnout within a trust = -1 per 10 points; between trusts
    # the trust level raises both burnout and A&E performance, so the cross-section differs
    assert within.ci_low < -1.0 < within.ci_high
    assert cross.estimate > within.estimate
    assert within.role == "headline" and cross.role == "robustness"
    assert within.sentence.startswith("Within trusts") and within.clusters == 40
    assert cross.sentence.startswith("Cross-sectional")
    assert "clustered by trust" in within.model


def test_one_year_gives_only_a_cross_section_with_a_warning():
    s, p = se.example_data(n_trusts=30)
    t = se.outcome_table(s[s["year"] == 2023], p)
    f = se.associations(t, exposures=("staff_burnout_pct",), outcomes=("ae_pct_within_4h",))
    assert [x.id.split(":")[0] for x in f] == ["staff_cross"]
    # trusts compared with each other are not identified by design: a check, not a headline
    assert f[0].role == "robustness" and "no within-trust estimate" in f[0].warning


def test_few_trusts_are_a_diagnostic():
    s, p = se.example_data(n_trusts=8)
    f = se.associations(se.outcome_table(s, p), exposures=("staff_burnout_pct",),
                        outcomes=("ae_pct_within_4h",))
    assert f and {x.role for x in f} == {"diagnostic"}
    assert all("too few clusters" in x.warning for x in f)


def test_non_nhs_organisations_are_left_out():
    s, p = se.example_data(n_trusts=25)
    p.loc[p["provider_code"] == "R00", "sector"] = "independent"
    t = se.outcome_table(s, p)
    assert "R00" not in set(t["provider_code"])


@pytest.mark.skipif(not SURVEY.is_file(), reason=f"published staff survey file not at {SURVEY}")
def test_real_survey_maps_years_to_published_ae_months():
    from workbench.data.sources import staff_survey_trust

    s = staff_survey_trust.read(SURVEY)
    acute = s[s["benchmarking_group"] == "Acute and Acute & Community Trusts"]
    codes = acute["provider_code"].unique()
    # A&E is published monthly from June 2024: the 2023 and 2024 survey years have windows
    months = pd.date_range("2024-06-01", "2025-06-01", freq="MS")
    rng = np.random.default_rng(1)
    p = pd.DataFrame([{"provider_code": c, "sector": "nhs", "period": m,
                       "ae_attendances": 9000.0, "ae_pct_within_4h": rng.uniform(60, 90)}
                      for c in codes for m in months])
    t = se.outcome_table(s, p)
    have = t.dropna(subset=["ae_pct_within_4h"])
    assert sorted(have["year"].unique()) == [2023, 2024]
    assert have.groupby("year")["ae_months"].max().to_dict() == {2023: 7, 2024: 6}


def test_survey_not_held_is_a_stated_limit_and_labels_come_from_the_id():
    from workbench.data.catalogue import NotHeld

    s, p = se.example_data(n_trusts=30)
    held = se.staff_experience(s, p)
    assert held.reason == "" and held.limits() == se.limits(held.table)
    f = held.findings()
    assert {x.id for x in f} == {x.id for x in se.associations(se.outcome_table(s, p))}
    labels = {x.id: se.staff_label(x) for x in f}
    assert labels["staff_within:staff_burnout_pct->ae_pct_within_4h@nhs"] == \
        "burnout -> ae_pct_within_4h (within)"
    assert labels["staff_cross:staff_enough_staff_pct->ae_pct_within_4h@nhs"] == \
        "enough_staff -> ae_pct_within_4h (cross)"
    gone = se.staff_experience(NotHeld("staff_survey_years", "a synthetic panel"), p)
    assert gone.findings() == [] and gone.table.empty
    assert gone.limits() == [("The study's data hold no staff_survey_years table: a "
                              "synthetic panel.")]
