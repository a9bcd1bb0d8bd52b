"""Each claim of the register tested on a panel: :func:`assess_claims`.

Each claim of :data:`~workbench.analysis.claims.rules.CLAIMS` has its analysis here (sector
comparisons, staffing, engagement and main-driver models, care-home ratings); the verdict
rule and the waits measures are :mod:`workbench.analysis.claims.rules`', the input checks
:mod:`workbench.analysis.claims.inputs`'.

Example
-------
>>> from workbench.data.synth import generate
>>> panel = generate(seed=3, n_providers=80, n_months=12).panel
>>> results = assess_claims(panel)
>>> [r.claim.key for r in results][:3]
['private_shorter_waits', 'private_more_staff', 'private_higher_satisfaction']
>>> results[3].verdict, results[3].basis, results[3].finding.id
('supported, size uncertain', 'within', 'verdict:staffing_waits_satisfaction@acute')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

import numpy as np
import pandas as pd

from workbench.analysis.claims import constructs
from workbench.analysis.claims.basis import SECTOR_NOTE, Basis, choose_basis, within_spec
from workbench.analysis.claims.contrasts import driver_contrasts
from workbench.analysis.claims.inputs import (
    cannot_answer,
    coverage,
    measure_label,
    missing_reason,
    rows_reason,
    unmet_needs,
)
from workbench.analysis.claims.rules import (
    CLAIMS,
    DESCRIPTIVE_WEIGHTS,
    LEVEL,
    WAIT_MEASURES,
    Claim,
    ClaimResult,
    Judged,
    decide,
    judge,
    waits_claim,
)
from workbench.analysis.findings import formatting
from workbench.analysis.findings.record import Finding, FindingId
from workbench.analysis.findings.sensitivity import evalue_sentence
from workbench.analysis.models import fit as md
from workbench.analysis.models.bootstrap import VERDICT_DRAWS
from workbench.data import measures as M
from workbench.data.catalogue import NotHeld
from workbench.errors import AnalysisInputError


def _interval(f: Finding) -> str:
    est, ci = formatting.estimate_interval(f.estimate, f.ci_low, f.ci_high)
    return f"{est} (95% CI {ci}) {f.unit}"


def _judged(part: Judged, sep: str = ";") -> str:
    """A judged estimate in words: ``+0.465 (99.5% interval 0.1 to 0.8``, then ``sep``."""
    return (f"{formatting.signed(part.estimate)} ({formatting.percent(LEVEL, 1)} interval "
            f"{formatting.interval(part.low, part.high)}{sep}")


def _margin(claim: Claim, margins: dict[str, float]) -> float:
    return float(margins.get(claim.key, claim.margin))


def _one_contrast(claim: Claim, margins: dict[str, float], afit: md.Fit, naive: Finding,
                  adjusted: Finding, term: str, label: str, subset: str,
                  cause_effect: tuple[str, str], before: str, after: str, *,
                  note: str = "", basis: Basis | None = None, wfit: md.Fit | None = None,
                  within: Finding | None = None) -> ClaimResult:
    """A claim judged on one contrast ``term``: of the within-provider fit ``wfit`` when
    ``basis`` says within, else of the adjusted ``afit``. The sentence is ``before``, the
    estimate, interval and margin, ``after``, the other estimates, ``note`` (why this
    evidence) and the E-value on the scale of the estimate judged.
    """
    margin = _margin(claim, margins)
    on_within = basis is not None and basis.kind == "within"
    jfit, jf = (wfit, within) if on_within else (afit, adjusted)
    part = judge(jfit, jf, term, label, claim.direction, margin)
    evalue = evalue_sentence(jf.sensitivity, *cause_effect)
    note = basis.sentence() if basis is not None else note
    extra = " ".join(x for x in (note, evalue) if x)
    params = basis.parameters() if basis is not None else {"basis": "between providers"}
    v, f, _ = decide(claim, [part], margin, subset, "", extra,
                     judged=basis.judged if basis is not None else "", params=params)
    others = f"Unadjusted: {_interval(naive)}."
    if basis is not None:
        others = (f"Pooled, adjusted for case mix: {_interval(adjusted)}. {others}" if on_within
                  else (f"Within provider: {_interval(within)}. " if within else "") + others)
    return ClaimResult(claim, v, [naive], [adjusted], f"{before}: {_judged(part)} margin "
                       f"{formatting.number(margin)}){after}. {others} {extra}", f,
                       within=[within] if within is not None else [],
                       basis=basis.kind if basis is not None else "")


def _within_fit(spec: md.ModelSpec, panel: pd.DataFrame, basis: Basis,
                adjust: tuple[str, ...] = ()) -> md.Fit | None:
    """The within-provider fit of the pooled ``spec``: needed when ``basis`` is within
    (an error then propagates: the claim cannot be answered), shown beside otherwise
    (None when it cannot be fitted).
    """
    try:
        return md.fit(within_spec(spec, adjust), panel)
    except (AnalysisInputError, np.linalg.LinAlgError):
        if basis.kind == "within":
            raise
        return None


#: Appended to a within-provider finding's question.
WITHIN_Q = " (within provider: each provider compared with itself over time)"


def _sector_claim(panel: pd.DataFrame, claim: Claim, outcome: str,
                  margins: dict[str, float],
                  like_for_like: Finding | None = None) -> ClaimResult:
    sectors = ("nhs", "independent")
    q = f"Do independent hospitals differ from NHS trusts on {measure_label(outcome)}?"
    weight = DESCRIPTIVE_WEIGHTS.get(outcome)
    acute = md.select_subset(panel, "acute")
    if weight not in acute.columns or not acute[weight].notna().any():
        weight = None
    dspec = md.ModelSpec(outcome, ("sector_independent",), subset="acute",
                         prefix="descriptive", weights=weight, n_boot=VERDICT_DRAWS)
    aspec = md.ModelSpec(outcome, ("sector_independent",), md.CASE_MIX, subset="acute",
                         prefix="adjusted", n_boot=VERDICT_DRAWS)
    if claim.kind == "descriptive":
        # judged unadjusted: case mix is shown beside the verdict when the panel holds it
        if why := unmet_needs(panel, (outcome,), "acute", sectors, (dspec,)):
            return cannot_answer(claim, why)
        no_case_mix = (missing_reason(panel, md.CASE_MIX, "acute", sectors)
                       or rows_reason(panel, aspec, sectors))
    else:
        if why := unmet_needs(panel, (outcome, *md.CASE_MIX), "acute", sectors, (aspec,)):
            return cannot_answer(claim, why)
        no_case_mix = ""
    dfit = md.fit(dspec, panel)
    desc = dfit.findings(q + (f" (unadjusted; providers weighted by {weight})"
                              if weight else " (unadjusted)"))[0]
    adjusted: list[Finding] = []
    beside: list[Finding] = []
    if not no_case_mix:
        afit = md.fit(aspec, panel)
        adjusted.append(afit.findings(q + " (adjusted for case mix)")[0])
    margin = _margin(claim, margins)
    if claim.kind == "descriptive":
        part = judge(dfit, desc, "sector_independent", "independent minus NHS, unadjusted"
                      + (f", weighted by {weight}" if weight else ""), claim.direction, margin)
        extra = (f"Adjusted for case mix (not what this claim is judged on): "
                 f"{_interval(adjusted[0])}." if adjusted
                 else f"No case-mix-adjusted comparison: {no_case_mix[:1].lower()}"
                      f"{no_case_mix[1:]}")
        if like_for_like is not None:
            lfl = replace(like_for_like, role="robustness")
            beside.append(lfl)
            extra += (" Like for like by specialty (not what this claim is judged on; it asks "
                      f"whether the same patients would wait less in the NHS): {lfl.sentence}")
    else:
        part = judge(afit, adjusted[0], "sector_independent",
                      "independent minus NHS, adjusted for case mix", claim.direction, margin)
        extra = (f"Unadjusted: {_interval(desc)}. {SECTOR_NOTE} "
                 + evalue_sentence(adjusted[0].sensitivity, "being an independent provider",
                                   measure_label(outcome)))
    extra = f"{coverage(dfit)} {extra}"
    v, f, reason = decide(claim, [part], margin, "acute", "", extra,
                          params={"basis": "descriptive, between providers"
                                  if claim.kind == "descriptive" else "between providers"})
    how = "unadjusted, weighted" if claim.kind == "descriptive" else "case-mix-adjusted"
    reason = (f"judged on the {how} comparison of {measure_label(outcome)}: "
              f"{formatting.signed(part.estimate)} {part.finding.unit} "
              f"({formatting.percent(LEVEL, 1)} interval "
              f"{formatting.interval(part.low, part.high)}; margin {formatting.number(margin)})"
              f". {extra}")
    return ClaimResult(claim, v, [desc], adjusted, reason, f, beside=beside)


def _has_both(panel: pd.DataFrame) -> bool:
    acute = md.select_subset(panel, "acute")
    return acute["sector"].nunique() > 1


def _staffing_claim(panel: pd.DataFrame, claim: Claim, lag: int,
                    margins: dict[str, float]) -> ClaimResult:
    staffing = "nurse_fte_per_10_beds"
    if why := unmet_needs(panel, (staffing, "rtt_median_weeks", "fft_pct_positive",
                                  *md.CASE_MIX), "acute", ("nhs",)):
        return cannot_answer(claim, why)
    adj = md.CASE_MIX + (("sector_independent",) if _has_both(panel) else ())
    if why := unmet_needs(panel, (), "acute", ("nhs",),
                          tuple(md.ModelSpec(o, (staffing,), adj, subset="acute")
                                for o in ("rtt_median_weeks", "fft_pct_positive"))):
        return cannot_answer(claim, why)
    margin = _margin(claim, margins)
    parts_spec = (("rtt_median_weeks", -1, "wait"), ("fft_pct_positive", +1, "satisfaction"))
    pooled = [md.ModelSpec(outcome, (staffing,), adj, subset="acute",
                           prefix="effect" if outcome == "rtt_median_weeks" else "total")
              for outcome, _, _ in parts_spec]
    basis = choose_basis(panel, pooled)
    naive, adjusted, within, parts, sens = [], [], [], [], []
    for (outcome, sign, what), spec in zip(parts_spec, pooled):
        q = f"{claim.text} ({what})"
        n = md.fit(md.ModelSpec(outcome, (staffing,), (), subset="acute", prefix=spec.prefix,
                                suffix="naive"), panel).findings(q)[0]
        afit = md.fit(spec, panel)
        a = afit.findings(q)[0]
        naive.append(n)
        adjusted.append(a)
        jfit, jf = afit, a
        wfit = _within_fit(spec, panel, basis)
        if wfit is not None:
            within.append(wfit.findings(q + WITHIN_Q)[0])
            if basis.kind == "within":
                jfit, jf = wfit, within[-1]
        parts.append(judge(jfit, jf, staffing, f"{M.label(outcome)} per nurse FTE per 10 beds",
                           sign, margin))
        sens.append(evalue_sentence(jf.sensitivity, "staffing", M.label(outcome)))
    extra = " ".join(s_ for s_ in (basis.sentence(), *sens) if s_)
    v, f, _ = decide(claim, parts, margin, "acute", "", extra, judged=basis.judged,
                     params=basis.parameters())
    words = "; ".join(f"{p.label}: {_judged(p, ',')} {p.verdict})" for p in parts)
    how = ("within providers (provider and month fixed effects)" if basis.kind == "within"
           else "after case-mix adjustment, pooled across providers")
    return ClaimResult(claim, v, naive, adjusted,
                       f"{how} (margin {formatting.number(margin)} per nurse "
                       f"FTE per 10 beds), {words}. {extra}", f, within=within,
                       basis=basis.kind)


def _engagement_claim(panel: pd.DataFrame, claim: Claim, lag: int,
                      margins: dict[str, float]) -> ClaimResult:
    if why := unmet_needs(panel, ("staff_engagement", "fft_pct_positive",
                                  "nurse_fte_per_10_beds", *md.CASE_MIX), "acute", ("nhs",)):
        return cannot_answer(claim, why)
    exposure = f"staff_engagement_lag{lag}"
    q = claim.text + f" (engagement {lag} month(s) earlier)"
    adj = md.CASE_MIX + ("nurse_fte_per_10_beds",) + (
        ("sector_independent",) if _has_both(panel) else ())
    spec = md.ModelSpec("fft_pct_positive", (exposure,), adj, subset="acute")
    if why := unmet_needs(panel, (), "acute", ("nhs",), (spec,)):
        return cannot_answer(claim, why)
    naive = md.fit(md.ModelSpec("fft_pct_positive", (exposure,), (), subset="acute",
                                suffix="naive"), panel).findings(q)[0]
    afit = md.fit(spec, panel)
    adjusted = afit.findings(q)[0]
    basis = choose_basis(panel, [spec])
    wfit = _within_fit(spec, panel, basis, ("nurse_fte_per_10_beds",))
    within = wfit.findings(q + WITHIN_Q)[0] if wfit is not None else None
    how = ("within providers (provider and month fixed effects), holding staffing fixed"
           if basis.kind == "within" else "after adjustment for case mix, staffing and sector")
    return _one_contrast(claim, margins, afit, naive, adjusted, exposure,
                         f"FFT per engagement point {lag} month(s) earlier", "acute",
                         ("staff engagement", "patient satisfaction"),
                         f"per engagement point {lag} month(s) earlier, {how}", "",
                         basis=basis, wfit=wfit, within=within)


def _per_sd(fit: md.Fit, question: str, *, suffix: str) -> list[Finding]:
    """The fit's exposure effects per standard deviation of each exposure."""
    out = []
    for f, term in zip(fit.findings(question, suffix=suffix), fit.spec.exposures):
        sd = float(fit.data[term].std())
        f.estimate, f.ci_low, f.ci_high = f.estimate * sd, f.ci_low * sd, f.ci_high * sd
        f.id = str(f.key.with_(kind="per_sd"))
        f.unit = "percentage points per SD of the driver"
        f.sentence = (f"{M.label(fit.spec.outcome)}: "
                      f"{formatting.estimate_interval(f.estimate, f.ci_low, f.ci_high, sign=True)[0]} "
                      f"percentage points (95% CI {formatting.interval(f.ci_low, f.ci_high, estimate=f.estimate)}) per standard "
                      f"deviation ({formatting.number(sd, 2)}) of {md.exposure_label(term)}.")
        out.append(f)
    return out


def _drivers_claim(panel: pd.DataFrame, claim: Claim, lag: int,
                   margins: dict[str, float]) -> ClaimResult:
    drivers = ("rtt_median_weeks", "nurse_fte_per_10_beds", f"staff_engagement_lag{lag}")
    if why := unmet_needs(panel, ("rtt_median_weeks", "nurse_fte_per_10_beds",
                                  "staff_engagement", "fft_pct_positive", *md.CASE_MIX),
                          "acute", ("nhs",)):
        return cannot_answer(claim, why)
    adj = md.CASE_MIX + (("sector_independent",) if _has_both(panel) else ())
    spec = md.ModelSpec("fft_pct_positive", drivers, adj, subset="acute")
    if why := unmet_needs(panel, (), "acute", ("nhs",), (spec,)):
        return cannot_answer(claim, why)
    q = claim.text
    naive = _per_sd(md.fit(md.ModelSpec("fft_pct_positive", drivers, (), subset="acute"),
                           panel), q, suffix="naive")
    afit = md.fit(spec, panel)
    adjusted = _per_sd(afit, q, suffix="")
    basis = choose_basis(panel, [spec])
    wfit = _within_fit(spec, panel, basis)
    within = _per_sd(wfit, q + WITHIN_Q, suffix="fe") if wfit is not None else []
    on_within = basis.kind == "within"
    jfit, judged = (wfit, within) if on_within else (afit, adjusted)
    margin = _margin(claim, margins)
    wait = judged[0]
    sd_w = float(jfit.data[drivers[0]].std())
    lo, hi = jfit.interval(drivers[0], LEVEL)
    parts = [Judged("wait effect per SD", wait.estimate, lo * sd_w, hi * sd_w, wait.p_value,
                    -1, 0.0, wait)]
    contrasts = []
    how = "within provider (fixed effects)" if on_within else "pooled"
    for c95, cl in zip(driver_contrasts(jfit, drivers[0]),
                       driver_contrasts(jfit, drivers[0], LEVEL)):
        other = md.exposure_label(c95["other"])
        f = Finding(id=str(FindingId("contrast", "fft_pct_positive",
                                     f"rtt_median_weeks_vs_{other.replace('[', '_').replace(']', '')}",
                                     "acute", variant="fe" if on_within else "")),
                    question=f"Is the wait effect on satisfaction larger than that of {other}?",
                    estimate=c95["estimate"], ci_low=c95["ci_low"], ci_high=c95["ci_high"],
                    p_value=c95["p_value"], n=jfit.n, clusters=jfit.clusters,
                    unit="percentage points per SD (size of wait effect minus size of other)",
                    model=f"linear contrast of the joint {how} model; t({c95['df']}), CRV1",
                    formula=jfit.spec.label(), sector="acute", role="robustness")
        f.sentence = (f"The wait effect's size minus that of {other}: "
                      f"{formatting.signed(f.estimate)} percentage points per SD "
                      f"(95% CI {formatting.interval(f.ci_low, f.ci_high)}).")
        contrasts.append(f)
        parts.append(Judged(f"wait minus {other}", cl["estimate"], cl["ci_low"],
                            cl["ci_high"], cl["p_value"], +1, margin, f))
    v, fv, _ = decide(claim, parts, margin, "acute", "", basis.sentence(),
                      judged=basis.judged, params=basis.parameters())
    words = "; ".join(f"{p.label} {_judged(p, ',')} {p.verdict})" for p in parts)
    per = "; ".join(f"{md.exposure_label(d)} {formatting.signed(f.estimate)}"
                    for d, f in zip(drivers, judged))
    model = ("one model within providers (provider and month fixed effects)" if on_within
             else "one model after case-mix adjustment, pooled across providers")
    return ClaimResult(claim, v, naive, adjusted,
                       "FFT % positive, percentage points per standard deviation of each "
                       f"driver across the panel, {model}: {per}. Tested: {words} "
                       f"(margin {formatting.number(margin)} percentage points per SD). "
                       f"{basis.sentence()}", fv, contrasts, within=within, basis=basis.kind)


def _care_home_claim(panel: pd.DataFrame, claim: Claim, margins: dict[str, float]) -> ClaimResult:
    homes = ("independent", "local_authority")
    if why := (unmet_needs(panel, ("cqc_overall", *md.CASE_MIX), "care_home", homes)
               or unmet_needs(panel, (), "care_home", homes,
                              (md.ModelSpec("cqc_overall", ("sector_independent",), md.CASE_MIX,
                                            kind="ordinal", subset="care_home",
                                            prefix="ordinal"),))):
        return cannot_answer(claim, why)
    q = claim.text
    naive = md.fit(md.ModelSpec("cqc_overall", ("sector_independent",), (), kind="ordinal",
                                subset="care_home", prefix="ordinal", suffix="naive"),
                   panel).findings(q)[0]
    afit = md.fit(md.ModelSpec("cqc_overall", ("sector_independent",), md.CASE_MIX,
                               kind="ordinal", subset="care_home", prefix="ordinal"), panel)
    adjusted = afit.findings(q)[0]
    for f in (naive, adjusted):
        f.sentence = f.sentence.replace("for independent providers than for NHS trusts",
                                        "for privately run care homes than for council-run "
                                        "homes")
    return _one_contrast(claim, margins, afit, naive, adjusted, "sector_independent",
                         "privately run minus council-run (rating model's scale)",
                         "care_home", ("private ownership", "a better rating"),
                         "privately run minus council-run homes, after case-mix adjustment",
                         " on the rating model's scale (above zero: better ratings more likely)",
                         note=("Who runs a home does not change within a home over the panel, "
                               "so this claim has no within-provider estimate: it rests on "
                               "the comparison between homes."))


def assess_claims(panel: pd.DataFrame, *, engagement_lag: int = 1,
                  keys: tuple[str, ...] | None = None,
                  margins: dict[str, float] | None = None,
                  waits_measure: str = "rtt_median_weeks",
                  like_for_like: Finding | None = None,
                  tables: Mapping[str, pd.DataFrame | NotHeld] | None = None
                  ) -> list[ClaimResult]:
    """Test every claim of :data:`CLAIMS` (or those in ``keys``) on ``panel``.

    ``engagement_lag`` is the number of months between staff engagement and the
    patient satisfaction it is compared with; ``margins`` overrides claims' minimal
    important differences (``{claim key: margin}``, in the unit of the estimate judged).
    ``waits_measure`` is the measure "shorter waits" is judged on (:func:`waits_claim`;
    its default margin follows the measure) and ``like_for_like`` a specialty-standardised
    finding shown beside it (:func:`waits_like_for_like`). Every verdict is judged at the
    register's Bonferroni level (:data:`LEVEL`) whichever claims are asked for. Providers
    of ``unknown`` sector are left out (counted in each result). A claim the data cannot
    answer (an input missing, too few providers, inputs never in the same month, a model
    that cannot be fitted) gets the verdict ``cannot answer`` with the reason and a
    verdict finding without an estimate (:func:`cannot_answer`); it never raises for the
    data. Wrong arguments raise :class:`~workbench.errors.AnalysisInputError`.

    Claims compare constructs (:mod:`workbench.analysis.claims.constructs`): each is
    answered on the panel's measures first; when the panel cannot answer, the best
    measures that ``tables`` (the tables beside the panel, by catalogue name: a session's
    ``s.data(name)``) hold stand in (a cross-section of acute NHS trusts, or the national
    FFT figures), and "cannot answer" names every measure sought and why it is not held.
    Each verdict names the measures used, the population and the adjustment set.
    ``margins`` may also be keyed ``"<claim>:<measure>"`` for a measure standing in
    (:data:`~workbench.analysis.claims.constructs.SD_MARGINS`).

    >>> import pandas as pd
    >>> bare = pd.DataFrame({"provider_code": ["A"], "provider_name": ["A"],
    ...     "sector": ["nhs"], "setting": ["acute"], "period": pd.to_datetime(["2025-09-01"])})
    >>> sorted({r.verdict for r in assess_claims(bare)})
    ['cannot answer']
    """
    if not isinstance(engagement_lag, int) or isinstance(engagement_lag, bool) \
            or engagement_lag < 1:
        raise AnalysisInputError("assess_claims", "engagement_lag", f"is {engagement_lag!r}",
                                 expected="a whole number of months >= 1")
    if waits_measure not in WAIT_MEASURES:
        raise AnalysisInputError("assess_claims", "waits_measure", f"is {waits_measure!r}",
                                 expected=f"one of {list(WAIT_MEASURES)}")
    known = {c.key: c for c in CLAIMS}
    if keys is not None:
        unknown = [k for k in keys if k not in known]
        if unknown:
            raise AnalysisInputError("assess_claims", "keys", f"has unknown claims {unknown}",
                                     expected=f"some of {list(known)}")
    margins = dict(margins or {})
    bad = {k: v for k, v in margins.items() if not _margin_key(k, known) or isinstance(v, bool)
           or not isinstance(v, (int, float)) or not v > 0}
    if bad:
        raise AnalysisInputError("assess_claims", "margins", f"has {bad}",
                                 expected=f"positive numbers keyed by claims among {list(known)}"
                                          " (or '<claim>:<measure>' for a measure standing in)")
    settled = panel["sector"].isin([s_ for s_ in M.SECTORS if s_ != "unknown"]) \
        if "sector" in panel.columns else pd.Series(False, index=panel.index)
    n_unknown = int(panel.loc[~settled, "provider_code"].nunique()) \
        if "provider_code" in panel.columns else 0
    panel = panel.loc[settled]
    handlers: dict[str, Callable[[Claim], ClaimResult]] = {
        "private_shorter_waits": lambda c: _sector_claim(panel, c, waits_measure, margins,
                                                         like_for_like),
        "private_more_staff": lambda c: _sector_claim(panel, c, "nurse_fte_per_10_beds",
                                                      margins),
        "private_higher_satisfaction": lambda c: _sector_claim(panel, c, "fft_pct_positive",
                                                               margins),
        "staffing_waits_satisfaction": lambda c: _staffing_claim(panel, c, engagement_lag,
                                                                 margins),
        "engaged_staff_experience": lambda c: _engagement_claim(panel, c, engagement_lag,
                                                                margins),
        "waits_main_driver": lambda c: _drivers_claim(panel, c, engagement_lag, margins),
        "private_care_homes_better": lambda c: _care_home_claim(panel, c, margins),
    }
    out = []
    held = dict(tables or {})
    sections: list | None = None
    for c in CLAIMS:
        if keys is not None and c.key not in keys:
            continue
        if c.key == "private_shorter_waits":
            c = waits_claim(waits_measure)
        c = replace(c, margin=_margin(c, margins))
        try:
            r = handlers[c.key](c)
        except (AnalysisInputError, np.linalg.LinAlgError) as err:
            r = cannot_answer(c, f"the model could not be fitted on these data: {err}",
                              unknown_sector=n_unknown)
        if r.verdict == "cannot answer":  # the best published measures stand in, if any
            if sections is None:
                sections = _sections(panel, held)
            r = constructs.answer_instead(c, r, sections=sections, tables=held,
                                          margins=margins)
        elif r.finding is not None:  # answered on the panel: name its measures
            words = constructs.panel_measures_text(c.key, c, panel, waits_measure, r.basis)
            r.reason = f"{r.reason.rstrip()} {words}"
            r.finding.sentence = f"{r.finding.sentence.rstrip()} {words}"
        r.unknown_sector = n_unknown
        if r.finding is not None:
            r.finding.parameters["unknown_sector_providers"] = n_unknown
            left = (f"{n_unknown} provider(s) whose sector no register settles were left "
                    "out.")
            if n_unknown and left not in r.finding.sentence:
                r.finding.sentence += f" {left}"
        out.append(r)
    return out


def _margin_key(key: str, known: Mapping[str, Claim]) -> bool:
    """A margin's key: a claim, or ``<claim>:<measure>`` for a measure standing in."""
    claim, _, measure = key.partition(":")
    return claim in known and (not measure or measure in M.MEASURES)


_SECTION_TABLES = ("staff_survey_years", "inpatient_survey", "inpatient_respondents",
                   "sickness_absence", "complaints", "beds")


def _sections(panel: pd.DataFrame, tables: Mapping[str, pd.DataFrame | NotHeld]) -> list:
    """The cross-sections of acute NHS trusts the tables can make (none without tables)."""
    from workbench.analysis.effects import cross_section as X

    if not any(isinstance(tables.get(n), pd.DataFrame) for n in _SECTION_TABLES):
        return []
    if not {"provider_code", "sector", "setting", "period"} <= set(panel.columns):
        return []
    return [X.cross_section(panel, tables, name) for name in X.SECTIONS]
