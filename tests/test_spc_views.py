"""SPC views of the panel (workbench.analysis.questions.spc_monitoring): the chart that fits
the data (p'/u' for a percentage or rate with its counts, XmR otherwise) and limits that
stay inside the possible range."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.analysis.monitoring.laney import laney_p, laney_u
from workbench.analysis.questions import spc_monitoring as sv
from workbench.data import measures as M
from workbench.errors import AnalysisInputError

MONTHS = pd.date_range("2023-01-01", periods=24, freq="MS")


def _panel(n_months=24, seed=3):
    """Two providers with FFT counts near 100% and complaints per episode."""
    rng = np.random.default_rng(seed)
    rows = []
    for code, resp in (("R1", 80), ("R2", 1500)):
        for d in MONTHS[:n_months]:
            n = int(rng.integers(resp // 2, resp))
            pos = int(rng.binomial(n, 0.97))
            ep = float(rng.integers(4000, 6000))
            c = float(rng.poisson(ep / 1000 * 2))
            rows.append({"provider_code": code, "provider_name": f"Trust {code}",
                         "sector": "nhs", "setting": "acute", "period": d,
                         "fft_responses": float(n), "fft_positive": float(pos),
                         "fft_pct_positive": 100 * pos / n, "episodes": ep, "complaints": c,
                         "complaints_per_1000": 1000 * c / ep})
    return pd.DataFrame(rows)


def test_rate_counts_name_registered_count_measures():
    for measure, counts in sv.RATE_COUNTS.items():
        assert M.get(measure).kind in ("percent", "rate")
        for col in counts.columns:
            assert M.get(col).kind == "count"
        assert counts.chart == ("p" if M.get(measure).kind == "percent" else "u")


def test_percentage_with_counts_defaults_to_p_prime_inside_0_100():
    p = _panel()
    v = sv.spc_view(p, "fft_pct_positive", ["R1", "R2"], target=95)
    assert v.chart == "p'" and v.result.options["chart"] == "p'"
    ref = laney_p(p, "fft_positive", "fft_responses", "period", facet="provider_code",
                  target=95)
    pd.testing.assert_frame_equal(v.result.table.reset_index(drop=True),
                                  ref.table.reset_index(drop=True), check_dtype=False)
    t = v.result.table
    assert (t["lpl"] >= 0).all() and (t["upl"] <= 100).all()
    assert (t["near_upl"] <= 100).all()
    fs = v.findings()
    assert [f.model for f in fs] == ["p'", "p'"]
    assert all(f.ci_high <= 100 for f in fs)
    assert "sigma_z" in fs[0].formula
    assert v.chart_words.startswith("p' chart (Laney)")


def test_rate_with_counts_defaults_to_u_prime():
    p = _panel()
    v = sv.spc_view(p, "complaints_per_1000", ["R1", "R2"])
    assert v.chart == "u'"
    ref = laney_u(p, "complaints", "episodes", "period", facet="provider_code")
    assert v.result.table["upl"].to_numpy() == pytest.approx(ref.table["upl"].to_numpy())
    assert (v.result.table["lpl"] >= 0).all()


def test_ae_counts_are_attendances_minus_those_over_4_hours():
    p = _panel().assign(ae_attendances=1000.0)
    p["ae_over_4h"] = np.where(p["provider_code"] == "R1", 100.0, 300.0)
    p["ae_pct_within_4h"] = 100 * (1 - p["ae_over_4h"] / 1000)
    v = sv.spc_view(p, "ae_pct_within_4h", ["R1", "R2"], target=95)
    assert v.chart == "p'"
    assert set(v.result.summary["mean"].round(6)) == {90.0, 70.0}


def test_xmr_on_request_cuts_limits_at_100_with_a_note():
    p = _panel()
    v = sv.spc_view(p, "fft_pct_positive", ["R1"], chart="xmr")
    s = v.result.summary.iloc[0]
    assert v.chart == "xmr" and s["limits_cut"] and s["upl"] == 100.0
    # the limit the XmR formula gives lies past 100%: it is not shown
    raw = sv.spc(p[p["provider_code"] == "R1"], "fft_pct_positive", "period")
    assert raw.summary.iloc[0]["upl"] > 100
    text = sv.describe_spc(v, "R1")
    assert "to 100.0% (limits cut at the possible range, 0.0% to 100.0%)" in text
    beyond = f"{raw.summary.iloc[0]['upl']:.1f}%"
    assert beyond not in text
    assert any("possible range" in n and "R1" in n for n in v.notes)
    [f] = v.findings()
    assert f.model == "xmr" and f.ci_high == 100.0


def test_xmr_is_used_for_a_measure_without_counts_and_laney_refuses():
    p = _panel().drop(columns=["fft_positive"])
    v = sv.spc_view(p, "fft_pct_positive", ["R1"])
    assert v.chart == "xmr"
    with pytest.raises(AnalysisInputError, match="chart.*'laney'.*no numerator"):
        sv.spc_view(p, "fft_pct_positive", ["R1"], chart="laney")
    with pytest.raises(AnalysisInputError, match="chart.*'pchart'"):
        sv.spc_view(_panel(), "fft_pct_positive", ["R1"], chart="pchart")


def test_months_without_counts_are_left_out_with_a_note():
    p = _panel()
    p.loc[p.index[:3], "fft_responses"] = np.nan
    v = sv.spc_view(p, "fft_pct_positive", ["R1", "R2"])
    assert any("3 provider-month(s) without counts" in n for n in v.notes)
    assert len(v.result.table) == 2 * len(MONTHS) - 3


def test_trial_limits_are_noted_for_p_prime():
    v = sv.spc_view(_panel(n_months=8), "fft_pct_positive", ["R1"])
    assert v.chart == "p'"
    assert any("trial limits" in n for n in v.notes)
    assert "(Trial limits: only 8 months" in sv.describe_spc(v, "R1")


def test_possible_range():
    assert sv.possible_range("ae_pct_within_4h") == (0.0, 100.0)
    assert sv.possible_range("staff_engagement") == (0.0, 10.0)
    assert sv.possible_range("rtt_median_weeks") == (0.0, None)


def test_screen_view_names_the_provider_with_a_change_and_says_what_the_screen_is():
    from workbench.data.synth import generate

    p = generate(seed=3, n_providers=40, n_months=30).panel
    codes = ["R001", "R002", "R003", "R004", "R005", "R006"]
    later = (p["provider_code"] == "R005") & (p["period"] >= "2025-01-01")
    p.loc[later, "rtt_median_weeks"] += 12                       # a real, sustained rise
    view = sv.spc_view(p, "rtt_median_weeks", codes)
    checked = sv.screen_view(view, n_sim=400)
    assert checked.flagged["facet"].tolist() == ["R005"]
    assert "Synthetic NHS Trust 005 (R005): a sustained shift up from" in checked.sentence
    f = sv.screen_finding(view, checked)
    # the estimate counts providers; n is the provider-months screened (6 x 30)
    assert f.id == "spc_screen:rtt_median_weeks" and f.estimate == 1 and f.n == 180
    assert f.estimate_kind == "providers" and f.n_kind == "periods"
    # plain words for the board, the model for the analyst
    assert "carrying over into the next" in f.sentence and "seasonal pattern" in f.sentence
    assert "AR(1)" not in f.sentence and "AR(1)" in f.model
    table = sv.screen_table(view, checked)
    assert table.set_index("provider_code").loc["R005", "beyond_chance"] == "yes"
    assert table["most_likely_change"].str.len().gt(0).all()
