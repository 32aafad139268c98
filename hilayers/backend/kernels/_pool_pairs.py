"""The gradient of 2x2 max pooling with stride 2 without NumPy's short inner loops (NumPy).

An NHWC image with ``C`` channels keeps the two columns of a window ``C`` numbers apart in
memory, so an op between them (``x[:, :, 0::2] == y``) runs NumPy's inner loop over ``C``
numbers at a time, and with 6 channels the loop overhead, not the arithmetic, sets the time:
the reference gradient (:func:`.pooling._max_pool2d_grad_into`) does 16 such ops. Here a
block of images is one flat run of numbers, and a window's four pixels sit at ``k``,
``k + C``, ``k + L`` and ``k + L + C`` from its top-left number ``k`` (``L = W * C``, one
image row). Each comparison between pixels is then one op between two shifted slices of the
run, valid at the windows' top-left positions; masks are bytes combined with bitwise ops.
Only the upstream gradient, repeated over each window's two columns, takes a short-loop
copy.

The rule is the reference's: ``g`` goes to the first maximum of its window in row-major
order, and a window holding a NaN routes nothing (its maximum is NaN, which equals
nothing). The window maxima are recomputed from ``x``; by the op's contract they are ``y``.

Example:
    >>> import numpy as np
    >>> x = np.array([1, 3, 3, 0, 5, 5, 2, 2], np.float32).reshape(1, 2, 4, 1)
    >>> g = np.array([10, 20], np.float32).reshape(1, 1, 2, 1)
    >>> out = np.empty_like(x)
    >>> bufs = Buffers(lambda purpose, shape, dtype: np.empty(shape, dtype), 0)
    >>> max_pool_grad_into(np, x, g, out, bufs).reshape(2, 4).tolist()
    [[0.0, 0.0, 20.0, 0.0], [10.0, 0.0, 0.0, 0.0]]
"""
import numpy as np


def applies(op, x_shape):
    """True for 2x2 windows with stride 2 and an image of even height and width (the
    windows tile it; 'same' padding then adds nothing)."""
    _, h, w, _ = x_shape
    return (tuple(op.pool_size) == (2, 2) and tuple(op.strides) == (2, 2)
            and h % 2 == 0 and w % 2 == 0 and h >= 2 and w >= 2)


class Buffers:
    """Scratch arrays of one thread, kept for the blocks it runs.

    A thread takes blocks in increasing order and only the last block is smaller, so the
    first request for a purpose sizes its buffer for every later one (a larger request
    borrows a larger buffer).

    Args:
        borrow: ``borrow(purpose, shape, dtype)``, e.g. a workspace's.
        tag: told apart from the other threads' buffers (the thread's slot).
    """

    def __init__(self, borrow, tag):
        self._borrow = borrow
        self._tag = tag
        self._held = {}
        self._lent = []

    def get(self, purpose, shape, dtype):
        """A C-contiguous array of ``shape`` and ``dtype`` with undefined contents."""
        size = 1
        for d in shape:
            size *= d
        buf = self._held.get(purpose)
        if buf is None or buf.size < size or buf.dtype != dtype:
            buf = self._borrow(("pool_pairs", purpose, self._tag), (size,), dtype)
            self._held[purpose] = buf
            self._lent.append(buf)
        return buf[:size].reshape(shape)

    def held(self):
        """Every array borrowed (to give back)."""
        return list(self._lent)


def repeat_columns(g, out):
    """``out[:, :, j, :] = g`` for each of the ``out.shape[2]`` columns of every window:
    ``g`` (rows, OW, C) repeated along a new third axis. Whole pixels move as one item
    (a void dtype of ``C`` numbers), about twice as fast as a broadcast copy of 6 channels.
    """
    rows, ow, c = g.shape
    if not g.flags.c_contiguous:
        out[...] = g[:, :, None, :]
        return out
    item = np.dtype((np.void, c * g.itemsize))
    pixels = g.reshape(rows * ow, c).view(item).reshape(rows * ow, 1)
    out.reshape(rows * ow, out.shape[2] * c).view(item)[...] = pixels
    return out


