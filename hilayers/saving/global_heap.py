"""Checking an HDF5 file's global heap collections before HDF5 reads them.

Variable-length strings (how Keras and h5py store ``model_config``, ``training_config``
and other text attributes) live in *global heap collections*: blocks that start with the
signature ``GCOL``, a version byte (1), three reserved bytes, the collection's size, then
objects, each with a 2-byte index, a 2-byte reference count, 4 reserved bytes, its size and
its data padded to 8 bytes. Index 0 is the free space at the end, whose size field counts
its header.

HDF5 (1.14, as bundled with h5py 3.14) walks a collection's objects when it first reads a
string from it, and never returns when a free-space entry has size 0: the walk does not
advance. A huge entry size gets there too, as HDF5's 64-bit sums wrap around. One damaged
byte range in a file is enough, and neither Python's signals nor a timeout can stop it.
:func:`check_global_heaps` finds every collection in the raw bytes and walks it the way
HDF5 does, refusing, before any variable-length string is read, one with an entry of size
0, an entry reaching past the collection's end (valid files have neither) or a collection
larger than the file. (Files hilayers writes hold fixed-length strings only, so they have
no global heap; :func:`hilayers.saving.safety.open_checked` skips the check for them.)

A collection is found by its signature anywhere in the file. Weight data that happens to
hold ``GCOL``, a version byte 1 and three zero bytes would be read as one too, and most
likely refused: those 8 bytes turn up by chance about once in 2**64 positions.

Example:
    >>> heap = (b"GCOL\\x01\\x00\\x00\\x00" + (4096).to_bytes(8, "little")
    ...         + bytes(16))                   # a free-space entry of size 0
    >>> try:
    ...     check_global_heaps(heap + bytes(4096), 8, "m.h5")
    ... except SavingError as err:
    ...     print(err.problem[:55])
    its global heap collection at byte 0 is damaged (an ent
"""
from .errors import SavingError

SIGNATURE = b"GCOL"
_ALIGN = 8


def lengths_size(data, superblock):
    """The size in bytes of "lengths" in the file (8 unless the superblock says otherwise)
    from the superblock at offset ``superblock`` (versions 0-3)."""
    version = data[superblock + 8] if len(data) > superblock + 8 else 0
    where = superblock + 14 if version in (0, 1) else superblock + 10
    size = data[where] if len(data) > where else 8
    return size if size in (2, 4, 8, 16) else 8


def _number(data, start, width):
    return int.from_bytes(bytes(data[start:start + width]), "little")


def check_collection(data, start, length_size, path):
    """Walk the collection at byte ``start`` as HDF5 does.

    Raises:
        SavingError: when HDF5 would loop forever on it, or it declares more bytes than
            the file holds.
    """
    if data[start + 4] != 1 or any(data[start + 5:start + 8]):
        return                              # not a version-1 collection: HDF5 refuses it
    size = _number(data, start + 8, length_size)
    if size > len(data) - start:
        raise SavingError(path, f"its global heap collection at byte {start} declares "
                                f"{size} bytes, more than the {len(data)}-byte file holds "
                                "after it; the file is corrupted or truncated.")
    header = 8 + length_size                # signature, version, reserved, size
    entry_header = 8 + length_size          # index, references, reserved, size
    position, end = start + header, start + size
    while position < end:
        if position + entry_header > end:
            return                          # HDF5 counts the rest as free space
        index = _number(data, position, 2)
        object_size = _number(data, position + 8, length_size)
        if index > 0:
            step = entry_header + -(-object_size // _ALIGN) * _ALIGN
        else:
            step = object_size
        if step <= 0:
            raise SavingError(path, f"its global heap collection at byte {start} is damaged "
                                    f"(an entry of size 0 at byte {position}, where HDF5 "
                                    "would stop responding); the file is corrupted or "
                                    "truncated.")
        if position + step > end:
            # HDF5 adds these sizes in 64 bits: a huge one wraps around to a small step
            # (and to the stall above) instead of ending the walk.
            raise SavingError(path, f"its global heap collection at byte {start} is damaged "
                                    f"(an entry at byte {position} claims {object_size} bytes, "
                                    f"beyond the collection's end at byte {end}); the file "
                                    "is corrupted or truncated.")
        position += step


def check_global_heaps(data, length_size, path):
    """Check every global heap collection in ``data`` (the file's bytes, or an ``mmap`` of
    them); see the module docstring.

    Raises:
        SavingError: naming the collection that HDF5 could not read safely.
    """
    start = data.find(SIGNATURE)
    while start != -1:
        if start + 8 + length_size <= len(data):
            check_collection(data, start, length_size, path)
        start = data.find(SIGNATURE, start + 1)
