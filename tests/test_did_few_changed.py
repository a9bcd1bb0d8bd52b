"""Few changed providers: randomisation inference, the pre-trend summary, the Rambachan-Roth
band, did2s's event-time second stage and synthetic difference-in-differences."""

import warnings

import numpy as np
import pandas as pd
import pytest

from workbench.analysis.evaluation.did import (
    _sa_regression,
    randomisation_inference,
    relative_magnitudes_band,
    staggered_did,
)
from workbench.analysis.evaluation.synthetic_control import sdid_estimate, synthetic_did
from workbench.analysis.questions.did_it_work import (
    evaluate_change,
    insert_known_change,
    verdict,
)
from workbench.data.interventions import insert_interventions
from workbench.data.synth import generate
from workbench.errors import AnalysisInputError

warnings.filterwarnings("ignore", category=DeprecationWarning)


@pytest.fixture(scope="module")
def synthetic():
    return generate(seed=8, n_providers=120, n_months=30)


def _nhs(sd):
    p = sd.panel
    return sorted(p.loc[(p["sector"] == "nhs") & (p["setting"] == "acute"),
                        "provider_code"].unique())


def _changed(sd, k, level, cohorts=1, seed=1):
    nhs = _nhs(sd)
    iv = insert_interventions(sd, "fft_pct_positive", providers=nhs[:k], start="2024-04-01",
                              level=level, cohorts=cohorts, cohort_gap=5, seed=seed)
    return iv, iv.panel[iv.panel["provider_code"].isin(nhs)]


def test_randomisation_closed_form_is_the_sun_abraham_regression(synthetic):
    iv, panel = _changed(synthetic, 5, 0.3, cohorts=2)
    res = staggered_did(panel, "fft_pct_positive", iv.adoption_dates(), n_boot=99, did2s=False)
    att, pre = res.findings()[:2]
    ri = randomisation_inference(panel, "fft_pct_positive", iv.adoption_dates(), n_perm=99)
    assert ri["balanced"] and ri["att"] == pytest.approx(att.estimate, abs=1e-6)
    assert ri["pre"] == pytest.approx(pre.estimate, abs=1e-6)
    # an unbalanced panel refits the regression for every assignment: same estimates
    holes = panel.drop(index=panel.index[[3, 50, 400]])
    ri_u = randomisation_inference(holes, "fft_pct_positive", iv.adoption_dates(), n_perm=19)
    res_u = staggered_did(holes, "fft_pct_positive", iv.adoption_dates(), n_boot=99,
                          did2s=False, inference="crv1")
    assert not ri_u["balanced"]
    assert ri_u["att"] == pytest.approx(res_u.findings()[0].estimate, abs=1e-6)
    assert ri_u["pre"] == pytest.approx(res_u.findings()[1].estimate, abs=1e-6)


def test_regression_helper_recovers_a_constant_effect_exactly():
    units, months = 10, 12
    u = np.repeat(np.arange(units), months)
    t = np.tile(np.arange(months), units)
    g = np.array([6, 6, 8] + [-1] * 7)
    y = 0.3 * u + 0.1 * t + 2.0 * ((g[u] >= 0) & (t >= g[u]))
    att, pre = _sa_regression(u, t, y[:, None], g, 4)
    assert att[0] == pytest.approx(2.0) and pre[0] == pytest.approx(0.0, abs=1e-10)


def test_randomisation_inference_finds_a_large_change_and_agrees_with_its_interval(synthetic):
    iv, panel = _changed(synthetic, 4, 0.8)
    ri = randomisation_inference(panel, "fft_pct_positive", iv.adoption_dates(), n_perm=199,
                                 seed=3)
    lo, hi = ri["att_ci"]
    assert ri["att_p"] < 0.05 and lo > 0 and lo < ri["att"] < hi
    assert lo < iv.truth["did:att->fft_pct_positive@treated"] < hi
    assert ri["n_perm"] == 199 and not ri["exact"]
    again = randomisation_inference(panel, "fft_pct_positive", iv.adoption_dates(),
                                    n_perm=199, seed=3)
    assert again == ri                                   # same seed, same answer


def test_few_ways_to_choose_are_enumerated_exactly():
    # 8 providers, 2 changed: 28 ways, every one used (the observed among them)
    rng = np.random.default_rng(0)
    rows = [{"provider_code": f"P{i}", "period": pd.Timestamp(2024, 1, 1) + pd.DateOffset(months=m),
             "y": rng.normal() + (3.0 if i < 2 and m >= 6 else 0.0)}
            for i in range(8) for m in range(12)]
    df = pd.DataFrame(rows)
    ri = randomisation_inference(df, "y", {"P0": "2024-07-01", "P1": "2024-07-01"},
                                 unit="provider_code", n_perm=999)
    assert ri["exact"] and ri["n_perm"] == 28
    assert ri["att_p"] == pytest.approx(1 / 28)          # the largest of the 28
    with pytest.raises(AnalysisInputError, match="n_perm"):
        randomisation_inference(df, "y", {"P0": "2024-07-01"}, n_perm=5)


