"""The pretrained LeNet-5: its accuracy, its weights file, its arguments, its input and
output helpers, and the training recipe that made it."""
import shutil
import subprocess
import sys

import numpy as np
import pytest

from hilayers.applications import LeNet5, lenet5
from hilayers.applications.lenet5 import model as lenet5_model
from hilayers.applications.lenet5 import training
from hilayers.saving import SavingError

from .mnist_data import DATA, load, needs_mnist


def _softmax(logits):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# -- the shipped weights -------------------------------------------------------------------------
@needs_mnist
def test_shipped_weights_reach_99_2_percent_on_the_whole_test_set():
    _, (x_test, y_test) = load()
    model = LeNet5(weights="mnist")
    probs = model.predict(lenet5.preprocess_input(x_test), batch_size=1000)
    accuracy = float(np.mean(probs.argmax(axis=1) == y_test))
    assert len(y_test) == 10000
    assert accuracy >= 0.992, f"test accuracy {accuracy:.4f}"
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


def test_the_shipped_file_matches_its_recorded_sha256():
    assert lenet5.file_sha256(lenet5.WEIGHTS_PATH) == lenet5.WEIGHTS_SHA256


def test_a_tampered_weights_file_is_refused(tmp_path, monkeypatch):
    tampered = tmp_path / "lenet5_mnist.h5"
    shutil.copy(lenet5.WEIGHTS_PATH, tampered)
    data = bytearray(tampered.read_bytes())
    data[-100] ^= 0xFF
    tampered.write_bytes(bytes(data))
    monkeypatch.setattr(lenet5_model, "WEIGHTS_PATH", str(tampered))
    with pytest.raises(SavingError, match="sha256 is [0-9a-f]{64}, expected") as info:
        LeNet5(weights="mnist")
    assert str(tampered) in str(info.value) and "Reinstall hilayers" in str(info.value)


def test_missing_shipped_weights_say_to_reinstall(tmp_path, monkeypatch):
    monkeypatch.setattr(lenet5_model, "WEIGHTS_PATH", str(tmp_path / "gone.h5"))
    with pytest.raises(FileNotFoundError, match="reinstall hilayers"):
        LeNet5()


def test_weights_from_a_path_and_none(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (4, 28, 28, 1)).astype(np.float32)
    shipped = LeNet5(weights="mnist")
    path = tmp_path / "copy.h5"
    shipped.save_weights(str(path))
    from_path = LeNet5(weights=str(path))
    np.testing.assert_array_equal(from_path.predict(x), shipped.predict(x))
    fresh = LeNet5(weights=None)
    assert fresh.count_params() == 61706
    assert not np.allclose(fresh.predict(x), shipped.predict(x))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        LeNet5(weights=str(tmp_path / "nothing.h5"))


def test_logits_without_the_softmax():
    x = np.random.default_rng(1).uniform(0, 1, (3, 28, 28, 1)).astype(np.float32)
    probs = LeNet5().predict(x)
    logits = LeNet5(classifier_activation=None).predict(x)
    np.testing.assert_allclose(_softmax(logits), probs, rtol=1e-4, atol=1e-6)


# -- the architecture and its arguments ----------------------------------------------------------
def test_the_architecture():
    model = LeNet5(weights=None)
    shapes = [(layer.name, layer.output_shape) for layer in model.layers[1:]]
    assert shapes == [
        ("conv1", (None, 28, 28, 6)), ("pool1", (None, 14, 14, 6)),
        ("conv2", (None, 10, 10, 16)), ("pool2", (None, 5, 5, 16)), ("flatten", (None, 400)),
        ("fc1", (None, 120)), ("fc2", (None, 84)), ("predictions", (None, 10))]
    assert model.get_layer("conv1").get_config()["padding"] == "same"
    assert model.get_layer("pool1").__class__.__name__ == "MaxPooling2D"
    assert model.get_layer("fc1").get_config()["activation"] == "relu"


@pytest.mark.parametrize("pooling, shape", [(None, (None, 5, 5, 16)), ("avg", (None, 16)),
                                            ("max", (None, 16))])
