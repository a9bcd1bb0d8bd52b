"""Did the change work? Interrupted time series (segmented regression) for one provider or a group.

Model
-----
For month ``t`` (0 at the first month), the change month ``t0`` (the first month at or
after ``intervention``), ``D_t = 1{t >= t0}`` and ``k_t = (t - t0) D_t`` (months since the
change, 0 in the change month)::

    g(E[y_t]) = b0 + b1 t + b2 D_t + b3 k_t + season(month of t) [+ log exposure_t]

* ``family="gaussian"``: ``y`` the value itself (e.g. A&E % within 4 hours, RTT median
  weeks), identity link, ordinary least squares. ``b2`` (level change) and ``b3`` (slope
  change per month) are in the measure's unit.
* ``family="poisson"``: ``y`` counts (complaints) with ``exposure`` (episodes) as offset,
  log link. Reported as **rate ratios**: level ``exp(b2)``, slope ``exp(b3)`` per month.
  Overdispersion is handled by the sandwich covariance below, not by the Poisson variance.
* ``family="binomial"``: ``y`` successes out of ``trials`` (FFT positive responses out of
  responses), logit link. Level and slope are reported as **odds ratios** ``exp(b2)``,
  ``exp(b3)``; the effect at the horizon in **percentage points** (below).

``season`` is month-of-year dummies (``seasonality="months"``, 11 parameters, the default)
or ``K`` pairs of Fourier terms ``sin/cos(2 pi j month / 12), j = 1..K``
(``seasonality="fourier"``), or nothing (``None``).

The **effect at horizon h** (months after the change month) compares the fitted value with
the counterfactual (the same model without ``b2 D + b3 k``) at ``k = h``: ``b2 + b3 h``
(gaussian, in the measure's unit), ``exp(b2 + b3 h)`` (poisson, rate ratio), and
``100 [expit(eta_h) - expit(eta_h - b2 - b3 h)]`` (binomial, percentage points at that
month's fitted value; interval by the delta method).

Inference: every variance is the largest of three estimates of the same linear
combination, with t intervals on the residual degrees of freedom ``T - p``:

* **HAC**: Newey-West heteroscedasticity and autocorrelation consistent covariance,
  ``cov_type="HAC"`` in statsmodels with its ``T / (T - p)`` small-sample factor, Bartlett
  kernel, lag ``L = floor(4 (T/100)^(2/9))`` (Newey-West 1994; 3 for 36 months) unless
  ``hac_lags`` is given; it allows for autocorrelated errors.
* **HC2**: the leverage-adjusted heteroscedasticity-robust covariance (MacKinnon & White
  1985), residuals ``r_t / sqrt(1 - h_t)`` with ``h_t`` the diagonal of the (working-
  weighted) hat matrix; it is unbiased when the errors are uncorrelated, whatever the
  leverage (Bell & McCaffrey 2002). See :func:`hc2_covariance`.
* **AR(1)**: the covariance under first-order autoregressive errors, with the lag-1
  autocorrelation of the Pearson residuals corrected for the negative autocorrelation
  fitting itself induces (:func:`ar1_covariance`).

Why both: a 36-month series with 11 month dummies, a trend, a level and a slope has ``p =
15`` parameters, an average leverage of 0.42 and points of much higher leverage after the
change. There the fitted residuals are negatively autocorrelated even when the errors are
not (an artefact of fitting: ``E[r r'] = sigma^2 (I - H)``), so HAC alone is biased
downwards (its intervals covered inserted truths about 86-89% of the time in the
simulation study) and HC0/HC1 are too (the HC1 of statsmodels' GLM applies no ``T / (T -
p)`` factor: it is HC0). HC2 removes the leverage bias; HAC is the larger when the errors
are positively autocorrelated. But HAC with a short lag estimates the long-run variance
from those same residuals and falls far short when months are positively correlated: on
36-month gaussian series with AR(1) errors (300 series each), intervals of the level
change covered 89% at rho = 0.3 and 76% at 0.5 with max(HAC, HC2); with the AR(1)
estimate added, 93% and 85% (97% with independent months). Planned evaluations of six
trusts' FFT on the synthetic default (``plan_evaluation(..., method="its")``, no change)
raised false alarms in 18.3%, 10.2% and 11.3% of 1,000 simulations (14 months before and
10 after, 18/18, 24/12) before, and in 6.5%, 6.0% and 9.2% of 400 with it. The AR(1) estimate is a model of the error process, the other
two are not; taking the largest keeps each one's protection, and all three work
unchanged for the count and binomial GLMs. Slower drifts than AR(1) (a trend that bends)
are the model's mean shape being wrong, which no variance repairs: the comparison group
(difference in differences) is the answer to them.

Assumptions (see ``docs/improvement_evaluation.md``): the pre-change trend and seasonality
would have continued without the change; nothing else changed at the same time; the
change date is known and not anticipated; the model's mean shape (linear trend, fixed
seasonality) is right over the window.

Findings
--------
Ids (:class:`~workbench.finding_id.FindingId`), with ``subset`` the provider's code or
the group's name:

* ``its:level-><measure>@<subset>``: the level change ``b2`` (on the reported scale);
* ``its:slope-><measure>@<subset>``: the slope change ``b3`` per month;
* ``its:effect_h<h>-><measure>@<subset>``: the effect ``h`` months after the change month.

A finding's ``warning`` says when it should not be a headline: fewer than
:data:`MIN_POINTS` points before or after the change; a month missing in the series;
strong residual autocorrelation (lag-1 autocorrelation of the Pearson residuals of at
least :data:`STRONG_AUTOCORRELATION`); a horizon beyond the last month observed.

Example
-------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> d = pd.date_range("2022-01-01", periods=36, freq="MS")
>>> y = 70 + 0.1 * np.arange(36) + 3 * (d >= "2024-01-01") + rng.normal(0, 0.5, 36)
>>> res = interrupted_time_series(pd.DataFrame({"month": d, "ae": y}), "ae", "month",
...                               "2024-01-01", measure="ae_pct_within_4h", subset="R001")
>>> [f.id for f in res.findings()]
['its:level->ae_pct_within_4h@R001', 'its:slope->ae_pct_within_4h@R001', 'its:effect_h6->ae_pct_within_4h@R001']
>>> f = res.findings()[0]
>>> bool(f.ci_low < 3 < f.ci_high)
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from workbench.analysis.findings import formatting, wording
from workbench.analysis.findings.record import Finding, Findings, with_question
from workbench.data import measures as M
from workbench.errors import AnalysisInputError
from workbench.finding_id import FindingId

#: Fewest points before and after the change for a finding to be a headline.
MIN_POINTS = 8
#: Lag-1 autocorrelation of the residuals at or above which a finding is flagged.
STRONG_AUTOCORRELATION = 0.4
FAMILIES = ("gaussian", "poisson", "binomial")
SEASONALITIES = ("months", "fourier", None)
#: Label of a group of providers when none is given.
DEFAULT_GROUP = "group"

__all__ = ["ITSResult", "ar1_covariance", "hc2_covariance", "interrupted_time_series", "its_finding_id",
           "newey_west_lags"]


def newey_west_lags(n: int) -> int:
    """The Newey-West (1994) rule of thumb for the HAC lag: ``floor(4 (n/100)^(2/9))``.

    >>> newey_west_lags(36), newey_west_lags(100)
    (3, 4)
    """
    return math.floor(4 * (n / 100) ** (2 / 9))


def hc2_covariance(X: np.ndarray, residuals: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """HC2 sandwich covariance of a (generalised) linear model with canonical link.

    ``B = (X' W X)^-1`` with ``W = diag(weights)`` (1 for least squares, ``mu`` for
    Poisson, ``n p (1 - p)`` for binomial), leverages ``h = diag(W^1/2 X B X' W^1/2)``,
    and ``B X' diag(r^2 / (1 - h)) X B`` with ``r`` the raw residuals (``y - mu`` on the
    count scale). Unbiased under uncorrelated errors of any variance for least squares
    (MacKinnon & White 1985); the same leverage correction for a GLM's score.

    >>> import statsmodels.api as sm
    >>> X = np.column_stack([np.ones(6), np.arange(6.0)])
    >>> ols = sm.OLS(np.array([1.0, 2.5, 2.2, 3.9, 3.1, 4.8]), X).fit(cov_type="HC2")
    >>> bool(np.allclose(hc2_covariance(X, ols.resid, np.ones(6)), ols.cov_params()))
    True
    """
    X = np.asarray(X, dtype=float)
    r = np.asarray(residuals, dtype=float)
    w = np.asarray(weights, dtype=float)
    B = np.linalg.pinv(X.T @ (w[:, None] * X))
    h = np.einsum("ij,jk,ik->i", X, B, X) * w
    s = X * (r / np.sqrt(np.clip(1 - h, 1e-12, None)))[:, None]
    return B @ (s.T @ s) @ B


def ar1_covariance(X: np.ndarray, residuals: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Covariance of a (generalised) linear model's coefficients when its errors follow a
    first-order autoregression: ``B X' W^1/2 (phi R) W^1/2 X B`` with ``B = (X' W X)^-1``,
    ``phi`` the Pearson dispersion (``sum r_p^2 / (T - p)``, so overdispersion counts),
    and ``R[s, t] = rho^|s - t|``. ``rho`` is the lag-1 autocorrelation of the Pearson
    residuals ``r_p`` corrected for what fitting does to it: residuals of a model with
    ``p`` parameters are negatively autocorrelated even when the errors are not, by
    ``tr(M A M) / (T - p)`` exactly (``M = I - H`` the residual maker, ``A`` the
    symmetric lag-1 matrix), which is added back; a negative ``rho`` counts as 0 and it
    is capped at 0.9. Rows are consecutive months (a missing month shortens the lag).

    HAC with Newey-West's lag (3 for 36 months) estimates the long-run variance from the
    fitted residuals of a 15-parameter model; with positively autocorrelated errors it
    falls far short (intervals of the level change covered 76% at rho = 0.5, 87% at 0.3).

    >>> rng = np.random.default_rng(0)
    >>> X = np.column_stack([np.ones(40), np.arange(40.0)])
    >>> e = np.zeros(40)
    >>> for t in range(1, 40):
    ...     e[t] = 0.7 * e[t - 1] + rng.normal()
    >>> V = ar1_covariance(X, e - X @ np.linalg.lstsq(X, e, rcond=None)[0], np.ones(40))
    >>> bool(V[1, 1] > hc2_covariance(X, e - X @ np.linalg.lstsq(X, e, rcond=None)[0],
    ...                               np.ones(40))[1, 1])
    True
    """
    X = np.asarray(X, dtype=float)
    w = np.asarray(weights, dtype=float)
    pearson = np.asarray(residuals, dtype=float) / np.sqrt(w)
    T, p = X.shape
    Wx = np.sqrt(w)[:, None] * X
    B = np.linalg.pinv(Wx.T @ Wx)
    M = np.eye(T) - Wx @ B @ Wx.T
    A = np.zeros((T, T))
    i = np.arange(T - 1)
    A[i, i + 1] = A[i + 1, i] = 0.5
    ss = float(pearson @ pearson)
    if T - p < 2 or ss == 0:
        return np.zeros((p, p))
    r1 = float(pearson[:-1] @ pearson[1:]) / ss
    rho = float(np.clip(r1 - np.trace(M @ A @ M) / (T - p), 0.0, 0.9))
    t = np.arange(T)
    R = rho ** np.abs(t[:, None] - t[None, :])
    return B @ Wx.T @ ((ss / (T - p)) * R) @ Wx @ B


