# ---
# jupyter:
#   kernelspec:
#     display_name: Python (workbench)
#     language: python
#     name: workbench
# ---

# %% [markdown]
# # NHS and independent providers: are private providers really better?
#
# **The claim.** "Private providers have shorter waits and happier patients."
#
# **Why a simple comparison misleads.** Independent hospitals treat healthier, less
# complex patients (published studies of NHS-funded surgery find this consistently).
# Patients who are simpler to treat wait less and report better experiences wherever
# they are treated. So this report shows two answers side by side for each measure:
#
# * the **naive difference**: what a patient sees on average in each sector;
# * the **case-mix-adjusted difference**: independent hospitals compared with NHS trusts
#   treating comparable patients (same complexity, age and deprivation). It is *doubly
#   robust*: NHS trusts are weighted to the case mix of the independent hospitals and an
#   outcome model of case mix corrects what the weights leave; both use flexible
#   (spline) models of case mix, so it does not assume case mix acts in a straight line.
#   It is right if either the weights or the outcome model is. When no weighting can make
#   the NHS trusts look like the independent hospitals (the sectors barely overlap), the
#   weights are not used: the answer is the outcome model's alone, and its warning says so.
#
# Linear regression adjustment is shown beside it, with a check of whether a straight
# line fits.
#
# It also compares CQC ratings of hospitals, and of care homes by who runs them.

# %% tags=["parameters"]
# needs: sector, setting (it compares NHS and independent acute providers)
# measures named by: outcomes
panel_path = ""       # panel parquet file; empty means the built-in synthetic default
seed = 20240430       # seed of the synthetic default (same seed, same data)
n_providers = 240     # providers in the synthetic default
n_months = 36         # months in the synthetic default
output_dir = ""       # folder for findings.json and figures/; empty: outputs/interactive/<notebook>
outcomes = ["rtt_median_weeks", "fft_pct_positive", "nurse_fte_per_10_beds"]  # measures to compare between sectors

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

import workbench

# %%
from workbench.analysis.questions import nhs_vs_private as q03

s = workbench.start("03_nhs_vs_private", panel_path=panel_path, seed=seed,
                    n_providers=n_providers, n_months=n_months, output_dir=output_dir,
                    outcomes=outcomes)
acute = s.panel[s.panel["setting"] == "acute"]
display(Markdown(f"**Data:** {s.data_label}."))

# %% [markdown]
# ## What these data can and cannot show

# %%
limits = q03.sector_comparison_limits(s.panel, tuple(outcomes))
display(Markdown("\n".join(f"- {n}" for n in limits) or
                 "Every measure is published for both sectors, with case mix to adjust for."))

# %% [markdown]
# ## What each sector looks like
#
# One dot per provider (its average over the months).

# %%
shown = [o for o in outcomes if o in acute and acute[o].notna().any()]
fig, axes = workbench.subplots(1, len(shown), figsize=(5 * len(shown), 4.5), squeeze=False)
for ax, o in zip(axes[0], shown):
    workbench.sector_comparison(acute, o, ax=ax)
s.savefig(fig, "sectors")
plt.show()

# %% [markdown]
# ## Who the sectors treat
#
# Case mix by sector: if these differ, the naive comparison is not like with like.

# %%
case_mix = q03.case_mix_shown(s.panel)
if case_mix:
    fig, axes = workbench.subplots(1, len(case_mix), figsize=(5 * len(case_mix), 4),
                                   squeeze=False)
    for ax, c in zip(axes[0], case_mix):
        workbench.sector_comparison(acute, c, ax=ax)
    s.savefig(fig, "case_mix")
    plt.show()
else:
    display(Markdown("**No case-mix measures in these data**: who each sector treats cannot "
                     "be shown, and the comparison below is the naive one only."))

# %% [markdown]
# ## Findings: naive and adjusted, side by side

# %%
found = s.add(q03.nhs_vs_independent(s.panel, outcomes=tuple(outcomes)))
display(Markdown(s.sentences(found)))

# %%
s.findings_table(found);

# %%
side_by_side = [f for f in found if f.key.kind in q03.SIDE_BY_SIDE]
diffs = s.table(side_by_side)
diffs["label"] = [q03.difference_label(f) for f in side_by_side]
if len(diffs):
    ax = workbench.forest(
        diffs, truth="truth" if "truth" in diffs else None,
        title="Independent minus NHS: naive and case-mix adjusted (95% intervals)")
    s.savefig(ax, "sector_differences")
    plt.show()

# %% [markdown]
# **Reading the chart.** Where the adjusted interval is closer to zero than the naive
# one, part of the private sector's apparent advantage comes from the patients it
# treats rather than from how it treats them.
#
# The adjusted (doubly robust) interval is wide when few NHS trusts treat patients like
# the independent hospitals': it then says how little the data can tell. The linear
# adjustment (`#linear`) is narrower only because it assumes a straight line through
# case mix where the data hold no comparable trusts; the check below says whether that
# straight line fits.

