"""Effect overrides of the synthetic world: ``generate(effects={...})`` and a study's
``data: {synthetic: {effects: {...}}}`` set the generator's true effects by name, the
truths follow them, the run's records say which were set, and a wrong name is refused
naming it and listing the ones that exist."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from workbench.batch.data_step import materialise_data
from workbench.batch.study import load_study
from workbench.data.synth import Effects, effect_names, generate, read_truth
from workbench.errors import GeneratorError, GeneratorTypeError, StudyError
from workbench.session import start

ROOT = Path(__file__).resolve().parents[1]
SMALL = {"seed": 5, "n_providers": 60, "n_months": 12}
WAIT = "effect:nurse_fte_per_10_beds->rtt_median_weeks@acute"


def within_slope(panel, x: str, y: str) -> float:
    """The within-provider least-squares slope of ``y`` on ``x`` with month effects
    (acute providers, a balanced panel: two-way demeaning)."""
    d = panel[panel["setting"].eq("acute")].dropna(subset=[x, y])

    def two_way(c: str):
        return (d[c] - d.groupby("provider_code")[c].transform("mean")
                - d.groupby("period")[c].transform("mean") + d[c].mean())

    dx, dy = two_way(x), two_way(y)
    return float((dx * dy).sum() / (dx * dx).sum())


def test_a_mapping_overrides_effects_and_the_truth_follows():
    base = generate(**SMALL)
    flat = generate(**SMALL, effects={"staffing_on_wait": 0, "wait_on_fft": -0.2})
    assert flat.truth[WAIT] == 0.0 and base.truth[WAIT] == -0.4
    assert flat.truth["effect:rtt_median_weeks->fft_pct_positive@nhs"] == -0.2
    # indirect = staffing -> wait x wait -> FFT follows both overrides
    assert flat.truth["indirect:nurse_fte_per_10_beds->rtt_median_weeks->fft_pct_positive"
                      "@acute"] == 0.0
    assert flat.settings["effect_overrides"] == {"staffing_on_wait": 0.0, "wait_on_fft": -0.2}
    assert "effect_overrides" not in base.settings
    # the same draws: staffing is unchanged, waits no longer depend on it within provider
    assert flat.panel["nurse_fte_per_10_beds"].equals(base.panel["nurse_fte_per_10_beds"])
    assert abs(within_slope(flat.panel, "nurse_fte_per_10_beds", "rtt_median_weeks")) < 0.1
    assert within_slope(base.panel, "nurse_fte_per_10_beds", "rtt_median_weeks") < -0.25


def test_a_mapping_and_effects_give_the_same_panel_and_none_is_the_default():
    a = generate(**SMALL, effects={"staffing_on_ae": 2.5})
    b = generate(**SMALL, effects=Effects(staffing_on_ae=2.5))
    assert a.panel.equals(b.panel) and a.truth == b.truth
    assert generate(**SMALL).panel.equals(generate(**SMALL, effects=Effects()).panel)
    assert generate(**SMALL, effects={}).panel.equals(generate(**SMALL).panel)


def test_an_unknown_effect_is_refused_naming_it_and_listing_the_valid_ones():
    with pytest.raises(GeneratorError) as err:
        generate(**SMALL, effects={"staffing_on_waits": 0})
    text = str(err.value)
    assert "'staffing_on_waits'" in text and err.value.parameter == "effects"
    assert all(name in text for name in effect_names())


@pytest.mark.parametrize("value", ["zero", True, float("nan"), None])
def test_an_effect_that_is_not_a_number_is_refused(value):
    with pytest.raises(GeneratorTypeError, match="staffing_on_wait"):
        generate(**SMALL, effects={"staffing_on_wait": value})


def test_effects_of_another_type_are_refused():
    with pytest.raises(GeneratorTypeError, match="mapping"):
        generate(**SMALL, effects=[("staffing_on_wait", 0)])


def test_a_scenario_refuses_overrides_of_the_effects_it_sets_itself():
    with pytest.raises(GeneratorError, match="'heterogeneous' scenario sets itself"):
        generate(**SMALL, scenario="heterogeneous", effects={"staffing_on_wait": -0.5})
    with pytest.raises(GeneratorError, match="'null' scenario sets itself"):
        generate(**SMALL, scenario="null", effects={"staffing_on_fft": 1.0})
    # repeating the scenario's own value, or setting another effect, is fine
    sd = generate(**SMALL, scenario="null", effects={"staffing_on_fft": 0, "wait_on_fft": -1})
    assert sd.truth["effect:rtt_median_weeks->fft_pct_positive@acute"] == -1.0
    het = generate(**SMALL, scenario="heterogeneous", effects={"wait_on_fft": -1.0})
    assert het.truth["effect:rtt_median_weeks->fft_pct_positive@acute"] == -1.0


def study(tmp_path: Path, effects: str, scenario: str = "") -> Path:
    nb = ROOT / "notebooks" / "01_data_quality.ipynb"
    path = tmp_path / "s.yaml"
    extra = f", scenario: {scenario}" if scenario else ""
    path.write_text(f"name: s\ndata: {{synthetic: {{seed: 3, n_providers: 30, n_months: 3"
                    f"{extra}, effects: {effects}}}}}\nruns:\n  - notebook: {nb}\n")
    return path


def test_a_study_sets_effects_and_its_records_say_so(tmp_path):
    spec = load_study(study(tmp_path, "{staffing_on_wait: 0, engagement_lag1_on_fft: 0.5}")).data
    assert spec.options["effects"] == {"staffing_on_wait": 0, "engagement_lag1_on_fft": 0.5}
    record = materialise_data(spec, tmp_path / "data")
    assert record["options"]["effects"] == {"staffing_on_wait": 0, "engagement_lag1_on_fft": 0.5}
    truth = read_truth(tmp_path / "data" / "truth.json")
    assert truth[WAIT] == 0.0
    assert truth["effect:staff_engagement[lag1]->fft_pct_positive@acute"] == 0.5
    settings = json.loads((tmp_path / "data" / "truth.json").read_text())["settings"]
    assert settings["effect_overrides"] == {"staffing_on_wait": 0.0,
                                            "engagement_lag1_on_fft": 0.5}
    catalogue = json.loads((tmp_path / "data" / "panel.catalogue.json").read_text())
    assert "staffing_on_wait" in json.dumps(catalogue)
    # the top of every report says the world is not the default one
    label = start("t", panel_path=str(tmp_path / "data" / "panel.parquet"),
                  output_dir=str(tmp_path / "out")).data_label
    assert label.startswith("SYNTHETIC data (the built-in generator, true effects changed: "
                            "engagement lag1 on fft 0.5, staffing on wait 0; not real")
    assert "built-in default" not in label


@pytest.mark.parametrize("scenario, words", [
    ("", "the built-in default; not real providers"),
    ("confounded", "the built-in generator, scenario 'confounded'; not real providers"),
])
def test_a_synthetic_study_without_overrides_says_its_world(tmp_path, scenario, words):
    path = tmp_path / "s.yaml"
    extra = f", scenario: {scenario}" if scenario else ""
    path.write_text("name: s\ndata: {synthetic: {seed: 3, n_providers: 30, n_months: 3"
                    f"{extra}}}}}\nruns:\n  - notebook: notebooks/01_data_quality.ipynb\n")
    materialise_data(load_study(path).data, tmp_path / "data")
    label = start("t", panel_path=str(tmp_path / "data" / "panel.parquet"),
                  output_dir=str(tmp_path / "out")).data_label
    assert label.startswith(f"SYNTHETIC data ({words}): 30 providers")


@pytest.mark.parametrize("effects, scenario, message", [
    ("{staffing_on_waits: 0}", "",
     r"data\.synthetic\.effects\.staffing_on_waits.*staffing_on_wait, wait_on_fft"),
    ("{staffing_on_wait: fast}", "",
     r"data\.synthetic\.effects\.staffing_on_wait.*not a finite number"),
    ("0", "", r"data\.synthetic\.effects.*expected a mapping"),
    ("{staffing_on_wait: -0.5}", "heterogeneous",
     r"data\.synthetic\.effects\.staffing_on_wait.*heterogeneous"),
])
def test_a_study_with_a_wrong_effect_stops_naming_the_key(tmp_path, effects, scenario, message):
    with pytest.raises(StudyError, match=message):
        load_study(study(tmp_path, effects, scenario))


def test_effects_leave_other_options_checked_as_before(tmp_path):
    path = study(tmp_path, "{staffing_on_wait: 0}")
    path.write_text(path.read_text().replace("seed: 3", "seed: '3'"))
    with pytest.raises(StudyError, match=r"data\.synthetic\.seed"):
        load_study(path)
    assert np.isfinite(Effects().staffing_on_wait)
