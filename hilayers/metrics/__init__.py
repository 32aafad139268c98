"""Metrics, as ``tf.keras.metrics``: stateful :class:`Metric` objects that accumulate over an
epoch, per-sample metric functions, and ``get`` / ``serialize`` / ``deserialize``.

A metric's :meth:`~Metric.update_state` returns ``(variable, new_value)`` pairs for
``K.function(..., updates=...)`` and its :meth:`~Metric.result` built afterwards already
includes that batch (see :mod:`hilayers.metrics.base`).

Names: ``get('categorical_accuracy')`` and the loss names (``'mse'``, ...) give functions,
class names (``'AUC'``) give instances with default arguments. ``'accuracy'`` / ``'acc'`` in
``compile`` depend on the loss and shapes: see :func:`resolve_accuracy`.

Example:
    >>> from hilayers import metrics
    >>> metrics.get("AUC").curve
    'ROC'
    >>> metrics.get("mse").__name__
    'mean_squared_error'
"""
from ..losses.functions import (FUNCTIONS as _LOSS_FUNCTIONS, binary_crossentropy,
                                categorical_crossentropy, categorical_hinge, hinge, huber,
                                kl_divergence, kld, log_cosh, logcosh, mae, mape,
                                mean_absolute_error, mean_absolute_percentage_error,
                                mean_squared_error, mean_squared_logarithmic_error, mse, msle,
                                poisson, sparse_categorical_crossentropy, squared_hinge)
from ..utils.registry import Registry, serialize as _serialize
from .accuracy import (Accuracy, BinaryAccuracy, CategoricalAccuracy,
                       SparseCategoricalAccuracy, SparseTopKCategoricalAccuracy,
                       TopKCategoricalAccuracy, accuracy, binary_accuracy,
                       categorical_accuracy, in_top_k, resolve_accuracy,
                       sparse_categorical_accuracy, sparse_top_k_categorical_accuracy,
                       top_k_categorical_accuracy)
from .base import Mean, MeanMetricWrapper, Metric, Reduce, Sum, div_no_nan
from .confusion import (AUC, CLASSES as _CONFUSION_CLASSES, FalseNegatives, FalsePositives,
                        Precision, Recall, TrueNegatives, TruePositives)
from .loss_metrics import (CLASSES as _LOSS_CLASSES, BinaryCrossentropy,
                           CategoricalCrossentropy, CategoricalHinge, CosineSimilarity, Hinge,
                           KLDivergence, LogCoshError, MeanAbsoluteError,
                           MeanAbsolutePercentageError, MeanSquaredError,
                           MeanSquaredLogarithmicError, Poisson, RootMeanSquaredError,
                           SparseCategoricalCrossentropy, SquaredHinge, cosine_similarity)

_ACCURACY_CLASSES = [Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
                     TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy]
_FUNCTIONS = [(accuracy, ()), (binary_accuracy, ()), (categorical_accuracy, ()),
              (sparse_categorical_accuracy, ()),
              (top_k_categorical_accuracy, ("top_k_accuracy",)),
              (sparse_top_k_categorical_accuracy, ()),
              (cosine_similarity, ())]

METRICS = Registry("metric")
# Classes first, functions second: a class is registered under its snake_case name too
# ('BinaryAccuracy' -> 'binary_accuracy'), and that name must give the function, as in Keras.
for _cls in ([Mean, Sum, MeanMetricWrapper] + _ACCURACY_CLASSES + _LOSS_CLASSES
             + _CONFUSION_CLASSES):
    METRICS.register()(_cls)
for _fn, _aliases in [f for f in _LOSS_FUNCTIONS if f[0].__name__ != "cosine_similarity"] \
        + _FUNCTIONS:
    METRICS.register(*_aliases)(_fn)


def get(identifier, custom_objects=None):
    """Resolve a metric identifier.

    Args:
        identifier: None; a function name (``'binary_accuracy'``, ``'mse'``) giving the
            function; a class name (``'Precision'``, ``'AUC'``) giving an instance with
            default arguments; a config dict; or a callable / :class:`Metric`, returned as is.
            ``'accuracy'`` gives the elementwise :func:`accuracy` function; ``compile``
            resolves it by the loss with :func:`resolve_accuracy` instead.

    Returns:
        A metric function, a :class:`Metric`, or None.

    Raises:
        ValueError: for an unknown name (listing the valid ones) or an identifier that is
            neither a name, a dict nor a callable.
    """
    if identifier is None or callable(identifier) or isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, (str, dict)):
        return METRICS.get(identifier, custom_objects)
    raise ValueError(f"Could not interpret metric identifier {identifier!r} (a "
                     f"{type(identifier).__name__}); expected a name such as 'accuracy', a "
                     "config dict, or a callable.")


def serialize(metric):
    """A metric function's name, or ``{"class_name", "config"}`` for a :class:`Metric`."""
    return _serialize(metric)


def deserialize(config, custom_objects=None):
    """Inverse of :func:`serialize`.

    Raises:
        ValueError: for an unknown name, listing the valid ones.
    """
    if isinstance(config, str):
        return METRICS.get(config, custom_objects)
    return METRICS.deserialize(config, custom_objects)


__all__ = [
    "Metric", "Reduce", "Mean", "Sum", "MeanMetricWrapper", "div_no_nan", "get", "serialize",
    "deserialize", "METRICS", "resolve_accuracy", "in_top_k",
    "Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
    "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy",
    "accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
    "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy",
    "TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives", "Precision", "Recall",
    "AUC",
    "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError", "RootMeanSquaredError", "LogCoshError", "CosineSimilarity",
    "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "Hinge",
    "SquaredHinge", "CategoricalHinge", "KLDivergence", "Poisson", "cosine_similarity",
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "mse", "mae", "mape", "msle", "binary_crossentropy",
    "categorical_crossentropy", "sparse_categorical_crossentropy", "hinge", "squared_hinge",
    "categorical_hinge", "huber", "log_cosh", "logcosh", "kl_divergence", "kld", "poisson",
]
