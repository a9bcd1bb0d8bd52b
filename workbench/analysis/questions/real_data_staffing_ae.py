"""Notebook 07 (real NHS data): staffing and staff experience against A&E and RTT waits.

Two parts. The A&E questions (:func:`ae_staffing_table`, :func:`ae_staffing_engagement`,
:func:`ae_staffing_limits`) relate each trust's month of A&E performance to its nurse
staffing and staff engagement in the panel. The staff survey questions relate the NHS
Staff Survey 2021-24 to the A&E and RTT waits that follow:

The staff survey results (one row per organisation x survey year, kept beside the panel
as ``staff_survey_years``) are joined to the panel's monthly A&E and RTT figures of the
same NHS trust. How a survey year maps to months is a choice (:data:`MAPPINGS`):

``following_year`` (the default)
    survey year ``Y`` -> January to December of ``Y + 1``. Fieldwork runs from September
    to early December of ``Y``, so the survey describes staff at the end of ``Y`` and the
    outcome is measured in the twelve months after it: the exposure comes first.
``financial_year``
    survey year ``Y`` -> April ``Y`` to March ``Y + 1``, the NHS financial year that
    contains the fieldwork (outcome and survey at about the same time).

Per trust and survey year the outcomes are: A&E % seen within 4 hours over the months of
the window (attendance-weighted: 100 x the sum of attendances within 4 hours / the sum of
attendances; at least ``min_months`` months, and trust-months with at least
``min_attendances`` attendances, i.e. major A&E departments), and RTT % within 18 weeks
(completed non-admitted pathways and the waiting list, pathway-weighted over the months
of the window that have them). Trusts are those the registers mark NHS.

Exposures (% of staff, as published): enough staff to do the job properly
(``staff_enough_staff_pct``), often or always burnt out (``staff_burnout_pct``), unwell
from work-related stress (``staff_work_stress_pct``), able to meet the conflicting
demands on their time (``staff_time_demands_pct``), autonomy and control
(``staff_autonomy_pct``). Each estimate is per 10 percentage points of the exposure.

Two designs, each stated in every finding:

* **cross-sectional** (``staff_cross``): trusts compared with each other, pooled over the
  survey years with year effects (``y ~ x + C(year)``, plus log A&E attendances for A&E):
  an association between trusts, open to every difference between trusts that goes with
  both staff experience and waits (local demand, deprivation, estate, case mix);
* **within-trust** (``staff_within``): the same trust in different survey years, with
  trust and year fixed effects (``y ~ x + C(year) + C(trust)``), where at least two survey
  years of a trust have outcomes: removes what does not change within a trust, not what
  changes with time inside it.

Standard errors are clustered by trust (CR1, t with clusters - 1 degrees of freedom).
A design with fewer than :data:`MIN_TRUSTS` trusts is a diagnostic with a warning.
Roles follow the headline rule (:mod:`workbench.analysis.findings.roles`): the
within-trust estimate is the headline where it can be made; the cross-sectional one is
shown beside it as a robustness view, and stays one where no within-trust estimate can be
made (trusts compared with each other are not an identified design; its confounding is
stated). Five exposures are tested against
each outcome; the study index adjusts headline p-values for multiple testing.

Example
-------
>>> s, p = example_data()
>>> t = outcome_table(s, p)
>>> sorted(t["year"].unique().tolist())
[2022, 2023]
>>> f = associations(t)
>>> sorted({x.id.split(":")[0] for x in f})
['staff_cross', 'staff_within']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

from workbench.analysis.findings import formatting, wording
from workbench.analysis.findings.record import Finding, Findings, with_question
from workbench.analysis.findings.roles import PRIMARY_OUTCOMES, assign_roles
from workbench.analysis.models import fit as md
from workbench.data.catalogue import NotHeld
from workbench.errors import AnalysisInputError
from workbench.finding_id import FindingId

#: exposure -> plain words (what share of staff)
EXPOSURES = {
    "staff_enough_staff_pct": "staff saying there are enough staff to do their job properly",
    "staff_burnout_pct": "staff often or always burnt out because of work",
    "staff_work_stress_pct": "staff unwell from work-related stress in the last 12 months",
    "staff_time_demands_pct": "staff able to meet the conflicting demands on their time",
    "staff_autonomy_pct": "staff reporting autonomy and control at work",
}
#: outcome -> (plain words, numerator-weight column in the panel, higher is better)
OUTCOMES = {
    "ae_pct_within_4h": ("A&E patients seen within 4 hours (%)", "ae_attendances"),
    "rtt_nonadmitted_pct_within_18w": (("completed non-admitted RTT pathways within 18 weeks "
                                       "(%)"), "rtt_nonadmitted_completed"),
    "rtt_pct_within_18w": ("RTT waiting list within 18 weeks (%)", "rtt_waiting_list"),
}
MAPPINGS = {
    "following_year": "survey year Y -> January to December of Y+1 (the 12 months after "
                      "fieldwork)",
    "financial_year": "survey year Y -> April Y to March Y+1 (the financial year of "
                      "fieldwork)",
}
PER = 10.0            # estimates per 10 percentage points of the exposure
MIN_TRUSTS = 20
MIN_MONTHS = 3
MIN_ATTENDANCES = 3000


def window(year: int, mapping: str = "following_year") -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last month a survey year stands for (:data:`MAPPINGS`).

    >>> [f"{m:%Y-%m}" for m in window(2023)]
    ['2024-01', '2024-12']
    >>> [f"{m:%Y-%m}" for m in window(2023, "financial_year")]
    ['2023-04', '2024-03']
    """
    if mapping == "following_year":
        return pd.Timestamp(f"{year + 1}-01-01"), pd.Timestamp(f"{year + 1}-12-01")
    if mapping == "financial_year":
        return pd.Timestamp(f"{year}-04-01"), pd.Timestamp(f"{year + 1}-03-01")
    raise AnalysisInputError("window", "mapping", f"is {mapping!r}",
                             expected=f"one of {list(MAPPINGS)}")


