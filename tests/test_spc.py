"""Hand-worked cases for the SPC (Making Data Count) calculations in workbench.analysis.monitoring.spc.

Most cases fix the limits on a 12-point baseline that alternates 2, -2 (mean 0, every
moving range 4, so mean MR 4): upper limit 2.66 x 4 = 10.64, the near line
(2/3) x 10.64 = 7.0933..., and the same below. The points after the baseline then
exercise one rule at a time.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from workbench.analysis.monitoring.spc import (
    TrialLimitsWarning,
    assurance_of,
    process_limits,
    spc,
    variation_of,
)
from workbench.errors import AnalysisInputError

BASE = [2.0, -2.0] * 6  # mean 0, mean MR 4 -> limits +/-10.64, near lines +/-7.0933


def frame(values, start="2022-01-01", facet=None):
    df = pd.DataFrame({"month": pd.date_range(start, periods=len(values), freq="MS"),
                       "y": [float(v) for v in values]})
    if facet is not None:
        df["org"] = facet
    return df


def fixed(pattern, **kw):
    """SPC with limits fixed on BASE; returns the rows after the baseline."""
    res = spc(frame(BASE + list(pattern)), "y", "month", fix_after_n_points=12, **kw)
    return res, res.table.iloc[12:].reset_index(drop=True)


def rules(table):
    return [None if pd.isna(r) else r for r in table["rule"]]


# --------------------------------------------------------------------------- limits


def test_limits_hand_worked_with_trial_warning():
    # y = 1, 3, 2, 4: mean 2.5; MR = 2, 1, 2 -> mean MR 5/3; nothing screened (< 5.445)
    with pytest.warns(TrialLimitsWarning, match="fewer than 12 points"):
        res = spc(frame([1, 3, 2, 4]), "y", "month")
    row = res.table.iloc[0]
    assert row["mean"] == pytest.approx(2.5)
    assert row["upl"] == pytest.approx(2.5 + 2.66 * 5 / 3)
    assert row["lpl"] == pytest.approx(2.5 - 2.66 * 5 / 3)
    assert row["near_upl"] == pytest.approx(2.5 + 2 / 3 * 2.66 * 5 / 3)
    assert row["near_lpl"] == pytest.approx(2.5 - 2 / 3 * 2.66 * 5 / 3)
    assert res.table["trial_limits"].all()
    assert res.table["relative_to_mean"].tolist() == [-1, 1, -1, 1]


def test_outlier_screening_drops_large_moving_ranges_once():
    # 0,1 x 6 then 10: MRs are eleven 1s and one 9; mean MR 20/12 = 1.667;
    # 9 >= 3.267 x 1.667 = 5.445 is screened -> mean MR 1.
    values = [0, 1] * 6 + [10]
    mean = 16 / 13
    screened = spc(frame(values), "y", "month")
    assert screened.table["upl"].iloc[0] == pytest.approx(mean + 2.66 * 1.0)
    raw = spc(frame(values), "y", "month", screen_outliers=False)
    assert raw.table["upl"].iloc[0] == pytest.approx(mean + 2.66 * 20 / 12)
    assert process_limits(np.array(values, float)) == pytest.approx((mean, 1.0))
    # the screening is applied once only: the recomputed mean MR (1) would now
    # screen nothing further, and a value of exactly 3.267 x MR is screened (>=)
    y = np.array([0.0, 3.267, 3.267, 3.267])  # MRs 3.267, 0, 0 -> mean 1.089
    assert process_limits(y)[1] == pytest.approx(3.267 / 3)


def test_constant_series_has_zero_width_limits_not_nan():
    res = spc(frame([5] * 12), "y", "month")
    assert res.table["upl"].eq(5).all() and res.table["lpl"].eq(5).all()
    assert (res.table["point_type"] == "common_cause").all()
    assert res.table["relative_to_mean"].eq(0).all()


def test_reference_tool_case_opposite_sides_close_to_limits_is_common_cause():
    # NHSRplotthedots test: alternating 1, -1 (16 points), last two 5.5 and -5.5
    y = [1.0, -1.0] * 8
    y[14], y[15] = 5.5, -5.5
    res = spc(frame(y), "y", "month")
    assert res.table["upl"].iloc[0] == pytest.approx(2.66 * 32.5 / 14)  # 11 screened
    assert res.table["point_type"].tail(2).tolist() == ["common_cause", "common_cause"]
    assert res.table["near_or_beyond"].tail(2).tolist() == [True, True]


def test_fix_after_n_points_uses_only_first_points_for_limits():
    values = BASE + [30, 31, 29, 30]
    res = spc(frame(values), "y", "month", fix_after_n_points=12)
    assert res.table["mean"].eq(0).all()
    assert res.table["upl"].iloc[-1] == pytest.approx(10.64)
    unfixed = spc(frame(values), "y", "month")
    assert unfixed.table["mean"].iloc[0] == pytest.approx(np.mean(values))


# --------------------------------------------------------------------------- rules


def test_outside_limits_and_exactly_on_limit():
    on_limit = 0.0 + 2.66 * 4.0  # the upper limit, computed as the module does
    _, t = fixed([1, 11, -1, on_limit, -1, -11])
    assert rules(t) == [None, "outside_limits", None, None, None, "outside_limits"]
    assert t["point_type"].tolist() == [
        "common_cause", "special_cause_improvement", "common_cause", "common_cause",
        "common_cause", "special_cause_concern"]
    assert bool(t["outside_limits"].iloc[3]) is False and bool(t["near_or_beyond"].iloc[3])
    _, t_dec = fixed([1, 11, -1, on_limit, -1, -11], improvement_direction="decrease")
    assert t_dec["point_type"].iloc[1] == "special_cause_concern"
    assert t_dec["point_type"].iloc[5] == "special_cause_improvement"


def test_shift_of_seven_flags_all_seven_and_six_is_not_enough():
    _, t = fixed([1] * 7 + [-1])
    assert rules(t) == ["shift"] * 7 + [None]
    assert (t["point_type"].iloc[:7] == "special_cause_improvement").all()
    _, t6 = fixed([1] * 6 + [-1])
    assert rules(t6) == [None] * 7
    # below the mean with "increase" is a concern; longer runs are flagged in full
    _, tb = fixed([-1] * 9 + [1])
    assert rules(tb) == ["shift"] * 9 + [None]
    assert (tb["point_type"].iloc[:9] == "special_cause_concern").all()


def test_point_on_the_mean_breaks_a_shift():
    _, t = fixed([1, 1, 1, 0, 1, 1, 1, -1])
    assert rules(t) == [None] * 8
    assert t["relative_to_mean"].iloc[3] == 0


def test_baseline_end_joins_a_run_on_its_side():
    # the baseline ends with -2: six more points below make a run of seven
    res, t = fixed([-1] * 6 + [1])
    assert rules(res.table)[11] == "shift"
    assert rules(t) == ["shift"] * 6 + [None]


def test_trend_of_seven_may_cross_the_mean_and_a_tie_breaks_it():
    _, t = fixed([-3, -2, -1, 0, 1, 2, 3, -1])
    assert rules(t) == ["trend"] * 7 + [None]
    assert (t["point_type"].iloc[:7] == "special_cause_improvement").all()
    _, tie = fixed([-3, -2, -1, -1, 0, 1, 2, -1])
    assert rules(tie) == [None] * 8
    _, six = fixed([-2, -1, 0, 1, 2, 3, -1])  # six points, five steps
    assert rules(six) == [None] * 7
    _, down = fixed([3, 2, 1, 0, -1, -2, -3, 1], improvement_direction="increase")
    assert rules(down) == ["trend"] * 7 + [None]
    assert (down["point_type"].iloc[:7] == "special_cause_concern").all()


def test_peak_shared_by_two_trends_takes_the_later_direction():
    _, t = fixed([-3, -2, -1, 0, 1, 2, 3, 2, 1, 0, -1, -2, -3, 1])
    assert rules(t) == ["trend"] * 13 + [None]
    # the peak (index 6) belongs to both; like NHSRplotthedots it takes the falling one
    assert t["point_type"].iloc[5] == "special_cause_improvement"
    assert t["point_type"].iloc[6] == "special_cause_concern"
    assert t["point_type"].iloc[7] == "special_cause_concern"


def test_two_in_three_flags_only_the_near_points_on_the_same_side():
    # 8 is beyond the near line (7.09) but inside the limit (10.64)
    _, t = fixed([8, 1, 8, -1])
    assert rules(t) == ["two_in_three", None, "two_in_three", None]
    assert t["point_type"].iloc[0] == "special_cause_improvement"
    # consecutive near points, and a low pair for "decrease" = improvement
    _, low = fixed([-1, -8, -8, 1], improvement_direction="decrease")
    assert rules(low) == [None, "two_in_three", "two_in_three", None]
    assert (low["point_type"].iloc[1:3] == "special_cause_improvement").all()
    # two near points with the other side of the mean on both sides: no window of
    # three lies wholly on one side, so no signal (as in NHSRplotthedots)
    _, boxed = fixed([1, -8, -8, 1])
    assert rules(boxed) == [None] * 4


def test_two_in_three_needs_all_three_on_the_same_side():
    _, t = fixed([8, -1, 8, -1])
    assert rules(t) == [None] * 4
    _, on_mean = fixed([8, 0, 8, -1])
    assert rules(on_mean) == [None] * 4
    _, apart = fixed([8, 1, 1, 8, -1])  # near points three apart
    assert rules(apart) == [None] * 5
    _, split = fixed([8, -1, -8, -1])  # near different limits
    assert rules(split) == [None] * 4


def test_two_in_three_counts_a_point_beyond_the_limit():
    # near then beyond: the near point is flagged by two-in-three, the other is outside
    _, t = fixed([8, 11, 1, -1])
    assert rules(t) == ["two_in_three", "outside_limits", None, None]


def test_precedence_trend_over_shift_sets_the_direction():
    # falling trend, all seven above the mean: trend wins, so a concern (falling)
    _, t = fixed([6, 5, 4, 3, 2, 1, 0.5, 3])
    assert rules(t) == ["trend"] * 7 + ["shift"]
    assert (t["point_type"].iloc[:7] == "special_cause_concern").all()
    assert t["point_type"].iloc[7] == "special_cause_improvement"


def test_precedence_outside_over_trend_and_two_in_three_over_shift():
    _, t = fixed([0.5, 1, 2, 3, 4, 5, 12, -1])
    assert rules(t) == ["trend"] * 6 + ["outside_limits", None]
    _, s = fixed([1, 1, 8, 1, 8, 1, 1, -1])
    assert rules(s) == ["shift", "shift", "two_in_three", "shift", "two_in_three", "shift",
                        "shift", None]


def test_neutral_direction_gives_neutral_types_and_no_assurance():
    res, t = fixed([11, -1, -11], improvement_direction="neutral", target=100)
    assert t["point_type"].tolist() == ["special_cause_neutral_high", "common_cause",
                                        "special_cause_neutral_low"]
    assert res.summary.loc[0, "variation"] == "neutral_low"
    assert pd.isna(res.summary.loc[0, "assurance"])


# --------------------------------------------------------------------------- summary


@pytest.mark.parametrize("last, direction, expected", [
    (11, "increase", "improvement_high"),
    (-11, "increase", "concern_low"),
    (11, "decrease", "concern_high"),
    (-11, "decrease", "improvement_low"),
    (1, "increase", "common_cause"),
])
def test_variation_from_last_point(last, direction, expected):
    res, _ = fixed([1, -1, last], improvement_direction=direction)
    assert res.summary.loc[0, "variation"] == expected
    assert variation_of(res.summary.loc[0, "point_type"], direction) == expected


@pytest.mark.parametrize("target, direction, expected", [
    (11, "increase", "consistent_fail"),
    (-11, "increase", "consistent_pass"),
    (5, "increase", "inconsistent"),
    (11, "decrease", "consistent_pass"),
    (-11, "decrease", "consistent_fail"),
    (10.64, "increase", "inconsistent"),  # on the limit
])
def test_assurance_against_last_group_limits(target, direction, expected):
    res, _ = fixed([1, -1], improvement_direction=direction, target=target)
    assert res.summary.loc[0, "assurance"] == expected
    assert assurance_of(None, -1, 1, "increase") is None


def test_assurance_uses_the_last_group_after_rebase():
    values = BASE + [50, 52] * 6  # second group mean 51, MR 2 -> limits 45.68..56.32
    df = frame(values)
    res = spc(df, "y", "month", rebase=[df["month"].iloc[12]], target=40)
    s = res.summary.iloc[0]
    assert s["mean"] == pytest.approx(51) and s["lpl"] == pytest.approx(51 - 5.32)
    assert s["assurance"] == "consistent_pass"
    assert s["rebase_group"] == 1


# --------------------------------------------------------------------------- rebase, facets


def test_rebase_starts_a_new_group_with_its_own_limits():
    values = BASE + [50, 52] * 6
    df = frame(values)
    res = spc(df, "y", "month", rebase=[str(df["month"].iloc[12].date())])
    t = res.table
    assert t["rebase_group"].tolist() == [0] * 12 + [1] * 12
    assert t["mean"].iloc[0] == pytest.approx(0) and t["mean"].iloc[-1] == pytest.approx(51)
    assert (t["point_type"] == "common_cause").all()
    # without rebasing the jump is a special cause
    assert (spc(df, "y", "month").table["point_type"] != "common_cause").any()


def test_rebase_rules_do_not_run_across_groups():
    # six points above the mean at the end of group 0 and one at the start of group 1
    values = [2.0, -2.0] * 3 + [1.0] * 6 + [1.0] + [-1.0, 1.0] * 6
    df = frame(values)
    res = spc(df, "y", "month", rebase=[df["month"].iloc[12]])
    assert rules(res.table) == [None] * len(values)
    assert rules(spc(df, "y", "month").table)[6:13] == ["shift"] * 7


def test_rebase_per_facet_and_bad_rebase_dates():
    a = frame(BASE + [50, 52] * 6, facet="A")
    b = frame(BASE + [50, 52] * 6, facet="B")
    df = pd.concat([a, b], ignore_index=True)
    res = spc(df, "y", "month", facet="org", rebase={"A": [a["month"].iloc[12]]})
    t = res.table
    assert t.loc[t["facet"] == "A", "rebase_group"].max() == 1
    assert t.loc[t["facet"] == "B", "rebase_group"].max() == 0
    with pytest.raises(AnalysisInputError, match="match no point"):
        spc(df, "y", "month", facet="org", rebase={"A": ["1999-01-01"]})
    with pytest.raises(AnalysisInputError, match="not in column 'org'"):
        spc(df, "y", "month", facet="org", rebase={"Z": [a["month"].iloc[12]]})
    with pytest.raises(AnalysisInputError, match="match no point"):
        spc(df, "y", "month", facet="org", rebase=["1999-01-01"])


def test_trial_limits_flag_and_warning_threshold():
    with pytest.warns(TrialLimitsWarning):
        res = spc(frame(BASE[:11]), "y", "month")
    assert res.table["trial_limits"].all() and res.summary.loc[0, "trial_limits"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", TrialLimitsWarning)
        res12 = spc(frame(BASE), "y", "month")
    assert not res12.table["trial_limits"].any()


def test_facets_are_independent_and_keep_their_order():
    a = frame(BASE + [11], facet="A")
    b = frame([v + 100 for v in BASE] + [101], facet="B")
    df = pd.concat([b, a], ignore_index=True).sample(frac=1, random_state=1)
    res = spc(df, "y", "month", facet="org", target={"A": 20})
    assert res.facets == ["B", "A"] or res.facets == ["A", "B"]
    alone = spc(a, "y", "month")
    got = res.table[res.table["facet"] == "A"].reset_index(drop=True)
    pd.testing.assert_series_equal(got["upl"], alone.table["upl"], check_names=False)
    assert got["point_type"].tolist() == alone.table["point_type"].tolist()
    s = res.summary.set_index("facet")
    assert s.loc["A", "assurance"] == "consistent_fail"
    assert pd.isna(s.loc["B", "assurance"])
    assert list(res.table.columns[:12]) == [
        "date", "value", "facet", "rebase_group", "mean", "lpl", "upl", "near_lpl",
        "near_upl", "relative_to_mean", "point_type", "rule"]


# --------------------------------------------------------------------------- bad input


def test_bad_inputs_give_clear_errors():
    df = frame(BASE)
    with pytest.raises(AnalysisInputError, match="not in the data"):
        spc(df, "nope", "month")
    with pytest.raises(AnalysisInputError, match="improvement_direction"):
        spc(df, "y", "month", improvement_direction="up")
    nan = df.copy()
    nan.loc[3, "y"] = np.nan
    with pytest.raises(AnalysisInputError, match=r"missing or infinite value\(s\) at rows \[3\]"):
        spc(nan, "y", "month")
    nodate = df.copy()
    nodate.loc[2, "month"] = pd.NaT
    with pytest.raises(AnalysisInputError, match="missing date"):
        spc(nodate, "y", "month")
    dup = pd.concat([df, df.iloc[[0]]], ignore_index=True)
    with pytest.raises(AnalysisInputError, match="repeats dates"):
        spc(dup, "y", "month")
    with pytest.raises(AnalysisInputError, match="at least 2 points"):
        spc(frame([1.0]), "y", "month")
    with pytest.raises(AnalysisInputError, match="has no rows"):
        spc(df.iloc[0:0], "y", "month")
    with pytest.raises(AnalysisInputError, match="fix_after_n_points"):
        spc(df, "y", "month", fix_after_n_points=1)
    text = df.assign(y=df["y"].astype(str))
    text.loc[1, "y"] = "n/a"
    with pytest.raises(AnalysisInputError, match="non-numeric"):
        spc(text, "y", "month")
    with pytest.raises(AnalysisInputError, match="target"):
        spc(df.assign(org="A"), "y", "month", facet="org", target={"Z": 1})


def test_duplicate_dates_in_different_facets_are_fine_and_rebase_group_alone_errors():
    df = pd.concat([frame(BASE, facet="A"), frame(BASE, facet="B")], ignore_index=True)
    assert len(spc(df, "y", "month", facet="org").table) == 24
    with pytest.raises(AnalysisInputError, match="at least 2 points"):
        spc(frame(BASE), "y", "month", rebase=[frame(BASE)["month"].iloc[-1]])


# --------------------------------------------------------------------------- chart


def test_spc_chart_draws_one_facet_and_small_multiples_draw_all(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from workbench.report.monitoring_charts import spc_chart, spc_small_multiples

    df = pd.concat([frame(BASE + [11, 12], facet="A"), frame(BASE + [1, -1], facet="B")],
                   ignore_index=True)
    res = spc(df, "y", "month", facet="org", target={"A": 20, "B": 0}, fix_after_n_points=12)
    with pytest.raises(AnalysisInputError, match="spc_small_multiples"):
        spc_chart(res)
    ax = spc_chart(res, "A", ylabel="Weeks")
    colours = {tuple(np.round(c, 3)) for coll in ax.collections for c in coll.get_facecolors()}
    assert (0.255, 0.714, 0.902, 1.0) in colours  # improvement blue for 11, 12
    assert len(ax.child_axes) == 2  # variation and assurance badges
    fig = spc_small_multiples(res, ncols=1, titles={"A": "Provider A"})
    titles = [a.get_title(loc="left") for a in fig.axes if a.get_title(loc="left")]
    assert titles == ["Provider A", "B"]
    fig.savefig(tmp_path / "spc.png")
    assert (tmp_path / "spc.png").stat().st_size > 0


# --------------------------------------------------------------------------- possible range


def test_bounds_cut_limits_at_the_possible_range_without_changing_the_rules():
    d = pd.date_range("2024-01-01", periods=12, freq="MS")
    df = pd.DataFrame({"d": d, "y": [99, 95, 100, 92, 99, 96, 100, 93, 98, 100, 94, 99]})
    plain = spc(df, "y", "d", target=97)
    cut = spc(df, "y", "d", target=97, bounds=(0, 100))
    assert plain.summary.loc[0, "upl"] > 100 and not plain.summary.loc[0, "limits_cut"]
    assert cut.summary.loc[0, "upl"] == 100.0 and cut.summary.loc[0, "limits_cut"]
    assert (cut.table["upl"] <= 100).all() and (cut.table["near_upl"] <= 100).all()
    assert cut.table["lpl"].tolist() == plain.table["lpl"].tolist()
    for col in ("point_type", "rule", "outside_limits", "near_or_beyond"):
        assert cut.table[col].astype(str).tolist() == plain.table[col].astype(str).tolist()
    assert cut.summary.loc[0, "assurance"] == plain.summary.loc[0, "assurance"]
    assert cut.options["bounds"] == [0.0, 100.0]
    low = spc(df.assign(y=df["y"] - 95), "y", "d", bounds=(0, None))
    assert low.summary.loc[0, "lpl"] == 0.0 and low.summary.loc[0, "limits_cut"]


@pytest.mark.parametrize("bounds", [(100, 0), ("a", 1), (1,)])
def test_bad_bounds_give_clear_errors(bounds):
    d = pd.date_range("2024-01-01", periods=4, freq="MS")
    with pytest.raises(AnalysisInputError, match="bounds"):
        spc(pd.DataFrame({"d": d, "y": [1.0, 2, 3, 4]}), "y", "d", bounds=bounds)
