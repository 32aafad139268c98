"""Reductions over an int or a tuple of (negative) axes, with ``keepdims``.

``sum``, ``mean``, ``max``, ``min``, ``prod``, ``var``, ``std`` and ``logsumexp`` reduce over
``axis`` (None: every axis; an int; or a tuple of ints, negative counting from the end);
``argmax`` / ``argmin`` take one int axis and give int64 positions.

Example:
    >>> from hilayers import backend as K
    >>> K.Session().run(K.sum([[1.0, 2.0], [3.0, 4.0]], axis=1))
    array([3., 7.], dtype=float32)
"""
from .. import dtypes, shapes
from ..errors import DTypeError, InvalidArgumentError, NotDifferentiableError
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

    def spread(self, g, x):
        """``g`` (of the reduced shape) broadcast back to ``x``'s shape."""
        from .elementwise import broadcast_like
        return broadcast_like(self.expand_back(g, x), x)


def reduced_shape(shape, axis, keepdims):
    if keepdims:
        return tuple(1 if i in axis else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axis)


def _check_float(op_name, x):
    if not dtypes.is_floating(x.dtype):
        raise DTypeError(f"{op_name}: input {x.name!r} has dtype {x.dtype.name}; expected a "
                         "float dtype. Use cast() first.")


class Sum(Reduce):
    """``sum(x, axis)``."""

    def grad(self, node, grads):
        return [self.spread(grads[0], node.inputs[0])]


class Mean(Reduce):
    """``mean(x, axis)``; the gradient divides by the number of reduced elements."""

    def infer(self, x):
        _check_float("Mean", x)
        return super().infer(x)

    def grad(self, node, grads):
        from .elementwise import divide
        x = node.inputs[0]
        y = node.outputs[0]
        return [divide(self.spread(grads[0], x), count_ratio(x, y))]


class CountRatio(Op):
    """Number of elements of ``x`` divided by that of ``y``, as a scalar of ``x``'s dtype."""

    def infer(self, x, y):
        return (), x.dtype

    def grad(self, node, grads):
        return [None, None]          # depends on the shapes only, not on the values


def count_ratio(x, y):
    return CountRatio()(x, y)


class Max(Reduce):
    """``max(x, axis)``. The gradient goes to the maxima, shared equally among ties."""

    def grad(self, node, grads):
        from .elementwise import multiply
        x, y = node.inputs[0], node.outputs[0]
        weights = ExtremumWeights(axis=self.axis, keepdims=self.keepdims)(x, y)
        return [multiply(self.spread(grads[0], x), weights)]


class Min(Max):
    """``min(x, axis)``. The gradient goes to the minima, shared equally among ties."""


class ExtremumWeights(Op):
    """``w = (x == y) / count(x == y)`` over the reduced axes, ``y`` being ``x``'s max or min.

    The share of the gradient of a max/min that each element of ``x`` receives. Piecewise
    constant in ``x``, so its own gradient is zero (returned as None).
    """

    props = ("axis", "keepdims")

    def infer(self, x, y):
        return x.shape, x.dtype

    def grad(self, node, grads):
        return [None, None]


class Prod(Reduce):
    """``prod(x, axis)``.

    The gradient is ``g * prod_{j != i} x_j`` computed with exclusive cumulative products
    (:class:`ProdExcept`), so it is exact when ``x`` holds zeros (never ``prod / x``).
    """

    def grad(self, node, grads):
        from .elementwise import multiply
        x = node.inputs[0]
        return [multiply(self.spread(grads[0], x), ProdExcept(axis=self.axis)(x))]


class ProdExcept(Op):
    """``e_i = prod_{j != i} x_j`` over the groups that ``axis`` reduces; shape of ``x``."""

    props = ("axis",)

    def infer(self, x):
        return x.shape, x.dtype

    def grad(self, node, grads):
        return [ProdExceptGrad(axis=self.axis)(grads[0], node.inputs[0])]


class ProdExceptGrad(Op):
    """``out_k = sum_{i != k} g_i prod_{j != i, k} x_j`` within each reduced group.

    The gradient of :class:`ProdExcept` (so second derivatives of ``prod`` are exact with
    zeros too). The kernel forms a ``(n, n)`` matrix per group, ``n`` the number of reduced
    elements. The matrix is symmetric, so the op is its own transpose in ``g``; derivatives
    with respect to ``x`` (third derivatives of ``prod``) are not provided.
    """

    props = ("axis",)

    def infer(self, g, x):
        return x.shape, x.dtype

    def grad(self, node, grads):
        raise NotDifferentiableError(
            f"ProdExceptGrad (node {node.name!r}): third derivatives of prod() are not "
            "supported.")


