# ---
# jupyter:
#   kernelspec:
#     display_name: Python (workbench)
#     language: python
#     name: workbench
# ---

# %% [markdown]
# # What the data hold: a data-quality check
#
# This report describes the panel every other report uses: which providers it covers,
# for which months, and how complete each measure is. Read it first: a finding is only
# as good as the data under it. Missing values are expected (independent hospitals
# publish no NHS workforce figures, care homes have no waiting lists); wrong values are
# not, and the panel is checked against the workbench's rules before anything is
# reported (values in range, one row per provider and month, known sectors).

# %% tags=["parameters"]
panel_path = ""       # panel parquet file; empty means the built-in synthetic default
seed = 20240430       # seed of the synthetic default (same seed, same data)
n_providers = 240     # providers in the synthetic default
n_months = 36         # months in the synthetic default
output_dir = ""       # folder for findings.json and figures/; empty: outputs/interactive/<notebook>

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

import workbench

# %%
s = workbench.start("01_data_quality", panel_path=panel_path, seed=seed,
                    n_providers=n_providers, n_months=n_months, output_dir=output_dir)
display(Markdown(f"**Data:** {s.data_label}"))

# %% [markdown]
# ## Providers
#
# How many providers of each kind the panel holds.

# %%
from workbench.analysis.questions.data_quality import data_quality

tables = data_quality(s.panel)
tables["providers"]

# %% [markdown]
# ## Months covered
#
# The first and last month of data for each kind of provider.

# %%
tables["coverage"]

# %% [markdown]
# ## Completeness
#
# The share of provider-months with a value, for each measure and sector. Blank areas
# are expected where a sector does not publish a measure.

# %%
ax = workbench.completeness_heatmap(tables["completeness"])
s.savefig(ax, "completeness")
plt.show()

# %% [markdown]
# ## Ranges
#
# Smallest, middle and largest value of each measure. All lie in the valid ranges of the measure registry (the panel would have been rejected otherwise).

# %%
tables["ranges"].round(2)

# %% [markdown]
# ## Waiting times over time
#
# Monthly average RTT median wait by sector, with a 95% band across providers. Winter pressure shows as a rise each December to February.

# %%
ax = workbench.monthly_trend(s.panel[s.panel["setting"] == "acute"], "rtt_median_weeks")
s.savefig(ax, "rtt_trend")
plt.show()

# %%
s.finish();
