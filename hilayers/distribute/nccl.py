"""The gradient allreduce for arrays on GPUs (the CuPy backend), through NCCL.

UNVERIFIED: this path was written against CuPy's ``cupy.cuda.nccl`` API but has never run:
the machines hilayers is developed on have no GPU. The NumPy path (:mod:`.collectives`) is
the tested one. It differs from it in one more way: NCCL has no timeout, so a dead peer can
leave the others waiting; the launcher's clean-up (``mpiexec`` kills a job when a rank dies)
is then the only bound.

One NCCL communicator is made on first use: rank 0 draws NCCL's unique id and broadcasts it
over MPI; each rank joins with its MPI rank, on the GPU :func:`~.runtime.init` selected.
CuPy itself comes from the engine's CuPy implementation; only CuPy's NCCL binding is
imported here. Only the gradients of a step travel through NCCL; broadcasts of weights and averages of
metrics go through MPI on host copies (once per ``fit`` or epoch).

Example:
    >>> from hilayers.distribute import nccl
    >>> sorted(nccl.NCCL_TYPES)
    ['float16', 'float32', 'float64']
"""
import time

import numpy as np

from .collectives import broadcast_bytes
from .errors import DistributedUnavailableError

NCCL_TYPES = {"float16": "NCCL_FLOAT16", "float32": "NCCL_FLOAT32", "float64": "NCCL_FLOAT64"}


def _nccl_module():
    from ..backend import get_implementation
    cupy = get_implementation("cupy").xp
    try:
        import cupy.cuda.nccl as nccl        # CuPy's own binding; absent without NCCL
    except ImportError:
        nccl = None
    if nccl is None or not getattr(nccl, "available", True) or not hasattr(
            nccl, "NcclCommunicator"):
        raise DistributedUnavailableError(
            "Distributed training on the CuPy backend averages gradients with NCCL, which "
            "this CuPy cannot use (cupy.cuda.nccl is unavailable). Install NCCL for your CUDA "
            "(e.g. pip install nvidia-nccl-cu12, or conda install -c conda-forge nccl) and "
            "check cupy.cuda.nccl.available, or train on the NumPy backend "
            "(HILAYERS_BACKEND=numpy), whose MPI path is the tested one.")
    return cupy, nccl


def communicator(context):
    """The context's NCCL communicator, made on first use (a collective over all ranks)."""
    if context.gpu_communicator is None:
        cupy, nccl = _nccl_module()
        unique_id = nccl.get_unique_id() if context.rank == 0 else ()
        raw = broadcast_bytes(np.asarray(unique_id, dtype=np.int64).tobytes(), 0,
                              "sharing NCCL's unique id")
        unique_id = tuple(int(v) for v in np.frombuffer(raw, dtype=np.int64))
        context.gpu_communicator = nccl.NcclCommunicator(context.size, unique_id, context.rank)
    return context.gpu_communicator


def allreduce_sum(context, packed, kind, what):
    """The sum over ranks of the 1-D CuPy array ``packed`` (a new array)."""
    cupy, nccl = _nccl_module()
    if packed.dtype.name not in NCCL_TYPES:
        raise TypeError(f"{what}: NCCL here reduces {sorted(NCCL_TYPES)}; received "
                        f"{packed.dtype.name}.")
    comm = communicator(context)
    packed = cupy.ascontiguousarray(packed)
    total = cupy.empty_like(packed)
    stream = cupy.cuda.get_current_stream()
    begin = time.perf_counter()
    comm.allReduce(packed.data.ptr, total.data.ptr, packed.size,
                   getattr(nccl, NCCL_TYPES[packed.dtype.name]), nccl.NCCL_SUM, stream.ptr)
    stream.synchronize()
    context.record(kind, time.perf_counter() - begin, packed.nbytes)
    return total
