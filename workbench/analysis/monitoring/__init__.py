"""Monitoring providers over time and against each other: SPC charts and funnel plots.

:mod:`~workbench.analysis.monitoring.spc` draws XmR charts with the NHS "Making Data
Count" rules; :mod:`~workbench.analysis.monitoring.laney` the charts for proportions and
rates (Laney p' and u', run charts, screening); :mod:`~workbench.analysis.monitoring.funnel`
compares providers allowing for their size and for overdispersion.
"""
