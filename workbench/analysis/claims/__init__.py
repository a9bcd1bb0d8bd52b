"""The claims register: seven common claims about NHS and independent providers, tested.

:mod:`~workbench.analysis.claims.rules` holds the claims, their margins and the verdict
rule; :mod:`~workbench.analysis.claims.inputs` checks that the data hold what a claim
needs (or says why it cannot be answered); :mod:`~workbench.analysis.claims.assessment`
runs each claim's analysis (:func:`~workbench.analysis.claims.assessment.assess_claims`);
:mod:`~workbench.analysis.claims.register` shows the register as a table, Markdown and
findings; :mod:`~workbench.analysis.claims.constructs` names the constructs each claim
compares and the measures that can stand for each, and answers a claim on the best
published measures when the panel cannot; :mod:`~workbench.analysis.claims.contrasts` holds
the main-driver contrasts; :mod:`~workbench.analysis.claims.basis` chooses the evidence an
effect claim is judged on (within-provider estimates, or pooled ones when a between-within
test finds no gap).
"""
