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


SPECS = (
    _rows("sum", K.sum, np.sum, grad2=True)
    + _rows("mean", K.mean, np.mean)
    + [OpSpec("sum-scalar", K.sum, np.sum, [((),), ((5,),)]),
       OpSpec("sum-bad-axis", K.sum, np.sum, [((2,),)], errors=[
           ErrorCase(lambda: K.sum(K.placeholder((2, 3)), axis=2), K.InvalidArgumentError,
                     r"Sum: axis 2 is out of range for an input of rank 2")])]
)
