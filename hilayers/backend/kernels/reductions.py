"""Kernels of the reductions."""
from .registry import kernel


def _expand(xp, y, op):
    """``y`` of a reduced shape, with the reduced axes put back as size 1."""
    return y if op.keepdims or not op.axis else xp.expand_dims(y, op.axis)


def _groups_last(xp, x, axis):
    """Move the reduced ``axis`` to the end and flatten them: shape ``(rest..., n)``.

    Returns the array and the permutation used (to undo with :func:`_undo_groups`).
    """
    kept = tuple(i for i in range(x.ndim) if i not in axis)
    perm = kept + tuple(axis)
    moved = xp.transpose(x, perm)
    return moved.reshape(moved.shape[:len(kept)] + (-1,)), perm, moved.shape


def _undo_groups(xp, y, perm, moved_shape):
    inverse = [0] * len(perm)
    for i, p in enumerate(perm):
        inverse[p] = i
    return xp.transpose(y.reshape(moved_shape), inverse)


def _exclusive_products(xp, x):
    """``e_i = prod_{j != i} x_j`` along the last axis, from exclusive prefix and suffix
    cumulative products (exact with zeros)."""
    ones = xp.ones(x.shape[:-1] + (1,), dtype=x.dtype)
    left = xp.concatenate([ones, xp.cumprod(x[..., :-1], axis=-1)], axis=-1)
    right = xp.cumprod(x[..., :0:-1], axis=-1)[..., ::-1]
    right = xp.concatenate([right, ones], axis=-1)
    return left * right


@kernel("Sum")
def _sum(ctx, op, x):
    return ctx.xp.asarray(x.sum(axis=op.axis, keepdims=op.keepdims))


@kernel("Mean")
def _mean(ctx, op, x):
    return ctx.xp.asarray(x.mean(axis=op.axis, keepdims=op.keepdims))


@kernel("CountRatio")
def _count_ratio(ctx, op, x, y):
    return ctx.xp.asarray(x.size / max(y.size, 1), dtype=x.dtype)


@kernel("Max")
def _max(ctx, op, x):
    return ctx.xp.asarray(x.max(axis=op.axis, keepdims=op.keepdims))


@kernel("Min")
def _min(ctx, op, x):
    return ctx.xp.asarray(x.min(axis=op.axis, keepdims=op.keepdims))


@kernel("ExtremumWeights")
def _extremum_weights(ctx, op, x, y):
    mask = (x == _expand(ctx.xp, y, op)).astype(x.dtype)
    return mask / mask.sum(axis=op.axis, keepdims=True)


@kernel("Prod")
def _prod(ctx, op, x):
    return ctx.xp.asarray(x.prod(axis=op.axis, keepdims=op.keepdims))


@kernel("ProdExcept")
def _prod_except(ctx, op, x):
    xp = ctx.xp
    if x.size == 0 or not op.axis:
        return xp.ones_like(x)
    groups, perm, moved_shape = _groups_last(xp, x, op.axis)
    return _undo_groups(xp, _exclusive_products(xp, groups), perm, moved_shape)


@kernel("ProdExceptGrad")
def _prod_except_grad(ctx, op, g, x):
    xp = ctx.xp
    if x.size == 0 or not op.axis:
        return xp.zeros_like(x)
    xs, perm, moved_shape = _groups_last(xp, x, op.axis)
    gs = _groups_last(xp, g, op.axis)[0]
    n = xs.shape[-1]
    eye = xp.eye(n, dtype=bool)
    # rows[..., i, :] is x with x_i replaced by 1; its exclusive products at k != i are
    # prod_{j != i, k} x_j, and the diagonal (k == i) is dropped.
    rows = xp.where(eye, xp.ones((), dtype=x.dtype), xs[..., None, :])
    pair = _exclusive_products(xp, rows) * (~eye)
    out = xp.matmul(gs[..., None, :], pair)[..., 0, :]
    return _undo_groups(xp, out, perm, moved_shape)


@kernel("LogSumExp")
def _logsumexp(ctx, op, x):
    xp = ctx.xp
    if x.size == 0:
        return xp.asarray(xp.log(xp.exp(x).sum(axis=op.axis, keepdims=op.keepdims)))
    m = x.max(axis=op.axis, keepdims=True)
    m = xp.where(xp.isfinite(m), m, xp.zeros((), dtype=x.dtype))
    out = xp.log(xp.exp(x - m).sum(axis=op.axis, keepdims=True)) + m
    if not op.keepdims:
        out = out.reshape(tuple(d for i, d in enumerate(x.shape) if i not in op.axis))
    return xp.asarray(out, dtype=x.dtype)


@kernel("ExpMinusReduced")
def _exp_minus_reduced(ctx, op, x, y):
    return ctx.xp.exp(x - _expand(ctx.xp, y, op))


@kernel("ArgMax")
def _argmax(ctx, op, x):
    return ctx.xp.asarray(x.argmax(axis=op.axis, keepdims=op.keepdims), dtype="int64")


@kernel("ArgMin")
def _argmin(ctx, op, x):
    return ctx.xp.asarray(x.argmin(axis=op.axis, keepdims=op.keepdims), dtype="int64")
