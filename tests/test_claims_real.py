"""The claims register on the published NHS files: build the panel from
../shared/data/real and run studies/claims_real.yaml (about a minute on 2 cores)."""

import html
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from batch_helpers import run_repo_study
from page_checks import study_page_problems

from workbench.analysis.claims import rules

ROOT = Path(__file__).resolve().parents[1]
REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not REAL.is_dir(), reason=f"published NHS files not present at {REAL} "
                       "(the staging folder beside the repository)"),
]


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    return run_repo_study("claims_real", tmp_path_factory.mktemp("claims_real"), workers=1)


@pytest.fixture(scope="module")
def verdicts(study):
    f = pd.read_csv(study / "findings.csv")
    return f[f["id"].str.startswith("verdict:")].set_index("id")


def test_stakeholder_pages_are_built_for_reading(study):
    """No e-notation, hash, formula or table wider than a page on any public page."""
    assert study_page_problems(study) == []


def test_the_run_is_ok(study):
    [manifest] = [json.loads(p.read_text()) for p in study.glob("*/manifest.json")]
    assert manifest["status"] == "ok"
    report = (study / manifest["run_id"] / "report.html").read_text()
    assert "SYNTHETIC" not in report


def test_seven_verdicts_each_with_a_verdict_word(verdicts):
    assert sorted(verdicts.index) == sorted(
        f"verdict:{c.key}@{c.subset}" for c in rules.CLAIMS)
    for fid, row in verdicts.iterrows():
        words = [v for v in rules.VERDICTS if f"Verdict: {v}." in row["sentence"]]
        assert len(words) == 1, (fid, row["sentence"])
        assert "margin" in row["sentence"], fid


def test_waits_answered_from_real_data(verdicts):
    waits = verdicts.loc["verdict:private_shorter_waits@acute"]
    assert waits["role"] == "headline"
    assert "cannot answer" not in waits["sentence"]
    assert "September 2025" in waits["sentence"]
    assert waits["ci_low"] <= waits["estimate"] <= waits["ci_high"]
    assert "margin 5 percentage points" in waits["sentence"]
    assert "whose sector no register settles were left out" in waits["sentence"]
    assert json.loads(waits["parameters"])["waits_measure"] == "rtt_nonadmitted_pct_within_18w"


def test_cannot_answer_verdicts_carry_a_reason_and_no_estimate(verdicts):
    unanswered = verdicts[verdicts["sentence"].str.contains("Verdict: cannot answer.",
                                                            regex=False)]
    assert len(unanswered) >= 1
    assert "verdict:private_more_staff@acute" in unanswered.index
    for fid, row in unanswered.iterrows():
        assert pd.isna(row["estimate"]) and pd.isna(row["ci_low"]), fid
        assert row["role"] == "diagnostic", fid
        assert row["warning"].startswith("cannot answer: "), fid
        reason = row["warning"].removeprefix("cannot answer: ")
        assert len(reason) > 20 and reason in row["sentence"], fid
    staff = unanswered.loc["verdict:private_more_staff@acute", "sentence"]
    assert "publish no workforce figures for private providers" in staff


def test_index_lists_every_verdict(study, verdicts):
    page = (study / "index.html").read_text()
    summary = html.unescape(re.sub(r"<[^>]+>", "", page[
        page.index('id="what-the-study-found"'):page.index('id="runs"')]))
    for fid, row in verdicts.iterrows():  # one line each in the summary: claim and verdict
        verdict = re.search(r"Verdict: ([^.]+)\.", row["sentence"]).group(1)
        assert f"{row['question']} Verdict: {verdict}" in summary, fid
    assert page.count("Verdict: ") >= 7


def test_at_least_four_verdicts_from_data_each_naming_its_measures(verdicts):
    answered = verdicts[~verdicts["sentence"].str.contains("Verdict: cannot answer.",
                                                           regex=False)]
    assert len(answered) >= 4, answered.index.tolist()
    for fid, row in answered.iterrows():
        assert "Measures used: " in row["sentence"], fid
        assert row["role"] == "headline", fid
    sat = verdicts.loc["verdict:private_higher_satisfaction@acute", "sentence"]
    assert "national descriptive comparison" in sat and "April 2024" in sat
    assert "It cannot show" in sat
    engaged = verdicts.loc["verdict:engaged_staff_experience@acute", "sentence"]
    assert "Inpatient survey experience score" in engaged and "survey year 2022" in engaged
    for key in ("staffing_waits_satisfaction", "engaged_staff_experience", "waits_main_driver"):
        s = verdicts.loc[f"verdict:{key}@acute", "sentence"]
        if "Verdict: cannot answer." in s:
            continue
        assert "not the effect of a change within a trust" in s and "Periods aligned" in s, key


def test_unanswered_claims_say_what_is_missing(verdicts):
    staff = verdicts.loc["verdict:private_more_staff@acute", "sentence"]
    assert "No measure of staffing is published for independent providers" in staff
    homes = verdicts.loc["verdict:private_care_homes_better@care_home", "sentence"]
    assert "council-run" in homes
