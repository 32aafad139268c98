"""Op table rows: conv2d, conv2d_transpose, conv1d (NHWC / HWIO, TensorFlow padding rules).

The references loop over output (or input) positions and test bounds instead of padding, so
they share no code with the kernels' im2col / col2im.
"""
import numpy as np

from hilayers import backend as K

from ..opspec import ErrorCase, OpSpec


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _out_and_pad(n, k, s, d, padding):
    """Output length and padding before, along one axis (TensorFlow's rule)."""
    span = (k - 1) * d + 1
    if padding == "valid":
        return (n - span) // s + 1, 0
    out = (n + s - 1) // s
    return out, max((out - 1) * s + span - n, 0) // 2


def ref_conv2d(x, k, strides=1, padding="valid", dilation=1):
    (sh, sw), (dh, dw) = _pair(strides), _pair(dilation)
    n, h, w, _ = x.shape
    kh, kw, _, cout = k.shape
    oh, top = _out_and_pad(h, kh, sh, dh, padding)
    ow, left = _out_and_pad(w, kw, sw, dw, padding)
    y = np.zeros((n, oh, ow, cout))
    for i in range(oh):
        for j in range(ow):
            for a in range(kh):
                for b in range(kw):
                    r, c = i * sh + a * dh - top, j * sw + b * dw - left
                    if 0 <= r < h and 0 <= c < w:
                        y[:, i, j, :] += x[:, r, c, :].astype(np.float64) @ k[a, b]
    return y.astype(x.dtype)


def ref_conv2d_transpose(x, k, out_hw=None, strides=1, padding="valid", dilation=1):
    """Each input pixel scatters ``x[n, i, j] @ k[a, b].T`` onto the output."""
    (sh, sw), (dh, dw) = _pair(strides), _pair(dilation)
    n, h, w, _ = x.shape
    kh, kw, cout, _ = k.shape
    if out_hw is None:
        if padding == "same":
            out_hw = (h * sh, w * sw)
        else:
            out_hw = ((h - 1) * sh + (kh - 1) * dh + 1, (w - 1) * sw + (kw - 1) * dw + 1)
    oh, ow = out_hw
    _, top = _out_and_pad(oh, kh, sh, dh, padding)
    _, left = _out_and_pad(ow, kw, sw, dw, padding)
    y = np.zeros((n, oh, ow, cout))
    for i in range(h):
        for j in range(w):
            for a in range(kh):
                for b in range(kw):
                    r, c = i * sh + a * dh - top, j * sw + b * dw - left
                    if 0 <= r < oh and 0 <= c < ow:
                        y[:, r, c, :] += x[:, i, j, :].astype(np.float64) @ k[a, b].T
    return y.astype(x.dtype)


def ref_conv1d(x, k, stride=1, padding="valid", dilation=1):
    return ref_conv2d(x[:, None], k[None], (1, stride), padding, (1, dilation))[:, 0]


TOL = dict(rtol=1e-4, atol=1e-5)   # float32 kernels against float64 sums


def conv_spec(name, samples, strides=1, padding="valid", dilation=1, **kw):
    return OpSpec(
        name, lambda x, k: K.conv2d(x, k, strides, padding, dilation),
        lambda x, k: ref_conv2d(x, k, strides, padding, dilation), samples, **TOL, **kw)


def transpose_spec(name, samples, out_hw=None, strides=1, padding="valid", dilation=1, **kw):
    shape = None if out_hw is None else (None,) + tuple(out_hw) + (None,)
    return OpSpec(
        name, lambda x, k: K.conv2d_transpose(x, k, shape, strides, padding, dilation),
        lambda x, k: ref_conv2d_transpose(x, k, out_hw, strides, padding, dilation), samples,
        **TOL, **kw)


def conv1d_spec(name, samples, stride=1, padding="valid", dilation=1, **kw):
    return OpSpec(
        name, lambda x, k: K.conv1d(x, k, stride, padding, dilation),
        lambda x, k: ref_conv1d(x, k, stride, padding, dilation), samples, **TOL, **kw)


def _ph(*shape, dtype="float32"):
    return K.placeholder(shape, dtype=dtype)


