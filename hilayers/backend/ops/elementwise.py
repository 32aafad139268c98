"""Elementwise arithmetic and math with NumPy broadcasting, and the helpers autodiff relies on.

Each op: ``y = f(a, b)`` elementwise; gradients undo broadcasting with :func:`sum_to` and are
built from differentiable ops (masks through :func:`where`), so second derivatives work.
Binary ops take tensors or Python numbers / arrays for either operand. Comparisons and logical
ops live in :mod:`.comparison`.

Example:
    >>> from hilayers import backend as K
    >>> K.Session().run(K.add([1.0, 2.0], 3.0))
    array([4., 5.], dtype=float32)
"""
import math

from .. import dtypes, shapes
from ..autodiff import sum_to
from ..errors import DTypeError
from ..graph import Tensor, graph_of
from ..op import Op, convert_operands, convert_to_tensor
from ._base import BinaryOp, UnaryOp, binary, unary
from .comparison import greater, greater_equal, less_equal


class Add(BinaryOp):
    """``a + b``."""

    def grad(self, node, grads):
        a, b = node.inputs
        return [sum_to(grads[0], a), sum_to(grads[0], b)]


class Subtract(BinaryOp):
    """``a - b``."""

    def grad(self, node, grads):
        a, b = node.inputs
        return [sum_to(grads[0], a), sum_to(negative(grads[0]), b)]


class Multiply(BinaryOp):
    """``a * b``."""

    def grad(self, node, grads):
        a, b = node.inputs
        g = grads[0]
        return [sum_to(multiply(g, b), a), sum_to(multiply(g, a), b)]


class Divide(BinaryOp):
    """``a / b`` (true division; integer inputs are rejected by dtype checks upstream)."""

    def grad(self, node, grads):
        a, b = node.inputs
        g = grads[0]
        ga = divide(g, b)
        gb = negative(multiply(ga, divide(a, b)))
        return [sum_to(ga, a), sum_to(gb, b)]


class SignedUnaryOp(UnaryOp):
    """Unary op that also takes integer inputs (not bool); output keeps the input dtype."""

    float_only = False

    def infer(self, x):
        if dtypes.is_bool(x.dtype):
            raise DTypeError(f"{type(self).__name__}: input {x.name!r} has dtype bool; expected "
                             "a number dtype. Use cast() first.")
        return x.shape, x.dtype


class Negative(SignedUnaryOp):
    """``-x``."""

    def grad(self, node, grads):
        return [negative(grads[0])]


class AddN(Op):
    """Sum of several tensors of one shape (used to sum gradient paths)."""

    def infer(self, *xs):
        shape = shapes.check_same_shape("AddN", *[x.shape for x in xs])
        return shape, dtypes.same_dtype("AddN", *[x.dtype for x in xs])

    def grad(self, node, grads):
        return [grads[0]] * len(node.inputs)


class SumTo(Op):
    """``sum_to(g, like)``: sum ``g`` over broadcast axes so it takes ``like``'s shape."""

    may_alias = True

    def infer(self, g, like):
        return like.shape, g.dtype

    def grad(self, node, grads):
        return [broadcast_like(grads[0], node.inputs[0]), None]


class BroadcastLike(Op):
    """``broadcast_like(x, like)``: broadcast ``x`` to ``like``'s shape."""

    may_alias = True

    def infer(self, x, like):
        shapes.broadcast_shapes("BroadcastLike", x.shape, like.shape)
        return like.shape, x.dtype

    def grad(self, node, grads):
        return [sum_to(grads[0], node.inputs[0]), None]


class Cast(Op):
    """Convert to ``dtype``. Gradients flow between float types only."""

    props = ("dtype",)
    may_alias = True

    def infer(self, x):
        return x.shape, self.dtype

    def grad(self, node, grads):
        x = node.inputs[0]
        if not dtypes.is_floating(x.dtype) or not dtypes.is_floating(self.dtype):
            return [None]
        return [cast(grads[0], x.dtype)]


