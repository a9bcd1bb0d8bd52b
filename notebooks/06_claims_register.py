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
# **How each claim is tested.** Each claim is mapped to one analysis and shown several
# ways, side by side: the **unadjusted** comparison, the **case-mix-adjusted** one
# (comparing providers that treat similar patients: complexity, age and deprivation) and,
# for an effect that can change within a provider, the **within-provider** one. A
# *descriptive* claim ("private providers have more staff per bed") is judged on the
# unadjusted comparison, weighted by what the measure is a share of (beds, waiting lists).
#
# **Effects within providers.** A claim about an effect ("better staffing goes with
# shorter waits", "engaged staff give better experience", "waits are the main driver") is
# judged on **within-provider** estimates: each provider compared with itself over time,
# with provider and month fixed effects, so nothing about a provider that stays the same
# (its patients, how well it is run) can pass for the effect. Comparisons between
# providers are used only when a between-within (Mundlak) test finds no gap between the
# slope across providers and the slope within them (p at least 0.20 for every model the
# claim rests on); a gap, or a test that cannot be made, means within. Each verdict says
# which evidence it rests on and why. The sector claims ("private providers achieve
# higher satisfaction", privately run care homes) cannot be judged within providers,
# because a provider's sector does not change: they rest on the case-mix-adjusted
# comparison between providers, and say so. How strong an unmeasured confounder would
# have to be (the E-value) is worked out on the scale of the estimate judged; for a
# within-provider estimate, it is a confounder that changes within providers over time.
#
# **The rule.** Each claim has a minimal important difference (its *margin*, set in the
# parameters below). With the claim's interval:
#
# - *no meaningful difference*: the whole interval lies within the margin;
# - *supported, meaningful*: it lies wholly beyond the margin on the side the claim asserts;
# - *supported, size uncertain*: it excludes no difference on that side but reaches inside
#   the margin (the effect is there; whether it is large enough to matter is open);
# - *contradicted, meaningful* / *contradicted, size uncertain*: the same on the other side;
# - *inconclusive*: otherwise (too few data to tell);
# - *cannot answer*: the data do not hold what the claim needs (real NHS sources, for
#   example, publish no staffing figures for private hospitals).
#
# A claim of two or more parts is supported only when every part is, and meaningful only
# when every part is. The intervals are Bonferroni-adjusted over all ten intervals the
# register judges (99.5% each), so the chance that any verdict rests on chance is at most
# 5%. Sector comparisons with few providers in a sector use wild cluster bootstrap
# intervals with 9,999 draws. "Waits are the main driver" is tested on the difference
# between the standardised effects in one model.
#
# **Constructs, not one measure each.** Each claim compares constructs (staffing, waiting,
# satisfaction, case mix) in a population, and each construct has measures in order of
# preference. The panel's own measures come first (as on the synthetic default); when a
# published panel holds none, the best published measure stands in and the verdict names
# it: staff survey "enough staff" or sickness absence for staffing, A&E within 4 hours for
# waiting, the inpatient survey or written complaints per 1,000 occupied bed days for
# satisfaction, the national FFT figures for NHS against independent submitters. Measures
# of different frequencies are aligned on one cross-section of acute NHS trusts (survey
# year 2022, or the financial year 2024-25), and the verdict says which periods.
#
# **What it cannot show.** These are observational data: an adjusted difference is an
# association between providers treating similar patients, not proof of cause; a
# within-provider estimate still assumes nothing else changed with the exposure; on a
# cross-section it is an association between trusts, not the effect of a change within a
# trust. A claim no published measure can answer (no staffing is published for private
# providers) says "cannot answer", names every measure sought and why each is not held,
# and gives no estimate. "Shorter waits" is judged on the measure both sectors publish for
# the same month (`waits_measure`), with the like-for-like comparison by specialty beside it.

# %% tags=["parameters"]
# needs: sector, setting (each claim compares NHS and independent providers)
# measures named by: waits_measure
panel_path = ""       # panel parquet file; empty means the built-in synthetic default
seed = 20240430       # seed of the synthetic default (same seed, same data)
n_providers = 240     # providers in the synthetic default
n_months = 36         # months in the synthetic default
output_dir = ""       # folder for findings.json and figures/; empty: outputs/interactive/<notebook>
engagement_lag = 1    # months between staff engagement and the patient satisfaction it is compared with
margins = {}          # minimal important differences by claim key, e.g. {"private_shorter_waits": 2.0}, or "<claim>:<measure>" for a measure standing in; empty: the defaults
waits_measure = "rtt_median_weeks"  # the measure "shorter waits" is judged on: rtt_median_weeks, rtt_pct_within_18w, rtt_nonadmitted_pct_within_18w or rtt_nonadmitted_median_weeks

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

import workbench
from workbench.analysis.questions import claims_register as q06

# %%
s = workbench.start("06_claims_register", panel_path=panel_path, seed=seed,
                    n_providers=n_providers, n_months=n_months, output_dir=output_dir,
                    engagement_lag=engagement_lag, margins=margins, waits_measure=waits_measure)
display(Markdown(f"**Data:** {s.data_label}."))
# the like-for-like waits (by specialty) are shown beside "shorter waits" when the data hold
# them; the published tables stand in where the panel holds no measure of a construct
tables = {name: s.data(name) for name in q06.TABLES}
register = q06.answer(s.panel, tables["specialty_waits"], engagement_lag=engagement_lag,
                      margins=margins, waits_measure=waits_measure, tables=tables)

# %% [markdown]
# ## The verdicts
#
# Each claim, its verdict and the evidence in plain words:

# %%
s.add(register.findings())
display(Markdown(register.markdown()))

# %% [markdown]
# ## Unadjusted, adjusted and within provider, side by side
#
# Estimates with 95% intervals. "Judged on" says which column each verdict follows (at
# its 99.5% interval, in the verdicts above): the unadjusted one for a descriptive claim,
# the within-provider one for an effect (or the adjusted one when the between-within test
# finds no gap), the adjusted one for a sector effect. Margins are in the verdicts' words;
# units in the last column.

# %%
s.show(register.table(), register.table_columns());

# %% [markdown]
# ## The sector claims in one picture
#
# Independent minus NHS acute providers: unadjusted, after case-mix adjustment and, for
# waits on published data, like for like by specialty (whichever the data allow). Where
# the adjusted interval crosses zero and the unadjusted one does not, the private
# sector's apparent advantage comes from the patients it treats.

# %%
sector = register.sector_claims()
if sector:
    fig, axes = workbench.subplots(1, len(sector), figsize=(5 * len(sector), 2.8),
                                   squeeze=False)
    for ax, r in zip(axes[0], sector):
        shown = register.sector_findings(r)
        tab = s.table(shown)
        tab["label"] = [q06.view_label(f) for f in shown]
        workbench.forest(tab, truth="truth" if "truth" in tab else None, ax=ax)
        with workbench.theme_context():  # the claim as a title in the theme's fonts
            ax.set_title(r.claim.text, fontsize="small", wrap=True)
        ax.set_xlabel(r.claim.unit)
    s.savefig(fig, "sector_claims")
    plt.show()
else:
    display(Markdown("The data cannot answer any sector claim (see the verdicts above)."))

# %%
s.finish();
