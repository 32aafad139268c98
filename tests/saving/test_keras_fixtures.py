"""Files written by real Keras load in hilayers, without Keras installed.

The fixtures in ``fixtures/`` were made by ``fixtures/make_keras_fixtures.py`` with
tf-keras 2.21 (tf.keras 2.x's HDF5 writer) and Keras 3.15 (its legacy HDF5 writer); see its
docstring. Each ``.npz`` holds inputs ``x`` and Keras' predictions ``y``, and for whole
models a batch Keras then trained the saved model on (``x_train``, ``y_train``, ``steps``
times, Dropout off) and its predictions afterwards (``y_after``): the loaded optimizer
state must continue the same way.
"""
import glob
import json
import os
import shutil
import warnings

import h5py
import numpy as np
import pytest

from hilayers import Input, Sequential, layers
from hilayers.saving import SavingError, load_model
from hilayers.saving.keras_optimizer import KERAS_SLOT_NAMES, parse_keras_name

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
MODELS = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(HERE, "*.h5"))
                if not p.endswith("_weights.h5"))
WEIGHTS = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(HERE,
                                                                          "*_weights.h5")))
LAMBDA = {"affine": lambda t: t * 2.0 + 1.0}        # the function of the Lambda fixtures


def _path(name):
    return os.path.join(HERE, f"{name}.h5")


def _text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def _load(name, **kwargs):
    custom = LAMBDA if "lambda" in name else None
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)   # a fixture loads without a warning
        return load_model(_path(name), custom_objects=custom, **kwargs)


def _mlp():
    """The MLP of the fixtures, built in hilayers with Keras' layer names."""
    return Sequential([Input((8,)), layers.Dense(16, activation="relu", name="dense"),
                       layers.Dropout(0.1, name="dropout"),
                       layers.Dense(3, activation="softmax", name="dense_1")])


def test_every_kind_of_fixture_is_there():
    assert MODELS == ["keras2_mlp_dense1", "keras3_convnet", "keras3_lambda", "keras3_mlp",
                      "keras3_rnn", "tfkeras2_convnet", "tfkeras2_lambda", "tfkeras2_mlp",
                      "tfkeras2_rnn"]
    assert WEIGHTS == ["keras3_mlp_weights", "tfkeras2_mlp_weights"]


@pytest.mark.parametrize("name, pattern", [
    ("keras2_mlp_dense1", "dense_1/kernel:0"),        # standalone Keras 2
    ("tfkeras2_mlp", "dense/kernel:0"),               # tf.keras 2.x
    ("keras3_mlp", "sequential/dense/kernel"),        # Keras 3
    ("keras3_convnet", "conv2d/kernel"),
])
def test_fixtures_use_each_naming_convention(name, pattern):
    with h5py.File(_path(name), "r") as f:
        group = f["model_weights"]
        names = [_text(n) for layer in group.attrs["layer_names"]
                 for n in group[_text(layer)].attrs["weight_names"]]
    assert pattern in names


