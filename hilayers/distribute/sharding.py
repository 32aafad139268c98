"""Each rank's share of the training data, equal in size on every rank.

Ranks must run the same number of batches per epoch: each step is one collective that all
of them enter. :func:`shard` gives rank ``r`` the samples ``r, r + size, r + 2 * size, ...``
(as ``Dataset.shard(size, r)`` does) and drops the last ``len % size`` samples so that
every share has ``len // size`` of them. For a :class:`~hilayers.data.Dataset` use
``dataset.shard(hd.size(), hd.rank())`` on a dataset whose length is a multiple of the
number of ranks (or batch with ``drop_remainder=True`` and set ``steps_per_epoch``).

Example:
    >>> import numpy as np
    >>> x, y = np.arange(10), np.arange(10) * 10
    >>> shard(x, y, rank=1, size=4)
    (array([1, 5]), array([10, 50]))
"""
import numpy as np

from .runtime import context as current_context


def shard(*arrays, rank=None, size=None):
    """This rank's equal share of each array (first axis).

    Args:
        *arrays: arrays with the same first dimension.
        rank, size: default this process's rank and the job's size.

    Returns:
        one array, or a tuple of arrays when several are given.

    Raises:
        ValueError: for no arrays, arrays of different lengths, a bad rank or size, or fewer
            samples than ranks.
    """
    if not arrays:
        raise ValueError("shard: pass at least one array.")
    if rank is None or size is None:
        context = current_context()
        rank = context.rank if rank is None else rank
        size = context.size if size is None else size
    if not (isinstance(size, int) and size >= 1 and isinstance(rank, int) and 0 <= rank < size):
        raise ValueError(f"shard: expected 0 <= rank < size with size >= 1; received rank "
                         f"{rank!r} and size {size!r}.")
    arrays = [np.asarray(a) for a in arrays]
    lengths = sorted({len(a) for a in arrays})
    if len(lengths) > 1:
        raise ValueError(f"shard: the arrays have different lengths {lengths}; they must "
                         "hold the same samples.")
    per_rank = lengths[0] // size
    if per_rank == 0:
        raise ValueError(f"shard: {lengths[0]} samples cannot give each of {size} ranks one.")
    shares = tuple(a[rank::size][:per_rank] for a in arrays)
    return shares[0] if len(shares) == 1 else shares
