"""Convolution layers: ``Conv1D``, ``Conv2D``, ``Conv1DTranspose`` and ``Conv2DTranspose``.

Keras' conventions throughout: inputs are ``channels_last``, kernels are ``(k..., in,
filters)`` for convolutions and ``(k..., filters, in)`` for transposed convolutions, the
weights are ``[kernel, bias]`` in that order, and the constructor arguments and config keys
are tf.keras 2.x's, so Keras configs and HDF5 weights load unchanged.

Example:
    >>> from hilayers import layers
    >>> x = layers.Input((28, 28, 1))
    >>> layers.Conv2D(8, 3, padding="same", activation="relu")(x).shape
    (None, 28, 28, 8)
"""
import operator

from .. import activations, backend as K, constraints, initializers, regularizers
from .base import InputSpec, Layer

# -- argument checks shared with pooling.py and reshaping.py ---------------------------------


def describe(layer):
    """``"Conv2D layer 'conv2d'"``: how error messages name a layer."""
    return f"{type(layer).__name__} layer {layer.name!r}"


def fmt_shape(shape):
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (
        ",)" if len(shape) == 1 else ")")


def normalize_tuple(layer, value, n, what, min_value=1):
    """``value`` (an int or ``n`` ints, each >= ``min_value``) as a tuple of ``n`` ints.

    Raises:
        ValueError: naming the layer, the argument and the value received.
    """
    try:
        if isinstance(value, bool):
            raise TypeError
        result = (operator.index(value),) * n
    except TypeError:
        try:
            result = tuple(operator.index(v) for v in value if not isinstance(v, bool))
            if len(result) != len(value):
                result = None
        except TypeError:
            result = None
    if result is None or len(result) != n or any(v < min_value for v in result):
        many = "" if n == 1 else f" or a tuple of {n} ints"
        raise ValueError(f"{describe(layer)}: {what} must be an int{many}, each >= "
                         f"{min_value}; received {value!r}.")
    return result


def check_data_format(layer, data_format):
    """Return ``'channels_last'`` for None or ``'channels_last'``; raise otherwise."""
    if data_format in (None, "channels_last"):
        return "channels_last"
    if data_format == "channels_first":
        raise ValueError(f"{describe(layer)}: data_format='channels_first' is not supported; "
                         "hilayers layers are channels_last (batch, ..., channels). Transpose "
                         "the inputs (K.transpose) or build the model channels_last.")
    raise ValueError(f"{describe(layer)}: data_format must be 'channels_last' (or None); "
                     f"received {data_format!r}.")


def check_padding(layer, padding, allowed=("valid", "same")):
    """Return ``padding`` lower-cased, or raise listing the ``allowed`` values."""
    name = padding.lower() if isinstance(padding, str) else padding
    if name not in allowed:
        raise ValueError(f"{describe(layer)}: padding must be one of "
                         f"{', '.join(repr(a) for a in allowed)}; received {padding!r}.")
    return name


def check_rank(layer, input_shape, ndim, layout):
    """Raise unless ``input_shape`` has ``ndim`` dims; ``layout`` names them."""
    if len(input_shape) != ndim:
        raise ValueError(f"{describe(layer)}: expected an input of rank {ndim} {layout}; "
                         f"received shape {fmt_shape(input_shape)} (rank "
                         f"{len(input_shape)}).")


