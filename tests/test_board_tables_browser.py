"""The default study's stakeholder pages fit a 1280 px wide window: opened in headless
Chromium, no page scrolls sideways (its document is no wider than the window) and no
part of it does (no output area with a horizontal scroll bar), so no table or figure
runs off the page. Skipped with the reason when Chromium or Playwright is missing
(``make browser``).
"""

from __future__ import annotations

import pytest
from browser_helpers import launch, sync_api
from page_checks import stakeholder_pages

pytestmark = [pytest.mark.slow, pytest.mark.browser]

WIDTH = 1280
#: The elements of a page that scroll sideways: wider content than their box, in a box
#: that scrolls (a report's output areas scroll rather than widen the page).
SCROLLERS = """() => Array.from(document.querySelectorAll('body *')).filter(e => {
  const x = getComputedStyle(e).overflowX;
  return (x === 'auto' || x === 'scroll') && e.scrollWidth > e.clientWidth + 1;
}).map(e => `${e.tagName.toLowerCase()} ${e.scrollWidth} px in ${e.clientWidth} px: `
            + e.textContent.trim().slice(0, 60))"""


def test_no_stakeholder_page_is_wider_than_the_window(default_study):
    pages = stakeholder_pages(default_study)
    assert len(pages) > 10
    wide = {}
    with sync_api.sync_playwright() as pw:
        browser = launch(pw)
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": 900})
            for path in pages:
                page.goto(path.as_uri(), wait_until="load")
                width = page.evaluate("document.documentElement.scrollWidth")
                scrollers = page.evaluate(SCROLLERS)
                if width > WIDTH or scrollers:
                    wide[str(path.relative_to(default_study))] = (width, scrollers[:3])
        finally:
            browser.close()
    assert wide == {}, f"pages or parts wider than {WIDTH} px (they scroll sideways): {wide}"