#: Anchor patterns by (length, c, row), kept for the shapes in use (read-only arrays).
_ANCHORS = {}
_MAX_ANCHORS = 16


def _anchor_positions(length, c, row):
    """0/1 bytes over ``length`` numbers of a block: 1 at the top-left number of a 2x2
    window (left column, top row), for rows of ``row`` numbers and ``c`` channels."""
    key = (length, c, row)
    pattern = _ANCHORS.get(key)
    if pattern is None:
        k = np.arange(2 * row)                 # one period: a window row pair
        period = (((k // c) % 2 == 0) & (k < row)).view(np.uint8)
        pattern = np.resize(period, length)
        pattern.setflags(write=False)
        if len(_ANCHORS) >= _MAX_ANCHORS:
            _ANCHORS.clear()
        _ANCHORS[key] = pattern
    return pattern


def max_pool_grad_into(xp, x, g, out, bufs):
    """Write the gradient of 2x2 max pooling with stride 2 of ``x`` (m, H, W, C), H and W
    even, for the upstream gradient ``g`` (m, H/2, W/2, C), into ``out`` (like ``x``).

    The block is one flat run of numbers. A window's four pixels sit at ``k``, ``k + C``,
    ``k + L`` and ``k + L + C`` from its top-left number ``k`` (``L = W * C``, a row), so
    each comparison between them is one op between two shifted slices of the run, valid at
    the top-left positions (:func:`_anchor_positions`). Masks are bytes (0 or 1) combined
    with bitwise ops, several times faster than NumPy's logical ops on bools.
    """
    m, h, w, c = x.shape
    row = w * c
    n = x.size
    flat = x.reshape(n)
    span = n - c - row                     # anchors have all four pixels in range
    # Within each window row: does the left pixel hold the row's maximum (ties: left)?
    left_wins = bufs.get("left_wins", (n - c,), bool)
    row_max = bufs.get("row_max", (n - c,), x.dtype)
    xp.greater_equal(flat[:-c], flat[c:], out=left_wins)
    xp.maximum(flat[:-c], flat[c:], out=row_max)
    # Which row holds the window's first maximum (ties: top; a NaN makes both False).
    top = bufs.get("top", (span,), bool)
    bottom = bufs.get("bottom", (span,), bool)
    xp.greater_equal(row_max[:span], row_max[row:], out=top)
    xp.greater(row_max[row:], row_max[:span], out=bottom)
    anchors = _anchor_positions(span, c, row)
    top8, bottom8, left8 = top.view(np.uint8), bottom.view(np.uint8), left_wins.view(np.uint8)
    xp.bitwise_and(top8, anchors, out=top8)
    xp.bitwise_and(bottom8, anchors, out=bottom8)
    # The four pixels' masks, each computed at the anchor and moved to its pixel.
    mask = bufs.get("mask", (n,), bool)
    bits = mask.view(np.uint8)
    part = bufs.get("part", (span,), np.uint8)
    bits[...] = 0
    for winner, shift in ((top8, 0), (bottom8, row)):
        xp.bitwise_and(winner, left8[shift:shift + span], out=part)
        xp.bitwise_or(bits[shift:shift + span], part, out=bits[shift:shift + span])
        xp.bitwise_xor(winner, part, out=part)               # won by the right pixel
        xp.bitwise_or(bits[shift + c:shift + c + span], part,
                      out=bits[shift + c:shift + c + span])
    # g repeated over the two columns of each window (the one short-loop step), times the
    # mask of each window row.
    rows = m * (h // 2)
    g_wide = repeat_columns(g.reshape(rows, w // 2, c),
                            bufs.get("g_wide", (rows, w // 2, 2, c), g.dtype))
    g_wide = g_wide.reshape(rows, row)
    mask3 = mask.reshape(rows, 2, row)
    out3 = out.reshape(rows, 2, row)
    for a in range(2):
        xp.multiply(g_wide, mask3[:, a], out=out3[:, a])
    return out
