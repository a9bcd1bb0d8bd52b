"""Figures leave the user's matplotlib settings alone and still look like the workbench.

Every public figure function is called with distinctive user settings in place; the
settings must be unchanged afterwards, and the figure must be drawn in the theme
(white grid, no top/right spines, seaborn's notebook font sizes, NHS palette), not in
the user's look. The saved file of a session is the same image whatever the user set.
"""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from cycler import cycler
from matplotlib.colors import to_hex

from workbench.report import (
    diagnostics,
    evaluation_charts,
    monitoring_charts,
    panel_figures,
    theme,
)

#: Distinctive user settings, every one of them a key the theme sets too.
USER = {"axes.facecolor": "#123456", "font.size": 17.0, "axes.titlesize": 23.0,
        "axes.titleweight": "normal", "axes.grid": False, "axes.spines.top": True,
        "axes.spines.right": True, "xtick.labelsize": 5.0, "legend.fontsize": 21.0,
        "axes.prop_cycle": cycler(color=["#FF00FF", "#00FFFF"]), "figure.figsize": (3.0, 2.0),
        "figure.dpi": 50.0, "grid.color": "#FF0000", "axes.edgecolor": "#00FF00",
        "font.sans-serif": ["DejaVu Serif"], "patch.force_edgecolor": False}


def _cases():
    from workbench.analysis.monitoring.funnel import funnel
    from workbench.analysis.monitoring.spc import spc
    from workbench.data.synth import generate

    panel = generate(seed=1, n_providers=40, n_months=6).panel
    acute = panel[panel["setting"] == "acute"]
    completeness = pd.DataFrame({"measure": ["rtt_median_weeks", "fft_pct_positive"],
                                 "nhs": [90.0, 40.0], "independent": [10.0, 100.0]})
    estimates = pd.DataFrame({"id": ["a", "b"], "estimate": [0.5, -0.2], "ci_low": [0.1, -0.5],
                              "ci_high": [0.9, 0.1], "truth": [0.4, -0.1]})
    months = pd.date_range("2023-01-01", periods=14, freq="MS")
    series = pd.DataFrame({"m": months, "y": [5, 6, 5, 7, 6, 5, 6, 7, 5, 6, 5, 6, 9, 12]})
    two = pd.concat([series.assign(org=o) for o in "AB"])
    counts = pd.DataFrame({"p": list("ABCD"), "o": [30, 52, 90, 10], "e": [40, 50, 60, 12]})
    residuals = pd.DataFrame({"fitted": np.linspace(0, 1, 30),
                              "residual": np.sin(np.arange(30.0)),
                              "std_residual": np.sin(np.arange(30.0)),
                              "sector": ["nhs", "independent"] * 15})
    influence = pd.DataFrame({"provider_code": [f"R{i}" for i in range(6)],
                              "dfbeta_se": [0.1, -0.3, 1.4, 0.2, -0.9, 0.05],
                              "sector": ["nhs", "independent"] * 3})
    balance = pd.DataFrame({"covariate": ["age", "age", "beds", "beds"],
                            "smd": [0.4, 0.05, -0.3, 0.02],
                            "stage": ["before", "after"] * 2})
    k = np.arange(24) - 12
    its_frame = pd.DataFrame({"date": pd.date_range("2023-01-01", periods=24, freq="MS"),
                              "months_since_change": k, "observed": 80 + 3.0 * (k >= 0),
                              "fitted": 80 + 3.0 * (k >= 0), "counterfactual": 80.0,
                              "cf_low": 79.0, "cf_high": 81.0})
    event_study = pd.DataFrame({"rel": [-2, -1, 0, 1], "estimate": [0.1, 0.0, 0.8, 1.2],
                                "ci_low": [-0.3, np.nan, 0.3, 0.6],
                                "ci_high": [0.5, np.nan, 1.3, 1.8], "truth": [0, 0, 1, 1]})
    return {
        "sector_comparison": lambda: panel_figures.sector_comparison(acute, "rtt_median_weeks"),
        "relationship": lambda: panel_figures.relationship(acute, "nurse_fte_per_10_beds",
                                                           "rtt_median_weeks"),
        "forest": lambda: panel_figures.forest(estimates, truth="truth"),
        "monthly_trend": lambda: panel_figures.monthly_trend(acute, "rtt_median_weeks"),
        "completeness_heatmap": lambda: panel_figures.completeness_heatmap(completeness),
        "spc_chart": lambda: monitoring_charts.spc_chart(spc(series, "y", "m", target=8),
                                                         title="T"),
        "spc_small_multiples": lambda: monitoring_charts.spc_small_multiples(
            spc(two, "y", "m", facet="org"), ncols=2, ylabel="Y"),
        "funnel_chart": lambda: monitoring_charts.funnel_chart(
            funnel(counts, "o", "e", label="p"), improvement_direction="decrease", title="F"),
        "funnel_small_multiples": lambda: monitoring_charts.funnel_small_multiples(
            {"A": funnel(counts, "o", "e", label="p"), "B": funnel(counts, "o", "e")}),
        "residual_plot": lambda: diagnostics.residual_plot(residuals),
        "qq_plot": lambda: diagnostics.qq_plot(residuals),
        "influence_plot": lambda: diagnostics.influence_plot(influence),
        "balance_plot": lambda: diagnostics.balance_plot(balance),
        "its_chart": lambda: evaluation_charts.its_chart(its_frame, ylabel="Y", title="ITS"),
        "event_study_chart": lambda: evaluation_charts.event_study_chart(
            event_study, truth="truth", title="Event study"),
    }