def test_without_the_top_shares_the_pretrained_convolutions(pooling, shape):
    features = LeNet5(include_top=False, pooling=pooling)
    assert features.output_shape == shape
    assert [layer.name for layer in features.layers if layer.weights] == ["conv1", "conv2"]
    full = LeNet5()
    for name in ("conv1", "conv2"):
        for mine, theirs in zip(features.get_layer(name).get_weights(),
                                full.get_layer(name).get_weights()):
            np.testing.assert_array_equal(mine, theirs)
    x = np.random.default_rng(2).uniform(0, 1, (2, 28, 28, 1)).astype(np.float32)
    out = features.predict(x)
    assert out.shape == (2,) + shape[1:]


def test_without_the_top_other_sizes_and_classes():
    assert LeNet5(include_top=False, input_shape=(32, 40, 1)).output_shape == (None, 6, 8, 16)
    model = LeNet5(weights=None, input_shape=(32, 32, 3), classes=5)
    assert model.output_shape == (None, 5)
    assert model.predict(np.zeros((1, 32, 32, 3), np.float32)).shape == (1, 5)


@pytest.mark.parametrize("kwargs, message", [
    ({"weights": "imagenet"}, "weights must be 'mnist', None or the path"),
    ({"weights": 3}, "weights must be 'mnist', None or the path"),
    ({"input_shape": (32, 32, 1)}, r"input_shape must be \(28, 28, 1\)"),
    ({"input_shape": (28, 28)}, r"input_shape must be \(height, width, channels\)"),
    ({"weights": None, "input_shape": (10, 10, 1)}, "at least 12"),
    ({"include_top": False, "input_shape": (28, 28, 3)}, "1-channel"),
    ({"classes": 5}, "have 10 classes; received classes=5"),
    ({"classes": 0, "weights": None}, "classes must be a positive int"),
    ({"pooling": "sum", "include_top": False}, "pooling must be None, 'avg' or 'max'"),
    ({"classifier_activation": "sigmoid"}, "classifier_activation must be 'softmax' or None"),
])
def test_bad_arguments_say_what_was_expected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LeNet5(**kwargs)


# -- preprocess_input and decode_predictions ---------------------------------------------------
@pytest.mark.parametrize("shape, n", [((5, 28, 28), 5), ((5, 28, 28, 1), 5), ((28, 28), 1)])
def test_preprocess_input_shapes(shape, n):
    x = np.random.default_rng(0).integers(0, 256, shape).astype(np.uint8)
    out = lenet5.preprocess_input(x)
    assert out.shape == (n, 28, 28, 1) and out.dtype == np.float32
    np.testing.assert_allclose(out.reshape(n, 28, 28), x.reshape(n, 28, 28) / 255.0,
                               rtol=1e-6)
    assert lenet5.preprocess_input(x.astype(np.float64)).dtype == np.float32


@pytest.mark.parametrize("x, message", [
    (np.zeros((2, 28, 28, 3), np.uint8), r"received shape \(2, 28, 28, 3\)"),
    (np.zeros((32, 32), np.uint8), r"received shape \(32, 32\)"),
    (np.zeros((1, 28, 28), bool), "dtype bool"),
    (np.full((1, 28, 28), 1.5) * 255, "values from 382.5 to 382.5"),
    (-np.ones((28, 28)), "pixel values 0-255"),
])
def test_preprocess_input_errors(x, message):
    with pytest.raises(ValueError, match=message):
        lenet5.preprocess_input(x)


def test_decode_predictions():
    probs = np.array([[0.05, 0.6, 0, 0, 0.05, 0, 0, 0.3, 0, 0],
                      [0.1] * 10], dtype=np.float32)
    decoded = lenet5.decode_predictions(probs, top=3)
    assert [d for d, _ in decoded[0]] == [1, 7, 0]       # 0 and 4 tie: the smaller first
    assert decoded[0][0][1] == pytest.approx(0.6)
    assert [d for d, _ in decoded[1]] == [0, 1, 2]
    assert all(isinstance(d, int) and isinstance(p, float) for d, p in decoded[0])
    assert len(lenet5.decode_predictions(probs, top=10)[0]) == 10
    assert lenet5.decode_predictions(probs[0], top=1) == [[(1, pytest.approx(0.6))]]


