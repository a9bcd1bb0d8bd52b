"""The stakeholder pages in a real browser: index.html and one report in headless Chromium.

A small study is rendered into tmp_path and served by a local static server; Debian's
Chromium (``/usr/bin/chromium``, installed by ``make browser``) is driven by Playwright.
Checks: no console errors, figures load, the findings table sorts and filters.
Screenshots are saved under ``outputs/browser/``. Skipped with the reason when Chromium
or Playwright is missing.
"""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest
from browser_helpers import launch, sync_api
from report_helpers import OK_ID, write_study

from workbench.batch.runner import run_study

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[1] / "outputs" / "browser"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The rendered study served over http; yields its base URL."""
    folder = tmp_path_factory.mktemp("browser_study")
    run_study(write_study(folder), out=folder / "out", progress=False)
    root = folder / "out" / "stakeholder"
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as pw:
        b = launch(pw)
        try:
            yield b
        finally:
            b.close()


def _open(browser, url: str):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
    page.on("response", lambda r: errors.append(f"HTTP {r.status}: {r.url}")
            if r.status >= 400 else None)
    response = page.goto(url, wait_until="load")
    assert response is not None and response.ok, url
    return page, errors


#: The findings of the small study by their sentences (the index's table shows no ids).
SENTENCES = {"The mean was": "mean:y@acute", "y was 0.40": "slope:x->y@acute"}


def _ids(page) -> list[str]:
    texts = page.eval_on_selector_all(
        "#findings tbody tr", "rows => rows.filter(r => r.style.display !== 'none')"
        ".map(r => r.cells[1].textContent.trim())")
    return [next(i for start, i in SENTENCES.items() if t.startswith(start)) for t in texts]


def test_index_sorts_filters_and_has_no_console_errors(site, browser):
    page, errors = _open(browser, f"{site}/index.html")
    try:
        assert page.locator("#findings tbody tr").count() == 2
        page.click("#findings th:has-text('Estimate')")
        assert _ids(page) == ["slope:x->y@acute", "mean:y@acute"]
        assert page.get_attribute("#findings th:has-text('Estimate')",
                                  "aria-sort") == "ascending"
        page.click("#findings th:has-text('Estimate')")
        assert _ids(page) == ["mean:y@acute", "slope:x->y@acute"]
        page.click("#findings th:has-text('Finding')")
        assert _ids(page) == ["mean:y@acute", "slope:x->y@acute"]
        page.fill("#filter", "lower")
        assert _ids(page) == ["slope:x->y@acute"]
        assert "Showing 1 of 2" in page.inner_text("#shown-count")
        page.fill("#filter", "")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "index.png"), full_page=True)
        link = page.get_attribute(f'a[href="{OK_ID}/report.html"]', "href")
        assert link == f"{OK_ID}/report.html"
        assert page.request.get(f"{site}/findings.csv").ok
    finally:
        page.close()
    assert errors == []


def test_report_figures_load_and_no_console_errors(site, browser):
    page, errors = _open(browser, f"{site}/{OK_ID}/report.html")
    try:
        images = page.eval_on_selector_all(
            "img", "imgs => imgs.map(i => [i.complete, i.naturalWidth, i.src.slice(0, 22)])")
        assert images, "the report shows no figure"
        for complete, width, src in images:
            assert complete and width > 0 and src == "data:image/png;base64,"
        assert page.locator(".wb-synthetic").is_visible()
        assert "The question" in page.inner_text(".wb-header")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "report.png"), full_page=True)
    finally:
        page.close()
    assert errors == []
