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
verdict's own (adjusted) interval is in its sentence and ``parameters``.

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

import numpy as np
import pandas as pd
from scipy import stats

from workbench.analysis import models as md
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

#: Row weights of a descriptive comparison: what the measure is a share of.
DESCRIPTIVE_WEIGHTS: dict[str, str] = {"nurse_fte_per_10_beds": "beds",
                                       "rtt_median_weeks": "rtt_waiting_list",
                                       "fft_pct_positive": "fft_responses"}


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


CLAIMS: tuple[Claim, ...] = (
    Claim("private_shorter_waits",
          "Private providers have shorter waiting times than the NHS.",
          "RTT median wait (weeks), independent minus NHS acute providers; linear model with "
          "month effects; descriptive: providers weighted by their waiting lists (what the average waiting patient meets), no case-mix adjustment.", -1, "descriptive", 1.0),
    Claim("private_more_staff",
          "Private providers have lower patient-to-staff ratios.",
          "Nurse FTE per 10 occupied beds (more staff per bed = fewer patients per member of "
          "staff), independent minus NHS acute providers; descriptive: providers weighted by beds (what the average bed meets), no case-mix adjustment.", +1, "descriptive", 1.0),
    Claim("private_higher_satisfaction",
          "Private providers achieve higher patient satisfaction.",
          "FFT positive responses (%), independent minus NHS acute providers, adjusted for case mix (an effect of the sector on comparable patients).", +1, "effect", 2.0),
    Claim("staffing_waits_satisfaction",
          "Better staffing goes with shorter waits and higher satisfaction.",
          "Two slopes per nurse FTE per 10 beds among acute providers: RTT median wait "
          "(should fall) and FFT % positive (should rise; total effect, including the path "
          "through waits). Supported only when both hold.", +1, "effect", 0.2),
    Claim("engaged_staff_experience",
          "Satisfied, engaged staff give better patient experience.",
          "FFT % positive on staff engagement (0-10) some months earlier, acute providers; "
          "the adjusted model also holds staffing and sector fixed.", +1, "effect", 0.5),
    Claim("waits_main_driver",
          "Waiting times are the main driver of dissatisfaction.",
          "FFT % positive on RTT median wait, nurse staffing and earlier staff engagement "
          "together in one model; effects per standard deviation of each driver. The "
          "difference between the wait effect's size and each other driver's (a linear "
          "contrast of the joint model, clustered covariance, t with G-1 df) is tested.",
          -1, "effect", 0.25),
    Claim("private_care_homes_better",
          "Privately run care homes achieve better quality ratings than publicly run ones.",
          "CQC overall rating of care homes, privately run (for-profit and not-for-profit) "
          "versus council-run; proportional-odds model, log-odds of a better rating.", +1,
          "effect", 0.2),
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


def _missing_reason(panel: pd.DataFrame, columns: tuple[str, ...], subset: str,
                    sectors: tuple[str, ...]) -> str:
    """Why the data cannot answer ('' when they can)."""
    for col in columns:
        have = _providers_with(panel, col, subset)
        for sector in sectors:
            n = int(have.get(sector, 0))
            if n < MIN_PROVIDERS:
                who = {"nhs": "NHS", "independent": "independent (private)",
                       "local_authority": "council-run"}.get(sector, sector)
                extra = (" Real NHS sources publish no workforce figures for private providers."
                         if M.MEASURES.get(col) is not None
                         and M.get(col).construct == "staffing" and sector == "independent"
                         else "")
                return (f"the data hold {M.label(col)} for {n} {who} provider(s) among "
                        f"{md.SUBSETS.get(subset, subset)}; at least {MIN_PROVIDERS} are "
                        f"needed.{extra}")
    return ""


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
                f" (margin {margin:g} {base.unit}): {words}. {rule}."
                + (f" {extra}" if extra else ""))
    f = Finding(id=str(FindingId("verdict", claim.key, subset=subset)),
                question=claim.text, estimate=key.estimate, ci_low=base.ci_low,
                ci_high=base.ci_high, p_value=min(1.0, key.p_value * FAMILY), n=base.n,
                unit=base.unit, model=f"claims register ({claim.kind}); {base.model}",
                formula=base.formula, sector=base.sector, clusters=base.clusters,
                warning=base.warning, sentence=sentence, role="headline",
                sensitivity=dict(base.sensitivity))
    f.parameters = {"verdict": v, "margin": margin, "level": LEVEL, "family": FAMILY,
                    "multiplicity": MULTIPLICITY, "interval": [key.low, key.high],
                    "kind": claim.kind}
    return v, f, reason + (" " + extra if extra else "")


