"""The panel's coverage table: per provider-month, which constructs and measures it holds.

Written beside every built panel as ``<stem>.coverage.csv``
(:mod:`workbench.data.panel_outputs`); :func:`coverage_summary` counts providers by
construct and sector for the terminal.
"""

from __future__ import annotations

import pandas as pd

from workbench.data import measures as M


def coverage_table(panel: pd.DataFrame) -> pd.DataFrame:
    """One row per provider-month: which constructs (and how many measures) it has.

    >>> import pandas as pd
    >>> p = pd.DataFrame({"provider_code": ["RJ1"], "provider_name": ["X"], "sector": ["nhs"],
    ...     "setting": ["acute"], "period": [pd.Timestamp("2017-09-01")], "nurse_fte": [1.0]})
    >>> coverage_table(p)[["staffing", "waiting"]].iloc[0].tolist()
    [True, False]
    """
    ident = [c for c in ("provider_code", "provider_name", "sector", "setting", "period")
             if c in panel.columns]
    out = panel[ident].copy()
    for construct in M.CONSTRUCTS:
        cols = [m.name for m in M.by_construct(construct) if m.name in panel.columns]
        out[construct] = panel[cols].notna().any(axis=1) if cols else False
    cols = [c for c in M.MEASURES if c in panel.columns]
    notna = panel[cols].notna()
    out["measures"] = [";".join(c for c, v in zip(cols, row) if v) for row in notna.to_numpy()]
    return out.reset_index(drop=True)


def coverage_summary(coverage: pd.DataFrame) -> pd.DataFrame:
    """Number of providers with each construct, by sector (any month) and overall months.

    >>> import pandas as pd
    >>> cov = pd.DataFrame({"provider_code": ["A", "A"], "sector": ["nhs", "nhs"],
    ...     "period": pd.to_datetime(["2017-09-01", "2018-06-01"]), "staffing": [True, True],
    ...     "waiting": [False, True], "satisfaction": [False, False], "context": [False, False]})
    >>> coverage_summary(cov).loc["nhs", "staffing"]
    np.int64(1)
    """
    cons = [c for c in M.CONSTRUCTS if c in coverage.columns]
    per_provider = coverage.groupby(["sector", "provider_code"])[cons].any()
    counts = per_provider.groupby("sector").sum().astype("int64")
    months = coverage.groupby("sector")["period"].agg(
        lambda s: f"{s.min():%Y-%m}..{s.max():%Y-%m}")
    counts["providers"] = per_provider.groupby("sector").size()
    counts["months"] = months
    return counts

