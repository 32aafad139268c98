"""Spatial reshaping layers: ``ZeroPadding1D/2D``, ``Cropping1D/2D`` and ``UpSampling1D/2D``.

All take ``channels_last`` inputs and have no weights. Padding and cropping amounts are
``(before, after)`` pairs per spatial axis, stored in configs as nested lists.

Example:
    >>> from hilayers import layers
    >>> x = layers.Input((28, 28, 3))
    >>> layers.ZeroPadding2D(2)(x).shape
    (None, 32, 32, 3)
    >>> layers.UpSampling2D()(x).shape
    (None, 56, 56, 3)
"""
import numpy as np

from .. import backend as K
from .base import InputSpec, Layer
from .convolutional import (check_data_format, check_rank, describe, fmt_shape,
                            normalize_tuple)

_LAYOUTS = {1: "(batch, steps, channels)", 2: "(batch, rows, cols, channels)"}


def _pairs(layer, value, rank, what):
    """``value`` as ``rank`` ``(before, after)`` pairs of ints >= 0.

    Accepted: an int (everywhere); for rank 1 a pair ``(before, after)``; for rank 2 a pair
    of ints (symmetric per axis) or a pair of pairs ``((top, bottom), (left, right))``.
    """
    if rank == 1:
        return (normalize_tuple(layer, value, 2, what, min_value=0),)
    if isinstance(value, (list, tuple)) and len(value) == rank and all(
            isinstance(v, (list, tuple)) for v in value):
        return tuple(normalize_tuple(layer, v, 2, f"{what} entry", min_value=0)
                     for v in value)
    try:
        return tuple((v, v) for v in normalize_tuple(layer, value, rank, what, min_value=0))
    except ValueError:
        raise ValueError(f"{describe(layer)}: {what} must be an int, a pair of ints or a pair "
                         f"of (before, after) pairs of ints >= 0; received {value!r}.") from None


class _Spatial(Layer):
    """Shared base: ``rank`` spatial axes, ``channels_last`` only."""

    rank = None

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = check_data_format(self, data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _check(self, input_shape):
        input_shape = tuple(input_shape)
        check_rank(self, input_shape, self.rank + 2, _LAYOUTS[self.rank])
        return input_shape

    def _config(self, **entries):
        config = super().get_config()
        if self.rank == 2:
            config["data_format"] = self.data_format
        config.update(entries)
        return config


class _ZeroPadding(_Spatial):
    """Add rows/cols of zeros: output dim ``n + before + after`` per spatial axis."""

    def __init__(self, padding, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.padding = _pairs(self, padding, self.rank, "padding")

    def call(self, inputs):
        self._check(inputs.shape)
        return K.pad(inputs, [(0, 0), *self.padding, (0, 0)])

    def compute_output_shape(self, input_shape):
        shape = self._check(input_shape)
        spatial = tuple(None if n is None else n + a + b
                        for n, (a, b) in zip(shape[1:-1], self.padding))
        return (shape[0],) + spatial + (shape[-1],)

    def get_config(self):
        pads = [list(p) for p in self.padding]
        return self._config(padding=pads[0] if self.rank == 1 else pads)


class ZeroPadding1D(_ZeroPadding):
    """Pad steps with zeros at the start and the end.

    Input shape ``(batch, steps, features)``; output ``(batch, left + steps + right,
    features)``.

    Args:
        padding: an int (both ends) or a pair ``(left, right)``.

    Example:
        >>> ZeroPadding1D((1, 2))(K.placeholder((None, 5, 3))).shape
        (None, 8, 3)
    """

    rank = 1

    def __init__(self, padding=1, **kwargs):
        super().__init__(padding, **kwargs)


class ZeroPadding2D(_ZeroPadding):
    """Pad images with rows and columns of zeros.

    Input shape ``(batch, rows, cols, channels)``; output ``(batch, top + rows + bottom,
    left + cols + right, channels)``.

    Args:
        padding: an int (all sides), a pair ``(rows_pad, cols_pad)`` (symmetric), or
            ``((top, bottom), (left, right))``.
        data_format: 'channels_last' (or None); 'channels_first' is not supported.

    Example:
        >>> ZeroPadding2D(((1, 0), (2, 3)))(K.placeholder((None, 4, 4, 1))).shape
        (None, 5, 9, 1)
    """

    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format=data_format, **kwargs)


class _Cropping(_Spatial):
    """Remove ``before`` and ``after`` entries of every spatial axis."""

    def __init__(self, cropping, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.cropping = _pairs(self, cropping, self.rank, "cropping")

    def call(self, inputs):
        self.compute_output_shape(inputs.shape)
        key = [slice(None)] + [slice(a, -b if b else None) for a, b in self.cropping]
        return inputs[tuple(key) + (slice(None),)]

    def compute_output_shape(self, input_shape):
        shape = self._check(input_shape)
        spatial = tuple(None if n is None else n - a - b
                        for n, (a, b) in zip(shape[1:-1], self.cropping))
        if any(n is not None and n < 1 for n in spatial):
            raise ValueError(f"{describe(self)}: cropping {self.cropping} leaves nothing of "
                             f"the input; received shape {fmt_shape(shape)}.")
        return (shape[0],) + spatial + (shape[-1],)

    def get_config(self):
        crops = [list(c) for c in self.cropping]
        return self._config(cropping=crops[0] if self.rank == 1 else crops)


class Cropping1D(_Cropping):
    """Crop steps at the start and the end.

    Input shape ``(batch, steps, features)``; output ``(batch, steps - start - end,
    features)``.

    Args:
        cropping: an int (both ends) or a pair ``(start, end)``.

    Example:
        >>> Cropping1D((1, 2))(K.placeholder((None, 6, 3))).shape
        (None, 3, 3)
    """

    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping, **kwargs)


class Cropping2D(_Cropping):
    """Crop rows and columns of images.

    Input shape ``(batch, rows, cols, channels)``; output ``(batch, rows - top - bottom,
    cols - left - right, channels)``.

    Args:
        cropping: an int (all sides), a pair ``(rows_crop, cols_crop)`` (symmetric), or
            ``((top, bottom), (left, right))``.
        data_format: 'channels_last' (or None); 'channels_first' is not supported.

    Example:
        >>> Cropping2D(((2, 2), (4, 4)))(K.placeholder((None, 28, 28, 3))).shape
        (None, 24, 20, 3)
    """

    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format=data_format, **kwargs)


