"""``Embedding``: turn integer indices into dense vectors looked up in a trainable table.

Example:
    >>> from hilayers import backend as K, layers
    >>> words = K.placeholder((None, 10), dtype="int32")
    >>> layers.Embedding(1000, 64)(words).shape
    (None, 10, 64)
"""
from .. import backend as K, constraints, initializers, regularizers
from .base import Layer
from .core import add_activity_regularization


class Embedding(Layer):
    """Look up rows of an ``(input_dim, output_dim)`` table: ``output[..., :] =
    embeddings[inputs[...]]``. Gradients flow to the rows used (a scatter-add through
    ``K.gather``).

    Input shape: ``(batch, ...)`` of integers in ``[0, input_dim)`` (floats are cast to
    int32). Output shape: ``(batch, ..., output_dim)``.

    Args:
        input_dim: the vocabulary size (largest index + 1).
        output_dim: the size of each vector.
        embeddings_initializer: default ``'uniform'``, i.e. ``RandomUniform(-0.05, 0.05)``.
        embeddings_regularizer, activity_regularizer, embeddings_constraint: optional.
        mask_zero: whether index 0 is padding; :meth:`compute_mask` then gives
            ``inputs != 0`` (index 0 must stay reserved, so use ``input_dim = vocab + 1``).
        input_length: the length of the (fixed-length) inputs, for a first layer of a
            ``Sequential`` model (sets ``input_shape=(input_length,)``), as in tf.keras 2.x.

    Weights: ``embeddings`` of shape ``(input_dim, output_dim)``.

    Raises:
        ValueError: for non-positive sizes, or inputs whose length differs from
            ``input_length``.

    Example:
        >>> emb = Embedding(50, 8, mask_zero=True)
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, activity_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, input_length=None, **kwargs):
        if input_length is not None and "input_shape" not in kwargs and (
                "batch_input_shape" not in kwargs):
            lengths = input_length if isinstance(input_length, (list, tuple)) else [
                input_length]
            kwargs["input_shape"] = tuple(lengths)
        super().__init__(**kwargs)
        if int(input_dim) < 1 or int(output_dim) < 1:
            raise ValueError(f"Embedding {self.name!r}: input_dim and output_dim must be "
                             f"positive; received input_dim={input_dim}, "
                             f"output_dim={output_dim}.")
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self.input_length = input_length

    def build(self, input_shape):
        self.compute_output_shape(input_shape)      # checks input_length
        self.embeddings = self.add_weight(
            "embeddings", (self.input_dim, self.output_dim), self.embeddings_initializer,
            self.embeddings_regularizer, self.embeddings_constraint)
        self.built = True

    def call(self, inputs):
        if inputs.dtype.kind not in "iu":
            inputs = K.cast(inputs, "int32")
        outputs = K.gather(self.embeddings, inputs)
        add_activity_regularization(self, outputs)
        return outputs

    def compute_mask(self, inputs, mask=None):
        """``inputs != 0`` when ``mask_zero``, else None."""
        return K.not_equal(inputs, 0) if self.mask_zero else None

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        if self.input_length is not None:
            lengths = self.input_length if isinstance(self.input_length, (list, tuple)) else [
                self.input_length]
            if len(lengths) != len(shape) - 1 or any(
                    d is not None and s is not None and d != s
                    for d, s in zip(lengths, shape[1:])):
                raise ValueError(f"Embedding {self.name!r}: input_length is {self.input_length}"
                                 f" but received input shape {shape}.")
        return shape + (self.output_dim,)

    def get_config(self):
        length = self.input_length
        return dict(super().get_config(), input_dim=self.input_dim,
                    output_dim=self.output_dim,
                    embeddings_initializer=initializers.serialize(self.embeddings_initializer),
                    embeddings_regularizer=regularizers.serialize(self.embeddings_regularizer),
                    activity_regularizer=regularizers.serialize(self.activity_regularizer),
                    embeddings_constraint=constraints.serialize(self.embeddings_constraint),
                    mask_zero=self.mask_zero,
                    input_length=list(length) if isinstance(length, tuple) else length)


__all__ = ["Embedding"]
