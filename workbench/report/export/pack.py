"""A board pack before it is laid out: the study's title and its sections (the summary,
then one per chosen report), and the one HTML document the PDF is laid out from.

>>> pack = Pack("Waits study", Path("."), (Section("Summary", "summary", "<p>Hi</p>"),))
>>> '<h1 class="pack-title">Waits study</h1>' in pack.document()
True
"""

from __future__ import annotations

import html as html_lib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from workbench.report.export.pages import (
    GLOSSARY_ANCHOR,
    SUMMARY_ANCHOR,
    PageLinks,
    choose_runs,
    header_field,
    page_section,
    page_title,
    run_anchor,
    study_pages,
    unique_titles,
)
from workbench.report.export.tree import parse
from workbench.report.glossary import GLOSSARY_PAGE
from workbench.report.glossary import TITLE as GLOSSARY_PAGE_TITLE

#: The summary section's heading.
SUMMARY_TITLE = "Summary"
#: The glossary section's heading (last, when the study has its glossary page).
GLOSSARY_TITLE = "Glossary"
#: What a pack says under its title.
SUBTITLE = ("Board pack: the study's summary and {n} report{s}, from the published pages "
            "(the same sentences, tables and figures, with the same disclosure control: "
            "small counts hidden, others rounded).")
#: A report header's parameters when the run used the notebook's defaults.
DEFAULTS = "the notebook's defaults"


@dataclass(frozen=True)
class Section:
    """One section of a pack: its heading, anchor, the line under the heading ('' for
    none) and its content (sanitised HTML).
    """

    title: str
    anchor: str
    html: str
    note: str = ""


@dataclass(frozen=True)
class Pack:
    """A board pack: the study's title, its output folder and the sections in order."""

    title: str
    folder: Path
    sections: tuple[Section, ...]

    @property
    def subtitle(self) -> str:
        """What the pack holds, in a sentence.

        >>> Pack("T", Path("."), (Section("Summary", "summary", ""),)).subtitle[:52]
        "Board pack: the study's summary and 0 reports, from "
        """
        n = sum(s.anchor not in (SUMMARY_ANCHOR, GLOSSARY_ANCHOR) for s in self.sections)
        return SUBTITLE.format(n=n, s="" if n == 1 else "s")

    def document(self) -> str:
        """The pack as one HTML document: a cover with the contents, then each section
        under its own ``<h1>`` (the PDF is laid out from it).
        """
        e = html_lib.escape
        parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
                 f"<title>{e(self.title)}</title>",
                 f'<meta name="description" content="{e(self.subtitle)}">',
                 '<meta name="generator" content="workbench export">', "</head>", "<body>",
                 '<section class="pack-cover">', f'<h1 class="pack-title">{e(self.title)}</h1>',
                 f'<p class="pack-subtitle">{e(self.subtitle)}</p>',
                 '<div class="pack-contents"><h2>Contents</h2><ol>']
        parts += [f'<li><a href="#{e(s.anchor)}">{e(s.title)}</a></li>' for s in self.sections]
        parts += ["</ol></div>", "</section>"]
        for s in self.sections:
            parts += [f'<section class="pack-section" id="{e(s.anchor)}">',
                      f"<h1>{e(s.title)}</h1>"]
            if s.note:
                parts.append(f'<p class="pack-run">{e(s.note)}</p>')
            parts += [s.html, "</section>"]
        parts += ["</body>", "</html>", ""]
        return "\n".join(parts)


def build_pack(study_output: str | Path, runs: Sequence[str] | None = None,
               progress: Callable[[str], None] | None = None) -> Pack:
    """The board pack of the study output folder ``study_output``: its summary page, then
    the report of each run in ``runs`` (run ids, in that order) or, by default, of every
    run that finished ok, in the index's order, then the study's glossary (when it has
    one: the reports link its terms). ``progress`` is told of each page read.

    Only the published pages are read (:mod:`workbench.report.export.pages`);
    :class:`~workbench.errors.ExportError` for a folder that is not a study's output, a
    named run the study does not have or that did not finish ok, or no run that did.
    """
    step = progress or (lambda _: None)
    pages = study_pages(study_output)
    chosen = choose_runs(pages, runs)
    index_root = parse(pages.index.read_text(encoding="utf-8"))
    title = page_title(index_root, pages.folder.name)
    roots = [parse(r.path.read_text(encoding="utf-8")) for r in chosen]
    titles = [page_title(root, r.run_id) for root, r in zip(roots, chosen)]
    details = [header_field(root, "Parameters") for root in roots]
    details = [d if d and d != DEFAULTS else r.run_id for d, r in zip(details, chosen)]
    links = PageLinks(pages.folder, {r.run_id: run_anchor(r.run_id) for r in chosen})
    step("reading the summary")
    sections = [Section(SUMMARY_TITLE, SUMMARY_ANCHOR,
                        page_section(pages.index, links, SUMMARY_ANCHOR, drop_heading=title))]
    for run, own, heading in zip(chosen, titles, unique_titles(titles, details)):
        step(f"reading {run.run_id}")
        anchor = links.run_anchors[run.run_id]
        sections.append(Section(heading, anchor,
                                page_section(run.path, links, anchor, drop_heading=own),
                                note=f"Report of run {run.run_id}"))
    glossary = pages.folder / GLOSSARY_PAGE
    if glossary.is_file():  # the reports' links to it point here
        step("reading the glossary")
        sections.append(Section(GLOSSARY_TITLE, GLOSSARY_ANCHOR, page_section(
            glossary, links, GLOSSARY_ANCHOR, drop_heading=GLOSSARY_PAGE_TITLE)))
    return Pack(title, pages.folder, tuple(sections))
