"""A board pack as a Word document, written with
`python-docx <https://python-docx.readthedocs.io>`_ from the same sanitised HTML as the PDF.

Each section's HTML is walked (:mod:`workbench.report.export.tree`): headings become
Word headings (so Word's navigation pane and contents work), paragraphs keep bold,
italic and code, lists become bulleted or numbered lists, tables become Word tables
(spans merged, header rows repeated on each page), and every picture is embedded with
its description as alternative text (Word's "Alt Text"). A4 pages are numbered "Page n
of N" at the foot (Word fields), with the study's title at the head; each section
starts a page. Only the text of the pages is taken, never an attribute other than a
picture's description: what the HTML does not show cannot reach the document.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from workbench.errors import ExportError
from workbench.files import atomic_path
from workbench.report.alt_text import has_description
from workbench.report.export.pack import Pack
from workbench.report.export.tree import Element, parse, plain

#: Elements whose content flows inside a paragraph.
INLINE = frozenset({"a", "abbr", "b", "strong", "i", "em", "code", "kbd", "samp", "span",
                    "small", "sub", "sup", "mark", "u", "s", "del", "br", "img", "label",
                    "time", "q", "cite", "var", "#missing"})
#: Formatting by element.
FORMATS = {"b": "bold", "strong": "bold", "th": "bold", "summary": "bold", "dt": "bold",
           "i": "italic", "em": "italic", "cite": "italic", "var": "italic",
           "code": "code", "kbd": "code", "samp": "code", "sup": "sup", "sub": "sub",
           "s": "strike", "del": "strike", "u": "underline"}
#: Width of the text on an A4 page with 2 cm margins, in centimetres.
TEXT_WIDTH_CM = 17.0
#: Font sizes (points): body text, tables, the page's head and foot.
BODY_PT, TABLE_PT, MARGIN_PT = 10, 7.5, 8
#: Smaller type for tables of many columns (as in the PDF).
WIDE_TABLE_COLUMNS, WIDE_TABLE_PT = 7, 6.5
SMALL_TABLE_COLUMNS, SMALL_TABLE_PT = 14, 5.5
MONOSPACE = "Consolas"
INSTALL_HINT = "python-docx installed: `pip install python-docx` (a dependency of the workbench)"
_DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|gif);base64,(.*)$", re.IGNORECASE | re.DOTALL)
_SPACES = re.compile(r"\s+")


def docx_module(path: str | Path):
    """The ``docx`` package (python-docx), or :class:`~workbench.errors.ExportError`
    naming the pack's ``path`` and how to install it.
    """
    try:
        import docx
    except ImportError as exc:
        raise ExportError(path, f"a Word document needs python-docx, which could not be "
                                f"loaded ({exc})", expected=INSTALL_HINT) from None
    return docx


class _Writer:
    """Writes HTML elements into a Word document, or into one table cell of it."""

    def __init__(self, doc, out=None, size: float = BODY_PT, width_cm: float = TEXT_WIDTH_CM):
        self.doc = doc
        self.out = out if out is not None else doc
        self.size = size
        self.width_cm = width_cm
        self._first_cell_paragraph = out is not None  # a cell starts with one paragraph

    # -- paragraphs ---------------------------------------------------------------------
    def new_paragraph(self, style: str | None = None):
        if self._first_cell_paragraph:
            self._first_cell_paragraph = False
            paragraph = self.out.paragraphs[0]
            if style:
                paragraph.style = self.doc.styles[style]
            return paragraph
        return self.out.add_paragraph(style=style)

    def paragraph(self, nodes: list, style: str | None = None, formats: frozenset = frozenset(),
                  pre: bool = False) -> None:
        items = list(_flatten(nodes, formats, pre))
        if not pre:
            items = _collapse(items)
        if not any(kind != "text" or value.strip() for kind, value, _ in items):
            return
        self.runs(self.new_paragraph(style), items)

    def runs(self, paragraph, items: list[tuple[str, object, frozenset]]) -> None:
        from docx.shared import Pt

        for kind, value, fmt in items:
            if kind == "br":
                paragraph.add_run().add_break()
            elif kind == "img":
                self.picture(paragraph, value)
            else:
                for i, line in enumerate(str(value).split("\n")):
                    if i:
                        paragraph.add_run().add_break()
                    run = paragraph.add_run(line)
                    run.bold = "bold" in fmt or None
                    run.italic = "italic" in fmt or None
                    run.underline = "underline" in fmt or None
                    run.font.strike = "strike" in fmt or None
                    run.font.superscript = "sup" in fmt or None
                    run.font.subscript = "sub" in fmt or None
                    if "code" in fmt:
                        run.font.name = MONOSPACE
                    if self.size != BODY_PT:
                        run.font.size = Pt(self.size)

    def picture(self, paragraph, image: Element) -> None:
        from docx.shared import Cm

        m = _DATA_IMAGE.match(image.attrs.get("src", ""))
        alt = image.attrs.get("alt", "")
        alt = alt if has_description(alt) else "Figure (no description was given)"
        from docx.image.exceptions import UnrecognizedImageError

        try:
            data = base64.b64decode(m.group(2), validate=False) if m else b""
            shape = paragraph.add_run().add_picture(io.BytesIO(data)) if data else None
        except (binascii.Error, ValueError, UnrecognizedImageError):  # not a picture
            shape = None
        if shape is None:
            paragraph.add_run(f"[Figure not included: {alt}]")
            return
        limit = Cm(self.width_cm)
        if shape.width > limit:
            shape.height = int(shape.height * limit / shape.width)
            shape.width = limit
        doc_pr = shape._inline.docPr
        doc_pr.set("descr", alt)
        doc_pr.set("title", alt[:120])

    # -- blocks -------------------------------------------------------------------------
    def blocks(self, node: Element, style: Callable[[], str | None] = lambda: None,
               depth: int = 0) -> None:
        pending: list = []
        for child in node.children:
            if isinstance(child, str) or child.tag in INLINE:
                pending.append(child)
                continue
            self.paragraph(pending, style()) if _visible(pending) else None
            pending = []
            self.block(child, style, depth)
        if _visible(pending):
            self.paragraph(pending, style())

    def block(self, el: Element, style: Callable[[], str | None], depth: int) -> None:
        tag = el.tag
        if re.fullmatch(r"h[1-6]", tag):
            if self.out is self.doc:
                heading = self.doc.add_heading(level=min(9, int(tag[1])))
                self.runs(heading, _collapse(list(_flatten(el.children, frozenset(), False))))
            else:
                self.paragraph(el.children, formats=frozenset({"bold"}))
        elif tag == "p":
            self.paragraph(el.children, style())
        elif tag in ("ul", "ol"):
            for item in el.elements():
                if item.tag == "li":
                    self.list_item(item, tag == "ol", depth + 1)
                else:
                    self.block(item, style, depth)
        elif tag == "table":
            self.table(el)
        elif tag == "pre":
            self.paragraph(el.children, style(), formats=frozenset({"code"}), pre=True)
        elif tag == "dl":
            self.definitions(el, style, depth)
        elif tag in ("dt", "summary"):
            self.paragraph(el.children, style(), formats=frozenset({FORMATS[tag]}))
        elif tag == "dd":
            self.blocks(el, lambda: "List Continue", depth)
        elif tag in ("figcaption", "caption"):
            self.paragraph(el.children, "Caption")
        elif tag == "blockquote":
            self.blocks(el, lambda: "Quote", depth)
        elif tag in ("hr", "colgroup", "col"):
            return
        else:  # div, section, header, main, footer, figure, details, dl, nav...
            self.blocks(el, style, depth)

    def definitions(self, dl: Element, style: Callable[[], str | None], depth: int) -> None:
        """A definition list; a term and a one-line definition share a line ("Study: x")."""
        items = [e for e in dl.elements() if e.tag in ("dt", "dd")]
        i = 0
        while i < len(items):
            term, follows = items[i], items[i + 1] if i + 1 < len(items) else None
            if term.tag == "dt" and follows is not None and follows.tag == "dd" and all(
                    isinstance(c, str) or c.tag in INLINE for c in follows.children):
                self.paragraph([Element("b", children=[*term.children, ": "]),
                                *follows.children], style())
                i += 2
                continue
            self.block(term, style, depth)
            i += 1

    def list_item(self, li: Element, ordered: bool, depth: int) -> None:
        name = "List Number" if ordered else "List Bullet"
        level = min(depth, 3)
        styles = iter([f"{name}{'' if level == 1 else f' {level}'}"])

        def style() -> str:
            return next(styles, f"List Continue{'' if level == 1 else f' {level}'}")

        self.blocks(li, style, depth)

    def table(self, el: Element) -> None:
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        caption = next((c for c in el.elements() if c.tag == "caption"), None)
        if caption is not None:
            self.paragraph(caption.children, "Caption")
        rows = list(_rows(el))
        placed, taken, width = [], set(), 0
        for r, (tr, in_head) in enumerate(rows):
            c = 0
            for cell in tr.elements():
                if cell.tag not in ("td", "th"):
                    continue
                while (r, c) in taken:
                    c += 1
                rs = min(_span(cell, "rowspan"), len(rows) - r)
                cs = _span(cell, "colspan")
                placed.append((r, c, rs, cs, cell, in_head))
                taken |= {(r + i, c + j) for i in range(rs) for j in range(cs)}
                c += cs
            width = max(width, c)
        if not rows or not width:
            return
        table = self.out.add_table(rows=len(rows), cols=width)
        table.style = self.doc.styles["Table Grid"]
        grid = table._cells  # once: table.cell() reads the whole table at each call
        for r, c, rs, cs, cell, in_head in placed:
            target = grid[r * width + c]
            if rs > 1 or cs > 1:  # merging keeps the first cell's and the others' elements
                target = target.merge(grid[(r + rs - 1) * width + c + cs - 1])
            writer = _Writer(self.doc, target, size=_table_size(el, width),
                             width_cm=max(2.0, self.width_cm * cs / width))
            bold = frozenset({"bold"}) if cell.tag == "th" or in_head else frozenset()
            writer.cell(cell, bold)
        for r, (_, in_head) in enumerate(rows):
            if in_head:
                props = table.rows[r]._tr.get_or_add_trPr()
                header = OxmlElement("w:tblHeader")
                header.set(qn("w:val"), "true")
                props.append(header)
        if self.out is self.doc:
            self.doc.add_paragraph()  # a table needs a paragraph after it before the next

    def cell(self, cell: Element, formats: frozenset) -> None:
        if all(isinstance(c, str) or c.tag in INLINE for c in cell.children):
            self.paragraph(cell.children, formats=formats)
        else:
            self.blocks(cell)


def _table_size(table: Element, columns: int) -> float:
    """The type size of a table: smaller for a table too wide for the page (marked by
    :func:`~workbench.report.export.pages.fit_table`, or of many columns).

    >>> _table_size(Element("table"), 3), _table_size(Element("table"), 15)
    (7.5, 5.5)
    """
    if "pack-small" in table.classes() or columns >= SMALL_TABLE_COLUMNS:
        return SMALL_TABLE_PT
    if "pack-landscape" in table.classes() or columns >= WIDE_TABLE_COLUMNS:
        return WIDE_TABLE_PT
    return TABLE_PT


def _visible(nodes: list) -> bool:
    return any((isinstance(n, str) and n.strip()) or
               (isinstance(n, Element) and (n.tag in ("img", "br") or plain(n)))
               for n in nodes)


def _span(cell: Element, name: str) -> int:
    try:
        return max(1, min(50, int(cell.attrs.get(name, "1") or 1)))
    except ValueError:
        return 1


def _rows(table: Element) -> Iterator[tuple[Element, bool]]:
    """A table's rows (not those of tables inside it), each with whether it is a header
    row (in ``<thead>``, or all ``<th>``).
    """
    for child in table.elements():
        if child.tag == "tr":
            yield child, _all_th(child)
        elif child.tag in ("thead", "tbody", "tfoot"):
            for tr in child.elements():
                if tr.tag == "tr":
                    yield tr, child.tag == "thead" or _all_th(tr)


def _all_th(tr: Element) -> bool:
    cells = [c for c in tr.elements() if c.tag in ("td", "th")]
    return bool(cells) and all(c.tag == "th" for c in cells)


def _flatten(nodes: list, formats: frozenset, pre: bool
             ) -> Iterator[tuple[str, object, frozenset]]:
    """Text, line breaks and pictures of inline ``nodes``, each with its formatting."""
    for node in nodes:
        if isinstance(node, str):
            yield "text", node, formats
        elif node.tag == "br":
            yield "br", None, formats
        elif node.tag == "img":
            yield "img", node, formats
        else:
            extra = FORMATS.get(node.tag)
            yield from _flatten(node.children, formats | {extra} if extra else formats, pre)


def _collapse(items: list[tuple[str, object, frozenset]]) -> list[tuple[str, object, frozenset]]:
    """Spaces as a browser shows them: each run of white space one space, none at the
    start or end of a line.
    """
    out: list[tuple[str, object, frozenset]] = []
    space_before = True  # at the start of the paragraph
    for kind, value, fmt in items:
        if kind != "text":
            if out and out[-1][0] == "text" and kind == "br":
                out[-1] = ("text", str(out[-1][1]).rstrip(" "), out[-1][2])
            out.append((kind, value, fmt))
            space_before = kind == "br"
            continue
        text = _SPACES.sub(" ", str(value))
        if space_before:
            text = text.lstrip(" ")
        if text:
            out.append(("text", text, fmt))
            space_before = text.endswith(" ")
    if out and out[-1][0] == "text":
        out[-1] = ("text", str(out[-1][1]).rstrip(" "), out[-1][2])
    return [i for i in out if i[0] != "text" or i[1]]


def _field(paragraph, instruction: str) -> None:
    """A Word field (``PAGE``, ``NUMPAGES``) in ``paragraph``; Word fills it in."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), f" {instruction} \\* MERGEFORMAT ")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _page_setup(doc, title: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt, RGBColor

    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.0)
    section.top_margin = section.bottom_margin = Cm(2.0)
    normal = doc.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(BODY_PT)
    head = section.header.paragraphs[0]
    head.text = title
    foot = section.footer.paragraphs[0]
    foot.alignment = WD_ALIGN_PARAGRAPH.CENTER
    foot.add_run("Page ")
    _field(foot, "PAGE")
    foot.add_run(" of ")
    _field(foot, "NUMPAGES")
    for paragraph in (head, foot):
        for run in paragraph.runs:
            run.font.size = Pt(MARGIN_PT)
            run.font.color.rgb = RGBColor(0x4C, 0x62, 0x72)


def write_docx(pack: Pack, path: str | Path,
               progress: Callable[[str], None] | None = None) -> Path:
    """Write ``pack`` as a Word document at ``path`` (written beside, then renamed);
    ``progress`` is told of each section written. Return ``path``.
    """
    path = Path(path)
    docx = docx_module(path)
    doc = docx.Document()
    _page_setup(doc, pack.title)
    props = doc.core_properties
    props.title, props.subject, props.author = pack.title, pack.subtitle, "workbench export"
    props.comments = ""
    doc.add_heading(pack.title, level=0)
    doc.add_paragraph(pack.subtitle, style="Subtitle")
    doc.add_paragraph().add_run("Contents").bold = True
    for s in pack.sections:
        doc.add_paragraph(s.title, style="List Number")
    writer = _Writer(doc)
    for s in pack.sections:
        if progress:
            progress(f"writing {s.title[:40]}")
        heading = doc.add_heading(s.title, level=1)
        heading.paragraph_format.page_break_before = True
        if s.note:
            doc.add_paragraph(s.note)
        writer.blocks(parse(s.html))
    with atomic_path(path) as tmp:
        doc.save(str(tmp))
    return path
