"""Screening many SPC charts at once with a model of time: season, persistence, shifts.

The Making Data Count rules treat months as independent and look at one chart at a time.
Neither holds when a board reads dozens of charts of monthly figures: winter comes every
year, a month's figure carries over into the next (a long waiting list does not clear in
a month), and among many stable charts some break a rule by chance. This module gives
each chart a p-value for "something changed" that stays calibrated under those
conditions; :func:`workbench.analysis.monitoring.laney.screen` combines them across
charts.

The in-control model
--------------------
Each chart's series ``y_t`` (the standardised value ``z`` of a p'/u' chart, the value of
an XmR chart) is modelled as::

    y_t = a_g + season(month_t) + u_t,     u_t = phi u_(t-1) + e_t,     e_t ~ N(0, s^2)

* ``a_g`` a level for each rebase group of the chart (a known change keeps its own level);
* ``season``: two annual harmonics (``sin`` and ``cos`` of ``2 pi k month / 12``, k = 1, 2)
  when the chart has at least :data:`SEASON_MIN_POINTS` months (two full years), none
  otherwise. Four parameters rather than eleven month effects, so that a chart of 24-36
  months keeps its degrees of freedom and a shift late in the series is not soaked up by
  the month effects of the months it covers;
* ``u_t`` first-order autoregressive errors (AR(1)): how much of one month's departure
  carries into the next. Fitted by feasible GLS (Prais-Winsten, three passes), the same
  estimator as statsmodels' ``GLSAR(...).iterative_fit`` with the first observation kept.
  With many charts of one measure (``autocorrelation="shared"``, the default from
  :data:`SHARED_MIN_CHARTS` charts), ``phi`` is one value for all of them: the median of
  the charts' own estimates, each corrected for its small-sample bias
  (``phi + (1 + 3 phi) / n + (p - 1) / n``, Kendall's correction plus one degree per
  parameter of the mean): a chart's own ``phi`` is inflated by a sustained shift in that
  chart and would explain the shift away.

The screens
-----------
On the model's standardised one-step-ahead errors ``e_t / s`` (the innovations, about
independent standard normal while the process is in control):

* **single month**: the largest ``|e_t / s|``, studentised (allowing for the month's
  leverage, with ``s`` left after that month is taken out);
* **sustained shift**: for each month ``tau`` at which a shift could have started (at least
  :data:`EDGE` months before and after it), the standardised CUSUM of the errors after
  ``tau`` against those before it, i.e. the score statistic of a step at ``tau`` added to
  the model (whitened and residualised on the model's own terms, so that neither the
  level nor the season nor the persistence can absorb it), in its Wald form (``s``
  without the step); the largest ``|.|`` over ``tau``;
* **gradual drift**: the same with a ramp ``max(0, t - tau + 1)`` (a trend starting at
  ``tau``; ``tau = 0`` is a linear trend over the whole chart).

P-values come from a parametric bootstrap: :data:`N_SIM` in-control series are simulated
from the fitted model's ``phi`` (the statistics do not depend on the level, season or
``s``), refitted the same way, and each observed statistic compared with its simulated
ones (beyond the simulated range, from a tail fitted to them, so that a chart
far beyond every simulated series is not held at ``1 / (N_SIM + 1)``, which no
false-discovery control across many charts could pass). The three screens are combined by the **minimum p-value**, whose own null
distribution is taken from the same simulated series (so the three looks at one chart
cost no more than one: the rule adjusts for their correlation, unlike Bonferroni).
Across charts, :func:`~workbench.analysis.monitoring.laney.screen` controls the false
discovery rate (Benjamini-Hochberg). Calibration by simulation, with the table of
false-signal rates and detection rates, is in ``docs/spc_funnel.md``
(``benchmarks/spc_screen_calibration.py``).

Example
-------
>>> import numpy as np, pandas as pd
>>> d = pd.date_range("2022-01-01", periods=36, freq="MS")
>>> rng = np.random.default_rng(4)
>>> y = {f"P{i}": rng.normal(0, 1, 36) for i in range(8)}
>>> y["P7"] += 3 * (d >= "2024-07-01")            # a sustained shift of 3 sd
>>> t = screen_series({k: (d, v) for k, v in y.items()}, n_sim=400).set_index("facet")
>>> t.loc["P7", ["screen", "month"]].tolist()
['sustained shift', Timestamp('2024-07-01 00:00:00')]
>>> t.index[t["p_value"] < 0.01].tolist()
['P7']
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.errors import AnalysisInputError

#: Fewest months for a chart to be screened at all (a level, persistence and the shifts
#: need some points).
MIN_POINTS = 10
#: Fewest months for a seasonal term (two full years).
SEASON_MIN_POINTS = 24
#: Annual harmonics of the seasonal term.
HARMONICS = 2
#: A shift starts at least this many months after the first point and lasts at least this
#: many months.
EDGE = 3
#: From this many charts, one persistence is shared by all (``autocorrelation="auto"``).
SHARED_MIN_CHARTS = 5
#: Simulated in-control series per null distribution.
N_SIM = 2000
#: Below this many simulated series as extreme as a chart, p-values come from the tail.
TAIL_COUNT = 20
#: Seed of the simulations (the same charts give the same p-values).
SEED = 20260107
#: Prais-Winsten passes.
PASSES = 3
#: Bound on the persistence, for a stationary model.
PHI_BOUND = 0.95
#: The screens, in the order of the statistics.
SCREENS = ("single month", "sustained shift", "gradual drift")
#: Preference among screens with equal p-values (a late shift also looks like a drift).
TIE_ORDER = (1, 0, 2)
#: What the model is, for an analyst's ``model`` field.
MODEL_TEXT = ("level per rebase group + season (2 annual harmonics, from 24 months) + "
              "AR(1) errors by Prais-Winsten FGLS; screens on the standardised innovations: "
              "largest |innovation|, sup score test of a step (standardised CUSUM), sup score "
              "test of a broken trend; parametric-bootstrap p-values combined by min-p")
#: What the screen is, in a board's words.
PLAIN_TEXT = ("screened for a change beyond chance (one unusual month, a sustained shift "
              "or a gradual drift), allowing for the seasonal pattern and for one month's "
              "figure carrying over into the next")

AUTOCORRELATION = ("auto", "shared", "each", "none")

__all__ = [
    "AUTOCORRELATION",
    "MODEL_TEXT",
    "PLAIN_TEXT",
    "SCREENS",
    "InControlFit",
    "bias_corrected",
    "design",
    "fit_in_control",
    "screen_series",
    "simulate_ar1",
]


# =========================================================================== the model


def design(dates, groups=None, *, season: bool | None = None) -> np.ndarray:
    """The in-control model's mean terms: one level per rebase group, then the seasonal
    harmonics (``season=None``: when there are at least :data:`SEASON_MIN_POINTS` points).

    >>> d = pd.date_range("2022-01-01", periods=24, freq="MS")
    >>> design(d).shape, design(d[:12]).shape, design(d, [0] * 12 + [1] * 12).shape
    ((24, 5), (12, 1), (24, 6))
    """
    dates = pd.DatetimeIndex(pd.to_datetime(dates))
    n = len(dates)
    g = np.zeros(n, dtype=int) if groups is None else np.asarray(groups)
    levels = [(g == k).astype(float) for k in pd.unique(g)]
    cols = list(levels)
    if season is None:
        season = n >= SEASON_MIN_POINTS
    if season:
        m = dates.month.to_numpy()
        for k in range(1, HARMONICS + 1):
            cols += [np.sin(2 * np.pi * k * m / 12), np.cos(2 * np.pi * k * m / 12)]
    return np.column_stack(cols)


def _whiten(a: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """Prais-Winsten transform of ``a`` (series x time x columns) by each series' ``phi``."""
    r = np.sqrt(1 - phi ** 2)
    return np.concatenate([r[:, None, None] * a[:, :1, :],
                           a[:, 1:, :] - phi[:, None, None] * a[:, :-1, :]], axis=1)


