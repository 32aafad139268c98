"""Convolutions in TensorFlow/Keras conventions: NHWC images (``channels_last``) and HWIO
kernels.

``conv2d(x, k)[n, i, j, o] = sum_{a, b, c} xpad[n, i*sh + a*dh, j*sw + b*dw, c] * k[a, b, c, o]``

where ``xpad`` is ``x`` zero-padded by TensorFlow's ``"valid"``/``"same"`` rule (see
``hilayers.backend.kernels._windows``). The gradient is given by two ops of their own,
:class:`Conv2DBackpropInput` (the adjoint of the convolution in ``x``, which is also the
transposed convolution) and :class:`Conv2DBackpropFilter` (its adjoint in ``k``). The three
are bilinear and each one's gradient is written with the three, so derivatives of any order
work.

Example:
    >>> from hilayers import backend as K
    >>> x = K.placeholder((None, 28, 28, 1))
    >>> K.conv2d(x, K.placeholder((5, 5, 1, 6)), strides=2, padding="same").shape
    (None, 14, 14, 6)
"""
import operator

from .. import dtypes, shapes
from ..errors import DTypeError, InvalidArgumentError, ShapeError
from ..kernels._windows import (PADDINGS, effective_size, output_length,
                                transpose_output_length)
from ..op import Op, convert_operands
from .arrays import expand_dims, squeeze

# -- argument normalisation shared with pooling ------------------------------------------------


def normalize_pair(op_name, what, value):
    """Return ``value`` (a positive int or a pair of them) as a pair of ints.

    Raises:
        InvalidArgumentError: naming the op and the argument.
    """
    try:
        if isinstance(value, bool):
            raise TypeError
        pair = (operator.index(value),) * 2
    except TypeError:
        try:
            pair = tuple(operator.index(v) for v in value)
        except TypeError:
            pair = None
    if pair is None or len(pair) != 2 or any(v < 1 for v in pair):
        raise InvalidArgumentError(f"{op_name}: {what} must be a positive int or a pair of "
                                   f"positive ints; received {value!r}.")
    return pair


def normalize_padding(op_name, padding, detail=""):
    """Return ``padding`` as ``'valid'`` or ``'same'`` (case-insensitive).

    Raises:
        InvalidArgumentError: naming the op, the value received and ``detail`` (the shapes).
    """
    name = padding.lower() if isinstance(padding, str) else padding
    if name not in PADDINGS:
        raise InvalidArgumentError(f"{op_name}: padding {padding!r} is not supported{detail}; "
                                   "expected 'valid' or 'same'.")
    return name


def check_image(op_name, x, detail="", what="input"):
    """Raise unless ``x`` is a rank-4 float tensor (batch, height, width, channels)."""
    if x.ndim != 4:
        raise ShapeError(f"{op_name}: {what} {x.name!r} has shape {x.shape} (rank {x.ndim})"
                         f"{detail}; expected a rank-4 {what} (batch, height, width, "
                         "channels).")
    if not dtypes.is_floating(x.dtype):
        raise DTypeError(f"{op_name}: {what} {x.name!r} has dtype {x.dtype.name}; expected a "
                         "float dtype. Use cast() first.")


def _shapes(x, kernel):
    return f" (input shape {x.shape}, kernel shape {kernel.shape})"


def _check_pair(op_name, x, kernel, x_channels_axis_of_kernel, x_what="input"):
    """Rank, dtype and channel checks of an image and an HWIO-like kernel."""
    detail = _shapes(x, kernel)
    check_image(op_name, x, detail, x_what)
    if kernel.ndim != 4:
        raise ShapeError(f"{op_name}: kernel {kernel.name!r} has rank {kernel.ndim}{detail}; "
                         "expected a rank-4 kernel (height, width, in_channels, "
                         "out_channels).")
    dtype = dtypes.same_dtype(op_name, x.dtype, kernel.dtype)
    have, want = x.shape[3], kernel.shape[x_channels_axis_of_kernel]
    if not shapes.dims_compatible(have, want):
        raise ShapeError(f"{op_name}: {x_what} has {have} channels, kernel expects {want}"
                         f"{detail}.")
    return dtype


