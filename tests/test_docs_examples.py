"""Every example in docs/ runs.

* Code blocks: every fenced ```python block of every docs/*.md page runs, the blocks of one
  page in order in one namespace (a page starts its examples from the synthetic default,
  e.g. ``panel = workbench.load()``). A block whose first line starts with ``# not run:``
  (and says why) is shown, not run.
* Table examples: every call ``workbench.name(...)`` in the example column of
  docs/api.md's tables passes arguments that ``name`` takes (its signature binds them), so
  an example such as ``workbench.spc(df, value="y", index="period")`` fails here.
"""

from __future__ import annotations

import ast
import contextvars
import inspect
import re
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pytest

import workbench

DOCS = Path(__file__).resolve().parents[1] / "docs"
FENCE = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)
NOT_RUN = "# not run"


def blocks(page: Path) -> list[str]:
    """The fenced python blocks of a page, in order."""
    return FENCE.findall(page.read_text(encoding="utf-8"))


def runnable(block: str) -> bool:
    first = next((line for line in block.splitlines() if line.strip()), "")
    return not first.strip().startswith(NOT_RUN)


PAGES = sorted(p for p in DOCS.glob("*.md") if blocks(p))


def test_the_rule_finds_the_pages_with_examples():
    names = {p.name for p in PAGES}
    assert {"api.md", "spc_funnel.md"} <= names


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_code_blocks_run_in_order(page, tmp_path, monkeypatch):
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)                 # an example that writes a file writes here
    namespace: dict = {"__name__": f"docs.{page.stem}"}
    # a page's examples run in a context of their own: measures an example declares
    # (workbench.load of a declared table) stay with that page, as in a notebook's kernel
    contextvars.copy_context().run(_run_page, page, namespace)


def _run_page(page: Path, namespace: dict) -> None:
    try:
        for i, block in enumerate(blocks(page), start=1):
            if not runnable(block):
                reason = block.strip().splitlines()[0][len(NOT_RUN):].strip(" :")
                assert reason, f"{page.name} block {i} is marked '# not run' without a reason"
                continue
            try:
                exec(compile(block, f"{page.name}, block {i}", "exec"), namespace)
            except Exception as exc:  # the message names the page and block
                raise AssertionError(f"{page.name}, code block {i} fails: {exc!r}\n{block}") \
                    from exc
    finally:
        plt.close("all")


def _table_examples(page: Path) -> list[str]:
    """The code spans of the example column (the last) of a page's tables."""
    out = []
    for line in page.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not line.startswith("| `") or set(cells[-1]) <= {"-"}:
            continue
        out.extend(re.findall(r"`([^`]+)`", cells[-1]))
    return out


def _workbench_calls(code: str) -> list[ast.Call]:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "workbench"]


def test_api_table_examples_call_with_arguments_the_functions_take():
    examples = _table_examples(DOCS / "api.md")
    checked = 0
    for code in examples:
        for call in _workbench_calls(code):
            name = call.func.attr
            assert hasattr(workbench, name), f"docs/api.md: {code!r} calls workbench.{name}"
            if any(isinstance(a, ast.Starred) for a in call.args) or any(
                    k.arg is None for k in call.keywords):
                continue
            try:
                sig = inspect.signature(getattr(workbench, name))
            except (TypeError, ValueError):
                continue
            try:
                sig.bind(*[None] * len(call.args), **{k.arg: None for k in call.keywords})
            except TypeError as exc:
                raise AssertionError(f"docs/api.md example {code!r}: {exc}") from None
            checked += 1
    assert checked > 50


def test_a_wrong_keyword_in_a_table_example_is_caught():
    [call] = _workbench_calls('workbench.spc(df, value="y", index="period")')
    sig = inspect.signature(workbench.spc)
    with pytest.raises(TypeError, match="date|index"):
        sig.bind(*[None] * len(call.args), **{k.arg: None for k in call.keywords})
