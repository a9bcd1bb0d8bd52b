"""Does staffing raise satisfaction partly by shortening waits? Mediation analysis.

Staffing (exposure) -> RTT median wait (mediator) -> FFT % positive (outcome).
Two linear models are fitted on the same rows:

    mediator model   wait = a * staffing + controls                     (path a)
    outcome model    FFT  = c' * staffing + b * wait + controls (+ extra)  (paths c', b)

and the effects are

    indirect (through waits)   a * b
    direct                     c'
    total                      c' + a * b       (equals the coefficient of staffing in a
                                                 model of FFT without the mediator)

Why the product of coefficients with a cluster bootstrap, and not statsmodels' ``Mediation``
    Both models are linear with no exposure-mediator interaction, so the average causal
    mediation effect of statsmodels' ``Mediation`` (Imai, Keele & Tingley 2010) is exactly
    ``a * b``: simulating potential outcomes adds Monte Carlo noise and time, nothing else.
    The panel has ~36 months per provider with provider-level shocks; ``Mediation``'s
    ``parametric`` method draws coefficients from the model-based (independent-rows)
    covariance and its ``boot`` method resamples rows, both of which understate the
    uncertainty of a clustered panel. Resampling whole providers keeps each provider's
    months together, and the interval of ``a * b`` is taken from the bootstrap percentiles
    because the product is not normally distributed (the Sobel interval is given too,
    for comparison). The bootstrap is computed from per-provider cross-products, so
    thousands of replicates take well under a second: each replicate's X'X and X'y are
    the per-provider sums weighted by how often the provider was drawn (no rows are
    copied), and the month dummies are never built as columns: month effects are
    partialled out through the Schur complement of their diagonal block, so the
    per-provider sums take g x p x months memory, not rows x k x k.

:func:`statsmodels_mediation` remains available, unchanged, for models where the product
of coefficients is wrong (a binary outcome, a probit link, an exposure-mediator
interaction): it is a thin wrapper of statsmodels' ``Mediation`` and reproduces it
exactly for the same seed and settings.

Sector as a moderator
    :func:`moderated_mediation` estimates the paths separately for NHS trusts and
    independent hospitals (every coefficient allowed to differ by sector) with the same
    provider draws, and reports the difference of the indirect effects (the index of
    moderated mediation) with its bootstrap interval.

Assumptions (see docs/methods.md): no unmeasured confounding of staffing-wait,
staffing-satisfaction and wait-satisfaction given the controls; no control is itself
affected by staffing; linear, additive effects.

Sensitivity to mediator-outcome confounding
    Even with staffing randomised, an unmeasured cause of both waits and satisfaction
    (management quality) biases b. :func:`mediator_sensitivity` follows Imai, Keele &
    Yamamoto (2010, *Statistical Science* 25:51-71): rho is the correlation between the
    errors of the mediator and outcome models that such a confounder would induce. In
    linear models b(rho) = b - rho * s_y / (s_m * sqrt(1 - rho^2)) (s_m, s_y: residual
    SDs of the two models), so the indirect effect is a * b(rho); it is zero at
    rho_0 = b s_m / sqrt(b^2 s_m^2 + s_y^2) (Imai et al.'s rho~, their Theorem 2), and the
    bootstrap interval of a * b(rho) (same provider draws) first includes zero at
    ``rho_ci``. rho^2 is the product of the shares of residual variance of the mediator
    and of the outcome the confounder would explain.

Example
-------
>>> from workbench.data.synth import generate
>>> panel = generate(seed=3, n_providers=60, n_months=12).panel
>>> res = mediate_panel(panel, n_boot=200, seed=1)
>>> [f.id.split(":")[0] for f in res.findings()]
['indirect', 'direct', 'total']
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workbench.analysis.findings import formatting, wording
from workbench.analysis.findings.record import Finding, FindingId, Findings
from workbench.analysis.models import fit as md
from workbench.data import measures as M
from workbench.errors import AnalysisInputError, NotEstimableError

#: Effects reported by :func:`product_of_coefficients`, in order.
EFFECTS: tuple[str, ...] = ("indirect", "direct", "total", "proportion_mediated")


@dataclass
class MediationResult:
    """Point estimates, bootstrap draws and intervals of one mediation analysis.

    ``table`` has one row per effect (``indirect``, ``direct``, ``total``,
    ``proportion_mediated``) with ``estimate, ci_low, ci_high, p_value, se``;
    ``paths`` holds ``a``, ``b``, ``c_prime`` with model-based standard errors and the
    Sobel interval of ``a * b``; ``draws`` the bootstrap draws (one column per effect).
    """

    exposure: str
    mediator: str
    outcome: str
    table: pd.DataFrame
    paths: dict[str, float]
    draws: pd.DataFrame
    n: int
    clusters: int
    n_boot: int
    seed: int | None
    subset: str = "all"
    formulas: tuple[str, str] = ("", "")
    warnings: list[str] = field(default_factory=list)
    interval: str = "bca"
    sensitivity: dict = field(default_factory=dict)

    def findings(self, question: str | None = None) -> Findings:
        """The indirect, direct and total effects as findings (``question`` by default: how
        much of the exposure's effect runs through the mediator).

        Ids: ``indirect:<exposure>-><mediator>-><outcome>@<subset>``,
        ``direct:<exposure>-><outcome>@<subset>``, ``total:<exposure>-><outcome>@<subset>``
        (the keys of the synthetic generator's truth).
        """
        q = question or (f"How much of the effect of {M.label(self.exposure)} on "
                         f"{M.label(self.outcome)} runs through {M.label(self.mediator)}?")
        path = f"{self.exposure}->{self.mediator}"
        ids = {
            "indirect": str(FindingId("indirect", self.outcome, path, self.subset)),
            "direct": str(FindingId("direct", self.outcome, self.exposure, self.subset)),
            "total": str(FindingId("total", self.outcome, self.exposure, self.subset)),
        }
        unit = _unit(self.exposure, self.outcome)
        out = []
        for effect, fid in ids.items():
            row = self.table.loc[effect]
            f = Finding(id=fid, question=q, estimate=float(row["estimate"]),
                        ci_low=float(row["ci_low"]), ci_high=float(row["ci_high"]),
                        p_value=float(row["p_value"]), n=self.n, unit=unit,
                        model=f"mediation (product of coefficients, {self.n_boot} "
                              f"{'cluster ' if self.clusters < self.n else ''}bootstrap, "
                              f"{self.interval})",
                        formula=" ; ".join(self.formulas), sector=self.subset,
                        clusters=self.clusters, warning="; ".join(self.warnings),
                        parameters={"n_boot": self.n_boot, "seed": self.seed},
                        estimate_kind="estimate")  # a model value: shown as it is
            f.sentence = _sentence(effect, f, self)
            if effect == "indirect" and self.sensitivity:
                f.sensitivity = dict(self.sensitivity)
                s = self.sensitivity
                f.sentence += (f" A confounder of {M.label(self.mediator)} and "
                               f"{M.label(self.outcome)} would explain it away at an error "
                               f"correlation rho = {formatting.fixed(s['rho_zero'], sign=True)} "
                               f"(Imai, Keele & Yamamoto 2010); its interval includes zero from "
                               f"rho = {formatting.fixed(s['rho_ci'], sign=True)}.")
            out.append(f)
        return Findings(out)


def _outcome_unit(outcome: str) -> str:
    om = M.MEASURES.get(outcome)
    return "percentage points" if om is not None and om.unit == "%" else (
        om.unit if om else "outcome units")


def _unit(exposure: str, outcome: str) -> str:
    em = M.MEASURES.get(exposure)
    ou = _outcome_unit(outcome)
    return f"{ou} per {wording.singular(em.unit) if em else 'unit of ' + exposure}"


def _sentence(effect: str, f: Finding, r: MediationResult) -> str:
    mediator = wording.plain_label(r.mediator)
    what = {"indirect": f"through {mediator}", "direct": f"not through {mediator}",
            "total": "in total"}[effect]
    em, label = M.MEASURES.get(r.exposure), wording.plain_label(r.outcome)
    per = em.per_unit if em else f"unit of {r.exposure}"
    return (f"{label} {'were' if label.endswith('s') else 'was'} "
            f"{wording.change(f.estimate, f.ci_low, f.ci_high, _outcome_unit(r.outcome))} "
            f"for each extra {per}, {what}.")


# ---- the core estimator --------------------------------------------------------------

class _Design:
    """A design ``[1, columns, month dummies]`` kept as its numeric part ``Z`` and the
    month codes (the dummies, first month dropped, are never built as columns).
    """

    def __init__(self, data: pd.DataFrame, columns: list[str], months: pd.Series | None):
        self.Z = np.column_stack([np.ones(len(data)), data[columns].to_numpy(dtype=float)])
        if months is None:
            self.month, self.m = None, 0
        else:
            cat = pd.Categorical(months)
            self.month = cat.codes.astype(np.int64) - 1   # -1: the first (dropped) month
            self.m = len(cat.categories) - 1

    @property
    def k(self) -> int:
        return self.Z.shape[1] + self.m

    def fitted(self, beta_z: np.ndarray, beta_d: np.ndarray) -> np.ndarray:
        out = self.Z @ beta_z
        if self.m:
            rows = self.month >= 0
            out[rows] += beta_d[self.month[rows]]
        return out


class _Sums:
    """Per-cluster cross-products of a :class:`_Design` and an outcome: Z'Z (g, p, p),
    Z'y (g, p), Z'D (g, p, m), D'D (g, m; diagonal, as month dummies never overlap) and
    D'y (g, m). Built with ``numpy.bincount``: memory of order g x p x m, never rows x k x k.
    """

    def __init__(self, design: _Design, y: np.ndarray, codes: np.ndarray, g: int):
        Z, p, m, g = design.Z, design.Z.shape[1], int(design.m), int(g)
        codes = np.asarray(codes, dtype=np.int64)
        self.p, self.m, self.g = p, m, g
        zz = np.empty((g, p, p))
        for a in range(p):
            for b in range(a, p):
                zz[:, a, b] = zz[:, b, a] = np.bincount(codes, Z[:, a] * Z[:, b], minlength=g)
        zy = np.column_stack([np.bincount(codes, Z[:, a] * y, minlength=g) for a in range(p)])
        zd, dd, dy = np.zeros((g, p, m)), np.zeros((g, m)), np.zeros((g, m))
        if m:
            rows = design.month >= 0
            key = codes[rows] * m + design.month[rows]
            for a in range(p):
                zd[:, a, :] = np.bincount(key, Z[rows, a], minlength=g * m).reshape(g, m)
            dd = np.bincount(key, minlength=g * m).reshape(g, m).astype(float)
            dy = np.bincount(key, y[rows], minlength=g * m).reshape(g, m)
        self.flat = np.hstack([zz.reshape(g, -1), zy, zd.reshape(g, -1), dd, dy])

    def unpack(self, flat: np.ndarray):
        """(Z'Z, Z'y, Z'D, D'D, D'y) from rows of :attr:`flat` (sums over clusters)."""
        p, m = self.p, self.m
        lead = flat.shape[:-1]
        i = np.cumsum([0, p * p, p, p * m, m, m])
        return (flat[..., i[0]:i[1]].reshape(*lead, p, p), flat[..., i[1]:i[2]],
                flat[..., i[2]:i[3]].reshape(*lead, p, m), flat[..., i[3]:i[4]],
                flat[..., i[4]:i[5]])

    def solve(self, flat: np.ndarray) -> np.ndarray:
        """Coefficients of ``Z`` (month effects partialled out through the Schur
        complement of the diagonal D'D) for each row of summed cross-products.
        """
        zz, zy, zd, dd, dy = self.unpack(flat)
        if self.m:
            inv_d = np.where(dd > 0, 1.0 / np.where(dd > 0, dd, 1.0), 0.0)
            zz = zz - np.einsum("...am,...m,...bm->...ab", zd, inv_d, zd)
            zy = zy - np.einsum("...am,...m->...a", zd, inv_d * dy)
        return _solve(zz, zy)

    def month_effects(self, flat: np.ndarray, beta_z: np.ndarray) -> np.ndarray:
        """The month coefficients belonging to ``beta_z`` (one row of sums)."""
        _, _, zd, dd, dy = self.unpack(flat)
        return (dy - beta_z @ zd) / np.where(dd > 0, dd, 1.0) if self.m else np.zeros(0)


def _solve(xtx: np.ndarray, xty: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(xtx, xty[..., None])[..., 0]
    except np.linalg.LinAlgError:
        return np.stack([np.linalg.lstsq(a, b, rcond=None)[0] for a, b in zip(xtx, xty)])


def _ols_se(sums: _Sums, total: np.ndarray, resid: np.ndarray, n: int, k: int, j: int):
    """Model-based (independent rows) standard error of coefficient ``j`` of ``Z``: the
    Z block of (X'X)^-1 is the inverse of the Schur complement.
    """
    zz, _, zd, dd, _ = sums.unpack(total)
    if sums.m:
        zz = zz - np.einsum("am,m,bm->ab", zd, np.where(dd > 0, 1.0 / np.where(dd > 0, dd, 1),
                                                          0.0), zd)
    dof = max(n - k, 1)
    cov = np.linalg.pinv(zz) * float(resid @ resid) / dof
    return float(np.sqrt(cov[j, j]))


def _check_columns(data: pd.DataFrame, role_columns: dict[str, list[str]], function: str):
    for role, cols in role_columns.items():
        for c in cols:
            if c not in data.columns:
                raise AnalysisInputError(function, f"{role} {c!r}", "is not a column of the data",
                                         expected=f"one of {list(data.columns)[:12]}...")
            if not pd.api.types.is_numeric_dtype(data[c]):
                raise AnalysisInputError(function, f"{role} {c!r}",
                                         f"is not numeric (dtype {data[c].dtype})",
                                         expected="a numeric column")


def product_of_coefficients(data: pd.DataFrame, exposure: str, mediator: str, outcome: str, *,
                            adjust: tuple[str, ...] = (), outcome_adjust: tuple[str, ...] = (),
                            cluster: str | None = None, time: str | None = None,
                            n_boot: int = 2000, seed: int | None = 0, level: float = 0.95,
                            interval: str = "bca", subset: str = "all") -> MediationResult:
    """Direct, indirect and total effects by the product of coefficients, with a bootstrap.

    Parameters
    ----------
    data : DataFrame
        One row per observation; rows with a missing value in any used column are dropped.
    exposure, mediator, outcome : str
        Column names.
    adjust : tuple of str
        Controls in both models (confounders).
    outcome_adjust : tuple of str
        Extra controls in the outcome model only (causes of the outcome alone).
    cluster : str, optional
        Resample whole clusters (e.g. ``"provider_code"``); ``None`` resamples rows.
    time : str, optional
        A column whose levels enter both models as dummies (e.g. month).
    n_boot, seed, level
        Bootstrap replicates, seed of ``numpy.random.default_rng``, interval level.
    interval : ``"bca"`` or ``"percentile"``
        Bias-corrected and accelerated (Efron 1987; acceleration from the
        leave-one-cluster-out jackknife) or plain percentile intervals for the indirect,
        direct and total effects. BCa corrects for the skew of the product ``a * b``,
        which percentile intervals leave in (MacKinnon, Lockwood & Williams 2004).
        ``proportion_mediated`` (indirect / total) always gets a percentile interval:
        its jackknife acceleration is unstable whenever the total effect can approach
        zero.

    p-values are two-sided bootstrap p-values (smallest possible 1/n_boot).

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=500); m = 0.5 * x + rng.normal(size=500)
    >>> y = 0.3 * x + 0.4 * m + rng.normal(size=500)
    >>> r = product_of_coefficients(pd.DataFrame({"x": x, "m": m, "y": y}), "x", "m", "y",
    ...                             n_boot=500)
    >>> bool(abs(r.table.loc["indirect", "estimate"] - 0.2) < 0.05)
    True
    """
    fn = "product_of_coefficients"
    adjust, outcome_adjust = tuple(adjust), tuple(outcome_adjust)
    _check_columns(data, {"exposure": [exposure], "mediator": [mediator], "outcome": [outcome],
                          "adjust": list(adjust), "outcome_adjust": list(outcome_adjust)}, fn)
    if len({exposure, mediator, outcome}) < 3:
        raise AnalysisInputError(fn, "exposure/mediator/outcome",
                                 f"must be three different columns, got {exposure!r}, "
                                 f"{mediator!r}, {outcome!r}")
    if interval not in ("bca", "percentile"):
        raise AnalysisInputError(fn, "interval", f"is {interval!r}",
                                 expected="'bca' or 'percentile'")
    if not 0 < level < 1:
        raise AnalysisInputError(fn, "level", f"is {level}", expected="a number between 0 and 1")
    if n_boot < 100:
        raise AnalysisInputError(fn, "n_boot", f"is {n_boot}",
                                 expected="at least 100 bootstrap replicates")
    extra = [c for c in (cluster, time) if c]
    for c in extra:
        if c not in data.columns:
            raise AnalysisInputError(fn, f"column {c!r}", "is not in the data")
    used = list(dict.fromkeys([exposure, mediator, outcome, *adjust, *outcome_adjust, *extra]))
    df = data[used].dropna().reset_index(drop=True)
    notes: list[str] = []
    flat = [c for c in (exposure, mediator, *adjust, *outcome_adjust) if df[c].nunique() < 2]
    if flat:
        raise AnalysisInputError(fn, f"columns {flat}", "do not vary in the rows used",
                                 expected="drop them from the model")
    months = df[time].astype(str) if time else None
    Xm = _Design(df, [exposure, *adjust], months)
    Xo = _Design(df, [exposure, mediator, *adjust, *outcome_adjust], months)
    Xt = _Design(df, [exposure, *adjust, *outcome_adjust], months)
    ym, yo = df[mediator].to_numpy(float), df[outcome].to_numpy(float)
    if cluster:
        codes_all = df[cluster].astype("category").cat.codes.to_numpy()
    else:
        codes_all = np.arange(len(df))
    g = int(codes_all.max()) + 1
    if g < 20:
        raise NotEstimableError(fn, "cluster" if cluster else "data",
                                 f"has only {g} {'clusters' if cluster else 'rows'}",
                                 expected="at least 20 for a bootstrap interval")
    if cluster and g < 50:
        notes.append(f"only {g} clusters: bootstrap percentile intervals may be too narrow")

    parts = [_Sums(X, y, codes_all, g) for X, y in ((Xm, ym), (Xo, yo), (Xt, yo))]
    totals = [sp.flat.sum(0) for sp in parts]
    full = [sp.solve(t[None])[0] for sp, t in zip(parts, totals)]
    a_hat, b_hat, c_hat = full[0][1], full[1][2], full[1][1]
    total_hat = full[2][1]  # coefficient of the exposure without the mediator
    point = np.array([a_hat * b_hat, c_hat, c_hat + a_hat * b_hat,
                      a_hat * b_hat / (c_hat + a_hat * b_hat)])
    if abs(total_hat - (c_hat + a_hat * b_hat)) > 1e-6 * max(1.0, abs(total_hat)) and \
            not outcome_adjust:
        notes.append("total effect differs from direct + indirect (collinear controls?)")

    rng = np.random.default_rng(seed)
    draws = np.empty((n_boot, 4))
    ab_draws = np.empty((n_boot, 2))
    chunk = 500
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        counts = np.stack([np.bincount(rng.integers(0, g, g), minlength=g) for _ in range(b)])
        counts = counts.astype(float)
        est = [sp.solve(counts @ sp.flat) for sp in parts[:2]]
        a_b, b_b, c_b = est[0][:, 1], est[1][:, 2], est[1][:, 1]
        ab_draws[start:start + b] = np.column_stack([a_b, b_b])
        ind = a_b * b_b
        tot = c_b + ind
        with np.errstate(divide="ignore", invalid="ignore"):
            draws[start:start + b] = np.column_stack([ind, c_b, tot, ind / tot])
    alpha = (1 - level) / 2
    jack = _jackknife(parts, g) if interval == "bca" else None
    rows = []
    for j, name in enumerate(EFFECTS):
        d = draws[:, j]
        d = d[np.isfinite(d)]
        probs = [alpha, 1 - alpha]
        if jack is not None and name != "proportion_mediated":
            probs = _bca_probs(d, point[j], jack[:, j], alpha)
        lo, hi = np.quantile(d, probs)
        p = min(1.0, 2 * min(np.mean(d <= 0), np.mean(d >= 0)))
        rows.append({"effect": name, "estimate": point[j], "ci_low": lo, "ci_high": hi,
                     "p_value": max(p, 1.0 / n_boot), "se": float(np.std(d, ddof=1))})
    table = pd.DataFrame(rows).set_index("effect")
    resid_m = ym - Xm.fitted(full[0], parts[0].month_effects(totals[0], full[0]))
    resid_o = yo - Xo.fitted(full[1], parts[1].month_effects(totals[1], full[1]))
    se_a = _ols_se(parts[0], totals[0], resid_m, len(df), Xm.k, 1)
    se_b = _ols_se(parts[1], totals[1], resid_o, len(df), Xo.k, 2)
    sobel_se = float(np.sqrt(a_hat ** 2 * se_b ** 2 + b_hat ** 2 * se_a ** 2))
    z = float(_norm_ppf(1 - alpha))
    paths = {"a": float(a_hat), "se_a": se_a, "b": float(b_hat), "se_b": se_b,
             "c_prime": float(c_hat), "total": float(total_hat), "sobel_se": sobel_se,
             "sobel_ci_low": float(a_hat * b_hat - z * sobel_se),
             "sobel_ci_high": float(a_hat * b_hat + z * sobel_se)}
    ctrl = " + ".join([*adjust] + ([f"C({time})"] if time else []))
    ctrl = f" + {ctrl}" if ctrl else ""
    octrl = "".join(f" + {c}" for c in outcome_adjust)
    formulas = (f"{mediator} ~ {exposure}{ctrl}", f"{outcome} ~ {exposure} + {mediator}{ctrl}{octrl}")
    s_m = float(np.std(resid_m, ddof=Xm.k))
    s_y = float(np.std(resid_o, ddof=Xo.k))
    sens = mediator_sensitivity(float(a_hat), float(b_hat), s_m, s_y, ab_draws, level=level)
    return MediationResult(exposure=exposure, mediator=mediator, outcome=outcome, table=table,
                           paths=paths, draws=pd.DataFrame(draws, columns=list(EFFECTS)),
                           n=len(df), clusters=g, n_boot=int(n_boot), seed=seed,
                           subset=subset, formulas=formulas, warnings=notes, interval=interval,
                           sensitivity=sens)


def mediator_sensitivity(a: float, b: float, s_m: float, s_y: float,
                         ab_draws: np.ndarray | None = None, *, level: float = 0.95,
                         grid: np.ndarray | None = None) -> dict:
    """Indirect effect a * b(rho) under mediator-outcome error correlation rho (see the
    module; Imai, Keele & Yamamoto 2010).

    Returns ``rho_zero`` (where the indirect effect is zero), ``rho_ci`` (the rho nearest
    zero, on the same side, where the percentile interval from ``ab_draws`` first
    includes zero; ``rho_zero`` without draws) and ``curve`` (rho, indirect, ci_low,
    ci_high on a grid).

    >>> s = mediator_sensitivity(0.5, 0.4, 1.0, 1.0)
    >>> round(s["rho_zero"], 3), round(s["curve"][50]["indirect"], 3)
    (0.371, 0.2)
    """
    grid = np.linspace(-0.99, 0.99, 101) if grid is None else np.asarray(grid)
    k = s_y / (s_m * np.sqrt(1 - grid ** 2)) if s_m > 0 else np.zeros_like(grid)
    rho_zero = float(b * s_m / np.sqrt(b ** 2 * s_m ** 2 + s_y ** 2)) if s_m > 0 else 0.0
    curve, rho_ci = [], rho_zero
    alpha = (1 - level) / 2
    for r, kk in zip(grid, k):
        row = {"rho": float(r), "indirect": float(a * (b - r * kk))}
        if ab_draws is not None:
            d = ab_draws[:, 0] * (ab_draws[:, 1] - r * kk)
            row["ci_low"], row["ci_high"] = (float(q) for q in np.quantile(d, [alpha, 1 - alpha]))
        curve.append(row)
    if ab_draws is not None:
        side = np.sign(rho_zero) or 1.0
        for row in sorted(curve, key=lambda x: abs(x["rho"])):
            if np.sign(row["rho"]) in (0.0, side) and row["ci_low"] <= 0 <= row["ci_high"]:
                rho_ci = row["rho"]
                break
    return {"method": "mediator-outcome confounding rho (Imai, Keele & Yamamoto 2010)",
            "rho_zero": rho_zero, "rho_ci": float(rho_ci), "s_mediator": s_m,
            "s_outcome": s_y, "curve": curve}


def _jackknife(parts, g: int) -> np.ndarray:
    """Leave-one-cluster-out estimates of (indirect, direct, total), shape (g, 3)."""
    est = [sp.solve(sp.flat.sum(0)[None] - sp.flat) for sp in parts[:2]]
    ind = est[0][:, 1] * est[1][:, 2]
    return np.column_stack([ind, est[1][:, 1], est[1][:, 1] + ind])


def _bca_probs(draws: np.ndarray, estimate: float, jack: np.ndarray,
               alpha: float) -> list[float]:
    """Quantile levels of the BCa interval (bias correction z0, jackknife acceleration)."""
    from scipy.stats import norm

    share = np.mean(draws < estimate) + 0.5 * np.mean(draws == estimate)
    share = min(max(share, 1.0 / len(draws)), 1 - 1.0 / len(draws))
    z0 = norm.ppf(share)
    dev = jack.mean() - jack
    denom = 6.0 * np.sum(dev ** 2) ** 1.5
    acc = float(np.sum(dev ** 3) / denom) if denom > 0 else 0.0
    probs = []
    for z in norm.ppf([alpha, 1 - alpha]):
        probs.append(float(norm.cdf(z0 + (z0 + z) / (1 - acc * (z0 + z)))))
    return probs


def _norm_ppf(q: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(q))


# ---- the panel question ----------------------------------------------------------------

def _panel_rows(panel: pd.DataFrame, subset: str, columns: list[str]) -> pd.DataFrame:
    df = md.derive(panel, [c for c in columns if c not in panel.columns])
    df = md.select_subset(df, subset)
    if df.empty:
        raise AnalysisInputError("mediate_panel", "subset", f"{subset!r} has no rows in the panel",
                                 expected=f"one of {list(md.SUBSETS)} present in the panel")
    return df.assign(month=df["period"].dt.strftime("%Y-%m"))


def mediate_panel(panel: pd.DataFrame, *, subset: str = "acute",
                  exposure: str = "nurse_fte_per_10_beds", mediator: str = "rtt_median_weeks",
                  outcome: str = "fft_pct_positive", adjust: tuple[str, ...] | None = None,
                  outcome_adjust: tuple[str, ...] = ("staff_engagement_lag1",),
                  n_boot: int = 2000, seed: int = 0) -> MediationResult:
    """Staffing -> waits -> satisfaction on a provider x month panel.

    Both models have month effects and the case-mix controls (and, for ``acute``, the
    sector indicator); the outcome model also has staff engagement last month.
    Intervals come from resampling providers.

    >>> from workbench.data.synth import generate
    >>> r = mediate_panel(generate(seed=3, n_providers=60, n_months=12).panel, n_boot=200)
    >>> r.clusters
    31
    """
    if adjust is None:
        adjust = md.CASE_MIX + (("sector_independent",) if subset == "acute" else ())
    cols = [exposure, mediator, outcome, *adjust, *outcome_adjust]
    df = _panel_rows(panel, subset, cols)
    return product_of_coefficients(df, exposure, mediator, outcome, adjust=tuple(adjust),
                                   outcome_adjust=tuple(outcome_adjust),
                                   cluster="provider_code", time="month", n_boot=n_boot,
                                   seed=seed, subset=subset)


def moderated_mediation(panel: pd.DataFrame, *, moderator: str = "sector",
                        levels: tuple[str, str] = ("nhs", "independent"),
                        exposure: str = "nurse_fte_per_10_beds",
                        mediator: str = "rtt_median_weeks", outcome: str = "fft_pct_positive",
                        adjust: tuple[str, ...] = md.CASE_MIX,
                        outcome_adjust: tuple[str, ...] = ("staff_engagement_lag1",),
                        n_boot: int = 2000, seed: int = 0) -> Findings:
    """Mediation within each level of ``moderator`` and the difference of indirect effects.

    Every coefficient may differ between the two levels (the models are fitted
    separately); each level's providers are resampled with the same seed. Returns
    the indirect, direct and total findings of each level (ids ``...@nhs``,
    ``...@independent``) and ``moderation:<exposure>-><mediator>-><outcome>@<l1>-<l0>``:
    indirect effect in ``levels[1]`` minus that in ``levels[0]``, with a percentile
    interval from the paired bootstrap draws.

    >>> from workbench.data.synth import generate
    >>> fs = moderated_mediation(generate(seed=3, n_providers=120, n_months=12).panel,
    ...                          n_boot=200)
    >>> fs[-1].id
    'moderation:nurse_fte_per_10_beds->rtt_median_weeks->fft_pct_positive@independent-nhs'
    """
    if moderator not in panel.columns:
        raise AnalysisInputError("moderated_mediation", "moderator",
                                 f"{moderator!r} is not a column of the panel")
    acute = _panel_rows(panel, "acute", [exposure, mediator, outcome, *adjust, *outcome_adjust])
    present = set(acute[moderator].dropna().unique())
    missing = [lv for lv in levels if lv not in present]
    if missing:
        raise AnalysisInputError("moderated_mediation", "levels",
                                 f"{missing} not found in column {moderator!r}",
                                 expected=f"levels among {sorted(present)}")
    results, out = [], []
    for i, lv in enumerate(levels):
        r = product_of_coefficients(acute[acute[moderator] == lv], exposure, mediator, outcome,
                                    adjust=tuple(adjust), outcome_adjust=tuple(outcome_adjust),
                                    cluster="provider_code", time="month", n_boot=n_boot,
                                    seed=None if seed is None else seed + i, subset=lv)
        results.append(r)
        out += r.findings()
    d = results[1].draws["indirect"].to_numpy() - results[0].draws["indirect"].to_numpy()
    est = (results[1].table.loc["indirect", "estimate"]
           - results[0].table.loc["indirect", "estimate"])
    lo, hi = np.quantile(d, [0.025, 0.975])
    p = max(min(1.0, 2 * min(np.mean(d <= 0), np.mean(d >= 0))), 1.0 / n_boot)
    fid = str(FindingId("moderation", outcome, f"{exposure}->{mediator}",
                        f"{levels[1]}-{levels[0]}"))
    f = Finding(id=fid, question=f"Is the indirect effect through {M.label(mediator)} different "
                                 f"for {levels[1]} and {levels[0]} providers?",
                estimate=float(est), ci_low=float(lo), ci_high=float(hi), p_value=float(p),
                n=results[0].n + results[1].n, unit=_unit(exposure, outcome),
                model=f"moderated mediation ({n_boot} cluster bootstrap per {moderator})",
                formula=" ; ".join(results[0].formulas), sector="acute",
                clusters=results[0].clusters + results[1].clusters,
                warning="; ".join(results[0].warnings + results[1].warnings),
                parameters={"n_boot": n_boot, "seed": seed, "moderator": moderator},
                estimate_kind="estimate")
    est_text, ci_text = formatting.estimate_interval(est, lo, hi, sign=True)
    f.sentence = (f"The indirect effect was {est_text} larger for {levels[1]} "
                  f"than for {levels[0]} providers (95% CI {ci_text}).")
    return Findings(out + [f])


# ---- statsmodels' Mediation, unchanged -----------------------------------------------------

def statsmodels_mediation(data: pd.DataFrame, outcome_formula: str, mediator_formula: str,
                          exposure: str, mediator: str, *, outcome_family=None,
                          moderators: dict | None = None, method: str = "parametric",
                          n_rep: int = 1000, seed: int | None = None,
                          outcome_fit_kwargs: dict | None = None) -> pd.DataFrame:
    """Statsmodels' ``Mediation`` from formulas; returns its ``summary()`` table.

    The outcome model is a GLM of ``outcome_family`` (an OLS model when ``None``), the
    mediator model OLS. ``seed`` seeds a ``numpy.random.RandomState`` passed to
    ``Mediation.fit`` so the same seed and settings give statsmodels' own numbers.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> d = pd.DataFrame({"t": rng.integers(0, 2, 300).astype(float)})
    >>> d["m"] = d.t + rng.normal(size=300); d["y"] = d.m + rng.normal(size=300)
    >>> s = statsmodels_mediation(d, "y ~ t + m", "m ~ t", "t", "m", n_rep=50, seed=1)
    >>> "ACME (average)" in s.index
    True
    """
    import statsmodels.api as sm
    from statsmodels.stats.mediation import Mediation

    if method not in ("parametric", "boot"):
        raise AnalysisInputError("statsmodels_mediation", "method", f"is {method!r}",
                                 expected="'parametric' or 'boot'")
    for name in (exposure, mediator):
        if name not in data.columns:
            raise AnalysisInputError("statsmodels_mediation", f"column {name!r}",
                                     "is not in the data")
    if outcome_family is None:
        outcome_model = sm.OLS.from_formula(outcome_formula, data)
    else:
        outcome_model = sm.GLM.from_formula(outcome_formula, data, family=outcome_family)
    mediator_model = sm.OLS.from_formula(mediator_formula, data)
    med = Mediation(outcome_model, mediator_model, exposure, mediator, moderators=moderators,
                    outcome_fit_kwargs=outcome_fit_kwargs)
    rng = np.random.RandomState(seed) if seed is not None else None
    return med.fit(method=method, n_rep=n_rep, rng=rng).summary()
