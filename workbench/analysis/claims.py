"""The claims register: common claims about care, each given a verdict a reviewer can sign.

Each claim in :data:`CLAIMS` is mapped to one analysis and shown two ways, side by side:
the **unadjusted** comparison and the **case-mix-adjusted** one. Which of them the verdict
follows depends on what the claim says:

* a **descriptive** claim ("private providers have shorter waits", "... more staff per
  bed") is about what patients meet, so it is judged on the unadjusted comparison,
  weighted by what the measure is a share of (:data:`DESCRIPTIVE_WEIGHTS`: beds for staff
  per bed, waiting lists for waits);
* a claim about an **effect** ("achieve higher satisfaction", "better staffing goes
  with shorter waits") is judged on the case-mix-adjusted estimate.

Each claim has a **minimal important difference** (``margin``, in the unit of its
estimate; defaults in :data:`CLAIMS`, overridden with ``assess_claims(margins=...)``
or notebook 06's ``margins`` parameter). With the claim's interval [lo, hi] at the
register's multiplicity-adjusted level and its direction, the rule is, in order:

``no meaningful difference``  -margin < lo and hi < margin (the whole interval lies
                              within the margin: any difference is too small to matter);
``supported``                 the interval lies wholly on the side the claim asserts;
``contradicted``              the interval lies wholly on the other side;
``inconclusive``              otherwise (the data are too few to tell);
``cannot answer``             the data do not hold what the claim needs (for example
                              real NHS sources publish no staffing figures for private
                              hospitals).

**Multiplicity**: Bonferroni over every interval the register judges (:data:`FAMILY`,
10 intervals for the seven claims: one per sector, engagement and care-home claim, two
for the staffing claim, three for the main-driver claim), so each interval is at level
1 - 0.05/10 = 99.5% and the chance that any verdict of the register rests on a chance
exclusion of zero is at most 5% (whatever the dependence between claims).

Sector contrasts with few providers in a sector use wild cluster bootstrap intervals
(:func:`workbench.analysis.models.fit`). :data:`MIN_PROVIDERS` per sector follows from
the placebo check ``tests/test_placebo_claims.py``: NHS trusts relabelled independent at
random (3 and 10 per draw, 200 draws each) get a supported or contradicted verdict in
at most 7% of draws. Effect claims say how strong an unmeasured confounder would have to
be to explain them away (E-values, :mod:`workbench.analysis.sensitivity`).

Each verdict is also a :class:`~workbench.analysis.findings.Finding` (id
``verdict:<claim key>@<subset>``, role ``headline``) whose sentence states the estimate,
the interval used, the margin and the rule; the estimates behind it are ``robustness``
findings. Its ``ci_low``/``ci_high`` are the 95% interval, like every finding's; the
verdict's own (adjusted) interval is in its sentence and ``parameters``. A ``cannot
answer`` verdict is a finding too (role ``diagnostic``: it is not an answer), with no
estimate (NaN, written as null), the reason in its sentence and ``warning`` (and in
``parameters["reason"]`` until a session stamps the notebook's parameters on it).

**Real panels** (built from published files) hold far fewer inputs than the synthetic
default: no case mix, no FFT scores by provider, staffing for NHS organisations only,
measures in months that do not overlap. Every input a claim needs is checked before
anything is fitted: a column the panel lacks, a sector with fewer than
:data:`MIN_PROVIDERS` providers holding it, or inputs never held by the same provider in
the same month give ``cannot answer`` with that reason (the months each input covers
are named); a model the data still cannot fit gives ``cannot answer`` with the fitting
error. An effect claim without case mix cannot be answered (it is judged on the adjusted
estimate); a descriptive claim needs no case mix. Providers whose sector no register
settles (``unknown``) are left out and counted (``ClaimResult.unknown_sector``).

**Which waits**: ``assess_claims(waits_measure=...)`` (:data:`WAIT_MEASURES`) chooses the
measure of "shorter waits", with its weight, default margin and direction. The default,
``rtt_median_weeks`` weighted by waiting lists, suits the synthetic default. On published
data the measure held for both sectors in the same month is
``rtt_nonadmitted_pct_within_18w`` (completed non-admitted pathways, RTT provider
workbook), weighted by completed pathways, so the weighted difference is the difference of
the two sectors' pooled rates: the share of patients treated within 18 weeks that a
patient of each sector meets (margin 5 percentage points). Beside it (not judged on) the
like-for-like, specialty-standardised difference of
:mod:`workbench.analysis.sector_waits` (``like_for_like=``, from
:func:`waits_like_for_like`), which asks another question: would the independent
sector's patients wait less in the NHS for the same specialties.

Example
-------
>>> from workbench.data.synth import generate
>>> panel = generate(seed=3, n_providers=80, n_months=12).panel
>>> results = assess_claims(panel)
>>> [r.claim.key for r in results][:3]
['private_shorter_waits', 'private_more_staff', 'private_higher_satisfaction']
>>> results[3].verdict, results[3].finding.id
('supported', 'verdict:staffing_waits_satisfaction@acute')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from itertools import zip_longest

import numpy as np
import pandas as pd
from scipy import stats

from workbench.analysis import models as md
from workbench.analysis import sector_waits
from workbench.analysis.findings import Finding, FindingId
from workbench.analysis.sensitivity import evalue_sentence
from workbench.data import measures as M
from workbench.errors import AnalysisInputError

VERDICTS: tuple[str, ...] = ("supported", "contradicted", "no meaningful difference",
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
#: :mod:`workbench.analysis.sector_waits` that matches it as (pathway, measure) or None).
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

_WHO = {"nhs": "NHS", "independent": "independent (private)", "local_authority": "council-run"}


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
          "through waits). Supported only when both hold.", +1, "effect", 0.2,
          "weeks or percentage points per nurse FTE per 10 beds"),
    Claim("engaged_staff_experience",
          "Satisfied, engaged staff give better patient experience.",
          "FFT % positive on staff engagement (0-10) some months earlier, acute providers; "
          "the adjusted model also holds staffing and sector fixed.", +1, "effect", 0.5,
          "percentage points per engagement point"),
    Claim("waits_main_driver",
          "Waiting times are the main driver of dissatisfaction.",
          "FFT % positive on RTT median wait, nurse staffing and earlier staff engagement "
          "together in one model; effects per standard deviation of each driver. The "
          "difference between the wait effect's size and each other driver's (a linear "
          "contrast of the joint model, clustered covariance, t with G-1 df) is tested.",
          -1, "effect", 0.25, "percentage points per SD"),
    Claim("private_care_homes_better",
          "Privately run care homes achieve better quality ratings than publicly run ones.",
          "CQC overall rating of care homes, privately run (for-profit and not-for-profit) "
          "versus council-run; proportional-odds model, log-odds of a better rating.", +1,
          "effect", 0.2, "log-odds of a better rating", "care_home"),
)


#: Intervals each claim judges (see the module); their sum is the Bonferroni family.
PARTS: dict[str, int] = {"staffing_waits_satisfaction": 2, "waits_main_driver": 3}
FAMILY: int = sum(PARTS.get(c.key, 1) for c in CLAIMS)
#: The level of every interval a verdict is judged on.
LEVEL: float = 1 - ALPHA / FAMILY

_ORDER = ("contradicted", "cannot answer", "inconclusive", "no meaningful difference",
          "supported")


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

    def __post_init__(self) -> None:
        self.reason = self.reason[:1].upper() + self.reason[1:]
        judged = self.naive if self.claim.kind == "descriptive" else self.adjusted
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


def verdict(low: float | None, high: float | None, direction: int,
            margin: float = 0.0) -> str:
    """The verdict of an interval, the claimed sign and the minimal important difference.

    >>> verdict(-2.0, -0.5, -1), verdict(0.5, 2.0, -1), verdict(-1.0, 1.0, -1)
    ('supported', 'contradicted', 'inconclusive')
    >>> verdict(-0.3, 0.4, +1, margin=0.5), verdict(0.1, 0.4, +1, margin=0.5)
    ('no meaningful difference', 'no meaningful difference')
    """
    if low is None or high is None or np.isnan(low) or np.isnan(high):
        return "inconclusive"
    if margin > 0 and -margin < low and high < margin:
        return "no meaningful difference"
    if direction * low > 0 and direction * high > 0:
        return "supported"
    if direction * low < 0 and direction * high < 0:
        return "contradicted"
    return "inconclusive"


def _providers_with(panel: pd.DataFrame, column: str, subset: str) -> pd.Series:
    """Providers of ``subset`` with at least one value of ``column``, by sector."""
    rows = md.select_subset(panel, subset)
    if column not in rows.columns:
        return pd.Series(dtype=int)
    return rows.loc[rows[column].notna()].groupby("sector", observed=True)[
        "provider_code"].nunique()


def _label(column: str) -> str:
    base = md.exposure_label(column).split("[")[0]
    return M.label(base) if base in M.MEASURES else column


def _months(rows: pd.DataFrame, column: str) -> str:
    """The months ``column`` covers in ``rows``, in words ('September 2025 only')."""
    base = md.exposure_label(column).split("[")[0]
    if base not in rows.columns or "period" not in rows.columns:
        return "no months"
    periods = pd.to_datetime(rows.loc[rows[base].notna(), "period"]).drop_duplicates()
    if periods.empty:
        return "no months"
    if len(periods) == 1:
        return f"{periods.iloc[0]:%B %Y} only"
    return f"{len(periods)} months, {periods.min():%b %Y} to {periods.max():%b %Y}"


def _held(panel: pd.DataFrame, construct: str) -> list[str]:
    """Labels of the panel's measures of ``construct`` that hold any value."""
    return [M.label(c) for c in panel.columns
            if c in M.MEASURES and M.get(c).construct == construct and panel[c].notna().any()]