def _margin(claim: Claim, margins: dict[str, float]) -> float:
    return float(margins.get(claim.key, claim.margin))


def _sector_claim(panel: pd.DataFrame, claim: Claim, outcome: str,
                  margins: dict[str, float]) -> ClaimResult:
    reason = _missing_reason(panel, (outcome, *md.CASE_MIX), "acute", ("nhs", "independent"))
    if reason:
        return ClaimResult(claim, "cannot answer", reason=reason[0].upper() + reason[1:])
    q = f"Do independent hospitals differ from NHS trusts on {M.label(outcome)}?"
    weight = DESCRIPTIVE_WEIGHTS.get(outcome)
    acute = md.select_subset(panel, "acute")
    if weight not in acute.columns or not acute[weight].notna().any():
        weight = None
    dspec = md.ModelSpec(outcome, ("sector_independent",), subset="acute",
                         prefix="descriptive", weights=weight)
    dfit = md.fit(dspec, panel)
    desc = md.findings(dfit, q + (f" (unadjusted; providers weighted by {weight})"
                                  if weight else " (unadjusted)"))[0]
    aspec = md.ModelSpec(outcome, ("sector_independent",), md.CASE_MIX, subset="acute",
                         prefix="adjusted")
    afit = md.fit(aspec, panel)
    adjusted = md.findings(afit, q + " (adjusted for case mix)")[0]
    margin = _margin(claim, margins)
    if claim.kind == "descriptive":
        part = _judge(dfit, desc, "sector_independent", "independent minus NHS, unadjusted"
                      + (f", weighted by {weight}" if weight else ""), claim.direction, margin)
        extra = (f"Adjusted for case mix (not what this claim is judged on): "
                 f"{_interval(adjusted)}.")
    else:
        part = _judge(afit, adjusted, "sector_independent",
                      "independent minus NHS, adjusted for case mix", claim.direction, margin)
        extra = (f"Unadjusted: {_interval(desc)}. "
                 + evalue_sentence(adjusted.sensitivity, "being an independent provider",
                                   M.label(outcome)))
    v, f, reason = _decide(claim, [part], margin, "acute", "", extra)
    how = "unadjusted, weighted" if claim.kind == "descriptive" else "case-mix-adjusted"
    reason = (f"judged on the {how} comparison: {part.estimate:+.2f} {part.finding.unit} ({LEVEL:.1%} interval "
              f"{part.low:.2f} to {part.high:.2f}; margin {margin:g}). {extra}")
    return ClaimResult(claim, v, [desc], [adjusted], reason, f)


def _has_both(panel: pd.DataFrame) -> bool:
    acute = md.select_subset(panel, "acute")
    return acute["sector"].nunique() > 1


