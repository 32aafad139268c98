"""Dataset loaders: ``mnist``, ``fashion_mnist`` and ``cifar10``, each with ``load_data()``,
and ``get_file``, the verified, mirror-aware download into the datasets cache.

Example:
    >>> from hilayers.datasets import mnist
    >>> (x_train, y_train), (x_test, y_test) = mnist.load_data()   # doctest: +SKIP
"""
from . import cifar10, fashion_mnist, mnist
from .download import get_file
from .errors import DatasetFormatError, DownloadError
from .locations import datasets_dir

__all__ = ["mnist", "fashion_mnist", "cifar10", "get_file", "datasets_dir",
           "DatasetFormatError", "DownloadError"]
