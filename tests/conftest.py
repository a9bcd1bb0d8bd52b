"""Fixtures shared by test modules."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def default_study(tmp_path_factory) -> Path:
    """The default study run once for the whole test session: its output folder
    (``<tmp>/default``, with ``public/``). Tests read it; none may change it."""
    from workbench.batch.runner import run_study

    out = tmp_path_factory.mktemp("default_study")
    result = run_study(ROOT / "studies" / "default.yaml", out=out, workers=2, progress=False)
    assert result.exit_code == 0, result.summary()
    return out / "default"
