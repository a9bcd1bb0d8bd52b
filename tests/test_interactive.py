"""Working in JupyterLab: findings tables, model and panel summaries, controls, `workbench lab`."""

from __future__ import annotations

import sys

import pytest

from workbench import cli, interactive, lab
from workbench.analysis.findings.record import Finding, Findings, readable_frame
from workbench.analysis.models.fit import CASE_MIX, ModelSpec, fit
from workbench.data.synth import generate
from workbench.errors import (
    AnalysisColumnError,
    AnalysisInputError,
    AnalysisTypeError,
    NotebookError,
)
from workbench.session import load, start, summarize


@pytest.fixture(scope="module")
def panel():
    return generate(seed=5, n_providers=60, n_months=6).panel


def _finding(**kw):
    base = {"id": "effect:x->y@acute", "question": "Does x move y?", "estimate": 0.5,
            "ci_low": 0.25, "ci_high": 0.75, "p_value": 0.0004, "n": 1200, "unit": "pp per week"}
    return Finding(**{**base, **kw})


def test_findings_frame_has_text_intervals_and_truth_columns_only_when_known():
    fs = [_finding(), _finding(id="effect:z->y@acute", estimate=-0.1, ci_low=-0.3, ci_high=0.1,
                               p_value=0.3)]
    frame = readable_frame(fs, truth={"effect:x->y@acute": 0.8})
    assert frame["95% interval"].tolist() == ["0.25 to 0.75", "-0.3 to 0.1"]
    assert frame["p"].tolist() == ["<0.001", "0.3"]
    assert frame["covers truth"].tolist() == [False, None]
    assert "truth" not in readable_frame(fs, truth={"other:a@b": 1.0}).columns


def test_findings_table_bolds_clear_estimates_and_flags_missed_truth():
    fs = Findings([_finding(), _finding(id="effect:b->y@acute", ci_low=-0.1)],
                  truth={"effect:x->y@acute": 0.9})
    assert "0.25 to 0.75" in fs._repr_html_()          # plain table outside a notebook
    html = interactive.findings_table(fs, fs.truth).to_html()
    assert "0.25 to 0.75" in html and "Does x move y?" in html and "1,200" in html
    assert html.count("font-weight: bold") >= 2       # the clear estimate and the missed truth
    assert "ci_low" not in html.split("</style>")[1]   # numeric interval columns hidden
    assert "0.25 to 0.75" in repr(fs) and "Findings([])" == repr(Findings())
    assert "<table" in _finding()._repr_html_()


def test_model_findings_and_fit_show_as_tables(panel):
    result = fit(ModelSpec("fft_pct_positive", ("rtt_median_weeks",), CASE_MIX), panel)
    found = result.findings("Do waits go with satisfaction?")
    assert isinstance(found, Findings) and isinstance(found, list)
    html = result._repr_html_()
    assert "95% interval" in html and "rtt_median_weeks" in html and "C(month)" not in \
        html.split("</code>")[1]
    assert f"{result.clusters:,} providers" in html


def test_in_batch_follows_output_dir_and_environment(monkeypatch):
    monkeypatch.delenv(interactive.BATCH_ENV, raising=False)
    assert not interactive.in_batch("") and interactive.in_batch("/tmp/run")
    monkeypatch.setenv(interactive.BATCH_ENV, "1")
    assert interactive.in_batch("")
    monkeypatch.setenv(interactive.BATCH_ENV, "0")
    assert not interactive.in_batch(None)


def test_controls_do_nothing_in_a_batch_run(monkeypatch):
    monkeypatch.delenv(interactive.BATCH_ENV, raising=False)
    calls = []
    assert interactive.controls(lambda **kw: calls.append(kw), {"a": [1, 2]},
                                output_dir="/tmp/run") is None
    assert calls == []


def test_controls_run_once_then_on_every_change(monkeypatch):
    monkeypatch.delenv(interactive.BATCH_ENV, raising=False)
    calls = []
    box = interactive.controls(lambda **kw: calls.append(kw), {"a": [1, 2], "b": [("B", "b")]},
                               title="Explore", c=3)
    assert calls == [{"a": 1, "b": "b", "c": 3}]
    picker = box.children[1].children[0]
    picker.value = 2
    assert calls[-1] == {"a": 2, "b": "b", "c": 3}
    with pytest.raises(ValueError, match="no values offered for 'a'"):
        interactive.controls(print, {"a": []})


