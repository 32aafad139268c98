"""Dropout: zero each value with probability ``rate`` and scale the kept ones by
``1 / (1 - rate)`` (inverted dropout, so the expected value is unchanged).

One node draws the mask and applies it. The ``Dropout`` op has two outputs, ``(y, mask)``,
where ``mask`` holds ``0`` or ``1 / (1 - rate)`` in the noise shape; the gradient is
``g * mask``, built from that second output, so a backward pass computed in the same run as
the forward pass reuses the forward pass's mask.

Example:
    >>> from hilayers import backend as K
    >>> x = K.placeholder((None, 4))
    >>> y = K.dropout(x, 0.5, seed=3)
    >>> y.shape
    (None, 4)
"""
from .. import dtypes
from ..errors import DTypeError, InvalidArgumentError, ShapeError
from ..op import Op, convert_to_tensor
from .random import resolve_seed


class Dropout(Op):
    """``(x * mask, mask)`` with ``mask`` drawn in ``noise_shape`` (None: ``x``'s dim).

    Props:
        rate: the drop probability, in ``(0, 1)``.
        noise_shape: one entry per axis of ``x``: None (the mask varies along that axis, its
            size is ``x``'s at run time), 1 (one draw shared along the axis) or ``x``'s size.
        seed: the op-level seed tuple (see :mod:`hilayers.backend.ops.random`).
    """

    props = ("rate", "noise_shape", "seed")
    pure = False

    def infer(self, x):
        if not dtypes.is_floating(x.dtype):
            raise DTypeError(f"Dropout: input {x.name!r} has dtype {x.dtype.name}; expected a "
                             "float dtype. Use cast() first.")
        if len(self.noise_shape) != x.ndim:
            raise ShapeError(f"Dropout: noise_shape {self.noise_shape} has {len(self.noise_shape)}"
                             f" dims, but input {x.name!r} has shape {x.shape} (rank {x.ndim});"
                             " expected one entry per axis.")
        mask_shape = []
        for axis, (d, n) in enumerate(zip(self.noise_shape, x.shape)):
            if d is not None and d != 1 and n is not None and d != n:
                raise ShapeError(
                    f"Dropout: noise_shape {self.noise_shape} does not broadcast to input "
                    f"{x.name!r} of shape {x.shape} (axis {axis}: {d} vs {n}); expected 1, None "
                    f"or {n} there.")
            mask_shape.append(n if d is None else d)
        return [(x.shape, x.dtype), (tuple(mask_shape), x.dtype)]

    def grad(self, node, grads):
        from .elementwise import multiply
        if grads[0] is None:            # only the mask was used: it does not depend on x
            return [None]
        return [multiply(grads[0], node.outputs[1])]


def _noise_shape(noise_shape, x):
    if noise_shape is None:
        return (None,) * x.ndim
    if isinstance(noise_shape, int):
        noise_shape = (noise_shape,)
    try:
        dims = tuple(noise_shape)
    except TypeError:
        raise InvalidArgumentError(f"dropout: noise_shape must be a tuple of ints or None; "
                                   f"received {noise_shape!r}.") from None
    out = []
    for d in dims:
        if d is None:
            out.append(None)
        elif isinstance(d, bool) or not hasattr(d, "__index__") or int(d) < 1:
            raise InvalidArgumentError(f"dropout: noise_shape must hold positive ints or None; "
                                       f"received {dims!r}.")
        else:
            out.append(int(d))
    # A known dim equal to x's static dim means "vary along it", as None does: one spelling.
    return tuple(None if d is not None and d != 1 and d == n else d
                 for d, n in zip(out, x.shape)) if len(out) == x.ndim else tuple(out)


def dropout_with_mask(x, rate, noise_shape=None, seed=None, name=None):
    """Like :func:`dropout` but return ``(y, mask)``; ``mask`` holds 0 or ``1/(1-rate)``
    in the noise shape (broadcasting against ``x``). For ``rate == 0`` the mask is None."""
    x = convert_to_tensor(x)
    try:
        rate_value = float(rate)
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"dropout: rate must be a Python number in [0, 1); "
                                   f"received {rate!r}.") from None
    if not 0.0 <= rate_value < 1.0:
        raise InvalidArgumentError(f"dropout: rate must be in [0, 1); received {rate!r}.")
    noise = _noise_shape(noise_shape, x)
    if rate_value == 0.0:
        if len(noise) != x.ndim:
            raise ShapeError(f"Dropout: noise_shape {noise} has {len(noise)} dims, but input "
                             f"{x.name!r} has shape {x.shape} (rank {x.ndim}); expected one "
                             "entry per axis.")
        return x, None
    op = Dropout(rate=rate_value, noise_shape=noise, seed=resolve_seed(x.graph, seed))
    y, mask = op(x, name=name)
    return y, mask


def dropout(x, rate, noise_shape=None, seed=None, name=None):
    """Inverted dropout: ``y = x * m / (1 - rate)`` with ``m`` ~ Bernoulli(``1 - rate``).

    Args:
        x: a float tensor; its dims may be unknown (the mask is drawn at run time).
        rate: probability of dropping a value, a Python number in ``[0, 1)``. ``0`` returns
            ``x`` itself.
        noise_shape: None (an independent draw per value), or one entry per axis of ``x``:
            ``None`` or ``x``'s size (draws vary along the axis) or 1 (one draw shared along
            it), e.g. ``(None, 1, None)`` drops whole feature vectors of a ``(batch, steps,
            features)`` input identically at every step.
        seed: an int for a stream of its own, or None for one derived from the graph seed.

    Returns:
        A tensor of ``x``'s shape and dtype. Its gradient is ``g * m / (1 - rate)`` with the
        mask drawn in the same run.

    Raises:
        InvalidArgumentError: naming ``dropout`` and the value, for ``rate`` outside
            ``[0, 1)`` or a malformed ``noise_shape``.
        ShapeError: when ``noise_shape`` does not broadcast against ``x``'s shape.
        DTypeError: for a non-float ``x``.
    """
    return dropout_with_mask(x, rate, noise_shape, seed, name)[0]


__all__ = ["dropout", "dropout_with_mask"]
