"""Notebook 11 (published data): what staff report, how long patients wait, what patients say.

The chain the workbench exists for, on the published files, for acute NHS trusts:
**staff experience -> waits -> patients' reported experience**, on two cross-sections whose
periods are aligned explicitly (:mod:`workbench.analysis.effects.cross_section`):

* **2022** (survey year): the NHS Staff Survey 2022 (staff saying there are enough staff;
  staff often or always burnt out) and the Adult Inpatient Survey 2022 (patients discharged
  in November 2022). The patients' experience is the inpatient survey's experience score,
  the mean of the sections made of several questions (``S01``-``S07``): the workbook names
  no item as overall experience and holds no question wording, so no single question is
  taken as "overall" (``docs/data_sources.md``). Waits of the months the surveys cover
  (A&E and RTT, September to December 2022) are looked for in the panel; where the
  published files hold none, the links through waits and the mediation split are not
  estimated, and the findings say so.
* **2024-25** (financial year): the NHS Staff Survey 2024, sickness absence (days lost over
  days available, April 2024 to March 2025), A&E 4-hour performance pooled over the same
  months, and written complaints (KO41a) per 1,000 occupied bed days (KH03), with the
  complaints about waiting times and about staffing numbers and the upheld share as shares.

Each link is estimated across trusts, unadjusted and adjusted for the case mix the
section holds (the inpatient survey respondents' age and sex mix in 2022; trust type and
size in both), one exposure at a time (:data:`LINKS`): linear models for scores and
percentages, counts with their exposure for complaints (negative binomial per occupied bed
day; Poisson for the shares). The adjusted estimates are the headline findings; each
carries its E-value (how strong an unmeasured confounder would have to be to explain it
away) and the periods aligned. Where exposure, waits and patients' experience are all
held, the mediation split (how much of the staff measure's association with complaints
runs through A&E waits; :func:`workbench.analysis.effects.mediation.product_of_coefficients`
on the log complaint rate, rows resampled) is given with its sensitivity to
mediator-outcome confounding.

Every finding is a cross-sectional association between trusts in one period, not the
effect of a change within a trust.

>>> from workbench.analysis.effects.cross_section import example_tables
>>> panel, tables = example_tables(40)
>>> chain = answer(panel, tables, n_boot=200)
>>> sorted({f.key.kind for f in chain.findings()})[:3]
['cross_2022', 'cross_2024_25', 'direct']
>>> chain.not_estimated()[0][:40]
'2022, staff experience -> waits: not est'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workbench.analysis.effects import cross_section as X
from workbench.analysis.effects.mediation import MediationResult, product_of_coefficients
from workbench.analysis.findings import formatting
from workbench.analysis.findings.record import Finding, Findings, with_question
from workbench.analysis.findings.sensitivity import evalue_sentence
from workbench.data.catalogue import NotHeld
from workbench.errors import AnalysisInputError

#: The tables beside the panel the chain reads (from the session, ``s.data(name)``).
TABLES: tuple[str, ...] = ("staff_survey_years", "inpatient_survey", "inpatient_respondents",
                           "sickness_absence", "complaints", "beds")
#: The cross-sections, in order.
SECTIONS: tuple[str, ...] = ("2022", "2024-25")
#: Staff measures (exposures) of each cross-section.
STAFF: dict[str, tuple[str, ...]] = {
    "2022": ("staff_enough_staff_pct", "staff_burnout_pct"),
    "2024-25": ("staff_enough_staff_pct", "staff_burnout_pct", "sickness_absence_pct"),
}
#: Waits (the mediator) and patients' reported experience (the outcome) of each section.
WAITS: tuple[str, ...] = ("ae_pct_within_4h", "rtt_pct_within_18w")
EXPERIENCE: dict[str, tuple[str, ...]] = {
    "2022": ("inpatient_experience_score",),
    "2024-25": ("complaints",),
}
#: Case mix adjusted for, by section (the columns held and varying are used).
ADJUST: dict[str, tuple[str, ...]] = {
    "2022": ("inpatients_aged_66_plus_pct", "inpatients_female_pct", "specialist_trust",
             "log_beds"),
    "2024-25": ("specialist_trust", "log_beds"),
}
#: What patients complain about, as shares, against the measure they name: outcome ->
#: exposures.
SHARES: dict[str, tuple[str, ...]] = {
    "complaints_waiting": ("ae_pct_within_4h",),
    "complaints_staffing": ("staff_enough_staff_pct", "sickness_absence_pct"),
    "complaints_upheld": ("staff_enough_staff_pct",),
}
#: Trusts a link needs (complete cases).
MIN_TRUSTS = 20
N_BOOT = 2000
SEED = 20240922
LOG_RATE = "log_complaints_per_1000_bed_days"

STEP_WORDS = {"staff_waits": "staff experience -> waits",
              "waits_experience": "waits -> patients' reported experience",
              "staff_experience": "staff experience -> patients' reported experience",
              "shares": "what patients complain about (shares)"}


@dataclass
class Link:
    """One estimated link: the section, the step of the chain, the exposure and outcome,
    and the adjusted and unadjusted findings.
    """

    section: str
    step: str
    exposure: str
    outcome: str
    adjusted: Finding
    naive: Finding


@dataclass
class Chain:
    """The chain on each cross-section: links, mediation splits, what could not be
    estimated and why, and the periods aligned.
    """

    sections: dict[str, X.CrossSection] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)
    mediation: list[tuple[str, MediationResult, list[Finding]]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    reason: str = ""

    def findings(self, question: str | None = None) -> Findings:
        """The adjusted links (headline), the mediation splits, then the unadjusted links
        (robustness); ``question`` replaces the question each answers.
        """
        out = [lk.adjusted for lk in self.links]
        for _, _, found in self.mediation:
            out += found
        out += [lk.naive for lk in self.links]
        return with_question(out, question)

    def not_estimated(self) -> list[str]:
        """What could not be estimated, and why, one sentence each."""
        return list(self.missing)

    def limits(self) -> list[str]:
        """What these findings can and cannot show."""
        if self.reason:
            return [self.reason]
        return [("Cross-sectional associations between acute NHS trusts, one period at a time: "
                "not the effect of a change within a trust. Trusts that differ in staff "
                "experience differ in much else (local demand, estate, deprivation, case mix "
                "beyond what is adjusted for)."),
                ("Each survey is a sample of a trust's staff or patients; the inpatient survey's "
                "scores are CQC's, standardised by route of admission, age and sex."),
                ("The inpatient survey experience score is the mean of the sections made of "
                "several questions (S01-S07): the workbook names no item as overall "
                "experience and holds no question wording."),
                ("Written complaints are per 1,000 occupied overnight bed days (KH03, all bed "
                "sectors); KH03 ends in June 2024, so the four quarters July 2023 to June "
                "2024 stand in for 2024-25, and trusts with fewer than 100 occupied beds "
                "are left out. Complaints cover every service, not inpatients alone."),
                *self.missing]

    def periods(self) -> list[str]:
        """Which periods were aligned, one paragraph per cross-section."""
        return [cs.periods_text() for cs in self.sections.values()]

    def estimates(self) -> pd.DataFrame:
        """One row per link: section, step, exposure, outcome, adjusted estimate with 95%
        interval, unit, trusts, E-value, and the unadjusted estimate.
        """
        rows = []
        for lk in self.links:
            a, n = lk.adjusted, lk.naive
            rows.append({"section": lk.section, "step": STEP_WORDS[lk.step],
                         "exposure": X.label(lk.exposure), "outcome": X.label(lk.outcome),
                         "adjusted": _cell(a), "unadjusted": _cell(n), "unit": a.unit,
                         "trusts": a.n,
                         "E-value": formatting.number(a.sensitivity.get("evalue"))
                         if a.sensitivity else ""})
        for name, res, _ in self.mediation:
            for effect in ("indirect", "direct", "total"):
                r = res.table.loc[effect]
                rows.append({"section": name, "step": f"mediation: {effect}",
                             "exposure": X.label(res.exposure),
                             "outcome": X.label(res.outcome),
                             "adjusted": _cell(r["estimate"], r["ci_low"], r["ci_high"]),
                             "unadjusted": "", "unit": f"log rate per {X.per_unit(res.exposure)}",
                             "trusts": res.n, "E-value": ""})
        return pd.DataFrame(rows, columns=["section", "step", "exposure", "outcome", "adjusted",
                                           "unadjusted", "unit", "trusts", "E-value"])

    def pictures(self) -> list[tuple[pd.DataFrame, str, str, str]]:
        """The links to draw, one scatter each: (the section's table, x, y, title), for
        every adjusted link between a staff measure or waits and a score or percentage
        (count models are drawn as their rate).
        """
        out = []
        for lk in self.links:
            if lk.step == "shares":
                continue
            y = "complaints_per_1000_bed_days" if lk.outcome == "complaints" else lk.outcome
            cs = self.sections[lk.section]
            out.append((cs.table, lk.exposure, y,
                        (f"{X.label(y)}\nagainst {X.words(lk.exposure)}, acute NHS "
                         f"trusts, {cs.window.words}")))
        return out

    def rates(self) -> pd.DataFrame:
        """The complaint and sickness rates over all trusts of each section (ratios of
        sums, never means of rates).
        """
        out = [X.pooled_rates(cs.table).assign(section=name)
               for name, cs in self.sections.items()]
        out = [t for t in out if len(t)]
        if not out:
            return pd.DataFrame(columns=["section", "label", "value", "trusts"])
        t = pd.concat(out, ignore_index=True)
        return t[["section", "label", "value", "trusts", "numerator", "denominator"]]


def _cell(f: Finding | float, low: float | None = None, high: float | None = None) -> str:
    """An estimate and its 95% interval at the same decimals: ``0.41 (0.13 to 0.69)``."""
    if isinstance(f, Finding):
        f, low, high = f.estimate, f.ci_low, f.ci_high
    est, iv = formatting.estimate_interval(f, low, high)
    return f"{est} ({iv})" if iv else est


def _adjust(cs: X.CrossSection, columns: tuple[str, ...]) -> tuple[str, ...]:
    t = cs.table
    need = [c for c in columns if c in t.columns]
    rows = t.dropna(subset=need) if need else t
    return tuple(c for c in ADJUST.get(cs.name, ()) if cs.held(c, MIN_TRUSTS)
                 and rows[c].nunique(dropna=True) > 1)


def _rows(cs: X.CrossSection, outcome: str, exposure: str) -> int:
    cols = [outcome, exposure]
    if outcome in X.COUNT_MODELS:
        cols.append(X.COUNT_MODELS[outcome][0])
    if any(c not in cs.table.columns for c in cols):
        return 0
    return int(cs.table.dropna(subset=cols).shape[0])


def _why(cs: X.CrossSection, column: str) -> str:
    return cs.missing.get(column, f"held for fewer than {MIN_TRUSTS} trusts")


def _link(cs: X.CrossSection, step: str, exposure: str, outcome: str) -> Link:
    adjust = _adjust(cs, (exposure, outcome))
    q = (f"Across acute NHS trusts ({cs.window.words}), how does "
         f"{_measure_words(outcome)} go with {X.words(exposure)}?")
    afit = X.fit(cs, outcome, (exposure,), adjust)
    [a] = X.section_findings(afit, cs, q)
    [n] = X.section_findings(X.fit(cs, outcome, (exposure,), (), suffix="naive"), cs, q)
    adj = ", ".join(X.words(c) for c in afit.spec.adjust) or "nothing"
    ev = evalue_sentence(a.sensitivity, X.words(exposure), _measure_words(outcome))
    a.sentence = a.sentence.replace(" A cross-sectional", f" Adjusted for {adj}. {ev} "
                                    "A cross-sectional", 1).replace("  ", " ")
    a.parameters = {**(a.parameters or {}), "adjustment": list(afit.spec.adjust),
                    "step": step}
    return Link(cs.name, step, exposure, outcome, a, n)


def _measure_words(column: str) -> str:
    if column in X.COUNT_MODELS:
        return X.COUNT_MODELS[column][2]
    return X.words(column)


def _mediation(cs: X.CrossSection, exposure: str, mediator: str, n_boot: int,
               seed: int) -> tuple[str, MediationResult, list[Finding]] | None:
    t = cs.table.copy()
    t[LOG_RATE] = np.log(t["complaints_per_1000_bed_days"].where(
        t["complaints_per_1000_bed_days"] > 0))
    base = t.dropna(subset=[exposure, mediator, LOG_RATE])
    adjust = tuple(c for c in ADJUST.get(cs.name, ()) if c in t.columns
                   and base[c].nunique(dropna=True) > 1)
    rows = t.dropna(subset=[exposure, mediator, LOG_RATE, *adjust])
    if len(rows) < MIN_TRUSTS:
        return None
    res = product_of_coefficients(rows, exposure, mediator, LOG_RATE, adjust=adjust,
                                  n_boot=n_boot, seed=seed, subset="nhs")
    q = (f"Across acute NHS trusts ({cs.window.words}), how much of the association of "
         f"{X.words(exposure)} with written complaints per occupied bed day runs "
         f"through {X.words(mediator)}?")
    found = list(res.findings(q))
    unit = f"log complaint rate per {X.per_unit(exposure)}"
    what = {"indirect": f"through {X.words(mediator)}",
            "direct": f"not through {X.words(mediator)}", "total": "in total"}
    for f in found:
        effect = f.key.kind
        f.unit = unit
        rho = ""
        if effect == "indirect" and res.sensitivity:
            s = res.sensitivity
            rho = (f" A confounder of A&E waits and complaints would explain it away at an "
                   f"error correlation rho = {formatting.fixed(s['rho_zero'], sign=True)} "
                   "(Imai, Keele & Yamamoto 2010); its interval includes zero from rho = "
                   f"{formatting.fixed(s['rho_ci'], sign=True)}.")
        f.sentence = (f"Per {X.per_unit(exposure)}, the log of written "
                      f"complaints per occupied bed day changed by "
                      f"{formatting.estimate_interval(f.estimate, f.ci_low, f.ci_high, sign=True)[0]} "
                      f"{what[effect]} (95% CI "
                      f"{formatting.interval(f.ci_low, f.ci_high, sign=True, estimate=f.estimate)}; "
                      f"{res.n} trusts, adjusted for "
                      f"{', '.join(X.words(a) for a in adjust) or 'nothing'}).{rho}")
        f.parameters = {**(f.parameters or {}), "adjustment": list(adjust),
                        "step": "mediation"}
    X.stamp(found, cs, (exposure, mediator, "complaints_per_1000_bed_days", *adjust))
    return cs.name, res, found


def answer(panel: pd.DataFrame, tables: Mapping[str, pd.DataFrame | NotHeld], *,
           sections: tuple[str, ...] = SECTIONS, n_boot: int = N_BOOT,
           seed: int = SEED) -> Chain:
    """The chain on each cross-section of ``sections`` (module docstring). ``tables`` maps
    the names of :data:`TABLES` to the tables beside the panel (a session's
    ``s.data(name)``) or :class:`~workbench.data.catalogue.NotHeld`; without any of them
    (the synthetic default) the chain says why and has no findings.
    """
    unknown = [s for s in sections if s not in X.SECTIONS]
    if unknown:
        raise AnalysisInputError("answer", "sections", f"has {unknown}",
                                 expected=f"some of {list(X.SECTIONS)}")
    held = {n: t for n, t in tables.items() if isinstance(t, pd.DataFrame)}
    if not held:
        gone = [t for t in tables.values() if isinstance(t, NotHeld)]
        return Chain(reason=str(gone[0]) if gone else "No published tables were given.")
    chain = Chain()
    for name in sections:
        cs = X.cross_section(panel, tables, name)
        chain.sections[name] = cs
        _section(chain, cs, n_boot, seed)
    return chain


def _section(chain: Chain, cs: X.CrossSection, n_boot: int, seed: int) -> None:
    name = cs.name
    staff = [x for x in STAFF[name] if cs.held(x, MIN_TRUSTS)]
    for x in STAFF[name]:
        if x not in staff:
            chain.missing.append(f"{name}: {X.label(x)} not held ({_why(cs, x)}).")
    waits = [w for w in WAITS if cs.held(w, MIN_TRUSTS)]
    outcomes = [o for o in EXPERIENCE[name]
                if cs.held(o, MIN_TRUSTS) and _rows(cs, o, staff[0] if staff else o)]
    if not waits:
        why = "; ".join(f"{X.label(w)}: {_why(cs, w)}" for w in WAITS)
        chain.missing.append(f"{name}, staff experience -> waits: not estimated, and no "
                             f"mediation split through waits: no waits measure is held for "
                             f"{cs.window.words} ({why}).")
    if not outcomes:
        chain.missing.append(f"{name}: no measure of patients' reported experience is held "
                             f"({'; '.join(_why(cs, o) for o in EXPERIENCE[name])}).")
    for x in staff:
        for w in waits:
            if _rows(cs, w, x) >= MIN_TRUSTS:
                chain.links.append(_link(cs, "staff_waits", x, w))
        for o in outcomes:
            if _rows(cs, o, x) >= MIN_TRUSTS:
                chain.links.append(_link(cs, "staff_experience", x, o))
    for w in waits:
        for o in outcomes:
            if _rows(cs, o, w) >= MIN_TRUSTS:
                chain.links.append(_link(cs, "waits_experience", w, o))
    for outcome, exposures in SHARES.items():
        if not cs.held(outcome, MIN_TRUSTS):
            continue
        for x in exposures:
            if cs.held(x, MIN_TRUSTS) and _rows(cs, outcome, x) >= MIN_TRUSTS:
                chain.links.append(_link(cs, "shares", x, outcome))
    if waits and "complaints" in outcomes and cs.held("complaints_per_1000_bed_days",
                                                      MIN_TRUSTS):
        for i, x in enumerate(x for x in staff if x in ("staff_enough_staff_pct",
                                                        "sickness_absence_pct")):
            m = _mediation(cs, x, waits[0], n_boot, seed + i)
            if m is not None:
                chain.mediation.append(m)
    elif waits and outcomes:
        chain.missing.append(f"{name}: no mediation split: it is made on written complaints "
                             "per occupied bed day, which this cross-section does not hold.")
