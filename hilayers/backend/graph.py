"""The dataflow graph: ``Graph``, its ``Node``s and the symbolic ``Tensor``s between them.

A node applies one :class:`~hilayers.backend.op.Op` (a value: type plus static attributes) to
input tensors and produces output tensors. Building a node runs the op's shape and dtype
inference, so a mismatch fails where the user wrote it, not when the graph runs.

Example:
    >>> from hilayers import backend as K
    >>> g = K.Graph()
    >>> with g.as_default(), K.name_scope("layer"):
    ...     x = K.placeholder((None, 3), name="x")
    >>> x.name, x.shape
    ('layer/x:0', (None, 3))
"""
import contextlib
import itertools
import threading

import numpy as np

from .errors import GraphMismatchError


class Tensor:
    """A symbolic value: output ``index`` of ``node``, with a static ``shape`` and ``dtype``.

    Unknown dims are ``None``. Arithmetic operators, comparisons, ``@`` and ``t[...]`` build
    new nodes (see ``hilayers.backend.overloads``).
    """

    __slots__ = ("node", "index", "shape", "dtype", "__weakref__")
    # NumPy must defer to Tensor's reflected operators (np.float32(2) * t -> t.__rmul__).
    __array_priority__ = 100
    __array_ufunc__ = None

    def __init__(self, node, index, shape, dtype):
        self.node = node
        self.index = index
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)

    @property
    def graph(self):
        return self.node.graph

    @property
    def name(self):
        return f"{self.node.name}:{self.index}"

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def op(self):
        """The op (type and attributes) of the node that produces this tensor."""
        return self.node.op

    def __repr__(self):
        shape = "(" + ", ".join("?" if d is None else str(d) for d in self.shape) + (
            ",)" if len(self.shape) == 1 else ")")
        return f"<Tensor '{self.name}' shape={shape} dtype={self.dtype.name}>"

    def __hash__(self):
        return id(self)

    def __bool__(self):
        raise TypeError(
            f"The truth value of symbolic tensor {self.name!r} is not known when the graph is "
            "built. Use where()/logical ops inside the graph, or run it and test the result.")

    def __iter__(self):
        raise TypeError(
            f"Symbolic tensor {self.name!r} cannot be iterated while building the graph; use "
            "split() or unstack by indexing t[i].")

    def __len__(self):
        if not self.shape or self.shape[0] is None:
            raise TypeError(f"len() of tensor {self.name!r} with shape {self.shape} is unknown.")
        return self.shape[0]


class Node:
    """One application of an op to input tensors inside a graph.

    Attributes:
        op: the :class:`Op` value applied.
        inputs: tuple of input :class:`Tensor`.
        outputs: tuple of output :class:`Tensor`.
        name: unique name in the graph, with its name scope.
        id: creation order in the graph (a topological order of the graph).
    """

    __slots__ = ("graph", "op", "inputs", "outputs", "name", "id", "control_inputs",
                 "__weakref__")

    def __init__(self, graph, op, inputs, output_types, name, output_class=Tensor):
        self.graph = graph
        self.op = op
        self.inputs = tuple(inputs)
        self.name = name
        self.id = next(graph._ids)
        self.control_inputs = ()
        self.outputs = tuple(output_class(self, i, shape, dtype)
                             for i, (shape, dtype) in enumerate(output_types))

    def __repr__(self):
        return f"<Node '{self.name}' op={self.op!r}>"


