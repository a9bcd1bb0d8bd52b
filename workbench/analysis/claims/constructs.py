"""What each claim compares: its constructs, the measures that can stand for each, and the
analyses on the best measures the data hold.

Each claim of the register (:data:`~workbench.analysis.claims.rules.CLAIMS`) compares
**constructs** (staffing, staff experience, waiting, satisfaction, case mix; quality ratings
for care homes) in a **population** (:data:`NEEDS`). Each construct lists, in order of
preference, the measures that can stand for it (:data:`CONSTRUCTS`), from the synthetic
default's provider x month panel and from the published files:

==================  ==========================================================================
staffing            nurse FTE per 10 occupied beds (panel); staff saying there are enough
                    staff (NHS Staff Survey); sickness absence (ESR)
staff experience    staff engagement (panel); staff often or always burnt out; staff unwell
                    from work stress (NHS Staff Survey)
waiting             RTT median wait (panel, or the waits measure asked for); A&E seen within
                    4 hours and RTT within 18 weeks, pooled over a cross-section's months
satisfaction        FFT % positive by provider (panel); FFT % positive, national, NHS and
                    independent submitters; inpatient survey experience score; written
                    complaints per 1,000 occupied bed days
case mix            case-mix index, patients aged 75+, deprivation (panel); the inpatient
                    survey respondents' age and sex mix, trust type and size (2022); trust
                    type and size (2024-25)
==================  ==========================================================================

The register answers each claim on the panel first, with the first measures (as on the
synthetic default: the analyses of :mod:`workbench.analysis.claims.assessment`, unchanged).
When the panel cannot answer, it looks for the best measures the published tables hold:

* claims comparing NHS and independent providers need a measure of each construct for
  both sectors; the published staffing, survey and complaints measures are NHS-only, so
  only the national FFT figures can answer "private providers achieve higher
  satisfaction", and only descriptively (:func:`national_satisfaction`);
* claims about acute trusts (staffing, engagement, main driver) are answered on a
  cross-section of acute NHS trusts (:mod:`workbench.analysis.effects.cross_section`): the
  first cross-section (2022, then 2024-25) that holds a measure of every construct, with
  the best measure of each (:func:`choose`), adjusted for the case-mix set it holds.

The verdict names the measures used, the population, the adjustment set and the periods
aligned, and says that a cross-section gives associations between trusts, not the effect of
a change within a trust. It says "cannot answer" only when no measure of a construct exists
for the populations compared, naming every measure sought and why each is not held.

**Margins of the measures standing in** (:data:`SD_MARGINS`; overridable per claim and
measure with ``margins={"<claim>:<measure>": value}``): estimates on a cross-section are
judged per standard deviation of the exposure between trusts, so that one margin serves
exposures on different scales: A&E within 4 hours 1 percentage point per SD; inpatient
survey experience score 0.1 points (0-10) per SD; written complaints per occupied bed day a
log rate ratio of 0.05 per SD (about 5%). The national FFT comparison keeps the claim's own
margin (2 percentage points).

>>> [c.measure for c in CONSTRUCTS["satisfaction"]]
['fft_pct_positive', 'fft_national_pct_positive', 'inpatient_experience_score', 'complaints_per_1000_bed_days']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import stats

from workbench.analysis.claims.contrasts import driver_contrasts
from workbench.analysis.claims.inputs import cannot_answer
from workbench.analysis.claims.rules import (
    FAMILY,
    LEVEL,
    MULTIPLICITY,
    WAIT_MEASURES,
    Claim,
    ClaimResult,
    Judged,
    combine,
    rule_text,
)
from workbench.analysis.effects import cross_section as X
from workbench.analysis.findings import formatting
from workbench.analysis.findings.record import Finding, FindingId
from workbench.analysis.findings.sensitivity import evalue_sentence
from workbench.analysis.models import fit as md
from workbench.data import measures as M
from workbench.data.catalogue import NotHeld

#: Trusts a cross-section analysis needs (complete cases).
MIN_TRUSTS = 20
#: The national FFT setting compared first (the one the NHS / independent split exists for).
NATIONAL_SETTINGS: tuple[str, ...] = ("Inpatient",)


@dataclass(frozen=True)
class Candidate:
    """A measure that can stand for a construct: the ``measure`` (a column), where it is
    found (``source``: ``panel``, ``cross_section`` or ``national``), for whom it exists
    (``who``) and what it is (``note``).
    """

    measure: str
    source: str
    who: str
    note: str = ""

    @property
    def label(self) -> str:
        """The measure's label."""
        if self.measure == "fft_national_pct_positive":
            return "FFT positive responses (%), national, NHS and independent submitters"
        return X.label(self.measure)


_NHS = "NHS organisations only"
_BOTH = "NHS and independent providers"
_PANEL = "in the panel, for the providers it holds it for"

