"""The claims register's claims and verdict rule: each claim, its margin, how a verdict is reached.

Each claim in :data:`CLAIMS` is mapped to one analysis and shown several ways, side by
side: the **unadjusted** comparison, the **case-mix-adjusted** one and, for an effect, the
**within-provider** one. Which of them the verdict follows depends on what the claim says:

* a **descriptive** claim ("private providers have shorter waits", "... more staff per
  bed") is about what patients meet, so it is judged on the unadjusted comparison,
  weighted by what the measure is a share of (:data:`DESCRIPTIVE_WEIGHTS`: beds for staff
  per bed, waiting lists for waits);
* a claim about an **effect** that can change within a provider ("better staffing goes
  with shorter waits", "engaged staff give better experience", "waits are the main
  driver") is judged on **within-provider** estimates (provider and month fixed effects,
  provider-clustered), or on the pooled case-mix-adjusted ones only when a between-within
  (Mundlak) test finds no gap (:mod:`workbench.analysis.claims.basis`): comparisons
  between providers mistake an unmeasured provider characteristic for the effect;
* a claim about the effect of the **sector** ("private providers achieve higher
  satisfaction", privately run care homes) is judged on the case-mix-adjusted comparison
  between providers: the sector does not change within a provider, so there is no
  within-provider estimate, and the verdict says so.

Each claim has a **minimal important difference** (``margin``, in the unit of its
estimate; defaults in :data:`CLAIMS`, overridden with ``assess_claims(margins=...)``
or notebook 06's ``margins`` parameter). With the claim's interval [lo, hi] at the
register's multiplicity-adjusted level and its direction, the rule is, in order
(:func:`verdict`):

``no meaningful difference``      -margin < lo and hi < margin (the whole interval lies
                                  within the margin: any difference is too small to
                                  matter);
``supported, meaningful``         the interval lies wholly beyond the margin on the side
                                  the claim asserts;
``supported, size uncertain``     it excludes zero on that side but reaches inside the
                                  margin: the effect is there, whether it is large
                                  enough to matter is not settled;
``contradicted, meaningful``      the same on the other side, symmetrically: an effect
``contradicted, size uncertain``  the other way, beyond the margin or not (a claim is
                                  contradicted by any interval wholly on the wrong side,
                                  and the size says whether the opposite effect matters);
``inconclusive``                  otherwise (the data are too few to tell);
``cannot answer``                 the data do not hold what the claim needs (for example
                                  real NHS sources publish no staffing figures for
                                  private hospitals).

:func:`supported` and :func:`contradicted` test a verdict whatever its size. A claim of
several parts (:func:`combine`) is contradicted if any part is, supported if every part
is, and meaningful only if every supporting part is (any contradicting part, for a
contradiction).

**Multiplicity**: Bonferroni over every interval the register judges (:data:`FAMILY`,
10 intervals for the seven claims: one per sector, engagement and care-home claim, two
for the staffing claim, three for the main-driver claim), so each interval is at level
1 - 0.05/10 = 99.5% and the chance that any verdict of the register rests on a chance
exclusion of zero is at most 5% (whatever the dependence between claims).

Sector contrasts with few providers in a sector use wild cluster bootstrap intervals
(:func:`workbench.analysis.models.fit`) with
:data:`~workbench.analysis.models.bootstrap.VERDICT_DRAWS` (9,999) draws, so that the
end of a 99.5% interval does not move with the bootstrap's seed by enough to flip a
verdict. :data:`MIN_PROVIDERS` per sector follows from
the placebo check ``tests/test_placebo_claims.py``: NHS trusts relabelled independent at
random (3 and 10 per draw, 200 draws each) get a supported or contradicted verdict in
at most 7% of draws. Effect claims say how strong an unmeasured confounder would have to
be to explain them away (E-values, :mod:`workbench.analysis.findings.sensitivity`), on
the scale of the estimate judged (within-provider SDs for a within-provider estimate).

Each verdict is also a :class:`~workbench.analysis.findings.record.Finding` (id
``verdict:<claim key>@<subset>``, role ``headline``) whose sentence states the estimate,
the interval used, the margin and the rule; the estimates behind it are ``robustness``
findings. Its ``ci_low``/``ci_high`` are the 95% interval, like every finding's; the
verdict's own (adjusted) interval is in its sentence and ``parameters``. A ``cannot
answer`` verdict is a finding too (role ``diagnostic``: it is not an answer), with no
estimate (NaN, written as null), the reason in its sentence and ``warning`` (and in
``parameters["reason"]`` until a session stamps the notebook's parameters on it).

**Which waits**: ``assess_claims(waits_measure=...)`` (:data:`WAIT_MEASURES`) chooses the
measure of "shorter waits", with its weight, default margin and direction. The default,
``rtt_median_weeks`` weighted by waiting lists, suits the synthetic default. On published
data the measure held for both sectors in the same month is
``rtt_nonadmitted_pct_within_18w`` (completed non-admitted pathways, RTT provider
workbook), weighted by completed pathways, so the weighted difference is the difference of
the two sectors' pooled rates: the share of patients treated within 18 weeks that a
patient of each sector meets (margin 5 percentage points). Beside it (not judged on) the
like-for-like, specialty-standardised difference of
:mod:`workbench.analysis.effects.like_for_like` (``like_for_like=``, from
:func:`waits_like_for_like`), which asks another question: would the independent
sector's patients wait less in the NHS for the same specialties.

The register is spread over four modules by job: this one (the claims, the verdict rule,
a claim's result), :mod:`workbench.analysis.claims.inputs` (whether the data hold what a
claim needs; the ``cannot answer`` result), :mod:`workbench.analysis.claims.assessment`
(each claim's analysis, :func:`~workbench.analysis.claims.assessment.assess_claims`) and
:mod:`workbench.analysis.claims.register` (the register as a table, Markdown and findings).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from workbench.analysis.effects import like_for_like
from workbench.analysis.findings import formatting
from workbench.analysis.findings.record import Finding, FindingId, Findings
from workbench.analysis.models import fit as md
from workbench.data import measures as M
from workbench.data.catalogue import NotHeld
from workbench.data.specialty_waits import by_pathway
from workbench.errors import AnalysisInputError

#: Verdicts with a size: the interval clears the margin on the claimed side
#: (``meaningful``) or excludes zero without clearing it (``size uncertain``); the same two
#: sizes for an interval on the other side (see :func:`verdict`).
SUPPORTED: tuple[str, ...] = ("supported, meaningful", "supported, size uncertain")
CONTRADICTED: tuple[str, ...] = ("contradicted, meaningful", "contradicted, size uncertain")
VERDICTS: tuple[str, ...] = (*SUPPORTED, *CONTRADICTED, "no meaningful difference",
                             "inconclusive", "cannot answer")

#: Providers of a sector needed before a comparison is attempted (see the module: the
#: placebo check shows that with wild cluster bootstrap intervals 3 per sector give
#: false verdicts well under 7% of the time).
MIN_PROVIDERS = 3

#: Family-wise error rate of the register and the method controlling it.
ALPHA = 0.05
MULTIPLICITY = "Bonferroni"

#: Measures "shorter waits" can be judged on: measure -> (row weight: what the measure
#: is a share of, default margin in the measure's unit, the like-for-like comparison of
#: :mod:`workbench.analysis.effects.like_for_like` that matches it as (pathway, measure) or None).
#: The claim's direction follows the measure's (shorter waits: lower weeks, higher %).
WAIT_MEASURES: dict[str, tuple[str, float, tuple[str, str] | None]] = {
    "rtt_median_weeks": ("rtt_waiting_list", 1.0, None),
    "rtt_pct_within_18w": ("rtt_waiting_list", 5.0, ("waiting_list", "pct_within_18w")),
    "rtt_nonadmitted_pct_within_18w": ("rtt_nonadmitted_completed", 5.0,
                                       ("completed_non_admitted", "pct_within_18w")),
    "rtt_nonadmitted_median_weeks": ("rtt_nonadmitted_completed", 1.0, None),
}

#: Row weights of a descriptive comparison: what the measure is a share of.
DESCRIPTIVE_WEIGHTS: dict[str, str] = {"nurse_fte_per_10_beds": "beds",
                                       "fft_pct_positive": "fft_responses",
                                       **{m: w for m, (w, _, _) in WAIT_MEASURES.items()}}


@dataclass(frozen=True)
class Claim:
    """A claim in plain words and the analysis that tests it.

    ``direction`` is +1 when the claim asserts a positive estimate, -1 a negative one;
    ``kind`` is ``descriptive`` or ``effect``; ``margin`` the minimal important
    difference in the unit of the estimate judged.
    """

    key: str
    text: str
    analysis: str
    direction: int
    kind: str = "effect"
    margin: float = 0.0
    #: unit of the estimate judged (and of the margin); the provider subset compared
    unit: str = ""
    subset: str = "acute"


CLAIMS: tuple[Claim, ...] = (
    Claim("private_shorter_waits",
          "Private providers have shorter waiting times than the NHS.",
          "RTT median wait (weeks), independent minus NHS acute providers; linear model with "
          "month effects; descriptive: providers weighted by their waiting lists (what the "
          "average waiting patient meets), no case-mix adjustment.", -1, "descriptive", 1.0,
          "weeks"),
    Claim("private_more_staff",
          "Private providers have lower patient-to-staff ratios.",
          "Nurse FTE per 10 occupied beds (more staff per bed = fewer patients per member of "
          "staff), independent minus NHS acute providers; descriptive: providers weighted by "
          "beds (what the average bed meets), no case-mix adjustment.", +1, "descriptive", 1.0,
          "nurse FTE per 10 beds"),
    Claim("private_higher_satisfaction",
          "Private providers achieve higher patient satisfaction.",
          "FFT positive responses (%), independent minus NHS acute providers, adjusted for "
          "case mix (an effect of the sector on comparable patients).", +1, "effect", 2.0,
          "percentage points"),
    Claim("staffing_waits_satisfaction",
          "Better staffing goes with shorter waits and higher satisfaction.",
          "Two slopes per nurse FTE per 10 beds among acute providers: RTT median wait "
          "(should fall) and FFT % positive (should rise; total effect, including the path "
          "through waits), within providers (provider and month fixed effects) unless a "
          "between-within test finds no gap. Supported only when both hold.", +1, "effect",
          0.2,
          "weeks or percentage points per nurse FTE per 10 beds"),
    Claim("engaged_staff_experience",
          "Satisfied, engaged staff give better patient experience.",
          "FFT % positive on staff engagement (0-10) some months earlier, acute providers, "
          "holding staffing fixed; within providers unless a between-within test finds no "
          "gap (the pooled model also holds case mix and sector fixed).", +1, "effect", 0.5,
          "percentage points per engagement point"),
    Claim("waits_main_driver",
          "Waiting times are the main driver of dissatisfaction.",
          "FFT % positive on RTT median wait, nurse staffing and earlier staff engagement "
          "together in one model (within providers unless a between-within test finds no "
          "gap); effects per standard deviation of each driver. The "
          "difference between the wait effect's size and each other driver's (a linear "
          "contrast of the joint model, clustered covariance, t with G-1 df) is tested.",
          -1, "effect", 0.25, "percentage points per SD"),
    Claim("private_care_homes_better",
          "Privately run care homes achieve better quality ratings than publicly run ones.",
          "CQC overall rating of care homes, privately run (for-profit and not-for-profit) "
          "versus council-run; ordered rating model, estimates on its scale (above zero: "
          "better ratings more likely).", +1,
          "effect", 0.2, "rating model's scale", "care_home"),
)


#: Intervals each claim judges (see the module); their sum is the Bonferroni family.
PARTS: dict[str, int] = {"staffing_waits_satisfaction": 2, "waits_main_driver": 3}
FAMILY: int = sum(PARTS.get(c.key, 1) for c in CLAIMS)
#: The level of every interval a verdict is judged on.
LEVEL: float = 1 - ALPHA / FAMILY

_ORDER = ("contradicted, meaningful", "contradicted, size uncertain", "cannot answer",
          "inconclusive", "no meaningful difference", "supported, size uncertain",
          "supported, meaningful")


def supported(v: str) -> bool:
    """Whether a verdict supports its claim, whatever its size.

    >>> supported("supported, size uncertain"), supported("inconclusive")
    (True, False)
    """
    return v in SUPPORTED


def contradicted(v: str) -> bool:
    """Whether a verdict contradicts its claim, whatever its size.

    >>> contradicted("contradicted, meaningful"), contradicted("supported, meaningful")
    (True, False)
    """
    return v in CONTRADICTED


@dataclass
class ClaimResult:
    """One claim's answer: verdict, the findings behind it, why, and the verdict Finding."""

    claim: Claim
    verdict: str
    naive: list[Finding] = field(default_factory=list)
    adjusted: list[Finding] = field(default_factory=list)
    reason: str = ""
    finding: Finding | None = None
    contrasts: list[Finding] = field(default_factory=list)
    #: providers left out because no register settles their sector (``unknown``)
    unknown_sector: int = 0
    #: other views shown beside the verdict and not judged on (the like-for-like waits)
    beside: list[Finding] = field(default_factory=list)
    #: the within-provider estimates of an effect claim (provider and month fixed effects)
    within: list[Finding] = field(default_factory=list)
    #: the evidence an effect claim is judged on: ``within`` or ``pooled``
    #: (:mod:`workbench.analysis.claims.basis`); ``""`` for the others
    basis: str = ""

    def __post_init__(self) -> None:
        self.reason = self.reason[:1].upper() + self.reason[1:]
        judged = (self.naive if self.claim.kind == "descriptive"
                  else self.within if self.basis == "within" else self.adjusted)
        warned = sorted({f.warning for f in judged if f.warning})
        if warned:
            self.reason += " Model warning: " + "; ".join(warned) + "."

    def summary(self) -> str:
        """The answer in one paragraph of plain words.

        >>> c = CLAIMS[0]
        >>> ClaimResult(c, "cannot answer", reason="no waits for private providers.").summary()
        'Private providers have shorter waiting times than the NHS. **Cannot answer**: No waits for private providers.'
        """
        return f"{self.claim.text} **{self.verdict.capitalize()}**: {self.reason}"

    def findings(self, question: str | None = None) -> Findings:
        """The verdict (``headline``; a ``cannot answer`` verdict is a ``diagnostic``
        without an estimate), then the within-provider, adjusted, unadjusted, contrast and
        like-for-like findings behind it (``robustness``, or ``diagnostic`` where their own analysis said
        so). ``question`` replaces the verdict's question (the claim).

        >>> r = ClaimResult(CLAIMS[0], "inconclusive", naive=[Finding(
        ...     id="naive:sector[independent]->rtt_median_weeks@acute", question="q",
        ...     estimate=-1.0)])
        >>> [f.role for f in r.findings()]
        ['robustness']
        """
        out = []
        if self.finding is not None:
            out.append(self.finding if question is None
                       else replace(self.finding, question=question))
        for f in (*self.within, *self.adjusted, *self.naive, *self.contrasts, *self.beside):
            out.append(f if f.role == "diagnostic" else replace(f, role="robustness"))
        return Findings(out)


