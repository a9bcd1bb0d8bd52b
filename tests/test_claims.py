"""The claims register: verdicts, naive and adjusted side by side, data that cannot answer."""

from __future__ import annotations

import json

import pytest

from workbench.analysis.claims import assessment, register, rules
from workbench.analysis.models import fit
from workbench.data.synth import generate, true_effects
from workbench.errors import AnalysisInputError


@pytest.fixture(scope="module")
def panel():
    return generate(seed=5, n_providers=160, n_months=18).panel


@pytest.fixture(scope="module")
def results(panel):
    return {r.claim.key: r for r in assessment.assess_claims(panel)}


def test_seven_claims_each_answered(results):
    assert list(results) == [c.key for c in rules.CLAIMS] and len(results) == 7
    for r in results.values():
        assert r.verdict in rules.VERDICTS
        assert r.reason and r.claim.analysis


def test_naive_and_adjusted_side_by_side(results):
    for key in ("private_shorter_waits", "private_more_staff", "private_higher_satisfaction",
                "engaged_staff_experience", "staffing_waits_satisfaction", "waits_main_driver",
                "private_care_homes_better"):
        r = results[key]
        assert len(r.naive) == len(r.adjusted) >= 1, key
        for f in (*r.naive, *r.adjusted):
            assert f.ci_low <= f.estimate <= f.ci_high, (key, f.id)
    table = register.register_table(list(results.values()))
    assert {"claim", "verdict", "judged on", "margin", "naive", "adjusted for case mix",
            "unit"} <= set(table.columns)


def test_clear_synthetic_effects_are_supported(results):
    truth = true_effects()
    assert truth["total:nurse_fte_per_10_beds->fft_pct_positive@acute"] > 0
    assert rules.supported(results["staffing_waits_satisfaction"].verdict)
    assert rules.supported(results["engaged_staff_experience"].verdict)
    adjusted_wait = results["private_shorter_waits"].adjusted[0]
    assert adjusted_wait.id == "adjusted:sector[independent]->rtt_median_weeks@acute"


def test_verdict_follows_the_interval():
    assert rules.verdict(0.2, 0.9, +1) == "supported, meaningful"
    assert rules.verdict(-0.9, -0.2, +1) == "contradicted, meaningful"
    assert rules.verdict(-0.2, 0.9, +1) == "inconclusive"
    assert rules.verdict(None, 0.9, +1) == "inconclusive"


def test_a_verdict_says_whether_the_interval_clears_the_margin():
    # excludes zero but not the margin: the effect is there, its size may not matter
    assert rules.verdict(0.1, 1.6, +1, margin=1) == "supported, size uncertain"
    assert rules.verdict(1.1, 1.6, +1, margin=1) == "supported, meaningful"
    assert rules.verdict(-1.6, -1.1, -1, margin=1) == "supported, meaningful"
    # the same on the other side
    assert rules.verdict(-1.6, -0.1, +1, margin=1) == "contradicted, size uncertain"
    assert rules.verdict(-1.6, -1.1, +1, margin=1) == "contradicted, meaningful"
    assert rules.verdict(1.1, 1.6, -1, margin=1) == "contradicted, meaningful"
    # wholly within the margin stays no meaningful difference, even if it excludes zero
    assert rules.verdict(0.1, 0.9, +1, margin=1) == "no meaningful difference"
    assert set(rules.SUPPORTED) | set(rules.CONTRADICTED) <= set(rules.VERDICTS)
    assert "supported" not in rules.VERDICTS and "contradicted" not in rules.VERDICTS


def test_a_claim_of_several_parts_is_as_meaningful_as_its_weakest_part():
    from workbench.analysis.findings.record import Finding

    g = Finding(id="a:x->y@acute", question="q", estimate=1.0)
    big = rules.Judged("big", 2.0, 1.5, 2.5, 0.001, +1, 1.0, g)
    small = rules.Judged("small", 0.8, 0.2, 1.4, 0.01, +1, 1.0, g)
    against = rules.Judged("against", -0.8, -1.4, -0.2, 0.01, +1, 1.0, g)
    assert rules.combine([big, big])[0] == "supported, meaningful"
    v, key = rules.combine([big, small])
    assert v == "supported, size uncertain" and key.label == "small"
    v, key = rules.combine([big, against])
    assert v == "contradicted, size uncertain" and key.label == "against"


