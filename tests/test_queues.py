"""Waiting lists as queues: the NHSRwaitinglist calculators, the date-list statistics and
the simulator.

Checked against NHSRwaitinglist's own tests (tests/testthat), its README and vignettes
("Walkthrough a real waiting list example", after Fong et al. 2022; "Exploring waiting
list management strategies with simulation"; "Three example waiting lists"), and against
cases worked by hand. Where the workbench decides differently from the package, the test
says what the package gives and why the workbench does not (docs/waiting_lists.md).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import workbench
from workbench import write_findings
from workbench.analysis.findings.record import Findings, findings_of
from workbench.analysis.queues.calculators import (
    factor_for,
    queue_load,
    relief_capacity,
    share_within,
    target_capacity,
    target_mean_wait,
    target_queue_size,
    waiting_list_pressure,
)
from workbench.analysis.queues.simulation import schedule_slots, wl_schedule, wl_simulator
from workbench.analysis.queues.waiting_list import (
    wl_queue_size,
    wl_referral_stats,
    wl_removal_stats,
    wl_stats,
)
from workbench.errors import (
    AnalysisColumnError,
    AnalysisInputError,
    AnalysisTypeError,
    WorkbenchError,
)

approx = pytest.approx


def dates(*values):
    return pd.to_datetime(list(values))


def table(referrals, removals):
    return pd.DataFrame({"referral": dates(*referrals), "removal": dates(*removals)})


#: the example list of NHSRwaitinglist's help pages and tests
EXAMPLE = table(["2024-01-01", "2024-01-04", "2024-01-10", "2024-01-16"],
                ["2024-01-08", None, None, None])


# --------------------------------------------------------------------------- calculators:
# NHSRwaitinglist's tests/testthat, value by value


def test_queue_load_package_tests():
    assert queue_load(30, 27) == approx(30 / 27)
    assert queue_load(30, 27) == approx(1.11111111)
    assert queue_load([35, 30, 52], [27, 25, 42]) == approx([1.2962963, 1.2, 1.23809524])


def test_target_mean_wait_package_tests():
    assert target_mean_wait(52, 4) == 13
    assert target_mean_wait([35, 30, 52], [4, 4, 6]) == approx([8.75, 7.5, 8.6666667])


def test_target_queue_size_package_tests():
    assert target_queue_size(30, 52) == 390
    assert target_queue_size(30, 50) == 375
    assert target_queue_size(30, 50, 6) == 250
    assert target_queue_size([30, 30, 30], [52, 50, 50], [4, 4, 6]) == approx([390, 375, 250])


def test_relief_capacity_package_tests():
    assert relief_capacity(30, 1200, 390, 26) == approx(30 + (1200 - 390) / 26)
    assert relief_capacity(30, 1200, 390, 26) == approx(61.153846)
    assert relief_capacity([30, 33, 35], [1200, 800, 250], [390, 200, 100],
                           [26, 30, 15]) == approx([61.153846, 53, 45])


def test_target_capacity_package_tests():
    assert target_capacity(30, 52, 3, 1.1, 1.2) == approx(30 + ((1.1**2 + 1.2**2) / 2) * (3 / 52))
    assert target_capacity(30, 52, 3, 1.1, 1.2) == approx(30.076442)
    assert target_capacity([30, 42, 35], [52, 65, 50], [3, 2, 1], [1.1, 1.2, 1.3],
                           [1.4, 1.5, 1.6]) == approx([30.0914423, 42.0567692, 35.0425])


def test_waiting_list_pressure_package_tests():
    assert waiting_list_pressure(63, 52) == approx(2 * 63 / 52)
    assert waiting_list_pressure([63, 42, 55], [52, 24, 50]) == approx([2.42307692, 3.5, 2.2])


@pytest.mark.parametrize("n", [0, 1, 17])
def test_output_length_equals_input_length(n):
    x = np.linspace(10, 60, n)
    for out in (queue_load(x, x + 5), target_mean_wait(x + 1), target_queue_size(x, x + 1),
                relief_capacity(x, 3 * x, x, x + 1), target_capacity(x, x + 1),
                waiting_list_pressure(x, x + 1)):
        assert isinstance(out, np.ndarray) and out.shape == (n,)


# --------------------------------------------------------------------------- the vignettes


def test_walkthrough_vignette_ent_p4_and_p2_lists():
    """The P4 ENT list of Fong et al., as the package's walkthrough vignette works it."""
    queue_size, target, mean_wait, demand, capacity = 1200, 52, 63, 30, 27
    assert round(queue_load(demand, capacity), 2) == 1.11          # "greater than 1"
    assert target_mean_wait(target) == 13                           # "between 9 and 13 weeks"
    tq = target_queue_size(demand, target)
    assert tq == 390
    assert round(queue_size / tq, 1) == 3.1                         # "3.1 times its target"
    relief = relief_capacity(demand, queue_size, tq, 26)
    assert round(relief, 1) == 61.2                                 # vs 27 a week now
    tc = target_capacity(demand, target)
    assert round(tc, 2) == 30.08 and round(tc - demand, 2) == 0.08
    p4 = waiting_list_pressure(mean_wait, target)
    p2 = waiting_list_pressure(24, 4)
    assert round(p4, 2) == 2.42 and p2 == 12
    assert round(p2 / p4) == 5                                      # "5 times higher"


