"""Contrasts between the standardised effects of one joint model (the main-driver claim).

:func:`driver_contrasts` is used by the register's main-driver claim on the panel
(:mod:`workbench.analysis.claims.assessment`) and on a cross-section of trusts
(:mod:`workbench.analysis.claims.constructs`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from workbench.analysis.models import fit as md


def driver_contrasts(fit: md.Fit, main: str, level: float = 0.95) -> list[dict]:
    """Size of ``main``'s standardised effect minus each other exposure's, with intervals.

    For each other exposure j the contrast is s_m |b_m| SD_m - s_j |b_j| SD_j, written as
    the linear contrast g'b with g_m = sign(b_m) SD_m and g_j = -sign(b_j) SD_j (signs
    and SDs taken as fixed), its variance g'Vg from the fit's clustered covariance and a
    t interval with G-1 degrees of freedom (the delta method for a linear function).

    >>> from workbench.data.synth import generate
    >>> fit = md.fit(md.ModelSpec("fft_pct_positive", ("rtt_median_weeks",
    ...     "nurse_fte_per_10_beds")), generate(seed=3, n_providers=80, n_months=12).panel)
    >>> [c["other"] for c in driver_contrasts(fit, "rtt_median_weeks")]
    ['nurse_fte_per_10_beds']
    """
    b = pd.Series(fit.result.params)
    V = pd.DataFrame(fit.result.cov_params())
    df = fit.clusters - 1
    tq = stats.t.ppf(1 - (1 - level) / 2, df)
    out = []
    for other in [e for e in fit.spec.exposures if e != main]:
        g = pd.Series(0.0, index=b.index)
        g[main] = np.sign(b[main]) * float(fit.data[main].std())
        g[other] = -np.sign(b[other]) * float(fit.data[other].std())
        est = float(g @ b)
        se = float(np.sqrt(g @ V @ g))
        p = float(2 * stats.t.sf(abs(est / se), df)) if se > 0 else float("nan")
        out.append({"main": main, "other": other, "estimate": est, "se": se,
                    "ci_low": est - tq * se, "ci_high": est + tq * se, "p_value": p, "df": df})
    return out
