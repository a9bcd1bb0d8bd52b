"""Cross-sections of NHS trusts: measures of different frequencies aligned on one period.

The published measures come at their own frequencies: the adult inpatient survey and the
NHS Staff Survey once a year, written complaints (KO41a) once a financial year, KH03 beds
each quarter, sickness absence and A&E each month. They are kept that way beside the panel
(:mod:`workbench.data.side_tables`); nothing annual is spread over months. A question that
compares trusts on several of them takes one **cross-section** (one row per trust) whose
periods are aligned explicitly, here, and every finding made from it says which periods
were aligned (:meth:`CrossSection.periods_text`).

The two cross-sections (:data:`SECTIONS`)
-----------------------------------------
``2022`` -- survey year 2022
    * patients' experience: the Adult Inpatient Survey 2022 (patients discharged in November
      2022): :data:`EXPERIENCE_SECTIONS`, see :func:`inpatient_experience`;
    * staff: the NHS Staff Survey 2022 (fieldwork September to December 2022);
    * waits: A&E and RTT of September to December 2022, the months of the staff survey's
      fieldwork, which hold the November discharges (pooled over the months held:
      attendance- or pathway-weighted, never a mean of monthly rates);
    * size: KH03 beds of the quarters that overlap those months;
    * case mix: the survey's respondents' age and sex (as published), trust type
      (specialist or not, from the staff survey's benchmarking group) and size (beds).
``2024-25`` -- financial year April 2024 to March 2025
    * written complaints 2024-25 (KO41a), per 1,000 occupied bed days (:func:`bed_days`);
    * sickness absence, April 2024 to March 2025: days lost over days available, summed over
      the months (never a mean of monthly rates);
    * staff: the NHS Staff Survey 2024 (fieldwork September to December 2024, inside the
      year); waits: A&E (and RTT where held) of April 2024 to March 2025, pooled;
    * case mix: trust type and size (the inpatient survey's respondents describe 2022, not
      this year, and are not used).

Occupied bed days (the complaints' exposure) are the average occupied overnight beds (KH03,
all bed sectors) of the quarters of the window times the days of the window. When KH03 does
not reach the window's end (the published series ends in June 2024), the latest quarters
held, as many as the window has, stand in for it (July 2023 to June 2024 for 2024-25), and
the alignment says so: an assumption that occupancy did not change much in a year.

Rates with their exposure (:func:`complaint_rates`): complaints per 1,000 occupied bed
days, the upheld share (upheld / resolved), and complaints about waiting times or about
staffing numbers as shares of the subjects recorded. Pooled over trusts each is a ratio of
sums. They are counts with an exposure, and are modelled as counts
(:func:`count_models`: negative binomial for complaints per bed days, Poisson for the
shares, each with its exposure as a log offset; :mod:`workbench.analysis.models`).

Findings from a cross-section compare trusts with each other in one period: they are
associations between trusts, not the effect of a change within a trust.

Example
-------
>>> panel, tables = example_tables()
>>> cs = cross_section(panel, tables, "2024-25")
>>> sorted(cs.table.columns)[:3]
['ae_attendances', 'ae_pct_within_4h', 'ae_pct_within_4h_months']
>>> print(cs.aligned_for("complaints").period)
financial year 2024-25 (April 2024 to March 2025)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workbench.analysis.findings import formatting
from workbench.analysis.findings.record import Finding, Findings
from workbench.analysis.models import fit as md
from workbench.data import measures as M
from workbench.data.catalogue import NotHeld
from workbench.errors import AnalysisInputError

#: The sections of the inpatient survey whose mean is the experience score: the sections
#: made of several questions. The workbook names no item as overall experience and holds no
#: question wording; sections S08-S11 each hold one question whose wording cannot be
#: established from the published file (S08 averages about 1.3 of 10, not a rating of the
#: stay), so they are left out.
EXPERIENCE_SECTIONS: tuple[str, ...] = ("S01", "S02", "S03", "S04", "S05", "S06", "S07")
#: A trust's experience score needs at least this many of :data:`EXPERIENCE_SECTIONS`
#: (one section may be suppressed: fewer than 30 respondents answered it).
MIN_SECTIONS = 6
#: A pooled monthly measure needs at least this share of the window's months.
MIN_MONTH_SHARE = 0.75
#: Staff survey benchmarking groups counted as specialist trusts (trust type).
SPECIALIST = "specialist"
#: Complaints per occupied bed day only for trusts with at least this many occupied
#: overnight beds on average: below it, overnight beds do not describe the trust's activity.
MIN_OCCUPIED_BEDS = 100.0
#: Labels of the columns of a cross-section that are not measures of the registry.
LABELS: dict[str, str] = {
    "specialist_trust": "Specialist trust (staff survey benchmarking group)",
    "log_beds": "Log of beds",
    "complaints_upheld_pct": "Complaints upheld (% of those resolved)",
    "complaints_waiting_pct": "Complaint subjects about waiting times (% of subjects)",
    "complaints_staffing_pct": "Complaint subjects about staffing numbers (% of subjects)",
    "complaints_resolved": "Complaints resolved",
    "complaint_subjects": "Complaint subjects recorded",
    "log_complaints_per_1000_bed_days": "Written complaints per 1,000 occupied bed days (log)",
}


def words(column: str) -> str:
    """A column's label for the middle of a sentence: without its unit, lower case unless
    it starts with an abbreviation.

    >>> words("ae_pct_within_4h"), words("staff_burnout_pct")
    ('A&E seen within 4 hours', 'staff often or always burnt out')
    """
    import re

    text = re.sub(r"\s*\([^)]*\)\s*$", "", label(column))
    return text if text[:2].isupper() or text[:3] == "A&E" else text[:1].lower() + text[1:]


def per_unit(column: str) -> str:
    """One more unit of a column, in words ('percentage point of staff saying ...').

    >>> per_unit("sickness_absence_pct")
    'percentage point of Sickness absence'
    """
    m = M.MEASURES.get(column)
    return m.per_unit if m is not None else f"unit of {words(column)}"


def label(column: str) -> str:
    """The label of a cross-section's column: the registry's, else :data:`LABELS`, else
    the name.

    >>> label("specialist_trust"), label("beds")
    ('Specialist trust (staff survey benchmarking group)', 'Beds')
    """
    return M.label(column) if column in M.MEASURES else LABELS.get(column, column)


@dataclass(frozen=True)
class Window:
    """The periods one cross-section aligns: its months, the survey years and the
    financial year it takes, in words.
    """

    name: str
    first: pd.Timestamp
    last: pd.Timestamp
    words: str
    survey_year: int | None = None
    staff_survey_year: int | None = None
    financial_year: str | None = None
    #: window of the waits and other monthly measures (default: the whole window)
    months_first: pd.Timestamp | None = None
    months_last: pd.Timestamp | None = None

    def months(self) -> pd.DatetimeIndex:
        """The month starts of the monthly measures' window."""
        return pd.date_range(self.months_first or self.first, self.months_last or self.last,
                             freq="MS")

    def months_words(self) -> str:
        """The monthly window in words ('September to December 2022')."""
        m = self.months()
        if m[0].year == m[-1].year:
            return f"{m[0]:%B} to {m[-1]:%B %Y}"
        return f"{m[0]:%B %Y} to {m[-1]:%B %Y}"


