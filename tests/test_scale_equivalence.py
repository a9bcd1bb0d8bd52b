"""The fitters that scale to a national panel give statsmodels' numbers on a small one.

Each model kind whose fit moved from statsmodels' rows x columns decomposition to
cross-products (:mod:`workbench.analysis.models.fastfit`) is compared, on a 120 x 24 synthetic
panel, with the statsmodels fit of the same formula: coefficients, clustered standard
errors, interval ends and p-values of every reported term to 1e-8 relative. The
mediation bootstrap (now from per-provider sums with absorbed month effects) is compared
with the dense per-provider cross-products it replaced: same seed, same provider draws,
same intervals to 1e-7 (two computation paths, any BLAS).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from workbench.analysis.models import fit as md
from workbench.analysis.models import fitters
from workbench.analysis.questions import common as qcommon
from workbench.analysis.questions import staffing_waits_satisfaction as q02
from workbench.data.synth import generate

RTOL = 1e-8
DIRECT = ("rtt_median_weeks", "nurse_fte_per_10_beds", "staff_engagement_lag1")


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return generate(seed=11, n_providers=120, n_months=24).panel


def _close(fast, ref, terms):
    """Estimates, standard errors, interval ends and p-values of ``terms`` agree."""
    for term in terms:
        a, b = float(fast.params[term]), float(ref.params[term])
        assert a == pytest.approx(b, rel=RTOL), term
        assert float(fast.bse[term]) == pytest.approx(float(ref.bse[term]), rel=RTOL), term
        ca, cb = fast.conf_int().loc[term], pd.DataFrame(ref.conf_int()).loc[term]
        assert float(ca.iloc[0]) == pytest.approx(float(cb.iloc[0]), rel=RTOL), term
        assert float(ca.iloc[1]) == pytest.approx(float(cb.iloc[1]), rel=RTOL), term
        assert float(fast.pvalues[term]) == pytest.approx(float(ref.pvalues[term]),
                                                          rel=1e-6, abs=1e-14), term


def _groups(df):
    return df["provider_code"].astype("category").cat.codes.to_numpy()


def test_ols_equals_statsmodels(panel):
    spec = md.ModelSpec("fft_pct_positive", DIRECT, qcommon.adjust_for("acute"))
    fit = md.fit(spec, panel)
    ref = smf.ols(spec.formula(), fit.data).fit(cov_type="cluster",
                                                cov_kwds={"groups": _groups(fit.data)},
                                                use_t=True)
    assert list(fit.result.params.index) == list(ref.params.index)
    _close(fit.result, ref, list(ref.params.index))
    assert np.allclose(fit.result.resid, ref.resid, rtol=1e-8, atol=1e-9)


def test_weighted_ols_equals_statsmodels(panel):
    spec = md.ModelSpec("nurse_fte_per_10_beds", ("case_mix_index",), weights="beds")
    fit = md.fit(spec, panel)
    ref = smf.wls(spec.formula(), fit.data, weights=fit.data["beds"]).fit(
        cov_type="cluster", cov_kwds={"groups": _groups(fit.data)}, use_t=True)
    _close(fit.result, ref, ["case_mix_index", "Intercept"])


def test_within_equals_patsy_statsmodels_within(panel):
    spec = md.ModelSpec("fft_pct_positive", DIRECT, ("case_mix_index",), kind="fe")
    fit = md.fit(spec, panel)
    notes: list[str] = []
    ref, _ = fitters.WithinFitter().fit_formula(spec, fit.data, _groups(fit.data), notes)
    assert list(fit.result.params.index) == list(ref.params.index)
    _close(fit.result, ref, list(ref.params.index))
    # the time-invariant control is absorbed and named, as before
    assert any("case_mix_index" in w for w in fit.warnings)
    assert any("case_mix_index" in w for w in notes)


def test_within_equals_dummy_variable_regression(panel):
    """The within fit's slopes are those of OLS with a dummy per provider."""
    spec = md.ModelSpec("rtt_median_weeks", ("nurse_fte_per_10_beds",), kind="fe")
    fit = md.fit(spec, panel)
    ref = smf.ols("rtt_median_weeks ~ nurse_fte_per_10_beds + C(month) + C(provider_code)",
                  fit.data).fit()
    assert float(fit.result.params["nurse_fte_per_10_beds"]) == pytest.approx(
        float(ref.params["nurse_fte_per_10_beds"]), rel=RTOL)


