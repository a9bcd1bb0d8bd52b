"""The notebooks' analyses recover the synthetic truth.

For the default seed every headline interval with a true value covers it; across 20
seeds (slow) each estimand is covered at least 17 times in 20.
"""

from collections import defaultdict

import pytest
from scipy.stats import binom

from workbench.analysis.findings.record import truth_for
from workbench.analysis.questions import nhs_vs_private as q03
from workbench.analysis.questions import staffing_waits_satisfaction as q02
from workbench.data.synth import generate


def _all_findings(panel):
    out = []
    for subset in ("acute", "nhs", "independent"):
        out += q02.staffing_waits_satisfaction(panel, subset=subset)
        out += q02.staffing_pathways(panel, subset=subset)
    return out + q03.nhs_vs_independent(panel)


def test_default_seed_headline_intervals_cover_the_truth():
    sd = generate()
    checked = 0
    for f in _all_findings(sd.panel):
        t = truth_for(f.id, sd.truth)
        if t is None or f.role != "headline":
            continue
        checked += 1
        assert f.covers(t), f"{f.id}: {f.estimate:.3f} [{f.ci_low:.3f}, {f.ci_high:.3f}] vs {t}"
    assert checked >= 20


def test_default_seed_headlines_of_notebook_02_are_within_provider():
    sd = generate()
    for subset in ("acute", "nhs", "independent"):
        found = q02.staffing_waits_satisfaction(sd.panel, subset=subset)
        headline = [f for f in found if f.role == "headline"]
        assert headline and all(f.model.startswith(("fe", "poisson")) and f.key.variant == "fe"
                                for f in headline)
        assert all(truth_for(f, sd.truth) is not None for f in headline)


def test_naive_sector_difference_is_confounded():
    sd = generate()
    fs = {f.id: f for f in q03.nhs_vs_independent(sd.panel)}
    naive = fs["naive:sector[independent]->rtt_median_weeks@acute"]
    truth = sd.truth["adjusted:sector[independent]->rtt_median_weeks@acute"]
    assert not naive.covers(truth)


@pytest.mark.slow
def test_coverage_across_twenty_seeds():
    """Coverage of the 95% intervals over 20 seeds, for every estimand with a true value.

    Asserted: coverage pooled over all estimands and seeds lies in [0.92, 0.98], and no
    estimand falls below the count that exact 95% intervals fall below, for any of the
    ~50 estimands, with probability 1% (14 of 20: binomial quantile with Bonferroni).
    Reported: the estimands covered fewer than 17 times in 20. Exact intervals put a
    single estimand below 17/20 with probability 1.6%, so with ~50 estimands about one
    such estimand is expected by chance (over 80 further seeds the main linear-model
    estimands cover 0.94-0.975).
    """
    hits = defaultdict(list)
    for seed in range(1, 21):
        sd = generate(seed=seed)
        for f in _all_findings(sd.panel):
            t = truth_for(f.id, sd.truth)
            if t is not None:
                hits[f.id].append(f.covers(t))
    counts = {k: sum(v) for k, v in hits.items()}
    pooled = sum(counts.values()) / sum(len(v) for v in hits.values())
    floor = int(binom.ppf(0.01 / len(counts), 20, 0.95))
    below_17 = {k: c for k, c in counts.items() if c < 17}
    print(f"pooled coverage {pooled:.3f} over {len(counts)} estimands; below 17/20: {below_17}")
    assert 0.92 <= pooled <= 0.98, pooled
    assert all(c >= floor for c in counts.values()), {k: c for k, c in counts.items()
                                                      if c < floor}
    assert len(below_17) <= max(2, round(0.1 * len(counts))), below_17
