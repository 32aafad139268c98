"""A ceiling on the memory this process may take while HDF5 reads one variable-length string.

A variable-length string is stored as a descriptor (its length, and where in the file's
global heap its bytes are) and HDF5 allocates a buffer of the descriptor's length *before*
it looks at the heap. A damaged descriptor in a Keras file (their text attributes are
variable-length strings; hilayers writes fixed-length ones) can so make HDF5 allocate and
clear up to 4 GB for a string the file cannot hold, taking seconds before it reports the
error. The descriptors sit inside HDF5's object headers, out of reach of h5py, so they
cannot be checked beforehand.

:func:`memory_ceiling` lowers the process's address-space limit (``RLIMIT_AS``) to what it
uses now plus an allowance for the duration of such a read: HDF5's oversized allocation
then fails at once, and h5py reports the error. The limit is restored afterwards, and
reads under a ceiling are serialised so that two threads cannot interleave their limits.
Only another thread allocating more than the allowance during that read (milliseconds)
would notice. Where the limit cannot be set (not Linux), the block runs without one.

Example:
    >>> with memory_ceiling(64 << 20):
    ...     buffer = bytearray(1 << 20)          # 1 MB: well within the allowance
    >>> len(buffer)
    1048576
"""
import contextlib
import os
import threading

try:
    import resource
except ImportError:                               # Windows
    resource = None

_LOCK = threading.Lock()


def _address_space_in_use():
    """Bytes of address space the process maps now (Linux), or None."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            pages = int(handle.read().split()[0])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


@contextlib.contextmanager
def memory_ceiling(allowance):
    """Within the block, allocations beyond ``allowance`` more bytes of address space fail.

    Args:
        allowance: bytes the block may add to the process's address space.
    """
    with _LOCK:
        in_use = _address_space_in_use() if resource is not None else None
        if in_use is None:
            yield
            return
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        ceiling = in_use + int(allowance)
        if hard != resource.RLIM_INFINITY:
            ceiling = min(ceiling, hard)
        if soft != resource.RLIM_INFINITY:
            ceiling = min(ceiling, soft)
        try:
            resource.setrlimit(resource.RLIMIT_AS, (ceiling, hard))
        except (ValueError, OSError):
            yield                                  # not allowed here: no ceiling
            return
        try:
            yield
        finally:
            resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


__all__ = ["memory_ceiling"]