def _missing_reason(panel: pd.DataFrame, columns: tuple[str, ...], subset: str,
                    sectors: tuple[str, ...]) -> str:
    """Why the data cannot answer ('' when they can): every input of ``columns`` that the
    panel lacks, or holds for fewer than :data:`MIN_PROVIDERS` providers of a sector.

    >>> p = pd.DataFrame({"provider_code": ["A", "B"], "sector": ["nhs", "nhs"],
    ...                   "setting": ["acute"] * 2, "period": pd.to_datetime(["2025-09-01"] * 2),
    ...                   "nurse_fte": [1.0, 2.0]})
    >>> print(_missing_reason(p, ("fft_pct_positive",), "acute", ("nhs",)))
    The panel holds no FFT positive responses (%) for any provider (nor any other satisfaction measure).
    """
    problems = []
    rows = md.select_subset(panel, subset)
    where = md.SUBSETS.get(subset, subset)
    absent_case_mix = [c for c in columns if c in md.CASE_MIX
                       and (c not in rows.columns or not rows[c].notna().any())]
    if absent_case_mix:
        names = ", ".join(map(_label, absent_case_mix))
        problems.append(f"the panel holds no case-mix measures ({names}) for {where}, so no "
                        "case-mix-adjusted estimate can be made")
    for col in columns:
        if col in absent_case_mix:
            continue
        base = md.exposure_label(col).split("[")[0]
        if base not in rows.columns or not rows[base].notna().any():
            construct = M.get(base).construct if base in M.MEASURES else ""
            held = [h for h in _held(panel, construct) if h != _label(col)] if construct else []
            also = (f" (its {construct} measures are: {', '.join(held)})" if held
                    else f" (nor any other {construct} measure)" if construct else "")
            problems.append(f"the panel holds no {_label(col)} for any provider{also}"
                            if base not in panel.columns or not panel[base].notna().any()
                            else f"the panel holds no {_label(col)} for {where}"
                                 f" (it does for other providers)")
            if construct == "staffing" and "independent" in sectors:
                staffed = {c for c in rows.columns if c in M.MEASURES
                           and M.get(c).construct == "staffing"}
                n_ind = int(rows.loc[(rows["sector"] == "independent")
                                     & rows[sorted(staffed)].notna().any(axis=1),
                                     "provider_code"].nunique()) if staffed else 0
                if n_ind < MIN_PROVIDERS:
                    problems.append(f"no staffing measure is held for independent (private) "
                                    f"providers among {where} ({n_ind} have any). Real NHS "
                                    "sources publish no workforce figures for private "
                                    "providers")
            continue
        have = _providers_with(panel, base, subset)
        for sector in sectors:
            n = int(have.get(sector, 0))
            if n < MIN_PROVIDERS:
                who = _WHO.get(sector, sector)
                extra = (" Real NHS sources publish no workforce figures for private providers."
                         if base in M.MEASURES and M.get(base).construct == "staffing"
                         and sector == "independent" else "")
                problems.append(f"the data hold {_label(col)} for {n} {who} provider(s) among "
                                f"{where}; at least {MIN_PROVIDERS} are needed.{extra}")
    return _sentences(problems)


