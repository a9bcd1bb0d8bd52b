# ---
# jupyter:
#   kernelspec:
#     display_name: Python (workbench)
#     language: python
#     name: workbench
# ---

# %% [markdown]
# # Who stands out? Comparing providers fairly (funnel plot)
#
# **The question.** Which providers are really better or worse than the rest this month,
# once we allow for the fact that small providers' figures jump about more than large
# ones'?
#
# **How to read the chart.** Each dot is one provider: across, how many patients (or
# responses, or expected events) it had; up, its figure. The funnel-shaped lines show how
# far from the centre line a provider of that size could fall by chance alone (95% and
# 99.8% limits). A dot outside the funnel is unusual for its size: blue when that is
# better, orange when worse. Real providers differ more than chance alone would make them;
# the funnel is then widened to allow for the usual spread, so a provider outside it
# stands out even among its peers. When they differ far more than that (providers with
# different specialty or case mix), no funnel can make the comparison fair: the report
# says so, flags no one, and says what to compare within (the `stratum` parameter).
#
# **What it cannot show.** Providers treat different patients; unless the measure allows
# for case mix, a provider outside the funnel may treat sicker or simpler patients rather
# than give better or worse care. One month is one snapshot.

# %% tags=["parameters"]
# measures named by: measure
panel_path = ""       # panel parquet file; empty means the built-in synthetic default
seed = 20240430       # seed of the synthetic default (same seed, same data)
n_providers = 240     # providers in the synthetic default
n_months = 36         # months in the synthetic default
output_dir = ""       # folder for findings.json and figures/; empty: outputs/interactive/<notebook>
measure = "fft_pct_positive"  # fft_pct_positive, complaints, ae_pct_within_4h, rtt_pct_within_18w, rtt_over_52w, or "numerator/denominator" of two count measures
period = ""           # month "YYYY-MM"; empty or "last": the latest month with data
method = "SHMI"       # standardised ratios (complaints): "SHMI" (log scale, 10% trimmed) or "CQC" (square-root scale, winsorised; better with few events)
overdispersion = True  # widen the limits for the usual spread between providers
setting = "acute"     # providers of one setting ("acute", "care_home", ...); empty: all
stratum = ""          # a column grouping like providers (e.g. "region"): one funnel per group; empty: all together

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

import workbench
from workbench import escape_markdown as md

# %%
from workbench.analysis.questions import provider_funnel

s = workbench.start("05_provider_funnel", panel_path=panel_path, seed=seed,
                    n_providers=n_providers, n_months=n_months, output_dir=output_dir,
                    measure=measure, period=period, method=method,
                    overdispersion=overdispersion, setting=setting, stratum=stratum)
view = provider_funnel.funnel_view(s.panel, measure, period, method=method,
                                overdispersion=overdispersion, setting=setting, stratum=stratum,
                                unit=s.unit, units=s.unit_plural)
display(Markdown(f"**Data:** {md(s.data_label)}. **Month:** {view.period:%B %Y}. "
                 f"**Providers:** {md(setting or 'all settings')}"
                 + (f", compared within {md(stratum)}." if stratum else ".")))
display(Markdown("\n".join(f"- {md(n)}" for n in view.notes)))

# %% [markdown]
# ## The funnel

# %%
sp = view.spec
if view.strata:
    ax = workbench.funnel_small_multiples(
        {k: v.result for k, v in view.strata.items()}, improvement_direction=sp.direction,
        multiplier=sp.multiplier, ylabel=sp.label, xlabel=sp.x_label)
else:
    ax = workbench.funnel_chart(view.result, improvement_direction=sp.direction,
                                multiplier=sp.multiplier, ylabel=sp.label,
                                xlabel=sp.x_label, title=f"{sp.label}, {view.period:%B %Y}")
s.savefig(ax, "funnel")
plt.show()

# %% [markdown]
# ## In plain words

# %%
found = s.add(view.findings())
display(workbench.sentences([provider_funnel.funnel_phrase(view)], bullets=False))

# %% [markdown]
# ## Providers outside the funnel
#
# Widest limit first; within it, lowest first.

# %%
display(workbench.sentences(
    provider_funnel.outlier_phrases(view),
    empty=("No provider lies outside the limits." if view.comparable or view.strata
           else "None is flagged: the providers are not comparable as they stand.")))

# %%
s.show(provider_funnel.outlier_table(view),
       {"provider_code": "Code", "provider_name": "Provider",
        **({"stratum": stratum.replace("_", " ").capitalize()} if view.strata else {}),
        "value": sp.label, "numerator": workbench.label(sp.numerator),
        "denominator": sp.x_label, "lower": "Lower limit", "upper": "Upper limit",
        **({} if view.strata else {"level": "Outside the limit (%)"})},
       digits=1 if sp.unit == "%" else 2);

# %%
s.finish();
