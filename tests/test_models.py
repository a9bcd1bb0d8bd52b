"""Model kinds, lags with gaps, diagnostics in findings, and errors that name the model."""

import numpy as np
import pandas as pd
import pytest

from workbench.analysis.models import bootstrap, fitters
from workbench.analysis.models import diagnostics as adg
from workbench.analysis.models import fit as md
from workbench.data.synth import generate
from workbench.errors import AnalysisColumnError, AnalysisInputError
from workbench.report import diagnostics as dg

ADJ = md.CASE_MIX + ("sector_independent",)
DIRECT = ("rtt_median_weeks", "nurse_fte_per_10_beds", "staff_engagement_lag1")


@pytest.fixture(scope="module")
def sd():
    return generate(seed=41, n_providers=160, n_months=24)


@pytest.mark.parametrize("kind", ["ols", "fe", "mixed"])
def test_linear_kinds_recover_truth(sd, kind):
    fit = md.fit(md.ModelSpec("fft_pct_positive", DIRECT, ADJ, kind=kind), sd.panel)
    for f in fit.findings("q"):
        assert f.covers(sd.truth[f.id]), (kind, f.id, f.estimate, f.ci_low, f.ci_high)
        assert f.n == fit.n and f.clusters == 83 and f.model.split(";")[0] == kind


def test_fe_absorbs_time_invariant_controls(sd):
    fit = md.fit(md.ModelSpec("fft_pct_positive", DIRECT, ADJ, kind="fe"), sd.panel)
    assert "absorbed by provider fixed effects" in "; ".join(fit.warnings)
    assert "provider fixed effects" in fit.findings("q")[0].formula
    assert "case_mix_index" not in fit.result.params.index


def test_fe_equals_provider_dummies(sd):
    acute = sd.panel[sd.panel.setting == "acute"].iloc[::3]  # unbalanced months per provider
    fe = md.fit(md.ModelSpec("rtt_median_weeks", ("nurse_fte_per_10_beds",), kind="fe"), acute)
    import statsmodels.formula.api as smf

    d = acute.assign(month=acute.period.dt.strftime("%Y-%m"))
    ref = smf.ols("rtt_median_weeks ~ nurse_fte_per_10_beds + C(month) + C(provider_code)",
                  d).fit()
    assert fe.result.params["nurse_fte_per_10_beds"] == pytest.approx(
        ref.params["nurse_fte_per_10_beds"], rel=1e-8)


def test_fe_rejects_time_invariant_exposure(sd):
    spec = md.ModelSpec("fft_pct_positive", ("sector_independent",), kind="fe")
    with pytest.raises(ValueError, match=r"fe\).*sector_independent.*do not change within"):
        md.fit(spec, sd.panel)


def test_random_slopes(sd):
    spec = md.ModelSpec("fft_pct_positive", ("rtt_median_weeks", "nurse_fte_per_10_beds"), ADJ,
                        kind="mixed", random_slopes=("rtt_median_weeks",))
    fit = md.fit(spec, sd.panel)
    assert np.asarray(fit.result.cov_re).shape == (2, 2)
    f = fit.findings("q")[0]
    assert "(1 + rtt_median_weeks | provider_code)" in f.formula
    assert f.covers(sd.truth[f.id])
    # the generator has no random slope: the fit should say the variance sits at zero
    # or that the optimiser struggled
    assert f.warning


def test_random_slope_must_be_in_model(sd):
    spec = md.ModelSpec("fft_pct_positive", ("rtt_median_weeks",), kind="mixed",
                        random_slopes=("beds",))
    with pytest.raises(ValueError, match=r"fft_pct_positive ~ .*random slopes \['beds'\]"):
        md.fit(spec, sd.panel)
    with pytest.raises(ValueError, match=r"\(ols\), a kind that does not use it\. "
                                         r"Expected: kind='mixed'"):
        md.fit(md.ModelSpec("fft_pct_positive", ("rtt_median_weeks",),
                            random_slopes=("rtt_median_weeks",)), sd.panel)


