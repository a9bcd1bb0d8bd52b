"""What people who do not read code see: figures, tables, reports and the study's index.

Figures in one look (:mod:`~workbench.report.theme`): the panel and its findings
(:mod:`~workbench.report.panel_figures`), model diagnostics
(:mod:`~workbench.report.diagnostics`), monitoring and evaluation charts
(:mod:`~workbench.report.monitoring_charts`, :mod:`~workbench.report.evaluation_charts`)
and the sector comparison (:mod:`~workbench.report.sector_figures`); the findings table
styled for a notebook (:mod:`~workbench.report.tables`). Pages: a run's report
(:mod:`~workbench.report.run_report`) and the study's index
(:mod:`~workbench.report.study_index`), headed with the notebook's own words
(:mod:`~workbench.report.notebook_text`) and rebuilt by one sanitiser
(:mod:`~workbench.report.sanitise`). What must not be shown: small counts
(:mod:`~workbench.report.disclosure`), private parameter values and local paths
(:mod:`~workbench.report.masking`). A run's ``findings.json`` and ``truth.json`` are
written by :mod:`~workbench.report.findings_file`.
"""
