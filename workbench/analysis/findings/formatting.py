"""One way of writing numbers for readers: estimates, intervals, p-values and the rest.

Notebook tables, finding sentences, reports, the study index and ``findings.csv`` readers
all see the same digits for the same number because they all call these functions. Which
function writes which number:

* what a finding reports (estimates, interval ends, ratios, E-values): :func:`number`,
  :func:`signed` and :func:`interval`, 3 significant digits, whole numbers in full (never
  in scientific notation); an estimate with its interval: :func:`estimate_interval`, all
  three at the same decimals (:func:`places`), and :func:`interval` writes both ends at
  the same decimals;
* p-values: :func:`p_value` (2 significant digits, ``<0.001`` below one in a thousand),
  or :func:`p_equals` inside a sentence (``p = 0.04``, ``p < 0.001``);
* a value of a measure in its unit (an SPC point, a limit, a target): :func:`quantity`,
  one decimal (``98.4%``, ``13.0 weeks``);
* shares of a whole: :func:`percent` (``88%``); counts: :func:`count` (``12,345``);
* a method's auxiliary statistics (a correlation, a dispersion, a standardised
  difference, a test statistic): :func:`fixed`, at the decimals the statistic
  conventionally takes;
* missing values (:func:`is_missing`: None or NaN): empty text.

>>> number(0.123456), number(1234567), number(12.0), number(None)
('0.123', '1234567', '12', '')
>>> interval(-0.6134, -0.4321), interval(0.915, 4.09), interval(0.989, 1.0)
('-0.613 to -0.432', '0.92 to 4.09', '0.989 to 1.000')
>>> estimate_interval(0.43, 0.309, 0.551), estimate_interval(-0.52, -0.61, -0.43)
(('0.430', '0.309 to 0.551'), ('-0.52', '-0.61 to -0.43'))
>>> p_value(0.04567), p_value(0.00001), p_value(float("nan"))
('0.046', '<0.001', '')
>>> signed(0.4651), quantity(98.43, "%"), percent(0.8812), fixed(1.7749)
('+0.465', '98.4%', '88%', '1.77')
"""

from __future__ import annotations

import math
from typing import Any

#: Significant digits of estimates and interval ends.
DIGITS = 3


def is_missing(x: Any) -> bool:
    """Whether ``x`` is a missing number (None or NaN), which every function here writes as ''.

    Text and other values that are not numbers are not missing.

    >>> is_missing(None), is_missing(float("nan")), is_missing(0), is_missing("n/a")
    (True, True, False, False)
    """
    if x is None:
        return True
    try:
        return math.isnan(float(x))
    except (TypeError, ValueError):
        return False


def number(x: Any, digits: int = DIGITS) -> str:
    """A number with ``digits`` significant digits (whole numbers in full), '' if missing.

    >>> number(0.00012345), number(-2.5), number(True)
    ('0.000123', '-2.5', 'True')
    """
    if is_missing(x):
        return ""
    if isinstance(x, bool) or not isinstance(x, (int, float)) and not hasattr(x, "item"):
        return str(x)
    if hasattr(x, "item"):
        x = x.item()
    if isinstance(x, int):
        return str(x)
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    text = f"{x:.{digits}g}"
    # large numbers in full, rounded to a whole number (1235, not 1.23e+03)
    return f"{x:.0f}" if "e+" in text else text


def signed(x: Any, digits: int = DIGITS) -> str:
    """:func:`number` with its sign always written (``+0.465``, ``-0.21``), '' if missing.

    >>> signed(0.46512), signed(-0.2), signed(2.0), signed(None)
    ('+0.465', '-0.2', '+2', '')
    """
    text = number(x, digits)
    return text if not text or text.startswith("-") else "+" + text


#: Most decimals :func:`decimals` gives (a tiny estimate is not written to 20 places).
MAX_DECIMALS = 8


