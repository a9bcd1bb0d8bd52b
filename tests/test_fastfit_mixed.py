"""The random-intercept fast path (fastfit.mixed_intercept) is statsmodels' REML MixedLM:
the same estimates, standard errors and intervals on synthetic panels, to the tolerance
of statsmodels' optimiser; the mixed kind of ``fit`` uses it."""

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from statsmodels.regression.mixed_linear_model import MixedLMParams

from workbench.analysis.models import fastfit, fitters
from workbench.analysis.models import fit as md
from workbench.analysis.models.spec import prepare
from workbench.data.synth import generate

DIRECT = ("rtt_median_weeks", "nurse_fte_per_10_beds", "staff_engagement_lag1")
ADJ = md.CASE_MIX + ("sector_independent",)


@pytest.mark.parametrize("seed,scenario", [(1, "calibrated"), (2, "serial"),
                                           (4, "few_independent")])
def test_fast_mixed_matches_statsmodels_on_a_panel(seed, scenario):
    sd = generate(seed=seed, n_providers=120, n_months=24, scenario=scenario)
    spec = md.ModelSpec("fft_pct_positive", DIRECT, ADJ, kind="mixed")
    df = prepare(spec, sd.panel)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = smf.mixedlm(spec.formula(), df, groups=df[spec.cluster]).fit(reml=True)
    fast = md.fit(spec, sd.panel)
    assert isinstance(fast.result, fastfit.MixedResult)
    p_ref, p = pd.Series(ref.params), fast.result.params
    assert list(p.index) == list(p_ref.index)
    se = pd.Series(ref.bse)
    # statsmodels stops at its gradient tolerance, where it stops depends on the machine's
    # linear algebra: estimates within 0.005 standard errors, standard errors within
    # 0.1%, and the fast path's REML log-likelihood is at least statsmodels' (it is the
    # maximum, not another point near it)
    assert ((p - p_ref).abs() / se).max() < 5e-3
    assert ((fast.result.bse - se).abs() / se).max() < 1e-3
    at = MixedLMParams.from_components(fe_params=p.to_numpy()[:-1],
                                       cov_re=np.array([[p.iloc[-1]]]))
    assert ref.model.loglike(at) >= ref.llf - 1e-8
    ci_ref, ci = ref.conf_int(), fast.result.conf_int()
    assert np.allclose(ci.to_numpy(), ci_ref.to_numpy(), rtol=0, atol=5e-3 * se.max())
    assert np.allclose(fast.result.pvalues, ref.pvalues, rtol=1e-2, atol=1e-8)
    assert fast.result.scale == pytest.approx(ref.scale, rel=1e-3)
    assert fast.result.df_resid == ref.df_resid
    # fitted values include the predicted provider effects, as statsmodels' do
    assert np.allclose(fast.result.fittedvalues, ref.fittedvalues, atol=1e-4)
    f = fast.findings("q")[0]
    lo, hi = ci_ref.loc["rtt_median_weeks"]
    assert (f.ci_low, f.ci_high) == pytest.approx((lo, hi), abs=5e-3 * se["rtt_median_weeks"])
    assert fast.inference.startswith("z (normal)")


def test_fast_mixed_notes_a_variance_at_the_boundary():
    rng = np.random.default_rng(3)
    g = np.repeat(np.arange(40), 6)
    x = rng.normal(size=240)
    y = 0.3 * x + rng.normal(size=240)          # no provider effect at all
    X = np.column_stack([np.ones(240), x])
    with pytest.warns(UserWarning, match="boundary"):
        r = fastfit.mixed_intercept(y, X, ["Intercept", "x"], g)
    ols = np.linalg.lstsq(X, y, rcond=None)[0]
    if r.params["Group Var"] == 0:
        assert r.params[["Intercept", "x"]].to_numpy() == pytest.approx(ols)


def test_random_slopes_still_use_statsmodels():
    sd = generate(seed=5, n_providers=60, n_months=12)
    spec = md.ModelSpec("fft_pct_positive", ("rtt_median_weeks",), kind="mixed",
                        random_slopes=("rtt_median_weeks",))
    res = md.fit(spec, sd.panel).result
    assert not isinstance(res, fastfit.MixedResult)
    assert fitters.registry.get("mixed") is not None
