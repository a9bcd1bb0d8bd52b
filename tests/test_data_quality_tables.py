"""Notebook 01's tables keep every provider: a missing attribute reads "not recorded"."""

from __future__ import annotations

import numpy as np

from workbench.analysis.questions.data_quality import NOT_RECORDED, data_quality
from workbench.data.synth import generate


def test_providers_without_ownership_or_setting_are_counted_as_not_recorded():
    panel = generate(seed=1, n_providers=30, n_months=3).panel
    codes = sorted(panel["provider_code"].unique())
    no_owner, no_setting = codes[:4], codes[4:6]
    panel.loc[panel["provider_code"].isin(no_owner), "ownership"] = np.nan
    panel.loc[panel["provider_code"].isin(no_setting), "setting"] = None
    t = data_quality(panel)
    providers = t["providers"]
    assert providers["providers"].sum() == len(codes)              # nobody falls out
    assert providers.loc[providers["ownership"] == NOT_RECORDED, "providers"].sum() == 4
    assert providers.loc[providers["setting"] == NOT_RECORDED, "providers"].sum() == 2
    assert NOT_RECORDED in set(t["coverage"]["setting"])


def test_categorical_attributes_keep_their_order_and_gain_not_recorded():
    panel = generate(seed=1, n_providers=30, n_months=3).panel
    panel["sector"] = panel["sector"].astype("category")
    first = panel["provider_code"].iloc[0]
    panel.loc[panel["provider_code"] == first, "sector"] = np.nan
    t = data_quality(panel)
    assert t["providers"]["providers"].sum() == panel["provider_code"].nunique()
    assert NOT_RECORDED in set(t["providers"]["sector"].astype(str))


def test_complete_panel_tables_are_unchanged():
    panel = generate(seed=1, n_providers=30, n_months=3).panel
    providers = data_quality(panel)["providers"]
    assert NOT_RECORDED not in set(providers[["setting", "sector", "ownership"]].stack())
    assert providers["providers"].sum() == panel["provider_code"].nunique()
