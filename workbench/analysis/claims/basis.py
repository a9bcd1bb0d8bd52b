"""Which evidence an effect claim is judged on: within-provider estimates, or pooled ones
only when a between-within (Mundlak) test finds no gap.

A claim about an effect ("better staffing goes with shorter waits") can be judged on two
kinds of estimate:

* **within provider** (:func:`within_spec`): provider and month fixed effects,
  provider-clustered (t with G-1 df), as notebook 02's ``#fe`` models. Each provider is
  compared with itself over time, so nothing about a provider that does not change over the
  panel (case mix, sector, how well it is run) can stand in for the effect;
* **pooled** (the case-mix-adjusted model across providers): more precise, but biased when
  an unmeasured provider characteristic moves both the exposure and the outcome (scenario
  ``confounded`` of :mod:`workbench.data.scenarios`: with no staffing effect at all the
  pooled model finds one).

The **between-within (Mundlak) test** (:func:`mundlak_test`) adds each provider's mean of
each exposure (over the model's rows) to the pooled model; the within-provider slope is
then the exposure's own coefficient and the mean's coefficient is the gap between the
slope across providers and the slope within them. A provider-clustered Wald test of the
mean terms (F with q and G-1 degrees of freedom) asks whether there is a gap.

**The rule** (:func:`choose_basis`): a claim is judged on the pooled estimates only when
the test of every model the claim rests on finds no gap at :data:`MUNDLAK_ALPHA` (p at
least 0.20); a gap in any of them, or a test that cannot be made, means within-provider
estimates. The threshold is deliberately lenient towards a gap: the test guards against
the error that matters (a confident verdict that rests on differences between providers),
and choosing the within estimate when there is no gap costs only precision, never bias,
whereas a test at 5% lets through gaps large enough to turn a null effect into a
"supported" verdict at the register's level. The verdict sentence and the finding's
parameters (``basis``, ``mundlak``) say which evidence was used and why.

Sector and ownership contrasts (private versus NHS, privately run versus council-run
homes) do not change within a provider, so they have no within-provider estimate: those
claims stay on the comparison between providers, and say so (:data:`SECTOR_NOTE`).

>>> from workbench.data.synth import Effects, generate
>>> from workbench.analysis.models import fit as md
>>> null = generate(seed=1, n_providers=120, n_months=24, scenario="confounded",
...                 effects=Effects(staffing_on_wait=0.0, staffing_on_fft=0.0)).panel
>>> spec = md.ModelSpec("fft_pct_positive", ("nurse_fte_per_10_beds",),
...                     md.CASE_MIX + ("sector_independent",), subset="acute")
>>> b = choose_basis(null, [spec])
>>> b.kind, b.tests[0].gap
('within', True)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import stats

from workbench.analysis.findings import formatting
from workbench.analysis.models import fit as md
from workbench.errors import AnalysisInputError

__all__ = ["MUNDLAK_ALPHA", "SECTOR_NOTE", "Basis", "MundlakTest", "choose_basis",
           "mundlak_test", "within_spec"]

#: A between-within test with p below this finds a gap (see the module for the choice).
MUNDLAK_ALPHA = 0.20

#: What a sector claim says about its basis.
SECTOR_NOTE = ("Being an independent provider does not change within a provider over the "
               "panel, so this claim has no within-provider estimate: it rests on the "
               "comparison between providers, which an unmeasured difference between the "
               "sectors' providers would bias (the E-value says how strong one would have "
               "to be).")

#: The within-provider model in words (the verdict's "Judged on the ...").
WITHIN_WORDS = ("within-provider estimates (provider and month fixed effects, "
                "provider-clustered)")
POOLED_WORDS = "pooled case-mix-adjusted estimates (between and within providers)"


@dataclass
class MundlakTest:
    """The between-within test of one pooled model: the clustered Wald statistic of the
    provider means of its exposures (``statistic``, an F with ``q`` and ``df``
    degrees of freedom), its ``p_value``, or ``error`` when it could not be made.
    """

    outcome: str
    exposures: tuple[str, ...]
    statistic: float = float("nan")
    q: int = 0
    df: int = 0
    p_value: float = float("nan")
    error: str = ""

    @property
    def gap(self) -> bool:
        """A gap between the slope across providers and within them (or no test)."""
        return bool(self.error) or not self.p_value >= MUNDLAK_ALPHA

    def words(self) -> str:
        """The test in words.

        >>> MundlakTest("fft_pct_positive", ("x",), 12.5, 1, 79, 0.0007).words()
        'FFT positive responses (%): F(1, 79) = 12.5, p < 0.001'
        """
        what = md.exposure_label(self.outcome)
        from workbench.data import measures as M

        if self.outcome in M.MEASURES:
            what = M.label(self.outcome)
        if self.error:
            return f"{what}: no test ({self.error})"
        return (f"{what}: F({self.q}, {self.df}) = {formatting.number(self.statistic, 3)}, "
                f"p {_p(self.p_value)}")

    def as_dict(self) -> dict:
        """The test as plain values (a finding's parameters)."""
        return {"outcome": self.outcome, "exposures": list(self.exposures),
                "F": None if not np.isfinite(self.statistic) else float(self.statistic),
                "q": self.q, "df": self.df,
                "p_value": None if not np.isfinite(self.p_value) else float(self.p_value),
                "gap": self.gap, **({"error": self.error} if self.error else {})}


def _p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"= {formatting.p_value(p)}"


def mundlak_test(spec: md.ModelSpec, panel: pd.DataFrame) -> MundlakTest:
    """The between-within (Mundlak) test of the pooled ``spec`` on ``panel`` (see the
    module): the provider means of ``spec.exposures`` over the model's rows are added to
    its controls and their coefficients are tested together, provider-clustered (CRV1
    covariance, F with q and G-1 degrees of freedom). Never raises for the data: a model
    that cannot be fitted gives a test with ``error`` (which counts as a gap).

    >>> from workbench.data.synth import generate
    >>> p = generate(seed=3, n_providers=80, n_months=12).panel
    >>> t = mundlak_test(md.ModelSpec("rtt_median_weeks", ("nurse_fte_per_10_beds",),
    ...                               md.CASE_MIX, subset="acute"), p)
    >>> t.q, t.df, 0 <= t.p_value <= 1
    (1, 41, True)
    """
    if spec.kind != "ols":
        raise AnalysisInputError("mundlak_test", "spec", f"is of kind {spec.kind!r}",
                                 expected="a pooled linear model (kind='ols')")
    out = MundlakTest(spec.outcome, tuple(spec.exposures))
    try:
        rows = md.prepare(spec, panel)
        means = []
        for x in spec.exposures:
            name = f"{x}_provider_mean"
            rows[name] = rows.groupby(spec.cluster)[x].transform("mean")
            means.append(name)
        f = md.fit(replace(spec, adjust=(*spec.adjust, *means), inference="cluster",
                           weights=None), rows)
        b = pd.Series(f.result.params)[means].to_numpy(float)
        V = pd.DataFrame(f.result.cov_params()).loc[means, means].to_numpy(float)
        q, df = len(means), int(f.clusters) - 1
        W = float(b @ np.linalg.solve(V, b)) / q
    except (AnalysisInputError, KeyError, ValueError, np.linalg.LinAlgError) as err:
        out.error = f"the model with provider means could not be fitted: {err}"[:300]
        return out
    if not np.isfinite(W) or df < 1:
        out.error = "the test statistic is not finite"
        return out
    out.statistic, out.q, out.df = W, q, df
    out.p_value = float(stats.f.sf(W, q, df))
    return out


def within_spec(spec: md.ModelSpec, adjust: tuple[str, ...] = ()) -> md.ModelSpec:
    """The within-provider version of the pooled ``spec``: the same outcome, exposures,
    subset and prefix, provider and month fixed effects (``kind="fe"``), ids ending
    ``#fe`` (as notebook 02's), controls ``adjust`` (time-invariant ones are absorbed).

    >>> within_spec(md.ModelSpec("rtt_median_weeks", ("nurse_fte_per_10_beds",),
    ...                          md.CASE_MIX)).label()
    'rtt_median_weeks ~ nurse_fte_per_10_beds + C(month) + provider fixed effects'
    """
    return md.ModelSpec(spec.outcome, tuple(spec.exposures), tuple(adjust), kind="fe",
                        subset=spec.subset, prefix=spec.prefix, suffix="fe")


@dataclass
class Basis:
    """The evidence an effect claim is judged on: ``kind`` ``within`` or ``pooled``,
    the between-within ``tests`` that chose it, and why in words (:meth:`sentence`).
    """

    kind: str
    tests: list[MundlakTest] = field(default_factory=list)

    @property
    def judged(self) -> str:
        """What the verdict is judged on, in words."""
        return WITHIN_WORDS if self.kind == "within" else POOLED_WORDS

    def sentence(self) -> str:
        """Why this evidence, in words: the tests and the rule.

        >>> Basis("within", [MundlakTest("rtt_median_weeks", ("x",), 30.0, 1, 70,
        ...                              1e-6)]).sentence()[:59]
        'Judged within providers because the between-within (Mundlak'
        """
        level = formatting.number(MUNDLAK_ALPHA)
        if self.kind == "within":
            gaps = [t for t in self.tests if t.gap]
            rest = [t for t in self.tests if not t.gap]
            found = "; ".join(t.words() for t in gaps) or "no model to test"
            others = (f" (no gap for {'; '.join(t.words() for t in rest)})" if rest else "")
            return (f"Judged within providers because the between-within (Mundlak) test of "
                    f"the pooled model finds a gap between the slope across providers and "
                    f"the slope within them, or cannot be made, for {found}{others}; a gap "
                    f"is p < {level}. The pooled estimates could reflect differences between "
                    "providers rather than the effect.")
        tests = "; ".join(t.words() for t in self.tests)
        return (f"Judged on the pooled estimates because the between-within (Mundlak) test "
                f"finds no gap between the slope across providers and within them ({tests};"
                f" no gap when p >= {level} for every model), so the pooled estimates, "
                "more precise, estimate the same effect.")

    def parameters(self) -> dict:
        """The basis as a finding's parameters."""
        return {"basis": "within-provider" if self.kind == "within" else "pooled",
                "basis_reason": self.sentence(), "mundlak_alpha": MUNDLAK_ALPHA,
                "mundlak": [t.as_dict() for t in self.tests]}


def choose_basis(panel: pd.DataFrame, specs: list[md.ModelSpec]) -> Basis:
    """The evidence a claim resting on the pooled models ``specs`` is judged on: pooled
    only when the between-within test of every one finds no gap (:data:`MUNDLAK_ALPHA`),
    else within providers (see the module).
    """
    tests = [mundlak_test(s, panel) for s in specs]
    return Basis("within" if not tests or any(t.gap for t in tests) else "pooled", tests)
