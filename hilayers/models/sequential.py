"""``Sequential``: a plain stack of layers, each with one input and one output.

Example:
    >>> from hilayers import Sequential, layers
    >>> model = Sequential([layers.Dense(8, activation="relu", input_shape=(4,)),
    ...                     layers.Dense(1)])
    >>> model.output_shape
    (None, 1)
"""
from .. import backend as K
from ..layers.base import LAYERS, Layer, history_of
from ..layers.input_layer import Input, InputLayer
from .model import Model


class Sequential(Model):
    """A model made of a list of layers applied one after another.

    The input shape comes from an ``Input`` (``Sequential([Input((784,)), Dense(10)])``), an
    ``InputLayer``, or the first layer's ``input_shape`` / ``batch_input_shape`` argument;
    without one, the model is built when it first sees data.

    Args:
        layers: the layers, in order.
        name: the model's name.
    """

    def __init__(self, layers=None, name=None):
        super().__init__(name=name)
        self._stack = []
        self._input_tensor = None
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self):
        """The stacked layers (InputLayer excluded, as Keras shows them)."""
        return list(self._stack)

    def add(self, layer):
        """Append a layer (or an ``Input`` tensor as the first item).

        Raises:
            TypeError: for anything that is not a Layer.
            ValueError: when the layer does not accept the previous layer's output.
        """
        if isinstance(layer, K.Tensor):
            hist = history_of(layer)
            if hist is None or not isinstance(hist[0].layer, InputLayer) or self._stack:
                raise TypeError("Sequential.add() accepts an Input tensor only as the first "
                                "item.")
            self._input_tensor = layer
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add() expects a Layer; received "
                            f"{type(layer).__name__}.")
        if isinstance(layer, InputLayer):
            if self._stack:
                raise TypeError("An InputLayer can only be the first layer of a Sequential.")
            self._input_tensor = layer.output
            return
        self._stack.append(layer)
        self._sublayers = list(self._stack)
        try:
            if self.outputs is not None:
                out = layer(self.outputs[0])
                self._set_outputs(out, known_calls=self._layer_calls)
            elif self._input_tensor is not None or self._stack[0].batch_input_shape is not None:
                self._rebuild()
        except Exception:
            # A layer that does not fit the stack is not kept: the model stays as it was.
            self._stack.pop()
            self._sublayers = list(self._stack)
            raise

    def pop(self):
        """Remove the last layer.

        Raises:
            TypeError: when the model has no layers.
        """
        if not self._stack:
            raise TypeError("There are no layers in the model to pop.")
        self._stack.pop()
        self._sublayers = list(self._stack)
        self.outputs = None
        self._functions = {}
        if self._stack and (self._input_tensor is not None
                            or self._stack[0].batch_input_shape is not None):
            self._rebuild()

    def _rebuild(self, batch_input_shape=None):
        if self._input_tensor is None:
            shape = batch_input_shape or self._stack[0].batch_input_shape
            self._input_tensor = Input(batch_shape=shape, dtype=self._stack[0].dtype)
        x = self._input_tensor
        for layer in self._stack:
            x = layer(x)
        self._set_outputs(x)

    def _set_outputs(self, output, known_calls=None):
        if isinstance(output, (list, tuple)):
            raise ValueError(f"Layer {self._stack[-1].name!r} returned several tensors; "
                             "Sequential models need one output per layer. Use the "
                             "functional Model API.")
        self._init_graph_network(self._input_tensor, output, known_calls)
        self._sublayers = list(self._stack)
        self._functions = {}

    def _build_from_shapes(self, input_shape):
        if not self._stack:
            raise ValueError("This Sequential model has no layers to build.")
        if isinstance(input_shape, list):
            raise ValueError("A Sequential model has one input; received several arrays.")
        self._rebuild((None,) + tuple(input_shape)[1:])

    def build(self, input_shape=None):
        if input_shape is not None and self.outputs is None:
            self._build_from_shapes(input_shape)
        self.built = True

    def get_config(self):
        layers = []
        if self._input_tensor is not None and self._stack and \
                self._stack[0].batch_input_shape is None:
            layers.append({"class_name": "InputLayer",
                           "config": history_of(self._input_tensor)[0].layer.get_config()})
        layers += [{"class_name": type(l).__name__, "config": l.get_config()}
                   for l in self._stack]
        return {"name": self.name, "layers": layers}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        model = cls(name=config.get("name"))
        for entry in config["layers"]:
            layer_cls = LAYERS.lookup(entry["class_name"], custom_objects)
            if layer_cls is InputLayer:
                model.add(InputLayer(**{k: v for k, v in entry["config"].items()
                                        if k in ("batch_input_shape", "dtype", "name")}))
            elif hasattr(layer_cls, "from_config"):
                try:
                    layer = layer_cls.from_config(entry["config"], custom_objects=custom_objects)
                except TypeError:
                    layer = layer_cls.from_config(entry["config"])
                model.add(layer)
        return model


LAYERS.register()(Sequential)
