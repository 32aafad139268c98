"""Core layers: the generic harness for each configuration, values against NumPy, errors."""
import numpy as np
import pytest

from hilayers import activations
from hilayers import backend as K
from hilayers.layers import (Activation, Dense, Dropout, Flatten, Lambda, Permute, RepeatVector,
                             Reshape)
from hilayers.utils.registry import register_custom_object

from .harness import layer_test


@pytest.mark.parametrize("kwargs, shape", [
    (dict(units=3), (2, 4)),
    (dict(units=2, activation="relu", use_bias=False), (3, 5)),
    (dict(units=4, activation="tanh", kernel_initializer="he_normal",
          bias_initializer="ones"), (2, 3, 5)),
    (dict(units=1, kernel_regularizer="l2", bias_regularizer="l1",
          activity_regularizer="l1_l2", kernel_constraint="max_norm"), (2, 2, 2, 3)),
])
def test_dense_harness(kwargs, shape):
    layer_test(Dense, kwargs, shape, expected_weights=2 if kwargs.get("use_bias", True) else 1)


def test_dense_values_match_numpy(rng):
    layer = Dense(3, activation="sigmoid", bias_initializer="random_normal")
    x = K.placeholder((None, 2, 4))
    y = layer(x)
    kernel, bias = layer.get_weights()
    assert kernel.shape == (4, 3) and bias.shape == (3,)
    data = rng.standard_normal((5, 2, 4)).astype(np.float32)
    expected = 1 / (1 + np.exp(-(data @ kernel + bias)))
    np.testing.assert_allclose(K.Session().run(y, {x: data}), expected, rtol=1e-5)
    assert [w.name.split("/")[-1].split(":")[0] for w in layer.weights] == ["kernel", "bias"]


def test_dense_config_keys_match_keras():
    config = Dense(5, name="d").get_config()
    assert set(config) == {"name", "trainable", "dtype", "units", "activation", "use_bias",
                           "kernel_initializer", "bias_initializer", "kernel_regularizer",
                           "bias_regularizer", "activity_regularizer", "kernel_constraint",
                           "bias_constraint"}
    assert config["activation"] == "linear"
    assert config["kernel_initializer"] == {"class_name": "GlorotUniform",
                                            "config": {"seed": None}}


def test_dense_regularization_losses():
    layer = Dense(2, kernel_regularizer="l2", kernel_initializer="ones", use_bias=False)
    layer(K.placeholder((None, 3)))
    (loss,) = layer.losses
    np.testing.assert_allclose(K.Session().run(loss), 0.01 * 6)


def test_dense_wrong_input_size_names_layer_and_shapes():
    layer = Dense(10, name="classifier")
    layer(K.placeholder((None, 784)))
    with pytest.raises(ValueError, match=r"'classifier' \(Dense\).*784.*\(None, 10\)"):
        layer(K.placeholder((None, 10)))
    with pytest.raises(ValueError, match=r"Dense.*expected rank >= 2, received shape \(None,\)"):
        Dense(3)(K.placeholder((None,)))
    with pytest.raises(ValueError, match="last axis of the input must be known"):
        Dense(3)(K.placeholder((None, None)))
    with pytest.raises(ValueError, match="units must be a positive int; received 0"):
        Dense(0)


def test_unknown_activation_lists_valid_names():
    with pytest.raises(ValueError, match=r"Unknown activation 'rleu'.*relu, relu6"):
        Dense(3, activation="rleu")


@pytest.mark.parametrize("activation", ["relu", "softmax", "selu", "hard_sigmoid"])
def test_activation_harness(activation):
    layer_test(Activation, dict(activation=activation), (3, 4), expected_weights=0)


def test_activation_values():
    x = K.placeholder((None, 3))
    y = Activation("relu")(x)
    np.testing.assert_array_equal(K.Session().run(y, {x: [[-1.0, 0.0, 2.0]]}), [[0, 0, 2]])


@pytest.mark.parametrize("kwargs, shape", [
    (dict(rate=0.5), (3, 4)),
    (dict(rate=0.2, noise_shape=(None, 1, 4), seed=3), (2, 3, 4)),
    (dict(rate=0.0), (2, 3)),
])
def test_dropout_harness(kwargs, shape):
    layer_test(Dropout, kwargs, shape, expected_weights=0, same_in_training=False)