def its_finding_id(measure: str, part: str, subset: str, variant: str = "") -> FindingId:
    """The id of an ITS finding: ``part`` is ``level``, ``slope`` or ``effect_h<h>``.

    >>> str(its_finding_id("complaints", "effect_h6", "R001"))
    'its:effect_h6->complaints@R001'
    """
    return FindingId("its", measure, exposure=part, subset=subset, variant=variant)


@dataclass
class ITSResult:
    """An interrupted time series fit.

    :meth:`findings` gives the level change, the slope change and the effect at the
    horizon, in that order.

    Attributes
    ----------
    frame : DataFrame
        One row per month (and ``horizon`` months past the change if not observed):
        ``date, months_since_change, after, observed, fitted, counterfactual, cf_low,
        cf_high`` on the reported scale (the value; the rate per ``per``; the percentage),
        ready for a figure.
    fit : statsmodels results
        The fitted model (HAC covariance).
    warnings : list of str
        Why the estimates should not be headlines, if anything.
    options : dict
        The arguments the result was computed with.
    """

    frame: pd.DataFrame
    fit: Any
    warnings: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    #: the findings as computed (read them with :meth:`findings`)
    records: list[Finding] = field(default_factory=list, repr=False)

    def findings(self, question: str | None = None) -> Findings:
        """Level change, slope change and the effect at the horizon; ``question`` replaces
        the question of all three (by default each asks about its own part).
        """
        return with_question(self.records, question)

    def _repr_html_(self) -> str:  # pragma: no cover - presentation
        return self.findings()._repr_html_()


