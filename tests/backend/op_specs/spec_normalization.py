"""Op table rows: moments, batch_normalization, normalize_batch_in_training."""
import numpy as np

from hilayers import backend as K

from ..opspec import ErrorCase, OpSpec


def ref_moments(x, axes, keepdims=False):
    x = x.astype(np.float64)
    return x.mean(axis=axes, keepdims=keepdims), x.var(axis=axes, keepdims=keepdims)


def ref_batch_norm(x, mean, variance, beta=None, gamma=None, epsilon=1e-3):
    y = (x.astype(np.float64) - mean) / np.sqrt(variance.astype(np.float64) + epsilon)
    if gamma is not None:
        y = y * gamma
    if beta is not None:
        y = y + beta
    return y


def ref_normalize_in_training(x, gamma, beta, axes, epsilon=1e-3):
    mean, variance = ref_moments(x, axes, keepdims=True)
    kept = [d for i, d in enumerate(x.shape) if i not in axes]
    shape = [1 if i in axes else d for i, d in enumerate(x.shape)]
    normed = ref_batch_norm(x, mean, variance, beta.reshape(shape), gamma.reshape(shape),
                            epsilon)
    return normed, mean.reshape(kept), variance.reshape(kept)


def positive(shape):
    return lambda r: r.uniform(0.5, 2.0, size=shape)


def _moments_rows():
    rows = []
    for axes in ([0], [0, 1], -1, (0, 2), None):
        for keepdims in (False, True):
            rows.append(OpSpec(
                f"moments-axes{axes}-keep{int(keepdims)}".replace(" ", ""),
                lambda x, a=axes, k=keepdims: K.moments(x, a, keepdims=k),
                lambda x, a=axes, k=keepdims: ref_moments(
                    x, tuple(a) if isinstance(a, list) else a, k),
                [((4, 3, 2),)], grad2=True))
    return rows


SPECS = _moments_rows() + [
    OpSpec("moments-2d", lambda x: K.moments(x, [0]), lambda x: ref_moments(x, 0),
           [((5, 3),), ((2, 1),)],
           errors=[
               ErrorCase(lambda: K.moments(K.placeholder((2, 3), dtype="int32"), [0]),
                         K.DTypeError, r"moments: input .* has dtype int32; expected a float"),
               ErrorCase(lambda: K.moments(K.placeholder((2, 3)), [2]),
                         K.InvalidArgumentError, r"moments: axis 2 is out of range for an "
                                                 r"input of rank 2")]),
    OpSpec("batch_normalization", K.batch_normalization, ref_batch_norm,
           [((4, 3), (3,), positive((3,)), (3,), (3,)),
            ((2, 3, 4), (1, 3, 1), positive((1, 3, 1)), (1, 3, 1), (1, 3, 1))], grad2=True,
           errors=[
               ErrorCase(lambda: K.batch_normalization(K.placeholder((4, 3)),
                                                       K.placeholder((5,)),
                                                       K.placeholder((3,)), None, None),
                         K.ShapeError, r"batch_normalization: operands do not broadcast "
                                       r"together \(x \(4, 3\), mean \(5,\), variance \(3,\)\)"),
               ErrorCase(lambda: K.batch_normalization(K.placeholder((4, 3)),
                                                       K.placeholder((3,), dtype="float64"),
                                                       K.placeholder((3,)), None, None),
                         K.DTypeError, r"batch_normalization: inputs have dtypes"),
               ErrorCase(lambda: K.batch_normalization(K.placeholder((4, 3), dtype="int32"),
                                                       0, 1),
                         K.DTypeError, r"batch_normalization: input .* has dtype int32")]),
    OpSpec("batch_normalization-no-affine",
           lambda x, m, v: K.batch_normalization(x, m, v, None, None, epsilon=0.01),
           lambda x, m, v: ref_batch_norm(x, m, v, epsilon=0.01),
           [((4, 3), (3,), positive((3,)))], grad2=True),
    OpSpec("batch_normalization-gamma-only",
           lambda x, m, v, g: K.batch_normalization(x, m, v, None, g),
           lambda x, m, v, g: ref_batch_norm(x, m, v, gamma=g),
           [((4, 3), (3,), positive((3,)), (3,))]),
    OpSpec("batch_normalization-beta-only",
           lambda x, m, v, b: K.batch_normalization(x, m, v, b),
           lambda x, m, v, b: ref_batch_norm(x, m, v, beta=b),
           [((4, 3), (3,), positive((3,)), (3,))]),
    OpSpec("normalize_batch_in_training-last",
           lambda x, g, b: K.normalize_batch_in_training(x, g, b, [0, 1]),
           lambda x, g, b: ref_normalize_in_training(x, g, b, (0, 1)),
           [((4, 2, 3), (3,), (3,))], grad2=True),
    OpSpec("normalize_batch_in_training-channels-first",
           lambda x, g, b: K.normalize_batch_in_training(x, g, b, [0, 2, 3]),
           lambda x, g, b: ref_normalize_in_training(x, g, b, (0, 2, 3)),
           [((3, 2, 2, 2), (2,), (2,))]),
]
