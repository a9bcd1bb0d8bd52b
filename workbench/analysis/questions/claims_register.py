"""Notebook 06: the claims register, what the data say about seven common claims.

:func:`answer` tests every claim of :data:`workbench.analysis.claims.rules.CLAIMS` on the
panel (:func:`workbench.analysis.claims.assessment.assess_claims`) and, for "shorter
waits" on published data, puts the like-for-like comparison by specialty beside the
verdict when the study's data hold the ``specialty_waits`` table (from the session:
``s.data("specialty_waits")``; :func:`workbench.analysis.claims.rules.waits_like_for_like`).
It returns a :class:`Register`: the verdicts as findings (:meth:`Register.findings`), as
Markdown and as a table, and the sector claims for the figure. A table the data do not
hold is no error: the claim is judged without the like-for-like view.

>>> from workbench.data.synth import generate
>>> panel = generate(seed=2, n_providers=60, n_months=12).panel
>>> reg = answer(panel, NotHeld("specialty_waits", "synthetic data"),
...              keys=("private_shorter_waits",))
>>> [f.id for f in reg.findings()][:1]
['verdict:private_shorter_waits@acute']
>>> [view_label(f) for f in reg.sector_findings(reg.sector_claims()[0])]
['unadjusted', 'adjusted for case mix']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from workbench.analysis.claims.assessment import assess_claims
from workbench.analysis.claims.register import claim_findings, register_markdown, register_table
from workbench.analysis.claims.rules import ClaimResult, waits_like_for_like
from workbench.analysis.findings.record import Finding, Findings, with_question
from workbench.data.catalogue import NotHeld

#: How each kind of estimate behind a sector claim is labelled in the figure.
VIEWS = {"descriptive": "unadjusted", "adjusted": "adjusted for case mix",
         "waits_standardised": "like for like by specialty",
         "national": "national totals (FFT), descriptive"}

#: The register table's columns a report may show, in order, named in words.
TABLE_COLUMNS: dict[str, str] = {
    "claim": "Claim", "verdict": "Verdict", "judged on": "Judged on", "measure": "Measure",
    "margin": "Margin", "naive": "Unadjusted (95% interval)",
    "adjusted for case mix": "Adjusted for case mix",
    "within provider": "Within provider (fixed effects)",
    "like for like by specialty": "Like for like by specialty", "unit": "Unit"}

#: The tables beside the panel the register reads (from the session, ``s.data(name)``):
#: the like-for-like waits, and the published measures that stand in when the panel
#: holds no measure of a construct (:mod:`workbench.analysis.claims.constructs`).
TABLES: tuple[str, ...] = ("specialty_waits", "staff_survey_years", "inpatient_survey",
                           "inpatient_respondents", "sickness_absence", "complaints", "beds",
                           "fft_national")


@dataclass
class Register:
    """The claims register: each claim's result (verdict, the estimates behind it, why)
    and the register's findings, made once (:meth:`findings`).
    """

    results: list[ClaimResult]
    found: list[Finding] = field(default_factory=list)

    def findings(self, question: str | None = None) -> Findings:
        """Each verdict (``headline``; ``cannot answer`` is a ``diagnostic``), then the
        estimates behind it; ``question`` replaces the question each answers.
        """
        return with_question(self.found, question)

    def markdown(self) -> str:
        """The register as Markdown: one numbered paragraph per claim, then how
        multiplicity is controlled.
        """
        return register_markdown(self.results)

    def table(self) -> pd.DataFrame:
        """One row per claim and answer: unadjusted, adjusted and within-provider
        estimates side by side, the like-for-like view, the verdict and what it is judged
        on.
        """
        return register_table(self.results)

    def table_columns(self) -> dict[str, str]:
        """The columns of :meth:`table` a report shows, named in words: at most eight,
        leaving out a column no claim fills (the like-for-like view on the synthetic
        default, say) and, when eight are still too many, the margin (every verdict's
        sentence states it).

        >>> from workbench.analysis.claims.rules import CLAIMS
        >>> list(Register([ClaimResult(CLAIMS[0], "cannot answer", reason="r")])
        ...      .table_columns())[:3]
        ['claim', 'verdict', 'judged on']
        """
        table = self.table()
        filled = {c for c in table.columns
                  if table[c].astype(str).str.strip().replace("no data", "").ne("").any()}
        shown = {c: w for c, w in TABLE_COLUMNS.items()
                 if c in ("claim", "verdict") or c in filled}
        if len(shown) > 8:
            shown.pop("margin", None)
        return dict(list(shown.items())[:8])

    def sector_claims(self) -> list[ClaimResult]:
        """The claims comparing independent and NHS acute providers that have estimates
        (care homes, compared by ownership, are left out).
        """
        return [r for r in self.results if r.claim.key.startswith("private_") and r.naive
                and r.claim.key != "private_care_homes_better"]

    @staticmethod
    def sector_findings(result: ClaimResult) -> list[Finding]:
        """The estimates behind a sector claim: unadjusted, adjusted, like for like."""
        return [*result.naive, *result.adjusted, *result.beside]


def answer(panel: pd.DataFrame, specialty_waits: pd.DataFrame | NotHeld, *,
           engagement_lag: int = 1, margins: dict[str, float] | None = None,
           waits_measure: str = "rtt_median_weeks",
           keys: tuple[str, ...] | None = None,
           tables: Mapping[str, pd.DataFrame | NotHeld] | None = None) -> Register:
    """Every claim (or those in ``keys``) tested on ``panel``, "shorter waits" judged on
    ``waits_measure`` with the like-for-like view from ``specialty_waits`` beside it where
    the data hold it (module docstring). ``tables`` (name -> a table or
    :class:`~workbench.data.catalogue.NotHeld`, the names of :data:`TABLES`) lets published
    measures stand in where the panel holds no measure of a construct.
    """
    lfl = waits_like_for_like(specialty_waits, panel, waits_measure)
    results = assess_claims(panel, engagement_lag=engagement_lag, keys=keys,
                            margins=margins, waits_measure=waits_measure, like_for_like=lfl,
                            tables=tables)
    return Register(results, claim_findings(results))


def view_label(finding: Finding) -> str:
    """The label of an estimate behind a sector claim, from its id's kind.

    >>> view_label(Finding(id="adjusted:sector[independent]->rtt_median_weeks@acute",
    ...                    question="q", estimate=1.0))
    'adjusted for case mix'
    """
    kind = finding.key.kind
    return VIEWS.get(kind, kind)
