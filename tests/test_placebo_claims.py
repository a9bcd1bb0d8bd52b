"""Placebo check of the claims register: NHS trusts labelled independent at random.

Real independent hospitals are removed and k random NHS acute trusts (3, then 10) are
relabelled "independent"; the sector then has no effect and no descriptive difference,
so every supported or contradicted verdict of a sector claim is a false one. Over 200
draws each, the register (wild cluster bootstrap intervals, Bonferroni over its
intervals) gives one in at most 7% of draws, which is what lets
``rules.MIN_PROVIDERS`` stay at 3. Panel reduced to 120 providers x 12 months (38 NHS
acute trusts) to keep the run to a few minutes; run with ``OPENBLAS_NUM_THREADS=1``.
"""

import numpy as np
import pytest

from workbench.analysis.claims import assessment, rules
from workbench.data.synth import generate

SECTOR_CLAIMS = ("private_shorter_waits", "private_more_staff", "private_higher_satisfaction")
DRAWS = 200


@pytest.fixture(scope="module")
def nhs_only():
    panel = generate(seed=11, n_providers=120, n_months=12).panel
    return panel[panel["sector"] != "independent"]


def _false_verdict_rate(panel, k: int) -> tuple[float, dict]:
    codes = panel.loc[panel["setting"] == "acute", "provider_code"].unique()
    false, counts = 0, {}
    for d in range(DRAWS):
        pick = np.random.default_rng(1000 * k + d).choice(codes, k, replace=False)
        p = panel.copy()
        p.loc[p["provider_code"].isin(pick), "sector"] = "independent"
        verdicts = [r.verdict for r in assessment.assess_claims(p, keys=SECTOR_CLAIMS)]
        for v in verdicts:
            counts[v] = counts.get(v, 0) + 1
        false += any(rules.supported(v) or rules.contradicted(v) for v in verdicts)
    return false / DRAWS, counts


@pytest.mark.slow
@pytest.mark.parametrize("k", [3, 10])
def test_placebo_independent_labels_rarely_give_a_verdict(nhs_only, k):
    assert rules.MIN_PROVIDERS <= k
    rate, counts = _false_verdict_rate(nhs_only, k)
    print(f"k={k}: supported/contradicted in {rate:.1%} of {DRAWS} draws; verdicts {counts}")
    assert rate <= 0.07, (rate, counts)
