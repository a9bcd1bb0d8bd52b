"""The synthetic default: deterministic, calibrated, structurally confounded, with truth."""

import hashlib
import io

import numpy as np
import pytest

from workbench.data.synth import generate, read_truth, true_effects
from workbench.errors import GeneratorError, GeneratorTypeError


def _bytes(df) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


@pytest.fixture(scope="module")
def default():
    return generate()


def test_same_seed_same_bytes_other_seed_differs():
    a, b = generate(seed=11, n_providers=40, n_months=6), generate(seed=11, n_providers=40,
                                                                     n_months=6)
    assert hashlib.sha256(_bytes(a.panel)).digest() == hashlib.sha256(_bytes(b.panel)).digest()
    c = generate(seed=12, n_providers=40, n_months=6)
    assert not a.panel.equals(c.panel)


def test_write_round_trip(tmp_path):
    sd = generate(seed=3, n_providers=30, n_months=3)
    panel_path, truth_path = sd.write(tmp_path)
    assert panel_path.read_bytes() == _bytes(sd.panel)
    assert read_truth(truth_path) == sd.truth


def test_default_size_and_provider_types(default):
    p = default.panel
    assert p["provider_code"].nunique() >= 200 and p["period"].nunique() >= 36
    first = p.drop_duplicates("provider_code")
    assert set(first["ownership"]) == {"nhs", "for_profit", "not_for_profit", "local_authority"}
    homes = first[first["setting"] == "care_home"]["ownership"].value_counts(normalize=True)
    assert homes["for_profit"] > homes["not_for_profit"] > homes["local_authority"]


def test_calibrated_national_levels(default):
    p = default.panel
    acute = p[p["setting"] == "acute"]
    by = acute.groupby("sector")
    # calibration_facts.csv + April 2026 RTT extract: ~64% NHS, ~75% independent within 18 weeks
    assert 60 <= by["rtt_pct_within_18w"].mean()["nhs"] <= 69
    assert 70 <= by["rtt_pct_within_18w"].mean()["independent"] <= 80
    assert 70 <= acute["ae_pct_within_4h"].mean() <= 77          # ae_4hr_performance
    assert 8.5 <= by["rn_vacancy_pct"].mean()["nhs"] <= 11.5     # rn_vacancy_rate
    assert 5.0 <= by["sickness_absence_pct"].mean()["nhs"] <= 6.4  # staff_sickness_absence_rate


def test_case_mix_selection_confounds_the_naive_comparison(default):
    acute = default.panel[default.panel["setting"] == "acute"]
    means = acute.groupby("sector")[["case_mix_index", "pct_aged_75_plus"]].mean()
    assert means.loc["independent", "case_mix_index"] < means.loc["nhs", "case_mix_index"] - 0.1
    naive = (acute.groupby("sector")["rtt_median_weeks"].mean().diff().iloc[-1])
    truth = default.truth["adjusted:sector[independent]->rtt_median_weeks@acute"]
    # NHS minus independent in the raw data is larger than the true sector effect
    assert abs(naive) > abs(truth) + 0.5


def test_ratings_ordered_and_for_profit_homes_rated_lower():
    p = generate(seed=8, n_providers=600, n_months=2).panel
    homes = p[p["setting"] == "care_home"].drop_duplicates("provider_code")
    good_share = homes.assign(ok=homes["cqc_overall"] >= "Good").groupby("ownership")["ok"].mean()
    assert good_share["for_profit"] < good_share["not_for_profit"]


def test_counts_are_counts(default):
    p = default.panel.dropna(subset=["fft_responses"])
    assert (p["fft_positive"] <= p["fft_responses"]).all()
    assert np.allclose(p["fft_positive"] % 1, 0) and np.allclose(p["complaints"] % 1, 0)


def test_truth_keys_follow_finding_ids():
    t = true_effects()
    assert t["indirect:nurse_fte_per_10_beds->rtt_median_weeks->fft_pct_positive@acute"] == \
        pytest.approx(-0.4 * -0.5)
    assert all(":" in k and "@" in k for k in t)


def test_bad_arguments():
    with pytest.raises(ValueError, match="n_providers"):
        generate(n_providers=5)
    with pytest.raises(TypeError, match="seed"):
        generate(seed="abc")


def test_bad_arguments_name_the_argument_value_and_what_is_expected():
    with pytest.raises(GeneratorError) as few:
        generate(n_providers=19)
    assert (few.value.parameter, few.value.value) == ("n_providers", 19)
    assert str(few.value).startswith("generate(): n_providers=19 ")
    assert "Expected: at least 20." in str(few.value)
    with pytest.raises(GeneratorTypeError) as seed:
        generate(seed=1.5)
    assert isinstance(seed.value, TypeError) and seed.value.parameter == "seed"
    assert "seed=1.5 is not an integer" in str(seed.value)
    with pytest.raises(GeneratorTypeError, match="seed=True"):
        generate(seed=True)  # a bool is not a seed
    with pytest.raises(GeneratorError, match=r"n_months=1 .*Expected: at least 2"):
        generate(n_months=1)
    with pytest.raises(GeneratorError, match=r"selection=3 .*Expected: between 0 and 2"):
        generate(selection=3)
