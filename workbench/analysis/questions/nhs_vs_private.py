"""Notebook 03 (NHS vs private): NHS and independent providers compared, naive, adjusted and weighted.

>>> from workbench.data.synth import generate
>>> notes = sector_comparison_limits(generate(seed=1, n_providers=30, n_months=2).panel,
...                                  ("rtt_median_weeks",))
>>> len(notes) >= 1
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.analysis.findings import formatting
from workbench.analysis.findings.record import Finding
from workbench.analysis.findings.roles import assign_roles
from workbench.analysis.models import fit as md
from workbench.analysis.questions.common import case_mix_available, select_has
from workbench.data import measures as M
from workbench.errors import AnalysisInputError

#: The headline rule's terms for notebook 03 (:func:`~workbench.analysis.findings.roles.assign_roles`):
#: its primary exposures are the sector (and a care home's ownership); its outcomes the
#: primary ones (waits, FFT; staffing levels and CQC ratings are secondary).
SECTOR_RULE = {"exposures": ("sector", "ownership"), "units": "providers"}


def sector_weighting(panel: pd.DataFrame, outcomes: tuple[str, ...] = (
        "rtt_median_weeks", "fft_pct_positive"), *, n_boot: int = 499,
        seed: int = 0, methods: tuple[str, ...] = ("ipw", "overlap", "aipw"),
        trim: float | None = None) -> tuple[list[Finding], pd.DataFrame | None]:
    """The weighted comparisons of NHS and independent providers, with their balance.

    Per outcome, one finding per method of :mod:`workbench.analysis.effects.weighting`: inverse
    probability weighting (ATE), overlap weights (ATO, the overlap population) and
    augmented IPW (ATE, doubly robust), optionally after trimming (``trim``). Each
    finding names its estimand in its question and unit; one whose weights leave any
    standardised mean difference at 0.1 or more is a ``diagnostic`` ("not to be read as
    an answer"), otherwise a ``robustness`` check beside the regression-adjusted
    headline. The balance table has ``covariate``, ``stage`` (``unweighted`` /
    ``weighted``), ``smd`` and ``weights`` (the scheme: ``IPW (ATE)``, ``overlap
    (ATO)``). Empty when the panel has no case mix.
    """
    from workbench.analysis.effects.weighting import (
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
                found += weighted_difference(panel, o, method=m, trim=trim,
                                             covariates=covariates, n_boot=n_boot,
                                             seed=seed).findings()
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
                       *, n_boot: int = 499, seed: int = 0) -> list[Finding]:
    """Independent minus NHS acute providers, per outcome: the naive difference, the
    case-mix-adjusted difference (doubly robust, flexible case-mix models:
    :func:`sector_contrast`) and linear regression adjustment beside it (id variant
    ``#linear``, warned when the specification check rejects it); plus CQC ratings
    (ordinal logit, exposures up to each rating's date, Brant test of proportional odds
    in the model text) and care-home ownership.

    Linear models with fewer than 20 providers in a sector (or 40 in all) take wild
    cluster bootstrap intervals (:func:`workbench.analysis.models.fit`, the warning says
    so); adjusted findings carry their E-value in ``sensitivity``.
    """
    out: list[Finding] = []
    case_mix = case_mix_available(panel)
    for o in outcomes:
        if not _both_sectors(panel, o):
            continue  # sector_comparison_limits says why
        if case_mix:
            out += sector_contrast(panel, o, case_mix, n_boot=n_boot, seed=seed)
        else:  # no case mix published: the naive difference only
            out += md.fit(md.ModelSpec(o, ("sector_independent",), subset="acute",
                                       prefix="naive"), panel).findings(
                f"Do independent hospitals differ from NHS trusts on {M.label(o)}? "
                "(no case mix in these data: naive only)")
    if not _can_fit_ratings(panel):
        return assign_roles(out, **SECTOR_RULE)
    acute_rating = md.ModelSpec("cqc_overall", ("sector_independent", "nurse_fte_per_10_beds",
                                                "staff_engagement"),
                                kind="ordinal", subset="acute", prefix="ordinal")
    out += md.fit(acute_rating, panel).findings(
        "Are independent hospitals rated better by CQC, at equal staffing?")
    homes = md.ModelSpec("cqc_overall", ("ownership_for_profit", "ownership_local_authority",
                                         "nurse_fte_per_10_beds"),
                         kind="ordinal", subset="care_home", prefix="ordinal")
    if select_has(panel, "care_home"):
        out += md.fit(homes, panel).findings(
            "Are for-profit and council-run care homes rated differently from not-for-profit "
            "homes?")
    return assign_roles(out, **SECTOR_RULE)


def sector_contrast(panel: pd.DataFrame, outcome: str, case_mix: tuple[str, ...], *,
                    n_boot: int = 499, seed: int = 0) -> list[Finding]:
    """One outcome's sector contrasts: naive, case-mix adjusted (the doubly robust effect
    on the independent hospitals with spline case-mix models,
    :func:`workbench.analysis.effects.weighting.weighted_difference` with ``method="dr"``,
    id ``adjusted:sector[independent]-><outcome>@acute``) and linear regression adjustment
    (``adjusted:...#linear``). The doubly robust finding's sentence ends with the
    specification check of linear adjustment; when that check rejects, the linear
    finding's warning says so. When the doubly robust contrast cannot be estimated
    (fewer than 5 providers with data in a sector) the linear one keeps the plain id and
    its warning says why.

    >>> from workbench.data.synth import generate
    >>> fs = sector_contrast(generate(seed=3, n_providers=120, n_months=6).panel,
    ...                      "rtt_median_weeks", md.CASE_MIX, n_boot=100)
    >>> [f.id.split(":")[0] + f.id.split("acute")[1] for f in fs]
    ['naive', 'adjusted', 'adjusted#linear']
    """
    from workbench.analysis.effects.weighting import weighted_difference

    q = f"Do independent hospitals differ from NHS trusts on {M.label(outcome)}?"
    naive = md.fit(md.ModelSpec(outcome, ("sector_independent",), subset="acute",
                                prefix="naive"), panel).findings(q)
    try:
        dr = weighted_difference(panel, outcome, method="dr", covariates=case_mix,
                                 n_boot=n_boot, seed=seed, question=q)
    except (AnalysisInputError, np.linalg.LinAlgError) as e:
        dr, why = None, str(e)
    linear = md.fit(md.ModelSpec(outcome, ("sector_independent",), adjust=case_mix,
                                 subset="acute", prefix="adjusted",
                                 suffix="linear" if dr is not None else ""), panel).findings(
        q + " (linear case-mix adjustment)" if dr is not None else q + " (adjusted for case mix)")
    if dr is None:
        for f in linear:
            note = (f"the doubly robust contrast could not be estimated ({why}): linear "
                    "adjustment only")
            f.warning = "; ".join(x for x in (f.warning, note) if x)
        return list(naive) + list(linear)
    if dr.specification.get("rejects"):
        for f in linear:
            f.warning = "; ".join(x for x in (f.warning, "misspecified: " + dr.specification[
                "text"] + "; read the doubly robust contrast") if x)
    return list(naive) + list(dr.findings()) + list(linear)


def sector_contrast_checks(panel: pd.DataFrame, outcomes: tuple[str, ...] = (
        "rtt_median_weeks", "fft_pct_positive")) -> dict[str, pd.DataFrame] | None:
    """The checks behind the doubly robust sector contrasts, as tables for the notebook:
    ``balance`` (:func:`~workbench.analysis.effects.weighting.balance_checks` of the
    balancing weights: SMDs of the case-mix measures, their squares and products, and KS
    statistics, each with its limit), ``sizes`` (providers and Kish's effective number
    per sector), ``case_mix`` (the case mix of all acute providers, each sector, the
    weighted NHS trusts and the overlap population) and ``specification`` (per outcome,
    the test of linear case-mix adjustment) and ``love`` (the SMDs before and after
    weighting, tidy, for :func:`workbench.report.diagnostics.balance_plot`). None when
    there is no case mix or the sectors cannot be compared.

    >>> from workbench.data.synth import generate
    >>> c = sector_contrast_checks(generate(seed=3, n_providers=120, n_months=6).panel)
    >>> sorted(c), sorted(set(c["balance"]["kind"]))
    (['balance', 'case_mix', 'love', 'sizes', 'specification'], ['distribution', 'interaction', 'mean', 'square'])
    """
    from workbench.analysis.effects import weighting as W

    case_mix = case_mix_available(panel)
    usable = [o for o in outcomes if _both_sectors(panel, o)]
    if not case_mix or not usable:
        return None
    specs, base = [], None
    for o in usable:
        try:
            table = W.provider_table(panel, o, covariates=case_mix)
        except AnalysisInputError:
            continue
        spec = W.specification_check(table, o, case_mix)
        specs.append({"outcome": M.label(o), "F": spec["statistic"], "terms": spec["df"],
                      "p": spec["p_value"],
                      "linear adjustment": "misspecified" if spec["rejects"] else
                      "no evidence against"})
        if base is None:
            base = table
    if base is None:
        return None
    table = W.dr_weights(base, case_mix)
    checks = W.balance_checks(table, case_mix)
    smd = checks[checks["statistic"] == "SMD"]
    love = pd.concat([smd.assign(stage=stage, smd=smd[stage]) for stage in
                      ("unweighted", "weighted")], ignore_index=True)
    return {"balance": checks, "sizes": W.effective_sizes(table),
            "case_mix": W.overlap_case_mix(table, case_mix),
            "specification": pd.DataFrame(specs),
            "love": love.rename(columns={"term": "covariate"})[["covariate", "stage", "smd"]]}


#: The kinds of finding shown side by side in the report's sector-difference chart.
SIDE_BY_SIDE = ("naive", "adjusted")


def difference_label(finding: Finding) -> str:
    """The label of a sector difference in the report's chart, from its id's parts: the
    id without its exposure (every difference is independent minus NHS).

    >>> difference_label(Finding(id="naive:sector[independent]->rtt_median_weeks@acute",
    ...                          question="q", estimate=1.0))
    'naive:rtt_median_weeks@acute'
    """
    return str(finding.key.with_(exposure=""))


def case_mix_shown(panel: pd.DataFrame) -> tuple[str, ...]:
    """The case-mix measures the report draws by sector ("who the sectors treat"): those
    the acute providers have values for, without the deprivation score.

    >>> from workbench.data.synth import generate
    >>> case_mix_shown(generate(seed=1, n_providers=30, n_months=2).panel)
    ('case_mix_index', 'pct_aged_75_plus')
    """
    return tuple(c for c in case_mix_available(panel) if c != "deprivation_imd")


def _both_sectors(panel: pd.DataFrame, outcome: str) -> bool:
    acute = md.select_subset(panel, "acute")
    if outcome not in acute.columns:
        return False
    return {"nhs", "independent"} <= set(acute.loc[acute[outcome].notna(), "sector"])


def _can_fit_ratings(panel: pd.DataFrame) -> bool:
    """CQC ratings models need ratings, staffing and engagement for acute providers of
    both sectors (the synthetic default has them; the published files do not).
    """
    need = ("cqc_overall", "nurse_fte_per_10_beds", "staff_engagement")
    acute = md.select_subset(panel, "acute")
    if any(c not in acute.columns for c in need):
        return False
    rows = acute.dropna(subset=list(need))
    return rows["sector"].nunique() == 2


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
        from workbench.analysis.effects.weighting import (
            OVERLAP_BOUNDS,
            propensity_scores,
            provider_table,
        )

        try:
            ps = propensity_scores(provider_table(panel, covariates=case_mix), case_mix)["ps"]
        except AnalysisInputError:
            ps = None
        if ps is not None:
            lo, hi = OVERLAP_BOUNDS
            outside = float(((ps < lo) | (ps > hi)).mean())
            if outside > 0.1:
                notes.append("The sectors barely overlap on case mix: for "
                             f"{formatting.percent(outside)} of acute providers the case mix all "
                             f"but decides the sector (a chance below {formatting.percent(lo)} "
                             f"or above {formatting.percent(hi)} of being independent). "
                             "Weighting to the average over all providers cannot then make "
                             "them comparable (such "
                             "estimates are shown as failed-balance diagnostics); overlap "
                             "weights answer a narrower question, about providers whose case "
                             "mix could belong to either sector.")
    staffing = [c for c in ("nurse_fte", "nurse_fte_per_10_beds") if c in acute.columns]
    if staffing and not acute.loc[acute["sector"] == "independent", staffing].notna().any().any():
        notes.append("No staffing figures are published for independent providers (NHS "
                     "workforce statistics cover NHS organisations only), so staffing cannot "
                     "be compared between sectors.")
    return notes
