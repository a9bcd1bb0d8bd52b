"""Figures of the panel and its findings: sector comparisons, relationships, monthly
trends, data completeness, and the forest plot of estimates.

Every function takes a tidy DataFrame and column names (as seaborn does), draws on
an Axes (a new one unless ``ax`` is given) in the one theme of
:mod:`workbench.report.theme` without changing the user's matplotlib settings, and
returns the Axes. None calls ``plt.show()``. SPC charts and funnel plots are in
:mod:`workbench.report.monitoring_charts`.

Example
-------
>>> from workbench.data.synth import generate
>>> panel = generate(seed=1, n_providers=40, n_months=6).panel
>>> ax = sector_comparison(panel[panel.setting == "acute"], "rtt_median_weeks")
>>> ax.get_ylabel()
'RTT median wait (weeks)'
"""

from __future__ import annotations

from contextlib import contextmanager

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from workbench.data import measures as M
from workbench.report.theme import (
    GREY,
    PALETTE,
    SECTOR_COLOURS,
    SECTOR_LABELS,
    new_axes,
    themed,
)

#: Seed and draws of seaborn's bootstrap for confidence bands: the same data always
#: draw the same band, so a report is byte-identical for the same inputs.
BOOTSTRAP_SEED = 20240430
BOOTSTRAP_DRAWS = 1000


@contextmanager
def _fixed_jitter(seed: int = BOOTSTRAP_SEED):
    """Seaborn's strip-plot jitter draws from numpy's global generator (it takes no seed):
    seed it for the call and put the caller's generator state back afterwards.
    """
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


@themed
def sector_comparison(data: pd.DataFrame, measure: str, *, by: str = "sector",
                      ax=None) -> plt.Axes:
    """Provider averages of ``measure`` by group: a box per group with each provider as a dot.

    One dot per provider (its mean over the months), so big and small providers
    count once each.
    """
    ax = new_axes(ax)
    prov = (data.dropna(subset=[measure]).groupby(["provider_code", by], observed=True)[measure]
            .mean().reset_index())
    order = [s for s in SECTOR_COLOURS if s in set(prov[by])] or sorted(prov[by].unique())
    palette = {k: SECTOR_COLOURS.get(k, GREY) for k in prov[by].unique()}
    sns.boxplot(data=prov, x=by, y=measure, hue=by, order=order, palette=palette, ax=ax,
                showfliers=False, width=0.5, legend=False, boxprops={"alpha": 0.35})
    with _fixed_jitter():
        sns.stripplot(data=prov, x=by, y=measure, hue=by, order=order, palette=palette, ax=ax,
                      size=4, alpha=0.8, legend=False)
    ax.set_xticks(range(len(order)))
    ax.set_xticklabels([f"{SECTOR_LABELS.get(o, o)}\n(n={int((prov[by] == o).sum())})"
                        for o in order])
    ax.set_xlabel("")
    ax.set_ylabel(M.label(measure))
    ax.set_title(f"{M.label(measure)}: provider averages")
    return ax


@themed
def relationship(data: pd.DataFrame, x: str, y: str, *, hue: str = "sector",
                 per_provider: bool = True, title: str | None = None, ax=None) -> plt.Axes:
    """Scatter of ``y`` against ``x`` with a fitted straight line per ``hue`` group.

    With ``per_provider`` each point is a provider's average over the months
    (the between-provider picture); otherwise each point is a provider-month.
    ``title`` replaces the default "``y`` against ``x``".
    """
    ax = new_axes(ax)
    d = data.dropna(subset=[x, y])
    if per_provider:
        d = d.groupby(["provider_code", hue], observed=True)[[x, y]].mean().reset_index()
    for level, g in d.groupby(hue, observed=True):
        colour = SECTOR_COLOURS.get(level, GREY)
        sns.regplot(data=g, x=x, y=y, ax=ax, color=colour, ci=95, truncate=True,
                    n_boot=BOOTSTRAP_DRAWS, seed=BOOTSTRAP_SEED,  # same data, same band
                    scatter_kws={"s": 14, "alpha": 0.55},
                    label=f"{SECTOR_LABELS.get(level, level)} (n={len(g)})")
    ax.set_xlabel(M.label(x))
    ax.set_ylabel(M.label(y))
    ax.set_title(title if title is not None else f"{M.label(y)} against {M.label(x)}")
    ax.legend(frameon=False)
    return ax


