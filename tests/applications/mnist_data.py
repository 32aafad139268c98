"""The offline MNIST copy beside the project, read once per test session."""
import functools
import pathlib

import pytest

from hilayers.datasets import mnist

DATA = pathlib.Path(__file__).resolve().parents[3] / "shared" / "datasets" / "mnist"
needs_mnist = pytest.mark.skipif(not DATA.is_dir(), reason=f"MNIST not found at {DATA}")


@functools.lru_cache(maxsize=1)
def load():
    """``(x_train, y_train), (x_test, y_test)`` of the offline copy (uint8; do not modify)."""
    return mnist.load_data(str(DATA))
