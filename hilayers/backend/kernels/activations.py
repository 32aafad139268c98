"""Kernels of the activation ops (one body for NumPy and CuPy), numerically stable."""
import math

from .elementwise import erf_array
from .registry import kernel

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def sigmoid_array(xp, x):
    """``1 / (1 + exp(-x))`` without overflow: ``exp`` only ever sees ``-|x|``."""
    e = xp.exp(-xp.abs(x))
    r = 1 / (1 + e)
    return xp.where(x >= 0, r, e * r)


def _elu_array(xp, x, alpha):
    # exp on min(x, 0) only, so large positive inputs do not overflow in the unused branch.
    return xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, 0)))


@kernel("Relu")
def _relu(ctx, op, x):
    return ctx.xp.maximum(x, 0)


@kernel("Relu6")
def _relu6(ctx, op, x):
    return ctx.xp.minimum(ctx.xp.maximum(x, 0), 6)


@kernel("LeakyRelu")
def _leaky_relu(ctx, op, x):
    return ctx.xp.where(x > 0, x, x * x.dtype.type(op.alpha))


@kernel("Elu")
def _elu(ctx, op, x):
    return _elu_array(ctx.xp, x, x.dtype.type(op.alpha))


@kernel("Selu")
def _selu(ctx, op, x):
    return _elu_array(ctx.xp, x, x.dtype.type(_SELU_ALPHA)) * x.dtype.type(_SELU_SCALE)


@kernel("Sigmoid")
def _sigmoid(ctx, op, x):
    return sigmoid_array(ctx.xp, x)


@kernel("HardSigmoid")
def _hard_sigmoid(ctx, op, x):
    return ctx.xp.minimum(ctx.xp.maximum(x + 3, 0), 6) / 6


@kernel("Tanh")
def _tanh(ctx, op, x):
    return ctx.xp.tanh(x)


@kernel("Softplus")
def _softplus(ctx, op, x):
    xp = ctx.xp
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


@kernel("Softsign")
def _softsign(ctx, op, x):
    return x / (1 + ctx.xp.abs(x))


@kernel("Gelu")
def _gelu(ctx, op, x):
    xp = ctx.xp
    if op.approximate:
        inner = x * (1 + 0.044715 * x * x) * _SQRT_2_OVER_PI
        return 0.5 * x * (1 + xp.tanh(inner))
    return 0.5 * x * (1 + erf_array(xp, x * (1 / math.sqrt(2.0))))


@kernel("Swish")
def _swish(ctx, op, x):
    return x * sigmoid_array(ctx.xp, x)


@kernel("Softmax")
def _softmax(ctx, op, x):
    xp = ctx.xp
    e = xp.exp(x - x.max(axis=op.axis, keepdims=True))
    return e / e.sum(axis=op.axis, keepdims=True)


@kernel("LogSoftmax")
def _log_softmax(ctx, op, x):
    xp = ctx.xp
    shifted = x - x.max(axis=op.axis, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=op.axis, keepdims=True))


@kernel("Relu/into", impl="numpy")
def _relu_into(ctx, op, out, x):
    """``Relu`` writing into ``out`` (hilayers.backend.inplace)."""
    return ctx.xp.maximum(x, 0, out=out)
