# ---
# jupyter:
#   kernelspec:
#     display_name: Python (workbench)
#     language: python
#     name: workbench
# ---

# %% [markdown]
# # Is it changing? Monitoring one measure over time (SPC charts)
#
# **The question.** For each provider: has this measure really changed, or is this month's
# figure just the usual ups and downs? And if nothing changes, will the provider meet its
# target?
#
# **How to read the charts.** Each chart is one provider's monthly figures. The dashed
# lines are its *process limits*: while nothing changes, almost every month falls between
# them. Grey points are ordinary variation (*common cause*). Coloured points are *special
# causes*, patterns unlikely to arise by chance: a month outside the limits, seven months
# in a row rising or falling, seven months on one side of the average, or two of three
# months close to a limit. Orange means a change for the worse, blue for the better. The
# badges at the top right repeat this for the latest month (variation) and say whether the
# target will be met (assurance). This is the NHS "Making Data Count" method.
#
# A percentage or rate made of counts (FFT responses, A&E attendances, complaints per
# episode) is drawn as a *p'* or *u'* chart: its limits widen in a month with few
# responses and narrow in a month with many, and never pass 0 or 100%.
#
# **What it cannot show.** A special cause says *that* something changed, not *why*.

# %% tags=["parameters"]
# measures named by: measure
panel_path = ""       # panel parquet file; empty means the built-in synthetic default
seed = 20240430       # seed of the synthetic default (same seed, same data)
n_providers = 240     # providers in the synthetic default
n_months = 36         # months in the synthetic default
output_dir = ""       # folder for findings.json and figures/; empty: outputs/interactive/<notebook>
measure = "rtt_median_weeks"  # measure to chart (a name from the measure registry)
providers = []        # provider codes; empty: the first 6 NHS providers with 12 or more months
direction = ""        # "increase", "decrease" or "neutral" is better; empty: the measure's own
target = None         # target value for the assurance badge (e.g. 18); None: no target
rebase = []           # month starts ("YYYY-MM-01") that begin new limits, after a known change
chart = "auto"        # "auto": p'/u' chart for a percentage or rate with its counts, else XmR; "xmr"; "laney"

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

import workbench
from workbench import escape_markdown as md

# %%
from workbench.analysis.questions import spc_monitoring

s = workbench.start("04_spc_monitoring", panel_path=panel_path, seed=seed,
                    n_providers=n_providers, n_months=n_months, output_dir=output_dir,
                    measure=measure, providers=providers, direction=direction, target=target,
                    rebase=rebase, chart=chart)
view = spc_monitoring.spc_view(s.panel, measure, providers, direction=direction, target=target,
                          rebase=rebase, chart=chart, unit=s.unit)
display(Markdown(f"**Data:** {md(s.data_label)}. **Measure:** {md(workbench.label(measure))} "
                 f"({md(view.direction)} is better). **Providers:** {len(view.providers)}. "
                 f"**Chart:** {md(view.chart_words)}."))
display(Markdown("\n".join(f"- {md(n)}" for n in view.notes) or "All months have a value."))

# %% [markdown]
# ## The charts
#
# One chart per provider, with its own average and limits.

# %%
fig = workbench.spc_small_multiples(
    view.result, ncols=3, ylabel=workbench.label(measure),
    titles={c: f"{n} ({c})" for c, n in view.names.items()},
    kind=spc_monitoring.chart_kind(view))
s.savefig(fig, "spc")
plt.show()

# %% [markdown]
# ## In plain words
#
# For each provider, what the latest month shows:

# %%
found = s.add(view.findings())
display(workbench.sentences(found))

# %% [markdown]
# ## The numbers
#
# Latest value, the average and limits of the current period, and the two badges. In the
# findings file each provider's average is the estimate and its limits are the interval
# (they are process limits, not a confidence interval).

# %%
s.show(spc_monitoring.spc_table(view),
       {"provider_code": "Code", "provider_name": "Provider", "variation": "Variation",
        "assurance": "Assurance", "latest": "Latest value", "mean": "Average",
        "lower_limit": "Lower limit", "upper_limit": "Upper limit"}, digits=1);

# %% [markdown]
# ## Which changes are more than chance?
#
# With several providers charted, some break a rule by chance alone, and more often when
# one month's figure carries over into the next (a long waiting list does not clear in a
# month). This check looks at each provider's whole series for one unusual month, a
# sustained shift or a gradual drift, allowing for the seasonal pattern and for that
# carry-over, and keeps only the changes that remain once the chance of a false alarm
# across all the providers is controlled (a false discovery rate of 5%). A special cause
# that does not pass it may still be worth a look, but chance explains it as well.

# %%
checked = spc_monitoring.screen_view(view)
s.add([spc_monitoring.screen_finding(view, checked)])
display(Markdown(md(checked.sentence)))
s.show(spc_monitoring.screen_table(view, checked),
       {"provider_code": "Code", "provider_name": "Provider",
        "special_cause": "Special cause on the rules", "beyond_chance": "Change beyond chance",
        "most_likely_change": "Most likely change", "p_adjusted": "p (adjusted)"}, digits=3);

# %%
# In JupyterLab: drop-downs to chart another measure or provider.
# Batch runs (workbench run) show nothing here and the report is unchanged.
workbench.controls(
    workbench.explore_spc,
    {"measure": [measure] + [m for m in ("rtt_median_weeks", "rtt_pct_within_18w",
                                         "ae_pct_within_4h", "fft_pct_positive",
                                         "nurse_fte_per_10_beds", "sickness_absence_pct")
                             if m != measure],
     "provider": [(f"{n} ({c})", c) for c, n in view.names.items()]},
    output_dir=output_dir, data=s.panel,
    title="Explore: another measure or provider (each measure's own direction, no target)");

# %%
s.finish();
