"""Named scenarios of the synthetic generator: worlds that break the models' assumptions.

The calibrated generator (:mod:`workbench.data.synth`) is the model the workbench fits:
linear, additive, provider effects independent of the exposures, case mix entering
linearly. An estimator that recovers its truth there has only been shown to fit the
model it was written for. Each scenario below changes one thing a researcher cannot rule
out from the data alone, keeps everything else calibrated, and says in its ``truth.json``
what the true value of each estimand is in that world.

Scenarios (``generate(..., scenario=NAME)``; ``data: {synthetic: {scenario: NAME}}``;
a scenario combines with effect overrides, ``generate(effects={...})``, except for the
effects it sets itself, :meth:`Scenario.fixed_effects`)
    ``calibrated``          the default generator, unchanged (same bytes for the same seed).
    ``confounded``          an unmeasured provider "quality" (standard normal, acute
                            providers) raises staffing by 1.5 FTE per 10 beds per SD, shortens
                            waits by 1 week, raises FFT by 1.5 pp (FFT levels are 5 pp
                            lower throughout, away from the 100% ceiling), raises A&E 4-hour
                            performance by 2 pp, lowers the complaint rate by 10% and raises
                            the CQC latent by 0.5. Pooled models (OLS, mixed, binomial,
                            Poisson) mistake quality for staffing; within-provider models do
                            not, because quality does not change over the panel.
    ``nonlinear``           case mix acts on waits, FFT and staffing through a convex term
                            (hospitals with the most complex patients, case-mix index above
                            1.05, have more nurses, longer waits and less satisfied
                            patients), and case mix acts differently in the independent
                            sector (steeper on waits, on FFT), so the sector contrast depends
                            on case mix. Linear case-mix adjustment leaves confounding behind.
    ``serial``              AR(1) shocks (rho 0.85) within provider in staffing, waits and
                            FFT. Intervals that treat a provider's months as exchangeable
                            (the random-intercept model's) are too narrow; provider-clustered
                            intervals are not.
    ``mediator_confounded`` an unmeasured provider-level cause (e.g. how a hospital is run)
                            lengthens waits by 1.2 weeks and lowers FFT by 1.2 pp per SD: the
                            wait -> satisfaction path, and so the indirect effect, is
                            confounded for pooled models. It is fixed over the panel, so
                            within-provider models remove it; a time-varying cause of both
                            would defeat them too (not simulated: no estimator here survives
                            it).
    ``heterogeneous``       the staffing -> wait effect is -0.30 weeks in NHS trusts and
                            -0.70 in independent hospitals, and varies by provider (SD 0.15);
                            the direct staffing -> FFT effect varies by provider (SD 0.20).
                            Truths are averages over the providers of each subset.
    ``few_independent``     six independent hospitals (the rest of the independent share
                            become for-profit care homes): inference about the independent
                            sector rests on six clusters.
    ``null``                no sector effects and no staffing effects (every ``staffing_on_*``,
                            ``independent_on_*`` and ownership effect zero); waits, engagement
                            and case mix still act. Every staffing or sector finding should
                            cover zero 95% of the time.

Estimands (the truths written to ``truth.json``; the ``estimands`` block says the same)
    ``effect:x->y@subset``      the within-provider effect of x on y: the change in y when a
                                provider's x changes by one unit, averaged over the providers
                                of the subset (with constant effects, the structural
                                coefficient). This is what the fixed-effects headline (id
                                ending ``#fe``) estimates in every scenario; the pooled
                                estimators are judged against the same truth.
    ``direct/indirect/total``   staffing -> FFT not through waits (``direct``), through
                                waits (``indirect``, the product of the paths averaged over
                                providers) and both (``total``), within provider.
    ``adjusted/ipw:sector[independent]->y@acute``  the sector contrast given case mix: the
                                total effect of being independent (direct plus the paths
                                through staffing, waits and engagement) for the independent
                                hospitals (their case mix and their effects; effect on the
                                treated). Without case-mix interactions it is one number.
    ``rate_ratio``, ``ordinal`` the structural complaint rate ratio and CQC log-odds.

Example
-------
>>> names()
['calibrated', 'confounded', 'nonlinear', 'serial', 'mediator_confounded', 'heterogeneous', 'few_independent', 'null']
>>> get("confounded").changes_truth
False
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import numpy as np

#: Entropy mixed into the scenario's own random stream (the base stream is untouched, so
#: every scenario shares the calibrated draws of the same seed and adds its own).
SCENARIO_STREAM = 0x5CE7A410

#: Independent hospitals of the ``few_independent`` scenario.
FEW_INDEPENDENT = 6


@dataclass
class Context:
    """What a scenario may read about the providers being generated (one entry per provider)."""

    n: int
    n_months: int
    is_nhs: np.ndarray
    is_ind: np.ndarray
    acute: np.ndarray
    cmi: np.ndarray
    counts: dict[str, int]


@dataclass
class Terms:
    """What a scenario adds to the calibrated equations (zeros: the calibrated model).

    Provider-level arrays have shape ``(n,)``, monthly ones ``(n, n_months)``. ``b_sw``
    and ``b_sf`` are each provider's staffing -> wait and staffing -> FFT (direct) effects.
    """

    staff_provider: np.ndarray
    staff_month: np.ndarray
    wait: np.ndarray
    fft: np.ndarray
    ae: np.ndarray
    log_rate: np.ndarray
    cqc: np.ndarray
    b_sw: np.ndarray
    b_sf: np.ndarray
    notes: dict = field(default_factory=dict)

    @classmethod
    def zeros(cls, ctx: Context, effects) -> Terms:
        """No additions for the providers of ``ctx``: every term zero, and each provider's
        staffing effects on waits and FFT (``b_sw``, ``b_sf``) the calibrated ones of
        ``effects``.
        """
        n, t = ctx.n, ctx.n_months
        return cls(staff_provider=np.zeros(n), staff_month=np.zeros((n, t)),
                   wait=np.zeros((n, t)), fft=np.zeros((n, t)), ae=np.zeros(n),
                   log_rate=np.zeros(n), cqc=np.zeros(n),
                   b_sw=np.full(n, effects.staffing_on_wait),
                   b_sf=np.full(n, effects.staffing_on_fft))


@dataclass(frozen=True)
class Scenario:
    """One named world: what it changes, which estimators it should defeat, which survive."""

    name: str
    summary: str
    defeats: str
    survives: str
    changes_truth: bool = False

    def effects(self, effects):
        """The structural effects of this scenario (``null`` zeroes staffing and sector)."""
        if self.name != "null":
            return effects
        zero = {k: 0.0 for k in vars(effects) if k.startswith(("staffing_on_", "independent_on_"))}
        zero.update(for_profit_on_cqc=0.0, local_authority_on_cqc=0.0, care_staffing_on_cqc=0.0)
        return replace(effects, **zero)

    def fixed_effects(self, names: Iterable[str]) -> dict[str, tuple[float, str]]:
        """The effects (of the generator's effect ``names``) this scenario sets itself, by
        name: the value an override may repeat (NaN: none may) and why, in words. An
        override of one of them (``generate(effects=...)``, a study's ``synthetic:
        {effects: ...}``) is refused.

        >>> names = ["staffing_on_wait", "wait_on_fft"]
        >>> get("heterogeneous").fixed_effects(names)["staffing_on_wait"][1]
        '-0.3 weeks in NHS trusts and -0.7 in independent hospitals, varying by provider'
        >>> get("null").fixed_effects(names)
        {'staffing_on_wait': (0.0, 'zero: no sector or staffing effects')}
        """
        if self.name == "heterogeneous":
            why = (f"{HETERO_WAIT['nhs']} weeks in NHS trusts and {HETERO_WAIT['independent']} "
                   "in independent hospitals, varying by provider")
            return {"staffing_on_wait": (float("nan"), why)}
        if self.name == "null":
            zero = ("for_profit_on_cqc", "local_authority_on_cqc", "care_staffing_on_cqc")
            return {k: (0.0, "zero: no sector or staffing effects") for k in names
                    if k.startswith(("staffing_on_", "independent_on_")) or k in zero}
        return {}

    def counts(self, counts: dict[str, int]) -> dict[str, int]:
        """Provider counts by type (``few_independent`` keeps six independent hospitals)."""
        if self.name != "few_independent":
            return counts
        out = dict(counts)
        out["for_profit"] += out["independent"] - FEW_INDEPENDENT
        out["independent"] = FEW_INDEPENDENT
        return out

    def terms(self, seed: int, ctx: Context, effects) -> Terms:
        """The scenario's additions, drawn from its own stream seeded by ``seed``."""
        z = Terms.zeros(ctx, effects)
        rng = np.random.default_rng([int(seed), SCENARIO_STREAM, _NAMES.index(self.name)])
        n, t, acute, is_ind = ctx.n, ctx.n_months, ctx.acute, ctx.is_ind
        if self.name == "confounded":
            q = rng.normal(0, 1, n) * acute
            z.staff_provider += 1.5 * q
            z.wait += -1.0 * q[:, None]
            # FFT levels 5 pp lower throughout, so that quality does not push providers
            # against the 100% ceiling (a ceiling bends every within-provider slope)
            z.fft += (1.5 * q - 5.0 * acute)[:, None]
            z.ae += 2.0 * q
            z.log_rate += -0.1 * q
            z.cqc += 0.5 * q
        elif self.name == "nonlinear":
            convex = np.maximum(ctx.cmi - 1.05, 0.0) * 20.0 * acute   # 0 for most, ~2 at 1.15
            z.staff_provider += 2.5 * convex
            z.wait += (3.0 * convex + NONLINEAR_IND_WAIT * is_ind * (ctx.cmi - NONLINEAR_REF))[:, None]
            z.fft += (-3.0 * convex - NONLINEAR_IND_FFT * is_ind * (ctx.cmi - NONLINEAR_REF))[:, None]
        elif self.name == "serial":
            for target, sd in ((z.staff_month, 0.30), (z.wait, 0.60), (z.fft, 0.80)):
                target += _ar1(rng, n, t, SERIAL_RHO, sd)
        elif self.name == "mediator_confounded":
            m = rng.normal(0, 1, n) * acute
            z.wait += 1.2 * m[:, None]
            z.fft += -1.2 * m[:, None]
        elif self.name == "heterogeneous":
            sector_mean = np.where(is_ind, HETERO_WAIT["independent"], HETERO_WAIT["nhs"])
            z.b_sw = np.where(acute, sector_mean + rng.normal(0, 0.15, n), effects.staffing_on_wait)
            z.b_sf = np.where(acute, effects.staffing_on_fft + rng.normal(0, 0.20, n),
                              effects.staffing_on_fft)
        return z

    def truth(self, truth: dict[str, float], effects, ctx: Context) -> dict[str, float]:
        """The true values of this scenario, from the calibrated ones of ``effects``."""
        t = dict(truth)
        e = effects
        if self.name == "heterogeneous":
            a = dict(HETERO_WAIT)
            a["acute"] = ((ctx.counts["nhs"] * a["nhs"] + ctx.counts["independent"]
                           * a["independent"]) / (ctx.counts["nhs"] + ctx.counts["independent"]))
            for sub in ("acute", "nhs", "independent"):
                t[f"effect:nurse_fte_per_10_beds->rtt_median_weeks@{sub}"] = a[sub]
                t[f"indirect:nurse_fte_per_10_beds->rtt_median_weeks->fft_pct_positive@{sub}"] = (
                    a[sub] * e.wait_on_fft)
                t[f"total:nurse_fte_per_10_beds->fft_pct_positive@{sub}"] = (
                    e.staffing_on_fft + a[sub] * e.wait_on_fft)
            t["moderation:nurse_fte_per_10_beds->rtt_median_weeks->fft_pct_positive"
              "@independent-nhs"] = (a["independent"] - a["nhs"]) * e.wait_on_fft
            _sector_truth(t, e, b_sw=a["independent"])
        elif self.name == "nonlinear":
            # the contrast varies with case mix: each estimand averages it over its own
            # population (adjusted/dr: the independent hospitals; ipw and aipw: every acute
            # provider); the overlap population's (ATO) depends on the fitted propensity
            # and has no true value here
            for kinds, who in ((("adjusted",), ctx.is_ind), (("ipw", "aipw"), ctx.acute)):
                d = float(np.mean(ctx.cmi[who]) - NONLINEAR_REF)
                _sector_truth(t, e, extra_wait=NONLINEAR_IND_WAIT * d,
                              extra_fft=-NONLINEAR_IND_FFT * d, kinds=kinds)
            for k in NO_TRUTH["nonlinear"]:
                del t[k]
        return t

    def estimands(self) -> dict[str, str]:
        """What each kind of truth is, in words (the ``estimands`` block of ``truth.json``)."""
        within = ("within-provider effect: the change in the outcome when a provider's exposure "
                  "changes by one unit, the same for every provider")
        if self.name == "heterogeneous":
            within = ("within-provider effect averaged over the providers of the subset "
                      "(effects differ by sector and by provider)")
        sector = ("sector contrast given case mix: total effect of being independent (direct, "
                  "and through staffing, waits and engagement) for the independent hospitals")
        if self.name == "nonlinear":
            sector += (" (averaged over their own case mix: the contrast varies with case mix "
                       "in this scenario; ipw and aipw estimate it over every acute provider, "
                       "and the overlap-weighted contrast has no true value)")
        return {
            "scenario": f"{self.name}: {self.summary}",
            "effect": within,
            "direct": "staffing -> FFT not through waits (" + within + ")",
            "indirect": "staffing -> waits -> FFT: product of the two paths, averaged over "
                        "providers",
            "total": "staffing -> FFT, direct plus indirect",
            "adjusted": sector,
            "ipw": sector,
            "moderation": "indirect effect in independent hospitals minus that in NHS trusts",
            "rate_ratio": "complaint rate ratio per unit of the exposure, within provider",
            "ordinal": "log-odds of a better CQC rating per unit (provider level)",
            "variants": "an id ending #<variant> (#fe, #mixed, #bootstrap, ...) estimates the "
                        "same estimand as the id without it",
        }


SERIAL_RHO = 0.85
HETERO_WAIT = {"nhs": -0.30, "independent": -0.70}
NONLINEAR_REF = 0.78        # the independent hospitals' mean case-mix index by design
NONLINEAR_IND_WAIT = 10.0   # extra weeks per unit case-mix index, independent sector only
NONLINEAR_IND_FFT = 10.0    # pp fewer per unit case-mix index, independent sector only
#: Estimands a scenario gives no true value (every other scenario keys the calibrated
#: set): nonlinear's overlap-weighted sector contrasts of waits and FFT, whose population
#: (weighted by the fitted propensity) depends on the data.
NO_TRUTH: dict[str, tuple[str, ...]] = {
    "nonlinear": tuple(f"overlap:sector[independent]->{m}@acute"
                       for m in ("rtt_median_weeks", "fft_pct_positive"))}


def _ar1(rng: np.random.Generator, n: int, t: int, rho: float, sd: float) -> np.ndarray:
    """Stationary AR(1) series per row: innovations ``sd``, autocorrelation ``rho``."""
    out = np.empty((n, t))
    out[:, 0] = rng.normal(0, sd / np.sqrt(1 - rho ** 2), n)
    for j in range(1, t):
        out[:, j] = rho * out[:, j - 1] + rng.normal(0, sd, n)
    return out


def _sector_truth(t: dict[str, float], e, *, b_sw: float | None = None,
                  extra_wait: float = 0.0, extra_fft: float = 0.0,
                  kinds: tuple[str, ...] = ("adjusted", "ipw")) -> None:
    """Sector contrasts (ids of ``kinds``), with the independent hospitals' staffing ->
    wait effect and a case-mix-dependent part averaged over the estimand's population.
    """
    b_sw = e.staffing_on_wait if b_sw is None else b_sw
    wait_total = e.independent_on_wait + extra_wait + b_sw * e.independent_on_staffing
    fft = (e.independent_on_fft + extra_fft + e.staffing_on_fft * e.independent_on_staffing
           + e.wait_on_fft * wait_total + e.engagement_lag1_on_fft * e.independent_on_engagement)
    for kind in kinds:
        t[f"{kind}:sector[independent]->rtt_median_weeks@acute"] = wait_total
        t[f"{kind}:sector[independent]->fft_pct_positive@acute"] = fft


_SCENARIOS = (
    Scenario("calibrated", "the generator's calibrated default (linear, additive, provider "
             "effects independent of the exposures)",
             defeats="nothing: every estimator is meant to recover its truth",
             survives="every estimator"),
    Scenario("confounded", "unmeasured provider quality raises staffing and improves waits, "
             "FFT, A&E, complaints and CQC ratings",
             defeats="pooled OLS, the random-intercept model, the binomial and Poisson GLMs, "
                     "pooled mediation, the ordinal CQC model",
             survives="within-provider fixed effects (linear and Poisson), within-provider "
                      "mediation"),
    Scenario("nonlinear", "case mix acts through a convex term on staffing, waits and FFT, "
             "and differently in the independent sector",
             defeats="pooled models with linear case-mix adjustment; the case-mix adjusted "
                     "sector contrast",
             survives="within-provider fixed effects (case mix is fixed over the panel)",
             changes_truth=True),
    Scenario("serial", "AR(1) shocks within provider in staffing, waits and FFT",
             defeats="the random-intercept model's intervals (exchangeable errors assumed)",
             survives="every provider-clustered interval (OLS, fixed effects, cluster "
                      "bootstrap)"),
    Scenario("mediator_confounded", "an unmeasured provider-level cause of longer waits and "
             "lower satisfaction",
             defeats="pooled estimates of the wait -> FFT effect and of the indirect effect",
             survives="within-provider fixed effects and within-provider mediation"),
    Scenario("heterogeneous", "the staffing -> wait effect differs by sector and provider; "
             "the direct staffing -> FFT effect differs by provider",
             defeats="the random-intercept model's intervals; sector-pooled effects read as "
                     "one effect for every provider",
             survives="fixed effects and OLS (average effects, clustered intervals)",
             changes_truth=True),
    Scenario("few_independent", "six independent hospitals",
             defeats="large-sample intervals for the independent sector (six clusters)",
             survives="estimates for all acute providers and NHS trusts"),
    Scenario("null", "no sector effects and no staffing effects",
             defeats="nothing should find an effect; the naive sector difference still does",
             survives="every adjusted estimator (intervals cover zero)", changes_truth=True),
)
_NAMES = [s.name for s in _SCENARIOS]
_BY_NAME = {s.name: s for s in _SCENARIOS}

#: The scenario a study gets when it names none.
DEFAULT_SCENARIO = "calibrated"


def names() -> list[str]:
    """The scenario names, calibrated first.

    >>> names()[0]
    'calibrated'
    """
    return list(_NAMES)


def get(name: str) -> Scenario:
    """The scenario called ``name`` (KeyError for an unknown name; the generator turns it
    into a GeneratorError naming the parameter and the names).

    >>> get("serial").defeats
    "the random-intercept model's intervals (exchangeable errors assumed)"
    """
    return _BY_NAME[name]
