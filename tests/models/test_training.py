"""compile / fit / evaluate / predict: convergence, metrics, modes, determinism, errors."""
import io

import numpy as np
import pytest

from hilayers import Input, Model, Sequential, callbacks, layers
from hilayers import backend as K
from hilayers.utils import set_random_seed


def _xor():
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    y = np.array([[0], [1], [1], [0]], dtype=np.float32)
    return x, y


def test_xor_converges():
    set_random_seed(1)
    x, y = _xor()
    model = Sequential([layers.Dense(8, activation="tanh", input_shape=(2,)),
                        layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    from hilayers import optimizers
    model.optimizer.learning_rate = 0.05
    history = model.fit(np.repeat(x, 8, 0), np.repeat(y, 8, 0), epochs=150, batch_size=8,
                        verbose=0)
    assert history.history["accuracy"][-1] == 1.0
    np.testing.assert_array_equal(np.rint(model.predict(x)), y)
    assert isinstance(model.optimizer, optimizers.Adam)


def test_linear_regression_converges():
    set_random_seed(2)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 3)).astype(np.float32)
    y = x @ np.array([[1.5], [-2.0], [0.5]], dtype=np.float32) + 0.3
    model = Sequential([layers.Dense(1, input_shape=(3,))])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    model.fit(x, y, epochs=60, batch_size=32, verbose=0)
    w, b = model.layers[0].get_weights()
    np.testing.assert_allclose(w.ravel(), [1.5, -2.0, 0.5], atol=1e-2)
    np.testing.assert_allclose(b, [0.3], atol=1e-2)
    loss, mae = model.evaluate(x, y, verbose=0)
    assert loss < 1e-4 and mae < 1e-2


def test_metrics_accumulate_over_the_epoch():
    set_random_seed(3)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((100, 4)).astype(np.float32)
    y = rng.integers(0, 3, size=100)
    model = Sequential([layers.Dense(3, activation="softmax", input_shape=(4,))])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    logs = model.evaluate(x, y, batch_size=7, verbose=0, return_dict=True)
    probs = model.predict(x)
    expected_acc = np.mean(probs.argmax(-1) == y)
    expected_loss = -np.mean(np.log(probs[np.arange(100), y]))
    assert logs["accuracy"] == pytest.approx(expected_acc, abs=1e-6)
    assert logs["loss"] == pytest.approx(expected_loss, rel=1e-5)


