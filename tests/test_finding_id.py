"""Finding ids: one value type with one text form, and what depends on it."""

from __future__ import annotations

import json

import pytest

from workbench.analysis.findings.record import Finding, findings_frame, truth_for
from workbench.data.synth import generate
from workbench.finding_id import FindingId, FindingIdError
from workbench.report.study_index import study_findings, study_findings_frame


def _ids_of_the_default_study():
    """Every id kind the notebooks write, in their text form."""
    return [
        "effect:rtt_median_weeks->fft_pct_positive@acute",
        "effect:staff_engagement[lag1]->fft_pct_positive@nhs#mixed",
        "adjusted:sector[independent]->rtt_median_weeks@acute",
        "indirect:nurse_fte_per_10_beds->rtt_median_weeks->fft_pct_positive@nhs",
        "direct:nurse_fte_per_10_beds->fft_pct_positive@acute#bootstrap",
        "ordinal:ownership[for_profit]->cqc_overall@care_home",
        "spc:rtt_median_weeks@R001",
        "funnel:fft_pct_positive@2026-03",
        "funnel:fft_pct_positive@N009#2026-03",
        "moderation:a->m->y@independent-nhs",
        "per_sd:x->y@acute#naive",
    ]


@pytest.mark.parametrize("text", _ids_of_the_default_study())
def test_text_form_round_trips(text):
    fid = FindingId.parse(text)
    assert str(fid) == text
    assert FindingId.parse(str(fid)) == fid


def test_parts_are_named():
    fid = FindingId.parse("indirect:a->m->y@nhs")
    assert (fid.kind, fid.exposure, fid.outcome, fid.subset) == ("indirect", "a->m", "y", "nhs")
    funnel = FindingId.parse("funnel:fft_pct_positive@N009#2026-03")
    assert (funnel.subset, funnel.period, funnel.variant) == ("N009", "2026-03", "")
    assert not funnel.robustness
    mixed = FindingId.parse("effect:x->y@acute#mixed")
    assert mixed.robustness and str(mixed.estimand) == "effect:x->y@acute"
    both = FindingId("funnel", "m", subset="X", period="2026-03", variant="exact")
    assert FindingId.parse(str(both)) == both and both.robustness


@pytest.mark.parametrize("text", ["no colon", "k:", ":y", "k:x->y@a#v1#v2", "k:y@a@b"])
def test_malformed_text_is_refused(text):
    with pytest.raises(FindingIdError, match="finding id"):
        FindingId.parse(text)


@pytest.mark.parametrize("parts", [{"outcome": "a@b"}, {"outcome": "y", "subset": "a#b"},
                                   {"outcome": "y", "period": "March"},
                                   {"outcome": "y", "variant": "2026-03"}, {"outcome": ""}])
def test_parts_that_would_not_round_trip_are_refused(parts):
    with pytest.raises(FindingIdError):
        FindingId("effect", **parts)


def test_truth_keys_are_finding_ids_and_variants_share_the_truth():
    truth = generate(seed=1, n_providers=30, n_months=2).truth
    for key in truth:
        assert str(FindingId.parse(key)) == key
    key = "effect:rtt_median_weeks->fft_pct_positive@acute"
    assert truth_for(key + "#mixed", truth) == truth[key]
    assert truth_for("funnel:fft_pct_positive@N009#2026-03", truth) is None


def test_funnel_outliers_get_adjusted_p_values_and_robustness_checks_do_not():
    """A provider outside the funnel in one month is a test of its own (it has an id with a
    period, not a variant): it joins the Benjamini-Hochberg family."""
    records = [
        Finding(id="effect:x->y@acute", question="q", estimate=1.0, p_value=0.01),
        Finding(id="effect:x->y@acute#mixed", question="q", estimate=1.1, p_value=0.012),
        Finding(id="funnel:fft_pct_positive@N009#2026-03", question="q", estimate=70.0,
                p_value=0.001),
        Finding(id="funnel:fft_pct_positive@N020#2026-03", question="q", estimate=99.0,
                p_value=0.03),
    ]
    runs = [{"run_id": "r", "findings": [f.to_dict() for f in records]}]
    frame = study_findings_frame(runs)
    adjusted = dict(zip(frame["id"], frame["p_adjusted"]))
    # three tests in the family (BH): 0.001 -> 0.003, 0.01 -> 0.015, 0.03 -> 0.03
    assert adjusted["funnel:fft_pct_positive@N009#2026-03"] == pytest.approx(0.003)
    assert adjusted["effect:x->y@acute"] == pytest.approx(0.015)
    assert adjusted["funnel:fft_pct_positive@N020#2026-03"] == pytest.approx(0.03)
    assert frame.loc[frame["id"] == "effect:x->y@acute#mixed", "p_adjusted"].isna().all()
    rows = {r["id"]: r for r in study_findings(runs)}
    assert rows["funnel:fft_pct_positive@N009#2026-03"]["p_adjusted"] == "0.003"
    assert rows["effect:x->y@acute#mixed"]["p_adjusted"] == ""


def test_one_frame_for_session_csv_and_index(tmp_path):
    f = Finding(id="effect:x->y@acute", question="q", estimate=0.5, ci_low=0.2, ci_high=0.8,
                p_value=0.02, n=100, parameters={"b": 1, "a": [1, 2]})
    tidy = findings_frame([f], truth={"effect:x->y@acute": 0.6})
    assert list(tidy.columns[:3]) == ["id", "question", "estimate"]
    assert bool(tidy.loc[0, "covers_truth"]) and not bool(tidy.loc[0, "robustness"])
    flat = findings_frame([f], flat=True)
    assert json.loads(flat.loc[0, "parameters"]) == {"a": [1, 2], "b": 1}


def test_roles_default_from_the_id_and_decide_the_family_and_the_headlines():
    from workbench.analysis.findings.record import FindingRoleError
    from workbench.report.run_report import headline_findings

    assert Finding(id="effect:x->y@acute", question="q", estimate=1.0).role == "headline"
    assert Finding(id="effect:x->y@acute#fe", question="q", estimate=1.0).role == "robustness"
    with pytest.raises(FindingRoleError, match="headline"):
        Finding(id="effect:x->y@acute", question="q", estimate=1.0, role="main")
    diag = Finding(id="ipw:sector[independent]->y@acute", question="q", estimate=1.0,
                   p_value=0.001, sentence="Weighted.", role="diagnostic")
    head = Finding(id="effect:x->y@acute", question="q", estimate=1.0, p_value=0.01,
                   sentence="Effect.")
    runs = [{"run_id": "r", "findings": [diag.to_dict(), head.to_dict()]}]
    frame = study_findings_frame(runs)
    assert frame.set_index("id")["p_adjusted"].isna().to_dict() == {
        "ipw:sector[independent]->y@acute": True, "effect:x->y@acute": False}
    assert [f["id"] for f in headline_findings(runs[0]["findings"])] == ["effect:x->y@acute"]
    # records written before findings had roles still read
    old = {k: v for k, v in head.to_dict().items() if k != "role"}
    assert findings_frame([old])["role"].tolist() == ["headline"]
