"""Multiple testing: Benjamini-Hochberg false discovery rate across a study's findings.

A study reports many findings; with 5% tests, about one in twenty true nulls comes out
"significant" by chance. :func:`adjust_p` adds Benjamini-Hochberg adjusted p-values
(q-values in the step-up sense) to the tidy findings table: a finding with
``p_adjusted < 0.05`` belongs to a set whose expected share of false discoveries is
at most 5%, provided the tests are independent or positively dependent (PRDS).

Example
-------
>>> import pandas as pd
>>> df = pd.DataFrame({"id": ["a", "b", "c", "d"], "p_value": [0.01, 0.04, 0.03, 0.20]})
>>> adjust_p(df)["p_adjusted"].round(4).tolist()
[0.04, 0.0533, 0.0533, 0.2]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.errors import AnalysisInputError

#: Methods :func:`adjust_p` accepts, by the names statsmodels' ``multipletests`` uses.
METHODS: dict[str, str] = {
    "fdr_bh": "Benjamini-Hochberg false discovery rate (independent or PRDS tests)",
    "fdr_by": "Benjamini-Yekutieli false discovery rate (any dependence; more conservative)",
    "holm": "Holm family-wise error rate",
    "bonferroni": "Bonferroni family-wise error rate",
}


def adjust_p(data: pd.DataFrame, p: str = "p_value", *, method: str = "fdr_bh",
             by: str | list[str] | None = None, out: str = "p_adjusted",
             exclude: str | None = None) -> pd.DataFrame:
    """Return a copy of ``data`` with adjusted p-values in column ``out``.

    Parameters
    ----------
    data : DataFrame
        Tidy findings (e.g. from :func:`workbench.analysis.findings.record.findings_frame`).
    p : str
        Column of raw p-values. Missing p-values stay missing and do not count as tests.
    method : str
        One of :data:`METHODS` (default Benjamini-Hochberg).
    by : str or list of str, optional
        Adjust separately within groups (e.g. ``"notebook"`` or ``"sector"``); default is
        one family over all rows.
    exclude : str, optional
        Name of a boolean column; rows where it is true keep no adjusted value and are
        left out of the family (e.g. descriptive or duplicate estimates of one estimand).

    >>> import pandas as pd
    >>> adjust_p(pd.DataFrame({"p_value": [0.01, None]}))["p_adjusted"].tolist()
    [0.01, nan]
    """
    fn = "adjust_p"
    if not isinstance(data, pd.DataFrame):
        raise AnalysisInputError(fn, "data", f"is a {type(data).__name__}",
                                 expected="a findings DataFrame (findings_frame)")
    if p not in data.columns:
        raise AnalysisInputError(fn, "p", f"{p!r} is not a column of the data",
                                 expected=f"one of {list(data.columns)}")
    if method not in METHODS:
        raise AnalysisInputError(fn, "method", f"is {method!r}", expected=f"one of {list(METHODS)}")
    groups = [by] if isinstance(by, str) else list(by or [])
    missing = [g for g in groups + ([exclude] if exclude else []) if g not in data.columns]
    if missing:
        raise AnalysisInputError(fn, "by/exclude", f"columns {missing} are not in the data")
    values = pd.to_numeric(data[p], errors="coerce").astype(float)
    bad = values[(values < 0) | (values > 1)]
    if len(bad):
        raise AnalysisInputError(fn, f"column {p!r}",
                                 f"has values outside [0, 1] in rows {list(bad.index[:5])}",
                                 expected="p-values between 0 and 1")
    use = values.notna()
    if exclude:
        use &= ~data[exclude].fillna(False).astype(bool)
    result = pd.Series(np.nan, index=data.index, dtype=float)
    keys = data[groups].astype(str).agg("|".join, axis=1) if groups else pd.Series(
        "all", index=data.index)
    for idx in keys[use].groupby(keys[use]).groups.values():
        result.loc[idx] = _adjusted(values.loc[idx].to_numpy(), method)
    return data.assign(**{out: result})


def fdr_bh(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values of the p-values ``p`` (none missing), in their
    order: sorted, ``p / (rank / m)``, the running minimum from the largest down, at most 1.
    The same arithmetic as statsmodels' ``multipletests(p, method="fdr_bh")``, so the same
    values to the last bit.

    >>> fdr_bh(np.array([0.5, 0.01, 0.04, 0.02, 0.03])).round(12).tolist()
    [0.5, 0.05, 0.05, 0.05, 0.05]
    >>> fdr_bh(np.array([])).tolist()
    []
    """
    p = np.asarray(p, dtype=float)
    order = np.argsort(p)
    ranked = p[order] / (np.arange(1, len(p) + 1) / float(len(p)))
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1]
    adjusted[adjusted > 1] = 1
    result = np.empty_like(adjusted)
    result[order] = adjusted
    return result


def _adjusted(p: np.ndarray, method: str) -> np.ndarray:
    """Adjusted p-values of one family by ``method`` (Benjamini-Hochberg in numpy, the
    others by statsmodels).
    """
    if method == "fdr_bh":
        return fdr_bh(p)
    from statsmodels.stats.multitest import multipletests

    return multipletests(p, method=method)[1]
