"""Content-addressed skip of unchanged runs.


A run's **cache key** is the sha256 of everything that decides its outputs:

- the notebook's content (each cell's type, source and tags, and the kernel it asks
  for; saved outputs and execution counts do not count);
- the parameters the study sets (canonical JSON);
- the input data's sha256;
- the workbench code the run uses (:func:`code_sha256`): the modules the notebook
  imports, the modules those import in turn, and the modules that execute a run and
  render its report (:data:`RUNNER_MODULES`), each hashed by its syntax tree without
  docstrings (:func:`module_fingerprints`), so editing an unrelated module, a
  docstring or a comment invalidates nothing; plus the workbench version;
- the Python files beside the notebook that it imports (:func:`local_imports`: a
  study's own helper script, such as ``benchmarks/validation.py`` for the validation
  study's chunks), byte for byte;
- the locked environment: the name and version of every installed distribution,
  the Python version and the platform;
- the kernel name.

:func:`check_cached` says whether the run folder already holds a complete, successful
run with the same key: ``manifest.json`` with status ``ok`` and that ``cache_key``,
and every file the manifest lists under ``outputs`` present with its recorded size
and the sha256 recorded under ``output_sha256`` when the run finished
(:func:`output_hashes`), so a file edited in place, even to the same size, is noticed
and the run made again; when not, it says why (:attr:`CacheCheck.reason`). Failed
runs are never reused.

>>> k1 = run_cache_key("0" * 64, {"subset": "nhs"}, "a" * 64, "env", "workbench")
>>> k2 = run_cache_key("0" * 64, {"subset": "acute"}, "a" * 64, "env", "workbench")
>>> len(k1), k1 == k2
(64, False)
"""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import json
import platform
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import nbformat

import workbench
from workbench.files import sha256_file

#: Files of the workbench package that count as its source.
SOURCE_SUFFIXES = (".py", ".j2", ".json", ".css", ".tpl")


def _sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: equal values give equal text.

    >>> canonical_json({"b": 1, "a": [1, 2]})
    '{"a":[1,2],"b":1}'
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      default=str)


def notebook_content_sha256(path: str | Path) -> str:
    """sha256 of what a notebook runs and shows: cells' type, source and tags, and kernel.

    Outputs, execution counts and other metadata are left out, so saving a notebook
    with outputs in JupyterLab does not invalidate its runs.
    """
    nb = nbformat.read(str(path), as_version=4)
    cells = [{"type": c.cell_type, "source": c.source,
              "tags": sorted(c.get("metadata", {}).get("tags", []))} for c in nb.cells]
    kernel = (nb.metadata.get("kernelspec") or {}).get("name")
    return _sha256_text(canonical_json({"cells": cells, "kernel": kernel}))


#: Modules whose code shapes every run's outputs, whatever its notebook imports: the
#: execution of a run (papermill, the manifest) and the rendering of its report.
RUNNER_MODULES = ("workbench.batch.execute",)
#: The package's lazy re-export: ``import workbench`` then ``workbench.<name>`` reaches
#: the names of this module (see ``workbench/__init__.py``).
LAZY_EXPORTS = "api"


def package_root() -> Path:
    """The folder of the installed workbench package (its ``__init__.py``'s folder)."""
    return Path(workbench.__file__).resolve().parent


def _module_name(path: Path, root: Path) -> str:
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _python_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    """``tree`` with the docstring of the module and of every class and function removed."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return tree


def code_text_sha256(source: str) -> str:
    r"""sha256 of what Python code does: its syntax tree without docstrings or positions.

    Comments, blank lines, formatting and docstrings do not count; any change to the
    code does. Text that is not valid Python is hashed as it is.

    >>> code_text_sha256("x = 1  # one") == code_text_sha256("'Doc.'\n\nx = (1)\n")
    True
    >>> code_text_sha256("x = 1") == code_text_sha256("x = 2")
    False
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return _sha256_text(source)
    return _sha256_text(ast.dump(_strip_docstrings(tree), include_attributes=False))


