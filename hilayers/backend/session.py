"""Running graphs: ``Session.run(fetches, feed_dict)`` and ``function(inputs, outputs, updates)``.

Both compile each distinct signature once into a :class:`~hilayers.backend.compiler.Plan`
cached on the graph; running again adds no nodes and recompiles nothing.

Example:
    >>> from hilayers import backend as K
    >>> x = K.placeholder((None,), name="x")
    >>> y = x * 2.0 + 1.0
    >>> K.Session().run(y, feed_dict={x: [1.0, 2.0]})
    array([3., 5.], dtype=float32)
    >>> f = K.function([x], [y])
    >>> f([[0.0]])
    [array([1.], dtype=float32)]
"""
import numpy as np

from . import shapes
from .compiler import Plan
from .errors import FeedError, FetchError, GraphMismatchError
from .graph import Node, Tensor, get_default_graph
from .kernels.implementation import get_implementation
from .leaves import Assign, Placeholder, Variable, assign

_check_numerics = [False]


def set_check_numerics(enabled):
    """Turn the NaN/infinity check after every op on or off for new runs (slow; debugging).

    With it on, the first op whose output holds a NaN or an infinity raises
    :class:`NumericsError` naming the op and the node.
    """
    _check_numerics[0] = bool(enabled)


def check_numerics_enabled():
    return _check_numerics[0]


def _flatten(fetches, out):
    """Flatten a nested fetch structure into ``out``; return a rebuild function."""
    if isinstance(fetches, (Tensor, Node, str)):
        index = len(out)
        out.append(fetches)
        return lambda values: values[index]
    if isinstance(fetches, dict):
        rebuilders = {k: _flatten(v, out) for k, v in fetches.items()}
        return lambda values: type(fetches)((k, r(values)) for k, r in rebuilders.items())
    if isinstance(fetches, (list, tuple)):
        rebuilders = [_flatten(v, out) for v in fetches]
        if hasattr(fetches, "_fields"):   # namedtuple
            return lambda values: type(fetches)(*[r(values) for r in rebuilders])
        return lambda values: type(fetches)(r(values) for r in rebuilders)
    raise FetchError(
        f"Cannot fetch {fetches!r} (a {type(fetches).__name__}); a fetch is a Tensor, a Node, a "
        "tensor name like 'scope/op:0', or a list, tuple or dict of them.")


class Session:
    """Runs (parts of) a graph.

    Args:
        graph: the graph to run (the default graph if None).
        check_numerics: raise at the first op producing a NaN or infinity (slow; debugging).
        backend: the kernel implementation's name; the selected one if None.

    Example:
        >>> with Session() as sess:
        ...     pass
    """

    def __init__(self, graph=None, check_numerics=None, backend=None):
        self.graph = graph or get_default_graph()
        self.check_numerics = check_numerics
        self._backend = backend
        self.closed = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.closed = True

    def run(self, fetches, feed_dict=None):
        """Compute ``fetches`` with the values in ``feed_dict``; return NumPy arrays.

        Args:
            fetches: a Tensor, a Node (run for its effect; gives None), a tensor name, or a
                nested list / tuple / dict of them. The result has the same structure.
            feed_dict: maps placeholders (or any tensor, or its name) to values.

        Raises:
            FetchError: for something that is not a fetch.
            FeedError: for an unfed placeholder or a fed value of the wrong shape or dtype.
            GraphMismatchError: for a fetch from another graph.
        """
        if self.closed:
            raise RuntimeError("This Session is closed; create a new one.")
        flat = []
        rebuild = _flatten(fetches, flat)
        tensors, node_only = [], []
        for f in flat:
            if isinstance(f, str):
                f = self.graph.get_tensor_by_name(f if ":" in f else f + ":0")
            if isinstance(f, Node):
                node_only.append(True)
                f = f.outputs[0] if f.outputs else None
            else:
                node_only.append(False)
            if f is None or f.graph is not self.graph:
                raise GraphMismatchError(
                    f"Fetch {getattr(f, 'name', f)!r} is not an element of this session's "
                    "graph; run it in a Session of the graph that built it.")
            tensors.append(f)
        feeds, values = _prepare_feeds(self.graph, feed_dict)
        assigns = [t.node for t in tensors if isinstance(t.node.op, Assign)]
        impl = get_implementation(self._backend)
        plan = _get_plan(self.graph, tensors, feeds, assigns, impl, self.check_numerics)
        results = plan.run([impl.to_device(v) for v in values])
        results = [None if n else _to_output(impl, r) for r, n in zip(results, node_only)]
        return rebuild(results)


def _to_output(impl, array):
    """A writable NumPy array that shares memory with nothing the engine keeps."""
    out = np.asarray(impl.to_numpy(array))
    return out if out.flags.writeable else out.copy()


