"""Errors raised on purpose are WorkbenchErrors that name the argument, the value given and
what was expected, and are still the built-in error callers catch (``ValueError``...)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.data import fetch as fetch_mod
from workbench.data import measures, panel, registers, schema
from workbench.data.sources import ae, cqc, ods, rtt, staff_survey
from workbench.errors import (
    AnalysisInputError,
    ArgumentError,
    ArgumentTypeError,
    PanelNotFoundError,
    UnknownMeasureError,
    UnsafeFileNameError,
    WorkbenchError,
)


def _file(tmp_path, name: str) -> str:
    path = tmp_path / name
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    return str(path)


#: (what is called, the argument at fault, the value given, the built-in it also is)
ARGUMENT_ERRORS = {
    "by_construct": (lambda tmp: measures.by_construct("staff"), "construct", "staff",
                     ValueError),
    "decide": (lambda tmp: registers.decide(["X1"], pd.DataFrame(), gp_sector="gp"),
               "gp_sector", "gp", ValueError),
    "build": (lambda tmp: panel.build(tmp, precedence=["no_such_kind"]), "precedence",
              ["no_such_kind"], ValueError),
    "sector_of": (lambda tmp: ods.sector_of(["RXL"], gp_sector="private"), "gp_sector",
                  "private", ValueError),
    "read_latest_ratings": (lambda tmp: cqc.read_latest_ratings(
        _file(tmp, "01_September_2026_Latest_ratings.csv"), sheet="Sites"), "sheet", "Sites",
        ValueError),
    "read_nhsr": (lambda tmp: ae.read_nhsr("ae_attendances.csv", by="trust"), "by", "trust",
                  ValueError),
    "staff_survey.read": (lambda tmp: staff_survey.read(_file(tmp, "survey.csv"), month=13),
                          "month", 13, ValueError),
    "rtt.read": (lambda tmp: rtt.read("extract.csv", by="specialty"), "by", "specialty",
                 ValueError),
    "read_many": (lambda tmp: rtt.read_many([]), "paths", [], ValueError),
    "period_fields": (lambda tmp: fetch_mod.period_fields("2025-13"), "period", "2025-13",
                      ValueError),
    "fetch source": (lambda tmp: fetch_mod.fetch("nope", "2025-06", dest=tmp), "source",
                     "nope", ValueError),
    "fetch period": (lambda tmp: fetch_mod.fetch("rtt", None, dest=tmp), "period", None,
                     ValueError),
    "fetch max_bytes": (lambda tmp: fetch_mod.fetch("rtt", "2025-06", dest=tmp, max_bytes=0),
                        "max_bytes", 0, ValueError),
    "validate_panel": (lambda tmp: schema.validate_panel([1, 2]), "df", "list", TypeError),
}


@pytest.mark.parametrize("case", ARGUMENT_ERRORS, ids=str)
def test_argument_errors_name_the_argument_the_value_and_what_was_expected(case, tmp_path):
    call, parameter, value, builtin = ARGUMENT_ERRORS[case]
    with pytest.raises(ArgumentError) as info:
        call(tmp_path)
    error = info.value
    assert isinstance(error, WorkbenchError) and isinstance(error, builtin)
    assert (error.parameter, error.value) == (parameter, value)
    assert error.expected and f"expected {error.expected.rstrip('.')}" in str(error)
    assert str(error).startswith(f"{error.function}(): {parameter}")


def test_a_wrong_type_is_a_type_error_naming_the_type():
    with pytest.raises(ArgumentTypeError, match=r"validate_panel\(\): df of type list: "
                                                r"expected a pandas DataFrame") as info:
        schema.validate_panel([1, 2], source="my.csv")
    assert isinstance(info.value, TypeError) and "my.csv" in info.value.expected


def test_an_unknown_measure_is_a_key_error_that_reads_as_a_sentence():
    with pytest.raises(KeyError) as info:
        measures.get("rtt_median_week")
    error = info.value
    assert isinstance(error, UnknownMeasureError) and isinstance(error, WorkbenchError)
    assert (error.name, error.suggestion) == ("rtt_median_week", "rtt_median_weeks")
    assert str(error).startswith("Unknown measure 'rtt_median_week'. Did you mean "
                                 "'rtt_median_weeks'? Known measures: ")
    assert "beds" in error.known


def test_an_unsafe_file_name_names_the_name_as_found():
    with pytest.raises(UnsafeFileNameError) as info:
        fetch_mod.safe_name("%2E%2E")
    assert isinstance(info.value, ValueError) and info.value.name == "%2E%2E"
    assert str(info.value) == ("file name '%2E%2E' has nothing left after removing path "
                               "separators, '..' and leading dots")
    with pytest.raises(UnsafeFileNameError, match="still percent-encoded") as info:
        fetch_mod.safe_name("%" + "25" * 20 + "2F")
    assert info.value.name.startswith("%2525")


def test_a_missing_panel_is_a_file_not_found_error_naming_the_path(tmp_path):
    from workbench.session import resolve_panel_path

    with pytest.raises(FileNotFoundError) as info:
        resolve_panel_path(tmp_path / "none.parquet")
    assert isinstance(info.value, PanelNotFoundError)
    assert info.value.path == str(tmp_path / "none.parquet")
    assert str(info.value).startswith(f"Panel file {tmp_path / 'none.parquet'} not found. ")
    with pytest.raises(PanelNotFoundError, match="holds no panel.parquet"):
        resolve_panel_path(tmp_path)


def test_a_family_glm_does_not_fit_names_it():
    from workbench.analysis.models.fastfit import glm

    X = np.ones((4, 1))
    with pytest.raises(AnalysisInputError, match=r"glm\(\): family 'gamma' is not a family") \
            as info:
        glm(np.ones(4), X, ["Intercept"], np.array([0, 0, 1, 1]), family="gamma")
    assert info.value.parameter == "family" and "'poisson'" in info.value.expected


def test_an_unknown_parameter_type_names_the_types_there_are():
    from workbench.batch.params import value_matches

    with pytest.raises(ArgumentError, match="type_name='complex' is not a parameter type") \
            as info:
        value_matches(1, "complex")
    assert "'float'" in info.value.expected