def test_no_private_staffing_cannot_answer(panel):
    real_like = panel.copy()
    real_like.loc[real_like["sector"] == "independent", "nurse_fte_per_10_beds"] = None
    [r] = assessment.assess_claims(real_like, keys=("private_more_staff",))
    assert r.verdict == "cannot answer" and not r.adjusted
    assert "publish no workforce figures for private providers" in r.reason
    assert "Cannot answer" in register.register_markdown([r]) or "cannot answer" in \
        register.register_markdown([r])
    assert register.register_table([r])["naive"].tolist() == ["no data"]


def test_no_council_homes_cannot_answer(panel):
    [r] = assessment.assess_claims(panel[panel["sector"] != "local_authority"],
                               keys=("private_care_homes_better",))
    assert r.verdict == "cannot answer" and "council-run" in r.reason


def test_bad_arguments():
    p = generate(seed=1, n_providers=20, n_months=3).panel
    with pytest.raises(AnalysisInputError, match="engagement_lag"):
        assessment.assess_claims(p, engagement_lag=0)
    with pytest.raises(AnalysisInputError, match="unknown claims"):
        assessment.assess_claims(p, keys=("nope",))


def test_descriptive_claims_are_judged_unadjusted_and_weighted(results):
    staff = results["private_more_staff"]
    assert staff.claim.kind == "descriptive"
    assert staff.naive[0].id == "descriptive:sector[independent]->nurse_fte_per_10_beds@acute"
    assert "weighted by beds" in staff.naive[0].question
    assert staff.finding.parameters["kind"] == "descriptive"
    assert results["private_higher_satisfaction"].claim.kind == "effect"


def test_verdicts_are_findings_with_margin_rule_and_multiplicity(results):
    for r in results.values():
        f = r.finding
        assert f is not None and f.id == f"verdict:{r.claim.key}@{f.sector}"
        assert f.role == "headline" and f.parameters["verdict"] == r.verdict
        assert f"margin {r.claim.margin:g}" in f.sentence and "Bonferroni" in f.sentence
        assert f.parameters["level"] == pytest.approx(1 - 0.05 / rules.FAMILY)
    fs = register.claim_findings(list(results.values()))
    assert sum(f.role == "headline" for f in fs) == 7
    assert "Bonferroni" in register.register_markdown(list(results.values()))


def test_margin_gives_no_meaningful_difference_and_is_overridable(panel):
    [wide] = assessment.assess_claims(panel, keys=("private_higher_satisfaction",),
                                  margins={"private_higher_satisfaction": 50.0})
    assert wide.verdict == "no meaningful difference" and wide.claim.margin == 50.0
    assert rules.verdict(-0.3, 0.4, +1, margin=0.5) == "no meaningful difference"
    assert rules.verdict(-0.3, 0.6, +1, margin=0.5) == "inconclusive"
    with pytest.raises(AnalysisInputError, match="margins"):
        assessment.assess_claims(panel, margins={"private_higher_satisfaction": -1})


def test_main_driver_tests_the_difference_of_standardised_effects(results):
    r = results["waits_main_driver"]
    assert len(r.contrasts) == 2
    c = r.contrasts[0]
    assert c.id.startswith("contrast:rtt_median_weeks_vs_") and c.ci_low < c.estimate < c.ci_high
    judged = r.within if r.basis == "within" else r.adjusted
    assert c.id.endswith("#fe") == (r.basis == "within")
    wait, staff = judged[0], judged[1]
    assert c.estimate == pytest.approx(abs(wait.estimate) - abs(staff.estimate), rel=1e-6)


def test_effect_claims_say_how_strong_a_confounder_would_be(results):
    assert "unmeasured confounder would have to be associated" in \
        results["private_higher_satisfaction"].reason
    assert "risk ratio of at least" in results["staffing_waits_satisfaction"].reason


