"""Run a whole study: check every run, make the data once, execute, then index the results.

The order is fixed so that mistakes cost nothing:

1. read the study file (:func:`~workbench.batch.study.load_study`);
2. check every run's parameters against its notebook's parameters cell
   (:func:`check_study`), so a typo stops the study before any kernel starts;
3. materialise the data once into ``outputs/<study>/data/`` and hash it;
4. execute the runs through an executor (``local`` now), each in a fresh kernel,
   with a progress bar; a failed run never stops the others;
5. write ``outputs/<study>/findings.csv`` and ``outputs/<study>/index.html``.

>>> result = run_study("studies/default.yaml", out="outputs")    # doctest: +SKIP
>>> result.exit_code, result.index_path                           # doctest: +SKIP
(0, PosixPath('outputs/default/index.html'))
"""

from __future__ import annotations

import inspect
import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from workbench.analysis.findings import atomic_write_text, findings_to_frame
from workbench.batch import provenance
from workbench.batch.execute import (
    FINDINGS_FILE,
    INJECTED_PARAMETERS,
    REPORT_FILE,
    RunResult,
    RunTask,
    execute_run,
)
from workbench.batch.executors import get_executor
from workbench.batch.params import Parameter, read_parameters, validate_parameters
from workbench.batch.study import DataSpec, Study, load_study
from workbench.errors import ParameterError, StudyError

DATA_DIR = "data"
PANEL_FILE = "panel.parquet"
TRUTH_FILE = "truth.json"
INDEX_FILE = "index.html"
FINDINGS_CSV = "findings.csv"


@dataclass
class StudyResult:
    """The outcome of :func:`run_study`: one :class:`RunResult` per run, in study order."""

    study: Study
    out_dir: Path
    results: list[RunResult]
    data: dict = field(default_factory=dict)

    @property
    def failed(self) -> list[RunResult]:
        return [r for r in self.results if not r.ok]

    @property
    def exit_code(self) -> int:
        """0 when every run succeeded, 1 otherwise."""
        return 1 if self.failed else 0

    @property
    def index_path(self) -> Path:
        return self.out_dir / INDEX_FILE

    def summary(self) -> str:
        """A few lines for the terminal: counts, where the index is, each failure."""
        n_failed = len(self.failed)
        lines = [(f"{self.study.name}: {len(self.results)} run(s), "
                  f"{len(self.results) - n_failed} ok, {n_failed} failed. "
                  f"Index: {self.index_path}")]
        for r in self.failed:
            lines.append(f"  FAILED {r.run_id}: {r.error_line} (log: {r.folder / 'run.log'})")
        return "\n".join(lines)


def check_study(study: Study) -> dict[Path, dict[str, Parameter]]:
    """Check every run of ``study`` against its notebook; start nothing.

    Each notebook must declare ``panel_path`` and ``output_dir`` (the runner sets
    them); each run's parameters must be declared, of the declared type, and not
    one of those two. Returns the declared parameters by notebook. Raises
    :class:`~workbench.errors.ParameterError` or
    :class:`~workbench.errors.NotebookError` on the first problem.
    """
    declared: dict[Path, dict[str, Parameter]] = {}
    for run in study.runs:
        if run.notebook not in declared:
            params = read_parameters(run.notebook)
            summary = {name: p.type_name for name, p in params.items()}
            for name in INJECTED_PARAMETERS:
                if name not in params:
                    raise ParameterError(
                        str(run.notebook), name,
                        "must be declared in the notebook's parameters cell (the runner sets it "
                        "in every run; declare it with an empty default, e.g. "
                        f'{name} = "")', summary)
            declared[run.notebook] = params
        validate_parameters(run.notebook, run.parameters, declared[run.notebook],
                            reserved=INJECTED_PARAMETERS)
    return declared


