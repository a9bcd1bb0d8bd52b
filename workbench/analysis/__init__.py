"""From a panel to findings: the methods, grouped by kind, and one question module per notebook.

Method modules take DataFrames and return result objects whose ``.findings(question=...)``
gives :class:`~workbench.analysis.findings.record.Findings`; question modules compose
them. The subpackages, each importing only those after it (an import-linter contract):

* :mod:`~workbench.analysis.questions`: one module per notebook, the only place a
  notebook's analysis lives;
* :mod:`~workbench.analysis.claims`: the claims register, its claims, inputs and verdicts;
* the methods: :mod:`~workbench.analysis.effects` (weighting, mediation, like-for-like
  waits), :mod:`~workbench.analysis.monitoring` (SPC, Laney, funnel),
  :mod:`~workbench.analysis.evaluation` (interrupted time series, staggered DiD),
  :mod:`~workbench.analysis.text` (comment themes, quotations) and
  :mod:`~workbench.analysis.queues` (waiting lists);
* :mod:`~workbench.analysis.models`: what to fit and how, one fitter per kind;
* :mod:`~workbench.analysis.findings`: the Finding record, its wording, formatting,
  multiplicity and sensitivity.
"""
