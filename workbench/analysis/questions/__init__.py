"""One module per notebook: the only place a notebook's analysis lives.

Each module composes the methods for its notebook and returns results that give
findings: :mod:`~workbench.analysis.questions.data_quality` (01),
:mod:`~workbench.analysis.questions.staffing_waits_satisfaction` (02),
:mod:`~workbench.analysis.questions.nhs_vs_private` (03),
:mod:`~workbench.analysis.questions.spc_monitoring` (04),
:mod:`~workbench.analysis.questions.provider_funnel` (05),
:mod:`~workbench.analysis.questions.claims_register` (06),
:mod:`~workbench.analysis.questions.real_data_staffing_ae` (07),
:mod:`~workbench.analysis.questions.did_it_work` (08),
:mod:`~workbench.analysis.questions.what_patients_write` (09),
:mod:`~workbench.analysis.questions.waits_like_for_like` (10) and
:mod:`~workbench.analysis.questions.nhs_chain` (11).
:mod:`~workbench.analysis.questions.common` holds what several of them share (the
adjustment set of a subset, the headline cluster rule, checks of what a panel holds).
"""
