"""Normalization arithmetic: ``moments`` and ``batch_normalization``.

Both are compositions of graph ops (means, differences, ``rsqrt``), so their gradients, and
second derivatives, come from those ops.

Example:
    >>> from hilayers import backend as K
    >>> x = K.placeholder((None, 3))
    >>> mean, var = K.moments(x, axes=[0])
    >>> y = K.batch_normalization(x, mean, var, beta=None, gamma=None, epsilon=1e-3)
    >>> mean.shape, y.shape
    ((3,), (None, 3))
"""
from .. import dtypes, shapes
from ..errors import DTypeError, ShapeError
from ..op import convert_operands, convert_to_tensor


def _check_float(fn_name, what, t):
    if not dtypes.is_floating(t.dtype):
        raise DTypeError(f"{fn_name}: {what} {t.name!r} has dtype {t.dtype.name}; expected a "
                         "float dtype. Use cast() first.")


def _expand_at(t, axes):
    """Insert size-1 axes at the sorted positions ``axes`` (undoing a reduction)."""
    from .arrays import expand_dims
    for a in axes:
        t = expand_dims(t, a)
    return t


def moments(x, axes, keepdims=False, name=None):
    """Mean and (population) variance of ``x`` over ``axes``.

    ``mean = sum(x) / n`` and ``variance = sum((x - mean)**2) / n`` over the ``n`` elements
    reduced, computed in two passes (stable when the mean is large).

    Args:
        x: a float tensor.
        axes: an int or a sequence of ints (negative counts from the end); None means all.
        keepdims: keep the reduced axes with size 1.

    Returns:
        ``(mean, variance)``, each of ``x``'s shape without ``axes`` (or with size 1 there).

    Raises:
        DTypeError: for a non-float ``x``.
        InvalidArgumentError: for an axis out of range or repeated.
    """
    from .elementwise import multiply, subtract
    from .reductions import mean as reduce_mean
    x = convert_to_tensor(x)
    _check_float("moments", "input", x)
    axes = shapes.normalize_axis("moments", axes, x.ndim, allow_none=True)
    mean = reduce_mean(x, axis=axes, keepdims=True)
    centred = subtract(x, mean)
    variance = reduce_mean(multiply(centred, centred), axis=axes, keepdims=keepdims,
                           name=f"{name}_variance" if name else None)
    if not keepdims:
        mean = _squeeze_axes(mean, axes)
    return mean, variance


def _squeeze_axes(t, axes):
    """Drop the size-1 ``axes`` of a keepdims reduction (a reshape, no copy)."""
    from .arrays import reshape, reshape_like
    from .reductions import sum as reduce_sum
    if not axes:
        return t
    kept = tuple(d for i, d in enumerate(t.shape) if i not in axes)
    if shapes.is_fully_defined(kept):
        return reshape(t, kept)
    # A kept dim is unknown: take the run-time shape from a (cheap) reduction of ``t``.
    return reshape_like(t, reduce_sum(t, axis=axes, keepdims=False))


def batch_normalization(x, mean, variance, beta=None, gamma=None, epsilon=1e-3, name=None):
    """``(x - mean) * gamma / sqrt(variance + epsilon) + beta``, broadcasting all operands.

    Computed as ``x * s + (beta - mean * s)`` with ``s = gamma * rsqrt(variance + epsilon)``,
    so only two operations touch the full-size ``x`` when the statistics are per channel.

    Args:
        x: a float tensor.
        mean, variance: tensors (or numbers) broadcasting against ``x``.
        beta: the offset, or None for 0.
        gamma: the scale, or None for 1.
        epsilon: a small float added to the variance.

    Returns:
        A tensor of the broadcast shape of all operands (``x``'s shape in practice).

    Raises:
        ShapeError: naming ``batch_normalization`` when the operands do not broadcast.
        DTypeError: when the operands' dtypes differ or are not floats.
    """
    from .elementwise import add, multiply, rsqrt, subtract
    values = [x, mean, variance] + [v for v in (beta, gamma) if v is not None]
    converted = convert_operands("batch_normalization", values)
    x, mean, variance = converted[:3]
    rest = iter(converted[3:])
    beta = next(rest) if beta is not None else None
    gamma = next(rest) if gamma is not None else None
    _check_float("batch_normalization", "input", x)
    named = [("x", x), ("mean", mean), ("variance", variance), ("beta", beta),
             ("gamma", gamma)]
    present = [(n, t) for n, t in named if t is not None]
    dtypes.same_dtype("batch_normalization", *[t.dtype for _, t in present])
    try:
        shapes.broadcast_shapes("batch_normalization", *[t.shape for _, t in present])
    except ShapeError as exc:
        listed = ", ".join(f"{n} {t.shape}" for n, t in present)
        raise ShapeError(f"batch_normalization: operands do not broadcast together "
                         f"({listed}); expected shapes broadcasting against x.") from exc
    scale = rsqrt(add(variance, float(epsilon)))
    if gamma is not None:
        scale = multiply(scale, gamma)
    y = multiply(x, scale)
    shift = multiply(mean, scale)
    if beta is None:
        return subtract(y, shift, name=name)
    return add(y, subtract(beta, shift), name=name)


def normalize_batch_in_training(x, gamma, beta, reduction_axes, epsilon=1e-3, name=None):
    """Normalize ``x`` by its own moments over ``reduction_axes`` (Keras backend helper).

    ``normed = batch_normalization(x, mean, variance, beta, gamma, epsilon)`` where
    ``mean, variance = moments(x, reduction_axes)``. ``gamma`` and ``beta`` may have the
    shape of the kept axes (e.g. ``(channels,)``, whatever their position) or broadcast
    against ``x`` already.

    Returns:
        ``(normed, mean, variance)`` with ``mean`` and ``variance`` of the kept axes' shape.

    Raises:
        Like :func:`moments` and :func:`batch_normalization`.
    """
    x = convert_to_tensor(x)
    _check_float("normalize_batch_in_training", "input", x)
    axes = shapes.normalize_axis("normalize_batch_in_training", reduction_axes, x.ndim,
                                 allow_none=True)
    mean, variance = moments(x, axes, keepdims=True)
    kept = x.ndim - len(axes)

    def broadcastable(t):
        if t is None:
            return None
        t = convert_operands("normalize_batch_in_training", [t, x])[0]
        return _expand_at(t, axes) if t.ndim == kept and kept < x.ndim else t

    normed = batch_normalization(x, mean, variance, broadcastable(beta), broadcastable(gamma),
                                 epsilon, name=name)
    return normed, _squeeze_axes(mean, axes), _squeeze_axes(variance, axes)


__all__ = ["moments", "batch_normalization", "normalize_batch_in_training"]
