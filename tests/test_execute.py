"""Executing studies with real papermill runs of tiny notebooks (each kernel ~2 s).

One study of three runs (two ok, one failing on purpose) is executed once per
module and inspected by several tests; a second execution (two workers) checks
byte-identical findings and folder replacement.
"""

from __future__ import annotations

import json
import os
import re
import sys

import nbformat
import pytest
from batch_helpers import write_notebook, write_study

from workbench.batch import data_step as data_step_mod
from workbench.batch import execute as execute_mod
from workbench.batch import runner as runner_mod
from workbench.batch.runner import run_study
from workbench.batch.study import load_study
from workbench.errors import ParameterError

RUNS = """\
  - notebook: nb/tiny.ipynb
    parameters: {subset: [acute, nhs], scale: 2}
  - notebook: nb/tiny.ipynb
    parameters: {subset: boom, fail: true}
"""
OK_IDS = ["tiny--scale-2--subset-acute", "tiny--scale-2--subset-nhs"]
FAILED_ID = "tiny--fail-true--subset-boom"


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("study")
    write_notebook(folder / "nb" / "tiny.ipynb")
    study = write_study(folder, RUNS)
    out = folder / "out"
    result = run_study(study, out=out, progress=False)
    return folder, study, out / "tiny", result


def test_failed_run_is_isolated_kept_and_sets_the_exit_code(executed):
    _, _, study_out, result = executed
    assert result.exit_code == 1
    assert [r.run_id for r in result.results] == OK_IDS + [FAILED_ID]
    assert [r.status for r in result.results] == ["ok", "ok", "failed"]
    manifest = json.loads((study_out / FAILED_ID / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    err = manifest["error"]
    assert (err["ename"], err["evalue"]) == ("ValueError", "subset 'boom' failed on purpose")
    assert "raise ValueError" in err["cell_source"]
    assert "traceback" not in err
    log = (study_out / FAILED_ID / "run.log").read_text()
    assert "Traceback" in log or "----> " in log
    assert "STDERR_MARKER_19c2" in log and "rows read: 3" in log
    assert not (study_out / FAILED_ID / "findings.json").exists()
    assert "FAILED tiny--fail-true--subset-boom: ValueError: subset 'boom'" in result.summary()


def test_run_folders_hold_the_whole_layout_and_nothing_partial(executed):
    _, _, study_out, _ = executed
    for run_id in OK_IDS:
        folder = study_out / run_id
        names = {p.name for p in folder.iterdir()}
        assert names == {"notebook.ipynb", "report.html", "findings.json", "figures",
                         "manifest.json", "run.log", "disclosure.json", "results.json"}
        assert (folder / "figures" / "y.png").stat().st_size > 0
        nb = nbformat.read(folder / "notebook.ipynb", as_version=4)
        assert any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)
    assert not [p.name for p in study_out.iterdir() if p.name.startswith(".")]
    assert (study_out / "data" / "panel.parquet").exists()


def test_manifest_records_provenance(executed):
    _, _, study_out, result = executed
    m = json.loads((study_out / OK_IDS[0] / "manifest.json").read_text())
    assert m["status"] == "ok" and m["error"] is None
    assert m["parameters"] == {"scale": 2, "subset": "acute"}
    assert m["data_sha256"] == result.data["sha256"] and len(m["data_sha256"]) == 64
    assert len(m["notebook_sha256"]) == 64 and m["notebook"] == "tiny.ipynb"
    for pkg in ("workbench", "pandas", "numpy", "statsmodels", "papermill"):
        assert m["versions"][pkg]
    assert m["python"].split()[1] == ".".join(map(str, sys.version_info[:3]))
    assert "git_commit" in m and m["kernel"] == "workbench"
    assert m["started"] <= m["ended"] and m["duration_s"] > 0
    assert m["title"] == "Tiny analysis"


def _visible_text(html: str) -> str:
    html = re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.DOTALL)
    return re.sub(r"<[^>]+>", " ", html)


def test_report_has_no_code_no_parameters_no_stderr_no_paths(executed):
    folder, _, study_out, _ = executed
    for run_id in OK_IDS + [FAILED_ID]:
        html = (study_out / run_id / "report.html").read_text()
        for banned in ("CODE_MARKER_7f3a", "read_parquet", "panel_path", "output_dir",
                       "STDERR_MARKER_19c2", "Traceback", "injected-parameters",
                       str(folder), "/tmp/", 'class="highlight', "<script src="):
            assert banned not in html, (run_id, banned)
        text = _visible_text(html)
        assert "Tiny analysis" in text and "Words for readers." in text
        assert "Tiny study" in text and "subset = " in text
        assert "Provenance" in text and "sha256" in text
    ok = (study_out / OK_IDS[0] / "report.html").read_text()
    assert "rows read: 3" in ok and "data:image/png;base64," in ok
    failed = _visible_text((study_out / FAILED_ID / "report.html").read_text())
    assert "This run failed" in failed and "subset 'boom' failed on purpose" in failed


