"""``Model``: a functional graph of layers (``Model(inputs, outputs)``) or a subclass with a
``call`` method. Training, evaluation and prediction come from :class:`TrainingMixin`.

A functional model remembers the layer calls between its inputs and outputs, in topological
order. Calling the model on new tensors replays those calls (with the given ``training``
flag), so a model can be used as a layer, inside another model, and shares its weights.

Example:
    >>> from hilayers import layers, Model
    >>> inputs = layers.Input((4,))
    >>> hidden = layers.Dense(8, activation="relu")(inputs)
    >>> model = Model(inputs, layers.Dense(2)(hidden))
    >>> model.output_shape
    (None, 2)
"""
from .. import backend as K
from ..layers.base import LAYERS, Layer, history_of
from ..layers.input_layer import InputLayer
from ..utils import nest
from .saving_methods import SavingMixin
from .summary import print_summary
from .training import TrainingMixin


class Model(SavingMixin, TrainingMixin, Layer):
    """A trainable graph of layers.

    Args:
        inputs: an ``Input`` tensor, or a list / dict of them.
        outputs: tensors computed from ``inputs`` by layers.
        name: the model's name.

    Subclassing: define layers in ``__init__`` (after ``super().__init__()``) and the
    computation in ``call(inputs, training=None)``; the model is built on first use.

    Raises:
        ValueError: when an output cannot be reached from the inputs through layers, or an
            input is not an ``Input`` tensor.
    """

    def __init__(self, *args, **kwargs):
        inputs = kwargs.pop("inputs", args[0] if len(args) > 0 else None)
        outputs = kwargs.pop("outputs", args[1] if len(args) > 1 else None)
        super().__init__(name=kwargs.pop("name", None), trainable=kwargs.pop("trainable", True),
                         **kwargs)
        self.inputs = None
        self.outputs = None
        self._is_graph_network = False
        self._init_training_state()
        if inputs is not None or outputs is not None:
            if inputs is None or outputs is None:
                raise ValueError("Model(inputs, outputs) needs both inputs and outputs.")
            self._init_graph_network(inputs, outputs)

    # -- functional construction -----------------------------------------------------------
    def _init_graph_network(self, inputs, outputs, known_calls=None):
        """Record the layer calls from ``inputs`` to ``outputs``, parents first.

        ``known_calls``: calls already recorded for the same inputs (a Sequential that grows
        by one layer passes its previous calls, so that adding n layers costs O(n), not
        O(n**2)).
        """
        self._nested_inputs = inputs
        self._nested_outputs = outputs
        self.inputs = nest.flatten(inputs)
        self.outputs = nest.flatten(outputs)
        for t in self.inputs:
            hist = history_of(t) if isinstance(t, K.Tensor) else None
            if hist is None or not isinstance(hist[0].layer, InputLayer):
                raise ValueError(f"Model {self.name!r}: inputs must be tensors made by Input(); "
                                 f"received {t!r}.")
        calls = list(known_calls or [])
        seen = {id(record) for record in calls}
        input_set = set(self.inputs)

        def record_of(tensor):
            hist = history_of(tensor) if isinstance(tensor, K.Tensor) else None
            if hist is None:
                raise ValueError(f"Model {self.name!r}: tensor {getattr(tensor, 'name', tensor)!r} "
                                 "was not produced by a layer; wrap backend ops in a Lambda "
                                 "layer.")
            record = hist[0]
            if isinstance(record.layer, InputLayer) and tensor not in input_set:
                raise ValueError(
                    f"Graph disconnected: model {self.name!r} cannot reach input "
                    f"{record.layer.name!r} from its inputs "
                    f"{[i.name for i in self.inputs]}; pass it in `inputs`.")
            return record

        # Depth-first, parents before the call that uses them, with a stack of our own
        # rather than recursion, so that a model thousands of layers deep builds.
        stack = [(t, False) for t in reversed(self.outputs)]
        while stack:
            tensor, parents_done = stack.pop()
            record = record_of(tensor)
            if id(record) in seen:
                continue
            if parents_done:
                seen.add(id(record))
                calls.append(record)
                continue
            stack.append((tensor, True))
            parents = nest.flatten(record.inputs) + _tensors_in(record.arguments)
            stack.extend((parent, False) for parent in reversed(parents))
        self._layer_calls = calls
        layers, layer_ids = [], set()
        for record in calls:
            if id(record.layer) not in layer_ids:
                layer_ids.add(id(record.layer))
                layers.append(record.layer)
        self._graph_layers = layers
        self._sublayers = [l for l in layers if not isinstance(l, InputLayer)]
        self._is_graph_network = True
        self.built = True
        self.input_names = [history_of(t)[0].layer.name for t in self.inputs]
        self.output_names = []
        for t in self.outputs:
            name = history_of(t)[0].layer.name
            self.output_names.append(name if name not in self.output_names
                                     else f"{name}_{len(self.output_names)}")

    @property
    def layers(self):
        """The model's layers (for a functional model, its InputLayers too, as Keras has it)."""
        if self._is_graph_network:
            return list(self._graph_layers)
        return list(self._sublayers)

    def get_layer(self, name=None, index=None):
        """Return a layer by name or index.

        Raises:
            ValueError: listing the layer names when none matches.
        """
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"Model {self.name!r} has no layer named {name!r}; its layers are "
                         f"{[l.name for l in self.layers]}.")

    def _layers_fed_by(self, tensor):
        """``"layer 'name' (Class)"`` for each layer whose recorded call takes ``tensor``
        (an input of this model) directly; empty for a subclassed model, which records no
        calls."""
        found = []
        for record in getattr(self, "_layer_calls", None) or []:
            if isinstance(record.layer, InputLayer):
                continue
            if any(t is tensor for t in nest.flatten(record.inputs)):
                label = f"layer {record.layer.name!r} ({type(record.layer).__name__})"
                if label not in found:
                    found.append(label)
        return found

    # -- calling -----------------------------------------------------------------------------
    def call(self, inputs, training=None):
        """Replay the layer calls on new ``inputs`` (functional models)."""
        if not self._is_graph_network:
            raise NotImplementedError(f"Model {self.name!r} has no layer graph: a subclass of "
                                      "Model must implement call(inputs, training=None).")
        flat = nest.flatten(inputs)
        if len(flat) != len(self.inputs):
            raise ValueError(f"Model {self.name!r} expects {len(self.inputs)} inputs; received "
                             f"{len(flat)}.")
        mapping = {}
        for old, new in zip(self.inputs, flat):
            if tuple(old.shape[1:]) != tuple(new.shape[1:]) and not all(
                    a is None or b is None or a == b for a, b in zip(old.shape, new.shape)):
                raise ValueError(f"Input {old.name!r} of model {self.name!r} expects shape "
                                 f"{old.shape}; received {new.shape}.")
            mapping[old] = new
        for record in self._layer_calls:
            if isinstance(record.layer, InputLayer):
                continue
            new_inputs = nest.map_structure(lambda t: mapping.get(t, t), record.inputs)
            arguments = {k: nest.map_structure(
                lambda t: mapping.get(t, t) if isinstance(t, K.Tensor) else t, v)
                for k, v in record.arguments.items()}
            if training is not None or "training" in arguments:
                arguments["training"] = training
            out = record.layer(new_inputs, **arguments)
            for old, new in zip(nest.flatten(record.outputs), nest.flatten(out)):
                mapping[old] = new
        return nest.pack_as(self._nested_outputs, [mapping[t] for t in self.outputs])

    def build(self, input_shape):
        """Subclassed models: build by calling the model on placeholders of ``input_shape``."""
        if self._is_graph_network:
            self.built = True
            return
        self._build_from_shapes(input_shape)

    def _build_from_shapes(self, input_shape):
        if isinstance(input_shape, (list, tuple)) and input_shape and isinstance(
                input_shape[0], (list, tuple)):
            placeholders = [_input_for(s, self.dtype) for s in input_shape]
            nested = placeholders
        else:
            nested = _input_for(input_shape, self.dtype)
        self.built = True
        outputs = Layer.__call__(self, nested, training=False)
        self.inputs = nest.flatten(nested)
        self.outputs = nest.flatten(outputs)
        self._nested_inputs, self._nested_outputs = nested, outputs
        self.input_names = [f"input_{i + 1}" for i in range(len(self.inputs))]
        self.output_names = [f"output_{i + 1}" for i in range(len(self.outputs))]

    def compute_output_shape(self, input_shape):
        if self.outputs is None:
            raise ValueError(f"Model {self.name!r} is not built yet.")
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        if self.outputs is None:
            raise AttributeError(f"Model {self.name!r} is not built yet; call it on data or "
                                 "give its first layer an input shape.")
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def input_shape(self):
        shapes = [t.shape for t in self.inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    def summary(self, line_length=80, print_fn=None):
        """Print layer, output shape and parameter count, then the totals."""
        if not self.built or self.outputs is None:
            raise ValueError(f"Model {self.name!r} is not built yet: summary() needs the input "
                             "shape. Give the first layer input_shape=..., use Input(...), or "
                             "call the model on data first.")
        print_summary(self, line_length=line_length, print_fn=print_fn)

    def get_config(self):
        if not self._is_graph_network:
            raise NotImplementedError(f"Model {self.name!r} is a subclass without get_config; "
                                      "implement get_config/from_config to serialize it.")
        from .functional_config import functional_config
        return functional_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from .functional_config import model_from_functional_config
        return model_from_functional_config(cls, config, custom_objects)


def _input_for(shape, dtype):
    from ..layers.input_layer import Input
    shape = tuple(shape)
    return Input(batch_shape=(None,) + shape[1:], dtype=dtype)


def _tensors_in(arguments):
    return [t for v in arguments.values() for t in nest.flatten(v) if isinstance(t, K.Tensor)]


LAYERS.register("Functional")(Model)
