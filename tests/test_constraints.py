"""Constraints: projections against NumPy, configs and errors."""
import numpy as np
import pytest

from hilayers import backend as K, constraints

W = np.array([[3.0, 0.1, -1.0], [4.0, -0.2, 1.0]], np.float32)


def _apply(c, w=W):
    return K.Session().run(c(K.variable(w)))


def _norms(w, axis=0):
    return np.sqrt(np.square(w).sum(axis=axis, keepdims=True))


def test_max_norm():
    out = _apply(constraints.MaxNorm(2.0))
    n = _norms(W)
    np.testing.assert_allclose(out, W * np.minimum(n, 2.0) / (1e-7 + n), rtol=1e-5)
    assert (_norms(out) <= 2.0 + 1e-5).all()
    np.testing.assert_allclose(out[:, 1], W[:, 1], rtol=1e-5)   # small columns unchanged


def test_non_neg_and_unit_norm():
    np.testing.assert_array_equal(_apply(constraints.get("non_neg")), np.maximum(W, 0))
    out = _apply(constraints.UnitNorm(axis=1))
    np.testing.assert_allclose(_norms(out, 1), np.ones((2, 1)), rtol=1e-5)


def test_min_max_norm_and_conv_axes():
    out = _apply(constraints.MinMaxNorm(min_value=1.0, max_value=2.0))
    np.testing.assert_allclose(_norms(out), [[2.0, 1.0, 1.4142135]], rtol=1e-5)
    kernel = np.random.default_rng(0).standard_normal((3, 3, 2, 4)).astype(np.float32) * 3
    out = _apply(constraints.MaxNorm(1.0, axis=[0, 1, 2]), kernel)
    assert (np.sqrt(np.square(out).sum(axis=(0, 1, 2))) <= 1.0 + 1e-5).all()


@pytest.mark.parametrize("c", [constraints.MaxNorm(3, axis=[0, 1]), constraints.NonNeg(),
                               constraints.UnitNorm(1), constraints.MinMaxNorm(0.5, 1.5, 0.9)])
def test_config_round_trip(c):
    twin = constraints.deserialize(constraints.serialize(c))
    assert type(twin) is type(c) and twin.get_config() == c.get_config()


def test_names_and_errors():
    assert isinstance(constraints.get("maxnorm"), constraints.MaxNorm)
    assert isinstance(constraints.get("unit_norm"), constraints.UnitNorm)
    assert constraints.get(None) is None
    with pytest.raises(ValueError, match=r"Unknown constraint 'max'\. Valid names: max_norm"):
        constraints.get("max")
    with pytest.raises(ValueError, match="MinMaxNorm: min_value 2 is above max_value 1"):
        constraints.MinMaxNorm(2, 1)
