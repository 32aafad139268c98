"""Op table rows: getitem (``t[...]``), slice, gather, one_hot."""
import numpy as np

from hilayers import backend as K

from ..opspec import ErrorCase, OpSpec

IDX = np.array([[0, 4], [2, 2], [-1, 0]], dtype=np.int64)     # repeated and negative indices
IDX32 = np.array([1, 1, 0], dtype=np.int32)


def _item(name, key, shapes, grad2=True, **kw):
    """A row for ``x[key]`` checked against NumPy's ``x[key]``."""
    return OpSpec(f"getitem-{name}", lambda x: x[key], lambda x: x[key],
                  [(s,) for s in shapes], grad2=grad2, **kw)


def _getitem_error(shape, key, match, error=K.InvalidArgumentError):
    return ErrorCase(lambda: K.placeholder(shape)[key], error, match)


GETITEM_ERRORS = [
    _getitem_error((2, 3), 5, r"getitem: index 5 is out of range for axis 0 of size 2 "
                              r"\(key 5, input shape \(2, 3\)\)"),
    _getitem_error((2, 3), (0, -4), r"getitem: index -4 is out of range for axis 1 of size 3"),
    _getitem_error((2, 3), (0, 1, 2), r"getitem: key \(0, 1, 2\) has 3 indices for input "
                                      r"shape \(2, 3\)"),
    _getitem_error((2, 3), 1.5, r"getitem: unsupported index 1\.5 of type float"),
    _getitem_error((2, 3), ([0, 1], [1, 2]), r"getitem: key .* holds 2 array indices"),
    _getitem_error((2, 3), np.array([True, False]), r"getitem: array index .* dtype bool"),
    _getitem_error((2, 3), ([0, 1], 0), r"getitem: key .* mixes an array index with the int 0"),
    _getitem_error((2, 3), (slice(None), [0, 3]), r"getitem: index 3 is out of range for "
                                                  r"axis 1 of size 3"),
    _getitem_error((2, 3), (Ellipsis, 0, Ellipsis), r"getitem: key .* more than one '\.\.\.'"),
    _getitem_error((2, 3), slice(None, None, 0), "getitem: slice .* has step 0"),
    _getitem_error((2, 3), slice(0.5, None), "getitem: slice .* must hold ints or None"),
    ErrorCase(lambda: K.placeholder((2, 3))[K.placeholder((2,), dtype="bool")],
              IndexError, r"getitem: tensor index .* has dtype bool"),
]

SPECS = [
    _item("int", 1, [(3, 4), (2, 3, 4)], errors=GETITEM_ERRORS),
    _item("negative-int", (-1, -2), [(3, 4), (2, 3, 4)]),
    _item("scalar", (1, 2, 0), [(2, 3, 4)]),
    _item("slice", (slice(1, 3), slice(None, -1)), [(4, 5), (3, 2, 2)]),
    _item("step", (slice(None, None, 2), slice(3, 0, -1)), [(5, 5), (4, 6, 2)]),
    _item("negative-step", (Ellipsis, slice(None, None, -2)), [(3, 5), (7,)]),
    _item("newaxis", (None, slice(None), None, 1), [(3, 4), (2, 3, 4)]),
    _item("ellipsis", (Ellipsis, 0), [(3, 4), (2, 3, 4)]),
    _item("ellipsis-middle", (1, Ellipsis, slice(1, None)), [(2, 3, 4), (2, 3)]),
    _item("empty", (slice(3, 1),), [(4, 2)], grad2=False),
    _item("list", [0, 2, 2, -1], [(4, 3), (3,)]),
    _item("array-axis1", (slice(None), np.array([[1, 0], [1, 1]])), [(2, 3), (4, 2, 5)]),
    _item("array-ellipsis", (Ellipsis, [2, 0]), [(2, 3), (4, 2, 5)]),
    _item("array-with-slices", (slice(None, None, -1), None, [1, 1]), [(3, 4), (2, 3, 2)]),
    OpSpec("getitem-tensor", lambda x, i: x[i], lambda x, i: x[i],
           [((4, 3), IDX32), ((3, 2, 2), np.array(2))], grad2=True),
    OpSpec("getitem-tensor-axis1", lambda x, i: x[:, i], lambda x, i: x[:, i],
           [((4, 3), IDX32)], grad2=True),
    OpSpec("getitem-full", lambda x: x[:], lambda x: x[:], [((2, 3),)]),
    OpSpec("slice", lambda x: K.slice(x, (1, 0), (2, -1)), lambda x: x[1:3, 0:],
           [((4, 3),), ((3, 5),)], grad2=True,
           errors=[ErrorCase(lambda: K.slice(K.placeholder((2, 3)), (1, 1), (2, 1)),
                             K.ShapeError, r"Slice: begin \[1, 1\] with size \[2, 1\] goes "
                                           r"past axis 0"),
                   ErrorCase(lambda: K.slice(K.placeholder((2, 3)), (1,), (1,)),
                             K.InvalidArgumentError, "Slice: begin"),
                   ErrorCase(lambda: K.slice(K.placeholder((2, 3)), (-1, 0), (1, 1)),
                             K.InvalidArgumentError, "Slice: begin")]),
    OpSpec("slice-3d", lambda x: K.slice(x, (0, 1, 2), (-1, 1, 2)), lambda x: x[:, 1:2, 2:4],
           [((2, 3, 4),)], grad2=True),
    OpSpec("gather", lambda p, i: K.gather(p, i), lambda p, i: np.take(p, i, axis=0),
           [((5, 3), IDX), ((5,), IDX32), ((5, 2, 2), np.array(3))], grad2=True,
           errors=[ErrorCase(lambda: K.gather(K.placeholder((3,)), K.placeholder((2,))),
                             K.DTypeError, "Gather: indices .* have dtype float32"),
                   ErrorCase(lambda: K.gather(K.placeholder((3,)), [0], axis=1),
                             K.InvalidArgumentError, "Gather: axis 1 is out of range")]),
    OpSpec("gather-axis1", lambda p, i: K.gather(p, i, axis=1),
           lambda p, i: np.take(p, i, axis=1), [((2, 5), IDX), ((3, 4, 2), IDX32)],
           grad2=True),
    OpSpec("gather-axis-last", lambda p, i: K.gather(p, i, axis=-1),
           lambda p, i: np.take(p, i, axis=-1), [((2, 3, 5), IDX)], grad2=True),
    OpSpec("gather-list", lambda p: K.gather(p, [3, 0, 3]), lambda p: p[[3, 0, 3]],
           [((4, 2),)], grad2=True),
    OpSpec("one_hot", lambda i: K.one_hot(i, 4),
           lambda i: (i[..., None] == np.arange(4)).astype(np.float32),
           [(np.array([0, 3, 1, 5, -1]),), (IDX32,), (IDX,)], grad=False,
           errors=[ErrorCase(lambda: K.one_hot(K.placeholder((2,)), 3), K.DTypeError,
                             "OneHot: indices"),
                   ErrorCase(lambda: K.one_hot(K.placeholder((2,), dtype="int32"), -1),
                             K.InvalidArgumentError, "OneHot: depth")]),
    OpSpec("one_hot-dtype", lambda i: K.one_hot(i, 3, dtype="int32"),
           lambda i: (i[..., None] == np.arange(3)).astype(np.int32), [(IDX32,)], grad=False,
           float_dtype_out=False),
    OpSpec("one_hot-of-argmax", lambda x: K.one_hot(K.argmax(x), 3, dtype=x.dtype) * x,
           lambda x: np.eye(3)[x.argmax(-1)] * x, [((4, 3),)]),
]
