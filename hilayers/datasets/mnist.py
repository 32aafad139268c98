"""The MNIST database of handwritten digits (LeCun, Cortes, Burges).

``load_data(path=None)`` returns ``(x_train, y_train), (x_test, y_test)``: uint8 arrays of
shapes (60000, 28, 28), (60000,), (10000, 28, 28), (10000,), as Keras' loader does.

It looks, in order, at ``path`` (a folder with the four IDX files, gzipped or not, or an
``.npz`` with ``x_train``, ``y_train``, ``x_test``, ``y_test``), the folder named by the
``HILAYERS_DATASETS`` environment variable (``$HILAYERS_DATASETS/mnist`` or the folder
itself), then ``~/.hilayers/datasets/mnist``. Local copies are validated by their format
(magic numbers, counts, shapes), not by checksum, so a user-supplied copy is accepted.

Example:
    >>> (x_train, y_train), (x_test, y_test) = load_data()   # doctest: +SKIP
"""
import os

import numpy as np

from .idx import read_idx

FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
SHAPES = {"x_train": (60000, 28, 28), "y_train": (60000,), "x_test": (10000, 28, 28),
          "y_test": (10000,)}


def _candidates(path):
    if path is not None:
        yield os.fspath(path)
        return
    env = os.environ.get("HILAYERS_DATASETS")
    if env:
        yield os.path.join(env, "mnist")
        yield env
    yield os.path.join(os.path.expanduser("~"), ".hilayers", "datasets", "mnist")


def _find_file(folder, stem):
    for name in (stem + ".gz", stem, stem.replace("-idx", ".idx")):
        full = os.path.join(folder, name)
        if os.path.exists(full):
            return full
    return None


def _load_folder(folder):
    arrays = {}
    for key, stem in FILES.items():
        found = _find_file(folder, stem)
        if found is None:
            return None
        arrays[key] = read_idx(found)
    return arrays


def _load_npz(path):
    with np.load(path, allow_pickle=False) as data:
        missing = [k for k in FILES if k not in data]
        if missing:
            raise ValueError(f"{path!r} lacks arrays {missing}; an MNIST .npz holds x_train, "
                             "y_train, x_test and y_test.")
        return {k: data[k] for k in FILES}


def _validate(arrays, where):
    for key, shape in SHAPES.items():
        arr = arrays[key]
        if arr.shape != shape or arr.dtype != np.uint8:
            raise ValueError(f"MNIST at {where!r}: {key} has shape {arr.shape} and dtype "
                             f"{arr.dtype}; expected {shape} uint8.")
    for key in ("y_train", "y_test"):
        if arrays[key].max() > 9:
            raise ValueError(f"MNIST at {where!r}: {key} holds labels above 9.")
    return arrays


def load_data(path=None):
    """Load MNIST from a local copy (see the module docstring for where it looks).

    Returns:
        ``(x_train, y_train), (x_test, y_test)`` as uint8 arrays.

    Raises:
        FileNotFoundError: listing the places searched when no copy is found.
        ValueError: when a copy is found but is not valid MNIST.
    """
    searched = []
    for place in _candidates(path):
        searched.append(place)
        if os.path.isfile(place) and place.endswith(".npz"):
            arrays = _validate(_load_npz(place), place)
            break
        if os.path.isdir(place):
            arrays = _load_folder(place)
            if arrays is not None:
                arrays = _validate(arrays, place)
                break
    else:
        raise FileNotFoundError(
            "MNIST was not found. Searched: " + ", ".join(searched) + ". Put the four IDX "
            "files (train-images-idx3-ubyte.gz, ...) in one of these folders, set "
            "HILAYERS_DATASETS, or pass load_data(path=...).")
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
