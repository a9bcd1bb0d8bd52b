"""Tables shown to stakeholders are built for reading.

``Session.findings_table`` and ``Session.show`` (:mod:`workbench.report.tables`) give
tables of at most eight columns named in words, numbers written by the one formatter
(the same decimals for an estimate and its interval, p-values as ``< 0.001``, never in
e-notation) and no ids, hashes or formulas; in a report each row's numbers still go
through the disclosure rule. The page checks (:func:`page_problems`) read every
stakeholder page of the default study: no number in e-notation, no hex hash outside the
page's provenance line, no formula, no table wider than eight columns.
"""

from __future__ import annotations

import io

import pandas as pd
import pytest
from page_checks import page_problems, study_page_problems

from workbench.analysis.findings.record import Finding
from workbench.errors import AnalysisColumnError, ArgumentError
from workbench.report.disclosure import DisclosureLog, DisclosureRule, suppress_html
from workbench.report.tables import (
    MAX_COLUMNS,
    board_findings_table,
    estimate_and_interval,
    readable_table,
)


def _frame(html: str) -> pd.DataFrame:
    return pd.read_html(io.StringIO(html), keep_default_na=False)[0].astype(str)


def test_page_checks_catch_what_they_should():
    raw = pd.DataFrame({"id": ["a"], "p_value": [1.275071e-52], "formula": ["y ~ x + C(m)"],
                        "data_sha256": ["a08748fc7f81deadbeef"]})
    problems = page_problems(raw.to_html(), "raw")
    assert any("e-notation" in p for p in problems)
    assert any("formula" in p for p in problems)
    assert any("hash" in p for p in problems)
    wide = pd.DataFrame([range(9)], columns=[f"c{i}" for i in range(9)]).to_html(index=False)
    assert any("9 columns" in p for p in page_problems(wide))
    ok = ('<p>Waits fell by 0.43 weeks (95% CI 0.31 to 0.55), p &lt; 0.001; R001 and 2024-10'
          '</p><div class="wb-provenance">data sha256 <code>a08748fc7f81</code></div>')
    assert page_problems(ok) == []
    # a git commit whose short id reads like a number (10e28036) is provenance, not a number
    commit = '<p class="muted wb-provenance">git commit <code>10e28036</code></p>'
    assert page_problems(commit) == []
    assert any("e-notation" in p for p in page_problems("<p>commit 10e28036</p>"))


def test_estimate_and_interval_share_their_decimals():
    assert estimate_and_interval(1.93, 0.915, 4.09) == ("1.93", "0.92 to 4.09")
    assert estimate_and_interval(0.995, 0.989, 1.0) == ("0.995", "0.989 to 1.000")
    assert estimate_and_interval(-0.011, -0.0263, 0.00426) == ("-0.0110", "-0.0263 to 0.0043")
    assert estimate_and_interval(12345.6, 10000.0, 15000.0)[1] == "10000 to 15000"


def _findings() -> list[Finding]:
    return [
        Finding(id="effect:rtt_median_weeks->fft_pct_positive@acute#fe",
                question="Do longer waits lower satisfaction? (within provider)",
                estimate=-0.4321, ci_low=-0.551, ci_high=-0.3102, p_value=1.275071e-52,
                n=8640, unit="percentage points per week", model="ols", role="headline",
                formula="fft_pct_positive ~ rtt_median_weeks + C(period)",
                data_sha256="a08748fc7f81a08748fc7f81"),
        Finding(id="effect:rtt_median_weeks->fft_pct_positive@acute",
                question="Do longer waits lower satisfaction? (across providers)",
                estimate=-0.2, ci_low=-0.9, ci_high=0.5, p_value=0.57, n=8640,
                unit="percentage points per week", role="robustness"),
    ]


def test_findings_table_is_readable():
    truth = {"effect:rtt_median_weeks->fft_pct_positive@acute": -0.5}
    table = board_findings_table(_findings(), truth)
    frame = table.frame
    assert list(frame.columns) == ["Question", "Estimate", "95% interval", "p-value", "Unit",
                                   "Based on", "Read as", "True value"]
    assert len(frame.columns) <= MAX_COLUMNS
    first = frame.iloc[0]
    assert (first["Estimate"], first["95% interval"], first["p-value"]) == (
        "-0.432", "-0.551 to -0.310", "< 0.001")
    assert first["Read as"] == "the answer" and frame.iloc[1]["Read as"] == "a robustness check"
    assert first["True value"] == "-0.500 (inside the interval)"
    assert frame.iloc[1]["True value"] == "-0.5 (inside the interval)"
    assert page_problems(suppress_html(table.data)) == []


def test_findings_table_drops_empty_columns_and_the_role_when_all_are_answers():
    table = board_findings_table([Finding(id="a:x->y@nhs", question="q", estimate=2.0)])
    assert list(table.frame.columns) == ["Question", "Estimate"]


