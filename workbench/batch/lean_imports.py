"""What a batch process leaves out of its imports: ``rfc3987_syntax``.

jsonschema imports ``rfc3987_syntax`` (when it is installed) as jsonschema itself is
imported, only to check strings of the ``iri`` format, which validating a notebook never
does; importing it builds a parser that costs about 2.5 s of CPU per process. nbformat,
papermill and nbclient import jsonschema, so every batch process would pay it: the command
line, each worker's parent (or fork server) and each Dask worker. They call
:func:`leave_out_rfc3987_syntax` first. Kernels never do (the launcher that forks them is a
new interpreter that does not call it), so a notebook can still import the package.

This is a function, not something importing the workbench does, so that a user's own
process (a Jupyter kernel that imports :mod:`workbench.batch`) keeps every package it has.
"""

from __future__ import annotations

import sys

#: The module left out.
RFC3987_SYNTAX = "rfc3987_syntax"


def leave_out_rfc3987_syntax() -> bool:
    """Keep jsonschema from importing ``rfc3987_syntax`` in this process (see the module
    docstring); True when it is left out, False when it was imported already, or when
    jsonschema was (then leaving it out would save nothing).

    >>> import subprocess, sys
    >>> code = ("from workbench.batch.lean_imports import leave_out_rfc3987_syntax as leave; "
    ...         "print(leave(), leave()); import jsonschema, sys; "
    ...         "print(sys.modules['rfc3987_syntax'])")
    >>> subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.split()
    ['True', 'True', 'None']
    """
    if sys.modules.get(RFC3987_SYNTAX, False) is None:
        return True
    if RFC3987_SYNTAX in sys.modules or "jsonschema" in sys.modules:
        return False
    sys.modules[RFC3987_SYNTAX] = None  # `import rfc3987_syntax` now raises ImportError
    return True
