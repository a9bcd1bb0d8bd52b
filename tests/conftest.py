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


@pytest.fixture(scope="session", autouse=True)
def panels_outside_the_repository(tmp_path_factory):
    """Builds and named panels made by tests go to a temporary folder, never to the
    repository's ``data/processed/panels`` (where they would push out a user's own builds:
    the newest few are kept). A test that needs its own folder sets the variable itself."""
    from workbench.data.named_panels import PANELS_ENV

    mp = pytest.MonkeyPatch()
    mp.setenv(PANELS_ENV, str(tmp_path_factory.mktemp("builds") / "panels"))
    yield
    mp.undo()
