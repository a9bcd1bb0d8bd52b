"""Staggered difference-in-differences: Sun-Abraham ATT and event study against known truth."""

import warnings

import numpy as np
import pytest

from workbench.analysis.evaluation.did import _ols_crv1, _within, staggered_did
from workbench.analysis.models.bootstrap import wild_cluster_bootstrap
from workbench.data.interventions import insert_interventions
from workbench.data.synth import generate
from workbench.errors import AnalysisInputError

warnings.filterwarnings("ignore", category=DeprecationWarning)


def _staggered(seed: int, n_treated: int = 30, n_providers: int = 200):
    sd = generate(seed=seed, n_providers=n_providers, n_months=36)
    nhs = [p for p in sd.panel["provider_code"].unique() if p.startswith("R")]
    # effects that grow after the change and differ between providers, three cohorts
    iv = insert_interventions(sd, "fft_pct_positive", providers=nhs[:n_treated],
                              start="2024-01-01", level=0.0, slope=0.04, cohorts=3,
                              cohort_gap=8, heterogeneity=0.5, seed=seed)
    return iv, iv.panel[iv.panel["provider_code"].isin(nhs)]


@pytest.fixture(scope="module")
def staggered():
    iv, panel = _staggered(3)
    return iv, staggered_did(panel, "fft_pct_positive", iv.adoption_dates(), n_boot=199)


def test_sun_abraham_recovers_att_where_naive_twfe_is_biased(staggered):
    iv, res = staggered
    truth = iv.truth["did:att->fft_pct_positive@treated"]
    by = {f.key.variant: f for f in res.findings() if f.key.exposure == "att"}
    att, twfe, d2 = by[""], by["twfe"], by["did2s"]
    assert att.id == "did:att->fft_pct_positive@treated"
    assert att.covers(truth), (att.estimate, att.ci_low, att.ci_high, truth)
    assert twfe.id.endswith("#twfe") and not twfe.covers(truth)
    # the bias: TWFE understates a growing staggered effect by about a third
    assert twfe.estimate < truth - 0.5 and "biased" in twfe.warning
    assert twfe.role == "diagnostic" and att.role == "headline" and d2.role == "robustness"
    assert d2.covers(truth)
    assert not att.warning                 # 30 treated providers: cluster-robust inference


def test_event_study_frame_and_pre_trend(staggered):
    iv, res = staggered
    es = res.event_study
    assert {"rel", "estimate", "ci_low", "ci_high", "period"} <= set(es.columns)
    ref = es[es["rel"] == -1].iloc[0]
    assert ref["estimate"] == 0 and np.isnan(ref["ci_low"])
    pre = res.findings()[1]
    assert pre.id == "did:pretrend->fft_pct_positive@treated" and pre.p_value > 0.05
    by_id = {f.id: f for f in res.findings(events=True)}
    covered = [by_id[k].covers(v) for k, v in iv.truth.items()
               if k in by_id and k.startswith("did:event_p") and int(k.split("_p")[1].split("-")[0]) <= 12]
    assert len(covered) == 13 and np.mean(covered) >= 0.75
    # effects grow with time since the change
    post = es[es["rel"].between(0, 12)]
    assert post["estimate"].iloc[-1] > post["estimate"].iloc[0]


def test_ten_to_nineteen_treated_providers_invert_the_restricted_wild_bootstrap():
    iv, panel = _staggered(6, n_treated=12, n_providers=120)
    res = staggered_did(panel, "fft_pct_positive", iv.adoption_dates(), n_boot=299, did2s=False)
    att = res.findings()[0]
    assert "wild cluster restricted bootstrap" in att.warning and res.options["bootstrap"]
    assert res.options["inference_kind"] == "wild"
    assert att.covers(iv.truth[att.id])
    # interval and p-value come from one test: the interval's ends are where it rejects
    assert (att.p_value < 0.05) == (att.ci_low > 0 or att.ci_high < 0)
    assert res.options["n_treated"] == 12
    assert att.parameters["crv1_se"] > 0
    assert att.estimate == pytest.approx(float(res.cells.query("rel >= 0").pipe(
        lambda c: (c["estimate"] * c["n_obs"]).sum() / c["n_obs"].sum())))


def test_fewer_than_ten_treated_providers_use_randomisation_inference():
    iv, panel = _staggered(6, n_treated=8, n_providers=120)
    res = staggered_did(panel, "fft_pct_positive", iv.adoption_dates(), n_boot=299, did2s=False)
    att, pre = res.findings()[:2]
    assert res.options["inference_kind"] == "randomisation"
    assert att.parameters["inference"].startswith("randomisation inference")
    assert "randomisation inference" in att.warning and att.parameters["n_perm"] == 299
    assert att.covers(iv.truth[att.id]) and att.ci_low > 0 and att.p_value < 0.05
    assert pre.parameters["inference"].startswith("randomisation") and pre.covers(0.0)


