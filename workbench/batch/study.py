r"""A study file (YAML) turned into plain :class:`Run` values with stable, readable ids.

A study names its data and the notebook runs to make::

    name: default
    title: Staffing, waiting times and satisfaction (synthetic default)
    data:
      synthetic: {seed: 20240401, n_providers: 240, n_months: 36}
    runs:
      - notebook: notebooks/02_staffing_waits_satisfaction.ipynb
        parameters: {subset: [acute, nhs, independent]}

A list value expands into a grid (the cartesian product over every list-valued
parameter, first key slowest). To pass a list itself as one value, tag it
``!literal``: ``measures: !literal [rtt_median_weeks, fft_pct_positive]``.
See docs/studies.md for the whole format.

Paths (notebooks, a panel file, a build folder) are looked up relative to the
study file first, then relative to the current directory.

>>> import tempfile, pathlib, nbformat
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> nbformat.write(nbformat.v4.new_notebook(), d / "nb.ipynb")
>>> _ = (d / "s.yaml").write_text(
...     "name: demo\ndata: {synthetic: {seed: 1}}\n"
...     "runs:\n  - notebook: nb.ipynb\n    parameters: {subset: [nhs, independent]}\n")
>>> [r.run_id for r in load_study(d / "s.yaml").runs]
['nb--subset-nhs', 'nb--subset-independent']
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import json
import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar

import yaml

from workbench.batch.params import Grid, Literal, json_value_problem, shape_parameters
from workbench.data.scenarios import names as scenario_names
from workbench.errors import StudyError

#: Keys a study file may hold at the top level.
STUDY_KEYS = ("name", "title", "description", "data", "runs", "private", "disclosure")
#: Keys of one entry under ``runs:``.
RUN_KEYS = ("notebook", "parameters", "timeout")
#: The ways a study names its data; exactly one is given.
DATA_KINDS = ("synthetic", "panel", "build", "table")
#: Keys of ``data:`` for a table of the user's own (:mod:`workbench.data.declared`).
TABLE_KEYS = ("table", "declaration", "truth")
#: Longest run id before it is shortened and given a hash suffix.
MAX_RUN_ID = 80
#: Longest study name: it names the study's output folder, and every path in it must fit
#: the file system's limits (255 bytes a name, 4,096 a path on Linux) under ``--out``.
MAX_STUDY_NAME = 100
#: Names a study writes at the root of its output folder besides its run folders (the
#: data, the analysts' folder, the index pages, the findings table, the disclosure log, the
#: publishable folder, the glossary):
#: a run whose id would be one of these (in any case: some file systems ignore it) is
#: written as ``<id>-run`` instead (:func:`reserved_problem`; ``--dry-run`` says so).
STUDY_ROOT_NAMES = ("data", "analyst", "index.html", "findings.csv", "disclosure.json",
                    "public", "glossary.html")
#: Study-root names that follow a pattern: the index's further pages (``index-2.html``).
_STUDY_ROOT_PATTERNS = (re.compile(r"^index-\d+\.html$"),)
#: What a run id that is a study-root name, or hidden, becomes: ``<id>-run``.
RESERVED_SUFFIX = "-run"
#: Most runs a study may make unless the caller raises the limit (``--max-runs``).
MAX_RUNS = 10_000

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._]+")


_Y = "tag:yaml.org,2002:"
#: Tags whose values are JSON values (plus ``!literal`` and ``<<`` merge keys).
_JSON_TAGS = frozenset({_Y + "str", _Y + "int", _Y + "float", _Y + "bool", _Y + "null",
                        _Y + "seq", _Y + "map", "!literal", "!grid"})
#: Tags PyYAML knows that make values no notebook parameter can be: what, and the fix.
_REFUSED_TAGS = {
    _Y + "timestamp": ("a date or time", "quote it: '{text}'"),
    _Y + "binary": ("binary data (!!binary)", "give text instead"),
    _Y + "set": ("a set (!!set)", "write a list instead"),
    _Y + "omap": ("an ordered mapping (!!omap)", "write a plain mapping instead"),
    _Y + "pairs": ("a list of pairs (!!pairs)", "write a plain mapping instead"),
}
#: Most YAML values a study file may hold (aliases can multiply a small file).
MAX_YAML_VALUES = 100_000


class _StudyLoader(yaml.SafeLoader):
    """Safe YAML loader that builds only JSON values (and ``!literal``).

    Before anything is constructed the document is walked once: a tag other than
    JSON's (``!!binary``, ``!!set``, ``!!omap``, ``!!python/...``, unknown tags), a
    date or time (write it as quoted text), ``.nan``/``.inf``, a key given twice in
    one mapping, or a non-text key inside ``parameters`` raises
    :class:`~workbench.errors.StudyError` naming the file, the line and the key
    (for parameters: the run, its notebook and the parameter's path). The
    refusing constructors below stay as a second line of defence.
    """

    #: The study file, for messages (set by :func:`load_study`).
    study_path: str | None = None
    #: Line of every key and list item, by its key text (``runs[0].notebook``).
    key_lines: ClassVar[dict[str, int]] = {}

    def construct_document(self, node: yaml.Node) -> Any:
        checker = _StudyChecker(self)
        checker.check(node)
        self.key_lines = checker.lines
        return super().construct_document(node)

    def construct_yaml_float(self, node: yaml.Node) -> float:
        value = super().construct_yaml_float(node)
        if not math.isfinite(value):
            raise yaml.constructor.ConstructorError(
                None, None, f"{value!r} is not a JSON number", node.start_mark)
        return value


def _construct_literal(loader: yaml.SafeLoader, node: yaml.Node) -> Literal:
    if isinstance(node, yaml.SequenceNode):
        return Literal(loader.construct_sequence(node, deep=True))
    if isinstance(node, yaml.MappingNode):
        return Literal(loader.construct_mapping(node, deep=True))
    return Literal(loader.construct_scalar(node))


def _construct_grid(loader: yaml.SafeLoader, node: yaml.Node) -> Grid:
    if isinstance(node, yaml.SequenceNode):
        return Grid(loader.construct_sequence(node, deep=True))
    return Grid(loader.construct_object(node, deep=True))


def _construct_refused(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    raise yaml.constructor.ConstructorError(
        None, None, f"the tag {node.tag!r} is not allowed in a study file", node.start_mark)


_StudyLoader.add_constructor("!literal", _construct_literal)
_StudyLoader.add_constructor("!grid", _construct_grid)
_StudyLoader.add_constructor(_Y + "float", _StudyLoader.construct_yaml_float)
for _tag in _REFUSED_TAGS:
    _StudyLoader.add_constructor(_tag, _construct_refused)
_StudyLoader.add_constructor(None, _construct_refused)
_StudyLoader.add_multi_constructor("tag:yaml.org,2002:python/", _construct_refused)


def _key_text(parts: list) -> str:
    """``['runs', 0, 'parameters', 'w']`` -> ``runs[0].parameters.w``."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class _StudyChecker:
    """One walk over a composed YAML document; see :class:`_StudyLoader`."""

    def __init__(self, loader: _StudyLoader):
        self.loader = loader
        self.file = loader.study_path or loader.name
        self.notebooks: dict[int, str] = {}  # run index -> notebook text, for messages
        self.lines: dict[str, int] = {}
        self.seen = 0

    def where(self, parts: list) -> str:
        if len(parts) > 3 and parts[0] == "runs" and isinstance(parts[1], int) \
                and parts[2] == "parameters":
            notebook = self.notebooks.get(parts[1])
            run = f"runs[{parts[1]}]" + (f" (notebook {notebook})" if notebook else "")
            return f"{run}, parameter '{_key_text(parts[3:])}'"
        return f"key '{_key_text(parts)}'" if parts else "the document"

    def fail(self, node: yaml.Node, parts: list, problem: str) -> StudyError:
        return StudyError(f"{self.file}: {self.where(parts)} (line {node.start_mark.line + 1}):"
                          f" {problem}")

    def check(self, node: yaml.Node) -> None:
        self.visit(node, [], set())

    def visit(self, node: yaml.Node, parts: list, stack: set[int]) -> None:
        self.seen += 1
        if self.seen > MAX_YAML_VALUES:
            raise self.fail(node, parts, f"the file expands to more than {MAX_YAML_VALUES} "
                                         "values (through aliases); a study file is small")
        if id(node) in stack:
            raise self.fail(node, parts, "the value contains itself (an alias inside its own "
                                         "anchor), which no JSON value can")
        tag = node.tag
        if tag not in _JSON_TAGS:
            if tag in _REFUSED_TAGS:
                what, fix = _REFUSED_TAGS[tag]
                text = node.value if isinstance(node, yaml.ScalarNode) else ""
                raise self.fail(node, parts, f"{what} is not allowed: study values are JSON "
                                             f"values; {fix.format(text=text)}")
            shown = "!!" + tag[len(_Y):] if tag.startswith(_Y) else tag
            raise self.fail(node, parts, f"the tag {shown} is not allowed: study values are "
                                         "JSON values (null, true/false, numbers, text, lists, "
                                         "mappings), optionally tagged !literal")
        if isinstance(node, yaml.ScalarNode):
            if tag == _Y + "float":
                value = yaml.SafeLoader.construct_yaml_float(self.loader, node)
                if not math.isfinite(value):
                    raise self.fail(node, parts, f"{node.value!r} ({value}) is not allowed: "
                                                 "JSON numbers are finite; give a number, or "
                                                 "null for none")
            return
        stack = stack | {id(node)}
        if isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self.lines.setdefault(_key_text(parts + [i]), item.start_mark.line + 1)
                self.visit(item, parts + [i], stack)
            return
        in_parameters = len(parts) >= 3 and parts[0] == "runs" and parts[2] == "parameters"
        if len(parts) == 2 and parts[0] == "runs":
            for key_node, value_node in node.value:
                if key_node.tag == _Y + "str" and key_node.value == "notebook" \
                        and isinstance(value_node, yaml.ScalarNode):
                    self.notebooks[parts[1]] = value_node.value
        first_line: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _Y + "merge":  # `<<: *defaults`: merged keys may be overridden
                self.visit(value_node, parts, stack)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.fail(key_node, parts, "a mapping key must be text, not a list or "
                                                 "mapping")
            self.visit(key_node, parts, stack)
            key = self.loader.construct_object(key_node)
            if in_parameters and not isinstance(key, str):
                raise self.fail(key_node, parts + [key_node.value],
                                f"the key {key_node.value!r} reads as {type(key).__name__}; "
                                f"mapping keys must be text: quote it: '{key_node.value}'")
            line = key_node.start_mark.line + 1
            if key in first_line:
                raise self.fail(key_node, parts + [key_node.value],
                                f"given twice, on lines {first_line[key]} and {line}; "
                                "YAML would keep only the last: remove one")
            first_line[key] = line
            self.lines.setdefault(_key_text(parts + [key_node.value]), line)
            self.visit(value_node, parts + [key_node.value], stack)


@dataclass(frozen=True)
class DataSpec:
    """Where a study's panel comes from.

    ``kind`` is ``synthetic`` (``options`` are the generator's keyword arguments),
    ``panel`` (``options["path"]`` is an existing parquet file), ``build``
    (``options["from"]`` is the folder of official files; other options are passed
    to ``workbench.data.panel.build``) or ``table`` (a table of the user's own:
    ``options["table"]`` its file, ``options["declaration"]`` what it holds, checked and
    as plain values, ``options["declared_in"]`` where it was declared, and optionally
    ``options["truth"]``, a truth.json of the effects built into example data).
    """

    kind: str
    options: dict = field(hash=False)

    @property
    def seed(self) -> int | None:
        """The generator's seed for synthetic data, else None."""
        return self.options.get("seed") if self.kind == "synthetic" else None


@dataclass(frozen=True)
class Run:
    """One notebook with one set of parameters: a plain value that pickles.

    ``parameters`` are those the study sets (the runner adds ``panel_path`` and
    ``output_dir`` when the notebook declares them); ``position`` is the run's place
    in the study, used to keep outputs in study order.
    """

    study: str
    notebook: Path
    parameters: dict = field(hash=False)
    run_id: str
    position: int = 0
    #: Wall-clock limit of this run in seconds (the study entry's ``timeout``), or None.
    timeout: float | None = None
    #: Why the run id is not the one the notebook and parameters spell ('' when it is),
    #: e.g. the notebook ``data.ipynb`` runs as ``data-run``; shown by ``--dry-run``.
    id_note: str = ""

    @property
    def label(self) -> str:
        """Notebook file name and parameters, for messages and progress bars."""
        params = ", ".join(f"{k}={v!r}" for k, v in self.parameters.items())
        return f"{self.notebook.name}({params})"


@dataclass(frozen=True)
class Study:
    """A parsed study file: its name, title, data (None when the study has no
    ``data:``) and runs.
    """

    name: str
    title: str
    path: Path
    data: DataSpec | None
    runs: tuple[Run, ...]
    description: str = ""
    #: Parameter names whose values never appear in a report or the index.
    private: tuple[str, ...] = ()
    #: The ``disclosure:`` block (small-number suppression), see workbench.report.disclosure.
    disclosure: dict = field(default_factory=dict, hash=False)


def load_study(path: str | Path, cwd: str | Path | None = None,
               max_runs: int = MAX_RUNS) -> Study:
    """Read and check a study file; return the study with every run expanded.

    Raises :class:`~workbench.errors.StudyError` naming the file and the key at
    fault (for example ``runs[1].notebook``) when the file is malformed, a notebook
    or data file is missing, or two runs would get the same id; when the study
    would make more than ``max_runs`` runs (counted from the lengths of its lists,
    before any grid is expanded); and naming the
    line too when a value is not a JSON value (``!!binary``, a date, ``!!set``,
    ``.nan``, ``!!python/...``) or a key is given twice.
    """
    path = Path(path)
    if not path.is_file():
        raise StudyError(f"{path}: study file not found")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise StudyError(f"{path}: cannot read the study file as UTF-8 text ({exc})") from exc
    loader = _StudyLoader(text)
    loader.study_path = str(path)
    try:
        raw = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        raise StudyError(_yaml_message(path, exc)) from exc
    except yaml.YAMLError as exc:
        raise StudyError(f"{path}: not valid YAML ({exc})") from exc
    except RecursionError as exc:
        raise StudyError(f"{path}: not usable: lists or mappings nest too deeply") from exc
    finally:
        loader.dispose()
    if raw is None:
        raise StudyError(f"{path}: the study file is empty; expected a mapping with keys "
                         f"{list(STUDY_KEYS)} (at least 'runs')")
    cwd = Path.cwd() if cwd is None else Path(cwd)
    try:
        return parse_study(raw, path, cwd, max_runs)
    except StudyError as exc:
        located = _with_line(str(exc), path, loader.key_lines)
        if located is None:
            raise
        raise StudyError(located) from exc


_KEY_IN_MESSAGE = re.compile(r"(?:unknown )?key '([^']+)'")


def _with_line(message: str, path: Path, key_lines: Mapping[str, int]) -> str | None:
    """``message`` (``<file>: ... key 'k' ...``) with the line of key ``k`` after the
    key, or None when the message names no key written in the file.

    >>> _with_line("s.yaml: unknown key 'runz'. Allowed: ...", Path("s.yaml"), {"runz": 3})
    "s.yaml: unknown key 'runz' (line 3). Allowed: ..."
    """
    prefix = f"{path}: "
    found = _KEY_IN_MESSAGE.search(message)
    if not message.startswith(prefix) or found is None:
        return None
    key = found.group(1)
    while key not in key_lines:  # a key the file does not spell out: its parent's line
        parent = re.sub(r"(\.[^.\[\]]*|\[\d+\])$", "", key)
        if parent == key:
            return None
        key = parent
    end = found.end()
    return f"{message[:end]} (line {key_lines[key]}){message[end:]}"


def _yaml_message(path: Path, exc: yaml.MarkedYAMLError) -> str:
    """``file, line N, column M: not valid YAML: what the parser says``."""
    mark = exc.problem_mark or exc.context_mark
    at = f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    what = "; ".join(p for p in (exc.context, exc.problem) if p)
    return f"{path}{at}: not valid YAML: {what}"


def parse_study(raw: Any, path: Path, cwd: Path, max_runs: int = MAX_RUNS) -> Study:
    """Build a :class:`Study` from the loaded YAML ``raw`` of the file at ``path``.

    Every entry under ``runs:`` is checked and its grid size counted first; a study
    over ``max_runs`` runs is refused before any grid is expanded. The work after
    that is linear in the number of runs.
    """
    if not isinstance(raw, dict):
        raise StudyError(f"{path}: expected a mapping with keys {list(STUDY_KEYS)}, "
                         f"got {type(raw).__name__}")
    _check_keys(raw, STUDY_KEYS, path, "")
    name = raw.get("name", path.stem)
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise StudyError(f"{path}: key 'name': {_shorten(repr(name))} is not usable as a "
                         "folder name; expected letters, digits, '_', '-' or '.'")
    if len(name) > MAX_STUDY_NAME:
        raise StudyError(f"{path}: key 'name': {_shorten(repr(name))} is {len(name):,} "
                         f"characters long, more than the limit of {MAX_STUDY_NAME}: it names "
                         "the study's output folder, and a name too long for the file system "
                         f"would stop the study half-way; shorten it to {MAX_STUDY_NAME} "
                         "characters or fewer")
    title = raw.get("title", name)
    if not isinstance(title, str):
        raise StudyError(f"{path}: key 'title': expected text, got {type(title).__name__}")
    data = _parse_data(raw.get("data"), path, cwd)
    runs_raw = raw.get("runs")
    if not isinstance(runs_raw, list) or not runs_raw:
        raise StudyError(f"{path}: key 'runs': expected a non-empty list of "
                         "{notebook: ..., parameters: {...}} entries")
    entries: list[tuple[str, Path, dict, float | None, str]] = []
    sizes: list[int] = []
    declared: dict = {}  # notebook -> its declared parameters, read once
    for i, entry in enumerate(runs_raw):
        key = f"runs[{i}]"
        if isinstance(entry, str):
            entry = {"notebook": entry}
        if not isinstance(entry, dict):
            raise StudyError(f"{path}: key {key!r}: expected a mapping with keys "
                             f"{list(RUN_KEYS)}, got {type(entry).__name__}")
        _check_keys(entry, RUN_KEYS, path, key + ".")
        if not isinstance(entry.get("notebook"), str):
            raise StudyError(f"{path}: key '{key}.notebook': expected the path of a .ipynb file")
        notebook = resolve_path(entry["notebook"], path, cwd, f"{key}.notebook")
        params = entry.get("parameters") or {}
        if not isinstance(params, dict):
            raise StudyError(f"{path}: key '{key}.parameters': expected a mapping of "
                             f"name: value, got {type(params).__name__}")
        timeout = entry.get("timeout")
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(
                timeout, (int, float)) or timeout <= 0):
            raise StudyError(f"{path}: key '{key}.timeout': expected a number of seconds > 0, "
                             f"got {timeout!r}")
        params = shape_parameters(notebook, params, str(path), f"{key}.parameters",
                                  entry["notebook"], declared)
        entries.append((key, notebook, params, float(timeout) if timeout is not None else None,
                        entry["notebook"]))
        sizes.append(grid_size(params))
    _check_run_count(path, entries, sizes, max_runs)
    specs: list[tuple[Path, dict, str, float | None]] = []
    for key, notebook, params, timeout, written in entries:
        for pname, values in _grid_axes(params, path, f"{key}.parameters"):
            for value in values:  # each value once, not once per run it is in
                found = json_value_problem(value, pname)
                if found:
                    raise StudyError(f"{path}: {key} (notebook {written}), parameter "
                                     f"'{found[0]}' {found[1]}; parameters are JSON values: "
                                     "null, true/false, finite numbers, text, and lists and "
                                     "mappings (text keys) of them")
        specs.extend((notebook, combo, key, timeout)
                     for combo in expand_grid(params, path, f"{key}.parameters"))
    private = raw.get("private") or []
    if not isinstance(private, list) or not all(isinstance(p, str) for p in private):
        raise StudyError(f"{path}: key 'private': expected a list of parameter names, "
                         f"got {private!r}")
    runs = _assign_ids(name, specs, path, tuple(private))
    from workbench.report.disclosure import rule_from_study

    rule_from_study(raw.get("disclosure"), str(path))  # checked now, used when rendering
    return Study(name=name, title=title, path=path.resolve(), data=data, runs=tuple(runs),
                 description=str(raw.get("description", "")), private=tuple(private),
                 disclosure=_with_declared_counts(dict(raw.get("disclosure") or {}), data))


