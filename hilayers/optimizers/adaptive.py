"""Optimizers with per-parameter adaptive step sizes: RMSprop, Adagrad, Adadelta."""
from .. import backend as K
from .base import Optimizer


class RMSprop(Optimizer):
    """RMSprop (Hinton, "Neural Networks for Machine Learning", lecture 6e, 2012)
    (``tf.keras.optimizers.RMSprop``).

    With slots ``v`` (mean square, 0), ``a`` (mean gradient, 0, if ``centered``) and ``m``
    (momentum, 0, if ``momentum > 0``)::

        v <- rho * v + (1 - rho) * g**2
        a <- rho * a + (1 - rho) * g                 (centered)
        d  = v - a**2 + epsilon if centered else v + epsilon
        s  = lr * g / sqrt(d)
        m <- momentum * m + s;  w <- w - m           (momentum > 0)
        w <- w - s                                   (otherwise)

    Args:
        learning_rate: default 0.001.
        rho: decay of the mean square (default 0.9).
        momentum: default 0.
        epsilon: default 1e-7.
        centered: normalise by the estimated variance instead of the mean square.

    Example:
        >>> opt = RMSprop(learning_rate=0.01, centered=True)
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name="rmsprop"):
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name)
        self.rho, self.momentum = float(rho), float(momentum)
        self.epsilon, self.centered = float(epsilon), bool(centered)

    def build_slots(self, param):
        self.add_slot(param, "velocity")
        if self.momentum > 0:
            self.add_slot(param, "momentum")
        if self.centered:
            self.add_slot(param, "average_gradient")

    def update_step(self, gradient, variable, value, learning_rate):
        rho = self.rho
        velocity = self.get_slot(variable, "velocity")
        new_velocity = rho * velocity + (1.0 - rho) * K.square(gradient)
        updates = [(velocity, new_velocity)]
        if self.centered:
            average = self.get_slot(variable, "average_gradient")
            new_average = rho * average + (1.0 - rho) * gradient
            updates.append((average, new_average))
            denominator = new_velocity - K.square(new_average) + self.epsilon
        else:
            denominator = new_velocity + self.epsilon
        increment = learning_rate * gradient / K.sqrt(denominator)
        if self.momentum > 0:
            momentum = self.get_slot(variable, "momentum")
            new_momentum = self.momentum * momentum + increment
            updates.append((momentum, new_momentum))
            return value - new_momentum, updates
        return value - increment, updates

    def get_config(self):
        config = super().get_config()
        config.update(rho=self.rho, momentum=self.momentum, epsilon=self.epsilon,
                      centered=self.centered)
        return config


class Adagrad(Optimizer):
    """Adagrad (Duchi, Hazan & Singer, "Adaptive Subgradient Methods for Online Learning and
    Stochastic Optimization", JMLR 2011) (``tf.keras.optimizers.Adagrad``)::

        acc <- acc + g**2                 (slot, starts at initial_accumulator_value)
        w   <- w - lr * g / sqrt(acc + epsilon)

    Args:
        learning_rate: default 0.001.
        initial_accumulator_value: default 0.1.
        epsilon: default 1e-7.

    Example:
        >>> opt = Adagrad(learning_rate=0.01)
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 name="adagrad"):
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name)
        self.initial_accumulator_value = float(initial_accumulator_value)
        self.epsilon = float(epsilon)

    def build_slots(self, param):
        self.add_slot(param, "accumulator", self.initial_accumulator_value)

    def update_step(self, gradient, variable, value, learning_rate):
        accumulator = self.get_slot(variable, "accumulator")
        new_accumulator = accumulator + K.square(gradient)
        new_value = value - learning_rate * gradient / K.sqrt(new_accumulator + self.epsilon)
        return new_value, [(accumulator, new_accumulator)]

    def get_config(self):
        config = super().get_config()
        config.update(initial_accumulator_value=self.initial_accumulator_value,
                      epsilon=self.epsilon)
        return config


class Adadelta(Optimizer):
    """Adadelta (Zeiler, "ADADELTA: An Adaptive Learning Rate Method", 2012)
    (``tf.keras.optimizers.Adadelta``). With ``rms(x) = sqrt(x + epsilon)`` and slots
    ``G`` (mean square gradient) and ``D`` (mean square update), both 0::

        G  <- rho * G + (1 - rho) * g**2
        dw  = -rms(D) / rms(G) * g          (with the new G, the old D)
        D  <- rho * D + (1 - rho) * dw**2
        w  <- w + lr * dw

    Args:
        learning_rate: default 0.001.
        rho: default 0.95.
        epsilon: default 1e-7.

    Example:
        >>> opt = Adadelta(learning_rate=1.0)
    """

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, name="adadelta"):
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name)
        self.rho, self.epsilon = float(rho), float(epsilon)

    def build_slots(self, param):
        self.add_slot(param, "accumulated_grad")
        self.add_slot(param, "accumulated_delta_var")

    def update_step(self, gradient, variable, value, learning_rate):
        rho, eps = self.rho, self.epsilon
        grad_acc = self.get_slot(variable, "accumulated_grad")
        delta_acc = self.get_slot(variable, "accumulated_delta_var")
        new_grad_acc = rho * grad_acc + (1.0 - rho) * K.square(gradient)
        delta = -K.sqrt(delta_acc + eps) * gradient / K.sqrt(new_grad_acc + eps)
        new_delta_acc = rho * delta_acc + (1.0 - rho) * K.square(delta)
        return value + learning_rate * delta, [(grad_acc, new_grad_acc),
                                               (delta_acc, new_delta_acc)]

    def get_config(self):
        config = super().get_config()
        config.update(rho=self.rho, epsilon=self.epsilon)
        return config