CASES = _cases()
#: The public figure functions of the figure modules, each of which must be in CASES.
PUBLIC = sorted(
    name for module in (panel_figures, monitoring_charts, diagnostics, evaluation_charts)
    for name, obj in vars(module).items()
    if callable(obj) and not name.startswith("_") and getattr(obj, "__module__", "")
    == module.__name__ and name.endswith(("_plot", "_chart", "_multiples", "_heatmap",
                                          "_trend", "_comparison", "relationship", "forest")))


@pytest.fixture
def user_settings():
    with matplotlib.rc_context(USER):
        yield dict(matplotlib.rcParams)
    plt.close("all")


def _axes(made) -> list:
    fig = getattr(made, "figure", made)
    return [a for a in fig.axes if a.get_visible() and a.axison]


def test_every_public_figure_function_is_checked():
    assert PUBLIC == sorted(CASES)


def _theme_sizes(rc) -> set[float]:
    """Font sizes a themed figure may use: the theme's own and the relative sizes
    ('small', 'x-small', ...) of the theme's base size."""
    from matplotlib.font_manager import font_scalings

    sizes = {rc[k] for k in ("axes.titlesize", "axes.labelsize", "xtick.labelsize",
                             "ytick.labelsize", "legend.fontsize", "font.size")}
    return {round(s, 4) for s in sizes | {f * rc["font.size"] for f in font_scalings.values()}}


@pytest.mark.parametrize("name", sorted(CASES))
def test_figure_leaves_user_settings_and_uses_the_theme(name, user_settings):
    made = CASES[name]()
    assert dict(matplotlib.rcParams) == user_settings  # nothing the user set has changed

    rc = theme.theme_rc()
    sizes = _theme_sizes(rc)
    fig = getattr(made, "figure", made)
    assert fig.dpi == rc["figure.dpi"]
    for ax in _axes(made):
        assert to_hex(ax.get_facecolor()) == "#ffffff", "the theme's white axes, not the user's"
        assert not ax.spines["top"].get_visible() and not ax.spines["right"].get_visible()
        assert to_hex(ax.spines["left"].get_edgecolor()) == to_hex(rc["axes.edgecolor"])
        assert ax.xaxis.get_gridlines()[0].get_visible() or ax.yaxis.get_gridlines()[0] \
            .get_visible() or name == "completeness_heatmap"  # a heatmap has no grid
        labels = ax.get_xticklabels() + ax.get_yticklabels()
        assert labels and all(round(t.get_fontsize(), 4) in sizes for t in labels)
        titles = [t for t in ax.findobj(matplotlib.text.Text)
                  if t.get_text() and t.get_text() in {ax.get_title(loc=loc)
                                                       for loc in ("left", "center")}]
        assert all(t.get_fontweight() == "bold" for t in titles)
        assert all(round(t.get_fontsize(), 4) in sizes for t in titles)
        legend = ax.get_legend()
        if legend is not None:
            assert all(round(t.get_fontsize(), 4) in sizes for t in legend.get_texts())


def test_theme_context_sets_exactly_what_apply_theme_sets():
    backend = ("backend", "backend_fallback")  # apply_theme may pick a backend: not the look
    with matplotlib.rc_context():
        theme.apply_theme()
        globally = {k: v for k, v in matplotlib.rcParams.items() if k not in backend}
    before = dict(matplotlib.rcParams)
    with theme.theme_context():
        inside = {k: v for k, v in matplotlib.rcParams.items() if k not in backend}
    assert inside == globally
    assert dict(matplotlib.rcParams) == before
    assert globally["axes.titleweight"] == "bold" and globally["axes.grid"] is True


def test_apply_theme_is_the_global_opt_in():
    with matplotlib.rc_context({"axes.facecolor": "#123456"}):
        theme.apply_theme()
        assert matplotlib.rcParams["axes.facecolor"] == "white"
        assert to_hex(plt.rcParams["axes.prop_cycle"].by_key()["color"][0]) == \
            theme.NHS_BLUE.lower()


def test_user_settings_come_back_after_an_error(user_settings):
    from workbench.analysis.monitoring.spc import spc
    from workbench.errors import AnalysisInputError

    months = pd.date_range("2023-01-01", periods=12, freq="MS")
    df = pd.concat([pd.DataFrame({"m": months, "y": range(12), "org": o}) for o in "AB"])
    with pytest.raises(AnalysisInputError, match="facet"):
        monitoring_charts.spc_chart(spc(df, "y", "m", facet="org"))
    assert dict(matplotlib.rcParams) == user_settings


@pytest.mark.parametrize("name", ["forest", "spc_chart", "funnel_chart", "monthly_trend"])
def test_saved_figure_is_the_same_whatever_the_user_set(name, tmp_path):
    """Session.savefig lays out and draws in the theme: font sizes for padding and
    tick spacing and the font family are read at save time, not when the figure is made."""
    from workbench.session import Session

    def saved(settings) -> bytes:
        with matplotlib.rc_context(settings):
            made = CASES[name]()
            session = Session.__new__(Session)
            session.output_dir, session.figures = tmp_path, []
            session.savefig(made, name)
            plt.close("all")
        return (tmp_path / "figures" / f"{name}.png").read_bytes()

    assert saved(USER) == saved({})
