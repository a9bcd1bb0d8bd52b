"""What a researcher uses in a notebook, in one place (also available as ``workbench.<name>``).

The rest of the package is organised by job (``data``, ``analysis``, ``report``, ``batch``);
this module gathers the functions and types a notebook calls, so that a notebook needs one
import and keeps working when a module inside the package is reorganised. ``docs/api.md``
lists every name with an example.

>>> import workbench
>>> panel = workbench.load(seed=1, n_providers=40, n_months=6)
>>> spec = workbench.ModelSpec("rtt_median_weeks", ("nurse_fte_per_10_beds",), workbench.CASE_MIX)
>>> found = workbench.findings(workbench.fit(spec, panel), question="Do more nurses mean shorter waits?")
>>> found[0].key.outcome
'rtt_median_weeks'
"""

from __future__ import annotations

from workbench.analysis.claims.assessment import assess_claims
from workbench.analysis.effects.mediation import mediate_panel
from workbench.analysis.findings.formatting import interval, number, p_value
from workbench.analysis.findings.multiple import adjust_p
from workbench.analysis.findings.record import (
    Finding,
    FindingId,
    Findings,
    findings_frame,
    readable_frame,
    truth_for,
)
from workbench.analysis.findings.record import findings_of as findings
from workbench.analysis.models.diagnostics import influence_frame, residual_frame
from workbench.analysis.models.fit import (
    CASE_MIX,
    SUBSETS,
    ModelSpec,
    add_lag,
    fit,
    sector_difference,
    select_subset,
)
from workbench.analysis.monitoring.funnel import funnel
from workbench.analysis.monitoring.spc import spc
from workbench.analysis.questions.did_it_work import evaluate_change, insert_known_change
from workbench.analysis.questions.planning import EvaluationPlan, plan_evaluation, plan_like
from workbench.analysis.questions.provider_funnel import funnel_outliers, funnel_view
from workbench.analysis.questions.spc_monitoring import spc_summary, spc_view
from workbench.analysis.queues.calculators import (
    factor_for,
    queue_load,
    relief_capacity,
    target_capacity,
    target_mean_wait,
    target_queue_size,
    waiting_list_pressure,
)
from workbench.analysis.queues.flows import flow_stats, relief_plan
from workbench.analysis.queues.simulation import schedule_slots, wl_schedule, wl_simulator
from workbench.analysis.queues.staffing import staffing_worth
from workbench.analysis.queues.waiting_list import (
    wl_queue_size,
    wl_referral_stats,
    wl_removal_stats,
    wl_stats,
)
from workbench.data.catalogue import NotHeld
from workbench.data.measures import MEASURES, label
from workbench.data.rtt_flows import aggregate as aggregate_flows
from workbench.data.synth import generate
from workbench.interactive import association, controls, in_batch
from workbench.interactive import spc_chart as explore_spc
from workbench.report.diagnostics import balance_plot, influence_plot, qq_plot, residual_plot
from workbench.report.evaluation_charts import event_study_chart, its_chart
from workbench.report.findings_file import read_findings, write_findings
from workbench.report.monitoring_charts import (
    funnel_chart,
    funnel_small_multiples,
    spc_chart,
    spc_small_multiples,
)
from workbench.report.notebook_text import escape_markdown
from workbench.report.panel_figures import (
    completeness_heatmap,
    forest,
    monthly_trend,
    relationship,
    sector_comparison,
)
from workbench.report.performance_matrix import (
    icon_legend,
    performance_charts,
    performance_matrix,
)
from workbench.report.planning_charts import power_curve_chart
from workbench.report.queue_charts import list_target_chart, relief_plan_chart
from workbench.report.sector_figures import specialty_dots
from workbench.report.tables import findings_table, sentences
from workbench.report.theme import subplots, theme_context
from workbench.session import Session, load, start, summarize

__all__ = [  # grouped in docs/api.md
    "CASE_MIX",
    "MEASURES",
    "SUBSETS",
    "EvaluationPlan",
    "Finding",
    "FindingId",
    "Findings",
    "ModelSpec",
    "NotHeld",
    "Session",
    "add_lag",
    "adjust_p",
    "aggregate_flows",
    "assess_claims",
    "association",
    "balance_plot",
    "completeness_heatmap",
    "controls",
    "escape_markdown",
    "evaluate_change",
    "event_study_chart",
    "explore_spc",
    "factor_for",
    "findings",
    "findings_frame",
    "findings_table",
    "fit",
    "flow_stats",
    "forest",
    "funnel",
    "funnel_chart",
    "funnel_outliers",
    "funnel_small_multiples",
    "funnel_view",
    "generate",
    "icon_legend",
    "in_batch",
    "influence_frame",
    "influence_plot",
    "insert_known_change",
    "interval",
    "its_chart",
    "label",
    "list_target_chart",
    "load",
    "mediate_panel",
    "monthly_trend",
    "number",
    "p_value",
    "performance_charts",
    "performance_matrix",
    "plan_evaluation",
    "plan_like",
    "power_curve_chart",
    "qq_plot",
    "queue_load",
    "read_findings",
    "readable_frame",
    "relationship",
    "relief_capacity",
    "relief_plan",
    "relief_plan_chart",
    "residual_frame",
    "residual_plot",
    "schedule_slots",
    "sector_comparison",
    "sector_difference",
    "select_subset",
    "sentences",
    "spc",
    "spc_chart",
    "spc_small_multiples",
    "spc_summary",
    "spc_view",
    "specialty_dots",
    "staffing_worth",
    "start",
    "subplots",
    "summarize",
    "target_capacity",
    "target_mean_wait",
    "target_queue_size",
    "theme_context",
    "truth_for",
    "waiting_list_pressure",
    "wl_queue_size",
    "wl_referral_stats",
    "wl_removal_stats",
    "wl_schedule",
    "wl_simulator",
    "wl_stats",
    "write_findings",
]
