"""What the plotting helpers share: importing optional packages with a clear message, and
writing an image file so that a failure never leaves a half-written file.

Example:
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "a.txt")
    >>> write_file_atomically(path, b"hello")
    >>> open(path, "rb").read()
    b'hello'
"""
import contextlib
import importlib
import os
import tempfile

VIZ_HINT = "pip install 'hilayers[viz]'"


def require_module(module, feature, package=None):
    """Import and return ``module``, or raise ``ImportError`` saying what to install.

    Args:
        module: the module's import name (``"pydot"``).
        feature: what needs it, for the message (``"plot_model"``).
        package: the name to ``pip install`` when it differs from ``module``.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"{feature} needs the '{package or module}' package, which is not "
                          f"installed. Install the visualization extra: {VIZ_HINT} (or "
                          f"pip install {package or module}).") from exc


def output_format(path, allowed, feature):
    """The format of ``path`` from its extension (``"model.png"`` -> ``"png"``).

    Raises:
        ValueError: for a missing or unsupported extension, listing the allowed ones.
    """
    extension = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    if extension not in allowed:
        raise ValueError(f"{feature}: cannot tell the image format of {os.fspath(path)!r} "
                         f"from its extension; use one of "
                         f"{', '.join('.' + a for a in allowed)}.")
    return extension


def write_file_atomically(path, data):
    """Write ``data`` (bytes) to ``path`` through a temporary file in the same folder, renamed
    into place at the end: an existing file is replaced whole or not at all.

    Raises:
        FileNotFoundError: when the folder of ``path`` does not exist.
    """
    target = os.path.abspath(os.fspath(path))
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"Cannot write {os.fspath(path)!r}: its folder {folder!r} does "
                                "not exist. Create it first.")
    # mkstemp makes the file private (0600); the picture gets the permissions a plain
    # open() would give it, or those of the file it replaces.
    mode = (os.stat(target).st_mode & 0o777) if os.path.exists(target) else 0o666 & ~_umask()
    fd, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".tmp",
                                     dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
