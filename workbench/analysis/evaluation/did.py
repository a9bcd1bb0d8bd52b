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
  ``l = -pretrend_window``, with the p-value of the joint Wald (F) test that they are all
  zero (a test of parallel trends and of no anticipation before the change).

Inference: cluster-robust (CRV1) by provider, t with ``G - 1`` degrees of freedom. With
fewer than :data:`MIN_TREATED_CLUSTERS` treated providers, cluster-robust intervals are
too narrow (MacKinnon & Webb 2017), so the ATT's p-value comes from a wild cluster
restricted bootstrap (WCR, null imposed, Webb six-point weights) and its interval from
the wild cluster bootstrap-t (unrestricted, equal-tailed), both from the workbench's one
wild cluster bootstrap (:mod:`workbench.analysis.models.bootstrap`) on the same
regression (provider effects removed by demeaning, month dummies as regressors) and
with ``n_boot`` draws and a fixed ``seed``; the finding's warning says so. The
pre-trend test then is a wild cluster restricted bootstrap of the joint Wald statistic
(:func:`~workbench.analysis.models.bootstrap.wild_cluster_wald`): with 8 changed providers
the F test rejected a true null of no pre-trend in 80% of simulated panels, the bootstrap
in about 13%.

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
  under the same assumptions as Sun-Abraham. Its analytic standard error is conservative
  here (about 1.3 times the simulated spread of the estimate with heterogeneous effects
  and 1.8 times without).

Ids: ``did:att-><outcome>@<subset>``, ``did:pretrend-><outcome>@<subset>``,
``did:event_p<l>`` / ``did:event_m<l>`` (``l`` months after / before) from
``DiDResult.findings(events=True)``, and ``did:att-><outcome>@<subset>#twfe`` / ``#did2s``.

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
>>> "wild cluster bootstrap" in att.warning
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from workbench.analysis.findings import formatting, wording
from workbench.analysis.findings.record import Finding, Findings, with_question
from workbench.analysis.models.bootstrap import wild_cluster_bootstrap, wild_cluster_wald
from workbench.data import measures as M
from workbench.errors import AnalysisInputError
from workbench.finding_id import FindingId

#: Fewer treated providers than this: the ATT uses the wild cluster bootstrap.
MIN_TREATED_CLUSTERS = 20
#: Pre-change relative months in the pre-trend test: l = -2 .. -PRETREND_WINDOW.
PRETREND_WINDOW = 6
#: The bootstrap weights are drawn this many draws at a time (so that the same seed keeps
#: giving the same draws, and so the same findings, as it always has).
BOOT_BLOCK = 250

__all__ = ["DiDResult", "did_finding_id", "staggered_did"]


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


