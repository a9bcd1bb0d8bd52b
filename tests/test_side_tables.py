"""The publications read but not joined (complaints, sickness absence, the inpatient survey,
KH03 beds, national FFT) are kept beside the panel in their own periods and read through the
catalogue; the panel itself is the same with or without them."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from test_bad_input_corpus import BY_NAME
from test_bad_input_corpus import write as write_fixture
from test_panel_build import make_folder

from workbench.data import panel as P
from workbench.data import side_tables
from workbench.data.catalogue import Catalogue
from workbench.errors import SourceFormatError

NEW = ("complaints_ko41a", "sickness_absence", "kh03", "fft_summary", "fft_rolling",
       "inpatient_survey")


def add_new_publications(root):
    folder = root / "new"
    for name in NEW:
        write_fixture(BY_NAME[name], folder)
    occupied = [r[:] for r in BY_NAME["kh03"].rows()]
    for r in occupied[1:]:
        r[2] = str(float(str(r[2]).replace(",", "")) * 0.9) if r[2] not in ("", None) else r[2]
    write_fixture(BY_NAME["kh03"], folder, occupied, name="KH03-Occupied-Overnight-only.csv")
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("side")
    plain = P.build(make_folder(tmp / "plain"), out=tmp / "out_plain" / "panel.parquet")
    full = P.build(add_new_publications(make_folder(tmp / "full")),
                   out=tmp / "out_full" / "panel.parquet")
    return plain, full


def test_each_new_publication_has_its_table_in_its_own_period(built):
    _, full = built
    cat = Catalogue.beside(full.panel_path)
    complaints = cat.read("complaints")
    assert set(complaints["financial_year"]) == {"2024-25"}          # one row per year
    assert complaints["provider_code"].is_unique
    sick = cat.read("sickness_absence")
    assert {"period", "fte_days_lost", "fte_days_available"} <= set(sick.columns)
    beds = cat.read("beds")
    assert {"beds_available", "beds_occupied", "occupied_bed_days", "frequency"} <= set(
        beds.columns)
    row = beds.dropna(subset=["beds_occupied"]).iloc[0]
    assert row["occupied_bed_days"] == pytest.approx(row["beds_occupied"] * row["days"])
    survey = cat.read("inpatient_survey")
    assert {"score", "expected_low_95", "expected_high_95", "band"} <= set(survey.columns)
    assert set(survey["survey_year"]) == {2022}
    resp = cat.read("inpatient_respondents")
    assert {"survey_year", "respondents", "response_rate_pct"} <= set(resp.columns)
    fft = cat.read("fft_national")
    assert set(fft["source_file"]) == {"ftt-summary-apr-26.xlsx", "Monthly_Rolling_Totals.xlsx"}
    assert set(fft["submitters"]) == {"all", "nhs", "independent"}
    assert fft["consistent"].dtype == bool


def test_the_panel_is_the_same_with_or_without_them(built):
    plain, full = built
    pd.testing.assert_frame_equal(plain.panel, full.panel)


def test_catalogue_and_provenance_say_where_each_row_came_from(built):
    _, full = built
    doc = json.loads(full.catalogue_path.read_text())["tables"]
    assert "KH03-Occupied-Overnight-only.csv" in doc["beds"]["detail"]
    assert doc["complaints"]["rows"] == len(Catalogue.beside(full.panel_path).read("complaints"))
    uses = {r["kind"]: r.get("use", "") for r in full.inputs if r.get("status") == "read"}
    assert uses["complaints_ko41a"].startswith("beside the panel: complaints")
    assert uses["inpatient_survey"].startswith("beside the panel: inpatient_survey, "
                                               "inpatient_respondents")
    plain_cat = Catalogue.beside(built[0].panel_path)
    gone = plain_cat.read("complaints")
    assert not gone and "KO41a" in gone.reason


def test_the_same_organisation_and_period_from_two_files_is_an_error():
    t = pd.DataFrame({"provider_code": ["RJ1"], "period": [pd.Timestamp("2024-04-01")],
                      "fte_days_lost": [1.0], "fte_days_available": [10.0]})
    with pytest.raises(SourceFormatError, match="two files give the sickness_absence"):
        side_tables.assemble({"sickness_absence": [t, t]}, "folder")


def test_the_build_summary_counts_organisations_by_construct_beside_the_panel(built):
    _, full = built
    text = full.summary()
    assert "Constructs beside the panel" in text
    assert "satisfaction: written complaints (complaints), 2024-25" in text
    assert "satisfaction: FFT national totals (fft_national)" in text and "national totals" in text
    cov = side_tables.coverage(full.tables, full.registers["sector"])
    assert set(cov["table"]) >= {"complaints", "inpatient_survey", "sickness_absence", "beds"}
