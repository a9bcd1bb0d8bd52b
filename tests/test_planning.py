"""Planning an evaluation (questions.planning.plan_evaluation): power near the nominal
level when nothing changes, near 1 under a large change, intervals that cover the inserted
change about 95% of the time, a minimum detectable effect that is what it says, and errors
that name the parameter at fault."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import workbench
from workbench.analysis.evaluation.did import staggered_did
from workbench.analysis.questions.planning import did_one_cohort, plan_evaluation
from workbench.data.synth import generate
from workbench.errors import AnalysisInputError


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    # 32 NHS acute trusts over 24 months: small enough for seconds, large enough to plan on
    return generate(seed=11, n_providers=100, n_months=24).panel


def band(p: float, n: int, z: float = 3.0) -> tuple[float, float]:
    """A Monte Carlo band around ``p`` for a share over ``n`` simulations."""
    half = z * math.sqrt(p * (1 - p) / n)
    return p - half, p + half


def test_did_power_is_near_five_percent_when_nothing_changes(panel):
    plan = plan_evaluation(panel, "fft_pct_positive", n_changed=6, effect=0.0,
                           months_before=8, months_after=8, method="did", n_sim=400, seed=2)
    lo, hi = band(0.05, 400)
    assert lo <= plan.power <= hi, plan.power
    assert "false-alarm rate, which should be near 5%" in plan.sentence


def test_a_false_alarm_rate_beyond_chance_is_said_to_be_too_high(panel):
    plan = plan_evaluation(panel, "fft_pct_positive", n_changed=6, effect=0.0,
                           months_before=8, months_after=8, method="did", n_sim=50, seed=2)
    plan.power = 0.3          # as a method with too narrow intervals would give
    assert "more often than the 5% it should be" in plan.sentence


def test_did_power_is_near_one_under_a_large_change(panel):
    plan = plan_evaluation(panel, "fft_pct_positive", n_changed=6, effect=5.0,
                           months_before=8, months_after=8, method="did", n_sim=200, seed=3)
    assert plan.power >= 0.95
    assert 0 < plan.mde < 5.0


def test_did_coverage_is_near_95_percent(panel):
    plan = plan_evaluation(panel, "ae_pct_within_4h", n_changed=8, effect=2.0,
                           months_before=6, months_after=6, method="did", n_sim=400, seed=4)
    lo, hi = band(0.95, 400)
    assert lo <= plan.coverage <= hi, plan.coverage
    assert plan.coverage_mcse < 0.02


def test_complaints_plan_works_on_the_rate_and_its_mde_is_a_fall(panel):
    plan = plan_evaluation(panel, "complaints_per_1000", n_changed=6, effect=0.0,
                           months_before=6, months_after=6, method="did", n_sim=100, seed=5)
    assert plan.mde < 0   # fewer complaints is the improvement
    assert plan.unit == "complaints per 1,000 episodes"
    assert "fall" in plan.sentence


def test_its_plan_detects_a_large_change_and_covers(panel):
    plan = plan_evaluation(panel, "fft_pct_positive", n_changed=6, effect=4.0,
                           months_before=14, months_after=8, method="its", n_sim=30, seed=6)
    assert plan.power >= 0.9
    assert plan.coverage >= 0.8
    assert plan.identified == 30


def test_the_same_seed_gives_the_same_plan_and_another_seed_another(panel):
    kw = {"n_changed": 5, "effect": 1.0, "months_before": 6, "months_after": 6, "method": "did", "n_sim": 50}
    a = plan_evaluation(panel, "fft_pct_positive", seed=7, **kw)
    b = plan_evaluation(panel, "fft_pct_positive", seed=7, **kw)
    c = plan_evaluation(panel, "fft_pct_positive", seed=8, **kw)
    pd.testing.assert_frame_equal(a.simulations, b.simulations)
    assert not a.simulations["estimate"].equals(c.simulations["estimate"])


def test_mde_curve_rises_and_crosses_80_percent_at_the_mde(panel):
    plan = plan_evaluation(panel, "fft_pct_positive", n_changed=6, effect=2.0,
                           months_before=8, months_after=8, method="did", n_sim=200, seed=9)
    curve = plan.curve
    assert curve["power"].iloc[0] < 0.2 and curve["power"].iloc[-1] > 0.9
    at = curve.iloc[(curve["effect"] - plan.mde).abs().argsort()[:1]]["power"].iloc[0]
    assert at == pytest.approx(0.8, abs=0.05)


def test_the_simulated_did_estimate_is_staggered_dids_for_one_cohort(panel):
    """The simulation's cheap DiD is the Sun-Abraham ATT staggered_did estimates."""
    nhs = panel[panel["sector"].eq("nhs")].copy()
    months = sorted(nhs["period"].unique())
    window = nhs[nhs["period"].isin(months[4:20])]
    codes = sorted(window["provider_code"].unique())
    changed = codes[:5]
    change = pd.Timestamp(months[12])
    res = staggered_did(window, "fft_pct_positive", {c: change for c in changed},
                        bootstrap=False, did2s=False)
    y = window.pivot(index="provider_code", columns="period", values="fft_pct_positive")
    att, se, df = did_one_cohort(y.loc[codes].to_numpy(float),
                                 np.isin(codes, changed), before=8)
    assert att == pytest.approx(res.findings()[0].estimate, abs=1e-6)
    assert se > 0 and 4 <= df <= len(codes) - 2


