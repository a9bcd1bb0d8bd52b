"""Private parameters stay private: run ids and folders carry a digest, the index and
findings.csv show ``[private <digest>]`` so runs stay apart, and no published file holds a
value - even from a notebook whose findings record no parameters (~10 s)."""

from __future__ import annotations

import csv
import re

import pytest
from batch_helpers import write_notebook

from workbench.batch.runner import run_study
from workbench.batch.study import load_study
from workbench.report.masking import KEY_ENV

NOTES = ["call_ward_manager_07700900123", "call_ward_manager_07700900456"]
CODE = "RX1"  # a provider code shorter than four characters

PARAMETERS = ('output_dir = ""\npanel_path = ""\n'
              'analyst_note = "none"  # private\nprovider = "R001"  # private\n')
BODY = '''\
import json, pathlib
from IPython.display import Markdown, display
from workbench import session
from workbench.analysis.findings.record import Finding
from workbench.report.findings_file import write_findings
s = session.start("notes", panel_path=panel_path, output_dir=output_dir,
                  analyst_note=analyst_note, provider=provider)
display(Markdown(f"Reviewed by {analyst_note} for {provider}."))
print(f"note: {analyst_note}")
f = Finding(id=f"mean:waits@{provider}", question=f"Waits at {provider}?", estimate=12.0,
            ci_low=11.0, ci_high=13.0, n=240, sentence=f"{provider}: {analyst_note}.")
s.add([f])
s.finish()
# findings written again with no parameters, as a notebook of its own might write them
f.parameters = {}
write_findings([f], pathlib.Path(s.output_dir) / "findings.json")
'''


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    folder = tmp_path_factory.mktemp("private")
    mp = pytest.MonkeyPatch()
    mp.setenv(KEY_ENV, "a test key")
    write_notebook(folder / "notes.ipynb", PARAMETERS, BODY, heading="# Notes", closing=None)
    (folder / "s.yaml").write_text(
        "name: private_notes\ndata: {synthetic: {seed: 1, n_providers: 30, n_months: 6}}\n"
        "private: [analyst_note, provider]\nruns:\n  - notebook: notes.ipynb\n"
        f"    parameters: {{analyst_note: [{', '.join(NOTES)}], provider: {CODE}}}\n",
        encoding="utf-8")
    result = run_study(folder / "s.yaml", out=folder / "out", progress=False)
    yield folder, folder / "out" / "private_notes", result
    mp.undo()


def test_run_ids_and_folders_carry_a_digest_not_the_value(study):
    _, out, result = study
    assert [r.status for r in result.results] == ["ok", "ok"], result.summary()
    ids = [r.run_id for r in result.results]
    assert len(set(ids)) == 2
    for run_id in ids:
        assert "07700900" not in run_id and CODE not in run_id
        assert re.search(r"analyst_note-private_[0-9a-f]{8}", run_id)
    for path in out.rglob("*"):
        assert "07700900" not in path.name, path


def test_no_published_file_holds_a_private_value(study):
    _, out, _ = study
    published = [*out.glob("index*.html"), out / "findings.csv", out / "disclosure.json",
                 *out.glob("*/report.html"), *out.glob("*/results.json"),
                 *out.glob("*/disclosure.json"), *out.glob("*/figures/*.json")]
    assert len(published) >= 7
    for path in published:
        text = path.read_text(encoding="utf-8")
        for value in NOTES:
            assert value not in text, path
        assert not re.search(rf"(?<![A-Za-z0-9]){CODE}(?![A-Za-z0-9])", text), path


def test_index_and_csv_show_the_digest_so_runs_stay_apart(study):
    _, out, _ = study
    with open(out / "findings.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2 and rows[0]["run_id"] != rows[1]["run_id"]
    labels = [re.findall(r"\[private [0-9a-f]{8}\]", r["sentence"]) for r in rows]
    assert all(len(x) == 2 for x in labels) and labels[0][1] != labels[1][1]
    assert all(re.fullmatch(r"mean:waits@\[private [0-9a-f]{8}\]", r["id"]) for r in rows)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert len(set(re.findall(r"analyst_note = \[private ([0-9a-f]{8})\]", index))) == 2


def test_dry_run_plan_gives_the_same_ids(study, monkeypatch):
    folder, _, result = study
    monkeypatch.setenv(KEY_ENV, "a test key")
    assert [r.run_id for r in load_study(folder / "s.yaml").runs] == \
        [r.run_id for r in result.results]
