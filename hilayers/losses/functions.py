"""Per-sample loss functions, as ``tf.keras.losses``: ``fn(y_true, y_pred) -> per-sample loss``.

Each function reduces the last axis (a mean for the regression losses, a sum over classes for
the cross-entropies and divergences), so the result has the shape ``y_pred.shape[:-1]``:
one value per sample (per time step for sequence outputs). ``y_true`` may be fed as integers
or floats; it is cast to ``y_pred``'s dtype, and targets with one axis less than ``y_pred``
(``(batch,)`` against ``(batch, 1)``) get a trailing axis, as ``Model.fit`` does in Keras.

Cross-entropies on probabilities use the backend helpers (``K.binary_crossentropy``,
``K.categorical_crossentropy``, ``K.sparse_categorical_crossentropy``), which switch to the
fused, stable op on the logits when the probabilities come straight out of a sigmoid or a
softmax node.

Example:
    >>> import numpy as np
    >>> from hilayers import backend as K
    >>> from hilayers.losses import mean_squared_error
    >>> K.Session().run(mean_squared_error(np.array([[0.0, 1.0]]), K.constant([[1.0, 1.0]])))
    array([0.5], dtype=float32)
"""
import math

import numpy as np

from .. import backend as K
from ..backend import Tensor


def match_targets(y_true, y_pred, cast_true=True):
    """Return ``(y_true, y_pred)`` as tensors of one graph.

    With ``cast_true``, ``y_true`` is cast to ``y_pred``'s dtype and given a trailing axis
    when it has one axis less than ``y_pred`` (``(batch,)`` targets for ``(batch, 1)``
    predictions), as Keras' ``Model.fit`` does. Also used by :mod:`hilayers.metrics`.
    """
    y_pred = K.convert_to_tensor(y_pred)
    if not isinstance(y_true, Tensor):
        y_true = K.constant(np.asarray(y_true), graph=y_pred.graph)
    if cast_true and y_true.dtype != y_pred.dtype:
        y_true = K.cast(y_true, y_pred.dtype)
    if cast_true and y_true.ndim == y_pred.ndim - 1:
        y_true = K.expand_dims(y_true, -1)
    return y_true, y_pred


def _class_axis_size(y, axis, fn_name):
    size = y.shape[axis]
    if size is None:
        raise ValueError(f"{fn_name}: label smoothing needs the number of classes, but axis "
                         f"{axis} of {y.name!r} (shape {y.shape}) is unknown. Give the "
                         "model output a known number of classes.")
    return size


