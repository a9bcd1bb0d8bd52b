"""Every error the workbench raises on purpose, each carrying the facts a user needs.

Errors name the file, the column or parameter, the value given and what was expected,
so that a researcher can fix the input without reading a traceback. Each is a
:class:`WorkbenchError`; most are also the built-in error a caller would expect
(``ValueError``, ``KeyError``, ``OSError``...), so ``except ValueError`` keeps working.

Every error survives pickling with its message and attributes (:meth:`WorkbenchError.
__reduce__`), so an error raised in a worker process reaches the runner intact.

A bare built-in is raised only where Python's own protocol requires one:

- ``workbench/__init__.py``, module ``__getattr__``: ``AttributeError`` (PEP 562).
- ``workbench/batch/cache.py``, ``_LazyMapping.__getitem__``: ``KeyError`` (the
  ``Mapping`` protocol).
- ``workbench/analysis/models/fitters.py``, ``Fitter.fit``, and
  ``workbench/batch/executors/base.py``, ``Executor.map_unordered``:
  ``NotImplementedError`` (a base class's method that subclasses must define).
- ``workbench/batch/launcher.py``, ``ForkedProcess.wait``: ``subprocess.TimeoutExpired``
  (the ``Popen.wait`` protocol jupyter_client's provisioner relies on).
- ``workbench/batch/launcher.py``, ``main``: ``SystemExit`` with the usage line (a
  command-line entry point, as ``argparse`` does).

A bare ``raise`` re-raises an error caught a moment before, unchanged. Whether the data
can answer a claim is a value, not an error: a claim the data cannot answer gets the
verdict ``cannot answer`` with its reason (:mod:`workbench.analysis.claims.inputs`).
"""

from __future__ import annotations

import difflib
import reprlib
from collections.abc import Iterable

_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 120
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxdict = _SHORT.maxset = 10


def _restore(cls: type[BaseException], args: tuple) -> BaseException:
    """An error of class ``cls`` with ``args``, made without running its ``__init__``;
    pickle then puts back its attributes (see :meth:`WorkbenchError.__reduce__`).
    """
    error = cls.__new__(cls, *args)
    error.args = args
    return error


class WorkbenchError(Exception):
    """Base class of the workbench's own errors.

    Pickling keeps the class, ``args`` (the message) and every attribute, whatever the
    subclass's ``__init__`` takes (an error crossing from a worker process keeps its
    facts; ``BaseException`` would call ``__init__`` again with the message only).

    >>> import pickle
    >>> err = pickle.loads(pickle.dumps(OutputWriteError("out/x.json", "no space left")))
    >>> type(err).__name__, err.path, str(err)
    ('OutputWriteError', 'out/x.json', 'out/x.json: no space left')
    """

    def __reduce__(self):
        """The class, ``args`` and attributes (the message is not parsed again)."""
        return _restore, (type(self), self.args), (self.__dict__ or None)


class PanelValidationError(WorkbenchError, ValueError):
    """A panel broke the schema.

    Attributes
    ----------
    source : str
        Where the panel came from (a file path, or ``"<DataFrame>"``).
    failures : pandas.DataFrame
        One row per broken rule and column: ``column``, ``rule``, ``rows`` (row
        positions, at most 10 shown), ``n_rows`` and example ``values``.
    """

    def __init__(self, source: str, failures):
        self.source = source
        self.failures = failures
        lines = [f"Panel from {source} failed validation ({len(failures)} problem(s)):"]
        for rec in failures.itertuples(index=False):
            rows = ", ".join(str(r) for r in rec.rows)
            more = f" (+{rec.n_rows - len(rec.rows)} more)" if rec.n_rows > len(rec.rows) else ""
            where = f" [rows {rows}{more}]" if rec.rows else " (the whole column)"
            lines.append(
                f"  - column {rec.column!r}: rule {rec.rule!r} broken in {rec.n_rows} row(s)"
                f"{where}; e.g. values {rec.values}"
            )
        super().__init__("\n".join(lines))


class SourceFormatError(WorkbenchError, ValueError):
    """An official file did not have the layout its reader expects.

    Names the file, the column or sheet, and what was expected.
    """

    def __init__(self, path, problem: str, *, column: str | None = None,
                 sheet: str | None = None, expected: str | None = None):
        self.path = str(path)
        self.column = column
        self.sheet = sheet
        self.expected = expected
        where = []
        if sheet:
            where.append(f"sheet {sheet!r}")
        if column:
            where.append(f"column {column!r}")
        at = f" ({', '.join(where)})" if where else ""
        exp = f" Expected: {expected}." if expected else ""
        super().__init__(f"{self.path}{at}: {problem}.{exp}")