def decimals(x: Any, digits: int = DIGITS) -> int:
    """Decimals that write ``x`` to ``digits`` significant digits (none from
    ``10**(digits-1)`` up, at most :data:`MAX_DECIMALS`); ``digits - 1`` for zero or a
    missing value.

    >>> decimals(0.43), decimals(2.32), decimals(0.0110), decimals(567.2), decimals(0)
    (3, 2, 4, 0, 2)
    """
    if is_missing(x) or not float(x) or math.isinf(float(x)):
        return digits - 1
    return max(0, min(MAX_DECIMALS, digits - 1 - math.floor(math.log10(abs(float(x))))))


def at_decimals(x: Any, places: int, *, sign: bool = False) -> str:
    """``x`` with ``places`` decimals (trailing zeros kept, never ``-0.00``, no thousands
    separators, as :func:`number` writes); ``sign=True`` writes ``+`` before a positive
    value; '' if missing.

    >>> at_decimals(0.43, 3), at_decimals(-0.0004, 2), at_decimals(0.2, 1, sign=True)
    ('0.430', '0.00', '+0.2')
    """
    if is_missing(x):
        return ""
    text = f"{float(x):{'+' if sign else ''}.{max(0, int(places))}f}"
    if text.lstrip("+-").strip("0.") == "":  # a zero keeps no sign
        text = text.lstrip("+-")
    return text


def places(estimate: Any = None, low: Any = None, high: Any = None,
           digits: int = DIGITS) -> int:
    """Decimals shared by an estimate and its interval: enough for the interval's larger
    end to ``digits`` significant digits and for its width to two (so that the two ends
    differ), but no more than the estimate needs (:func:`decimals`); the estimate's alone
    when the interval is missing.

    >>> places(2.32, 0.915, 4.09), places(0.997, 0.989, 1.0), places(-0.011, -0.0263, 0.00426)
    (2, 3, 4)
    >>> places(None, -1.49, 1.34), places(0.0001, -2.0, 2.0), places(567.0, 544.2, 589.4)
    (2, 2, 0)
    """
    if is_missing(low) or is_missing(high):
        return decimals(estimate, digits)
    lo, hi = float(low), float(high)
    larger = max(abs(lo), abs(hi))
    d = decimals(larger, digits)
    if hi != lo:
        d = max(d, decimals(abs(hi - lo), 2))
    return d if is_missing(estimate) else min(decimals(estimate, digits), d)


def aligned(values: list[Any], places: int, *, sign: bool = False) -> list[str]:
    """Numbers written together (an estimate and its interval ends) at ``places``
    decimals (:func:`at_decimals`), less the trailing zeros they all share: the same
    decimals for every one; '' for a missing value.

    >>> aligned([0.52, 0.43, 0.61], 3), aligned([0.43, 0.309, 0.551], 3)
    (['0.52', '0.43', '0.61'], ['0.430', '0.309', '0.551'])
    >>> aligned([2.0, 1.0, 3.0], 2), aligned([-0.3, None], 3, sign=True)
    (['2', '1', '3'], ['-0.3', ''])
    """
    texts = [at_decimals(v, places, sign=sign) for v in values]
    shown = [t for t in texts if t]
    while shown and all("." in t and t.endswith("0") for t in shown):
        texts = [t[:-1] for t in texts]
        shown = [t for t in texts if t]
    return [t.removesuffix(".") for t in texts]


def interval(low: Any, high: Any, digits: int = DIGITS, *, sign: bool = False,
             estimate: Any = None) -> str:
    """A 95% interval as ``"low to high"``, both ends at the same decimals (:func:`places`,
    with the ``estimate`` when given); '' when either end is missing. ``sign=True`` writes
    the sign of both ends.

    >>> interval(0.5, 1.9), interval(None, 2), interval(0.0561, 0.216, sign=True)
    ('0.5 to 1.9', '', '+0.056 to +0.216')
    >>> interval(-0.0263, 0.00426, estimate=-0.011), interval(544.2, 589.4)
    ('-0.0263 to 0.0043', '544 to 589')
    """
    if is_missing(low) or is_missing(high):
        return ""
    d = places(estimate, low, high, digits)
    lo, hi, *_ = aligned([low, high] + ([] if is_missing(estimate) else [estimate]), d,
                         sign=sign)
    return f"{lo} to {hi}"


