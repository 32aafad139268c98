"""Temporary files beside their destination, for writes that are renamed into place.

``tempfile.mkstemp`` creates files readable by their owner only (mode 0600), and a rename
keeps that mode: a dataset downloaded into a cache folder that a team shares would then be
unreadable to the others. ``create_beside`` makes the file with the mode a plain ``open``
would give it (0666 less the umask) and a name that cannot collide with another writer's.
"""
import os
import uuid

_ATTEMPTS = 100


def create_beside(target):
    """Create an empty, hidden temporary file in the folder of ``target``.

    Args:
        target: the path the file will be renamed to once complete.

    Returns:
        ``(fd, path)``: an open file descriptor for writing, and the temporary file's path
        (``<folder>/.<name>.<random>.part``). The caller closes the descriptor, and renames
        or removes the file.

    Raises:
        OSError: when the folder does not exist or is not writable.

    Example:
        >>> import os, tempfile
        >>> folder = tempfile.mkdtemp()
        >>> fd, path = create_beside(os.path.join(folder, "data.bin"))
        >>> os.close(fd)
        >>> os.path.dirname(path) == folder, os.path.basename(path).startswith(".data.bin.")
        (True, True)
        >>> os.remove(path)
    """
    folder, name = os.path.split(os.fspath(target))
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(_ATTEMPTS):
        path = os.path.join(folder, f".{name}.{uuid.uuid4().hex[:12]}.part")
        try:
            return os.open(path, flags, 0o666), path
        except FileExistsError:
            continue
    raise FileExistsError(f"Could not create a temporary file beside {target!r}: "
                          f"{_ATTEMPTS} random names were all taken.")