class ZerosLike(Op):
    """Zeros of ``x``'s shape and dtype (``x``'s value is not read)."""

    def infer(self, x):
        return x.shape, x.dtype

    def grad(self, node, grads):
        return [None]


class OnesLike(ZerosLike):
    """Ones of ``x``'s shape and dtype."""


class Identity(Op):
    """``y = x``."""

    may_alias = True

    def infer(self, x):
        return x.shape, x.dtype

    def grad(self, node, grads):
        return [grads[0]]


class StopGradient(Identity):
    """``y = x`` in the forward pass; no gradient flows back through it."""

    def grad(self, node, grads):
        return [None]


class Power(BinaryOp):
    """``a ** b``.

    Gradients: ``b * a**(b-1)`` for the base and ``a**b * log(a)`` for the exponent. The
    exponent gradient is real only for ``a > 0``; where ``a <= 0`` it is taken as 0 (the
    right value at ``a == 0`` with ``b > 0``; for ``a < 0`` the power is not differentiable
    in ``b``), so a constant exponent on a non-positive base never brings NaNs.
    """

    def grad(self, node, grads):
        a, b = node.inputs
        if not dtypes.is_floating(a.dtype):
            return [None, None]
        g, y = grads[0], node.outputs[0]
        ga = multiply(g, multiply(b, power(a, subtract(b, 1.0))))
        positive = greater(a, 0.0)
        log_a = log(where(positive, a, ones_like(a)))
        gb = multiply(g, where(positive, multiply(y, log_a), zeros_like(y)))
        return [sum_to(ga, a), sum_to(gb, b)]


class Square(UnaryOp):
    """``x * x``."""

    def grad(self, node, grads):
        (x,) = node.inputs
        return [multiply(grads[0], multiply(x, 2.0))]


class Sqrt(UnaryOp):
    """``sqrt(x)``; gradient ``1 / (2 sqrt(x))``."""

    def grad(self, node, grads):
        return [divide(grads[0], multiply(node.outputs[0], 2.0))]


class Rsqrt(UnaryOp):
    """``1 / sqrt(x)``; gradient ``-y**3 / 2``."""

    def grad(self, node, grads):
        y = node.outputs[0]
        return [multiply(grads[0], multiply(square(y), multiply(y, -0.5)))]


class Exp(UnaryOp):
    """``exp(x)``; gradient ``exp(x)``."""

    def grad(self, node, grads):
        return [multiply(grads[0], node.outputs[0])]


class Log(UnaryOp):
    """``log(x)`` (natural); gradient ``1 / x``."""

    def grad(self, node, grads):
        return [divide(grads[0], node.inputs[0])]


class Log1p(UnaryOp):
    """``log(1 + x)``, accurate for small ``x``; gradient ``1 / (1 + x)``."""

    def grad(self, node, grads):
        return [divide(grads[0], add(node.inputs[0], 1.0))]


class Erf(UnaryOp):
    """``erf(x)``; gradient ``2 / sqrt(pi) * exp(-x**2)``."""

    def grad(self, node, grads):
        (x,) = node.inputs
        return [multiply(grads[0], multiply(exp(negative(square(x))), 2.0 / math.sqrt(math.pi)))]


class Abs(SignedUnaryOp):
    """``|x|``; gradient ``sign(x)`` (0 at 0)."""

    def grad(self, node, grads):
        return [multiply(grads[0], sign(node.inputs[0]))]


class Sign(SignedUnaryOp):
    """``sign(x)`` in {-1, 0, 1}; its gradient is 0 everywhere it exists."""

    def grad(self, node, grads):
        return [zeros_like(grads[0])]


def _mask(cond, g):
    """``g`` where ``cond``, else 0 (shape of ``g``; ``cond`` broadcasts)."""
    return where(cond, g, zeros_like(g))


class Maximum(BinaryOp):
    """``max(a, b)``; at ties the whole gradient goes to ``a``."""

    def grad(self, node, grads):
        a, b = node.inputs
        first = greater_equal(a, b)
        g = grads[0]
        return [sum_to(_mask(first, g), a), sum_to(where(first, zeros_like(g), g), b)]


