"""The page sanitiser: whatever the data hold, no page a stakeholder opens can run code."""

from __future__ import annotations

import pytest

from workbench.report.sanitise import sanitise_fragment, sanitise_page, unsafe_parts

ATTACKS = [
    "X <img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "<svg onload=alert(1)><circle/></svg>",
    '<a href="javascript:alert(1)">click</a>',
    '<a href=" JaVaScRiPt:alert(1)">click</a>',
    '<iframe src="https://evil.example"></iframe>',
    '<form action="https://evil.example"><input name=a></form>',
    '<object data="x.swf"></object><embed src="x.swf">',
    '<div style="background:url(javascript:alert(1))">s</div>',
    '<img src="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">',
    '<a href="data:text/html,<script>alert(1)</script>">d</a>',
    '<p title="x" onmouseover="alert(1)">t</p>',
    '<base href="https://evil.example/">',
    "</style><script>alert(1)</script>",
    '<math><mi xlink:href="javascript:alert(1)">m</mi></math>',
    "<!--<script>alert(1)</script>-->",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_attacks_in_the_body_leave_nothing_that_runs(attack):
    page = sanitise_page(f"<html><head><title>{attack}</title></head>"
                         f"<body><h1>Trust {attack}</h1><td>{attack}</td></body></html>")
    assert unsafe_parts(page) == []
    assert "alert(1)" not in page.split("</title>")[1]


@pytest.mark.parametrize("attack", ATTACKS)
def test_attacks_in_a_style_sheet_cannot_close_it(attack):
    page = sanitise_page(f"<head><style>td {{ color: red }} {attack}</style></head><body>x</body>")
    assert unsafe_parts(page) == []


def test_report_content_survives():
    png = "data:image/png;base64,iVBORw0KGgo="
    body = (f'<h2 id="s">Section</h2><table class="dataframe" data-wb-disclosure=\'{{}}\'>'
            f'<tr><th scope="col">a</th></tr><tr><td colspan="2">1</td></tr></table>'
            f'<img src="{png}" alt="fig"><a href="02_run/report.html">report</a>'
            f'<a href="https://www.england.nhs.uk/">NHS</a>'
            f'<input id="filter" type="search" placeholder="e.g. waits">')
    out = sanitise_fragment(body)
    for kept in ['id="s"', 'class="dataframe"', "data-wb-disclosure", 'colspan="2"', png,
                 'href="02_run/report.html"', 'href="https://www.england.nhs.uk/"',
                 'type="search"', 'placeholder="e.g. waits"']:
        assert kept in out, kept


def test_the_pages_own_script_runs_and_is_pinned_by_hash():
    script = "document.title = 'sorted';"
    page = sanitise_page("<body><p>x</p><script>evil()</script></body>", script=script)
    assert page.count("<script>") == 1 and "evil" not in page
    assert "script-src 'sha256-" in page and "default-src 'none'" in page
    assert unsafe_parts(page, script=script) == []
    assert unsafe_parts(page) == ["<script"]
