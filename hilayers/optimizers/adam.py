"""The Adam family: Adam (with AMSGrad), AdamW, Adamax and Nadam.

All use the 1-based step ``t = iterations + 1`` for bias correction and the slots
``m`` (first moment) and ``v`` (second moment), both starting at 0.

Adam and AdamW build each parameter's step as one fused op
(``hilayers.backend.adam_update``) unless created with ``fused=False``, which builds the
same formula from a dozen elementwise graph ops; the two give the same numbers bit for bit
(tests/test_optimizers.py), the fused one faster (docs/performance.md).
"""
from .. import backend as K
from .base import Optimizer


def _check_beta(owner, name, value):
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{owner}: {name} must be in [0, 1); received {value}.")
    return float(value)


class Adam(Optimizer):
    """Adam (Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015)
    (``tf.keras.optimizers.Adam``)::

        m <- m + (1 - beta_1) * (g - m)
        v <- v + (1 - beta_2) * (g**2 - v)
        v_max <- max(v_max, v); v = v_max          (amsgrad; Reddi, Kale & Kumar, "On the
                                                    Convergence of Adam and Beyond", ICLR 2018)
        w <- w - lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + epsilon)

    Args:
        learning_rate: default 0.001.
        beta_1: default 0.9.
        beta_2: default 0.999.
        epsilon: default 1e-7 (added after the bias correction is folded into the rate, as
            in Keras).
        amsgrad: use the running maximum of ``v``.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see
            :class:`~hilayers.optimizers.Optimizer`.
        fused: compute each parameter's step in one op (default) rather than a dozen graph
            ops; the numbers are the same, so it is not part of the config.

    Example:
        >>> opt = Adam(learning_rate=1e-3, amsgrad=True)
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name="adam", fused=True):
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name)
        self.beta_1 = _check_beta(type(self).__name__, "beta_1", beta_1)
        self.beta_2 = _check_beta(type(self).__name__, "beta_2", beta_2)
        self.epsilon, self.amsgrad = float(epsilon), bool(amsgrad)
        self.fused = bool(fused)

    def build_slots(self, param):
        self.add_slot(param, "m")
        self.add_slot(param, "v")
        if self.amsgrad:
            self.add_slot(param, "v_hat")

    def _moments(self, gradient, variable):
        m, v = self.get_slot(variable, "m"), self.get_slot(variable, "v")
        new_m = m + (1.0 - self.beta_1) * (gradient - m)
        new_v = v + (1.0 - self.beta_2) * (K.square(gradient) - v)
        return new_m, new_v, [(m, new_m), (v, new_v)]

    def _step_size(self, variable, learning_rate):
        """``lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)``, built once per step for each
        learning-rate tensor (parameters of one dtype share it)."""
        key = ("alpha", id(learning_rate))
        if key not in self._step_cache:
            t = self.local_step(variable.dtype)
            self._step_cache[key] = (learning_rate, learning_rate * K.sqrt(
                1.0 - K.power(self.beta_2, t)) / (1.0 - K.power(self.beta_1, t)))
        return self._step_cache[key][1]

    def update_step(self, gradient, variable, value, learning_rate):
        alpha = self._step_size(variable, learning_rate)
        if self.fused:
            m, v = self.get_slot(variable, "m"), self.get_slot(variable, "v")
            v_hat = self.get_slot(variable, "v_hat") if self.amsgrad else None
            new = K.adam_update(value, m, v, gradient, alpha, self.beta_1, self.beta_2,
                                self.epsilon, v_hat=v_hat)
            return new[0], list(zip([m, v] + ([v_hat] if self.amsgrad else []), new[1:]))
        new_m, new_v, updates = self._moments(gradient, variable)
        if self.amsgrad:
            v_hat = self.get_slot(variable, "v_hat")
            new_v = K.maximum(v_hat, new_v)
            updates.append((v_hat, new_v))
        return value - alpha * new_m / (K.sqrt(new_v) + self.epsilon), updates

    def get_config(self):
        config = super().get_config()
        config.update(beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon,
                      amsgrad=self.amsgrad)
        return config


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, "Decoupled Weight Decay
    Regularization", ICLR 2019) (``tf.keras.optimizers.AdamW``): each step first sets
    ``w <- w - lr * weight_decay * w``, then applies the :class:`Adam` rule.

    Args:
        learning_rate: default 0.001.
        weight_decay: default 0.004.
        beta_1, beta_2, epsilon, amsgrad: as :class:`Adam`.

    Raises:
        ValueError: when weight_decay is None.

    Example:
        >>> opt = AdamW(learning_rate=1e-3, weight_decay=0.01)
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name="adamw", fused=True):
        if weight_decay is None:
            raise ValueError("AdamW: weight_decay must be a float (default 0.004); received "
                             "None. Use Adam for no weight decay.")
        super().__init__(learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         amsgrad=amsgrad, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name,
                         fused=fused)


class Adamax(Optimizer):
    """Adamax, Adam with the infinity norm (Kingma & Ba 2015, section 7.1)
    (``tf.keras.optimizers.Adamax``). With slots ``m`` and ``u`` (both 0)::

        m <- m + (1 - beta_1) * (g - m)
        u <- max(beta_2 * u, |g|)
        w <- w - lr * m / ((1 - beta_1**t) * (u + epsilon))

    Args:
        learning_rate: default 0.001.
        beta_1: default 0.9.
        beta_2: default 0.999.
        epsilon: default 1e-7.

    Example:
        >>> opt = Adamax(learning_rate=0.002)
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 name="adamax"):
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name)
        self.beta_1 = _check_beta("Adamax", "beta_1", beta_1)
        self.beta_2 = _check_beta("Adamax", "beta_2", beta_2)
        self.epsilon = float(epsilon)

    def build_slots(self, param):
        self.add_slot(param, "m")
        self.add_slot(param, "u")

    def update_step(self, gradient, variable, value, learning_rate):
        t = self.local_step(variable.dtype)
        m, u = self.get_slot(variable, "m"), self.get_slot(variable, "u")
        new_m = m + (1.0 - self.beta_1) * (gradient - m)
        new_u = K.maximum(self.beta_2 * u, K.abs(gradient))
        step = learning_rate * new_m / ((1.0 - K.power(self.beta_1, t)) * (new_u + self.epsilon))
        return value - step, [(m, new_m), (u, new_u)]

    def get_config(self):
        config = super().get_config()
        config.update(beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)
        return config


