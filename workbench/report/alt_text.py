"""Alternative text for every figure of a page: what a screen reader says, and what a board
pack (:mod:`workbench.report.export`) gives each picture as its description.

A notebook's figures reach a report as images without a description (nbconvert writes
"No description has been provided for this image", :data:`NO_DESCRIPTION`).
:func:`describe_figures` gives each image that has none the words the page itself says
about it: its ``<figcaption>`` when it sits in a ``<figure>``, else the heading above it
and the first paragraph after that heading (a notebook's section introduces its chart:
"The charts. One chart per provider, with its own average and limits."). The words come
from the page's own text, which has already passed disclosure control, so a description
can hold nothing the page does not show. An image with its own alternative text keeps it.

>>> page = ('<h2>The charts</h2><p>One chart per <em>provider</em>.</p>'
...         '<img src="data:image/png;base64,AA==" alt="">')
>>> describe_figures(page)
'<h2>The charts</h2><p>One chart per <em>provider</em>.</p><img src="data:image/png;base64,AA==" alt="Figure 1 (The charts): One chart per provider.">'
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

#: The text nbconvert gives an image that has no alternative text of its own.
NO_DESCRIPTION = "No description has been provided for this image"
#: Longest description, in characters (a screen reader reads all of it; the page's
#: text goes on below).
MAX_DESCRIPTION = 300
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
#: Characters nbconvert's heading anchors add (the pilcrow link after a heading).
_ANCHOR_MARKS = "¶"


def has_description(alt: str | None) -> bool:
    """Whether ``alt`` describes an image (not empty, not nbconvert's placeholder).

    >>> has_description(NO_DESCRIPTION), has_description(" "), has_description("A chart")
    (False, False, True)
    """
    return bool(alt and alt.strip() and alt.strip() != NO_DESCRIPTION)


def shorten(text: str, limit: int = MAX_DESCRIPTION) -> str:
    """``text`` with its spaces collapsed, cut at a word before ``limit`` characters.

    >>> shorten("one  two three", limit=9)
    'one two…'
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:")
    return cut + "…"


def description(number: int, heading: str = "", paragraph: str = "", caption: str = "") -> str:
    """The description of figure ``number`` of a page from the words around it.

    >>> description(2, heading="The charts", paragraph="One per provider.")
    'Figure 2 (The charts): One per provider.'
    >>> description(1, caption="Funnel plot of complaints"), description(3)
    ('Funnel plot of complaints', 'Figure 3')
    """
    if caption.strip():
        return shorten(caption)
    heading, paragraph = " ".join(heading.split()), " ".join(paragraph.split())
    label = f"Figure {number}" + (f" ({heading})" if heading else "")
    return shorten(f"{label}: {paragraph}" if paragraph else label)


@dataclass
class _Image:
    start: int                  # where the tag starts in the page
    end: int                    # where it ends
    attrs: list[tuple[str, str | None]]
    heading: str
    paragraph: str
    caption: str = ""


@dataclass
class _Figure:
    images: list[_Image] = field(default_factory=list)


class _Reader(HTMLParser):
    """Finds each ``<img>`` with the heading, paragraph and caption around it."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.images: list[_Image] = []
        self._lines = [0] + [m.end() for m in re.finditer("\n", page)]
        self._heading = ""
        self._paragraph = ""
        self._collect: list[str] | None = None   # text of the open heading or paragraph
        self._collect_tag = ""
        self._depth = 0                          # nesting inside that element
        self._figures: list[_Figure] = []

    def _offset(self) -> int:
        line, col = self.getpos()
        return self._lines[line - 1] + col

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            start = self._offset()
            raw = self.get_starttag_text() or ""
            image = _Image(start, start + len(raw), attrs, self._heading, self._paragraph)
            self.images.append(image)
            if self._figures:
                self._figures[-1].images.append(image)
            return
        if tag == "figure":
            self._figures.append(_Figure())
        if self._collect is not None:
            if tag == self._collect_tag:
                self._depth += 1
            return
        if tag in _HEADINGS or tag in ("p", "figcaption"):
            self._collect, self._collect_tag, self._depth = [], tag, 0

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if self._collect is not None and tag == self._collect_tag:
            if self._depth:
                self._depth -= 1
                return
            text = " ".join("".join(self._collect).replace(_ANCHOR_MARKS, "").split())
            if tag in _HEADINGS:
                self._heading, self._paragraph = text, ""
            elif tag == "p":
                self._paragraph = self._paragraph or text
            elif tag == "figcaption" and self._figures:
                for image in self._figures[-1].images:
                    image.caption = image.caption or text
            self._collect = None
        if tag == "figure" and self._figures:
            self._figures.pop()

    def handle_data(self, data: str) -> None:
        if self._collect is not None:
            self._collect.append(data)


def _with_alt(attrs: list[tuple[str, str | None]], alt: str) -> str:
    kept = [(k, v) for k, v in attrs if k != "alt"]
    parts = [k if v is None else f'{k}="{html_lib.escape(v, quote=True)}"' for k, v in kept]
    parts.append(f'alt="{html_lib.escape(alt, quote=True)}"')
    return "<img " + " ".join(parts) + ">"


def describe_figures(page: str) -> str:
    """``page`` with every image that has no description given one (see the module
    docstring); images with their own alternative text, and everything else, unchanged.

    >>> describe_figures('<figure><img src="a.png"><figcaption>Waits by month</figcaption>'
    ...                  '</figure>')
    '<figure><img src="a.png" alt="Waits by month"><figcaption>Waits by month</figcaption></figure>'
    >>> describe_figures('<img src="a.png" alt="Own words">')
    '<img src="a.png" alt="Own words">'
    """
    reader = _Reader(page)
    reader.feed(page)
    reader.close()
    out, last = [], 0
    for number, image in enumerate(reader.images, start=1):
        if has_description(dict(image.attrs).get("alt")):
            continue
        if page[image.start:image.start + 4].lower() != "<img":
            continue  # not where the parser said (never for a well-formed page)
        out += [page[last:image.start], _with_alt(image.attrs, description(
            number, image.heading, image.paragraph, image.caption))]
        last = image.end
    out.append(page[last:])
    return "".join(out)