@pytest.mark.parametrize("kind, option, value, users", [
    ("ols", "exposure", "episodes", "kind='poisson' or 'negbin'"),
    ("mixed", "weights", "beds", "kind='ols'"),
    ("fe", "inference", "wild", "kind='ols'"),
    ("poisson", "trials", "fft_responses", "kind='binomial'"),
    ("ols", "rating_window", 6, "kind='ordinal'"),
])
def test_an_option_the_kind_does_not_use_names_the_kinds_that_do(sd, kind, option, value,
                                                                  users):
    spec = md.ModelSpec("complaints", ("rtt_median_weeks",), kind=kind,
                        **({"exposure": "episodes"} if kind == "poisson" else {}),
                        **{option: value})
    with pytest.raises(AnalysisInputError) as err:
        md.fit(spec, sd.panel)
    assert (err.value.function, err.value.parameter) == ("fit", option)
    assert f"is {value!r} for model 'complaints ~ rtt_median_weeks" in str(err.value)
    assert f"({kind}), a kind that does not use it" in str(err.value)
    assert err.value.expected.startswith(users)
    # inference="cluster", like "auto", leaves the option unused: any kind takes it
    assert "inference" not in md.ModelSpec("y", ("x",), kind="mixed",
                                           inference="cluster").kind_options()


@pytest.mark.parametrize("kind", ["poisson", "negbin"])
def test_count_kinds_give_rate_ratios(sd, kind):
    spec = md.ModelSpec("complaints", ("rtt_median_weeks", "nurse_fte_per_10_beds"), ADJ,
                        kind=kind, exposure="episodes", prefix="rate_ratio")
    for f in md.fit(spec, sd.panel).findings("q"):
        assert f.unit.startswith("rate ratio")
        assert f.covers(sd.truth[f.id]), (f.id, f.estimate, f.ci_low, f.ci_high)


def test_negbin_needs_exposure(sd):
    with pytest.raises(ValueError, match=r"complaints ~ .*\(negbin\) needs `exposure`"):
        md.fit(md.ModelSpec("complaints", ("rtt_median_weeks",), kind="negbin"), sd.panel)


def test_unknown_kind_names_the_model(sd):
    with pytest.raises(ValueError, match=r"'fft_pct_positive ~ rtt_median_weeks.*unknown kind"):
        md.fit(md.ModelSpec("fft_pct_positive", ("rtt_median_weeks",), kind="tobit"), sd.panel)


def test_ordinal_warns_about_thin_categories():
    small = generate(seed=2, n_providers=40, n_months=3).panel
    fit = md.fit(md.ModelSpec("cqc_overall", ("nurse_fte_per_10_beds",), kind="ordinal",
                              prefix="ordinal"), small)
    f = fit.findings("q")[0]
    assert f.n == f.clusters == 21  # 13 NHS trusts + 8 independent hospitals
    assert "thin rating categories" in f.warning or "left out" in f.warning


def test_too_few_providers_names_the_model(sd):
    few = sd.panel[sd.panel.provider_code.isin(["R001", "R002", "N001"])]
    with pytest.raises(ValueError, match=r"rtt_median_weeks ~ .*only 3 provider"):
        md.fit(md.ModelSpec("rtt_median_weeks", ("nurse_fte_per_10_beds",)), few)


def test_lag_with_gaps_and_k():
    df = pd.DataFrame({"provider_code": ["A"] * 4 + ["B"] * 2,
                       "period": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-04-01",
                                                 "2024-06-01", "2024-01-01", "2024-03-01"]),
                       "x": [1.0, 2.0, 4.0, 6.0, 10.0, 30.0]})
    lag1 = md.add_lag(df, "x", 1)["x_lag1"].tolist()
    lag2 = md.add_lag(df, "x", 2)["x_lag2"].tolist()
    assert lag1[:4] == [None, 1.0, None, None] or np.allclose(
        np.nan_to_num(lag1, nan=-1), [-1, 1.0, -1, -1, -1, -1])
    assert np.allclose(np.nan_to_num(lag2, nan=-1), [-1, -1, 2.0, 4.0, -1, 10.0])
    with pytest.raises(ValueError, match="positive number of months"):
        md.add_lag(df, "x", 0)
    with pytest.raises(KeyError, match="'y'"):
        md.add_lag(df, "y", 1)


