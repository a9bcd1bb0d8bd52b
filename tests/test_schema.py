"""The panel schema rejects wrong data with one error naming column, rows and rule."""

import pandas as pd
import pytest

from workbench.data.schema import validate_panel
from workbench.data.synth import generate
from workbench.errors import PanelValidationError


@pytest.fixture(scope="module")
def panel():
    return generate(seed=5, n_providers=24, n_months=3).panel


def _error(df) -> PanelValidationError:
    with pytest.raises(PanelValidationError) as info:
        validate_panel(df, source="panel.parquet")
    return info.value


def test_valid_panel_passes(panel):
    out = validate_panel(panel)
    assert out["cqc_overall"].cat.ordered
    assert list(out["cqc_overall"].cat.categories) == [
        "Inadequate", "Requires improvement", "Good", "Outstanding"]


def test_out_of_range_value_names_column_rows_and_rule(panel):
    bad = panel.copy()
    bad.loc[[3, 7], "rtt_median_weeks"] = 250.0
    err = _error(bad)
    row = err.failures.set_index("column").loc["rtt_median_weeks"]
    assert row["rows"] == [3, 7]
    assert "0" in row["rule"] and "104" in row["rule"]
    assert "panel.parquet" in str(err) and "rtt_median_weeks" in str(err)


def test_duplicate_provider_month(panel):
    bad = pd.concat([panel, panel.iloc[[0]]], ignore_index=True)
    err = _error(bad)
    assert "duplicate provider-month" in str(err)
    assert "provider_code, period" in set(err.failures["column"])


def test_unknown_sector(panel):
    bad = panel.copy()
    bad.loc[2, "sector"] = "private"
    err = _error(bad)
    row = err.failures.set_index("column").loc["sector"]
    assert row["rows"] == [2] and "'private'" in str(row["values"])


def test_wrong_dtype(panel):
    bad = panel.copy()
    bad["beds"] = bad["beds"].astype(object)
    bad.loc[0, "beds"] = "forty"
    err = _error(bad)
    assert "beds" in set(err.failures["column"])
    assert "float64" in err.failures.set_index("column").loc["beds", "rule"]


def test_unknown_rating_and_missing_identity(panel):
    bad = panel.copy()
    bad["cqc_overall"] = bad["cqc_overall"].astype(object)
    bad.loc[1, "cqc_overall"] = "Excellent"
    assert "cqc_overall" in set(_error(bad).failures["column"])
    err = _error(panel.drop(columns=["sector"]))
    assert "required identity column" in str(err)


def test_all_problems_reported_at_once(panel):
    bad = panel.copy()
    bad.loc[0, "sector"] = "martian"
    bad.loc[1, "fft_pct_positive"] = -5.0
    err = _error(bad)
    assert {"sector", "fft_pct_positive"} <= set(err.failures["column"])