#: Each construct's measures in order of preference (module docstring).
CONSTRUCTS: dict[str, tuple[Candidate, ...]] = {
    "staffing": (
        Candidate("nurse_fte_per_10_beds", "panel", _PANEL,
                  "nurses per occupied bed (the synthetic default; published for NHS "
                  "organisations only, and no beds are published with it)"),
        Candidate("staff_enough_staff_pct", "cross_section", _NHS,
                  "NHS Staff Survey: enough staff to do the job properly"),
        Candidate("sickness_absence_pct", "cross_section", _NHS,
                  "sickness absence (ESR), days lost over days available"),
    ),
    "staff_experience": (
        Candidate("staff_engagement", "panel", _PANEL, "NHS Staff Survey engagement score"),
        Candidate("staff_burnout_pct", "cross_section", _NHS,
                  "NHS Staff Survey: often or always burnt out (less is better)"),
        Candidate("staff_work_stress_pct", "cross_section", _NHS,
                  "NHS Staff Survey: unwell from work-related stress (less is better)"),
    ),
    "waiting": (
        Candidate("rtt_median_weeks", "panel", _PANEL, "RTT median wait (or the waits measure "
                  "asked for)"),
        Candidate("ae_pct_within_4h", "cross_section", _NHS,
                  "A&E seen within 4 hours, pooled over the cross-section's months"),
        Candidate("rtt_pct_within_18w", "cross_section", _NHS,
                  "RTT waiting list within 18 weeks, pooled over the cross-section's months"),
    ),
    "satisfaction": (
        Candidate("fft_pct_positive", "panel", _PANEL, "FFT % positive by provider"),
        Candidate("fft_national_pct_positive", "national", _BOTH,
                  "FFT % positive, national totals of NHS and of independent submitters"),
        Candidate("inpatient_experience_score", "cross_section", _NHS,
                  "Adult Inpatient Survey: mean of the sections S01-S07 (0-10)"),
        Candidate("complaints_per_1000_bed_days", "cross_section", _NHS,
                  "written complaints (KO41a) per 1,000 occupied bed days (KH03)"),
    ),
    "case_mix": (
        Candidate("case_mix_index", "panel", _PANEL,
                  "case-mix index, patients aged 75+ and deprivation"),
        Candidate("inpatients_aged_66_plus_pct", "cross_section", _NHS,
                  "inpatient survey respondents' age and sex mix, trust type and size"),
        Candidate("specialist_trust", "cross_section", _NHS, "trust type and size"),
    ),
    "quality_rating": (
        Candidate("cqc_overall", "panel", _PANEL, "CQC overall rating"),
    ),
}

#: The adjustment set a cross-section can use (the columns held are used).
CASE_MIX_SETS: dict[str, tuple[str, ...]] = {
    "panel": md.CASE_MIX,
    "2022": ("inpatients_aged_66_plus_pct", "inpatients_female_pct", "specialist_trust",
             "log_beds"),
    "2024-25": ("specialist_trust", "log_beds"),
}

#: Margins of the measures standing in, per SD of the exposure (module docstring); count
#: outcomes on the log rate scale.
SD_MARGINS: dict[str, float] = {"ae_pct_within_4h": 1.0, "rtt_pct_within_18w": 1.0,
                                "inpatient_experience_score": 0.1,
                                "complaints_per_1000_bed_days": 0.05}
#: The count a rate is modelled as, with its exposure (the rest are modelled as they are).
MODELLED_AS: dict[str, str] = {"complaints_per_1000_bed_days": "complaints"}


@dataclass(frozen=True)
class Needs:
    """What a claim compares: its ``constructs`` and the ``population``; ``sectors`` when
    it compares NHS and independent providers (each needs a measure).
    """

    constructs: tuple[str, ...]
    population: str
    sectors: tuple[str, ...] = ()


_ACUTE = "acute providers (NHS trusts and independent hospitals)"
NEEDS: dict[str, Needs] = {
    "private_shorter_waits": Needs(("waiting",), _ACUTE, ("nhs", "independent")),
    "private_more_staff": Needs(("staffing",), _ACUTE, ("nhs", "independent")),
    "private_higher_satisfaction": Needs(("satisfaction", "case_mix"), _ACUTE,
                                         ("nhs", "independent")),
    "staffing_waits_satisfaction": Needs(("staffing", "waiting", "satisfaction", "case_mix"),
                                         _ACUTE),
    "engaged_staff_experience": Needs(("staff_experience", "satisfaction", "staffing",
                                       "case_mix"), _ACUTE),
    "waits_main_driver": Needs(("waiting", "staffing", "staff_experience", "satisfaction",
                                "case_mix"), _ACUTE),
    "private_care_homes_better": Needs(("quality_rating", "case_mix"),
                                       "care homes (privately run and council-run)",
                                       ("independent", "local_authority")),
}