class Graph:
    """A container of nodes, with name scopes and a per-graph random seed.

    Args:
        seed: the graph-level random seed. Random ops derive their own seeds from it, so two
            runs of the same program on NumPy draw the same numbers. ``None`` draws one from
            NumPy's global generator when the graph is created.

    Example:
        >>> g = Graph(seed=1)
        >>> with g.as_default():
        ...     pass
    """

    def __init__(self, seed=None):
        self._nodes = []
        self._ids = itertools.count()
        self._names = {}
        self._scope = []
        self._op_seeds = itertools.count(1)
        # Without a seed, take one from NumPy's global generator, so that seeding NumPy (as
        # hilayers.utils.set_random_seed does) also fixes graphs made afterwards.
        self.seed = int(seed) if seed is not None else int(np.random.randint(0, 2**31 - 1))
        self._rng_states = {}
        self._plan_cache = {}

    # -- nodes -------------------------------------------------------------------------------
    @property
    def nodes(self):
        """The nodes in creation order (a read-only tuple)."""
        return tuple(self._nodes)

    def num_nodes(self):
        return len(self._nodes)

    def add_node(self, op, inputs, output_types, name=None, output_class=Tensor):
        """Create a node; used by :meth:`Op.__call__`, rarely directly."""
        for t in inputs:
            if t.graph is not self:
                raise GraphMismatchError(
                    f"{type(op).__name__}: input {t.name!r} belongs to a different graph than "
                    "the one being built. Tensors from two graphs cannot be combined; build "
                    "all of them inside one `with graph.as_default():` block.")
        node = Node(self, op, inputs, output_types, self.unique_name(name or op.default_name()),
                    output_class)
        self._nodes.append(node)
        return node

    def unique_name(self, name):
        """Return ``name`` prefixed with the current scope and made unique in the graph."""
        full = "/".join(self._scope + [name])
        count = self._names.get(full, 0)
        self._names[full] = count + 1
        return full if count == 0 else f"{full}_{count}"

    def get_tensor_by_name(self, name):
        """Return the tensor called ``name`` (``'scope/node:0'``).

        Raises:
            KeyError: naming the tensor when no node has that name.
        """
        node_name, _, index = name.rpartition(":")
        for node in self._nodes:
            if node.name == node_name and index.isdigit() and int(index) < len(node.outputs):
                return node.outputs[int(index)]
        raise KeyError(f"The graph has no tensor named {name!r}; names look like 'scope/op:0'.")

    # -- scopes and defaults -----------------------------------------------------------------
    @contextlib.contextmanager
    def name_scope(self, name):
        """Prefix the names of nodes built inside the block with ``name/``."""
        if not name:
            yield ""
            return
        self._scope.append(name.rstrip("/"))
        try:
            yield "/".join(self._scope) + "/"
        finally:
            self._scope.pop()

    @contextlib.contextmanager
    def as_default(self):
        """Make this graph the default one inside the ``with`` block."""
        _stack().append(self)
        try:
            yield self
        finally:
            _stack().pop()

    def next_op_seed(self):
        """Return a fresh op-level seed ``(0, n)``; with the graph seed it fixes a random op's
        stream. Seeds given by the user are written ``(1, seed)`` so the two never collide."""
        return (0, next(self._op_seeds))

    def rng(self, xp, op):
        """Return the generator of random op ``op`` for array module ``xp``.

        Each random node has its own generator, created on first use from the graph seed
        and the op's ``seed`` (a tuple of ints). Generators live in the graph so successive
        runs continue one stream (as TensorFlow's stateful random ops do);
        :meth:`reset_random_state` restarts every stream from its seed.
        """
        key = (xp.__name__, id(op))
        gen = self._rng_states.get(key)
        if gen is None:
            seq = np.random.SeedSequence([self.seed, *op.seed])
            gen = xp.random.default_rng(int(seq.generate_state(1)[0]))
            self._rng_states[key] = gen
        return gen

    def reset_random_state(self, seed=None):
        """Restart every random stream (optionally with a new graph seed)."""
        if seed is not None:
            self.seed = int(seed)
        self._rng_states.clear()


class _DefaultStack(threading.local):
    def __init__(self):
        self.stack = []


_default = _DefaultStack()
_global_graph = [None]


def _stack():
    return _default.stack


def get_default_graph():
    """Return the innermost graph of ``as_default()`` blocks, or the global graph."""
    stack = _stack()
    if stack:
        return stack[-1]
    if _global_graph[0] is None:
        _global_graph[0] = Graph()
    return _global_graph[0]


def reset_default_graph(seed=None):
    """Replace the global default graph by a new, empty one and return it."""
    if _stack():
        raise RuntimeError("reset_default_graph() cannot be called inside a "
                           "`with graph.as_default():` block.")
    _global_graph[0] = Graph(seed=seed)
    return _global_graph[0]


def set_random_seed(seed):
    """Set the default graph's seed and restart its random streams."""
    get_default_graph().reset_random_state(seed)


def name_scope(name):
    """Name scope on the default graph (a context manager)."""
    return get_default_graph().name_scope(name)


def graph_of(tensors, op_name="op"):
    """Return the one graph that all ``tensors`` belong to (the default graph if none).

    Raises:
        GraphMismatchError: when they come from different graphs.
    """
    graph = None
    for t in tensors:
        if isinstance(t, Tensor):
            if graph is None:
                graph = t.graph
            elif t.graph is not graph:
                raise GraphMismatchError(
                    f"{op_name}: tensor {t.name!r} belongs to a different graph than the other "
                    "inputs. Tensors from two graphs cannot be combined; build all of them "
                    "inside one `with graph.as_default():` block.")
    return graph if graph is not None else get_default_graph()
