"""Notebook 02 (staffing, waits and satisfaction): the chain staffing -> waits -> satisfaction.

Each function takes the panel and returns tidy findings; the notebook adds the narrative
and the figures. The coverage tests run the same functions over many synthetic seeds, so
what a report says is what the tests check.

Example
-------
>>> from workbench.data.synth import generate
>>> panel = generate(seed=3, n_providers=60, n_months=12).panel
>>> ids = [f.id for f in staffing_waits_satisfaction(panel, subset="acute")]
>>> "effect:rtt_median_weeks->fft_pct_positive@acute" in ids
True
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import pandas as pd

from workbench.analysis.findings.record import Finding, Findings
from workbench.analysis.findings.roles import (
    MIN_HEADLINE_CLUSTERS,
    NOT_ESTIMATED,
    PRIMARY_OUTCOMES,
    assign_roles,
    not_estimated,
)
from workbench.analysis.findings.wording import plain_label
from workbench.analysis.models import fit as md
from workbench.analysis.questions.common import case_mix_available
from workbench.data import measures as M
from workbench.errors import AnalysisInputError, NotEstimableError
from workbench.finding_id import FindingId

#: The chain of the registry's panels: staffing, waits and satisfaction measures.
STAFFING, WAITS, SATISFACTION = "nurse_fte_per_10_beds", "rtt_median_weeks", "fft_pct_positive"
#: The counts a percentage outcome is built on when the registry does not say (FFT).
COUNTS = {"fft_pct_positive": ("fft_positive", "fft_responses")}
#: What one unit of a panel of the publications is called.
UNIT, UNITS = "provider", "providers"


@dataclass(frozen=True)
class Chain:
    """The measures notebook 02 relates on one panel, and the words its questions use.

    ``waits`` is empty when the panel holds no waiting measure (a table of wards): the
    chain is then staffing -> satisfaction, and :attr:`limits` says what the waits part
    needs. ``engagement`` is the lagged staff engagement column when the panel holds staff
    engagement (the synthetic default and published data), else empty.

    >>> from workbench.data.synth import generate
    >>> c = chain(generate(seed=1, n_providers=30, n_months=3).panel)
    >>> c.staffing, c.waits, c.satisfaction, c.engagement
    ('nurse_fte_per_10_beds', 'rtt_median_weeks', 'fft_pct_positive', 'staff_engagement_lag1')
    >>> c.question("wait")
    'Do providers with more nurses per bed have shorter waits?'
    """

    staffing: str
    waits: str
    satisfaction: str
    subset: str
    engagement: str = ""
    unit: str = UNIT
    units: str = UNITS
    #: The case-mix controls of the comparisons across units (those the panel holds).
    adjust: tuple[str, ...] = ()
    #: The denominator of complaints for their rate model ('' when the panel lacks one).
    complaints_per: str = ""
    #: The counts of a percentage satisfaction measure, for the binomial model.
    counts: tuple[str, str] | None = None
    #: The column whose groups the raw picture draws a line for (``sector``, or a
    #: declared table's first group; '' for none).
    hue: str = ""

    @property
    def sector(self) -> str | None:
        """``sector`` when the panel has sectors (diagnostic figures colour by it), else None."""
        return "sector" if self.hue == "sector" else None

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """The (x, y) measures of the raw picture: staffing -> waits -> satisfaction, or
        staffing -> satisfaction without waits.
        """
        if self.waits:
            return [(self.staffing, self.waits), (self.waits, self.satisfaction)]
        return [(self.staffing, self.satisfaction)]

    @property
    def explore(self) -> dict[str, list[str]]:
        """The measures (and subsets) the Explore controls offer: this chain's first, then the registry's
        usual ones the chain's own panel may hold (the controls keep those the data hold
        and add the measures a table declares: :func:`workbench.interactive.controls`).
        """
        exposures = [self.staffing, "nurse_fte_per_10_beds", "rn_vacancy_pct",
                     "sickness_absence_pct", "staff_engagement", "rtt_median_weeks",
                     *([self.waits] if self.waits else [])]
        outcomes = [*([self.waits] if self.waits else []), self.satisfaction,
                    "rtt_median_weeks", "fft_pct_positive", "complaints_per_1000"]
        subsets = ([self.subset] + [k for k in ("acute", "nhs", "independent")
                                    if k != self.subset] if self.sector else [self.subset])
        return {"exposure": list(dict.fromkeys(exposures)),
                "outcome": list(dict.fromkeys(outcomes)), "subset": subsets}

    @property
    def registry_chain(self) -> bool:
        """True for the registry's own chain on providers: its questions keep their words."""
        return ((self.staffing, self.waits, self.satisfaction, self.units)
                == (STAFFING, WAITS, SATISFACTION, UNITS))

    @property
    def within(self) -> str:
        """What a within-unit comparison is, in words (after a question)."""
        return f" (within {self.unit}: each {self.unit} compared with itself over time)"

    @property
    def across(self) -> str:
        """What a comparison across units is, in words (after a question)."""
        adjusted = ", adjusted for case mix" if self.adjust else ""
        return f" (compared across {self.units}{adjusted})"

    def question(self, which: str) -> str:
        """The question a model answers: ``wait``, ``satisfaction``, ``total``,
        ``complaints`` or ``ae``, in the declared labels of the measures.
        """
        if self.registry_chain:
            return _REGISTRY_QUESTIONS[which]
        staffing, sat = _words(self.staffing), _words(self.satisfaction)
        waits = _words(self.waits) if self.waits else ""
        more = f"{'a higher' if _is_level(self.staffing) else 'more'} {staffing}"
        if which == "wait":
            return f"Do {self.units} with {more} have better {waits}?"
        if which == "satisfaction":
            parts = [p for p in (waits, staffing) if p]
            if self.engagement:
                parts.append("staff engagement last month")
            if len(parts) == 1:
                return f"{'Do' if sat.endswith('s') else 'Does'} {sat} move with {parts[0]}?"
            return f"What moves {sat}: {', '.join(parts[:-1])} or {parts[-1]}?"
        if which == "total":
            return (f"How much does {more} raise {sat}, counting its effect through "
                    f"{waits}?")
        if which == "complaints":
            return f"Do complaints move with {' and '.join(p for p in (waits, staffing) if p)}?"
        return _REGISTRY_QUESTIONS[which]

    def rule(self) -> dict[str, object]:
        """The headline rule's terms for this chain (:func:`~workbench.analysis.findings.roles.assign_roles`):
        its primary exposures are the staffing measure and the waits (the chain's named
        parameters, not staff engagement, which the satisfaction model holds as a check);
        its primary outcomes the registry's (:data:`~workbench.analysis.findings.roles.PRIMARY_OUTCOMES`)
        and the waits and satisfaction measures its parameters name.

        >>> from workbench.data.synth import generate
        >>> chain(generate(seed=1, n_providers=30, n_months=3).panel).rule()["exposures"]
        ('nurse_fte_per_10_beds', 'rtt_median_weeks')
        """
        named = tuple(x for x in (self.staffing, self.waits) if x)
        return {"exposures": named,
                "outcomes": PRIMARY_OUTCOMES + tuple(x for x in (self.waits, self.satisfaction)
                                                     if x),
                "units": self.units}

    def limits(self) -> list[str]:
        """What this panel cannot answer of the chain, in sentences."""
        if self.waits:
            return []
        return [(f"The data hold no waiting measure, so the chain is {_words(self.staffing)} "
                 f"-> {_words(self.satisfaction)}: how much of staffing's effect runs through "
                 "waits needs a measure of the waiting construct (declare one with "
                 "construct: waiting, and name it in the parameter waits).")]


