"""Every truth a run knows is a file: the run folder's truth.json holds the true value of
every finding id the run can check (the panel's, and those a notebook adds, such as
notebook 08's inserted change), and findings.json records whether each interval covers it."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from workbench import session
from workbench.analysis.findings.record import (
    Finding,
    findings_frame,
    findings_to_json,
    truth_for,
)
from workbench.analysis.questions.did_it_work import evaluate_change, insert_known_change
from workbench.errors import ArgumentError, ArgumentTypeError
from workbench.report.findings_file import (
    TRUTH_FILE,
    read_finding_records,
    read_findings,
    read_truth,
    read_truth_sources,
    write_findings,
)

ROOT = Path(__file__).resolve().parents[1]


def _check_flags_against_truth_file(folder: Path) -> list[dict]:
    """findings.json's truth and covers_truth agree with the run's truth.json; returns
    the records that carry a truth."""
    records = read_finding_records(folder / "findings.json")
    truth = read_truth(folder / TRUTH_FILE)
    with_truth = [r for r in records if "truth" in r]
    assert {r["id"] for r in with_truth} == set(truth)
    for r in records:
        if r["id"] not in truth:
            assert "truth" not in r and "covers_truth" not in r, r["id"]
            continue
        assert math.isclose(r["truth"], truth[r["id"]], rel_tol=1e-9, abs_tol=1e-12)
        inside = (r["ci_low"] is not None and r["ci_high"] is not None
                  and r["ci_low"] <= truth[r["id"]] <= r["ci_high"])
        assert r["covers_truth"] is inside, r["id"]
    return with_truth


@pytest.fixture(scope="module")
def known_change_run(tmp_path_factory):
    """A session on a small synthetic panel with notebook 08's known change, finished."""
    out = tmp_path_factory.mktemp("run")
    s = session.start("08_did_it_work", seed=3, n_providers=80, n_months=30,
                      output_dir=str(out))
    known = insert_known_change(s.panel, "fft_pct_positive", intervention="2024-06", seed=3)
    added = s.add_truth(known)
    result = evaluate_change(known.panel, "fft_pct_positive", known.adoption, n_boot=199, seed=3)
    s.add(result.findings())
    s.finish()
    return out, s, known, added


def test_a_notebooks_known_change_is_written_with_its_source(known_change_run):
    out, s, known, added = known_change_run
    assert added == known.truths()
    truth = read_truth(out / TRUTH_FILE)
    assert any(k.startswith("its:") for k in truth) and any(k.startswith("did:") for k in truth)
    att = "did:att->fft_pct_positive@treated"
    assert math.isclose(truth[att], known.truths()[att], rel_tol=1e-9)
    sources = read_truth_sources(out / TRUTH_FILE)
    assert sources[att] == known.truth_source and "inserted" in sources[att]
    # every id in truth.json is a finding of the run, and every finding with a truth is in it
    ids = {f.id for f in s.findings}
    assert set(truth) <= ids
    assert set(truth) == {f.id for f in s.findings if truth_for(f, s.truth) is not None}


def test_findings_json_records_coverage_that_agrees_with_truth_json(known_change_run):
    out, s, _, _ = known_change_run
    with_truth = _check_flags_against_truth_file(out)
    assert len(with_truth) >= 3
    # the same flags as the session's table shows in the notebook
    table = s.table().set_index("id")
    for r in with_truth:
        assert bool(table.loc[r["id"], "covers_truth"]) is r["covers_truth"]
    # read back, the findings are findings (truth fields are not fields of a Finding)
    assert {f.id for f in read_findings(out / "findings.json")} == {f.id for f in s.findings}


def test_a_run_without_truth_writes_no_truth_file_and_the_same_bytes(tmp_path):
    f = Finding(id="effect:x->y@nhs", question="q", estimate=1.0, ci_low=0.5, ci_high=1.5)
    before = findings_to_json([f])
    (tmp_path / TRUTH_FILE).write_text('{"truth": {"effect:x->y@nhs": 1.0}}')  # an earlier run's
    s = session.Session(notebook="nb", parameters={}, output_dir=tmp_path,
                        panel=session.load(seed=1, n_providers=30, n_months=2),
                        data_sha256="0" * 64, synthetic=False)
    s.add([f])
    path = s.finish()
    assert not (tmp_path / TRUTH_FILE).exists()
    records = json.loads(path.read_text())
    assert "truth" not in records[0] and "covers_truth" not in records[0]
    # what the session adds to a finding (data hash, notebook) aside, the same bytes
    assert path.read_text() == findings_to_json(s.findings)
    assert json.loads(before)[0].keys() == records[0].keys()


