# ---
# jupyter:
#   kernelspec:
#     display_name: Python (workbench)
#     language: python
#     name: workbench
# ---

# %% [markdown]
# # How big should our waiting list be?
#
# **The question.** Given the patients referred each week, how long should the waiting list
# be for the 18-week standard (92% of patients within 18 weeks), how much activity brings it
# there by a date and keeps it there, is the list under pressure, and what is a change in
# nurse staffing worth in patients and weeks?
#
# **The data.** NHS England's referral-to-treatment (RTT) counts for each provider and
# treatment function: new clock starts (the patients joining the list), completed admitted
# and non-admitted pathways (the patients treated) and the incomplete pathways (the list)
# with how long each has waited, in weekly bands. On the synthetic default the same flows
# are simulated with known true rates.
#
# **How it is answered.** Queueing theory as the NHS-R community's NHSRwaitinglist
# package applies it (Fong et al. 2022): Little's law gives the list size that meets the
# standard (demand x the mean wait that sees 92% within 18 weeks, 7.1 weeks of demand);
# the relief capacity brings the list there in the chosen number of weeks; the target
# capacity keeps it there; the pressure (2 x mean wait / 18 weeks) says whether the list
# can meet the standard. Intervals come from the month-to-month chance in the counts. The
# relief plan is simulated week by week. The staffing translation uses notebook 02's
# within-provider estimate of staffing on waits.
#
# **What it cannot show.** Pathways also end without treatment (validation, treatment
# elsewhere), which the publication does not count: they are implied from the flows. The
# formulas assume a steady list and waits that are roughly exponential; they are a guide
# for planning, not a forecast.

# %% tags=["parameters"]
# needs: waiting (the RTT waiting-list flows of providers: new clock starts, completions and the list by treatment function)
panel_path = ""       # panel parquet file; empty means the built-in synthetic default
seed = 20240430       # seed of the synthetic default (same seed, same data)
n_providers = 240     # providers in the synthetic default
n_months = 36         # months in the synthetic default
output_dir = ""       # folder for findings.json and figures/; empty: outputs/interactive/<notebook>
provider = "England"  # a provider's ODS code (e.g. "RJ1"), a region, a sector, or "England"
specialties = []      # treatment function codes (e.g. ["C_110", "C_130"]); empty: all
target_wait = 18      # the standard's wait, in weeks
percentile = 0.92     # the share of patients to see within target_wait
time_to_target = 26   # weeks in which to bring the list to its target size
staffing_change = 1.0  # the change in nurses (FTE) per 10 occupied beds to translate
n_sims = 1000         # simulations for intervals and the relief plan
sim_seed = 20260430   # seed of the simulations (same seed, same intervals)

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

import workbench
from workbench.analysis.questions import waiting_list as q12

# %%
s = workbench.start("12_waiting_list", panel_path=panel_path, seed=seed,
                    n_providers=n_providers, n_months=n_months, output_dir=output_dir,
                    provider=provider, specialties=specialties, target_wait=target_wait,
                    percentile=percentile, time_to_target=time_to_target,
                    staffing_change=staffing_change, n_sims=n_sims, sim_seed=sim_seed)
result = q12.answer(s.data("rtt_flows"), s.panel, provider=provider, specialties=specialties,
                    target_wait=target_wait, percentile=percentile,
                    time_to_target=time_to_target, staffing_change=staffing_change,
                    n_sims=n_sims, seed=sim_seed, truth=s.truth)
s.add_truth(result)
display(Markdown(f"**Data:** {s.data_label}."))
display(Markdown(result.verdict()))

# %% [markdown]
# ## The list against its target
#
# Each bar is a list (one treatment function) and its mark the list size that would see
# the chosen share of patients within the target wait at today's demand.

# %%
found = s.add(result.findings())
if result.by_specialty is not None:
    ax = workbench.list_target_chart(result.specialty_table(),
                                     title=f"Patients waiting and the target list size\n"
                                           f"{result.area_words}")
    s.savefig(ax, "list_and_target")
    plt.show()
    s.show(result.specialty_table(), q12.SPECIALTY_WORDS, counts=q12.SPECIALTY_COUNTS,
           digits=1)

# %% [markdown]
# ## The relief plan over time
#
# The list simulated week by week: with the relief capacity (blue) and carrying on with
# today's removals (grey). Lines are the median of the simulations, bands hold 95% of them;
# each simulation draws the weekly referrals at random around today's demand.

# %%
if result.plan is not None:
    ax = workbench.relief_plan_chart(result.plan.frame,
                                     title=f"The list under the relief plan\n"
                                           f"{result.area_words}")
    s.savefig(ax, "relief_plan")
    plt.show()

# %% [markdown] tags=["appendix"]
# ## Findings in full
#
# Demand, removals and the list first, then the target list size, the capacity that brings
# the list there and keeps it there, load and pressure, the plan and the staffing
# translation. On synthetic data the table also shows the true value each estimate aims at.

# %% tags=["appendix"]
display(Markdown(s.sentences(found)))
s.findings_table(found);

# %% [markdown]
# ## Which lists are under most pressure?
#
# Every provider's list in these treatment functions with at least 100 patients waiting,
# ranked by pressure (2 x mean wait / target), which compares lists of different sizes.
# The relief capacity has its 95% interval.

# %%
if result.ranking is not None:
    display(Markdown(result.position() or "The lists under most pressure:"))
    s.show(result.ranking_table(), q12.RANKING_WORDS, counts=q12.RANKING_COUNTS, digits=1)

# %% [markdown]
# ## What these data and formulas can and cannot show

# %%
display(Markdown("\n".join(f"- {n}" for n in result.limits())))

# %%
s.finish();
