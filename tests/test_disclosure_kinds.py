"""Disclosure by what a number is: kinds, typed sentences and tables, secondary
suppression, figures, the output-checking record and private parameters (fast: no study)."""

from __future__ import annotations

import io
import json
import re

import matplotlib
import nbformat
import pandas as pd
import pytest

from workbench.analysis.findings import kinds as K
from workbench.analysis.findings.record import Finding
from workbench.analysis.questions import provider_funnel as fv
from workbench.analysis.questions import spc_monitoring as sv
from workbench.data.synth import generate
from workbench.report.disclosure import (
    DisclosureLog,
    DisclosureRule,
    disclose_finding,
    disclose_phrase,
    disclose_text,
    show_values,
    suppress_frame,
    suppress_html,
)
from workbench.report.figure_disclosure import figure_data, safe_funnel, safe_spc
from workbench.report.output_checks import checks_record
from workbench.report.run_report import render_report

matplotlib.use("Agg")

RULE = DisclosureRule()


@pytest.fixture(scope="module")
def panel():
    return generate(seed=20240430, n_providers=240, n_months=36).panel


def _shown(**values):
    return {k: s.text for k, s in show_values(values, RULE).items()}


# ---- the rule on kinds ------------------------------------------------------------------

def test_counts_of_people_hidden_or_rounded_by_kind_not_by_words():
    assert _shown(a=K.count(3, "responses"), b=K.count(12, "responses"),
                  c=K.count(1234, "responses"), z=K.count(0)) == {
        "a": "*", "b": "10", "c": "1,235", "z": "0"}


@pytest.mark.parametrize("value", [K.periods(24), K.periods(36), K.providers(6),
                                   K.estimate(0.24, style="signed"), K.national(3)])
def test_exempt_kinds_are_shown_as_they_are(value):
    assert _shown(v=value)["v"] == value.text()


def test_a_rate_is_hidden_when_its_numerator_complement_or_denominator_is():
    assert _shown(r=K.rate(99.49238579, 196, 197))["r"] == "*"      # 1 negative response
    assert _shown(r=K.rate(5.0, 5, 100))["r"] == "*"               # 5 positive responses
    assert _shown(r=K.rate(66.7, 2, 3))["r"] == "*"                # 3 responses
    assert _shown(r=K.rate(99.0, 198, 200))["r"] == "*"            # 2 negative
    assert _shown(r=K.rate(92.5, 185, 200))["r"] == "92.5%"       # 15 negative: shown
    # a rate per month of a count is hidden with its total, not with a complement
    assert _shown(r=K.rate(0.25, 6, 24, unit="", base=K.PERIODS))["r"] == "*"
    assert _shown(r=K.rate(27.3, 655, 24, unit="", base=K.PERIODS))["r"] == "27.3"


def test_rates_are_shown_to_fixed_few_decimals_so_they_cannot_be_solved_back():
    rec = disclose_finding({"id": "funnel:fft_pct_positive@N1#2026-03", "estimate": 93.0232558,
                            "estimate_kind": "rate", "numerator": 200, "denominator": 215,
                            "n": 215, "unit": "%"})
    assert rec["estimate"] == "93.0" and rec["n"] == "215" and rec["numerator"] == "200"


def test_values_follow_the_value_they_would_give_back():
    out = _shown(rate=K.rate(99.5, 196, 197), pos=K.count(196, follows="rate"),
                 n=K.count(197), upper=K.estimate(99.9, follows="rate"))
    assert out == {"rate": "*", "pos": "*", "n": "195", "upper": "*"}


def test_finding_interval_p_value_and_adjusted_p_of_a_hidden_rate_are_hidden():
    rec = disclose_finding({"id": "funnel:fft_pct_positive@N020#2026-03", "n": 197,
                            "estimate": 99.49238579, "estimate_kind": "rate",
                            "numerator": 196, "denominator": 197, "unit": "%",
                            "p_value": 1e-5, "ci_low": 85.0, "ci_high": 99.1})
    assert (rec["estimate"], rec["ci_low"], rec["ci_high"], rec["p_value"]) == ("*",) * 4
    assert "99.49238579" not in json.dumps(rec)


def test_months_of_spc_and_its_findings_are_not_rounded(panel):
    v = sv.spc_view(panel, "rtt_median_weeks", ["R001"])
    f = v.findings()[0].to_dict()
    assert f["n"] == 36 and disclose_finding(f)["n"] == "36"
    its = disclose_finding({"id": "its:y@x", "n": 24, "n_kind": "periods", "estimate": 1.2,
                            "estimate_kind": "estimate"})
    assert its["n"] == "24"