def _sentences(parts: list[str]) -> str:
    out = []
    for part in parts:
        part = part.strip()
        part = part[:1].upper() + part[1:]
        out.append(part if part.endswith(".") else part + ".")
    return " ".join(out)


def _rows_reason(panel: pd.DataFrame, spec: md.ModelSpec, sectors: tuple[str, ...]) -> str:
    """Why ``spec``'s complete cases cannot answer ('' when they can): fewer than
    :data:`MIN_PROVIDERS` providers of a sector hold every input in the same month (the
    months each input covers are named)."""
    try:
        rows = md.prepare(spec, panel)
    except AnalysisInputError as err:
        return _sentences([f"the model cannot be set up on these data: {err}"])
    have = rows.groupby("sector", observed=True)["provider_code"].nunique()
    short = [(s_, int(have.get(s_, 0))) for s_ in sectors if int(have.get(s_, 0)) < MIN_PROVIDERS]
    if not short:
        return ""
    inputs = [spec.outcome, *spec.exposures, *spec.adjust]
    if spec.weights:
        inputs.append(spec.weights)
    subset_rows = md.select_subset(panel, spec.subset)
    cover = "; ".join(f"{_label(c)}: {_months(subset_rows, c)}" for c in dict.fromkeys(inputs)
                      if not md.exposure_label(c).startswith("sector["))
    who = " and ".join(f"{n} {_WHO.get(s_, s_)}" for s_, n in short)
    where = md.SUBSETS.get(spec.subset, spec.subset)
    text = (f"only {who} provider(s) among {where} hold every input of the model in the "
            f"same month (at least {MIN_PROVIDERS} per sector are needed); the inputs cover: "
            f"{cover}")
    return _sentences([text])


def cannot_answer(claim: Claim, reason: str, *, unknown_sector: int = 0) -> ClaimResult:
    """The ``cannot answer`` result of ``claim``, with its verdict Finding: no estimate
    (NaN), role ``diagnostic``, the reason in its sentence, warning and parameters.

    >>> r = cannot_answer(CLAIMS[1], "no staffing for private providers.")
    >>> r.verdict, r.finding.id, r.finding.role, r.finding.parameters["reason"]
    ('cannot answer', 'verdict:private_more_staff@acute', 'diagnostic', 'No staffing for private providers.')
    >>> r.finding.sentence.split(". ")[1]
    'Verdict: cannot answer'
    """
    reason = _sentences([reason]) if reason else "The data do not hold what the claim needs."
    unknown = (f" {unknown_sector} provider(s) whose sector no register settles were left "
               "out." if unknown_sector else "")
    sentence = (f"{claim.text} Verdict: cannot answer. {reason} No estimate is given "
                f"(margin {claim.margin:g} {claim.unit}, not applied).{unknown}")
    f = Finding(id=str(FindingId("verdict", claim.key, subset=claim.subset)),
                question=claim.text, estimate=float("nan"), unit=claim.unit,
                model=f"claims register ({claim.kind}); not fitted: the data cannot answer",
                sector=claim.subset, warning=f"cannot answer: {reason}", sentence=sentence,
                role="diagnostic")
    f.parameters = {"verdict": "cannot answer", "margin": claim.margin, "level": LEVEL,
                    "family": FAMILY, "multiplicity": MULTIPLICITY, "interval": None,
                    "kind": claim.kind, "reason": reason,
                    "unknown_sector_providers": unknown_sector}
    return ClaimResult(claim, "cannot answer", reason=reason, finding=f,
                       unknown_sector=unknown_sector)