def _package_of(path: Path, root: Path) -> str:
    """The module name of the innermost package (folder with ``__init__.py``) holding ``path``."""
    folder = path.parent
    while folder != root and not (folder / "__init__.py").is_file():
        folder = folder.parent
    return _module_name(folder / "__init__.py", root)


def module_fingerprints(root: str | Path) -> dict[str, str]:
    """sha256 of each module of the package at ``root``, by dotted name.

    A module's fingerprint is :func:`code_text_sha256` of its source (docstrings and
    comments do not count). Other source files (templates, ``.json``, ``.css``) count
    towards the innermost package holding them (``workbench/report/templates/x.j2``
    towards ``workbench.report``), byte for byte.

    >>> fps = module_fingerprints(package_root())
    >>> len(fps["workbench.batch.cache"]), "workbench" in fps
    (64, True)
    """
    return _scan(Path(root).resolve())[0]


def _resolve_from(node: ast.ImportFrom, module: str, is_package: bool) -> str | None:
    """The absolute module an ``from ... import`` statement in ``module`` names."""
    if not node.level:
        return node.module
    base = module.split(".") if is_package else module.split(".")[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else [])) or None


def imported_modules(tree: ast.AST, package: str, known: set[str] | frozenset[str],
                     module: str = "", is_package: bool = False,
                     bare_import_is_api: bool = True) -> set[str]:
    r"""Modules of ``package`` (names in ``known``) that the code ``tree`` imports.

    ``import p.a.b`` names ``p.a.b``; ``from p.a import b`` names ``p.a.b`` when that is
    a module, else ``p.a``; ``from p import name`` for a name that is not a submodule
    names ``p.api`` too (the lazy re-export, :data:`LAZY_EXPORTS`); a bare ``import p``
    names ``p.x`` for every attribute ``p.x`` used that is a submodule, and ``p.api``:
    always when ``bare_import_is_api`` (a notebook may reach the re-exports in ways
    no parser follows), else only when some other attribute than ``p.__dunder__`` is
    used. ``importlib.import_module("p.x")`` with a literal name counts. ``module``
    and ``is_package`` resolve relative imports.

    >>> tree = ast.parse("import workbench\nfrom workbench.analysis.models import fit\n"
    ...                  "workbench.data.measures")
    >>> known = {"workbench", "workbench.api", "workbench.analysis",
    ...          "workbench.analysis.models", "workbench.analysis.models.fit",
    ...          "workbench.data", "workbench.data.measures"}
    >>> sorted(imported_modules(tree, "workbench", known))[2:]
    ['workbench.analysis.models.fit', 'workbench.api', 'workbench.data', 'workbench.data.measures']
    """
    lazy = f"{package}.{LAZY_EXPORTS}"
    found: set[str] = set()
    aliases: set[str] = set()   # names bound to the package itself (`import workbench as wb`)

    def ours(name: str | None) -> bool:
        return bool(name) and (name == package or name.startswith(package + "."))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if not ours(alias.name):
                    continue
                found.add(alias.name)
                if alias.name == package or alias.asname is None:
                    aliases.add(alias.asname or package)
                    if alias.name == package and lazy in known and bare_import_is_api:
                        found.add(lazy)
        elif isinstance(node, ast.ImportFrom):
            source = _resolve_from(node, module, is_package)
            if not ours(source):
                continue
            found.add(source)
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                if sub in known:
                    found.add(sub)
                elif source == package and lazy in known:
                    found.add(lazy)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str) and ours(node.args[0].value) and (
                    getattr(node.func, "attr", None) == "import_module"
                    or getattr(node.func, "id", None) == "import_module"):
            found.add(node.args[0].value)
    if aliases:
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute):
                dotted = _dotted(node)
                if dotted is None:
                    continue
                first, _, rest = dotted.partition(".")
                if first not in aliases or not rest:
                    continue
                name = package + "." + rest
                while name != package and name not in known:
                    name = name.rpartition(".")[0]
                attribute = rest.partition(".")[0]
                if name == package and lazy in known and not (
                        attribute.startswith("__") and attribute.endswith("__")):
                    found.add(lazy)  # workbench.load and the like: the lazy re-export
                found.add(name)
    return {name for name in found if name in known or _known_parent(name, known)}