def test_findings_table_in_a_report_follows_the_disclosure_rule():
    fs = [Finding(id="spc:complaints@R1", question="Complaints at R1?", estimate=3.0,
                  ci_low=0.0, ci_high=7.1, n=12, unit="complaints"),
          Finding(id="funnel:fft_pct_positive@N020#2026-03", question="FFT at N020?", n=197,
                  estimate=99.49238579, estimate_kind="rate", numerator=196, denominator=197,
                  unit="%", p_value=0.0001, ci_low=80.1, ci_high=99.0),
          Finding(id="effect:x->y@nhs", question="Does x move y?", estimate=0.4321,
                  ci_low=0.31, ci_high=0.55, p_value=0.01, n=1234, n_kind="periods",
                  unit="weeks")]
    table = board_findings_table(fs, {"spc:complaints@R1": 2.0})
    notebook = _frame(table.data)
    assert notebook.loc[0, "Estimate"] == "3.0"  # the analyst sees the raw numbers
    log = DisclosureLog()
    html = suppress_html(table.data, DisclosureRule(), log=log, location="cell 4")
    shown = _frame(html)
    # a count of people of 1 to 7 is hidden, with its limits and whether they cover the truth
    assert shown.loc[0, ["Estimate", "Process limits" if "Process limits" in shown
                         else "Interval or limits", "True value"]].tolist() == ["*"] * 3
    assert shown.loc[0, "Based on"] == "10"
    # a share whose complement is 1 person is hidden, its interval and p-value with it
    iv = next(c for c in shown.columns if "interval" in c.lower() or "limits" in c.lower())
    assert shown.loc[1, ["Estimate", iv, "p-value"]].tolist() == ["*", "*", "*"]
    # a model estimate over months is shown as it is
    assert shown.loc[2, ["Estimate", iv, "Based on"]].tolist() == [
        "0.432", "0.310 to 0.550", "1,234 months"]
    assert "data-wb-disclosure" not in html  # the raw numbers never reach the page
    assert {e["location"] for e in log.entries} >= {"cell 4 row 1", "cell 4 row 2"}


def test_show_picks_orders_and_names_columns():
    df = pd.DataFrame({"provider_code": ["R1", "R2"], "provider_name": ["A", "B"],
                       "fft_responses": [4, 1234], "p_value": [1e-52, 0.2],
                       "mean": [12345678.123, 0.5], "when": pd.to_datetime(["2024-01-01",
                                                                           "2024-02-01"])})
    t = readable_table(df, {"provider_name": "Provider", "when": "Month",
                            "fft_responses": "Responses", "p_value": "p-value",
                            "mean": "Average"})
    assert list(t.frame.columns) == ["Provider", "Month", "Responses", "p-value", "Average"]
    assert t.frame.loc[0].tolist() == ["A", "January 2024", "4", "< 0.001", "12,345,678.123"]
    # the report reads each column under the data's name: responses are counts of people
    shown = _frame(suppress_html(t.data))
    assert shown["Responses"].tolist() == ["*", "1235"]
    assert page_problems(suppress_html(t.data)) == []


def test_show_counts_and_rates_by_either_name():
    df = pd.DataFrame({"ward": ["A", "B"], "seen": [3, 40], "pct": [33.3, 90.0]})
    for counts, rates in ((["seen"], {"pct": ["seen"]}), (["Seen"], {"% seen": ["Seen"]})):
        t = readable_table(df, {"ward": "Ward", "seen": "Seen", "pct": "% seen"},
                           counts=counts, rates=rates, digits=1)
        assert _frame(suppress_html(t.data)).loc[0].tolist() == ["A", "*", "*"]


def test_show_says_what_is_wrong():
    df = pd.DataFrame({"a": [1], "b": [2]})
    with pytest.raises(AnalysisColumnError, match="'c'"):
        readable_table(df, {"c": "C"})
    with pytest.raises(AnalysisColumnError, match="counts/rates"):
        readable_table(df, {"a": "A"}, counts=["b"])
    with pytest.raises(ArgumentError, match="one name"):
        readable_table(df, {"a": "Same", "b": "Same"})
    with pytest.warns(UserWarning, match="more than a page holds"):
        readable_table(pd.DataFrame([range(9)], columns=[f"c{i}" for i in range(9)]))


def test_session_methods_display_once(tmp_path, monkeypatch):
    import IPython.display

    import workbench

    s = workbench.start("demo", seed=1, n_providers=30, n_months=3, output_dir=str(tmp_path))
    found = s.add([Finding(id="a:x->y@nhs", question="q", estimate=1.0, ci_low=0.5,
                           ci_high=1.5)])
    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *a, **k: shown.extend(a))
    t = s.findings_table(found)
    assert shown == [t]  # in a kernel, display(t) calls t._ipython_display_()
    assert "Question" in t.frame.columns and "data-wb-disclosure" in t.data
    t._ipython_display_()  # shown: the HTML once
    t._ipython_display_()  # ending a cell: nothing more
    assert len(shown) == 2 and shown[1].data == t.data
    table = s.table(found)  # the analyst's full record is unchanged
    assert {"id", "formula", "data_sha256", "ci_low"} <= set(table.columns)


def test_default_study_pages_are_built_for_reading(default_study):
    assert study_page_problems(default_study, at_least=10) == []


@pytest.mark.slow
def test_claims_study_pages_are_built_for_reading(tmp_path):
    """The claims register on the synthetic default (studies/seed_claims.yaml)."""
    from batch_helpers import run_repo_study

    assert study_page_problems(run_repo_study("seed_claims", tmp_path)) == []
