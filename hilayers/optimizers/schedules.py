"""Learning-rate schedules: ``schedule(step) -> learning rate``, as
``tf.keras.optimizers.schedules``.

A schedule works on a Python int (giving a Python float, e.g. for a callback printing the
rate) and on a backend tensor such as an optimizer's ``iterations`` variable (giving a
scalar tensor of floatx, evaluated at every training step without growing the graph).

Example:
    >>> from hilayers.optimizers import schedules, Adam
    >>> lr = schedules.ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5)
    >>> round(lr(200), 6)
    0.025
    >>> opt = Adam(learning_rate=lr)
"""
import math

from .. import backend as K
from ..backend import Tensor
from ..utils.registry import Registry, serialize as _serialize

SCHEDULES = Registry("learning rate schedule")


def _as_float_step(step):
    return step if step.dtype.kind == "f" else K.cast(step, K.floatx())


def _floor(x):
    """``floor(x)`` for ``x >= 0`` (steps): truncation through an integer cast."""
    if hasattr(K, "floor"):
        return K.floor(x)
    return K.cast(K.cast(x, "int64"), x.dtype)


def _cos_pi(t):
    """``cos(pi * t)`` for a tensor ``t`` in ``[0, 1]``.

    Uses ``K.cos`` when the backend has it; otherwise ``cos(pi t) = -sin(y)`` with
    ``y = pi (t - 1/2)`` in ``[-pi/2, pi/2]``, by the Taylor series of ``sin`` through
    ``y**21`` (truncation error below ``3e-16``).
    """
    if hasattr(K, "cos"):
        return K.cos(math.pi * t)
    y = math.pi * (t - 0.5)
    y2 = y * y
    series = 1.0
    for n in range(21, 1, -2):          # Horner: 1 - y2/(2*3) (1 - y2/(4*5) (1 - ...))
        series = 1.0 - y2 * series / float(n * (n - 1))
    return -(y * series)


class LearningRateSchedule:
    """Base class: ``__call__(step)`` for a Python int or a tensor, and ``get_config``."""

    def __call__(self, step):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(step).")

    def get_config(self):
        raise NotImplementedError(f"{type(self).__name__} must implement get_config().")

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


@SCHEDULES.register()
class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``; with ``staircase``
    the exponent is ``floor(step / decay_steps)``.

    Args:
        initial_learning_rate: float.
        decay_steps: positive int.
        decay_rate: float.
        staircase: decay in steps rather than continuously.
        name: optional name.

    Raises:
        ValueError: for ``decay_steps <= 0``.

    Example:
        >>> ExponentialDecay(1.0, 10, 0.5, staircase=True)(15)
        0.5
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name=None):
        if decay_steps <= 0:
            raise ValueError(f"ExponentialDecay: decay_steps must be positive; received "
                             f"{decay_steps}.")
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps = decay_steps
        self.decay_rate = float(decay_rate)
        self.staircase = bool(staircase)
        self.name = name

    def __call__(self, step):
        if not isinstance(step, Tensor):
            p = float(step) / self.decay_steps
            p = math.floor(p) if self.staircase else p
            return self.initial_learning_rate * self.decay_rate ** p
        p = _as_float_step(step) / float(self.decay_steps)
        if self.staircase:
            p = _floor(p)
        return self.initial_learning_rate * K.power(self.decay_rate, p)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


