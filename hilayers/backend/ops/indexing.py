"""Indexing: ``t[key]`` (:func:`getitem`), ``slice``, ``gather`` and ``one_hot``.

``getitem`` supports NumPy basic indexing (ints, slices with steps, ``None``, ``...``) and
one integer-array index (a list, a NumPy int array or an int tensor), which gathers along its
axis; with an array index the other entries may be slices, None and ``...`` but not ints.

Basic indexing builds one :class:`StridedSlice` node whose gradient is :class:`SliceGrad`,
the output gradient scattered into zeros of the input's shape; the gradient of
``SliceGrad`` with respect to its gradient input is the slice again, so second derivatives
work.

Example:
    >>> from hilayers import backend as K
    >>> x = K.placeholder((None, 4, 5))
    >>> x[:, 1, ::-2].shape
    (None, 3)
"""
import builtins
import numbers

import numpy as np

from .. import dtypes, shapes
from ..errors import DTypeError, InvalidArgumentError, ShapeError
from ..graph import Tensor
from ..op import Op, convert_to_tensor


class IndexingError(InvalidArgumentError, IndexError):
    """An index is out of range or of an unsupported kind (also an ``IndexError``)."""


def _fmt(shape):
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (
        ",)" if len(shape) == 1 else ")")


def _slice_length(dim, start, stop, step):
    """Static length of ``[start:stop:step]`` on an axis of size ``dim`` (None: unknown)."""
    if dim is not None:
        return len(range(*builtins.slice(start, stop, step).indices(dim)))
    # Unknown size: the length is known only when the slice is empty whatever the size.
    if start is not None and stop is not None and (start < 0) == (stop < 0):
        if (step > 0 and stop <= start) or (step < 0 and stop >= start):
            return 0
    return None


class StridedSlice(Op):
    """Basic indexing ``x[key]``.

    ``key`` is a tuple of entries ``("i", index)``, ``("s", start, stop, step)`` and
    ``("n",)`` (new axis), one per consumed axis; trailing axes are kept whole.
    """

    props = ("key",)
    may_alias = True

    def infer(self, x):
        out, axis = [], 0
        for entry in self.key:
            if entry[0] == "n":
                out.append(1)
                continue
            if axis >= x.ndim:
                raise IndexingError(f"StridedSlice: key {self.key} indexes more axes than "
                                    f"input {x.name!r} of shape {_fmt(x.shape)} has.")
            if entry[0] == "s":
                out.append(_slice_length(x.shape[axis], *entry[1:]))
            axis += 1
        return tuple(out) + tuple(x.shape[axis:]), x.dtype

    def grad(self, node, grads):
        return [SliceGrad(key=self.key)(grads[0], node.inputs[0])]


class SliceGrad(Op):
    """Zeros of ``x``'s shape with ``g`` written at ``x[key]`` (the adjoint of a slice)."""

    props = ("key",)

    def infer(self, g, x):
        return x.shape, g.dtype

    def grad(self, node, grads):
        return [StridedSlice(key=self.key)(grads[0]), None]


class Slice(Op):
    """``x[begin[i] : begin[i] + size[i]]`` on every axis ``i`` (size -1: to the end)."""

    props = ("begin", "size")
    may_alias = True

    def infer(self, x):
        if len(self.begin) != x.ndim or len(self.size) != x.ndim:
            raise InvalidArgumentError(
                f"Slice: begin {list(self.begin)} and size {list(self.size)} must have one "
                f"entry per axis of input {x.name!r} (rank {x.ndim}).")
        out = []
        for i, (d, b, s) in enumerate(zip(x.shape, self.begin, self.size)):
            end = b + s if s != -1 else d
            if d is not None and (b > d or (s != -1 and end > d)):
                raise ShapeError(
                    f"Slice: begin {list(self.begin)} with size {list(self.size)} goes past "
                    f"axis {i} of input {x.name!r} (shape {_fmt(x.shape)}).")
            out.append(s if s != -1 else (None if d is None else d - b))
        return tuple(out), x.dtype

    def key(self):
        return tuple(("s", b, None if s == -1 else b + s, 1)
                     for b, s in zip(self.begin, self.size))

    def grad(self, node, grads):
        return [SliceGrad(key=self.key())(grads[0], node.inputs[0])]


class Gather(Op):
    """``params`` indexed by the int tensor ``indices`` along ``axis``: the result's shape is
    ``params.shape[:axis] + indices.shape + params.shape[axis + 1:]``."""

    props = ("axis",)

    def infer(self, params, indices):
        _check_indices("Gather", indices)
        if not 0 <= self.axis < params.ndim:
            raise InvalidArgumentError(f"Gather: axis {self.axis} is out of range for params "
                                       f"{params.name!r} of rank {params.ndim}.")
        shape = params.shape[:self.axis] + indices.shape + params.shape[self.axis + 1:]
        return shape, params.dtype

    def grad(self, node, grads):
        params, indices = node.inputs
        return [GatherGrad(axis=self.axis)(grads[0], indices, params), None]


