"""Reports read as board papers: the header holds the question and its answer in at most
four headline sentences, cells tagged ``appendix`` go to a technical appendix at the end,
a glossary explains the terms that stay and every report links to it."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from workbench.report.glossary import GLOSSARY_PAGE, TERMS, render_glossary, write_glossary
from workbench.report.publish import write_public
from workbench.report.run_report import (
    APPENDIX_TITLE,
    HEADER_FINDINGS,
    prepare_for_report,
    render_report,
)


def _cell(kind: str, text: str, tags=()):
    meta = {"tags": list(tags)} if tags else {}
    if kind == "markdown":
        return nbformat.v4.new_markdown_cell(text, metadata=meta)
    cell = nbformat.v4.new_code_cell("display(x)", metadata=meta)
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/markdown": text})]
    return cell


def _notebook():
    return nbformat.v4.new_notebook(cells=[
        _cell("markdown", "# Waits\n\nDo longer waits go with less satisfied patients?"),
        _cell("markdown", "Robustness checks: the mixed model agrees.", ["appendix"]),
        _cell("code", "Headline evidence: waits and satisfaction."),
        _cell("code", "Model details: clustered standard errors.", ["appendix"]),
        _cell("markdown", "What this means for the board."),
    ])


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def test_appendix_cells_move_to_a_marked_section_at_the_end():
    html = render_report(_notebook(), {"study": "s"})
    body = html[html.index("</header>"):]
    main_end = body.index('id="technical-appendix"')
    for text in ("Headline evidence", "What this means for the board"):
        assert body.index(text) < main_end  # the evidence stays, in its order
    for text in ("Robustness checks: the mixed model agrees", "Model details"):
        assert body.index(text) > main_end  # the appendix comes last
    assert body.index("Robustness checks") < body.index("Model details")  # in its order
    section = body[main_end:]
    assert f">{APPENDIX_TITLE}</h2>" in section
    assert "For analysts and reviewers" in section  # one sentence: what it holds, for whom
    assert section.count('id="technical-appendix"') == 1
    # the header points to it
    assert 'href="#technical-appendix"' in html[:html.index("</header>")]


def test_a_report_without_appendix_cells_has_no_appendix():
    nb = _notebook()
    for cell in nb.cells:
        cell.metadata = {}
    html = render_report(nb, {"study": "s"})
    assert "technical-appendix" not in html and APPENDIX_TITLE not in html


def test_prepare_marks_only_the_first_appendix_cell():
    cells = prepare_for_report(_notebook()).cells
    marks = [bool(c.metadata.get("wb_appendix")) for c in cells]
    assert marks == [False, False, False, True, False]
    assert "Robustness checks" in cells[3].source


def test_header_holds_the_question_and_at_most_four_headline_sentences():
    findings = [{"id": f"effect:x{i}->y@acute", "sentence": f"Answer sentence {i}."}
                for i in range(6)]
    findings += [{"id": "effect:x0->y@acute#mixed", "sentence": "A robustness sentence."},
                 {"id": "did:att->y@t#twfe", "role": "diagnostic", "sentence": "A diagnostic."}]
    html = render_report(_notebook(), {"study": "s", "findings": findings})
    header = html[:html.index("</header>")]
    answer = header[header.index('aria-label="The answer"'):]
    answer = answer[:answer.index("</section>")]
    assert HEADER_FINDINGS == 4
    assert answer.count("<li>") == 4
    assert "Answer sentence 3." in answer and "Answer sentence 4." not in answer
    assert "2 more findings below." in _text(answer)
    assert "robustness sentence" not in header and "A diagnostic" not in header
    # the question comes before its answer, the answer before the run's details
    assert header.index("The question:") < header.index("The answer") \
        < header.index("<dt>Study</dt>")


def test_one_more_finding_is_singular():
    findings = [{"id": f"effect:x{i}->y@acute", "sentence": f"S{i}."} for i in range(5)]
    html = render_report(_notebook(), {"study": "s", "findings": findings})
    assert "1 more finding below." in _text(html)


def test_report_header_links_the_glossary_and_can_leave_it_out():
    html = render_report(_notebook(), {"study": "s", "findings": [
        {"id": "effect:x->y@acute", "sentence": "S."}]})
    header = html[:html.index("</header>")]
    assert f'href="../{GLOSSARY_PAGE}"' in header
    assert f'href="../{GLOSSARY_PAGE}#confidence-interval"' in header
    html = render_report(_notebook(), {"study": "s", "glossary": ""})
    assert GLOSSARY_PAGE not in html


#: Terms a report must keep, each with an entry the glossary explains.
REQUIRED_TERMS = ("confidence interval", "p-value", "within-provider", "between-provider",
                  "fixed effects", "case mix", "mediation", "direct effect",
                  "indirect effect", "odds ratio", "special cause", "common cause",
                  "control limits", "assurance", "funnel plot", "overdispersion",
                  "interrupted time series", "difference in differences", "placebo test",
                  "standardised", "relief capacity")


def test_glossary_explains_every_required_term_with_an_anchor():
    page = render_glossary()
    words = " ".join([t.term for t in TERMS] + [a for t in TERMS for a in t.also]).lower()
    for term in REQUIRED_TERMS:
        assert term in words, term
    anchors = re.findall(r'<dt id="([^"]+)"', page)
    assert len(anchors) == len(TERMS) == len(set(anchors))
    assert "confidence-interval" in anchors
    for t in TERMS:  # plain words, a few sentences each
        assert 60 <= len(t.meaning) <= 700, t.term
    assert "<script" not in page and "Content-Security-Policy" in page


def test_glossary_is_published_beside_the_index(tmp_path):
    (tmp_path / "index.html").write_text("<p>index</p>", encoding="utf-8")
    (tmp_path / "r1").mkdir()
    (tmp_path / "r1" / "report.html").write_text("<p>r</p>", encoding="utf-8")
    write_glossary(tmp_path, study="Demo")
    public = write_public(tmp_path, ["r1"])
    assert (public / GLOSSARY_PAGE).read_text(encoding="utf-8") == \
        (tmp_path / GLOSSARY_PAGE).read_text(encoding="utf-8")


@pytest.mark.parametrize("where", ["", "public"])
def test_every_report_of_the_default_study_links_the_glossary(default_study: Path, where):
    folder = default_study / where if where else default_study
    glossary = folder / GLOSSARY_PAGE
    assert glossary.is_file()
    page = glossary.read_text(encoding="utf-8")
    reports = sorted(folder.glob("*/report.html"))
    assert reports
    for report in reports:
        html = report.read_text(encoding="utf-8")
        links = re.findall(r'href="([^"#]*glossary\.html)(?:#([^"]*))?"', html)
        assert links, report
        for href, frag in links:
            assert (report.parent / href).resolve() == glossary.resolve()
            assert not frag or f'id="{frag}"' in page
