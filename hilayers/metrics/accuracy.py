"""Accuracy metrics: per-sample functions and the stateful classes built on them.

Each function returns one value per sample (1.0 for a hit, 0.0 for a miss; the binary one
averages its last axis), and each class is the running mean of its function over all samples
since the last reset, as ``tf.keras.metrics``.

Example:
    >>> from hilayers import backend as K
    >>> from hilayers.metrics import categorical_accuracy
    >>> hits = categorical_accuracy([[0.0, 1.0], [1.0, 0.0]], K.constant([[0.2, 0.8], [0.3, 0.7]]))
    >>> K.Session().run(hits)
    array([1., 0.], dtype=float32)
"""
import numpy as np

from .. import backend as K
from ..backend import Tensor
from ..losses.functions import match_targets
from .base import MeanMetricWrapper


def _float(hits, like):
    dtype = like.dtype if np.dtype(like.dtype).kind == "f" else K.floatx()
    return K.cast(hits, dtype)


def accuracy(y_true, y_pred):
    """Elementwise ``y_true == y_pred`` as floats (predictions cast to the targets' dtype,
    as Keras does).

    Returns:
        A tensor of ``y_pred``'s shape holding 1.0 where equal.
    """
    y_pred = K.convert_to_tensor(y_pred)
    if not isinstance(y_true, Tensor):
        y_true = K.constant(np.asarray(y_true), graph=y_pred.graph)
    if y_true.ndim == y_pred.ndim - 1:
        y_true = K.expand_dims(y_true, -1)
    if y_pred.dtype != y_true.dtype:
        y_pred = K.cast(y_pred, y_true.dtype)
    return _float(K.equal(y_true, y_pred), y_pred)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """``mean(y_true == (y_pred > threshold), axis=-1)``.

    Args:
        y_true: 0/1 targets, shape ``(batch, d)`` (or ``(batch,)`` for ``(batch, 1)``
            predictions).
        y_pred: probabilities (or scores compared with ``threshold``).
        threshold: the decision threshold.

    Returns:
        The per-sample accuracy, shape ``y_pred.shape[:-1]``.
    """
    y_true, y_pred = match_targets(y_true, y_pred)
    predicted = K.cast(K.greater(y_pred, float(threshold)), y_pred.dtype)
    return K.mean(_float(K.equal(y_true, predicted), y_pred), axis=-1)


def categorical_accuracy(y_true, y_pred):
    """``argmax(y_true, -1) == argmax(y_pred, -1)`` as floats; one-hot targets.

    Returns:
        Shape ``y_pred.shape[:-1]``.
    """
    y_true, y_pred = match_targets(y_true, y_pred, cast_true=False)
    return _float(K.equal(K.argmax(y_true, -1), K.argmax(y_pred, -1)), y_pred)


def _sparse_labels(y_true, y_pred):
    """Integer (int64) labels of shape ``y_pred.shape[:-1]`` from int or float targets, with
    an optional trailing axis of size 1."""
    y_true, y_pred = match_targets(y_true, y_pred, cast_true=False)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = K.squeeze(y_true, -1)
    if y_true.dtype != np.dtype("int64"):
        y_true = K.cast(y_true, "int64")
    return y_true, y_pred


def sparse_categorical_accuracy(y_true, y_pred):
    """``y_true == argmax(y_pred, -1)`` as floats; integer class targets.

    Args:
        y_true: class indices, shape ``y_pred.shape[:-1]`` (or with a trailing 1), ints or
            whole floats.
        y_pred: class scores, classes on the last axis.
    """
    labels, y_pred = _sparse_labels(y_true, y_pred)
    return _float(K.equal(labels, K.argmax(y_pred, -1)), y_pred)