class LogSumExp(Reduce):
    """``log(sum(exp(x), axis))``, computed as ``m + log(sum(exp(x - m)))`` with ``m`` the max
    (finite for large ``x``). The gradient is ``g * exp(x - y)`` (the softmax of ``x``)."""

    def infer(self, x):
        _check_float("LogSumExp", x)
        return super().infer(x)

    def grad(self, node, grads):
        from .elementwise import multiply
        x, y = node.inputs[0], node.outputs[0]
        weights = ExpMinusReduced(axis=self.axis, keepdims=self.keepdims)(x, y)
        return [multiply(self.spread(grads[0], x), weights)]


class ExpMinusReduced(Op):
    """``w = exp(x - y)`` with ``y`` of the reduced shape broadcast back over ``axis``."""

    props = ("axis", "keepdims")

    def infer(self, x, y):
        return x.shape, x.dtype

    def grad(self, node, grads):
        from .elementwise import multiply, negative
        w = node.outputs[0]
        gw = multiply(grads[0], w)
        gy = negative(sum(gw, axis=self.axis, keepdims=self.keepdims))
        return [gw, gy]


class ArgReduce(Op):
    """Base of ``argmax`` / ``argmin``: positions (int64) along one axis. No gradient."""

    props = ("axis", "keepdims")
    differentiable = False

    def infer(self, x):
        if not x.ndim:
            raise InvalidArgumentError(f"{type(self).__name__}: input {x.name!r} is a scalar; "
                                       "expected a tensor of rank >= 1.")
        return reduced_shape(x.shape, (self.axis,), self.keepdims), dtypes.as_dtype("int64")


class ArgMax(ArgReduce):
    """Index of the (first) maximum along ``axis``."""


class ArgMin(ArgReduce):
    """Index of the (first) minimum along ``axis``."""


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


def max(x, axis=None, keepdims=False, name=None):  # noqa: A001
    """Largest element over ``axis`` (all axes when None).

    The gradient flows to the elements equal to the maximum, split equally among ties.

    Raises:
        InvalidArgumentError: naming ``Max`` when an axis is out of range or repeated.
    """
    return _reduce(Max, x, axis, keepdims, name)


def min(x, axis=None, keepdims=False, name=None):  # noqa: A001
    """Smallest element over ``axis`` (all axes when None); ties share the gradient."""
    return _reduce(Min, x, axis, keepdims, name)


def prod(x, axis=None, keepdims=False, name=None):
    """Product of elements over ``axis`` (all axes when None).

    The gradient ``d prod / d x_i = prod_{j != i} x_j`` is exact when ``x`` holds zeros.
    Second derivatives are supported (they cost ``O(n^2)`` memory for ``n`` reduced elements
    per output); third derivatives are not.
    """
    return _reduce(Prod, x, axis, keepdims, name)


def var(x, axis=None, keepdims=False, name=None):
    """Population variance ``mean((x - mean(x))**2)`` over ``axis`` (all axes when None).

    Raises:
        DTypeError: for a non-float input.
    """
    from .elementwise import multiply, subtract
    x = convert_to_tensor(x)
    _check_float("Var", x)
    shapes.normalize_axis("Var", axis, x.ndim, allow_none=True)
    centred = subtract(x, mean(x, axis=axis, keepdims=True))
    return mean(multiply(centred, centred), axis=axis, keepdims=keepdims, name=name)


def std(x, axis=None, keepdims=False, name=None):
    """Standard deviation ``sqrt(var(x, axis))`` (population, as NumPy's default).

    Its gradient is infinite where the variance is zero (constant slices).
    """
    from .elementwise import sqrt
    x = convert_to_tensor(x)
    _check_float("Std", x)
    return sqrt(var(x, axis=axis, keepdims=keepdims), name=name)


def logsumexp(x, axis=None, keepdims=False, name=None):
    """``log(sum(exp(x), axis))``, stable for large ``|x|`` (the max is subtracted first).

    Raises:
        DTypeError: for a non-float input.
    """
    return _reduce(LogSumExp, x, axis, keepdims, name)


def _arg_reduce(op_class, x, axis, keepdims, name):
    x = convert_to_tensor(x)
    if axis is None or isinstance(axis, (tuple, list)) or not hasattr(axis, "__index__"):
        raise InvalidArgumentError(f"{op_class.__name__}: axis must be a single int; received "
                                   f"{axis!r}.")
    (axis,) = shapes.normalize_axis(op_class.__name__, int(axis), x.ndim)
    return op_class(axis=axis, keepdims=bool(keepdims))(x, name=name)


def argmax(x, axis=-1, keepdims=False, name=None):
    """Index (int64) of the largest element along one ``axis``; the first one among ties.

    Not differentiable: asking a gradient through it raises NotDifferentiableError.
    """
    return _arg_reduce(ArgMax, x, axis, keepdims, name)


def argmin(x, axis=-1, keepdims=False, name=None):
    """Index (int64) of the smallest element along one ``axis``; the first one among ties."""
    return _arg_reduce(ArgMin, x, axis, keepdims, name)


__all__ = ["sum", "mean", "max", "min", "prod", "var", "std", "logsumexp", "argmax", "argmin"]
