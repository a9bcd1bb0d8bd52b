"""No module of ``workbench/`` uses another module's private names.

A name that starts with one underscore (``_derive``, ``_Args``) belongs to the module that
defines it: the module may change or remove it without notice. A helper that two modules
need is made public in its owner module, with a docstring and an example, and both use that.
Dunder names (``__version__``, ``__all__``) are not private.

The check reads every ``workbench/**/*.py`` with :mod:`ast` (nothing is imported). It maps
each name a module binds to a workbench module through its imports (``import workbench.x.y``,
``import workbench.x.y as z``, ``from workbench.x import y`` and relative imports, where
``y`` is a module) and fails on

* ``from workbench.x import _name`` (a private name taken from another module),
* ``alias._name`` or ``workbench.x.y._name``, where the object is a workbench module, and
* an import of a private module (``workbench.data.sources._shared``) from outside the
  package that holds it: such a module is shared by its package's modules only.

Private attributes of objects (``result._cache``) cannot be told apart from a module's own
use without running the code; the module-level check is what this test holds. Nothing is
exempt (:data:`EXEMPT` would hold an exemption and its reason).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "workbench"


def module_name(path: Path, root: Path = ROOT) -> str:
    """``workbench/a/b.py`` -> ``workbench.a.b``; ``workbench/a/__init__.py`` -> ``workbench.a``."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


FILES = sorted(PACKAGE.rglob("*.py"))
MODULES = frozenset(module_name(p) for p in FILES)

#: (importing module, private module) -> why the import is allowed. Empty: a module that
#: another package needs is made public instead.
EXEMPT: dict[tuple[str, str], str] = {}


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def in_workbench(module: str | None) -> bool:
    return module is not None and (module == "workbench" or module.startswith("workbench."))


def imported_from(node: ast.ImportFrom, module: str, is_package: bool) -> str | None:
    """The absolute name of the module a ``from ... import`` reads from."""
    if node.level == 0:
        return node.module
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def private_module_outside(target: str, importer: str) -> str | None:
    """The private module in ``target``'s path if ``importer`` is outside its package."""
    parts = target.split(".")
    for i, part in enumerate(parts):
        if is_private(part):
            package = ".".join(parts[:i])
            private = ".".join(parts[: i + 1])
            inside = importer == package or importer.startswith(package + ".")
            if not inside and (importer, private) not in EXEMPT:
                return private
    return None


def module_of(expr: ast.expr, aliases: dict[str, str]) -> str | None:
    """The workbench module an expression such as ``calc`` or ``workbench.data.rtt`` names."""
    if isinstance(expr, ast.Name):
        return aliases.get(expr.id)
    if isinstance(expr, ast.Attribute):
        base = module_of(expr.value, aliases)
        if base is not None and f"{base}.{expr.attr}" in MODULES:
            return f"{base}.{expr.attr}"
    return None


def offences(path: Path, root: Path = ROOT) -> list[str]:
    """``file:line: what`` for every use of another module's private name in ``path``."""
    module = module_name(path, root)
    where = path.relative_to(root).as_posix()
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    aliases: dict[str, str] = {}
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if in_workbench(alias.name):
                    private = private_module_outside(alias.name, module)
                    if private:
                        found.append(f"{where}:{node.lineno}: import {alias.name} "
                                     f"({private} is private to its package)")
                    if alias.asname:
                        aliases[alias.asname] = alias.name
                    else:
                        aliases["workbench"] = "workbench"
        elif isinstance(node, ast.ImportFrom):
            source = imported_from(node, module, path.name == "__init__.py")
            if not in_workbench(source):
                continue
            private = private_module_outside(source, module)
            if private:
                found.append(f"{where}:{node.lineno}: from {source} import ... "
                             f"({private} is private to its package)")
            for alias in node.names:
                if is_private(alias.name):
                    found.append(f"{where}:{node.lineno}: from {source} import {alias.name}")
                if f"{source}.{alias.name}" in MODULES:
                    aliases[alias.asname or alias.name] = f"{source}.{alias.name}"
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and is_private(node.attr):
            owner = module_of(node.value, aliases)
            if owner is not None and owner != module:
                found.append(f"{where}:{node.lineno}: {ast.unparse(node)} "
                             f"({node.attr} is private to {owner})")
    return sorted(found, key=lambda line: int(line.split(":")[1]))


