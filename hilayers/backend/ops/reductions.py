"""Reductions over an int or a tuple of (negative) axes, with ``keepdims``.

Example:
    >>> from hilayers import backend as K
    >>> K.Session().run(K.sum([[1.0, 2.0], [3.0, 4.0]], axis=1))
    array([3., 7.], dtype=float32)
"""
from .. import dtypes, shapes
from ..errors import DTypeError
from ..op import Op, convert_to_tensor


class Reduce(Op):
    """Base of reductions: ``axis`` is a sorted tuple of non-negative ints."""

    props = ("axis", "keepdims")

    def infer(self, x):
        for a in self.axis:
            if a >= x.ndim:
                raise shapes.InvalidArgumentError(
                    f"{type(self).__name__}: axis {a} is out of range for input {x.name!r} of "
                    f"rank {x.ndim}.")
        return reduced_shape(x.shape, self.axis, self.keepdims), x.dtype

    def expand_back(self, g, x):
        """Reshape a reduced gradient so that it broadcasts against ``x``."""
        if self.keepdims or not self.axis:
            return g
        from .arrays import expand_dims
        for a in self.axis:
            g = expand_dims(g, a)
        return g


def reduced_shape(shape, axis, keepdims):
    if keepdims:
        return tuple(1 if i in axis else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axis)


class Sum(Reduce):
    """``sum(x, axis)``."""

    def grad(self, node, grads):
        from .elementwise import broadcast_like
        x = node.inputs[0]
        return [broadcast_like(self.expand_back(grads[0], x), x)]


class Mean(Reduce):
    """``mean(x, axis)``; the gradient divides by the number of reduced elements."""

    def infer(self, x):
        if not dtypes.is_floating(x.dtype):
            raise DTypeError(f"Mean: input {x.name!r} has dtype {x.dtype.name}; expected a "
                             "float dtype. Use cast() first.")
        return super().infer(x)

    def grad(self, node, grads):
        from .elementwise import broadcast_like, divide
        x = node.inputs[0]
        y = node.outputs[0]
        g = broadcast_like(self.expand_back(grads[0], x), x)
        return [divide(g, count_ratio(x, y))]


class CountRatio(Op):
    """Number of elements of ``x`` divided by that of ``y``, as a scalar of ``x``'s dtype."""

    def infer(self, x, y):
        return (), x.dtype


def count_ratio(x, y):
    return CountRatio()(x, y)


def _reduce(op_class, x, axis, keepdims, name):
    x = convert_to_tensor(x)
    axes = shapes.normalize_axis(op_class.__name__, axis, x.ndim, allow_none=True)
    return op_class(axis=axes, keepdims=bool(keepdims))(x, name=name)


def sum(x, axis=None, keepdims=False, name=None):  # noqa: A001  (the NumPy / Keras name)
    """Sum of elements over ``axis`` (all axes when None)."""
    return _reduce(Sum, x, axis, keepdims, name)


def mean(x, axis=None, keepdims=False, name=None):
    """Mean of elements over ``axis`` (all axes when None)."""
    return _reduce(Mean, x, axis, keepdims, name)


__all__ = ["sum", "mean"]
