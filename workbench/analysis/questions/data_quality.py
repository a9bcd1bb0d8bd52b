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


#: The identity columns a provider panel is grouped by, in order.
IDENTITY_GROUPS = ("setting", "sector", "ownership")


def grouping_columns(panel: pd.DataFrame) -> list[str]:
    """The columns that group the panel's units: the identity columns it holds (setting,
    sector, ownership), or else, for a table of the user's own (wards, sites), its text
    columns that are neither the unit, its name, the period nor a measure (the groups its
    declaration names: directorate, site...).

    >>> grouping_columns(pd.DataFrame(columns=["provider_code", "sector", "setting"]))
    ['setting', 'sector']
    >>> grouping_columns(pd.DataFrame({"provider_code": ["W1"], "provider_name": ["Ward"],
    ...     "period": [pd.Timestamp("2024-01-01")], "directorate": ["Medicine"], "beds": [20.0]}))
    ['directorate']
    """
    present = [c for c in IDENTITY_GROUPS if c in panel.columns]
    if present:
        return present
    return [c for c in panel.columns if c not in ("provider_code", "provider_name", "period")
            and c not in M.MEASURES and not pd.api.types.is_numeric_dtype(panel[c])
            and not pd.api.types.is_datetime64_any_dtype(panel[c])]


def data_quality(panel: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Tables describing what the panel holds, for notebook 01.

    Returns ``providers`` (counts by setting, sector, ownership: those the panel holds),
    ``completeness`` (share of non-missing values per measure and sector), ``ranges``
    (min, median, max per measure) and ``coverage`` (months per provider type). Every
    provider is counted: a missing setting, sector or ownership shows as "not recorded".
    A panel of the user's own units (wards, sites) is grouped by its own grouping columns
    (:func:`grouping_columns`), and completeness is by the first of them.

    >>> from workbench.data.synth import generate
    >>> t = data_quality(generate(seed=1, n_providers=30, n_months=3).panel)
    >>> sorted(t)
    ['completeness', 'coverage', 'providers', 'ranges']
    """
    cols = measure_columns(panel)
    groups = grouping_columns(panel)
    panel = recorded(panel, groups)
    units = panel.drop_duplicates("provider_code")
    providers = (units.groupby(groups, observed=True).size().rename("providers").reset_index()
                 if groups else pd.DataFrame({"providers": [len(units)]}))
    numeric = [c for c in cols if M.get(c).kind != "ordinal"]
    by = "sector" if "sector" in groups else (groups[0] if groups else None)
    completeness = (panel.groupby(by)[cols] if by else panel.assign(all=1).groupby("all")[cols]
                    ).agg(lambda s: s.notna().mean()).T.round(3) * 100
    completeness.index.name = "measure"
    ranges = panel[numeric].describe().T[["count", "min", "50%", "max"]].rename(
        columns={"50%": "median"})
    ranges.insert(0, "construct", [M.get(c).construct for c in ranges.index])
    ranges.index.name = "measure"
    cover_by = [g for g in groups if g != "ownership"][:2]
    coverage = (panel.groupby(cover_by, observed=True)["period"] if cover_by else
                panel.assign(all="all").groupby("all")["period"]
                ).agg(first="min", last="max", months="nunique").reset_index()
    return {"providers": providers, "completeness": completeness.reset_index(),
            "ranges": ranges.reset_index(), "coverage": coverage}


# --------------------------------------------------------------------------- real NHS open data
