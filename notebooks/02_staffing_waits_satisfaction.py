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
# **How it is answered.** Linear models of each provider's monthly figures, comparing
# providers with similar patients (case mix: complexity, age, deprivation) in the same
# month, with 95% intervals that allow for repeated months from the same provider.
# Satisfaction is the Friends and Family Test (FFT): the share of patients who rated
# their care good or very good. The same question is also answered with a model of the
# FFT counts themselves and with a model that gives each provider its own baseline;
# answers that agree across models are more trustworthy.
#
# **What it cannot show.** These are observational data: the estimates are
# associations after adjustment, not proof that changing staffing would change waits.

# %% tags=["parameters"]
panel_path = ""       # panel parquet file; empty means the built-in synthetic default
seed = 20240430       # seed of the synthetic default (same seed, same data)
n_providers = 240     # providers in the synthetic default
n_months = 36         # months in the synthetic default
output_dir = ""       # folder for findings.json and figures/; empty: outputs/interactive/<notebook>
subset = "acute"      # which providers: "acute" (all), "nhs" or "independent"
engagement_lag = 1    # months between staff engagement and the patient satisfaction it is compared with

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from workbench import session
from workbench.report import panel_figures, theme

# %%
from workbench.analysis import questions
from workbench.analysis.models import SUBSETS, select_subset

s = session.start("02_staffing_waits_satisfaction", panel_path=panel_path, seed=seed,
                  n_providers=n_providers, n_months=n_months, output_dir=output_dir,
                  subset=subset, engagement_lag=engagement_lag)
data = select_subset(s.panel, subset)
display(Markdown(f"**Data:** {s.data_label}. **Providers analysed:** {SUBSETS[subset]} "
                 f"({data['provider_code'].nunique()})."))

# %% [markdown]
# ## The raw picture
#
# Each dot is one provider's average over the months; lines are straight-line fits per sector with 95% bands. This is the unadjusted picture, before comparing like with like.

# %%
fig, axes = theme.subplots(1, 2, figsize=(12, 4.5))
panel_figures.relationship(data, "nurse_fte_per_10_beds", "rtt_median_weeks", ax=axes[0])
panel_figures.relationship(data, "rtt_median_weeks", "fft_pct_positive", ax=axes[1])
s.savefig(fig, "relationships")
plt.show()

# %% [markdown]
# ## Findings
#
# Each finding in plain words, with its 95% interval:

# %%
found = s.add(questions.staffing_waits_satisfaction(s.panel, subset=subset,
                                                    engagement_lag=engagement_lag))
display(Markdown(s.sentences([f for f in found if "#" not in f.id])))

# %% [markdown]
# ## All estimates
#
# The same findings as a table, including the checks with other models: a binomial model of the FFT counts (odds ratios) and a random-intercept model (ids ending `#mixed`). On synthetic data the table also shows the true value the data were built with and whether the interval covers it.

# %%
s.table(found)

# %%
tab = s.table([f for f in found if f.unit and not f.unit.startswith(("rate", "log", "odds"))])
tab["label"] = tab["id"].str.replace(r"@.*?(#|$)", r" \1", regex=True)
ax = panel_figures.forest(tab, truth="truth" if "truth" in tab else None,
                          title="Effects on waits and satisfaction (95% intervals)")
s.savefig(ax, "forest")
plt.show()

# %% [markdown]
# ## How much of staffing's effect runs through waits?
#
# Better staffing can raise satisfaction directly (more time with each patient) and
# indirectly, by shortening waits. A mediation analysis splits the total effect into the
# part through waits (indirect) and the rest (direct). Intervals come from resampling
# whole providers 999 times. It assumes nothing unmeasured drives both staffing and waits,
# or waits and satisfaction, once case mix and month are allowed for.

# %%
paths = s.add(questions.staffing_pathways(s.panel, subset=subset))
display(Markdown(s.sentences(paths)))
s.table(paths)

# %% [markdown]
# ## Checking the model
#
# Left: residuals against fitted values for the main satisfaction model; a funnel or a
# curve would mean the straight-line model misses something. Right: the providers that
# move the waiting-time estimate most when left out; bars beyond the dashed lines mark a
# provider that alone shifts the answer by more than one standard error.

# %%
from workbench.analysis.diagnostics import influence_frame, residual_frame
from workbench.report import diagnostics

main = questions.satisfaction_model(s.panel, subset=subset, engagement_lag=engagement_lag)
fig, axes = theme.subplots(1, 2, figsize=(13, 5))
diagnostics.residual_plot(residual_frame(main), ax=axes[0])
diagnostics.influence_plot(influence_frame(main, "rtt_median_weeks"), top=12, ax=axes[1])
s.savefig(fig, "diagnostics")
plt.show()

# %%
# In JupyterLab: drop-downs to look at another measure or set of providers.
# Batch runs (workbench run) show nothing here and the report is unchanged.
from workbench import interactive

interactive.controls(
    interactive.association,
    {"exposure": ["nurse_fte_per_10_beds", "rn_vacancy_pct", "sickness_absence_pct",
                  "staff_engagement", "rtt_median_weeks"],
     "outcome": ["rtt_median_weeks", "fft_pct_positive", "complaints_per_1000"],
     "subset": [subset] + [k for k in ("acute", "nhs", "independent") if k != subset]},
    output_dir=output_dir, title="Explore: another measure or set of providers",
    data=s.panel, truth=s.truth);

# %%
s.finish();
