"""Funnel plots: compare providers fairly, allowing for their size and for overdispersion.

:func:`funnel` follows the R package FunnelPlotR (Spiegelhalter 2005; Spiegelhalter et
al. 2012; the NHS Digital SHMI method) for its z-scores, overdispersion and limits, with
one departure for counts:

* ``kind="SR"`` — indirectly standardised ratios ``observed / expected`` (target 1).
  Limits and flags are on the **count scale**: a provider with ``O`` events and ``E``
  expected is unusually low when ``P(X <= O) < a/2`` and unusually high when
  ``P(X >= O) < a/2`` (``a = 1 - level/100``), with ``X ~ Poisson(E)``; when the limits
  are widened for overdispersion, ``X`` is Poisson-gamma (negative binomial) with the
  between-provider spread ``tau2`` the method estimated on its own scale
  (:func:`count_probabilities`, :func:`count_limits`). A zero is then flagged only when
  a zero is that unlikely (``exp(-E) < a/2`` unadjusted), never merely because
  ``log 0`` is minus infinity. FunnelPlotR's exact Poisson limits are in
  :func:`poisson_limits`.
* ``kind="PR"`` — proportions ``numerator / denominator`` (target the pooled
  proportion), on the arcsine square-root scale.
* ``kind="RC"`` — ratios of two counts (target the pooled ratio), on the log scale.
* Normal quantiles are FunnelPlotR's ``1.959964`` (95%) and ``3.090232`` (99.8%).
* ``overdispersion=True`` estimates ``phi`` as the mean of squared standardised z-scores
  after 10% rank truncation at each end (``method="SHMI"``, standardised ratios only)
  or winsorisation at the 10th/90th percentiles (``method="CQC"``, and always for
  proportions and ratios of counts), and the DerSimonian-Laird additive
  between-provider variance ``tau2`` (zero when ``n x phi < n - 1``). Limits are
  widened by ``tau2`` only when ``phi > 1``.
* ``phi`` above ``max_phi`` (default :data:`EXTREME_PHI`, 10) means chance explains less
  than a tenth of the spread between providers: they are not comparable as they stand,
  and no provider is flagged (``comparable`` is ``False``; compare within strata).
* A provider exactly on a limit is not an outlier.

Every choice and every FunnelPlotR quirk not copied is listed in ``docs/spc_funnel.md``.
Limits, overdispersion and the plotted curves share one transform per kind, checked
together against FunnelPlotR.

Example
-------
>>> import pandas as pd
>>> df = pd.DataFrame({"trust": list("ABCD"), "deaths": [30, 52, 80, 10],
...                    "expected": [40.0, 50.0, 60.0, 12.0]})
>>> res = funnel(df, "deaths", "expected", kind="SR", label="trust")
>>> res.table.loc[res.table["label"] == "C", "outlier_95"].item()   # P(X >= 80) = 0.008
True
>>> round(float(res.table.loc[0, "ucl_95"]), 4)   # 53.35 deaths of 40 expected
1.3336
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from workbench.errors import AnalysisInputError

KINDS = ("SR", "PR", "RC")
METHODS = ("SHMI", "CQC")
#: FunnelPlotR's normal quantiles for its two limit levels.
Z_BY_LEVEL = {95.0: 1.959964, 99.8: 3.090232}
#: Relative tolerance within which a value counts as lying on a limit (not an outlier).
ON_LIMIT_RTOL = 1e-9
#: Dispersion ratio above which providers are not comparable on one funnel. ``phi`` is
#: Higgins and Thompson's H^2 (Q / n), so ``phi > 10`` is I^2 = 1 - 1/phi > 90%: chance
#: explains less than a tenth of the spread, far beyond "high" heterogeneity (I^2 75%,
#: phi 4; Higgins et al. 2003). The differences are then systematic (case or specialty
#: mix) and should be explained or compared within strata first (Spiegelhalter 2005).
EXTREME_PHI = 10.0


@dataclass
class FunnelResult:
    """The result of :func:`funnel`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per provider: ``label, numerator, denominator, ratio, target, y, s, z``
        (unadjusted z), ``z_adjusted`` (equal to ``z`` when no overdispersion adjustment
        is applied), ``trimmed`` (the provider was truncated or winsorised when
        estimating ``phi``), and per limit level ``L`` (``95``, ``998``): ``lcl_L``,
        ``ucl_L``, ``outlier_L`` (bool) and ``side_L`` (``"low"``, ``"high"`` or
        ``"within"``; ``"not_compared"`` for every provider when ``comparable`` is
        ``False``). For standardised ratios ``p_low`` and ``p_high`` are the count-scale
        tail probabilities ``P(X <= O)`` and ``P(X >= O)`` that decide the flags (missing
        for other kinds), and ``lcl_L``/``ucl_L`` the count-scale limits divided by ``E``.
    curves : pandas.DataFrame
        The funnel: ``denominator`` on a fine grid with ``lcl_L``/``ucl_L`` per level.
    target : float
        The centre line (1 for standardised ratios, the pooled value otherwise).
    phi, tau2 : float or None
        Dispersion ratio and between-provider variance (``None`` when
        ``overdispersion=False``).
    adjusted : bool
        Whether the limits were widened by ``tau2`` (only when ``phi > 1``).
    comparable : bool
        ``False`` when ``phi`` exceeds ``max_phi``: the providers differ far more than a
        funnel can allow for, and none is flagged.
    max_phi : float or None
        The threshold used (``None``: never judged not comparable).
    """

    table: pd.DataFrame
    curves: pd.DataFrame
    target: float
    kind: str
    method: str
    levels: tuple[float, ...]
    phi: float | None = None
    tau2: float | None = None
    adjusted: bool = False
    n_used_for_phi: int | None = None
    options: dict[str, Any] = field(default_factory=dict)
    comparable: bool = True
    max_phi: float | None = EXTREME_PHI

    def outliers(self, level: float | None = None) -> pd.DataFrame:
        """Rows of :attr:`table` outside the limits at ``level`` (default: the widest);
        none when the providers are not comparable.
        """
        level = max(self.levels) if level is None else level
        return self.table[self.table[f"outlier_{level_key(level)}"]]

    def _repr_html_(self) -> str:  # pragma: no cover - presentation
        return self.table.to_html(index=False)


def level_key(level: float) -> str:
    """Column suffix for a limit level: ``95 -> '95'``, ``99.8 -> '998'``.

    >>> level_key(99.8), level_key(95)
    ('998', '95')
    """
    return f"{float(level):g}".replace(".", "")


def z_for_level(level: float) -> float:
    """Two-sided normal quantile for a limit level in percent.

    FunnelPlotR's rounded constants for 95 and 99.8; ``scipy`` for any other level.

    >>> z_for_level(95), z_for_level(99.8)
    (1.959964, 3.090232)
    """
    level = float(level)
    if level in Z_BY_LEVEL:
        return Z_BY_LEVEL[level]
    return float(stats.norm.ppf(1 - (1 - level / 100) / 2))


def poisson_limits(expected, level: float = 95.0) -> tuple[np.ndarray, np.ndarray]:
    """Exact Poisson limits for a standardised ratio with expected count ``expected``.

    Lower ``chi2.ppf(a/2, 2E) / (2E)``, upper ``chi2.ppf(1 - a/2, 2(E + 1)) / (2E)``
    with ``a = 1 - level/100``.

    >>> lo, hi = poisson_limits([10.0], 95)
    >>> round(float(lo[0]), 4), round(float(hi[0]), 4)
    (0.4795, 1.839)
    """
    e = np.asarray(expected, dtype="float64")
    a = 1 - float(level) / 100
    lo = stats.chi2.ppf(a / 2, 2 * e) / (2 * e)
    hi = stats.chi2.ppf(1 - a / 2, 2 * (e + 1)) / (2 * e)
    return lo, hi


def mixture_gamma(tau2: float, method: str = "SHMI") -> tuple[float, float]:
    """Shape ``k`` and mean ``m`` of the gamma between-provider spread of true ratios that
    matches ``tau2`` on the method's scale (``(inf, 1.0)`` when ``tau2`` is 0: plain Poisson).

    The provider's true ratio ``theta`` is Gamma with the first two moments the method
    assumes on its own scale: for SHMI ``E[log theta] = 0`` and ``Var(log theta) = tau2``
    (``trigamma(k) = tau2``, scale ``exp(-digamma(k))``); for CQC ``E[sqrt theta] = 1``
    and ``Var(sqrt theta) = tau2`` (``(Gamma(k + 1/2) / Gamma(k))^2 / k = 1 / (1 + tau2)``,
    mean ``1 + tau2``). A provider's count is then negative binomial with mean ``E m``
    and variance ``E m + (E m)^2 / k``.

    >>> k, m = mixture_gamma(0.05, "SHMI")
    >>> round(k, 3), round(m, 4)
    (20.496, 1.0249)
    >>> k, m = mixture_gamma(0.05, "CQC")
    >>> round(k, 3), round(m, 2)
    (5.116, 1.05)
    >>> mixture_gamma(0.0)
    (inf, 1.0)
    """
    tau2 = float(tau2)
    if not tau2 > 1e-12:
        return float("inf"), 1.0
    if method == "SHMI":
        k = float(optimize.brentq(lambda k: special.polygamma(1, k) - tau2, 1e-10, 1e13))
        return k, float(k * np.exp(-special.digamma(k)))
    # CQC: 1 - (Gamma(k + 1/2) / Gamma(k))^2 / k = tau2 / (1 + tau2)
    target = tau2 / (1 + tau2)

    def one_minus_r(k):
        return -np.expm1(2 * (special.gammaln(k + 0.5) - special.gammaln(k)) - np.log(k))

    if target < one_minus_r(1e6):
        k = 1 / (4 * target) - 1 / 8          # the series of one_minus_r for large k
    elif target >= one_minus_r(1e-8):
        k = 1e-8
    else:
        k = float(optimize.brentq(lambda k: one_minus_r(k) - target, 1e-8, 1e6))
    return float(k), 1 + tau2


def _p_low(c, mu, k):
    """``P(X <= c)``, continuous in ``c``: Poisson or negative binomial (shape ``k``),
    mean ``mu``.
    """
    if np.isinf(k):
        return special.gammaincc(np.asarray(c, dtype="float64") + 1, mu)
    return special.betainc(k, np.asarray(c, dtype="float64") + 1, k / (k + mu))


def _p_high(c, mu, k):
    """``P(X >= c)``, continuous in ``c`` (1 for ``c <= 0``)."""
    c = np.asarray(c, dtype="float64")
    pos = np.maximum(c, 1e-300)
    p = special.gammainc(pos, mu) if np.isinf(k) else special.betainc(pos, k, mu / (k + mu))
    return np.where(c <= 0, 1.0, p)


def count_probabilities(observed, expected, *, tau2: float = 0.0,
                        method: str = "SHMI") -> tuple[np.ndarray, np.ndarray]:
    """Tail probabilities ``P(X <= O)`` and ``P(X >= O)`` of observed counts ``O``.

    ``X`` is Poisson(``E``), or with ``tau2 > 0`` negative binomial: Poisson given the
    provider's true ratio, the ratio spread between providers as :func:`mixture_gamma`
    matches to ``tau2`` on the method's scale. For whole counts these are exact Poisson (or negative binomial)
    probabilities; between whole counts they are the continuous extension through the
    regularised incomplete gamma (beta) function.

    >>> lo, hi = count_probabilities([0, 0, 0, 0], [0.5, 1.6, 3.1, 8.0])
    >>> [round(float(p), 4) for p in lo]             # exp(-E): a zero's probability
    [0.6065, 0.2019, 0.045, 0.0003]
    >>> float(hi[0])
    1.0
    """
    o = np.asarray(observed, dtype="float64")
    k, m = mixture_gamma(tau2, method)
    e = np.asarray(expected, dtype="float64") * m
    return _p_low(o, e, k), _p_high(o, e, k)


def count_limits(expected, level: float = 95.0, *, tau2: float = 0.0,
                 method: str = "SHMI") -> tuple[np.ndarray, np.ndarray]:
    """Fewest and most events consistent with ``expected`` at ``level`` (two-sided).

    The lower limit solves ``P(X <= c) = a/2`` (0 when even a zero is not that unlikely,
    ``P(X = 0) >= a/2``), the upper ``P(X >= c) = a/2``, with ``a = 1 - level/100`` and
    ``X`` as in :func:`count_probabilities`. A count strictly outside ``[lower, upper]``
    is exactly a count whose tail probability is below ``a/2``.

    >>> lo, hi = count_limits([1.6, 8.0], 95)
    >>> [round(float(x), 3) for x in lo], [round(float(x), 2) for x in hi]
    ([0.0, 2.496], [4.96, 14.47])
    """
    k, m = mixture_gamma(tau2, method)
    e = np.atleast_1d(np.asarray(expected, dtype="float64")) * m
    a2 = (1 - float(level) / 100) / 2
    # lower: P(X <= c) increases with c
    lo = np.zeros_like(e)
    need = _p_low(0.0, e, k) < a2
    if need.any():
        lo[need] = _bisect(lambda c, m=e[need]: _p_low(c, m, k) - a2, 0.0, _upper_bracket(
            e[need], k, a2))
    # upper: P(X >= c) decreases with c
    hi = _bisect(lambda c: a2 - _p_high(c, e, k), 0.0, _upper_bracket(e, k, a2))
    return lo, hi


def _upper_bracket(e, k, a2):
    """A count above which ``P(X >= c) < a2`` for every expected count ``e``."""
    var = e + (0.0 if np.isinf(k) else e ** 2 / k)
    hi = e + 10 * np.sqrt(var) + 10
    for _ in range(200):
        short = _p_high(hi, e, k) >= a2
        if not short.any():
            break
        hi = np.where(short, hi * 2, hi)
    return hi


def _bisect(f, lo, hi, iterations: int = 100):
    """Vectorised bisection for the root of ``f`` (increasing in its argument)."""
    lo = np.broadcast_to(np.asarray(lo, dtype="float64"), np.shape(hi)).copy()
    hi = np.asarray(hi, dtype="float64").copy()
    for _ in range(iterations):
        mid = (lo + hi) / 2
        above = f(mid) > 0
        hi = np.where(above, mid, hi)
        lo = np.where(above, lo, mid)
    return (lo + hi) / 2


def truncate_ranks(z: np.ndarray, trim_by: float = 0.1) -> np.ndarray:
    """Which z-scores the SHMI method keeps (True) after rank truncation.

    Ranks (ties averaged) are grouped as ``floor(rank x k / (n + 1))`` with
    ``k = 1 / trim_by``; the lowest group (0) and the groups ``>= k - 1`` are dropped.

    >>> int(truncate_ranks(np.arange(20.0)).sum())
    16
    """
    z = np.asarray(z, dtype="float64")
    k = 1 / trim_by
    rk = stats.rankdata(z, method="average")
    sp = np.floor(rk * k / (len(z) + 1))
    return (sp > 0) & (sp < k - 1)


def winsorise(z: np.ndarray, trim_by: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Winsorised z-scores (clipped at the ``trim_by`` and ``1 - trim_by`` quantiles).

    Quantiles are R's default (type 7, numpy's ``linear``). Returns the clipped values
    and a flag of the values that were not strictly inside the quantiles.

    >>> w, flag = winsorise(np.arange(11.0))
    >>> float(w.min()), float(w.max()), int(flag.sum())
    (1.0, 9.0, 4)
    """
    z = np.asarray(z, dtype="float64")
    lz, uz = np.quantile(z[np.isfinite(z)], [trim_by, 1 - trim_by])
    flag = ~((z > lz) & (z < uz))
    return np.clip(z, lz, uz), flag


