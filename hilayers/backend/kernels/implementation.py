"""Kernel implementations (NumPy, CuPy) behind one interface, and which one is selected.

Only this package touches the array modules. CuPy is imported in one place
(:mod:`.cupy_impl`), lazily, when the ``cupy`` implementation is first asked for.
"""
import numpy as np

from .. import config
from ..errors import BackendUnavailableError, InvalidArgumentError, KernelNotFoundError
from . import registry

IMPLEMENTATIONS = ("numpy", "cupy")


class Implementation:
    """One kernel implementation: an array module ``xp`` and its kernel table.

    Attributes:
        name: ``'numpy'`` or ``'cupy'``.
        xp: the array module.
    """

    def __init__(self, name, xp):
        self.name = name
        self.xp = xp

    def kernel_for(self, op):
        """Return the kernel of ``op`` here.

        Raises:
            KernelNotFoundError: naming the op and this implementation.
        """
        fn = registry.lookup(self.name, op.kernel_name)
        if fn is None:
            raise KernelNotFoundError(
                f"The {self.name} implementation has no kernel for op {op.kernel_name!r}. "
                "Register one with @kernel(name) in hilayers/backend/kernels/.")
        return fn

    def to_device(self, value, dtype=None):
        """Return ``value`` as an array of this implementation."""
        return self.xp.asarray(value, dtype=dtype)

    def to_numpy(self, array):
        """Return ``array`` as a NumPy array (a copy off the device for CuPy)."""
        return np.asarray(array)

    def is_native(self, array):
        return isinstance(array, self.xp.ndarray)

    def __repr__(self):
        return f"<Implementation {self.name}>"


_cache = {}
_selected = [None]


def get_implementation(name=None):
    """Return the implementation called ``name`` (the selected one if None).

    Raises:
        InvalidArgumentError: for an unknown name.
        BackendUnavailableError: for ``'cupy'`` without CuPy or without a GPU.
    """
    if name is None:
        if _selected[0] is None:
            _selected[0] = get_implementation(config.backend_name())
        return _selected[0]
    if name not in IMPLEMENTATIONS:
        raise InvalidArgumentError(f"Unknown backend {name!r}; expected one of "
                                   f"{', '.join(IMPLEMENTATIONS)}.")
    if name not in _cache:
        if name == "numpy":
            _cache[name] = Implementation("numpy", np)
        else:
            from .cupy_impl import make_cupy_implementation
            _cache[name] = make_cupy_implementation(Implementation)
    return _cache[name]


def set_backend(name):
    """Select the kernel implementation that runs graphs from now on.

    Args:
        name: ``'numpy'`` or ``'cupy'``.

    Raises:
        BackendUnavailableError: when ``'cupy'`` is asked for on a machine without CuPy or
            without a GPU; the previous selection stays in force.

    Example:
        >>> _ = set_backend("numpy")
    """
    impl = get_implementation(name)
    _selected[0] = impl
    config._set_backend_name(name)
    return impl


def backend():
    """Return the name of the selected implementation."""
    return get_implementation().name


def is_available(name):
    """True when ``set_backend(name)`` would succeed."""
    try:
        get_implementation(name)
    except BackendUnavailableError:
        return False
    return True


__all__ = ["Implementation", "get_implementation", "set_backend", "backend", "is_available",
           "BackendUnavailableError"]
