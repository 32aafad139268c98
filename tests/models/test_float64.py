"""float64 end to end: with ``set_floatx("float64")`` every float in a model's graph, its
weights, optimizer state, metrics and outputs are float64, and its gradients agree with
finite differences to a precision float32 cannot reach."""
import numpy as np
import pytest

from hilayers import Input, Model, Sequential, backend as K, layers
from hilayers.utils import set_random_seed


@pytest.fixture
def float64():
    K.set_floatx("float64")
    try:
        yield
    finally:
        K.set_floatx("float32")


def _float_dtypes(graph):
    return {t.dtype.name for node in graph.nodes for t in node.outputs if t.dtype.kind == "f"}


def test_a_convolutional_model_trains_in_float64(float64):
    set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((48, 6, 6, 1))
    y = (x.mean(axis=(1, 2, 3)) > 0).astype(np.int64)
    model = Sequential([
        layers.Conv2D(4, 3, padding="same", activation="relu", input_shape=(6, 6, 1)),
        layers.BatchNormalization(), layers.MaxPooling2D(), layers.Flatten(),
        layers.Dropout(0.2), layers.Dense(8, activation="tanh", kernel_regularizer="l2"),
        layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=16, epochs=3, verbose=0, validation_split=0.25)
    assert all(np.isfinite(v).all() for v in history.history.values())
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert _float_dtypes(model.inputs[0].graph) == {"float64"}
    assert {w.dtype for w in model.get_weights()} == {np.dtype("float64")}
    assert {v.dtype.name for v in model.optimizer.variables() if v.dtype.kind == "f"} == {
        "float64"}
    assert model.predict(x[:3]).dtype == np.float64


def test_a_recurrent_model_trains_in_float64(float64):
    set_random_seed(1)
    rng = np.random.default_rng(1)
    words = rng.integers(1, 10, size=(16, 6))
    model = Sequential([layers.Embedding(10, 3, input_length=6),
                        layers.Bidirectional(layers.LSTM(4)), layers.Dense(1)])
    model.compile("rmsprop", "mse", metrics=["mae"])
    model.fit(words, words[:, :1] / 10.0, batch_size=8, epochs=2, verbose=0)
    assert _float_dtypes(model.inputs[0].graph) == {"float64"}
    assert model.predict(words[:2]).dtype == np.float64


def test_model_gradients_match_finite_differences_to_float64_precision(float64):
    set_random_seed(2)
    rng = np.random.default_rng(2)
    inputs = Input((5,))
    h = layers.Dense(6, activation="tanh")(inputs)
    h = layers.LayerNormalization()(h)
    out = layers.Dense(3, activation="softmax")(h)
    model = Model(inputs, out)
    x, labels = rng.standard_normal((7, 5)), rng.integers(0, 3, 7)
    loss = K.mean(K.sparse_categorical_crossentropy(K.constant(labels), model.outputs[0]))
    weights = model.trainable_weights
    grads = K.function([model.inputs[0]], K.gradients(loss, weights))([x])
    f = K.function([model.inputs[0]], loss)
    eps = 1e-6
    for var, grad in zip(weights, grads):
        base = var.get_value()
        for pos in rng.choice(base.size, size=min(base.size, 6), replace=False):
            shifted = []
            for sign in (1, -1):
                value = base.copy()
                value.reshape(-1)[pos] += sign * eps
                var.set_value(value)
                shifted.append(float(f([x])))
            var.set_value(base)
            numeric = (shifted[0] - shifted[1]) / (2 * eps)
            # float32 rounding alone would make these differences wrong by ~1e-2.
            assert grad.reshape(-1)[pos] == pytest.approx(numeric, rel=1e-6, abs=1e-9), var.name
