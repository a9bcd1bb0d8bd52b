r"""What each notebook needs of the data, checked against a study's data before any kernel starts.

A notebook says what it needs in comment lines of its ``parameters`` cell (read as text,
never executed, like the cell itself)::

    # needs: sector, setting (it compares NHS and independent providers)
    # measures named by: measure

``needs:`` lists columns the panel must hold, or constructs (``staffing``, ``waiting``,
``satisfaction``, ``context``) it must hold a measure of (with why, in brackets);
``measures named by:`` lists parameters whose values name measures of the data (``"a/b"`` names two).
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
    #: The constructs of the measures held (None when only a build can tell).
    constructs: frozenset[str] | None = None


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
                         unit=decl.unit_name,
                         constructs=frozenset(m.construct for m in decl.measures))
    if spec.kind == "panel":
        import pyarrow.parquet as pq

        from workbench.data.declared import beside, panel_columns

        path = Path(spec.options["path"])
        decl = beside(path)
        if decl is not None:
            return DataHolds(f"the panel {path.name} of a declared table",
                             frozenset(panel_columns(decl)),
                             tuple(m.name for m in decl.measures), unit=decl.unit_name,
                             constructs=frozenset(m.construct for m in decl.measures))
        try:
            columns = frozenset(pq.read_schema(path).names)
        except Exception:  # noqa: BLE001 - unreadable: the data step says why
            return None
        return DataHolds(f"the panel {path.name}", columns,
                         tuple(m for m in M.REGISTERED if m in columns),
                         constructs=frozenset(m.construct for m in M.REGISTERED.values()
                                              if m.name in columns))
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
    from workbench.data import measures as M

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
            # a construct (staffing, waiting...) is needed as a measure of it, not a column
            missing = [c for c in need.columns if c not in holds.columns
                       and not (c in M.CONSTRUCTS and c in (holds.constructs or {c}))]
            if missing:
                why = f" ({need.why})" if need.why else ""
                plainly = (f": it needs providers with sectors, and the data are of "
                           f"{holds.unit}s" if "sector" in missing and holds.unit != "provider"
                           else "")
                kinds = [f"a {c} measure" for c in missing if c in M.CONSTRUCTS]
                columns = [c for c in missing if c not in M.CONSTRUCTS]
                missing = kinds + ([f"the column(s) {', '.join(columns)}"] if columns else [])
                raise StudyError(
                    f"{where} needs {' and '.join(missing)}{why}, which the "
                    f"study's data ({holds.what}) do not hold{plainly}. The data hold the "
                    f"columns {_listed(sorted(holds.columns))}"
                    + (f" (measures of {', '.join(sorted(holds.constructs))})"
                       if kinds and holds.constructs else "")
                    + f"; leave this notebook out of the study, or give it data that hold "
                    f"{' and '.join(missing)}")
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


_PROVIDERS_NAMED_BY = re.compile(r"^\s*#\s*(?:providers|units) named by:\s*(?P<names>.+?)\s*$")
#: Parameters whose values are provider codes in any notebook that declares them.
PROVIDER_PARAMETERS = ("provider", "providers")
#: Columns whose values a provider parameter may also name (a region, a sector: notebook 12).
_GROUP_COLUMNS = ("region", "sector", "setting")
#: Values a provider parameter may give that name every provider.
_EVERYONE = ("England", "all")


def provider_parameters(notebook: str | Path, declared: dict[str, Any]) -> tuple[str, ...]:
    r"""The parameters of ``notebook`` whose values name providers (units): ``provider`` and
    ``providers`` where declared, and those a ``# providers named by: a, b`` line of its
    parameters cell names.

    >>> import nbformat, tempfile
    >>> nb = nbformat.v4.new_notebook()
    >>> cell = nbformat.v4.new_code_cell('providers = []\nwards = []\n'
    ...                                  '# providers named by: wards')
    >>> cell.metadata["tags"] = ["parameters"]
    >>> nb.cells.append(cell)
    >>> path = Path(tempfile.mkdtemp()) / "nb.ipynb"
    >>> nbformat.write(nb, path)
    >>> provider_parameters(path, {"providers": None, "wards": None})
    ('providers', 'wards')
    """
    named = [p for p in PROVIDER_PARAMETERS if p in declared]
    nb = load_notebook(notebook)
    if any("parameters" in c.get("metadata", {}).get("tags", []) for c in nb.cells):
        for line in nb.cells[find_parameters_cell(nb, notebook)].source.splitlines():
            found = _PROVIDERS_NAMED_BY.match(line)
            if found:
                named += [n for n in _names(found["names"]) if n not in named]
    return tuple(named)


def _codes_in(value: Any) -> list[str]:
    """The provider codes a parameter's value gives: text, a list of text, or a mapping's
    keys (``{"R001": "2024-06"}``).
    """
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str) and v]
    if isinstance(value, dict):
        return [k for k in value if isinstance(k, str)]
    return []


_LOOK_ALIKE = str.maketrans("OIL", "011")


def closest_codes(code: str, codes: list[str], n: int = 3) -> list[str]:
    """Up to ``n`` codes of ``codes`` closest to ``code``: those that differ only by case or
    by a letter read as a digit (O for 0, I or L for 1) first, then ``difflib``'s closest.

    >>> closest_codes("R0O2", ["R001", "R002", "R072", "N002"])
    ['R002', 'R072', 'R001']
    >>> closest_codes("w01", ["W01", "W02"])
    ['W01', 'W02']
    """
    key = code.upper().translate(_LOOK_ALIKE)
    alike = [c for c in codes if c.upper().translate(_LOOK_ALIKE) == key]
    near = difflib.get_close_matches(code.upper(), codes, n=n + len(alike), cutoff=0.5)
    return [*alike, *(c for c in near if c not in alike)][:n]


def check_provider_values(study: Study, panel_path: str | Path,
                          declared: dict[Path, dict[str, Any]]) -> None:
    """Check the provider codes a study's runs give (:func:`provider_parameters`) against
    the panel the data step made, before any kernel starts: a code the panel does not hold
    raises :class:`~workbench.errors.StudyError` naming the run, the notebook, the parameter
    and the code, with the closest codes of the data. A region, sector or setting the panel
    holds, and ``England``, are accepted too (notebooks that take a group of providers).
    Only values the study sets are checked (a notebook's defaults choose providers itself),
    and not those of parameters the study lists as ``private`` (a message would show them).
    """
    import pyarrow.parquet as pq

    wanted: dict[tuple[str, str], list[tuple[Any, str]]] = {}
    params: dict[Path, tuple[str, ...]] = {}
    for run in study.runs:
        if not run.parameters:
            continue
        if run.notebook not in params:
            params[run.notebook] = provider_parameters(run.notebook,
                                                       declared.get(run.notebook, {}))
        for name in params[run.notebook]:
            if name in study.private:  # never shown in a message, so not checked
                continue
            for code in _codes_in(run.parameters.get(name)):
                wanted.setdefault((name, code), []).append((run, name))
    if not wanted:
        return
    schema = pq.read_schema(panel_path).names
    columns = [c for c in ("provider_code", *_GROUP_COLUMNS) if c in schema]
    table = pq.read_table(panel_path, columns=columns).to_pandas()
    codes = sorted({str(c) for c in table["provider_code"].dropna().unique()})
    accepted = set(codes) | set(_EVERYONE)
    for column in columns[1:]:
        accepted |= {str(v) for v in table[column].dropna().unique()}
    holds = data_holds(study.data)
    unit = holds.unit if holds is not None else "provider"
    for (name, code), uses in wanted.items():
        if code in accepted:
            continue
        run = uses[0][0]
        close = closest_codes(code, codes)
        sample = [c for c in codes if c[:1] == code[:1].upper()][:8] or codes[:8]
        hint = (f" Did you mean {close[0]!r}?" + (f" (also close: {', '.join(close[1:])})"
                                                  if len(close) > 1 else "")) if close else ""
        more = f" (and {len(uses) - 1} more run(s))" if len(uses) > 1 else ""
        raise StudyError(
            f"{study.path}: run {run.run_id}{more} (notebook {run.notebook.name}), parameter "
            f"{name!r}: {code!r} is not a {unit} code of the study's data ({len(codes):,} "
            f"{unit}s, e.g. {_listed(sample)}).{hint} Nothing was run: correct the code "
            "in the study file")
