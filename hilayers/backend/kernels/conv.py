"""Kernels of the convolution ops (one body for NumPy and CuPy).

* ``Conv2D``: im2col through a read-only strided windows view, copied into a workspace
  buffer a few images at a time, each chunk times the kernel matrix
  ``(n*OH*OW, KH*KW*Cin) @ (KH*KW*Cin, Cout)`` on BLAS into its rows of the output. On NumPy
  a chunk is sized to stay in the CPU cache (:data:`_CACHE_CHUNK_BYTES`); on CuPy the
  whole batch is one chunk.
* ``Conv2DBackpropFilter``: the same chunks, transposed, times the matching rows of ``g``,
  summed. Recomputing the cache-resident chunks costs less than keeping the forward's
  whole matrix until the backward pass reads it back from memory (measured: 1.1 ms against
  1.8 ms on LeNet-5's first layer, and no 10 MB buffer held).
* ``Conv2DBackpropInput``: with unit strides, one matmul of the kernel with shifted copies of
  the gradient per chunk of images, then ``KH`` adds (:func:`_backprop_input_unit_stride`);
  otherwise, and as the reference, ``kernel @ g^T`` (the transposed column matrix) then
  col2im, which adds every kernel tap's slice back onto the image
  (:func:`_windows.col2im`).
"""
import contextlib

import numpy as np

from ..errors import InvalidArgumentError
from . import _parallel as par
from ._blas_threads import single_threaded_blas
from . import _windows as win
from .activations import relu_into
from .registry import kernel

#: On NumPy, im2col chunks hold about this many bytes (L2-cache sized).
_CACHE_CHUNK_BYTES = 640 << 10
#: The unit-stride input gradient's chunks of shifted gradients hold about this many bytes.
_CHUNK_BYTES = 768 << 10
#: NumPy releases the GIL around a matrix product with at least about this many results.
_MIN_RELEASING_RESULTS = 512


def _check_output(op, what, in_hw, k_hw, out_hw):
    if out_hw[0] < 1 or out_hw[1] < 1:
        raise InvalidArgumentError(
            f"{op!r}: {what} of height x width {tuple(in_hw)} is smaller than the kernel "
            f"{tuple(k_hw)} with dilation {op.dilations} and padding 'valid'; expected an "
            "input at least as large as the dilated kernel.")


