"""Disclosure control wherever a stakeholder reads: tables, finding sentences, key findings
on the index, Markdown and printed text in reports, and the findings.csv the index links.

One study (~30 s): a careless notebook writing small counts of people in Markdown,
printed text, a table and its findings; notebook 04 (SPC of complaints at providers with
1-7 complaints in the latest month) and notebook 05 (complaints funnel).
"""

from __future__ import annotations

import csv
import json
import math
import re

import pytest
from report_helpers import write_attack_study

from workbench.batch.runner import run_study

#: A count of people from 1 to 7 as a reader would see it ("4 patients", "(2.0 complaints)",
#: "5 of 7 responses", "n = 6"), not a negative limit or a part of a larger number.
SMALL_COUNT = re.compile(
    r"(?<![-\d.,])[1-7](?:\.0+)?(?:\s+of\s+[1-7])?\s+(?:[A-Za-z&]+\s+){0,2}?"
    r"(?:patients|complaints|responses|respondents|comments|attendances|pathways)\b"
    r"|\bn\s*=\s*[1-7]\b")


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    folder = tmp_path_factory.mktemp("disclosure")
    result = run_study(write_attack_study(folder), out=folder / "out", progress=False)
    assert [r.status for r in result.results] == ["ok", "ok", "ok"], result.summary()
    return folder / "out" / "attack"


def _text(html: str) -> str:
    from bs4 import BeautifulSoup

    return " ".join(BeautifulSoup(html, "html.parser").get_text(" ").split())


def _report(out, prefix: str) -> str:
    return _text(next(out.glob(f"{prefix}*/report.html")).read_text(encoding="utf-8"))


