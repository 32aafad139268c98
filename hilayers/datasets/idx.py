"""Reading the IDX files of the MNIST database (optionally gzip-compressed).

Format (big-endian): two zero bytes, a type code (0x08 = unsigned byte), the number of
dimensions, then one 32-bit size per dimension, then the data.
"""
import gzip
import os

import numpy as np

_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """Return the array stored in the IDX file ``path`` (``.gz`` is decompressed).

    Raises:
        ValueError: naming the file, when the magic number, the dimensions or the size of the
            data do not match the IDX format.
    """
    path = os.fspath(path)
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            raw = handle.read()
    except (OSError, EOFError) as exc:
        raise ValueError(f"Could not read IDX file {path!r}: {exc}.") from exc
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _TYPES:
        raise ValueError(f"{path!r} is not an IDX file: its magic number is "
                         f"{raw[:4].hex() or 'missing'}; expected 0000 then a type code "
                         "(08 for unsigned bytes) and the number of dimensions.")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"IDX file {path!r} is truncated inside its header.")
    dims = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_TYPES[raw[2]])
    expected = int(np.prod(dims)) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(f"IDX file {path!r} declares shape {dims} ({expected} bytes of data) "
                         f"but holds {len(raw) - header} bytes; the file is truncated or "
                         "corrupt.")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims).astype(
        dtype.newbyteorder("="))
