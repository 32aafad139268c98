"""Cross-entropy losses: fused, numerically stable ops on logits, and the Keras-backend
helpers on probabilities or logits.

Fused ops (one kernel each, stable for large ``|logits|``):

* ``softmax_cross_entropy_with_logits(labels, logits, axis)``:
  ``-sum(labels * log_softmax(logits), axis)``;
* ``sparse_softmax_cross_entropy_with_logits(labels, logits)``: the same with integer class
  labels, ``-log_softmax(logits)[..., labels]``;
* ``sigmoid_cross_entropy_with_logits(labels, logits)``:
  ``max(x, 0) - x * z + log1p(exp(-|x|))`` for logits ``x`` and labels ``z``.

Their gradients are built from ``softmax`` / ``log_softmax`` / ``sigmoid`` ops, so they can
be differentiated again.

Keras-backend helpers: ``categorical_crossentropy``, ``sparse_categorical_crossentropy`` and
``binary_crossentropy`` take probabilities (``from_logits=False``, clipped to
``[epsilon, 1 - epsilon]`` with ``hilayers.backend.config.epsilon()`` as Keras does) or
logits. When probabilities come straight out of a ``softmax`` (or ``sigmoid``) op, its
logits are used instead, which is exact and stable (as ``tf.keras`` does).

Example:
    >>> from hilayers import backend as K
    >>> loss = K.softmax_cross_entropy_with_logits([[0.0, 1.0]], [[0.0, 0.0]])
    >>> K.Session().run(loss)            # log 2
    array([0.6931472], dtype=float32)
"""
from .. import dtypes, shapes
from ..config import epsilon as _epsilon
from ..errors import DTypeError, InvalidArgumentError, ShapeError
from ..op import Op, convert_operands, convert_to_tensor


def _check_float(op_name, what, t):
    if not dtypes.is_floating(t.dtype):
        raise DTypeError(f"{op_name}: {what} {t.name!r} have dtype {t.dtype.name}; expected a "
                         "float dtype. Use cast() first.")


def _check_same_shape(op_name, labels, logits, names=("labels", "logits")):
    if not shapes.shapes_compatible(labels.shape, logits.shape):
        raise ShapeError(f"{op_name}: {names[0]} {labels.name!r} have shape {labels.shape} and "
                         f"{names[1]} {logits.name!r} have shape {logits.shape}; expected "
                         "equal shapes.")
    return tuple(shapes.merge_dim(a, b) for a, b in zip(labels.shape, logits.shape))


class SoftmaxCrossEntropyWithLogits(Op):
    """``-sum(labels * log_softmax(logits, axis), axis)``; ``axis`` a non-negative int.

    Gradients: to logits ``(softmax(logits) * sum(labels, axis) - labels) * g`` (that is
    ``(softmax(logits) - labels) * g`` when the labels sum to one); to labels
    ``-log_softmax(logits) * g``, with ``g`` broadcast over ``axis``.
    """

    props = ("axis",)

    def infer(self, labels, logits):
        name = type(self).__name__
        _check_float(name, "labels", labels)
        _check_float(name, "logits", logits)
        dtype = dtypes.same_dtype(name, labels.dtype, logits.dtype)
        shape = _check_same_shape(name, labels, logits)
        if not self.axis < len(shape):
            raise InvalidArgumentError(f"{name}: axis {self.axis} is out of range for logits "
                                       f"{logits.name!r} of shape {logits.shape}.")
        return tuple(d for i, d in enumerate(shape) if i != self.axis), dtype

    def grad(self, node, grads):
        from .activations import log_softmax, softmax
        from .arrays import expand_dims
        from .elementwise import multiply, negative, subtract
        from .reductions import sum as reduce_sum
        labels, logits = node.inputs
        g = expand_dims(grads[0], self.axis)
        probs = multiply(softmax(logits, self.axis), reduce_sum(labels, self.axis, keepdims=True))
        return [multiply(negative(log_softmax(logits, self.axis)), g),
                multiply(subtract(probs, labels), g)]


class SparseSoftmaxCrossEntropyWithLogits(Op):
    """``-log_softmax(logits)[..., labels]`` over the last axis; integer ``labels`` of shape
    ``logits.shape[:-1]``. Gradient to logits ``(softmax(logits) - one_hot(labels)) * g``;
    labels get none."""

    def infer(self, labels, logits):
        name = type(self).__name__
        if not dtypes.is_integer(labels.dtype):
            raise DTypeError(f"{name}: labels {labels.name!r} have dtype {labels.dtype.name}; "
                             "expected an integer dtype (class indices). Use cast() first.")
        _check_float(name, "logits", logits)
        if logits.ndim < 1 or not shapes.shapes_compatible(labels.shape, logits.shape[:-1]):
            raise ShapeError(f"{name}: labels {labels.name!r} have shape {labels.shape} and "
                             f"logits {logits.name!r} have shape {logits.shape}; expected labels "
                             "of the logits' shape without its last axis (the classes).")
        shape = tuple(shapes.merge_dim(a, b) for a, b in zip(labels.shape, logits.shape))
        return shape, logits.dtype

    def grad(self, node, grads):
        from .activations import softmax
        from .arrays import expand_dims
        from .elementwise import multiply, subtract
        labels, logits = node.inputs
        g = expand_dims(grads[0], -1)
        one_hot = LabelsOneHotLike()(labels, logits)
        return [None, multiply(subtract(softmax(logits, -1), one_hot), g)]


