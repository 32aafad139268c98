"""Kernels: the computations behind ops, per implementation (NumPy, CuPy).

Importing this package imports every kernel module here, which registers its kernels.
"""
import importlib
import pkgutil

from . import registry
from .registry import kernel
from .implementation import (Implementation, backend, get_implementation, is_available,
                             set_backend)

_NOT_KERNELS = {"registry", "implementation", "cupy_impl"}
for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _info.name not in _NOT_KERNELS and not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}")
