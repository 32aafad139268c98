"""Pooling layers: max and average pooling over windows (1-D and 2-D) and global pooling.

As in Keras: ``channels_last`` inputs, ``strides=None`` meaning ``pool_size``, and with
``padding='same'`` padded pixels never count (max ignores them, average divides by the
number of real pixels in each window). ``MaxPool2D``, ``AvgPool2D``, ``GlobalAvgPool2D``...
are aliases of the long names.

Example:
    >>> from hilayers import layers
    >>> x = layers.Input((28, 28, 6))
    >>> layers.MaxPooling2D()(x).shape
    (None, 14, 14, 6)
    >>> layers.GlobalAveragePooling2D()(x).shape
    (None, 6)
"""
from .. import backend as K
from .base import LAYERS, InputSpec, Layer
from .convolutional import (check_data_format, check_padding, check_rank,
                            check_window_fits, conv_output_length, describe, fmt_shape,
                            normalize_tuple)

_LAYOUTS = {1: "(batch, steps, channels)", 2: "(batch, rows, cols, channels)"}


class Pooling(Layer):
    """Shared base of the window pooling layers (``rank`` spatial dims); use the subclasses.

    Subclasses set ``rank`` and ``pool_function`` (a backend op such as ``K.max_pool2d``).
    """

    rank = None
    pool_function = None

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        n = self.rank
        self.pool_size = normalize_tuple(self, pool_size, n, "pool_size")
        self.strides = (self.pool_size if strides is None
                        else normalize_tuple(self, strides, n, "strides"))
        self.padding = check_padding(self, padding)
        self.data_format = check_data_format(self, data_format)
        self.input_spec = InputSpec(ndim=n + 2)

    def call(self, inputs):
        self.compute_output_shape(inputs.shape)
        pool = type(self).pool_function
        if self.rank == 1:
            return pool(inputs, self.pool_size[0], strides=self.strides[0],
                        padding=self.padding)
        return pool(inputs, self.pool_size, strides=self.strides, padding=self.padding)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        check_rank(self, input_shape, self.rank + 2, _LAYOUTS[self.rank])
        out = tuple(conv_output_length(n, k, self.padding, s)
                    for n, k, s in zip(input_shape[1:-1], self.pool_size, self.strides))
        check_window_fits(self, input_shape, out, self.pool_size, what="pool window")
        return (input_shape[0],) + out + (input_shape[-1],)

    def get_config(self):
        config = super().get_config()
        config.update({"pool_size": list(self.pool_size), "padding": self.padding,
                       "strides": list(self.strides), "data_format": self.data_format})
        return config


class MaxPooling1D(Pooling):
    """Max pooling over steps: ``y[n, i, c] = max_{a < p} xpad[n, i*s + a, c]``.

    Input shape ``(batch, steps, channels)``; output ``(batch, pooled_steps, channels)``.

    Args:
        pool_size: the window length, an int (default 2).
        strides: an int, or None for ``pool_size``.
        padding: 'valid' (``out = (n - p) // s + 1``) or 'same' (``out = ceil(n / s)``).
        data_format: 'channels_last' (or None); 'channels_first' is not supported.
    Example:
        >>> MaxPooling1D(2)(K.placeholder((None, 9, 3))).shape
        (None, 4, 3)
    """

    rank = 1
    pool_function = staticmethod(K.max_pool1d)


class AveragePooling1D(Pooling):
    """Average pooling over steps (real, unpadded steps only with 'same').

    Input shape ``(batch, steps, channels)``; output ``(batch, pooled_steps, channels)``.

    Args:
        pool_size: the window length, an int (default 2).
        strides: an int, or None for ``pool_size``.
        padding: 'valid' (``out = (n - p) // s + 1``) or 'same' (``out = ceil(n / s)``).
        data_format: 'channels_last' (or None); 'channels_first' is not supported.
    Example:
        >>> AveragePooling1D(3, strides=1, padding="same")(K.placeholder((None, 9, 3))).shape
        (None, 9, 3)
    """

    rank = 1
    pool_function = staticmethod(K.avg_pool1d)


class Pooling2D(Pooling):
    """Shared base of the 2-D pooling layers (default ``pool_size=(2, 2)``)."""

    rank = 2

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides=strides, padding=padding,
                         data_format=data_format, **kwargs)


class MaxPooling2D(Pooling2D):
    """Max pooling of images: ``y[n, i, j, c] = max_{a, b} xpad[n, i*sh + a, j*sw + b, c]``.

    Input shape ``(batch, rows, cols, channels)``; output ``(batch, pooled_rows,
    pooled_cols, channels)``.

    Args:
        pool_size: an int or a pair (default (2, 2)).
        strides: an int or a pair, or None for ``pool_size``.
        padding: 'valid' (``out = (n - p) // s + 1``) or 'same' (``out = ceil(n / s)``).
        data_format: 'channels_last' (or None); 'channels_first' is not supported.
    Example:
        >>> MaxPooling2D((2, 2))(K.placeholder((None, 5, 6, 3))).shape
        (None, 2, 3, 3)
    """

    pool_function = staticmethod(K.max_pool2d)


