"""``Input`` and ``InputLayer``: where a functional model's graph starts.

Example:
    >>> from hilayers import layers
    >>> x = layers.Input(shape=(28, 28, 1), name="image")
    >>> x.shape
    (None, 28, 28, 1)
"""
import numpy as np

from .. import backend as K
from .base import Layer, LayerCall, _history


class InputLayer(Layer):
    """A layer holding a placeholder; ``Input(...)`` returns its output tensor.

    Args:
        input_shape: the shape without the batch dim.
        batch_size: a fixed batch size (None: any).
        dtype: the placeholder's dtype (floatx when None).
        batch_input_shape: the shape with the batch dim (instead of the two above).
    """

    def __init__(self, input_shape=None, batch_size=None, dtype=None, name=None,
                 batch_input_shape=None, sparse=False, ragged=False, **kwargs):
        if batch_input_shape is None:
            if input_shape is None:
                raise ValueError("InputLayer needs input_shape (without the batch dim) or "
                                 "batch_input_shape.")
            batch_input_shape = (batch_size,) + tuple(input_shape)
        if sparse or ragged:
            raise ValueError("InputLayer: sparse and ragged inputs are not supported.")
        kwargs.pop("trainable", None)
        super().__init__(name=name, dtype=dtype, batch_input_shape=batch_input_shape, **kwargs)
        self.built = True
        placeholder = K.placeholder(shape=self.batch_input_shape, dtype=self.dtype,
                                    name=self.name)
        record = LayerCall(self, [], placeholder, {})
        _history[placeholder] = (record, 0)
        self._calls.append(record)

    def get_config(self):
        return {"batch_input_shape": list(self.batch_input_shape), "dtype": self.dtype,
                "sparse": False, "ragged": False, "name": self.name}


def Input(shape=None, batch_size=None, name=None, dtype=None, batch_shape=None):  # noqa: N802
    """A symbolic input of a functional model (a placeholder with a batch dim).

    Args:
        shape: the shape of one sample, e.g. ``(784,)``; None entries are unknown dims.
        batch_size: a fixed batch size (None: any).
        name: the input's name (also the key for dict inputs to ``fit``).
        dtype: default floatx.
        batch_shape: the full shape, batch dim included, instead of ``shape``.

    Returns:
        Tensor
    """
    if shape is None and batch_shape is None:
        raise ValueError("Input() needs a shape, e.g. Input(shape=(784,)).")
    if shape is not None and isinstance(shape, int):
        shape = (shape,)
    layer = InputLayer(input_shape=shape, batch_size=batch_size, name=name,
                       dtype=np.dtype(dtype or K.floatx()).name,
                       batch_input_shape=tuple(batch_shape) if batch_shape else None)
    return layer.output


__all__ = ["Input", "InputLayer"]
