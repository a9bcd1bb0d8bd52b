"""The batch papermill engine writes the executed notebook at start, at the autosave
interval and at the end, not twice per cell, and keeps the same final notebook."""

from __future__ import annotations

import nbformat
import papermill.engines

from workbench.batch.engine import FewerSavesManager


def _notebook(n_cells: int):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(str(i))
                                         for i in range(n_cells)])
    nb.metadata.papermill = {}
    return nb


def _execute_cells(manager, nb):
    manager.notebook_start()
    for i, cell in enumerate(nb.cells):
        manager.cell_start(cell, i)
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"cell {i}\n")]
        manager.cell_complete(cell, i)
    manager.notebook_complete()


def test_a_quick_notebook_is_written_at_start_and_end_only(tmp_path, monkeypatch):
    writes = []
    monkeypatch.setattr(papermill.engines, "write_ipynb",
                        lambda nb, path: writes.append(nbformat.writes(nb)))
    nb = _notebook(10)
    _execute_cells(FewerSavesManager(nb, output_path=str(tmp_path / "out.ipynb"),
                                     progress_bar=False), nb)
    assert len(writes) == 2  # papermill's own manager writes 22 times here
    last = nbformat.reads(writes[-1], as_version=4)
    assert [c.outputs[0]["text"] for c in last.cells] == [f"cell {i}\n" for i in range(10)]
    assert all(c.metadata.papermill["status"] == "completed" for c in last.cells)
    assert last.metadata.papermill["duration"] is not None


def test_a_long_run_is_still_written_at_the_autosave_interval(tmp_path, monkeypatch):
    writes = []
    monkeypatch.setattr(papermill.engines, "write_ipynb", lambda nb, path: writes.append(1))
    nb = _notebook(3)
    # autosave_cell_every=0 disables autosave in papermill; a tiny interval saves each time
    manager = FewerSavesManager(nb, output_path=str(tmp_path / "out.ipynb"),
                                progress_bar=False, autosave_cell_every=1e-9)
    _execute_cells(manager, nb)
    assert len(writes) > 2
