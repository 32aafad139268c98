"""Kernels of concatenate, stack, split, tile, repeat and pad (and their adjoints)."""
from ..errors import InvalidArgumentError
from .registry import kernel


def _one_or_tuple(parts):
    """A multi-output kernel returns a tuple; with a single output, the array itself."""
    return parts[0] if len(parts) == 1 else tuple(parts)


def _cuts(sizes):
    """Split points from piece sizes: [2, 3, 4] -> [2, 5]."""
    cuts, total = [], 0
    for s in sizes[:-1]:
        total += s
        cuts.append(total)
    return cuts


def _along(axis, index):
    """Index tuple selecting ``index`` (an int or a slice) on ``axis``, all of the others."""
    return (slice(None),) * axis + (index,)


@kernel("Concatenate")
def _concatenate(ctx, op, *xs):
    return ctx.xp.concatenate(xs, axis=op.axis)


@kernel("SplitLike")
def _split_like(ctx, op, g, *likes):
    return _one_or_tuple(ctx.xp.split(g, _cuts([like.shape[op.axis] for like in likes]),
                                      axis=op.axis))


@kernel("Stack")
def _stack(ctx, op, *xs):
    return ctx.xp.stack(xs, axis=op.axis)


@kernel("Unstack")
def _unstack(ctx, op, x):
    return _one_or_tuple([x[_along(op.axis, i)] for i in range(op.num)])


@kernel("Split")
def _split(ctx, op, x):
    if op.sizes is None:
        return _one_or_tuple(ctx.xp.split(x, op.num, axis=op.axis))
    sizes = list(op.sizes)
    if -1 in sizes:
        sizes[sizes.index(-1)] = x.shape[op.axis] - sum(s for s in sizes if s != -1)
    if min(sizes) < 0 or sum(sizes) != x.shape[op.axis]:
        raise InvalidArgumentError(f"Split: sizes {list(op.sizes)} do not match the size "
                                   f"{x.shape[op.axis]} of axis {op.axis} (input shape "
                                   f"{x.shape}).")
    return _one_or_tuple(ctx.xp.split(x, _cuts(sizes), axis=op.axis))


@kernel("Tile")
def _tile(ctx, op, x):
    return ctx.xp.tile(x, op.multiples)


@kernel("TileGrad")
def _tile_grad(ctx, op, g):
    split_shape = []
    for d, m in zip(g.shape, op.multiples):
        split_shape += [m, d // m]
    return g.reshape(split_shape).sum(axis=tuple(range(0, 2 * g.ndim, 2)))


@kernel("Repeat")
def _repeat(ctx, op, x):
    return ctx.xp.repeat(x, op.repeats, axis=op.axis)


@kernel("RepeatGrad")
def _repeat_grad(ctx, op, g):
    a = op.axis
    shape = g.shape[:a] + (g.shape[a] // op.repeats, op.repeats) + g.shape[a + 1:]
    return g.reshape(shape).sum(axis=a + 1)


def _check_mirror(op, shape):
    limit = {"reflect": 1, "symmetric": 0}.get(op.mode)
    if limit is None:
        return
    for i, (d, (b, a)) in enumerate(zip(shape, op.paddings)):
        if (b or a) and max(b, a) > d - limit:
            raise InvalidArgumentError(f"Pad: mode {op.mode!r} pads axis {i} (size {d}) by "
                                       f"({b}, {a}); expected each padding <= {d - limit}.")


@kernel("Pad")
def _pad(ctx, op, x):
    if op.mode == "constant":
        return ctx.xp.pad(x, op.paddings, mode="constant", constant_values=op.constant_values)
    _check_mirror(op, x.shape)
    return ctx.xp.pad(x, op.paddings, mode=op.mode)


@kernel("PadGrad")
def _pad_grad(ctx, op, g):
    xp = ctx.xp
    centre = tuple(slice(b, d - a) for d, (b, a) in zip(g.shape, op.paddings))
    if op.mode == "constant":
        return g[centre]
    # Mirror modes: fold the borders axis by axis (the padding is separable).
    reflect = op.mode == "reflect"
    h = g
    for axis, (b, a) in enumerate(op.paddings):
        if not (b or a):
            continue
        n = h.shape[axis] - b - a
        out = h[_along(axis, slice(b, b + n))].copy()
        if b:
            start = 1 if reflect else 0
            out[_along(axis, slice(start, start + b))] += xp.flip(
                h[_along(axis, slice(0, b))], axis)
        if a:
            stop = n - 1 if reflect else n
            out[_along(axis, slice(stop - a, stop))] += xp.flip(
                h[_along(axis, slice(b + n, b + n + a))], axis)
        h = out
    return h