def _interval(f: Finding) -> str:
    return f"{f.estimate:.2f} (95% CI {f.ci_low:.2f} to {f.ci_high:.2f}) {f.unit}"


@dataclass
class _Judged:
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
        return verdict(self.low, self.high, self.direction, self.margin)


def _judge(fit: md.Fit, f: Finding, term: str, label: str, direction: int,
           margin: float) -> _Judged:
    lo, hi = fit.interval(term, LEVEL)
    return _Judged(label, f.estimate, lo, hi, f.p_value, direction, margin, f)


def _rule(claim: Claim, margin: float) -> str:
    side = "below" if claim.direction < 0 else "above"
    return (f"rule: no meaningful difference if the {LEVEL:.1%} interval lies within "
            f"+/-{margin:g}, supported if it lies wholly {side} 0, contradicted if wholly "
            f"on the other side, else inconclusive; {MULTIPLICITY} over the register's "
            f"{FAMILY} intervals")


def _decide(claim: Claim, parts: list[_Judged], margin: float, subset: str, reason: str,
            extra: str = "") -> tuple[str, Finding, str]:
    verdicts = [p.verdict for p in parts]
    if "contradicted" in verdicts:
        v = "contradicted"
    elif all(x == "supported" for x in verdicts):
        v = "supported"
    elif all(x == "no meaningful difference" for x in verdicts):
        v = "no meaningful difference"
    else:
        v = "inconclusive"
    key = min(parts, key=lambda p: _ORDER.index(p.verdict))
    words = "; ".join(f"{p.label}: {p.estimate:+.3g} ({LEVEL:.1%} interval {p.low:.3g} to "
                      f"{p.high:.3g}; {p.verdict})" for p in parts)
    base = key.finding
    rule = "R" + _rule(claim, margin)[1:]
    judged = ("unadjusted, weighted comparison" if claim.kind == "descriptive"
              else "case-mix-adjusted estimate")
    sentence = (f"{claim.text} Verdict: {v}. Judged on the {judged}"
                f" (margin {margin:g} {claim.unit or base.unit}): {words}. {rule}."
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
                    "kind": claim.kind}
    return v, f, reason + (" " + extra if extra else "")


def _margin(claim: Claim, margins: dict[str, float]) -> float:
    return float(margins.get(claim.key, claim.margin))


class _CannotAnswer(Exception):
    """Raised inside a claim's analysis when the data cannot answer it (with the reason)."""


def _need(panel: pd.DataFrame, columns: tuple[str, ...], subset: str,
          sectors: tuple[str, ...], specs: tuple[md.ModelSpec, ...] = ()) -> None:
    """Raise :class:`_CannotAnswer` unless the panel holds ``columns`` for enough providers
    of each sector and each model of ``specs`` has enough complete cases."""
    reason = _missing_reason(panel, columns, subset, sectors)
    for spec in specs:
        reason = reason or _rows_reason(panel, spec, sectors)
    if reason:
        raise _CannotAnswer(reason)


def _coverage(fit: md.Fit) -> str:
    """Providers by sector and the months of a fit, in words."""
    have = fit.data.groupby("sector", observed=True)["provider_code"].nunique()
    who = " and ".join(f"{int(have.get(s_, 0))} {_WHO.get(s_, s_)}" for s_ in
                       ("nhs", "independent", "local_authority") if int(have.get(s_, 0)))
    return (f"Data: {who} providers among {md.SUBSETS.get(fit.spec.subset, fit.spec.subset)}, "
            f"{_months(fit.data, fit.spec.outcome)}.")


def _sector_claim(panel: pd.DataFrame, claim: Claim, outcome: str,
                  margins: dict[str, float],
                  like_for_like: Finding | None = None) -> ClaimResult:
    sectors = ("nhs", "independent")
    q = f"Do independent hospitals differ from NHS trusts on {_label(outcome)}?"
    weight = DESCRIPTIVE_WEIGHTS.get(outcome)
    acute = md.select_subset(panel, "acute")
    if weight not in acute.columns or not acute[weight].notna().any():
        weight = None
    dspec = md.ModelSpec(outcome, ("sector_independent",), subset="acute",
                         prefix="descriptive", weights=weight)
    aspec = md.ModelSpec(outcome, ("sector_independent",), md.CASE_MIX, subset="acute",
                         prefix="adjusted")
    if claim.kind == "descriptive":
        # judged unadjusted: case mix is shown beside the verdict when the panel holds it
        _need(panel, (outcome,), "acute", sectors, (dspec,))
        no_case_mix = (_missing_reason(panel, md.CASE_MIX, "acute", sectors)
                       or _rows_reason(panel, aspec, sectors))
    else:
        _need(panel, (outcome, *md.CASE_MIX), "acute", sectors, (aspec,))
        no_case_mix = ""
    dfit = md.fit(dspec, panel)
    desc = md.findings(dfit, q + (f" (unadjusted; providers weighted by {weight})"
                                  if weight else " (unadjusted)"))[0]
    adjusted: list[Finding] = []
    beside: list[Finding] = []
    if not no_case_mix:
        afit = md.fit(aspec, panel)
        adjusted.append(md.findings(afit, q + " (adjusted for case mix)")[0])
    margin = _margin(claim, margins)
    if claim.kind == "descriptive":
        part = _judge(dfit, desc, "sector_independent", "independent minus NHS, unadjusted"
                      + (f", weighted by {weight}" if weight else ""), claim.direction, margin)
        extra = (f"Adjusted for case mix (not what this claim is judged on): "
                 f"{_interval(adjusted[0])}." if adjusted
                 else f"No case-mix-adjusted comparison: {no_case_mix[:1].lower()}"
                      f"{no_case_mix[1:]}")
        if like_for_like is not None:
            lfl = replace(like_for_like, role="robustness")
            beside.append(lfl)
            extra += (" Like for like by specialty (not what this claim is judged on; it asks "
                      f"whether the same patients would wait less in the NHS): {lfl.sentence}")
    else:
        part = _judge(afit, adjusted[0], "sector_independent",
                      "independent minus NHS, adjusted for case mix", claim.direction, margin)
        extra = (f"Unadjusted: {_interval(desc)}. "
                 + evalue_sentence(adjusted[0].sensitivity, "being an independent provider",
                                   _label(outcome)))
    extra = f"{_coverage(dfit)} {extra}"
    v, f, reason = _decide(claim, [part], margin, "acute", "", extra)
    how = "unadjusted, weighted" if claim.kind == "descriptive" else "case-mix-adjusted"
    reason = (f"judged on the {how} comparison of {_label(outcome)}: {part.estimate:+.2f} "
              f"{part.finding.unit} ({LEVEL:.1%} interval {part.low:.2f} to {part.high:.2f}; "
              f"margin {margin:g}). {extra}")
    return ClaimResult(claim, v, [desc], adjusted, reason, f, beside=beside)


