"""Whole models: ``model.save`` / ``load_model``, configs and JSON.

A loaded model predicts exactly what the saved one did, and (compiled, on NumPy) its next
training steps give bit-identical weights to the model that was never saved.
"""
import json
import os

import h5py
import numpy as np
import pytest

from hilayers import Input, Model, Sequential, layers, models
from hilayers import backend as K
from hilayers.saving import SavingError, load_model, model_from_config, model_from_json
from hilayers.utils import set_random_seed


@pytest.fixture(autouse=True)
def _seeded():
    set_random_seed(7)


def _weights_equal(a, b):
    wa, wb = a.get_weights(), b.get_weights()
    return len(wa) == len(wb) and all(np.array_equal(x, y) for x, y in zip(wa, wb))


def _continue_both(saved, loaded, x, y, **fit_args):
    """Train both models on the same batches (same shuffle order) and return them."""
    state = np.random.get_state()
    saved.fit(x, y, verbose=0, **fit_args)
    np.random.set_state(state)
    loaded.fit(x, y, verbose=0, **fit_args)


def _mlp(optimizer="adam"):
    model = Sequential([layers.Dense(12, activation="relu", input_shape=(5,), name="hidden"),
                        layers.BatchNormalization(name="norm"),
                        layers.Dense(3, activation="softmax", name="probs")])
    model.compile(optimizer, "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _classes(n=48, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5)).astype("float32")
    return x, (x[:, 0] + x[:, 1] > 0).astype("int32") + (x[:, 2] > 1).astype("int32")


OPTIMIZERS = [
    {"class_name": "SGD", "config": {"learning_rate": 0.05, "momentum": 0.9,
                                     "nesterov": True}},
    {"class_name": "Adam", "config": {"learning_rate": 0.01, "amsgrad": True}},
    {"class_name": "RMSprop", "config": {"momentum": 0.5, "centered": True}},
    {"class_name": "Adagrad", "config": {}},
    {"class_name": "Adadelta", "config": {"learning_rate": 1.0}},
    {"class_name": "Adamax", "config": {}},
    {"class_name": "Nadam", "config": {}},
    {"class_name": "AdamW", "config": {"weight_decay": 0.01}},
]


@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=lambda o: o["class_name"])
def test_sequential_predicts_and_trains_on_identically(tmp_path, optimizer):
    x, y = _classes()
    model = _mlp(optimizer)
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    model.save(tmp_path / "m.h5")
    loaded = load_model(tmp_path / "m.h5")

    assert type(loaded) is Sequential and loaded.name == model.name
    assert np.array_equal(loaded.predict(x), model.predict(x))
    assert type(loaded.optimizer) is type(model.optimizer)
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    for a, b in zip(loaded.optimizer.get_weights(), model.optimizer.get_weights()):
        assert np.array_equal(a, b)

    _continue_both(model, loaded, x, y, batch_size=8, epochs=2, shuffle=True)
    assert _weights_equal(model, loaded)
    assert int(loaded.optimizer.iterations.get_value()) == 24


def _multi_io_model():
    """Two inputs, two outputs, a layer shared by both inputs, a nested Sequential called
    twice and a nested functional model."""
    a, b = Input((6,), name="a"), Input((6,), name="b")
    shared = layers.Dense(6, activation="tanh", name="shared")
    ha, hb = shared(a), shared(b)
    tower = Sequential([layers.Dense(4, activation="relu", input_shape=(6,), name="t1")],
                       name="tower")
    inner_in = Input((8,), name="inner_in")
    head = Model(inner_in, layers.Dense(2, name="inner_out")(inner_in), name="head")
    merged = layers.Concatenate(name="cat")([tower(ha), tower(hb)])
    first = head(merged)
    second = layers.Dense(1, activation="sigmoid", name="p")(layers.Add(name="add")([ha, hb]))
    model = Model([a, b], [first, second], name="two_heads")
    model.compile("rmsprop", ["mse", "binary_crossentropy"], loss_weights=[1.0, 0.5],
                  metrics={"p": ["accuracy"]})
    return model


def _multi_io_data(seed=1):
    rng = np.random.default_rng(seed)
    xa, xb = (rng.normal(size=(32, 6)).astype("float32") for _ in range(2))
    return [xa, xb], [rng.normal(size=(32, 2)).astype("float32"),
                      (xa[:, :1] > xb[:, :1]).astype("float32")]


