"""Kernels of the linear-algebra ops.

On NumPy a large 2-D matrix product is cut into bands of output rows (or columns) that the
threads of :mod:`._parallel` compute at the same time, each band one single-threaded BLAS
call (the plan keeps OpenBLAS on one thread while it runs, see
:mod:`hilayers.backend.compiler`). A band is the same product on fewer rows, so every
output number is the same dot product, summed in the same order, whichever thread computes
it; the bands depend on the shapes only. The plain ``matmul`` is the reference.
"""
import numpy as np

from . import _parallel as par
from .activations import relu_into
from .registry import kernel

#: Products of fewer floating-point operations than this are not cut (about 80 us).
SPLIT_MIN_FLOPS = 8 << 20
#: Each band holds at least this many multiply-adds (``rows * k * cols``): smaller
#: products take OpenBLAS's small-matrix kernels, which may sum in another order.
BAND_MIN_MADDS = 4 << 20
#: At most this many bands; 2 measured fastest on 2 CPUs (128x784 @ 784x512: 0.61 ms in 2
#: bands, 0.72 ms in 4, 1.06 ms on one thread).
MAX_BANDS = 2
#: Band edges fall on multiples of this (the BLAS kernels' tile height).
BAND_ALIGN = 16


def _operands(op, a, b):
    # Transposes are strided views: BLAS reads them as transposed operands, with no copy.
    if op.transpose_a:
        a = a.swapaxes(-1, -2)
    if op.transpose_b:
        b = b.swapaxes(-1, -2)
    return a, b


@kernel("MatMul")
def _matmul(ctx, op, a, b):
    a, b = _operands(op, a, b)
    return ctx.xp.matmul(a, b)


def bands(m, k, n, by_columns):
    """``(count, bounds)`` of the bands of an ``(m, k) @ (k, n)`` product: ``bounds(i)`` is
    the ``(start, stop)`` of band ``i`` along the output's rows (or columns)."""
    length = n if by_columns else m
    other = m if by_columns else n
    count = 1
    if 2 * m * k * n >= SPLIT_MIN_FLOPS:
        count = min(MAX_BANDS, length // BAND_ALIGN,
                    (length * k * other) // BAND_MIN_MADDS)
    count = max(1, count)

    def bounds(i):
        start = length * i // count // BAND_ALIGN * BAND_ALIGN
        stop = length if i == count - 1 else length * (i + 1) // count // BAND_ALIGN * BAND_ALIGN
        return start, stop
    return count, bounds


@kernel("MatMul", impl="numpy")
def _matmul_numpy(ctx, op, a, b):
    """:func:`_matmul`, in bands over the threads for large 2-D float products."""
    return matmul_bias_relu(op, a, b)


def matmul_bias_relu(op, a, b, bias=None, relu=False):
    """A NumPy ``MatMul`` in bands (see the module docstring), then optionally ``+ bias``
    (one number per output column) and a ReLU on each band while it is in cache
    (:mod:`hilayers.backend.fusion`)."""
    a, b = _operands(op, a, b)
    if a.ndim != 2 or b.ndim != 2 or a.dtype != b.dtype or a.dtype.kind != "f":
        return _finish(np.matmul(a, b), bias, relu)
    (m, k), n = a.shape, b.shape[1]
    # Columns when b is a transposed view (its column bands are contiguous rows of the
    # stored matrix), else rows; measured on the MLP's products: 128x512 @ (512x512)^T
    # 0.53 ms by columns, 0.60 ms by rows.
    by_columns = b.flags.f_contiguous and not b.flags.c_contiguous
    count, bounds = bands(m, k, n, by_columns)
    if count == 1:
        return _finish(np.matmul(a, b), bias, relu)
    out = np.empty((m, n), dtype=a.dtype)

    def work(i, slot):
        start, stop = bounds(i)
        if by_columns:
            part = out[:, start:stop]
            np.matmul(a, b[:, start:stop], out=part)
            _finish(part, None if bias is None else bias[start:stop], relu)
        else:
            part = out[start:stop]
            np.matmul(a[start:stop], b, out=part)
            _finish(part, bias, relu)
    par.run_blocks(work, count, par.threads_for(count))
    return out


def _finish(out, bias, relu):
    """``out += bias`` and ``out = max(out, 0)`` in place, as the unfused steps compute."""
    if bias is not None:
        np.add(out, bias, out=out)
    if relu:
        relu_into(out, out)
    return out


def fused_matmul(relu):
    """The kernel of a fused ``MatMul -> Add(bias) [-> Relu]`` step,
    ``fn(ctx, op, a, b, bias)`` (:func:`hilayers.backend.fusion.fuse_conv_bias_relu`)."""
    def matmul_bias(ctx, op, a, b, bias):
        return matmul_bias_relu(op, a, b, bias.reshape(-1), relu)
    matmul_bias.__name__ = "matmul_bias_relu" if relu else "matmul_bias"
    matmul_bias.ends_with_relu = relu
    return matmul_bias


@kernel("TensorDot")
def _tensordot(ctx, op, a, b):
    return ctx.xp.tensordot(a, b, axes=(list(op.axes_a), list(op.axes_b)))


@kernel("Transpose")
def _transpose(ctx, op, x):
    return ctx.xp.transpose(x, op.perm)