def test_lag_k_is_a_parameter_of_the_spec(sd):
    spec = md.ModelSpec("fft_pct_positive", ("staff_engagement_lag3",), ADJ, kind="fe")
    fit = md.fit(spec, sd.panel)
    f = fit.findings("q")[0]
    assert f.id == "effect:staff_engagement[lag3]->fft_pct_positive@acute"
    assert fit.n == 83 * (24 - 3)


def test_residual_and_influence_frames(sd):
    fit = md.fit(md.ModelSpec("fft_pct_positive", DIRECT, ADJ), sd.panel)
    r = adg.residual_frame(fit)
    assert len(r) == fit.n and abs(r["residual"].mean()) < 1e-8
    inf = adg.influence_frame(fit, "rtt_median_weeks")
    assert len(inf) == 83 and inf["dfbeta_se"].abs().is_monotonic_decreasing
    # the leave-one-out estimate by hand for the most influential provider
    code = inf["provider_code"].iloc[0]
    refit = md.fit(md.ModelSpec("fft_pct_positive", DIRECT, ADJ),
                   sd.panel[sd.panel.provider_code != code])
    assert inf["estimate_without"].iloc[0] == pytest.approx(
        refit.result.params["rtt_median_weeks"], rel=1e-6)
    assert dg.influence_plot(inf).get_title() == "Most influential providers"
    assert dg.qq_plot(r).get_xlabel() == "Normal quantile"
    ordinal = md.fit(md.ModelSpec("cqc_overall", ("nurse_fte_per_10_beds",), kind="ordinal"),
                     sd.panel)
    with pytest.raises(Exception, match="ordinal model"):
        adg.residual_frame(ordinal)


def test_unknown_kind_lists_the_registered_kinds(sd):
    with pytest.raises(AnalysisInputError) as err:
        md.fit(md.ModelSpec("fft_pct_positive", ("rtt_median_weeks",), kind="tobit"), sd.panel)
    assert (err.value.function, err.value.parameter) == ("fit", "kind")
    assert "'tobit'" in str(err.value)
    assert all(repr(k) in err.value.expected for k in md.KINDS)
    assert md.KINDS == fitters.registry.kinds() == (
        "ols", "binomial", "poisson", "negbin", "mixed", "fe", "ordinal")


def test_a_registered_fitter_is_used_by_fit(sd, monkeypatch):
    class Unclustered(fitters.Fitter):
        def fit(self, spec, df, groups, notes):
            import statsmodels.formula.api as smf

            notes.append("plain OLS standard errors")
            return smf.ols(spec.formula(), df).fit(), df

    registry = fitters.FitterRegistry()
    registry.register("ols", fitters.registry.get("ols"))
    registry.register("plain", Unclustered())
    monkeypatch.setattr(fitters, "registry", registry)
    spec = md.ModelSpec("fft_pct_positive", ("rtt_median_weeks",), ADJ, kind="plain")
    plain, clustered = md.fit(spec, sd.panel), md.fit(md.ModelSpec(
        "fft_pct_positive", ("rtt_median_weeks",), ADJ), sd.panel)
    assert "plain OLS standard errors" in plain.warnings
    assert plain.result.params["rtt_median_weeks"] == pytest.approx(
        clustered.result.params["rtt_median_weeks"], rel=1e-12)
    assert plain.result.bse["rtt_median_weeks"] != clustered.result.bse["rtt_median_weeks"]
    with pytest.raises(AnalysisInputError, match=r"Expected: one of \['ols', 'plain'\]"):
        md.fit(md.ModelSpec("fft_pct_positive", ("rtt_median_weeks",), kind="fe"), sd.panel)


def test_unknown_subset_names_the_subsets(sd):
    with pytest.raises(AnalysisInputError) as err:
        md.fit(md.ModelSpec("fft_pct_positive", ("rtt_median_weeks",), subset="private"),
               sd.panel)
    assert err.value.parameter == "subset" and "'private'" in str(err.value)
    assert all(repr(k) in err.value.expected for k in md.SUBSETS)


