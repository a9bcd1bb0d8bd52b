# ---
# jupyter:
#   kernelspec:
#     display_name: Python (workbench)
#     language: python
#     name: workbench
# ---

# %% [markdown]
# # Integrated performance report: many measures, one page
#
# **The question.** For one provider (or a group of providers), which measures have
# really changed, for better or worse, and which will meet their targets if nothing
# changes?
#
# **How it is answered.** NHS England's *Making Data Count* approach, as boards read it:
# each measure is drawn as a statistical process control (SPC) chart, and one summary
# matrix gives, for every measure, the latest value, the target and two icons. The
# **variation** icon says what the latest month shows: ordinary ups and downs (*common
# cause*), or a *special cause* of improvement (blue) or concern (orange), from a higher
# (H) or lower (L) value. The **assurance** icon compares the target with the chart's
# process limits, the range in which nearly every month falls while nothing changes: the
# target will consistently be met (P), consistently be missed (F), or sometimes met and
# sometimes missed (hit and miss, ?). A percentage or rate made of counts (FFT responses,
# A&E attendances, complaints per episode) is charted as a *p'* or *u'* chart, whose limits
# allow for each month's numbers; other measures as an XmR chart.
#
# **What it cannot show.** A special cause says *that* something changed, not *why*;
# common cause variation says the process is stable, not that it is good enough.

# %% tags=["parameters"]
# measures named by: measures
panel_path = ""       # panel parquet file; empty means the built-in synthetic default
seed = 20240430       # seed of the synthetic default (same seed, same data)
n_providers = 240     # providers in the synthetic default
n_months = 36         # months in the synthetic default
output_dir = ""       # folder for findings.json and figures/; empty: outputs/interactive/<notebook>
providers = []        # provider codes: one for a provider, several for a group added together; empty: the first NHS acute trust
group_name = ""       # the name of a group of providers (empty: their codes)
measures = [{"measure": "rtt_median_weeks", "direction": "decrease", "target": 18},
            {"measure": "fft_pct_positive", "direction": "increase", "target": 90},
            {"measure": "ae_pct_within_4h", "direction": "increase", "target": 78},
            {"measure": "complaints_per_1000", "direction": "decrease"}]  # each a measure's name, or {measure, direction, target}
start = ""            # first month ("YYYY-MM"); empty: the data's first
end = ""              # last month ("YYYY-MM"); empty: the data's last

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

import workbench
from workbench import escape_markdown as md
from workbench.analysis.questions import integrated_performance_report as q13

# %%
s = workbench.start("13_integrated_performance_report", panel_path=panel_path, seed=seed,
                    n_providers=n_providers, n_months=n_months, output_dir=output_dir,
                    providers=providers, group_name=group_name, measures=measures,
                    start=start, end=end)
report = q13.performance_report(s.panel, measures, providers, start=start, end=end,
                                group_name=group_name)
display(Markdown(f"**Data:** {md(s.data_label)}."))
display(report.answer())

# %% [markdown]
# ## The summary matrix
#
# One row per measure. The latest value is the latest month's; the reading says what the
# icons say in words.

# %%
display(workbench.performance_matrix(report))

# %% [markdown]
# ### What the icons mean

# %%
display(workbench.icon_legend())

# %% [markdown]
# ## Each measure's chart
#
# Each chart shows the measure month by month with its average (solid line) and process
# limits (dashed); coloured points are special causes. The icons at the top right of each
# chart are those of the matrix.

# %%
fig = workbench.performance_charts(report, ncols=2)
s.savefig(fig, "measures")
plt.show()

# %% [markdown]
# ## In plain words
#
# For each measure charted, the latest value against its target and what it shows:

# %%
found = s.add(report.findings())
display(workbench.sentences(found, empty="No measure could be charted."))

# %% [markdown]
# ## What this report can and cannot show

# %%
display(Markdown("\n".join(f"- {md(n)}" for n in report.limits())))

# %%
s.finish();
