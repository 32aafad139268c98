"""Who this process is in a data-parallel job: MPI start-up, ranks, GPUs, and aborting a job.

:func:`init` starts MPI through mpi4py (imported here, and only here, when first asked for),
duplicates the world communicator so that hilayers' collectives never match a user's own,
and works out this process's rank among all (``rank``/``size``) and among those on the
same machine (``local_rank``/``local_size``, from ``MPI.COMM_TYPE_SHARED``). On the CuPy
backend each process then takes the GPU ``local_rank % devices``. Every other function of
:mod:`hilayers.distribute` calls :func:`init` with the defaults when it has not run yet.

A job of several processes must not hang when one of them fails, so when ``size > 1``:

* an exception that nothing catches prints its traceback, then ``MPI_Abort`` ends every rank
  (otherwise the failing rank would wait in ``MPI_Finalize`` and the others in their next
  collective, forever);
* each collective waits at most ``timeout`` seconds (``init(timeout=...)``, else
  ``$HILAYERS_DISTRIBUTED_TIMEOUT``, else 300) and then raises
  :class:`~hilayers.distribute.errors.PeerTimeoutError`; a process that caught such an error
  aborts the job when it exits instead of waiting in ``MPI_Finalize``.

Example:
    >>> from hilayers import distribute
    >>> context = distribute.init()          # a plain `python` process is a job of one
    >>> context.size >= 1 and 0 <= context.rank < context.size
    True
"""
import atexit
import os
import sys
import time

from .errors import DistributedError, DistributedUnavailableError

#: How long a failing rank waits, after writing its traceback, before aborting the job.
ABORT_GRACE_SECONDS = 0.5

DEFAULT_TIMEOUT = 300.0
TIMEOUT_VARIABLE = "HILAYERS_DISTRIBUTED_TIMEOUT"

INSTALL_HINT = ("Install it with: pip install 'hilayers[distributed]' (mpi4py and the MPICH "
                "wheel, which brings mpiexec), or, on a cluster with its own MPI, build mpi4py "
                "against it: pip install --no-binary mpi4py mpi4py. Then launch with "
                "mpiexec -n 4 python your_script.py.")


def import_mpi():
    """Return mpi4py's ``MPI`` module (importing it starts MPI).

    Raises:
        DistributedUnavailableError: when mpi4py or an MPI library is missing, saying what
            to install.
    """
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise DistributedUnavailableError(
            f"hilayers.distribute needs mpi4py, which is not installed ({exc}). "
            f"{INSTALL_HINT}") from exc
    except (RuntimeError, OSError) as exc:      # mpi4py is there, no MPI library to load
        raise DistributedUnavailableError(
            f"mpi4py is installed but could not load an MPI library ({exc}). "
            f"{INSTALL_HINT}") from exc
    return MPI


class Context:
    """This process's place in the job and the state its collectives share.

    Attributes:
        comm: hilayers' own duplicate of the job's communicator.
        rank, size: this process's rank and the number of processes.
        local_rank, local_size: the same among the processes of this machine.
        timeout: seconds a collective may wait before raising ``PeerTimeoutError``.
        device: the GPU this process uses on the CuPy backend, else None.
        stats: ``{kind: [calls, seconds, bytes]}`` of the collectives run so far.
        broken: True once a collective failed; the process then aborts the job at exit.
    """

    def __init__(self, mpi, comm, timeout):
        self.mpi = mpi
        self.comm = comm.Dup()
        self.rank, self.size = self.comm.Get_rank(), self.comm.Get_size()
        local = self.comm.Split_type(mpi.COMM_TYPE_SHARED, key=self.rank)
        self.local_rank, self.local_size = local.Get_rank(), local.Get_size()
        local.Free()
        self.timeout = timeout
        self.device = None
        self.stats = {}
        self.broken = False
        self.abandoned = None                 # a timed-out request and its buffers
        self.gpu_communicator = None          # the NCCL communicator, made on first use

    def record(self, kind, seconds, nbytes):
        entry = self.stats.setdefault(kind, [0, 0.0, 0])
        entry[0] += 1
        entry[1] += seconds
        entry[2] += nbytes

    def abort(self, code=1):
        """End every process of the job now (``MPI_Abort``), then this one."""
        sys.stdout.flush()
        sys.stderr.flush()
        # mpiexec forwards each rank's output asynchronously and stops forwarding when the
        # job is aborted: give it a moment to pass on the traceback just written.
        time.sleep(ABORT_GRACE_SECONDS)
        self.mpi.COMM_WORLD.Abort(code)
        os._exit(code)        # MPICH's MPI_Abort can return before the launcher kills us

    def __repr__(self):
        return (f"<distribute.Context rank={self.rank} size={self.size} "
                f"local_rank={self.local_rank} local_size={self.local_size}>")


