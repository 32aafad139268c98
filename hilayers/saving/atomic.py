"""Writing files so that a crash never leaves a half-written file where a good one was.

Every write goes to a temporary file in the target's folder, is flushed and fsync'ed, then
renamed over the target with ``os.replace`` (atomic on POSIX and Windows). If anything fails
before the rename, the temporary file is removed and the previous file is untouched.

Example:
    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> with atomic_write(os.path.join(folder, "a.txt"), "w") as f:
    ...     _ = f.write("hello")
    >>> open(os.path.join(folder, "a.txt")).read()
    'hello'
"""
import contextlib
import os
import tempfile


def _fsync_folder(folder):
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(target):
    """Yield a temporary path beside ``target``; on success it replaces ``target``.

    Use it with libraries that open the path themselves (h5py). The temporary file is
    fsync'ed before the rename and removed if the block raises.
    """
    target = os.path.abspath(os.fspath(target))
    folder = os.path.dirname(target) or "."
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"Cannot write {target!r}: folder {folder!r} does not exist.")
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(target) + ".", suffix=".tmp",
                               dir=folder)
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        _fsync_folder(folder)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise


@contextlib.contextmanager
def atomic_write(target, mode="wb", encoding=None):
    """Open a temporary file for writing; it replaces ``target`` when the block succeeds."""
    if "r" in mode or "a" in mode:
        raise ValueError(f"atomic_write is for writing a new file; mode {mode!r} is not allowed.")
    with atomic_path(target) as tmp:
        with open(tmp, mode, encoding=encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