#: The measures the panel analyses use, by claim and construct (the first of each).
PANEL_MEASURES: dict[str, dict[str, str]] = {
    "private_shorter_waits": {"waiting": "rtt_median_weeks"},
    "private_more_staff": {"staffing": "nurse_fte_per_10_beds"},
    "private_higher_satisfaction": {"satisfaction": "fft_pct_positive"},
    "staffing_waits_satisfaction": {"staffing": "nurse_fte_per_10_beds",
                                    "waiting": "rtt_median_weeks",
                                    "satisfaction": "fft_pct_positive"},
    "engaged_staff_experience": {"staff_experience": "staff_engagement",
                                 "satisfaction": "fft_pct_positive",
                                 "staffing": "nurse_fte_per_10_beds"},
    "waits_main_driver": {"waiting": "rtt_median_weeks", "staffing": "nurse_fte_per_10_beds",
                          "staff_experience": "staff_engagement",
                          "satisfaction": "fft_pct_positive"},
    "private_care_homes_better": {"quality_rating": "cqc_overall"},
}


def _plain(column: str) -> str:
    """A measure's label for the middle of a sentence (:func:`X.words`)."""
    return X.words(column)


def better(measure: str) -> int:
    """+1 when more of ``measure`` is better, -1 when less is.

    >>> better("ae_pct_within_4h"), better("complaints_per_1000_bed_days")
    (1, -1)
    """
    m = M.MEASURES.get(measure)
    return -1 if m is not None and m.higher_is_better is False else 1


def measures_text(measures: Mapping[str, str], adjust: tuple[str, ...], population: str,
                  where: str = "", *, adjustment: str = "") -> str:
    """The measures a verdict used, its adjustment set and population, in one sentence.

    >>> measures_text({"waiting": "rtt_median_weeks"}, (), "acute providers")
    'Measures used: waiting: RTT median wait (weeks). Population: acute providers; no adjustment.'
    """
    used = "; ".join(f"{c.replace('_', ' ')}: {X.label(m) if m != 'fft_national_pct_positive' else Candidate(m, '', '').label}"
                     for c, m in measures.items())
    adj = adjustment or (f"adjustment set: {', '.join(X.label(a) for a in adjust)}"
                         if adjust else "no adjustment")
    return f"Measures used: {used}. Population: {population}{where}; {adj}."


def panel_measures_text(key: str, claim: Claim, panel: pd.DataFrame,
                        waits_measure: str, basis: str = "") -> str:
    """The measures sentence of a claim answered on the panel (:data:`PANEL_MEASURES`);
    ``basis`` ``within`` for a claim judged within providers (adjusted by provider and
    month fixed effects, not the case-mix set).
    """
    ms = dict(PANEL_MEASURES.get(key, {}))
    if key == "private_shorter_waits":
        ms["waiting"] = waits_measure
    adjust = () if claim.kind == "descriptive" else tuple(
        c for c in md.CASE_MIX if c in panel.columns and panel[c].notna().any())
    within = ("adjustment: provider and month fixed effects (each provider compared with "
              "itself, so case mix and anything else fixed over the panel is held constant)"
              + ("; staffing held fixed" if key == "engaged_staff_experience" else "")
              if basis == "within" else "")
    return measures_text(ms, adjust, NEEDS[key].population if key in NEEDS else claim.subset,
                         adjustment=within)


# ---- choosing the measures of a cross-section ---------------------------------------------

@dataclass
class Choice:
    """The measures a claim is answered on: the cross-section, one measure per construct
    and the adjustment set it holds.
    """

    section: X.CrossSection
    measures: dict[str, str]
    adjust: tuple[str, ...] = ()
    #: why earlier cross-sections were not used
    skipped: str = ""

    def text(self, key: str) -> str:
        """The measures sentence (:func:`measures_text`) and the periods aligned."""
        shown = {c: m for c, m in self.measures.items() if c != "case_mix"}
        skipped = f" Not used: {self.skipped}." if self.skipped else ""
        return (measures_text(shown, self.adjust, self.section.population,
                              f", {self.section.window.words}") + " "
                + self.section.periods_text(tuple(shown.values()) + self.adjust) + skipped)


def _case_mix(section: X.CrossSection, measures: tuple[str, ...]) -> tuple[str, ...]:
    """The section's case-mix columns that are held and vary among the trusts holding
    every one of ``measures`` (a constant column cannot adjust anything).
    """
    t = section.table
    cols = [MODELLED_AS.get(m, m) for m in measures]
    cols += [X.COUNT_MODELS[c][0] for c in cols if c in X.COUNT_MODELS]
    rows = t.dropna(subset=[c for c in cols if c in t.columns])
    return tuple(c for c in CASE_MIX_SETS.get(section.name, ())
                 if section.held(c, MIN_TRUSTS) and rows[c].nunique(dropna=True) > 1)


