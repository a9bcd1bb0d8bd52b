"""Headless Chromium for the browser tests: Debian's chromium driven by Playwright.

Importing this module skips the importing test module with a clear reason when
Playwright or Chromium is missing (`make browser` installs Chromium).
"""

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
#: Flags for a sandboxed machine with a closed network (no background connections).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

sync_api = pytest.importorskip("playwright.sync_api",
                               reason="playwright is not installed (pip install -e '.[dev]')")
if not CHROMIUM.is_file():
    pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (`make browser`, or "
                "`apt-get install -y chromium`) to run the browser test",
                allow_module_level=True)


def launch(playwright):
    """A headless Chromium browser from Debian's package."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                      args=CHROMIUM_ARGS)
