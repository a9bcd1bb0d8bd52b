"""What no page a stakeholder receives may show: a number in e-notation, a hex hash
outside the page's provenance line, a model formula, a table wider than a page
(:data:`workbench.report.tables.MAX_COLUMNS` columns). Used by the tests of the default,
real-data and claims studies.
"""

from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup

from workbench.report.tables import MAX_COLUMNS

#: A number in scientific notation (1.275071e-52, 3E+05).
E_NOTATION = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?[eE][-+]?\d+\b")
#: A hex digest of 12 characters or more (a sha256 prefix, a git commit).
HEX_HASH = re.compile(r"(?<![0-9A-Za-z])(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{12,}(?![0-9A-Za-z])")
#: A model formula: ``y ~ x`` between names, or a patsy ``C(...)`` term.
FORMULA = re.compile(r"\b[A-Za-z_]\w*\s*~\s*[A-Za-z_(]|\bC\(")


def table_width(table) -> int:
    """Columns of an HTML table: the widest row, counting spans."""
    return max((sum(int(c.get("colspan", 1) or 1) for c in tr.find_all(["th", "td"]))
                for tr in table.find_all("tr")), default=0)


def page_problems(html: str, name: str = "") -> list[str]:
    """What a stakeholder page must not show: e-notation, a hash outside the provenance
    line, a formula, a table wider than :data:`MAX_COLUMNS` columns."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "head"]):
        tag.decompose()
    problems = [f"{name}: a table of {table_width(t)} columns "
                f"({[c.get_text(strip=True) for c in t.find_all('th')][:12]})"
                for t in soup.find_all("table") if table_width(t) > MAX_COLUMNS]
    # what produced the page (digests, a git commit such as 10e28036) belongs in its
    # provenance line, whose hex is neither a number nor a hash out of place
    for tag in soup.select(".wb-provenance"):
        tag.decompose()
    text = " ".join(soup.get_text(" ").split())
    for what, pattern in (("e-notation", E_NOTATION), ("formula", FORMULA)):
        found = sorted(set(pattern.findall(text)))
        if found:
            problems.append(f"{name}: {what} {found[:5]}")
    hashes = sorted(set(HEX_HASH.findall(" ".join(soup.get_text(" ").split()))))
    if hashes:
        problems.append(f"{name}: hash {hashes[:5]}")
    return problems


def stakeholder_pages(folder: Path) -> list[Path]:
    """Every page a stakeholder receives: the publishable copy's index and reports."""
    public = folder / "public"
    return sorted(public.glob("*/report.html")) + [public / "index.html"]


def study_page_problems(folder: Path, at_least: int = 1) -> list[str]:
    """:func:`page_problems` of every stakeholder page of a study's output ``folder``
    (which must hold at least ``at_least`` reports)."""
    pages = stakeholder_pages(folder)
    assert len(pages) > at_least, f"{folder}: only {len(pages) - 1} reports in public/"
    return [p for page in pages
            for p in page_problems(page.read_text(encoding="utf-8"),
                                   str(page.relative_to(folder)))]