class Minimum(BinaryOp):
    """``min(a, b)``; at ties the whole gradient goes to ``a``."""

    def grad(self, node, grads):
        a, b = node.inputs
        first = less_equal(a, b)
        g = grads[0]
        return [sum_to(_mask(first, g), a), sum_to(where(first, zeros_like(g), g), b)]


class Where(Op):
    """``x if condition else y``, broadcasting all three; ``condition`` is bool."""

    def infer(self, condition, x, y):
        if not dtypes.is_bool(condition.dtype):
            raise DTypeError(f"Where: condition {condition.name!r} has dtype "
                             f"{condition.dtype.name}; expected bool. Compare first (e.g. "
                             "greater(c, 0)) or cast(c, 'bool').")
        shape = shapes.broadcast_shapes("Where", condition.shape, x.shape, y.shape)
        return shape, dtypes.same_dtype("Where", x.dtype, y.dtype)

    def grad(self, node, grads):
        condition, x, y = node.inputs
        g = grads[0]
        return [None, sum_to(_mask(condition, g), x),
                sum_to(where(condition, zeros_like(g), g), y)]


class Clip(Op):
    """``min(max(x, lo), hi)``, broadcasting all three (NumPy's ``clip``).

    Gradient: to ``x`` where ``lo <= x`` and ``max(x, lo) <= hi``; to ``lo`` where
    ``x < lo <= hi``; to ``hi`` where ``max(x, lo) > hi`` (ties go to ``x``).
    """

    def infer(self, x, lo, hi):
        shape = shapes.broadcast_shapes("Clip", x.shape, lo.shape, hi.shape)
        return shape, dtypes.same_dtype("Clip", x.dtype, lo.dtype, hi.dtype)

    def grad(self, node, grads):
        x, lo, hi = node.inputs
        g = grads[0]
        inner = _mask(less_equal(maximum(x, lo), hi), g)
        gx = _mask(greater_equal(x, lo), inner)
        return [sum_to(gx, x), sum_to(subtract(inner, gx), lo),
                sum_to(subtract(g, inner), hi)]


def add(a, b, name=None):
    """``a + b`` elementwise, with broadcasting."""
    return binary(Add, a, b, name)


def subtract(a, b, name=None):
    """``a - b`` elementwise, with broadcasting."""
    return binary(Subtract, a, b, name)


def multiply(a, b, name=None):
    """``a * b`` elementwise, with broadcasting."""
    return binary(Multiply, a, b, name)


def divide(a, b, name=None):
    """``a / b`` elementwise, with broadcasting."""
    return binary(Divide, a, b, name)


def negative(x, name=None):
    """``-x``."""
    return unary(Negative, x, name)


def add_n(xs, name=None):
    """Sum a list of tensors of the same shape and dtype."""
    xs = convert_operands("AddN", list(xs))
    if len(xs) == 1:
        return xs[0]
    return AddN()(*xs, name=name)


def broadcast_like(x, like, name=None):
    """Broadcast ``x`` to the shape of ``like``."""
    return BroadcastLike()(x, like, name=name)


def cast(x, dtype, name=None):
    """Convert ``x`` to ``dtype``; returns ``x`` itself when it already has it.

    Example:
        >>> cast(constant([1.7, -2.2]), "int32")   # doctest: +SKIP
    """
    x = convert_to_tensor(x)
    dtype = dtypes.as_dtype(dtype)
    if x.dtype == dtype:
        return x
    return Cast(dtype=dtype)(x, name=name)


def zeros_like(x, dtype=None, name=None):
    """Zeros with the shape of ``x`` (and its dtype unless ``dtype`` is given)."""
    x = convert_to_tensor(x)
    out = ZerosLike()(x, name=name)
    return out if dtype is None else cast(out, dtype)