def choose(key: str, sections: list[X.CrossSection]) -> tuple[Choice | None, str]:
    """The first cross-section of ``sections`` that holds, for at least :data:`MIN_TRUSTS`
    trusts, a measure of every construct the claim ``key`` needs, with the best measure of
    each (:data:`CONSTRUCTS` order) and its case-mix set; else None and why, section by
    section.

    >>> panel, tables = X.example_tables(40)
    >>> sections = [X.cross_section(panel, tables, s) for s in X.SECTIONS]
    >>> c, _ = choose("staffing_waits_satisfaction", sections)
    >>> c.section.name, c.measures["satisfaction"], c.measures["waiting"]
    ('2024-25', 'complaints_per_1000_bed_days', 'ae_pct_within_4h')
    """
    needs = NEEDS[key]
    why = []
    for cs in sections:
        chosen, lacking = {}, []
        for construct in needs.constructs:
            if construct == "case_mix":
                continue
            cands = [c for c in CONSTRUCTS[construct] if c.source == "cross_section"]
            hit = next((c.measure for c in cands if cs.held(c.measure, MIN_TRUSTS)), None)
            if hit is None:
                words = "; ".join(f"{c.label}: {cs.missing.get(c.measure, 'held for fewer than ' + str(MIN_TRUSTS) + ' trusts')}"
                                  for c in cands) or "no published measure"
                lacking.append(f"no measure of {construct.replace('_', ' ')} ({words})")
            else:
                chosen[construct] = hit
        if not lacking:
            adjust = _case_mix(cs, tuple(chosen.values()))
            if "case_mix" in needs.constructs:
                chosen["case_mix"] = ", ".join(adjust)
            return Choice(cs, chosen, adjust, " | ".join(why)), ""
        why.append(f"{cs.window.words}: " + "; ".join(lacking))
    if not sections:
        return None, ("the study's data hold none of the published tables (staff survey, "
                      "inpatient survey, sickness absence, complaints, beds) a cross-section "
                      "of NHS trusts is made from")
    return None, " | ".join(why)


def sought_text(key: str) -> str:
    """Every measure the claim's constructs could use, with for whom each exists.

    >>> sought_text("private_more_staff")[:60]
    'Measures of staffing sought: Nurse FTE per 10 occupied beds '
    """
    parts = []
    for construct in NEEDS[key].constructs:
        if construct == "case_mix":
            continue
        names = "; ".join(f"{c.label} ({c.who})" for c in CONSTRUCTS[construct])
        parts.append(f"Measures of {construct.replace('_', ' ')} sought: {names}.")
    return " ".join(parts)


def sector_reason(key: str) -> str:
    """Why a claim comparing NHS and independent providers has no published substitute:
    the constructs whose measures exist for NHS organisations only.

    >>> sector_reason("private_more_staff")[:61]
    'No measure of staffing is published for independent providers'
    """
    needs = NEEDS[key]
    lacking = [c for c in needs.constructs if c != "case_mix"
               and not any(x.who == _BOTH and x.source != "panel" for x in CONSTRUCTS[c])]
    if not lacking:
        return ""
    words = " or ".join(c.replace("_", " ") for c in lacking)
    return (f"No measure of {words} is published for independent providers: every "
            f"measure of it here exists for NHS organisations only ({sought_text(key)})")


# ---- the analyses on a cross-section --------------------------------------------------------

def _margin(key: str, measure: str, margins: Mapping[str, float]) -> float:
    return float(margins.get(f"{key}:{measure}", SD_MARGINS.get(measure, 0.0)))


def _scale_words(measure: str) -> str:
    if measure in MODELLED_AS:
        return "log rate ratio"
    m = M.MEASURES.get(measure)
    return "percentage points" if m is not None and m.unit == "%" else (m.unit if m else "")


@dataclass
class _Part:
    judged: Judged
    adjusted: Finding
    naive: Finding
    per_sd: Finding
    evalue: str


def _per_sd_finding(afit: md.Fit, f: Finding, term: str, measure: str, section: X.CrossSection,
                    question: str, adjust: tuple[str, ...]) -> tuple[Finding, float]:
    b = float(pd.Series(afit.result.params)[term])
    sd = float(afit.data[term].std())
    lo, hi = afit.interval(term, 0.95)
    unit = f"{_scale_words(measure)} per SD of {X.label(term)}"
    fid = FindingId(f"per_sd_{section.name.replace('-', '_')}", afit.spec.outcome,
                    md.exposure_label(term), "nhs")
    g = Finding(id=str(fid), question=question, estimate=b * sd, ci_low=lo * sd,
                ci_high=hi * sd, p_value=f.p_value, n=f.n, clusters=f.clusters, unit=unit,
                model=f.model, formula=f.formula, sector="nhs", warning=f.warning,
                sensitivity=dict(f.sensitivity))
    what = X.COUNT_MODELS[afit.spec.outcome][2] if afit.spec.outcome in X.COUNT_MODELS \
        else X.label(measure)
    adj = (f"adjusted for {', '.join(X.label(a) for a in adjust)}" if adjust
           else "unadjusted")
    g.sentence = (f"{what[0].upper() + what[1:]}: "
                  f"{formatting.estimate_interval(g.estimate, g.ci_low, g.ci_high, sign=True)[0]} "
                  f"{_scale_words(measure)} "
                  f"(95% CI {formatting.interval(g.ci_low, g.ci_high, estimate=g.estimate)})"
                  f" per standard deviation ({formatting.number(sd)}) of {X.label(term)} "
                  f"between trusts, {adj}.")
    return g, sd