def test_dropout_training_and_inference(rng):
    x = K.placeholder((None, 100))
    data = rng.uniform(1.0, 2.0, (100, 100)).astype(np.float32)
    layer = Dropout(0.3)
    train, infer, default = K.Session().run(
        [layer(x, training=True), layer(x, training=False), layer(x)], {x: data})
    dropped = train == 0
    assert abs(dropped.mean() - 0.3) < 0.02
    np.testing.assert_allclose(train[~dropped], data[~dropped] / 0.7, rtol=1e-6)
    np.testing.assert_array_equal(infer, data)
    np.testing.assert_array_equal(default, data)


def test_dropout_noise_shape_shares_mask():
    x = K.placeholder((None, 5, 6))
    out = K.Session().run(Dropout(0.5, noise_shape=(None, 1, 6))(x, training=True),
                          {x: np.ones((4, 5, 6), np.float32)})
    assert (out == out[:, :1, :]).all()


def test_dropout_bad_rate():
    with pytest.raises(ValueError, match=r"Dropout 'd': rate must be in \[0, 1\); received 1.5"):
        Dropout(1.5, name="d")


@pytest.mark.parametrize("kwargs, shape, expected", [
    ({}, (2, 3, 4), (None, 12)),
    ({}, (2, 3, 2, 2), (None, 12)),
    (dict(data_format="channels_first"), (2, 3, 4), (None, 12)),
    ({}, (2, 5), (None, 5)),
])
def test_flatten(kwargs, shape, expected):
    out = layer_test(Flatten, kwargs, shape, expected_weights=0)
    assert out.shape == (shape[0],) + expected[1:]
    x = K.placeholder((None,) + shape[1:])
    assert Flatten(**kwargs)(x).shape == expected


def test_flatten_channels_first_order(rng):
    data = rng.standard_normal((2, 3, 4)).astype(np.float32)
    x = K.placeholder((None, 3, 4))
    out = K.Session().run(Flatten(data_format="channels_first")(x), {x: data})
    np.testing.assert_array_equal(out, data.transpose(0, 2, 1).reshape(2, -1))


@pytest.mark.parametrize("target, shape, expected", [
    ((3, 2), (2, 6), (None, 3, 2)),
    ((-1, 2), (2, 6), (None, 3, 2)),
    ((2, -1, 3), (2, 4, 3), (None, 2, 2, 3)),
    ((12,), (2, 3, 4), (None, 12)),
])
def test_reshape(target, shape, expected):
    out = layer_test(Reshape, dict(target_shape=target), shape, expected_weights=0)
    assert out.shape == (shape[0],) + expected[1:]


def test_reshape_errors():
    with pytest.raises(ValueError, match=r"cannot reshape input of shape \(None, 6\) to "
                                         r"target_shape \(4, 2\)"):
        Reshape((4, 2))(K.placeholder((None, 6)))
    with pytest.raises(ValueError, match="at most one -1"):
        Reshape((-1, -1))


@pytest.mark.parametrize("dims, shape", [((2, 1), (2, 3, 4)), ((3, 1, 2), (2, 3, 4, 5)),
                                         ((1,), (2, 3))])
def test_permute(dims, shape, rng):
    data = rng.standard_normal(shape).astype(np.float32)
    out = layer_test(Permute, dict(dims=dims), shape, expected_weights=0, input_data=data)
    np.testing.assert_array_equal(out, data.transpose((0,) + dims))


def test_permute_errors():
    with pytest.raises(ValueError, match=r"permutation of 1..2.*received \(0, 1\)"):
        Permute((0, 1))
    with pytest.raises(ValueError, match=r"'permute'.*expected rank 3"):
        Permute((2, 1), name="permute")(K.placeholder((None, 3)))


@pytest.mark.parametrize("n", [1, 3])
def test_repeat_vector(n, rng):
    data = rng.standard_normal((2, 4)).astype(np.float32)
    out = layer_test(RepeatVector, dict(n=n), (2, 4), expected_weights=0, input_data=data)
    np.testing.assert_array_equal(out, np.repeat(data[:, None, :], n, axis=1))