def test_panel_without_staffing_fft_or_case_mix_cannot_answer_with_reasons(panel):
    """A panel like a real build (no staffing per bed, no FFT, no case mix, staff
    engagement and waits present) gives reasons, never an exception."""
    bare = panel.drop(columns=["nurse_fte_per_10_beds", "fft_pct_positive", "fft_responses",
                               "fft_positive", *fit.CASE_MIX], errors="ignore")
    bare = bare.assign(sector=bare["sector"].where(bare["provider_code"] != bare[
        "provider_code"].iloc[0], "unknown"))
    results = {r.claim.key: r for r in assessment.assess_claims(bare)}
    assert len(results) == 7
    assert results["private_shorter_waits"].verdict in rules.VERDICTS[:-1]
    for key in ("private_more_staff", "private_higher_satisfaction",
                "staffing_waits_satisfaction", "engaged_staff_experience",
                "waits_main_driver", "private_care_homes_better"):
        r = results[key]
        assert r.verdict == "cannot answer", key
        assert r.unknown_sector == 1
        f = r.finding
        assert f.id == f"verdict:{key}@{r.claim.subset}" and f.role == "diagnostic"
        assert f.estimate != f.estimate and f.ci_low is None  # NaN: no estimate
        assert f.parameters["reason"] in f.sentence and f.warning.startswith("cannot answer")
        assert "Verdict: cannot answer." in f.sentence and "margin" in f.sentence
    assert "Nurse FTE per 10 occupied beds" in results["private_more_staff"].reason
    assert "FFT positive responses" in results["engaged_staff_experience"].reason
    assert "case-mix" in results["private_higher_satisfaction"].reason
    assert "No case-mix-adjusted comparison" in results["private_shorter_waits"].reason


def test_cannot_answer_findings_are_written_and_read_back(tmp_path, panel):
    from workbench import findings_frame, read_findings, write_findings

    bare = panel.drop(columns=["fft_pct_positive"])
    found = register.claim_findings(assessment.assess_claims(bare, keys=("engaged_staff_experience",)))
    [f] = [f for f in found if f.id.startswith("verdict:")]
    back = read_findings(write_findings(found, tmp_path / "findings.json"))
    [g] = [g for g in back if g.id == f.id]
    assert g.estimate is None and g.parameters["verdict"] == "cannot answer"
    frame = findings_frame(back, flat=True)
    assert frame.loc[frame["id"] == f.id, "estimate"].isna().all()


def test_inputs_never_in_the_same_month_cannot_answer(panel):
    shifted = panel.copy()
    first = shifted["period"].min()
    shifted.loc[shifted["period"] != first, "fft_pct_positive"] = None
    shifted.loc[shifted["period"] == first, "staff_engagement"] = None
    [r] = assessment.assess_claims(shifted, keys=("engaged_staff_experience",), engagement_lag=1)
    assert r.verdict == "cannot answer"
    assert "in the same month" in r.reason and "only" in r.reason


def test_waits_measure_sets_direction_margin_and_weight(panel):
    p = panel.assign(rtt_nonadmitted_pct_within_18w=panel["rtt_pct_within_18w"],
                     rtt_nonadmitted_completed=panel["rtt_waiting_list"])
    [r] = assessment.assess_claims(p, keys=("private_shorter_waits",),
                               waits_measure="rtt_nonadmitted_pct_within_18w")
    assert r.claim.direction == +1 and r.claim.margin == 5.0
    assert r.naive[0].id == "descriptive:sector[independent]->rtt_nonadmitted_pct_within_18w@acute"
    assert "rtt_nonadmitted_completed" in r.naive[0].question
    with pytest.raises(AnalysisInputError, match="waits_measure"):
        assessment.assess_claims(panel, waits_measure="nope")


def test_a_verdict_keeps_its_details_in_findings_json_beside_the_run_parameters(tmp_path):
    from workbench import session
    from workbench.analysis.findings.record import Finding

    s = session.start("07_claims", seed=1, n_providers=30, n_months=3,
                      output_dir=str(tmp_path), subset="acute")
    s.add([Finding(id="verdict:private_shorter_waits@acute", question="q", estimate=1.0,
                   parameters={"verdict": "supported", "margin": 5.0, "subset": "own"})])
    (record,) = json.loads(s.finish().read_text(encoding="utf-8"))
    assert record["parameters"]["verdict"] == "supported"
    assert record["parameters"]["margin"] == 5.0
    assert record["parameters"]["seed"] == 1  # the notebook's parameters are added
    assert record["parameters"]["subset"] == "own"  # the finding's own value wins
    assert "output_dir" not in record["parameters"]
