"""E-values (VanderWeele & Ding 2017) on findings, and mediator-outcome sensitivity."""

import math

import numpy as np
import pytest

from workbench.analysis.effects import mediation
from workbench.analysis.findings import sensitivity as sn
from workbench.analysis.models import fit as md
from workbench.data.synth import generate
from workbench.errors import AnalysisInputError


@pytest.fixture(scope="module")
def sd():
    return generate(seed=41, n_providers=160, n_months=12)


def test_evalue_formula_by_hand():
    # VanderWeele & Ding (2017): RR = 3.9 gives E = 3.9 + sqrt(3.9 * 2.9) = 7.26
    assert sn.evalue_rr(3.9)["evalue"] == pytest.approx(3.9 + math.sqrt(3.9 * 2.9))
    r = sn.evalue_rr(0.5, 0.3, 0.8)
    assert r["evalue"] == pytest.approx(2 + math.sqrt(2))
    assert r["ci_evalue"] == pytest.approx(1.25 + math.sqrt(1.25 * 0.25))  # limit nearer 1
    assert sn.evalue_rr(1.2, 0.8, 1.6)["ci_evalue"] == 1.0
    with pytest.raises(AnalysisInputError, match="rr"):
        sn.evalue_rr(0.0)


def test_standardised_difference_conversion():
    r = sn.evalue_smd(0.3, 0.1, 0.5)
    assert r["rr"] == pytest.approx(math.exp(0.91 * 0.3))
    assert r["ci_evalue"] == pytest.approx(sn.evalue_rr(math.exp(0.091))["evalue"])


def test_adjusted_sector_and_staffing_findings_carry_evalues(sd):
    naive, adjusted = md.sector_difference(sd.panel, "fft_pct_positive")
    assert not naive.sensitivity
    s = adjusted.sensitivity
    assert s["evalue"] > 1 and s["contrast"].startswith("the indicator")
    d = adjusted.estimate / s["sd_outcome"]
    assert s["evalue"] == pytest.approx(sn.evalue_rr(math.exp(0.91 * d))["evalue"])
    fit = md.fit(md.ModelSpec("rtt_median_weeks", ("nurse_fte_per_10_beds",),
                              md.CASE_MIX + ("sector_independent",)), sd.panel)
    f = fit.findings("q")[0]
    assert "one SD of the exposure" in f.sensitivity["contrast"] and f.sensitivity["evalue"] > 1
    words = sn.evalue_sentence(f.sensitivity, "staffing", "waits")
    assert "risk ratio of at least" in words and "staffing and waits" in words


def test_rate_ratio_evalue_uses_the_ratio(sd):
    fit = md.fit(md.ModelSpec("complaints", ("rtt_median_weeks",), md.CASE_MIX,
                              kind="poisson", exposure="episodes"), sd.panel)
    f = fit.findings("q")[0]
    sdx = float(fit.data["rtt_median_weeks"].std())
    assert f.sensitivity["rr"] == pytest.approx(f.estimate ** sdx)


def test_mediator_sensitivity_matches_imai_keele_yamamoto():
    a, b, s_m, s_y = 0.5, 0.4, 2.0, 3.0
    s = mediation.mediator_sensitivity(a, b, s_m, s_y)
    # rho~ = b s_m / sigma_total, the residual correlation of the reduced-form models
    assert s["rho_zero"] == pytest.approx(b * s_m / math.sqrt(b ** 2 * s_m ** 2 + s_y ** 2))
    at = {round(r["rho"], 4): r["indirect"] for r in s["curve"]}
    assert at[0.0] == pytest.approx(a * b)
    # simulate a confounder of mediator and outcome: the corrected b is recovered
    rng = np.random.default_rng(0)
    n = 200_000
    x = rng.normal(size=n)
    u = rng.normal(size=n)
    m = 0.5 * x + u + rng.normal(size=n)
    y = 0.3 * x + 0.4 * m + u + rng.normal(size=n)
    r = mediation.product_of_coefficients(
        __import__("pandas").DataFrame({"x": x, "m": m, "y": y}), "x", "m", "y", n_boot=100,
        interval="percentile")
    rho_true = 0.5  # corr(u + e_m, u + e_y) with unit variances
    sens = mediation.mediator_sensitivity(r.paths["a"], r.paths["b"],
                                          r.sensitivity["s_mediator"],
                                          r.sensitivity["s_outcome"], grid=np.array([rho_true]))
    assert sens["curve"][0]["indirect"] == pytest.approx(0.5 * 0.4, abs=0.02)


def test_mediation_finding_carries_rho(sd):
    res = mediation.mediate_panel(sd.panel, n_boot=200)
    ind = res.findings()[0]
    assert ind.sensitivity["rho_zero"] != 0 and "Imai, Keele & Yamamoto" in ind.sentence
    assert abs(ind.sensitivity["rho_ci"]) <= abs(ind.sensitivity["rho_zero"]) + 1e-9
