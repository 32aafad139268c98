"""Spreading one NumPy kernel's work over the CPU cores, as fixed blocks taken by threads.

NumPy releases the GIL inside its copies, ufunc loops and BLAS calls, so Python threads
that each handle some blocks of a kernel (a few images, a band of matrix rows, a slice of an
elementwise op) run at the same time. :func:`run_blocks` calls ``work(block, slot)`` for
every block: the calling thread starts on the first block at once and the pool's helper
threads join as soon as they wake; each thread keeps taking the next block until none is
left. A helper needs about 35 microseconds to wake on the 2-CPU machine of
docs/performance.md, so the caller is never held up waiting for one to start, and kernels
split only work of a few hundred microseconds or more.

Blocks are chosen by the kernels from the shapes alone, never from the number of threads,
and a block's result does not depend on which thread computed it; results that combine
blocks (a filter gradient's partial sums) are combined in block order. So every thread
count gives the same numbers, bit for bit.

The number of threads is :func:`set_num_threads`'s, else the environment variable
``HILAYERS_NUM_THREADS``, else :func:`default_threads`: the CPUs this process may use when
there are at most :data:`AUTO_MAX_CPUS` of them and hilayers can keep OpenBLAS on one thread
while a plan runs (:mod:`._blas_threads`), else 1. OpenBLAS's own threads keep spinning
after each multithreaded product and would compete with these for the same cores, so a
plan that uses them holds OpenBLAS on one thread (:mod:`hilayers.backend.compiler`). The
default was measured on 2 CPUs only; on larger machines it leaves the work to OpenBLAS's
threads, as before, and ``HILAYERS_NUM_THREADS`` opts in.

Example:
    >>> import numpy as np
    >>> out = np.zeros(10)
    >>> def fill(block, slot):
    ...     out[block * 5:(block + 1) * 5] = block
    ...     return block
    >>> run_blocks(fill, 2, threads_for(2))
    [0, 1]
    >>> out.tolist()
    [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0]
"""
import itertools
import os
import queue
import threading

from . import _blas_threads

_ENV_VAR = "HILAYERS_NUM_THREADS"
#: hilayers' own threads are on by default on machines with at most this many CPUs (the
#: configuration measured in docs/performance.md).
AUTO_MAX_CPUS = 2
_state = {"threads": None, "helpers": [], "sharing": 1, "explicit": False}
_lock = threading.Lock()
_local = threading.local()


