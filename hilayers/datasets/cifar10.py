"""CIFAR-10 (Krizhevsky, 2009), read from its binary version: raw bytes, never pickle.

``load_data(path=None)`` returns ``(x_train, y_train), (x_test, y_test)``: uint8 arrays of
shapes (50000, 32, 32, 3), (50000, 1), (10000, 32, 32, 3), (10000, 1), as Keras' loader
does (channels last). Labels are 0 to 9 (``CLASS_NAMES``).

The binary version, ``cifar-10-binary.tar.gz``, holds ``cifar-10-batches-bin/`` with
``data_batch_1.bin`` to ``data_batch_5.bin`` and ``test_batch.bin``: each is 10,000 records
of one label byte then 3,072 pixel bytes (the 1,024 red, then green, then blue values of a
32x32 image, row by row). Nothing in it is executed, unlike the pickled Python version.

Where it looks, in order: ``path`` when given (the ``.tar.gz``, a folder holding the six
``.bin`` files, ``cifar-10-batches-bin/`` or the archive; nothing else is tried then);
``$HILAYERS_DATASETS/cifar10`` and ``$HILAYERS_DATASETS`` when that variable is set;
``~/.hilayers/datasets/cifar10`` (``$HILAYERS_HOME/datasets/cifar10``). Then it downloads the
archive from ``MIRRORS`` into ``datasets_dir()/cifar10``, checks its md5 and extracts the six
batches next to it (unsafe members, links and path traversal, make the archive refused).
A batch is validated by its size and labels; a corrupt one in the download folder is
extracted again, and a corrupt archive there is downloaded again.
"""
import os
import warnings

import numpy as np

from .archives import extract_archive, read_members
from .download import get_file
from .errors import DatasetFormatError, DownloadError
from .locations import search_folders

# Base URLs of the published archive, tried in order. Tests point this list at a local server.
MIRRORS = ["https://www.cs.toronto.edu/~kriz/"]
ARCHIVE = "cifar-10-binary.tar.gz"
# md5 published on https://www.cs.toronto.edu/~kriz/cifar.html for the binary version.
ARCHIVE_MD5 = "c32a1d4ab5d03f1284b67883e8d87530"
BATCH_DIR = "cifar-10-batches-bin"
TRAIN_BATCHES = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
TEST_BATCH = "test_batch.bin"
RECORDS_PER_BATCH = 10000
RECORD_BYTES = 1 + 3 * 32 * 32
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
               "truck")


def parse_batch(raw, where):
    """Split one binary batch into images and labels.

    Args:
        raw: the batch's bytes, as a 1-D uint8 array.
        where: the file or archive member, for messages.

    Returns:
        ``(images, labels)``: a (records, 32, 32, 3) view and a (records, 1) view of ``raw``.

    Raises:
        DatasetFormatError: when the size is not ``RECORDS_PER_BATCH`` records or a label is
            above 9.

    Example:
        >>> import numpy as np
        >>> x, y = parse_batch(np.zeros(RECORDS_PER_BATCH * RECORD_BYTES, np.uint8), "zeros")
        >>> x.shape, y.shape
        ((10000, 32, 32, 3), (10000, 1))
    """
    expected = RECORDS_PER_BATCH * RECORD_BYTES
    if raw.size != expected:
        raise DatasetFormatError(
            f"CIFAR-10 batch {where!r} holds {raw.size} bytes; expected {expected} "
            f"({RECORDS_PER_BATCH} records of 1 label byte and 3072 pixel bytes). The file is "
            "truncated or corrupt, or not a batch of the binary version.")
    records = raw.reshape(RECORDS_PER_BATCH, RECORD_BYTES)
    labels = records[:, :1]
    if labels.max() >= len(CLASS_NAMES):
        raise DatasetFormatError(f"CIFAR-10 batch {where!r} holds the label {labels.max()}; "
                                 "expected labels 0 to 9. The file is corrupt.")
    images = records[:, 1:].reshape(RECORDS_PER_BATCH, 3, 32, 32).transpose(0, 2, 3, 1)
    return images, labels


def _stack(parts):
    """Copy ``[(images, labels)]`` views into fresh C-contiguous arrays, channels last."""
    count = sum(len(labels) for _, labels in parts)
    images = np.empty((count, 32, 32, 3), dtype=np.uint8)
    labels = np.empty((count, 1), dtype=np.uint8)
    start = 0
    for x, y in parts:
        images[start: start + len(y)] = x
        labels[start: start + len(y)] = y
        start += len(y)
    return images, labels


def _assemble(raw_batches, where):
    """Train and test arrays from ``{batch name: bytes as uint8}``; ``where(name)`` for errors."""
    train = [parse_batch(raw_batches[name], where(name)) for name in TRAIN_BATCHES]
    test = [parse_batch(raw_batches[TEST_BATCH], where(TEST_BATCH))]
    return _stack(train), _stack(test)