def materialise_data(spec: DataSpec, data_dir: Path, study_path: Path | str = "<study>") -> dict:
    """Write the study's panel (and ``truth.json`` for synthetic data) into ``data_dir``.

    Returns the manifest's data record: ``kind``, ``options``, ``path`` and
    ``truth_path`` (relative to the study's output folder), ``sha256`` of the panel.
    The files are written into a hidden folder and moved into place when complete.
    """
    tmp = data_dir.parent / f".{data_dir.name}.partial"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    try:
        truth = _write_data(spec, tmp, study_path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)  # the error itself propagates
        raise
    if data_dir.exists():
        shutil.rmtree(data_dir)
    os.replace(tmp, data_dir)
    options = {k: (str(v) if isinstance(v, Path) else v) for k, v in spec.options.items()}
    return {"kind": spec.kind, "options": options, "path": f"{DATA_DIR}/{PANEL_FILE}",
            "truth_path": f"{DATA_DIR}/{TRUTH_FILE}" if truth else None,
            "sha256": provenance.sha256_file(data_dir / PANEL_FILE)}


def _write_data(spec: DataSpec, tmp: Path, study_path: Path | str) -> bool:
    """Write the panel (and truth) into ``tmp``; True when a truth file was written."""
    truth = False
    if spec.kind == "synthetic":
        from workbench.data.synth import generate

        accepted = inspect.signature(generate).parameters
        for key in spec.options:
            if key not in accepted:
                raise StudyError(f"{study_path}: unknown key 'data.synthetic.{key}'; the "
                                 f"generator accepts {list(accepted)}")
        try:
            synthetic = generate(**spec.options)
        except (TypeError, ValueError) as exc:  # the generator's own check of its options
            raise StudyError(f"{study_path}: key 'data.synthetic': {exc}") from exc
        panel_file, truth_file = synthetic.write(tmp)
        _rename_into(Path(panel_file), tmp / PANEL_FILE)
        _rename_into(Path(truth_file), tmp / TRUTH_FILE)
        truth = True
    elif spec.kind == "panel":
        from workbench.data.schema import validate_panel

        source = Path(spec.options["path"])
        validate_panel(pd.read_parquet(source), source=str(source))
        shutil.copyfile(source, tmp / PANEL_FILE)
    elif spec.kind == "build":
        try:
            from workbench.data.panel import build
        except ModuleNotFoundError as exc:
            if exc.name not in ("workbench.data.panel",):
                raise
            raise StudyError(f"{study_path}: key 'data.build' needs workbench.data.panel.build, "
                             "which is not installed in this checkout") from exc

        options = {k: v for k, v in spec.options.items() if k != "from"}
        if "out" in inspect.signature(build).parameters:
            options["out"] = tmp / PANEL_FILE  # coverage and provenance files land beside it
        built = build(spec.options["from"], **options)
        if isinstance(built, pd.DataFrame):
            built.to_parquet(tmp / PANEL_FILE, index=False)
        else:
            made = getattr(built, "panel_path", built)
            if not isinstance(made, (str, os.PathLike)):
                raise StudyError(f"{study_path}: data.build: workbench.data.panel.build returned "
                                 f"{type(built).__name__}; expected a result with panel_path, "
                                 "a DataFrame or a parquet path")
            if Path(made).resolve() != (tmp / PANEL_FILE).resolve():
                shutil.copyfile(made, tmp / PANEL_FILE)
    else:  # DataSpec is only built by study.py, which checks the kind
        raise StudyError(f"{study_path}: key 'data': unknown kind {spec.kind!r}")
    return truth


def _rename_into(src: Path, dst: Path) -> None:
    if src.resolve() != dst.resolve():
        os.replace(src, dst)


