"""Running studies of parameterised notebooks: study files, checks, execution, cache, executors.

Importing this package keeps ``rfc3987_syntax`` from loading in batch processes:
jsonschema imports it (when installed) only to check the ``iri`` string format, which
notebook validation never uses, and it builds a parser at import time that costs
about 2.5 s per process. Kernels never inherit this (the launcher lifts it before
preloading), so notebooks can still import it.
"""

import sys

sys.modules.setdefault("rfc3987_syntax", None)
