# ---
# jupyter:
#   kernelspec:
#     display_name: Python (workbench)
#     language: python
#     name: workbench
# ---

# %% [markdown]
# # Staffing, waiting times and patient satisfaction
#
# **The question.** Do providers with more nurses per bed have shorter waits, and do
# shorter waits and better staffing go with more satisfied patients? And do engaged,
# satisfied staff give patients a better experience a month later?
#
# **How it is answered.** The headline answers compare each provider with itself: when
# a provider's staffing rises or falls from month to month, do its own waits and its own
# patients' satisfaction move with it? Comparing a provider with itself takes out
# everything about it that does not change over these months (its patients, its sector,
# how well it is run), which a comparison between providers cannot measure and so
# cannot adjust for. Satisfaction is the Friends and Family Test (FFT): the share of
# patients who rated their care good or very good. 95% intervals allow for repeated
# months from the same provider.
#
# **Checks.** After the headline come the same questions answered by comparing
# providers with each other (adjusted for case mix), by a model of the FFT counts and by
# a model that gives each provider its own baseline. Where they disagree with the
# headline, the headline is the one to trust: the simulation study
# (docs/validation.md) shows the between-provider comparisons going wrong when better-run
# providers also have more nurses, and the within-provider answers staying right.
#
# **What it cannot show.** These are observational data. The headline still assumes that
# nothing which changes within a provider from month to month (a new manager, a
# reorganisation) moves both its staffing and its waits or satisfaction.

# %% tags=["parameters"]
# needs: staffing, satisfaction (a staffing and a satisfaction measure to relate; a waiting measure is optional)
# measures named by: staffing, waits, satisfaction
panel_path = ""       # panel parquet file; empty means the built-in synthetic default
seed = 20240430       # seed of the synthetic default (same seed, same data)
n_providers = 240     # providers in the synthetic default
n_months = 36         # months in the synthetic default
output_dir = ""       # folder for findings.json and figures/; empty: outputs/interactive/<notebook>
subset = "acute"      # which providers: "acute" (all), "nhs" or "independent"; "all" for wards, sites or services
engagement_lag = 1    # months between staff engagement and the patient satisfaction it is compared with
staffing = "nurse_fte_per_10_beds"  # the staffing measure (the exposure)
waits = "rtt_median_weeks"          # the waiting measure between them (the mediator); "" when the data hold none
satisfaction = "fft_pct_positive"   # the satisfaction measure (the outcome)

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

import workbench

# %%
from workbench.analysis.questions import staffing_waits_satisfaction as q02

s = workbench.start("02_staffing_waits_satisfaction", panel_path=panel_path, seed=seed,
                    n_providers=n_providers, n_months=n_months, output_dir=output_dir,
                    subset=subset, engagement_lag=engagement_lag, staffing=staffing,
                    waits=waits, satisfaction=satisfaction)
chain = q02.chain(s.panel, subset, staffing=staffing, waits=waits, satisfaction=satisfaction,
                  engagement_lag=engagement_lag, unit=s.unit, units=s.unit_plural)
measures = {"staffing": staffing, "waits": waits, "satisfaction": satisfaction,
            "unit": s.unit, "units": s.unit_plural}
data = workbench.select_subset(s.panel, subset)
display(Markdown(f"**Data:** {s.data_label}. **Analysed:** {workbench.SUBSETS[subset]} "
                 f"({data['provider_code'].nunique()} {s.unit_plural})."))
for limit in chain.limits():
    display(Markdown(f"**What these data cannot answer:** {limit}"))

# %% [markdown]
# ## Headline findings
#
# Each provider (or ward) compared with itself over time, in plain words, with its 95% interval.
# Which findings are headlines was fixed before any result (docs/methods.md, "Headline
# rule"), so expect about one interval in twenty to miss the true value by chance:

# %%
found = s.add(q02.staffing_waits_satisfaction(s.panel, subset=subset,
                                              engagement_lag=engagement_lag, **measures))
headline = [f for f in found if f.role == "headline"]
checks = [f for f in found if f.role != "headline"]
display(Markdown(s.sentences(headline) or q02.no_headline(found, s.unit_plural)))
s.findings_table(headline);

