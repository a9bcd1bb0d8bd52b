r"""What a notebook says about itself: its title, the question it answers, and the values
its parameters cells set.

Reports and the study index use these to head a page with the notebook's own words
(:func:`notebook_title`, :func:`notebook_question`) and to find the values of private
parameters a run used without the study setting them (:func:`notebook_parameter_values`).
Text from data (provider names, notes, sentences) enters Markdown through
:func:`escape_markdown`, so it shows as written and never as markup or HTML.

>>> import nbformat
>>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Waits\ntext")])
>>> notebook_title(nb, "fallback")
'Waits'
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported only where a notebook is read: nbformat loads jsonschema's
    import nbformat  # format checkers, seconds of start-up for a kernel that needs neither

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_QUESTION = re.compile(r"\*\*(?:The question|The claims?|Question)\.?\*\*\.?\s*(.+?)(?:\n\s*\n|$)",
                       re.DOTALL | re.IGNORECASE)
_MD_MARKUP = re.compile(r"[*_`]+|\[([^\]]*)\]\([^)]*\)")


def notebook_title(nb: nbformat.NotebookNode, fallback: str) -> str:
    """Text of the first markdown heading in the notebook, else ``fallback``."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        m = _HEADING.search(cell.source)
        if m:
            return _MD_MARKUP.sub(lambda x: x.group(1) or "", m.group(1)).strip()
    return fallback


def notebook_question(nb: nbformat.NotebookNode) -> str:
    r"""The question a notebook answers, in plain words.

    The paragraph after a bold ``**The question.**`` (or ``**The claim.**``) in a
    markdown cell, else the first paragraph after the notebook's title; '' if none.

    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
    ...     "# T\n\n**The question.** Do *longer* waits lower satisfaction?\n\nMore.")])
    >>> notebook_question(nb)
    'Do longer waits lower satisfaction?'
    """
    first = ""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        m = _QUESTION.search(cell.source)
        if m:
            return _plain_markdown(m.group(1))
        if not first:
            paragraphs = [p.strip() for p in re.split(r"\n\s*\n", cell.source)]
            body = [p for p in paragraphs if p and not _HEADING.match(p)]
            first = _plain_markdown(body[0]) if body else ""
    return first


def _plain_markdown(text: str) -> str:
    return " ".join(_MD_MARKUP.sub(lambda x: x.group(1) or "", text).split())


def notebook_parameter_values(nb: nbformat.NotebookNode | str | Path,
                              names: Iterable[str]) -> dict[str, Any]:
    r"""Values of ``names`` set in a notebook's parameters and injected-parameters cells
    (literals only; the injected value wins). {} when the notebook is missing.

    >>> import nbformat
    >>> cell = nbformat.v4.new_code_cell('trust = "RX1"  # a provider\nk = 2')
    >>> cell.metadata["tags"] = ["parameters"]
    >>> notebook_parameter_values(nbformat.v4.new_notebook(cells=[cell]), ["trust"])
    {'trust': 'RX1'}
    """
    import nbformat

    if not isinstance(nb, nbformat.NotebookNode):
        if not Path(nb).is_file():
            return {}
        nb = nbformat.read(str(nb), as_version=4)
    wanted, out = set(names), {}
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell.cell_type != "code" or not tags & {"parameters", "injected-parameters"}:
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in tree.body:
            target = getattr(node, "targets", [getattr(node, "target", None)])[0] \
                if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
            if isinstance(target, ast.Name) and target.id in wanted and node.value is not None:
                try:
                    out[target.id] = ast.literal_eval(node.value)
                except ValueError:
                    continue
    return out


#: Characters with a meaning in Markdown (CommonMark and Jupyter's renderers) that
#: :func:`escape_markdown` escapes with a backslash.
MARKDOWN_SPECIAL = "\\`*_[]{}#|~!$"
_HTML_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}


def escape_markdown(text: object) -> str:
    r"""``text`` (a value from data) safe to put into Markdown: HTML characters as
    entities and Markdown's special characters backslash-escaped, so it reads as
    written; a line that would start a list or heading is escaped too.

    >>> print(escape_markdown("X <img src=x onerror=alert(1)>"))
    X &lt;img src=x onerror=alert(1)&gt;
    >>> print(escape_markdown("St *Mary*'s [NHS](javascript:x) & co"))
    St \*Mary\*'s \[NHS\](javascript:x) &amp; co
    >>> print(escape_markdown("- 3. not a list"))
    \- 3. not a list
    """
    out = []
    for ch in str(text):
        if ch in _HTML_ESCAPES:
            out.append(_HTML_ESCAPES[ch])
        elif ch in MARKDOWN_SPECIAL:
            out.append("\\" + ch)
        else:
            out.append(ch)
    lines = "".join(out).split("\n")
    return "\n".join(re.sub(r"^(\s*)([-+=]|\d+[.)])", r"\1\\\2", line) for line in lines)