# --------------------------------------------------------------------------- input


def _series(data, value, date, trials, exposure, unit, family) -> tuple[pd.DataFrame, list[str]]:
    fn = "interrupted_time_series"
    if not isinstance(data, pd.DataFrame):
        raise AnalysisInputError(fn, "data", f"is a {type(data).__name__}",
                                 expected="a pandas DataFrame")
    cols = {"value": value, "date": date, "trials": trials, "exposure": exposure, "unit": unit}
    for param, col in cols.items():
        if col is not None and col not in data.columns:
            raise AnalysisInputError(fn, param, f"names column {col!r}, which is not in the data",
                                     expected=f"one of {list(map(str, data.columns))}")
    if family == "binomial" and trials is None:
        raise AnalysisInputError(fn, "trials", "is missing for family='binomial'",
                                 expected="the column of trials (e.g. 'fft_responses')")
    if family != "binomial" and trials is not None:
        raise AnalysisInputError(fn, "trials", f"is given for family={family!r}",
                                 expected="trials only with family='binomial'")
    if family != "poisson" and exposure is not None:
        raise AnalysisInputError(fn, "exposure", f"is given for family={family!r}",
                                 expected="exposure only with family='poisson'")
    keep = [c for c in (value, trials, exposure) if c is not None]
    f = data[[date] + keep + ([unit] if unit else [])].copy()
    try:
        f[date] = pd.to_datetime(f[date]).dt.to_period("M").dt.to_timestamp()
    except (ValueError, TypeError) as exc:
        raise AnalysisInputError(fn, "date", f"column {date!r} cannot be read as dates ({exc})",
                                 expected="month dates") from None
    for c in keep:
        f[c] = pd.to_numeric(f[c], errors="coerce")
    notes = []
    bad = f[keep].isna().any(axis=1) | f[date].isna()
    if bad.any():
        notes.append(f"{int(bad.sum())} row(s) with a missing {', '.join(keep)} or date were "
                     "left out")
        f = f.loc[~bad]
    if f.empty:
        raise AnalysisInputError(fn, "data", "has no complete rows", expected="monthly values")
    if unit is not None and f[unit].nunique() > 1:
        units = f[unit].nunique()
        per_month = f.groupby(date)[unit].nunique()
        if (per_month < units).any():
            months = [f"{d:%Y-%m}" for d in per_month.index[per_month < units][:5]]
            notes.append(f"not every provider of the group reports in every month (e.g. "
                         f"{', '.join(months)}): the group's series mixes providers")
        how = "mean" if family == "gaussian" else "sum"
        f = f.groupby(date, as_index=False)[keep].agg(how)
    elif f[date].duplicated().any():
        dup = [f"{d:%Y-%m}" for d in f.loc[f[date].duplicated(), date][:5]]
        raise AnalysisInputError(fn, "date", f"column {date!r} repeats months ({', '.join(dup)})",
                                 expected="one row per month, or name the provider column as "
                                 "unit= to analyse a group")
    f = f.sort_values(date).reset_index(drop=True)
    y = f[value].to_numpy(dtype=float)
    if family in ("poisson", "binomial") and (y < 0).any():
        raise AnalysisInputError(fn, "value", f"column {value!r} has negative counts",
                                 expected="counts of at least 0")
    if family == "binomial":
        n = f[trials].to_numpy(dtype=float)
        if (n <= 0).any() or (y > n).any():
            raise AnalysisInputError(fn, "trials", f"column {trials!r} has months with no "
                                     f"trials or fewer trials than {value!r}",
                                     expected="0 <= successes <= trials, trials > 0")
    if family == "poisson" and exposure is not None and (f[exposure] <= 0).any():
        raise AnalysisInputError(fn, "exposure", f"column {exposure!r} has values of zero or "
                                 "less", expected="positive exposure (e.g. episodes)")
    return f.rename(columns={date: "date"}), notes