CONV_ERRORS = [
    ErrorCase(lambda: K.conv2d(_ph(2, 5, 5), _ph(3, 3, 1, 2)), K.ShapeError,
              r"Conv2D: input .* has shape \(2, 5, 5\) \(rank 3\) \(input shape \(2, 5, 5\), "
              r"kernel shape \(3, 3, 1, 2\)\); expected a rank-4 input"),
    ErrorCase(lambda: K.conv2d(_ph(2, 5, 5, 1), _ph(3, 3, 1)), K.ShapeError,
              r"Conv2D: kernel .* has rank 3 \(input shape \(2, 5, 5, 1\), kernel shape "
              r"\(3, 3, 1\)\); expected a rank-4 kernel"),
    ErrorCase(lambda: K.conv2d(_ph(2, 5, 5, 3), _ph(3, 3, 4, 2)), K.ShapeError,
              r"Conv2D: input has 3 channels, kernel expects 4 \(input shape \(2, 5, 5, 3\), "
              r"kernel shape \(3, 3, 4, 2\)\)"),
    ErrorCase(lambda: K.conv2d(_ph(2, 5, 5, 3), _ph(3, 3, 3, 2), padding="full"),
              K.InvalidArgumentError,
              r"Conv2D: padding 'full' is not supported \(input shape \(2, 5, 5, 3\), kernel "
              r"shape \(3, 3, 3, 2\)\); expected 'valid' or 'same'"),
    ErrorCase(lambda: K.conv2d(_ph(2, 4, 5, 1), _ph(5, 3, 1, 2)), K.ShapeError,
              r"Conv2D: the kernel is larger than the input \(input shape \(2, 4, 5, 1\), "
              r"kernel shape \(5, 3, 1, 2\)\): height 5"),
    ErrorCase(lambda: K.conv2d(_ph(2, 5, 5, 1), _ph(3, 3, 1, 2), dilation_rate=3),
              K.ShapeError, r"Conv2D: the kernel is larger than the input .* height 7 "
                            r"\(with dilation 3\) > 5"),
    ErrorCase(lambda: K.conv2d(_ph(2, 5, 5, 1), _ph(3, 3, 1, 2), strides=0),
              K.InvalidArgumentError, r"Conv2D: strides must be a positive int or a pair"),
    ErrorCase(lambda: K.conv2d(_ph(2, 5, 5, 1), _ph(3, 3, 1, 2, dtype="float64")),
              K.DTypeError, r"Conv2D: inputs have dtypes \(float32, float64\)"),
    ErrorCase(lambda: K.conv2d(_ph(2, 5, 5, 1, dtype="int32"), _ph(3, 3, 1, 2)),
              K.DTypeError, r"Conv2D: input .* has dtype int32; expected a float dtype"),
]

TRANSPOSE_ERRORS = [
    ErrorCase(lambda: K.conv2d_transpose(_ph(2, 3, 3, 3), _ph(3, 3, 2, 4)), K.ShapeError,
              r"Conv2DTranspose: input has 3 channels, kernel expects 4 \(input shape "
              r"\(2, 3, 3, 3\), kernel shape \(3, 3, 2, 4\)\)"),
    ErrorCase(lambda: K.conv2d_transpose(_ph(2, 3, 3, 4), _ph(3, 3, 2, 4), (2, 9, 9, 2)),
              K.ShapeError, r"Conv2DTranspose: an output of size \(9, 9\) convolves back to "
                            r"\(7, 7\) .* but the input is \(3, 3\)"),
    ErrorCase(lambda: K.conv2d_transpose(_ph(2, 3, 3, 4), _ph(3, 3, 2, 4), (2, 5, 5, 3)),
              K.ShapeError, r"Conv2DTranspose: output_shape \(2, 5, 5, 3\) has 3 channels, "
                            r"kernel expects 2"),
    ErrorCase(lambda: K.conv2d_transpose(_ph(2, 3, 3, 4), _ph(3, 3, 2, 4), (5, 5, 2)),
              K.InvalidArgumentError, r"Conv2DTranspose: output_shape \(5, 5, 2\) has 3 "
                                      r"entries"),
    ErrorCase(lambda: K.conv2d_transpose(_ph(2, 3, 3, 4), _ph(3, 3, 2, 4), padding="causal"),
              K.InvalidArgumentError, r"Conv2DTranspose: padding 'causal' is not supported"),
]

