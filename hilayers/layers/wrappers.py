"""Layer wrappers: ``Bidirectional`` (an RNN run both ways) and ``TimeDistributed`` (a layer
applied to every time step).

A wrapper's config nests the wrapped layer's as ``{"class_name", "config"}`` (Keras' format);
``from_config`` rebuilds it through the ``LAYERS`` registry. A ``dtype`` in the wrapper's
config applies to the wrapped layer too.

Example:
    >>> from hilayers import layers
    >>> x = layers.Input((4, 3))
    >>> layers.Bidirectional(layers.LSTM(5, return_sequences=True))(x).shape
    (None, 4, 10)
    >>> layers.TimeDistributed(layers.Dense(2))(x).shape
    (None, 4, 2)
"""
from .. import backend as K
from ..utils.registry import serialize
from .base import LAYERS, InputSpec, Layer
from .recurrent import _is_shape_list


def _layer_from_config(config, dtype=None):
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"A wrapped layer's config must be {{'class_name': ..., 'config': "
                         f"{{...}}}}; received {config!r}.")
    if dtype is not None:
        config = dict(config, config=dict(config.get("config") or {}, dtype=dtype))
    return LAYERS.deserialize(config)


class Wrapper(Layer):
    """Base of the layers that wrap another one (``layer``)."""

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"{type(self).__name__} wraps a Layer instance; received "
                             f"{layer!r}.")
        super().__init__(**kwargs)
        self.layer = layer

    def get_config(self):
        config = super().get_config()
        config["layer"] = serialize(self.layer)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layer"] = _layer_from_config(config["layer"], config.get("dtype"))
        return cls(**config)


