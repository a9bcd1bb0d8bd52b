"""Did the change work, compared with providers that did not change? Staggered difference-in-differences.

When providers adopt a change in different months (staggered adoption) and its effect
differs between providers or grows with time, the usual two-way fixed effects (TWFE)
regression ``y ~ treated | provider + month`` is biased: it uses providers that changed
earlier as controls for those that changed later, and weights some effects negatively
(Goodman-Bacon 2021; de Chaisemartin & D'Haultfoeuille 2020). This module estimates the
effect in a way that stays valid there.

Estimator: Sun & Abraham (2021) interaction-weighted event study
-----------------------------------------------------------------
With cohort ``c`` (providers that changed in the same month), relative month
``l = month - change month`` and never-changed providers as the control group, one
regression with provider and month fixed effects::

    y_it = a_i + g_t + sum_{c, l != -1} b_{c,l} 1{cohort_i = c} 1{rel_it = l} + e_it

``b_{c,l}`` is cohort ``c``'s effect ``l`` months after its change, relative to the month
before it (``l = -1``, the reference), estimated only against never-changed providers.
Aggregates are weighted averages with weights the number of treated provider-months in
each cell:

It is fitted here by least squares after demeaning within provider, with month dummies
as regressors (exact, also in an unbalanced panel), because the saturated design often
has more coefficients than there are providers, which pyfixest ``feols``'s automatic Wald
test cannot always invert; the coefficients equal pyfixest's (checked in the tests).

* the **event study** at ``l``: ``sum_c n_{c,l} b_{c,l} / sum_c n_{c,l}``;
* the **ATT** (average effect on the treated): the same over every cell with ``l >= 0``,
  i.e. the mean effect over all treated provider-months from the change on;
* the **pre-trend** finding: the mean of the event-study estimates from ``l = -2`` to
  ``l = -pretrend_window``, tested as one summary (is the mean zero?) with the ATT's
  inference. A joint Wald test of the five months separately rejected a true null in
  8-11% of simulated panels at the 5% level with 6-8 changed providers even when
  bootstrapped; the mean has one restriction and keeps its level.
* the **sensitivity band** (``#honest``): Rambachan & Roth's (2023) relative-magnitudes
  band (:func:`relative_magnitudes_band`), the ATT's interval widened for trends that
  drift apart after the change by up to :data:`RR_REPORTED` times the largest
  month-to-month drift before it; ``DiDResult.sensitivity`` holds the band for each bound
  in :data:`RR_MBAR` and ``DiDResult.breakdown`` the bound at which it first includes
  no change. It is reported instead of letting the pre-trend test pass or fail the answer.

Inference for the ATT and the pre-trend mean, by the number of changed providers
(``inference="auto"``; or ask for one):

* 20 or more (:data:`MIN_TREATED_CLUSTERS`): cluster-robust (CRV1) by provider, t with
  ``G - 1`` degrees of freedom;
* 10 to 19: the wild cluster restricted bootstrap (WCR: null imposed, Webb six-point
  weights, ``n_boot`` draws, ``seed``; :class:`~workbench.analysis.models.bootstrap.
  WildClusterBootstrap` on the same regression, provider effects removed by demeaning)
  gives the p-value, and its interval is the set of values that test does not reject,
  so that interval and p-value always agree (MacKinnon & Webb 2017). An unrestricted
  bootstrap-t interval beside a restricted p-value excluded zero in 7-10% of simulated
  panels with no change and 6 changed trusts;
* fewer than 10 (:data:`RANDOMISATION_BELOW`): randomisation inference over which
  providers changed (:func:`randomisation_inference`): the change dates are dealt to
  other providers of the panel, the estimate recomputed, and the interval inverts that
  test for a constant effect. It keeps its level however few changed when the changed
  providers are like a random draw from the panel's providers. Its interval is about
  these providers' own average effect (the sample ATT): with effects that differ between
  providers it covered that in 97 of 100 simulated panels with 8 changed trusts, but the
  population ATT (what providers like these would gain on average) in only 85, since a
  handful of providers says little about how the effect varies.

The finding's ``parameters["inference"]`` and its warning say which was used. The
event-study months keep CRV1 intervals (a picture of the timing, not the answer).

What the intervals are about: provider-clustered inference treats the changed providers'
effects as draws from a distribution, so the ATT it covers at 95% is the average effect
expected for providers like these (in the simulations, the mean over the distribution of
provider effects; :mod:`workbench.data.interventions`). When effects differ between
providers, the same intervals cover these providers' own realised average effect more
often than 95% (they also allow for which providers happened to change).

Comparison findings (robustness variants of the ATT, same estimand and truth):

* ``#twfe``: the naive TWFE coefficient, a diagnostic of how much the naive method is off
  (role ``diagnostic``; the pre-trend finding is a diagnostic too);
* ``#did2s``: Gardner's (2021) two-stage imputation estimator (pyfixest ``did2s``), valid
  under the same assumptions as Sun-Abraham, with an event-time second stage (one
  coefficient per month since the change, averaged with the ATT's weights) and its
  cluster-robust standard error. A single "treated" coefficient in the second stage
  counts the growth of the effect over time as residual noise and so gives a wider
  interval; that, and a simulated truth taken at each panel's own baselines rather than
  over the population, are why the interval once looked 1.3-1.8 times too wide.

Ids: ``did:att-><outcome>@<subset>``, ``did:pretrend-><outcome>@<subset>``,
``did:event_p<l>`` / ``did:event_m<l>`` (``l`` months after / before) from
``DiDResult.findings(events=True)``, and ``did:att-><outcome>@<subset>#honest`` /
``#twfe`` / ``#did2s``.

Assumptions: parallel trends (without the change, changed and never-changed providers
would have moved in parallel); no anticipation (no effect before the change month);
no other change at the same time that affects only the changed providers; the
never-changed providers are not affected by the change (no spill-over).

Example
-------
>>> from workbench.data.synth import generate
>>> from workbench.data.interventions import insert_interventions
>>> sd = generate(seed=4, n_providers=80, n_months=30)
>>> nhs = [p for p in sd.panel["provider_code"].unique() if p.startswith("R")]
>>> iv = insert_interventions(sd, "ae_pct_within_4h", providers=nhs[:8], start="2024-06-01",
...                           level=0.3, cohorts=2, cohort_gap=4, seed=1)
>>> panel = iv.panel[iv.panel["provider_code"].isin(nhs)]
>>> res = staggered_did(panel, "ae_pct_within_4h", iv.adoption_dates(), subset="treated",
...                     n_boot=199)
>>> att = res.findings()[0]
>>> att.id, bool(att.ci_low < iv.truth[att.id] < att.ci_high)
('did:att->ae_pct_within_4h@treated', True)
>>> att.parameters["inference"].startswith("randomisation inference")
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from workbench.analysis.findings import formatting, wording
from workbench.analysis.findings.record import Finding, Findings, with_question
from workbench.analysis.models.bootstrap import WildClusterBootstrap
from workbench.data import measures as M
from workbench.errors import AnalysisInputError
from workbench.finding_id import FindingId

#: Fewer treated providers than this: the ATT uses the wild cluster bootstrap.
MIN_TREATED_CLUSTERS = 20
#: Fewer treated providers than this: randomisation inference over which providers changed.
RANDOMISATION_BELOW = 10
#: Inference for the ATT and the pre-trend summary (``auto``: by the number changed).
INFERENCE = ("auto", "crv1", "wild", "randomisation")
#: Bounds of Rambachan & Roth's relative-magnitudes restriction in the sensitivity band.
RR_MBAR = (0.0, 0.5, 1.0, 2.0)
#: The bound the ATT's ``#honest`` finding reports (after the change, trends drift apart
#: month to month by at most as much as the largest such drift before it).
RR_REPORTED = 1.0
#: Pre-change relative months in the pre-trend test: l = -2 .. -PRETREND_WINDOW.
PRETREND_WINDOW = 6
#: The bootstrap weights are drawn this many draws at a time (so that the same seed keeps
#: giving the same draws, and so the same findings, as it always has).
BOOT_BLOCK = 250

__all__ = ["INFERENCE", "RANDOMISATION_BELOW", "RR_MBAR", "DiDResult", "did_finding_id",
           "randomisation_inference", "relative_magnitudes_band", "staggered_did"]


def did_finding_id(outcome: str, part: str, subset: str, variant: str = "") -> FindingId:
    """Id of a DiD finding: ``part`` is ``att``, ``pretrend``, ``event_p<l>`` or ``event_m<l>``.

    >>> str(did_finding_id("fft_pct_positive", "att", "treated", "twfe"))
    'did:att->fft_pct_positive@treated#twfe'
    """
    return FindingId("did", outcome, exposure=part, subset=subset, variant=variant)


def _rel_name(lag: int) -> str:
    return f"event_p{lag}" if lag >= 0 else f"event_m{-lag}"


@dataclass
class DiDResult:
    """A staggered DiD fit.

    :meth:`findings` gives the ATT (Sun-Abraham), the pre-trend, then the TWFE and did2s
    variants of the ATT; ``findings(events=True)`` one finding per relative month
    (reference month -1 left out).

    Attributes
    ----------
    event_study : DataFrame
        Tidy, one row per relative month: ``rel, estimate, se, ci_low, ci_high,
        n_cohorts, n_obs, period`` (``"before"``/``"after"``); the reference month -1 is a
        row with estimate 0 and no interval. For a pre-trend figure.
    fit : dict
        The Sun-Abraham regression: ``coef`` and ``vcov`` (CRV1) of the cohort x month
        terms, the design's ``columns``, ``rank`` and ``n``.
    cells : DataFrame
        Cohort x relative-month coefficients with their weights.
    warnings : list of str
    options : dict
    """

    event_study: pd.DataFrame
    fit: Any
    cells: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    #: the findings as computed (read them with :meth:`findings`)
    records: list[Finding] = field(default_factory=list, repr=False)
    event_records: list[Finding] = field(default_factory=list, repr=False)
    #: Rambachan-Roth relative-magnitudes band of the ATT, one row per bound ``mbar``
    #: (:func:`relative_magnitudes_band`), and the bound at which it first includes 0
    sensitivity: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    breakdown: float = float("nan")

    def findings(self, question: str | None = None, *, events: bool = False) -> Findings:
        """The ATT, the pre-trend and the ATT's variants (``events=True``: one finding per
        month relative to the change instead). ``question`` replaces the question of the
        ATT (the pre-trend, the variants and the months keep theirs, as with
        ``staggered_did(question=...)``).
        """
        if events:
            return Findings(self.event_records)
        return Findings([with_question([f], question)[0]
                         if f.key.exposure == "att" and not f.key.variant else f
                         for f in self.records])


def _months(d: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    d = pd.DatetimeIndex(d)
    return np.asarray(d.year * 12 + d.month - 1, dtype=np.int64)


def prepare_changes(data, outcome, adoption, unit, time, *,
                    function: str = "staggered_did") -> tuple[pd.DataFrame, list[str]]:
    """The rows of a change evaluation: ``unit``, ``time`` (as dates), ``outcome`` (rows
    without it left out, said in the notes), the change date ``_adopt`` (a column of
    ``data`` or ``{unit: date}``; empty for units that did not change), and the month of
    each row (``_t``) and of its unit's change (``_g``, -1 for none) as year x 12 + month.
    Errors name ``function`` and the parameter.

    >>> d = pd.DataFrame({"p": ["A", "A", "B", "B"], "m": ["2024-01-01", "2024-02-01"] * 2,
    ...                   "y": [1.0, 2.0, None, 3.0]})
    >>> rows, notes = prepare_changes(d, "y", {"A": "2024-02-01"}, "p", "m")
    >>> rows["_g"].tolist(), notes
    ([24289, 24289, -1], ['1 provider-month(s) without y were left out'])
    """
    fn = function
    if not isinstance(data, pd.DataFrame):
        raise AnalysisInputError(fn, "data", f"is a {type(data).__name__}",
                                 expected="a pandas DataFrame")
    for param, col in (("outcome", outcome), ("unit", unit), ("time", time)):
        if col not in data.columns:
            raise AnalysisInputError(fn, param, f"names column {col!r}, which is not in the data",
                                     expected=f"one of {list(map(str, data.columns))}")
    df = data[[unit, time, outcome]].copy()
    if isinstance(adoption, str):
        if adoption not in data.columns:
            raise AnalysisInputError(fn, "adoption", f"names column {adoption!r}, which is "
                                     "not in the data", expected="a column of change dates "
                                     "(empty for providers that did not change) or a dict")
        df["_adopt"] = pd.to_datetime(data[adoption])
    elif isinstance(adoption, Mapping):
        units = set(df[unit])
        unknown = [k for k in adoption if k not in units]
        if unknown:
            raise AnalysisInputError(fn, "adoption", f"names provider(s) {unknown[:5]} not in "
                                     f"column {unit!r}", expected="providers in the data")
        df["_adopt"] = pd.to_datetime(df[unit].map(adoption))
    else:
        raise AnalysisInputError(fn, "adoption", f"is a {type(adoption).__name__}",
                                 expected="a column name or {provider: change date}")
    notes = []
    df[time] = pd.to_datetime(df[time])
    df[outcome] = pd.to_numeric(df[outcome], errors="coerce")
    miss = df[outcome].isna()
    if miss.any():
        notes.append(f"{int(miss.sum())} provider-month(s) without {outcome} were left out")
        df = df.loc[~miss]
    if df.duplicated([unit, time]).any():
        raise AnalysisInputError(fn, "time", f"column {time!r} repeats a month for a provider",
                                 expected="one row per provider and month")
    per_unit = df.groupby(unit)["_adopt"].nunique(dropna=False)
    if (per_unit > 1).any():
        raise AnalysisInputError(fn, "adoption", "gives a provider more than one change date",
                                 expected="one change date per provider")
    df["_t"] = _months(df[time])
    df["_g"] = np.where(df["_adopt"].isna(), -1, _months(df["_adopt"].fillna(pd.Timestamp(0))))
    return df.reset_index(drop=True), notes


def staggered_did(
    data: pd.DataFrame, outcome: str, adoption, *, unit: str = "provider_code",
    time: str = "period", subset: str = "treated", pretrend_window: int = PRETREND_WINDOW,
    bootstrap: bool | None = None, n_boot: int = 999, seed: int = 0,
    did2s: bool = True, question: str = "", units: str = "providers",
    inference: str = "auto", n_perm: int | None = None,
) -> DiDResult:
    """Sun-Abraham event study and ATT of a staggered change, with TWFE and did2s beside it.

    Parameters
    ----------
    data : DataFrame
        Tidy panel, one row per provider and month: the changed providers and the
        never-changed providers to compare with (and no others).
    outcome : str
        Column of the outcome (e.g. ``"fft_pct_positive"``, ``"complaints_per_1000"``).
    adoption : str or dict
        Column of each provider's change month (missing for never-changed providers), or
        ``{provider: change date}`` for the changed ones (others are never-changed).
        Change dates are read as months.
    unit, time : str
        Provider and month columns.
    subset : str
        Name of the changed group in the finding ids.
    pretrend_window : int
        The pre-trend test covers relative months ``-2 .. -pretrend_window``.
    bootstrap : bool, optional
        With ``inference="auto"``: True asks for the wild cluster bootstrap, False for
        cluster-robust inference, whatever the number of changed providers.
    n_boot, seed : int
        Bootstrap draws and seed (the seed also of the randomisation draws).
    inference : str
        ``auto`` (by the number of changed providers: randomisation inference below
        :data:`RANDOMISATION_BELOW`, the wild cluster restricted bootstrap below
        :data:`MIN_TREATED_CLUSTERS`, else CRV1), or ``crv1``, ``wild``, ``randomisation``.
    n_perm : int, optional
        Assignments for randomisation inference (default ``n_boot``).
    did2s : bool
        Also estimate Gardner's two-stage ATT (variant ``did2s``).
    units : str
        What the units are called in questions and sentences (``wards`` for a table of
        wards; default ``providers``).

    Returns
    -------
    DiDResult
    """
    fn = "staggered_did"
    if not isinstance(pretrend_window, (int, np.integer)) or pretrend_window < 2:
        raise AnalysisInputError(fn, "pretrend_window", f"is {pretrend_window!r}",
                                 expected="an integer of at least 2")
    if not isinstance(n_boot, (int, np.integer)) or n_boot < 99:
        raise AnalysisInputError(fn, "n_boot", f"is {n_boot!r}", expected="99 or more draws")
    df, notes = prepare_changes(data, outcome, adoption, unit, time)
    treated_units = df.loc[df["_g"] >= 0, unit].unique()
    control_units = df.loc[df["_g"] < 0, unit].unique()
    if len(treated_units) < 2:
        raise AnalysisInputError(fn, "adoption", f"marks {len(treated_units)} provider(s) as "
                                 "changed", expected="at least 2 changed providers")
    if len(control_units) < 2:
        raise AnalysisInputError(fn, "adoption", f"leaves {len(control_units)} provider(s) "
                                 "that never changed", expected="at least 2 never-changed "
                                 "providers to compare with (Sun-Abraham's control group)")
    first, last = int(df["_t"].min()), int(df["_t"].max())
    bad = df.loc[(df["_g"] >= 0) & ((df["_g"] <= first) | (df["_g"] > last)), unit].unique()
    if len(bad):
        raise AnalysisInputError(fn, "adoption", f"puts the change of {list(bad[:5])} outside "
                                 "the months after the first month of data",
                                 expected="change months with at least one month before them "
                                 "in the data")
    warnings_ = list(notes)
    df["_rel"] = np.where(df["_g"] >= 0, df["_t"] - df["_g"], np.iinfo(np.int64).min)
    cohorts = sorted(df.loc[df["_g"] >= 0, "_g"].unique())
    cells, cols = [], []
    for j, gcoh in enumerate(cohorts):
        rels = sorted(df.loc[df["_g"] == gcoh, "_rel"].unique())
        for lag in rels:
            if lag == -1:
                continue
            name = f"sa_c{j}_{'p' if lag >= 0 else 'm'}{abs(lag)}"
            mask = ((df["_g"] == gcoh) & (df["_rel"] == lag)).to_numpy()
            df[name] = mask.astype(float)
            cols.append(name)
            cells.append({"term": name, "cohort": j, "cohort_month": gcoh, "rel": int(lag),
                          "n_obs": int(mask.sum())})
    if not (df["_rel"] == -1).any():
        warnings_.append("no changed provider is observed in the month before its change "
                         "(the reference month)")
    cells = pd.DataFrame(cells)
    import pyfixest as pf

    df["_unit"] = pd.factorize(df[unit])[0]
    X, y, xnames = _within(df, cols, outcome)
    beta_all, V_all, rank = _ols_crv1(X, y, df["_unit"].to_numpy())
    if rank < X.shape[1]:
        warnings_.append(f"the design is rank deficient ({X.shape[1] - rank} collinear "
                         "column(s)): some cohort x month cells are not identified")
    names = cols
    k_sa = len(cols)
    beta = pd.Series(beta_all[:k_sa], index=names)
    V = pd.DataFrame(V_all[:k_sa, :k_sa], index=names, columns=names)
    fit = {"coef": beta, "vcov": V, "columns": xnames, "rank": rank, "n": len(y),
           "method": "within-provider OLS with month dummies, CRV1 by provider"}
    cells["estimate"] = beta[cells["term"]].to_numpy()
    G = int(df["_unit"].nunique())
    tcrit = stats.t.ppf(0.975, G - 1)

    def combo(weights: pd.Series) -> tuple[float, float]:
        wv = weights.reindex(names).fillna(0.0).to_numpy()
        return float(wv @ beta.to_numpy()), float(np.sqrt(max(wv @ V.to_numpy() @ wv, 0)))

    # event study
    rows, event_findings = [], []
    lab = M.MEASURES[outcome].label if outcome in M.MEASURES else outcome.replace("_", " ")
    unit_label = M.MEASURES[outcome].unit if outcome in M.MEASURES else ""
    unit_label = "percentage points" if unit_label == "%" else unit_label
    for lag, g in cells.groupby("rel"):
        wts = pd.Series((g["n_obs"] / g["n_obs"].sum()).to_numpy(), index=g["term"])
        est, se = combo(wts)
        rows.append({"rel": int(lag), "estimate": est, "se": se, "ci_low": est - tcrit * se,
                     "ci_high": est + tcrit * se, "n_cohorts": len(g),
                     "n_obs": int(g["n_obs"].sum())})
        fid = did_finding_id(outcome, _rel_name(int(lag)), subset)
        p = float(2 * stats.t.sf(abs(est / se), G - 1)) if se > 0 else float("nan")
        when = (f"{int(lag)} months after" if lag >= 0 else f"{-int(lag)} months before")
        event_findings.append(Finding(
            id=str(fid), question=f"How did {lab} differ {when} the change, against {units} "
                                  "that did not change?",
            estimate=est, ci_low=est - tcrit * se, ci_high=est + tcrit * se, p_value=p,
            n=int(g["n_obs"].sum()), unit=unit_label, model="sun_abraham", clusters=G,
            formula=f"{outcome} ~ cohort x relative month | {unit} + {time}",
            sentence=f"{when.capitalize()} the change, {lab} was "
                     f"{wording.change(est, est - tcrit * se, est + tcrit * se, unit_label)} "
                     f"than at the {units} that did not change."))
    es = pd.DataFrame(rows)
    es = pd.concat([es, pd.DataFrame([{"rel": -1, "estimate": 0.0, "se": np.nan,
                                       "ci_low": np.nan, "ci_high": np.nan, "n_cohorts": len(cohorts),
                                       "n_obs": int((df["_rel"] == -1).sum())}])],
                   ignore_index=True).sort_values("rel").reset_index(drop=True)
    es["period"] = np.where(es["rel"] >= 0, "after", "before")

    # ATT
    post = cells[cells["rel"] >= 0]
    w_att = pd.Series((post["n_obs"] / post["n_obs"].sum()).to_numpy(), index=post["term"])
    att, att_se = combo(w_att)
    n_treated = len(treated_units)
    how = _inference(inference, bootstrap, n_treated)
    params = {"estimator": "sun_abraham", "control": "never treated", "n_treated": n_treated,
              "n_control": len(control_units), "cohorts": [f"{pd.Timestamp(year=g // 12, month=g % 12 + 1, day=1):%Y-%m}" for g in cohorts],
              "vcov": "CRV1 by " + unit, "pretrend_window": int(pretrend_window),
              "crv1_se": att_se}
    att_warn = list(warnings_)
    # the pre-trend summary: the mean of the event-study estimates -2 .. -window
    pre = es[(es["rel"] <= -2) & (es["rel"] >= -int(pretrend_window))]
    R = []
    for lag, g in cells[cells["rel"].isin(pre["rel"])].groupby("rel"):
        R.append(pd.Series((g["n_obs"] / g["n_obs"].sum()).to_numpy(), index=g["term"])
                 .reindex(names).fillna(0.0).to_numpy())
    w_pre = np.mean(R, axis=0) if R else None
    mean_pre = float(w_pre @ beta.to_numpy()) if R else float("nan")
    se_pre = float(np.sqrt(max(w_pre @ V.to_numpy() @ w_pre, 0))) if R else float("nan")
    pre_lo, pre_hi = mean_pre - tcrit * se_pre, mean_pre + tcrit * se_pre
    p_pre = (float(2 * stats.t.sf(abs(mean_pre / se_pre), G - 1)) if R and se_pre > 0
             else float("nan"))
    pre_params = {"months": pre["rel"].tolist(), "test": "mean of the event-study "
                  "estimates before the change = 0 (one restriction)",
                  "inference": f"CRV1 by {unit}, t with G-1 = {G - 1} df"}
    pre_warn = list(warnings_)
    few = (f"only {n_treated} {units} changed" if n_treated < MIN_TREATED_CLUSTERS
           else "it was asked for")
    if how == "wild":
        clusters = df["_unit"].to_numpy()
        pad = np.zeros(X.shape[1] - k_sa)
        wb = WildClusterBootstrap(X, y, clusters, np.concatenate(
            [w_att.reindex(names).fillna(0.0).to_numpy(), pad]), n_boot=n_boot, seed=seed,
            n_absorbed=1, block=BOOT_BLOCK)
        lo, hi = wb.interval(0.95)
        p = wb.p_value(0.0)
        params.update({"inference": "wild cluster restricted bootstrap (WCR, Webb weights): "
                                    "p-value and the interval that inverts it",
                       "n_boot": int(n_boot), "seed": int(seed)})
        att_warn.append(f"interval and p-value from one wild cluster restricted bootstrap "
                        f"({n_boot} draws, the interval inverting the test) because {few}, "
                        f"and cluster-robust intervals are too narrow with few changed {units}")
        if R:
            wbp = WildClusterBootstrap(X, y, clusters, np.concatenate([w_pre, pad]),
                                       n_boot=n_boot, seed=seed, n_absorbed=1, block=BOOT_BLOCK)
            pre_lo, pre_hi = wbp.interval(0.95)
            p_pre = wbp.p_value(0.0)
            pre_params.update({"inference": "wild cluster restricted bootstrap (WCR, Webb "
                                             "weights), interval inverting the test",
                               "n_boot": int(n_boot)})
            pre_warn.append(f"{few}: the pre-trend test is on one mean (months "
                            f"-{pretrend_window} to -2), with the wild cluster restricted "
                            "bootstrap")
    elif how == "randomisation":
        ri = randomisation_inference(data, outcome, adoption, unit=unit, time=time,
                                     pretrend_window=pretrend_window,
                                     n_perm=int(n_perm or n_boot), seed=seed)
        lo, hi = ri["att_ci"]
        p = ri["att_p"]
        drawn = ("every one of the " if ri["exact"] else "") + f"{ri['n_perm']}"
        params.update({"inference": "randomisation inference over which providers changed "
                                    "(change dates dealt to other providers; interval "
                                    "inverting the test for a constant effect)",
                       "n_perm": ri["n_perm"], "exact": ri["exact"], "seed": int(seed)})
        att_warn.append(f"interval and p-value from randomisation inference because {few} "
                        f"(fewer than {RANDOMISATION_BELOW}): the change dates were dealt to "
                        f"{drawn} other sets of {units} and the effect recomputed each time "
                        f"(the interval is about these {units}' own average effect)")
        if R:
            pre_lo, pre_hi = ri["pre_ci"]
            p_pre = ri["pre_p"]
            pre_params.update({"inference": "randomisation inference over which providers "
                                            "changed", "n_perm": ri["n_perm"]})
            pre_warn.append(f"{few}: the pre-trend test is on one mean (months "
                            f"-{pretrend_window} to -2), with randomisation inference over "
                            f"which {units} changed")
        if ri["unbounded"]:
            att_warn.append(f"too few {units} to bound the randomisation interval: an end "
                            "is where the search stopped")
    else:
        lo, hi = att - tcrit * att_se, att + tcrit * att_se
        p = float(2 * stats.t.sf(abs(att / att_se), G - 1)) if att_se > 0 else float("nan")
        params["inference"] = f"CRV1 by {unit}, t with G-1 = {G - 1} df"
    lo, hi = float(lo), float(hi)
    findings = [Finding(
        id=str(did_finding_id(outcome, "att", subset)),
        question=question or f"Did {lab} change at the {units} that changed, against those "
                             "that did not?",
        estimate=att, ci_low=lo, ci_high=hi, p_value=p, n=int(post["n_obs"].sum()),
        unit=unit_label, model="sun_abraham", clusters=G,
        formula=f"{outcome} ~ cohort x relative month | {unit} + {time}",
        parameters=params, warning="; ".join(att_warn),
        sentence=f"After the change, {lab} at the {n_treated} {units} that changed was "
                 f"{wording.change(att, lo, hi, unit_label)} than the {units} that did not "
                 "change would suggest, averaged over every month after each change.")]
    band = pd.DataFrame(columns=["mbar", "ci_low", "ci_high", "bias_bound"])
    breakdown = float("nan")
    if R:
        if p_pre < 0.05:
            pre_warn.append(f"the changed {units} were already moving differently before the "
                            "change (pre-trend mean p < 0.05): read the ATT with its "
                            "sensitivity band (#honest)")
        findings.append(Finding(
            id=str(did_finding_id(outcome, "pretrend", subset)),
            question=f"Were the {units} that changed already moving differently in {lab} "
                     "before the change?",
            estimate=mean_pre, ci_low=float(pre_lo), ci_high=float(pre_hi),
            p_value=p_pre, n=int(pre["n_obs"].sum()), unit=unit_label, model="sun_abraham",
            role="diagnostic",
            clusters=G, formula=f"mean of event-study months -2..-{pretrend_window} = 0",
            parameters=pre_params,
            warning="; ".join(pre_warn),
            sentence=f"Before the change, the {units} that changed were "
                     f"{wording.change(mean_pre, pre_lo, pre_hi, unit_label)} than the others "
                     f"on average over months -{pretrend_window} to -2; "
                     f"test of no difference on average p = {formatting.p_value(p_pre)}."))
        post_w = post.groupby("rel")["n_obs"].sum().to_dict()
        band, breakdown = relative_magnitudes_band(es, lo, hi, post_w,
                                                   pretrend_window=pretrend_window)
        row = band.loc[np.isclose(band["mbar"], RR_REPORTED)].iloc[0] if (
            np.isclose(band["mbar"], RR_REPORTED).any()) else None
        if row is not None:
            holds = row["ci_low"] > 0 or row["ci_high"] < 0
            findings.append(Finding(
                id=str(did_finding_id(outcome, "att", subset, "honest")),
                question=f"How far could {lab} have changed if the trends had drifted apart "
                         "after the change as much as before it? (sensitivity)",
                estimate=att, ci_low=float(row["ci_low"]), ci_high=float(row["ci_high"]),
                n=int(post["n_obs"].sum()), unit=unit_label, model="sun_abraham",
                clusters=G, role="robustness",
                formula="Rambachan-Roth relative magnitudes: ATT interval widened by "
                        "Mbar x the largest pre-change month-to-month drift x sum_l w_l (l+1)",
                parameters={"mbar": RR_REPORTED, "band": band.to_dict("records"),
                            "breakdown_mbar": breakdown, "bias_bound": float(row["bias_bound"])},
                warning="a sensitivity band, not a confidence interval: it allows the trends "
                        "to drift apart after the change",
                sentence=f"If after the change the two groups' trends drifted apart month to "
                         f"month by up to the largest drift seen before it, the effect would "
                         f"lie between {formatting.interval(row['ci_low'], row['ci_high'])} "
                         f"{unit_label}: "
                         + ("the conclusion holds" if holds else "that includes no change")
                         + (f"; it holds up to {formatting.number(breakdown)} times that "
                            "drift." if np.isfinite(breakdown) and breakdown > 0 else ".")))
    # naive TWFE
    df["_treat"] = ((df["_g"] >= 0) & (df["_rel"] >= 0)).astype(float)
    tw = _feols(pf, f"{outcome} ~ _treat | _unit + _t", df)
    b_tw, se_tw = float(tw.coef().iloc[0]), float(tw.se().iloc[0])
    findings.append(Finding(
        id=str(did_finding_id(outcome, "att", subset, "twfe")),
        question=f"Naive two-way fixed effects estimate of the change in {lab} (diagnostic)",
        estimate=b_tw, ci_low=b_tw - tcrit * se_tw, ci_high=b_tw + tcrit * se_tw,
        p_value=float(2 * stats.t.sf(abs(b_tw / se_tw), G - 1)), n=len(df),
        unit=unit_label, model="twfe", clusters=G, role="diagnostic",
        formula=f"{outcome} ~ treated | {unit} + {time}",
        warning=("biased when changes are staggered and their effects differ between "
                 f"{units} or grow over time; shown only to compare with the Sun-Abraham ATT"
                 if len(cohorts) > 1 else "shown only to compare with the Sun-Abraham ATT"),
        sentence="The naive two-way fixed effects estimate is {0} {2} (95% CI {1}).".format(
            *formatting.estimate_interval(b_tw, b_tw - tcrit * se_tw, b_tw + tcrit * se_tw),
            unit_label)))
    if did2s:
        # event-time second stage: one coefficient per month since the change, averaged
        # with the ATT's weights (a single coefficient would count the growth of the
        # effect over time as noise in its standard error)
        lags = sorted(int(v) for v in post["rel"].unique())
        ecols = [f"_e{lag}" for lag in lags]
        df = pd.concat([df, pd.DataFrame({c: ((df["_g"] >= 0) & (df["_rel"] == lag))
                                          .astype(float) for c, lag in zip(ecols, lags)},
                                         index=df.index)], axis=1)
        d2 = pf.did2s(df, yname=outcome, first_stage="~ 0 | _unit + _t",
                      second_stage="~ " + " + ".join(ecols), treatment="_treat",
                      cluster="_unit")
        n_l = post.groupby("rel")["n_obs"].sum().reindex(lags).to_numpy(dtype=float)
        w2 = n_l / n_l.sum()
        coef2 = d2.coef().reindex(ecols).to_numpy(dtype=float)
        V2 = np.asarray(d2._vcov, dtype=float)
        b2 = float(w2 @ coef2)
        s2 = float(np.sqrt(max(w2 @ V2 @ w2, 0.0)))
        findings.append(Finding(
            id=str(did_finding_id(outcome, "att", subset, "did2s")),
            question=f"Two-stage (Gardner) estimate of the change in {lab} (robustness)",
            estimate=b2, ci_low=b2 - tcrit * s2, ci_high=b2 + tcrit * s2,
            p_value=float(2 * stats.t.sf(abs(b2 / s2), G - 1)), n=len(df),
            unit=unit_label, model="did2s", clusters=G,
            formula=f"stage 1: {outcome} ~ 0 | {unit} + {time} on untreated months; "
                    "stage 2: residual ~ one indicator per month since the change, "
                    "averaged with the ATT's weights",
            warning="cluster-robust interval" if how != "crv1" else "",
            sentence="Gardner's two-stage estimate is {0} {2} (95% CI {1}).".format(
                *formatting.estimate_interval(b2, b2 - tcrit * s2, b2 + tcrit * s2),
                unit_label)))
    options = {"outcome": outcome, "unit": unit, "time": time, "subset": subset,
               "bootstrap": how == "wild", "n_boot": int(n_boot), "seed": int(seed), **params,
               "inference_kind": how}
    return DiDResult(event_study=es, fit=fit, cells=cells, warnings=warnings_, options=options,
                     records=findings, event_records=event_findings, sensitivity=band,
                     breakdown=breakdown)


def _inference(inference: str, bootstrap: bool | None, n_treated: int) -> str:
    """The ATT's inference: ``crv1``, ``wild`` or ``randomisation``."""
    if inference not in INFERENCE:
        raise AnalysisInputError("staggered_did", "inference", f"is {inference!r}",
                                 expected=f"one of {list(INFERENCE)}")
    if inference != "auto":
        return inference
    if bootstrap is not None:
        return "wild" if bootstrap else "crv1"
    if n_treated < RANDOMISATION_BELOW:
        return "randomisation"
    return "wild" if n_treated < MIN_TREATED_CLUSTERS else "crv1"