def test_functional_with_shared_and_nested_models(tmp_path):
    x, y = _multi_io_data()
    model = _multi_io_model()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    model.save(tmp_path / "m.h5")
    loaded = load_model(tmp_path / "m.h5")

    assert [l.name for l in loaded.layers] == [l.name for l in model.layers]
    assert isinstance(loaded.get_layer("tower"), Sequential)
    assert isinstance(loaded.get_layer("head"), Model)
    assert loaded.output_names == model.output_names
    for got, want in zip(loaded.predict(x), model.predict(x)):
        assert np.array_equal(got, want)
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)

    _continue_both(model, loaded, x, y, batch_size=8, epochs=2, shuffle=True)
    assert _weights_equal(model, loaded)


def test_compile_false_and_include_optimizer_false(tmp_path):
    x, y = _classes()
    model = _mlp()
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "full.h5")
    plain = load_model(tmp_path / "full.h5", compile=False)
    assert not plain.compiled and plain.optimizer is None
    assert np.array_equal(plain.predict(x), model.predict(x))

    model.save(tmp_path / "lean.h5", include_optimizer=False)
    with h5py.File(tmp_path / "lean.h5", "r") as f:
        assert "training_config" not in f.attrs and "optimizer_weights" not in f
    lean = load_model(tmp_path / "lean.h5")
    assert not lean.compiled
    assert np.array_equal(lean.predict(x), model.predict(x))


def test_uncompiled_model_round_trip(tmp_path):
    model = Sequential([layers.Dense(3, input_shape=(4,))])
    model.save(tmp_path / "m.h5")
    loaded = load_model(tmp_path / "m.h5")
    x = np.ones((2, 4), "float32")
    assert not loaded.compiled and np.array_equal(loaded.predict(x), model.predict(x))


def test_the_file_is_keras_hdf5_layout(tmp_path):
    model = _mlp()
    x, y = _classes()
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r") as f:
        assert _text(f.attrs["backend"]) == "hilayers"
        assert _text(f.attrs["keras_version"]) == hilayers_version()
        config = json.loads(f.attrs["model_config"])
        assert config["class_name"] == "Sequential"
        assert [l["class_name"] for l in config["config"]["layers"]] == [
            "InputLayer", "Dense", "BatchNormalization", "Dense"]
        training = json.loads(f.attrs["training_config"])
        assert training["loss"] == "sparse_categorical_crossentropy"
        assert training["optimizer_config"]["class_name"] == "Adam"
        group = f["model_weights"]
        assert [_text(n) for n in group.attrs["layer_names"]] == ["hidden", "norm", "probs"]
        assert [_text(n) for n in group["hidden"].attrs["weight_names"]] == [
            "hidden/kernel:0", "hidden/bias:0"]
        assert group["hidden/hidden/kernel:0"].shape == (5, 12)
        assert [_text(n) for n in group["norm"].attrs["weight_names"]] == [
            "norm/gamma:0", "norm/beta:0", "norm/moving_mean:0", "norm/moving_variance:0"]
        names = [_text(n) for n in f["optimizer_weights"].attrs["weight_names"]]
        assert names[0] == "training/adam/iterations:0" and len(names) == 1 + 2 * 6
        assert names[1] == "training/adam/hidden/kernel/m:0"


def _text(value):
    return value.decode() if isinstance(value, bytes) else value


def hilayers_version():
    import hilayers
    return hilayers.__version__


def test_gzip_compression(tmp_path):
    model = Sequential([layers.Dense(200, input_shape=(300,), kernel_initializer="zeros"),
                        layers.Dense(1)])
    model.compile("adam", "mse")
    model.save(tmp_path / "plain.h5")
    model.save(tmp_path / "gzip.h5", compression="gzip")
    model.save_weights(tmp_path / "w9.h5", compression=9)
    with h5py.File(tmp_path / "gzip.h5", "r") as f:
        kernel = f["model_weights/dense/dense/kernel:0"]
        assert kernel.compression == "gzip" and kernel.compression_opts == 4
    with h5py.File(tmp_path / "w9.h5", "r") as f:
        assert f["dense/dense/kernel:0"].compression_opts == 9
    # 60,000 zeros compress to almost nothing.
    assert os.path.getsize(tmp_path / "gzip.h5") < os.path.getsize(tmp_path / "plain.h5") / 10
    x = np.random.default_rng(0).normal(size=(3, 300)).astype("float32")
    assert np.array_equal(load_model(tmp_path / "gzip.h5").predict(x), model.predict(x))
    other = Sequential([layers.Dense(200, input_shape=(300,)), layers.Dense(1)])
    other.load_weights(tmp_path / "w9.h5")
    assert _weights_equal(other, model)
    for bad in ("lzma", 0, 10, 2.5):
        with pytest.raises(ValueError, match="compression must be None, 'gzip' or a gzip "
                                             "level 1-9"):
            model.save(tmp_path / "bad.h5", compression=bad)
    assert not os.path.exists(tmp_path / "bad.h5")


