"""The ``Layer`` base class and ``InputSpec``, following the Keras layer contract.

* ``__init__`` stores configuration only;
* ``build(input_shape)`` creates weights through :meth:`Layer.add_weight` only;
* ``call(inputs, training=None)`` computes with backend ops only;
* ``get_config()`` returns plain JSON and ``from_config`` rebuilds the layer.

Calling a layer on symbolic tensors builds it (once), checks the inputs against its
``input_spec``, runs ``call`` inside a name scope, and records the call so that a functional
``Model`` can find and replay it.

Example:
    >>> from hilayers import layers
    >>> x = layers.Input((4,))
    >>> dense = layers.Dense(3, name="d")
    >>> y = dense(x)                 # builds the weights, then adds the layer's ops
    >>> y.shape, [w.name for w in dense.weights]
    ((None, 3), ['d/kernel:0', 'd/bias:0'])
"""
import contextlib
import inspect
import weakref

import numpy as np

from .. import backend as K
from ..utils import nest
from ..utils.registry import Registry, snake_case

#: Every built-in and registered layer class, by name (used by configs and saving).
LAYERS = Registry("layer")

_name_counters = weakref.WeakKeyDictionary()
_history = weakref.WeakKeyDictionary()   # Tensor -> (LayerCall, index in its outputs)
_masks = weakref.WeakKeyDictionary()     # Tensor -> its mask tensor (Keras' _keras_mask)
_update_collectors = []
_loss_collectors = []


class InputSpec:
    """What a layer accepts: rank (``ndim`` or ``min_ndim`` / ``max_ndim``), the size of some
    axes (``axes={-1: 784}``), and the dtype kind. A violation raises :class:`ValueError`
    naming the layer, what it expected and the shape it received.
    """

    def __init__(self, ndim=None, min_ndim=None, max_ndim=None, axes=None, dtype=None):
        self.ndim, self.min_ndim, self.max_ndim = ndim, min_ndim, max_ndim
        self.axes = dict(axes or {})
        self.dtype = dtype

    def check(self, layer, tensor, index=0):
        shape = tensor.shape
        where = f"input {index} of layer {layer.name!r} ({type(layer).__name__})"
        if self.ndim is not None and len(shape) != self.ndim:
            raise ValueError(f"{where}: expected rank {self.ndim} (shape like "
                             f"{_example_shape(self)}), received shape {_fmt(shape)} "
                             f"(rank {len(shape)}).")
        if self.min_ndim is not None and len(shape) < self.min_ndim:
            raise ValueError(f"{where}: expected rank >= {self.min_ndim}, received shape "
                             f"{_fmt(shape)}.")
        if self.max_ndim is not None and len(shape) > self.max_ndim:
            raise ValueError(f"{where}: expected rank <= {self.max_ndim}, received shape "
                             f"{_fmt(shape)}.")
        for axis, size in self.axes.items():
            if size is None or -len(shape) > axis or axis >= len(shape):
                continue
            if shape[axis] is not None and shape[axis] != size:
                raise ValueError(f"{where}: expected axis {axis} of size {size}, received shape "
                                 f"{_fmt(shape)}. The layer was built for inputs with "
                                 f"{size} there.")


def _fmt(shape):
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (
        ",)" if len(shape) == 1 else ")")


def _example_shape(spec):
    dims = ["None"] * spec.ndim
    for axis, size in spec.axes.items():
        dims[axis] = str(size)
    return "(" + ", ".join(dims) + ")"


class LayerCall:
    """One call of a layer on symbolic inputs (a node of the functional layer graph)."""

    __slots__ = ("layer", "inputs", "outputs", "arguments", "updates")

    def __init__(self, layer, inputs, outputs, arguments):
        self.layer, self.inputs, self.outputs, self.arguments = layer, inputs, outputs, arguments
        self.updates = []


