"""Activation functions: each one op with its own (numerically stable) kernel.

Gradients are written with graph ops (masks through :func:`where`, the op's own output where
that is cheaper), so second derivatives work. Inputs must be float.

Example:
    >>> from hilayers import backend as K
    >>> K.Session().run(K.softmax([[0.0, 0.0]]))
    array([[0.5, 0.5]], dtype=float32)
"""
import math

from .. import dtypes, shapes
from ..errors import DTypeError
from ..op import Op, convert_to_tensor
from ._base import UnaryOp, unary
from .comparison import greater, less, logical_and
from .elementwise import (abs, add, divide, erf, exp, multiply, square, subtract, where,
                          zeros_like)
from .reductions import sum as reduce_sum

#: Constants of SELU (Klambauer et al., 2017).
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_CUBIC = 0.044715


def _mask(cond, g):
    return where(cond, g, zeros_like(g))


class Relu(UnaryOp):
    """``max(x, 0)``; gradient 1 for ``x > 0``, else 0.

    The gradient's mask reads the output: ``max(x, 0) > 0`` exactly where ``x > 0`` (a NaN
    is neither), so the input need not be kept for the backward pass, and a convolution,
    its bias and this ReLU can run as one kernel (:mod:`hilayers.backend.fusion`).
    """

    def grad(self, node, grads):
        return [_mask(greater(node.outputs[0], 0.0), grads[0])]


class Relu6(UnaryOp):
    """``min(max(x, 0), 6)``; gradient 1 on ``0 < x < 6``, else 0."""

    def grad(self, node, grads):
        x = node.inputs[0]
        return [_mask(logical_and(greater(x, 0.0), less(x, 6.0)), grads[0])]


class LeakyRelu(UnaryOp):
    """``x`` for ``x > 0``, else ``alpha * x``."""

    props = ("alpha",)

    def grad(self, node, grads):
        g = grads[0]
        return [where(greater(node.inputs[0], 0.0), g, multiply(g, self.alpha))]


class Elu(UnaryOp):
    """``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``; gradient ``y + alpha`` for x <= 0."""

    props = ("alpha",)

    def grad(self, node, grads):
        g, y = grads[0], node.outputs[0]
        return [where(greater(node.inputs[0], 0.0), g, multiply(g, add(y, self.alpha)))]


class Selu(UnaryOp):
    """``scale * elu(x, alpha)`` with the SELU constants."""

    def grad(self, node, grads):
        g, y = grads[0], node.outputs[0]
        return [where(greater(node.inputs[0], 0.0), multiply(g, SELU_SCALE),
                      multiply(g, add(y, SELU_SCALE * SELU_ALPHA)))]


class Sigmoid(UnaryOp):
    """``1 / (1 + exp(-x))``; gradient ``y * (1 - y)``."""

    def grad(self, node, grads):
        y = node.outputs[0]
        return [multiply(grads[0], multiply(y, subtract(1.0, y)))]


class HardSigmoid(UnaryOp):
    """``relu6(x + 3) / 6``; gradient 1/6 on ``-3 < x < 3``, else 0."""

    def grad(self, node, grads):
        x = node.inputs[0]
        inside = logical_and(greater(x, -3.0), less(x, 3.0))
        return [_mask(inside, divide(grads[0], 6.0))]


class Tanh(UnaryOp):
    """``tanh(x)``; gradient ``1 - y**2``."""

    def grad(self, node, grads):
        return [multiply(grads[0], subtract(1.0, square(node.outputs[0])))]


class Softplus(UnaryOp):
    """``log(1 + exp(x))``; gradient ``sigmoid(x)``."""

    def grad(self, node, grads):
        return [multiply(grads[0], sigmoid(node.inputs[0]))]


class Softsign(UnaryOp):
    """``x / (1 + |x|)``; gradient ``1 / (1 + |x|)**2``."""

    def grad(self, node, grads):
        return [divide(grads[0], square(add(abs(node.inputs[0]), 1.0)))]


class Gelu(UnaryOp):
    """``x * Phi(x)`` (exact, with erf) or its tanh approximation (``approximate=True``)."""

    props = ("approximate",)

    def grad(self, node, grads):
        x, g = node.inputs[0], grads[0]
        if not self.approximate:
            # d/dx x Phi(x) = Phi(x) + x phi(x).
            cdf = multiply(add(erf(multiply(x, 1.0 / math.sqrt(2.0))), 1.0), 0.5)
            pdf = multiply(exp(multiply(square(x), -0.5)), 1.0 / math.sqrt(2.0 * math.pi))
            return [multiply(g, add(cdf, multiply(x, pdf)))]
        # y = x h with h = (1 + tanh(u)) / 2, u = c (x + k x**3):
        # dy/dx = h + x (1 - tanh(u)**2) / 2 * c (1 + 3 k x**2).
        x2 = square(x)
        t = tanh(multiply(multiply(x, add(multiply(x2, _GELU_CUBIC), 1.0)), _SQRT_2_OVER_PI))
        half = multiply(add(t, 1.0), 0.5)
        du = multiply(add(multiply(x2, 3.0 * _GELU_CUBIC), 1.0), 0.5 * _SQRT_2_OVER_PI)
        return [multiply(g, add(half, multiply(multiply(x, subtract(1.0, square(t))), du)))]