def test_dropout_and_batchnorm_train_versus_inference():
    set_random_seed(4)
    model = Sequential([layers.Dropout(0.5, input_shape=(1000,)),
                        layers.BatchNormalization(momentum=0.0)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).uniform(1, 2, size=(64, 1000)).astype(np.float32)
    # Inference: dropout is the identity and BN uses moving stats (mean 0, var 1).
    np.testing.assert_allclose(model.predict(x), x / np.sqrt(1 + 1e-3), rtol=1e-5)
    model.fit(x, x, epochs=1, batch_size=64, verbose=0, shuffle=False)
    moving_mean = model.layers[1].get_weights()[2]
    # momentum 0: the moving mean is the last batch's mean after dropout (≈ the input mean).
    assert abs(moving_mean.mean() - x.mean()) < 0.05
    # evaluate runs in inference mode too: its loss is that of predict's outputs, the same
    # on every call, and it leaves the moving statistics alone.
    target = np.zeros_like(x)
    inferred = model.evaluate(x, target, batch_size=16, verbose=0)
    assert inferred == pytest.approx(np.mean(model.predict(x) ** 2), rel=1e-5)
    assert model.evaluate(x, target, batch_size=64, verbose=0) == pytest.approx(inferred,
                                                                                rel=1e-5)
    np.testing.assert_array_equal(model.layers[1].get_weights()[2], moving_mean)
    # fit's loss is in training mode: batch statistics give outputs of mean 0 and
    # variance 1 per feature, so their mean square is 1 whatever the moving statistics.
    model.optimizer.learning_rate = 0.0
    trained = model.fit(x, target, epochs=1, batch_size=64, verbose=0).history["loss"][0]
    assert trained == pytest.approx(1.0, abs=1e-2) and abs(inferred - 1.0) > 0.1


def _train_once(seed):
    set_random_seed(seed)
    K.reset_default_graph()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 5)).astype(np.float32)
    y = rng.integers(0, 2, size=(64, 1)).astype(np.float32)
    model = Sequential([layers.Dense(6, activation="relu", input_shape=(5,)),
                        layers.Dropout(0.3), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    return model.get_weights()


def test_same_seed_is_bit_identical():
    first, second = _train_once(11), _train_once(11)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    other = _train_once(12)
    assert any(not np.array_equal(a, b) for a, b in zip(first, other))


def test_validation_split_sample_and_class_weights():
    set_random_seed(5)
    x = np.random.default_rng(0).standard_normal((50, 2)).astype(np.float32)
    y = (x[:, :1] > 0).astype(np.float32)
    model = Sequential([layers.Dense(1, activation="sigmoid", input_shape=(2,))])
    model.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
    h = model.fit(x, y, validation_split=0.2, epochs=2, verbose=0,
                  sample_weight=np.ones(50), class_weight={0: 1.0, 1: 2.0})
    assert set(h.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(h.history["val_loss"]) == 2
    h = model.fit(x, y, validation_data=(x[:10], y[:10]), epochs=1, verbose=0)
    assert "val_loss" in h.history


def test_single_batch_methods():
    model = Sequential([layers.Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse", metrics=["mae"])
    x, y = np.ones((4, 2)), np.zeros((4, 1))
    loss, mae = model.train_on_batch(x, y)
    after = model.test_on_batch(x, y, return_dict=True)
    assert after["loss"] < loss
    assert model.predict_on_batch(x).shape == (4, 1)


def test_multi_output_losses_weights_and_names():
    a = Input((3,), name="a")
    h = layers.Dense(4)(a)
    out1 = layers.Dense(1, name="reg")(h)
    out2 = layers.Dense(2, activation="softmax", name="cls")(h)
    model = Model(a, [out1, out2])
    model.compile("adam", loss={"reg": "mse", "cls": "sparse_categorical_crossentropy"},
                  loss_weights={"reg": 0.5, "cls": 1.0}, metrics={"cls": ["accuracy"]})
    x = np.ones((8, 3), np.float32)
    logs = model.evaluate(x, {"reg": np.zeros((8, 1)), "cls": np.zeros(8, np.int64)},
                          verbose=0, return_dict=True)
    assert set(logs) == {"loss", "reg_loss", "cls_loss", "cls_accuracy"}
    assert logs["loss"] == pytest.approx(0.5 * logs["reg_loss"] + logs["cls_loss"], rel=1e-5)


# -- bad input ------------------------------------------------------------------------------

def _model():
    model = Sequential([layers.Dense(3, activation="softmax", input_shape=(4,))])
    return model


def test_fit_without_compile():
    with pytest.raises(RuntimeError, match="You must compile model .* before training it"):
        _model().fit(np.ones((2, 4)), np.ones(2))


def test_x_and_y_of_different_lengths():
    model = _model()
    model.compile("sgd", "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="x has 10, y has 9 samples"):
        model.fit(np.ones((10, 4)), np.zeros(9), verbose=0)


def test_sparse_labels_out_of_range():
    model = _model()
    model.compile("sgd", "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"labels must be in \[0, 2\] for 3 classes; received "
                                         r"labels from 0 to 5"):
        model.fit(np.ones((3, 4)), np.array([0, 1, 5]), verbose=0)


@pytest.mark.parametrize("kwargs,match", [
    ({"optimizer": "adamm", "loss": "mse"}, "Unknown optimizer 'adamm'. Valid names: .*adam"),
    ({"optimizer": "sgd", "loss": "mse_typo"}, "Unknown loss 'mse_typo'. Valid names: .*mse"),
    ({"optimizer": "sgd", "loss": "mse", "metrics": ["acuracy"]},
     "Unknown metric 'acuracy'. Valid names: .*accuracy"),
])
def test_unknown_names_list_the_valid_ones(kwargs, match):
    with pytest.raises(ValueError, match=match):
        _model().compile(**kwargs)


def test_unknown_activation_lists_valid_names():
    with pytest.raises(ValueError, match="Unknown activation 'rellu'. Valid names: .*relu"):
        layers.Dense(2, activation="rellu")


# -- callbacks and progress -------------------------------------------------------------------

def test_terminate_on_nan_says_which_batch(capsys):
    model = Sequential([layers.Dense(1, input_shape=(1,))])
    model.compile("sgd", "mse")
    x = np.ones((8, 1), np.float32)
    x[5] = np.nan
    stopper = callbacks.TerminateOnNaN()
    h = model.fit(x, np.ones((8, 1)), batch_size=2, epochs=3, shuffle=False, verbose=0,
                  callbacks=[stopper])
    assert "batch 2 of epoch 1" in stopper.message
    assert "batch 2 of epoch 1" in capsys.readouterr().out
    assert len(h.epoch) == 1


def test_scheduler_plateau_and_csv_logger(tmp_path):
    model = Sequential([layers.Dense(1, input_shape=(1,))])
    model.compile("sgd", "mse")
    x = np.ones((4, 1), np.float32)
    path = tmp_path / "log.csv"
    h = model.fit(x, x, epochs=3, verbose=0, callbacks=[
        callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1)),
        callbacks.CSVLogger(path)])
    assert h.history["learning_rate"] == pytest.approx([0.1, 0.05, 0.1 / 3])
    rows = path.read_text().strip().splitlines()
    assert rows[0].split(",")[0] == "epoch" and len(rows) == 4
    plateau = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0, min_delta=1e9)
    model.fit(x, x, epochs=2, verbose=0, callbacks=[plateau])
    # The first epoch sets the best value; the second cannot improve by 1e9: one halving.
    assert float(model.optimizer.learning_rate) == pytest.approx(0.1 / 3 / 2)


def test_progress_in_a_log_file_is_one_line_per_epoch():
    model = Sequential([layers.Dense(1, input_shape=(1,))])
    model.compile("sgd", "mse", metrics=["mae"])
    stream = io.StringIO()
    bar = callbacks.ProgbarLogger(verbose=1, file=stream)
    model.fit(np.ones((64, 1)), np.ones((64, 1)), batch_size=4, epochs=2, verbose=0,
              callbacks=[bar], validation_data=(np.ones((4, 1)), np.ones((4, 1))))
    lines = stream.getvalue().strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("Epoch 1/2") and "loss:" in lines[0] and "val_mae:" in lines[0]


def test_progress_bar_on_a_terminal_shows_batches_and_metrics():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    model = Sequential([layers.Dense(1, input_shape=(1,))])
    model.compile("sgd", "mse")
    stream = Terminal()
    model.fit(np.ones((40, 1)), np.ones((40, 1)), batch_size=4, epochs=1, verbose=0,
              callbacks=[callbacks.ProgbarLogger(verbose=1, file=stream)])
    text = stream.getvalue()
    assert "Epoch 1/1" in text and "10/10" in text and "loss:" in text


def test_regularization_penalties_join_the_loss_once():
    model = Sequential([layers.Dense(1, input_shape=(2,), kernel_initializer="ones",
                                     use_bias=False, kernel_regularizer="l2",
                                     activity_regularizer="l1")])
    model.compile("sgd", "mse")
    x = np.ones((4, 2), np.float32)
    y = np.zeros((4, 1), np.float32)
    loss = model.evaluate(x, y, verbose=0)
    # mse 4 + weight penalty 0.01 * 2 + activity penalty 0.01 * sum|y| / batch = 0.01 * 2.
    assert loss == pytest.approx(4.0 + 0.02 + 0.02, rel=1e-5)


@pytest.mark.parametrize("loss,activation,y,expected", [
    ("sparse_categorical_crossentropy", "softmax", np.array([1]), 200.0),
    ("categorical_crossentropy", "softmax", np.array([[0.0, 1.0, 0.0]]), 200.0),
    ("binary_crossentropy", "sigmoid", np.array([[0.0, 1.0, 0.0]]), (100 + 100 + np.log(2)) / 3),
])
def test_softmax_or_sigmoid_outputs_train_through_the_fused_cross_entropy(loss, activation, y,
                                                                          expected):
    """The loss is computed on the logits before the activation: exact for logits of ±100,
    where probabilities clipped at 1e-7 would cap the loss near 16."""
    model = Sequential([layers.Dense(3, activation=activation, input_shape=(1,))])
    model.set_weights([np.array([[100.0, -100.0, 0.0]]), np.zeros(3)])
    model.compile("sgd", loss)
    assert model.evaluate(np.ones((1, 1)), y, verbose=0) == pytest.approx(expected, rel=1e-5)
    fused = {"sparse_categorical_crossentropy": "SparseSoftmaxCrossEntropyWithLogits",
             "categorical_crossentropy": "SoftmaxCrossEntropyWithLogits",
             "binary_crossentropy": "SigmoidCrossEntropyWithLogits"}[loss]
    graph = model.inputs[0].graph
    assert fused in {type(node.op).__name__ for node in graph.nodes}
    model.fit(np.ones((1, 1)), y, verbose=0)
    assert all(np.isfinite(w).all() for w in model.get_weights())


def test_training_adds_no_nodes_after_the_first_steps():
    """fit / evaluate / predict compile their functions once; epochs, validation, single
    batches and learning-rate changes afterwards add no graph nodes and no plans."""
    model = Sequential([layers.Dense(4, activation="relu", input_shape=(3,)),
                        layers.BatchNormalization(), layers.Dropout(0.2),
                        layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((50, 3)).astype(np.float32), rng.integers(0, 2, 50)

    def everything(epochs):
        model.fit(x, y, epochs=epochs, batch_size=8, verbose=0, validation_split=0.2,
                  callbacks=[callbacks.LearningRateScheduler(lambda e: 0.01 / (e + 1))])
        model.evaluate(x, y, verbose=0)
        model.predict(x)
        model.train_on_batch(x, y)
        model.test_on_batch(x, y)

    everything(1)
    graph = model.inputs[0].graph
    nodes, plans = graph.num_nodes(), len(graph._plan_cache)
    everything(5)
    assert (graph.num_nodes(), len(graph._plan_cache)) == (nodes, plans)
