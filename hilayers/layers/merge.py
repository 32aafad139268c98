"""Merge layers: combine a list of tensors (Add, Subtract, Multiply, Average, Maximum,
Minimum, Concatenate, Dot), as in tf.keras 2.x.

Elementwise merges broadcast: non-batch dims of size 1 stretch, and an input of lower rank
gets size-1 axes inserted after the batch axis (Keras 2's rule).

Example:
    >>> from hilayers import backend as K, layers
    >>> a, b = K.placeholder((None, 4)), K.placeholder((None, 4))
    >>> layers.Add()([a, b]).shape, layers.Concatenate()([a, b]).shape
    ((None, 4), (None, 8))
"""
import functools

from .. import backend as K
from .base import Layer


def _fmt(shape):
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (
        ",)" if len(shape) == 1 else ")")


def _fmt_all(shapes):
    return ", ".join(_fmt(s) for s in shapes)


class _Merge(Layer):
    """Base of the elementwise merges: subclasses define ``_merge(a, b)`` (or ``_combine``)."""

    _min_inputs, _max_inputs = 1, None

    def _check_list(self, shapes):
        where = f"{type(self).__name__} layer {self.name!r}"
        if not isinstance(shapes, (list, tuple)) or (shapes and not isinstance(
                shapes[0], (list, tuple))):
            raise ValueError(f"{where} must be called on a list of tensors; received one "
                             f"input of shape {_fmt(tuple(shapes))}.")
        count = len(shapes)
        if count < self._min_inputs or (self._max_inputs and count > self._max_inputs):
            wanted = (f"exactly {self._min_inputs}" if self._min_inputs == self._max_inputs
                      else f"at least {self._min_inputs}")
            raise ValueError(f"{where} expects {wanted} inputs; received {count} "
                             f"({_fmt_all(shapes)}).")
        return where

    def _broadcast_shape(self, shapes):
        where = self._check_list(shapes)
        rank = max(len(s) for s in shapes)
        padded = [(s[0],) + (1,) * (rank - len(s)) + tuple(s[1:]) for s in shapes]
        out = []
        for axis in range(rank):
            dims = [s[axis] for s in padded]
            known = {d for d in dims if d is not None}
            if axis > 0 and len(known) > 1:
                known.discard(1)
            if len(known) > 1:
                raise ValueError(f"{where}: inputs must have the same shape (or broadcast, "
                                 f"with size-1 dims); received shapes {_fmt_all(shapes)}, which "
                                 f"differ on axis {axis}.")
            size = known.pop() if known else None
            out.append(None if size == 1 and None in dims else size)
        return tuple(out)

    def build(self, input_shape):
        self._broadcast_shape(input_shape)
        self.built = True

    def call(self, inputs):
        rank = max(t.ndim for t in inputs)
        aligned = []
        for t in inputs:
            for _ in range(rank - t.ndim):
                t = K.expand_dims(t, 1)
            aligned.append(t)
        return self._combine(aligned)

    def _combine(self, inputs):
        return functools.reduce(self._merge, inputs)

    def compute_output_shape(self, input_shape):
        return self._broadcast_shape(input_shape)


class Add(_Merge):
    """Elementwise sum of a list of tensors of one shape; output of that shape.

    Example: ``Add()([a, b, c])``."""

    def _combine(self, inputs):
        return inputs[0] if len(inputs) == 1 else K.add_n(inputs) if all(
            t.shape == inputs[0].shape for t in inputs) else functools.reduce(K.add, inputs)


class Subtract(_Merge):
    """``inputs[0] - inputs[1]`` for exactly two tensors of one shape."""

    _min_inputs = _max_inputs = 2

    def _merge(self, a, b):
        return a - b


class Multiply(_Merge):
    """Elementwise product of a list of tensors of one shape."""

    def _merge(self, a, b):
        return a * b


class Average(_Merge):
    """Elementwise mean of a list of tensors of one shape."""

    def _combine(self, inputs):
        return functools.reduce(K.add, inputs) / float(len(inputs))


class Maximum(_Merge):
    """Elementwise maximum of a list of tensors of one shape."""

    def _merge(self, a, b):
        return K.maximum(a, b)


class Minimum(_Merge):
    """Elementwise minimum of a list of tensors of one shape."""

    def _merge(self, a, b):
        return K.minimum(a, b)


