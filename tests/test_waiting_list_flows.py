"""Waiting lists from published counts: the calculators on RTT flows with Poisson
intervals, the relief plan's simulation (checked against NHSRwaitinglist's simulator), what
staffing is worth in list size and weeks, notebook 12's answer, and England in April 2026
from the real RTT extract against the publication's own totals."""

from __future__ import annotations

import csv
import io
import math
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.analysis.findings.record import Finding, Findings, findings_frame
from workbench.analysis.questions import waiting_list as q12
from workbench.analysis.queues.calculators import factor_for
from workbench.analysis.queues.flows import (
    QUANTITIES,
    FlowStats,
    ReliefPlan,
    flow_stats,
    relief_plan,
    simulate_sizes,
    slots_per_day,
)
from workbench.analysis.queues.simulation import schedule_slots, wl_simulator
from workbench.analysis.queues.staffing import StaffingWorth, staffing_worth
from workbench.data import rtt_flows as F
from workbench.data.catalogue import NotHeld
from workbench.data.synth import generate
from workbench.errors import AnalysisInputError

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
EXTRACT = REAL / "rtt_full_extract" / "20260430-RTT-April-2026-full-extract.csv.zip"
F92 = factor_for(0.92)


def one_list(**counts) -> pd.DataFrame:
    """One list in April 2026 (30 days), aggregated as the analysis takes it."""
    row = {"provider_code": "RAA", "provider_name": "A TRUST", "sector": "nhs",
           "region": "London", "specialty_code": "C_110",
           "specialty_name": "Trauma and Orthopaedic Service",
           "period": pd.Timestamp("2026-04-01"), "new_clock_starts": 300.0,
           "completed_admitted": 60.0, "completed_non_admitted": 180.0,
           "waiting_list": 2000.0, "waiting_known": 2000.0, "within_18w": 1200.0,
           "over_52w": 40.0, "weeks_sum": 36000.0, "source_file": "x.csv"}
    row.update(counts)
    return F.aggregate(pd.DataFrame([row]), "provider", by_specialty=False)


def test_the_calculators_on_one_month_worked_by_hand():
    fs = flow_stats(one_list(), n_sims=200)
    r = fs.table.iloc[0]
    demand = 300 * 7 / 30                                   # 70 a week
    target = demand * 18 / F92
    assert r["demand"] == pytest.approx(70.0)
    assert r["completions"] == pytest.approx(240 * 7 / 30)
    # one month: a steady list assumed, so other removals are starts - completions
    assert bool(r["steady_assumed"]) and r["other_removals"] == pytest.approx(60 * 7 / 30)
    assert r["removals"] == pytest.approx(demand) and r["queue_load"] == pytest.approx(1.0)
    assert r["load_on_completions"] == pytest.approx(300 / 240)
    assert r["target_queue_size"] == pytest.approx(target)
    assert r["relief_capacity"] == pytest.approx(demand + (2000 - target) / 26)
    assert r["relief_completions"] == pytest.approx(r["relief_capacity"] - 14.0)
    assert r["target_capacity"] == pytest.approx(demand + F92 / 18)
    assert r["mean_wait"] == pytest.approx(18.0) and r["pct_within_18w"] == pytest.approx(60.0)
    assert r["waiting_list_pressure"] == pytest.approx(2.0)
    assert bool(r["queue_too_big"]) and r["size_to_target"] == pytest.approx(2000 / target)
    # intervals around every simulated quantity
    for q in ("demand", "target_queue_size", "relief_capacity", "queue_load"):
        assert r[f"{q}_low"] < r[q] < r[f"{q}_high"], q


def test_findings_say_what_completions_leave_out_and_what_is_assumed():
    found = flow_stats(one_list(), n_sims=100).findings()
    by = {f.key.outcome: f for f in found}
    assert [f.key.outcome for f in found] == list(QUANTITIES)
    assert all(f.key.subset == "RAA" and f.key.period == "2026-04" for f in found)
    assert "understate removals" in by["completions"].sentence
    assert "steady list" in by["other_removals"].warning
    assert "1 by construction" in by["queue_load"].sentence
    assert "92%" in by["target_queue_size"].question
    assert by["queue_size"].ci_low is None and by["demand"].ci_low is not None
    assert by["relief_capacity"].formula.startswith("demand + (queue_size - target_queue_size)")
    one = flow_stats(one_list(), n_sims=100).findings("Q?", quantities=["demand"])
    assert [f.question for f in one] == ["Q?"]
    with pytest.raises(AnalysisInputError, match="quantities"):
        flow_stats(one_list(), n_sims=100).findings(quantities=["backlog"])