def outcome_table(survey: pd.DataFrame, panel: pd.DataFrame, *,
                  mapping: str = "following_year", min_months: int = MIN_MONTHS,
                  min_attendances: int = MIN_ATTENDANCES) -> pd.DataFrame:
    """One row per NHS trust x survey year: the exposures and the outcomes over the
    survey year's window (module docstring), with ``ae_months``, ``ae_attendances``,
    ``log_ae_attendances`` and ``window``. Outcomes without enough months are missing.

    >>> s, p = example_data()
    >>> outcome_table(s, p)[["ae_months"]].max().item()
    12
    """
    if mapping not in MAPPINGS:
        raise AnalysisInputError("outcome_table", "mapping", f"is {mapping!r}",
                                 expected=f"one of {list(MAPPINGS)}")
    need = ["provider_code", "year", *EXPOSURES]
    miss = [c for c in need if c not in survey.columns]
    if miss:
        raise AnalysisInputError("outcome_table", "survey", f"lacks columns {miss}",
                                 expected="the staff_survey_years table beside the panel")
    sectors = panel.drop_duplicates("provider_code").set_index("provider_code")["sector"]
    s = survey[survey["provider_code"].map(sectors) == "nhs"]
    rows = []
    cols = [c for c in ("ae_attendances", "ae_pct_within_4h", *OUTCOMES,
                        *(w for _, w in OUTCOMES.values())) if c in panel.columns]
    p = panel[panel["sector"] == "nhs"][["provider_code", "period", *dict.fromkeys(cols)]]
    by_trust = dict(tuple(p.groupby("provider_code")))
    for rec in s.itertuples(index=False):
        lo, hi = window(int(rec.year), mapping)
        row = {"provider_code": rec.provider_code, "year": int(rec.year),
               "window": f"{lo:%Y-%m}..{hi:%Y-%m}",
               **{e: getattr(rec, e) for e in EXPOSURES}}
        g = by_trust.get(rec.provider_code)
        g = g[(g["period"] >= lo) & (g["period"] <= hi)] if g is not None else None
        row["ae_months"] = 0
        if g is not None and "ae_attendances" in g:
            ae = g[(g["ae_attendances"] >= min_attendances) & g["ae_pct_within_4h"].notna()]
            row["ae_months"] = len(ae)
            if len(ae) >= min_months:
                att = ae["ae_attendances"].sum()
                row["ae_attendances"] = att / len(ae)
                row["ae_pct_within_4h"] = float(
                    (ae["ae_attendances"] * ae["ae_pct_within_4h"]).sum() / att)
        for out, (_, weight) in OUTCOMES.items():
            if out == "ae_pct_within_4h" or g is None or out not in g or weight not in g:
                continue
            r = g[g[out].notna() & (g[weight] > 0)]
            if len(r):
                row[out] = float((r[out] * r[weight]).sum() / r[weight].sum())
        rows.append(row)
    t = pd.DataFrame(rows)
    for c in ("ae_attendances", *OUTCOMES):
        if c not in t:
            t[c] = np.nan
    t["log_ae_attendances"] = np.log(t["ae_attendances"])
    t.attrs["mapping"] = mapping
    return t


