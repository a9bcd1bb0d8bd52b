# ---
# jupyter:
#   kernelspec:
#     display_name: Python (workbench)
#     language: python
#     name: workbench
# ---

# %% [markdown]
# # The claims register: what the data say about common claims
#
# **The question.** Seven things are often said about customer service in health and
# social care. Which of them do the data support, which do they contradict, and where is
# the answer still open?
#
# **How each claim is tested.** Each claim is mapped to one analysis and answered twice,
# side by side: a **naive** answer (the raw comparison, allowing only for the month) and
# a **case-mix-adjusted** answer (comparing providers that treat similar patients:
# complexity, age and deprivation). The verdict follows the adjusted answer and its 95%
# interval: *supported* when the whole interval lies on the side the claim asserts,
# *contradicted* when it lies wholly on the other side, *inconclusive* when it includes no
# difference, and *cannot answer* when the data do not hold what the claim needs (real
# NHS sources, for example, publish no staffing figures for private hospitals).
#
# **What it cannot show.** These are observational data: an adjusted difference is an
# association between providers treating similar patients, not proof of cause.

# %% tags=["parameters"]
panel_path = ""       # panel parquet file; empty means the built-in synthetic default
seed = 20240430       # seed of the synthetic default (same seed, same data)
n_providers = 240     # providers in the synthetic default
n_months = 36         # months in the synthetic default
output_dir = ""       # folder for findings.json and figures/; empty: outputs/interactive/<notebook>
engagement_lag = 1    # months between staff engagement and the patient satisfaction it is compared with

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from workbench import session
from workbench.report import panel_figures, theme

# %%
from workbench.analysis import claims

s = session.start("06_claims_register", panel_path=panel_path, seed=seed,
                  n_providers=n_providers, n_months=n_months, output_dir=output_dir,
                  engagement_lag=engagement_lag)
display(Markdown(f"**Data:** {s.data_label}."))

# %% [markdown]
# ## The verdicts
#
# Each claim, its verdict and the evidence in plain words:

# %%
results = claims.assess_claims(s.panel, engagement_lag=engagement_lag)
s.add(claims.claim_findings(results))
display(Markdown(claims.register_markdown(results)))

# %% [markdown]
# ## Naive and adjusted, side by side
#
# Estimates with 95% intervals; the verdict follows the adjusted column. Units are in the last column.

# %%
s.show(claims.register_table(results))

# %% [markdown]
# ## The sector claims in one picture
#
# Independent minus NHS acute providers, before (naive) and after case-mix adjustment.
# Where the adjusted interval crosses zero and the naive one does not, the private
# sector's apparent advantage comes from the patients it treats.

# %%
sector = [r for r in results if r.claim.key.startswith("private_") and r.adjusted
          and r.claim.key != "private_care_homes_better"]
if sector:
    fig, axes = theme.subplots(1, len(sector), figsize=(5 * len(sector), 2.8), squeeze=False)
    for ax, r in zip(axes[0], sector):
        tab = s.table([*r.naive, *r.adjusted])
        tab["label"] = ["naive", "adjusted"]
        panel_figures.forest(tab, truth="truth" if "truth" in tab else None, ax=ax)
        with theme.theme_context():  # the claim as a title in the theme's fonts
            ax.set_title(r.claim.text, fontsize="small", wrap=True)
        ax.set_xlabel(r.adjusted[0].unit)
    s.savefig(fig, "sector_claims")
    plt.show()
else:
    display(Markdown("The data cannot answer any sector claim (see the verdicts above)."))

# %%
s.finish();
