"""Every error the workbench raises on purpose, each carrying the facts a user needs.

Errors name the file, the column or parameter, and what was expected, so that a
researcher can fix the input without reading a traceback.
"""

from __future__ import annotations


class WorkbenchError(Exception):
    """Base class of the workbench's own errors."""


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
            lines.append(
                f"  - column {rec.column!r}: rule {rec.rule!r} broken in {rec.n_rows} row(s) "
                f"[rows {rows}{more}]; e.g. values {rec.values}"
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
    (``pip install 'workbench[slurm]'``), ``sbatch`` on PATH, or a reachable Slurm controller."""


class SharedFilesystemError(SlurmError):
    """The output folder is not on a filesystem that every Slurm node sees at the same path."""