def test_simulation_vignette_targets_for_92_and_95_percent():
    qt92 = factor_for(0.92)                                         # R's qexp(0.92)
    assert qt92 == approx(2.525729, abs=1e-6)
    assert target_mean_wait(18, qt92) == approx(7.126655, abs=1e-5)
    target1 = target_queue_size(demand=100, target_wait=18, factor=qt92)
    assert target1 == approx(712.6655, abs=1e-3)
    # scenario 2: a list of 82 that may grow to its target over 26 weeks
    target2 = target_queue_size(50, 18, qt92)
    assert target2 == approx(356.3328, abs=1e-3)
    growth = (target2 - 82) / 26
    assert math.floor(growth) == 10
    assert relief_capacity(50, 82, target2, 26) == approx(50 - growth)
    # scenario 3: 95% within 18 weeks, and a control table of demand by year
    assert target_mean_wait(18, factor_for(0.95)) == approx(6.008546, abs=1e-5)
    assert target_queue_size(100, 18, factor_for(0.95)) == approx(600.8546, abs=1e-3)
    demand = pd.Series([100, 105, 105 * 1.05 * 0.8, 105 * 1.05 * 0.8 * 1.05,
                        105 * 1.05 * 0.8 * 1.05 ** 2],
                       index=pd.Index([2024, 2025, 2026, 2027, 2028], name="year"))
    sizes = target_queue_size(demand, 18, factor_for(0.95))
    assert isinstance(sizes, pd.Series) and sizes.index.equals(demand.index)
    assert sizes.round(2).tolist() == approx([600.85, 630.9, 529.96, 556.46, 584.28], abs=0.01)


def test_readme_wl_stats_row_is_consistent_with_the_calculators():
    """NHSRwaitinglist's README prints one wl_stats row (simulated 10 a week in, 10.2 out,
    18-week target); its derived columns follow from its inputs by the same formulas. Its
    pressure, 0.2, divides a mean wait in days (1.8) by a target in weeks; in weeks it is
    7 times smaller."""
    row = {"mean_demand": 9.818065, "mean_capacity": 10.08372, "load": 0.9736549,
           "target_queue_size": 44.18129, "mean_wait": 1.8, "cv_arrival": 1.131775,
           "cv_removal": 0.7003787, "target_capacity": 10.01489, "pressure": 0.2}
    assert queue_load(row["mean_demand"], row["mean_capacity"]) == approx(row["load"])
    assert target_queue_size(row["mean_demand"], 18) == approx(row["target_queue_size"])
    assert target_capacity(row["mean_demand"], 18, 4, row["cv_arrival"],
                           row["cv_removal"]) == approx(row["target_capacity"])
    assert waiting_list_pressure(row["mean_wait"], 18) == approx(row["pressure"])
    assert waiting_list_pressure(row["mean_wait"] / 7, 18) == approx(row["pressure"] / 7)


# --------------------------------------------------------------------------- hand-worked


def test_factor_is_the_exponential_quantile():
    assert factor_for(0.92) == approx(-math.log(0.08))
    assert factor_for([0.5, 0.92, 0.99]) == approx([math.log(2), 2.5257286, 4.6051702])
    assert share_within(4) == approx(1 - math.exp(-4))             # the package default: 98.2%
    assert round(share_within(4), 3) == 0.982
    assert share_within(factor_for(np.array([0.1, 0.92]))) == approx([0.1, 0.92])


def test_target_capacity_is_exact_for_the_m_m_1_queue():
    """With cv 1 and 1, the capacity gives an M/M/1 list whose mean time in the system,
    1 / (capacity - demand), is the target mean wait, and whose share within the target
    (exponential waits) is the percentile asked for."""
    demand, target = 30.0, 18.0
    f = factor_for(0.92)
    cap = target_capacity(demand, target, f)
    assert 1 / (cap - demand) == approx(target_mean_wait(target, f))
    assert 1 - math.exp(-(cap - demand) * target) == approx(0.92)
    # hand-worked: 30 + ((0.5^2 + 0^2) / 2) x (4 / 18) = 30.02778
    assert target_capacity(30, 18, 4, 0.5, 0) == approx(30 + 0.125 * 4 / 18)


def test_little_law_target_queue_size_by_hand():
    # 120 referrals a week, 92% within 18 weeks: mean wait 7.1267 weeks, list 855.2
    assert target_queue_size(120, 18, factor_for(0.92)) == approx(120 * 18 / 2.5257286)


def test_relief_capacity_below_demand_when_list_is_under_target():
    assert relief_capacity(50, 100, 360, 26) == approx(40)


# --------------------------------------------------------------------------- relief inflation


def test_relief_inflation_by_hand_and_off_by_default():
    plain = relief_capacity(30, 1200, 390, 26)
    assert relief_capacity(30, 1200, 390, 26, num_referrals=0, cv_demand=1) == plain
    assert relief_capacity(30, 1200, 390, 26, num_referrals=780, cv_demand=0) == plain
    # demand at its upper two-standard-error bound: 30 / (1 - 2 x 1 / sqrt(780))
    inflated = 30 / (1 - 2 / math.sqrt(780))
    assert relief_capacity(30, 1200, 390, 26, num_referrals=780, cv_demand=1) == approx(
        inflated + 810 / 26)
    # NHSRwaitinglist's ratio, 2 x 30 x 1 / sqrt(780) = 2.15, is over 1, so the package
    # would silently leave demand as it is and give the plain 61.15
    assert 2 * 30 * 1 / math.sqrt(780) > 1