def mask_of(tensor):
    """The mask that travels with ``tensor`` (set by Embedding(mask_zero=True) and passed
    on by layers that support masking), or None."""
    return _masks.get(tensor) if isinstance(tensor, K.Tensor) else None


def history_of(tensor):
    """``(LayerCall, index)`` of the layer call that produced ``tensor``, or None."""
    return _history.get(tensor)


@contextlib.contextmanager
def collect_updates():
    """Collect the update ops that layers add (BatchNormalization's moving statistics) while
    the block builds graph nodes. Yields the list they are appended to."""
    found = []
    _update_collectors.append(found)
    try:
        yield found
    finally:
        _update_collectors.pop()


@contextlib.contextmanager
def collect_call_losses():
    """Collect the losses that layer calls add (activity regularization) while the block
    builds graph nodes; a compiled function adds those of the calls it is made of."""
    found = []
    _loss_collectors.append(found)
    try:
        yield found
    finally:
        _loss_collectors.pop()


def unique_layer_name(base):
    """``dense``, then ``dense_1``, ``dense_2``... per default graph, as Keras names them."""
    graph = K.get_default_graph()
    counters = _name_counters.setdefault(graph, {})
    count = counters.get(base, 0)
    counters[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


class Layer:
    """Base class of all layers.

    Args:
        trainable: whether the layer's weights are updated by training.
        name: the layer's name (unique automatic name when None).
        dtype: the dtype of its weights and computations (floatx when None).
        input_shape / batch_input_shape / input_dim: the input shape without / with the batch
            dim, used by a first layer of a ``Sequential`` model.

    Subclasses implement ``build``, ``call``, ``compute_output_shape`` and ``get_config``.
    """

    def __init__(self, trainable=True, name=None, dtype=None, input_shape=None,
                 batch_input_shape=None, input_dim=None, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}() got unexpected keyword arguments "
                            f"{sorted(kwargs)}.")
        self.name = name or unique_layer_name(snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        self.dtype = np.dtype(dtype or K.floatx()).name
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        if batch_input_shape is None and input_shape is not None:
            batch_input_shape = (None,) + tuple(input_shape)
        self.batch_input_shape = tuple(batch_input_shape) if batch_input_shape else None
        self.input_spec = None
        self.built = False
        self.supports_masking = False
        self._weights = []           # all weights, in creation order (Keras' weight order)
        self._losses = []            # regularization penalties (tensors)
        self._calls = []             # LayerCall records of this layer
        self._sublayers = []

    # -- tracking ----------------------------------------------------------------------------
    def __setattr__(self, name, value):
        if isinstance(value, Layer) and name != "_outer" and "_sublayers" in self.__dict__:
            if all(value is not known for known in self._sublayers):
                self._sublayers.append(value)
        elif (isinstance(value, (list, tuple)) and value and name != "_sublayers"
              and "_sublayers" in self.__dict__
              and all(isinstance(v, Layer) for v in value)):
            known = {id(layer) for layer in self._sublayers}    # a set: deep models stay O(n)
            for v in value:
                if id(v) not in known:
                    known.add(id(v))
                    self._sublayers.append(v)
        object.__setattr__(self, name, value)

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        for layer in self._sublayers:
            layer.trainable = value

    # -- weights -----------------------------------------------------------------------------
    def add_weight(self, name, shape, initializer="glorot_uniform", regularizer=None,
                   constraint=None, trainable=True, dtype=None):
        """Create a weight (a backend variable) and track it.

        Args:
            name: the weight's name inside the layer (``kernel``, ``bias``...).
            shape: its shape (all dims known).
            initializer: an initializer or its name.
            regularizer: optional; its penalty joins :attr:`losses`.
            constraint: optional; applied after each optimizer update.
            trainable: False for state such as moving statistics.

        Returns:
            Variable
        """
        from .. import constraints, initializers, regularizers
        shape = tuple(int(d) for d in shape)
        dtype = np.dtype(dtype or self.dtype)
        init = initializers.get(initializer)
        value = np.asarray(init(shape, dtype=dtype), dtype=dtype)
        with K.name_scope(self.name) if not self._in_scope() else contextlib.nullcontext():
            var = K.variable(value, dtype=dtype, name=name)
        var.trainable = bool(trainable)
        self._weights.append(var)
        _CONSTRAINTS[var] = constraints.get(constraint)
        reg = regularizers.get(regularizer)
        if reg is not None:
            with K.name_scope(f"{self.name}/regularizer"):
                self._losses.append(reg(var))
        return var

    def _in_scope(self):
        return K.get_default_graph()._scope[-1:] == [self.name]

    @property
    def weights(self):
        """Trainable weights then non-trainable ones (Keras' order)."""
        return self.trainable_weights + self.non_trainable_weights

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        own = [w for w in self._weights if w.trainable]
        return own + [w for layer in self._sublayers for w in layer.trainable_weights
                      if w not in own]

    @property
    def non_trainable_weights(self):
        own = [w for w in self._weights if not w.trainable or not self.trainable]
        nested = []
        for layer in self._sublayers:
            nested += (layer.non_trainable_weights if self.trainable else layer.weights)
        return own + [w for w in nested if w not in own]

    @property
    def losses(self):
        """Regularization penalties of this layer and its sublayers (scalar tensors)."""
        out = list(self._losses)
        for layer in self._sublayers:
            out += [l for l in layer.losses if l not in out]
        return out

    def get_weights(self):
        """The weights' values as NumPy arrays, in :attr:`weights` order."""
        return [w.get_value() for w in self.weights]

    def set_weights(self, weights):
        """Set the weights from NumPy arrays in :attr:`weights` order.

        Raises:
            ValueError: naming the layer, when the count or a shape differs.
        """
        own = self.weights
        if len(weights) != len(own):
            raise ValueError(f"Layer {self.name!r} has {len(own)} weights "
                             f"({[w.shape for w in own]}); received {len(weights)} arrays.")
        for var, value in zip(own, weights):
            value = np.asarray(value)
            if value.shape != var.shape:
                raise ValueError(f"Layer {self.name!r}: weight {var.name!r} has shape "
                                 f"{var.shape}; received an array of shape {value.shape}.")
        for var, value in zip(own, weights):
            var.set_value(value)

    def count_params(self):
        return int(sum(int(np.prod(w.shape)) for w in self.weights))

    # -- the contract --------------------------------------------------------------------------
    def build(self, input_shape):
        """Create the weights for inputs of ``input_shape``. The base creates none."""
        self.built = True

    def call(self, inputs, training=None):
        """Compute the outputs from symbolic ``inputs``. The base returns them unchanged."""
        return inputs

    def compute_output_shape(self, input_shape):
        """Output shape for ``input_shape``; the base says the shape does not change."""
        return input_shape

    def compute_mask(self, inputs, mask=None):
        """The mask of the outputs: the input mask passed on when the layer supports masking
        (``supports_masking = True``), else None."""
        return mask if self.supports_masking else None

    def get_config(self):
        """The constructor arguments, as plain JSON."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self.batch_input_shape is not None:
            config["batch_input_shape"] = list(self.batch_input_shape)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def add_loss(self, loss):
        """Add a loss tensor computed by ``call`` (an activity penalty). It belongs to the
        call that made it: training adds the penalties of the calls in its own graph."""
        for collector in _loss_collectors:
            collector.append(loss)

    def add_update(self, updates):
        """Register update ops (assign ops or (variable, value) pairs) made by ``call``; they
        run with the training step that built them."""
        for collector in _update_collectors:
            collector.extend(updates if isinstance(updates, (list, tuple)) and not (
                len(updates) == 2 and isinstance(updates[0], K.Variable)) else [updates])

    # -- calling -------------------------------------------------------------------------------
    def __call__(self, inputs, *args, **kwargs):
        flat = nest.flatten(inputs)
        flat = [t if isinstance(t, K.Tensor) else K.convert_to_tensor(t) for t in flat]
        inputs = nest.pack_as(inputs, flat)
        self._check_inputs(flat)
        if not self.built:
            shapes = nest.map_structure(lambda t: t.shape, inputs)
            with K.name_scope(self.name):
                self.build(shapes)
            self.built = True
        if "training" in kwargs and not self._accepts("training"):
            kwargs.pop("training")
        if "mask" in kwargs and not self._accepts("mask"):
            kwargs.pop("mask")
        recorded = dict(kwargs)
        explicit_mask = kwargs.get("mask")
        input_masks = [mask_of(t) for t in flat]
        if explicit_mask is None and any(m is not None for m in input_masks) and \
                self._accepts("mask"):
            # Keras' implicit masking: the mask travels with the tensors from the layer that
            # made it (Embedding(mask_zero=True)) to the layers that accept one. It is not
            # recorded with the call: a replay recomputes it the same way.
            kwargs["mask"] = input_masks[0] if len(flat) == 1 else input_masks
        with K.name_scope(self.name):
            outputs = self.call(inputs, *args, **kwargs)
            out_flat = nest.flatten(outputs)
            if any(t in flat for t in out_flat if isinstance(t, K.Tensor)):
                outputs = nest.map_structure(
                    lambda t: K.identity(t) if isinstance(t, K.Tensor) and t in flat else t,
                    outputs)
            mask_in = kwargs.get("mask")
            if mask_in is None and any(m is not None for m in input_masks):
                mask_in = input_masks[0] if len(flat) == 1 else input_masks
            output_masks = self.compute_mask(inputs, mask_in)
        out_masks = nest.flatten(output_masks) if isinstance(output_masks, (list, tuple)) \
            else [output_masks] * len(nest.flatten(outputs))
        for t, m in zip(nest.flatten(outputs), out_masks):
            if isinstance(t, K.Tensor) and isinstance(m, K.Tensor):
                _masks[t] = m
        record = LayerCall(self, inputs, outputs, recorded)
        for i, t in enumerate(nest.flatten(outputs)):
            if isinstance(t, K.Tensor):
                _history[t] = (record, i)
        self._calls.append(record)
        return outputs

    def _accepts(self, argument):
        cache = type(self).__dict__.get("_call_args")
        if cache is None:
            params = inspect.signature(self.call).parameters
            cache = set(params)
            if any(p.kind == p.VAR_KEYWORD for p in params.values()):
                cache.add("training")
                cache.add("mask")
            type.__setattr__(type(self), "_call_args", cache)
        return argument in cache

    def _check_inputs(self, flat):
        specs = self.input_spec
        if specs is None:
            return
        specs = specs if isinstance(specs, (list, tuple)) else [specs] * len(flat)
        for i, (spec, t) in enumerate(zip(specs, flat)):
            if spec is not None:
                spec.check(self, t, i)

    @property
    def input(self):
        """The input tensor(s) of the layer's first call."""
        if not self._calls:
            raise AttributeError(f"Layer {self.name!r} has not been called yet, so it has no "
                                 "input.")
        return self._calls[0].inputs

    @property
    def output(self):
        """The output tensor(s) of the layer's first call."""
        if not self._calls:
            raise AttributeError(f"Layer {self.name!r} has not been called yet, so it has no "
                                 "output.")
        return self._calls[0].outputs

    @property
    def output_shape(self):
        out = self.output
        return nest.map_structure(lambda t: t.shape, out)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} built={self.built}>"


_CONSTRAINTS = weakref.WeakKeyDictionary()


def constraint_of(variable):
    """The constraint given to ``add_weight`` for ``variable`` (None if none)."""
    return _CONSTRAINTS.get(variable)

