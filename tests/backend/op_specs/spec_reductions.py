"""Op table rows: reductions."""
import numpy as np

from hilayers import backend as K

from ..opspec import ErrorCase, OpSpec

AXES = [None, 0, -1, (0, 2), (-1, 1)]


def _rows(name, fn, ref, **kw):
    rows = []
    for axis in AXES:
        for keepdims in (False, True):
            rows.append(OpSpec(
                f"{name}-axis{axis}-keep{int(keepdims)}".replace(" ", ""),
                lambda x, a=axis, k=keepdims: fn(x, axis=a, keepdims=k),
                lambda x, a=axis, k=keepdims: ref(x, axis=a, keepdims=k),
                [((2, 3, 4),)], **kw))
    return rows


def _np_logsumexp(x, axis=None, keepdims=False):
    x = np.asarray(x, dtype=np.float64)
    m = x.max(axis=axis, keepdims=True)
    out = np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


# Two-way ties: the central difference of a max at a tie is 1/2 for each tied element,
# which is what sharing the gradient equally gives.
TIES = np.array([[1.0, 3.0, 3.0, -1.0], [2.0, 0.5, 2.0, 1.0], [0.0, 0.0, -2.0, -5.0]])
WITH_ZEROS = np.array([[0.0, 2.0, 3.0, 1.5], [1.0, 0.0, 0.0, -2.0], [0.5, -1.0, 2.0, 0.7]])


def _bad_axis(fn, name):
    return ErrorCase(lambda: fn(K.placeholder((2, 3)), axis=2), K.InvalidArgumentError,
                     rf"{name}: axis 2 is out of range for an input of rank 2")


def _argmax_gradient():
    x = K.placeholder((2, 3), dtype="float64")
    return K.gradients(K.argmax(x), [x])


SPECS = (
    _rows("sum", K.sum, np.sum, grad2=True)
    + _rows("mean", K.mean, np.mean)
    + _rows("max", K.max, np.max)
    + _rows("min", K.min, np.min)
    + _rows("prod", K.prod, np.prod, grad2=True)
    + _rows("var", K.var, np.var, rtol=1e-4, atol=1e-5)
    + _rows("std", K.std, np.std, rtol=1e-4, atol=1e-5)
    + _rows("logsumexp", K.logsumexp, _np_logsumexp, grad2=True)
    + [OpSpec("sum-scalar", K.sum, np.sum, [((),), ((5,),)]),
       OpSpec("sum-bad-axis", K.sum, np.sum, [((2,),)], errors=[
           ErrorCase(lambda: K.sum(K.placeholder((2, 3)), axis=2), K.InvalidArgumentError,
                     r"Sum: axis 2 is out of range for an input of rank 2")]),
       OpSpec("max-ties", lambda x: K.max(x, axis=1), lambda x: x.max(axis=1), [(TIES,)],
              errors=[_bad_axis(K.max, "Max"),
                      ErrorCase(lambda: K.max(K.placeholder((2, 3)), axis=(0, -2)),
                                K.InvalidArgumentError, "Max: axis 0 is repeated")]),
       OpSpec("min-ties", lambda x: K.min(-x, axis=(0, 1)), lambda x: (-x).min(axis=(0, 1)),
              [(TIES[:2, :3],)], errors=[_bad_axis(K.min, "Min")]),
       OpSpec("prod-zeros", lambda x: K.prod(x, axis=-1), lambda x: x.prod(axis=-1),
              [(WITH_ZEROS,), (WITH_ZEROS.T,)], grad2=True,
              errors=[_bad_axis(K.prod, "Prod")]),
       OpSpec("prod-zeros-all", K.prod, np.prod, [(WITH_ZEROS[:, :3],), ((),)], grad2=True),
       OpSpec("logsumexp-large", lambda x: K.logsumexp(x * 1000.0, axis=-1),
              lambda x: _np_logsumexp(x * 1000.0, axis=-1), [((3, 5),)], rtol=1e-4,
              grad_tol=1e-3, errors=[_bad_axis(K.logsumexp, "LogSumExp"),
                                     ErrorCase(lambda: K.logsumexp(K.placeholder((2,), "int32")),
                                               K.DTypeError, "LogSumExp: input")]),
       OpSpec("var-1d", K.var, np.var, [((7,),)], rtol=1e-4, errors=[
           ErrorCase(lambda: K.var(K.placeholder((2,), "int32")), K.DTypeError, "Var: input")]),
       OpSpec("std-1d", K.std, np.std, [((7,),)], rtol=1e-4),
       OpSpec("argmax", K.argmax, lambda x: np.argmax(x, axis=-1), [((3, 4),), ((5,),)],
              grad=False, float_dtype_out=False,
              errors=[ErrorCase(_argmax_gradient, K.NotDifferentiableError, "ArgMax"),
                      ErrorCase(lambda: K.argmax(K.placeholder((2, 3)), axis=(0, 1)),
                                K.InvalidArgumentError, "ArgMax: axis must be a single int"),
                      _bad_axis(K.argmax, "ArgMax")]),
       OpSpec("argmax-axis0-keep", lambda x: K.argmax(x, axis=0, keepdims=True),
              lambda x: np.argmax(x, axis=0, keepdims=True), [((3, 4, 2),)], grad=False,
              float_dtype_out=False),
       OpSpec("argmin", lambda x: K.argmin(x, axis=1), lambda x: np.argmin(x, axis=1),
              [((3, 4, 2),), (TIES,)], grad=False, float_dtype_out=False),
       OpSpec("argmax-int", K.argmax, lambda x: np.argmax(x, axis=-1),
              [(np.array([[3, 1, 3], [0, 5, -2]], dtype=np.int32),)], grad=False,
              float_dtype_out=False),
       OpSpec("max-int", lambda x: K.max(x, axis=0), lambda x: x.max(axis=0),
              [(np.array([[3, 1, 3], [0, 5, -2]], dtype=np.int64),)], grad=False,
              float_dtype_out=False)]
)
