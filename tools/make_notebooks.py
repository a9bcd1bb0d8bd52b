"""Write the analysis notebooks from their cell sources (run: python tools/make_notebooks.py).

The notebooks are kept thin: narrative in Markdown and one package call per code
cell. Editing them in JupyterLab is fine too; this script is how they were made and
writes them without outputs.
"""

from __future__ import annotations

from pathlib import Path

import nbformat as nbf

ROOT = Path(__file__).resolve().parents[1]
KERNEL = {"name": "workbench", "display_name": "Python (workbench)", "language": "python"}

COMMON_PARAMS = '''panel_path = ""       # panel parquet file; empty means the built-in synthetic default
seed = 20240430       # seed of the synthetic default (same seed, same data)
n_providers = 240     # providers in the synthetic default
n_months = 36         # months in the synthetic default
output_dir = ""       # folder for findings.json and figures/; empty: outputs/interactive/<notebook>'''


def notebook(name: str, cells: list[tuple[str, str]]) -> None:
    nb = nbf.v4.new_notebook()
    nb.metadata["kernelspec"] = KERNEL
    nb.metadata["language_info"] = {"name": "python"}
    for kind, src in cells:
        if kind == "md":
            nb.cells.append(nbf.v4.new_markdown_cell(src.strip()))
        elif kind == "params":
            c = nbf.v4.new_code_cell(src.strip())
            c.metadata["tags"] = ["parameters"]
            nb.cells.append(c)
        else:
            nb.cells.append(nbf.v4.new_code_cell(src.strip()))
    for i, c in enumerate(nb.cells):
        c["id"] = f"{name[:2]}-{i:02d}"
    nbf.validate(nb)
    path = ROOT / "notebooks" / f"{name}.ipynb"
    nbf.write(nb, path)
    print("wrote", path.relative_to(ROOT))


SETUP = '''
%matplotlib inline
import matplotlib.pyplot as plt
from IPython.display import Markdown, display
from workbench import session
from workbench.report import plots
'''

notebook("01_data_quality", [
    ("md", """
# What the data hold: a data-quality check

This report describes the panel every other report uses: which providers it covers,
for which months, and how complete each measure is. Read it first: a finding is only
as good as the data under it. Missing values are expected (independent hospitals
publish no NHS workforce figures, care homes have no waiting lists); wrong values are
not, and the panel is checked against the workbench's rules before anything is
reported (values in range, one row per provider and month, known sectors).
"""),
    ("params", COMMON_PARAMS),
    ("code", SETUP),
    ("code", '''
s = session.start("01_data_quality", panel_path=panel_path, seed=seed,
                  n_providers=n_providers, n_months=n_months, output_dir=output_dir)
display(Markdown(f"**Data:** {s.data_label}"))
'''),
    ("md", "## Providers\n\nHow many providers of each kind the panel holds."),
    ("code", '''
from workbench.analysis.questions import data_quality
tables = data_quality(s.panel)
tables["providers"]
'''),
    ("md", "## Months covered\n\nThe first and last month of data for each kind of provider."),
    ("code", 'tables["coverage"]'),
    ("md", """
## Completeness

The share of provider-months with a value, for each measure and sector. Blank areas
are expected where a sector does not publish a measure.
"""),
    ("code", '''
ax = plots.completeness_heatmap(tables["completeness"])
s.savefig(ax, "completeness")
plt.show()
'''),
    ("md", "## Ranges\n\nSmallest, middle and largest value of each measure. All lie in the valid ranges of the measure registry (the panel would have been rejected otherwise)."),
    ("code", 'tables["ranges"].round(2)'),
    ("md", "## Waiting times over time\n\nMonthly average RTT median wait by sector, with a 95% band across providers. Winter pressure shows as a rise each December to February."),
    ("code", '''
ax = plots.monthly_trend(s.panel[s.panel["setting"] == "acute"], "rtt_median_weeks")
s.savefig(ax, "rtt_trend")
plt.show()
'''),
    ("code", 's.finish();'),
])

