"""Data-parallel training over MPI (mpi4py), with NCCL for arrays on GPUs.

Every process (rank) holds the whole model and trains on its own share of the data; at each
step the gradients are averaged over all ranks with one allreduce, so every rank applies the
same update and the weights stay identical. A script becomes data-parallel with::

    import hilayers.distribute as hd
    hd.init()                                         # MPI, ranks, one GPU per local rank
    x, y = hd.shard(x, y)                             # this rank's equal share
    optimizer = hd.DistributedOptimizer(Adam(hd.scale_learning_rate(1e-3)))
    model.compile(optimizer, loss, metrics)
    model.fit(x, y, batch_size=64, verbose=1 if hd.is_root() else 0,
              callbacks=hd.default_callbacks() + [hd.RootOnly(ModelCheckpoint(path))])

and is launched with ``mpiexec -n 4 python script.py``. ``docs/distributed.md`` has the whole
story: Slurm, Kubernetes, faults, checkpoints and how the allreduce enters the graph.

Importing this package does not import mpi4py; the first call that needs MPI does, and
without mpi4py it raises :class:`DistributedUnavailableError` saying what to install.

Example:
    >>> import hilayers.distribute as hd
    >>> hd.scale_learning_rate(0.1, size=2)
    0.2
"""
from . import collectives
from .callbacks import (AverageLayerState, AverageMetrics, BackupAndRestore,
                        BroadcastInitialState, RootOnly, default_callbacks)
from .collectives import allreduce_mean, barrier, broadcast_arrays, stats
from .errors import (DistributedError, DistributedUnavailableError, OutOfStepError,
                     PeerTimeoutError)
from .model_loading import load_model
from .optimizer import DistributedOptimizer, is_distributed, scale_learning_rate
from .runtime import (init, is_initialized, is_root, local_rank, local_size, rank, size)
from .sharding import shard

__all__ = ["init", "is_initialized", "rank", "size", "local_rank", "local_size", "is_root",
           "DistributedOptimizer", "is_distributed", "scale_learning_rate", "shard",
           "BroadcastInitialState", "AverageMetrics", "AverageLayerState", "RootOnly",
           "BackupAndRestore", "default_callbacks", "load_model", "allreduce_mean",
           "broadcast_arrays", "barrier", "stats", "collectives", "DistributedError",
           "DistributedUnavailableError", "PeerTimeoutError", "OutOfStepError"]
