"""The claims register shown: one table row per claim and answer, Markdown, findings.

The results are :func:`workbench.analysis.claims.assessment.assess_claims`'.
"""

from __future__ import annotations

from itertools import zip_longest

import pandas as pd

from workbench.analysis.claims.rules import ALPHA, FAMILY, LEVEL, MULTIPLICITY, ClaimResult
from workbench.analysis.findings import formatting
from workbench.analysis.findings.record import Finding, Findings


def _judged_on(r: ClaimResult) -> str:
    """What a claim's verdict is judged on, in a few words (the table's ``judged on``)."""
    if r.claim.kind == "descriptive":
        return "unadjusted (weighted)"
    if r.basis == "within":
        return "within provider (fixed effects)"
    if r.basis == "pooled":
        return "pooled, adjusted for case mix (no between-within gap)"
    return "adjusted for case mix (between providers)"


def register_table(results: list[ClaimResult]) -> pd.DataFrame:
    """One row per claim and answer: claim, verdict, what it is judged on (unadjusted for
    a descriptive claim; within provider, or pooled when the between-within test finds no
    gap, for an effect claim; between providers for a sector effect), the margin, the
    unadjusted, adjusted and within-provider estimates with their 95% intervals, side by
    side, and the like-for-like view where there is one ('no data' where nothing could be
    estimated).

    >>> from workbench.analysis.claims.rules import CLAIMS
    >>> register_table([ClaimResult(CLAIMS[0], "cannot answer", reason="r")])["verdict"].tolist()
    ['cannot answer']
    """
    rows = []
    for r in results:
        triples = list(zip_longest(r.naive, r.adjusted, r.within)) or [(None, None, None)]
        for naive, adjusted, within in triples:
            shown = adjusted or naive or within
            rows.append({
                "claim": r.claim.text, "verdict": r.verdict,
                "judged on": _judged_on(r),
                "margin": r.claim.margin,
                "measure": shown.key.outcome if shown else "",
                "exposure": shown.key.exposure if shown else "",
                "naive": _cell(naive), "adjusted for case mix": _cell(adjusted),
                "within provider": _cell(within) if r.within else "",
                "like for like by specialty": _cell(r.beside[0]) if r.beside else "",
                "unit": r.claim.unit or (shown.unit if shown else ""),
            })
    return pd.DataFrame(rows)


def _cell(f: Finding | None) -> str:
    if f is None:
        return "no data"
    est, iv = formatting.estimate_interval(f.estimate, f.ci_low, f.ci_high)
    return f"{est} ({iv})" if iv else est


#: The verdict words and what they say, under the register.
VERDICT_WORDS = (
    "*Supported, meaningful*: the interval lies beyond the claim's margin (its minimal "
    "important difference) on the side the claim asserts. *Supported, size uncertain*: it "
    "excludes no difference but reaches inside the margin, so the effect is there and may "
    "be too small to matter. *Contradicted, meaningful* / *size uncertain*: the same on the "
    "other side. *No meaningful difference*: the whole interval lies within the margin. "
    "*Inconclusive*: the data cannot tell. Effect claims are judged within providers "
    "(each provider compared with itself over time) unless a between-within test finds no "
    "gap between the slope across providers and within them.")


def register_markdown(results: list[ClaimResult]) -> str:
    """The register as Markdown: one numbered paragraph per claim with its verdict, then
    how multiplicity is controlled and what the verdict words say (:data:`VERDICT_WORDS`).

    >>> from workbench.analysis.claims.rules import CLAIMS
    >>> text = register_markdown([ClaimResult(CLAIMS[0], "inconclusive", reason="r.")])
    >>> print(text[:text.index("*Supported")].rstrip())
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
    lines.append("")
    lines.append(VERDICT_WORDS)
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
