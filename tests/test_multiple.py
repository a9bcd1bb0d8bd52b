"""Benjamini-Hochberg (and friends) on a tidy findings table."""

import numpy as np
import pandas as pd
import pytest

from workbench.analysis.findings.multiple import adjust_p
from workbench.analysis.findings.record import Finding, findings_frame
from workbench.errors import AnalysisInputError


def test_bh_by_hand():
    # sorted p: .01 .02 .03 .04 .5; BH = p*m/rank then running minimum from the top
    df = pd.DataFrame({"p_value": [0.5, 0.01, 0.04, 0.02, 0.03]})
    got = adjust_p(df)["p_adjusted"].to_numpy()
    np.testing.assert_allclose(got, [0.5, 0.05, 0.05, 0.05, 0.05])


def test_matches_r_p_adjust():
    # R: p.adjust(c(0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205), "BH")
    p = [0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205]
    r = [0.008, 0.032, 0.0672, 0.0672, 0.0672, 0.08, 0.08457143, 0.205]
    np.testing.assert_allclose(adjust_p(pd.DataFrame({"p_value": p}))["p_adjusted"], r,
                               rtol=1e-6)


def test_missing_p_values_are_not_tests():
    df = pd.DataFrame({"p_value": [0.01, None, 0.04]})
    out = adjust_p(df)
    assert np.isnan(out["p_adjusted"].iloc[1])
    np.testing.assert_allclose(out["p_adjusted"].iloc[[0, 2]], [0.02, 0.04])


def test_groups_and_exclude():
    df = pd.DataFrame({"nb": ["a", "a", "b", "b"], "p_value": [0.01, 0.04, 0.01, 0.04],
                       "skip": [False, False, False, True]})
    out = adjust_p(df, by="nb", exclude="skip")
    np.testing.assert_allclose(out["p_adjusted"].iloc[:3], [0.02, 0.04, 0.01])
    assert np.isnan(out["p_adjusted"].iloc[3])
    assert "p_adjusted" not in df.columns  # input untouched


def test_on_findings_frame_and_other_methods():
    fs = [Finding(id=f"effect:x{i}->y@acute", question="q", estimate=1.0, p_value=p)
          for i, p in enumerate([0.01, 0.02, 0.2])]
    df = findings_frame(fs)
    holm = adjust_p(df, method="holm", out="p_holm")["p_holm"].to_numpy()
    np.testing.assert_allclose(holm, [0.03, 0.04, 0.2])


@pytest.mark.parametrize("kwargs, fragment", [
    ({"p": "pval"}, "'pval' is not a column"),
    ({"method": "sidak_magic"}, "method"),
    ({"by": "notebook"}, "notebook"),
])
def test_bad_input(kwargs, fragment):
    with pytest.raises(AnalysisInputError, match=fragment):
        adjust_p(pd.DataFrame({"p_value": [0.1]}), **kwargs)


def test_out_of_range_p_values():
    with pytest.raises(AnalysisInputError, match="outside"):
        adjust_p(pd.DataFrame({"p_value": [0.1, 1.5]}))


def test_fdr_bh_equals_statsmodels():
    from statsmodels.stats.multitest import multipletests

    from workbench.analysis.findings.multiple import fdr_bh

    rng = np.random.default_rng(20240611)
    for n in [1, 2, 3, 7, 50, 400]:
        for _ in range(20):
            p = rng.uniform(size=n)
            p[rng.uniform(size=n) < 0.3] = rng.choice(p)  # ties
            p[rng.uniform(size=n) < 0.05] = 1.0
            p[rng.uniform(size=n) < 0.05] = 0.0
            expected = multipletests(p, method="fdr_bh")[1]
            np.testing.assert_allclose(fdr_bh(p), expected, rtol=0, atol=1e-12)
            np.testing.assert_array_equal(fdr_bh(p), expected)  # the same arithmetic


def test_adjust_p_bh_equals_statsmodels_with_missing_and_groups():
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(7)
    p = np.round(rng.uniform(size=300), 3)  # rounding makes ties
    p[rng.uniform(size=300) < 0.1] = np.nan
    df = pd.DataFrame({"p_value": p, "g": rng.choice(["a", "b", "c"], size=300)})
    got = adjust_p(df, by="g")["p_adjusted"]
    for g, rows in df.groupby("g"):
        keep = rows["p_value"].notna()
        assert got.loc[rows.index[~keep]].isna().all()
        expected = multipletests(rows["p_value"][keep].to_numpy(), method="fdr_bh")[1]
        np.testing.assert_allclose(got.loc[rows.index[keep]], expected, rtol=0, atol=1e-12)