def test_a_known_list_change_comes_off_the_other_removals():
    raw = pd.DataFrame([
        {"provider_code": "RAA", "provider_name": "A", "specialty_code": "C_110",
         "specialty_name": "T", "period": pd.Timestamp(p), "new_clock_starts": 310.0,
         "completed_admitted": 60.0, "completed_non_admitted": 180.0, "waiting_list": wl,
         "waiting_known": wl, "within_18w": 1000.0, "over_52w": 0.0, "weeks_sum": 30000.0}
        for p, wl in (("2026-04-01", 2000.0), ("2026-05-01", 2031.0))])
    r = flow_stats(F.aggregate(raw, "provider"), n_sims=100).table.iloc[0]
    assert r["period"] == pd.Timestamp("2026-05-01") and not r["steady_assumed"]
    assert r["other_removals"] == pytest.approx((310 - 240 - 31) * 7 / 31)
    assert r["queue_load"] == pytest.approx(310 / (310 - 31))      # the list grows
    may = flow_stats(F.aggregate(raw, "provider"), period="2026-04", n_sims=100).table
    assert bool(may["steady_assumed"].iloc[0])
    with pytest.raises(AnalysisInputError, match="period"):
        flow_stats(F.aggregate(raw, "provider"), period="2025-01", n_sims=100)


def test_bad_inputs_are_named():
    with pytest.raises(AnalysisInputError, match="lists"):
        flow_stats(pd.DataFrame({"a": [1]}))
    with pytest.raises(AnalysisInputError, match="n_sims"):
        flow_stats(one_list(), n_sims=5)
    with pytest.raises(AnalysisInputError, match="target_wait"):
        flow_stats(one_list(), target_wait=0)


def test_poisson_intervals_cover_the_synthetic_true_rates():
    sd = generate(seed=8, n_providers=120, n_months=6)
    fs = flow_stats(F.aggregate(sd.flows, "provider"), n_sims=400)
    t = fs.table
    for q in ("demand", "completions", "target_queue_size", "relief_capacity"):
        covered = ((t[f"{q}_low"] <= t[f"{q}_truth"]) & (t[f"{q}_truth"] <= t[f"{q}_high"]))
        assert 0.88 <= covered.mean() <= 0.995, (q, covered.mean())
    truths = fs.truths()
    f = next(f for f in fs.findings() if f.key.outcome == "demand")
    assert truths[f.id] == pytest.approx(t.iloc[0]["demand_truth"])
    ranked = fs.ranked(min_size=100)
    assert ranked["rank"].tolist() == list(range(1, len(ranked) + 1))
    assert ranked["waiting_list_pressure"].is_monotonic_decreasing
    assert (ranked["queue_size"] >= 100).all()


@pytest.mark.parametrize("capacity", [3.0, 7.0, 10.5, 14.0, 55.5, 700.0])
def test_slots_per_day_is_the_simulators_schedule(capacity):
    days = 40
    slots = schedule_slots("2024-01-01", days, capacity)
    offsets = (slots - pd.Timestamp("2024-01-01")).days
    expected = np.bincount(offsets, minlength=days)
    assert slots_per_day(capacity, days).tolist() == expected.tolist()


def test_the_count_simulation_matches_the_simulator_with_a_waiting_list():
    """The list size after four weeks: NHSRwaitinglist's simulator (a row per patient,
    an existing list of 30) against the count-level simulation, 300 runs each."""
    existing = pd.DataFrame({"referral": pd.to_datetime(["2023-12-01"] * 30),
                             "removal": pd.NaT})
    ends = []
    for seed in range(300):
        wl = wl_simulator("2024-01-01", "2024-01-28", demand=20, capacity=24,
                          waiting_list=existing, seed=seed)
        ends.append(int(wl["removal"].isna().sum() + (wl["removal"] > "2024-01-28").sum()))
    counted = simulate_sizes(30, 20, 24, 28, np.random.default_rng(1), 3000)[:, -1]
    assert np.mean(ends) == pytest.approx(counted.mean(), abs=1.0)
    assert np.std(ends) == pytest.approx(counted.std(), rel=0.2)
    # whole weeks: exactly capacity x weeks slots
    assert slots_per_day(24, 29)[1:].sum() == 4 * 24