def mean_squared_error(y_true, y_pred):
    """``mean(square(y_pred - y_true), axis=-1)``.

    Args:
        y_true: targets, shape ``(batch, d0, .. dN)`` (or without the last axis).
        y_pred: predictions, shape ``(batch, d0, .. dN)``.

    Returns:
        The per-sample loss, shape ``(batch, d0, .. dN-1)``.
    """
    y_true, y_pred = match_targets(y_true, y_pred)
    return K.mean(K.square(y_pred - y_true), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """``mean(abs(y_pred - y_true), axis=-1)``. Shapes as :func:`mean_squared_error`."""
    y_true, y_pred = match_targets(y_true, y_pred)
    return K.mean(K.abs(y_pred - y_true), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(abs((y_true - y_pred) / max(abs(y_true), epsilon)), axis=-1)``."""
    y_true, y_pred = match_targets(y_true, y_pred)
    ratio = (y_true - y_pred) / K.maximum(K.abs(y_true), K.epsilon())
    return 100.0 * K.mean(K.abs(ratio), axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """``mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)``."""
    y_true, y_pred = match_targets(y_true, y_pred)
    eps = K.epsilon()
    first = K.log(K.maximum(y_pred, eps) + 1.0)
    second = K.log(K.maximum(y_true, eps) + 1.0)
    return K.mean(K.square(first - second), axis=-1)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary cross-entropy averaged over ``axis``.

    ``mean(-(z log p + (1 - z) log(1 - p)), axis)`` with ``z = y_true * (1 - ls) + 0.5 ls``
    for ``label_smoothing = ls``; ``p = y_pred`` clipped to ``[eps, 1 - eps]``, or
    ``sigmoid(y_pred)`` computed stably when ``from_logits``.

    Args:
        y_true: 0/1 targets (or soft targets in ``[0, 1]``).
        y_pred: probabilities, or logits with ``from_logits=True``.
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: float in ``[0, 1]``; squeezes the targets towards 0.5.
        axis: the axis averaged.

    Returns:
        The per-sample loss, ``y_pred``'s shape without ``axis``.
    """
    y_true, y_pred = match_targets(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - float(label_smoothing)) + 0.5 * float(label_smoothing)
    return K.mean(K.binary_crossentropy(y_true, y_pred, from_logits=from_logits), axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Categorical cross-entropy ``-sum(y_true * log(p), axis)``.

    ``p`` is ``y_pred`` rescaled to sum to one and clipped to ``[eps, 1 - eps]``, or
    ``softmax(y_pred)`` computed stably when ``from_logits`` (or when ``y_pred`` is a softmax
    output). With ``label_smoothing = ls`` and ``C`` classes the targets become
    ``y_true * (1 - ls) + ls / C``.

    Args:
        y_true: one-hot (or soft) targets of ``y_pred``'s shape.
        y_pred: probabilities, or logits with ``from_logits=True``.
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: float in ``[0, 1]``.
        axis: the class axis.

    Returns:
        The per-sample loss, ``y_pred``'s shape without ``axis``.

    Raises:
        ValueError: when label smoothing is asked and the number of classes is unknown.
    """
    y_true, y_pred = match_targets(y_true, y_pred)
    if label_smoothing:
        classes = _class_axis_size(y_pred, axis, "categorical_crossentropy")
        ls = float(label_smoothing)
        y_true = y_true * (1.0 - ls) + ls / classes
    return K.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1):
    """Categorical cross-entropy with integer targets: ``-log(p[..., y_true])``.

    Args:
        y_true: class indices, shape ``y_pred.shape`` without ``axis`` (a trailing axis of
            size 1 is accepted); ints or floats holding whole numbers.
        y_pred: probabilities, or logits with ``from_logits=True``.

    Returns:
        The per-sample loss, ``y_pred``'s shape without ``axis``.
    """
    y_true, y_pred = match_targets(y_true, y_pred, cast_true=False)
    return K.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits,
                                             axis=axis)


def _signed_labels(y_true):
    """Keras' hinge convention: targets that are all 0 or 1 become -1 or 1."""
    is_zero_one = K.logical_or(K.equal(y_true, 0.0), K.equal(y_true, 1.0))
    all_zero_one = K.equal(K.min(K.cast(is_zero_one, y_true.dtype)), 1.0)
    return K.where(all_zero_one, 2.0 * y_true - 1.0, y_true)


def hinge(y_true, y_pred):
    """``mean(maximum(1 - y_true * y_pred, 0), axis=-1)``.

    Targets should be -1 or 1; targets that are all 0 or 1 are mapped to -1 or 1 first.
    """
    y_true, y_pred = match_targets(y_true, y_pred)
    return K.mean(K.maximum(1.0 - _signed_labels(y_true) * y_pred, 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    """``mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)``; targets as :func:`hinge`."""
    y_true, y_pred = match_targets(y_true, y_pred)
    return K.mean(K.square(K.maximum(1.0 - _signed_labels(y_true) * y_pred, 0.0)), axis=-1)


def categorical_hinge(y_true, y_pred):
    """``maximum(neg - pos + 1, 0)`` with ``pos = sum(y_true * y_pred, -1)`` and
    ``neg = max((1 - y_true) * y_pred, -1)``; ``y_true`` one-hot."""
    y_true, y_pred = match_targets(y_true, y_pred)
    pos = K.sum(y_true * y_pred, axis=-1)
    neg = K.max((1.0 - y_true) * y_pred, axis=-1)
    return K.maximum(neg - pos + 1.0, 0.0)


def huber(y_true, y_pred, delta=1.0):
    """Huber loss averaged over the last axis.

    With ``e = y_pred - y_true``: ``0.5 e**2`` where ``|e| <= delta``, else
    ``delta * |e| - 0.5 delta**2``.
    """
    y_true, y_pred = match_targets(y_true, y_pred)
    delta = float(delta)
    error = y_pred - y_true
    abs_error = K.abs(error)
    quadratic = 0.5 * K.square(error)
    linear = delta * abs_error - 0.5 * delta * delta
    return K.mean(K.where(K.less_equal(abs_error, delta), quadratic, linear), axis=-1)


def log_cosh(y_true, y_pred):
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, computed as
    ``x + softplus(-2x) - log 2`` so that large errors do not overflow."""
    y_true, y_pred = match_targets(y_true, y_pred)
    x = y_pred - y_true
    return K.mean(x + K.softplus(-2.0 * x) - math.log(2.0), axis=-1)


def kl_divergence(y_true, y_pred):
    """Kullback-Leibler divergence ``sum(y_true * log(y_true / y_pred), axis=-1)``.

    Both are clipped to ``[epsilon, 1]`` first.
    """
    y_true, y_pred = match_targets(y_true, y_pred)
    y_true = K.clip(y_true, K.epsilon(), 1.0)
    y_pred = K.clip(y_pred, K.epsilon(), 1.0)
    return K.sum(y_true * K.log(y_true / y_pred), axis=-1)


def poisson(y_true, y_pred):
    """``mean(y_pred - y_true * log(y_pred + epsilon), axis=-1)``."""
    y_true, y_pred = match_targets(y_true, y_pred)
    return K.mean(y_pred - y_true * K.log(y_pred + K.epsilon()), axis=-1)


def l2_normalize(x, axis=-1):
    """``x / sqrt(max(sum(x**2, axis), 1e-12))``."""
    norm2 = K.sum(K.square(x), axis=axis, keepdims=True)
    return x * K.rsqrt(K.maximum(norm2, 1e-12))


def cosine_similarity(y_true, y_pred, axis=-1):
    """Negative cosine similarity ``-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)``.

    It lies in ``[-1, 1]``; -1 means the vectors point the same way (so minimising it
    aligns them), 0 that they are orthogonal, and it is 0 when either vector is zero.
    """
    y_true, y_pred = match_targets(y_true, y_pred)
    return -K.sum(l2_normalize(y_true, axis) * l2_normalize(y_pred, axis), axis=axis)


# Keras' short names.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
huber_loss = huber

#: (function, extra registered names), in the order the registry learns them.
FUNCTIONS = [
    (mean_squared_error, ("mse", "MSE")),
    (mean_absolute_error, ("mae", "MAE")),
    (mean_absolute_percentage_error, ("mape", "MAPE")),
    (mean_squared_logarithmic_error, ("msle", "MSLE")),
    (binary_crossentropy, ()),
    (categorical_crossentropy, ()),
    (sparse_categorical_crossentropy, ()),
    (hinge, ()),
    (squared_hinge, ()),
    (categorical_hinge, ()),
    (huber, ("huber_loss",)),
    (log_cosh, ("logcosh",)),
    (kl_divergence, ("kld", "KLD", "kullback_leibler_divergence")),
    (poisson, ()),
    (cosine_similarity, ()),
]