def conv_output_length(n, window, padding, stride, dilation=1):
    """Output length of a window op along an axis of length ``n`` (None when unknown).

    ``valid``: ``(n - k_eff) // s + 1``; ``same`` and ``causal``: ``ceil(n / s)``, with
    ``k_eff = (k - 1) * dilation + 1``. A result below 1 means the window does not fit.
    """
    if n is None:
        return None
    if padding in ("same", "causal"):
        return -(-n // stride)
    return (n - ((window - 1) * dilation + 1)) // stride + 1


def check_window_fits(layer, input_shape, out_dims, windows, what="kernel"):
    """Raise when a 'valid' window is larger than a known spatial dim."""
    for axis, (out, k) in enumerate(zip(out_dims, windows), start=1):
        if out is not None and out < 1:
            raise ValueError(f"{describe(layer)}: the {what} (size {k} along axis {axis}, "
                             "dilation included) is larger than the input with "
                             f"padding='valid'; received input shape "
                             f"{fmt_shape(input_shape)}. Use padding='same' or a larger "
                             "input.")


_LAYOUTS = {1: "(batch, steps, channels)", 2: "(batch, height, width, channels)"}


# -- the convolution layers -------------------------------------------------------------------


class Conv(Layer):
    """Shared base of the convolution layers (``rank`` spatial dims); use the subclasses.

    Subclasses set ``rank`` and implement ``_kernel_shape`` and ``_convolve``.
    """

    rank = None
    transposed = False

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        try:
            self.filters = operator.index(filters)
        except TypeError:
            self.filters = 0
        if isinstance(filters, bool) or self.filters < 1:
            raise ValueError(f"{describe(self)}: filters must be a positive int; received "
                             f"{filters!r}.")
        n = self.rank
        self.kernel_size = normalize_tuple(self, kernel_size, n, "kernel_size")
        self.strides = normalize_tuple(self, strides, n, "strides")
        self.dilation_rate = normalize_tuple(self, dilation_rate, n, "dilation_rate")
        allowed = ("valid", "same", "causal") if n == 1 and not self.transposed else (
            "valid", "same")
        self.padding = check_padding(self, padding, allowed)
        self.data_format = check_data_format(self, data_format)
        if groups != 1:
            raise ValueError(f"{describe(self)}: groups={groups!r} is not supported; only "
                             "groups=1 (an ordinary convolution).")
        self.groups = 1
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(ndim=n + 2)

    def _kernel_shape(self, channels):
        return self.kernel_size + (channels, self.filters)

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        check_rank(self, input_shape, self.rank + 2, _LAYOUTS[self.rank])
        channels = input_shape[-1]
        if channels is None:
            raise ValueError(f"{describe(self)}: the channel dimension (last axis) of the "
                             f"inputs must be known; received shape {fmt_shape(input_shape)}.")
        self.kernel = self.add_weight("kernel", self._kernel_shape(channels),
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.filters,),
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={-1: channels})
        self.built = True

    def call(self, inputs):
        self.compute_output_shape(inputs.shape)     # layer-named errors before the op's own
        outputs = self._convolve(inputs)
        if self.use_bias:
            outputs = outputs + self.bias
        if self.activation is not activations.linear:
            outputs = self.activation(outputs)
        if self.activity_regularizer is not None:
            batch = K.cast(K.shape(outputs)[0], outputs.dtype)
            self.add_loss(self.activity_regularizer(outputs) / batch)
        return outputs

    def _check_input_shape(self, input_shape):
        input_shape = tuple(input_shape)
        check_rank(self, input_shape, self.rank + 2, _LAYOUTS[self.rank])
        if self.built:
            want = self.input_spec.axes[-1]
            if input_shape[-1] is not None and input_shape[-1] != want:
                raise ValueError(f"{describe(self)}: the layer was built for inputs with "
                                 f"{want} channels (last axis); received shape "
                                 f"{fmt_shape(input_shape)}.")
        return input_shape

    def compute_output_shape(self, input_shape):
        input_shape = self._check_input_shape(input_shape)
        spatial = input_shape[1:-1]
        out = tuple(conv_output_length(n, k, self.padding, s, d) for n, k, s, d in zip(
            spatial, self.kernel_size, self.strides, self.dilation_rate))
        check_window_fits(self, input_shape, out, [(k - 1) * d + 1 for k, d in zip(
            self.kernel_size, self.dilation_rate)])
        return (input_shape[0],) + out + (self.filters,)

    def get_config(self):
        config = super().get_config()
        config.update({
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": list(self.dilation_rate),
            "groups": self.groups,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        })
        return config


class Conv1D(Conv):
    """1-D convolution over steps: ``y[n, i, o] = b[o] + sum_{a, c} xpad[n, i*s + a*d, c] *
    kernel[a, c, o]``, then the activation.

    Input shape: ``(batch, steps, channels)``. Output shape: ``(batch, new_steps, filters)``
    with ``new_steps = (steps - k_eff) // s + 1`` ('valid') or ``ceil(steps / s)`` ('same',
    'causal'), ``k_eff = (kernel_size - 1) * dilation_rate + 1``.

    Args:
        filters: number of output channels.
        kernel_size: an int (or a 1-tuple).
        strides: an int (or a 1-tuple).
        padding: 'valid', 'same' or 'causal' (left padding by ``k_eff - 1``, so that output
            step ``t`` sees inputs up to ``t`` only).
        data_format: 'channels_last' (or None); 'channels_first' is not supported.
        dilation_rate: an int (or a 1-tuple).
        groups: 1 (grouped convolutions are not supported).
        activation: an activation name or function (None: linear).
        use_bias: whether to add a bias of shape ``(filters,)``.
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        activity_regularizer, kernel_constraint, bias_constraint: as in Keras.

    Weights: ``kernel`` ``(kernel_size, channels, filters)``, ``bias`` ``(filters,)``.

    Example:
        >>> Conv1D(4, 3, padding="causal")(K.placeholder((None, 10, 2))).shape
        (None, 10, 4)
    """

    rank = 1

    def _convolve(self, x):
        padding = self.padding
        if padding == "causal":
            left = (self.kernel_size[0] - 1) * self.dilation_rate[0]
            x = K.pad(x, [(0, 0), (left, 0), (0, 0)])
            padding = "valid"
        return K.conv1d(x, self.kernel, strides=self.strides[0], padding=padding,
                        dilation_rate=self.dilation_rate[0])