@SCHEDULES.register()
class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` while ``step <= boundaries[0]``, ``values[i]`` while
    ``boundaries[i-1] < step <= boundaries[i]``, ``values[-1]`` after the last boundary.

    Args:
        boundaries: increasing list of steps.
        values: list of rates, one more than ``boundaries``.
        name: optional name.

    Raises:
        ValueError: when the lengths do not fit or the boundaries are not increasing.

    Example:
        >>> lr = PiecewiseConstantDecay([100, 200], [1.0, 0.5, 0.1])
        >>> lr(100), lr(101), lr(500)
        (1.0, 0.5, 0.1)
    """

    def __init__(self, boundaries, values, name=None):
        boundaries, values = list(boundaries), [float(v) for v in values]
        if len(values) != len(boundaries) + 1:
            raise ValueError(f"PiecewiseConstantDecay: {len(boundaries)} boundaries need "
                             f"{len(boundaries) + 1} values; received {len(values)}.")
        if any(later <= earlier for earlier, later in zip(boundaries, boundaries[1:])):
            raise ValueError("PiecewiseConstantDecay: boundaries must increase; received "
                             f"{boundaries}.")
        self.boundaries, self.values, self.name = boundaries, values, name

    def __call__(self, step):
        if not isinstance(step, Tensor):
            for boundary, value in zip(self.boundaries, self.values):
                if step <= boundary:
                    return value
            return self.values[-1]
        step = _as_float_step(step)
        rate = K.constant(self.values[-1])
        for boundary, value in reversed(list(zip(self.boundaries, self.values))):
            rate = K.where(K.less_equal(step, float(boundary)), value, rate)
        return rate

    def get_config(self):
        return {"boundaries": list(self.boundaries), "values": list(self.values),
                "name": self.name}


@SCHEDULES.register()
class CosineDecay(LearningRateSchedule):
    """Cosine decay (Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm
    Restarts", ICLR 2017), with an optional linear warmup.

    Without warmup: ``lr(step) = initial_learning_rate * ((1 - alpha) * c + alpha)`` with
    ``c = 0.5 * (1 + cos(pi * min(step, decay_steps) / decay_steps))``. With
    ``warmup_steps > 0`` and a ``warmup_target``, the rate first rises linearly from
    ``initial_learning_rate`` to ``warmup_target`` over ``warmup_steps``, then decays from
    ``warmup_target`` as above (with ``step - warmup_steps``).

    Args:
        initial_learning_rate: float.
        decay_steps: positive int.
        alpha: the final rate as a fraction of the starting one.
        name: optional name.
        warmup_target: the rate reached after the warmup (None: no warmup).
        warmup_steps: int.

    Example:
        >>> CosineDecay(1.0, 100, alpha=0.1)(100)
        0.1
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name=None,
                 warmup_target=None, warmup_steps=0):
        if decay_steps <= 0:
            raise ValueError(f"CosineDecay: decay_steps must be positive; received "
                             f"{decay_steps}.")
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps = decay_steps
        self.alpha = float(alpha)
        self.name = name
        self.warmup_target = None if warmup_target is None else float(warmup_target)
        self.warmup_steps = warmup_steps

    def _decayed(self, start, fraction, cos_pi):
        return start * ((1.0 - self.alpha) * 0.5 * (1.0 + cos_pi(fraction)) + self.alpha)

    def __call__(self, step):
        warm = self.warmup_target is not None and self.warmup_steps > 0
        start = self.warmup_target if warm else self.initial_learning_rate
        shift = self.warmup_steps if warm else 0
        if not isinstance(step, Tensor):
            if warm and step < self.warmup_steps:
                return self.initial_learning_rate + (self.warmup_target -
                                                     self.initial_learning_rate) * (
                    step / self.warmup_steps)
            fraction = min(max(step - shift, 0), self.decay_steps) / self.decay_steps
            return self._decayed(start, fraction, lambda t: math.cos(math.pi * t))
        step = _as_float_step(step)
        fraction = K.minimum(K.maximum(step - float(shift), 0.0), float(self.decay_steps))
        rate = self._decayed(start, fraction / float(self.decay_steps), _cos_pi)
        if warm:
            ramp = self.initial_learning_rate + (self.warmup_target - self.initial_learning_rate
                                                 ) * (step / float(self.warmup_steps))
            rate = K.where(K.less(step, float(self.warmup_steps)), ramp, rate)
        return rate

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


def get(identifier, custom_objects=None):
    """A schedule from a name, a config dict, or a schedule (returned as is).

    Raises:
        ValueError: for an unknown name, listing the valid ones.
    """
    return SCHEDULES.get(identifier, custom_objects, instantiate=False)


def serialize(schedule):
    """``{"class_name", "config"}`` of a schedule."""
    return _serialize(schedule)


def deserialize(config, custom_objects=None):
    """Inverse of :func:`serialize`."""
    return SCHEDULES.deserialize(config, custom_objects)


__all__ = ["LearningRateSchedule", "ExponentialDecay", "PiecewiseConstantDecay",
           "CosineDecay", "get", "serialize", "deserialize", "SCHEDULES"]