@pytest.mark.parametrize("name", MODELS)
def test_models_predict_as_in_keras(name):
    model = _load(name)
    data = np.load(os.path.join(HERE, f"{name}.npz"))
    np.testing.assert_allclose(model.predict(data["x"]), data["y"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", WEIGHTS)
def test_weights_files_predict_as_in_keras(name):
    model = _mlp()
    model.load_weights(_path(name))
    data = np.load(os.path.join(HERE, f"{name}.npz"))
    np.testing.assert_allclose(model.predict(data["x"]), data["y"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["tfkeras2_mlp_weights", "keras3_mlp_weights", "keras3_mlp",
                                  "tfkeras2_mlp"])
def test_weights_by_name_into_a_bigger_model(name):
    model = Sequential([Input((8,)), layers.Dense(16, activation="relu", name="dense"),
                        layers.Dense(3, activation="softmax", name="dense_1"),
                        layers.Dense(5, name="extra")])
    extra = model.get_layer("extra").get_weights()
    model.load_weights(_path(name), by_name=True)
    reference = _mlp()
    reference.load_weights(_path(name))
    for layer in ("dense", "dense_1"):
        for got, want in zip(model.get_layer(layer).get_weights(),
                             reference.get_layer(layer).get_weights()):
            assert np.array_equal(got, want)
    for got, want in zip(model.get_layer("extra").get_weights(), extra):
        assert np.array_equal(got, want)


def _slot_arrays(name):
    """``{kind: [arrays in file order]}`` and the step counter of a fixture's optimizer."""
    by_kind, counter = {}, None
    with h5py.File(_path(name), "r") as f:
        group = f["optimizer_weights"]
        for item in group.attrs["weight_names"]:
            kind = parse_keras_name(_text(item))
            value = group[_text(item)][()]
            if kind == "iteration":
                counter = int(value)
            elif kind != "learning_rate":
                by_kind.setdefault(kind, []).append(value)
    return by_kind, counter


CONTINUED = [n for n in MODELS if n != "keras2_mlp_dense1"]


@pytest.mark.parametrize("name", CONTINUED)
def test_optimizer_state_is_read(name):
    model = _load(name)
    by_kind, counter = _slot_arrays(name)
    optimizer = model.optimizer
    assert int(optimizer.iterations.get_value()) == counter > 0
    params = model.trainable_weights
    slots = list(optimizer._slots[params[0]])
    # Plain SGD (the Lambda fixtures) keeps no slots; every other optimizer does.
    assert bool(slots) == ("lambda" not in name)
    for slot in slots:
        kind = next(k for k in KERAS_SLOT_NAMES[slot] if k in by_kind)
        for param, saved in zip(params, by_kind[kind], strict=True):
            assert np.array_equal(optimizer.get_slot(param, slot).get_value(), saved)


@pytest.mark.parametrize("name", CONTINUED)
def test_training_continues_as_in_keras(name):
    model = _load(name)
    data = np.load(os.path.join(HERE, f"{name}.npz"))
    for layer in model.layers:
        if isinstance(layer, layers.Dropout):
            layer.rate = 0.0                  # as in the Keras run (see the module docstring)
    for _ in range(int(data["steps"])):
        model.train_on_batch(data["x_train"], data["y_train"])
    np.testing.assert_allclose(model.predict(data["x"]), data["y_after"], rtol=1e-4,
                               atol=1e-5)
    # The optimizer moved the weights: the comparison is not of an unchanged model.
    assert np.abs(data["y_after"] - data["y"]).max() > 1e-2


def test_old_keras2_training_config():
    model = _load("keras2_mlp_dense1")
    assert type(model.optimizer).__name__ == "Adam"
    assert model.optimizer.learning_rate == pytest.approx(0.01)      # from "lr"
    assert [l.name for l in model.layers] == ["dense_1", "dropout_1", "dense_2"]
    assert int(model.optimizer.iterations.get_value()) == 0


@pytest.mark.parametrize("name", ["tfkeras2_lambda", "keras3_lambda"])
def test_lambda_code_from_keras_is_never_run(name):
    with h5py.File(_path(name), "r") as f:
        config = json.loads(f.attrs["model_config"])
    stored = [l for l in config["config"]["layers"] if l["class_name"] == "Lambda"][0]
    assert "4wEAAAAA" in json.dumps(stored["config"]["function"])     # marshalled bytecode
    with pytest.raises(SavingError, match="Lambda layer 'affine' stores its function as "
                                          "Python code, which hilayers never runs.*"
                                          r"custom_objects=\{'affine': function\}"):
        load_model(_path(name))


def _edited_copy(tmp_path, name, edit):
    target = tmp_path / f"{name}.h5"
    shutil.copy(_path(name), target)
    with h5py.File(target, "r+") as f:
        edit(f)
    return target


def _rename_first_slot(f):
    group = f["optimizer_weights"]
    names = [_text(n) for n in group.attrs["weight_names"]]
    group.move(names[1], "training/Adam/Variable:0")
    names[1] = "training/Adam/Variable:0"
    group.attrs["weight_names"] = np.array([n.encode() for n in names])


def _slot_of_another_weight(f):
    group = f["optimizer_weights"]
    names = [_text(n) for n in group.attrs["weight_names"]]
    assert names[1] == "Adam/m/dense/kernel:0"
    group.move(names[1], "Adam/m/other/kernel:0")     # same place and shape, other name
    names[1] = "Adam/m/other/kernel:0"
    group.attrs["weight_names"] = np.array([n.encode() for n in names])


@pytest.mark.parametrize("edit, reason", [
    (_rename_first_slot, "the variable 'training/Adam/Variable:0' is not named as Keras "
                         "2.11\\+ or Keras 3 names them"),
    (_slot_of_another_weight, "its slot 'Adam/m/other/kernel:0' does not belong to weight "
                              "'dense/kernel:0'"),
])
def test_unmatched_optimizer_state_warns_and_starts_fresh(tmp_path, edit, reason):
    path = _edited_copy(tmp_path, "tfkeras2_mlp", edit)
    with pytest.warns(UserWarning, match=f"The optimizer state in .* is not read "
                                         f"\\(.*{reason}.*\\); the model starts with a "
                                         "fresh Adam state"):
        model = load_model(path)
    assert int(model.optimizer.iterations.get_value()) == 0
    data = np.load(os.path.join(HERE, "tfkeras2_mlp.npz"))
    np.testing.assert_allclose(model.predict(data["x"]), data["y"], rtol=1e-5, atol=1e-6)


def test_keras3_zip_format_is_named(tmp_path):
    path = tmp_path / "model.keras"
    path.write_bytes(b"PK\x03\x04" + bytes(60))
    with pytest.raises(SavingError, match="zip archive \\(such as Keras 3's .keras format\\)"):
        load_model(path)
