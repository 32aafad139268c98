"""Small bases shared by op families: elementwise unary and binary ops."""
from .. import dtypes, shapes
from ..errors import DTypeError
from ..op import Op, convert_operands


class UnaryOp(Op):
    """Elementwise op of one input; output has the input's shape and dtype.

    ``float_only`` ops reject integer inputs with an error that names the op.
    """

    float_only = True

    def infer(self, x):
        if self.float_only and not dtypes.is_floating(x.dtype):
            raise DTypeError(f"{type(self).__name__}: input {x.name!r} has dtype "
                             f"{x.dtype.name}; expected a float dtype. Use cast() first.")
        return x.shape, x.dtype


class BinaryOp(Op):
    """Elementwise op of two inputs with NumPy broadcasting and one common dtype."""

    #: dtype of the output; None means the inputs' dtype (comparisons set bool).
    out_dtype = None

    def infer(self, a, b):
        name = type(self).__name__
        shape = shapes.broadcast_shapes(name, a.shape, b.shape)
        dtype = dtypes.same_dtype(name, a.dtype, b.dtype)
        return shape, (self.out_dtype or dtype)


def binary(op_class, a, b, name=None):
    """Convert ``a`` and ``b`` (tensors or numbers) and apply ``op_class()`` to them."""
    a, b = convert_operands(op_class.__name__, [a, b])
    return op_class()(a, b, name=name)


def unary(op_class, x, name=None, **attrs):
    (x,) = convert_operands(op_class.__name__, [x])
    return op_class(**attrs)(x, name=name)
