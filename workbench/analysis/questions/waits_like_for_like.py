"""Notebook 10 (published data): NHS and independent-sector waits, like for like by specialty.

:func:`answer` takes the ``specialty_waits`` table beside the panel (from the session:
``s.data("specialty_waits")``) and the panel (each provider's sector), and compares the
sectors in the three views of :mod:`workbench.analysis.effects.like_for_like` (like for
like by specialty, what a patient sees, what a typical provider looks like) on every
measure each pathway kind gives. It returns the
:class:`~workbench.analysis.effects.like_for_like.Analysis`: its findings
(``.findings()``, the like-for-like differences first), what it can and cannot show
(``.limits()``) and each comparison's table by specialty (``.comparisons_of(measure)``).

When the study's data do not hold the table (the synthetic default, a build without RTT
files by treatment function) the analysis says why (``reason``, its only limit) and has
no comparisons and no findings, so the notebook runs through and shows the reason once.

>>> from workbench.analysis.effects.like_for_like import example_table
>>> t = example_table().assign(pathway="completed_non_admitted", period="2025-09")
>>> a = answer(t.drop(columns="sector"), t[["provider_code", "sector"]], n_boot=50)
>>> [pathway for pathway, _ in a.comparisons_of("pct_within_18w")]
['completed_non_admitted']
>>> gone = answer(NotHeld("specialty_waits", "synthetic data"), t)
>>> gone.findings(), gone.comparisons_of("pct_within_18w"), gone.limits()
(Findings([]), [], ["The study's data hold no specialty_waits table: synthetic data."])
"""

from __future__ import annotations

import pandas as pd

from workbench.analysis.effects import like_for_like
from workbench.analysis.effects.like_for_like import MIN_PATHWAYS, N_BOOT, SEED, Analysis
from workbench.data.catalogue import NotHeld

#: Columns of a comparison's table by specialty shown in the notebook, and which are counts.
SPECIALTY_COLUMNS = ["specialty", "independent", "nhs", "difference", "ci_low", "ci_high",
                     "independent_pathways", "nhs_pathways", "independent_providers",
                     "nhs_providers"]
SPECIALTY_COUNTS = ["independent_pathways", "nhs_pathways", "independent_providers",
                    "nhs_providers"]


def answer(specialty_waits: pd.DataFrame | NotHeld, panel: pd.DataFrame, *,
           n_boot: int = N_BOOT, seed: int = SEED, min_pathways: int = MIN_PATHWAYS,
           include_other: bool = True) -> Analysis:
    """Independent minus NHS waits within treatment function (module docstring); a table
    the data do not hold (:class:`~workbench.data.catalogue.NotHeld`) gives an analysis
    saying why.
    """
    if isinstance(specialty_waits, NotHeld):
        return Analysis({}, {}, {}, [], [], reason=str(specialty_waits))
    return like_for_like.analyse(specialty_waits, panel, n_boot=n_boot, seed=seed,
                                 min_pathways=min_pathways, include_other=include_other)


def pathway_words(pathway: str, *, capital: bool = False) -> str:
    """The pathway kind in words (``waiting_list`` -> the waiting list ...).

    >>> pathway_words("completed_non_admitted", capital=True)
    'Completed non-admitted pathways'
    """
    words = like_for_like.PATHWAYS[pathway][1]
    return words[0].upper() + words[1:] if capital else words
