"""A study's published pages, read for a board pack: the index (the summary) and each run's
report, each made into one section of the pack.

Only the stakeholder pages are read: ``index.html`` and ``<run>/report.html``, as
``workbench run`` published them (sanitised, with disclosure control applied), and the
figures they link inside the study's folder. Never ``findings.json``, the executed
notebook or the data: what a page does not show cannot reach a pack. A run's status
comes from its ``manifest.json`` when the folder is the analyst's (the status only), or
from its report's header in a publishable ``public/`` folder.

A page becomes a section (:func:`page_section`): controls that only work in a browser
(the index's filter box, heading anchors, parts marked :data:`BROWSER_ONLY`) are left
out; attributes other than ids, classes, links, image sources and descriptions and table
spans are dropped (the sort keys and marks of ``data-`` attributes are not text a reader
sees); ids are prefixed with the section's anchor so that two reports' ids cannot clash;
a link to a report in the pack points to its section, other links inside the study (a
CSV, another page) become plain text; figures are embedded, each with its description
(:func:`workbench.report.alt_text.describe_figures`); headings move down so that the
page's top ones sit just under the section's own heading; and the result passes the one
sanitiser again.
"""

from __future__ import annotations

import base64
import difflib
import itertools
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from workbench.errors import ExportError
from workbench.report.alt_text import describe_figures, has_description
from workbench.report.export.tree import Element, find, parse, plain, remove, serialise, unwrap
from workbench.report.glossary import GLOSSARY_PAGE
from workbench.report.sanitise import sanitise_fragment

#: The study's summary page, and a run's report, as ``workbench run`` names them.
INDEX_PAGE = "index.html"
REPORT_PAGE = "report.html"
#: A run's manifest (read for its status only).
MANIFEST = "manifest.json"
#: The publishable copy of a study's pages, a folder in its output folder.
PUBLIC = "public"
#: Folders of a study's output that are not runs (the analyst's files, the data, and
#: the publishable copy of the pages).
NOT_RUNS = frozenset({"analyst", "data", PUBLIC})
#: The status of a run whose report may go into a pack.
OK = "ok"
#: The anchor of the summary section.
SUMMARY_ANCHOR = "summary"
#: The anchor of the glossary section (the study's ``glossary.html``, which reports link).
GLOSSARY_ANCHOR = "glossary"
#: Elements left out of a pack with their content: code, and controls that only work in
#: a browser.
DROPPED = frozenset({"script", "style", "noscript", "template", "head", "title", "meta",
                     "link", "input", "label", "button", "select", "textarea", "form",
                     "iframe", "object", "embed", "svg", "math"})
#: Class of the parts of a page left out of a pack: they serve a reader in a browser only
#: (the index's sortable table of every finding, which ``findings.csv`` holds).
BROWSER_ONLY = "browser-only"
#: Attributes a pack keeps: everywhere, and per element.
KEPT_ATTRIBUTES = {"*": frozenset({"id", "class"}), "a": frozenset({"href"}),
                   "img": frozenset({"src", "alt", "width", "height"}),
                   "td": frozenset({"colspan", "rowspan"}), "th": frozenset({"colspan", "rowspan"}),
                   "ol": frozenset({"start"})}
#: Pictures a pack embeds, by file suffix.
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
               ".gif": "image/gif"}
#: A table is laid out across the page's width when it has this many columns or more, or
#: its columns' longest texts (each capped at :data:`WIDEST_COLUMN` characters) add up to
#: more than :data:`WIDE_CHARACTERS`.
WIDE_COLUMNS = 7
WIDE_CHARACTERS = 100
WIDEST_COLUMN = 60
#: Characters of a table's line across the page, and the longest word a column is made
#: wide enough for (a longer one wraps).
LINE_CHARACTERS = 100
#: A table of :data:`WIDE_COLUMNS` or more goes on a landscape page (class
#: ``pack-landscape``), whose line holds this many characters.
LANDSCAPE_CHARACTERS = 150
#: A table of this many columns or more is set in smaller type (class ``pack-small``).
SMALL_COLUMNS = 14
LONGEST_WORD = 16
_NUMBER_WORD = re.compile(r"[-+<>≤≥−]?\(?[\d.,]+(?:e[-+]?\d+)?%?\)?[.,;:]?", re.IGNORECASE)
_NUMBER_IN_TEXT = re.compile(r"(?<![\w.])[-+−]?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?%?(?![\w])",
                             re.IGNORECASE)
_DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|gif);base64,", re.IGNORECASE)
_WEB = re.compile(r"^(https?:|mailto:)", re.IGNORECASE)
_HEADING = re.compile(r"^h([1-6])$")
_RUN_LINK = re.compile(r"^(?:\./)?([^/?#]+)/" + re.escape(REPORT_PAGE) + r"(?:#.*)?$")
_INDEX_PAGES = re.compile(r"^index(?:-(\d+))?\.html$")
_EXPECTED_FOLDER = ("a study's output folder written by `workbench run` (outputs/<study>/, "
                    "or its public/ folder), holding index.html and a report.html per run")


@dataclass(frozen=True)
class RunPage:
    """A run's report in a study's output: its id, the page and the run's status."""

    run_id: str
    path: Path
    status: str


@dataclass(frozen=True)
class StudyPages:
    """The pages of a study's output folder: the summary page and every run's report, in
    the order the index lists them.
    """

    folder: Path
    index: Path
    runs: tuple[RunPage, ...]

    def run(self, run_id: str) -> RunPage:
        """The run ``run_id``; :class:`~workbench.errors.ExportError` naming the runs there
        are when the study has no such run.
        """
        for page in self.runs:
            if page.run_id == run_id:
                return page
        close = difflib.get_close_matches(run_id, [r.run_id for r in self.runs], n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ExportError(self.folder / run_id, f"the study has no run {run_id!r}{hint}",
                          expected="one of its runs: " + ", ".join(r.run_id for r in self.runs))


def study_pages(folder: str | Path) -> StudyPages:
    """The summary page and the run reports of the study output ``folder``.

    :class:`~workbench.errors.ExportError` when ``folder`` is missing, is not a folder,
    or holds no ``index.html`` (naming the folder and what was expected).

    >>> import tempfile
    >>> study_pages(tempfile.mkdtemp())                  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    workbench.errors.ExportError: ...: holds no index.html, so it is not a study's output; expected a study's output folder written by `workbench run` ...
    """
    folder = Path(folder)
    if not folder.exists():
        raise ExportError(folder, "does not exist", expected=_EXPECTED_FOLDER)
    if not folder.is_dir():
        raise ExportError(folder, "is a file, not a folder", expected=_EXPECTED_FOLDER)
    index = folder / INDEX_PAGE
    if not index.is_file():
        raise ExportError(folder, f"holds no {INDEX_PAGE}, so it is not a study's output",
                          expected=_EXPECTED_FOLDER)
    found = {p.parent.name: p for p in sorted(folder.glob(f"*/{REPORT_PAGE}"))
             if p.parent.name not in NOT_RUNS and not p.parent.name.startswith(".")}
    order = [r for r in _linked_runs(folder) if r in found]
    order += [r for r in sorted(found) if r not in order]
    return StudyPages(folder, index, tuple(RunPage(r, found[r], run_status(found[r].parent))
                                           for r in order))


def _index_pages(folder: Path) -> list[Path]:
    pages = [(int(m.group(1) or 1), p) for p in folder.glob("index*.html")
             if (m := _INDEX_PAGES.match(p.name))]
    return [p for _, p in sorted(pages)]


def _linked_runs(folder: Path) -> list[str]:
    """Run ids in the order the index pages link their reports."""
    order: list[str] = []
    for page in _index_pages(folder):
        for element in parse(page.read_text(encoding="utf-8")).iter():
            m = _RUN_LINK.match(element.attrs.get("href", "")) if element.tag == "a" else None
            if m and m.group(1) not in order:
                order.append(m.group(1))
    return order


def run_status(run_folder: str | Path) -> str:
    """A run's status: its manifest's, else what its report's header says (``failed``
    when the report says the run failed); ``unknown`` when neither says.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / REPORT_PAGE).write_text("<dl><dt>Status</dt><dd>ok</dd></dl>")
    >>> run_status(folder)
    'ok'
    """
    run_folder = Path(run_folder)
    manifest = run_folder / MANIFEST
    if manifest.is_file():
        try:
            status = json.loads(manifest.read_text(encoding="utf-8")).get("status")
        except (OSError, ValueError, AttributeError):
            status = None
        if isinstance(status, str) and status:
            return status
    report = run_folder / REPORT_PAGE
    if not report.is_file():
        return "unknown"
    root = parse(report.read_text(encoding="utf-8"))
    if find(root, lambda e: "wb-failed" in e.classes()):
        return "failed"
    return header_field(root, "Status") or "unknown"


def header_field(root: Element, name: str) -> str:
    """The text of a report header's ``<dt>name</dt><dd>...</dd>``; '' when absent.

    >>> header_field(parse("<dl><dt>Parameters</dt><dd>subset = nhs</dd></dl>"), "Parameters")
    'subset = nhs'
    """
    for element in root.iter():
        if element.tag != "dl":
            continue
        items = list(element.elements())
        for dt, dd in itertools.pairwise(items):
            if dt.tag == "dt" and dd.tag == "dd" and plain(dt) == name:
                return plain(dd)
    return ""


def choose_runs(pages: StudyPages, runs: Sequence[str] | None = None) -> list[RunPage]:
    """The reports for a pack: the runs named in ``runs`` (in that order), or every run
    that finished ok.

    :class:`~workbench.errors.ExportError` for a named run the study does not have or
    whose status is not ok, and when no run finished ok.
    """
    if runs:
        chosen = []
        for run_id in dict.fromkeys(runs):
            page = pages.run(run_id)
            if page.status != OK:
                raise ExportError(page.path.parent, f"run {run_id!r} has status "
                                  f"{page.status!r}: its report holds no complete results",
                                  expected="a run whose status is 'ok' (leave it out of "
                                           "--runs, or run the study again)")
            chosen.append(page)
        return chosen
    chosen = [r for r in pages.runs if r.status == OK]
    if not chosen:
        counts = {}
        for r in pages.runs:
            counts[r.status] = counts.get(r.status, 0) + 1
        held = ", ".join(f"{n} {s}" for s, n in counts.items()) or "no run reports"
        raise ExportError(pages.folder, f"has no run that finished ok ({held})",
                          expected="a study output with at least one run whose status is "
                                   "'ok'")
    return chosen


def run_anchor(run_id: str) -> str:
    """The anchor of a run's section.

    >>> run_anchor("02_staffing--subset-nhs")
    'run-02_staffing--subset-nhs'
    """
    return "run-" + re.sub(r"[^A-Za-z0-9_.+-]", "_", run_id)


def page_title(root: Element, fallback: str) -> str:
    """A page's title: its header's first heading, else its first ``<h1>``, else its
    ``<title>``, else ``fallback``.

    >>> page_title(parse("<title>T</title><h1>Waits¶</h1>"), "x")
    'Waits'
    """
    header = find(root, lambda e: e.tag == "header")
    for scope in ([header] if header else []) + [root]:
        h1 = find(scope, lambda e: e.tag == "h1")
        if h1 is not None and _heading_text(h1):
            return _heading_text(h1)
    title = find(root, lambda e: e.tag == "title")
    return plain(title) if title is not None and plain(title) else fallback


def _heading_text(element: Element) -> str:
    return plain(element).replace("¶", "").strip()


@dataclass(frozen=True)
class PageLinks:
    """Where a section's links go: the study folder, and the sections of the pack by run
    id (a link to a report that is not in the pack becomes plain text).
    """

    folder: Path
    run_anchors: dict[str, str]


def page_section(path: Path, links: PageLinks, anchor: str, *,
                 drop_heading: str = "") -> str:
    """The content of the page at ``path`` made fit for a pack (see the module
    docstring), as sanitised HTML; ``drop_heading`` is a first-level heading left out
    (the section's own heading says it).
    """
    root = parse(describe_figures(path.read_text(encoding="utf-8")))
    body = find(root, lambda e: e.tag == "body") or root
    remove(body, lambda e: e.tag in DROPPED or "anchor-link" in e.classes()
           or BROWSER_ONLY in e.classes())
    remove(body, lambda e: e.tag == "h1" and _heading_text(e) == drop_heading)
    levels = [int(m.group(1)) for e in body.iter() if (m := _HEADING.match(e.tag))]
    shift = max(0, 2 - min(levels, default=2))  # the page's top headings under the section's
    for element in body.iter():
        _keep_attributes(element)
        if element.tag == "a":
            _relink(element, path, links, anchor)
        elif element.tag == "img":
            _embed(element, path, links.folder)
        elif element.tag == "table":
            fit_table(element)
        if "id" in element.attrs:
            element.attrs["id"] = f"{anchor}--{element.attrs['id']}"
        m = _HEADING.match(element.tag)
        if m:
            element.tag = f"h{min(6, int(m.group(1)) + shift)}"
    unwrap(body, lambda e: (e.tag == "a" and not e.attrs.get("href")) or e.tag == "#missing")
    body.tag = "#root"
    return sanitise_fragment(serialise(body))


def _table_rows(table: Element) -> list[list[Element]]:
    rows = []
    for child in table.elements():
        trs = [child] if child.tag == "tr" else \
            [t for t in child.elements() if t.tag == "tr"] if child.tag in ("thead", "tbody",
                                                                            "tfoot") else []
        rows += [[c for c in tr.elements() if c.tag in ("td", "th")] for tr in trs]
    return rows


def fit_table(table: Element) -> None:
    """Mark a table too wide for the page to be laid out across the page's width (class
    ``pack-fixed``; on a landscape page when it has :data:`WIDE_COLUMNS` or more), so that
    long words wrap inside their column instead of running off the page. Each column gets
    at least its longest number and its longest word (up to :data:`LONGEST_WORD`
    characters; fewer when the line cannot hold them all, so that words wrap before a
    number is broken) and a share of the rest of the line (:data:`LINE_CHARACTERS`) by its
    longest text (up to :data:`WIDEST_COLUMN`), as a class on the first row's cells
    (``pack-w<percent>``). A table with spanning cells gets columns of equal width.

    >>> t = parse("<table><tr><th>id</th><th>y</th><th>z</th><th>Status</th></tr><tr>"
    ...           f"<td>a</td><td>{'y ' * 40}</td><td>{'z ' * 45}</td><td>ok</td></tr></table>")
    >>> fit_table(t.children[0]); t.children[0].attrs["class"]
    'pack-fixed'
    >>> [c.attrs["class"] for c in _table_rows(t.children[0])[0]]
    ['pack-w4', 'pack-w44', 'pack-w44', 'pack-w8']
    """
    rows = [r for r in _table_rows(table) if r]
    if not rows:
        return
    n = max(len(r) for r in rows)
    columns = [[r[i] for r in rows if i < len(r)] for i in range(n)]
    desired = [min(WIDEST_COLUMN, max(len(plain(c)) for c in col)) for col in columns]
    if n < WIDE_COLUMNS and sum(desired) <= WIDE_CHARACTERS:
        return
    landscape, small = n >= WIDE_COLUMNS, n >= SMALL_COLUMNS
    marks = {"pack-fixed"} | ({"pack-landscape"} if landscape else set()) | \
        ({"pack-small"} if small else set())
    table.attrs["class"] = " ".join(sorted(table.classes() | marks))
    line = (LANDSCAPE_CHARACTERS if landscape else LINE_CHARACTERS) * (1.4 if small else 1)
    for col in columns:
        for cell in col:
            _keep_numbers_whole(cell)
    first = rows[0]
    if len(first) != n or any(_span_of(c) > 1 for row in rows for c in row):
        return
    numbers = [max([3, *(len(w) + 1 for c in col for w in plain(c).split()
                         if _NUMBER_WORD.fullmatch(w))]) for col in columns]
    words = [max([n, *(min(LONGEST_WORD, len(w) + 1 + (c.tag == "th")) for c in col
                       for w in plain(c).split())]) for n, col in zip(numbers, columns)]
    excess = sum(words) - line
    if excess > 0:  # words wrap before numbers do: a number is never broken
        give = [w - max(n, 6) if w > max(n, 6) else 0 for w, n in zip(words, numbers)]
        share = min(1.0, excess / sum(give)) if sum(give) else 0.0
        words = [w - g * share for w, g in zip(words, give)]
    desired = [max(d, w) for d, w in zip(desired, words)]
    spare, wanted = line - sum(words), sum(desired) - sum(words)
    widths = [w + (d - w) * spare / wanted if spare > 0 and wanted else w
              for d, w in zip(desired, words)]
    for cell, width in zip(first, widths):
        percent = max(1, round(100 * width / sum(widths)))
        cell.attrs["class"] = " ".join(sorted(cell.classes() | {f"pack-w{percent}"}))


def _keep_numbers_whole(element: Element) -> None:
    """Put each number in ``element``'s text in a ``<span class="pack-number">`` (never
    broken across lines, however narrow its column).

    >>> cell = parse("<td>-0.402 to 1730</td>").children[0]
    >>> _keep_numbers_whole(cell); serialise(cell)
    '<td><span class="pack-number">-0.402</span> to <span class="pack-number">1730</span></td>'
    """
    children: list[Element | str] = []
    for child in element.children:
        if isinstance(child, Element):
            if "pack-number" not in child.classes():
                _keep_numbers_whole(child)
            children.append(child)
            continue
        last = 0
        for m in _NUMBER_IN_TEXT.finditer(child):
            children += [child[last:m.start()],
                         Element("span", {"class": "pack-number"}, [m.group(0)])]
            last = m.end()
        children.append(child[last:])
    element.children = [c for c in children if c != ""]


def _span_of(cell: Element) -> int:
    try:
        return max(int(cell.attrs.get("colspan", "1") or 1), int(cell.attrs.get("rowspan", "1")
                                                                 or 1))
    except ValueError:
        return 1


def _keep_attributes(element: Element) -> None:
    kept = KEPT_ATTRIBUTES["*"] | KEPT_ATTRIBUTES.get(element.tag, frozenset())
    element.attrs = {k: v for k, v in element.attrs.items() if k in kept}


def _relink(element: Element, page: Path, links: PageLinks, anchor: str) -> None:
    href = element.attrs.get("href", "").strip()
    if href.startswith("#"):
        element.attrs["href"] = f"#{anchor}--{href[1:]}" if len(href) > 1 else ""
        return
    if _WEB.match(href):
        return
    target = _inside(page.parent, href.split("#")[0].split("?")[0], links.folder)
    element.attrs["href"] = ""
    if target is None:
        return
    relative = target.relative_to(links.folder.resolve()).as_posix()
    m = _RUN_LINK.match(relative)
    if m and m.group(1) in links.run_anchors:
        element.attrs["href"] = "#" + links.run_anchors[m.group(1)]
    elif relative == INDEX_PAGE:
        element.attrs["href"] = "#" + SUMMARY_ANCHOR
    elif relative == GLOSSARY_PAGE and (links.folder / GLOSSARY_PAGE).is_file():
        term = href.partition("#")[2]  # the glossary's section, at the term's entry
        element.attrs["href"] = f"#{GLOSSARY_ANCHOR}" + (f"--{term}" if term else "")


def _inside(base: Path, relative: str, folder: Path) -> Path | None:
    """``relative`` (a URL path) from ``base``, when it stays inside ``folder``."""
    if not relative or ":" in relative.split("/", 1)[0] or relative.startswith("/"):
        return None
    target = (base / PurePosixPath(relative)).resolve()
    return target if target.is_relative_to(folder.resolve()) else None


def _embed(element: Element, page: Path, folder: Path) -> None:
    """An image's source as a ``data:`` URL (a picture file inside the study folder is
    read in); an image that cannot be embedded is replaced by its description.
    """
    src = element.attrs.get("src", "").strip()
    if _DATA_IMAGE.match(src):
        return
    target = None if _WEB.match(src) else _inside(page.parent, src.split("?")[0], folder)
    kind = IMAGE_TYPES.get(target.suffix.lower()) if target is not None else None
    if target is not None and kind and target.is_file():
        data = base64.b64encode(target.read_bytes()).decode("ascii")
        element.attrs["src"] = f"data:{kind};base64,{data}"
        return
    alt = element.attrs.get("alt", "")
    element.tag, element.attrs = "#missing", {}
    element.children = [f"[Figure not included: {alt}]" if has_description(alt)
                        else "[Figure not included]"]


def unique_titles(titles: Iterable[str], details: Iterable[str]) -> list[str]:
    """Section titles made distinct: a title that several sections share gets each
    one's detail in brackets (their parameters, or the run id).

    >>> unique_titles(["Waits", "Waits", "Funnel"], ["subset = nhs", "subset = acute", "x"])
    ['Waits (subset = nhs)', 'Waits (subset = acute)', 'Funnel']
    """
    titles, details = list(titles), list(details)
    return [f"{t} ({d})" if titles.count(t) > 1 and d else t for t, d in zip(titles, details)]
