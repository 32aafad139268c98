"""Fashion-MNIST: Zalando's article images (Xiao, Rasul, Vollgraf), a drop-in for MNIST.

``load_data(path=None)`` returns ``(x_train, y_train), (x_test, y_test)``: uint8 arrays of
shapes (60000, 28, 28), (60000,), (10000, 28, 28), (10000,), labels 0 to 9 (T-shirt/top,
Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot; ``CLASS_NAMES``).

Same IDX format, file names and search order as ``mnist`` (``path``,
``$HILAYERS_DATASETS/fashion_mnist``, ``$HILAYERS_DATASETS``,
``~/.hilayers/datasets/fashion_mnist``, then a download from ``MIRRORS``), with its own files
and hashes.
"""
from .idx_dataset import IDXDataset, load

# Base URLs of public copies of the published files, tried in order: the authors' own
# bucket, the data folder of their repository, the copy Keras downloads.
MIRRORS = [
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
]

FILES = {
    "x_train": ("train-images-idx3-ubyte", (60000, 28, 28)),
    "y_train": ("train-labels-idx1-ubyte", (60000,)),
    "x_test": ("t10k-images-idx3-ubyte", (10000, 28, 28)),
    "y_test": ("t10k-labels-idx1-ubyte", (10000,)),
}

# md5 of the published files, as listed in the README of github.com/zalandoresearch/
# fashion-mnist (the authors publish md5, not sha256).
MD5 = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}

CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot")


def load_data(path=None):
    """Load Fashion-MNIST, from a local copy or downloaded (see the module docstring).

    Args:
        path: a folder holding the four IDX files or an ``.npz``; ``None`` to search the
            datasets folders and download when nothing is found.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes (60000, 28, 28),
        (60000,), (10000, 28, 28), (10000,); labels 0 to 9 (``CLASS_NAMES``).

    Raises:
        FileNotFoundError: when ``path`` is given but does not hold the four files.
        DatasetFormatError: (a ``ValueError``) naming the file, when a local file is
            truncated, corrupt or mislabelled.
        DownloadError: (an ``OSError``) when nothing is found and every mirror failed.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_data()   # doctest: +SKIP
        >>> CLASS_NAMES[y_train[0]]                               # doctest: +SKIP
        'Ankle boot'
    """
    return load(IDXDataset("fashion_mnist", "Fashion-MNIST", FILES, MD5), path, MIRRORS)
