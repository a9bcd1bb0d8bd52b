"""Notebook 01 (data quality): what the panel holds, provider by provider and measure by measure.

>>> from workbench.data.synth import generate
>>> sorted(data_quality(generate(seed=1, n_providers=30, n_months=3).panel))
['completeness', 'coverage', 'providers', 'ranges']
"""

from __future__ import annotations

import pandas as pd

from workbench.data import measures as M
from workbench.data.schema import measure_columns

#: How a table shows an attribute (sector, setting, ownership) a provider has no value for.
NOT_RECORDED = "not recorded"


def recorded(panel: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """A copy of ``panel`` in which missing values of ``columns`` read "not recorded", so
    that a grouping keeps every provider.

    >>> frame = pd.DataFrame({"ownership": ["nhs", None]})
    >>> recorded(frame, ["ownership"])["ownership"].tolist()
    ['nhs', 'not recorded']
    """
    out = panel.copy()
    for c in columns:
        col = out[c]
        if isinstance(col.dtype, pd.CategoricalDtype):
            if NOT_RECORDED not in col.cat.categories:
                col = col.cat.add_categories([NOT_RECORDED])
            out[c] = col.fillna(NOT_RECORDED)
        else:
            out[c] = col.astype(object).where(col.notna(), NOT_RECORDED)
    return out


def data_quality(panel: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Tables describing what the panel holds, for notebook 01.

    Returns ``providers`` (counts by setting, sector, ownership), ``completeness``
    (share of non-missing values per measure and sector), ``ranges`` (min, median,
    max per measure) and ``coverage`` (months per provider type). Every provider is
    counted: a missing setting, sector or ownership shows as "not recorded".

    >>> from workbench.data.synth import generate
    >>> t = data_quality(generate(seed=1, n_providers=30, n_months=3).panel)
    >>> sorted(t)
    ['completeness', 'coverage', 'providers', 'ranges']
    """
    cols = measure_columns(panel)
    panel = recorded(panel, [c for c in ("setting", "sector", "ownership") if c in panel])
    providers = (panel.drop_duplicates("provider_code")
                 .groupby(["setting", "sector", "ownership"], observed=True).size()
                 .rename("providers").reset_index())
    numeric = [c for c in cols if M.get(c).kind != "ordinal"]
    completeness = (panel.groupby("sector")[cols]
                    .agg(lambda s: s.notna().mean()).T.round(3) * 100)
    completeness.index.name = "measure"
    ranges = panel[numeric].describe().T[["count", "min", "50%", "max"]].rename(
        columns={"50%": "median"})
    ranges.insert(0, "construct", [M.get(c).construct for c in ranges.index])
    ranges.index.name = "measure"
    coverage = (panel.groupby(["setting", "sector"], observed=True)["period"]
                .agg(first="min", last="max", months="nunique").reset_index())
    return {"providers": providers, "completeness": completeness.reset_index(),
            "ranges": ranges.reset_index(), "coverage": coverage}


# --------------------------------------------------------------------------- real NHS open data