def verdict(low: float | None, high: float | None, direction: int,
            margin: float = 0.0) -> str:
    """The verdict of an interval, the claimed sign and the minimal important difference.

    In order: ``no meaningful difference`` when the whole interval lies within
    +/- ``margin``; ``supported, meaningful`` when it lies beyond the margin on the
    claimed side (``direction * low > margin``); ``supported, size uncertain`` when it
    excludes zero on the claimed side but reaches inside the margin (the effect is there,
    its size may not matter); ``contradicted, meaningful`` and ``contradicted, size
    uncertain`` the same on the other side (``direction * high < -margin``: an effect that
    matters, the other way); else ``inconclusive``. With no margin (0) an interval that
    excludes zero is meaningful.

    >>> verdict(-2.0, -0.5, -1), verdict(0.5, 2.0, -1), verdict(-1.0, 1.0, -1)
    ('supported, meaningful', 'contradicted, meaningful', 'inconclusive')
    >>> verdict(0.1, 1.6, +1, margin=1), verdict(-1.6, -0.1, +1, margin=1)
    ('supported, size uncertain', 'contradicted, size uncertain')
    >>> verdict(-0.3, 0.4, +1, margin=0.5), verdict(0.1, 0.4, +1, margin=0.5)
    ('no meaningful difference', 'no meaningful difference')
    """
    if low is None or high is None or np.isnan(low) or np.isnan(high):
        return "inconclusive"
    margin = max(float(margin), 0.0)
    if margin > 0 and -margin < low and high < margin:
        return "no meaningful difference"
    near, far = sorted((direction * low, direction * high))  # on the claimed side's scale
    if near > 0:
        return "supported, meaningful" if near > margin else "supported, size uncertain"
    if far < 0:
        return "contradicted, meaningful" if far < -margin else "contradicted, size uncertain"
    return "inconclusive"


