"""On fresh seeds of every scenario, notebook 02's headline estimates cover their truths.

The headline findings of :func:`workbench.analysis.questions.staffing_waits_satisfaction.staffing_waits_satisfaction`
(within-provider fixed effects) are run on every subset notebook 02 reports (all acute
providers, NHS trusts, independent hospitals) for ``REPLICATES`` fresh seeds of each
scenario. Asserted: pooled over the headline estimands and seeds, each scenario's 95%
intervals cover the truth at least 0.90 of the time. With six independent hospitals
(``few_independent``) the independent-sector estimates are diagnostics, not headlines
(the headline rule, :mod:`workbench.analysis.findings.roles`).
The seeds are not those of the other tests (30001 onwards).
"""

import os
import warnings
from concurrent.futures import ProcessPoolExecutor

import pytest

from workbench.data import scenarios as S

REPLICATES = 16
FIRST_SEED = 30001


def _headline_hits(args):
    scenario, seed = args
    warnings.simplefilter("ignore")
    from workbench.analysis.findings.record import truth_for
    from workbench.analysis.questions import staffing_waits_satisfaction as q02
    from workbench.data.synth import generate

    sd = generate(seed=seed, scenario=scenario)
    hits = []
    for subset in ("acute", "nhs", "independent"):
        for f in q02.staffing_waits_satisfaction(sd.panel, subset=subset, mixed=False):
            if f.role == "headline":
                hits.append((f.id, f.covers(truth_for(f, sd.truth))))
            elif f.role == "diagnostic" and f.key.variant == "fe":
                hits.append((f.id, None))
    return scenario, hits


@pytest.mark.slow
@pytest.mark.timeout(2700)   # 128 panels: about 15 minutes on two busy cores
def test_headline_estimates_cover_their_truths_in_every_scenario():
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    jobs = [(s, FIRST_SEED + k) for s in S.names() for k in range(REPLICATES)]
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(_headline_hits, jobs))
    coverage = {}
    for scenario in S.names():
        found = [(fid, h) for s, part in results if s == scenario for fid, h in part]
        # six within-provider effects per subset, and A&E within 4 hours for NHS trusts;
        # the engagement effect is within provider too, a diagnostic with too few providers
        few = 1 if scenario == "few_independent" else 0
        assert len(found) == REPLICATES * (19 + few), (scenario, len(found))
        # six independent hospitals: their within-provider estimates are diagnostics
        diagnostic = {fid.split("@")[1].split("#")[0] for fid, h in found if h is None}
        assert diagnostic == ({"independent"} if scenario == "few_independent" else set())
        hits = [h for _, h in found if h is not None]
        coverage[scenario] = sum(hits) / len(hits)
    print({k: round(v, 3) for k, v in coverage.items()})
    assert all(c >= 0.90 for c in coverage.values()), coverage