def _lag1(u: np.ndarray) -> np.ndarray:
    den = np.sum(u * u, axis=1)
    phi = np.sum(u[:, 1:] * u[:, :-1], axis=1) / np.where(den > 0, den, 1.0)
    return np.clip(phi, -PHI_BOUND, PHI_BOUND)


@dataclass
class InControlFit:
    """The in-control model fitted to series (rows of ``y``): ``phi`` per series, the
    standardised innovations ``e`` (series x months), their sd ``s`` in the series' units,
    and the whitened design ``xs`` with its cross-product ``xtx`` (for the screens).
    """

    phi: np.ndarray
    e: np.ndarray
    s: np.ndarray
    xs: np.ndarray
    xtx: np.ndarray


def fit_in_control(y, x: np.ndarray, phi=None) -> InControlFit:
    """Fit ``y = x b + u``, ``u`` AR(1), by Prais-Winsten FGLS, for each row of ``y``.

    ``phi`` None estimates each series' persistence (lag-1 autocorrelation of the
    previous pass's residuals, :data:`PASSES` passes from OLS); a number (or one per
    series) takes it as known, as the shared screen does.

    >>> rng = np.random.default_rng(0)
    >>> y = simulate_ar1(rng, 1, 400, 0.5)
    >>> f = fit_in_control(y, np.ones((400, 1)))
    >>> round(float(f.phi[0]), 1), round(float(f.e.std()), 1)
    (0.5, 1.0)
    """
    y = np.atleast_2d(np.asarray(y, dtype=float))
    n_series, n = y.shape
    p = x.shape[1]
    xb = np.broadcast_to(x, (n_series, n, p))
    if phi is None:
        beta = np.linalg.lstsq(x, y.T, rcond=None)[0].T
        passes = PASSES
    else:
        phis = np.broadcast_to(np.asarray(phi, dtype=float), (n_series,)).copy()
        passes = 1
    for _ in range(passes):
        if phi is None:
            phis = _lag1(y - beta @ x.T)
        xs = _whiten(xb, phis)
        ys = _whiten(y[:, :, None], phis)[..., 0]
        xtx = np.einsum("snp,snq->spq", xs, xs)
        beta = np.linalg.solve(xtx, np.einsum("snp,sn->sp", xs, ys)[..., None])[..., 0]
    resid = ys - np.einsum("snp,sp->sn", xs, beta)
    s = np.sqrt(np.sum(resid * resid, axis=1) / max(n - p, 1))
    e = resid / np.where(s > 0, s, 1.0)[:, None]
    return InControlFit(phi=phis, e=e, s=s, xs=xs, xtx=xtx)


