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
        {"id": "effect:x->y@acute", "sentence": "S.", "ci_low": 0.1, "ci_high": 0.3}]})
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


#: Words a stakeholder's sentence never carries (model details belong to the analyst's
#: fields and the technical appendix).
JARGON = re.compile(r"log-odds|\bATE\b|\bATT\b|\bATO\b|CRV1|\bt\(\d+\)|\bpp\b|\[0\.05, 0\.95\]"
                    r"|propensity|per weeks\b|per months\b")
_NUMBER = r"[-+]?\d[\d,]*(?:\.\d+)?"
#: Two numbers of one interval: "a to b", "from a lower to b higher".
INTERVAL = re.compile(rf"(?:95% CI|95% interval) (?:from )?({_NUMBER})(?: \w+)? to ({_NUMBER})")


def _decimals(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


def _sentences(folder: Path) -> list[tuple[str, dict]]:
    import json

    out = []
    for path in sorted(folder.glob("*/findings.json")):
        out += [(path.parent.name, f) for f in json.loads(path.read_text(encoding="utf-8"))
                if f.get("sentence")]
    return out


def test_default_study_sentences_have_no_jargon_and_intervals_at_one_precision(
        default_study: Path):
    sentences = _sentences(default_study)
    assert len(sentences) > 50
    bad_words, mixed, checked = [], [], 0
    for run, f in sentences:
        text = f["sentence"]
        if JARGON.search(text):
            bad_words.append((run, f["id"], JARGON.search(text).group(0)))
        for m in INTERVAL.finditer(text):
            checked += 1
            if _decimals(m.group(1)) != _decimals(m.group(2)):
                mixed.append((run, f["id"], m.group(0)))
    assert not bad_words, bad_words
    assert not mixed, mixed
    assert checked > 40


def test_model_sentences_give_direction_size_and_interval_alike(default_study: Path):
    """A model finding's sentence writes its estimate at the decimals of its interval, and
    an interval on one side of zero in the estimate's direction."""
    kinds = ("effect", "naive", "adjusted", "total", "direct", "indirect", "ipw", "aipw",
             "overlap")
    seen = 0
    for _, f in _sentences(default_study):
        if f["id"].split(":")[0] not in kinds or f.get("ci_low") is None:
            continue
        seen += 1
        text = f["sentence"]
        m = INTERVAL.search(text)
        assert m, text
        d = _decimals(m.group(1))
        size = f"{abs(f['estimate']):.{d}f}"
        assert size in text or size.rstrip("0").rstrip(".") in text, (size, text)
        up, down = ("longer", "shorter") if "weeks" in f["unit"].split(" per ")[0] \
            else ("higher", "lower")
        direction = up if f["estimate"] >= 0 else down
        if f["ci_low"] > 0 or f["ci_high"] < 0:
            assert re.search(rf"{direction} \(95% CI [\d.]+ to [\d.]+ {direction}\)", text), text
        else:
            assert "no clear difference" in text, text
    assert seen > 30


def test_a_board_pack_ends_with_the_glossary_the_reports_link(default_study: Path):
    from workbench.report.export.pack import GLOSSARY_TITLE, build_pack

    pack = build_pack(default_study)
    assert pack.sections[-1].title == GLOSSARY_TITLE
    assert "confidence-interval" in pack.sections[-1].html
    document = pack.document()
    links = set(re.findall(r'href="#(glossary[^"]*)"', document))
    assert "glossary" in links and "glossary--confidence-interval" in links
    ids = set(re.findall(r'id="([^"]+)"', document))
    assert links <= ids  # every link to the glossary lands on its section or a term
    assert "Glossary" not in pack.subtitle and f"{len(pack.sections) - 2} reports" in pack.subtitle


def test_default_study_reports_carry_no_model_jargon_before_the_appendix(default_study: Path):
    """What a board reads (everything before the technical appendix) says its model details
    in words; the appendix may name them for analysts."""
    found = []
    for report in sorted((default_study / "public").glob("*/report.html")):
        html = report.read_text(encoding="utf-8")
        html = re.sub(r"<style.*?</style>", "", html, flags=re.DOTALL)
        main = html.split('id="technical-appendix"')[0]
        text = re.sub(r"<[^>]+>", " ", re.sub(r'src="[^"]*"', "", main))
        found += [(report.parent.name, m.group(0)) for m in JARGON.finditer(text)]
    assert not found, found
