"""``batch``, ``padded_batch`` and ``unbatch``.

A batch stacks consecutive elements leaf by leaf: elements ``(x_i, y_i)`` of shapes
``((28, 28), ())`` make a batch ``(X, Y)`` of shapes ``((b, 28, 28), (b,))``.

Example:
    >>> from hilayers.data import Dataset
    >>> ds = Dataset.range(5).map(lambda v: {"v": v, "sq": v * v})
    >>> [b["sq"].tolist() for b in ds.batch(2, drop_remainder=True)]
    [[0, 1], [4, 9]]
"""
import itertools

import numpy as np

from .constants import INFINITE, UNKNOWN, check_count
from .dataset import UnaryDataset
from .iterator import closing
from .structure import (TensorSpec, assert_same_structure, batched_spec, flatten, format_shape,
                        is_structure, pack_like, packer, unbatched_spec)


def _batch_cardinality(n, size, drop_remainder):
    if n < 0:
        return n
    return n // size if drop_remainder else -(-n // size)


def _check_same_structure(elements):
    first = elements[0]
    if is_structure(first):
        for element in elements[1:]:
            assert_same_structure(first, element)


class BatchDataset(UnaryDataset):
    """``Dataset.batch``."""

    def __init__(self, input_dataset, batch_size, drop_remainder=False):
        super().__init__(input_dataset)
        self._size = check_count(batch_size, "batch(): batch_size", minimum=1)
        self._drop = bool(drop_remainder)

    def _iterate(self, context):
        with closing(self._input._iterate(context)) as upstream:
            while True:
                elements = list(itertools.islice(upstream, self._size))
                if not elements or (self._drop and len(elements) < self._size):
                    return
                yield stack_elements(elements)

    def _compute_spec(self):
        return batched_spec(self._input.element_spec, self._size if self._drop else None)

    def _cardinality(self):
        return _batch_cardinality(self._input.cardinality(), self._size, self._drop)


def stack_elements(elements):
    """One batch from a list of elements of the same structure and shapes.

    Raises:
        ValueError: when structures or a leaf's shapes differ, naming the shapes.
    """
    _check_same_structure(elements)
    columns = zip(*[flatten(element) for element in elements])
    stacked = []
    for column in columns:
        try:
            stacked.append(np.stack(column))
        except ValueError as exc:
            shapes = sorted({format_shape(a.shape) for a in column})
            raise ValueError(f"batch() needs elements of one shape per leaf; this batch has "
                             f"shapes {', '.join(shapes)}. Use padded_batch() for elements "
                             "of varying shapes.") from exc
    return packer(elements[0])(stacked)


class PaddedBatchDataset(UnaryDataset):
    """``Dataset.padded_batch``: each leaf padded at the end of each axis, then stacked."""

    def __init__(self, input_dataset, batch_size, padded_shapes=None, padding_values=None,
                 drop_remainder=False):
        super().__init__(input_dataset)
        self._size = check_count(batch_size, "padded_batch(): batch_size", minimum=1)
        self._drop = bool(drop_remainder)
        self._shapes = None if padded_shapes is None else _as_shapes(padded_shapes)
        self._values = padding_values

    def _iterate(self, context):
        with closing(self._input._iterate(context)) as upstream:
            while True:
                elements = list(itertools.islice(upstream, self._size))
                if not elements or (self._drop and len(elements) < self._size):
                    return
                yield self._pad_and_stack(elements)

    def _per_leaf(self, template, option, what):
        """``option`` (None, one value, or a nest like ``template``) as a list per leaf."""
        count = len(flatten(template))
        if option is None or not is_structure(option):
            return [option] * count
        try:
            assert_same_structure(template, option)
        except ValueError as exc:
            raise ValueError(f"padded_batch(): {what} must have the element's structure; "
                             f"{exc}") from exc
        return flatten(option)

    def _pad_and_stack(self, elements):
        _check_same_structure(elements)
        template = elements[0]
        shapes = self._per_leaf(template, self._shapes, "padded_shapes")
        values = self._per_leaf(template, self._values, "padding_values")
        columns = zip(*[flatten(element) for element in elements])
        stacked = [_pad_column(list(column), shape, value, position)
                   for position, (column, shape, value) in enumerate(zip(columns, shapes,
                                                                         values))]
        return pack_like(template, stacked)

    def _compute_spec(self):
        # Axes padded to the largest in the batch are None: they vary from batch to batch
        # (and the input's spec may come from one element only, after a map).
        spec = self._input.element_spec
        shapes = self._per_leaf(spec, self._shapes, "padded_shapes")
        leaves = []
        for leaf, shape in zip(flatten(spec), shapes):
            if shape is None:
                shape = None if leaf.shape is None else [None] * len(leaf.shape)
            leaves.append(TensorSpec(shape, leaf.dtype))
        return batched_spec(pack_like(spec, leaves), self._size if self._drop else None)

    def _cardinality(self):
        return _batch_cardinality(self._input.cardinality(), self._size, self._drop)


