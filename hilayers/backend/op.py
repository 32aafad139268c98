"""The ``Op`` base class: one op type declared in one place.

An op subclass states, together:

* ``props``: the names of its static attributes. They make the op a *value*: two ops of the
  same type with equal props are equal and hash alike (what common-subexpression merging
  needs) and print as ``MatMul{transpose_a=False, transpose_b=True}``.
* ``infer(*inputs)``: shape and dtype inference from the input tensors, run when the node is
  built; it raises :class:`ShapeError` / :class:`DTypeError` naming the op.
* a kernel, found by the op's ``kernel_name`` in the selected implementation's table
  (``hilayers.backend.kernels``), so the computation lives apart from the declaration.
* ``grad(node, output_grads)``: the gradient, written with other graph ops, so gradients are
  graphs too and can be differentiated again.

Example:
    >>> class Double(Op):
    ...     def infer(self, x):
    ...         return x.shape, x.dtype
    ...     def grad(self, node, grads):
    ...         return [grads[0] * 2]
"""
import numpy as np

from .errors import DTypeError, NotDifferentiableError
from .graph import Tensor, graph_of


class Op:
    """Base class of every op type. See the module docstring for the contract."""

    props = ()
    #: False for ops whose output has no derivative (argmax, comparisons, ...).
    differentiable = True
    #: True when the result depends only on inputs and props, so equal nodes may be merged
    #: and nodes whose inputs are all constants may be folded at compile time.
    pure = True

    def __init__(self, **attrs):
        for name in self.props:
            if name not in attrs:
                raise TypeError(f"{type(self).__name__} needs attribute {name!r}.")
            setattr(self, name, attrs.pop(name))
        if attrs:
            raise TypeError(f"{type(self).__name__} got unknown attributes {sorted(attrs)}; "
                            f"it takes {list(self.props)}.")

    # -- value semantics ---------------------------------------------------------------------
    def _key(self):
        return (type(self),) + tuple(getattr(self, p) for p in self.props)

    def __eq__(self, other):
        return type(self) is type(other) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        if not self.props:
            return type(self).__name__
        attrs = ", ".join(f"{p}={getattr(self, p)!r}" for p in self.props)
        return f"{type(self).__name__}{{{attrs}}}"

    @property
    def kernel_name(self):
        return type(self).__name__

    def default_name(self):
        return type(self).__name__

    # -- the contract --------------------------------------------------------------------------
    def infer(self, *inputs):
        """Return ``(shape, dtype)`` of the single output, or a *list* of such pairs."""
        raise NotImplementedError(f"{type(self).__name__} does not declare infer().")

    def grad(self, node, output_grads):
        """Return one gradient tensor (or None) per input of ``node``.

        Args:
            node: the node being differentiated (its ``inputs`` and ``outputs``).
            output_grads: one tensor per output of the node, or None where no gradient flows.
        """
        raise NotDifferentiableError(
            f"{type(self).__name__} (node {node.name!r}) has no gradient, but a gradient was "
            "asked through it. Wrap the non-differentiable part in stop_gradient() or ask the "
            "gradient of a tensor that does not depend on it.")

    def __call__(self, *inputs, name=None, output_class=Tensor):
        """Build a node applying this op to ``inputs``; return its output(s)."""
        graph = graph_of(inputs, type(self).__name__)
        inputs = tuple(inputs)
        for t in inputs:
            if not isinstance(t, Tensor):
                raise TypeError(f"{type(self).__name__}: inputs must be Tensors; received "
                                f"{type(t).__name__}. Convert with convert_to_tensor().")
        types = self.infer(*inputs)
        single = not isinstance(types, list)
        if single:
            types = [types]
        node = graph.add_node(self, inputs, types, name=name, output_class=output_class)
        return node.outputs[0] if single else node.outputs


def convert_to_tensor(value, dtype=None, graph=None, name=None):
    """Return ``value`` as a tensor: tensors pass through, anything else becomes a constant.

    Args:
        value: a Tensor, a NumPy array, a Python number or a nested list of numbers.
        dtype: the wanted dtype. Python floats default to floatx; NumPy arrays keep theirs
            unless ``dtype`` is given.
        graph: the graph for a new constant (default graph if None).

    Raises:
        DTypeError: when a tensor's dtype differs from ``dtype``.
    """
    if isinstance(value, Tensor):
        if dtype is not None and value.dtype != np.dtype(dtype):
            raise DTypeError(f"Tensor {value.name!r} has dtype {value.dtype.name}; expected "
                             f"{np.dtype(dtype).name}. Use cast() to convert it.")
        return value
    from .leaves import constant
    return constant(value, dtype=dtype, graph=graph, name=name)


def convert_operands(op_name, values):
    """Convert the operands of an elementwise op to tensors of one dtype.

    Non-tensor operands (Python numbers, lists, NumPy arrays) take the dtype of the tensor
    operands when NumPy can cast to it within the same kind or from int/bool to float, as a
    Keras user expects ``x * 2`` and ``x + np.ones(3)`` to work on a float32 ``x``. Tensors
    are never cast silently.

    Raises:
        DTypeError: when a value cannot take the tensors' dtype, naming the op.
    """
    tensors = [v for v in values if isinstance(v, Tensor)]
    graph = graph_of(tensors, op_name)
    if not tensors:
        return [convert_to_tensor(v, graph=graph) for v in values]
    target = tensors[0].dtype
    out = []
    for v in values:
        if isinstance(v, Tensor):
            out.append(v)
            continue
        arr = np.asarray(v)
        if arr.dtype.kind in "OUSV":
            raise DTypeError(f"{op_name}: cannot use {v!r} ({arr.dtype}) as a number.")
        allowed = np.can_cast(arr.dtype, target, casting="same_kind") or (
            arr.dtype.kind in "biu" and target.kind in "fc") or (
            isinstance(v, (int, float, bool)) and not (isinstance(v, float) and target.kind != "f"))
        if not allowed:
            raise DTypeError(f"{op_name}: operand {v!r} of dtype {arr.dtype.name} cannot be "
                             f"used with a tensor of dtype {target.name}; cast it first.")
        out.append(convert_to_tensor(arr.astype(target), graph=graph))
    return out
