"""The claims register: common claims about care, each tested against the panel.

Each claim in :data:`CLAIMS` is mapped to one analysis and answered twice, side by
side: a **naive** answer (what the raw comparison says, adjusting for the month
only) and a **case-mix-adjusted** answer (comparing providers that treat similar
patients: complexity, age 75+, deprivation). The verdict follows the adjusted
answer and its 95% interval:

``supported``      the interval lies wholly on the side the claim asserts;
``contradicted``   the interval lies wholly on the other side;
``inconclusive``   the interval includes no difference;
``cannot answer``  the data do not hold what the claim needs (for example real NHS
                   sources publish no staffing figures for private hospitals).

When the naive and adjusted answers disagree, the register says so: the difference
then comes from whom providers treat, not from how they treat them.

Example
-------
>>> from workbench.data.synth import generate
>>> panel = generate(seed=3, n_providers=80, n_months=12).panel
>>> results = assess_claims(panel)
>>> [r.claim.key for r in results][:3]
['private_shorter_waits', 'private_more_staff', 'private_higher_satisfaction']
>>> results[3].verdict
'supported'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workbench.analysis import models as md
from workbench.analysis.findings import Finding
from workbench.data import measures as M
from workbench.errors import AnalysisInputError

VERDICTS: tuple[str, ...] = ("supported", "contradicted", "inconclusive", "cannot answer")

#: Providers of a sector needed before a comparison is attempted.
MIN_PROVIDERS = 3


@dataclass(frozen=True)
class Claim:
    """A claim in plain words and the analysis that tests it.

    ``direction`` is +1 when the claim asserts a positive estimate, -1 a negative one.
    """

    key: str
    text: str
    analysis: str
    direction: int


CLAIMS: tuple[Claim, ...] = (
    Claim("private_shorter_waits",
          "Private providers have shorter waiting times than the NHS.",
          "RTT median wait (weeks), independent minus NHS acute providers; linear model with "
          "month effects, provider-clustered 95% interval.", -1),
    Claim("private_more_staff",
          "Private providers have lower patient-to-staff ratios.",
          "Nurse FTE per 10 occupied beds (more staff per bed = fewer patients per member of "
          "staff), independent minus NHS acute providers.", +1),
    Claim("private_higher_satisfaction",
          "Private providers achieve higher patient satisfaction.",
          "FFT positive responses (%), independent minus NHS acute providers.", +1),
    Claim("staffing_waits_satisfaction",
          "Better staffing goes with shorter waits and higher satisfaction.",
          "Two slopes per nurse FTE per 10 beds among acute providers: RTT median wait "
          "(should fall) and FFT % positive (should rise; total effect, including the path "
          "through waits). Supported only when both hold.", +1),
    Claim("engaged_staff_experience",
          "Satisfied, engaged staff give better patient experience.",
          "FFT % positive on staff engagement (0-10) some months earlier, acute providers; "
          "the adjusted model also holds staffing and sector fixed.", +1),
    Claim("waits_main_driver",
          "Waiting times are the main driver of dissatisfaction.",
          "FFT % positive on RTT median wait, nurse staffing and earlier staff engagement "
          "together; effects per standard deviation of each driver. Supported when the wait "
          "effect is negative and larger than every other driver's, with intervals that do "
          "not overlap.", -1),
    Claim("private_care_homes_better",
          "Privately run care homes achieve better quality ratings than publicly run ones.",
          "CQC overall rating of care homes, privately run (for-profit and not-for-profit) "
          "versus council-run; proportional-odds model, log-odds of a better rating.", +1),
)


@dataclass
class ClaimResult:
    """One claim's answer: verdict, the naive and adjusted findings, and why."""

    claim: Claim
    verdict: str
    naive: list[Finding] = field(default_factory=list)
    adjusted: list[Finding] = field(default_factory=list)
    reason: str = ""

    def __post_init__(self) -> None:
        self.reason = self.reason[:1].upper() + self.reason[1:]
        warned = sorted({f.warning for f in self.adjusted if f.warning})
        if warned:
            self.reason += " Model warning: " + "; ".join(warned) + "."

    def summary(self) -> str:
        """The answer in one paragraph of plain words.

        >>> c = CLAIMS[0]
        >>> ClaimResult(c, "cannot answer", reason="no waits for private providers.").summary()
        'Private providers have shorter waiting times than the NHS. **Cannot answer**: No waits for private providers.'
        """
        return f"{self.claim.text} **{self.verdict.capitalize()}**: {self.reason}"


def verdict(low: float | None, high: float | None, direction: int) -> str:
    """Supported, contradicted or inconclusive from a 95% interval and the claimed sign.

    >>> verdict(-2.0, -0.5, -1), verdict(0.5, 2.0, -1), verdict(-1.0, 1.0, -1)
    ('supported', 'contradicted', 'inconclusive')
    """
    if low is None or high is None or np.isnan(low) or np.isnan(high):
        return "inconclusive"
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