def test_relief_inflation_does_not_depend_on_the_unit_of_time():
    """Per week or per day, the same list needs the same capacity (the package's ratio
    multiplies by demand, so its answer changes with the unit)."""
    weekly = relief_capacity(30, 1200, 390, 26, num_referrals=780, cv_demand=1.2)
    daily = relief_capacity(30 / 7, 1200, 390, 26 * 7, num_referrals=780, cv_demand=1.2)
    assert daily * 7 == approx(weekly)


def test_relief_inflation_errors_instead_of_switching_off():
    """At 2 cv / sqrt(n) >= 1 the upper bound of demand is unbounded: an error naming the
    facts, where the package would drop the inflation at once."""
    assert relief_capacity(30, 1200, 390, 26, num_referrals=5, cv_demand=1) > 100
    with pytest.raises(AnalysisInputError) as err:
        relief_capacity(30, 1200, 390, 26, num_referrals=4, cv_demand=1)
    assert err.value.function == "relief_capacity" and err.value.parameter == "num_referrals"
    assert "(2 x cv_demand)^2 = 4" in str(err.value)
    with pytest.raises(AnalysisInputError, match="position 1"):
        relief_capacity([30, 30], 1200, 390, 26, num_referrals=[100, 3], cv_demand=1)


# --------------------------------------------------------------------------- types


def test_series_in_series_out_with_the_same_index():
    idx = pd.Index(["RXX", "RYY", "RZZ"], name="provider")
    demand = pd.Series([30.0, 40.0, 50.0], index=idx)
    out = target_queue_size(demand, 18, factor_for(0.92))
    assert isinstance(out, pd.Series) and out.index.equals(idx)
    assert out.name == "target_queue_size"
    capacity = pd.Series([27.0, 45.0, 60.0], index=idx)
    load = queue_load(demand, capacity)
    assert load.index.equals(idx) and load["RYY"] == approx(40 / 45)
    # a Series with a vector of the same length keeps the Series' index
    assert relief_capacity(demand, [1200, 800, 250], 390).index.equals(idx)


def test_scalars_give_floats_and_arrays_give_arrays():
    assert type(queue_load(30, 27)) is float
    assert type(queue_load(np.int64(30), 27)) is float
    assert isinstance(queue_load(np.array([30, 40]), 27), np.ndarray)
    assert isinstance(target_capacity([30, 40], 52), np.ndarray)


def test_missing_values_give_missing_results():
    out = queue_load(pd.Series([30, np.nan, 20]), 25)
    assert out.isna().tolist() == [False, True, False]
    assert np.isnan(target_queue_size([30, None], 18))[1]


def test_series_with_different_indexes_are_refused():
    with pytest.raises(AnalysisInputError, match="index differs"):
        queue_load(pd.Series([1.0, 2.0], index=["a", "b"]),
                   pd.Series([1.0, 2.0], index=["b", "a"]))


def test_vectors_of_different_lengths_are_refused():
    with pytest.raises(AnalysisInputError, match="lengths that do not match") as err:
        target_capacity([30, 40, 50], [52, 18])
    assert err.value.parameter == "arguments"


@pytest.mark.parametrize("call, parameter", [
    (lambda: queue_load("30", 27), "demand"),
    (lambda: queue_load(30, True), "capacity"),
    (lambda: target_mean_wait(None), "target_wait"),
    (lambda: target_queue_size([30, "x"], 18), "demand"),
    (lambda: target_capacity(30, 52, cv_demand=np.array([True])), "cv_demand"),
    (lambda: waiting_list_pressure({"a": 1}, 52), "mean_wait"),
    (lambda: factor_for("92%"), "percentile"),
])
def test_wrong_types_are_type_errors_naming_the_argument(call, parameter):
    with pytest.raises(AnalysisTypeError) as err:
        call()
    assert isinstance(err.value, TypeError) and isinstance(err.value, WorkbenchError)
    assert err.value.parameter == parameter
    assert "Expected: a number" in str(err.value)


@pytest.mark.parametrize("call, function, parameter, shown", [
    (lambda: queue_load(30, 0), "queue_load", "capacity", "is 0"),
    (lambda: queue_load(-1, 27), "queue_load", "demand", "is -1"),
    (lambda: queue_load([30, 40], [27, 0]), "queue_load", "capacity", "is 0 at position 1"),
    (lambda: target_mean_wait(0), "target_mean_wait", "target_wait", "is 0"),
    (lambda: target_mean_wait(18, factor=0), "target_mean_wait", "factor", "is 0"),
    (lambda: target_queue_size(-5, 18), "target_queue_size", "demand", "is -5"),
    (lambda: relief_capacity(30, 1200, 390, 0), "relief_capacity", "time_to_target", "is 0"),
    (lambda: relief_capacity(30, -1, 390), "relief_capacity", "queue_size", "is -1"),
    (lambda: target_capacity(30, 52, cv_capacity=-0.5), "target_capacity", "cv_capacity",
     "is -0.5"),
    (lambda: waiting_list_pressure(10, 0), "waiting_list_pressure", "target_wait", "is 0"),
    (lambda: queue_load(np.inf, 27), "queue_load", "demand", "is inf"),
    (lambda: factor_for(0.0), "factor_for", "percentile", "is 0"),
    (lambda: factor_for(1), "factor_for", "percentile", "is 1"),
    (lambda: factor_for([0.5, 92]), "factor_for", "percentile", "is 92 at position 1"),
])
def test_impossible_values_name_function_argument_value_and_expected(call, function,
                                                                    parameter, shown):
    with pytest.raises(AnalysisInputError) as err:
        call()
    assert isinstance(err.value, ValueError)
    assert err.value.function == function and err.value.parameter == parameter
    assert shown in err.value.problem and err.value.expected