def test_the_relief_plan_reaches_the_target_about_half_the_time():
    plan = relief_plan(demand=70, queue_size=2000, target=500, capacity=70 + 1500 / 26,
                       current=70, weeks=26, n_sims=1000, seed=3, label="RAA",
                       period="2026-04", start="2026-05-01")
    assert 0.4 <= plan.on_target <= 0.6
    assert plan.end_low < 500 < plan.end_high
    now = plan.frame[plan.frame["scenario"] == "as now"]
    assert now["median"].iloc[-1] == pytest.approx(2000, rel=0.05)
    assert plan.frame["date"].iloc[0] == pd.Timestamp("2026-05-01")
    ids = [f.id for f in plan.findings()]
    assert ids == ["queue:plan_queue_size@RAA#2026-04", "queue:plan_on_target@RAA#2026-04"]
    with pytest.raises(AnalysisInputError, match="n_sims"):
        relief_plan(demand=1, queue_size=1, target=1, capacity=1, n_sims=2)


def test_staffing_worth_by_hand_and_its_interval():
    w = staffing_worth(-0.4, ci_low=-0.45, ci_high=-0.35, df=124, demand=100,
                       queue_size=5000, target_queue_size=1000, time_to_target=26,
                       label="RAA", period="2026-04")
    mean_change = -0.4 / math.log(2)
    assert w.mean_wait_change == pytest.approx(mean_change)
    assert w.list_change == pytest.approx(100 * mean_change)
    assert w.relief_change == pytest.approx(100 * mean_change / 26)
    assert w.weeks_to_target == pytest.approx(26 * (4000 + 100 * mean_change) / 4000)
    assert w.weeks_saved == pytest.approx(26 - w.weeks_to_target)
    # the interval carries the estimate's: -0.45 .. -0.35 weeks of median wait
    assert w.list_change_low == pytest.approx(100 * -0.45 / math.log(2), rel=0.03)
    assert w.list_change_high == pytest.approx(100 * -0.35 / math.log(2), rel=0.03)
    found = w.findings()
    assert [f.id for f in found][1] == "worth:nurse_fte_per_10_beds->queue_size@RAA#2026-04"
    assert all("capacity follows staffing" in f.warning for f in found)
    # a finding as input: the clusters give the degrees of freedom
    f = Finding(id="effect:nurse_fte_per_10_beds->rtt_median_weeks@acute#fe", question="q",
                estimate=-0.4, ci_low=-0.5, ci_high=-0.3, clusters=30)
    assert staffing_worth(f, demand=100, queue_size=100, target_queue_size=500).df == 29
    # a list already under its target needs no weeks
    assert staffing_worth(f, demand=100, queue_size=100, target_queue_size=500).weeks_to_target == 0
    with pytest.raises(AnalysisInputError, match="do not hold the effect"):
        staffing_worth(-0.4, ci_low=-0.3, ci_high=-0.2, demand=1, queue_size=1,
                       target_queue_size=1)


@pytest.fixture(scope="module")
def synthetic():
    return generate(seed=4, n_providers=80, n_months=12)


def test_the_answer_for_a_trust_and_its_specialties(synthetic):
    a = q12.answer(synthetic.flows, synthetic.panel, provider="R001",
                   specialties=["C_110", "C_130"], n_sims=300, truth=synthetic.truth)
    ids = [f.id for f in a.findings()]
    assert len(ids) == len(set(ids))
    assert "queue:relief_capacity@R001/C_110+C_130#2024-03" in ids
    assert "queue:relief_capacity@R001/C_110#2024-03" in ids
    assert "worth:nurse_fte_per_10_beds->weeks_to_target@R001/C_110+C_130#2024-03" in ids
    truths = a.truths()
    assert set(truths) <= set(ids) and len(truths) >= 10
    frame = findings_frame(a.findings(), truths)
    assert frame["covers_truth"].dropna().mean() >= 0.8
    assert "Verdict." in a.verdict() and "Staffing:" in a.verdict()
    assert "R001" in a.position()
    assert any("Completions understate removals" in n for n in a.limits())
    assert list(a.specialty_table()["specialty_code"]) and len(a.ranking_table()) == 15