def test_mediation_estimates_through_waits_are_not_hidden():
    sentence = ("Indirect effect: FFT positive responses changed by +0.24 (95% CI +0.13 to "
                "+0.35) through RTT median wait per nurse.")
    untyped = disclose_finding({"id": "indirect:a->b@acute", "estimate": 0.24,
                                "sentence": sentence})
    typed = disclose_finding({"id": "indirect:a->b@acute", "estimate": 0.24,
                              "estimate_kind": "estimate", "sentence": sentence})
    assert untyped["sentence"] == typed["sentence"] == sentence
    assert disclose_text("+0.24 through RTT median wait") == "+0.24 through RTT median wait"


def test_typed_sentences_never_pass_through_the_text_rule():
    p = K.phrase("{who}: {x} complaints in {m} months; {e} patients higher",
                 who="R1 (3 patients)", x=K.count(30), m=K.periods(6),
                 e=K.estimate(3.2))
    log = DisclosureLog()
    assert disclose_phrase(p, log=log) == "R1 (3 patients): 30 complaints in 6 months; 3.2 patients higher"
    assert log.entries == []


# ---- the workbench's own findings --------------------------------------------------------

def test_funnel_outliers_of_the_default_data_hide_what_the_issue_recomputed(panel):
    view = fv.funnel_view(panel, "fft_pct_positive", setting="acute")
    records = {f.id.split("@")[1].split("#")[0]: f.to_dict() for f in view.findings()}
    shown = {code: disclose_finding(r) for code, r in records.items()}
    for code in ("N020", "N035", "N033", "N047"):   # 196/197, 122/123, 198/200, 221/223
        s = shown[code]
        assert s["estimate"] == "*" and s["numerator"] == "*" and s["p_value"] == "*"
        assert re.search(r": \* \(\* of [\d,]+ responses\)", s["sentence"]), s["sentence"]
    assert shown["N020"]["n"] == "195" and "196" not in shown["N020"]["sentence"]


def test_complaints_funnel_table_no_longer_gives_back_observed_counts(panel):
    # every setting: some outliers then have 1 to 7 complaints (in acute alone none has)
    view = fv.funnel_view(panel, "complaints", setting="")
    table = fv.outlier_table(view)
    raw = table.frame.set_index("provider_code")
    html = suppress_html(table._repr_html_())
    assert "data-wb-disclosure" not in html
    cells = pd.read_html(io.StringIO(html))[0].set_index("provider_code")
    small = raw[raw["numerator"].between(1, 7)]
    assert len(small), "the table has no small count to check"
    for code in small.index:
        shown = cells.loc[code]
        assert {str(shown[c]) for c in ("value", "numerator", "lower", "upper", "z")} \
            == {"*"}, (code, shown.to_dict())
        assert str(shown["denominator"]) != "*"   # expected events: a model value


def test_spc_of_a_count_measure_hides_latest_mean_and_limits_when_small(panel):
    view = sv.spc_view(panel, "complaints", ["N001", "R001"], chart="xmr")
    rows = {f.id: disclose_finding(f.to_dict()) for f in view.findings()}
    n001, r001 = rows["spc:complaints@N001"], rows["spc:complaints@R001"]
    assert n001["n"] == "36" and r001["n"] == "36"
    assert "(* complaints)" in n001["sentence"]
    assert re.search(r"latest value \((30|35|25) complaints\)", r001["sentence"])
    html = suppress_html(sv.spc_table(view)._repr_html_())
    cells = pd.read_html(io.StringIO(html))[0].set_index("provider_code")
    assert str(cells.loc["N001", "latest"]) == "*"
    assert int(cells.loc["R001", "total"]) % 5 == 0 and int(cells.loc["R001", "months"]) == 36


def test_secondary_suppression_hides_a_second_part_of_a_total():
    t = pd.DataFrame({"all": [12, 40, 9], "nhs": [3, 20, 0], "independent": [9, 20, 9]})
    out = suppress_frame(t, DisclosureRule(round_to=1),
                         kinds={c: {"kind": "people"} for c in t},
                         sums=[{"total": "all", "parts": ["nhs", "independent"]}])
    assert out.values.tolist() == [["12", "*", "*"], ["40", "20", "20"], ["9", "0", "9"]]
    # no single hidden cell is left that subtraction would give back
    for row in out.values.tolist():
        assert sum(c == "*" for c in row) != 1


# ---- reports: typed sentences and tables ------------------------------------------------

def _nb(*outputs) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output("display_data", data=o) for o in outputs]
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# T"), cell])


def test_reports_build_typed_sentences_and_read_plain_ones_with_the_text_rule():
    typed = K.Phrases([K.phrase("{who}: latest {x}; mediated {e} through RTT median wait",
                                who="<b>R1</b>", x=K.count(3, "complaints", style="quantity"),
                                e=K.estimate(0.24, style="signed")),
                       "Only 4 patients replied."])._repr_mimebundle_()
    html = render_report(_nb(typed), {"study": "s"})
    from bs4 import BeautifulSoup

    text = " ".join(BeautifulSoup(html, "html.parser").get_text(" ").split())
    assert "<b>R1</b>: latest * complaints; mediated +0.24 through RTT median wait" in text
    assert "Only * patients replied." in text and "<b>R1" not in html  # shown as written


