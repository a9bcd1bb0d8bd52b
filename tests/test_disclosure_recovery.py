"""No hidden count can be worked back out of what a study publishes.

The attacker (tests/disclosure_attack.py) knows the true counts (from the synthetic
panel) and reads everything published: findings.csv, the index, every report's
sentences and tables, and the data behind every figure. It tries rates times
denominators, the middle of intervals, p-values and limits of hidden estimates,
averages times months, points drawn on figures, and exact counts that subtraction would
use.

A study of the SPC and funnel notebooks on the default data (counts of complaints of 0
to 4 a month at independent hospitals, FFT shares with 1 or 2 negative responses) runs
once for the module; the whole default study (notebook 02 for acute, nhs and
independent too) is in the slow test.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from disclosure_attack import attack

from workbench.batch.runner import run_study
from workbench.data.synth import generate

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
DATA = "synthetic: {seed: 20240430, n_providers: 240, n_months: 36}"

STUDY = f"""\
name: counts
data:
  {DATA}
runs:
  - notebook: {NOTEBOOKS}/04_spc_monitoring.ipynb
    parameters: {{measure: complaints}}
  - notebook: {NOTEBOOKS}/04_spc_monitoring.ipynb
    parameters: {{measure: complaints, providers: !literal [N001, N002, R001]}}
  - notebook: {NOTEBOOKS}/05_provider_funnel.ipynb
  - notebook: {NOTEBOOKS}/05_provider_funnel.ipynb
    parameters: {{measure: complaints}}
"""


@pytest.fixture(scope="module")
def panel():
    return generate(seed=20240430, n_providers=240, n_months=36).panel


@pytest.fixture(scope="module")
def counts(tmp_path_factory):
    folder = tmp_path_factory.mktemp("recovery")
    (folder / "counts.yaml").write_text(STUDY, encoding="utf-8")
    result = run_study(folder / "counts.yaml", out=folder / "out", progress=False)
    assert [r.status for r in result.results] == ["ok"] * 4, result.summary()
    return folder / "out" / "counts"


def test_no_hidden_count_is_recovered_from_spc_and_funnel_outputs(counts, panel):
    assert attack(counts, panel) == []


def test_the_attacker_finds_counts_when_the_rule_is_off(tmp_path, panel):
    study = STUDY.replace("name: counts", "name: open\ndisclosure: {suppress_up_to: 0, "
                                          "round_to: 1}")
    study = study.split("  - notebook")[0] + "  - notebook" + study.split("  - notebook")[3]
    (tmp_path / "open.yaml").write_text(study, encoding="utf-8")
    result = run_study(tmp_path / "open.yaml", out=tmp_path / "out", progress=False)
    assert [r.status for r in result.results] == ["ok"]
    found = attack(tmp_path / "out" / "open", panel)
    assert any("complement 1" in f for f in found), found


def test_spc_of_small_counts_is_not_drawn_and_large_ones_are_rounded(counts):
    small = json.loads(next(counts.glob("04*N001*/figures/spc.json")).read_text())
    titles = {ax["title"]: ax for ax in small["axes"]}
    n001 = next(ax for t, ax in titles.items() if "(N001)" in t)
    assert not n001["lines"] and any("Not drawn" in t for t in n001["texts"])
    r001 = next(ax for t, ax in titles.items() if "(R001)" in t)
    ys = [y for line in r001["lines"] if line["gid"].startswith("wb:people")
          for y in line["y"] if y is not None]
    assert len(ys) == 36 and all(y % 5 == 0 for y in ys)


def test_spc_numbers_table_shows_no_small_latest_count_or_its_mean(counts):
    from bs4 import BeautifulSoup

    html = next(counts.glob("04*N001*/report.html")).read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    table = next(t for t in soup.select("table") if t.select('th[data-column="latest"]'))
    latest = [th.get("data-column") for th in table.select("thead th")].index("latest")
    rows = [[td.get_text(strip=True) for td in tr.find_all("td")]
            for tr in table.select("tbody tr")]
    n001 = next(r for r in rows if r and r[0] == "N001")
    assert n001[latest] == "*"       # latest: 3 complaints


def test_each_run_records_the_checks_for_an_output_checker(counts):
    rec = json.loads(next(counts.glob("04*N001*/results.json")).read_text(encoding="utf-8"))
    assert rec["workbench"]["threshold"] == 7 and rec["workbench"]["rounding"] == 5
    types = {o["type"] for o in rec["results"].values()}
    assert {"table", "custom"} <= types
    spc = next(o for o in rec["results"].values()
               if o["properties"].get("finding") == "spc:complaints@N001")
    assert spc["status"] == "review" and spc["files"][0]["sdc"]["summary"]["suppressed"]
    figure = next(o for o in rec["results"].values() if o["files"][0]["name"] ==
                  "figures/spc.png")
    assert figure["properties"]["kinds"] == ["people"] and figure["comments"]


@pytest.mark.slow
def test_the_default_study_discloses_no_hidden_count(tmp_path, panel):
    study = tmp_path / "default.yaml"
    shutil.copy(ROOT / "studies" / "default.yaml", study)
    text = study.read_text(encoding="utf-8").replace("../notebooks/", f"{NOTEBOOKS}/")
    study.write_text(text, encoding="utf-8")
    result = run_study(study, out=tmp_path / "out", progress=False)
    assert len(result.results) >= 11 and {r.status for r in result.results} == {"ok"}, \
        result.summary()
    out = tmp_path / "out" / "default"
    assert attack(out, panel) == []
    regressions = [o for run in out.glob("02*/results.json")
                   for o in json.loads(run.read_text())["results"].values()
                   if o["type"] == "regression"]
    assert regressions and all(o["properties"]["dof"] >= 10 for o in regressions)