notebook("02_staffing_waits_satisfaction", [
    ("md", """
# Staffing, waiting times and patient satisfaction

**The question.** Do providers with more nurses per bed have shorter waits, and do
shorter waits and better staffing go with more satisfied patients? And do engaged,
satisfied staff give patients a better experience a month later?

**How it is answered.** Linear models of each provider's monthly figures, comparing
providers with similar patients (case mix: complexity, age, deprivation) in the same
month, with 95% intervals that allow for repeated months from the same provider.
Satisfaction is the Friends and Family Test (FFT): the share of patients who rated
their care good or very good. The same question is also answered with a model of the
FFT counts themselves and with a model that gives each provider its own baseline;
answers that agree across models are more trustworthy.

**What it cannot show.** These are observational data: the estimates are
associations after adjustment, not proof that changing staffing would change waits.
"""),
    ("params", COMMON_PARAMS + '''
subset = "acute"      # which providers: "acute" (all), "nhs" or "independent"
engagement_lag = 1    # months between staff engagement and the patient satisfaction it is compared with'''),
    ("code", SETUP),
    ("code", '''
from workbench.analysis import questions
from workbench.analysis.models import SUBSETS, select_subset
s = session.start("02_staffing_waits_satisfaction", panel_path=panel_path, seed=seed,
                  n_providers=n_providers, n_months=n_months, output_dir=output_dir,
                  subset=subset, engagement_lag=engagement_lag)
data = select_subset(s.panel, subset)
display(Markdown(f"**Data:** {s.data_label}. **Providers analysed:** {SUBSETS[subset]} "
                 f"({data['provider_code'].nunique()})."))
'''),
    ("md", "## The raw picture\n\nEach dot is one provider's average over the months; lines are straight-line fits per sector with 95% bands. This is the unadjusted picture, before comparing like with like."),
    ("code", '''
fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
plots.relationship(data, "nurse_fte_per_10_beds", "rtt_median_weeks", ax=axes[0])
plots.relationship(data, "rtt_median_weeks", "fft_pct_positive", ax=axes[1])
s.savefig(fig, "relationships")
plt.show()
'''),
    ("md", "## Findings\n\nEach finding in plain words, with its 95% interval:"),
    ("code", '''
found = s.add(questions.staffing_waits_satisfaction(s.panel, subset=subset,
                                                    engagement_lag=engagement_lag))
display(Markdown(s.sentences([f for f in found if "#" not in f.id])))
'''),
    ("md", "## All estimates\n\nThe same findings as a table, including the checks with other models: a binomial model of the FFT counts (odds ratios) and a random-intercept model (ids ending `#mixed`). On synthetic data the table also shows the true value the data were built with and whether the interval covers it."),
    ("code", 's.table(found)'),
    ("code", '''
tab = s.table([f for f in found if f.unit and not f.unit.startswith(("rate", "log", "odds"))])
tab["label"] = tab["id"].str.replace(r"@.*?(#|$)", r" \\1", regex=True)
ax = plots.forest(tab, truth="truth" if "truth" in tab else None)
ax.set_title("Effects on waits and satisfaction (95% intervals)")
s.savefig(ax, "forest")
plt.show()
'''),
    ("md", """
## How much of staffing's effect runs through waits?

Better staffing can raise satisfaction directly (more time with each patient) and
indirectly, by shortening waits. A mediation analysis splits the total effect into the
part through waits (indirect) and the rest (direct). Intervals come from resampling
whole providers 999 times. It assumes nothing unmeasured drives both staffing and waits,
or waits and satisfaction, once case mix and month are allowed for.
"""),
    ("code", '''
paths = s.add(questions.staffing_pathways(s.panel, subset=subset))
display(Markdown(s.sentences(paths)))
s.table(paths)
'''),
    ("md", """
## Checking the model

Left: residuals against fitted values for the main satisfaction model; a funnel or a
curve would mean the straight-line model misses something. Right: the providers that
move the waiting-time estimate most when left out; bars beyond the dashed lines mark a
provider that alone shifts the answer by more than one standard error.
"""),
    ("code", '''
from workbench.report import diagnostics
main = questions.satisfaction_model(s.panel, subset=subset, engagement_lag=engagement_lag)
fig, axes = plt.subplots(1, 2, figsize=(13, 5))
diagnostics.residual_plot(diagnostics.residual_frame(main), ax=axes[0])
diagnostics.influence_plot(diagnostics.influence_frame(main, "rtt_median_weeks"), top=12,
                           ax=axes[1])
s.savefig(fig, "diagnostics")
plt.show()
'''),
    ("code", '''
# In JupyterLab: drop-downs to look at another measure or set of providers.
# Batch runs (workbench run) show nothing here and the report is unchanged.
from workbench import interactive
interactive.controls(
    interactive.association,
    {"exposure": ["nurse_fte_per_10_beds", "rn_vacancy_pct", "sickness_absence_pct",
                  "staff_engagement", "rtt_median_weeks"],
     "outcome": ["rtt_median_weeks", "fft_pct_positive", "complaints_per_1000"],
     "subset": [subset] + [k for k in ("acute", "nhs", "independent") if k != subset]},
    output_dir=output_dir, title="Explore: another measure or set of providers",
    data=s.panel, truth=s.truth);
'''),
    ("code", 's.finish();'),
])

