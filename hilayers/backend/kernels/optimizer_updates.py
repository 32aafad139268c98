"""Kernels of the fused optimizer updates (one body for NumPy and CuPy).

``AdamUpdate`` computes each result with ``out=`` into its own new array, in the order of
the graph formula in ``hilayers.optimizers.Adam`` (see
:mod:`hilayers.backend.ops.optimizer_updates`), so it gives the graph's numbers bit for
bit while making three arrays instead of a dozen and dispatching one op instead of twelve.
On NumPy a large parameter is cut into blocks of :data:`BLOCK` numbers that the threads of
:mod:`._parallel` update at the same time (elementwise, so the blocks do not change any
number). Measured on the MLP's 784x512 weights (docs/performance.md).
"""
import numpy as np

from . import _parallel as par
from .registry import kernel

#: On NumPy, parameters are updated in blocks of this many numbers (long enough that each
#: NumPy call runs for tens of microseconds, so that threads rarely wait for the GIL).
BLOCK = 1 << 17


def _adam_into(xp, op, value, m, v, g, alpha, v_hat, outs, scratch):
    """One Adam step on matching (flat or whole) arrays, results written into ``outs``."""
    dtype = value.dtype.type
    new_value, new_m, new_v = outs[:3]
    xp.subtract(g, m, out=new_m)
    xp.multiply(dtype(1.0 - op.beta_1), new_m, out=new_m)
    xp.add(m, new_m, out=new_m)
    xp.square(g, out=new_v)
    xp.subtract(new_v, v, out=new_v)
    xp.multiply(dtype(1.0 - op.beta_2), new_v, out=new_v)
    xp.add(v, new_v, out=new_v)
    second = new_v
    if op.amsgrad:
        second = xp.maximum(v_hat, new_v, out=outs[3])
    xp.sqrt(second, out=scratch)
    xp.add(scratch, dtype(op.epsilon), out=scratch)
    xp.multiply(alpha, new_m, out=new_value)
    xp.divide(new_value, scratch, out=new_value)
    xp.subtract(value, new_value, out=new_value)


@kernel("AdamUpdate")
def _adam_update(ctx, op, value, m, v, g, alpha, *v_hat):
    xp = ctx.xp
    v_hat = v_hat[0] if v_hat else None
    count = 3 + int(op.amsgrad)
    outs = [xp.empty(value.shape, dtype=value.dtype) for _ in range(count)]
    inputs = [value, m, v, g] + ([v_hat] if op.amsgrad else [])
    size = value.size
    # One thread: whole-array calls (measured 0.59 ms on 784x512 against 0.66 ms in blocks).
    flat = (ctx.impl.name == "numpy" and size > BLOCK and par.threads_for(2) > 1
            and all(a.flags.c_contiguous for a in inputs))
    if not flat:
        _adam_into(xp, op, value, m, v, g, alpha, v_hat, outs, xp.empty_like(value))
        return tuple(outs)
    inputs = [a.reshape(size) for a in inputs] + ([] if op.amsgrad else [None])
    targets = [a.reshape(size) for a in outs]
    blocks, bounds = par.even_blocks(size, BLOCK)
    threads = par.threads_for(blocks)
    scratch = [ctx.workspace.borrow(("adam", slot), (-(-size // blocks),), value.dtype)
               for slot in range(threads)]

    def work(block, slot):
        start, stop = bounds(block)
        part = slice(start, stop)
        _adam_into(np, op, *[a[part] for a in inputs[:4]], alpha,
                   None if inputs[4] is None else inputs[4][part],
                   [t[part] for t in targets], scratch[slot][:stop - start])
    try:
        par.run_blocks(work, blocks, threads)
    finally:
        for buf in scratch:
            ctx.workspace.give_back(buf)
    return tuple(outs)
