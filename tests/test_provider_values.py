"""Provider codes given as parameters are checked against the study's data after the data
step and before any kernel starts, with the closest codes suggested.
"""

from __future__ import annotations

import pytest
from batch_helpers import write_notebook, write_panel

from workbench.batch.plan import plan_study
from workbench.batch.runner import run_study
from workbench.errors import StudyError

PARAMS = ('panel_path = ""\n'
          'output_dir = ""\n'
          'providers = []        # provider codes\n'
          'provider = "England"  # a code, a region, a sector or England\n'
          'wards = {}            # one month per ward\n'
          '# providers named by: wards\n')


def study(folder, parameters: str, data: str = "{panel: panel.parquet}"):
    write_notebook(folder / "nb.ipynb", parameters_source=PARAMS)
    write_panel(folder / "panel.parquet")  # providers RA1, RB2, NC3 in London
    path = folder / "s.yaml"
    path.write_text(f"name: demo\ndata: {data}\nruns:\n  - notebook: nb.ipynb\n"
                    f"    parameters: {parameters}\n", encoding="utf-8")
    return path


def test_a_misspelt_provider_code_is_refused_with_the_closest_codes(tmp_path):
    path = study(tmp_path, "{providers: [RA1, RB3]}")
    with pytest.raises(StudyError) as info:
        plan_study(path)  # --dry-run: the panel file is there already
    text = str(info.value)
    assert str(path) in text and "run nb--providers-RA1+RB3 (notebook nb.ipynb)" in text
    assert "parameter 'providers': 'RB3' is not a provider code" in text
    assert "Did you mean 'RB2'?" in text and "3 providers" in text


@pytest.mark.parametrize("parameters", ["{provider: London}", "{provider: RA1}",
                                        "{provider: England}", "{providers: [NC3, RA1]}",
                                        "{wards: {RA1: '2024-01'}}"])
def test_codes_regions_and_england_the_data_hold_are_accepted(tmp_path, parameters):
    assert "1 run checked" in plan_study(study(tmp_path, parameters))


def test_codes_named_by_a_comment_line_are_checked(tmp_path):
    with pytest.raises(StudyError, match=r"parameter 'wards': 'XA1' is not a provider code.*"
                                         r"Did you mean 'RA1'"):
        plan_study(study(tmp_path, "{wards: {XA1: '2024-01'}}"))


def test_a_study_stops_after_the_data_step_and_before_any_kernel(tmp_path):
    path = study(tmp_path, "{providers: [R001, R0O2]}",
                 data="{synthetic: {seed: 1, n_providers: 20, n_months: 3}}")
    out = tmp_path / "out"
    with pytest.raises(StudyError, match=r"'R0O2' is not a provider code.*Did you mean 'R002'"):
        run_study(path, out=out, workers=1, preload=False, progress=False)
    assert (out / "demo" / "data" / "panel.parquet").is_file()  # the data step ran
    assert not [p for p in (out / "demo").iterdir() if p.name.startswith("nb")]


def test_private_parameters_are_not_checked_so_no_message_shows_them(tmp_path):
    path = study(tmp_path, "{provider: RX9}")
    path.write_text(path.read_text() + "private: [provider]\n", encoding="utf-8")
    assert "1 run checked" in plan_study(path)