def _fit(t: pd.DataFrame, outcome: str, exposure: str, design: str):
    cols = [outcome, exposure, "provider_code", "year"]
    adjust = ["log_ae_attendances"] if outcome == "ae_pct_within_4h" else []
    d = t.dropna(subset=cols + adjust).copy()
    if design == "within":
        years = d.groupby("provider_code")["year"].transform("nunique")
        d = d[years >= 2]
    trusts = d["provider_code"].nunique()
    if trusts < 3 or d["year"].nunique() < (2 if design == "within" else 1):
        return None, d
    d["x"] = d[exposure] / PER
    terms = ["x", *adjust]
    if d["year"].nunique() > 1:
        terms.append("C(year)")
    if design == "within":
        terms.append("C(provider_code)")
    formula = f"{outcome} ~ " + " + ".join(terms)
    groups = pd.factorize(d["provider_code"])[0]
    fit = smf.ols(formula, data=d).fit(cov_type="cluster", cov_kwds={"groups": groups},
                                       use_t=True)
    return fit, d


def associations(t: pd.DataFrame, *, exposures: tuple[str, ...] = tuple(EXPOSURES),
                 outcomes: tuple[str, ...] = tuple(OUTCOMES)) -> list[Finding]:
    """Findings of each exposure against each outcome, cross-sectional and within-trust
    (module docstring), for the outcomes the table has. An outcome with fewer than three
    trusts is skipped; a design with fewer than :data:`MIN_TRUSTS` is a diagnostic.

    >>> s, p = example_data()
    >>> f = associations(outcome_table(s, p), exposures=("staff_burnout_pct",),
    ...                  outcomes=("ae_pct_within_4h",))
    >>> [(x.id, x.role) for x in f]  # doctest: +NORMALIZE_WHITESPACE
    [('staff_within:staff_burnout_pct->ae_pct_within_4h@nhs', 'headline'),
     ('staff_cross:staff_burnout_pct->ae_pct_within_4h@nhs', 'robustness')]
    """
    mapping = t.attrs.get("mapping", "following_year")
    out: list[Finding] = []
    for outcome in outcomes:
        if outcome not in t or t[outcome].notna().sum() == 0:
            continue
        owords = OUTCOMES[outcome][0]
        for exposure in exposures:
            ewords = EXPOSURES[exposure]
            fits = {d: _fit(t, outcome, exposure, d) for d in ("within", "cross")}
            has_within = fits["within"][0] is not None and \
                fits["within"][1]["provider_code"].nunique() >= MIN_TRUSTS
            for design in ("within", "cross"):
                fit, d = fits[design]
                if fit is None:
                    continue
                trusts = int(d["provider_code"].nunique())
                years = sorted(int(y) for y in d["year"].unique())
                est = float(fit.params["x"])
                lo, hi = (float(v) for v in fit.conf_int().loc["x"])
                p = float(fit.pvalues["x"])
                warns = []
                if trusts < MIN_TRUSTS:
                    warns.append(f"only {trusts} trusts: too few clusters for a reliable "
                                 "interval")
                role = "diagnostic" if warns else ""   # else the headline rule's
                if design == "within":
                    how = (f"Within trusts (each trust compared with itself across survey "
                           f"years {', '.join(map(str, years))}; trust and year fixed "
                           f"effects; {trusts} trusts with two or more years)")
                else:
                    how = (f"Cross-sectional (trusts compared with each other, survey years "
                           f"{', '.join(map(str, years))}, {trusts} trusts; an association "
                           "between trusts that other differences between them may explain)")
                    if not has_within:
                        warns.append("no within-trust estimate: only one survey year has "
                                     "this outcome, so only trusts can be compared")
                sentence = (f"{how}: {owords} was "
                            f"{wording.change(est, lo, hi, 'percentage points')} for each 10 "
                            f"percentage points more {ewords}.")
                kind = "staff_within" if design == "within" else "staff_cross"
                out.append(Finding(
                    id=str(FindingId(kind, outcome, exposure, subset="nhs")),
                    question=(f"Do NHS trusts with more {ewords} have different {owords}? "
                              f"({'within-trust' if design == 'within' else 'cross-sectional'})"),
                    estimate=est, ci_low=lo, ci_high=hi, p_value=p, n=int(fit.nobs),
                    unit="percentage points per 10 percentage points of staff",
                    model=(f"OLS, {'trust and year fixed effects' if design == 'within' else 'year effects'}"
                           f", SEs clustered by trust (CR1, t with {trusts - 1} df); survey "
                           f"mapping {MAPPINGS[mapping]}"),
                    formula=fit.model.formula.replace(" x ", f" ({exposure}/10) ", 1),
                    sector="nhs", clusters=trusts, warning="; ".join(warns),
                    sentence=sentence, role=role))
    return list(assign_roles(out, exposures=exposures, outcomes=PRIMARY_OUTCOMES + outcomes,
                             units="trusts"))


