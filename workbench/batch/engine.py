"""The papermill engine of batch runs: nbclient's, with fewer saves of the executed notebook.

Papermill's own engine writes the whole executed notebook (figures included, validated
against the notebook schema) when each cell starts and again when it completes: about 25
writes for a ten-cell notebook, 75 ms of a batch worker's time per run on a small machine.
This engine writes it when execution starts, at papermill's autosave interval while cells
run (``autosave_cell_every``, 30 s by default, so a long run can still be watched), and
when execution ends, whether it succeeded or not. The notebook a run keeps is the same:
the last write happens after the last cell, as with papermill's engine.

Papermill knows the engine once :func:`register_engine` has been called (importing this
module registers nothing); :func:`workbench.batch.execute.execute_run` calls it before it
runs a notebook.

>>> import papermill                                                    # doctest: +SKIP
>>> register_engine()                                                   # doctest: +SKIP
>>> papermill.execute_notebook("in.ipynb", "out.ipynb", engine_name=ENGINE_NAME)  # doctest: +SKIP
"""

from __future__ import annotations

from contextlib import contextmanager

from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

#: The name this engine is registered under in papermill.
ENGINE_NAME = "workbench-batch"


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
        if not self._hold:
            super().save(**kwargs)

    def cell_start(self, cell, cell_index=None, **kwargs):
        with self._held():
            super().cell_start(cell, cell_index, **kwargs)
        self.autosave_cell()

    def cell_complete(self, cell, cell_index=None, **kwargs):
        with self._held():
            super().cell_complete(cell, cell_index, **kwargs)
        self.autosave_cell()


class BatchEngine(NBClientEngine):
    """nbclient execution with :class:`FewerSavesManager` (same arguments as papermill's)."""

    @classmethod
    def execute_notebook(cls, nb, kernel_name, output_path=None, progress_bar=True,
                         log_output=False, autosave_cell_every=30, **kwargs):
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