def _with_declared_counts(block: dict, data: DataSpec | None) -> dict:
    """The study's ``disclosure:`` block with the counts of people and the rates on them
    that a table's declaration names, added to its ``count_columns`` and ``rate_columns``
    (what the study itself names wins).

    >>> spec = DataSpec("table", {"declaration": {"unit": "ward", "period": "month",
    ...     "measures": {"falls": {"label": "Falls", "unit": "falls", "kind": "count",
    ...                            "people": True, "construct": "context"}}}})
    >>> _with_declared_counts({"round_to": 1}, spec)
    {'round_to': 1, 'count_columns': ['falls']}
    """
    if data is None or data.kind != "table":
        return block
    from workbench.data.declared import read_declaration

    decl = read_declaration(data.options["declaration"],
                            source=str(data.options.get("declared_in", "<declaration>")))
    counts = [c for c in decl.people_counts() if c not in (block.get("count_columns") or [])]
    if counts:
        block["count_columns"] = [*(block.get("count_columns") or []), *counts]
    rates = {k: list(v) for k, v in decl.rate_bases().items()
             if k not in (block.get("rate_columns") or {})}
    if rates:
        block["rate_columns"] = {**(block.get("rate_columns") or {}), **rates}
    return block


def _check_keys(mapping: Mapping, allowed: tuple[str, ...], path: Path, prefix: str) -> None:
    for k in mapping:
        if k not in allowed:
            close = difflib.get_close_matches(str(k), allowed, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise StudyError(f"{path}: unknown key '{prefix}{k}'.{hint} "
                             f"Allowed here: {list(allowed)}")


def resolve_path(value: str, study_path: Path, cwd: Path, key: str) -> Path:
    """An existing path named in a study: beside the study file first, then the cwd."""
    given = Path(value).expanduser()
    candidates = [given] if given.is_absolute() else [study_path.parent / given, cwd / given]
    for c in candidates:
        if c.exists():
            return c.resolve()
    tried = " or ".join(str(c) for c in candidates)
    raise StudyError(f"{study_path}: key '{key}': {value!r} not found (looked for {tried})")


#: Options of ``data.synthetic`` checked when the study is read (the generator's own
#: arguments; any other key is checked against its signature when the data are made).
_SYNTHETIC_TYPES = {"seed": int, "n_providers": int, "n_months": int, "start": str,
                    "selection": float, "scenario": str}
_SYNTHETIC_EXPECTED = {int: ("a whole number", "20240401"), str: ("text", "'2021-01-01'"),
                       float: ("a number", "1.0")}


def _check_effects(value: Any, scenario: Any, path: Path) -> None:
    """``data.synthetic.effects``: a mapping of effect names to numbers, each an effect
    of the generator that the scenario does not set itself (a StudyError naming the key,
    and the valid names, otherwise).
    """
    if not isinstance(value, dict) or not value:
        raise StudyError(f"{path}: key 'data.synthetic.effects': expected a mapping of true "
                         "effects to numbers such as {staffing_on_wait: 0}, got "
                         f"{value!r}")
    from workbench.data.effects import resolve_effects
    from workbench.errors import GeneratorError

    try:
        resolve_effects(value, scenario if isinstance(scenario, str) and
                        scenario in scenario_names() else "calibrated")
    except GeneratorError as exc:
        key = next(iter(exc.value)) if isinstance(exc.value, dict) else ""
        where = f"data.synthetic.effects.{key}" if key else "data.synthetic.effects"
        raise StudyError(f"{path}: key '{where}': {exc.problem}; expected {exc.expected}") \
            from None


def _is_type(value: Any, expected: type) -> bool:
    if isinstance(value, bool):
        return False
    if expected is float:
        return isinstance(value, (int, float))
    return isinstance(value, expected)


def _parse_data(raw: Any, path: Path, cwd: Path) -> DataSpec | None:
    if raw is None:
        return None  # notebooks that read no panel: no data step
    if raw == "synthetic":
        raw = {"synthetic": {}}
    if isinstance(raw, dict) and "table" in raw:
        return _parse_table(raw, path, cwd)
    if isinstance(raw, dict) and "declaration" in raw:
        raise StudyError(f"{path}: key 'data.declaration': a declaration describes a table of "
                         "your own: give the table beside it, data: {table: wards.csv, "
                         "declaration: wards.yaml}")
    if not isinstance(raw, dict) or len(raw) != 1 or next(iter(raw)) not in DATA_KINDS:
        raise StudyError(f"{path}: key 'data': expected exactly one of {list(DATA_KINDS)} "
                         "(or `data: synthetic` for the default synthetic panel), got "
                         f"{list(raw) if isinstance(raw, dict) else raw!r}")
    kind, opts = next(iter(raw.items()))
    if kind == "synthetic":
        opts = opts or {}
        if not isinstance(opts, dict):
            raise StudyError(f"{path}: key 'data.synthetic': expected a mapping such as "
                             "{seed: 20240401, n_providers: 240, n_months: 36}")
        for k, v in opts.items():
            if k == "effects":   # overrides of the true effects, checked by the generator
                _check_effects(v, opts.get("scenario", "calibrated"), path)
                continue
            if k == "scenario" and v is None:   # YAML reads a bare null as no value
                raise StudyError(f"{path}: key 'data.synthetic.scenario': got no value; "
                                 "write the null scenario in quotes (scenario: 'null')")
            expected = _SYNTHETIC_TYPES.get(k)
            if expected is not None and not _is_type(v, expected):
                what, example = _SYNTHETIC_EXPECTED[expected]
                quoted = " (remove the quotes)" if isinstance(v, str) and expected is not str \
                    else ""
                raise StudyError(f"{path}: key 'data.synthetic.{k}': expected {what} such as "
                                 f"{example}, got {v!r} ({type(v).__name__}){quoted}")
            if not isinstance(v, (int, float, str)) or isinstance(v, bool):
                raise StudyError(f"{path}: key 'data.synthetic.{k}': expected a number or "
                                 f"text, got {v!r}")
            if k == "scenario" and v not in scenario_names():
                raise StudyError(f"{path}: key 'data.synthetic.scenario': {v!r} is not a "
                                 f"scenario of the generator; expected one of "
                                 f"{scenario_names()}")
        return DataSpec("synthetic", dict(opts))
    if kind == "panel":
        if not isinstance(opts, str):
            raise StudyError(f"{path}: key 'data.panel': expected the path of a parquet file")
        named = named_panel_spec(opts, path, cwd)  # a panel built with --name NAME
        if named is not None:
            return named
        panel = resolve_path(opts, path, cwd, "data.panel")
        _refuse_table_as_panel(panel, opts, path)
        return DataSpec("panel", {"path": panel})
    if not isinstance(opts, dict) or not isinstance(opts.get("from"), str):
        raise StudyError(f"{path}: key 'data.build': expected a mapping with 'from' (the folder "
                         "of official files), e.g. {from: ../shared/data/real}")
    options = dict(opts)
    options["from"] = resolve_path(opts["from"], path, cwd, "data.build.from")
    return DataSpec("build", options)


def _refuse_table_as_panel(panel: Path, given: str, path: Path) -> None:
    """Refuse a CSV or workbook given as ``data: {panel: ...}`` (a panel is parquet),
    saying how a table of the user's own is given.
    """
    if not panel.is_file():
        return
    from workbench.data.declared import sniff

    kind = sniff(panel)
    if kind != "parquet":
        what = "a CSV file" if kind == "csv" else f"a spreadsheet ({kind})"
        raise StudyError(f"{path}: key 'data.panel': {given!r} is {what}, not a panel "
                         "(parquet) file; a table of your own is given with a declaration of "
                         f"what its columns hold: data: {{table: {given}, declaration: "
                         "wards.yaml}} (see docs/your_own_data.md)")


def _parse_table(raw: dict, path: Path, cwd: Path) -> DataSpec:
    """``data: {table: FILE, declaration: FILE or {...}, truth: FILE}``: the table's path,
    its declaration checked now (every problem names the key) and kept as plain values.
    """
    from workbench.data.declared import read_declaration
    from workbench.errors import DeclarationError

    _check_keys(raw, TABLE_KEYS, path, "data.")
    if not isinstance(raw["table"], str):
        raise StudyError(f"{path}: key 'data.table': expected the path of a CSV, Excel or "
                         "parquet file")
    options: dict[str, Any] = {"table": resolve_path(raw["table"], path, cwd, "data.table")}
    given = raw.get("declaration")
    if given is None:
        raise StudyError(f"{path}: key 'data.declaration': missing; a table of your own needs "
                         "a declaration of what its columns hold: a YAML file "
                         "(declaration: wards.yaml) or the mapping itself (see "
                         "docs/your_own_data.md)")
    if isinstance(given, str):
        decl_path = resolve_path(given, path, cwd, "data.declaration")
        try:
            decl = read_declaration(decl_path)
        except DeclarationError as exc:
            raise StudyError(f"{path}: key 'data.declaration': {exc}") from exc
    elif isinstance(given, dict):
        try:
            decl = read_declaration(given, source=f"{path}: data.declaration")
        except DeclarationError as exc:
            key = f"data.declaration.{exc.key}" if exc.key else "data.declaration"
            exp = f" Expected: {exc.expected.rstrip('.')}." if exc.expected else ""
            raise StudyError(f"{path}: key '{key}' {exc.problem}.{exp}") from exc
    else:
        raise StudyError(f"{path}: key 'data.declaration': expected a YAML file or a mapping "
                         f"(unit, period, measures), got {type(given).__name__}")
    options["declaration"] = decl.to_dict()
    options["declared_in"] = decl.source
    if raw.get("truth") is not None:
        if not isinstance(raw["truth"], str):
            raise StudyError(f"{path}: key 'data.truth': expected the path of a truth.json")
        options["truth"] = resolve_path(raw["truth"], path, cwd, "data.truth")
    return DataSpec("table", options)


def _unwrap(value: Any) -> Any:
    if isinstance(value, Literal):
        return _unwrap(value.value)
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    if isinstance(value, dict):
        return {k: _unwrap(v) for k, v in value.items()}
    return value


def grid_size(parameters: Mapping[str, Any]) -> int:
    """How many runs ``parameters`` expand into, counted without expanding them.

    >>> grid_size({"a": [1, 2, 3], "b": "x", "c": list(range(1000)), "d": Literal([1, 2])})
    3000
    """
    return math.prod(len(v) for v in parameters.values() if isinstance(v, list))


def _check_run_count(path: Path, entries: list, sizes: list[int], max_runs: int) -> None:
    total = sum(sizes)
    if total <= max_runs:
        return
    largest = max(range(len(sizes)), key=sizes.__getitem__)
    key, _, params, _, written = entries[largest]
    lengths = " x ".join(f"{k} ({len(v)})" for k, v in params.items() if isinstance(v, list))
    raise StudyError(f"{path}: key 'runs': the study makes {total:,} runs, more than the limit "
                     f"of {max_runs:,}; the largest entry, {key} (notebook {written}), makes "
                     f"{sizes[largest]:,} from {lengths or 'no lists'}. Shorten the lists, "
                     f"split the study, or raise the limit (workbench run --max-runs {total})")


def _grid_axes(parameters: Mapping[str, Any], path: Path | str,
               key: str) -> list[tuple[str, list]]:
    """(name, values) per parameter: a list's items, else the one value; checked names."""
    axes = []
    for name, value in parameters.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise StudyError(f"{path}: key '{key}.{name}': not a valid parameter name")
        if isinstance(value, list):
            if not value:
                raise StudyError(f"{path}: key '{key}.{name}': an empty list makes an empty "
                                 "grid; to pass an empty list write `!literal []`")
            axes.append((name, [_unwrap(v) for v in value]))
        else:
            axes.append((name, [_unwrap(value)]))
    return axes


def expand_grid(parameters: Mapping[str, Any], path: Path | str = "<study>",
                key: str = "parameters") -> list[dict]:
    """Every combination of the list-valued parameters (first key varies slowest).

    >>> expand_grid({"a": [1, 2], "b": "x", "c": Literal([3, 4])})
    [{'a': 1, 'b': 'x', 'c': [3, 4]}, {'a': 2, 'b': 'x', 'c': [3, 4]}]
    """
    axes = _grid_axes(parameters, path, key)
    names = [name for name, _ in axes]
    return [dict(zip(names, combo)) for combo in itertools.product(*(v for _, v in axes))]


def _slug(value: Any) -> str:
    if isinstance(value, bool):
        text = str(value).lower()
    elif isinstance(value, (list, tuple)):
        return "+".join(_slug(v) for v in value) or "empty"
    elif isinstance(value, dict):
        text = "d" + _digest(value)[:6]
    elif value is None:
        text = "none"
    else:
        text = str(value)
    return _UNSAFE.sub("_", text).strip("_") or "_"


def _digest(value: Any) -> str:
    blob = json.dumps(value, sort_keys=True, default=str, ensure_ascii=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _shorten(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def reserved_problem(run_id: str) -> str:
    """Why ``run_id`` cannot name a run folder as it is ('' when it can): a name the
    study writes at its root (:data:`STUDY_ROOT_NAMES`, in any case) or a hidden name
    (a leading ``.``, which the study's partial folders and lock use).

    >>> reserved_problem("data"), reserved_problem("02_waits--subset-nhs")
    ("'data' is the study's own data folder", '')
    >>> reserved_problem("Index.HTML")
    "'Index.HTML' is the study's own index.html file"
    """
    folded = run_id.lower()
    for name in STUDY_ROOT_NAMES:
        if folded == name:
            return f"{run_id!r} is the study's own {name} {'file' if '.' in name else 'folder'}"
    if any(rx.match(folded) for rx in _STUDY_ROOT_PATTERNS):
        return f"{run_id!r} is one of the study's own index pages"
    if run_id.startswith("."):
        return f"{run_id!r} would be a hidden folder (the study keeps its partial folders there)"
    return ""


def make_run_id(notebook: str | Path, parameters: Mapping[str, Any],
                max_length: int = MAX_RUN_ID, private: tuple[str, ...] = ()) -> str:
    """A stable, readable id: notebook stem, then ``--name-value`` per parameter (sorted).

    The value of a parameter named in ``private`` is written as ``private_<digest>``
    (:func:`workbench.report.masking.private_slug`: a keyed digest), never as itself.
    Ids longer than ``max_length`` are cut and end with an 8-character hash of the
    notebook stem and all parameters (private ones by their digest), so they stay unique
    and stable.

    >>> make_run_id("notebooks/02_waits.ipynb", {"subset": "nhs", "lag": 2})
    '02_waits--lag-2--subset-nhs'
    >>> len(make_run_id("nb.ipynb", {"measures": ["x" * 50, "y" * 50]}))
    80
    >>> "07700900123" in make_run_id("nb.ipynb", {"note": "call 07700900123"}, private=("note",))
    False
    """
    stem = Path(notebook).stem
    parameters = _public(parameters, private)
    parts = [_UNSAFE.sub("_", stem)] + [f"{_slug(k)}-{_slug(v)}"
                                        for k, v in sorted(parameters.items())]
    run_id = "--".join(parts)
    if len(run_id) > max_length:
        suffix = _digest({"notebook": stem, "parameters": dict(parameters)})[:8]
        run_id = run_id[: max_length - len(suffix) - 1].rstrip("-_.") + "-" + suffix
    return run_id


def _public(parameters: Mapping[str, Any], private: tuple[str, ...]) -> dict[str, Any]:
    """The parameters with each private value replaced by its ``private-<digest>``."""
    if not private or not any(k in private for k in parameters):
        return dict(parameters)
    from workbench.report.masking import private_slug

    return {k: private_slug(v) if k in private else v for k, v in parameters.items()}


def _assign_ids(study: str, specs: list[tuple[Path, dict, str, float | None]],
                path: Path, private: tuple[str, ...] = ()) -> list[Run]:
    """One :class:`Run` per spec (notebook, parameters, study key, timeout), with ids
    unique in the study (private values by their digest); linear in the number of runs.
    """
    ids = [make_run_id(nb, params, private=private) for nb, params, _, _ in specs]
    counts = Counter(ids)
    listed: dict[tuple[Path, str], int] = {}  # among runs whose ids collide: who is who
    for i, (nb, params, key, _) in enumerate(specs):
        if counts[ids[i]] > 1:
            first = listed.setdefault((nb, _digest(params)), i)
            if first != i:
                raise StudyError(f"{path}: key '{key}': the run {nb.name} with parameters "
                                 f"{params} is listed twice (also in '{specs[first][2]}')")
    runs = []
    for i, (nb, params, _, timeout) in enumerate(specs):
        run_id = ids[i]
        if counts[run_id] > 1:  # distinct values that read the same once sanitised
            suffix = _digest({"notebook": nb.stem, "parameters": _public(params, private)})[:8]
            run_id = f"{run_id[: MAX_RUN_ID - 9]}-{suffix}"
        runs.append(Run(study=study, notebook=nb, parameters=params, run_id=run_id,
                        position=i, timeout=timeout))
    return _unreserved(runs, path)


def _unreserved(runs: list[Run], path: Path) -> list[Run]:
    """``runs`` with each id that is a study-root name or hidden (:func:`reserved_problem`)
    replaced by ``<id>-run`` (a leading ``.`` becomes ``_``), noted in ``id_note``; an id
    that then equals another run's gets that run's hash suffix.
    """
    taken = {r.run_id.lower() for r in runs}
    out = []
    for run in runs:
        problem = reserved_problem(run.run_id)
        if not problem:
            out.append(run)
            continue
        new = "_" + run.run_id.lstrip(".") if run.run_id.startswith(".") else run.run_id
        new = new if not reserved_problem(new) else new + RESERVED_SUFFIX
        if new.lower() in taken:
            suffix = _digest({"notebook": run.notebook.stem, "parameters": run.parameters})[:8]
            new = f"{new[: MAX_RUN_ID - 9]}-{suffix}"
        taken.add(new.lower())
        out.append(replace(run, run_id=new,
                           id_note=f"{problem}: the run is written as {new!r}"))
    return out


def named_panel_spec(value: str, study_path: Path, cwd: Path) -> DataSpec | None:
    """The :class:`DataSpec` of ``data: {panel: NAME}`` when ``value`` names a panel built
    with ``workbench data build --name`` (:mod:`workbench.data.named_panels`), None when it
    is a file's path. A name that is neither a file nor a built panel is a
    :class:`~workbench.errors.StudyError` saying where it was looked for and how to build it.
    """
    from workbench.data import named_panels

    if not named_panels.looks_like_name(value) or any(
            (base / value).is_file() for base in (study_path.parent, cwd)):
        return None
    folder = named_panels.find(value, study_path, cwd)
    if folder is None:
        where = " or ".join(str(f) for f in named_panels.search(value, study_path, cwd))
        raise StudyError(f"{study_path}: key 'data.panel': {value!r} is neither a panel file "
                         f"nor a named panel (looked for {where}); build it once with "
                         f"`workbench data build --from FOLDER --name {value}`, or give the "
                         "path of a .parquet panel")
    return DataSpec("panel", {"path": folder / named_panels.PANEL_FILE, "name": value})
