"""Notebook 13, the integrated performance report: the Making Data Count matrix of many
measures (variation and assurance icons, latest value, target, reading), its findings, its
page parts, and the notebook in the default study and (slow) on the published files."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import workbench
from workbench.analysis.findings import kinds as K
from workbench.analysis.questions import integrated_performance_report as q13
from workbench.batch.runner import run_study
from workbench.batch.study import load_study
from workbench.data.synth import generate
from workbench.errors import AnalysisInputError, WorkbenchError
from workbench.report import performance_matrix as pm
from workbench.report.disclosure import disclose_phrase

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "real"
NOTEBOOK = "13_integrated_performance_report"


@pytest.fixture(scope="module")
def panel():
    return generate(seed=5, n_providers=40, n_months=24).panel


def shifted(panel, code, last=8, **changes):
    """``panel`` with each ``column=amount`` added to ``code``'s last ``last`` months."""
    p = panel.copy()
    rows = p.index[p["provider_code"] == code][-last:]
    for column, amount in changes.items():
        p.loc[rows, column] = p.loc[rows, column] + amount
    return p


def test_an_inserted_shift_shows_special_cause_in_its_direction(panel):
    # RTT median wait up 6 weeks (lower is better): concern from higher values
    up = shifted(panel, "R001", rtt_median_weeks=6.0)
    r = q13.performance_report(up, [{"measure": "rtt_median_weeks", "direction": "lower"}],
                               ["R001"])
    row = r.measures[0]
    assert row.view.chart == "xmr"
    assert row.variation == "concern_high"
    assert row.reading.startswith("Special cause concern (higher values)")
    # the same shift down is an improvement from lower values
    down = shifted(panel, "R001", rtt_median_weeks=-6.0)
    r = q13.performance_report(down, ["rtt_median_weeks"], ["R001"])
    assert r.measures[0].variation == "improvement_low"
    # FFT: 5% more of each month's responses positive (higher is better), on a p' chart
    p = panel.copy()
    rows = p.index[p["provider_code"] == "R002"][-8:]
    gain = np.minimum(p.loc[rows, "fft_responses"] - p.loc[rows, "fft_positive"],
                      (0.05 * p.loc[rows, "fft_responses"]).round())
    p.loc[rows, "fft_positive"] += gain
    r = q13.performance_report(p, ["fft_pct_positive"], ["R002"])
    assert r.measures[0].view.chart == "p'"
    assert r.measures[0].variation == "improvement_high"
    # without the shift the same months are common cause
    r = q13.performance_report(panel, ["fft_pct_positive", "rtt_median_weeks"], ["R002"])
    assert [m.variation for m in r.measures] == ["common_cause", "common_cause"]


@pytest.mark.parametrize("where", ["above", "between", "below"])
@pytest.mark.parametrize("direction", ["increase", "decrease"])
def test_assurance_is_the_target_against_the_latest_limits(panel, where, direction):
    base = q13.performance_report(panel, ["fft_pct_positive"], ["R003"]).measures[0]
    s = base.view.result.summary.iloc[0]
    lpl, upl = float(s["lpl"]), float(s["upl"])
    target = {"above": upl + 0.5, "between": (lpl + upl) / 2, "below": lpl - 0.5}[where]
    r = q13.performance_report(panel, [{"measure": "fft_pct_positive", "target": target,
                                        "direction": direction}], ["R003"]).measures[0]
    expected = {("above", "increase"): "consistent_fail", ("below", "increase"): "consistent_pass",
                ("above", "decrease"): "consistent_pass", ("below", "decrease"): "consistent_fail"
                }.get((where, direction), "inconsistent")
    assert r.assurance == expected
    words = {"consistent_pass": "the target will consistently be met",
             "consistent_fail": "the target will consistently be missed",
             "inconsistent": "hit and miss"}[expected]
    assert words in r.reading


def test_no_target_or_no_better_direction_gives_no_assurance(panel):
    r = q13.performance_report(panel, ["complaints_per_1000",
                                       {"measure": "rtt_median_weeks", "direction": "neutral",
                                        "target": 18}], ["R001"])
    no_target, neutral = r.measures
    assert no_target.assurance == "" and q13.assurance_words(no_target) == "No target"
    assert neutral.assurance == "" and q13.assurance_words(neutral) == "No assurance"
    assert neutral.variation in ("common_cause", "neutral_high", "neutral_low")
    assert "a target needs a better direction" in neutral.reading


