"""The notebook API: every name resolves from `workbench`, and docs/api.md lists each."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import workbench
from workbench import api

DOC = Path(__file__).resolve().parents[1] / "docs" / "api.md"


def test_every_api_name_resolves_from_the_package():
    for name in api.__all__:
        assert getattr(workbench, name) is getattr(api, name), name


def test_docs_page_lists_every_name_once():
    listed = re.findall(r"^\| `([A-Za-z_]+)` \|", DOC.read_text(encoding="utf-8"), re.MULTILINE)
    assert sorted(listed) == sorted(api.__all__)


def test_importing_the_package_does_not_load_the_notebook_side():
    code = ("import sys, workbench, workbench.batch.runner, workbench.cli; "
            "print('workbench.api' in sys.modules, 'workbench.session' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_unknown_name_is_an_attribute_error():
    try:
        workbench.no_such_thing  # noqa: B018
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected AttributeError")


def test_every_preloaded_module_imports_in_a_fresh_process():
    """The kernel launcher imports these before forking kernels; a circular import here
    would make every batch fall back to slow kernel starts."""
    from workbench.batch.launcher import PRELOAD

    for name in [m for m in PRELOAD if m.startswith("workbench")] + ["workbench.session",
                                                                      "workbench.interactive"]:
        out = subprocess.run([sys.executable, "-c", f"import {name}"], check=False,
                             capture_output=True,
                             text=True)
        assert out.returncode == 0, f"import {name} failed: {out.stderr[-500:]}"
