"""Calibration of the SPC screen by simulation: false signals in control, detection of shifts.

Families of charts of one measure (20 providers x 36 months by default) are simulated
with a seasonal pattern (a winter peak of 0.8 sd) and AR(1) month-to-month correlation
``phi`` (0 and 0.3), all in control, or with one chart shifted by ``delta`` marginal sd
for its last ``months`` months. Each family is screened as notebook 04 screens its
charts (:func:`workbench.analysis.monitoring.laney.screen` on XmR charts, which screens
their values by :func:`~workbench.analysis.monitoring.screening.screen_series`: a shared
persistence, seasonal terms, Benjamini-Hochberg at 5%); for comparison, the screen of
before (independent months: the largest ``|z'|`` of the chart, Sidak, then
Benjamini-Hochberg) is applied to the same charts. Reported per row:

* ``chart p<5%``: share of charts (in control) or of shifted charts whose p-value is
  below 5% (the per-chart false-signal rate, target 5%; or the per-chart power);
* ``family flags``: share of in-control families in which any chart survives the
  false discovery rate control at 5% (target at most 5%), or share of families in
  which the shifted chart survives it (detection, after the multiplicity control);
* ``old chart p<5%`` and ``old family flags``: the same for the screen of before.

Run (about 10 minutes on two cores at the default size; the table goes into
``docs/spc_funnel.md``)::

    nice .venv/bin/python benchmarks/spc_screen_calibration.py --families 200
    .venv/bin/python benchmarks/spc_screen_calibration.py --families 10      # a quick look
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from workbench.analysis.monitoring.screening import screen_series, simulate_ar1

N_CHARTS = 20
N_MONTHS = 36
SEASON_SD = 0.8
PHIS = (0.0, 0.3)
SHIFTS = ((1.0, 6), (1.5, 6), (2.0, 6), (1.0, 12), (1.5, 12), (2.0, 12))
SEED = 20260107


def family(rng: np.random.Generator, phi: float, delta: float = 0.0, months: int = 0,
           n_charts: int = N_CHARTS, n_months: int = N_MONTHS) -> pd.DataFrame:
    """One family of charts (chart C00 shifted when ``delta``), as a tidy frame."""
    d = pd.date_range("2022-01-01", periods=n_months, freq="MS")
    season = SEASON_SD * np.cos(2 * np.pi * (d.month.to_numpy() - 1) / 12)
    y = simulate_ar1(rng, n_charts, n_months, phi) + season
    if delta:
        y[0, n_months - months:] += delta
    return pd.DataFrame({"c": np.repeat([f"C{i:02d}" for i in range(n_charts)], n_months),
                         "d": np.tile(d, n_charts), "y": 10 + y.ravel()})


def _bh(p: np.ndarray) -> np.ndarray:
    return multipletests(p, method="fdr_bh")[1] < 0.05


def old_screen(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The screen of before on charts ``y`` (charts x months), as XmR charts without
    outlier screening: each chart's largest |z'| under independence (Sidak), then BH.
    Returns (p-values, survives)."""
    mean = y.mean(axis=1, keepdims=True)
    amr = np.abs(np.diff(y, axis=1)).mean(axis=1, keepdims=True)
    zp = 3 * (y - mean) / (2.66 * amr)
    m = np.abs(zp).max(axis=1)
    p = -np.expm1(y.shape[1] * np.log1p(-np.minimum(2 * stats.norm.sf(m), 1 - 1e-16)))
    return p, _bh(p)


def one(rng, phi, delta=0.0, months=0, n_sim=2000):
    """New and old screens of one family: (p, survives) of each, chart C00 first."""
    df = family(rng, phi, delta, months)
    y = df["y"].to_numpy().reshape(N_CHARTS, N_MONTHS)
    d = pd.DatetimeIndex(df["d"].iloc[:N_MONTHS])
    # as laney.screen screens XmR charts (their values, one level, seasonal terms, a
    # shared persistence from 5 charts), without drawing the charts
    t = screen_series({f"C{i:02d}": (d, y[i]) for i in range(N_CHARTS)}, n_sim=n_sim)
    p = t["p_value"].to_numpy()
    return (p, _bh(p)), old_screen(y)


def calibration(families: int = 200, n_sim: int = 2000, seed: int = SEED,
                phis=PHIS, shifts=SHIFTS, progress: bool = False) -> pd.DataFrame:
    """The table of the module docstring, one row per (phi, shift)."""
    rows = []
    t0 = time.time()
    for phi in phis:
        for delta, months in ((0.0, 0), *shifts):
            rng = np.random.default_rng([seed, int(phi * 100), int(delta * 10), months])
            chart = fam = old_chart = old_fam = 0.0
            for _ in range(families):
                (p, kept), (old_p, old_kept) = one(rng, phi, delta, months, n_sim)
                if delta:
                    chart += float(p[0] < 0.05)
                    fam += float(kept[0])
                    old_chart += float(old_p[0] < 0.05)
                    old_fam += float(old_kept[0])
                else:
                    chart += float((p < 0.05).mean())
                    fam += float(kept.any())
                    old_chart += float((old_p < 0.05).mean())
                    old_fam += float(old_kept.any())
            if progress:
                print(f"phi {phi} shift {delta} x {months}: {time.time() - t0:.0f} s",
                      flush=True)
            rows.append({"phi": phi, "shift_sd": delta, "shift_months": months,
                         "families": families, "chart p<5%": chart / families,
                         "family flags": fam / families,
                         "old chart p<5%": old_chart / families,
                         "old family flags": old_fam / families})
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame) -> str:
    """The table as the markdown of docs/spc_funnel.md."""
    head = ("| month-to-month correlation | shift (sd) | for (months) | chart p < 5% "
            "| family: flagged at FDR 5% | before: chart p < 5% | before: family flagged |\n"
            "|---|---|---|---|---|---|---|\n")
    lines = []
    for _, r in table.iterrows():
        shift = "none (in control)" if r["shift_sd"] == 0 else f"{r['shift_sd']:g}"
        months = "" if r["shift_sd"] == 0 else f"{int(r['shift_months'])}"
        lines.append(f"| {r['phi']:g} | {shift} | {months} | {r['chart p<5%']:.3f} "
                     f"| {r['family flags']:.3f} | {r['old chart p<5%']:.3f} "
                     f"| {r['old family flags']:.3f} |")
    return head + "\n".join(lines)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--families", type=int, default=200)
    ap.add_argument("--n-sim", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args(argv)
    t0 = time.time()
    table = calibration(args.families, args.n_sim, args.seed, progress=True)
    print(markdown(table))
    print(f"\n{args.families} families of {N_CHARTS} charts x {N_MONTHS} months per row; "
          f"{time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
