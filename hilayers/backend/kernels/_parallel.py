"""Splitting one NumPy kernel's work over the CPU cores, by ranges of the batch.

NumPy releases the GIL inside its copies, ufunc loops and BLAS calls, so Python threads that
each handle a range of images run at the same time. The heavy image kernels (convolution
chunks, col2im, max-pool gradient) use :func:`split_batch`; OpenBLAS threads only the
larger matrix products, and the cache-sized chunks of a convolution are not among them.

The number of threads is :func:`set_num_threads`'s, else the environment variable
``HILAYERS_NUM_THREADS``, else 1: **off by default**. Measured on 2 CPUs
(docs/performance.md), the threads speed the convolutions up (LeNet-5's second convolution,
forward and backward, 5.0 → 3.4 ms), but in training they compete with OpenBLAS's own
threads, which keep spinning after each multithreaded matrix product: a LeNet-5 epoch was
slower with both (1.46 s per 100 steps) than with OpenBLAS's alone (1.38 s), and fastest with
``HILAYERS_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1`` (1.22 s), which in turn slows the MLP's
large products. Chunks never depend on the thread count, so results are identical for any.

Example:
    >>> import numpy as np
    >>> out = np.zeros(10)
    >>> def fill(start, stop):
    ...     out[start:stop] = np.arange(start, stop)
    >>> _ = split_batch(fill, 10, min_per_thread=1)
    >>> out.tolist() == list(range(10))
    True
"""
import os
import threading
from concurrent.futures import ThreadPoolExecutor

_ENV_VAR = "HILAYERS_NUM_THREADS"
_state = {"threads": None, "pool": None, "pool_size": 0}
_lock = threading.Lock()
_worker = threading.local()


def _default_threads():
    value = os.environ.get(_ENV_VAR, "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else 1


def num_threads():
    """The number of threads kernels split their work over (at least 1)."""
    if _state["threads"] is None:
        _state["threads"] = _default_threads()
    return _state["threads"]


def set_num_threads(count):
    """Set the number of threads the image kernels use (1: no threads of their own).

    Args:
        count: a positive int.

    Raises:
        ValueError: for anything else.
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"set_num_threads: expected a positive int; received {count!r}.")
    _state["threads"] = count


def _mark_worker():
    _worker.active = True


def _forget_pool_after_fork():
    # A forked child has none of the parent's threads: it starts a pool of its own.
    _state["pool"], _state["pool_size"] = None, 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_after_fork)


def _pool(size):
    with _lock:
        if _state["pool"] is None or _state["pool_size"] < size:
            if _state["pool"] is not None:
                _state["pool"].shutdown(wait=False)
            _state["pool"] = ThreadPoolExecutor(max_workers=size,
                                                thread_name_prefix="hilayers-kernel",
                                                initializer=_mark_worker)
            _state["pool_size"] = size
        return _state["pool"]


def batch_ranges(n, min_per_thread=1, align=1):
    """Split ``range(n)`` into one contiguous ``(start, stop)`` range per thread to use.

    Args:
        n: the number of items (images).
        min_per_thread: the least number of items worth a thread of its own.
        align: range boundaries fall on multiples of this (a kernel's chunk size), so that
            the chunks, and so the results, are the same for any number of threads.

    Returns:
        A list of ranges covering ``range(n)`` in order; a single range when one thread
        suffices, or when called from one of the pool's own threads.
    """
    threads = min(num_threads(), max(1, n // max(1, min_per_thread)))
    if threads <= 1 or getattr(_worker, "active", False):
        return [(0, n)]
    align = max(1, align)
    blocks = -(-n // align)
    threads = min(threads, blocks)
    bounds = [min(n, blocks * i // threads * align) for i in range(threads + 1)]
    bounds[-1] = n
    return [(bounds[i], bounds[i + 1]) for i in range(threads) if bounds[i] < bounds[i + 1]]


def run_ranges(work, ranges):
    """Run ``work(i, start, stop)`` for each range ``i``, the first in the calling thread.

    Args:
        work: a function of the range's index and bounds; it must touch only its own part
            of any shared output, and may run in another thread.
        ranges: from :func:`batch_ranges`.

    Returns:
        The list of ``work``'s results, in the order of the ranges. Every range has
        finished when this returns, also when one of them raised (its exception is
        re-raised).
    """
    if len(ranges) == 1:
        return [work(0, *ranges[0])]
    pool = _pool(len(ranges) - 1)
    futures = [pool.submit(work, i, start, stop)
               for i, (start, stop) in enumerate(ranges) if i]
    try:
        first = work(0, *ranges[0])
    finally:
        rest = [f.exception() for f in futures]     # waits for every range
    for f, error in zip(futures, rest):
        if error is not None:
            raise error
    return [first] + [f.result() for f in futures]


def split_batch(work, n, min_per_thread=1):
    """``work(start, stop)`` over :func:`batch_ranges` of ``n``; returns the results."""
    return run_ranges(lambda i, start, stop: work(start, stop),
                      batch_ranges(n, min_per_thread))
