"""Explore controls given a choice the data cannot support show a message, not a traceback.

Outside a kernel an ipywidgets ``Output`` captures nothing, so these tests record what
each output widget would show: what is displayed while the widget is entered, emptied
when the widget is cleared (as a notebook front end does).
"""

from __future__ import annotations

import IPython.display
import ipywidgets as widgets
import matplotlib
import pytest

from workbench import interactive
from workbench.analysis.findings.record import Findings
from workbench.data.synth import generate
from workbench.errors import AnalysisInputError, WorkbenchError

matplotlib.use("Agg")

EXPOSURE, OUTCOME = "rtt_median_weeks", "fft_pct_positive"


@pytest.fixture(scope="module")
def panel():
    return generate(seed=5, n_providers=60, n_months=6).panel


@pytest.fixture()
def shown(monkeypatch):
    """Output widget -> the objects it shows; ``None`` collects what is shown outside."""
    monkeypatch.delenv(interactive.BATCH_ENV, raising=False)
    entered: list[widgets.Output] = []
    shown: dict = {}

    def enter(self):
        entered.append(self)
        return self

    def leave(self, *exc):
        entered.pop()
        return False  # never swallow an exception

    monkeypatch.setattr(widgets.Output, "__enter__", enter)
    monkeypatch.setattr(widgets.Output, "__exit__", leave)
    monkeypatch.setattr(widgets.Output, "clear_output",
                        lambda self, *a, **kw: shown.pop(self, None))
    monkeypatch.setattr(IPython.display, "display",
                        lambda *objs, **kw: shown.setdefault(
                            entered[-1] if entered else None, []).extend(objs))
    return shown


def _message(shown, box) -> str:
    """The one thing the controls' output widget shows, which must be an HTML message."""
    out = box.children[-1]
    assert isinstance(out, widgets.Output)
    [item] = shown[out]
    assert isinstance(item, widgets.HTML), f"expected a message, got {type(item).__name__}"
    return item.value


def test_a_subset_with_no_providers_shows_a_message_naming_it(panel, shown):
    nhs_only = panel[panel["sector"] == "nhs"]
    box = interactive.controls(interactive.association, {"subset": ["independent"]},
                               data=nhs_only, exposure=EXPOSURE, outcome=OUTCOME)
    assert isinstance(box, widgets.VBox) and shown[None] == [box]
    text = _message(shown, box)
    assert "subset" in text and "&#x27;independent&#x27;" in text
    assert "&#x27;nhs&#x27;" in text  # what would work instead
    assert "Traceback" not in text


def test_choosing_an_unsupported_subset_after_a_good_one_replaces_the_result(panel, shown):
    nhs_only = panel[panel["sector"] == "nhs"]
    box = interactive.controls(interactive.association, {"subset": ["nhs", "independent"]},
                               data=nhs_only, exposure=EXPOSURE, outcome=OUTCOME, plot=False)
    out = box.children[-1]
    [found] = shown[out]
    assert isinstance(found, Findings) and found[0].id.endswith("@nhs")
    box.children[0].children[0].value = "independent"
    assert "&#x27;independent&#x27;" in _message(shown, box)


def test_association_errors_are_workbench_errors_for_thin_subsets(panel):
    independent = panel[(panel["setting"] == "acute") & (panel["sector"] == "independent")]
    few = panel[~panel["provider_code"].isin(independent["provider_code"].unique()[3:])]
    with pytest.raises(AnalysisInputError) as err:  # three independent hospitals left
        interactive.association(few, "beds", OUTCOME, subset="independent", plot=False)
    assert err.value.parameter == "subset" and "only 3 provider(s)" in str(err.value)
    empty = panel[panel["sector"] == "nhs"]
    with pytest.raises(WorkbenchError, match=r"subset 'independent'.*no rows"):
        interactive.association(empty, EXPOSURE, OUTCOME, subset="independent", plot=False)
    # independent hospitals run no type 1 A&E: no complete rows for A&E waits
    with pytest.raises(WorkbenchError, match=r"subset 'independent'.*only 0 provider"):
        interactive.association(panel, "ae_pct_within_4h", OUTCOME, subset="independent",
                                plot=False)


def test_acute_subset_with_one_sector_fits_without_the_sector_term(panel):
    nhs_only = panel[panel["sector"] == "nhs"]
    [found] = interactive.association(nhs_only, EXPOSURE, OUTCOME, subset="acute", plot=False)
    assert "sector_independent" not in found.formula
    [both] = interactive.association(panel, EXPOSURE, OUTCOME, subset="acute", plot=False)
    assert "sector_independent" in both.formula


def test_spc_chart_with_an_unknown_provider_shows_a_message(panel, shown):
    box = interactive.controls(interactive.spc_chart, {"provider": ["R999"]}, data=panel,
                               measure="rtt_median_weeks")
    text = _message(shown, box)
    assert "providers" in text and "&#x27;R999&#x27;" in text and "not in the panel" in text
