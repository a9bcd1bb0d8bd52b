"""Calibration of the SPC screen by simulation: false signals in control, detection of shifts.

Families of charts of one measure (20 providers x 36 months by default) are simulated
with a seasonal pattern (a winter peak of 0.8 sd) and AR(1) month-to-month correlation
``phi`` (0 and 0.3), all in control, or with one chart shifted by ``delta`` marginal sd
for its last ``months`` months. Each family is screened as notebook 04 screens its
charts (:func:`workbench.analysis.monitoring.laney.screen` on XmR charts: a shared
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
import warnings

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from workbench.analysis.monitoring.laney import screen
from workbench.analysis.monitoring.screening import simulate_ar1
from workbench.analysis.monitoring.spc import TrialLimitsWarning, spc

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


def old_screen(res) -> pd.DataFrame:
    """The screen of before: each chart's largest |z'| under independence (Sidak), BH."""
    t = res.table
    half = (t["upl"] - t["mean"]).to_numpy()
    zp = 3 * (t["value"] - t["mean"]).to_numpy() / np.where(half > 0, half, 1)
    rows = []
    for fac, g in t.assign(_zp=zp).groupby("facet", sort=False):
        m = float(np.abs(g["_zp"]).max())
        p = float(-np.expm1(len(g) * np.log1p(-min(2 * stats.norm.sf(m), 1 - 1e-16))))
        rows.append({"facet": fac, "p_value": p})
    out = pd.DataFrame(rows)
    out["survives_fdr"] = multipletests(out["p_value"], method="fdr_bh")[1] < 0.05
    return out


def one(rng, phi, delta=0.0, months=0, n_sim=2000):
    df = family(rng, phi, delta, months)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TrialLimitsWarning)
        res = spc(df, "y", "d", facet="c", screen_outliers=False)
    new = screen(res, n_sim=n_sim).table
    old = old_screen(res)
    return new, old


def calibration(families: int = 200, n_sim: int = 2000, seed: int = SEED,
                phis=PHIS, shifts=SHIFTS) -> pd.DataFrame:
    """The table of the module docstring, one row per (phi, shift)."""
    rows = []
    for phi in phis:
        for delta, months in ((0.0, 0), *shifts):
            rng = np.random.default_rng([seed, int(phi * 100), int(delta * 10), months])
            chart = fam = old_chart = old_fam = 0.0
            for _ in range(families):
                new, old = one(rng, phi, delta, months, n_sim)
                if delta:
                    chart += float(new["p_value"].iloc[0] < 0.05)
                    fam += float(new["survives_fdr"].iloc[0])
                    old_chart += float(old["p_value"].iloc[0] < 0.05)
                    old_fam += float(old["survives_fdr"].iloc[0])
                else:
                    chart += float((new["p_value"] < 0.05).mean())
                    fam += float(new["survives_fdr"].any())
                    old_chart += float((old["p_value"] < 0.05).mean())
                    old_fam += float(old["survives_fdr"].any())
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
    table = calibration(args.families, args.n_sim, args.seed)
    print(markdown(table))
    print(f"\n{args.families} families of {N_CHARTS} charts x {N_MONTHS} months per row; "
          f"{time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
