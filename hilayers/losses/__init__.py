"""Losses, as ``tf.keras.losses``: per-sample functions, :class:`Loss` classes with a
reduction, and ``get`` / ``serialize`` / ``deserialize``.

* Functions ``fn(y_true, y_pred)`` return one loss per sample (``y_pred.shape[:-1]``):
  ``mean_squared_error`` (``mse``), ``mean_absolute_error`` (``mae``),
  ``mean_absolute_percentage_error`` (``mape``), ``mean_squared_logarithmic_error``
  (``msle``), ``binary_crossentropy``, ``categorical_crossentropy``,
  ``sparse_categorical_crossentropy``, ``hinge``, ``squared_hinge``, ``categorical_hinge``,
  ``huber``, ``log_cosh``, ``kl_divergence`` (``kld``, ``kullback_leibler_divergence``),
  ``poisson``, ``cosine_similarity``.
* Classes (``MeanSquaredError``, ..., ``CosineSimilarity``) take the functions' options plus
  ``reduction`` and ``name``; ``loss(y_true, y_pred, sample_weight=None)`` is a scalar.

Example:
    >>> from hilayers import losses
    >>> losses.get("mse") is losses.mean_squared_error
    True
    >>> type(losses.get({"class_name": "Huber", "config": {"delta": 2.0}})).__name__
    'Huber'
"""
from ..utils.registry import Registry, serialize as _serialize
from .classes import (CLASSES, BinaryCrossentropy, CategoricalCrossentropy, CategoricalHinge,
                      CosineSimilarity, Hinge, Huber, KLDivergence, LogCosh, Loss,
                      LossFunctionWrapper, MeanAbsoluteError, MeanAbsolutePercentageError,
                      MeanSquaredError, MeanSquaredLogarithmicError, Poisson, Reduction,
                      SparseCategoricalCrossentropy, SquaredHinge, compute_weighted_loss)
from .functions import (FUNCTIONS, KLD, MAE, MAPE, MSE, MSLE, binary_crossentropy,
                        categorical_crossentropy, categorical_hinge, cosine_similarity, hinge,
                        huber, huber_loss, kl_divergence, kld, kullback_leibler_divergence,
                        l2_normalize, log_cosh, logcosh, mae, mape,
                        mean_absolute_error, mean_absolute_percentage_error,
                        mean_squared_error, mean_squared_logarithmic_error, mse, msle, poisson,
                        sparse_categorical_crossentropy, squared_hinge)

LOSSES = Registry("loss")
# Classes first, functions second: a class is registered under its snake_case name too
# ('MeanSquaredError' -> 'mean_squared_error'), and that name must give the function, as
# in Keras; the class stays reachable by its class name.
for _cls in CLASSES + [LossFunctionWrapper]:
    LOSSES.register()(_cls)
for _fn, _aliases in FUNCTIONS:
    LOSSES.register(*_aliases)(_fn)


def get(identifier, custom_objects=None):
    """Resolve a loss identifier.

    Args:
        identifier: None; a function name (``'mse'``, ``'binary_crossentropy'``) giving the
            function; a class name (``'BinaryCrossentropy'``) giving an instance with default
            arguments; a config dict ``{"class_name": ..., "config": {...}}``; or a callable
            (function or :class:`Loss`), returned as is.
        custom_objects: optional dict of extra names.

    Returns:
        A callable ``loss(y_true, y_pred)``, or None.

    Raises:
        ValueError: for an unknown name (listing the valid ones) or an identifier that is
            neither a name, a dict nor a callable.
    """
    if identifier is None or callable(identifier):
        return identifier
    if isinstance(identifier, (str, dict)):
        return LOSSES.get(identifier, custom_objects)
    raise ValueError(f"Could not interpret loss identifier {identifier!r} (a "
                     f"{type(identifier).__name__}); expected a name such as 'mse', a config "
                     "dict, or a callable.")


def serialize(loss):
    """A loss function's name, or ``{"class_name", "config"}`` for a :class:`Loss`."""
    return _serialize(loss)


def deserialize(config, custom_objects=None):
    """Inverse of :func:`serialize`: a name or a config dict to a loss.

    Raises:
        ValueError: for an unknown name, listing the valid ones.
    """
    if isinstance(config, str):
        return LOSSES.get(config, custom_objects)
    return LOSSES.deserialize(config, custom_objects)


__all__ = [
    "Loss", "LossFunctionWrapper", "Reduction", "compute_weighted_loss", "get", "serialize",
    "deserialize", "LOSSES", "l2_normalize",
    "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError", "BinaryCrossentropy", "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy", "Hinge", "SquaredHinge", "CategoricalHinge", "Huber",
    "LogCosh", "KLDivergence", "Poisson", "CosineSimilarity",
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "binary_crossentropy", "categorical_crossentropy",
    "sparse_categorical_crossentropy", "hinge", "squared_hinge", "categorical_hinge", "huber",
    "huber_loss", "log_cosh", "logcosh", "kl_divergence", "kld", "KLD",
    "kullback_leibler_divergence", "poisson", "cosine_similarity", "mse", "MSE", "mae", "MAE",
    "mape", "MAPE", "msle", "MSLE",
]