class GatherGrad(Op):
    """Scatter-add of ``g`` into zeros of ``params``' shape at ``indices`` along ``axis``
    (repeated indices accumulate): the adjoint of :class:`Gather`."""

    props = ("axis",)

    def infer(self, g, indices, params):
        return params.shape, g.dtype

    def grad(self, node, grads):
        return [Gather(axis=self.axis)(grads[0], node.inputs[1]), None, None]


class OneHot(Op):
    """``y[..., k] = (indices[...] == k)`` for ``k < depth``; out-of-range rows are zeros."""

    props = ("depth", "dtype")

    def infer(self, indices):
        _check_indices("OneHot", indices)
        return indices.shape + (self.depth,), self.dtype

    def grad(self, node, grads):
        return [None]


def _check_indices(op_name, indices):
    if not dtypes.is_integer(indices.dtype):
        raise DTypeError(f"{op_name}: indices {indices.name!r} have dtype "
                         f"{indices.dtype.name}; expected an integer dtype (int32 or int64).")


def slice(x, begin, size, name=None):  # noqa: A001  (the TensorFlow name)
    """``x[begin[0]:begin[0] + size[0], begin[1]:...]``: one (begin, size) per axis.

    Args:
        begin: non-negative ints, one per axis.
        size: ints, one per axis; -1 takes everything from ``begin`` to the end.

    Raises:
        ShapeError: naming ``Slice`` when the window goes past a known dim.
    """
    x = convert_to_tensor(x)
    begin = tuple(int(b) for b in begin)
    size = tuple(int(s) for s in size)
    if any(b < 0 for b in begin) or any(s < -1 for s in size):
        raise InvalidArgumentError(f"Slice: begin {list(begin)} must be >= 0 and size "
                                   f"{list(size)} >= 0 or -1.")
    return Slice(begin=begin, size=size)(x, name=name)


def gather(params, indices, axis=0, name=None):
    """Take the slices of ``params`` at ``indices`` (ints; negative counts from the end)
    along ``axis``, as NumPy's ``take``.

    The gradient scatter-adds into zeros of ``params``' shape (repeated indices add up).

    Raises:
        DTypeError: naming ``Gather`` when ``indices`` are not integers.
    """
    params = convert_to_tensor(params)
    if not isinstance(indices, Tensor):
        indices = np.asarray(indices)
        if indices.dtype.kind not in "iu":
            raise DTypeError(f"Gather: indices {indices!r} have dtype {indices.dtype}; expected "
                             "integers.")
        indices = convert_to_tensor(indices, graph=params.graph)
    (axis,) = shapes.normalize_axis("Gather", axis, params.ndim)
    return Gather(axis=axis)(params, indices, name=name)


def one_hot(indices, depth, dtype=None, name=None):
    """One-hot encoding on a new last axis of size ``depth`` (dtype default floatx).

    Indices outside ``[0, depth)`` give rows of zeros.
    """
    indices = convert_to_tensor(indices)
    if not hasattr(depth, "__index__") or int(depth) < 0:
        raise InvalidArgumentError(f"OneHot: depth must be an int >= 0; received {depth!r}.")
    return OneHot(depth=int(depth), dtype=dtypes.as_dtype(dtype))(indices, name=name)


# -- getitem ----------------------------------------------------------------------------------

def _is_int(k):
    return isinstance(k, numbers.Integral) and not isinstance(k, bool) or (
        isinstance(k, np.ndarray) and k.ndim == 0 and k.dtype.kind in "iu")


def _as_advanced(k, x, key):
    """Return ``k`` as an int tensor if it is an array index, else None."""
    if isinstance(k, Tensor):
        if not dtypes.is_integer(k.dtype):
            raise IndexingError(f"getitem: tensor index {k.name!r} has dtype {k.dtype.name} "
                                f"(key {key!r}, input shape {_fmt(x.shape)}); only integer "
                                "index tensors are supported (no boolean masks).")
        return k
    if isinstance(k, (list, np.ndarray)) and not _is_int(k):
        arr = np.asarray(k)
        if arr.size == 0:
            arr = arr.astype(np.int64)
        elif arr.dtype.kind not in "iu":
            raise IndexingError(
                f"getitem: array index {k!r} has dtype {arr.dtype} (key {key!r}, input shape "
                f"{_fmt(x.shape)}); only integer arrays are supported (no boolean masks or "
                "floats).")
        return arr
    return None


def _check_int(i, dim, axis, key, shape):
    if dim is not None and not -dim <= i < dim:
        raise IndexingError(f"getitem: index {i} is out of range for axis {axis} of size {dim} "
                            f"(key {key!r}, input shape {_fmt(shape)}).")


