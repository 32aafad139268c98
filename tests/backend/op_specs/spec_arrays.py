"""Op table rows: reshaping, joining, splitting, padding and array creation."""
import numpy as np

from hilayers import backend as K

from ..opspec import ErrorCase, OpSpec


def _np_split(x, n, axis):
    return np.split(x, n, axis=axis)


def _concat_mismatch():
    return K.concatenate([K.placeholder((2, 3)), K.placeholder((3, 3))], axis=1)


def _shape_gradient():
    x = K.placeholder((2,), dtype="float64")
    return K.gradients(K.shape(x), [x])


SPECS = [
    # -- reshaping ---------------------------------------------------------------------------
    OpSpec("reshape", lambda x: K.reshape(x, (4, -1)), lambda x: x.reshape(4, -1),
           [((2, 3, 4),), ((4, 1),)], grad2=True,
           errors=[ErrorCase(lambda: K.reshape(K.placeholder((2, 3)), (4, 2)), K.ShapeError,
                             r"Reshape: cannot reshape input .* of shape \(2, 3\) \(6 elements\)"
                             r" to \(4, 2\)"),
                   ErrorCase(lambda: K.reshape(K.placeholder((2, 3)), (4, -1)), K.ShapeError,
                             "Reshape: cannot reshape"),
                   ErrorCase(lambda: K.reshape(K.placeholder((2, 3)), (-1, -1)),
                             K.InvalidArgumentError, "Reshape: target shape")]),
    OpSpec("reshape-static", lambda x: K.reshape(x, (3, 2, 2)), lambda x: x.reshape(3, 2, 2),
           [((12,),), ((2, 6),)]),
    OpSpec("expand_dims", lambda x: K.expand_dims(x, -1), lambda x: np.expand_dims(x, -1),
           [((2, 3),), ((),)], grad2=True,
           errors=[ErrorCase(lambda: K.expand_dims(K.placeholder((2,)), 3),
                             K.InvalidArgumentError, "ExpandDims: axis 3")]),
    OpSpec("squeeze", lambda x: K.squeeze(x, axis=(1, -1)), lambda x: np.squeeze(x, (1, 3)),
           [((3, 1, 2, 1),)], grad2=True,
           errors=[ErrorCase(lambda: K.squeeze(K.placeholder((2, 3)), axis=1), K.ShapeError,
                             r"Squeeze: axis 1 of input .* \(shape \(2, 3\)\) has size 3"),
                   ErrorCase(lambda: K.squeeze(K.placeholder((None, 1))), K.ShapeError,
                             "Squeeze: axis=None needs every dim known")]),
    OpSpec("squeeze-all", K.squeeze, np.squeeze, [((1, 3, 1),), ((2, 3),)],
           unknown_dims=False),
    OpSpec("flatten", K.flatten, np.ravel, [((2, 3, 4),), ((),)]),
    OpSpec("batch_flatten", K.batch_flatten, lambda x: x.reshape(x.shape[0], -1),
           [((2, 3, 4),), ((3,),), ((2, 0, 3),)],
           errors=[ErrorCase(lambda: K.batch_flatten(K.placeholder(())), K.ShapeError,
                             "BatchFlatten: input")]),
    OpSpec("broadcast_to", lambda x: K.broadcast_to(x, (2, 3, 4)),
           lambda x: np.broadcast_to(x, (2, 3, 4)), [((3, 1),), ((4,),), ((),), ((2, 3, 4),)],
           grad2=True,
           errors=[ErrorCase(lambda: K.broadcast_to(K.placeholder((2, 3)), (3, 3)),
                             K.ShapeError, r"BroadcastTo: input .* of shape \(2, 3\) cannot be"
                                           r" broadcast to \(3, 3\)")]),
    # -- joining and splitting -----------------------------------------------------------
    OpSpec("concatenate", lambda a, b, c: K.concatenate([a, b, c], axis=1),
           lambda a, b, c: np.concatenate([a, b, c], axis=1),
           [((2, 3), (2, 1), (2, 4)), ((2, 0, 3), (2, 2, 3), (2, 1, 3))], grad2=True,
           errors=[ErrorCase(_concat_mismatch, K.ShapeError,
                             r"Concatenate: input 1 .* has shape \(3, 3\), input 0 has shape "
                             r"\(2, 3\)"),
                   ErrorCase(lambda: K.concatenate([K.placeholder((2, 3)),
                                                    K.placeholder((2, 3, 1))]),
                             K.ShapeError, "Concatenate: input 1"),
                   ErrorCase(lambda: K.concatenate([K.placeholder((2,)),
                                                    K.placeholder((2,), dtype="int32")]),
                             K.DTypeError, "Concatenate: inputs have dtypes"),
                   ErrorCase(lambda: K.concatenate([]), K.InvalidArgumentError,
                             "Concatenate: expected at least one tensor")]),
    OpSpec("concatenate-last", lambda a, b: K.concatenate([a, b]),
           lambda a, b: np.concatenate([a, b], axis=-1), [((2, 3), (2, 4)), ((5,), (1,))]),
    OpSpec("stack", lambda a, b, c: K.stack([a, b, c], axis=1),
           lambda a, b, c: np.stack([a, b, c], axis=1), [((2, 3),) * 3, ((4,),) * 3],
           grad2=True,
           errors=[ErrorCase(lambda: K.stack([K.placeholder((2, 3)), K.placeholder((3, 2))]),
                             K.ShapeError, r"Stack: inputs have shapes \(2, 3\), \(3, 2\)")]),
    OpSpec("stack-last", lambda a, b: K.stack([a, b], axis=-1),
           lambda a, b: np.stack([a, b], axis=-1), [((2, 3), (2, 3)), ((), ())]),
    OpSpec("split-num", lambda x: K.split(x, 3, axis=1), lambda x: _np_split(x, 3, 1),
           [((2, 6),), ((2, 3, 4),)], grad2=True,
           errors=[ErrorCase(lambda: K.split(K.placeholder((2, 5)), 2, axis=1), K.ShapeError,
                             "Split: axis 1 of input .* has size 5, which does not divide")]),
    OpSpec("split-sizes", lambda x: K.split(x, [1, -1, 2], axis=-1),
           lambda x: np.split(x, [1, x.shape[-1] - 2], axis=-1), [((3, 6),), ((7,),)],
           grad2=True,
           errors=[ErrorCase(lambda: K.split(K.placeholder((2, 5)), [2, 2], axis=1),
                             K.ShapeError, r"Split: sizes \[2, 2\] do not add up to the size 5"),
                   ErrorCase(lambda: K.split(K.placeholder((2, 5)), [2, -1, -1]),
                             K.InvalidArgumentError, "Split: sizes")]),
    OpSpec("split-one-output", lambda x: K.split(x, 1, axis=0)[0], lambda x: x, [((3, 2),)]),
    OpSpec("split-partial-grad", lambda x: K.split(x, 2, axis=0)[1], lambda x: x[2:],
           [((4, 3),)]),
    # -- enlarging -------------------------------------------------------------------------
    OpSpec("tile", lambda x: K.tile(x, (2, 1, 3)), lambda x: np.tile(x, (2, 1, 3)),
           [((2, 3, 4),), ((1, 2, 1),)], grad2=True,
           errors=[ErrorCase(lambda: K.tile(K.placeholder((2, 3)), (2,)),
                             K.InvalidArgumentError, "Tile: multiples")]),
    OpSpec("repeat", lambda x: K.repeat(x, 3, axis=1), lambda x: np.repeat(x, 3, axis=1),
           [((2, 3),), ((2, 1, 4),)], grad2=True,
           errors=[ErrorCase(lambda: K.repeat(K.placeholder((2, 3)), 2, axis=2),
                             K.InvalidArgumentError, "Repeat: axis 2 is out of range")]),
    OpSpec("pad-constant", lambda x: K.pad(x, ((1, 2), (0, 3)), constant_values=1.5),
           lambda x: np.pad(x, ((1, 2), (0, 3)), constant_values=1.5), [((2, 3),), ((1, 1),)],
           grad2=True,
           errors=[ErrorCase(lambda: K.pad(K.placeholder((2, 3)), ((1, 1),)),
                             K.InvalidArgumentError, "Pad: paddings .* has 1 pairs"),
                   ErrorCase(lambda: K.pad(K.placeholder((2,)), ((1, 1),), mode="wrap"),
                             K.InvalidArgumentError, "Pad: mode 'wrap' is unknown")]),
    OpSpec("pad-reflect", lambda x: K.pad(x, ((2, 1), (0, 0), (3, 2)), mode="reflect"),
           lambda x: np.pad(x, ((2, 1), (0, 0), (3, 2)), mode="reflect"), [((3, 2, 4),)],
           grad2=True,
           errors=[ErrorCase(lambda: K.pad(K.placeholder((3,)), ((3, 0),), mode="reflect"),
                             K.InvalidArgumentError,
                             r"Pad: mode 'reflect' pads axis 0 .* \(size 3\) by \(3, 0\)")]),
    OpSpec("pad-symmetric", lambda x: K.pad(x, ((3, 1), (2, 2)), mode="symmetric"),
           lambda x: np.pad(x, ((3, 1), (2, 2)), mode="symmetric"), [((3, 4),), ((3, 2),)],
           grad2=True),
    # -- creation --------------------------------------------------------------------------
    OpSpec("fill", lambda: K.fill((2, 3), 2.5), lambda: np.full((2, 3), 2.5, np.float32),
           [()], grad=False,
           errors=[ErrorCase(lambda: K.fill((2, None), 1.0), K.InvalidArgumentError,
                             "Fill: shape"),
                   ErrorCase(lambda: K.fill((2,), "a"), K.InvalidArgumentError,
                             "Fill: value must be a number")]),
    OpSpec("fill-int", lambda: K.fill((4,), 7, dtype="int32"),
           lambda: np.full((4,), 7, np.int32), [()], grad=False, float_dtype_out=False),
    OpSpec("zeros", lambda: K.zeros((3, 1)), lambda: np.zeros((3, 1), np.float32), [()],
           grad=False),
    OpSpec("ones", lambda: K.ones((2,), dtype="float64"), lambda: np.ones((2,)), [()],
           grad=False),
    OpSpec("zeros-dynamic", lambda x: K.zeros(K.shape(x)), np.zeros_like, [((2, 3),)],
           grad=False),
    OpSpec("shape", K.shape, lambda x: np.array(x.shape, np.int32), [((2, 3, 4),), ((),)],
           grad=False, float_dtype_out=False,
           errors=[ErrorCase(_shape_gradient, K.NotDifferentiableError, "Shape")]),
]
