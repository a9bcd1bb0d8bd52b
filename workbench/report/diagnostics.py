"""Model-diagnostic figures: residuals, influence of each provider, covariate balance.

The tables come from :mod:`workbench.analysis.models.diagnostics` (:func:`residual_frame`,
:func:`influence_frame`) and :func:`workbench.analysis.effects.weighting.balance`; the figure
functions here take tidy data and column names (as seaborn does), draw on an Axes (a new
one unless ``ax`` is given) and return it. None calls ``plt.show()``.

Example
-------
>>> from workbench.data.synth import generate
>>> from workbench.analysis.models import fit as md
>>> from workbench.analysis.models.diagnostics import residual_frame
>>> panel = generate(seed=3, n_providers=60, n_months=6).panel
>>> f = md.fit(md.ModelSpec("fft_pct_positive", ("rtt_median_weeks",), md.CASE_MIX), panel)
>>> ax = residual_plot(residual_frame(f))
>>> ax.get_xlabel()
'Fitted value'
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from workbench.errors import AnalysisInputError
from workbench.report.panel_figures import BOOTSTRAP_SEED
from workbench.report.theme import GREY, NHS_BLUE, SECTOR_COLOURS, new_axes, themed


def _need(data: pd.DataFrame, function: str, **columns) -> None:
    for param, col in columns.items():
        if col is not None and col not in data.columns:
            raise AnalysisInputError(function, f"{param}={col!r}", "is not a column of data",
                                     expected=f"one of {list(data.columns)}")


#: Rows above which :func:`residual_plot` fits its lowess trend to evenly spaced rows.
LOWESS_ROWS = 5000


@themed
def residual_plot(data: pd.DataFrame, x: str = "fitted", y: str = "residual", *,
                  hue: str | None = "sector", ax=None) -> plt.Axes:
    """Residuals against fitted values, coloured by sector, with a lowess trend.

    A trend away from zero suggests a missing non-linearity; a funnel, unequal variance.
    """
    _need(data, "residual_plot", x=x, y=y, hue=hue)
    ax = new_axes(ax)
    hue = hue if hue in data.columns else None
    sns.scatterplot(data=data, x=x, y=y, hue=hue, palette=SECTOR_COLOURS if hue == "sector"
                    else None, s=10, alpha=0.4, linewidth=0, ax=ax)
    # lowess costs rows^2: above LOWESS_ROWS the trend is fitted to evenly spaced rows in
    # order of x (deterministic), which leaves a national panel's trend line unchanged
    trend = data.sort_values(x).iloc[::-(-len(data) // LOWESS_ROWS)] \
        if len(data) > LOWESS_ROWS else data
    sns.regplot(data=trend, x=x, y=y, lowess=True, scatter=False, color=GREY, ax=ax)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xlabel("Fitted value")
    ax.set_ylabel("Residual")
    ax.set_title("Residuals against fitted values")
    return ax


@themed
def qq_plot(data: pd.DataFrame, y: str = "std_residual", *, ax=None) -> plt.Axes:
    """Normal quantile-quantile plot of (standardised) residuals."""
    from scipy import stats

    _need(data, "qq_plot", y=y)
    ax = new_axes(ax, (5, 5))
    r = np.sort(data[y].dropna().to_numpy(float))
    q = stats.norm.ppf((np.arange(1, len(r) + 1) - 0.5) / len(r))
    ax.scatter(q, r, s=8, color=NHS_BLUE, alpha=0.5)
    lim = [min(q.min(), r.min()), max(q.max(), r.max())]
    ax.plot(lim, lim, color=GREY, linewidth=1)
    ax.set_xlabel("Normal quantile")
    ax.set_ylabel("Standardised residual")
    ax.set_title("Normal Q-Q plot of residuals")
    return ax


@themed
def influence_plot(data: pd.DataFrame, x: str = "dfbeta_se", y: str = "provider_code", *,
                   hue: str | None = "sector", top: int = 20, ax=None) -> plt.Axes:
    """The ``top`` most influential providers: change in the estimate without each one.

    Bars beyond +/-1 standard error mark providers that alone shift the answer.
    """
    _need(data, "influence_plot", x=x, y=y, hue=hue)
    ax = new_axes(ax, (7, max(3.0, 0.28 * min(top, len(data)) + 1)))
    d = data.reindex(data[x].abs().sort_values(ascending=False).index).head(top)
    hue = hue if hue in d.columns else None
    sns.barplot(data=d, x=x, y=y, hue=hue, palette=SECTOR_COLOURS if hue == "sector" else None,
                dodge=False, ax=ax, seed=BOOTSTRAP_SEED)
    for v in (-1, 1):
        ax.axvline(v, color=GREY, linestyle="--", linewidth=0.8)
    ax.set_xlabel("Change in estimate without the provider (standard errors)")
    ax.set_ylabel("")
    ax.set_title("Most influential providers")
    return ax


@themed
def balance_plot(data: pd.DataFrame, x: str = "smd", y: str = "covariate", *,
                 hue: str = "stage", threshold: float = 0.1, ax=None) -> plt.Axes:
    """Love plot: standardised mean differences before and after weighting.

    Takes the tidy output of :func:`workbench.analysis.effects.weighting.balance`. Dashed lines
    mark +/- ``threshold`` (0.1, the usual bound for adequate balance).

    >>> import pandas as pd
    >>> d = pd.DataFrame({"covariate": ["a", "a"], "stage": ["unweighted", "weighted"],
    ...                   "smd": [0.8, 0.05]})
    >>> balance_plot(d).get_xlabel()
    'Standardised mean difference (independent minus NHS)'
    """
    _need(data, "balance_plot", x=x, y=y, hue=hue)
    longest = max((len(str(v)) for v in data[y].unique()), default=0)
    ax = new_axes(ax, (max(7.0, 4.5 + 0.1 * longest), 1.0 + 0.6 * data[y].nunique()))
    palette = {"unweighted": GREY, "weighted": NHS_BLUE}
    sns.pointplot(data=data, x=x, y=y, hue=hue, palette=palette
                  if set(data[hue]) <= set(palette) else None, linestyle="none",
                  markers="o", ax=ax, seed=BOOTSTRAP_SEED)
    for v in (-threshold, threshold):
        ax.axvline(v, color=GREY, linestyle="--", linewidth=0.8)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("Standardised mean difference (independent minus NHS)")
    ax.set_ylabel("")
    ax.set_title("Covariate balance before and after weighting")
    ax.figure.tight_layout()
    return ax
