"""True data labels: the words on the data at the top of every report come from what the
data are (workbench.data.origin): synthetic, the publications a build read (named from its
provenance), the user's own table (named), or a panel file of unknown origin. A user's own
panel is never labelled as published NHS data.
"""

from __future__ import annotations

import json
import shutil

import pytest
from test_panel_build import make_folder

from workbench.batch.data_step import materialise_data
from workbench.batch.study import load_study
from workbench.data import measures as M
from workbench.data import panel as P
from workbench.data.example_wards import generate_wards
from workbench.data.origin import PUBLICATIONS, provenance_path
from workbench.data.synth import generate
from workbench.session import start

CLAIMS = ("published", "NHS data", "NHS and CQC")


@pytest.fixture(autouse=True)
def _no_measures_left_in_use():
    token = M.use({})
    yield
    M.stop_using(token)


def _own_panel(path):
    """A valid panel of the registry's measures whose providers are not the generator's."""
    panel = generate(seed=3, n_providers=20, n_months=3).panel
    panel["provider_name"] = panel["provider_code"].map(lambda c: f"Ward group {c}")
    panel.to_parquet(path, index=False)
    return path


def _study_data(tmp_path, data: str):
    study = tmp_path / "s.yaml"
    study.write_text(f"name: s\ndata: {data}\nruns:\n  - notebook: nb.ipynb\n")
    (tmp_path / "nb.ipynb").write_text(json.dumps(
        {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    folder = tmp_path / "out" / "data"
    materialise_data(load_study(study).data, folder)
    return folder / "panel.parquet"


def _no_claim(label: str) -> None:
    for word in CLAIMS:
        assert word not in label, (word, label)


def test_a_bare_parquet_is_a_panel_file_of_unknown_origin(tmp_path):
    s = start("demo", panel_path=str(_own_panel(tmp_path / "mine.parquet")),
              output_dir=str(tmp_path / "r"))
    assert not s.synthetic and s.data_origin.kind == "unknown"
    assert s.data_label.startswith("a panel file (mine.parquet) of unknown origin: 20 providers")
    record = s.data_record()
    assert record["source"] == "a panel file (mine.parquet) of unknown origin"
    for text in (s.data_label, record["source"]):
        _no_claim(text)


def test_a_study_given_a_panel_file_names_that_file(tmp_path):
    own = _own_panel(tmp_path / "wards_2024.parquet")
    panel = _study_data(tmp_path, f"{{panel: {own}}}")
    s = start("demo", panel_path=str(panel), output_dir=str(tmp_path / "r"))
    assert s.data_record()["source"] == "a panel file (wards_2024.parquet) of unknown origin"
    _no_claim(s.data_label)


def test_a_declared_table_names_its_file(tmp_path):
    table, decl, _ = generate_wards(seed=7).write(tmp_path / "my_wards.csv")
    panel = _study_data(tmp_path, f"{{table: {table}, declaration: {decl}}}")
    s = start("demo", panel_path=str(panel), output_dir=str(tmp_path / "r"))
    assert s.data_origin.kind == "own table" and s.data_origin.file == "my_wards.csv"
    assert "your own table my_wards.csv" in s.data_label and "wards" in s.data_label
    assert "your own table (my_wards.csv)" in s.data_record()["source"]
    _no_claim(s.data_label)


def test_a_real_build_names_the_publications_it_read(tmp_path):
    raw = make_folder(tmp_path / "raw")
    res = P.build(raw, out=tmp_path / "processed" / "panel.parquet")
    s = start("demo", panel_path=str(res.panel_path), output_dir=str(tmp_path / "r"))
    read = {PUBLICATIONS[r["kind"]] for r in res.inputs if r.get("status") == "read"}
    assert read >= {PUBLICATIONS["workforce"], PUBLICATIONS["fft"], PUBLICATIONS["ods_etr"]}
    assert s.data_origin.kind == "publications" and set(s.data_origin.publications) == read
    assert s.data_label.startswith("published data, ")
    for name in read:
        assert name in s.data_label and name in s.data_record()["source"]
    assert s.data_record()["publications"] == sorted(read)
    # the same panel without its provenance, or with another panel's, is of unknown origin
    bare = tmp_path / "bare"
    bare.mkdir()
    shutil.copyfile(res.panel_path, bare / "panel.parquet")
    s = start("demo", panel_path=str(bare / "panel.parquet"), output_dir=str(tmp_path / "r2"))
    _no_claim(s.data_label)
    record = json.loads(provenance_path(res.panel_path).read_text(encoding="utf-8"))
    record["panel_sha256"] = "0" * 64
    provenance_path(bare / "panel.parquet").write_text(json.dumps(record), encoding="utf-8")
    s = start("demo", panel_path=str(bare / "panel.parquet"), output_dir=str(tmp_path / "r3"))
    assert s.data_origin.kind == "unknown"
    _no_claim(s.data_label)


def test_the_synthetic_default_says_so(tmp_path):
    s = start("demo", seed=1, n_providers=20, n_months=2, output_dir=str(tmp_path))
    assert s.data_label.startswith("SYNTHETIC data") and s.data_record()["origin"] == "synthetic"
