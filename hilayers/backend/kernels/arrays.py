"""Kernels of the array-manipulation and array-creation ops."""
import math

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


@kernel("Squeeze")
def _squeeze(ctx, op, x):
    return ctx.xp.squeeze(x, axis=op.axis)


@kernel("BatchFlatten")
def _batch_flatten(ctx, op, x):
    return x.reshape(x.shape[0], math.prod(x.shape[1:]))


@kernel("BroadcastTo")
def _broadcast_to(ctx, op, x):
    return ctx.xp.broadcast_to(x, op.shape)


@kernel("Fill")
def _fill(ctx, op, *dims):
    shape = op.shape if not dims else tuple(int(d) for d in ctx.impl.to_numpy(dims[0]))
    return ctx.xp.full(shape, op.value, dtype=op.dtype)


@kernel("Shape")
def _shape(ctx, op, x):
    return ctx.xp.asarray(x.shape, dtype="int32")