class UpSampling1D(_Spatial):
    """Repeat every step ``size`` times.

    Input shape ``(batch, steps, features)``; output ``(batch, steps * size, features)``.

    Args:
        size: an int, the repeat factor.

    Example:
        >>> UpSampling1D(3)(K.placeholder((None, 4, 2))).shape
        (None, 12, 2)
    """

    rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        (self.size,) = normalize_tuple(self, size, 1, "size")

    def call(self, inputs):
        self._check(inputs.shape)
        return K.repeat(inputs, self.size, axis=1)

    def compute_output_shape(self, input_shape):
        shape = self._check(input_shape)
        return (shape[0], None if shape[1] is None else shape[1] * self.size, shape[2])

    def get_config(self):
        return self._config(size=self.size)


class UpSampling2D(_Spatial):
    """Enlarge images by integer factors, repeating pixels ('nearest') or interpolating
    ('bilinear', with TensorFlow's half-pixel centers as Keras uses).

    Input shape ``(batch, rows, cols, channels)``; output ``(batch, rows * size[0],
    cols * size[1], channels)``.

    Args:
        size: an int or a pair of ints, the factors for rows and cols.
        data_format: 'channels_last' (or None); 'channels_first' is not supported.
        interpolation: 'nearest' or 'bilinear' (bilinear needs known rows and cols).

    Example:
        >>> UpSampling2D((2, 3), interpolation="bilinear")(
        ...     K.placeholder((None, 4, 4, 1))).shape
        (None, 8, 12, 1)
    """

    rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.size = normalize_tuple(self, size, 2, "size")
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(f"{describe(self)}: interpolation must be 'nearest' or "
                             f"'bilinear'; received {interpolation!r}.")
        self.interpolation = interpolation

    def call(self, inputs):
        shape = self._check(inputs.shape)
        if self.interpolation == "nearest":
            return K.repeat(K.repeat(inputs, self.size[0], axis=1), self.size[1], axis=2)
        if shape[1] is None or shape[2] is None:
            raise ValueError(f"{describe(self)}: interpolation='bilinear' needs known rows "
                             f"and cols; received shape {fmt_shape(shape)}. Give the Input "
                             "a full shape or use interpolation='nearest'.")
        dtype = inputs.dtype
        rows = K.constant(bilinear_matrix(shape[1], self.size[0]), dtype=dtype)
        cols = K.constant(bilinear_matrix(shape[2], self.size[1]), dtype=dtype)
        y = K.tensordot(inputs, rows, axes=([1], [1]))       # (batch, cols, ch, new_rows)
        y = K.tensordot(y, cols, axes=([1], [1]))            # (batch, ch, new_rows, new_cols)
        return K.transpose(y, (0, 2, 3, 1))

    def compute_output_shape(self, input_shape):
        shape = self._check(input_shape)
        spatial = tuple(None if n is None else n * s for n, s in zip(shape[1:3], self.size))
        return (shape[0],) + spatial + (shape[3],)

    def get_config(self):
        return self._config(size=list(self.size), interpolation=self.interpolation)


def bilinear_matrix(n, factor):
    """The ``(n * factor, n)`` matrix of 1-D linear interpolation with half-pixel centers.

    Output pixel ``o`` samples input coordinate ``(o + 0.5) / factor - 0.5``, clamped to
    ``[0, n - 1]``, between its two neighbours (TensorFlow's ``resize`` rule).
    """
    coord = np.clip((np.arange(n * factor) + 0.5) / factor - 0.5, 0, n - 1)
    lower = np.floor(coord).astype(int)
    upper = np.minimum(lower + 1, n - 1)
    frac = coord - lower
    matrix = np.zeros((n * factor, n))
    np.add.at(matrix, (np.arange(n * factor), lower), 1 - frac)
    np.add.at(matrix, (np.arange(n * factor), upper), frac)
    return matrix


__all__ = ["ZeroPadding1D", "ZeroPadding2D", "Cropping1D", "Cropping2D", "UpSampling1D",
           "UpSampling2D"]
