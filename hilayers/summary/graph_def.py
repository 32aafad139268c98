"""A hilayers :class:`~hilayers.backend.Graph` as a TensorBoard ``GraphDef``.

TensorBoard's graph view draws a ``GraphDef``: one ``NodeDef`` per node, with its name (name
scopes become collapsible boxes), its op type, its inputs as ``"node"`` / ``"node:1"``
strings and attributes. hilayers maps its graph one to one:

* ``op``: the op's class name (``MatMul``, ``VariableRead``, ``Assign``, ...);
* ``input``: the producing node of each input tensor (and ``^name`` for control inputs);
* ``attr``: the op's static attributes (``props``), the dtype of its first output (``T``),
  and ``_output_shapes``, which TensorBoard prints on the edges (unknown dims as ``?``).

Constant values and variable contents are not copied into the file: only their shapes.

Example:
    >>> from hilayers import backend as K
    >>> g = K.Graph()
    >>> with g.as_default():
    ...     x = K.placeholder((None, 3), name="x")
    ...     y = K.sum(x * 2.0, axis=1, name="total")
    >>> [(n.name, n.op, list(n.input)) for n in graph_def(g).node]
    [('x', 'Placeholder', []), ('Const', 'Constant', []), ('Multiply', 'Multiply', ['x', 'Const']), ('total', 'Sum', ['Multiply'])]
"""
import numpy as np

from ..backend import Graph, Tensor
from .protos import require_tensorboard

# NumPy dtype -> TensorFlow DataType enum name (tensorboard.compat.proto.types_pb2).
_DATA_TYPES = {
    "float16": "DT_HALF", "float32": "DT_FLOAT", "float64": "DT_DOUBLE",
    "int8": "DT_INT8", "int16": "DT_INT16", "int32": "DT_INT32", "int64": "DT_INT64",
    "uint8": "DT_UINT8", "uint16": "DT_UINT16", "uint32": "DT_UINT32", "uint64": "DT_UINT64",
    "bool": "DT_BOOL", "complex64": "DT_COMPLEX64", "complex128": "DT_COMPLEX128",
    "object": "DT_STRING",
}


def graph_def(graph, outputs=None):
    """Describe ``graph`` as a ``GraphDef`` proto for TensorBoard.

    Args:
        graph: a :class:`hilayers.backend.Graph`.
        outputs: optional tensors; when given, only the nodes they depend on are kept (the
            subgraph a run of them would compute).

    Returns:
        ``tensorboard.compat.proto.graph_pb2.GraphDef``.

    Raises:
        TypeError: when ``graph`` is not a Graph or an output is not one of its tensors.
        ImportError: when the ``tensorboard`` package is missing.
    """
    require_tensorboard("Writing a graph for TensorBoard")
    from tensorboard.compat.proto import graph_pb2, versions_pb2
    if not isinstance(graph, Graph):
        raise TypeError(f"graph_def() expects a hilayers Graph (e.g. K.get_default_graph()); "
                        f"received {type(graph).__name__}.")
    nodes = graph.nodes if outputs is None else _ancestors(graph, outputs)
    result = graph_pb2.GraphDef(versions=versions_pb2.VersionDef(producer=1))
    for node in nodes:
        result.node.append(_node_def(node))
    return result


def _ancestors(graph, outputs):
    """The nodes that ``outputs`` depend on, in creation (topological) order."""
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    for t in outputs:
        if not isinstance(t, Tensor) or t.graph is not graph:
            raise TypeError(f"graph_def(): outputs must be tensors of the given graph; "
                            f"received {t!r}.")
    seen, stack = {}, [t.node for t in outputs]
    while stack:
        node = stack.pop()
        if node.id in seen:
            continue
        seen[node.id] = node
        stack.extend(t.node for t in node.inputs)
        stack.extend(node.control_inputs)
    return [seen[i] for i in sorted(seen)]


def _node_def(node):
    from tensorboard.compat.proto import node_def_pb2
    inputs = [t.node.name if t.index == 0 else f"{t.node.name}:{t.index}" for t in node.inputs]
    inputs += [f"^{c.name}" for c in node.control_inputs]
    proto = node_def_pb2.NodeDef(name=node.name, op=type(node.op).__name__, input=inputs)
    for prop in getattr(node.op, "props", ()):
        value = _attr_value(getattr(node.op, prop))
        if value is not None:
            proto.attr[prop].CopyFrom(value)
    if node.outputs:
        proto.attr["T"].CopyFrom(_attr_value(node.outputs[0].dtype))
        proto.attr["_output_shapes"].list.shape.extend(
            _shape_proto(t.shape) for t in node.outputs)
    return proto


def data_type(dtype):
    """The TensorFlow ``DataType`` enum value of a NumPy dtype (``DT_INVALID`` if none)."""
    from tensorboard.compat.proto import types_pb2
    name = _DATA_TYPES.get(np.dtype(dtype).name, "DT_INVALID")
    return types_pb2.DataType.Value(name)


def _shape_proto(shape):
    from tensorboard.compat.proto import tensor_shape_pb2
    dims = [tensor_shape_pb2.TensorShapeProto.Dim(size=-1 if d is None else int(d))
            for d in shape]
    return tensor_shape_pb2.TensorShapeProto(dim=dims)


def _attr_value(value):
    """An ``AttrValue`` for a static attribute, or None for one that cannot be shown."""
    from tensorboard.compat.proto import attr_value_pb2
    AttrValue = attr_value_pb2.AttrValue
    if value is None:
        return AttrValue(s=b"None")
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value,
                                                                             np.generic)):
        return AttrValue(type=data_type(value))
    if isinstance(value, (bool, np.bool_)):
        return AttrValue(b=bool(value))
    if isinstance(value, (int, np.integer)):
        return AttrValue(i=int(value))
    if isinstance(value, (float, np.floating)):
        return AttrValue(f=float(value))
    if isinstance(value, str):
        return AttrValue(s=value.encode("utf-8"))
    if isinstance(value, tuple) and all(isinstance(v, (int, np.integer)) and
                                        not isinstance(v, bool) for v in value):
        return AttrValue(list=AttrValue.ListValue(i=[int(v) for v in value]))
    if isinstance(value, tuple) and any(v is None for v in value) and all(
            v is None or isinstance(v, (int, np.integer)) for v in value):
        return AttrValue(shape=_shape_proto(value))
    if isinstance(value, (tuple, list, np.ndarray)) and np.asarray(value, dtype=object).size \
            > 64:
        return None                       # a large array attribute: not worth a file's bytes
    return AttrValue(s=repr(value).encode("utf-8"))