def _has_both(panel: pd.DataFrame) -> bool:
    acute = md.select_subset(panel, "acute")
    return acute["sector"].nunique() > 1


def _staffing_claim(panel: pd.DataFrame, claim: Claim, lag: int,
                    margins: dict[str, float]) -> ClaimResult:
    staffing = "nurse_fte_per_10_beds"
    _need(panel, (staffing, "rtt_median_weeks", "fft_pct_positive", *md.CASE_MIX), "acute",
          ("nhs",))
    adj = md.CASE_MIX + (("sector_independent",) if _has_both(panel) else ())
    _need(panel, (), "acute", ("nhs",),
          tuple(md.ModelSpec(o, (staffing,), adj, subset="acute")
                for o in ("rtt_median_weeks", "fft_pct_positive")))
    margin = _margin(claim, margins)
    parts_spec = (("rtt_median_weeks", -1, "wait"), ("fft_pct_positive", +1, "satisfaction"))
    naive, adjusted, parts, sens = [], [], [], []
    for outcome, sign, what in parts_spec:
        prefix = "effect" if outcome == "rtt_median_weeks" else "total"
        q = f"{claim.text} ({what})"
        n = md.findings(md.fit(md.ModelSpec(outcome, (staffing,), (), subset="acute",
                                            prefix=prefix, suffix="naive"), panel), q)[0]
        afit = md.fit(md.ModelSpec(outcome, (staffing,), adj, subset="acute", prefix=prefix),
                      panel)
        a = md.findings(afit, q)[0]
        naive.append(n)
        adjusted.append(a)
        parts.append(_judge(afit, a, staffing, f"{M.label(outcome)} per nurse FTE per 10 beds",
                            sign, margin))
        sens.append(evalue_sentence(a.sensitivity, "staffing", M.label(outcome)))
    extra = " ".join(s for s in sens if s)
    v, f, _ = _decide(claim, parts, margin, "acute", "", extra)
    words = "; ".join(f"{p.label}: {p.estimate:+.2f} ({LEVEL:.1%} interval {p.low:.2f} to "
                      f"{p.high:.2f}, {p.verdict})" for p in parts)
    return ClaimResult(claim, v, naive, adjusted,
                       f"after case-mix adjustment (margin {margin:g} per nurse FTE per 10 "
                       f"beds), {words}. {extra}", f)


def _engagement_claim(panel: pd.DataFrame, claim: Claim, lag: int,
                      margins: dict[str, float]) -> ClaimResult:
    _need(panel, ("staff_engagement", "fft_pct_positive", "nurse_fte_per_10_beds",
                  *md.CASE_MIX), "acute", ("nhs",))
    exposure = f"staff_engagement_lag{lag}"
    q = claim.text + f" (engagement {lag} month(s) earlier)"
    adj = md.CASE_MIX + ("nurse_fte_per_10_beds",) + (
        ("sector_independent",) if _has_both(panel) else ())
    _need(panel, (), "acute", ("nhs",),
          (md.ModelSpec("fft_pct_positive", (exposure,), adj, subset="acute"),))
    naive = md.findings(md.fit(md.ModelSpec("fft_pct_positive", (exposure,), (), subset="acute",
                                            suffix="naive"), panel), q)[0]
    afit = md.fit(md.ModelSpec("fft_pct_positive", (exposure,), adj, subset="acute"), panel)
    adjusted = md.findings(afit, q)[0]
    margin = _margin(claim, margins)
    part = _judge(afit, adjusted, exposure, f"FFT per engagement point {lag} month(s) earlier",
                  claim.direction, margin)
    extra = evalue_sentence(adjusted.sensitivity, "staff engagement", "patient satisfaction")
    v, f, _ = _decide(claim, [part], margin, "acute", "", extra)
    return ClaimResult(claim, v, [naive], [adjusted],
                       f"per engagement point {lag} month(s) earlier, after adjustment for case "
                       f"mix, staffing and sector: {part.estimate:+.2f} ({LEVEL:.1%} interval "
                       f"{part.low:.2f} to {part.high:.2f}; margin {margin:g}). "
                       f"Unadjusted: {_interval(naive)}. {extra}", f)


