"""Opening an HDF5 file that may be corrupted or hostile: check it all before reading data.

:func:`open_checked` opens a file read-only and, before the caller reads any array, walks
every object and link in it and refuses, with a :class:`SavingError` naming the file and
the object:

* a path that is empty, a folder, too small, a zip archive (Keras 3's ``.keras`` format) or
  anything without the HDF5 signature; a file HDF5 itself cannot open;
* damaged global heap collections (where variable-length strings live) on which HDF5
  itself would stop responding (:mod:`hilayers.saving.global_heap`), checked in the raw
  bytes before any such string is read, when the file has some;
* external links (they would open other files), soft links and user-defined links (Keras'
  layout has none, and a link must not reach outside what was checked);
* virtual datasets and datasets whose raw data lives in external files;
* datasets whose dtype is not a number, or whose filters are not deflate (gzip), shuffle,
  fletcher32 or LZF: an unknown filter would make HDF5 look for a plugin library;
* declared sizes the file cannot hold: an unfiltered dataset larger than the file, a
  compressed one larger than ``MAX_EXPANSION`` times its stored bytes, chunks far larger
  than their dataset, attributes larger than the file, more than ``MAX_OBJECTS`` objects.

So every later read allocates at most a bounded multiple of the file's size (variable-length
strings, whose length HDF5 trusts before reading them, are read under a memory ceiling:
:func:`hilayers.saving.hdf5_format.read_attr`), and nothing in the file makes the library
open another file or load code.

Example:
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "notes.h5")
    >>> with open(path, "w") as f:
    ...     _ = f.write("not HDF5")
    >>> try:
    ...     with open_checked(path):
    ...         pass
    ... except SavingError as err:
    ...     print(err.problem[:31])
    it is not an HDF5 file (no HDF5
"""
import contextlib
import math
import mmap
import os

import h5py
import numpy as np

from .errors import SavingError
from .global_heap import check_global_heaps, lengths_size

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
#: A compressed dataset may declare at most this many times its stored bytes (deflate's
#: best ratio is about 1032:1).
MAX_EXPANSION = 1100
#: At most this many objects (groups, datasets) and this many attributes in one file.
MAX_OBJECTS = 200_000
MAX_ATTRIBUTES = 200_000
_SLACK = 1 << 20          # a small allowance for fill values and chunk edges
_ALLOWED_FILTERS = {h5py.h5z.FILTER_DEFLATE: "gzip", h5py.h5z.FILTER_SHUFFLE: "shuffle",
                    h5py.h5z.FILTER_FLETCHER32: "fletcher32", 32000: "lzf"}
#: The errors h5py raises for unreadable or inconsistent files.
H5PY_ERRORS = (OSError, RuntimeError, KeyError, ValueError, TypeError)