def test_the_matrix_is_a_readable_table(panel):
    r = q13.performance_report(panel, [
        {"measure": "rtt_median_weeks", "direction": "decrease", "target": 18},
        {"measure": "fft_pct_positive", "target": 90}, "complaints",
        "staff_engagement"], ["R001"], end="2024-12")
    m = r.matrix()
    assert list(m.columns) == ["Measure", "Latest month", "Latest value", "Target",
                               "Variation", "Assurance", "Reading"]
    assert len(m) == 4 and m.shape[1] <= 8
    text = m.to_string()
    assert "R001" not in text and "spc:" not in text and "performance:" not in text
    assert not re.search(r"\de[+-]\d", text)                 # no e-notation
    rtt, fft, complaints, engagement = m.to_dict("records")
    assert rtt["Measure"] == "RTT median wait (weeks); lower is better"
    assert rtt["Target"] == "18.0 weeks" and rtt["Latest value"].endswith(" weeks")
    assert rtt["Latest month"] == "December 2024"
    assert re.fullmatch(r"\d+\.\d%", fft["Latest value"]) and fft["Target"] == "90.0%"
    assert complaints["Target"] == "" and complaints["Assurance"] == "No target"
    assert engagement["Variation"] in q13.VARIATION_SHORT.values()


def test_a_measure_the_data_cannot_chart_keeps_its_row_with_the_reason(panel):
    p = panel.copy()
    p.loc[p["period"] < p["period"].max(), "rtt_pct_within_18w"] = np.nan  # one month only
    r = q13.performance_report(p, [{"measure": "rtt_pct_within_18w", "target": 92},
                                   "fft_pct_positive"], ["R001"])
    one, fft = r.measures
    assert not one.charted and fft.charted
    assert "only one month" in one.reason and one.latest is not None
    assert one.reading.startswith("Not charted:")
    assert [f.key.outcome for f in r.findings()] == ["fft_pct_positive"]
    assert any("RTT waiting within 18 weeks" in n and "not charted" in n for n in r.limits())
    early = q13.performance_report(p, ["rtt_pct_within_18w"], ["R001"], end="2023-12")
    assert "no month of it in the chosen months" in early.measures[0].reason
    assert early.answer().text().startswith("For Synthetic NHS Trust 001, 0 measures")


def test_a_group_adds_counts_and_keeps_months_every_provider_has(panel):
    codes = ["R001", "R002", "R003"]
    p = panel.copy()
    gap = p.index[(p["provider_code"] == "R002")][3]
    p.loc[gap, ["fft_positive", "fft_responses", "fft_pct_positive"]] = np.nan
    r = q13.performance_report(p, ["fft_pct_positive", "rtt_median_weeks"], codes,
                               group_name="North group")
    assert r.group and r.unit_code == "North_group" and r.unit_name == "North group"
    fft, rtt = r.measures
    last = p[p["provider_code"].isin(codes) & (p["period"] == p["period"].max())]
    pooled = 100 * last["fft_positive"].sum() / last["fft_responses"].sum()
    assert fft.latest.value == pytest.approx(pooled)
    assert fft.latest.numerator == pytest.approx(last["fft_positive"].sum())
    assert rtt.latest.value == pytest.approx(last["rtt_median_weeks"].mean())
    assert len(fft.view.result.table) == p["period"].nunique() - 1
    assert any("1 month(s) left out" in n for n in r.limits())


def test_findings_one_per_measure_with_the_latest_value(panel):
    r = q13.performance_report(panel, [
        {"measure": "fft_pct_positive", "target": 90}, "complaints",
        {"measure": "rtt_median_weeks", "target": 18}], ["R004"])
    found = r.findings()
    month = f"{panel['period'].max():%Y-%m}"
    assert [f.id for f in found] == [f"performance:{m}@R004#{month}" for m in
                                     ("fft_pct_positive", "complaints", "rtt_median_weeks")]
    fft, complaints, rtt = found
    s = r.measures[0].view.result.summary.iloc[0]
    assert fft.estimate == pytest.approx(float(s["last_value"]))
    assert (fft.ci_low, fft.ci_high) == pytest.approx((float(s["lpl"]), float(s["upl"])))
    assert fft.estimate_kind == "rate" and fft.numerator <= fft.denominator
    assert complaints.estimate_kind == "people" and rtt.estimate_kind == "estimate"
    assert {f.n_kind for f in found} == {"periods"} and {f.role for f in found} == {"headline"}
    assert "(target 90.0%)" in fft.sentence and "Synthetic NHS Trust 004" in fft.sentence
    assert r.measures[0].reading in fft.sentence
    again = r.findings(question="How is it going?")
    assert {f.question for f in again} == {"How is it going?"}


