"""Op table rows: max / average pooling, 2-D and 1-D (NHWC, TensorFlow padding rules).

References loop over output positions and clip each window to the image, so padding never
counts (max ignores it, average divides by the real pixels).
"""
import numpy as np

from hilayers import backend as K

from ..opspec import ErrorCase, OpSpec


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _out_and_pad(n, k, s, padding):
    if padding == "valid":
        return (n - k) // s + 1, 0
    out = (n + s - 1) // s
    return out, max((out - 1) * s + k - n, 0) // 2


def ref_pool2d(x, pool, strides=None, padding="valid", reduce=np.max):
    (ph, pw) = _pair(pool)
    (sh, sw) = _pair(pool if strides is None else strides)
    n, h, w, c = x.shape
    oh, top = _out_and_pad(h, ph, sh, padding)
    ow, left = _out_and_pad(w, pw, sw, padding)
    y = np.zeros((n, oh, ow, c), dtype=x.dtype)
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * sh - top, j * sw - left
            window = x[:, max(r0, 0):min(r0 + ph, h), max(c0, 0):min(c0 + pw, w), :]
            y[:, i, j, :] = reduce(window, axis=(1, 2))
    return y


def ref_pool1d(x, pool, strides=None, padding="valid", reduce=np.max):
    return ref_pool2d(x[:, None], (1, pool), (1, pool if strides is None else strides),
                      padding, reduce)[:, 0]


def _distinct(shape):
    """Values with no ties (and gaps well above the finite-difference step) in random order,
    so the max-pool derivative is defined."""
    def make(rng):
        size = int(np.prod(shape))
        return (rng.permutation(size) * 0.1 - size * 0.05).reshape(shape)
    return make


def pool_spec(name, fn, reduce, samples, pool, strides=None, padding="valid", **kw):
    return OpSpec(name, lambda x: fn(x, pool, strides, padding),
                  lambda x: ref_pool2d(x, pool, strides, padding, reduce), samples, **kw)


def pool1d_spec(name, fn, reduce, samples, pool, strides=None, padding="valid", **kw):
    return OpSpec(name, lambda x: fn(x, pool, strides, padding),
                  lambda x: ref_pool1d(x, pool, strides, padding, reduce), samples, **kw)


def _max_pool_grad(x, g, pool=3, strides=2, padding="same"):
    """The max-pool gradient as a function of (x, upstream g): checks MaxPool2DGrad's values
    and, through its own gradient, MaxPool2DGradGrad."""
    return K.gradients(K.sum(K.max_pool2d(x, pool, strides, padding) * g), [x])[0]


def _ref_max_pool_grad(x, g, pool=3, strides=2, padding="same"):
    n, h, w, c = x.shape
    oh, top = _out_and_pad(h, pool, strides, padding)
    ow, left = _out_and_pad(w, pool, strides, padding)
    dx = np.zeros_like(x)
    for b in range(n):
        for ch in range(c):
            for i in range(oh):
                for j in range(ow):
                    best = None
                    for a in range(pool):
                        for bb in range(pool):
                            r, q = i * strides + a - top, j * strides + bb - left
                            if 0 <= r < h and 0 <= q < w and (best is None or
                                                              x[b, r, q, ch] > x[b][best][ch]):
                                best = (r, q)
                    dx[b, best[0], best[1], ch] += g[b, i, j, ch]
    return dx


def _ph(*shape, dtype="float32"):
    return K.placeholder(shape, dtype=dtype)


MAX_ERRORS = [
    ErrorCase(lambda: K.max_pool2d(_ph(2, 5, 5), 2), K.ShapeError,
              r"MaxPool2D: input .* has shape \(2, 5, 5\) \(rank 3\) \(pool_size \(2, 2\), "
              r"strides \(2, 2\)\); expected a rank-4 input"),
    ErrorCase(lambda: K.max_pool2d(_ph(2, 5, 5, 1), 2, padding="full"),
              K.InvalidArgumentError,
              r"MaxPool2D: padding 'full' is not supported \(input shape \(2, 5, 5, 1\), "
              r"pool_size \(2, 2\)\); expected 'valid' or 'same'"),
    ErrorCase(lambda: K.max_pool2d(_ph(2, 5, 2, 1), 3), K.ShapeError,
              r"MaxPool2D: the pool window is larger than the input \(input shape "
              r"\(2, 5, 2, 1\), pool_size \(3, 3\)\): width 3 > 2"),
    ErrorCase(lambda: K.max_pool2d(_ph(2, 5, 5, 1), (2, 0)), K.InvalidArgumentError,
              r"MaxPool2D: pool_size must be a positive int or a pair"),
    ErrorCase(lambda: K.max_pool1d(_ph(2, 5, 5, 1), 2), K.ShapeError,
              r"MaxPool1D: input .* has shape \(2, 5, 5, 1\) \(rank 4\); expected a rank-3"),
    ErrorCase(lambda: K.max_pool1d(_ph(2, 2, 1), 3), K.ShapeError,
              r"MaxPool1D: the pool window is larger than the input"),
]

