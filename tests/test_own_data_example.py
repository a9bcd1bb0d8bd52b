"""The worked example of a trust's own ward data: the effects the generator builds in are
found by the workbench's methods, and studies/wards_example.yaml runs its notebooks on the
table end to end, with the declared labels in its sentences and the declared counts of
people disclosure-controlled in its reports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from workbench.analysis.questions import did_it_work, provider_funnel, spc_monitoring
from workbench.batch.runner import run_study
from workbench.data import example_wards as EX
from workbench.data import measures as M
from workbench.data.declared import read_table

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wards")
    paths = EX.generate_wards().write(folder / "wards.csv")
    return read_table(paths[0], paths[1])


@pytest.fixture()
def panel(table):
    with M.extended(table.declaration.registry()):
        yield table.panel


def test_the_table_is_twenty_wards_by_twenty_four_months_of_plausible_values(table):
    p = table.panel
    assert p["provider_code"].nunique() == 20 and p["period"].nunique() == 24 and len(p) == 480
    assert p["nurse_fill_rate_pct"].between(60, 130).all()
    assert p["fft_pct_positive"].between(40, 100).all()
    assert (p["complaints"] < 30).all() and p["fft_responses"].median() > 20


def test_fill_rate_goes_with_positive_feedback_by_the_amount_built_in(panel):
    d = panel.assign(changed=(panel["provider_code"].isin(EX.CHANGE_WARDS)
                              & (panel["period"] >= pd.Timestamp(EX.CHANGE_MONTH))).astype(int))
    fit = smf.wls("fft_pct_positive ~ nurse_fill_rate_pct + changed + C(provider_code) "
                  "+ C(period)", data=d, weights=d["fft_responses"]).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(d["provider_code"])[0]})
    low, high = fit.conf_int().loc["nurse_fill_rate_pct"]
    assert low < EX.FFT_PER_FILL_POINT < high
    assert abs(fit.params["nurse_fill_rate_pct"] - EX.FFT_PER_FILL_POINT) < 0.15


def test_did_it_work_finds_the_change_at_the_five_wards(panel):
    ev = did_it_work.evaluate_change(panel, "fft_pct_positive", EX.CHANGE_MONTH,
                                     providers=list(EX.CHANGE_WARDS), comparison="all",
                                     n_boot=199, seed=1)
    found = {f.id: f for f in ev.did.findings()}
    att = found["did:att->fft_pct_positive@treated"]
    assert att.id in EX.truth() and att.ci_low < EX.CHANGE < att.ci_high
    two_stage = found["did:att->fft_pct_positive@treated#did2s"]  # tighter, no bootstrap
    assert two_stage.ci_low > 0 and two_stage.ci_low < EX.CHANGE < two_stage.ci_high


def test_the_spc_chart_flags_the_ward_whose_fill_rate_dropped(panel):
    view = spc_monitoring.spc_view(panel, "nurse_fill_rate_pct", [EX.FILL_SHIFT_WARD, "W11"])
    found = {f.id: f for f in view.findings()}
    assert "concern" in found[f"spc:nurse_fill_rate_pct@{EX.FILL_SHIFT_WARD}"].sentence.lower()
    assert "Registered nurse fill rate" in found["spc:nurse_fill_rate_pct@W11"].sentence


def test_the_funnel_of_a_declared_rate_flags_the_ward_with_more_complaints(panel):
    view = provider_funnel.funnel_view(panel, "complaints_per_1000_obd", setting="")
    assert view.spec.numerator == "complaints" and view.spec.denominator == "occupied_bed_days"
    outliers = provider_funnel.funnel_outliers(view)
    assert outliers["provider_code"].tolist() == [EX.COMPLAINTS_OUTLIER]
    # over the two years the ward stands out by the ratio built in
    totals = panel.groupby("provider_code")[["complaints", "occupied_bed_days"]].sum()
    rate = totals["complaints"] / totals["occupied_bed_days"]
    others = rate.drop(EX.COMPLAINTS_OUTLIER).mean()
    assert np.isclose(rate[EX.COMPLAINTS_OUTLIER] / others, EX.COMPLAINTS_RATIO, rtol=0.3)


# ---- the study, end to end ----------------------------------------------------------------

@pytest.fixture(scope="module")
def study_out(tmp_path_factory):
    folder = tmp_path_factory.mktemp("study")
    EX.generate_wards().write(folder / "raw" / "wards.csv")
    text = (ROOT / "studies" / "wards_example.yaml").read_text()
    text = text.replace("../data/raw/", f"{folder / 'raw'}/").replace(
        "../notebooks/", f"{ROOT / 'notebooks'}/")
    (folder / "wards_example.yaml").write_text(text)
    result = run_study(folder / "wards_example.yaml", out=folder / "out", workers=2,
                       progress=False)
    assert result.exit_code == 0, result.summary()
    return folder / "out" / "wards_example"


def test_the_example_study_runs_every_notebook_on_the_ward_table(study_out):
    manifests = [json.loads(p.read_text()) for p in study_out.glob("*/manifest.json")]
    assert len(manifests) == 8 and {m["status"] for m in manifests} == {"ok"}
    assert {m["notebook"] for m in manifests} == {
        "01_data_quality.ipynb", "02_staffing_waits_satisfaction.ipynb",
        "04_spc_monitoring.ipynb", "05_provider_funnel.ipynb", "08_did_it_work.ipynb"}


def test_the_relationships_notebook_recovers_the_fill_rate_effect_in_ward_words(study_out):
    findings = pd.read_csv(study_out / "findings.csv")
    head = findings[findings["id"] == "effect:nurse_fill_rate_pct->fft_pct_positive@all#fe"]
    assert len(head) == 1
    assert float(head.iloc[0]["ci_low"]) < EX.FFT_PER_FILL_POINT < float(head.iloc[0]["ci_high"])
    ours = findings[findings["notebook"] == "02_staffing_waits_satisfaction"]
    text = " ".join(ours["question"].astype(str) + " " + ours["sentence"].astype(str))
    assert "each ward compared with itself" in text and "care hours per patient day" in text
    assert "Registered nurse fill rate" in text and "provider" not in text


def test_the_example_study_speaks_in_the_declared_labels_and_hides_small_counts(study_out):
    findings = pd.read_csv(study_out / "findings.csv")
    text = " ".join(findings["sentence"].astype(str))
    assert "Registered nurse fill rate" in text and "nurse_fill_rate_pct" not in text
    att = findings[findings["id"] == "did:att->fft_pct_positive@treated"].iloc[0]
    assert float(att["ci_low"]) < EX.CHANGE < float(att["ci_high"])
    outlier = findings[findings["id"].str.startswith("funnel:complaints_per_1000_obd@W17")]
    assert len(outlier) == 1 and "* complaints observed" in outlier.iloc[0]["sentence"]
    report = (study_out / next(p.parent.name for p in study_out.glob("05_provider_funnel*obd*/"
                                                                        "report.html"))
              / "report.html").read_text()
    assert "Complaints: observed / expected" in report
    assert not re.search(r"\b[1-7] complaints observed", report)


def test_funnel_spc_and_did_it_work_say_wards_not_providers(study_out):
    findings = pd.read_csv(study_out / "findings.csv")
    for _, f in findings.iterrows():
        words = f"{f['question']} {f['sentence']}"
        assert "provider" not in words.lower(), (f["id"], words)
    by = {nb: " ".join(g["question"].astype(str) + " " + g["sentence"].astype(str))
          for nb, g in findings.groupby("notebook")}
    assert "20 wards reported" in by["05_provider_funnel"]
    assert "at the 5 wards that changed" in by["08_did_it_work"]
    assert "the wards that did not change" in by["08_did_it_work"]
    pre = findings[findings["id"] == "did:pretrend->fft_pct_positive@treated"].iloc[0]
    assert pre["question"].startswith("Were the wards that changed already moving")
    assert str(pre["warning"]).startswith("only 5 wards changed: the pre-trend test")


def test_a_declared_rate_is_typed_as_a_rate_on_its_declared_counts(panel):
    # complaints per 1,000 occupied bed days is built on complaints (people): a value of it
    # is a rate whose numerator the disclosure rule checks, not an estimate shown as it is
    from workbench.analysis.findings import kinds as K

    assert K.measure_kind("complaints_per_1000_obd") == K.RATE
    assert K.measure_kind("complaints") == K.PEOPLE
    num, den = K.rate_counts(panel, "complaints_per_1000_obd")
    assert num.equals(panel["complaints"]) and den.equals(panel["occupied_bed_days"])