class Conv2D(Conv):
    """2-D convolution of images: ``y[n, i, j, o] = b[o] + sum_{a, b, c} xpad[n, i*sh + a*dh,
    j*sw + b*dw, c] * kernel[a, b, c, o]`` (a cross-correlation, as in Keras), then the
    activation.

    Input shape: ``(batch, rows, cols, channels)``. Output shape: ``(batch, new_rows,
    new_cols, filters)``: per axis ``(n - k_eff) // s + 1`` ('valid') or ``ceil(n / s)``
    ('same', zero padding split as TensorFlow does, the extra pixel at the bottom/right).

    Args:
        filters: number of output channels.
        kernel_size, strides, dilation_rate: an int or a pair.
        padding: 'valid' or 'same'.
        data_format: 'channels_last' (or None); 'channels_first' is not supported.
        groups, activation, use_bias, initializers, regularizers, constraints: as
            :class:`Conv1D`.

    Weights: ``kernel`` ``(kh, kw, channels, filters)``, ``bias`` ``(filters,)``.

    Example:
        >>> Conv2D(6, (5, 5), strides=2, padding="same")(
        ...     K.placeholder((None, 28, 28, 1))).shape
        (None, 14, 14, 6)
    """

    rank = 2

    def _convolve(self, x):
        return K.conv2d(x, self.kernel, strides=self.strides, padding=self.padding,
                        dilation_rate=self.dilation_rate)


def transposed_excess(k_eff, stride, padding, output_padding):
    """How much shorter a transposed convolution's output is than the full scatter.

    The full scatter of ``n`` inputs has ``F = (n - 1) * s + k_eff`` pixels; Keras' output
    length is ``L = F - excess`` (TensorFlow/Keras ``deconv_output_length``):

    * no output_padding: 'valid' ``L = n * s + max(k_eff - s, 0)``, 'same' ``L = n * s``;
    * output_padding ``p``: 'valid' ``L = F + p``, 'same' ``L = F - 2 * (k_eff // 2) + p``.

    The output is ``full[top : top + L]`` with ``top = max(excess, 0) // 2`` for 'same' (the
    forward convolution's padding before) and 0 for 'valid', pixels past ``F`` being zero.
    """
    if output_padding is None:
        return min(k_eff - stride, 0) if padding == "valid" else k_eff - stride
    return -output_padding if padding == "valid" else 2 * (k_eff // 2) - output_padding


class ConvTranspose(Conv):
    """Shared base of the transposed convolutions (the gradient of a convolution with
    respect to its input, "deconvolution"); use the subclasses."""

    transposed = True

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         activation=activation, use_bias=use_bias, **kwargs)
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = normalize_tuple(self, output_padding, self.rank,
                                                  "output_padding", min_value=0)
            for p, s in zip(self.output_padding, self.strides):
                if p >= s:
                    raise ValueError(f"{describe(self)}: output_padding "
                                     f"{self.output_padding} must be smaller than strides "
                                     f"{self.strides} on every axis.")

    def _kernel_shape(self, channels):
        return self.kernel_size + (self.filters, channels)

    def _axes(self):
        """Per spatial axis: ``(k_eff, stride, excess)``."""
        pads = self.output_padding or (None,) * self.rank
        result = []
        for k, s, d, p in zip(self.kernel_size, self.strides, self.dilation_rate, pads):
            k_eff = (k - 1) * d + 1
            result.append((k_eff, s, transposed_excess(k_eff, s, self.padding, p)))
        return result

    def compute_output_shape(self, input_shape):
        input_shape = self._check_input_shape(input_shape)
        out = tuple(None if n is None else (n - 1) * s + k_eff - excess
                    for n, (k_eff, s, excess) in zip(input_shape[1:-1], self._axes()))
        for n, length in zip(input_shape[1:-1], out):
            if length is not None and length < 1:
                raise ValueError(f"{describe(self)}: output size {out} is empty for input "
                                 f"shape {fmt_shape(input_shape)}; use larger inputs or a "
                                 "different padding/output_padding.")
        return (input_shape[0],) + out + (self.filters,)

    def _convolve(self, x):
        kernel, axes = self.kernel, self._axes()
        strides, dilations = self.strides, self.dilation_rate
        if self.rank == 1:   # a 2-D transposed convolution of height 1
            x, kernel = K.expand_dims(x, 1), K.expand_dims(kernel, 0)
            axes, strides, dilations = [(1, 1, 0)] + axes, (1,) + strides, (1,) + dilations
        y = K.conv2d_transpose(x, kernel, strides=strides, padding="valid",
                               dilation_rate=dilations)
        crops, pads = [slice(None)], [(0, 0)]
        for _, _, excess in axes:
            top = max(excess, 0) // 2 if self.padding == "same" else 0
            end = excess - top
            crops.append(slice(top, -end if end > 0 else None))
            pads.append((0, max(-end, 0)))
        if any(c.start or c.stop for c in crops):
            y = y[tuple(crops) + (slice(None),)]
        if any(after for _, after in pads):
            y = K.pad(y, pads + [(0, 0)])
        return K.squeeze(y, axis=1) if self.rank == 1 else y

    def get_config(self):
        config = super().get_config()
        config["output_padding"] = (None if self.output_padding is None
                                    else list(self.output_padding))
        return config


