"""Effect estimation: how much one thing changes another, and compared with what.

:mod:`~workbench.analysis.effects.weighting` compares NHS and independent providers
naive, regression-adjusted and propensity-weighted;
:mod:`~workbench.analysis.effects.mediation` asks how much of staffing's effect on
satisfaction runs through waits; :mod:`~workbench.analysis.effects.like_for_like`
compares the sectors' waits within treatment function.
"""