#: The cross-sections (module docstring).
SECTIONS: dict[str, Window] = {
    "2022": Window("2022", pd.Timestamp("2022-09-01"), pd.Timestamp("2022-12-01"),
                   "survey year 2022", survey_year=2022, staff_survey_year=2022),
    "2024-25": Window("2024-25", pd.Timestamp("2024-04-01"), pd.Timestamp("2025-03-01"),
                      "financial year 2024-25 (April 2024 to March 2025)",
                      staff_survey_year=2024, financial_year="2024-25"),
}


@dataclass(frozen=True)
class Aligned:
    """One measure of a cross-section and the period it was taken for.

    ``source`` is the table it comes from, ``period`` the period in words, ``frequency``
    that of the source, ``trusts`` how many trusts of the population have it and ``note``
    anything a reader must know (an exposure taken from another year).
    """

    measure: str
    source: str
    period: str
    frequency: str
    trusts: int
    note: str = ""

    def text(self) -> str:
        """The alignment in one phrase.

        >>> Aligned("complaints", "complaints", "financial year 2024-25", "annual", 120).text()
        'Written complaints: financial year 2024-25 (annual, 120 trusts)'
        """
        note = f"; {self.note}" if self.note else ""
        return (f"{label(self.measure)}: {self.period} ({self.frequency}, {self.trusts} "
                f"trusts{note})")


@dataclass
class CrossSection:
    """One row per trust of the population (``table``), the periods aligned (``aligned``)
    and why measures are absent (``missing``: measure -> reason).
    """

    name: str
    window: Window
    population: str
    table: pd.DataFrame
    aligned: list[Aligned] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)

    @property
    def trusts(self) -> int:
        """The trusts of the population in the cross-section."""
        return len(self.table)

    def held(self, column: str, min_trusts: int = 1) -> bool:
        """True when at least ``min_trusts`` trusts have a value of ``column``."""
        return column in self.table.columns and int(self.table[column].notna().sum()) >= \
            min_trusts

    def aligned_for(self, measure: str) -> Aligned | None:
        """The alignment of ``measure`` (None when it is not held)."""
        return next((a for a in self.aligned if a.measure == measure), None)

    def periods_text(self, measures: tuple[str, ...] | None = None) -> str:
        """Which periods were aligned, for the findings: one phrase per measure held, then
        what is not held and why (only ``measures`` when given).

        >>> panel, tables = example_tables()
        >>> cross_section(panel, tables, "2022").periods_text(("rtt_pct_within_18w",))[57:]
        'RTT waiting within 18 weeks (%): not held (the panel holds no RTT waiting list (incomplete pathways) for September to December 2022).'
        """
        keep = [a for a in self.aligned if measures is None or a.measure in measures]
        gone = {m: r for m, r in self.missing.items() if measures is None or m in measures}
        groups: dict[tuple, list[str]] = {}
        for a in keep:  # measures of one source and period together
            groups.setdefault((a.period, a.frequency, a.trusts, a.note), []).append(
                label(a.measure))
        parts = [f"{', '.join(names)}: {period} ({freq}, {n} trusts{'; ' + note if note else ''})"
                 for (period, freq, n, note), names in groups.items()]
        parts += [f"{label(m)}: not held ({r})" for m, r in gone.items()]
        return (f"Periods aligned for {self.window.words} ({self.population}): "
                + "; ".join(parts) + ".")

    def findings(self, question: str | None = None) -> Findings:
        """No findings of its own (the models on it make them)."""
        return Findings([])


# ---- the pieces ---------------------------------------------------------------------------

def _need(table, name: str, columns: tuple[str, ...], function: str) -> pd.DataFrame | None:
    if table is None or isinstance(table, NotHeld):
        return None
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise AnalysisInputError(function, name, f"lacks columns {missing}",
                                 expected=f"the {name} table beside the panel")
    return table


