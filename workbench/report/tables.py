"""Tables and sentences for a notebook: the findings table with emphasis and marks, and
the findings' sentences as typed phrases.

The table's content comes from :func:`workbench.analysis.findings.record.readable_frame`
(one number format everywhere); this module only adds styling. :func:`sentences` shows
the analyst the raw sentences and gives a report the typed phrases they were made from,
so that a stakeholder's page builds them under the disclosure rule
(:mod:`workbench.report.disclosure`).

>>> from workbench.analysis.findings.record import Finding
>>> styler = findings_table([Finding(id="a:x->y@nhs", question="q", estimate=1.0,
...                                  ci_low=0.2, ci_high=1.8)])
>>> "0.2 to 1.8" in styler.to_html()
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from workbench.analysis.findings import formatting
from workbench.analysis.findings.kinds import KindError, Phrase, Phrases
from workbench.analysis.findings.record import Finding, readable_frame
from workbench.report.notebook_text import escape_markdown

#: Colour of a missed true value (NHS red).
MISSED = "color: #D5281B; font-weight: bold"


def findings_table(findings: Iterable[Finding], truth: Mapping[str, float] | None = None):
    """The findings as a styled table (a pandas ``Styler``) for a notebook.

    Estimates whose 95% interval excludes zero are bold; on synthetic data an
    interval that misses the true value is marked. The numeric ``ci_low`` and
    ``ci_high`` columns are hidden (the text interval shows them).

    >>> from workbench.analysis.findings.record import Finding
    >>> html = findings_table([Finding(id="a:x->y@nhs", question="q", estimate=1.0,
    ...                                ci_low=0.2, ci_high=1.8)], truth={"a:x->y@nhs": 3}).to_html()
    >>> "font-weight: bold" in html and "#D5281B" in html
    True
    """
    frame = readable_frame(findings, dict(truth) if truth else None)

    def emphasis(row: pd.Series) -> list[str]:
        lo, hi = row["ci_low"], row["ci_high"]
        clear = pd.notna(lo) and pd.notna(hi) and (lo > 0 or hi < 0)
        out = ["font-weight: bold" if clear and c in ("estimate", "95% interval") else ""
               for c in row.index]
        if "covers truth" in row.index and row["covers truth"] is False:
            out[list(row.index).index("covers truth")] = MISSED
        return out

    return (frame.style.apply(emphasis, axis=1)
            .format({"estimate": formatting.number, "truth": formatting.number,
                     "n": formatting.count}, na_rep="")
            .hide(axis="index")
            .hide(subset=["ci_low", "ci_high"], axis="columns")
            .set_table_styles([
                {"selector": "th", "props": "text-align: left; background: #f0f4f5;"},
                {"selector": "td", "props": "text-align: left; padding: 2px 8px;"},
            ]))


def sentences(findings: Iterable[Finding | Mapping | Phrase | str], *, bullets: bool = True,
              empty: str = "") -> Phrases:
    """The findings' sentences for a notebook, as a bullet list: each typed phrase (the
    finding's ``wording``, or a :class:`~workbench.analysis.findings.kinds.Phrase` given
    as it is) or, for a finding without one, its sentence (or question) as plain text. The notebook shows the raw text, escaped for Markdown; a report builds
    each typed phrase under the study's disclosure rule and reads plain text with its
    text rule. ``empty`` is shown when there is no finding.

    >>> from workbench.analysis.findings import kinds as K
    >>> p = K.phrase("{who}: latest {x}.", who="R1", x=K.count(3, "complaints", style="quantity"))
    >>> out = sentences([Finding(id="spc:c@R1", question="q", estimate=3.0,
    ...                          sentence=p.text(), wording=p.to_dict())])._repr_mimebundle_()
    >>> out["text/markdown"], out[K.PHRASE_MIME]["phrases"][0]["template"]
    ('- R1: latest 3.0 complaints.', '{who}: latest {x}.')
    """
    items: list[Phrase | str] = []
    for f in findings:
        if isinstance(f, (Phrase, str)):
            items.append(f)
            continue
        record = f.to_dict() if isinstance(f, Finding) else dict(f)
        wording = record.get("wording")
        if wording:
            try:
                items.append(Phrase.from_dict(wording))
                continue
            except KindError:
                pass
        items.append(str(record.get("sentence") or record.get("question") or ""))
    return Phrases(items, bullets=bullets, markdown=escape_markdown, empty=empty)