def _part(key: str, section: X.CrossSection, outcome: str, exposure: str,
          adjust: tuple[str, ...], margins: Mapping[str, float], question: str,
          label: str) -> _Part:
    model_outcome = MODELLED_AS.get(outcome, outcome)
    afit = X.fit(section, model_outcome, (exposure,), adjust)
    [a] = X.section_findings(afit, section, question)
    [n] = X.section_findings(X.fit(section, model_outcome, (exposure,), (), suffix="naive"),
                             section, question)
    sd_f, sd = _per_sd_finding(afit, a, exposure, outcome, section, question, adjust)
    lo, hi = afit.interval(exposure, LEVEL)
    direction = better(exposure) * better(outcome)
    j = Judged(label, sd_f.estimate, lo * sd, hi * sd, a.p_value, direction,
               _margin(key, outcome, margins), sd_f)
    return _Part(j, a, n, sd_f, evalue_sentence(a.sensitivity, _plain(exposure),
                                                _plain(outcome)))


def _verdict(claim: Claim, parts: list[Judged], how: str, extra: str,
             params: dict) -> tuple[str, Finding]:
    v, key = combine(parts)
    level = formatting.percent(LEVEL, 1)
    words = "; ".join(f"{p.label}: {formatting.signed(p.estimate)} ({level} interval "
                      f"{formatting.interval(p.low, p.high)}; margin "
                      f"{formatting.number(p.margin)}; {p.verdict})" for p in parts)
    rule = "Rule: " + rule_text("the margin")
    sentence = (f"{claim.text} Verdict: {v}. Judged on {how}: {words}. {rule}. {extra}").strip()
    base = key.finding
    f = Finding(id=str(FindingId("verdict", claim.key, subset=claim.subset)),
                question=claim.text, estimate=key.estimate, ci_low=base.ci_low,
                ci_high=base.ci_high, p_value=min(1.0, key.p_value * FAMILY), n=base.n,
                unit=base.unit, model=f"claims register ({claim.kind}); {base.model}",
                formula=base.formula, sector=base.sector, clusters=base.clusters,
                warning=base.warning, sentence=sentence, role="headline",
                sensitivity=dict(base.sensitivity))
    f.parameters = {"verdict": v, "margin": {p.label: p.margin for p in parts},
                    "level": LEVEL, "family": FAMILY, "multiplicity": MULTIPLICITY,
                    "interval": [key.low, key.high], "kind": claim.kind, **params}
    return v, f


def _tag(findings: list[Finding], claim: Claim) -> list[Finding]:
    """The findings behind a claim with the claim in their ids' variant: two claims may
    rest on the same model's estimate, each keeps its own record.
    """
    for f in findings:
        key = f.key
        f.id = str(key.with_(variant="_".join(v for v in (key.variant, claim.key) if v)))
    return findings


def _result(claim: Claim, choice: Choice, parts: list[_Part], how: str,
            extra_parts: list[Judged] | None = None, contrasts: list[Finding] | None = None,
            naive: list[Finding] | None = None, adjusted: list[Finding] | None = None
            ) -> ClaimResult:
    judged = [p.judged for p in parts] + list(extra_parts or [])
    evalues = " ".join(dict.fromkeys(p.evalue for p in parts if p.evalue))
    caveat = X.cross_sectional_note(choice.section)
    extra = f"{choice.text(claim.key)} {caveat} {evalues}".strip()
    params = {"measures": dict(choice.measures), "adjustment": list(choice.adjust),
              "population": choice.section.population, "cross_section": choice.section.name,
              "design": "cross-sectional, between trusts"}
    v, f = _verdict(claim, judged, how, extra, params)
    level = formatting.percent(LEVEL, 1)
    words = "; ".join(f"{p.label}: {formatting.signed(p.estimate)} ({level} interval "
                      f"{formatting.interval(p.low, p.high)}, margin "
                      f"{formatting.number(p.margin)}, {p.verdict})" for p in judged)
    reason = f"Judged on {how}: {words}. {extra}"
    return ClaimResult(claim, v,
                       _tag(naive if naive is not None else [p.naive for p in parts], claim),
                       _tag(adjusted if adjusted is not None else [p.per_sd for p in parts],
                            claim), reason, f, _tag(list(contrasts or []), claim))


def _staffing(claim: Claim, choice: Choice, margins: Mapping[str, float]) -> ClaimResult:
    m, cs = choice.measures, choice.section
    parts = []
    for construct in ("waiting", "satisfaction"):
        outcome = m[construct]
        parts.append(_part(claim.key, cs, outcome, m["staffing"], choice.adjust, margins,
                           f"{claim.text} ({construct})",
                           f"{X.label(outcome)} per SD of {X.label(m['staffing'])}"))
    return _result(claim, choice, parts, "the case-mix-adjusted associations between trusts, "
                   "per standard deviation of the staffing measure")


