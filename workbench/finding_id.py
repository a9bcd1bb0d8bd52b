"""The finding id: which estimand a finding estimates, as a value with one text form.

Every finding, and every true value the synthetic generator records, is keyed by a
:class:`FindingId`. Its text form is what ``findings.json``, ``findings.csv`` and
``truth.json`` hold::

    <kind>:[<exposure>->]<outcome>[@<subset>][#<period>][#<variant>]

* ``kind``: what sort of estimate (``effect``, ``naive``, ``adjusted``, ``ipw``,
  ``indirect``, ``spc``, ``funnel``, ...);
* ``exposure``: what changes (absent for a level, e.g. an SPC mean); a path through a
  mediator is written ``a->m`` (``indirect:a->m->y@acute``);
* ``outcome``: the measure the estimate is about;
* ``subset``: the providers it is about: a subset name (``acute``, ``nhs``, ...) or one
  provider's code;
* ``period``: the month (``YYYY-MM``) when the estimate is about one month;
* ``variant``: another way of estimating the same estimand (``mixed``, ``fe``,
  ``bootstrap``, ...): a **robustness check**, which has the same true value as the
  estimand without the variant and stays out of the multiple-testing family.

Only this module reads id text; everything else asks a :class:`FindingId`.

>>> fid = FindingId.parse("effect:rtt_median_weeks->fft_pct_positive@acute#mixed")
>>> fid.exposure, fid.outcome, fid.subset, fid.variant, fid.robustness
('rtt_median_weeks', 'fft_pct_positive', 'acute', 'mixed', True)
>>> str(fid.estimand)
'effect:rtt_median_weeks->fft_pct_positive@acute'
>>> FindingId.parse("funnel:fft_pct_positive@N009#2026-03").robustness
False
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from workbench.errors import WorkbenchError

_TEXT = re.compile(r"^(?P<kind>[A-Za-z_][A-Za-z0-9_]*):(?P<body>[^@#]+)"
                   r"(?:@(?P<subset>[^#]+))?(?P<rest>(?:#[^#]+)*)$")
_PERIOD = re.compile(r"^\d{4}-\d{2}(?:-\d{2})?$")
_FORBIDDEN = ("@", "#", ":")


class FindingIdError(WorkbenchError, ValueError):
    """A finding id's text or parts do not follow the id grammar (see the module)."""


@dataclass(frozen=True, order=True)
class FindingId:
    """Which estimand a finding estimates (see the module docstring for the text form).

    >>> str(FindingId("spc", "rtt_median_weeks", subset="R001"))
    'spc:rtt_median_weeks@R001'
    >>> FindingId.parse(str(FindingId("effect", "y", "x", "nhs", variant="fe"))).variant
    'fe'
    """

    kind: str
    outcome: str
    exposure: str = ""
    subset: str = ""
    period: str = ""
    variant: str = ""

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", self.kind or ""):
            raise FindingIdError(f"finding id kind {self.kind!r} must be a word "
                                 "(letters, digits, underscores)")
        if not self.outcome:
            raise FindingIdError(f"finding id of kind {self.kind!r} needs an outcome")
        for name in ("outcome", "exposure", "subset", "period", "variant"):
            value = getattr(self, name)
            bad = [c for c in _FORBIDDEN if c in value]
            if bad:
                raise FindingIdError(f"finding id {name} {value!r} may not contain {bad}")
        if "->" in self.outcome:
            raise FindingIdError(f"finding id outcome {self.outcome!r} may not contain '->'")
        if self.period and not _PERIOD.match(self.period):
            raise FindingIdError(f"finding id period {self.period!r} is not YYYY-MM")
        if self.variant and _PERIOD.match(self.variant):
            raise FindingIdError(f"finding id variant {self.variant!r} looks like a period; "
                                 "pass it as period=")

    @property
    def robustness(self) -> bool:
        """True for another way of estimating an estimand already reported (a variant)."""
        return bool(self.variant)

    @property
    def estimand(self) -> FindingId:
        """The id without its variant: the key of the estimand's true value."""
        return replace(self, variant="")

    def with_(self, **parts: str) -> FindingId:
        """A copy with some parts replaced.

        >>> str(FindingId.parse("effect:x->y@acute").with_(kind="per_sd", variant="naive"))
        'per_sd:x->y@acute#naive'
        """
        return replace(self, **parts)

    def __str__(self) -> str:
        text = f"{self.kind}:"
        if self.exposure:
            text += f"{self.exposure}->"
        text += self.outcome
        if self.subset:
            text += f"@{self.subset}"
        if self.period:
            text += f"#{self.period}"
        if self.variant:
            text += f"#{self.variant}"
        return text

    @classmethod
    def parse(cls, text: str | FindingId) -> FindingId:
        """The id whose text form is ``text`` (``str(FindingId.parse(t)) == t``).

        >>> FindingId.parse("indirect:a->m->y@nhs").exposure
        'a->m'
        >>> FindingId.parse("no colon")
        Traceback (most recent call last):
        ...
        workbench.finding_id.FindingIdError: finding id 'no colon' does not follow kind:[exposure->]outcome[@subset][#period][#variant]
        """
        if isinstance(text, FindingId):
            return text
        m = _TEXT.match(str(text))
        if not m:
            raise FindingIdError(f"finding id {text!r} does not follow "
                                 "kind:[exposure->]outcome[@subset][#period][#variant]")
        exposure, _, outcome = m["body"].rpartition("->")
        period = variant = ""
        for part in [p for p in (m["rest"] or "").split("#") if p]:
            if _PERIOD.match(part) and not period and not variant:
                period = part
            elif not variant:
                variant = part
            else:
                raise FindingIdError(f"finding id {text!r} has more than one variant")
        return cls(kind=m["kind"], outcome=outcome, exposure=exposure,
                   subset=m["subset"] or "", period=period, variant=variant)


def estimand_key(text: str | FindingId) -> str:
    """The text of an id's estimand (its variant dropped): the key in ``truth.json``.

    >>> estimand_key("effect:a->b@acute#mixed")
    'effect:a->b@acute'
    """
    return str(FindingId.parse(text).estimand)
