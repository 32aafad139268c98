"""Single-threaded BLAS inside the chunked image kernels (OpenBLAS bundled with NumPy).

The convolution kernels call BLAS on many small, cache-sized chunks and spread the chunks
over their own threads (:mod:`._parallel`). OpenBLAS would also split each of those small
products over its threads, and every split waits for all of its threads: on a busy machine a
waiting thread may not run for a whole scheduler time slice, so hundreds of small
multithreaded products cost hundreds of time slices. Measured on 2 CPUs shared with other
work: LeNet-5's second convolution took 184 ms with OpenBLAS on 2 threads against 2.9 ms with
1 (the same arithmetic). :func:`single_threaded_blas` sets OpenBLAS to one thread while such
a kernel runs and restores it after; nested and concurrent uses share one counter.

Only the OpenBLAS that NumPy's wheels ship (``numpy.libs/libscipy_openblas*``) is found;
with another BLAS (MKL, Accelerate, a system OpenBLAS) this does nothing, and
``OPENBLAS_NUM_THREADS=1`` or the BLAS's own setting is the way to get the same effect.

Example:
    >>> with single_threaded_blas():
    ...     pass
"""
import contextlib
import ctypes
import glob
import os
import threading

import numpy as np

_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
            "openblas_set_num_threads64_", "openblas_set_num_threads")
_lock = threading.Lock()
_state = {"loaded": False, "set": None, "get": None, "depth": 0, "saved": None}


def _load():
    """Find NumPy's bundled OpenBLAS and its thread-count functions (once)."""
    _state["loaded"] = True
    libs = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    for path in sorted(glob.glob(os.path.join(libs, "*openblas*"))):
        try:
            lib = ctypes.CDLL(path)     # already loaded by NumPy: the same instance
        except OSError:
            continue
        for name in _SETTERS:
            getter = name.replace("_set_", "_get_")
            if hasattr(lib, name) and hasattr(lib, getter):
                _state["set"], _state["get"] = getattr(lib, name), getattr(lib, getter)
                _state["set"].argtypes = [ctypes.c_int]
                _state["get"].restype = ctypes.c_int
                return


def available():
    """True when the OpenBLAS thread count can be controlled here."""
    if not _state["loaded"]:
        with _lock:
            if not _state["loaded"]:
                _load()
    return _state["set"] is not None


@contextlib.contextmanager
def single_threaded_blas():
    """Run the body with OpenBLAS on one thread (a no-op where it cannot be controlled)."""
    if not available():
        yield
        return
    with _lock:
        if _state["depth"] == 0:
            _state["saved"] = _state["get"]()
            if _state["saved"] > 1:
                _state["set"](1)
        _state["depth"] += 1
    try:
        yield
    finally:
        with _lock:
            _state["depth"] -= 1
            if _state["depth"] == 0 and _state["saved"] > 1:
                _state["set"](_state["saved"])