# --------------------------------------------------------------------------- wl_queue_size


def test_queue_size_by_hand_with_the_default_window():
    sizes = wl_queue_size(EXAMPLE)
    assert sizes["date"].iloc[0] == pd.Timestamp("2024-01-01")
    assert sizes["date"].iloc[-1] == pd.Timestamp("2024-01-16")
    assert sizes["queue_size"].tolist() == [1, 1, 1, 2, 2, 2, 2, 1, 1, 2, 2, 2, 2, 2, 2, 3]


def test_queue_size_package_tests():
    result = wl_queue_size(EXAMPLE, start_date="2024-01-01", end_date="2024-01-31")
    assert list(result.columns) == ["date", "queue_size"] and len(result) == 31
    assert result["queue_size"].iloc[0] == 1 and result["queue_size"].iloc[3] == 2
    two = table(["2024-01-01", "2024-01-04"], ["2024-01-08", None])
    assert wl_queue_size(two, end_date="2024-01-31")["date"].iloc[0] == pd.Timestamp("2024-01-01")
    three = table(["2024-01-01", "2024-01-04", "2024-01-10"], [None, None, None])
    assert wl_queue_size(three, start_date="2024-01-01", end_date="2024-01-10")[
        "queue_size"].tolist() == [1, 1, 1, 2, 2, 2, 2, 2, 2, 3]
    four = table(["2024-01-01", "2024-01-04", "2024-01-10", "2024-01-16"],
                 ["2024-01-08", "2024-01-15", None, None])
    sizes = wl_queue_size(four, start_date="2024-01-01", end_date="2024-01-31")["queue_size"]
    assert sizes.iloc[6] == 2 and sizes.iloc[14] == 1


def test_queue_size_default_end_is_the_last_date_in_the_table():
    """The package stops at the last referral (2024-01-04 here) and so never sees the
    removal of 2024-01-08; the workbench's window runs to the last date of either kind."""
    two = table(["2024-01-01", "2024-01-04"], ["2024-01-08", None])
    sizes = wl_queue_size(two)
    assert sizes["date"].iloc[-1] == pd.Timestamp("2024-01-08")
    assert sizes["queue_size"].iloc[-1] == 1
    assert wl_queue_size(two, end_date="2024-01-04")["queue_size"].tolist() == [1, 1, 1, 2]


def test_patients_who_left_before_the_window_are_not_on_the_list():
    """NHSRwaitinglist moves earlier referrals to the first day but drops earlier removals,
    so a patient treated before the window would wait for ever in it."""
    wl = table(["2023-12-01", "2023-12-10", "2024-01-02"], ["2023-12-20", None, "2024-01-03"])
    sizes = wl_queue_size(wl, start_date="2024-01-01", end_date="2024-01-04")
    assert sizes["queue_size"].tolist() == [1, 2, 1, 1]


def test_a_patient_referred_and_removed_the_same_day_is_never_counted():
    wl = table(["2024-01-01", "2024-01-02"], ["2024-01-02", "2024-01-02"])
    assert wl_queue_size(wl)["queue_size"].tolist() == [1, 0]


def test_queue_size_accepts_text_dates_in_any_row_order():
    text = pd.DataFrame({"joined": ["2024-01-10", "2024-01-01", "2024-01-16", "2024-01-04"],
                         "left": [None, "2024-01-08", None, None]})
    got = wl_queue_size(text, referral="joined", removal="left")
    assert got["queue_size"].tolist() == wl_queue_size(EXAMPLE)["queue_size"].tolist()


def test_date_list_errors_name_the_problem():
    with pytest.raises(AnalysisTypeError, match="DataFrame"):
        wl_queue_size([("2024-01-01", None)])
    with pytest.raises(AnalysisInputError, match="has no rows"):
        wl_queue_size(EXAMPLE.iloc[0:0], start_date="2024-01-01", end_date="2024-01-31")
    with pytest.raises(AnalysisColumnError, match="'Referral'") as err:
        wl_queue_size(EXAMPLE, referral="Referral")
    assert isinstance(err.value, KeyError) and "['referral', 'removal']" in str(err.value)
    bad = EXAMPLE.astype(object)
    bad.loc[2, "referral"] = "last Tuesday"
    with pytest.raises(AnalysisInputError, match=r"not dates at rows \[2\]"):
        wl_queue_size(bad)
    missing = EXAMPLE.copy()
    missing.loc[1, "referral"] = pd.NaT
    with pytest.raises(AnalysisInputError, match=r"missing at rows \[1\]"):
        wl_queue_size(missing)
    backwards = table(["2024-01-05"], ["2024-01-01"])
    with pytest.raises(AnalysisInputError, match="before the referral date at rows"):
        wl_queue_size(backwards)
    with pytest.raises(AnalysisInputError, match="before start_date"):
        wl_queue_size(EXAMPLE, start_date="2024-02-01", end_date="2024-01-01")
    with pytest.raises(AnalysisTypeError, match="start_date"):
        wl_queue_size(EXAMPLE, start_date=20240101)
    with pytest.raises(AnalysisInputError, match="not a date"):
        wl_queue_size(EXAMPLE, end_date="soon")


# --------------------------------------------------------------------------- referral stats


