"""Kernels of the pooling ops (one body for NumPy and CuPy).

No Python loop runs over pixels or the batch. A rectangular max or sum is separable, so the
forward ops reduce the ``ph`` row taps (strided slices of the padded image) and then the
``pw`` column taps: ``ph + pw`` whole-array operations. The average-pool gradient is the
adjoint of that, spreading along columns then rows. The max-pool gradient loops over the
``ph * pw`` window taps in row-major order, compares each with the pooled maximum and keeps
only the first match per window, so ties go to the first element.
"""
import numpy as np

from . import _parallel as par
from . import _windows as win
from .registry import kernel

_NO_DILATION = (1, 1)
#: Images per thread below which pooling runs on one thread.
_MIN_IMAGES_PER_THREAD = 16


def _geometry(op, x_shape):
    """``(oh, ow, pads, (hp, wp))`` of pooling an image of shape ``x_shape``."""
    ph, pw = op.pool_size
    return win.padded_size(x_shape[1:3], ph, pw, op.strides, _NO_DILATION, op.padding)


def _row_slice(op, a, oh):
    return win.tap_slices(a, 0, op.strides, _NO_DILATION, oh, 1)[0]


def _col_slice(op, b, ow):
    return win.tap_slices(0, b, op.strides, _NO_DILATION, 1, ow)[1]


def _fold(xp, combine, parts):
    """Combine arrays pairwise into a new array (the first part is never written)."""
    parts = iter(parts)
    acc = next(parts)
    fresh = False
    for part in parts:
        if fresh:
            combine(acc, part, out=acc)
        else:
            acc, fresh = combine(acc, part), True
    return acc if fresh else acc.copy()


def _separable(xp, op, x, pad_value, combine):
    """Reduce every pooling window of ``x`` with ``combine`` (max or add): rows, then
    columns. Returns the (N, OH, OW, C) result, a new array."""
    oh, ow, pads, _ = _geometry(op, x.shape)
    xpad = win.pad_hw(xp, x, pads, pad_value)
    ph, pw = op.pool_size
    if ph == 1:
        rows = xpad[:, _row_slice(op, 0, oh)]
    else:
        rows = _fold(xp, combine, (xpad[:, _row_slice(op, a, oh)] for a in range(ph)))
    return _fold(xp, combine, (rows[:, :, _col_slice(op, b, ow)] for b in range(pw)))


def _first_max_masks(xp, op, xpad, y):
    """Yield ``(rows, cols, mask)`` per window tap in row-major order: ``mask`` marks the
    windows whose first maximum is at that tap (``xpad[:, rows, cols]`` is the tap)."""
    oh, ow = y.shape[1:3]
    remaining = xp.ones(y.shape, dtype=bool)
    for a in range(op.pool_size[0]):
        for b in range(op.pool_size[1]):
            rows, cols = win.tap_slices(a, b, op.strides, _NO_DILATION, oh, ow)
            mask = xp.equal(xpad[:, rows, cols], y)
            xp.logical_and(mask, remaining, out=mask)
            xp.logical_xor(remaining, mask, out=remaining)
            yield rows, cols, mask


def _crop(xp, buf, shape, pads):
    _, h, w, _ = shape
    top, _, left, _ = pads
    return xp.ascontiguousarray(buf[:, top:top + h, left:left + w, :])


def _batch_ranges(ctx, n):
    """Ranges of images for the threads (see :mod:`._parallel`); one range on CuPy."""
    if ctx.impl.name != "numpy":
        return [(0, n)]
    return par.batch_ranges(n, min_per_thread=_MIN_IMAGES_PER_THREAD)


@kernel("MaxPool2D")
def _max_pool2d(ctx, op, x):
    xp = ctx.xp
    ranges = _batch_ranges(ctx, x.shape[0])
    if len(ranges) == 1:
        return _separable(xp, op, x, -np.inf, xp.maximum)
    parts = par.run_ranges(
        lambda i, s, e: _separable(xp, op, x[s:e], -np.inf, xp.maximum), ranges)
    return xp.concatenate(parts)