def _batch_folder(folder):
    """The folder holding the six ``.bin`` files: ``folder/cifar-10-batches-bin`` or
    ``folder`` itself; ``None`` when neither does."""
    for candidate in (os.path.join(folder, BATCH_DIR), folder):
        if all(os.path.isfile(os.path.join(candidate, name))
               for name in (*TRAIN_BATCHES, TEST_BATCH)):
            return candidate
    return None


def _from_folder(batch_dir):
    raw = {name: np.fromfile(os.path.join(batch_dir, name), dtype=np.uint8)
           for name in (*TRAIN_BATCHES, TEST_BATCH)}
    return _assemble(raw, lambda name: os.path.join(batch_dir, name))


def _from_archive(archive):
    names = {f"{BATCH_DIR}/{name}": name for name in (*TRAIN_BATCHES, TEST_BATCH)}
    members = read_members(archive, names)
    raw = {names[member]: np.frombuffer(data, dtype=np.uint8) for member, data in members.items()}
    return _assemble(raw, lambda name: f"{archive}:{BATCH_DIR}/{name}")


def _extract_and_read(archive, folder):
    extract_archive(archive, folder, [f"{BATCH_DIR}/{n}" for n in (*TRAIN_BATCHES, TEST_BATCH)])
    return _from_folder(os.path.join(folder, BATCH_DIR))


def _from_local(path):
    """Read a user's archive or folder, without writing anything; ``None`` if no data."""
    if os.path.isfile(path):
        return _from_archive(path)
    batch_dir = _batch_folder(path)
    if batch_dir is not None:
        return _from_folder(batch_dir)
    if os.path.isfile(os.path.join(path, ARCHIVE)):
        return _from_archive(os.path.join(path, ARCHIVE))
    return None


def _from_cache(folder):
    """Read the download folder; extract again or download again what is missing or corrupt."""
    batch_dir = _batch_folder(folder)
    if batch_dir is not None:
        try:
            return _from_folder(batch_dir)
        except DatasetFormatError as exc:
            warnings.warn(f"{exc} Extracting the batches again.", stacklevel=3)
    archive = os.path.join(folder, ARCHIVE)
    if os.path.isfile(archive):
        try:
            return _extract_and_read(archive, folder)
        except DatasetFormatError as exc:
            # Corrupt: remove it, so that get_file downloads instead of re-hashing it.
            warnings.warn(f"{exc} Fetching {ARCHIVE} again.", stacklevel=3)
            os.remove(archive)
    urls = [base + ARCHIVE for base in MIRRORS]
    if not urls:
        raise DownloadError(f"No mirror is configured for {ARCHIVE}.")
    get_file(ARCHIVE, urls[0], file_hash=ARCHIVE_MD5, cache_dir=folder, cache_subdir=None,
             mirrors=urls[1:])
    try:
        return _extract_and_read(archive, folder)
    except DatasetFormatError:
        os.remove(archive)            # a verified download that is still refused is not kept
        raise


def load_data(path=None):
    """Load CIFAR-10 from its binary version, local or downloaded (see the module docstring).

    Args:
        path: ``cifar-10-binary.tar.gz``, or a folder holding the six ``.bin`` batches,
            ``cifar-10-batches-bin/`` or the archive; ``None`` to search the datasets folders
            and download when nothing is found.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes (50000, 32, 32, 3),
        (50000, 1), (10000, 32, 32, 3), (10000, 1).

    Raises:
        FileNotFoundError: when ``path`` is given but holds no CIFAR-10 data.
        DatasetFormatError: (a ``ValueError``) naming the file, when a batch has the wrong
            size or labels, or the archive is corrupt or has unsafe members.
        DownloadError: (an ``OSError``) when nothing is found and every mirror failed; it
            says where to put the archive.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_data()   # doctest: +SKIP
        >>> x_train.shape, y_train.shape                          # doctest: +SKIP
        ((50000, 32, 32, 3), (50000, 1))
    """
    if path is not None:
        path = os.fspath(path)
        arrays = _from_local(path) if os.path.exists(path) else None
        if arrays is None:
            raise FileNotFoundError(
                f"CIFAR-10: path={path!r} holds no CIFAR-10 data. Pass {ARCHIVE}, or a folder "
                f"with it, with {BATCH_DIR}/ or with the six .bin batches; or leave path=None "
                "to search the usual places and download.")
        return arrays
    folders = search_folders("cifar10")
    target = folders[0]
    if not (_batch_folder(target) or os.path.isfile(os.path.join(target, ARCHIVE))):
        for folder in folders[1:]:
            arrays = _from_local(folder) if os.path.isdir(folder) else None
            if arrays is not None:
                return arrays
    try:
        return _from_cache(target)
    except DownloadError as exc:
        raise DownloadError(
            f"CIFAR-10 was not found and could not be downloaded.\nSearched: "
            f"{', '.join(folders)}.\n{exc}\nTo work offline, put {ARCHIVE} (or the six .bin "
            f"batches) in {folders[0]!r}, or in the folder named by HILAYERS_DATASETS, or pass "
            "load_data(path=...).", exc.attempts) from exc
