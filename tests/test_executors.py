"""The executor registry: names resolve to classes only when a batch asks for them, other
executors are added by name (or by an installed package's entry point), and a wrong name
or target is refused with the names that exist."""

from __future__ import annotations

import json
import subprocess
import sys
from types import SimpleNamespace

import pytest

from workbench.batch import executors
from workbench.batch.executors import (
    Executor,
    available_executors,
    executor_class,
    get_executor,
    register_executor,
    unregister_executor,
)
from workbench.errors import WorkbenchError


class Inline(Executor):
    """Runs every task in this process, in order."""

    name = "inline"

    def map_unordered(self, fn, tasks):
        return map(fn, tasks)


@pytest.fixture
def clean_registry(monkeypatch):
    """The registry as it is, restored after the test."""
    monkeypatch.setattr(executors, "_REGISTRY", dict(executors._REGISTRY))
    monkeypatch.setattr(executors, "_entry_points_read", False)


def test_importing_the_registry_imports_no_executor():
    code = ("import sys, json, workbench.batch.executors as e; "
            "print(json.dumps(sorted(m for m in sys.modules "
            "if m.startswith('workbench.batch.executors.') or m.split('.')[0] in "
            "('dask', 'distributed', 'dask_jobqueue'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    assert json.loads(done.stdout) == ["workbench.batch.executors.base"]


def test_built_in_executors_resolve_to_their_classes_on_first_use():
    assert available_executors()[:3] == ["local", "dask", "slurm"]
    for name in ("local", "dask", "slurm"):
        cls = executor_class(name)
        assert issubclass(cls, Executor) and cls.name == name
        assert executor_class(name) is cls
    with get_executor("local", workers=1) as ex:
        assert sorted(ex.map_unordered(abs, [-3, 2])) == [2, 3]


def test_an_executor_is_registered_by_name_as_a_class_or_a_module_path(clean_registry):
    register_executor("inline", Inline)
    assert list(get_executor("inline").map_unordered(abs, [-1, -2])) == [1, 2]
    register_executor("local-too", "workbench.batch.executors.local:LocalExecutor")
    assert executor_class("local-too") is executor_class("local")
    unregister_executor("inline")
    assert "inline" not in available_executors()


@pytest.mark.parametrize("target, expected", [
    ("workbench.batch.executors.local", "the target must be 'module:Class'"),
    (abs, "subclass of Executor"),
])
def test_a_wrong_target_is_refused_when_registered(clean_registry, target, expected):
    with pytest.raises(WorkbenchError, match=expected):
        register_executor("wrong", target)


@pytest.mark.parametrize("target, expected", [
    ("no_such_module_8f3:Thing", "cannot import 'no_such_module_8f3:Thing'"),
    ("workbench.batch.executors.local:NoSuchClass", "cannot import"),
    ("workbench.batch.executors.local:worker_context", "expected a subclass"),
])
def test_a_target_that_is_not_an_executor_is_refused_when_used(clean_registry, target,
                                                                 expected):
    register_executor("wrong", target)
    with pytest.raises(WorkbenchError, match=expected):
        get_executor("wrong")


def test_an_unknown_name_lists_the_executors_there_are():
    with pytest.raises(WorkbenchError) as caught:
        get_executor("nowhere")
    assert "unknown executor 'nowhere'" in str(caught.value)
    assert "'local', 'dask', 'slurm'" in str(caught.value)


def test_an_installed_package_adds_executors_through_entry_points(clean_registry, monkeypatch):
    found = [SimpleNamespace(name="inline-ep", value=f"{__name__}:Inline"),
             SimpleNamespace(name="local", value="elsewhere:NotUsed")]
    asked = []

    def entry_points(group):
        asked.append(group)
        return found

    monkeypatch.setattr(executors, "entry_points", entry_points)
    assert executor_class("inline-ep") is Inline
    assert executor_class("local").__name__ == "LocalExecutor"  # built-ins are kept
    available_executors()
    assert asked == ["workbench.executors"]  # read once


def test_the_runner_refuses_an_unknown_executor_before_making_anything(tmp_path):
    from batch_helpers import write_notebook, write_study

    from workbench.batch.runner import run_study

    write_notebook(tmp_path / "nb" / "tiny.ipynb")
    study = write_study(tmp_path, "  - notebook: nb/tiny.ipynb\n")
    with pytest.raises(WorkbenchError, match="unknown executor 'nowhere'"):
        run_study(study, out=tmp_path / "out", executor="nowhere", progress=False)
    folder = tmp_path / "out" / "tiny"
    assert not folder.exists() or not any(folder.iterdir())  # no data, no run folder