# -- configs and JSON ------------------------------------------------------------------------
def test_to_json_and_model_from_json():
    model = _multi_io_model()
    text = model.to_json()
    parsed = json.loads(text)
    assert parsed["class_name"] == "Functional" and parsed["backend"] == "hilayers"
    rebuilt = model_from_json(text)
    # The JSON is the config as Keras reads it (nested Sequentials get an InputLayer entry):
    # a fixed point from the first round on.
    assert json.loads(rebuilt.to_json()) == parsed
    rebuilt.set_weights(model.get_weights())
    x, _ = _multi_io_data()
    for got, want in zip(rebuilt.predict(x), model.predict(x)):
        assert np.array_equal(got, want)
    assert models.model_from_json(Sequential([layers.Dense(2, input_shape=(3,))]).to_json(
        indent=2)).output_shape == (None, 2)


@pytest.mark.parametrize("text, message", [
    ("{not json", "the text is not valid JSON"),
    ('["a list"]', "model_config is list, not a"),
    ('{"config": {}}', "has no 'class_name' entry"),
    ('{"class_name": "Dense", "config": {"units": 2}}', "describes a 'Dense', which is not a "
                                                        "model class"),
    ('{"class_name": "NoSuchModel", "config": {}}', "Unknown layer 'NoSuchModel'"),
])
def test_model_from_json_errors(text, message):
    with pytest.raises(SavingError, match=message) as info:
        model_from_json(text)
    assert str(info.value).startswith("Cannot load the model config: ")


@pytest.mark.parametrize("build", [
    lambda: _mlp(),
    lambda: _multi_io_model(),
    lambda: Sequential([Input((4, 4, 1)), layers.Conv2D(2, 3), layers.Flatten(),
                        layers.Dense(1)]),
], ids=["sequential", "functional_shared_nested", "conv"])
def test_get_config_from_config_of_whole_models(build):
    model = build()
    config = model.get_config()
    assert json.loads(json.dumps(config)) == config
    twin = type(model).from_config(config)
    assert twin.get_config() == config
    wrapped = model_from_config({"class_name": type(model).__name__, "config": config})
    assert wrapped.get_config() == config