def test_repeat_vector_errors():
    with pytest.raises(ValueError, match="n must be a positive int"):
        RepeatVector(0)
    with pytest.raises(ValueError, match=r"RepeatVector.*expected rank 2"):
        RepeatVector(2)(K.placeholder((None, 3, 3)))


@register_custom_object("scaled_sum")
def scaled_sum(x, factor=1.0):
    return factor * K.sum(x, axis=-1, keepdims=True)


@register_custom_object("half_width")
def half_width(shape):
    return shape[:-1] + (shape[-1] // 2,)


@pytest.mark.parametrize("kwargs, shape", [
    (dict(function=K.square), (2, 3)),
    (dict(function=activations.relu), (2, 3)),
    (dict(function=scaled_sum, arguments={"factor": 2.0}), (2, 3)),
    (dict(function=scaled_sum, output_shape=(1,)), (2, 5)),
    (dict(function=lambda x: x[:, :2], output_shape=half_width), (2, 4)),
])
def test_lambda(kwargs, shape):
    if getattr(kwargs["function"], "__name__", "") == "<lambda>":
        # Not rebuildable from config: use the layer directly instead of the harness.
        x = K.placeholder((None,) + shape[1:])
        layer = Lambda(**kwargs)
        assert layer(x).shape == layer.compute_output_shape(x.shape) == (None, 2)
        return
    layer_test(Lambda, kwargs, shape, expected_weights=0)


def test_lambda_values_and_config():
    x = K.placeholder((None, 3))
    layer = Lambda(scaled_sum, arguments={"factor": 3.0})
    out = K.Session().run(layer(x), {x: [[1.0, 2.0, 3.0]]})
    np.testing.assert_allclose(out, [[18.0]])
    config = layer.get_config()
    assert config["function"] == "scaled_sum" and config["arguments"] == {"factor": 3.0}
    assert layer.compute_output_shape((None, 3)) == (None, 1)


def test_lambda_unregistered_function_cannot_be_rebuilt():
    def private(x):
        return x * 2.0
    layer = Lambda(private, name="lam")
    config = layer.get_config()
    assert config["function"] == "private" and config["function_type"] == "unregistered"
    with pytest.raises(ValueError, match=r"Lambda 'lam': cannot rebuild from config: function "
                                         r"'private' is not a registered function"):
        Lambda.from_config(config)
    # An unregistered function named like a backend op is not confused with it.
    def square(x):
        return x
    assert Lambda(square).get_config()["function_type"] == "unregistered"
    with pytest.raises(ValueError, match="'square' is not a registered function"):
        Lambda.from_config(Lambda(square).get_config())


def test_lambda_from_minimal_and_keras2_configs():
    layer = Lambda.from_config({"name": "sq", "function": "square", "output_shape": None,
                                "arguments": {}})
    assert layer.function is K.square
    keras2 = {"name": "l", "trainable": True, "dtype": "float32", "function": ["4wEA..."],
              "function_type": "lambda", "module": "__main__", "output_shape": None,
              "output_shape_type": "raw", "output_shape_module": None, "arguments": {}}
    with pytest.raises(ValueError, match="never hold code"):
        Lambda.from_config(keras2)


def test_identity_outputs_keep_the_input_history():
    from hilayers.layers.base import history_of
    x = K.placeholder((None, 3))
    h = Dense(3, name="d")(x)
    y = Activation("linear", name="act")(h)
    assert y is not h
    assert history_of(h)[0].layer.name == "d" and history_of(y)[0].layer.name == "act"


def test_set_random_seed_repeats_weights_and_dropout_masks():
    from hilayers.utils import set_random_seed
    data = np.ones((4, 50), np.float32)
    runs = []
    for _ in range(2):          # the same program twice: a fresh graph, then the seed
        K.reset_default_graph()
        set_random_seed(5)
        x = K.placeholder((None, 50))
        layer = Dense(4)
        layer(x)
        mask = K.Session().run(Dropout(0.5)(x, training=True), {x: data})
        runs.append((layer.get_weights()[0], mask))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