def dispersion(z: np.ndarray, s: np.ndarray) -> tuple[float, float]:
    """``phi`` (mean squared z) and DerSimonian-Laird ``tau2`` from the z-scores used.

    ``tau2 = max(0, (n phi - (n - 1)) / (sum w - sum w^2 / sum w))`` with ``w = 1/s^2``,
    and 0 when ``n phi < n - 1``.

    >>> phi, tau2 = dispersion(np.array([2.0, -2.0, 1.0, -1.0]), np.array([.1, .1, .2, .2]))
    >>> phi, round(tau2, 6)
    (2.5, 0.042424)
    """
    z = np.asarray(z, dtype="float64")
    s = np.asarray(s, dtype="float64")
    n = len(z)
    phi = float(np.mean(z ** 2))
    if n * phi < n - 1:
        return phi, 0.0
    w = 1 / s ** 2
    denom = w.sum() - (w ** 2).sum() / w.sum()
    if denom <= 0:
        return phi, 0.0
    return phi, float(max(0.0, (n * phi - (n - 1)) / denom))


def funnel(
    data: pd.DataFrame,
    numerator: str,
    denominator: str,
    *,
    kind: str = "SR",
    limits: Sequence[float] = (95, 99.8),
    overdispersion: bool = False,
    method: str = "SHMI",
    label: str | None = None,
    trim_by: float = 0.1,
    max_phi: float | None = EXTREME_PHI,
) -> FunnelResult:
    """Funnel-plot limits, z-scores and outlier flags for a set of providers.

    Parameters
    ----------
    data : DataFrame
        Tidy data. With ``label``, rows sharing a label are summed first (as
        FunnelPlotR aggregates by group).
    numerator, denominator : str
        Columns: observed events and, for ``SR``, expected events; for ``PR`` the
        number of successes and of trials; for ``RC`` the two counts.
        Denominators must be > 0, numerators >= 0, neither missing.
    kind : {"SR", "PR", "RC"}
        Standardised ratio, proportion, or ratio of counts.
    limits : sequence of float
        Limit levels in percent; default 95 and 99.8.
    overdispersion : bool
        Estimate ``phi`` and ``tau2`` and widen the limits when ``phi > 1``.
    method : {"SHMI", "CQC"}
        For standardised ratios: log scale with 10% rank truncation (SHMI), or square-root
        scale with winsorisation (CQC). Proportions and ratios of counts are always
        winsorised, as in FunnelPlotR.
    label : str, optional
        Column naming each provider; the row index is used when absent.
    trim_by : float
        Share truncated or winsorised at each end (default 0.1).
    max_phi : float or None
        With ``overdispersion``, a ``phi`` above this (default :data:`EXTREME_PHI`, 10)
        makes the result not ``comparable``: no provider is flagged. ``None``: never.

    Standardised ratios are flagged on the count scale (see the module docstring and
    :func:`count_probabilities`); their ``lcl_L``/``ucl_L`` are :func:`count_limits`
    divided by the expected count.

    Returns
    -------
    FunnelResult

    Example
    -------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"p": ["A", "B", "C"], "pos": [90, 160, 300], "n": [100, 200, 400]})
    >>> r = funnel(df, "pos", "n", kind="PR", label="p")
    >>> round(r.target, 4), r.table["outlier_95"].tolist()
    (0.7857, [True, False, False])
    """
    if kind not in KINDS:
        raise AnalysisInputError("funnel", "kind", f"is {kind!r}", expected="'SR', 'PR' or 'RC'")
    if method not in METHODS:
        raise AnalysisInputError("funnel", "method", f"is {method!r}", expected="'SHMI' or 'CQC'")
    if not 0 < trim_by < 0.5:
        raise AnalysisInputError("funnel", "trim_by", f"is {trim_by!r}",
                                 expected="a share between 0 and 0.5")
    if max_phi is not None and not (isinstance(max_phi, (int, float)) and max_phi > 1):
        raise AnalysisInputError("funnel", "max_phi", f"is {max_phi!r}",
                                 expected="a dispersion ratio above 1, or None")
    levels = _levels(limits)
    agg = _tidy_input(data, numerator, denominator, label, kind)
    o = agg["numerator"].to_numpy()
    d = agg["denominator"].to_numpy()

    if kind == "SR":
        target = 1.0
    else:
        target = float(o.sum() / d.sum())
        if target <= 0:
            raise AnalysisInputError(
                "funnel", "numerator", f"column {numerator!r} sums to 0",
                expected=f"some events: a {kind} funnel is centred on the pooled value",
            )
    y, s, t_tr = _transform(o, d, kind, method, target)
    with np.errstate(divide="ignore"):
        z = (y - t_tr) / s

    phi = tau2 = None
    adjusted = False
    trimmed = np.zeros(len(z), dtype=bool)
    n_used = None
    if overdispersion:
        if kind == "SR" and method == "SHMI":
            keep = truncate_ranks(z, trim_by)
            trimmed = ~keep
            z_used, s_used = z[keep], s[keep]
        else:
            z_used, trimmed = winsorise(z, trim_by)
            s_used = s
        finite = np.isfinite(z_used)
        if not finite.all():
            warnings.warn(
                f"funnel(): {int((~finite).sum())} provider(s) with an infinite z-score (no "
                "events on the log scale) were left out of the overdispersion estimate.",
                UserWarning, stacklevel=2,
            )
            z_used, s_used = z_used[finite], s_used[finite]
        n_used = len(z_used)
        if n_used < 2:
            raise AnalysisInputError(
                "funnel", "data", f"leaves {n_used} provider(s) to estimate overdispersion "
                f"after trimming", expected="more providers, or overdispersion=False",
            )
        phi, tau2 = dispersion(z_used, s_used)
        adjusted = phi > 1 and tau2 > 0

    tau2_used = tau2 if adjusted else 0.0
    z_adj = (y - t_tr) / np.sqrt(s ** 2 + tau2_used) if adjusted else z
    comparable = not (phi is not None and max_phi is not None and phi > max_phi)

    table = agg.copy()
    table["ratio"] = o / d
    table["target"] = target
    table["y"] = y
    table["s"] = s
    table["z"] = z
    table["z_adjusted"] = z_adj
    table["trimmed"] = trimmed
    if kind == "SR":
        p_low, p_high = count_probabilities(o, d, tau2=tau2_used, method=method)
    else:
        p_low = p_high = np.full(len(o), np.nan)
    table["p_low"], table["p_high"] = p_low, p_high
    for lv in levels:
        key = level_key(lv)
        lo, hi = _limits(d, s, lv, kind, method, target, adjusted, tau2_used)
        table[f"lcl_{key}"], table[f"ucl_{key}"] = lo, hi
        if kind == "SR":
            # the count scale: a tail probability below a/2 (on a/2 is not an outlier)
            a2 = (1 - lv / 100) / 2
            low = (p_low < a2) & ~np.isclose(p_low, a2, rtol=ON_LIMIT_RTOL, atol=0)
            high = (p_high < a2) & ~np.isclose(p_high, a2, rtol=ON_LIMIT_RTOL, atol=0)
        elif kind == "RC":
            # the log((O + 0.5)/(D + 0.5)) scale of FunnelPlotR: decide on z
            zc = z_for_level(lv)
            high = (z_adj > zc) & ~np.isclose(z_adj, zc, rtol=ON_LIMIT_RTOL, atol=0)
            low = (z_adj < -zc) & ~np.isclose(z_adj, -zc, rtol=ON_LIMIT_RTOL, atol=0)
        else:
            r = table["ratio"].to_numpy()
            high = (r > hi) & ~np.isclose(r, hi, rtol=ON_LIMIT_RTOL, atol=0)
            low = (r < lo) & ~np.isclose(r, lo, rtol=ON_LIMIT_RTOL, atol=0)
        if not comparable:
            table[f"outlier_{key}"] = False
            table[f"side_{key}"] = "not_compared"
            continue
        table[f"outlier_{key}"] = high | low
        table[f"side_{key}"] = np.where(high, "high", np.where(low, "low", "within"))

    curves = _curves(d, levels, kind, method, target, adjusted, tau2_used)
    options = {"numerator": numerator, "denominator": denominator, "kind": kind,
               "limits": list(levels), "overdispersion": bool(overdispersion),
               "method": method, "label": label, "trim_by": trim_by, "max_phi": max_phi}
    return FunnelResult(table=table.reset_index(drop=True), curves=curves, target=target,
                        kind=kind, method=method, levels=levels, phi=phi, tau2=tau2,
                        adjusted=bool(adjusted), n_used_for_phi=n_used, options=options,
                        comparable=comparable, max_phi=max_phi)