def test_the_check_reads_the_package():
    assert len(FILES) > 100
    assert "workbench.analysis.queues.calculators" in MODULES
    assert "workbench.data.sources" in MODULES


def test_no_module_uses_another_modules_private_names():
    found = [line for path in FILES for line in offences(path)]
    assert not found, ("private names used outside their module (make the helper public in "
                       "its owner module, with a docstring and an example):\n"
                       + "\n".join(found))


SHARED_IS_PRIVATE = "(workbench.data.sources._shared is private to its package)"


@pytest.mark.parametrize("source, expected", [
    ("from workbench.analysis.findings import formatting\nformatting._missing(1)\n",
     "formatting._missing (_missing is private to workbench.analysis.findings.formatting)"),
    ("import workbench.data.sources.rtt as rtt\nrtt._header('x')\n",
     "rtt._header (_header is private to workbench.data.sources.rtt)"),
    ("import workbench.data.sources.rtt\nworkbench.data.sources.rtt._parse\n",
     "workbench.data.sources.rtt._parse (_parse is private to workbench.data.sources.rtt)"),
    ("from workbench.analysis import queues\nqueues.calculators._Args('f')\n",
     "queues.calculators._Args (_Args is private to workbench.analysis.queues.calculators)"),
    ("from workbench.analysis.queues.waiting_list import _day\n",
     "from workbench.analysis.queues.waiting_list import _day"),
    ("from ..findings import _x\n", "from workbench.analysis.findings import _x"),
    ("from . import calculators as calc\ncalc._Args\n",
     "calc._Args (_Args is private to workbench.analysis.queues.calculators)"),
    ("from workbench.data.sources._shared import check_file\n",
     f"from workbench.data.sources._shared import ... {SHARED_IS_PRIVATE}"),
    ("import workbench.data.sources._shared as c\n",
     f"import workbench.data.sources._shared {SHARED_IS_PRIVATE}"),
])
def test_the_check_finds_each_form(tmp_path, source, expected):
    # a module of workbench.analysis.queues (in a copy of the tree's layout), so that its
    # relative imports resolve as they would there
    target = tmp_path / "workbench" / "analysis" / "queues" / "probe.py"
    target.parent.mkdir(parents=True)
    target.write_text(source, encoding="utf-8")
    found = offences(target, root=tmp_path)
    assert len(found) == 1 and found[0].endswith(expected), found
    assert found[0].startswith("workbench/analysis/queues/probe.py:")


@pytest.mark.parametrize("source", [
    "from workbench import __version__\n",
    "from workbench.analysis.findings import formatting\nformatting.is_missing(1)\n",
    "import pandas as pd\npd._libs\n",  # another package's privates are not this test's
    "def f(self):\n    return self._cache\n",
])
def test_the_check_allows_public_names_and_dunders(tmp_path, source):
    target = tmp_path / "workbench" / "probe.py"
    target.parent.mkdir(parents=True)
    target.write_text(source, encoding="utf-8")
    assert offences(target, root=tmp_path) == []


def test_a_private_module_is_shared_within_its_package(tmp_path):
    target = tmp_path / "workbench" / "data" / "sources" / "probe.py"
    target.parent.mkdir(parents=True)
    target.write_text("from workbench.data.sources._shared import check_file\n"
                      "from ._shared import provenance\n", encoding="utf-8")
    assert offences(target, root=tmp_path) == []


def test_every_exemption_is_still_needed():
    imports = set()
    for path in FILES:
        module = module_name(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                imports.add((module, imported_from(node, module, path.name == "__init__.py")))
            elif isinstance(node, ast.Import):
                imports.update((module, a.name) for a in node.names)
    for importer, private in EXEMPT:
        assert any(i == importer and (m == private or (m or "").startswith(private + "."))
                   for i, m in imports), f"{importer} no longer imports {private}: drop it"
