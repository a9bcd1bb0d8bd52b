"""What to fit and how: the model specification, one fitter per kind, inference and diagnostics.

:mod:`~workbench.analysis.models.spec` holds the specification (:class:`ModelSpec`), the
provider subsets, the case-mix set and the rows a model is fitted on;
:mod:`~workbench.analysis.models.fit` turns a spec into a :class:`Fit` and its findings;
:mod:`~workbench.analysis.models.fitters` keeps one fitter per model kind in a registry
by name; :mod:`~workbench.analysis.models.fastfit` fits linear models and canonical-link
GLMs from cross-products for panels of any size;
:mod:`~workbench.analysis.models.bootstrap` is the one wild cluster bootstrap, for
inference with few clusters; and :mod:`~workbench.analysis.models.diagnostics` gives
residuals and each provider's influence as tidy tables.
"""
