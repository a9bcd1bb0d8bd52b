"""The study summary at the top of the index: each notebook's answer in at most three
sentences and every verdict in one line with a link to its reasoning, chosen by a rule
fixed in code (headline role, the run's order), never by the values; counts through the
disclosure rule, private values masked; the board pack starts with it.
"""

from __future__ import annotations

import copy
import random
import re

import pytest
from report_helpers import SECRET, visible_text, write_study

from workbench.batch.runner import run_study
from workbench.report.export import build_pack
from workbench.report.study_index import (
    ANSWER_SENTENCES,
    answer_findings,
    render_index_pages,
    sentence_count,
    study_summary,
)


def _finding(fid: str, sentence: str, estimate: float, p: float, role: str = "") -> dict:
    return {"id": fid, "question": f"About {fid}?", "estimate": estimate,
            "ci_low": estimate - 1, "ci_high": estimate + 1, "p_value": p, "n": 200,
            "sentence": sentence, **({"role": role} if role else {})}


FINDINGS = [
    _finding("effect:a->b@nhs", "Waits were 1.0 weeks shorter (95% CI 0 to 2).", -1.0, 0.04),
    _finding("effect:a->b@nhs#mixed", "Same, mixed model.", -3.0, 1e-9),
    _finding("effect:a->c@nhs", "Staffing rose by 2 FTE.", 2.0, 0.3),
    _finding("effect:a->d@nhs", "Complaints fell. Mostly in winter.", -5.0, 1e-6),
    _finding("effect:a->e@nhs", "Balance failed.", 9.0, 1e-12, role="diagnostic"),
    _finding("effect:a->f@nhs", "FFT rose.", 0.1, 0.9),
]


def test_the_answer_is_headline_findings_in_the_run_order_up_to_three_sentences():
    chosen = [f["id"] for f in answer_findings(FINDINGS)]
    # robustness checks and diagnostics never; whole findings while the sentences fit
    assert chosen == ["effect:a->b@nhs", "effect:a->c@nhs"]
    assert sum(sentence_count(f["sentence"]) for f in answer_findings(FINDINGS)) \
        <= ANSWER_SENTENCES
    # a first finding longer than the limit is shown whole, alone
    long = _finding("e:x->y@all", "One. Two. Three. Four.", 1.0, 0.5)
    assert [f["id"] for f in answer_findings([long, FINDINGS[0]])] == ["e:x->y@all"]


def test_which_findings_answer_does_not_depend_on_their_values():
    rng = random.Random(1)
    expected = [f["id"] for f in answer_findings(FINDINGS)]
    for _ in range(20):
        shuffled = copy.deepcopy(FINDINGS)
        values = [(f["estimate"], f["p_value"]) for f in shuffled]
        rng.shuffle(values)
        for f, (estimate, p) in zip(shuffled, values):
            f.update(estimate=estimate, p_value=p, ci_low=estimate - 0.1, ci_high=estimate + 0.1)
        assert [f["id"] for f in answer_findings(shuffled)] == expected


def test_verdicts_one_line_each_with_a_link_to_the_reasoning():
    verdicts = [
        {"id": "verdict:private_shorter_waits@acute", "role": "headline",
         "question": "Private providers have shorter waiting times than the NHS.",
         "sentence": "Private providers have shorter waiting times than the NHS. Verdict: "
                     "supported. Judged on ... Rule: ...", "estimate": -2.9,
         "parameters": {"verdict": "supported"}},
        {"id": "verdict:waits_main_driver@acute", "role": "diagnostic",
         "question": "Waiting times are the main driver of dissatisfaction.",
         "sentence": "Waiting times are the main driver of dissatisfaction. Verdict: cannot "
                     "answer. The data hold no ...", "estimate": 0.0}]
    runs = [{"run_id": "06_claims", "title": "The claims register", "status": "ok",
             "report_href": "06_claims/report.html", "parameters": {},
             "findings": [*verdicts, _finding("descriptive:x->y@acute", "Some estimate.",
                                              1.0, 0.01, role="robustness")]}]
    group = study_summary(runs)[0]
    assert group["runs"][0]["answer"] == []  # a verdict is not an answer sentence
    assert [(v["claim"][:20], v["verdict"]) for v in group["runs"][0]["verdicts"]] == [
        ("Private providers ha", "supported"), ("Waiting times are th", "cannot answer")]
    page = render_index_pages({"name": "claims"}, runs)[0][1]
    text = visible_text(page)
    assert re.search(r"Private providers have shorter waiting times than the NHS\. Verdict: "
                     r"supported \( ?the reasoning ?\)", text)
    assert re.search(r"Verdict: cannot answer \( ?the reasoning ?\)", text)
    summary = page[page.index('id="what-the-study-found"'):page.index('id="runs"')]
    assert summary.count('href="06_claims/report.html"') == 3  # each verdict and the report


