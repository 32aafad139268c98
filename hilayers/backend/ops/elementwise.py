"""Elementwise arithmetic with NumPy broadcasting, and the helpers autodiff relies on.

Each op: ``y = f(a, b)`` elementwise; gradients undo broadcasting with :func:`sum_to`.

Example:
    >>> from hilayers import backend as K
    >>> K.Session().run(K.add([1.0, 2.0], 3.0))
    array([4., 5.], dtype=float32)
"""
from .. import dtypes, shapes
from ..autodiff import sum_to
from ..errors import InvalidArgumentError
from ..op import Op, convert_operands, convert_to_tensor
from ._base import BinaryOp, UnaryOp, binary, unary


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


class Negative(UnaryOp):
    """``-x``."""

    float_only = False

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


__all__ = ["add", "subtract", "multiply", "divide", "negative", "add_n", "broadcast_like",
           "cast", "zeros_like", "ones_like", "identity", "stop_gradient"]