def test_findings_with_no_known_truth_keep_their_fields(tmp_path):
    fs = [Finding(id="effect:x->y@nhs", question="q", estimate=1.0, ci_low=0.5, ci_high=1.5),
          Finding(id="spc:y@R1", question="q", estimate=2.0)]
    plain = json.loads(findings_to_json(fs))
    marked = json.loads(write_findings(fs, tmp_path / "findings.json",
                                       truth={"effect:x->y@nhs": 3.0}).read_text())
    assert marked[1] == plain[1]
    assert marked[0] == {**plain[0], "truth": 3.0, "covers_truth": False}
    # the tidy frame of records read back keeps them (the report and index read this way)
    frame = findings_frame(marked)
    assert frame["covers_truth"].tolist()[0] is False and "truth" in frame


def test_an_exact_finding_id_wins_over_its_estimand(tmp_path):
    s = session.start("demo", seed=1, n_providers=30, n_months=3, output_dir=str(tmp_path))
    s.add([Finding(id="did:att->y@treated", question="q", estimate=1.0, ci_low=0.0, ci_high=2.0),
           Finding(id="did:att->y@treated#twfe", question="q", estimate=3.0, ci_low=2.5,
                   ci_high=3.5)])
    s.add_truth({"did:att->y@treated": 1.5}, source="inserted")
    s.add_truth({"did:att->y@treated#twfe": 3.1}, source="what TWFE converges to")
    s.finish()
    truth, sources = read_truth(tmp_path / TRUTH_FILE), read_truth_sources(tmp_path / TRUTH_FILE)
    assert truth == {"did:att->y@treated": 1.5, "did:att->y@treated#twfe": 3.1}
    assert sources["did:att->y@treated#twfe"] == "what TWFE converges to"
    assert [r["covers_truth"] for r in _check_flags_against_truth_file(tmp_path)] == [True, True]


def test_add_truth_refuses_what_is_not_a_truth(tmp_path):
    s = session.start("demo", seed=1, n_providers=30, n_months=3, output_dir=str(tmp_path))
    with pytest.raises(ArgumentError, match="'att' is not a finding id"):
        s.add_truth({"att": 1.0})
    with pytest.raises(ArgumentError, match=r"truths\['did:att->y@t'\]=nan"):
        s.add_truth({"did:att->y@t": float("nan")})
    with pytest.raises(ArgumentTypeError, match="truths of type list"):
        s.add_truth([("did:att->y@t", 1.0)])
    assert "did:att->y@t" not in (s.truth or {})


@pytest.fixture(scope="module")
def default_08(tmp_path_factory):
    """Notebook 08 as the default study runs it: its data block and its run."""
    from workbench.batch.runner import run_study

    folder = tmp_path_factory.mktemp("study")
    default = (ROOT / "studies" / "default.yaml").read_text()
    data = re.search(r"^data:\n(  .*\n)+", default, flags=re.MULTILINE).group(0)
    assert "08_did_it_work.ipynb" in default
    (folder / "default.yaml").write_text(
        "name: default\n" + data + "runs:\n"
        f"  - notebook: {ROOT / 'notebooks' / '08_did_it_work.ipynb'}\n")
    out = tmp_path_factory.mktemp("out")
    result = run_study(folder / "default.yaml", out=out, workers=1, progress=False)
    assert result.exit_code == 0, result.summary()
    return out / "default"


def test_the_default_studys_08_run_folder_holds_its_truths(default_08):
    run = default_08 / "08_did_it_work"
    truth = read_truth(run / TRUTH_FILE)
    for kind in ("its", "did"):
        assert [k for k in truth if k.startswith(f"{kind}:") and k.endswith("@treated")], kind
    assert "did:att->fft_pct_positive@treated" in truth
    assert "its:effect_h6->fft_pct_positive@treated" in truth
    assert all("inserted" in v for v in read_truth_sources(run / TRUTH_FILE).values())
    with_truth = _check_flags_against_truth_file(run)
    headline = {r["id"]: r["covers_truth"] for r in with_truth}
    assert headline["did:att->fft_pct_positive@treated"] is True
    # the study's pages read findings.json with the added fields
    assert (default_08 / "index.html").is_file()
    rows = (default_08 / "findings.csv").read_text().splitlines()
    assert len(rows) == 1 + len(read_finding_records(run / "findings.json"))