def _engagement(claim: Claim, choice: Choice, margins: Mapping[str, float]) -> ClaimResult:
    m, cs = choice.measures, choice.section
    adjust = tuple(dict.fromkeys((*choice.adjust, m["staffing"])))
    part = _part(claim.key, cs, m["satisfaction"], m["staff_experience"], adjust, margins,
                 claim.text, f"{X.label(m['satisfaction'])} per SD of "
                             f"{X.label(m['staff_experience'])}")
    choice = replace(choice, adjust=adjust)
    return _result(claim, choice, [part], "the case-mix- and staffing-adjusted association "
                   "between trusts, per standard deviation of the staff experience measure")


def _drivers(claim: Claim, choice: Choice, margins: Mapping[str, float]) -> ClaimResult:
    m, cs = choice.measures, choice.section
    outcome = m["satisfaction"]
    drivers = (m["waiting"], m["staffing"], m["staff_experience"])
    model_outcome = MODELLED_AS.get(outcome, outcome)
    afit = X.fit(cs, model_outcome, drivers, choice.adjust)
    nfit = X.fit(cs, model_outcome, drivers, (), suffix="naive")
    found = X.section_findings(afit, cs, claim.text)
    naive = list(X.section_findings(nfit, cs, claim.text))
    per_sd = [_per_sd_finding(afit, f, d, outcome, cs, claim.text, choice.adjust)[0]
              for f, d in zip(found, drivers)]
    margin = _margin(claim.key, outcome, margins)
    sd_w = float(afit.data[drivers[0]].std())
    lo, hi = afit.interval(drivers[0], LEVEL)
    parts = [Judged(f"{X.label(drivers[0])} per SD", per_sd[0].estimate, lo * sd_w, hi * sd_w,
                    found[0].p_value, better(drivers[0]) * better(outcome), 0.0, per_sd[0])]
    contrasts = []
    scale = _scale_words(outcome)
    for c95, cl in zip(driver_contrasts(afit, drivers[0]),
                       driver_contrasts(afit, drivers[0], LEVEL)):
        other = c95["other"]
        f = Finding(id=str(FindingId(f"contrast_{cs.name.replace('-', '_')}", model_outcome,
                                     f"{drivers[0]}_vs_{other}", "nhs")),
                    question=f"Is the association of {X.label(drivers[0]).lower()} with "
                             f"{X.label(outcome).lower()} larger than that of "
                             f"{X.label(other).lower()}?",
                    estimate=c95["estimate"], ci_low=c95["ci_low"], ci_high=c95["ci_high"],
                    p_value=c95["p_value"], n=afit.n, clusters=afit.clusters,
                    unit=f"{scale} per SD (size of the wait association minus size of the "
                         "other)",
                    model=f"linear contrast of the joint {afit.spec.kind} model; "
                          f"t({c95['df']}), CRV1", formula=afit.spec.label(), sector="nhs",
                    role="robustness")
        f.sentence = (f"The size of the association of {X.label(drivers[0]).lower()} with "
                      f"{X.label(outcome).lower()} minus that of {X.label(other).lower()}: "
                      f"{formatting.estimate_interval(f.estimate, f.ci_low, f.ci_high, sign=True)[0]} "
                      f"{scale} per SD (95% CI "
                      f"{formatting.interval(f.ci_low, f.ci_high, estimate=f.estimate)}).")
        contrasts.append(f)
        parts.append(Judged(f"wait minus {X.label(other)}", cl["estimate"], cl["ci_low"],
                            cl["ci_high"], cl["p_value"], +1, margin, f))
    X.stamp(contrasts, cs, (outcome, *drivers))
    caveat = X.cross_sectional_note(cs)
    extra = f"{choice.text(claim.key)} {caveat}"
    params = {"measures": dict(choice.measures), "adjustment": list(choice.adjust),
              "population": cs.population, "cross_section": cs.name,
              "design": "cross-sectional, between trusts"}
    how = (f"one model of {X.label(outcome).lower()} on the three drivers across trusts, "
           "effects per standard deviation of each driver, and the difference between the "
           "wait effect's size and each other driver's")
    v, fv = _verdict(claim, parts, how, extra, params)
    level = formatting.percent(LEVEL, 1)
    words = "; ".join(f"{p.label} {formatting.signed(p.estimate)} ({level} interval "
                      f"{formatting.interval(p.low, p.high)}, {p.verdict})" for p in parts)
    return ClaimResult(claim, v, _tag(naive, claim), _tag(per_sd, claim),
                       f"Judged on {how}: {words}. {extra}", fv, _tag(contrasts, claim))


ANALYSES = {"staffing_waits_satisfaction": _staffing, "engaged_staff_experience": _engagement,
            "waits_main_driver": _drivers}