def _agreement(naive: Finding, adjusted: Finding, direction: int) -> str:
    vn = verdict(naive.ci_low, naive.ci_high, direction)
    va = verdict(adjusted.ci_low, adjusted.ci_high, direction)
    if vn == va:
        return "The naive comparison gives the same answer."
    return (f"The naive comparison alone would say {vn} ({_interval(naive)}): the difference "
            "there comes partly from whom providers treat.")


def _sector_claim(panel: pd.DataFrame, claim: Claim, outcome: str) -> ClaimResult:
    reason = _missing_reason(panel, (outcome, *md.CASE_MIX), "acute", ("nhs", "independent"))
    if reason:
        return ClaimResult(claim, "cannot answer", reason=reason[0].upper() + reason[1:])
    naive, adjusted = md.sector_difference(panel, outcome)
    v = verdict(adjusted.ci_low, adjusted.ci_high, claim.direction)
    reason = (f"after case-mix adjustment, independent minus NHS is {_interval(adjusted)}. "
              + _agreement(naive, adjusted, claim.direction))
    return ClaimResult(claim, v, [naive], [adjusted], reason)


def _combine(verdicts: list[str]) -> str:
    if "contradicted" in verdicts:
        return "contradicted"
    if all(v == "supported" for v in verdicts):
        return "supported"
    return "inconclusive"


def _staffing_claim(panel: pd.DataFrame, claim: Claim, lag: int) -> ClaimResult:
    staffing = "nurse_fte_per_10_beds"
    reason = _missing_reason(panel, (staffing, "rtt_median_weeks", "fft_pct_positive"),
                             "acute", ("nhs",))
    if reason:
        return ClaimResult(claim, "cannot answer", reason=reason[0].upper() + reason[1:])
    adj = md.CASE_MIX + (("sector_independent",) if _has_both(panel) else ())
    parts = (("rtt_median_weeks", -1, "wait"), ("fft_pct_positive", +1, "satisfaction"))
    naive, adjusted, verdicts, words = [], [], [], []
    for outcome, sign, what in parts:
        prefix = "effect" if outcome == "rtt_median_weeks" else "total"
        q = f"{claim.text} ({what})"
        n = md.findings(md.fit(md.ModelSpec(outcome, (staffing,), (), subset="acute",
                                            prefix=prefix, suffix="naive"), panel), q)[0]
        a = md.findings(md.fit(md.ModelSpec(outcome, (staffing,), adj, subset="acute",
                                            prefix=prefix), panel), q)[0]
        naive.append(n)
        adjusted.append(a)
        verdicts.append(verdict(a.ci_low, a.ci_high, sign))
        words.append(f"{M.label(outcome)}: {_interval(a)} ({verdicts[-1]})")
    v = _combine(verdicts)
    return ClaimResult(claim, v, naive, adjusted,
                       "per extra nurse FTE per 10 beds, after case-mix adjustment, "
                       + "; ".join(words) + ".")


def _has_both(panel: pd.DataFrame) -> bool:
    acute = md.select_subset(panel, "acute")
    return acute["sector"].nunique() > 1


def _engagement_claim(panel: pd.DataFrame, claim: Claim, lag: int) -> ClaimResult:
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
    adjusted = md.findings(md.fit(md.ModelSpec("fft_pct_positive", (exposure,), adj,
                                               subset="acute"), panel), q)[0]
    v = verdict(adjusted.ci_low, adjusted.ci_high, claim.direction)
    return ClaimResult(claim, v, [naive], [adjusted],
                       f"per engagement point {lag} month(s) earlier, after adjustment for case "
                       f"mix, staffing and sector: {_interval(adjusted)}. "
                       + _agreement(naive, adjusted, claim.direction))


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


def _drivers_claim(panel: pd.DataFrame, claim: Claim, lag: int) -> ClaimResult:
    drivers = ("rtt_median_weeks", "nurse_fte_per_10_beds", f"staff_engagement_lag{lag}")
    reason = _missing_reason(panel, ("rtt_median_weeks", "nurse_fte_per_10_beds",
                                     "staff_engagement", "fft_pct_positive"), "acute", ("nhs",))
    if reason:
        return ClaimResult(claim, "cannot answer", reason=reason[0].upper() + reason[1:])
    adj = md.CASE_MIX + (("sector_independent",) if _has_both(panel) else ())
    q = claim.text
    naive = _per_sd(md.fit(md.ModelSpec("fft_pct_positive", drivers, (), subset="acute"),
                           panel), q, suffix="naive")
    adjusted = _per_sd(md.fit(md.ModelSpec("fft_pct_positive", drivers, adj, subset="acute"),
                              panel), q, suffix="")
    wait, others = adjusted[0], adjusted[1:]
    wait_lo = min(abs(wait.ci_low), abs(wait.ci_high)) if wait.ci_high < 0 else 0.0
    wait_hi = max(abs(wait.ci_low), abs(wait.ci_high))
    other_lo = [min(abs(o.ci_low), abs(o.ci_high)) if o.ci_low * o.ci_high > 0 else 0.0
                for o in others]
    other_hi = [max(abs(o.ci_low), abs(o.ci_high)) for o in others]
    if wait.ci_low > 0 or any(lo > wait_hi for lo in other_lo):
        v = "contradicted"
    elif wait.ci_high < 0 and all(wait_lo > hi for hi in other_hi):
        v = "supported"
    else:
        v = "inconclusive"
    words = "; ".join(f"{md.exposure_label(d)} {f.estimate:+.2f} ({f.ci_low:.2f} to "
                      f"{f.ci_high:.2f})" for d, f in zip(drivers, adjusted))
    return ClaimResult(claim, v, naive, adjusted,
                       "FFT % positive, percentage points per standard deviation of each "
                       f"driver after case-mix adjustment: {words}.")