def _csv(path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_no_small_count_of_people_on_any_page_or_in_the_linked_csv(out):
    for page in sorted(out.rglob("*.html")):
        text = _text(page.read_text(encoding="utf-8"))
        assert not SMALL_COUNT.findall(text), (page.name, SMALL_COUNT.findall(text))
    rows = _csv(out / "findings.csv")
    assert rows
    for row in rows:
        assert row["n"] not in {str(i) for i in range(1, 8)}, row
        for key in ("sentence", "question", "warning"):
            assert not SMALL_COUNT.findall(row[key]), (key, row[key])


def test_markdown_and_printed_text_in_reports(out):
    text = _report(out, "attack_text")
    assert "Only * patients replied; 1,235 comments were read; n = *." in text
    assert "* respondents wrote in." in text
    assert "71.4% (5 of 7 responses)" not in text and "* (* of * responses)" in text
    assert "30 complaints in all" in text and "29.0 complaints" not in text


def test_spc_and_funnel_sentences(out):
    spc = _report(out, "04_spc")
    latest = re.findall(r"the latest value \(([^)]*) complaints\)", spc)
    assert latest and "*" in latest  # providers with 1-7 complaints in the latest month
    assert all(v == "*" or (v.isdigit() and int(v) % 5 == 0) for v in latest), latest
    funnel = _report(out, "05_provider_funnel")
    for m in re.finditer(r"\(([\d,*]+) complaints observed", funnel):
        assert m.group(1) in ("*", "0") or int(m.group(1).replace(",", "")) % 5 == 0


def test_index_key_findings_and_table(out):
    index = _text((out / "index.html").read_text(encoding="utf-8"))
    assert "latest * complaints." in index and "30 complaints in all" in index
    assert "only * respondents in the smaller group" in index
    rows = {r["id"]: r for r in _csv(out / "findings.csv")}
    assert rows["mean:complaints@acute"]["n"] == "*"
    assert rows["slope:x->y@acute"]["n"] == "245"
    assert rows["mean:complaints@acute"]["estimate"] == "*"  # a count of complaints


def test_raw_numbers_only_in_the_analyst_file_no_page_links(out):
    raw = {r["id"]: r for r in _csv(out / "analyst" / "findings.csv")}
    assert raw["mean:complaints@acute"]["n"] == "5" and raw["slope:x->y@acute"]["n"] == "243"
    assert "latest 2.0 complaints" in raw["mean:complaints@acute"]["sentence"]
    for page in out.rglob("*.html"):
        assert "analyst/" not in page.read_text(encoding="utf-8"), page
    notebook = next(out.glob("attack_text*/notebook.ipynb")).read_text(encoding="utf-8")
    assert "Only 4 patients replied" in notebook


def test_disclosure_logs_for_an_output_checker(out):
    log = json.loads(next(out.glob("attack_text*/disclosure.json")).read_text(encoding="utf-8"))
    assert log["rule"]["suppress_up_to"] == 7 and log["rule"]["round_to"] == 5
    changes = {(c["where"], c["original"], c["shown"]) for c in log["changes"]}
    assert ("markdown", "4", "*") in changes and ("markdown", "1,234", "1,235") in changes
    assert ("text", "3", "*") in changes and ("table", "2", "*") in changes
    assert ("header sentence", "29.0", "30") in changes
    study = json.loads((out / "disclosure.json").read_text(encoding="utf-8"))
    assert {"index", "findings.csv"} <= set(study)
    assert any(c["original"] == "5" and c["what"] == "n" for c in study["findings.csv"]["changes"])


def test_findings_csv_is_streamed_with_the_same_bh_values(tmp_path):
    from types import SimpleNamespace

    from workbench.batch.study_outputs import write_findings_csv
    from workbench.report.study_index import study_findings_frame

    runs = []
    for i in range(30):
        folder = tmp_path / f"r{i}"
        folder.mkdir()
        records = [{"id": f"e:a->b@p{i}", "question": "q", "estimate": 1.0, "n": 3 + i,
                    "p_value": (i + 1) / 40},
                   {"id": f"e:a->b@p{i}#fe", "question": "q", "estimate": 1.1, "n": 3 + i,
                    "p_value": 0.5}]
        (folder / "findings.json").write_text(json.dumps(records), encoding="utf-8")
        runs.append({"run_id": f"r{i}", "findings": records})
    outcome = SimpleNamespace(
        results=[SimpleNamespace(run_id=r["run_id"], folder=tmp_path / r["run_id"]) for r in runs],
        study=SimpleNamespace(private=[], disclosure={}), out_dir=tmp_path)
    write_findings_csv(outcome)
    expected = study_findings_frame(runs)
    for name in ("findings.csv", "analyst/findings.csv"):
        rows = _csv(tmp_path / name)
        assert [r["id"] for r in rows] == expected["id"].tolist()
        assert [float(r["p_adjusted"]) if r["p_adjusted"] else None for r in rows] == [
            None if math.isnan(q) else pytest.approx(q) for q in expected["p_adjusted"]]
    public, raw = _csv(tmp_path / "findings.csv"), _csv(tmp_path / "analyst" / "findings.csv")
    assert [r["n"] for r in public[:4]] == ["*", "*", "*", "*"] and public[-1]["n"] == "30"
    assert [r["n"] for r in raw[:2]] == ["3", "3"] and raw[-1]["n"] == "32"


def test_findings_csv_is_the_same_whatever_the_batch_size_and_counts_stay_whole(
        tmp_path, monkeypatch):
    from types import SimpleNamespace

    from workbench.batch import study_outputs

    results = []
    for i in range(9):
        folder = tmp_path / f"r{i}"
        folder.mkdir()
        records = [{"id": f"e:a->b@p{i}", "question": "q", "estimate": 0.5 + i, "n": 40 + i,
                    "clusters": 12, "p_value": (i + 1) / 20},
                   {"id": f"dq:rows@p{i}", "question": "q", "estimate": 2.0}]  # no n
        (folder / "findings.json").write_text(json.dumps(records), encoding="utf-8")
        results.append(SimpleNamespace(run_id=f"r{i}", folder=folder))
    outcome = SimpleNamespace(results=results, out_dir=tmp_path,
                              study=SimpleNamespace(private=[], disclosure={}))
    texts = []
    for per_batch in (1, 5, 5000):
        monkeypatch.setattr(study_outputs, "FINDINGS_PER_BATCH", per_batch)
        study_outputs.write_findings_csv(outcome)
        texts.append((tmp_path / "analyst" / "findings.csv").read_text(encoding="utf-8"))
    assert texts[0] == texts[1] == texts[2]
    rows = _csv(tmp_path / "analyst" / "findings.csv")
    assert [r["n"] for r in rows[:2]] == ["40", ""] and rows[0]["clusters"] == "12"
