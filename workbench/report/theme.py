"""One look for every figure: seaborn theme and the sector colours.

NHS blue marks NHS providers in every figure; independent providers and local
authorities have their own fixed colours, so a reader learns them once.

>>> from workbench.report.theme import SECTOR_COLOURS, apply_theme
>>> SECTOR_COLOURS["nhs"]
'#005EB8'
>>> apply_theme()
"""

from __future__ import annotations

import matplotlib

NHS_BLUE = "#005EB8"
NHS_DARK_BLUE = "#003087"
INDEPENDENT_ORANGE = "#ED8B00"
LOCAL_AUTHORITY_GREEN = "#009639"
GREY = "#768692"
CONCERN = "#ED8B00"      # Making Data Count: special cause of concern (orange)
IMPROVEMENT = "#41B6E6"  # Making Data Count: special cause of improvement (light blue)
COMMON = "#768692"       # Making Data Count: common cause (grey)

SECTOR_COLOURS: dict[str, str] = {
    "nhs": NHS_BLUE,
    "independent": INDEPENDENT_ORANGE,
    "local_authority": LOCAL_AUTHORITY_GREEN,
}
OWNERSHIP_COLOURS: dict[str, str] = {
    "nhs": NHS_BLUE,
    "for_profit": INDEPENDENT_ORANGE,
    "not_for_profit": "#AE2573",
    "local_authority": LOCAL_AUTHORITY_GREEN,
}
SECTOR_LABELS = {"nhs": "NHS", "independent": "Independent", "local_authority": "Local authority"}


def apply_theme() -> None:
    """Set the workbench's seaborn theme (white grid, readable fonts, NHS palette)."""
    import seaborn as sns

    if matplotlib.get_backend().lower() in ("", "agg") or not _has_display():
        matplotlib.use("Agg", force=False)
    sns.set_theme(
        context="notebook",
        style="whitegrid",
        palette=[NHS_BLUE, INDEPENDENT_ORANGE, LOCAL_AUTHORITY_GREEN, "#AE2573", GREY],
        rc={"figure.dpi": 100, "savefig.dpi": 120, "axes.titleweight": "bold",
            "axes.spines.top": False, "axes.spines.right": False,
            "figure.figsize": (7.5, 4.5)},
    )


def new_axes(ax=None, figsize: tuple[float, float] = (7.5, 4.5)):
    """The Axes to draw on: ``ax`` itself, or a new one in the workbench theme.

    >>> new_axes().figure.get_size_inches().tolist()
    [7.5, 4.5]
    """
    apply_theme()
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
    return ax


def _has_display() -> bool:
    import os

    return bool(os.environ.get("DISPLAY")) or "ipykernel" in __import__("sys").modules
