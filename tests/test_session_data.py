"""Data through the session: the data step's catalogue of the panel and the tables beside
it (workbench.data.catalogue), and Session.data reading them as DataFrames or saying why
the study's data do not hold them."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from batch_helpers import write_panel
from test_panel_build import make_folder

from workbench import session
from workbench.batch.data_step import materialise_data_cached
from workbench.batch.study import DataSpec
from workbench.data import catalogue as C
from workbench.data.panel import build


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("built")
    return build(make_folder(root / "raw"), out=root / "data" / "panel.parquet")


def test_a_build_lists_what_it_wrote_and_why_the_rest_is_missing(built):
    cat = C.Catalogue.beside(built.panel_path)
    assert cat.held("panel") and cat.held("coverage")
    assert cat.entry("panel").sha256 == built.provenance["panel_sha256"]
    assert cat.entry("panel").rows == len(built.panel)
    for name in C.SIDE_TABLES:
        assert not cat.held(name)
        assert cat.read(name).reason.startswith("no ") and "among the files read from" in \
            cat.read(name).reason
    assert "no known truth" in cat.read("truth").reason
    coverage = cat.read("coverage")
    assert len(coverage) == len(built.panel) and coverage["period"].dtype.kind == "M"


def test_the_session_reads_tables_through_the_catalogue_checking_their_hash(built, tmp_path):
    folder = built.panel_path.parent
    comments = pd.DataFrame({"comment_id": ["c1", "c2"], "text": ["Kind.", "Slow."]})
    comments.to_parquet(folder / "panel.comments.parquet")
    entries = [C.file_entry("panel", built.panel_path, rows=len(built.panel)),
               C.file_entry("comments", folder / "panel.comments.parquet", detail="a test")]
    C.write_catalogue(built.panel_path, entries, made_by="a test build",
                      not_made=C.missing_from_build("raw"))
    s = session.start("x", panel_path=str(built.panel_path), output_dir=str(tmp_path / "out"))
    pd.testing.assert_frame_equal(s.data("comments"), comments)
    assert isinstance(s.data("staff_survey_years"), C.NotHeld)
    assert s.data("panel") is s.panel
    s.finish()
    record = json.loads((tmp_path / "out" / "data.json").read_text())
    assert record["tables"] == {"comments": C.file_entry("comments", folder /
                                                         "panel.comments.parquet").sha256}
    # a table changed since the catalogue recorded it is refused, naming the file
    comments.assign(text="changed").to_parquet(folder / "panel.comments.parquet")
    with pytest.raises(C.CatalogueError, match="has changed since the catalogue recorded it"):
        s.data("comments")
    with pytest.raises(C.CatalogueError, match="'coments' is not a table name"):
        s.data("coments")


def test_tables_of_another_panel_are_refused(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    panel = write_panel(folder / "panel.parquet")
    pd.DataFrame({"comment_id": ["c1"]}).to_parquet(folder / "panel.comments.parquet")
    C.write_catalogue(panel, [C.file_entry("panel", panel),
                              C.file_entry("comments", folder / "panel.comments.parquet")],
                      made_by="a test")
    write_panel(panel)  # the same panel, written again: the same bytes
    s = session.start("x", panel_path=str(panel), output_dir=str(tmp_path / "out"))
    assert len(s.data("comments")) == 1
    df = pd.read_parquet(panel)
    df.assign(y=df["y"] + 1).to_parquet(panel, index=False)  # another panel, same catalogue
    s = session.start("x", panel_path=str(panel), output_dir=str(tmp_path / "out"))
    with pytest.raises(C.CatalogueError, match="made with another panel"):
        s.data("comments")


def test_synthetic_data_step_writes_a_catalogue_and_says_why_tables_are_missing(tmp_path):
    spec = DataSpec("synthetic", {"seed": 3, "n_providers": 20, "n_months": 3})
    data = tmp_path / "data"
    materialise_data_cached(spec, data)
    doc = json.loads((data / "panel.catalogue.json").read_text())
    assert doc["tables"]["panel"]["file"] == "panel.parquet"
    assert doc["tables"]["truth"]["file"] == "truth.json"
    assert "seed=3" in doc["made_by"]
    s = session.start("x", panel_path=str(data / "panel.parquet"), output_dir=str(tmp_path / "o"))
    gone = s.data("specialty_waits")
    assert not gone and isinstance(gone, C.NotHeld)
    assert str(gone).startswith("The study's data hold no specialty_waits table: the synthetic "
                                "generator (seed=3, n_providers=20, n_months=3) has a provider")
    assert len(s.data("truth")) == len(s.truth)
    # data made before catalogues: the cached data step adds one without making them again
    (data / "panel.catalogue.json").unlink()
    materialise_data_cached(spec, data)
    assert (data / "panel.catalogue.json").is_file()


def test_a_panel_file_study_and_a_panel_without_a_catalogue(tmp_path):
    panel = write_panel(tmp_path / "given.parquet")
    data = tmp_path / "data"
    materialise_data_cached(DataSpec("panel", {"path": panel}), data)
    cat = C.Catalogue.beside(data / "panel.parquet")
    assert cat.held("panel") and not cat.held("truth")
    assert f"the panel file {panel}" in cat.read("comments").reason
    s = session.start("x", panel_path=str(panel), output_dir=str(tmp_path / "o"))
    assert "there is no catalogue beside" in s.data("comments").reason
    assert s.data("truth").name == "truth"


def test_interactive_synthetic_default(tmp_path):
    s = session.start("x", seed=1, n_providers=20, n_months=2, output_dir=str(tmp_path))
    assert s.catalogue.frame().query("held")["table"].tolist() == ["panel", "truth", "rtt_flows"]
    assert s.data("rtt_flows")["provider_code"].nunique() > 0  # the generator's flows, in memory
    assert "synthetic default (seed 1, 20 providers, 2 months)" in s.data("comments").reason
    s.finish()
    assert "tables" not in json.loads((tmp_path / "data.json").read_text())
