# ---
# jupyter:
#   kernelspec:
#     display_name: Python (workbench)
#     language: python
#     name: workbench
# ---

# %% [markdown]
# # What patients write: themes of Friends and Family Test comments (published data)
#
# **The question.** When patients are dissatisfied, what do they write about: staff
# numbers, staff attitude, timeliness of care, appointments or communication?
#
# **The data.** Labelled Friends and Family Test (FFT) free-text comments released by the
# NHS England-funded patient experience text project: each comment with the respondent's
# FFT score (1 very good ... 5 very poor) and the themes labellers found in it.
#
# **How it is answered.** Respondents who scored poor or very poor (4-5) are compared
# with the others (1-3): the share whose comments mention each theme, with 95% intervals,
# the difference between the two groups, and an ordinal model of the score on the themes.
# Each respondent counts once. Shares and counts only: **no quotations** unless this
# notebook is asked for them, and then only comments that pass a check for names,
# places, phone numbers, e-mail and postal addresses and dates.

# %% tags=["parameters"]
panel_path = ""          # panel parquet file built from the published files; empty: synthetic default (no comments)
seed = 20240430          # seed of the synthetic default (same seed, same data)
n_providers = 240        # providers in the synthetic default
n_months = 36            # months in the synthetic default
output_dir = ""          # folder for findings.json and figures/; empty: outputs/interactive/<notebook>
show_quotations = False  # show example comments that pass every identifiability check
quotations_per_theme = 2  # how many quotations per theme when show_quotations is True

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

import workbench
from workbench.analysis.questions import what_patients_write as q09

# %%
s = workbench.start("09_what_patients_write", panel_path=panel_path, seed=seed,
                    n_providers=n_providers, n_months=n_months, output_dir=output_dir,
                    show_quotations=show_quotations, quotations_per_theme=quotations_per_theme)
answer = q09.answer(s.data("comments"), s.data("comment_themes"))
display(Markdown(f"**Data:** {s.data_label}."))

# %% [markdown]
# ## What these data can and cannot show

# %%
display(Markdown("\n".join(f"- {n}" for n in answer.limits())))

# %% [markdown]
# ## How often each theme is mentioned
#
# Share of respondents whose comments mention each theme, by satisfaction group, with 95%
# (Wilson) intervals. `respondents` and `mentioning` are numbers of people.

# %%
counts = ["respondents", "mentioning"]
shares = {"group": "Respondents", "theme_group": "Theme", "respondents": "Respondents in group",
          "mentioning": "Mentioning the theme", "share_pct": "% mentioning",
          ("ci_low", "ci_high"): "95% interval"}
s.show(answer.shares(), shares, counts=counts, digits=1);

# %% [markdown] tags=["appendix"]
# By trust, and by trust and service:

# %% tags=["appendix"]
s.show(answer.shares(by=("trust",)), {"trust": "Trust", **shares}, counts=counts, digits=1)
s.show(answer.shares(by=("trust", "service")), {"trust": "Trust", "service": "Service", **shares},
       counts=counts, digits=1);

# %% [markdown]
# ## Findings
#
# Dissatisfied minus satisfied share for each theme (all trusts pooled, then each trust),
# and the odds of a worse score when a theme is mentioned.

# %%
found = s.add(answer.findings())
display(Markdown(s.sentences(f for f in found if f.role == "headline")))

# %%
gaps = answer.gaps()
if gaps:
    tab = s.table(gaps)
    tab["label"] = [q09.theme_label(f) for f in gaps]
    ax = workbench.forest(tab, title="Dissatisfied minus satisfied: % mentioning the theme")
    ax.set_xlabel("percentage points of respondents, with 95% interval")
    s.savefig(ax, "theme_differences")
    plt.show()

# %% [markdown] tags=["appendix"]
# ## All estimates

# %% tags=["appendix"]
s.findings_table(found);

# %% [markdown]
# ## Quotations
#
# Shown only when `show_quotations` is True, and only comments that pass every check of
# `workbench.analysis.text.quotations` (the labellers' own flag, e-mail, phone numbers,
# postcodes, dates, titles with names, capitalised words that may be names or places).
# How many comments each check stops:

# %%
s.show(answer.quotation_checks(), counts=["comments"]);

# %%
if show_quotations:
    s.show(answer.quotations(per_theme=quotations_per_theme))
else:
    display(Markdown("Quotations are not shown (`show_quotations = False`)."))

# %%
s.finish();