def _advanced(x, entries, key, name):
    """One array index: basic indexing of the other entries (slices, None, ...; no ints,
    whose NumPy semantics with an array index differ), then a gather along the array's axis
    of the result."""
    positions = [i for i, (kind, _) in enumerate(entries) if kind == "a"]
    if len(positions) > 1:
        raise IndexingError(f"getitem: key {key!r} holds {len(positions)} array indices (input "
                            f"shape {_fmt(x.shape)}); at most one is supported.")
    pos = positions[0]
    for kind, k in entries:
        if kind == "k" and k is not None and not isinstance(k, builtins.slice):
            raise IndexingError(
                f"getitem: key {key!r} mixes an array index with the int {k!r} (input shape "
                f"{_fmt(x.shape)}); with an array index, the other entries must be slices, "
                "None or '...'. Index the int first: x[i][...].")
    consumed = sum(1 for kind, k in entries if kind == "a" or (kind == "k" and k is not None))
    if consumed > x.ndim:
        raise IndexingError(f"getitem: key {key!r} has {consumed} indices for input shape "
                            f"{_fmt(x.shape)} (rank {x.ndim}); too many indices.")
    in_axis = out_axis = 0
    for kind, k in entries[:pos]:
        if kind == "e":
            in_axis += x.ndim - consumed
            out_axis += x.ndim - consumed
        else:
            in_axis += k is not None
            out_axis += 1
    indices = entries[pos][1]
    if isinstance(indices, np.ndarray):
        dim = x.shape[in_axis]
        if indices.size and dim is not None and (indices.min() < -dim or indices.max() >= dim):
            bad = indices[(indices < -dim) | (indices >= dim)].reshape(-1)[0]
            raise IndexingError(f"getitem: index {bad} is out of range for axis {in_axis} of "
                                f"size {dim} (key {key!r}, input shape {_fmt(x.shape)}).")
    basic = tuple(builtins.slice(None) if i == pos else (Ellipsis if kind == "e" else k)
                  for i, (kind, k) in enumerate(entries))
    return gather(getitem(x, basic), indices, axis=out_axis, name=name)


def getitem(x, key, name=None):
    """``x[key]`` with NumPy semantics for the supported keys (what ``t[...]`` calls).

    Supported: ints (negative count from the end), slices with any step (also negative),
    ``None`` (new axis), ``...``, and one integer-array index (list, NumPy array, int tensor)
    gathering along its axis, the other entries then being slices, None or ``...`` (no ints).

    Raises:
        IndexingError (an InvalidArgumentError and IndexError): naming ``getitem``, the key
            and the input shape, for an int out of range on a known axis, too many indices,
            floats, boolean masks, several array indices or tensors inside slices.
    """
    x = convert_to_tensor(x)
    items = key if isinstance(key, tuple) else (key,)
    entries = []
    for k in items:
        if k is Ellipsis:
            entries.append(("e", k))
            continue
        adv = _as_advanced(k, x, key)
        if adv is not None:
            entries.append(("a", adv))
        elif k is None or _is_int(k) or isinstance(k, builtins.slice):
            entries.append(("k", k))
        else:
            raise IndexingError(f"getitem: unsupported index {k!r} of type {type(k).__name__} "
                                f"in key {key!r} (input shape {_fmt(x.shape)}); expected ints, "
                                "slices, None, ..., or one integer array.")
    if sum(1 for kind, _ in entries if kind == "e") > 1:
        raise IndexingError(f"getitem: key {key!r} holds more than one '...'.")
    if any(kind == "a" for kind, _ in entries):
        return _advanced(x, entries, key, name)

    consumed = sum(1 for kind, k in entries if kind == "k" and k is not None)
    if consumed > x.ndim:
        raise IndexingError(f"getitem: key {key!r} has {consumed} indices for input shape "
                            f"{_fmt(x.shape)} (rank {x.ndim}); too many indices.")
    canon, axis = [], 0
    for kind, k in entries:
        if kind == "e":
            for _ in range(x.ndim - consumed):
                canon.append(("s", None, None, 1))
                axis += 1
        elif k is None:
            canon.append(("n",))
        elif isinstance(k, builtins.slice):
            parts = []
            for part in (k.start, k.stop, k.step):
                if part is not None and not _is_int(part):
                    raise IndexingError(f"getitem: slice {k!r} in key {key!r} (input shape "
                                        f"{_fmt(x.shape)}) must hold ints or None.")
                parts.append(None if part is None else int(part))
            step = 1 if parts[2] is None else parts[2]
            if step == 0:
                raise IndexingError(f"getitem: slice {k!r} in key {key!r} has step 0.")
            canon.append(("s", parts[0], parts[1], step))
            axis += 1
        else:
            i, dim = int(k), x.shape[axis]
            _check_int(i, dim, axis, key, x.shape)
            canon.append(("i", i % dim if dim is not None else i))
            axis += 1
    while canon and canon[-1] == ("s", None, None, 1):
        canon.pop()
    if not canon:
        return x
    return StridedSlice(key=tuple(canon))(x, name=name)


__all__ = ["slice", "gather", "one_hot", "getitem"]