def test_one_specialty_england_and_what_cannot_be_said(synthetic):
    one = q12.answer(synthetic.flows, synthetic.panel, provider="r001",
                     specialties=["C_110"], n_sims=100)
    ids = [f.id for f in one.findings()]
    assert len(ids) == len(set(ids)) and one.label == "R001/C_110"
    england = q12.answer(synthetic.flows, synthetic.panel, n_sims=100)
    assert england.label == "England" and england.position() == ""
    no_staff = synthetic.panel.drop(columns=["nurse_fte_per_10_beds"])
    a = q12.answer(synthetic.flows, no_staff, provider="nhs", n_sims=100)
    assert a.staffing is None and "nurse staffing per 10 occupied beds" in a.staffing_reason
    assert "not translated" in a.verdict()
    gone = q12.answer(NotHeld("rtt_flows", "a panel file only"), synthetic.panel)
    assert not gone.findings() and "a panel file only" in gone.verdict()
    with pytest.raises(AnalysisInputError, match="provider.*'RXX99'"):
        q12.answer(synthetic.flows, synthetic.panel, provider="RXX99")
    with pytest.raises(AnalysisInputError, match="percentile"):
        q12.answer(synthetic.flows, synthetic.panel, percentile=92)


# --- England, April 2026, from the real extract --------------------------------------------


def publication_totals(path: Path) -> dict[str, float]:
    """The extract's own England totals: ``Total All`` of the all-function (C_999) rows,
    summed by part, read with the csv module alone."""
    totals: dict[str, float] = {}
    with zipfile.ZipFile(path) as z:
        name = next(n for n in z.namelist() if n.endswith(".csv") and "MACOSX" not in n)
        with z.open(name) as fh:
            for row in csv.DictReader(io.TextIOWrapper(fh, encoding="utf-8-sig")):
                if row["Treatment Function Code"].strip() == "C_999":
                    part = row["RTT Part Type"].strip()
                    totals[part] = totals.get(part, 0.0) + float(row["Total All"] or 0)
    return totals


@pytest.mark.skipif(not EXTRACT.is_file(), reason=f"real RTT extract not found at {EXTRACT}")
def test_england_april_2026_agrees_with_the_publications_totals():
    totals = publication_totals(EXTRACT)
    flows = F.from_extract(EXTRACT)
    panel = pd.DataFrame({"provider_code": flows["provider_code"].unique(), "sector": "nhs",
                          "region": None})
    table = F.collect([(flows, EXTRACT)], panel)
    a = q12.answer(table, panel, provider="England", n_sims=200)
    found = {f.id: f for f in a.findings()}
    demand = totals["Part_3"] * 7 / 30
    size = totals["Part_2"]
    target = demand * 18 / F92
    relief = demand + (size - target) / 26
    assert found["queue:demand@England#2026-04"].estimate == pytest.approx(demand)
    assert found["queue:queue_size@England#2026-04"].estimate == size
    assert found["queue:target_queue_size@England#2026-04"].estimate == pytest.approx(target)
    assert found["queue:relief_capacity@England#2026-04"].estimate == pytest.approx(relief)
    done = (totals["Part_1A"] + totals["Part_1B"]) * 7 / 30
    assert found["queue:completions@England#2026-04"].estimate == pytest.approx(done)
    assert found["queue:other_removals@England#2026-04"].estimate == pytest.approx(demand - done)
    # the publication's figures, as published (RTT April 2026): 1,769,634 new clock starts,
    # 7,123,980 waiting, 288,434 admitted and 1,164,415 non-admitted completions
    assert (totals["Part_3"], size, totals["Part_1A"], totals["Part_1B"]) == (
        1769634, 7123980, 288434, 1164415)
    assert round(found["queue:target_queue_size@England#2026-04"].estimate) == 2942700
    assert round(found["queue:relief_capacity@England#2026-04"].estimate) == 573733
    assert "relief capacity is needed" in found["queue:target_queue_size@England#2026-04"].sentence


@pytest.mark.parametrize("cls", [FlowStats, ReliefPlan, StaffingWorth, q12.WaitingListAnswer],
                         ids=lambda c: c.__name__)
def test_every_result_type_answers_findings_with_a_question(cls):
    import inspect

    params = list(inspect.signature(cls.findings).parameters.values())[1:]
    assert params[0].name == "question" and params[0].default is None
    assert all(p.kind is p.KEYWORD_ONLY and p.default is not p.empty for p in params[1:])


def test_results_go_through_workbench_findings():
    import workbench

    plan = relief_plan(demand=5, queue_size=100, target=20, capacity=8, n_sims=50, label="X",
                       period="2026-04")
    found = workbench.findings(plan, "How is the plan?")
    assert isinstance(found, Findings) and {f.question for f in found} == {"How is the plan?"}