class Nadam(Adam):
    """Adam with Nesterov momentum (Dozat, "Incorporating Nesterov Momentum into Adam",
    ICLR 2016 workshop) (``tf.keras.optimizers.Nadam``, Keras 3 form).

    With the momentum schedule ``mu_t = beta_1 * (1 - 0.5 * 0.96**t)`` and its running
    product ``P_t = mu_1 * ... * mu_t`` (an optimizer-wide variable ``u_product``, 1 at
    first)::

        m <- m + (1 - beta_1) * (g - m)
        v <- v + (1 - beta_2) * (g**2 - v)
        m_hat = mu_{t+1} * m / (1 - P_t * mu_{t+1}) + (1 - mu_t) * g / (1 - P_t)
        v_hat = v / (1 - beta_2**t)
        w <- w - lr * m_hat / (sqrt(v_hat) + epsilon)

    Args:
        learning_rate: default 0.001.
        beta_1: default 0.9.
        beta_2: default 0.999.
        epsilon: default 1e-7.

    Example:
        >>> opt = Nadam(learning_rate=0.002)
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 name="nadam"):
        super().__init__(learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, name=name)
        self._new_u_product = None

    def build_globals(self):
        self.u_product = self.add_global("u_product", 1.0, dtype="float64")

    def _mu(self, offset):
        t = self.local_step("float64", offset)
        return self.beta_1 * (1.0 - 0.5 * K.power(0.96, t))

    def global_updates(self):
        self._new_u_product = self.u_product * self._mu(1)
        return [(self.u_product, self._new_u_product)]

    def update_step(self, gradient, variable, value, learning_rate):
        dtype = variable.dtype
        mu_t, mu_next = self._cast(self._mu(1), dtype), self._cast(self._mu(2), dtype)
        product = self._cast(self._new_u_product, dtype)
        t = self.local_step(dtype)
        new_m, new_v, updates = self._moments(gradient, variable)
        m_hat = mu_next * new_m / (1.0 - product * mu_next) + (1.0 - mu_t) * gradient / (
            1.0 - product)
        v_hat = new_v / (1.0 - K.power(self.beta_2, t))
        return value - learning_rate * m_hat / (K.sqrt(v_hat) + self.epsilon), updates

    def get_config(self):
        config = Optimizer.get_config(self)
        config.update(beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)
        return config
