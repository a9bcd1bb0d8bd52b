"""Running studies of parameterised notebooks: study files, checks, execution, cache, executors.

Importing this package (or any module in it) does nothing but define names: the papermill
engine is registered, the worker parent warmed and ``rfc3987_syntax`` left out by the
functions that need them (:func:`workbench.batch.engine.register_engine`,
:func:`workbench.batch.executors.local.prepare_worker_parent`,
:func:`workbench.batch.lean_imports.leave_out_rfc3987_syntax`).
"""