class Bidirectional(Wrapper):
    """Run a recurrent layer forwards and backwards in time and merge the two outputs.

    The forward and backward layers are fresh copies built from ``layer``'s config (named
    ``forward_<name>`` and ``backward_<name>``); the backward one has ``go_backwards``
    flipped. Weights are listed forward layer first, then backward (Keras' order). With
    ``return_sequences`` the backward outputs are reversed in time so that step ``t`` of both
    halves belongs to input step ``t``.

    Input shape: that of the wrapped layer, ``(batch, timesteps, features)``.

    Output shape: the wrapped layer's output with the last axis doubled for
    ``merge_mode='concat'``, unchanged for ``'sum'``, ``'mul'``, ``'ave'``; a list of the two
    outputs for ``merge_mode=None``. With ``return_state`` the states follow: forward states,
    then backward states.

    Args:
        layer: a recurrent layer (``SimpleRNN``, ``LSTM``, ``GRU``).
        merge_mode: ``'concat'`` (default), ``'sum'``, ``'mul'``, ``'ave'`` or None.
        backward_layer: optional recurrent layer for the backward direction; its
            ``go_backwards`` must differ from ``layer``'s and its ``return_sequences`` and
            ``return_state`` must match.

    Call arguments: ``inputs``, ``mask`` (given to both layers), ``training``,
    ``initial_state`` (forward states then backward states).

    Example:
        >>> from hilayers import layers
        >>> out = layers.Bidirectional(layers.GRU(3), merge_mode="sum")(layers.Input((4, 2)))
        >>> out.shape
        (None, 3)
    """

    _MERGE_MODES = ("concat", "sum", "mul", "ave", None)

    def __init__(self, layer, merge_mode="concat", backward_layer=None, **kwargs):
        super().__init__(layer, **kwargs)
        if merge_mode not in self._MERGE_MODES:
            raise ValueError(f"Bidirectional {self.name!r}: invalid merge_mode {merge_mode!r};"
                             f" expected one of {self._MERGE_MODES}.")
        config = layer.get_config()
        if "go_backwards" not in config:
            raise ValueError(f"Bidirectional {self.name!r} needs a recurrent layer (one with "
                             f"go_backwards, such as LSTM); received {type(layer).__name__}.")
        # The template ``layer`` is kept (``self.layer``) but not tracked as a sublayer: the
        # forward and backward copies hold the weights, forward first.
        self._sublayers.remove(layer)
        self.merge_mode = merge_mode
        self.forward_layer = type(layer).from_config(dict(config, name=f"forward_{layer.name}"))
        if backward_layer is None:
            backward = dict(config, name=f"backward_{layer.name}",
                            go_backwards=not config["go_backwards"])
            self.backward_layer = type(layer).from_config(backward)
            self._backward_config = None
        else:
            if isinstance(backward_layer, dict):
                backward_layer = _layer_from_config(backward_layer)
            self._check_backward(config, backward_layer.get_config())
            self.backward_layer = backward_layer
            self._backward_config = serialize(backward_layer)
        self.return_sequences = config.get("return_sequences", False)
        self.return_state = config.get("return_state", False)
        self.input_spec = [InputSpec(ndim=3)]
        self.supports_masking = True

    def _check_backward(self, forward, backward):
        if backward.get("go_backwards") == forward["go_backwards"]:
            raise ValueError(f"Bidirectional {self.name!r}: backward_layer must have "
                             f"go_backwards={not forward['go_backwards']} (the opposite of "
                             "layer's).")
        for key in ("return_sequences", "return_state"):
            if backward.get(key) != forward.get(key):
                raise ValueError(f"Bidirectional {self.name!r}: backward_layer has {key}="
                                 f"{backward.get(key)}, layer has {forward.get(key)}; they "
                                 "must match.")

    def __call__(self, inputs, *args, initial_state=None, **kwargs):
        if initial_state is not None:   # the states join the inputs, as for the RNN layers
            inputs = [inputs] + list(initial_state)
        return super().__call__(inputs, *args, **kwargs)

    def call(self, inputs, mask=None, training=None, initial_state=None):
        if isinstance(inputs, (list, tuple)):
            inputs, initial_state = inputs[0], list(inputs[1:]) or initial_state
        forward_states = backward_states = None
        if initial_state is not None:
            if len(initial_state) % 2:
                raise ValueError(f"Bidirectional {self.name!r}: initial_state must hold the "
                                 f"forward states then the backward states (an even count); "
                                 f"received {len(initial_state)} tensors.")
            half = len(initial_state) // 2
            forward_states, backward_states = initial_state[:half], initial_state[half:]
        y = self._run(self.forward_layer, inputs, forward_states, mask, training)
        y_rev = self._run(self.backward_layer, inputs, backward_states, mask, training)
        states = []
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            time_axis = 0 if getattr(self.forward_layer, "time_major", False) else 1
            y_rev = y_rev[:, ::-1] if time_axis == 1 else y_rev[::-1]
        if self.merge_mode is None:
            output = [y, y_rev]
        elif self.merge_mode == "concat":
            output = K.concatenate([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            output = y + y_rev
        elif self.merge_mode == "mul":
            output = y * y_rev
        else:
            output = (y + y_rev) * 0.5
        if self.return_state:
            return (output if self.merge_mode is None else [output]) + states
        return output

    @staticmethod
    def _run(layer, inputs, states, mask, training):
        # A custom recurrent layer need not take initial_state or mask: pass them when given.
        extra = {"initial_state": states} if states is not None else {}
        if mask is not None:
            extra["mask"] = mask
        return layer(inputs, training=training, **extra)

    def compute_mask(self, inputs, mask=None):
        """The input mask for sequence outputs (one per output with merge_mode=None)."""
        mask = mask[0] if isinstance(mask, (list, tuple)) else mask
        output_mask = mask if self.return_sequences else None
        masks = [output_mask, output_mask] if self.merge_mode is None else [output_mask]
        if self.return_state:
            x = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
            n_states = len(self.forward_layer.compute_output_shape(tuple(x.shape))) - 1
            return masks + [None] * (2 * n_states)
        return masks if self.merge_mode is None else output_mask

    def compute_output_shape(self, input_shape):
        if _is_shape_list(input_shape):
            input_shape = input_shape[0]
        shape = self.forward_layer.compute_output_shape(tuple(input_shape))
        states = []
        if self.return_state:
            shape, states = shape[0], list(shape[1:]) * 2
        shape = tuple(shape)
        if self.merge_mode == "concat":
            output = [shape[:-1] + (None if shape[-1] is None else 2 * shape[-1],)]
        else:
            output = [shape, shape] if self.merge_mode is None else [shape]
        if self.return_state or self.merge_mode is None:
            return output + states
        return output[0]

    def get_config(self):
        config = super().get_config()
        config["merge_mode"] = self.merge_mode
        if self._backward_config is not None:
            config["backward_layer"] = self._backward_config
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "backward_layer" in config:
            config["backward_layer"] = _layer_from_config(config["backward_layer"],
                                                          config.get("dtype"))
        return super().from_config(config)


class TimeDistributed(Wrapper):
    """Apply ``layer`` to every time step (axis 1) of the input, with shared weights.

    With a known number of time steps and known inner dims the steps are folded into the
    batch (``(batch * steps, ...)``), the layer runs once, and the result is unfolded; with
    unknown inner dims the layer is applied to each step's slice and the results are stacked.
    The number of time steps must be known (the input's axis 1), or else the batch size.

    Input shape: ``(batch, timesteps, ...)``, where ``...`` is what ``layer`` accepts.

    Output shape: ``(batch, timesteps) + layer_output_shape[1:]``.

    Args:
        layer: the layer to apply (e.g. ``Dense``).

    Example:
        >>> from hilayers import layers
        >>> layers.TimeDistributed(layers.Dense(8))(layers.Input((10, 16))).shape
        (None, 10, 8)
    """

    def __init__(self, layer, **kwargs):
        super().__init__(layer, **kwargs)
        self.input_spec = InputSpec(min_ndim=3)

    def build(self, input_shape):
        if _is_shape_list(input_shape):
            raise ValueError(f"TimeDistributed {self.name!r} wraps single-input layers; "
                             f"received {len(input_shape)} inputs.")
        self.built = True

    def _inner_shape(self, input_shape):
        return (None,) + tuple(input_shape[2:])

    def call(self, inputs, training=None):
        batch, steps = inputs.shape[0], inputs.shape[1]
        inner = tuple(inputs.shape[2:])
        if steps is None and batch is None:
            raise ValueError(f"TimeDistributed {self.name!r}: the number of time steps (axis "
                             f"1) or the batch size must be known; received an input of shape "
                             f"{tuple(inputs.shape)}. Give the input shape with a fixed length.")
        if None not in inner:
            folded = self.layer(K.reshape(inputs, (-1,) + inner), training=training)
            if not isinstance(folded, K.Tensor):
                raise ValueError(f"TimeDistributed {self.name!r}: the wrapped layer "
                                 f"{self.layer.name!r} must return one tensor.")
            out_inner = tuple(folded.shape[1:])
            if None not in out_inner:
                lead = (-1, steps) if steps is not None else (batch, -1)
                return K.reshape(folded, lead + out_inner)
        if steps is None:
            raise ValueError(f"TimeDistributed {self.name!r}: with unknown inner dims "
                             f"{inner} the number of time steps must be known; received "
                             f"{tuple(inputs.shape)}.")
        outputs = [self.layer(inputs[:, t], training=training) for t in range(steps)]
        return K.stack(outputs, axis=1)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        inner = self.layer.compute_output_shape(self._inner_shape(input_shape))
        return tuple(input_shape[:2]) + tuple(inner[1:])


__all__ = ["Wrapper", "Bidirectional", "TimeDistributed"]
