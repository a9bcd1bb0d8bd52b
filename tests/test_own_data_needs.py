"""Notebooks say what they need of the data, and a study is checked against its data before
any data step or kernel: a notebook needing providers with sectors is refused on a ward
table, and a misspelt measure gets a "did you mean", from ``workbench run`` and
``--dry-run`` alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.batch.needs import data_holds, needs_from_source, read_needs
from workbench.batch.plan import check_study
from workbench.batch.runner import run_study
from workbench.batch.study import load_study
from workbench.cli import main
from workbench.data.example_wards import generate_wards
from workbench.errors import StudyError

ROOT = Path(__file__).resolve().parents[1]
NB = ROOT / "notebooks"


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wards")
    generate_wards(seed=5, n_wards=8, n_months=12).write(folder / "wards.csv")
    return folder / "wards.csv"


def _study(folder: Path, table: Path, runs: str) -> Path:
    path = folder / "s.yaml"
    path.write_text(f"name: s\ndata: {{table: {table}, declaration: "
                    f"{table.with_suffix('.yaml')}}}\nruns:\n{runs}")
    return path


def test_the_notebooks_declare_what_they_need():
    assert read_needs(NB / "03_nhs_vs_private.ipynb").columns == ("sector", "setting")
    assert read_needs(NB / "06_claims_register.ipynb").columns == ("sector", "setting")
    for nb in ("04_spc_monitoring", "05_provider_funnel", "08_did_it_work"):
        assert read_needs(NB / f"{nb}.ipynb").measure_parameters == ("measure",)
    assert read_needs(NB / "01_data_quality.ipynb").columns == ()
    assert needs_from_source("x = 1  # needs: nothing here").columns == ()


def test_a_sector_comparison_on_ward_data_says_it_needs_providers_with_sectors(table,
                                                                              tmp_path):
    study = _study(tmp_path, table, f"  - notebook: {NB / '03_nhs_vs_private.ipynb'}\n")
    with pytest.raises(StudyError) as info:
        check_study(load_study(study))
    message = str(info.value)
    assert "03_nhs_vs_private.ipynb" in message
    assert "needs the column(s) sector, setting" in message
    assert "it needs providers with sectors, and the data are of wards" in message
    assert "provider_code" in message and "directorate" in message  # what the data hold


def test_a_misspelt_measure_is_refused_with_a_suggestion_before_any_data_are_made(table,
                                                                                 tmp_path):
    study = _study(tmp_path, table, f"  - notebook: {NB / '04_spc_monitoring.ipynb'}\n"
                                    "    parameters: {measure: nurse_fill_rate}\n")
    out = tmp_path / "out"
    with pytest.raises(StudyError, match=r"parameter 'measure': 'nurse_fill_rate' is not a "
                                         r"measure .*Did you mean 'nurse_fill_rate_pct'\?"):
        run_study(study, out=out, progress=False)
    assert not (out / "s" / "data").exists()


def test_dry_run_reports_a_misspelt_measure_too(table, tmp_path, capsys):
    study = _study(tmp_path, table, f"  - notebook: {NB / '05_provider_funnel.ipynb'}\n"
                                    "    parameters: {measure: complaints_per_1000_bd, "
                                    "setting: ''}\n")
    assert main(["run", str(study), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "Did you mean 'complaints_per_1000_obd'?" in err


def test_a_notebook_default_the_data_lack_is_named_as_the_default(table, tmp_path):
    study = _study(tmp_path, table, f"  - notebook: {NB / '04_spc_monitoring.ipynb'}\n")
    with pytest.raises(StudyError, match=r"'rtt_median_weeks' \(the notebook's default\) is "
                                         r"not a measure"):
        check_study(load_study(study))


def test_measures_are_checked_against_the_registry_before_a_build(tmp_path):
    folder = tmp_path / "real"
    folder.mkdir()
    study = tmp_path / "s.yaml"
    study.write_text(f"name: s\ndata: {{build: {{from: {folder}}}}}\nruns:\n"
                     f"  - notebook: {NB / '04_spc_monitoring.ipynb'}\n"
                     "    parameters: {measure: rtt_median_week}\n")
    with pytest.raises(StudyError, match="Did you mean 'rtt_median_weeks'"):
        check_study(load_study(study))
    assert data_holds(load_study(study).data).columns is None


def test_the_default_and_example_studies_pass_their_checks(table):
    check_study(load_study(ROOT / "studies" / "default.yaml"))
    holds = data_holds(load_study(ROOT / "studies" / "default.yaml").data)
    assert "fft_pct_positive" in holds.measures
