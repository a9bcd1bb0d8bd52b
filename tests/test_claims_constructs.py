"""The claims register asks for constructs: the best measure the data hold stands for each,
named in the verdict with the population, the adjustment set and the periods aligned;
"cannot answer" only when no measure exists for the populations compared."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench.analysis.claims import assessment, constructs, rules
from workbench.analysis.effects import cross_section as X
from workbench.data.catalogue import NotHeld
from workbench.data.synth import generate
from workbench.errors import AnalysisInputError


def fft_national(split: bool = True, consistent_april: bool = True) -> pd.DataFrame:
    rows = []
    for month, ok in (("2024-01-01", False), ("2024-04-01", consistent_april)):
        for who, pos, n, orgs in (("all", 95.0, 197641, 152), ("nhs", 94.0, 183936, 133),
                                  ("independent", 98.0, 13705, 19)):
            if who != "all" and not split:
                continue
            rows.append({"setting": "Inpatient", "submitters": who,
                         "period": pd.Timestamp(month), "organisations_submitting": orgs,
                         "responses": n, "pct_positive": pos, "pct_negative": 2.0,
                         "pct_rounding_pp": 0.5, "consistent": ok,
                         "source_file": "Monthly_Rolling_Totals.xlsx"})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def data():
    panel, tables = X.example_tables(80, seed=7)
    # independent hospitals in the panel too (no published staffing or survey for them)
    ind = panel[panel["provider_code"].isin(["R00", "R01", "R02", "R03"])].copy()
    ind["provider_code"] = "N" + ind["provider_code"]
    ind["sector"] = "independent"
    return pd.concat([panel, ind], ignore_index=True), {**tables, "fft_national": fft_national()}


@pytest.fixture(scope="module")
def results(data):
    panel, tables = data
    return {r.claim.key: r for r in assessment.assess_claims(panel, tables=tables)}


def test_trust_claims_are_answered_on_published_measures_and_name_them(results):
    r = results["staffing_waits_satisfaction"]
    assert r.verdict in rules.VERDICTS[:-1]
    s = r.finding.sentence
    assert "Measures used: staffing: Staff saying there are enough staff (%); waiting: A&E seen " \
           "within 4 hours (%); satisfaction: Written complaints per 1,000 occupied bed days" in s
    assert "Population: acute NHS trusts, financial year 2024-25" in s
    assert "adjustment set: " in s and "Periods aligned for financial year 2024-25" in s
    assert "not the effect of a change within a trust" in s
    assert "Not used: survey year 2022: no measure of waiting" in s
    p = r.finding.parameters
    assert p["measures"]["satisfaction"] == "complaints_per_1000_bed_days"
    assert p["cross_section"] == "2024-25" and r.finding.role == "headline"
    assert "margin 1" in s and "margin 0.05" in s                 # each part's own margin


def test_the_best_satisfaction_measure_held_is_used(results):
    r = results["engaged_staff_experience"]
    assert r.finding.parameters["measures"]["satisfaction"] == "inpatient_experience_score"
    assert r.finding.parameters["measures"]["staff_experience"] == "staff_burnout_pct"
    assert "inpatients_aged_66_plus_pct" in r.finding.parameters["adjustment"]
    assert r.verdict in rules.VERDICTS[:-1]
    d = results["waits_main_driver"]
    assert d.verdict in rules.VERDICTS[:-1] and len(d.contrasts) == 2


def test_no_published_staffing_for_private_providers_cannot_answer(results):
    r = results["private_more_staff"]
    assert r.verdict == "cannot answer" and r.finding.role == "diagnostic"
    for words in ("No measure of staffing is published for independent providers",
                  "Staff saying there are enough staff (%) (NHS organisations only)",
                  "Sickness absence (%) (NHS organisations only)"):
        assert words in r.reason, words


def test_national_fft_answers_private_satisfaction_descriptively(results):
    r = results["private_higher_satisfaction"]
    assert r.verdict == "supported, meaningful"  # +4 points, interval 2.6 to 5.4, margin 2
    s = r.finding.sentence
    assert "national descriptive comparison" in s and "April 2024" in s
    assert "It cannot show" in s and "case mix" in s
    assert "January 2024" in s and "fail its consistency check" in s
    [f] = r.naive
    assert f.estimate == pytest.approx(4.0) and f.ci_low < 4 < f.ci_high
    assert r.finding.parameters["measures"] == {"satisfaction": "fft_national_pct_positive"}


@pytest.mark.parametrize("table,words", [
    (fft_national(split=False), "separates NHS and independent-sector submitters"),
    (fft_national(consistent_april=False), "fail the consistency check in every month"),
    (NotHeld("fft_national", "no national FFT file"), "no national FFT file")])
def test_without_a_usable_national_split_satisfaction_says_what_is_missing(data, table, words):
    panel, tables = data
    [r] = assessment.assess_claims(panel, keys=("private_higher_satisfaction",),
                                   tables={**tables, "fft_national": table})
    assert r.verdict == "cannot answer" and words in r.reason


def test_margins_of_a_measure_standing_in(data):
    panel, tables = data
    [r] = assessment.assess_claims(
        panel, keys=("engaged_staff_experience",), tables=tables,
        margins={"engaged_staff_experience:inpatient_experience_score": 50.0})
    assert r.verdict == "no meaningful difference" and "margin 50" in r.finding.sentence
    with pytest.raises(AnalysisInputError, match="margins"):
        assessment.assess_claims(panel, margins={"nope:inpatient_experience_score": 1.0})
    with pytest.raises(AnalysisInputError, match="margins"):
        assessment.assess_claims(panel, margins={"waits_main_driver:not_a_measure": 1.0})


def test_without_tables_a_trust_claim_lists_the_measures_sought(data):
    panel, _ = data
    [r] = assessment.assess_claims(panel, keys=("waits_main_driver",))
    assert r.verdict == "cannot answer"
    assert "Measures of satisfaction sought: FFT positive responses (%)" in r.reason
    assert "Inpatient survey experience score (0-10) (NHS organisations only)" in r.reason


def test_the_synthetic_default_is_answered_as_before_and_names_its_measures():
    panel = generate(seed=5, n_providers=120, n_months=12).panel
    gone = {n: NotHeld(n, "the synthetic default makes a panel only")
            for n in ("staff_survey_years", "inpatient_survey", "complaints", "beds",
                      "fft_national")}
    plain = assessment.assess_claims(panel)
    with_tables = assessment.assess_claims(panel, tables=gone)
    for a, b in zip(plain, with_tables):
        assert (a.verdict, a.finding.estimate) == (b.verdict, b.finding.estimate)
        assert a.finding.sentence == b.finding.sentence
    by_key = {r.claim.key: r for r in plain}
    s = by_key["staffing_waits_satisfaction"].finding.sentence
    assert "Measures used: staffing: Nurse FTE per 10 occupied beds; waiting: RTT median wait" \
           in s
    # judged within providers: the fixed effects adjust, not the case-mix set
    assert "adjustment: provider and month fixed effects" in s
    assert "adjustment set: Case-mix complexity index" in \
        by_key["private_higher_satisfaction"].finding.sentence
    assert "no adjustment" in by_key["private_shorter_waits"].finding.sentence


def test_constructs_list_real_and_synthetic_measures_in_order():
    sat = [c.measure for c in constructs.CONSTRUCTS["satisfaction"]]
    assert sat[0] == "fft_pct_positive" and "inpatient_experience_score" in sat
    staff = [c.measure for c in constructs.CONSTRUCTS["staffing"]]
    assert staff == ["nurse_fte_per_10_beds", "staff_enough_staff_pct", "sickness_absence_pct"]
    assert set(constructs.NEEDS) == {c.key for c in rules.CLAIMS}


def test_every_finding_of_the_register_has_its_own_id(results):
    from workbench.analysis.claims.register import claim_findings

    ids = [f.id for f in claim_findings(list(results.values()))]
    assert len(ids) == len(set(ids))