class DeclarationError(WorkbenchError, ValueError):
    """A declaration of a user's table (what its columns hold) is malformed or does not
    match the table: names the declaration, the key, the problem and what would work.

    Attributes: ``source`` (the declaration's file, or ``"<declaration>"``), ``key``
    (e.g. ``measures.fill_rate.kind``), ``problem`` and ``expected``.

    >>> str(DeclarationError("wards.yaml", "unit", "is missing", expected="the unit's column"))
    "wards.yaml: key 'unit' is missing. Expected: the unit's column."
    """

    def __init__(self, source, key: str, problem: str, *, expected: str = ""):
        self.source = str(source)
        self.key = key
        self.problem = problem
        self.expected = expected
        exp = f" Expected: {expected.rstrip('.')}." if expected else ""
        at = f"key {key!r} " if key else ""
        super().__init__(f"{self.source}: {at}{problem}.{exp}")


class TableValidationError(PanelValidationError):
    """A user's declared table broke a rule of its declaration (type, range, duplicate
    unit and period, gap in the periods). ``failures`` as :class:`PanelValidationError`;
    ``rows`` are the rows as the file shows them (a spreadsheet's row numbers, the
    header being row 1), which ``rows_note`` says in words.

    >>> import pandas as pd
    >>> f = pd.DataFrame([{"column": "fill_rate", "rule": "between 0 and 200",
    ...                    "rows": [14], "n_rows": 1, "values": ["950"]}])
    >>> print(TableValidationError("wards.csv", f))
    Table wards.csv broke its declaration (1 problem(s)):
      - column 'fill_rate': rule 'between 0 and 200' broken in 1 row(s) [rows 14]; e.g. values ['950']
    """

    def __init__(self, source: str, failures, rows: str = ""):
        super().__init__(source, failures)
        self.rows_note = rows
        _, *rest = self.args[0].split("\n")
        note = f"; {rows}" if rows else ""
        head = f"Table {source} broke its declaration ({len(failures)} problem(s){note}):"
        self.args = ("\n".join([head, *rest]),)


class ParameterError(WorkbenchError, ValueError):
    """A study gave a notebook a parameter it does not declare, or of the wrong type."""

    def __init__(self, notebook: str, parameter: str, problem: str, declared: dict | None = None,
                 suggestion: str | None = None):
        self.notebook = notebook
        self.parameter = parameter
        self.declared = declared or {}
        self.suggestion = suggestion
        decl = ", ".join(f"{k} ({v})" for k, v in self.declared.items()) or "none"
        hint = f" Did you mean {suggestion!r}?" if suggestion else ""
        super().__init__(
            f"{notebook}: parameter {parameter!r} {problem}.{hint} Declared parameters: {decl}"
        )


class StudyError(WorkbenchError, ValueError):
    """A study file is malformed (names the file and the key)."""


class FetchError(WorkbenchError, RuntimeError):
    """A download failed; the message says which URL to fetch by hand and where to put it."""


class NotebookError(WorkbenchError, ValueError):
    """A notebook is missing, unreadable, or has no usable ``parameters`` cell.

    Attributes: ``notebook`` (the path as given) and ``problem`` (what is wrong).
    """

    def __init__(self, notebook, problem: str):
        self.notebook = str(notebook)
        self.problem = problem
        super().__init__(f"{self.notebook}: {problem}")


class KernelSpecError(WorkbenchError, RuntimeError):
    """The ``workbench`` Jupyter kernel cannot be installed or points at another Python."""


class AnalysisInputError(WorkbenchError, ValueError):
    """An analysis function was given data or an argument it cannot use.

    Attributes: ``function`` (e.g. ``"spc"``), ``parameter`` (the argument or column
    parameter at fault), ``problem`` (what is wrong) and ``expected`` (what would work).
    """

    def __init__(self, function: str, parameter: str, problem: str, *, expected: str = ""):
        self.function = function
        self.parameter = parameter
        self.problem = problem
        self.expected = expected
        exp = f" Expected: {expected}." if expected else ""
        super().__init__(f"{function}(): {parameter} {problem}.{exp}")


class SourceIncompleteError(SourceFormatError):
    """An official file is shorter than its layout promises, or its totals disagree.

    Raised when a totals row is missing or does not equal the sum of its rows, or the
    rows stop short of what the layout promises (a file cut at a row boundary). A build
    given ``allow_incomplete=True`` turns it into an :class:`IncompleteSourceWarning`.
    """


