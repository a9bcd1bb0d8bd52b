"""Funnel views of the panel (workbench.analysis.questions.provider_funnel): counts judged on
the count scale, providers too unlike to compare, and comparisons within strata."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from workbench.analysis.monitoring.funnel import EXTREME_PHI
from workbench.analysis.questions import provider_funnel as fv
from workbench.errors import AnalysisInputError


def _complaints_panel(seed=7, n=40):
    """Providers with episodes and complaints; the last four have no complaints and
    0.5, 1.6, 3.1 and 8 expected (the pooled rate is fixed at 1 per 1,000 episodes)."""
    rng = np.random.default_rng(seed)
    episodes = rng.integers(5_000, 40_000, n).astype(float)
    complaints = rng.poisson(episodes / 1000 * rng.gamma(10, 0.1, n)).astype(float)
    zeros_ep = np.array([0.5, 1.6, 3.1, 8.0]) * 1000
    episodes = np.r_[episodes, zeros_ep]
    complaints = np.r_[complaints, 0, 0, 0, 0]
    # top up one large provider so that the pooled rate is exactly 1 per 1,000
    complaints[0] += episodes.sum() / 1000 - complaints.sum()
    codes = [f"R{i:03d}" for i in range(n)] + ["Z05", "Z16", "Z31", "Z80"]
    return pd.DataFrame({"provider_code": codes, "provider_name": [f"Trust {c}" for c in codes],
                         "sector": "nhs", "setting": "acute",
                         "region": ["North", "South"] * (len(codes) // 2),
                         "period": pd.Timestamp("2024-03-01"),
                         "complaints": complaints, "episodes": episodes})


@pytest.mark.parametrize("method", ["SHMI", "CQC"])
def test_zero_complaints_flagged_only_when_a_zero_is_that_unlikely(method):
    p = _complaints_panel()
    v = fv.funnel_view(p, "complaints", overdispersion=False, method=method)
    t = v.result.table.set_index("label")
    expected = t.loc[["Z05", "Z16", "Z31", "Z80"], "denominator"].to_numpy()
    assert expected == pytest.approx([0.5, 1.6, 3.1, 8.0])
    out = fv.funnel_outliers(v).set_index("provider_code")
    for code, e in zip(["Z05", "Z16", "Z31", "Z80"], expected):
        p_zero = stats.poisson.pmf(0, e)               # exp(-E)
        assert (code in out.index) == (p_zero < 0.025)
        if code in out.index:
            assert out.loc[code, "level"] == (99.8 if p_zero < 0.001 else 95)
            assert "0 complaints observed, 8.0 expected" in out.loc[code, "summary"]
    ids = {f.id: f for f in v.findings()}
    f80 = ids["funnel:complaints_per_1000@Z80#2024-03"]
    assert f80.p_value == pytest.approx(2 * stats.poisson.pmf(0, 8.0), rel=1e-9)
    assert f80.ci_low > 0 and "count scale" in f80.formula
    assert "funnel:complaints_per_1000@Z16#2024-03" not in ids


def _waits_panel(n=40):
    """RTT waiting lists of very different providers: phi in the hundreds."""
    size = np.linspace(2_000, 60_000, n)
    share = np.linspace(0.45, 0.85, n)[np.random.default_rng(1).permutation(n)]
    codes = [f"R{i:03d}" for i in range(n)]
    return pd.DataFrame({"provider_code": codes, "provider_name": [f"Trust {c}" for c in codes],
                         "sector": "nhs", "setting": "acute",
                         "region": np.where(np.arange(n) < n // 2, "North", "South"),
                         "period": pd.Timestamp("2026-04-01"),
                         "rtt_waiting_list": size, "rtt_within_18w": np.round(size * share)})


def test_extreme_overdispersion_is_said_and_nothing_is_flagged():
    v = fv.funnel_view(_waits_panel(), "rtt_pct_within_18w", setting="")
    assert v.result.phi > EXTREME_PHI and not v.comparable
    assert fv.funnel_outliers(v).empty
    fs = v.findings()
    assert len(fs) == 1                                  # the centre line only
    text = fv.describe_funnel(v)
    assert "not comparable as they stand and no provider is flagged" in text
    assert "treatment function" in text and "no treatment-function column" in text
    assert any(n.startswith("No provider is flagged") for n in v.notes)
    # switched off, the same funnel is judged as usual
    loose = fv.funnel_view(_waits_panel(), "rtt_pct_within_18w", max_phi=None)
    assert loose.comparable and loose.result.phi == pytest.approx(v.result.phi)
    assert (loose.result.table["side_998"] != "not_compared").all()


def test_not_comparable_other_measures_suggest_a_stratum_column():
    p = _waits_panel().rename(columns={"rtt_waiting_list": "fft_responses",
                                       "rtt_within_18w": "fft_positive"})
    text = fv.describe_funnel(fv.funnel_view(p, "fft_pct_positive"))
    assert "as the stratum" in text


def test_comparison_within_strata():
    p = _complaints_panel()
    v = fv.funnel_view(p, "complaints", stratum="region")
    assert v.stratum == "region" and set(v.strata) == {"North", "South"}
    for value, sub in v.strata.items():
        codes = set(sub.result.table["label"])
        assert codes == set(p.loc[p["region"] == value, "provider_code"])
        # the expected counts come from the stratum's own rate
        rows = p[p["region"] == value]
        rate = rows["complaints"].sum() / rows["episodes"].sum()
        assert sub.result.table["denominator"].sum() == pytest.approx(
            rows["episodes"].sum() * rate)
    fs = v.findings()
    ids = [f.id for f in fs]
    assert ids[0] == "funnel:complaints_per_1000@2024-03"
    assert "funnel:complaints_per_1000@North#2024-03" in ids
    assert "funnel:complaints_per_1000@South#2024-03" in ids
    assert len(ids) == len(set(ids))
    out = fv.funnel_outliers(v)
    assert "stratum" in out.columns
    assert all("of region" in s for s in out["summary"])
    assert fv.describe_funnel(v).startswith("In March 2024, 44 providers reported")
    assert "compared within region: 2 groups" in fv.describe_funnel(v)
    assert "limits limits" not in fv.describe_funnel(v)


def test_stratum_errors_and_small_strata():
    p = _complaints_panel()
    with pytest.raises(AnalysisInputError, match="stratum.*'specialty'.*not in the panel"):
        fv.funnel_view(p, "complaints", stratum="specialty")
    p.loc[p.index[:2], "region"] = "Island"
    v = fv.funnel_view(p, "complaints", stratum="region")
    assert "Island" not in v.strata
    assert any("fewer than 3 providers" in n and "Island (2)" in n for n in v.notes)
    with pytest.raises(AnalysisInputError, match="no group of 3 or more"):
        fv.funnel_view(p.assign(region=p["provider_code"]), "complaints", stratum="region")