def _images_per_chunk(ctx, x, oh, ow, kh, kw):
    """How many images' im2col rows fit in one cache-sized chunk (the batch on CuPy)."""
    n = x.shape[0]
    if ctx.impl.name != "numpy":
        return n
    per_image = oh * ow * kh * kw * x.shape[3] * x.itemsize
    return max(1, min(n, _CACHE_CHUNK_BYTES // max(1, per_image)))


def _blas_for_chunks(ctx):
    """Single-threaded BLAS while the chunks run (see :mod:`._blas_threads`); NumPy only."""
    if ctx.impl.name != "numpy":
        return contextlib.nullcontext()
    return single_threaded_blas()


def _threads(ctx, blocks):
    """Threads for ``blocks`` chunks (see :mod:`._parallel`); one on CuPy."""
    return par.threads_for(blocks) if ctx.impl.name == "numpy" else 1


def _over_columns(ctx, op, x, kh, kw, each, group=1):
    """Call ``each(start, stop, cols)`` for the im2col chunks of ``x``, ``group`` chunks
    at a time: ``cols`` stacks them, shape ``(q, chunk rows, KH * KW * C)``, for images
    ``start:stop``. The blocks of chunks are spread over the threads, each thread with its
    own buffer. Returns ``each``'s results in chunk order.

    A block that ends with a shorter last chunk passes its chunks one at a time (``q = 1``),
    so that every stack holds equal chunks; each chunk is the same matrix either way.
    """
    ws = ctx.workspace
    xp = ctx.xp
    xpad, view, (oh, ow) = win.im2col_setup(xp, x, kh, kw, op.strides, op.dilations,
                                            op.padding, ws)
    n = x.shape[0]
    chunk = _images_per_chunk(ctx, x, oh, ow, kh, kw)
    chunks = -(-n // chunk) if n else 0
    blocks = -(-chunks // group)
    threads = _threads(ctx, blocks)
    size = win.im2col_buffer_size(view, chunk)
    taps = kh * kw * x.shape[3]
    bufs = [ws.borrow(("im2col", i), (size * group,), x.dtype) for i in range(threads)]

    def work(block, slot):
        first, last = block * group, min(chunks, (block + 1) * group)
        start, stop = first * chunk, min(n, last * chunk)
        buf = bufs[slot]
        if stop - start < (last - first) * chunk:        # a shorter last chunk: one by one
            return [each(s, e, cols[None])
                    for s, e, cols in win.im2col_chunks(xp, view, start, stop, chunk, buf)]
        for i in range(last - first):                    # equal chunks: one stack
            s = start + i * chunk
            for _ in win.im2col_chunks(xp, view, s, s + chunk, chunk,
                                       buf[i * size:(i + 1) * size]):
                pass
        rows = chunk * oh * ow
        if view.shape[5] <= win.TAP_MAJOR_MAX_CHANNELS:   # chunks are (taps, rows), see win
            cols = buf[:(last - first) * size].reshape(-1, taps, rows).transpose(0, 2, 1)
        else:
            cols = buf[:(last - first) * size].reshape(-1, rows, taps)
        return [each(start, stop, cols)]
    try:
        with _blas_for_chunks(ctx):
            return [r for per_block in par.run_blocks(work, blocks, threads)
                    for r in per_block]
    finally:
        for buf in bufs:
            ws.give_back(buf)
        ws.give_back(xpad)


@kernel("Conv2D")
def _conv2d(ctx, op, x, k):
    return conv2d_bias_relu(ctx, op, x, k)


def conv2d_bias_relu(ctx, op, x, k, bias=None, relu=False):
    """``Conv2D``, then optionally ``+ bias`` (``Cout`` numbers) and a ReLU, each chunk of
    output rows finished while in cache (:mod:`hilayers.backend.fusion`)."""
    kh, kw, cin, cout = k.shape
    n, h, w, _ = x.shape
    oh, ow, _ = win.geometry(h, w, kh, kw, op.strides, op.dilations, op.padding)
    _check_output(op, "input", (h, w), (kh, kw), (oh, ow))
    xp = ctx.xp
    kmat = k.reshape(kh * kw * cin, cout)
    out = xp.empty((n * oh * ow, cout), dtype=x.dtype)
    rows = oh * ow
    if bias is not None:
        # One bias row per image: adds over rows of oh*ow*cout numbers, not cout.
        bias_row = xp.tile(bias.reshape(cout), rows)

    def each(start, stop, cols):
        part = out[start * rows:stop * rows]
        xp.matmul(cols[0], kmat, out=part)
        if bias is not None:
            wide = part.reshape(stop - start, rows * cout)
            xp.add(wide, bias_row, out=wide)
        if relu:
            if xp is np:
                relu_into(part, part)
            else:
                xp.maximum(part, 0, out=part)
    _over_columns(ctx, op, x, kh, kw, each)
    return out.reshape(n, oh, ow, cout)


def fused_conv2d(relu):
    """The kernel of a fused ``Conv2D -> Add(bias) [-> Relu]`` step,
    ``fn(ctx, op, x, k, bias)`` (:func:`hilayers.backend.fusion.fuse_conv_bias_relu`)."""
    def conv_bias(ctx, op, x, k, bias):
        return conv2d_bias_relu(ctx, op, x, k, bias, relu)
    conv_bias.__name__ = "conv2d_bias_relu" if relu else "conv2d_bias"
    conv_bias.ends_with_relu = relu
    return conv_bias


@kernel("Conv2DBackpropFilter")
def _conv2d_backprop_filter(ctx, op, x, g, like):
    kh, kw, cin, cout = like.shape
    n, h, w, _ = x.shape
    oh, ow, _ = win.geometry(h, w, kh, kw, op.strides, op.dilations, op.padding)
    _check_output(op, "input", (h, w), (kh, kw), (oh, ow))
    if g.shape != (n, oh, ow, cout):
        raise InvalidArgumentError(f"{op!r}: gradient has shape {g.shape}; the input "
                                   f"{x.shape} and kernel {like.shape} give "
                                   f"{(n, oh, ow, cout)}.")
    g_rows = g.reshape(n * oh * ow, cout)
    rows = oh * ow
    # NumPy holds the GIL through a matrix product of fewer than about 500 results, so
    # chunks whose filter gradient is smaller (LeNet-5's first layer: 25 x 6) are stacked
    # into one batched product of at least _MIN_RELEASING_RESULTS, which lets the threads
    # run at the same time. Each chunk's product is the same matrix product either way.
    group = max(1, -(-_MIN_RELEASING_RESULTS // (kh * kw * cin * cout)))

    def each(start, stop, cols):
        q = cols.shape[0]
        return cols.transpose(0, 2, 1) @ g_rows[start * rows:stop * rows].reshape(
            q, -1, cout)
    parts = [part for stack in _over_columns(ctx, op, x, kh, kw, each, group)
             for part in stack]
    if not parts:                                  # an empty batch
        return ctx.xp.zeros(like.shape, dtype=x.dtype)
    dk = parts[0].copy()                           # summed into in place
    for part in parts[1:]:                         # chunk order: repeatable results
        dk += part
    return dk.reshape(kh, kw, cin, cout)


def _backprop_input_unit_stride(ctx, g, k, out_shape, dilations, padding):
    """Transposed convolution with strides (1, 1), as one matmul per chunk of images.

    Flatten the padded image of width ``wp`` per channel and image, and ``g`` widened to
    ``wp`` columns (the extra ones zero) likewise: gradient pixel ``q = i*wp + j`` of tap
    ``(a, b)`` lands at ``q + b*dw + a*dh*wp``. So, with ``G[(b, o), t] = g[o, t - b*dw]``
    (``KW`` shifted copies of the flat gradient, each one contiguous slice),
    ``R[(a, c), t] = sum_{b, o} k[a, b, c, o] * G[(b, o), t]`` is one matmul, and the image is
    ``R[(a, c)]`` added at offset ``a*dh*wp``: ``KH`` adds of long contiguous runs, against
    ``KH * KW`` adds of the transposed column matrix ``k @ g^T``, which is also ``KW`` times
    larger (measured 2.0 ms against 2.6 ms on LeNet-5's second convolution, 3.5 ms for the
    plain col2im). Chunks of images keep ``G`` in cache; the zero columns only add zeros,
    except with a non-finite weight, which :func:`_conv2d_backprop_input` routes to the
    general path.
    """
    xp, ws = ctx.xp, ctx.workspace
    n, h, w, cin = out_shape
    _, gh, gw, cout = g.shape
    kh, kw = k.shape[:2]
    dh, dw = dilations
    _, _, (top, _, left, _), (hp, wp) = win.padded_size((h, w), kh, kw, (1, 1), dilations,
                                                        padding)
    run = gh * wp                       # one widened gradient image, flat
    margin = (kw - 1) * dw              # room for the shifts
    span = run + margin                 # columns of G (and R) per image
    flat = ws.borrow("bpi_g", (cout, n, run + 2 * margin), g.dtype)
    kmat = k.transpose(0, 2, 1, 3).reshape(kh * cin, kw * cout)      # (a, c) x (b, o)
    acc = ws.borrow("bpi_acc", (cin, n, hp * wp + margin), g.dtype)
    result = xp.empty(out_shape, dtype=g.dtype)
    chunk = max(1, min(n, _CHUNK_BYTES // max(1, kw * cout * span * g.itemsize)))
    blocks = -(-n // chunk) if n else 0
    threads = _threads(ctx, blocks)
    bufs = [(ws.borrow(("bpi_G", i), (kw * cout * chunk * span,), g.dtype),
             ws.borrow(("bpi_R", i), (kh * cin * chunk * span,), g.dtype))
            for i in range(threads)]

    def work(block, slot):
        # Every step touches only the chunk's images, so the chunks run in any thread.
        g_buf, r_buf = bufs[slot]
        start = block * chunk
        stop = min(n, start + chunk)
        m = stop - start
        mine = flat[:, start:stop]
        mine[...] = 0
        mine[:, :, margin:margin + run].reshape(cout, m, gh, wp)[:, :, :, :gw] = \
            g[start:stop].transpose(3, 0, 1, 2)
        shifted = g_buf[:kw * cout * m * span].reshape(kw, cout, m, span)
        for b in range(kw):
            shifted[b] = mine[:, :, margin - b * dw:margin - b * dw + span]
        r = xp.matmul(kmat, shifted.reshape(kw * cout, m * span),
                      out=r_buf[:kh * cin * m * span].reshape(kh * cin, m * span))
        r = r.reshape(kh, cin, m, span)
        total = acc[:, start:stop]
        total[...] = 0
        for a in range(kh):
            offset = a * dh * wp
            total[:, :, offset:offset + span] += r[a]
        image = total[:, :, :hp * wp].reshape(cin, m, hp, wp)[:, :, top:top + h,
                                                              left:left + w]
        result[start:stop] = image.transpose(1, 2, 3, 0)
    try:
        with _blas_for_chunks(ctx):
            par.run_blocks(work, blocks, threads)
    finally:
        for pair in bufs:
            ws.give_back(pair[0])
            ws.give_back(pair[1])
        ws.give_back(flat)
        ws.give_back(acc)
    return result


@kernel("Conv2DBackpropInput")
def _conv2d_backprop_input(ctx, op, g, k, *like):
    kh, kw, cin, cout = k.shape
    n, gh, gw, _ = g.shape
    if like:
        h, w = like[0].shape[1:3]
    elif op.output_hw is not None:
        h, w = op.output_hw
    else:
        h = win.transpose_output_length(gh, kh, op.strides[0], op.dilations[0], op.padding)
        w = win.transpose_output_length(gw, kw, op.strides[1], op.dilations[1], op.padding)
    oh, ow, _ = win.geometry(h, w, kh, kw, op.strides, op.dilations, op.padding)
    if (oh, ow) != (gh, gw):
        raise InvalidArgumentError(
            f"{op!r}: an output of height x width {(h, w)} convolves back to {(oh, ow)}, but "
            f"the input (gradient) has {(gh, gw)}; expected matching sizes.")
    kmat = k.reshape(kh * kw * cin, cout)
    # The widened path multiplies k by the zero columns; with an infinite or NaN weight
    # those products would be NaN where the reference has none, so such kernels take the
    # general path.
    if op.strides == (1, 1) and bool(ctx.xp.isfinite(k).all()):
        return _backprop_input_unit_stride(ctx, g, k, (n, h, w, cin), op.dilations,
                                           op.padding)
    gcols_t = kmat @ g.reshape(n * gh * gw, cout).T
    return win.col2im(ctx.xp, gcols_t, (n, h, w, cin), kh, kw, op.strides, op.dilations,
                      op.padding)