@themed
def forest(findings: pd.DataFrame, *, label: str = "label", estimate: str = "estimate",
           low: str = "ci_low", high: str = "ci_high", truth: str | None = None,
           null: float | None = 0.0, title: str | None = None, ax=None) -> plt.Axes:
    """Coefficient (forest) plot: one row per finding, point estimate and 95% interval.

    ``label`` may be any column; if missing, the finding ``id`` is used. Pass
    ``truth`` (a column) to mark the true values of a synthetic panel, ``null``
    for the no-effect line (1 for rate ratios, ``None`` for none), and ``title``
    for a title in the theme.

    >>> f = pd.DataFrame({"id": ["a", "b"], "estimate": [0.5, -0.2], "ci_low": [0.1, -0.5],
    ...                   "ci_high": [0.9, 0.1]})
    >>> forest(f, title="Effects").get_title()
    'Effects'
    """
    ax = new_axes(ax, figsize=(7.5, max(2.0, 0.45 * len(findings) + 1)))
    d = findings.reset_index(drop=True)
    labels = d[label] if label in d.columns else d["id"]
    yy = np.arange(len(d))[::-1]
    ax.errorbar(d[estimate], yy, xerr=[d[estimate] - d[low], d[high] - d[estimate]],
                fmt="o", color=SECTOR_COLOURS["nhs"], ecolor=SECTOR_COLOURS["nhs"], capsize=3,
                label="estimate (95% CI)")
    if truth and truth in d.columns and d[truth].notna().any():
        ax.scatter(d[truth], yy, marker="D", color=SECTOR_COLOURS["independent"], zorder=3,
                   label="true value (synthetic)")
    if null is not None:
        ax.axvline(null, color=GREY, lw=1, ls="--")
    ax.set_yticks(yy)
    ax.set_yticklabels(labels)
    ax.set_xlabel("estimate with 95% interval")
    if title is not None:
        ax.set_title(title)
    ax.legend(frameon=False, loc="best", fontsize="small")
    return ax


@themed
def monthly_trend(data: pd.DataFrame, measure: str, *, hue: str = "sector", ax=None) -> plt.Axes:
    """Monthly mean of ``measure`` per group, with a 95% band across providers."""
    ax = new_axes(ax)
    d = data.dropna(subset=[measure])
    for i, (level, g) in enumerate(d.groupby(hue, observed=True)):
        s = g.groupby("period")[measure].agg(["mean", "std", "count"])
        half = 1.96 * s["std"] / np.sqrt(s["count"].clip(lower=1))
        colour = SECTOR_COLOURS.get(level, GREY if hue == "sector" else PALETTE[i % len(PALETTE)])
        ax.plot(s.index, s["mean"], color=colour, label=SECTOR_LABELS.get(level, level))
        ax.fill_between(s.index, s["mean"] - half, s["mean"] + half, color=colour, alpha=0.15)
    ax.set_ylabel(M.label(measure))
    ax.set_xlabel("")
    ax.set_title(f"{M.label(measure)} by month")
    ax.legend(frameon=False)
    return ax


@themed
def completeness_heatmap(table: pd.DataFrame, *, index: str = "measure", ax=None) -> plt.Axes:
    """Heatmap of % of provider-months with a value, measure x sector (from ``data_quality``)."""
    ax = new_axes(ax, figsize=(6.5, max(3.0, 0.28 * len(table) + 1)))
    t = table.set_index(index)
    sns.heatmap(t, annot=True, fmt=".0f", cmap="Blues", vmin=0, vmax=100, cbar=False, ax=ax)
    ax.set_yticklabels([M.label(i) for i in t.index], rotation=0)
    ax.set_xticklabels([SECTOR_LABELS.get(c, c) for c in t.columns], rotation=0)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_title("% of provider-months with a value")
    return ax
