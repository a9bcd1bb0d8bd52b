"""The one registry of measures the workbench knows.

Every column of the provider x month panel that is not an identity column is a
measure registered here, with its construct, unit, direction, valid range and a
label for figures and reports. The panel schema (:mod:`workbench.data.schema`),
the synthetic generator, the readers of official files and the report all take
their facts about a measure from this registry, so a measure is described once.

Example
-------
>>> from workbench.data.measures import MEASURES, get, by_construct
>>> get("rtt_median_weeks").label
'RTT median wait (weeks)'
>>> [m.name for m in by_construct("waiting")][:2]
['rtt_median_weeks', 'rtt_pct_within_18w']

Measures of a user's own
------------------------
A table of the user's own (:mod:`workbench.data.declared`) declares its measures; they
extend the registry for the session or block that uses them (:func:`extended`,
:func:`use`), never for the whole process: :data:`MEASURES` is a view of the registered
measures and those in use in the current context (a :class:`contextvars.ContextVar`,
which a Jupyter kernel keeps from cell to cell). A declared measure of a registered
name replaces it in that scope (the user's label, unit and direction win).

>>> ward = Measure("rn_fill_rate_pct", "staffing", "%", True, 0, 200,
...                "Registered nurse fill rate (%)", kind="percent")
>>> with extended([ward]):
...     get("rn_fill_rate_pct").per_unit
'percentage point of Registered nurse fill rate'
>>> "rn_fill_rate_pct" in MEASURES
False
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar, Token
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from workbench.errors import ArgumentError, UnknownMeasureError

Construct = Literal["staffing", "waiting", "satisfaction", "context"]
Kind = Literal["continuous", "percent", "count", "rate", "ordinal"]

#: CQC ratings, worst to best. Stored as an ordered pandas Categorical.
CQC_LEVELS: tuple[str, ...] = ("Inadequate", "Requires improvement", "Good", "Outstanding")

#: Identity columns of the panel, in order.
IDENTITY_COLUMNS: tuple[str, ...] = (
    "provider_code",
    "provider_name",
    "sector",
    "ownership",
    "setting",
    "region",
    "period",
)

#: Allowed values of the categorical identity columns.
#: ``unknown``: no register read by the build settles the provider's sector or setting
#: (see :mod:`workbench.data.registers`); it is never replaced by a guess.
#: ``commissioner`` (setting): a CCG or ICB, an NHS body that buys care and provides none.
SECTORS: tuple[str, ...] = ("nhs", "independent", "local_authority", "unknown")
OWNERSHIPS: tuple[str, ...] = ("nhs", "for_profit", "not_for_profit", "local_authority")
SETTINGS: tuple[str, ...] = ("acute", "care_home", "mental_health", "community", "gp",
                             "ambulance", "commissioner", "other", "unknown")
REGIONS: tuple[str, ...] = (
    "London",
    "South East",
    "South West",
    "East of England",
    "Midlands",
    "North East and Yorkshire",
    "North West",
)


@dataclass(frozen=True)
class Measure:
    """One measure of the panel.

    ``higher_is_better`` is ``True`` or ``False`` for measures with a direction of
    improvement and ``None`` for context measures (case mix, size).
    ``low`` and ``high`` bound the valid range (inclusive); values outside it are
    errors in the data, not outliers.
    """

    name: str
    construct: Construct
    unit: str
    higher_is_better: bool | None
    low: float | None
    high: float | None
    label: str
    kind: Kind = "continuous"
    description: str = ""
    increment: str = ""
    #: A rate or percentage built on two count measures: their names ('' when not said).
    numerator: str = ""
    denominator: str = ""
    #: What the ratio is multiplied by (100 for a percentage, 1,000 for "per 1,000").
    per: float | None = None
    #: A count of people (patients, responses, complaints): shown through disclosure
    #: control. ``None``: not said (the registry's counts are read by their unit).
    people: bool | None = None
    #: Where the measure was declared ('' for the registry's own).
    declared_in: str = ""

    @property
    def per_unit(self) -> str:
        """One more unit in words, for sentences ("each extra ...").

        >>> get("rtt_median_weeks").per_unit
        'week of RTT median wait'
        """
        if self.increment:
            return self.increment
        unit = {"weeks": "week", "%": "percentage point", "score 0-10": "point"}.get(
            self.unit, self.unit)
        return f"{unit} of {self.label.split(' (')[0]}"

    @property
    def is_count(self) -> bool:
        """True for a count (of patients, pathways, staff...), as opposed to a rate or level.

        >>> get("rtt_waiting_list").is_count, get("rtt_median_weeks").is_count
        (True, False)
        """
        return self.kind == "count"

    @property
    def direction(self) -> str:
        """``increase``, ``decrease`` or ``neutral``: the improvement direction (SPC vocabulary)."""
        if self.higher_is_better is None:
            return "neutral"
        return "increase" if self.higher_is_better else "decrease"


_M = Measure
#: The registry's own measures (what :data:`MEASURES` holds outside any :func:`extended`).
REGISTERED: dict[str, Measure] = {
    m.name: m
    for m in [
        # --- staffing -------------------------------------------------------------------
        _M("nurse_fte_per_10_beds", "staffing", "FTE per 10 occupied beds", True, 0, 80,
           "Nurse FTE per 10 occupied beds",
           description="Registered nurses and nursing support staff (care staff in care homes), "
                       "full-time equivalent, per 10 occupied beds. Higher means fewer patients "
                       "per member of staff.",
           increment="nurse (FTE) per 10 occupied beds"),
        _M("nurse_fte", "staffing", "FTE", True, 0, 50_000, "Nurse FTE",
           description="Nurses and health visitors, full-time equivalent (NHS workforce statistics)."),
        _M("staff_fte", "staffing", "FTE", None, 0, 100_000, "All staff FTE",
           description="All hospital and community health services staff, full-time equivalent."),
        _M("rn_vacancy_pct", "staffing", "%", False, 0, 60, "Registered-nurse vacancy rate (%)",
           kind="percent"),
        _M("sickness_absence_pct", "staffing", "%", False, 0, 30, "Sickness absence (%)",
           kind="percent"),
        _M("staff_engagement", "staffing", "score 0-10", True, 0, 10,
           "Staff engagement (0-10)",
           description="NHS Staff Survey engagement theme score, 0 (worst) to 10 (best).",
           increment="point of staff engagement (0-10)"),
        _M("staff_recommend_care_pct", "staffing", "%", True, 0, 100,
           "Staff who would recommend care (%)", kind="percent",
           description="Staff who would be happy with the standard of care if a friend or "
                       "relative needed treatment."),
        _M("staff_work_stress_pct", "staffing", "%", False, 0, 100,
           "Staff unwell from work stress (%)", kind="percent"),
        _M("staff_enough_staff_pct", "staffing", "%", True, 0, 100,
           "Staff saying there are enough staff (%)", kind="percent",
           description="NHS Staff Survey: staff who agree there are enough staff at the "
                       "organisation for them to do their job properly.",
           increment="percentage point of staff saying there are enough staff"),
        _M("staff_burnout_pct", "staffing", "%", False, 0, 100,
           "Staff often or always burnt out (%)", kind="percent",
           description="NHS Staff Survey: staff who often or always feel burnt out because "
                       "of their work.",
           increment="percentage point of staff often or always burnt out"),
        # --- waiting --------------------------------------------------------------------
        _M("rtt_median_weeks", "waiting", "weeks", False, 0, 104, "RTT median wait (weeks)",
           description="Median time waited on incomplete referral-to-treatment pathways.",
           increment="week of RTT median wait"),
        _M("rtt_pct_within_18w", "waiting", "%", True, 0, 100,
           "RTT waiting within 18 weeks (%)", kind="percent"),
        _M("rtt_waiting_list", "waiting", "pathways", False, 0, 2_000_000,
           "RTT waiting list (incomplete pathways)", kind="count"),
        _M("rtt_within_18w", "waiting", "pathways", None, 0, 2_000_000,
           "RTT pathways within 18 weeks", kind="count"),
        _M("rtt_over_52w", "waiting", "pathways", False, 0, 2_000_000,
           "RTT pathways over 52 weeks", kind="count"),
        _M("rtt_nonadmitted_median_weeks", "waiting", "weeks", False, 0, 104,
           "RTT completed non-admitted median wait (weeks)",
           description="Median time waited by patients whose RTT pathway ended in the month "
                       "without admission (NHS England provider workbook, as published).",
           increment="week of completed non-admitted median wait"),
        _M("rtt_nonadmitted_pct_within_18w", "waiting", "%", True, 0, 100,
           "RTT completed non-admitted within 18 weeks (%)", kind="percent",
           description="Completed non-admitted pathways with a known clock start that ended "
                       "within 18 weeks."),
        _M("rtt_nonadmitted_completed", "waiting", "pathways", None, 0, 2_000_000,
           "RTT completed non-admitted pathways", kind="count"),
        _M("rtt_admitted_median_weeks", "waiting", "weeks", False, 0, 104,
           "RTT completed admitted median wait (weeks)",
           description="Median time waited by patients admitted for treatment in the month "
                       "(NHS England provider workbook, as published).",
           increment="week of completed admitted median wait"),
        _M("rtt_admitted_pct_within_18w", "waiting", "%", True, 0, 100,
           "RTT completed admitted within 18 weeks (%)", kind="percent"),
        _M("rtt_admitted_completed", "waiting", "pathways", None, 0, 2_000_000,
           "RTT completed admitted pathways", kind="count"),
        _M("ae_attendances", "waiting", "attendances", None, 0, 2_000_000, "A&E attendances",
           kind="count"),
        _M("ae_over_4h", "waiting", "attendances", False, 0, 2_000_000,
           "A&E attendances over 4 hours", kind="count"),
        _M("ae_pct_within_4h", "waiting", "%", True, 0, 100, "A&E seen within 4 hours (%)",
           kind="percent"),
        _M("ae_12h_waits", "waiting", "patients", False, 0, 500_000,
           "A&E 12-hour waits from decision to admit", kind="count"),
        _M("emergency_admissions", "waiting", "admissions", None, 0, 2_000_000,
           "Emergency admissions", kind="count"),
        # --- satisfaction ---------------------------------------------------------------
        _M("fft_responses", "satisfaction", "responses", None, 0, 5_000_000, "FFT responses",
           kind="count"),
        _M("fft_positive", "satisfaction", "responses", True, 0, 5_000_000,
           "FFT positive responses", kind="count"),
        _M("fft_pct_positive", "satisfaction", "%", True, 0, 100,
           "FFT positive responses (%)", kind="percent",
           description="Friends and Family Test: share of responses 'very good' or 'good'."),
        _M("complaints", "satisfaction", "complaints", False, 0, 100_000, "Written complaints",
           kind="count"),
        _M("complaints_per_1000", "satisfaction", "per 1,000 episodes", False, 0, 1000,
           "Complaints per 1,000 episodes", kind="rate"),
        _M("complaints_per_1000_bed_days", "satisfaction", "per 1,000 occupied bed days",
           False, 0, 1000, "Written complaints per 1,000 occupied bed days", kind="rate",
           description="New written complaints (KO41a) in a year per 1,000 occupied bed days "
                       "(KH03 occupied overnight beds x days)."),
        _M("complaints_waiting", "satisfaction", "complaint subjects", False, 0, 100_000,
           "Complaint subjects about waiting times", kind="count"),
        _M("complaints_staffing", "satisfaction", "complaint subjects", False, 0, 100_000,
           "Complaint subjects about staffing numbers", kind="count"),
        _M("complaints_upheld", "satisfaction", "complaints", False, 0, 100_000,
           "Complaints upheld", kind="count"),
        _M("inpatient_experience_score", "satisfaction", "points (0-10)", True, 0, 10,
           "Inpatient survey experience score (0-10)",
           description="Adult Inpatient Survey (CQC): the mean of a trust's scores on the "
                       "survey sections made of several questions (S01-S07), each 0-10.",
           increment="point of the inpatient survey experience score"),
        _M("cqc_overall", "satisfaction", "rating", True, None, None, "CQC overall rating",
           kind="ordinal"),
        _M("cqc_caring", "satisfaction", "rating", True, None, None, "CQC caring rating",
           kind="ordinal"),
        _M("cqc_responsive", "satisfaction", "rating", True, None, None,
           "CQC responsive rating", kind="ordinal"),
        # --- context (case mix, size) ---------------------------------------------------
        _M("pct_aged_75_plus", "context", "%", None, 0, 100, "Patients aged 75+ (%)",
           kind="percent"),
        _M("case_mix_index", "context", "index (England NHS acute = 1)", None, 0, 5,
           "Case-mix complexity index",
           description="Expected resource use of the provider's patients relative to the "
                       "average NHS acute patient (1.0)."),
        _M("deprivation_imd", "context", "IMD score", None, 0, 100,
           "Deprivation of catchment (IMD score)"),
        _M("beds", "context", "beds", None, 0, 5_000, "Beds", kind="count"),
        _M("episodes", "context", "episodes", None, 0, 5_000_000,
           "Episodes of care in the month", kind="count"),
        _M("occupied_bed_days", "context", "bed days", None, 0, 5_000_000,
           "Occupied bed days", kind="count",
           description="KH03 occupied overnight beds (average of daily counts) x days."),
        _M("inpatients_aged_66_plus_pct", "context", "%", None, 0, 100,
           "Inpatient survey respondents aged 66+ (%)", kind="percent"),
        _M("inpatients_female_pct", "context", "%", None, 0, 100,
           "Inpatient survey respondents female (%)", kind="percent"),
    ]
}

CONSTRUCTS: tuple[str, ...] = ("staffing", "waiting", "satisfaction", "context")

#: Measures in use beyond the registry's own in the current context (see :func:`extended`).
_IN_USE: ContextVar[Mapping[str, Measure]] = ContextVar(
    "workbench_measures_in_use", default=MappingProxyType({}))


class Registry(Mapping[str, Measure]):
    """The measures the workbench knows here and now: the registry's own
    (:data:`REGISTERED`) and those a user's data declare, in use in the current context
    (:func:`extended`, :func:`use`). Read-only; registry order, declared measures last.

    >>> MEASURES["beds"].label, len(MEASURES) == len(REGISTERED)
    ('Beds', True)
    """

    def __init__(self, registered: Mapping[str, Measure]):
        self._registered = registered

    def __getitem__(self, name: str) -> Measure:
        extra = _IN_USE.get()
        if name in extra:
            return extra[name]
        return self._registered[name]

    def __contains__(self, name: object) -> bool:
        return name in _IN_USE.get() or name in self._registered

    def __iter__(self) -> Iterator[str]:
        extra = _IN_USE.get()
        yield from self._registered
        yield from (k for k in extra if k not in self._registered)

    def __len__(self) -> int:
        extra = _IN_USE.get()
        return len(self._registered) + sum(1 for k in extra if k not in self._registered)

    def __repr__(self) -> str:
        return f"<measures: {len(self)} ({len(in_use())} declared in use)>"


#: Every measure known in the current context: the registry's and those declared in use.
MEASURES: Registry = Registry(REGISTERED)


def _as_mapping(measures: Mapping[str, Measure] | Iterable[Measure]) -> dict[str, Measure]:
    items = measures.values() if isinstance(measures, Mapping) else measures
    out: dict[str, Measure] = {}
    for m in items:
        if not isinstance(m, Measure):
            raise ArgumentError("extended", "measures", m,
                                expected="Measure values (workbench.data.measures.Measure)")
        out[m.name] = m
    return out


def in_use() -> dict[str, Measure]:
    """The declared measures in use in the current context (empty outside any).

    >>> in_use()
    {}
    """
    return dict(_IN_USE.get())


def use(measures: Mapping[str, Measure] | Iterable[Measure]) -> Token:
    """Put ``measures`` in use in the current context, instead of any in use before
    (declared measures never pile up from one data set to the next); returns the token
    that :func:`stop_using` takes to put back what was in use before. A session does this
    for its data; in a block, prefer :func:`extended`.

    >>> token = use([Measure("chppd", "staffing", "hours", True, 0, 40, "Care hours per patient day")])
    >>> label("chppd")
    'Care hours per patient day'
    >>> stop_using(token); label("chppd")
    'chppd'
    """
    return _IN_USE.set(MappingProxyType(_as_mapping(measures)))


def stop_using(token: Token) -> None:
    """Put back the measures in use before the :func:`use` that returned ``token``."""
    _IN_USE.reset(token)


@contextlib.contextmanager
def extended(measures: Mapping[str, Measure] | Iterable[Measure]) -> Iterator[Registry]:
    """A block in which ``measures`` (a user's declared measures) extend the registry;
    what was in use before is back afterwards, also on error. Yields :data:`MEASURES`.

    >>> with extended([Measure("falls", "context", "falls", False, 0, 500, "Falls",
    ...                        kind="count", people=True)]) as known:
    ...     known["falls"].people, is_people_count("falls")
    (True, True)
    >>> "falls" in MEASURES
    False
    """
    token = use(measures)
    try:
        yield MEASURES
    finally:
        stop_using(token)


def is_people_count(name: str) -> bool:
    """True for a count measure of people: declared so (``people: true``), or a registry
    count not declared otherwise and whose unit is not beds.

    >>> is_people_count("fft_responses"), is_people_count("beds"), is_people_count("nope")
    (True, False, False)
    """
    m = MEASURES.get(name)
    if m is None or m.kind != "count":
        return False
    if m.people is not None:
        return m.people
    return m.unit not in ("beds", "bed days")


def get(name: str) -> Measure:
    """Return the registered :class:`Measure` called ``name``.

    >>> get("fft_pct_positive").higher_is_better
    True
    """
    try:
        return MEASURES[name]
    except KeyError:
        raise UnknownMeasureError(name, MEASURES) from None


def by_construct(construct: str) -> list[Measure]:
    """All measures of one construct, in registry order.

    >>> {m.construct for m in by_construct("staffing")}
    {'staffing'}
    """
    if construct not in CONSTRUCTS:
        raise ArgumentError("by_construct", "construct", construct, problem="is not a construct",
                            expected=f"one of {CONSTRUCTS}")
    return [m for m in MEASURES.values() if m.construct == construct]


def label(name: str) -> str:
    """The human label of a measure, or the name itself for non-measures.

    >>> label("beds")
    'Beds'
    >>> label("sector")
    'sector'
    """
    m = MEASURES.get(name)
    return m.label if m else name