# %%
shown = [f for f in found if f.unit and not f.unit.startswith(("rate", "log", "odds"))]
tab = s.table(shown)
tab["label"] = [q02.forest_label(f) for f in shown]
ax = workbench.forest(tab, truth="truth" if "truth" in tab else None,
                      title="Effects on waits and satisfaction (95% intervals)")
s.savefig(ax, "forest")
plt.show()

# %% [markdown]
# ## The raw picture
#
# Each dot is one provider's (or ward's) average over the months; lines are straight-line fits per group with 95% bands. This is the unadjusted picture, before comparing like with like.

# %%
fig, axes = workbench.subplots(1, len(chain.pairs), figsize=(6 * len(chain.pairs), 4.5),
                               squeeze=False)
for ax, (x, y) in zip(axes[0], chain.pairs):
    workbench.relationship(data.assign(_all=s.unit_plural), x, y, hue=chain.hue or "_all", ax=ax)
s.savefig(fig, "relationships")
plt.show()

# %% [markdown] tags=["appendix"]
# ## Checks with other models
#
# The same questions answered other ways: staff engagement last month within provider (it
# is held in the satisfaction model, not one of the question's exposures), and every
# question compared across providers with similar patients
# (no suffix), with a binomial model of the FFT counts (odds ratios) and with a
# random-intercept model (`#mixed`). Comparisons across providers use more of the data, so
# their intervals are narrower, but they are misled by any difference between providers
# that goes with staffing and is not measured. When a check disagrees with the headline,
# trust the headline. On synthetic data the tables also show the true value the data were
# built with and whether the interval covers it.

# %% tags=["appendix"]
display(Markdown(s.sentences(checks)))
s.findings_table(checks);

# %% [markdown]
# ## How much of staffing's effect runs through waits?
#
# Better staffing can raise satisfaction directly (more time with each patient) and
# indirectly, by shortening waits. A mediation analysis splits the total effect into the
# part through waits (indirect) and the rest (direct). The split is built from the
# headline findings above (staffing's effect on waits times waits' effect on
# satisfaction), first within provider (`#fe`), then across providers as a check.
# Intervals come from resampling whole providers 999 times. Within provider it assumes
# nothing that changes inside a provider over time drives both waits and satisfaction;
# across providers it also assumes nothing unmeasured about a provider does.

# %%
paths = s.add(q02.staffing_pathways(s.panel, subset=subset, **measures))
display(Markdown(s.sentences(paths) if paths else
                 "Not split: " + " ".join(chain.limits())))

# %% tags=["appendix"]
if paths:
    s.findings_table(paths)

# %% [markdown] tags=["appendix"]
# ## Checking the model
#
# Left: residuals against fitted values for the headline (within-provider) satisfaction
# model, on the within-provider scale (each provider's own average removed); a funnel or a
# curve would mean the straight-line model misses something. Right: the providers that
# move the waiting-time estimate (or, without waits, the staffing estimate) most when left
# out; bars beyond the dashed lines mark a provider that alone shifts the answer by more
# than one standard error.

# %% tags=["appendix"]
main = q02.satisfaction_model(s.panel, subset=subset, staffing=staffing,
                              engagement_lag=engagement_lag, waits=waits,
                              satisfaction=satisfaction)
fig, axes = workbench.subplots(1, 2, figsize=(13, 5))
workbench.residual_plot(workbench.residual_frame(main), hue=chain.sector, ax=axes[0])
workbench.influence_plot(workbench.influence_frame(main, waits or staffing), top=12,
                         hue=chain.sector, ax=axes[1])
s.savefig(fig, "diagnostics")
plt.show()

# %%
# In JupyterLab: drop-downs to look at another measure or set of providers.
# Batch runs (workbench run) show nothing here and the report is unchanged.
workbench.controls(
    workbench.association,
    chain.explore,
    output_dir=output_dir, title="Explore: another measure or set of providers",
    data=s.panel, truth=s.truth);

# %%
s.finish();
