"""Where each framework of ``benchmarks/run.py`` computes, and how to time work there.

hilayers computes on its backend's device (NumPy: the CPU; CuPy: the current GPU); PyTorch
on the device that ``--torch-device`` names. GPU work is queued and runs after the call
that queued it returns, so a timing that ends without a copy to the host must wait for the
device first (:func:`sync`) or it measures only the queueing. Also here: a description of
each device for the header and the JSON, and the float32 matrix-product rate of a device,
the yardstick of the TFLOP/s figures.

PyTorch and CuPy are imported inside the functions only, so that this module works
without them.

Example:
    >>> resolve_torch_device("auto", "numpy", cuda_available=False)
    'cpu'
"""
import time

import numpy as np

TORCH_DEVICES = ("auto", "cpu", "cuda")
#: Side of the square float32 matrices of :func:`matmul_tflops`, per kind of device.
MATMUL_SIDE = {"cpu": 1024, "gpu": 4096}


class DeviceUnavailableError(ValueError):
    """The device asked for cannot be used here; the message says what was found."""


def resolve_torch_device(requested, backend, cuda_available, found=""):
    """The device PyTorch runs on: ``'cpu'`` or ``'cuda'``.

    Args:
        requested: ``'auto'`` (CUDA when hilayers runs on CuPy and PyTorch sees a CUDA
            device, else the CPU), ``'cpu'`` or ``'cuda'``.
        backend: hilayers' backend, ``'numpy'`` or ``'cupy'``.
        cuda_available: whether ``torch.cuda.is_available()`` is true.
        found: a few words on the PyTorch build, for the error message.

    Returns:
        ``'cpu'`` or ``'cuda'``.

    Raises:
        DeviceUnavailableError: for ``'cuda'`` when PyTorch sees no CUDA device, or for an
            unknown name.

    Example:
        >>> resolve_torch_device("auto", "cupy", cuda_available=True)
        'cuda'
    """
    if requested not in TORCH_DEVICES:
        raise DeviceUnavailableError(f"--torch-device {requested!r} is not a device; "
                                     f"expected one of {', '.join(TORCH_DEVICES)}.")
    if requested == "auto":
        return "cuda" if backend == "cupy" and cuda_available else "cpu"
    if requested == "cuda" and not cuda_available:
        raise DeviceUnavailableError(
            f"--torch-device cuda was asked for, but PyTorch sees no CUDA device here "
            f"(torch.cuda.is_available() is False{'; ' + found if found else ''}). "
            "Use --torch-device cpu (or auto), or run on a machine with an NVIDIA GPU and "
            "a CUDA build of PyTorch.")
    return requested


def torch_build(torch):
    """A few words on the PyTorch build: its version and CUDA version."""
    cuda = getattr(torch.version, "cuda", None)
    return f"PyTorch {torch.__version__}, " + (f"built for CUDA {cuda}" if cuda
                                               else "a CPU-only build")


def torch_float32_strict(torch):
    """Make PyTorch's float32 matrix products and cuDNN convolutions use full float32, not
    TF32, as CuPy does by default; returns a few words saying so."""
    matmul = torch.backends.cuda.matmul
    conv = getattr(torch.backends.cudnn, "conv", None)
    if hasattr(matmul, "fp32_precision") and hasattr(conv, "fp32_precision"):
        matmul.fp32_precision = "ieee"       # the API of PyTorch 2.9 and later; mixing it
        conv.fp32_precision = "ieee"         # with the allow_tf32 flags is an error there
    else:
        matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    return "float32 without TF32"


def torch_description(torch, device, threads=None):
    """Where PyTorch runs, in words: ``'CPU (2 threads)'``, or for ``'cuda'`` the GPU's name
    and the CUDA and cuDNN versions."""
    if device == "cpu":
        return f"CPU ({threads or torch.get_num_threads()} threads)"
    return (f"cuda: {torch.cuda.get_device_name()} (CUDA {torch.version.cuda}, "
            f"cuDNN {torch.backends.cudnn.version()})")


def hilayers_description(backend_impl):
    """``'CPU'`` for NumPy, or the GPU's name and CuPy's and CUDA's versions for CuPy."""
    if backend_impl.name != "cupy":
        return "CPU"
    cupy = backend_impl.xp
    device = cupy.cuda.Device()
    name = cupy.cuda.runtime.getDeviceProperties(device.id)["name"]
    name = name.decode() if isinstance(name, bytes) else name
    return (f"GPU {device.id}, {name} (CuPy {cupy.__version__}, CUDA runtime "
            f"{cupy.cuda.runtime.runtimeGetVersion()})")


def sync(framework, torch_device="cpu"):
    """Wait until the device of ``framework`` has finished the work queued on it.

    A no-op on the CPU. For hilayers it waits on its backend's GPU when that is CuPy.

    Example:
        >>> sync("hilayers")
    """
    if framework == "pytorch":
        if torch_device != "cpu":
            import torch
            torch.cuda.synchronize()
        return
    from hilayers import backend as K
    impl = K.get_implementation()
    if impl.name == "cupy":
        impl.xp.cuda.Device().synchronize()


def matmul_tflops(framework, torch_device="cpu", calls=5):
    """The best rate, in TFLOP/s, of a float32 square matrix product on a framework's
    device: through hilayers' backend array module (NumPy or CuPy, called directly, not
    through the engine) or through PyTorch. Matrices of side :data:`MATMUL_SIDE` (1024 on
    the CPU, 4096 on a GPU); each product counts ``2 * side**3`` operations.

    Args:
        framework: ``'hilayers'`` or ``'pytorch'``.
        torch_device: PyTorch's device (``'cpu'`` or ``'cuda'``).
        calls: timed products after one warm-up; the fastest counts.

    Returns:
        ``(tflops, description)``, e.g. ``(0.1, 'NumPy float32 matmul 1024^2 on the CPU')``.
    """
    if framework == "pytorch":
        import torch
        on_gpu = torch_device != "cpu"
        side = MATMUL_SIDE["gpu" if on_gpu else "cpu"]
        a = torch.randn(side, side, device=torch_device)
        b = torch.randn(side, side, device=torch_device)
        product = lambda: torch.matmul(a, b)                  # noqa: E731
        where = f"PyTorch float32 matmul {side}^2 on {'cuda' if on_gpu else 'the CPU'}"
    else:
        from hilayers import backend as K
        impl = K.get_implementation()
        on_gpu = impl.name == "cupy"
        side = MATMUL_SIDE["gpu" if on_gpu else "cpu"]
        rng = np.random.default_rng(0)
        a, b = (impl.to_device(rng.standard_normal((side, side), dtype=np.float32))
                for _ in range(2))
        product = lambda: impl.xp.matmul(a, b)                # noqa: E731
        where = (f"{'CuPy' if on_gpu else 'NumPy'} float32 matmul {side}^2 on "
                 f"{'the GPU' if on_gpu else 'the CPU'}")
    product()
    sync(framework, torch_device)
    best = float("inf")
    for _ in range(calls):
        start = time.perf_counter()
        product()
        sync(framework, torch_device)
        best = min(best, time.perf_counter() - start)
    return 2.0 * side ** 3 / best / 1e12, where
