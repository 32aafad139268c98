"""Weight regularizers: ``reg(weight)`` returns a scalar penalty tensor added to the loss.

Names and defaults follow tf.keras 2.x: ``'l1'`` is ``L1(0.01)``, ``'l2'`` is ``L2(0.01)``,
``'l1_l2'`` is ``L1L2(l1=0.01, l2=0.01)`` while the class ``L1L2()`` defaults to zeros.

Example:
    >>> from hilayers import backend as K, regularizers
    >>> w = K.variable([[1.0, -2.0]])
    >>> round(float(K.Session().run(regularizers.get("l2")(w))), 6)
    0.05
"""
from . import backend as K
from .utils.registry import Registry
from .utils.registry import serialize as _serialize

REGULARIZERS = Registry("regularizer")


def _check_factor(who, name, value):
    value = float(value)
    if value < 0.0:
        raise ValueError(f"{who}: {name} must be >= 0; received {value}.")
    return value


class Regularizer:
    """Base class: subclasses implement ``__call__(x)`` and ``get_config``."""

    def __call__(self, x):
        return K.constant(0.0, dtype=x.dtype)

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


@REGULARIZERS.register()
class L1L2(Regularizer):
    """``l1 * sum(|x|) + l2 * sum(x**2)``.

    Args:
        l1, l2: non-negative factors (default 0, as Keras' class; the name ``'l1_l2'``
            gives 0.01 and 0.01).

    Example:
        >>> reg = L1L2(l1=0.01, l2=0.001)
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _check_factor("L1L2", "l1", l1)
        self.l2 = _check_factor("L1L2", "l2", l2)

    def __call__(self, x):
        terms = []
        if self.l1:
            terms.append(self.l1 * K.sum(K.abs(x)))
        if self.l2:
            terms.append(self.l2 * K.sum(K.square(x)))
        if not terms:
            return K.constant(0.0, dtype=x.dtype)
        return terms[0] if len(terms) == 1 else terms[0] + terms[1]

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


@REGULARIZERS.register()
class L1(Regularizer):
    """``l1 * sum(|x|)`` (default ``l1=0.01``)."""

    def __init__(self, l1=0.01):
        self.l1 = _check_factor("L1", "l1", l1)

    def __call__(self, x):
        return self.l1 * K.sum(K.abs(x))

    def get_config(self):
        return {"l1": self.l1}


@REGULARIZERS.register()
class L2(Regularizer):
    """``l2 * sum(x**2)`` (default ``l2=0.01``)."""

    def __init__(self, l2=0.01):
        self.l2 = _check_factor("L2", "l2", l2)

    def __call__(self, x):
        return self.l2 * K.sum(K.square(x))

    def get_config(self):
        return {"l2": self.l2}


def l1_l2(l1=0.01, l2=0.01):
    """``L1L2(l1, l2)`` with Keras' function defaults (0.01 each)."""
    return L1L2(l1=l1, l2=l2)


def get(identifier):
    """A regularizer from a name (``'l2'``), a config dict, a regularizer or a callable.

    Raises:
        ValueError: for an unknown name, listing the valid names.
        TypeError: for anything else.
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        return deserialize(identifier)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret regularizer identifier {identifier!r}; expected a "
                    f"name ({', '.join(REGULARIZERS.names())}), a config dict or a callable.")


def serialize(regularizer):
    """``{"class_name": ..., "config": {...}}`` of a regularizer (Keras' format)."""
    return _serialize(regularizer)


def deserialize(config, custom_objects=None):
    """The regularizer described by ``config`` (a dict from :func:`serialize` or a name)."""
    if isinstance(config, str):
        if config == "l1_l2":
            return l1_l2()
        return REGULARIZERS.get(config, custom_objects)
    return REGULARIZERS.deserialize(config, custom_objects)


__all__ = ["Regularizer", "L1", "L2", "L1L2", "l1_l2", "get", "serialize", "deserialize"]