_current = [None]


def _timeout_from(value):
    source = "init(timeout=...)"
    if value is None:
        value = os.environ.get(TIMEOUT_VARIABLE)
        source = f"${TIMEOUT_VARIABLE}"
        if value is None:
            return DEFAULT_TIMEOUT
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = float("nan")
    if not seconds > 0:
        raise ValueError(f"hilayers.distribute: {source} must be a positive number of seconds "
                         f"(how long a collective waits for the other ranks); received "
                         f"{value!r}.")
    return seconds


def init(timeout=None, comm=None):
    """Start MPI (once) and return this process's :class:`Context`.

    Args:
        timeout: seconds a collective waits for the other ranks before raising
            ``PeerTimeoutError`` (default ``$HILAYERS_DISTRIBUTED_TIMEOUT`` or 300). Make it
            longer than the longest pause of one rank, e.g. rank 0 writing a checkpoint.
            Given again later, it replaces the current timeout.
        comm: the mpi4py communicator of the processes that train together (default
            ``MPI.COMM_WORLD``); fixed by the first call.

    Returns:
        Context

    Raises:
        DistributedUnavailableError: without mpi4py or an MPI library (says what to install).
        ValueError: for a timeout that is not a positive number.
        DistributedError: when a later call names another communicator.
    """
    seconds = _timeout_from(timeout)
    context = _current[0]
    if context is not None:
        if comm is not None and comm.Compare(context.comm) == context.mpi.UNEQUAL:
            raise DistributedError("hilayers.distribute is already initialised on another "
                                   "communicator; pass comm to the first init() only.")
        if timeout is not None:
            context.timeout = seconds
        return context
    mpi = import_mpi()
    context = Context(mpi, comm if comm is not None else mpi.COMM_WORLD, seconds)
    _current[0] = context
    if context.size > 1:
        _install_abort_on_failure(context)
    context.device = _select_gpu(context.local_rank)
    # The ranks on one machine share its CPUs: fewer kernel threads each by default.
    from ..backend.kernels._parallel import share_machine
    share_machine(max(1, context.local_size))
    return context


def context():
    """The :class:`Context` of this process, initialising with the defaults if needed."""
    return _current[0] if _current[0] is not None else init()


def is_initialized():
    """Whether :func:`init` has run in this process (never starts MPI)."""
    return _current[0] is not None


def rank():
    """This process's rank, from 0 to ``size() - 1``."""
    return context().rank


def size():
    """The number of processes training together."""
    return context().size


def local_rank():
    """This process's rank among the processes on its machine."""
    return context().local_rank


def local_size():
    """The number of processes on this machine."""
    return context().local_size


def is_root(root=0):
    """Whether this process is rank ``root`` (the one that logs and saves)."""
    return context().rank == root


def _install_abort_on_failure(context):
    previous_hook = sys.excepthook

    def abort_on_uncaught(exc_type, exc, tb):
        previous_hook(exc_type, exc, tb)
        sys.stderr.write(f"hilayers.distribute: rank {context.rank} of {context.size} stopped "
                         f"on the uncaught {exc_type.__name__} above; aborting the whole job "
                         "(MPI_Abort) so that the other ranks do not wait for it.\n")
        context.abort(1)

    sys.excepthook = abort_on_uncaught

    def abort_if_broken():
        if context.broken:
            sys.stderr.write(f"hilayers.distribute: rank {context.rank} exits after a failed "
                             "collective; aborting the job rather than waiting in "
                             "MPI_Finalize.\n")
            context.abort(1)

    atexit.register(abort_if_broken)


def _select_gpu(local_rank_):
    """On the CuPy backend, use GPU ``local_rank % devices``; return its number, else None."""
    from ..backend import backend, get_implementation
    if backend() != "cupy":
        return None
    cupy = get_implementation("cupy").xp
    device = local_rank_ % cupy.cuda.runtime.getDeviceCount()
    cupy.cuda.Device(device).use()
    return device