def _staffing_claim(panel: pd.DataFrame, claim: Claim, lag: int,
                    margins: dict[str, float]) -> ClaimResult:
    staffing = "nurse_fte_per_10_beds"
    reason = _missing_reason(panel, (staffing, "rtt_median_weeks", "fft_pct_positive"),
                             "acute", ("nhs",))
    if reason:
        return ClaimResult(claim, "cannot answer", reason=reason[0].upper() + reason[1:])
    adj = md.CASE_MIX + (("sector_independent",) if _has_both(panel) else ())
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
    reason = _missing_reason(panel, ("staff_engagement", "fft_pct_positive"), "acute",
                             ("nhs",))
    if reason:
        return ClaimResult(claim, "cannot answer", reason=reason[0].upper() + reason[1:])
    exposure = f"staff_engagement_lag{lag}"
    q = claim.text + f" (engagement {lag} month(s) earlier)"
    adj = md.CASE_MIX + ("nurse_fte_per_10_beds",) + (
        ("sector_independent",) if _has_both(panel) else ())
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
    reason = _missing_reason(panel, ("rtt_median_weeks", "nurse_fte_per_10_beds",
                                     "staff_engagement", "fft_pct_positive"), "acute", ("nhs",))
    if reason:
        return ClaimResult(claim, "cannot answer", reason=reason[0].upper() + reason[1:])
    adj = md.CASE_MIX + (("sector_independent",) if _has_both(panel) else ())
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
    reason = _missing_reason(panel, ("cqc_overall",), "care_home",
                             ("independent", "local_authority"))
    if reason:
        return ClaimResult(claim, "cannot answer", reason=reason[0].upper() + reason[1:])
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


def assess_claims(panel: pd.DataFrame, *, engagement_lag: int = 1,
                  keys: tuple[str, ...] | None = None,
                  margins: dict[str, float] | None = None) -> list[ClaimResult]:
    """Test every claim of :data:`CLAIMS` (or those in ``keys``) on ``panel``.

    ``engagement_lag`` is the number of months between staff engagement and the
    patient satisfaction it is compared with; ``margins`` overrides claims' minimal
    important differences (``{claim key: margin}``, in the unit of the estimate judged).
    Every verdict is judged at the register's Bonferroni level (:data:`LEVEL`) whichever
    claims are asked for. A claim the data cannot answer gets the verdict
    ``cannot answer`` and the reason; it never raises.
    """
    if not isinstance(engagement_lag, int) or isinstance(engagement_lag, bool) \
            or engagement_lag < 1:
        raise AnalysisInputError("assess_claims", "engagement_lag", f"is {engagement_lag!r}",
                                 expected="a whole number of months >= 1")
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
    handlers: dict[str, Callable[[Claim], ClaimResult]] = {
        "private_shorter_waits": lambda c: _sector_claim(panel, c, "rtt_median_weeks", margins),
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
    return [handlers[c.key](replace(c, margin=_margin(c, margins)))
            for c in CLAIMS if keys is None or c.key in keys]


def register_table(results: list[ClaimResult]) -> pd.DataFrame:
    """One row per claim and answer: claim, verdict, what it is judged on, the margin, the
    unadjusted and adjusted estimates with their 95% intervals, side by side.

    >>> register_table([ClaimResult(CLAIMS[0], "cannot answer", reason="r")])["verdict"].tolist()
    ['cannot answer']
    """
    rows = []
    for r in results:
        pairs = list(zip(r.naive, r.adjusted)) or [(None, None)]
        for naive, adjusted in pairs:
            rows.append({
                "claim": r.claim.text, "verdict": r.verdict,
                "judged on": ("unadjusted (weighted)" if r.claim.kind == "descriptive"
                              else "adjusted for case mix"),
                "margin": r.claim.margin,
                "measure": adjusted.key.outcome if adjusted else "",
                "exposure": adjusted.key.exposure if adjusted else "",
                "naive": _cell(naive), "adjusted for case mix": _cell(adjusted),
                "unit": adjusted.unit if adjusted else "",
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
    return "\n".join(lines)


def claim_findings(results: list[ClaimResult]) -> list[Finding]:
    """The register's findings, for ``Session.add``: each verdict (``headline``), then the
    adjusted, unadjusted and contrast findings behind it (``robustness``)."""
    out = []
    for r in results:
        if r.finding is not None:
            out.append(r.finding)
        for f in (*r.adjusted, *r.naive, *r.contrasts):
            f.role = "robustness"
            out.append(f)
    return out