def _prepare_feeds(graph, feed_dict):
    """Check ``feed_dict``; return (tensors sorted by id, their values as arrays)."""
    if not feed_dict:
        return [], []
    if not isinstance(feed_dict, dict):
        raise FeedError(f"feed_dict must be a dict; received {type(feed_dict).__name__}.")
    pairs = []
    for key, value in feed_dict.items():
        if isinstance(key, str):
            key = graph.get_tensor_by_name(key if ":" in key else key + ":0")
        if not isinstance(key, Tensor):
            raise FeedError(f"feed_dict key {key!r} is not a tensor or a tensor name.")
        if key.graph is not graph:
            raise GraphMismatchError(f"feed_dict key {key.name!r} belongs to another graph.")
        pairs.append((key, _check_feed(key, value)))
    pairs.sort(key=lambda p: p[0].node.id * 64 + p[0].index)
    return [p[0] for p in pairs], [p[1] for p in pairs]


def _check_feed(tensor, value):
    if isinstance(tensor.node.op, Placeholder):
        arr = tensor.node.op.check_feed(tensor.node, value)
    else:
        arr = np.asarray(value) if not hasattr(value, "shape") else value
        if not shapes.shapes_compatible(tuple(arr.shape), tensor.shape):
            raise FeedError(f"Tensor {tensor.name!r} has shape {tensor.shape} but was fed a "
                            f"value of shape {tuple(arr.shape)}.")
    if arr.dtype != tensor.dtype:
        arr = arr.astype(tensor.dtype)
    return arr


def _get_plan(graph, fetches, feeds, assign_nodes, impl, check_numerics):
    check = check_numerics if check_numerics is not None else _check_numerics[0]
    key = (tuple(map(id, fetches)), tuple(map(id, feeds)), tuple(n.id for n in assign_nodes),
           impl.name, check)
    plan = graph._plan_cache.get(key)
    if plan is None:
        plan = Plan(graph, fetches, feeds, assign_nodes, impl, check)
        graph._plan_cache[key] = plan
    return plan


class Function:
    """A compiled callable over a graph, as the Keras backend's ``K.function``.

    Built by :func:`function`; call it with one value per input, in order.
    """

    def __init__(self, inputs, outputs, updates=None, name=None, check_numerics=None):
        self.inputs = list(inputs)
        self._single = isinstance(outputs, Tensor)
        self.outputs = [outputs] if self._single else list(outputs)
        for t in self.inputs + self.outputs:
            if not isinstance(t, Tensor):
                raise FetchError(f"function(): {t!r} is not a Tensor; inputs and outputs must "
                                 "be tensors.")
        graphs = {t.graph for t in self.inputs + self.outputs}
        self.updates = [_as_assign(u) for u in (updates or [])]
        graphs |= {u.graph for u in self.updates}
        if len(graphs) > 1:
            raise GraphMismatchError("function(): inputs, outputs and updates come from "
                                     "different graphs; build them in one graph.")
        self.graph = graphs.pop() if graphs else get_default_graph()
        self.name = name
        self.check_numerics = check_numerics
        order = sorted(range(len(self.inputs)),
                       key=lambda i: self.inputs[i].node.id * 64 + self.inputs[i].index)
        self._order = order
        self._sorted_inputs = [self.inputs[i] for i in order]
        if len(set(self._sorted_inputs)) != len(self._sorted_inputs):
            raise FeedError("function(): the same tensor is listed twice among the inputs.")

    def __call__(self, values):
        if not isinstance(values, (list, tuple)):
            values = [values]
        if len(values) != len(self.inputs):
            raise FeedError(f"Function{' ' + self.name if self.name else ''} takes "
                            f"{len(self.inputs)} input values "
                            f"({', '.join(t.name for t in self.inputs)}); received "
                            f"{len(values)}.")
        impl = get_implementation()
        arrays = [impl.to_device(_check_feed(self.inputs[i], values[i])) for i in self._order]
        plan = _get_plan(self.graph, self.outputs, self._sorted_inputs,
                         [u.node for u in self.updates], impl, self.check_numerics)
        results = [_to_output(impl, r) for r in plan.run(arrays)]
        return results[0] if self._single else results


def _as_assign(update):
    if isinstance(update, Tensor) and isinstance(update.node.op, Assign):
        return update
    if isinstance(update, (tuple, list)) and len(update) == 2 and isinstance(update[0], Variable):
        return assign(update[0], update[1])
    raise FetchError(f"function(): update {update!r} must be an assign op or a "
                     "(variable, new_value) pair.")


def function(inputs, outputs, updates=None, name=None, check_numerics=None):
    """Compile a callable ``f(values) -> outputs`` (the Keras backend's ``K.function``).

    Args:
        inputs: list of placeholders (or other tensors) to feed, in call order.
        outputs: a tensor or a list of tensors to return.
        updates: assign ops or ``(variable, new_value)`` pairs applied after the outputs are
            computed, in the order given.

    Returns:
        Function: call it with a list of values; returns a list of NumPy arrays (or one array
        when ``outputs`` is a single tensor).

    Example:
        >>> from hilayers import backend as K
        >>> x = K.placeholder((None,))
        >>> f = K.function([x], x * 3.0)
        >>> f([[1.0]])
        array([3.], dtype=float32)
    """
    return Function(inputs, outputs, updates=updates, name=name, check_numerics=check_numerics)


__all__ = ["Session", "Function", "function", "set_check_numerics", "check_numerics_enabled"]