@dataclass
class Judged:
    """One interval a verdict rests on (at :data:`LEVEL`)."""

    label: str
    estimate: float
    low: float
    high: float
    p_value: float
    direction: int
    margin: float
    finding: Finding

    @property
    def verdict(self) -> str:
        """The verdict of this interval alone (:func:`verdict`)."""
        return verdict(self.low, self.high, self.direction, self.margin)


def judge(fit: md.Fit, f: Finding, term: str, label: str, direction: int,
           margin: float) -> Judged:
    """The interval of ``term`` in ``fit`` at the register's level (:data:`LEVEL`), with
    the estimate and p-value of its finding ``f``, the claimed ``direction`` and ``margin``.

    ``label`` names the interval in the verdict's sentence.
    """
    lo, hi = fit.interval(term, LEVEL)
    return Judged(label, f.estimate, lo, hi, f.p_value, direction, margin, f)


def rule_text(margin: str, side: str = "on the side the claim asserts") -> str:
    """The verdict rule in words (the verdict sentence's ``Rule: ...``), for a margin
    written ``margin`` and the claimed ``side``.

    >>> rule_text("0.5", "below 0").split(";")[0]
    'no meaningful difference if the 99.5% interval lies within +/-0.5'
    """
    level = formatting.percent(LEVEL, 1)
    return (f"no meaningful difference if the {level} interval lies within +/-{margin}; "
            f"supported, meaningful if it lies wholly {side} and beyond the margin; "
            "supported, size uncertain if it excludes 0 on that side but reaches inside the "
            "margin; contradicted, meaningful or size uncertain the same way on the other "
            f"side; else inconclusive; {MULTIPLICITY} over the register's {FAMILY} intervals")