def _check_fits(op_name, size, kernel_hw, dilations, padding, detail):
    """Raise when a window does not fit a known input in ``"valid"`` mode."""
    if padding != "valid":
        return
    for n, k, d, axis in zip(size, kernel_hw, dilations, ("height", "width")):
        if n is not None and k is not None and effective_size(k, d) > n:
            raise ShapeError(
                f"{op_name}: the kernel is larger than the input{detail}: {axis} "
                f"{effective_size(k, d)} (with dilation {d}) > {n}; expected a kernel no "
                "larger than the input with padding='valid', or padding='same'.")


def _output_hw(size, kernel_hw, strides, dilations, padding):
    return tuple(output_length(n, k, s, d, padding)
                 for n, k, s, d in zip(size, kernel_hw, strides, dilations))


def _check_backprop_input(op_name, g, kernel, out_hw, strides, dilations, padding):
    """Checks of a transposed convolution; returns its output ``(H, W)`` and dtype.

    ``out_hw`` holds the requested output size (ints or None); None entries take the
    default ``(in - 1) * s + k_eff`` (valid) or ``in * s`` (same).
    """
    dtype = _check_pair(op_name, g, kernel, 3)
    kernel_hw = kernel.shape[:2]
    hw = tuple(o if o is not None else transpose_output_length(n, k, s, d, padding)
               for o, n, k, s, d in zip(out_hw, g.shape[1:3], kernel_hw, strides, dilations))
    back = _output_hw(hw, kernel_hw, strides, dilations, padding)
    for want, have in zip(back, g.shape[1:3]):
        if want is not None and have is not None and want != have:
            raise ShapeError(
                f"{op_name}: an output of size {hw} convolves back to {back} with strides "
                f"{strides}, padding {padding!r}, but the input is {g.shape[1:3]}"
                f"{_shapes(g, kernel)}; expected an output size whose convolution gives "
                "the input size.")
    return hw, dtype


# -- ops -----------------------------------------------------------------------------------------


class Conv2D(Op):
    """2-D convolution (cross-correlation, as in TensorFlow) of ``x`` with ``kernel``.

    Inputs: ``x`` (N, H, W, Cin), ``kernel`` (KH, KW, Cin, Cout); output (N, OH, OW, Cout).
    """

    props = ("strides", "padding", "dilations")

    def _attrs(self):
        return dict(strides=self.strides, padding=self.padding, dilations=self.dilations)

    def infer(self, x, kernel):
        dtype = _check_pair("Conv2D", x, kernel, 2)
        _check_fits("Conv2D", x.shape[1:3], kernel.shape[:2], self.dilations, self.padding,
                    _shapes(x, kernel))
        oh, ow = _output_hw(x.shape[1:3], kernel.shape[:2], self.strides, self.dilations,
                            self.padding)
        return (x.shape[0], oh, ow, kernel.shape[3]), dtype

    def grad(self, node, grads):
        x, kernel = node.inputs
        g = grads[0]
        return [Conv2DBackpropInput(output_hw=None, **self._attrs())(g, kernel, x),
                Conv2DBackpropFilter(**self._attrs())(x, g, kernel)]


class Conv2DBackpropInput(Op):
    """Gradient of :class:`Conv2D` with respect to its input: the transposed convolution.

    ``y[n, i*sh + a*dh - top, j*sw + b*dw - left, c] += sum_o g[n, i, j, o] * k[a, b, c, o]``

    Inputs: ``g`` (N, OH, OW, Cout), ``kernel`` (KH, KW, Cin, Cout) and optionally ``like``,
    whose run-time height and width give the output's (its value is not read). Without
    ``like`` the output size is ``output_hw`` when given, else the default transposed size.
    Output: (N, H, W, Cin).
    """

    props = ("strides", "padding", "dilations", "output_hw")

    def _attrs(self):
        return dict(strides=self.strides, padding=self.padding, dilations=self.dilations)

    def infer(self, g, kernel, *like):
        if like:
            out_hw = like[0].shape[1:3]
            if like[0].ndim != 4:
                raise ShapeError(f"Conv2DBackpropInput: shape reference {like[0].name!r} has "
                                 f"shape {like[0].shape}; expected rank 4.")
        else:
            out_hw = self.output_hw or (None, None)
        hw, dtype = _check_backprop_input("Conv2DBackpropInput", g, kernel, out_hw,
                                          self.strides, self.dilations, self.padding)
        n = shapes.merge_dim(g.shape[0], like[0].shape[0]) if like else g.shape[0]
        return (n,) + hw + (kernel.shape[2],), dtype

    def grad(self, node, grads):
        g, kernel = node.inputs[:2]
        h = grads[0]
        return [Conv2D(**self._attrs())(h, kernel),
                Conv2DBackpropFilter(**self._attrs())(h, g, kernel)] + [None] * (
                    len(node.inputs) - 2)


