r"""Read a notebook's ``parameters`` cell and check a run's parameters against it.

A workbench notebook has one code cell tagged ``parameters`` holding plain
assignments, each optionally followed by a ``# comment`` that is its help text::

    panel_path = ""      # panel parquet file; empty means the built-in synthetic default
    n_months = 36        # months in the synthetic default
    subset = "acute"     # which providers: "acute", "nhs", "independent", "care_home"

The declared type of a parameter is the type of its default value (``str``,
``int``, ``float``, ``bool``, ``list``, ``dict``; a ``None`` default accepts any
value). The cell is parsed with :mod:`ast`, never executed, so checking a whole
study costs milliseconds and starts no kernel.

Whatever the declared type, a value that reaches a notebook is a JSON value:
null, true/false, a finite number, text, or a list or mapping (text keys) of
them (:func:`json_value_problem`). Papermill writes the values into the
notebook as Python source, so anything else (bytes, dates, sets, tuples, objects
of other classes) is refused before a kernel starts (:func:`check_json_parameters`).

>>> import nbformat, tempfile, pathlib
>>> nb = nbformat.v4.new_notebook()
>>> cell = nbformat.v4.new_code_cell('n_months = 36  # months\nsubset = "acute"')
>>> cell.metadata["tags"] = ["parameters"]
>>> nb.cells.append(cell)
>>> path = pathlib.Path(tempfile.mkdtemp()) / "demo.ipynb"
>>> nbformat.write(nb, path)
>>> declared = read_parameters(path)
>>> declared["n_months"].type_name, declared["n_months"].default, declared["n_months"].help
('int', 36, 'months')
>>> validate_parameters(path, {"n_months": 12}, declared)
>>> validate_parameters(path, {"n_month": 12}, declared)
Traceback (most recent call last):
...
workbench.errors.ParameterError: ...demo.ipynb: parameter 'n_month' is not declared by the notebook. Did you mean 'n_months'? ...
"""

from __future__ import annotations

import ast
import difflib
import io
import json
import keyword
import math
import tokenize
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from workbench.errors import ArgumentError, NotebookError, ParameterError


@dataclass(frozen=True)
class Literal:
    """A parameter value passed as is, never expanded into a grid (YAML tag ``!literal``)."""

    value: Any


@dataclass(frozen=True)
class Grid:
    """A list whose items are one run each, whatever the notebook declares (YAML tag
    ``!grid``); see :func:`workbench.batch.params.shape_parameters`.
    """

    value: Any


#: The tag papermill looks for on the cell holding a notebook's defaults.
PARAMETERS_TAG = "parameters"

#: Declared type names, in the order a reader meets them in the docs.
TYPE_NAMES = {str: "str", int: "int", float: "float", bool: "bool", list: "list",
              dict: "dict", type(None): "any"}

_ANNOTATION_TYPES = {"str": str, "int": int, "float": float, "bool": bool, "list": list,
                     "dict": dict}


@dataclass(frozen=True)
class Parameter:
    """One parameter declared in a notebook's ``parameters`` cell.

    ``type_name`` is one of ``str, int, float, bool, list, dict`` or ``any`` (for a
    ``None`` default or a default that is not a plain literal); ``help`` is the
    comment after the assignment ('' when absent); ``line`` is its line in the cell.

    >>> Parameter("seed", "int", 1, "seed of the generator", 1).accepts(3)
    True
    >>> Parameter("seed", "int", 1, "", 1).accepts(True)
    False
    """

    name: str
    type_name: str
    default: Any
    help: str
    line: int

    def accepts(self, value: Any) -> bool:
        """True when ``value`` has the declared type (an int is accepted for a float)."""
        return value_matches(value, self.type_name)


