"""The same inputs give the same report, byte for byte, apart from the line saying when
the run happened: figures (seaborn's bootstrap is seeded, PNG metadata fixed), the
rendered page (no varying ids or timestamps) and the disclosure log (~30 s)."""

from __future__ import annotations

import re

import pytest
from report_helpers import write_attack_study

from workbench.batch.runner import run_study
from workbench.report.run_report import without_run_times

#: The report's line that says when the run happened (and how long it took).
TIME_LINE = re.compile(r"^.*<dt>Run</dt>.*$", re.MULTILINE)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("repro")
    study = write_attack_study(folder, with_project_notebooks=False)
    outs = []
    for name in ("first", "second"):
        result = run_study(study, out=folder / name, progress=False)
        assert [r.status for r in result.results] == ["ok"], result.summary()
        outs.append(result.results[0].folder)
    return outs


def test_reports_are_byte_identical_apart_from_the_time_line(two_runs):
    first, second = (TIME_LINE.sub("", (f / "report.html").read_text(encoding="utf-8"))
                     for f in two_runs)
    assert first == second
    assert len(TIME_LINE.findall((two_runs[0] / "report.html").read_text(encoding="utf-8"))) == 1


def test_figures_and_disclosure_logs_are_identical(two_runs):
    a, b = two_runs
    assert (a / "figures" / "relationship.png").read_bytes() == \
        (b / "figures" / "relationship.png").read_bytes()
    assert (a / "disclosure.json").read_bytes() == (b / "disclosure.json").read_bytes()


def test_without_run_times_removes_only_the_time_line(two_runs):
    html = (two_runs[0] / "report.html").read_text(encoding="utf-8")
    kept = without_run_times(html)
    assert "<dt>Run</dt>" not in kept and "<dt>Study</dt>" in kept
    assert len(html.splitlines()) - len(kept.splitlines()) <= 1


def test_sector_comparison_jitter_is_the_same_every_time_and_leaves_numpy_alone():
    import io

    import matplotlib.pyplot as plt
    import numpy as np

    from workbench.data.synth import generate
    from workbench.report.panel_figures import sector_comparison

    panel = generate(seed=2, n_providers=40, n_months=3).panel
    images = []
    for _ in range(2):
        np.random.seed(None)                    # whatever the user's global state is
        before = np.random.get_state()[1].copy()
        ax = sector_comparison(panel, "rtt_median_weeks")
        assert (np.random.get_state()[1] == before).all()
        buf = io.BytesIO()
        ax.figure.savefig(buf, format="png", metadata={"Software": None})
        plt.close(ax.figure)
        images.append(buf.getvalue())
    assert images[0] == images[1]
