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

from workbench import session
from workbench.analysis.text import themes
from workbench.analysis.text import quotations
from workbench.report import panel_figures

# %%
s = session.start("09_what_patients_write", panel_path=panel_path, seed=seed,
                  n_providers=n_providers, n_months=n_months, output_dir=output_dir,
                  show_quotations=show_quotations, quotations_per_theme=quotations_per_theme)
loaded = themes.load(panel_path)
display(Markdown(f"**Data:** {s.data_label}."))
resp = None
if loaded is None:
    display(Markdown("No labelled comments were built beside this panel (the synthetic "
                     "default has none). Run the notebook on a panel built with "
                     "`workbench data build` from a folder holding the comments file."))
else:
    comments, themes = loaded
    resp = themes.respondents(comments, themes)

# %% [markdown]
# ## What these data can and cannot show

# %%
if resp is not None:
    display(Markdown("\n".join(f"- {n}" for n in themes.limits(comments, resp))))

# %% [markdown]
# ## How often each theme is mentioned
#
# Share of respondents whose comments mention each theme, by satisfaction group, with 95%
# (Wilson) intervals. `respondents` and `mentioning` are numbers of people.

# %%
counts = ["respondents", "mentioning"]
if resp is not None:
    s.show(themes.shares(resp), counts=counts, digits=1)

# %% [markdown]
# By trust, and by trust and service:

# %%
if resp is not None:
    s.show(themes.shares(resp, by=("trust",)), counts=counts, digits=1)
    s.show(themes.shares(resp, by=("trust", "service")), counts=counts, digits=1)

# %% [markdown]
# ## Findings
#
# Dissatisfied minus satisfied share for each theme (all trusts pooled, then each trust),
# and the odds of a worse score when a theme is mentioned.

# %%
if resp is not None:
    found = s.add(themes.difference_findings(resp)
                  + themes.ordinal_findings(resp))
    display(Markdown(s.sentences(f for f in found if f.role == "headline")))

# %%
if resp is not None:
    tab = s.table([f for f in found if f.id.startswith("theme_gap:") and f.id.endswith("@all")])
    tab["label"] = tab["id"].str.extract(r"->(\w+)@")[0].map(themes.GROUP_WORDS)
    ax = panel_figures.forest(tab, title="Dissatisfied minus satisfied: % mentioning the theme")
    ax.set_xlabel("percentage points of respondents, with 95% interval")
    s.savefig(ax, "theme_differences")
    plt.show()

# %% [markdown]
# ## All estimates

# %%
if resp is not None:
    s.table(found)

# %% [markdown]
# ## Quotations
#
# Shown only when `show_quotations` is True, and only comments that pass every check of
# `workbench.analysis.text.quotations` (the labellers' own flag, e-mail, phone numbers,
# postcodes, dates, titles with names, capitalised words that may be names or places).
# How many comments each check stops:

# %%
if resp is not None:
    scored = comments[comments["fft_score"].between(1, 5) & comments["text"].notna()]
    s.show(quotations.summary(scored), counts=["comments"])

# %%
if resp is not None and show_quotations:
    s.show(themes.quotations(comments, themes, per_theme=quotations_per_theme))
elif resp is not None:
    display(Markdown("Quotations are not shown (`show_quotations = False`)."))

# %%
s.finish();
