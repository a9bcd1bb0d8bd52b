"""Notebook 02 (the relationships between staffing, waits and satisfaction) on a table of a
trust's own wards: its parameters name the measures it relates, its ``# needs:`` line names
constructs, and on the example wards its findings recover the effects built in and speak
in the declared labels and units."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.analysis.questions import staffing_waits_satisfaction as q02
from workbench.batch.needs import read_needs
from workbench.batch.plan import check_study
from workbench.batch.study import load_study
from workbench.data import example_wards as EX
from workbench.data import measures as M
from workbench.data.declared import read_table
from workbench.errors import AnalysisInputError, StudyError

ROOT = Path(__file__).resolve().parents[1]
NB = ROOT / "notebooks" / "02_staffing_waits_satisfaction.ipynb"


@pytest.fixture(scope="module")
def wards(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wards")
    paths = EX.generate_wards().write(folder / "wards.csv")
    return paths[0], read_table(paths[0], paths[1])


def _found(table, staffing: str) -> dict:
    with M.extended(table.declaration.registry()):
        found = q02.staffing_waits_satisfaction(table.panel, "all", staffing, waits="",
                                                unit="ward", units="wards")
    return {f.id: f for f in found}


def test_within_a_ward_the_fill_rate_effect_built_in_is_recovered(wards):
    found = _found(wards[1], "nurse_fill_rate_pct")
    truth = EX.truth()
    head = found["effect:nurse_fill_rate_pct->fft_pct_positive@all#fe"]
    assert head.role == "headline"
    assert head.ci_low < truth["effect:nurse_fill_rate_pct->fft_pct_positive@all"] < head.ci_high
    assert head.ci_low > 0  # the effect is found, not only covered
    complaints = found["rate_ratio:nurse_fill_rate_pct->complaints@all#fe"]
    assert complaints.ci_low < truth["rate_ratio:nurse_fill_rate_pct->complaints@all"] \
        < complaints.ci_high


def test_ward_findings_speak_in_the_declared_labels_and_units(wards):
    text = " ".join(f"{f.question} {f.sentence}" for f in _found(wards[1], "care_hours_ppd")
                    .values())
    assert "care hours per patient day" in text and "care hour per patient day" in text
    assert "within ward: each ward compared with itself" in text
    assert "compared across wards" in text
    assert "provider" not in text and "care_hours_ppd" not in text
    # no case mix in a ward table: nothing claims an adjustment it did not make
    assert "adjusted for case mix" not in text


def test_without_a_waiting_measure_the_chain_is_staffing_to_satisfaction(wards):
    table = wards[1]
    with M.extended(table.declaration.registry()):
        found = _found(table, "nurse_fill_rate_pct")
        assert not any(f.key.kind == "total" or f.key.outcome == "rtt_median_weeks"
                       for f in found.values())
        assert q02.staffing_pathways(table.panel, "all", staffing="nurse_fill_rate_pct",
                                     waits="", n_boot=49) == []
        chain = q02.chain(table.panel, "all", staffing="nurse_fill_rate_pct", waits="")
    assert "needs a measure of the waiting construct" in chain.limits()[0]
    assert chain.pairs == [("nurse_fill_rate_pct", "fft_pct_positive")]


def test_a_misnamed_measure_or_a_provider_subset_of_wards_is_refused_with_its_name(wards):
    table = wards[1]
    with M.extended(table.declaration.registry()):
        with pytest.raises(AnalysisInputError, match="did you mean 'nurse_fill_rate_pct'"):
            q02.chain(table.panel, "all", staffing="nurse_fill_rate", waits="")
        with pytest.raises(AnalysisInputError, match="'all' for a panel of wards"):
            q02.chain(table.panel, "acute", staffing="nurse_fill_rate_pct", waits="",
                      units="wards")


def test_the_notebook_declares_constructs_and_the_measures_it_names():
    needs = read_needs(NB)
    assert needs.columns == ("staffing", "satisfaction")
    assert needs.measure_parameters == ("staffing", "waits", "satisfaction")


def _study(folder: Path, table: Path, parameters: str) -> Path:
    path = folder / "s.yaml"
    path.write_text(f"name: s\ndata: {{table: {table}, declaration: "
                    f"{table.with_suffix('.yaml')}}}\nruns:\n  - notebook: {NB}\n"
                    f"    parameters: {parameters}\n")
    return path


def test_a_ward_table_with_staffing_and_satisfaction_passes_the_study_check(wards, tmp_path):
    check_study(load_study(_study(tmp_path, wards[0], "{subset: all, staffing: "
                                  "nurse_fill_rate_pct, waits: ''}")))


def test_the_default_waiting_measure_on_a_ward_table_is_named_before_any_kernel(wards,
                                                                              tmp_path):
    with pytest.raises(StudyError, match=r"parameter 'waits': 'rtt_median_weeks' \(the "
                                         r"notebook's default\) is not a measure"):
        check_study(load_study(_study(tmp_path, wards[0], "{subset: all, staffing: "
                                      "nurse_fill_rate_pct}")))


def test_a_table_without_a_satisfaction_measure_is_refused_saying_so(tmp_path):
    ex = EX.generate_wards(seed=4, n_wards=6, n_months=12)
    decl = dict(ex.declaration)
    decl["measures"] = {k: v for k, v in decl["measures"].items()
                        if v["construct"] != "satisfaction"}
    table = ex.table.drop(columns=["fft_responses", "fft_positive", "complaints"])
    from workbench.data.example_wards import ExampleWards

    path = ExampleWards(table, decl, {}, 4).write(tmp_path / "staff.csv")[0]
    with pytest.raises(StudyError) as info:
        check_study(load_study(_study(tmp_path, path, "{subset: all, staffing: "
                                      "nurse_fill_rate_pct, waits: '', satisfaction: ''}")))
    message = str(info.value)
    assert "needs a satisfaction measure" in message and "02_staffing" in message
    assert "measures of context, staffing" in message


def test_the_explore_controls_offer_the_declared_measures_of_the_data(wards, monkeypatch):
    from workbench import interactive

    monkeypatch.delenv(interactive.BATCH_ENV, raising=False)
    table = wards[1]
    calls = []
    with M.extended(table.declaration.registry()):
        chain = q02.chain(table.panel, "all", staffing="nurse_fill_rate_pct", waits="")
        box = interactive.controls(lambda **kw: calls.append(kw), chain.explore,
                                   output_dir="", data=table.panel)
    pickers = {w.description: w for w in box.children[0].children}
    exposures = {value: label for label, value in pickers["exposure"].options}
    assert exposures["care_hours_ppd"] == "Care hours per patient day"
    assert "nurse_fill_rate_pct" in exposures and "rtt_median_weeks" not in exposures
    assert pickers["exposure"].value == "nurse_fill_rate_pct"
    assert next(v for _, v in pickers["outcome"].options) == "fft_pct_positive"
    assert list(pickers["subset"].options) == ["all"]
    assert calls and calls[0]["exposure"] == "nurse_fill_rate_pct"


def test_on_the_registry_panel_the_explore_controls_offer_what_they_did():
    from workbench import interactive
    from workbench.data.synth import generate

    panel = generate(seed=1, n_providers=30, n_months=3).panel
    chain = q02.chain(panel)
    assert interactive.measure_choices(chain.explore["exposure"], panel) == [
        "nurse_fte_per_10_beds", "rn_vacancy_pct", "sickness_absence_pct", "staff_engagement",
        "rtt_median_weeks"]
    assert chain.explore["subset"] == ["acute", "nhs", "independent"]


def test_association_runs_on_a_ward_table_without_settings_or_case_mix(wards):
    from workbench import interactive

    table = wards[1]
    with M.extended(table.declaration.registry()):
        found = interactive.association(table.panel, "care_hours_ppd", "fft_pct_positive",
                                        subset="all", plot=False)
        assert found[0].id == "association:care_hours_ppd->fft_pct_positive@all"
        with pytest.raises(AnalysisInputError, match="subset='all'"):
            interactive.association(table.panel, "care_hours_ppd", "fft_pct_positive",
                                    plot=False)
