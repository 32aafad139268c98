"""Longer inner loops for arrays whose last axis is short (NHWC images with few channels).

NumPy runs an elementwise op or a reduction as an inner loop over the last axis that it can
merge; an image batch with 6 channels plus a per-channel bias gives inner loops of 6
numbers, and the per-loop overhead, not the arithmetic, sets the time (measured on LeNet-5's
first layer: ``x + bias`` 0.55 ms, the bias gradient ``sum over (N, H, W)`` 1.4 ms). Both
become loops over rows of ``k * C`` numbers when ``k`` trailing positions are taken together:

* :func:`widened_operands`: ``x (.., W, C) + b (C,)`` is ``x (-1, k*C) + tile(b, k)``;
* :func:`sum_leading_axes`: the sum over every axis but the last ``m`` is a sum over the rows
  of ``(-1, k * M)``, then over the ``k`` blocks of the result.

Both give the same values as the plain expression up to the order of float additions in the
sum (each is a sequential sum over the leading axes, as NumPy's own).

Example:
    >>> import numpy as np
    >>> x = np.ones((32, 16, 16, 3), np.float32); b = np.arange(3, dtype=np.float32)
    >>> a2, b2, shape = widened_operands(np, x, b)
    >>> np.array_equal(np.add(a2, b2).reshape(shape), x + b)
    True
    >>> np.array_equal(sum_leading_axes(np, x, 3), x.sum(axis=(0, 1, 2)))
    True
"""

#: Rows are widened up to this many numbers.
WIDE_ROW = 4096
#: Last axes at least this long gain nothing.
SHORT_AXIS = 64
#: Arrays smaller than this are left alone (the reshapes would cost more than they save).
MIN_SIZE = 8192


def _group(shape, inner):
    """How many trailing positions of ``shape[:-?]`` fit in a row with ``inner`` numbers each:
    the product ``k`` of the last dims before the inner block, while ``k * inner`` stays
    within :data:`WIDE_ROW`."""
    k = 1
    for dim in reversed(shape):
        if k * dim * inner > WIDE_ROW:
            break
        k *= dim
    return k


def widened_operands(xp, a, b):
    """``(a2, b2, shape)``: ``ufunc(a2, b2).reshape(shape)`` is ``ufunc(a, b)``; or None.

    Applies when one operand is a large C-contiguous array whose last axis (C) is short and
    the other has C numbers broadcast along every leading axis (shape ``(C,)`` or
    ``(1, ..., 1, C)``); ``shape`` is then the large operand's. Operand order is kept.
    """
    a_size, b_size = a.size, b.size
    if a_size < MIN_SIZE and b_size < MIN_SIZE:
        return None
    if a_size >= b_size:
        big, small, swap = a, b, False
    else:
        big, small, swap = b, a, True
    if big.ndim < 2 or not 1 <= small.ndim <= big.ndim:
        return None
    c = big.shape[-1]
    if c >= SHORT_AXIS or small.size != c or small.shape[-1] != c:
        return None
    if not big.flags.c_contiguous or big.dtype != small.dtype:
        return None
    k = _group(big.shape[:-1], c)
    if k == 1:
        return None
    big2 = big.reshape(-1, k * c)
    small2 = xp.tile(small.reshape(c), k)
    return (small2, big2, big.shape) if swap else (big2, small2, big.shape)


def sum_leading_axes(xp, g, lead):
    """``g.sum(axis=range(lead))`` computed over long rows (see the module docstring).

    Args:
        g: an array; when it is not C-contiguous or its trailing block is long, the plain
            sum is returned.
        lead: how many leading axes to sum over.

    Returns:
        An array of shape ``g.shape[lead:]``.
    """
    axes = tuple(range(lead))
    tail = g.shape[lead:]
    inner = 1
    for dim in tail:
        inner *= dim
    if g.size < MIN_SIZE or inner >= SHORT_AXIS or not g.flags.c_contiguous or inner == 0:
        return g.sum(axis=axes)
    k = _group(g.shape[:lead], inner)
    if k == 1:
        return g.sum(axis=axes)
    rows = g.reshape(-1, k * inner).sum(axis=0)
    return rows.reshape(k, inner).sum(axis=0).reshape(tail)
