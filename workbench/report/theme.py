"""One look for every figure: the workbench's seaborn theme and the sector colours.

NHS blue marks NHS providers in every figure; independent providers and local
authorities have their own fixed colours, so a reader learns them once.

Figure functions draw inside :func:`theme_context` (:func:`themed`), so they look the
same whatever the user has set, and leave the user's matplotlib settings
(``plt.rcParams``) as they found them. :func:`subplots` makes a figure of several
Axes in the theme, for notebooks that draw workbench figures side by side.
:func:`apply_theme` is the opt-in for users who want the workbench look for every
figure they draw, their own included: it sets the theme globally.

>>> import matplotlib.pyplot as plt
>>> from workbench.report.theme import SECTOR_COLOURS, theme_context
>>> SECTOR_COLOURS["nhs"]
'#005EB8'
>>> before = plt.rcParams["axes.facecolor"]
>>> with theme_context():
...     plt.rcParams["axes.titleweight"]
'bold'
>>> plt.rcParams["axes.facecolor"] == before
True
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import matplotlib

_F = TypeVar("_F", bound=Callable[..., Any])

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


#: The colour cycle of the theme (Axes without a colour of their own draw in these, in order).
PALETTE = [NHS_BLUE, INDEPENDENT_ORANGE, LOCAL_AUTHORITY_GREEN, "#AE2573", GREY]
#: The seaborn context, style and font of the theme.
CONTEXT, STYLE, FONT = "notebook", "whitegrid", "sans-serif"
#: matplotlib settings of the theme beyond seaborn's context and style.
RC_OVERRIDES: dict[str, Any] = {
    "figure.dpi": 100, "savefig.dpi": 120, "axes.titleweight": "bold",
    "axes.spines.top": False, "axes.spines.right": False, "figure.figsize": (7.5, 4.5),
}


def theme_rc() -> dict[str, Any]:
    """The matplotlib settings of the workbench theme: exactly those :func:`apply_theme`
    sets (seaborn's ``notebook`` context, ``whitegrid`` style, the :data:`PALETTE`
    colour cycle and :data:`RC_OVERRIDES`).

    >>> rc = theme_rc()
    >>> rc["axes.grid"], rc["axes.spines.right"], rc["figure.figsize"]
    (True, False, (7.5, 4.5))
    """
    import seaborn as sns
    from cycler import cycler

    rc: dict[str, Any] = {}
    rc.update(sns.plotting_context(CONTEXT))
    rc.update(sns.axes_style(STYLE, rc={"font.family": FONT}))
    rc["axes.prop_cycle"] = cycler("color", sns.color_palette(PALETTE))
    rc.update(RC_OVERRIDES)
    return rc


@contextlib.contextmanager
def theme_context() -> Iterator[None]:
    """Draw in the workbench theme inside a ``with`` block; the user's settings come
    back afterwards, whatever happened inside.

    >>> import matplotlib.pyplot as plt
    >>> with theme_context():
    ...     fig, ax = plt.subplots()
    >>> ax.get_facecolor() == (1.0, 1.0, 1.0, 1.0), ax.spines["right"].get_visible()
    (True, False)
    """
    import matplotlib.pyplot as plt

    with plt.rc_context(theme_rc()):
        yield


def themed(func: _F) -> _F:
    """Decorate a figure function so that it draws inside :func:`theme_context`.

    >>> @themed
    ... def title_weight():
    ...     import matplotlib.pyplot as plt
    ...     return plt.rcParams["axes.titleweight"]
    >>> title_weight()
    'bold'
    """
    @functools.wraps(func)
    def in_theme(*args, **kwargs):
        with theme_context():
            return func(*args, **kwargs)

    return in_theme  # type: ignore[return-value]


def apply_theme() -> None:
    """Set the workbench theme globally (white grid, readable fonts, NHS palette), for
    every figure drawn afterwards, the user's own included.

    An opt-in for users who want the workbench look everywhere: the workbench's
    figure functions never call it (they draw inside :func:`theme_context`). It
    changes ``plt.rcParams`` until the user changes them back (e.g.
    ``matplotlib.rcdefaults()``).

    >>> import matplotlib
    >>> with matplotlib.rc_context():    # only so that this example leaves no trace
    ...     apply_theme()
    ...     matplotlib.rcParams["axes.titleweight"]
    'bold'
    """
    import seaborn as sns

    if matplotlib.get_backend().lower() in ("", "agg") or not _has_display():
        matplotlib.use("Agg", force=False)
    sns.set_theme(context=CONTEXT, style=STYLE, palette=PALETTE, font=FONT, rc=RC_OVERRIDES)


@themed
def subplots(nrows: int = 1, ncols: int = 1, **kwargs):
    """``plt.subplots`` in the workbench theme: a Figure and its Axes (grid, spines,
    tick labels, colours and fonts as every workbench figure), for drawing several
    workbench figures side by side (pass each Axes as ``ax=``).

    >>> fig, axes = subplots(1, 2, figsize=(8, 3))
    >>> len(axes), axes[0].spines["top"].get_visible()
    (2, False)
    """
    import matplotlib.pyplot as plt

    return plt.subplots(nrows, ncols, **kwargs)


@themed
def new_axes(ax=None, figsize: tuple[float, float] = (7.5, 4.5)):
    """The Axes to draw on: ``ax`` itself, or a new one in the workbench theme.

    >>> new_axes().figure.get_size_inches().tolist()
    [7.5, 4.5]
    """
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
    return ax


def _has_display() -> bool:
    import os

    return bool(os.environ.get("DISPLAY")) or "ipykernel" in __import__("sys").modules
