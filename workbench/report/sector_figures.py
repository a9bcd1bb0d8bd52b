"""Figures of the like-for-like sector comparison (:mod:`workbench.analysis.effects.like_for_like`).

Drawn inside the workbench theme (:func:`workbench.report.theme.themed`), so they look the
same whatever the user's matplotlib settings and leave those settings alone.

>>> from workbench.analysis.effects import like_for_like as sw
>>> cmp = sw.compare(sw.example_table(), n_boot=50, seed=1)
>>> ax = specialty_dots(cmp.by_specialty, overall=cmp.standardised)
>>> ax.get_xlabel()
'Independent minus NHS (percentage points)'
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from workbench.report.theme import GREY, SECTOR_COLOURS, new_axes, themed


@themed
def specialty_dots(by_specialty: pd.DataFrame, *, overall: float | None = None,
                   unit: str = "percentage points", title: str | None = None,
                   max_size: float = 400.0, ax=None) -> plt.Axes:
    """Dot plot of the within-specialty differences (independent minus NHS), one row per
    treatment function, each dot sized by the independent sector's pathways in it (its
    weight in the standardised difference) with its 95% bootstrap interval; a dashed line
    at no difference and, when ``overall`` is given, a solid line at the standardised
    difference. Specialties only one sector serves are left out.

    ``by_specialty`` is :attr:`~workbench.analysis.effects.like_for_like.SectorComparison.by_specialty`.

    >>> from workbench.analysis.effects import like_for_like as sw
    >>> t = sw.compare(sw.example_table(), n_boot=50, seed=1).by_specialty
    >>> len(specialty_dots(t).collections) >= 1
    True
    """
    d = by_specialty[by_specialty["both_sectors"]].sort_values("weight").reset_index(drop=True)
    ax = new_axes(ax, figsize=(7.5, max(2.5, 0.38 * len(d) + 1.2)))
    yy = np.arange(len(d))
    colour = SECTOR_COLOURS["independent"]
    ax.hlines(yy, d["ci_low"], d["ci_high"], color=colour, lw=1.5, alpha=0.7,
              label="95% interval (bootstrap over providers)")
    w = d["weight"].to_numpy(float)
    sizes = 20 + max_size * (w / w.max() if len(w) and w.max() > 0 else w)
    ax.scatter(d["difference"], yy, s=sizes, color=colour, edgecolor="white", zorder=3,
               label="difference (dot area: independent-sector pathways)")
    ax.axvline(0, color=GREY, lw=1, ls="--")
    if overall is not None and np.isfinite(overall):
        ax.axvline(overall, color=SECTOR_COLOURS["nhs"], lw=1.5,
                   label=f"standardised difference {overall:.1f}")
    ax.set_yticks(yy)
    ax.set_yticklabels(d["specialty"])
    ax.set_xlabel(f"Independent minus NHS ({unit})")
    if title is not None:
        ax.set_title(title)
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(0.0, -1.7 / max(len(d), 3)),
              fontsize="small")  # below the axes: the dots fill the plot
    return ax
