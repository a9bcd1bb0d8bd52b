"""RTT flows: new clock starts, completions and the list by provider and treatment function,
read from the full extract (parts 1A, 1B, 2 and 3), shaped into a table, aggregated to
England, regions and sectors, and simulated beside the synthetic panel."""

from __future__ import annotations

import hashlib
import io
import warnings

import numpy as np
import pandas as pd
import pytest
from source_helpers import BANDS, RTT_HEADER, extract_row, write_extract

from workbench.data import rtt_flows as F
from workbench.data import synth
from workbench.data.catalogue import Catalogue
from workbench.data.sources import rtt
from workbench.errors import (
    AnalysisInputError,
    IncompleteSourceWarning,
    SourceFormatError,
    SourceIncompleteError,
)


def starts_row(provider: str, count: int, *, tf: str = "C_999", tf_name: str = "Total",
               commissioner: str = "06Q", period: str = "RTT-April-2026") -> list[str]:
    """A Part_3 row as published: blank bands, the count in Total All only."""
    return [period, "QXX", "NHS SOMEWHERE ICB", provider, f"PROVIDER {provider}", "QXX",
            "NHS SOMEWHERE ICB", commissioner, f"NHS ICB - {commissioner}", "Part_3",
            "New RTT Periods - All Patients", tf, tf_name, *[""] * len(BANDS), "", "",
            str(count)]


def flows_rows() -> list[list[str]]:
    """Provider RAA (two functions, two commissioners) and NT1 (one function), every part.

    RAA, trauma and orthopaedics (C_110): 20 + 10 clock starts, 6 admitted, 9 non-admitted,
    list 10 in week 0-1 and 10 in 20-21 (commissioner 06Q) and 5 in 104+ (07G);
    ophthalmology (C_130): 8 clock starts, 4 non-admitted, list 4 in week 17-18.
    """
    return [
        extract_row("RAA", {2: 6}, part="Part_1A", tf="C_110", tf_name="Trauma and Orthopaedic Service"),
        extract_row("RAA", {2: 6}, part="Part_1A"),
        extract_row("RAA", {1: 5, 30: 4}, part="Part_1B", tf="C_110", tf_name="Trauma and Orthopaedic Service"),
        extract_row("RAA", {3: 4}, part="Part_1B", tf="C_130", tf_name="Ophthalmology Service"),
        extract_row("RAA", {1: 5, 30: 4, 3: 4}, part="Part_1B"),
        extract_row("RAA", {0: 10, 20: 10}, tf="C_110", tf_name="Trauma and Orthopaedic Service"),
        extract_row("RAA", {17: 4}, tf="C_130", tf_name="Ophthalmology Service"),
        extract_row("RAA", {0: 10, 20: 10, 17: 4}),
        extract_row("RAA", {104: 5}, tf="C_110", tf_name="Trauma and Orthopaedic Service",
                    commissioner="07G"),
        extract_row("RAA", {104: 5}, commissioner="07G"),
        extract_row("RAA", {5: 2}, part="Part_2A", tf="C_110", tf_name="Trauma and Orthopaedic Service"),
        extract_row("RAA", {5: 2}, part="Part_2A"),
        starts_row("RAA", 20, tf="C_110", tf_name="Trauma and Orthopaedic Service"),
        starts_row("RAA", 8, tf="C_130", tf_name="Ophthalmology Service"),
        starts_row("RAA", 28),
        starts_row("RAA", 10, tf="C_110", tf_name="Trauma and Orthopaedic Service",
                   commissioner="07G"),
        starts_row("RAA", 10, commissioner="07G"),
        starts_row("NT1", 3, tf="C_110", tf_name="Trauma and Orthopaedic Service"),
        starts_row("NT1", 3),
        extract_row("NT1", {1: 2}, tf="C_110", tf_name="Trauma and Orthopaedic Service"),
        extract_row("NT1", {1: 2}),
    ]


@pytest.fixture
def extract(tmp_path):
    return write_extract(tmp_path / "20260430-RTT-April-2026-full-extract.csv", flows_rows())


