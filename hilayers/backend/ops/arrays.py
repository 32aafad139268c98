"""Array manipulation and creation: reshape, squeeze, broadcast_to, fill, shape, ...

Shape changes without arithmetic (most kernels return views, hence ``may_alias``) and the
ops that create arrays from a shape. Joining and splitting live in :mod:`.joining`,
indexing and gathering in :mod:`.indexing`.

Example:
    >>> from hilayers import backend as K
    >>> K.reshape(K.placeholder((None, 2, 3)), (-1, 6)).shape
    (None, 6)
"""
from .. import dtypes, shapes
from ..errors import DTypeError, InvalidArgumentError, ShapeError
from ..graph import Tensor
from ..op import Op, convert_to_tensor


def _fmt(shape):
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (
        ",)" if len(shape) == 1 else ")")


class Reshape(Op):
    """``reshape(x, shape)``; ``shape`` may hold one -1, inferred from the size."""

    props = ("shape",)
    may_alias = True

    def infer(self, x):
        target = self.shape
        if sum(1 for d in target if d == -1) > 1:
            raise InvalidArgumentError(f"Reshape: target shape {target} has more than one -1.")
        size = shapes.num_elements(x.shape)
        known = 1
        for d in target:
            if d != -1:
                known *= d
        if -1 in target:
            inferred = None
            if size is not None:
                if known == 0 or size % known:
                    raise ShapeError(f"Reshape: cannot reshape input {x.name!r} of shape "
                                     f"{x.shape} ({size} elements) to {target}.")
                inferred = size // known
            return tuple(inferred if d == -1 else d for d in target), x.dtype
        if size is not None and size != known:
            raise ShapeError(f"Reshape: cannot reshape input {x.name!r} of shape {x.shape} "
                             f"({size} elements) to {target} ({known} elements).")
        return tuple(target), x.dtype

    def grad(self, node, grads):
        return [reshape_like(grads[0], node.inputs[0])]


class ReshapeLike(Op):
    """``reshape_like(x, like)``: reshape ``x`` to ``like``'s (run-time) shape."""

    may_alias = True

    def infer(self, x, like):
        return like.shape, x.dtype

    def grad(self, node, grads):
        return [reshape_like(grads[0], node.inputs[0]), None]


class ExpandDims(Op):
    """Insert a size-1 axis at ``axis``."""

    props = ("axis",)
    may_alias = True

    def infer(self, x):
        shape = list(x.shape)
        shape.insert(self.axis, 1)
        return tuple(shape), x.dtype

    def grad(self, node, grads):
        return [reshape_like(grads[0], node.inputs[0])]


class Squeeze(Op):
    """Remove the size-1 axes listed in ``axis`` (a sorted tuple of non-negative ints)."""

    props = ("axis",)
    may_alias = True

    def infer(self, x):
        for a in self.axis:
            if x.shape[a] not in (1, None):
                raise ShapeError(f"Squeeze: axis {a} of input {x.name!r} (shape "
                                 f"{_fmt(x.shape)}) has size {x.shape[a]}; expected 1.")
        return tuple(d for i, d in enumerate(x.shape) if i not in self.axis), x.dtype

    def grad(self, node, grads):
        return [reshape_like(grads[0], node.inputs[0])]


class BatchFlatten(Op):
    """Reshape to ``(x.shape[0], -1)``: keep the batch axis, flatten the others."""

    may_alias = True

    def infer(self, x):
        if x.ndim < 1:
            raise ShapeError(f"BatchFlatten: input {x.name!r} is a scalar; expected rank >= 1.")
        return (x.shape[0], shapes.num_elements(x.shape[1:])), x.dtype

    def grad(self, node, grads):
        return [reshape_like(grads[0], node.inputs[0])]


class BroadcastTo(Op):
    """Broadcast ``x`` to the static ``shape`` (NumPy rules; ``x`` is never shrunk)."""

    props = ("shape",)
    may_alias = True

    def infer(self, x):
        target = self.shape
        ok = len(target) >= x.ndim and all(
            d is None or d == 1 or d == t
            for d, t in zip(x.shape[::-1], target[::-1]))
        if not ok:
            raise ShapeError(f"BroadcastTo: input {x.name!r} of shape {_fmt(x.shape)} cannot "
                             f"be broadcast to {_fmt(target)}; expected each trailing dim of "
                             "the input to equal the target's or be 1.")
        return target, x.dtype

    def grad(self, node, grads):
        from ..autodiff import sum_to
        return [sum_to(grads[0], node.inputs[0])]


class Fill(Op):
    """A new array of ``shape`` filled with ``value``.

    With no input, ``shape`` is static; with one int vector input, the shape is that
    input's run-time value and ``shape`` holds the static guess (unknown dims None).
    """

    props = ("shape", "value", "dtype")

    def infer(self, *dims):
        if dims and (dims[0].ndim != 1 or not dtypes.is_integer(dims[0].dtype)):
            raise DTypeError(f"Fill: the shape tensor {dims[0].name!r} (shape "
                             f"{_fmt(dims[0].shape)}, dtype {dims[0].dtype.name}) must be a "
                             "1-D integer tensor.")
        return self.shape, self.dtype

    def grad(self, node, grads):
        return [None] * len(node.inputs)


