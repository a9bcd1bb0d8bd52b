"""A small tree of an HTML page, read with the standard library's parser: enough to take a
sanitised page apart, change it and write it out again, or walk it into a Word document.

The pages read here have been rebuilt by the one sanitiser
(:func:`workbench.report.sanitise.sanitise_page`), so their elements are closed and
nested as written; an end tag with no open element of its name is ignored, and one
that closes an outer element closes the inner ones too.

>>> root = parse('<p>Waits <b>fell</b><br>in May</p>')
>>> root.children[0].tag, text(root)
('p', 'Waits fellin May')
>>> serialise(root)
'<p>Waits <b>fell</b><br>in May</p>'
"""

from __future__ import annotations

import html as html_lib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

#: Elements that never have content (no end tag).
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
                  "meta", "source", "track", "wbr"})
#: Elements whose text is kept as written (spaces and line breaks).
PREFORMATTED = frozenset({"pre"})


@dataclass
class Element:
    """An element: its tag, attributes (in order) and children (elements and text)."""

    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Element | str] = field(default_factory=list)

    def elements(self) -> Iterator[Element]:
        """The child elements (not text), in order.

        >>> [e.tag for e in parse("<ul><li>a</li>b<li>c</li></ul>").children[0].elements()]
        ['li', 'li']
        """
        return (c for c in self.children if isinstance(c, Element))

    def iter(self) -> Iterator[Element]:
        """The element itself and every element inside it, in document order.

        >>> [e.tag for e in parse("<div><p><b>x</b></p><hr></div>").iter()]
        ['#root', 'div', 'p', 'b', 'hr']
        """
        yield self
        for child in self.elements():
            yield from child.iter()

    def classes(self) -> set[str]:
        """The element's classes.

        >>> sorted(Element("div", {"class": "wb-note  muted"}).classes())
        ['muted', 'wb-note']
        """
        return set(self.attrs.get("class", "").split())


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#root")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: (v if v is not None else "") for k, v in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(
            Element(tag, {k: (v if v is not None else "") for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        children = self.stack[-1].children
        if children and isinstance(children[-1], str):
            children[-1] += data
        else:
            children.append(data)


def parse(page: str) -> Element:
    """The tree of ``page`` (or of a fragment), under an element tagged ``#root``.

    >>> parse("<p>a &amp; b</p>").children[0].children
    ['a & b']
    """
    builder = _Builder()
    builder.feed(page)
    builder.close()
    return builder.root


def find(root: Element, test: Callable[[Element], bool]) -> Element | None:
    """The first element under ``root`` (or ``root`` itself) that passes ``test``.

    >>> find(parse("<div><h2>A</h2><h2>B</h2></div>"), lambda e: e.tag == "h2").children
    ['A']
    """
    return next((e for e in root.iter() if test(e)), None)


def text(node: Element | str) -> str:
    """All the text inside ``node``, as written (no spaces added between elements).

    >>> text(parse("<p>a <i>b</i></p><p>c</p>"))
    'a bc'
    """
    if isinstance(node, str):
        return node
    return "".join(text(c) for c in node.children)


def plain(node: Element | str) -> str:
    """The text inside ``node`` with its spaces collapsed.

    >>> plain(parse("<h2>The   charts</h2>"))
    'The charts'
    """
    return " ".join(text(node).split())


def remove(root: Element, test: Callable[[Element], bool]) -> None:
    """Remove, with their content, every element under ``root`` that passes ``test``.

    >>> root = parse("<p>a<script>x()</script>b</p>")
    >>> remove(root, lambda e: e.tag == "script"); serialise(root)
    '<p>ab</p>'
    """
    root.children = [c for c in root.children if isinstance(c, str) or not test(c)]
    for child in root.elements():
        remove(child, test)


def unwrap(root: Element, test: Callable[[Element], bool]) -> None:
    """Replace every element under ``root`` that passes ``test`` by its content.

    >>> root = parse('<p><a href="x.csv">the file</a></p>')
    >>> unwrap(root, lambda e: e.tag == "a"); serialise(root)
    '<p>the file</p>'
    """
    children: list[Element | str] = []
    for child in root.children:
        if isinstance(child, Element):
            unwrap(child, test)
            if test(child):
                children.extend(child.children)
                continue
        if isinstance(child, str) and children and isinstance(children[-1], str):
            children[-1] += child
        else:
            children.append(child)
    root.children = children


def serialise(node: Element | str) -> str:
    """HTML of ``node`` (text escaped, attribute values quoted); ``#root`` writes its
    children only.

    >>> serialise(Element("img", {"alt": 'a "b" <c>'}))
    '<img alt="a &quot;b&quot; &lt;c&gt;">'
    """
    if isinstance(node, str):
        return html_lib.escape(node, quote=False)
    inner = "".join(serialise(c) for c in node.children)
    if node.tag == "#root":
        return inner
    attrs = "".join(f' {k}="{html_lib.escape(v, quote=True)}"' for k, v in node.attrs.items())
    if node.tag in VOID:
        return f"<{node.tag}{attrs}>"
    return f"<{node.tag}{attrs}>{inner}</{node.tag}>"