def test_association_fits_and_rejects_bad_choices(panel):
    found = interactive.association(panel, "nurse_fte_per_10_beds", "fft_pct_positive",
                                    subset="nhs", plot=False)
    assert found[0].id == "association:nurse_fte_per_10_beds->fft_pct_positive@nhs"
    assert found[0].ci_low < found[0].estimate < found[0].ci_high
    with pytest.raises(AnalysisInputError, match="also the outcome"):
        interactive.association(panel, "rtt_median_weeks", "rtt_median_weeks", plot=False)
    with pytest.raises(AnalysisInputError, match="'no_such'"):
        interactive.association(panel, "no_such", "rtt_median_weeks", plot=False)
    with pytest.raises(AnalysisInputError, match="unknown subset 'private'"):
        interactive.association(panel, "nurse_fte_per_10_beds", "rtt_median_weeks",
                                subset="private", plot=False)


def test_panel_summary_and_load_from_a_study_folder(panel, tmp_path, capsys):
    summary = summarize(panel)
    assert summary.n_providers == 60 and summary.n_months == 6
    assert set(summary.measures["construct"]) == {"staffing", "waiting", "satisfaction",
                                                  "context"}
    assert summary.measures["complete"].between(0, 1).all()
    assert "Providers" in summary._repr_html_() and "%" in summary._repr_html_()
    (tmp_path / "data").mkdir()
    panel.to_parquet(tmp_path / "data" / "panel.parquet", index=False)
    loaded = load(tmp_path, summary=True)
    assert len(loaded) == len(panel)
    assert capsys.readouterr().out.startswith("60 providers x 6 months")
    with pytest.raises(FileNotFoundError, match="Panel file .*none not found"):
        load(tmp_path / "none")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="empty holds no panel.parquet"):
        load(tmp_path / "empty")


def test_lab_command_line(tmp_path):
    argv = lab.lab_argv(tmp_path, port=9999, open_browser=False, extra=["--debug"])
    assert argv[:3] == [sys.executable, "-m", "jupyterlab"]
    assert f"--ServerApp.root_dir={tmp_path}" in argv
    assert "--LabApp.default_url=/lab/tree/notebooks" in argv
    assert "--port=9999" in argv and "--no-browser" in argv and argv[-1] == "--debug"
    assert "--no-browser" not in lab.lab_argv(tmp_path)


def test_lab_finds_the_project_from_a_subfolder_and_fails_clearly_elsewhere(tmp_path,
                                                                           monkeypatch):
    root = lab.find_project()
    assert (root / "notebooks").is_dir()
    assert lab.find_project(root / "notebooks") == root
    monkeypatch.setattr(lab, "__file__", str(tmp_path / "pkg" / "lab.py"))
    with pytest.raises(NotebookError, match="no notebooks/ folder"):
        lab.find_project(tmp_path)


def test_cli_lab_passes_options_on(monkeypatch):
    seen = {}
    monkeypatch.setattr(lab, "start_lab", lambda **kw: seen.update(kw) or 0)
    assert cli.main(["lab", "--port", "8899", "--no-browser", "--", "--ServerApp.ip=0.0.0.0"]) == 0
    assert seen == {"port": 8899, "open_browser": False, "extra": ["--ServerApp.ip=0.0.0.0"]}
    assert cli.main(["lab"]) == 0
    assert seen == {"port": None, "open_browser": True, "extra": []}


def test_session_show_names_the_argument_and_what_it_takes(tmp_path):
    import pandas as pd

    s = start("demo", seed=1, n_providers=30, n_months=3, output_dir=str(tmp_path))
    with pytest.raises(AnalysisTypeError) as err:
        s.show([1, 2, 3])
    assert isinstance(err.value, TypeError)
    assert (err.value.function, err.value.parameter) == ("Session.show", "data")
    assert "is a list" in str(err.value)
    assert err.value.expected == "a pandas DataFrame or a typed Table"
    with pytest.raises(AnalysisColumnError) as cols:
        s.show(pd.DataFrame({"site": ["x"], "seen": [6]}), counts=["patients"])
    assert isinstance(cols.value, KeyError) and "['patients']" in str(cols.value)
    assert "['site', 'seen']" in cols.value.expected
