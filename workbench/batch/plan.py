"""Check a study and describe its runs without running anything (``workbench run --dry-run``).

:func:`check_study` checks every run's parameters against its notebook's parameters
cell, reading each notebook once, so that a typo stops a study before any kernel starts;
:func:`plan_study` also lists the runs (and says which run ids differ from what their
notebook and parameters spell, e.g. ``data-run`` for a notebook ``data.ipynb``, whose
plain id is the study's own data folder). :func:`check_output_folder` refuses an output
folder whose paths would pass the file system's limits. The runner
(:mod:`workbench.batch.runner`) does all three before it makes the data.
"""

from __future__ import annotations

import os
from pathlib import Path

from workbench.batch.cache import canonical_json
from workbench.batch.execute import INJECTED_PARAMETERS, PARTIAL_SUFFIX
from workbench.batch.needs import check_needs, check_provider_values
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
    check_needs(study, declared)  # what each notebook needs of the data, and measure names
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


#: Bytes a path keeps free, past a run folder, for what the run writes inside it
#: (``figures/<name>.png``, ``notebook.ipynb`` and the like).
PATH_ROOM = 160
#: Longest tag a run's hidden partial folder carries (``-<pid>-<hex>``).
_PARTIAL_TAG = 24


def _limits(folder: Path) -> tuple[int, int]:
    """The file system's longest name and path (bytes) where ``folder`` is, or would be."""
    base = folder
    while base != base.parent:
        try:
            if base.exists():
                break
        except OSError:  # a name too long to look up: its parent is asked
            pass
        base = base.parent
    try:
        return os.pathconf(base, "PC_NAME_MAX"), os.pathconf(base, "PC_PATH_MAX")
    except (OSError, ValueError):
        return 255, 4096


def check_output_folder(study: Study, out: str | Path) -> None:
    """Refuse, before anything is written, an output folder ``out/<study name>`` whose names
    or paths (with the run folders, their hidden partial folders and
    :data:`PATH_ROOM` bytes for the files in them) would pass the file system's limits
    (``PC_NAME_MAX``, ``PC_PATH_MAX``: 255 and 4,096 bytes on Linux), raising
    :class:`~workbench.errors.StudyError` with the limit and what to shorten.

    >>> from workbench.batch.study import Study
    >>> check_output_folder(Study("demo", "Demo", Path("s.yaml"), None, ()), "outputs")
    >>> try:
    ...     check_output_folder(Study("demo", "Demo", Path("s.yaml"), None, ()), "x" * 300)
    ... except StudyError as exc:
    ...     print(str(exc).split(": ", 1)[1])
    the folder name 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…' is 300 bytes long, more than this file system allows (255 bytes a name); choose a shorter --out
    """
    out_dir = Path(os.path.abspath(out)) / study.name
    name_max, path_max = _limits(out_dir)
    where = str(out_dir) if len(str(out_dir)) <= 120 else f"{str(out_dir)[:80]}…{study.name[-30:]}"
    for part in out_dir.parts:
        if len(os.fsencode(part)) > name_max:
            what = "the study name" if part == study.name and part == out_dir.name else \
                "the folder name"
            fix = "shorten the study's name" if what == "the study name" else \
                "choose a shorter --out"
            shown = part if len(part) <= 60 else part[:59] + "…"
            raise StudyError(f"{where}: {what} {shown!r} is {len(os.fsencode(part)):,} bytes "
                             f"long, more than this file system allows ({name_max} bytes a "
                             f"name); {fix}")
    longest = max((len(os.fsencode(r.run_id)) for r in study.runs), default=0)
    partial = 1 + longest + len(PARTIAL_SUFFIX) + _PARTIAL_TAG
    if partial > name_max:
        raise StudyError(f"{where}: a run id of {longest} bytes makes a folder name longer "
                         f"than this file system allows ({name_max} bytes a name)")
    total = len(os.fsencode(str(out_dir))) + 1 + partial + PATH_ROOM
    if total > path_max:
        raise StudyError(f"{where}: the output folder's path is {len(os.fsencode(str(out_dir))):,}"
                         f" bytes long; with a run folder ({partial} bytes) and room for the "
                         f"files in it ({PATH_ROOM} bytes) its paths would pass this file "
                         f"system's limit of {path_max:,} bytes; choose a shorter --out")


def plan_study(study: str | Path | Study, max_runs: int = MAX_RUNS, head: int = 10,
               tail: int = 5, out: str | Path | None = None) -> str:
    r"""Check ``study`` (:func:`check_study`) and describe its runs without running them
    or writing anything: one line per run (run id, notebook, parameters), only the first
    ``head`` and last ``tail`` when there are more, the total, and a note for each run
    whose id is not the one its notebook and parameters spell (a name the study uses
    for its own files, :func:`~workbench.batch.study.reserved_problem`). With ``out``,
    the output folder is checked too (:func:`check_output_folder`).

    >>> import tempfile, pathlib, nbformat
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> nb = nbformat.v4.new_notebook()
    >>> nb.cells.append(nbformat.v4.new_code_cell("x = 1"))
    >>> nb.cells[0].metadata["tags"] = ["parameters"]
    >>> nbformat.write(nb, d / "nb.ipynb")
    >>> _ = (d / "s.yaml").write_text("name: demo\nruns:\n  - notebook: nb.ipynb\n"
    ...                               "    parameters: {x: [1, 2, 3, 4]}\n")
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
    declared = check_study(study)
    if study.data is not None and study.data.kind == "panel" and \
            Path(study.data.options["path"]).is_file():  # made already: codes checked now
        check_provider_values(study, study.data.options["path"], declared)
    if out is not None:
        check_output_folder(study, out)
    runs = study.runs
    n_notebooks = len({r.notebook for r in runs})
    data = "none" if study.data is None else \
        f"{study.data.kind} {canonical_json(_plain(study.data.options))}"
    if study.data is not None and study.data.kind == "table":  # not the whole declaration
        opts = study.data.options
        data = (f"table {opts['table']} (declared in {opts.get('declared_in')}: "
                f"{len(opts['declaration'].get('measures', {}))} measures)")
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
    noted = [r for r in runs if r.id_note]
    lines += [f"note: {r.notebook.name}: {r.id_note}" for r in noted[:head]]
    if len(noted) > head:
        lines.append(f"note: ... and {_plural(len(noted) - head, 'more run')} renamed so")
    lines.append(f"{_plural(len(runs), 'run')} checked; nothing was run or written (dry run)")
    return "\n".join(lines)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _plain(options: dict) -> dict:
    return {k: str(v) if isinstance(v, Path) else v for k, v in options.items()}