@pytest.mark.parametrize("measures, words", [
    ([], "is empty"),
    ([{"measure": "rtt_median_weeks", "goal": 18}], "key(s) ['goal']"),
    ([{"measure": "rtt_median_weeks", "direction": "sideways"}], "direction 'sideways'"),
    ([{"measure": "rtt_median_weeks", "target": "18 weeks"}], "target '18 weeks'"),
    ([{"measure": "rtt_median_weeks", "chart": "pie"}], "chart 'pie'"),
    (["rtt_median_weeks", "rtt_median_weeks"], "more than once"),
])
def test_bad_measures_are_named(panel, measures, words):
    with pytest.raises(AnalysisInputError, match="measures") as err:
        q13.performance_report(panel, measures, ["R001"])
    assert words in str(err.value)


def test_bad_providers_and_months_are_named(panel):
    with pytest.raises(WorkbenchError, match="rtt_median_wks"):
        q13.performance_report(panel, ["rtt_median_wks"], ["R001"])
    with pytest.raises(AnalysisInputError, match="providers.*R9999"):
        q13.performance_report(panel, ["rtt_median_weeks"], ["R9999"])
    with pytest.raises(AnalysisInputError, match="start.*YYYY-MM"):
        q13.performance_report(panel, ["rtt_median_weeks"], ["R001"], start="April 2024")
    with pytest.raises(AnalysisInputError, match="after end"):
        q13.performance_report(panel, ["rtt_median_weeks"], ["R001"], start="2024-06",
                               end="2024-01")
    default = q13.performance_report(panel, ["rtt_median_weeks"])
    assert default.providers == ["R001"]


def test_the_page_matrix_shows_every_number_under_the_disclosure_rule(panel):
    p = panel.copy()
    last = p.index[(p["provider_code"] == "R001")][-1]
    p.loc[last, ["complaints"]] = 3.0                       # a small count of people
    p.loc[last, "complaints_per_1000"] = 3.0 / p.loc[last, "episodes"] * 1000
    r = q13.performance_report(p, ["complaints", "complaints_per_1000",
                                   {"measure": "fft_pct_positive", "target": 90}], ["R001"])
    phrase = workbench.performance_matrix(r)
    raw = phrase.text()
    shown = disclose_phrase(K.Phrase.from_dict(phrase.to_dict()))
    rows = [line for line in shown.splitlines()
            if line.startswith(("| Written complaints", "| Complaints per"))]
    assert len(rows) == 2 and all("| * |" in row or "| * complaints |" in row for row in rows)
    assert "3.0 complaints" in raw                          # the analyst's view
    assert raw.count("<img ") == 4                          # variation x3, assurance x1
    header = shown.splitlines()[0]
    assert header.count("|") - 1 == 7
    assert 'alt="Variation icon: ' in shown and 'alt="Assurance icon: ' in shown


def test_each_icon_is_its_own_image_described_in_words():
    images = {pm.icon_png("variation", c) for c in pm.VARIATION_ICONS}
    images |= {pm.icon_png("assurance", c) for c in pm.ASSURANCE_ICONS}
    assert len(images) == len(pm.VARIATION_ICONS) + len(pm.ASSURANCE_ICONS)
    assert set(pm.VARIATION_ICONS) == set(q13.VARIATION_SHORT)
    assert set(pm.ASSURANCE_ICONS) == set(q13.ASSURANCE_SHORT)
    legend = workbench.icon_legend().text()
    for name, looks, means in [*pm.VARIATION_ICONS.values(), *pm.ASSURANCE_ICONS.values()]:
        assert name.capitalize() in legend and looks in legend and means in legend
    with pytest.raises(AnalysisInputError, match="code"):
        pm.icon_png("variation", "consistent_pass")


def test_the_charts_draw_each_charted_measure(panel):
    r = q13.performance_report(panel, ["rtt_median_weeks", "fft_pct_positive", "complaints"],
                               ["R001"])
    fig = workbench.performance_charts(r, ncols=2)
    titles = [a.get_title(loc="left") for a in fig.axes if a.get_visible()
              and a.get_title(loc="left")]
    assert titles == ["RTT median wait (weeks)\nXmR chart",
                      "FFT positive responses (%)\np' chart", "Written complaints\nXmR chart"]
    import matplotlib.pyplot as plt
    plt.close(fig)