class Concatenate(_Merge):
    """Join a list of tensors along ``axis`` (default -1); the other dims must match.

    Input shapes: e.g. ``(batch, 3)`` and ``(batch, 5)``. Output shape: ``(batch, 8)``.

    Raises:
        ValueError: naming the layer and all shapes, when ranks or other dims differ.
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def _broadcast_shape(self, shapes):
        where = self._check_list(shapes)
        rank = len(shapes[0])
        axis = self.axis + rank if self.axis < 0 else self.axis
        if any(len(s) != rank for s in shapes) or not 0 <= axis < rank:
            raise ValueError(f"{where}: inputs must have one rank with axis {self.axis} in it; "
                             f"received shapes {_fmt_all(shapes)}.")
        out = []
        for i in range(rank):
            dims = [s[i] for s in shapes]
            if i == axis:
                out.append(None if None in dims else sum(dims))
                continue
            known = {d for d in dims if d is not None}
            if len(known) > 1:
                raise ValueError(f"{where}: inputs must match on every axis but the "
                                 f"concatenation axis {self.axis}; received shapes "
                                 f"{_fmt_all(shapes)}.")
            out.append(known.pop() if known else None)
        return tuple(out)

    def call(self, inputs):
        return K.concatenate(list(inputs), axis=self.axis)

    def get_config(self):
        return dict(super().get_config(), axis=self.axis)


class Dot(_Merge):
    """Dot product of two tensors along ``axes``, per sample (Keras' ``batch_dot``).

    For ``(batch, n)`` inputs and ``axes=1`` the output is ``(batch, 1)``; in general the
    output has the first input's axes without ``axes[0]``, then the second's without the
    batch axis and ``axes[1]``.

    Args:
        axes: an int (the same axis of both) or a pair of ints; never the batch axis 0.
        normalize: L2-normalize both inputs along their dot axes first (cosine similarity).

    Raises:
        ValueError: naming the layer and both shapes, when the dot axes' sizes differ, an
            axis is out of range or the batch axis, or a non-dot dim is unknown.

    Example:
        >>> Dot(axes=1)([K.placeholder((None, 5)), K.placeholder((None, 5))]).shape
        (None, 1)
    """

    _min_inputs = _max_inputs = 2

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        self.axes = [int(a) for a in axes] if isinstance(axes, (list, tuple)) else int(axes)
        if isinstance(self.axes, list) and len(self.axes) != 2:
            raise ValueError(f"Dot {self.name!r}: axes must be an int or a pair of ints; "
                             f"received {axes!r}.")
        self.normalize = bool(normalize)

    def _axes_for(self, shapes):
        where = self._check_list(shapes)
        pair = self.axes if isinstance(self.axes, list) else [self.axes, self.axes]
        axes = [a + len(s) if a < 0 else a for a, s in zip(pair, shapes)]
        if any(not 0 < a < len(s) for a, s in zip(axes, shapes)):
            raise ValueError(f"{where}: axes {self.axes} must name non-batch axes of both "
                             f"inputs; received shapes {_fmt_all(shapes)}.")
        d1, d2 = shapes[0][axes[0]], shapes[1][axes[1]]
        if d1 is not None and d2 is not None and d1 != d2:
            raise ValueError(f"{where}: the dot axes must have one size; received shapes "
                             f"{_fmt_all(shapes)} (axis {axes[0]} has {d1}, axis {axes[1]} has "
                             f"{d2}).")
        return where, axes

    def _broadcast_shape(self, shapes):
        _, (a1, a2) = self._axes_for(shapes)
        out = tuple(shapes[0][:a1]) + tuple(shapes[0][a1 + 1:]) + tuple(
            d for i, d in enumerate(shapes[1]) if i not in (0, a2))
        return out if len(out) > 1 else out + (1,)

    def call(self, inputs):
        x, y = inputs
        where, (a1, a2) = self._axes_for([x.shape, y.shape])
        if self.normalize:
            x, y = _l2_normalize(x, a1), _l2_normalize(y, a2)
        # Move the dot axis of x last and that of y next to the batch axis, flatten the
        # others, and let a batched matmul do the sums: (b, m, k) @ (b, k, n) -> (b, m, n).
        x = K.transpose(x, [i for i in range(x.ndim) if i != a1] + [a1])
        y = K.transpose(y, [0, a2] + [i for i in range(1, y.ndim) if i != a2])
        free_x, free_y = x.shape[1:-1], y.shape[2:]
        if None in free_x + free_y or x.shape[-1] is None:
            raise ValueError(f"{where}: every non-batch dim must be known; received shapes "
                             f"{_fmt_all([inputs[0].shape, inputs[1].shape])}.")
        k = x.shape[-1]
        m, n = _prod(free_x), _prod(free_y)
        out = K.matmul(K.reshape(x, (-1, m, k)), K.reshape(y, (-1, k, n)))
        target = tuple(free_x) + tuple(free_y)
        return K.reshape(out, (-1,) + (target if target else (1,)))

    def get_config(self):
        return dict(super().get_config(), axes=self.axes, normalize=self.normalize)


def _prod(dims):
    out = 1
    for d in dims:
        out *= d
    return out


def _l2_normalize(x, axis):
    """``x / sqrt(max(sum(x**2, axis), 1e-12))``, as Keras' ``l2_normalize``."""
    squares = K.sum(K.square(x), axis=axis, keepdims=True)
    return x * K.rsqrt(K.maximum(squares, 1e-12))


__all__ = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate",
           "Dot"]
