"""The TensorBoard callback: scalars, histograms and the graph, checked in the event files."""
import subprocess
import sys

import numpy as np
import pytest

from hilayers import Sequential, layers, optimizers
from hilayers.callbacks import LambdaCallback, TensorBoard

from .events import read_events


def linear_model():
    model = Sequential([layers.Dense(1, input_shape=(3,))])
    model.compile(optimizers.SGD(0.1), "mse")
    return model


def regression_data(n=16):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3).astype(np.float32)
    return x, y


def scalars(events, tag):
    return [(e.step, e.value) for e in events.Scalars(tag)]


def test_epoch_scalars_match_the_history_for_training_and_validation(tmp_path):
    model = Sequential([layers.Dense(4, activation="relu", input_shape=(3,)),
                        layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(1).random((40, 3)).astype(np.float32)
    y = (x[:, 0] > 0.5).astype(np.int64)
    history = model.fit(x, y, epochs=3, batch_size=8, validation_split=0.25, verbose=0,
                        callbacks=[TensorBoard(tmp_path)])
    train, validation = read_events(tmp_path / "train"), read_events(tmp_path / "validation")
    for name in ("loss", "accuracy"):
        assert scalars(train, f"epoch_{name}") == [
            (e, pytest.approx(v)) for e, v in enumerate(history.history[name])]
        assert scalars(validation, f"epoch_{name}") == [
            (e, pytest.approx(v)) for e, v in enumerate(history.history[f"val_{name}"])]
    assert scalars(train, "epoch_learning_rate") == [(e, pytest.approx(0.001)) for e in range(3)]
    assert train.Tags()["histograms"] == []        # histogram_freq=0 writes none
    assert "batch_loss" not in train.Tags()["scalars"]


def test_batch_scalars_every_n_steps_continue_across_fits(tmp_path):
    model = linear_model()
    x, y = regression_data()
    callback = TensorBoard(tmp_path, update_freq=2, write_graph=False)
    history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0,
                        callbacks=[callback])
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0, callbacks=[callback])
    events = read_events(tmp_path / "train")
    batch = scalars(events, "batch_loss")
    assert [step for step, _ in batch] == [2, 4, 6, 8, 10, 12]
    # The running loss after the last batch of an epoch is that epoch's loss.
    assert batch[1][1] == pytest.approx(history.history["loss"][0])
    assert batch[3][1] == pytest.approx(history.history["loss"][1])
    assert not events.Tags()["graph"]


def test_weight_and_gradient_histograms_hold_the_real_values(tmp_path):
    model = linear_model()
    x, y = regression_data()
    seen = []
    record = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(
        [w.copy() for w in model.get_weights()]))
    model.fit(x, y, batch_size=len(x), epochs=4, shuffle=False, verbose=0,
              callbacks=[record, TensorBoard(tmp_path, histogram_freq=2, write_grads=True)])
    events = read_events(tmp_path / "train")
    assert sorted(events.Tags()["histograms"]) == [
        "dense/bias", "dense/bias/gradient", "dense/kernel", "dense/kernel/gradient"]
    kernels = events.Histograms("dense/kernel")
    assert [h.step for h in kernels] == [0, 2]           # every 2 epochs, from the first
    for h in kernels:
        kernel = seen[h.step][0]
        value = h.histogram_value
        assert (value.num, value.min, value.max) == (3, pytest.approx(kernel.min()),
                                                     pytest.approx(kernel.max()))
        assert value.sum == pytest.approx(kernel.sum(), rel=1e-6)
    # One batch per epoch: the gradient of the mean squared error at the epoch's final
    # weights is 2/n * x^T (x w + b - y) for the kernel and 2/n * sum(x w + b - y) for the bias.
    for h_kernel, h_bias in zip(events.Histograms("dense/kernel/gradient"),
                                events.Histograms("dense/bias/gradient")):
        kernel, bias = seen[h_kernel.step]
        residual = x @ kernel + bias - y
        grad_kernel = 2.0 / len(x) * x.T @ residual
        grad_bias = 2.0 / len(x) * residual.sum()
        value = h_kernel.histogram_value
        assert value.min == pytest.approx(grad_kernel.min(), rel=1e-4, abs=1e-6)
        assert value.max == pytest.approx(grad_kernel.max(), rel=1e-4, abs=1e-6)
        assert value.sum == pytest.approx(grad_kernel.sum(), rel=1e-4, abs=1e-6)
        assert h_bias.histogram_value.sum == pytest.approx(grad_bias, rel=1e-4, abs=1e-6)