@pytest.mark.parametrize("kwargs, parameter", [
    ({"measure": "rtt_median_weeks"}, "measure"),
    ({"method": "rdd"}, "method"),
    ({"n_changed": 40}, "n_changed"),
    ({"n_changed": 31}, "n_changed"),          # leaves one provider to compare with
    ({"n_changed": 1}, "n_changed"),           # did needs two changed providers
    ({"months_before": 30}, "months_before"),
    ({"months_after": 20}, "months_after"),
    ({"months_before": 0}, "months_before"),
    ({"n_sim": 3}, "n_sim"),
    ({"effect": float("nan")}, "effect"),
    ({"effect": 150.0}, "effect"),
    ({"comparison": "wards"}, "comparison"),
    ({"method": "its", "months_before": 6, "months_after": 6}, "months_before"),
    ({"method": "its", "months_before": 12, "months_after": 12}, "months_before"),
    ({"method": "its", "months_before": 13, "months_after": 2}, "months_after"),
    ({"method": "its", "horizon": 9}, "horizon"),
])
def test_bad_parameters_are_refused_naming_them(panel, kwargs, parameter):
    args = {"measure": "fft_pct_positive", "n_changed": 6, "effect": 1.0, "months_before": 10,
                "months_after": 8, "method": "did", "n_sim": 20}
    args.update(kwargs)
    with pytest.raises(AnalysisInputError) as err:
        plan_evaluation(panel, **args)
    assert err.value.parameter == parameter
    assert parameter in str(err.value)


def test_plan_evaluation_is_in_the_api(panel):
    assert workbench.plan_evaluation is plan_evaluation
    plan = workbench.plan_evaluation(panel, "fft_pct_positive", 6, 2.0, 6, 6, n_sim=20)
    assert {"power", "mde", "coverage", "n_sim", "sentence"} <= set(dir(plan))
    assert next(iter(plan.table()["what"])) == "Power"


@pytest.mark.slow
@pytest.mark.parametrize("method, before, after", [("did", 8, 8), ("its", 18, 12)])
def test_power_is_nominal_under_no_effect_with_many_simulations(method, before, after):
    panel = generate(seed=21, n_providers=160, n_months=30).panel
    n = 1000 if method == "did" else 400
    plan = plan_evaluation(panel, "fft_pct_positive", n_changed=6, effect=0.0,
                           months_before=before, months_after=after, method=method,
                           n_sim=n, seed=1, progress=False)
    lo, hi = band(0.05, n)
    assert lo <= plan.power <= hi, plan.power


@pytest.mark.slow
def test_mde_found_by_shifting_is_the_power_a_fresh_simulation_gives():
    panel = generate(seed=22, n_providers=160, n_months=30).panel
    kw = {"n_changed": 6, "months_before": 8, "months_after": 8, "method": "did", "n_sim": 1000,
              "progress": False}
    plan = plan_evaluation(panel, "fft_pct_positive", effect=1.0, seed=1, **kw)
    again = plan_evaluation(panel, "fft_pct_positive", effect=plan.mde, seed=2, **kw)
    lo, hi = band(0.8, 1000)
    assert lo <= again.power <= hi, (plan.mde, again.power)


def test_plan_like_plans_both_methods_with_the_panels_months(panel):
    adoption = {"R001": "2024-09", "R002": "2024-09", "R003": "2024-09"}
    plans = workbench.plan_like(panel, "fft_pct_positive", adoption, 2.0, n_sim=20, seed=1)
    assert sorted(plans.plans) == ["did", "its"]
    did = plans.plans["did"]
    assert (did.n_changed, did.months_before, did.months_after) == (3, 17, 7)
    assert plans.plans["its"].horizon == 6
    assert list(plans.frame()["n_sim"]) == [20, 20]
    assert set(plans.curves()["method"]) == {"against providers that did not change",
                                             "the changed providers' own series"}


def test_plan_like_leaves_out_a_series_it_cannot_fit_and_says_why(panel):
    plans = workbench.plan_like(panel, "fft_pct_positive", {"R001": "2024-04", "R002": "2024-04"},
                                1.0, n_sim=20, seed=1, unit="ward", units="wards")
    assert list(plans.plans) == ["did"]
    assert "more than 12 months on one side" in plans.notes[0]
    text = " ".join(plans.sentences)
    assert "wards" in text and "provider" not in text


def test_power_curve_chart_draws_a_line_per_method(panel):
    import matplotlib

    matplotlib.use("Agg")
    plans = workbench.plan_like(panel, "fft_pct_positive", {"R001": "2024-09", "R002": "2024-09"},
                                2.0, n_sim=20, seed=1)
    ax = workbench.power_curve_chart(plans.curves(), planned=2.0, unit="percentage points")
    assert len(ax.get_lines()) >= 2
    with pytest.raises(AnalysisInputError, match="power"):
        workbench.power_curve_chart(plans.curves(), power="share")


def test_a_progress_bar_can_be_asked_for(panel, capsys):
    plan_evaluation(panel, "fft_pct_positive", 4, 1.0, 6, 6, n_sim=10, progress=True)
    assert "plan_evaluation" in capsys.readouterr().err
