"""Kernels of the elementwise ops (one body for NumPy and CuPy)."""
from .registry import kernel


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
