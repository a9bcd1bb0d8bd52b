"""A model finding in plain words: its unit, and the sentence a reader sees.

:meth:`workbench.analysis.models.fit.Fit.findings` gives every finding a ``unit`` (:func:`unit`)
and a ``sentence`` (:func:`sentence`: a lead-in saying whether the estimate is raw,
adjusted or total, then :func:`describe`). The words come from the measure registry
(:mod:`workbench.data.measures`): labels without their unit in brackets, and what one
more unit of an exposure is; the numbers are written by
:mod:`workbench.analysis.findings.formatting` (3 significant digits), as in the findings table.

Derived column names are read here too: ``<measure>_lag<k>`` (:data:`LAG`) and
``sector_<level>`` / ``ownership_<level>`` (:data:`DUMMY`).

>>> from workbench.analysis.findings.record import Finding
>>> f = Finding(id="naive:sector[independent]->fft_pct_positive@acute", question="q",
...             estimate=1.5, ci_low=0.5, ci_high=2.5, unit="percentage points", model="ols")
>>> sentence(f, "sector_independent", "fft_pct_positive", "naive")
'Raw difference (no adjustment): FFT positive responses were 1.5 percentage points higher (95% CI 0.5 to 2.5 higher) for independent providers than for NHS trusts.'
"""

from __future__ import annotations

import re

from workbench.analysis.findings import formatting
from workbench.analysis.findings.record import Finding
from workbench.data import measures as M

#: A lagged column: ``<base>_lag<k>``.
LAG = re.compile(r"^(?P<base>.+)_lag(?P<k>\d+)$")
#: A 0/1 indicator column: ``sector_<level>`` or ``ownership_<level>``.
DUMMY = re.compile(r"^(?P<var>sector|ownership)_(?P<level>[a-z_]+)$")

#: The group each indicator is compared with, in words.
REFERENCE = {"sector": "NHS trusts", "ownership": "not-for-profit homes"}

#: Lead-ins of the sentence by finding prefix (what kind of estimate it is).
LEAD = {
    "naive": "Raw difference (no adjustment): ",
    "adjusted": "Comparing like with like (adjusted for case mix): ",
    "total": "Total effect, including the path through waits: ",
}


#: Plural units and their singular, for "per week" (a unit after "per" is singular).
SINGULAR = {"weeks": "week", "months": "month", "days": "day", "years": "year",
            "patients": "patient", "pathways": "pathway", "responses": "response",
            "complaints": "complaint", "attendances": "attendance", "admissions": "admission",
            "episodes": "episode", "beds": "bed", "bed days": "bed day",
            "percentage points": "percentage point", "points (0-10)": "point (0-10)",
            "complaint subjects": "complaint subject"}
#: The unit of an ordered rating model's estimate, in words (the log-odds of a better
#: rating: above zero, better ratings are more likely; the glossary explains it).
ORDINAL_SCALE = "rating model's scale"
#: Levels of an indicator in words, where the level's name does not read as it is.
LEVEL_WORDS = {"for_profit": "for-profit", "not_for_profit": "not-for-profit"}


def singular(unit_text: str) -> str:
    """The singular of a unit (``weeks`` -> ``week``); other units as they are.

    >>> singular("weeks"), singular("FTE per 10 occupied beds"), singular("percentage points")
    ('week', 'FTE per 10 occupied beds', 'percentage point')
    """
    return SINGULAR.get(unit_text, unit_text)


def with_unit(text: str, unit_text: str) -> str:
    """A number written as ``text`` and its unit in words, singular for exactly 1.

    >>> with_unit("1", "weeks"), with_unit("0.430", "percentage points"), with_unit("2", "")
    ('1 week', '0.430 percentage points', '2')
    """
    if not unit_text:
        return text
    return f"{text} {singular(unit_text) if text in ('1', '-1', '+1') else unit_text}"


def directions(measure: str) -> tuple[str, str]:
    """The words for a rise and a fall of a measure: ``longer``/``shorter`` for a wait
    (a measure in weeks), else ``higher``/``lower``.

    >>> directions("rtt_median_weeks"), directions("fft_pct_positive")
    (('longer', 'shorter'), ('higher', 'lower'))
    """
    m = M.MEASURES.get(measure)
    return ("longer", "shorter") if m is not None and m.unit == "weeks" else ("higher", "lower")


