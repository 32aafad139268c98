"""Op table rows: elementwise arithmetic and math."""
import math

import numpy as np

from hilayers import backend as K

from ..opspec import ErrorCase, OpSpec

BINARY_SAMPLES = [((3, 4), (3, 4)), ((2, 1, 4), (3, 1)), ((), (5,)), ((1, 4), (4,))]
UNARY_SAMPLES = [((3, 4),), ((2, 1, 3),), ((),), ((1,),)]
INTS = np.array([[-3, 0, 2], [5, -1, 1]], dtype=np.int32)
TIES = np.array([[1.0, -2.0, 0.5]])


def _erf_ref(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def _int_input(fn, dtype="int32"):
    return lambda: fn(K.placeholder((2,), dtype=dtype))


def _tie_grads(fn):
    """d sum(fn(a, b)) / d(a, b): at ties everything goes to the first input."""
    return lambda a, b: tuple(K.gradients(K.sum(fn(a, b)), [a, b]))


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
    # The operators on Tensor, numbers on either side (the reflected forms).
    OpSpec("arithmetic_operators",
           lambda a, b: (a + b, a - b, a * b, a / b, -a, +a, 3.0 - a, 2.0 / b, 1 + a, b * 2.5),
           lambda a, b: (a + b, a - b, a * b, a / b, -a, a, 3.0 - a, 2.0 / b, 1 + a, b * 2.5),
           [((3, 4), (3, 4)), ((2, 1, 4), (3, 1))], domain=(0.5, 2.0), grad2=True),
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

    # -- math -----------------------------------------------------------------------------
    OpSpec("power", K.power, np.power, [((3, 4), (3, 4)), ((2, 1, 4), (3, 1)), ((), (5,)),
                                        ((4,), ())],
           domain=(0.5, 2.0), grad2=True,
           errors=[ErrorCase(_mismatched(K.power), K.ShapeError, "Power: shapes"),
                   ErrorCase(lambda: K.power(K.placeholder((2,)), "a"), K.DTypeError,
                             "Power: cannot use 'a'")]),
    OpSpec("power_const_exponent", lambda x: K.power(x, 3.0), lambda x: x ** 3,
           UNARY_SAMPLES, grad2=True),
    OpSpec("power_operator", lambda x: 2.0 ** x + x ** 2, lambda x: 2.0 ** x + x ** 2,
           [((3, 4),), ((),)], grad2=True),
    OpSpec("power_nonpositive_base", lambda a, b: K.power(a, b),
           lambda a, b: np.power(a, b),
           [(np.array([0.0, 0.0, 1.5]), np.array([2.0, 3.0, 1.0]))], grad2=True),
    OpSpec("power_int", K.power, np.power, [(INTS, np.array([2, 3, 0], dtype=np.int32))],
           grad=False, float_dtype_out=False),
    OpSpec("square", K.square, np.square, UNARY_SAMPLES, grad2=True,
           errors=[ErrorCase(_int_input(K.square), K.DTypeError, "Square: input")]),
    OpSpec("sqrt", K.sqrt, np.sqrt, UNARY_SAMPLES, domain=(0.5, 2.0), grad2=True,
           errors=[ErrorCase(_int_input(K.sqrt), K.DTypeError, "Sqrt: input")]),
    OpSpec("rsqrt", K.rsqrt, lambda x: 1 / np.sqrt(x), UNARY_SAMPLES, domain=(0.5, 2.0),
           grad2=True),
    OpSpec("exp", K.exp, np.exp, UNARY_SAMPLES, grad2=True,
           errors=[ErrorCase(_int_input(K.exp, "int64"), K.DTypeError, "Exp: input")]),
    OpSpec("log", K.log, np.log, UNARY_SAMPLES, domain=(0.5, 2.0), grad2=True,
           errors=[ErrorCase(_int_input(K.log), K.DTypeError, "Log: input .* int32")]),
    OpSpec("log1p", K.log1p, np.log1p, UNARY_SAMPLES, domain=(-0.5, 2.0), grad2=True),
    OpSpec("log1p_tiny", K.log1p, np.log1p, [(np.array([1e-10, -1e-12, 3e-8]),)],
           rtol=1e-6, atol=0),
    OpSpec("erf", K.erf, _erf_ref, UNARY_SAMPLES + [(lambda r: r.uniform(-6, 6, (50,)),)],
           grad2=True, rtol=1e-6, atol=1e-7),
    OpSpec("erf_extremes", K.erf, _erf_ref,
           [(np.array([0.0, 1e-20, -1e-8, 0.49, 0.51, 3.0, -7.0, 40.0, np.inf, -np.inf]),)],
           grad=False, rtol=1e-6, atol=0),
    OpSpec("abs", K.abs, np.abs, UNARY_SAMPLES, grad2=True,
           errors=[ErrorCase(_int_input(K.abs, "bool"), K.DTypeError, "Abs: input .* bool")]),
    OpSpec("abs_int", K.abs, np.abs, [(INTS,)], grad=False, float_dtype_out=False),
    OpSpec("abs_operator", lambda x: abs(x), np.abs, [((2, 3),)]),
    OpSpec("sign", K.sign, np.sign, UNARY_SAMPLES),
    OpSpec("sign_zero", K.sign, np.sign, [(np.array([0.0, -2.0, 3.0]),)], grad=False),
    OpSpec("sign_int", K.sign, np.sign, [(INTS,)], grad=False, float_dtype_out=False),
    OpSpec("negative_int", K.negative, np.negative, [(INTS,)], grad=False,
           float_dtype_out=False),
    OpSpec("maximum", K.maximum, np.maximum, BINARY_SAMPLES + [((2, 3), (1, 1))], grad2=True,
           errors=[ErrorCase(_mismatched(K.maximum), K.ShapeError,
                             r"Maximum: shapes \(2, 3\), \(4,\)")]),
    OpSpec("maximum_number", lambda x: K.maximum(0.0, x), lambda x: np.maximum(0.0, x),
           [((3, 4),)]),
    OpSpec("maximum_int", K.maximum, np.maximum, [(INTS, np.array([0, 1, 2], np.int32))],
           grad=False, float_dtype_out=False),
    OpSpec("maximum_tie_grads", _tie_grads(K.maximum),
           lambda a, b: (np.ones_like(a), np.zeros_like(b)), [(TIES, TIES)], grad=False),
    OpSpec("minimum", K.minimum, np.minimum, BINARY_SAMPLES, grad2=True,
           errors=[ErrorCase(_mismatched(K.minimum), K.ShapeError, "Minimum: shapes")]),
    OpSpec("minimum_tie_grads", _tie_grads(K.minimum),
           lambda a, b: (np.ones_like(a), np.zeros_like(b)), [(TIES, TIES)], grad=False),
    OpSpec("where", K.where, np.where,
           [(lambda r: r.standard_normal((3, 4)) > 0, (3, 4), (3, 4)),
            (lambda r: r.standard_normal((3, 1)) > 0, (1, 4), (4,)),
            (lambda r: np.array(True), (2, 3), ()),
            (lambda r: r.standard_normal((2, 1, 3)) > 0, (), ())],
           grad2=True,
           errors=[ErrorCase(lambda: K.where(K.placeholder((2,)), 1.0, 0.0), K.DTypeError,
                             "Where: condition .* float32; expected bool"),
                   ErrorCase(lambda: K.where(K.placeholder((2,), dtype="bool"),
                                             K.placeholder((3,)), 0.0),
                             K.ShapeError, "Where: shapes"),
                   ErrorCase(lambda: K.where(True, K.placeholder((2,)),
                                             K.placeholder((2,), dtype="float64")),
                             K.DTypeError, "Where: inputs have dtypes")]),
    OpSpec("where_numbers", lambda c, x: K.where(c, x, -1.0),
           lambda c, x: np.where(c, x, -1.0),
           [(lambda r: r.standard_normal((4,)) > 0, (4,))]),
    OpSpec("clip", lambda x: K.clip(x, -0.5, 0.5), lambda x: np.clip(x, -0.5, 0.5),
           UNARY_SAMPLES, grad2=True),
    OpSpec("clip_tensor_bounds", K.clip, lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi),
           [((3, 4), (3, 1), (4,)), ((2, 3), (), ()), ((5,), (5,), (5,))], grad2=True,
           errors=[ErrorCase(lambda: K.clip(K.placeholder((2, 3)), K.placeholder((4,)), 1.0),
                             K.ShapeError, "Clip: shapes"),
                   ErrorCase(lambda: K.clip(K.placeholder((2,)),
                                            K.placeholder((), dtype="float64"), 1.0),
                             K.DTypeError, "Clip: inputs have dtypes")]),
    OpSpec("clip_int", lambda x: K.clip(x, 0, 2), lambda x: np.clip(x, 0, 2), [(INTS,)],
           grad=False, float_dtype_out=False),
]
