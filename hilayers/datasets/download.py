"""Downloading a file into the datasets cache: ``get_file``.

A download is written to a temporary file in the destination folder, checked against its
expected hash, and only then renamed into place (``os.replace`` is atomic on one file
system), so the cache never holds a partial or unverified file under the real name. Each
mirror is tried in turn; when all fail, the error lists every URL and why it failed.
"""
import hashlib
import http.client
import os
import sys
import urllib.error
import urllib.request
import warnings

from tqdm import tqdm

from .archives import extract_archive
from .errors import DownloadError
from .locations import datasets_dir, hilayers_home
from .tempfiles import create_beside

DEFAULT_TIMEOUT = 30.0      # seconds without data before a mirror is given up
_CHUNK = 1 << 16
_HASH_LENGTHS = {64: "sha256", 32: "md5"}


class _VerificationError(ValueError):
    """A downloaded file is not the expected one (size or hash)."""


def hash_algorithm(file_hash):
    """Return ``"sha256"`` or ``"md5"`` from the length of the hex digest ``file_hash``.

    Raises:
        ValueError: when ``file_hash`` is neither 64 (sha256) nor 32 (md5) hex digits.

    Example:
        >>> hash_algorithm("d41d8cd98f00b204e9800998ecf8427e")
        'md5'
    """
    algorithm = _HASH_LENGTHS.get(len(file_hash))
    if algorithm is None or any(c not in "0123456789abcdefABCDEF" for c in file_hash):
        raise ValueError(f"file_hash {file_hash!r} is not a hex sha256 (64 digits) or md5 (32 "
                         "digits) digest; pass the hash as published, or None to skip the check.")
    return algorithm


def file_digest(path, algorithm="sha256"):
    """Return the hex digest of the file ``path`` (read in chunks).

    Example:
        >>> import tempfile, os
        >>> handle, name = tempfile.mkstemp(); os.close(handle)
        >>> file_digest(name, "md5")
        'd41d8cd98f00b204e9800998ecf8427e'
        >>> os.remove(name)
    """
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def cache_folder(cache_dir=None, cache_subdir="datasets"):
    """Return the folder ``get_file`` writes into.

    With ``cache_dir=None`` the base is the hilayers home (``$HILAYERS_HOME`` or
    ``~/.hilayers``), and a ``cache_subdir`` that starts with ``datasets`` is placed under
    ``$HILAYERS_DATASETS`` instead when that variable is set. An empty or ``None``
    ``cache_subdir`` means ``cache_dir`` itself.

    Example:
        >>> cache_folder("/tmp/c", "datasets/mnist") == os.path.join("/tmp/c", "datasets", "mnist")
        True
    """
    parts = [p for p in os.fspath(cache_subdir or "").replace("\\", "/").split("/") if p]
    if cache_dir is not None:
        return os.path.join(os.fspath(cache_dir), *parts)
    if parts and parts[0] == "datasets":
        return os.path.join(datasets_dir(), *parts[1:])
    return os.path.join(hilayers_home(), *parts)


def _show_progress(progress):
    if progress is not None:
        return bool(progress)
    stream = sys.stderr
    return stream is not None and hasattr(stream, "isatty") and stream.isatty()


def _describe(exc, timeout):
    """A short reason for one failed mirror."""
    if isinstance(exc, _VerificationError):
        return str(exc)
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, TimeoutError) or "timed out" in str(exc):
        return f"timed out (no data for {timeout:g} s)"
    if isinstance(exc, urllib.error.URLError):
        return f"could not connect: {exc.reason}"
    if isinstance(exc, http.client.IncompleteRead):
        return f"the connection closed after {len(exc.partial)} bytes, before the end of the file"
    return f"{type(exc).__name__}: {exc}"


def _fetch(url, dest, file_hash, progress, timeout):
    """Download ``url`` to ``dest`` through a temporary file; verify, then rename into place."""
    name = os.path.basename(dest)
    digest = hashlib.new(hash_algorithm(file_hash)) if file_hash else None
    handle, temp = create_beside(dest)
    try:
        with os.fdopen(handle, "wb") as out, \
                urllib.request.urlopen(url, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.strip().isdigit() else None
            received = 0
            with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=name,
                      disable=not _show_progress(progress), leave=False) as bar:
                while True:
                    chunk = response.read(_CHUNK)    # the socket timeout bounds each read
                    if not chunk:
                        break
                    out.write(chunk)
                    received += len(chunk)
                    if digest is not None:
                        digest.update(chunk)
                    bar.update(len(chunk))
        if total is not None and received != total:
            raise _VerificationError(f"the connection closed after {received} of {total} "
                                     "bytes")
        if digest is not None and digest.hexdigest() != file_hash.lower():
            raise _VerificationError(f"{digest.name} mismatch: received {digest.hexdigest()}, "
                                     f"expected {file_hash.lower()}")
        os.replace(temp, dest)
    except BaseException as exc:
        # Whatever went wrong (network, hash, Ctrl-C), no partial file stays in the cache.
        if isinstance(exc, urllib.error.HTTPError):
            exc.close()                           # an HTTP error holds the open response
        try:
            os.remove(temp)
        except FileNotFoundError:
            pass
        raise


