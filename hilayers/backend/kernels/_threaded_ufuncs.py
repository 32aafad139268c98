"""Large elementwise NumPy operations split over the kernel threads (:mod:`._parallel`).

An elementwise op computes each output number from the numbers at the same position, so
cutting the output into bands of rows (or, when every operand has the output's shape, into
ranges of the flat array) and computing the bands in different threads gives the same
numbers. Only arrays of at least :data:`MIN_SIZE` numbers are split, in blocks of about
:data:`BLOCK` numbers: smaller NumPy calls would spend their time waiting for the GIL
(measured: two threads each making 2-microsecond calls ran slower than one thread, 6-
microsecond calls ran 1.9 times faster). The plain ufunc call is the reference.

Example:
    >>> import numpy as np
    >>> a = np.arange(6, dtype=np.float32).reshape(3, 2)
    >>> out = np.empty_like(a)
    >>> apply(np.add, out, a, np.float32(1)).tolist()
    [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
"""
import numpy as np

from . import _parallel as par

#: Arrays with fewer numbers than this are computed in one call.
MIN_SIZE = 1 << 18
#: Numbers per block of a split call.
BLOCK = 1 << 17


def worth_splitting(size):
    """True when an elementwise result of ``size`` numbers is split over threads."""
    return size >= MIN_SIZE and par.num_threads() > 1


def _flat_or_rows(out, operands):
    """``(out, operands)`` reshaped so that splitting axis 0 splits the work: all flat when
    every array operand has ``out``'s shape and is C-contiguous (scalars broadcast), else
    unchanged (operands broadcast along axis 0 are passed whole)."""
    shape = out.shape
    if out.flags.c_contiguous and all(
            (getattr(x, "shape", ()) == shape and x.flags.c_contiguous)
            or getattr(x, "size", 1) == 1 for x in operands):
        size = out.size
        return out.reshape(size), [
            x.reshape(size) if getattr(x, "shape", ()) == shape
            else (x.reshape(()) if isinstance(x, np.ndarray) else x) for x in operands]
    return out, list(operands)


def run(fn, out, *operands):
    """Call ``fn(out_part, *operand_parts)`` on blocks of ``out`` over the threads.

    ``fn`` must compute each output number from the operand numbers at its position (an
    elementwise function). Operands whose first axis matches ``out``'s are cut with it;
    the others (broadcast along that axis, or scalars) are passed whole.

    Returns:
        ``out``.
    """
    if out.ndim == 0 or not worth_splitting(out.size):
        fn(out, *operands)
        return out
    target, parts = _flat_or_rows(out, operands)
    rows = target.shape[0]
    row_size = max(1, target.size // max(1, rows))
    count, bounds = par.even_blocks(rows, max(1, BLOCK // row_size))
    if count < 2:
        fn(out, *operands)
        return out
    cut = [getattr(x, "ndim", 0) == target.ndim and x.shape[0] == rows and rows > 1
           for x in parts]

    def work(block, slot):
        start, stop = bounds(block)
        fn(target[start:stop], *[x[start:stop] if c else x for x, c in zip(parts, cut)])
    par.run_blocks(work, count, par.threads_for(count))
    return out


def apply(ufunc, out, *operands):
    """``ufunc(*operands, out=out)``, split over the threads when large (see :func:`run`)."""
    if out.size < MIN_SIZE:                  # the common case, kept to one call
        return ufunc(*operands, out=out)
    return run(lambda o, *xs: ufunc(*xs, out=o), out, *operands)


def new_result(ufunc, dtype, *operands):
    """``ufunc(*operands)`` into a new array of ``dtype`` (the broadcast shape), split over
    the threads when large."""
    shape = np.broadcast_shapes(*[np.shape(x) for x in operands])
    out = np.empty(shape, dtype=dtype)
    return apply(ufunc, out, *operands)