def test_index_and_findings_csv(executed):
    _, _, study_out, _ = executed
    index = (study_out / "index.html").read_text()
    for run_id in OK_IDS:
        assert f'href="{run_id}/report.html"' in index
    assert f'href="{FAILED_ID}/report.html"' in index
    assert "ValueError: subset 'boom' failed on purpose" in index
    # a finding without a sentence: in the table of findings by its question and numbers
    assert re.search(r"What is the mean of y\?</td>\s*<td[^>]*>4\.67</td>\s*"
                     r"<td[^>]*>3\.67 to 5\.67</td>\s*<td>units</td>", index)
    lines = (study_out / "findings.csv").read_text().splitlines()
    assert lines[0].startswith("run_id,id,question,estimate,ci_low,ci_high")
    assert [ln.split(",")[0] for ln in lines[1:]] == OK_IDS
    assert "mean:y@acute" in lines[1] and "mean:y@nhs" in lines[2]


def test_rerun_gives_identical_findings_and_replaces_folders(executed):
    _, study, study_out, _ = executed
    before = {r: (study_out / r / "findings.json").read_bytes() for r in OK_IDS}
    started = json.loads((study_out / OK_IDS[0] / "manifest.json").read_text())["started"]
    (study_out / f".{OK_IDS[0]}.partial").mkdir()  # left by an interrupted run
    again = run_study(study, out=study_out.parent, progress=False, workers=2)
    assert [r.status for r in again.results] == ["ok", "ok", "failed"]
    for run_id in OK_IDS:
        assert (study_out / run_id / "findings.json").read_bytes() == before[run_id]
    m = json.loads((study_out / OK_IDS[0] / "manifest.json").read_text())
    assert m["started"] >= started
    assert not [p.name for p in study_out.iterdir() if p.name.startswith(".")]


def test_validation_fails_before_any_kernel_or_data(tmp_path, monkeypatch):
    def forbidden(*args, **kwargs):
        pytest.fail("a run was executed although the study is invalid")

    monkeypatch.setattr(runner_mod, "execute_run", forbidden)
    monkeypatch.setattr(data_step_mod, "materialise_data", forbidden)
    write_notebook(tmp_path / "nb" / "tiny.ipynb")
    study = write_study(tmp_path, "  - notebook: nb/tiny.ipynb\n    parameters: {subset: nhs}\n"
                                  "  - notebook: nb/tiny.ipynb\n    parameters: {sclae: 2}\n")
    with pytest.raises(ParameterError) as info:
        run_study(study, out=tmp_path / "out", progress=False)
    assert info.value.parameter == "sclae" and info.value.suggestion == "scale"
    assert "tiny.ipynb" in str(info.value) and "subset (str)" in str(info.value)
    assert not (tmp_path / "out" / "tiny").exists() or not any((tmp_path / "out" / "tiny")
                                                              .iterdir())


def test_study_may_not_set_injected_parameters(tmp_path, monkeypatch):
    monkeypatch.setattr(runner_mod, "execute_run", lambda task: pytest.fail("executed"))
    write_notebook(tmp_path / "nb" / "tiny.ipynb")
    study = write_study(tmp_path, "  - notebook: nb/tiny.ipynb\n"
                                  "    parameters: {output_dir: elsewhere}\n")
    with pytest.raises(ParameterError, match="set by the runner"):
        run_study(study, out=tmp_path / "out", progress=False)