def _per_sd(fit: md.Fit, question: str, *, suffix: str) -> list[Finding]:
    """The fit's exposure effects per standard deviation of each exposure."""
    out = []
    for f, term in zip(md.findings(fit, question, suffix=suffix), fit.spec.exposures):
        sd = float(fit.data[term].std())
        f.estimate, f.ci_low, f.ci_high = f.estimate * sd, f.ci_low * sd, f.ci_high * sd
        f.id = str(f.key.with_(kind="per_sd"))
        f.unit = "percentage points per SD of the driver"
        f.sentence = (f"{M.label(fit.spec.outcome)}: {f.estimate:+.2f} percentage points "
                      f"(95% CI {f.ci_low:.2f} to {f.ci_high:.2f}) per standard deviation "
                      f"({sd:.2g}) of {md.exposure_label(term)}.")
        out.append(f)
    return out


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


def _drivers_claim(panel: pd.DataFrame, claim: Claim, lag: int,
                   margins: dict[str, float]) -> ClaimResult:
    drivers = ("rtt_median_weeks", "nurse_fte_per_10_beds", f"staff_engagement_lag{lag}")
    _need(panel, ("rtt_median_weeks", "nurse_fte_per_10_beds", "staff_engagement",
                  "fft_pct_positive", *md.CASE_MIX), "acute", ("nhs",))
    adj = md.CASE_MIX + (("sector_independent",) if _has_both(panel) else ())
    _need(panel, (), "acute", ("nhs",),
          (md.ModelSpec("fft_pct_positive", drivers, adj, subset="acute"),))
    q = claim.text
    naive = _per_sd(md.fit(md.ModelSpec("fft_pct_positive", drivers, (), subset="acute"),
                           panel), q, suffix="naive")
    afit = md.fit(md.ModelSpec("fft_pct_positive", drivers, adj, subset="acute"), panel)
    adjusted = _per_sd(afit, q, suffix="")
    margin = _margin(claim, margins)
    wait = adjusted[0]
    sd_w = float(afit.data[drivers[0]].std())
    lo, hi = afit.interval(drivers[0], LEVEL)
    parts = [_Judged("wait effect per SD", wait.estimate, lo * sd_w, hi * sd_w, wait.p_value,
                     -1, 0.0, wait)]
    contrasts = []
    for c95, cl in zip(driver_contrasts(afit, drivers[0]),
                       driver_contrasts(afit, drivers[0], LEVEL)):
        other = md.exposure_label(c95["other"])
        f = Finding(id=str(FindingId("contrast", "fft_pct_positive",
                                     f"rtt_median_weeks_vs_{other.replace('[', '_').replace(']', '')}",
                                     "acute")),
                    question=f"Is the wait effect on satisfaction larger than that of {other}?",
                    estimate=c95["estimate"], ci_low=c95["ci_low"], ci_high=c95["ci_high"],
                    p_value=c95["p_value"], n=afit.n, clusters=afit.clusters,
                    unit="percentage points per SD (size of wait effect minus size of other)",
                    model=f"linear contrast of the joint ols model; t({c95['df']}), CRV1",
                    formula=afit.spec.label(), sector="acute", role="robustness")
        f.sentence = (f"The wait effect's size minus that of {other}: {f.estimate:+.2f} "
                      f"percentage points per SD (95% CI {f.ci_low:.2f} to {f.ci_high:.2f}).")
        contrasts.append(f)
        parts.append(_Judged(f"wait minus {other}", cl["estimate"], cl["ci_low"],
                             cl["ci_high"], cl["p_value"], +1, margin, f))
    v, fv, _ = _decide(claim, parts, margin, "acute", "")
    words = "; ".join(f"{p.label} {p.estimate:+.2f} ({LEVEL:.1%} interval {p.low:.2f} to "
                      f"{p.high:.2f}, {p.verdict})" for p in parts)
    per = "; ".join(f"{md.exposure_label(d)} {f.estimate:+.2f}" for d, f in zip(drivers, adjusted))
    return ClaimResult(claim, v, naive, adjusted,
                       "FFT % positive, percentage points per standard deviation of each "
                       f"driver, one model after case-mix adjustment: {per}. Tested: {words} "
                       f"(margin {margin:g} pp per SD).", fv, contrasts)