def _cpu_count():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def default_threads():
    """The thread count used when none is set: ``HILAYERS_NUM_THREADS``, else the usable
    CPUs when there are at most :data:`AUTO_MAX_CPUS` and OpenBLAS's threads can be held
    back during a run, divided among the processes sharing the machine
    (:func:`share_machine`), else 1."""
    value = os.environ.get(_ENV_VAR, "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    cpus = _cpu_count()
    if cpus > AUTO_MAX_CPUS or not _blas_threads.available():
        return 1
    return max(1, cpus // _state["sharing"])


def share_machine(processes):
    """Tell the default thread count that ``processes`` processes (this one included) run
    kernels on this machine at once, as the ranks of a distributed job do
    (``hilayers.distribute.init`` calls it with the local size), so that together they do
    not start more threads than there are CPUs. A count set by :func:`set_num_threads` or
    ``HILAYERS_NUM_THREADS`` is kept.

    Args:
        processes: a positive int.

    Raises:
        ValueError: for anything else.
    """
    if isinstance(processes, bool) or not isinstance(processes, int) or processes < 1:
        raise ValueError(f"share_machine: expected a positive number of processes; "
                         f"received {processes!r}.")
    _state["sharing"] = processes
    if not _state["explicit"]:
        _state["threads"] = None                  # recomputed at the next num_threads()


def num_threads():
    """The number of threads kernels split their work over (at least 1)."""
    if _state["threads"] is None:
        _state["threads"] = default_threads()
    return _state["threads"]


def set_num_threads(count):
    """Set the number of threads hilayers' NumPy kernels split their work over (1: none of
    their own), as ``torch.set_num_threads`` does; ``HILAYERS_NUM_THREADS`` sets it for a
    process. Results are the same bits for any count. OpenBLAS's own threads are set
    through its variables (``OPENBLAS_NUM_THREADS``).

    Args:
        count: a positive int.

    Raises:
        ValueError: for anything else.

    Example:
        >>> from hilayers import backend as K
        >>> previous = K.num_threads()
        >>> K.set_num_threads(1)
        >>> K.num_threads()
        1
        >>> K.set_num_threads(previous)
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"set_num_threads: expected a positive int; received {count!r}.")
    _state["threads"], _state["explicit"] = count, True


def threads_for(blocks):
    """How many threads :func:`run_blocks` would use for ``blocks`` blocks from this
    thread: 1 inside a block (no nesting), else ``min(num_threads(), blocks)``. Kernels
    that give each thread a scratch buffer borrow this many (``slot`` indexes them)."""
    if getattr(_local, "busy", False):
        return 1
    return max(1, min(num_threads(), blocks))


class _Job:
    """The blocks of one :func:`run_blocks` call, taken by whichever thread comes first."""

    __slots__ = ("work", "blocks", "results", "claim", "finished", "error", "done")

    def __init__(self, work, blocks):
        self.work = work
        self.blocks = blocks
        self.results = [None] * blocks
        self.claim = itertools.count()          # next() on it is atomic under the GIL
        self.finished = itertools.count(1)
        self.error = None
        self.done = threading.Lock()
        self.done.acquire()                     # released when the last block finishes

    def run(self, slot):
        outer = getattr(_local, "busy", False)
        _local.busy = True
        try:
            while True:
                block = next(self.claim)
                if block >= self.blocks:
                    return
                if self.error is None:
                    try:
                        self.results[block] = self.work(block, slot)
                    except BaseException as exc:      # re-raised by the caller
                        self.error = exc
                if next(self.finished) == self.blocks:
                    self.done.release()
        finally:
            _local.busy = outer


def _helper_loop(inbox):
    while True:
        job, slot = inbox.get()
        job.run(slot)


def _helpers(count):
    """The inboxes of ``count`` helper threads (started on first use)."""
    helpers = _state["helpers"]
    if len(helpers) < count:
        with _lock:
            while len(helpers) < count:
                inbox = queue.SimpleQueue()
                thread = threading.Thread(target=_helper_loop, args=(inbox,), daemon=True,
                                          name=f"hilayers-kernel-{len(helpers) + 1}")
                thread.start()
                helpers.append(inbox)
    return helpers[:count]


def _forget_helpers_after_fork():
    # A forked child has none of the parent's threads: it starts helpers of its own.
    _state["helpers"] = []


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_helpers_after_fork)


def run_blocks(work, blocks, threads):
    """Call ``work(block, slot)`` for every ``block in range(blocks)`` over ``threads``
    threads (this one and ``threads - 1`` helpers).

    Args:
        work: a function of the block index and the thread's slot (``0 <= slot <
            threads``, for per-thread scratch buffers); it must touch only its block's part
            of any shared output.
        blocks: the number of blocks.
        threads: from :func:`threads_for` (1 runs the blocks here, in order).

    Returns:
        The list of ``work``'s results, in block order. Every block has finished when this
        returns, also when one raised (the first exception is re-raised; blocks not yet
        started are skipped).
    """
    if threads <= 1 or blocks <= 1 or getattr(_local, "busy", False):
        return [work(block, 0) for block in range(blocks)]
    job = _Job(work, blocks)
    for slot, inbox in enumerate(_helpers(threads - 1), start=1):
        inbox.put((job, slot))
    job.run(0)
    job.done.acquire()                          # blocks other threads are still running
    if job.error is not None:
        raise job.error
    return job.results


def even_blocks(n, per_block):
    """``(count, bounds)``: ``range(n)`` cut into blocks of about ``per_block`` items.

    The cut depends on ``n`` and ``per_block`` only (never on the thread count).

    Returns:
        The number of blocks and a function ``bounds(block) -> (start, stop)``.
    """
    count = max(1, min(n, -(-n // max(1, per_block)))) if n else 1

    def bounds(block):
        return n * block // count, n * (block + 1) // count
    return count, bounds
