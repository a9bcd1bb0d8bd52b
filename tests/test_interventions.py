"""Known truth: interventions inserted into the synthetic panel."""

import math

import numpy as np
import pytest

from workbench.data.interventions import insert_interventions
from workbench.data.synth import generate
from workbench.errors import AnalysisInputError


@pytest.fixture(scope="module")
def sd():
    return generate(seed=21, n_providers=60, n_months=30)


def _nhs(sd):
    return [p for p in sd.panel["provider_code"].unique() if p.startswith("R")]


def test_same_arguments_same_panel_and_truth(sd):
    a = insert_interventions(sd, "fft_pct_positive", providers=5, level=0.2, seed=4)
    b = insert_interventions(sd, "fft_pct_positive", providers=5, level=0.2, seed=4)
    c = insert_interventions(sd, "fft_pct_positive", providers=5, level=0.2, seed=5)
    assert a.panel.equals(b.panel) and a.truth == b.truth
    assert not a.panel.equals(c.panel)


def test_fft_counts_stay_consistent_and_untreated_rows_are_untouched(sd):
    iv = insert_interventions(sd, "fft_pct_positive", providers=_nhs(sd)[:4],
                              start="2024-06-01", level=0.4, slope=0.02, seed=1)
    p = iv.panel.dropna(subset=["fft_responses"])
    assert (p["fft_positive"] <= p["fft_responses"]).all() and (p["fft_positive"] >= 0).all()
    assert np.allclose(p["fft_pct_positive"], 100 * p["fft_positive"] / p["fft_responses"].clip(lower=1),
                       atol=1e-4)
    assert iv.panel["provider_code"].tolist() == sd.panel["provider_code"].tolist()
    before = sd.panel.set_index(["provider_code", "period"])
    after = iv.panel.set_index(["provider_code", "period"])
    treated = after.index.get_level_values(0).isin(_nhs(sd)[:4]) & (
        after.index.get_level_values(1) >= "2024-06-01")
    assert after.loc[~treated, "fft_positive"].equals(before.loc[~treated, "fft_positive"])
    # positives rose by about the expected amount
    gain = (after.loc[treated, "fft_pct_positive"] - before.loc[treated, "fft_pct_positive"]).mean()
    assert gain == pytest.approx(iv.truth["did:att->fft_pct_positive@treated"], abs=0.3)


def test_truths_are_keyed_by_the_methods_finding_ids(sd):
    iv = insert_interventions(sd, "complaints", providers=["R001", "R002"], start="2024-03-01",
                              level=-0.2, slope=-0.01, horizon=6, seed=2)
    t = iv.truth
    assert t["its:level->complaints@R001"] == pytest.approx(math.exp(-0.2))
    assert t["its:slope->complaints@R002"] == pytest.approx(math.exp(-0.01))
    assert t["its:effect_h6->complaints@R001"] == pytest.approx(math.exp(-0.2 - 0.06))
    assert t["its:level->complaints@treated"] == pytest.approx(math.exp(-0.2))
    assert t["did:att->complaints_per_1000@treated"] < 0
    assert t["did:event_m3->complaints_per_1000@treated"] == 0.0
    # complaints per 1,000 recomputed from the new counts
    p = iv.panel
    assert np.allclose(p["complaints_per_1000"], 1000 * p["complaints"] / p["episodes"].clip(lower=1),
                       atol=1e-4)


def test_staggered_and_heterogeneous(sd):
    iv = insert_interventions(sd, "ae_pct_within_4h", providers=_nhs(sd)[:9], start="2024-01-01",
                              level=0.2, slope=0.01, cohorts=3, cohort_gap=5, heterogeneity=0.5,
                              seed=3)
    assert iv.adoption["adoption"].nunique() == 3
    assert iv.adoption["level"].nunique() == 9
    # no group ITS truth when the providers changed at different dates
    assert not any(k.startswith("its:") and k.endswith("@treated") for k in iv.truth)
    p = iv.panel.dropna(subset=["ae_attendances"])
    assert np.allclose(p["ae_pct_within_4h"],
                       100 * (1 - p["ae_over_4h"] / p["ae_attendances"].clip(lower=1)), atol=1e-4)


def test_bad_arguments_name_the_parameter(sd):
    with pytest.raises(AnalysisInputError, match="measure"):
        insert_interventions(sd, "rtt_median_weeks", providers=2)
    with pytest.raises(AnalysisInputError, match="providers"):
        insert_interventions(sd, "ae_pct_within_4h", providers=["1-100001"])   # a care home
    with pytest.raises(AnalysisInputError, match="start"):
        insert_interventions(sd, "complaints", providers=2, start="2030-01-01")


def test_did_truth_averages_over_provider_effects_and_the_sample_truth_is_kept(sd):
    kw = {"providers": _nhs(sd)[:8], "start": "2024-01-01", "slope": 0.05, "cohorts": 2,
          "cohort_gap": 4, "seed": 6}
    key = "did:att->fft_pct_positive@treated"
    flat = insert_interventions(sd, "fft_pct_positive", heterogeneity=0.0, **kw)
    assert flat.truth[key] == pytest.approx(flat.sample_truth[key])
    het = insert_interventions(sd, "fft_pct_positive", heterogeneity=0.6, **kw)
    assert het.sample_truth[key] == pytest.approx(het.effects["delta"].mean())
    assert het.truth[key] == pytest.approx(het.effects["expected_delta"].mean())
    # one provider-month by Monte Carlo over the provider multiplier m = exp(0.6 z - 0.18)
    row = het.effects.iloc[-1]
    before = sd.panel.set_index(["provider_code", "period"]).loc[(row["provider_code"],
                                                                  row["period"])]
    p = before["fft_positive"] / before["fft_responses"]
    m = np.exp(0.6 * np.random.default_rng(0).standard_normal(400_000) - 0.18)
    eta0 = 0.05 * row["months_since"]
    mc = np.mean(100 * (1 / (1 + np.exp(-(np.log(p / (1 - p)) + m * eta0))) - p))
    assert row["expected_delta"] == pytest.approx(mc, abs=0.01)
