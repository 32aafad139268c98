"""Normalization layers: ``BatchNormalization`` and ``LayerNormalization`` (tf.keras 2.x
arguments, defaults and weight order).

Example:
    >>> from hilayers import backend as K, layers
    >>> x = K.placeholder((None, 8, 8, 16))
    >>> bn = layers.BatchNormalization()
    >>> bn(x, training=True).shape, [w.name.split("/")[-1][:-2] for w in bn.weights]
    ((None, 8, 8, 16), ['gamma', 'beta', 'moving_mean', 'moving_variance'])
"""
from .. import backend as K, constraints, initializers, regularizers
from .base import InputSpec, Layer

# tf.keras 2.x BatchNormalization options hilayers does not implement; configs that carry
# them with these (inactive) values still load.
_INACTIVE_KERAS2_OPTIONS = {"renorm": False, "renorm_clipping": None, "renorm_momentum": 0.99,
                            "virtual_batch_size": None, "adjustment": None,
                            "synchronized": False}


def _axes_list(axis):
    return [int(a) for a in axis] if isinstance(axis, (list, tuple)) else [int(axis)]


class _Normalization(Layer):
    """Shared parts: the ``axis`` argument, ``gamma`` / ``beta`` weights and their config."""

    def __init__(self, axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                 beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint,
                 **kwargs):
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else int(axis)
        self.epsilon = float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def _resolve_axes(self, input_shape):
        """The normalized-feature axes as sorted non-negative ints, and their sizes."""
        ndim = len(input_shape)
        axes = sorted({a + ndim if a < 0 else a for a in _axes_list(self.axis)})
        if any(not 0 <= a < ndim for a in axes):
            raise ValueError(f"{type(self).__name__} {self.name!r}: axis {self.axis} is out of "
                             f"range for inputs of rank {ndim} (shape {tuple(input_shape)}).")
        unknown = [a for a in axes if input_shape[a] is None]
        if unknown:
            raise ValueError(f"{type(self).__name__} {self.name!r}: axis {self.axis} of the "
                             f"input must have a known size; received shape "
                             f"{tuple(input_shape)}.")
        return axes, tuple(input_shape[a] for a in axes)

    def _build_gamma_beta(self, param_shape):
        self.gamma = self.beta = None
        if self.scale:
            self.gamma = self.add_weight("gamma", param_shape, self.gamma_initializer,
                                         self.gamma_regularizer, self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight("beta", param_shape, self.beta_initializer,
                                        self.beta_regularizer, self.beta_constraint)

    def _broadcastable(self, param, ndim):
        """Reshape a weight of the normalized axes' shape to broadcast against the input."""
        if param is None or self._axes == list(range(ndim - len(self._axes), ndim)):
            return param
        shape = [1] * ndim
        for a in self._axes:
            shape[a] = self._input_shape[a]
        return K.reshape(param, tuple(shape))

    def get_config(self):
        return dict(super().get_config(), axis=self.axis, epsilon=self.epsilon,
                    center=self.center, scale=self.scale,
                    beta_initializer=initializers.serialize(self.beta_initializer),
                    gamma_initializer=initializers.serialize(self.gamma_initializer),
                    beta_regularizer=regularizers.serialize(self.beta_regularizer),
                    gamma_regularizer=regularizers.serialize(self.gamma_regularizer),
                    beta_constraint=constraints.serialize(self.beta_constraint),
                    gamma_constraint=constraints.serialize(self.gamma_constraint))


class BatchNormalization(_Normalization):
    """Normalize each feature by batch statistics in training and by their moving averages
    in inference: ``gamma * (x - mean) / sqrt(var + epsilon) + beta``.

    * ``training=True``: ``mean`` and ``var`` are the batch's (population variance over all
      axes but ``axis``), and the layer registers, through ``add_update``, the updates
      ``moving = momentum * moving + (1 - momentum) * batch_statistic`` for the training step
      to run (collect them with ``hilayers.layers.base.collect_updates()``).
    * ``training=False`` or None: the moving statistics are used, nothing is updated.
    * A layer with ``trainable=False`` always runs in inference mode (tf.keras 2.x behaviour,
      the one fine-tuning relies on).

    The moving variance is updated with the batch's population variance (tf.keras 2.x's
    non-fused path; its fused kernel used the sample variance).

    Input shape: any, with ``axis`` known. Output shape: the input's.

    Args:
        axis: the feature axis (default -1, channels-last), or a list of axes.
        momentum: of the moving averages (default 0.99).
        epsilon: added to the variance (default 1e-3).
        center, scale: whether to learn ``beta`` / ``gamma``.
        beta_initializer, gamma_initializer, moving_mean_initializer,
        moving_variance_initializer: defaults zeros, ones, zeros, ones.
        beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint: optional.

    Weights, in Keras' order: ``gamma``, ``beta`` (trainable, when scale / center), then
    ``moving_mean``, ``moving_variance`` (non-trainable).

    Example:
        >>> from hilayers.layers.base import collect_updates
        >>> with collect_updates() as updates:
        ...     y = BatchNormalization()(K.placeholder((None, 4)), training=True)
        >>> len(updates)
        2
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, beta_constraint,
                         gamma_constraint, **kwargs)
        self.momentum = float(momentum)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)

    def build(self, input_shape):
        self._axes, param_shape = self._resolve_axes(input_shape)
        self._input_shape = tuple(input_shape)
        self._build_gamma_beta(param_shape)
        self.moving_mean = self.add_weight("moving_mean", param_shape,
                                           self.moving_mean_initializer, trainable=False)
        self.moving_variance = self.add_weight("moving_variance", param_shape,
                                               self.moving_variance_initializer,
                                               trainable=False)
        self.input_spec = InputSpec(ndim=len(input_shape),
                                    axes={a: input_shape[a] for a in self._axes})
        self.built = True

    def call(self, inputs, training=None):
        ndim = inputs.ndim
        gamma = self._broadcastable(self.gamma, ndim)
        beta = self._broadcastable(self.beta, ndim)
        if training is not True or not self.trainable:
            mean = self._broadcastable(self.moving_mean, ndim)
            variance = self._broadcastable(self.moving_variance, ndim)
            return K.batch_normalization(inputs, mean, variance, beta, gamma, self.epsilon)
        reduction = [a for a in range(ndim) if a not in self._axes]
        mean, variance = K.moments(inputs, reduction, keepdims=True)
        outputs = K.batch_normalization(inputs, mean, variance, beta, gamma, self.epsilon)
        param_shape = self.moving_mean.shape
        batch_mean = K.reshape(K.stop_gradient(mean), param_shape)
        batch_variance = K.reshape(K.stop_gradient(variance), param_shape)
        decay = 1.0 - self.momentum
        self.add_update([
            (self.moving_mean, self.moving_mean * self.momentum + batch_mean * decay),
            (self.moving_variance,
             self.moving_variance * self.momentum + batch_variance * decay)])
        return outputs

    def get_config(self):
        return dict(super().get_config(), momentum=self.momentum,
                    moving_mean_initializer=initializers.serialize(
                        self.moving_mean_initializer),
                    moving_variance_initializer=initializers.serialize(
                        self.moving_variance_initializer))

    @classmethod
    def from_config(cls, config):
        """Rebuild from a config; tf.keras 2.x options left at their inactive defaults
        (``renorm=False``...) and ``fused`` (an implementation choice) are accepted."""
        config = dict(config)
        config.pop("fused", None)
        for key, inactive in _INACTIVE_KERAS2_OPTIONS.items():
            if key in config:
                value = config.pop(key)
                if value != inactive:
                    raise ValueError(f"BatchNormalization {config.get('name')!r}: option "
                                     f"{key}={value!r} is not supported by hilayers (only "
                                     f"{key}={inactive!r}).")
        return cls(**config)


class LayerNormalization(_Normalization):
    """Normalize each sample over ``axis`` (default the last): ``gamma * (x - mean) /
    sqrt(var + epsilon) + beta`` with ``mean`` and ``var`` taken per sample over ``axis``.
    The same in training and inference; no moving statistics.

    Input shape: any, with ``axis`` known. Output shape: the input's.

    Args:
        axis: an int or a list of ints (e.g. ``[1, 2, 3]`` for whole images).
        epsilon: added to the variance (default 1e-3).
        center, scale: whether to learn ``beta`` / ``gamma`` (of the ``axis`` dims' shape).
        beta_initializer, gamma_initializer: defaults zeros and ones.
        beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint: optional.

    Weights, in Keras' order: ``gamma``, ``beta``.

    Example:
        >>> y = LayerNormalization()(K.placeholder((None, 10, 32)))
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 **kwargs):
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, beta_constraint,
                         gamma_constraint, **kwargs)

    def build(self, input_shape):
        self._axes, param_shape = self._resolve_axes(input_shape)
        self._input_shape = tuple(input_shape)
        self._build_gamma_beta(param_shape)
        self.input_spec = InputSpec(ndim=len(input_shape),
                                    axes={a: input_shape[a] for a in self._axes})
        self.built = True

    def call(self, inputs):
        ndim = inputs.ndim
        mean, variance = K.moments(inputs, self._axes, keepdims=True)
        return K.batch_normalization(inputs, mean, variance,
                                     self._broadcastable(self.beta, ndim),
                                     self._broadcastable(self.gamma, ndim), self.epsilon)


__all__ = ["BatchNormalization", "LayerNormalization"]
