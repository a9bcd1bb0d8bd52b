"""The real-data study end to end: build the panel from the published files in
../shared/data/real and run studies/nhs_open_data.yaml (about 2 minutes on 2 cores)."""

import json
from pathlib import Path

import pandas as pd
import pytest
from batch_helpers import run_repo_study
from page_checks import study_page_problems

ROOT = Path(__file__).resolve().parents[1]
REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not REAL.is_dir(), reason=f"published NHS files not present at {REAL} "
                       "(the staging folder beside the repository)"),
]


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    return run_repo_study("nhs_open_data", tmp_path_factory.mktemp("real"), workers=2)


def test_every_run_ok_with_report(study):
    manifests = [json.loads(p.read_text()) for p in study.glob("*/manifest.json")]
    assert len(manifests) == 10
    assert {m["status"] for m in manifests} == {"ok"}
    for m in manifests:
        report = (study / m["run_id"] / "report.html").read_text()
        assert "SYNTHETIC" not in report and "published data" in report
        assert "Referral to treatment waiting times (NHS England)" in report  # named
    assert "nhs_open_data" in (study / "index.html").read_text()


def test_stakeholder_pages_are_built_for_reading(study):
    """No e-notation, hash, formula or table wider than a page on any public page."""
    assert study_page_problems(study, at_least=9) == []


def test_reports_say_what_the_data_cannot_show(study):
    rtt = next(study.glob("03_nhs_vs_private*/report.html")).read_text()
    assert "no case-mix measures" in rtt and "only the naive difference" in rtt
    ae = next(study.glob("07_real_data_staffing_ae*/report.html")).read_text()
    assert "no independent-sector staffing" in ae
    assert "nurses per bed cannot be computed" in ae


def _published(study) -> pd.DataFrame:
    """The study's public findings.csv; a value the disclosure rule hid ("*") reads as missing."""
    return pd.read_csv(study / "findings.csv", na_values=["*"])


def test_findings_answer_both_questions(study):
    f = _published(study)
    ids = set(f["id"])
    naive = [i for i in ids if i.startswith("naive:") and i.endswith("->rtt_median_weeks@acute")]
    assert naive and not any(i.startswith("adjusted:") for i in ids)
    assert "effect:staff_engagement->ae_pct_within_4h@nhs" in ids
    assert "effect:nurse_share_pct->ae_pct_within_4h@nhs" in ids
    spc = f[f["id"].str.startswith("spc:ae_pct_within_4h@")]
    assert len(spc) == 6 and (spc["ci_low"] <= spc["estimate"]).all()
    assert (spc["sector"] == "nhs").all()
    assert f["id"].str.startswith("funnel:rtt_pct_within_18w@2026-04").any()


def test_sector_comparison_within_specialty(study):
    f = _published(study)
    std = f[f["id"].str.startswith("waits_standardised:independent_vs_nhs->")]
    ids = set(std["id"])
    assert "waits_standardised:independent_vs_nhs->rtt_nonadmitted_pct_within_18w#2025-09" in ids
    assert "waits_standardised:independent_vs_nhs->rtt_pct_within_18w#2026-04" in ids
    assert set(std["role"]) == {"headline"}
    others = f[f["id"].str.startswith(("waits_crude:", "waits_provider_average:"))]
    assert len(others) == 2 * len(std) and set(others["role"]) == {"robustness"}
    assert (f.loc[f["id"].str.startswith("waits_"), "ci_low"]
            <= f.loc[f["id"].str.startswith("waits_"), "estimate"]).all()
    report = next(study.glob("10_waits_like_for_like*/report.html")).read_text()
    assert "Like for like by specialty" in report and "whose sector no register" in report
    assert (next(study.glob("10_waits_like_for_like*")) / "figures"
            / "specialty_differences_completed_non_admitted.png").is_file()
    assert "Like for like by specialty" in (study / "index.html").read_text()


def test_staff_survey_and_comment_themes(study):
    f = pd.read_csv(study / "findings.csv")
    ids = set(f["id"])
    for m in ("enough_staff", "burnout", "work_stress", "time_demands", "autonomy"):
        assert f"staff_within:staff_{m}_pct->ae_pct_within_4h@nhs" in ids
        assert f"staff_cross:staff_{m}_pct->ae_pct_within_4h@nhs" in ids
    within = f[f["id"].str.startswith("staff_within:")]
    assert within["sentence"].str.startswith("Within trusts").all()
    assert f.loc[f["id"].str.startswith("staff_cross:"), "sentence"].str.startswith(
        "Cross-sectional").all()
    for theme in ("staff_numbers", "staff_attitude", "timeliness_of_care", "appointments",
                  "communication"):
        assert f"theme_gap:dissatisfied_vs_satisfied->{theme}@all" in ids
        assert f"ordinal:{theme}->fft_score@all" in ids
    report = next(study.glob("09_what_patients_write*/report.html")).read_text()
    assert "Quotations are not shown" in report


def test_tables_reach_the_notebooks_through_the_catalogue(study):
    cat = json.loads((study / "data" / "panel.catalogue.json").read_text())
    held = {name for name, entry in cat["tables"].items() if "file" in entry}
    assert held == {"panel", "coverage", "staff_survey_years", "comments", "comment_themes",
                    "specialty_waits", "rtt_flows", "complaints", "sickness_absence",
                    "inpatient_survey", "inpatient_respondents", "beds", "fft_national"}
    assert "no known truth" in cat["tables"]["truth"]["reason"]
    for nb, tables in (("09_what_patients_write", {"comments", "comment_themes"}),
                       ("10_waits_like_for_like", {"specialty_waits"}),
                       ("12_waiting_list", {"rtt_flows"}),
                       ("07_real_data_staffing_ae", {"staff_survey_years"})):
        record = json.loads(next(study.glob(f"{nb}*/data.json")).read_text())
        assert set(record["tables"]) == tables, nb
        assert all(record["tables"][t] == cat["tables"][t]["sha256"] for t in tables), nb


def test_how_big_englands_waiting_list_should_be(study):
    found = {f["id"]: f for f in json.loads(next(study.glob("12_waiting_list*/findings.json"))
                                            .read_text())}
    assert found["queue:queue_size@England#2026-04"]["estimate"] == 7123980
    assert round(found["queue:demand@England#2026-04"]["estimate"]) == round(1769634 * 7 / 30)
    assert round(found["queue:target_queue_size@England#2026-04"]["estimate"]) == 2942700
    assert round(found["queue:relief_capacity@England#2026-04"]["estimate"]) == 573733
    report = next(study.glob("12_waiting_list*/report.html")).read_text()
    assert "Verdict." in report and "Completions understate removals" in report
    assert "not translated" in report       # no common month of staffing and waits