def test_binomial_logit_equals_statsmodels(panel):
    spec = md.ModelSpec("fft_positive", DIRECT, qcommon.adjust_for("acute"), kind="binomial",
                        trials="fft_responses")
    fit = md.fit(spec, panel)
    df = fit.data
    trials = df["fft_responses"].to_numpy(float)
    f_prop = spec.formula().replace(spec.outcome, "_prop", 1)
    fam = sm.families.Binomial()
    first = smf.glm(f_prop, df, family=fam, var_weights=trials).fit()
    phi = fitters.williams_phi(first, df["_prop"].to_numpy(), trials)
    ref = smf.glm(f_prop, df, family=fam, var_weights=trials / (1 + (trials - 1) * phi)).fit(
        cov_type="cluster", cov_kwds={"groups": _groups(df)}, use_t=True)
    _close(fit.result, ref, list(ref.params.index))


def test_poisson_equals_statsmodels(panel):
    spec = md.ModelSpec("complaints", ("rtt_median_weeks", "nurse_fte_per_10_beds"),
                        md.CASE_MIX, kind="poisson", exposure="episodes")
    fit = md.fit(spec, panel)
    ref = smf.glm(spec.formula(), fit.data, family=sm.families.Poisson(),
                  exposure=fit.data["episodes"]).fit(
        cov_type="cluster", cov_kwds={"groups": _groups(fit.data)}, use_t=True)
    _close(fit.result, ref, list(ref.params.index))


def test_poisson_absorbed_provider_effects_equal_dummy_variables(panel):
    """Provider effects absorbed inside IRLS: the dummy-variable GLM's slopes, month
    effects, clustered standard errors (k counting the dummies) and intervals."""
    spec = md.ModelSpec("complaints", ("rtt_median_weeks", "nurse_fte_per_10_beds"),
                        ("provider_code",), kind="poisson", exposure="episodes",
                        prefix="rate_ratio", suffix="fe")
    fit = md.fit(spec, panel)
    ref = smf.glm(spec.formula(), fit.data, family=sm.families.Poisson(),
                  exposure=fit.data["episodes"]).fit(
        cov_type="cluster", cov_kwds={"groups": _groups(fit.data)}, use_t=True)
    terms = [t for t in fit.result.params.index]
    assert "nurse_fte_per_10_beds" in terms and not any("provider_code" in t for t in terms)
    _close(fit.result, ref, terms)
    f = fit.findings("q")[0]
    assert f.id == "rate_ratio:rtt_median_weeks->complaints@acute#fe"
    assert f.estimate == pytest.approx(float(np.exp(ref.params["rtt_median_weeks"])), rel=RTOL)


# ---- the mediation bootstrap ---------------------------------------------------------

def _dense_mediation(df, exposure, mediator, outcome, adjust, outcome_adjust, n_boot, seed):
    """The dense computation the per-provider sums replaced: rows x k designs with month
    dummies, per-provider k x k cross-products, the same multinomial provider draws."""
    months = pd.get_dummies(df["month"].astype(str), drop_first=True, dtype=float).to_numpy()

    def X(cols):
        return np.hstack([np.ones((len(df), 1)), df[cols].to_numpy(float), months])

    Xm, Xo = X([exposure, *adjust]), X([exposure, mediator, *adjust, *outcome_adjust])
    codes = df["provider_code"].astype("category").cat.codes.to_numpy()
    g = codes.max() + 1
    parts = []
    for Xd, y in ((Xm, df[mediator].to_numpy(float)), (Xo, df[outcome].to_numpy(float))):
        k = Xd.shape[1]
        xtx, xty = np.zeros((g, k, k)), np.zeros((g, k))
        np.add.at(xtx, codes, Xd[:, :, None] * Xd[:, None, :])
        np.add.at(xty, codes, Xd * y[:, None])
        parts.append((xtx, xty))
    rng = np.random.default_rng(seed)
    counts = np.stack([np.bincount(rng.integers(0, g, g), minlength=g)
                       for _ in range(n_boot)]).astype(float)
    est = [np.linalg.solve((counts @ a.reshape(g, -1)).reshape(n_boot, *a.shape[1:]),
                           (counts @ b)[..., None])[..., 0] for a, b in parts]
    full = [np.linalg.solve(a.sum(0), b.sum(0)) for a, b in parts]
    jack = [np.linalg.solve(a.sum(0)[None] - a, (b.sum(0)[None] - b)[..., None])[..., 0]
            for a, b in parts]
    return full, est, jack, Xm, Xo


