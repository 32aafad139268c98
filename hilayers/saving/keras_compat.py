"""Configs written by any Keras, rewritten into the form hilayers' ``from_config`` reads.

hilayers writes Keras 2's config layout. Files from other Keras versions differ in ways
that carry no meaning for the model, and this module removes those differences:

* Keras 3 and tf.keras 2.13+: ``module`` / ``registered_name`` / ``build_config`` keys,
  dtype policies (``{"class_name": "DTypePolicy", "config": {"name": "float32"}}``),
  ``batch_shape`` for ``batch_input_shape``, inbound nodes as ``{"args", "kwargs"}`` with
  ``__keras_tensor__`` entries, a single ``input_layers`` reference not wrapped in a list,
  functions serialized as ``{"class_name": "function", "config": name}``,
  ``"Custom>Adam"`` class names;
* options hilayers has no use for, at their inactive values: an option that the hilayers
  class does not take is dropped when it is None or False (``quantization_config: None``,
  ``optional: False``...); a few known ones are dropped whatever their value (the RNNs'
  ``seed``, ``use_cudnn``; the optimizers' EMA settings when ``use_ema`` is False);
* old Keras 2: a Sequential config that is a bare list, optimizer ``lr`` for
  ``learning_rate`` and ``decay: 0.0``; tf.keras 2.x metrics as ``MeanMetricWrapper``
  configs with an ``fn`` name.

An option with an active value that hilayers does not implement stays, so that the class
refuses it with an error naming it. A ``Lambda`` layer saved with its function as code
(tf.keras' marshalled bytecode, Keras 3's ``__lambda__``) is never run: its function must
be given in ``custom_objects`` under the layer's name.

Example:
    >>> entry = {"class_name": "InputLayer", "config": {"batch_shape": [None, 4],
    ...          "dtype": "float32", "name": "x", "optional": False}}
    >>> normalize_layer(entry)["config"]
    {'dtype': 'float32', 'name': 'x', 'batch_input_shape': [None, 4]}
"""
import functools
import inspect
import warnings

from ..layers.base import LAYERS
from .errors import SavingError

MODEL_CLASSES = ("Sequential", "Functional", "Model")
_RNN_CLASSES = ("SimpleRNN", "LSTM", "GRU")
_OBJECT_KEYS_DROPPED = ("module", "registered_name", "build_config", "compile_config",
                        "shared_object_id")


def _strip_custom(name):
    return name.split(">", 1)[1] if isinstance(name, str) and ">" in name else name


