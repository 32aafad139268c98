"""Kernels of the fused cross-entropy ops (stable: the max is subtracted before ``exp``)."""
from ..errors import InvalidArgumentError
from .registry import kernel


def _log_softmax(xp, logits, axis):
    shifted = logits - logits.max(axis=axis, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))


@kernel("SoftmaxCrossEntropyWithLogits")
def _softmax_cross_entropy(ctx, op, labels, logits):
    xp = ctx.xp
    logp = _log_softmax(xp, logits, op.axis)
    return xp.asarray(-(labels * logp).sum(axis=op.axis), dtype=logits.dtype)


@kernel("SparseSoftmaxCrossEntropyWithLogits")
def _sparse_softmax_cross_entropy(ctx, op, labels, logits):
    xp = ctx.xp
    classes = logits.shape[-1]
    if labels.size:
        bad = (labels < 0) | (labels >= classes)
        if bool(bad.any()):
            value = int(labels[bad][0])
            raise InvalidArgumentError(
                f"SparseSoftmaxCrossEntropyWithLogits: label {value} is out of range for "
                f"logits with {classes} classes; expected labels in [0, {classes}) "
                f"({int(bad.sum())} of {labels.size} labels are out of range).")
    logp = _log_softmax(xp, logits, -1)
    index = labels.astype(xp.intp)[..., None]
    picked = xp.take_along_axis(logp, index, axis=-1)[..., 0]
    return xp.asarray(-picked, dtype=logits.dtype)


@kernel("LabelsOneHotLike")
def _labels_one_hot_like(ctx, op, labels, like):
    xp = ctx.xp
    classes = xp.arange(like.shape[-1], dtype=labels.dtype)
    return (labels[..., None] == classes).astype(like.dtype)


@kernel("SigmoidCrossEntropyWithLogits")
def _sigmoid_cross_entropy(ctx, op, labels, logits):
    xp = ctx.xp
    x = logits
    out = xp.maximum(x, 0) - x * labels + xp.log1p(xp.exp(-xp.abs(x)))
    return out.astype(logits.dtype, copy=False)