class IncompleteSourceWarning(UserWarning):
    """A file was read although it is incomplete (see :class:`SourceIncompleteError`)."""


class OutputWriteError(WorkbenchError, OSError):
    """An output could not be written (a full disk, a read-only folder); names the path.

    Nothing is claimed as done: whatever existed before is left as it was.
    """

    def __init__(self, path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class ClusterSecurityError(WorkbenchError, RuntimeError):
    """A Dask scheduler address or its credentials would leave the cluster open."""


class AnalysisColumnError(AnalysisInputError, KeyError):
    """A column an analysis needs is not in the data (a ``KeyError`` as well).

    Same attributes as :class:`AnalysisInputError`; the message is shown unquoted.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class AnalysisTypeError(AnalysisInputError, TypeError):
    """An analysis or session argument of the wrong type (a ``TypeError`` as well)."""


class NotEstimableError(AnalysisInputError):
    """The data are too thin for one part of an analysis (too few clusters for a clustered
    or bootstrap interval, an exposure that does not vary): a question reports the part as
    a diagnostic finding naming the reason and goes on (``findings.roles.not_estimated``).
    """


class GeneratorError(WorkbenchError, ValueError):
    """The synthetic-panel generator was given an argument it cannot use.

    Attributes: ``parameter`` (the argument), ``value`` (what was given), ``problem``
    (what is wrong) and ``expected`` (what would work).
    """

    def __init__(self, parameter: str, value, problem: str, *, expected: str = ""):
        self.parameter = parameter
        self.value = value
        self.problem = problem
        self.expected = expected
        exp = f" Expected: {expected}." if expected else ""
        super().__init__(f"generate(): {parameter}={value!r} {problem}.{exp}")


class GeneratorTypeError(GeneratorError, TypeError):
    """A generator argument of the wrong type (a ``TypeError`` as well)."""


class ConflictingValuesError(WorkbenchError, ValueError):
    """Two files give the same provider, period and measure different values.

    Attributes: ``provider``, ``period``, ``measure``, ``files`` (the two file names),
    ``values`` (their two values) and ``n_cells`` (how many cells disagree in all). The
    build stops unless it is told which publication takes precedence.
    """

    def __init__(self, provider: str, period: str, measure: str, files: tuple[str, str],
                 values: tuple, n_cells: int = 1, sources: tuple[str, str] | None = None):
        self.provider = provider
        self.period = period
        self.measure = measure
        self.files = tuple(files)
        self.values = tuple(values)
        self.n_cells = n_cells
        self.sources = tuple(sources) if sources else None
        more = f" ({n_cells} cells disagree in all)" if n_cells > 1 else ""
        hint = (f" Say which publication takes precedence (build(precedence=[...]) or "
                f"--prefer {sources[0]} / --prefer {sources[1]})." if sources else "")
        super().__init__(
            f"{files[0]} and {files[1]} give provider {provider!r}, period {period}, measure "
            f"{measure!r} different values: {values[0]!r} and {values[1]!r}{more}.{hint}")


class SlurmError(WorkbenchError, RuntimeError):
    """``--executor slurm`` cannot run: a Slurm option is wrong or a Slurm job failed."""


class SlurmUnavailableError(SlurmError):
    """What ``--executor slurm`` needs is missing here: the ``dask-jobqueue`` package
    (``pip install 'workbench[slurm]'``), ``sbatch`` on PATH, or a reachable Slurm controller.
    """


class SharedFilesystemError(SlurmError):
    """The output folder is not on a filesystem that every Slurm node sees at the same path."""


class UnknownMeasureError(WorkbenchError, KeyError):
    """A measure name that is not in the registry (a ``KeyError`` as well).

    Attributes: ``name`` (the name given), ``known`` (the registry's names) and
    ``suggestion`` (the closest known name, or None). The message is shown unquoted.

    >>> str(UnknownMeasureError("rtt_median_week", ["rtt_median_weeks", "beds"]))
    "Unknown measure 'rtt_median_week'. Did you mean 'rtt_median_weeks'? Known measures: rtt_median_weeks, beds"
    """

    def __init__(self, name: str, known: Iterable[str] = ()):
        self.name = name
        self.known = tuple(known)
        close = difflib.get_close_matches(str(name), self.known, n=1)
        self.suggestion = close[0] if close else None
        hint = f" Did you mean {self.suggestion!r}?" if self.suggestion else ""
        super().__init__(f"Unknown measure {name!r}.{hint} Known measures: "
                         f"{', '.join(self.known)}")

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class ArgumentError(WorkbenchError, ValueError):
    """A function was given an argument value it does not accept (a ``ValueError`` too).

    Attributes: ``function`` (e.g. ``"fetch"``), ``parameter`` (the argument),
    ``value`` (what was given), ``problem`` (what is wrong, or ``""``) and ``expected``
    (what would work).

    >>> str(ArgumentError("fetch", "max_bytes", 0, expected="a whole number of bytes >= 1"))
    'fetch(): max_bytes=0: expected a whole number of bytes >= 1.'
    >>> str(ArgumentError("decide", "gp_sector", "gp", problem="is not a sector",
    ...                   expected="'nhs' or 'independent'"))
    "decide(): gp_sector='gp' is not a sector; expected 'nhs' or 'independent'."
    """

    def __init__(self, function: str, parameter: str, value, *, expected: str,
                 problem: str = ""):
        self.function = function
        self.parameter = parameter
        self.value = self._fact(value)
        self.problem = problem
        self.expected = expected
        said = f" {problem};" if problem else ":"
        super().__init__(f"{function}(): {self._given()}{said} expected "
                         f"{expected.rstrip('.')}.")

    @staticmethod
    def _fact(value):
        """What :attr:`value` keeps of the value given."""
        return value

    def _given(self) -> str:
        """The argument and its value, as the message shows them."""
        return f"{self.parameter}={_SHORT.repr(self.value)}"


class ArgumentTypeError(ArgumentError, TypeError):
    """An argument of the wrong type (a ``TypeError`` as well).

    Same attributes as :class:`ArgumentError`, but ``value`` is the name of the type
    given (so the error pickles whatever was passed).

    >>> str(ArgumentTypeError("validate_panel", "df", [1], expected="a pandas DataFrame"))
    'validate_panel(): df of type list: expected a pandas DataFrame.'
    """

    @staticmethod
    def _fact(value):
        return type(value).__name__

    def _given(self) -> str:
        return f"{self.parameter} of type {self.value}"


class UnsafeFileNameError(WorkbenchError, ValueError):
    """A file name taken from a link or an archive cannot be made safe to create.

    Attributes: ``name`` (the name as found) and ``problem`` (what is wrong with it).

    >>> str(UnsafeFileNameError("..%2F", "has nothing left after removing '..'"))
    "file name '..%2F' has nothing left after removing '..'"
    """

    def __init__(self, name: str, problem: str):
        self.name = name
        self.problem = problem
        super().__init__(f"file name {name!r} {problem}")


class PanelNotFoundError(WorkbenchError, FileNotFoundError):
    """No panel file where one was named (a ``FileNotFoundError`` as well).

    Attributes: ``path`` (as given), ``problem`` (what was looked for, naming the path)
    and ``expected`` (how to get a panel).
    """

    def __init__(self, path, problem: str, *, expected: str):
        self.path = str(path)
        self.problem = problem
        self.expected = expected
        super().__init__(f"{problem}. {expected}")


class NamedPanelError(WorkbenchError, ValueError):
    """A named panel (``data: {panel: NAME}``) is missing, or a file of it changed since it
    was built (:mod:`workbench.data.named_panels`); the message names the folder and files.
    """


class KernelStartError(WorkbenchError, RuntimeError):
    """A kernel died, or did not answer within its start-up time, before it was ready.

    An infrastructure failure (a run whose kernel fails to start may be retried).
    Attributes: ``problem`` and ``timeout`` (the start-up limit in seconds, or None).

    >>> str(KernelStartError("didn't respond in 60 seconds", timeout=60))
    "Kernel didn't respond in 60 seconds"
    """

    def __init__(self, problem: str, *, timeout: float | None = None):
        self.problem = problem
        self.timeout = timeout
        super().__init__(f"Kernel {problem}")


class ExportError(WorkbenchError, ValueError):
    """A board pack cannot be made from what was given: a folder that is not a study's
    output, a run that is not in it or did not finish ok, no run that finished ok, or no
    converter installed. Attributes: ``path`` (the folder, run or file), ``problem`` and
    ``expected``.

    >>> str(ExportError("outputs/x", "holds no index.html", expected="a study's output folder"))
    "outputs/x: holds no index.html; expected a study's output folder"
    """

    def __init__(self, path, problem: str, *, expected: str):
        self.path = str(path)
        self.problem = problem
        self.expected = expected
        super().__init__(f"{path}: {problem}; expected {expected}")
