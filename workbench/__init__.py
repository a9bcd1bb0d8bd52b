"""workbench: reproducible findings on staffing, waiting times and patient satisfaction
in NHS and independent providers in England.

>>> import workbench
>>> panel = workbench.load(seed=1, n_providers=30, n_months=2)
>>> len(panel)
60
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("workbench")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"


def __getattr__(name: str):
    """``workbench.<name>`` for every name of :mod:`workbench.api`, imported on first use
    (so ``import workbench`` stays light for the batch side and the command line).

    A submodule (``from workbench import interactive``) is imported as such, never
    through :mod:`workbench.api`, so modules that api itself imports can use that form.
    """
    import importlib
    import importlib.util

    if importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f"{__name__}.{name}")
    api = importlib.import_module(f"{__name__}.api")
    if name in api.__all__:
        return getattr(api, name)
    raise AttributeError(f"module 'workbench' has no attribute {name!r}")


def __dir__() -> list[str]:
    from workbench import api

    return sorted(set(globals()) | set(api.__all__) | {"api"})


__all__ = ["__version__", "api"]