class Conv2DBackpropFilter(Op):
    """Gradient of :class:`Conv2D` with respect to its kernel.

    ``dk[a, b, c, o] = sum_{n, i, j} xpad[n, i*sh + a*dh, j*sw + b*dw, c] * g[n, i, j, o]``

    Inputs: ``x`` (N, H, W, Cin), ``g`` (N, OH, OW, Cout) and ``like`` (the kernel, whose
    run-time shape (KH, KW, Cin, Cout) is the output's; its value is not read).
    """

    props = ("strides", "padding", "dilations")

    def _attrs(self):
        return dict(strides=self.strides, padding=self.padding, dilations=self.dilations)

    def infer(self, x, g, like):
        dtype = _check_pair("Conv2DBackpropFilter", x, like, 2)
        _check_pair("Conv2DBackpropFilter", g, like, 3, x_what="gradient")
        dtypes.same_dtype("Conv2DBackpropFilter", x.dtype, g.dtype)
        return like.shape, dtype

    def grad(self, node, grads):
        x, g, like = node.inputs
        h = grads[0]
        return [Conv2DBackpropInput(output_hw=None, **self._attrs())(g, h, x),
                Conv2D(**self._attrs())(x, h), None]


# -- public functions ----------------------------------------------------------------------------


def _conv_attrs(op_name, x, kernel, strides, padding, dilation_rate):
    return dict(strides=normalize_pair(op_name, "strides", strides),
                padding=normalize_padding(op_name, padding, _shapes(x, kernel)),
                dilations=normalize_pair(op_name, "dilation_rate", dilation_rate))


def conv2d(x, kernel, strides=(1, 1), padding="valid", dilation_rate=(1, 1), name=None):
    """2-D convolution of NHWC images with an HWIO kernel (TensorFlow's ``conv2d``).

    ``y[n, i, j, o] = sum_{a, b, c} xpad[n, i*sh + a*dh, j*sw + b*dw, c] * kernel[a, b, c, o]``

    Args:
        x: images of shape (N, H, W, Cin).
        kernel: weights of shape (KH, KW, Cin, Cout).
        strides: an int or a pair ``(sh, sw)``.
        padding: ``"valid"`` (no padding: ``OH = (H - KH_eff) // sh + 1``) or ``"same"``
            (``OH = ceil(H / sh)``, zero padding split as TensorFlow does, the extra pixel
            at the bottom/right).
        dilation_rate: an int or a pair ``(dh, dw)``; ``KH_eff = (KH - 1) * dh + 1``.

    Returns:
        A tensor of shape (N, OH, OW, Cout).

    Raises:
        ShapeError: when an input is not rank 4, the channels differ, or the kernel is
            larger than a known input with ``"valid"`` padding.
        DTypeError: for non-float or mismatched dtypes.
        InvalidArgumentError: for an unknown padding or bad strides/dilations.
    """
    x, kernel = convert_operands("Conv2D", [x, kernel])
    attrs = _conv_attrs("Conv2D", x, kernel, strides, padding, dilation_rate)
    return Conv2D(**attrs)(x, kernel, name=name)


