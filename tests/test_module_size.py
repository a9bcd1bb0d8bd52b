"""No module of workbench/ over 400 lines unless its docstring says why it stays whole.

A module longer than :data:`LIMIT` lines holds, in its module docstring, a paragraph
starting ``Why one module:`` that says why it is one job (for example one statistical
method whose parts share private state). Otherwise it is split by job.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "workbench"
LIMIT = 400
MARK = "Why one module:"

#: Long modules that another change is editing now; each gets its paragraph when that
#: change is in (the test below fails once one of them no longer needs to be listed).
AWAITING: frozenset[str] = frozenset()


def _says_why(path: Path) -> bool:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return any(p.strip().startswith(MARK) and len(p.strip()) > len(MARK) + 20
               for p in doc.split("\n\n"))


def _long_modules() -> dict[str, int]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > LIMIT:
            out[path.relative_to(PACKAGE).as_posix()] = n
    return out


def test_every_long_module_says_why_it_stays_whole():
    offenders = {name: n for name, n in _long_modules().items()
                 if name not in AWAITING and not _says_why(PACKAGE / name)}
    lines = [f"  workbench/{name}: {n} lines" for name, n in
             sorted(offenders.items(), key=lambda kv: -kv[1])]
    assert not offenders, (f"{len(offenders)} module(s) over {LIMIT} lines without a "
                           f"'{MARK}' paragraph in the docstring (split by job, or say "
                           "why):\n" + "\n".join(lines))


def test_the_awaiting_list_holds_only_long_modules_without_the_paragraph():
    long = _long_modules()
    stale = sorted(name for name in AWAITING
                   if name not in long or _says_why(PACKAGE / name))
    assert not stale, f"remove from AWAITING (no longer needed): {stale}"
