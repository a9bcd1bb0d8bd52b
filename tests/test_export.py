"""Board packs (`workbench export`): a study's summary page and its reports as one PDF or
Word document, built from the published pages only.

A small stakeholder study (tests/report_helpers.py: counts of people the pages hide, a
private parameter, a figure, one run that fails) runs once for the module (~10 s); the
packs are read back with pypdf and python-docx. The default study's packs are in the
slow test.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

import docx
import pypdf
import pytest
from report_helpers import FAILED_ID, OK_ID, SECRET, visible_text, write_study

from workbench import cli
from workbench.batch.runner import run_study
from workbench.errors import ExportError
from workbench.report.alt_text import NO_DESCRIPTION, has_description
from workbench.report.export import build_pack, export_pack
from workbench.report.export.tree import find, parse, plain

ROOT = Path(__file__).resolve().parents[1]
SYMBOL = "*"
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("export")
    result = run_study(write_study(folder), out=folder / "out", progress=False)
    assert [r.status for r in result.results] == ["ok", "failed"]
    return folder / "out" / "stakeholder"


@pytest.fixture(scope="module")
def packs(study, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("packs")
    return {fmt: export_pack(study, fmt, out=out / f"pack.{fmt}") for fmt in ("pdf", "docx")}


# ---- reading packs back -------------------------------------------------------------------

def pdf_pages(path: Path) -> list[str]:
    return [page.extract_text() or "" for page in pypdf.PdfReader(path).pages]


def pdf_body(path: Path) -> str:
    """The text of a PDF's sections: without the cover (its contents give page numbers)
    and without the pages' own numbers."""
    return flat(" ".join(re.sub(r"Page \d+ of \d+", " ", t) for t in pdf_pages(path)[1:]))


def pdf_outline(path: Path) -> list[str]:
    """Titles of the PDF's bookmarks, depth first."""
    def walk(items):
        for item in items:
            if isinstance(item, list):
                yield from walk(item)
            else:
                yield str(item.title)
    return list(walk(pypdf.PdfReader(path).outline))


def pdf_figure_alts(path: Path) -> list[str]:
    """The alternative text of every /Figure of the PDF's structure tree."""
    reader = pypdf.PdfReader(path)
    found, seen = [], set()

    def walk(node):
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, pypdf.generic.DictionaryObject):
            if id(node) in seen:
                return
            seen.add(id(node))
            if node.get("/S") == "/Figure":
                found.append(str(node.get("/Alt", "")))
            if "/K" in node:
                walk(node["/K"])
        elif isinstance(node, pypdf.generic.ArrayObject):
            for child in node:
                walk(child)

    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root, "the PDF is not tagged"
    walk(root["/StructTreeRoot"])
    return found


def docx_text(path: Path) -> str:
    """Every paragraph and table cell of a Word document, in order of the XML."""
    document = docx.Document(path)
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [" ".join(c.text for c in row.cells) for row in table.rows]
    return "\n".join(parts)


def docx_table_rows(path: Path) -> list[list[str]]:
    return [[c.text for c in row.cells] for t in docx.Document(path).tables for row in t.rows]


def html_alts(page: Path) -> list[str]:
    return [e.attrs.get("alt", "") for e in parse(page.read_text(encoding="utf-8")).iter()
            if e.tag == "img"]


def headline_sentences(report: Path) -> list[str]:
    """The sentences of a report's header (its headline findings), as the page shows them."""
    root = parse(report.read_text(encoding="utf-8"))
    box = find(root, lambda e: "wb-findings" in e.classes())
    return [plain(li) for li in box.iter() if li.tag == "li"] if box else []


def flat(text: str) -> str:
    return " ".join(text.split())


def originals(*logs: Path) -> list[str]:
    """Every original value the disclosure logs (the analyst's, with originals) record."""
    found = []
    for log in logs:
        record = json.loads(log.read_text(encoding="utf-8"))
        sections = [record] if "changes" in record else list(record.values())
        found += [str(c["original"]) for s in sections if isinstance(s, dict)
                  for c in s.get("changes", []) if "original" in c]
    return found