def ones_like(x, dtype=None, name=None):
    """Ones with the shape of ``x`` (and its dtype unless ``dtype`` is given)."""
    x = convert_to_tensor(x)
    out = OnesLike()(x, name=name)
    return out if dtype is None else cast(out, dtype)


def identity(x, name=None):
    """``y = x`` as a new node (useful to name a value)."""
    return Identity()(convert_to_tensor(x), name=name)


def stop_gradient(x, name=None):
    """``x`` in the forward pass; treated as a constant by :func:`gradients`."""
    return StopGradient()(convert_to_tensor(x), name=name)


def power(x, y, name=None):
    """``x ** y`` elementwise, with broadcasting (tensors or numbers for either operand).

    The gradient with respect to ``y`` is ``x**y * log(x)`` for ``x > 0`` and 0 elsewhere.
    """
    return binary(Power, x, y, name)


def square(x, name=None):
    """``x * x`` elementwise (float inputs)."""
    return unary(Square, x, name)


def sqrt(x, name=None):
    """``sqrt(x)`` elementwise (float inputs)."""
    return unary(Sqrt, x, name)


def rsqrt(x, name=None):
    """``1 / sqrt(x)`` elementwise (float inputs)."""
    return unary(Rsqrt, x, name)


def exp(x, name=None):
    """``e ** x`` elementwise (float inputs)."""
    return unary(Exp, x, name)


def log(x, name=None):
    """Natural logarithm elementwise (float inputs).

    Raises:
        DTypeError: for an integer input, naming ``Log``.
    """
    return unary(Log, x, name)


def log1p(x, name=None):
    """``log(1 + x)`` elementwise, accurate near 0 (float inputs)."""
    return unary(Log1p, x, name)


def erf(x, name=None):
    """The error function ``2/sqrt(pi) * integral_0^x exp(-t**2) dt`` elementwise."""
    return unary(Erf, x, name)


def abs(x, name=None):  # noqa: A001  (the NumPy / Keras name)
    """``|x|`` elementwise (float or integer inputs); its gradient is ``sign(x)``."""
    return unary(Abs, x, name)


def sign(x, name=None):
    """-1, 0 or 1 by the sign of ``x`` elementwise (float or integer inputs)."""
    return unary(Sign, x, name)


def maximum(a, b, name=None):
    """Elementwise maximum, with broadcasting; at ties the gradient goes to ``a``."""
    return binary(Maximum, a, b, name)


def minimum(a, b, name=None):
    """Elementwise minimum, with broadcasting; at ties the gradient goes to ``a``."""
    return binary(Minimum, a, b, name)


def where(condition, x, y, name=None):
    """``x`` where ``condition`` is true, else ``y``; all three broadcast together.

    Args:
        condition: a bool tensor (or a bool array / Python bool).
        x, y: tensors or numbers of one dtype (numbers take the tensor's dtype).

    Raises:
        DTypeError: when ``condition`` is not bool, or ``x`` and ``y`` dtypes differ.
        ShapeError: when the three shapes do not broadcast.
    """
    graph = graph_of([condition, x, y], "Where")
    if not isinstance(x, Tensor) and not isinstance(y, Tensor):
        x = convert_to_tensor(x, graph=graph)
    x, y = convert_operands("Where", [x, y])
    if not isinstance(condition, Tensor):
        condition = convert_to_tensor(condition, graph=graph)
    return Where()(condition, x, y, name=name)


def clip(x, min_value, max_value, name=None):
    """``min(max(x, min_value), max_value)`` elementwise (NumPy's ``clip``).

    The bounds are tensors or numbers and broadcast with ``x``.
    """
    x, lo, hi = convert_operands("Clip", [x, min_value, max_value])
    return Clip()(x, lo, hi, name=name)


__all__ = ["add", "subtract", "multiply", "divide", "negative", "add_n", "broadcast_like",
           "cast", "zeros_like", "ones_like", "identity", "stop_gradient", "power", "square",
           "sqrt", "rsqrt", "exp", "log", "log1p", "erf", "abs", "sign", "maximum", "minimum",
           "where", "clip"]
