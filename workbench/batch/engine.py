"""The papermill engine of batch runs: nbclient's, with fewer saves of the executed notebook.

Papermill's own engine writes the whole executed notebook (figures included, validated
against the notebook schema) when each cell starts and again when it completes: about 25
writes for a ten-cell notebook, 75 ms of a batch worker's time per run on a small machine.
This engine writes it when execution starts, at papermill's autosave interval while cells
run (``autosave_cell_every``, 30 s by default, so a long run can still be watched), and
when execution ends, whether it succeeded or not. The notebook a run keeps is the same:
the last write happens after the last cell, as with papermill's engine.

It also caps what one cell's outputs may hold (:data:`MAX_CELL_OUTPUT` characters of text
and encoded images, counted over the cell's outputs; ``WORKBENCH_MAX_CELL_OUTPUT``
overrides it): past the cap, printed text is cut and further outputs are dropped as they
arrive, never held in memory, and the cell ends with a note saying how much was not kept.
The executed notebook, the run's log and the report therefore hold at most the cap per
cell; error outputs (tracebacks) are always kept. A notebook that prints 500 MB thus
finishes as an ordinary run with a truncated cell instead of exhausting the batch's memory
or its wait for output.

Papermill knows the engine once :func:`register_engine` has been called (importing this
module registers nothing); :func:`workbench.batch.execute.execute_run` calls it before it
runs a notebook.

>>> import papermill                                                    # doctest: +SKIP
>>> register_engine()                                                   # doctest: +SKIP
>>> papermill.execute_notebook("in.ipynb", "out.ipynb", engine_name=ENGINE_NAME)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager

from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines
from papermill.log import logger
from papermill.utils import merge_kwargs, remove_args

#: The name this engine is registered under in papermill.
ENGINE_NAME = "workbench-batch"
#: Most characters one cell's outputs keep (printed text, plus images and other data as
#: encoded in the notebook); the rest is dropped with a note (see the module docstring).
MAX_CELL_OUTPUT = 2_000_000
#: Environment variable that sets another cap (a whole number of characters).
MAX_CELL_OUTPUT_ENV = "WORKBENCH_MAX_CELL_OUTPUT"
#: Seconds nbclient waits for a cell's remaining output once the kernel has replied
#: (nbclient's default is 4): output beyond the cap is read and dropped, which takes time.
IOPUB_TIMEOUT = 60
#: The cell metadata key recording what was dropped: ``{"dropped_characters": n, ...}``.
TRUNCATED_KEY = "workbench_output_truncated"


def max_cell_output() -> int:
    """The cap on one cell's outputs: :data:`MAX_CELL_OUTPUT`, or the whole number in
    ``WORKBENCH_MAX_CELL_OUTPUT``.

    >>> max_cell_output() == MAX_CELL_OUTPUT or MAX_CELL_OUTPUT_ENV in os.environ
    True
    """
    text = os.environ.get(MAX_CELL_OUTPUT_ENV, "").strip()
    try:
        return max(1000, int(text)) if text else MAX_CELL_OUTPUT
    except ValueError:
        return MAX_CELL_OUTPUT


def _size(value) -> int:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list):
        return sum(_size(v) for v in value)
    return len(json.dumps(value, default=str))


def truncation_note(cap: int, dropped_chars: int, dropped_outputs: int) -> str:
    """The line that ends a cell whose outputs passed the cap.

    >>> print(truncation_note(2_000_000, 12_345, 2), end="")
    [output truncated: this cell's output passed the limit of 2,000,000 characters a cell; 12,345 more characters of printed text and 2 further outputs (figures, tables) were not kept. Write large results to files instead of printing them.]
    """
    parts = []
    if dropped_chars:
        parts.append(f"{dropped_chars:,} more characters of printed text")
    if dropped_outputs:
        parts.append(f"{dropped_outputs:,} further output{'s' if dropped_outputs != 1 else ''}"
                     " (figures, tables)")
    return (f"\n[output truncated: this cell's output passed the limit of {cap:,} characters "
            f"a cell; {' and '.join(parts) or 'nothing more'} {'was' if not parts else 'were'} "
            "not kept. Write large results to files instead of printing them.]\n")[1:]


class CappedClient(PapermillNotebookClient):
    """Papermill's notebook client keeping at most :func:`max_cell_output` characters of
    output a cell (see the module docstring); error outputs are always kept.
    """

    def reset_execution_trackers(self):
        """Start counting afresh: the cap read again, nothing kept or dropped yet."""
        super().reset_execution_trackers()
        self._cap = max_cell_output()
        self._kept: dict[int, int] = {}
        self._dropped: dict[int, list] = {}  # cell -> [characters, outputs, note output]

    def output(self, outs, msg, display_id, cell_index):
        """Keep an output message while the cell is under the cap: an error always, text
        cut at the cap, anything past it dropped and counted in the cell's note (then
        None is returned, as nbclient does for an output it does not keep).
        """
        content = msg.get("content") or {}
        msg_type = msg.get("msg_type") or msg.get("header", {}).get("msg_type")
        if msg_type == "error":
            return super().output(outs, msg, display_id, cell_index)
        if msg_type == "stream":
            size = len(content.get("text", ""))
        else:
            size = _size(content.get("data", {})) + _size(content.get("metadata", {}))
        kept = self._kept.get(cell_index, 0)
        room = self._cap - kept
        if size <= room and cell_index not in self._dropped:
            self._kept[cell_index] = kept + size
            return super().output(outs, msg, display_id, cell_index)
        if msg_type == "stream" and room > 0 and cell_index not in self._dropped:
            text = content["text"]
            cut = {**msg, "content": {**content, "text": text[:room]}}
            self._kept[cell_index] = self._cap
            out = super().output(outs, cut, display_id, cell_index)
            self._drop(outs, cell_index, chars=len(text) - room)
            return out
        self._drop(outs, cell_index, chars=size if msg_type == "stream" else 0,
                   outputs=0 if msg_type == "stream" else 1)
        return None

    def _drop(self, outs, cell_index: int, chars: int = 0, outputs: int = 0) -> None:
        """Count what was dropped and keep the cell's note (the last output) up to date."""
        import nbformat

        record = self._dropped.get(cell_index)
        if record is None:
            note = nbformat.v4.new_output("stream", name="stdout", text="")
            record = self._dropped[cell_index] = [0, 0, note]
        record[0] += chars
        record[1] += outputs
        note = record[2]
        note.text = truncation_note(self._cap, record[0], record[1])
        if not outs or outs[-1] is not note:
            outs[:] = [o for o in outs if o is not note]
            outs.append(note)
        cell = self.nb.cells[cell_index]
        cell.metadata[TRUNCATED_KEY] = {"limit_characters": self._cap,
                                        "dropped_characters": record[0],
                                        "dropped_outputs": record[1]}


