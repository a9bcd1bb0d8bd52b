"""Check a study and describe its runs without running anything (``workbench run --dry-run``).

:func:`check_study` checks every run's parameters against its notebook's parameters
cell, reading each notebook once, so that a typo stops a study before any kernel starts;
:func:`plan_study` also lists the runs. The runner (:mod:`workbench.batch.runner`) does
both before it makes the data.
"""

from __future__ import annotations

from pathlib import Path

from workbench.batch.cache import canonical_json
from workbench.batch.execute import INJECTED_PARAMETERS
from workbench.batch.params import Parameter, read_parameters, validate_parameters
from workbench.batch.study import MAX_RUNS, Study, load_study
from workbench.errors import ParameterError, StudyError


def check_study(study: Study) -> dict[Path, dict[str, Parameter]]:
    """Check every run of ``study`` against its notebook; start nothing, write nothing.

    Each run's parameters must be declared in the notebook's parameters cell (a
    notebook without one takes none), of the declared type, and not ``panel_path``
    or ``output_dir`` (the runner sets those in notebooks that declare them). A
    notebook that declares ``panel_path`` needs a study with ``data:``. Each notebook
    is read once, however many runs it has. Returns the declared parameters by
    notebook. Raises :class:`~workbench.errors.ParameterError`,
    :class:`~workbench.errors.NotebookError` or :class:`~workbench.errors.StudyError`
    on the first problem.
    """
    declared: dict[Path, dict[str, Parameter]] = {}
    for run in study.runs:
        params = declared.get(run.notebook)
        if params is None:
            params = declared[run.notebook] = read_parameters(run.notebook, missing_ok=True)
            if "panel_path" in params and study.data is None:
                raise StudyError(
                    f"{study.path}: the notebook {run.notebook} declares 'panel_path' (the "
                    "runner sets it to the study's panel) but the study has no 'data:'; add "
                    "`data: synthetic` (the default synthetic panel), `data: {panel: FILE}` or "
                    "`data: {build: {from: FOLDER}}`, or remove panel_path from the "
                    "notebook's parameters cell")
        if run.parameters and not params:
            name = next(iter(run.parameters))
            raise ParameterError(
                str(run.notebook), name,
                f"is set by the study (run {run.run_id}) but the notebook declares no "
                "parameters: tag the code cell that holds its defaults 'parameters'", {})
        validate_parameters(run.notebook, run.parameters, params,
                            reserved=INJECTED_PARAMETERS)
    return declared


def injected_parameters(declared: dict[str, Parameter]) -> tuple[str, ...]:
    """The parameters the runner sets in a notebook that declares ``declared``.

    >>> injected_parameters({"output_dir": None, "subset": None})
    ('output_dir',)
    """
    return tuple(name for name in INJECTED_PARAMETERS if name in declared)


def refuse_too_many(study: Study, max_runs: int) -> None:
    """Refuse a study of more than ``max_runs`` runs, naming the limit and how to raise it."""
    if len(study.runs) > max_runs:
        raise StudyError(f"{study.path}: key 'runs': the study makes {len(study.runs):,} runs, "
                         f"more than the limit of {max_runs:,}; split the study or raise the "
                         f"limit (workbench run --max-runs {len(study.runs)})")


def plan_study(study: str | Path | Study, max_runs: int = MAX_RUNS, head: int = 10,
               tail: int = 5) -> str:
    """Check ``study`` (:func:`check_study`) and describe its runs without running them
    or writing anything: one line per run (run id, notebook, parameters), only the first
    ``head`` and last ``tail`` when there are more, and the total.

    >>> import tempfile, pathlib, nbformat
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> nb = nbformat.v4.new_notebook()
    >>> nb.cells.append(nbformat.v4.new_code_cell("x = 1"))
    >>> nb.cells[0].metadata["tags"] = ["parameters"]
    >>> nbformat.write(nb, d / "nb.ipynb")
    >>> _ = (d / "s.yaml").write_text("name: demo\\nruns:\\n  - notebook: nb.ipynb\\n"
    ...                               "    parameters: {x: [1, 2, 3, 4]}\\n")
    >>> print(plan_study(d / "s.yaml", head=1, tail=1))
    demo: 4 runs of 1 notebook; data: none
    run id   notebook  parameters
    nb--x-1  nb.ipynb  x=1
    ... 2 more runs ...
    nb--x-4  nb.ipynb  x=4
    4 runs checked; nothing was run or written (dry run)
    """
    study = study if isinstance(study, Study) else load_study(study, max_runs=max_runs)
    refuse_too_many(study, max_runs)
    check_study(study)
    runs = study.runs
    n_notebooks = len({r.notebook for r in runs})
    data = "none" if study.data is None else \
        f"{study.data.kind} {canonical_json(_plain(study.data.options))}"
    shown = list(runs) if len(runs) <= head + tail + 1 else [*runs[:head], None, *runs[-tail:]]
    rows = [("run id", "notebook", "parameters")]
    for run in shown:
        if run is None:
            rows.append(None)
            continue
        params = ", ".join(f"{k}={canonical_json(v) if not isinstance(v, str) else v}"
                           for k, v in run.parameters.items())
        rows.append((run.run_id, run.notebook.name, params or "(defaults)"))
    widths = [max(len(row[i]) for row in rows if row) for i in range(2)]
    hidden = len(runs) - head - tail
    lines = [f"{study.name}: {_plural(len(runs), 'run')} of "
             + f"{_plural(n_notebooks, 'notebook')}; data: {data}"]
    for row in rows:
        lines.append(f"... {_plural(hidden, 'more run')} ..." if row is None else
                     f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]}")
    lines.append(f"{_plural(len(runs), 'run')} checked; nothing was run or written (dry run)")
    return "\n".join(lines)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _plain(options: dict) -> dict:
    return {k: str(v) if isinstance(v, Path) else v for k, v in options.items()}