def _feols(pf, formula: str, df: pd.DataFrame):
    """``pyfixest.feols`` clustered by provider (one coefficient: its Wald test is safe)."""
    return pf.feols(formula, df, vcov={"CRV1": "_unit"})


def _within(df: pd.DataFrame, cols: list[str], outcome: str
            ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The Sun-Abraham regression with provider effects removed by demeaning.

    Columns: the cohort x month dummies ``cols`` then month dummies (the first month
    left out); every column and ``y`` demeaned within provider, which is exact for one
    absorbed factor in an unbalanced panel (month effects are regressors).
    """
    months = pd.get_dummies(df["_t"], prefix="m", drop_first=True, dtype=float)
    Xf = pd.concat([df[cols].astype(float), months], axis=1)
    y = df[outcome].astype(float)
    grp = df["_unit"].to_numpy()
    Xd = Xf - Xf.groupby(grp).transform("mean")
    yd = y - y.groupby(grp).transform("mean")
    return Xd.to_numpy(), yd.to_numpy(), list(map(str, Xf.columns))


def _ols_crv1(X: np.ndarray, y: np.ndarray, cluster: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, int]:
    """Least squares and its CRV1 covariance, ``G/(G-1) (N-1)/(N-K-1)`` (K: columns of ``X``).

    The absorbed provider effects are nested in the provider clusters and so not counted,
    apart from the one intercept they stand for (pyfixest's default, ``fixef_k="nested"``). Pseudo-inverse: a collinear
    column gets a minimum-norm coefficient and the rank is returned.
    """
    _, cl = np.unique(cluster, return_inverse=True)
    G, (N, K) = int(cl.max()) + 1, X.shape
    XtX_inv = np.linalg.pinv(X.T @ X)
    beta = XtX_inv @ (X.T @ y)
    u = y - X @ beta
    scores = np.zeros((G, K))
    np.add.at(scores, cl, X * u[:, None])
    c = G / (G - 1) * (N - 1) / (N - K - 1)
    V = c * XtX_inv @ (scores.T @ scores) @ XtX_inv
    return beta, V, int(np.linalg.matrix_rank(X))


def _take(a: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``a[..., idx]`` along the last axis, ``idx`` broadcast against ``a``'s leading axes."""
    return np.take_along_axis(a, idx, axis=-1)


def _sa_balanced(Y: np.ndarray, rows: np.ndarray, g: np.ndarray, window: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Sun-Abraham ATT and pre-trend mean of a balanced panel, for many assignments at once.

    ``Y`` is units x months; ``rows`` (assignments x changed) the changed units and ``g``
    their change month (column of ``Y``, at least 1). With never-changed units as the
    comparison and the month before the change as reference, in a balanced panel each
    cohort x month coefficient of the saturated regression is the two-by-two
    difference-in-differences ``(Y[i, g+l] - Y[i, g-1]) - (C[g+l] - C[g-1])`` averaged
    over the cohort, ``C`` the mean of the never-changed units (Sun & Abraham 2021), so
    the ATT is its mean over every changed unit-month from the change on, and the
    pre-trend summary the mean over ``l = -2 .. -window`` of the event-study estimates.
    """
    U, T = Y.shape
    k = rows.shape[1]
    Yr = Y[rows]                                               # P x k x T
    C = (Y.sum(axis=0) - Yr.sum(axis=1)) / (U - k)             # P x T
    Ysuf = np.cumsum(Yr[..., ::-1], axis=-1)[..., ::-1]
    Csuf = np.cumsum(C[:, ::-1], axis=-1)[:, ::-1]
    n_post = T - g
    yref = _take(Yr, (g - 1)[..., None])[..., 0]
    cref = _take(C, g - 1)
    post = (_take(Ysuf, g[..., None])[..., 0] - n_post * yref
            - (_take(Csuf, g) - n_post * cref))
    att = post.sum(axis=1) / n_post.sum(axis=1)
    lags = np.arange(-int(window), -1)
    t = g[..., None] + lags                                    # P x k x L
    ok = t >= 0
    tc = np.clip(t, 0, None)
    Ct = np.take_along_axis(C[:, None, :].repeat(k, axis=1), tc, axis=-1)
    d = (_take(Yr, tc) - yref[..., None]) - (Ct - cref[..., None])
    cnt = ok.sum(axis=1)                                       # P x L
    beta = np.where(ok, d, 0.0).sum(axis=1) / np.maximum(cnt, 1)
    has = cnt > 0
    pre = np.where(has, beta, 0.0).sum(axis=1) / np.maximum(has.sum(axis=1), 1)
    return att, pre


def _sa_regression(u: np.ndarray, t: np.ndarray, Ys: np.ndarray, g_unit: np.ndarray,
                   window: int) -> tuple[np.ndarray, np.ndarray]:
    """The same as :func:`_sa_balanced` for one assignment in any panel, by the regression.

    ``u``, ``t``: unit and month codes of each row; ``Ys``: rows x outcomes; ``g_unit``:
    each unit's change month code (-1: never changed). Returns the ATT and the pre-trend
    mean of each outcome column.
    """
    g = g_unit[u]
    rel = np.where(g >= 0, t - g, np.iinfo(np.int64).min)
    treated = g >= 0
    keys = sorted({(int(a), int(b)) for a, b in zip(g[treated], rel[treated]) if b != -1})
    index = {kk: j for j, kk in enumerate(keys)}
    n, K = len(u), len(keys)
    cell = np.array([index.get((int(a), int(b)), -1) if tr else -1
                     for a, b, tr in zip(g, rel, treated)])
    T = int(t.max()) + 1
    X = np.zeros((n, K + T - 1))
    has = cell >= 0
    X[np.flatnonzero(has), cell[has]] = 1.0
    m = t > 0
    X[np.flatnonzero(m), K + t[m] - 1] = 1.0
    cnt = np.bincount(u)
    Xd = X - (np.add.reduceat(X[np.argsort(u, kind="stable")], np.r_[0, np.cumsum(cnt)[:-1]])
              / cnt[:, None])[u]
    Yd = Ys - (np.add.reduceat(Ys[np.argsort(u, kind="stable")], np.r_[0, np.cumsum(cnt)[:-1]])
               / cnt[:, None])[u]
    b = (np.linalg.pinv(Xd.T @ Xd) @ (Xd.T @ Yd))[:K]
    n_cell = np.bincount(cell[has], minlength=K).astype(float)
    rels = np.array([kk[1] for kk in keys])
    w_att = np.where(rels >= 0, n_cell, 0.0)
    att = (w_att / w_att.sum()) @ b
    lags = [lag for lag in range(-int(window), -1) if (rels == lag).any()]
    pre = np.zeros(Ys.shape[1])
    for lag in lags:
        w = np.where(rels == lag, n_cell, 0.0)
        pre += (w / w.sum()) @ b / len(lags)
    return att, pre


def _assignments(n_units: int, dates: np.ndarray, n_perm: int, seed: int
                 ) -> tuple[np.ndarray, np.ndarray, bool]:
    """Assignments of the change dates to units: every distinct one when there are at most
    ``n_perm`` (then the observed one is among them), else ``n_perm`` drawn at random
    (``numpy.random.default_rng(seed)``). Returns units, dates and whether it is the
    full enumeration.
    """
    from itertools import combinations

    values, sizes = np.unique(dates, return_counts=True)
    total, left = 1, n_units
    for m in sizes:
        total *= math.comb(left, int(m))
        left -= int(m)
    k = len(dates)
    if total <= n_perm:
        out: list[list[int]] = [[]]
        for m in sizes:
            out = [a + list(c) for a in out
                   for c in combinations([i for i in range(n_units) if i not in a], int(m))]
        rows = np.array(out, dtype=np.int64)
        return rows, np.tile(np.repeat(values, sizes), (len(rows), 1)), True
    rng = np.random.default_rng(int(seed))
    rows = np.argsort(rng.random((int(n_perm), n_units)), axis=1)[:, :k]
    return rows, np.tile(np.sort(dates), (int(n_perm), 1)), False


def _ri_interval(a0: float, a: np.ndarray, b: np.ndarray, *, exact: bool, level: float = 0.95,
                 limit: float = 100.0) -> tuple[float, float, float, bool]:
    """Invert the randomisation test of a constant effect ``tau``: ``a`` are the statistic
    under each assignment, ``b`` the statistic of the observed treatment indicator under
    each (the observed statistic of ``y - tau D`` is ``a0 - tau``). Returns the p-value of
    ``tau = 0``, the interval of values not rejected at ``1 - level`` and whether an end
    reached ``limit`` spreads of the statistic.
    """
    def p(tau: float) -> float:
        obs = abs(a0 - tau)
        hit = np.abs(a - tau * b) >= obs - 1e-9 * max(obs, 1.0)
        return float(hit.mean()) if exact else float((1 + hit.sum()) / (len(a) + 1))

    alpha = 1 - level
    scale = float(np.std(a)) or 1.0
    ends, unbounded = [], False
    for sign in (-1.0, 1.0):
        inner, step, outer = 0.0, 0.25, None
        while step <= limit:
            if p(a0 + sign * step * scale) <= alpha:
                outer = step
                break
            inner, step = step, step * 2
        if outer is None:
            unbounded = True
            ends.append(a0 + sign * limit * scale)
            continue
        for _ in range(50):
            mid = (inner + outer) / 2
            if p(a0 + sign * mid * scale) <= alpha:
                outer = mid
            else:
                inner = mid
            if outer - inner < 1e-5:
                break
        ends.append(a0 + sign * (inner + outer) / 2 * scale)
    return p(0.0), float(ends[0]), float(ends[1]), unbounded


def randomisation_inference(data: pd.DataFrame, outcome: str, adoption, *,
                            unit: str = "provider_code", time: str = "period",
                            pretrend_window: int = PRETREND_WINDOW, n_perm: int = 999,
                            seed: int = 0, level: float = 0.95) -> dict[str, Any]:
    """Randomisation inference for the Sun-Abraham ATT and pre-trend mean over which
    providers changed.

    The change dates actually seen (and so the cohorts and their sizes) are dealt out
    again to providers drawn at random from every provider in ``data`` (``n_perm``
    times, or every distinct way when there are no more than ``n_perm``), and the ATT
    and the pre-trend mean are recomputed as if those had changed. The p-value is the
    share of assignments whose statistic is at least as far from zero as the one seen
    (the one seen counted among them); the interval collects the constant effects
    ``tau`` not rejected at ``1 - level`` when ``tau`` is taken off the changed
    providers' months after their change (months -2 .. -``pretrend_window`` for the
    pre-trend mean). It is exact under the null when the changed providers are as good
    as a random draw from those in ``data``, however few changed (Fisher; MacKinnon &
    Webb 2020 for the few-treated-clusters case). A balanced panel uses the closed form
    of the two-by-two differences; otherwise every assignment refits the regression.

    Returns a dict: ``att``, ``att_p``, ``att_ci`` and ``pre``, ``pre_p``, ``pre_ci``
    (each interval a pair), ``n_perm`` (assignments used), ``exact`` (every distinct
    assignment) and ``unbounded`` (an interval end was not reached).

    >>> from workbench.data.synth import generate
    >>> from workbench.data.interventions import insert_interventions
    >>> sd = generate(seed=4, n_providers=80, n_months=24)
    >>> nhs = [p for p in sd.panel["provider_code"].unique() if p.startswith("R")]
    >>> iv = insert_interventions(sd, "fft_pct_positive", providers=nhs[:5],
    ...                           start="2024-06-01", level=0.6, seed=1)
    >>> ri = randomisation_inference(iv.panel[iv.panel["provider_code"].isin(nhs)],
    ...                              "fft_pct_positive", iv.adoption_dates(), n_perm=499)
    >>> bool(ri["att_p"] < 0.05), bool(ri["att_ci"][0] > 0)
    (True, True)
    """
    fn = "randomisation_inference"
    if isinstance(n_perm, bool) or not isinstance(n_perm, (int, np.integer)) or n_perm < 19:
        raise AnalysisInputError(fn, "n_perm", f"is {n_perm!r}", expected="19 or more "
                                 "assignments (999 for a p-value near 0.05)")
    df, _ = prepare_changes(data, outcome, adoption, unit, time)
    df["_unit"] = pd.factorize(df[unit], sort=True)[0]
    first = int(df["_t"].min())
    df["_tc"] = df["_t"] - first
    U, T = int(df["_unit"].max()) + 1, int(df["_tc"].max()) + 1
    g_unit = df.groupby("_unit")["_g"].first().reindex(range(U)).to_numpy()
    changed = np.flatnonzero(g_unit >= 0)
    if len(changed) < 1 or len(changed) >= U - 1:
        raise AnalysisInputError(fn, "adoption", f"marks {len(changed)} of {U} providers as "
                                 "changed", expected="at least one changed and two unchanged")
    g_obs = g_unit[changed] - first
    if (g_obs < 1).any():
        raise AnalysisInputError(fn, "adoption", "puts a change in the first month of data",
                                 expected="change months with at least one month before them")
    rows, gs, exact = _assignments(U, g_obs, int(n_perm), seed)
    u, t = df["_unit"].to_numpy(), df["_tc"].to_numpy()
    y = df[outcome].to_numpy(dtype=float)
    g_row = np.full(U, -1)
    g_row[changed] = g_obs
    rel = np.where(g_row[u] >= 0, t - g_row[u], np.iinfo(np.int64).min)
    d_att = ((g_row[u] >= 0) & (rel >= 0)).astype(float)
    d_pre = ((g_row[u] >= 0) & (rel <= -2) & (rel >= -int(pretrend_window))).astype(float)
    balanced = len(df) == U * T
    order = np.argsort(g_obs, kind="stable")
    obs_rows, obs_g = changed[order][None, :], g_obs[order][None, :]
    if balanced:
        mats = []
        for col in (y, d_att, d_pre):
            M_ = np.zeros((U, T))
            M_[u, t] = col
            mats.append(M_)
        (a0,), (p0,) = _sa_balanced(mats[0], obs_rows, obs_g, pretrend_window)
        a, pre = _sa_balanced(mats[0], rows, gs, pretrend_window)
        b, _ = _sa_balanced(mats[1], rows, gs, pretrend_window)
        _, e = _sa_balanced(mats[2], rows, gs, pretrend_window)
    else:
        Ys = np.column_stack([y, d_att, d_pre])
        obs = np.full(U, -1)
        obs[changed] = g_obs
        (a0, _, _), (p0, _, _) = _sa_regression(u, t, Ys, obs, pretrend_window)
        a, b, pre, e = (np.empty(len(rows)) for _ in range(4))
        for j, (r, gg) in enumerate(zip(rows, gs)):
            gu = np.full(U, -1)
            gu[r] = gg
            at, pr = _sa_regression(u, t, Ys, gu, pretrend_window)
            a[j], b[j], pre[j], e[j] = at[0], at[1], pr[0], pr[2]
    att_p, lo, hi, unb1 = _ri_interval(float(a0), a, b, exact=exact, level=level)
    pre_p, plo, phi, unb2 = _ri_interval(float(p0), pre, e, exact=exact, level=level)
    return {"att": float(a0), "att_p": att_p, "att_ci": (lo, hi), "pre": float(p0),
            "pre_p": pre_p, "pre_ci": (plo, phi), "n_perm": len(rows), "exact": exact,
            "unbounded": bool(unb1 or unb2), "balanced": bool(balanced)}


def relative_magnitudes_band(event_study: pd.DataFrame, ci_low: float, ci_high: float,
                             post_weights: Mapping[int, float], *,
                             pretrend_window: int = PRETREND_WINDOW,
                             mbar: tuple[float, ...] = RR_MBAR) -> tuple[pd.DataFrame, float]:
    """Rambachan & Roth's (2023) relative-magnitudes sensitivity band for the ATT.

    Suppose that after the change the two groups' trends could drift apart, from one
    month to the next, by up to ``Mbar`` times the largest month-to-month drift seen
    before it (``D``: the largest change between consecutive event-study estimates from
    month -``pretrend_window`` to -1, where the estimate is 0). ``l`` months after the
    change the drift is then at most ``(l + 1) Mbar D``, and the ATT (the weighted mean
    over relative months, ``post_weights``: ``{l: weight}``) is off by at most
    ``Mbar D S`` with ``S = sum_l w_l (l + 1)``: the band is the ATT's interval widened by
    that much on each side. ``Mbar = 0`` is the interval itself (exact parallel trends).
    ``D`` is the estimated bound (a plug-in: the HonestDiD package's conditional
    confidence sets also allow for its noise, which this band does not).

    Returns the band (``mbar, ci_low, ci_high, bias_bound``) and the breakdown value: the
    smallest ``Mbar`` at which the band includes no change (0 when the interval already
    does).

    >>> es = pd.DataFrame({"rel": [-3, -2, -1, 0, 1], "estimate": [0.2, -0.1, 0.0, 1.0, 1.2]})
    >>> band, breakdown = relative_magnitudes_band(es, 0.5, 1.7, {0: 0.5, 1: 0.5},
    ...                                            pretrend_window=3, mbar=(0.0, 1.0))
    >>> band[["mbar", "ci_low", "ci_high"]].round(2).to_numpy().tolist()
    [[0.0, 0.5, 1.7], [1.0, 0.05, 2.15]]
    >>> round(breakdown, 3)
    1.111
    """
    es = event_study.set_index("rel")["estimate"]
    lags = [lag for lag in range(-int(pretrend_window), 0) if lag in es.index]
    pre = es.reindex(lags).astype(float).fillna(0.0)
    if -1 not in es.index:
        pre.loc[-1] = 0.0
    D = float(np.max(np.abs(np.diff(pre.sort_index().to_numpy())))) if len(pre) > 1 else 0.0
    tot = float(sum(post_weights.values()))
    S = float(sum(w * (int(lag) + 1) for lag, w in post_weights.items()) / tot)
    rows = [{"mbar": float(m), "ci_low": float(ci_low - m * D * S),
             "ci_high": float(ci_high + m * D * S), "bias_bound": float(m * D * S)}
            for m in mbar]
    if ci_low > 0 or ci_high < 0:
        breakdown = (min(abs(ci_low), abs(ci_high)) / (D * S)) if D * S > 0 else float("inf")
    else:
        breakdown = 0.0
    return pd.DataFrame(rows), float(breakdown)