def test_missing_column_names_the_spec_field_and_the_closest_column(sd):
    with pytest.raises(AnalysisColumnError) as err:
        md.fit(md.ModelSpec("fft_pct_positve", ("rtt_median_weeks",)), sd.panel)
    assert isinstance(err.value, KeyError) and err.value.parameter == "outcome"
    assert "['fft_pct_positve']" in str(err.value)
    assert "'fft_pct_positve' is closest to 'fft_pct_positive'" in err.value.expected
    with pytest.raises(AnalysisColumnError) as bad:
        md.fit(md.ModelSpec("fft_pct_positive", ("rtt_median_weeks", "beds_lagx")), sd.panel)
    assert "'beds_lagx'" in str(bad.value) and "<measure>_lag<k>" in bad.value.expected


def test_binomial_without_trials_or_with_a_bad_link_says_what_to_give(sd):
    spec = md.ModelSpec("fft_positive", ("rtt_median_weeks",), kind="binomial")
    with pytest.raises(AnalysisInputError) as err:
        md.fit(spec, sd.panel)
    assert err.value.parameter == "trials" and "fft_responses" in err.value.expected
    assert "fft_positive ~ rtt_median_weeks" in str(err.value)
    with pytest.raises(AnalysisInputError, match=r"link is 'probit'.*Expected: 'logit' or "
                                                 r"'identity'"):
        md.fit(md.ModelSpec("fft_positive", ("rtt_median_weeks",), kind="binomial",
                            trials="fft_responses", link="probit"), sd.panel)


def test_few_clusters_use_the_wild_bootstrap_and_say_so(sd):
    acute = sd.panel[sd.panel.setting == "acute"]
    keep = list(acute.loc[acute.sector == "independent", "provider_code"].unique()[:5])
    few = sd.panel[(sd.panel.sector != "independent") | sd.panel.provider_code.isin(keep)]
    spec = md.ModelSpec("rtt_median_weeks", ("sector_independent",), md.CASE_MIX)
    fit = md.fit(spec, few)
    assert "sector_independent" in fit.boot and "wild cluster bootstrap" in fit.inference
    f = fit.findings("q")[0]
    assert "wild cluster bootstrap" in f.warning and "5 providers with sector[independent]" \
        in f.warning
    crv = md.fit(md.ModelSpec("rtt_median_weeks", ("sector_independent",), md.CASE_MIX,
                              inference="cluster"), few)
    lo, hi = crv.interval("sector_independent")
    assert f.ci_high - f.ci_low > hi - lo  # wider than the too-narrow clustered interval
    again = md.fit(spec, few).findings("q")[0]
    assert (again.ci_low, again.ci_high) == (f.ci_low, f.ci_high)  # seeded, deterministic
    many = md.fit(spec, sd.panel)  # 50 independent, 33 NHS... but all > 20 per side
    assert (not many.boot) == (min(md.contrast_sides(many, "sector_independent")) >= 20)


def test_wild_bootstrap_matches_the_wildboottest_package():
    wbt = pytest.importorskip("wildboottest.wildboottest")
    rng = np.random.default_rng(3)
    g = np.repeat(np.arange(8), 25)
    x = (g < 3).astype(float)
    X = np.column_stack([np.ones(200), x, rng.normal(size=200)])
    y = 0.3 * x + rng.normal(size=8)[g] + rng.normal(size=200)
    ours = bootstrap.WildClusterBootstrap(X, y, g, 1, n_boot=999)
    ours.v = np.array(np.meshgrid(*[[-1.0, 1.0]] * 8, indexing="ij")).reshape(8, -1)
    ref = wbt.WildboottestCL(X=X, Y=y, cluster=g, R=np.array([0.0, 1.0, 0.0]), B=999, seed=1)
    ref.get_scores(bootstrap_type="11", impose_null=True, adj=True, cluster_adj=True)
    ref.get_weights(weights_type="rademacher")  # 2^8 < 999: full enumeration
    ref.get_numer(); ref.get_denom(); ref.get_tboot(); ref.get_vcov(); ref.get_tstat()
    ref.get_pvalue(pval_type="two-tailed")
    # the statistics agree to rounding; the p-values are counted from them under one tie
    # rule (the all-ones draw reproduces t exactly, and an exact tie falls either way with
    # the last bit of floating point, so raw p-values may differ by a few of 256 draws)
    t_ours, t_obs = ours.statistics(0.0)
    t_ref = np.asarray(ref.t_boot, dtype=float).ravel()
    assert t_obs == pytest.approx(float(np.asarray(ref.t_stat).ravel()[0]), rel=1e-6)
    assert np.sort(np.abs(t_ours)) == pytest.approx(np.sort(np.abs(t_ref)), rel=1e-6, abs=1e-9)
    assert ours.p_value(0.0) == bootstrap.exceedance(t_ref, t_obs)
    assert abs(ours.p_value(0.0) - float(np.asarray(ref.pvalue).ravel()[0])) <= 4 / 256