notebook("03_nhs_vs_private", [
    ("md", """
# NHS and independent providers: are private providers really better?

**The claim.** "Private providers have shorter waits and happier patients."

**Why a simple comparison misleads.** Independent hospitals treat healthier, less
complex patients (published studies of NHS-funded surgery find this consistently).
Patients who are simpler to treat wait less and report better experiences wherever
they are treated. So this report shows two answers side by side for each measure:

* the **naive difference**: what a patient sees on average in each sector;
* the **case-mix-adjusted difference**: independent versus NHS providers treating
  comparable patients (same complexity, age and deprivation, same month).

It also compares CQC ratings of hospitals, and of care homes by who runs them.
"""),
    ("params", COMMON_PARAMS + '''
outcomes = ["rtt_median_weeks", "fft_pct_positive", "nurse_fte_per_10_beds"]  # measures to compare between sectors'''),
    ("code", SETUP),
    ("code", '''
from workbench.analysis import questions
from workbench.report import diagnostics
s = session.start("03_nhs_vs_private", panel_path=panel_path, seed=seed,
                  n_providers=n_providers, n_months=n_months, output_dir=output_dir,
                  outcomes=outcomes)
acute = s.panel[s.panel["setting"] == "acute"]
display(Markdown(f"**Data:** {s.data_label}."))
'''),
    ("md", "## What these data can and cannot show"),
    ("code", '''
limits = questions.sector_comparison_limits(s.panel, tuple(outcomes))
display(Markdown("\\n".join(f"- {n}" for n in limits) or
                 "Every measure is published for both sectors, with case mix to adjust for."))
'''),
    ("md", "## What each sector looks like\n\nOne dot per provider (its average over the months)."),
    ("code", '''
shown = [o for o in outcomes if o in acute and acute[o].notna().any()]
fig, axes = plt.subplots(1, len(shown), figsize=(5 * len(shown), 4.5), squeeze=False)
for ax, o in zip(axes[0], shown):
    plots.sector_comparison(acute, o, ax=ax)
s.savefig(fig, "sectors")
plt.show()
'''),
    ("md", "## Who the sectors treat\n\nCase mix by sector: if these differ, the naive comparison is not like with like."),
    ("code", '''
case_mix = [c for c in questions.case_mix_available(s.panel) if c != "deprivation_imd"]
if case_mix:
    fig, axes = plt.subplots(1, len(case_mix), figsize=(5 * len(case_mix), 4), squeeze=False)
    for ax, c in zip(axes[0], case_mix):
        plots.sector_comparison(acute, c, ax=ax)
    s.savefig(fig, "case_mix")
    plt.show()
else:
    display(Markdown("**No case-mix measures in these data**: who each sector treats cannot "
                     "be shown, and the comparison below is the naive one only."))
'''),
    ("md", "## Findings: naive and adjusted, side by side"),
    ("code", '''
found = s.add(questions.nhs_vs_independent(s.panel, outcomes=tuple(outcomes)))
display(Markdown(s.sentences(found)))
'''),
    ("code", 's.table(found)'),
    ("code", '''
diffs = s.table([f for f in found if f.id.startswith(("naive", "adjusted"))])
diffs["label"] = diffs["id"].str.replace("sector[independent]->", "", regex=False)
if len(diffs):
    ax = plots.forest(diffs, truth="truth" if "truth" in diffs else None)
    ax.set_title("Independent minus NHS: naive and case-mix adjusted (95% intervals)")
    s.savefig(ax, "sector_differences")
    plt.show()
'''),
    ("md", """
**Reading the chart.** Where the adjusted interval is closer to zero than the naive
one, part of the private sector's apparent advantage comes from the patients it
treats rather than from how it treats them.
"""),
    ("md", """
## A third answer: weighting to the same case mix

Inverse probability weighting gives each provider a weight so that NHS trusts and
independent hospitals look alike on case mix, then compares them. It only works when
the two sectors overlap: when almost every independent hospital treats patients unlike
any NHS trust's, no weighting can make them comparable, and the finding says so. The
chart shows how different the sectors are on each case-mix measure before and after
weighting (standardised mean differences; within the dashed lines is usually taken as
balanced).
"""),
    ("code", '''
weighted, balance_table = questions.sector_weighting(s.panel, tuple(outcomes))
weighted = s.add(weighted)
if weighted:
    display(Markdown(s.sentences(weighted)))
    display(Markdown("\\n".join(f"- *Warning:* {w}" for w in sorted({f.warning for f in weighted
                                                                  if f.warning}))))
    ax = diagnostics.balance_plot(balance_table)
    s.savefig(ax, "balance")
    plt.show()
else:
    display(Markdown("No case-mix measures in these data: weighting is not possible."))
'''),
    ("code", 's.finish();'),
])

