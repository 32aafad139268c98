"""Sources: datasets that read no other dataset (slices, one element, a generator, a range).

Every element a source yields is fresh: arrays are copies, so a ``map`` that writes into its
arguments cannot change the source's data or the next pass.

Example:
    >>> from hilayers.data import Dataset
    >>> Dataset.from_tensor_slices({"a": [[1, 2], [3, 4]]}).element_spec
    {'a': TensorSpec(shape=(2,), dtype=int64)}
"""
import numpy as np

from .constants import UNKNOWN
from .dataset import Dataset
from .structure import (TensorSpec, check_against_spec, flatten, format_shape, map_structure,
                        normalize, packer, spec_of)


class TensorSlicesDataset(Dataset):
    """``Dataset.from_tensor_slices``: row ``i`` of every leaf makes element ``i``."""

    def __init__(self, tensors):
        element = normalize(tensors, "from_tensor_slices()")
        leaves = flatten(element)
        for leaf in leaves:
            if leaf.ndim == 0:
                raise ValueError("from_tensor_slices() slices along the first axis, so every "
                                 "leaf needs one; received a scalar. Use from_tensors() for "
                                 "a single element.")
        lengths = sorted({len(leaf) for leaf in leaves})
        if len(lengths) > 1:
            shapes = ", ".join(format_shape(leaf.shape) for leaf in leaves)
            raise ValueError(f"from_tensor_slices() needs leaves with the same first "
                             f"dimension; received shapes {shapes}.")
        self._structure, self._leaves = element, leaves
        self._length = lengths[0] if lengths else 0

    def _iterate(self, context):
        leaves, pack = self._leaves, packer(self._structure)
        if len(leaves) == 1 and not isinstance(self._structure, (tuple, dict)):
            leaf = leaves[0]
            return (np.array(leaf[i, ...]) for i in range(self._length))
        return (pack([np.array(leaf[i, ...]) for leaf in leaves]) for i in range(self._length))

    def _compute_spec(self):
        return map_structure(lambda a: TensorSpec(a.shape[1:], a.dtype), self._structure)

    def _cardinality(self):
        return self._length


class TensorsDataset(Dataset):
    """``Dataset.from_tensors``: one element."""

    def __init__(self, tensors):
        self._element = normalize(tensors, "from_tensors()")

    def _iterate(self, context):
        yield map_structure(np.array, self._element)

    def _compute_spec(self):
        return spec_of(self._element)

    def _cardinality(self):
        return 1


class RangeDataset(Dataset):
    """``Dataset.range``: 0-d arrays, like Python's ``range``."""

    def __init__(self, *args, dtype="int64"):
        if not 1 <= len(args) <= 3 or any(isinstance(a, bool) or not hasattr(a, "__index__")
                                          for a in args):
            raise ValueError(f"range() takes 1 to 3 ints (stop | start, stop[, step]); "
                             f"received {args!r}.")
        self._range = range(*[int(a) for a in args])
        self._dtype = np.dtype(dtype)

    def _iterate(self, context):
        dtype = self._dtype
        return (np.array(v, dtype=dtype) for v in self._range)

    def _compute_spec(self):
        return TensorSpec((), self._dtype)

    def _cardinality(self):
        return len(self._range)


class GeneratorDataset(Dataset):
    """``Dataset.from_generator``: elements from ``generator(*args)``, checked one by one."""

    def __init__(self, generator, output_signature, args=()):
        if not callable(generator):
            hint = (" Pass the generator function, not a generator object (which could be "
                    "iterated only once)." if hasattr(generator, "__next__") else "")
            raise TypeError(f"from_generator() needs a callable that returns an iterable; "
                            f"received {type(generator).__name__}.{hint}")
        if output_signature is None:
            raise TypeError("from_generator() needs output_signature=, a TensorSpec (or a "
                            "tuple / dict of them) describing each element.")
        signature = _as_signature(output_signature)
        self._generator, self._signature = generator, signature
        self._args = tuple(args) if isinstance(args, (tuple, list)) else (args,)

    def _iterate(self, context):
        source = iter(self._generator(*self._args))
        try:
            for index, value in enumerate(source):
                yield check_against_spec(value, self._signature,
                                         f"from_generator(): element {index}")
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    def _compute_spec(self):
        return self._signature

    def _cardinality(self):
        return UNKNOWN


def _as_signature(signature):
    """``signature`` with lists read as tuples; every leaf must be a :class:`TensorSpec`."""
    if isinstance(signature, dict):
        return type(signature)((k, _as_signature(v)) for k, v in signature.items())
    if isinstance(signature, (tuple, list)):
        items = [_as_signature(v) for v in signature]
        return (type(signature)(*items) if hasattr(signature, "_fields")
                else tuple(items))
    if not isinstance(signature, TensorSpec):
        raise TypeError(f"output_signature leaves must be TensorSpec(shape, dtype); received "
                        f"{type(signature).__name__} ({signature!r}).")
    return signature
