"""Op table rows: comparisons and logical ops (bool outputs, not differentiable)."""
import numpy as np

from hilayers import backend as K

from ..opspec import ErrorCase, OpSpec

SAMPLES = [((3, 4), (3, 4)), ((2, 1, 4), (3, 1)), ((), (5,)), ((1, 4), (4,))]
INTS = (np.array([[1, 2, 3], [3, 2, 1]], dtype=np.int32), np.array([2, 2, 2], dtype=np.int32))
TIES = (np.array([[0.5, 1.0, -1.0]]), np.array([0.5, 2.0, -1.0]))


def _bools(shape):
    return lambda r: r.standard_normal(shape) > 0


BOOL_SAMPLES = [(_bools((3, 4)), _bools((3, 4))), (_bools((2, 1, 4)), _bools((3, 1))),
                (_bools(()), _bools((5,)))]


def _no_gradient(fn):
    def build():
        x, y = K.placeholder((3,)), K.placeholder((3,))
        K.gradients(fn(x, y), [x])
    return build


def _compare(name, fn, ref, op_name):
    return OpSpec(name, fn, ref, SAMPLES + [TIES, INTS], grad=False, float_dtype_out=False,
                  errors=[ErrorCase(lambda: fn(K.placeholder((2, 3)), K.placeholder((4,))),
                                    K.ShapeError, f"{op_name}: shapes"),
                          ErrorCase(lambda: fn(K.placeholder((2,)),
                                               K.placeholder((2,), dtype="int32")),
                                    K.DTypeError, f"{op_name}: inputs have dtypes"),
                          ErrorCase(_no_gradient(fn), K.NotDifferentiableError,
                                    f"{op_name} .* has no gradient")])


SPECS = [
    _compare("equal", K.equal, np.equal, "Equal"),
    _compare("not_equal", K.not_equal, np.not_equal, "NotEqual"),
    _compare("greater", K.greater, np.greater, "Greater"),
    _compare("greater_equal", K.greater_equal, np.greater_equal, "GreaterEqual"),
    _compare("less", K.less, np.less, "Less"),
    _compare("less_equal", K.less_equal, np.less_equal, "LessEqual"),
    OpSpec("compare_operators", lambda a, b: (a < b, a <= b, a > b, a >= b, 0.0 < a),
           lambda a, b: (a < b, a <= b, a > b, a >= b, 0.0 < a), SAMPLES[:2] + [TIES],
           grad=False, float_dtype_out=False),
    OpSpec("compare_number", lambda x: K.equal(1, x), lambda x: np.equal(1, x), [INTS[:1]],
           grad=False, float_dtype_out=False),
    OpSpec("compare_mask_gradient",
           lambda x: K.cast(K.greater(x, 0.0), x.dtype) * x, lambda x: (x > 0) * x,
           [((3, 4),)]),
    OpSpec("logical_and", K.logical_and, np.logical_and, BOOL_SAMPLES, grad=False,
           float_dtype_out=False,
           errors=[ErrorCase(lambda: K.logical_and(K.placeholder((2,)),
                                                   K.placeholder((2,), dtype="bool")),
                             K.DTypeError, "LogicalAnd: input .* float32; expected bool"),
                   ErrorCase(lambda: K.logical_and(K.placeholder((2,), dtype="bool"),
                                                   K.placeholder((3,), dtype="bool")),
                             K.ShapeError, "LogicalAnd: shapes")]),
    OpSpec("logical_or", K.logical_or, np.logical_or, BOOL_SAMPLES, grad=False,
           float_dtype_out=False,
           errors=[ErrorCase(lambda: K.logical_or(K.placeholder((2,), dtype="int32"), True),
                             K.DTypeError, "LogicalOr: input .* int32")]),
    OpSpec("logical_xor", K.logical_xor, np.logical_xor, BOOL_SAMPLES, grad=False,
           float_dtype_out=False),
    OpSpec("logical_not", K.logical_not, np.logical_not, [(_bools((3, 4)),), (_bools(()),)],
           grad=False, float_dtype_out=False,
           errors=[ErrorCase(lambda: K.logical_not(K.placeholder((2,))), K.DTypeError,
                             "LogicalNot: input .* float32; expected bool")]),
    OpSpec("logical_operators", lambda a, b: (a & b, a | b, a ^ b, ~a, True & a),
           lambda a, b: (a & b, a | b, a ^ b, ~a, True & a), BOOL_SAMPLES, grad=False,
           float_dtype_out=False),
]
