"""Analysis takes data, never files: no function or method under workbench/analysis/ has a
parameter named for a path, file or folder, or typed as a path (tables reach analysis as
DataFrames through the session, workbench.session.Session.data)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import workbench.analysis

WORDS = re.compile(r"(^|_)(path|file|files|filename|dir|dirs|directory|folder)(_|$)")


def _callables():
    for info in pkgutil.walk_packages(workbench.analysis.__path__, "workbench.analysis."):
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(obj):
                yield f"{info.name}.{name}", obj
            elif inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    func = getattr(member, "__func__", member)
                    if inspect.isfunction(func):
                        yield f"{info.name}.{name}.{attr}", func


def test_no_analysis_function_takes_a_path():
    found = list(_callables())
    assert len(found) > 100  # the walk reaches the analysis modules
    bad = []
    for where, func in found:
        for p in inspect.signature(func).parameters.values():
            annotation = str(p.annotation)
            if WORDS.search(p.name) or re.search(r"\bPath\b|PathLike", annotation):
                bad.append(f"{where}({p.name}: {annotation})")
    assert not bad, "analysis functions that take a path: " + ", ".join(bad)


def test_results_of_data_held_or_not_answer_the_one_findings_call():
    from workbench.analysis.effects.like_for_like import Analysis, SectorComparison
    from workbench.analysis.questions.claims_register import Register
    from workbench.analysis.questions.real_data_staffing_ae import StaffExperience
    from workbench.analysis.questions.what_patients_write import PatientComments

    for cls in (SectorComparison, Analysis, Register, StaffExperience, PatientComments):
        params = list(inspect.signature(cls.findings).parameters.values())[1:]
        assert [p.name for p in params] == ["question"] and params[0].default is None, cls