_REGISTRY_QUESTIONS = {
    "wait": "Do providers with more nurses per bed have shorter waits?",
    "satisfaction": ("What moves patient satisfaction: waits, staffing, or staff engagement "
                     "last month?"),
    "total": ("How much does better staffing raise satisfaction, counting its effect "
              "through shorter waits?"),
    "complaints": "Do longer waits and thinner staffing bring more complaints?",
    "ae": "Do NHS trusts with more nurses per bed see more A&E patients within 4 hours?",
}


def _words(name: str) -> str:
    """A measure's label in running text: without its unit in brackets, and lower case
    unless it starts with an abbreviation ('FFT positive responses').

    >>> _words("nurse_fte_per_10_beds")
    'nurse FTE per 10 occupied beds'
    """
    text = plain_label(name)
    if len(text) > 1 and text[1].islower():
        text = text[0].lower() + text[1:]
    return text


def _is_level(name: str) -> bool:
    """True for a measure read as a level (a rate, a percentage, a score): 'a higher ...'."""
    m = M.MEASURES.get(name)
    return m is not None and (m.kind in ("percent", "rate") or "rate" in m.label.lower())


def _check_measure(panel: pd.DataFrame, name: str, role: str, construct: str) -> None:
    if name not in panel.columns:
        held = [m.name for m in M.MEASURES.values()
                if m.construct == construct and m.name in panel.columns]
        close = difflib.get_close_matches(name, list(map(str, panel.columns)), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise AnalysisInputError("staffing_waits_satisfaction", role,
                                 f"is {name!r}, not a column of the panel{hint}",
                                 expected=f"a {construct} measure of the panel: {held}")


def chain(panel: pd.DataFrame, subset: str = "acute", *, staffing: str = STAFFING,
          waits: str = WAITS, satisfaction: str = SATISFACTION, engagement_lag: int = 1,
          unit: str = UNIT, units: str = UNITS) -> Chain:
    """The :class:`Chain` notebook 02 relates on ``panel``: the named measures checked
    against it (an error names a misspelt one and the measures of its construct), the
    case-mix controls it holds, engagement when it holds it, and the denominator of
    complaints (``episodes``, or the denominator a declared complaints rate names).
    ``waits`` empty: no waiting measure (staffing -> satisfaction only). ``unit`` and
    ``units`` are what one unit and several are called (a declared table: ``ward``).
    A panel without settings (a table of wards) is analysed whole (``subset="all"``).
    """
    fn = "staffing_waits_satisfaction"
    for role, name, construct in (("staffing", staffing, "staffing"),
                                  ("waits", waits, "waiting"),
                                  ("satisfaction", satisfaction, "satisfaction")):
        if name:
            _check_measure(panel, name, role, construct)
    if subset != "all" and "setting" not in panel.columns:
        raise AnalysisInputError(fn, "subset", f"is {subset!r}, but the panel has no settings "
                                 f"(its units are {units})",
                                 expected="'all' for a panel of wards, sites or services")
    adjust = case_mix_available(panel, subset) if subset != "all" or "setting" in panel.columns \
        else tuple(c for c in md.CASE_MIX if c in panel.columns and panel[c].notna().any())
    if subset == "acute" and "sector" in panel.columns:
        adjust += ("sector_independent",)
    lag = (f"staff_engagement_lag{engagement_lag}" if "staff_engagement" in panel.columns
           else "")
    per = next((m.denominator for m in M.MEASURES.values()
                if m.numerator == "complaints" and m.denominator in panel.columns), "")
    per = per or ("episodes" if "episodes" in panel.columns else "")
    if "complaints" not in panel.columns:
        per = ""
    m = M.MEASURES.get(satisfaction)
    counts = ((m.numerator, m.denominator) if m is not None and m.numerator and m.denominator
              else COUNTS.get(satisfaction))
    if counts is not None and not all(c in panel.columns for c in counts):
        counts = None
    hue = "sector" if "sector" in panel.columns else next(
        (c for c in panel.columns if c not in ("provider_code", "provider_name", "period")
         and c not in M.MEASURES and not pd.api.types.is_numeric_dtype(panel[c])
         and not pd.api.types.is_datetime64_any_dtype(panel[c])), "")
    return Chain(staffing=staffing, waits=waits, satisfaction=satisfaction, subset=subset,
                 engagement=lag, unit=unit, units=units, adjust=adjust,
                 complaints_per=per, counts=counts, hue=hue)


def staffing_waits_satisfaction(panel: pd.DataFrame, subset: str = "acute",
                                staffing: str = STAFFING,
                                engagement_lag: int = 1,
                                mixed: bool = True, *, waits: str = WAITS,
                                satisfaction: str = SATISFACTION, unit: str = UNIT,
                                units: str = UNITS) -> list[Finding]:
    """Staffing -> waits -> satisfaction for one provider subset: headline first.

    Within-provider models (ids end ``#fe``) compare each provider with itself over
    time: provider fixed effects absorb everything about a provider that does not change
    over the panel (case mix, sector, unmeasured quality or management), with month
    effects and provider-clustered intervals (t with G-1 df). They are fitted for

    1. waits on staffing;
    2. FFT % positive on waits, staffing and engagement ``engagement_lag`` months earlier
       (the direct effects);
    3. FFT on staffing alone (the total effect of staffing, direct + through waits);
    4. complaints on waits and staffing (Poisson with provider and month effects, rate
       ratios);
    5. for ``nhs``: A&E 4-hour performance on staffing (A&E is NHS-only).

    **Roles** come from the headline rule (:mod:`workbench.analysis.findings.roles`, terms
    :meth:`Chain.rule`), decided before any result is seen. **Headline**: the
    within-provider effects of the primary exposures (staffing, waits) on primary outcomes
    (waits, satisfaction, complaints, and for ``nhs`` A&E within 4 hours): 1, the wait and
    staffing terms of 2, 3, 4, 5. With fewer than :data:`MIN_HEADLINE_CLUSTERS` providers
    in the subset every finding is ``diagnostic`` instead, with a warning: clustered
    intervals over so few providers cover less than they claim. A model the data are too
    thin to fit (fewer than 5 providers, an exposure that does not vary) gives
    not-estimated ``diagnostic`` findings naming the reason instead of stopping the run.

    **Robustness**: the within-provider engagement effect (engagement is held in the
    satisfaction model, not a primary exposure of the question), and every estimand
    compared across providers, adjusting for case mix (and, for ``acute``, sector):
    pooled OLS (today's un-suffixed ids), the binomial model of FFT counts
    (``odds_ratio:`` ids), the random-intercept model (when ``mixed``; ``#mixed``) and the
    pooled Poisson model of complaints. The pooled models are more precise but assume no
    unmeasured provider characteristic moves both staffing and the outcome; the scenarios
    of :mod:`workbench.data.scenarios` (``confounded``, ``nonlinear``,
    ``mediator_confounded``) show them failing where the within-provider models hold.
    Headlines come first in the list returned.

    **Other measures and units.** ``staffing``, ``waits`` and ``satisfaction`` name the
    measures related (any of the panel's, a table's declared ones too; see
    :func:`chain`). With ``waits`` empty (a table of wards holds no waiting measure)
    models 1 and 3 are left out and the satisfaction model is staffing's effect. Without
    staff engagement, case mix, episodes or FFT counts in the panel, the models that need
    them are left out. Questions use the measures' labels and ``unit``/``units`` (``ward``,
    ``wards``); on the registry's own chain of providers they are those above.

    The true value of every ``#fe`` id is that of the id without it (the within-provider
    effect; :func:`workbench.analysis.findings.record.truth_for`).

    >>> from workbench.data.example_wards import generate_wards
    >>> from workbench.data.declared import read_table
    >>> import tempfile
    >>> ex = generate_wards(seed=2, n_wards=8, n_months=12)
    >>> table = read_table(ex.write(tempfile.mkdtemp() + "/w.csv")[0], ex.declaration)
    >>> with M.extended(table.declaration.registry()):
    ...     found = staffing_waits_satisfaction(table.panel, "all", "nurse_fill_rate_pct",
    ...                                         waits="", unit="ward", units="wards")
    >>> found[0].id
    'effect:nurse_fill_rate_pct->fft_pct_positive@all#fe'
    >>> found[0].question
    'Do FFT positive responses move with registered nurse fill rate? (within ward: each ward compared with itself over time)'
    """
    c = chain(panel, subset, staffing=staffing, waits=waits, satisfaction=satisfaction,
              engagement_lag=engagement_lag, unit=unit, units=units)
    adj, lag = c.adjust, c.engagement
    direct = tuple(x for x in (M.get(waits).name if waits else "", staffing, lag) if x)
    q_wait, q_fft, q_total = c.question("wait"), c.question("satisfaction"), c.question("total")
    q_compl, q_ae = c.question("complaints"), c.question("ae")
    within = c.within
    has_ae = subset == "nhs" and panel.loc[panel["sector"] == "nhs",
                                           "ae_pct_within_4h"].notna().any()

    def run(spec: md.ModelSpec, question: str) -> list[Finding]:
        try:
            return list(md.fit(spec, panel).findings(question))
        except NotEstimableError as err:  # too thin to estimate: say so, go on
            why = _thin(err)
            return [not_estimated(FindingId(spec.prefix, spec.outcome, md.exposure_label(x),
                                            spec.subset, variant=spec.suffix), question,
                                  why, sector=subset,
                                  sentence=f"{question} Not estimated: {why}.")
                    for x in spec.exposures]

    found: list[Finding] = []
    if waits:
        found += run(md.ModelSpec(waits, (staffing,), kind="fe", subset=subset,
                                  suffix="fe"), q_wait + within)
    found += run(md.ModelSpec(satisfaction, direct, kind="fe", subset=subset,
                              suffix="fe"), q_fft + within)
    if waits:
        found += run(md.ModelSpec(satisfaction, (staffing,), kind="fe", subset=subset,
                                  prefix="total", suffix="fe"), q_total + within)
    # provider effects as a factor of the Poisson model: with 36 months per provider the
    # Poisson fixed-effects estimator has no incidental-parameter bias
    harm = tuple(x for x in (waits, staffing) if x)
    if c.complaints_per:
        found += run(md.ModelSpec("complaints", harm, ("provider_code",),
                                  kind="poisson", exposure=c.complaints_per, subset=subset,
                                  prefix="rate_ratio", suffix="fe"), q_compl + within)
    across = c.across
    if has_ae:
        found += run(md.ModelSpec("ae_pct_within_4h", (staffing,), kind="fe", subset="nhs",
                                  suffix="fe"), q_ae + within)
    if waits:
        found += run(md.ModelSpec(waits, (staffing,), adj, subset=subset), q_wait + across)
    found += run(md.ModelSpec(satisfaction, direct, adj, subset=subset), q_fft + across)
    if c.counts is not None:
        binom = md.ModelSpec(c.counts[0], direct, adj, kind="binomial", trials=c.counts[1],
                             subset=subset, prefix="odds_ratio")
        for f in run(binom, q_fft + " (binomial model of FFT counts)"):
            # the counts model reports on the percentage measure it models
            f.id = str(f.key.with_(outcome=satisfaction))
            found.append(f)
    if mixed:
        found += run(md.ModelSpec(satisfaction, direct, adj, kind="mixed", subset=subset,
                                  suffix="mixed"), q_fft + " (random-intercept model)")
    if waits:
        found += run(md.ModelSpec(satisfaction, (staffing,), adj, subset=subset,
                                  prefix="total"), q_total + across)
    if c.complaints_per:
        found += run(md.ModelSpec("complaints", harm, adj, kind="poisson",
                                  exposure=c.complaints_per, subset=subset,
                                  prefix="rate_ratio"), q_compl + across)
    if has_ae:
        found += run(md.ModelSpec("ae_pct_within_4h", (staffing,), md.CASE_MIX, subset="nhs"),
                     q_ae + across)
    return _by_role(assign_roles(found, **c.rule()))


#: The parts of a mediation split, in words.
_PARTS = {"indirect": "part of the effect through waits", "direct": "direct effect",
          "total": "total effect"}


def _thin(err: NotEstimableError) -> str:
    """Why a part could not be estimated, from the error: what is wrong and what is needed."""
    need = f" ({err.expected})" if err.expected else ""
    return f"{err.parameter} {err.problem}{need}"


def no_headline(found: list[Finding], units: str = UNITS) -> str:
    """What a report says when the headline rule leaves no headline (too few providers,
    nothing estimated): '' when there is one.

    >>> from workbench.analysis.findings.roles import not_estimated
    >>> no_headline([not_estimated("effect:x->y@independent#fe", "q", "only 6 providers",
    ...                            clusters=6)])
    'No headline finding: every estimate here rests on 6 providers, fewer than the 20 a headline needs, so what follows is shown as checks and diagnostics, not answers.'
    """
    if any(f.role == "headline" for f in found):
        return ""
    clusters = sorted({f.clusters for f in found if f.clusters is not None})
    few = (f"every estimate here rests on {clusters[0]} {units}, fewer than the "
           f"{MIN_HEADLINE_CLUSTERS} a headline needs" if len(clusters) == 1
           and clusters[0] < MIN_HEADLINE_CLUSTERS else "nothing here meets the headline rule")
    return (f"No headline finding: {few}, so what follows is shown as checks and "
            "diagnostics, not answers.")


def _by_role(found: list[Finding]) -> Findings:
    """Findings in the order a report shows them: headlines, then the rest (each in the
    order they were made).
    """
    return Findings([f for f in found if f.role == "headline"]
                    + [f for f in found if f.role != "headline"])


def satisfaction_model(panel: pd.DataFrame, subset: str = "acute",
                       staffing: str = STAFFING,
                       engagement_lag: int = 1, *, waits: str = WAITS,
                       satisfaction: str = SATISFACTION) -> md.Fit:
    """The headline satisfaction model of notebook 02 (FFT % positive on waits, staffing
    and lagged engagement, within provider: provider and month fixed effects, clustered),
    for its residual and influence diagnostics; ``waits`` empty leaves waits out, and
    engagement is left out of a panel without it.
    """
    lag = f"staff_engagement_lag{engagement_lag}" if "staff_engagement" in panel.columns else ""
    direct = tuple(x for x in (waits, staffing, lag) if x)
    return md.fit(md.ModelSpec(satisfaction, direct, kind="fe", subset=subset,
                               suffix="fe"), panel)


def staffing_pathways(panel: pd.DataFrame, subset: str = "acute", *, n_boot: int = 999,
                      seed: int = 0, staffing: str = STAFFING, waits: str = WAITS,
                      satisfaction: str = SATISFACTION, unit: str = UNIT,
                      units: str = UNITS) -> list[Finding]:
    """Staffing -> waits -> satisfaction as a mediation analysis (product of coefficients,
    cluster bootstrap over providers; :mod:`workbench.analysis.effects.mediation`): headline first.

    Roles come from the headline rule (:mod:`workbench.analysis.findings.roles`): the
    within-provider indirect effect (``#fe``) is a headline (a within-provider estimand
    of the primary exposure on a primary outcome); the bootstrap direct and total effects
    are other estimators of headline estimands, and the split across providers is not
    identified by design, so both are ``robustness``. With fewer than 20 providers the
    cluster bootstrap cannot be trusted: each part is then a not-estimated ``diagnostic``
    finding saying so, and the run goes on.

    1. Within provider (ids ending ``#fe``; direct and total ``#fe_bootstrap``): staffing,
       waits, satisfaction and engagement last month are taken as deviations from each
       provider's own mean (provider fixed effects; exact for a balanced panel), both path
       models have month effects, and providers are resampled whole. It assumes no
       unmeasured cause of waits and satisfaction that changes within a provider over time.
    2. Across providers adjusted for case mix (indirect un-suffixed, direct and total
       ``#bootstrap``), which an unmeasured provider-level cause of waits and satisfaction
       biases (scenario ``mediator_confounded``).

    The measures are those of :func:`chain`; with ``waits`` empty there is no path through
    waits to split and no findings.
    """
    from workbench.analysis.effects.mediation import mediate_panel, product_of_coefficients

    c = chain(panel, subset, staffing=staffing, waits=waits, satisfaction=satisfaction,
              unit=unit, units=units)
    if not waits:
        return Findings([])
    exposure, mediator, outcome = staffing, waits, satisfaction
    lag = "staff_engagement_lag1" if c.engagement else ""
    own = (lag,) if lag else ()
    rows = md.prepare(md.ModelSpec(outcome, (mediator, exposure, *own), subset=subset), panel)
    cols = [exposure, mediator, outcome, *own]
    rows[cols] = rows[cols] - rows.groupby("provider_code")[cols].transform("mean")
    q_split = (f"How much of the effect of {_words(exposure)} on {_words(outcome)} runs "
               f"through {_words(mediator)}?")

    def split(estimate, variants: dict[str, str], question: str) -> list[Finding]:
        """The split's findings, ids with ``variants`` (kind -> variant); a split too thin
        to bootstrap (too few clusters) is one not-estimated finding per part.
        """
        try:
            found = list(estimate().findings())
        except NotEstimableError as err:
            g = rows["provider_code"].nunique()
            why = (f"only {g} {units}, too few for a bootstrap interval (at least 20 needed)"
                   if err.parameter == "cluster" else _thin(err))
            where = "within" if variants["indirect"] else "across"
            return [not_estimated(FindingId(kind, outcome, f"{exposure}->{mediator}"
                                            if kind == "indirect" else exposure, subset,
                                            variant=variants[kind]), question, why,
                                  sector=subset, clusters=g,
                                  sentence=f"The {_PARTS[kind]} of {_words(exposure)} on "
                                           f"{_words(outcome)} ({where} {units}) was not "
                                           f"estimated: {why}.")
                    for kind in ("indirect", "direct", "total")]
        for f in found:
            f.id = str(f.key.with_(variant=variants.get(f.key.kind, "")))
        return found

    out: list[Finding] = []
    for f in split(lambda: product_of_coefficients(
            rows, exposure, mediator, outcome, outcome_adjust=own, cluster="provider_code",
            time="month", n_boot=n_boot, seed=seed, subset=subset),
            {"indirect": "fe", "direct": "fe_bootstrap", "total": "fe_bootstrap"},
            q_split + c.within):
        if f.model != NOT_ESTIMATED:
            f.model += f", within {unit}"
            f.formula = f"within {unit} ({unit} means removed): {f.formula}"
        out.append(f)
    for f in split(lambda: mediate_panel(
            panel, subset=subset, n_boot=n_boot, seed=seed, exposure=exposure,
            mediator=mediator, outcome=outcome, adjust=c.adjust, outcome_adjust=own),
            {"indirect": "", "direct": "bootstrap", "total": "bootstrap"}, q_split + c.across):
        if f.model != NOT_ESTIMATED:
            f.question += c.across
        out.append(f)
    return _by_role(assign_roles(out, **c.rule()))


def forest_label(finding: Finding) -> str:
    """The label of a finding in the report's forest plot, from its id's parts: the id
    without its providers (one subset per report), then the variant after a space.

    >>> forest_label(Finding(id="effect:rtt_median_weeks->fft_pct_positive@nhs#fe",
    ...                      question="q", estimate=1.0))
    'effect:rtt_median_weeks->fft_pct_positive #fe'
    >>> forest_label(Finding(id="effect:nurse_fte_per_10_beds->rtt_median_weeks@acute",
    ...                      question="q", estimate=1.0))
    'effect:nurse_fte_per_10_beds->rtt_median_weeks'
    """
    key = finding.key
    tail = "".join(f"#{part}" for part in (key.period, key.variant) if part)
    base = str(key.with_(subset="", period="", variant=""))
    return f"{base} {tail}" if tail else base
