"""A report's header shows parameters readably (a list as a short comma list, long values
shortened) and says what the answer's intervals are from the findings it shows: 95%
confidence intervals, a chart's control limits, or nothing when there are none.
"""

from __future__ import annotations

import nbformat
from report_helpers import visible_text

from workbench.report.run_report import VALUE_CHARACTERS, render_report

MEASURES = [{"measure": "rtt_median_weeks", "direction": "decrease", "target": 18},
            {"measure": "fft_pct_positive", "direction": "increase", "target": 90},
            {"measure": "ae_pct_within_4h", "direction": "increase", "target": 78},
            {"measure": "complaints_per_1000", "direction": "decrease"}]


def _header(parameters: dict, findings: list[dict]) -> str:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# A report")])
    html = render_report(nb, {"study": "demo", "parameters": parameters, "findings": findings})
    text = visible_text(html)
    return text[:text.index("Study demo") if "Study demo" in text else len(text)], text


def test_a_performance_report_header_names_no_confidence_intervals():
    findings = [{"id": "performance:ae_pct_within_4h@R006#2026-03", "role": "headline",
                 "estimate": 65.3, "ci_low": 62.2, "ci_high": 70.8, "model": "p'",
                 "sentence": "A&E seen within 4 hours: 65.3% (target 78.0%). Common cause "
                             "variation: no sign of change."}]
    head, text = _header({"providers": ["R006"], "measures": MEASURES}, findings)
    answer = head[head.index("The answer"):head.index("seen within 4 hours")]
    assert "confidence interval" not in answer
    assert "readings judged against each chart's control limits" in answer
    assert "providers = R006" in text or "R006" in text
    assert "rtt_median_weeks, fft_pct_positive, ae_pct_within_4h, complaints_per_1000" in text
    assert "{'measure'" not in text and "[R006]" not in text


def test_an_estimate_header_names_its_confidence_intervals():
    findings = [{"id": "effect:a->b@nhs", "role": "headline", "estimate": -0.4,
                 "ci_low": -0.5, "ci_high": -0.3, "sentence": "Waits were 0.4 weeks shorter "
                 "(95% CI 0.3 to 0.5 weeks shorter)."}]
    head, _ = _header({"subset": "nhs"}, findings)
    assert "95% confidence intervals in brackets" in head


def test_a_long_value_is_shortened():
    _, text = _header({"codes": [f"R{i:03d}" for i in range(200)]}, [])
    shown = text[text.index("R000"):]
    assert "(200 in all)" in shown and "R199" not in shown
    assert len(shown[:shown.index("(200 in all)")]) <= VALUE_CHARACTERS + 10
