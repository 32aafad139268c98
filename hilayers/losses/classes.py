"""Loss classes: a per-sample function plus a reduction, as ``tf.keras.losses.Loss``.

``loss_obj(y_true, y_pred, sample_weight=None)`` computes the per-sample losses with
:meth:`Loss.call`, multiplies them by ``sample_weight`` and reduces them:

* ``'sum_over_batch_size'`` (the default; ``'auto'`` means the same):
  ``sum(losses * sample_weight) / number of loss elements``;
* ``'sum'``: ``sum(losses * sample_weight)``;
* ``'none'``: the weighted per-sample losses, unreduced.

Example:
    >>> from hilayers import backend as K
    >>> from hilayers.losses import MeanSquaredError
    >>> loss = MeanSquaredError()
    >>> K.Session().run(loss([[0.0], [1.0]], K.constant([[1.0], [1.0]])))
    array(0.5, dtype=float32)
"""
from .. import backend as K
from ..backend import Tensor
from ..utils.registry import snake_case
from . import functions as F


class Reduction:
    """The reductions a :class:`Loss` accepts (``tf.keras.losses.Reduction``)."""

    AUTO = "auto"
    NONE = "none"
    SUM = "sum"
    SUM_OVER_BATCH_SIZE = "sum_over_batch_size"

    @classmethod
    def all(cls):
        return (cls.AUTO, cls.NONE, cls.SUM, cls.SUM_OVER_BATCH_SIZE)

    @classmethod
    def validate(cls, reduction):
        """Return ``reduction`` if valid.

        Raises:
            ValueError: naming the value received and the valid ones.
        """
        if reduction not in cls.all():
            raise ValueError(f"Invalid loss reduction {reduction!r}; expected one of "
                             f"{', '.join(repr(r) for r in cls.all())}.")
        return reduction


def match_weight_rank(sample_weight, losses):
    """Drop trailing size-1 axes of ``sample_weight`` or add trailing axes until its rank is
    the losses' rank, so that ``(batch,)`` weights scale ``(batch, steps)`` losses."""
    while sample_weight.ndim > losses.ndim and sample_weight.shape[-1] == 1:
        sample_weight = K.squeeze(sample_weight, -1)
    if sample_weight.ndim > losses.ndim:
        raise ValueError(f"sample_weight {sample_weight.name!r} of shape "
                         f"{sample_weight.shape} has more axes than the per-sample losses "
                         f"(shape {losses.shape}); expected weights of shape {losses.shape} "
                         "or a prefix of it.")
    while sample_weight.ndim < losses.ndim:
        sample_weight = K.expand_dims(sample_weight, -1)
    return sample_weight


def compute_weighted_loss(losses, sample_weight=None, reduction=Reduction.SUM_OVER_BATCH_SIZE):
    """Weight per-sample ``losses`` by ``sample_weight`` and reduce them.

    Args:
        losses: tensor of per-sample losses.
        sample_weight: None, a number, or a tensor / array broadcastable to ``losses`` after
            dropping its trailing size-1 axes or adding trailing axes (``(batch,)`` weights
            for ``(batch, steps)`` losses).
        reduction: one of :class:`Reduction`.

    Returns:
        A scalar tensor (``'sum'``, ``'sum_over_batch_size'``, ``'auto'``) or the weighted
        losses (``'none'``).

    Raises:
        ValueError: for an unknown reduction or weights of too high a rank.
    """
    Reduction.validate(reduction)
    if sample_weight is not None:
        if not isinstance(sample_weight, Tensor):
            sample_weight = K.constant(sample_weight, dtype=losses.dtype, graph=losses.graph)
        elif sample_weight.dtype != losses.dtype:
            sample_weight = K.cast(sample_weight, losses.dtype)
        losses = losses * match_weight_rank(sample_weight, losses)
    if reduction == Reduction.NONE:
        return losses
    if reduction == Reduction.SUM:
        return K.sum(losses)
    return K.mean(losses)


