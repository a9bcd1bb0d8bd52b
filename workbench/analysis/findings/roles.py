"""The headline rule: which findings a report stands behind, decided before any result is seen.

A finding's ``role`` (:data:`~workbench.analysis.findings.record.ROLES`) says what a
reader should make of it. The rule below sets it from what a finding *is* (its id, the
design its id and model name, the clusters its interval rests on and the warnings of its
fit), never from what it *says*: :func:`role_for` does not read the estimate, the
interval or the p-value, so the headline set cannot be chosen after the results are
seen (tests shuffle estimates and intervals between findings and find the same roles).

The rule
--------
A finding is a ``headline`` only when all of these hold:

(a) **its estimand is identified by design**, and the finding is that design's own
    estimator (see :data:`DESIGNS`):

    * ``within_provider``: each provider compared with itself over time (provider fixed
      effects; ids ending ``#fe``). Anything fixed about a provider over the panel (its
      patients, its sector, how well it is run) cannot confound it;
    * ``comparison_group``: a change compared with providers that did not change
      (difference in differences, its event study, synthetic control; ``did:`` and
      ``synth:`` ids without a variant);
    * ``case_mix_contrast``: the sector contrast of notebook 03 (``adjusted:sector[...]``,
      no variant). A provider cannot change sector, so no within-provider or
      comparison-group design exists for it: its estimand *is* the difference between
      the sectors at equal measured case mix (the synthetic ``truth.json`` defines it so),
      identified when the case-mix model is right and the sectors overlap. It counts as
      identified because the question asks for exactly that contrast, the estimator
      that carries the id (doubly robust, flexible case-mix models) is the one whose
      overlap, balance and specification the run checks, and the one assumption no data
      can check (no unmeasured case mix) is stated in its sentence and sized by its
      E-value. Linear adjustment (``#linear``) and weighted estimates of the same
      contrast (``ipw``, ``overlap``, ``aipw``) are other estimators of it, so robustness;

    comparisons across providers adjusted for measured case mix (pooled, random-intercept,
    binomial and Poisson models; ids without a variant that are not the above), naive
    differences and before-after series without a comparison group are not identified by
    design: an unmeasured difference between providers (or a change at the same time)
    that goes with the exposure biases them. A variant of an estimand (``#mixed``,
    ``#bootstrap``, ``#fe_bootstrap``, ``#linear``, ``#twfe``, ...) is another way of estimating
    something already reported, so robustness;

(b) **it rests on at least** :data:`MIN_HEADLINE_CLUSTERS` **clusters** (providers, wards:
    the finding's ``clusters``); clustered intervals over fewer cover less than they
    claim;

(c) **its outcome is a primary outcome** (:data:`PRIMARY_OUTCOMES`: waits, patients'
    experience and complaints; or a measure the question's parameters name as its
    outcome) **and its exposure is a primary exposure of the question** (given by the
    question module: notebook 02's staffing measure and waits, notebook 03's sector).

A finding that cannot be trusted is a ``diagnostic`` whatever else holds: fewer than
:data:`MIN_HEADLINE_CLUSTERS` clusters, no estimate (a part that could not be estimated,
:func:`not_estimated`), a fit that failed (the model did not converge, near separation: see
:data:`FAILED_FIT`), or a check of its method that failed (a method's own ``diagnostic``
role, e.g. weights that leave case mix unbalanced, is kept). A finding whose method
warns that a check of its design failed (poor overlap, failed balance, a small effective
sample: :data:`FAILED_CHECK`) is not a headline. Everything else is ``robustness``: shown
beside the headlines, out of the multiple-testing family.

With calibrated 95% intervals about one headline interval in twenty misses its true
value by chance; the reports say so, and the recovery tests bound the misses per seed
binomially rather than expecting none.

Example
-------
>>> from workbench.analysis.findings.record import Finding
>>> fe = Finding(id="effect:nurse_fte_per_10_beds->rtt_median_weeks@nhs#fe", question="q",
...              estimate=-0.4, model="fe; t(76), provider-clustered", clusters=77)
>>> role_for(fe, exposures=("nurse_fte_per_10_beds",))
'headline'
>>> pooled = Finding(id="effect:nurse_fte_per_10_beds->rtt_median_weeks@nhs", question="q",
...                  estimate=-0.4, model="ols", clusters=77)
>>> role_for(pooled, exposures=("nurse_fte_per_10_beds",))
'robustness'
>>> reason({"id": fe.id, "clusters": 6}, exposures=("nurse_fte_per_10_beds",))
'only 6 clusters: too few for a trustworthy clustered interval (a headline needs 20)'
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from workbench.analysis.findings.record import Finding, Findings
from workbench.finding_id import FindingId

__all__ = [
    "DESIGNS",
    "FAILED_CHECK",
    "FAILED_FIT",
    "MIN_HEADLINE_CLUSTERS",
    "NOT_ESTIMATED",
    "PRIMARY_OUTCOMES",
    "Design",
    "assign_roles",
    "design_of",
    "not_estimated",
    "reason",
    "role_for",
]

#: Clusters (providers, wards) below which a finding is a diagnostic, not a headline: its
#: clustered interval rests on too few clusters to be trusted (scenario ``few_independent``).
MIN_HEADLINE_CLUSTERS = 20

#: The primary outcomes, named before any result: waits (RTT median wait, RTT within 18
#: weeks, A&E within 4 hours), patients' experience (FFT % positive, the inpatient survey's
#: score) and complaints (counts and rates). Staffing as an outcome, CQC ratings and counts
#: of activity are secondary.
PRIMARY_OUTCOMES = ("rtt_median_weeks", "rtt_pct_within_18w", "ae_pct_within_4h",
                    "fft_pct_positive", "inpatient_experience_score", "complaints",
                    "complaints_per_1000", "complaints_per_1000_bed_days")

#: Words of the fitters' own notes that say a fit failed (the estimate is not to be read):
#: the model did not converge, a coefficient is near separation, no estimate. (Warnings of
#: auxiliary fits, such as a Brant test's threshold logits, do not count.)
FAILED_FIT = ("did not converge", "possible separation", "not estimated")

#: Words of a method's warnings that say a check of its design's assumptions failed
#: (weights that leave case mix unbalanced, sectors that barely overlap, a weighted sample
#: much smaller than the providers, case-mix models less flexible than planned): the
#: estimate stands, but not as a headline.
FAILED_CHECK = ("poor overlap", "balance check failed", "effective number of",
                "too few providers in a sector")

#: The model text of a finding with no estimate (:func:`not_estimated`).
NOT_ESTIMATED = "not estimated"


@dataclass(frozen=True)
class Design:
    """How a finding's estimand is identified: ``name``, whether the design identifies it
    (``identified``) and what it compares, in words.

    >>> DESIGNS["within_provider"].identified, DESIGNS["across_providers"].identified
    (True, False)
    """

    name: str
    identified: bool
    words: str


#: The designs the rule knows (condition (a)): the first three identify their estimand.
DESIGNS = {d.name: d for d in (
    Design("within_provider", True, "each provider compared with itself over time"),
    Design("comparison_group", True, "a change compared with providers that did not change"),
    Design("case_mix_contrast", True, "the sectors compared at equal measured case mix"),
    Design("across_providers", False, "providers compared with each other, adjusted for "
                                      "measured case mix"),
    Design("descriptive", False, "a difference not adjusted for anything"),
    Design("before_after", False, "a series before and after a change, without a "
                                  "comparison group"),
    Design("not_estimated", False, "no estimate"),
)}

#: Kinds of finding id, by design, when the id has no variant (``#fe`` is within provider
#: whatever the kind).
_KIND_DESIGN = {"did": "comparison_group", "synth": "comparison_group",
                "staff_within": "within_provider", "naive": "descriptive",
                "its": "before_after"}
#: Variants that are a design's own estimator rather than another way of estimating it.
_DESIGN_VARIANTS = {"fe": "within_provider"}
#: Kinds that estimate the sector contrast at equal case mix another way (weighting).
_WEIGHTING = ("ipw", "overlap", "aipw")


def _get(finding: Finding | Mapping[str, Any], name: str) -> Any:
    return finding.get(name) if isinstance(finding, Mapping) else getattr(finding, name, None)


def design_of(finding: Finding | Mapping[str, Any]) -> Design:
    """The design of ``finding`` (a :class:`Finding` or its dict), from its id and model.

    >>> design_of({"id": "did:att->fft_pct_positive@treated", "model": "sun_abraham"}).name
    'comparison_group'
    >>> design_of({"id": "adjusted:sector[independent]->rtt_median_weeks@acute"}).name
    'case_mix_contrast'
    >>> design_of({"id": "effect:x->y@acute#mixed", "model": "mixed"}).name
    'across_providers'
    """
    if NOT_ESTIMATED in str(_get(finding, "model") or "") \
            or "not fitted" in str(_get(finding, "model") or ""):
        return DESIGNS["not_estimated"]
    key = FindingId.parse(str(_get(finding, "id")))
    if key.variant.split("_")[0] in _DESIGN_VARIANTS:
        return DESIGNS[_DESIGN_VARIANTS[key.variant.split("_")[0]]]
    if key.kind in _KIND_DESIGN:
        return DESIGNS[_KIND_DESIGN[key.kind]]
    if key.exposure.startswith("sector[") and (key.kind == "adjusted" or key.kind in _WEIGHTING):
        return DESIGNS["case_mix_contrast"]
    return DESIGNS["across_providers"]


def _own_estimator(key: FindingId) -> bool:
    """True when the finding is its design's own estimator (no variant, or the design's
    variant such as ``#fe``), not another way of estimating the same estimand.
    """
    if key.variant and key.variant not in _DESIGN_VARIANTS:
        return False
    return key.kind not in _WEIGHTING


def _matches(label: str, names: Iterable[str]) -> bool:
    """True when the id's exposure (or outcome) ``label`` is one of ``names``: the label
    itself, its first step (a mediation's exposure) or its column (``sector`` for
    ``sector[independent]``).
    """
    first = label.split("->", maxsplit=1)[0]
    return any(first == n or first.split("[", maxsplit=1)[0] == n or label == n for n in names)


def reason(finding: Finding | Mapping[str, Any], *, exposures: Iterable[str],
           outcomes: Iterable[str] = PRIMARY_OUTCOMES,
           min_clusters: int = MIN_HEADLINE_CLUSTERS, units: str = "clusters") -> str:
    """Why ``finding`` is not a headline under the rule ('' for a headline); see
    :func:`role_for` for the arguments.

    >>> reason({"id": "effect:staff_engagement[lag1]->fft_pct_positive@nhs#fe",
    ...         "clusters": 77}, exposures=("nurse_fte_per_10_beds", "rtt_median_weeks"))
    "staff_engagement[lag1] is not a primary exposure of the question (['nurse_fte_per_10_beds', 'rtt_median_weeks'])"
    """
    exposures, outcomes = tuple(exposures), tuple(outcomes)
    design = design_of(finding)
    warning = str(_get(finding, "warning") or "").lower()
    if design.name == "not_estimated":
        return "no estimate: " + (str(_get(finding, "warning") or "") or "not estimated")
    failed = next((w for w in FAILED_FIT if w in warning), "")
    if failed:
        return f"the fit failed ({failed})"
    clusters = _get(finding, "clusters")
    if clusters is not None and not (isinstance(clusters, float) and math.isnan(clusters)) \
            and int(clusters) < min_clusters:
        return (f"only {int(clusters)} {units}: too few for a trustworthy clustered interval "
                f"(a headline needs {min_clusters})")
    key = FindingId.parse(str(_get(finding, "id")))
    check = next((w for w in FAILED_CHECK if w in warning), "")
    if check:
        return f"a check of its design failed ({check})"
    if not design.identified:
        return f"not identified by design ({design.words})"
    if not _own_estimator(key):
        return f"another estimator of an estimand identified by design ({design.words})"
    if not _matches(key.outcome, outcomes):
        return f"{key.outcome} is not a primary outcome"
    if not key.exposure or not _matches(key.exposure, exposures):
        return f"{key.exposure} is not a primary exposure of the question ({list(exposures)})"
    return ""


def role_for(finding: Finding | Mapping[str, Any], *, exposures: Iterable[str],
             outcomes: Iterable[str] = PRIMARY_OUTCOMES,
             min_clusters: int = MIN_HEADLINE_CLUSTERS) -> str:
    """The role of ``finding`` under the headline rule (see the module): ``headline``,
    ``robustness`` or ``diagnostic``. It reads the finding's id, model, clusters and
    warning only, never its estimate, interval or p-value.

    ``exposures`` are the question's primary exposures (measure names or id labels:
    ``nurse_fte_per_10_beds``, ``sector``); ``outcomes`` the primary outcomes
    (:data:`PRIMARY_OUTCOMES`, plus any the question's parameters name).

    >>> role_for({"id": "effect:x->y@acute#fe", "clusters": 6}, exposures=("x",),
    ...          outcomes=("y",))
    'diagnostic'
    >>> role_for({"id": "did:att->y@treated#twfe", "clusters": 80}, exposures=("att",),
    ...          outcomes=("y",))
    'robustness'
    """
    why = reason(finding, exposures=exposures, outcomes=outcomes, min_clusters=min_clusters)
    if not why:
        return "headline"
    diagnostic = why.startswith(("no estimate", "the fit failed", "only "))
    return "diagnostic" if diagnostic else "robustness"


def assign_roles(findings: Iterable[Finding], *, exposures: Iterable[str],
                 outcomes: Iterable[str] = PRIMARY_OUTCOMES,
                 min_clusters: int = MIN_HEADLINE_CLUSTERS,
                 units: str = "clusters") -> Findings:
    """Set each finding's role by the headline rule (:func:`role_for`), in place, and
    return them. A finding its method already marked ``diagnostic`` (a failed check)
    stays one; a diagnostic made by the rule gets the reason in its ``warning``
    (``units`` names the clusters: ``providers``, ``wards``).

    >>> from workbench.analysis.findings.record import Finding
    >>> fs = assign_roles([Finding(id="effect:x->y@nhs#fe", question="q", estimate=1.0,
    ...                            clusters=6)], exposures=("x",), outcomes=("y",),
    ...                   units="providers")
    >>> fs[0].role, fs[0].warning
    ('diagnostic', 'only 6 providers: too few for a trustworthy clustered interval (a headline needs 20)')
    """
    exposures, outcomes = tuple(exposures), tuple(outcomes)
    out = Findings(findings)
    for f in out:
        if f.role == "diagnostic":
            continue  # a failed check of its method, or a part not estimated
        why = reason(f, exposures=exposures, outcomes=outcomes, min_clusters=min_clusters,
                     units=units)
        f.role = role_for(f, exposures=exposures, outcomes=outcomes, min_clusters=min_clusters)
        if f.role == "diagnostic" and why.startswith("only ") and why not in f.warning:
            f.warning = "; ".join(w for w in (f.warning, why) if w)
    return out


def not_estimated(id: str | FindingId, question: str, why: str, *, unit: str = "",
                  sector: str = "all", clusters: int | None = None, n: int | None = None,
                  sentence: str = "") -> Finding:
    """The finding of a part that could not be estimated: no estimate (NaN), role
    ``diagnostic``, ``why`` in its warning and sentence, so the run goes on and the
    report says what it could not estimate and why.

    >>> f = not_estimated("indirect:x->m->y@independent#fe", "How much runs through m?",
    ...                   "only 6 providers: too few for a bootstrap interval (needs 20)",
    ...                   clusters=6)
    >>> f.role, f.estimate != f.estimate, f.model
    ('diagnostic', True, 'not estimated')
    >>> f.sentence
    'Not estimated: only 6 providers: too few for a bootstrap interval (needs 20).'
    """
    text = why.rstrip(".")
    return Finding(id=str(id), question=question, estimate=float("nan"), unit=unit,
                   model=NOT_ESTIMATED, sector=sector, clusters=clusters, n=n,
                   warning=f"not estimated: {text}",
                   sentence=sentence or f"Not estimated: {text}.", role="diagnostic")
