"""Did the change work? Methods that estimate the effect of a change at known dates.

:mod:`~workbench.analysis.evaluation.its` fits an interrupted time series (segmented
regression) for one provider or a group; :mod:`~workbench.analysis.evaluation.did`
compares providers that changed with those that did not (staggered
difference-in-differences, with its event study, pre-trend summary, randomisation
inference and sensitivity band); :mod:`~workbench.analysis.evaluation.synthetic_control`
does so for one to three changed providers (synthetic difference-in-differences with
placebo-in-space inference).
"""
