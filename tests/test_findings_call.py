"""One way from a result to findings: every result answers ``findings(question=None)``.

A researcher who has any result (a fit, a mediation, an SPC or funnel view, an ITS, a DiD,
a weighted difference, an evaluation, a claim) gets its findings the same way, as a
``Findings`` table, and ``workbench.findings(result, question)`` is that call.
"""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest

import workbench
from workbench.analysis.claims.rules import ClaimResult
from workbench.analysis.effects.mediation import MediationResult, mediate_panel
from workbench.analysis.effects.weighting import WeightedDifference, weighted_difference
from workbench.analysis.evaluation.did import DiDResult
from workbench.analysis.evaluation.its import ITSResult, interrupted_time_series
from workbench.analysis.evaluation.synthetic_control import SyntheticResult
from workbench.analysis.findings.record import Findings, FindingsSource
from workbench.analysis.models.fit import Fit, ModelSpec, fit
from workbench.analysis.questions.did_it_work import Evaluation
from workbench.analysis.questions.provider_funnel import FunnelView, funnel_view
from workbench.analysis.questions.spc_monitoring import SPCView, spc_view
from workbench.data.synth import generate
from workbench.errors import AnalysisInputError

RESULT_TYPES = [Fit, MediationResult, WeightedDifference, ITSResult, DiDResult, Evaluation,
                SPCView, FunnelView, ClaimResult, SyntheticResult]


@pytest.fixture(scope="module")
def panel():
    return generate(seed=3, n_providers=80, n_months=14, selection=0.3).panel


@pytest.mark.parametrize("cls", RESULT_TYPES, ids=lambda c: c.__name__)
def test_every_result_type_has_the_one_call(cls):
    method = getattr(cls, "findings", None)
    assert callable(method), f"{cls.__name__} has no findings() method"
    params = list(inspect.signature(method).parameters.values())[1:]
    assert params[0].name == "question" and params[0].default is None, cls.__name__
    # anything after the question is a keyword option with a default
    assert all(p.kind is p.KEYWORD_ONLY and p.default is not p.empty for p in params[1:])


def _results(panel):
    its_data = pd.DataFrame({"month": pd.date_range("2022-01-01", periods=30, freq="MS")})
    its_data["y"] = 70 + 0.1 * np.arange(30) + 3 * (its_data["month"] >= "2023-07-01") \
        + np.random.default_rng(0).normal(0, 0.5, 30)
    return {
        "fit": fit(ModelSpec("rtt_median_weeks", ("nurse_fte_per_10_beds",), subset="acute"),
                   panel),
        "mediation": mediate_panel(panel, n_boot=100, seed=1),
        "weighted": weighted_difference(panel, "rtt_median_weeks", method="overlap",
                                        n_boot=100),
        "its": interrupted_time_series(its_data, "y", "month", "2023-07-01", subset="R001"),
        "spc": spc_view(panel, "rtt_median_weeks", ["R001", "R002"]),
        "funnel": funnel_view(panel),
    }


def test_results_give_findings_tables_and_take_a_question(panel):
    for name, result in _results(panel).items():
        assert isinstance(result, FindingsSource), name
        own = result.findings()
        assert isinstance(own, Findings) and len(own) >= 1, name
        assert all(f.question for f in own), name
        asked = workbench.findings(result, question="What did we ask?")
        assert [f.id for f in asked] == [f.id for f in own], name
        # the question asked (a weighted difference adds its method and estimand)
        assert all(f.question.startswith("What did we ask?") for f in asked), name
        # asking another question changes neither the result nor its own findings
        assert [f.question for f in result.findings()] == [f.question for f in own], name


def test_a_fit_words_its_own_question(panel):
    res = fit(ModelSpec("fft_pct_positive", ("rtt_median_weeks", "staff_engagement_lag1"),
                        subset="acute"), panel)
    [q] = {f.question for f in res.findings()}
    assert q == ("How do FFT positive responses go with RTT median wait and staff "
                 "engagement 1 month earlier?")
    assert [f.id for f in res.findings(terms=("rtt_median_weeks",))] == [
        "effect:rtt_median_weeks->fft_pct_positive@acute"]


def test_findings_of_something_else_names_it():
    with pytest.raises(AnalysisInputError, match="result is a DataFrame, which has no findings"):
        workbench.findings(pd.DataFrame())


def test_the_api_has_one_way_only():
    assert not hasattr(workbench, "spc_findings") and not hasattr(workbench, "funnel_findings")
    import workbench.analysis.models.fit as models_fit

    assert not hasattr(models_fit, "findings")