notebook("04_spc_monitoring", [
    ("md", """
# Is it changing? Monitoring one measure over time (SPC charts)

**The question.** For each provider: has this measure really changed, or is this month's
figure just the usual ups and downs? And if nothing changes, will the provider meet its
target?

**How to read the charts.** Each chart is one provider's monthly figures. The dashed
lines are its *process limits*: while nothing changes, almost every month falls between
them. Grey points are ordinary variation (*common cause*). Coloured points are *special
causes*, patterns unlikely to arise by chance: a month outside the limits, seven months
in a row rising or falling, seven months on one side of the average, or two of three
months close to a limit. Orange means a change for the worse, blue for the better. The
badges at the top right repeat this for the latest month (variation) and say whether the
target will be met (assurance). This is the NHS "Making Data Count" method.

**What it cannot show.** A special cause says *that* something changed, not *why*.
"""),
    ("params", COMMON_PARAMS + '''
measure = "rtt_median_weeks"  # measure to chart (a name from the measure registry)
providers = []        # provider codes; empty: the first 6 NHS providers with 12 or more months
direction = ""        # "increase", "decrease" or "neutral" is better; empty: the measure's own
target = None         # target value for the assurance badge (e.g. 18); None: no target
rebase = []           # month starts ("YYYY-MM-01") that begin new limits, after a known change'''),
    ("code", SETUP),
    ("code", '''
from workbench.analysis import improvement
from workbench.data import measures
from workbench.report import charts
s = session.start("04_spc_monitoring", panel_path=panel_path, seed=seed,
                  n_providers=n_providers, n_months=n_months, output_dir=output_dir,
                  measure=measure, providers=providers, direction=direction, target=target,
                  rebase=rebase)
view = improvement.spc_view(s.panel, measure, providers, direction=direction, target=target,
                            rebase=rebase)
display(Markdown(f"**Data:** {s.data_label}. **Measure:** {measures.label(measure)} "
                 f"({view.direction} is better). **Providers:** {len(view.providers)}."))
display(Markdown("\\n".join(f"- {n}" for n in view.notes) or "All months have a value."))
'''),
    ("md", "## The charts\n\nOne chart per provider, with its own average and limits."),
    ("code", '''
fig = charts.spc_small_multiples(view.result, ncols=3, ylabel=measures.label(measure),
                                 titles={c: f"{n} ({c})" for c, n in view.names.items()})
s.savefig(fig, "spc")
plt.show()
'''),
    ("md", "## In plain words\n\nFor each provider, what the latest month shows:"),
    ("code", '''
found = s.add(improvement.spc_findings(view))
display(Markdown(s.sentences(found)))
'''),
    ("md", """
## The numbers

Latest value, the average and limits of the current period, and the two badges. In the
findings file each provider's average is the estimate and its limits are the interval
(they are process limits, not a confidence interval).
"""),
    ("code", 'improvement.spc_summary(view).drop(columns="summary").round(2)'),
    ("code", '''
# In JupyterLab: drop-downs to chart another measure or provider.
# Batch runs (workbench run) show nothing here and the report is unchanged.
from workbench import interactive
interactive.controls(
    interactive.spc_chart,
    {"measure": [measure] + [m for m in ("rtt_median_weeks", "rtt_pct_within_18w",
                                         "ae_pct_within_4h", "fft_pct_positive",
                                         "nurse_fte_per_10_beds", "sickness_absence_pct")
                             if m != measure],
     "provider": [(f"{n} ({c})", c) for c, n in view.names.items()]},
    output_dir=output_dir, data=s.panel,
    title="Explore: another measure or provider (each measure's own direction, no target)");
'''),
    ("code", 's.finish();'),
])