def value_matches(value: Any, type_name: str) -> bool:
    """True when ``value`` fits a parameter declared as ``type_name``.

    ``bool`` is not accepted where a number is declared (YAML ``yes`` is not 1),
    and ``int`` is accepted where ``float`` is declared.

    >>> value_matches(3, "float"), value_matches(3.0, "int"), value_matches(None, "any")
    (True, False, True)
    """
    if type_name == "any":
        return True
    if type_name == "bool":
        return isinstance(value, bool)
    if type_name == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if type_name == "str":
        return isinstance(value, str)
    if type_name == "list":
        return isinstance(value, (list, tuple))
    if type_name == "dict":
        return isinstance(value, dict)
    raise ArgumentError("value_matches", "type_name", type_name,
                        problem="is not a parameter type",
                        expected=f"one of {sorted(set(TYPE_NAMES.values()))}")


def type_name_of(value: Any) -> str:
    """The name used in messages for the type of ``value``.

    >>> type_name_of(1.5), type_name_of([1]), type_name_of(None)
    ('float', 'list', 'None')
    """
    if value is None:
        return "None"
    for typ, name in TYPE_NAMES.items():
        if type(value) is typ:
            return name
    return type(value).__name__


def load_notebook(path: str | Path) -> nbformat.NotebookNode:
    """Read a notebook file, with a clear :class:`NotebookError` when missing or broken."""
    path = Path(path)
    if not path.is_file():
        raise NotebookError(path, "notebook file not found"
                            + (" (it is a folder)" if path.is_dir() else ""))
    try:
        return nbformat.read(path, as_version=4)
    except (json.JSONDecodeError, nbformat.reader.NotJSONError, KeyError) as exc:
        raise NotebookError(path, f"not a readable .ipynb notebook ({exc})") from exc


def find_parameters_cell(nb: nbformat.NotebookNode, path: str | Path) -> int:
    """Index of the code cell tagged ``parameters``; exactly one must exist."""
    hits = [i for i, c in enumerate(nb.cells)
            if PARAMETERS_TAG in c.get("metadata", {}).get("tags", [])]
    if not hits:
        raise NotebookError(path, f"no cell tagged {PARAMETERS_TAG!r}; tag the code cell that "
                                  "holds the notebook's default parameters")
    if len(hits) > 1:
        raise NotebookError(path, f"{len(hits)} cells tagged {PARAMETERS_TAG!r} (cells {hits}); "
                                  "keep exactly one")
    if nb.cells[hits[0]].cell_type != "code":
        raise NotebookError(path, f"the cell tagged {PARAMETERS_TAG!r} (cell {hits[0]}) is not "
                                  "a code cell")
    return hits[0]


