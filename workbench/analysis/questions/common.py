"""What several questions share: the adjustment set of a subset, the headline cluster
rule and checks of what a panel holds.

>>> adjust_for("acute")[-1]
'sector_independent'
"""

from __future__ import annotations

import pandas as pd

from workbench.analysis.findings import roles
from workbench.analysis.models import fit as md


def adjust_for(subset: str) -> tuple[str, ...]:
    """The case-mix controls for ``subset``, with the sector indicator when it mixes sectors."""
    return md.CASE_MIX + (("sector_independent",) if subset == "acute" else ())


#: Providers below which an estimate is not a headline (the headline rule's, kept here for
#: the questions that import it from here).
MIN_HEADLINE_CLUSTERS = roles.MIN_HEADLINE_CLUSTERS


def select_has(panel: pd.DataFrame, subset: str) -> bool:
    """True when the panel holds providers of ``subset``."""
    return len(md.select_subset(panel, subset)) > 0


def case_mix_available(panel: pd.DataFrame, subset: str = "acute") -> tuple[str, ...]:
    """The case-mix measures (:data:`~workbench.analysis.models.fit.CASE_MIX`) with values for
    ``subset``; the published files hold none, the synthetic default all three.

    >>> from workbench.data.synth import generate
    >>> case_mix_available(generate(seed=1, n_providers=30, n_months=2).panel)
    ('case_mix_index', 'pct_aged_75_plus', 'deprivation_imd')
    """
    rows = md.select_subset(panel, subset)
    return tuple(c for c in md.CASE_MIX if c in rows.columns and rows[c].notna().any())
