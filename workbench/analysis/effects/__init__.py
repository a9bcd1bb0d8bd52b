"""Effect estimation: how much one thing changes another, and compared with what.

:mod:`~workbench.analysis.effects.weighting` compares NHS and independent providers
naive, regression-adjusted and propensity-weighted;
:mod:`~workbench.analysis.effects.mediation` asks how much of staffing's effect on
satisfaction runs through waits; :mod:`~workbench.analysis.effects.like_for_like`
compares the sectors' waits within treatment function;
:mod:`~workbench.analysis.effects.cross_section` aligns measures of different frequencies on
one cross-section of trusts and models complaints as counts with their exposure.
"""
