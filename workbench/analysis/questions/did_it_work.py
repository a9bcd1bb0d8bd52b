"""Did the change work? The whole evaluation of one change, from SPC chart to verdict.

These functions sit between the panel and the methods of
:mod:`workbench.analysis.monitoring.laney`, :mod:`workbench.analysis.evaluation.its` and
:mod:`workbench.analysis.evaluation.did`, for notebook 08 (``08_did_it_work``):

* :func:`evaluate_change` takes the panel, a measure, the providers that changed and when
  (one date, or ``{provider: "YYYY-MM"}``) and the comparison group, and returns an
  :class:`Evaluation`: the p'/u' chart of each changed provider rebased at its change,
  the interrupted time series of the changed providers' pooled series (when they
  changed on one date) and the staggered difference-in-differences against the
  providers of the comparison group that did not change (randomisation inference over
  which providers changed when fewer than 10 did, :mod:`~workbench.analysis.evaluation.did`).
  With one to three changed providers the comparison-group answer is synthetic
  difference-in-differences with placebo-in-space inference
  (:mod:`~workbench.analysis.evaluation.synthetic_control`), and the Sun-Abraham ATT is
  kept beside it as a robustness check.
* :func:`verdict` puts it into plain words for a board, from the findings: the size of
  the change with its interval when the data show it, and that the data cannot show it
  when the interval includes no change or a warning applies (too few months, ...); a
  pre-trend is weighed through the sensitivity band rather than as pass or fail.

Measures (:data:`EVALUATION_MEASURES`): FFT % positive and A&E % within 4 hours
(binomial: successes out of trials, p' chart, effects in percentage points) and
complaints (Poisson with episodes as exposure, u' chart, per 1,000 episodes).

Example
-------
>>> from workbench.data.synth import generate
>>> from workbench.data.interventions import insert_interventions
>>> sd = generate(seed=4, n_providers=90, n_months=30)
>>> trusts = [p for p in sd.panel["provider_code"].unique() if p.startswith("R")][:6]
>>> iv = insert_interventions(sd, "fft_pct_positive", providers=trusts, start="2024-06-01",
...                           level=0.4, seed=1)
>>> ev = evaluate_change(iv.panel, "fft_pct_positive", iv.adoption_dates(), n_boot=199)
>>> [f.id for f in ev.headlines]
['did:att->fft_pct_positive@treated', 'its:effect_h6->fft_pct_positive@treated']
>>> verdict(ev).startswith("**The change was followed by a rise")
True
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from workbench.analysis.evaluation.did import DiDResult, staggered_did
from workbench.analysis.evaluation.its import ITSResult, interrupted_time_series
from workbench.analysis.evaluation.synthetic_control import (
    MAX_CHANGED,
    SyntheticResult,
    synthetic_did,
)
from workbench.analysis.findings import formatting
from workbench.analysis.findings.record import Finding, Findings
from workbench.analysis.models.fit import SUBSETS, select_subset
from workbench.analysis.monitoring.laney import laney_p, laney_u
from workbench.analysis.monitoring.spc import SPCResult
from workbench.data import measures as M
from workbench.errors import AnalysisInputError
from workbench.finding_id import FindingId

#: Measures a change can be evaluated on: counts, model family, chart, DiD outcome.
EVALUATION_MEASURES: dict[str, dict[str, Any]] = {
    "fft_pct_positive": {"family": "binomial", "numerator": "fft_positive",
                         "denominator": "fft_responses", "chart": "p",
                         "outcome": "fft_pct_positive", "its_measure": "fft_pct_positive",
                         "unit": "percentage points"},
    "ae_pct_within_4h": {"family": "binomial", "numerator": "_ae_within_4h",
                         "denominator": "ae_attendances", "chart": "p",
                         "outcome": "ae_pct_within_4h", "its_measure": "ae_pct_within_4h",
                         "unit": "percentage points"},
    "complaints_per_1000": {"family": "poisson", "numerator": "complaints",
                            "denominator": "episodes", "chart": "u",
                            "outcome": "complaints_per_1000", "its_measure": "complaints",
                            "unit": "complaints per 1,000 episodes"},
}
#: Name of the changed providers in finding ids (as in the inserted truths).
GROUP = "treated"
#: Most changed providers charted one by one.
MAX_CHARTS = 6

#: How many providers get a synthetic change when none are named.
DEFAULT_N_CHANGED = 6

__all__ = ["EVALUATION_MEASURES", "Evaluation", "KnownChange", "describe_known_change",
           "evaluate_change", "insert_known_change", "verdict"]


@dataclass
class Evaluation:
    """One change evaluated three ways (see the module docstring); ``names`` are the
    charted providers' names by code.
    """

    measure: str
    adoption: dict[str, pd.Timestamp]
    comparison: list[str]
    chart: SPCResult
    its: ITSResult | None
    did: DiDResult | None
    horizon: int
    notes: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    #: what one unit and several are called in sentences (a declared table: ward, wards)
    unit: str = "provider"
    units: str = "providers"
    #: synthetic difference-in-differences, the comparison-group answer with one to
    #: three changed providers (:data:`~workbench.analysis.evaluation.synthetic_control.MAX_CHANGED`)
    synthetic: SyntheticResult | None = None

    def findings(self, question: str | None = None) -> Findings:
        """Every finding: the comparison-group ones (the synthetic DiD ATT when there is
        one, then the DiD ATT, pre-trend and variants), on which the verdict rests, then
        the ITS ones. ``question`` replaces the question of the ITS findings and of the
        ATT the verdict rests on.
        """
        synth = self.synthetic.findings(question) if self.synthetic else Findings()
        did = self.did.findings(None if self.synthetic else question) if self.did else Findings()
        return synth + did + (self.its.findings(question) if self.its else Findings())

    @property
    def headlines(self) -> list[Finding]:
        """The findings the verdict rests on: the comparison-group ATT (synthetic DiD with
        one to three changed providers, else Sun-Abraham), then the ITS effect at the
        horizon (each only when it is not a diagnostic: a model that could not be
        identified gives no headline).
        """
        out = ([f for f in self.synthetic.findings()] if self.synthetic else
               [f for f in (self.did.findings() if self.did else []) if f.key.exposure == "att"
                and not f.key.variant])
        out += [f for f in (self.its.findings() if self.its else [])
                if f.key.exposure == f"effect_h{self.horizon}"]
        return [f for f in out if f.role != "diagnostic"]

    def event_study(self, truth: Mapping[str, float] | None = None) -> pd.DataFrame:
        """The DiD event study (one row per month relative to the change), with a
        ``truth`` column from ``truth`` (finding id -> true value) when given. With one
        changed provider (no staggered DiD), the synthetic DiD's month-by-month gaps
        between the changed provider and its synthetic comparison (no intervals).
        """
        if self.did is None and self.synthetic is not None:
            return self.synthetic.gaps.copy()
        if self.did is None:
            return pd.DataFrame(columns=["rel", "estimate", "ci_low", "ci_high"])
        es = self.did.event_study.copy()
        if truth:
            outcome = EVALUATION_MEASURES[self.measure]["outcome"]
            ids = [str(FindingId("did", outcome, exposure=(f"event_p{r}" if r >= 0 else
                                                          f"event_m{-r}"), subset=GROUP))
                   for r in es["rel"]]
            es["truth"] = [0.0 if r == -1 else truth.get(i) for r, i in zip(es["rel"], ids)]
            es["truth"] = es["truth"].astype(float)
        return es


@dataclass
class KnownChange:
    """A synthetic panel with changes inserted, and their true effects."""

    panel: pd.DataFrame
    truth: dict[str, float]
    adoption: dict[str, pd.Timestamp]
    level: float
    slope: float
    measure: str

    def truths(self) -> dict[str, float]:
        """The true value of every estimate the change gives, keyed by the finding ids of
        :func:`evaluate_change`: the ``its:`` ones (level, slope and effect at each
        horizon of the changed providers' pooled series, and of each provider) and the
        ``did:`` ones (the average effect on the changed providers, the pre-trend, and
        each month of the event study). A session takes them with
        :meth:`~workbench.session.Session.add_truth`, ``truth_source`` saying where
        they came from.

        >>> from workbench.data.synth import generate
        >>> kc = insert_known_change(generate(seed=2, n_providers=60, n_months=24).panel,
        ...                          "fft_pct_positive", intervention="2024-06")
        >>> sorted({k.split(":")[0] for k in kc.truths()})
        ['did', 'its']
        >>> round(kc.truths()["did:pretrend->fft_pct_positive@treated"], 3)
        0.0
        """
        return dict(self.truth)

    @property
    def truth_source(self) -> str:
        """Where :meth:`truths` come from, in plain words (written beside each true value
        in a run's ``truth.json``).

        >>> from workbench.data.synth import generate
        >>> kc = insert_known_change(generate(seed=2, n_providers=60, n_months=24).panel,
        ...                          "complaints_per_1000", intervention="2024-06", level=-0.3)
        >>> kc.truth_source[:62]
        'a change with a known effect inserted into the synthetic data:'
        """
        spec = EVALUATION_MEASURES[self.measure]
        scale = "log-odds" if spec["family"] == "binomial" else "log-rate"
        dates = sorted(set(self.adoption.values()))
        when = ", ".join(f"{d:%Y-%m}" for d in dates)
        return (f"a change with a known effect inserted into the synthetic data: "
                f"{self.measure} at {len(self.adoption)} providers "
                f"({', '.join(sorted(self.adoption))}) from {when}, level "
                f"{formatting.number(self.level)} and slope {formatting.number(self.slope)} "
                f"a month on the {scale} scale (insert_known_change)")


def insert_known_change(panel: pd.DataFrame, measure: str, *, providers: Sequence[str] = (),
                        intervention="2024-10", intervention_dates: Mapping | None = None,
                        level: float = 0.35, slope: float = 0.0, seed: int = 0) -> KnownChange:
    """Insert a change with a known effect into a synthetic panel (for notebook 08).

    The changed providers are ``intervention_dates``' keys (each changes on its own
    date), else ``providers`` (all on ``intervention``), else the first
    :data:`DEFAULT_N_CHANGED` NHS acute trusts with the measure in every month. ``level``
    and ``slope`` are on the log-odds scale (FFT, A&E) or log-rate scale (complaints),
    as in :func:`workbench.data.interventions.insert_interventions`. The truths are keyed
    by the finding ids of :func:`evaluate_change`; with several dates the ``did:``
    truths are those of all changed providers together (and there is no group ITS truth).

    >>> from workbench.data.synth import generate
    >>> kc = insert_known_change(generate(seed=2, n_providers=60, n_months=24).panel,
    ...                          "complaints_per_1000", intervention="2024-06", level=-0.3)
    >>> len(kc.adoption), round(kc.truth["its:level->complaints@treated"], 3)
    (6, 0.741)
    """
    from workbench.data.interventions import insert_interventions

    fn = "insert_known_change"
    if measure not in EVALUATION_MEASURES:
        raise AnalysisInputError(fn, "measure", f"is {measure!r}",
                                 expected=f"one of {sorted(EVALUATION_MEASURES)}")
    spec = EVALUATION_MEASURES[measure]
    insert_measure = "complaints" if measure == "complaints_per_1000" else measure
    if intervention_dates:
        adoption = _dates(dict(intervention_dates), ())
    else:
        chosen = list(providers)
        if not chosen:
            need = [spec["denominator"], "complaints" if spec["family"] == "poisson"
                    else spec["outcome"]]
            trusts = panel[(panel["sector"] == "nhs") & (panel["setting"] == "acute")]
            months = panel["period"].nunique()
            full = trusts.dropna(subset=need).groupby("provider_code").size()
            chosen = sorted(full.index[full == months])[:DEFAULT_N_CHANGED]
        adoption = _dates(intervention, chosen)
    by_date: dict[pd.Timestamp, list[str]] = {}
    for p, d in adoption.items():
        by_date.setdefault(d, []).append(p)
    data, truth, effects = panel, {}, []
    for j, (d, group) in enumerate(sorted(by_date.items())):
        iv = insert_interventions(data, insert_measure, providers=group, start=d, level=level,
                                  slope=slope, group=GROUP, seed=int(seed) + j)
        data = iv.panel
        effects.append(iv.effects)
        truth.update({k: v for k, v in iv.truth.items() if not k.startswith("did:")
                      and (len(by_date) == 1 or not k.endswith(f"@{GROUP}"))})
        if len(by_date) == 1:
            truth.update(iv.truth)
    if len(by_date) > 1:
        eff = pd.concat(effects, ignore_index=True)
        outcome = spec["outcome"]

        def key(part: str) -> str:
            return str(FindingId("did", outcome, exposure=part, subset=GROUP))

        truth[key("att")] = float(eff["expected_delta"].mean())
        truth[key("pretrend")] = 0.0
        for lag, g in eff.groupby("months_since"):
            truth[key(f"event_p{int(lag)}")] = float(g["expected_delta"].mean())
        first = pd.Timestamp(panel["period"].min())
        for lag in range(2, max((d.year - first.year) * 12 + d.month - first.month
                                for d in by_date) + 1):
            truth[key(f"event_m{lag}")] = 0.0
    att_key = str(FindingId("did", spec["outcome"], exposure="att", subset=GROUP))
    if len(adoption) <= MAX_CHANGED and att_key in truth:
        # evaluate_change answers with synthetic DiD: the same estimand, its own id
        truth[str(FindingId("synth", spec["outcome"], exposure="att", subset=GROUP))] = \
            truth[att_key]
    if len(adoption) < 2:
        # one changed provider: no staggered DiD, so no did: findings to check
        truth = {k: v for k, v in truth.items() if not k.startswith("did:")}
    return KnownChange(panel=data, truth=dict(sorted(truth.items())), adoption=adoption,
                       level=float(level), slope=float(slope), measure=measure)


def describe_known_change(kc: KnownChange) -> str:
    """A banner (Markdown) saying that the change is synthetic, what was inserted and its truth."""
    lab = M.label(kc.measure)
    spec = EVALUATION_MEASURES[kc.measure]
    what = "odds" if spec["family"] == "binomial" else "rate"
    dates = sorted(set(kc.adoption.values()))
    when = (f"from {dates[0]:%B %Y}" if len(dates) == 1 else
            "on " + ", ".join(f"{d:%B %Y}" for d in dates) + " (staggered)")
    att = kc.truth.get(str(FindingId("did", spec["outcome"], exposure="att", subset=GROUP)))
    true = (f" The true average effect on the changed providers is "
            f"**{formatting.number(att)} {spec['unit']}**." if att is not None else "")
    return (f"> **Synthetic intervention with a known effect.** These are synthetic data and "
            f"no real change happened. To show how the methods work, a change was inserted at "
            f"{len(kc.adoption)} NHS trusts ({', '.join(sorted(kc.adoption))}) {when}: "
            f"{lab} shifted by {formatting.number(kc.level)} on the model's scale in the "
            f"month of the change (the {what} multiplied by "
            f"{formatting.number(math.exp(kc.level))}) and by {formatting.number(kc.slope)} "
            f"a month after it.{true} "
            "The answers below should find it; the tables show each true value.")


def _dates(intervention, providers: Sequence[str]) -> dict[str, pd.Timestamp]:
    fn = "evaluate_change"
    if isinstance(intervention, Mapping):
        if not intervention:
            raise AnalysisInputError(fn, "intervention", "is an empty mapping",
                                     expected="{provider: 'YYYY-MM'} for the providers that "
                                              "changed, or one date with providers=")
        raw = dict(intervention)
    else:
        if not providers:
            raise AnalysisInputError(fn, "providers", "is empty",
                                     expected="the codes of the providers that changed")
        raw = {p: intervention for p in providers}
    out = {}
    for p, d in raw.items():
        try:
            out[str(p)] = pd.Timestamp(d).to_period("M").to_timestamp()
        except (ValueError, TypeError):
            raise AnalysisInputError(fn, "intervention", f"gives {p!r} the date {d!r}",
                                     expected="dates like '2024-10'") from None
    return out


def evaluate_change(panel: pd.DataFrame, measure: str, intervention, *,
                    providers: Sequence[str] = (), comparison: str = "nhs", horizon: int = 6,
                    n_boot: int = 999, seed: int = 0, unit: str = "provider",
                    units: str = "providers") -> Evaluation:
    """Evaluate one change: p'/u' charts rebased at it, ITS, and staggered DiD.

    Parameters
    ----------
    panel : DataFrame
        The provider x month panel.
    measure : str
        One of :data:`EVALUATION_MEASURES`.
    intervention : date or dict
        One change date for every provider in ``providers``, or ``{provider: date}``
        (then ``providers`` is not needed): staggered changes.
    providers : list of str
        The providers that changed (with one ``intervention`` date).
    comparison : str
        The group whose providers that did not change are the comparison (a subset of
        :data:`workbench.analysis.models.fit.SUBSETS`, e.g. ``"nhs"``: NHS acute trusts).
    horizon : int
        Months after the change month at which the ITS effect is reported.
    n_boot, seed : int
        Draws and seed of the inference with few changed providers: wild cluster
        bootstrap draws (10 to 19 changed), randomisation assignments (fewer than 10)
        or placebos of the synthetic DiD (one to three).
    unit, units : str
        What one unit and several are called in sentences (``Session.unit``,
        ``Session.unit_plural``: ``ward``, ``wards`` for a table of wards).

    Returns
    -------
    Evaluation
    """
    fn = "evaluate_change"
    if measure not in EVALUATION_MEASURES:
        raise AnalysisInputError(fn, "measure", f"is {measure!r}",
                                 expected=f"one of {sorted(EVALUATION_MEASURES)}")
    if comparison not in SUBSETS:
        raise AnalysisInputError(fn, "comparison", f"is {comparison!r}",
                                 expected=f"one of {list(SUBSETS)}")
    spec = EVALUATION_MEASURES[measure]
    adoption = _dates(intervention, providers)
    data = panel.copy()
    data["period"] = pd.to_datetime(data["period"])
    if measure == "ae_pct_within_4h" and {"ae_attendances", "ae_over_4h"} <= set(data.columns):
        data["_ae_within_4h"] = data["ae_attendances"] - data["ae_over_4h"]
    num, den = spec["numerator"], spec["denominator"]
    for col in (num, den, spec["outcome"]):
        if col not in data.columns:
            raise AnalysisInputError(fn, "panel", f"has no column {col!r}",
                                     expected=f"a panel with the counts of {measure}")
    unknown = sorted(set(adoption) - set(data["provider_code"]))
    if unknown:
        raise AnalysisInputError(fn, "providers", f"names {unknown[:5]}, not in the panel",
                                 expected="provider codes of the panel")
    notes: list[str] = []
    changed = data[data["provider_code"].isin(list(adoption))].dropna(subset=[num, den])
    changed = changed[changed[den] > 0]
    # the team's chart: each changed provider, limits rebased at its change
    charted = [p for p in adoption if p in set(changed["provider_code"])][:MAX_CHARTS]
    if len(adoption) > MAX_CHARTS:
        notes.append(f"{len(adoption)} {units} changed; the charts show the first "
                     f"{MAX_CHARTS}")
    rows = changed[changed["provider_code"].isin(charted)]
    rebase = {p: [adoption[p]] for p in charted if adoption[p] in set(
        rows.loc[rows["provider_code"] == p, "period"])}
    chart_fn = laney_p if spec["chart"] == "p" else laney_u
    direction = "increase" if M.get(measure).higher_is_better else "decrease"
    chart = chart_fn(rows, num, den, "period", facet="provider_code",
                     improvement_direction=direction, rebase=rebase or None)
    # interrupted time series of the pooled series, when every provider changed on one date
    its = None
    if len(set(adoption.values())) == 1:
        t0 = next(iter(adoption.values()))
        kw = ({"trials": den} if spec["family"] == "binomial" else {"exposure": den})
        its = interrupted_time_series(changed, num, "period", t0, family=spec["family"],
                                      unit="provider_code", measure=spec["its_measure"],
                                      subset=GROUP, horizon=horizon,
                                      who=f"at the {len(adoption)} {units} that changed",
                                      **kw)
    else:
        notes.append(f"the {units} changed on different dates, so there is no single "
                     "before-and-after series: the interrupted time series is left out and "
                     "the comparison-group answer stands alone")
    # staggered difference-in-differences against the unchanged comparison providers
    if comparison != "all" and not {"sector", "setting"} <= set(data.columns):
        raise AnalysisInputError(fn, "comparison", f"is {comparison!r}, a group of providers by "
                                 "sector and setting, which the panel does not hold",
                                 expected="comparison='all' (every unit that did not change)")
    group = select_subset(data, comparison)
    controls = sorted(set(group["provider_code"]) - set(adoption))
    did, synthetic = None, None
    sample = data[data["provider_code"].isin(list(adoption) + controls)]
    if len(controls) >= 2:
        if len(adoption) >= 2:
            did = staggered_did(sample, spec["outcome"], adoption, subset=GROUP,
                                n_boot=n_boot, seed=seed, units=units)
        if len(adoption) <= MAX_CHANGED:
            try:
                synthetic = synthetic_did(sample, spec["outcome"], adoption, subset=GROUP,
                                          n_placebo=n_boot, seed=seed, units=units)
            except AnalysisInputError as exc:
                notes.append(f"no synthetic comparison could be built ({str(exc).rstrip('.')})"
                             + ("; the Sun-Abraham estimate answers instead" if did else ""))
        if synthetic is not None:
            notes.append(f"only {len(adoption)} {unit if len(adoption) == 1 else units} "
                         f"changed: the comparison-group answer is synthetic "
                         f"difference-in-differences (a weighted mix of the {units} that did "
                         "not change, tested by giving the change to each of them instead)"
                         + ("; the Sun-Abraham estimate is kept as a check" if did else ""))
            if did is not None:
                aside = (f"with {len(adoption)} changed {units} the synthetic comparison "
                         "(synth:att) is the answer")
                did.records = [dataclasses.replace(
                    f, role="robustness",
                    warning="; ".join(w for w in (f.warning, aside) if w))
                    if f.key.exposure == "att" and not f.key.variant else f
                    for f in did.records]
    else:
        notes.append(f"fewer than 2 {units} of the comparison group ({SUBSETS[comparison]}) "
                     "did not change: no comparison-group answer")
    names = ({} if "provider_name" not in data.columns else
             dict(data.drop_duplicates("provider_code").set_index("provider_code")
                  .loc[charted, "provider_name"].astype(str)))
    return Evaluation(measure=measure, adoption=adoption, comparison=controls, chart=chart,
                      its=its, did=did, horizon=int(horizon), notes=notes, names=names,
                      unit=unit, units=units, synthetic=synthetic)


def _size(f: Finding) -> str:
    return f"{formatting.number(abs(f.estimate))} {f.unit}"


#: A warning that says only how an interval was computed (not a reason to doubt it).
_INFERENCE_NOTE = "interval and p-value from"


def verdict(ev: Evaluation) -> str:
    """The board's answer in plain words (Markdown), generated from the findings.

    The change is said to have been followed by a rise or fall only when the
    comparison-group ATT's 95% interval excludes no change and it carries no warning
    other than how its interval was computed (randomisation, bootstrap or placebos: the
    verdict names it). The pre-trend check is not a gate: when the changed providers were
    already moving differently before the change (the pre-trend mean's p < 0.05), the
    answer rests on the Rambachan-Roth sensitivity band instead (trends allowed to keep
    drifting apart by as much as before), and otherwise the verdict says how large a
    drift the conclusion survives. The interrupted time series is reported beside it
    when there is one. Otherwise the verdict says the data cannot show it, and why.
    """
    lab = M.label(ev.measure)
    better_high = M.get(ev.measure).higher_is_better
    heads = {f.key.kind: f for f in ev.headlines}
    att, its = heads.get("synth") or heads.get("did"), heads.get("its")
    did_all = list(ev.did.findings()) if ev.did else []
    pre = next((f for f in did_all if f.key.exposure == "pretrend"), None)
    honest = next((f for f in did_all if f.key.exposure == "att"
                   and f.key.variant == "honest"), None)
    synthetic = att is not None and att.model == "synthetic_did"
    problems, how = [], ""
    if att is None:
        problems.append(next((n for n in ev.notes if n.startswith("no synthetic comparison")),
                             f"there is no comparison group of {ev.units} that did not "
                             "change"))
    else:
        parts = [w for w in (att.warning or "").split("; ") if w]
        how = next((w for w in parts if w.startswith(_INFERENCE_NOTE)), "")
        problems += [w for w in parts if not w.startswith(_INFERENCE_NOTE)
                     and not w.startswith(f"with {len(ev.adoption)} changed")]
    drifting = (not synthetic and pre is not None and pre.p_value is not None
                and pre.p_value < 0.05)
    lines = []
    clears = att is not None and (att.ci_low > 0 or att.ci_high < 0)
    if drifting:
        band_clears = honest is not None and (honest.ci_low > 0 or honest.ci_high < 0)
        band = (f"allowing the trends to keep drifting apart after the change as much as "
                f"they did before it, the effect lies between "
                f"{formatting.interval(honest.ci_low, honest.ci_high)} {honest.unit}"
                if honest is not None else "")
        if not band_clears:
            problems.append(f"the {ev.units} that changed were already moving differently "
                            "before the change (pre-trend test p = "
                            f"{formatting.p_value(pre.p_value)})" + (f", and {band}, which "
                                                                    "includes no change"
                                                                    if band else ""))
    shown = att is not None and not problems and clears
    against = (f"a synthetic comparison built from the {len(ev.comparison)} {ev.units} that "
               "did not change" if synthetic else
               f"the {len(ev.comparison)} comparison {ev.units} that did not change")
    if shown:
        rise = att.estimate > 0
        good = rise == better_high
        lines.append(
            f"**The change was followed by a {'rise' if rise else 'fall'} of {_size(att)} in "
            f"{lab} (95% CI {formatting.interval(att.ci_low, att.ci_high)}), beyond what the "
            f"seasonal pattern and {against} would give.** That is "
            f"{'an improvement' if good else 'a change for the worse'}; "
            f"it is averaged over every month after each {ev.unit}'s change "
            f"({len(ev.adoption)} {ev.unit if len(ev.adoption) == 1 else ev.units}).")
    elif att is not None:
        why = ("; ".join(problems) if problems else
               f"the 95% interval ({formatting.interval(att.ci_low, att.ci_high)} {att.unit}) "
               "includes no change")
        lines.append(f"**The data cannot show that the change made a difference to {lab}:** "
                     f"{why}. The best estimate is {formatting.number(att.estimate)} {att.unit} "
                     f"against {against}.")
    else:
        lines.append(f"**The data cannot show whether the change made a difference to {lab}:** "
                     f"{'; '.join(problems)}.")
    if how:
        lines.append("How sure: the interval and p-value come from"
                     f"{how[len(_INFERENCE_NOTE):]}.")
    if shown and drifting and honest is not None:
        lines.append(f"The {ev.units} that changed were already moving differently before the "
                     f"change (pre-trend test p = {formatting.p_value(pre.p_value)}); even "
                     f"{band}, so the conclusion stands.")
    elif shown and honest is not None and not synthetic:
        bd = honest.parameters.get("breakdown_mbar")
        if bd is not None and math.isfinite(bd) and bd > 0:
            lines.append(f"How robust: the conclusion holds if, after the change, the two "
                         f"groups' trends drifted apart month to month by up to "
                         f"{formatting.number(bd)} times the largest drift seen before it "
                         "(Rambachan-Roth sensitivity band).")
    unidentified = next((f for f in (ev.its.findings() if ev.its else [])
                         if f.key.exposure == f"effect_h{ev.horizon}" and f.role == "diagnostic"),
                        None)
    if unidentified is not None:
        lines.append(f"The changed {ev.units}' own series (interrupted time series) gives no "
                     f"answer here: {unidentified.warning}.")
    if its is not None:
        clear = not its.warning and (its.ci_low > 0 or its.ci_high < 0)
        lines.append(
            f"On the changed {ev.units}' own series (interrupted time series), {lab} was "
            f"{formatting.number(its.estimate)} {its.unit} {'above' if its.estimate >= 0 else 'below'} "
            f"what the earlier trend and seasonal pattern predict {ev.horizon} months after "
            f"the change (95% CI {formatting.interval(its.ci_low, its.ci_high)})"
            + ("." if clear else ": on its own this series cannot separate the change from "
               "ordinary variation" + (f" ({its.warning})." if its.warning else ".")))
    return "\n\n".join(lines)
