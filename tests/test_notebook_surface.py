"""Notebooks use the public surface: `workbench`'s public names and their own question module.

A notebook ``notebooks/NN_name.py`` may import

* ``workbench`` itself (``import workbench``, then ``workbench.<name>``) and the names of
  :mod:`workbench.api` (``from workbench import escape_markdown as md``), the names that
  stay put when the package is reorganised (docs/api.md);
* its own question module, ``workbench.analysis.questions.name`` (the notebook's name
  without its number), where the notebook's analysis lives;

and nothing else of the package: no deeper module (``workbench.report.panel_figures``,
``workbench.data.measures``...), no submodule through ``from workbench import session``,
no attribute of ``workbench`` that is not a public name.

Finding ids are read through :class:`workbench.FindingId` (``finding.key.kind``,
``.exposure``, ``.variant``...), never taken apart as text: a notebook imports no ``re``,
calls no pandas pattern method (``.str.extract``, ``.str.replace``, ``.str.match``...) and
calls no string method on an id (``f.id.startswith(...)``, ``tab["id"].str...``).

Notebooks are parsed with ``ast`` (jupytext's percent scripts are plain Python), never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from workbench import api

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))
QUESTIONS = "workbench.analysis.questions"
PUBLIC = frozenset(api.__all__) | {"__version__"}

#: pandas ``.str`` methods that take a pattern (a regular expression by default).
PATTERN_METHODS = frozenset({"extract", "extractall", "replace", "match", "fullmatch",
                             "contains", "findall", "split", "rsplit", "count"})
#: Regular-expression modules a notebook does not import.
REGEX_MODULES = frozenset({"re", "regex"})


def question_module(notebook: str) -> str:
    """The question module of a notebook: its name without the number.

    >>> question_module("02_staffing_waits_satisfaction")
    'workbench.analysis.questions.staffing_waits_satisfaction'
    """
    return f"{QUESTIONS}.{notebook.split('_', 1)[1]}"


def _is_id(node: ast.AST) -> bool:
    """An expression that holds a finding id as text: ``x.id``, ``x["id"]``, or a name
    such as ``id``, ``fid``, ``finding_id``, ``ids``."""
    if isinstance(node, ast.Attribute):
        return node.attr == "id"
    if isinstance(node, ast.Subscript):
        return isinstance(node.slice, ast.Constant) and node.slice.value == "id"
    if isinstance(node, ast.Name):
        return node.id in {"id", "ids", "fid"} or node.id.endswith(("_id", "_ids"))
    return False


def surface_problems(source: str, notebook: str) -> list[str]:
    """What in a notebook's source reaches past the public surface or takes an id apart
    as text, one line each (``line N: ...``).

    >>> surface_problems("import workbench\\ns = workbench.start('x')", "01_x")
    []
    >>> surface_problems("from workbench.report import theme", "01_x")
    ['line 1: imports workbench.report.theme (only workbench and workbench.analysis.questions.x)']
    """
    own = question_module(notebook)
    own_parent, _, own_name = own.rpartition(".")
    problems: list[str] = []

    def flag(node: ast.AST, text: str) -> None:
        problems.append(f"line {node.lineno}: {text}")

    allowed = f"only workbench and {own}"
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                if top in REGEX_MODULES:
                    flag(node, f"imports {alias.name}: read finding ids with workbench.FindingId")
                elif top == "workbench" and alias.name not in ("workbench", own):
                    flag(node, f"imports {alias.name} ({allowed})")
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            top = module.split(".")[0]
            names = [a.name for a in node.names]
            if top in REGEX_MODULES:
                flag(node, f"imports from {module}: read finding ids with workbench.FindingId")
            elif module == "workbench":
                for name in names:
                    if name not in PUBLIC:
                        flag(node, f"imports workbench.{name}, not a name of workbench.api "
                                   "(docs/api.md)")
            elif module == own_parent:
                for name in names:
                    if name != own_name:
                        flag(node, f"imports {module}.{name} ({allowed})")
            elif top == "workbench" and module != own:
                flag(node, f"imports {', '.join(f'{module}.{n}' for n in names)} ({allowed})")
        elif isinstance(node, ast.Attribute):
            if (isinstance(node.value, ast.Name) and node.value.id == "workbench"
                    and node.attr not in PUBLIC):
                flag(node, f"uses workbench.{node.attr}, not a name of workbench.api "
                           "(docs/api.md)")
            if (node.attr in PATTERN_METHODS and isinstance(node.value, ast.Attribute)
                    and node.value.attr == "str"):
                flag(node, f"calls .str.{node.attr}: a pattern on text (ids are read with "
                           "workbench.FindingId; other text work belongs in the question "
                           "module)")
            elif _is_id(node.value) and not isinstance(node.ctx, ast.Store):
                flag(node, f"uses .{node.attr} of a finding id's text: read its parts "
                           "from finding.key (workbench.FindingId)")
        elif isinstance(node, ast.Subscript) and _is_id(node.value):
            flag(node, "slices a finding id's text: read its parts from finding.key")
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if (any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops)
                    and any(_is_id(s) for s in sides[1:])):
                flag(node, "searches a finding id's text with `in`: compare finding.key's "
                           "parts")
    return sorted(set(problems), key=lambda p: int(p.split()[1].rstrip(":")))


def test_every_notebook_has_its_question_module():
    assert NOTEBOOKS, "no notebooks/*.py found"
    for path in NOTEBOOKS:
        module = question_module(path.stem)
        file = ROOT / (module.replace(".", "/") + ".py")
        assert file.is_file(), (f"{path.name}: its analysis belongs in {module} "
                                f"({file.relative_to(ROOT)}), which does not exist")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_uses_only_the_public_surface(path):
    problems = surface_problems(path.read_text(encoding="utf-8"), path.stem)
    assert not problems, f"{path.relative_to(ROOT)}:\n" + "\n".join(problems)


@pytest.mark.parametrize("source", [
    "from workbench import session",
    "from workbench import interactive",
    "from workbench.report.notebook_text import escape_markdown",
    "import workbench.data.measures",
    "from workbench.analysis.models.fit import select_subset",
    "from workbench.analysis.questions import common",
    "from workbench.analysis.questions.data_quality import data_quality",
    "import workbench\nworkbench.report.panel_figures.forest(tab)",
    "import workbench\nworkbench.session.start('x')",
    "import re",
    "from re import sub",
    "tab['label'] = tab['id'].str.replace(r'@.*', '', regex=True)",
    "tab['label'] = tab['id'].str.extract(r'(\\w+):')",
    "labels = [f.id.split('@')[0] for f in found]",
    "diffs = [f for f in found if f.id.startswith('naive')]",
    "keep = [f for f in found if '#fe' in f.id]",
    "kind = f.id[:5]",
])
def test_a_reach_past_the_surface_is_caught(source):
    assert surface_problems(source, "02_staffing_waits_satisfaction")


@pytest.mark.parametrize("source", [
    "import workbench\ns = workbench.start('02', seed=1)\nworkbench.forest(tab)",
    "from workbench import escape_markdown as md, label",
    "from workbench.analysis.questions import staffing_waits_satisfaction as q02",
    "from workbench.analysis.questions.staffing_waits_satisfaction import forest_label",
    "import workbench.analysis.questions.staffing_waits_satisfaction as q02",
    "headline = [f for f in found if f.key.kind == 'effect' and not f.key.variant]",
    "tab = s.table(found)\ntab['label'] = [q02.forest_label(f) for f in found]",
    "shown = [f for f in found if f.unit.startswith(('rate', 'log'))]",
])
def test_the_public_surface_passes(source):
    assert surface_problems(source, "02_staffing_waits_satisfaction") == []