@kernel("MaxPool2DGrad")
def _max_pool2d_grad(ctx, op, x, y, g):
    out = ctx.xp.empty(x.shape, dtype=x.dtype)
    par.run_ranges(lambda i, s, e: _max_pool2d_grad_into(ctx.xp, op, x[s:e], y[s:e], g[s:e],
                                                         out[s:e]),
                   _batch_ranges(ctx, x.shape[0]))
    return out


def _max_pool2d_grad_into(xp, op, x, y, g, out):
    """Write the max-pool gradient of images ``x`` into ``out`` (same shape)."""
    oh, ow, pads, (hp, wp) = _geometry(op, x.shape)
    xpad = win.pad_hw(xp, x, pads, -np.inf)
    n, h, w, c = x.shape
    # Without overlap each pixel belongs to one tap, so taps write their slice directly.
    disjoint = all(s >= k for s, k in zip(op.strides, op.pool_size))
    covered = disjoint and tuple(op.strides) == tuple(op.pool_size) and (
        oh * op.strides[0], ow * op.strides[1]) == (h, w)
    if (hp, wp) == (h, w) and not any(pads):
        buf = out                        # no border to crop: write the result directly
        if not covered:
            buf[...] = 0
    else:
        buf = xp.zeros((n, hp, wp, c), dtype=x.dtype)
    for rows, cols, mask in _first_max_masks(xp, op, xpad, y):
        if disjoint:
            xp.multiply(g, mask, out=buf[:, rows, cols])
        else:
            buf[:, rows, cols] += g * mask
    if buf is not out:
        top, _, left, _ = pads
        out[...] = buf[:, top:top + h, left:left + w, :]


@kernel("MaxPool2DGradGrad")
def _max_pool2d_grad_grad(ctx, op, x, y, h):
    xp = ctx.xp
    _, _, pads, _ = _geometry(op, x.shape)
    xpad = win.pad_hw(xp, x, pads, -np.inf)
    hpad = win.pad_hw(xp, h, pads, 0)
    out = xp.zeros(y.shape, dtype=x.dtype)
    for rows, cols, mask in _first_max_masks(xp, op, xpad, y):
        out += hpad[:, rows, cols] * mask
    return out


def _divisor(xp, op, x_shape, pads, dtype):
    """What each window sum is divided by: a number, or the (OH, OW, 1) real-pixel counts."""
    if not any(pads):
        return dtype.type(op.pool_size[0] * op.pool_size[1])
    _, h, w, _ = x_shape
    return win.window_counts(xp, h, w, op.pool_size[0], op.pool_size[1], op.strides,
                             op.padding, dtype)


@kernel("AvgPool2D")
def _avg_pool2d(ctx, op, x):
    xp = ctx.xp
    _, _, pads, _ = _geometry(op, x.shape)
    out = _separable(xp, op, x, 0, xp.add)
    out /= _divisor(xp, op, x.shape, pads, x.dtype)
    return out


@kernel("AvgPool2DGrad")
def _avg_pool2d_grad(ctx, op, g, like):
    xp = ctx.xp
    oh, ow, pads, (hp, wp) = _geometry(op, like.shape)
    scaled = g / _divisor(xp, op, like.shape, pads, g.dtype)
    n, _, _, c = g.shape
    rows = xp.zeros((n, oh, wp, c), dtype=g.dtype)
    for b in range(op.pool_size[1]):
        rows[:, :, _col_slice(op, b, ow)] += scaled
    buf = xp.zeros((n, hp, wp, c), dtype=g.dtype)
    for a in range(op.pool_size[0]):
        buf[:, _row_slice(op, a, oh)] += rows
    return _crop(xp, buf, like.shape, pads)