def test_relative_magnitudes_band_widens_with_the_bound_and_breaks_down_where_it_says():
    es = pd.DataFrame({"rel": [-4, -3, -2, -1, 0, 1, 2],
                       "estimate": [0.1, -0.2, 0.1, 0.0, 1.0, 1.5, 2.0]})
    band, breakdown = relative_magnitudes_band(es, 0.8, 2.2, {0: 1, 1: 1, 2: 1},
                                               pretrend_window=4, mbar=(0, 0.5, 1, 2))
    assert band["ci_low"].is_monotonic_decreasing and band["ci_high"].is_monotonic_increasing
    assert band.loc[0, "ci_low"] == 0.8 and band.loc[0, "ci_high"] == 2.2
    # largest pre-change month-to-month drift 0.3, sum of w (l + 1) = 2: bias 0.6 Mbar
    assert band["bias_bound"].tolist() == pytest.approx([0, 0.3, 0.6, 1.2])
    assert breakdown == pytest.approx(0.8 / 0.6)


def test_the_att_comes_with_its_sensitivity_band(synthetic):
    iv, panel = _changed(synthetic, 6, 0.5)
    res = staggered_did(panel, "fft_pct_positive", iv.adoption_dates(), n_boot=99, did2s=False)
    by = {f.key.variant: f for f in res.findings() if f.key.exposure == "att"}
    att, honest = by[""], by["honest"]
    assert honest.role == "robustness" and honest.p_value is None
    assert honest.ci_low <= att.ci_low and honest.ci_high >= att.ci_high
    assert set(res.sensitivity["mbar"]) == {0.0, 0.5, 1.0, 2.0}
    assert honest.parameters["breakdown_mbar"] == res.breakdown >= 0


def test_did2s_second_stage_by_event_time(synthetic):
    import pyfixest as pf
    from scipy import stats

    nhs = _nhs(synthetic)
    iv = insert_interventions(synthetic, "fft_pct_positive", providers=nhs[:20],
                              start="2023-10-01", slope=0.06, cohorts=3, cohort_gap=6,
                              seed=2)
    panel = iv.panel[iv.panel["provider_code"].isin(nhs)]
    res = staggered_did(panel, "fft_pct_positive", iv.adoption_dates(), n_boot=99)
    d2 = next(f for f in res.findings() if f.key.variant == "did2s")
    assert "one indicator per month since the change" in d2.formula
    # the same point estimate as one "treated" coefficient (the mean imputed effect), but
    # a growing effect no longer counts as noise in its standard error
    df = panel.assign(_unit=pd.factorize(panel["provider_code"])[0],
                      _t=pd.factorize(panel["period"])[0],
                      _treat=lambda d: (d["period"] >= d["provider_code"].map(
                          iv.adoption_dates())).astype(float))
    one = pf.did2s(df, yname="fft_pct_positive", first_stage="~ 0 | _unit + _t",
                   second_stage="~ _treat", treatment="_treat", cluster="_unit")
    assert d2.estimate == pytest.approx(float(one.coef().iloc[0]), abs=1e-6)
    # (staggered cohorts see different months since the change, so one coefficient
    # leaves each provider's part of the growth in its residuals)
    se_event = (d2.ci_high - d2.ci_low) / 2 / stats.t.ppf(0.975, d2.clusters - 1)
    assert se_event < 0.95 * float(one.se().iloc[0])


def test_synthetic_did_is_exact_on_a_panel_of_unit_and_month_effects():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=25), rng.normal(size=18).cumsum()
    Y = a[:, None] + b[None, :]
    Y[:2, 12:] += 1.5
    tr = np.zeros(25, bool)
    tr[:2] = True
    est, w = sdid_estimate(Y, tr, 12)
    assert est == pytest.approx(1.5, abs=1e-6)
    assert w["omega"].sum() == pytest.approx(1.0) and (w["omega"] >= 0).all()
    assert w["lambda"].sum() == pytest.approx(1.0) and (w["lambda"] >= 0).all()


def test_synthetic_did_with_one_changed_provider_uses_every_placebo(synthetic):
    nhs = _nhs(synthetic)
    iv = insert_interventions(synthetic, "fft_pct_positive", providers=nhs[:1],
                              start="2024-04-01", level=0.8, seed=1)
    panel = iv.panel[iv.panel["provider_code"].isin(nhs)]
    res = synthetic_did(panel, "fft_pct_positive", iv.adoption_dates(), n_placebo=999)
    f = res.findings()[0]
    assert f.id == "synth:att->fft_pct_positive@treated" and f.role == "headline"
    assert len(res.placebos) == len(nhs) - 1 and "every unchanged provider" in f.warning
    assert f.ci_low > 0 and f.p_value < 0.05
    assert f.ci_low < iv.truth["did:att->fft_pct_positive@treated"] < f.ci_high
    assert res.weights.groupby("cohort")["weight"].sum().to_numpy() == pytest.approx(1.0)
    # interval and p-value agree
    assert (f.p_value < 0.05) == (f.ci_low > 0 or f.ci_high < 0)
    with pytest.raises(AnalysisInputError, match="n_placebo"):
        synthetic_did(panel, "fft_pct_positive", iv.adoption_dates(), n_placebo=0)


