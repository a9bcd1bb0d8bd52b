"""The true structural effects of the synthetic generator, and overrides of them.

:class:`Effects` holds every effect :func:`workbench.data.synth.generate` builds a panel
with; a study's ``data.synthetic.effects`` and ``generate(effects={...})`` override some of
them by name (:func:`resolve_effects`). Kept apart from the generator so a study can be
checked without importing it.

>>> resolve_effects({"staffing_on_wait": 0}).staffing_on_wait
0.0
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

import numpy as np

from workbench.data import scenarios as S
from workbench.errors import GeneratorError, GeneratorTypeError


@dataclass(frozen=True)
class Effects:
    """The true structural effects. Units are those of the outcome per unit of exposure."""

    staffing_on_wait: float = -0.40        # weeks per extra nurse FTE per 10 beds
    wait_on_fft: float = -0.50             # FFT pp per extra week of median wait
    staffing_on_fft: float = 0.40          # FFT pp per nurse FTE per 10 beds (direct path)
    engagement_lag1_on_fft: float = 1.50   # FFT pp per engagement point last month
    staffing_on_ae: float = 1.00           # A&E 4-hour pp per nurse FTE per 10 beds
    wait_on_complaints: float = 0.03       # log complaint rate per week of median wait
    staffing_on_complaints: float = -0.02  # log complaint rate per nurse FTE per 10 beds
    independent_on_staffing: float = 1.00  # FTE per 10 beds, independent minus NHS
    independent_on_wait: float = -1.00     # weeks, direct sector effect on waits
    independent_on_fft: float = 1.00       # pp, direct sector effect on FFT
    independent_on_engagement: float = 0.20
    independent_on_cqc: float = 1.00       # log-odds, given staffing and engagement
    staffing_on_cqc: float = 0.30          # log-odds per FTE per 10 beds (acute)
    engagement_on_cqc: float = 1.00        # log-odds per engagement point (acute)
    # care homes: log-odds of a better CQC rating, reference not-for-profit
    for_profit_on_cqc: float = -0.54
    local_authority_on_cqc: float = -0.25
    care_staffing_on_cqc: float = 0.25     # log-odds per care staff FTE per 10 beds
    # case mix (confounders)
    case_mix_on_wait: float = 5.0          # weeks per unit of case-mix index
    age75_on_wait: float = 0.03            # weeks per percentage point aged 75+
    deprivation_on_wait: float = 0.03      # weeks per IMD point
    case_mix_on_fft: float = -5.0          # pp per unit case-mix index
    age75_on_fft: float = 0.05             # pp per pp aged 75+
    deprivation_on_fft: float = -0.03      # pp per IMD point
    case_mix_on_complaints: float = 0.50   # log rate per unit case-mix index
    independent_on_complaints: float = -0.20


def effect_names() -> list[str]:
    """The names of the true effects a study or ``generate(effects=...)`` may set.

    >>> effect_names()[:3]
    ['staffing_on_wait', 'wait_on_fft', 'staffing_on_fft']
    """
    return [f.name for f in fields(Effects)]


def effect_overrides(effects: Effects) -> dict[str, float]:
    """The effects of ``effects`` that differ from the calibrated defaults, by name.

    >>> effect_overrides(Effects(staffing_on_wait=0.0))
    {'staffing_on_wait': 0.0}
    """
    default = Effects()
    return {k: float(getattr(effects, k)) for k in effect_names()
            if getattr(effects, k) != getattr(default, k)}


def resolve_effects(effects: Effects | Mapping[str, float] | None = None,
                    scenario: str = S.DEFAULT_SCENARIO) -> Effects:
    """The :class:`Effects` a panel is generated with: ``effects`` itself, or the
    calibrated defaults with the overrides of a mapping (``{"staffing_on_wait": 0}``).

    A name that is not an effect (:func:`effect_names`), a value that is not a finite
    number, or an override of an effect that ``scenario`` sets itself (the ``null``
    scenario's zero staffing and sector effects; the ``heterogeneous`` scenario's
    staffing -> wait effects) is a :class:`~workbench.errors.GeneratorError` naming it.

    >>> resolve_effects({"staffing_on_wait": 0}).staffing_on_wait
    0.0
    >>> resolve_effects({"staffing_on_waits": 0})
    Traceback (most recent call last):
    ...
    workbench.errors.GeneratorError: generate(): effects={'staffing_on_waits': 0} names 'staffing_on_waits', which is not an effect of the generator. Expected: one of staffing_on_wait, wait_on_fft, staffing_on_fft, engagement_lag1_on_fft, staffing_on_ae, wait_on_complaints, staffing_on_complaints, independent_on_staffing, independent_on_wait, independent_on_fft, independent_on_engagement, independent_on_cqc, staffing_on_cqc, engagement_on_cqc, for_profit_on_cqc, local_authority_on_cqc, care_staffing_on_cqc, case_mix_on_wait, age75_on_wait, deprivation_on_wait, case_mix_on_fft, age75_on_fft, deprivation_on_fft, case_mix_on_complaints, independent_on_complaints.
    """
    if effects is None:
        resolved = Effects()
    elif isinstance(effects, Effects):
        resolved = effects
    elif isinstance(effects, Mapping):
        names = effect_names()
        values = {}
        for key, value in effects.items():
            if key not in names:
                raise GeneratorError("effects", {key: value}, f"names {key!r}, which is not an "
                                     "effect of the generator",
                                     expected="one of " + ", ".join(names))
            if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) \
                    or not math.isfinite(float(value)):
                raise GeneratorTypeError("effects", {key: value}, f"gives {key!r} a value that "
                                         "is not a finite number",
                                         expected=f"a number, e.g. {key}: 0")
            values[key] = float(value)
        resolved = replace(Effects(), **values)
    else:
        raise GeneratorTypeError("effects", effects, "is neither Effects nor a mapping",
                                 expected="Effects(...) or a mapping such as "
                                          "{'staffing_on_wait': 0}")
    fixed = S.get(scenario).fixed_effects(effect_names()) if scenario in S.names() else {}
    for key, value in effect_overrides(resolved).items():
        if key in fixed and value != fixed[key][0]:
            raise GeneratorError("effects", {key: value}, f"sets {key!r}, which the "
                                 f"{scenario!r} scenario sets itself ({fixed[key][1]})",
                                 expected=f"no {key} override with scenario {scenario!r}, "
                                          "or another scenario")
    return resolved
