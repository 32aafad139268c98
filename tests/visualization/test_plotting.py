"""plot_model (pydot + Graphviz) and plot_history / History.plot (matplotlib)."""
import os
import shutil
import sys

import numpy as np
import pytest
from PIL import Image

from hilayers import Model, Sequential, layers
from hilayers.utils import model_to_dot, plot_history, plot_model
from hilayers.utils.plotting_model import GraphvizNotFoundError

needs_graphviz = pytest.mark.skipif(
    shutil.which("dot") is None,
    reason="Graphviz's dot is not installed (apt-get install graphviz; .ci/run installs it)")


def two_input_model():
    image = layers.Input((8, 8, 1), name="image")
    meta = layers.Input((3,), name="meta")
    features = layers.Flatten()(layers.Conv2D(2, 3, activation="relu")(image))
    joined = layers.Concatenate()([features, layers.Dense(4, name="meta_dense")(meta)])
    return Model([image, meta], layers.Dense(5, activation="softmax", name="probs")(joined))


# -- plot_model ------------------------------------------------------------------------------------
def test_model_to_dot_nodes_edges_and_shapes():
    model = two_input_model()
    dot = model_to_dot(model, show_shapes=True, show_layer_activations=True)
    names = {n.get_name(): n.get("label") for n in dot.get_nodes() if n.get("label")}
    labels = {layer.name: names[str(id(layer))] for layer in model.layers}
    assert set(labels) == {"image", "meta", "conv2d", "flatten", "meta_dense", "concatenate",
                           "probs"}
    assert "(None, 8, 8, 1)" in labels["image"] and "(None, 6, 6, 2)" in labels["conv2d"]
    assert "(None, 72), (None, 4)" in labels["concatenate"]     # both inputs of the merge
    assert "softmax" in labels["probs"] and "relu" in labels["conv2d"]
    by_id = {str(id(layer)): layer.name for layer in model.layers}
    edges = {(by_id[e.get_source()], by_id[e.get_destination()]) for e in dot.get_edges()}
    assert edges == {("image", "conv2d"), ("conv2d", "flatten"), ("flatten", "concatenate"),
                     ("meta", "meta_dense"), ("meta_dense", "concatenate"),
                     ("concatenate", "probs")}


def test_plot_model_writes_dot_source_without_graphviz(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))          # no Graphviz reachable
    model = Sequential([layers.Dense(3, input_shape=(2,)), layers.Dense(1)])
    path = tmp_path / "model.dot"
    plot_model(model, to_file=path, show_shapes=True, show_layer_names=False, rankdir="LR")
    text = path.read_text()
    assert "rankdir=LR" in text and "(None, 3)" in text and "(None, 1)" in text
    assert "Dense" in text and "<b>" not in text        # classes only, no bold layer names


@needs_graphviz
def test_plot_model_draws_a_png(tmp_path):
    path = tmp_path / "model.png"
    plot_model(two_input_model(), to_file=path, show_shapes=True, dpi=72)
    with Image.open(path) as image:
        assert image.format == "PNG"
        width, height = image.size
    assert height > width > 100                 # a top-to-bottom drawing of 7 boxes
    svg = tmp_path / "model.svg"
    plot_model(two_input_model(), to_file=svg)
    assert svg.read_text().lstrip().startswith("<?xml") and "probs" in svg.read_text()


def test_plot_model_without_graphviz_says_how_to_install_and_keeps_the_old_file(
        tmp_path, monkeypatch):
    path = tmp_path / "model.png"
    path.write_bytes(b"the previous picture")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(GraphvizNotFoundError, match=r"needs Graphviz's 'dot' program .* not "
                                                    r"found on PATH.*apt-get install graphviz"):
        plot_model(Sequential([layers.Dense(1, input_shape=(2,))]), to_file=path)
    assert path.read_bytes() == b"the previous picture"
    assert [p.name for p in tmp_path.iterdir()] == ["model.png"]   # no temporary left


def test_plot_model_without_pydot_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "pydot", None)
    with pytest.raises(ImportError, match=r"plot_model needs the 'pydot' package.*"
                                          r"pip install 'hilayers\[viz\]'"):
        plot_model(Sequential([layers.Dense(1, input_shape=(2,))]), tmp_path / "m.png")


