"""The main job end to end: the default study's real notebooks on the synthetic default."""

import json
import re
from pathlib import Path

import pytest

from workbench.batch.runner import run_study

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory, default_study):
    """The default study, then its analysis runs (02, 03) again into a second folder.

    The second study has the same name, data and parameters, so its findings files
    must equal the first's byte for byte.
    """
    first = default_study.parent  # run once for the session (tests/conftest.py)
    again = tmp_path_factory.mktemp("again")
    default = (ROOT / "studies" / "default.yaml").read_text()
    data = re.search(r"^data:\n(  .*\n)+", default, flags=re.MULTILINE).group(0)
    nb = ROOT / "notebooks"
    (again / "default.yaml").write_text(
        "name: default\n" + data + "runs:\n"
        f"  - notebook: {nb / '02_staffing_waits_satisfaction.ipynb'}\n"
        "    parameters: {subset: [acute, nhs, independent]}\n"
        f"  - notebook: {nb / '03_nhs_vs_private.ipynb'}\n")
    second = tmp_path_factory.mktemp("second")
    result = run_study(again / "default.yaml", out=second, workers=2, progress=False)
    assert result.exit_code == 0, result.summary()
    return first / "default", second / "default"


def test_index_links_every_report(two_runs):
    out = two_runs[0]
    index = (out / "index.html").read_text()
    reports = sorted(out.glob("*/report.html"))
    assert len(reports) >= 5
    for r in reports:
        assert f"{r.parent.name}/report.html" in index
    assert (out / "findings.csv").stat().st_size > 0
    for d in ("01_data_quality", "03_nhs_vs_private"):
        manifest = json.loads((out / d / "manifest.json").read_text())
        assert manifest["status"] == "ok"
        assert len(manifest["data_sha256"]) == 64


def test_reports_have_no_code_or_injected_parameters(two_runs):
    for report in two_runs[0].glob("*/report.html"):
        html = report.read_text()
        assert "session.start(" not in html and "import matplotlib" not in html
        assert "Injected parameters" not in html and "injected-parameters" not in html
        assert not re.search(r"/(tmp|home|root|work)/", html), report
        assert "<img" in html  # figures are embedded


def test_findings_are_byte_identical_across_runs(two_runs):
    first, second = two_runs
    files = sorted(p.relative_to(second) for p in second.glob("*/findings.json"))
    assert len(files) >= 4
    for rel in files:
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel


def test_findings_carry_provenance(two_runs):
    findings = json.loads(
        (two_runs[0] / "02_staffing_waits_satisfaction--subset-acute" / "findings.json")
        .read_text())
    f = findings[0]
    assert f["notebook"] == "02_staffing_waits_satisfaction"
    assert f["parameters"]["subset"] == "acute"
    assert len(f["data_sha256"]) == 64 and f["sentence"]


def test_a_run_the_headline_rule_leaves_without_an_answer_says_why_on_the_index(default_study):
    """Notebook 03 on the default panel: the sectors barely overlap on case mix, so its
    doubly robust contrasts are held back from the headlines; the study summary says so
    in the warning's words, not only that there is no headline (public copy too)."""
    for page in (default_study / "index.html", default_study / "public" / "index.html"):
        html = page.read_text(encoding="utf-8")
        block = html[html.index('href="03_nhs_vs_private/report.html"') - 600:
                     html.index('href="03_nhs_vs_private/report.html"')]
        assert "No finding met the headline rule: poor overlap" in block, page
