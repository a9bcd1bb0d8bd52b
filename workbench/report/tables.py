"""Tables styled for a notebook: the findings table with emphasis and marks.

The table's content comes from :func:`workbench.analysis.findings.record.readable_frame`
(one number format everywhere); this module only adds styling.

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
from workbench.analysis.findings.record import Finding, readable_frame

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