def _as_shapes(padded_shapes):
    """Nested shapes with -1 read as None; lists of dims are shapes, tuples of shapes nest."""
    if isinstance(padded_shapes, dict):
        return type(padded_shapes)((k, _as_shapes(v)) for k, v in padded_shapes.items())
    if isinstance(padded_shapes, tuple) and any(isinstance(v, (tuple, list, dict))
                                                for v in padded_shapes):
        return tuple(_as_shapes(v) for v in padded_shapes)
    if not isinstance(padded_shapes, (tuple, list)):
        raise ValueError(f"padded_batch(): a padded shape must be a tuple or list of ints / "
                         f"None; received {padded_shapes!r}.")
    return [None if d is None or d == -1 else check_count(d, "padded_batch(): a dimension")
            for d in padded_shapes]


def _pad_column(arrays, shape, value, position):
    ranks = {a.ndim for a in arrays}
    if len(ranks) > 1:
        raise ValueError(f"padded_batch(): leaf {position} has elements of different ranks "
                         f"{sorted(ranks)}; padding needs one rank.")
    rank = ranks.pop()
    largest = [max(a.shape[axis] for a in arrays) for axis in range(rank)]
    if shape is None:
        target = largest
    else:
        if len(shape) != rank:
            raise ValueError(f"padded_batch(): padded shape {format_shape(tuple(shape))} for "
                             f"leaf {position} has rank {len(shape)}; its elements have rank "
                             f"{rank}.")
        target = [big if want is None else want for want, big in zip(shape, largest)]
        too_big = [a.shape for a in arrays if any(s > t for s, t in zip(a.shape, target))]
        if too_big:
            raise ValueError(f"padded_batch(): leaf {position} has an element of shape "
                             f"{format_shape(too_big[0])}, larger than the padded shape "
                             f"{format_shape(tuple(target))}.")
    dtype = np.result_type(*arrays)
    if value is None:
        value = "" if dtype.kind in "US" else False if dtype.kind == "b" else 0
    out = np.full([len(arrays)] + target, value, dtype=dtype)
    for row, a in enumerate(arrays):
        out[(row,) + tuple(slice(0, s) for s in a.shape)] = a
    return out


class UnbatchDataset(UnaryDataset):
    """``Dataset.unbatch``: row ``i`` of every leaf makes one element."""

    def _iterate(self, context):
        with closing(self._input._iterate(context)) as upstream:
            for element in upstream:
                leaves = flatten(element)
                if any(leaf.ndim == 0 for leaf in leaves):
                    raise ValueError("unbatch() needs every leaf to have a first axis; "
                                     "received a scalar leaf.")
                lengths = {len(leaf) for leaf in leaves}
                if len(lengths) > 1:
                    shapes = ", ".join(format_shape(leaf.shape) for leaf in leaves)
                    raise ValueError(f"unbatch() needs leaves with the same first dimension; "
                                     f"received shapes {shapes}.")
                pack = packer(element)
                for i in range(lengths.pop() if lengths else 0):
                    yield pack([leaf[i, ...] for leaf in leaves])

    def _compute_spec(self):
        return unbatched_spec(self._input.element_spec)

    def _cardinality(self):
        return INFINITE if self._input.cardinality() == INFINITE else UNKNOWN

