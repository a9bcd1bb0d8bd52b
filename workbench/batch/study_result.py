"""The outcome of a study: one result per run, and what the terminal shows of it.

:class:`StudyResult` is what :func:`~workbench.batch.runner.run_study` returns and what
:mod:`workbench.batch.study_outputs` writes ``findings.csv`` and the index from.

>>> from workbench.batch.study import Study
>>> r = RunResult("nb--a-1", 0, "failed", Path("x"), "NB", {"a": 1},
...               error={"ename": "ValueError", "evalue": "boom"}, notebook="nb.ipynb")
>>> study = Study(name="demo", title="Demo", path=Path("demo.yaml"), data=None, runs=())
>>> outcome = StudyResult(study, Path("out"), [r])
>>> outcome.exit_code, outcome.index_path
(1, PosixPath('out/index.html'))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from workbench.batch.execute import RunResult
from workbench.batch.study import Study

#: The study's index page, in its output folder.
INDEX_FILE = "index.html"


@dataclass
class StudyResult:
    """The outcome of :func:`~workbench.batch.runner.run_study`: one
    :class:`~workbench.batch.execute.RunResult` per run, in study order.
    """

    study: Study
    out_dir: Path
    results: list[RunResult]
    data: dict = field(default_factory=dict)
    #: What the user should know besides the runs' status: a run executed again because
    #: its files changed since it finished, a stale lock taken over.
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[RunResult]:
        """The runs that failed, in study order."""
        return [r for r in self.results if not r.ok]

    @property
    def exit_code(self) -> int:
        """0 when every run succeeded, 1 otherwise."""
        return 1 if self.failed else 0

    @property
    def index_path(self) -> Path:
        """The study's index page (:data:`INDEX_FILE` in the output folder)."""
        return self.out_dir / INDEX_FILE

    @property
    def cached(self) -> list[RunResult]:
        """The runs reused from an earlier batch instead of executed, in study order."""
        return [r for r in self.results if r.cached]

    def summary(self) -> str:
        """A few lines for the terminal: counts, where the index is, notes, a table of
        failures.
        """
        n_failed = len(self.failed)
        lines = [(f"{self.study.name}: {len(self.results)} run(s), "
                  f"{len(self.results) - n_failed} ok, {n_failed} failed, "
                  f"{len(self.cached)} from cache. Index: {self.index_path}")]
        lines += [f"  note: {note}" for note in self.notes]
        for r in self.failed:
            lines.append(f"  FAILED {r.run_id}: {r.error_line} (log: {r.folder / 'run.log'})")
        if self.failed:
            lines += ["", failure_table(self.failed)]
        return "\n".join(lines)


def failure_table(failed: list[RunResult], width: int = 60) -> str:
    """A plain-text table of failed runs: notebook, parameters, error (each cut to ``width``).

    >>> r = RunResult("nb--a-1", 0, "failed", Path("x"), "NB", {"a": 1},
    ...               error={"ename": "ValueError", "evalue": "boom"}, notebook="nb.ipynb")
    >>> print(failure_table([r]))
    notebook  parameters  error
    nb.ipynb  a=1         ValueError: boom
    """
    def cut(text: str) -> str:
        return text if len(text) <= width else text[: width - 1] + "…"

    rows = [("notebook", "parameters", "error")]
    for r in failed:
        params = ", ".join(f"{k}={v}" for k, v in r.parameters.items()) or "(defaults)"
        rows.append((r.notebook or r.run_id, cut(params), cut(r.error_line)))
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    return "\n".join(f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c}".rstrip() for a, b, c in rows)