def _care_home_claim(panel: pd.DataFrame, claim: Claim, margins: dict[str, float]) -> ClaimResult:
    homes = ("independent", "local_authority")
    _need(panel, ("cqc_overall", *md.CASE_MIX), "care_home", homes)
    _need(panel, (), "care_home", homes,
          (md.ModelSpec("cqc_overall", ("sector_independent",), md.CASE_MIX, kind="ordinal",
                        subset="care_home", prefix="ordinal"),))
    q = claim.text
    naive = md.findings(md.fit(md.ModelSpec("cqc_overall", ("sector_independent",), (),
                                            kind="ordinal", subset="care_home",
                                            prefix="ordinal", suffix="naive"), panel), q)[0]
    afit = md.fit(md.ModelSpec("cqc_overall", ("sector_independent",), md.CASE_MIX,
                               kind="ordinal", subset="care_home", prefix="ordinal"), panel)
    adjusted = md.findings(afit, q)[0]
    for f in (naive, adjusted):
        f.sentence = f.sentence.replace("for independent providers than for NHS trusts",
                                        "for privately run care homes than for council-run "
                                        "homes")
    margin = _margin(claim, margins)
    part = _judge(afit, adjusted, "sector_independent", "privately run minus council-run "
                  "(log-odds of a better rating)", claim.direction, margin)
    extra = evalue_sentence(adjusted.sensitivity, "private ownership", "a better rating")
    v, f, _ = _decide(claim, [part], margin, "care_home", "", extra)
    return ClaimResult(claim, v, [naive], [adjusted],
                       f"privately run minus council-run homes, after case-mix adjustment: "
                       f"{part.estimate:+.2f} ({LEVEL:.1%} interval {part.low:.2f} to "
                       f"{part.high:.2f}; margin {margin:g}) on the log-odds scale of a better "
                       f"rating. Unadjusted: {_interval(naive)}. {extra}", f)


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


def waits_like_for_like(panel_path: str, panel: pd.DataFrame,
                        measure: str = "rtt_nonadmitted_pct_within_18w", *,
                        n_boot: int = sector_waits.N_BOOT,
                        seed: int = sector_waits.SEED) -> Finding | None:
    """The like-for-like (specialty-standardised) sector difference matching the waits
    ``measure``, from the RTT files the panel at ``panel_path`` was built from
    (:func:`workbench.analysis.sector_waits.specialty_waits`); None when the measure has
    no such comparison (median waits do not add across specialties) or the panel was not
    built from RTT files by treatment function.

    >>> waits_like_for_like("no/such/panel.parquet", pd.DataFrame()) is None
    True
    """
    if measure not in WAIT_MEASURES:
        raise AnalysisInputError("waits_like_for_like", "measure", f"is {measure!r}",
                                 expected=f"one of {list(WAIT_MEASURES)}")
    match = WAIT_MEASURES[measure][2]
    if match is None or not panel_path:
        return None
    pathway, sw_measure = match
    tables = sector_waits.specialty_waits(panel_path)
    if pathway not in tables:
        return None
    table = sector_waits.attach_sector(tables[pathway], panel)
    if sw_measure not in sector_waits.available(table):
        return None
    cmp = sector_waits.compare(table, sw_measure, n_boot=n_boot, seed=seed)
    period = str(tables[pathway].attrs.get("period", ""))
    return sector_waits.findings(cmp, pathway, period)[0]


def assess_claims(panel: pd.DataFrame, *, engagement_lag: int = 1,
                  keys: tuple[str, ...] | None = None,
                  margins: dict[str, float] | None = None,
                  waits_measure: str = "rtt_median_weeks",
                  like_for_like: Finding | None = None) -> list[ClaimResult]:
    """Test every claim of :data:`CLAIMS` (or those in ``keys``) on ``panel``.

    ``engagement_lag`` is the number of months between staff engagement and the
    patient satisfaction it is compared with; ``margins`` overrides claims' minimal
    important differences (``{claim key: margin}``, in the unit of the estimate judged).
    ``waits_measure`` is the measure "shorter waits" is judged on (:func:`waits_claim`;
    its default margin follows the measure) and ``like_for_like`` a specialty-standardised
    finding shown beside it (:func:`waits_like_for_like`). Every verdict is judged at the
    register's Bonferroni level (:data:`LEVEL`) whichever claims are asked for. Providers
    of ``unknown`` sector are left out (counted in each result). A claim the data cannot
    answer (an input missing, too few providers, inputs never in the same month, a model
    that cannot be fitted) gets the verdict ``cannot answer`` with the reason and a
    verdict finding without an estimate (:func:`cannot_answer`); it never raises for the
    data. Wrong arguments raise :class:`~workbench.errors.AnalysisInputError`.

    >>> import pandas as pd
    >>> bare = pd.DataFrame({"provider_code": ["A"], "provider_name": ["A"],
    ...     "sector": ["nhs"], "setting": ["acute"], "period": pd.to_datetime(["2025-09-01"])})
    >>> sorted({r.verdict for r in assess_claims(bare)})
    ['cannot answer']
    """
    if not isinstance(engagement_lag, int) or isinstance(engagement_lag, bool) \
            or engagement_lag < 1:
        raise AnalysisInputError("assess_claims", "engagement_lag", f"is {engagement_lag!r}",
                                 expected="a whole number of months >= 1")
    if waits_measure not in WAIT_MEASURES:
        raise AnalysisInputError("assess_claims", "waits_measure", f"is {waits_measure!r}",
                                 expected=f"one of {list(WAIT_MEASURES)}")
    known = {c.key: c for c in CLAIMS}
    if keys is not None:
        unknown = [k for k in keys if k not in known]
        if unknown:
            raise AnalysisInputError("assess_claims", "keys", f"has unknown claims {unknown}",
                                     expected=f"some of {list(known)}")
    margins = dict(margins or {})
    bad = {k: v for k, v in margins.items() if k not in known or isinstance(v, bool)
           or not isinstance(v, (int, float)) or not v > 0}
    if bad:
        raise AnalysisInputError("assess_claims", "margins", f"has {bad}",
                                 expected=f"positive numbers keyed by claims among {list(known)}")
    settled = panel["sector"].isin([s_ for s_ in M.SECTORS if s_ != "unknown"]) \
        if "sector" in panel.columns else pd.Series(False, index=panel.index)
    n_unknown = int(panel.loc[~settled, "provider_code"].nunique()) \
        if "provider_code" in panel.columns else 0
    panel = panel.loc[settled]
    handlers: dict[str, Callable[[Claim], ClaimResult]] = {
        "private_shorter_waits": lambda c: _sector_claim(panel, c, waits_measure, margins,
                                                         like_for_like),
        "private_more_staff": lambda c: _sector_claim(panel, c, "nurse_fte_per_10_beds",
                                                      margins),
        "private_higher_satisfaction": lambda c: _sector_claim(panel, c, "fft_pct_positive",
                                                               margins),
        "staffing_waits_satisfaction": lambda c: _staffing_claim(panel, c, engagement_lag,
                                                                 margins),
        "engaged_staff_experience": lambda c: _engagement_claim(panel, c, engagement_lag,
                                                                margins),
        "waits_main_driver": lambda c: _drivers_claim(panel, c, engagement_lag, margins),
        "private_care_homes_better": lambda c: _care_home_claim(panel, c, margins),
    }
    out = []
    for c in CLAIMS:
        if keys is not None and c.key not in keys:
            continue
        if c.key == "private_shorter_waits":
            c = waits_claim(waits_measure)
        c = replace(c, margin=_margin(c, margins))
        try:
            r = handlers[c.key](c)
        except _CannotAnswer as why:
            r = cannot_answer(c, str(why), unknown_sector=n_unknown)
        except (AnalysisInputError, np.linalg.LinAlgError) as err:
            r = cannot_answer(c, f"the model could not be fitted on these data: {err}",
                              unknown_sector=n_unknown)
        else:
            r.unknown_sector = n_unknown
            if r.finding is not None:
                r.finding.parameters["unknown_sector_providers"] = n_unknown
                if n_unknown:
                    r.finding.sentence += (f" {n_unknown} provider(s) whose sector no register "
                                           "settles were left out.")
        out.append(r)
    return out


