"""Bootstrap draws of the sector contrasts solved together against a plain loop.

The doubly robust contrast refits its balancing weights (entropy balancing, Newton's
method on the dual) and the weighting contrasts refit their logistic propensity model in
every provider bootstrap draw. ``weighted_difference`` solves all draws together
(:func:`workbench.analysis.effects.weighting._balancing_odds_draws`,
:func:`~workbench.analysis.effects.weighting._ps_draws`). The plain alternative is a loop
over the draws with a one-draw Newton solver written with plain matrix products
(:func:`plain_balancing_odds`, :func:`plain_ps`, below: the same steps, start and stopping
rules, as the workbench solved them before). This script times both on the same draws of
the default panel (where the sectors barely overlap and the balancing solver runs to its
step limit) and of a panel with overlap, and prints the ratio and the largest difference
between the two ways' draws. A draw the solver cannot balance (no overlap) stops at the step limit, at a
point rounding decides: on the default panel the two ways' draws then differ by more than
a standard deviation, which is why the contrast does not use weights when the full sample
cannot be balanced (the outcome model answers alone, and the finding says so).

Usage::

    .venv/bin/python benchmarks/bootstrap_draws.py            # 199 draws, as the notebooks
    .venv/bin/python benchmarks/bootstrap_draws.py --draws 999
"""

from __future__ import annotations

import os

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse
import time

import numpy as np

from workbench.analysis.effects import weighting as W
from workbench.analysis.models import fit as md
from workbench.data.synth import generate


def plain_balancing_odds(B: np.ndarray, t: np.ndarray, max_iter: int = 30,
                         ridge: float = W.PS_RIDGE) -> tuple[np.ndarray, bool]:
    """Entropy-balancing odds of one draw by Newton's method on the dual, with backtracking:
    the one-draw loop the batched solver replaces."""
    keep = B.std(0) > 0
    B = B[:, keep]
    B = (B - B.mean(0)) / B.std(0)
    c = t == 0
    Bc, target = B[c], B[~c].mean(0)
    lam = np.zeros(B.shape[1])

    def dual(lam):
        eta = Bc @ lam
        return eta.max() + np.log(np.exp(eta - eta.max()).sum()) - target @ lam \
            + ridge * lam @ lam / 2

    gap = np.inf
    for _ in range(max_iter):
        eta = Bc @ lam
        p = np.exp(eta - eta.max())
        p /= p.sum()
        m = p @ Bc
        gap = float(np.max(np.abs(m - target)))
        g = m - target + ridge * lam
        if np.max(np.abs(g)) < 1e-9:
            break
        H = (Bc * p[:, None]).T @ Bc - np.outer(m, m) + (ridge + 1e-10) * np.eye(len(lam))
        step = np.linalg.solve(H, g)
        f0, a = dual(lam), 1.0
        while a > 1e-3 and dual(lam - a * step) > f0 - 1e-4 * a * g @ step:
            a /= 2
        if a <= 1e-3:
            break
        lam = lam - a * step
    eta = B @ lam
    top = eta[c].max()
    return t.sum() * np.exp(np.clip(eta - top, -700, 50)) / np.exp(eta[c] - top).sum(), \
        gap < W.BALANCED


def plain_ps(X: np.ndarray, t: np.ndarray, max_iter: int = 50) -> np.ndarray:
    """Logistic propensity scores of one draw by Newton-Raphson: the one-draw loop."""
    beta = np.zeros(X.shape[1])
    for _ in range(max_iter):
        p = 1.0 / (1.0 + np.exp(-np.clip(X @ beta, -30, 30)))
        step = np.linalg.solve((X * (p * (1 - p))[:, None]).T @ X + 1e-10 * np.eye(len(beta)),
                               X.T @ (t - p))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-8:
            break
    return np.clip(1.0 / (1.0 + np.exp(-np.clip(X @ beta, -30, 30))), 1e-12, 1 - 1e-12)


def _draw_rows(t: np.ndarray, draws: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    idx1, idx0 = np.flatnonzero(t == 1), np.flatnonzero(t == 0)
    return np.stack([np.concatenate([rng.choice(idx1, len(idx1)), rng.choice(idx0, len(idx0))])
                     for _ in range(draws)])


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def compare(label: str, panel, draws: int) -> None:
    table = W.provider_table(panel, "rtt_median_weeks", covariates=md.CASE_MIX)
    Xo, Xp, _ = W.dr_designs(table, md.CASE_MIX)
    t = table["treated"].to_numpy(float)
    y = table["rtt_median_weeks"].to_numpy(float)
    rows = _draw_rows(t, draws)
    B, tr = Xp[:, 1:][rows], t[rows[0]]
    one, t_one = _timed(lambda: np.stack([plain_balancing_odds(b, tr)[0] for b in B]))
    (together, balanced), t_together = _timed(lambda: W._balancing_odds_draws(B, tr))
    estimates = [np.array([W._dr_att(Xo[i], tr, y[i], w) for i, w in zip(rows, o)])
                 for o in (one, together)]
    moved = np.max(np.abs(estimates[0] - estimates[1])) / np.std(estimates[0])
    used = ("used" if W.balancing_odds(Xp[:, 1:], t)[1] else
            "not used: the full sample does not balance, so the contrast is the outcome "
            "model's alone")
    print(f"{label:<22} balancing weights  plain loop {t_one:6.2f} s   together "
          f"{t_together:6.2f} s   ratio {t_one / t_together:5.1f}x   draws balanced "
          f"{balanced.sum()} of {len(B)}; the draws' DR estimates differ by at most "
          f"{moved:.1e} of their SD (weights {used})")
    X = W._standardise(np.column_stack([np.ones(len(t)),
                                        table[list(md.CASE_MIX)].to_numpy(float)]))
    Xd = X[rows]
    one, t_one = _timed(lambda: np.stack([plain_ps(x, tr) for x in Xd]))
    together, t_together = _timed(lambda: W._ps_draws(Xd, tr))
    print(f"{label:<22} propensity scores  plain loop {t_one:6.2f} s   together "
          f"{t_together:6.2f} s   ratio {t_one / t_together:5.1f}x   largest difference "
          f"{np.max(np.abs(one - together)):.1e}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=199)
    args = ap.parse_args(argv)
    print(f"{args.draws} provider bootstrap draws (within sector) of the acute providers")
    compare("default panel", generate().panel, args.draws)
    compare("selection 0.3", generate(seed=1000001, selection=0.3).panel, args.draws)


if __name__ == "__main__":
    main()