def bias_corrected(phi: float, n: int, p: int) -> float:
    """A short series' lag-1 autocorrelation corrected for its downward bias:
    ``phi + (1 + 3 phi) / n + (p - 1) / n`` (Kendall 1954, plus one degree of freedom per
    mean parameter beyond the level), kept within (-0.9, 0.9).

    >>> round(bias_corrected(0.15, 36, 5), 2)
    0.3
    """
    return float(np.clip(phi + (1 + 3 * phi) / n + (p - 1) / n, -0.9, 0.9))


def simulate_ar1(rng: np.random.Generator, n_series: int, n: int, phi: float) -> np.ndarray:
    """``n_series`` stationary AR(1) series of ``n`` months with marginal sd 1.

    >>> simulate_ar1(np.random.default_rng(1), 3, 5, 0.3).shape
    (3, 5)
    """
    u = np.empty((n_series, n))
    eps = rng.standard_normal((n_series, n))
    u[:, 0] = eps[:, 0] / np.sqrt(1 - phi ** 2)
    for t in range(1, n):
        u[:, t] = phi * u[:, t - 1] + eps[:, t]
    return u * np.sqrt(1 - phi ** 2)


# =========================================================================== the screens


def _candidates(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Step and ramp regressors (months x candidates) and their start months."""
    t = np.arange(n)
    steps = np.arange(EDGE, n - EDGE + 1)
    ramps = np.arange(0, n - EDGE)
    step = (t[:, None] >= steps[None, :]).astype(float)
    ramp = np.maximum(0, t[:, None] - ramps[None, :] + 1).astype(float)
    return step, steps, ramp, ramps


def _score(fit: InControlFit, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Score statistics (series x candidates) of adding each column of ``r`` to the model,
    and the coefficient of each in innovation sd units.
    """
    w = _whiten(np.broadcast_to(r, (len(fit.phi),) + r.shape), fit.phi)
    b = np.linalg.solve(fit.xtx, np.einsum("snp,snm->spm", fit.xs, w))
    wt = w - np.einsum("snp,spm->snm", fit.xs, b)
    num = np.einsum("snm,sn->sm", wt, fit.e)
    den2 = np.einsum("snm,snm->sm", wt, wt)
    ok = den2 > 1e-9 * w.shape[1]
    z = np.where(ok, num / np.sqrt(np.where(ok, den2, 1.0)), 0.0)
    coef = np.where(ok, num / np.where(ok, den2, 1.0), 0.0)
    return z, coef


def _deleted(z: np.ndarray, df: int) -> np.ndarray:
    """A statistic standardised by the in-control sd ``z`` (bounded by ``sqrt(df)``, as the
    sd includes the change itself) restated with the sd left after the change is taken
    out (``t = z / sqrt((df - z^2) / (df - 1))``: the Wald form of the score statistic, the
    studentised deleted residual for one month). Monotone in ``z``, so it ranks charts as
    ``z`` does, but a large change is not capped, and the tail beyond the simulated range
    stays informative.
    """
    return z / np.sqrt(np.maximum(df - z * z, 1e-12) / max(df - 1, 1))


def _statistics(fit: InControlFit, n: int, detail: bool = False):
    step, steps, ramp, ramps = _candidates(n)
    zs, cs = _score(fit, step)
    zr, cr = _score(fit, ramp)
    df = fit.e.shape[1] - fit.xs.shape[2]
    lev = np.einsum("snp,snp->sn", fit.xs, np.linalg.solve(fit.xtx, fit.xs.transpose(0, 2, 1))
                    .transpose(0, 2, 1))
    single = _deleted(np.abs(fit.e) / np.sqrt(np.clip(1 - lev, 1e-9, None)), df)
    stats = np.column_stack([single.max(axis=1),
                             _deleted(np.abs(zs).max(axis=1), df),
                             _deleted(np.abs(zr).max(axis=1), df)])
    if not detail:
        return stats
    i_e = single.argmax(axis=1)
    i_s = np.abs(zs).argmax(axis=1)
    i_r = np.abs(zr).argmax(axis=1)
    rows = np.arange(len(fit.phi))
    info = {
        "single_at": i_e, "single_sign": np.sign(fit.e[rows, i_e]),
        "single_size": fit.e[rows, i_e] * fit.s,
        "shift_at": steps[i_s], "shift_sign": np.sign(zs[rows, i_s]),
        "shift_size": cs[rows, i_s] * fit.s,
        "drift_at": ramps[i_r], "drift_sign": np.sign(zr[rows, i_r]),
        "drift_size": cr[rows, i_r] * fit.s,
    }
    return stats, info


_NULLS: dict[tuple, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def _tails(stats: np.ndarray) -> np.ndarray:
    """The tail of each statistic beyond the simulated range (columns: single month,
    shift, drift); rows: Gumbel location and scale (by moments), and the rate of a tail
    exponential in ``t^2`` (from the mean excess of ``t^2`` over the 90th percentile).

    The single month's largest studentised error has a heavy, t-like tail: the Gumbel
    (exponential in ``t``). The shift and drift statistics, largest of many correlated
    Gaussian scores, have a lighter one: the Gumbel overstates their p-values 2-7 times
    in the deep tail, the ``t^2`` tail is about right on average but varies with the
    simulated series (down to a third of the true p-value); the geometric mean of the
    two is used, within a factor of about 0.75 to 3 of the true p-value down to 0.0003
    (checked against 40,000 simulated series, 8 sets of 2,000).
    """
    out = np.zeros((3, stats.shape[1]))
    scale = np.std(stats, axis=0) * np.sqrt(6) / np.pi
    out[0] = np.mean(stats, axis=0) - 0.5772156649 * scale
    out[1] = np.maximum(scale, 1e-12)
    for j in range(stats.shape[1]):
        u = np.quantile(stats[:, j], 0.90)
        excess = stats[stats[:, j] > u, j] ** 2 - u ** 2
        out[2, j] = 1 / max(float(np.mean(excess)), 1e-12) if len(excess) else 1.0
    return out


def _gumbel_log_sf(x: float, loc: float, scale: float) -> float:
    return float(np.log(-np.expm1(-np.exp(-(x - loc) / scale))))


def _null(x: np.ndarray, phi: float, known: bool, n_sim: int, seed: int):
    """Sorted simulated statistics (n_sim x 3), sorted min-p of the simulated series and
    the statistics' tails (:func:`_tails`), for design ``x`` and persistence ``phi`` (known or
    re-estimated, as for the data).
    """
    phi = round(float(phi), 2)
    key = (zlib.crc32(x.tobytes()), x.shape, phi, known, int(n_sim), int(seed))
    if key in _NULLS:
        return _NULLS[key]
    rng = np.random.default_rng([int(seed), zlib.crc32(x.tobytes()), round(phi * 100) + 100,
                                 int(known)])
    y = simulate_ar1(rng, int(n_sim), x.shape[0], phi)
    fit = fit_in_control(y, x, phi if known else None)
    stats = _statistics(fit, x.shape[0])
    ordered = np.sort(stats, axis=0)
    p = np.column_stack([(n_sim - np.searchsorted(ordered[:, j], stats[:, j], side="left"))
                         / n_sim for j in range(stats.shape[1])])
    out = (ordered, np.sort(p.min(axis=1)), _tails(stats))
    if len(_NULLS) > 256:
        _NULLS.clear()
    _NULLS[key] = out
    return out


def _p_values(stats: np.ndarray, ordered: np.ndarray, min_p: np.ndarray,
              tail: np.ndarray) -> np.ndarray:
    """Each screen's p-value and the combined (min-p) one. Counted among the simulated
    series while at least :data:`TAIL_COUNT` of them are as extreme; beyond, the
    statistic's tail (:func:`_tails`; for min-p, a constant ratio) carries on from there, so
    a chart far beyond every simulated one gets a small p-value rather than 1/(n_sim+1).
    """
    n_sim = len(ordered)
    k = min(TAIL_COUNT, n_sim - 1)
    anchor = (1 + k) / (n_sim + 1)
    pj = np.empty(len(stats))
    for j, t in enumerate(stats):
        c = n_sim - np.searchsorted(ordered[:, j], t, side="left")
        if c >= k:
            pj[j] = (1 + c) / (n_sim + 1)
        else:
            t_a = ordered[n_sim - k, j]
            log_ratio = (_gumbel_log_sf(t, *tail[:2, j])
                         - _gumbel_log_sf(t_a, *tail[:2, j]))
            if j > 0:
                log_ratio = (log_ratio - tail[2, j] * (t * t - t_a * t_a)) / 2
            pj[j] = min(anchor * np.exp(log_ratio), anchor)
    pm = pj.min()
    c = np.searchsorted(min_p, pm, side="right")
    if c >= k:
        combined = (1 + c) / (n_sim + 1)
    else:
        combined = min(anchor, anchor * pm / max(min_p[k - 1], 1e-300))
    return np.r_[pj, min(combined, 1.0)]


def screen_series(series: Mapping, *, autocorrelation: str = "auto", season: bool | None = None,
                  n_sim: int = N_SIM, seed: int = SEED) -> pd.DataFrame:
    """Screen each series for a change beyond chance (see the module docstring).

    Parameters
    ----------
    series : {label: (dates, values) or (dates, values, groups)}
        One chart each: its months, its values (no gaps) and, optionally, its rebase
        group of each month.
    autocorrelation : {"auto", "shared", "each", "none"}
        ``shared``: one persistence for every chart (the median of their bias-corrected
        estimates, taken as known); ``each``: each chart's own, re-estimated in its
        simulations; ``none``: independent months (the old assumption, for comparison);
        ``auto``: ``shared`` from :data:`SHARED_MIN_CHARTS` charts, else ``each``.
    season : bool, optional
        Seasonal harmonics for every chart (None: charts of at least 24 months).
    n_sim, seed : int
        Simulated in-control series per null distribution, and their seed.

    Returns
    -------
    DataFrame
        One row per chart: ``facet, n_points, screened`` (False when shorter than
        :data:`MIN_POINTS`), ``seasonal``, ``autocorrelation`` (the persistence used),
        ``p_single, p_shift, p_drift`` (each screen's p-value), ``p_value`` (combined by
        min-p), ``screen`` (the screen with the smallest p-value: one of :data:`SCREENS`),
        ``month`` (the unusual month, or the month the shift or drift started),
        ``direction`` (+1 up, -1 down) and ``size`` (the departure of that month, the
        size of the shift, or the drift per month, in the series' units).

    >>> d = pd.date_range("2023-01-01", periods=12, freq="MS")
    >>> screen_series({"A": (d, np.arange(12.0) % 3)}, n_sim=200)["seasonal"].tolist()
    [False]
    """
    if autocorrelation not in AUTOCORRELATION:
        raise AnalysisInputError("screen_series", "autocorrelation", f"is {autocorrelation!r}",
                                 expected=f"one of {list(AUTOCORRELATION)}")
    if not isinstance(n_sim, (int, np.integer)) or isinstance(n_sim, bool) or n_sim < 100:
        raise AnalysisInputError("screen_series", "n_sim", f"is {n_sim!r}",
                                 expected="an integer of at least 100")
    prepared = []
    for label, item in series.items():
        dates, values, *rest = item
        y = np.asarray(values, dtype=float)
        if len(y) != len(dates) or not np.all(np.isfinite(y)):
            raise AnalysisInputError("screen_series", "series", f"chart {label!r} has "
                                     f"{len(y)} values for {len(dates)} months or a missing "
                                     "value", expected="one finite value per month")
        groups = rest[0] if rest else None
        x = design(dates, groups, season=season) if len(y) >= MIN_POINTS else None
        prepared.append((label, pd.DatetimeIndex(pd.to_datetime(dates)), y, x))
    screened = [p for p in prepared if p[3] is not None]
    mode = autocorrelation
    if mode == "auto":
        mode = "shared" if len(screened) >= SHARED_MIN_CHARTS else "each"
    own = {}
    for label, _, y, x in screened:
        f = fit_in_control(y[None, :], x)
        own[label] = bias_corrected(float(f.phi[0]), len(y), x.shape[1])
    shared = float(np.median(list(own.values()))) if own else 0.0
    rows = []
    for label, dates, y, x in prepared:
        row = {"facet": label, "n_points": len(y), "screened": x is not None}
        if x is None:
            rows.append(row | {"seasonal": False, "autocorrelation": np.nan,
                               "p_single": np.nan, "p_shift": np.nan, "p_drift": np.nan,
                               "p_value": np.nan, "screen": "", "month": pd.NaT,
                               "direction": 0, "size": np.nan})
            continue
        if mode == "each":
            phi, known = own[label], False
            fit = fit_in_control(y[None, :], x)
        else:
            phi, known = (shared if mode == "shared" else 0.0), True
            fit = fit_in_control(y[None, :], x, phi)
        stats, info = _statistics(fit, len(y), detail=True)
        ordered, min_p, tail = _null(x, phi, known, n_sim, seed)
        if not fit.s[0] > 0:
            p = np.ones(4)
        else:
            p = _p_values(stats[0], ordered, min_p, tail)
        # the screen with the smallest p-value; among equals (e.g. both beyond every
        # simulated series), a shift before a single month before a drift
        which = min(range(3), key=lambda j: (p[j], TIE_ORDER[j]))
        key = ("single", "shift", "drift")[which]
        at = int(info[f"{key}_at"][0])
        rows.append(row | {
            "seasonal": x.shape[1] > _levels(x), "autocorrelation": phi,
            "p_single": p[0], "p_shift": p[1], "p_drift": p[2], "p_value": p[3],
            "screen": SCREENS[which], "month": dates[at],
            "direction": int(info[f"{key}_sign"][0]), "size": float(info[f"{key}_size"][0])})
    return pd.DataFrame(rows)


def _levels(x: np.ndarray) -> int:
    """Level columns of a design (the 0/1 columns before the harmonics)."""
    k = 0
    for j in range(x.shape[1]):
        if set(np.unique(x[:, j])) <= {0.0, 1.0}:
            k += 1
        else:
            break
    return k
