"""Kernels of indexing: strided slices and their adjoint, slice, gather, one-hot."""
from .registry import kernel


def _index_tuple(key):
    """A StridedSlice key as a NumPy index; the trailing ``...`` makes results arrays (a
    full integer index would otherwise give a NumPy scalar)."""
    out = []
    for entry in key:
        if entry[0] == "i":
            out.append(entry[1])
        elif entry[0] == "s":
            out.append(slice(*entry[1:]))
        else:
            out.append(None)
    return tuple(out) + (Ellipsis,)


def _along(axis, index):
    return (slice(None),) * axis + (index,)


@kernel("StridedSlice")
def _strided_slice(ctx, op, x):
    return x[_index_tuple(op.key)]


@kernel("SliceGrad")
def _slice_grad(ctx, op, g, x):
    out = ctx.xp.zeros(x.shape, dtype=g.dtype)
    out[_index_tuple(op.key)] = g
    return out


@kernel("Slice")
def _slice(ctx, op, x):
    return x[tuple(slice(b, None if s == -1 else b + s) for b, s in zip(op.begin, op.size))]


@kernel("Gather")
def _gather(ctx, op, params, indices):
    return ctx.xp.take(params, indices, axis=op.axis)


@kernel("GatherGrad")
def _gather_grad(ctx, op, g, indices, params):
    out = ctx.xp.zeros(params.shape, dtype=g.dtype)
    ctx.xp.add.at(out, _along(op.axis, indices), g)
    return out


@kernel("GatherGrad", impl="cupy")
def _gather_grad_cupy(ctx, op, g, indices, params):
    import cupyx
    out = ctx.xp.zeros(params.shape, dtype=g.dtype)
    cupyx.scatter_add(out, _along(op.axis, indices), g)
    return out


@kernel("OneHot")
def _one_hot(ctx, op, indices):
    xp = ctx.xp
    return (indices[..., None] == xp.arange(op.depth, dtype=indices.dtype)).astype(op.dtype)