def test_wild_bootstrap_interval_inverts_its_test():
    rng = np.random.default_rng(5)
    g = np.repeat(np.arange(25), 8)
    x = (g < 4).astype(float)
    X = np.column_stack([np.ones(200), x])
    y = x + rng.normal(size=25)[g] + rng.normal(size=200)
    wb = bootstrap.WildClusterBootstrap(X, y, g, 1, n_boot=999, seed=2)
    lo, hi = wb.interval(0.95)
    assert wb.p_value(lo - 0.05) < 0.05 <= wb.p_value(lo + 0.05)
    assert wb.p_value(hi + 0.05) < 0.05 <= wb.p_value(hi - 0.05)
    lo99, hi99 = wb.interval(0.99)
    assert lo99 <= lo and hi99 >= hi


def test_inference_is_stated_for_every_kind(sd):
    pois = md.fit(md.ModelSpec("complaints", ("rtt_median_weeks",), ADJ, kind="poisson",
                               exposure="episodes"), sd.panel)
    assert pois.inference.startswith("t(82)") and pois.result.use_t
    assert pois.result.df_resid_inference == 82
    mixed = md.fit(md.ModelSpec("fft_pct_positive", DIRECT, ADJ, kind="mixed"), sd.panel)
    assert mixed.inference.startswith("z (normal)")
    f = pois.findings("q")[0]
    assert f.model == "poisson; " + pois.inference


def test_within_between_split(sd):
    spec = md.ModelSpec("fft_pct_positive", ("nurse_fte_per_10_beds",), ADJ, kind="mixed",
                        within_between=True, suffix="mixed")
    fs = md.fit(spec, sd.panel).findings("q")
    assert [f.id for f in fs] == [
        "effect:nurse_fte_per_10_beds->fft_pct_positive@acute#mixed_within",
        "effect:nurse_fte_per_10_beds->fft_pct_positive@acute#mixed_between"]
    fe = md.fit(md.ModelSpec("fft_pct_positive", ("nurse_fte_per_10_beds",), ADJ,
                             kind="fe"), sd.panel).findings("q")[0]
    assert fs[0].estimate == pytest.approx(fe.estimate, abs=0.05)
    with pytest.raises(AnalysisInputError, match="within_between"):
        md.fit(md.ModelSpec("fft_pct_positive", ("nurse_fte_per_10_beds",),
                            within_between=True), sd.panel)


def test_ordinal_uses_exposures_up_to_the_rating_date_and_checks_proportional_odds(sd):
    acute = sd.panel[sd.panel.setting == "acute"].copy()
    # ratings published in month 12: later staffing must not enter the model
    acute["rated"] = acute["period"].min() + pd.DateOffset(months=11)
    late = acute["period"] > acute["rated"]
    spec = md.ModelSpec("cqc_overall", ("nurse_fte_per_10_beds",), kind="ordinal",
                        rating_date="rated", rating_window=12)
    base = md.fit(spec, acute)
    moved = acute.copy()
    moved.loc[late, "nurse_fte_per_10_beds"] += 50.0
    assert md.fit(spec, moved).result.params.iloc[0] == pytest.approx(
        base.result.params.iloc[0])
    bt = base.checks["proportional_odds"]
    assert bt["df"] == 2 and 0 <= bt["p_value"] <= 1
    assert "Brant test" in base.findings("q")[0].model


def test_brant_test_detects_non_proportional_odds():
    rng = np.random.default_rng(1)
    x = rng.normal(size=3000)
    # the effect of x is 2 at the upper threshold and 0 at the lower one
    low = (rng.logistic(size=3000) > -1).astype(int)
    high = (2 * x + rng.logistic(size=3000) > 1).astype(int)
    y = pd.Series(np.where(low == 0, 0, 1 + high))
    assert fitters.brant_test(pd.DataFrame({"x": x}), y)["p_value"] < 0.001