def test_referral_stats_by_hand():
    """4 referrals in the 16 days 1-16 January: 0.25 a day, 1.75 a week; gaps 3, 6, 6
    days: mean 5, sd sqrt(3), cv 0.3464."""
    s = wl_referral_stats(EXAMPLE)
    assert (s.referrals, s.days) == (4, 16)
    assert s.demand_daily == 0.25 and s.demand_weekly == 1.75
    assert s.cv == approx(math.sqrt(3) / 5)
    frame = s.frame()
    assert list(frame.columns) == ["demand_weekly", "demand_daily", "demand_cov", "demand_count"]
    assert frame["demand_count"].item() == 4


def test_referral_stats_do_not_count_the_window_ends_as_arrivals():
    """NHSRwaitinglist takes the gaps of [start, referrals..., end]: 5 gaps (0, 3, 6, 6, 0)
    for 4 referrals, so demand_count 5, demand 7 / mean gap 3 = 2.33 a week and cv 1."""
    gaps = np.diff(dates("2024-01-01", *EXAMPLE["referral"].dt.strftime("%Y-%m-%d"),
                         "2024-01-16").to_numpy()).astype("timedelta64[D]").astype(float)
    assert gaps.tolist() == [0, 3, 6, 6, 0]
    assert 7 / gaps.mean() == approx(7 / 3) and gaps.std(ddof=1) / gaps.mean() == approx(1)
    s = wl_referral_stats(EXAMPLE)
    assert s.referrals == 4 and s.demand_weekly == 1.75 and s.cv < 0.5


def test_referral_stats_window_and_order():
    s = wl_referral_stats(EXAMPLE, start_date="2024-01-02", end_date="2024-01-15")
    assert (s.referrals, s.days) == (2, 14) and s.demand_weekly == 1.0
    assert math.isnan(s.cv)                                   # one gap: no variability
    shuffled = EXAMPLE.iloc[[2, 0, 3, 1]]
    assert wl_referral_stats(shuffled).cv == approx(wl_referral_stats(EXAMPLE).cv)


def test_ten_patients_a_day_every_day_is_ten_a_day():
    """Seven days, ten referrals each: demand is 10 a day (the package's (n + 1) / (end -
    start) gives 71 / 6 = 11.8)."""
    refs = np.repeat(pd.date_range("2024-01-01", periods=7), 10)
    s = wl_referral_stats(pd.DataFrame({"referral": refs}))
    assert s.demand_daily == 10 and s.demand_weekly == 70


# --------------------------------------------------------------------------- removal stats


def test_removal_stats_package_tests():
    result = wl_removal_stats(EXAMPLE)
    assert result.removals == 1 and result.capacity_weekly > 0 and result.capacity_daily > 0
    assert list(result.frame().columns) == ["capacity_weekly", "capacity_daily",
                                            "capacity_cov", "removal_count"]
    two = table(["2024-01-01", "2024-01-04"], ["2024-01-08", None])
    s = wl_removal_stats(two)
    assert s.capacity_daily == approx(1 / 7) and s.capacity_weekly == approx(1)
    none = table(["2024-01-01", "2024-01-04", "2024-01-10"], [None, None, None])
    s = wl_removal_stats(none)
    assert s.removals == 0 and math.isnan(s.capacity_weekly)
    s = wl_removal_stats(two, start_date="2024-01-02", end_date="2024-01-10")
    assert s.removals == 1 and s.capacity_weekly == approx(7 / 6)


def test_removal_stats_by_hand_with_an_empty_list_in_between():
    """Referrals 1, 2 and 10 January; removals 3, 5 and 12 January. The list is empty at
    the end of 5-9 and 12 January. Gaps: 3rd from the 1st (window start) 2; 5th from the
    3rd 2; 12th from the 9th (last empty day before it) 3. Capacity 3 / 7 days = 3 a
    week; cv sd(2, 2, 3) / mean = 0.2474."""
    wl = table(["2024-01-01", "2024-01-02", "2024-01-10"],
               ["2024-01-03", "2024-01-05", "2024-01-12"])
    s = wl_removal_stats(wl)
    assert (s.removals, s.busy_days, s.idle_days) == (3, 7, 6)
    assert s.capacity_weekly == approx(3.0)
    assert s.cv == approx(np.std([2, 2, 3], ddof=1) / (7 / 3))
    # the package sorts the empty day 5 January before the removal that emptied the list,
    # so that removal gets a gap of 0 (gaps 2, 0, 3: capacity 4.2 a week)
    assert 7 / np.mean([2, 0, 3]) == approx(4.2)


def test_removals_outside_the_window_are_left_out():
    """The package counts every removal in the table, whatever the window."""
    wl = table(["2024-01-01", "2024-01-02", "2024-01-03"],
               ["2024-01-04", "2024-01-06", "2024-02-01"])
    assert wl_removal_stats(wl, end_date="2024-01-10").removals == 2
    assert wl_removal_stats(wl).removals == 3


# --------------------------------------------------------------------------- wl_stats


def test_wl_stats_by_hand_on_the_example_list():
    """Demand 1.75 a week, capacity 1 a week (one removal 7 days after the start): load
    1.75. Three waiting on 16 January, for 12, 6 and 0 days: mean 6 days = 0.857 weeks.
    Target 4 weeks, factor 4: target size 1.75, not over twice it; pressure 2 x 0.857 / 4
    = 0.4286; relief 1.75 + (3 - 1.75) / 26 = 1.798."""
    s = wl_stats(EXAMPLE, target_wait=4, start_date="2024-01-01", end_date="2024-01-16")
    assert s.referrals.demand_weekly == 1.75 and s.removals.capacity_weekly == approx(1)
    assert s.load == approx(1.75) and s.load_too_big
    assert s.queue_size == 3 and s.target_queue_size == approx(1.75)
    assert not s.queue_too_big and s.needs == "target"
    assert s.mean_wait_days == 6 and s.mean_wait == approx(6 / 7)
    assert s.pressure == approx(2 * (6 / 7) / 4)
    assert s.relief_capacity == approx(1.75 + 1.25 / 26)
    assert math.isnan(s.removals.cv) and math.isnan(s.target_capacity)   # one removal
    frame = s.frame()
    for column in ("queue_size", "target_queue_size", "queue_too_big", "mean_wait",
                   "load_too_big", "count_demand", "cv_arrival", "cv_removal", "pressure"):
        assert column in frame.columns


