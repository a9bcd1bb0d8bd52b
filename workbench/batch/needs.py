r"""What each notebook needs of the data, checked against a study's data before any kernel starts.

A notebook says what it needs in comment lines of its ``parameters`` cell (read as text,
never executed, like the cell itself)::

    # needs: sector, setting (it compares NHS and independent providers)
    # measures named by: measure

``needs:`` lists columns the panel must hold (with why, in brackets); ``measures named
by:`` lists parameters whose values name measures of the data (``"a/b"`` names two).
:func:`check_needs` compares every run with what the study's data hold
(:func:`data_holds`: the columns and measures of a table's declaration, of a panel
file's schema, or the registry's for the synthetic default and a build of published
files, known before anything is made) and raises :class:`~workbench.errors.StudyError`
naming the run, the notebook, what is missing and what the data hold, with a "did you
mean" for a misspelt measure. It runs with the other checks of
:func:`workbench.batch.plan.check_study`, so ``workbench run --dry-run`` reports it too.

>>> needs_from_source('# needs: sector, setting (compares sectors)\nmeasure = "x"\n'
...                   '# measures named by: measure')
Needs(columns=('sector', 'setting'), why='compares sectors', measure_parameters=('measure',))
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.batch.params import find_parameters_cell, load_notebook
from workbench.batch.study import DataSpec, Study
from workbench.errors import StudyError

_NEEDS = re.compile(r"^\s*#\s*needs:\s*(?P<names>[^()]*?)\s*(?:\((?P<why>.*)\))?\s*$")
_NAMED_BY = re.compile(r"^\s*#\s*measures named by:\s*(?P<names>.+?)\s*$")
#: Most names of what the data hold that a message lists.
MAX_LISTED = 30


@dataclass(frozen=True)
class Needs:
    """What a notebook needs: ``columns`` the panel must hold (``why`` in words), and the
    parameters whose values name measures.
    """

    columns: tuple[str, ...] = ()
    why: str = ""
    measure_parameters: tuple[str, ...] = ()


@dataclass(frozen=True)
class DataHolds:
    """What a study's data hold, known before they are made: ``columns`` (None when only
    a build can tell: then the panel's identity columns are assumed) and ``measures``.
    """

    what: str
    columns: frozenset[str] | None
    measures: tuple[str, ...]
    #: What one unit is (``ward``) and the kind of data, for messages.
    unit: str = "provider"


def _names(text: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in text.split(",") if n.strip())


def needs_from_source(source: str) -> Needs:
    """The :class:`Needs` written in a parameters cell's comment lines."""
    columns: tuple[str, ...] = ()
    why, named = "", ()
    for line in source.splitlines():
        found = _NEEDS.match(line)
        if found:
            columns += _names(found["names"])
            why = why or (found["why"] or "").strip()
            continue
        found = _NAMED_BY.match(line)
        if found:
            named += _names(found["names"])
    return Needs(columns=columns, why=why, measure_parameters=named)


def read_needs(notebook: str | Path) -> Needs:
    """The :class:`Needs` a notebook declares (none when it has no parameters cell)."""
    nb = load_notebook(notebook)
    if not any("parameters" in c.get("metadata", {}).get("tags", []) for c in nb.cells):
        return Needs()
    cell = nb.cells[find_parameters_cell(nb, notebook)]
    return needs_from_source(cell.source)


def data_holds(spec: DataSpec | None) -> DataHolds | None:
    """What the data of ``spec`` hold, without making them (None without data).

    >>> holds = data_holds(DataSpec("synthetic", {}))
    >>> holds.columns is None, "rtt_median_weeks" in holds.measures
    (True, True)
    """
    from workbench.data import measures as M

    if spec is None:
        return None
    if spec.kind == "table":
        from workbench.data.declared import panel_columns, read_declaration

        decl = read_declaration(spec.options["declaration"],
                                source=str(spec.options.get("declared_in", "")))
        return DataHolds(f"the table {Path(spec.options['table']).name} (declared: "
                         f"{decl.unit_plural} x {decl.frequency}s)",
                         frozenset(panel_columns(decl)), tuple(m.name for m in decl.measures),
                         unit=decl.unit_name)
    if spec.kind == "panel":
        import pyarrow.parquet as pq

        from workbench.data.declared import beside, panel_columns

        path = Path(spec.options["path"])
        decl = beside(path)
        if decl is not None:
            return DataHolds(f"the panel {path.name} of a declared table",
                             frozenset(panel_columns(decl)),
                             tuple(m.name for m in decl.measures), unit=decl.unit_name)
        try:
            columns = frozenset(pq.read_schema(path).names)
        except Exception:  # noqa: BLE001 - unreadable: the data step says why
            return None
        return DataHolds(f"the panel {path.name}", columns,
                         tuple(m for m in M.REGISTERED if m in columns))
    what = ("the synthetic default" if spec.kind == "synthetic"
            else "a build of published files")
    return DataHolds(what, None, tuple(M.REGISTERED))


def _listed(names) -> str:
    names = list(names)
    more = f" and {len(names) - MAX_LISTED} more" if len(names) > MAX_LISTED else ""
    return ", ".join(names[:MAX_LISTED]) + more


def check_needs(study: Study, declared: dict[Path, dict[str, Any]]) -> None:
    """Check every run of ``study`` against what its data hold (see the module docstring);
    ``declared`` are the notebooks' parameters (for the defaults of parameters a run does
    not set). Raises :class:`~workbench.errors.StudyError` on the first problem.
    """
    holds = data_holds(study.data)
    if holds is None:
        return
    needs: dict[Path, Needs] = {}
    for run in study.runs:
        if run.notebook not in needs:
            needs[run.notebook] = read_needs(run.notebook)
        need = needs[run.notebook]
        where = f"{study.path}: run {run.run_id} (notebook {run.notebook.name})"
        if holds.columns is not None:
            missing = [c for c in need.columns if c not in holds.columns]
            if missing:
                why = f" ({need.why})" if need.why else ""
                plainly = (f": it needs providers with sectors, and the data are of "
                           f"{holds.unit}s" if "sector" in missing and holds.unit != "provider"
                           else "")
                raise StudyError(
                    f"{where} needs the column(s) {', '.join(missing)}{why}, which the "
                    f"study's data ({holds.what}) do not hold{plainly}. The data hold the "
                    f"columns {_listed(sorted(holds.columns))}; leave this notebook out of "
                    f"the study, or give it data that hold {', '.join(missing)}")
        for parameter in need.measure_parameters:
            given = parameter in run.parameters
            spec = declared.get(run.notebook, {}).get(parameter)
            value = run.parameters[parameter] if given else getattr(spec, "default", None)
            values = value if isinstance(value, list) else [value]
            values = [v.get("measure") if isinstance(v, dict) else v for v in values]
            named = [n.strip() for v in values if isinstance(v, str) and v
                     for n in v.split("/")]
            for name in named:
                if name in holds.measures:
                    continue
                close = difflib.get_close_matches(name, holds.measures, n=1, cutoff=0.6)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                source = "" if given else " (the notebook's default)"
                raise StudyError(
                    f"{where}, parameter {parameter!r}: {name!r}{source} is not a measure "
                    f"of the study's data ({holds.what}).{hint} The data hold the measures "
                    f"{_listed(holds.measures)}")
