"""Array manipulation: reshape, expand_dims, ... (shape changes without arithmetic).

Example:
    >>> from hilayers import backend as K
    >>> K.reshape(K.placeholder((None, 2, 3)), (-1, 6)).shape
    (None, 6)
"""
from .. import shapes
from ..errors import InvalidArgumentError, ShapeError
from ..op import Op, convert_to_tensor


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


__all__ = ["reshape", "reshape_like", "expand_dims"]