# %% [markdown]
# ## Can the adjusted comparison be trusted?
#
# Three checks, each of which can fail; a failure is written into the finding's warning
# and keeps it out of the headlines.
#
# * **Balance.** After weighting, NHS trusts should look like the independent hospitals
#   (when they cannot, the tables below show how far the best attempt falls short, and the
#   answer above does not use those weights):
#   the standardised mean difference (SMD) of each case-mix measure, of its square and
#   of each product of two measures under 0.1, and the largest gap between their
#   distributions (Kolmogorov-Smirnov, KS) under 0.1 or under what chance alone leaves
#   with this many providers.
# * **Effective numbers.** Weighting leans on some providers more than others; the
#   effective number says how many equally weighted providers the weighted group is
#   worth. A handful means the comparison rests on a few trusts.
# * **Who is compared.** The case mix of the independent hospitals (whom the adjusted
#   difference is about), of the NHS trusts weighted to resemble them, and of the
#   *overlap population* (providers whose case mix could belong to either sector),
#   beside all acute providers.
# * **Specification.** A test of whether linear adjustment fits: if it does not, case
#   mix acts nonlinearly or differently in the two sectors, and only the doubly robust
#   difference should be read.

# %%
checks = q03.sector_contrast_checks(s.panel, tuple(outcomes))
if checks is None:
    display(Markdown("No case-mix measures, or no measure held for both sectors: nothing "
                     "to check."))
else:
    display(Markdown("**Balance after weighting** (each check with its limit):"))
    s.show(checks["balance"], columns={"term": "Case mix", "kind": "Check",
                                       "statistic": "Statistic", "unweighted": "Before",
                                       "weighted": "After", "limit": "Limit",
                                       "ok": "Balanced"})
    ax = workbench.balance_plot(checks["love"])
    s.savefig(ax, "balance_doubly_robust")
    plt.show()
    display(Markdown("**Effective number of providers** (Kish):"))
    s.show(checks["sizes"], columns={"sector": "Sector", "providers": "Providers",
                                     "effective": "Effective number",
                                     "share": "Share of providers"})
    display(Markdown("**Whom the comparison is about** (mean case mix):"))
    s.show(checks["case_mix"], columns={"covariate": "Case mix",
                                        "all acute providers": "All acute",
                                        "independent hospitals": "Independent",
                                        "NHS trusts": "NHS",
                                        "NHS weighted like independent": "NHS weighted",
                                        "overlap population": "Overlap population"})
    display(Markdown("**Does linear adjustment fit?** (F test of spline and sector "
                     "interaction terms, robust to unequal variances):"))
    s.show(checks["specification"], columns={"outcome": "Measure", "F": "F",
                                             "terms": "Terms tested", "p": "p-value",
                                             "linear adjustment": "Linear adjustment"})

# %% [markdown] tags=["appendix"]
# ## A third answer: weighting to the same case mix
#
# Weighting gives each provider a weight so that NHS trusts and independent hospitals
# look alike on case mix, then compares them. Each weighted estimate answers a stated
# question (its **estimand**):
#
# * **inverse probability weighting (ATE)**: the average effect over all acute providers;
# * **overlap weights (ATO)**: the average effect in the *overlap population*, providers
#   whose case mix could belong to either sector (a narrower question, answerable even
#   when the sectors barely overlap);
# * **augmented IPW (ATE, doubly robust)**: IPW corrected by an outcome model.
#
# Weighting only works when it balances case mix. A weighted estimate whose weights fail
# any balance check (a standardised mean difference of a case-mix measure, its square or
# a product of two at 0.1 or more, or a distribution gap over its limit, as in the checks
# above) **failed balance**: it is shown below
# as a diagnostic, **not to be read as an answer**, and the case-mix-adjusted (doubly
# robust) difference above is the one to read. The chart shows the standardised mean
# differences before and after each weighting (within the dashed lines is balanced).

# %% tags=["appendix"]
weighted, balance_table = q03.sector_weighting(s.panel, tuple(outcomes))
weighted = s.add(weighted)
answers = [f for f in weighted if f.role != "diagnostic"]
failed = [f for f in weighted if f.role == "diagnostic"]
if weighted:
    display(Markdown("**Weighted estimates that passed balance** (each with its estimand):\n\n"
                     + ("\n".join(f"- {f.sentence} *Estimand: {f.unit.split('(')[-1][:-1]}.*"
                                   for f in answers) or "- none")))
    display(Markdown("**Failed balance: diagnostics, not to be read as an answer:**\n\n"
                     + ("\n".join(f"- {f.question}: {f.warning}" for f in failed) or "- none")))
    ax = workbench.balance_plot(balance_table, hue="weights")
    s.savefig(ax, "balance")
    plt.show()
else:
    display(Markdown("No case-mix measures in these data: weighting is not possible."))

# %%
s.finish();