class LabelsOneHotLike(Op):
    """One-hot rows of ``labels`` with ``like``'s shape and dtype (classes on the last axis).

    Internal to the sparse cross-entropy gradient; a constant with respect to both inputs.
    """

    differentiable = False

    def infer(self, labels, like):
        return like.shape, like.dtype

    def grad(self, node, grads):
        return [None, None]


class SigmoidCrossEntropyWithLogits(Op):
    """``max(x, 0) - x * z + log1p(exp(-|x|))`` for logits ``x`` and labels ``z``.

    Gradients: to logits ``(sigmoid(x) - z) * g``; to labels ``-x * g``.
    """

    def infer(self, labels, logits):
        name = type(self).__name__
        _check_float(name, "labels", labels)
        _check_float(name, "logits", logits)
        dtype = dtypes.same_dtype(name, labels.dtype, logits.dtype)
        return _check_same_shape(name, labels, logits), dtype

    def grad(self, node, grads):
        from .activations import sigmoid
        from .elementwise import multiply, negative, subtract
        labels, logits = node.inputs
        g = grads[0]
        return [multiply(negative(logits), g), multiply(subtract(sigmoid(logits), labels), g)]


def softmax_cross_entropy_with_logits(labels, logits, axis=-1, name=None):
    """Cross-entropy between ``labels`` and ``softmax(logits)`` along ``axis``.

    ``loss = -sum(labels * log_softmax(logits, axis), axis)``, computed in one stable kernel
    (the max of the logits is subtracted before exponentiating).

    Args:
        labels: a float tensor of the logits' shape, usually a distribution along ``axis``
            (rows of one-hot vectors or soft targets). Gradients flow to it as well.
        logits: unnormalized log-probabilities, a float tensor.
        axis: the class axis (negative counts from the end).

    Returns:
        The per-example loss: the logits' shape without ``axis``.

    Raises:
        ShapeError: naming the op and both shapes when they differ.
        DTypeError: for non-float or mismatched dtypes.
        InvalidArgumentError: for an axis out of range.
    """
    labels, logits = convert_operands("SoftmaxCrossEntropyWithLogits", [labels, logits])
    if logits.ndim == 0:
        raise InvalidArgumentError(f"SoftmaxCrossEntropyWithLogits: logits {logits.name!r} are "
                                   "a scalar; expected at least one axis of classes.")
    (axis,) = shapes.normalize_axis("SoftmaxCrossEntropyWithLogits", axis, logits.ndim)
    return SoftmaxCrossEntropyWithLogits(axis=axis)(labels, logits, name=name)


def sparse_softmax_cross_entropy_with_logits(labels, logits, name=None):
    """Cross-entropy with integer class labels: ``-log_softmax(logits)[..., labels]``.

    Args:
        labels: integer tensor of shape ``logits.shape[:-1]`` holding class indices in
            ``[0, classes)``.
        logits: float tensor, classes on the last axis.

    Returns:
        The per-example loss, of the labels' shape. Gradients flow to the logits only.

    Raises:
        ShapeError: when the labels' shape is not the logits' shape without its last axis.
        DTypeError: for non-integer labels or non-float logits.
        InvalidArgumentError: at run time, when a label is negative or not below the number of
            classes (checked on every run, on NumPy and CuPy).
    """
    logits = convert_to_tensor(logits)
    labels = convert_to_tensor(labels, graph=logits.graph)
    return SparseSoftmaxCrossEntropyWithLogits()(labels, logits, name=name)


def sigmoid_cross_entropy_with_logits(labels, logits, name=None):
    """Binary cross-entropy of ``labels`` against ``sigmoid(logits)``, elementwise.

    ``loss = max(x, 0) - x * z + log1p(exp(-|x|))`` for logits ``x`` and labels ``z``, which
    equals ``-z log(sigmoid(x)) - (1 - z) log(1 - sigmoid(x))`` without overflow for any
    ``|x|`` (1e4 and beyond).

    Args:
        labels: float tensor of the logits' shape (targets in ``[0, 1]`` usually).
        logits: float tensor.

    Returns:
        The elementwise loss, of the logits' shape.

    Raises:
        ShapeError: naming the op and both shapes when they differ.
        DTypeError: for non-float or mismatched dtypes.
    """
    labels, logits = convert_operands("SigmoidCrossEntropyWithLogits", [labels, logits])
    return SigmoidCrossEntropyWithLogits()(labels, logits, name=name)


# -- Keras-backend helpers ------------------------------------------------------------------

def _softmax_input(output, axis):
    """The logits of ``output`` when it is the output of ``softmax(logits, axis)``, else None."""
    op = output.op
    if type(op).__name__ == "Softmax" and tuple(getattr(op, "axis", ())) == (axis,):
        return output.node.inputs[0]
    return None