def inpatient_experience(scores: pd.DataFrame, survey_year: int, *,
                         sections: tuple[str, ...] = EXPERIENCE_SECTIONS,
                         min_sections: int = MIN_SECTIONS) -> pd.DataFrame:
    """Each trust's inpatient experience score: the mean of its ``sections`` scores (0-10)
    in ``survey_year``, with ``experience_sections`` (how many were averaged); trusts
    with fewer than ``min_sections`` are left out.

    Why this summary: the benchmark workbook names no item as overall experience and holds
    no question wording (``docs/data_sources.md``); the sections made of several questions
    cover the stay from admission to leaving hospital, and their unweighted mean weights
    each part of the stay equally. The scores are CQC's, standardised by route of
    admission, age and sex.

    >>> s = pd.DataFrame({"provider_code": ["A"] * 7, "survey_year": 2022,
    ...                   "item": list(EXPERIENCE_SECTIONS), "score": [7.0, 8, 9, 8, 8, 8, 7]})
    >>> inpatient_experience(s, 2022)["inpatient_experience_score"].round(3).tolist()
    [7.857]
    """
    s = scores[(scores["survey_year"] == survey_year) & scores["item"].isin(sections)]
    s = s.dropna(subset=["score"])
    g = s.groupby("provider_code")["score"]
    out = pd.DataFrame({"inpatient_experience_score": g.mean(), "experience_sections": g.size()})
    out = out[out["experience_sections"] >= min_sections]
    return out.reset_index()


def respondent_mix(respondents: pd.DataFrame, survey_year: int) -> pd.DataFrame:
    """The inpatient survey's respondents per trust: ``inpatients_aged_66_plus_pct``
    (``age4_tpc``), ``inpatients_female_pct`` (``sexatbirth2_tpc``) and
    ``inpatient_respondents``. Unweighted, as published.

    >>> r = pd.DataFrame({"provider_code": ["A", "A"], "survey_year": 2022,
    ...     "variable": ["age4_tpc", "sexatbirth2_tpc"], "pct": [60.0, 52.0],
    ...     "respondents": [400.0, 400.0]})
    >>> [float(x) for x in respondent_mix(r, 2022).iloc[0, 1:]]
    [60.0, 52.0, 400.0]
    """
    r = respondents[respondents["survey_year"] == survey_year]
    wide = r.pivot_table(index="provider_code", columns="variable", values="pct",
                         aggfunc="first")
    out = pd.DataFrame(index=wide.index)
    out["inpatients_aged_66_plus_pct"] = wide.get("age4_tpc")
    out["inpatients_female_pct"] = wide.get("sexatbirth2_tpc")
    out["inpatient_respondents"] = r.groupby("provider_code")["respondents"].first()
    return out.reset_index()


def staff_survey(survey: pd.DataFrame, year: int) -> pd.DataFrame:
    """The NHS Staff Survey of ``year`` per organisation: the rates held
    (``staff_enough_staff_pct``, ``staff_burnout_pct``, ``staff_work_stress_pct``, ...)
    and ``specialist_trust`` (1 when the benchmarking group names a specialist trust).

    >>> t = pd.DataFrame({"provider_code": ["A"], "year": [2022], "staff_enough_staff_pct":
    ...                   [30.0], "benchmarking_group": ["Acute Specialist Trusts"]})
    >>> staff_survey(t, 2022)[["staff_enough_staff_pct", "specialist_trust"]].iloc[0].tolist()
    [30.0, 1.0]
    """
    s = survey[survey["year"] == year].copy()
    keep = ["provider_code"] + [c for c in s.columns if c.startswith("staff_")
                                and c.endswith("_pct")]
    out = s[keep].copy()
    group = s.get("benchmarking_group", pd.Series(index=s.index, dtype=object))
    out["specialist_trust"] = group.astype("string").str.lower().str.contains(
        SPECIALIST).astype(float).to_numpy()
    return out.drop_duplicates("provider_code")


def pooled_months(panel: pd.DataFrame, months: pd.DatetimeIndex, *,
                  count: str, total: str, name: str, share_of_months: float = MIN_MONTH_SHARE,
                  complement: bool = False) -> pd.DataFrame:
    """A percentage pooled over ``months`` per provider: 100 x sum(``count``) /
    sum(``total``) (``100 - that`` when ``complement``), with ``<name>_months`` and the
    summed ``total``; providers with fewer than ``share_of_months`` of the months left out.
    Never a mean of monthly rates.

    >>> p = pd.DataFrame({"provider_code": ["A", "A"], "period": pd.to_datetime(
    ...     ["2024-04-01", "2024-05-01"]), "ae_over_4h": [10.0, 30.0],
    ...     "ae_attendances": [100.0, 100.0]})
    >>> pooled_months(p, pd.date_range("2024-04-01", "2024-05-01", freq="MS"),
    ...     count="ae_over_4h", total="ae_attendances", name="ae_pct_within_4h",
    ...     complement=True)["ae_pct_within_4h"].tolist()
    [80.0]
    """
    cols = ["provider_code", "period", count, total]
    if any(c not in panel.columns for c in cols):
        return pd.DataFrame(columns=["provider_code", name, f"{name}_months", total])
    rows = panel.loc[panel["period"].isin(months), cols].dropna()
    rows = rows[rows[total] > 0]
    g = rows.groupby("provider_code")
    out = pd.DataFrame({"num": g[count].sum(), total: g[total].sum(), "n": g.size()})
    pct = 100.0 * out["num"] / out[total]
    out[name] = 100.0 - pct if complement else pct
    out[f"{name}_months"] = out["n"]
    out = out[out["n"] >= share_of_months * len(months)]
    return out[[name, f"{name}_months", total]].reset_index()


