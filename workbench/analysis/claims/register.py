"""The claims register shown: one table row per claim and answer, Markdown, findings.

The results are :func:`workbench.analysis.claims.assessment.assess_claims`'.
"""

from __future__ import annotations

from itertools import zip_longest

import pandas as pd

from workbench.analysis.claims.rules import ALPHA, FAMILY, LEVEL, MULTIPLICITY, ClaimResult
from workbench.analysis.findings import formatting
from workbench.analysis.findings.record import Finding, Findings


def register_table(results: list[ClaimResult]) -> pd.DataFrame:
    """One row per claim and answer: claim, verdict, what it is judged on, the margin, the
    unadjusted and adjusted estimates with their 95% intervals, side by side, and the
    like-for-like view where there is one ('no data' where nothing could be estimated).

    >>> from workbench.analysis.claims.rules import CLAIMS
    >>> register_table([ClaimResult(CLAIMS[0], "cannot answer", reason="r")])["verdict"].tolist()
    ['cannot answer']
    """
    rows = []
    for r in results:
        pairs = list(zip_longest(r.naive, r.adjusted)) or [(None, None)]
        for naive, adjusted in pairs:
            shown = adjusted or naive
            rows.append({
                "claim": r.claim.text, "verdict": r.verdict,
                "judged on": ("unadjusted (weighted)" if r.claim.kind == "descriptive"
                              else "adjusted for case mix"),
                "margin": r.claim.margin,
                "measure": shown.key.outcome if shown else "",
                "exposure": shown.key.exposure if shown else "",
                "naive": _cell(naive), "adjusted for case mix": _cell(adjusted),
                "like for like by specialty": _cell(r.beside[0]) if r.beside else "",
                "unit": r.claim.unit or (shown.unit if shown else ""),
            })
    return pd.DataFrame(rows)


def _cell(f: Finding | None) -> str:
    if f is None:
        return "no data"
    est, iv = formatting.estimate_interval(f.estimate, f.ci_low, f.ci_high)
    return f"{est} ({iv})" if iv else est


def register_markdown(results: list[ClaimResult]) -> str:
    """The register as Markdown: one numbered paragraph per claim with its verdict, then
    how multiplicity is controlled.

    >>> from workbench.analysis.claims.rules import CLAIMS
    >>> print(register_markdown([ClaimResult(CLAIMS[0], "inconclusive", reason="r.")]))
    1. **Private providers have shorter waiting times than the NHS.** Verdict: **inconclusive**. R.
    <BLANKLINE>
    Verdicts rest on 99.5% intervals: Bonferroni over the register's 10 intervals, so the chance that any verdict rests on a chance finding is at most 5%.
    """
    lines = []
    for i, r in enumerate(results, 1):
        lines.append(f"{i}. **{r.claim.text}** Verdict: **{r.verdict}**. {r.reason}")
    lines.append("")
    lines.append(f"Verdicts rest on {formatting.percent(LEVEL, 1)} intervals: {MULTIPLICITY} "
                 f"over the register's {FAMILY} intervals, so the chance that any verdict rests "
                 f"on a chance finding is at most {formatting.percent(ALPHA)}.")
    unknown = max((r.unknown_sector for r in results), default=0)
    if unknown:
        lines.append("")
        lines.append(f"{unknown} provider(s) whose sector no register settles were left out "
                     "of every claim.")
    return "\n".join(lines)


def claim_findings(results: list[ClaimResult]) -> Findings:
    """The register's findings, for ``Session.add``: each claim's
    :meth:`~workbench.analysis.claims.rules.ClaimResult.findings` in turn (the verdict,
    then the findings behind it).

    >>> from workbench.analysis.claims.inputs import cannot_answer
    >>> from workbench.analysis.claims.rules import CLAIMS
    >>> [f.role for f in claim_findings([cannot_answer(CLAIMS[0], "no waits.")])]
    ['diagnostic']
    """
    out = Findings()
    for r in results:
        out += r.findings()
    return out
