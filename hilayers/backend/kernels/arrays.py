"""Kernels of the array-manipulation ops."""
from .registry import kernel


@kernel("Reshape")
def _reshape(ctx, op, x):
    return x.reshape(op.shape)


@kernel("ReshapeLike")
def _reshape_like(ctx, op, x, like):
    return x.reshape(like.shape)


@kernel("ExpandDims")
def _expand_dims(ctx, op, x):
    return ctx.xp.expand_dims(x, op.axis)