def register_table(results: list[ClaimResult]) -> pd.DataFrame:
    """One row per claim and answer: claim, verdict, what it is judged on, the margin, the
    unadjusted and adjusted estimates with their 95% intervals, side by side, and the
    like-for-like view where there is one ('no data' where nothing could be estimated).

    >>> register_table([ClaimResult(CLAIMS[0], "cannot answer", reason="r")])["verdict"].tolist()
    ['cannot answer']
    """
    rows = []
    for r in results:
        pairs = list(zip_longest(r.naive, r.adjusted)) or [(None, None)]
        for naive, adjusted in pairs:
            shown = adjusted or naive
            rows.append({
                "claim": r.claim.text, "verdict": r.verdict,
                "judged on": ("unadjusted (weighted)" if r.claim.kind == "descriptive"
                              else "adjusted for case mix"),
                "margin": r.claim.margin,
                "measure": shown.key.outcome if shown else "",
                "exposure": shown.key.exposure if shown else "",
                "naive": _cell(naive), "adjusted for case mix": _cell(adjusted),
                "like for like by specialty": _cell(r.beside[0]) if r.beside else "",
                "unit": r.claim.unit or (shown.unit if shown else ""),
            })
    return pd.DataFrame(rows)


def _cell(f: Finding | None) -> str:
    if f is None:
        return "no data"
    return f"{f.estimate:.2f} ({f.ci_low:.2f} to {f.ci_high:.2f})"


def register_markdown(results: list[ClaimResult]) -> str:
    """The register as Markdown: one numbered paragraph per claim with its verdict, then
    how multiplicity is controlled.

    >>> print(register_markdown([ClaimResult(CLAIMS[0], "inconclusive", reason="r.")]))
    1. **Private providers have shorter waiting times than the NHS.** Verdict: **inconclusive**. R.
    <BLANKLINE>
    Verdicts rest on 99.5% intervals: Bonferroni over the register's 10 intervals, so the chance that any verdict rests on a chance finding is at most 5%.
    """
    lines = []
    for i, r in enumerate(results, 1):
        lines.append(f"{i}. **{r.claim.text}** Verdict: **{r.verdict}**. {r.reason}")
    lines.append("")
    lines.append(f"Verdicts rest on {LEVEL:.1%} intervals: {MULTIPLICITY} over the register's "
                 f"{FAMILY} intervals, so the chance that any verdict rests on a chance finding "
                 f"is at most {ALPHA:.0%}.")
    unknown = max((r.unknown_sector for r in results), default=0)
    if unknown:
        lines.append("")
        lines.append(f"{unknown} provider(s) whose sector no register settles were left out "
                     "of every claim.")
    return "\n".join(lines)


def claim_findings(results: list[ClaimResult]) -> list[Finding]:
    """The register's findings, for ``Session.add``: each verdict (``headline``; a
    ``cannot answer`` verdict is a ``diagnostic`` without an estimate), then the adjusted,
    unadjusted, contrast and like-for-like findings behind it (``robustness``, or
    ``diagnostic`` where their own analysis said so).

    >>> [f.role for f in claim_findings([cannot_answer(CLAIMS[0], "no waits.")])]
    ['diagnostic']
    """
    out = []
    for r in results:
        if r.finding is not None:
            out.append(r.finding)
        for f in (*r.adjusted, *r.naive, *r.contrasts, *r.beside):
            if f.role != "diagnostic":
                f.role = "robustness"
            out.append(f)
    return out
