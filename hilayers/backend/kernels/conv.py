"""Kernels of the convolution ops (one body for NumPy and CuPy).

* ``Conv2D``: im2col through a read-only strided windows view, then ONE matmul
  ``(N*OH*OW, KH*KW*Cin) @ (KH*KW*Cin, Cout)`` on BLAS (cuBLAS on CuPy).
* ``Conv2DBackpropFilter``: the same im2col matrix, transposed, times ``g`` (one matmul).
* ``Conv2DBackpropInput``: ``kernel @ g^T`` (one matmul, the transposed column matrix) then
  col2im, a loop over the KH*KW kernel taps only, each adding a strided slice into a
  zero-padded buffer.
"""
from ..errors import InvalidArgumentError
from . import _windows as win
from .registry import kernel


def _check_output(op, what, in_hw, k_hw, out_hw):
    if out_hw[0] < 1 or out_hw[1] < 1:
        raise InvalidArgumentError(
            f"{op!r}: {what} of height x width {tuple(in_hw)} is smaller than the kernel "
            f"{tuple(k_hw)} with dilation {op.dilations} and padding 'valid'; expected an "
            "input at least as large as the dilated kernel.")


@kernel("Conv2D")
def _conv2d(ctx, op, x, k):
    kh, kw, cin, cout = k.shape
    n, h, w, _ = x.shape
    oh, ow, _ = win.geometry(h, w, kh, kw, op.strides, op.dilations, op.padding)
    _check_output(op, "input", (h, w), (kh, kw), (oh, ow))
    cols, _ = win.im2col(ctx.xp, x, kh, kw, op.strides, op.dilations, op.padding)
    out = cols @ k.reshape(kh * kw * cin, cout)
    return out.reshape(n, oh, ow, cout)


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
    cols, _ = win.im2col(ctx.xp, x, kh, kw, op.strides, op.dilations, op.padding)
    dk = cols.T @ g.reshape(n * oh * ow, cout)
    return dk.reshape(kh, kw, cin, cout)


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
    gcols_t = k.reshape(kh * kw * cin, cout) @ g.reshape(n * gh * gw, cout).T
    return win.col2im(ctx.xp, gcols_t, (n, h, w, cin), kh, kw, op.strides, op.dilations,
                      op.padding)