def assert_no_hidden_value(pack_text: str, pages: list[Path], logs: list[Path]) -> None:
    """No value the pages hide is in the pack: every original the logs record that no
    page shows as a number is not in the pack either; private values never appear."""
    shown = " ".join(visible_text(p.read_text(encoding="utf-8")) for p in pages)
    page_numbers, pack_numbers = set(_NUMBER.findall(shown)), set(_NUMBER.findall(pack_text))
    checked = 0
    for value in originals(*logs):
        if _NUMBER.fullmatch(value) and value not in page_numbers:
            assert value not in pack_numbers, f"hidden value {value} is in the pack"
            checked += 1
        elif not _NUMBER.fullmatch(value) and value not in shown:
            assert value not in pack_text, f"hidden text {value!r} is in the pack"
    assert checked, "no original was checked"
    assert SECRET not in pack_text


# ---- the PDF --------------------------------------------------------------------------------

def test_pdf_has_the_summary_then_each_report_as_a_section_with_numbered_pages(study, packs):
    outline = pdf_outline(packs["pdf"])
    assert outline[:2] == ["Stakeholder study", "Summary"]
    assert "Counts by ward" in outline and outline.index("Counts by ward") > 1
    pages = pdf_pages(packs["pdf"])
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
    text = flat(" ".join(pages))
    assert "Contents" in pages[0] and "Summary" in pages[0] and "Counts by ward" in pages[0]
    sentences = headline_sentences(study / OK_ID / "report.html")
    assert sentences and all(s in text for s in sentences), sentences
    assert "SYNTHETIC DATA" in text
    # the failed run is listed on the summary page, but has no section of its own
    assert FAILED_ID in text and f"Report of run {FAILED_ID}" not in text


def test_every_figure_of_the_pdf_carries_its_description(study, packs):
    alts = pdf_figure_alts(packs["pdf"])
    page_alts = html_alts(study / OK_ID / "report.html")
    assert page_alts and all(has_description(a) for a in page_alts)
    assert alts == page_alts


def test_the_pdf_shows_no_value_the_pages_hide(study, packs):
    text = pdf_body(packs["pdf"])
    assert "A * * *" in text and "B * * *" in text and "x * *" in text
    assert_no_hidden_value(text, [study / "index.html", study / OK_ID / "report.html",
                            study / "glossary.html"],
                           [study / "disclosure.json", study / OK_ID / "disclosure.json"])


# ---- the Word document ---------------------------------------------------------------------

def test_docx_has_a_heading_per_section_and_page_numbers(study, packs):
    document = docx.Document(packs["docx"])
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == ["Summary", "Counts by ward", "Glossary"]
    assert document.paragraphs[0].style.name == "Title"
    assert document.paragraphs[0].text == "Stakeholder study"
    footer = document.sections[0].footer._element.xml
    assert 'instr=" PAGE' in footer and 'instr=" NUMPAGES' in footer
    text = flat(docx_text(packs["docx"]))
    assert all(s in text for s in headline_sentences(study / OK_ID / "report.html"))


def test_every_picture_of_the_docx_has_a_description(study, packs):
    xml = zipfile.ZipFile(packs["docx"]).read("word/document.xml").decode("utf-8")
    pictures = re.findall(r"<wp:docPr [^>]*>", xml)
    descriptions = [re.search(r'descr="([^"]*)"', p) for p in pictures]
    assert pictures and all(d and d.group(1).strip() for d in descriptions)
    import html
    assert [html.unescape(d.group(1)) for d in descriptions] == \
        html_alts(study / OK_ID / "report.html")


def test_the_docx_shows_no_value_the_pages_hide(study, packs):
    rows = docx_table_rows(packs["docx"])
    assert ["0", "A", SYMBOL, SYMBOL, SYMBOL] in rows and ["x", SYMBOL, SYMBOL] in rows
    assert_no_hidden_value(flat(docx_text(packs["docx"])),
                           [study / "index.html", study / OK_ID / "report.html",
                            study / "glossary.html"],
                           [study / "disclosure.json", study / OK_ID / "disclosure.json"])


# ---- what goes in, and what stops --------------------------------------------------------

def test_figures_of_a_report_have_a_description_in_the_html(study):
    alts = html_alts(study / OK_ID / "report.html")
    assert alts and NO_DESCRIPTION not in alts
    assert alts[0].startswith("Figure 1")


def test_a_pack_reads_the_public_folder_the_same_way(study):
    from_public = build_pack(study / "public")
    from_study = build_pack(study)
    assert [s.title for s in from_public.sections] == [s.title for s in from_study.sections]
    assert [s.html for s in from_public.sections] == [s.html for s in from_study.sections]