def _rule(claim: Claim, margin: float) -> str:
    side = "below 0" if claim.direction < 0 else "above 0"
    return "rule: " + rule_text(formatting.number(margin), side)


def combine(parts: list[Judged]) -> tuple[str, Judged]:
    """The verdict of a claim judged on several parts, and the part that decides it.

    Any part contradicted makes the claim contradicted (``meaningful`` when any
    contradicted part is); all supported, supported (``meaningful`` only when every part
    is); all within the margin, no meaningful difference; otherwise inconclusive. The
    deciding part is the first by :data:`_ORDER` (contradicted before inconclusive before
    no meaningful difference before supported, size uncertain before supported,
    meaningful).

    >>> f = Finding(id="a:x->y@acute", question="q", estimate=1.0)
    >>> parts = [Judged("a", 1.0, 0.5, 1.5, 0.01, 1, 0.1, f),
    ...          Judged("b", 0.0, -1.0, 1.0, 0.9, 1, 0.1, f)]
    >>> v, key = combine(parts); v, key.label
    ('inconclusive', 'b')
    >>> v, key = combine([parts[0], Judged("c", 0.3, 0.05, 0.6, 0.01, 1, 0.1, f)])
    >>> v, key.label
    ('supported, size uncertain', 'c')
    """
    verdicts = [p.verdict for p in parts]
    if any(map(contradicted, verdicts)):
        v = ("contradicted, meaningful" if "contradicted, meaningful" in verdicts
             else "contradicted, size uncertain")
    elif all(map(supported, verdicts)):
        v = ("supported, meaningful" if all(x == "supported, meaningful" for x in verdicts)
             else "supported, size uncertain")
    elif all(x == "no meaningful difference" for x in verdicts):
        v = "no meaningful difference"
    else:
        v = "inconclusive"
    return v, min(parts, key=lambda p: _ORDER.index(p.verdict))


