"""Notebook 11's question: staff experience -> waits -> patients' reported experience across
acute NHS trusts, on cross-sections with their periods aligned; the real study (slow)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from batch_helpers import run_repo_study
from page_checks import study_page_problems

from workbench.analysis.effects import cross_section as X
from workbench.analysis.questions import nhs_chain as q11
from workbench.data.catalogue import NotHeld

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"


@pytest.fixture(scope="module")
def chain():
    panel, tables = X.example_tables(60, seed=11)
    return q11.answer(panel, tables, n_boot=300)


def test_links_of_both_cross_sections_are_estimated(chain):
    steps = {(lk.section, lk.step) for lk in chain.links}
    assert ("2022", "staff_experience") in steps
    assert {("2024-25", "staff_waits"), ("2024-25", "waits_experience"),
            ("2024-25", "staff_experience"), ("2024-25", "shares")} <= steps
    # the made-up data have no A&E months in 2022: said, not guessed
    assert any(m.startswith("2022, staff experience -> waits: not estimated")
               for m in chain.not_estimated())


def test_headline_findings_say_what_they_are(chain):
    found = chain.findings()
    heads = [f for f in found if f.role == "headline"]
    assert heads and all("not the effect of a change within a trust" in f.sentence
                         for f in heads)
    for f in heads:
        if f.key.kind.startswith("cross_"):
            assert "Periods aligned for" in f.sentence and "Adjusted for" in f.sentence
            assert "unmeasured confounder" in f.sentence
    naive = [f for f in found if f.key.variant == "naive"]
    assert naive and all(f.role == "robustness" for f in naive)
    ids = [f.id for f in found]
    assert len(ids) == len(set(ids))


def test_the_mediation_split_runs_through_waits(chain):
    [(name, res, found)] = [m for m in chain.mediation
                            if m[1].exposure == "staff_enough_staff_pct"]
    assert name == "2024-25" and res.mediator == "ae_pct_within_4h"
    indirect = next(f for f in found if f.key.kind == "indirect")
    assert "through A&E seen within 4 hours" in indirect.sentence
    assert "rho" in indirect.sentence
    total = res.table.loc["total", "estimate"]
    assert total == pytest.approx(res.table.loc["indirect", "estimate"]
                                  + res.table.loc["direct", "estimate"])


def test_tables_and_rates(chain):
    est = chain.estimates()
    assert {"2022", "2024-25"} == set(est["section"])
    assert est["step"].str.startswith("mediation").any()
    rates = chain.rates()
    assert "Written complaints per 1,000 occupied bed days" in rates["label"].tolist()
    assert len(chain.pictures()) == sum(lk.step != "shares" for lk in chain.links)


def test_without_published_tables_the_chain_says_why():
    panel, _ = X.example_tables(10)
    gone = q11.answer(panel, {n: NotHeld(n, "the synthetic default makes a panel only")
                              for n in q11.TABLES})
    assert list(gone.findings()) == [] and gone.pictures() == []
    assert "synthetic default" in gone.limits()[0]


@pytest.mark.slow
@pytest.mark.skipif(not REAL.is_dir(), reason=f"published NHS files not present at {REAL} "
                    "(the staging folder beside the repository)")
def test_real_chain_study_finishes_and_its_index_shows_the_estimates(tmp_path):
    study = run_repo_study("nhs_chain_2022", tmp_path, workers=1)
    [manifest] = [json.loads(p.read_text()) for p in study.glob("*/manifest.json")]
    assert manifest["status"] == "ok"
    f = pd.read_csv(study / "findings.csv")
    heads = f[f["role"] == "headline"]
    kinds = set(heads["id"].str.split(":").str[0])
    assert {"cross_2022", "cross_2024_25", "indirect"} <= kinds
    exp = heads[heads["id"] == "cross_2022:staff_burnout_pct->inpatient_experience_score@nhs"]
    assert len(exp) == 1 and "mean of sections S01-S07" in exp["sentence"].item()
    assert heads["sentence"].str.contains("not the effect of a change within a trust").all()
    page = (study / "index.html").read_text()
    assert "Inpatient survey experience score" in page and "Periods aligned" in page
    assert "A&amp;E seen within 4 hours" in page or "A&E seen within 4 hours" in page
    assert study_page_problems(study) == []  # no e-notation, hash, formula, wide table
