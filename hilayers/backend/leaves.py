"""The three kinds of leaves: constants, placeholders and variables, and the assign ops.

* ``constant(value)``: a fixed value and shape, folded into the plan when compiled.
* ``placeholder(shape, dtype)``: a slot fed at run time through ``feed_dict``.
* ``variable(value)``: state that lives on the device between runs; its shape is fixed, its
  value changes through ``assign``, ``assign_add``, ``assign_sub`` (graph ops) or
  ``set_value`` (immediately, from Python).

Within one run every read of a variable sees the value it had when the run started; the
writes of assign ops land when the run ends, in the order they were fetched (or listed as
``updates``). This makes one training step a consistent snapshot.

Example:
    >>> from hilayers import backend as K
    >>> v = K.variable([1.0, 2.0], name="v")
    >>> K.Session().run(K.assign_add(v, [1.0, 1.0]))
    array([2., 3.], dtype=float32)
    >>> v.get_value()
    array([2., 3.], dtype=float32)
"""
import numpy as np

from . import dtypes, shapes
from .errors import DTypeError, FeedError, ShapeError
from .graph import Tensor, get_default_graph, graph_of
from .kernels.implementation import get_implementation
from .op import Op, convert_to_tensor


class Constant(Op):
    """A fixed value. Equality is identity: two constants are merged only if they are one."""

    pure = True

    def __init__(self, value):
        super().__init__()
        self.value = value

    def _key(self):
        return (type(self), id(self))

    def __repr__(self):
        return f"Constant{{shape={self.value.shape}, dtype={self.value.dtype.name}}}"

    def infer(self):
        return self.value.shape, self.value.dtype

    def grad(self, node, output_grads):
        return []


class Placeholder(Op):
    """A value fed at run time; ``shape`` may hold ``None`` for dims of any size."""

    props = ("shape", "dtype")
    pure = False

    def _key(self):
        return (type(self), id(self))

    def infer(self):
        return self.shape, self.dtype

    def grad(self, node, output_grads):
        return []

    def check_feed(self, node, value):
        """Return ``value`` as an array for this placeholder, or raise naming it.

        Values are converted to the placeholder's dtype when NumPy casts them within the same
        kind (float64 -> float32) or from int/bool to float; anything else (float -> int, a
        string) is an error, as is a shape that differs on a known dim.
        """
        arr = value if hasattr(value, "__array__") or hasattr(value, "shape") else np.asarray(value)
        src = np.dtype(arr.dtype)
        if src != self.dtype:
            ok = np.can_cast(src, self.dtype, casting="same_kind") or (
                src.kind in "biu" and self.dtype.kind == "f")
            if not ok:
                raise FeedError(
                    f"Placeholder {node.name!r} expects dtype {self.dtype.name} but was fed "
                    f"a value of dtype {src.name}; convert the value (e.g. "
                    f"value.astype('{self.dtype.name}')) before feeding it.")
        if len(arr.shape) != len(self.shape) or not all(
                d is None or d == n for d, n in zip(self.shape, arr.shape)):
            expected = "(" + ", ".join("None" if d is None else str(d) for d in self.shape) + (
                ",)" if len(self.shape) == 1 else ")")
            raise FeedError(
                f"Placeholder {node.name!r} expects shape {expected} but was fed a value of "
                f"shape {tuple(arr.shape)}; None dims accept any size, the others must match.")
        return arr


class VariableRead(Op):
    """Reads a variable's current value (the node behind a :class:`Variable` tensor)."""

    pure = False

    def __init__(self, variable_box):
        super().__init__()
        self.box = variable_box

    def _key(self):
        return (type(self), id(self))

    def infer(self):
        return self.box.shape, self.box.dtype

    def grad(self, node, output_grads):
        return []


class Assign(Op):
    """Writes ``value`` into variable ``ref`` at the end of the run; outputs the new value."""

    pure = False

    def infer(self, ref, value):
        if not isinstance(ref, Variable):
            raise TypeError(f"Assign: the target must be a variable; received {ref!r}.")
        if not shapes.shapes_compatible(ref.shape, value.shape):
            raise ShapeError(f"Assign to variable {ref.name!r}: the value has shape "
                             f"{value.shape}; expected the variable's shape {ref.shape}.")
        dtypes.same_dtype(f"Assign to variable {ref.name!r}", ref.dtype, value.dtype)
        return ref.shape, ref.dtype

    def _key(self):
        return (type(self), id(self))

    def grad(self, node, output_grads):
        return [None, output_grads[0]]


class _VariableBox:
    """Holds a variable's device value; shared by its tensor and by the kernels."""

    __slots__ = ("value", "shape", "dtype", "impl")

    def __init__(self, value, impl):
        self.value = value
        self.shape = tuple(value.shape)
        self.dtype = np.dtype(value.dtype)
        self.impl = impl


