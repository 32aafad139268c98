"""Kernels of the reductions."""
from .registry import kernel


@kernel("Sum")
def _sum(ctx, op, x):
    return ctx.xp.asarray(x.sum(axis=op.axis, keepdims=op.keepdims))


@kernel("Mean")
def _mean(ctx, op, x):
    return ctx.xp.asarray(x.mean(axis=op.axis, keepdims=op.keepdims))


@kernel("CountRatio")
def _count_ratio(ctx, op, x, y):
    return ctx.xp.asarray(x.size / max(y.size, 1), dtype=x.dtype)
