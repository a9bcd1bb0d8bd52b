"""Known truth for "did the change work?": insert interventions into a synthetic panel.

:func:`insert_interventions` takes a panel from :func:`workbench.data.synth.generate` and
gives chosen providers a change from a chosen month: a **level** change in the change
month and a **slope** change per month after it, on the measure's model scale, and
returns the new panel with the true value of every estimate the methods of
:mod:`workbench.analysis.evaluation.its` and :mod:`workbench.analysis.evaluation.did` make.

Measures and how their counts are changed (so that every column stays consistent):

``fft_pct_positive``  (binomial, log-odds scale)
    Provider ``i`` in month ``t``, ``k`` months after its change: ``eta = level_i +
    slope_i k``. With ``p`` the month's observed share ``fft_positive / fft_responses``
    and ``p* = expit(logit(p) + eta)``, positives are added (``eta > 0``: each negative
    response turns positive with probability ``(p* - p) / (1 - p)``) or removed
    (``eta < 0``: each positive is kept with probability ``p* / p``), so that
    ``E[new share | old counts] = p*`` exactly; ``fft_pct_positive`` is recomputed.
``ae_pct_within_4h``  (binomial, log-odds scale)
    The same on attendances seen within 4 hours (``ae_attendances - ae_over_4h``);
    ``ae_over_4h`` and ``ae_pct_within_4h`` are recomputed.
``complaints``  (poisson, log-rate scale)
    ``r = exp(eta)``; ``r > 1`` adds ``Poisson(c (r - 1))`` complaints to the ``c``
    observed, ``r < 1`` keeps each with probability ``r`` (``E[new | c] = c r``);
    ``complaints_per_1000`` is recomputed.

Truth (``InterventionData.truth``), keyed by :class:`~workbench.finding_id.FindingId` text:

* ``its:level-><m>@<provider>`` ``exp(level_i)`` and ``its:slope-><m>@<provider>``
  ``exp(slope_i)`` (odds or rate ratios), ``its:effect_h<h>-><m>@<provider>`` the expected
  change ``h`` months after the change month: percentage points ``100 (p* - p)``
  (binomial) or the rate ratio ``exp(level_i + slope_i h)`` (poisson). For the group of
  all treated providers (``@<group>``) when they share one change date: the effect at
  ``h`` of the summed series (pooled percentage points, or the ratio of summed expected to
  summed observed counts), and level and slope when the effect is the same for all.
* ``did:att-><o>@<group>``: the average effect on the treated (ATT) that
  :func:`workbench.analysis.evaluation.did.staggered_did` estimates, in the outcome ``o``
  (``fft_pct_positive`` or ``ae_pct_within_4h`` in percentage points,
  ``complaints_per_1000`` per 1,000 episodes): the mean over every treated provider-month
  from the change on of the expected change, **averaged over the distribution of provider
  effects** (``m_i`` below, by 40-point Gauss-Hermite quadrature) at each provider-month's
  own baseline. This is the estimand of inference clustered by provider, which treats
  the treated providers' effects as draws from that distribution.
  ``did:event_p<l>-><o>@<group>`` is the same over the treated providers ``l`` months
  after their change, ``did:event_m<l>`` 0 before it (no anticipation), and
  ``did:pretrend-><o>@<group>`` 0.
* ``InterventionData.sample_truth``: the same ``did:`` keys for these providers' own
  realised effects (the sample ATT: the mean of ``effects["delta"]``). It equals
  ``truth`` when ``heterogeneity`` is 0. Provider-clustered intervals cover it more often
  than 95% when effects differ between providers, because they also allow for which
  providers happened to be treated (Imbens 2004; Abadie, Athey, Imbens & Wooldridge 2020).

Example
-------
>>> from workbench.data.synth import generate
>>> sd = generate(seed=5, n_providers=40, n_months=36)
>>> iv = insert_interventions(sd, "fft_pct_positive", providers=["R001"],
...                           start="2025-01-01", level=0.3, slope=0.02, seed=1)
>>> round(iv.truth["its:level->fft_pct_positive@R001"], 4)
1.3499
>>> acute = iv.panel.dropna(subset=["fft_responses"])
>>> bool((acute["fft_positive"] <= acute["fft_responses"]).all())
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbench.data.schema import validate_panel
from workbench.errors import AnalysisInputError
from workbench.finding_id import FindingId

#: Measures that can take an intervention: (model family, DiD outcome column).
MEASURES: dict[str, tuple[str, str]] = {
    "fft_pct_positive": ("binomial", "fft_pct_positive"),
    "ae_pct_within_4h": ("binomial", "ae_pct_within_4h"),
    "complaints": ("poisson", "complaints_per_1000"),
}
#: Name of the group of all treated providers in truth keys.
DEFAULT_GROUP = "treated"
#: Gauss-Hermite nodes for the expected change over the distribution of provider effects.
QUADRATURE_NODES = 40

__all__ = ["DEFAULT_GROUP", "MEASURES", "InterventionData", "insert_interventions"]


@dataclass
class InterventionData:
    """A panel with interventions inserted, and what was inserted.

    Attributes
    ----------
    panel : DataFrame
        The panel with the measure's counts changed (validated).
    truth : dict
        ``{finding id: true value}`` (see the module docstring).
    adoption : DataFrame
        One row per treated provider: ``provider_code, adoption`` (the change month),
        ``level, slope`` (its own effects on the model scale).
    effects : DataFrame
        One row per treated provider-month from the change on: ``provider_code, period,
        months_since, eta`` (model scale), ``delta`` (expected change in the DiD outcome
        column given this provider's own effect) and ``expected_delta`` (the same averaged
        over the distribution of provider effects).
    settings : dict
        The arguments, for a manifest.
    sample_truth : dict
        The ``did:`` truths for the treated providers' own realised effects (the sample
        ATT and event study); equal to those of ``truth`` without heterogeneity.
    """

    panel: pd.DataFrame
    truth: dict[str, float]
    adoption: pd.DataFrame
    effects: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)
    sample_truth: dict[str, float] = field(default_factory=dict)

    def adoption_dates(self) -> dict[str, pd.Timestamp]:
        """``{provider_code: change month}``, for the ``adoption=`` argument of the methods."""
        return dict(zip(self.adoption["provider_code"], self.adoption["adoption"]))


def _expit(x):
    return 1 / (1 + np.exp(-x))


def _logit(p):
    return np.log(p / (1 - p))


def _expected_change(family: str, eta0: np.ndarray, mults: np.ndarray, wq: np.ndarray, *,
                     p_old=None, inner=None, ok=None, scale=None) -> np.ndarray:
    """Expected change in the DiD outcome per row, averaged over the provider multiplier
    ``m`` (quadrature nodes ``mults`` with weights ``wq``): the effect is ``m eta0``.
    """
    eta = eta0[:, None] * mults[None, :]
    if family == "binomial":
        lp = _logit(np.clip(p_old, 1e-9, 1 - 1e-9))[:, None]
        p_new = np.where(inner[:, None], _expit(lp + eta), p_old[:, None])
        return (100 * (p_new - p_old[:, None]) @ wq) * ok
    return scale * ((np.exp(eta) - 1) @ wq)


def insert_interventions(
    data, measure: str, *, providers: Sequence[str] | int = 10, start="2024-10-01",
    level: float = 0.0, slope: float = 0.0, cohorts: int = 1, cohort_gap: int = 6,
    heterogeneity: float = 0.0, horizon: int = 6, group: str = DEFAULT_GROUP, seed: int = 0,
) -> InterventionData:
    """Insert known changes for some providers; return the new panel and the true effects.

    Parameters
    ----------
    data : SyntheticData or DataFrame
        A panel from :func:`workbench.data.synth.generate` (or its ``.panel``).
    measure : str
        One of :data:`MEASURES`.
    providers : list of str or int
        Provider codes to treat, or how many to pick at random (seeded) among those
        with the measure in every month.
    start : date
        Change month of the first (or only) cohort.
    level, slope : float
        Effects on the model scale (log-odds for proportions, log rate for complaints):
        ``eta = level + slope k`` at ``k`` months after the change (0 in the change month).
    cohorts, cohort_gap : int
        Staggered adoption: providers are dealt into ``cohorts`` groups adopting
        ``cohort_gap`` months apart from ``start`` (1 cohort: everyone at ``start``).
    heterogeneity : float
        Providers' effects are ``level m_i`` and ``slope m_i`` with
        ``m_i = exp(heterogeneity z_i - heterogeneity^2 / 2)``, ``z_i`` standard normal
        (mean one); 0 gives every provider the same effect.
    horizon : int
        The ``h`` of the ``its:effect_h<h>`` truths.
    group : str
        Name of the treated group in truth keys.
    seed : int
        Seed of the random choices and count changes: same arguments, same result.

    >>> from workbench.data.synth import generate
    >>> sd = generate(seed=5, n_providers=40, n_months=24)
    >>> iv = insert_interventions(sd, "complaints", providers=4, start="2024-04-01",
    ...                           level=-0.3, cohorts=2, cohort_gap=4, seed=3)
    >>> sorted(iv.adoption["adoption"].dt.strftime("%Y-%m").unique())
    ['2024-04', '2024-08']
    >>> round(iv.truth["its:level->complaints@" + iv.adoption["provider_code"][0]], 4)
    0.7408
    """
    fn = "insert_interventions"
    panel = getattr(data, "panel", data)
    if not isinstance(panel, pd.DataFrame):
        raise AnalysisInputError(fn, "data", f"is a {type(data).__name__}",
                                 expected="SyntheticData or a panel DataFrame")
    if measure not in MEASURES:
        raise AnalysisInputError(fn, "measure", f"is {measure!r}",
                                 expected=f"one of {sorted(MEASURES)}")
    for name, v in (("level", level), ("slope", slope), ("heterogeneity", heterogeneity)):
        if not isinstance(v, (int, float)) or not math.isfinite(v):
            raise AnalysisInputError(fn, name, f"is {v!r}", expected="a finite number")
    if heterogeneity < 0:
        raise AnalysisInputError(fn, "heterogeneity", f"is {heterogeneity!r}",
                                 expected="0 or more")
    for name, v in (("cohorts", cohorts), ("cohort_gap", cohort_gap), ("horizon", horizon)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < (1 if name != "horizon" else 0):
            raise AnalysisInputError(fn, name, f"is {v!r}", expected="a positive whole number")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise AnalysisInputError(fn, "seed", f"is {seed!r}", expected="an integer")
    family, outcome = MEASURES[measure]
    rng = np.random.default_rng([int(seed), 7919])
    panel = panel.copy()
    panel["period"] = pd.to_datetime(panel["period"])
    periods = pd.DatetimeIndex(sorted(panel["period"].unique()))
    need = {"fft_pct_positive": ["fft_positive", "fft_responses"],
            "ae_pct_within_4h": ["ae_over_4h", "ae_attendances"],
            "complaints": ["complaints", "episodes"]}[measure]
    for c in need:
        if c not in panel.columns:
            raise AnalysisInputError(fn, "data", f"has no column {c!r}",
                                     expected=f"a panel with {need}")
    complete = panel.groupby("provider_code")[need].apply(lambda g: g.notna().all().all())
    complete = complete & (panel.groupby("provider_code").size() == len(periods))
    eligible = sorted(complete.index[complete])
    if isinstance(providers, (int, np.integer)) and not isinstance(providers, bool):
        if not 1 <= providers <= len(eligible):
            raise AnalysisInputError(fn, "providers", f"asks for {providers} providers",
                                     expected=f"1 to {len(eligible)} (providers with "
                                     f"{measure} in every month)")
        chosen = list(rng.choice(np.asarray(eligible, dtype=object), size=int(providers),
                                 replace=False))
    else:
        chosen = [str(p) for p in providers]
        unknown = [p for p in chosen if p not in set(eligible)]
        if unknown or not chosen or len(set(chosen)) != len(chosen):
            raise AnalysisInputError(fn, "providers", f"includes {unknown or chosen!r}",
                                     expected=f"distinct codes of providers with {measure} in "
                                     "every month")
    try:
        t0 = pd.Timestamp(start).to_period("M").to_timestamp()
    except (ValueError, TypeError):
        raise AnalysisInputError(fn, "start", f"is {start!r}", expected="a date") from None
    dates = [t0 + pd.DateOffset(months=j * int(cohort_gap)) for j in range(int(cohorts))]
    if dates[0] <= periods[0] or dates[-1] > periods[-1]:
        raise AnalysisInputError(fn, "start", f"puts change months from {dates[0]:%Y-%m} to "
                                 f"{dates[-1]:%Y-%m}", expected=f"months after {periods[0]:%Y-%m}"
                                 f" and up to {periods[-1]:%Y-%m}")
    order = rng.permutation(len(chosen))
    adopt = {chosen[i]: dates[j % len(dates)] for j, i in enumerate(order)}
    if heterogeneity > 0:
        z = rng.standard_normal(len(chosen))
        mult = np.exp(heterogeneity * z - heterogeneity ** 2 / 2)
    else:
        mult = np.ones(len(chosen))
    own = {p: (level * m, slope * m) for p, m in zip(chosen, mult)}
    m_of = dict(zip(chosen, mult))
    z_q, weights_q = np.polynomial.hermite_e.hermegauss(QUADRATURE_NODES)
    weights_q = weights_q / weights_q.sum()
    mults = np.exp(heterogeneity * z_q - heterogeneity ** 2 / 2)

    panel = panel.reset_index(drop=True)          # rows keep the generator's order
    rows = []
    for p in chosen:
        idx = np.flatnonzero((panel["provider_code"] == p).to_numpy()
                             & (panel["period"] >= adopt[p]).to_numpy())
        per = panel.loc[idx, "period"]
        k = ((per.dt.year - adopt[p].year) * 12 + per.dt.month - adopt[p].month).to_numpy()
        lv, sl = own[p]
        eta = lv + sl * k
        if family == "binomial":
            if measure == "fft_pct_positive":
                n = panel.loc[idx, "fft_responses"].to_numpy(float)
                x = panel.loc[idx, "fft_positive"].to_numpy(float)
            else:
                n = panel.loc[idx, "ae_attendances"].to_numpy(float)
                x = n - panel.loc[idx, "ae_over_4h"].to_numpy(float)
            ok = n > 0
            p_old = np.where(ok, x / np.where(ok, n, 1), 0.5)
            inner = (p_old > 0) & (p_old < 1)
            p_new = np.where(inner, _expit(_logit(np.clip(p_old, 1e-9, 1 - 1e-9)) + eta), p_old)
            up = p_new > p_old
            add_prob = np.where(up & (p_old < 1), (p_new - p_old) / np.maximum(1 - p_old, 1e-12), 0)
            keep_prob = np.where(~up & (p_old > 0), p_new / np.maximum(p_old, 1e-12), 1)
            added = rng.binomial((n - x).astype(np.int64), np.clip(add_prob, 0, 1))
            kept = rng.binomial(x.astype(np.int64), np.clip(keep_prob, 0, 1))
            x_new = np.where(up, x + added, kept).astype(float)
            delta = 100 * (p_new - p_old) * ok
            if measure == "fft_pct_positive":
                panel.loc[idx, "fft_positive"] = x_new
                panel.loc[idx, "fft_pct_positive"] = np.round(100 * x_new / np.maximum(n, 1), 4)
            else:
                panel.loc[idx, "ae_over_4h"] = n - x_new
                panel.loc[idx, "ae_pct_within_4h"] = np.round(
                    100 * x_new / np.maximum(n, 1), 4)
            weight, base = n, p_old
            expected = _expected_change(family, eta / m_of[p], mults, weights_q, p_old=p_old,
                                        inner=inner, ok=ok)
        else:
            c = panel.loc[idx, "complaints"].to_numpy(float)
            e = panel.loc[idx, "episodes"].to_numpy(float)
            r = np.exp(eta)
            more = rng.poisson(np.where(r > 1, c * (r - 1), 0.0))
            kept = rng.binomial(c.astype(np.int64), np.clip(np.where(r < 1, r, 1.0), 0, 1))
            c_new = np.where(r > 1, c + more, kept).astype(float)
            panel.loc[idx, "complaints"] = c_new
            panel.loc[idx, "complaints_per_1000"] = np.round(1000 * c_new / np.maximum(e, 1), 4)
            delta = 1000 * c * (r - 1) / np.maximum(e, 1)
            weight, base = c, r
            expected = _expected_change(family, eta / m_of[p], mults, weights_q,
                                        scale=1000 * c / np.maximum(e, 1))
        rows.append(pd.DataFrame({"provider_code": p, "period": per.to_numpy(),
                                  "months_since": k, "eta": eta, "delta": delta,
                                  "expected_delta": expected,
                                  "_weight": weight, "_base": base}))
    effects = pd.concat(rows, ignore_index=True)
    panel = validate_panel(panel, source=f"insert_interventions({measure}, seed={seed})")

    truth: dict[str, float] = {}

    def key(kind, part, subset, m=measure):
        return str(FindingId(kind, m, exposure=part, subset=subset))

    h = int(horizon)
    for p in chosen:
        lv, sl = own[p]
        truth[key("its", "level", p)] = math.exp(lv)
        truth[key("its", "slope", p)] = math.exp(sl)
        at = effects[(effects["provider_code"] == p) & (effects["months_since"] == h)]
        if len(at):
            truth[key("its", f"effect_h{h}", p)] = (float(at["delta"].iloc[0])
                                                    if family == "binomial"
                                                    else math.exp(lv + sl * h))
    if len(dates) == 1:
        at = effects[effects["months_since"] == h]
        if len(at):
            w = at["_weight"].to_numpy(float)
            if family == "binomial":
                truth[key("its", f"effect_h{h}", group)] = float(
                    (at["delta"] * w).sum() / w.sum())
            else:
                truth[key("its", f"effect_h{h}", group)] = float(
                    (w * at["_base"]).sum() / w.sum()) if w.sum() > 0 else math.exp(level + slope * h)
        if heterogeneity == 0:
            truth[key("its", "level", group)] = math.exp(level)
            truth[key("its", "slope", group)] = math.exp(slope)
    sample: dict[str, float] = {}
    for out, col in ((truth, "expected_delta"), (sample, "delta")):
        out[key("did", "att", group, outcome)] = float(effects[col].mean())
        out[key("did", "pretrend", group, outcome)] = 0.0
        for lag, g in effects.groupby("months_since"):
            out[key("did", f"event_p{int(lag)}", group, outcome)] = float(g[col].mean())
    # pre-change relative months the treated providers have (reference month -1 excluded)
    first = periods[0]
    max_pre = max((d.year - first.year) * 12 + d.month - first.month for d in dates)
    for lag in range(2, max_pre + 1):
        truth[key("did", f"event_m{lag}", group, outcome)] = 0.0
        sample[key("did", f"event_m{lag}", group, outcome)] = 0.0
    adoption = pd.DataFrame({"provider_code": chosen,
                             "adoption": [adopt[p] for p in chosen],
                             "level": [own[p][0] for p in chosen],
                             "slope": [own[p][1] for p in chosen]})
    adoption = adoption.sort_values(["adoption", "provider_code"]).reset_index(drop=True)
    settings = {"measure": measure, "providers": sorted(chosen), "start": f"{t0:%Y-%m-%d}",
                "level": level, "slope": slope, "cohorts": int(cohorts),
                "cohort_gap": int(cohort_gap), "heterogeneity": heterogeneity,
                "horizon": h, "group": group, "seed": int(seed), "family": family,
                "outcome": outcome}
    return InterventionData(panel=panel, truth=dict(sorted(truth.items())), adoption=adoption,
                            effects=effects.drop(columns=["_weight", "_base"]),
                            settings=settings, sample_truth=dict(sorted(sample.items())))