def unit(spec, exposure: str) -> str:
    """The unit of the finding for ``exposure`` in a model ``spec``
    (a :class:`~workbench.analysis.models.fit.ModelSpec`).

    >>> from types import SimpleNamespace
    >>> unit(SimpleNamespace(outcome="fft_pct_positive", kind="ols", link="logit"),
    ...      "rtt_median_weeks")
    'percentage points per week'
    """
    out = M.MEASURES.get(spec.outcome)
    exp_base = LAG.match(exposure)["base"] if LAG.match(exposure) else exposure
    ex = M.MEASURES.get(exp_base)
    per = f"per {singular(ex.unit)}" if ex else "independent vs reference"
    if DUMMY.match(exposure):
        d = DUMMY.match(exposure)
        per = f"{d['level'].replace('_', ' ')} vs reference"
    if spec.kind in ("poisson", "negbin"):
        return f"rate ratio {per}"
    if spec.kind == "binomial" and spec.link == "logit":
        return f"odds ratio {per}"
    if spec.kind == "ordinal":
        return f"{ORDINAL_SCALE} {per}"
    out_unit = "percentage points" if out and out.unit == "%" else (out.unit if out else "")
    return f"{out_unit} {per}".strip()


def change(estimate: float, low: float | None, high: float | None, unit_text: str = "", *,
           up: str = "higher", down: str = "lower", interval_name: str = "95% CI",
           unit_first: bool = True) -> str:
    """A difference in words: its direction (``up`` or ``down``), its size with the unit,
    and its 95% interval in the same direction, all at the same decimals
    (:func:`~workbench.analysis.findings.formatting.places`); an interval that
    crosses zero says so, from one direction to the other. ``interval_name`` names the
    interval (``95% interval`` for one from simulations); ``unit_first=False`` puts the
    direction before the unit (``381 fewer patients``).

    >>> change(-0.43, -0.551, -0.309, "weeks", up="longer", down="shorter")
    '0.430 weeks shorter (95% CI 0.309 to 0.551 shorter)'
    >>> change(0.0561, -0.0123, 0.1246, "percentage points")
    '0.056 percentage points higher (95% CI from 0.012 lower to 0.125 higher: no clear difference)'
    >>> change(1.0, None, None, "weeks")
    '1 week higher'
    >>> change(-381.2, -409.0, -352.3, "patients", up="more", down="fewer", unit_first=False)
    '381 fewer patients (95% CI 352 to 409 fewer)'
    """
    way = up if estimate >= 0 else down
    missing = formatting.is_missing(low) or formatting.is_missing(high)
    mag = formatting.number(abs(estimate)) if missing and float(estimate) == int(estimate) \
        else magnitude(estimate, low, high)
    if unit_first:
        head = f"{with_unit(mag, unit_text)} {way}"
    else:
        head = f"{mag} {way} {singular(unit_text) if mag == '1' else unit_text}".strip()
    if missing:
        return head
    return (f"{head} "
            f"({interval_words(estimate, low, high, up=up, down=down, interval_name=interval_name)})")


def magnitude(estimate: float, low: float | None = None, high: float | None = None) -> str:
    """The size of an estimate (no sign) at the decimals it shares with its interval
    (:func:`~workbench.analysis.findings.formatting.places`).

    >>> magnitude(-0.43, -0.551, -0.309), magnitude(-0.52, -0.61, -0.43)
    ('0.430', '0.52')
    """
    places = formatting.places(estimate, low, high)
    missing = formatting.is_missing(low) or formatting.is_missing(high)
    lo, hi = (0.0, 0.0) if missing else (float(low), float(high))
    return formatting.aligned([abs(estimate), abs(lo), abs(hi)], places)[0]


def interval_words(estimate: float, low: float, high: float, *, up: str = "higher",
                   down: str = "lower", interval_name: str = "95% CI") -> str:
    """An estimate's 95% interval in words: both ends as sizes in one direction, or, when
    it crosses zero, from one direction to the other ("no clear difference"); at the
    decimals of :func:`magnitude`.

    >>> interval_words(-0.43, -0.551, -0.309, up="longer", down="shorter")
    '95% CI 0.309 to 0.551 shorter'
    >>> interval_words(-0.011, -0.0263, 0.00426)
    '95% CI from 0.0263 lower to 0.0043 higher: no clear difference'
    """
    places = formatting.places(estimate, low, high)
    lo, hi = float(low), float(high)
    _, a, b = formatting.aligned([abs(estimate), abs(lo), abs(hi)], places)
    if lo > 0 or hi < 0:
        a, b = sorted((a, b), key=float)
        return f"{interval_name} {a} to {b} {up if lo > 0 else down}"
    ends = [f"{t} {up if x > 0 else down}" if x else "no difference"
            for t, x in ((a, lo), (b, hi))]
    return f"{interval_name} from {ends[0]} to {ends[1]}: no clear difference"