# --------------------------------------------------------------------------- helpers


def _levels(limits) -> tuple[float, ...]:
    if isinstance(limits, (int, float)):
        limits = (limits,)
    try:
        levels = tuple(sorted(float(x) for x in limits))
    except (TypeError, ValueError):
        raise AnalysisInputError("funnel", "limits", f"is {limits!r}",
                                 expected="limit levels in percent, e.g. (95, 99.8)") from None
    if not levels or any(not 50 <= x < 100 for x in levels):
        raise AnalysisInputError("funnel", "limits", f"is {limits!r}",
                                 expected="levels in percent between 50 and 100, e.g. (95, 99.8)")
    if len(set(map(level_key, levels))) != len(levels):
        raise AnalysisInputError("funnel", "limits", f"repeats a level ({limits!r})",
                                 expected="distinct levels")
    return levels


def _tidy_input(data, numerator, denominator, label, kind) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise AnalysisInputError("funnel", "data", f"is a {type(data).__name__}",
                                 expected="a pandas DataFrame")
    for param, col in (("numerator", numerator), ("denominator", denominator), ("label", label)):
        if col is not None and col not in data.columns:
            raise AnalysisInputError("funnel", param, f"names column {col!r}, which is not in "
                                     "the data", expected=f"one of {list(map(str, data.columns))}")
    if len(data) == 0:
        raise AnalysisInputError("funnel", "data", "has no rows", expected="providers")
    cols = {}
    for param, col in (("numerator", numerator), ("denominator", denominator)):
        v = pd.to_numeric(data[col], errors="coerce").astype("float64")
        bad = v.isna() | ~np.isfinite(v)
        if bad.any():
            rows = list(data.index[bad][:10])
            raise AnalysisInputError(
                "funnel", param, f"column {col!r} has {int(bad.sum())} missing, infinite or "
                f"non-numeric value(s) at rows {rows}",
                expected="a number for every provider: drop those rows first",
            )
        cols[param] = v
    neg = cols["numerator"] < 0
    if neg.any():
        raise AnalysisInputError("funnel", "numerator", f"column {numerator!r} is negative at "
                                 f"rows {list(data.index[neg][:10])}", expected="counts >= 0")
    nonpos = cols["denominator"] <= 0
    if nonpos.any():
        raise AnalysisInputError(
            "funnel", "denominator", f"column {denominator!r} is zero or negative at rows "
            f"{list(data.index[nonpos][:10])}",
            expected="denominators > 0 (a provider with nothing expected cannot be placed)",
        )
    if label is not None:
        if data[label].isna().any():
            raise AnalysisInputError("funnel", "label", f"column {label!r} is missing at rows "
                                     f"{list(data.index[data[label].isna()][:10])}",
                                     expected="a label for every row")
        frame = pd.DataFrame({"label": data[label].to_numpy(),
                              "numerator": cols["numerator"].to_numpy(),
                              "denominator": cols["denominator"].to_numpy()})
        frame = frame.groupby("label", sort=True, as_index=False)[["numerator", "denominator"]].sum()
    else:
        frame = pd.DataFrame({"label": data.index.to_numpy(),
                              "numerator": cols["numerator"].to_numpy(),
                              "denominator": cols["denominator"].to_numpy()})
    if kind == "PR":
        over = frame["numerator"] > frame["denominator"]
        if over.any():
            raise AnalysisInputError(
                "funnel", "numerator", f"exceeds the denominator for {list(frame.loc[over, 'label'][:10])}",
                expected="numerator <= denominator for proportions",
            )
    return frame