def test_mediation_bootstrap_equals_dense_cross_products(panel):
    from workbench.analysis.effects.mediation import _jackknife, _Sums, product_of_coefficients

    exposure, mediator, outcome = "nurse_fte_per_10_beds", "rtt_median_weeks", "fft_pct_positive"
    adjust, extra = qcommon.adjust_for("acute"), ("staff_engagement_lag1",)
    rows = md.prepare(md.ModelSpec(outcome, (mediator, exposure, *extra), adjust), panel)
    used = [exposure, mediator, outcome, *adjust, *extra, "provider_code", "month"]
    df = rows[used].dropna().reset_index(drop=True)
    n_boot, seed = 400, 5
    res = product_of_coefficients(df, exposure, mediator, outcome, adjust=adjust,
                                  outcome_adjust=extra, cluster="provider_code",
                                  time="month", n_boot=n_boot, seed=seed)
    full, est, jack, Xm, _ = _dense_mediation(df, exposure, mediator, outcome, adjust, extra,
                                               n_boot, seed)
    a, b, c = est[0][:, 1], est[1][:, 2], est[1][:, 1]
    # same seed, same provider draws: every bootstrap replicate agrees
    assert np.allclose(res.draws["indirect"], a * b, rtol=1e-7, atol=0)
    assert np.allclose(res.draws["direct"], c, rtol=1e-7, atol=0)
    assert res.paths["a"] == pytest.approx(full[0][1], rel=1e-7)
    assert res.paths["b"] == pytest.approx(full[1][2], rel=1e-7)
    # the model-based standard errors (Sobel) from the Schur complement
    ym = df[mediator].to_numpy(float)
    e = ym - Xm @ full[0]
    se_a = np.sqrt(np.linalg.pinv(Xm.T @ Xm)[1, 1] * (e @ e) / (len(df) - Xm.shape[1]))
    assert res.paths["se_a"] == pytest.approx(se_a, rel=1e-7)
    # leave-one-provider-out (BCa acceleration)
    codes = df["provider_code"].astype("category").cat.codes.to_numpy()
    from workbench.analysis.effects.mediation import _Design

    months = df["month"].astype(str)
    sums = [_Sums(_Design(df, [exposure, *adjust], months), ym, codes, codes.max() + 1),
            _Sums(_Design(df, [exposure, mediator, *adjust, *extra], months),
                  df[outcome].to_numpy(float), codes, codes.max() + 1)]
    jk = _jackknife(sums, codes.max() + 1)
    assert np.allclose(jk[:, 0], jack[0][:, 1] * jack[1][:, 2], rtol=1e-7, atol=0)
    # hence the same BCa interval ends
    ind = res.table.loc["indirect"]
    from workbench.analysis.effects.mediation import _bca_probs

    probs = _bca_probs(a * b, full[0][1] * full[1][2], jack[0][:, 1] * jack[1][:, 2], 0.025)
    lo, hi = np.quantile(a * b, probs)
    assert ind["ci_low"] == pytest.approx(lo, rel=1e-7)
    assert ind["ci_high"] == pytest.approx(hi, rel=1e-7)


def test_staffing_pathways_within_provider_ids(panel):
    """The notebook 02 mediation split still reports both versions of every effect."""
    ids = [f.id for f in q02.staffing_pathways(panel, n_boot=200)]
    assert "indirect:nurse_fte_per_10_beds->rtt_median_weeks->fft_pct_positive@acute#fe" in ids
    assert "total:nurse_fte_per_10_beds->fft_pct_positive@acute#bootstrap" in ids