def ratio(estimate: float, low: float | None, high: float | None) -> str:
    """A ratio (rate or odds) in words: its direction (``higher`` above 1, ``lower``
    below), ``multiplied by`` the ratio and its 95% interval at the same decimals; an
    interval that holds 1 says "no clear difference" instead of a direction.

    >>> ratio(0.973, 0.953, 0.993)
    'lower (multiplied by 0.973, 95% CI 0.953 to 0.993)'
    >>> ratio(0.991, 0.963, 1.02)
    'multiplied by 0.991 (95% CI 0.963 to 1.020: no clear difference)'
    """
    est, ci = formatting.estimate_interval(estimate, low, high)
    if not ci:
        return f"multiplied by {est}"
    if float(low) <= 1 <= float(high):
        return f"multiplied by {est} (95% CI {ci}: no clear difference)"
    return f"{'higher' if estimate > 1 else 'lower'} (multiplied by {est}, 95% CI {ci})"


def plain_label(name: str) -> str:
    """The measure's label without its unit in brackets.

    >>> plain_label("rtt_median_weeks")
    'RTT median wait'
    """
    return re.sub(r"\s*\([^)]*\)\s*$", "", M.label(name))


def describe(f: Finding, exposure: str, outcome: str) -> str:
    """A plain-words sentence for a finding: direction in words, size with its unit, and
    the 95% interval in the same direction (:func:`change`, :func:`ratio`).

    >>> f = Finding(id="effect:rtt_median_weeks->fft_pct_positive@acute", question="q",
    ...             estimate=-0.52, ci_low=-0.61, ci_high=-0.43, unit="pp", model="ols")
    >>> describe(f, "rtt_median_weeks", "fft_pct_positive")
    'FFT positive responses were 0.52 percentage points lower (95% CI 0.43 to 0.61 lower) for each extra week of RTT median wait.'
    >>> f.estimate, f.ci_low, f.ci_high = 0.4651, -0.1234, 1.0456
    >>> describe(f, "rtt_median_weeks", "fft_pct_positive")
    'FFT positive responses were 0.47 percentage points higher (95% CI from 0.12 lower to 1.05 higher: no clear difference) for each extra week of RTT median wait.'
    """
    out = plain_label(outcome)
    d, lag = DUMMY.match(exposure), LAG.match(exposure)
    if d:
        level = LEVEL_WORDS.get(d["level"], d["level"].replace("_", " "))
        what = f"for {level} providers than for {REFERENCE.get(d['var'], 'the reference group')}"
    else:
        base = lag["base"] if lag else exposure
        m = M.MEASURES.get(base)
        k = int(lag["k"]) if lag else 0
        when = "" if not lag else (" one month earlier" if k == 1 else f" {k} months earlier")
        what = f"for each extra {m.per_unit if m else 'unit of ' + base}{when}"
    verb = "were" if out.endswith("s") else "was"
    lo, hi = f.ci_low, f.ci_high
    if f.unit.startswith("rate ratio"):
        return f"{out} {verb} {ratio(f.estimate, lo, hi)} {what}."
    if f.unit.startswith("odds ratio"):
        return (f"The odds that a response was positive ({out}) were "
                f"{ratio(f.estimate, lo, hi)} {what}.")
    if f.unit.startswith((ORDINAL_SCALE, "log-odds")):  # and records written before
        est, ci = formatting.estimate_interval(f.estimate, lo, hi, sign=True)
        unclear = ": no clear difference" if ci and float(lo) <= 0 <= float(hi) else ""
        ci = f", 95% CI {ci}{unclear}" if ci else ""
        return (f"A better {out} was {'more' if f.estimate >= 0 else 'less'} likely {what} "
                f"({est} on the rating model's scale{ci}).")
    om = M.MEASURES.get(outcome)
    unit_words = "percentage points" if om is not None and om.unit == "%" else (
        om.unit if om else "units")
    up, down = directions(outcome)
    return f"{out} {verb} {change(f.estimate, lo, hi, unit_words, up=up, down=down)} {what}."


def sentence(f: Finding, exposure: str, outcome: str, prefix: str) -> str:
    """The finding's sentence: the lead-in of ``prefix`` (:data:`LEAD`, none for other
    prefixes) and :func:`describe`.
    """
    return LEAD.get(prefix, "") + describe(f, exposure, outcome)
