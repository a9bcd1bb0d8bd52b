"""Notebook 08's evaluation: charts rebased at the change, ITS, DiD and an honest verdict."""

import warnings

import pytest

from workbench.analysis.questions.did_it_work import (
    describe_known_change,
    evaluate_change,
    insert_known_change,
    verdict,
)
from workbench.data.synth import generate
from workbench.errors import AnalysisInputError

warnings.filterwarnings("ignore", category=DeprecationWarning)


@pytest.fixture(scope="module")
def panel():
    return generate(seed=12, n_providers=120, n_months=30).panel


def test_a_known_change_is_found_and_stated_with_its_interval(panel):
    kc = insert_known_change(panel, "fft_pct_positive", intervention="2024-06", level=0.4,
                             seed=3)
    assert len(kc.adoption) == 6 and all(p.startswith("R") for p in kc.adoption)
    ev = evaluate_change(kc.panel, "fft_pct_positive", kc.adoption, n_boot=199)
    att, its = ev.headlines
    assert att.covers(kc.truth[att.id]) and its.covers(kc.truth[its.id])
    # the chart starts new limits at the change for every changed provider
    t = ev.chart.table
    assert set(t["facet"]) == set(kc.adoption)
    assert (t.groupby("facet")["rebase_group"].max() == 1).all()
    text = verdict(ev)
    assert text.startswith("**The change was followed by a rise of")
    assert "95% CI" in text and "an improvement" in text
    assert "Synthetic intervention with a known effect" in describe_known_change(kc)


def test_no_change_gives_a_verdict_that_the_data_cannot_show_it(panel):
    kc = insert_known_change(panel, "fft_pct_positive", intervention="2024-06", level=0.0,
                             seed=3)
    ev = evaluate_change(kc.panel, "fft_pct_positive", kc.adoption, n_boot=199)
    att = ev.headlines[0]
    assert att.ci_low < 0 < att.ci_high
    assert verdict(ev).startswith("**The data cannot show that the change made a difference")


def test_a_pre_trend_stops_the_verdict_even_when_the_interval_excludes_zero(panel):
    kc = insert_known_change(panel, "fft_pct_positive", intervention="2024-06", level=0.4,
                             seed=3)
    ev = evaluate_change(kc.panel, "fft_pct_positive", kc.adoption, n_boot=199)
    pre = next(f for f in ev.did.findings() if f.key.exposure == "pretrend")
    pre.p_value = 0.001            # as if the changed providers had been drifting apart
    text = verdict(ev)
    assert text.startswith("**The data cannot show") and "pre-trend" in text


def test_staggered_dates_leave_out_the_pooled_its_and_keep_the_comparison(panel):
    trusts = [p for p in panel["provider_code"].unique() if p.startswith("R")][:8]
    dates = {p: ("2024-03" if i % 2 else "2024-09") for i, p in enumerate(trusts)}
    kc = insert_known_change(panel, "complaints_per_1000", intervention_dates=dates,
                             level=-0.3, seed=2)
    assert not any(k.startswith("its:") and k.endswith("@treated") for k in kc.truth)
    ev = evaluate_change(kc.panel, "complaints_per_1000", kc.adoption, n_boot=199)
    assert ev.its is None and any("different dates" in n for n in ev.notes)
    att = ev.headlines[0]
    assert att.id == "did:att->complaints_per_1000@treated"
    assert att.covers(kc.truth[att.id])
    es = ev.event_study(kc.truth)
    assert es.loc[es["rel"] < -1, "truth"].eq(0).all()


def test_bad_arguments_name_the_parameter(panel):
    with pytest.raises(AnalysisInputError, match="providers"):
        evaluate_change(panel, "fft_pct_positive", "2024-06")
    with pytest.raises(AnalysisInputError, match="measure"):
        evaluate_change(panel, "rtt_median_weeks", {"R001": "2024-06"})
    with pytest.raises(AnalysisInputError, match="comparison"):
        evaluate_change(panel, "fft_pct_positive", {"R001": "2024-06"}, comparison="trusts")
