"""Op table rows: fused cross-entropies and the Keras-backend cross-entropy helpers."""
import numpy as np

from hilayers import backend as K

from ..opspec import ErrorCase, OpSpec

EPS = 1e-7


# -- NumPy references, written simply in float64 --------------------------------------------

def np_log_softmax(x, axis=-1):
    x = np.asarray(x, np.float64)
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def ref_softmax_ce(labels, logits, axis=-1):
    return -(labels.astype(np.float64) * np_log_softmax(logits, axis)).sum(axis=axis)


def ref_sparse_ce(labels, logits):
    logp = np_log_softmax(logits, -1)
    return -np.take_along_axis(logp, labels[..., None].astype(np.int64), axis=-1)[..., 0]


def ref_sigmoid_ce(labels, logits):
    x, z = logits.astype(np.float64), labels.astype(np.float64)
    return np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x)))


def clip_probabilities(p, dtype):
    """Clip to ``[EPS, 1 - EPS]`` with the bounds rounded to ``dtype`` (1 - 1e-7 is
    0.99999988 in float32), as the engine does; return float64."""
    one, eps = np.dtype(dtype).type(1), np.dtype(dtype).type(EPS)
    return np.clip(p.astype(dtype), eps, one - eps).astype(np.float64)


def ref_categorical(target, output, axis=-1):
    p = output / output.sum(axis=axis, keepdims=True)
    p = clip_probabilities(p, output.dtype)
    return -(target * np.log(p)).sum(axis=axis)


def ref_sparse_categorical(target, output):
    logits = np.log(clip_probabilities(output, output.dtype))
    return ref_sparse_ce(target.reshape(output.shape[:-1]), logits)


def ref_binary(target, output):
    p = clip_probabilities(output, output.dtype)
    return -(target * np.log(p) + (1 - target) * np.log(1 - p))


# -- sample generators ----------------------------------------------------------------------

def distribution(shape):
    """Rows that are probability distributions along the last axis."""
    return lambda r: r.dirichlet(np.ones(shape[-1]), size=shape[:-1])


def uniform(low, high, shape):
    return lambda r: r.uniform(low, high, size=shape)


def expect_op(out, op_name):
    """Check (at build time) that a helper chose the fused op; return ``out``."""
    assert type(out.op).__name__ == op_name, f"expected a {op_name} node, built {out.op!r}"
    return out


LABELS_5 = np.array([0, 4, 2, 1], dtype=np.int32)
LABELS_2x3 = np.array([[3, 0, 1], [2, 2, 0]], dtype=np.int64)


def _ph(shape, dtype="float32"):
    return K.placeholder(shape, dtype=dtype)