def _study_with(path: Path, name: str, data: str, run) -> Path:
    params = "\n".join(f"      {k}: !literal {json.dumps(v)}" if isinstance(v, list)
                       else f"      {k}: {json.dumps(v)}" for k, v in run.parameters.items())
    path.write_text(f"name: {name}\ndata:\n{data}\nruns:\n  - notebook: {run.notebook}\n"
                    f"    parameters:\n{params}\n", encoding="utf-8")
    return path


def _run_of(study: str):
    [run] = [r for r in load_study(ROOT / "studies" / f"{study}.yaml").runs
             if r.notebook.stem == NOTEBOOK]
    return run


def test_the_notebook_runs_in_the_default_study(tmp_path):
    run = _run_of("default")
    spec = load_study(ROOT / "studies" / "default.yaml").data.options
    data = "  synthetic: " + json.dumps(spec)
    study = _study_with(tmp_path / "ipr.yaml", "ipr", data, run)
    result = run_study(study, out=tmp_path / "out", workers=1, progress=False)
    assert result.exit_code == 0, result.summary()
    [folder] = [p.parent for p in (tmp_path / "out" / "ipr").glob("*/manifest.json")]
    found = json.loads((folder / "findings.json").read_text())
    assert [f["id"].split("#")[0] for f in found] == sorted(
        f"performance:{m}@R006" for m in ("rtt_median_weeks", "fft_pct_positive",
                                          "ae_pct_within_4h", "complaints_per_1000"))
    html = (folder / "report.html").read_text()
    assert "The summary matrix" in html and "What the icons mean" in html
    assert html.count('alt="Variation icon: ') >= 4 + 7      # the matrix and the legend
    assert 'alt="Assurance icon: hit and miss' in html
    assert "Special cause concern (lower values)" in html    # R006's FFT, March 2026
    assert (folder / "figures" / "measures.png").is_file()
    assert not re.search(r"\d\.\d+e[+-]\d", html)


@pytest.mark.slow
@pytest.mark.skipif(not REAL.is_dir(), reason=f"published NHS files not present at {REAL} "
                    "(the staging folder beside the repository)")
def test_the_notebook_on_the_published_files(tmp_path):
    run = _run_of("nhs_open_data")
    study = _study_with(tmp_path / "ipr_real.yaml", "ipr_real",
                        f"  build: {{from: {REAL}}}", run)
    result = run_study(study, out=tmp_path / "out", workers=1, progress=False)
    assert result.exit_code == 0, result.summary()
    [folder] = [p.parent for p in (tmp_path / "out" / "ipr_real").glob("*/manifest.json")]
    found = {f["id"]: f for f in json.loads((folder / "findings.json").read_text())}
    ae = found["performance:ae_pct_within_4h@RJ1#2025-06"]
    assert 60 < ae["estimate"] < 100 and ae["ci_low"] < ae["estimate"] < ae["ci_high"]
    assert ae["model"] == "p'" and ae["n"] == 15
    assert not any(i.startswith("performance:rtt_") for i in found)
    html = (folder / "report.html").read_text()
    assert "published data" in html and "SYNTHETIC" not in html
    assert "Referral to treatment waiting times (NHS England)" in html  # the publications named
    assert "no month of it in the chosen months (the data hold April 2026)" in html
    matrix = pd.read_html(io.StringIO(html.split("The summary matrix")[1]),
                          match="Latest value")[0]
    assert len(matrix) == 5


def test_a_misspelt_measure_in_a_study_is_refused_before_anything_runs(tmp_path):
    from workbench.batch.plan import check_study
    from workbench.errors import StudyError

    study = tmp_path / "bad.yaml"
    study.write_text(
        "name: bad\ndata:\n  synthetic: {seed: 1, n_providers: 30, n_months: 12}\nruns:\n"
        f"  - notebook: {ROOT / 'notebooks' / (NOTEBOOK + '.ipynb')}\n"
        "    parameters:\n      measures: !literal [{measure: rtt_median_wait, target: 18}]\n",
        encoding="utf-8")
    with pytest.raises(StudyError, match=r"'rtt_median_wait' is not a measure .*Did you mean "
                                         r"'rtt_median_weeks'"):
        check_study(load_study(study))
