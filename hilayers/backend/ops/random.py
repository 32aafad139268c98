"""Random ops: uniform, normal, truncated normal and Bernoulli draws of a fixed shape.

Every random node owns a generator (``ctx.rng(op)``, see :meth:`Graph.rng`) seeded from the
graph seed and the op's ``seed``:

* ``seed=None`` gives the op a fresh seed ``graph.next_op_seed() == (0, n)``, ``n`` counting
  the random ops built in the graph; two graphs built the same way with the same graph seed
  therefore draw the same numbers (on NumPy).
* a seed given by the user is written ``(1, seed)``; two nodes built with the same user seed
  in one graph draw the same stream.

Successive runs continue the stream (each run of a node draws new values);
:meth:`Graph.reset_random_state` restarts every stream from its seed.

Random ops are not differentiable: they have no inputs, so a gradient never flows *into*
them and ``gradients(random_uniform((2,)), [x])`` is ``None`` (disconnected) for any ``x``.

Example:
    >>> from hilayers import backend as K
    >>> u = K.random_uniform((2, 3), minval=-1.0, maxval=1.0, seed=7)
    >>> K.Session().run(u).shape
    (2, 3)
"""
from .. import dtypes
from ..errors import DTypeError, InvalidArgumentError
from ..graph import get_default_graph
from ..op import Op


def resolve_seed(graph, seed):
    """Return the op-level seed tuple for ``seed`` (an int or None) in ``graph``.

    ``None`` gives ``graph.next_op_seed()`` (``(0, n)``); an int ``s`` gives ``(1, s)``.

    Raises:
        InvalidArgumentError: when ``seed`` is not a non-negative integer.
    """
    if seed is None:
        return graph.next_op_seed()
    if isinstance(seed, bool) or not hasattr(seed, "__index__") or int(seed) < 0:
        raise InvalidArgumentError(f"A random seed must be a non-negative int or None; "
                                   f"received {seed!r}.")
    return (1, int(seed))


def _static_shape(op_name, shape):
    """Normalise ``shape`` to a tuple of non-negative ints (every dim known)."""
    if isinstance(shape, int) or hasattr(shape, "__index__"):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        raise InvalidArgumentError(f"{op_name}: shape must be a tuple of ints; received "
                                   f"{shape!r}.") from None
    out = []
    for d in dims:
        if d is None or isinstance(d, bool) or not hasattr(d, "__index__") or int(d) < 0:
            raise InvalidArgumentError(
                f"{op_name}: shape must be a tuple of non-negative ints with every dim known; "
                f"received {dims!r}.")
        out.append(int(d))
    return tuple(out)


class RandomOp(Op):
    """Base of random ops: no inputs, a static ``shape``, a ``dtype`` and a ``seed`` tuple."""

    pure = False
    differentiable = False
    #: dtype kinds the op can produce ("f": floats only).
    kinds = "f"

    def infer(self):
        if self.dtype.kind not in self.kinds:
            raise DTypeError(f"{type(self).__name__}: dtype {self.dtype.name} is not "
                             f"supported; expected a float dtype.")
        return self.shape, self.dtype


class RandomUniform(RandomOp):
    """Uniform draws in ``[minval, maxval)``."""

    props = ("shape", "dtype", "seed", "minval", "maxval")


class RandomNormal(RandomOp):
    """Normal draws with mean ``mean`` and standard deviation ``stddev``."""

    props = ("shape", "dtype", "seed", "mean", "stddev")


class TruncatedNormal(RandomOp):
    """Normal draws with those beyond two standard deviations redrawn."""

    props = ("shape", "dtype", "seed", "mean", "stddev")


class RandomBernoulli(RandomOp):
    """1 with probability ``p``, else 0 (floats, ints or bools)."""

    props = ("shape", "dtype", "seed", "p")
    kinds = "fiub"

    def infer(self):
        if self.dtype.kind not in self.kinds:
            raise DTypeError(f"RandomBernoulli: dtype {self.dtype.name} is not supported; "
                             "expected a float, integer or bool dtype.")
        return self.shape, self.dtype


