"""Notebook 12 (how big should our waiting list be?) as a board paper: its tables of lists
name their columns in words and show their counts of patients (the list, the patients
referred and removed a week) through the disclosure rule as counts, as an attacker reading
the report finds them; and on a table of wards, which holds no waiting-list data, the
study is refused before any kernel, saying so."""

from __future__ import annotations

from pathlib import Path

import pytest
from disclosure_attack import SMALL, SYMBOL, _num, _tables

from workbench.analysis.questions import waiting_list as q12
from workbench.batch.needs import read_needs
from workbench.batch.plan import check_study
from workbench.batch.runner import run_study
from workbench.batch.study import load_study
from workbench.data.example_wards import generate_wards
from workbench.data.synth import generate
from workbench.errors import StudyError

ROOT = Path(__file__).resolve().parents[1]
NB = ROOT / "notebooks" / "12_waiting_list.ipynb"

SEED, PROVIDERS, MONTHS = 3, 40, 6
SPECIALTIES = ["C_110", "C_130", "C_502"]


def test_the_notebook_needs_a_waiting_measure_and_its_tables_type_their_counts():
    assert read_needs(NB).columns == ("waiting",)
    assert set(q12.SPECIALTY_COUNTS) == {"queue_size", "demand", "removals"}
    assert set(q12.SPECIALTY_COUNTS) <= set(q12.SPECIALTY_WORDS)
    assert set(q12.RANKING_COUNTS) <= set(q12.RANKING_WORDS)
    assert len(q12.SPECIALTY_WORDS) <= 8 and len(q12.RANKING_WORDS) <= 8


def test_on_a_ward_table_the_study_check_says_the_notebook_needs_waiting_list_data(tmp_path):
    generate_wards(seed=5, n_wards=8, n_months=12).write(tmp_path / "wards.csv")
    study = tmp_path / "s.yaml"
    study.write_text(f"name: s\ndata: {{table: {tmp_path / 'wards.csv'}, declaration: "
                     f"{tmp_path / 'wards.yaml'}}}\nruns:\n  - notebook: {NB}\n")
    with pytest.raises(StudyError) as info:
        check_study(load_study(study))
    message = str(info.value)
    assert "12_waiting_list.ipynb" in message and "needs a waiting measure" in message
    assert "RTT waiting-list flows" in message
    assert "measures of context, satisfaction, staffing" in message  # what the data hold


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wl")
    study = folder / "s.yaml"
    study.write_text(f"name: s\ndata:\n  synthetic: {{seed: {SEED}, n_providers: {PROVIDERS}, "
                     f"n_months: {MONTHS}}}\nruns:\n  - notebook: {NB}\n    parameters: "
                     f"{{provider: R001, specialties: !literal {SPECIALTIES}, n_sims: 200}}\n")
    result = run_study(study, out=folder / "out", workers=1, progress=False)
    assert result.exit_code == 0, result.summary()
    return next((folder / "out" / "s").glob("12_waiting_list*/report.html")).read_text()


def _published(value: str, true: float) -> bool:
    """Whether a count of patients is shown as the rule shows counts of people: hidden
    when 1 to 7, else rounded to 5 (never its exact value unless that is a multiple of 5)."""
    if round(true) in SMALL:
        return value.strip() == SYMBOL
    x = _num(value)
    return x is not None and x % 5 == 0 and abs(x - true) <= 2.5


def test_counts_of_patients_in_the_tables_of_lists_are_shown_by_the_disclosure_rule(report):
    sd = generate(seed=SEED, n_providers=PROVIDERS, n_months=MONTHS)
    answer = q12.answer(sd.flows, sd.panel, provider="R001", specialties=SPECIALTIES,
                        n_sims=200, seed=20260430, truth=sd.truth)
    true = answer.specialty_table().set_index("specialty_name")
    tables = [t for t in _tables(report) if "specialty_name" in t.columns]
    by_specialty = next(t for t in tables if "demand" in t.columns)
    assert len(by_specialty) == len(true)
    for _, row in by_specialty.iterrows():
        for column in q12.SPECIALTY_COUNTS:
            assert _published(row[column], float(true.at[row["specialty_name"], column])), \
                (row["specialty_name"], column, row[column])
    ranking = next(t for t in tables if "rank" in t.columns)
    shown = ranking["queue_size"].map(_num)
    assert shown.notna().all() and (shown % 5 == 0).all()
    assert "Patients waiting" in report and "Referrals a week" in report
