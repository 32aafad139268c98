"""``DistributedOptimizer``: any hilayers optimizer, averaging its gradients across ranks.

The optimizer builds a training step as ``(variable, new_value)`` updates from gradients
(``get_updates`` -> ``apply_gradients``). A distributed optimizer puts the gradients through
:func:`~.graph_ops.average_gradients` at the start of ``apply_gradients``, so everything after
(clipping, weight decay, the update rule, constraints) sees the mean gradient of the global
batch: every rank then applies the same update to the same weights.

The optimizer keeps its class name, config and state: it is the same object with a subclass
of its class that adds the averaging, so saving writes a plain ``Adam`` (or ``SGD``...) and a
saved model loads anywhere.

Example:
    >>> from hilayers import optimizers
    >>> from hilayers.distribute import DistributedOptimizer, scale_learning_rate
    >>> opt = DistributedOptimizer(optimizers.Adam(scale_learning_rate(1e-3, size=4)))
    >>> type(opt).__name__, opt.learning_rate, is_distributed(opt)
    ('Adam', 0.004, True)
"""
import math

from .graph_ops import average_gradients
from .runtime import context as current_context


class AveragesGradients:
    """The mix-in that makes an optimizer average its gradients across ranks."""

    def apply_gradients(self, grads_and_vars, constraints=None):
        pairs = list(grads_and_vars)
        gradients = average_gradients([g for g, _ in pairs], [v for _, v in pairs])
        return super().apply_gradients(zip(gradients, [v for _, v in pairs]),
                                       constraints=constraints)

    def __repr__(self):
        base = type(self).__mro__[2].__name__
        return f"<Distributed {base} name={self.name!r} ranks={current_context().size}>"


_classes = {}


def _distributed_class(cls):
    if cls not in _classes:
        _classes[cls] = type(cls.__name__, (AveragesGradients, cls),
                             {"__module__": cls.__module__, "__qualname__": cls.__qualname__,
                              "__doc__": cls.__doc__})
    return _classes[cls]


def DistributedOptimizer(optimizer):  # noqa: N802 (a constructor, named as Horovod users expect)
    """Make ``optimizer`` average its gradients over every rank at each step.

    Wrap the optimizer before ``compile``, or before the first ``fit`` after a compile: the
    averaging is part of the training function, which is built once. The optimizer's state
    (a loaded model's, say) is kept.

    Args:
        optimizer: an :class:`~hilayers.optimizers.Optimizer` or a name (``'adam'``).

    Returns:
        the same optimizer object (a name gives a new one), now averaging gradients.

    Raises:
        ValueError: for an unknown optimizer name.
        DistributedUnavailableError: without mpi4py (says what to install).
    """
    from .. import optimizers
    optimizer = optimizers.get(optimizer)
    current_context()
    if not isinstance(optimizer, AveragesGradients):
        optimizer.__class__ = _distributed_class(type(optimizer))
    return optimizer


def is_distributed(optimizer):
    """Whether ``optimizer`` averages its gradients across ranks."""
    return isinstance(optimizer, AveragesGradients)


def scale_learning_rate(learning_rate, size=None, rule="linear"):
    """A learning rate for a global batch ``size`` times each rank's batch.

    ``'linear'``: ``learning_rate * size`` (Goyal et al., "Accurate, Large Minibatch SGD:
    Training ImageNet in 1 Hour", 2017, for SGD; pair it with a warm-up on large jobs).
    ``'sqrt'``: ``learning_rate * sqrt(size)``, the milder rule often used with Adam.

    Args:
        learning_rate: the rate tuned for one process.
        size: the number of processes (default: this job's).
        rule: ``'linear'`` or ``'sqrt'``.

    Returns:
        float

    Raises:
        ValueError: for an unknown rule, a non-positive size or rate.

    Example:
        >>> scale_learning_rate(0.01, size=8), scale_learning_rate(0.01, size=4, rule="sqrt")
        (0.08, 0.02)
    """
    if rule not in ("linear", "sqrt"):
        raise ValueError(f"scale_learning_rate: rule must be 'linear' or 'sqrt'; received "
                         f"{rule!r}.")
    size = current_context().size if size is None else size
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"scale_learning_rate: size must be a positive int (the number of "
                         f"processes); received {size!r}.")
    if not learning_rate > 0:
        raise ValueError(f"scale_learning_rate: learning_rate must be positive; received "
                         f"{learning_rate!r}.")
    factor = size if rule == "linear" else math.sqrt(size)
    return float(learning_rate) * factor
