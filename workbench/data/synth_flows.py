"""Synthetic RTT flows: referrals, removals and list sizes by provider, specialty and month.

The synthetic generator (:func:`workbench.data.synth.generate`) makes the ``rtt_flows``
table (:mod:`workbench.data.rtt_flows`) beside its panel with :func:`generate_flows`, from
a random stream of its own (``[seed, FLOWS_STREAM]``), so the panel and its truths are the
same bytes with or without it. Every acute provider (NHS trusts and independent
hospitals) has a list in each treatment function of :data:`SPECIALTIES` it offers, tied to
the panel: the provider's lists add up, in expectation, to its ``rtt_waiting_list`` and
wait, in expectation, its ``rtt_median_weeks`` times the function's factor.

The model of provider i, function s and month t (``d`` days; rates per week):

* shares of the provider's list by function: Dirichlet around the sector's mix (independent
  hospitals treat mostly orthopaedics and eyes); the expected list ``l(t)`` is the
  provider's panel list times its share;
* true mean wait ``W(t)`` = panel median x function factor x a provider-function factor /
  ln 2 (waits exponential: mean = median / ln 2);
* true demand ``lambda`` (constant) = the mean over months of ``l(t) / W(t)`` (Little's law);
  new clock starts ~ Poisson(lambda d / 7);
* other removals (validation, treated elsewhere, ...): a share ``kappa`` of demand (about
  17%), ~ Poisson(kappa lambda d / 7);
* completions: the true rate ``mu(t) = lambda (1 - kappa) - (l(t) - l(t-1)) 7/d + 0.3 (L(t-1)
  - l(t-1)) 7/d`` (the capacity that moves the list as the panel's list moves, and back
  towards it), ~ Poisson(mu(t) d / 7), split into admitted (the function's admitted share,
  binomial) and non-admitted;
* the list ``L(t) = L(t-1) + starts - completions - other removals`` (never below 0), with
  ``L(0)`` ~ Poisson(l(0)); its waits exponential with mean ``W(t)``: within 18 weeks and
  over 52 weeks binomial, the weeks summed a gamma (the sum of ``L(t)`` exponentials).

So ``other_removals`` derived from the table (starts - completions - list change) are the
drawn other removals exactly (month 1 has no previous month: a steady list is assumed).
The truths are columns of the table (:data:`workbench.data.rtt_flows.TRUTH_COLUMNS`):
``true_demand_weekly`` (lambda), ``true_completions_weekly`` (mu(t)),
``true_other_removals_weekly`` (kappa lambda) and ``true_mean_wait_weeks`` (W(t)).

>>> from workbench.data.synth import generate
>>> flows = generate(seed=1, n_providers=30, n_months=3).flows
>>> sorted(flows["specialty_code"].unique())[:3], flows["period"].nunique()
(['C_100', 'C_101', 'C_110'], 3)
>>> bool((flows["other_removals"] >= 0).all())
True
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from workbench.data import rtt_flows

#: The random stream of the flows (beside the panel's seed).
FLOWS_STREAM = 0xF10E5
#: Treatment functions of the synthetic lists: code, name, share of an NHS trust's list,
#: share of an independent hospital's, share of completions admitted, wait factor.
SPECIALTIES = (
    ("C_110", "Trauma and Orthopaedic Service", 0.16, 0.36, 0.30, 1.15),
    ("C_130", "Ophthalmology Service", 0.14, 0.30, 0.20, 1.00),
    ("C_100", "General Surgery Service", 0.10, 0.10, 0.30, 1.00),
    ("C_101", "Urology Service", 0.08, 0.05, 0.25, 0.95),
    ("C_120", "Ear Nose and Throat Service", 0.08, 0.06, 0.15, 1.10),
    ("C_502", "Gynaecology Service", 0.10, 0.05, 0.15, 1.05),
    ("C_301", "Gastroenterology Service", 0.08, 0.03, 0.10, 1.10),
    ("C_330", "Dermatology Service", 0.08, 0.0, 0.05, 0.85),
    ("X02", "Other - Medical Services", 0.18, 0.05, 0.10, 0.90),
)
#: Mean share of clock starts that end without treatment (other removals).
OTHER_REMOVAL_SHARE = 0.17
#: How strongly completions pull the list back towards the panel's list each month.
PULL = 0.3


def generate_flows(panel: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The ``rtt_flows`` table of a synthetic panel, drawn from its own stream.

    Returns :data:`workbench.data.rtt_flows.TABLE_COLUMNS` plus the true rates; an empty
    table (the same columns) when the panel has no acute provider with waits.

    >>> from workbench.data.synth import generate
    >>> sd = generate(seed=1, n_providers=30, n_months=2)
    >>> generate_flows(sd.panel, 1).equals(sd.flows)
    True
    """
    rng = np.random.default_rng([int(seed), FLOWS_STREAM])
    acute = panel[(panel["setting"] == "acute") & panel["rtt_waiting_list"].notna()
                  & panel["rtt_median_weeks"].notna()]
    columns = [*rtt_flows.TABLE_COLUMNS, *rtt_flows.TRUTH_COLUMNS]
    if acute.empty:
        return pd.DataFrame(columns=columns)
    providers = acute.drop_duplicates("provider_code")[
        ["provider_code", "provider_name", "sector", "region"]].reset_index(drop=True)
    periods = pd.DatetimeIndex(sorted(acute["period"].unique()))
    wl = acute.pivot(index="provider_code", columns="period", values="rtt_waiting_list"
                     ).reindex(index=providers["provider_code"], columns=periods).to_numpy()
    med = acute.pivot(index="provider_code", columns="period", values="rtt_median_weeks"
                      ).reindex(index=providers["provider_code"], columns=periods).to_numpy()
    n_p, n_t, n_s = len(providers), len(periods), len(SPECIALTIES)
    independent = (providers["sector"] != "nhs").to_numpy()
    base = np.array([[s[3] if ind else s[2] for s in SPECIALTIES] for ind in independent])
    offered = base > 0
    shares = np.zeros((n_p, n_s))
    for i in range(n_p):
        shares[i, offered[i]] = rng.dirichlet(40.0 * base[i, offered[i]])
    factor = np.array([s[5] for s in SPECIALTIES])[None, :] * np.exp(rng.normal(0, 0.1, (n_p, n_s)))
    admitted = np.array([s[4] for s in SPECIALTIES])
    kappa = np.clip(rng.beta(17.0, 83.0, (n_p, n_s)), 0.02, 0.6)
    # expected list and true mean wait by provider x function x month
    weight = shares * factor
    norm = weight.sum(axis=1, keepdims=True)
    ell = wl[:, None, :] * (weight / norm)[:, :, None]
    w_true = np.maximum(med[:, None, :] * factor[:, :, None] / math.log(2), 0.5)
    lam = np.where(offered, (ell / w_true).mean(axis=2), 0.0)
    days = periods.days_in_month.to_numpy().astype(float)
    week = days / 7.0

    size = rng.poisson(ell[:, :, 0]).astype(float)
    previous_ell = ell[:, :, 0]
    rows: dict[str, list[np.ndarray]] = {k: [] for k in (
        "new_clock_starts", "completed_admitted", "completed_non_admitted", "waiting_list",
        "within_18w", "over_52w", "weeks_sum", "true_completions_weekly",
        "true_mean_wait_weeks")}
    for t in range(n_t):
        mu = (lam * (1 - kappa) - (ell[:, :, t] - previous_ell) / week[t]
              + PULL * (size - previous_ell) / week[t])
        mu = np.where(offered, np.maximum(mu, 0.2 * lam * (1 - kappa)), 0.0)
        start_size = size
        starts = rng.poisson(lam * week[t]).astype(float)
        other = rng.poisson(kappa * lam * week[t]).astype(float)
        done = rng.poisson(mu * week[t]).astype(float)
        if t == 0:  # the first month is the list's starting point: a steady list
            other = np.maximum(starts - done, 0.0)
            done = starts - other
            new = start_size
        else:
            room = start_size + starts
            other = np.minimum(other, room)
            done = np.minimum(done, room - other)
            new = start_size + starts - done - other
        adm = rng.binomial(done.astype(np.int64), np.broadcast_to(admitted, done.shape)).astype(float)
        w = w_true[:, :, t]
        n_int = new.astype(np.int64)
        within = rng.binomial(n_int, 1 - np.exp(-18.0 / w)).astype(float)
        over = rng.binomial(n_int, np.exp(-52.0 / w)).astype(float)
        weeks_sum = np.where(n_int > 0, rng.gamma(np.maximum(n_int, 1), w), 0.0)
        for key, value in (("new_clock_starts", starts), ("completed_admitted", adm),
                           ("completed_non_admitted", done - adm), ("waiting_list", new),
                           ("within_18w", within), ("over_52w", over),
                           ("weeks_sum", np.round(weeks_sum, 1)),
                           ("true_completions_weekly", mu), ("true_mean_wait_weeks", w)):
            rows[key].append(value)
        size, previous_ell = new, ell[:, :, t]

    pi, si, ti = np.meshgrid(np.arange(n_p), np.arange(n_s), np.arange(n_t), indexing="ij")
    pi, si, ti = pi.ravel(), si.ravel(), ti.ravel()

    def flat(key: str) -> np.ndarray:
        return np.stack(rows[key], axis=2).ravel()

    out = pd.DataFrame({
        "provider_code": providers["provider_code"].to_numpy()[pi],
        "provider_name": providers["provider_name"].to_numpy()[pi],
        "sector": providers["sector"].to_numpy()[pi],
        "region": providers["region"].to_numpy()[pi],
        "specialty_code": np.array([s[0] for s in SPECIALTIES])[si],
        "specialty_name": np.array([s[1] for s in SPECIALTIES])[si],
        "period": periods.to_numpy()[ti],
        **{k: flat(k) for k in ("new_clock_starts", "completed_admitted",
                                "completed_non_admitted", "waiting_list")},
        "waiting_known": flat("waiting_list"),
        **{k: flat(k) for k in ("within_18w", "over_52w", "weeks_sum")},
        "source_file": "synthetic",
        "true_demand_weekly": lam[pi, si],
        "true_completions_weekly": flat("true_completions_weekly"),
        "true_other_removals_weekly": (kappa * lam)[pi, si],
        "true_mean_wait_weeks": flat("true_mean_wait_weeks"),
    })
    out = out[offered[pi, si]]
    out = rtt_flows.derive(out)
    return out[columns].reset_index(drop=True)
