"""What every analysis ends in: the Finding record and how its numbers are written and judged.

:mod:`~workbench.analysis.findings.record` holds the :class:`Finding` record, the
:class:`Findings` list, their tidy and readable frames and the text of ``findings.json``
and ``truth.json``; :mod:`~workbench.analysis.findings.formatting` is the one way of
writing numbers for readers; :mod:`~workbench.analysis.findings.wording` the sentence a
model finding reads as; :mod:`~workbench.analysis.findings.multiple` the
Benjamini-Hochberg adjustment across a study's findings; and
:mod:`~workbench.analysis.findings.sensitivity` E-values for unmeasured confounding.
"""
