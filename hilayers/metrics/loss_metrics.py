"""Metrics that are the running mean of a loss function over all samples seen
(``tf.keras.metrics.MeanSquaredError``, ``BinaryCrossentropy``, ...), and the root mean
squared error.

Unlike the loss, whose batch value is a mean over one batch, these accumulate over the whole
epoch: the result is ``sum over samples of w * loss / sum of w``.

Example:
    >>> m = MeanSquaredError()
    >>> m.name
    'mean_squared_error'
"""
from .. import backend as K
from .. import losses as L
from ..losses.functions import match_targets
from .base import Mean, MeanMetricWrapper


class MeanSquaredError(MeanMetricWrapper):
    """Running mean of :func:`~hilayers.losses.mean_squared_error`."""

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(L.mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """Running mean of :func:`~hilayers.losses.mean_absolute_error`."""

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(L.mean_absolute_error, name=name, dtype=dtype)


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """Running mean of :func:`~hilayers.losses.mean_absolute_percentage_error`."""

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(L.mean_absolute_percentage_error, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    """Running mean of :func:`~hilayers.losses.mean_squared_logarithmic_error`."""

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(L.mean_squared_logarithmic_error, name=name, dtype=dtype)


class RootMeanSquaredError(Mean):
    """``sqrt(sum(w * (y_pred - y_true)**2) / sum(w))`` over every element seen.

    Example:
        >>> m = RootMeanSquaredError()
    """

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add this batch's squared errors (weighted by ``sample_weight``)."""
        y_true, y_pred = match_targets(y_true, y_pred)
        return super().update_state(K.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self):
        return K.sqrt(super().result())


class LogCoshError(MeanMetricWrapper):
    """Running mean of :func:`~hilayers.losses.log_cosh`."""

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(L.log_cosh, name=name, dtype=dtype)


def cosine_similarity(y_true, y_pred, axis=-1):
    """Cosine similarity ``sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)`` (the
    loss of the same name is its negative)."""
    return -L.cosine_similarity(y_true, y_pred, axis=axis)


class CosineSimilarity(MeanMetricWrapper):
    """Running mean of the cosine similarity along ``axis`` (1 for aligned vectors)."""

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=axis)


class BinaryCrossentropy(MeanMetricWrapper):
    """Running mean of :func:`~hilayers.losses.binary_crossentropy`.

    Example:
        >>> m = BinaryCrossentropy(from_logits=True)
    """

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0.0):
        super().__init__(L.binary_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing)


class CategoricalCrossentropy(MeanMetricWrapper):
    """Running mean of :func:`~hilayers.losses.categorical_crossentropy`."""

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0.0, axis=-1):
        super().__init__(L.categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """Running mean of :func:`~hilayers.losses.sparse_categorical_crossentropy`."""

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False,
                 axis=-1):
        super().__init__(L.sparse_categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, axis=axis)


class Hinge(MeanMetricWrapper):
    """Running mean of :func:`~hilayers.losses.hinge`."""

    def __init__(self, name="hinge", dtype=None):
        super().__init__(L.hinge, name=name, dtype=dtype)


class SquaredHinge(MeanMetricWrapper):
    """Running mean of :func:`~hilayers.losses.squared_hinge`."""

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(L.squared_hinge, name=name, dtype=dtype)


class CategoricalHinge(MeanMetricWrapper):
    """Running mean of :func:`~hilayers.losses.categorical_hinge`."""

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(L.categorical_hinge, name=name, dtype=dtype)


class KLDivergence(MeanMetricWrapper):
    """Running mean of :func:`~hilayers.losses.kl_divergence`."""

    def __init__(self, name="kullback_leibler_divergence", dtype=None):
        super().__init__(L.kl_divergence, name=name, dtype=dtype)


class Poisson(MeanMetricWrapper):
    """Running mean of :func:`~hilayers.losses.poisson`."""

    def __init__(self, name="poisson", dtype=None):
        super().__init__(L.poisson, name=name, dtype=dtype)


CLASSES = [MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
           MeanSquaredLogarithmicError, RootMeanSquaredError, LogCoshError, CosineSimilarity,
           BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, Hinge,
           SquaredHinge, CategoricalHinge, KLDivergence, Poisson]
