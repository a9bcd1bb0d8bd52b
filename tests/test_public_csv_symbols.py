"""The public findings.csv shows a hidden p-value (and its adjusted value) as the disclosure
rule's symbol ``*``, as the index and the reports do, never as a blank that reads as "no
p-value"; the analyst copy keeps the numbers, and a reader of the public file can take
``*`` as missing.
"""

from __future__ import annotations

import csv
import json
from types import SimpleNamespace

import pandas as pd


def _csv(path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_hidden_p_values_show_the_symbol(tmp_path):
    from workbench.batch.study_outputs import write_findings_csv

    records = [{"id": "mean:complaints@R1", "question": "q", "estimate": 2.0, "n": 40,
                "unit": "complaints", "ci_low": 1.0, "ci_high": 3.0, "p_value": 0.03},
               {"id": "e:a->b@nhs", "question": "q", "estimate": 0.4, "n": 240,
                "p_value": 0.01},
               {"id": "dq:rows@nhs", "question": "q", "estimate": 1.0}]      # no p-value
    (tmp_path / "r1").mkdir()
    (tmp_path / "r1" / "findings.json").write_text(json.dumps(records), encoding="utf-8")
    outcome = SimpleNamespace(results=[SimpleNamespace(run_id="r1", folder=tmp_path / "r1")],
                              study=SimpleNamespace(private=[], disclosure={}),
                              out_dir=tmp_path)
    write_findings_csv(outcome)
    public = {r["id"]: r for r in _csv(tmp_path / "findings.csv")}
    hidden = public["mean:complaints@R1"]
    assert hidden["estimate"] == "*" and hidden["ci_low"] == "*"
    assert hidden["p_value"] == "*" and hidden["p_adjusted"] == "*"
    assert float(public["e:a->b@nhs"]["p_value"]) == 0.01
    assert public["e:a->b@nhs"]["p_adjusted"] not in ("", "*")
    assert public["dq:rows@nhs"]["p_value"] == "" and public["dq:rows@nhs"]["p_adjusted"] == ""
    raw = {r["id"]: r for r in _csv(tmp_path / "analyst" / "findings.csv")}
    assert float(raw["mean:complaints@R1"]["p_value"]) == 0.03
    assert raw["mean:complaints@R1"]["p_adjusted"] not in ("", "*")
    frame = pd.read_csv(tmp_path / "findings.csv", na_values=["*"]).set_index("id")
    assert pd.isna(frame.loc["mean:complaints@R1", "p_value"])
    assert frame["p_value"].dtype == "float64" and frame["p_adjusted"].dtype == "float64"


def test_frame_of_unhidden_findings_keeps_numeric_p_values():
    from workbench.report.study_index import runs_findings_rows

    rows = runs_findings_rows([("r", [{"id": "e:a->b@nhs", "p_value": 0.01},
                                      {"id": "e:a->c@nhs", "p_value": "*"}])],
                              {("r", 0): 0.02, ("r", 1): 0.04})
    assert rows["p_value"].tolist() == [0.01, "*"] and rows["p_adjusted"].tolist() == [0.02, "*"]
    rows = runs_findings_rows([("r", [{"id": "e:a->b@nhs", "p_value": 0.01}])], {("r", 0): 0.02})
    assert rows["p_value"].dtype == "float64" and rows["p_adjusted"].dtype == "float64"