@pytest.mark.parametrize("probs, top, message", [
    (np.zeros((2, 9)), 3, r"shape \(N, 10\).*received shape \(2, 9\)"),
    (np.zeros((2, 10)), 0, "top must be an int from 1 to 10; received 0"),
    (np.zeros((2, 10)), 11, "received 11"),
])
def test_decode_predictions_errors(probs, top, message):
    with pytest.raises(ValueError, match=message):
        lenet5.decode_predictions(probs, top=top)


# -- the training recipe -------------------------------------------------------------------------
def test_random_shifts_move_each_image_within_the_range():
    n = 400
    images = np.zeros((n, 9, 9), np.uint8)
    images[:, 4, 4] = 1
    shifted = training.random_shifts(images, 2, np.random.default_rng(0))
    assert shifted.shape == images.shape and shifted.dtype == np.uint8
    rows, cols = np.nonzero(shifted.reshape(n, 81) == 1)
    assert np.array_equal(rows, np.arange(n))            # every pixel kept, once
    dy, dx = cols // 9 - 4, cols % 9 - 4
    assert set(dy) == set(dx) == {-2, -1, 0, 1, 2}
    again = training.random_shifts(images, 2, np.random.default_rng(0))
    np.testing.assert_array_equal(again, shifted)
    np.testing.assert_array_equal(training.random_shifts(images, 0, np.random.default_rng(0)),
                                  images)
    with pytest.raises(ValueError, match=r"shape \(N, H, W\)"):
        training.random_shifts(images[0], 1, np.random.default_rng(0))


def test_the_learning_rate_schedule():
    assert training.learning_rate(0) == 1e-3
    assert training.learning_rate(29) == pytest.approx(1e-3 * 0.9 ** 29)
    assert (training.EPOCHS, training.SEED, training.BATCH_SIZE, training.MAX_SHIFT,
            training.AVERAGE_LAST) == (30, 0, 128, 1, 5)


def test_weight_averaging_is_the_mean_of_the_snapshots():
    rng = np.random.default_rng(0)
    snapshots = [[rng.standard_normal((3, 2)).astype(np.float32), rng.standard_normal(2)]
                 for _ in range(4)]
    mean = training.average_weights(snapshots)
    np.testing.assert_allclose(mean[0], np.mean([s[0] for s in snapshots], axis=0), rtol=1e-6)
    assert [m.dtype for m in mean] == [np.float32, np.float32]
    with pytest.raises(ValueError, match="at least one list of weights"):
        training.average_weights([])


@needs_mnist
def test_averaging_the_last_epochs_changes_the_weights_it_writes(tmp_path):
    plain = training.train(data_dir=str(DATA), epochs=2, limit=300, verbose=0, average_last=1)
    averaged = training.train(data_dir=str(DATA), epochs=2, limit=300, verbose=0,
                              average_last=2)
    # Same seed, same two epochs: only the averaging differs.
    assert plain["history"] == averaged["history"]
    assert not all(np.array_equal(a, b) for a, b in
                   zip(plain["model"].get_weights(), averaged["model"].get_weights()))


@needs_mnist
def test_training_is_repeatable_and_writes_loadable_weights(tmp_path):
    runs = [training.train(data_dir=str(DATA), out=str(tmp_path / f"w{i}.h5"), epochs=1,
                           limit=500, verbose=0) for i in range(2)]
    assert runs[0]["sha256"] == runs[1]["sha256"]
    assert runs[0]["accuracy"] == runs[1]["accuracy"] > 0.15     # 10% is chance
    loaded = LeNet5(weights=str(tmp_path / "w0.h5"))
    x = lenet5.preprocess_input(load()[1][0][:50])
    np.testing.assert_array_equal(loaded.predict(x), runs[0]["model"].predict(x))


@needs_mnist
def test_the_train_command(tmp_path):
    out = tmp_path / "weights.h5"
    result = subprocess.run(
        [sys.executable, "-m", "hilayers.applications.lenet5", "train", "--data", str(DATA),
         "--out", str(out), "--epochs", "1", "--limit", "300", "--verbose", "2"],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "test accuracy" in result.stdout and "sha256" in result.stdout
    assert out.is_file()