SPECS = [
    # softmax_cross_entropy_with_logits
    OpSpec("softmax_ce", K.softmax_cross_entropy_with_logits, ref_softmax_ce,
           [((4, 5), (4, 5)), ((3,), (3,)), (distribution((2, 3, 4)), (2, 3, 4))], grad2=True,
           errors=[
               ErrorCase(lambda: K.softmax_cross_entropy_with_logits(_ph((4, 5)), _ph((4, 6))),
                         K.ShapeError, r"SoftmaxCrossEntropyWithLogits: labels .* have shape "
                                       r"\(4, 5\) and logits .* have shape \(4, 6\)"),
               ErrorCase(lambda: K.softmax_cross_entropy_with_logits(_ph((4, 5), "int32"),
                                                                     _ph((4, 5), "int32")),
                         K.DTypeError, r"SoftmaxCrossEntropyWithLogits: labels .* have dtype "
                                       r"int32; expected a float dtype"),
               ErrorCase(lambda: K.softmax_cross_entropy_with_logits(_ph((4, 5)), _ph((4, 5)),
                                                                     axis=2),
                         K.InvalidArgumentError, r"SoftmaxCrossEntropyWithLogits: axis 2 is "
                                                 r"out of range for an input of rank 2"),
               ErrorCase(lambda: K.softmax_cross_entropy_with_logits(_ph(()), _ph(())),
                         K.InvalidArgumentError, r"SoftmaxCrossEntropyWithLogits: logits .* "
                                                 r"are a scalar")]),
    OpSpec("softmax_ce-axis1",
           lambda t, z: K.softmax_cross_entropy_with_logits(t, z, axis=1),
           lambda t, z: ref_softmax_ce(t, z, axis=1), [((2, 4, 3), (2, 4, 3))], grad2=True),
    OpSpec("softmax_ce-large-logits", K.softmax_cross_entropy_with_logits, ref_softmax_ce,
           [(distribution((3, 4)), lambda r: r.standard_normal((3, 4)) * 1e4)], rtol=1e-5,
           atol=1e-2),

    # sparse_softmax_cross_entropy_with_logits
    OpSpec("sparse_softmax_ce", K.sparse_softmax_cross_entropy_with_logits, ref_sparse_ce,
           [(LABELS_5, (4, 5)), (LABELS_2x3, (2, 3, 4)), (np.array(2), (3,))], grad2=True,
           errors=[
               ErrorCase(lambda: K.sparse_softmax_cross_entropy_with_logits(
                   _ph((4,), "int32"), _ph((3, 5))), K.ShapeError,
                   r"SparseSoftmaxCrossEntropyWithLogits: labels .* have shape \(4,\) and "
                   r"logits .* have shape \(3, 5\); expected labels of the logits' shape "
                   r"without its last axis"),
               ErrorCase(lambda: K.sparse_softmax_cross_entropy_with_logits(
                   _ph((4,)), _ph((4, 5))), K.DTypeError,
                   r"SparseSoftmaxCrossEntropyWithLogits: labels .* have dtype float32; "
                   r"expected an integer dtype"),
               ErrorCase(lambda: K.Session().run(K.sparse_softmax_cross_entropy_with_logits(
                   K.constant(np.array([1, 5, -1], np.int32)), K.constant(np.zeros((3, 5))))),
                   K.InvalidArgumentError,
                   r"SparseSoftmaxCrossEntropyWithLogits: label 5 is out of range for logits "
                   r"with 5 classes; expected labels in \[0, 5\) \(2 of 3 labels")]),
    OpSpec("sparse_softmax_ce-large-logits", K.sparse_softmax_cross_entropy_with_logits,
           ref_sparse_ce, [(LABELS_5, lambda r: r.standard_normal((4, 5)) * 1e4)], atol=1e-2),

    # sigmoid_cross_entropy_with_logits
    OpSpec("sigmoid_ce", K.sigmoid_cross_entropy_with_logits, ref_sigmoid_ce,
           [(uniform(0, 1, (3, 4)), (3, 4)), ((5,), (5,)), ((), ())], grad2=True,
           errors=[ErrorCase(lambda: K.sigmoid_cross_entropy_with_logits(_ph((3,)), _ph((4,))),
                             K.ShapeError, r"SigmoidCrossEntropyWithLogits: labels .* have "
                                           r"shape \(3,\) and logits .* have shape \(4,\)")]),
    OpSpec("sigmoid_ce-large-logits", K.sigmoid_cross_entropy_with_logits, ref_sigmoid_ce,
           [(uniform(0, 1, (6,)), lambda r: np.array([1e4, -1e4, 3e3, -3e3, 1e4, -50.0]))],
           atol=1e-3),

    # Keras-backend helpers
    OpSpec("categorical_crossentropy", K.categorical_crossentropy, ref_categorical,
           [(distribution((4, 5)), uniform(0.05, 1.0, (4, 5))),
            (distribution((3,)), uniform(0.05, 1.0, (3,)))],
           errors=[ErrorCase(lambda: K.categorical_crossentropy(_ph((2, 3)), _ph((2, 4))),
                             K.ShapeError, r"categorical_crossentropy: target .* have shape "
                                           r"\(2, 3\) and output .* have shape \(2, 4\)")]),
    OpSpec("categorical_crossentropy-clipped", K.categorical_crossentropy, ref_categorical,
           [(distribution((2, 3)), lambda r: np.array([[0.0, 0.3, 0.7], [1.0, 0.0, 0.0]]))],
           grad=False),
    OpSpec("categorical_crossentropy-axis0",
           lambda t, p: K.categorical_crossentropy(t, p, axis=0),
           lambda t, p: ref_categorical(t, p, axis=0),
           [(uniform(0, 1, (3, 2)), uniform(0.05, 1.0, (3, 2)))]),
    OpSpec("categorical_crossentropy-logits",
           lambda t, z: expect_op(K.categorical_crossentropy(t, z, from_logits=True),
                                  "SoftmaxCrossEntropyWithLogits"),
           ref_softmax_ce, [(distribution((4, 5)), (4, 5))]),
    OpSpec("categorical_crossentropy-of-softmax",
           lambda t, z: expect_op(K.categorical_crossentropy(t, K.softmax(z)),
                                  "SoftmaxCrossEntropyWithLogits"),
           ref_softmax_ce, [(distribution((4, 5)), (4, 5))]),
    OpSpec("sparse_categorical_crossentropy", K.sparse_categorical_crossentropy,
           ref_sparse_categorical,
           [(LABELS_5, uniform(0.05, 1.0, (4, 5))),
            (LABELS_5.reshape(4, 1), uniform(0.05, 1.0, (4, 5))),
            (LABELS_2x3, uniform(0.05, 1.0, (2, 3, 4))),
            (lambda r: np.array([1.0, 0.0, 2.0]), uniform(0.05, 1.0, (3, 3)))], grad=(1,)),
    OpSpec("sparse_categorical_crossentropy-logits",
           lambda t, z: K.sparse_categorical_crossentropy(t, z, from_logits=True),
           ref_sparse_ce, [(LABELS_5, (4, 5))]),
    OpSpec("sparse_categorical_crossentropy-of-softmax",
           lambda t, z: K.sparse_categorical_crossentropy(t, K.softmax(z)),
           ref_sparse_ce, [(LABELS_5, (4, 5))]),
    OpSpec("sparse_categorical_crossentropy-axis1",
           lambda t, z: K.sparse_categorical_crossentropy(t, z, from_logits=True, axis=1),
           lambda t, z: ref_sparse_ce(t, np.moveaxis(z, 1, -1)),
           [(np.array([[0, 3], [2, 1]]), (2, 4, 2))]),
    OpSpec("binary_crossentropy", K.binary_crossentropy, ref_binary,
           [(uniform(0, 1, (3, 4)), uniform(0.05, 0.95, (3, 4))),
            (uniform(0, 1, (5,)), uniform(0.05, 0.95, (5,)))], rtol=1e-4,
           errors=[ErrorCase(lambda: K.binary_crossentropy(_ph((3,)), _ph((4,))),
                             K.ShapeError, r"SigmoidCrossEntropyWithLogits: labels .* have "
                                           r"shape \(3,\) and logits .* have shape \(4,\)")]),
    OpSpec("binary_crossentropy-clipped", K.binary_crossentropy, ref_binary,
           [(uniform(0, 1, (4,)), lambda r: np.array([0.0, 1.0, 0.5, 1e-9]))], grad=False,
           rtol=1e-4),
    OpSpec("binary_crossentropy-logits",
           lambda t, z: expect_op(K.binary_crossentropy(t, z, from_logits=True),
                                  "SigmoidCrossEntropyWithLogits"),
           ref_sigmoid_ce, [(uniform(0, 1, (3, 4)), (3, 4))]),
    OpSpec("binary_crossentropy-of-sigmoid",
           lambda t, z: expect_op(K.binary_crossentropy(t, K.sigmoid(z)),
                                  "SigmoidCrossEntropyWithLogits"),
           ref_sigmoid_ce, [(uniform(0, 1, (3, 4)), (3, 4))]),
]
