"""The MNIST database of handwritten digits (LeCun, Cortes, Burges).

``load_data(path=None)`` returns ``(x_train, y_train), (x_test, y_test)``: uint8 arrays of
shapes (60000, 28, 28), (60000,), (10000, 28, 28), (10000,), as Keras' loader does.

Where it looks, in order: ``path`` when given (a folder with the four IDX files, gzipped or
not, or an ``.npz`` with ``x_train``, ``y_train``, ``x_test``, ``y_test``; nothing else is
tried then); ``$HILAYERS_DATASETS/mnist`` and ``$HILAYERS_DATASETS`` when that variable is
set; ``~/.hilayers/datasets/mnist`` (``$HILAYERS_HOME/datasets/mnist``). Then it downloads
the four published files from ``MIRRORS`` into ``datasets_dir()/mnist``, each checked against
its published sha256 (``SHA256``). Local copies are validated by content (magic numbers,
counts, shapes, labels), not by checksum, so a valid copy with other bytes is accepted.
"""
from .idx_dataset import IDXDataset, load

# Base URLs of public copies of the published files, tried in order. Tests point this list at
# a local server.
MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
]

FILES = {
    "x_train": ("train-images-idx3-ubyte", (60000, 28, 28)),
    "y_train": ("train-labels-idx1-ubyte", (60000,)),
    "x_test": ("t10k-images-idx3-ubyte", (10000, 28, 28)),
    "y_test": ("t10k-labels-idx1-ubyte", (10000,)),
}

# sha256 of the published files (listed in ../shared/datasets/mnist/README.md).
SHA256 = {
    "train-images-idx3-ubyte.gz":
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz":
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz":
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz":
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}


def load_data(path=None):
    """Load MNIST, from a local copy or downloaded (see the module docstring for where).

    Args:
        path: a folder holding the four IDX files or an ``.npz``; ``None`` to search the
            datasets folders and download when nothing is found.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes (60000, 28, 28),
        (60000,), (10000, 28, 28), (10000,); labels 0 to 9.

    Raises:
        FileNotFoundError: when ``path`` is given but does not hold the four files.
        DatasetFormatError: (a ``ValueError``) naming the file, when a local file is
            truncated, corrupt or mislabelled (a corrupt file of the download folder is
            fetched again instead).
        DownloadError: (an ``OSError``) when nothing is found and every mirror failed; it
            lists the places searched, the mirrors tried and where to put the files.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_data()   # doctest: +SKIP
        >>> x_train.shape, y_train.shape, x_train.dtype           # doctest: +SKIP
        ((60000, 28, 28), (60000,), dtype('uint8'))
    """
    return load(IDXDataset("mnist", "MNIST", FILES, SHA256), path, MIRRORS)
