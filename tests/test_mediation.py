"""Mediation: statsmodels' framing results, MacKinnon (2008) R results, synthetic truth."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels
import statsmodels.api as sm

from workbench.analysis.effects import mediation as mediation_mod
from workbench.analysis.effects.mediation import (
    mediate_panel,
    moderated_mediation,
    product_of_coefficients,
    statsmodels_mediation,
)
from workbench.data.synth import generate
from workbench.errors import AnalysisInputError

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "mediation"
FRAMING = Path(statsmodels.__file__).parent / "stats" / "tests" / "results" / "framing.csv"


def _reference(name: str) -> dict:
    path = REFERENCE / name
    if not path.exists():
        pytest.skip(f"reference file {path} not present (../shared beside the repo)")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def framing() -> pd.DataFrame:
    if not FRAMING.exists():
        pytest.skip(f"statsmodels' framing data not installed at {FRAMING}")
    return pd.read_csv(FRAMING)


@pytest.mark.slow  # about a minute per case (statsmodels marks its own framing tests slow)
@pytest.mark.parametrize("case_id", ["parametric", "boot", "moderated_age20_parametric"])
def test_wrapper_reproduces_statsmodels_framing(framing, case_id):
    ref = _reference("statsmodels_framing_seed4231.json")
    case = next(c for c in ref["cases"] if c["id"] == case_id)
    probit = sm.families.Binomial(link=sm.families.links.Probit())
    if case_id.startswith("moderated"):
        summary = statsmodels_mediation(
            framing, "cong_mesg ~ emo + treat*age + emo*age + educ + gender + income",
            "emo ~ treat*age + educ + gender + income", "treat", "emo", outcome_family=probit,
            moderators={"age": 20}, method="parametric", n_rep=100, seed=4231)
    else:
        summary = statsmodels_mediation(
            framing, "cong_mesg ~ emo + treat + age + educ + gender + income",
            "emo ~ treat + age + educ + gender + income", "treat", "emo", outcome_family=probit,
            method=case["fit"]["method"], n_rep=100, seed=4231,
            outcome_fit_kwargs={"atol": 1e-11})
    expected = pd.DataFrame(case["expected_summary"]).T.loc[summary.index, summary.columns]
    np.testing.assert_allclose(summary.to_numpy(), expected.to_numpy(), atol=1e-6, rtol=0)


@pytest.fixture(scope="module")
def mackinnon():
    ref = _reference("mackinnon2008_single_mediator.json")
    data = pd.DataFrame(ref["inputs"]["rows"], columns=ref["inputs"]["columns"])
    res = product_of_coefficients(data, "room_temp", "thirst", "consume", n_boot=10000, seed=0)
    return ref, res


def test_mackinnon_paths_match_ols(mackinnon):
    ref, res = mackinnon
    check = ref["check_values_not_asserted_by_source"]
    for ours, theirs in (("a", "a"), ("se_a", "se_a"), ("b", "b"), ("se_b", "se_b"),
                         ("c_prime", "c_prime"), ("total", "c_total")):
        assert res.paths[ours] == pytest.approx(check[theirs], rel=1e-5)
    assert res.table.loc["indirect", "estimate"] == pytest.approx(check["ab"], rel=1e-5)
    assert res.table.loc["total", "estimate"] == pytest.approx(check["c_total"], rel=1e-5)


def test_mackinnon_sobel_matches_powermediation(mackinnon):
    ref, res = mackinnon
    exp = ref["expected"]["sobel_ci_95_powerMediation"]
    np.testing.assert_allclose([res.paths["sobel_ci_low"], res.paths["sobel_ci_high"]],
                               [exp["lower"], exp["upper"]], rtol=0.03)


def test_mackinnon_bootstrap_interval_matches_mbess(mackinnon):
    ref, res = mackinnon
    exp = ref["expected"]["bootstrap_indirect_ci_95_MBESS"]
    np.testing.assert_allclose(res.table.loc["indirect", ["ci_low", "ci_high"]].to_numpy(float),
                               [exp["lower"], exp["upper"]], rtol=0.13)


def test_mackinnon_proportion_mediated_matches_mbess(mackinnon):
    ref, res = mackinnon
    exp = ref["expected"]["bootstrap_indirect_over_total_MBESS"]
    got = res.table.loc["proportion_mediated", ["estimate", "ci_low", "ci_high"]].to_numpy(float)
    np.testing.assert_allclose(got, [exp["value"], exp["lower"], exp["upper"]], atol=0.03)


def test_percentile_interval_differs_from_bca():
    rng = np.random.default_rng(1)
    x = rng.normal(size=80)
    m = 0.4 * x + rng.normal(size=80)
    y = 0.4 * m + rng.normal(size=80)
    d = pd.DataFrame({"x": x, "m": m, "y": y})
    bca = product_of_coefficients(d, "x", "m", "y", n_boot=2000, seed=3)
    pct = product_of_coefficients(d, "x", "m", "y", n_boot=2000, seed=3, interval="percentile")
    assert bca.table.loc["indirect", "estimate"] == pct.table.loc["indirect", "estimate"]
    assert bca.table.loc["indirect", "ci_low"] != pct.table.loc["indirect", "ci_low"]
    # same draws: percentile interval is the quantiles of the draws
    q = np.quantile(pct.draws["indirect"], [0.025, 0.975])
    np.testing.assert_allclose(pct.table.loc["indirect", ["ci_low", "ci_high"]].to_numpy(float), q)


@pytest.fixture(scope="module")
def panel():
    return generate(seed=21, n_providers=160, n_months=24)


def test_panel_mediation_recovers_truth(panel):
    res = mediate_panel(panel.panel, n_boot=999, seed=2)
    fs = {f.id: f for f in res.findings()}
    assert set(fs) <= set(panel.truth)
    for fid, f in fs.items():
        assert f.covers(panel.truth[fid]), (fid, f.estimate, f.ci_low, f.ci_high)
        assert f.clusters == 83 and f.n > f.clusters
    # total = direct + indirect, and equals the model without the mediator
    t = res.table
    assert t.loc["total", "estimate"] == pytest.approx(t.loc["direct", "estimate"]
                                                       + t.loc["indirect", "estimate"])


def test_total_equals_model_without_mediator(panel):
    from workbench.analysis.models import fit as md

    res = mediate_panel(panel.panel, outcome_adjust=(), n_boot=200)
    f = md.fit(md.ModelSpec("fft_pct_positive", ("nurse_fte_per_10_beds",),
                            md.CASE_MIX + ("sector_independent",)), panel.panel).findings("q")[0]
    assert res.table.loc["total", "estimate"] == pytest.approx(f.estimate, rel=1e-8)


def test_cluster_bootstrap_is_wider_than_row_bootstrap(panel):
    acute = panel.panel[panel.panel.setting == "acute"].copy()
    acute["month"] = acute["period"].dt.strftime("%Y-%m")
    acute = mediation_mod.md.add_lag(acute, "staff_engagement")
    kw = {"adjust": ("case_mix_index", "pct_aged_75_plus", "deprivation_imd"), "time": "month",
              "n_boot": 500, "seed": 1}
    clus = product_of_coefficients(acute, "nurse_fte_per_10_beds", "rtt_median_weeks",
                                   "fft_pct_positive", cluster="provider_code", **kw)
    rows = product_of_coefficients(acute, "nurse_fte_per_10_beds", "rtt_median_weeks",
                                   "fft_pct_positive", **kw)
    assert clus.table.loc["direct", "se"] > 1.3 * rows.table.loc["direct", "se"]


def test_moderated_mediation_ids_and_truth(panel):
    fs = moderated_mediation(panel.panel, n_boot=500, seed=4)
    ids = [f.id for f in fs]
    assert ids[-1] == ("moderation:nurse_fte_per_10_beds->rtt_median_weeks->fft_pct_positive"
                       "@independent-nhs")
    assert {i.split("@")[1] for i in ids[:-1]} == {"nhs", "independent"}
    assert fs[-1].covers(panel.truth[ids[-1]])
    for f in fs[:-1]:
        assert f.id in panel.truth


def test_same_seed_same_interval(panel):
    a = mediate_panel(panel.panel, n_boot=300, seed=9).table
    b = mediate_panel(panel.panel, n_boot=300, seed=9).table
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("kwargs, fragment", [
    ({"exposure": "no_such"}, "exposure 'no_such'"),
    ({"mediator": "provider_name"}, "is not numeric"),
    ({"n_boot": 10}, "n_boot"),
    ({"interval": "normal"}, "interval"),
    ({"cluster": "nope"}, "column 'nope'"),
])
def test_bad_input_names_the_parameter(kwargs, fragment):
    d = generate(seed=1, n_providers=40, n_months=3).panel
    d = d[d.setting == "acute"]
    args = {"exposure": "nurse_fte_per_10_beds", "mediator": "rtt_median_weeks",
            "outcome": "fft_pct_positive"}
    for k in ("exposure", "mediator"):
        if k in kwargs:
            args[k] = kwargs.pop(k)
    with pytest.raises(AnalysisInputError, match=fragment):
        product_of_coefficients(d, args["exposure"], args["mediator"], args["outcome"], **kwargs)


def test_unknown_moderator_level():
    d = generate(seed=1, n_providers=40, n_months=3).panel
    with pytest.raises(AnalysisInputError, match="levels"):
        moderated_mediation(d, levels=("nhs", "charity"), n_boot=100)
