"""Tiny notebooks, panels and study files for the batch tests (written into tmp_path)."""

from __future__ import annotations

import errno
import os
import types
from pathlib import Path

import nbformat
import pandas as pd

PARAMETERS_SOURCE = (
    'panel_path = ""      # panel parquet file\n'
    'output_dir = ""      # folder for findings.json and figures/\n'
    'scale = 1.0          # multiplies the mean\n'
    'subset = "acute"     # which providers: "acute", "nhs", "independent"\n'
    'fail = False         # raise on purpose\n'
    'n_boot = 10          # resamples\n'
    'columns = ["y"]      # columns to summarise\n'
)

#: The analysis cell: reads the panel, prints, writes a figure and findings; can fail.
ANALYSIS_SOURCE = '''\
import sys
from pathlib import Path
import pandas as pd
import matplotlib.pyplot as plt
from workbench import Finding, write_findings
CODE_MARKER_7f3a = pd.read_parquet(panel_path)
print("rows read:", len(CODE_MARKER_7f3a))
print("STDERR_MARKER_19c2", file=sys.stderr)
if fail:
    raise ValueError(f"subset {subset!r} failed on purpose")
fig, ax = plt.subplots(figsize=(3, 2))
ax.plot(CODE_MARKER_7f3a["y"].to_numpy())
Path(output_dir, "figures").mkdir(exist_ok=True)
fig.savefig(Path(output_dir, "figures", "y.png"))
plt.show()
est = float(CODE_MARKER_7f3a["y"].mean() * scale)
write_findings([Finding(id=f"mean:y@{subset}", question="What is the mean of y?",
                        estimate=est, ci_low=est - 1, ci_high=est + 1, n=len(CODE_MARKER_7f3a),
                        unit="units", parameters={"scale": scale, "subset": subset})],
               Path(output_dir) / "findings.json")
'''


def write_notebook(path: Path, parameters_source: str = PARAMETERS_SOURCE,
                   code: str = ANALYSIS_SOURCE,
                   heading: str = "# Tiny *analysis*\n\nWords for readers.",
                   closing: str | None = "## What it means\n\nThe mean is above.") -> Path:
    """A small workbench notebook: heading, tagged parameters cell, one analysis cell and
    (unless ``closing`` is None) a closing Markdown cell."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "workbench", "display_name": "Python (workbench)",
                                 "language": "python"}
    nb.cells.append(nbformat.v4.new_markdown_cell(heading))
    params = nbformat.v4.new_code_cell(parameters_source)
    params.metadata["tags"] = ["parameters"]
    nb.cells.append(params)
    nb.cells.append(nbformat.v4.new_code_cell(code))
    if closing is not None:
        nb.cells.append(nbformat.v4.new_markdown_cell(closing))
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def write_panel(path: Path) -> Path:
    """A three-provider panel that passes the schema, with an extra column ``y``."""
    pd.DataFrame({
        "provider_code": ["RA1", "RB2", "NC3"], "provider_name": ["A", "B", "C"],
        "sector": ["nhs", "nhs", "independent"], "setting": ["acute"] * 3,
        "region": ["London"] * 3, "period": pd.to_datetime(["2024-01-01"] * 3),
        "y": [1.0, 2.0, 4.0],
    }).to_parquet(path, index=False)
    return path


def write_study(folder: Path, runs_yaml: str, name: str = "tiny") -> Path:
    """A study file in ``folder`` using ``panel.parquet`` beside it (written too)."""
    write_panel(folder / "panel.parquet")
    path = folder / f"{name}.yaml"
    path.write_text(f"name: {name}\ntitle: Tiny study\ndata:\n  panel: panel.parquet\n"
                    f"runs:\n{runs_yaml}", encoding="utf-8")
    return path


def run_repo_study(name: str, out: Path, workers: int = 1) -> Path:
    """Run ``studies/<name>.yaml`` from the repository root (real-data studies name their
    data folder relative to it) and return its output folder; the run must succeed."""
    import pytest

    from workbench.batch.runner import run_study

    root = Path(__file__).resolve().parents[1]
    mp = pytest.MonkeyPatch()
    mp.chdir(root)
    try:
        result = run_study(root / "studies" / f"{name}.yaml", out=out, workers=workers,
                           progress=False)
    finally:
        mp.undo()
    assert result.exit_code == 0, result.summary()
    return out / name


def execute_run_on_a_full_disk(task):
    """``execute_run`` in a worker whose disk is full: every output written through
    :mod:`workbench.files` fails with ENOSPC (the notebook's kernel, another process,
    writes as usual)."""
    from workbench import files
    from workbench.batch.execute import execute_run

    def mkstemp(*args, dir=None, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), os.fspath(dir or "."))

    real = files.tempfile
    files.tempfile = types.SimpleNamespace(mkstemp=mkstemp)
    try:
        return execute_run(task)
    finally:
        files.tempfile = real
