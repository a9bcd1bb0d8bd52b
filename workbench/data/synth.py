"""A calibrated synthetic provider x month panel that knows its own true effects.

The generator is a small structural model of English providers, so that every
method in the workbench can be checked against a known truth before it is trusted
on real data. It is the default data of the main study.

Providers
    NHS acute trusts, independent (private) acute hospitals, and care homes run by
    for-profit companies, not-for-profit organisations and local authorities. The
    care-home ownership mix follows Barron & West (2017): 74% of places for-profit,
    18% not-for-profit, 8% local authority (calibration_facts.csv rows
    ``care_home_places_share``).

Structure (acute providers, provider i, month t; all effects constant over time)
    case mix      independent hospitals treat healthier, less complex, less deprived
                  patients (lower ``case_mix_index``, ``pct_aged_75_plus``,
                  ``deprivation_imd``): selection into the independent sector, as
                  reported by Browne et al. 2008, Chard et al. 2011 and Anderson et al.
                  2024 (published_findings.md section 3). A naive NHS-vs-independent
                  comparison is therefore confounded.
    staffing      nurse FTE per 10 beds = sector mean + provider effect + winter dip + noise
    waiting       RTT median weeks = a + b_SW * staffing + case mix + sector + winter +
                  provider effect + noise
    satisfaction  expected FFT % positive = a + b_WF * wait + b_SF * staffing (direct path)
                  + b_E * staff engagement last month (lag 1) + case mix + sector + winter
                  + provider effect + noise; FFT positive responses are binomial counts
                  out of the month's responses.
    complaints    Poisson counts with the month's episodes as exposure, log-linear in
                  waits, staffing and case mix, with a mean-one provider frailty.
    CQC ratings   ordered categories from a latent logistic scale (staffing, engagement,
                  sector; ownership for care homes), fixed over the panel.

Calibration (``../shared/reference/calibration_facts.csv``, rows cited by measure name)
    ``rtt_within_18_weeks`` / April 2026 RTT extract: about 64% of NHS pathways within 18
        weeks and about 75% at independent providers; ``rtt_median_wait`` about 12 weeks (the
        18-week share follows from the median under exponential waits:
        1 - 2^(-18/median)).
    ``ae_4hr_performance`` 2023-24: 72.1% within 4 hours (NHS mean here about 73%).
    ``rn_vacancy_rate`` 2022-03: 10.0% registered-nurse vacancies.
    ``staff_sickness_absence_rate`` 2022: 5.6% of FTE days.
    ``cqc_rated_good`` / ``cqc_good_or_outstanding_share`` (Bullen et al. 2025, IHPN 2023):
        NHS acute about 6% Outstanding, 47% Good, 41% Requires improvement, 6% Inadequate;
        independent hospitals mostly Good.
    ``cqc_adult_social_care_rating`` 2018: care homes 3/79/17/1 (O/G/RI/I);
        Patwardhan et al. 2022: for-profit homes +6.8 pp more likely to be rated Requires
        improvement or Inadequate than not-for-profit homes (about -0.54 on the log-odds scale).
    ``written_complaints_hchs`` 2021-22: about 4 written complaints per 1,000 episodes.
    ``staff_engagement_score_example_trust``: engagement on the 0-10 scale, about 6.8.

Scenarios
    ``scenario=`` names a world that breaks one of the models' assumptions (unmeasured
    provider quality, nonlinear case mix, serial errors, a confounded mediator,
    heterogeneous effects, six independent hospitals, no effects at all); each is defined
    in :mod:`workbench.data.scenarios`, draws from its own random stream (so the calibrated
    draws of a seed are shared by every scenario) and writes its own truths.
    ``calibrated`` is this model unchanged.

The draws come from one random stream in a fixed order: the same seed gives the same
bytes only while that order holds (a new kind of draw comes after the others, or from
its own stream).

Example
-------
>>> sd = generate(seed=7, n_providers=40, n_months=6)
>>> sorted(sd.panel["sector"].unique())
['independent', 'local_authority', 'nhs']
>>> round(sd.truth["effect:rtt_median_weeks->fft_pct_positive@acute"], 2)
-0.5
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.data import measures as M
from workbench.data import scenarios as S
from workbench.data.effects import (  # noqa: F401  (re-exported: generate's API)
    Effects,
    effect_names,
    effect_overrides,
    resolve_effects,
)
from workbench.data.schema import validate_panel
from workbench.data.synth_flows import generate_flows
from workbench.errors import GeneratorError, GeneratorTypeError
from workbench.finding_id import FindingId

DEFAULT_SEED = 20240430
DEFAULT_PROVIDERS = 240
DEFAULT_MONTHS = 36
DEFAULT_START = "2023-04-01"


@dataclass
class SyntheticData:
    """A synthetic panel, the true effects it was built with, and how it was made."""

    panel: pd.DataFrame
    truth: dict[str, float]
    settings: dict = field(default_factory=dict)

    estimands: dict[str, str] = field(default_factory=dict)
    #: RTT flows by provider, specialty and month with their true rates (the ``rtt_flows``
    #: table beside the panel; :mod:`workbench.data.synth_flows`).
    flows: pd.DataFrame | None = None

    def write(self, folder: str | Path) -> tuple[Path, Path]:
        """Write ``panel.parquet`` and ``truth.json`` into ``folder``; return both paths.

        ``truth.json`` holds ``settings``, ``truth`` (finding id -> true value) and
        ``estimands`` (what each kind of truth is, in words). The flows, when made, go
        beside the panel as ``panel.rtt_flows.parquet``. Files are written beside and
        renamed, so a reader never sees half a file.
        """
        from workbench.files import atomic_path, atomic_write_text

        folder = Path(folder)
        panel_path = folder / "panel.parquet"
        with atomic_path(panel_path) as tmp:
            self.panel.to_parquet(tmp, index=False)
        if self.flows is not None:
            with atomic_path(folder / "panel.rtt_flows.parquet") as tmp:
                self.flows.to_parquet(tmp, index=False)
        truth_doc = {"settings": self.settings, "truth": self.truth,
                     "estimands": self.estimands}
        truth_path = atomic_write_text(folder / "truth.json",
                                       json.dumps(truth_doc, indent=2, sort_keys=True) + "\n")
        return panel_path, truth_path


def _winter(periods: pd.DatetimeIndex) -> np.ndarray:
    """Winter pressure: 1 in December-February, 0.5 in November and March, else 0."""
    m = periods.month
    return np.where(np.isin(m, [12, 1, 2]), 1.0, np.where(np.isin(m, [11, 3]), 0.5, 0.0))


def _counts(n: int) -> dict[str, int]:
    """Provider counts by type for ``n`` providers (shares documented in the module)."""
    n_nhs = round(n * 0.32)
    n_ind = round(n * 0.20)
    n_ch = n - n_nhs - n_ind
    n_la = max(1, round(n_ch * 0.08))
    n_nfp = max(1, round(n_ch * 0.18))
    n_fp = n_ch - n_la - n_nfp
    return {"nhs": n_nhs, "independent": n_ind, "for_profit": n_fp,
            "not_for_profit": n_nfp, "local_authority": n_la}


def _ordinal(latent: np.ndarray, cuts: tuple[float, float, float]) -> np.ndarray:
    idx = np.searchsorted(np.asarray(cuts), latent)
    return np.asarray(M.CQC_LEVELS, dtype=object)[idx]


def true_effects(effects: Effects | None = None) -> dict[str, float]:
    """The true value of every estimand the notebooks report, keyed like the findings.

    Keys have the form ``kind:exposure->outcome@subset``. ``@acute`` means all acute
    providers; ``@nhs`` and ``@independent`` the acute providers of one sector.
    Sector effects are total effects of being independent given case mix
    (direct effect plus the paths through staffing, waits and engagement).

    >>> t = true_effects()
    >>> round(t["total:nurse_fte_per_10_beds->fft_pct_positive@acute"], 2)
    0.6
    """
    e = effects if effects is not None else Effects()
    t: dict[str, float] = {}
    for sub in ("acute", "nhs", "independent"):
        t[f"effect:nurse_fte_per_10_beds->rtt_median_weeks@{sub}"] = e.staffing_on_wait
        t[f"effect:rtt_median_weeks->fft_pct_positive@{sub}"] = e.wait_on_fft
        t[f"effect:nurse_fte_per_10_beds->fft_pct_positive@{sub}"] = e.staffing_on_fft
        t[f"direct:nurse_fte_per_10_beds->fft_pct_positive@{sub}"] = e.staffing_on_fft
        t[f"indirect:nurse_fte_per_10_beds->rtt_median_weeks->fft_pct_positive@{sub}"] = (
            e.staffing_on_wait * e.wait_on_fft)
        t[f"total:nurse_fte_per_10_beds->fft_pct_positive@{sub}"] = (
            e.staffing_on_fft + e.staffing_on_wait * e.wait_on_fft)
        t[f"effect:staff_engagement[lag1]->fft_pct_positive@{sub}"] = e.engagement_lag1_on_fft
        t[f"rate_ratio:rtt_median_weeks->complaints@{sub}"] = float(np.exp(e.wait_on_complaints))
        t[f"rate_ratio:nurse_fte_per_10_beds->complaints@{sub}"] = float(
            np.exp(e.staffing_on_complaints))
    t["effect:nurse_fte_per_10_beds->ae_pct_within_4h@nhs"] = e.staffing_on_ae
    t["effect:nurse_fte_per_10_beds->ae_pct_within_4h@acute"] = e.staffing_on_ae
    wait_total = e.independent_on_wait + e.staffing_on_wait * e.independent_on_staffing
    t["adjusted:sector[independent]->nurse_fte_per_10_beds@acute"] = e.independent_on_staffing
    t["adjusted:sector[independent]->rtt_median_weeks@acute"] = wait_total
    t["adjusted:sector[independent]->fft_pct_positive@acute"] = (
        e.independent_on_fft + e.staffing_on_fft * e.independent_on_staffing
        + e.wait_on_fft * wait_total + e.engagement_lag1_on_fft * e.independent_on_engagement)
    for k in ("nurse_fte_per_10_beds", "rtt_median_weeks", "fft_pct_positive"):
        t[f"ipw:sector[independent]->{k}@acute"] = t[f"adjusted:sector[independent]->{k}@acute"]
        t[f"overlap:sector[independent]->{k}@acute"] = t[f"adjusted:sector[independent]->{k}@acute"]
        t[f"aipw:sector[independent]->{k}@acute"] = t[f"adjusted:sector[independent]->{k}@acute"]
    # the indirect effect is the same in both sectors: sector moderates nothing
    t["moderation:nurse_fte_per_10_beds->rtt_median_weeks->fft_pct_positive@independent-nhs"] = 0.0
    t["ordinal:sector[independent]->cqc_overall@acute"] = e.independent_on_cqc
    t["ordinal:nurse_fte_per_10_beds->cqc_overall@acute"] = e.staffing_on_cqc
    t["ordinal:staff_engagement->cqc_overall@acute"] = e.engagement_on_cqc
    t["ordinal:ownership[for_profit]->cqc_overall@care_home"] = e.for_profit_on_cqc
    t["ordinal:ownership[local_authority]->cqc_overall@care_home"] = e.local_authority_on_cqc
    t["ordinal:nurse_fte_per_10_beds->cqc_overall@care_home"] = e.care_staffing_on_cqc
    # every key is a finding id (the text of a FindingId of the estimand)
    return {str(FindingId.parse(k)): float(v) for k, v in sorted(t.items())}


def generate(seed: int = DEFAULT_SEED, n_providers: int = DEFAULT_PROVIDERS,
             n_months: int = DEFAULT_MONTHS, start: str = DEFAULT_START,
             effects: Effects | Mapping[str, float] | None = None, selection: float = 1.0,
             scenario: str = S.DEFAULT_SCENARIO) -> SyntheticData:
    """Generate the synthetic panel. Same arguments, same panel, byte for byte.

    Parameters
    ----------
    seed : int
        Seed of the random generator (``numpy.random.default_rng``).
    n_providers : int
        Providers in total (at least 20): 32% NHS acute trusts, 20% independent
        hospitals, the rest care homes by ownership.
    n_months : int
        Consecutive months from ``start`` (at least 2).
    effects : Effects or mapping, optional
        The true effects: :class:`Effects`, or overrides of its calibrated values by name
        (``{"staffing_on_wait": 0, "wait_on_fft": -0.3}``; :func:`resolve_effects` says
        which are refused). The truths follow them, and ``settings["effect_overrides"]``
        (in ``truth.json``) records the ones that differ from the calibrated values.
    selection : float
        Strength of case-mix selection into the independent sector: the independent
        hospitals' mean case-mix index, share aged 75+ and deprivation sit this fraction
        of the default gap away from the NHS means (1 = the calibrated default; 0 = no
        selection). Smaller values give the propensity-score methods the overlap they
        need; the true effects do not depend on it.
    scenario : str
        One of :func:`workbench.data.scenarios.names` (default ``calibrated``, this
        model unchanged); see :mod:`workbench.data.scenarios` for what each changes and
        which estimand each truth is.

    >>> sd = generate(seed=1, n_providers=30, n_months=4)
    >>> sd.panel.shape[0]
    120
    >>> generate(seed=1, n_providers=30, n_months=4).panel.equals(sd.panel)
    True
    >>> flat = generate(seed=1, n_providers=30, n_months=4, effects={"staffing_on_wait": 0})
    >>> flat.truth["effect:nurse_fte_per_10_beds->rtt_median_weeks@acute"], flat.settings["effect_overrides"]
    (0.0, {'staffing_on_wait': 0.0})
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise GeneratorTypeError("seed", seed, "is not an integer",
                                 expected="an integer such as 20240601")
    if n_providers < 20:
        raise GeneratorError("n_providers", n_providers, "is too few for every provider type "
                             "to be present", expected="at least 20")
    if n_months < 2:
        raise GeneratorError("n_months", n_months, "is too few months",
                             expected="at least 2")
    if not 0.0 <= float(selection) <= 2.0:
        raise GeneratorError("selection", selection, "is out of range",
                             expected="between 0 and 2 (1 = the calibrated default)")
    if not isinstance(scenario, str) or scenario not in S.names():
        raise GeneratorError("scenario", scenario, "is not a known scenario",
                             expected=f"one of {S.names()}")
    sc = S.get(scenario)
    sel = float(selection)
    effects = resolve_effects(effects, scenario)
    overrides = effect_overrides(effects)
    e = effects = sc.effects(effects)
    rng = np.random.default_rng(int(seed))
    counts = sc.counts(_counts(n_providers))
    periods = pd.date_range(pd.Timestamp(start), periods=n_months, freq="MS")
    winter = _winter(periods)
    trend = np.arange(n_months, dtype=float)

    kinds = (["nhs"] * counts["nhs"] + ["independent"] * counts["independent"]
             + ["for_profit"] * counts["for_profit"]
             + ["not_for_profit"] * counts["not_for_profit"]
             + ["local_authority"] * counts["local_authority"])
    kinds_a = np.asarray(kinds)
    n = len(kinds)
    is_nhs = kinds_a == "nhs"
    is_ind = kinds_a == "independent"
    acute = is_nhs | is_ind
    home = ~acute
    fp = kinds_a == "for_profit"
    nfp = kinds_a == "not_for_profit"
    la = kinds_a == "local_authority"

    # ---- provider identity -----------------------------------------------------------
    codes, names = [], []
    k = {"nhs": 0, "independent": 0, "home": 0}
    for kind in kinds:
        if kind == "nhs":
            k["nhs"] += 1
            codes.append(f"R{k['nhs']:03d}")
            names.append(f"Synthetic NHS Trust {k['nhs']:03d}")
        elif kind == "independent":
            k["independent"] += 1
            codes.append(f"N{k['independent']:03d}")
            names.append(f"Synthetic Independent Hospital {k['independent']:03d}")
        else:
            k["home"] += 1
            codes.append(f"1-{100000 + k['home']:06d}")
            names.append(f"Synthetic Care Home {k['home']:03d}")
    region = rng.choice(np.asarray(M.REGIONS, dtype=object), size=n)
    sector = np.where(is_nhs, "nhs", np.where(is_ind | fp | nfp, "independent", "local_authority"))
    ownership = np.where(is_nhs, "nhs", np.where(is_ind, "for_profit", kinds_a))
    setting = np.where(acute, "acute", "care_home")

    # ---- case mix and size (time-invariant) --------------------------------------------
    cmi = np.where(is_nhs, rng.normal(1.00, 0.08, n),
                   np.where(is_ind, rng.normal(1.00 + sel * (0.78 - 1.00), 0.08, n),
                            np.where(la, rng.normal(1.30, 0.10, n),
                                     np.where(nfp, rng.normal(1.20, 0.10, n),
                                              rng.normal(1.15, 0.10, n)))))
    age75 = np.where(is_nhs, rng.normal(24, 3, n),
                     np.where(is_ind, rng.normal(24 + sel * (16 - 24), 3, n), rng.normal(85, 5, n)))
    dep = np.where(is_nhs, rng.normal(23, 6, n),
                   np.where(is_ind, rng.normal(23 + sel * (17 - 23), 5, n), rng.normal(21, 7, n)))
    beds = np.where(is_nhs, rng.lognormal(np.log(700), 0.35, n),
                    np.where(is_ind, rng.lognormal(np.log(60), 0.35, n),
                             np.where(fp, rng.lognormal(np.log(50), 0.3, n),
                                      rng.lognormal(np.log(38), 0.3, n))))
    beds = np.round(beds)
    cmi, age75, dep = np.clip(cmi, 0.3, 3), np.clip(age75, 1, 99), np.clip(dep, 2, 80)
    ctx = S.Context(n=n, n_months=n_months, is_nhs=is_nhs, is_ind=is_ind, acute=acute,
                    cmi=cmi, counts=counts)
    terms = sc.terms(seed, ctx, e)

    # ---- provider effects ----------------------------------------------------------------
    def pe(sd: float) -> np.ndarray:
        return rng.normal(0, sd, n)

    staff_mean = np.where(acute, 13.0 + e.independent_on_staffing * is_ind,
                          10.0 - 0.5 * fp + 0.5 * nfp + 0.3 * la) + pe(1.5) * acute + pe(1.2) * home
    staff_mean = staff_mean + terms.staff_provider
    u_wait, u_fft, u_ae = pe(1.5), pe(1.2), pe(5.0)
    v_compl = rng.normal(-0.02, 0.2, n)   # log frailty with E[exp(v)] = 1
    eng_mean = 6.8 + e.independent_on_engagement * is_ind + pe(0.3)
    vac_mean = np.where(acute, np.where(is_ind, 8.0, 10.0), np.where(fp, 11.0, 9.5)) + pe(2.0)
    sick_mean = np.where(is_ind, 4.0, np.where(acute, 5.6, 5.0)) + pe(0.6)

    # ---- monthly series (n x T) -------------------------------------------------------
    shape = (n, n_months)
    staffing = (staff_mean[:, None] - 0.5 * winter[None, :] + rng.normal(0, 0.4, shape)
                + terms.staff_month)
    staffing = np.clip(staffing, 2, 40)
    eng_dev = np.zeros((n, n_months + 1))
    eng_dev[:, 0] = rng.normal(0, 0.15 / np.sqrt(1 - 0.36), n)
    for t in range(1, n_months + 1):
        eng_dev[:, t] = 0.6 * eng_dev[:, t - 1] + rng.normal(0, 0.15, n)
    engagement_all = np.clip(eng_mean[:, None] + eng_dev, 0, 10)
    engagement, engagement_lag = engagement_all[:, 1:], engagement_all[:, :-1]

    vacancy = np.clip(vac_mean[:, None] - 0.8 * (staffing - staff_mean[:, None])
                      + rng.normal(0, 0.5, shape), 0.5, 40)
    sickness = np.clip(sick_mean[:, None] + 0.8 * winter[None, :]
                       + rng.normal(0, 0.3, shape), 0.5, 20)

    wait = (12.0 + terms.b_sw[:, None] * (staffing - 13.0)
            + e.case_mix_on_wait * (cmi - 1.0)[:, None] + e.age75_on_wait * (age75 - 24)[:, None]
            + e.deprivation_on_wait * (dep - 23)[:, None]
            + e.independent_on_wait * is_ind[:, None] + 0.8 * winter[None, :]
            - 0.02 * trend[None, :] + u_wait[:, None] + rng.normal(0, 0.5, shape)
            + terms.wait)
    wait = np.clip(wait, 1.0, 60.0)
    pct18 = np.clip(100 * (1 - 2.0 ** (-18 / wait)) + rng.normal(0, 0.5, shape), 1, 100)
    wl = np.round(beds[:, None] * np.where(is_nhs, 45.0, 25.0)[:, None] * (wait / 12.0)
                  * np.exp(rng.normal(0, 0.05, shape)))
    within18 = np.round(wl * pct18 / 100)
    over52 = np.round(wl * 2.0 ** (-52 / wait))

    ae_pct = np.clip(74.0 + e.staffing_on_ae * (staffing - 13.0) - 4.0 * winter[None, :]
                     + u_ae[:, None] + rng.normal(0, 1.5, shape) + terms.ae[:, None], 30, 99)
    ae_att = rng.poisson(beds[:, None] * 15.0 * (1 + 0.05 * winter[None, :]))
    ae_over4 = rng.binomial(ae_att, 1 - ae_pct / 100)
    ae_12h = rng.poisson(ae_att * 0.015 * (1 + winter[None, :]))
    ae_pct_obs = 100 * (1 - ae_over4 / np.maximum(ae_att, 1))
    emerg = rng.binomial(ae_att, 0.28)

    episodes = rng.poisson(beds[:, None] * np.where(is_nhs, 8.5, np.where(is_ind, 12.0, 0.9))[:, None]
                           * np.ones(shape))
    fft_p = (92.0 + e.wait_on_fft * (wait - 12.0) + terms.b_sf[:, None] * (staffing - 13.0)
             + e.engagement_lag1_on_fft * (engagement_lag - 6.8)
             + e.case_mix_on_fft * (cmi - 1.0)[:, None] + e.age75_on_fft * (age75 - 24)[:, None]
             + e.deprivation_on_fft * (dep - 23)[:, None] + e.independent_on_fft * is_ind[:, None]
             - 0.5 * winter[None, :] + u_fft[:, None] + rng.normal(0, 0.5, shape)
             + terms.fft)
    fft_p = np.clip(fft_p, 40, 100)
    fft_resp = rng.poisson(episodes * 0.25)
    fft_pos = rng.binomial(fft_resp, fft_p / 100)

    log_rate = (np.log(4.0) + e.wait_on_complaints * (wait - 12.0)
                + e.staffing_on_complaints * (staffing - 13.0)
                + e.case_mix_on_complaints * (cmi - 1.0)[:, None]
                + e.independent_on_complaints * is_ind[:, None] + v_compl[:, None]
                + terms.log_rate[:, None])
    home_log_rate = (np.log(8.0) + e.staffing_on_complaints * (staffing - 10.0)
                     + v_compl[:, None])
    log_rate = np.where(acute[:, None], log_rate, home_log_rate)
    complaints = rng.poisson(episodes / 1000 * np.exp(log_rate))

    # ---- CQC ratings (fixed over the panel) ------------------------------------------
    acute_latent = (e.staffing_on_cqc * (staff_mean - 13.0) + e.engagement_on_cqc * (eng_mean - 6.8)
                    + e.independent_on_cqc * is_ind + rng.logistic(0, 1, n) + terms.cqc)
    home_latent = (e.care_staffing_on_cqc * (staff_mean - 10.0) + e.for_profit_on_cqc * fp
                   + e.local_authority_on_cqc * la + rng.logistic(0, 1, n))
    overall = np.where(acute, _ordinal(acute_latent, (-2.75, -0.12, 2.75)),
                       _ordinal(home_latent, (-4.6, -2.1, 3.6)))
    caring = np.where(acute, _ordinal(acute_latent + 1.0 + rng.logistic(0, 0.5, n), (-2.75, -0.12, 2.75)),
                      _ordinal(home_latent + 0.8 + rng.logistic(0, 0.5, n), (-4.6, -2.1, 3.6)))
    responsive = np.where(acute, _ordinal(acute_latent - 0.3 * (u_wait) + rng.logistic(0, 0.5, n),
                                          (-2.75, -0.12, 2.75)),
                          _ordinal(home_latent + rng.logistic(0, 0.5, n), (-4.6, -2.1, 3.6)))

    # ---- assemble ---------------------------------------------------------------------
    def long(a) -> np.ndarray:
        return np.asarray(a, dtype=float).reshape(-1)

    def rep(a) -> np.ndarray:
        return np.repeat(np.asarray(a), n_months)

    acute_rep, nhs_rep, home_rep = rep(acute), rep(is_nhs), rep(home)

    def only(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
        return np.where(mask, values, np.nan)

    panel = pd.DataFrame({
        "provider_code": rep(codes),
        "provider_name": rep(names),
        "sector": rep(sector),
        "ownership": rep(ownership),
        "setting": rep(setting),
        "region": rep(region),
        "period": np.tile(periods.values, n),
        "nurse_fte_per_10_beds": np.round(long(staffing), 3),
        "rn_vacancy_pct": np.round(long(vacancy), 3),
        "sickness_absence_pct": np.round(long(sickness), 3),
        "staff_engagement": only(acute_rep, np.round(long(engagement), 4)),
        "staff_recommend_care_pct": only(nhs_rep, np.round(np.clip(
            70 + 8 * (long(engagement) - 6.8) + rng.normal(0, 2, n * n_months), 0, 100), 2)),
        "staff_work_stress_pct": only(nhs_rep, np.round(np.clip(
            40 - 5 * (long(engagement) - 6.8) + rng.normal(0, 2, n * n_months), 0, 100), 2)),
        "rtt_median_weeks": only(acute_rep, np.round(long(wait), 3)),
        "rtt_pct_within_18w": only(acute_rep, np.round(long(pct18), 3)),
        "rtt_waiting_list": only(acute_rep, long(wl)),
        "rtt_within_18w": only(acute_rep, long(within18)),
        "rtt_over_52w": only(acute_rep, long(over52)),
        "ae_attendances": only(nhs_rep, long(ae_att)),
        "ae_over_4h": only(nhs_rep, long(ae_over4)),
        "ae_pct_within_4h": only(nhs_rep, np.round(long(ae_pct_obs), 4)),
        "ae_12h_waits": only(nhs_rep, long(ae_12h)),
        "emergency_admissions": only(nhs_rep, long(emerg)),
        "fft_responses": only(acute_rep, long(fft_resp)),
        "fft_positive": only(acute_rep, long(fft_pos)),
        "fft_pct_positive": only(acute_rep, np.round(
            100 * long(fft_pos) / np.maximum(long(fft_resp), 1), 4)),
        "complaints": long(complaints),
        "complaints_per_1000": np.round(1000 * long(complaints) / np.maximum(long(episodes), 1), 4),
        "cqc_overall": rep(overall),
        "cqc_caring": rep(caring),
        "cqc_responsive": rep(responsive),
        "pct_aged_75_plus": np.round(rep(age75).astype(float), 3),
        "case_mix_index": np.round(rep(cmi).astype(float), 4),
        "deprivation_imd": np.round(rep(dep).astype(float), 3),
        "beds": rep(beds).astype(float),
        "episodes": long(episodes),
    })
    # independent hospitals publish no vacancy or sickness data in NHS statistics; keep
    # them in the synthetic panel (to test what could be learnt if they did) but not
    # engagement for care homes, which have no NHS Staff Survey.
    panel.loc[home_rep, "staff_engagement"] = np.nan
    settings = {"seed": int(seed), "n_providers": int(n_providers), "n_months": int(n_months),
                "start": str(pd.Timestamp(start).date()), "effects": asdict(effects),
                **({"selection": sel} if sel != 1.0 else {}),
                **({"scenario": scenario} if scenario != S.DEFAULT_SCENARIO else {}),
                **({"effect_overrides": overrides} if overrides else {}),
                "provider_counts": counts}
    panel = validate_panel(panel, source=f"synthetic(seed={seed})")
    truth = sc.truth(true_effects(e), e, ctx)
    flows = generate_flows(panel, seed)  # from a stream of its own: the panel is unchanged
    return SyntheticData(panel=panel, truth=truth, settings=settings, estimands=sc.estimands(),
                         flows=flows)


def read_truth(path: str | Path) -> dict[str, float]:
    """Read the ``truth`` mapping from a ``truth.json`` written by :meth:`SyntheticData.write`."""
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    return {k: float(v) for k, v in doc["truth"].items()}