def _care_home_claim(panel: pd.DataFrame, claim: Claim) -> ClaimResult:
    reason = _missing_reason(panel, ("cqc_overall",), "care_home",
                             ("independent", "local_authority"))
    if reason:
        return ClaimResult(claim, "cannot answer", reason=reason[0].upper() + reason[1:])
    q = claim.text
    naive = md.findings(md.fit(md.ModelSpec("cqc_overall", ("sector_independent",), (),
                                            kind="ordinal", subset="care_home",
                                            prefix="ordinal", suffix="naive"), panel), q)[0]
    adjusted = md.findings(md.fit(md.ModelSpec("cqc_overall", ("sector_independent",),
                                               md.CASE_MIX, kind="ordinal", subset="care_home",
                                               prefix="ordinal"), panel), q)[0]
    for f in (naive, adjusted):
        f.sentence = f.sentence.replace("for independent providers than for NHS trusts",
                                        "for privately run care homes than for council-run "
                                        "homes")
    v = verdict(adjusted.ci_low, adjusted.ci_high, claim.direction)
    return ClaimResult(claim, v, [naive], [adjusted],
                       f"privately run minus council-run homes, after case-mix adjustment: "
                       f"{adjusted.estimate:+.2f} (95% CI {adjusted.ci_low:.2f} to "
                       f"{adjusted.ci_high:.2f}) on the log-odds scale of a better rating. "
                       + _agreement(naive, adjusted, claim.direction))


def assess_claims(panel: pd.DataFrame, *, engagement_lag: int = 1,
                keys: tuple[str, ...] | None = None) -> list[ClaimResult]:
    """Test every claim of :data:`CLAIMS` (or those in ``keys``) on ``panel``.

    ``engagement_lag`` is the number of months between staff engagement and the
    patient satisfaction it is compared with. A claim the data cannot answer gets
    the verdict ``cannot answer`` and the reason; it never raises.
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
    handlers: dict[str, Callable[[Claim], ClaimResult]] = {
        "private_shorter_waits": lambda c: _sector_claim(panel, c, "rtt_median_weeks"),
        "private_more_staff": lambda c: _sector_claim(panel, c, "nurse_fte_per_10_beds"),
        "private_higher_satisfaction": lambda c: _sector_claim(panel, c, "fft_pct_positive"),
        "staffing_waits_satisfaction": lambda c: _staffing_claim(panel, c, engagement_lag),
        "engaged_staff_experience": lambda c: _engagement_claim(panel, c, engagement_lag),
        "waits_main_driver": lambda c: _drivers_claim(panel, c, engagement_lag),
        "private_care_homes_better": lambda c: _care_home_claim(panel, c),
    }
    return [handlers[c.key](c) for c in CLAIMS if keys is None or c.key in keys]


def register_table(results: list[ClaimResult]) -> pd.DataFrame:
    """One row per claim and answer: claim, verdict, then the naive and adjusted
    estimates with their 95% intervals, side by side.

    >>> register_table([ClaimResult(CLAIMS[0], "cannot answer", reason="r")])["verdict"].tolist()
    ['cannot answer']
    """
    rows = []
    for r in results:
        pairs = list(zip(r.naive, r.adjusted)) or [(None, None)]
        for naive, adjusted in pairs:
            rows.append({
                "claim": r.claim.text, "verdict": r.verdict,
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
    """The register as Markdown: one numbered paragraph per claim with its verdict.

    >>> print(register_markdown([ClaimResult(CLAIMS[0], "inconclusive", reason="r.")]))
    1. **Private providers have shorter waiting times than the NHS.** Verdict: **inconclusive**. R.
    """
    lines = []
    for i, r in enumerate(results, 1):
        lines.append(f"{i}. **{r.claim.text}** Verdict: **{r.verdict}**. {r.reason}")
    return "\n".join(lines)


def claim_findings(results: list[ClaimResult]) -> list[Finding]:
    """Every naive and adjusted finding of the register, for ``Session.add``."""
    return [f for r in results for f in (*r.adjusted, *r.naive)]