def limits(t: pd.DataFrame) -> list[str]:
    """Plain sentences on what the joined table can and cannot show.

    >>> s, p = example_data()
    >>> limits(outcome_table(s, p))[0][:39]
    'Survey years are matched to months as s'
    """
    mapping = t.attrs.get("mapping", "following_year")
    notes = [f"Survey years are matched to months as shown: {MAPPINGS[mapping]}."]
    for outcome, (words, _) in OUTCOMES.items():
        have = t[t[outcome].notna()] if outcome in t else t.iloc[0:0]
        years = sorted(int(y) for y in have["year"].unique())
        if not years:
            notes.append(f"{words[0].upper() + words[1:]}: no survey year has these figures "
                         "in its window.")
            continue
        both = have.groupby("provider_code")["year"].nunique()
        notes.append(f"{words[0].upper() + words[1:]}: survey years {', '.join(map(str, years))}"
                     f" ({have['provider_code'].nunique()} trusts; {int((both >= 2).sum())} "
                     "with two or more years, which is what the within-trust estimate uses).")
    notes.append("NHS trusts only: independent providers take no part in the NHS Staff "
                 "Survey (a few social enterprises do, and have no A&E or RTT figures here).")
    notes.append("Cross-sectional estimates compare trusts with each other; within-trust "
                 "estimates compare each trust with itself in another year. Neither shows "
                 "that changing staff experience would change waits.")
    return notes