def _dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for the attribute chain ``a.b.c``, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id, *reversed(parts)])


def _known_parent(name: str, known: set[str] | frozenset[str]) -> bool:
    while "." in name:
        name = name.rpartition(".")[0]
        if name in known:
            return True
    return False


def import_graph(root: str | Path) -> dict[str, frozenset[str]]:
    """The modules each module of the package at ``root`` imports (its own modules only).

    Imports anywhere in a module count, also those inside functions (imported when
    called). A package's ``__init__`` counts only the imports it runs when it is
    imported (not those inside its functions: ``workbench/__init__.py``'s lazy
    ``__getattr__`` is modelled where ``workbench.<name>`` is used, see
    :func:`imported_modules`).

    >>> graph = import_graph(package_root())
    >>> "workbench.batch.provenance" in graph["workbench.batch.execute"]
    True
    """
    return _scan(Path(root).resolve())[1]


def _module_record(name: str, path: Path, root: Path,
                   known: frozenset[str]) -> tuple[str, frozenset[str]]:
    """The fingerprint of one module's code and the modules of the package it imports."""
    source = path.read_text(encoding="utf-8")
    is_package = path.name == "__init__.py"
    try:
        tree = ast.parse(source)
    except SyntaxError:  # hashed as text; it imports nothing we can see
        return _sha256_text(source), frozenset()
    runs = tree
    if is_package:
        runs = ast.Module(body=[s for s in tree.body if not isinstance(
            s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))], type_ignores=[])
    imports = frozenset(imported_modules(runs, root.name, known, name, is_package,
                                         bare_import_is_api=False))
    return _sha256_text(ast.dump(_strip_docstrings(tree), include_attributes=False)), imports


def _other_source_files(root: Path) -> dict[str, list[Path]]:
    """The non-Python source files under ``root``, by the package they count towards."""
    extra: dict[str, list[Path]] = {}
    for path in sorted(p for p in root.rglob("*") if p.suffix in SOURCE_SUFFIXES
                       and p.suffix != ".py" and "__pycache__" not in p.parts and p.is_file()):
        extra.setdefault(_package_of(path, root), []).append(path)
    return extra


class _ModuleIndex:
    """Fingerprints and imports of the modules under ``root``, each module parsed the
    first time one of them is asked for (a run's key needs only the modules it uses).
    """

    def __init__(self, root: Path):
        self.root = root
        self.files = {_module_name(p, root): p for p in _python_files(root)}
        self.known = frozenset(self.files)
        self.extra = _other_source_files(root)
        self.names = tuple(dict.fromkeys([*self.files, *self.extra]))
        self._records: dict[str, tuple[str | None, frozenset[str]]] = {}
        self._fingerprints: dict[str, str] = {}

    def record(self, name: str) -> tuple[str | None, frozenset[str]]:
        found = self._records.get(name)
        if found is None:
            path = self.files.get(name)
            found = (None, frozenset()) if path is None else \
                _module_record(name, path, self.root, self.known)
            self._records[name] = found
        return found

    def fingerprint(self, name: str) -> str:
        found = self._fingerprints.get(name)
        if found is None:
            code = self.record(name)[0]
            listed = self.extra.get(name)
            if listed is not None:  # templates, .json, .css: byte for byte
                code = _sha256_text(canonical_json({"code": code, "files": [
                    p.relative_to(self.root).as_posix() + ":"
                    + hashlib.sha256(p.read_bytes()).hexdigest() for p in listed]}))
            found = self._fingerprints[name] = code
        return found


class _LazyMapping(Mapping):
    """A read-only mapping over fixed keys whose values are computed when first read."""

    def __init__(self, keys, value):
        self._keys = keys
        self._key_set = frozenset(keys)
        self._value = value

    def __getitem__(self, key):
        if key not in self._key_set:
            raise KeyError(key)
        return self._value(key)

    def __iter__(self):
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key) -> bool:
        return key in self._key_set


