"""The workbench's modules import one another without circles, and importing them does
nothing but define names.

The import graph is grimp's (import-linter's graph library): every ``import`` statement
of every module under ``workbench/``, including those inside functions and under
``if TYPE_CHECKING:``. Two modules that import each other, directly or through others,
form a strongly connected component of more than one module: a circle.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import grimp
import pytest

PACKAGE = "workbench"
#: The one module whose import does work: multiprocessing's fork server can only import
#: modules, so this is its entry point (as a script's ``__main__`` is).
FORKSERVER_ENTRY = "workbench.batch.executors.forkserver"


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph(PACKAGE, include_external_packages=False,
                             exclude_type_checking_imports=False, cache_dir=None)


def strongly_connected_components(nodes, edges_of) -> list[list[str]]:
    """Tarjan's algorithm, without recursion: the strongly connected components of the
    directed graph whose edges from ``v`` are ``edges_of(v)``."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, iter(sorted(edges_of(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, successors = work[-1]
            for w in successors:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(edges_of(w)))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[v])
                if low[v] == index[v]:
                    component = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        component.append(w)
                        if w == v:
                            break
                    components.append(sorted(component))
    return components


def test_tarjan_finds_circles_and_leaves_chains_alone():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a", "e"}, "e": set(), "f": {"f"}}
    components = strongly_connected_components(edges, edges.__getitem__)
    assert sorted(c for c in components if len(c) > 1) == [["a", "b", "c"]]
    assert sorted(map(tuple, components)) == [("a", "b", "c"), ("d",), ("e",), ("f",)]


def test_a_circle_through_type_checking_and_function_imports_is_found(tmp_path, monkeypatch):
    # the same check on a small package whose circle is made of an import under
    # TYPE_CHECKING one way and an import inside a function the other way
    package = tmp_path / "wb_circle_demo"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n"
                                  "    from wb_circle_demo.b import B\n")
    (package / "b.py").write_text("class B:\n    def f(self):\n"
                                  "        from wb_circle_demo import a\n        return a\n")
    (package / "c.py").write_text("from wb_circle_demo import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    demo = grimp.build_graph("wb_circle_demo", include_external_packages=False,
                             exclude_type_checking_imports=False, cache_dir=None)
    components = strongly_connected_components(demo.modules,
                                               demo.find_modules_directly_imported_by)
    assert [c for c in components if len(c) > 1] == [["wb_circle_demo.a", "wb_circle_demo.b"]]


def test_no_module_of_the_workbench_is_in_an_import_circle(graph):
    circles = [c for c in strongly_connected_components(
        graph.modules, graph.find_modules_directly_imported_by) if len(c) > 1]
    lines = []
    for circle in circles:
        lines.append(" <-> ".join(circle))
        for importer in circle:
            for imported in circle:
                for d in graph.get_import_details(importer=importer, imported=imported):
                    lines.append(f"    {importer}:{d['line_number']}: {d['line_contents']}")
    assert not circles, "import circles among workbench modules:\n" + "\n".join(lines)


def test_nothing_imports_the_fork_server_entry(graph):
    assert FORKSERVER_ENTRY in graph.modules
    assert graph.find_modules_that_directly_import(FORKSERVER_ENTRY) == set()


#: Run in a new interpreter: import every module named in argv[1:], one at a time, and
#: report what each import changed that importing a module must not change. It imports
#: nothing else first (papermill or nbconvert would import jsonschema, and with it the
#: packages whose entries a module might set to None); nbconvert's exporters are watched
#: from the moment something imports them.
SIDE_EFFECTS = r"""
import importlib, importlib.machinery, json, sys
from importlib.metadata import entry_points

rendered = []
WATCHED = "nbconvert.exporters.templateexporter"

def watch(exporter):
    original = exporter.from_notebook_node

    def from_notebook_node(self, nb, *args, **kwargs):
        rendered.append(type(self).__name__)
        return original(self, nb, *args, **kwargs)

    exporter.from_notebook_node = from_notebook_node

class Watcher:
    def find_spec(self, name, path, target=None):
        if name != WATCHED:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            watch(module.TemplateExporter)

        spec.loader.exec_module = exec_module
        return spec

sys.meta_path.insert(0, Watcher())

# the engines papermill registers itself when imported (its own and installed packages')
PAPERMILL_OWN = {"None", "nbclient"} | {ep.name for ep in
                                        entry_points(group="papermill.engine")}

def state():
    engines = sys.modules.get("papermill.engines")
    names = map(str, engines.papermill_engines._engines) if engines else ()
    pyplot = sys.modules.get("matplotlib.pyplot")
    return {"none": sorted(k for k, v in list(sys.modules.items()) if v is None),
            "engines": sorted(set(names) - PAPERMILL_OWN),
            "rendered": list(rendered),
            "figures": list(pyplot.get_fignums()) if pyplot else []}

changes = {}
before = state()
for name in sys.argv[1:]:
    importlib.import_module(name)
    after = state()
    changed = {k: {"before": before[k], "after": after[k]} for k in before
               if before[k] != after[k]}
    if changed:
        changes[name] = changed
    before = after
print(json.dumps(changes))
"""


def _import_in_new_interpreter(modules: list[str]) -> dict:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, "-c", SIDE_EFFECTS, *modules], capture_output=True,
                          text=True, timeout=600, check=False, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.timeout(600)
def test_importing_a_module_registers_renders_and_hides_nothing(graph):
    # sys.modules entries set to None hide packages from the process (the batch leaves
    # rfc3987_syntax out by calling a function); a papermill engine is registered by the
    # code that runs notebooks; a report is rendered by the code that warms workers.
    modules = sorted(m for m in graph.modules if m != FORKSERVER_ENTRY)
    changes = _import_in_new_interpreter(modules)
    assert not changes, "importing these modules changed the process:\n" + "\n".join(
        f"  {name}: {json.dumps(what)}" for name, what in changes.items())


def test_the_fork_server_entry_prepares_its_process():
    # what the fork server of local workers does: import this one module
    code = (f"import sys, {FORKSERVER_ENTRY}\n"
            "from workbench.batch.warm_worker import warm\n"
            "print(sys.modules.get('rfc3987_syntax', 'absent') is None, "
            "warm.cache_info().misses, warm())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["True", "1", "True"]  # left out, warmed once, rendered