class Loss:
    """Base class of the loss classes.

    Subclasses implement :meth:`call` (per-sample losses); ``__call__`` weights and reduces.

    Args:
        reduction: ``'sum_over_batch_size'`` (default), ``'sum'``, ``'none'`` or ``'auto'``.
        name: the loss name (default: the class name in snake_case).

    Raises:
        ValueError: for an unknown reduction.
    """

    def __init__(self, reduction=Reduction.SUM_OVER_BATCH_SIZE, name=None):
        self.reduction = Reduction.validate(reduction)
        self.name = name or _default_name(type(self))

    def __call__(self, y_true, y_pred, sample_weight=None):
        """Return the reduced loss of a batch (see the module docstring)."""
        return compute_weighted_loss(self.call(y_true, y_pred), sample_weight, self.reduction)

    def call(self, y_true, y_pred):
        """Return the per-sample losses, shape ``y_pred.shape[:-1]``."""
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred).")

    def get_config(self):
        return {"reduction": self.reduction, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"


def _default_name(cls):
    return snake_case(cls.__name__)


class LossFunctionWrapper(Loss):
    """A :class:`Loss` around a per-sample function ``fn(y_true, y_pred, **kwargs)``.

    Example:
        >>> from hilayers.losses import LossFunctionWrapper, huber
        >>> loss = LossFunctionWrapper(huber, name="huber_loss", delta=2.0)
    """

    def __init__(self, fn, reduction=Reduction.SUM_OVER_BATCH_SIZE, name=None, **kwargs):
        super().__init__(reduction=reduction, name=name or getattr(fn, "__name__", None))
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def __getattr__(self, attr):
        # The function's options read like attributes, as in Keras: loss.from_logits.
        kwargs = self.__dict__.get("_fn_kwargs", {})
        if attr in kwargs:
            return kwargs[attr]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {attr!r}")

    def get_config(self):
        config = super().get_config()
        config.update(self._fn_kwargs)
        if type(self) is LossFunctionWrapper:
            config["fn"] = self.fn.__name__
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if cls is LossFunctionWrapper:
            from . import get
            config["fn"] = get(config["fn"])
        return cls(**config)


# -- the Keras loss classes ------------------------------------------------------------------
# Each stores its function's keyword arguments, so get_config() returns them with
# reduction and name, and from_config(config) rebuilds an equal loss.

_SOBS = Reduction.SUM_OVER_BATCH_SIZE


class MeanSquaredError(LossFunctionWrapper):
    """Mean of squares of errors, :func:`~hilayers.losses.mean_squared_error`.

    Example:
        >>> loss = MeanSquaredError(reduction="sum")
    """

    def __init__(self, reduction=_SOBS, name="mean_squared_error"):
        super().__init__(F.mean_squared_error, reduction=reduction, name=name)


class MeanAbsoluteError(LossFunctionWrapper):
    """Mean of absolute errors, :func:`~hilayers.losses.mean_absolute_error`."""

    def __init__(self, reduction=_SOBS, name="mean_absolute_error"):
        super().__init__(F.mean_absolute_error, reduction=reduction, name=name)


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """:func:`~hilayers.losses.mean_absolute_percentage_error` as a loss class."""

    def __init__(self, reduction=_SOBS, name="mean_absolute_percentage_error"):
        super().__init__(F.mean_absolute_percentage_error, reduction=reduction, name=name)


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """:func:`~hilayers.losses.mean_squared_logarithmic_error` as a loss class."""

    def __init__(self, reduction=_SOBS, name="mean_squared_logarithmic_error"):
        super().__init__(F.mean_squared_logarithmic_error, reduction=reduction, name=name)


class BinaryCrossentropy(LossFunctionWrapper):
    """Binary cross-entropy, :func:`~hilayers.losses.binary_crossentropy`.

    Args:
        from_logits: whether predictions are logits (default: probabilities).
        label_smoothing: float in ``[0, 1]``; targets become ``z (1 - ls) + 0.5 ls``.
        axis: the axis averaged.

    Example:
        >>> loss = BinaryCrossentropy(from_logits=True, label_smoothing=0.1)
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction=_SOBS,
                 name="binary_crossentropy"):
        super().__init__(F.binary_crossentropy, reduction=reduction, name=name,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class CategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy with one-hot targets, :func:`~hilayers.losses.categorical_crossentropy`.

    Args:
        from_logits: whether predictions are logits (default: probabilities).
        label_smoothing: float in ``[0, 1]``; targets become ``y (1 - ls) + ls / classes``.
        axis: the class axis.

    Example:
        >>> loss = CategoricalCrossentropy(label_smoothing=0.1)
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction=_SOBS,
                 name="categorical_crossentropy"):
        super().__init__(F.categorical_crossentropy, reduction=reduction, name=name,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy with integer targets,
    :func:`~hilayers.losses.sparse_categorical_crossentropy`.

    Example:
        >>> loss = SparseCategoricalCrossentropy(from_logits=True)
    """

    def __init__(self, from_logits=False, axis=-1, reduction=_SOBS,
                 name="sparse_categorical_crossentropy"):
        super().__init__(F.sparse_categorical_crossentropy, reduction=reduction, name=name,
                         from_logits=from_logits, axis=axis)


class Hinge(LossFunctionWrapper):
    """:func:`~hilayers.losses.hinge` as a loss class (targets -1/1, or 0/1 mapped)."""

    def __init__(self, reduction=_SOBS, name="hinge"):
        super().__init__(F.hinge, reduction=reduction, name=name)


class SquaredHinge(LossFunctionWrapper):
    """:func:`~hilayers.losses.squared_hinge` as a loss class."""

    def __init__(self, reduction=_SOBS, name="squared_hinge"):
        super().__init__(F.squared_hinge, reduction=reduction, name=name)


class CategoricalHinge(LossFunctionWrapper):
    """:func:`~hilayers.losses.categorical_hinge` as a loss class."""

    def __init__(self, reduction=_SOBS, name="categorical_hinge"):
        super().__init__(F.categorical_hinge, reduction=reduction, name=name)


class Huber(LossFunctionWrapper):
    """Huber loss, :func:`~hilayers.losses.huber`: quadratic for errors up to ``delta``,
    linear beyond.

    Example:
        >>> loss = Huber(delta=2.0)
    """

    def __init__(self, delta=1.0, reduction=_SOBS, name="huber_loss"):
        super().__init__(F.huber, reduction=reduction, name=name, delta=delta)


class LogCosh(LossFunctionWrapper):
    """:func:`~hilayers.losses.log_cosh` as a loss class."""

    def __init__(self, reduction=_SOBS, name="log_cosh"):
        super().__init__(F.log_cosh, reduction=reduction, name=name)


class KLDivergence(LossFunctionWrapper):
    """Kullback-Leibler divergence, :func:`~hilayers.losses.kl_divergence`."""

    def __init__(self, reduction=_SOBS, name="kl_divergence"):
        super().__init__(F.kl_divergence, reduction=reduction, name=name)


class Poisson(LossFunctionWrapper):
    """:func:`~hilayers.losses.poisson` as a loss class."""

    def __init__(self, reduction=_SOBS, name="poisson"):
        super().__init__(F.poisson, reduction=reduction, name=name)


class CosineSimilarity(LossFunctionWrapper):
    """Negative cosine similarity along ``axis``, :func:`~hilayers.losses.cosine_similarity`.

    Example:
        >>> loss = CosineSimilarity(axis=1)
    """

    def __init__(self, axis=-1, reduction=_SOBS, name="cosine_similarity"):
        super().__init__(F.cosine_similarity, reduction=reduction, name=name, axis=axis)


CLASSES = [MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
           MeanSquaredLogarithmicError, BinaryCrossentropy, CategoricalCrossentropy,
           SparseCategoricalCrossentropy, Hinge, SquaredHinge, CategoricalHinge, Huber,
           LogCosh, KLDivergence, Poisson, CosineSimilarity]
