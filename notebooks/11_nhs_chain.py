# ---
# jupyter:
#   kernelspec:
#     display_name: Python (workbench)
#     language: python
#     name: workbench
# ---

# %% [markdown]
# # What staff report, how long patients wait, what patients say (published data)
#
# **The question.** Across acute NHS trusts, do trusts whose staff report enough staff and
# less burnout have shorter waits, and patients who report a better experience and
# complain less? How much of the link between staff and patients runs through waits?
#
# **The data.** Two cross-sections of acute NHS trusts, each with its periods aligned
# explicitly (nothing annual is spread over months):
#
# - **2022**: the NHS Staff Survey 2022 (fieldwork September to December 2022) and the
#   Adult Inpatient Survey 2022 (patients discharged in November 2022), with A&E and RTT
#   waits of September to December 2022 where the published files hold them;
# - **2024-25**: the NHS Staff Survey 2024, sickness absence (April 2024 to March 2025),
#   A&E 4-hour performance of the same months, and written complaints (KO41a) per 1,000
#   occupied bed days (KH03), with complaints about waiting and about staffing as shares.
#
# Patients' experience in 2022 is the inpatient survey's **experience score**: the mean of
# the survey sections made of several questions (S01-S07). The published workbook names
# no question as "overall experience" and holds no question wording, so no single
# question is taken as overall; each part of the stay counts equally.
#
# **How it is answered.** Each link is estimated across trusts, unadjusted and adjusted
# for the case mix the cross-section holds (the survey respondents' age and sex, trust
# type and size): linear models for scores and percentages, counts with their exposure for
# complaints. Each adjusted estimate says how strong an unmeasured confounder would have
# to be to explain it away (E-value). Where staff, waits and complaints are all held, the
# mediation split says how much of the staff-complaints link runs through A&E waits.
#
# **What it cannot show.** These are associations between trusts in one period, not the
# effect of a change within a trust: trusts that differ in staff experience differ in
# much else.

# %% tags=["parameters"]
panel_path = ""       # panel parquet file built from the published files; empty: synthetic default (no published tables)
seed = 20240430       # seed of the synthetic default (same seed, same data)
n_providers = 240     # providers in the synthetic default
n_months = 36         # months in the synthetic default
output_dir = ""       # folder for findings.json and figures/; empty: outputs/interactive/<notebook>
sections = ["2022", "2024-25"]  # cross-sections to estimate: "2022" (survey year) and/or "2024-25" (financial year)
n_boot = 2000         # bootstrap resamples of trusts for the mediation split
boot_seed = 20240922  # seed of the bootstrap (same seed, same intervals)

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

import workbench
from workbench.analysis.questions import nhs_chain as q11

# %%
s = workbench.start("11_nhs_chain", panel_path=panel_path, seed=seed, n_providers=n_providers,
                    n_months=n_months, output_dir=output_dir, sections=sections,
                    n_boot=n_boot, boot_seed=boot_seed)
chain = q11.answer(s.panel, {name: s.data(name) for name in q11.TABLES},
                   sections=tuple(sections), n_boot=n_boot, seed=boot_seed)
display(Markdown(f"**Data:** {s.data_label}."))
display(Markdown("**What these data can and cannot show**\n\n" + "\n".join(
    f"- {n}" for n in chain.limits())))

# %% [markdown]
# ## Which periods were aligned

# %%
display(Markdown("\n\n".join(chain.periods())))

# %% [markdown]
# ## The chain's estimates
#
# Adjusted associations first (each with its E-value and the periods it aligns), then the
# mediation split, then the unadjusted associations.

# %%
found = s.add(chain.findings())
display(Markdown(s.sentences(found)))
s.show(chain.estimates(), {"section": "Cross-section", "step": "Link",
                            "exposure": "From", "outcome": "To",
                            "adjusted": "Adjusted estimate (95% interval)", "unit": "Unit",
                            "trusts": "Trusts", "E-value": "E-value"}, counts=["trusts"]);

# %% [markdown]
# ## Complaints and sickness absence over all trusts
#
# Each rate over all trusts is a ratio of sums (all complaints over all occupied bed days;
# all days lost over all days available), never a mean of trusts' rates.

# %%
s.show(chain.rates(), {"section": "Cross-section", "label": "Rate", "value": "Value",
                        "trusts": "Trusts", "numerator": "Numerator",
                        "denominator": "Denominator"},
       counts=["trusts"], rates={"value": ["numerator", "denominator"]});

# %% [markdown]
# ## The links, trust by trust
#
# Each dot is one acute NHS trust; the line is the unadjusted straight-line fit.

# %%
for i, (table, x, y, title) in enumerate(chain.pictures()):
    ax = workbench.relationship(table, x, y, title=title)
    s.savefig(ax, f"link_{i + 1}")
    plt.show()

# %% [markdown] tags=["appendix"]
# ## All estimates

# %% tags=["appendix"]
s.findings_table(found);

# %%
s.finish();
