"""Keras' own ``load_model`` reads the ``.h5`` files hilayers writes, and predicts the same.

Run where Keras is installed: tf-keras (the Keras 2 line of tf.keras) and/or Keras 3 with
its TensorFlow backend. Without them every test here is skipped, with the reason. To run
them, make a separate environment::

    python -m venv /tmp/kenv
    /tmp/kenv/bin/pip install tensorflow-cpu tf-keras keras pytest pytest-timeout
    /tmp/kenv/bin/pip install -e .
    /tmp/kenv/bin/python -m pytest -q tests/saving/test_keras_reads_hilayers.py
"""
import importlib
import os
import warnings

import numpy as np
import pytest

from hilayers import Input, Model, Sequential, layers
from hilayers.utils import set_random_seed

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def _keras(name):
    try:
        return importlib.import_module(name)
    except ImportError as exc:            # not installed (the usual case in CI)
        return pytest.param(None, marks=pytest.mark.skip(
            reason=f"{name} is not installed ({exc}); see this module's docstring"), id=name)


def _flavours():
    out = []
    for name in ("tf_keras", "keras"):
        found = _keras(name)
        out.append(found if not hasattr(found, "__name__") else pytest.param(found, id=name))
    return out


def _mlp():
    model = Sequential([layers.Dense(16, activation="relu", input_shape=(8,)),
                        layers.BatchNormalization(), layers.Dropout(0.2),
                        layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 8)).astype("float32")
    return model, x, rng.integers(0, 3, (32,))


def _convnet():
    inputs = Input((8, 8, 2))
    x = layers.Conv2D(4, 3, padding="same")(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(6, 3, activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    model = Model(inputs, layers.Dense(3)(x))
    model.compile("sgd", "mse")
    rng = np.random.default_rng(1)
    return (model, rng.normal(size=(16, 8, 8, 2)).astype("float32"),
            rng.normal(size=(16, 3)).astype("float32"))


def _rnn():
    inputs = Input((6,), dtype="int32")
    x = layers.Embedding(10, 4)(inputs)
    x = layers.LSTM(5, return_sequences=True)(x)
    x = layers.Bidirectional(layers.GRU(3))(x)
    model = Model(inputs, layers.Dense(2)(x))
    model.compile("rmsprop", "mse")
    rng = np.random.default_rng(2)
    return (model, rng.integers(0, 10, (16, 6)).astype("int32"),
            rng.normal(size=(16, 2)).astype("float32"))


def _two_inputs():
    a, b = Input((5,), name="a"), Input((5,), name="b")
    shared = layers.Dense(4, activation="tanh", name="shared")
    merged = layers.Concatenate()([shared(a), shared(b)])
    added = layers.Add()([shared(a), shared(b)])
    out1 = layers.Dense(2, name="out1")(layers.LayerNormalization()(merged))
    out2 = layers.Dense(1, activation="sigmoid", name="out2")(added)
    model = Model([a, b], [out1, out2])
    model.compile("adam", ["mse", "binary_crossentropy"])
    rng = np.random.default_rng(3)
    x = [rng.normal(size=(16, 5)).astype("float32") for _ in range(2)]
    return model, x, [rng.normal(size=(16, 2)).astype("float32"),
                      rng.integers(0, 2, (16, 1)).astype("float32")]


def _sequence_layers():
    model = Sequential([layers.Conv1D(4, 3, padding="same", input_shape=(10, 2)),
                        layers.MaxPooling1D(2), layers.SimpleRNN(3, return_sequences=True),
                        layers.TimeDistributed(layers.Dense(2)), layers.Flatten(),
                        layers.Dense(1)])
    model.compile("adam", "mse")
    rng = np.random.default_rng(4)
    return (model, rng.normal(size=(8, 10, 2)).astype("float32"),
            rng.normal(size=(8, 1)).astype("float32"))


MODELS = {"mlp": _mlp, "convnet": _convnet, "rnn": _rnn, "two_inputs": _two_inputs,
          "sequence_layers": _sequence_layers}


@pytest.mark.parametrize("keras", _flavours())
@pytest.mark.parametrize("kind", sorted(MODELS))
def test_keras_loads_hilayers_files(tmp_path, keras, kind):
    set_random_seed(0)
    model, x, y = MODELS[kind]()
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    path = str(tmp_path / f"{kind}.h5")
    model.save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # Keras' notes on the legacy HDF5 format
        loaded = keras.models.load_model(path)
    expected = model.predict(x)
    got = loaded.predict(x, verbose=0)
    for want, have in zip(expected if isinstance(expected, list) else [expected],
                          got if isinstance(got, list) else [got]):
        np.testing.assert_allclose(np.asarray(have), want, rtol=1e-5, atol=1e-5)
    assert type(loaded.optimizer).__name__.lower() == type(model.optimizer).__name__.lower()


@pytest.mark.parametrize("keras", _flavours())
def test_keras_loads_hilayers_weights_files(tmp_path, keras):
    set_random_seed(0)
    model, x, _ = _mlp()
    path = str(tmp_path / "mlp_weights.h5")     # ".weights.h5" means Keras 3's new layout
    model.save_weights(path)
    twin = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                             keras.layers.BatchNormalization(), keras.layers.Dropout(0.2),
                             keras.layers.Dense(3, activation="softmax")])
    if keras.__name__ == "keras":
        # Keras 3 reads Keras' HDF5 weights layout through its legacy reader.
        from keras.src.legacy.saving import legacy_h5_format
        import h5py
        with h5py.File(path, "r") as f:
            legacy_h5_format.load_weights_from_hdf5_group(f, twin)
    else:
        twin.load_weights(path)
    np.testing.assert_allclose(twin.predict(x, verbose=0), model.predict(x), rtol=1e-5,
                               atol=1e-5)