class Variable(Tensor):
    """A tensor whose value is state kept on the device between runs.

    Created by :func:`variable`. Use it in ops like any tensor; change it with
    :meth:`assign` (a graph op) or :meth:`set_value` (now).
    """

    __slots__ = ("box", "trainable")

    @property
    def value_box(self):
        return self.node.op.box

    def get_value(self):
        """Return a NumPy copy of the current value."""
        box = self.node.op.box
        return np.array(box.impl.to_numpy(_device_value(box)), copy=True)

    def set_value(self, value):
        """Replace the value now (outside any graph run).

        Raises:
            ShapeError: when ``value``'s shape differs from the variable's.
        """
        box = self.node.op.box
        arr = np.asarray(value)
        if arr.shape != box.shape:
            raise ShapeError(f"set_value on variable {self.name!r}: received shape "
                             f"{arr.shape}; expected {box.shape}.")
        if arr.dtype.kind not in "biuf":
            raise DTypeError(f"set_value on variable {self.name!r}: received dtype "
                             f"{arr.dtype}; expected a number type.")
        impl = get_implementation()
        box.value = impl.to_device(arr.astype(box.dtype, copy=True))
        box.impl = impl

    def assign(self, value, name=None):
        return assign(self, value, name=name)

    def assign_add(self, delta, name=None):
        return assign_add(self, delta, name=name)

    def assign_sub(self, delta, name=None):
        return assign_sub(self, delta, name=name)


def _device_value(box, impl=None):
    """Return the box's value on ``impl`` (moving it there once if the backend changed)."""
    impl = impl or box.impl
    if box.impl is not impl:
        box.value = impl.to_device(box.impl.to_numpy(box.value))
        box.impl = impl
    return box.value


def constant(value, dtype=None, shape=None, name=None, graph=None):
    """A constant tensor.

    Args:
        value: a number, nested list or NumPy array.
        dtype: the dtype; default: floatx for Python floats, int32 for Python ints, the array's
            own dtype for NumPy arrays.
        shape: optional; a scalar ``value`` is broadcast to it.
        name: the node's name.

    Returns:
        Tensor

    Example:
        >>> c = constant([[1, 2], [3, 4]], dtype="float32")
        >>> c.shape
        (2, 2)
    """
    arr = _as_array(value, dtype)
    if shape is not None:
        arr = np.broadcast_to(arr, shapes.as_shape(shape)).copy()
    arr.setflags(write=False)
    graph = graph or get_default_graph()
    with graph.as_default():
        return Constant(arr)(name=name or "Const")


def _as_array(value, dtype):
    if dtype is not None:
        return np.array(value, dtype=dtypes.as_dtype(dtype))
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        return np.array(value)
    arr = np.array(value)
    if arr.dtype == np.float64:
        arr = arr.astype(dtypes.as_dtype(None))
    elif arr.dtype == np.int64:
        arr = arr.astype(np.int32)
    if arr.dtype.kind not in "biufc":
        raise DTypeError(f"constant(): cannot make a tensor from {value!r} (dtype {arr.dtype}).")
    return arr


def placeholder(shape=None, dtype=None, name=None, ndim=None):
    """A slot for a value fed at run time through ``feed_dict``.

    Args:
        shape: a tuple with ``None`` for dims of any size (e.g. ``(None, 784)``).
        dtype: default floatx.
        name: the node's name; errors about this placeholder use it.
        ndim: alternative to ``shape``: rank with every dim unknown.

    Example:
        >>> x = placeholder((None, 3), name="x")
    """
    if shape is None:
        if ndim is None:
            raise ValueError("placeholder(): give a shape, e.g. (None, 784), or ndim.")
        shape = (None,) * ndim
    op = Placeholder(shape=shapes.as_shape(shape), dtype=dtypes.as_dtype(dtype))
    with get_default_graph().as_default():
        return op(name=name or "Placeholder")


def variable(value, dtype=None, name=None, trainable=True, graph=None):
    """A variable initialised with ``value``; its value lives on the selected device.

    Args:
        value: the initial value (number, nested list, NumPy array).
        dtype: default floatx for floats (NumPy arrays keep their dtype).
        name: the node's name.
        trainable: a flag for optimizers; the engine itself ignores it.

    Returns:
        Variable

    Example:
        >>> v = variable(np.zeros((2, 3)), dtype="float32", name="w")
        >>> v.get_value().shape
        (2, 3)
    """
    arr = _as_array(value, dtype)
    if dtype is None and arr.dtype == np.float64 and isinstance(value, np.ndarray):
        arr = arr.astype(dtypes.as_dtype(None))
    impl = get_implementation()
    box = _VariableBox(impl.to_device(np.array(arr, copy=True)), impl)
    graph = graph or get_default_graph()
    with graph.as_default():
        v = VariableRead(box)(name=name or "Variable", output_class=Variable)
    v.trainable = trainable
    return v


def assign(ref, value, name=None):
    """Op writing ``value`` into variable ``ref`` when the run ends; returns the new value."""
    value = convert_to_tensor(value, dtype=ref.dtype, graph=graph_of([ref], "assign")) \
        if not isinstance(value, Tensor) else value
    return Assign()(ref, value, name=name or "Assign")


def assign_add(ref, delta, name=None):
    """``assign(ref, ref + delta)``."""
    from .ops.elementwise import add
    return assign(ref, add(ref, delta), name=name or "AssignAdd")


def assign_sub(ref, delta, name=None):
    """``assign(ref, ref - delta)``."""
    from .ops.elementwise import subtract
    return assign(ref, subtract(ref, delta), name=name or "AssignSub")


__all__ = ["constant", "placeholder", "variable", "assign", "assign_add", "assign_sub",
           "Variable", "Constant", "Placeholder", "VariableRead", "Assign"]
