"""Activation functions by name, over backend ops (``activations.get('relu')``).

Each function takes a tensor and returns a tensor of the same shape. Definitions and
arguments follow tf.keras 2.x; where Keras 3 changed one, the tf.keras 2.x form is kept so
models saved by Keras 2 compute the same thing here (see :func:`hard_sigmoid`).

Example:
    >>> from hilayers import backend as K, activations
    >>> x = K.constant([-2.0, 0.5, 9.0])
    >>> K.Session().run(activations.get("relu")(x)).tolist()
    [0.0, 0.5, 9.0]
    >>> activations.serialize(activations.relu)
    'relu'
"""
from . import backend as K
from .utils.registry import Registry, custom_objects

ACTIVATIONS = Registry("activation")
_register = ACTIVATIONS.register


@_register()
def linear(x):
    """The identity: returns ``x`` unchanged (the activation of ``activation=None``)."""
    return x


@_register()
def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit with Keras 2's options.

    ``f(x) = min(x, max_value)`` for ``x >= threshold``, ``alpha * (x - threshold)``
    otherwise; the defaults give ``max(x, 0)``.

    Args:
        alpha: slope below the threshold.
        max_value: the largest output (None: no cap).
        threshold: where the unit switches on.
    """
    if alpha == 0.0 and threshold == 0.0:
        if max_value is None:
            return K.relu(x)
        if max_value == 6:
            return K.relu6(x)
    negative = None
    if alpha != 0.0:
        negative = K.relu(threshold - x) if threshold != 0.0 else K.relu(-x)
    if threshold != 0.0:
        y = x * K.cast(K.greater(x, threshold), x.dtype)
    else:
        y = K.relu(x)
    if max_value is not None:
        y = K.clip(y, 0.0, float(max_value))
    if negative is not None:
        y = y - alpha * negative
    return y


@_register()
def relu6(x):
    """``min(max(x, 0), 6)``."""
    return K.relu6(x)


@_register()
def leaky_relu(x, alpha=0.2):
    """``x`` for ``x > 0``, ``alpha * x`` otherwise."""
    return K.leaky_relu(x, alpha=alpha)


@_register()
def elu(x, alpha=1.0):
    """``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise."""
    return K.elu(x, alpha=alpha)


@_register()
def selu(x):
    """Scaled ELU, ``1.0507 * elu(x, 1.67326)`` (pair with ``lecun_normal``)."""
    return K.selu(x)


@_register()
def sigmoid(x):
    """``1 / (1 + exp(-x))``."""
    return K.sigmoid(x)


@_register()
def hard_sigmoid(x):
    """tf.keras 2.x's piecewise-linear sigmoid: ``clip(0.2 * x + 0.5, 0, 1)``.

    Keras 3 changed this to ``relu6(x + 3) / 6`` (the backend's ``K.hard_sigmoid``); the
    Keras 2 form is kept here so that Keras 2 models (and their HDF5 files) compute the same.
    """
    return K.clip(0.2 * x + 0.5, 0.0, 1.0)


@_register()
def tanh(x):
    """Hyperbolic tangent."""
    return K.tanh(x)


@_register()
def softplus(x):
    """``log(1 + exp(x))``, computed stably."""
    return K.softplus(x)


@_register()
def softsign(x):
    """``x / (1 + |x|)``."""
    return K.softsign(x)


@_register()
def gelu(x, approximate=False):
    """Gaussian error linear unit ``x * Phi(x)`` (``approximate=True``: the tanh form)."""
    return K.gelu(x, approximate=approximate)


@_register()
def swish(x):
    """``x * sigmoid(x)`` (also called silu)."""
    return K.swish(x)


@_register()
def silu(x):
    """``x * sigmoid(x)``, the same function as :func:`swish`."""
    return K.silu(x)


@_register()
def exponential(x):
    """``exp(x)``."""
    return K.exp(x)


@_register()
def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x))`` over ``axis`` (default the last)."""
    return K.softmax(x, axis=axis)


@_register()
def log_softmax(x, axis=-1):
    """``x - logsumexp(x)`` over ``axis`` (default the last)."""
    return K.log_softmax(x, axis=axis)


def get(identifier):
    """The activation function for ``identifier``.

    Args:
        identifier: None (gives :func:`linear`), a name (``'relu'``), a Keras config dict
            ``{"class_name": "relu", ...}`` or a callable (returned unchanged).

    Raises:
        ValueError: for an unknown name, listing the valid names.
        TypeError: for anything else.
    """
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        return ACTIVATIONS.get(identifier)
    if isinstance(identifier, dict):
        return ACTIVATIONS.get(identifier.get("class_name", ""))
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret activation identifier {identifier!r}; expected a "
                    f"name ({', '.join(ACTIVATIONS.names())}) or a callable.")


def serialize(activation):
    """The name of an activation function (what layer configs store).

    Built-in and registered custom functions (``register_custom_object``) round-trip through
    :func:`get`; another named function gives its ``__name__`` (as Keras does), which
    :func:`get` only resolves once it is registered.

    Raises:
        ValueError: for a lambda or another callable without a usable name.
    """
    if activation is None:
        return "linear"
    for table in (custom_objects(), ACTIVATIONS._items):
        for name, fn in table.items():
            if fn is activation:
                return name if table is not ACTIVATIONS._items else fn.__name__
    if hasattr(activation, "get_config"):        # an activation layer used as a function
        return {"class_name": type(activation).__name__, "config": activation.get_config()}
    name = getattr(activation, "__name__", None)
    if not name or name == "<lambda>":
        raise ValueError(f"Cannot serialize activation {activation!r}: it has no name. Define "
                         "it with def and register it with "
                         "hilayers.utils.registry.register_custom_object().")
    return name


def deserialize(name, custom_objects=None):
    """The activation registered as ``name`` (see :func:`get`)."""
    if isinstance(name, dict):
        name = name.get("class_name", "")
    return ACTIVATIONS.get(name, custom_objects)


__all__ = ["linear", "relu", "relu6", "leaky_relu", "elu", "selu", "sigmoid",
           "hard_sigmoid", "tanh", "softplus", "softsign", "gelu", "swish", "silu",
           "exponential", "softmax", "log_softmax", "get", "serialize", "deserialize"]