def _build(op_class, shape, dtype, seed, name, **attrs):
    graph = get_default_graph()
    shape = _static_shape(op_class.__name__, shape)
    dtype = dtypes.as_dtype(dtype)
    op = op_class(shape=shape, dtype=dtype, seed=resolve_seed(graph, seed), **attrs)
    return op(name=name)


def _number(op_name, what, value):
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"{op_name}: {what} must be a Python number; received "
                                   f"{value!r}.") from None


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None, name=None):
    """Uniform random values in ``[minval, maxval)``.

    Args:
        shape: tuple of ints, every dim known.
        minval, maxval: the bounds (Python numbers), ``minval < maxval``.
        dtype: a float dtype (floatx when None).
        seed: an int for a stream of its own, or None for one derived from the graph seed.

    Returns:
        A tensor of ``shape`` and ``dtype``; each run draws new values.

    Raises:
        InvalidArgumentError: for a shape with unknown or negative dims, or ``minval >=
            maxval``.
        DTypeError: for a non-float dtype.
    """
    lo = _number("RandomUniform", "minval", minval)
    hi = _number("RandomUniform", "maxval", maxval)
    if not lo < hi:
        raise InvalidArgumentError(f"RandomUniform: minval must be less than maxval; received "
                                   f"minval={lo}, maxval={hi}.")
    return _build(RandomUniform, shape, dtype, seed, name, minval=lo, maxval=hi)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None, name=None):
    """Normal random values: ``mean + stddev * N(0, 1)``.

    Args:
        shape: tuple of ints, every dim known.
        mean, stddev: Python numbers, ``stddev >= 0``.
        dtype: a float dtype (floatx when None).
        seed: an int, or None for a seed derived from the graph seed.

    Raises:
        InvalidArgumentError: for a bad shape or a negative ``stddev``.
        DTypeError: for a non-float dtype.
    """
    mean = _number("RandomNormal", "mean", mean)
    stddev = _number("RandomNormal", "stddev", stddev)
    if stddev < 0:
        raise InvalidArgumentError(f"RandomNormal: stddev must be >= 0; received {stddev}.")
    return _build(RandomNormal, shape, dtype, seed, name, mean=mean, stddev=stddev)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None, name=None):
    """Normal random values restricted to ``[mean - 2 stddev, mean + 2 stddev]``.

    Draws beyond two standard deviations are redrawn (as TensorFlow's ``truncated_normal``),
    so the result's standard deviation is about ``0.88 * stddev``.

    Args:
        shape: tuple of ints, every dim known.
        mean, stddev: Python numbers, ``stddev >= 0``.
        dtype: a float dtype (floatx when None).
        seed: an int, or None for a seed derived from the graph seed.

    Raises:
        InvalidArgumentError: for a bad shape or a negative ``stddev``.
        DTypeError: for a non-float dtype.
    """
    mean = _number("TruncatedNormal", "mean", mean)
    stddev = _number("TruncatedNormal", "stddev", stddev)
    if stddev < 0:
        raise InvalidArgumentError(f"TruncatedNormal: stddev must be >= 0; received {stddev}.")
    return _build(TruncatedNormal, shape, dtype, seed, name, mean=mean, stddev=stddev)


def random_bernoulli(shape, p=0.5, dtype=None, seed=None, name=None):
    """Random 0/1 values: 1 with probability ``p``.

    Args:
        shape: tuple of ints, every dim known.
        p: probability of a 1, in ``[0, 1]``.
        dtype: float, integer or bool dtype (floatx when None).
        seed: an int, or None for a seed derived from the graph seed.

    Raises:
        InvalidArgumentError: for a bad shape or ``p`` outside ``[0, 1]``.
        DTypeError: for an unsupported dtype (complex, strings).
    """
    p = _number("RandomBernoulli", "p", p)
    if not 0.0 <= p <= 1.0:
        raise InvalidArgumentError(f"RandomBernoulli: p must be in [0, 1]; received {p}.")
    return _build(RandomBernoulli, shape, dtype, seed, name, p=p)


__all__ = ["random_uniform", "random_normal", "truncated_normal", "random_bernoulli"]
