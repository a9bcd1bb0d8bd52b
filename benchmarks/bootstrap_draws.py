"""Bootstrap draws of the sector contrasts solved together against one at a time.

The doubly robust contrast refits its balancing weights (entropy balancing, Newton's
method on the dual) and the weighting contrasts refit their logistic propensity model in
every provider bootstrap draw. ``weighted_difference`` solves all draws together
(:func:`workbench.analysis.effects.weighting._balancing_odds_draws`,
:func:`~workbench.analysis.effects.weighting._ps_draws`): each draw takes the steps the
one-draw solver takes. This script times both on the same draws of the default panel
(where the sectors barely overlap and the balancing solver runs to its step limit) and of
a panel with overlap, and prints the ratio and the largest difference between the two
ways' draws. A draw the solver cannot balance (no overlap) stops at the step limit, at a
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
    one, t_one = _timed(lambda: np.stack([W.balancing_odds(b, tr)[0] for b in B]))
    (together, balanced), t_together = _timed(lambda: W._balancing_odds_draws(B, tr))
    estimates = [np.array([W._dr_att(Xo[i], tr, y[i], w) for i, w in zip(rows, o)])
                 for o in (one, together)]
    moved = np.max(np.abs(estimates[0] - estimates[1])) / np.std(estimates[0])
    used = ("used" if W.balancing_odds(Xp[:, 1:], t)[1] else
            "not used: the full sample does not balance, so the contrast is the outcome "
            "model's alone")
    print(f"{label:<22} balancing weights  one at a time {t_one:6.2f} s   together "
          f"{t_together:6.2f} s   ratio {t_one / t_together:5.1f}x   draws balanced "
          f"{balanced.sum()} of {len(B)}; the draws' DR estimates differ by at most "
          f"{moved:.1e} of their SD (weights {used})")
    X = W._standardise(np.column_stack([np.ones(len(t)),
                                        table[list(md.CASE_MIX)].to_numpy(float)]))
    Xd = X[rows]
    one, t_one = _timed(lambda: np.stack([W._ps(x, tr) for x in Xd]))
    together, t_together = _timed(lambda: W._ps_draws(Xd, tr))
    print(f"{label:<22} propensity scores  one at a time {t_one:6.2f} s   together "
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
