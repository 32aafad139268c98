"""Weight initializers: ``init(shape, dtype=None)`` returns a NumPy array.

Names and defaults follow tf.keras 2.x (``'glorot_uniform'``, ``'he_normal'``, ``'zeros'``,
``RandomUniform(-0.05, 0.05)``...), so configs and HDF5 files written by Keras 2 load here.

Randomness: an initializer with ``seed=None`` draws from the library-wide generator that
:func:`hilayers.utils.set_random_seed` reseeds; one with an int ``seed`` draws from a fresh
generator seeded with it, so it returns the same values on every call (as tf.keras 2.x's
seeded initializers do).

Fans (for the variance-scaling family), as Keras computes them: a 2-D ``(in, out)`` kernel
has ``fan_in = in`` and ``fan_out = out``; a convolution kernel ``(*window, in, out)``
multiplies both by the receptive field ``prod(window)``; a 1-D shape has ``fan_in = fan_out
= shape[0]``; a scalar has 1 and 1.

Example:
    >>> from hilayers import initializers
    >>> w = initializers.get("glorot_uniform")((784, 10))
    >>> w.shape, w.dtype.name
    ((784, 10), 'float32')
    >>> bool(abs(w).max() <= (6 / (784 + 10)) ** 0.5)
    True
"""
import math

import numpy as np

from . import backend as K
from .utils.random_seed import global_generator
from .utils.registry import Registry
from .utils.registry import serialize as _serialize

INITIALIZERS = Registry("initializer")

# Standard deviation of a standard normal truncated to [-2, 2]; dividing by it makes a
# truncated normal draw have the variance asked for.
_TRUNCATED_STDDEV = 0.87962566103423978


def compute_fans(shape):
    """``(fan_in, fan_out)`` of a weight of ``shape`` (see the module docstring)."""
    shape = tuple(shape)
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return shape[-2] * receptive_field, shape[-1] * receptive_field


def _normalize(shape, dtype, who, random=False):
    if isinstance(shape, int) or hasattr(shape, "__index__"):
        shape = (shape,)
    shape = tuple(int(d) for d in shape)
    dtype = np.dtype(dtype or K.floatx())
    if random and dtype.kind != "f":
        raise ValueError(f"{who}: can only create float weights; received dtype "
                         f"{dtype.name}.")
    return shape, dtype