class Conv1DTranspose(ConvTranspose):
    """Transposed 1-D convolution: each input step scatters ``x[n, i, :] @ kernel[a].T`` onto
    output step ``i*s + a*d`` (then cropped as Keras does, see :func:`transposed_excess`).

    Input shape: ``(batch, steps, channels)``. Output shape: ``(batch, new_steps,
    filters)``, ``new_steps = steps * s + max(k_eff - s, 0)`` ('valid') or ``steps * s``
    ('same') without output_padding.

    Args:
        filters, kernel_size, strides, dilation_rate, activation, use_bias, ...: as
            :class:`Conv1D` (padding 'valid' or 'same').
        output_padding: None or an int smaller than strides: extra steps at the end.

    Weights: ``kernel`` ``(kernel_size, filters, channels)``, ``bias`` ``(filters,)``.

    Example:
        >>> Conv1DTranspose(3, 4, strides=2, padding="same")(
        ...     K.placeholder((None, 5, 2))).shape
        (None, 10, 3)
    """

    rank = 1


class Conv2DTranspose(ConvTranspose):
    """Transposed 2-D convolution (the gradient of :class:`Conv2D` with respect to its
    input): input pixel ``(i, j)`` scatters ``x[n, i, j, :] @ kernel[a, b].T`` onto output
    pixel ``(i*sh + a*dh - top, j*sw + b*dw - left)``; then the bias and activation.

    Input shape: ``(batch, rows, cols, channels)``. Output shape: ``(batch, new_rows,
    new_cols, filters)``; per axis without output_padding ``n * s + max(k_eff - s, 0)``
    ('valid') or ``n * s`` ('same'); with output_padding ``p``: ``(n - 1) * s + k_eff + p``
    ('valid') or ``(n - 1) * s + k_eff - 2 * (k_eff // 2) + p`` ('same').

    Args:
        filters: number of output channels.
        kernel_size, strides, dilation_rate: an int or a pair.
        padding: 'valid' or 'same'.
        output_padding: None, or an int or pair, each smaller than the stride.
        data_format: 'channels_last' (or None); 'channels_first' is not supported.
        activation, use_bias, initializers, regularizers, constraints: as :class:`Conv2D`.

    Weights: ``kernel`` ``(kh, kw, filters, channels)``, ``bias`` ``(filters,)``.

    Example:
        >>> Conv2DTranspose(8, 3, strides=2, padding="same")(
        ...     K.placeholder((None, 7, 7, 16))).shape
        (None, 14, 14, 8)
    """

    rank = 2


# Keras' aliases.
Convolution1D, Convolution2D, Convolution2DTranspose = Conv1D, Conv2D, Conv2DTranspose

__all__ = ["Conv1D", "Conv2D", "Conv1DTranspose", "Conv2DTranspose", "Convolution1D",
           "Convolution2D", "Convolution2DTranspose"]
