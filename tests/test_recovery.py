"""The notebooks' analyses recover the synthetic truth.

For the default seed every interval with a true value covers it; across 20 seeds
(slow) each estimand is covered at least 17 times in 20.
"""

from collections import defaultdict

import pytest

from workbench.analysis import questions
from workbench.data.synth import generate, truth_for


def _all_findings(panel):
    out = []
    for subset in ("acute", "nhs", "independent"):
        out += questions.staffing_waits_satisfaction(panel, subset=subset)
    return out + questions.nhs_vs_independent(panel)


def test_default_seed_intervals_cover_the_truth():
    sd = generate()
    checked = 0
    for f in _all_findings(sd.panel):
        t = truth_for(f.id, sd.truth)
        if t is None:
            continue
        checked += 1
        assert f.covers(t), f"{f.id}: {f.estimate:.3f} [{f.ci_low:.3f}, {f.ci_high:.3f}] vs {t}"
    assert checked >= 40


def test_naive_sector_difference_is_confounded():
    sd = generate()
    fs = {f.id: f for f in questions.nhs_vs_independent(sd.panel)}
    naive = fs["naive:sector[independent]->rtt_median_weeks@acute"]
    truth = sd.truth["adjusted:sector[independent]->rtt_median_weeks@acute"]
    assert not naive.covers(truth)


@pytest.mark.slow
def test_coverage_across_twenty_seeds():
    hits = defaultdict(list)
    for seed in range(1, 21):
        sd = generate(seed=seed)
        for f in _all_findings(sd.panel):
            t = truth_for(f.id, sd.truth)
            if t is not None:
                hits[f.id].append(f.covers(t))
    low = {k: sum(v) for k, v in hits.items() if sum(v) < 17}
    assert not low, f"estimands covered fewer than 17/20 times: {low}"