def pooled_sickness(sickness: pd.DataFrame, months: pd.DatetimeIndex, *,
                    share_of_months: float = MIN_MONTH_SHARE) -> pd.DataFrame:
    """Sickness absence over ``months`` per organisation: 100 x sum(days lost) /
    sum(days available) (never a mean of monthly rates), with ``sickness_months``.

    >>> t = pd.DataFrame({"provider_code": ["A", "A"], "period": pd.to_datetime(
    ...     ["2024-04-01", "2024-05-01"]), "fte_days_lost": [10.0, 30.0],
    ...     "fte_days_available": [100.0, 1000.0]})
    >>> pooled_sickness(t, pd.date_range("2024-04-01", "2024-05-01", freq="MS"))[
    ...     "sickness_absence_pct"].round(3).tolist()
    [3.636]
    """
    rows = sickness[sickness["period"].isin(months)].dropna(
        subset=["fte_days_lost", "fte_days_available"])
    g = rows.groupby("provider_code")
    out = pd.DataFrame({"fte_days_lost": g["fte_days_lost"].sum(),
                        "fte_days_available": g["fte_days_available"].sum(),
                        "sickness_months": g.size()})
    out["sickness_absence_pct"] = 100.0 * out["fte_days_lost"] / out[
        "fte_days_available"].where(out["fte_days_available"] > 0)
    out = out[out["sickness_months"] >= share_of_months * len(months)]
    return out.reset_index()


def bed_days(beds: pd.DataFrame, window: Window) -> tuple[pd.DataFrame, str, str]:
    """Occupied bed days and beds per organisation for ``window`` (module docstring):
    ``occupied_bed_days`` (average occupied overnight beds, all bed sectors, over the
    quarters taken, x the window's days), ``beds`` (average available overnight beds) and
    ``bed_quarters``; with the period taken in words and a note when it is not the
    window's own.

    >>> b = pd.DataFrame({"provider_code": ["A"] * 2, "sector": ["General & Acute"] * 2,
    ...     "period": pd.to_datetime(["2023-07-01", "2023-10-01"]), "frequency": "quarterly",
    ...     "days": [92, 92], "beds_available": [110.0, 110.0], "beds_occupied": [100.0, 100.0]})
    >>> t, period, note = bed_days(b, SECTIONS["2024-25"])
    >>> float(t["occupied_bed_days"].iloc[0]), period
    (36500.0, 'July 2023 to December 2023')
    """
    q = beds[beds["frequency"] == "quarterly"]
    first, last = window.first, window.last
    days = int((last + pd.offsets.MonthEnd(0) - first).days) + 1
    wanted = max(1, round(len(pd.date_range(first, last, freq="MS")) / 3))
    periods = sorted(q["period"].drop_duplicates())
    inside = [p for p in periods if first - pd.DateOffset(months=2) <= p <= last]
    note = ""
    if len(inside) < wanted:
        before = [p for p in periods if p <= last]
        inside = before[-wanted:]
        if inside:
            ends = periods[-1] + pd.DateOffset(months=2)
            note = (f"KH03 ends {ends:%B %Y}: the latest {len(inside)} quarter(s) held "
                    "stand in for the window's own")
    if not inside:
        empty = pd.DataFrame({"provider_code": pd.Series(dtype=object),
                              **{c: pd.Series(dtype=float) for c in
                                 ("occupied_bed_days", "beds", "bed_quarters")}})
        return empty, "no quarter held", ""
    rows = q[q["period"].isin(inside)]
    per = rows.groupby(["provider_code", "period"]).agg(
        occ=("beds_occupied", "sum"), avail=("beds_available", "sum"),
        days=("days", "first")).reset_index()
    per = per.assign(occ_days=per["occ"] * per["days"], avail_days=per["avail"] * per["days"])
    g = per.groupby("provider_code")
    out = pd.DataFrame({"occupied_beds": g["occ_days"].sum() / g["days"].sum(),
                        "beds": g["avail_days"].sum() / g["days"].sum(),
                        "bed_quarters": g.size()})
    out["occupied_bed_days"] = out["occupied_beds"] * days
    end = max(inside) + pd.DateOffset(months=2)
    period = f"{min(inside):%B %Y} to {end:%B %Y}"
    return out.reset_index(), period, note


def complaint_counts(complaints: pd.DataFrame, financial_year: str) -> pd.DataFrame:
    """The KO41a counts of ``financial_year`` per organisation, named as the models use
    them: ``complaints`` (new in the year), ``complaints_resolved``, ``complaints_upheld``,
    ``complaints_waiting`` and ``complaints_staffing`` (subjects recorded), and
    ``complaint_subjects`` (all subjects recorded; missing where none are recorded).

    >>> c = pd.DataFrame({"provider_code": ["A"], "financial_year": ["2024-25"],
    ...     "complaints_new": [120.0], "complaints_resolved": [100.0],
    ...     "complaints_upheld": [30.0], "complaints_waiting_times": [12.0],
    ...     "complaints_staffing_numbers": [3.0], "complaints_subjects_total": [150.0],
    ...     "subjects_recorded": [True]})
    >>> complaint_counts(c, "2024-25").iloc[0]["complaints"]
    np.float64(120.0)
    """
    c = complaints[complaints["financial_year"] == financial_year]
    recorded = c["subjects_recorded"].astype(bool) if "subjects_recorded" in c else \
        c["complaints_subjects_total"] > 0
    return pd.DataFrame({
        "provider_code": c["provider_code"].astype(str),
        "complaints": c["complaints_new"],
        "complaints_resolved": c["complaints_resolved"],
        "complaints_upheld": c["complaints_upheld"],
        "complaints_waiting": c["complaints_waiting_times"].where(recorded),
        "complaints_staffing": c["complaints_staffing_numbers"].where(recorded),
        "complaint_subjects": c["complaints_subjects_total"].where(recorded),
    }).drop_duplicates("provider_code")


