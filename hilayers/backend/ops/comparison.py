"""Elementwise comparisons and logical ops: outputs are bool, and none is differentiable.

Comparisons take tensors or Python numbers / arrays for either operand and broadcast like
NumPy; logical ops need bool inputs. Asking a gradient through any of them raises
:class:`NotDifferentiableError`; turn a condition into a float mask with ``cast`` (whose
gradient stops at the bool) or select values with ``where`` instead.

Example:
    >>> from hilayers import backend as K
    >>> K.Session().run(K.greater([1.0, 3.0], 2.0))
    array([False,  True])
"""
import numpy as np

from .. import dtypes
from ..errors import DTypeError
from ._base import BinaryOp, UnaryOp, binary, unary

_BOOL = np.dtype(bool)


class Compare(BinaryOp):
    """Base of the comparisons: broadcast two inputs of one dtype to a bool output."""

    out_dtype = _BOOL
    differentiable = False


class Equal(Compare):
    """``a == b``."""


class NotEqual(Compare):
    """``a != b``."""


class Greater(Compare):
    """``a > b``."""


class GreaterEqual(Compare):
    """``a >= b``."""


class Less(Compare):
    """``a < b``."""


class LessEqual(Compare):
    """``a <= b``."""


def _check_bool(op_name, *inputs):
    for t in inputs:
        if not dtypes.is_bool(t.dtype):
            raise DTypeError(f"{op_name}: input {t.name!r} has dtype {t.dtype.name}; expected "
                             "bool. Compare first (e.g. greater(x, 0)) or cast(x, 'bool').")


class LogicalBinary(BinaryOp):
    """Base of the binary logical ops: two bool inputs, broadcast, bool output."""

    differentiable = False

    def infer(self, a, b):
        _check_bool(type(self).__name__, a, b)
        return super().infer(a, b)


class LogicalAnd(LogicalBinary):
    """``a and b``."""


class LogicalOr(LogicalBinary):
    """``a or b``."""


class LogicalXor(LogicalBinary):
    """``a xor b``."""


class LogicalNot(UnaryOp):
    """``not x``."""

    differentiable = False

    def infer(self, x):
        _check_bool("LogicalNot", x)
        return x.shape, x.dtype


def equal(a, b, name=None):
    """``a == b`` elementwise, with broadcasting; a bool tensor.

    Raises:
        ShapeError: when the shapes do not broadcast. DTypeError: when the dtypes differ.
    """
    return binary(Equal, a, b, name)


def not_equal(a, b, name=None):
    """``a != b`` elementwise, with broadcasting; a bool tensor."""
    return binary(NotEqual, a, b, name)


def greater(a, b, name=None):
    """``a > b`` elementwise, with broadcasting; a bool tensor."""
    return binary(Greater, a, b, name)


def greater_equal(a, b, name=None):
    """``a >= b`` elementwise, with broadcasting; a bool tensor."""
    return binary(GreaterEqual, a, b, name)


def less(a, b, name=None):
    """``a < b`` elementwise, with broadcasting; a bool tensor."""
    return binary(Less, a, b, name)


def less_equal(a, b, name=None):
    """``a <= b`` elementwise, with broadcasting; a bool tensor."""
    return binary(LessEqual, a, b, name)


def logical_and(a, b, name=None):
    """``a and b`` elementwise for bool tensors, with broadcasting.

    Raises:
        DTypeError: when an input is not bool.
    """
    return binary(LogicalAnd, a, b, name)


def logical_or(a, b, name=None):
    """``a or b`` elementwise for bool tensors, with broadcasting."""
    return binary(LogicalOr, a, b, name)


def logical_xor(a, b, name=None):
    """``a != b`` elementwise for bool tensors, with broadcasting."""
    return binary(LogicalXor, a, b, name)


def logical_not(x, name=None):
    """``not x`` elementwise for a bool tensor.

    Raises:
        DTypeError: when ``x`` is not bool.
    """
    return unary(LogicalNot, x, name)


__all__ = ["equal", "not_equal", "greater", "greater_equal", "less", "less_equal",
           "logical_and", "logical_or", "logical_xor", "logical_not"]