def _season(dates: pd.DatetimeIndex, seasonality, k: int) -> pd.DataFrame:
    m = np.asarray(dates.month)
    if seasonality == "months":
        return pd.DataFrame({f"month_{j:02d}": (m == j).astype(float) for j in range(2, 13)})
    if seasonality == "fourier":
        cols = {}
        for j in range(1, k + 1):
            cols[f"sin{j}"] = np.sin(2 * np.pi * j * m / 12)
            cols[f"cos{j}"] = np.cos(2 * np.pi * j * m / 12)
        return pd.DataFrame(cols)
    return pd.DataFrame(index=range(len(dates)))


def _design(dates: pd.DatetimeIndex, start: pd.Timestamp, t0: pd.Timestamp, seasonality, k):
    t = (dates.year - start.year) * 12 + (dates.month - start.month)
    s0 = (t0.year - start.year) * 12 + (t0.month - start.month)
    after = (t >= s0).astype(float)
    X = pd.DataFrame({"const": 1.0, "time": np.asarray(t, dtype=float),
                      "level": np.asarray(after), "slope": np.asarray((t - s0) * after, float)})
    X = pd.concat([X, _season(dates, seasonality, k)], axis=1)
    return X, np.asarray(t - s0)


def _label(measure: str) -> str:
    try:
        return M.get(measure).label
    except KeyError:
        return measure.replace("_", " ")


