"""Kernels: the computations behind ops, per implementation (NumPy, CuPy).

Importing this package registers every kernel module's kernels.
"""
from . import registry
from .registry import kernel
from .implementation import (Implementation, backend, get_implementation, is_available,
                             set_backend)
from . import arrays, elementwise, reductions  # noqa: F401  (register kernels)
