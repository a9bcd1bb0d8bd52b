"""Notebook 02 (staffing, waits and satisfaction): the chain staffing -> waits -> satisfaction.

Each function takes the panel and returns tidy findings; the notebook adds the narrative
and the figures. The coverage tests run the same functions over many synthetic seeds, so
what a report says is what the tests check.

Example
-------
>>> from workbench.data.synth import generate
>>> panel = generate(seed=3, n_providers=60, n_months=12).panel
>>> ids = [f.id for f in staffing_waits_satisfaction(panel, subset="acute")]
>>> "effect:rtt_median_weeks->fft_pct_positive@acute" in ids
True
"""

from __future__ import annotations

import pandas as pd

from workbench.analysis.findings.record import Finding, Findings
from workbench.analysis.models import fit as md
from workbench.analysis.questions.common import MIN_HEADLINE_CLUSTERS, adjust_for
from workbench.data import measures as M


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
    effect; :func:`workbench.analysis.findings.record.truth_for`).
    """
    adj = adjust_for(subset)
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
        found = md.fit(spec, panel).findings(question)
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
    for its residual and influence diagnostics.
    """
    direct = ("rtt_median_weeks", staffing, f"staff_engagement_lag{engagement_lag}")
    return md.fit(md.ModelSpec("fft_pct_positive", direct, kind="fe", subset=subset,
                               suffix="fe"), panel)


def staffing_pathways(panel: pd.DataFrame, subset: str = "acute", *, n_boot: int = 999,
                      seed: int = 0) -> list[Finding]:
    """Staffing -> waits -> satisfaction as a mediation analysis (product of coefficients,
    cluster bootstrap over providers; :mod:`workbench.analysis.effects.mediation`): headline first.

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
    from workbench.analysis.effects.mediation import mediate_panel, product_of_coefficients

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


def forest_label(finding: Finding) -> str:
    """The label of a finding in the report's forest plot, from its id's parts: the id
    without its providers (one subset per report), then the variant after a space.

    >>> forest_label(Finding(id="effect:rtt_median_weeks->fft_pct_positive@nhs#fe",
    ...                      question="q", estimate=1.0))
    'effect:rtt_median_weeks->fft_pct_positive #fe'
    >>> forest_label(Finding(id="effect:nurse_fte_per_10_beds->rtt_median_weeks@acute",
    ...                      question="q", estimate=1.0))
    'effect:nurse_fte_per_10_beds->rtt_median_weeks'
    """
    key = finding.key
    tail = "".join(f"#{part}" for part in (key.period, key.variant) if part)
    base = str(key.with_(subset="", period="", variant=""))
    return f"{base} {tail}" if tail else base