def _prepare(data, outcome, adoption, unit, time) -> tuple[pd.DataFrame, list[str]]:
    fn = "staggered_did"
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
        Use the wild cluster bootstrap for the ATT; default when fewer than
        :data:`MIN_TREATED_CLUSTERS` providers changed.
    n_boot, seed : int
        Bootstrap draws and seed.
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
    df, notes = _prepare(data, outcome, adoption, unit, time)
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
    use_boot = (n_treated < MIN_TREATED_CLUSTERS) if bootstrap is None else bool(bootstrap)
    params = {"estimator": "sun_abraham", "control": "never treated", "n_treated": n_treated,
              "n_control": len(control_units), "cohorts": [f"{pd.Timestamp(year=g // 12, month=g % 12 + 1, day=1):%Y-%m}" for g in cohorts],
              "vcov": "CRV1 by " + unit, "pretrend_window": int(pretrend_window)}
    att_warn = list(warnings_)
    if use_boot:
        wv = np.concatenate([w_att.reindex(names).fillna(0.0).to_numpy(),
                             np.zeros(X.shape[1] - k_sa)])
        boot = wild_cluster_bootstrap(X, y, df["_unit"].to_numpy(), wv, n_boot=n_boot,
                                      seed=seed, n_absorbed=1, block=BOOT_BLOCK)
        lo, hi, p = boot["ci_low"], boot["ci_high"], boot["p_value"]
        params.update({"inference": "wild cluster bootstrap (WCR p-value, WCU bootstrap-t "
                                    "interval, Webb weights)", "n_boot": int(n_boot),
                       "seed": int(seed), "crv1_se": att_se})
        why = (f"only {n_treated} {units} changed (fewer than {MIN_TREATED_CLUSTERS}), "
               "and cluster-robust intervals are too narrow with few treated clusters"
               if n_treated < MIN_TREATED_CLUSTERS else "the bootstrap was asked for")
        att_warn.append(f"interval and p-value from a wild cluster bootstrap ({n_boot} draws) "
                        f"because {why}")
        lo, hi = float(lo), float(hi)
    else:
        lo, hi = att - tcrit * att_se, att + tcrit * att_se
        p = float(2 * stats.t.sf(abs(att / att_se), G - 1)) if att_se > 0 else float("nan")
        params["inference"] = f"CRV1 by {unit}, t with G-1 = {G - 1} df"
    # pre-trend
    pre = es[(es["rel"] <= -2) & (es["rel"] >= -int(pretrend_window))]
    pre_warn = list(warnings_)
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
    if len(pre):
        terms = cells[cells["rel"].isin(pre["rel"])]
        R = []
        for lag, g in terms.groupby("rel"):
            R.append(pd.Series((g["n_obs"] / g["n_obs"].sum()).to_numpy(), index=g["term"])
                     .reindex(names).fillna(0.0).to_numpy())
        R = np.array(R)
        rb = R @ beta.to_numpy()
        RVR = R @ V.to_numpy() @ R.T
        q = int(np.linalg.matrix_rank(RVR))
        F = float(rb @ np.linalg.pinv(RVR) @ rb) / max(q, 1)
        p_pre = float(stats.f.sf(F, q, G - 1)) if q >= 1 else float("nan")
        wmean = np.full(len(R), 1 / len(R))
        mean_pre = float(wmean @ rb)
        se_pre = float(np.sqrt(max(wmean @ RVR @ wmean, 0)))
        pre_lo, pre_hi = mean_pre - tcrit * se_pre, mean_pre + tcrit * se_pre
        pre_params = {"F": F, "df1": q, "df2": G - 1, "months": pre["rel"].tolist(),
                      "inference": f"CRV1 by {unit}, t with G-1 = {G - 1} df"}
        if use_boot:
            # with few treated providers the F test rejects far too often (the q x q
            # cluster-robust covariance is too noisy to invert): bootstrap the Wald test,
            # and the mean's interval, on the same regression as the ATT
            Rfull = np.hstack([R, np.zeros((len(R), X.shape[1] - k_sa))])
            clusters = df["_unit"].to_numpy()
            bw = wild_cluster_wald(X, y, clusters, Rfull, n_boot=n_boot, seed=seed, n_absorbed=1,
                                   block=BOOT_BLOCK)
            bp = wild_cluster_bootstrap(X, y, clusters, wmean @ Rfull, n_boot=n_boot, seed=seed,
                                        n_absorbed=1, block=BOOT_BLOCK)
            p_pre = bw["p_value"]
            pre_lo, pre_hi = float(bp["ci_low"]), float(bp["ci_high"])
            pre_params.update({"inference": "wild cluster restricted bootstrap of the joint "
                                            "Wald test; wild cluster bootstrap-t interval of "
                                            "the mean (Webb weights)", "n_boot": int(n_boot),
                               "F_p_value": float(stats.f.sf(F, q, G - 1)) if q >= 1 else None})
            pre_warn.append(f"only {n_treated} {units} changed: the pre-trend test is a wild "
                            "cluster bootstrap of the joint Wald test (the F test rejects far "
                            f"too often with few changed {units}) and still rejects somewhat "
                            "more often than 5% when nothing differs")
        if p_pre < 0.05:
            pre_warn.append(f"the changed {units} were already moving differently before the "
                            "change (pre-trend test p < 0.05): parallel trends are doubtful")
        findings.append(Finding(
            id=str(did_finding_id(outcome, "pretrend", subset)),
            question=f"Were the {units} that changed already moving differently in {lab} "
                     "before the change?",
            estimate=mean_pre, ci_low=pre_lo, ci_high=pre_hi,
            p_value=p_pre, n=int(pre["n_obs"].sum()), unit=unit_label, model="sun_abraham",
            role="diagnostic",
            clusters=G, formula=f"joint F test of event-study months -2..-{pretrend_window} = 0",
            parameters=pre_params,
            warning="; ".join(pre_warn),
            sentence=f"Before the change, the {units} that changed were "
                     f"{wording.change(mean_pre, pre_lo, pre_hi, unit_label)} than the others "
                     f"on average over months -{pretrend_window} to -2; "
                     f"joint test of no pre-trend p = {formatting.p_value(p_pre)}."))
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
        d2 = pf.did2s(df, yname=outcome, first_stage="~ 0 | _unit + _t",
                      second_stage="~ _treat", treatment="_treat", cluster="_unit")
        b2, s2 = float(d2.coef().iloc[0]), float(d2.se().iloc[0])
        findings.append(Finding(
            id=str(did_finding_id(outcome, "att", subset, "did2s")),
            question=f"Two-stage (Gardner) estimate of the change in {lab} (robustness)",
            estimate=b2, ci_low=b2 - tcrit * s2, ci_high=b2 + tcrit * s2,
            p_value=float(2 * stats.t.sf(abs(b2 / s2), G - 1)), n=len(df),
            unit=unit_label, model="did2s", clusters=G,
            formula=f"stage 1: {outcome} ~ 0 | {unit} + {time} on untreated months; "
                    "stage 2: residual ~ treated",
            warning="cluster-robust interval (no bootstrap)" if use_boot else "",
            sentence="Gardner's two-stage estimate is {0} {2} (95% CI {1}).".format(
                *formatting.estimate_interval(b2, b2 - tcrit * s2, b2 + tcrit * s2),
                unit_label)))
    options = {"outcome": outcome, "unit": unit, "time": time, "subset": subset,
               "bootstrap": use_boot, "n_boot": int(n_boot), "seed": int(seed), **params}
    return DiDResult(event_study=es, fit=fit, cells=cells, warnings=warnings_, options=options,
                     records=findings, event_records=event_findings)


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
