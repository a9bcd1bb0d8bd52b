"""The ``workbench`` Jupyter kernel: the Python that runs the workbench runs the notebooks.

Notebooks declare the kernel ``workbench`` (display name "Python (workbench)").
:func:`ensure_kernelspec` installs it once into ``sys.prefix`` (like
``python -m ipykernel install --sys-prefix --name workbench``) pointing at
``sys.executable``, so JupyterLab and batch runs use the same environment.

>>> spec = ensure_kernelspec()          # doctest: +SKIP
>>> spec.argv[0] == sys.executable      # doctest: +SKIP
True
"""

from __future__ import annotations

import sys
from pathlib import Path

from jupyter_client.kernelspec import KernelSpec, KernelSpecManager, NoSuchKernel

from workbench.errors import KernelSpecError

KERNEL_NAME = "workbench"
DISPLAY_NAME = "Python (workbench)"


def _points_here(spec: KernelSpec) -> bool:
    if not spec.argv:
        return False
    return Path(spec.argv[0]).absolute() == Path(sys.executable).absolute()


def ensure_kernelspec(name: str = KERNEL_NAME, display_name: str = DISPLAY_NAME) -> KernelSpec:
    """Install the kernelspec ``name`` into ``sys.prefix`` unless it already points here.

    Idempotent: when the spec Jupyter would pick for ``name`` already starts
    ``sys.executable``, nothing is written. Raises
    :class:`~workbench.errors.KernelSpecError` when a kernelspec of the same name in
    a folder Jupyter searches first (e.g. the user's) points at another Python.
    """
    manager = KernelSpecManager()
    try:
        spec = manager.get_kernel_spec(name)
    except NoSuchKernel:
        spec = None
    if spec is not None and _points_here(spec):
        return spec
    from ipykernel.kernelspec import install

    install(kernel_name=name, display_name=display_name, prefix=sys.prefix)
    spec = KernelSpecManager().get_kernel_spec(name)
    if not _points_here(spec):
        raise KernelSpecError(
            f"the Jupyter kernel {name!r} found at {spec.resource_dir} starts {spec.argv[0]!r}, "
            f"not this environment's Python {sys.executable!r}. Remove that kernelspec "
            f"(`jupyter kernelspec remove {name}`) or install over it with "
            f"`{sys.executable} -m ipykernel install --user --name {name}`."
        )
    return spec
