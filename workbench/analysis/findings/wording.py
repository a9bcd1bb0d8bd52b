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
'Raw difference (no adjustment): FFT positive responses were 1.5 percentage points higher (95% CI 0.5 to 2.5) for independent providers than for NHS trusts.'
"""

from __future__ import annotations

import re

import numpy as np

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


def unit(spec, exposure: str) -> str:
    """The unit of the finding for ``exposure`` in a model ``spec``
    (a :class:`~workbench.analysis.models.fit.ModelSpec`).

    >>> from types import SimpleNamespace
    >>> unit(SimpleNamespace(outcome="fft_pct_positive", kind="ols", link="logit"),
    ...      "rtt_median_weeks")
    'percentage points per weeks'
    """
    out = M.MEASURES.get(spec.outcome)
    exp_base = LAG.match(exposure)["base"] if LAG.match(exposure) else exposure
    ex = M.MEASURES.get(exp_base)
    per = f"per {ex.unit}" if ex else "independent vs reference"
    if DUMMY.match(exposure):
        d = DUMMY.match(exposure)
        per = f"{d['level'].replace('_', ' ')} vs reference"
    if spec.kind in ("poisson", "negbin"):
        return f"rate ratio {per}"
    if spec.kind == "binomial" and spec.link == "logit":
        return f"odds ratio {per}"
    if spec.kind == "ordinal":
        return f"log-odds of a better rating {per}"
    out_unit = "percentage points" if out and out.unit == "%" else (out.unit if out else "")
    return f"{out_unit} {per}".strip()


def plain_label(name: str) -> str:
    """The measure's label without its unit in brackets.

    >>> plain_label("rtt_median_weeks")
    'RTT median wait'
    """
    return re.sub(r"\s*\([^)]*\)\s*$", "", M.label(name))


def describe(f: Finding, exposure: str, outcome: str) -> str:
    """A plain-words sentence for a finding, with its 95% interval.

    >>> f = Finding(id="effect:rtt_median_weeks->fft_pct_positive@acute", question="q",
    ...             estimate=-0.52, ci_low=-0.61, ci_high=-0.43, unit="pp", model="ols")
    >>> describe(f, "rtt_median_weeks", "fft_pct_positive")
    'FFT positive responses were 0.52 percentage points lower (95% CI 0.43 to 0.61) for each extra week of RTT median wait.'
    >>> f.estimate, f.ci_low, f.ci_high = 0.4651, -0.1234, 1.0456
    >>> describe(f, "rtt_median_weeks", "fft_pct_positive")
    'FFT positive responses were 0.465 percentage points higher (95% CI -0.123 to 1.05: no clear difference) for each extra week of RTT median wait.'
    """
    out = plain_label(outcome)
    d, lag = DUMMY.match(exposure), LAG.match(exposure)
    if d:
        what = (f"for {d['level'].replace('_', ' ')} providers than for "
                f"{REFERENCE.get(d['var'], 'the reference group')}")
    else:
        base = lag["base"] if lag else exposure
        m = M.MEASURES.get(base)
        k = int(lag["k"]) if lag else 0
        when = "" if not lag else (" one month earlier" if k == 1 else f" {k} months earlier")
        what = f"for each extra {m.per_unit if m else 'unit of ' + base}{when}"
    has_ci = f.ci_low is not None and f.ci_high is not None
    ci = f" (95% CI {formatting.interval(f.ci_low, f.ci_high)})" if has_ci else ""
    if f.unit.startswith("rate ratio"):
        return (f"{out} {'were' if out.endswith('s') else 'was'} multiplied by "
                f"{formatting.number(f.estimate)}{ci} {what}.")
    if f.unit.startswith("odds ratio"):
        return (f"The odds that a response was positive ({out}) were multiplied by "
                f"{formatting.number(f.estimate)}{ci} {what}.")
    if f.unit.startswith("log-odds"):
        word = "better" if f.estimate >= 0 else "worse"
        return (f"The log-odds of a better {out} differed by {formatting.signed(f.estimate)}"
                f"{ci} {what} ({word} ratings more likely).")
    om = M.MEASURES.get(outcome)
    unit_words = "percentage points" if om is not None and om.unit == "%" else (
        om.unit if om else "units")
    direction = "higher" if f.estimate >= 0 else "lower"
    ci = ""
    if has_ci:
        if np.sign(f.ci_low) == np.sign(f.ci_high):
            lo, hi = sorted((abs(f.ci_low), abs(f.ci_high)))
            ci = f" (95% CI {formatting.interval(lo, hi)})"
        else:
            ci = (f" (95% CI {formatting.interval(f.ci_low, f.ci_high)}: "
                  "no clear difference)")
    verb = "were" if out.endswith("s") else "was"
    return (f"{out} {verb} {formatting.number(abs(f.estimate))} {unit_words} {direction}{ci} "
            f"{what}.")


def sentence(f: Finding, exposure: str, outcome: str, prefix: str) -> str:
    """The finding's sentence: the lead-in of ``prefix`` (:data:`LEAD`, none for other
    prefixes) and :func:`describe`.
    """
    return LEAD.get(prefix, "") + describe(f, exposure, outcome)