def conv2d_transpose(x, kernel, output_shape=None, strides=(1, 1), padding="valid",
                     dilation_rate=(1, 1), name=None):
    """Transposed 2-D convolution: the gradient of :func:`conv2d` with respect to its input.

    Each input pixel scatters ``x[n, i, j, :] @ kernel[a, b].T`` onto output pixel
    ``(i*sh + a*dh - top, j*sw + b*dw - left)``.

    Args:
        x: tensor of shape (N, H, W, Cin).
        kernel: weights of shape (KH, KW, Cout, Cin), as in TensorFlow/Keras.
        output_shape: None, ``(N, OH, OW, Cout)`` or ``(OH, OW)`` (ints; N may be None).
            When None: ``OH = (H - 1) * sh + KH_eff`` (``"valid"``) or ``H * sh``
            (``"same"``). A given size must convolve back to ``(H, W)``.
        strides, padding, dilation_rate: as in :func:`conv2d` (of the forward conv).

    Returns:
        A tensor of shape (N, OH, OW, Cout).

    Raises:
        ShapeError: for wrong ranks, a channel mismatch, or an output size that does not
            convolve back to the input size.
        InvalidArgumentError: for an unknown padding or a malformed ``output_shape``.
    """
    x, kernel = convert_operands("Conv2DTranspose", [x, kernel])
    attrs = _conv_attrs("Conv2DTranspose", x, kernel, strides, padding, dilation_rate)
    out_hw = None
    if output_shape is not None:
        dims = list(output_shape)
        if len(dims) not in (2, 4):
            raise InvalidArgumentError(
                f"Conv2DTranspose: output_shape {output_shape!r} has {len(dims)} entries; "
                "expected (batch, height, width, channels) or (height, width).")
        hw = dims[1:3] if len(dims) == 4 else dims
        try:
            out_hw = tuple(operator.index(d) for d in hw)
        except TypeError:
            out_hw = None
        if out_hw is None or any(d < 1 for d in out_hw):
            raise InvalidArgumentError(f"Conv2DTranspose: output_shape {output_shape!r} must "
                                       "give positive int height and width.")
        if len(dims) == 4 and dims[3] is not None and kernel.ndim == 4 and not \
                shapes.dims_compatible(int(dims[3]), kernel.shape[2]):
            raise ShapeError(f"Conv2DTranspose: output_shape {tuple(output_shape)} has "
                             f"{dims[3]} channels, kernel expects {kernel.shape[2]}"
                             f"{_shapes(x, kernel)}.")
    _check_backprop_input("Conv2DTranspose", x, kernel, out_hw or (None, None),
                          attrs["strides"], attrs["dilations"], attrs["padding"])
    return Conv2DBackpropInput(output_hw=out_hw, **attrs)(x, kernel, name=name)


def conv1d(x, kernel, strides=1, padding="valid", dilation_rate=1, name=None):
    """1-D convolution of (N, W, Cin) sequences with a (K, Cin, Cout) kernel.

    ``y[n, i, o] = sum_{a, c} xpad[n, i*s + a*d, c] * kernel[a, c, o]``, computed as a
    :func:`conv2d` of height 1.

    Args:
        x: tensor of shape (N, W, Cin).
        kernel: weights of shape (K, Cin, Cout).
        strides: an int (or a 1-tuple).
        padding: ``"valid"`` or ``"same"`` as in :func:`conv2d`.
        dilation_rate: an int (or a 1-tuple).

    Returns:
        A tensor of shape (N, OW, Cout).

    Raises:
        ShapeError: when an input is not rank 3, the channels differ, or the kernel is
            larger than a known input with ``"valid"`` padding.
        InvalidArgumentError: for an unknown padding or bad strides/dilations.
    """
    x, kernel = convert_operands("Conv1D", [x, kernel])
    detail = _shapes(x, kernel)
    if x.ndim != 3 or kernel.ndim != 3:
        raise ShapeError(f"Conv1D: expected a rank-3 input (batch, width, channels) and a "
                         f"rank-3 kernel (width, in_channels, out_channels); received{detail}.")
    if not shapes.dims_compatible(x.shape[2], kernel.shape[1]):
        raise ShapeError(f"Conv1D: input has {x.shape[2]} channels, kernel expects "
                         f"{kernel.shape[1]}{detail}.")
    stride = single_int("Conv1D", "strides", strides)
    dilation = single_int("Conv1D", "dilation_rate", dilation_rate)
    padding = normalize_padding("Conv1D", padding, detail)
    _check_fits("Conv1D", x.shape[1:2], kernel.shape[:1], (dilation,), padding, detail)
    y = Conv2D(strides=(1, stride), padding=padding, dilations=(1, dilation))(
        expand_dims(x, 1), expand_dims(kernel, 0))
    return squeeze_axis1(y, name=name)


def single_int(op_name, what, value):
    """Return a positive int given as an int or a 1-tuple, or raise naming the op."""
    item = value
    if not isinstance(value, bool) and isinstance(value, (tuple, list)) and len(value) == 1:
        item = value[0]
    try:
        if isinstance(item, bool):
            raise TypeError
        result = operator.index(item)
    except TypeError:
        result = 0
    if result < 1:
        raise InvalidArgumentError(f"{op_name}: {what} must be a positive int; received "
                                   f"{value!r}.")
    return result


def squeeze_axis1(y, name=None):
    """Drop axis 1 (of size 1) of a rank-4 tensor: the height of a 1-D window op."""
    return squeeze(y, axis=1, name=name)


__all__ = ["conv1d", "conv2d", "conv2d_transpose"]