class FewerSavesManager(NotebookExecutionManager):
    """Papermill's execution state, saved at start, at the autosave interval and at the end.

    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
    >>> nb.metadata.papermill = {}
    >>> manager = FewerSavesManager(nb, progress_bar=False)
    >>> manager.notebook_start()
    >>> manager.cell_start(nb.cells[0], 0); manager.cell_complete(nb.cells[0], 0)
    >>> nb.cells[0].metadata.papermill["status"]
    'completed'
    """

    _hold = False

    @contextmanager
    def _held(self):
        self._hold = True
        try:
            yield
        finally:
            self._hold = False

    def save(self, **kwargs):
        """Write the notebook as papermill does, except while a cell starts or completes."""
        if not self._hold:
            super().save(**kwargs)

    def cell_start(self, cell, cell_index=None, **kwargs):
        """Mark ``cell`` running, saving only when the autosave interval has passed."""
        with self._held():
            super().cell_start(cell, cell_index, **kwargs)
        self.autosave_cell()

    def cell_complete(self, cell, cell_index=None, **kwargs):
        """Mark ``cell`` done, saving only when the autosave interval has passed."""
        with self._held():
            super().cell_complete(cell, cell_index, **kwargs)
        self.autosave_cell()


class BatchEngine(NBClientEngine):
    """nbclient execution with :class:`FewerSavesManager` and :class:`CappedClient`
    (same arguments as papermill's).
    """

    @classmethod
    def execute_notebook(cls, nb, kernel_name, output_path=None, progress_bar=True,
                         log_output=False, autosave_cell_every=30, **kwargs):
        """Execute ``nb`` on ``kernel_name`` under a :class:`FewerSavesManager`; the
        notebook is saved at the start, at the autosave interval and at the end (also when a
        cell fails), and the executed notebook is returned.
        """
        manager = FewerSavesManager(nb, output_path=output_path, progress_bar=progress_bar,
                                    log_output=log_output,
                                    autosave_cell_every=autosave_cell_every)
        manager.notebook_start()
        try:
            cls.execute_managed_notebook(manager, kernel_name, log_output=log_output, **kwargs)
        finally:
            manager.cleanup_pbar()
            manager.notebook_complete()
        return manager.nb

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                 stderr_file=None, start_timeout=60, execution_timeout=None,
                                 **kwargs):
        """Papermill's :meth:`NBClientEngine.execute_managed_notebook` with
        :class:`CappedClient` and a longer wait for output (:data:`IOPUB_TIMEOUT`).
        """
        kwargs = remove_args(["input_path"], **kwargs)
        safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
        final_kwargs = merge_kwargs(
            {"iopub_timeout": IOPUB_TIMEOUT, **safe_kwargs},
            timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
            startup_timeout=start_timeout, kernel_name=kernel_name, log=logger,
            log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file)
        return CappedClient(nb_man, **final_kwargs).execute()


def register_engine() -> str:
    """Register :class:`BatchEngine` with papermill as :data:`ENGINE_NAME` (again: no
    change); return the name to pass as papermill's ``engine_name``.

    >>> register_engine()
    'workbench-batch'
    >>> papermill_engines.get_engine(ENGINE_NAME) is BatchEngine
    True
    """
    papermill_engines.register(ENGINE_NAME, BatchEngine)
    return ENGINE_NAME
