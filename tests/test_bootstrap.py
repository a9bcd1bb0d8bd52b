"""The one wild cluster bootstrap: the model fits and the staggered DiD draw the same
weights, count ties the same way and run the same restricted (WCR) test."""

import numpy as np
import pytest

from workbench.analysis.models import bootstrap as B
from workbench.errors import AnalysisInputError


def _clustered(seed: int, G: int = 14, per: int = 15):
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(G), per)
    X = np.column_stack([np.ones(G * per), (g < 4).astype(float), rng.normal(size=G * per)])
    y = X @ [1.0, 0.4, 0.2] + rng.normal(size=G)[g] + rng.normal(size=G * per)
    return X, y, g


def test_weights_drawn_in_blocks_are_the_same_draws_whatever_the_caller():
    v = B.webb_draws(7, 600, seed=3, block=250)
    rng = np.random.default_rng(3)
    by_hand = np.concatenate([B.WEBB[rng.integers(0, 6, size=(7, b))] for b in (250, 250, 100)],
                             axis=1)
    assert (v == by_hand).all()
    one = B.webb_draws(7, 600, seed=3)
    assert (one == np.random.default_rng(3).choice(B.WEBB, size=(7, 600))).all()
    assert np.mean(one) == pytest.approx(0.0, abs=0.05) and np.var(one) == pytest.approx(1, 0.05)


def test_a_coefficient_and_its_contrast_vector_are_the_same_test():
    X, y, g = _clustered(1)
    by_index = B.WildClusterBootstrap(X, y, g, 1, n_boot=399, seed=5)
    by_vector = B.WildClusterBootstrap(X, y, g, np.array([0.0, 1.0, 0.0]), n_boot=399, seed=5)
    assert by_vector.estimate == pytest.approx(np.linalg.lstsq(X, y, rcond=None)[0][1])
    for r in (0.0, 0.4, by_index.estimate + by_index.se):
        t_i, o_i = by_index.statistics(r)
        t_v, o_v = by_vector.statistics(r)
        assert t_v == pytest.approx(t_i, rel=1e-9, abs=1e-12) and o_v == pytest.approx(o_i)
    assert by_index.interval(0.9) == pytest.approx(by_vector.interval(0.9), rel=1e-6)


def test_the_did_bootstrap_is_the_model_bootstrap_with_a_bootstrap_t_interval():
    X, y, g = _clustered(2)
    w = np.array([0.0, 1.0, -1.0])
    r = B.wild_cluster_bootstrap(X, y, g, w, n_boot=499, seed=4, n_absorbed=1, block=250)
    wb = B.WildClusterBootstrap(X, y, g, w, n_boot=499, seed=4, n_absorbed=1, block=250)
    assert r["p_value"] == wb.p_value(0.0) and r["se"] == wb.se
    assert (r["ci_low"], r["ci_high"]) == wb.bootstrap_t_interval(0.95)
    assert r["ci_low"] < r["estimate"] < r["ci_high"]
    # bootstrap-t and the inverted WCR test are two intervals for the same estimate
    lo, hi = wb.interval(0.95)
    assert lo < r["estimate"] < hi


def test_too_few_clusters_or_a_contrast_of_the_wrong_length_name_the_argument():
    X, y, g = _clustered(3)
    with pytest.raises(AnalysisInputError, match=r"wild_cluster_bootstrap\(\): cluster has 2"):
        B.wild_cluster_bootstrap(X, y, g % 2, np.array([0.0, 1.0, 0.0]))
    with pytest.raises(AnalysisInputError, match=r"wild_cluster_bootstrap\(\): w has shape"):
        B.wild_cluster_bootstrap(X, y, g, np.array([0.0, 1.0]))
    with pytest.raises(AnalysisInputError, match=r"WildClusterBootstrap\(\): j is 3"):
        B.WildClusterBootstrap(X, y, g, 3)
    with pytest.raises(AnalysisInputError, match=r"wild_cluster_wald\(\): n_boot is 0"):
        B.wild_cluster_wald(X, y, g, np.eye(3)[1:], n_boot=0)