def example_data(n_trusts: int = 30, seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A small survey table (years 2022-23) and monthly NHS panel (2023-24) with A&E
    performance that falls by 1 point per 10 points of burnout, for examples and tests.

    >>> s, p = example_data(5)
    >>> len(s), p["period"].nunique()
    (10, 24)
    """
    rng = np.random.default_rng(seed)
    codes = [f"R{i:02d}" for i in range(n_trusts)]
    level = rng.normal(0, 5, n_trusts)
    s_rows, p_rows = [], []
    for year in (2022, 2023):
        burn = 30 + 0.5 * level + rng.normal(0, 4, n_trusts)
        for i, c in enumerate(codes):
            s_rows.append({"provider_code": c, "year": year, "staff_burnout_pct": burn[i],
                           **{e: 50 + rng.normal(0, 5) for e in EXPOSURES
                              if e != "staff_burnout_pct"}})
            for m in pd.date_range(f"{year + 1}-01-01", periods=12, freq="MS"):
                p_rows.append({"provider_code": c, "sector": "nhs", "period": m,
                               "ae_attendances": 8000.0 + rng.normal(0, 300),
                               "ae_pct_within_4h": 80 - 0.1 * burn[i] + level[i]
                               + rng.normal(0, 1)})
    return pd.DataFrame(s_rows), pd.DataFrame(p_rows)


@dataclass
class StaffExperience:
    """The staff survey part of notebook 07: the survey joined to the waits that follow
    (:func:`outcome_table`), its findings (:meth:`findings`) and what it can and cannot
    show (:meth:`limits`); or, when the study's data hold no staff survey, ``reason`` and
    an empty table, no findings and the reason as the only limit.
    """

    table: pd.DataFrame
    found: list[Finding] = field(default_factory=list)
    reason: str = ""

    def findings(self, question: str | None = None) -> Findings:
        """Each exposure against each outcome, within-trust and cross-sectional
        (:func:`associations`); ``question`` replaces the question each answers.
        """
        return with_question(self.found, question)

    def limits(self) -> list[str]:
        """Plain sentences on what the joined table can and cannot show (:func:`limits`),
        or the reason there is none.
        """
        return [self.reason] if self.reason else limits(self.table)


def staff_experience(survey: pd.DataFrame | NotHeld, panel: pd.DataFrame, *,
                     mapping: str = "following_year",
                     min_attendances: int = MIN_ATTENDANCES) -> StaffExperience:
    """The NHS Staff Survey 2021-24 results by trust (the ``staff_survey_years`` table
    beside the panel, from the session: ``s.data("staff_survey_years")``) against the
    waits that follow (module docstring); a survey the data do not hold
    (:class:`~workbench.data.catalogue.NotHeld`) gives a result saying why.

    >>> s, p = example_data()
    >>> len(staff_experience(s, p).findings()) > 0
    True
    >>> gone = staff_experience(NotHeld("staff_survey_years", "a synthetic panel"), p)
    >>> gone.findings(), gone.limits()
    (Findings([]), ["The study's data hold no staff_survey_years table: a synthetic panel."])
    """
    if isinstance(survey, NotHeld):
        return StaffExperience(pd.DataFrame(), reason=str(survey))
    table = outcome_table(survey, panel, mapping=mapping, min_attendances=min_attendances)
    return StaffExperience(table, associations(table))


def staff_label(finding: Finding) -> str:
    """A short figure label of a staff survey finding, from its id's parts: exposure ->
    outcome (design).

    >>> staff_label(Finding(id="staff_within:staff_burnout_pct->ae_pct_within_4h@nhs",
    ...                     question="q", estimate=1.0))
    'burnout -> ae_pct_within_4h (within)'
    """
    key = finding.key
    exposure = key.exposure.removeprefix("staff_").removesuffix("_pct")
    return f"{exposure} -> {key.outcome} ({key.kind.removeprefix('staff_')})"


def ae_label(finding: Finding) -> str:
    """A short figure label of an A&E finding, from its id's parts: the exposure and, for
    another way of estimating it, the variant.

    >>> ae_label(Finding(id="effect:staff_engagement->ae_pct_within_4h@nhs#within",
    ...                  question="q", estimate=1.0))
    'staff_engagement#within'
    """
    key = finding.key
    return key.exposure + (f"#{key.variant}" if key.variant else "")


# ------------------------------------------------------- A&E and staffing in the panel


#: Fewest A&E attendances in a month for a trust-month to count as a major A&E department.
MIN_AE_ATTENDANCES = 3000


def ae_staffing_table(panel: pd.DataFrame, start: str = "", end: str = "",
                      min_attendances: int = MIN_AE_ATTENDANCES) -> pd.DataFrame:
    """NHS acute trust-months with A&E figures between ``start`` and ``end`` (YYYY-MM;
    empty: no limit), with the derived staffing columns used by :func:`ae_staffing_engagement`.

    The derived columns:

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
        f.sentence = (f"A&E patients seen within 4 hours were "
                      f"{wording.change(f.estimate, f.ci_low, f.ci_high, 'percentage points')} "
                      f"for each {words}.")
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
        for f, term in zip(md.fit(spec, t).findings(q), spec.exposures):
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
         f"{formatting.count(min_attendances)} attendances); {staffed} of them have "
         f"workforce figures and {engaged} staff survey results in those months. Trusts that merged or changed "
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