def estimate_interval(estimate: Any, low: Any, high: Any, digits: int = DIGITS, *,
                      sign: bool = False) -> tuple[str, str]:
    """An estimate and its interval at the same decimals (:func:`places`):
    ``(estimate text, "low to high")``; a missing part is ''.

    >>> estimate_interval(2.32, 0.915, 4.09), estimate_interval(-0.209, -1.49, 1.34, sign=True)
    (('2.32', '0.92 to 4.09'), ('-0.21', '-1.49 to +1.34'))
    """
    d = places(estimate, low, high, digits)
    est, lo, hi = aligned([estimate, low, high], d, sign=sign)
    return est, (f"{lo} to {hi}" if lo and hi else "")


def p_value(p: Any) -> str:
    """A p-value for readers: 2 significant digits, ``<0.001`` below that, '' if missing.

    >>> p_value(0.2), p_value(1.0)
    ('0.2', '1')
    """
    if is_missing(p):
        return ""
    p = float(p)
    return "<0.001" if p < 0.001 else f"{p:.2g}"


def p_equals(p: Any) -> str:
    """A p-value inside a sentence: ``p = 0.04``, or ``p < 0.001``; '' if missing.

    >>> p_equals(0.0412), p_equals(0.00002), p_equals(None)
    ('p = 0.041', 'p < 0.001', '')
    """
    text = p_value(p)
    if not text:
        return ""
    return "p < 0.001" if text == "<0.001" else f"p = {text}"


def count(n: Any) -> str:
    """A count with thousands separators, '' if missing.

    >>> count(12345), count(None)
    ('12,345', '')
    """
    if is_missing(n):
        return ""
    return f"{int(n):,}"


def quantity(x: Any, unit: str = "") -> str:
    """A value of a measure in its unit, to one decimal: a percentage as ``98.4%``, other
    units after a space (``13.0 weeks``), with thousands separators and no decimal from
    1,000 up (``12,345 pathways``); '' if missing.

    >>> quantity(98.43, "%"), quantity(13.0, "weeks"), quantity(12345.6, "pathways")
    ('98.4%', '13.0 weeks', '12,346 pathways')
    >>> quantity(3.14), quantity(None, "weeks")
    ('3.1', '')
    """
    if is_missing(x):
        return ""
    x = float(x)
    if unit == "%":
        return f"{x:.1f}%"
    text = f"{x:,.1f}" if abs(x) < 1000 else f"{x:,.0f}"
    return f"{text} {unit}" if unit else text


def percent(share: Any, decimals: int = 0) -> str:
    """A share of a whole (0.88) as a percentage (``88%``), '' if missing.

    >>> percent(0.8812), percent(0.99167, 1), percent(None)
    ('88%', '99.2%', '')
    """
    if is_missing(share):
        return ""
    return f"{float(share):.{decimals}%}"


def fixed(x: Any, decimals: int = 2, *, sign: bool = False) -> str:
    """A method's auxiliary statistic (a correlation, a dispersion, a standardised
    difference, a test statistic) at a fixed number of decimals, with thousands
    separators; ``sign=True`` writes ``+`` before positive values; '' if missing.

    >>> fixed(1.7749), fixed(-0.391, sign=True), fixed(0.39, sign=True), fixed(1234.56, 1)
    ('1.77', '-0.39', '+0.39', '1,234.6')
    """
    if is_missing(x):
        return ""
    return f"{float(x):{'+' if sign else ''},.{decimals}f}"