@functools.lru_cache(maxsize=None)
def accepted_arguments(cls):
    """The keyword arguments ``cls(...)`` takes, following ``**kwargs`` up the classes."""
    names = set()
    for klass in getattr(cls, "__mro__", ()):
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        try:
            params = inspect.signature(init).parameters
        except (TypeError, ValueError):
            break
        names |= {n for n, p in params.items()
                  if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
        if not any(p.kind == p.VAR_KEYWORD for p in params.values()):
            break
    return names


def drop_inactive(config, cls):
    """Remove the options ``cls`` does not take whose value is None or False."""
    if cls is None or not isinstance(config, dict):
        return config
    try:
        accepted = accepted_arguments(cls)
    except TypeError:                              # an unhashable custom object
        accepted = accepted_arguments.__wrapped__(cls)
    return {k: v for k, v in config.items()
            if k in accepted or not (v is None or v is False)}


class _Normalizer:
    def __init__(self, custom_objects, path):
        self.custom = dict(custom_objects or {})
        self.path = path

    def fail(self, problem):
        raise SavingError(self.path, problem)

    def need(self, mapping, key, what):
        if not isinstance(mapping, dict) or key not in mapping:
            found = sorted(mapping) if isinstance(mapping, dict) else type(mapping).__name__
            self.fail(f"{what} has no {key!r} entry (found {found}); this is not a config "
                      "in Keras' layout.")
        return mapping[key]

    # -- models ------------------------------------------------------------------------------
    def model(self, entry):
        class_name = self.need(entry, "class_name", "the model config")
        config = entry.get("config")
        if class_name == "Sequential":
            return {"class_name": "Sequential", "config": self.sequential(config)}
        if class_name in ("Functional", "Model") or (
                isinstance(config, dict) and "input_layers" in config):
            return {"class_name": "Functional" if class_name in MODEL_CLASSES else class_name,
                    "config": self.functional(config)}
        return {"class_name": class_name, "config": self.layer_config(class_name, config)}

    def sequential(self, config):
        if isinstance(config, list):              # Keras 2.0 - 2.2.2: a bare list of layers
            config = {"name": None, "layers": config}
        entries = self.need(config, "layers", "the Sequential config")
        if not isinstance(entries, list):
            self.fail("the Sequential config's 'layers' is not a list.")
        layers = [self.layer(e) for e in entries]
        shape = config.get("build_input_shape")
        if layers and layers[0]["class_name"] != "InputLayer" and isinstance(shape, list) \
                and "batch_input_shape" not in layers[0]["config"]:
            layers[0]["config"]["batch_input_shape"] = shape
        return {"name": config.get("name"), "layers": layers}

    def functional(self, config):
        entries = self.need(config, "layers", "the functional model config")
        if not isinstance(entries, list):
            self.fail("the functional model config's 'layers' is not a list.")
        layers = [self.layer(e, functional=True) for e in entries]
        return {"name": config.get("name"), "layers": layers,
                "input_layers": self.refs(self.need(config, "input_layers", "the config")),
                "output_layers": self.refs(self.need(config, "output_layers", "the config"))}

    def refs(self, value):
        if isinstance(value, list) and value and isinstance(value[0], str):
            value = [value]                       # Keras 3 writes one reference unwrapped
        if not isinstance(value, list) or not all(self.is_ref(r) for r in value):
            self.fail(f"the model's input / output references {value!r} are not "
                      "[layer_name, node_index, tensor_index] lists.")
        return [[r[0], int(r[1]), int(r[2])] for r in value]

    @staticmethod
    def is_ref(ref):
        return (isinstance(ref, list) and len(ref) >= 3 and isinstance(ref[0], str)
                and all(isinstance(i, int) and not isinstance(i, bool) and 0 <= i < 2**31
                        for i in ref[1:3]))

    # -- layers ------------------------------------------------------------------------------
    def layer(self, entry, functional=False):
        class_name = self.need(entry, "class_name", "a layer entry")
        if not isinstance(class_name, str):
            self.fail(f"a layer's class_name is {class_name!r}, not a name.")
        registered = entry.get("registered_name")
        if class_name not in self.custom and isinstance(registered, str) and \
                registered in self.custom:
            class_name = registered
        config = entry.get("config")
        if class_name in MODEL_CLASSES or (isinstance(config, dict) and "input_layers" in config):
            out = self.model({"class_name": class_name, "config": config})
        else:
            out = {"class_name": class_name, "config": self.layer_config(class_name, config)}
        if functional:
            nodes = entry.get("inbound_nodes", [])
            if not isinstance(nodes, list):
                self.fail(f"layer {entry.get('name')!r}: inbound_nodes is not a list.")
            out["name"] = entry.get("name", out["config"].get("name") if isinstance(
                out["config"], dict) else None)
            out["inbound_nodes"] = [self.node(n, out["name"]) for n in nodes]
        return out

    def layer_config(self, class_name, config):
        if not isinstance(config, dict):
            self.fail(f"the config of a {class_name} layer is {type(config).__name__}, not a "
                      "dict.")
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            policy = config["dtype"]
            name = (policy.get("config") or {}).get("name") if isinstance(
                policy.get("config"), dict) else None
            if not isinstance(name, str) or name.startswith("mixed"):
                self.fail(f"layer {config.get('name')!r} uses dtype policy {name!r}; hilayers "
                          "supports plain dtypes (float32, float64...), not mixed precision.")
            config["dtype"] = name
        if class_name == "InputLayer":
            if "batch_shape" in config:
                config.setdefault("batch_input_shape", config.pop("batch_shape"))
            for key in ("optional", "input_tensor"):
                if not config.get(key):
                    config.pop(key, None)
        if class_name in _RNN_CLASSES:
            config = self.rnn_config(config)
        if class_name == "Lambda":
            config = self.lambda_config(config)
        for key, value in list(config.items()):
            if key in ("layer", "backward_layer") and isinstance(value, dict):
                config[key] = self.layer(value)
            elif isinstance(value, dict) and "class_name" in value:
                config[key] = self.object(value)
            elif (key == "activation" or key.endswith("_activation")) and \
                    isinstance(value, str) and value in self.custom:
                config[key] = self.custom[value]
        return drop_inactive(config, self.layer_class(class_name))

    def layer_class(self, class_name):
        try:
            return LAYERS.lookup(class_name, self.custom)
        except ValueError:
            return None                            # reported when the layer is built

    def rnn_config(self, config):
        config.pop("seed", None)                  # dropout masks: drawn from graph streams
        config.pop("use_cudnn", None)             # an implementation choice
        if config.pop("zero_output_for_mask", False):
            warnings.warn(f"Layer {config.get('name')!r} in {self.path!r}: "
                          "zero_output_for_mask=True is not implemented; masked time steps "
                          "repeat the previous output (they only differ when a mask is "
                          "used).", UserWarning, stacklevel=2)
        return config

    def lambda_config(self, config):
        name = config.get("name")
        function = config.get("function")
        if isinstance(function, dict) and function.get("class_name") == "function":
            function = function.get("config")
        is_code = (isinstance(function, (list, dict))
                   or config.get("function_type") == "lambda")
        if is_code:
            if name in self.custom and callable(self.custom[name]):
                function = name
            else:
                self.fail(f"Lambda layer {name!r} stores its function as Python code, which "
                          "hilayers never runs. Pass the function by the layer's name: "
                          f"load_model(path, custom_objects={{{name!r}: function}}).")
        for key in ("function", "output_shape"):
            value = function if key == "function" else config.get(key)
            kind = config.get(f"{key}_type", "registered")
            if not isinstance(value, str) or kind == "raw" or self.finds(value, kind):
                continue
            if name in self.custom and callable(self.custom[name]) and key == "function":
                value = name
            else:
                self.fail(self.missing_function(name, key, value))
            if key == "function":
                function = value
        if function in self.custom:
            config["function_type"] = "unregistered"
        config["function"] = function
        return config

    def finds(self, function_name, kind):
        """Whether a Lambda's function name resolves: in ``custom_objects``, registered
        custom objects, or (for a name saved as ``registered``) activations and backend
        ops."""
        from ..layers.core import _lookup_function
        if function_name in self.custom:
            return True
        return _lookup_function(function_name, custom_only=kind != "registered") is not None

    @staticmethod
    def missing_function(layer_name, key, function_name):
        """The message for a Lambda whose function is neither registered nor supplied."""
        if function_name.isidentifier():
            supply = (f"custom_objects={{{function_name!r}: {function_name}}} (or under the "
                      f"layer's name, {{{layer_name!r}: {function_name}}})")
        else:
            supply = f"custom_objects={{{layer_name!r}: function}} (under the layer's name)"
        return (f"Lambda layer {layer_name!r} needs its {key.replace('_', ' ')} "
                f"{function_name!r}, which is neither registered nor in custom_objects. A "
                f"file never holds code, so supply the function: load_model(path, {supply}), "
                "or register it with hilayers.utils.registry.register_custom_object().")

    def object(self, value):
        """An initializer / regularizer / constraint / schedule / loss / metric config."""
        class_name = _strip_custom(value.get("class_name"))
        inner = value.get("config")
        if class_name == "function" and isinstance(inner, str):
            return self.custom.get(inner, inner)
        if class_name == "__lambda__":
            self.fail("a config holds a Python lambda as code, which hilayers never runs; "
                      "pass the function in custom_objects and save it by name.")
        out = {k: v for k, v in value.items() if k not in _OBJECT_KEYS_DROPPED}
        out["class_name"] = class_name
        if class_name in self.custom and isinstance(inner, dict):
            target = self.custom[class_name]
            build = getattr(target, "from_config", None)
            return build(inner) if build else target(**inner)
        if isinstance(inner, dict):
            out["config"] = drop_inactive(
                {k: (self.object(v) if isinstance(v, dict) and "class_name" in v else v)
                 for k, v in inner.items()}, _object_class(class_name))
        return out

    # -- inbound nodes -----------------------------------------------------------------------
    def node(self, node, layer_name):
        if isinstance(node, list):                # Keras 2: [[name, node, tensor, kwargs]...]
            refs = []
            for ref in node:
                if not self.is_ref(ref):
                    self.fail(f"layer {layer_name!r}: inbound node entry {ref!r} is not "
                              "[layer_name, node_index, tensor_index, kwargs].")
                kwargs = ref[3] if len(ref) > 3 and isinstance(ref[3], dict) else {}
                refs.append([ref[0], ref[1], ref[2], self.call_kwargs(kwargs, layer_name)])
            return refs
        if isinstance(node, dict):                # Keras 3: {"args": [...], "kwargs": {...}}
            tensors = []
            self.collect(node.get("args", []), tensors)
            kwargs = dict(node.get("kwargs") or {})
            for key in list(kwargs):
                found = []
                self.collect(kwargs[key], found)
                if found:
                    if key != "initial_state":
                        self.fail(f"layer {layer_name!r} is called with tensor argument "
                                  f"{key!r}, which hilayers' functional configs do not hold.")
                    tensors += found
                    del kwargs[key]
            kwargs = self.call_kwargs(kwargs, layer_name)
            return [[n, i, t, kwargs] for n, i, t in tensors]
        self.fail(f"layer {layer_name!r}: an inbound node is {type(node).__name__}.")

    def collect(self, value, out):
        if isinstance(value, dict):
            if value.get("class_name") == "__keras_tensor__":
                history = (value.get("config") or {}).get("keras_history")
                if not self.is_ref(history):
                    self.fail(f"a tensor reference {history!r} is not [layer, node, tensor].")
                out.append(history[:3])
            else:
                for item in value.values():
                    self.collect(item, out)
        elif isinstance(value, list):
            for item in value:
                self.collect(item, out)

    def call_kwargs(self, kwargs, layer_name):
        kwargs = {k: v for k, v in kwargs.items()
                  if k != "training" and not (k == "mask" and v is None)}
        for key, value in kwargs.items():
            if not isinstance(value, (int, float, str, bool, type(None), list, dict)):
                self.fail(f"layer {layer_name!r}: call argument {key!r} is not plain JSON.")
        return kwargs


def _object_class(class_name):
    from .. import constraints, initializers, regularizers
    from ..optimizers import schedules
    if not isinstance(class_name, str):
        return None
    for registry in (initializers.INITIALIZERS, regularizers.REGULARIZERS,
                     constraints.CONSTRAINTS, schedules.SCHEDULES):
        try:
            return registry.lookup(class_name)
        except ValueError:
            continue
    return None


def normalize_model_config(config, custom_objects=None, path=None):
    """A model config from any Keras (``{"class_name", "config"}``) in hilayers' form.

    Raises:
        SavingError: for a config that is not in any Keras layout, a Lambda stored as code
            without its function in ``custom_objects``, or a mixed-precision policy.
    """
    if not isinstance(config, dict):
        raise SavingError(path, f"model_config is {type(config).__name__}, not a "
                                "{'class_name': ..., 'config': ...} dict.")
    return _Normalizer(custom_objects, path).model(config)


def normalize_layer(entry, custom_objects=None, path=None):
    """One ``{"class_name", "config"}`` layer entry in hilayers' form."""
    return _Normalizer(custom_objects, path).layer(entry)


def normalize_optimizer_config(config, custom_objects=None, path=None):
    """An ``optimizer_config`` from any Keras in hilayers' form.

    Raises:
        SavingError: for an optimizer option hilayers does not implement (``decay`` other
            than 0, ``use_ema=True``).
    """
    from .. import optimizers
    norm = _Normalizer(custom_objects, path)
    if isinstance(config, str):
        return config
    class_name = _strip_custom(norm.need(config, "class_name", "optimizer_config"))
    inner = dict(config.get("config") or {})
    if "lr" in inner:
        inner.setdefault("learning_rate", inner.pop("lr"))
        inner.pop("lr", None)
    if inner.pop("decay", 0.0):
        norm.fail("its optimizer uses Keras 2's 'decay' (inverse time decay), which hilayers "
                  "does not implement; load with compile=False and compile with a "
                  "learning-rate schedule.")
    if inner.pop("use_ema", False):
        norm.fail("its optimizer uses an exponential moving average of the weights "
                  "(use_ema=True), which hilayers does not implement; load with "
                  "compile=False.")
    for key in ("ema_momentum", "ema_overwrite_frequency", "jit_compile",
                "is_legacy_optimizer"):
        inner.pop(key, None)
    if isinstance(inner.get("learning_rate"), dict):
        inner["learning_rate"] = norm.object(inner["learning_rate"])
    try:
        cls = optimizers.OPTIMIZERS.lookup(class_name, custom_objects)
    except ValueError:
        cls = None
    return {"class_name": class_name, "config": drop_inactive(inner, cls)}


def normalize_compile_args(training_config, output_names, custom_objects=None, path=None):
    """``loss``, ``metrics``, ``weighted_metrics`` and ``loss_weights`` of a
    ``training_config`` from any Keras, ready for ``compile`` (configs still as dicts)."""
    norm = _Normalizer(custom_objects, path)

    def clean(value, metric=False):
        if isinstance(value, list):
            return [clean(v, metric) for v in value]
        if isinstance(value, dict) and "class_name" in value:
            inner = value.get("config")
            if metric and _strip_custom(value["class_name"]) == "MeanMetricWrapper" and \
                    isinstance(inner, dict) and isinstance(inner.get("fn"), str):
                name = inner.get("name")
                return name if name in ("accuracy", "acc") else inner["fn"]
            return norm.object(value)
        if isinstance(value, dict):
            return {k: clean(v, metric) for k, v in value.items()}
        return value

    args = {"loss": clean(training_config.get("loss")),
            "loss_weights": training_config.get("loss_weights")}
    for key in ("metrics", "weighted_metrics"):
        value = clean(training_config.get(key), metric=True)
        if len(output_names) == 1 and isinstance(value, list) and len(value) == 1 and \
                isinstance(value[0], list):
            value = value[0]                     # tf.keras 2.x: one list per output
        args[key] = value
    return args


# -- writing: hilayers' configs in the form every Keras reads ------------------------------------
#: Options hilayers writes that Keras 3 refuses, with the value at which they are inactive
#: (and so can be left out for every Keras).
_KERAS3_REFUSES = {"time_major": False}


def keras_model_config(entry):
    """A hilayers ``{"class_name", "config"}`` (model or layer) as tf.keras 2.x writes it, so
    that Keras 2 and Keras 3 both load it: a Sequential's input shape becomes an
    ``InputLayer`` entry, a wrapped layer names its module (``keras.layers``), and options
    that Keras 3 refuses are left out at their inactive values. hilayers reads the result
    back to the same model.

    Example:
        >>> entry = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        ...     {"class_name": "Dense", "config": {"name": "d", "dtype": "float32",
        ...      "batch_input_shape": [None, 3], "units": 2}}]}}
        >>> [e["class_name"] for e in keras_model_config(entry)["config"]["layers"]]
        ['InputLayer', 'Dense']
    """
    if not isinstance(entry, dict):
        return entry
    out = dict(entry)
    config = entry.get("config")
    if entry.get("class_name") == "Sequential" and isinstance(config, dict):
        layers = [keras_model_config(e) for e in config.get("layers", [])]
        first = layers[0]["config"] if layers else {}
        if layers and layers[0]["class_name"] != "InputLayer" and \
                first.get("batch_input_shape") is not None:
            first = dict(first)
            shape = first.pop("batch_input_shape")
            layers[0] = dict(layers[0], config=first)
            layers.insert(0, {"class_name": "InputLayer", "config": {
                "batch_input_shape": shape, "dtype": first.get("dtype", "float32"),
                "sparse": False, "ragged": False, "name": f"{first.get('name')}_input"}})
        out["config"] = dict(config, layers=layers)
    elif isinstance(config, dict):
        config = {k: v for k, v in config.items()
                  if not (k in _KERAS3_REFUSES and v is _KERAS3_REFUSES[k])}
        for key in ("layer", "backward_layer"):
            if isinstance(config.get(key), dict):
                # Keras 3 finds a wrapped layer's class by its module (tf.keras 2.13+ too).
                config[key] = dict(keras_model_config(config[key]), module="keras.layers",
                                   registered_name=None)
        if isinstance(config.get("layers"), list):
            config["layers"] = [keras_model_config(e) for e in config["layers"]]
        out["config"] = config
    return out
