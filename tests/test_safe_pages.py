"""No stakeholder page can run code, whatever the data, the study or the parameters hold.

A study on a synthetic panel whose provider names are script and event-handler attacks,
with an attack in its title and in a text parameter that a careless notebook puts into
Markdown and HTML unescaped; notebooks 04 (SPC) and 05 (funnel) write provider names
into their Markdown. Every HTML file of the study's output is checked (~40 s).
"""

from __future__ import annotations

import re

import pytest
from report_helpers import ATTACK_LABEL, ATTACKS, write_attack_study

from workbench.batch.runner import run_study
from workbench.report.sanitise import unsafe_parts
from workbench.report.study_index import index_script


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    folder = tmp_path_factory.mktemp("attack")
    result = run_study(write_attack_study(folder), out=folder / "out", progress=False)
    assert [r.status for r in result.results] == ["ok", "ok", "ok"], result.summary()
    return folder / "out" / "attack"


def _pages(out):
    pages = sorted(out.rglob("*.html"))
    assert len(pages) >= 4  # the index and three reports
    return {p.relative_to(out).as_posix(): p.read_text(encoding="utf-8") for p in pages}


def test_no_page_holds_anything_that_runs(out):
    for name, html in _pages(out).items():
        assert unsafe_parts(html, script=index_script()) == [], name
        # the only script is the index's own, pinned by its hash
        is_index = name in ("index.html", "public/index.html")
        assert html.count("<script") == (1 if is_index else 0), name
        assert "script-src 'none'" in html or "script-src 'sha256-" in html, name


def test_no_element_or_attribute_from_the_data_survives(out):
    for name, html in _pages(out).items():
        for tag in ("<img src=x", "<iframe", "<svg", "<form", "<input name"):
            assert tag not in html, (name, tag)
        assert not re.search(r"<[^>]+\son\w+\s*=", html), name
        assert not re.search(r"""<[^>]*\shref\s*=\s*["']?\s*javascript:""", html,
                             re.IGNORECASE), name


def _text(html: str) -> str:
    from bs4 import BeautifulSoup

    return " ".join(BeautifulSoup(html, "html.parser").get_text(" ").split())


def test_the_names_are_shown_as_text(out):
    pages = _pages(out)
    spc = _text(next(html for name, html in pages.items() if name.startswith("04_spc")))
    # notebook 04's sentences and table name the providers: each attack reads as written
    shown = [a for a in ATTACKS if a in spc]
    assert len(shown) >= 2, spc[:2000]
    report = _text(next(html for name, html in pages.items() if name.startswith("attack_text")))
    assert f"label = {ATTACK_LABEL}" in report  # the header shows the parameter as text
    assert f"Label as given: {ATTACK_LABEL}" not in report  # unescaped Markdown was markup
    assert "Attack <script>alert(9)</script>" in _text(pages["index.html"])


def test_the_pages_still_work(out):
    pages = _pages(out)
    # the study folder's index and the publishable copy in public/ link their own reports
    for root in ("", "public/"):
        index = pages[f"{root}index.html"]
        assert '<table id="findings">' in index and 'id="filter"' in index
        for name in pages:
            if name.endswith("/report.html") and name.startswith(root) \
                    and name.count("/") == root.count("/") + 1:
                assert f'href="{name[len(root):]}"' in index, (root, name)
                assert "data:image/png;base64," in pages[name], name
        assert 'href="findings.csv" download' in index
        assert ATTACK_LABEL not in index


def test_a_study_of_many_runs_is_paged_and_every_page_is_safe():
    from workbench.report.study_index import render_index_pages

    runs = [{"run_id": f"nb--i-{i}", "title": f"<b onclick=x()>Run {i}</b>",
             "status": "failed" if i % 100 == 7 else "ok", "duration_s": 1.0,
             "error": "ValueError: <script>x()</script>" if i % 100 == 7 else "",
             "report_href": f"nb--i-{i}/report.html",
             "findings": [{"id": f"e:a->b@r{i}", "estimate": 1.0, "p_value": 0.5, "n": 50,
                           "sentence": f"Run {i} <img src=x onerror=y()> found 3 patients."}]}
            for i in range(450)]
    pages = render_index_pages({"name": "big", "title": "Big"}, runs, per_page=200)
    assert [name for name, _ in pages] == ["index.html", "index-2.html", "index-3.html"]
    first = pages[0][1]
    assert first.count('<a href="nb--i-') <= 200 + 5 + 1000  # runs, failed list, findings
    assert "Failed runs" in first and all(f'href="nb--i-{i}/report.html"' in first
                                          for i in (7, 107, 207, 307, 407))
    assert 'href="index-2.html"' in first and '<table id="findings">' in first
    assert '<table id="findings">' not in pages[2][1] and "nb--i-449" in pages[2][1]
    for _, page in pages:
        assert unsafe_parts(page, script=index_script()) == []
        assert "3 patients" not in page
