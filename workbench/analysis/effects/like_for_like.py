"""NHS and independent-sector waits compared like for like, within treatment function.

The independent sector treats a different mix of specialties from the NHS (much
ophthalmology, orthopaedics and dermatology; almost no paediatrics or cardiothoracic
surgery), so a crude comparison of all its pathways with all the NHS's mixes a sector
difference with a specialty difference. This module makes the comparison within
treatment function and shows three views side by side, each for what it means:

===========================  ================================================================
``waits_crude``              **what a patient sees**: every pathway of each sector pooled
                             (pathway-weighted), independent minus NHS. Mixes the sectors'
                             specialty mixes into the difference.
``waits_standardised``       **like-for-like specialty mix** (the headline): the NHS's
                             within-specialty rates applied to the independent sector's
                             specialty mix, i.e. "what would NHS waits be for the
                             independent sector's case mix", and the independent sector's
                             own rate minus that. Specialties served by only one sector are
                             left out (counted in the result).
``waits_provider_average``   **what a typical provider looks like**: the mean over providers
                             of each provider's own rate (every provider counts once, however
                             many pathways it has), independent minus NHS; providers with
                             fewer than ``min_pathways`` pathways are left out.
===========================  ================================================================

Why the independent sector's mix (standardisation to the "treated" group): the question
asked of the independent sector is whether the patients it treats wait less than they
would in the NHS. Its mix is the one where both sectors have pathways to compare; the
NHS's mix would give most weight to specialties where the independent sector has few or
no pathways (paediatrics, cardiothoracic surgery), so its within-specialty rates would
stand for patients it does not see.

Measures (median waits are not additive across specialties or providers, so none is
used): ``pct_within_18w`` (100 x pathways within 18 weeks / pathways with a known clock
start, from the weekly bands), ``pct_over_52w`` (100 x over 52 weeks / the same
denominator) and, where the weekly bands are available (the provider workbooks),
``mean_weeks`` (mean of the band midpoints; the open band, more than 104 weeks, counts as
104, so the mean is a lower bound when such pathways exist). Every rate is a ratio of sums,
so it adds across specialties and providers.

Data: the ``specialty_waits`` table a build writes beside the panel
(:mod:`workbench.data.specialty_waits`; a notebook gets it from its session,
``s.data("specialty_waits")``): completed non-admitted pathways from an RTT provider
workbook (NHS ``Provider`` and ``IS Provider`` sheets) and the waiting list (incomplete
pathways) from the RTT full extract, by treatment function. The sector of each provider is
the panel's (:mod:`workbench.data.registers`: the workbook sheet, ODS lists, CQC
registers); providers whose sector no register settles (``unknown``) are left out and
counted. The all-functions rows (``C_999``) are not in the table; the "Other" groups
(``X02`` ... ``X06``) are kept as treatment functions unless ``include_other=False``.

Intervals: a bootstrap over providers, stratified by sector (providers resampled with
replacement within each sector, seeded; percentile 95% interval). The standardisation
weights are re-estimated in each replicate. The p-value is two-sided from the bootstrap
standard error (normal approximation). The bootstrap treats providers as the sampled
units: it covers variation between providers, not error in the published counts.

Example
-------
>>> t = example_table()
>>> cmp = compare(t, "pct_within_18w", n_boot=200, seed=1)
>>> round(cmp.crude, 1), round(cmp.standardised, 1)
(22.0, -10.0)
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from workbench.analysis.findings import formatting, wording
from workbench.analysis.findings.record import Finding, Findings, with_question
from workbench.data import specialty_waits
from workbench.errors import AnalysisInputError
from workbench.finding_id import FindingId

#: Columns of a specialty waits table of one pathway kind (one row per provider x
#: treatment function; :data:`workbench.data.specialty_waits.COLUMNS`).
COLUMNS = specialty_waits.COLUMNS
#: measure -> (numerator column, scale, label, unit)
MEASURES = {
    "pct_within_18w": ("within_18w", 100.0, "% within 18 weeks", "percentage points"),
    "pct_over_52w": ("over_52w", 100.0, "% waiting over 52 weeks", "percentage points"),
    "mean_weeks": ("weeks_sum", 1.0, "mean weeks waited", "weeks"),
}
#: pathway kind -> (outcome prefix in finding ids, words)
PATHWAYS = {
    "completed_non_admitted": ("rtt_nonadmitted", "completed non-admitted pathways"),
    "waiting_list": ("rtt", "the waiting list (incomplete pathways)"),
}
VIEWS = {
    "standardised": ("waits_standardised", ("like-for-like specialty mix: NHS within-specialty "
                     "rates applied to the independent sector's specialty mix")),
    "crude": ("waits_crude", "what a patient sees: all pathways of each sector pooled"),
    "provider_average": ("waits_provider_average", ("what a typical provider looks like: "
                         "each provider counts once")),
}
EXPOSURE = "independent_vs_nhs"
MIN_PROVIDERS = 10       # fewer providers in a sector: the finding is a diagnostic
MIN_PATHWAYS = 20        # providers below this are left out of the provider average
N_BOOT = 999
SEED = 20250930
OTHER_PREFIX = "X"


def attach_sector(table: pd.DataFrame, panel: pd.DataFrame) -> pd.DataFrame:
    """``table`` with each provider's ``sector`` from the panel (``unknown`` when the panel
    does not have the provider).

    >>> t = example_table(5).drop(columns="sector")
    >>> p = pd.DataFrame({"provider_code": ["N1"], "sector": ["nhs"]})
    >>> attach_sector(t, p)["sector"].value_counts().to_dict()
    {'unknown': 18, 'nhs': 2}
    """
    sectors = panel.drop_duplicates("provider_code").set_index("provider_code")["sector"]
    out = table.copy()
    out["sector"] = out["provider_code"].map(sectors).fillna("unknown").astype(str)
    out.attrs = dict(table.attrs)
    return out


@dataclass
class SectorComparison:
    """The three views of one measure (independent minus NHS) and the per-specialty table.

    ``crude``, ``standardised``, ``provider_average``: point estimates; ``ci`` maps each
    view to its bootstrap (low, high); ``se`` to its bootstrap standard error; ``levels``
    to the (independent, NHS) rates the difference is made of (for ``standardised`` the
    NHS rate is the NHS's rates at the independent sector's mix). ``by_specialty``: one row
    per treatment function with both sectors' rates, pathways, providers, the difference
    and its interval. ``providers``: providers per sector used; ``excluded``: what was left
    out and why.
    """

    measure: str
    crude: float
    standardised: float
    provider_average: float
    ci: dict[str, tuple[float, float]]
    se: dict[str, float]
    levels: dict[str, tuple[float, float]]
    by_specialty: pd.DataFrame
    providers: dict[str, int]
    pathways: dict[str, float]
    excluded: dict[str, object] = field(default_factory=dict)
    n_boot: int = N_BOOT
    seed: int = SEED
    min_pathways: int = MIN_PATHWAYS
    failed_replicates: int = 0
    #: The pathway kind (:data:`PATHWAYS`) and month (``YYYY-MM``) compared, for the findings.
    pathway: str = ""
    period: str = ""

    def estimate(self, view: str) -> float:
        """The point estimate of ``view`` (``crude``, ``standardised``, ``provider_average``)."""
        return float(getattr(self, view))

    def findings(self, question: str | None = None) -> Findings:
        """The three views as findings (see :func:`_view_findings`); ``question`` replaces
        the question each answers. Needs the ``pathway`` and ``period`` compared
        (:func:`compare` with ``pathway=`` and ``period=``).

        >>> cmp = compare(example_table(), n_boot=100, seed=2, pathway="waiting_list",
        ...               period="2026-04")
        >>> [f.role for f in cmp.findings()]
        ['headline', 'robustness', 'robustness']
        """
        return with_question(_view_findings(self, self.pathway, self.period), question)


def _matrices(t: pd.DataFrame, num: str, codes: list[str]):
    """Provider x specialty numerator and denominator matrices for one sector."""
    provs = sorted(t["provider_code"].unique())
    n = t.pivot_table(index="provider_code", columns="specialty_code", values=num,
                      aggfunc="sum", fill_value=0.0).reindex(index=provs, columns=codes,
                                                             fill_value=0.0)
    d = t.pivot_table(index="provider_code", columns="specialty_code", values="pathways",
                      aggfunc="sum", fill_value=0.0).reindex(index=provs, columns=codes,
                                                             fill_value=0.0)
    return provs, n.to_numpy(float), d.to_numpy(float)


def _summaries(num_i, den_i, num_n, den_n, common, min_pathways, scale,
               w_i=None, w_n=None):
    """Estimates for one replicate. ``w_i``/``w_n``: how many times each provider is
    drawn (None: once each).
    """
    w_i = np.ones(num_i.shape[0]) if w_i is None else w_i
    w_n = np.ones(num_n.shape[0]) if w_n is None else w_n
    si_n, si_d = w_i @ num_i, w_i @ den_i          # independent sums by specialty
    sn_n, sn_d = w_n @ num_n, w_n @ den_n          # NHS sums by specialty
    with np.errstate(invalid="ignore", divide="ignore"):
        crude_i = si_n.sum() / si_d.sum()
        crude_n = sn_n.sum() / sn_d.sum()
        r_i = si_n / si_d
        r_n = sn_n / sn_d
        wts = np.where(common, si_d, 0.0)
        wts = wts / wts.sum()
        std_i = np.nansum(np.where(common, wts * r_i, 0.0))
        std_n = np.sum(np.where(common, wts * np.where(common, r_n, 0.0), 0.0))
        if np.any(common & ~(sn_d > 0)):
            std_n = np.nan
        pi_tot, pn_tot = den_i.sum(1), den_n.sum(1)
        keep_i, keep_n = pi_tot >= min_pathways, pn_tot >= min_pathways
        pr_i = num_i.sum(1)[keep_i] / pi_tot[keep_i]
        pr_n = num_n.sum(1)[keep_n] / pn_tot[keep_n]
        avg_i = np.sum(w_i[keep_i] * pr_i) / np.sum(w_i[keep_i])
        avg_n = np.sum(w_n[keep_n] * pr_n) / np.sum(w_n[keep_n])
    return {"crude": (scale * crude_i, scale * crude_n),
            "standardised": (scale * std_i, scale * std_n),
            "provider_average": (scale * avg_i, scale * avg_n),
            "specialty": (scale * r_i, scale * r_n)}


def compare(table: pd.DataFrame, measure: str = "pct_within_18w", *, n_boot: int = N_BOOT,
            seed: int = SEED, min_pathways: int = MIN_PATHWAYS,
            include_other: bool = True, pathway: str = "",
            period: str = "") -> SectorComparison:
    """Independent minus NHS on ``measure`` (:data:`MEASURES`), in the three views of the
    module docstring, with a provider bootstrap stratified by sector.

    ``table`` is a specialty waits table with a ``sector`` column (:func:`attach_sector`);
    rows of sector ``unknown`` are left out (their providers and pathways are counted in
    ``excluded``). ``pathway`` (:data:`PATHWAYS`) and ``period`` (``YYYY-MM``) say what
    the table is, for the comparison's findings. Raises :class:`~workbench.errors.AnalysisInputError` when a sector has no
    providers or the measure cannot be computed from the table.

    >>> cmp = compare(example_table(), "pct_within_18w", n_boot=100, seed=2)
    >>> [round(v, 1) for v in cmp.levels["standardised"]]
    [56.0, 66.0]
    """
    if measure not in MEASURES:
        raise AnalysisInputError("compare", "measure", f"is {measure!r}",
                                 expected=f"one of {list(MEASURES)}")
    num, scale, _, _ = MEASURES[measure]
    if "sector" not in table.columns:
        raise AnalysisInputError("compare", "table", "has no 'sector' column",
                                 expected="a table passed through attach_sector")
    t = table[table["pathways"].notna() & (table["pathways"] > 0)].copy()
    if t[num].isna().all():
        raise AnalysisInputError("compare", "measure", f"{measure!r} is not in this table "
                                 f"({num} is missing on every row)",
                                 expected=f"a measure the source gives: {available(table)}")
    excluded: dict[str, object] = {}
    unknown = t[~t["sector"].isin(["nhs", "independent"])]
    excluded["unknown_sector_providers"] = int(unknown["provider_code"].nunique())
    excluded["unknown_sector_pathways"] = float(unknown["pathways"].sum())
    t = t[t["sector"].isin(["nhs", "independent"])]
    if not include_other:
        other = t["specialty_code"].str.startswith(OTHER_PREFIX)
        excluded["other_groups_pathways"] = float(t.loc[other, "pathways"].sum())
        t = t[~other]
    missing = t[num].isna()
    excluded["rows_without_measure"] = int(missing.sum())
    t = t[~missing]
    ind, nhs = t[t["sector"] == "independent"], t[t["sector"] == "nhs"]
    for name, part in (("independent", ind), ("nhs", nhs)):
        if part.empty:
            raise AnalysisInputError("compare", "table", f"has no {name} providers with "
                                     "pathways", expected="providers of both sectors")
    codes = sorted(t["specialty_code"].unique())
    _, num_i, den_i = _matrices(ind, num, codes)
    _, num_n, den_n = _matrices(nhs, num, codes)
    common = (den_i.sum(0) > 0) & (den_n.sum(0) > 0)
    only_i = [c for c, k, d in zip(codes, common, den_i.sum(0)) if not k and d > 0]
    excluded["independent_only_specialties"] = only_i
    excluded["independent_only_pathways"] = float(
        den_i.sum(0)[[codes.index(c) for c in only_i]].sum()) if only_i else 0.0
    est = _summaries(num_i, den_i, num_n, den_n, common, min_pathways, scale)

    rng = np.random.default_rng(seed)
    p_i, p_n = num_i.shape[0], num_n.shape[0]
    draws = {k: [] for k in ("crude", "standardised", "provider_average")}
    spec = []
    failed = 0
    for _ in range(n_boot):
        w_i = rng.multinomial(p_i, np.full(p_i, 1.0 / p_i)).astype(float)
        w_n = rng.multinomial(p_n, np.full(p_n, 1.0 / p_n)).astype(float)
        b = _summaries(num_i, den_i, num_n, den_n, common, min_pathways, scale, w_i, w_n)
        diffs = {k: b[k][0] - b[k][1] for k in draws}
        if not all(np.isfinite(v) for v in diffs.values()):
            failed += 1
            continue
        for k, v in diffs.items():
            draws[k].append(v)
        spec.append(b["specialty"][0] - b["specialty"][1])
    ci, se = {}, {}
    for k, v in draws.items():
        arr = np.asarray(v)
        ci[k] = ((float(np.percentile(arr, 2.5)), float(np.percentile(arr, 97.5)))
                 if len(arr) else (math.nan, math.nan))
        se[k] = float(arr.std(ddof=1)) if len(arr) > 1 else math.nan
    spec_arr = np.asarray(spec) if spec else np.full((1, len(codes)), np.nan)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a specialty absent from a resample
        lo = np.nanpercentile(spec_arr, 2.5, axis=0) if spec else np.full(len(codes), np.nan)
        hi = np.nanpercentile(spec_arr, 97.5, axis=0) if spec else np.full(len(codes), np.nan)
    names = t.drop_duplicates("specialty_code").set_index("specialty_code")["specialty_name"]
    r_i, r_n = est["specialty"]
    w = np.where(common, den_i.sum(0), 0.0)
    by = pd.DataFrame({
        "specialty_code": codes, "specialty": [names.get(c, c) for c in codes],
        "independent": r_i, "nhs": r_n, "difference": r_i - r_n,
        "ci_low": lo, "ci_high": hi,
        "independent_pathways": den_i.sum(0), "nhs_pathways": den_n.sum(0),
        "independent_providers": (den_i > 0).sum(0), "nhs_providers": (den_n > 0).sum(0),
        "weight": w / w.sum() if w.sum() > 0 else w, "both_sectors": common,
    })
    by.loc[~by["both_sectors"], ["difference", "ci_low", "ci_high"]] = np.nan
    for col in ("independent_pathways", "nhs_pathways"):
        by[col] = by[col].round().astype("int64")
    kept_i = int((den_i.sum(1) >= min_pathways).sum())
    kept_n = int((den_n.sum(1) >= min_pathways).sum())
    excluded["providers_below_min_pathways"] = int(p_i - kept_i + p_n - kept_n)
    return SectorComparison(
        measure=measure,
        crude=float(est["crude"][0] - est["crude"][1]),
        standardised=float(est["standardised"][0] - est["standardised"][1]),
        provider_average=float(est["provider_average"][0] - est["provider_average"][1]),
        ci=ci, se=se, levels={k: (float(est[k][0]), float(est[k][1]))
                              for k in ("crude", "standardised", "provider_average")},
        by_specialty=by.sort_values("weight", ascending=False).reset_index(drop=True),
        providers={"independent": p_i, "nhs": p_n,
                   "independent_average": kept_i, "nhs_average": kept_n},
        pathways={"independent": float(den_i.sum()), "nhs": float(den_n.sum())},
        excluded=excluded, n_boot=n_boot, seed=seed, min_pathways=min_pathways,
        failed_replicates=failed, pathway=pathway, period=period)


def available(table: pd.DataFrame) -> list[str]:
    """The measures a specialty waits table can give (its numerators present).

    >>> available(example_table())
    ['pct_within_18w', 'pct_over_52w', 'mean_weeks']
    """
    return [m for m, (num, *_rest) in MEASURES.items()
            if num in table.columns and table[num].notna().any()]


def _fmt(x: float, unit: str) -> str:
    return formatting.quantity(x, "%" if unit == "percentage points" else "weeks")


def _view_findings(cmp: SectorComparison, pathway: str, period: str) -> list[Finding]:
    """The three views of a comparison of ``pathway`` in ``period`` as findings
    (:meth:`SectorComparison.findings` with the comparison's own): the standardised
    difference is the headline, the crude and provider-average differences robustness
    views, each with a sentence saying what it means. A sector with fewer than
    :data:`MIN_PROVIDERS` providers, or failed bootstrap replicates, makes every view a
    diagnostic with a warning.

    >>> cmp = compare(example_table(), n_boot=100, seed=2)
    >>> [f.role for f in _view_findings(cmp, "completed_non_admitted", "2025-09")]
    ['headline', 'robustness', 'robustness']
    """
    if pathway not in PATHWAYS:
        raise AnalysisInputError("findings", "pathway", f"is {pathway!r}",
                                 expected=f"one of {list(PATHWAYS)} (compare(..., "
                                          "pathway=...))")
    prefix, words = PATHWAYS[pathway]
    _, _, label, unit = MEASURES[cmp.measure]
    outcome = f"{prefix}_{cmp.measure}"
    month = pd.Timestamp(f"{period}-01").strftime("%B %Y")
    warns = []
    few = [s for s in ("independent", "nhs") if cmp.providers[s] < MIN_PROVIDERS]
    if few:
        warns.append(f"fewer than {MIN_PROVIDERS} providers in the {' and '.join(few)} "
                     "sector: the interval is not reliable")
    if cmp.failed_replicates > 0.01 * cmp.n_boot:
        warns.append(f"{cmp.failed_replicates} of {cmp.n_boot} bootstrap replicates had a "
                     "specialty without NHS pathways and were dropped")
    ex = cmp.excluded
    notes = []
    if ex.get("unknown_sector_providers"):
        notes.append(f"{ex['unknown_sector_providers']} providers whose sector no register "
                     f"settles ({formatting.count(round(ex['unknown_sector_pathways']))} "
                     "pathways) left out")
    if ex.get("independent_only_specialties"):
        notes.append(f"specialties with no NHS pathways left out of the standardised view: "
                     f"{', '.join(ex['independent_only_specialties'])}")
    direction_words = {"pct_within_18w": ("higher", "lower"),
                       "pct_over_52w": ("higher", "lower"),
                       "mean_weeks": ("longer", "shorter")}[cmp.measure]
    out = []
    for view in ("standardised", "crude", "provider_average"):
        kind, meaning = VIEWS[view]
        est = cmp.estimate(view)
        lo, hi = cmp.ci[view]
        se = cmp.se[view]
        p = float(2 * stats.norm.sf(abs(est) / se)) if se and se > 0 else None
        ind_level, nhs_level = cmp.levels[view]
        dirw = direction_words[0] if est >= 0 else direction_words[1]
        gap = (f"{wording.magnitude(est, lo, hi)} "
               f"{'percentage points' if unit == 'percentage points' else 'weeks'}")
        ci_txt = (f"({wording.interval_words(est, lo, hi, up=direction_words[0], down=direction_words[1])})")
        if view == "standardised":
            sentence = (f"Like for like by specialty ({words}, {month}): for the independent "
                        f"sector's specialty mix, {label} was {gap} {dirw} in independent "
                        f"providers than the NHS's within-specialty rates give for the same "
                        f"mix ({_fmt(ind_level, unit)} vs {_fmt(nhs_level, unit)}) {ci_txt}.")
        elif view == "crude":
            sentence = (f"What a patient sees ({words}, {month}): over all their pathways, "
                        f"{label} was {gap} {dirw} in independent providers than in the NHS "
                        f"({_fmt(ind_level, unit)} vs {_fmt(nhs_level, unit)}) {ci_txt}; this "
                        "mixes the sectors' different specialty mixes into the difference.")
        else:
            sentence = (f"A typical provider ({words}, {month}): the average independent "
                        f"provider's {label} was {gap} {dirw} than the average NHS trust's "
                        f"({_fmt(ind_level, unit)} vs {_fmt(nhs_level, unit)}) {ci_txt}; each "
                        f"provider counts once (providers with at least {cmp.min_pathways} "
                        "pathways).")
        role = "diagnostic" if warns else ("headline" if view == "standardised"
                                           else "robustness")
        n_prov = (cmp.providers["independent"] + cmp.providers["nhs"] if view != "provider_average"
                  else cmp.providers["independent_average"] + cmp.providers["nhs_average"])
        formula = {"standardised": "sum_s w_s (r_IS,s - r_NHS,s), w_s = IS pathways in s / IS "
                                   "pathways (specialties both sectors serve)",
                   "crude": "sum(num_IS)/sum(den_IS) - sum(num_NHS)/sum(den_NHS)",
                   "provider_average": "mean_p(r_p | IS) - mean_p(r_p | NHS), "
                                       f"providers with >= {cmp.min_pathways} pathways"}[view]
        out.append(Finding(
            id=str(FindingId(kind, outcome, EXPOSURE, period=period)),
            question=(f"Do independent-sector patients wait less than NHS patients "
                      f"({words}, {label}; {meaning})?"),
            estimate=est, ci_low=lo, ci_high=hi, p_value=p, n=int(n_prov), unit=unit,
            model=(f"difference of pathway-weighted rates, independent minus NHS; 95% "
                   f"percentile interval from {cmp.n_boot} bootstrap resamples of providers "
                   f"within sector (seed {cmp.seed}); p from the bootstrap SE"),
            formula=formula, sector="independent vs nhs", clusters=int(n_prov),
            warning="; ".join(warns + notes), sentence=sentence, role=role))
    return out


def example_table(n_providers: int = 12) -> pd.DataFrame:
    """A small specialty waits table with sectors, for examples and tests: the independent
    sector does mostly specialty A (fast in both sectors), the NHS mostly B (slow), so
    the crude difference favours the independent sector while like for like it is behind.
    ``n_providers`` providers in each sector.

    >>> example_table(5).groupby("sector")["pathways"].sum().to_dict()
    {'independent': 500.0, 'nhs': 1000.0}
    """
    rows = []
    # independent: A 90 pathways per provider at 60%, B 10 at 20%
    for i in range(n_providers):
        rows += [(f"I{i}", "A", 90.0, 54.0), (f"I{i}", "B", 10.0, 2.0)]
    # NHS: A 20 per provider at 70%, B 180 at 30%
    for i in range(n_providers):
        rows += [(f"N{i}", "A", 20.0, 14.0), (f"N{i}", "B", 180.0, 54.0)]
    t = pd.DataFrame(rows, columns=["provider_code", "specialty_code", "pathways",
                                    "within_18w"])
    t["provider_name"] = t["provider_code"]
    t["specialty_name"] = "Specialty " + t["specialty_code"]
    t["over_52w"] = t["pathways"] * 0.05
    t["weeks_sum"] = t["pathways"] * np.where(t["specialty_code"] == "A", 10.0, 30.0)
    t["sector"] = np.where(t["provider_code"].str.startswith("I"), "independent", "nhs")
    return t[COLUMNS + ["sector"]]


def exclusion_notes(tables: dict[str, pd.DataFrame]) -> list[str]:
    """Plain sentences on the providers left out of the sector comparison (sector
    ``unknown``), per source table with a ``sector`` column.

    >>> t = example_table(); t.loc[0:1, "sector"] = "unknown"
    >>> exclusion_notes({"completed_non_admitted": t})[0][:59]
    'Completed non-admitted pathways: 1 providers (100 pathways)'
    """
    notes = []
    for name, t in tables.items():
        unk = t[~t["sector"].isin(["nhs", "independent"])]
        words = PATHWAYS[name][1]
        n = unk["provider_code"].nunique()
        if n:
            notes.append(f"{words[0].upper() + words[1:]}: {n} providers "
                         f"({formatting.count(round(unk['pathways'].sum()))} pathways) whose "
                         "sector no register settles are left out of every sector comparison.")
        else:
            notes.append(f"{words[0].upper() + words[1:]}: every provider's sector is settled "
                         "by a register; none is left out.")
    return notes


#: the measures compared for each pathway kind, in the order findings are listed
PLAN = (("completed_non_admitted", "pct_within_18w"), ("waiting_list", "pct_within_18w"),
        ("completed_non_admitted", "mean_weeks"), ("completed_non_admitted", "pct_over_52w"),
        ("waiting_list", "pct_over_52w"))


@dataclass
class Analysis:
    """Every comparison of :func:`analyse`: ``comparisons[(pathway, measure)]``, the
    tables with sectors (by pathway kind), each table's period, the findings (headlines
    first; :meth:`findings`) and notes. ``reason`` says why there is nothing to compare
    (``""`` when the data hold the tables); then every part is empty.
    """

    comparisons: dict[tuple[str, str], SectorComparison]
    tables: dict[str, pd.DataFrame]
    periods: dict[str, str]
    found: list[Finding]
    notes: list[str]
    reason: str = ""

    def findings(self, question: str | None = None) -> Findings:
        """The findings of every comparison, headlines first; ``question`` replaces the
        question each answers.

        >>> Analysis({}, {}, {}, [], [], reason="no RTT files").findings()
        Findings([])
        """
        return with_question(self.found, question)

    def limits(self) -> list[str]:
        """What the comparison can and cannot show: the notes on providers left out, then
        :data:`LIMITS`; or the reason there is nothing to compare.

        >>> Analysis({}, {}, {}, [], [], reason="No RTT files.").limits()
        ['No RTT files.']
        """
        return [self.reason] if self.reason else [*self.notes, *LIMITS]

    def comparisons_of(self, measure: str) -> list[tuple[str, SectorComparison]]:
        """``(pathway, comparison)`` of ``measure`` for each pathway kind compared (none
        when nothing was compared).

        >>> Analysis({}, {}, {}, [], []).comparisons_of("pct_within_18w")
        []
        """
        return [(pathway, cmp) for (pathway, m), cmp in self.comparisons.items()
                if m == measure]


def analyse(table: pd.DataFrame, panel: pd.DataFrame, *, n_boot: int = N_BOOT,
            seed: int = SEED, min_pathways: int = MIN_PATHWAYS,
            include_other: bool = True) -> Analysis:
    """Compare the sectors on every measure the specialty waits ``table`` gives for each
    pathway kind (:data:`PLAN`), findings ordered with the standardised differences first.

    ``table`` is the ``specialty_waits`` table beside the panel
    (:mod:`workbench.data.specialty_waits`: ``pathway``, ``period`` and :data:`COLUMNS`);
    each provider's sector comes from ``panel``.

    >>> t = example_table().assign(pathway="completed_non_admitted", period="2025-09")
    >>> a = analyse(t.drop(columns="sector"), t[["provider_code", "sector"]], n_boot=50)
    >>> a.findings()[0].id
    'waits_standardised:independent_vs_nhs->rtt_nonadmitted_pct_within_18w#2025-09'
    """
    missing = [c for c in ("pathway", "period", *COLUMNS) if c not in table.columns]
    if missing:
        raise AnalysisInputError("analyse", "table", f"lacks columns {missing}",
                                 expected="the specialty_waits table beside the panel "
                                          "(workbench.data.specialty_waits)")
    if "source_file" not in table.columns:
        table = table.assign(source_file="")
    tables = specialty_waits.by_pathway(table)
    with_sector = {k: attach_sector(t, panel) for k, t in tables.items()}
    periods = {k: str(t.attrs.get("period", "")) for k, t in tables.items()}
    comparisons, found = {}, []
    for pathway, measure in PLAN:
        t = with_sector.get(pathway)
        if t is None or measure not in available(t):
            continue
        cmp = compare(t, measure, n_boot=n_boot, seed=seed, min_pathways=min_pathways,
                      include_other=include_other, pathway=pathway, period=periods[pathway])
        comparisons[(pathway, measure)] = cmp
        found += cmp.findings()
    order = {"headline": 0, "robustness": 1, "diagnostic": 2}
    found.sort(key=lambda f: order[f.role])
    return Analysis(comparisons, with_sector, periods, found, exclusion_notes(with_sector))


#: What the like-for-like comparison cannot show (shown beside its findings).
LIMITS = (
    ("Like for like means the same treatment function, not the same patients: within a "
    "specialty the independent sector mostly treats planned, less complex cases referred "
    "to it (and may decline complex ones), so part of any difference left after "
    "standardisation is still case mix. No patient-level case mix is published."),
    ("Completed pathways are one month (September 2025) and the waiting list one month "
    "(April 2026): a snapshot, not a trend."),
    ("Rates are of pathways with a known clock start; the mean weeks count the open band "
    "(more than 104 weeks) as 104, so they are lower bounds where such waits exist."),
    ("Intervals resample providers within each sector: they cover differences between "
    "providers, not errors in the published counts, and specialties served by few "
    "independent providers have wide or unreliable intervals."),
)