# -- custom objects and Lambda ---------------------------------------------------------------
class Scale(layers.Layer):
    """A custom layer: one weight per feature, times a constant factor."""

    def __init__(self, factor=1.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.scale = self.add_weight("scale", shape=(input_shape[-1],), initializer="ones")
        super().build(input_shape)

    def call(self, inputs):
        return inputs * self.scale * self.factor

    def get_config(self):
        return dict(super().get_config(), factor=self.factor)


def doubled(x):
    return x * 2.0


def scaled_mse(y_true, y_pred):
    return K.mean(K.square(y_true - y_pred), axis=-1) * 0.5


@pytest.fixture
def registry(monkeypatch):
    from hilayers.utils import registry as reg
    monkeypatch.setattr(reg, "_CUSTOM", dict(reg._CUSTOM))
    return reg


def _custom_model():
    model = Sequential([layers.Dense(3, input_shape=(2,), activation=doubled, name="d"),
                        Scale(0.5, name="scale")])
    model.compile("sgd", scaled_mse)
    model.train_on_batch(np.ones((2, 2), "float32"), np.zeros((2, 3), "float32"))
    return model


def test_custom_objects_load_by_name_only(tmp_path):
    model = _custom_model()
    model.save(tmp_path / "m.h5")
    with pytest.raises(SavingError, match="Unknown activation 'doubled'.*custom_objects"):
        load_model(tmp_path / "m.h5")
    with pytest.raises(SavingError, match="Unknown layer 'Scale'.*custom_objects"):
        load_model(tmp_path / "m.h5", custom_objects={"doubled": doubled})
    objects = {"Scale": Scale, "doubled": doubled, "scaled_mse": scaled_mse}
    loaded = load_model(tmp_path / "m.h5", custom_objects=objects)
    x = np.array([[1.0, -2.0]], "float32")
    assert np.array_equal(loaded.predict(x), model.predict(x))
    assert loaded.loss is scaled_mse
    with pytest.raises(SavingError, match="training_config cannot compile the model.*"
                                          "Unknown loss 'scaled_mse'.*compile=False"):
        load_model(tmp_path / "m.h5", custom_objects={"Scale": Scale, "doubled": doubled})
    assert not load_model(tmp_path / "m.h5", compile=False,
                          custom_objects={"Scale": Scale, "doubled": doubled}).compiled


def test_registered_custom_objects_need_no_custom_objects(tmp_path, registry):
    for obj in (Scale, doubled, scaled_mse):
        registry.register_custom_object()(obj)
    model = _custom_model()
    model.save(tmp_path / "m.h5")
    loaded = load_model(tmp_path / "m.h5")
    x = np.array([[1.0, -2.0]], "float32")
    assert np.array_equal(loaded.predict(x), model.predict(x))
    assert isinstance(loaded.get_layer("scale"), Scale)


def test_lambda_needs_its_function_by_name(tmp_path):
    model = Sequential([layers.Dense(2, input_shape=(3,), name="d"),
                        layers.Lambda(doubled, name="twice")])
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r") as f:
        config = json.loads(f.attrs["model_config"])
    assert config["config"]["layers"][-1]["config"]["function"] == "doubled"
    with pytest.raises(SavingError) as info:
        load_model(tmp_path / "m.h5")
    message = str(info.value)
    assert "Lambda layer 'twice' needs its function 'doubled'" in message
    assert "A file never holds code" in message
    assert "custom_objects={'doubled': doubled}" in message
    x = np.ones((1, 3), "float32")
    for objects in ({"doubled": doubled}, {"twice": doubled}):
        assert np.array_equal(load_model(tmp_path / "m.h5", custom_objects=objects).predict(x),
                              model.predict(x))


def test_anonymous_lambda_is_supplied_under_the_layer_name(tmp_path):
    model = Sequential([layers.Dense(2, input_shape=(3,)),
                        layers.Lambda(lambda t: t + 1.0, name="plus_one")])
    model.save(tmp_path / "m.h5")
    with pytest.raises(SavingError, match=r"Lambda layer 'plus_one' needs its function "
                                          r"'<lambda>'.*custom_objects=\{'plus_one': "
                                          r"function\} \(under the layer's name\)"):
        load_model(tmp_path / "m.h5")
    loaded = load_model(tmp_path / "m.h5", custom_objects={"plus_one": lambda t: t + 1.0})
    x = np.ones((1, 3), "float32")
    assert np.array_equal(loaded.predict(x), model.predict(x))


def test_lambda_of_a_backend_op_loads_without_help(tmp_path):
    model = Sequential([layers.Dense(2, input_shape=(3,)), layers.Lambda(K.square)])
    model.save(tmp_path / "m.h5")
    x = np.ones((1, 3), "float32")
    assert np.array_equal(load_model(tmp_path / "m.h5").predict(x), model.predict(x))


# -- saving errors ---------------------------------------------------------------------------
class Subclassed(Model):
    def __init__(self):
        super().__init__(name="sub")
        self.dense = layers.Dense(2)

    def call(self, inputs):
        return self.dense(inputs)


def test_save_errors_leave_no_file(tmp_path):
    model = _mlp()
    with pytest.raises(ValueError, match="save_format 'tf' is not supported"):
        model.save(tmp_path / "m.h5", save_format="tf")
    with pytest.raises(ValueError, match=".keras is Keras 3's zip format"):
        model.save(tmp_path / "m.keras")
    sub = Subclassed()
    sub(np.ones((1, 3), "float32"))
    with pytest.raises(SavingError, match="Cannot save .*'sub' is a subclass without "
                                          "get_config.*save_weights"):
        sub.save(tmp_path / "sub.h5")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        model.save(tmp_path / "no" / "such" / "m.h5")
    assert os.listdir(tmp_path) == []


def test_overwrite_false_keeps_the_file(tmp_path):
    path = tmp_path / "m.h5"
    path.write_bytes(b"precious")
    model = _mlp()
    with pytest.raises(FileExistsError, match="overwrite=True"):
        model.save(path, overwrite=False)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        model.save_weights(path, overwrite=False)
    assert path.read_bytes() == b"precious"


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="No such file"):
        load_model(tmp_path / "absent.h5")


def test_weights_file_is_not_a_model(tmp_path):
    model = _mlp()
    model.save_weights(tmp_path / "w.h5")
    with pytest.raises(SavingError, match="has no 'model_config' attribute; this is not a file "
                                          "in Keras' HDF5 layout"):
        load_model(tmp_path / "w.h5")