class Initializer:
    """Base class: subclasses implement ``__call__(shape, dtype=None)`` and ``get_config``."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class _Seeded(Initializer):
    """An initializer drawing random numbers (``seed``: an int or None)."""

    def __init__(self, seed=None):
        if seed is not None and (isinstance(seed, bool) or not hasattr(seed, "__index__")):
            raise ValueError(f"{type(self).__name__}: seed must be an int or None; received "
                             f"{seed!r}.")
        self.seed = None if seed is None else int(seed)

    def _generator(self):
        return global_generator() if self.seed is None else np.random.default_rng(self.seed)

    def _truncated_normal(self, shape, mean, stddev):
        """Normal draws redrawn until within two standard deviations of the mean."""
        gen = self._generator()
        values = gen.standard_normal(shape)
        outside = np.abs(values) > 2.0
        while outside.any():
            values[outside] = gen.standard_normal(int(outside.sum()))
            outside = np.abs(values) > 2.0
        return mean + stddev * values

    def get_config(self):
        return {"seed": self.seed}


@INITIALIZERS.register("zero")
class Zeros(Initializer):
    """All zeros. Example: ``Zeros()((2, 3))``."""

    def __call__(self, shape, dtype=None):
        shape, dtype = _normalize(shape, dtype, "Zeros")
        return np.zeros(shape, dtype)


@INITIALIZERS.register("one")
class Ones(Initializer):
    """All ones. Example: ``Ones()((2, 3))``."""

    def __call__(self, shape, dtype=None):
        shape, dtype = _normalize(shape, dtype, "Ones")
        return np.ones(shape, dtype)


@INITIALIZERS.register()
class Constant(Initializer):
    """Every value equal to ``value`` (a number, or an array broadcasting to the shape).

    Example: ``Constant(0.1)((3,))`` -> ``[0.1, 0.1, 0.1]``.
    """

    def __init__(self, value=0):
        self.value = value

    def __call__(self, shape, dtype=None):
        shape, dtype = _normalize(shape, dtype, "Constant")
        try:
            return np.broadcast_to(np.asarray(self.value, dtype), shape).copy()
        except ValueError:
            raise ValueError(f"Constant: value of shape {np.shape(self.value)} does not "
                             f"broadcast to the weight shape {shape}.") from None

    def get_config(self):
        value = self.value
        if isinstance(value, (np.ndarray, np.generic)):
            value = value.tolist()
        return {"value": value}


@INITIALIZERS.register("normal", "random_normal")
class RandomNormal(_Seeded):
    """Normal draws with ``mean`` and ``stddev``. Example: ``RandomNormal(0., 0.05)((3, 2))``."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = float(mean), float(stddev)

    def __call__(self, shape, dtype=None):
        shape, dtype = _normalize(shape, dtype, "RandomNormal", random=True)
        values = self._generator().normal(self.mean, self.stddev, shape)
        return values.astype(dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


@INITIALIZERS.register("uniform", "random_uniform")
class RandomUniform(_Seeded):
    """Uniform draws in ``[minval, maxval)``. The name ``'uniform'`` gives
    ``RandomUniform(-0.05, 0.05)`` (Keras' default for embeddings)."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = float(minval), float(maxval)
        if self.minval >= self.maxval:
            raise ValueError(f"RandomUniform: minval must be below maxval; received "
                             f"minval={minval}, maxval={maxval}.")

    def __call__(self, shape, dtype=None):
        shape, dtype = _normalize(shape, dtype, "RandomUniform", random=True)
        values = self._generator().uniform(self.minval, self.maxval, shape)
        return values.astype(dtype)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


@INITIALIZERS.register()
class TruncatedNormal(_Seeded):
    """Normal draws with ``mean`` and ``stddev``, redrawn when more than two ``stddev`` from
    the mean (so the spread is a little under ``stddev``, as in Keras)."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = float(mean), float(stddev)

    def __call__(self, shape, dtype=None):
        shape, dtype = _normalize(shape, dtype, "TruncatedNormal", random=True)
        return self._truncated_normal(shape, self.mean, self.stddev).astype(dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


@INITIALIZERS.register()
class VarianceScaling(_Seeded):
    """Draws whose variance is ``scale / n``, with ``n`` chosen by ``mode``.

    Args:
        scale: a positive float.
        mode: ``'fan_in'``, ``'fan_out'`` or ``'fan_avg'`` (``n = (fan_in + fan_out) / 2``).
        distribution: ``'truncated_normal'`` (stddev ``sqrt(scale / n) / 0.8796...``, cut at
            two stddev), ``'untruncated_normal'`` (stddev ``sqrt(scale / n)``) or
            ``'uniform'`` (in ``[-limit, limit]`` with ``limit = sqrt(3 * scale / n)``).
            ``'normal'`` is read as ``'truncated_normal'``, as in Keras 2.
        seed: an int, or None for the library-wide generator.

    Raises:
        ValueError: for a non-positive scale or an unknown mode or distribution.

    Example:
        >>> w = VarianceScaling(2.0, "fan_in", "truncated_normal")((512, 256))
    """

    _MODES = ("fan_in", "fan_out", "fan_avg")
    _DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        super().__init__(seed)
        if scale <= 0.0:
            raise ValueError(f"VarianceScaling: scale must be positive; received {scale}.")
        mode = str(mode).lower()
        distribution = str(distribution).lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if mode not in self._MODES:
            raise ValueError(f"VarianceScaling: unknown mode {mode!r}; expected one of "
                             f"{', '.join(self._MODES)}.")
        if distribution not in self._DISTRIBUTIONS:
            raise ValueError(f"VarianceScaling: unknown distribution {distribution!r}; "
                             f"expected one of {', '.join(self._DISTRIBUTIONS)}.")
        self.scale, self.mode, self.distribution = float(scale), mode, distribution

    def __call__(self, shape, dtype=None):
        shape, dtype = _normalize(shape, dtype, type(self).__name__, random=True)
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}
        variance = self.scale / max(1.0, n[self.mode])
        if self.distribution == "truncated_normal":
            values = self._truncated_normal(shape, 0.0, math.sqrt(variance) / _TRUNCATED_STDDEV)
        elif self.distribution == "untruncated_normal":
            values = self._generator().normal(0.0, math.sqrt(variance), shape)
        else:
            limit = math.sqrt(3.0 * variance)
            values = self._generator().uniform(-limit, limit, shape)
        return values.astype(dtype)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed}


