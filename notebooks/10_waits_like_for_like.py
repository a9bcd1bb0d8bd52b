# ---
# jupyter:
#   kernelspec:
#     display_name: Python (workbench)
#     language: python
#     name: workbench
# ---

# %% [markdown]
# # NHS and independent-sector waits, like for like by specialty (published data)
#
# **The question.** Do patients treated by independent-sector providers wait less than NHS
# patients *in the same specialty*?
#
# **The data.** NHS England's RTT provider workbook for completed non-admitted pathways
# (September 2025: NHS trusts and independent-sector sites, by treatment function, weekly
# bands) and the RTT full extract for the waiting list (April 2026, by treatment function).
# Each provider's sector comes from registers; providers no register settles are left out.
#
# **How it is answered.** Three views of independent minus NHS, each for what it means:
#
# - **like for like** (the headline): the NHS's within-specialty rates applied to the
#   independent sector's own specialty mix, i.e. what NHS waits would be for the patients
#   the independent sector treats;
# - **what a patient sees**: all pathways of each sector pooled (mixes in the specialty
#   mix);
# - **what a typical provider looks like**: each provider counts once.
#
# Measures are % within 18 weeks, % waiting over 52 weeks and (completed pathways) mean
# weeks from the weekly bands; medians are not used because they do not add up across
# specialties. 95% intervals come from resampling providers within each sector.

# %% tags=["parameters"]
panel_path = ""       # panel parquet file built from the published files; empty: synthetic default (no RTT by specialty)
seed = 20240430       # seed of the synthetic default (same seed, same data)
n_providers = 240     # providers in the synthetic default
n_months = 36         # months in the synthetic default
output_dir = ""       # folder for findings.json and figures/; empty: outputs/interactive/<notebook>
n_boot = 999          # bootstrap resamples of providers (within sector)
boot_seed = 20250930  # seed of the bootstrap (same seed, same intervals)
min_pathways = 20     # providers with fewer pathways are left out of the provider-average view
include_other = True  # keep the "Other" treatment-function groups (X02-X06)

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

import workbench
from workbench.analysis.questions import waits_like_for_like as q10

# %%
s = workbench.start("10_waits_like_for_like", panel_path=panel_path, seed=seed,
                    n_providers=n_providers, n_months=n_months, output_dir=output_dir,
                    n_boot=n_boot, boot_seed=boot_seed, min_pathways=min_pathways,
                    include_other=include_other)
result = q10.answer(s.data("specialty_waits"), s.panel, n_boot=n_boot, seed=boot_seed,
                    min_pathways=min_pathways, include_other=include_other)
display(Markdown(f"**Data:** {s.data_label}."))
display(Markdown("**What these data can and cannot show**\n\n" + "\n".join(
    f"- {n}" for n in result.limits())))

# %% [markdown]
# ## Findings
#
# The like-for-like difference first; the patient's view and the typical provider's view
# beside it.

# %%
found = s.add(result.findings())
display(Markdown(s.sentences(found)))

# %% [markdown]
# ## Within each specialty
#
# Each dot is one treatment function: the independent sector's % within 18 weeks minus
# the NHS's, with its 95% interval; the dot's area is the independent sector's pathways
# in that specialty (its weight in the like-for-like difference, the solid line).

# %%
for pathway, cmp in result.comparisons_of("pct_within_18w"):
    ax = workbench.specialty_dots(
        cmp.by_specialty, overall=cmp.standardised,
        title=f"% within 18 weeks by specialty\n{q10.pathway_words(pathway)}")
    s.savefig(ax, f"specialty_differences_{pathway}")
    plt.show()
    display(Markdown(f"**{q10.pathway_words(pathway, capital=True)}** "
                     f"({result.periods[pathway]}), % within 18 weeks by specialty:"))
    s.show(cmp.by_specialty,
           {"specialty": "Specialty", "independent": "Independent sector",
            "nhs": "NHS", "difference": "Difference (percentage points)",
            ("ci_low", "ci_high"): "95% interval",
            "independent_pathways": "Independent pathways", "nhs_pathways": "NHS pathways"},
           counts=["independent_pathways", "nhs_pathways"], digits=1)

# %% [markdown] tags=["appendix"]
# ## All estimates

# %% tags=["appendix"]
s.findings_table(found);

# %%
s.finish();