def test_a_pack_holds_nothing_that_runs_or_links_out_of_the_study(study):
    document = build_pack(study).document()
    assert "<script" not in document and "data-sort" not in document
    assert "<input" not in document and "anchor-link" not in document
    hrefs = re.findall(r'href="([^"]*)"', document)
    assert hrefs and all(h.startswith(("#", "http://", "https://", "mailto:")) for h in hrefs)
    srcs = re.findall(r'src="([^"]*)"', document)
    assert srcs and all(s.startswith("data:image/") for s in srcs)


def test_runs_choose_the_reports_and_their_order(study, tmp_path):
    pack = build_pack(study, runs=[OK_ID])
    assert [s.title for s in pack.sections] == ["Summary", "Counts by ward", "Glossary"]


def test_a_folder_that_is_not_a_study_output_is_one_clear_error(tmp_path):
    with pytest.raises(ExportError, match="holds no index.html") as info:
        export_pack(tmp_path, "pdf")
    assert info.value.path == str(tmp_path) and "workbench run" in info.value.expected
    with pytest.raises(ExportError, match="does not exist"):
        export_pack(tmp_path / "missing", "docx")


def test_a_failed_or_unknown_run_is_refused_by_name(study, tmp_path):
    with pytest.raises(ExportError, match=f"run '{FAILED_ID}' has status 'failed'") as info:
        export_pack(study, "pdf", out=tmp_path / "p.pdf", runs=[FAILED_ID])
    assert info.value.path.endswith(FAILED_ID) and "'ok'" in info.value.expected
    with pytest.raises(ExportError, match="did you mean 'tiny_counts'"):
        export_pack(study, "pdf", out=tmp_path / "p.pdf", runs=["tiny_count"])
    assert not (tmp_path / "p.pdf").exists()


def test_a_study_without_an_ok_run_is_refused(study, tmp_path):
    copy = tmp_path / "stakeholder"
    copy.mkdir()
    shutil.copy(study / "index.html", copy / "index.html")
    shutil.copytree(study / FAILED_ID, copy / FAILED_ID)
    with pytest.raises(ExportError, match=r"has no run that finished ok \(1 failed\)"):
        export_pack(copy, "docx")


def test_a_file_name_of_another_format_is_refused(study, tmp_path):
    with pytest.raises(ExportError, match="expected a file name ending .docx"):
        export_pack(study, "docx", out=tmp_path / "pack.pdf")


def test_the_command_writes_both_beside_the_index(study, tmp_path, capsys):
    copy = tmp_path / "stakeholder"
    shutil.copytree(study, copy, ignore=shutil.ignore_patterns("board_pack.*"))
    assert cli.main(["export", str(copy), "--pdf", "--docx", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert (copy / "board_pack.pdf").is_file() and (copy / "board_pack.docx").is_file()
    assert str(copy / "board_pack.pdf") in out
    assert cli.main(["export", str(copy)]) == 2
    assert "--pdf, --docx or both" in capsys.readouterr().err
    assert cli.main(["export", str(copy), "--runs", FAILED_ID, "--pdf"]) == 2
    assert "has status 'failed'" in capsys.readouterr().err


# ---- the default study ---------------------------------------------------------------------

@pytest.mark.slow
def test_the_default_study_packs_hold_the_summary_every_headline_and_no_hidden_value(
        tmp_path):
    result = run_study(ROOT / "studies" / "default.yaml", out=tmp_path, workers=2,
                       progress=False)
    assert result.exit_code == 0, result.summary()
    study = tmp_path / "default"
    reports = [study / r.run_id / "report.html" for r in result.results]
    logs = [study / "disclosure.json"] + [r.parent / "disclosure.json" for r in reports]
    pages = [study / "index.html", *reports]
    pdf = export_pack(study, "pdf")
    word = export_pack(study, "docx")
    pdf_text = pdf_body(pdf)
    word_text = flat(docx_text(word))
    outline = pdf_outline(pdf)
    assert "Summary" in outline
    for report in reports:
        title = plain(find(parse(report.read_text(encoding="utf-8")), lambda e: e.tag == "h1"))
        assert any(t.startswith(title) for t in outline), title
        for sentence in headline_sentences(report):
            assert sentence in pdf_text and sentence in word_text, sentence
    for text in (pdf_text, word_text):
        assert_no_hidden_value(text, pages, logs)
    assert all(has_description(a) for a in pdf_figure_alts(pdf))
    assert len(pdf_figure_alts(pdf)) == sum(len(html_alts(r)) for r in reports)
