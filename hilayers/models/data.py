"""Turning what users pass to ``fit`` / ``evaluate`` / ``predict`` into aligned arrays.

``x`` and ``y`` may be one NumPy array, a list of arrays (one per model input / output), or a
dict keyed by input / output name. Every array must have the same number of samples.
"""
import numpy as np

from ..utils import nest


def to_array_list(data, names, what, model_name):
    """Return ``data`` as a list of arrays in the order of ``names``.

    Raises:
        ValueError: when a dict misses a name, or the number of arrays differs from the
            number of model inputs / outputs.
    """
    if data is None:
        return None
    if isinstance(data, dict):
        missing = [n for n in names if n not in data]
        if missing:
            raise ValueError(f"{what} is a dict with keys {sorted(data)}, but model "
                             f"{model_name!r} has {what} named {names}; missing {missing}.")
        arrays = [data[n] for n in names]
    elif isinstance(data, (list, tuple)) and len(names) > 1:
        arrays = list(data)
    elif isinstance(data, (list, tuple)) and data and all(
            hasattr(d, "shape") for d in data) and len(data) == 1:
        arrays = list(data)
    else:
        arrays = [data]
    arrays = [np.asarray(a) for a in arrays]
    if len(arrays) != len(names):
        raise ValueError(f"Model {model_name!r} has {len(names)} {what} ({names}); received "
                         f"{len(arrays)} arrays.")
    for name, a in zip(names, arrays):
        if a.ndim == 0:
            raise ValueError(f"{what} for {name!r} is a scalar; expected an array with one "
                             "row per sample.")
    return arrays


def num_samples(*array_lists):
    """The common first dimension of all arrays, or raise naming the mismatch."""
    sizes = {}
    for label, arrays in array_lists:
        for i, a in enumerate(arrays or []):
            sizes[f"{label}[{i}]" if len(arrays) > 1 else label] = len(a)
    distinct = set(sizes.values())
    if len(distinct) > 1:
        listed = ", ".join(f"{k} has {v}" for k, v in sizes.items())
        raise ValueError(f"Data cardinality is ambiguous: {listed} samples. Make sure all "
                         "arrays contain the same number of samples.")
    return distinct.pop() if distinct else 0


def split_validation(arrays_by_role, fraction):
    """Keras' ``validation_split``: the *last* ``fraction`` of the samples, before shuffling."""
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"validation_split must be in (0, 1); received {fraction}.")
    n = num_samples(*[(k, v) for k, v in arrays_by_role.items() if v is not None])
    cut = int(n * (1.0 - fraction))
    if cut == 0 or cut == n:
        raise ValueError(f"validation_split={fraction} of {n} samples leaves an empty "
                         "training or validation set.")
    train = {k: None if v is None else [a[:cut] for a in v] for k, v in arrays_by_role.items()}
    val = {k: None if v is None else [a[cut:] for a in v] for k, v in arrays_by_role.items()}
    return train, val


def class_weights_to_sample_weights(y, class_weight):
    """Per-sample weights from a ``{class: weight}`` dict (labels or one-hot targets)."""
    y = np.asarray(y)
    labels = y.argmax(axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(len(y), -1)[:, 0]
    labels = np.rint(labels).astype(np.int64)
    unknown = sorted(set(np.unique(labels).tolist()) - set(int(k) for k in class_weight))
    if unknown:
        raise ValueError(f"class_weight has no weight for classes {unknown}; it holds "
                         f"{sorted(class_weight)}.")
    table = {int(k): float(v) for k, v in class_weight.items()}
    return np.array([table[int(c)] for c in labels], dtype=np.float32)


def batches(n, batch_size, shuffle, rng):
    """Index arrays of consecutive batches over ``n`` samples (last one may be smaller)."""
    order = rng.permutation(n) if shuffle else np.arange(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def take(arrays, index):
    return [a[index] for a in arrays] if arrays is not None else None


def flat(structure):
    return nest.flatten(structure)