def test_wl_stats_mean_wait_package_test():
    """The package's test: referrals 1, 4, 10 January, removals 8 and 11 January, window to
    10 January: those waiting have waited 6 and 0 days, mean 3 days (the package's
    mean_wait; the workbench gives weeks, and days beside them)."""
    wl = table(["2024-01-01", "2024-01-04", "2024-01-10"], ["2024-01-08", "2024-01-11", None])
    s = wl_stats(wl, target_wait=4, start_date="2024-01-01", end_date="2024-01-10")
    assert s.mean_wait_days == 3 and s.mean_wait == approx(3 / 7)
    assert s.frame()["mean_wait"].item() == approx(3 / 7)


def test_wl_stats_mean_wait_leaves_out_patients_referred_after_the_end():
    """The package's filter, ``removal > end | is.na(removal) & referral <= end``, keeps a
    patient referred after the end whose removal is later still, with a negative wait."""
    wl = table(["2024-01-01", "2024-01-20"], [None, "2024-01-25"])
    s = wl_stats(wl, 4, end_date="2024-01-15")
    assert s.mean_wait_days == 14 and s.queue_size == 1


def test_wl_stats_with_no_removals_and_an_empty_list():
    none = table(["2024-01-01", "2024-01-04", "2024-01-10"], [None, None, None])
    s = wl_stats(none, target_wait=4)
    assert math.isnan(s.load) and s.load_too_big                # nobody leaves: it only grows
    empty_at_end = table(["2024-01-01", "2024-01-02"], ["2024-01-03", "2024-01-04"])
    s = wl_stats(empty_at_end, 18)
    assert s.queue_size == 0 and s.mean_wait == 0 and s.pressure == 0


def test_wl_stats_too_big_list_needs_relief():
    """Ten patients referred on 1 January, two removed on 15 January, then a referral every
    three days: the list is over twice its target, so relief capacity applies."""
    refs = ["2024-01-01"] * 10 + [str(d.date()) for d in pd.date_range("2024-01-02",
                                                                        "2024-03-31",
                                                                        freq="3D")]
    rems = ["2024-01-15", "2024-01-15"] + [None] * (len(refs) - 2)
    s = wl_stats(table(refs, rems), target_wait=4, time_to_target=10)
    assert s.queue_too_big and s.needs == "relief"
    assert s.relief_capacity == approx(
        s.referrals.demand_weekly + (s.queue_size - s.target_queue_size) / 10)


def test_wl_stats_settings_are_checked_in_its_name():
    with pytest.raises(AnalysisInputError) as err:
        wl_stats(EXAMPLE, target_wait=0)
    assert err.value.function == "wl_stats" and err.value.parameter == "target_wait"
    with pytest.raises(AnalysisInputError, match="factor"):
        wl_stats(EXAMPLE, 18, factor=-1)
    with pytest.raises(AnalysisInputError, match="label"):
        wl_stats(EXAMPLE, 18, label="ENT@P2")
    with pytest.raises(AnalysisTypeError, match="DataFrame"):
        wl_stats({"referral": ["2024-01-01"]}, 18)


def test_wl_stats_default_target_is_18_weeks():
    s = wl_stats(EXAMPLE)
    assert s.target_wait == 18 and s.factor == 4 and s.time_to_target == 26
    assert s.target_queue_size == approx(1.75 * 18 / 4)


def test_wl_stats_with_the_92_percent_factor():
    f = factor_for(0.92)
    s = wl_stats(EXAMPLE, 4, factor=f)
    assert s.target_queue_size == approx(1.75 * 4 / f)
    assert "92%" in s.findings()[3].question


# --------------------------------------------------------------------------- findings


def test_wl_stats_findings_ids_units_and_sentences():
    s = wl_stats(EXAMPLE, target_wait=4, label="ENT")
    found = s.findings()
    assert isinstance(found, Findings)
    ids = [f.id for f in found]
    assert ids == [f"queue:{q}@ENT#2024-01-16" for q in (
        "demand", "capacity", "queue_size", "target_queue_size", "relief_capacity",
        "target_capacity", "queue_load", "waiting_list_pressure")]
    by = {f.key.outcome: f for f in found}
    assert by["target_queue_size"].estimate == approx(1.75)
    assert by["target_queue_size"].unit == "patients"
    assert by["relief_capacity"].unit == "patients per week"
    assert by["queue_load"].estimate == approx(1.75)
    assert by["waiting_list_pressure"].estimate == approx(2 * (6 / 7) / 4)
    assert "98.2% of patients within 4 weeks" in by["target_queue_size"].sentence
    assert "Little's law" in by["target_queue_size"].warning      # load >= 1
    assert "grows without limit" in by["queue_load"].sentence
    assert "0.857 weeks" in by["waiting_list_pressure"].sentence
    assert by["target_capacity"].warning                           # cv unknown
    assert all(f.parameters["target_wait"] == 4 and f.parameters["factor"] == 4 for f in found)
    assert all(f.sector == "all" and f.role == "headline" for f in found)


