"""Kernels of the linear-algebra ops."""
from .registry import kernel


@kernel("MatMul")
def _matmul(ctx, op, a, b):
    # Transposes are strided views: BLAS reads them as transposed operands, with no copy.
    if op.transpose_a:
        a = a.swapaxes(-1, -2)
    if op.transpose_b:
        b = b.swapaxes(-1, -2)
    return ctx.xp.matmul(a, b)


@kernel("TensorDot")
def _tensordot(ctx, op, a, b):
    return ctx.xp.tensordot(a, b, axes=(list(op.axes_a), list(op.axes_b)))


@kernel("Transpose")
def _transpose(ctx, op, x):
    return ctx.xp.transpose(x, op.perm)
