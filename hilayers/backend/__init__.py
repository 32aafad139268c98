"""hilayers.backend: the dataflow engine (graph, ops, autodiff, compiler, session, kernels).

Build first, run later, in the spirit of TensorFlow 1.x::

    >>> from hilayers import backend as K
    >>> x = K.placeholder((None, 2), name="x")
    >>> w = K.variable([[1.0], [2.0]], name="w")
    >>> y = K.sum(x @ w)
    >>> (gw,) = K.gradients(y, [w])
    >>> K.Session().run([y, gw], feed_dict={x: [[1.0, 1.0]]})[0]
    array(3., dtype=float32)
"""
from .config import epsilon, floatx, set_epsilon, set_floatx
from .errors import (BackendUnavailableError, DTypeError, FeedError, FetchError,
                     GraphMismatchError, HilayersError, InvalidArgumentError,
                     KernelNotFoundError, NotDifferentiableError, NumericsError, ShapeError)
from .graph import (Graph, Node, Tensor, get_default_graph, name_scope, reset_default_graph,
                    set_random_seed)
from .op import Op, convert_to_tensor
from .kernels import backend, get_implementation, is_available, set_backend
from .kernels._parallel import num_threads, set_num_threads
from .leaves import (Variable, assign, assign_add, assign_sub, constant, placeholder,
                     variable)
from .autodiff import gradients, sum_to
from .session import Function, Session, function, set_check_numerics
from .ops import *  # noqa: F401,F403  (the op functions; each module lists its __all__)
from .ops import __all__ as _ops_all
from . import overloads as _overloads

_overloads.install()

__all__ = [
    "epsilon", "floatx", "set_epsilon", "set_floatx", "Graph", "Node", "Tensor",
    "get_default_graph", "name_scope", "reset_default_graph", "set_random_seed", "Op",
    "convert_to_tensor", "backend", "get_implementation", "is_available", "set_backend",
    "Variable", "assign", "assign_add", "assign_sub", "constant", "placeholder", "variable",
    "gradients", "sum_to", "Function", "Session", "function", "set_check_numerics",
    "num_threads", "set_num_threads",
    "BackendUnavailableError", "DTypeError", "FeedError", "FetchError", "GraphMismatchError",
    "HilayersError", "InvalidArgumentError", "KernelNotFoundError", "NotDifferentiableError",
    "NumericsError", "ShapeError",
] + list(_ops_all)