def test_findings_question_replaces_every_question_and_goes_through_findings_of():
    s = wl_stats(EXAMPLE, 4)
    found = findings_of(s, "How big should the ENT list be?")
    assert {f.question for f in found} == {"How big should the ENT list be?"}
    assert workbench.findings(s)[0].question == "How many patients join the list each week?"
    assert len(workbench.findings(wl_referral_stats(EXAMPLE))) == 1
    assert findings_of(wl_removal_stats(EXAMPLE))[0].key.outcome == "capacity"


def test_findings_write_as_json_with_missing_estimates_as_null(tmp_path):
    path = write_findings(wl_stats(EXAMPLE, 4).findings(), tmp_path / "findings.json")
    records = {r["id"]: r for r in json.loads(path.read_text())}
    assert records["queue:target_capacity@all#2024-01-16"]["estimate"] is None
    assert records["queue:queue_size@all#2024-01-16"]["estimate"] == 3


def test_capacity_finding_warns_when_the_list_was_often_empty():
    wl = table(["2024-01-01", "2024-01-02", "2024-01-10"],
               ["2024-01-03", "2024-01-05", "2024-01-12"])
    warning = wl_removal_stats(wl).findings()[0].warning
    assert "empty at the end of 6 of 12 days" in warning


# --------------------------------------------------------------------------- wl_schedule


def test_schedule_package_tests():
    three = table(["2024-01-01", "2024-01-04", "2024-01-10"], [None, None, None])
    slots = dates("2024-01-03", "2024-01-05")
    result = wl_schedule(three, slots)
    assert isinstance(result, pd.DataFrame) and len(result) == 3
    assert result["removal"].notna().sum() == 2
    done, used = wl_schedule(three, slots, unscheduled=True)
    assert isinstance(done, pd.DataFrame) and used["scheduled"].sum() == 2
    with pytest.raises(AnalysisInputError, match="has no rows"):
        wl_schedule(three.iloc[0:0], slots)
    with pytest.raises(AnalysisTypeError, match="not dates"):
        wl_schedule(three, ["invalid", "date"])
    later = table(["2024-01-01", "2024-01-04"], [None, None])
    assert wl_schedule(later, dates("2024-02-01", "2024-03-01"))["removal"].notna().sum() == 2


def test_schedule_by_hand_on_the_help_page_example():
    """Slots 3, 5 and 18 January for the waiters of 4, 10 and 16 January: the slot of the
    3rd precedes the first waiter's referral and goes unused; the 5th goes to the waiter
    of the 4th; the 18th to the waiter of the 10th."""
    slots = dates("2024-01-03", "2024-01-05", "2024-01-18")
    done, used = wl_schedule(EXAMPLE, slots, unscheduled=True)
    assert done["removal"].tolist()[:3] == list(dates("2024-01-08", "2024-01-05", "2024-01-18"))
    assert pd.isna(done["removal"].iloc[3])
    assert used["scheduled"].tolist() == [False, True, True]


def test_schedule_is_first_come_first_served_whatever_the_row_order():
    """The package gives slots in the table's order: the waiter of 10 January, listed
    first, cannot take the slot of the 5th, and the waiter of the 2nd never gets it."""
    unsorted = table(["2024-01-10", "2024-01-02"], [None, None])
    done = wl_schedule(unsorted, dates("2024-01-05"))
    assert done["referral"].tolist() == list(dates("2024-01-02", "2024-01-10"))
    assert done["removal"].iloc[0] == pd.Timestamp("2024-01-05")
    assert list(done.index) == [1, 0]                           # rows keep their labels


def test_schedule_slot_on_the_referral_day_is_not_taken_and_slots_are_sorted():
    wl = table(["2024-01-05"], [None])
    assert pd.isna(wl_schedule(wl, dates("2024-01-05"))["removal"].iloc[0])
    two = table(["2024-01-01", "2024-01-02"], [None, None])
    done = wl_schedule(two, dates("2024-01-09", "2024-01-03"))
    assert done["removal"].tolist() == list(dates("2024-01-03", "2024-01-09"))


def test_schedule_passes_over_withdrawn_patients():
    wl = pd.DataFrame({"referral": dates("2024-01-01", "2024-01-02"),
                       "removal": dates(None, None),
                       "withdrawal": dates("2024-01-04", None)})
    done = wl_schedule(wl, dates("2024-01-05", "2024-01-06"), withdrawal="withdrawal")
    # the first patient withdrew on the 4th, before any slot; the second takes the 5th
    assert done["removal"].tolist() == list(dates("2024-01-04", "2024-01-05"))


def test_schedule_slots_follow_sim_schedule():
    """``start + ceiling(seq(0, days - 1, 1 / daily_capacity))``: 14 a week is 2 a day."""
    slots = schedule_slots("2024-01-01", 3, 14)
    assert [d.day for d in slots] == [1, 2, 2, 3, 3]
    assert len(schedule_slots("2024-01-01", 70, 7)) == 70
    assert len(schedule_slots("2024-01-01", 10, 0)) == 0


# --------------------------------------------------------------------------- wl_simulator