def _transform(o, d, kind, method, target):
    """Transformed value ``y``, its null standard error ``s`` and the transformed target."""
    with np.errstate(divide="ignore"):
        if kind == "SR" and method == "SHMI":
            return np.log(o / d), 1 / np.sqrt(d), 0.0
        if kind == "SR":
            return np.sqrt(o / d), 1 / (2 * np.sqrt(d)), 1.0
        if kind == "PR":
            return np.arcsin(np.sqrt(o / d)), 1 / (2 * np.sqrt(d)), float(np.arcsin(np.sqrt(target)))
        s = np.sqrt(o / (o + 0.5) ** 2 + d / (d + 0.5) ** 2)
        return np.log((o + 0.5) / (d + 0.5)), s, float(np.log(target))


def _clip_angle(a):
    return np.clip(a, 0.0, np.pi / 2)


def _limits(d, s, level, kind, method, target, adjusted, tau2):
    """Lower and upper limits at denominators ``d`` (``s`` is each one's standard error)."""
    zc = z_for_level(level)
    if kind == "SR":
        lo, hi = count_limits(d, level, tau2=tau2 if adjusted else 0.0, method=method)
        return lo / d, hi / d
    sd = np.sqrt(s ** 2 + tau2)
    if kind == "PR":
        t = np.arcsin(np.sqrt(target))
        return np.sin(_clip_angle(t - zc * sd)) ** 2, np.sin(_clip_angle(t + zc * sd)) ** 2
    return np.exp(np.log(target) - zc * sd), np.exp(np.log(target) + zc * sd)


def _null_se(d, kind, method, target):
    if kind == "SR" and method == "SHMI":
        return 1 / np.sqrt(d)
    if kind in ("SR", "PR"):
        return 1 / (2 * np.sqrt(d))
    o = target * d
    return np.sqrt(o / (o + 0.5) ** 2 + d / (d + 0.5) ** 2)


def _curves(d, levels, kind, method, target, adjusted, tau2) -> pd.DataFrame:
    lo_x = max(float(d.min()) / 2, 1e-3)
    hi_x = float(d.max()) * 1.1
    grid = np.unique(np.concatenate([np.geomspace(lo_x, hi_x, 300), d]))
    out = pd.DataFrame({"denominator": grid})
    s = _null_se(grid, kind, method, target)
    for lv in levels:
        key = level_key(lv)
        lo, hi = _limits(grid, s, lv, kind, method, target, adjusted, tau2)
        out[f"lcl_{key}"], out[f"ucl_{key}"] = lo, hi
    out["target"] = target
    return out
