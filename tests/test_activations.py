"""Activations: values against NumPy, Keras 2 relu options, names and errors."""
import math

import numpy as np
import pytest

from hilayers import activations
from hilayers import backend as K
from hilayers.utils.registry import register_custom_object

X = np.array([[-4.0, -1.5, -0.2, 0.0, 0.3, 2.0, 7.5]], np.float32)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


REFERENCES = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.clip(x, 0, 6),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x)),
    "sigmoid": _sigmoid,
    "hard_sigmoid": lambda x: np.clip(0.2 * x + 0.5, 0, 1),
    "tanh": np.tanh,
    "softplus": lambda x: np.log1p(np.exp(x)),
    "softsign": lambda x: x / (1 + np.abs(x)),
    "gelu": lambda x: 0.5 * x * (1 + np.vectorize(math.erf)(x / np.sqrt(2))),
    "swish": lambda x: x * _sigmoid(x),
    "silu": lambda x: x * _sigmoid(x),
    "exponential": np.exp,
    "softmax": _softmax,
    "log_softmax": lambda x: np.log(_softmax(x)),
}


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_values_against_numpy(name):
    fn = activations.get(name)
    out = K.Session().run(fn(K.constant(X)))
    np.testing.assert_allclose(out, REFERENCES[name](X.astype(np.float64)), rtol=1e-5,
                               atol=1e-6)
    assert activations.serialize(fn) == name
    assert activations.deserialize(name) is fn


def test_relu_keras2_options():
    x = K.constant(X)
    run = K.Session().run
    np.testing.assert_allclose(run(activations.relu(x, alpha=0.1)),
                               np.where(X > 0, X, 0.1 * X), rtol=1e-6)
    np.testing.assert_allclose(run(activations.relu(x, max_value=1.0)), np.clip(X, 0, 1))
    np.testing.assert_allclose(run(activations.relu(x, threshold=0.25)),
                               np.where(X > 0.25, X, 0.0))
    expected = np.where(X >= 1.0, np.minimum(X, 5.0), 0.5 * (X - 1.0))
    np.testing.assert_allclose(run(activations.relu(x, alpha=0.5, max_value=5.0,
                                                    threshold=1.0)), expected, rtol=1e-6)


def test_softmax_axis():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    out = K.Session().run(activations.softmax(K.constant(x), axis=0))
    np.testing.assert_allclose(out.sum(axis=0), np.ones(3), rtol=1e-6)


def test_gradient_of_keras2_hard_sigmoid():
    x = K.constant(X)
    (g,) = K.gradients(K.sum(activations.hard_sigmoid(x)), [x])
    np.testing.assert_allclose(K.Session().run(g), np.where(np.abs(X) < 2.5, 0.2, 0.0))


def test_get_none_and_callables():
    assert activations.get(None) is activations.linear
    fn = lambda x: x  # noqa: E731
    assert activations.get(fn) is fn
    assert activations.get({"class_name": "tanh", "config": {}}) is activations.tanh
    assert activations.serialize(None) == "linear"


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match=r"Unknown activation 'rleu'\. Valid names: .*relu"):
        activations.get("rleu")
    with pytest.raises(TypeError, match="Could not interpret activation"):
        activations.get(3)


def test_custom_activation_round_trip():
    @register_custom_object("double_it")
    def double_it(x):
        return 2.0 * x
    assert activations.serialize(double_it) == "double_it"
    assert activations.get("double_it") is double_it


def test_lambda_cannot_be_serialized():
    with pytest.raises(ValueError, match="Cannot serialize activation.*register"):
        activations.serialize(lambda x: x)
