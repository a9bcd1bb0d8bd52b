"""Notebook 09 (published data): what dissatisfied patients write about.

:func:`answer` takes the labelled Friends and Family Test comments and their themes (the
``comments`` and ``comment_themes`` tables beside the panel, from the session:
``s.data("comments")``, ``s.data("comment_themes")``) and returns a
:class:`PatientComments`: the respondents (:func:`workbench.analysis.text.themes.respondents`),
the share mentioning each theme by satisfaction group, the findings (dissatisfied minus
satisfied share per theme, pooled and per trust; the ordinal model of the score on the
themes), the limits, how many comments each quotation check stops and, when asked for,
quotations that pass every check (:mod:`workbench.analysis.text.quotations`).

When the study's data do not hold the comments (the synthetic default, a build without a
comments file), the result says why (``reason``; the only limit) and its tables and
findings are empty, so the notebook runs through and shows the reason once.

>>> from workbench.analysis.text.themes import example_data
>>> c, t = example_data()
>>> a = answer(c, t)
>>> a.reason, len(a.respondents), a.gaps()[0].id
('', 400, 'theme_gap:dissatisfied_vs_satisfied->staff_numbers@all')
>>> gone = answer(NotHeld("comments", "the synthetic default has none"), t)
>>> gone.findings(), gone.shares().empty, gone.limits()
(Findings([]), True, ["The study's data hold no comments table: the synthetic default has none."])
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from workbench.analysis.findings.record import Finding, Findings, with_question
from workbench.analysis.text import quotations as qc
from workbench.analysis.text import themes
from workbench.data.catalogue import NotHeld, first_not_held

#: Columns of the respondent table (:func:`workbench.analysis.text.themes.respondents`).
RESPONDENT_COLUMNS = ["respondent", "trust", "service", "fft_score", "comments",
                      *themes.GROUPS, "group"]


@dataclass
class PatientComments:
    """The comments of notebook 09 by respondent and what they show (module docstring).

    ``comments`` and ``themes`` as given (empty when not held), ``respondents`` one row
    per respondent, ``reason`` why there is nothing to show (``""`` when the data hold
    the comments).
    """

    comments: pd.DataFrame
    themes: pd.DataFrame
    respondents: pd.DataFrame
    reason: str = ""
    found: list[Finding] = field(default_factory=list)

    def limits(self) -> list[str]:
        """What these comments can and cannot show, in plain sentences (the reason alone
        when the data do not hold them).
        """
        if self.reason:
            return [self.reason]
        return themes.limits(self.comments, self.respondents)

    def shares(self, by: tuple[str, ...] = ()) -> pd.DataFrame:
        """% of respondents mentioning each theme, by satisfaction group (and ``by``), with
        95% Wilson intervals (:func:`workbench.analysis.text.themes.shares`); ``respondents``
        and ``mentioning`` are numbers of people.
        """
        return themes.shares(self.respondents, by=by)

    def findings(self, question: str | None = None) -> Findings:
        """The theme gaps (dissatisfied minus satisfied, pooled and per trust) and the
        ordinal model's odds ratios; ``question`` replaces the question each answers.
        """
        return with_question(self.found, question)

    def gaps(self) -> Findings:
        """The pooled theme gaps (kind ``theme_gap``, all trusts), one per theme group."""
        return Findings(f for f in self.found
                        if f.key.kind == "theme_gap" and f.key.subset == "all")

    def quotation_checks(self) -> pd.DataFrame:
        """How many scored comments each quotation check stops
        (:func:`workbench.analysis.text.quotations.summary`).
        """
        c = self.comments
        if c.empty:
            return qc.summary(pd.DataFrame({"text": pd.Series(dtype=object),
                                            "person_identifiable": pd.Series(dtype=object)}))
        return qc.summary(c[c["fft_score"].between(1, 5) & c["text"].notna()])

    def quotations(self, per_theme: int = 2) -> pd.DataFrame:
        """Up to ``per_theme`` quotations per theme that pass every check
        (:func:`workbench.analysis.text.themes.quotations`): ``theme_group, group, text``.
        """
        if self.comments.empty:
            return pd.DataFrame(columns=["theme_group", "group", "text"])
        return themes.quotations(self.comments, self.themes, per_theme=per_theme)


def answer(comments: pd.DataFrame | NotHeld,
           comment_themes: pd.DataFrame | NotHeld) -> PatientComments:
    """What respondents write about, by satisfaction (module docstring); tables the data
    do not hold (:class:`~workbench.data.catalogue.NotHeld`) give a result saying why.
    """
    missing = first_not_held(comments, comment_themes)
    if missing is not None:
        empty = pd.DataFrame(columns=RESPONDENT_COLUMNS)
        return PatientComments(pd.DataFrame(), pd.DataFrame(), empty, reason=str(missing))
    r = themes.respondents(comments, comment_themes)
    found = themes.difference_findings(r) + themes.ordinal_findings(r)
    return PatientComments(comments, comment_themes, r, found=found)


def theme_label(finding: Finding) -> str:
    """The theme a finding is about, in words, from its id's outcome (figure labels).

    >>> theme_label(Finding(id="theme_gap:dissatisfied_vs_satisfied->staff_numbers@all",
    ...                     question="q", estimate=1.0))
    'staff numbers'
    """
    outcome = finding.key.outcome
    return themes.GROUP_WORDS.get(outcome, outcome)