def test_wild_bootstrap_matches_least_squares_and_rejects_a_real_effect():
    rng = np.random.default_rng(2)
    g = np.repeat(np.arange(15), 30)
    X = np.column_stack([np.ones(450), rng.normal(size=450)])
    y = X @ [0.5, 0.4] + rng.normal(size=450) + rng.normal(size=15)[g]
    r = wild_cluster_bootstrap(X, y, g, np.array([0.0, 1.0]), n_boot=499, seed=1)
    assert r["estimate"] == pytest.approx(np.linalg.lstsq(X, y, rcond=None)[0][1])
    assert r["p_value"] < 0.01 and r["ci_low"] < 0.4 < r["ci_high"]
    assert wild_cluster_bootstrap(X, y, g, np.array([0.0, 1.0]), n_boot=499, seed=1) == r


def test_sun_abraham_regression_matches_pyfixest():
    import pandas as pd
    import pyfixest as pf

    rng = np.random.default_rng(4)
    units, months = 24, 14
    df = pd.DataFrame({"_unit": np.repeat(np.arange(units), months),
                       "_t": np.tile(np.arange(months), units)})
    df = df.drop(index=[5, 40, 41]).reset_index(drop=True)          # unbalanced
    g = np.where(df["_unit"] < 6, 6, np.where(df["_unit"] < 12, 9, -1))
    rel = np.where(g > 0, df["_t"] - g, -99)
    cols = []
    for c in (6, 9):
        for lag in sorted(set(rel[g == c]) - {-1}):
            name = f"c{c}_{'p' if lag >= 0 else 'm'}{abs(lag)}"
            df[name] = ((g == c) & (rel == lag)).astype(float)
            cols.append(name)
    df["y"] = rng.normal(size=len(df)) + 0.1 * df["_unit"] + 0.5 * (rel >= 0)
    X, y, _ = _within(df, cols, "y")
    beta, V, _ = _ols_crv1(X, y, df["_unit"].to_numpy())
    fit = pf.feols(f"y ~ {' + '.join(cols)} | _unit + _t", df, vcov={"CRV1": "_unit"})
    assert beta[:len(cols)] == pytest.approx(np.asarray(fit.coef()), abs=1e-8)
    assert np.sqrt(np.diag(V))[:len(cols)] == pytest.approx(np.asarray(fit.se()), rel=1e-6)


def test_bad_input_names_the_argument():
    iv, panel = _staggered(7, n_treated=6, n_providers=60)
    with pytest.raises(AnalysisInputError, match="adoption"):
        staggered_did(panel, "fft_pct_positive", {"R999": "2024-01-01"})
    with pytest.raises(AnalysisInputError, match="outcome"):
        staggered_did(panel, "fft_pct", iv.adoption_dates())
    every = {p: "2024-01-01" for p in panel["provider_code"].unique()}
    with pytest.raises(AnalysisInputError, match="never-changed"):
        staggered_did(panel, "fft_pct_positive", every)


@pytest.mark.slow
def test_coverage_over_many_panels():
    """95% intervals of the ITS and DiD estimators cover the inserted truth 90-98% of the time.

    On 200 panels (the issue's requirement; seeds 1-200 as in
    benchmarks/validation_improvement.py). 60 panels cannot resolve the band: the Monte
    Carlo standard error of a coverage of 0.95 is then 0.028, and a perfectly calibrated
    interval lands inside 0.90-0.98 in only 78% of rows (all nine rows: 10%); on 200
    panels in 99% of rows (all nine: 91%).
    """
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from validation_improvement import COVERAGE_BAND, run

    table = run(replicates=200, workers=2, n_boot=199)
    meant = table[table["meant"] & (table["estimand"] != "pretrend")]
    assert meant["coverage"].between(*COVERAGE_BAND).all(), meant.to_string()
    twfe = table[table["estimator"] == "twfe"].set_index("design")
    assert twfe.loc["did_30", "coverage"] < 0.5          # the naive estimate is biased


def test_the_pre_trend_summary_is_one_mean_tested_with_the_atts_inference():
    iv, panel = _staggered(6, n_treated=12, n_providers=120)
    res = staggered_did(panel, "fft_pct_positive", iv.adoption_dates(), n_boot=299, did2s=False)
    pre = res.findings()[1]
    assert pre.id == "did:pretrend->fft_pct_positive@treated" and pre.role == "diagnostic"
    assert "one restriction" in pre.parameters["test"]
    assert "bootstrap" in pre.parameters["inference"]
    months = res.event_study.query("-6 <= rel <= -2")
    assert pre.estimate == pytest.approx(months["estimate"].mean())
    # its interval inverts the same test: it includes no difference exactly when p >= 0.05
    assert (pre.p_value < 0.05) != pre.covers(0.0)


def test_wild_cluster_wald_rejects_a_real_difference():
    from workbench.analysis.models.bootstrap import wild_cluster_wald

    rng = np.random.default_rng(5)
    g = np.repeat(np.arange(12), 25)
    X = np.column_stack([np.ones(300), rng.normal(size=(300, 2))])
    y = X @ [1.0, 0.5, 0.0] + rng.normal(size=300) + rng.normal(size=12)[g]
    R = np.array([[0.0, 1, 0], [0, 0, 1]])
    assert wild_cluster_wald(X, y, g, R, n_boot=499, seed=2)["p_value"] < 0.01
    assert wild_cluster_wald(X, y, g, R[1:], n_boot=499, seed=2)["p_value"] > 0.05