# --------------------------------------------------------------------------- the fit


def interrupted_time_series(
    data: pd.DataFrame, value: str, date: str, intervention, *,
    family: str = "gaussian", trials: str | None = None, exposure: str | None = None,
    unit: str | None = None, measure: str | None = None, subset: str | None = None,
    seasonality: str | None = "months", fourier_terms: int = 2, horizon: int = 6,
    hac_lags: int | None = None, per: float = 1000.0, question: str = "",
    who: str | None = None,
) -> ITSResult:
    """Segmented regression of one provider's (or a group's) monthly series on a change.

    Parameters
    ----------
    data : DataFrame
        Tidy rows: one per month, or one per provider and month with ``unit=`` naming
        the provider column (the group's series is then the monthly sum of counts, or
        the monthly mean of a gaussian value).
    value, date : str
        Columns of the outcome (the value, the counts, or the successes) and the month.
    intervention : date
        When the change took effect; the first month at or after it is the change month.
    family : {"gaussian", "poisson", "binomial"}
        See the module docstring: the value itself, counts with ``exposure``, or
        successes out of ``trials``.
    trials, exposure : str, optional
        Column of trials (binomial) or of exposure (poisson, used as a log offset).
    unit : str, optional
        Provider column when ``data`` holds several providers (a group).
    measure : str, optional
        Measure name for the finding ids (default ``value``), e.g. ``"fft_pct_positive"``
        for successes ``"fft_positive"`` out of trials ``"fft_responses"``.
    subset : str, optional
        Provider code or group name for the ids (default: the one provider's code, else
        ``"group"``).
    seasonality : {"months", "fourier", None}
        Month-of-year dummies, ``fourier_terms`` Fourier pairs, or none.
    horizon : int
        Months after the change month at which the effect is reported (``effect_h<h>``).
    hac_lags : int, optional
        HAC lag; default :func:`newey_west_lags` of the number of months.
    per : float
        Rates in the frame are per ``per`` units of exposure (poisson).
    who : str, optional
        How the sentences name the provider or group, e.g. ``"at the 6 providers that
        changed"`` (default ``"at <subset>"``).

    Returns
    -------
    ITSResult

    >>> from workbench.data.synth import generate
    >>> panel = generate(seed=2, n_providers=20, n_months=30).panel
    >>> one = panel[panel["provider_code"] == "R001"]
    >>> res = interrupted_time_series(one, "complaints", "period", "2024-10-01",
    ...                               family="poisson", exposure="episodes")
    >>> res.findings()[0].id, res.findings()[0].unit
    ('its:level->complaints@R001', 'rate ratio')
    """
    fn = "interrupted_time_series"
    if family not in FAMILIES:
        raise AnalysisInputError(fn, "family", f"is {family!r}",
                                 expected="'gaussian', 'poisson' or 'binomial'")
    if seasonality not in SEASONALITIES:
        raise AnalysisInputError(fn, "seasonality", f"is {seasonality!r}",
                                 expected="'months', 'fourier' or None")
    if seasonality == "fourier" and (not isinstance(fourier_terms, (int, np.integer))
                                     or not 1 <= fourier_terms <= 6):
        raise AnalysisInputError(fn, "fourier_terms", f"is {fourier_terms!r}",
                                 expected="an integer from 1 to 6")
    if not isinstance(horizon, (int, np.integer)) or isinstance(horizon, bool) or horizon < 0:
        raise AnalysisInputError(fn, "horizon", f"is {horizon!r}",
                                 expected="a whole number of months, 0 or more")
    if hac_lags is not None and (not isinstance(hac_lags, (int, np.integer)) or hac_lags < 0):
        raise AnalysisInputError(fn, "hac_lags", f"is {hac_lags!r}",
                                 expected="a whole number of lags, 0 or more")
    try:
        t0 = pd.Timestamp(intervention)
    except (ValueError, TypeError):
        raise AnalysisInputError(fn, "intervention", f"is {intervention!r}",
                                 expected="a date") from None
    t0 = (t0 + pd.offsets.MonthBegin(0)).normalize() if t0.day != 1 else t0.normalize()
    f, notes = _series(data, value, date, trials, exposure, unit, family)
    measure = measure or value
    if subset is None:
        subset = (str(data[unit].iloc[0]) if unit and data[unit].nunique() == 1 else
                  DEFAULT_GROUP if unit else "")
        if not subset and "provider_code" in data.columns and data["provider_code"].nunique() == 1:
            subset = str(data["provider_code"].iloc[0])
    dates = pd.DatetimeIndex(f["date"])
    start = dates[0]
    X, k_since = _design(dates, start, t0, seasonality, fourier_terms)
    n_before, n_after = int((k_since < 0).sum()), int((k_since >= 0).sum())
    if n_before < 3 or n_after < 2:
        raise AnalysisInputError(fn, "intervention", f"leaves {n_before} month(s) before and "
                                 f"{n_after} after the change",
                                 expected="at least 3 before and 2 after (8 or more each "
                                 "for a headline)")
    if len(f) <= X.shape[1] + 1:
        raise AnalysisInputError(fn, "seasonality", f"needs {X.shape[1]} parameters but the "
                                 f"series has {len(f)} months",
                                 expected="a longer series, fewer Fourier terms, or None")
    # the seasonal columns must vary over the data (e.g. every month present for dummies)
    X = X.loc[:, (X.std(axis=0) > 0) | (X.columns == "const")]
    lags = newey_west_lags(len(f)) if hac_lags is None else int(hac_lags)
    warnings_ = list(notes)
    span = (dates[-1].year - start.year) * 12 + dates[-1].month - start.month + 1
    if span > len(f):
        warnings_.append(f"{span - len(f)} month(s) are missing from the series")
    if n_before < MIN_POINTS or n_after < MIN_POINTS:
        warnings_.append(f"only {n_before} month(s) before and {n_after} after the change "
                         f"(fewer than {MIN_POINTS}): too few to separate a change from noise")

    import statsmodels.api as sm

    y = f[value].to_numpy(dtype=float)
    cov = {"maxlags": lags, "use_correction": True}
    if family == "gaussian":
        model = sm.OLS(y, X)
    elif family == "poisson":
        offset = np.log(f[exposure].to_numpy(dtype=float)) if exposure else None
        model = sm.GLM(y, X, family=sm.families.Poisson(), offset=offset)
    else:
        n = f[trials].to_numpy(dtype=float)
        model = sm.GLM(np.column_stack([y, n - y]), X, family=sm.families.Binomial())
    fit = model.fit(cov_type="HAC", cov_kwds=cov, use_t=True)
    if family == "gaussian":
        mu, weights, counts = np.asarray(fit.fittedvalues, float), np.ones(len(y)), y
    elif family == "poisson":
        mu = np.asarray(fit.mu, float)
        weights, counts = mu, y
    else:
        share = np.asarray(fit.mu, float)
        mu, weights, counts = n * share, n * share * (1 - share), y
    V_hc = hc2_covariance(X.to_numpy(dtype=float), counts - mu, weights)
    V_ar = ar1_covariance(X.to_numpy(dtype=float), counts - mu, weights)
    resid = (fit.resid / np.std(fit.resid, ddof=X.shape[1]) if family == "gaussian"
             else fit.resid_pearson)
    resid = np.asarray(resid, dtype=float)
    r1 = float(np.corrcoef(resid[:-1], resid[1:])[0, 1]) if len(resid) > 3 else 0.0
    if r1 >= STRONG_AUTOCORRELATION:
        warnings_.append(f"the residuals are strongly autocorrelated (lag-1 r = "
                         f"{formatting.fixed(r1)}): "
                         "the intervals may still be too narrow")
    if horizon > int(k_since.max()):
        warnings_.append(f"the horizon ({horizon} months after the change) is beyond the last "
                         f"month observed ({int(k_since.max())} months after)")

    names = list(X.columns)
    identified = int(np.linalg.matrix_rank(X.to_numpy(dtype=float))) == X.shape[1]
    if not identified:
        warnings_.append("the months observed cannot separate every term of the model (the "
                         "design is rank-deficient: too few months, or months with no data, "
                         "around the change); the estimates are not identified and are not "
                         "an answer")
    beta = np.asarray(fit.params, dtype=float)
    V = np.asarray(fit.cov_params(), dtype=float)
    crit = stats.t.ppf(0.975, fit.df_resid)

    def var(c: np.ndarray) -> float:
        # the largest of the HAC, HC2 and AR(1) variances (see the module docstring)
        return max(float(c @ V @ c), float(c @ V_hc @ c), float(c @ V_ar @ c), 0.0)

    def lin(c: np.ndarray) -> tuple[float, float]:
        return float(c @ beta), float(np.sqrt(var(c)))

    def pval(est: float, se: float) -> float:
        if se == 0:
            return float("nan")
        return float(2 * stats.t.sf(abs(est / se), fit.df_resid))

    # frame: observed months plus the horizon month if it lies beyond the data
    all_dates = dates
    target = t0 + pd.DateOffset(months=int(horizon))
    if target not in set(all_dates):
        all_dates = dates.append(pd.DatetimeIndex([target])).sort_values()
    Xa, ka = _design(all_dates, start, t0, seasonality, fourier_terms)
    Xa = Xa[names].to_numpy(dtype=float)
    Xcf = Xa.copy()
    Xcf[:, names.index("level")] = 0.0
    Xcf[:, names.index("slope")] = 0.0
    eta, eta_cf = Xa @ beta, Xcf @ beta
    se_cf = np.sqrt(np.maximum(np.maximum(np.einsum("ij,jk,ik->i", Xcf, V, Xcf),
                                          np.einsum("ij,jk,ik->i", Xcf, V_hc, Xcf)), 0))
    scale = {"gaussian": 1.0, "poisson": per, "binomial": 100.0}[family]
    inv = {"gaussian": lambda e: e, "poisson": _exp,
           "binomial": special.expit}[family]
    if family == "poisson" and exposure:
        observed = f[value].to_numpy(float) / f[exposure].to_numpy(float) * per
    elif family == "binomial":
        observed = f[value].to_numpy(float) / f[trials].to_numpy(float) * 100
    else:
        observed = f[value].to_numpy(float)
    if family == "poisson" and not exposure:
        scale = 1.0
    obs_map = dict(zip(dates, observed))
    frame = pd.DataFrame({
        "date": all_dates, "months_since_change": ka, "after": ka >= 0,
        "observed": [obs_map.get(d, np.nan) for d in all_dates],
        "fitted": inv(eta) * scale, "counterfactual": inv(eta_cf) * scale,
        "cf_low": inv(eta_cf - crit * se_cf) * scale, "cf_high": inv(eta_cf + crit * se_cf) * scale,
    })

    # findings
    lab = _label(measure)
    warning = "; ".join(warnings_)
    formula = (f"{'logit' if family == 'binomial' else 'log' if family == 'poisson' else ''}"
               f"{'(' if family != 'gaussian' else ''}E[{value}]{')' if family != 'gaussian' else ''}"
               f" ~ time + level + slope + season({seasonality})"
               + (f" + offset(log {exposure})" if exposure else ""))
    model = f"its_{family}_hac"
    params = {"intervention": f"{t0:%Y-%m-%d}", "family": family, "seasonality": seasonality,
              "fourier_terms": fourier_terms if seasonality == "fourier" else None,
              "horizon": int(horizon), "hac_lags": lags, "hac_lag_rule":
              "given" if hac_lags is not None else "floor(4 (T/100)^(2/9))",
              "variance": "max(HAC, HC2, AR(1))", "n_before": n_before, "n_after": n_after, "residual_lag1_r": round(r1, 4),
              "value": value, "trials": trials, "exposure": exposure}
    iL, iS = names.index("level"), names.index("slope")
    cL = np.zeros(len(names))
    cL[iL] = 1
    cS = np.zeros(len(names))
    cS[iS] = 1
    out = []
    # for the disclosure rule: n counts months (a group's series has one row a month),
    # the estimates are model values and the sentences hold no count of people
    kinds = {"n_kind": "periods", "estimate_kind": "estimate",
             "df_resid": float(fit.df_resid)}  # for an output checker
    ratio = family in ("poisson", "binomial")
    ratio_name = "rate ratio" if family == "poisson" else "odds ratio"
    unit_g = M.MEASURES[measure].unit if measure in M.MEASURES else ""
    for part, c in (("level", cL), ("slope", cS)):
        est, se = lin(c)
        lo, hi = est - crit * se, est + crit * se
        p = pval(est, se)
        if ratio:
            est, lo, hi = _exp(est), _exp(lo), _exp(hi)
            unit_f = ratio_name + (" per month" if part == "slope" else "")
        else:
            unit_f = unit_g + (" per month" if part == "slope" else "")
        what = "level" if part == "level" else "monthly trend"
        out.append(Finding(
            id=str(its_finding_id(measure, part, subset)),
            question=f"Did {lab} change its {what} after {t0:%B %Y}?" if not question else question,
            estimate=est, ci_low=lo, ci_high=hi, p_value=p, n=len(f), unit=unit_f.strip(),
            model=model, formula=formula, parameters=params,
            **_trust(identified, warning, est, lo, hi),
            sentence=_sentence(part, est, lo, hi, lab, unit_f, t0, ratio, horizon, subset,
                               who), **kinds))
    # effect at the horizon
    h = int(horizon)
    ch = cL + h * cS
    if family == "binomial":
        row = int(np.flatnonzero(np.asarray(all_dates) == np.datetime64(target))[0])
        x_h = Xa[row]
        e1, e0 = float(x_h @ beta), float(Xcf[row] @ beta)
        p1, p0 = float(special.expit(e1)), float(special.expit(e0))
        est = 100 * (p1 - p0)
        grad = 100 * (p1 * (1 - p1) * x_h - p0 * (1 - p0) * Xcf[row])
        se = float(np.sqrt(var(grad)))
        lo, hi, p = est - crit * se, est + crit * se, pval(est, se)
        unit_h = "percentage points"
    else:
        est, se = lin(ch)
        lo, hi, p = est - crit * se, est + crit * se, pval(est, se)
        if family == "poisson":
            est, lo, hi = _exp(est), _exp(lo), _exp(hi)
            unit_h = "rate ratio"
        else:
            unit_h = unit_g
    out.append(Finding(
        id=str(its_finding_id(measure, f"effect_h{h}", subset)),
        question=question or f"How different was {lab} {h} months after the change in "
                             f"{t0:%B %Y} from what the earlier trend predicts?",
        estimate=est, ci_low=lo, ci_high=hi, p_value=p, n=len(f), unit=unit_h, model=model,
        formula=formula, parameters=params, **_trust(identified, warning, est, lo, hi),
        sentence=_sentence("effect", est, lo, hi, lab, unit_h, t0, family == "poisson", h,
                           subset, who), **kinds))
    options = {k: v for k, v in params.items()}
    options.update({"measure": measure, "subset": subset, "unit": unit, "date": date})
    return ITSResult(frame=frame, fit=fit, warnings=warnings_, options=options, records=out)