def test_the_parts_become_flows_by_provider_and_function(extract):
    t = F.from_extract(extract).set_index(["provider_code", "specialty_code"])
    assert list(t.index) == [("NT1", "C_110"), ("RAA", "C_110"), ("RAA", "C_130")]
    to = t.loc[("RAA", "C_110")]
    assert (to["new_clock_starts"], to["completed_admitted"], to["completed_non_admitted"],
            to["waiting_list"]) == (30.0, 6.0, 9.0, 25.0)
    # bands: 10 at 0.5 weeks, 10 at 20.5, 5 in the open band counted at 104
    assert to["within_18w"] == 10 and to["over_52w"] == 5
    assert to["weeks_sum"] == pytest.approx(10 * 0.5 + 10 * 20.5 + 5 * 104)
    eyes = t.loc[("RAA", "C_130")]
    assert (eyes["new_clock_starts"], eyes["completed_admitted"], eyes["waiting_list"],
            eyes["within_18w"]) == (8.0, 0.0, 4.0, 4.0)
    # a part with no row for a provider is 0 pathways (the extract is sparse)
    assert t.loc[("NT1", "C_110"), "completed_non_admitted"] == 0
    assert t.loc[("NT1", "C_110"), "period"] == pd.Timestamp("2026-04-01")
    prov = F.from_extract(extract).attrs["provenance"]
    assert prov["parts"] == ["Part_3", "Part_1A", "Part_1B", "Part_2"] and prov["rows"] == 3


def test_the_list_agrees_with_the_rtt_reader(extract):
    flows = F.from_extract(extract)
    read = rtt.read(extract, by="treatment_function")
    both = flows.merge(read, left_on=["provider_code", "specialty_code"],
                       right_on=["provider_code", "treatment_function_code"])
    assert len(both) == len(read) == 3
    assert (both["waiting_list"] == both["rtt_waiting_list"]).all()
    assert (both["within_18w"] == both["rtt_within_18w"]).all()
    assert (both["over_52w"] == both["rtt_over_52w"]).all()


