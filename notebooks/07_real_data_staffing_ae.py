# ---
# jupyter:
#   kernelspec:
#     display_name: Python (workbench)
#     language: python
#     name: workbench
# ---

# %% [markdown]
# # A&E waits, nurse staffing and staff engagement in NHS trusts (published data)
#
# **The question.** Do NHS trusts with more nurses, and with more engaged staff, see more
# of their A&E patients within four hours?
#
# **The data.** Published NHS figures, matched by trust and month: A&E attendances and
# four-hour performance (monthly), nurse and all-staff numbers from NHS workforce
# statistics (a few months only), and staff engagement from the NHS Staff Survey (once a
# year).
#
# **How it is answered.** Straight-line models comparing trusts in the same month, allowing
# for the size of each A&E department, with 95% intervals that allow for repeated months
# from the same trust. Staff engagement is also compared *within* each trust from one year
# to the next, which removes differences between trusts that do not change.
#
# **Read first:** the section below on what these data can and cannot show.

# %% tags=["parameters"]
panel_path = ""       # panel parquet file; empty means the built-in synthetic default
seed = 20240430       # seed of the synthetic default (same seed, same data)
n_providers = 240     # providers in the synthetic default
n_months = 36         # months in the synthetic default
output_dir = ""       # folder for findings.json and figures/; empty: outputs/interactive/<notebook>
start = ""            # first month of A&E data used, "YYYY-MM"; empty: the first in the panel
end = ""              # last month used, "YYYY-MM"; empty: the last in the panel
min_attendances = 3000  # leave out trust-months with fewer A&E attendances (minor units)
survey_mapping = "following_year"  # staff survey 2021-24 year Y -> months: "following_year" (Jan-Dec Y+1) or "financial_year" (Apr Y-Mar Y+1)

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

import workbench
from workbench.analysis.questions import real_data_staffing_ae as q07

# %%
s = workbench.start("07_real_data_staffing_ae", panel_path=panel_path, seed=seed,
                    n_providers=n_providers, n_months=n_months, output_dir=output_dir,
                    start=start, end=end, min_attendances=min_attendances,
                    survey_mapping=survey_mapping)
table = q07.ae_staffing_table(s.panel, start, end, min_attendances)
display(Markdown(f"**Data:** {s.data_label}."))

# %% [markdown]
# ## What these data can and cannot show

# %%
limits = q07.ae_staffing_limits(s.panel, start, end, min_attendances)
display(Markdown("\n".join(f"- {n}" for n in limits)))

# %% [markdown]
# ## The raw picture
#
# Each dot is one trust's average over the months where both figures are published; the line is a straight-line fit with its 95% band.

# %%
pairs = [(x, lab) for x, lab in (("nurse_share_pct", "Nurses as a share of all staff (%)"),
                                 ("staff_engagement", "Staff engagement (0-10)"))
         if table[x].notna().any()]
if pairs:
    fig, axes = workbench.subplots(1, len(pairs), figsize=(6 * len(pairs), 4.5),
                                   squeeze=False)
    for ax, (x, lab) in zip(axes[0], pairs):
        workbench.relationship(table, x, "ae_pct_within_4h", ax=ax,
                               title=f"A&E within 4 hours against {lab[0].lower() + lab[1:]}")
        ax.set_xlabel(lab)
    s.savefig(fig, "relationships")
    plt.show()

# %% [markdown]
# ## Findings
#
# Each finding in plain words, with its 95% interval:

# %%
found = s.add(q07.ae_staffing_engagement(s.panel, start, end, min_attendances))
display(Markdown(s.sentences(found) or "No model could be fitted: too few trusts have the "
                 "figures it needs."))

# %% [markdown] tags=["appendix"]
# ## All estimates
#
# Every estimate with its 95% interval. Questions saying "within" compare each trust with itself from year to year; a joint model puts staffing and engagement in one model (only where both are published in the same month).

# %% tags=["appendix"]
s.findings_table(found);

# %%
if found:
    tab = s.table(found)
    tab["label"] = [q07.ae_label(f) for f in found]
    ax = workbench.forest(tab, title="A&E within 4 hours (percentage points), 95% intervals")
    s.savefig(ax, "forest")
    plt.show()

# %% [markdown]
# ## Staff experience 2021-24: enough staff, burnout, stress, time demands, autonomy
#
# The NHS Staff Survey results of each trust for 2021 to 2024 (share of staff saying there
# are enough staff to do their job properly, often burnt out, unwell from work-related
# stress, able to meet the demands on their time, with autonomy at work), against A&E
# four-hour performance and RTT waits in the months each survey year stands for. Two
# designs, named in every finding: **cross-sectional** (trusts compared with each other)
# and **within-trust** (each trust compared with itself in another survey year, trust and
# year fixed effects). Intervals allow for repeated years of the same trust (clustered by
# trust).

# %%
experience = q07.staff_experience(s.data("staff_survey_years"), s.panel,
                                  mapping=survey_mapping, min_attendances=min_attendances)
display(Markdown("\n".join(f"- {n}" for n in experience.limits())))

# %%
staff_found = s.add(experience.findings())
if not experience.reason:
    display(Markdown(s.sentences(staff_found) or "No model could be fitted: too few trusts "
                     "have survey results and waits in the same window."))

# %%
if staff_found:
    tab = s.table(staff_found)
    tab["label"] = [q07.staff_label(f) for f in staff_found]
    ax = workbench.forest(tab, title="Staff experience and waits: per 10 points more\n"
                          "staff reporting it (percentage points), 95% CI")
    s.savefig(ax, "staff_experience_forest")
    plt.show()

# %%
s.finish();