def test_the_graph_holds_the_training_step(tmp_path):
    model = linear_model()
    x, y = regression_data()
    model.fit(x, y, epochs=1, verbose=0, callbacks=[TensorBoard(tmp_path)])
    graph = read_events(tmp_path / "train").Graph()
    nodes = {n.name: n for n in graph.node}
    ops = {n.op for n in graph.node}
    assert nodes["dense/kernel"].op == "VariableRead"
    assert any(name.startswith("training/gradients/") for name in nodes)
    assert {"MatMul", "Assign", "Placeholder"} <= ops
    assert len(nodes) == model.inputs[0].graph.num_nodes()
    for node in graph.node:                    # every edge starts at a node of the file
        for source in node.input:
            assert source.lstrip("^").split(":")[0] in nodes, (node.name, source)


def test_non_finite_weights_are_skipped_with_a_warning(tmp_path):
    model = linear_model()
    x, y = regression_data()
    poison = LambdaCallback(on_epoch_end=lambda epoch, logs: model.layers[0].set_weights(
        [np.full((3, 1), np.nan, np.float32), np.zeros(1, np.float32)]))
    with pytest.warns(RuntimeWarning, match="no histogram of 'dense/kernel' at epoch 0"):
        model.fit(x, y, epochs=1, verbose=0,
                  callbacks=[poison, TensorBoard(tmp_path, histogram_freq=1)])
    assert read_events(tmp_path / "train").Tags()["histograms"] == ["dense/bias"]


@pytest.mark.parametrize("kwargs, message", [
    ({"histogram_freq": -1}, "histogram_freq must be an int >= 0"),
    ({"update_freq": "often"}, "update_freq must be 'epoch', 'batch' or a positive int"),
    ({"update_freq": 0}, "update_freq must be"),
    ({"write_grads": True}, "write_grads=True needs histogram_freq > 0"),
    ({"histogram_bins": 0}, "histogram_bins must be a positive int"),
])
def test_argument_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TensorBoard("logs", **kwargs)


def test_missing_tensorboard_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboard.compat.proto", None)
    with pytest.raises(ImportError, match=r"The TensorBoard callback needs the 'tensorboard' "
                                          r"package.*pip install 'hilayers\[viz\]'"):
        TensorBoard("logs")


def test_hilayers_imports_without_the_viz_packages():
    """The core needs only numpy, h5py and tqdm: with tensorboard, matplotlib and pydot
    hidden, importing works and using them names what to install."""
    code = """
import sys
for name in ("tensorboard", "matplotlib", "pydot"):
    sys.modules[name] = None
import hilayers, hilayers.callbacks, hilayers.summary, hilayers.utils
from hilayers import Sequential, layers
model = Sequential([layers.Dense(1, input_shape=(2,))])
for use in (lambda: hilayers.callbacks.TensorBoard("logs"),
            lambda: hilayers.summary.FileWriter("logs"),
            lambda: hilayers.utils.plot_model(model, "m.png"),
            lambda: hilayers.utils.plot_history({"loss": [1.0]}, "h.png")):
    try:
        use()
    except ImportError as exc:
        print(exc)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 4, out.stdout
    for line, package in zip(lines, ["tensorboard", "tensorboard", "pydot", "matplotlib"]):
        assert f"needs the '{package}' package" in line
        assert "pip install 'hilayers[viz]'" in line
