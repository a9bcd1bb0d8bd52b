"""A board pack as PDF: the pack's one HTML document laid out by
`WeasyPrint <https://doc.courtbouillon.org/weasyprint/>`_ with the pack's print style
sheet (:data:`PACK_CSS`).

A4 pages numbered "Page n of N" at the foot, the study's title and the section's title
at the head; each section starts a page and is a bookmark (its headings below it too);
the contents list gives each section's page. The PDF is tagged (PDF/UA structure), so
every figure carries its description as alternative text for screen readers. WeasyPrint
fetches nothing: every picture is already in the document, and its URL fetcher allows
``data:`` URLs only.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path

from workbench.errors import ExportError
from workbench.files import atomic_path

#: The print style sheet of a pack (NHS colours, Arial or a metric twin, A4).
PACK_CSS = """
@page {
  size: A4; margin: 18mm 16mm 20mm 16mm;
  @top-left { content: string(pack-title); font: 7.5pt Arial, "Liberation Sans", sans-serif;
              color: #4C6272; }
  @top-right { content: string(section-title); font: 7.5pt Arial, "Liberation Sans",
               sans-serif; color: #4C6272; }
  @bottom-center { content: "Page " counter(page) " of " counter(pages);
                   font: 8pt Arial, "Liberation Sans", sans-serif; color: #4C6272; }
}
@page :first { @top-left { content: none; } @top-right { content: none; } }
html { font-family: Arial, "Liberation Sans", Helvetica, "DejaVu Sans", sans-serif;
       font-size: 9.5pt; line-height: 1.35; color: #212B32; }
body { margin: 0; }
h1, h2, h3, h4, h5, h6 { color: #003087; line-height: 1.2; break-after: avoid;
                         margin: 1em 0 0.4em 0; }
h1 { font-size: 17pt; } h2 { font-size: 13pt; } h3 { font-size: 11.5pt; }
h4, h5, h6 { font-size: 10pt; }
.pack-title { font-size: 24pt; margin-top: 30mm; string-set: pack-title content(); }
.pack-subtitle { font-size: 11pt; color: #4C6272; }
.pack-contents h2 { bookmark-level: none; }
.pack-contents ol { padding-left: 1.2em; }
.pack-contents a { color: #212B32; text-decoration: none; }
.pack-contents a::after { content: leader(". ") target-counter(attr(href), page); }
.pack-section { break-before: page; }
.pack-section > h1 { string-set: section-title content(); border-bottom: 3pt solid #005EB8;
                     padding-bottom: 3pt; margin-top: 0; }
.pack-run { color: #4C6272; font-size: 8pt; margin-top: 0; }
a { color: #005EB8; text-decoration: none; }
p, li { orphans: 2; widows: 2; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 7.5pt; max-width: 100%; }
th, td { border: 0.5pt solid #AEB7BD; padding: 1.5pt 3pt; vertical-align: top;
         overflow-wrap: break-word; }
th { background: #E8EDEE; text-align: left; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
img { max-width: 100%; height: auto; break-inside: avoid; }
figure { margin: 0.5em 0; break-inside: avoid; }
figcaption { font-size: 8pt; color: #4C6272; }
pre { white-space: pre-wrap; overflow-wrap: break-word; font-size: 7.5pt;
      font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; }
code { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 0.9em; }
details > summary { font-weight: bold; }
dl { display: block; } dt { font-weight: bold; } dd { margin: 0 0 0.3em 1.2em; }
.wb-synthetic, .synthetic { background: #FFEB3B; border-left: 4pt solid #ED8B00;
                            padding: 3pt 8pt; font-weight: bold; }
.wb-findings { background: #F0F4F5; padding: 4pt 8pt; }
.wb-failed, .error { background: #FDEFE6; border-left: 4pt solid #D5281B; padding: 3pt 8pt; }
.wb-provenance, .wb-note, .muted { font-size: 8pt; color: #4C6272; }
"""

#: Column widths of a table laid out across the page (``pack-w1`` ... ``pack-w100``, set by
#: :func:`workbench.report.export.pages.fit_table`).
PACK_CSS += """
@page landscape { size: A4 landscape; }
table.pack-landscape { page: landscape; }
table.pack-fixed { table-layout: fixed; width: 100%; }
table.pack-small { font-size: 5.5pt; }
.pack-number { white-space: nowrap; }
table.pack-fixed td, table.pack-fixed th { overflow-wrap: anywhere;
                                           box-sizing: border-box; }
""" + "\n".join(f".pack-w{p} {{ width: {p}%; }}" for p in range(1, 101)) + "\n"

#: What to do when WeasyPrint is missing.
INSTALL_HINT = ("WeasyPrint installed with its Pango library: `pip install weasyprint` (a "
                "dependency of the workbench) and, outside conda, the system's Pango (e.g. "
                "`apt-get install libpango-1.0-0 libpangoft2-1.0-0`)")
_PAGE = re.compile(r"Page (\d+)")


def weasyprint_module(path: str | Path):
    """The ``weasyprint`` module, or :class:`~workbench.errors.ExportError` naming the
    pack's ``path`` and how to install it (when the package or the Pango library it
    loads is missing).
    """
    try:
        import weasyprint
    except (ImportError, OSError) as exc:
        raise ExportError(path, f"a PDF needs WeasyPrint, which could not be loaded ({exc})",
                          expected=INSTALL_HINT) from None
    return weasyprint


class _PageCounter(logging.Handler):
    """Passes WeasyPrint's "laying out page n" progress messages on to ``step``."""

    def __init__(self, step: Callable[[str], None]) -> None:
        super().__init__(logging.INFO)
        self.step = step

    def emit(self, record: logging.LogRecord) -> None:
        m = _PAGE.search(record.getMessage())
        if m:
            self.step(f"laying out page {m.group(1)}")


def write_pdf(document: str, path: str | Path,
              progress: Callable[[str], None] | None = None) -> Path:
    """Lay out the pack's HTML ``document`` as a PDF at ``path`` (written beside, then
    renamed); ``progress`` is told of each page laid out. Return ``path``.
    """
    path = Path(path)
    weasyprint = weasyprint_module(path)
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"})
    html = weasyprint.HTML(string=document, url_fetcher=fetcher)
    counter = _PageCounter(progress or (lambda _: None))
    logger = logging.getLogger("weasyprint.progress")
    old_level = logger.level
    logger.addHandler(counter)
    logger.setLevel(logging.INFO)
    try:
        rendered = html.render(stylesheets=[weasyprint.CSS(string=PACK_CSS, url_fetcher=fetcher)],
                               pdf_tags=True)
    finally:
        logger.removeHandler(counter)
        logger.setLevel(old_level)
    if progress:
        progress(f"writing {len(rendered.pages)} pages")
    with atomic_path(path) as tmp:
        rendered.write_pdf(tmp, pdf_tags=True)
    return path
