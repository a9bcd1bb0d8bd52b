"""Sensitivity to unmeasured confounding: E-values for adjusted estimates.

An adjusted difference is causal only if no unmeasured confounder remains. The
**E-value** (VanderWeele & Ding 2017, *Ann Intern Med* 167:268-274) says how strong such a
confounder would have to be: the minimum risk ratio that an unmeasured confounder would
need with *both* the exposure and the outcome, beyond the measured controls, to explain
the estimate away. For a risk ratio RR > 1 (invert one below 1)::

    E = RR + sqrt(RR * (RR - 1))

and the E-value of the interval is that of the limit closer to 1 (1 when the interval
includes no effect: no confounding is needed to make it include the null).

Other scales are converted to an approximate risk ratio first, as VanderWeele & Ding
(2017, section "Other effect measures") recommend:

* a difference on a continuous outcome (linear models): the standardised difference
  d = estimate x contrast / SD(outcome), then RR ~ exp(0.91 d) (the conversion of
  Chinn 2000 and Hasselblad & Hedges 1995 that VanderWeele & Ding use);
* a rate ratio (Poisson, negative binomial): as it is;
* an odds ratio of a common outcome (FFT positive responses, better CQC ratings; both
  well over 15%): RR ~ sqrt(OR) (VanderWeele 2017, *Biometrics* 73:1413).

The contrast is the exposure's unit for a 0/1 indicator (sector, ownership) and one
standard deviation of the exposure (over the fitted rows) otherwise, so an E-value
reads "per SD of staffing".

**Within-provider (fixed-effects) estimates** are on the scale of the variation they use:
each provider's deviations from its own means. Their standardised difference divides by
the **within-provider SDs** (the SDs of the exposure and the outcome after each
provider's mean is removed), d = estimate x SD_within(x) / SD_within(y), and the
confounder their E-value describes is one that changes within providers over time
(anything fixed over the panel is already removed): ``sensitivity["within"]`` is True
and :func:`evalue_sentence` says so. E-values rather than the robustness value of Cinelli &
Hazlett (2020) are given because they apply to every model kind here (GLMs and ordinal
models as well as linear ones) and are read the same way in each.

Example
-------
>>> r = evalue_rr(2.0, 1.5, 2.7)
>>> round(r["evalue"], 2), round(r["ci_evalue"], 2)
(3.41, 2.37)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from workbench.analysis.findings import formatting
from workbench.errors import AnalysisInputError

__all__ = ["evalue_or", "evalue_rr", "evalue_sentence", "evalue_smd", "finding_evalue"]


def _e(rr: float) -> float:
    rr = 1.0 / rr if rr < 1 else rr
    return float(rr + math.sqrt(rr * (rr - 1.0)))


def evalue_rr(rr: float, lo: float | None = None, hi: float | None = None) -> dict[str, Any]:
    """E-value of a risk ratio ``rr`` and of its interval ``lo`` to ``hi``.

    >>> evalue_rr(0.5)["evalue"] == evalue_rr(2.0)["evalue"]
    True
    >>> evalue_rr(1.3, 0.9, 1.8)["ci_evalue"]
    1.0
    >>> evalue_rr(-1.0)
    Traceback (most recent call last):
    ...
    workbench.errors.AnalysisInputError: evalue_rr(): rr is -1.0. Expected: a positive risk ratio.
    """
    if not (isinstance(rr, (int, float)) and rr > 0 and math.isfinite(rr)):
        raise AnalysisInputError("evalue_rr", "rr", f"is {rr!r}",
                                 expected="a positive risk ratio")
    out: dict[str, Any] = {"method": "E-value (VanderWeele & Ding 2017)", "rr": float(rr),
                           "evalue": _e(rr)}
    if lo is not None and hi is not None and lo > 0 and hi > 0:
        if lo <= 1.0 <= hi:
            out["ci_evalue"] = 1.0
        else:
            out["ci_evalue"] = _e(lo if rr > 1 else hi)
    return out


def evalue_smd(d: float, lo: float | None = None, hi: float | None = None) -> dict[str, Any]:
    """E-value of a standardised difference ``d`` (a continuous outcome), via
    RR ~ exp(0.91 d).

    >>> round(evalue_smd(0.5)["evalue"], 2)
    2.53
    """
    conv = (lambda x: None if x is None else float(np.exp(0.91 * x)))
    out = evalue_rr(conv(d), conv(lo), conv(hi))
    out.update(scale="standardised difference d, RR ~ exp(0.91 d)", d=float(d))
    return out


def evalue_or(odds_ratio: float, lo: float | None = None, hi: float | None = None, *,
              common: bool = True) -> dict[str, Any]:
    """E-value of an odds ratio; a common outcome (over ~15%) uses RR ~ sqrt(OR).

    >>> round(evalue_or(4.0)["evalue"], 2), round(evalue_or(4.0, common=False)["evalue"], 2)
    (3.41, 7.46)
    """
    conv = (lambda x: None if x is None else float(np.sqrt(x) if common else x))
    out = evalue_rr(conv(odds_ratio), conv(lo), conv(hi))
    out.update(scale="odds ratio of a common outcome, RR ~ sqrt(OR)" if common
               else "odds ratio of a rare outcome, RR ~ OR")
    return out


def finding_evalue(f, fit, term: str) -> dict[str, Any]:
    """The E-value of a model finding ``f`` for ``term`` of ``fit`` (see the module).

    Returns ``{}`` when the scale has no E-value (an estimate without an interval, or a
    constant outcome).
    """
    if f.ci_low is None or f.ci_high is None or not np.isfinite([f.estimate, f.ci_low,
                                                                 f.ci_high]).all():
        return {}
    out = _finding_evalue(f, fit, term)
    return out if out and np.isfinite(out.get("evalue", np.nan)) else {}


def _finding_evalue(f, fit, term: str) -> dict[str, Any]:
    from workbench.analysis.findings.wording import DUMMY

    spec, data = fit.spec, fit.data
    base = term.rsplit("__", 1)[0] if spec.within_between else term
    binary = bool(DUMMY.match(base))
    within = spec.kind == "fe" and spec.cluster in data
    if within:  # the variation a fixed-effects estimate uses: deviations from own means
        by = data[spec.cluster]
        data = data.assign(**{c: data[c] - data.groupby(by)[c].transform("mean")
                              for c in {term, spec.outcome} if c in data})
    sd_x = 1.0 if binary else float(data[term].std()) if term in data else float("nan")
    what = "one within-provider SD" if within else "one SD"
    contrast = ("the indicator (1 vs 0)" if binary
                else f"{what} of the exposure ({formatting.number(sd_x)})")
    if not np.isfinite(sd_x) or sd_x <= 0:
        return {}
    if spec.kind in ("poisson", "negbin"):
        out = evalue_rr(f.estimate ** sd_x, f.ci_low ** sd_x, f.ci_high ** sd_x)
        out["scale"] = "rate ratio"
    elif spec.kind == "ordinal":
        if max(abs(f.estimate), abs(f.ci_low), abs(f.ci_high)) * sd_x > 50:
            return {}  # separation: no finite odds ratio to convert
        out = evalue_or(*(float(np.exp(v * sd_x)) for v in (f.estimate, f.ci_low, f.ci_high)))
    elif spec.kind == "binomial" and spec.link == "logit":
        out = evalue_or(*(float(v ** sd_x) for v in (f.estimate, f.ci_low, f.ci_high)))
    else:
        y = data["_prop"] * 100 if spec.kind == "binomial" else data[spec.outcome]
        sd_y = float(y.std())
        if not np.isfinite(sd_y) or sd_y <= 0:
            return {}
        out = evalue_smd(*(v * sd_x / sd_y for v in (f.estimate, f.ci_low, f.ci_high)))
        out["sd_outcome"] = sd_y
        if within:
            out["scale"] = ("standardised difference d on within-provider SDs of the "
                            "exposure and the outcome, RR ~ exp(0.91 d)")
    out["contrast"] = contrast
    if within:
        out["within"] = True
    return out


def evalue_sentence(sens: dict[str, Any], exposure: str, outcome: str) -> str:
    """The E-value in words, for a claim or a report; for a within-provider estimate
    (``sens["within"]``) the confounder is one that changes within providers over time.

    >>> evalue_sentence(evalue_rr(2.0, 1.5, 2.7), "the sector", "waits")
    'An unmeasured confounder would have to be associated with both the sector and waits by a risk ratio of at least 3.41 each, beyond the measured controls, to explain the estimate away (2.37 to make its interval include no difference).'
    >>> evalue_sentence({**evalue_rr(2.0), "within": True}, "staffing", "waits")[:111]
    'An unmeasured confounder that changes within providers over time would have to be associated with both staffing'
    """
    if not sens or "evalue" not in sens:
        return ""
    ci = sens.get("ci_evalue")
    tail = ("; its interval already includes no difference" if ci == 1.0 else
            f" ({formatting.number(ci)} to make its interval include no difference)" if ci else "")
    who, beyond = (("that changes within providers over time ",
                    "beyond the provider and month fixed effects and the measured controls")
                   if sens.get("within") else ("", "beyond the measured controls"))
    return (f"An unmeasured confounder {who}would have to be associated with both {exposure} "
            f"and {outcome} by a risk ratio of at least {formatting.number(sens['evalue'])} "
            f"each, {beyond}, to explain the estimate away{tail}.")