def decide(claim: Claim, parts: list[Judged], margin: float, subset: str, reason: str,
           extra: str = "", *, judged: str = "", params: dict | None = None
           ) -> tuple[str, Finding, str]:
    """The claim's verdict from the intervals it rests on, its finding and its reason.

    :func:`combine` gives the verdict. The finding (``verdict:<claim key>@<subset>``, role
    ``headline``) carries the estimate of the part that decides, its p-value times
    :data:`FAMILY` (Bonferroni, at most 1), and a sentence with what it is ``judged`` on
    (default: the unadjusted, weighted comparison of a descriptive claim, the
    case-mix-adjusted estimate of an effect claim), every part, the margin and the rule;
    ``extra`` (the basis and E-value sentences) is added to the sentence and to
    ``reason``; ``params`` are added to the finding's parameters (the evidence's
    ``basis`` and the between-within test of an effect claim).

    >>> f = Finding(id="naive:sector[independent]->rtt_median_weeks@acute", question="q",
    ...             estimate=-1.0, ci_low=-2.0, ci_high=-0.5, p_value=0.01)
    >>> part = Judged("independent minus NHS", -1.0, -2.2, -0.3, 0.01, -1, 0.5, f)
    >>> v, finding, _ = decide(CLAIMS[0], [part], 0.5, "acute", "")
    >>> v, finding.id
    ('supported, size uncertain', 'verdict:private_shorter_waits@acute')
    """
    v, key = combine(parts)
    words = "; ".join(f"{p.label}: {formatting.signed(p.estimate)} "
                      f"({formatting.percent(LEVEL, 1)} interval "
                      f"{formatting.interval(p.low, p.high)}; {p.verdict})" for p in parts)
    base = key.finding
    rule = "R" + _rule(claim, margin)[1:]
    judged = judged or ("unadjusted, weighted comparison" if claim.kind == "descriptive"
                        else "case-mix-adjusted estimate")
    sentence = (f"{claim.text} Verdict: {v}. Judged on the {judged}"
                f" (margin {formatting.number(margin)} {claim.unit or base.unit}): {words}. "
                f"{rule}."
                + (f" {extra}" if extra else ""))
    f = Finding(id=str(FindingId("verdict", claim.key, subset=subset)),
                question=claim.text, estimate=key.estimate, ci_low=base.ci_low,
                ci_high=base.ci_high, p_value=min(1.0, key.p_value * FAMILY), n=base.n,
                unit=claim.unit or base.unit, model=f"claims register ({claim.kind}); {base.model}",
                formula=base.formula, sector=base.sector, clusters=base.clusters,
                warning=base.warning, sentence=sentence, role="headline",
                sensitivity=dict(base.sensitivity))
    f.parameters = {"verdict": v, "margin": margin, "level": LEVEL, "family": FAMILY,
                    "multiplicity": MULTIPLICITY, "interval": [key.low, key.high],
                    "kind": claim.kind, **(params or {})}
    return v, f, reason + (" " + extra if extra else "")