def complaint_rates(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` (a cross-section with the counts of :func:`complaint_counts` and
    ``occupied_bed_days``) with the rates: ``complaints_per_1000_bed_days``,
    ``complaints_upheld_pct`` (of resolved), ``complaints_waiting_pct`` and
    ``complaints_staffing_pct`` (of the subjects recorded).

    >>> t = pd.DataFrame({"complaints": [120.0], "occupied_bed_days": [200000.0],
    ...     "complaints_resolved": [100.0], "complaints_upheld": [30.0],
    ...     "complaints_waiting": [12.0], "complaints_staffing": [3.0],
    ...     "complaint_subjects": [150.0]})
    >>> complaint_rates(t)[["complaints_per_1000_bed_days", "complaints_upheld_pct"]].iloc[0].tolist()
    [0.6, 30.0]
    """
    out = table.copy()

    def ratio(num: str, den: str, scale: float) -> pd.Series:
        if num not in out or den not in out:
            return pd.Series(np.nan, index=out.index)
        return scale * out[num] / out[den].where(out[den] > 0)

    out["complaints_per_1000_bed_days"] = ratio("complaints", "occupied_bed_days", 1000.0)
    out["complaints_upheld_pct"] = ratio("complaints_upheld", "complaints_resolved", 100.0)
    out["complaints_waiting_pct"] = ratio("complaints_waiting", "complaint_subjects", 100.0)
    out["complaints_staffing_pct"] = ratio("complaints_staffing", "complaint_subjects", 100.0)
    return out


#: Pooled rates over trusts: rate -> (numerator, denominator, scale).
POOLED_RATES: dict[str, tuple[str, str, float]] = {
    "complaints_per_1000_bed_days": ("complaints", "occupied_bed_days", 1000.0),
    "complaints_upheld_pct": ("complaints_upheld", "complaints_resolved", 100.0),
    "complaints_waiting_pct": ("complaints_waiting", "complaint_subjects", 100.0),
    "complaints_staffing_pct": ("complaints_staffing", "complaint_subjects", 100.0),
    "sickness_absence_pct": ("fte_days_lost", "fte_days_available", 100.0),
}


def pooled_rates(table: pd.DataFrame) -> pd.DataFrame:
    """Each rate of :data:`POOLED_RATES` over all trusts of ``table``: the ratio of the sums
    (rows missing either part left out), with the trusts and the two sums.

    >>> t = pd.DataFrame({"complaints": [10.0, 30.0], "occupied_bed_days": [1e4, 1e5]})
    >>> pooled_rates(t).set_index("rate").loc["complaints_per_1000_bed_days", "value"].round(4)
    np.float64(0.3636)
    """
    rows = []
    for rate, (num, den, scale) in POOLED_RATES.items():
        if num not in table or den not in table:
            continue
        d = table[[num, den]].dropna()
        d = d[d[den] > 0]
        if d.empty:
            continue
        rows.append({"rate": rate, "label": label(rate),
                     "value": scale * d[num].sum() / d[den].sum(), "trusts": len(d),
                     "numerator": d[num].sum(), "denominator": d[den].sum()})
    return pd.DataFrame(rows, columns=["rate", "label", "value", "trusts", "numerator",
                                       "denominator"])


# ---- the cross-section ---------------------------------------------------------------------

def _population(panel: pd.DataFrame) -> pd.DataFrame:
    ident = panel.drop_duplicates("provider_code")
    keep = ident[(ident["sector"] == "nhs") & (ident["setting"] == "acute")]
    return keep[["provider_code", "provider_name", "sector", "setting"]].reset_index(drop=True)


def cross_section(panel: pd.DataFrame, tables: Mapping[str, pd.DataFrame | NotHeld],
                  which: str = "2022") -> CrossSection:
    """The cross-section ``which`` (:data:`SECTIONS`) of acute NHS trusts (the panel's
    registers: sector ``nhs``, setting ``acute``): one row per trust with every measure the
    tables hold for it, aligned as the module says. ``tables`` maps table names of the
    catalogue (``staff_survey_years``, ``inpatient_survey``, ``inpatient_respondents``,
    ``sickness_absence``, ``complaints``, ``beds``) to DataFrames or
    :class:`~workbench.data.catalogue.NotHeld`; an absent or not-held table leaves its
    measures out, with the reason in ``missing``.

    >>> panel, tables = example_tables()
    >>> cs = cross_section(panel, tables, "2022")
    >>> cs.trusts, cs.held("inpatient_experience_score"), cs.held("ae_pct_within_4h")
    (30, True, False)
    """
    if which not in SECTIONS:
        raise AnalysisInputError("cross_section", "which", f"is {which!r}",
                                 expected=f"one of {list(SECTIONS)}")
    w = SECTIONS[which]
    pop = _population(panel)
    out = pop.copy()
    aligned: list[Aligned] = []
    missing: dict[str, str] = {}

    def add(frame: pd.DataFrame, measures: list[str], source: str, period: str,
            frequency: str, note: str = "") -> None:
        nonlocal out
        frame = frame[frame["provider_code"].isin(out["provider_code"])]
        out = out.merge(frame, on="provider_code", how="left")
        for m in measures:
            n = int(out[m].notna().sum()) if m in out else 0
            if n:
                aligned.append(Aligned(m, source, period, frequency, n, note))
            else:
                missing[m] = f"no trust of the population has it for {period}"

    def absent(measures: list[str], table: str) -> None:
        t = tables.get(table)
        why = (t.reason if isinstance(t, NotHeld) else
               f"the study's data hold no {table} table")
        for m in measures:
            missing[m] = why

    # staff survey
    ss = _need(tables.get("staff_survey_years"), "staff_survey_years",
               ("provider_code", "year"), "cross_section")
    staff_cols = ["staff_enough_staff_pct", "staff_burnout_pct", "staff_work_stress_pct"]
    if ss is not None and (ss["year"] == w.staff_survey_year).any():
        s = staff_survey(ss, w.staff_survey_year)
        add(s, [c for c in staff_cols if c in s.columns] + ["specialist_trust"],
            "staff_survey_years", f"NHS Staff Survey {w.staff_survey_year} (fieldwork "
            f"September to December {w.staff_survey_year})", "annual")
    elif ss is None:
        absent(staff_cols, "staff_survey_years")
    else:
        for c in staff_cols:
            missing[c] = f"the staff survey table holds no {w.staff_survey_year} results"
    # inpatient survey
    if w.survey_year is not None:
        sc = _need(tables.get("inpatient_survey"), "inpatient_survey",
                   ("provider_code", "survey_year", "item", "score"), "cross_section")
        if sc is not None:
            add(inpatient_experience(sc, w.survey_year), ["inpatient_experience_score"],
                "inpatient_survey", f"Adult Inpatient Survey {w.survey_year} (patients "
                f"discharged in November {w.survey_year})", "annual",
                f"mean of sections {EXPERIENCE_SECTIONS[0]}-{EXPERIENCE_SECTIONS[-1]}")
        else:
            absent(["inpatient_experience_score"], "inpatient_survey")
        rs = _need(tables.get("inpatient_respondents"), "inpatient_respondents",
                   ("provider_code", "survey_year", "variable", "pct"), "cross_section")
        if rs is not None:
            add(respondent_mix(rs, w.survey_year),
                ["inpatients_aged_66_plus_pct", "inpatients_female_pct"],
                "inpatient_respondents", f"Adult Inpatient Survey {w.survey_year} respondents",
                "annual")
        else:
            absent(["inpatients_aged_66_plus_pct", "inpatients_female_pct"],
                   "inpatient_respondents")
    # waits (monthly, from the panel), pooled over the window's months
    months = w.months()
    for name, count, total, comp in (
            ("ae_pct_within_4h", "ae_over_4h", "ae_attendances", True),
            ("rtt_pct_within_18w", "rtt_within_18w", "rtt_waiting_list", False)):
        t = pooled_months(panel, months, count=count, total=total, name=name, complement=comp)
        if t[name].notna().any():
            add(t, [name], "panel", f"{w.months_words()}, pooled over the months held "
                f"({'attendance' if total == 'ae_attendances' else 'pathway'}-weighted)",
                "monthly")
        else:
            held = sorted(pd.to_datetime(panel.loc[panel[total].notna(), "period"]).dt.year
                          .unique().tolist()) if total in panel else []
            missing[name] = (f"the panel holds no {M.label(total)} for {w.months_words()}"
                             + (f"; it holds them for {_years(held)}" if held else ""))
    # sickness absence (monthly)
    sa = _need(tables.get("sickness_absence"), "sickness_absence",
               ("provider_code", "period", "fte_days_lost", "fte_days_available"),
               "cross_section")
    if sa is not None and sa["period"].isin(months).any():
        add(pooled_sickness(sa, months), ["sickness_absence_pct"], "sickness_absence",
            f"{w.months_words()}, days lost over days available summed over the months",
            "monthly")
    elif sa is not None:
        missing["sickness_absence_pct"] = (f"the sickness absence table holds no month of "
                                           f"{w.months_words()} (it holds "
                                           f"{_years(sorted(sa['period'].dt.year.unique()))})")
    else:
        absent(["sickness_absence_pct"], "sickness_absence")
    # beds (quarterly): size, and occupied bed days as the complaints' exposure
    bd = _need(tables.get("beds"), "beds", ("provider_code", "period", "frequency", "days",
                                            "beds_available", "beds_occupied"), "cross_section")
    if bd is not None:
        t, period, note = bed_days(bd, w)
        add(t, ["beds", "occupied_bed_days"], "beds", f"KH03 overnight beds, {period}",
            "quarterly", note)
        if "beds" in out:
            b = pd.to_numeric(out["beds"], errors="coerce")
            out["log_beds"] = np.log(b.where(b > 0))
    else:
        absent(["beds", "occupied_bed_days"], "beds")
    # complaints (annual, financial year)
    if w.financial_year:
        cp = _need(tables.get("complaints"), "complaints",
                   ("provider_code", "financial_year", "complaints_new", "complaints_resolved",
                    "complaints_upheld", "complaints_waiting_times",
                    "complaints_staffing_numbers", "complaints_subjects_total"),
                   "cross_section")
        if cp is not None and (cp["financial_year"] == w.financial_year).any():
            add(complaint_counts(cp, w.financial_year),
                ["complaints", "complaints_waiting", "complaints_staffing"], "complaints",
                f"financial year {w.financial_year} (April {w.first:%Y} to March {w.last:%Y})",
                "annual")
            out = complaint_rates(out)
            few = pd.to_numeric(out.get("occupied_bed_days"), errors="coerce") < \
                MIN_OCCUPIED_BEDS * (int((w.last + pd.offsets.MonthEnd(0) - w.first).days) + 1)
            out.loc[few, "complaints_per_1000_bed_days"] = np.nan
            out.loc[few, "occupied_bed_days"] = np.nan
            n = int(out["complaints_per_1000_bed_days"].notna().sum())
            bed = next((a for a in aligned if a.measure == "occupied_bed_days"), None)
            if n:
                aligned.append(Aligned(
                    "complaints_per_1000_bed_days", "complaints, beds",
                    f"complaints of {w.financial_year} per 1,000 occupied bed days "
                    f"({bed.period if bed else 'KH03'} beds x the {w.financial_year} days)",
                    "annual", n, "; ".join(x for x in (
                        bed.note if bed else "", f"{int(few.sum())} trust(s) with fewer than "
                        f"{MIN_OCCUPIED_BEDS:.0f} occupied beds left out" if few.any() else "")
                        if x)))
            else:
                missing["complaints_per_1000_bed_days"] = "no trust has both complaints and " \
                                                          "occupied bed days"
        elif cp is not None:
            missing["complaints"] = f"no KO41a return for {w.financial_year}"
        else:
            absent(["complaints", "complaints_per_1000_bed_days"], "complaints")
    else:
        missing["complaints_per_1000_bed_days"] = ("the written complaints held (KO41a) are of "
                                                   "2024-25, not of this cross-section's year")
    out["period"] = w.first
    out = out.reset_index(drop=True)
    return CrossSection(which, w, "acute NHS trusts", out, aligned, missing)


def _years(years: list) -> str:
    if not years:
        return "no year"
    years = [int(y) for y in years]
    runs, start = [], years[0]
    for a, b in zip(years, years[1:] + [None]):
        if b != a + 1:
            runs.append(f"{start}" if start == a else f"{start}-{a}")
            start = b
    return ", ".join(runs)


# ---- models on a cross-section ----------------------------------------------------------------

#: Count models of the complaints: outcome count -> (exposure column, kind, in words).
COUNT_MODELS: dict[str, tuple[str, str, str]] = {
    "complaints": ("occupied_bed_days", "negbin",
                   "written complaints per occupied bed day"),
    "complaints_upheld": ("complaints_resolved", "poisson",
                          "complaints upheld (as a share of those resolved)"),
    "complaints_waiting": ("complaint_subjects", "poisson",
                           ("complaint subjects about waiting times (as a share of all "
                           "subjects recorded)")),
    "complaints_staffing": ("complaint_subjects", "poisson",
                            ("complaint subjects about staffing numbers (as a share of all "
                            "subjects recorded)")),
}


def spec(section: CrossSection, outcome: str, exposures: tuple[str, ...],
         adjust: tuple[str, ...] = (), *, prefix: str = "", suffix: str = "") -> md.ModelSpec:
    """The model of ``outcome`` on ``exposures`` and ``adjust`` across the trusts of
    ``section``: a count model with its exposure for the counts of :data:`COUNT_MODELS`,
    else linear; no month effects (one period); one row per trust, so the clustered
    errors are heteroskedasticity-robust. Finding ids are ``cross_<section>:<exposure>->
    <outcome>@nhs`` (``prefix`` replaces ``cross_<section>``; a ``suffix`` marks a
    robustness variant).

    >>> s = spec(CrossSection("2024-25", SECTIONS["2024-25"], "p", pd.DataFrame()),
    ...          "complaints", ("staff_enough_staff_pct",))
    >>> s.kind, s.exposure, s.subset, s.prefix
    ('negbin', 'occupied_bed_days', 'nhs', 'cross_2024_25')
    """
    kind, exposure = "ols", None
    if outcome in COUNT_MODELS:
        exposure, kind, _ = COUNT_MODELS[outcome]
    return md.ModelSpec(outcome, tuple(exposures), tuple(adjust), kind=kind, subset="nhs",
                        time_effects=False, exposure=exposure,
                        prefix=prefix or section_prefix(section), suffix=suffix,
                        inference="cluster")


def section_prefix(section: CrossSection) -> str:
    """The kind of the finding ids of a cross-section: ``cross_<name>``.

    >>> section_prefix(CrossSection("2024-25", SECTIONS["2024-25"], "p", pd.DataFrame()))
    'cross_2024_25'
    """
    return "cross_" + section.name.replace("-", "_")


def fit(section: CrossSection, outcome: str, exposures: tuple[str, ...],
        adjust: tuple[str, ...] = (), *, prefix: str = "", suffix: str = "") -> md.Fit:
    """:func:`spec` fitted on the section's table (:func:`workbench.analysis.models.fit.fit`);
    controls that do not vary among the trusts with every column of the model are left out
    (e.g. trust type when no specialist trust has an A&E department).
    """
    s = spec(section, outcome, exposures, adjust, prefix=prefix, suffix=suffix)
    t = section.table
    need = [c for c in (outcome, *exposures, *adjust, s.exposure) if c and c in t.columns]
    rows = t.dropna(subset=need)
    keep = tuple(a for a in adjust if a not in t.columns or rows[a].nunique(dropna=True) > 1)
    if keep != tuple(adjust):
        s = spec(section, outcome, exposures, keep, prefix=prefix, suffix=suffix)
    return md.fit(s, t)


def per_sd(section: CrossSection, column: str) -> float:
    """The standard deviation of ``column`` between the section's trusts."""
    return float(section.table[column].std())


def cross_sectional_note(section: CrossSection) -> str:
    """The caveat every finding from a cross-section carries.

    >>> cross_sectional_note(CrossSection("2022", SECTIONS["2022"], "acute NHS trusts",
    ...                                   pd.DataFrame()))[:60]
    'A cross-sectional association between acute NHS trusts in su'
    """
    return (f"A cross-sectional association between {section.population} in "
            f"{section.window.words}, not the effect of a change within a trust: trusts that "
            "differ on one measure differ on others that no model here holds.")


def section_findings(fit_: md.Fit, section: CrossSection, question: str | None = None, *,
                     measures: tuple[str, ...] | None = None) -> Findings:
    """The findings of a model on ``section``, each saying what it is (a count model's
    outcome as the rate or share it models) and :func:`stamp`-ed with the caveat and the
    periods aligned (of ``measures``, default: the model's columns).

    >>> panel, tables = example_tables()
    >>> cs = cross_section(panel, tables, "2024-25")
    >>> [f] = section_findings(fit(cs, "complaints", ("staff_enough_staff_pct",)), cs)
    >>> f.sentence.split(" were ")[0]
    'Written complaints per occupied bed day'
    """
    s = fit_.spec
    found = fit_.findings(question)
    if s.outcome in COUNT_MODELS:
        words = COUNT_MODELS[s.outcome][2]
        lead = words[0].upper() + words[1:]
        for f in found:
            f.sentence = f.sentence.replace(md_label(s.outcome), lead, 1)
    cols = measures or tuple(c for c in (s.outcome, *s.exposures, *s.adjust, s.exposure) if c)
    return Findings(stamp(list(found), section, cols))


def md_label(column: str) -> str:
    """The label a model finding's sentence starts with (the registry's, unit dropped)."""
    from workbench.analysis.findings.wording import plain_label

    return plain_label(column)


def stamp(findings: list[Finding], section: CrossSection,
          measures: tuple[str, ...] | None = None) -> list[Finding]:
    """``findings`` with the cross-sectional caveat and the periods aligned added to each
    sentence, and both in their parameters (``design``, ``periods``).
    """
    note = cross_sectional_note(section)
    periods = section.periods_text(measures)
    for f in findings:
        f.sentence = f"{f.sentence} {note} {periods}".strip()
        f.parameters = {**(f.parameters or {}), "design": "cross-sectional, between trusts",
                        "cross_section": section.name, "periods": periods}
    return findings


def example_tables(n: int = 30, seed: int = 1) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """A small made-up panel and tables in the layouts of the tables beside a real panel
    (for examples and tests): ``n`` acute NHS trusts with A&E months of 2024-25, the staff
    survey of 2022 and 2024, the inpatient survey 2022, sickness absence, complaints
    2024-25 and KH03 beds to June 2024.

    >>> panel, tables = example_tables(5)
    >>> sorted(tables)[:3]
    ['beds', 'complaints', 'inpatient_respondents']
    """
    rng = np.random.default_rng(seed)
    codes = [f"R{i:02d}" for i in range(n)]
    months = pd.date_range("2024-04-01", "2025-03-01", freq="MS")
    staff = rng.normal(35, 6, n)
    att = rng.integers(8000, 20000, (n, len(months))).astype(float)
    pct4 = np.clip(70 + 0.3 * (staff - 35)[:, None] + rng.normal(0, 4, (n, len(months))),
                   40, 99)
    panel = pd.DataFrame({
        "provider_code": np.repeat(codes, len(months)),
        "provider_name": np.repeat([f"Trust {c}" for c in codes], len(months)),
        "sector": "nhs", "setting": "acute",
        "period": np.tile(months, n),
        "ae_attendances": att.ravel(),
        "ae_over_4h": np.round(att * (1 - pct4 / 100)).ravel()})
    survey = pd.concat([pd.DataFrame({
        "provider_code": codes, "year": y,
        "benchmarking_group": ["Acute Specialist Trusts" if i % 10 == 0 else "Acute Trusts"
                               for i in range(n)],
        "staff_enough_staff_pct": staff + rng.normal(0, 2, n),
        "staff_burnout_pct": 35 - 0.3 * (staff - 35) + rng.normal(0, 2, n),
        "staff_work_stress_pct": rng.normal(45, 4, n)}) for y in (2022, 2024)])
    exp = 7.5 + 0.03 * (staff - 35) + rng.normal(0, 0.2, n)
    scores = pd.DataFrame([{"provider_code": c, "survey_year": 2022, "item": s,
                            "score": exp[i] + rng.normal(0, 0.3)}
                           for i, c in enumerate(codes) for s in EXPERIENCE_SECTIONS])
    resp = pd.DataFrame([{"provider_code": c, "survey_year": 2022, "variable": v, "pct": p,
                          "respondents": 400.0}
                         for c in codes for v, p in (("age4_tpc", rng.normal(55, 5)),
                                                     ("sexatbirth2_tpc", rng.normal(52, 3)))])
    sick = pd.DataFrame({"provider_code": np.repeat(codes, len(months)),
                         "period": np.tile(months, n),
                         "fte_days_lost": rng.normal(5000, 500, n * len(months)),
                         "fte_days_available": 100000.0})
    quarters = pd.date_range("2023-07-01", "2024-04-01", freq="QS-JAN")
    occ = rng.normal(600, 150, n)
    beds = pd.DataFrame([{"provider_code": c, "sector": "General & Acute", "period": q,
                          "frequency": "quarterly", "days": 91,
                          "beds_available": occ[i] * 1.08, "beds_occupied": occ[i]}
                         for i, c in enumerate(codes) for q in quarters])
    rate = np.exp(np.log(0.004) - 0.02 * (staff - 35) + rng.normal(0, 0.2, n))
    compl = rng.poisson(rate * occ * 365).astype(float)
    subjects = np.round(compl * 1.3)
    complaints = pd.DataFrame({
        "provider_code": codes, "financial_year": "2024-25", "complaints_new": compl,
        "complaints_resolved": np.round(compl * 0.95),
        "complaints_upheld": np.round(compl * 0.95 * rng.uniform(0.2, 0.4, n)),
        "complaints_waiting_times": np.round(subjects * rng.uniform(0.05, 0.15, n)),
        "complaints_staffing_numbers": np.round(subjects * rng.uniform(0.0, 0.03, n)),
        "complaints_subjects_total": subjects, "subjects_recorded": True})
    return panel, {"staff_survey_years": survey, "inpatient_survey": scores,
                   "inpatient_respondents": resp, "sickness_absence": sick,
                   "complaints": complaints, "beds": beds}


def numbers(section: CrossSection) -> pd.DataFrame:
    """The section's measures described: per measure held, trusts, mean, SD, min and max
    (rates pooled over trusts are :func:`pooled_rates`).

    >>> panel, tables = example_tables()
    >>> "staff_enough_staff_pct" in numbers(cross_section(panel, tables, "2024-25"))["measure"].tolist()
    True
    """
    rows = []
    for a in section.aligned:
        col = section.table[a.measure].dropna()
        rows.append({"measure": a.measure, "label": label(a.measure), "period": a.period,
                     "trusts": len(col), "mean": formatting.number(col.mean()),
                     "sd": formatting.number(col.std()), "min": formatting.number(col.min()),
                     "max": formatting.number(col.max())})
    return pd.DataFrame(rows)
