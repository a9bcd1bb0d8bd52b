"""The analyses behind each notebook, as functions a test can call.

Why one module: every notebook's analysis is found in one place, and the coverage tests
run the same functions over many seeds; the A&E questions of the real-data notebook
(``ae_staffing_*``) are the seam if it grows further.

Each function takes the panel and returns tidy findings; the notebooks add the
narrative and the figures. The same functions are run over many synthetic seeds in
the coverage tests, so what a report says is what the tests check. The module stays
whole (just over 400 lines) so that every notebook's analysis is found in one place; the
A&E questions of the real-data notebook (``ae_staffing_*``) are its seam if it grows.

Example
-------
>>> from workbench.data.synth import generate
>>> panel = generate(seed=3, n_providers=60, n_months=12).panel
>>> ids = [f.id for f in staffing_waits_satisfaction(panel, subset="acute")]
>>> "effect:rtt_median_weeks->fft_pct_positive@acute" in ids
True
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from workbench.analysis import models as md
from workbench.analysis.findings import Finding, Findings
from workbench.data import measures as M
from workbench.data.schema import measure_columns
from workbench.errors import AnalysisInputError


def _adjust_for(subset: str) -> tuple[str, ...]:
    return md.CASE_MIX + (("sector_independent",) if subset == "acute" else ())


#: Providers below which a within-provider estimate is not a headline: its provider-clustered
#: interval rests on too few clusters to be trusted (scenario ``few_independent``).
MIN_HEADLINE_CLUSTERS = 20


def staffing_waits_satisfaction(panel: pd.DataFrame, subset: str = "acute",
                                staffing: str = "nurse_fte_per_10_beds",
                                engagement_lag: int = 1,
                                mixed: bool = True) -> list[Finding]:
    """Staffing -> waits -> satisfaction for one provider subset: headline first.

    Within-provider models (ids end ``#fe``) compare each provider with itself over
    time: provider fixed effects absorb everything about a provider that does not change
    over the panel (case mix, sector, unmeasured quality or management), with month
    effects and provider-clustered intervals (t with G-1 df). They are fitted for

    1. waits on staffing;
    2. FFT % positive on waits, staffing and engagement ``engagement_lag`` months earlier
       (the direct effects);
    3. FFT on staffing alone (the total effect of staffing, direct + through waits);
    4. complaints on waits and staffing (Poisson with provider and month effects, rate
       ratios);
    5. for ``nhs``: A&E 4-hour performance on staffing (A&E is NHS-only).

    **Headline** (``role="headline"``): the within-provider effects of staffing and waits
    on waits, satisfaction and complaints (1, the wait and staffing terms of 2, 3, 4). With
    fewer than :data:`MIN_HEADLINE_CLUSTERS` providers in the subset they are
    ``diagnostic`` instead, with a warning: clustered intervals over so few providers
    cover less than they claim.

    **Robustness** (``role="robustness"``): the within-provider engagement effect (the
    NHS Staff Survey is annual, so a provider's own engagement changes little over a
    real panel) and A&E effect (a secondary, NHS-only outcome), and every estimand
    compared across providers, adjusting for case mix (and, for ``acute``, sector):
    pooled OLS (today's un-suffixed ids), the binomial model of FFT counts
    (``odds_ratio:`` ids), the random-intercept model (when ``mixed``; ``#mixed``) and the
    pooled Poisson model of complaints. The pooled models are more precise but assume no
    unmeasured provider characteristic moves both staffing and the outcome; the scenarios
    of :mod:`workbench.data.scenarios` (``confounded``, ``nonlinear``,
    ``mediator_confounded``) show them failing where the within-provider models hold.

    The true value of every ``#fe`` id is that of the id without it (the within-provider
    effect; :func:`workbench.analysis.findings.truth_for`).
    """
    adj = _adjust_for(subset)
    lag = f"staff_engagement_lag{engagement_lag}"
    direct = (M.get("rtt_median_weeks").name, staffing, lag)
    q_wait = "Do providers with more nurses per bed have shorter waits?"
    q_fft = "What moves patient satisfaction: waits, staffing, or staff engagement last month?"
    q_total = ("How much does better staffing raise satisfaction, counting its effect "
               "through shorter waits?")
    q_compl = "Do longer waits and thinner staffing bring more complaints?"
    q_ae = "Do NHS trusts with more nurses per bed see more A&E patients within 4 hours?"
    within = " (within provider: each provider compared with itself over time)"
    has_ae = subset == "nhs" and panel.loc[panel["sector"] == "nhs",
                                           "ae_pct_within_4h"].notna().any()

    def run(spec: md.ModelSpec, question: str, role: str) -> list[Finding]:
        found = md.findings(md.fit(spec, panel), question)
        for f in found:
            f.role = role
        return list(found)

    head: list[Finding] = []
    head += run(md.ModelSpec("rtt_median_weeks", (staffing,), kind="fe", subset=subset,
                             suffix="fe"), q_wait + within, "headline")
    head += run(md.ModelSpec("fft_pct_positive", direct, kind="fe", subset=subset,
                             suffix="fe"), q_fft + within, "headline")
    head += run(md.ModelSpec("fft_pct_positive", (staffing,), kind="fe", subset=subset,
                             prefix="total", suffix="fe"), q_total + within, "headline")
    # provider effects as a factor of the Poisson model: with 36 months per provider the
    # Poisson fixed-effects estimator has no incidental-parameter bias
    head += run(md.ModelSpec("complaints", ("rtt_median_weeks", staffing), ("provider_code",),
                             kind="poisson", exposure="episodes", subset=subset,
                             prefix="rate_ratio", suffix="fe"), q_compl + within, "headline")
    across = " (compared across providers, adjusted for case mix)"
    rob: list[Finding] = [f for f in head if f.key.exposure == md.exposure_label(lag)]
    head = [f for f in head if f not in rob]
    for f in rob:
        f.role = "robustness"
    for f in head:
        if f.clusters is not None and f.clusters < MIN_HEADLINE_CLUSTERS:
            f.role = "diagnostic"
            note = (f"only {f.clusters} providers: too few for a trustworthy clustered "
                    f"interval (a headline needs {MIN_HEADLINE_CLUSTERS})")
            f.warning = "; ".join(w for w in (f.warning, note) if w)
    if has_ae:
        rob += run(md.ModelSpec("ae_pct_within_4h", (staffing,), kind="fe", subset="nhs",
                                suffix="fe"), q_ae + within, "robustness")
    rob += run(md.ModelSpec("rtt_median_weeks", (staffing,), adj, subset=subset),
               q_wait + across, "robustness")
    rob += run(md.ModelSpec("fft_pct_positive", direct, adj, subset=subset), q_fft + across,
               "robustness")
    binom = md.ModelSpec("fft_positive", direct, adj, kind="binomial", trials="fft_responses",
                         subset=subset, prefix="odds_ratio")
    for f in run(binom, q_fft + " (binomial model of FFT counts)", "robustness"):
        # the counts model reports on the percentage measure it models
        f.id = str(f.key.with_(outcome="fft_pct_positive"))
        rob.append(f)
    if mixed:
        rob += run(md.ModelSpec("fft_pct_positive", direct, adj, kind="mixed", subset=subset,
                                suffix="mixed"), q_fft + " (random-intercept model)",
                   "robustness")
    rob += run(md.ModelSpec("fft_pct_positive", (staffing,), adj, subset=subset,
                            prefix="total"), q_total + across, "robustness")
    rob += run(md.ModelSpec("complaints", ("rtt_median_weeks", staffing), adj, kind="poisson",
                            exposure="episodes", subset=subset, prefix="rate_ratio"),
               q_compl + across, "robustness")
    if has_ae:
        rob += run(md.ModelSpec("ae_pct_within_4h", (staffing,), md.CASE_MIX, subset="nhs"),
                   q_ae + across, "robustness")
    return Findings(head + rob)


def satisfaction_model(panel: pd.DataFrame, subset: str = "acute",
                       staffing: str = "nurse_fte_per_10_beds",
                       engagement_lag: int = 1) -> md.Fit:
    """The headline satisfaction model of notebook 02 (FFT % positive on waits, staffing
    and lagged engagement, within provider: provider and month fixed effects, clustered),
    for its residual and influence diagnostics."""
    direct = ("rtt_median_weeks", staffing, f"staff_engagement_lag{engagement_lag}")
    return md.fit(md.ModelSpec("fft_pct_positive", direct, kind="fe", subset=subset,
                               suffix="fe"), panel)


def staffing_pathways(panel: pd.DataFrame, subset: str = "acute", *, n_boot: int = 999,
                      seed: int = 0) -> list[Finding]:
    """Staffing -> waits -> satisfaction as a mediation analysis (product of coefficients,
    cluster bootstrap over providers; :mod:`workbench.analysis.mediation`): headline first.

    The split is reported as ``robustness``: its parts are the headline within-provider
    effects of :func:`staffing_waits_satisfaction` (staffing -> waits times waits ->
    satisfaction is the indirect effect), so it adds no claim of its own to the
    multiple-testing family.

    1. Within provider (ids ending ``#fe``; direct and total ``#fe_bootstrap``): staffing,
       waits, satisfaction and engagement last month are taken as deviations from each
       provider's own mean (provider fixed effects; exact for a balanced panel), both path
       models have month effects, and providers are resampled whole. It assumes no
       unmeasured cause of waits and satisfaction that changes within a provider over time.
    2. Across providers adjusted for case mix (indirect un-suffixed, direct and total
       ``#bootstrap``), which an unmeasured provider-level cause of waits and satisfaction
       biases (scenario ``mediator_confounded``).
    """
    from workbench.analysis.mediation import mediate_panel, product_of_coefficients

    exposure, mediator, outcome = "nurse_fte_per_10_beds", "rtt_median_weeks", "fft_pct_positive"
    lag = "staff_engagement_lag1"
    rows = md.prepare(md.ModelSpec(outcome, (mediator, exposure, lag), subset=subset), panel)
    cols = [exposure, mediator, outcome, lag]
    rows[cols] = rows[cols] - rows.groupby("provider_code")[cols].transform("mean")
    res = product_of_coefficients(rows, exposure, mediator, outcome, outcome_adjust=(lag,),
                                  cluster="provider_code", time="month", n_boot=n_boot,
                                  seed=seed, subset=subset)
    out: list[Finding] = []
    for f in res.findings():
        f.id = str(f.key.with_(variant="fe" if f.key.kind == "indirect" else "fe_bootstrap"))
        f.role = "robustness"
        f.model += ", within provider"
        f.formula = f"within provider (provider means removed): {f.formula}"
        out.append(f)
    for f in mediate_panel(panel, subset=subset, n_boot=n_boot, seed=seed).findings():
        if f.key.kind != "indirect":
            f.id = str(f.key.with_(variant="bootstrap"))
        f.role = "robustness"
        f.question += " (compared across providers, adjusted for case mix)"
        out.append(f)
    return Findings(out)


def sector_weighting(panel: pd.DataFrame, outcomes: tuple[str, ...] = (
        "rtt_median_weeks", "fft_pct_positive"), *, n_boot: int = 499,
        seed: int = 0, methods: tuple[str, ...] = ("ipw", "overlap", "aipw"),
        trim: float | None = None) -> tuple[list[Finding], pd.DataFrame | None]:
    """The weighted comparisons of NHS and independent providers, with their balance.

    Per outcome, one finding per method of :mod:`workbench.analysis.causal`: inverse
    probability weighting (ATE), overlap weights (ATO, the overlap population) and
    augmented IPW (ATE, doubly robust), optionally after trimming (``trim``). Each
    finding names its estimand in its question and unit; one whose weights leave any
    standardised mean difference at 0.1 or more is a ``diagnostic`` ("not to be read as
    an answer"), otherwise a ``robustness`` check beside the regression-adjusted
    headline. The balance table has ``covariate``, ``stage`` (``unweighted`` /
    ``weighted``), ``smd`` and ``weights`` (the scheme: ``IPW (ATE)``, ``overlap
    (ATO)``). Empty when the panel has no case mix.
    """
    from workbench.analysis.causal import (
        balance,
        propensity_scores,
        provider_table,
        weighted_difference,
    )

    covariates = case_mix_available(panel)
    found: list[Finding] = []
    if not covariates:
        return found, None
    for o in outcomes:
        if _both_sectors(panel, o):
            for m in methods:
                f, _ = weighted_difference(panel, o, method=m, trim=trim, covariates=covariates,
                                           n_boot=n_boot, seed=seed)
                found.append(f)
    if not found:
        return found, None
    base = provider_table(panel, covariates=covariates)
    tables = []
    for estimand, name in (("ATE", "IPW (ATE)"), ("ATO", "overlap (ATO)")):
        b = balance(propensity_scores(base, covariates, estimand=estimand), covariates)
        if estimand == "ATO":
            b = b[b["stage"] == "weighted"]
        tables.append(b.assign(weights=name))
    return found, pd.concat(tables, ignore_index=True)


def nhs_vs_independent(panel: pd.DataFrame,
                       outcomes: tuple[str, ...] = ("rtt_median_weeks", "fft_pct_positive",
                                                    "nurse_fte_per_10_beds"),
                       ) -> list[Finding]:
    """Independent minus NHS acute providers: naive and case-mix adjusted, per outcome,
    plus CQC ratings (ordinal logit, exposures up to each rating's date, Brant test of
    proportional odds in the model text) and care-home ownership.

    Sector contrasts with fewer than 20 providers in a sector (or 40 in all) take wild
    cluster bootstrap intervals (:func:`workbench.analysis.models.fit`, the warning says
    so); adjusted findings carry their E-value in ``sensitivity``.
    """
    out: list[Finding] = []
    case_mix = case_mix_available(panel)
    for o in outcomes:
        if not _both_sectors(panel, o):
            continue  # sector_comparison_limits says why
        if case_mix:
            out += md.sector_difference(panel, o, adjust=case_mix)
        else:  # no case mix published: the naive difference only
            out += md.findings(md.fit(md.ModelSpec(o, ("sector_independent",), subset="acute",
                                                   prefix="naive"), panel),
                               f"Do independent hospitals differ from NHS trusts on "
                               f"{M.label(o)}? (no case mix in these data: naive only)")
    if not _can_fit_ratings(panel):
        return out
    acute_rating = md.ModelSpec("cqc_overall", ("sector_independent", "nurse_fte_per_10_beds",
                                                "staff_engagement"),
                                kind="ordinal", subset="acute", prefix="ordinal")
    out += md.findings(md.fit(acute_rating, panel),
                       "Are independent hospitals rated better by CQC, at equal staffing?")
    homes = md.ModelSpec("cqc_overall", ("ownership_for_profit", "ownership_local_authority",
                                         "nurse_fte_per_10_beds"),
                         kind="ordinal", subset="care_home", prefix="ordinal")
    if select_has(panel, "care_home"):
        out += md.findings(md.fit(homes, panel),
                           "Are for-profit and council-run care homes rated differently from "
                           "not-for-profit homes?")
    return out


def _both_sectors(panel: pd.DataFrame, outcome: str) -> bool:
    acute = md.select_subset(panel, "acute")
    if outcome not in acute.columns:
        return False
    return {"nhs", "independent"} <= set(acute.loc[acute[outcome].notna(), "sector"])


def _can_fit_ratings(panel: pd.DataFrame) -> bool:
    """CQC ratings models need ratings, staffing and engagement for acute providers of
    both sectors (the synthetic default has them; the published files do not)."""
    need = ("cqc_overall", "nurse_fte_per_10_beds", "staff_engagement")
    acute = md.select_subset(panel, "acute")
    if any(c not in acute.columns for c in need):
        return False
    rows = acute.dropna(subset=list(need))
    return rows["sector"].nunique() == 2


def select_has(panel: pd.DataFrame, subset: str) -> bool:
    """True when the panel holds providers of ``subset``."""
    return len(md.select_subset(panel, subset)) > 0


def data_quality(panel: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Tables describing what the panel holds, for notebook 01.

    Returns ``providers`` (counts by setting, sector, ownership), ``completeness``
    (share of non-missing values per measure and sector), ``ranges`` (min, median,
    max per measure) and ``coverage`` (months per provider type).

    >>> from workbench.data.synth import generate
    >>> t = data_quality(generate(seed=1, n_providers=30, n_months=3).panel)
    >>> sorted(t)
    ['completeness', 'coverage', 'providers', 'ranges']
    """
    cols = measure_columns(panel)
    providers = (panel.drop_duplicates("provider_code")
                 .groupby(["setting", "sector", "ownership"], observed=True).size()
                 .rename("providers").reset_index())
    numeric = [c for c in cols if M.get(c).kind != "ordinal"]
    completeness = (panel.groupby("sector")[cols]
                    .agg(lambda s: s.notna().mean()).T.round(3) * 100)
    completeness.index.name = "measure"
    ranges = panel[numeric].describe().T[["count", "min", "50%", "max"]].rename(
        columns={"50%": "median"})
    ranges.insert(0, "construct", [M.get(c).construct for c in ranges.index])
    ranges.index.name = "measure"
    coverage = (panel.groupby(["setting", "sector"], observed=True)["period"]
                .agg(first="min", last="max", months="nunique").reset_index())
    return {"providers": providers, "completeness": completeness.reset_index(),
            "ranges": ranges.reset_index(), "coverage": coverage}


# --------------------------------------------------------------------------- real NHS open data


def case_mix_available(panel: pd.DataFrame, subset: str = "acute") -> tuple[str, ...]:
    """The case-mix measures (:data:`~workbench.analysis.models.CASE_MIX`) with values for
    ``subset``; the published files hold none, the synthetic default all three.

    >>> from workbench.data.synth import generate
    >>> case_mix_available(generate(seed=1, n_providers=30, n_months=2).panel)
    ('case_mix_index', 'pct_aged_75_plus', 'deprivation_imd')
    """
    rows = md.select_subset(panel, subset)
    return tuple(c for c in md.CASE_MIX if c in rows.columns and rows[c].notna().any())


def sector_comparison_limits(panel: pd.DataFrame, outcomes: tuple[str, ...]) -> list[str]:
    """Plain sentences on what an NHS-versus-independent comparison of ``panel`` can and
    cannot show (missing case mix, measures one sector does not publish, few months, few
    providers in a sector (wild cluster bootstrap intervals), sectors that barely overlap
    on case mix (weighted estimates as failed-balance diagnostics)).

    >>> from workbench.data.synth import generate
    >>> notes = sector_comparison_limits(generate(seed=1, n_providers=30, n_months=2).panel,
    ...                                  ("rtt_median_weeks",))
    >>> [n.split(":")[0] for n in notes]
    ['RTT median wait (weeks)', 'The sectors barely overlap on case mix']
    """
    acute = md.select_subset(panel, "acute")
    notes = []
    if not case_mix_available(panel):
        notes.append("These data hold no case-mix measures (complexity, age, deprivation of "
                     "each provider's patients), so only the naive difference is reported: it "
                     "describes what an average patient of each sector sees, not what being an "
                     "independent provider does for comparable patients. Independent hospitals "
                     "mostly treat simpler, planned cases, so the naive difference is likely to "
                     "flatter them.")
    for o in outcomes:
        have = (acute.loc[acute[o].notna(), "sector"].unique() if o in acute.columns else [])
        missing = [s for s in ("nhs", "independent") if s not in set(have)]
        if missing:
            notes.append(f"{M.label(o)}: no values for {' or '.join(missing)} providers in "
                         "these data, so this measure cannot be compared between sectors.")
        elif acute.loc[acute[o].notna(), "period"].nunique() == 1:
            month = acute.loc[acute[o].notna(), "period"].iloc[0]
            notes.append(f"{M.label(o)}: one month only ({month:%B %Y}); a single month "
                         "cannot show whether the gap is stable.")
    for o in outcomes:
        if o not in acute.columns:
            continue
        counts = acute.loc[acute[o].notna()].groupby("sector")["provider_code"].nunique()
        n_ind, n_nhs = int(counts.get("independent", 0)), int(counts.get("nhs", 0))
        if n_ind and n_nhs and (min(n_ind, n_nhs) < md.FEW_CLUSTERS_SIDE
                                or n_ind + n_nhs < md.FEW_CLUSTERS_TOTAL):
            notes.append(f"{M.label(o)}: {n_ind} independent and {n_nhs} NHS providers; with "
                         f"fewer than {md.FEW_CLUSTERS_SIDE} in a sector, intervals come from a "
                         "wild cluster bootstrap (wider, and honest about how little a few "
                         "providers can show).")
    case_mix = case_mix_available(panel)
    if case_mix and {"nhs", "independent"} <= set(acute["sector"]):
        from workbench.analysis.causal import OVERLAP_BOUNDS, propensity_scores, provider_table

        try:
            ps = propensity_scores(provider_table(panel, covariates=case_mix), case_mix)["ps"]
        except AnalysisInputError:
            ps = None
        if ps is not None:
            lo, hi = OVERLAP_BOUNDS
            outside = float(((ps < lo) | (ps > hi)).mean())
            if outside > 0.1:
                notes.append(f"The sectors barely overlap on case mix: {outside:.0%} of acute "
                             f"providers have propensity scores outside [{lo}, {hi}]. Weighting "
                             "to the ATE cannot then make them comparable (such estimates are "
                             "shown as failed-balance diagnostics); overlap weights answer a "
                             "narrower question, about providers whose case mix could belong "
                             "to either sector.")
    staffing = [c for c in ("nurse_fte", "nurse_fte_per_10_beds") if c in acute.columns]
    if staffing and not acute.loc[acute["sector"] == "independent", staffing].notna().any().any():
        notes.append("No staffing figures are published for independent providers (NHS "
                     "workforce statistics cover NHS organisations only), so staffing cannot "
                     "be compared between sectors.")
    return notes


#: Fewest A&E attendances in a month for a trust-month to count as a major A&E department.
MIN_AE_ATTENDANCES = 3000


def ae_staffing_table(panel: pd.DataFrame, start: str = "", end: str = "",
                      min_attendances: int = MIN_AE_ATTENDANCES) -> pd.DataFrame:
    """NHS acute trust-months with A&E figures between ``start`` and ``end`` (YYYY-MM;
    empty: no limit), with the derived staffing columns used by :func:`ae_staffing_engagement`:

    * ``nurse_share_pct``: nurse FTE as a share of all staff FTE (skill mix; no bed
      numbers are published beside the workforce figures, so nurses per bed cannot be
      computed);
    * ``nurse_fte_per_1000_ae``: nurse FTE per 1,000 A&E attendances in the month;
    * ``log_ae_attendances``: size of the A&E department (natural log).

    Trust-months with fewer than ``min_attendances`` attendances (minor units) are left
    out.

    >>> from workbench.data.synth import generate
    >>> t = ae_staffing_table(generate(seed=1, n_providers=30, n_months=2).panel,
    ...                       start="2023-01", end="2023-12")
    >>> "nurse_share_pct" in t.columns
    True
    """
    rows = md.select_subset(panel, "nhs")
    for name, value in (("start", start), ("end", end)):
        if value and not re.fullmatch(r"\d{4}-\d{2}", str(value)):
            raise AnalysisInputError("ae_staffing_table", name, f"is {value!r}",
                                     expected="a month 'YYYY-MM' or empty (no limit)")
    lo = pd.Timestamp(f"{start}-01") if start else rows["period"].min()
    hi = pd.Timestamp(f"{end}-01") if end else rows["period"].max()
    rows = rows[(rows["period"] >= lo) & (rows["period"] <= hi)
                & (rows["ae_attendances"] >= min_attendances)
                & rows["ae_pct_within_4h"].notna()].copy()
    for c in ("nurse_fte", "staff_fte", "staff_engagement"):
        if c not in rows.columns:
            rows[c] = float("nan")
    rows["nurse_share_pct"] = 100 * rows["nurse_fte"] / rows["staff_fte"]
    rows["nurse_fte_per_1000_ae"] = 1000 * rows["nurse_fte"] / rows["ae_attendances"]
    rows["log_ae_attendances"] = np.log(rows["ae_attendances"])
    return rows.reset_index(drop=True)


_DERIVED_WORDS = {
    "nurse_share_pct": ("percentage point of nurses' share of all staff",
                        "percentage points per percentage point of nurse share"),
    "nurse_fte_per_1000_ae": ("extra nurse FTE per 1,000 A&E attendances",
                              "percentage points per nurse FTE per 1,000 attendances"),
}


def _reword(f: Finding, exposure: str) -> Finding:
    if exposure in _DERIVED_WORDS:
        words, unit = _DERIVED_WORDS[exposure]
        f.unit = unit
        ci = ""
        if f.ci_low is not None and f.ci_high is not None:
            unclear = ": no clear difference" if f.ci_low < 0 < f.ci_high else ""
            ci = f" (95% CI {f.ci_low:.3g} to {f.ci_high:.3g}{unclear})"
        f.sentence = (f"A&E patients seen within 4 hours were {abs(f.estimate):.3g} percentage "
                      f"points {'higher' if f.estimate >= 0 else 'lower'}{ci} for each "
                      f"{words}.")
    return f


def ae_staffing_engagement(panel: pd.DataFrame, start: str = "", end: str = "",
                           min_attendances: int = MIN_AE_ATTENDANCES) -> list[Finding]:
    """A&E 4-hour performance against nurse staffing and staff engagement, NHS trusts.

    Linear models of ``ae_pct_within_4h`` in the months where each exposure is published
    (workforce: e.g. Sep 2017 and Jun 2018; staff survey: yearly, dated September), with
    month effects, A&E size (log attendances) as a control and trust-clustered intervals:

    1. nurses' share of all staff (``effect:nurse_share_pct->ae_pct_within_4h@nhs``);
    2. nurse FTE per 1,000 A&E attendances;
    3. staff engagement (registry measure ``staff_engagement``);
    4. staff engagement within trusts, year on year (trust fixed effects; ``#within``);
    5. nurse share and engagement together, where both are published (``#joint``).

    A model is skipped when fewer than 5 trusts have the data it needs.
    """
    t = ae_staffing_table(panel, start, end, min_attendances)
    size = ("log_ae_attendances",)
    q_staff = "Do NHS trusts with more nurses see more A&E patients within 4 hours?"
    q_eng = "Do NHS trusts with more engaged staff see more A&E patients within 4 hours?"
    specs = [
        (md.ModelSpec("ae_pct_within_4h", ("nurse_share_pct",), size, subset="nhs"), q_staff),
        (md.ModelSpec("ae_pct_within_4h", ("nurse_fte_per_1000_ae",), size, subset="nhs"),
         q_staff),
        (md.ModelSpec("ae_pct_within_4h", ("staff_engagement",), size, subset="nhs"), q_eng),
        (md.ModelSpec("ae_pct_within_4h", ("staff_engagement",), size, kind="fe",
                      subset="nhs", suffix="within"),
         q_eng + " (changes within each trust from year to year)"),
        (md.ModelSpec("ae_pct_within_4h", ("nurse_share_pct", "staff_engagement"), size,
                      subset="nhs", suffix="joint"),
         "Staffing and engagement together: which goes with A&E performance?"),
    ]
    out: list[Finding] = []
    for spec, q in specs:
        need = [spec.outcome, *spec.exposures, *spec.adjust]
        trusts = t.dropna(subset=need)["provider_code"].nunique()
        if trusts < 5:
            continue
        for f, term in zip(md.findings(md.fit(spec, t), q), spec.exposures):
            out.append(_reword(f, term))
    return out


def ae_staffing_limits(panel: pd.DataFrame, start: str = "", end: str = "",
                       min_attendances: int = MIN_AE_ATTENDANCES) -> list[str]:
    """Plain sentences on what the A&E / staffing / engagement data can and cannot show.

    >>> from workbench.data.synth import generate
    >>> notes = ae_staffing_limits(generate(seed=1, n_providers=30, n_months=2).panel,
    ...                            start="2023-01", end="2023-12")
    >>> any("independent" in n for n in notes)
    True
    """
    t = ae_staffing_table(panel, start, end, min_attendances)
    def months(col: str) -> list[str]:
        return [f"{d:%b %Y}" for d in sorted(t.loc[t[col].notna(), "period"].unique())]

    trusts = t["provider_code"].nunique()
    staffed = t.loc[t["nurse_fte"].notna(), "provider_code"].nunique()
    engaged = t.loc[t["staff_engagement"].notna(), "provider_code"].nunique()
    notes = [
        (f"{trusts} NHS trusts have A&E figures between {start or 'the first month'} and "
         f"{end or 'the last month'} (months with at least "
         f"{min_attendances:,} attendances); {staffed} of them have workforce figures and "
         f"{engaged} staff survey results in those months. Trusts that merged or changed "
         "code between publications cannot be matched and are left out."),
        ("Independent providers are not included: no independent-sector staffing or staff "
         "survey results are published, so this question can only be asked of NHS trusts."),
    ]
    w, e = months("nurse_fte"), months("staff_engagement")
    notes.append(f"Nurse staffing is published for {', '.join(w) if w else 'no month'} only, "
                 f"and staff engagement once a year ({', '.join(e) if e else 'no month'}; "
                 "survey results are dated September); each is compared with A&E performance "
                 "in the same month, so these are a few snapshots, not a monthly series.")
    if "beds" not in panel.columns or not panel["beds"].notna().any():
        notes.append("No bed numbers are published beside the workforce figures, so nurses "
                     "per bed cannot be computed: staffing is measured as nurses' share of all "
                     "staff and as nurse FTE per 1,000 A&E attendances (trust-wide nurses, not "
                     "A&E nurses only).")
    notes.append("These are associations between trusts (and, for engagement, within trusts "
                 "from year to year), not proof that more nurses or more engaged staff would "
                 "shorten A&E waits: busier, more deprived areas may have both fewer staff "
                 "and longer waits, and no case mix is published to adjust for.")
    return notes
