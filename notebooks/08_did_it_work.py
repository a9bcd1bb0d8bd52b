# ---
# jupyter:
#   kernelspec:
#     display_name: Python (workbench)
#     language: python
#     name: workbench
# ---

# %% [markdown]
# # Did the change work? Evaluating a service improvement
#
# **The question.** Some providers made a change (a new discharge process, a patient
# experience programme, extra staff on the wards). Afterwards, did their figures move by
# more than the usual ups and downs, the time of year and the general trend would give?
#
# **How it is answered.** Three ways, each adding what the one before cannot say:
#
# 1. **The team's chart.** A p' chart (for a percentage) or u' chart (for a rate) of each
#    provider that changed, with new limits from the month of the change: does the new
#    period look different from the old one?
# 2. **Before and after (interrupted time series).** The changed providers' monthly
#    series is compared with what its earlier trend and seasonal pattern predict.
# 3. **Against providers that did not change (difference-in-differences).** The change at
#    the providers that made it is compared with the same months at comparable providers
#    that did not, which removes anything that affected everyone at the same time.
#
# **What it cannot show.** These are observational data. The answers assume nothing else
# changed at the same time only at the providers that made the change, and that without
# it they would have kept moving in step with the others. When the data cannot separate
# the change from noise, the answer says so.

# %% tags=["parameters"]
# measures named by: measure
panel_path = ""       # panel parquet file; empty means the built-in synthetic default
seed = 20240430       # seed of the synthetic default (same seed, same data)
n_providers = 240     # providers in the synthetic default
n_months = 36         # months in the synthetic default
output_dir = ""       # folder for findings.json and figures/; empty: outputs/interactive/<notebook>
measure = "fft_pct_positive"  # fft_pct_positive, ae_pct_within_4h or complaints_per_1000
providers = []        # codes of the providers that changed; empty on synthetic data: 6 NHS trusts
intervention = "2024-10"  # month the change took effect ("YYYY-MM"), the same for every provider
intervention_dates = {}   # or one month per provider, {"R001": "2024-06", ...}; overrides the two above
comparison = "nhs"    # group whose providers that did not change are the comparison: nhs, independent, acute
horizon = 6           # months after the change at which the before-and-after effect is reported
insert_synthetic = True   # on synthetic data, insert a change with a known effect (real data: never)
synthetic_level = 0.35    # inserted change in the month of the change (log-odds; log-rate for complaints)
synthetic_slope = 0.0     # inserted change in the monthly trend after it (same scale)
n_boot = 999          # draws: wild bootstrap (10-19 changed), randomisation (<10), placebos (1-3)
plan_effect = 1.0     # change to plan for in "Will we be able to tell?" (percentage points; complaints per 1,000 episodes)
plan_n_sim = 100      # simulations of the plan (more: steadier answers, slower; 1,000 for a decision)

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

import workbench

# %%
from workbench.analysis.questions import did_it_work as ev_views

s = workbench.start("08_did_it_work", panel_path=panel_path, seed=seed,
                    n_providers=n_providers, n_months=n_months, output_dir=output_dir,
                    measure=measure, providers=providers, intervention=intervention,
                    intervention_dates=intervention_dates, comparison=comparison,
                    horizon=horizon, insert_synthetic=insert_synthetic,
                    synthetic_level=synthetic_level, synthetic_slope=synthetic_slope,
                    n_boot=n_boot, plan_effect=plan_effect, plan_n_sim=plan_n_sim)
panel = s.panel
changes = intervention_dates or intervention
if s.synthetic and insert_synthetic:
    known = ev_views.insert_known_change(panel, measure, providers=providers,
                                         intervention=intervention,
                                         intervention_dates=intervention_dates,
                                         level=synthetic_level, slope=synthetic_slope, seed=seed)
    panel, changes = known.panel, known.adoption
    s.add_truth(known)  # its true effects go to the run's truth.json and findings.json
    display(Markdown(ev_views.describe_known_change(known)))
result = ev_views.evaluate_change(panel, measure, changes, providers=providers,
                                  comparison=comparison, horizon=horizon, n_boot=n_boot,
                                  seed=seed, unit=s.unit, units=s.unit_plural)
display(Markdown(f"**Data:** {s.data_label}. **Measure:** {workbench.label(measure)}. "
                 f"**Providers that changed:** {len(result.adoption)}. **Comparison:** "
                 f"{len(result.comparison)} providers that did not change."))
if result.notes:
    display(Markdown("\n".join(f"- {n}" for n in result.notes)))

