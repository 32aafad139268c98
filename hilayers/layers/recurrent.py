"""Recurrent layers: ``SimpleRNN``, ``LSTM`` and ``GRU``, with Keras' arguments and weights.

The engine has no loop op, so the recurrence is unrolled in the graph: one copy of the cell's
ops per time step. The number of time steps must therefore be known when the layer is called
(give the input shape with a fixed length, e.g. ``Input((10, 8))``); the batch size may be
unknown. The input projection ``x @ kernel + bias`` of all the steps is one matmul; only the
recurrent part is repeated per step. A mask ``(batch, timesteps)`` (from
``Embedding(mask_zero=True)`` or ``layer(x, mask=m)``) skips steps: a masked step keeps the
previous output and states.

Weights follow tf.keras 2.x, so Keras HDF5 files load unchanged:

* SimpleRNN: ``kernel (input_dim, units)``, ``recurrent_kernel (units, units)``, ``bias (units,)``
* LSTM: the same with ``4 * units`` columns, gates in the order i, f, c, o
* GRU: ``3 * units`` columns, gates z, r, h; ``bias`` is ``(2, 3 * units)`` (input and
  recurrent biases) when ``reset_after=True`` (the default), else ``(3 * units,)``.

Example:
    >>> from hilayers import layers
    >>> x = layers.Input((5, 8))
    >>> seq, h, c = layers.LSTM(4, return_sequences=True, return_state=True)(x)
    >>> seq.shape, h.shape, c.shape
    ((None, 5, 4), (None, 4), (None, 4))
"""
import numpy as np

from .. import activations, constraints, initializers, regularizers
from .. import backend as K
from .core import add_activity_regularization
from .base import InputSpec, Layer


# -- the cells' math: one step, given the projected input ``xw = x_t @ kernel (+ bias)`` --------
def simple_rnn_step(xw, h, recurrent_kernel, activation, h_mask=None):
    """``h' = activation(xw + h @ R)``. Returns ``(output, [h'])``."""
    h_in = h if h_mask is None else h * h_mask
    h = activation(xw + K.matmul(h_in, recurrent_kernel))
    return h, [h]


def lstm_step(xw, h, c, recurrent_kernel, activation, recurrent_activation, h_mask=None):
    """``z = xw + h @ R``, split in four: ``i, f, o = σ(z_i), σ(z_f), σ(z_o)``,
    ``c' = f * c + i * tanh(z_c)``, ``h' = o * tanh(c')``. Returns ``(h', [h', c'])``."""
    units = c.shape[-1]
    h_in = h if h_mask is None else h * h_mask
    z = xw + K.matmul(h_in, recurrent_kernel)
    i = recurrent_activation(z[:, :units])
    f = recurrent_activation(z[:, units:2 * units])
    c = f * c + i * activation(z[:, 2 * units:3 * units])
    o = recurrent_activation(z[:, 3 * units:])
    h = o * activation(c)
    return h, [h, c]


def gru_step(xw, h, recurrent_kernel, recurrent_bias, activation, recurrent_activation,
             reset_after, h_mask=None):
    """``z = σ(x_z + h R_z)``, ``r = σ(x_r + h R_r)``, candidate
    ``ĥ = tanh(x_h + r * (h R_h + b_rh))`` (reset_after) or ``tanh(x_h + (r * h) R_h)``,
    ``h' = z * h + (1 - z) * ĥ``. Returns ``(h', [h'])``."""
    units = h.shape[-1]
    h_in = h if h_mask is None else h * h_mask
    x_z, x_r, x_h = xw[:, :units], xw[:, units:2 * units], xw[:, 2 * units:]
    if reset_after:
        rec = K.matmul(h_in, recurrent_kernel)
        if recurrent_bias is not None:
            rec = rec + recurrent_bias
        z = recurrent_activation(x_z + rec[:, :units])
        r = recurrent_activation(x_r + rec[:, units:2 * units])
        candidate = activation(x_h + r * rec[:, 2 * units:])
    else:
        rec = K.matmul(h_in, recurrent_kernel[:, :2 * units])
        z = recurrent_activation(x_z + rec[:, :units])
        r = recurrent_activation(x_r + rec[:, units:])
        candidate = activation(x_h + K.matmul(r * h_in, recurrent_kernel[:, 2 * units:]))
    h = z * h + (1 - z) * candidate
    return h, [h]


