"""The analyses behind each notebook, as functions a test can call.

Each function takes the panel and returns tidy findings; the notebooks add the
narrative and the figures. The same functions are run over many synthetic seeds in
the coverage tests, so what a report says is what the tests check.

Example
-------
>>> from workbench.data.synth import generate
>>> panel = generate(seed=3, n_providers=60, n_months=12).panel
>>> ids = [f.id for f in staffing_waits_satisfaction(panel, subset="acute")]
>>> "effect:rtt_median_weeks->fft_pct_positive@acute" in ids
True
"""

from __future__ import annotations

import pandas as pd

from workbench.analysis import models as md
from workbench.analysis.findings import Finding
from workbench.data import measures as M
from workbench.data.schema import measure_columns


def _adjust_for(subset: str) -> tuple[str, ...]:
    return md.CASE_MIX + (("sector_independent",) if subset == "acute" else ())


def staffing_waits_satisfaction(panel: pd.DataFrame, subset: str = "acute",
                                staffing: str = "nurse_fte_per_10_beds",
                                engagement_lag: int = 1,
                                mixed: bool = True) -> list[Finding]:
    """Staffing -> waits -> satisfaction for one provider subset.

    Models (all adjust for case mix and month; ``acute`` also for sector):

    1. waits on staffing (linear, provider-clustered);
    2. FFT % positive on waits, staffing and engagement ``engagement_lag`` months
       earlier (linear, clustered): the direct effects;
    3. the same with FFT counts in a binomial GLM (identity link: percentage points);
    4. the same as a random-intercept mixed model (when ``mixed``);
    5. FFT on staffing alone: the total effect of staffing (direct + through waits);
    6. complaints per episode on waits and staffing (Poisson, rate ratios).
    """
    adj = _adjust_for(subset)
    lag = f"staff_engagement_lag{engagement_lag}"
    direct = (M.get("rtt_median_weeks").name, staffing, lag)
    q_wait = "Do providers with more nurses per bed have shorter waits?"
    q_fft = "What moves patient satisfaction: waits, staffing, or staff engagement last month?"
    out: list[Finding] = []
    out += md.findings(md.fit(md.ModelSpec("rtt_median_weeks", (staffing,), adj, subset=subset),
                              panel), q_wait)
    out += md.findings(md.fit(md.ModelSpec("fft_pct_positive", direct, adj, subset=subset),
                              panel), q_fft)
    binom = md.ModelSpec("fft_positive", direct, adj, kind="binomial", trials="fft_responses",
                         subset=subset, suffix="binomial")
    bfit = md.fit(binom, panel)
    for f in md.findings(bfit, q_fft + " (binomial model of FFT counts)"):
        f.id = f.id.replace("->fft_positive@", "->fft_pct_positive@")
        out.append(f)
    if mixed:
        out += md.findings(md.fit(md.ModelSpec("fft_pct_positive", direct, adj, kind="mixed",
                                               subset=subset, suffix="mixed"), panel),
                           q_fft + " (random-intercept model)")
    out += md.findings(md.fit(md.ModelSpec("fft_pct_positive", (staffing,), adj, subset=subset,
                                           prefix="total"), panel),
                       "How much does better staffing raise satisfaction, counting its effect "
                       "through shorter waits?")
    out += md.findings(md.fit(md.ModelSpec("complaints", ("rtt_median_weeks", staffing), adj,
                                           kind="poisson", exposure="episodes", subset=subset,
                                           prefix="rate_ratio"), panel),
                       "Do longer waits and thinner staffing bring more complaints?")
    if subset in ("nhs", "acute") and panel.loc[panel["sector"] == "nhs", "ae_pct_within_4h"
                                                ].notna().any():
        out += md.findings(md.fit(md.ModelSpec("ae_pct_within_4h", (staffing,), md.CASE_MIX,
                                               subset="nhs"), panel),
                           "Do NHS trusts with more nurses per bed see more A&E patients "
                           "within 4 hours?") if subset == "nhs" else []
    return out


def nhs_vs_independent(panel: pd.DataFrame,
                       outcomes: tuple[str, ...] = ("rtt_median_weeks", "fft_pct_positive",
                                                    "nurse_fte_per_10_beds"),
                       ) -> list[Finding]:
    """Independent minus NHS acute providers: naive and case-mix adjusted, per outcome,
    plus CQC ratings (ordinal logit) and care-home ownership.
    """
    out: list[Finding] = []
    for o in outcomes:
        out += md.sector_difference(panel, o)
    acute_rating = md.ModelSpec("cqc_overall", ("sector_independent", "nurse_fte_per_10_beds",
                                                "staff_engagement"),
                                kind="ordinal", subset="acute", prefix="ordinal")
    out += md.findings(md.fit(acute_rating, panel),
                       "Are independent hospitals rated better by CQC, at equal staffing?")
    homes = md.ModelSpec("cqc_overall", ("ownership_for_profit", "ownership_local_authority",
                                         "nurse_fte_per_10_beds"),
                         kind="ordinal", subset="care_home", prefix="ordinal")
    if select_has(panel, "care_home"):
        out += md.findings(md.fit(homes, panel),
                           "Are for-profit and council-run care homes rated differently from "
                           "not-for-profit homes?")
    return out


def select_has(panel: pd.DataFrame, subset: str) -> bool:
    """True when the panel holds providers of ``subset``."""
    return len(md.select_subset(panel, subset)) > 0


def data_quality(panel: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Tables describing what the panel holds, for notebook 01.

    Returns ``providers`` (counts by setting, sector, ownership), ``completeness``
    (share of non-missing values per measure and sector), ``ranges`` (min, median,
    max per measure) and ``coverage`` (months per provider type).

    >>> from workbench.data.synth import generate
    >>> t = data_quality(generate(seed=1, n_providers=30, n_months=3).panel)
    >>> sorted(t)
    ['completeness', 'coverage', 'providers', 'ranges']
    """
    cols = measure_columns(panel)
    providers = (panel.drop_duplicates("provider_code")
                 .groupby(["setting", "sector", "ownership"], observed=True).size()
                 .rename("providers").reset_index())
    numeric = [c for c in cols if M.get(c).kind != "ordinal"]
    completeness = (panel.groupby("sector")[cols]
                    .agg(lambda s: s.notna().mean()).T.round(3) * 100)
    completeness.index.name = "measure"
    ranges = panel[numeric].describe().T[["count", "min", "50%", "max"]].rename(
        columns={"50%": "median"})
    ranges.insert(0, "construct", [M.get(c).construct for c in ranges.index])
    ranges.index.name = "measure"
    coverage = (panel.groupby(["setting", "sector"], observed=True)["period"]
                .agg(first="min", last="max", months="nunique").reset_index())
    return {"providers": providers, "completeness": completeness.reset_index(),
            "ranges": ranges.reset_index(), "coverage": coverage}