def test_one_to_three_changed_providers_are_answered_by_synthetic_did(synthetic):
    panel = synthetic.panel
    one = insert_known_change(panel, "fft_pct_positive", providers=_nhs(synthetic)[:1],
                              intervention="2024-04", level=0.6, seed=2)
    assert "synth:att->fft_pct_positive@treated" in one.truth
    assert not any(k.startswith("did:") for k in one.truth)
    ev = evaluate_change(one.panel, "fft_pct_positive", one.adoption, n_boot=199)
    assert ev.did is None and ev.synthetic is not None
    head = ev.headlines[0]
    assert head.id == "synth:att->fft_pct_positive@treated" and head.covers(one.truth[head.id])
    text = verdict(ev)
    assert "synthetic comparison" in text and "placebo-in-space" in text
    assert not ev.event_study().empty
    three = insert_known_change(panel, "fft_pct_positive", providers=_nhs(synthetic)[:3],
                                intervention="2024-04", level=0.6, seed=2)
    ev3 = evaluate_change(three.panel, "fft_pct_positive", three.adoption, n_boot=199)
    sa = next(f for f in ev3.findings() if f.id == "did:att->fft_pct_positive@treated")
    assert sa.role == "robustness" and "synth:att" in sa.warning
    assert ev3.headlines[0].key.kind == "synth"


def test_a_changed_provider_missing_a_month_falls_back_and_says_why(synthetic):
    p = synthetic.panel
    first = _nhs(synthetic)[0]
    holes = p.drop(index=p.index[(p["provider_code"] == first)
                                 & (p["period"] == p["period"].unique()[3])])
    one = evaluate_change(holes, "fft_pct_positive", "2024-04", providers=[first], n_boot=99)
    assert one.synthetic is None and one.did is None
    assert "no synthetic comparison could be built" in verdict(one)
    two = evaluate_change(holes, "fft_pct_positive", "2024-04",
                          providers=_nhs(synthetic)[:2], n_boot=99)
    assert two.synthetic is None and two.headlines[0].id == "did:att->fft_pct_positive@treated"
    assert any("Sun-Abraham estimate answers instead" in n for n in two.notes)


def test_six_changed_providers_say_they_used_randomisation_inference(synthetic):
    kc = insert_known_change(synthetic.panel, "fft_pct_positive", intervention="2024-04",
                             level=0.5, seed=2)
    ev = evaluate_change(kc.panel, "fft_pct_positive", kc.adoption, n_boot=199)
    att = ev.headlines[0]
    assert att.id == "did:att->fft_pct_positive@treated" and ev.synthetic is None
    assert att.parameters["inference"].startswith("randomisation inference")
    text = verdict(ev)
    assert "How sure: the interval and p-value come from randomisation inference" in text


@pytest.mark.slow
def test_placebos_with_six_changed_providers_keep_their_level():
    """No change at all, 6 changed NHS trusts in one cohort, 200 small panels (seeds 1-200):
    the ATT interval excludes zero, and the pre-trend summary rejects, in at most 6% of
    them. Each panel: 60 providers x 24 months (19 NHS acute trusts), randomisation
    inference over 199 assignments; about 1.5 s a panel, 5 minutes on a busy 2-core
    machine. Measured: 10 of 200 (5.0%) and 9 of 200 (4.5%).
    """
    excluded, rejected = 0, 0
    for seed in range(1, 201):
        p = generate(seed=seed, n_providers=60, n_months=24).panel
        nhs = p[(p["sector"] == "nhs") & (p["setting"] == "acute")]
        codes = sorted(nhs["provider_code"].unique())
        res = staggered_did(nhs, "fft_pct_positive", {c: "2024-01-01" for c in codes[:6]},
                            n_boot=199, did2s=False, seed=seed)
        att, pre = res.findings()[:2]
        assert att.parameters["inference"].startswith("randomisation")
        excluded += att.ci_low > 0 or att.ci_high < 0
        rejected += pre.p_value < 0.05
    assert excluded <= 12, excluded
    assert rejected <= 12, rejected


@pytest.mark.slow
def test_synthetic_did_placebos_keep_their_level():
    """No change, one or three changed NHS trusts, 100 panels (seeds 1-100, 150 providers x
    24 months, 48 NHS acute trusts), 199 placebos: the interval excludes zero in at most 8
    of 100 (measured: 4 with one changed trust, 1 with three). About 70 s.
    """
    excluded = {1: 0, 3: 0}
    for seed in range(1, 101):
        p = generate(seed=seed, n_providers=150, n_months=24).panel
        nhs = p[(p["sector"] == "nhs") & (p["setting"] == "acute")]
        codes = sorted(nhs["provider_code"].unique())
        for k in excluded:
            f = synthetic_did(nhs, "fft_pct_positive", {c: "2024-01-01" for c in codes[:k]},
                              n_placebo=199, seed=seed).findings()[0]
            excluded[k] += f.ci_low > 0 or f.ci_high < 0
    assert max(excluded.values()) <= 8, excluded
