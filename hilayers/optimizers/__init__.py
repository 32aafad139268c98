"""Optimizers, as ``tf.keras.optimizers`` (Keras 3 update rules and defaults): ``SGD``,
``RMSprop``, ``Adagrad``, ``Adadelta``, ``Adam``, ``AdamW``, ``Adamax``, ``Nadam``, the
learning-rate :mod:`~hilayers.optimizers.schedules`, and ``get`` / ``serialize`` /
``deserialize``.

``optimizer.get_updates(loss, params)`` returns the ``(variable, new_value)`` pairs of one
training step, for ``K.function(inputs, outputs, updates=...)``.

Example:
    >>> from hilayers import optimizers
    >>> opt = optimizers.get("adam")
    >>> opt.learning_rate
    0.001
    >>> optimizers.get({"class_name": "SGD", "config": {"momentum": 0.9}}).momentum
    0.9
"""
from ..utils.registry import Registry, serialize as _serialize
from . import schedules
from .adam import Adam, Adamax, AdamW, Nadam
from .adaptive import Adadelta, Adagrad, RMSprop
from .base import Optimizer
from .sgd import SGD

OPTIMIZERS = Registry("optimizer")
for _cls, _aliases in [(SGD, ()), (RMSprop, ("rmsprop",)), (Adagrad, ()), (Adadelta, ()),
                       (Adam, ()), (AdamW, ("adamw",)), (Adamax, ()), (Nadam, ())]:
    OPTIMIZERS.register(*_aliases)(_cls)


def get(identifier, custom_objects=None):
    """Resolve an optimizer identifier.

    Args:
        identifier: a name (``'adam'``, ``'SGD'``, ``'rmsprop'``) giving an instance with
            Keras' default arguments, a config dict, or an :class:`Optimizer` (returned as is).

    Returns:
        Optimizer

    Raises:
        ValueError: for an unknown name (listing the valid ones) or another kind of value.
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, (str, dict)):
        return OPTIMIZERS.get(identifier, custom_objects)
    raise ValueError(f"Could not interpret optimizer identifier {identifier!r} (a "
                     f"{type(identifier).__name__}); expected a name such as 'adam', a "
                     "config dict, or an Optimizer.")


def serialize(optimizer):
    """``{"class_name", "config"}`` of an optimizer."""
    return _serialize(optimizer)


def deserialize(config, custom_objects=None):
    """Inverse of :func:`serialize` (a name also works).

    Raises:
        ValueError: for an unknown name, listing the valid ones.
    """
    if isinstance(config, str):
        return OPTIMIZERS.get(config, custom_objects)
    return OPTIMIZERS.deserialize(config, custom_objects)


__all__ = ["Optimizer", "SGD", "RMSprop", "Adagrad", "Adadelta", "Adam", "AdamW", "Adamax",
           "Nadam", "schedules", "get", "serialize", "deserialize", "OPTIMIZERS"]
