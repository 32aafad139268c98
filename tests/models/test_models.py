"""Sequential and functional models: construction, replay, weights, summary, errors."""
import json

import numpy as np
import pytest

import hilayers
from hilayers import Input, Model, Sequential, layers
from hilayers import backend as K


def test_sequential_from_list_and_add_pop():
    model = Sequential([layers.Dense(8, activation="relu", input_shape=(4,))])
    model.add(layers.Dense(3))
    assert model.output_shape == (None, 3)
    assert [type(l).__name__ for l in model.layers] == ["Dense", "Dense"]
    assert len(model.weights) == 4
    model.pop()
    assert model.output_shape == (None, 8)
    with pytest.raises(TypeError, match="expects a Layer; received int"):
        model.add(3)


def test_sequential_with_input_tensor_and_deferred_build():
    model = Sequential([Input((5,)), layers.Dense(2)])
    assert model.input_shape == (None, 5)
    deferred = Sequential([layers.Dense(2)])
    assert deferred.outputs is None
    out = deferred.predict(np.ones((3, 7), dtype=np.float32))
    assert out.shape == (3, 2)
    assert deferred.layers[0].weights[0].shape == (7, 2)


def test_functional_multi_input_output_and_shared_layers():
    a = Input((4,), name="a")
    b = Input((4,), name="b")
    shared = layers.Dense(3, name="shared")
    merged = layers.Concatenate()([shared(a), shared(b)])
    out1 = layers.Dense(1, name="out1")(merged)
    out2 = layers.Dense(2, name="out2")(merged)
    model = Model([a, b], [out1, out2])
    assert model.input_names == ["a", "b"]
    assert model.output_names == ["out1", "out2"]
    names = [l.name for l in model.layers]
    assert names.count("shared") == 1
    xa, xb = np.ones((2, 4), np.float32), np.zeros((2, 4), np.float32)
    p1, p2 = model.predict([xa, xb])
    assert p1.shape == (2, 1) and p2.shape == (2, 2)
    by_name = model.predict({"a": xa, "b": xb})
    np.testing.assert_allclose(by_name[0], p1)


def test_model_used_as_a_layer_shares_weights():
    inner_in = Input((3,))
    inner = Model(inner_in, layers.Dense(2)(inner_in), name="inner")
    x = Input((3,))
    outer = Model(x, layers.Dense(1)(inner(x)))
    assert len(outer.weights) == 4
    data = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    direct = inner.predict(data)
    w, b = outer.layers[-1].get_weights()
    np.testing.assert_allclose(outer.predict(data), direct @ w + b, rtol=1e-5, atol=1e-6)


def test_subclassed_model():
    class TwoLayer(Model):
        def __init__(self):
            super().__init__(name="two_layer")
            self.hidden = layers.Dense(4, activation="tanh")
            self.out = layers.Dense(1)

        def call(self, inputs, training=None):
            return self.out(self.hidden(inputs))

    model = TwoLayer()
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).standard_normal((16, 3)).astype(np.float32)
    model.fit(x, x[:, :1], epochs=1, batch_size=8, verbose=0)
    assert len(model.trainable_weights) == 4
    assert model.predict(x).shape == (16, 1)


def test_disconnected_graph_is_reported():
    a, b = Input((2,), name="first"), Input((2,), name="second")
    out = layers.Add()([a, b])
    with pytest.raises(ValueError, match="Graph disconnected: .* cannot reach input 'second'"):
        Model(a, out)


def test_wrong_input_shape_names_the_layer_and_shapes():
    model = Sequential([layers.Dense(3, input_shape=(784,), name="dense_in")])
    with pytest.raises(ValueError, match=r"expects arrays of shape \(None, 784\); received an "
                                         r"array of shape \(2, 10\)"):
        model.predict(np.zeros((2, 10)))
    with pytest.raises(ValueError, match=r"layer 'dense_in' \(Dense\): expected axis -1 of size "
                                         r"784, received shape \(None, 10\)"):
        model.layers[0](K.placeholder((None, 10)))


def test_summary_lists_layers_and_totals():
    model = Sequential([layers.Dense(8, input_shape=(4,), name="d1"),
                        layers.BatchNormalization(name="bn"), layers.Dense(2, name="d2")])
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "d1 (Dense)" in text and "(None, 8)" in text and "40" in text
    assert "Total params: 90" in text
    assert "Trainable params: 74" in text
    assert "Non-trainable params: 16" in text


def test_trainable_switch_freezes_weights():
    model = Sequential([layers.Dense(2, input_shape=(3,)), layers.Dense(1)])
    model.layers[0].trainable = False
    assert len(model.trainable_weights) == 2
    assert len(model.non_trainable_weights) == 2
    before = model.layers[0].get_weights()
    model.compile("sgd", "mse")
    model.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0)
    for a, b in zip(before, model.layers[0].get_weights()):
        np.testing.assert_array_equal(a, b)


def test_configs_round_trip():
    model = Sequential([layers.Dense(4, activation="relu", input_shape=(3,)), layers.Dense(1)])
    config = model.get_config()
    assert json.loads(json.dumps(config)) == config
    twin = Sequential.from_config(config)
    twin.set_weights(model.get_weights())
    x = np.ones((2, 3), np.float32)
    np.testing.assert_allclose(twin.predict(x), model.predict(x))

    a = Input((3,), name="a")
    h = layers.Dense(4, name="h")(a)
    out = layers.Add(name="sum")([h, layers.Dense(4, name="skip")(a)])
    functional = Model(a, out, name="resid")
    fconfig = functional.get_config()
    assert json.loads(json.dumps(fconfig)) == fconfig
    rebuilt = Model.from_config(fconfig)
    rebuilt.set_weights(functional.get_weights())
    np.testing.assert_allclose(rebuilt.predict(x), functional.predict(x), rtol=1e-6)


def test_top_level_exports():
    assert hilayers.layers.Dense is layers.Dense
    assert hilayers.Sequential is Sequential


def test_models_deeper_than_the_recursion_limit_build_train_and_predict():
    # 1,500 layers: more than Python's default recursion limit (1,000) of nested calls.
    depth = 1500
    model = Sequential([Input((3,))] + [layers.Dense(3, kernel_initializer="identity")
                                        for _ in range(depth)])
    assert len(model.layers) == depth and len(model.trainable_weights) == 2 * depth
    x = np.array([[1.0, -2.0, 0.5]], np.float32)
    model.compile("sgd", "mse")
    history = model.fit(x, x, epochs=1, verbose=0)      # identity maps: loss 0, no change
    assert history.history["loss"] == [0.0]
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)
    functional = Model(model.inputs, model.outputs)
    assert [layer.name for layer in functional.layers[1:]] == \
        [layer.name for layer in model.layers]
