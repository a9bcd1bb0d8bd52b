"""Every error survives pickling, so an error raised in a worker process reaches the runner
with its message and facts: a full disk during a study ends with the clear
OutputWriteError, not with ``BrokenProcessPool``.

The classes are found, not listed: every class that ``workbench/errors.py`` defines, and
every exception class defined anywhere in ``workbench/`` (found by reading the sources),
so a new class is covered when it is written.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import multiprocessing
import pickle
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
from batch_helpers import execute_run_on_a_full_disk, write_notebook, write_study

import workbench
from workbench.errors import OutputWriteError, WorkbenchError

PACKAGE = Path(workbench.__file__).parent

#: Constructor arguments by parameter name; any other parameter gets a string naming it.
SAMPLES = {
    "source": "data/panel.parquet",
    "failures": pd.DataFrame([{"column": "beds", "rule": "in_range(0, 5000)", "rows": [3, 7],
                               "n_rows": 2, "values": ["-1", "-4"]}]),
    "path": "outputs/tiny/run-1/manifest.json",
    "declared": {"scale": "float", "subset": "str"},
    "value": [1, 2],
    "values": (1.0, 2.0),
    "files": ("ae_2025_06.csv", "ae_workbook_2025_06.xlsx"),
    "sources": ("ae", "ae_workbook"),
    "n_cells": 3,
    "known": ("rtt_median_weeks", "beds"),
    "name": "rtt_median_week",
    "timeout": 60.0,
}


def _exception_modules() -> list[str]:
    """Modules of ``workbench/`` whose source defines a class with an Error, Exception or
    Warning base (read, not imported, so nothing else is imported for this test)."""
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(node, ast.ClassDef) and any(
                ast.unparse(b).endswith(("Error", "Exception", "Warning")) for b in node.bases)
               for node in ast.walk(tree)):
            parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def _exception_classes() -> list[type[BaseException]]:
    """Every exception or warning class defined in those modules, errors.py's first."""
    found: dict[str, type[BaseException]] = {}
    for module in ["workbench.errors", *_exception_modules()]:
        for _, cls in inspect.getmembers(importlib.import_module(module), inspect.isclass):
            if issubclass(cls, BaseException) and cls.__module__ == module:
                found.setdefault(f"{module}.{cls.__qualname__}", cls)
    return list(found.values())


CLASSES = _exception_classes()
ERRORS_PY = [c for c in CLASSES if c.__module__ == "workbench.errors"]


def _example(cls: type[BaseException]) -> BaseException:
    """An instance of ``cls`` built from :data:`SAMPLES` by its ``__init__``'s parameters."""
    owner = next(k for k in cls.__mro__ if "__init__" in vars(k))
    if owner.__module__ == "builtins":
        return cls(f"{cls.__name__}: a message naming the value 'x' and what was expected")
    args, kwargs = [], {}
    for name, p in list(inspect.signature(owner.__init__).parameters.items())[1:]:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        value = SAMPLES.get(name, f"<{name}>")
        if p.kind == p.KEYWORD_ONLY:
            kwargs[name] = value
        else:
            args.append(value)
    return cls(*args, **kwargs)


def _same(a, b) -> bool:
    return a.equals(b) if isinstance(a, pd.DataFrame) else a == b


def _name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def test_the_classes_are_found():
    names = {_name(c) for c in CLASSES}
    assert {"workbench.errors.OutputWriteError", "workbench.errors.UnknownMeasureError",
            "workbench.finding_id.FindingIdError", "workbench.batch.launcher.LauncherError",
            "workbench.errors.IncompleteSourceWarning"} <= names
    assert len(ERRORS_PY) >= 25


@pytest.mark.parametrize("cls", CLASSES, ids=_name)
def test_every_exception_class_is_a_workbench_error_or_a_warning(cls):
    assert issubclass(cls, (WorkbenchError, Warning)), (
        f"{_name(cls)} is an error outside the WorkbenchError hierarchy")


@pytest.mark.parametrize("cls", CLASSES, ids=_name)
def test_every_error_class_round_trips_through_pickle(cls):
    error = _example(cls)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls
    assert str(copy) == str(error) and copy.args == error.args
    assert vars(copy).keys() == vars(error).keys()
    for attribute, value in vars(error).items():
        assert _same(getattr(copy, attribute), value), attribute
    if "__init__" in vars(cls) and issubclass(cls, WorkbenchError):
        assert vars(error), f"{_name(cls)} keeps no facts as attributes"


def test_the_facts_of_an_output_write_error_survive():
    error = OutputWriteError("outputs/tiny/run-1/manifest.json",
                             "no space left on the device (ENOSPC)")
    copy = pickle.loads(pickle.dumps(error))
    assert isinstance(copy, OSError) and copy.path == "outputs/tiny/run-1/manifest.json"
    assert copy.problem == "no space left on the device (ENOSPC)"
    assert str(copy) == "outputs/tiny/run-1/manifest.json: no space left on the device (ENOSPC)"


def _raise(error: BaseException) -> None:
    raise error


def test_an_error_raised_in_a_worker_process_reaches_the_caller_whole():
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    raised = [_example(cls) for cls in ERRORS_PY if issubclass(cls, WorkbenchError)]
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context(method)) as pool:
        for error in raised:
            with pytest.raises(type(error)) as info:
                pool.submit(_raise, error).result(timeout=60)
            assert type(info.value) is type(error) and str(info.value) == str(error)


def test_a_full_disk_during_a_study_ends_with_the_output_write_error(tmp_path, monkeypatch):
    from workbench.batch import runner

    write_notebook(tmp_path / "nb" / "tiny.ipynb")
    study = write_study(tmp_path, "  - notebook: nb/tiny.ipynb\n"
                                  "    parameters: {subset: [acute, nhs]}\n")
    monkeypatch.setattr(runner, "execute_run", execute_run_on_a_full_disk)
    with pytest.raises(OutputWriteError) as info:  # before: BrokenProcessPool
        runner.run_study(study, out=tmp_path / "out", workers=2, progress=False, preload=False)
    error = info.value
    assert Path(error.path).name == "manifest.json"
    assert str(error).startswith(error.path)
    assert "no space left on the device (ENOSPC" in str(error)
    assert "nothing was replaced" in error.problem
    assert not list((tmp_path / "out").rglob("manifest.json"))