notebook("05_provider_funnel", [
    ("md", """
# Who stands out? Comparing providers fairly (funnel plot)

**The question.** Which providers are really better or worse than the rest this month,
once we allow for the fact that small providers' figures jump about more than large
ones'?

**How to read the chart.** Each dot is one provider: across, how many patients (or
responses, or expected events) it had; up, its figure. The funnel-shaped lines show how
far from the centre line a provider of that size could fall by chance alone (95% and
99.8% limits). A dot outside the funnel is unusual for its size: blue when that is
better, orange when worse. Real providers differ more than chance alone would make them;
the funnel is then widened to allow for the usual spread, so a provider outside it
stands out even among its peers.

**What it cannot show.** Providers treat different patients; unless the measure allows
for case mix, a provider outside the funnel may treat sicker or simpler patients rather
than give better or worse care. One month is one snapshot.
"""),
    ("params", COMMON_PARAMS + '''
measure = "fft_pct_positive"  # fft_pct_positive, complaints, ae_pct_within_4h, rtt_pct_within_18w, rtt_over_52w, or "numerator/denominator" of two count measures
period = ""           # month "YYYY-MM"; empty or "last": the latest month with data
method = "SHMI"       # standardised ratios (complaints): "SHMI" (log scale, 10% trimmed) or "CQC" (square-root scale, winsorised; better with few events)
overdispersion = True  # widen the limits for the usual spread between providers
setting = "acute"     # providers of one setting ("acute", "care_home", ...); empty: all'''),
    ("code", SETUP),
    ("code", '''
from workbench.analysis import improvement
from workbench.report import charts
s = session.start("05_provider_funnel", panel_path=panel_path, seed=seed,
                  n_providers=n_providers, n_months=n_months, output_dir=output_dir,
                  measure=measure, period=period, method=method,
                  overdispersion=overdispersion, setting=setting)
view = improvement.funnel_view(s.panel, measure, period, method=method,
                               overdispersion=overdispersion, setting=setting)
display(Markdown(f"**Data:** {s.data_label}. **Month:** {view.period:%B %Y}. "
                 f"**Providers:** {setting or 'all settings'}."))
display(Markdown("\\n".join(f"- {n}" for n in view.notes)))
'''),
    ("md", "## The funnel"),
    ("code", '''
sp = view.spec
ax = charts.funnel_chart(view.result, improvement_direction=sp.direction,
                         multiplier=sp.multiplier, ylabel=sp.label, xlabel=sp.x_label,
                         title=f"{sp.label}, {view.period:%B %Y}")
s.savefig(ax, "funnel")
plt.show()
'''),
    ("md", "## In plain words"),
    ("code", '''
found = s.add(improvement.funnel_findings(view))
display(Markdown(improvement.describe_funnel(view)))
'''),
    ("md", "## Providers outside the funnel\n\nWidest limit first; within it, lowest first."),
    ("code", '''
out = improvement.funnel_outliers(view)
display(Markdown("\\n".join(f"- {t}" for t in out["summary"])
                 or "No provider lies outside the limits."))
'''),
    ("code", 'out.drop(columns="summary").round(3)'),
    ("code", 's.finish();'),
])