def parse_parameters_source(source: str, notebook: str | Path = "<cell>") -> dict[str, Parameter]:
    r"""Parse the source of a parameters cell into :class:`Parameter` records.

    >>> ps = parse_parameters_source('a = 1.5  # scale\nb: int = 2\nc = None')
    >>> [(p.name, p.type_name, p.default, p.help) for p in ps.values()]
    [('a', 'float', 1.5, 'scale'), ('b', 'int', 2, ''), ('c', 'any', None, '')]
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise NotebookError(notebook, f"the parameters cell is not valid Python "
                                      f"(line {exc.lineno}: {exc.msg})") from exc
    comments = _line_comments(source)
    declared: dict[str, Parameter] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets = [t for t in node.targets if isinstance(t, ast.Name)]
            if len(targets) != len(node.targets):
                continue  # tuple unpacking or attribute assignment: not a parameter
            annotation = None
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) \
                and node.value is not None:
            targets = [node.target]
            annotation = node.annotation.id if isinstance(node.annotation, ast.Name) else None
        else:
            continue
        try:
            default = ast.literal_eval(node.value)
            type_name = TYPE_NAMES.get(type(default), "any")
        except ValueError:
            default = ast.get_source_segment(source, node.value)
            type_name = "any"
        if annotation in _ANNOTATION_TYPES:
            type_name = TYPE_NAMES[_ANNOTATION_TYPES[annotation]]
        help_text = comments.get(node.end_lineno, comments.get(node.lineno, ""))
        for target in targets:
            declared[target.id] = Parameter(target.id, type_name, default, help_text, node.lineno)
    return declared


def _line_comments(source: str) -> dict[int, str]:
    """Comment text by line number (without the ``#``)."""
    out: dict[int, str] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                out[tok.start[0]] = tok.string.lstrip("#").strip()
    except (tokenize.TokenError, IndentationError):
        return out
    return out


def read_parameters(path: str | Path, missing_ok: bool = False) -> dict[str, Parameter]:
    """The parameters a notebook declares, in the order of its parameters cell.

    Raises :class:`~workbench.errors.NotebookError` when the file is missing, is
    not a notebook, or has no (or more than one) cell tagged ``parameters``; with
    ``missing_ok`` a notebook without such a cell declares nothing (``{}``).
    """
    nb = load_notebook(path)
    if missing_ok and not any(PARAMETERS_TAG in c.get("metadata", {}).get("tags", [])
                              for c in nb.cells):
        return {}
    cell = nb.cells[find_parameters_cell(nb, path)]
    return parse_parameters_source(cell.source, path)


def closest_name(name: str, declared: Mapping[str, Any]) -> str | None:
    """The declared name closest to ``name`` (``difflib``), or None when nothing is close.

    >>> closest_name("n_month", {"n_months": 1, "seed": 2})
    'n_months'
    """
    hits = difflib.get_close_matches(name, list(declared), n=1, cutoff=0.6)
    return hits[0] if hits else None


def validate_parameters(notebook: str | Path, parameters: Mapping[str, Any],
                        declared: Mapping[str, Parameter] | None = None,
                        reserved: tuple[str, ...] = ()) -> None:
    """Check ``parameters`` against what ``notebook`` declares; raise on the first problem.

    ``reserved`` names are declared by the notebook but set by the runner, so a
    study may not set them. Every value must be a JSON value whatever the declared
    type (see :func:`check_json_parameters`). Raises
    :class:`~workbench.errors.ParameterError` naming the notebook, the parameter
    (``options.weights[2]`` for a nested value), the declared parameters and the
    closest match.
    """
    declared = read_parameters(notebook) if declared is None else declared
    summary = {name: p.type_name for name, p in declared.items()}
    for name, value in parameters.items():
        if name not in declared:
            raise ParameterError(str(notebook), name, "is not declared by the notebook",
                                 summary, closest_name(name, declared))
        if name in reserved:
            raise ParameterError(str(notebook), name,
                                 "is set by the runner for every run; remove it from the study",
                                 summary)
        check_json_parameters(str(notebook), {name: value}, summary)
        param = declared[name]
        if not param.accepts(value):
            raise ParameterError(
                str(notebook), name,
                f"has a value of type {type_name_of(value)} ({value!r}) but the notebook "
                f"declares {param.type_name} (default {param.default!r})", summary)


#: How deep lists and mappings may nest in one parameter value.
MAX_JSON_DEPTH = 100

_JSON_HELP = ("a parameter must be a JSON value: null, true/false, a finite number, text, "
              "or a list or mapping (with text keys) of those")


def _short_repr(value: Any, limit: int = 60) -> str:
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a broken __repr__ must not hide the real problem
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def json_value_problem(value: Any, path: str = "") -> tuple[str, str] | None:
    """Where ``value`` stops being a JSON value and why, or None when it is one.

    Returns ``(path, problem)``: ``path`` extends the given ``path`` with ``.key``
    and ``[index]`` down to the offending part. Only the exact built-in types
    count (``bool``, ``int``, finite ``float``, ``str``, ``None``, ``list``,
    ``dict`` with ``str`` keys): a subclass could change how papermill writes it
    into the notebook's source.

    >>> json_value_problem({"weights": [1, 2.5, None], "label": "x"}, "options") is None
    True
    >>> json_value_problem({"weights": [1, 2, b"x"]}, "options")
    ('options.weights[2]', "is bytes (b'x'), not a JSON value")
    >>> json_value_problem(float("nan"), "alpha")
    ('alpha', 'is nan, which JSON cannot hold; give a finite number (or null for none)')
    """
    return _problem(value, path, 0, set())


def _problem(value: Any, path: str, depth: int, stack: set[int]) -> tuple[str, str] | None:
    kind = type(value)
    if value is None or kind in (bool, int, str):
        return None
    if kind is float:
        if math.isfinite(value):
            return None
        return path, (f"is {value!r}, which JSON cannot hold; give a finite number "
                      "(or null for none)")
    if kind not in (list, dict):
        hint = ""
        if isinstance(value, (tuple, set, frozenset)):
            hint = "; write a list instead"
        elif hasattr(value, "isoformat"):
            hint = f"; give it as text, e.g. {str(value)!r}"
        return path, f"is {kind.__name__} ({_short_repr(value)}), not a JSON value{hint}"
    if depth >= MAX_JSON_DEPTH:
        return path, f"nests lists or mappings more than {MAX_JSON_DEPTH} levels deep"
    if id(value) in stack:
        return path, "contains itself (a YAML alias inside its own anchor), not a JSON value"
    stack.add(id(value))
    try:
        if kind is list:
            for i, item in enumerate(value):
                found = _problem(item, f"{path}[{i}]", depth + 1, stack)
                if found:
                    return found
            return None
        for key, item in value.items():
            if type(key) is not str:
                return path, (f"has the key {_short_repr(key)} of type {type(key).__name__}; "
                              "mapping keys must be text (quote them)")
            found = _problem(item, f"{path}.{key}" if path else key, depth + 1, stack)
            if found:
                return found
        return None
    finally:
        stack.discard(id(value))


def check_json_parameters(where: str, parameters: Mapping[str, Any],
                          declared: Mapping[str, str] | None = None) -> None:
    """Raise :class:`~workbench.errors.ParameterError` unless every name is a Python
    identifier and every value a JSON value (see :func:`json_value_problem`).

    This is the last check before papermill writes the values into a notebook as
    Python source. ``where`` names the notebook (and run) in the message;
    ``declared`` (name -> type name) is listed in it.

    >>> check_json_parameters("nb.ipynb", {"subset": "nhs", "lags": [0, 1]})
    >>> check_json_parameters("nb.ipynb", {"options": {"weights": [1, 2, b"x"]}})
    Traceback (most recent call last):
    ...
    workbench.errors.ParameterError: nb.ipynb: parameter 'options.weights[2]' is bytes (b'x'), not a JSON value; a parameter must be a JSON value: ...
    """
    for name, value in parameters.items():
        if type(name) is not str or not name.isidentifier() or keyword.iskeyword(name):
            raise ParameterError(where, _short_repr(name),
                                 "is not a usable parameter name (expected a Python "
                                 "identifier such as 'subset')", dict(declared or {}))
        found = json_value_problem(value, name)
        if found:
            raise ParameterError(where, found[0], f"{found[1]}; {_JSON_HELP}",
                                 dict(declared or {}))


def describe_parameters(declared: Mapping[str, Parameter]) -> str:
    """A plain-text table of declared parameters: name, type, default, help.

    >>> print(describe_parameters(parse_parameters_source('seed = 1  # the seed')))
    name  type  default  help
    seed  int   1        the seed
    """
    rows = [("name", "type", "default", "help")]
    rows += [(p.name, p.type_name, repr(p.default) if not isinstance(p.default, str)
              or p.type_name == "str" else p.default, p.help) for p in declared.values()]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = ["  ".join([r[0].ljust(widths[0]), r[1].ljust(widths[1]), r[2].ljust(widths[2]),
                        r[3]]).rstrip() for r in rows]
    return "\n".join(lines)


def list_role(param: Parameter | None, value: list) -> str:
    r"""How a bare list given for ``param`` in a study is read: ``"grid"`` (one run per
    item), ``"value"`` (the list is one value: one run) or ``"ambiguous"``.

    The notebook's default says: a list default (``providers = []``) takes the list as
    one value, and a list of lists as a grid of lists; a scalar default (``subset =
    "acute"``) makes a grid; a default of ``None`` or ``""`` says neither. A parameter the
    notebook does not declare makes a grid (the check of the study then names it).

    >>> ps = parse_parameters_source('providers = []\nsubset = "acute"\ntarget = None')
    >>> list_role(ps["providers"], ["R001", "N001"]), list_role(ps["subset"], ["a", "b"])
    ('value', 'grid')
    >>> list_role(ps["providers"], [["R001"], ["N001", "N002"]]), list_role(ps["target"], [1])
    ('grid', 'ambiguous')
    """
    if param is None:
        return "grid"
    if param.type_name == "list":
        lists = [_is_list_item(v) for v in value]
        if value and all(lists):
            return "grid"
        return "ambiguous" if any(lists) else "value"
    if param.type_name == "any" or param.default == "":
        return "ambiguous"
    return "grid"


def _is_list_item(item: Any) -> bool:

    return isinstance(item, list) or (isinstance(item, Literal)
                                      and isinstance(item.value, list))


def _spelt(value: Any, limit: int = 60) -> str:
    """A value as a study file writes it (flow style), shortened."""

    def plain(v):
        if isinstance(v, Literal):
            return plain(v.value)
        if isinstance(v, list):
            return [plain(x) for x in v]
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        return v

    text = json.dumps(plain(value), ensure_ascii=False, default=str).replace('"', "")
    return text if len(text) <= limit else text[: limit - 4] + " ...]"


def shape_parameters(notebook: Path, parameters: Mapping[str, Any], where: str, key: str,
                     written: str, cache: dict[Path, dict[str, Parameter] | None]) -> dict:
    """A run entry's ``parameters`` with each bare list decided by what the notebook
    declares (:func:`list_role`): a list the notebook takes as one value becomes a
    ``!literal``, a ``!grid`` becomes a plain list (one run per item). The notebook is read
    once (``cache``), and only when a bare list or ``!grid`` is there to decide; one that
    cannot be read leaves the lists as grids (the check of the study says why).

    Raises :class:`~workbench.errors.StudyError` (``where``: the study file; ``key``: the
    entry's parameters key; ``written``: the notebook as the study names it) for a list
    the notebook's default leaves ambiguous, showing both spellings, and for a ``!grid``
    that is not a parameter's whole value.
    """
    from workbench.errors import StudyError

    for name, value in parameters.items():
        nested = _nested_grid(value.value if isinstance(value, (Grid, Literal)) else value)
        if nested:
            raise StudyError(f"{where}: key '{key}.{name}': !grid marks a parameter's whole "
                             f"value (one run per item), not a part of it")
    if not any(isinstance(v, (list, Grid)) for v in parameters.values()):
        return dict(parameters)
    if notebook not in cache:
        try:
            cache[notebook] = read_parameters(notebook, missing_ok=True)
        except NotebookError:
            cache[notebook] = None
    declared = cache[notebook]
    shaped: dict[str, Any] = {}
    for name, value in parameters.items():
        if isinstance(value, Grid):
            if not isinstance(value.value, list):
                raise StudyError(f"{where}: key '{key}.{name}': !grid takes a list (one run "
                                 f"per item), got {_spelt(value.value)}")
            shaped[name] = list(value.value)
            continue
        if not isinstance(value, list) or declared is None:
            shaped[name] = value
            continue
        param = declared.get(name)
        role = list_role(param, value) if value else \
            "value" if getattr(param, "type_name", "") == "list" else "grid"
        if role == "value":
            shaped[name] = Literal(value)
        elif role == "grid":
            shaped[name] = value
        else:
            shown = _spelt(value)
            if param.type_name == "list":
                why = (f"the notebook declares {name!r} a list (default {param.default!r}) "
                       f"and {shown} mixes lists with single values")
                grid = (f"{name}: !grid ["
                        + ", ".join(_spelt(v if _is_list_item(v) else [v]) for v in value)
                        + "]")
            else:
                why = (f"the notebook's default for {name!r} is {param.default!r}, which does "
                       "not say whether it takes a list or one value")
                grid = f"{name}: !grid {shown}"
            raise StudyError(
                f"{where}: key '{key}.{name}' (notebook {written}): {why}, so the list "
                f"could be one value or a grid. Write `{name}: !literal {shown}` to pass "
                f"the list as one value (one run), or `{grid}` for one run per item")
    return shaped


def _nested_grid(value: Any) -> bool:

    if isinstance(value, Grid):
        return True
    if isinstance(value, Literal):
        return _nested_grid(value.value)
    if isinstance(value, list):
        return any(_nested_grid(v) for v in value)
    if isinstance(value, dict):
        return any(_nested_grid(v) for v in value.values())
    return False