def on_sections(claim: Claim, sections: list[X.CrossSection],
                margins: Mapping[str, float]) -> tuple[ClaimResult | None, str]:
    """The claim answered on the first cross-section that holds its constructs
    (:func:`choose`), or None and why not.
    """
    if claim.key not in ANALYSES:
        return None, ""
    choice, why = choose(claim.key, sections)
    if choice is None:
        return None, why
    try:
        return ANALYSES[claim.key](claim, choice, margins), ""
    except (ValueError, np.linalg.LinAlgError) as err:
        return None, f"the model could not be fitted on {choice.section.window.words}: {err}"


# ---- the national FFT comparison --------------------------------------------------------------

@dataclass
class NationalComparison:
    """Independent minus NHS FFT % positive in one setting and month, national totals."""

    setting: str
    period: pd.Timestamp
    nhs: pd.Series
    independent: pd.Series
    estimate: float
    low95: float
    high95: float
    low: float
    high: float
    rounding: float
    left_out: list[str] = field(default_factory=list)


def national_split(fft_national: pd.DataFrame) -> tuple[NationalComparison | None, str]:
    """The latest month of the national FFT table whose NHS and independent-sector figures
    are separate and consistent (:mod:`workbench.data.sources.fft_rolling`), in the first
    setting of :data:`NATIONAL_SETTINGS` that has one, as a comparison; else None and why.

    The interval adds the published rounding of both percentages (each +/- half their last
    digit) to the binomial sampling interval of the two proportions: what the national
    figures allow, not an inference about providers.
    """
    t = fft_national
    if "submitters" not in t.columns:
        return None, "the national FFT table has no submitters column"
    split = t[t["submitters"].isin(["nhs", "independent"])]
    if split.empty:
        files = ", ".join(sorted(t["source_file"].dropna().unique())) \
            if "source_file" in t.columns else "the files read"
        return None, (f"no national FFT file read ({files}) separates NHS and "
                      "independent-sector submitters")
    ok = split[split["consistent"].astype(bool)] if "consistent" in split else split
    bad = [f"{p:%B %Y}" for p in sorted(set(split.loc[~split.index.isin(ok.index), "period"]))]
    for setting in (*NATIONAL_SETTINGS, *sorted(ok["setting"].unique())):
        rows = ok[ok["setting"] == setting]
        months = [p for p, g in rows.groupby("period")
                  if set(g["submitters"]) >= {"nhs", "independent"}
                  and g[["pct_positive", "responses"]].notna().all().all()]
        if not months:
            continue
        period = max(months)
        g = rows[rows["period"] == period].set_index("submitters")
        n, i = g.loc["nhs"], g.loc["independent"]
        est = float(i["pct_positive"] - n["pct_positive"])
        r = g["pct_rounding_pp"].max()
        r = 0.0 if pd.isna(r) else float(r)
        se = 100 * float(np.sqrt(sum(p / 100 * (1 - p / 100) / max(float(k), 1.0)
                                     for p, k in ((n["pct_positive"], n["responses"]),
                                                  (i["pct_positive"], i["responses"])))))

        lo95, hi95 = _band(est, r, se, 0.95)
        lo, hi = _band(est, r, se, LEVEL)
        return NationalComparison(setting, period, n, i, est, lo95, hi95, lo, hi, r, bad), ""
    why = ("the national FFT figures that separate NHS and independent-sector submitters "
           f"fail the consistency check in every month ({', '.join(bad)}: the total's % "
           "positive cannot be a mix of the NHS and independent figures)") if bad else \
        "no setting and month has both NHS and independent-sector figures"
    return None, why


def _band(est: float, rounding: float, se: float, level: float) -> tuple[float, float]:
    """The interval of a difference of two published percentages: each rounded by
    +/- ``rounding`` points, plus the normal sampling interval at ``level``.
    """
    z = float(stats.norm.ppf(1 - (1 - level) / 2))
    return est - 2 * rounding - z * se, est + 2 * rounding + z * se