class Swish(UnaryOp):
    """``x * sigmoid(x)``; gradient ``s * (1 + x * (1 - s))`` with ``s = sigmoid(x)``."""

    def grad(self, node, grads):
        x = node.inputs[0]
        s = sigmoid(x)
        return [multiply(grads[0], multiply(s, add(multiply(x, subtract(1.0, s)), 1.0)))]


class Softmax(Op):
    """``exp(x) / sum(exp(x), axis)``, stable (the max over ``axis`` is subtracted first).

    Gradient ``y * (g - sum(g * y, axis))``.
    """

    props = ("axis",)

    def infer(self, x):
        _check_float(type(self).__name__, x)
        return x.shape, x.dtype

    def grad(self, node, grads):
        g, y = grads[0], node.outputs[0]
        dot = reduce_sum(multiply(g, y), axis=self.axis, keepdims=True)
        return [multiply(y, subtract(g, dot))]


class LogSoftmax(Softmax):
    """``x - log(sum(exp(x), axis))``, stable. Gradient ``g - exp(y) * sum(g, axis)``."""

    def grad(self, node, grads):
        g, y = grads[0], node.outputs[0]
        total = reduce_sum(g, axis=self.axis, keepdims=True)
        return [subtract(g, multiply(exp(y), total))]


def _check_float(op_name, x):
    if not dtypes.is_floating(x.dtype):
        raise DTypeError(f"{op_name}: input {x.name!r} has dtype {x.dtype.name}; expected a "
                         "float dtype. Use cast() first.")


def relu(x, name=None):
    """``max(x, 0)`` elementwise (gradient 0 at 0)."""
    return unary(Relu, x, name)


def relu6(x, name=None):
    """``min(max(x, 0), 6)`` elementwise."""
    return unary(Relu6, x, name)


def leaky_relu(x, alpha=0.2, name=None):
    """``x`` where ``x > 0``, else ``alpha * x``.

    Args:
        alpha: the slope for negative inputs (Keras' ``negative_slope``).
    """
    return unary(LeakyRelu, x, name, alpha=float(alpha))


def elu(x, alpha=1.0, name=None):
    """``x`` where ``x > 0``, else ``alpha * (exp(x) - 1)``."""
    return unary(Elu, x, name, alpha=float(alpha))


def selu(x, name=None):
    """``scale * elu(x, alpha)`` with ``alpha = 1.67326...`` and ``scale = 1.05070...``."""
    return unary(Selu, x, name)


def sigmoid(x, name=None):
    """``1 / (1 + exp(-x))``, computed without overflow for large ``|x|``."""
    return unary(Sigmoid, x, name)


def hard_sigmoid(x, name=None):
    """``relu6(x + 3) / 6``: Keras 3's definition (0 below -3, 1 above 3, linear between).

    Note Keras 2 used ``clip(0.2 * x + 0.5, 0, 1)`` instead.
    """
    return unary(HardSigmoid, x, name)


def tanh(x, name=None):
    """Hyperbolic tangent elementwise."""
    return unary(Tanh, x, name)


def softplus(x, name=None):
    """``log(1 + exp(x))``, computed stably as ``max(x, 0) + log1p(exp(-|x|))``."""
    return unary(Softplus, x, name)


def softsign(x, name=None):
    """``x / (1 + |x|)`` elementwise."""
    return unary(Softsign, x, name)


def gelu(x, approximate=False, name=None):
    """Gaussian error linear unit ``x * Phi(x)``, ``Phi`` the standard normal CDF.

    Args:
        approximate: False for the exact form ``0.5 x (1 + erf(x / sqrt(2)))``; True for
            ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x**3)))``.
    """
    return unary(Gelu, x, name, approximate=bool(approximate))


def swish(x, name=None):
    """``x * sigmoid(x)`` (also called SiLU)."""
    return unary(Swish, x, name)


def silu(x, name=None):
    """``x * sigmoid(x)``: the same op as :func:`swish`."""
    return unary(Swish, x, name)


def _normalized(op_class, x, axis, name):
    x = convert_to_tensor(x)
    axes = shapes.normalize_axis(op_class.__name__, axis, x.ndim)
    return op_class(axis=axes)(x, name=name)


def softmax(x, axis=-1, name=None):
    """``exp(x) / sum(exp(x), axis, keepdims=True)``, numerically stable.

    Args:
        axis: an int or a tuple of ints (negative counts from the end).

    Raises:
        InvalidArgumentError: when an axis is out of range for ``x``, naming ``Softmax``.
        DTypeError: for a non-float input.
    """
    return _normalized(Softmax, x, axis, name)


def log_softmax(x, axis=-1, name=None):
    """``x - log(sum(exp(x), axis, keepdims=True))``, numerically stable.

    Args:
        axis: an int or a tuple of ints (negative counts from the end).
    """
    return _normalized(LogSoftmax, x, axis, name)


__all__ = ["relu", "relu6", "leaky_relu", "elu", "selu", "sigmoid", "hard_sigmoid", "tanh",
           "softplus", "softsign", "gelu", "swish", "silu", "softmax", "log_softmax"]
