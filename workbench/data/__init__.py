"""The data: the provider x month panel, from official files or the synthetic generator.

The ground the panel stands on: the registry of measures
(:mod:`~workbench.data.measures`) and the schema built from it
(:mod:`~workbench.data.schema`). Where panels come from: the calibrated synthetic
generator that knows its true effects (:mod:`~workbench.data.synth`), its named scenarios
(:mod:`~workbench.data.scenarios`) and inserted changes
(:mod:`~workbench.data.interventions`); or official files, downloaded
(:mod:`~workbench.data.fetch`), read (:mod:`~workbench.data.sources`, one reader per
publication), recognised (:mod:`~workbench.data.panel_files`), given a sector from what
registers say (:mod:`~workbench.data.registers`) and joined
(:mod:`~workbench.data.panel`, :mod:`~workbench.data.panel_join`), with the coverage table
(:mod:`~workbench.data.panel_coverage`), the ``specialty_waits`` table
(:mod:`~workbench.data.specialty_waits`), the annual, quarterly, monthly and national
tables of the publications not joined (:mod:`~workbench.data.side_tables`) and the files
written beside the panel (:mod:`~workbench.data.panel_outputs`).
:mod:`~workbench.data.catalogue` lists what a study's data hold;
:mod:`~workbench.data.cli_data` is the ``workbench data`` command.
"""