def _trust(identified: bool, warning: str, *values: float) -> dict[str, str]:
    """The warning and role of an ITS finding: one whose model is not identified, or whose
    estimate or interval is not a finite number, is a diagnostic (shown, never an answer).

    >>> _trust(True, "", 1.0, 0.5, 2.0)
    {'warning': ''}
    >>> _trust(True, "", 1.0, 0.0, float("inf"))["role"]
    'diagnostic'
    """
    finite = all(v is not None and math.isfinite(v) for v in values)
    if identified and finite:
        return {"warning": warning}
    extra = "" if finite else ("the estimate or its interval is not a finite number (the model "
                               "could not be fitted to these months)")
    return {"warning": "; ".join(w for w in (warning, extra) if w), "role": "diagnostic"}


def _exp(x):
    """``exp`` that gives infinity rather than an overflow error (an estimate on the log
    scale from a model that could not be identified can be huge).

    >>> _exp(0.0), _exp(1000.0)
    (1.0, inf)
    """
    with np.errstate(over="ignore"):
        out = np.exp(np.asarray(x, dtype=float))
    return float(out) if out.ndim == 0 else out


def _sentence(part, est, lo, hi, label, unit, t0, ratio, horizon, subset, who=None) -> str:
    who = f" {who}" if who else (f" at {subset}" if subset else "")
    if ratio:
        est_text, ci_text = formatting.estimate_interval(est, lo, hi)
        ci = f"(95% CI {ci_text})"
        change = formatting.percent(abs(est - 1), 1)   # the ratio as a percentage change
        way = "higher" if est >= 1 else "lower"
        # an odds ratio describes the odds, not the percentage itself
        what = f"the odds behind {label}{who}" if unit.startswith("odds") else f"{label}{who}"
        if part == "slope":
            return (f"After {t0:%B %Y}, the monthly trend of {what} shifted by a factor of "
                    f"{est_text} per month {ci}: {change} {way} each "
                    f"month than the earlier trend.")
        when = "in the month of the change" if part == "level" else f"{horizon} months after"
        verb = "were" if unit.startswith("odds") else "was"
        text = (f"{what} {verb} {change} {way} {when} than the earlier trend "
                f"predicts ({unit} {est_text}, 95% CI {ci_text}).")
        return text[0].upper() + text[1:]
    u = unit.replace(" per month", "")
    if part == "slope":
        return (f"After {t0:%B %Y}, {label}{who} changed each month by "
                f"{wording.change(est, lo, hi, u, up='more', down='less')} than before.")
    when = "in the month of the change" if part == "level" else f"{horizon} months after the change"
    return (f"{label}{who} was {wording.change(est, lo, hi, u)} {when} ({t0:%B %Y}) "
            f"than the earlier trend predicts.")
