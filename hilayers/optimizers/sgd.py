"""Stochastic gradient descent with optional (Nesterov) momentum."""
from .base import Optimizer


class SGD(Optimizer):
    """Gradient descent with momentum (``tf.keras.optimizers.SGD``).

    With ``momentum == 0``: ``w <- w - lr * g``. Otherwise, with the velocity ``m``
    (a slot, initially 0)::

        m <- momentum * m - lr * g
        w <- w + m                              (classical momentum, Polyak 1964)
        w <- w + momentum * m - lr * g          (nesterov=True; Sutskever et al., "On the
                                                 importance of initialization and momentum
                                                 in deep learning", ICML 2013)

    Args:
        learning_rate: float or schedule (default 0.01).
        momentum: float in ``[0, 1]`` (default 0).
        nesterov: use Nesterov momentum.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see
            :class:`~hilayers.optimizers.Optimizer`.

    Raises:
        ValueError: for a momentum outside ``[0, 1]``.

    Example:
        >>> opt = SGD(learning_rate=0.1, momentum=0.9, nesterov=True)
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, name="SGD"):
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name)
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"SGD: momentum must be in [0, 1]; received {momentum}.")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    def build_slots(self, param):
        if self.momentum:
            self.add_slot(param, "momentum")

    def update_step(self, gradient, variable, value, learning_rate):
        if not self.momentum:
            return value - learning_rate * gradient, []
        m = self.get_slot(variable, "momentum")
        new_m = self.momentum * m - learning_rate * gradient
        if self.nesterov:
            return value + (self.momentum * new_m - learning_rate * gradient), [(m, new_m)]
        return value + new_m, [(m, new_m)]

    def get_config(self):
        config = super().get_config()
        config.update(momentum=self.momentum, nesterov=self.nesterov)
        return config
