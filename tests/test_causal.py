"""NHS vs independent: naive, regression adjustment, IPW, balance, overlap warnings."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from workbench.analysis import causal
from workbench.data.synth import generate
from workbench.errors import AnalysisInputError


@pytest.fixture(scope="module")
def overlap():
    return generate(seed=31, n_providers=240, n_months=12, selection=0.3)


@pytest.fixture(scope="module")
def calibrated():
    return generate(seed=31, n_providers=240, n_months=12)


def test_three_estimates_side_by_side(overlap):
    fs, bal = causal.compare_sectors(overlap.panel, n_boot=300)
    assert [f.id.split(":")[0] for f in fs] == ["naive", "adjusted", "ipw"] * 2
    for f in fs:
        assert f.n and f.clusters and f.ci_low < f.estimate < f.ci_high
    for f in fs[1:3] + fs[4:6]:
        key = "adjusted:" + f.id.split(":", 1)[1]
        assert f.covers(overlap.truth[key]), (f.id, f.estimate, f.ci_low, f.ci_high)
    assert set(bal.columns) == {"covariate", "stage", "smd"}


def test_weighting_improves_balance(overlap):
    t = causal.propensity_scores(causal.provider_table(overlap.panel))
    bal = causal.balance(t).pivot(index="covariate", columns="stage", values="smd")
    assert bal["unweighted"].abs().max() > 0.5
    assert (bal["weighted"].abs() < bal["unweighted"].abs()).all()
    assert bal["weighted"].abs().max() < 0.25


def test_propensity_matches_statsmodels_logit(overlap):
    t = causal.propensity_scores(causal.provider_table(overlap.panel))
    X = sm.add_constant(t[["case_mix_index", "pct_aged_75_plus", "deprivation_imd"]])
    ref = sm.Logit(t["treated"], X).fit(disp=0).predict(X)
    np.testing.assert_allclose(t["ps"], ref, rtol=1e-6)
    # stabilised weights sum to each sector's provider count
    for g in (0, 1):
        m = t["treated"] == g
        assert t.loc[m, "weight"].sum() == pytest.approx(m.sum())


def test_ipw_by_hand_on_a_tiny_table():
    # equal propensity within sector -> IPW is the plain difference of means
    t = pd.DataFrame({"treated": [1, 1, 0, 0, 0, 0], "x": [1, 1, 1, 1, 1, 1],
                      "y": [3.0, 5.0, 1.0, 2.0, 3.0, 2.0]})
    X = np.column_stack([np.ones(6)])
    assert causal._ipw_estimate(X, t["treated"].to_numpy(float), t["y"].to_numpy(float)) == \
        pytest.approx(4.0 - 2.0)


def test_smd_by_hand():
    t = pd.DataFrame({"treated": [1, 1, 0, 0], "x": [2.0, 4.0, 0.0, 2.0],
                      "weight": [1.0, 3.0, 1.0, 1.0]})
    b = causal.balance(t, ("x",)).set_index("stage")["smd"]
    sd = np.sqrt((2.0 + 2.0) / 2)
    assert b["unweighted"] == pytest.approx((3 - 1) / sd)
    assert b["weighted"] == pytest.approx((3.5 - 1) / sd)


def test_naive_difference_is_confounded_adjusted_not(calibrated):
    fs, _ = causal.compare_sectors(calibrated.panel, outcomes=("fft_pct_positive",), n_boot=200)
    naive, adjusted, ipw = fs
    truth = calibrated.truth["adjusted:sector[independent]->fft_pct_positive@acute"]
    assert not naive.covers(truth) and naive.estimate > truth + 0.5
    assert adjusted.covers(truth)
    assert "poor overlap" in ipw.warning


def test_provider_table_rejects_bad_input(overlap):
    with pytest.raises(AnalysisInputError, match="not in the panel"):
        causal.provider_table(overlap.panel, "no_such_outcome")
    nhs_only = overlap.panel[overlap.panel.sector != "independent"]
    with pytest.raises(AnalysisInputError, match="at least 5 of each"):
        causal.provider_table(nhs_only, "fft_pct_positive")
    switch = overlap.panel.copy()
    code = switch.loc[switch.sector == "nhs", "provider_code"].iloc[0]
    first = switch.index[switch.provider_code == code][0]
    switch.loc[first, "sector"] = "independent"
    with pytest.raises(AnalysisInputError, match="changes over time"):
        causal.provider_table(switch, "fft_pct_positive")


def test_balance_rejects_table_without_weights(overlap):
    t = causal.provider_table(overlap.panel)
    with pytest.raises(AnalysisInputError, match="weight"):
        causal.balance(t)


def test_balance_plot(overlap):
    from workbench.report.diagnostics import balance_plot

    t = causal.propensity_scores(causal.provider_table(overlap.panel))
    ax = balance_plot(causal.balance(t))
    assert len(ax.get_yticklabels()) == 3
    with pytest.raises(AnalysisInputError, match="hue='group'"):
        balance_plot(causal.balance(t), hue="group")