class AveragePooling2D(Pooling2D):
    """Average pooling of images (real, unpadded pixels only with 'same').

    Input shape ``(batch, rows, cols, channels)``; output ``(batch, pooled_rows,
    pooled_cols, channels)``.

    Args:
        pool_size: an int or a pair (default (2, 2)).
        strides: an int or a pair, or None for ``pool_size``.
        padding: 'valid' (``out = (n - p) // s + 1``) or 'same' (``out = ceil(n / s)``).
        data_format: 'channels_last' (or None); 'channels_first' is not supported.
    Example:
        >>> AveragePooling2D(3, strides=2, padding="same")(K.placeholder((None, 5, 5, 1))).shape
        (None, 3, 3, 1)
    """

    pool_function = staticmethod(K.avg_pool2d)


class GlobalPooling(Layer):
    """Shared base of the global pooling layers: reduce every spatial axis.

    Args:
        data_format: 'channels_last' (or None); 'channels_first' is not supported.
        keepdims: keep the spatial axes with size 1 (tf.keras 2.6+).
    """

    rank = None
    reduce_function = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = check_data_format(self, data_format)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _axes(self):
        return tuple(range(1, self.rank + 1))

    def call(self, inputs):
        self.compute_output_shape(inputs.shape)
        return type(self).reduce_function(inputs, axis=self._axes(), keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        check_rank(self, input_shape, self.rank + 2, _LAYOUTS[self.rank])
        if self.keepdims:
            return (input_shape[0],) + (1,) * self.rank + (input_shape[-1],)
        return (input_shape[0], input_shape[-1])

    def get_config(self):
        config = super().get_config()
        config.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return config


class GlobalAveragePooling1D(GlobalPooling):
    """Mean over steps: ``y[n, c] = mean_t x[n, t, c]``; with a ``mask`` (batch, steps) the
    mean of the unmasked steps only.

    Input shape ``(batch, steps, channels)``; output ``(batch, channels)`` (``(batch, 1,
    channels)`` with ``keepdims=True``).

    Example:
        >>> GlobalAveragePooling1D()(K.placeholder((None, 7, 4))).shape
        (None, 4)
    """

    rank = 1
    reduce_function = staticmethod(K.mean)

    def __init__(self, data_format="channels_last", keepdims=False, **kwargs):
        super().__init__(data_format=data_format, keepdims=keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        self.compute_output_shape(inputs.shape)
        if mask.ndim != 2:
            raise ValueError(f"{describe(self)}: mask must have shape (batch, steps); received "
                             f"mask shape {fmt_shape(mask.shape)} for input shape "
                             f"{fmt_shape(inputs.shape)}.")
        weights = K.expand_dims(K.cast(mask, inputs.dtype), -1)
        total = K.sum(inputs * weights, axis=1, keepdims=self.keepdims)
        return total / K.sum(weights, axis=1, keepdims=self.keepdims)


class GlobalMaxPooling1D(GlobalPooling):
    """Max over steps: ``y[n, c] = max_t x[n, t, c]``.

    Input shape ``(batch, steps, channels)``; output ``(batch, channels)``.

    Example:
        >>> GlobalMaxPooling1D(keepdims=True)(K.placeholder((None, 7, 4))).shape
        (None, 1, 4)
    """

    rank = 1
    reduce_function = staticmethod(K.max)


class GlobalAveragePooling2D(GlobalPooling):
    """Mean over rows and cols: ``y[n, c] = mean_{i, j} x[n, i, j, c]``.

    Input shape ``(batch, rows, cols, channels)``; output ``(batch, channels)``
    (``(batch, 1, 1, channels)`` with ``keepdims=True``).

    Example:
        >>> GlobalAveragePooling2D()(K.placeholder((None, 7, 7, 32))).shape
        (None, 32)
    """

    rank = 2
    reduce_function = staticmethod(K.mean)


class GlobalMaxPooling2D(GlobalPooling):
    """Max over rows and cols: ``y[n, c] = max_{i, j} x[n, i, j, c]``.

    Input shape ``(batch, rows, cols, channels)``; output ``(batch, channels)``.

    Example:
        >>> GlobalMaxPooling2D()(K.placeholder((None, 7, 7, 32))).shape
        (None, 32)
    """

    rank = 2
    reduce_function = staticmethod(K.max)


# Keras' short aliases (the same classes; configs store the long names).
MaxPool1D, MaxPool2D = MaxPooling1D, MaxPooling2D
AvgPool1D, AvgPool2D = AveragePooling1D, AveragePooling2D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D
for _alias, _cls in [("MaxPool1D", MaxPool1D), ("MaxPool2D", MaxPool2D),
                     ("AvgPool1D", AvgPool1D), ("AvgPool2D", AvgPool2D),
                     ("GlobalAvgPool1D", GlobalAvgPool1D),
                     ("GlobalAvgPool2D", GlobalAvgPool2D),
                     ("GlobalMaxPool1D", GlobalMaxPool1D),
                     ("GlobalMaxPool2D", GlobalMaxPool2D)]:
    LAYERS.register(_alias)(_cls)

__all__ = ["MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D",
           "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D",
           "GlobalMaxPooling2D", "MaxPool1D", "MaxPool2D", "AvgPool1D", "AvgPool2D",
           "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalMaxPool1D", "GlobalMaxPool2D"]
