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
trend = "rtt_median_weeks"  # measure charted month by month (acute providers; your own data: all units)

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
# How many providers (or, in a table of your own, wards, sites or services) of each kind
# the panel holds.

# %%
from workbench.analysis.questions.data_quality import data_quality

tables = data_quality(s.panel)
s.show(tables["providers"]);

# %% [markdown]
# ## Months covered
#
# The first and last month of data for each kind of provider.

# %%
s.show(tables["coverage"]);

# %% [markdown]
# ## Completeness
#
# The share of provider-months with a value, for each measure and sector. Blank areas
# are expected where a sector does not publish a measure.

# %%
ax = workbench.completeness_heatmap(tables["completeness"])
s.savefig(ax, "completeness")
plt.show()

# %% [markdown] tags=["appendix"]
# ## Ranges
#
# Smallest, middle and largest value of each measure. All lie in the valid ranges of the measure registry (the panel would have been rejected otherwise).

# %% tags=["appendix"]
s.show(tables["ranges"], {"measure": "Measure", "construct": "Construct",
                          "count": "Values", "min": "Smallest", "median": "Median",
                          "max": "Largest"}, digits=2);

# %% [markdown]
# ## Over time
#
# The monthly average of one measure (`trend`; by default the RTT median wait of acute
# providers) by sector, or by the first group of a table of your own, with a 95% band
# across providers. Winter pressure shows as a rise in waits each December to February.

# %%
groups = [c for c in tables["coverage"].columns if c not in ("first", "last", "months")]
rows = s.panel[s.panel["setting"] == "acute"] if "setting" in s.panel else s.panel
hue = next((c for c in ("sector", *groups) if c in rows), None)
ax = workbench.monthly_trend(rows if hue else rows.assign(all="all"), trend, hue=hue or "all")
s.savefig(ax, "rtt_trend" if trend == "rtt_median_weeks" else f"{trend}_trend")
plt.show()

# %%
s.finish();