def national_satisfaction(claim: Claim, fft_national: pd.DataFrame | NotHeld | None,
                          margins: Mapping[str, float], panel_reason: str) -> ClaimResult | None:
    """"Private providers achieve higher satisfaction" answered at national level: the
    descriptive difference in FFT % positive between independent-sector and NHS
    submitters (:func:`national_split`), judged against the claim's margin; None when the
    data hold no such split (the reason is then :func:`national_reason`).
    """
    if fft_national is None or isinstance(fft_national, NotHeld):
        return None
    cmp, _ = national_split(fft_national)
    if cmp is None:
        return None
    margin = float(margins.get(claim.key, claim.margin))
    month = f"{cmp.period:%B %Y}"
    q = (f"Do independent-sector providers' patients report higher FFT satisfaction than NHS "
         f"patients ({cmp.setting.lower()}, England, {month})?")
    f = Finding(id=str(FindingId("national", "fft_pct_positive", "sector[independent]",
                                 "england", period=f"{cmp.period:%Y-%m}")),
                question=q, estimate=cmp.estimate, ci_low=cmp.low95, ci_high=cmp.high95,
                n=int(cmp.nhs["responses"] + cmp.independent["responses"]),
                unit="percentage points", model="national totals, descriptive (no model)",
                sector="national", role="robustness")
    f.sentence = (f"FFT {cmp.setting.lower()} responses, England, {month}: "
                  f"{formatting.number(cmp.independent['pct_positive'])}% positive from "
                  f"independent-sector submitters "
                  f"({formatting.count(cmp.independent['organisations_submitting'])} "
                  f"organisations, {formatting.count(cmp.independent['responses'])} "
                  f"responses) and {formatting.number(cmp.nhs['pct_positive'])}% from NHS "
                  f"submitters ({formatting.count(cmp.nhs['organisations_submitting'])}, "
                  f"{formatting.count(cmp.nhs['responses'])}): a difference of "
                  f"{formatting.signed(cmp.estimate)} percentage points (95% interval "
                  f"{formatting.interval(cmp.low95, cmp.high95)}, the published rounding of "
                  f"+/-{formatting.number(cmp.rounding)} on each figure and sampling).")
    j = Judged("independent minus NHS, national FFT % positive", cmp.estimate, cmp.low,
               cmp.high, float("nan"), claim.direction, margin, f)
    cannot = ("It cannot show whether the same patients would be more satisfied in one sector: "
              "the sectors treat different patients (case mix), provide different services "
              "(the independent sector mostly planned surgery), and who answers the FFT "
              "differs; no case-mix-adjusted comparison can be made "
              f"({panel_reason.rstrip('.')}).")
    left = (f" The months {', '.join(cmp.left_out)} of the same file fail its consistency "
            "check (the total's % positive cannot be a mix of the NHS and independent "
            "figures) and are not used." if cmp.left_out else "")
    national = replace(claim, kind="descriptive", unit="percentage points",
                       analysis="FFT % positive, independent-sector minus NHS submitters, "
                                "national totals (descriptive)")
    extra = (f"{measures_text({'satisfaction': 'fft_national_pct_positive'}, (), 'patients of NHS and independent-sector submitters in England', f', {month}')} "
             f"{f.sentence} {cannot}{left}")
    how = ("the national descriptive comparison (not adjusted for case mix: the only "
           "satisfaction measure published for both sectors)")
    v, fv = _verdict(national, [j], how, extra,
                     {"measures": {"satisfaction": "fft_national_pct_positive"},
                      "adjustment": [], "population": "England, FFT respondents",
                      "design": "national totals, descriptive", "setting": cmp.setting,
                      "month": f"{cmp.period:%Y-%m}"})
    fv.p_value = None
    level = formatting.percent(LEVEL, 1)
    reason = (f"Judged on {how}: {formatting.signed(cmp.estimate)} percentage points "
              f"({level} interval {formatting.interval(cmp.low, cmp.high)}; margin "
              f"{formatting.number(margin)}). {extra}")
    return ClaimResult(claim, v, [f], [], reason, fv)


def national_reason(fft_national: pd.DataFrame | NotHeld | None) -> str:
    """Why the national FFT figures cannot answer the satisfaction claim ('' when they can).

    >>> national_reason(None)
    "the study's data hold no national FFT table"
    """
    if fft_national is None:
        return "the study's data hold no national FFT table"
    if isinstance(fft_national, NotHeld):
        return f"no national FFT figures: {fft_national.reason.rstrip('.')}"
    return national_split(fft_national)[1]


def answer_instead(claim: Claim, result: ClaimResult, *, sections: list[X.CrossSection],
                   tables: Mapping[str, pd.DataFrame | NotHeld],
                   margins: Mapping[str, float]) -> ClaimResult:
    """The claim answered on the best published measures when the panel could not
    (``result`` is its ``cannot answer``), or ``cannot answer`` with the panel's reason and
    why no published measure can stand in.
    """
    key = claim.key
    if key == "private_higher_satisfaction":
        r = national_satisfaction(claim, tables.get("fft_national"), margins, result.reason)
        if r is not None:
            return r
        more = (f"The national FFT figures cannot stand in: "
                f"{national_reason(tables.get('fft_national')).rstrip('.')}. "
                + sector_reason(key))
    elif key == "private_care_homes_better":
        more = ""  # CQC rates homes of every ownership: the panel's reason says what is missing
    elif key == "private_shorter_waits":
        more = ("Both sectors publish RTT waits; the measure judged is chosen with "
                f"`waits_measure` (one of {', '.join(WAIT_MEASURES)}), and needs one the panel "
                "holds for both sectors in the same month.")
    elif NEEDS.get(key) and NEEDS[key].sectors:
        more = sector_reason(key) or sought_text(key)
    else:
        r, why = on_sections(claim, sections, margins)
        if r is not None:
            return r
        more = (f"No cross-section of acute NHS trusts holds a measure of every construct the "
                f"claim compares ({why}). {sought_text(key)}" if key in ANALYSES
                else sought_text(key))
    return cannot_answer(claim, f"{result.reason.rstrip()} {more}".strip(),
                         unknown_sector=result.unknown_sector)
