"""Kernel of dropout: the keep mask is drawn from the node's generator ``ctx.rng(op)``."""
from ..errors import InvalidArgumentError
from .random import uniform01
from .registry import kernel


@kernel("Dropout")
def _dropout(ctx, op, x):
    noise = []
    for i, (d, n) in enumerate(zip(op.noise_shape, x.shape)):
        if d is None:
            noise.append(n)
        elif d in (1, n):
            noise.append(d)
        else:
            raise InvalidArgumentError(
                f"Dropout: noise_shape {op.noise_shape} does not broadcast to the input's shape "
                f"{tuple(x.shape)} at run time (axis {i}: {d} vs {n}); expected 1, None or "
                f"{n} there.")
    keep = 1.0 - op.rate
    u = uniform01(ctx, op, tuple(noise), x.dtype)
    mask = (u < keep).astype(x.dtype) * x.dtype.type(1.0 / keep)
    return x * mask, mask
