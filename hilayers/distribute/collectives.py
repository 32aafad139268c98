"""Collectives on host arrays, each one bounded in time and checked for ranks out of step.

Every collective here is MPI's nonblocking form (``Iallreduce``, ``Ibcast``, ``Ibarrier``)
polled until done, so that a rank whose peer died or hung raises
:class:`~hilayers.distribute.errors.PeerTimeoutError` after the context's timeout instead of
waiting forever. Polling spins for the first 20 ms (most collectives end by then, and a
process that sleeps may wait for the scheduler to wake it) and then sleeps between polls,
with pauses growing to 1 ms, so that a long wait does not hold a core.

Reductions carry one extra element, a *check code* derived from the kind of collective and
its length: after the sum it must equal ``code * size``. When ranks are out of step (one
reduces gradients while another averages its epoch's metrics, as happens when ranks run
different numbers of batches) the sum differs: a rank that sees it raises
:class:`~hilayers.distribute.errors.OutOfStepError` instead of training on a mixed buffer,
and a rank left waiting times out, or is ended by the other's abort.
The sum is exact in float32 while ``code * size < 2**24``, i.e. up to 2048 processes;
beyond that the check is skipped.

Example:
    >>> import numpy as np
    >>> from hilayers.distribute import collectives
    >>> [a.tolist() for a in collectives.allreduce_mean([np.array([1.0, 3.0])], "example")]
    [[1.0, 3.0]]
"""
import time
import zlib

import numpy as np

from .errors import DistributedError, OutOfStepError, PeerTimeoutError
from .runtime import context as current_context

SPIN_SECONDS = 0.02
MAX_PAUSE = 1e-3
CHECK_LIMIT = 2 ** 24


def check_code(kind, length):
    """A small positive integer naming a collective by its kind and buffer length."""
    return 1 + zlib.crc32(f"{kind}:{length}".encode()) % 8191


def run(context, kind, start, nbytes, what, keep=()):
    """Start a nonblocking collective with ``start()`` and wait for it within the timeout.

    Args:
        context: the :class:`~hilayers.distribute.runtime.Context`.
        kind: the statistics key (``'gradients'``, ``'metrics'``...).
        start: a function starting the collective and returning its MPI request.
        nbytes: the payload size, for the statistics.
        what: the collective in words, for error messages.
        keep: the buffers MPI may still touch; kept alive if the wait is abandoned.

    Raises:
        PeerTimeoutError: after ``context.timeout`` seconds.
        DistributedError: when MPI reports a failure.
    """
    begin = time.perf_counter()
    try:
        request = start()
        pause = 0.0
        while not request.Test():
            waited = time.perf_counter() - begin
            if waited < SPIN_SECONDS:
                continue
            if waited > context.timeout:
                context.broken = True
                context.abandoned = (request, keep)   # MPI may still write into these
                raise PeerTimeoutError(
                    f"Rank {context.rank} of {context.size} waited {context.timeout:g} s for "
                    f"the other ranks in {what} and gave up: another rank has died, hung or "
                    "fallen behind (the launcher's or that rank's own output says which). If "
                    "a rank is only slow (a long save on rank 0), allow more time with "
                    "hilayers.distribute.init(timeout=...) or $HILAYERS_DISTRIBUTED_TIMEOUT. "
                    "This process aborts the job when it exits.")
            time.sleep(pause)
            pause = min(max(2 * pause, 1e-5), MAX_PAUSE)
    except context.mpi.Exception as exc:
        context.broken = True
        raise DistributedError(f"Rank {context.rank} of {context.size}: MPI failed in {what}: "
                               f"{exc}") from exc
    context.record(kind, time.perf_counter() - begin, nbytes)


def verify(context, received, code, what):
    """Raise :class:`OutOfStepError` unless the reduced check element is ``code * size``."""
    expected = code * context.size
    if expected < CHECK_LIMIT and float(received) != float(expected):
        context.broken = True
        raise OutOfStepError(
            f"Rank {context.rank} of {context.size}: the ranks are out of step in {what}: "
            f"not every rank entered this same collective (check sum {float(received):g}, "
            f"expected {expected}). Usually one rank ran more batches than another: give every "
            "rank the same number of samples (hilayers.distribute.shard drops the remainder) "
            "or set steps_per_epoch, and call fit/evaluate with the same arguments everywhere.")


def allreduce_sum_checked(context, packed, code, kind, what):
    """Sum a 1-D host buffer whose last element is ``code`` over all ranks; verify; return
    the sum (a new array, check element included)."""
    packed = np.ascontiguousarray(packed)
    total = np.empty_like(packed)
    run(context, kind, lambda: context.comm.Iallreduce(packed, total, op=context.mpi.SUM),
        packed.nbytes, what, keep=(packed, total))
    verify(context, total[-1], code, what)
    return total