CONV1D_ERRORS = [
    ErrorCase(lambda: K.conv1d(_ph(2, 5, 5, 1), _ph(3, 1, 2)), K.ShapeError,
              r"Conv1D: expected a rank-3 input .* received \(input shape \(2, 5, 5, 1\), "
              r"kernel shape \(3, 1, 2\)\)"),
    ErrorCase(lambda: K.conv1d(_ph(2, 5, 3), _ph(3, 2, 2)), K.ShapeError,
              r"Conv1D: input has 3 channels, kernel expects 2"),
    ErrorCase(lambda: K.conv1d(_ph(2, 4, 1), _ph(5, 1, 2)), K.ShapeError,
              r"Conv1D: the kernel is larger than the input"),
]

SPECS = [
    conv_spec("conv2d_valid", [((2, 5, 5, 2), (3, 3, 2, 3)), ((1, 6, 5, 1), (2, 3, 1, 2)),
                               ((2, 4, 4, 3), (1, 1, 3, 2))],
              grad2=True, errors=CONV_ERRORS),
    conv_spec("conv2d_valid_stride2", [((2, 7, 6, 1), (3, 2, 1, 2)),
                                       ((2, 6, 6, 3), (2, 2, 3, 1))], strides=2),
    conv_spec("conv2d_same", [((2, 5, 5, 2), (3, 3, 2, 3)), ((1, 5, 6, 1), (2, 4, 1, 2))],
              padding="same"),
    conv_spec("conv2d_same_stride2", [((2, 5, 5, 2), (3, 3, 2, 3)),
                                      ((2, 6, 7, 3), (4, 3, 3, 2)),
                                      ((1, 5, 5, 1), (1, 1, 1, 2))],
              strides=2, padding="same", grad2=True),
    conv_spec("conv2d_strides_2_1_same", [((2, 5, 6, 2), (3, 2, 2, 2))], strides=(2, 1),
              padding="same"),
    conv_spec("conv2d_dilation2_valid", [((2, 7, 6, 2), (3, 2, 2, 2))], dilation=2,
              grad2=True),
    conv_spec("conv2d_dilation2_same", [((2, 5, 5, 1), (3, 3, 1, 2))], padding="same",
              dilation=(2, 2)),
    conv_spec("conv2d_dilation_2_1_stride2_same", [((1, 7, 6, 3), (2, 3, 3, 2))], strides=2,
              padding="same", dilation=(2, 1)),
    transpose_spec("conv2d_transpose_valid", [((2, 3, 3, 2), (3, 3, 3, 2)),
                                              ((1, 4, 3, 1), (2, 3, 2, 1))],
                   grad2=True, errors=TRANSPOSE_ERRORS),
    transpose_spec("conv2d_transpose_same", [((2, 3, 4, 2), (3, 3, 1, 2)),
                                             ((1, 4, 3, 3), (2, 2, 2, 3))], padding="same"),
    transpose_spec("conv2d_transpose_valid_stride2", [((2, 3, 3, 2), (3, 3, 3, 2)),
                                                      ((1, 3, 2, 1), (2, 3, 2, 1))],
                   strides=2),
    transpose_spec("conv2d_transpose_same_stride2", [((2, 3, 3, 2), (3, 3, 3, 2)),
                                                     ((1, 2, 3, 1), (4, 3, 2, 1))],
                   strides=2, padding="same", grad2=True),
    transpose_spec("conv2d_transpose_same_stride2_odd_output", [((2, 3, 3, 2), (3, 3, 1, 2))],
                   out_hw=(5, 6), strides=2, padding="same"),
    transpose_spec("conv2d_transpose_valid_stride2_output", [((1, 3, 3, 2), (3, 3, 2, 2))],
                   out_hw=(8, 7), strides=2),
    transpose_spec("conv2d_transpose_dilation2", [((2, 3, 3, 2), (2, 3, 2, 2))], dilation=2),
    conv1d_spec("conv1d_valid", [((2, 7, 2), (3, 2, 3)), ((3, 5, 1), (1, 1, 2))],
                errors=CONV1D_ERRORS),
    conv1d_spec("conv1d_same_stride2", [((2, 7, 3), (4, 3, 2)), ((2, 6, 1), (3, 1, 1))],
                stride=2, padding="same"),
    conv1d_spec("conv1d_dilation2", [((2, 8, 2), (3, 2, 2))], dilation=2, padding="same"),
]