AVG_ERRORS = [
    ErrorCase(lambda: K.avg_pool2d(_ph(2, 5, 5, 1, dtype="int32"), 2), K.DTypeError,
              r"AvgPool2D: input .* has dtype int32; expected a float dtype"),
    ErrorCase(lambda: K.avg_pool2d(_ph(2, 5, 5, 1), 2, padding="causal"),
              K.InvalidArgumentError, r"AvgPool2D: padding 'causal' is not supported"),
    ErrorCase(lambda: K.avg_pool1d(_ph(2, 5, 1), 2, strides=(1, 2)), K.InvalidArgumentError,
              r"AvgPool1D: strides must be a positive int"),
]

SPECS = [
    pool_spec("max_pool2d_2x2", K.max_pool2d, np.max,
              [(_distinct((2, 4, 4, 2)),), (_distinct((2, 5, 7, 3)),), (_distinct((1, 6, 6, 1)),)],
              pool=2, errors=MAX_ERRORS),
    pool_spec("max_pool2d_3s2_valid", K.max_pool2d, np.max,
              [(_distinct((2, 5, 5, 2)),), (_distinct((1, 6, 7, 1)),)], pool=3, strides=2),
    pool_spec("max_pool2d_3s2_same", K.max_pool2d, np.max,
              [(_distinct((2, 5, 5, 2)),), (_distinct((1, 6, 7, 3)),)], pool=3, strides=2,
              padding="same", grad2=True),
    pool_spec("max_pool2d_2x3_s1_same", K.max_pool2d, np.max,
              [(_distinct((2, 4, 5, 1)),)], pool=(2, 3), strides=1, padding="same"),
    pool_spec("max_pool2d_2_same", K.max_pool2d, np.max,
              [(_distinct((2, 5, 5, 2)),)], pool=2, padding="same"),
    pool_spec("avg_pool2d_2x2", K.avg_pool2d, np.mean,
              [((2, 4, 4, 2),), ((2, 5, 7, 3),)], pool=2, grad2=True, errors=AVG_ERRORS),
    pool_spec("avg_pool2d_3s2_valid", K.avg_pool2d, np.mean, [((2, 5, 5, 2),), ((1, 6, 7, 1),)],
              pool=3, strides=2),
    pool_spec("avg_pool2d_3s2_same", K.avg_pool2d, np.mean, [((2, 5, 5, 2),), ((1, 6, 7, 3),)],
              pool=3, strides=2, padding="same", grad2=True),
    pool_spec("avg_pool2d_2x3_s1_same", K.avg_pool2d, np.mean, [((2, 4, 5, 1),)],
              pool=(2, 3), strides=1, padding="same"),
    pool1d_spec("max_pool1d", K.max_pool1d, np.max,
                [(_distinct((2, 7, 2)),), (_distinct((1, 6, 1)),)], pool=2),
    pool1d_spec("max_pool1d_3s2_same", K.max_pool1d, np.max, [(_distinct((2, 7, 3)),)],
                pool=3, strides=2, padding="same"),
    pool1d_spec("avg_pool1d", K.avg_pool1d, np.mean, [((2, 7, 2),)], pool=2),
    pool1d_spec("avg_pool1d_3s2_same", K.avg_pool1d, np.mean, [((2, 7, 3),)], pool=3,
                strides=2, padding="same"),
    OpSpec("max_pool2d_grad_3s2_same", _max_pool_grad, _ref_max_pool_grad,
           [(_distinct((2, 5, 5, 2)), (2, 3, 3, 2)), (_distinct((1, 6, 7, 1)), (1, 3, 4, 1))],
           grad2=True),
    # Ties go to the first maximum in row-major order; only d/dg is defined there.
    OpSpec("max_pool2d_grad_ties", lambda x, g: _max_pool_grad(x, g, 2, 1, "valid"),
           lambda x, g: _ref_max_pool_grad(x, g, 2, 1, "valid"),
           [(lambda r: r.integers(0, 2, size=(2, 4, 5, 2)).astype(float), (2, 3, 4, 2)),
            (lambda r: np.zeros((1, 3, 3, 1)), (1, 2, 2, 1))], grad=(1,), grad2=True),
]