def test_run_folder_appears_only_when_complete(tmp_path, monkeypatch):
    """While the notebook executes only the hidden folder exists; then it is renamed."""
    import papermill

    write_notebook(tmp_path / "nb" / "tiny.ipynb")
    study = load_study(write_study(tmp_path, "  - nb/tiny.ipynb\n"))
    out = tmp_path / "out" / "tiny"
    out.mkdir(parents=True)
    seen = {}

    def fake_execute(input_path, output_path, parameters, **kwargs):
        tmp = execute_mod.Path(parameters["output_dir"])
        seen["final_during"] = (out / "tiny").exists()
        seen["tmp_name"] = tmp.name
        nb = nbformat.read(input_path, as_version=4)
        nbformat.write(nb, output_path)
        (tmp / "findings.json").write_text("[]\n")

    monkeypatch.setattr(papermill, "execute_notebook", fake_execute)
    task = execute_mod.RunTask(run=study.runs[0], out_dir=out, panel_path=tmp_path / "panel.parquet",
                               data={"kind": "panel", "sha256": "0" * 64})
    result = execute_mod.execute_run(task)
    assert seen == {"final_during": False, "tmp_name": f".tiny.partial-{os.getpid()}"}
    assert result.ok and (out / "tiny" / "manifest.json").exists()
    assert not list(out.glob(".tiny.partial*"))


def test_ensure_kernelspec_is_idempotent_and_points_at_this_python():
    from workbench.kernelspec import ensure_kernelspec

    first = ensure_kernelspec()
    second = ensure_kernelspec()
    assert first.argv[0] == second.argv[0] == sys.executable
    assert second.display_name == "Python (workbench)"


def test_a_kernel_that_cannot_start_is_a_failed_run_with_a_report(tmp_path):
    write_notebook(tmp_path / "nb" / "tiny.ipynb")
    study = load_study(write_study(tmp_path, "  - nb/tiny.ipynb\n"))
    out = tmp_path / "out" / "tiny"
    task = execute_mod.RunTask(run=study.runs[0], out_dir=out, panel_path=tmp_path / "panel.parquet",
                               data={"kind": "panel", "sha256": "0" * 64},
                               kernel_name="no-such-kernel-5b1e")
    result = execute_mod.execute_run(task)
    assert result.status == "failed" and result.error["ename"] == "NoSuchKernel"
    assert result.error["cell_source"] is None
    manifest = json.loads((out / "tiny" / "manifest.json").read_text())
    assert manifest["status"] == "failed" and manifest["error"]["ename"] == "NoSuchKernel"
    html = (out / "tiny" / "report.html").read_text()
    assert "This run failed" in html and "CODE_MARKER_7f3a" not in html


def test_git_commit_and_dirty_flag(tmp_path):
    import subprocess

    from workbench.batch.provenance import git_commit, git_dirty

    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    assert git_commit(tmp_path) is None and git_dirty(tmp_path) is None
    git("init", "-q")
    (tmp_path / "a.txt").write_text("1")
    git("add", "a.txt")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "a")
    commit = git_commit(tmp_path)
    assert commit and len(commit) == 40
    assert git_dirty(tmp_path, ["a.txt"]) is False
    (tmp_path / "a.txt").write_text("2")
    assert git_dirty(tmp_path, ["a.txt"]) is True


def test_materialise_data_from_synthetic_and_from_a_build(tmp_path):
    from test_panel_build import make_folder

    from workbench.batch.study import DataSpec
    synthetic = data_step_mod.materialise_data(
        DataSpec("synthetic", {"seed": 3, "n_providers": 20, "n_months": 3}), tmp_path / "syn")
    assert sorted(p.name for p in (tmp_path / "syn").iterdir()) == [
        "panel.catalogue.json", "panel.parquet", "panel.rtt_flows.parquet", "truth.json"]
    again = data_step_mod.materialise_data(
        DataSpec("synthetic", {"seed": 3, "n_providers": 20, "n_months": 3}), tmp_path / "syn")
    assert synthetic["sha256"] == again["sha256"] and synthetic["truth_path"] == "data/truth.json"

    raw = make_folder(tmp_path / "raw")
    built = data_step_mod.materialise_data(DataSpec("build", {"from": raw}), tmp_path / "built")
    assert (tmp_path / "built" / "panel.parquet").exists() and built["truth_path"] is None
    assert built["options"]["from"] == str(raw) and len(built["sha256"]) == 64
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_unknown_synthetic_option_is_a_study_error(tmp_path):
    from workbench.batch.study import DataSpec
    from workbench.errors import StudyError

    with pytest.raises(StudyError, match=r"data.synthetic.n_provider'.*accepts"):
        data_step_mod.materialise_data(DataSpec("synthetic", {"n_provider": 3}), tmp_path / "d",
                                       "s.yaml")
    assert not list(tmp_path.iterdir())
    with pytest.raises(StudyError, match=r"s.yaml: key 'data.synthetic': .*n_providers"):
        data_step_mod.materialise_data(DataSpec("synthetic", {"n_providers": 3}), tmp_path / "d",
                                       "s.yaml")
