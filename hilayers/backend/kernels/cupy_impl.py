"""The CuPy implementation: the only module that imports CuPy, and only when asked.

Generic kernels run unchanged with ``xp = cupy``; specialisations registered with
``impl="cupy"`` (scatter-add, ...) live beside the generic kernel they replace.
"""
from ..errors import BackendUnavailableError


def make_cupy_implementation(implementation_class):
    """Import CuPy, check that a GPU is usable, and return the implementation.

    Raises:
        BackendUnavailableError: saying what is missing (CuPy, or a CUDA device) and how to
            install it.
    """
    try:
        import cupy
    except ImportError as exc:
        raise BackendUnavailableError(
            "The 'cupy' backend needs CuPy, which is not installed: "
            "pip install 'hilayers[gpu]' (or the cupy-cudaXXx wheel matching your CUDA). "
            "Use set_backend('numpy') to run on the CPU.") from exc
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CuPy raises its own CUDARuntimeError types; we re-raise ours.
        raise BackendUnavailableError(
            f"CuPy is installed but no CUDA device can be used ({exc}). "
            "Use set_backend('numpy') to run on the CPU.") from exc
    if count == 0:
        raise BackendUnavailableError(
            "CuPy is installed but this machine has no CUDA device. "
            "Use set_backend('numpy') to run on the CPU.")

    class CupyImplementation(implementation_class):
        def to_numpy(self, array):
            return cupy.asnumpy(array)

    return CupyImplementation("cupy", cupy)
