"""Exceptions raised by the engine.

Every error names the op, placeholder or tensor concerned, what it received and what it
expected. The classes derive from the built-in exception a Python user would catch
(``ValueError``, ``TypeError``, ``KeyError``, ``RuntimeError``) so that ordinary ``except``
clauses keep working.
"""


class HilayersError(Exception):
    """Base class of every error the engine raises on purpose."""


class ShapeError(HilayersError, ValueError):
    """Static shapes of an op's inputs are incompatible (raised when the node is built)."""


class DTypeError(HilayersError, TypeError):
    """Dtypes of an op's inputs are incompatible, or a dtype is not supported."""


class InvalidArgumentError(HilayersError, ValueError):
    """An op attribute (axis, padding, strides, ...) is out of range or unknown."""


class FeedError(HilayersError, ValueError):
    """A fed value does not match its placeholder, or a placeholder was left unfed."""


class GraphMismatchError(HilayersError, ValueError):
    """Tensors from two different graphs were combined."""


class FetchError(HilayersError, TypeError):
    """Something given as a fetch is not a tensor, a node or a structure of them."""


class NotDifferentiableError(HilayersError, TypeError):
    """A gradient was asked through an op that has none."""


class BackendUnavailableError(HilayersError, RuntimeError):
    """The requested kernel implementation cannot run on this machine."""


class KernelNotFoundError(HilayersError, NotImplementedError):
    """The selected kernel implementation has no kernel for an op."""


class NumericsError(HilayersError, FloatingPointError):
    """``check_numerics`` found a NaN or an infinity; names the op that produced it."""
