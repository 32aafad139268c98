"""Sliding-window arithmetic shared by the convolution and pooling ops and kernels.

Conventions are TensorFlow's: images are NHWC, a window of size ``k`` with dilation ``d``
covers ``k_eff = (k - 1) * d + 1`` pixels, and along one spatial axis of length ``n``

* ``"valid"``: ``out = (n - k_eff) // s + 1`` (no padding);
* ``"same"``: ``out = ceil(n / s)``, total padding ``max((out - 1) * s + k_eff - n, 0)``,
  of which ``total // 2`` goes before (top/left) and the rest (the extra pixel) after.

The size functions accept ``None`` (an unknown static dim) and then return ``None``, so op
shape inference and kernels share one formula. The array helpers take the array module
``xp`` (NumPy or CuPy) and never write into their inputs.
"""
import numpy as np

PADDINGS = ("valid", "same")


def effective_size(k, d):
    """Pixels covered by a window of ``k`` taps spaced ``d`` apart (None if ``k`` is)."""
    return None if k is None else (k - 1) * d + 1


def output_length(n, k, s, d, padding):
    """Output length of a window op along one axis of input length ``n``.

    Returns None when the result depends on an unknown (None) size. For ``"valid"`` a
    window larger than the input gives a length below 1; callers check it.
    """
    if padding == "same":
        return None if n is None else -(-n // s)
    if n is None or k is None:
        return None
    return (n - effective_size(k, d)) // s + 1


def padding_amounts(n, k, s, d, padding):
    """``(before, after)`` padding of an axis of length ``n`` (ints; all sizes known)."""
    if padding != "same":
        return 0, 0
    out = -(-n // s)
    total = max((out - 1) * s + effective_size(k, d) - n, 0)
    return total // 2, total - total // 2


def transpose_output_length(n, k, s, d, padding):
    """Default output length of a transposed convolution of input length ``n``.

    ``"valid"``: ``(n - 1) * s + k_eff``; ``"same"``: ``n * s``. None if unknown.
    """
    if n is None:
        return None
    if padding == "same":
        return n * s
    if k is None:
        return None
    return (n - 1) * s + effective_size(k, d)


def geometry(h, w, kh, kw, strides, dilations, padding):
    """Output size and padding of a 2-D window op on an ``h x w`` image.

    Returns:
        ``(oh, ow, (top, bottom, left, right))``.
    """
    sh, sw = strides
    dh, dw = dilations
    top, bottom = padding_amounts(h, kh, sh, dh, padding)
    left, right = padding_amounts(w, kw, sw, dw, padding)
    oh = output_length(h, kh, sh, dh, padding)
    ow = output_length(w, kw, sw, dw, padding)
    return oh, ow, (top, bottom, left, right)


def pad_hw(xp, x, pads, value=0):
    """Return ``x`` (N, H, W, C) padded on H and W by ``pads = (top, bottom, left, right)``
    with ``value``; ``x`` itself when no padding is needed (callers must not write to it)."""
    top, bottom, left, right = pads
    if not (top or bottom or left or right):
        return x
    n, h, w, c = x.shape
    out = xp.full((n, h + top + bottom, w + left + right, c), value, dtype=x.dtype)
    out[:, top:top + h, left:left + w, :] = x
    return out


def _as_strided(xp, x, shape, strides):
    """A read-only strided view (CuPy's ``as_strided`` has no ``writeable`` argument)."""
    as_strided = xp.lib.stride_tricks.as_strided
    if xp is np:
        return as_strided(x, shape=shape, strides=strides, writeable=False)
    return as_strided(x, shape=shape, strides=strides)


def windows(xp, xpad, kh, kw, strides, dilations, oh, ow):
    """Read-only view ``(N, OH, OW, KH, KW, C)`` of the windows of padded ``xpad``.

    ``view[n, i, j, a, b, c] = xpad[n, i * sh + a * dh, j * sw + b * dw, c]``; no copy.
    """
    sn, sh_, sw_, sc = xpad.strides
    sh, sw = strides
    dh, dw = dilations
    shape = (xpad.shape[0], oh, ow, kh, kw, xpad.shape[3])
    return _as_strided(xp, xpad, shape, (sn, sh_ * sh, sw_ * sw, sh_ * dh, sw_ * dw, sc))


#: Below this many input channels, im2col copies the windows tap-major (see
#: :func:`im2col_chunks`).
TAP_MAJOR_MAX_CHANNELS = 2


def im2col_setup(xp, x, kh, kw, strides, dilations, padding, workspace):
    """The padded image and its windows view, for :func:`im2col_chunks`.

    Returns:
        ``(xpad, view, (oh, ow))``: ``xpad`` is lent from ``workspace`` (give it back when
        done) or ``x`` itself; ``view`` is the read-only ``(N, OH, OW, KH, KW, C)`` windows.
    """
    n, h, w, c = x.shape
    oh, ow, pads = geometry(h, w, kh, kw, strides, dilations, padding)
    xpad = workspace.padded(x, pads, 0)
    return xpad, windows(xp, xpad, kh, kw, strides, dilations, oh, ow), (oh, ow)


def im2col_buffer_size(view, chunk):
    """Numbers in a buffer for ``chunk`` images of :func:`im2col_chunks`."""
    _, oh, ow, kh, kw, c = view.shape
    return chunk * oh * ow * kh * kw * c


def im2col_chunks(xp, view, start, stop, chunk, buf):
    """The im2col matrix of images ``start:stop``, ``chunk`` images at a time.

    The matrix of images ``s:e`` has shape ``((e - s) * OH * OW, KH * KW * C)``: row
    ``(n, i, j)`` holds the window of output pixel ``(i, j)`` in ``(a, b, c)`` order, matching
    an HWIO kernel reshaped to ``(KH * KW * C, Cout)``. The windows (``view``, from
    :func:`im2col_setup`) are copied once into ``buf``. With few channels the copy is laid
    out tap-major, ``(KH, KW, C, n, OH, OW)``, whose inner runs are image rows rather than
    ``KW * C`` numbers, and the matrix is the transposed view of it (BLAS takes either order
    without a copy). Chunks small enough to stay in the CPU cache make the copy and the
    matmul that reads it about 1.7 times faster than one matrix for the batch
    (docs/performance.md).

    Args:
        view: the windows view of the padded images.
        start, stop: the images to cover.
        chunk: images per chunk (at least 1).
        buf: a 1-D array of at least :func:`im2col_buffer_size` numbers.

    Yields:
        ``(s, e, cols)``; ``cols`` is valid until the next chunk is asked for.
    """
    _, oh, ow, kh, kw, c = view.shape
    tap_major = c <= TAP_MAJOR_MAX_CHANNELS
    per_image = oh * ow * kh * kw * c
    for s in range(start, stop, chunk):
        e = min(stop, s + chunk)
        m = e - s
        part = buf[:m * per_image]          # contiguous, also for a last, shorter chunk
        if tap_major:
            part = part.reshape(kh, kw, c, m, oh, ow)
            xp.copyto(part, view[s:e].transpose(3, 4, 5, 0, 1, 2))
            yield s, e, part.reshape(kh * kw * c, m * oh * ow).T
        else:
            part = part.reshape(m, oh, ow, kh, kw, c)
            xp.copyto(part, view[s:e])
            yield s, e, part.reshape(m * oh * ow, kh * kw * c)


def tap_slices(a, b, strides, dilations, oh, ow):
    """Row and column slices of the padded-image pixels read by kernel tap ``(a, b)``.

    ``xpad[:, rows, cols, :]`` has shape (N, OH, OW, C): element ``(n, i, j, c)`` is
    ``xpad[n, i * sh + a * dh, j * sw + b * dw, c]``. For one tap these pixels are distinct,
    so ``buf[..., rows, cols, ...] += values`` accumulates without collisions.
    """
    r0, c0 = a * dilations[0], b * dilations[1]
    return (slice(r0, r0 + (oh - 1) * strides[0] + 1, strides[0]),
            slice(c0, c0 + (ow - 1) * strides[1] + 1, strides[1]))


def padded_size(out_hw, kh, kw, strides, dilations, padding):
    """Geometry of an image of size ``out_hw`` and the size of a buffer that holds both the
    padded image and every window ("valid" windows may leave the last rows untouched).

    Returns:
        ``(oh, ow, pads, (hp, wp))``.
    """
    h, w = out_hw
    oh, ow, (top, bottom, left, right) = geometry(h, w, kh, kw, strides, dilations, padding)
    hp = max(h + top + bottom, (oh - 1) * strides[0] + (kh - 1) * dilations[0] + 1)
    wp = max(w + left + right, (ow - 1) * strides[1] + (kw - 1) * dilations[1] + 1)
    return oh, ow, (top, bottom, left, right), (hp, wp)


def col2im(xp, cols_t, out_shape, kh, kw, strides, dilations, padding):
    """Adjoint of :func:`im2col`: add every window entry back onto its image pixel.

    Args:
        cols_t: the transposed column matrix, shape ``(KH * KW * C, N * OH * OW)`` (what
            ``kernel_matrix @ g.T`` gives), read as ``(KH, KW, C, N, OH, OW)``.
        out_shape: ``(N, H, W, C)`` of the image.

    Returns:
        The image ``(N, H, W, C)``, a new C-contiguous array. One Python iteration per
        kernel tap (KH * KW), each adding a strided slice into a zero-padded channel-major
        buffer (inner runs are image rows); no loop over pixels or the batch.
    """
    n, h, w, c = out_shape
    oh, ow, (top, _, left, _), (hp, wp) = padded_size((h, w), kh, kw, strides, dilations,
                                                      padding)
    cols = cols_t.reshape(kh, kw, c, n, oh, ow)
    buf = xp.zeros((c, n, hp, wp), dtype=cols.dtype)
    for a in range(kh):
        for b in range(kw):
            rows, columns = tap_slices(a, b, strides, dilations, oh, ow)
            buf[:, :, rows, columns] += cols[a, b]
    image = buf[:, :, top:top + h, left:left + w].transpose(1, 2, 3, 0)
    return xp.ascontiguousarray(image)


def window_counts(xp, h, w, kh, kw, strides, padding, dtype):
    """Number of real (unpadded) pixels in each pooling window, shape ``(OH, OW, 1)``."""
    def per_axis(n, k, s):
        before, _ = padding_amounts(n, k, s, 1, padding)
        out = output_length(n, k, s, 1, padding)
        start = np.arange(out) * s - before
        return np.minimum(start + k, n) - np.maximum(start, 0)
    counts = np.outer(per_axis(h, kh, strides[0]), per_axis(w, kw, strides[1]))
    return xp.asarray(counts.reshape(counts.shape + (1,)).astype(dtype))