class Shape(Op):
    """The run-time shape of ``x`` as a 1-D int32 tensor. Not differentiable."""

    differentiable = False

    def infer(self, x):
        return (x.ndim,), dtypes.as_dtype("int32")


def reshape(x, shape, name=None):
    """Reshape ``x`` to ``shape`` (one entry may be -1)."""
    x = convert_to_tensor(x)
    shape = tuple(int(d) for d in ((shape,) if isinstance(shape, int) else shape))
    if any(d < -1 for d in shape):
        raise InvalidArgumentError(f"Reshape: target shape {shape} has a negative dim other "
                                   "than -1.")
    return Reshape(shape=shape)(x, name=name)


def reshape_like(x, like, name=None):
    """Reshape ``x`` to the run-time shape of ``like``."""
    if x.shape == like.shape and shapes.is_fully_defined(x.shape):
        return x
    return ReshapeLike()(x, like, name=name)


def expand_dims(x, axis, name=None):
    """Insert a size-1 axis at ``axis`` (negative counts from the end of the result)."""
    x = convert_to_tensor(x)
    ndim = x.ndim + 1
    if not -ndim <= axis < ndim:
        raise InvalidArgumentError(f"ExpandDims: axis {axis} is out of range for an input of "
                                   f"rank {x.ndim}; expected an axis in [{-ndim}, {ndim - 1}].")
    return ExpandDims(axis=axis % ndim)(x, name=name)


def squeeze(x, axis=None, name=None):
    """Remove size-1 axes: those in ``axis`` (an int or a tuple), or all of them when None.

    Raises:
        ShapeError: naming ``Squeeze`` when a listed axis has a known size other than 1, or
            when ``axis`` is None and some dim is unknown (the result's rank would be
            unknown; list the axes instead).
    """
    x = convert_to_tensor(x)
    if axis is None:
        if not shapes.is_fully_defined(x.shape):
            raise ShapeError(f"Squeeze: axis=None needs every dim known to find the size-1 "
                             f"axes; input {x.name!r} has shape {_fmt(x.shape)}. Pass the "
                             "axes to remove.")
        axes = tuple(i for i, d in enumerate(x.shape) if d == 1)
    else:
        axes = shapes.normalize_axis("Squeeze", axis, x.ndim)
    if not axes:
        return x
    return Squeeze(axis=axes)(x, name=name)


def flatten(x, name=None):
    """Reshape ``x`` to 1-D."""
    return reshape(x, (-1,), name=name)


def batch_flatten(x, name=None):
    """Reshape ``x`` of shape ``(n, d1, d2, ...)`` to ``(n, d1 * d2 * ...)``."""
    return BatchFlatten()(convert_to_tensor(x), name=name)


def broadcast_to(x, shape, name=None):
    """Broadcast ``x`` to ``shape`` (a tuple of ints) with NumPy rules.

    Raises:
        ShapeError: naming ``BroadcastTo`` when ``x``'s shape does not broadcast to it.
    """
    x = convert_to_tensor(x)
    target = shapes.as_shape(shape)
    if None in target:
        raise InvalidArgumentError(f"BroadcastTo: target shape {_fmt(target)} must be fully "
                                   "known; use broadcast_like() for a run-time shape.")
    return BroadcastTo(shape=target)(x, name=name)


def fill(shape, value, dtype=None, name=None):
    """A tensor of ``shape`` with every element ``value``.

    Args:
        shape: a tuple of ints, or a 1-D int tensor (e.g. ``shape(x)``) for a run-time shape.
        value: a Python number.
        dtype: default floatx.
    """
    dtype = dtypes.as_dtype(dtype)
    try:
        if isinstance(value, (Tensor, str, bytes)):
            raise TypeError
        value = dtype.type(value).item()
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"Fill: value must be a number; received {value!r}.") from None
    if isinstance(shape, Tensor):
        if shape.ndim != 1 or shape.shape[0] is None:
            raise ShapeError(f"Fill: the shape tensor {shape.name!r} has shape "
                             f"{_fmt(shape.shape)}; expected a 1-D tensor of known length.")
        static = (None,) * shape.shape[0]
        if isinstance(shape.op, Shape):   # fill(shape(x), v): x's static shape is known
            static = shape.node.inputs[0].shape
        op = Fill(shape=static, value=value, dtype=dtype)
        return op(shape, name=name)
    shape = shapes.as_shape(shape)
    if None in shape:
        raise InvalidArgumentError(f"Fill: shape {_fmt(shape)} must be fully known; pass a "
                                   "shape tensor for a run-time shape.")
    return Fill(shape=shape, value=value, dtype=dtype)(name=name)


def zeros(shape, dtype=None, name=None):
    """A tensor of zeros of ``shape`` (a tuple or a 1-D int tensor); dtype default floatx."""
    return fill(shape, 0, dtype=dtype, name=name)


def ones(shape, dtype=None, name=None):
    """A tensor of ones of ``shape`` (a tuple or a 1-D int tensor); dtype default floatx."""
    return fill(shape, 1, dtype=dtype, name=name)


def shape(x, name=None):
    """The run-time shape of ``x`` as a 1-D int32 tensor (not differentiable)."""
    return Shape()(convert_to_tensor(x), name=name)


__all__ = ["reshape", "reshape_like", "expand_dims", "squeeze", "flatten", "batch_flatten",
           "broadcast_to", "fill", "zeros", "ones", "shape"]
