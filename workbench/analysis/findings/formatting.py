"""One way of writing numbers for readers: estimates, intervals and p-values.

Notebook tables, reports, the study index and ``findings.csv`` readers all see the same
digits for the same number because they all call these functions.

* estimates and interval ends: 3 significant digits; whole numbers in full;
* p-values: 2 significant digits, ``<0.001`` below one in a thousand;
* missing values: empty text.

>>> number(0.123456), number(1234567), number(12.0), number(None)
('0.123', '1234567', '12', '')
>>> interval(-0.6134, -0.4321)
'-0.613 to -0.432'
>>> p_value(0.04567), p_value(0.00001), p_value(float("nan"))
('0.046', '<0.001', '')
"""

from __future__ import annotations

import math
from typing import Any

#: Significant digits of estimates and interval ends.
DIGITS = 3


def _missing(x: Any) -> bool:
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
    if _missing(x):
        return ""
    if isinstance(x, bool) or not isinstance(x, (int, float)) and not hasattr(x, "item"):
        return str(x)
    if hasattr(x, "item"):
        x = x.item()
    if isinstance(x, int):
        return str(x)
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.{digits}g}"


def interval(low: Any, high: Any, digits: int = DIGITS) -> str:
    """A 95% interval as ``"low to high"``; '' when either end is missing.

    >>> interval(0.5, 1.9), interval(None, 2)
    ('0.5 to 1.9', '')
    """
    if _missing(low) or _missing(high):
        return ""
    return f"{number(low, digits)} to {number(high, digits)}"


def p_value(p: Any) -> str:
    """A p-value for readers: 2 significant digits, ``<0.001`` below that, '' if missing.

    >>> p_value(0.2), p_value(1.0)
    ('0.2', '1')
    """
    if _missing(p):
        return ""
    p = float(p)
    return "<0.001" if p < 0.001 else f"{p:.2g}"


def count(n: Any) -> str:
    """A count with thousands separators, '' if missing.

    >>> count(12345), count(None)
    ('12,345', '')
    """
    if _missing(n):
        return ""
    return f"{int(n):,}"