def _scan(root: Path) -> tuple[dict[str, str], dict[str, frozenset[str]]]:
    """:func:`module_fingerprints` and :func:`import_graph` of ``root``, each file parsed once."""
    index = _ModuleIndex(root)
    return ({name: index.fingerprint(name) for name in index.names},
            {name: index.record(name)[1] for name in index.files})


@dataclass(frozen=True)
class SourceTree:
    """The workbench source at ``root``: each module's fingerprint and import graph.

    Both are mappings by module name; a module is parsed the first time its entry is
    read, so a run's key costs the parsing of the modules it uses only.

    >>> tree = SourceTree.load(package_root())
    >>> "workbench.batch.study" in tree.closure(["workbench.batch.execute"])
    True
    >>> len(tree.fingerprint(["workbench.errors"]))
    64
    """

    root: Path
    fingerprints: Mapping = field(hash=False)
    graph: Mapping = field(hash=False)

    @classmethod
    def load(cls, root: str | Path) -> SourceTree:
        """The tree at ``root``, read once per process while its files are unchanged."""
        root = Path(root).resolve()
        stamp = tuple((p.as_posix(), p.stat().st_mtime_ns, p.stat().st_size)
                      for p in sorted(root.rglob("*")) if p.suffix in SOURCE_SUFFIXES
                      and "__pycache__" not in p.parts and p.is_file())
        return _load_tree(root, stamp)

    @property
    def package(self) -> str:
        """The package's name: the last part of ``root`` (``workbench``)."""
        return self.root.name

    def closure(self, modules) -> set[str]:
        """``modules``, every module they import in turn, and their parent packages
        (importing ``a.b.c`` runs ``a`` and ``a.b`` first). Names not in the tree are
        reduced to their nearest module (``workbench.x.name`` -> ``workbench.x``).
        """
        seen: set[str] = set()
        todo = list(modules)
        while todo:
            name = todo.pop()
            while name and name not in self.graph:
                name = name.rpartition(".")[0]
            if not name or name in seen:
                continue
            seen.add(name)
            parts = name.split(".")
            todo += [".".join(parts[:i]) for i in range(1, len(parts))]
            todo += self.graph[name]
        return seen

    def fingerprint(self, modules) -> str:
        """sha256 over the fingerprints of :meth:`closure` of ``modules``."""
        names = sorted(self.closure(modules))
        return _sha256_text(canonical_json({n: self.fingerprints[n] for n in names}))


@cache
def _load_tree(root: Path, stamp: tuple) -> SourceTree:
    index = _ModuleIndex(root)
    return SourceTree(root=root,
                      fingerprints=_LazyMapping(index.names, index.fingerprint),
                      graph=_LazyMapping(tuple(index.files), lambda n: index.record(n)[1]))


def notebook_imports(path: str | Path, package: str = "workbench",
                     known: set[str] | frozenset[str] | None = None) -> set[str] | None:
    r"""The modules of ``package`` that a notebook's code cells import (see
    :func:`imported_modules`), or None when a cell cannot be read as Python even after
    IPython's magics are translated (then the caller assumes the whole package).

    ``known`` are the package's module names (default: those of the installed package).

    >>> import nbformat, tempfile, pathlib
    >>> nb = nbformat.v4.new_notebook()
    >>> nb.cells.append(nbformat.v4.new_code_cell("%matplotlib inline\nimport pandas\n"
    ...                                           "from workbench.analysis.findings import record"))
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "nb.ipynb"
    >>> nbformat.write(nb, path)
    >>> sorted(notebook_imports(path))
    ['workbench.analysis.findings', 'workbench.analysis.findings.record']
    """
    if known is None:
        known = frozenset(SourceTree.load(package_root()).graph)
    found: set[str] = set()
    for tree in _code_cells(path):
        if tree is None:
            return None
        found |= imported_modules(tree, package, known)
    return found