def test_simulator_is_reproducible_with_a_seed():
    a = wl_simulator("2024-01-01", "2024-03-31", 100, 110, seed=1234)
    b = wl_simulator("2024-01-01", "2024-03-31", 100, 110, seed=1234)
    c = wl_simulator("2024-01-01", "2024-03-31", 100, 110, seed=1235)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    d = wl_simulator("2024-01-01", "2024-03-31", 100, 110, seed=np.random.default_rng(1234))
    pd.testing.assert_frame_equal(a, d)
    assert list(a.columns) == ["referral", "removal"]


def test_simulator_referrals_scheduled_removals_and_order():
    wl = wl_simulator("2024-01-01", "2024-03-31", demand=100, capacity=110, seed=3)
    days = 91
    assert abs(len(wl) - 100 * days / 7) < 4 * math.sqrt(100 * days / 7)
    assert wl["referral"].is_monotonic_increasing
    assert wl["referral"].between("2024-01-01", "2024-03-31").all()
    treated = wl.dropna(subset=["removal"])
    assert (treated["removal"] > treated["referral"]).all()
    assert treated["removal"].is_monotonic_increasing            # first come, first served
    slots = schedule_slots("2024-01-01", days, 110)
    assert len(treated) <= len(slots)


def test_simulator_default_end_date_and_zero_demand():
    wl = wl_simulator("2024-01-01", demand=70, capacity=80, seed=1)
    assert wl["referral"].max() <= pd.Timestamp("2024-02-01")
    empty = wl_simulator("2024-01-01", "2024-03-31", demand=0, capacity=110, seed=1)
    assert len(empty) == 0 and list(empty.columns) == ["referral", "removal"]


def test_simulator_withdrawals():
    wl = wl_simulator("2024-01-01", "2024-03-31", demand=100, capacity=60,
                      withdrawal_prob=0.05, seed=5)
    assert "withdrawal" in wl.columns
    withdrew = wl.dropna(subset=["withdrawal"])
    assert 0 < len(withdrew) < len(wl)
    assert (withdrew["removal"] == withdrew["withdrawal"]).all()
    assert (withdrew["withdrawal"] > withdrew["referral"]).all()
    assert (wl["removal"].dropna() <= pd.Timestamp("2024-03-31")).all()


def test_simulator_vignette_raising_capacity_brings_the_list_under_target():
    """The simulation vignette's first scenario: 840 waiting on 31 March 2023, 100
    referrals a week, capacity raised to 105 for a year. The list never empties, so it ends
    at 840 + referrals - slots, below the target of 712.67 for 92% within 18 weeks."""
    current = pd.DataFrame({"referral": dates(*["2023-03-31"] * 840), "removal": pd.NaT})
    slots = schedule_slots("2023-04-01", 366, 105)
    ends = []
    for seed in range(10):
        wl = wl_simulator("2023-04-01", "2024-03-31", 100, 105, waiting_list=current, seed=seed)
        sizes = wl_queue_size(wl)
        assert sizes["queue_size"].min() > 0
        referred = int((wl["referral"] >= "2023-04-01").sum())
        assert sizes["queue_size"].iloc[-1] == 840 + referred - len(slots)
        ends.append(sizes["queue_size"].iloc[-1])
    assert np.mean(ends) < target_queue_size(100, 18, factor_for(0.92))
    reduced = wl_simulator("2023-04-01", "2024-03-31", 77, 80, waiting_list=current, seed=1)
    assert wl_queue_size(reduced)["queue_size"].iloc[-1] < 840


def test_simulated_list_statistics_recover_demand_and_capacity():
    """An overloaded list (10 in, 9 out a week) is almost never empty: capacity from the removal
    dates is the slot rate. A list with twice the capacity it needs is often empty, and
    capacity from dates falls towards the throughput (a lower bound)."""
    full = wl_stats(wl_simulator("2020-01-01", "2023-12-31", 10, 9, seed=11), 18)
    assert full.referrals.demand_weekly == approx(10, rel=0.06)
    assert full.removals.capacity_weekly == approx(9, rel=0.02)
    assert full.load_too_big and full.removals.idle_days <= 5
    idle = wl_stats(wl_simulator("2020-01-01", "2023-12-31", 10, 20, seed=11), 18)
    assert idle.removals.idle_days > 0
    assert idle.referrals.demand_weekly * 0.95 < idle.removals.capacity_weekly < 20


def test_simulator_errors():
    with pytest.raises(AnalysisInputError, match="demand"):
        wl_simulator("2024-01-01", "2024-03-31", demand=-1)
    with pytest.raises(AnalysisInputError, match="withdrawal_prob"):
        wl_simulator("2024-01-01", "2024-03-31", withdrawal_prob=1.5)
    with pytest.raises(AnalysisInputError, match="before start_date"):
        wl_simulator("2024-03-31", "2024-01-01")
    with pytest.raises(AnalysisTypeError, match="seed"):
        wl_simulator("2024-01-01", "2024-03-31", seed="abc")
    with pytest.raises(AnalysisColumnError, match="waiting_list"):
        wl_simulator("2024-01-01", "2024-03-31", waiting_list=pd.DataFrame({"x": [1]}))
    with pytest.raises(AnalysisTypeError, match="start_date"):
        wl_simulator(None)


# --------------------------------------------------------------------------- the api


def test_the_notebook_names():
    for name in ("queue_load", "target_mean_wait", "target_queue_size", "relief_capacity",
                 "target_capacity", "waiting_list_pressure", "factor_for", "wl_queue_size",
                 "wl_referral_stats", "wl_removal_stats", "wl_stats", "wl_schedule",
                 "wl_simulator", "schedule_slots"):
        assert callable(getattr(workbench, name)), name
    assert workbench.target_queue_size(30, 52) == 390