def get_file(fname, origin, file_hash=None, cache_dir=None, cache_subdir="datasets",
             extract=False, mirrors=None, *, progress=None, timeout=DEFAULT_TIMEOUT):
    """Return the path of ``fname`` in the cache, downloading it first when needed.

    A cached file is used as it is when it matches ``file_hash`` (or when no hash is given);
    a cached file that does not match is corrupt and is fetched again. A download goes to a
    temporary file in the same folder, is checked (length, then hash) and renamed into place;
    on any failure the temporary file is removed and the next mirror is tried.

    Args:
        fname: the file's name in the cache folder (a name, not a path).
        origin: the URL to try first (``http``, ``https`` or ``file``).
        file_hash: the expected hex sha256 (64 digits) or md5 (32 digits), or ``None`` to
            accept any content.
        cache_dir: the base folder; ``None`` for the hilayers home (see ``cache_folder``).
        cache_subdir: the folder under ``cache_dir``; with ``cache_dir=None``, ``"datasets"``
            (the default) means ``$HILAYERS_DATASETS`` when that variable is set.
        extract: also extract a ``.tar``, ``.tar.gz``, ``.tgz`` or ``.zip`` file into the
            cache folder (members with unsafe paths or links are refused).
        mirrors: further URLs for the same file, tried in order after ``origin``.
        progress: show a tqdm progress bar; ``None`` shows it only when stderr is a terminal.
        timeout: seconds to wait for a connection or for data before giving a mirror up.

    Returns:
        The path of the verified file in the cache (also when ``extract`` is true; the
        members are then beside it).

    Raises:
        ValueError: when ``fname`` is a path or ``file_hash`` is not a sha256/md5 digest.
        DownloadError: when every URL failed; it lists each URL with its reason
            (``attempts`` holds them too) and says where to put the file by hand.
        OSError: when the cache folder cannot be created.

    Example:
        >>> import pathlib, tempfile
        >>> source = pathlib.Path(tempfile.mkdtemp()) / "hello.txt"
        >>> _ = source.write_text("hello")
        >>> path = get_file("hello.txt", source.as_uri(), cache_dir=tempfile.mkdtemp(),
        ...                 file_hash="5d41402abc4b2a76b9719d911017c592", progress=False)
        >>> pathlib.Path(path).read_text()
        'hello'
    """
    fname = os.fspath(fname)
    if not fname or os.path.basename(fname) != fname or fname in (".", ".."):
        raise ValueError(f"get_file(fname={fname!r}): expected a file name without folders; "
                         "put folders in cache_dir or cache_subdir.")
    if file_hash is not None:
        hash_algorithm(file_hash)
    folder = cache_folder(cache_dir, cache_subdir)
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise OSError(f"Cannot create the cache folder {folder!r} ({exc}); set HILAYERS_HOME "
                      "or HILAYERS_DATASETS to a writable folder, or pass cache_dir.") from exc
    dest = os.path.join(folder, fname)
    stale = None
    if os.path.isfile(dest):
        if file_hash is None:
            return _finish(dest, folder, extract)
        algorithm = hash_algorithm(file_hash)
        found = file_digest(dest, algorithm)
        if found == file_hash.lower():
            return _finish(dest, folder, extract)
        stale = (f"the cached file {dest!r} is corrupt ({algorithm} {found}, expected "
                 f"{file_hash.lower()})")
        warnings.warn(stale + "; fetching it again.", stacklevel=2)

    attempts = []
    for url in [origin, *(mirrors or [])]:
        try:
            _fetch(url, dest, file_hash, progress, timeout)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            # OSError covers URLError, HTTPError, timeouts and resets; ValueError an
            # unknown URL scheme and a verification failure.
            attempts.append((url, _describe(exc, timeout)))
            continue
        return _finish(dest, folder, extract)
    tried = "\n".join(f"  - {url}: {reason}" for url, reason in attempts)
    intro = f"{stale[0].upper()}{stale[1:]}, and it" if stale else f"{fname!r}"
    raise DownloadError(
        f"{intro} could not be downloaded into {folder!r}. Tried:\n{tried}\n"
        f"Check the network connection, or put a copy of {fname} in {folder!r} yourself.",
        attempts)


def _finish(dest, folder, extract):
    if extract:
        extract_archive(dest, folder)
    return dest