# ---- figures -------------------------------------------------------------------------------

def test_spc_chart_of_small_counts_is_not_drawn_and_says_why(panel):
    import matplotlib.pyplot as plt

    from workbench.report.monitoring_charts import spc_small_multiples

    view = sv.spc_view(panel, "complaints", ["N001", "R001"], chart="xmr")
    fig = spc_small_multiples(view.result, kind=sv.chart_kind(view))
    data = figure_data(fig)
    plt.close(fig)
    n001, r001 = data["axes"][0], data["axes"][1]
    assert any("Not drawn" in t for t in n001["texts"]) and not n001["lines"]
    values = [y for line in r001["lines"] if line["gid"].startswith("wb:people")
              for y in line["y"] if y is not None]
    assert values and all(y % 5 == 0 for y in values)


def test_funnel_chart_leaves_out_hidden_rates_and_rounds_denominators(panel):
    view = fv.funnel_view(panel, "fft_pct_positive", setting="acute")
    safe, note = safe_funnel(view.result)
    assert not set(safe.table["label"]) & {"N020", "N035", "N033", "N047"}
    assert (safe.table["denominator"] % 5 == 0).all() and "not drawn" in note
    rate, _ = safe_spc(sv.spc_view(panel, "fft_pct_positive", ["N001"]).result)
    assert rate.table["value"].isna().any() and "numerator" not in rate.table


# ---- the output-checking record --------------------------------------------------------

def test_checks_record_follows_acro_and_holds_no_original():
    findings = [{"id": "effect:a->b@nhs", "estimate": 0.3, "df_resid": 6.0, "n": 12,
                 "model": "ols"},
                {"id": "funnel:fft_pct_positive@N1#2026-03", "estimate": 99.49238579,
                 "estimate_kind": "rate", "numerator": 196, "denominator": 197, "n": 197,
                 "unit": "%"}]
    log = DisclosureLog()
    suppress_html(pd.DataFrame({"complaints": [3, 12]}).to_html(index=False), log=log,
                  location="cell 4 output 0")
    rec = checks_record(findings, log.entries)
    outs = list(rec["results"].values())
    assert [o["type"] for o in outs] == ["regression", "table", "table"]
    assert outs[0]["status"] == "fail" and outs[0]["properties"]["dof"] == 6.0
    assert outs[1]["status"] == "review"
    assert outs[1]["files"][0]["sdc"]["summary"]["threshold"] >= 1
    for o in outs:
        assert set(o) >= {"uid", "status", "type", "properties", "files", "outcome",
                          "command", "summary", "timestamp", "comments", "exception"}
    text = json.dumps(rec)
    assert "99.49238579" not in text and "196" not in text and '"3"' not in text
    assert rec["workbench"]["threshold"] == 7 and "dominance" in rec["workbench"]


# ---- private parameters ----------------------------------------------------------------

def test_private_values_become_digests_in_run_ids_and_tables(monkeypatch):
    from workbench.batch.study import make_run_id
    from workbench.report.masking import KEY_ENV, mask_private, private_label

    monkeypatch.setenv(KEY_ENV, "test key")
    note = "call_ward_manager_07700900123"
    a = make_run_id("nb.ipynb", {"analyst_note": note, "subset": "nhs"}, private=("analyst_note",))
    b = make_run_id("nb.ipynb", {"analyst_note": note + "4", "subset": "nhs"},
                    private=("analyst_note",))
    assert "07700900123" not in a and a != b and "--analyst_note-private_" in a
    rows = pd.DataFrame({"run_id": [a], "id": [f"x@{note}"], "sentence": [f"Note {note}."],
                         "parameters": [""]})
    masked = mask_private(rows, ["analyst_note"], runs={a: {"analyst_note": note}})
    assert note not in masked.to_csv() and private_label(note) in masked.loc[0, "sentence"]


def test_short_private_codes_are_scrubbed_as_whole_words(monkeypatch):
    from workbench.report.masking import KEY_ENV, private_replacements, scrub

    monkeypatch.setenv(KEY_ENV, "test key")
    repl = private_replacements({"providers": ["RX1", "N001"]}, ["providers"])
    out = scrub("RX1 and RX12 and N001", repl)
    assert "RX1 " not in out and "RX12" in out and "N001" not in out


def test_findings_keep_their_raw_numbers():
    f = Finding(id="funnel:fft_pct_positive@N1#2026-03", question="q", estimate=99.49238579,
                n=197, estimate_kind="rate", numerator=196.0, denominator=197.0)
    rec = f.to_dict()
    assert rec["estimate"] == 99.49238579 and rec["numerator"] == 196.0
    assert "wording" not in rec   # empty kind fields are left out of findings.json