notebook("06_claims_register", [
    ("md", """
# The claims register: what the data say about common claims

**The question.** Seven things are often said about customer service in health and
social care. Which of them do the data support, which do they contradict, and where is
the answer still open?

**How each claim is tested.** Each claim is mapped to one analysis and answered twice,
side by side: a **naive** answer (the raw comparison, allowing only for the month) and
a **case-mix-adjusted** answer (comparing providers that treat similar patients:
complexity, age and deprivation). The verdict follows the adjusted answer and its 95%
interval: *supported* when the whole interval lies on the side the claim asserts,
*contradicted* when it lies wholly on the other side, *inconclusive* when it includes no
difference, and *cannot answer* when the data do not hold what the claim needs (real
NHS sources, for example, publish no staffing figures for private hospitals).

**What it cannot show.** These are observational data: an adjusted difference is an
association between providers treating similar patients, not proof of cause.
"""),
    ("params", COMMON_PARAMS + '''
engagement_lag = 1    # months between staff engagement and the patient satisfaction it is compared with'''),
    ("code", SETUP),
    ("code", '''
from workbench.analysis import claims
s = session.start("06_claims_register", panel_path=panel_path, seed=seed,
                  n_providers=n_providers, n_months=n_months, output_dir=output_dir,
                  engagement_lag=engagement_lag)
display(Markdown(f"**Data:** {s.data_label}."))
'''),
    ("md", "## The verdicts\n\nEach claim, its verdict and the evidence in plain words:"),
    ("code", '''
results = claims.assess_claims(s.panel, engagement_lag=engagement_lag)
s.add(claims.claim_findings(results))
display(Markdown(claims.register_markdown(results)))
'''),
    ("md", "## Naive and adjusted, side by side\n\nEstimates with 95% intervals; the verdict follows the adjusted column. Units are in the last column."),
    ("code", 's.show(claims.register_table(results))'),
    ("md", """
## The sector claims in one picture

Independent minus NHS acute providers, before (naive) and after case-mix adjustment.
Where the adjusted interval crosses zero and the naive one does not, the private
sector's apparent advantage comes from the patients it treats.
"""),
    ("code", '''
sector = [r for r in results if r.claim.key.startswith("private_") and r.adjusted
          and r.claim.key != "private_care_homes_better"]
if sector:
    fig, axes = plt.subplots(1, len(sector), figsize=(5 * len(sector), 2.8), squeeze=False)
    for ax, r in zip(axes[0], sector):
        tab = s.table([*r.naive, *r.adjusted])
        tab["label"] = ["naive", "adjusted"]
        plots.forest(tab, truth="truth" if "truth" in tab else None, ax=ax)
        ax.set_title(r.claim.text, fontsize="small", wrap=True)
        ax.set_xlabel(r.adjusted[0].unit)
    s.savefig(fig, "sector_claims")
    plt.show()
else:
    display(Markdown("The data cannot answer any sector claim (see the verdicts above)."))
'''),
    ("code", 's.finish();'),
])

