"""``hilayers.data``: input pipelines in the manner of tf.data.

A :class:`Dataset` is an ordered sequence of elements (NumPy arrays in nested tuples / dicts),
built from a source and chained transformations, and iterated with a ``for`` loop, an explicit
iterator, or ``Model.fit`` / ``evaluate`` / ``predict``. See docs/data.md.

Example:
    >>> import numpy as np
    >>> from hilayers.data import AUTOTUNE, Dataset
    >>> x = np.arange(12, dtype=np.float32).reshape(6, 2)
    >>> y = np.arange(6) % 2
    >>> ds = (Dataset.from_tensor_slices((x, y))
    ...       .shuffle(6, seed=0)
    ...       .map(lambda a, b: (a / 10, b), num_parallel_calls=AUTOTUNE)
    ...       .batch(4)
    ...       .prefetch(AUTOTUNE))
    >>> ds.element_spec
    (TensorSpec(shape=(None, 2), dtype=float32), TensorSpec(shape=(None,), dtype=int64))
    >>> [xb.shape for xb, yb in ds]
    [(4, 2), (2, 2)]
"""
from .constants import AUTOTUNE, INFINITE, UNKNOWN
from .dataset import Dataset
from .errors import DatasetError
from .iterator import DatasetIterator
from .structure import TensorSpec

__all__ = ["Dataset", "DatasetIterator", "DatasetError", "TensorSpec", "AUTOTUNE", "INFINITE",
           "UNKNOWN"]