# %% [markdown]
# ## The team's chart
#
# Each chart is one provider that changed. The dots are its monthly figures; the solid line
# is the average and the dashed lines the process limits, which are wider in months with
# fewer responses (a p' or u' chart, which allows for the size of each month). The limits
# start again in the month of the change, so the chart compares the periods before and
# after it. Coloured points are special causes: orange for the worse, blue for the better.
# A chart alone cannot say whether the change caused what it shows: the season and the
# general trend move the figures too.

# %%
fig = workbench.spc_small_multiples(
    result.chart, ncols=3, ylabel=workbench.label(measure),
    titles={c: f"{n} ({c})" for c, n in result.names.items()})
s.savefig(fig, "team_charts")
plt.show()

# %% [markdown]
# ## Before and after: the interrupted time series
#
# The dots are the changed providers' figures month by month (added together), the dark
# line the model of them, and the dashed grey line with its shaded 95% band what the
# model predicts from the trend and seasonal pattern before the change had it not
# happened. The gap between the dark line and the grey one after the change is the
# estimated effect.

# %%
if result.its is not None:
    ax = workbench.its_chart(result.its.frame, ylabel=workbench.label(measure),
                             title="The changed providers, before and after the change")
    s.savefig(ax, "interrupted_time_series")
    plt.show()
    display(Markdown(s.sentences(result.its.findings())))
else:
    display(Markdown("The providers changed on different dates, so there is no single "
                     "before-and-after series; the comparison below answers the question."))

# %% [markdown]
# ## Against providers that did not change
#
# Each point is the difference between the changed providers and the comparison providers,
# month by month relative to each provider's change (0 is the month of the change), with
# its 95% interval, after allowing for each provider's usual level and for every month's
# ups and downs shared by all. Before the change the points should sit around zero: if
# they drift, the two groups were already moving apart and the comparison is not fair.

# %%
if result.did is not None:
    es = result.event_study(s.truth if s.synthetic else None)
    ax = workbench.event_study_chart(
        es[es["rel"].between(-12, 18)], truth="truth" if "truth" in es else None,
        ylabel=f"Difference ({ev_views.EVALUATION_MEASURES[measure]['unit']})",
        title="Changed against unchanged providers, by month since the change")
    s.savefig(ax, "event_study")
    plt.show()
    display(Markdown(s.sentences([f for f in result.did.findings() if not f.key.variant])))

# %% [markdown]
# ## The answer for the board

# %%
found = s.add(result.findings())
display(Markdown(ev_views.verdict(result)))

# %% [markdown]
# ## Will we be able to tell?
#
# Before a change is made, a team can ask how big a change these data could show. This
# section answers by simulation on the providers' own figures, before any change was
# inserted: it picks as many providers as changed here, at random, and a stretch of months
# with as many months before and after the change as here, adds a change of the planned
# size to their figures from the change month on, and evaluates it the two ways above
# (without the slow bootstrap: each simulation uses a quick interval of the same kind). It
# repeats this many times. **Power** is how often the change is shown (its 95% interval
# excludes no change); the **smallest detectable change** is the size shown 80% of the
# time; **coverage** is how often the 95% interval holds the change that was added, which
# should be about 95%. A plan for no change at all gives the false-alarm rate instead of
# the power, which should be about 5%.

# %%
plans = workbench.plan_like(s.panel, measure, result.adoption, plan_effect,
                            comparison=comparison, horizon=horizon, n_sim=plan_n_sim,
                            seed=seed, unit=s.unit, units=s.unit_plural)
display(Markdown("\n\n".join(plans.sentences)))
s.show(plans.frame(), {"method": "Evaluation", "power": "Power", "mde": "Smallest change "
                       f"shown 80% of the time ({ev_views.EVALUATION_MEASURES[measure]['unit']})",
                       "coverage": "Coverage of the 95% interval", "n_sim": "Simulations"},
       digits=2)
ax = workbench.power_curve_chart(plans.curves(), planned=plan_effect,
                                 unit=ev_views.EVALUATION_MEASURES[measure]["unit"],
                                 title="How often a change of each size would be shown")
s.savefig(ax, "power_curve")
plt.show()

# %% [markdown] tags=["appendix"]
# ## All estimates
#
# Every estimate with its 95% interval. Rows marked as a check (a diagnostic or a
# robustness variant) are not the answer: the naive two-way comparison is shown only
# because it is known to be biased when providers change at different times. On
# synthetic data the table also shows the true value and whether the interval covers it.

# %% tags=["appendix"]
s.findings_table(found);

# %%
s.finish();
