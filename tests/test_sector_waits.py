"""Like-for-like sector waits (workbench.analysis.effects.like_for_like), the specialty
waits table it reads (workbench.data.specialty_waits) and its figure."""

from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from workbench.analysis.effects import like_for_like as sw
from workbench.analysis.questions import waits_like_for_like as q10
from workbench.data import specialty_waits as data_sw
from workbench.data.catalogue import NotHeld
from workbench.errors import AnalysisInputError
from workbench.report import sector_figures

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
WORKBOOK = REAL / "rtt_provider_workbook" / "NonAdmitted-Provider-Sep25-XLSX-4M-87700.xlsx"


def test_crude_and_standardised_differ_in_sign_when_the_mix_differs():
    # independent: mostly the fast specialty; NHS: mostly the slow one. Within each
    # specialty the independent sector is 10 points behind.
    cmp = sw.compare(sw.example_table(), "pct_within_18w", n_boot=200, seed=1)
    assert cmp.crude == pytest.approx(22.0)           # 56% vs 34%
    assert cmp.standardised == pytest.approx(-10.0)   # 56% vs NHS at IS mix 0.9*70+0.1*30
    assert cmp.levels["standardised"] == pytest.approx((56.0, 66.0))
    assert cmp.provider_average == pytest.approx(22.0)  # identical providers in each sector
    by = cmp.by_specialty.set_index("specialty_code")
    assert by.loc["A", "difference"] == pytest.approx(-10.0)
    assert by.loc["B", "difference"] == pytest.approx(-10.0)
    assert by["weight"].sum() == pytest.approx(1.0)


def test_bootstrap_is_seeded_and_covers_the_estimate():
    t = sw.example_table()
    rng = np.random.default_rng(0)
    t["within_18w"] = np.minimum(t["pathways"], t["within_18w"] * rng.uniform(0.7, 1.3, len(t)))
    a = sw.compare(t, n_boot=300, seed=5)
    b = sw.compare(t, n_boot=300, seed=5)
    c = sw.compare(t, n_boot=300, seed=6)
    assert a.ci == b.ci and a.ci != c.ci
    for view in ("crude", "standardised", "provider_average"):
        lo, hi = a.ci[view]
        assert lo < a.estimate(view) < hi


def test_unknown_sector_left_out_and_counted():
    t = sw.example_table()
    extra = t[t["provider_code"] == "I0"].assign(provider_code="U1", sector="unknown",
                                                  within_18w=0.0)
    both = pd.concat([t, extra], ignore_index=True)
    cmp = sw.compare(both, n_boot=50, seed=1)
    assert cmp.standardised == pytest.approx(-10.0)   # the unknown provider changes nothing
    assert cmp.excluded["unknown_sector_providers"] == 1
    assert cmp.excluded["unknown_sector_pathways"] == 100.0
    assert "1 providers (100 pathways)" in sw.exclusion_notes({"waiting_list": both})[0]


def test_specialty_only_one_sector_serves_is_left_out_of_the_standardised_view():
    t = sw.example_table()
    nhs_only = t[t["sector"] == "nhs"].assign(specialty_code="C", specialty_name="C",
                                             within_18w=0.0)
    cmp = sw.compare(pd.concat([t, nhs_only]), n_boot=50, seed=1)
    assert cmp.standardised == pytest.approx(-10.0)
    assert not cmp.by_specialty.set_index("specialty_code").loc["C", "both_sectors"]
    assert cmp.crude != pytest.approx(22.0)            # the patient's view still sees C


def test_findings_roles_ids_and_sentences():
    f = sw.compare(sw.example_table(), n_boot=100, seed=1, pathway="completed_non_admitted",
                   period="2025-09").findings()
    assert [x.id.split(":")[0] for x in f] == ["waits_standardised", "waits_crude",
                                                "waits_provider_average"]
    assert [x.role for x in f] == ["headline", "robustness", "robustness"]
    assert "Like for like" in f[0].sentence and "10 percentage points lower" in f[0].sentence
    assert "What a patient sees" in f[1].sentence and "A typical provider" in f[2].sentence
    assert all(x.ci_low <= x.estimate <= x.ci_high for x in f)


def test_few_providers_make_a_diagnostic_with_a_warning():
    f = sw.compare(sw.example_table(4), n_boot=50, seed=1, pathway="waiting_list",
                   period="2026-04").findings()
    assert {x.role for x in f} == {"diagnostic"}
    assert all("fewer than 10 providers" in x.warning for x in f)


def test_mean_weeks_from_bands_and_measure_checks():
    wb = pd.DataFrame({"sheet": ["Provider"] * 2, "provider_code": ["R1", "R1"],
                       "provider_name": ["X", "X"], "treatment_function_code": ["C_100", "C_999"],
                       "treatment_function_name": ["Gen", "Total"], "band_000_001": [1.0, 1.0],
                       "band_001_002": [1.0, 1.0], "band_002_plus": [2.0, 2.0],
                       "total_known": [4.0, 4.0], "within_18w": [4.0, 4.0], "over_52w": [0.0, 0.0]})
    t = data_sw.from_workbook(wb)
    assert len(t) == 1 and t["weeks_sum"].iloc[0] == pytest.approx(0.5 + 1.5 + 2 * 2)
    ex = data_sw.from_extract(pd.DataFrame({
        "provider_code": ["R1"], "provider_name": ["X"], "treatment_function_code": ["C_100"],
        "treatment_function_name": ["Gen"], "rtt_waiting_list": [5.0], "rtt_within_18w": [0.0],
        "rtt_over_52w": [1.0], "rtt_pct_within_18w": [0.0]})).assign(sector="nhs")
    assert sw.available(ex) == ["pct_within_18w", "pct_over_52w"]
    with pytest.raises(AnalysisInputError, match="mean_weeks"):
        sw.compare(ex, "mean_weeks")
    with pytest.raises(AnalysisInputError, match="no independent providers"):
        sw.compare(ex, "pct_within_18w")


