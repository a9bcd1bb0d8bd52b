"""Tests for workbench.analysis.questions.spc_monitoring and funnel_views: SPC and funnel views of the
panel, in words and as findings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.analysis.questions import provider_funnel as fv
from workbench.analysis.questions import spc_monitoring as sv
from workbench.data.synth import generate
from workbench.errors import AnalysisInputError


def _panel(values: dict[str, list[float]], measure="rtt_median_weeks", sector=None,
           start="2023-01-01") -> pd.DataFrame:
    rows = []
    for code, ys in values.items():
        for i, y in enumerate(ys):
            rows.append({"provider_code": code, "provider_name": f"Trust {code}",
                         "sector": (sector or {}).get(code, "nhs"), "setting": "acute",
                         "period": pd.Timestamp(start) + pd.DateOffset(months=i), measure: y})
    return pd.DataFrame(rows)


FLAT = [10, 11, 10, 12, 11, 10, 11, 12, 10, 11, 12, 11]


@pytest.fixture(scope="module")
def synth():
    return generate(seed=5, n_providers=40, n_months=14).panel


# ----------------------------------------------------------------------------- SPC


def test_default_providers_prefers_nhs_acute_with_enough_months():
    p = _panel({"N1": FLAT, "R2": FLAT, "R1": FLAT[:5], "R3": FLAT, "C1": FLAT},
               sector={"N1": "independent"})
    p.loc[p["provider_code"] == "C1", "setting"] = "gp"
    assert sv.default_providers(p, "rtt_median_weeks", n=4) == ["R2", "R3", "C1", "N1"]
    assert sv.default_providers(p, "rtt_median_weeks", n=1) == ["R2"]


def test_concern_shift_in_words_and_finding():
    # waits: 7 months above the mean at the end -> shift, concern (decrease is better)
    ys = [10, 11, 10, 11, 10, 11, 10, 13, 13.5, 13, 13.5, 13, 13.5, 13]
    v = sv.spc_view(_panel({"R1": ys}), "rtt_median_weeks")
    assert v.direction == "decrease"
    text = sv.describe_spc(v, "R1")
    assert text.startswith("Special cause of concern: RTT median wait above its average for "
                           "7 months")
    [f] = v.findings()
    s = v.result.summary.iloc[0]
    assert f.id == "spc:rtt_median_weeks@R1"
    assert (f.estimate, f.ci_low, f.ci_high) == pytest.approx((s["mean"], s["lpl"], s["upl"]))
    assert f.n == 14 and f.model == "xmr" and f.unit == "weeks" and f.sector == "nhs"
    assert f.sentence.startswith("Trust R1 (R1): Special cause of concern")


def test_improvement_trend_and_direction_override():
    ys = [10, 14, 10, 14, 10, 14, 10, 14, 10, 11, 11.5, 12, 12.5, 13, 13.5, 14]
    v = sv.spc_view(_panel({"R1": ys}), "rtt_median_weeks", direction="increase")
    text = sv.describe_spc(v, "R1")
    assert text.startswith("Special cause of improvement: RTT median wait rising for 8 months")
    # beyond the limit after a trend: the words count only the months beyond the limit
    ys = [10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 12, 13, 14, 15, 16, 17]
    v = sv.spc_view(_panel({"R1": ys}), "rtt_median_weeks", direction="increase")
    n_out = int(v.result.table["outside_limits"].iloc[::-1].cummin().sum())
    assert f"above the upper process limit for the last {n_out} months, unusual for 8 " \
        "months in all" in sv.describe_spc(v, "R1")


def test_common_cause_and_assurance_words():
    v = sv.spc_view(_panel({"R1": FLAT}), "rtt_median_weeks", target=18)
    text = sv.describe_spc(v, "R1")
    assert text.startswith("Common cause variation")
    assert "consistently meet the target of 18.0 weeks" in text
    v = sv.spc_view(_panel({"R1": FLAT}), "rtt_median_weeks", target=5)
    assert "consistently miss the target" in sv.describe_spc(v, "R1")
    v = sv.spc_view(_panel({"R1": FLAT}), "rtt_median_weeks", target=11)
    assert "sometimes meet and sometimes miss" in sv.describe_spc(v, "R1")


def test_gaps_and_thin_providers_become_notes_and_trial_limits():
    ys = FLAT[:8] + [np.nan] + FLAT[9:]
    p = _panel({"R1": ys, "R2": [10.0, np.nan, np.nan]})
    v = sv.spc_view(p, "rtt_median_weeks", providers=["R1", "R2"])
    assert v.providers == ["R1"]
    assert any("3 provider-month(s) without a value" in n for n in v.notes)
    assert any("R2 (1)" in n for n in v.notes)
    assert any("trial limits" in n for n in v.notes)          # R1 has 11 points
    [f] = v.findings()
    assert f.warning.startswith("trial limits")
    assert "(Trial limits: only 11 months" in sv.describe_spc(v, "R1")


def test_rebase_applies_only_to_providers_with_that_month():
    p = _panel({"R1": FLAT * 2, "R2": FLAT})
    v = sv.spc_view(p, "rtt_median_weeks", ["R1", "R2"], rebase=["2024-01-01"])
    groups = v.result.table.groupby("facet")["rebase_group"].max()
    assert groups.to_dict() == {"R1": 1, "R2": 0}
    with pytest.raises(AnalysisInputError, match="rebase.*2030-01-01"):
        sv.spc_view(p, "rtt_median_weeks", ["R1"], rebase=["2030-01-01"])


def test_spc_bad_input():
    p = _panel({"R001": FLAT})
    with pytest.raises(AnalysisInputError, match="providers.*'R01'.*closest: 'R001'"):
        sv.spc_view(p, "rtt_median_weeks", ["R01"])
    with pytest.raises(AnalysisInputError, match="direction"):
        sv.spc_view(p, "rtt_median_weeks", direction="up")
    with pytest.raises(AnalysisInputError, match="fft_pct_positive.*no values"):
        sv.spc_view(p.assign(fft_pct_positive=np.nan), "fft_pct_positive")
    with pytest.raises(KeyError, match="Did you mean 'rtt_median_weeks'"):
        sv.spc_view(p, "rtt_median_week")
    with pytest.raises(AnalysisInputError, match="fewer than 2 months"):
        sv.spc_view(_panel({"R1": [1.0]}), "rtt_median_weeks", ["R1"])


def test_spc_summary_on_synthetic(synth):
    v = sv.spc_view(synth, "fft_pct_positive")
    tab = sv.spc_summary(v)
    assert len(tab) == sv.DEFAULT_N_PROVIDERS
    assert (tab["lower_limit"] < tab["mean"]).all() and (tab["mean"] < tab["upper_limit"]).all()
    assert tab["summary"].str.len().gt(40).all()


# ----------------------------------------------------------------------------- funnel


def _funnel_panel(pos, n, period="2024-03-01"):
    return pd.DataFrame({
        "provider_code": [f"P{i}" for i in range(len(pos))],
        "provider_name": [f"Provider {i}" for i in range(len(pos))],
        "sector": "nhs", "setting": "acute", "period": pd.Timestamp(period),
        "fft_positive": pos, "fft_responses": n,
    })


def test_funnel_proportion_outlier_words_and_findings():
    p = _funnel_panel([90, 160, 300, 380, 95], [100, 200, 400, 400, 100])
    v = fv.funnel_view(p, "fft_pct_positive", overdispersion=False)
    assert v.spec.kind == "PR" and f"{v.period:%Y-%m}" == "2024-03"
    out = fv.funnel_outliers(v)
    assert set(out["provider_code"]) == set(v.result.outliers(95)["label"])
    row = out.set_index("provider_code").loc["P3"]           # 95% of 400, pooled ~84%
    assert row["side"] == "high" and "better than the others" in row["summary"]
    fs = v.findings()
    assert fs[0].id == "funnel:fft_pct_positive@2024-03"
    assert fs[0].estimate == pytest.approx(100 * 1025 / 1200)
    by_id = {f.id: f for f in fs}
    f3 = by_id["funnel:fft_pct_positive@P3#2024-03"]
    assert f3.estimate == pytest.approx(95.0) and f3.n == 400
    assert f3.ci_low < fs[0].estimate < f3.ci_high < f3.estimate
    assert 0 <= f3.p_value < 0.05
    assert len(fs) == 1 + int((out["level"] == 99.8).sum())
    assert all(f.ci_low > f.estimate or f.ci_high < f.estimate for f in fs[1:])


def test_funnel_complaints_standardised_ratio():
    p = pd.DataFrame({"provider_code": list("ABCD"), "provider_name": list("ABCD"),
                      "sector": "nhs", "setting": "acute",
                      "period": pd.Timestamp("2024-01-01"),
                      "complaints": [30, 52, 90, 10], "episodes": [4000, 5000, 6000, 1200]})
    v = fv.funnel_view(p, "complaints", overdispersion=False)
    assert v.spec.kind == "SR" and v.result.target == 1
    rate = 182 / 16200
    t = v.result.table.set_index("label")
    assert t.loc["C", "denominator"] == pytest.approx(6000 * rate)
    assert any("pooled rate" in n for n in v.notes)
    assert v.spec.x_label.startswith("Expected")


def test_funnel_period_choice_and_errors(synth):
    v = fv.funnel_view(synth, "ae_pct_within_4h", "")
    assert v.period == synth["period"].max()
    t = v.result.table
    assert (t["numerator"] <= t["denominator"]).all()
    with pytest.raises(AnalysisInputError, match="period.*2019-01"):
        fv.funnel_view(synth, "fft_pct_positive", "2019-01")
    with pytest.raises(AnalysisInputError, match="period.*March"):
        fv.funnel_view(synth, "fft_pct_positive", "March")
    with pytest.raises(AnalysisInputError, match="setting.*hospice"):
        fv.funnel_view(synth, "fft_pct_positive", setting="hospice")


def test_funnel_measure_forms():
    assert fv.funnel_measure("complaints") is fv.FUNNEL_MEASURES["complaints_per_1000"]
    df = pd.DataFrame({"ae_12h_waits": [5, 50], "emergency_admissions": [100, 40]})
    assert fv.funnel_measure("ae_12h_waits/emergency_admissions", df).kind == "RC"
    assert fv.funnel_measure("ae_12h_waits/emergency_admissions").kind == "PR"
    with pytest.raises(AnalysisInputError, match="denominator 'rtt_median_weeks'"):
        fv.funnel_measure("rtt_over_52w/rtt_median_weeks")
    with pytest.raises(AnalysisInputError, match="measure.*numerator/denominator"):
        fv.funnel_measure("beds")


def test_funnel_zero_denominators_left_out_with_note():
    p = _funnel_panel([90, 160, 300, 0], [100, 200, 400, 0])
    v = fv.funnel_view(p, "fft_pct_positive", overdispersion=False)
    assert len(v.result.table) == 3
    assert any("1 provider(s)" in n and "P3" in n for n in v.notes)
