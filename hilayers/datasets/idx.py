"""Reading IDX files, the format of MNIST and Fashion-MNIST (optionally gzip-compressed).

Format (big-endian): two zero bytes, a type code (0x08 = unsigned byte, 0x09 = signed byte,
0x0B = int16, 0x0C = int32, 0x0D = float32, 0x0E = float64), the number of dimensions, one
32-bit size per dimension, then the data in C order. A file is accepted by its content: the
magic number, the sizes, the amount of data and (when the caller says what it expects) the
shape and type; never by its checksum, so a valid copy with other gzip bytes is accepted.
"""
import gzip
import math
import os
import zlib

import numpy as np

from .errors import DatasetFormatError

_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_CHUNK = 1 << 20


def _read_exact(handle, size, path, what):
    data = handle.read(size)
    if len(data) != size:
        raise DatasetFormatError(f"IDX file {path!r} is truncated inside its {what}: "
                                 f"{len(data)} of {size} bytes present.")
    return data


def _read_header(handle, path):
    magic = handle.read(4)
    if len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[2] not in _TYPES:
        found = magic.hex() or "missing (empty file)"
        raise DatasetFormatError(
            f"{path!r} is not an IDX file: its magic number is {found}; expected 0000, a type "
            "code (08 for unsigned bytes) and the number of dimensions. Is it the right file, "
            "and was it decompressed twice or not at all?")
    ndim = magic[3]
    sizes = _read_exact(handle, 4 * ndim, path, "header")
    dims = tuple(int.from_bytes(sizes[4 * i: 4 * i + 4], "big") for i in range(ndim))
    return np.dtype(_TYPES[magic[2]]), dims


def _check_expected(path, dtype, dims, expected_shape, expected_dtype):
    native = dtype.newbyteorder("=")
    if expected_dtype is not None and native != np.dtype(expected_dtype).newbyteorder("="):
        raise DatasetFormatError(f"IDX file {path!r} holds {native} data; expected "
                                 f"{np.dtype(expected_dtype)}. It is not the file its name "
                                 "says.")
    if expected_shape is not None and (
            len(dims) != len(expected_shape)
            or any(e is not None and d != e for d, e in zip(dims, expected_shape))):
        raise DatasetFormatError(f"IDX file {path!r} holds an array of shape {dims}; expected "
                                 f"{tuple(expected_shape)}. It is mislabelled (e.g. the labels "
                                 "or the test set under the name of another file).")


def _read_data(handle, path, dtype, dims):
    count = math.prod(dims)
    try:
        data = np.empty(count, dtype=dtype)
    except (MemoryError, ValueError) as exc:
        raise DatasetFormatError(f"IDX file {path!r} declares shape {dims}, too large to "
                                 "allocate: its header is corrupt.") from exc
    view = memoryview(data).cast("B")
    filled = 0
    while filled < len(view):
        got = handle.readinto(view[filled: filled + _CHUNK])
        if not got:
            raise DatasetFormatError(
                f"IDX file {path!r} declares shape {dims} ({len(view)} bytes of data) but "
                f"holds only {filled}: the file is truncated.")
        filled += got
    if handle.read(1):
        raise DatasetFormatError(f"IDX file {path!r} holds more than the {len(view)} bytes of "
                                 f"data its shape {dims} declares: the file is corrupt.")
    return data.reshape(dims)


def read_idx(path, expected_shape=None, expected_dtype=None):
    """Return the array stored in the IDX file ``path``; ``.gz`` files are decompressed.

    Args:
        path: the file.
        expected_shape: when given, the shape the file must hold (``None`` entries match any
            size); a different shape means the file is mislabelled.
        expected_dtype: when given, the element type the file must hold (e.g. ``np.uint8``).

    Returns:
        A writable NumPy array in native byte order.

    Raises:
        FileNotFoundError: when ``path`` does not exist.
        DatasetFormatError: (a ``ValueError``) naming the file, when its magic number, its
            header, the amount of data, the gzip stream, the shape or the type is wrong.

    Example:
        >>> import tempfile, os
        >>> name = os.path.join(tempfile.mkdtemp(), "labels-idx1-ubyte")
        >>> import pathlib
        >>> _ = pathlib.Path(name).write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 1, 4]))
        >>> read_idx(name, expected_shape=(3,))
        array([7, 1, 4], dtype=uint8)
    """
    path = os.fspath(path)
    compressed = path.endswith(".gz")
    with (gzip.open if compressed else open)(path, "rb") as handle:
        try:
            dtype, dims = _read_header(handle, path)
            _check_expected(path, dtype, dims, expected_shape, expected_dtype)
            if not compressed:
                declared = 4 + 4 * len(dims) + math.prod(dims) * dtype.itemsize
                actual = os.fstat(handle.fileno()).st_size
                if actual != declared:
                    state = "truncated" if actual < declared else "corrupt (longer than declared)"
                    raise DatasetFormatError(
                        f"IDX file {path!r} declares shape {dims} ({declared} bytes with its "
                        f"header) but is {actual} bytes long: the file is {state}.")
            data = _read_data(handle, path, dtype, dims)
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise DatasetFormatError(f"IDX file {path!r} is not a valid gzip stream ({exc}): "
                                     "the download is truncated or corrupt.") from exc
    return data.astype(dtype.newbyteorder("="), copy=False)
