"""The config of a functional model, in Keras 2's layout, and the model rebuilt from it.

``{"name", "layers": [{"class_name", "config", "name", "inbound_nodes"}], "input_layers",
"output_layers"}`` where each inbound node lists ``[layer_name, node_index, tensor_index,
kwargs]`` per input tensor. Node indexes count a layer's calls inside this model.
"""
from .. import backend as K
from ..layers.base import LAYERS, history_of
from ..layers.input_layer import InputLayer
from ..utils import nest


def _node_indexes(model):
    per_layer, index = {}, {}
    for record in model._layer_calls:
        index[id(record)] = per_layer.get(record.layer, 0)
        per_layer[record.layer] = index[id(record)] + 1
    return index


def _ref(tensor, node_index):
    record, tensor_index = history_of(tensor)
    return [record.layer.name, node_index[id(record)], tensor_index]


def functional_config(model):
    """Keras-style config of a functional ``model``."""
    node_index = _node_indexes(model)
    layers = []
    for layer in model.layers:
        nodes = []
        for record in model._layer_calls:
            if record.layer is not layer or isinstance(layer, InputLayer):
                continue
            tensor_args = sorted(k for k, v in record.arguments.items()
                                 if any(isinstance(t, K.Tensor) for t in nest.flatten(v)))
            if tensor_args:
                raise ValueError(
                    f"Model {model.name!r}: layer {layer.name!r} is called with tensor "
                    f"arguments {tensor_args}, which this config format cannot record; the "
                    "model would be rebuilt without them. Pass them as layer inputs instead.")
            kwargs = {k: v for k, v in record.arguments.items() if k != "training"}
            nodes.append([_ref(t, node_index) + [kwargs] for t in nest.flatten(record.inputs)])
        layers.append({"class_name": "InputLayer" if isinstance(layer, InputLayer)
                       else type(layer).__name__, "config": layer.get_config(),
                       "name": layer.name, "inbound_nodes": nodes})
    return {"name": model.name, "layers": layers,
            "input_layers": [_ref(t, node_index) for t in model.inputs],
            "output_layers": [_ref(t, node_index) for t in model.outputs]}


def model_from_functional_config(cls, config, custom_objects=None):
    """Rebuild a functional model from :func:`functional_config`'s output.

    Raises:
        ValueError: for an unknown layer class (listing the known ones) or a config whose
            nodes cannot all be connected.
    """
    created, outputs_of = {}, {}
    pending = []
    for entry in config["layers"]:
        layer_cls = LAYERS.lookup(entry["class_name"], custom_objects)
        cfg = dict(entry["config"])
        if layer_cls is InputLayer:
            layer = InputLayer(**{k: cfg[k] for k in ("batch_input_shape", "dtype", "name")
                                  if k in cfg})
            outputs_of[(layer.name, 0)] = [layer.output]
        else:
            try:
                layer = layer_cls.from_config(cfg, custom_objects=custom_objects)
            except TypeError:
                layer = layer_cls.from_config(cfg)
            pending += [(layer, i, node) for i, node in enumerate(entry["inbound_nodes"])]
        created[entry["name"]] = layer
    while pending:
        progressed = False
        for item in list(pending):
            layer, index, node = item
            refs = [_normalize_ref(r) for r in node]
            if not all((name, n) in outputs_of for name, n, _, _ in refs):
                continue
            inputs = [outputs_of[(name, n)][t] for name, n, t, _ in refs]
            kwargs = refs[0][3] if refs else {}
            out = layer(inputs if len(inputs) > 1 else inputs[0], **kwargs)
            outputs_of[(layer.name, index)] = nest.flatten(out)
            pending.remove(item)
            progressed = True
        if not progressed:
            names = sorted({l.name for l, _, _ in pending})
            raise ValueError(f"Cannot connect layers {names} of model {config.get('name')!r}: "
                             "their inputs are never produced.")

    def pick(refs):
        return [outputs_of[(r[0], r[1])][r[2]] for r in refs]
    return cls(pick(config["input_layers"]) if len(config["input_layers"]) > 1
               else pick(config["input_layers"])[0],
               pick(config["output_layers"]) if len(config["output_layers"]) > 1
               else pick(config["output_layers"])[0], name=config.get("name"))


def _normalize_ref(ref):
    if isinstance(ref, dict):        # Keras 3 style {"args": ..., "kwargs": ...} is not read here
        raise ValueError("This model config uses Keras 3's node layout, which this reader "
                         "does not support; save it with Keras' legacy HDF5 writer.")
    name, node, tensor = ref[0], ref[1], ref[2]
    kwargs = ref[3] if len(ref) > 3 else {}
    return name, node, tensor, kwargs
