"""Kernels of the elementwise ops (one body for NumPy and CuPy)."""
import math

import numpy as np

from .registry import kernel

# erfc(z) = t * exp(-z**2 + S(u)) for z >= 0, with t = 2 / (2 + z), u = 2t - 1 in (-1, 1] and
# S the Chebyshev series below (c_0 already halved). The coefficients were computed for this
# file by Chebyshev interpolation (60 nodes, 50-digit arithmetic) of
# log(erfc(z) * exp(z**2) / t), which is smooth on the whole half-line; the truncation error is
# below 1e-16 relative with all 27 terms and below 1e-9 with the first 14 (float32).
_ERFC_CHEB = (
    -6.5132685989085472e-1, 6.4196979235649026e-1, 1.9476473204185836e-2,
    -9.5615147868086316e-3, -9.4659534448203687e-4, 3.6683949785276145e-4,
    4.2523324806907772e-5, -2.0278578112534243e-5, -1.6242900046470255e-6,
    1.3036558355805232e-6, 1.5626441722066143e-8, -8.5238095914926543e-8,
    6.5290544390988515e-9, 5.0593434955514689e-9, -9.9136415649303309e-10,
    -2.2736512229318359e-10, 9.6467911020155268e-11, 2.3940380830391147e-12,
    -6.8860275264975534e-12, 8.9448792730907257e-13, 3.1309213993429581e-13,
    -1.1270822361367252e-13, 3.8109052551892321e-16, 7.106097613609237e-15,
    -1.5230282014571043e-15, -9.457494571291234e-17, 1.210237189224279e-16,
)
# Maclaurin series erf(z) = z * sum_n a_n z**(2n), used for |z| < 0.5 where 1 - erfc(z) would
# lose relative accuracy: a_n = 2/sqrt(pi) * (-1)**n / (n! (2n + 1)).
_ERF_TAYLOR = tuple(2 / math.sqrt(math.pi) * (-1) ** n / (math.factorial(n) * (2 * n + 1))
                    for n in range(13))


def erf_array(xp, x):
    """``erf(x)`` elementwise for a float array, in ``x``'s dtype (float16 via float32).

    Accurate to a few ulp in float64 and float32; written against ``xp`` so that NumPy and
    CuPy share it, without SciPy.
    """
    work = x.astype(np.float32) if x.dtype.itemsize < 4 else x
    double = work.dtype == np.float64
    cheb = _ERFC_CHEB if double else _ERFC_CHEB[:14]
    taylor = _ERF_TAYLOR if double else _ERF_TAYLOR[:7]
    z = xp.abs(work)
    # erfc branch (z clamped: erfc(10) < 1e-44 already rounds 1 - erfc to 1).
    zc = xp.minimum(z, 10.0)
    t = 2 / (2 + zc)
    u = 2 * t - 1
    two_u = 2 * u
    b1 = xp.zeros_like(zc)
    b2 = xp.zeros_like(zc)
    for c in reversed(cheb[1:]):
        b1, b2 = two_u * b1 - b2 + c, b1
    series = u * b1 - b2 + cheb[0]
    out = 1 - t * xp.exp(series - zc * zc)
    # Maclaurin branch for small z (evaluated on clamped values, selected below).
    zs = xp.minimum(z, 0.5)
    zs2 = zs * zs
    acc = xp.full_like(zs, taylor[-1])
    for a in reversed(taylor[:-1]):
        acc = acc * zs2 + a
    out = xp.where(z < 0.5, zs * acc, out)
    out = xp.where(work < 0, -out, out)
    return out.astype(x.dtype, copy=False)


@kernel("Add")
def _add(ctx, op, a, b):
    return ctx.xp.add(a, b)


@kernel("Subtract")
def _subtract(ctx, op, a, b):
    return ctx.xp.subtract(a, b)


@kernel("Multiply")
def _multiply(ctx, op, a, b):
    return ctx.xp.multiply(a, b)


@kernel("Divide")
def _divide(ctx, op, a, b):
    return ctx.xp.true_divide(a, b)


@kernel("Negative")
def _negative(ctx, op, x):
    return ctx.xp.negative(x)


@kernel("AddN")
def _add_n(ctx, op, *xs):
    out = ctx.xp.add(xs[0], xs[1])
    for x in xs[2:]:
        if getattr(out, "ndim", 0):
            ctx.xp.add(out, x, out=out)      # out is a fresh array: accumulate in place
        else:
            out = ctx.xp.add(out, x)
    return out


@kernel("SumTo")
def _sum_to(ctx, op, g, like):
    shape = like.shape
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, d in enumerate(shape) if d == 1 and g.shape[lead + i] != 1)
    return g.sum(axis=axes, keepdims=True).reshape(shape)


@kernel("BroadcastLike")
def _broadcast_like(ctx, op, x, like):
    return ctx.xp.broadcast_to(x, like.shape)


@kernel("Cast")
def _cast(ctx, op, x):
    return x.astype(op.dtype)


@kernel("ZerosLike")
def _zeros_like(ctx, op, x):
    return ctx.xp.zeros(x.shape, dtype=x.dtype)


@kernel("OnesLike")
def _ones_like(ctx, op, x):
    return ctx.xp.ones(x.shape, dtype=x.dtype)


@kernel("Identity")
def _identity(ctx, op, x):
    return x


@kernel("StopGradient")
def _stop_gradient(ctx, op, x):
    return x


@kernel("Power")
def _power(ctx, op, a, b):
    return ctx.xp.power(a, b)


@kernel("Square")
def _square(ctx, op, x):
    return ctx.xp.square(x)


@kernel("Sqrt")
def _sqrt(ctx, op, x):
    return ctx.xp.sqrt(x)


@kernel("Rsqrt")
def _rsqrt(ctx, op, x):
    return 1 / ctx.xp.sqrt(x)


@kernel("Exp")
def _exp(ctx, op, x):
    return ctx.xp.exp(x)


@kernel("Log")
def _log(ctx, op, x):
    return ctx.xp.log(x)


@kernel("Log1p")
def _log1p(ctx, op, x):
    return ctx.xp.log1p(x)


@kernel("Erf")
def _erf(ctx, op, x):
    return erf_array(ctx.xp, x)


@kernel("Abs")
def _abs(ctx, op, x):
    return ctx.xp.abs(x)


@kernel("Sign")
def _sign(ctx, op, x):
    return ctx.xp.sign(x)


@kernel("Maximum")
def _maximum(ctx, op, a, b):
    return ctx.xp.maximum(a, b)


@kernel("Minimum")
def _minimum(ctx, op, a, b):
    return ctx.xp.minimum(a, b)


@kernel("Where")
def _where(ctx, op, condition, x, y):
    return ctx.xp.where(condition, x, y)


@kernel("Clip")
def _clip(ctx, op, x, lo, hi):
    return ctx.xp.minimum(ctx.xp.maximum(x, lo), hi)
