"""Op table rows: matmul, tensordot, transpose."""
import numpy as np

from hilayers import backend as K

from ..opspec import ErrorCase, OpSpec


def _t(x):
    return np.swapaxes(x, -1, -2)


def _inner_mismatch():
    return K.matmul(K.placeholder((2, 3)), K.placeholder((4, 5)))


MATMUL_ERRORS = [
    ErrorCase(_inner_mismatch, K.ShapeError,
              r"MatMul: inner dimensions differ: a has shape \(2, 3\), b has shape \(4, 5\); "
              r"expected a\.shape\[-1\] == b\.shape\[-2\] \(3 != 4\)"),
    ErrorCase(lambda: K.placeholder((2, 3)) @ K.placeholder((2, 3)), K.ShapeError,
              r"MatMul: inner dimensions differ.*\(3 != 2\)"),
    ErrorCase(lambda: K.matmul(K.placeholder((2, 3)), K.placeholder((2, 3)), transpose_b=True,
                               transpose_a=True), K.ShapeError,
              r"MatMul: inner dimensions differ.*a\.shape\[-2\] == b\.shape\[-1\] \(2 != 3\)"),
    ErrorCase(lambda: K.matmul(K.placeholder((2, 2, 3)), K.placeholder((3, 3, 4))),
              K.ShapeError, r"MatMul: batch dimensions do not broadcast.*\(2, 2, 3\)"),
    ErrorCase(lambda: K.matmul(K.placeholder((2, 3)), K.placeholder((3, 4), dtype="float64")),
              K.DTypeError, "MatMul: inputs have dtypes"),
    ErrorCase(lambda: K.matmul(K.placeholder(()), K.placeholder((3, 4))), K.ShapeError,
              "MatMul: a is a scalar"),
]

SPECS = [
    OpSpec("matmul", K.matmul, np.matmul,
           [((3, 4), (4, 5)), ((1, 1), (1, 1)), ((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5)),
            ((5, 1, 2, 3), (4, 3, 6)), ((2, 1, 3), (1, 3, 2))],
           grad2=True, rtol=1e-4, atol=1e-5, errors=MATMUL_ERRORS),
    OpSpec("matmul-operator", lambda a, b: a @ b, np.matmul, [((2, 3), (3, 2))]),
    OpSpec("matmul-vectors", K.matmul, np.matmul,
           [((4,), (4, 3)), ((3, 4), (4,)), ((2, 3, 4), (4,)), ((4,), (4,))],
           grad2=True, rtol=1e-4, atol=1e-5,
           errors=[ErrorCase(lambda: K.matmul(K.placeholder((3,)), K.placeholder((3, 2)),
                                              transpose_a=True),
                             K.InvalidArgumentError, "MatMul: transpose_a=True needs a")]),
    OpSpec("matmul-transpose-a", lambda a, b: K.matmul(a, b, transpose_a=True),
           lambda a, b: np.matmul(_t(a), b), [((4, 3), (4, 5)), ((2, 4, 3), (1, 4, 2))],
           grad2=True, rtol=1e-4, atol=1e-5),
    OpSpec("matmul-transpose-b", lambda a, b: K.matmul(a, b, transpose_b=True),
           lambda a, b: np.matmul(a, _t(b)), [((3, 4), (5, 4)), ((2, 3, 4), (5, 4))],
           grad2=True, rtol=1e-4, atol=1e-5),
    OpSpec("matmul-transpose-ab",
           lambda a, b: K.matmul(a, b, transpose_a=True, transpose_b=True),
           lambda a, b: np.matmul(_t(a), _t(b)), [((4, 3), (5, 4)), ((3, 1, 4, 2), (2, 5, 4))],
           grad2=True, rtol=1e-4, atol=1e-5),
    OpSpec("tensordot-int", lambda a, b: K.tensordot(a, b, 1),
           lambda a, b: np.tensordot(a, b, 1), [((2, 3), (3, 4)), ((2, 3, 4), (4, 2))],
           grad2=True, rtol=1e-4, atol=1e-5),
    OpSpec("tensordot-2", K.tensordot, np.tensordot, [((2, 3, 4), (3, 4, 5))],
           rtol=1e-4, atol=1e-5),
    OpSpec("tensordot-0", lambda a, b: K.tensordot(a, b, 0),
           lambda a, b: np.tensordot(a, b, 0), [((2, 3), (4,))]),
    OpSpec("tensordot-pairs", lambda a, b: K.tensordot(a, b, ([0, -1], [2, 0])),
           lambda a, b: np.tensordot(a, b, ([0, 2], [2, 0])), [((3, 2, 4), (4, 5, 3))],
           grad2=True, rtol=1e-4, atol=1e-5,
           errors=[ErrorCase(lambda: K.tensordot(K.placeholder((2, 3)), K.placeholder((4, 5)),
                                                 ([1], [0])),
                             K.ShapeError, r"TensorDot: contracted dimensions differ.*"
                                           r"a\.shape\[1\] == b\.shape\[0\] \(3 != 4\)"),
                   ErrorCase(lambda: K.tensordot(K.placeholder((2, 3)), K.placeholder((3, 5)),
                                                 ([1], [0, 1])),
                             K.InvalidArgumentError, "TensorDot: axes"),
                   ErrorCase(lambda: K.tensordot(K.placeholder((2, 3)), K.placeholder((3,)),
                                                 3),
                             K.InvalidArgumentError, "TensorDot: axes=3")]),
    OpSpec("transpose", K.transpose, np.transpose, [((3, 4),), ((2, 3, 4),), ((5,),)],
           grad2=True),
    OpSpec("transpose-perm", lambda x: K.transpose(x, (1, -1, 0)),
           lambda x: np.transpose(x, (1, 2, 0)), [((2, 3, 4),)], grad2=True,
           errors=[ErrorCase(lambda: K.transpose(K.placeholder((2, 3)), (0, 0)),
                             K.InvalidArgumentError, r"Transpose: perm \(0, 0\) is not a "
                                                     "permutation"),
                   ErrorCase(lambda: K.transpose(K.placeholder((2, 3)), (1, 0, 2)),
                             K.InvalidArgumentError, "Transpose: perm")]),
]