def h5_message(exc):
    """A one-line description of an h5py / HDF5 exception."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else 'no message'}"


def _check_path(path):
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise FileNotFoundError(2, f"No such file: {path!r}", path) from None
    if os.path.isdir(path):
        raise SavingError(path, "it is a folder, not an HDF5 file.")
    if st.st_size < len(HDF5_SIGNATURE):
        raise SavingError(path, f"it is {st.st_size} bytes long, too short to be an HDF5 "
                                "file (it is empty or was truncated).")
    return st.st_size


def _check_signature(path, size):
    """The offset of the superblock: HDF5 files start with an 8-byte signature at offset 0,
    512, 1024, 2048..."""
    with open(path, "rb") as handle:
        head = handle.read(8)
        if head == HDF5_SIGNATURE:
            return 0
        offset = 512
        while offset + 8 <= size:
            handle.seek(offset)
            if handle.read(8) == HDF5_SIGNATURE:
                return offset
            offset *= 2
    if head.startswith(b"PK\x03\x04"):
        raise SavingError(path, "it is a zip archive (such as Keras 3's .keras format), not "
                                "an HDF5 file. hilayers reads Keras' HDF5 layout: save the "
                                "model from Keras with model.save('model.h5').")
    raise SavingError(path, f"it is not an HDF5 file (no HDF5 signature; it starts with "
                            f"{head!r}).")


@contextlib.contextmanager
def open_checked(path):
    """Open ``path`` read-only with h5py after checking all of it (see the module docstring).

    Args:
        path: the file.

    Yields:
        h5py.File: open for reading; closed when the block ends.

    Raises:
        FileNotFoundError: when ``path`` does not exist.
        SavingError: for any of the problems listed in the module docstring.
    """
    path = os.fspath(path)
    size = _check_path(path)
    superblock = _check_signature(path, size)
    try:
        handle = h5py.File(path, "r")
    except H5PY_ERRORS as exc:
        raise SavingError(path, f"HDF5 cannot open it ({h5_message(exc)}); the file is "
                                "corrupted or truncated.") from None
    try:
        check = _FileCheck(handle, path, size)
        check.run()
        if check.variable_length:
            # Only variable-length strings are read from global heaps, and nothing above
            # read one. (Files hilayers writes have none: see hdf5_format.write_text.)
            with open(path, "rb") as raw, \
                    mmap.mmap(raw.fileno(), 0, access=mmap.ACCESS_READ) as data:
                check_global_heaps(data, lengths_size(data, superblock), path)
        yield handle
    finally:
        with contextlib.suppress(*H5PY_ERRORS):
            handle.close()


class _FileCheck:
    """One walk over every object, link and attribute of an open file."""

    def __init__(self, handle, path, size):
        self.handle, self.path, self.size = handle, path, size
        self.objects = self.attributes = 0
        self.declared = 0             # bytes of all datasets, as declared
        self.variable_length = False  # whether an attribute holds variable-length strings

    def fail(self, problem):
        raise SavingError(self.path, problem)

    def run(self):
        try:
            self.check_object("/", self.handle)
            self.handle.visititems(self.check_object)
        except SavingError:
            raise
        except H5PY_ERRORS as exc:
            self.fail(f"its structure cannot be read ({h5_message(exc)}); the file is "
                      "corrupted or truncated.")
        if self.declared > self.size * MAX_EXPANSION + _SLACK:
            self.fail(f"its datasets declare {self.declared} bytes in all, far more than a "
                      f"{self.size}-byte file can hold.")

    def check_object(self, name, obj):
        self.objects += 1
        if self.objects > MAX_OBJECTS:
            self.fail(f"it holds more than {MAX_OBJECTS} objects.")
        if isinstance(obj, h5py.Group):
            self.check_links(name, obj)
        elif isinstance(obj, h5py.Dataset):
            self.check_dataset(name, obj)
        self.check_attributes(name, obj)
        return None                   # keep visiting

    def check_links(self, name, group):
        for count, key in enumerate(group):
            if self.objects + count > MAX_OBJECTS:
                self.fail(f"group {name!r} holds more than {MAX_OBJECTS} links.")
            link = group.get(key, getlink=True)
            where = f"{name.rstrip('/')}/{key}"
            if isinstance(link, h5py.ExternalLink):
                self.fail(f"{where!r} is an external link to {link.filename!r}; hilayers never "
                          "follows links to other files.")
            if isinstance(link, h5py.SoftLink):
                self.fail(f"{where!r} is a soft link to {link.path!r}; Keras' layout has none "
                          "and hilayers reads hard links only.")
            if not isinstance(link, h5py.HardLink):
                self.fail(f"{where!r} is a link of an unknown kind.")

    def check_dataset(self, name, dset):
        plist = dset.id.get_create_plist()
        if plist.get_layout() == h5py.h5d.VIRTUAL:
            self.fail(f"dataset {name!r} is a virtual dataset (its data would come from "
                      "other files); hilayers reads plain datasets only.")
        if plist.get_external_count():
            self.fail(f"dataset {name!r} keeps its data in external files; hilayers reads "
                      "data stored in the file only.")
        dtype = dset.dtype
        if dtype.kind not in "biuf" or dtype.itemsize > 16 or dtype.fields is not None:
            self.fail(f"dataset {name!r} has dtype {dtype}; weights are numbers.")
        shape = dset.shape
        if shape is None:
            self.fail(f"dataset {name!r} has no shape (a null dataspace).")
        nbytes = math.prod(shape) * dtype.itemsize
        self.declared += nbytes
        filters = []
        for i in range(plist.get_nfilters()):
            code = plist.get_filter(i)[0]
            if code not in _ALLOWED_FILTERS:
                self.fail(f"dataset {name!r} uses HDF5 filter {code}; only gzip, shuffle, "
                          "fletcher32 and lzf are read (others would load plugin code).")
            filters.append(code)
        stored = dset.id.get_storage_size()
        if stored > self.size:
            self.fail(f"dataset {name!r} claims {stored} stored bytes in a {self.size}-byte "
                      "file.")
        compressed = any(code in (h5py.h5z.FILTER_DEFLATE, 32000) for code in filters)
        limit = stored * MAX_EXPANSION + _SLACK if compressed else self.size
        if nbytes > limit:
            self.fail(f"dataset {name!r} declares shape {tuple(shape)} of {dtype} "
                      f"({nbytes} bytes), far larger than the file holds for it "
                      f"({stored} bytes stored, file of {self.size} bytes).")
        if dset.chunks is not None:
            chunk_bytes = math.prod(dset.chunks) * dtype.itemsize
            if chunk_bytes > max(4 * nbytes, _SLACK):
                self.fail(f"dataset {name!r} of shape {tuple(shape)} declares chunks of "
                          f"{tuple(dset.chunks)}, far larger than the dataset.")

    def check_attributes(self, name, obj):
        for key in obj.attrs:
            self.attributes += 1
            if self.attributes > MAX_ATTRIBUTES:
                self.fail(f"it holds more than {MAX_ATTRIBUTES} attributes.")
            attr = obj.attrs.get_id(key)
            where = f"attribute {key!r} of {name!r}"
            dtype = attr.dtype
            string = h5py.check_string_dtype(dtype)
            if string is not None:
                per_item = 16 if dtype.kind == "O" else dtype.itemsize
                self.variable_length |= string.length is None
            elif dtype.kind in "biuf" and dtype.fields is None and dtype.itemsize <= 16:
                per_item = dtype.itemsize
            else:
                self.fail(f"{where} has dtype {dtype}; attributes hold strings or numbers.")
            shape = attr.shape
            count = 0 if shape is None else math.prod(shape)
            # (HDF5 reports the storage of an empty attribute as an error, hence the order.)
            if count * per_item > self.size or count and attr.get_storage_size() > self.size:
                self.fail(f"{where} declares {count} items of {dtype}, more than a "
                          f"{self.size}-byte file can hold.")


def read_array(dset, path, what):
    """Read a checked dataset into a new NumPy array.

    Raises:
        SavingError: naming ``what`` when HDF5 cannot read the data (a corrupted chunk, a
            failed checksum, a truncated file).
    """
    try:
        if dset.shape == ():
            return np.asarray(dset[()])
        out = np.empty(dset.shape, dtype=dset.dtype)
        if out.size:
            dset.read_direct(out)
        return out
    except H5PY_ERRORS as exc:
        raise SavingError(path, f"the data of {what} cannot be read ({h5_message(exc)}); "
                                "the file is corrupted or truncated.") from None
