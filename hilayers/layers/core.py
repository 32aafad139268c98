"""Core layers: Dense, Activation, Dropout, Flatten, Reshape, Permute, RepeatVector, Lambda.

Constructor arguments, defaults, weight names and config keys follow tf.keras 2.x.

Example:
    >>> from hilayers import backend as K, layers
    >>> x = K.placeholder((None, 784))
    >>> h = layers.Dropout(0.5)(layers.Dense(64, activation="relu")(x), training=True)
    >>> layers.Dense(10)(h).shape
    (None, 10)
"""
import numpy as np

from .. import activations, backend as K, constraints, initializers, regularizers
from ..utils.registry import custom_objects
from .base import InputSpec, Layer


def _shape(shape):
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (
        ",)" if len(shape) == 1 else ")")


def add_activity_regularization(layer, outputs):
    """Add ``layer.activity_regularizer(outputs) / batch_size`` to the layer's losses (what
    tf.keras 2.x does for each call); nothing when the layer has no activity regularizer."""
    if getattr(layer, "activity_regularizer", None) is None:
        return
    batch = K.cast(K.shape(outputs)[0], outputs.dtype)
    layer.add_loss(layer.activity_regularizer(outputs) / batch)


class Dense(Layer):
    """Densely connected layer: ``output = activation(inputs @ kernel + bias)``.

    Applied to the last axis, so inputs of rank > 2 keep their middle axes.

    Input shape: ``(batch, ..., input_dim)``. Output shape: ``(batch, ..., units)``.

    Args:
        units: the number of output features.
        activation: a name or function (None: linear).
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: initializers or their names.
        kernel_regularizer, bias_regularizer, activity_regularizer: optional regularizers.
        kernel_constraint, bias_constraint: optional constraints.

    Weights: ``kernel`` ``(input_dim, units)``, then ``bias`` ``(units,)``.

    Raises:
        ValueError: when ``units`` is not a positive int, the input's last axis is unknown,
            or (once built) an input's last axis differs from the one it was built for.

    Example:
        >>> y = Dense(32, activation="relu")(K.placeholder((None, 16)))
    """

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units < 1:
            raise ValueError(f"Dense {self.name!r}: units must be a positive int; received "
                             f"{units!r}.")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"Dense {self.name!r}: the last axis of the input must be known; "
                             f"received shape {_shape(input_shape)}.")
        self.kernel = self.add_weight("kernel", (input_dim, self.units),
                                      self.kernel_initializer, self.kernel_regularizer,
                                      self.kernel_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.units,), self.bias_initializer,
                                        self.bias_regularizer, self.bias_constraint)
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self.built = True

    def call(self, inputs):
        outputs = K.matmul(inputs, self.kernel)
        if self.use_bias:
            outputs = outputs + self.bias
        outputs = self.activation(outputs)
        add_activity_regularization(self, outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return dict(super().get_config(), units=self.units,
                    activation=activations.serialize(self.activation), use_bias=self.use_bias,
                    kernel_initializer=initializers.serialize(self.kernel_initializer),
                    bias_initializer=initializers.serialize(self.bias_initializer),
                    kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
                    bias_regularizer=regularizers.serialize(self.bias_regularizer),
                    activity_regularizer=regularizers.serialize(self.activity_regularizer),
                    kernel_constraint=constraints.serialize(self.kernel_constraint),
                    bias_constraint=constraints.serialize(self.bias_constraint))


class Activation(Layer):
    """Apply an activation function elementwise; any input shape, output of the same shape.

    Args:
        activation: a name (``'relu'``) or a function.

    Example:
        >>> y = Activation("tanh")(K.placeholder((None, 3)))
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def get_config(self):
        return dict(super().get_config(), activation=activations.serialize(self.activation))


class Dropout(Layer):
    """Inverted dropout: in training, zero each value with probability ``rate`` and scale the
    others by ``1 / (1 - rate)``; outside training (``training`` False or None), the identity.

    Input and output shape: any, unchanged.

    Args:
        rate: the drop probability, in ``[0, 1)``.
        noise_shape: None, or one entry per input axis (None or the size: independent draws;
            1: one draw shared along that axis), e.g. ``(None, 1, None)``.
        seed: an int for a repeatable mask stream, or None (derived from the graph seed).

    Raises:
        ValueError: for a rate outside ``[0, 1)``.

    Example:
        >>> y = Dropout(0.25)(K.placeholder((None, 8)), training=True)
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= float(rate) < 1.0:
            raise ValueError(f"Dropout {self.name!r}: rate must be in [0, 1); received "
                             f"{rate!r}.")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed

    def call(self, inputs, training=None):
        if training is not True or self.rate == 0.0:
            return K.identity(inputs)
        return K.dropout(inputs, self.rate, noise_shape=self.noise_shape, seed=self.seed)

    def get_config(self):
        noise = None if self.noise_shape is None else list(self.noise_shape)
        return dict(super().get_config(), rate=self.rate, noise_shape=noise, seed=self.seed)


class Flatten(Layer):
    """Flatten all axes but the batch one: ``(batch, d1, d2, ...)`` -> ``(batch, d1*d2*...)``;
    ``(batch,)`` -> ``(batch, 1)``.

    Args:
        data_format: ``'channels_last'`` (default) or ``'channels_first'``; channels-first
            inputs are transposed to channels-last first, so the order of the flattened
            features matches (as Keras does for weight portability).

    Example:
        >>> Flatten()(K.placeholder((None, 4, 4, 3))).shape
        (None, 48)
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _data_format(data_format, self)
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = K.transpose(inputs, (0,) + tuple(range(2, inputs.ndim)) + (1,))
        if inputs.ndim == 1:
            return K.expand_dims(inputs, 1)
        if all(d is not None for d in inputs.shape[1:]):
            return K.reshape(inputs, (-1, int(np.prod(inputs.shape[1:]))))
        return K.batch_flatten(inputs)

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        if not rest:
            return (input_shape[0], 1)
        return (input_shape[0], None if None in rest else int(np.prod(rest)))

    def get_config(self):
        return dict(super().get_config(), data_format=self.data_format)


def _data_format(value, layer):
    value = (value or "channels_last").lower()
    if value not in ("channels_last", "channels_first"):
        raise ValueError(f"{type(layer).__name__} {layer.name!r}: data_format must be "
                         f"'channels_last' or 'channels_first'; received {value!r}.")
    return value


class Reshape(Layer):
    """Reshape the non-batch axes to ``target_shape`` (one entry may be -1: inferred).

    Input shape: ``(batch, ...)``. Output shape: ``(batch,) + target_shape``.

    Raises:
        ValueError: for several -1 entries, or a target size differing from the input's.
            A -1 entry with unknown non-batch input dims is not supported (the backend's
            reshape takes static shapes).

    Example:
        >>> Reshape((-1, 2))(K.placeholder((None, 6))).shape
        (None, 3, 2)
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)
        if list(self.target_shape).count(-1) > 1 or any(
                d < 1 and d != -1 for d in self.target_shape):
            raise ValueError(f"Reshape {self.name!r}: target_shape must hold positive ints and "
                             f"at most one -1; received {target_shape!r}.")

    def _resolved(self, input_shape):
        rest, target = input_shape[1:], self.target_shape
        if None in rest:
            return None if -1 in target else target
        size, known = int(np.prod(rest)), int(np.prod([d for d in target if d != -1]))
        if -1 in target:
            if known == 0 or size % known:
                raise self._mismatch(input_shape)
            return tuple(size // known if d == -1 else d for d in target)
        if known != size:
            raise self._mismatch(input_shape)
        return target

    def _mismatch(self, input_shape):
        return ValueError(f"Reshape {self.name!r}: cannot reshape input of shape "
                          f"{_shape(input_shape)} to target_shape {_shape(self.target_shape)}; "
                          "the number of values per sample must stay the same.")

    def call(self, inputs):
        target = self._resolved(inputs.shape)
        if target is None:
            raise ValueError(f"Reshape {self.name!r}: target_shape {self.target_shape} has a "
                             f"-1 entry but the input shape {_shape(inputs.shape)} has unknown "
                             "non-batch dims; give the full target shape.")
        return K.reshape(inputs, (-1,) + target)

    def compute_output_shape(self, input_shape):
        target = self._resolved(input_shape)
        if target is None:
            target = tuple(None if d == -1 else d for d in self.target_shape)
        return (input_shape[0],) + tuple(target)

    def get_config(self):
        return dict(super().get_config(), target_shape=list(self.target_shape))


class Permute(Layer):
    """Permute the non-batch axes; ``dims`` counts from 1, as in Keras: ``Permute((2, 1))``
    swaps the two axes of a ``(batch, steps, features)`` input.

    Input shape: rank ``len(dims) + 1``. Output shape: the input's axes reordered.

    Raises:
        ValueError: when ``dims`` is not a permutation of ``1..len(dims)``.
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Permute {self.name!r}: dims must be a permutation of "
                             f"1..{len(self.dims)} (the batch axis is not counted); received "
                             f"{tuple(dims)}.")
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def call(self, inputs):
        return K.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        return dict(super().get_config(), dims=list(self.dims))


class RepeatVector(Layer):
    """Repeat a ``(batch, features)`` input ``n`` times: output ``(batch, n, features)``."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"RepeatVector {self.name!r}: n must be a positive int; received "
                             f"{n!r}.")
        self.n = int(n)
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        return K.repeat(K.expand_dims(inputs, 1), self.n, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return dict(super().get_config(), n=self.n)


def _lookup_function(name, custom_only=False):
    """A function by registered name: custom objects, then activations, then backend ops."""
    if not isinstance(name, str):
        return None
    if name in custom_objects():
        return custom_objects()[name]
    if custom_only:
        return None
    if name in activations.ACTIVATIONS.names():
        return activations.get(name)
    if name in K.__all__ and callable(getattr(K, name)) and not isinstance(getattr(K, name),
                                                                           type):
        return getattr(K, name)
    return None


class Lambda(Layer):
    """Wrap a function of backend ops as a layer: ``output = function(inputs, **arguments)``.

    Configs store the function by name only; code is never marshalled or executed from a
    config. ``from_config`` finds the function among custom objects
    (``hilayers.utils.registry.register_custom_object``), activations and backend ops. A
    Lambda built on a lambda or another unregistered function can still be used and
    summarised, but it cannot be rebuilt from its config: ``from_config`` raises ValueError.

    Args:
        function: a callable taking the input tensor(s).
        output_shape: the output shape without the batch dim, or a function from the input
            shape (with batch) to the output shape; None: found by tracing ``function`` on
            a placeholder in a scratch graph.
        arguments: a dict of extra keyword arguments for ``function`` (plain JSON values).

    Example:
        >>> y = Lambda(K.square)(K.placeholder((None, 3)))
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda {self.name!r}: function must be callable; received "
                            f"{function!r}.")
        self.function = function
        self.arguments = dict(arguments or {})
        if output_shape is not None and not callable(output_shape):
            output_shape = tuple(output_shape)
        self._output_shape = output_shape
        if mask is not None:
            raise ValueError(f"Lambda {self.name!r}: masks are not supported; received "
                             f"mask={mask!r}.")

    def call(self, inputs):
        return self.function(inputs, **self.arguments)

    def compute_output_shape(self, input_shape):
        if callable(self._output_shape):
            return tuple(self._output_shape(input_shape))
        if self._output_shape is not None:
            return (input_shape[0],) + self._output_shape
        multi = isinstance(input_shape, list)
        with K.Graph().as_default():
            shapes = input_shape if multi else [input_shape]
            phs = [K.placeholder(tuple(s), dtype=self.dtype) for s in shapes]
            out = self.function(phs if multi else phs[0], **self.arguments)
        return [tuple(o.shape) for o in out] if isinstance(out, (list, tuple)) else tuple(
            out.shape)

    def get_config(self):
        config = dict(super().get_config(), function=_function_name(self.function),
                      function_type=_function_type(self.function))
        shape = self._output_shape
        if callable(shape):
            config.update(output_shape=_function_name(shape),
                          output_shape_type=_function_type(shape))
        else:
            config.update(output_shape=None if shape is None else list(shape),
                          output_shape_type="raw")
        config["arguments"] = self.arguments
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config.pop("module", None)                  # tf.keras 2.x bookkeeping keys
        config.pop("output_shape_module", None)
        for key in ("function", "output_shape"):
            kind = config.pop(f"{key}_type", "registered")
            if key == "output_shape" and (kind == "raw" or config.get(key) is None):
                continue
            name = config.get(key)
            fn = (custom_objects or {}).get(name) if isinstance(name, str) else None
            fn = fn or _lookup_function(name, custom_only=kind != "registered")
            if fn is None:
                raise ValueError(
                    f"Lambda {config.get('name')!r}: cannot rebuild from config: {key} "
                    f"{config.get(key)!r} is not a registered function. Lambda configs name "
                    "functions and never hold code; register the function with "
                    "hilayers.utils.registry.register_custom_object() before loading.")
            config[key] = fn
        return cls(**config)


def _function_name(fn):
    return getattr(fn, "__name__", type(fn).__name__)


def _function_type(fn):
    """'registered' when the function's name finds this very function again, else
    'unregistered' (then only a custom object registered later can stand for it)."""
    return "registered" if _lookup_function(_function_name(fn)) is fn else "unregistered"


__all__ = ["Dense", "Activation", "Dropout", "Flatten", "Reshape", "Permute", "RepeatVector",
           "Lambda"]