def _code_cells(path: str | Path) -> tuple[ast.AST | None, ...]:
    """The syntax tree of each non-empty code cell of the notebook at ``path`` (None for a
    cell that cannot be read as Python even after IPython's magics are translated), read
    and parsed once while the file is unchanged (a run's key asks for its workbench
    imports and for the files beside it it imports).
    """
    path = Path(path).resolve()
    stat = path.stat()
    return _parsed_cells(path, stat.st_mtime_ns, stat.st_size)


@cache
def _parsed_cells(path: Path, mtime_ns: int, size: int) -> tuple[ast.AST | None, ...]:
    nb = nbformat.read(str(path), as_version=4)
    return tuple(_parse_cell(cell.source) for cell in nb.cells
                 if cell.cell_type == "code" and cell.source.strip())


def _parse_cell(source: str) -> ast.AST | None:
    try:
        return ast.parse(source)
    except SyntaxError:
        pass
    try:  # IPython syntax: %magics, !shell, ?help become plain calls
        from IPython.core.inputtransformer2 import TransformerManager

        return ast.parse(TransformerManager().transform_cell(source))
    except (ImportError, SyntaxError, ValueError):
        return None


def local_imports(notebook: str | Path, package: str = "workbench") -> list[Path]:
    r"""Python files beside ``notebook`` (in its folder or the folder above, where a
    kernel started in the notebook's folder finds them, directly or through
    ``sys.path.insert(0, "..")``) that its code cells import by top-level name: a
    study's own helper scripts, whose edits change what a run computes.

    >>> import nbformat, tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp()); (root / "nbs").mkdir()
    >>> _ = (root / "helper.py").write_text("X = 1\n")
    >>> nb = nbformat.v4.new_notebook()
    >>> nb.cells.append(nbformat.v4.new_code_cell("import json\nimport helper"))
    >>> nbformat.write(nb, root / "nbs" / "nb.ipynb")
    >>> [p.name for p in local_imports(root / "nbs" / "nb.ipynb")]
    ['helper.py']
    """
    notebook = Path(notebook)
    names: set[str] = set()
    for tree in _code_cells(notebook):
        for node in ast.walk(tree) if tree is not None else ():
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names.add(node.module.split(".")[0])
    names.discard(package)
    here = notebook.resolve().parent
    found = []
    for name in sorted(names):
        for folder in (here, here.parent):
            if (folder / f"{name}.py").is_file():
                found.append(folder / f"{name}.py")
                break
    return found


def code_sha256(notebook: str | Path, root: str | Path | None = None) -> str:
    """sha256 of the code a run of ``notebook`` uses, from the workbench source at
    ``root`` (default: the installed package): the closure of the workbench modules the
    notebook imports and of :data:`RUNNER_MODULES` (:meth:`SourceTree.fingerprint`;
    a notebook whose code cannot be parsed counts every module), and the bytes of the
    Python files beside it that it imports (:func:`local_imports`).
    """
    tree = SourceTree.load(package_root() if root is None else root)
    modules = notebook_imports(notebook, tree.package, frozenset(tree.graph))
    if modules is None:
        modules = set(tree.graph)
    code = tree.fingerprint(set(modules) | set(RUNNER_MODULES))
    local = local_imports(notebook, tree.package)
    if not local:
        return code
    return _sha256_text(canonical_json({"workbench": code, "local": {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in local}}))


@cache
def _name_and_version(dist: importlib.metadata.Distribution) -> tuple[str | None, str | None]:
    """A distribution's ``Name`` and ``Version`` from its metadata's header lines, as
    ``dist.metadata`` gives them, without parsing the whole file (its long description
    included) as an e-mail message: a tenth of the time.
    """
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    found: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            break  # the header ends at the first blank line
        key, sep, value = line.partition(":")
        if sep and key in ("Name", "Version"):
            found.setdefault(key, value.strip())
    return found.get("Name"), found.get("Version")


def environment_sha256() -> str:
    """sha256 of the locked environment: every installed distribution and version
    (like ``pip freeze``), Python and the platform. The workbench's own source is
    counted per run instead (:func:`code_sha256`).
    """
    dists = sorted({f"{(name or '').lower()}=={version}"
                    for name, version in map(_name_and_version,
                                             importlib.metadata.distributions())})
    return _sha256_text(canonical_json({
        "distributions": dists, "python": sys.version, "platform": platform.platform(),
        "executable": sys.executable}))