def allreduce_mean(arrays, kind="values", what=None, tag=""):
    """The mean over ranks of each array, with one collective for all of them.

    Args:
        arrays: NumPy arrays (numbers of any dtype; the sum is taken in float64).
        kind: a name for the statistics and the check code (ranks must use the same).
        what: the collective in words, for error messages.
        tag: more text for the check code only (e.g. the names of the values reduced).

    Returns:
        a list of arrays of the same shapes and dtypes.

    Raises:
        PeerTimeoutError, OutOfStepError, DistributedError: see the module docstring.
    """
    context = current_context()
    arrays = [np.asarray(a) for a in arrays]
    if context.size == 1:
        return [a.copy() for a in arrays]
    sizes = [a.size for a in arrays]
    code = check_code(kind + tag, sum(sizes))
    packed = np.concatenate([a.ravel().astype(np.float64) for a in arrays] + [[code]])
    total = allreduce_sum_checked(context, packed, code, kind, what or f"the {kind} allreduce")
    mean = total[:-1] / context.size
    out, start = [], 0
    for a, n in zip(arrays, sizes):
        piece = mean[start:start + n].reshape(a.shape)
        out.append(np.rint(piece).astype(a.dtype) if a.dtype.kind in "iub"
                   else piece.astype(a.dtype))
        start += n
    return out


def allreduce_max(values, what="an agreement check"):
    """The elementwise maximum over ranks of a float64 vector (no check code: it is used to
    agree on flags and counts before anything else)."""
    context = current_context()
    values = np.asarray(values, dtype=np.float64).ravel()
    if context.size == 1:
        return values.copy()
    out = np.empty_like(values)
    run(context, "agreement", lambda: context.comm.Iallreduce(values, out, op=context.mpi.MAX),
        values.nbytes, what, keep=(values, out))
    return out


def agree(flag, what):
    """Whether ``flag`` is the same on every rank (one small collective)."""
    flag = float(bool(flag))
    highest, lowest = allreduce_max([flag, -flag], what)
    return highest == -lowest


def broadcast_bytes(data, root=0, what="a broadcast"):
    """Rank ``root``'s ``bytes`` on every rank (the others pass anything, e.g. ``b''``)."""
    context = current_context()
    if context.size == 1:
        return bytes(data)
    length = np.array([len(data) if context.rank == root else 0], dtype=np.int64)
    run(context, "broadcast", lambda: context.comm.Ibcast(length, root=root), 8, what,
        keep=(length,))
    buffer = (np.frombuffer(data, dtype=np.uint8).copy() if context.rank == root
              else np.empty(int(length[0]), dtype=np.uint8))
    run(context, "broadcast", lambda: context.comm.Ibcast(buffer, root=root), buffer.nbytes,
        what, keep=(buffer,))
    return buffer.tobytes()


def broadcast_arrays(arrays, root=0, what="a broadcast"):
    """Rank ``root``'s values of ``arrays`` on every rank, bit for bit, in one collective.

    Every rank passes arrays of the same shapes and dtypes; the byte images are packed
    into one buffer.

    Returns:
        a list of new arrays.

    Raises:
        DistributedError: on every rank when the ranks hold different shapes or dtypes.
    """
    context = current_context()
    arrays = [np.require(a, requirements='C') for a in arrays]     # keeps 0-d arrays 0-d
    if context.size == 1:
        return [a.copy() for a in arrays]
    signature = repr([(a.shape, a.dtype.str) for a in arrays])
    mine = zlib.crc32(signature.encode())
    roots = np.frombuffer(broadcast_bytes(np.int64(mine).tobytes(), root, what),
                          dtype=np.int64)[0]
    if not agree(roots == mine, what):
        raise DistributedError(
            f"Rank {context.rank} of {context.size}: {what} needs the same variables on every "
            f"rank, but the ranks differ in number, shapes or dtypes (this rank: "
            f"{len(arrays)} arrays{'' if roots == mine else ', unlike rank ' + str(root)}). "
            "Build the same model and optimizer on every rank.")
    packed = (np.concatenate([a.reshape(-1).view(np.uint8) for a in arrays])
              if arrays else np.empty(0, np.uint8))
    run(context, "broadcast", lambda: context.comm.Ibcast(packed, root=root), packed.nbytes,
        what, keep=(packed,))
    out, start = [], 0
    for a in arrays:
        piece = packed[start:start + a.nbytes]
        out.append(piece.view(a.dtype).reshape(a.shape).copy())
        start += a.nbytes
    return out


def barrier(what="a barrier"):
    """Wait until every rank reaches this point (within the timeout)."""
    context = current_context()
    if context.size > 1:
        run(context, "barrier", context.comm.Ibarrier, 0, what)


def stats(reset=False):
    """Time spent in collectives so far: ``{kind: {"calls", "seconds", "bytes"}}``.

    ``'gradients'`` is the allreduce of every training step; ``'metrics'``, ``'weights'``,
    ``'broadcast'``... the rest. ``reset=True`` starts counting again.
    """
    context = current_context()
    out = {kind: {"calls": c, "seconds": s, "bytes": b}
           for kind, (c, s, b) in sorted(context.stats.items())}
    if reset:
        context.stats.clear()
    return out