def _is_shape_list(shape):
    return isinstance(shape, list) and bool(shape) and isinstance(shape[0], (tuple, list))


class _UnrolledRNN(Layer):
    """What SimpleRNN, LSTM and GRU share: arguments, weights, the unrolled loop, states.

    Subclasses set ``_gates`` (column blocks of the kernels), ``_num_states`` and ``_step``.
    """

    _gates = 1
    _num_states = 1
    _state_names = ("h",)

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, time_major=False, **kwargs):
        super().__init__(**kwargs)
        kind = type(self).__name__
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units < 1:
            raise ValueError(f"{kind} {self.name!r}: units must be a positive int; received "
                             f"{units!r}.")
        if stateful:
            raise ValueError(f"{kind} {self.name!r}: stateful=True is not supported by "
                             "hilayers (states are not kept between batches). Pass the states "
                             "explicitly with initial_state=[...] and return_state=True.")
        for arg, rate in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if not 0.0 <= float(rate) < 1.0:
                raise ValueError(f"{kind} {self.name!r}: {arg} must be in [0, 1); received "
                                 f"{rate!r}.")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout, self.recurrent_dropout = float(dropout), float(recurrent_dropout)
        self.return_sequences, self.return_state = bool(return_sequences), bool(return_state)
        self.go_backwards, self.stateful = bool(go_backwards), False
        self.unroll, self.time_major = bool(unroll), bool(time_major)
        self.input_spec = [InputSpec(ndim=3)]   # a list: only the sequence, not the states
        self.supports_masking = True

    # -- weights -------------------------------------------------------------------------------
    def _bias_shape_and_initializer(self):
        return (self._gates * self.units,), self.bias_initializer

    def build(self, input_shape):
        if _is_shape_list(input_shape):
            input_shape = input_shape[0]
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"{type(self).__name__} {self.name!r}: the feature axis (last) of "
                             f"the input must be known; received shape {tuple(input_shape)}.")
        cols = self._gates * self.units
        self.kernel = self.add_weight("kernel", (input_dim, cols), self.kernel_initializer,
                                      self.kernel_regularizer, self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(
            "recurrent_kernel", (self.units, cols), self.recurrent_initializer,
            self.recurrent_regularizer, self.recurrent_constraint)
        self.bias = None
        if self.use_bias:
            shape, init = self._bias_shape_and_initializer()
            self.bias = self.add_weight("bias", shape, init, self.bias_regularizer,
                                        self.bias_constraint)
        self.input_spec = [InputSpec(ndim=3, axes={-1: input_dim})]
        self.built = True

    def _project_inputs(self, x):
        """``x @ kernel (+ input bias)`` for all the steps at once: (batch, steps, cols)."""
        xw = K.matmul(x, self.kernel)
        return xw + self.bias if self.bias is not None else xw

    # -- calling -------------------------------------------------------------------------------
    def __call__(self, inputs, *args, initial_state=None, **kwargs):
        # Keras' convention: the initial states join the inputs, so that a functional model
        # sees them as inputs of this layer call.
        if initial_state is not None:
            states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [
                initial_state]
            inputs = [inputs] + states
        return super().__call__(inputs, *args, **kwargs)

    def call(self, inputs, mask=None, training=None, initial_state=None):
        """Run the unrolled recurrence. ``inputs`` may be ``[x, *initial_states]``; dropout
        applies only when ``training`` is True."""
        if isinstance(inputs, (list, tuple)):
            inputs, initial_state = inputs[0], list(inputs[1:]) or initial_state
        received = tuple(inputs.shape)
        if self.time_major:
            inputs = K.transpose(inputs, (1, 0, 2))
        steps = inputs.shape[1]
        if steps is None:
            raise ValueError(
                f"{type(self).__name__} {self.name!r}: the number of time steps must be known "
                f"when the layer is called (the recurrence is unrolled in the graph); received "
                f"an input of shape {received}. Give the input shape with a fixed "
                "length, e.g. Input(shape=(timesteps, features)).")
        states = self._initial_states(inputs, initial_state)
        mask = self._step_mask(mask, steps)
        if training is True and self.dropout > 0:
            x_mask = K.dropout(K.ones_like(inputs[:, 0, :]), self.dropout)
            inputs = inputs * K.expand_dims(x_mask, 1)
        h_mask = None
        if training is True and self.recurrent_dropout > 0:
            h_mask = K.dropout(K.ones_like(states[0]), self.recurrent_dropout)
        xw = self._project_inputs(inputs)
        outputs, previous = [], None
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        for t in order:
            out, new_states = self._step(xw[:, t, :], states, h_mask)
            if mask is not None:     # a masked step keeps the previous output and states
                keep = K.expand_dims(mask[:, t], -1)
                previous = K.zeros_like(out) if previous is None else previous
                out = K.where(keep, out, previous)
                new_states = [K.where(keep, n, o) for n, o in zip(new_states, states)]
            outputs.append(out)
            previous, states = out, new_states
        if self.return_sequences:
            output = K.stack(outputs, axis=0 if self.time_major else 1)
        else:
            output = outputs[-1]
        add_activity_regularization(self, output)
        return [output] + list(states) if self.return_state else output

    def _initial_states(self, inputs, given):
        if given is None:
            zero = K.zeros_like(inputs[:, 0, :1]) + K.zeros((self.units,), dtype=inputs.dtype)
            return [zero] * self._num_states
        given = list(given) if isinstance(given, (list, tuple)) else [given]
        if len(given) != self._num_states:
            raise ValueError(f"{type(self).__name__} {self.name!r} has {self._num_states} "
                             f"state(s) {self._state_names}; initial_state received "
                             f"{len(given)} tensor(s).")
        states = []
        for name, state in zip(self._state_names, given):
            state = K.convert_to_tensor(state)
            if state.ndim != 2 or state.shape[-1] not in (None, self.units):
                raise ValueError(f"{type(self).__name__} {self.name!r}: initial state {name!r}"
                                 f" must have shape (batch, {self.units}); received "
                                 f"{tuple(state.shape)}.")
            states.append(state)
        return states

    def _step_mask(self, mask, steps):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if mask is None:
            return None
        mask = K.convert_to_tensor(mask)
        if self.time_major:
            mask = K.transpose(mask, (1, 0))
        if mask.ndim != 2 or mask.shape[1] not in (None, steps):
            raise ValueError(f"{type(self).__name__} {self.name!r}: the mask must have shape "
                             f"(batch, {steps}); received {tuple(mask.shape)}.")
        return mask if mask.dtype.kind == "b" else K.cast(mask, "bool")

    def compute_mask(self, inputs, mask=None):
        """The output mask: the input mask for sequence outputs, else None."""
        mask = mask[0] if isinstance(mask, (list, tuple)) else mask
        output_mask = mask if self.return_sequences else None
        return [output_mask] + [None] * self._num_states if self.return_state else output_mask

    def compute_output_shape(self, input_shape):
        if _is_shape_list(input_shape):
            input_shape = input_shape[0]
        shape = tuple(input_shape)
        batch, steps = (shape[1], shape[0]) if self.time_major else (shape[0], shape[1])
        output = (batch, self.units)
        if self.return_sequences:
            output = (steps, batch, self.units) if self.time_major else (batch, steps, self.units)
        if self.return_state:
            return [output] + [(batch, self.units)] * self._num_states
        return output

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units, activation=activations.serialize(self.activation),
            use_bias=self.use_bias,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            recurrent_initializer=initializers.serialize(self.recurrent_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
            recurrent_regularizer=regularizers.serialize(self.recurrent_regularizer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
            activity_regularizer=regularizers.serialize(self.activity_regularizer),
            kernel_constraint=constraints.serialize(self.kernel_constraint),
            recurrent_constraint=constraints.serialize(self.recurrent_constraint),
            bias_constraint=constraints.serialize(self.bias_constraint),
            dropout=self.dropout, recurrent_dropout=self.recurrent_dropout,
            return_sequences=self.return_sequences, return_state=self.return_state,
            go_backwards=self.go_backwards, stateful=False, unroll=self.unroll,
            time_major=self.time_major)
        return config


_SHAPES_DOC = """
    Input shape: ``(batch, timesteps, features)`` (``(timesteps, batch, features)`` with
    ``time_major=True``); ``timesteps`` must be known (the recurrence is unrolled in the graph).

    Output shape: ``(batch, units)``, or ``(batch, timesteps, units)`` with
    ``return_sequences=True``; with ``return_state=True`` a list ``[output, *states]``, each
    state ``(batch, units)``.

    Call arguments: ``inputs``; ``mask`` (``(batch, timesteps)`` booleans; masked steps keep
    the previous output and states); ``training`` (dropout only when True); ``initial_state``
    (a list of state tensors, default zeros).

    Args: as Keras' (``units``, ``activation``, ``use_bias``, the ``*_initializer``,
    ``*_regularizer`` and ``*_constraint`` arguments, ``dropout`` and ``recurrent_dropout``
    (one mask per sequence, shared by the gates), ``return_sequences``, ``return_state``,
    ``go_backwards``, ``unroll`` (always unrolled; kept for configs), ``time_major``).
    ``stateful=True`` raises ValueError: not supported.
"""


class SimpleRNN(_UnrolledRNN):
    """Fully connected RNN: ``h_t = activation(x_t W + h_{t-1} U + b)``.
    {shapes}
    Example:
        >>> from hilayers import layers
        >>> layers.SimpleRNN(4)(layers.Input((3, 2))).shape
        (None, 4)
    """

    def _step(self, xw, states, h_mask):
        return simple_rnn_step(xw, states[0], self.recurrent_kernel, self.activation, h_mask)


class LSTM(_UnrolledRNN):
    """Long short-term memory (Hochreiter & Schmidhuber, 1997), gates i, f, c, o.

    Extra args: ``recurrent_activation='sigmoid'`` for the gates; ``unit_forget_bias=True``
    initializes the forget gate's bias to 1; ``implementation`` is accepted for Keras configs.
    {shapes}
    Example:
        >>> from hilayers import layers
        >>> out, h, c = layers.LSTM(4, return_state=True)(layers.Input((3, 2)))
        >>> out.shape, c.shape
        ((None, 4), (None, 4))
    """

    _gates, _num_states, _state_names = 4, 2, ("h", "c")

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 unit_forget_bias=True, implementation=2, **kwargs):
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.implementation = int(implementation)

    def _bias_shape_and_initializer(self):
        shape, base = super()._bias_shape_and_initializer()
        if not self.unit_forget_bias:
            return shape, base
        units = self.units

        def forget_bias_one(shape, dtype=None):
            parts = [base((units,), dtype=dtype), np.ones((units,), dtype=dtype),
                     base((2 * units,), dtype=dtype)]
            return np.concatenate([np.asarray(p, dtype=dtype) for p in parts])
        return shape, forget_bias_one

    def _step(self, xw, states, h_mask):
        return lstm_step(xw, states[0], states[1], self.recurrent_kernel, self.activation,
                         self.recurrent_activation, h_mask)

    def get_config(self):
        config = super().get_config()
        config.update(recurrent_activation=activations.serialize(self.recurrent_activation),
                      unit_forget_bias=self.unit_forget_bias,
                      implementation=self.implementation)
        return config


class GRU(_UnrolledRNN):
    """Gated recurrent unit (Cho et al., 2014), gates z, r, h.

    Extra args: ``recurrent_activation='sigmoid'``; ``reset_after=True`` applies the reset gate
    after the recurrent matmul and gives separate input and recurrent biases (bias shape
    ``(2, 3 * units)``, tf.keras 2's default, CuDNN-compatible); ``implementation`` is accepted
    for Keras configs.
    {shapes}
    Example:
        >>> from hilayers import layers
        >>> layers.GRU(4, return_sequences=True)(layers.Input((3, 2))).shape
        (None, 3, 4)
    """

    _gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 reset_after=True, implementation=2, **kwargs):
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = bool(reset_after)
        self.implementation = int(implementation)

    def _bias_shape_and_initializer(self):
        shape, init = super()._bias_shape_and_initializer()
        return ((2,) + shape if self.reset_after else shape), init

    def _project_inputs(self, x):
        xw = K.matmul(x, self.kernel)
        if self.bias is None:
            return xw
        return xw + (self.bias[0] if self.reset_after else self.bias)

    def _step(self, xw, states, h_mask):
        recurrent_bias = self.bias[1] if self.bias is not None and self.reset_after else None
        return gru_step(xw, states[0], self.recurrent_kernel, recurrent_bias, self.activation,
                        self.recurrent_activation, self.reset_after, h_mask)

    def get_config(self):
        config = super().get_config()
        config.update(recurrent_activation=activations.serialize(self.recurrent_activation),
                      reset_after=self.reset_after, implementation=self.implementation)
        return config


for _cls in (SimpleRNN, LSTM, GRU):
    _cls.__doc__ = _cls.__doc__.replace("{shapes}", _SHAPES_DOC)

__all__ = ["SimpleRNN", "LSTM", "GRU"]