def test_functions_that_do_not_add_up_are_incomplete(tmp_path):
    rows = flows_rows()
    rows[14] = starts_row("RAA", 29)          # C_999 of Part_3 says 29, functions 28
    path = write_extract(tmp_path / "x.csv", rows)
    with pytest.raises(SourceIncompleteError, match="do not add up.*'RAA', Part_3"):
        F.from_extract(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t = F.from_extract(path, allow_incomplete=True)
    assert any(issubclass(w.category, IncompleteSourceWarning) for w in caught)
    assert t["new_clock_starts"].sum() == 41


def test_flows_refuse_fractional_counts_and_periods_the_file_name_does_not_hold(tmp_path):
    # the RTT reader's own rules, on the parts only the flows read (Part_3, Part_1A/1B)
    name = "20260430-RTT-April-2026-full-extract.csv"
    rows = flows_rows()
    rows[14][-1] = "28.5"                     # Part_3 clock starts: not a whole number
    with pytest.raises(SourceFormatError, match="28.5.*not a whole number"):
        F.from_extract(write_extract(tmp_path / name, rows))
    rows = flows_rows()
    rows[0][rows[0].index("0", 13)] = "0.5"   # a band of a Part_1A row
    with pytest.raises(SourceFormatError, match="not a whole number"):
        F.from_extract(write_extract(tmp_path / name, rows))
    later = [r[:1] and ["RTT-May-2026", *r[1:]] for r in flows_rows()]
    with pytest.raises(SourceFormatError, match="May 2026|2026-05"):
        F.from_extract(write_extract(tmp_path / name, later))


def test_total_all_is_checked_on_banded_parts(tmp_path):
    rows = flows_rows()
    rows[2][-1] = "99"                        # Part_1B row whose Total All is not its bands
    path = write_extract(tmp_path / "x.csv", rows)
    with pytest.raises(SourceIncompleteError, match="Total All"):
        F.from_extract(path)


def test_a_file_without_the_parts_or_with_a_cut_row_is_refused(tmp_path):
    only_2a = [extract_row("RAA", {1: 1}, part="Part_2A")]
    with pytest.raises(SourceFormatError, match="no rows of RTT parts"):
        F.from_extract(write_extract(tmp_path / "a.csv", only_2a))
    header = [c for c in RTT_HEADER if c != "Total All"]
    with pytest.raises(SourceFormatError, match="Total All"):
        F.from_extract(write_extract(tmp_path / "b.csv", [r[:-1] for r in flows_rows()],
                                     header=header))
    cut = write_extract(tmp_path / "c.csv", flows_rows())
    cut.write_bytes(cut.read_bytes()[:-40])
    with pytest.raises(SourceIncompleteError):
        F.from_extract(cut)


def test_derived_columns_and_the_implied_other_removals(extract):
    panel = pd.DataFrame({"provider_code": ["RAA", "NT1"], "sector": ["nhs", "independent"],
                          "region": ["London", None]})
    t = F.collect([(F.from_extract(extract), extract)], panel)
    assert list(t.columns[:len(F.TABLE_COLUMNS)]) == F.TABLE_COLUMNS
    to = t.set_index(["provider_code", "specialty_code"]).loc[("RAA", "C_110")]
    assert to["sector"] == "nhs" and to["region"] == "London"
    assert to["completed"] == 15 and bool(to["steady_assumed"])
    assert to["other_removals"] == 30 - 15        # one month: a steady list assumed
    assert to["demand_weekly"] == pytest.approx(30 * 7 / 30)
    assert to["pct_within_18w"] == pytest.approx(40.0)
    assert to["mean_wait_weeks"] == pytest.approx(730 / 25)
    # a second month: the list's change is known and comes off the other removals
    may = F.from_extract(extract).assign(period=pd.Timestamp("2026-05-01"), source_file="may.csv")
    may["waiting_list"] += 5
    both = F.collect([(F.from_extract(extract), extract), (may, "may.csv")], panel)
    m = both[(both["provider_code"] == "RAA") & (both["specialty_code"] == "C_110")
             & (both["period"] == "2026-05-01")].iloc[0]
    assert m["list_change"] == 5 and not m["steady_assumed"]
    assert m["other_removals"] == 30 - 15 - 5
    assert m["other_removals_weekly"] == pytest.approx(10 * 7 / 31)
    with pytest.raises(SourceFormatError, match="more than one file"):
        F.collect([(F.from_extract(extract), extract), (F.from_extract(extract), extract)], panel)


def test_aggregate_to_england_regions_sectors_and_providers(extract):
    panel = pd.DataFrame({"provider_code": ["RAA", "NT1"], "sector": ["nhs", "independent"],
                          "region": ["London", None]})
    t = F.collect([(F.from_extract(extract), extract)], panel)
    eng = F.aggregate(t, "england", by_specialty=False).iloc[0]
    assert (eng["area_code"], eng["specialty_code"], eng["lists"]) == ("England", "all", 3)
    assert eng["new_clock_starts"] == 41 and eng["waiting_list"] == 31
    assert eng["mean_wait_weeks"] == pytest.approx((730 + 4 * 17.5 + 2 * 1.5) / 31)
    by_tf = F.aggregate(t, "england").set_index("specialty_code")
    assert by_tf.loc["C_110", "waiting_list"] == 27 and by_tf.loc["C_110", "lists"] == 2
    sectors = F.aggregate(t, "sector", by_specialty=False).set_index("area_code")
    assert sectors.loc["independent", "new_clock_starts"] == 3
    regions = F.aggregate(t, "region", by_specialty=False).set_index("area_code")
    assert set(regions.index) == {"London", "region unknown"}
    two = F.aggregate(t, "provider", specialties=["C_110", "C_130"], by_specialty=False,
                      areas=["RAA"]).iloc[0]
    assert two["specialty_code"] == "C_110+C_130" and two["waiting_list"] == 29
    assert two["specialty_name"] == "Trauma and Orthopaedic Service + Ophthalmology Service"
    with pytest.raises(AnalysisInputError, match="specialties.*C_999"):
        F.aggregate(t, specialties=["C_999"])
    with pytest.raises(AnalysisInputError, match="areas.*'RXX'"):
        F.aggregate(t, "provider", areas=["RXX"])
    with pytest.raises(AnalysisInputError, match="level.*'icb'"):
        F.aggregate(t, "icb")


def _bytes(df) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def test_synthetic_flows_leave_the_panel_and_its_truths_as_they_were(monkeypatch):
    with_flows = synth.generate(seed=5, n_providers=40, n_months=4)
    monkeypatch.setattr(synth, "generate_flows", lambda panel, seed: None)
    without = synth.generate(seed=5, n_providers=40, n_months=4)
    assert without.flows is None
    assert hashlib.sha256(_bytes(with_flows.panel)).digest() == \
        hashlib.sha256(_bytes(without.panel)).digest()
    assert with_flows.truth == without.truth


def test_synthetic_flows_follow_the_panel_and_know_their_truths(tmp_path):
    sd = synth.generate(seed=2, n_providers=60, n_months=12)
    f = sd.flows
    assert list(f.columns) == F.TABLE_COLUMNS + F.TRUTH_COLUMNS
    acute = sd.panel[sd.panel["setting"] == "acute"]
    assert set(f["provider_code"]) == set(acute["provider_code"])
    assert not f.duplicated(["provider_code", "specialty_code", "period"]).any()
    # the lists add up, roughly, to the panel's waiting list
    lists = f.groupby(["provider_code", "period"])["waiting_list"].sum()
    panel_wl = acute.set_index(["provider_code", "period"])["rtt_waiting_list"]
    ratio = (lists / panel_wl.reindex(lists.index)).median()
    assert 0.9 < ratio < 1.1
    # the counts are draws around the true rates
    assert f["demand_weekly"].sum() == pytest.approx(f["true_demand_weekly"].sum(), rel=0.01)
    later = f[~f["steady_assumed"]]
    assert later["other_removals_weekly"].sum() == pytest.approx(
        later["true_other_removals_weekly"].sum(), rel=0.02)
    assert (later["other_removals"] >= 0).all() and (f["waiting_list"] >= 0).all()
    assert f["mean_wait_weeks"].median() == pytest.approx(f["true_mean_wait_weeks"].median(),
                                                          rel=0.05)
    # the same seed gives the same flows; the write puts them beside the panel
    assert synth.generate(seed=2, n_providers=60, n_months=12).flows.equals(f)
    sd.write(tmp_path)
    assert pd.read_parquet(tmp_path / "panel.rtt_flows.parquet").equals(f)


def test_the_synthetic_default_holds_its_flows_in_memory():
    sd = synth.generate(seed=1, n_providers=20, n_months=2)
    cat = Catalogue.synthetic(rows=len(sd.panel), truths=len(sd.truth),
                              tables={"rtt_flows": sd.flows})
    assert cat.held("rtt_flows") and cat.read("rtt_flows").equals(sd.flows)
    assert cat.read("rtt_flows") is not cat.read("rtt_flows")   # a copy each time
    with pytest.raises(Exception, match="not a table name"):
        Catalogue.synthetic(tables={"flows": sd.flows})
    assert np.isin(["rtt_flows"], cat.frame().query("held")["table"]).all()


def test_the_data_step_catalogues_the_synthetic_flows(tmp_path):
    from workbench.batch.data_step import materialise_data_cached
    from workbench.batch.study import DataSpec
    from workbench.session import start

    data = tmp_path / "data"
    materialise_data_cached(DataSpec("synthetic", {"seed": 3, "n_providers": 20,
                                                   "n_months": 3}), data)
    cat = Catalogue.beside(data / "panel.parquet")
    assert cat.entry("rtt_flows").file == "panel.rtt_flows.parquet"
    s = start("x", panel_path=str(data / "panel.parquet"), output_dir=str(tmp_path / "o"))
    flows = s.data("rtt_flows")
    assert flows.equals(synth.generate(seed=3, n_providers=20, n_months=3).flows)
    assert "rtt_flows" in s.catalogue.tables_read