class _FixedVarianceScaling(VarianceScaling):
    """A named VarianceScaling preset; its config is only ``seed``, as in Keras."""

    _preset = (1.0, "fan_in", "truncated_normal")

    def __init__(self, seed=None):
        super().__init__(*self._preset, seed=seed)

    def get_config(self):
        return {"seed": self.seed}


@INITIALIZERS.register()
class GlorotUniform(_FixedVarianceScaling):
    """Uniform in ``[-limit, limit]``, ``limit = sqrt(6 / (fan_in + fan_out))`` (Glorot &
    Bengio, 2010); Keras' default kernel initializer."""
    _preset = (1.0, "fan_avg", "uniform")


@INITIALIZERS.register()
class GlorotNormal(_FixedVarianceScaling):
    """Truncated normal with variance ``2 / (fan_in + fan_out)``."""
    _preset = (1.0, "fan_avg", "truncated_normal")


@INITIALIZERS.register()
class HeNormal(_FixedVarianceScaling):
    """Truncated normal with variance ``2 / fan_in`` (He et al., 2015)."""
    _preset = (2.0, "fan_in", "truncated_normal")


@INITIALIZERS.register()
class HeUniform(_FixedVarianceScaling):
    """Uniform in ``[-limit, limit]``, ``limit = sqrt(6 / fan_in)``."""
    _preset = (2.0, "fan_in", "uniform")


@INITIALIZERS.register()
class LecunNormal(_FixedVarianceScaling):
    """Truncated normal with variance ``1 / fan_in`` (LeCun et al., 1998); pairs with selu."""
    _preset = (1.0, "fan_in", "truncated_normal")


@INITIALIZERS.register()
class LecunUniform(_FixedVarianceScaling):
    """Uniform in ``[-limit, limit]``, ``limit = sqrt(3 / fan_in)``."""
    _preset = (1.0, "fan_in", "uniform")


@INITIALIZERS.register()
class Orthogonal(_Seeded):
    """A (semi-)orthogonal matrix times ``gain`` (Saxe et al., 2014).

    The weight is seen as a matrix of ``prod(shape[:-1])`` rows and ``shape[-1]`` columns; its
    rows (if fewer) or columns (otherwise) are orthonormal.

    Raises:
        ValueError: for shapes of rank below 2.
    """

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = float(gain)

    def __call__(self, shape, dtype=None):
        shape, dtype = _normalize(shape, dtype, "Orthogonal", random=True)
        if len(shape) < 2:
            raise ValueError(f"Orthogonal: needs a weight of rank >= 2; received shape "
                             f"{shape}.")
        rows, cols = int(np.prod(shape[:-1])), shape[-1]
        draws = self._generator().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(draws)
        q *= np.where(np.diag(r) < 0, -1.0, 1.0)    # makes the decomposition unique
        if rows < cols:
            q = q.T
        return (self.gain * q).reshape(shape).astype(dtype)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


@INITIALIZERS.register()
class Identity(Initializer):
    """``gain`` times the identity matrix (2-D shapes only; rectangular ones get ones on the
    main diagonal)."""

    def __init__(self, gain=1.0):
        self.gain = float(gain)

    def __call__(self, shape, dtype=None):
        shape, dtype = _normalize(shape, dtype, "Identity")
        if len(shape) != 2:
            raise ValueError(f"Identity: needs a 2-D weight; received shape {shape}.")
        return (self.gain * np.eye(*shape)).astype(dtype)

    def get_config(self):
        return {"gain": self.gain}


def get(identifier):
    """An initializer from a name (``'he_normal'``), a config dict, an initializer or a
    callable ``f(shape, dtype=None)``.

    Raises:
        ValueError: for an unknown name, listing the valid names.
        TypeError: for anything else.
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return INITIALIZERS.get(identifier)
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret initializer identifier {identifier!r}; expected a "
                    f"name ({', '.join(INITIALIZERS.names())}), a config dict or a callable.")


def serialize(initializer):
    """``{"class_name": ..., "config": {...}}`` of an initializer (Keras' format)."""
    return _serialize(initializer)


def deserialize(config, custom_objects=None):
    """The initializer described by ``config`` (a dict from :func:`serialize` or a name)."""
    if isinstance(config, str):
        return INITIALIZERS.get(config, custom_objects)
    return INITIALIZERS.deserialize(config, custom_objects)


__all__ = ["Initializer", "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform",
           "TruncatedNormal", "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeNormal",
           "HeUniform", "LecunNormal", "LecunUniform", "Orthogonal", "Identity",
           "compute_fans", "get", "serialize", "deserialize"]