def test_plot_model_errors(tmp_path):
    unbuilt = Sequential([layers.Dense(1)])
    with pytest.raises(ValueError, match="is not built yet.*input_shape"):
        plot_model(unbuilt, tmp_path / "m.png")
    built = Sequential([layers.Dense(1, input_shape=(2,))])
    with pytest.raises(ValueError, match=r"cannot tell the image format .*\.png, \.svg"):
        plot_model(built, tmp_path / "model.bmp")
    with pytest.raises(ValueError, match="rankdir must be 'TB'"):
        plot_model(built, tmp_path / "m.dot", rankdir="up")
    with pytest.raises(FileNotFoundError, match="its folder .* does not exist"):
        plot_model(built, tmp_path / "missing" / "m.dot")


# -- plot_history ------------------------------------------------------------------------------------
HISTORY = {"loss": [0.9, 0.5, 0.4], "accuracy": [0.6, 0.8, 0.85],
           "val_loss": [1.0, 0.7, 0.65], "val_accuracy": [0.5, 0.7, 0.72]}


def lines_of(axes):
    return {line.get_label(): (list(line.get_xdata()), list(line.get_ydata()))
            for line in axes.get_lines()}


def test_plot_history_draws_training_and_validation_per_metric(tmp_path):
    path = tmp_path / "history.png"
    figure = plot_history(HISTORY, to_file=path)
    assert [a.get_title() for a in figure.axes] == ["loss", "accuracy"]
    loss = lines_of(figure.axes[0])
    assert loss == {"training": ([1, 2, 3], HISTORY["loss"]),
                    "validation": ([1, 2, 3], HISTORY["val_loss"])}
    assert lines_of(figure.axes[1])["validation"][1] == HISTORY["val_accuracy"]
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size[0] > image.size[1]


def test_history_plot_after_fit(tmp_path):
    model = Sequential([layers.Dense(2, activation="softmax", input_shape=(3,))], name="tiny")
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(0).random((20, 3))
    history = model.fit(x, np.arange(20) % 2, epochs=3, verbose=0, validation_split=0.2)
    figure = history.plot(tmp_path / "history.svg", metrics=["loss"])
    assert [a.get_title() for a in figure.axes] == ["loss"]
    assert lines_of(figure.axes[0])["validation"][1] == pytest.approx(
        history.history["val_loss"])
    assert figure._suptitle.get_text() == "Training of tiny"
    assert (tmp_path / "history.svg").read_text().lstrip().startswith("<?xml")


def test_pictures_get_the_permissions_of_a_plain_file(tmp_path):
    plot_history(HISTORY, to_file=tmp_path / "new.png")
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "new.png").stat().st_mode & 0o777 == 0o666 & ~mask
    kept = tmp_path / "kept.svg"
    kept.write_text("old")
    kept.chmod(0o640)
    plot_history(HISTORY, to_file=kept)
    assert kept.stat().st_mode & 0o777 == 0o640 and kept.read_text().startswith("<?xml")


def test_plot_history_leaves_out_sparse_validation_with_a_warning():
    history = {"loss": [3.0, 2.0, 1.0, 0.5], "val_loss": [2.5, 0.9]}   # validation_freq=2
    with pytest.warns(RuntimeWarning, match="'val_loss' has 2 values for 4 epochs"):
        figure = plot_history(history, to_file=None)
    assert list(lines_of(figure.axes[0])) == ["training"]


@pytest.mark.parametrize("history, kwargs, message", [
    ({}, {}, "the history is empty"),
    ([1.0, 2.0], {}, "expects a History .* received list"),
    ({"loss": [1.0, 2.0], "accuracy": [0.5]}, {}, "'accuracy' has 1 values but the history "
                                                  "has 2 epochs"),
    (HISTORY, {"metrics": ["mae"]}, "'mae' is not a training series"),
    (HISTORY, {"metrics": ["val_loss"]}, "Pass 'loss': its validation curve"),
    (HISTORY, {"to_file": "history.bmp"}, r"use one of \.png, \.svg, \.pdf"),
])
def test_plot_history_errors(history, kwargs, message):
    with pytest.raises(ValueError, match=message):
        plot_history(history, **{"to_file": None, **kwargs})


def test_plot_history_without_matplotlib_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"plot_history needs the 'matplotlib' package"):
        plot_history(HISTORY, to_file=None)
