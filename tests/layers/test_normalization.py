"""BatchNormalization and LayerNormalization: harness, formulas, moving averages, errors."""
import numpy as np
import pytest

from hilayers import backend as K
from hilayers.layers import BatchNormalization, LayerNormalization
from hilayers.layers.base import collect_updates

from .harness import layer_test


@pytest.mark.parametrize("kwargs, shape", [
    ({}, (4, 3)),
    (dict(axis=1, momentum=0.9, epsilon=1e-2), (4, 3, 2)),
    (dict(center=False, scale=False), (3, 2, 2, 3)),
    (dict(axis=[1, 2], gamma_initializer="random_normal", beta_regularizer="l2",
          gamma_constraint="non_neg"), (3, 2, 4)),
])
def test_batch_normalization_harness(kwargs, shape):
    count = 2 + kwargs.get("center", True) + kwargs.get("scale", True)
    layer_test(BatchNormalization, kwargs, shape, same_in_training=False,
               expected_weights=count)


def test_weight_order_and_trainability():
    layer = BatchNormalization()
    layer(K.placeholder((None, 5)))
    names = [w.name.split("/")[-1].split(":")[0] for w in layer.weights]
    assert names == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert len(layer.trainable_weights) == 2 and len(layer.non_trainable_weights) == 2
    assert set(layer.get_config()) >= {"axis", "momentum", "epsilon", "center", "scale",
                                       "moving_mean_initializer", "moving_variance_initializer"}


def _setup(rng, shape=(6, 4, 3), axis=-1, **kwargs):
    layer = BatchNormalization(axis=axis, **kwargs)
    x = K.placeholder((None,) + shape[1:])
    layer(x)
    gamma, beta = rng.uniform(0.5, 2, (2, shape[axis]))
    mean, var = rng.standard_normal(shape[axis]), rng.uniform(0.5, 2, shape[axis])
    layer.set_weights([gamma, beta, mean, var])
    data = rng.standard_normal(shape).astype(np.float32) * 3 + 1
    return layer, x, data, (gamma, beta, mean, var)


def _bshape(v, ndim, axis):
    shape = [1] * ndim
    shape[axis] = -1
    return v.reshape(shape)


@pytest.mark.parametrize("axis", [-1, 1])
def test_inference_formula(axis, rng):
    layer, x, data, (gamma, beta, mean, var) = _setup(rng, axis=axis, epsilon=1e-2)
    b = lambda v: _bshape(v, 3, axis)  # noqa: E731
    expected = b(gamma) * (data - b(mean)) / np.sqrt(b(var) + 1e-2) + b(beta)
    for training in (False, None):
        out = K.Session().run(layer(x, training=training), {x: data})
        np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("axis", [-1, 1])
def test_training_uses_batch_statistics_and_updates_moving_ones(axis, rng):
    layer, x, data, (gamma, beta, mean, var) = _setup(rng, axis=axis, momentum=0.8)
    reduce = tuple(a for a in range(3) if a != axis % 3)
    b = lambda v: _bshape(v, 3, axis)  # noqa: E731
    with collect_updates() as updates:
        y = layer(x, training=True)
    assert len(updates) == 2
    f = K.function([x], y, updates=updates)
    out = f([data])
    batch_mean, batch_var = data.mean(reduce), data.var(reduce)
    expected = b(gamma) * (data - b(batch_mean)) / np.sqrt(b(batch_var) + 1e-3) + b(beta)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)
    new_mean, new_var = layer.get_weights()[2:]
    np.testing.assert_allclose(new_mean, 0.8 * mean + 0.2 * batch_mean, rtol=1e-5)
    np.testing.assert_allclose(new_var, 0.8 * var + 0.2 * batch_var, rtol=1e-5)
    f([data])
    np.testing.assert_allclose(layer.get_weights()[2],
                               0.8 * (0.8 * mean + 0.2 * batch_mean) + 0.2 * batch_mean,
                               rtol=1e-5)


def test_inference_adds_no_updates_and_frozen_layer_uses_moving_statistics(rng):
    layer, x, data, (gamma, beta, mean, var) = _setup(rng)
    with collect_updates() as updates:
        layer(x, training=False)
    assert updates == []
    layer.trainable = False
    with collect_updates() as updates:
        out = K.Session().run(layer(x, training=True), {x: data})
    assert updates == []
    np.testing.assert_allclose(out, gamma * (data - mean) / np.sqrt(var + 1e-3) + beta,
                               rtol=1e-4, atol=1e-5)


def test_batch_normalization_errors_and_keras2_configs():
    layer = BatchNormalization(name="bn")
    layer(K.placeholder((None, 4)))
    with pytest.raises(ValueError, match=r"'bn' \(BatchNormalization\): expected axis 1 of "
                                         r"size 4, received shape \(None, 5\)"):
        layer(K.placeholder((None, 5)))
    with pytest.raises(ValueError, match=r"axis 3 is out of range for inputs of rank 2"):
        BatchNormalization(axis=3)(K.placeholder((None, 4)))
    with pytest.raises(ValueError, match=r"axis -1 of the input must have a known size"):
        BatchNormalization()(K.placeholder((None, None)))
    config = dict(BatchNormalization().get_config(), fused=True, renorm=False,
                  virtual_batch_size=None)
    assert BatchNormalization.from_config(config).momentum == 0.99
    with pytest.raises(ValueError, match="option renorm=True is not supported"):
        BatchNormalization.from_config(dict(config, renorm=True))


@pytest.mark.parametrize("kwargs, shape", [
    ({}, (4, 3)),
    (dict(axis=[1, 2], epsilon=1e-5), (3, 2, 4)),
    (dict(axis=1, center=False), (3, 4, 2)),
    (dict(scale=False, beta_initializer="ones"), (2, 3, 5)),
])
def test_layer_normalization_harness(kwargs, shape):
    count = kwargs.get("center", True) + kwargs.get("scale", True)
    layer_test(LayerNormalization, kwargs, shape, expected_weights=count)


@pytest.mark.parametrize("axis, shape", [(-1, (3, 4, 5)), ([1, 2], (3, 4, 5)), (1, (3, 4, 5))])
def test_layer_normalization_formula(axis, shape, rng):
    layer = LayerNormalization(axis=axis)
    x = K.placeholder((None,) + shape[1:])
    y = layer(x)
    axes = tuple(a % 3 for a in (axis if isinstance(axis, list) else [axis]))
    param_shape = tuple(shape[a] for a in axes)
    gamma, beta = rng.uniform(0.5, 2, (2,) + param_shape)
    layer.set_weights([gamma, beta])
    names = [w.name.split("/")[-1].split(":")[0] for w in layer.weights]
    assert names == ["gamma", "beta"]
    data = rng.standard_normal(shape).astype(np.float32) * 2 + 3
    full = [1] * 3
    for a in axes:
        full[a] = shape[a]
    mean, var = data.mean(axes, keepdims=True), data.var(axes, keepdims=True)
    expected = gamma.reshape(full) * (data - mean) / np.sqrt(var + 1e-3) + beta.reshape(full)
    np.testing.assert_allclose(K.Session().run(y, {x: data}), expected, rtol=1e-4, atol=1e-5)
