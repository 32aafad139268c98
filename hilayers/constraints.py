"""Weight constraints: ``c(weight)`` returns the projected weight tensor.

Optimizers apply a weight's constraint (given to ``Layer.add_weight``) after each update.
Names and defaults follow tf.keras 2.x (``'max_norm'``, ``'non_neg'``, ``'unit_norm'``,
``'min_max_norm'``; the old spellings ``'maxnorm'``, ``'nonneg'``, ``'unitnorm'`` too).
Norms are taken over ``axis`` (0 for a Dense kernel ``(in, out)``: each unit's incoming
weights; use ``[0, 1, 2]`` for a Conv2D kernel ``(rows, cols, in, out)``).

Example:
    >>> from hilayers import backend as K, constraints
    >>> w = K.variable([[3.0], [4.0]])
    >>> [round(float(v), 3) for v in K.Session().run(constraints.MaxNorm(1.0)(w)).ravel()]
    [0.6, 0.8]
"""
from . import backend as K
from .utils.registry import Registry
from .utils.registry import serialize as _serialize

CONSTRAINTS = Registry("constraint")


def _axis_config(axis):
    return list(axis) if isinstance(axis, (list, tuple)) else axis


def _norms(w, axis):
    axis = tuple(axis) if isinstance(axis, (list, tuple)) else axis
    return K.sqrt(K.sum(K.square(w), axis=axis, keepdims=True))


class Constraint:
    """Base class: subclasses implement ``__call__(w)`` and ``get_config``."""

    def __call__(self, w):
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


@CONSTRAINTS.register("maxnorm", "max_norm")
class MaxNorm(Constraint):
    """Rescale slices whose L2 norm over ``axis`` exceeds ``max_value`` down to it:
    ``w * clip(n, 0, max_value) / (epsilon + n)`` with ``n = ||w||`` over ``axis``.

    Args:
        max_value: the largest norm allowed (default 2).
        axis: an int or a list of ints (default 0).
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value, self.axis = max_value, _axis_config(axis)

    def __call__(self, w):
        norms = _norms(w, self.axis)
        desired = K.clip(norms, 0.0, float(self.max_value))
        return w * (desired / (K.epsilon() + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


@CONSTRAINTS.register("nonneg", "non_neg")
class NonNeg(Constraint):
    """Set negative weights to zero."""

    def __call__(self, w):
        return w * K.cast(K.greater_equal(w, 0.0), w.dtype)


@CONSTRAINTS.register("unitnorm", "unit_norm")
class UnitNorm(Constraint):
    """Scale slices to unit L2 norm over ``axis`` (default 0):
    ``w / (epsilon + ||w||)``."""

    def __init__(self, axis=0):
        self.axis = _axis_config(axis)

    def __call__(self, w):
        return w / (K.epsilon() + _norms(w, self.axis))

    def get_config(self):
        return {"axis": self.axis}


@CONSTRAINTS.register("min_max_norm")
class MinMaxNorm(Constraint):
    """Keep slice norms over ``axis`` in ``[min_value, max_value]``, moving them there at
    ``rate`` per application: the new norm is ``rate * clip(n, min, max) + (1 - rate) * n``.

    Args:
        min_value, max_value: the bounds (defaults 0 and 1).
        rate: in ``[0, 1]``; 1 enforces the bounds at once (default).
        axis: an int or a list of ints (default 0).
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        if min_value > max_value:
            raise ValueError(f"MinMaxNorm: min_value {min_value} is above max_value "
                             f"{max_value}.")
        self.min_value, self.max_value = float(min_value), float(max_value)
        self.rate, self.axis = float(rate), _axis_config(axis)

    def __call__(self, w):
        norms = _norms(w, self.axis)
        desired = (self.rate * K.clip(norms, self.min_value, self.max_value)
                   + (1.0 - self.rate) * norms)
        return w * (desired / (K.epsilon() + norms))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


def get(identifier):
    """A constraint from a name (``'max_norm'``), a config dict, a constraint or a callable.

    Raises:
        ValueError: for an unknown name, listing the valid names.
        TypeError: for anything else.
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret constraint identifier {identifier!r}; expected a "
                    f"name ({', '.join(CONSTRAINTS.names())}), a config dict or a callable.")


def serialize(constraint):
    """``{"class_name": ..., "config": {...}}`` of a constraint (Keras' format)."""
    return _serialize(constraint)


def deserialize(config, custom_objects=None):
    """The constraint described by ``config`` (a dict from :func:`serialize` or a name)."""
    if isinstance(config, str):
        return CONSTRAINTS.get(config, custom_objects)
    return CONSTRAINTS.deserialize(config, custom_objects)


__all__ = ["Constraint", "MaxNorm", "NonNeg", "UnitNorm", "MinMaxNorm", "get", "serialize",
           "deserialize"]