def run_study(study: str | Path | Study, out: str | Path = "outputs", workers: int = 1,
              executor: str = "local", progress: bool = True,
              kernel_name: str = "workbench") -> StudyResult:
    """Check, execute and index every run of a study; see the module docstring.

    Returns a :class:`StudyResult` whose ``exit_code`` is non-zero when any run
    failed. Raises (before any kernel starts) :class:`~workbench.errors.StudyError`,
    :class:`~workbench.errors.ParameterError` or :class:`~workbench.errors.NotebookError`.
    """
    from workbench.kernelspec import ensure_kernelspec

    study = study if isinstance(study, Study) else load_study(study)
    check_study(study)
    out_dir = Path(out) / study.name
    out_dir.mkdir(parents=True, exist_ok=True)
    data = materialise_data(study.data, out_dir / DATA_DIR, study.path)
    if kernel_name == "workbench":
        ensure_kernelspec(kernel_name)
    git_by_folder: dict[Path, dict] = {}
    tasks = []
    for run in study.runs:
        folder = run.notebook.parent
        if folder not in git_by_folder:
            git_by_folder[folder] = {"commit": provenance.git_commit(folder)}
        git = {**git_by_folder[folder],
               "dirty": provenance.git_dirty(folder, [run.notebook.name])}
        tasks.append(RunTask(run=run, out_dir=out_dir, panel_path=out_dir / DATA_DIR / PANEL_FILE,
                             data=data, study_title=study.title, git=git,
                             kernel_name=kernel_name))
    results: list[RunResult] = []
    bar = tqdm(total=len(tasks), desc=study.name, unit="run", disable=not progress,
               dynamic_ncols=True)
    with get_executor(executor, workers=workers) as ex, bar:
        for result in ex.map_unordered(execute_run, tasks):
            results.append(result)
            n_failed = sum(not r.ok for r in results)
            bar.set_postfix_str(f"ok {len(results) - n_failed}, failed {n_failed}")
            bar.update(1)
    results.sort(key=lambda r: r.position)
    outcome = StudyResult(study=study, out_dir=out_dir, results=results, data=data)
    write_findings_csv(outcome)
    write_index(outcome, git_commit=next(iter(git_by_folder.values()), {}).get("commit"))
    return outcome


def read_run_findings(folder: Path) -> list[dict]:
    """The finding records of a run folder ([] when it has no findings.json)."""
    path = folder / FINDINGS_FILE
    if not path.exists():
        return []
    return json.loads(path.read_text(encoding="utf-8"))


def findings_table(results: list[RunResult]) -> pd.DataFrame:
    """All findings of the runs, one row each, with ``run_id`` first (study order).

    Dict and list values (``parameters``) are written as sorted JSON text.
    """
    frames = []
    for r in results:
        records = read_run_findings(r.folder)
        if records:
            df = findings_to_frame(records)
            df.insert(0, "run_id", r.run_id)
            frames.append(df)
    if not frames:
        empty = findings_to_frame([])
        empty.insert(0, "run_id", pd.Series(dtype=object))
        return empty
    table = pd.concat(frames, ignore_index=True)
    for col in table.columns:
        if table[col].map(lambda v: isinstance(v, (dict, list))).any():
            table[col] = table[col].map(
                lambda v: json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else v)
    return table


def write_findings_csv(outcome: StudyResult) -> Path:
    """Write ``outputs/<study>/findings.csv`` (atomic)."""
    text = findings_table(outcome.results).to_csv(index=False, lineterminator="\n")
    return atomic_write_text(outcome.out_dir / FINDINGS_CSV, text)


def write_index(outcome: StudyResult, git_commit: str | None = None) -> Path:
    """Write ``outputs/<study>/index.html`` listing every run (atomic)."""
    from workbench.report.render import render_index

    runs = []
    for r in outcome.results:
        has_report = (r.folder / REPORT_FILE).exists()
        runs.append({"run_id": r.run_id, "title": r.title, "parameters": r.parameters,
                     "status": r.status, "duration_s": r.duration_s, "error": r.error_line,
                     "report_href": f"{r.run_id}/{REPORT_FILE}" if has_report else "",
                     "findings": read_run_findings(r.folder)})
    study_info: Mapping = {"name": outcome.study.name, "title": outcome.study.title,
                           "data_sha256": outcome.data.get("sha256"),
                           "workbench_version": provenance.workbench_version(),
                           "git_commit": git_commit}
    return atomic_write_text(outcome.index_path, render_index(study_info, runs))