notebook("07_real_data_staffing_ae", [
    ("md", """
# A&E waits, nurse staffing and staff engagement in NHS trusts (published data)

**The question.** Do NHS trusts with more nurses, and with more engaged staff, see more
of their A&E patients within four hours?

**The data.** Published NHS figures, matched by trust and month: A&E attendances and
four-hour performance (monthly), nurse and all-staff numbers from NHS workforce
statistics (a few months only), and staff engagement from the NHS Staff Survey (once a
year).

**How it is answered.** Straight-line models comparing trusts in the same month, allowing
for the size of each A&E department, with 95% intervals that allow for repeated months
from the same trust. Staff engagement is also compared *within* each trust from one year
to the next, which removes differences between trusts that do not change.

**Read first:** the section below on what these data can and cannot show.
"""),
    ("params", COMMON_PARAMS + '''
start = ""            # first month of A&E data used, "YYYY-MM"; empty: the first in the panel
end = ""              # last month used, "YYYY-MM"; empty: the last in the panel
min_attendances = 3000  # leave out trust-months with fewer A&E attendances (minor units)'''),
    ("code", SETUP),
    ("code", '''
from workbench.analysis import questions
s = session.start("07_real_data_staffing_ae", panel_path=panel_path, seed=seed,
                  n_providers=n_providers, n_months=n_months, output_dir=output_dir,
                  start=start, end=end, min_attendances=min_attendances)
table = questions.ae_staffing_table(s.panel, start, end, min_attendances)
display(Markdown(f"**Data:** {s.data_label}."))
'''),
    ("md", "## What these data can and cannot show"),
    ("code", '''
limits = questions.ae_staffing_limits(s.panel, start, end, min_attendances)
display(Markdown("\\n".join(f"- {n}" for n in limits)))
'''),
    ("md", "## The raw picture\n\nEach dot is one trust's average over the months where both figures are published; the line is a straight-line fit with its 95% band."),
    ("code", '''
pairs = [(x, lab) for x, lab in (("nurse_share_pct", "Nurses as a share of all staff (%)"),
                                 ("staff_engagement", "Staff engagement (0-10)"))
         if table[x].notna().any()]
if pairs:
    fig, axes = plt.subplots(1, len(pairs), figsize=(6 * len(pairs), 4.5), squeeze=False)
    for ax, (x, lab) in zip(axes[0], pairs):
        plots.relationship(table, x, "ae_pct_within_4h", ax=ax)
        ax.set_xlabel(lab)
        ax.set_title(f"A&E within 4 hours against {lab[0].lower() + lab[1:]}")
    s.savefig(fig, "relationships")
    plt.show()
'''),
    ("md", "## Findings\n\nEach finding in plain words, with its 95% interval:"),
    ("code", '''
found = s.add(questions.ae_staffing_engagement(s.panel, start, end, min_attendances))
display(Markdown(s.sentences(found) or "No model could be fitted: too few trusts have the "
                 "figures it needs."))
'''),
    ("md", "## All estimates\n\nIds ending `#within` compare each trust with itself from year to year; `#joint` puts staffing and engagement in one model (only where both are published in the same month)."),
    ("code", 's.table(found)'),
    ("code", '''
if found:
    tab = s.table(found)
    tab["label"] = tab["id"].str.replace(r"^effect:|->ae_pct_within_4h@nhs", "", regex=True)
    ax = plots.forest(tab)
    ax.set_title("A&E within 4 hours (percentage points), 95% intervals")
    s.savefig(ax, "forest")
    plt.show()
'''),
    ("code", 's.finish();'),
])
