"""Regularizers: penalty values, Keras defaults, configs and errors."""
import numpy as np
import pytest

from hilayers import backend as K, regularizers

W = np.array([[1.0, -2.0], [0.5, 0.0]], np.float32)


def _penalty(reg):
    return float(K.Session().run(reg(K.variable(W))))


def test_values_and_defaults():
    l1, l2 = np.abs(W).sum(), np.square(W).sum()
    np.testing.assert_allclose(_penalty(regularizers.get("l1")), 0.01 * l1, rtol=1e-6)
    np.testing.assert_allclose(_penalty(regularizers.get("l2")), 0.01 * l2, rtol=1e-6)
    np.testing.assert_allclose(_penalty(regularizers.get("l1_l2")), 0.01 * (l1 + l2),
                               rtol=1e-6)
    np.testing.assert_allclose(_penalty(regularizers.L1L2(l1=0.1, l2=0.2)),
                               0.1 * l1 + 0.2 * l2, rtol=1e-6)
    assert _penalty(regularizers.L1L2()) == 0.0
    assert regularizers.L1L2().get_config() == {"l1": 0.0, "l2": 0.0}


def test_gradient():
    w = K.variable(W)
    (g,) = K.gradients(regularizers.L1L2(0.1, 0.2)(w), [w])
    np.testing.assert_allclose(K.Session().run(g), 0.1 * np.sign(W) + 0.4 * W, rtol=1e-6)


@pytest.mark.parametrize("reg", [regularizers.L1(0.3), regularizers.L2(0.002),
                                 regularizers.L1L2(0.1, 0.0)])
def test_config_round_trip(reg):
    config = regularizers.serialize(reg)
    twin = regularizers.deserialize(config)
    assert type(twin) is type(reg) and twin.get_config() == reg.get_config()
    assert regularizers.get(config).get_config() == reg.get_config()


def test_errors():
    with pytest.raises(ValueError, match=r"Unknown regularizer 'l3'\. Valid names: l1, l1_l2, l2"):
        regularizers.get("l3")
    with pytest.raises(ValueError, match="L2: l2 must be >= 0; received -1.0"):
        regularizers.L2(-1)
    with pytest.raises(TypeError, match="Could not interpret regularizer"):
        regularizers.get(0.1)