def _workbook(pathway, month, code="NT1", within=4.0):
    wb = data_sw.example_workbook().assign(pathway=pathway, period=pd.Timestamp(month),
                                           provider_code=code, within_18w=within)
    total = wb.assign(treatment_function_code="C_999")
    return pd.concat([wb, total], ignore_index=True)


def test_the_table_keeps_the_latest_month_of_each_pathway_and_the_extract_for_the_list():
    ex = pd.DataFrame({"provider_code": ["RJ1"], "provider_name": ["X"],
                       "period": [pd.Timestamp("2026-04-01")],
                       "treatment_function_code": ["C_100"], "treatment_function_name": ["Gen"],
                       "rtt_waiting_list": [10.0], "rtt_within_18w": [6.0],
                       "rtt_over_52w": [1.0], "rtt_pct_within_18w": [60.0]})
    t = data_sw.collect([(_workbook("completed_non_admitted", "2025-08-01", within=1.0), "a.xlsx"),
                         (_workbook("completed_non_admitted", "2025-09-01"), "b.xlsx"),
                         (_workbook("incomplete", "2025-09-01"), "c.xlsx"),
                         (_workbook("completed_admitted", "2025-09-01"), "d.xlsx")],
                        [(ex, "extract.csv.zip")])
    assert t.columns.tolist() == data_sw.TABLE_COLUMNS
    got = t[["pathway", "period", "source_file"]].drop_duplicates().values.tolist()
    assert got == [["completed_non_admitted", "2025-09", "b.xlsx"],
                   ["waiting_list", "2026-04", "extract.csv.zip"]]
    assert (t["specialty_code"] != "C_999").all()    # the all-functions rows are left out
    # without an extract the waiting list comes from the Incomplete-Provider workbook
    no_ex = data_sw.collect([(_workbook("incomplete", "2025-09-01"), "c.xlsx")], [])
    assert no_ex["pathway"].unique().tolist() == ["waiting_list"]
    assert data_sw.collect([], []) is None


def test_analyse_takes_the_table_and_not_held_data_say_why():
    t = sw.example_table()
    both = pd.concat([t.assign(pathway="completed_non_admitted", period="2025-09"),
                      t.assign(pathway="waiting_list", period="2026-04")], ignore_index=True)
    a = q10.answer(both.drop(columns="sector"), t[["provider_code", "sector"]], n_boot=50)
    assert a.reason == "" and a.periods == {"completed_non_admitted": "2025-09",
                                            "waiting_list": "2026-04"}
    assert [p for p, _ in a.comparisons_of("pct_within_18w")] == ["completed_non_admitted",
                                                                  "waiting_list"]
    assert a.findings()[0].key.period == "2025-09" and a.limits()[-1] == sw.LIMITS[-1]
    gone = q10.answer(NotHeld("specialty_waits", "no RTT files by treatment function"), t)
    assert gone.findings() == [] and gone.comparisons == {} and gone.tables == {}
    assert gone.limits() == [("The study's data hold no specialty_waits table: no RTT files "
                              "by treatment function.")]
    with pytest.raises(AnalysisInputError, match="pathway"):
        sw.analyse(t, t)


def test_figure_in_theme_leaves_user_settings():
    cmp = sw.compare(sw.example_table(), n_boot=50, seed=1)
    with matplotlib.rc_context({"axes.facecolor": "#123456", "axes.spines.top": True}):
        ax = sector_figures.specialty_dots(cmp.by_specialty, overall=cmp.standardised)
        assert plt.rcParams["axes.facecolor"] == "#123456"
    assert ax.get_facecolor()[:3] == (1.0, 1.0, 1.0) and not ax.spines["top"].get_visible()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Specialty B", "Specialty A"]
    plt.close(ax.figure)


@pytest.mark.skipif(not WORKBOOK.is_file(), reason=f"published RTT workbook not at {WORKBOOK}")
def test_real_workbook_like_for_like():
    from workbench.data.sources import rtt_provider_workbook as wb

    raw = wb.read(WORKBOOK)
    t = data_sw.from_workbook(raw)
    t["sector"] = t["provider_code"].map(
        raw.drop_duplicates("provider_code").set_index("provider_code")["sheet"]
        .map({"Provider": "nhs", "IS Provider": "independent"}))
    cmp = sw.compare(t, "pct_within_18w", n_boot=200, seed=1)
    tot = raw[raw["treatment_function_code"] == "C_999"]
    assert cmp.pathways["nhs"] + cmp.pathways["independent"] == pytest.approx(
        tot["total_known"].sum())
    assert cmp.providers["nhs"] == 150 and cmp.providers["independent"] >= 300
    # the independent sector serves no paediatrics: left out of the like-for-like view
    assert not cmp.by_specialty.set_index("specialty_code").loc["X04", "both_sectors"]
    lo, hi = cmp.ci["standardised"]
    assert lo < cmp.standardised < hi
