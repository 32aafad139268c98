"""The training step's allreduce as a graph op, so that ``fit``'s compiled step averages
gradients between computing them and applying them.

:func:`average_gradients` packs the gradients of one dtype into one flat buffer (``reshape``
and ``concatenate``, with the check element of :mod:`.collectives` at its end), runs
:class:`AllreduceMean` on it and splits the mean back into tensors of the gradients' shapes.
The compiler runs nodes in creation order, so the op runs after every gradient it packs is
computed and before any update that reads the mean: one collective per step and dtype, in
the same order on every rank.

The op lives here rather than in ``hilayers.backend`` because only this package knows MPI;
it uses the engine's public contract (``Op`` and the kernel table). It is not pure (the
compiler never merges or folds it) and has no gradient.

Example:
    >>> import numpy as np
    >>> from hilayers import backend as K
    >>> from hilayers.distribute.graph_ops import average_gradients
    >>> w = K.variable(np.ones((2, 2)), name="w")
    >>> (g,) = average_gradients([K.gradients(K.sum(w * 3.0), [w])[0]], [w])
    >>> K.function([], [g])([])[0].tolist()       # one process: the mean is its own gradient
    [[3.0, 3.0], [3.0, 3.0]]
"""
import numpy as np

from .. import backend as K
from ..backend.errors import ShapeError
from ..backend.kernels import kernel
from . import collectives
from .runtime import context as current_context

GRADIENT_KIND = "gradients"


class AllreduceMean(K.Op):
    """``packed[:-1]`` averaged over every rank; ``packed[-1]`` is the check element
    ``check_code``, verified after the sum and dropped.

    Input: a 1-D float tensor of static length ``n + 1``. Output: length ``n``, same dtype.
    """

    props = ("check_code",)
    pure = False

    def infer(self, packed):
        if packed.ndim != 1 or packed.shape[0] is None or packed.dtype.kind != "f":
            raise ShapeError(f"AllreduceMean: expected a 1-D float tensor of known length; "
                             f"received shape {packed.shape} and dtype {packed.dtype.name}.")
        return (packed.shape[0] - 1,), packed.dtype


@kernel("AllreduceMean")
def _allreduce_mean(ctx, op, packed):
    context = current_context()
    what = "the gradient allreduce of a training step"
    if ctx.impl.name == "cupy":
        from .nccl import allreduce_sum
        total = allreduce_sum(context, packed, GRADIENT_KIND, what)
        collectives.verify(context, total[-1], op.check_code, what)
    else:
        total = collectives.allreduce_sum_checked(context, packed, op.check_code,
                                                  GRADIENT_KIND, what)
    mean = total[:-1]
    mean *= mean.dtype.type(1.0 / context.size)
    return mean


def average_gradients(gradients, variables):
    """The mean of each gradient over all ranks, as graph tensors.

    Args:
        gradients: tensors (or None, passed through) from ``K.gradients``.
        variables: the variables they belong to (their static shapes size the pieces).

    Returns:
        a list like ``gradients``. With one process, ``gradients`` itself (no op is added).
    """
    gradients = list(gradients)
    if current_context().size == 1:
        return gradients
    groups = {}
    for index, grad in enumerate(gradients):
        if grad is not None:
            groups.setdefault(grad.dtype, []).append(index)
    out = list(gradients)
    with K.name_scope("allreduce"):
        for dtype, indexes in groups.items():
            shapes = [tuple(variables[i].shape) for i in indexes]
            sizes = [int(np.prod(s, dtype=np.int64)) for s in shapes]
            code = collectives.check_code(GRADIENT_KIND, sum(sizes))
            pieces = [K.reshape(gradients[i], (-1,)) for i in indexes]
            check = K.constant(np.array([code], dtype=dtype))
            mean = AllreduceMean(check_code=code)(K.concatenate(pieces + [check], axis=0))
            parts = K.split(mean, sizes, axis=0) if len(sizes) > 1 else [mean]
            for i, part, shape in zip(indexes, parts, shapes):
                out[i] = K.reshape(part, shape)
    return out
