"""One way of writing numbers for readers: estimates, intervals, p-values and the rest.

Notebook tables, finding sentences, reports, the study index and ``findings.csv`` readers
all see the same digits for the same number because they all call these functions. Which
function writes which number:

* what a finding reports (estimates, interval ends, ratios, E-values): :func:`number`,
  :func:`signed` and :func:`interval`, 3 significant digits, whole numbers in full (never
  in scientific notation);
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
>>> interval(-0.6134, -0.4321)
'-0.613 to -0.432'
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


def interval(low: Any, high: Any, digits: int = DIGITS, *, sign: bool = False) -> str:
    """A 95% interval as ``"low to high"``; '' when either end is missing. ``sign=True``
    writes the sign of both ends (:func:`signed`).

    >>> interval(0.5, 1.9), interval(None, 2), interval(0.0561, 0.216, sign=True)
    ('0.5 to 1.9', '', '+0.0561 to +0.216')
    """
    if is_missing(low) or is_missing(high):
        return ""
    write = signed if sign else number
    return f"{write(low, digits)} to {write(high, digits)}"


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
