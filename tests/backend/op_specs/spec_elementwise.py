"""Op table rows: elementwise arithmetic."""
import numpy as np

from hilayers import backend as K

from ..opspec import ErrorCase, OpSpec

BINARY_SAMPLES = [((3, 4), (3, 4)), ((2, 1, 4), (3, 1)), ((), (5,)), ((1, 4), (4,))]


def _mismatched(fn):
    return lambda: fn(K.placeholder((2, 3)), K.placeholder((4,)))


SPECS = [
    OpSpec("add", K.add, np.add, BINARY_SAMPLES, grad2=True,
           errors=[ErrorCase(_mismatched(K.add), K.ShapeError, r"Add: shapes \(2, 3\), \(4,\)"),
                   ErrorCase(lambda: K.add(K.placeholder((2,), dtype="float32"),
                                           K.placeholder((2,), dtype="float64")),
                             K.DTypeError, "Add: inputs have dtypes")]),
    OpSpec("subtract", K.subtract, np.subtract, BINARY_SAMPLES,
           errors=[ErrorCase(_mismatched(K.subtract), K.ShapeError, "Subtract")]),
    OpSpec("multiply", K.multiply, np.multiply, BINARY_SAMPLES, grad2=True),
    OpSpec("divide", K.divide, np.divide, [((3, 4), (3, 4)), ((2, 3), (3,))],
           domain=(0.5, 2.0), grad2=True),
    OpSpec("negative", K.negative, np.negative, [((3,),), ((2, 3),)]),
    OpSpec("add_n", lambda a, b, c: K.add_n([a, b, c]), lambda a, b, c: a + b + c,
           [((2, 3), (2, 3), (2, 3))]),
    OpSpec("cast_f32_to_f64", lambda x: K.cast(x, "float64"), lambda x: x.astype(np.float64),
           [((3,),)], grad=False),
    OpSpec("cast_to_int", lambda x: K.cast(x, "int32"), lambda x: x.astype(np.int32),
           [(lambda r: r.uniform(-5, 5, size=(4,)),)], grad=False, float_dtype_out=False),
    OpSpec("zeros_like", K.zeros_like, np.zeros_like, [((2, 3),)], grad=False),
    OpSpec("ones_like", K.ones_like, np.ones_like, [((2, 3),)], grad=False),
    OpSpec("identity", K.identity, lambda x: x, [((2, 3),)]),
    OpSpec("stop_gradient", K.stop_gradient, lambda x: x, [((2, 3),)], grad=False),
]
