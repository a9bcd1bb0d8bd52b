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


def load(*args, **kwargs):
    """The panel in one call; see :func:`workbench.session.load`."""
    from workbench.session import load as _load

    return _load(*args, **kwargs)


__all__ = ["__version__", "load"]