def run_cache_key(notebook_sha256: str, parameters: dict, data_sha256: str | None,
                  environment: str, kernel_name: str, code: str | None = None) -> str:
    """The cache key of one run (see the module docstring); ``code`` is
    :func:`code_sha256` of its notebook.
    """
    return _sha256_text(canonical_json({
        "notebook": notebook_sha256, "parameters": parameters, "data": data_sha256,
        "environment": environment, "kernel": kernel_name, "code": code,
        "workbench": getattr(workbench, "__version__", None)}))


def _output_files(folder: Path) -> list[Path]:
    return [p for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "manifest.json"]


def output_listing(folder: Path) -> dict[str, int]:
    """Every file under ``folder`` (POSIX relative path -> size), without the manifest."""
    return {p.relative_to(folder).as_posix(): p.stat().st_size for p in _output_files(folder)}


def output_hashes(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (POSIX relative path -> sha256), without the manifest:
    what a run's manifest records under ``output_sha256`` when it finishes.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp()); _ = (d / "findings.json").write_text("[]")
    >>> output_hashes(d)["findings.json"][:12]
    '4f53cda18c2b'
    """
    return {p.relative_to(folder).as_posix(): sha256_file(p) for p in _output_files(folder)}


@dataclass(frozen=True)
class CacheCheck:
    """What :func:`check_cached` found: the manifest of a run that may be reused (else
    None), and why not (``reason``, '' when reused). ``changed`` is True when the
    folder held a finished, successful run with the same key whose files are no longer
    those it finished with (edited, damaged or missing): worth telling the user.
    """

    manifest: dict | None
    reason: str = ""
    changed: bool = False

    @property
    def reusable(self) -> bool:
        """True when the run in the folder may be reused (a manifest was found fit)."""
        return self.manifest is not None


def check_cached(folder: Path, key: str) -> CacheCheck:
    """Whether ``folder`` holds a complete, successful run with ``key`` whose output files
    are byte for byte those it finished with (sizes, then sha256 against the manifest's
    ``output_sha256``); see the module docstring.

    >>> import tempfile
    >>> check_cached(Path(tempfile.mkdtemp()), "k").reason
    'no earlier run in this folder'
    """
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        return CacheCheck(None, "no earlier run in this folder")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # not a run this cache can vouch for; it is made again
        return CacheCheck(None, "its manifest.json cannot be read", changed=True)
    if not isinstance(manifest, dict):
        return CacheCheck(None, "its manifest.json is not a run's manifest", changed=True)
    if manifest.get("status") != "ok":
        return CacheCheck(None, "the earlier run did not succeed")
    if manifest.get("cache_key") != key:
        return CacheCheck(None, "its notebook, parameters, data, code or environment changed")
    outputs, hashes = manifest.get("outputs"), manifest.get("output_sha256")
    if not isinstance(outputs, dict) or not outputs:
        return CacheCheck(None, "its manifest lists no output files", changed=True)
    if not isinstance(hashes, dict) or set(hashes) != set(outputs):
        return CacheCheck(None, "its manifest holds no sha256 of its output files (written "
                                "before they were recorded)")
    for rel, size in outputs.items():
        path = folder / rel
        if not path.is_file():
            return CacheCheck(None, f"{rel} is missing", changed=True)
        if path.stat().st_size != size:
            return CacheCheck(None, f"{rel} changed since the run finished (its size differs "
                                    "from the one recorded)", changed=True)
    for rel, digest in hashes.items():
        if sha256_file(folder / rel) != digest:
            return CacheCheck(None, f"{rel} changed since the run finished (its sha256 differs "
                                    "from the one recorded)", changed=True)
    return CacheCheck(manifest)


def cached_result(folder: Path, key: str) -> dict | None:
    """The manifest of a complete, successful run in ``folder`` with ``key`` whose outputs
    are unchanged (:func:`check_cached`), else None.
    """
    return check_cached(folder, key).manifest
