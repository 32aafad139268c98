"""Kernels of the pooling ops (one body for NumPy and CuPy).

No Python loop runs over pixels. A rectangular max or sum is separable, so the forward ops
reduce the ``ph`` row taps (strided slices of the padded image) and then the ``pw`` column
taps: ``ph + pw`` whole-array operations. The average-pool gradient is the adjoint of that,
spreading along columns then rows. The max-pool gradient loops over the ``ph * pw`` window
taps in row-major order, compares each with the pooled maximum and keeps only the first
match per window, so ties go to the first element.

On NumPy, max pooling and its gradient run on blocks of images of about
:data:`_BLOCK_BYTES` (in cache, and spread over the threads of :mod:`._parallel`), and
windows two pixels wide that tile the image take the path of :mod:`._pool_pairs`; the
general functions here stay its reference.
"""
import numpy as np

from . import _parallel as par
from . import _pool_pairs as pairs
from .elementwise import _where_numpy as where_by_bit_masks
from . import _windows as win
from .registry import kernel

_NO_DILATION = (1, 1)
#: On NumPy, max pooling works on blocks of images holding about this many input bytes:
#: large enough that each NumPy call runs long and two threads rarely wait for the GIL
#: (measured on LeNet-5's first pooling gradient: 256 KB blocks ran slower on 2 threads than
#: on one, 1 MB blocks 1.4 times faster).
_BLOCK_BYTES = 1 << 20


def _geometry(op, x_shape):
    """``(oh, ow, pads, (hp, wp))`` of pooling an image of shape ``x_shape``."""
    ph, pw = op.pool_size
    return win.padded_size(x_shape[1:3], ph, pw, op.strides, _NO_DILATION, op.padding)


def _row_slice(op, a, oh):
    return win.tap_slices(a, 0, op.strides, _NO_DILATION, oh, 1)[0]


def _col_slice(op, b, ow):
    return win.tap_slices(0, b, op.strides, _NO_DILATION, 1, ow)[1]


def _fold(xp, combine, parts, out=None):
    """Combine arrays pairwise into a new array, or into ``out`` (the first part is never
    written)."""
    parts = list(parts)
    if len(parts) == 1:
        if out is None:
            return parts[0].copy()
        out[...] = parts[0]
        return out
    acc = combine(parts[0], parts[1], out=out)
    for part in parts[2:]:
        combine(acc, part, out=acc)
    return acc


def _separable(xp, op, x, pad_value, combine, out=None):
    """Reduce every pooling window of ``x`` with ``combine`` (max or add): rows, then
    columns. Returns the (N, OH, OW, C) result, a new array or ``out``."""
    oh, ow, pads, _ = _geometry(op, x.shape)
    xpad = win.pad_hw(xp, x, pads, pad_value)
    ph, pw = op.pool_size
    if ph == 1:
        rows = xpad[:, _row_slice(op, 0, oh)]
    else:
        rows = _fold(xp, combine, [xpad[:, _row_slice(op, a, oh)] for a in range(ph)])
    return _fold(xp, combine, [rows[:, :, _col_slice(op, b, ow)] for b in range(pw)], out)


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


def _image_blocks(ctx, x):
    """``(images per block, blocks, threads)`` for a max-pool kernel on ``x``: the whole
    batch on CuPy; on NumPy blocks of about :data:`_BLOCK_BYTES`, spread over the threads."""
    n = x.shape[0]
    if n == 0:
        return 1, 0, 1
    if ctx.impl.name != "numpy":
        return n, 1, 1
    per_image = max(1, x.nbytes // n)
    per = max(1, min(n, _BLOCK_BYTES // per_image))
    blocks = -(-n // per)
    return per, blocks, par.threads_for(blocks)


def _over_blocks(ctx, x, fast, each):
    """Run ``each(start, stop, bufs)`` for every block of images of ``x``; ``bufs`` is the
    thread's :class:`~._pool_pairs.Buffers` when ``fast`` (else None)."""
    per, blocks, threads = _image_blocks(ctx, x)
    n = x.shape[0]
    slots = [pairs.Buffers(ctx.workspace.borrow, slot) if fast else None
             for slot in range(threads)]

    def work(block, slot):
        start = block * per
        each(start, min(n, start + per), slots[slot])
    try:
        par.run_blocks(work, blocks, threads)
    finally:
        for bufs in slots:
            for buf in (bufs.held() if bufs is not None else ()):
                ctx.workspace.give_back(buf)


def _fast(ctx, op, x):
    """True when :mod:`._pool_pairs` applies (NumPy only)."""
    return ctx.impl.name == "numpy" and pairs.applies(op, x.shape)


@kernel("MaxPool2D")
def _max_pool2d(ctx, op, x):
    xp = ctx.xp
    if ctx.impl.name != "numpy":
        return _separable(xp, op, x, -np.inf, xp.maximum)
    oh, ow, _, _ = _geometry(op, x.shape)
    out = xp.empty((x.shape[0], oh, ow, x.shape[3]), dtype=x.dtype)

    def each(start, stop, bufs):
        _separable(xp, op, x[start:stop], -np.inf, xp.maximum, out=out[start:stop])
    _over_blocks(ctx, x, False, each)
    return out


@kernel("MaxPool2DGrad")
def _max_pool2d_grad(ctx, op, x, y, g):
    xp = ctx.xp
    out = xp.empty(x.shape, dtype=x.dtype)
    if ctx.impl.name != "numpy":
        return _max_pool2d_grad_into(xp, op, x, y, g, out)
    fast = _fast(ctx, op, x)

    def each(start, stop, bufs):
        if fast:
            pairs.max_pool_grad_into(xp, x[start:stop], g[start:stop], out[start:stop], bufs)
        else:
            _max_pool2d_grad_into(xp, op, x[start:stop], y[start:stop], g[start:stop],
                                  out[start:stop])
    _over_blocks(ctx, x, fast, each)
    return out


def max_pool2d_grad_of_relu(ctx, op, x, y, g):
    """``MaxPool2DGrad`` with ``g`` first zeroed where the pooled value ``y`` is not
    positive: the gradient through ``max_pool(relu(z))`` back to ``z``
    (:func:`hilayers.backend.fusion.fuse_relu_max_pool_grad`)."""
    xp = ctx.xp
    zero = xp.zeros((), dtype=g.dtype)
    if ctx.impl.name == "numpy":         # bit masks: 0.06 ms against np.where's 0.55 ms
        kept = where_by_bit_masks(ctx, op, y > 0, g, zero)    # on LeNet-5's 128x14x14x6
    else:
        kept = xp.where(y > 0, g, zero)
    return _max_pool2d_grad(ctx, op, x, y, kept)


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
    return out


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
