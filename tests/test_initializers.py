"""Initializers: statistics against their formulas, seeding, configs and errors."""
import json

import numpy as np
import pytest

from hilayers import initializers
from hilayers.utils import set_random_seed

SHAPE = (400, 300)          # fan_in 400, fan_out 300: 120,000 draws


@pytest.mark.parametrize("name, variance", [
    ("glorot_uniform", 2.0 / 700), ("glorot_normal", 2.0 / 700),
    ("he_uniform", 2.0 / 400), ("he_normal", 2.0 / 400),
    ("lecun_uniform", 1.0 / 400), ("lecun_normal", 1.0 / 400),
])
def test_variance_scaling_presets_match_formula(name, variance):
    w = initializers.get(name)(SHAPE)
    assert w.shape == SHAPE and w.dtype == np.float32
    assert abs(w.mean()) < 0.01 * np.sqrt(variance) * 10
    np.testing.assert_allclose(w.var(), variance, rtol=0.03)


def test_uniform_limits_and_truncation():
    w = initializers.GlorotUniform()(SHAPE)
    assert np.abs(w).max() <= np.sqrt(6.0 / 700)
    w = initializers.HeNormal()(SHAPE)
    stddev = np.sqrt(2.0 / 400) / 0.87962566103423978
    assert np.abs(w).max() <= 2 * stddev + 1e-7
    t = initializers.TruncatedNormal(mean=1.0, stddev=0.5)((10000,))
    assert t.min() >= 0.0 and t.max() <= 2.0


@pytest.mark.parametrize("mode, n", [("fan_in", 3 * 3 * 8), ("fan_out", 3 * 3 * 16),
                                     ("fan_avg", 3 * 3 * 12)])
def test_conv_kernel_fans(mode, n):
    assert initializers.compute_fans((3, 3, 8, 16)) == (72, 144)
    init = initializers.VarianceScaling(scale=1.0, mode=mode, distribution="untruncated_normal")
    w = init((3, 3, 8, 16 * 40))
    fan_in, fan_out = initializers.compute_fans(w.shape)
    expected = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    np.testing.assert_allclose(w.var(), 1.0 / expected, rtol=0.05)


def test_compute_fans_small_shapes():
    assert initializers.compute_fans(()) == (1, 1)
    assert initializers.compute_fans((7,)) == (7, 7)
    assert initializers.compute_fans((5, 2)) == (5, 2)


def test_random_normal_and_uniform_statistics():
    n = initializers.RandomNormal(mean=2.0, stddev=0.5)((200, 200))
    np.testing.assert_allclose([n.mean(), n.std()], [2.0, 0.5], rtol=0.02)
    u = initializers.get("uniform")((200, 200))
    assert u.min() >= -0.05 and u.max() < 0.05
    np.testing.assert_allclose(u.var(), 0.1 ** 2 / 12, rtol=0.03)


@pytest.mark.parametrize("shape", [(6, 6), (10, 4), (4, 10), (3, 3, 2, 8)])
def test_orthogonal(shape):
    w = initializers.Orthogonal(gain=2.0)(shape).astype(np.float64)
    m = w.reshape(-1, shape[-1])
    if m.shape[0] >= m.shape[1]:
        np.testing.assert_allclose(m.T @ m, 4.0 * np.eye(m.shape[1]), atol=1e-5)
    else:
        np.testing.assert_allclose(m @ m.T, 4.0 * np.eye(m.shape[0]), atol=1e-5)


def test_constant_zeros_ones_identity():
    assert (initializers.get("zeros")((2, 3)) == 0).all()
    assert (initializers.get("ones")((2,)) == 1).all()
    np.testing.assert_array_equal(initializers.Constant(0.5)((2, 2)), np.full((2, 2), 0.5))
    np.testing.assert_array_equal(initializers.Constant([1, 2])((2, 2), dtype="int32"),
                                  [[1, 2], [1, 2]])
    np.testing.assert_array_equal(initializers.Identity(3.0)((2, 3)), 3.0 * np.eye(2, 3))
    assert initializers.get("zeros")((2,), dtype="float64").dtype == np.float64


def test_set_random_seed_gives_identical_weights():
    set_random_seed(11)
    a = [initializers.get(n)((5, 4)) for n in ("glorot_uniform", "he_normal", "orthogonal")]
    set_random_seed(11)
    b = [initializers.get(n)((5, 4)) for n in ("glorot_uniform", "he_normal", "orthogonal")]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    set_random_seed(12)
    assert not np.array_equal(initializers.get("glorot_uniform")((5, 4)), a[0])


def test_seeded_initializer_repeats_and_unseeded_does_not():
    init = initializers.GlorotNormal(seed=3)
    np.testing.assert_array_equal(init((4, 4)), init((4, 4)))
    np.testing.assert_array_equal(init((4, 4)), initializers.GlorotNormal(seed=3)((4, 4)))
    init = initializers.GlorotNormal()
    assert not np.array_equal(init((4, 4)), init((4, 4)))


@pytest.mark.parametrize("init", [
    initializers.Zeros(), initializers.Constant(2.5), initializers.RandomNormal(0.1, 2.0, 4),
    initializers.RandomUniform(-1.0, 1.0), initializers.TruncatedNormal(stddev=0.2, seed=1),
    initializers.VarianceScaling(2.0, "fan_out", "uniform", 5), initializers.GlorotUniform(7),
    initializers.HeUniform(), initializers.LecunNormal(), initializers.Orthogonal(0.5, 2),
])
def test_config_round_trip(init):
    config = initializers.serialize(init)
    assert json.loads(json.dumps(config)) == config
    twin = initializers.deserialize(config)
    assert type(twin) is type(init) and twin.get_config() == init.get_config()


def test_keras_config_keys():
    assert initializers.serialize(initializers.GlorotUniform()) == {
        "class_name": "GlorotUniform", "config": {"seed": None}}
    assert initializers.VarianceScaling().get_config() == {
        "scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal", "seed": None}
    assert isinstance(initializers.get("he_normal"), initializers.HeNormal)
    assert isinstance(initializers.get("GlorotUniform"), initializers.GlorotUniform)
    assert initializers.get({"class_name": "RandomUniform",
                             "config": {"minval": 0.0, "maxval": 1.0}}).maxval == 1.0


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="Unknown initializer 'glorot'.*glorot_uniform.*he_"):
        initializers.get("glorot")


def test_errors():
    with pytest.raises(ValueError, match="VarianceScaling: unknown mode 'fan_mid'"):
        initializers.VarianceScaling(mode="fan_mid")
    with pytest.raises(ValueError, match="unknown distribution 'cauchy'"):
        initializers.VarianceScaling(distribution="cauchy")
    with pytest.raises(ValueError, match="Orthogonal: needs a weight of rank >= 2"):
        initializers.Orthogonal()((3,))
    with pytest.raises(ValueError, match="can only create float weights; received dtype int32"):
        initializers.GlorotUniform()((3, 3), dtype="int32")
    with pytest.raises(ValueError, match="minval must be below maxval"):
        initializers.RandomUniform(1.0, 0.0)
    with pytest.raises(TypeError, match="Could not interpret initializer"):
        initializers.get(3)