def test_the_index_opens_with_the_summary_under_the_disclosure_rule():
    runs = [
        {"run_id": "waits--trust-rx1", "notebook": "../notebooks/waits.ipynb",
         "title": "Are waits shorter?", "parameters": {"trust": "RX1 Example", "k": 1},
         "status": "ok", "report_href": "waits--trust-rx1/report.html", "n_findings": 9,
         "findings": [_finding("mean:complaints@RX1", "RX1 Example had 3 complaints.", 3.0,
                               0.5)]},
        {"run_id": "waits--trust-rx2", "notebook": "../notebooks/waits.ipynb",
         "title": "Are waits shorter?", "parameters": {"trust": "RX2", "k": 2},
         "status": "failed", "error": "ValueError: no rows for RX2", "findings": []},
        {"run_id": "other", "title": "Something else", "parameters": {}, "status": "ok",
         "report_href": "other/report.html", "findings": []}]
    page = render_index_pages({"name": "s", "title": "S", "private": ["trust"]}, runs)[0][1]
    text = visible_text(page)
    assert text.index("What the study found") < text.index("Runs") < text.index("All findings")
    summary = text[text.index("What the study found"):text.index("Runs")]
    # one heading per notebook, in the study's order; the runs of one notebook under it
    assert summary.index("Are waits shorter?") < summary.index("Something else")
    assert summary.count("Are waits shorter?") == 1
    assert "RX1 Example" not in page and re.search(r"trust = \[private [0-9a-f]{8}\], k = 1",
                                                   summary)
    assert "[private " in summary and "had * complaints." in summary  # a count of people
    assert "This run did not finish: ValueError: no rows for [private " in summary
    assert "(8 more findings there)" in summary
    assert 'href="glossary.html"' in page


@pytest.fixture(scope="module")
def small_study(tmp_path_factory):
    folder = tmp_path_factory.mktemp("summary")
    result = run_study(write_study(folder), out=folder / "out", progress=False)
    assert [r.status for r in result.results] == ["ok", "failed"]
    return folder / "out" / "stakeholder"


def test_the_board_pack_starts_with_the_summary_without_the_browser_table(small_study):
    for folder in (small_study, small_study / "public"):
        pack = build_pack(folder)
        first = pack.sections[0]
        assert first.title == "Summary"
        text = visible_text(first.html)
        assert text.index("What the study found") < text.index("Runs")
        assert "The mean was 4.50 units (95% CI 3.50 to 5.50)." in text
        assert "This run did not finish" in text and SECRET not in first.html
        assert "All findings" not in text  # the sortable table stays in the browser
        assert 'id="findings"' in (folder / "index.html").read_text(encoding="utf-8")


def test_the_default_study_index_opens_with_each_notebook_answer(default_study):
    for folder in (default_study, default_study / "public"):
        page = (folder / "index.html").read_text(encoding="utf-8")
        text = visible_text(page)
        summary = text[text.index("What the study found"):text.index("Runs")]
        for report in sorted(folder.glob("*/report.html")):
            html = report.read_text(encoding="utf-8")
            title = visible_text(re.search(r"<h1[^>]*>(.*?)</h1>", html, re.DOTALL).group(1))
            assert title in summary, title
        # each answer sentence is one of its report's headline sentences
        header = {r.parent.name: visible_text(r.read_text(encoding="utf-8"))
                  for r in folder.glob("*/report.html")}
        for sentence in re.findall(r"<li>(.*?)</li>", page[page.index("what-the-study-found"):
                                                         page.index('id="runs"')], re.DOTALL):
            plain = visible_text(sentence)
            assert any(plain in h for h in header.values()), plain
        assert "rtt_median_weeks, fft_pct_positive, ae_pct_within_4h, complaints_per_1000" \
            in summary  # notebook 13's list of measures, readable


def test_the_table_of_findings_marks_a_chart_s_limits():
    from workbench.report.study_index import study_findings

    rows = study_findings([{"run_id": "r", "findings": [
        {"id": "spc:y@R1", "estimate": 3.0, "ci_low": 1.0, "ci_high": 5.0},
        {"id": "effect:a->b@nhs", "estimate": 3.0, "ci_low": 1.0, "ci_high": 5.0}]}])
    assert [r["interval"] for r in rows] == ["1 to 5 (control limits)", "1 to 5"]
