"""Reading tar and zip archives without trusting their member names.

Every member is checked before anything of it is used: a name that is absolute or climbs
with ``..`` (path traversal), a symbolic or hard link, or a device or FIFO makes the whole
archive refused with a ``DatasetFormatError`` naming the archive and the member. Only
regular files are read. Extraction is all-or-nothing: members go to temporary files in the
destination folder and are renamed into place only once the whole archive has been read.
"""
import gzip
import lzma
import os
import shutil
import stat
import tarfile
import zipfile
import zlib

from .errors import DatasetFormatError
from .tempfiles import create_beside

# What a truncated or corrupt archive raises while it is read.
_CORRUPT = (tarfile.TarError, zipfile.BadZipFile, gzip.BadGzipFile, EOFError, zlib.error,
            lzma.LZMAError)


def _safe_parts(archive, name):
    """The path components of member ``name``; refuse names that leave the folder."""
    unified = name.replace("\\", "/")
    parts = [part for part in unified.split("/") if part not in ("", ".")]
    if (unified.startswith("/") or (len(unified) > 1 and unified[1] == ":") or ".." in parts
            or not parts or "\0" in unified):
        raise DatasetFormatError(
            f"Archive {archive!r} holds the member {name!r}, whose path is absolute or leads "
            "outside the folder it would be extracted into (path traversal); the archive is "
            "refused. Download it again from a trusted mirror.")
    return parts


def _tar_entries(path):
    with tarfile.open(path, "r:*") as archive:
        for member in archive:
            if member.issym() or member.islnk():
                kind = "link"
            elif member.isfile():
                kind = "file"
            elif member.isdir():
                kind = "dir"
            else:
                kind = "special"
            yield member.name, kind, (lambda m=member: archive.extractfile(m))


def _zip_entries(path):
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                kind = "link"
            elif info.is_dir():
                kind = "dir"
            elif any(test(mode) for test in (stat.S_ISCHR, stat.S_ISBLK, stat.S_ISFIFO,
                                             stat.S_ISSOCK)):
                kind = "special"
            else:                                 # many writers store permission bits only
                kind = "file"
            yield info.filename, kind, (lambda i=info: archive.open(i))


def _regular_files(path):
    """Yield ``(name, opener)`` for each regular file of the archive, checking every member."""
    entries = _zip_entries if zipfile.is_zipfile(path) else _tar_entries
    for name, kind, opener in entries(path):
        parts = _safe_parts(path, name)
        if kind in ("link", "special"):
            what = "a link" if kind == "link" else "a device or FIFO"
            raise DatasetFormatError(
                f"Archive {path!r} holds the member {name!r}, which is {what}; only regular "
                "files and folders are accepted, so the archive is refused. Download it again "
                "from a trusted mirror.")
        if kind == "file":
            yield "/".join(parts), opener


def _corrupt(path, exc):
    return DatasetFormatError(f"Archive {path!r} is truncated, corrupt or not a tar/zip file "
                              f"({type(exc).__name__}: {exc}); delete it and download it again.")


def read_members(path, members):
    """Return the bytes of the named regular-file members of a tar or zip archive.

    Args:
        path: the archive (``.tar``, ``.tar.gz``, ``.tgz``, ``.tar.xz``, ``.zip``).
        members: the member names wanted (``"folder/file"``).

    Returns:
        A dict from member name to its bytes.

    Raises:
        DatasetFormatError: when a member is unsafe (see the module docstring), a wanted
            member is missing, or the archive is truncated or corrupt.

    Example:
        >>> import io, tarfile, tempfile, os
        >>> name = os.path.join(tempfile.mkdtemp(), "a.tar")
        >>> with tarfile.open(name, "w") as tar:
        ...     info = tarfile.TarInfo("data/x.bin"); info.size = 3
        ...     tar.addfile(info, io.BytesIO(b"abc"))
        >>> read_members(name, ["data/x.bin"])
        {'data/x.bin': b'abc'}
    """
    path = os.fspath(path)
    wanted = set(members)
    found = {}
    try:
        for name, opener in _regular_files(path):
            if name in wanted:
                with opener() as source:
                    found[name] = source.read()
    except _CORRUPT as exc:
        raise _corrupt(path, exc) from exc
    _check_complete(path, wanted, found)
    return found


def _check_complete(path, wanted, found):
    missing = sorted(wanted - set(found))
    if missing:
        raise DatasetFormatError(f"Archive {path!r} lacks the members {missing}; it is not "
                                 "the expected archive, or it is incomplete.")


def extract_archive(path, folder, members=None):
    """Extract the regular files of a tar or zip archive into ``folder``, all or nothing.

    Args:
        path: the archive.
        folder: where to extract (created when missing); nothing is written outside it.
        members: the member names to extract, or ``None`` for every regular file.

    Returns:
        A dict from member name to the path it was extracted to.

    Raises:
        DatasetFormatError: when a member is unsafe, a wanted member is missing, or the
            archive is truncated or corrupt; nothing of the archive is left in ``folder``.

    Example:
        >>> import io, tarfile, tempfile, os
        >>> name = os.path.join(tempfile.mkdtemp(), "a.tar.gz")
        >>> with tarfile.open(name, "w:gz") as tar:
        ...     info = tarfile.TarInfo("data/x.bin"); info.size = 3
        ...     tar.addfile(info, io.BytesIO(b"abc"))
        >>> out = extract_archive(name, os.path.dirname(name))
        >>> import pathlib
        >>> pathlib.Path(out["data/x.bin"]).read_bytes()
        b'abc'
    """
    path, root = os.fspath(path), os.path.realpath(os.fspath(folder))
    wanted = None if members is None else set(members)
    staged = {}                                   # name -> (temporary file, final path)
    try:
        for name, opener in _regular_files(path):
            if wanted is not None and name not in wanted:
                continue
            target = os.path.join(root, *name.split("/"))
            parent = os.path.dirname(target)
            if os.path.commonpath([root, os.path.realpath(parent)]) != root:
                raise DatasetFormatError(f"Archive {path!r}: member {name!r} would be written "
                                         f"outside {root!r} through a linked folder; refused.")
            os.makedirs(parent, exist_ok=True)
            if name in staged:                    # a repeated member: the last one wins
                os.remove(staged.pop(name)[0])
            handle, temp = create_beside(target)
            staged[name] = (temp, target)
            with os.fdopen(handle, "wb") as out, opener() as source:
                shutil.copyfileobj(source, out, 1 << 20)
        if wanted is not None:
            _check_complete(path, wanted, staged)
        for temp, target in staged.values():
            os.replace(temp, target)
        return {name: target for name, (_, target) in staged.items()}
    except _CORRUPT as exc:
        raise _corrupt(path, exc) from exc
    finally:
        for temp, _ in staged.values():
            if os.path.exists(temp):
                os.remove(temp)
