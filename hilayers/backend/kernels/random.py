"""Kernels of the random ops draws from the node's generator ``ctx.rng(op)``.

NumPy and CuPy generators both draw float32 and float64 directly; other dtypes are drawn in
float32 and cast.
"""
import numpy as np

from .registry import kernel


def draw_dtype(dtype):
    """The float dtype to draw in for an output of ``dtype``."""
    dtype = np.dtype(dtype)
    return dtype if dtype in (np.float32, np.float64) else np.dtype(np.float32)


def uniform01(ctx, op, shape, dtype):
    """Uniform draws in ``[0, 1)`` of ``shape`` in the draw dtype for ``dtype``."""
    return ctx.rng(op).random(shape, dtype=draw_dtype(dtype))


@kernel("RandomUniform")
def _random_uniform(ctx, op):
    u = uniform01(ctx, op, op.shape, op.dtype)
    out = u * (op.maxval - op.minval) + op.minval
    return out.astype(op.dtype, copy=False)


@kernel("RandomNormal")
def _random_normal(ctx, op):
    z = ctx.rng(op).standard_normal(op.shape, dtype=draw_dtype(op.dtype))
    return (z * op.stddev + op.mean).astype(op.dtype, copy=False)


@kernel("TruncatedNormal")
def _truncated_normal(ctx, op):
    xp = ctx.xp
    gen = ctx.rng(op)
    dtype = draw_dtype(op.dtype)
    z = gen.standard_normal(op.shape, dtype=dtype)
    bad = xp.abs(z) > 2.0
    count = int(bad.sum())
    while count:                       # about 4.6% of draws are redrawn, a few rounds at most
        z[bad] = gen.standard_normal((count,), dtype=dtype)
        bad = xp.abs(z) > 2.0
        count = int(bad.sum())
    return (z * op.stddev + op.mean).astype(op.dtype, copy=False)


@kernel("RandomBernoulli")
def _random_bernoulli(ctx, op):
    u = uniform01(ctx, op, op.shape, np.float64 if op.dtype == np.float64 else np.float32)
    return (u < op.p).astype(op.dtype)