def _clip_probabilities(output):
    from .elementwise import clip
    eps = _epsilon()
    return clip(output, eps, 1.0 - eps)


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Categorical cross-entropy between a target distribution and an output one.

    With ``from_logits=True`` this is :func:`softmax_cross_entropy_with_logits`. Otherwise
    ``output`` holds probabilities: they are rescaled to sum to one along ``axis``, clipped to
    ``[epsilon, 1 - epsilon]`` and ``-sum(target * log(output), axis)`` is returned; when
    ``output`` is directly ``softmax(logits, axis)`` the fused op on ``logits`` is used.

    Args:
        target: float tensor of ``output``'s shape.
        output: probabilities (or logits with ``from_logits=True``).
        from_logits: whether ``output`` holds logits.
        axis: the class axis.

    Returns:
        The per-example loss: ``output``'s shape without ``axis``.

    Raises:
        Like :func:`softmax_cross_entropy_with_logits`.
    """
    from .elementwise import divide, log, multiply, negative
    from .reductions import sum as reduce_sum
    target, output = convert_operands("categorical_crossentropy", [target, output])
    if output.ndim == 0:
        raise InvalidArgumentError(f"categorical_crossentropy: output {output.name!r} is a "
                                   "scalar; expected at least one axis of classes.")
    (axis,) = shapes.normalize_axis("categorical_crossentropy", axis, output.ndim)
    if not from_logits:
        logits = _softmax_input(output, axis)
        if logits is None:
            _check_same_shape("categorical_crossentropy", target, output, ("target", "output"))
            probs = divide(output, reduce_sum(output, axis, keepdims=True))
            probs = _clip_probabilities(probs)
            return negative(reduce_sum(multiply(target, log(probs)), axis))
        output = logits
    return softmax_cross_entropy_with_logits(target, output, axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Categorical cross-entropy with integer targets (class indices).

    Args:
        target: class indices of ``output``'s shape without ``axis``; a trailing axis of
            size 1 is dropped (Keras' ``(batch, 1)`` targets) and float targets are cast to
            int64.
        output: probabilities (clipped to ``[epsilon, 1 - epsilon]`` and logged, as Keras
            does; a direct ``softmax`` output uses its logits), or logits with
            ``from_logits=True``.
        axis: the class axis of ``output``.

    Returns:
        The per-example loss: ``output``'s shape without ``axis``.

    Raises:
        Like :func:`sparse_softmax_cross_entropy_with_logits`.
    """
    from .arrays import reshape, reshape_like
    from .elementwise import cast, log
    output = convert_to_tensor(output)
    target = convert_to_tensor(target, graph=output.graph)
    if output.ndim == 0:
        raise InvalidArgumentError(f"sparse_categorical_crossentropy: output {output.name!r} "
                                   "is a scalar; expected at least one axis of classes.")
    (axis,) = shapes.normalize_axis("sparse_categorical_crossentropy", axis, output.ndim)
    logits = None if from_logits else _softmax_input(output, axis)
    if logits is None:
        logits = output if from_logits else log(_clip_probabilities(output))
    if axis != output.ndim - 1:
        from .linalg import transpose
        perm = tuple(i for i in range(output.ndim) if i != axis) + (axis,)
        logits = transpose(logits, perm)
    if dtypes.is_floating(target.dtype) or dtypes.is_bool(target.dtype):
        target = cast(target, "int64")
    if target.ndim == logits.ndim and target.shape[-1] in (1, None):
        # Keras' (batch, 1) targets: drop the trailing axis.
        kept = target.shape[:-1]
        if sum(d is None for d in kept) <= 1:
            target = reshape(target, tuple(-1 if d is None else d for d in kept))
        else:
            from .reductions import sum as reduce_sum
            target = reshape_like(target, reduce_sum(logits, axis=-1))
    return sparse_softmax_cross_entropy_with_logits(target, logits)


def binary_crossentropy(target, output, from_logits=False):
    """Binary cross-entropy, elementwise.

    With ``from_logits=True`` this is :func:`sigmoid_cross_entropy_with_logits`. Otherwise
    ``output`` holds probabilities, clipped to ``[epsilon, 1 - epsilon]`` and turned into
    logits ``log(p / (1 - p))`` (as Keras does); when ``output`` is directly
    ``sigmoid(logits)`` those logits are used.

    Returns:
        The elementwise loss, of ``output``'s shape.

    Raises:
        Like :func:`sigmoid_cross_entropy_with_logits`.
    """
    from .elementwise import divide, log, subtract
    target, output = convert_operands("binary_crossentropy", [target, output])
    if not from_logits:
        if type(output.op).__name__ == "Sigmoid":
            output = output.node.inputs[0]
        else:
            probs = _clip_probabilities(output)
            output = log(divide(probs, subtract(1.0, probs)))
    return sigmoid_cross_entropy_with_logits(target, output)


__all__ = ["softmax_cross_entropy_with_logits", "sparse_softmax_cross_entropy_with_logits",
           "sigmoid_cross_entropy_with_logits", "categorical_crossentropy",
           "sparse_categorical_crossentropy", "binary_crossentropy"]