def in_top_k(y_pred, labels, k):
    """Whether the score of class ``labels`` is among the ``k`` largest of its row.

    A class is in the top ``k`` when fewer than ``k`` classes score strictly higher, so ties
    at the boundary all count as in (``tf.math.in_top_k``'s rule).

    Raises:
        ValueError: when the number of classes (last axis) is unknown.
    """
    classes = y_pred.shape[-1]
    if classes is None:
        raise ValueError(f"in_top_k: the number of classes of {y_pred.name!r} (shape "
                         f"{y_pred.shape}) is unknown; expected a known last axis.")
    target_score = K.sum(y_pred * K.one_hot(labels, classes, dtype=y_pred.dtype), axis=-1,
                         keepdims=True)
    higher = K.sum(K.cast(K.greater(y_pred, target_score), y_pred.dtype), axis=-1)
    return K.less(higher, float(k))


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the target class (``argmax(y_true)``) is among the top ``k`` predictions."""
    y_true, y_pred = match_targets(y_true, y_pred, cast_true=False)
    return _float(in_top_k(y_pred, K.argmax(y_true, -1), k), y_pred)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the integer target class is among the top ``k`` predictions."""
    labels, y_pred = _sparse_labels(y_true, y_pred)
    return _float(in_top_k(y_pred, labels, k), y_pred)


class Accuracy(MeanMetricWrapper):
    """How often predictions equal targets exactly (:func:`accuracy`).

    Example:
        >>> m = Accuracy()
    """

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches 0/1 targets (:func:`binary_accuracy`).

    Example:
        >>> m = BinaryAccuracy(threshold=0.7)
    """

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    """How often ``argmax(y_pred)`` matches one-hot targets (:func:`categorical_accuracy`)."""

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often ``argmax(y_pred)`` matches integer targets
    (:func:`sparse_categorical_accuracy`)."""

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot target is in the top ``k`` predictions
    (:func:`top_k_categorical_accuracy`).

    Example:
        >>> m = TopKCategoricalAccuracy(k=3)
    """

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer target is in the top ``k`` predictions
    (:func:`sparse_top_k_categorical_accuracy`)."""

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k)


def _loss_kind(loss):
    """'binary', 'sparse', 'categorical' or None for a loss name, function or object."""
    from .. import losses
    if isinstance(loss, str):
        try:
            loss = losses.get(loss)
        except ValueError:
            return None
    fn = getattr(loss, "fn", loss)
    return {losses.binary_crossentropy: "binary",
            losses.sparse_categorical_crossentropy: "sparse",
            losses.categorical_crossentropy: "categorical"}.get(fn)


def resolve_accuracy(loss, y_true_ndim, output_shape, name="accuracy"):
    """The accuracy metric that ``'accuracy'`` / ``'acc'`` means for a model output, as Keras
    decides it in ``compile``.

    * binary (:class:`BinaryAccuracy`) when the loss is binary cross-entropy, or else when
      the output's last axis has size 1;
    * sparse (:class:`SparseCategoricalAccuracy`) when the loss is sparse categorical
      cross-entropy, or else when the targets have fewer axes than the output;
    * categorical (:class:`CategoricalAccuracy`) otherwise.

    Args:
        loss: the output's loss: a name, a function, a :class:`~hilayers.losses.Loss` or None.
        y_true_ndim: the number of axes of the targets.
        output_shape: the model output's shape, e.g. ``(None, 10)``.
        name: the metric's name (the string the user gave).

    Returns:
        A new metric object.

    Example:
        >>> resolve_accuracy("sparse_categorical_crossentropy", 1, (None, 10)).name
        'accuracy'
    """
    kind = _loss_kind(loss)
    if kind is None:
        if output_shape and output_shape[-1] == 1:
            kind = "binary"
        elif y_true_ndim is not None and y_true_ndim < len(output_shape):
            kind = "sparse"
        else:
            kind = "categorical"
    cls = {"binary": BinaryAccuracy, "sparse": SparseCategoricalAccuracy,
           "categorical": CategoricalAccuracy}[kind]
    return cls(name=name)
