"""The errors of :mod:`hilayers.distribute`, each deriving from the built-in a user would catch.

Example:
    >>> from hilayers.distribute.errors import PeerTimeoutError
    >>> issubclass(PeerTimeoutError, TimeoutError)
    True
"""


class DistributedError(RuntimeError):
    """A data-parallel job cannot go on (a failed collective, ranks that disagree)."""


class DistributedUnavailableError(ImportError):
    """mpi4py or an MPI library is missing; the message says what to install."""


class PeerTimeoutError(DistributedError, TimeoutError):
    """A collective waited longer than the timeout: another rank died, hung or fell behind."""


class OutOfStepError(DistributedError):
    """The ranks entered different collectives (e.g. unequal numbers of batches per epoch)."""