def waits_claim(measure: str = "rtt_median_weeks") -> Claim:
    """The "shorter waits" claim judged on ``measure`` (:data:`WAIT_MEASURES`): its
    analysis in words, direction (shorter waits: fewer weeks, a higher % within 18
    weeks), default margin and unit.

    >>> c = waits_claim("rtt_nonadmitted_pct_within_18w")
    >>> c.direction, c.margin, c.unit
    (1, 5.0, 'percentage points')
    """
    if measure not in WAIT_MEASURES:
        raise AnalysisInputError("waits_claim", "measure", f"is {measure!r}",
                                 expected=f"one of {list(WAIT_MEASURES)}")
    weight, margin, _ = WAIT_MEASURES[measure]
    base = CLAIMS[0]
    m = M.get(measure)
    weeks = m.unit == "weeks"
    what = ("patients on the waiting list" if weight == "rtt_waiting_list"
            else "completed pathways (patients treated or discharged)")
    analysis = (f"{m.label}, independent minus NHS acute providers; linear model with month "
                f"effects; descriptive: providers weighted by {what} ({weight}), so the "
                "difference is what the average patient meets; no case-mix adjustment.")
    return replace(base, analysis=analysis, direction=-1 if weeks else +1, margin=margin,
                   unit="weeks" if weeks else "percentage points")


def waits_like_for_like(specialty_waits: pd.DataFrame | NotHeld, panel: pd.DataFrame,
                        measure: str = "rtt_nonadmitted_pct_within_18w", *,
                        n_boot: int = like_for_like.N_BOOT,
                        seed: int = like_for_like.SEED) -> Finding | None:
    """The like-for-like (specialty-standardised) sector difference matching the waits
    ``measure``, from the ``specialty_waits`` table beside the panel (a session's
    ``s.data("specialty_waits")``; :func:`workbench.analysis.effects.like_for_like.compare`);
    None when the measure has no such comparison (median waits do not add across
    specialties) or the study's data do not hold the table or its pathway kind.

    >>> from workbench.data.catalogue import NotHeld
    >>> waits_like_for_like(NotHeld("specialty_waits", "synthetic data"), pd.DataFrame()) is None
    True
    """
    if measure not in WAIT_MEASURES:
        raise AnalysisInputError("waits_like_for_like", "measure", f"is {measure!r}",
                                 expected=f"one of {list(WAIT_MEASURES)}")
    match = WAIT_MEASURES[measure][2]
    if match is None or isinstance(specialty_waits, NotHeld):
        return None
    pathway, sw_measure = match
    tables = by_pathway(specialty_waits)
    if pathway not in tables:
        return None
    table = like_for_like.attach_sector(tables[pathway], panel)
    if sw_measure not in like_for_like.available(table):
        return None
    period = str(tables[pathway].attrs.get("period", ""))
    cmp = like_for_like.compare(table, sw_measure, n_boot=n_boot, seed=seed, pathway=pathway,
                                period=period)
    return cmp.findings()[0]
