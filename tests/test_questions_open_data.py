"""The analyses behind the real-data study: sector comparison without case mix, and
A&E performance against nurse staffing and staff engagement (workbench.analysis.questions.real_data_staffing_ae)."""

import numpy as np
import pytest

from workbench.analysis.questions import common as qcommon
from workbench.analysis.questions import nhs_vs_private as q03
from workbench.analysis.questions import real_data_staffing_ae as q07
from workbench.analysis.questions import staffing_waits_satisfaction as q02
from workbench.data.synth import generate
from workbench.errors import AnalysisInputError


@pytest.fixture(scope="module")
def synth():
    return generate(seed=11, n_providers=80, n_months=6).panel


def _real_like(synth):
    """The synthetic panel shaped like the published files: no case mix, no beds, no
    independent-sector staffing; RTT in one month; nurse and staff FTE for NHS trusts."""
    p = synth.drop(columns=["case_mix_index", "pct_aged_75_plus", "deprivation_imd", "beds",
                            "nurse_fte_per_10_beds", "fft_pct_positive"]).copy()
    last = p["period"] == p["period"].max()
    p.loc[~last, ["rtt_median_weeks", "rtt_pct_within_18w"]] = np.nan
    rng = np.random.default_rng(0)
    nhs = p["sector"] == "nhs"
    p["staff_fte"] = np.where(nhs, rng.uniform(2000, 8000, len(p)), np.nan)
    p["nurse_fte"] = p["staff_fte"] * rng.uniform(0.2, 0.35, len(p))
    return p


def test_case_mix_available(synth):
    assert qcommon.case_mix_available(synth) == ("case_mix_index", "pct_aged_75_plus",
                                           "deprivation_imd")
    assert qcommon.case_mix_available(_real_like(synth)) == ()


def test_without_case_mix_only_naive_differences(synth):
    real = _real_like(synth)
    found = q03.nhs_vs_independent(real, outcomes=("rtt_median_weeks", "nurse_fte"))
    ids = [f.id for f in found]
    assert len(ids) == 1 and ids[0].startswith("naive:")
    assert ids[0].endswith("->rtt_median_weeks@acute")
    assert found[0].n == real.loc[(real["setting"] == "acute")
                                  & real["rtt_median_weeks"].notna()].shape[0]
    notes = " ".join(q03.sector_comparison_limits(real, ("rtt_median_weeks", "nurse_fte")))
    assert "no case-mix measures" in notes
    assert "one month only" in notes
    assert "Nurse FTE: no values for independent" in notes
    assert "No staffing figures are published for independent providers" in notes


def test_with_case_mix_adjusted_and_ratings_kept(synth):
    found = q03.nhs_vs_independent(synth, outcomes=("rtt_median_weeks",))
    ids = [f.id for f in found]
    assert any(i.startswith("naive:") for i in ids)
    assert any(i.startswith("adjusted:") for i in ids)
    assert any(i.startswith("ordinal:") for i in ids)
    limits = q03.sector_comparison_limits(synth, ("rtt_median_weeks",))
    assert not [n for n in limits if "case-mix measures" in n or "cannot be compared" in n]


def test_ae_staffing_table_derived_columns_and_filters(synth):
    real = _real_like(synth)
    t = q07.ae_staffing_table(real, min_attendances=3000)
    assert (t["sector"] == "nhs").all() and (t["setting"] == "acute").all()
    assert (t["ae_attendances"] >= 3000).all()
    row = t.iloc[0]
    assert row["nurse_share_pct"] == pytest.approx(100 * row["nurse_fte"] / row["staff_fte"])
    assert row["nurse_fte_per_1000_ae"] == pytest.approx(
        1000 * row["nurse_fte"] / row["ae_attendances"])
    months = sorted(real["period"].unique())
    one = q07.ae_staffing_table(real, start=f"{months[1]:%Y-%m}", end=f"{months[1]:%Y-%m}")
    assert set(one["period"]) == {months[1]}
    with pytest.raises(AnalysisInputError, match="start.*2017/09"):
        q07.ae_staffing_table(real, start="2017/09")


def test_ae_staffing_engagement_findings(synth):
    real = _real_like(synth)
    found = {f.id: f for f in q07.ae_staffing_engagement(real)}
    assert set(found) == {
        "effect:nurse_share_pct->ae_pct_within_4h@nhs",
        "effect:nurse_fte_per_1000_ae->ae_pct_within_4h@nhs",
        "effect:staff_engagement->ae_pct_within_4h@nhs",
        "effect:staff_engagement->ae_pct_within_4h@nhs#within",
        "effect:nurse_share_pct->ae_pct_within_4h@nhs#joint",
        "effect:staff_engagement->ae_pct_within_4h@nhs#joint",
    }
    f = found["effect:nurse_share_pct->ae_pct_within_4h@nhs"]
    assert f.unit == "percentage points per percentage point of nurse share"
    assert f.sentence.startswith("A&E patients seen within 4 hours were")
    assert f.ci_low < f.estimate < f.ci_high
    # the synthetic default has no nurse or staff FTE: only the engagement models run
    only = {f.id for f in q07.ae_staffing_engagement(synth)}
    assert only == {"effect:staff_engagement->ae_pct_within_4h@nhs",
                    "effect:staff_engagement->ae_pct_within_4h@nhs#within"}


def test_ae_staffing_limits_words(synth):
    notes = q07.ae_staffing_limits(_real_like(synth))
    text = " ".join(notes)
    assert "no independent-sector staffing" in text
    assert "nurses per bed cannot be computed" in text
    assert "not proof" in text
    n_trusts = q07.ae_staffing_table(_real_like(synth))["provider_code"].nunique()
    assert notes[0].startswith(f"{n_trusts} NHS trusts")


def test_weighting_needs_case_mix_and_warns_without_overlap(synth):
    found, table = q03.sector_weighting(_real_like(synth))
    assert found == [] and table is None
    found, table = q03.sector_weighting(synth, ("rtt_median_weeks",), n_boot=200)
    assert [f.id for f in found] == [f"{m}:sector[independent]->rtt_median_weeks@acute"
                                     for m in ("ipw", "overlap", "aipw")]
    assert "poor overlap" in found[0].warning  # the default selection leaves little overlap
    assert set(table["stage"]) == {"unweighted", "weighted"}


def test_pathways_ids_do_not_collide_with_the_regression_findings(synth):
    ids = [f.id for f in q02.staffing_waits_satisfaction(synth, subset="acute", mixed=False)]
    paths = [f.id for f in q02.staffing_pathways(synth, subset="acute", n_boot=200)]
    assert paths[0].startswith("indirect:") and not set(ids) & set(paths)
